"""Interop (d): gensio's gensiot with telnet(rfc2217),tcp,... -> aserial
serve --rfc2217 -> pseudo-terminal. gensiot's stdin/stdout carry the data;
with its escape character (^\\ = 0x1c here), "s57600" sets the baud rate
through RFC 2217. Usage: gensiot.py AASERIAL"""
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common as c  # noqa: E402

aserial = sys.argv[1]
c.header()
pty = c.PtyEcho()
srv = c.start([aserial, "serve", pty.path, "--listen", "127.0.0.1:0", "--config", "38400"])
m = re.search(r"on 127\.0\.0\.1:(\d+)", srv.stdout.readline().decode())
if not c.ok("aserial serve listens", m):
    c.done()
port = m.group(1)
target = "telnet(rfc2217),tcp,127.0.0.1,%s" % port

# Data: no escape character (-e -1), so every byte value passes as it is.
g = c.start(["gensiot", "-e", "-1", target], stdin=subprocess.PIPE)
data = bytes(range(256)) * 2
g.stdin.write(data)
g.stdin.flush()
os.set_blocking(g.stdout.fileno(), False)
got = b""
end = time.time() + 5
while len(got) < len(data) and time.time() < end:
    try:
        got += os.read(g.stdout.fileno(), 65536)
    except BlockingIOError:
        time.sleep(0.02)
c.ok("gensiot -> aserial serve -> pty and back: 512 bytes, all 256 values, exact",
     got == data, "%d bytes back" % len(got))
c.ok("the pty saw exactly what gensiot sent", bytes(pty.received) == data, len(pty.received))
g.stdin.close()
c.stop(g)

# Settings: the escape character ^\ (0x1c) then "s57600" sets the baud.
g = c.start(["gensiot", "-e", "28", target], stdin=subprocess.PIPE)
time.sleep(0.3)
g.stdin.write(b"\x1cs57600\n")
g.stdin.flush()
end = time.time() + 3
while c.pty_speed(pty.path) != 57600 and time.time() < end:
    time.sleep(0.02)
c.ok("gensiot's RFC 2217 baud change reaches the pty's termios",
     c.pty_speed(pty.path) == 57600, c.pty_speed(pty.path))
g.stdin.write(b"\x1cq")
g.stdin.flush()
try:
    g.wait(5)
except Exception:
    pass


def speed_becomes(want, limit=5.0):
    end = time.time() + limit
    while c.pty_speed(pty.path) != want and time.time() < end:
        time.sleep(0.02)
    return c.pty_speed(pty.path)


# Issue 25: gensiot gone, the export's --config (38400) is back for the
# next client, which negotiates nothing.
sp = speed_becomes(38400)
c.ok("gensiot gone (the last client): the export's --config 38400 is back", sp == 38400, sp)
out, err = c.stop(srv)
c.ok("aserial serve logged gensiot's SET-BAUDRATE", b"SET-BAUDRATE: 57600" in err,
     err.decode(errors="replace"))
c.ok("and the settings it restored", b"settings restored to 38400,8N1" in err,
     err.decode(errors="replace"))

# A lock-settings export never changes: gensiot's s57600 is refused and
# the termios keeps the export's 19200, during and after the client.
srv = c.start([aserial, "serve", pty.path, "--listen", "127.0.0.1:0", "--config", "19200",
               "--lock-settings"])
m = re.search(r"on 127\.0\.0\.1:(\d+)", srv.stdout.readline().decode())
target = "telnet(rfc2217),tcp,127.0.0.1,%s" % (m.group(1) if m else "0")
g = c.start(["gensiot", "-e", "28", target], stdin=subprocess.PIPE)
g.stdin.write(b"\x1cs57600\n")
g.stdin.flush()
refused = b""
end = time.time() + 5
os.set_blocking(srv.stderr.fileno(), False)
while b"refused" not in refused and time.time() < end:
    try:
        refused += os.read(srv.stderr.fileno(), 65536) or b""
    except BlockingIOError:
        time.sleep(0.02)
c.ok("a lock-settings export: gensiot's baud change is refused and logged",
     b"SET-BAUDRATE 57600 refused: a lock-settings client" in refused,
     refused.decode(errors="replace"))
c.ok("the termios keeps the export's 19200", c.pty_speed(pty.path) == 19200, c.pty_speed(pty.path))
g.stdin.write(b"\x1cq")
g.stdin.flush()
try:
    g.wait(5)
except Exception:
    pass
out, err = c.stop(srv)
c.ok("still 19200 after it left, and nothing to restore",
     c.pty_speed(pty.path) == 19200 and b"restored" not in refused + err,
     (refused + err).decode(errors="replace"))
pty.close()
c.done()
