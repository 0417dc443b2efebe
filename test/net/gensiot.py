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
srv = c.start([aserial, "serve", pty.path, "--listen", "127.0.0.1:0"])
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
out, err = c.stop(srv)
c.ok("aserial serve logged gensiot's SET-BAUDRATE", b"SET-BAUDRATE: 57600" in err,
     err.decode(errors="replace"))
pty.close()
c.done()
