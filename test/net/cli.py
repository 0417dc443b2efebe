"""The network CLI end to end: aserial bridge (tty <-> tcp-listen://, with
--trace; rfc2217:// <-> tcp-listen:// through aserial serve), aserial serve
--file with two exports, aserial query over rfc2217:// and tcp:// to a
simulated instrument, and the errors that name the fix.
Usage: cli.py AASERIAL"""
import os
import re
import socket
import struct
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common as c  # noqa: E402

A = sys.argv[1]
c.header()
ALL = bytes(range(256))


def recv_exactly(s, n, limit=5.0):
    s.settimeout(0.2)
    got, end = b"", time.time() + limit
    while len(got) < n and time.time() < end:
        try:
            d = s.recv(n - len(got))
            if not d:
                break
            got += d
        except socket.timeout:
            pass
    return got


def connect_retry(port, limit=5.0):
    end = time.time() + limit
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.05)


def wait_for(pred, limit=5.0):
    end = time.time() + limit
    while not pred() and time.time() < end:
        time.sleep(0.02)
    return pred()


def serve(path, *extra):
    p = c.start([A, "serve", path, "--listen", "127.0.0.1:0"] + list(extra))
    m = re.search(r"on 127\.0\.0\.1:(\d+)", p.stdout.readline().decode())
    return p, int(m.group(1)) if m else 0


# -- bridge: tty <-> tcp-listen://, traced ----------------------------------------------
pty = c.PtyEcho(echo=False)
lport = c.free_port()
br = c.start([A, "bridge", pty.path, "tcp-listen://127.0.0.1:%d" % lport, "--trace"])
s = connect_retry(lport)
s.sendall(ALL)
c.ok("bridge tcp-listen -> tty: 256 byte values exact",
     wait_for(lambda: len(pty.received) >= 256) and bytes(pty.received) == ALL,
     len(pty.received))
pty.write(ALL)
c.ok("bridge tty -> tcp-listen: 256 byte values exact", recv_exactly(s, 256) == ALL)
s.close()
try:
    rc = br.wait(5)
except Exception:
    rc = None
out, err = c.stop(br)
out = out.decode(errors="replace")
c.ok("bridge exits 0 when a side closes", rc == 0, "rc=%r %s" % (rc, err.decode(errors="replace")))
c.ok("--trace prints timestamped hex dumps both ways",
     re.search(r"\d\d:\d\d:\d\d\.\d{6} B>A 256 bytes", out) is not None
     and re.search(r"A>B 256 bytes", out) is not None and "ff  |" in out, out[:2000])
pty.close()

# -- bridge: rfc2217:// (through aserial serve) <-> tcp-listen:// --------------------------
pty = c.PtyEcho(echo=False)
srv, sport = serve(pty.path)
lport = c.free_port()
br = c.start([A, "bridge", "rfc2217://127.0.0.1:%d?baud=57600" % sport,
              "tcp-listen://127.0.0.1:%d" % lport])
s = connect_retry(lport)
s.sendall(ALL * 4)
c.ok("bridge tcp-listen -> rfc2217 -> serve -> tty: 1 KiB exact",
     wait_for(lambda: len(pty.received) >= 1024) and bytes(pty.received) == ALL * 4,
     len(pty.received))
c.ok("the bridge's rfc2217 side set the baud on the far tty", c.pty_speed(pty.path) == 57600,
     c.pty_speed(pty.path))
pty.write(ALL)
c.ok("tty -> serve -> rfc2217 -> bridge -> tcp: 256 byte values exact",
     recv_exactly(s, 256) == ALL)
s.close()
c.stop(br)
c.stop(srv)
pty.close()

# -- serve: a client's reset is logged as the client's, not the device's (issue 25) ----------
pty = c.PtyEcho(echo=False)
srv, sport = serve(pty.path, "--raw")
s = connect_retry(sport)
s.sendall(b"x")
wait_for(lambda: len(pty.received) >= 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()  # with SO_LINGER 0: a reset, as a close with unread data sends
os.set_blocking(srv.stderr.fileno(), False)
log = b""
end = time.time() + 5
while b"disconnected" not in log and time.time() < end:
    try:
        log += os.read(srv.stderr.fileno(), 65536) or b""
    except BlockingIOError:
        time.sleep(0.02)
line = [x for x in log.decode(errors="replace").splitlines() if "disconnected" in x]
c.ok("a client's reset is logged as 'the client reset the connection', not as the device's",
     line and "the client reset the connection" in line[0] and "device" not in line[0], line)
c.stop(srv)
pty.close()

# -- serve --file: two exports in one process ----------------------------------------------
p1, p2 = c.PtyEcho(), c.PtyEcho()
tmp = tempfile.mkdtemp(prefix="aserial-netcli-")
cfg = os.path.join(tmp, "exports")
ports = (c.free_port(), c.free_port())
with open(cfg, "w") as f:
    f.write("# two ports\n\n%s 127.0.0.1:%d raw max-clients=2\n%s %d rfc2217 kick-old "
            "config=9600,8N1\n" % (p1.path, ports[0], p2.path, ports[1]))
srv = c.start([A, "serve", "--file", cfg])
lines = [srv.stdout.readline().decode() for _ in range(2)]
c.ok("serve --file starts every export", all("serving" in l for l in lines), lines)
s = connect_retry(ports[0])
s.sendall(b"raw export\n")
c.ok("serve --file: the raw export echoes through its tty",
     recv_exactly(s, 11) == b"raw export\n")
s.close()
c.ok("the second export opened its tty at 9600 (config=)", c.pty_speed(p2.path) == 9600,
     c.pty_speed(p2.path))
rc, out = c.run([A, "query", "rfc2217://127.0.0.1:%d?baud=19200" % ports[1], "hello",
                 "--timeout", "3000"])
c.ok("aserial query over rfc2217:// to the second export", rc == 0 and out.strip() == "hello",
     out)
end = time.time() + 5
while c.pty_speed(p2.path) != 9600 and time.time() < end:
    time.sleep(0.02)
c.ok("the query gone, that tty is back at the export's config=9600", c.pty_speed(p2.path) == 9600,
     c.pty_speed(p2.path))
out, err = c.stop(srv)
c.ok("the query's ?baud=19200 reached that tty, and 9600 was restored after it (the log)",
     b"SET-BAUDRATE: 19200" in err and b"settings restored to 9600,8N1" in err,
     err.decode(errors="replace"))
p1.close()
p2.close()

# -- errors that name the fix ---------------------------------------------------------------
# -- cross-protocol HTTP: what any web page can make a browser send ------------------------
pty = c.PtyEcho(echo=False)
srv, sport = serve(pty.path, "--raw")
post = b"POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: text/plain\r\n" \
       b"Content-Length: 9\r\n\r\n\r\nRESET\r\n" % sport
s = socket.create_connection(("127.0.0.1", sport), timeout=5)
s.sendall(post)
closed = recv_exactly(s, 1, 3) == b""
s.close()
s = socket.create_connection(("127.0.0.1", sport), timeout=5)
s.sendall(b"*IDN?\n")
c.ok("a raw export closes a client whose first line is an HTTP POST, and a line protocol's "
     "client after it gets through", closed and wait_for(lambda: bytes(pty.received) == b"*IDN?\n"),
     bytes(pty.received))
s.close()
out, err = c.stop(srv)
err = err.decode(errors="replace")
c.ok("nothing of the request reached the device, and the log says why",
     b"RESET" not in bytes(pty.received) and "HTTP request" in err and "--allow-http" in err,
     err[-600:])
srv, sport = serve(pty.path, "--raw", "--allow-http")
s = socket.create_connection(("127.0.0.1", sport), timeout=5)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
c.ok("--allow-http passes such a first line to the device",
     wait_for(lambda: b"GET / HTTP/1.0" in bytes(pty.received)), bytes(pty.received))
s.close()
c.stop(srv)
pty.close()

rc, out = c.run([A, "query", "rfc2217://lab1", "x"])
c.ok("query rfc2217://lab1: exit 1, needs a port", rc == 1 and "needs a port" in out
     and "rfc2217://HOST:PORT" in out, out)
rc, out = c.run([A, "query", "tcp://127.0.0.1:%d" % c.free_port(), "x"])
c.ok("query to a closed TCP port: exit 1, connection refused, names the address",
     rc == 1 and "connection refused" in out and "127.0.0.1:" in out, out)
rc, out = c.run([A, "serve", "/dev/null"])
c.ok("serve without --listen: one line naming it, exit 2",
     rc == 2 and "missing --listen" in out and "see aserial help serve" in out, out)
with open(cfg, "w") as f:
    f.write("/dev/ttyS0 127.0.0.1:1 turbo\n")
rc, out = c.run([A, "serve", "--file", cfg])
c.ok("serve --file with a bad option: exit 2, names the line", rc == 2 and ":1:" in out
     and "turbo" in out, out)
rc, out = c.run([A, "serve", "/dev/ttyNOPE9", "--listen", "127.0.0.1:0"])
c.ok("serve a missing port: exit 1, names it", rc == 1 and "/dev/ttyNOPE9" in out, out)
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
pty = c.PtyEcho()
rc, out = c.run([A, "serve", pty.path, "--listen", "127.0.0.1:%d" % busy.getsockname()[1]])
c.ok("serve on a port in use: exit 1, says so", rc == 1 and "in use" in out, out)
busy.close()
pty.close()
rc, out = c.run([A, "bridge", "only-one"])
c.ok("bridge with one endpoint: one line naming URL_B, exit 2",
     rc == 2 and "missing URL_B" in out and "see aserial help bridge" in out, out)
rc, out = c.run([A, "bridge", "tcp://127.0.0.1:%d" % c.free_port(), "/dev/null"])
c.ok("bridge to an unreachable side: exit 1 with the reason", rc == 1, out)
os.unlink(cfg)
os.rmdir(tmp)
c.done()
