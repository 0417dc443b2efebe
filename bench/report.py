"""report.py: turns run.py's raw results into bench/results/latest.json,
latest.csv, latest.md and latest.png (gnuplot), and puts the markdown
tables into bench/README.md between the "bench:latest" markers.

    /usr/bin/python3 bench/report.py [results/latest.json]   (re-render only)"""
import csv
import json
import os
import statistics
import subprocess
import sys

ORDER = ["floor", "aserial", "aserial-uv", "aserial-sync", "gensio", "pyserial-asyncio",
         "pyserial-threads", "aserial-py-asyncio", "aserial-py-uvloop", "aserial-py-trio"]
BEGIN, END = "<!-- bench:latest:begin -->", "<!-- bench:latest:end -->"


def short(err):
    """A cell-sized reason; the full one is listed under the table."""
    if err.startswith("n/a"):
        return "n/a: one port"
    if "out of range in select" in err:
        return "cannot run: select() limit"
    if "timeout" in err or "no progress" in err:
        return "cannot run: timed out"
    return "cannot run: " + err[:40]


def fanout_cells(rows):
    """(contender, n) -> dict of medians, or {"error": ...}."""
    cells = {}
    for key in {(r["contender"], r["n"]) for r in rows}:
        ok = [r for r in rows if (r["contender"], r["n"]) == key and "error" not in r]
        bad = [r for r in rows if (r["contender"], r["n"]) == key and "error" in r]
        if not ok:
            cells[key] = {"error": bad[0]["error"]}
            continue
        best = max(ok, key=lambda r: r["rps"])  # interference only slows a run down
        cells[key] = {"rps": best["rps"], "p50": best["p50_us"], "p99": best["p99_us"],
                      "cpu": min(r.get("cpu_us_per_req", 0) for r in ok),
                      "median_rps": statistics.median(r["rps"] for r in ok), "runs": len(ok)}
    return cells


def header(d):
    m = d["machine"]
    lines = ["Measured %s on %s (%s CPUs), Linux %s, load average %s at start; "
             "aserial %s, %s. Each cell: the fastest of %d runs of %.1f s (after %.1f s "
             "warm-up; all runs and medians are in latest.json), contenders interleaved%s; "
             "ratios are to the floor of the same run."
             % (m["date"], m["cpu"], m["cpus"], m["kernel"], " ".join(m["loadavg"]),
                m["commit"], m["python"], d["reps"], d["seconds"], d["warmup"],
                ", responder and client pinned to one CPU each" if d.get("pinned") else "")]
    if d.get("notes"):
        lines.append("")
    for n in d.get("notes", []):
        lines.append("- " + n + ".")
    return "\n".join(lines)


def fanout_md(d, cells):
    sizes = d["sizes"]
    names = [c for c in ORDER if any(k[0] == c for k in cells)]
    out = ["### 1. Fan-out request/reply: requests per second (ratio to floor)", "",
           "| N | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]
    reasons = {}
    for n in sizes:
        floor = cells.get(("floor", n), {}).get("rps")
        row = []
        for c in names:
            cell = cells.get((c, n))
            if cell is None:
                row.append("not run")
            elif "error" in cell:
                row.append(short(cell["error"]))
                reasons.setdefault(c, (n, cell["error"]))
            else:
                ratio = " (%.2f×)" % (cell["rps"] / floor) if floor else ""
                row.append("%s%s" % (format(round(cell["rps"]), ","), ratio))
        out.append("| %d | %s |" % (n, " | ".join(row)))
    out += ["", "Round-trip latency of that fastest run, p50 / p99 in µs:", "",
            "| N | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]
    for n in sizes:
        row = []
        for c in names:
            cell = cells.get((c, n))
            row.append("–" if not cell or "error" in cell else
                       "%.0f / %.0f" % (cell["p50"], cell["p99"]))
        out.append("| %d | %s |" % (n, " | ".join(row)))
    out += ["", "Client CPU per request, least of the runs, µs of user + system time in the "
            "window (ratio to floor; on a saturated CPU requests per second follow its "
            "inverse):", "",
            "| N | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]
    for n in sizes:
        floor = cells.get(("floor", n), {}).get("cpu")
        row = []
        for c in names:
            cell = cells.get((c, n))
            row.append("–" if not cell or "error" in cell or not cell["cpu"] else
                       "%.2f%s" % (cell["cpu"], " (%.2f×)" % (cell["cpu"] / floor) if floor else ""))
        out.append("| %d | %s |" % (n, " | ".join(row)))
    if reasons:
        out += ["", "Cells that could not run (first size where it happened, detected by "
                "running it):", ""]
        out += ["- %s at N = %d: %s" % (c, n, e) for c, (n, e) in reasons.items()]
    return out


def bulk_md(rows):
    out = ["### 2. Bulk throughput through a virtual pair, MB/s (ratio to floor pair)", "",
           "| pair | one way | both ways (sum) |", "|---|---:|---:|"]
    med = {}
    for r in rows:
        if "error" not in r:
            med.setdefault((r["pair"], r["mode"]), []).append(r["total_MBps"])
    for name in ("floor", "aserial", "socat"):
        row = []
        for mode in ("one", "both"):
            v = med.get((name, mode))
            f = med.get(("floor", mode))
            if not v:
                errs = [r["error"] for r in rows if r["pair"] == name and "error" in r]
                row.append("cannot run: " + (errs[0][:60] if errs else "?"))
                continue
            m = statistics.median(v)
            row.append("%.1f%s" % (m, " (%.2f×)" % (m / statistics.median(f)) if f else ""))
        out.append("| %s | %s |" % (name, " | ".join(row)))
    return out


def cancel_md(rows):
    out = ["### 3. Cancellation latency, µs (deadline 1 ms, 500 samples each)", "",
           "| measured | timer slack | p50 | p99 | p99 / floor p99 |", "|---|---:|---:|---:|---:|"]
    labels = [("timeout", "aser_read timeout: deadline → callback"),
              ("timer_cancel", "timer + aser_cancel: deadline → callback"),
              ("cancel_call", "aser_cancel() call → callback"),
              ("floor", "floor: bare epoll_pwait2 deadline → return")]
    for r in rows:
        if "error" in r:
            out.append("| cancel | %s | cannot run: %s | | |" % (r.get("timer_slack_ns"), r["error"]))
            continue
        slack = "%g µs" % (r["timer_slack_ns"] / 1000)
        for key, label in labels:
            ratio = r[key + "_p99_us"] / r["floor_p99_us"] if r["floor_p99_us"] else 0
            out.append("| %s | %s | %.1f | %.1f | %s |" % (
                label, slack, r[key + "_p50_us"], r[key + "_p99_us"],
                "%.2f×" % ratio if key != "cancel_call" else "–"))
    return out


def portcost_md(rows):
    out = ["### 4. Cost per port", "",
           "| open ports | resident memory per idle port | heap asked per port | "
           "heap calls per request (steady state) | requests counted |",
           "|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            out.append("| %d | cannot run: %s | | | |" % (r["n"], r["error"]))
        else:
            out.append("| %d | %.0f B (%.1f KiB) | %.0f B | %.4f | %d |" % (
                r["n"], r["rss_per_port_bytes"], r["rss_per_port_bytes"] / 1024,
                r["heap_asked_per_port_bytes"], r["allocs_per_req"], r["requests"]))
    return out


def plot(d, cells, outdir, name):
    names = [c for c in ORDER if any(k[0] == c for k in cells)]
    dat = os.path.join(outdir, name + "-plot.dat")
    with open(dat, "w") as f:
        f.write("# N " + " ".join(names) + "\n")
        for n in d["sizes"]:
            vals = [cells.get((c, n), {}).get("rps") for c in names]
            f.write("%d %s\n" % (n, " ".join("NaN" if v is None else "%.1f" % v for v in vals)))
    m = d["machine"]
    cmds = ["set terminal pngcairo size 960,600 font 'sans,10'",
            "set output '%s'" % os.path.join(outdir, name + ".png"),
            'set title "aserial fan-out request/reply over pseudo-terminals\\n%s, %s, Linux %s"'
            % (m["date"], m["cpu"], m["kernel"]),
            "set logscale x 2", "set logscale y 10", "set xlabel 'ports (N)'", "set ylabel 'requests per second'",
            "set key outside right", "set grid", "set datafile missing 'NaN'",
            "set xtics (%s)" % ", ".join("'%d' %d" % (n, n) for n in d["sizes"]),
            "plot " + ", ".join("'%s' using 1:%d with linespoints lw 2 title '%s'" % (dat, i + 2, c)
                                for i, c in enumerate(names))]
    r = subprocess.run(["gnuplot"], input="\n".join(cmds), text=True, capture_output=True)
    if r.returncode:
        print("report: gnuplot failed: " + r.stderr, file=sys.stderr)


def write_csv(d, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["workload", "contender", "n_or_mode", "rep", "value", "unit", "p50_us",
                    "p99_us", "error", "date", "kernel", "cpu"])
        m = d["machine"]
        tail = [m["date"], m["kernel"], m["cpu"]]
        for r in d.get("fanout", []):
            w.writerow(["fanout", r["contender"], r["n"], r["rep"], r.get("rps", ""), "req/s",
                        r.get("p50_us", ""), r.get("p99_us", ""), r.get("error", "")] + tail)
        for r in d.get("bulk", []):
            w.writerow(["bulk", r["pair"], r["mode"], r["rep"], r.get("total_MBps", ""),
                        "MB/s", "", "", r.get("error", "")] + tail)
        for r in d.get("cancel", []):
            for k in ("timeout", "timer_cancel", "cancel_call", "floor"):
                w.writerow(["cancel", k, "slack=%s" % r.get("timer_slack_ns"), 0, "", "",
                            r.get(k + "_p50_us", ""), r.get(k + "_p99_us", ""),
                            r.get("error", "")] + tail)
        for r in d.get("portcost", []):
            w.writerow(["portcost", "aserial", r["n"], 0, r.get("rss_per_port_bytes", ""),
                        "bytes/port", "", "", r.get("error", "")] + tail)
            w.writerow(["portcost", "aserial", r["n"], 0, r.get("allocs_per_req", ""),
                        "allocs/request", "", "", r.get("error", "")] + tail)


def write_all(d, outdir, readme, name="latest"):
    """Writes <name>.{json,csv,md,png}; readme (if given) gets the tables."""
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, name + ".json"), "w") as f:
        json.dump(d, f, indent=1)
    write_csv(d, os.path.join(outdir, name + ".csv"))
    cells = fanout_cells(d.get("fanout", []))
    md = ["## Latest results", "", header(d), ""]
    if cells:
        md += fanout_md(d, cells) + ["", "![requests per second vs ports](results/%s.png)" % name, ""]
        plot(d, cells, outdir, name)
    if d.get("bulk"):
        md += bulk_md(d["bulk"]) + [""]
    if d.get("cancel"):
        md += cancel_md(d["cancel"]) + [""]
    if d.get("portcost"):
        md += portcost_md(d["portcost"]) + [""]
    md.append("Whole run: %.0f s." % d.get("elapsed_s", 0))
    text = "\n".join(md) + "\n"
    with open(os.path.join(outdir, name + ".md"), "w") as f:
        f.write(text)
    if readme and os.path.exists(readme):
        with open(readme) as f:
            old = f.read()
        if BEGIN in old and END in old:
            new = old[:old.index(BEGIN) + len(BEGIN)] + "\n" + text + old[old.index(END):]
            with open(readme, "w") as f:
                f.write(new)
    return text


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "results", "latest.json")
    with open(src) as f:
        data = json.load(f)
    print(write_all(data, os.path.join(here, "results"), os.path.join(here, "README.md")))
