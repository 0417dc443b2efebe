"""pyserial_asyncio.py: the fan-out workload through pyserial-asyncio
(Debian's python3-serial-asyncio): one asyncio loop, one task per port,
each writing b"PING <i>\\n" and awaiting reader.readline() before the next.

    /usr/bin/python3 pyserial_asyncio.py <paths-file> <nports> <seconds> [warmup]

The transport reads through pyserial's Serial.read(), which calls
select.select(): a port whose descriptor is 1024 or more (FD_SETSIZE)
fails there. The error is caught by the loop's exception handler and
reported as {"error": ...} instead of a number (exit status 3)."""
import asyncio
import sys
import time

import serial_asyncio

import pybench

NAME = "pyserial-asyncio"


async def port_task(i, reader, writer, win, stop):
    req = b"PING %d\n" % i
    while not win.over:
        sent = time.monotonic_ns()
        writer.write(req)
        line = await reader.readline()
        now = time.monotonic_ns()
        if not line.startswith(b"PONG"):
            raise RuntimeError("unexpected reply %r" % line)
        if win.record(sent, now):
            stop.set()


async def main():
    paths, n, secs, warmup = pybench.parse_args("<paths-file> <nports> <seconds> [warmup]")
    pybench.raise_nofile()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    errors = []

    def on_error(loop_, ctx):
        exc = ctx.get("exception")
        errors.append("%s: %s" % (type(exc).__name__, exc) if exc else ctx.get("message"))
        stop.set()
    loop.set_exception_handler(on_error)
    conns = []
    for p in paths:
        conns.append(await serial_asyncio.open_serial_connection(url=p, baudrate=115200))
    win = pybench.Window(warmup, secs)
    tasks = [asyncio.create_task(port_task(i, r, w, win, stop))
             for i, (r, w) in enumerate(conns)]
    deadline = secs + warmup + 5
    try:
        await asyncio.wait_for(stop.wait(), deadline)
    except asyncio.TimeoutError:
        errors.append("no progress: the run did not finish within %.0f s" % deadline)
    for t in tasks:
        if t.done() and not t.cancelled() and t.exception():
            errors.append("%s: %s" % (type(t.exception()).__name__, t.exception()))
        t.cancel()
    if errors:
        err = errors[0]
        if "out of range in select" in err:
            top = max(w.transport.serial.fd for _, w in conns)
            err += (" (the transport reads through pyserial's Serial.read(), which calls"
                    " select(); with 5 descriptors a port the highest is %d, past"
                    " FD_SETSIZE 1024)" % top)
        win.result(NAME, n, error=err)
        return 3
    win.result(NAME, n)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
