"""run.py: the benchmark driver behind `make bench` (stdlib only; run with
/usr/bin/python3 from the repository root).

Builds the library (meson, build/) and the bench programs (gcc -O2 against
build/libaserial.a, into bench/build/), runs the four workloads of issue 6,
writes bench/results/latest.{json,csv,md,png} and the tables into
bench/README.md (a partial run writes results/partial.* instead).

Every process runs under `timeout` in its own process group and is killed
by its id on the way out, whatever happens."""
import argparse
import datetime
import json
import os
import platform
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time

import report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
BIN = os.path.join(BENCH, "build")
LIB = os.environ.get("BENCH_LIB_BUILD", os.path.join(ROOT, "build"))
PY = "/usr/bin/python3"  # Debian's, where python3-serial(-asyncio) live
LIVE = set()  # process groups to kill on exit
PIN = {"responder": [], "client": []}  # taskset prefixes, set in main()


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True, **kw)


# ---- build -----------------------------------------------------------------

def lib_deps():
    """What the static libaserial.a needs besides pthreads (OpenSSL when the
    build has TLS, libmosquitto when it has MQTT), read from the build's own
    dependency list."""
    try:
        with open(os.path.join(LIB, "meson-info", "intro-dependencies.json")) as f:
            deps = json.load(f)
    except (OSError, ValueError):
        return []
    return [a for d in deps if d.get("name") in ("openssl", "libmosquitto")
            for a in d.get("link_args", [])]


def build():
    if not os.environ.get("BENCH_LIB_BUILD"):
        if not os.path.exists(os.path.join(LIB, "build.ninja")):
            r = sh(["meson", "setup", LIB])
            if r.returncode:
                sys.exit("bench: meson setup failed:\n" + r.stdout + r.stderr)
        r = sh(["ninja", "-C", LIB, "libaserial.a"])
        if r.returncode:
            sys.exit("bench: building libaserial failed:\n" + r.stdout[-3000:] + r.stderr)
        sh(["ninja", "-C", LIB, "adapters/libaserial-uv.a"])  # absent without libuv
    os.makedirs(BIN, exist_ok=True)
    notes = []
    cc = ["gcc", "-O2", "-g", "-Wall", "-Wextra", "-I" + os.path.join(ROOT, "include"),
          "-I" + os.path.join(LIB, "include")]  # the generated aserial/version.h
    lib = [os.path.join(LIB, "libaserial.a"), "-lpthread"] + lib_deps()
    wrap = ["-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free"]
    progs = {"responder": [], "floor": [], "bulk": [], "pair_floor": [],
             "aserial_async": lib, "aserial_sync": lib, "pair_aserial": lib,
             "cancel": lib, "portcost": lib + wrap}
    for name, extra in progs.items():
        r = sh(cc + ["-o", os.path.join(BIN, name), os.path.join(BENCH, name + ".c")] + extra)
        if r.returncode:
            sys.exit("bench: building %s failed:\n%s" % (name, r.stderr))
    # aserial on libuv: the same client, -DBENCH_UV, through the adapter.
    uv_a = os.path.join(LIB, "adapters", "libaserial-uv.a")
    uv = sh(["pkg-config", "--cflags", "--libs", "libuv"])
    r = sh(cc + ["-DBENCH_UV", "-o", os.path.join(BIN, "aserial_uv"),
                 os.path.join(BENCH, "aserial_async.c"), uv_a] + lib + uv.stdout.split()) \
        if os.path.exists(uv_a) and uv.returncode == 0 else None
    if r is None or r.returncode:
        notes.append("aserial-uv not built: " + ("no libuv adapter (%s)" % uv_a if r is None
                                                  else r.stderr.strip()[-200:]))
        if os.path.exists(os.path.join(BIN, "aserial_uv")):
            os.unlink(os.path.join(BIN, "aserial_uv"))
    # gensio: pkg-config first; Debian's libgensio.pc names -lwrap, whose
    # libwrap0-dev is not a dependency, so fall back to the two libraries.
    pc = sh(["pkg-config", "--cflags", "--libs", "libgensio"])
    src = [os.path.join(BENCH, "gensio_client.c")]
    out = ["-o", os.path.join(BIN, "gensio_client")]
    r = sh(cc + out + src + pc.stdout.split()) if pc.returncode == 0 else pc
    if r.returncode:
        r = sh(cc + out + src + ["-lgensioosh", "-lgensio"])
        notes.append("gensio linked with -lgensioosh -lgensio: `pkg-config --libs libgensio` "
                     "names -lwrap, which is not installed (libwrap0-dev)")
    if r.returncode:
        notes.append("gensio_client did not build: " + r.stderr.strip()[-300:])
    return notes


# ---- processes ---------------------------------------------------------------

def start(cmd, limit, **kw):
    """Popen under `timeout`, in its own process group."""
    p = subprocess.Popen(["timeout", "-k", "2", str(int(limit)), *cmd], cwd=ROOT,
                         start_new_session=True, text=True, **kw)
    LIVE.add(p.pid)
    return p


def stop(p, grace=3):
    if p.poll() is None:
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    LIVE.discard(p.pid)


def kill_all():
    for pgid in list(LIVE):
        try:
            os.killpg(pgid, signal.SIGKILL)  # our own groups only, by id
        except ProcessLookupError:
            LIVE.discard(pgid)


def read_lines(p, n, limit):
    """n lines from p's stdout within limit seconds, or None."""
    lines, end, buf = [], time.monotonic() + limit, ""
    fd = p.stdout.fileno()
    while len(lines) < n:
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 16).decode()
        if not chunk:
            return None
        buf += chunk
        *done, buf = buf.split("\n")
        lines += done
    return lines[:n]


def run_json(cmd, limit):
    """Run a client; its last stdout line is JSON. Returns (dict, error)."""
    p = start(cmd, limit, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=limit + 5)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    LIVE.discard(p.pid)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    res = json.loads(lines[-1]) if lines else None
    if res and "error" not in res and p.returncode == 0:
        return res, None
    if res and "error" in res:
        return None, res["error"]
    if p.returncode == 124 or p.returncode == -9:
        return None, "no result within %d s (stopped by timeout)" % limit
    tail = (err.strip().splitlines() or ["exit status %d" % p.returncode])[-1]
    return None, tail[:200]


# ---- workload 1: fan-out request/reply --------------------------------------

CONTENDERS = {  # name -> (command, sizes it can take)
    "floor": (lambda: [os.path.join(BIN, "floor")], None),
    "aserial": (lambda: [os.path.join(BIN, "aserial_async")], None),
    "aserial-uv": (lambda: [os.path.join(BIN, "aserial_uv")], None),
    "aserial-sync": (lambda: [os.path.join(BIN, "aserial_sync")], {1}),
    "gensio": (lambda: [os.path.join(BIN, "gensio_client")], None),
    "pyserial-asyncio": (lambda: [PY, os.path.join(BENCH, "pyserial_asyncio.py")], None),
    "pyserial-threads": (lambda: [PY, os.path.join(BENCH, "pyserial_threads.py")], None),
    # the aserial Python package (python/, from the library's build/python)
    "aserial-py-asyncio": (lambda: [PY, os.path.join(BENCH, "aserial_py.py"), "--backend=asyncio"],
                           None),
    "aserial-py-uvloop": (lambda: [PY, os.path.join(BENCH, "aserial_py.py"), "--backend=uvloop"],
                          None),
    "aserial-py-trio": (lambda: [PY, os.path.join(BENCH, "aserial_py.py"), "--backend=trio"], None),
}
NOT_APPLICABLE = {"aserial-sync": "n/a: the blocking API drives one port per thread"}


def fanout_run(name, n, secs, warm, tmp, wrap=(), slack=0):
    """One run: a fresh responder with n ptys, then the contender (under
    `wrap`, e.g. strace, allowing `slack` more seconds)."""
    prog = CONTENDERS[name][0]()
    if not os.path.exists(prog[1] if prog[0] == PY else prog[0]):
        return None, "not built (see the notes above the tables)"
    limit = 20 + n / 50 + secs + warm + slack
    resp = start(PIN["responder"] + [os.path.join(BIN, "responder"), str(n)], limit + 30,
                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        paths = read_lines(resp, n, 30 + n / 100)
        if paths is None:
            os.killpg(resp.pid, signal.SIGKILL)
            return None, "responder gave no paths: " + (resp.stderr.read() or "?").strip()[:200]
        pf = os.path.join(tmp, "paths")
        with open(pf, "w") as f:
            f.write("\n".join(paths) + "\n")
        cmd = PIN["client"] + list(wrap) + prog + [pf, str(n), str(secs), str(warm)]
        return run_json(cmd, limit)
    finally:
        resp.stdin.close()
        stop(resp)


def fanout(args, sizes, names, tmp):
    rows = []  # one per (contender, n, rep)
    for n in sizes:
        failed = {}
        for rep in range(args.reps):
            order = names[rep % len(names):] + names[:rep % len(names)]  # rotate
            for name in order:
                only = CONTENDERS[name][1]
                if only is not None and n not in only:
                    if rep == 0:
                        rows.append({"contender": name, "n": n, "rep": 0,
                                     "error": NOT_APPLICABLE[name]})
                    continue
                if name in failed:
                    continue  # it could not run this size: once is enough
                res, err = fanout_run(name, n, args.seconds, args.warmup, tmp)
                if err:
                    failed[name] = err
                    rows.append({"contender": name, "n": n, "rep": rep, "error": err})
                    log("N=%-5d %-17s cannot run: %s" % (n, name, err))
                else:
                    res.update(rep=rep)
                    rows.append(res)
                    log("N=%-5d %-17s %10.0f req/s  p50 %8.1f us  p99 %8.1f us"
                        % (n, name, res["rps"], res["p50_us"], res["p99_us"]))
    return rows


# ---- workload 2: bulk throughput through a virtual pair ----------------------

def bulk(args, tmp):
    rows = []
    pairs = {
        "floor": lambda a, b: [os.path.join(BIN, "pair_floor"), a, b, "60"],
        "aserial": lambda a, b: [os.path.join(BIN, "pair_aserial"), a, b, "60"],
        "socat": lambda a, b: ["socat", "-d", "-d", "pty,rawer,echo=0,link=" + a,
                               "pty,rawer,echo=0,link=" + b],
    }
    for rep in range(args.reps):
        for mode in ("one", "both"):
            for name, cmd in pairs.items():
                a, b = os.path.join(tmp, name + "-a"), os.path.join(tmp, name + "-b")
                for link in (a, b):
                    if os.path.lexists(link):
                        os.unlink(link)
                pair = start(cmd(a, b), 60, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    end = time.monotonic() + 10
                    while not (os.path.exists(a) and os.path.exists(b)):
                        if time.monotonic() > end or pair.poll() is not None:
                            break
                        time.sleep(0.02)
                    res, err = run_json([os.path.join(BIN, "bulk"), a, b, mode,
                                         str(args.seconds), str(args.warmup)], 30)
                finally:
                    if pair.poll() is None:
                        os.killpg(pair.pid, signal.SIGTERM)
                    stop(pair)
                row = {"pair": name, "mode": mode, "rep": rep}
                row.update(res or {"error": err})
                rows.append(row)
                log("bulk %-7s %-4s %s" % (name, mode, "%.1f MB/s" % res["total_MBps"]
                                           if res else "cannot run: " + err))
    return rows


# ---- workloads 3 and 4 ----------------------------------------------------------

def cancel():
    rows = []
    for slack in (None, 1):
        cmd = [os.path.join(BIN, "cancel"), "500", "1"] + ([str(slack)] if slack else [])
        res, err = run_json(cmd, 60)
        rows.append(res or {"error": err, "timer_slack_ns": slack})
        log("cancel", json.dumps(res) if res else err)
    return rows


def portcost(n, tmp):
    resp = start([os.path.join(BIN, "responder"), str(n)], 120, stdin=subprocess.PIPE,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        paths = read_lines(resp, n, 60)
        if paths is None:
            return {"n": n, "error": "responder gave no paths"}
        pf = os.path.join(tmp, "paths")
        with open(pf, "w") as f:
            f.write("\n".join(paths) + "\n")
        res, err = run_json([os.path.join(BIN, "portcost"), pf, str(n), "1"], 120)
        log("portcost", json.dumps(res) if res else err)
        return res or {"n": n, "error": err}
    finally:
        resp.stdin.close()
        stop(resp)


# ---- environment ----------------------------------------------------------------

def prepare_limits(biggest, notes):
    """Raise the fd limit to the hard limit; make sure enough ptys exist.
    Returns the pty max to restore at the end (or None)."""
    for h in (65536, resource.getrlimit(resource.RLIMIT_NOFILE)[1]):  # ulimit -n 65536,
        try:                                                          # else the hard limit
            resource.setrlimit(resource.RLIMIT_NOFILE, (h, h))
            break
        except (ValueError, OSError):
            continue
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    notes.append("fd limit %d (hard %d)" % (soft, hard))
    try:
        ptymax, reserve = (int(open("/proc/sys/kernel/pty/" + k).read()) for k in ("max", "reserve"))
    except OSError:
        return None
    need = biggest + 64 + reserve  # a devpts mount without "reserve" gets max - reserve
    if ptymax >= need:
        return None
    try:
        with open("/proc/sys/kernel/pty/max", "w") as f:
            f.write(str(need))
        notes.append("raised /proc/sys/kernel/pty/max from %d to %d for this run" % (ptymax, need))
        return ptymax
    except OSError as e:
        notes.append("cannot raise /proc/sys/kernel/pty/max (%d, need %d): %s" % (ptymax, need, e))
        return None


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    rev = sh(["git", "rev-parse", "--short", "HEAD"]).stdout.strip()
    dirty = bool(sh(["git", "status", "--porcelain", "--untracked-files=no"]).stdout.strip())
    return {"date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "kernel": platform.release(), "cpu": cpu, "cpus": os.cpu_count(),
            "loadavg": open("/proc/loadavg").read().split()[:3],
            "commit": rev + ("-dirty" if dirty else ""),
            "python": sh([PY, "--version"]).stdout.strip()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--large", action="store_true", help="add N = 10000")
    ap.add_argument("--seconds", type=float, default=1.0, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=0.3)
    ap.add_argument("--reps", type=int, default=5, help="runs per cell (median kept)")
    ap.add_argument("--sizes", default="1,4,16,64,256,1024")
    ap.add_argument("--only", default=",".join(CONTENDERS))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-pin", action="store_true",
                    help="do not pin responder and client to CPUs 0 and 1")
    ap.add_argument("--workloads", default="fanout,bulk,cancel,portcost")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")] + ([10000] if args.large else [])
    names = [x for x in args.only.split(",") if x in CONTENDERS]
    work = args.workloads.split(",")
    t_start = time.monotonic()
    cpus = sorted(os.sched_getaffinity(0))
    if not args.no_pin and len(cpus) >= 2:
        PIN["responder"] = ["taskset", "-c", str(cpus[0])]
        PIN["client"] = ["taskset", "-c", str(cpus[1])]
    notes = [] if args.no_build else build()
    if not set(work) & {"fanout", "bulk", "cancel", "portcost"}:
        return  # build only (bench-analyse)
    old_ptymax = prepare_limits(max(sizes + [1000]), notes)
    info = machine()
    log("machine:", json.dumps(info))
    data = {"machine": info, "notes": notes, "seconds": args.seconds, "reps": args.reps,
            "pinned": bool(PIN["client"]),
            "warmup": args.warmup, "sizes": sizes}
    try:
        with tempfile.TemporaryDirectory(prefix="aserial-bench-") as tmp:
            if "fanout" in work:
                data["fanout"] = fanout(args, sizes, names, tmp)
            if "bulk" in work:
                data["bulk"] = bulk(args, tmp)
            if "cancel" in work:
                data["cancel"] = cancel()
            if "portcost" in work:
                data["portcost"] = [portcost(n, tmp) for n in
                                    ([1000, 10000] if args.large else [1000])]
    finally:
        kill_all()
        if old_ptymax is not None:
            with open("/proc/sys/kernel/pty/max", "w") as f:
                f.write(str(old_ptymax))
    data["elapsed_s"] = round(time.monotonic() - t_start, 1)
    # Only a complete run replaces results/latest.* and the README's tables.
    full = set(work) >= {"fanout", "bulk", "cancel", "portcost"} and \
        set(names) == set(CONTENDERS) and set(sizes) >= {1, 4, 16, 64, 256, 1024}
    md = report.write_all(data, os.path.join(BENCH, "results"),
                          os.path.join(BENCH, "README.md") if full else None,
                          "latest" if full else "partial")
    print(md)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # runs main()'s finally
    main()
