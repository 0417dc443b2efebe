"""Interop (e): aserial serve --rfc2217 under 100 concurrent clients sending
garbage (random bytes, IAC-heavy) keeps serving a well-behaved client
(pyserial's rfc2217:// client doing request/reply through the server to a
responder on the pty), drops the garbage clients, and keeps its memory
bounded (RSS before and after). Usage: garbage.py AASERIAL"""
import os
import random
import re
import select
import socket
import sys
import threading
import time

import serial

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common as c  # noqa: E402

aserial = sys.argv[1]
GARBAGE = 100
SECONDS = 4.0
c.header()


class Responder(c.PtyEcho):
    """Answers PING<n> with PONG<n> (junk around the requests is ignored)."""

    def __init__(self):
        self.seen = 0
        super().__init__(echo=False)

    def run(self):
        while self.running:
            r, _, _ = select.select([self.master], [], [], 0.02)
            if not r:
                continue
            try:
                d = os.read(self.master, 65536)
            except OSError:
                time.sleep(0.01)
                continue
            self.received += d
            for m in re.finditer(rb"PING(\d+)\n", self.received[self.seen:]):
                self.write(b"PONG" + m.group(1) + b"\n")
            cut = self.received.rfind(b"\n")
            if cut >= 0:  # keep memory flat: drop what was scanned
                del self.received[:cut + 1]
            self.seen = 0


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def child_pid(pid):
    """The aserial process under `timeout`."""
    for _ in range(100):
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except OSError:
            pass
        time.sleep(0.02)
    return pid


# Under AddressSanitizer freed memory sits in a quarantine (256 MiB by
# default) before reuse, so RSS would measure the quarantine, not aserial.
# A small one keeps the bound meaningful; other builds ignore the variable.
os.environ["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") +
                              ":quarantine_size_mb=2:thread_local_quarantine_size_kb=64").lstrip(":")
pty = Responder()
srv = c.start([aserial, "serve", pty.path, "--listen", "127.0.0.1:0", "--max-clients", "200",
               "--quiet"])
m = re.search(r"on 127\.0\.0\.1:(\d+)", srv.stdout.readline().decode())
if not c.ok("aserial serve listens (max 200 clients)", m):
    c.done()
port = int(m.group(1))
apid = child_pid(srv.pid)
good = serial.serial_for_url("rfc2217://127.0.0.1:%d" % port, timeout=3)
rss_before = rss_kb(apid)

stop = threading.Event()
stats = {"connects": 0, "closed_by_server": 0}


def garbage_clients():
    rnd = random.Random(2217)
    socks = []
    while not stop.is_set():
        while len(socks) < GARBAGE:
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            socks.append(s)
            stats["connects"] += 1
        _, w, _ = select.select([], socks, [], 0.05)
        for s in w:
            junk = bytes(rnd.choice((255, 250, 240, 253, 251, rnd.randrange(256)))
                         for _ in range(512))
            try:
                s.send(junk)
            except OSError:  # closed by the server: count it, come back
                stats["closed_by_server"] += 1
                socks.remove(s)
                s.close()
    for s in socks:
        s.close()


t = threading.Thread(target=garbage_clients, daemon=True)
t.start()
latencies, failures = [], []
end = time.time() + SECONDS
n = 0
while time.time() < end:
    n += 1
    t0 = time.time()
    good.write(b"PING%d\n" % n)
    want = b"PONG%d\n" % n
    buf = b""
    while want not in buf and time.time() - t0 < 3:
        buf += good.read_until(b"\n")
    if want in buf:
        latencies.append(time.time() - t0)
    else:
        failures.append(n)
stop.set()
t.join(5)
time.sleep(0.3)
rss_after = rss_kb(apid)
c.ok("the well-behaved client got every reply while 100 clients sent garbage",
     not failures and len(latencies) >= 10,
     "%d replies, missing %r" % (len(latencies), failures[:10]))
c.ok("replies stayed prompt (worst < 1 s)", latencies and max(latencies) < 1.0,
     "worst %.3f s" % (max(latencies) if latencies else -1))
c.ok("garbage clients were disconnected by the server (and came back)",
     stats["closed_by_server"] >= GARBAGE, stats)
grown = rss_after - rss_before
c.ok("memory stayed bounded (RSS grew by less than 16 MiB)", 0 <= rss_before and grown < 16384,
     "RSS before %d KiB, after %d KiB" % (rss_before, rss_after))
print("# %d replies, median %.1f ms, worst %.1f ms; %d garbage connects, %d closed by the "
      "server; RSS %d -> %d KiB" % (len(latencies), 1000 * sorted(latencies)[len(latencies) // 2],
                                    1000 * max(latencies), stats["connects"],
                                    stats["closed_by_server"], rss_before, rss_after))
good.close()
c.ok("aserial serve still running", srv.poll() is None)
c.stop(srv)
pty.close()
c.done()
