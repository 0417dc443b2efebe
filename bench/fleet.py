"""fleet.py: one client process driving many remote ports (issue 24).

    /usr/bin/python3 bench/fleet.py [--sizes 100,1000,10000] [--kinds sim,rfc2217,ws,mqtt]
                                    [--rounds 20]

Needs build/ (meson); builds bench/build/fleet (and responder, for pty)
with gcc. The devices are sim:NAME ports (src/transport/sim.c: an
instrument inside the port answering "PING x" with "PONG x", no pty), so
N is not bounded by the kernel's 4,096 pseudo-terminals. For each size N
and kind:
  sim      the client opens sim:p0..sim:pN-1 itself (the local baseline)
  pty      N pseudo-terminals of bench/build/responder opened by the
           client (the old baseline; at most ~4,000 on one machine)
  rfc2217  `aserial serve --file` processes of 1,000 sim: exports each,
           one TCP listener per export
  ws       `aserial serve --file --web` processes of 1,000 exports each on
           one web listener, ws://HOST:PORT/ws/NAME
  mqtt     a mosquitto broker on loopback and `aserial serve --file --mqtt`
           gateway processes of 1,000 exports each; the client opens
           mqtt://127.0.0.1:PORT/fleet/NAME
and runs bench/build/fleet: every port answering one query per round,
all at once, ROUNDS rounds. Reported per row: client CPU per request (us),
client memory per port (KiB of VmRSS after the opens), wall time per round.
The client's mqtt:// ports share one broker session (transport/mqtt_link.c):
one descriptor a port (its wake-up eventfd) and 3 for the session (the
broker socket and libmosquitto's socketpair); each gateway export holds 5
in its serve process and the broker about 1 per export: the script raises
its descriptor limit (soft and, as root, hard) to 65,536, or as far as the
hard limit goes, before it starts anything, so the processes inherit it.
Results: bench/results/fleet.md and fleet.json (with the command)."""
import argparse
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "bench", "build")
A = os.path.join(ROOT, "build", "tools", "aserial", "aserial")
PER_SERVE = {"rfc2217": 1000, "ws": 1000, "mqtt": 1000}
FDS_PER_PORT = {"sim": 1, "pty": 1, "rfc2217": 1, "ws": 1, "mqtt": 1}  # in the client (+ 64 spare)
FDS = 65536
procs = []


def build():
    os.makedirs(BIN, exist_ok=True)
    cc = ["gcc", "-O2", "-g", "-Wall", "-Wextra", "-I" + os.path.join(ROOT, "include"),
          "-I" + os.path.join(ROOT, "build", "include")]
    deps = subprocess.run(["pkg-config", "--libs", "libmosquitto", "openssl"],
                          capture_output=True, text=True).stdout.split()
    for name, extra in (("responder", []),
                        ("fleet", [os.path.join(ROOT, "build", "libaserial.a"), "-lpthread"] + deps)):
        out = os.path.join(BIN, name)
        src = os.path.join(ROOT, "bench", name + ".c")
        if os.path.exists(out) and os.path.getmtime(out) > os.path.getmtime(src) and name != "fleet":
            continue
        r = subprocess.run(cc + ["-o", out, src] + extra, capture_output=True, text=True)
        if r.returncode:
            sys.exit("fleet: building %s failed:\n%s" % (name, r.stderr))


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, FDS), max(hard, FDS)))
    except (ValueError, OSError):  # not root: as far as the hard limit goes
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start(args, **kw):
    p = subprocess.Popen(args, start_new_session=True, **kw)
    procs.append(p)
    return p


def stop_all():
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except OSError:
            pass
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
    procs.clear()


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def serve_chunks(kind, paths, tmp, broker):
    """Start serve processes for paths (sim:pI); return the URLs, in order."""
    urls = []
    per = PER_SERVE[kind]
    for c0 in range(0, len(paths), per):
        chunk = paths[c0:c0 + per]
        fn = os.path.join(tmp, "%s-%d.exports" % (kind, c0))
        with open(fn, "w") as f:
            for i, p in enumerate(chunk):
                name = "p%d" % (c0 + i)
                if kind == "rfc2217":
                    f.write("%s 127.0.0.1:0 rfc2217 name=%s\n" % (p, name))
                else:
                    f.write("%s - name=%s\n" % (p, name))
        args = [A, "serve", "--file", fn, "--quiet"]
        if kind == "ws":
            args += ["--web", "127.0.0.1:0"]
        if kind == "mqtt":
            args += ["--mqtt", "mqtt://127.0.0.1:%d/fleet" % broker]
        p = start(args, stdout=subprocess.PIPE, stderr=open(fn + ".log", "w"), text=True)
        got, web = [], None
        want = len(chunk) if kind != "ws" else len(chunk) + 1
        while len(got) < want:
            line = p.stdout.readline()
            if not line:
                sys.exit("fleet: serve ended early (%s): %s" % (kind, open(fn + ".log").read()[-400:]))
            got.append(line.strip())
            if line.startswith("web console on http://"):
                web = line.split("http://")[1].strip().rstrip("/")
        if kind == "rfc2217":
            for line in got:  # serving PATH on 127.0.0.1:PORT (rfc2217)
                urls.append("rfc2217://" + line.split(" on ")[1].split(" ")[0])
        elif kind == "ws":
            urls += ["ws://%s/ws/p%d" % (web, c0 + i) for i in range(len(chunk))]
        else:
            urls += ["mqtt://127.0.0.1:%d/fleet/p%d" % (broker, c0 + i) for i in range(len(chunk))]
    if kind == "mqtt":  # every gateway connected: its retained status is there
        end = time.time() + 600
        while time.time() < end:
            r = subprocess.run([A, "list", "mqtt://127.0.0.1:%d/fleet" % broker, "--json"],
                               capture_output=True, text=True)
            try:
                if sum(1 for e in json.loads(r.stdout) if e["state"] == "online") >= len(paths):
                    break
            except ValueError:
                pass
            time.sleep(0.2)
    return urls


def run_fleet(urls, rounds, tmp):
    fn = os.path.join(tmp, "urls")
    with open(fn, "w") as f:
        f.write("\n".join(urls) + "\n")
    r = subprocess.run([os.path.join(BIN, "fleet"), str(rounds), fn], capture_output=True,
                       text=True, timeout=1800)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": (r.stdout + r.stderr)[-400:]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000")
    ap.add_argument("--kinds", default="sim,rfc2217,ws,mqtt")
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    raise_fd_limit()
    build()
    rows = []
    tmp = tempfile.mkdtemp(prefix="aser-fleet-")
    broker_port = free_port()
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
                "set_tcp_nodelay true\n" % broker_port)
    try:
        for n in [int(x) for x in args.sizes.split(",")]:
            for kind in args.kinds.split(","):
                need = FDS_PER_PORT[kind] * n + 64
                limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
                if need > limit:  # said, not worked around: see docs/mqtt.md, Descriptors
                    res = {"kind": kind, "n": n, "error": "not run: the client needs %d descriptors"
                           " (%d a port), this machine allows %d" % (need, FDS_PER_PORT[kind],
                                                                     limit)}
                    rows.append(res)
                    print(json.dumps(res), flush=True)
                    continue
                resp = None
                if kind == "pty":  # a fresh responder each time: it drops a closed pty
                    resp = start([os.path.join(BIN, "responder"), str(n)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
                    paths = [resp.stdout.readline().strip() for _ in range(n)]
                else:
                    paths = ["sim:p%d" % i for i in range(n)]
                broker = None
                if kind == "mqtt":
                    broker = start([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", conf],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(0.5)  # (bench, not a test: the broker's start)
                local = kind in ("pty", "sim")
                urls = paths if local else serve_chunks(kind, paths, tmp, broker_port)
                res = run_fleet(urls, args.rounds, tmp)
                res.update(kind=kind, n=n)
                rows.append(res)
                print(json.dumps(res), flush=True)
                for p in list(procs):
                    if p is not resp:
                        try:
                            os.killpg(p.pid, signal.SIGTERM)
                            p.wait(20)
                        except (OSError, subprocess.TimeoutExpired):
                            pass
                        procs.remove(p)
                if resp:
                    resp.stdin.close()
                stop_all()
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    report(rows, args)


def report(rows, args):
    out = os.path.join(ROOT, "bench", "results")
    cmd = "/usr/bin/python3 bench/fleet.py --sizes %s --kinds %s --rounds %d" % (
        args.sizes, args.kinds, args.rounds)
    with open(os.path.join(out, "fleet.json"), "w") as f:
        json.dump({"command": cmd, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                   "machine": "%s, %d CPUs" % (platform.platform(), os.cpu_count()),
                   "rows": rows}, f, indent=1)
    lines = ["# One client, many remote ports (issue 24)", "",
             "Command: `%s` (%s; %s, %d CPUs shared with other work: figures are"
             " indicative)." % (cmd, time.strftime("%Y-%m-%d", time.gmtime()),
                                platform.machine(), os.cpu_count()), "",
             "Every port answers one query per round, all ports at once; %d rounds after an"
             " uncounted first round (which waits for the connects). CPU is the client"
             " process's user+system time over the rounds; memory is its VmRSS growth from"
             " before the first open to after the first round, per port." % args.rounds, "",
             "| kind | ports | opened | failed | client CPU / request (us) | client KiB / port"
             " | wall / round (ms) | open + first round (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append("| %s | %d | - | - | - | - | - | %s |" % (r["kind"], r["n"],
                                                                 r["error"].replace("|", "/")[:120]))
            continue
        req = max(r["requests"], 1)
        lines.append("| %s | %d | %d | %d | %.1f | %.1f | %.1f | %.2f |" % (
            r["kind"], r["ports"], r["opened"], r["failed"] + r["first_round_failed"],
            r["cpu_s"] * 1e6 / req, (r["rss_kb_open"] - r["rss_kb_before"]) / max(r["ports"], 1),
            r["wall_s"] * 1000 / max(args.rounds, 1), r["open_s"]))
    errs = [r for r in rows if r.get("first_error")]
    if errs:
        lines += ["", "First errors:", ""]
        lines += ["- %s %d: %s" % (r["kind"], r["n"], r["first_error"]) for r in errs]
    with open(os.path.join(out, "fleet.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
