"""A TLS connect flood against aserial serve (a raw export with TLS) and its
web listener (https), a bounded stress test that reports figures: a
flooder process opens connections from 127.0.0.1 as fast as it can up to
FLOOD_RATE a second (10,000), sends nothing and drops each after
HOLD_S, for FLOOD_S; meanwhile LEGIT clients from another source address
(127.0.0.2), one every 40 ms, each do a whole TLS handshake and one
exchange (an echo through the export; GET /exports on the web listener)
within the handshake deadline (10 s). Reported: the flood's rate, how
many legitimate clients were served, the server's CPU. Asserted, far
from the healthy figure (100%): at least 90% served (the issue saw 22%
at 12.7k connects/s before per-source limits). Not a timed assertion.
Usage: tls_flood.py AASERIAL [FLOOD_S]"""
import collections
import os
import re
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common as c  # noqa: E402

FLOOD_RATE = 10000
HOLD_S = 0.5
LEGIT = 100


def flood(port, secs):
    """The flooder (its own process): connect, hold, drop with an RST."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    held = collections.deque()
    t0 = time.monotonic()
    n = failed = 0
    while True:
        now = time.monotonic()
        if now - t0 >= secs:
            break
        due = min(int((now - t0) * FLOOD_RATE), n + 200)
        while n < due:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            except OSError:
                failed += 1
                s.close()
                n += 1
                continue
            held.append((now, s))
            n += 1
        while held and held[0][0] < now - HOLD_S:
            held.popleft()[1].close()
        if n >= due:
            time.sleep(0.0005)
    for _, s in held:
        s.close()
    print("%d %d %.3f" % (n, failed, time.monotonic() - t0), flush=True)


if len(sys.argv) > 2 and sys.argv[1] == "--flood":
    flood(int(sys.argv[2]), float(sys.argv[3]))
    sys.exit(0)

A = sys.argv[1]
FLOOD_S = float(sys.argv[2]) if len(sys.argv) > 2 else 6.0
c.header()
tmp = tempfile.mkdtemp(prefix="aserial-flood-")
cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "c.key")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days",
                "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=30)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(cert)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        f = f.read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])  # utime, stime


def child_pid(p):
    with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
        return int(f.read().split()[0])


def legit_once(port, web):
    """One legitimate client from 127.0.0.2: True if served."""
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=10,
                                       source_address=("127.0.0.2", 0))
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        if web:
            s.sendall(b"GET /exports HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
            ok = s.recv(12) == b"HTTP/1.1 200"
        else:
            s.sendall(b"ping\n")
            got = b""
            while len(got) < 5:
                d = s.recv(5 - len(got))
                if not d:
                    break
                got += d
            ok = got == b"ping\n"
        s.close()
        return ok
    except (OSError, ssl.SSLError):
        return False


def run_flood(label, port, pid, web):
    fl = subprocess.Popen([sys.executable, __file__, "--flood", str(port), str(FLOOD_S)],
                          stdout=subprocess.PIPE)
    time.sleep(0.5)  # the flood is under way
    t0, cpu0 = time.monotonic(), cpu_ticks(pid)
    served = 0
    for i in range(LEGIT):
        served += legit_once(port, web)
        time.sleep(max(0.0, t0 + (i + 1) * 0.04 - time.monotonic()))
    wall, cpu = time.monotonic() - t0, cpu_ticks(pid) - cpu0
    out = fl.communicate(timeout=60)[0].decode().split()
    n, failed, secs = int(out[0]), int(out[1]), float(out[2])
    share = 100.0 * cpu / os.sysconf("SC_CLK_TCK") / wall
    print("# %s: flood %d connects in %.1f s (%.0f/s, %d failed at once) from 127.0.0.1; "
          "legitimate clients from 127.0.0.2 served: %d of %d (%.0f%%); server CPU %.0f%% of "
          "one core" % (label, n, secs, n / secs, failed, served, LEGIT, 100.0 * served / LEGIT,
                        share))
    c.ok("%s: during a TLS connect flood from one address, legitimate clients from another "
         "are served (%d of %d; at least 90%%)" % (label, served, LEGIT), served >= 0.9 * LEGIT)


pty = c.PtyEcho(echo=True)
srv = c.start([A, "serve", pty.path, "--listen", "127.0.0.1:0/raw", "--max-clients", "8",
               "--tls-cert", cert, "--tls-key", key, "--web", "127.0.0.1:0", "--quiet"],
              limit=120)
lines = [srv.stdout.readline().decode() for _ in range(3)]
ports = [int(m) for m in re.findall(r"127\.0\.0\.1:(\d+)", " ".join(lines))]
c.ok("aserial serve with TLS and the web listener starts", len(ports) >= 2, lines)
if len(ports) >= 2:
    web_port = [int(m) for m in re.findall(r"https://127\.0\.0\.1:(\d+)", " ".join(lines))]
    tcp_port = [p for p in ports if p not in web_port][0]
    for p in (tcp_port, web_port[0]):
        c.wait_listening(p)
    pid = child_pid(srv)
    c.ok("a legitimate client is served before the flood", legit_once(tcp_port, False))
    run_flood("serve --tls-cert", tcp_port, pid, False)
    run_flood("serve --web with TLS", web_port[0], pid, True)
out, err = c.stop(srv)
pty.close()
shutil.rmtree(tmp, True)
c.done()
