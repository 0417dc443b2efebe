"""pysummary.py: the Python package's figures against issue 21's targets,
from a run.py result file (default results/latest.json):

  - requests per second at least 3x pyserial-asyncio's at N >= 16;
  - runs at N = 1024;
  - client CPU per request at most 3x the C client's (aserial).

    /usr/bin/python3 bench/pysummary.py [results/partial.json] [--update results/python.md]

With --update the table replaces what comes before the line HAND in that
file (the notes written by hand below it are kept); without, it is printed.

The run recorded in results/python.md (and its raw rows, results/python.json)
was: bench/run.py --sizes 1,4,16,64,256,1024 --reps 3 --only floor,aserial,
pyserial-asyncio,pyserial-threads,aserial-py-asyncio,aserial-py-uvloop,
aserial-py-trio --workloads fanout

Each cell is the best of the run's repetitions (report.py's rule)."""
import json
import os
import sys

import report

PY = ["aserial-py-asyncio", "aserial-py-uvloop", "aserial-py-trio"]


HAND = "<!-- written by hand below this line; bench/pysummary.py --update keeps it -->"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    args = sys.argv[1:]
    update = None
    if "--update" in args:
        i = args.index("--update")
        update = args[i + 1]
        del args[i:i + 2]
    path = args[0] if args else os.path.join(here, "results", "latest.json")
    with open(path) as f:
        d = json.load(f)
    cells = report.fanout_cells(d["fanout"])
    out = ["# The Python package in the fan-out workload", "",
           report.header(d), "",
           "rps: requests per second (x pyserial-asyncio's); CPU: client CPU microseconds per "
           "request (x the C client's, aserial on its built-in loop).", "",
           "| N | pyserial-asyncio rps | " + " | ".join(p + " rps" for p in PY) + " | C aserial CPU | "
           + " | ".join(p + " CPU" for p in PY) + " |",
           "|---:|---:|" + "---:|" * len(PY) + "---:|" + "---:|" * len(PY)]
    for n in d["sizes"]:
        base = cells.get(("pyserial-asyncio", n), {})
        c = cells.get(("aserial", n), {})
        if "error" in base:
            first = report.short(base["error"])
        elif not base:  # left out of the pass: it cannot open 256 ptys (select())
            first = "cannot run: select() limit" if n >= 256 else "not run in this pass"
        else:
            first = format(round(base["rps"]), ",")
        row = ["%d" % n, first]
        for p in PY:
            cell = cells.get((p, n), {})
            if "error" in cell or not cell:
                row.append(report.short(cell.get("error", "not run")))
            else:
                ratio = " (%.1fx)" % (cell["rps"] / base["rps"]) if base.get("rps") else ""
                row.append(format(round(cell["rps"]), ",") + ratio)
        row.append("%.1f" % c["cpu"] if c.get("cpu") else "-")
        for p in PY:
            cell = cells.get((p, n), {})
            if cell.get("cpu") and c.get("cpu"):
                row.append("%.1f (%.1fx)" % (cell["cpu"], cell["cpu"] / c["cpu"]))
            else:
                row.append("-")
        out.append("| " + " | ".join(row) + " |")
    table = "\n".join(out)
    if not update:
        print(table)
        return
    try:
        with open(update) as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    kept = old[old.index(HAND):] if HAND in old else HAND + "\n"
    with open(update, "w") as f:
        f.write(table + "\n\n" + kept)


if __name__ == "__main__":
    main()
