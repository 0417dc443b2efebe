"""netbench.py: workload 5 (issue 7): request/reply through a serial
device server, `aserial serve` against ser2net, in one run.

    client (aserial_async, tcp:// or rfc2217:// URLs)
      -> server (aserial serve --file, or ser2net -c YAML), one export per pty
      -> the epoll responder's pseudo-terminals

The same client, the same responder and the same N for both servers, raw
TCP and RFC 2217; runs interleaved; each cell is the fastest of --reps runs
(load from others only ever slows a run down). Ratios are to ser2net in the
same run. Writes bench/results/net.{json,md}. Run from the repository root
with /usr/bin/python3 after bench/run.py has built bench/build/.

Every process runs under `timeout` in its own process group and is killed by
its id on the way out."""
import argparse
import json
import os
import signal
import socket
import sys
import tempfile
import time

import run

# ser2net's defaults include chardelay (it holds serial data a few character
# times before sending it on); "ser2net-nodelay" turns that off, so the
# comparison is made both with the defaults people run and without it.
SERVERS = ("aserial-serve", "ser2net", "ser2net-nodelay")
MODES = ("raw", "rfc2217")


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def listening(ports, limit=10.0):
    """All ports listening (read from /proc, without connecting)."""
    want, end = set(ports), time.monotonic() + limit
    while time.monotonic() < end:
        seen = set()
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[3] == "0A":
                    seen.add(int(fields[1].rsplit(":", 1)[1], 16))
        if want <= seen:
            return True
        time.sleep(0.05)
    return False


def server_cmd(server, mode, paths, ports, tmp):
    if server == "aserial-serve":
        conf = os.path.join(tmp, "exports")
        with open(conf, "w") as f:
            for path, port in zip(paths, ports):
                f.write("%s 127.0.0.1:%d %s max-clients=1\n" % (path, port, mode))
        return [os.path.join(run.ROOT, "build", "tools", "aserial", "aserial"), "serve",
                "--file", conf]
    conf = os.path.join(tmp, "ser2net.yaml")
    acc = "telnet(rfc2217),tcp" if mode == "rfc2217" else "tcp"
    opts = "  options:\n    chardelay: false\n" if server == "ser2net-nodelay" else ""
    with open(conf, "w") as f:
        f.write("%YAML 1.1\n---\n")
        for i, (path, port) in enumerate(zip(paths, ports)):
            f.write("connection: &c%d\n  accepter: %s,127.0.0.1,%d\n"
                    "  connector: serialdev,%s,115200n81,local\n%s"
                    % (i, acc, port, path, opts))
    return ["ser2net", "-n", "-d", "-u", "-c", conf, "-P", os.path.join(tmp, "ser2net.pid")]


def one_run(server, mode, n, secs, warm, tmp):
    limit = 30 + secs + warm + n / 20
    resp = run.start([os.path.join(run.BIN, "responder"), str(n)], limit + 30,
                     stdin=run.subprocess.PIPE, stdout=run.subprocess.PIPE,
                     stderr=run.subprocess.PIPE)
    srv = None
    try:
        paths = run.read_lines(resp, n, 30)
        if paths is None:
            return None, "responder gave no paths"
        ports = free_ports(n)
        srv = run.start(server_cmd(server, mode, paths, ports, tmp), limit + 20,
                        stdout=run.subprocess.DEVNULL, stderr=run.subprocess.PIPE)
        if not listening(ports):
            return None, "%s did not listen" % server
        urls = os.path.join(tmp, "urls")
        scheme = "rfc2217" if mode == "rfc2217" else "tcp"
        with open(urls, "w") as f:
            f.write("".join("%s://127.0.0.1:%d\n" % (scheme, p) for p in ports))
        return run.run_json([os.path.join(run.BIN, "aserial_async"), urls, str(n),
                             str(secs), str(warm)], limit)
    finally:
        if srv is not None:
            os.killpg(srv.pid, signal.SIGTERM)
            run.stop(srv)
        resp.stdin.close()
        run.stop(resp)


def table(rows, sizes):
    out = ["### 5. Request/reply through a serial server: requests per second "
           "(ratio to ser2net with its defaults)", "",
           "Client: aserial (async, built-in loop) with `tcp://` or `rfc2217://` "
           "URLs; server: `aserial serve --file` or ser2net 4, one export per "
           "pseudo-terminal of the same epoll responder.", "",
           "| N | mode | ser2net (defaults) | ser2net, chardelay off | aserial serve "
           "| p99: ser2net / nodelay / aserial serve |",
           "|---:|---|---:|---:|---:|---|"]
    for n in sizes:
        for mode in MODES:
            cell = {s: rows.get((s, mode, n)) for s in SERVERS}
            base = cell["ser2net"]
            def fmt(r, ratio=False):
                if r is None:
                    return "–"
                if "error" in r:
                    return "cannot run: " + r["error"]
                if ratio and base and "rps" in base:
                    return "%.0f (%.2f×)" % (r["rps"], r["rps"] / base["rps"])
                return "%.0f" % r["rps"]
            def p99(r):
                return "%.0f µs" % r["p99_us"] if r and "p99_us" in r else "–"
            out.append("| %d | %s | %s | %s | %s | %s / %s / %s |" % (
                n, mode, fmt(base), fmt(cell["ser2net-nodelay"], True),
                fmt(cell["aserial-serve"], True), p99(base), p99(cell["ser2net-nodelay"]),
                p99(cell["aserial-serve"])))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1,16")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--warmup", type=float, default=0.3)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    best = {}
    with tempfile.TemporaryDirectory(prefix="aserial-netbench-") as tmp:
        try:
            for n in sizes:
                for rep in range(args.reps):
                    for mode in MODES:
                        order = SERVERS if rep % 2 == 0 else SERVERS[::-1]
                        for server in order:
                            res, err = one_run(server, mode, n, args.seconds, args.warmup, tmp)
                            key = (server, mode, n)
                            if err:
                                run.log("N=%-4d %-7s %-13s cannot run: %s" % (n, mode, server, err))
                                best.setdefault(key, {"error": err})
                                continue
                            run.log("N=%-4d %-7s %-13s %9.0f req/s  p99 %7.1f us"
                                    % (n, mode, server, res["rps"], res["p99_us"]))
                            old = best.get(key)
                            if old is None or "error" in old or res["rps"] > old["rps"]:
                                best[key] = res
        finally:
            run.kill_all()
    md = table(best, sizes)
    res_dir = os.path.join(run.BENCH, "results")
    with open(os.path.join(res_dir, "net.md"), "w") as f:
        f.write(md)
    with open(os.path.join(res_dir, "net.json"), "w") as f:
        json.dump([{**v, "server": k[0], "mode": k[1], "n": k[2]} for k, v in best.items()],
                  f, indent=1)
    print(md)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
