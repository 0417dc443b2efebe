"""aserial_py.py: the fan-out workload through the aserial Python package
(python/, built into build/python), one event loop, one task per port,
each awaiting port.query(b"PING <i>\\n") (aser_query, eol "\\n", timeout
2 s, as the C contender) before the next.

    /usr/bin/python3 aserial_py.py --backend=asyncio|uvloop|trio <paths-file> <nports> <seconds> [warmup]

Tasks and the stop event are anyio's, so the same code runs on each
backend; the requests themselves go straight to the package."""
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.environ.get("BENCH_LIB_BUILD", os.path.join(ROOT, "build")),
                                "python"))

import anyio  # noqa: E402

import aserial  # noqa: E402
import pybench  # noqa: E402

backend = "asyncio"
for a in list(sys.argv[1:]):
    if a.startswith("--backend="):
        backend = a.split("=", 1)[1]
        sys.argv.remove(a)
NAME = "aserial-py-" + backend


async def port_task(i, port, win, stop):
    req = b"PING %d\n" % i
    while not win.over:
        sent = time.monotonic_ns()
        line = await port.query(req, timeout=2.0)
        now = time.monotonic_ns()
        if not line.startswith(b"PONG"):
            raise RuntimeError("unexpected reply %r" % line)
        if win.record(sent, now):
            stop.set()


async def main():
    paths, n, secs, warmup = pybench.parse_args(
        "--backend=B <paths-file> <nports> <seconds> [warmup]")
    pybench.raise_nofile()
    ports = [await aserial.SerialPort.open(p, baudrate=115200) for p in paths]
    win = pybench.Window(warmup, secs)
    stop = anyio.Event()
    error = None
    try:
        with anyio.fail_after(secs + warmup + 5 + n / 100):
            async with anyio.create_task_group() as tg:
                for i, port in enumerate(ports):
                    tg.start_soon(port_task, i, port, win, stop)
                await stop.wait()
                tg.cancel_scope.cancel()
    except TimeoutError:
        error = "no progress: the run did not finish in time"
    except Exception as exc:  # noqa: BLE001 - reported as the result
        error = "%s: %s" % (type(exc).__name__, exc)
    for port in ports:
        await port.aclose()
    win.result(NAME, n, error=error)
    return 3 if error else 0


if __name__ == "__main__":
    opts = {"asyncio": ("asyncio", {}), "uvloop": ("asyncio", {"use_uvloop": True}),
            "trio": ("trio", {})}[backend]
    sys.exit(anyio.run(main, backend=opts[0], backend_options=opts[1]))
