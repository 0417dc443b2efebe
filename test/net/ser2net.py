"""Interop (a): aserial client -> ser2net 4 (telnet(rfc2217) and raw tcp)
-> pseudo-terminal. All 256 byte values must come back exact (0xFF
included), and the baud rates the client sets (in the URL at open, then
with aser_configure) must reach the pseudo-terminal's termios while it is
connected. Usage: ser2net.py NETPEER"""
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common as c  # noqa: E402

netpeer = sys.argv[1]
c.header()
pty = c.PtyEcho()
tmp = tempfile.mkdtemp(prefix="aserial-s2n-")
telnet_port, raw_port = c.free_port(), c.free_port()
conf = os.path.join(tmp, "ser2net.yaml")
with open(conf, "w") as f:
    f.write("""%%YAML 1.1
---
connection: &rfc2217
  accepter: telnet(rfc2217),tcp,127.0.0.1,%d
  connector: serialdev,%s,115200n81,local
connection: &raw
  accepter: tcp,127.0.0.1,%d
  connector: serialdev,%s,115200n81,local
""" % (telnet_port, pty.path, raw_port, pty.path))
s2n = c.start(["ser2net", "-n", "-d", "-u", "-c", conf, "-P", os.path.join(tmp, "pid")])
up = c.wait_listening(telnet_port) and c.wait_listening(raw_port)
if not c.ok("ser2net 4 starts with the test's YAML config", up):
    print("# ser2net did not listen: %r" % (c.stop(s2n),))
    c.done()

rc, out = c.run([netpeer, "rfc2217://127.0.0.1:%d?baud=57600" % telnet_port,
                 "--configure", "38400"])
c.ok("rfc2217 -> ser2net: opens and negotiates COM-PORT-OPTION", "open ok" in out
     and "cap baud supported" in out, out)
c.ok("rfc2217 -> ser2net: all 256 byte values both ways, exact", "echo 1 ok" in out, out)
c.ok("rfc2217 -> ser2net: baud at open (?baud=57600) reaches the pty's termios",
     pty.speed_at(0) == 57600, "speed seen with the first bytes: %r" % pty.speed_at(0))
c.ok("rfc2217 -> ser2net: aser_configure(38400) acknowledged", "configure 0" in out, out)
c.ok("rfc2217 -> ser2net: the new baud reaches the pty's termios",
     pty.speed_at(256) == 38400, "speed seen with the second bytes: %r" % pty.speed_at(256))
c.ok("rfc2217 -> ser2net: 256 bytes again after reconfiguring", "echo 2 ok" in out
     and rc == 0, out)

# ser2net may still be releasing the pty after the last client: it then
# drops a new connection at once. Give it a few tries.
for attempt in range(10):
    before = len(pty.received)
    rc, out = c.run([netpeer, "tcp://127.0.0.1:%d" % raw_port])
    if "disconnected" not in out:
        break
    time.sleep(0.2)
c.ok("tcp -> ser2net raw: all 256 byte values both ways, exact", rc == 0 and "echo 1 ok" in out,
     out)
c.ok("tcp -> ser2net raw: the pty saw exactly the 256 bytes",
     bytes(pty.received[before:before + 256]) == bytes(range(256)))
c.ok("tcp -> ser2net raw: line settings reported unsupported, not faked",
     "cap baud unsupported raw TCP carries data only" in out, out)

c.stop(s2n)
pty.close()
shutil.rmtree(tmp, ignore_errors=True)
c.done()
