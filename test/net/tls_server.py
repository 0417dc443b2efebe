"""TLS on the server side (issue 16, second half): `aserial serve --tls-*`
with real TLS peers started here, certificates made here (openssl req/ca
into a temp dir, removed at the end; no key is ever committed), every
export onto a pseudo-terminal this test owns:
  - gensiot telnet(rfc2217),ssl(CA=...),tcp -> serve -> pty: 512 bytes
    exact both ways, and gensiot's baud change reaching the pty's termios
  - openssl s_client -> a raw TLS export: the 256 byte values exact both ways
  - aserial's own wss:// client -> --web with TLS (https, wss); the
    https Origin check; a request head larger than one read
  - refusals: plain TCP to a TLS port (nothing reaches the pty), a client
    certificate from another CA and none at all (with --tls-client-ca;
    one from the right CA is let in), an expired server certificate and
    one for another host name as aserial's own client sees them (the
    message names the fix), a bind beyond loopback without TLS (the
    message gives the openssl recipe and names --insecure) and with
    --insecure
  - 1,000 garbage handshakes (random bytes, silent connections) while a
    good client keeps being served both ways with no gap over 1 s, the
    server's RSS bounded (ASER_TLS_RSS_SLACK_KB, larger under ASan)
  - access: read-only clients (raw, RFC 2217, WebSocket) cannot write or
    change the baud (RFC 2217: the SET-BAUDRATE answer is the baud in
    effect; the pty's termios unchanged), lock-settings clients can write
    but not change the baud
  - the export file's keys (tls-cert=, tls-key=, tls-client-ca=,
    read-only, ,lock-settings)
  - SIGHUP: the certificate files replaced, new connections get the new
    certificate (fingerprints compared), a connected client's session and
    the port survive; a broken file keeps the old one, saying why
Usage: tls_server.py AASERIAL"""
import asyncio
import atexit
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common as c  # noqa: E402

A = sys.argv[1]
c.header()
ALL = bytes(range(256))
tmp = tempfile.mkdtemp(prefix="aserial-tlssrv-")
atexit.register(shutil.rmtree, tmp, True)


def P(name):
    return os.path.join(tmp, name)


def sh(args):
    r = subprocess.run(args, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    if r.returncode != 0:
        print("# %s failed: %s" % (" ".join(args), r.stdout.decode(errors="replace")))
    return r.returncode == 0


EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def make_certs():
    with open(P("ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\n"
                "serial = serial\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\n"
                "unique_subject = no\n[p]\ncommonName = supplied\n")
    open(P("index.txt"), "w").close()
    with open(P("serial"), "w") as f:
        f.write("01\n")
    san = "subjectAltName=DNS:localhost,IP:127.0.0.1"

    def sign(name, ca, dates=("-days", "2")):
        return sh(["openssl", "ca", "-config", "ca.cnf", "-batch", "-notext", "-in",
                   name + ".csr", "-cert", ca + ".pem", "-keyfile", ca + ".key", "-out",
                   name + ".pem"] + list(dates))

    def csr(name, subj, ext=None):
        return sh(["openssl", "req"] + EC + ["-keyout", name + ".key", "-out", name + ".csr",
                                             "-subj", subj] + (["-addext", ext] if ext else []))
    ok = True
    for ca in ("ca", "ca2"):
        ok = ok and sh(["openssl", "req", "-x509"] + EC + ["-keyout", ca + ".key", "-out",
                       ca + ".pem", "-days", "2", "-subj", "/CN=aserial test " + ca])
    ok = ok and csr("srv", "/CN=localhost", san) and sign("srv", "ca")
    ok = ok and csr("srv2", "/CN=localhost", san) and sign("srv2", "ca")
    ok = ok and csr("expired", "/CN=localhost", san) and sign(
        "expired", "ca", ("-startdate", "20200101000000Z", "-enddate", "20200102000000Z"))
    ok = ok and csr("other", "/CN=elsewhere.example", "subjectAltName=DNS:elsewhere.example") \
        and sign("other", "ca")
    ok = ok and csr("cli", "/CN=good client") and sign("cli", "ca")
    ok = ok and csr("cli2", "/CN=foreign client") and sign("cli2", "ca2")
    return ok


if not c.ok("test certificates are made (two CAs, servers, expired, clients)", make_certs()):
    c.done()

TLS = ["--tls-cert", P("srv.pem"), "--tls-key", P("srv.key")]
CA = "?ca=" + P("ca.pem")


def serve(args, nports=1, log=None, env=None):
    """aserial serve ARGS; (process, [listening ports]) from its first lines."""
    kw = {"stderr": open(log, "wb")} if log else {}
    if env:
        kw["env"] = env
    p = c.start([A, "serve"] + args, limit=150, **kw)
    ports = []
    for _ in range(nports):
        m = re.search(r"on (?:127\.0\.0\.1|0\.0\.0\.0|localhost):(\d+)",
                      p.stdout.readline().decode())
        ports.append(int(m.group(1)) if m else None)
        if ports[-1]:
            c.wait_listening(ports[-1])
    return p, ports


reports = []  # sanitizer reports from any aserial serve (an ASan build)


def stop_log(p):
    out, err = c.stop(p)
    text = (err or b"").decode(errors="replace")
    if "Sanitizer" in text or "runtime error" in text:
        reports.append(text[-2000:])
    return text


def read_log(path):
    with open(path, "rb") as f:
        return f.read().decode(errors="replace")


def wait_for(pred, limit=5.0):
    end = time.time() + limit
    while not pred() and time.time() < end:
        time.sleep(0.02)
    return pred()


def ctx_for(cert=None, key=None, ca="ca.pem"):
    ctx = ssl.create_default_context(cafile=P(ca))
    if cert:
        ctx.load_cert_chain(P(cert), P(key))
    return ctx


def tls_connect(port, cert=None, key=None):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return ctx_for(cert, key).wrap_socket(s, server_hostname="localhost")


def recv_until(s, want, limit=5.0):
    got = b""
    end = time.time() + limit
    while len(got) < want and time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            b = s.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except (OSError, ssl.SSLError):
            break
        if not b:
            break
        got += b
    return got


def fingerprint_pem(name):
    with open(P(name)) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def child_pid(p):
    with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
        return int(f.read().split()[0])


def hear(s, pty, line):
    """What client s hears of line written on the pty. The server admits a
    client once its side of the handshake is done, which with TLS 1.3 is
    just after the client's: bytes from the port before that go only to
    the clients it had. So say it again until s hears it."""
    for _ in range(10):
        pty.write(line)
        seen = recv_until(s, len(line), 0.5)
        if seen:
            return seen
    return b""


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# -- gensiot: telnet(rfc2217),ssl(CA=...),tcp -> aserial serve --tls-* -> pty ------------------
pty = c.PtyEcho()
srv, (port,) = serve([pty.path, "--listen", "127.0.0.1:0"] + TLS)
if c.ok("aserial serve --tls-cert/--tls-key listens (rfc2217, tls)", port):
    target = "telnet(rfc2217),ssl(CA=%s),tcp,localhost,%d" % (P("ca.pem"), port)
    g = c.start(["gensiot", "-e", "-1", target], stdin=subprocess.PIPE)
    data = ALL * 2
    g.stdin.write(data)
    g.stdin.flush()
    os.set_blocking(g.stdout.fileno(), False)
    got = b""
    end = time.time() + 8
    while len(got) < len(data) and time.time() < end:
        try:
            got += os.read(g.stdout.fileno(), 65536)
        except BlockingIOError:
            time.sleep(0.02)
    c.ok("gensiot over TLS -> serve -> pty and back: 512 bytes, all 256 values, exact",
         got == data, "%d bytes back" % len(got))
    c.ok("the pty saw exactly what gensiot sent", bytes(pty.received) == data,
         len(pty.received))
    g.stdin.close()
    c.stop(g)
    g = c.start(["gensiot", "-e", "28", target], stdin=subprocess.PIPE)
    time.sleep(0.5)
    g.stdin.write(b"\x1cs57600\n")
    g.stdin.flush()
    c.ok("gensiot's RFC 2217 baud change over TLS reaches the pty's termios",
         wait_for(lambda: c.pty_speed(pty.path) == 57600), c.pty_speed(pty.path))
    g.stdin.write(b"\x1cq")
    g.stdin.flush()
    try:
        g.wait(5)
    except Exception:
        pass
    c.stop(g)
log = stop_log(srv)
c.ok("the server logged gensiot's SET-BAUDRATE", "SET-BAUDRATE: 57600" in log, log[-800:])
pty.close()

# -- openssl s_client -> raw TLS export ----------------------------------------------------------
pty = c.PtyEcho(echo=False)
srv, (port,) = serve([pty.path, "--listen", "127.0.0.1:0/raw"] + TLS)
sc = c.start(["openssl", "s_client", "-quiet", "-connect", "127.0.0.1:%d" % port,
              "-servername", "localhost", "-verify_return_error", "-CAfile", P("ca.pem")],
             stdin=subprocess.PIPE)
sc.stdin.write(ALL)
sc.stdin.flush()
c.ok("openssl s_client -> raw TLS export: the 256 byte values reach the pty exact",
     wait_for(lambda: len(pty.received) >= 256) and bytes(pty.received) == ALL,
     "%d bytes" % len(pty.received))
os.set_blocking(sc.stdout.fileno(), False)
pty.write(ALL[::-1])
got = b""
end = time.time() + 5
while len(got) < 256 and time.time() < end:
    try:
        got += os.read(sc.stdout.fileno(), 65536)
    except BlockingIOError:
        time.sleep(0.02)
c.ok("... and the pty's 256 byte values reach s_client exact", got == ALL[::-1], len(got))
sc.stdin.close()
c.stop(sc)

# plain TCP to the TLS port: refused, nothing reaches the pty
pty.received.clear()
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"plain text, not a handshake\r\n" * 4)
closed = recv_until(s, 1 << 20, 3)
s.close()
time.sleep(0.3)
c.ok("plain TCP to a TLS port: no byte reaches the pty", len(pty.received) == 0,
     bytes(pty.received))
log = stop_log(srv)
c.ok("... the server logged it as refused, not a TLS client",
     re.search(r"refused: not a TLS client \(.*\): this port speaks TLS only", log), log[-800:])
pty.close()

# -- client certificates ---------------------------------------------------------------------------
pty = c.PtyEcho(echo=False)
srv, (port,) = serve([pty.path, "--listen", "127.0.0.1:0/raw", "--max-clients", "4",
                      "--tls-client-ca", P("ca.pem")] + TLS)
try:
    good = tls_connect(port, "cli.pem", "cli.key")
    good.sendall(b"signed by the CA\n")
    ok = wait_for(lambda: b"signed by the CA\n" in bytes(pty.received))
    good.close()
except (OSError, ssl.SSLError) as e:
    ok = False
    print("# %r" % e)
c.ok("--tls-client-ca: a client certificate signed by that CA is let in", ok, bytes(pty.received))
pty.received.clear()
for cert, what in (("cli2", "another CA"), (None, "none")):
    try:
        bad = tls_connect(port, cert and cert + ".pem", cert and cert + ".key")
        bad.sendall(b"should never arrive\n")
        recv_until(bad, 1, 2)  # TLS 1.3: the refusal comes as an alert after the handshake
        bad.close()
    except (OSError, ssl.SSLError):
        pass
time.sleep(0.3)
c.ok("a client certificate from another CA, or none: no byte reaches the pty",
     len(pty.received) == 0, bytes(pty.received))
rc, out = c.run([A, "query", "tcp+tls://localhost:%d%s&cert=%s&key=%s" %
                 (port, CA, P("cli2.pem"), P("cli2.key")), "x", "--timeout", "1500"])
c.ok("aserial's own client with a certificate from another CA fails", rc != 0, out)
log = stop_log(srv)
c.ok("the server logged the foreign certificate as refused, naming the CA file",
     re.search(r"refused: its certificate was refused \(.*\): it must be signed by the CA in " +
               re.escape(P("ca.pem")), log), log[-1200:])
c.ok("the server logged the missing certificate as refused",
     "refused: it sent no client certificate; this export requires one" in log, log[-1200:])
pty.close()

# -- what aserial's own client says of a bad server certificate ---------------------------------
pty = c.PtyEcho(echo=False)
srv, (port,) = serve([pty.path, "--listen", "127.0.0.1:0/raw", "--tls-cert", P("expired.pem"),
                      "--tls-key", P("expired.key")])
rc, out = c.run([A, "query", "tcp+tls://localhost:%d%s" % (port, CA), "x"])
c.ok("an expired server certificate: aserial's client refuses it, naming the date and the fix",
     rc != 0 and "has expired (valid until Jan  2 00:00:00 2020 GMT): renew it" in out,
     "rc %d: %s" % (rc, out))
log = stop_log(srv)
c.ok("aserial serve warns at start that its certificate has expired, with the recipe",
     "expired on Jan  2 00:00:00 2020 GMT: clients will refuse it; renew it (" in log and
     "openssl req -x509" in log, log[-800:])
srv, (port,) = serve([pty.path, "--listen", "127.0.0.1:0/raw", "--tls-cert", P("other.pem"),
                      "--tls-key", P("other.key")])
rc, out = c.run([A, "query", "tcp+tls://localhost:%d%s" % (port, CA), "x"])
c.ok("a server certificate for another host name is refused, naming the host",
     rc != 0 and 'certificate is not for "localhost": connect with a name the certificate '
     'carries' in out, "rc %d: %s" % (rc, out))
stop_log(srv)
c.ok("no byte of the refused clients reached the pty", len(pty.received) == 0,
     bytes(pty.received))
pty.close()

# -- beyond loopback -----------------------------------------------------------------------------
pty = c.PtyEcho(echo=False)
rc, out = c.run([A, "serve", pty.path, "--listen", "0.0.0.0:0"])
c.ok("--listen 0.0.0.0 without TLS is refused (exit 2), with the openssl recipe and --insecure",
     rc == 2 and "is beyond loopback: without TLS" in out and "openssl req -x509 -newkey" in out and
     "--insecure" in out, "rc %d: %s" % (rc, out))
rc, out = c.run([A, "serve", pty.path, "--listen", "127.0.0.1:0", "--listen", "0.0.0.0:0/raw"])
c.ok("... also as a further --listen", rc == 2 and "--insecure" in out, "rc %d: %s" % (rc, out))
with open(P("token"), "w") as f:
    f.write("s3cret-0123456789\n")
rc, out = c.run([A, "serve", pty.path, "--web", "0.0.0.0:0", "--web-token", P("token")])
c.ok("--web 0.0.0.0 with a token but without TLS is refused too (the token would cross the "
     "network in the clear)", rc == 2 and "--insecure" in out and "openssl req" in out,
     "rc %d: %s" % (rc, out))
srv, (port,) = serve([pty.path, "--listen", "0.0.0.0:0", "--insecure"])
c.ok("--insecure allows it", port is not None)
stop_log(srv)
srv, (port,) = serve([pty.path, "--listen", "0.0.0.0:0"] + TLS)
c.ok("with TLS, 0.0.0.0 needs no --insecure", port is not None)
stop_log(srv)
pty.close()

# -- wss:// and https:// from the web listener ------------------------------------------------------
pty = c.PtyEcho()
srv, _ = serve([pty.path, "--web", "127.0.0.1:0", "--name", "lab"] + TLS, nports=0)
line = srv.stdout.readline().decode()
m = re.search(r"web console on https://127\.0\.0\.1:(\d+)/", line)
if c.ok("--web with TLS serves https://", m, line):
    wport = int(m.group(1))
    srv.stdout.readline()
    c.wait_listening(wport)
    rc, out = c.run([A, "query", "wss://localhost:%d/ws/lab%s" % (wport, CA), "ping"])
    c.ok("aserial's wss:// client -> --web with TLS -> pty: the echo comes back",
         rc == 0 and "ping" in out, "rc %d: %s" % (rc, out))
    s = tls_connect(wport)
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % wport)
    page = recv_until(s, 200)
    s.close()
    c.ok("https:// GET / answers the console page", page.startswith(b"HTTP/1.1 200"), page[:80])
    s = tls_connect(wport)  # a head of 7 KiB in one TLS record, more than one read takes
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Pad: %s\r\n\r\n" %
              (wport, b"p" * 7000))
    page = recv_until(s, 200, 3)
    s.close()
    c.ok("https:// a request head larger than one read is answered at once",
         page.startswith(b"HTTP/1.1 200"), page[:80])

    def upgrade(origin):
        s = tls_connect(wport)
        s.sendall(b"GET /ws/lab HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  b"Sec-WebSocket-Version: 13\r\nOrigin: %s\r\n\r\n" % (wport, origin))
        head = recv_until(s, 12)
        s.close()
        return head
    head = upgrade(b"https://127.0.0.1:%d" % wport)
    c.ok("the console's own https:// Origin may upgrade (101)", head.startswith(b"HTTP/1.1 101"),
         head)
    head = upgrade(b"http://127.0.0.1:%d" % wport)
    c.ok("an http:// Origin on the https listener is refused (403)",
         head.startswith(b"HTTP/1.1 403"), head)
    s = socket.create_connection(("127.0.0.1", wport), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    plain = recv_until(s, 1 << 16, 3)
    s.close()
    c.ok("plain http:// to the https listener gets no page", b"200 OK" not in plain, plain[:80])
log = stop_log(srv)
c.ok("the web listener logged the plain HTTP request as refused",
     "refused: it sent plain HTTP to a TLS port" in log, log[-800:])
pty.close()

# -- 1,000 garbage handshakes while a good client is served --------------------------------------
pty = c.PtyEcho(echo=False)
# Under ASan a small quarantine, so that freed sessions are given back and the
# RSS bound still means something (no effect on a plain build).
asan = dict(os.environ)
asan["ASAN_OPTIONS"] = ":".join(x for x in (os.environ.get("ASAN_OPTIONS"),
                                            "quarantine_size_mb=8") if x)
srv, (port,) = serve([pty.path, "--listen", "127.0.0.1:0/raw", "--quiet"] + TLS, env=asan)
pid = child_pid(srv)
good = tls_connect(port)
good.settimeout(0.05)
stop = threading.Event()
gaps = {"client": 0.0, "pty": 0.0}
counts = {"ticks": 0, "pings": 0}


def ticker():  # the serial side talks to the good client
    n = 0
    while not stop.is_set():
        pty.write(b"tick %06d\n" % n)
        n += 1
        time.sleep(0.02)
    counts["ticks"] = n


def pinger():  # the good client talks to the serial side, and measures its gaps
    n, last, buf = 0, time.time(), b""
    while not stop.is_set():
        try:
            good.sendall(b"ping %06d\n" % n)
            n += 1
        except (OSError, ssl.SSLError):
            break
        end = time.time() + 0.05
        while time.time() < end:
            try:
                b = good.recv(65536)
                if b:
                    buf += b
                    gaps["client"] = max(gaps["client"], time.time() - last)
                    last = time.time()
            except (socket.timeout, ssl.SSLWantReadError):
                pass
            except (OSError, ssl.SSLError):
                return
    counts["pings"] = n
    counts["received"] = buf


made = []


def garbage(n, silent, held):
    for i in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            if silent:
                held.append(s)  # a handshake that never starts: holds a slot
                made.append(1)
                continue
            # half random bytes, half a TLS handshake record header with junk after it
            s.sendall(random.randbytes(random.randint(1, 600)) if i % 2 else
                      b"\x16\x03\x01" + random.randbytes(random.randint(0, 300)))
            made.append(1)
            s.close()
        except OSError:
            pass


def watch_pty():
    last_len, last = 0, time.time()
    while not stop.is_set():
        n = len(pty.received)
        if n != last_len:
            gaps["pty"] = max(gaps["pty"], time.time() - last)
            last_len, last = n, time.time()
        time.sleep(0.01)


time.sleep(0.3)
rss0 = rss_kb(pid)
threads = [threading.Thread(target=f, daemon=True) for f in (ticker, pinger, watch_pty)]
for t in threads:
    t.start()
time.sleep(0.5)
held = []
flood = [threading.Thread(target=garbage, args=(200, i == 4, held), daemon=True)
         for i in range(5)]
t0 = time.time()
for t in flood:
    t.start()
for t in flood:
    t.join(60)
took = time.time() - t0
time.sleep(0.5)
stop.set()
for t in threads:
    t.join(5)
rss1 = rss_kb(pid)
for s in held:
    s.close()
got = counts.get("received", b"")
ticks = re.findall(rb"tick (\d{6})\n", got)
pings = re.findall(rb"ping (\d{6})\n", bytes(pty.received))
c.ok("1,000 garbage connections (800 random bytes, 200 silent) were made in %.1f s" % took,
     all(not t.is_alive() for t in flood) and len(made) == 1000, len(made))
c.ok("the good client received every tick from the serial side, in order",
     len(ticks) > 10 and [int(x) for x in ticks] == list(range(len(ticks))) and
     len(ticks) >= counts["ticks"] - 3, "%d ticks of %d" % (len(ticks), counts["ticks"]))
c.ok("every ping of the good client reached the serial side, in order",
     len(pings) == counts["pings"] and [int(x) for x in pings] == list(range(len(pings))),
     "%d of %d" % (len(pings), counts["pings"]))
c.ok("no stall over 1 s on either side (client %.2f s, serial side %.2f s)" %
     (gaps["client"], gaps["pty"]), gaps["client"] < 1.0 and gaps["pty"] < 1.0, gaps)
slack = int(os.environ.get("ASER_TLS_RSS_SLACK_KB", "8192"))
c.ok("the server's memory stays bounded (RSS %d kB -> %d kB, at most %d kB more)" %
     (rss0, rss1, slack), rss1 - rss0 < slack, "%d -> %d" % (rss0, rss1))
good.close()
log = stop_log(srv)
c.ok("the quiet server still ran (no crash)", "ERROR" not in log and "Sanitizer" not in log,
     log[-800:])
pty.close()

# -- a flood of refusals is logged in brief ---------------------------------------------------------
pty = c.PtyEcho(echo=False)
srv, (port,) = serve([pty.path, "--listen", "127.0.0.1:0/raw"] + TLS)
for i in range(50):  # plain TCP at a TLS port: each one refused
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    recv_until(s, 1, 1.0)  # the server's alert, or its close
    s.close()
time.sleep(0.3)
log = stop_log(srv)
shown = len(re.findall(r"refused", log)) - len(re.findall(r"more connections refused", log))
more = re.search(r"(\d+) more connections refused in 10 s", log)
c.ok("50 refused connections: 10 logged one by one, then one line with the 40 others",
     shown == 10 and more and int(more.group(1)) == 40, "%d lines; %s" % (shown, log[-600:]))
pty.close()

# -- access: read-only and lock-settings ----------------------------------------------------------
IAC, SB, SE, WILL, DO, COMPORT = 255, 250, 240, 251, 253, 44


def rfc2217_set_baud(s, baud):
    """Negotiate COM-PORT-OPTION, send SET-BAUDRATE, return the answered value."""
    s.sendall(bytes([IAC, WILL, COMPORT, IAC, DO, COMPORT]))
    s.sendall(bytes([IAC, SB, COMPORT, 1]) + baud.to_bytes(4, "big") + bytes([IAC, SE]))
    buf = b""
    end = time.time() + 5
    while time.time() < end:
        m = re.search(rb"\xff\xfa\x2c\x65(.{4})\xff\xf0", buf, re.S)
        if m:
            return int.from_bytes(m.group(1), "big")
        buf += recv_until(s, 1, 0.2)
    return None


pty = c.PtyEcho(echo=False)
srv = c.start([A, "serve", pty.path, "--config", "9600", "--max-clients", "8",
               "--listen", "127.0.0.1:0/raw,read-only",
               "--listen", "127.0.0.1:0/rfc2217,read-only",
               "--listen", "127.0.0.1:0/rfc2217,lock-settings",
               "--listen", "127.0.0.1:0/raw,lock-settings",
               "--web", "127.0.0.1:0", "--read-only", "--name", "lab"] + TLS, limit=150)
lines = [srv.stdout.readline().decode() for _ in range(6)]  # web, 4 listeners, /ws/lab
text = "".join(lines)
ports = [int(m.group(1)) if m else None for m in
         (re.search(r"127\.0\.0\.1:(\d+) \(%s\)" % re.escape(k), text) for k in
          ("raw, tls, read-only", "rfc2217, tls, read-only", "rfc2217, tls, lock-settings",
           "raw, tls, lock-settings"))]
raw_ro, r2_ro, r2_lock, raw_lock = ports
for p_ in ports:
    if p_:
        c.wait_listening(p_)
c.ok("each listener prints its mode, tls and access; the WebSocket export its access",
     all(ports) and "https://" in text and "/ws/lab (websocket, read-only)" in text, text)
if all(ports):
    s = tls_connect(raw_ro)
    s.sendall(b"read-only bytes\n")
    seen = hear(s, pty, b"to the monitor\n")
    time.sleep(0.3)
    c.ok("a read-only raw client sees the port's data", seen == b"to the monitor\n", seen)
    c.ok("... and its bytes do not reach the pty", b"read-only" not in bytes(pty.received),
         bytes(pty.received))
    s.close()
    s = tls_connect(r2_ro)
    answer = rfc2217_set_baud(s, 57600)
    c.ok("a read-only RFC 2217 client's SET-BAUDRATE 57600 is answered with the baud in "
         "effect (9600)", answer == 9600, answer)
    c.ok("... and the pty's termios is unchanged", c.pty_speed(pty.path) == 9600,
         c.pty_speed(pty.path))
    s.close()
    s = tls_connect(r2_lock)
    answer = rfc2217_set_baud(s, 38400)
    s.sendall(b"locked but may write\n")
    c.ok("a lock-settings RFC 2217 client's baud change is answered with 9600, the pty unchanged",
         answer == 9600 and c.pty_speed(pty.path) == 9600, (answer, c.pty_speed(pty.path)))
    c.ok("... and its data reaches the pty",
         wait_for(lambda: b"locked but may write\n" in bytes(pty.received)),
         bytes(pty.received))
    s.close()
    s = tls_connect(raw_lock)
    s.sendall(b"raw lock-settings writes\n")
    c.ok("a lock-settings raw client's data reaches the pty",
         wait_for(lambda: b"raw lock-settings writes\n" in bytes(pty.received)),
         bytes(pty.received))
    s.close()
    m = re.search(r"https://127\.0\.0\.1:(\d+)/", text)

    async def ws_read_only(wport):
        import websockets
        async with websockets.connect("wss://localhost:%d/ws/lab" % wport,
                                      ssl=ctx_for()) as ws:
            hello = json.loads(await ws.recv())
            await ws.send(b"ws bytes\n")
            err1 = json.loads(await ws.recv())
            while err1.get("type") != "error":
                err1 = json.loads(await ws.recv())
            await ws.send(json.dumps({"type": "settings", "config": "57600"}))
            err2 = json.loads(await ws.recv())
            while err2.get("type") != "error":
                err2 = json.loads(await ws.recv())
            return hello, err1, err2
    try:
        hello, err1, err2 = asyncio.run(asyncio.wait_for(ws_read_only(int(m.group(1))), 10))
    except Exception as e:
        hello, err1, err2 = {}, {"e": repr(e)}, {}
    c.ok("a wss:// client of a --read-only export is told so in hello",
         hello.get("access") == "read-only", hello)
    c.ok("... its bytes are answered with a JSON error and dropped",
         "read-only" in err1.get("message", "") and b"ws bytes" not in bytes(pty.received),
         (err1, bytes(pty.received)))
    c.ok("... its settings change is answered with a JSON error, the pty unchanged",
         "read-only" in err2.get("message", "") and c.pty_speed(pty.path) == 9600, err2)
log = stop_log(srv)
c.ok("the refusals were logged as such",
     "SET-BAUDRATE 57600 refused: a read-only client" in log and
     "SET-BAUDRATE 38400 refused: a lock-settings client" in log and
     "writing to the port (its bytes are dropped) refused: a read-only client" in log,
     log[-1500:])
pty.close()

# -- the export file's keys -------------------------------------------------------------------------
pty = c.PtyEcho(echo=False)
pty2 = c.PtyEcho(echo=False)
with open(P("exports"), "w") as f:
    f.write("# TLS and access per export\n"
            "%s 127.0.0.1:0 raw read-only tls-cert=%s tls-key=%s\n"
            "%s 127.0.0.1:0/rfc2217,lock-settings tls-cert=%s tls-key=%s tls-client-ca=%s\n"
            % (pty.path, P("srv.pem"), P("srv.key"), pty2.path, P("srv.pem"), P("srv.key"),
               P("ca.pem")))
srv = c.start([A, "serve", "--file", P("exports")], limit=60)
lines = [srv.stdout.readline().decode() for _ in range(2)]
m1 = re.search(r":(\d+) \(raw, tls, read-only\)", lines[0])
m2 = re.search(r":(\d+) \(rfc2217, tls, client certificates, lock-settings\)", lines[1])
c.ok("export-file keys: tls-cert=, tls-key=, tls-client-ca=, read-only, ,lock-settings",
     m1 and m2, lines)
if m1 and m2:
    c.wait_listening(int(m1.group(1)))
    s = tls_connect(int(m1.group(1)))
    s.sendall(b"dropped\n")
    seen = hear(s, pty, b"seen\n")
    s.close()
    c.ok("... the read-only export's client sees the data, its bytes are dropped",
         seen == b"seen\n" and len(pty.received) == 0, (seen, bytes(pty.received)))
    try:
        s = tls_connect(int(m2.group(1)))
        s.sendall(b"no certificate\n")
        recv_until(s, 1, 1)
        s.close()
    except (OSError, ssl.SSLError):
        pass
    time.sleep(0.2)
    c.ok("... the export with tls-client-ca= refuses a client without a certificate",
         len(pty2.received) == 0, bytes(pty2.received))
log = stop_log(srv)
c.ok("... and says why", "it sent no client certificate" in log, log[-800:])
rc, out = c.run([A, "serve", "--file", P("exports"), "--tls-cert", P("srv.pem")])
c.ok("--tls-cert without --tls-key is bad usage (exit 2)", rc == 2 and "--tls-key" in out,
     "rc %d: %s" % (rc, out))
pty.close()
pty2.close()

# -- SIGHUP reloads the certificate -----------------------------------------------------------------
pty = c.PtyEcho(echo=False)
shutil.copy(P("srv.pem"), P("live.pem"))
shutil.copy(P("srv.key"), P("live.key"))
srv, (port,) = serve([pty.path, "--listen", "127.0.0.1:0/raw", "--max-clients", "4",
                      "--tls-cert", P("live.pem"), "--tls-key", P("live.key")],
                     log=P("hup.log"))
pid = child_pid(srv)
first = tls_connect(port)
fp1 = hashlib.sha256(first.getpeercert(binary_form=True)).hexdigest()
c.ok("before SIGHUP: the first certificate", fp1 == fingerprint_pem("srv.pem"))
shutil.copy(P("srv2.pem"), P("live.pem"))
shutil.copy(P("srv2.key"), P("live.key"))
os.kill(pid, signal.SIGHUP)
c.ok("SIGHUP: one line says it reloaded",
     wait_for(lambda: "reloaded the TLS certificate " + P("live.pem") in read_log(P("hup.log"))),
     read_log(P("hup.log")))
second = tls_connect(port)
fp2 = hashlib.sha256(second.getpeercert(binary_form=True)).hexdigest()
c.ok("after SIGHUP a new connection gets the new certificate",
     fp2 == fingerprint_pem("srv2.pem") and fp2 != fp1)
pty.write(b"after the reload\n")
got1 = recv_until(first, 17)
first.sendall(b"old session still writes\n")
c.ok("the client connected before the reload keeps its session both ways",
     got1 == b"after the reload\n" and
     wait_for(lambda: b"old session still writes\n" in bytes(pty.received)),
     (got1, bytes(pty.received)))
with open(P("live.key"), "w") as f:
    f.write("not a key\n")
os.kill(pid, signal.SIGHUP)
c.ok("a broken key file on SIGHUP: the old certificate is kept, saying why",
     wait_for(lambda: "kept the old TLS certificate" in read_log(P("hup.log"))),
     read_log(P("hup.log")))
third = tls_connect(port)
fp3 = hashlib.sha256(third.getpeercert(binary_form=True)).hexdigest()
c.ok("... and new connections still get it", fp3 == fp2)
for s in (first, second, third):
    s.close()
stop_log(srv)
reports += [read_log(P("hup.log"))[-2000:]] if "Sanitizer" in read_log(P("hup.log")) else []
pty.close()
c.ok("no sanitizer report from any aserial serve (leaks included, in an ASan build)",
     not reports, "\n".join(reports))

shutil.rmtree(tmp, ignore_errors=True)
c.done()
