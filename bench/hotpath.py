"""hotpath.py: what one request costs the client, aserial against the floor
(`make -f bench/bench.mk bench-hotpath`; builds as run.py does first).

For each N (--sizes), floor and aserial (and any --extra client):

1. User-space instructions per request, with callgrind (deterministic, so
   it shows what a shared machine's clock cannot): only the event loop is
   counted (--toggle-collect), and two runs of different lengths are
   differenced, (Ir_long - Ir_short) / (requests_long - requests_short),
   so opening the ports and the first allocations drop out.
2. Data-cache misses per request, from the same runs (--cache-sim=yes,
   differenced the same way): first level, and a 2 MiB last level (one
   core's second-level cache here). At large N no client's per-port state
   stays in the first-level cache from one request to the next, so every
   cache line a request touches is a miss there. Only the client's user
   space is simulated, not the kernel's share of the caches.
3. System calls per request (strace -c -f, over the whole run).

Then, for --cpu-sizes, client CPU per request side by side: the contenders
interleaved (rotated order) --reps times, pinned as run.py pins them, user
+ system time over the measuring window (getrusage), least of the runs
and every run. The least is the closest to what the code itself costs;
the spread says how loud the machine was.

Writes results/hotpath.md and results/hotpath.json (--name: another name).

    /usr/bin/python3 bench/hotpath.py [--sizes 16,1024] [--cpu-sizes 16,64,256,1024]
        [--reps 7] [--extra NAME=PATH ...] [--no-build] [--name hotpath]"""
import argparse
import json
import os
import sys
import tempfile

import analyse
import run

LOOP_FN = {"floor": "serve"}  # others: aser_loop_run (aserial's built-in loop)
EVENTS = ("Ir", "D1mr", "D1mw", "DLmr", "DLmw")
# The simulated last level: one core's 2 MiB second-level cache (the machine
# this was written on), not the shared third level valgrind would pick.
LL = "2097152,16,64"


def callgrind(name, n, secs, tmp):
    """One run under callgrind: (requests, {event: count}) or an error."""
    out = os.path.join(tmp, "cg.out")
    wrap = ["valgrind", "--tool=callgrind", "--cache-sim=yes", "--LL=" + LL,
            "--collect-atstart=no", "--toggle-collect=" + LOOP_FN.get(name, "aser_loop_run"),
            "--callgrind-out-file=" + out]
    res, err = run.fanout_run(name, n, secs, 0.5, tmp, wrap, 120)
    if err:
        return None, err
    names = totals = None
    for line in open(out):
        if line.startswith("events:"):
            names = line.split()[1:]
        elif line.startswith("totals:"):
            totals = [int(x) for x in line.split()[1:]]
    if not names or not totals:
        return None, "no totals in the callgrind output"
    return (res["all_requests"], dict(zip(names, totals))), None


def per_request(name, n, tmp):
    """Events per request, differenced over a 1 s and a 3 s run."""
    short, err = callgrind(name, n, 1.0, tmp)
    if err:
        return {"error": err}
    long_, err = callgrind(name, n, 3.0, tmp)
    if err:
        return {"error": err}
    dreq = long_[0] - short[0]
    if dreq <= 0:
        return {"error": "the longer run completed no more requests"}
    row = {"requests": [short[0], long_[0]]}
    for ev in EVENTS:
        row[ev] = (long_[1].get(ev, 0) - short[1].get(ev, 0)) / dreq
    return row


def cpu_side_by_side(names, sizes, reps, tmp):
    rows = {}
    for n in sizes:
        for rep in range(reps):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for name in order:
                res, err = run.fanout_run(name, n, 1.0, 0.3, tmp)
                cell = rows.setdefault((n, name), {"cpu": [], "rps": [], "errors": []})
                if err:
                    cell["errors"].append(err)
                    run.log("N=%-5d %-12s %s" % (n, name, err))
                    continue
                cell["cpu"].append(res["cpu_us_per_req"])
                cell["rps"].append(res["rps"])
                run.log("N=%-5d %-12s %6.2f us/request  %8.0f req/s"
                        % (n, name, res["cpu_us_per_req"], res["rps"]))
    return rows


def report(m, names, sizes, cg, sc, cpu_sizes, cpu, args):
    lines = ["## Per-request cost of request/reply: aserial against the floor", "",
             "Measured %s on %s (%d CPUs, load average %s at the start); aserial %s. "
             "Command: `%s`." % (m["date"], m["cpu"], m["cpus"], " ".join(m["loadavg"]),
                                m["commit"], args), ""]
    lines += ["### Instructions, cache misses and system calls per request", "",
              "Callgrind, event loop only, the difference between a 3 s and a 1 s run "
              "divided by the difference in requests completed; `D1 misses` are the "
              "simulated first-level data-cache misses (reads + writes), `LL` a simulated "
              "2 MiB last level (user space only). System calls: "
              "`strace -c -f` over a whole run.", "",
              "| N | client | user instructions | ratio to floor | D1 misses | "
              "2 MiB LL misses | system calls per request |", "|---:|---|---:|---:|---:|---:|---|"]
    for n in sizes:
        base = cg.get((n, "floor"), {}).get("Ir")
        for name in names:
            r = cg.get((n, name), {})
            if "error" in r:
                lines.append("| %d | %s | cannot run: %s | | | | |" % (n, name, r["error"]))
                continue
            ratio = "%.2f×" % (r["Ir"] / base) if base else "–"
            lines.append("| %d | %s | %.0f | %s | %.1f | %.2f | %s |" % (
                n, name, r["Ir"], ratio, r["D1mr"] + r["D1mw"], r["DLmr"] + r["DLmw"],
                sc.get((n, name), "–")))
    lines += ["", "### Client CPU per request, side by side", "",
              "User + system time of the client over the 1 s window divided by the requests "
              "it completed; the contenders interleaved %d times, responder and client "
              "pinned to separate CPUs. Least of the runs (ratio to the floor's least), "
              "then every run, lowest first." % args_reps(cpu), "",
              "| N | client | least µs | ratio | every run, µs | best requests/s |",
              "|---:|---|---:|---:|---|---:|"]
    for n in cpu_sizes:
        fl = cpu.get((n, "floor"), {}).get("cpu") or [0]
        for name in names:
            c = cpu.get((n, name), {"cpu": [], "rps": []})
            if not c["cpu"]:
                lines.append("| %d | %s | cannot run | | | |" % (n, name))
                continue
            v = sorted(c["cpu"])
            lines.append("| %d | %s | %.2f | %.3f× | %s | %.0f |" % (
                n, name, v[0], v[0] / min(fl) if min(fl) else 0,
                " ".join("%.2f" % x for x in v), max(c["rps"])))
    return "\n".join(lines) + "\n"


def args_reps(cpu):
    return max((len(c["cpu"]) + len(c["errors"]) for c in cpu.values()), default=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="16,1024", help="N for callgrind and strace")
    ap.add_argument("--cpu-sizes", default="16,64,256,1024", help="N for the CPU runs")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--extra", action="append", default=[],
                    help="NAME=PATH: one more client taking aserial_async's arguments")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--name", default="hotpath", help="results/NAME.md and NAME.json")
    args = ap.parse_args()
    names = ["floor", "aserial"]
    for e in args.extra:
        k, v = e.split("=", 1)
        run.CONTENDERS[k] = ((lambda v=v: [v]), None)
        names.append(k)
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        run.PIN["responder"] = ["taskset", "-c", str(cpus[0])]
        run.PIN["client"] = ["taskset", "-c", str(cpus[1])]
    if not args.no_build:
        run.build()
    machine = run.machine()
    sizes = [int(x) for x in args.sizes.split(",") if x]
    cpu_sizes = [int(x) for x in args.cpu_sizes.split(",") if x]
    old = run.prepare_limits(max(sizes + cpu_sizes + [1000]), [])
    cg, sc = {}, {}
    try:
        with tempfile.TemporaryDirectory(prefix="aserial-hotpath-") as tmp:
            for n in sizes:
                for name in names:
                    cg[(n, name)] = per_request(name, n, tmp)
                    sc[(n, name)] = analyse.strace(name, n, tmp)
                    run.log("N=%-5d %-12s %s; syscalls %s" % (n, name, cg[(n, name)],
                                                              sc[(n, name)]))
            cpu = cpu_side_by_side(names, cpu_sizes, args.reps, tmp)
    finally:
        run.kill_all()
        if old is not None:
            with open("/proc/sys/kernel/pty/max", "w") as f:
                f.write(str(old))
    cmd = " ".join(["/usr/bin/python3 bench/hotpath.py"] + sys.argv[1:])
    md = report(machine, names, sizes, cg, sc, cpu_sizes, cpu, cmd)
    out = os.path.join(run.BENCH, "results")
    with open(os.path.join(out, args.name + ".md"), "w") as f:
        f.write(md)
    with open(os.path.join(out, args.name + ".json"), "w") as f:
        json.dump({"machine": machine,
                   "callgrind": [dict(n=k[0], client=k[1], **v) for k, v in cg.items()],
                   "syscalls": [dict(n=k[0], client=k[1], text=v) for k, v in sc.items()],
                   "cpu": [dict(n=k[0], client=k[1], **v) for k, v in cpu.items()]},
                  f, indent=1)
    print(md)


if __name__ == "__main__":
    main()
