"""pyswitch.py: what one bare task switch costs the runtime itself, for
scale against the package's cost per query (bench/results/python.md).
N tasks each yield `rounds` times with no I/O: `await asyncio.sleep(0)`
under asyncio, `await trio.lowlevel.checkpoint()` under trio.

    /usr/bin/python3 bench/pyswitch.py asyncio|trio <ntasks> <rounds>

Count instructions as pyprofile.py does (the difference of two rounds
counts cancels the interpreter's start-up):

    for R in 100 600; do valgrind --tool=callgrind \\
        --callgrind-out-file=/tmp/sw.$R /usr/bin/python3 bench/pyswitch.py trio 16 $R; done
    (totals at 600 - totals at 100) / (16 * 500) = instructions per switch"""
import asyncio
import sys


async def asyncio_main(n, rounds):
    async def worker():
        for _ in range(rounds):
            await asyncio.sleep(0)
    await asyncio.gather(*[worker() for _ in range(n)])


def trio_main(n, rounds):
    import trio

    async def worker():
        for _ in range(rounds):
            await trio.lowlevel.checkpoint()

    async def main():
        async with trio.open_nursery() as nursery:
            for _ in range(n):
                nursery.start_soon(worker)
    trio.run(main)


def run():
    if len(sys.argv) != 4 or sys.argv[1] not in ("asyncio", "trio"):
        sys.exit(__doc__)
    n, rounds = int(sys.argv[2]), int(sys.argv[3])
    if sys.argv[1] == "trio":
        trio_main(n, rounds)
    else:
        asyncio.run(asyncio_main(n, rounds))


if __name__ == "__main__":
    run()
