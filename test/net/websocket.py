"""ws:// against a real WebSocket peer, Python's `websockets` (Debian
python3-websockets), started here on loopback:
  - aserial bridge PTY ws://.../ws/lab with an echoing server: the 256 byte
    values, then 1 MiB of random bytes, come back exact through the pty
  - a bearer token (?token=): the right one opens, a wrong one is refused
    with the server's 401 in the message
  - a listener that accepts TCP but never answers the upgrade: the open
    fails within connect_timeout, naming the upgrade; one that hangs up is
    named as not a WebSocket server
Usage: websocket.py AASERIAL"""
import asyncio
import http
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common as c  # noqa: E402

import websockets  # noqa: E402

A = sys.argv[1]
c.header()
ALL = bytes(range(256))
seen = {"paths": [], "auth": []}


async def process_request(path, headers):
    seen["paths"].append(path)
    seen["auth"].append(headers.get("Authorization"))
    if path.startswith("/ws/secure") and headers.get("Authorization") != "Bearer s3cret":
        return (http.HTTPStatus.UNAUTHORIZED, [("Content-Type", "text/plain")],
                b"a token is required\n")
    if not path.startswith("/ws/"):
        return (http.HTTPStatus.NOT_FOUND, [], b"no such export\n")
    return None


async def echo(ws, path=None):
    async for msg in ws:
        await ws.send(msg if isinstance(msg, bytes) else msg.encode())


class Server(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.port = None
        self.ready = threading.Event()
        self.start()

    def run(self):
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        srv = loop.run_until_complete(websockets.serve(echo, "127.0.0.1", 0,
                                                       process_request=process_request,
                                                       max_size=None))
        self.port = srv.sockets[0].getsockname()[1]
        self.ready.set()
        loop.run_forever()


srv = Server()
srv.ready.wait(5)
url = "ws://127.0.0.1:%d" % srv.port


def wait_for(pred, limit=10.0):
    end = time.time() + limit
    while not pred() and time.time() < end:
        time.sleep(0.02)
    return pred()


# -- bridge a pty to the echoing export: bytes exact both ways --------------------------
pty = c.PtyEcho(echo=False)
br = c.start([A, "bridge", pty.path, url + "/ws/lab"], limit=90)
time.sleep(0.3)
pty.write(ALL)
c.ok("the 256 byte values go out through ws:// and come back exact",
     wait_for(lambda: len(pty.received) >= 256) and bytes(pty.received[:256]) == ALL,
     "got %d bytes" % len(pty.received))
blob = os.urandom(1 << 20)
t0 = time.time()
writer = threading.Thread(target=pty.write, args=(blob,), daemon=True)
writer.start()
got = wait_for(lambda: len(pty.received) >= 256 + len(blob), limit=60)
secs = time.time() - t0
c.ok("1 MiB each way through ws:// comes back exact",
     got and bytes(pty.received[256:256 + len(blob)]) == blob,
     "got %d of %d bytes in %.1f s" % (len(pty.received) - 256, len(blob), secs))
print("# 1 MiB each way in %.2f s" % secs, flush=True)
c.ok("the upgrade asked for the path of the URL", "/ws/lab" in seen["paths"], seen["paths"])
c.ok("the bridge is still running", br.poll() is None)
c.stop(br)
pty.close()

# -- tokens -------------------------------------------------------------------------
rc, out = c.run([A, "query", url + "/ws/secure?token=s3cret", "ping", "--timeout", "3000"])
c.ok("the right token opens the export and a query is answered (echo)",
     rc == 0 and "ping" in out, "rc %d: %s" % (rc, out))
c.ok("the token travels as a bearer token", "Bearer s3cret" in seen["auth"], seen["auth"])
rc, out = c.run([A, "query", url + "/ws/secure?token=wrong", "ping", "--timeout", "3000"])
c.ok("a wrong token is refused, with the server's answer in the message",
     rc != 0 and "401" in out and "refused the WebSocket upgrade" in out, "rc %d: %s" % (rc, out))
rc, out = c.run([A, "query", "ws://127.0.0.1:%d/elsewhere" % srv.port, "ping", "--timeout", "3000"])
c.ok("an unknown path is refused with the server's 404", rc != 0 and "404" in out,
     "rc %d: %s" % (rc, out))

# -- a TCP listener that never answers the upgrade --------------------------------------
mute = socket.socket()
mute.bind(("127.0.0.1", 0))
mute.listen(4)
t0 = time.time()
rc, out = c.run([A, "query", "ws://127.0.0.1:%d/ws/x?connect_timeout=500" % mute.getsockname()[1],
                 "ping", "--timeout", "5000"])
took = time.time() - t0
c.ok("a server that never answers the upgrade fails the open within connect_timeout",
     rc != 0 and "no answer to the WebSocket upgrade within 500 ms" in out and took < 3.0,
     "rc %d after %.2f s: %s" % (rc, took, out))
mute.close()

# -- a TCP server that closes without answering -----------------------------------------
rude = socket.socket()
rude.bind(("127.0.0.1", 0))
rude.listen(4)


def slam():
    conn, _ = rude.accept()
    conn.recv(4096)
    conn.close()


threading.Thread(target=slam, daemon=True).start()
rc, out = c.run([A, "query", "ws://127.0.0.1:%d/ws/x" % rude.getsockname()[1], "ping",
                 "--timeout", "3000"])
c.ok("a server that hangs up on the upgrade is named as not a WebSocket server",
     rc != 0 and "closed the connection without answering the WebSocket upgrade" in out,
     "rc %d: %s" % (rc, out))
rude.close()
c.done()
