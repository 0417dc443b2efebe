"""pyserial_threads.py: the fan-out workload through pyserial (Debian's
python3-serial), one thread per port, each doing write(b"PING <i>\\n") then
readline() before the next: what most Python instrument code does.

    /usr/bin/python3 pyserial_threads.py <paths-file> <nports> <seconds> [warmup]

Serial.read() uses select.select(), which fails for descriptors of 1024
or more (FD_SETSIZE); each port also opens two pipes, so past about 200
ports some reads fail. The error is reported as {"error": ...} instead of
a number (exit status 3)."""
import sys
import threading
import time

import serial

import pybench

NAME = "pyserial-threads"


def worker(i, s, win, stop, errors, lock):
    req = b"PING %d\n" % i
    try:
        while not stop.is_set():
            sent = time.monotonic_ns()
            s.write(req)
            line = s.readline()
            now = time.monotonic_ns()
            if not line.endswith(b"\n"):
                raise TimeoutError("no reply within the read timeout")
            if not line.startswith(b"PONG"):
                raise RuntimeError("unexpected reply %r" % line)
            with lock:
                closed = win.record(sent, now)
            if closed:
                stop.set()
    except Exception as e:  # any failure ends the run and is reported
        errors.append("%s: %s" % (type(e).__name__, e))
        stop.set()


def main():
    paths, n, secs, warmup = pybench.parse_args("<paths-file> <nports> <seconds> [warmup]")
    pybench.raise_nofile()
    ports = [serial.Serial(p, 115200, timeout=2) for p in paths]
    win = pybench.Window(warmup, secs)
    stop, lock, errors = threading.Event(), threading.Lock(), []
    threads = [threading.Thread(target=worker, args=(i, s, win, stop, errors, lock),
                                daemon=True) for i, s in enumerate(ports)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + secs + warmup + 5
    while not stop.wait(0.1):
        if time.monotonic() > deadline:
            errors.append("no progress: the run did not finish in time")
            break
    stop.set()
    for t in threads:
        t.join(max(0.1, deadline + 3 - time.monotonic()))
    if errors:
        err = errors[0]
        if "out of range in select" in err:
            err += (" (pyserial's Serial.read() calls select(); with 5 descriptors a port"
                    " the highest is %d, past FD_SETSIZE 1024)" % max(s.fd for s in ports))
        win.result(NAME, n, error=err)
        return 3
    win.result(NAME, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
