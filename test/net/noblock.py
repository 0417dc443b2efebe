"""Issue 14 through the CLI: the speed other programs read after aserial
set a standard rate (stty -F and Python's termios see B57600, not BOTHER).
Usage: noblock.py AASERIAL"""
import subprocess
import sys
import termios
import os

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common as c  # noqa: E402

A = sys.argv[1]
c.header()

# -- standard rates: aserial query "PATH?baud=57600", then read it back -------------------
pty = c.PtyEcho(echo=True)
rc, out = c.run([A, "query", pty.path + "?baud=57600", "hello", "--timeout", "2000"])
c.ok("aserial query PATH?baud=57600 answered", rc == 0 and out.strip() == "hello", out)
st = subprocess.run(["timeout", "5", "stty", "-F", pty.path], capture_output=True, text=True)
c.ok("stty -F reports speed 57600 baud", "speed 57600 baud" in st.stdout, st.stdout + st.stderr)
fd = os.open(pty.path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
try:
    attrs = termios.tcgetattr(fd)
finally:
    os.close(fd)
c.ok("Python termios.tcgetattr gives B57600 (not BOTHER)",
     attrs[4] == termios.B57600 and attrs[5] == termios.B57600, "ispeed=%r ospeed=%r" % (attrs[4], attrs[5]))
rc, out = c.run([A, "query", pty.path + "?baud=12345", "odd", "--timeout", "2000"])
c.ok("a rate without a constant still works (BOTHER, 12345 read back)",
     rc == 0 and c.pty_speed(pty.path) == 12345, out)
pty.close()

c.done()
