"""TLS clients (issue 16, client half) against real TLS peers started here,
with certificates made here (openssl req/ca into a temp dir, removed at
the end; no key is ever committed):
  - tcp+tls:// -> `openssl s_server -rev`: a verified query (?ca=), an
    address checked against the certificate's IP entry, a client
    certificate (?cert=&key=) demanded by s_server -Verify, and bytes
    exact through `aserial bridge` to s_server's own stdin/stdout
  - rfc2217+tls:// -> ser2net with an ssl accepter
    (telnet(rfc2217),ssl(key=,cert=),tcp) onto a pseudo-terminal: the 256
    byte values exact and baud changes reaching the pty
  - wss:// -> Python websockets with an ssl context: 256 values and 1 MiB
    each way through `aserial bridge`
  - TLS 1.2 accepted, a TLS 1.1-only server refused
  - refusals, each with its message: an expired certificate, a self-signed
    one not in ?ca= (accepted once it is), a certificate for another name, an unknown CA, a plain TCP peer
    (garbage instead of a handshake), a silent peer (connect_timeout)
Usage: tls.py AASERIAL (netpeer is found in ASER_BUILD_DIR/test)"""
import asyncio
import atexit
import os
import shutil
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
NETPEER = os.path.join(os.environ.get("ASER_BUILD_DIR", "."), "test", "netpeer")
c.header()
ALL = bytes(range(256))
tmp = tempfile.mkdtemp(prefix="aserial-tls-")
atexit.register(shutil.rmtree, tmp, True)  # whatever happens (c.done() exits)


def P(name):
    return os.path.join(tmp, name)


def sh(args):
    r = subprocess.run(args, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    if r.returncode != 0:
        print("# %s failed: %s" % (" ".join(args), r.stdout.decode(errors="replace")))
    return r.returncode == 0


def make_certs():
    with open(P("ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\n"
                "serial = serial\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\n"
                "unique_subject = no\n"
                "[p]\ncommonName = supplied\n")
    open(P("index.txt"), "w").close()
    with open(P("serial"), "w") as f:
        f.write("01\n")
    san = "subjectAltName=DNS:localhost,IP:127.0.0.1"
    ok = sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
             "-out", "ca.pem", "-days", "2", "-subj", "/CN=aserial test CA"])
    ok = ok and sh(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key",
                    "-out", "srv.csr", "-subj", "/CN=localhost", "-addext", san])
    ok = ok and sh(["openssl", "ca", "-config", "ca.cnf", "-batch", "-notext", "-in", "srv.csr",
                    "-cert", "ca.pem", "-keyfile", "ca.key", "-out", "srv.pem", "-days", "2"])
    ok = ok and sh(["openssl", "ca", "-config", "ca.cnf", "-batch", "-notext", "-in", "srv.csr",
                    "-cert", "ca.pem", "-keyfile", "ca.key", "-out", "expired.pem",
                    "-startdate", "20200101000000Z", "-enddate", "20200102000000Z"])
    ok = ok and sh(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key",
                    "-out", "other.csr", "-subj", "/CN=elsewhere.example", "-addext",
                    "subjectAltName=DNS:elsewhere.example"])
    ok = ok and sh(["openssl", "ca", "-config", "ca.cnf", "-batch", "-notext", "-in",
                    "other.csr", "-cert", "ca.pem", "-keyfile", "ca.key", "-out", "other.pem",
                    "-days", "2"])
    ok = ok and sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    "self.key", "-out", "self.pem", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", san])
    ok = ok and sh(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "cli.key",
                    "-out", "cli.csr", "-subj", "/CN=aserial client"])
    ok = ok and sh(["openssl", "ca", "-config", "ca.cnf", "-batch", "-notext", "-in", "cli.csr",
                    "-cert", "ca.pem", "-keyfile", "ca.key", "-out", "cli.pem", "-days", "2"])
    return ok


if not c.ok("test certificates are made (CA, server, expired, self-signed, client)",
            make_certs()):
    c.done()


def s_server(cert, key, extra=()):
    port = c.free_port()
    p = c.start(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", P(cert),
                 "-key", P(key), "-quiet"] + list(extra), limit=60, stdin=subprocess.PIPE)
    c.wait_listening(port)
    return p, port


def query(url, req="hello", timeout=4000):
    return c.run([A, "query", url, req, "--timeout", str(timeout)])


CA = "?ca=" + P("ca.pem")

# -- tcp+tls:// against openssl s_server -----------------------------------------------
srv, port = s_server("srv.pem", "srv.key", ["-rev"])
rc, out = query("tcp+tls://localhost:%d%s" % (port, CA))
c.ok("tcp+tls:// -> s_server -rev: the reply comes back through TLS", rc == 0 and "olleh" in out,
     "rc %d: %s" % (rc, out))
c.stop(srv)
srv, port = s_server("srv.pem", "srv.key", ["-rev"])
rc, out = query("tcp+tls://127.0.0.1:%d%s" % (port, CA))
c.ok("an address is checked against the certificate's IP entry", rc == 0 and "olleh" in out,
     "rc %d: %s" % (rc, out))
c.stop(srv)

srv, port = s_server("srv.pem", "srv.key", ["-rev", "-Verify", "1", "-CAfile", P("ca.pem")])
rc, out = query("tcp+tls://localhost:%d%s&cert=%s&key=%s" % (port, CA, P("cli.pem"),
                                                             P("cli.key")))
c.ok("a client certificate (?cert=&key=) is presented and accepted by s_server -Verify",
     rc == 0 and "olleh" in out, "rc %d: %s" % (rc, out))
c.stop(srv)

# bytes exact: a pty bridged to s_server, whose stdout/stdin are the other end
srv, port = s_server("srv.pem", "srv.key")
pty = c.PtyEcho(echo=False)
br = c.start([A, "bridge", pty.path, "tcp+tls://localhost:%d%s" % (port, CA)], limit=60)
got = bytearray()


def drain():
    while True:
        b = os.read(srv.stdout.fileno(), 65536)
        if not b:
            return
        got.extend(b)


threading.Thread(target=drain, daemon=True).start()
time.sleep(0.5)
pty.write(ALL)
end = time.time() + 10
while len(got) < 256 and time.time() < end:
    time.sleep(0.02)
c.ok("tcp+tls:// bridge: the 256 byte values reach the TLS server exact", bytes(got[:256]) == ALL,
     "got %d bytes" % len(got))
srv.stdin.write(b"from the server\n")
srv.stdin.flush()
end = time.time() + 10
while b"from the server" not in bytes(pty.received) and time.time() < end:
    time.sleep(0.02)
c.ok("tcp+tls:// bridge: the server's bytes reach the pty", b"from the server\n" in
     bytes(pty.received), bytes(pty.received))
c.stop(br)
c.stop(srv)
pty.close()

# -- refusals ---------------------------------------------------------------------------
srv, port = s_server("srv.pem", "srv.key", ["-rev", "-tls1_2"])
rc, out = query("tcp+tls://localhost:%d%s" % (port, CA))
c.ok("a TLS 1.2 server is accepted", rc == 0 and "olleh" in out, "rc %d: %s" % (rc, out))
c.stop(srv)
srv, port = s_server("srv.pem", "srv.key", ["-rev", "-tls1_1"])
rc, out = query("tcp+tls://localhost:%d%s" % (port, CA))
c.ok("a server offering only TLS 1.1 is refused, saying so", rc != 0 and
     "the server offers only TLS versions older than 1.2" in out, "rc %d: %s" % (rc, out))
c.stop(srv)

srv, port = s_server("expired.pem", "srv.key")
rc, out = query("tcp+tls://localhost:%d%s" % (port, CA))
c.ok("an expired certificate is refused, naming the date and the fix",
     rc != 0 and "has expired (valid until Jan  2 00:00:00 2020 GMT): renew it" in out,
     "rc %d: %s" % (rc, out))
c.stop(srv)
srv, port = s_server("self.pem", "self.key", ["-rev"])
rc, out = query("tcp+tls://localhost:%d%s" % (port, CA))
c.ok("a self-signed certificate not in ?ca= is refused, naming ?ca=",
     rc != 0 and "is self-signed and not trusted here: pass it (or its CA) with ?ca=FILE" in out,
     "rc %d: %s" % (rc, out))
rc, out = query("tcp+tls://localhost:%d?ca=%s" % (port, P("self.pem")))
c.ok("... and trusted once given with ?ca=", rc == 0 and "olleh" in out, "rc %d: %s" % (rc, out))
c.stop(srv)
srv, port = s_server("other.pem", "other.key")
rc, out = query("tcp+tls://localhost:%d%s" % (port, CA))
c.ok("a certificate for another host name is refused, naming the host", rc != 0 and
     'certificate is not for "localhost": connect with a name the certificate carries' in out,
     "rc %d: %s" % (rc, out))
c.stop(srv)
srv, port = s_server("srv.pem", "srv.key")
rc, out = query("tcp+tls://localhost:%d" % port)
c.ok("a CA this machine does not trust (no ?ca=) is refused, naming ?ca=", rc != 0 and
     "signed by a CA this machine does not trust: pass that CA with ?ca=FILE" in out,
     "rc %d: %s" % (rc, out))
c.stop(srv)

port = c.free_port()
plain = c.start(["socat", "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr" % port,
                 "SYSTEM:echo 220 plain text service; sleep 2"], limit=20)
c.wait_listening(port)
rc, out = query("tcp+tls://localhost:%d%s" % (port, CA))
c.ok("a plain TCP peer (garbage for a handshake) is refused as not speaking TLS",
     rc != 0 and "the TLS handshake failed (wrong version number): is the server speaking TLS"
     in out, "rc %d: %s" % (rc, out))
c.stop(plain)
port = c.free_port()
slam = c.start(["socat", "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr" % port,
                "SYSTEM:head -c 1 >/dev/null"], limit=20)
c.wait_listening(port)
rc, out = query("tcp+tls://localhost:%d%s" % (port, CA))
c.ok("a peer that hangs up during the handshake is named, with the client-certificate hint",
     rc != 0 and "the server closed the connection during the TLS handshake: is it a TLS port"
     in out and "?cert=FILE&key=FILE" in out, "rc %d: %s" % (rc, out))
c.stop(slam)
port = c.free_port()
mute = c.start(["socat", "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr" % port, "SYSTEM:sleep 5"],
               limit=20)
c.wait_listening(port)
t0 = time.time()
rc, out = query("tcp+tls://localhost:%d%s&connect_timeout=500" % (port, CA))
took = time.time() - t0
c.ok("a silent peer: the handshake is bounded by connect_timeout",
     rc != 0 and "the TLS handshake did not finish within 500 ms" in out and took < 3,
     "rc %d after %.1f s: %s" % (rc, took, out))
c.stop(mute)
rc, out = query("tcp+tls://localhost:1?ca=%s" % P("missing.pem"))
c.ok("a missing ?ca= file is an open error naming the file",
     rc != 0 and "cannot read %s (No such file or directory)" % P("missing.pem") in out,
     "rc %d: %s" % (rc, out))
rc, out = query("tcp://localhost:1%s" % CA)
c.ok("?ca= on a plain URL is refused by name", rc != 0 and "ca is not an option of tcp URLs"
     in out, "rc %d: %s" % (rc, out))

# -- rfc2217+tls:// against ser2net's ssl accepter ----------------------------------------
if shutil.which("ser2net"):
    pty = c.PtyEcho()
    s2n_port = c.free_port()
    conf = P("ser2net.yaml")
    with open(conf, "w") as f:
        f.write("""%%YAML 1.1
---
connection: &tls
  accepter: telnet(rfc2217),ssl(key=%s,cert=%s),tcp,127.0.0.1,%d
  connector: serialdev,%s,115200n81,local
""" % (P("srv.key"), P("srv.pem"), s2n_port, pty.path))
    s2n = c.start(["ser2net", "-n", "-d", "-u", "-c", conf, "-P", P("s2n.pid")])
    if c.ok("ser2net starts with an ssl accepter", c.wait_listening(s2n_port)):
        rc, out = c.run([NETPEER, "rfc2217+tls://localhost:%d%s&baud=57600" % (s2n_port, CA),
                         "--configure", "38400"], limit=30)
        c.ok("rfc2217+tls:// -> ser2net: opens and negotiates COM-PORT-OPTION",
             "open ok" in out and "cap baud supported" in out, out)
        c.ok("rfc2217+tls:// -> ser2net: all 256 byte values both ways, exact",
             "echo 1 ok" in out and "echo 2 ok" in out and rc == 0, out)
        c.ok("rfc2217+tls:// -> ser2net: ?baud=57600 reaches the pty's termios",
             pty.speed_at(0) == 57600, "speed with the first bytes: %r" % pty.speed_at(0))
        c.ok("rfc2217+tls:// -> ser2net: aser_configure(38400) reaches the pty's termios",
             "configure 0" in out and pty.speed_at(256) == 38400,
             "speed with the second bytes: %r; %s" % (pty.speed_at(256), out))
    else:
        print("# %r" % (c.stop(s2n),))
    c.stop(s2n)
    pty.close()
else:
    c.skip("rfc2217+tls:// -> ser2net", "ser2net not installed (scripts/deps.sh check)")

# -- wss:// against Python websockets with an ssl context ----------------------------------
import websockets  # noqa: E402


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
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(P("srv.pem"), P("srv.key"))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        srv = loop.run_until_complete(websockets.serve(echo, "127.0.0.1", 0, ssl=ctx,
                                                       max_size=None))
        self.port = srv.sockets[0].getsockname()[1]
        self.ready.set()
        loop.run_forever()


ws = Server()
ws.ready.wait(5)
url = "wss://localhost:%d/ws/lab%s" % (ws.port, CA)
rc, out = query(url, "ping")
c.ok("wss:// -> websockets over TLS: a query is echoed", rc == 0 and "ping" in out,
     "rc %d: %s" % (rc, out))
pty = c.PtyEcho(echo=False)
br = c.start([A, "bridge", pty.path, url], limit=90)
time.sleep(0.5)
pty.write(ALL)


def wait_for(pred, limit=10.0):
    end = time.time() + limit
    while not pred() and time.time() < end:
        time.sleep(0.02)
    return pred()


c.ok("wss:// bridge: the 256 byte values come back exact",
     wait_for(lambda: len(pty.received) >= 256) and bytes(pty.received[:256]) == ALL,
     "got %d bytes" % len(pty.received))
blob = os.urandom(1 << 20)
threading.Thread(target=pty.write, args=(blob,), daemon=True).start()
got_all = wait_for(lambda: len(pty.received) >= 256 + len(blob), limit=60)
c.ok("wss:// bridge: 1 MiB each way comes back exact",
     got_all and bytes(pty.received[256:256 + len(blob)]) == blob,
     "got %d of %d bytes" % (len(pty.received) - 256, len(blob)))
c.stop(br)
pty.close()
rc, out = query("wss://localhost:%d/ws/lab" % ws.port, "ping")
c.ok("wss:// without the server's CA is refused, naming ?ca=", rc != 0 and "?ca=FILE" in out,
     "rc %d: %s" % (rc, out))

# -- a clean end: the client closes with a TLS close_notify --------------------------------
def one_shot_server(result):
    """Accept one TLS client, answer its line, then read to the end: a
    close_notify reads as b'' here; a bare TCP close raises SSLEOFError
    (ragged EOFs are not suppressed)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(P("srv.pem"), P("srv.key"))
    # Debian's Python sets this by default: a truncation would read as b''
    ctx.options &= ~getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(10)
    result["port"] = ls.getsockname()[1]
    result["ready"].set()
    try:
        raw, _ = ls.accept()
        conn = ctx.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
        conn.settimeout(10)
        conn.recv(100)
        conn.sendall(b"ok\n")
        while conn.recv(100):
            pass
        result["end"] = "close_notify"
    except ssl.SSLError as e:  # SSLEOFError, or SSLError UNEXPECTED_EOF (Debian)
        result["end"] = "truncated (no close_notify)" if "EOF" in str(e) else "error: %r" % e
    except Exception as e:  # noqa: BLE001 - reported as the failure reason
        result["end"] = "error: %r" % e
    finally:
        ls.close()


res = {"ready": threading.Event()}
th = threading.Thread(target=one_shot_server, args=(res,), daemon=True)
th.start()
res["ready"].wait(5)
rc, out = query("tcp+tls://localhost:%d%s" % (res["port"], CA), "hi")
th.join(10)
c.ok("tcp+tls:// closes with a TLS close_notify (the peer sees a clean end)",
     rc == 0 and res.get("end") == "close_notify",
     "rc %d: %s; the server saw: %s" % (rc, out, res.get("end")))

shutil.rmtree(tmp, ignore_errors=True)
c.done()
