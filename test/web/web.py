"""aserial serve --web against real clients started here on loopback:
Python's `websockets` (Debian python3-websockets) and plain sockets.
The export is one end of an `aserial pair`; the test holds the other end
(or `aserial sim` does, answering *IDN?).
  - GET / is the console page, GET /exports lists the export
  - /vendor/xterm.js and /vendor/xterm.css: read from $ASERIAL_XTERM_DIR
    (here a directory the test fills) with JS and CSS types; any other
    name under /vendor (../ traversal, %2e%2e, addons, the directory
    itself) is a 404, and so are a missing file and one over 1 MiB
  - /ws/lab byte-exact both ways: the 256 byte values, then 1 MiB each way
  - JSON control: settings reach the pty's termios, a bad message is an
    error message, pulling the pair gives link lost then back
  - a browser that never reads is dropped (too slow) while another gets
    all 8 MiB from the port
  - refused: a foreign Origin (403), no or a wrong token (401), an
    oversized head (431), --web beyond loopback without a token (exit 2),
    1000 garbage connections, while a good client keeps being served and
    the server's RSS stays bounded
  - the ws:// client transport: aserial query ws://.../ws/lab '*IDN?', and
    aserial bridge ws://.../ws/lab pty:X with a program on X
  - one client connecting to all 64 sim: exports of a --file before it
    sends any request: every upgrade answered (issue 24's fleets)
Usage: web.py AASERIAL"""
import asyncio
import atexit
import os
import shutil
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "net"))
import common as c  # noqa: E402

import websockets  # noqa: E402

A = sys.argv[1]
c.header()
T = tempfile.mkdtemp(prefix="aser-web-")
atexit.register(shutil.rmtree, T, True)
ALL = bytes(range(256))


def start_pair():
    p = c.start([A, "pair", T + "/a", T + "/b"], limit=120)
    for _ in range(100):
        if os.path.exists(T + "/a") and os.path.exists(T + "/b"):
            break
        time.sleep(0.05)
    return p


def start_serve(extra, env=None):
    p = c.start([A, "serve", T + "/a", "--name", "lab", "--web", "127.0.0.1:0"] + extra,
                limit=120, env=env)
    line = b""
    end = time.time() + 10
    while time.time() < end and b"web console on" not in line:
        line = p.stdout.readline()
    port = int(line.decode().rsplit(":", 1)[1].strip().rstrip("/"))
    p.stdout.readline()  # serving ... (websocket)
    return p, port


def http_get(port, path, headers="", host=None):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    host = host or "127.0.0.1:%d" % port
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (path, host, headers)).encode())
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    return data


def open_tty(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    import tty
    tty.setraw(fd)
    return fd


def read_tty(fd, n, limit=20.0):
    out = b""
    end = time.time() + limit
    import select
    while len(out) < n and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                out += os.read(fd, 65536)
            except BlockingIOError:
                pass
    return out


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def child_pid(p):
    """The aserial process under `timeout`."""
    with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
        return int(f.read().split()[0])


async def recv_json(ws, type_, limit=5.0):
    import json
    end = time.time() + limit
    while time.time() < end:
        m = await asyncio.wait_for(ws.recv(), end - time.time())
        if isinstance(m, str):
            j = json.loads(m)
            if j.get("type") == type_:
                return j
    raise TimeoutError(type_)


async def exact(port):
    fd = open_tty(T + "/b")
    try:
        async with websockets.connect("ws://127.0.0.1:%d/ws/lab" % port, max_size=None) as ws:
            await recv_json(ws, "lines")
            await ws.send(ALL)
            got = read_tty(fd, 256, 5)
            c.ok("the 256 byte values reach the port exactly", got == ALL, repr(got[:40]))
            os.write(fd, ALL)
            back = b""
            while len(back) < 256:
                m = await asyncio.wait_for(ws.recv(), 5)
                if isinstance(m, bytes):
                    back += m
            c.ok("the 256 byte values reach the browser exactly", back == ALL, repr(back[:40]))
            big = os.urandom(1 << 20)
            sent = 0
            got = b""
            while sent < len(big):  # 16 KiB messages, read as we go (the pty buffer is small)
                await ws.send(big[sent:sent + 16384])
                sent += 16384
                got += read_tty(fd, min(sent, len(big)) - len(got), 5)
            got += read_tty(fd, len(big) - len(got), 20)
            c.ok("1 MiB browser -> port, byte-exact", got == big, "got %d bytes" % len(got))
            back = b""
            off = 0

            async def reader():
                nonlocal back
                while len(back) < len(big):
                    m = await asyncio.wait_for(ws.recv(), 20)
                    if isinstance(m, bytes):
                        back += m
            task = asyncio.ensure_future(reader())
            while off < len(big):
                try:
                    off += os.write(fd, big[off:off + 4096])
                except BlockingIOError:
                    await asyncio.sleep(0.005)
                await asyncio.sleep(0)
            await asyncio.wait_for(task, 30)
            c.ok("1 MiB port -> browser, byte-exact", back == big, "got %d bytes" % len(back))
            await ws.send('{"type":"settings","config":"19200,7E1"}')
            j = await recv_json(ws, "settings")
            c.ok("settings over JSON apply and are echoed", j["config"].startswith("19200,7E1"), j)
            sp = c.pty_speed(T + "/a")
            c.ok("... and reach the pty's termios", sp == 19200, sp)
            await ws.send('{"type":"lines","dtr":"yes"}')
            j = await recv_json(ws, "error")
            c.ok("a bad control message is answered with an error naming the fix",
                 "dtr" in j["message"], j)
    finally:
        os.close(fd)


async def refused(port, token=None):
    res = {}
    for name, kw in [("origin", {"origin": "http://evil.example"}),
                     ("notoken", {}), ("badtoken", {"extra_headers": {"Authorization": "Bearer nope"}})]:
        url = "ws://127.0.0.1:%d/ws/lab" % port
        try:
            async with websockets.connect(url, **kw) as ws:
                res[name] = "opened"
                await ws.close()
        except websockets.exceptions.InvalidStatusCode as e:
            res[name] = e.status_code
        except Exception as e:  # noqa: BLE001
            res[name] = repr(e)
    return res


async def good_client(port, token, stop, counts):
    url = "ws://127.0.0.1:%d/ws/lab?token=%s" % (port, token)
    async with websockets.connect(url) as ws:
        await recv_json(ws, "lines")
        while not stop.is_set():
            await ws.send('{"type":"query"}')
            await recv_json(ws, "settings")
            counts[0] += 1
            await asyncio.sleep(0.01)


async def flood(port):
    junk = [b"\x16\x03\x01\x02\x00" + os.urandom(200), b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 2000,
            os.urandom(64), b"\x00" * 100, b"GET /ws/lab HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n"]
    done = 0
    for i in range(0, 1000, 50):
        socks = []
        for j in range(50):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.setblocking(False)
                try:
                    s.send(junk[(i + j) % len(junk)])
                except OSError:
                    pass
                socks.append(s)
            except OSError:
                pass
        await asyncio.sleep(0.02)
        for s in socks:
            s.close()
            done += 1
    return done


def vendor():
    """xterm.js from ASERIAL_XTERM_DIR: the two fixed names only."""
    d = T + "/xterm"
    os.makedirs(d + "/addons/fit")
    js_body = b"window.Terminal = function () {}; // fixture\n"
    with open(d + "/xterm.js", "wb") as f:
        f.write(js_body)
    with open(d + "/xterm.css", "wb") as f:
        f.write(b".xterm { color: red }\n")
    with open(d + "/addons/fit/fit.js", "wb") as f:
        f.write(b"fit\n")
    with open(T + "/secret", "wb") as f:
        f.write(b"not for the web\n")
    env = dict(os.environ, ASERIAL_XTERM_DIR=d)
    srv, port = start_serve([], env)
    r = http_get(port, "/vendor/xterm.js")
    c.ok("GET /vendor/xterm.js is served from ASERIAL_XTERM_DIR as JavaScript",
         r.startswith(b"HTTP/1.1 200") and b"Content-Type: text/javascript" in r[:300]
         and r.endswith(js_body), r[:300])
    r = http_get(port, "/vendor/xterm.css")
    c.ok("GET /vendor/xterm.css is served as CSS",
         r.startswith(b"HTTP/1.1 200") and b"Content-Type: text/css" in r[:300]
         and r.endswith(b".xterm { color: red }\n"), r[:300])
    bad = ["/vendor/../etc/passwd", "/vendor/../../../../etc/passwd", "/vendor/%2e%2e/etc/passwd",
           "/vendor/..%2fsecret", "/vendor/../secret", "/vendor/xterm.js/../../secret",
           "/vendor/addons/fit/fit.js", "/vendor/", "/vendor", "/vendor//xterm.js",
           "/vendor/XTERM.JS", "/vendor/xterm.js%00"]
    got = {p: http_get(port, p)[:12] for p in bad}
    c.ok("/vendor/../etc/passwd and every other name under /vendor is a 404",
         all(v == b"HTTP/1.1 404" for v in got.values()), got)
    c.ok("... and no answer carries a file's bytes",
         not any(b"root:" in http_get(port, p) or b"not for the web" in http_get(port, p)
                 for p in bad[:6]))
    c.stop(srv)
    with open(d + "/xterm.js", "wb") as f:
        f.write(b"/" * ((1 << 20) + 1))
    os.unlink(d + "/xterm.css")
    srv, port = start_serve([], env)
    r = http_get(port, "/vendor/xterm.js")
    c.ok("an xterm.js over 1 MiB is refused (404: the page falls back to plain text)",
         r.startswith(b"HTTP/1.1 404"), r[:200])
    r = http_get(port, "/vendor/xterm.css")
    c.ok("a missing xterm.css is a 404 naming libjs-xterm",
         r.startswith(b"HTTP/1.1 404") and b"libjs-xterm" in r, r[:300])
    c.stop(srv)
    if os.path.exists("/usr/share/javascript/xterm/xterm.js"):
        env = dict(os.environ)
        env.pop("ASERIAL_XTERM_DIR", None)
        srv, port = start_serve([], env)
        r = http_get(port, "/vendor/xterm.js")
        with open("/usr/share/javascript/xterm/xterm.js", "rb") as f:
            want = f.read()
        c.ok("by default /vendor/xterm.js is Debian's libjs-xterm's "
             "(/usr/share/javascript/xterm/xterm.js)",
             r.startswith(b"HTTP/1.1 200") and b"text/javascript" in r[:300] and r.endswith(want),
             r[:300])
        c.stop(srv)
    else:
        c.skip("by default /vendor/xterm.js is Debian's libjs-xterm's",
               "libjs-xterm is not installed (scripts/deps.sh check)")


def settings_follow():
    """Issue 25: a settings change by an RFC 2217 client (pyserial) reaches
    the browsers watching the export, as a settings message."""
    import re
    import serial
    srv = c.start([A, "serve", T + "/a", "--name", "lab", "--web", "127.0.0.1:0", "--listen",
                   "127.0.0.1:0", "--rfc2217", "--max-clients", "4"], limit=120)
    lines = [srv.stdout.readline().decode() for _ in range(2)]
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", lines[0])
    r = re.search(r"127\.0\.0\.1:(\d+) \(rfc2217\)", lines[1])
    if not c.ok("serve --web with an RFC 2217 listener starts", m and r, lines):
        c.stop(srv)
        return

    async def follow():
        async with websockets.connect("ws://127.0.0.1:%s/ws/lab" % m.group(1)) as ws:
            hello = await recv_json(ws, "hello")
            s = serial.serial_for_url("rfc2217://127.0.0.1:%s" % r.group(1), baudrate=57600,
                                      timeout=3)
            seen = []
            end = time.time() + 5
            try:
                while time.time() < end and not (seen and seen[-1].startswith("57600")):
                    seen.append((await recv_json(ws, "settings", end - time.time()))["config"])
            except (TimeoutError, asyncio.TimeoutError):
                pass
            s.close()
            c.ok("pyserial sets 57600 over RFC 2217: the browser hears {\"type\":\"settings\"} "
                 "with it (was %s)" % hello["config"], seen and seen[-1].startswith("57600"), seen)
        # a browser sends an Origin; a program need not (the log says which it knows)
        origin = "http://127.0.0.1:%s" % m.group(1)
        async with websockets.connect("ws://127.0.0.1:%s/ws/lab" % m.group(1),
                                      origin=origin) as ws:
            await recv_json(ws, "hello")
    asyncio.run(follow())
    out, err = c.stop(srv)
    closes = [x for x in err.decode(errors="replace").splitlines() if "(code " in x]
    c.ok("the log names the client kind only if it knows: a program without an Origin "
         "'closed by the WebSocket client', a page with one 'closed by the browser'",
         len(closes) == 2 and "closed by the WebSocket client (code 1000)" in closes[0]
         and "closed by the browser (code 1000)" in closes[1], closes)


def accept_queue(port):
    """Connections waiting in the accept queue of 127.0.0.1:port (LISTEN)."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            x = line.split()
            if x[1] == "0100007F:%04X" % port and x[3] == "0A":
                return int(x[4].split(":")[1], 16)
    return None


def one_client_opens_every_export():
    """Issue 24: one client opening all 64 exports of a web listener at once
    (a fleet client): every connect lands before any request is sent, and
    every upgrade is answered (the library's default lets one address keep
    16 connections waiting; serve sizes it to its exports)."""
    fn = os.path.join(T, "fleet.exports")
    with open(fn, "w") as f:
        f.writelines("sim:s%d - name=s%d\n" % (i, i) for i in range(64))
    p = c.start([A, "serve", "--file", fn, "--web", "127.0.0.1:0", "--quiet"], limit=120)
    line = b""
    end = time.time() + 20
    while time.time() < end and b"web console on" not in line:
        line = p.stdout.readline()
    port = int(line.decode().rsplit(":", 1)[1].strip().rstrip("/"))
    socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(64)]
    # the server has taken every connect (its accept queue is empty) before
    # any request is sent: the burst as a slow client makes it
    end = time.time() + 20
    while time.time() < end and accept_queue(port) != 0:
        time.sleep(0.01)
    for i, s in enumerate(socks):
        s.sendall(("GET /ws/s%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n" % (i, port)).encode())
    answers = []
    for s in socks:
        try:
            a = b""
            while len(a) < 12:
                b = s.recv(12 - len(a))
                if not b:
                    break
                a += b
            answers.append(a)
        except OSError as e:
            answers.append(repr(e).encode())
        s.close()
    good = sum(1 for a in answers if a.startswith(b"HTTP/1.1 101"))
    c.ok("one client connects to all 64 exports before sending a request: 64 upgrades answered",
         good == 64, "%d of 64; first other answer: %r" % (
             good, next((a for a in answers if not a.startswith(b"HTTP/1.1 101")), b"")))
    r = c.run([A, "query", "ws://127.0.0.1:%d/ws/s63" % port, "PING 63"])
    c.ok("a sim: export behind --web answers: aserial query ws://.../ws/s63",
         r[0] == 0 and r[1].strip() == "PONG 63", r)
    c.stop(p)


def main():
    pair = start_pair()
    srv, port = start_serve([])
    page = http_get(port, "/")
    c.ok("GET / is the console page", page.startswith(b"HTTP/1.1 200") and b"aserial console" in page,
         page[:200])
    js = http_get(port, "/console.js")
    c.ok("GET /console.js is served as JavaScript", b"text/javascript" in js[:300], js[:200])
    ex = http_get(port, "/exports")
    c.ok("GET /exports lists the export", b'"name":"lab"' in ex, ex[-200:])
    c.ok("an unknown page is a 404", http_get(port, "/nope").startswith(b"HTTP/1.1 404"))
    c.stop(srv)
    vendor()
    srv, port = start_serve([])
    asyncio.run(exact(port))
    r = asyncio.run(refused(port))
    c.ok("a foreign Origin is refused with 403", r["origin"] == 403, r)
    c.ok("without a token configured, no Origin (a program) is let in", r["notoken"] == "opened", r)
    c.stop(srv)
    settings_follow()
    one_client_opens_every_export()

    # link lost and back over JSON: pull the pair, put it back
    srv, port = start_serve([])

    async def link():
        async with websockets.connect("ws://127.0.0.1:%d/ws/lab" % port) as ws:
            await recv_json(ws, "lines")
            c.stop(pair)
            j = await recv_json(ws, "link", 10)
            c.ok("pulling the pair: the browser hears the link lost", j["state"] == "lost", j)
            # Issue 25: bytes sent meanwhile are not dropped silently: the
            # browser is told (an error message), the log says how many.
            await ws.send(b"x" * 32)
            try:
                e = await recv_json(ws, "error", 5)
            except (TimeoutError, asyncio.TimeoutError):
                e = {"message": "(no error message within 5 s)"}
            c.ok("32 bytes sent while the port is lost: the browser is told they were dropped",
                 "32 bytes" in e.get("message", "") and "dropped" in e.get("message", ""), e)
            await ws.send(b"y" * 8)
            global pair2
            pair2 = start_pair()
            j = await recv_json(ws, "link", 15)
            c.ok("the pair back: the browser hears it back", j["state"] == "back", j)
    asyncio.run(link())
    out, err = c.stop(srv)
    log = err.decode(errors="replace")
    c.ok("... and the log says so: the first 32 at once, 40 in all once the port was back",
         "32 bytes from client" in log and "dropped: the port cannot take them" in log
         and "40 bytes dropped in all while the port was lost" in log, log[-1500:])

    # ws:// client transport against the web listener, sim on the far end
    sim = c.start([A, "sim", T + "/b", "--reply", "*IDN?=ACME,SIM,1,0"], limit=60)
    time.sleep(0.3)
    srv, port = start_serve([])
    rc, out = c.run([A, "query", "ws://127.0.0.1:%d/ws/lab" % port, "*IDN?", "--timeout", "3000"])
    c.ok("aserial query ws://127.0.0.1:P/ws/lab '*IDN?' gets the sim's reply",
         rc == 0 and "ACME,SIM,1,0" in out and "type" not in out, out)
    br = c.start([A, "bridge", "ws://127.0.0.1:%d/ws/lab" % port, "pty:" + T + "/x"], limit=60)
    for _ in range(100):
        if os.path.exists(T + "/x"):
            break
        time.sleep(0.05)
    reply = b""
    try:
        fd = open_tty(T + "/x")
        os.write(fd, b"*IDN?\n")
        reply = read_tty(fd, 13, 5)
        os.close(fd)
    except OSError as e:
        reply = repr(e).encode()
    c.ok("aserial bridge ws://127.0.0.1:P/ws/lab pty:X: a second program reaches the "
         "instrument through X (bytes only: no JSON control text)",
         reply.startswith(b"ACME,SIM,1,0") and b"{" not in reply, reply)
    c.stop(br)
    c.stop(srv)
    c.stop(sim)

    # with a token: 401 without it or wrong, Origin still checked; garbage flood
    tok = T + "/token"
    with open(tok, "w") as f:
        f.write("s3cret-tok-0123456789\n")
    srv, port = start_serve(["--web-token", tok, "--max-clients", "4", "--quiet"])
    r = asyncio.run(refused(port))
    c.ok("with --web-token: no token is 401", r["notoken"] == 401, r)
    c.ok("with --web-token: a wrong token is 401", r["badtoken"] == 401, r)
    page = http_get(port, "/")
    c.ok("with --web-token: the page itself needs the token", page.startswith(b"HTTP/1.1 401"), page[:100])
    page = http_get(port, "/?token=s3cret-tok-0123456789")
    c.ok("with --web-token: ?token= opens the page", page.startswith(b"HTTP/1.1 200"), page[:100])
    js, css, ex = http_get(port, "/console.js"), http_get(port, "/console.css"), \
        http_get(port, "/exports")
    c.ok("with --web-token: the page's own script and style load without it (the page's "
         "tags carry no token), /exports does not",
         js.startswith(b"HTTP/1.1 200") and css.startswith(b"HTTP/1.1 200")
         and ex.startswith(b"HTTP/1.1 401"), (js[:40], css[:40], ex[:40]))
    big = http_get(port, "/?token=s3cret-tok-0123456789", "X-Big: " + "a" * 9000 + "\r\n")
    c.ok("an oversized head is refused with 431", big.startswith(b"HTTP/1.1 431"), big[:100])
    pid = child_pid(srv)
    rss0 = rss_kb(pid)

    async def under_fire():
        stop = asyncio.Event()
        counts = [0]
        g = asyncio.ensure_future(good_client(port, "s3cret-tok-0123456789", stop, counts))
        await asyncio.sleep(0.3)
        before = counts[0]
        n = await flood(port)
        after = counts[0]
        stop.set()
        await asyncio.wait_for(g, 10)
        return n, before, after
    n, before, after = asyncio.run(under_fire())
    rss1 = rss_kb(pid)
    c.ok("1000 garbage connections were made", n == 1000, n)
    c.ok("a good client keeps being served during the flood", after > before + 5,
         "%d rounds before, %d after" % (before, after))
    slack = int(os.environ.get("ASER_WEB_RSS_SLACK_KB", "8192"))  # ASan quarantines frees
    c.ok("memory stays bounded (RSS %d kB -> %d kB, at most %d kB more)" % (rss0, rss1, slack),
         rss1 - rss0 < slack, "%d kB -> %d kB" % (rss0, rss1))
    c.stop(srv)

    # a slow browser is dropped, never the serial side: one client never reads
    srv, port = start_serve(["--max-clients", "2", "--queue", "65536"])
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", port))
    slow.sendall(("GET /ws/lab HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n" % port).encode())
    time.sleep(0.3)

    async def fast_reader():
        fd = open_tty(T + "/b")
        total = 8 << 20
        got = 0
        async with websockets.connect("ws://127.0.0.1:%d/ws/lab" % port, max_size=None) as ws:
            await recv_json(ws, "lines")

            async def reader():
                nonlocal got
                while got < total:
                    m = await asyncio.wait_for(ws.recv(), 20)
                    if isinstance(m, bytes):
                        got += len(m)
            task = asyncio.ensure_future(reader())
            chunk = b"x" * 4096
            off = 0
            while off < total:
                try:
                    off += os.write(fd, chunk[:min(4096, total - off)])
                except BlockingIOError:
                    await asyncio.sleep(0.002)
                await asyncio.sleep(0)
            try:
                await asyncio.wait_for(task, 30)
            except Exception:  # noqa: BLE001
                pass
        os.close(fd)
        return got, total
    got, total = asyncio.run(fast_reader())
    c.ok("a reading browser gets all 8 MiB while another never reads", got == total,
         "%d of %d" % (got, total))
    out, errb = c.stop(srv)
    slow.close()
    c.ok("the browser that never reads is dropped as too slow",
         b"too slow" in (errb or b""), (errb or b"")[-600:])

    # DNS rebinding: only loopback literals and the names given with --web-host
    srv, port = start_serve(["--web-host", "lab.example"])
    rebound = http_get(port, "/exports", host="127.evil.example:%d" % port)
    named = http_get(port, "/exports", host="lab.example")
    local = http_get(port, "/exports", host="localhost:%d" % port)
    c.ok("a re-pointed name (Host 127.evil.example) is refused with 403, naming --web-host",
         rebound.startswith(b"HTTP/1.1 403") and b"--web-host" in rebound, rebound[:300])
    c.ok("--web-host lab.example and localhost:PORT are let in",
         named.startswith(b"HTTP/1.1 200") and local.startswith(b"HTTP/1.1 200"),
         (named[:40], local[:40]))
    c.stop(srv)

    with open(T + "/short", "w") as f:
        f.write("s3cret\n")
    rc, out = c.run([A, "serve", T + "/a", "--web", "127.0.0.1:0", "--web-token", T + "/short"])
    c.ok("a token shorter than 16 bytes is refused at start, with how to make one",
         rc == 2 and "at least 16" in out and "/dev/urandom" in out, out)

    rc, out = c.run([A, "serve", T + "/a", "--web", "0.0.0.0:0"])
    c.ok("--web beyond loopback without a token is refused, naming --web-token",
         rc == 2 and "--web-token" in out, out)
    c.stop(pair2)
    c.done()


pair2 = None
main()
