"""Interop (b): pyserial's rfc2217:// client with its default options (no
ign_set_control) -> aserial serve --rfc2217 -> pseudo-terminal. A pty has
no modem lines; the server must still answer every request (SET-CONTROL,
PURGE-DATA, ...) for pyserial to open, and baud changes must reach the
pty's termios. Usage: pyserial_client.py AASERIAL"""
import re
import sys
import time

import serial

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common as c  # noqa: E402

aserial = sys.argv[1]
c.header()
pty = c.PtyEcho(echo=False)
srv = c.start([aserial, "serve", pty.path, "--listen", "127.0.0.1:0", "--rfc2217",
               "--config", "115200,8N1"])
line = srv.stdout.readline().decode()
m = re.search(r"on 127\.0\.0\.1:(\d+) \(rfc2217\)", line)
if not c.ok("aserial serve prints where it listens", m, line):
    c.done()
url = "rfc2217://127.0.0.1:%s" % m.group(1)

try:
    t0 = time.time()
    s = serial.serial_for_url(url, baudrate=57600, timeout=3)
    took = time.time() - t0
    c.ok("pyserial (default options) opens through aserial serve on a pty", True)
    c.ok("the open does not wait for any timeout (every request answered)", took < 2.5,
         "open took %.2f s" % took)
except Exception as e:
    c.ok("pyserial (default options) opens through aserial serve on a pty", False, repr(e))
    c.done()

c.ok("the baud pyserial asked for reaches the pty's termios", c.pty_speed(pty.path) == 57600,
     c.pty_speed(pty.path))
s.write(bytes(range(256)) * 4)
end = time.time() + 3
while len(pty.received) < 1024 and time.time() < end:
    time.sleep(0.02)
c.ok("pyserial -> pty: 1024 bytes, all 256 values, exact",
     bytes(pty.received) == bytes(range(256)) * 4, len(pty.received))
pty.write(bytes(range(256)))
got = s.read(256)
c.ok("pty -> pyserial: all 256 values exact (0xFF included)", got == bytes(range(256)),
     "%d bytes" % len(got))
try:
    s.baudrate = 9600
    c.ok("a baud change from pyserial reaches the termios",
         c.pty_speed(pty.path) == 9600, c.pty_speed(pty.path))
    s.dtr = False
    s.rts = False
    s.dtr = True
    s.reset_input_buffer()
    s.reset_output_buffer()
    s.send_break(0.05)
    s.parity = serial.PARITY_EVEN
    c.ok("DTR/RTS, purge, break and parity on a line-less pty are answered", True)
except Exception as e:
    c.ok("DTR/RTS, purge, break and parity on a line-less pty are answered", False, repr(e))
try:
    lines = (s.cts, s.dsr, s.ri, s.cd)
    c.ok("modem state reported to pyserial (NOTIFY-MODEMSTATE)", lines == (False,) * 4, lines)
except Exception as e:
    c.ok("modem state reported to pyserial (NOTIFY-MODEMSTATE)", False, repr(e))
s.close()


def speed_becomes(want, limit=5.0):
    end = time.time() + limit
    while c.pty_speed(pty.path) != want and time.time() < end:
        time.sleep(0.02)
    return c.pty_speed(pty.path)


# Issue 25: the export's configured settings (--config 115200,8N1) come
# back when its last client leaves; the next client finds them.
sp = speed_becomes(115200)
c.ok("the last client gone, the export's --config (115200) is back in the termios", sp == 115200,
     sp)
s2 = serial.serial_for_url(url + "?ign_set_control", baudrate=1200, timeout=3)
c.ok("a second pyserial client sets 1200 baud", speed_becomes(1200) == 1200,
     c.pty_speed(pty.path))
s2.close()
sp = speed_becomes(115200)
c.ok("it left: 115200 again, not the 1200 it set", sp == 115200, sp)
out, err = c.stop(srv)
err_s = err.decode(errors="replace")
c.ok("aserial serve logged the client and its settings",
     b"connected" in err and b"SET-BAUDRATE" in err, err_s)
c.ok("aserial serve logged the settings it restored",
     "settings restored to 115200,8N1 (the last client left)" in err_s, err_s)
pty.close()
c.done()
