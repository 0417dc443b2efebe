"""pybench.py: what the two Python contenders share (stdlib only): the
measuring window, latency samples and the JSON result line, in the same
shape as bench.h gives the C contenders."""
import array
import json
import resource
import sys
import time

LAT_CAP = 4 << 20  # samples kept (preallocated)


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass


def parse_args(usage):
    if len(sys.argv) < 4:
        sys.exit("usage: %s %s" % (sys.argv[0], usage))
    paths_file, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    warmup = float(sys.argv[4]) if len(sys.argv) > 4 else 0.3
    with open(paths_file) as f:
        paths = [line.strip() for line in f if line.strip()][:n]
    if len(paths) < n:
        sys.exit("path list shorter than the port count")
    return paths, n, secs, warmup


class Window:
    """Requests completing in [t0, t1) count; the warm-up does not."""

    def __init__(self, warmup, secs):
        now = time.monotonic_ns()
        self.t0 = now + int(warmup * 1e9)
        self.t1 = self.t0 + int(secs * 1e9)
        self.done = 0
        self.all = 0  # every request completed, warm-up included (for strace)
        self.lat = array.array('Q', bytes(8 * LAT_CAP))
        self.dropped = 0
        self.cpu0 = None  # process CPU seconds when the window opened
        # The window has closed: what each task checks before its next
        # request (an attribute read, the same for every Python contender).
        self.over = False

    def record(self, sent, now):
        """Returns True once the window has closed."""
        self.all += 1
        if now >= self.t1:
            self.over = True
            return True
        if now >= self.t0:
            if self.cpu0 is None:
                self.cpu0 = cpu_seconds()
            if self.done < LAT_CAP:
                self.lat[self.done] = now - sent
            else:
                self.dropped += 1
            self.done += 1
        return False

    def result(self, name, n, error=None):
        secs = (self.t1 - self.t0) / 1e9
        v = sorted(self.lat[:min(self.done, LAT_CAP)])

        def pct(p):
            return v[int(p / 100 * (len(v) - 1) + 0.5)] / 1000 if v else 0.0
        r = {"contender": name, "n": n, "requests": self.done, "seconds": secs,
             "rps": round(self.done / secs, 1), "p50_us": round(pct(50), 1),
             "p99_us": round(pct(99), 1), "dropped_samples": self.dropped,
             "all_requests": self.all,
             "cpu_us_per_req": round((cpu_seconds() - self.cpu0) / self.done * 1e6, 2)
             if self.done and self.cpu0 is not None else 0}
        if error:
            r = {"contender": name, "n": n, "error": error}
        print(json.dumps(r), flush=True)
