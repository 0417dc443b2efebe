"""Interop (c): aserial client -> pyserial's rfc2217_server.py example (as
Debian ships it in python3-serial's examples) serving loop://, which echoes.
The example insists on modem-line ioctls, so it cannot serve a pty; loop://
is what it can serve. It binds every interface (its code, unchanged) on an
ephemeral port; the test connects through 127.0.0.1 only.
Usage: pyserial_server.py NETPEER"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common as c  # noqa: E402

netpeer = sys.argv[1]
EXAMPLE = "/usr/share/doc/python3-serial/examples/rfc2217_server.py"
c.header()
if not os.path.exists(EXAMPLE):
    c.skip("pyserial's rfc2217_server.py", "not installed (python3-serial examples)")
    c.done()
port = c.free_port()
srv = c.start(["/usr/bin/python3", EXAMPLE, "-p", str(port), "loop://"])
if not c.ok("rfc2217_server.py starts on loop://", c.wait_listening(port)):
    print("# %r" % (c.stop(srv),))
    c.done()

rc, out = c.run([netpeer, "rfc2217://127.0.0.1:%d?baud=19200" % port, "--configure", "9600"])
c.ok("aserial opens rfc2217:// on pyserial's server", "open ok" in out, out)
c.ok("settings acknowledged by PortManager (baud, flow control)",
     "cap baud supported acknowledged" in out and "cap flow_rtscts supported acknowledged" in out,
     out)
c.ok("all 256 byte values through the server and back, exact", "echo 1 ok" in out, out)
c.ok("aser_configure(9600) acknowledged by pyserial's server", "configure 0" in out, out)
c.ok("256 bytes again after reconfiguring", "echo 2 ok" in out and rc == 0, out)
c.stop(srv)
c.done()
