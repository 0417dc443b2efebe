"""pyprofile.py: a fixed amount of the fan-out workload through the aserial
Python package, for profilers: it starts its own responder (bench/build/
responder, built by `run.py --workloads build`) on N ptys, opens them, and
has one task per port send `rounds` queries (port.query, eol "\\n",
timeout 2 s, as aserial_py.py does). It prints the client's CPU
microseconds per request over the request phase.

    /usr/bin/python3 bench/pyprofile.py [--backend=asyncio|uvloop|trio]
        [--cprofile=FILE] <nports> <rounds>

A fixed count (not a time window) makes instruction counts comparable:
run it under callgrind twice with different rounds and divide the
difference of the totals by the difference of the requests, which
cancels the interpreter's start-up:

    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p \\
        /usr/bin/python3 bench/pyprofile.py 16 100
    (the responder is a child process and is not traced)

--cprofile writes a cProfile dump of the request phase (pstats reads
it)."""
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.environ.get("BENCH_LIB_BUILD", os.path.join(ROOT, "build")),
                                "python"))

import anyio  # noqa: E402

import aserial  # noqa: E402
import pybench  # noqa: E402


async def port_task(i, port, rounds):
    req = b"PING %d\n" % i
    for _ in range(rounds):
        line = await port.query(req, timeout=2.0)
        if not line.startswith(b"PONG"):
            raise RuntimeError("unexpected reply %r" % line)


async def main(paths, rounds, prof):
    ports = [await aserial.SerialPort.open(p, baudrate=115200) for p in paths]
    try:
        with anyio.fail_after(600):
            async with anyio.create_task_group() as tg:  # one warm-up round
                for i, port in enumerate(ports):
                    tg.start_soon(port_task, i, port, 1)
            cpu0, t0 = pybench.cpu_seconds(), time.monotonic()
            if prof:
                prof.enable()
            async with anyio.create_task_group() as tg:
                for i, port in enumerate(ports):
                    tg.start_soon(port_task, i, port, rounds)
            if prof:
                prof.disable()
            cpu, wall = pybench.cpu_seconds() - cpu0, time.monotonic() - t0
    finally:
        for port in ports:
            await port.aclose()
    n = len(paths) * rounds
    print("%d requests: %.2f us CPU each, %.0f req/s" % (n, cpu / n * 1e6, n / wall),
          flush=True)


def run():
    backend, prof_out = "asyncio", None
    for a in list(sys.argv[1:]):
        if a.startswith("--backend="):
            backend = a.split("=", 1)[1]
            sys.argv.remove(a)
        elif a.startswith("--cprofile="):
            prof_out = a.split("=", 1)[1]
            sys.argv.remove(a)
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    n, rounds = int(sys.argv[1]), int(sys.argv[2])
    pybench.raise_nofile()
    resp = subprocess.Popen([os.path.join(ROOT, "bench", "build", "responder"), str(n)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        paths = [resp.stdout.readline().strip() for _ in range(n)]
        if not all(paths):
            sys.exit("pyprofile: the responder gave no paths (run.py --workloads build?)")
        prof = None
        if prof_out:
            import cProfile
            prof = cProfile.Profile()
        opts = {"asyncio": ("asyncio", {}), "uvloop": ("asyncio", {"use_uvloop": True}),
                "trio": ("trio", {})}[backend]
        anyio.run(main, paths, rounds, prof, backend=opts[0], backend_options=opts[1])
        if prof:
            prof.dump_stats(prof_out)
    finally:
        resp.stdin.close()
        try:
            resp.wait(10)
        except subprocess.TimeoutExpired:
            resp.kill()
            resp.wait()


if __name__ == "__main__":
    run()
