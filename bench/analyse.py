"""analyse.py: where the time goes, per request, floor against aserial
(`make -f bench/bench.mk bench-analyse`; run after run.py has built).

For each N: `strace -c -f` gives system calls per request (the counts over
the whole run divided by every request completed, warm-up included), and
`valgrind --tool=callgrind --toggle-collect=<event loop>` gives user-space
instructions per request inside the event loop (set-up and the percentile
sort excluded), with the costliest functions. Writes results/analysis.md.

    /usr/bin/python3 bench/analyse.py [--sizes 1,256] [--only floor,aserial,gensio]"""
import argparse
import os
import re
import subprocess
import tempfile

import run

LOOP_FN = {"floor": "serve", "aserial": "aser_loop_run", "aserial-uv": "uv_run",
           "gensio": "gensio_os_funcs_service"}
HOT = ("read", "write", "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl",
       "clock_gettime", "ioctl", "poll", "select", "pselect6", "timerfd_settime")


def strace(name, n, tmp):
    out = os.path.join(tmp, "strace.txt")
    res, err = run.fanout_run(name, n, 2, 0.3, tmp, ["strace", "-c", "-f", "-o", out], 30)
    if err:
        return "cannot run: " + err
    total = res["all_requests"]
    calls = {}
    for line in open(out):
        p = line.split()
        if len(p) >= 5 and re.match(r"^[\d.]+$", p[0]) and p[-1] in HOT:
            calls[p[-1]] = int(p[3])
    per = {k: v / total for k, v in calls.items() if v / total >= 0.005}
    return "%.2f (%s)" % (sum(per.values()), ", ".join(
        "%s %.2f" % kv for kv in sorted(per.items(), key=lambda kv: -kv[1])))


def callgrind(name, n, tmp):
    out = os.path.join(tmp, "cg.out")
    wrap = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
            "--toggle-collect=" + LOOP_FN[name], "--callgrind-out-file=" + out]
    res, err = run.fanout_run(name, n, 3, 0.5, tmp, wrap, 120)
    if err:
        return "cannot run: " + err, []
    total = res["all_requests"]
    ann = subprocess.run(["callgrind_annotate", "--inclusive=no", out], text=True,
                         capture_output=True).stdout
    m = re.search(r"^([\d,]+) .*PROGRAM TOTALS", ann, re.M)
    ir = int(m.group(1).replace(",", "")) if m else 0
    top = []
    for line in ann.split("file:function", 1)[-1].splitlines():
        f = re.match(r"^\s*([\d,]+) \([\s\d.]+%\)\s+(\S+)", line)
        if f and len(top) < 6:
            fn = f.group(2).split(":")[-1]
            top.append("%s %d" % (fn, int(f.group(1).replace(",", "")) / total))
    return "%d" % (ir / total), top


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,256")
    ap.add_argument("--only", default="floor,aserial,gensio")
    args = ap.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        run.PIN["responder"] = ["taskset", "-c", str(cpus[0])]
        run.PIN["client"] = ["taskset", "-c", str(cpus[1])]
    lines = ["## Analysis: per request, floor against aserial", "",
             "Measured %s; aserial %s." % (run.machine()["date"], run.machine()["commit"]), "",
             "| N | contender | system calls per request (strace -c) | user instructions "
             "per request in the loop (callgrind) | costliest functions (Ir per request) |",
             "|---:|---|---|---:|---|"]
    try:
        with tempfile.TemporaryDirectory(prefix="aserial-analyse-") as tmp:
            for n in [int(x) for x in args.sizes.split(",")]:
                for name in args.only.split(","):
                    sc = strace(name, n, tmp)
                    ir, top = callgrind(name, n, tmp)
                    lines.append("| %d | %s | %s | %s | %s |" % (n, name, sc, ir, ", ".join(top)))
                    run.log(lines[-1])
    finally:
        run.kill_all()
    text = "\n".join(lines) + "\n"
    with open(os.path.join(run.BENCH, "results", "analysis.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
