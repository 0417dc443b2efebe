"""MQTT (issue 24) against a real broker and independent clients: Debian's
mosquitto started here on 127.0.0.1 and an ephemeral port (its config in a
temporary directory, killed at the end), mosquitto_pub/_sub and paho-mqtt
(python3-paho-mqtt) as the peers, `aserial serve PTY --mqtt` as the
gateway in front of a pseudo-terminal this test holds:
  - the retained status says online with the settings and access
  - 1 MiB from the device reaches a paho subscriber byte-exact, every rx
    payload's "offset" property contiguous; mosquitto_sub sees rx too
  - 1 MiB published on tx by paho (QoS 1) reaches the device byte-exact;
    mosquitto_pub's bytes too
  - a set message reaches the pty's line settings; a bad one and DTR on a
    pty (no modem lines) are answered on the error topic, naming why
  - the broker killed and restarted mid-stream: the gateway reconnects by
    itself, every payload after is at its true offset (nothing duplicated
    or reordered), what was read meanwhile is reported as "lost"
  - a read-only export refuses tx (error topic) and set; nothing reaches
    its device
  - the gateway going away leaves the status "offline"
  - `aserial query mqtt://...` and `aserial list mqtt://...` through the
    broker (when the build has the mqtt:// endpoint)
  - --frame lines: a sim: device's three answers as three rx messages, one
    line each (one message without it)
  - `aserial list mqtt://... --watch --json`: present, add and remove as
    gateways start and stop
  - `serve --file` with mqtt= on some lines (sim: devices): each under its
    own prefix, answering a query; a line without it has no gateway
  - a second broker with TLS and a password file: the gateway with
    --mqtt-auth, `aserial query mqtts://...?ca=&auth=FILE` and `aserial
    list mqtts://...` (whose URLs open as listed), wrong or no credentials
    refused by the broker and said so
Every wait is for an event, bounded by a timeout. Usage: mqtt.py AASERIAL"""
import getpass
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common as c  # noqa: E402

A = sys.argv[1]
c.header()
try:
    import paho.mqtt.client as mqtt
    from paho.mqtt.properties import Properties
    from paho.mqtt.packettypes import PacketTypes
except ImportError:
    c.skip("mqtt", "python3-paho-mqtt is not installed (scripts/deps.sh check)")
    c.done()
if not shutil.which("mosquitto") and not os.path.exists("/usr/sbin/mosquitto"):
    c.skip("mqtt", "mosquitto is not installed (scripts/deps.sh check)")
    c.done()
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"

tmp = tempfile.mkdtemp(prefix="aser-mqtt-")
PORT = c.free_port()
PREFIX = "t24/%d" % os.getpid()


def start_broker():
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
                "max_queued_messages 100000\n" % PORT)
    p = c.start([MOSQUITTO, "-c", conf], limit=300)
    if not c.wait_listening(PORT, 10):
        c.ok("broker listening on 127.0.0.1:%d" % PORT, False, c.stop(p)[1])
        c.done()
    return p


class Peer:
    """A paho client (MQTT v5) recording every message per topic."""

    def __init__(self, name):
        self.cond = threading.Condition()
        self.msgs = {}  # topic -> [(payload, offset or None)]
        self.connected = 0
        self.cl = mqtt.Client(client_id="%s-%d" % (name, os.getpid()), protocol=mqtt.MQTTv5)
        self.cl.on_message = self.on_message
        self.cl.on_connect = self.on_connect
        self.subs = []
        self.cl.reconnect_delay_set(0.05, 0.5)
        self.cl.connect("127.0.0.1", PORT, keepalive=30)
        self.cl.loop_start()

    def on_connect(self, cl, ud, flags, rc, props=None):
        for t in self.subs:
            cl.subscribe(t, qos=1)
        with self.cond:
            self.connected += 1
            self.cond.notify_all()

    def sub(self, topic):
        self.subs.append(topic)
        r, _ = self.cl.subscribe(topic, qos=1)
        return r == 0

    def on_message(self, cl, ud, msg):
        off = None
        for k, v in getattr(msg.properties, "UserProperty", None) or []:
            if k == "offset":
                off = int(v)
        with self.cond:
            self.msgs.setdefault(msg.topic, []).append((bytes(msg.payload), off))
            self.cond.notify_all()

    def wait(self, pred, limit=20):
        end = time.time() + limit
        with self.cond:
            while not pred():
                left = end - time.time()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def got(self, topic):
        with self.cond:
            return list(self.msgs.get(topic, []))

    def status(self, topic):
        m = self.got(topic)
        try:
            return json.loads(m[-1][0]) if m and m[-1][0] else None
        except ValueError:
            return None

    def rx_bytes(self, topic):
        return b"".join(p for p, _ in self.got(topic))

    def close(self):
        self.cl.loop_stop()
        self.cl.disconnect()


def serve(pty, name, *more):
    p = c.start([A, "serve", pty, "--mqtt", "mqtt://127.0.0.1:%d/%s" % (PORT, PREFIX),
                 "--name", name] + list(more), limit=300)
    return p


def stderr_lines(p):
    """Lines the gateway logged so far (read without blocking)."""
    out = b""
    try:
        os.set_blocking(p.stderr.fileno(), False)
        out = p.stderr.read() or b""
    except (OSError, TypeError):
        pass
    return out.decode(errors="replace")


broker = start_broker()
dev = c.PtyEcho(echo=False)
gw = serve(dev.path, "dev")
peer = Peer("peer")
T = lambda kind, name="dev": "%s/%s/%s" % (PREFIX, name, kind)  # noqa: E731
for kind in ("rx", "status", "error"):
    peer.sub(T(kind))

c.ok("status online, retained, with the settings and access",
     peer.wait(lambda: (peer.status(T("status")) or {}).get("state") == "online"),
     "status: %r\ngateway: %s" % (peer.got(T("status")), stderr_lines(gw)))
st = peer.status(T("status")) or {}
c.ok("status names config and access", st.get("config", "").startswith("115200") and
     st.get("access") == "full", repr(st))

# ---- device -> subscribers: 1 MiB byte-exact, offsets contiguous ----------
MIB = os.urandom(1 << 20)
# mosquitto_sub on status and rx in one subscribe: the retained status
# arriving first says both subscriptions are active.
sub_cli = c.start(["mosquitto_sub", "-p", str(PORT), "-t", T("status"), "-t", T("rx"), "-v",
                   "-C", "2"], limit=60)
line1 = sub_cli.stdout.readline()
dev.write(b"first")
out, _ = sub_cli.communicate(timeout=30)
c.ok("mosquitto_sub receives the status, then rx",
     line1.startswith(T("status").encode()) and out == (T("rx") + " first\n").encode(),
     "%r %r" % (line1, out))
peer.wait(lambda: peer.rx_bytes(T("rx")).endswith(b"first"))
base = len(peer.rx_bytes(T("rx")))
dev.write(MIB)
c.ok("1 MiB from the device reaches a paho subscriber",
     peer.wait(lambda: len(peer.rx_bytes(T("rx"))) >= base + len(MIB), 60),
     "got %d of %d" % (len(peer.rx_bytes(T("rx"))) - base, len(MIB)))
c.ok("... byte-exact", peer.rx_bytes(T("rx"))[base:] == MIB)
msgs = peer.got(T("rx"))
offs_ok, at = True, 0
for payload, off in msgs:
    if off != at:
        offs_ok = False
        break
    at += len(payload)
c.ok("... every payload's offset property is where it belongs (%d payloads)" % len(msgs),
     offs_ok, "offset %r at byte %d" % (off, at))

# ---- subscribers -> device: 1 MiB on tx, QoS 1 --------------------------
dev.received.clear()
CH = 4096
for i in range(0, len(MIB), CH):
    peer.cl.publish(T("tx"), MIB[i:i + CH], qos=1)
end = time.time() + 60
while len(dev.received) < len(MIB) and time.time() < end:
    time.sleep(0.02)  # (polls the pty's own record; the bound is the 60 s)
c.ok("1 MiB published on tx reaches the device byte-exact",
     bytes(dev.received) == MIB, "got %d of %d" % (len(dev.received), len(MIB)))
dev.received.clear()
rc, text = c.run(["mosquitto_pub", "-p", str(PORT), "-t", T("tx"), "-q", "1", "-m", "from-pub"])
end = time.time() + 10
while bytes(dev.received) != b"from-pub" and time.time() < end:
    time.sleep(0.02)
c.ok("mosquitto_pub's bytes reach the device", rc == 0 and bytes(dev.received) == b"from-pub",
     "%s %r" % (text, bytes(dev.received)))

# ---- settings and lines ---------------------------------------------------
c.run(["mosquitto_pub", "-p", str(PORT), "-t", T("set"), "-q", "1", "-m", "9600,7E1"])
c.ok("a set message reaches the pty's line settings",
     peer.wait(lambda: (peer.status(T("status")) or {}).get("config", "").startswith("9600")),
     repr(peer.status(T("status"))))
c.ok("... the pty runs at 9600", c.pty_speed(dev.path) == 9600, c.pty_speed(dev.path))
peer.cl.publish(T("set"), b'{"config":"19200,8N1"}', qos=1)
c.ok("a JSON set message too",
     peer.wait(lambda: (peer.status(T("status")) or {}).get("config", "").startswith("19200")),
     repr(peer.status(T("status"))))
peer.cl.publish(T("set"), b"12x", qos=1)
c.ok("a bad set message is answered on the error topic",
     peer.wait(lambda: len(peer.got(T("error"))) >= 1), repr(peer.got(T("error"))))
peer.cl.publish(T("ctl"), b'{"dtr":false}', qos=1)
ok = peer.wait(lambda: len(peer.got(T("error"))) >= 2 or
               (peer.status(T("status")) or {}).get("dtr") is False)
c.ok("DTR on a pty: the status says it, or the error topic says why not",
     ok, "%r %r" % (peer.got(T("error")), peer.status(T("status"))))
peer.cl.publish(T("ctl"), b'{"dtr":"yes"}', qos=1)
n_err = len(peer.got(T("error")))
c.ok("a bad ctl message is answered with what to send",
     peer.wait(lambda: any(b"dtr" in p for p, _ in peer.got(T("error"))[n_err - 1:])),
     repr(peer.got(T("error"))))

# ---- the broker killed and restarted mid-stream -------------------------
mark = len(peer.got(T("rx")))
sent = bytearray()
stop_writer = threading.Event()


def writer():
    i = 0
    while not stop_writer.is_set():
        chunk = (b"%08d," % i) * 16
        dev.write(chunk)
        sent.extend(chunk)
        i += 1
        stop_writer.wait(0.005)


wt = threading.Thread(target=writer, daemon=True)
wt.start()
peer.wait(lambda: len(peer.got(T("rx"))) > mark + 20, 20)
c.stop(broker)
restart_at = len(sent)
broker = start_broker()
c.ok("the gateway reconnects by itself and says what was lost",
     peer.wait(lambda: (peer.status(T("status")) or {}).get("lost", 0) > 0, 30),
     "status %r\ngateway: %s" % (peer.status(T("status")), stderr_lines(gw)))
after = len(peer.got(T("rx")))
peer.wait(lambda: len(peer.got(T("rx"))) > after + 20, 20)
stop_writer.set()
wt.join(2)
p0, o0 = peer.got(T("rx"))[mark - 1]
start_of_sent = o0 + len(p0)  # the offset of sent[0]: what the device sent before
good, last, gaps = True, -1, 0
for payload, off in peer.got(T("rx"))[mark:]:
    if off is None or off <= last:
        good = False
        break
    if off != last + 1 and last >= 0:
        gaps += 1
    rel = off - start_of_sent
    if rel < 0 or bytes(sent[rel:rel + len(payload)]) != payload:
        good = False
        break
    last = off + len(payload) - 1
c.ok("after the restart every payload is at its true offset: nothing duplicated or "
     "reordered (%d gap%s)" % (gaps, "" if gaps == 1 else "s"), good,
     "at offset %r" % last)
c.ok("bytes flow again after the restart", len(peer.got(T("rx"))) > after,
     "%d payloads after reconnecting" % (len(peer.got(T("rx"))) - after))

# ---- a read-only export ---------------------------------------------------
ro = c.PtyEcho(echo=False)
gw_ro = serve(ro.path, "ro", "--read-only")
for kind in ("status", "error"):
    peer.sub(T(kind, "ro"))
c.ok("read-only export online, saying so",
     peer.wait(lambda: (peer.status(T("status", "ro")) or {}).get("access") == "read-only"),
     repr(peer.status(T("status", "ro"))))
peer.cl.publish(T("tx", "ro"), b"must-not-arrive", qos=1)
c.ok("read-only: tx is refused on the error topic",
     peer.wait(lambda: any(b"read-only" in p for p, _ in peer.got(T("error", "ro")))),
     repr(peer.got(T("error", "ro"))))
peer.cl.publish(T("set", "ro"), b"9600", qos=1)
c.ok("read-only: set is refused",
     peer.wait(lambda: any(b"settings" in p for p, _ in peer.got(T("error", "ro")))),
     repr(peer.got(T("error", "ro"))))
c.ok("read-only: nothing reached the device", bytes(ro.received) == b"", bytes(ro.received))
c.ok("read-only: its settings stayed", c.pty_speed(ro.path) != 9600)

# ---- --file: a per-line mqtt= (each export its own prefix), sim: devices ----
exports = os.path.join(tmp, "exports")
with open(exports, "w") as f:
    f.write("sim:f1 - name=f1 mqtt=mqtt://127.0.0.1:%d/%s/a\n" % (PORT, PREFIX))
    f.write("sim:f2 127.0.0.1:0 name=f2\n")
    f.write("sim:f3 - name=f3 mqtt=mqtt://127.0.0.1:%d/%s/b\n" % (PORT, PREFIX))
for t in ("a/f1", "b/f3", "a/f2", "b/f2"):
    peer.sub("%s/%s/status" % (PREFIX, t))
gw_file = c.start([A, "serve", "--file", exports], limit=120)
online = lambda t: (peer.status("%s/%s/status" % (PREFIX, t)) or {}).get("state") == "online"  # noqa
c.ok("serve --file: mqtt= on a line publishes that export under its own prefix (f1 under a/, "
     "f3 under b/)", peer.wait(lambda: online("a/f1") and online("b/f3")), stderr_lines(gw_file))
rc, text = c.run([A, "query", "mqtt://127.0.0.1:%d/%s/a/f1" % (PORT, PREFIX), "PING 1"])
c.ok("... and answers through the broker: aserial query mqtt://.../a/f1 'PING 1' (a sim: port)",
     rc == 0 and text.strip() == "PONG 1", "rc %d: %s" % (rc, text))
rc, text = c.run([A, "list", "mqtt://127.0.0.1:%d/%s/a" % (PORT, PREFIX), "--json"])
c.ok("... a line without mqtt= has no gateway (f2 is not listed)",
     rc == 0 and '"f1"' in text and '"f2"' not in text, text)
c.stop(gw_file)

# ---- rx by frames: frame=lines, one message a line -------------------------
# A sim: device answers three requests sent in one message in one go: as
# read, that is one rx payload; with frame=lines, three, each a whole line.
for name in ("unframed", "lined"):
    peer.sub(T("rx", name))
    peer.sub(T("status", name))
gw_raw = serve("sim:unframed", "unframed")
gw_lines = serve("sim:lined", "lined", "--frame", "lines")
peer.wait(lambda: all((peer.status(T("status", n)) or {}).get("state") == "online"
                      for n in ("unframed", "lined")))
for name in ("unframed", "lined"):
    peer.cl.publish(T("tx", name), b"PING 1\nPING 2\nPING 3\n", qos=1)
want = b"PONG 1\nPONG 2\nPONG 3\n"
peer.wait(lambda: all(b"".join(m for m, _ in peer.got(T("rx", n))) == want
                      for n in ("unframed", "lined")))
lined = peer.got(T("rx", "lined"))
c.ok("--frame lines: each rx message is one whole line, offsets contiguous",
     [m for m, _ in lined] == [b"PONG 1\n", b"PONG 2\n", b"PONG 3\n"] and
     [o for _, o in lined] == [0, 7, 14], repr(lined))
c.ok("... without it the same answers come as read (one message)",
     [m for m, _ in peer.got(T("rx", "unframed"))] == [want], repr(peer.got(T("rx", "unframed"))))
c.stop(gw_raw)
c.stop(gw_lines)

# ---- hotplug: aserial list mqtt://... --watch, gateways started and stopped -
def read_events(p, want, limit=20):
    """JSON lines from the watch until want(events) or the limit."""
    import select
    end = time.time() + limit
    while not want(watched) and time.time() < end:
        r, _, _ = select.select([p.stdout], [], [], max(0.0, end - time.time()))
        if not r:
            break
        line = p.stdout.readline()
        if not line:
            break
        try:
            watched.append(json.loads(line))
        except ValueError:
            watched.append({"bad": line})
    return want(watched)


HP = "mqtt://127.0.0.1:%d/%s/hp" % (PORT, PREFIX)
watched = []
peer.sub("%s/hp/ha/status" % PREFIX)
gw_ha = c.start([A, "serve", "sim:ha", "--mqtt", HP, "--name", "ha"], limit=120)
peer.wait(lambda: (peer.status("%s/hp/ha/status" % PREFIX) or {}).get("state") == "online")
wl = c.start([A, "list", HP, "--watch", "--json"], limit=120)
has = lambda ev, name: lambda evs: any(e.get("event") == ev and e.get("name") == name  # noqa
                                       for e in evs)
c.ok("list --watch: an export online before the watch is \"present\"",
     read_events(wl, has("present", "ha")), repr(watched))
gw_hb = c.start([A, "serve", "sim:hb", "--mqtt", HP, "--name", "hb"], limit=120)
c.ok("list --watch: a gateway started later is \"add\", with the URL that opens it",
     read_events(wl, has("add", "hb")) and
     any(e.get("url") == HP + "/hb" for e in watched if e.get("event") == "add"), repr(watched))
c.stop(gw_ha)
c.ok("list --watch: a gateway stopped is \"remove\" (its status offline)",
     read_events(wl, has("remove", "ha")), repr(watched))
c.stop(gw_hb)
c.ok("list --watch: ... the other one too", read_events(wl, has("remove", "hb")), repr(watched))
c.stop(wl)

# ---- the mqtt:// endpoint: query, list, bridge ----------------------------
echo = c.PtyEcho(echo=True)
gw_echo = serve(echo.path, "echo")
peer.sub(T("status", "echo"))
peer.wait(lambda: (peer.status(T("status", "echo")) or {}).get("state") == "online")
URL = "mqtt://127.0.0.1:%d/%s" % (PORT, PREFIX)
rc, text = c.run([A, "query", URL + "/echo", "PING-42", "--timeout", "5000"])
c.ok("aserial query mqtt://.../echo: the request and its reply go through the broker",
     rc == 0 and text.strip() == "PING-42", "rc %d: %s" % (rc, text))
rc, text = c.run([A, "query", URL + "/nosuch", "X", "--timeout", "5000"])
c.ok("aserial query on an export that does not exist names it and aserial list",
     rc != 0 and "no such export" in text and "aserial list" in text, text)
rc, text = c.run([A, "list", URL, "--json"])
try:
    listed = {e["name"]: e for e in json.loads(text)}
except ValueError:
    listed = {}
c.ok("aserial list mqtt://... --json: the exports from their retained statuses",
     rc == 0 and listed.get("echo", {}).get("state") == "online" and
     listed.get("ro", {}).get("access") == "read-only" and
     listed.get("echo", {}).get("url") == URL + "/echo", text)
link = os.path.join(tmp, "legacy")
br = c.start([A, "bridge", "pty:" + link, URL + "/echo"], limit=120)
end = time.time() + 10
while not os.path.exists(link) and time.time() < end:
    time.sleep(0.02)  # (the bridge makes the link when it is ready)
got = b""
try:
    import termios
    fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
    attrs = termios.tcgetattr(fd)
    attrs[0] = attrs[1] = attrs[3] = 0  # raw
    attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL
    attrs[4] = attrs[5] = termios.B4800
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    blob = os.urandom(64 * 1024)
    os.set_blocking(fd, False)
    sent_n, end = 0, time.time() + 30
    while len(got) < len(blob) and time.time() < end:
        if sent_n < len(blob):
            try:
                sent_n += os.write(fd, blob[sent_n:sent_n + 4096])
            except BlockingIOError:
                pass
        r, _, _ = __import__("select").select([fd], [], [], 0.05)
        if r:
            got += os.read(fd, 65536)
    c.ok("aserial bridge pty: mqtt://.../echo: 64 KiB through the broker and back, exact",
         got == blob, "got %d of %d" % (len(got), len(blob)))
    c.ok("... the legacy program's 4800 baud reached the device's pty through the broker",
         peer.wait(lambda: (peer.status(T("status", "echo")) or {}).get("config", "")
                   .startswith("4800")) and c.pty_speed(echo.path) == 4800,
         "%r %r" % (peer.status(T("status", "echo")), c.pty_speed(echo.path)))
    os.close(fd)
except OSError as e:
    c.ok("aserial bridge pty: mqtt://...: the pty opens", False, "%s\n%s" % (e, c.stop(br)))
c.stop(br)
c.stop(gw_echo)
echo.close()

# ---- mqtts:// and credentials: a second broker with TLS and a password file -
def tls_broker():
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    rc, text = c.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                      "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
                      "-addext", "subjectAltName=IP:127.0.0.1"])
    pw = os.path.join(tmp, "passwd")
    with open(pw, "w") as f:
        f.write("gw:s3cret\n")
    rc2, text2 = c.run(["mosquitto_passwd", "-U", pw])
    port = c.free_port()
    conf = os.path.join(tmp, "tls.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\ncertfile %s\nkeyfile %s\nallow_anonymous false\n"
                "password_file %s\npersistence false\n" % (port, cert, key, pw))
        # run as whoever we are: as root, mosquitto would drop to its own user,
        # which cannot read the key in our temporary directory
        f.write("user %s\n" % getpass.getuser())
    if rc or rc2:
        return None, None, cert, text + text2
    p = c.start([MOSQUITTO, "-c", conf], limit=120)
    return (p if c.wait_listening(port, 10) else None), port, cert, ""


tb, TPORT, CERT, why = tls_broker()
if tb:
    creds = os.path.join(tmp, "creds")
    with open(creds, "w") as f:
        f.write("gw\ns3cret\n")
    tdev = c.PtyEcho(echo=True)
    turl = "mqtts://127.0.0.1:%d/%s?ca=%s" % (TPORT, PREFIX, CERT)
    gw_tls = c.start([A, "serve", tdev.path, "--mqtt", turl, "--mqtt-auth", creds, "--name",
                      "tls"], limit=120)
    tpeer = mqtt.Client(client_id="tls-%d" % os.getpid(), protocol=mqtt.MQTTv5)
    tpeer.tls_set(ca_certs=CERT)
    tpeer.username_pw_set("gw", "s3cret")
    seen = {"st": None}
    cond = threading.Condition()

    def on_tls_msg(cl, ud, msg):
        with cond:
            seen["st"] = json.loads(msg.payload) if msg.payload else None
            cond.notify_all()
    tpeer.on_message = on_tls_msg
    tpeer.connect("127.0.0.1", TPORT)
    tpeer.subscribe(T("status", "tls"), qos=1)
    tpeer.loop_start()
    with cond:
        cond.wait_for(lambda: (seen["st"] or {}).get("state") == "online", 20)
    c.ok("mqtts:// with ?ca= and --mqtt-auth: the gateway is online behind TLS and a password",
         (seen["st"] or {}).get("state") == "online", "%r\n%s" % (seen["st"], stderr_lines(gw_tls)))
    bad = os.path.join(tmp, "bad-creds")
    with open(bad, "w") as f:
        f.write("gw\nwrong\n")
    # the endpoint and the list over TLS, with the credentials from a file
    ep = "mqtts://127.0.0.1:%d/%s/tls?ca=%s&auth=%s" % (TPORT, PREFIX, CERT, creds)
    rc, out = c.run([A, "query", ep, "hello tls", "--timeout", "10000"])
    c.ok("aserial query mqtts://...?ca=&auth=FILE: the echo through TLS and a password",
         rc == 0 and out.strip() == "hello tls", "%d %s" % (rc, out))
    rc, out = c.run([A, "list", "mqtts://127.0.0.1:%d/%s?ca=%s&auth=%s" % (TPORT, PREFIX, CERT,
                                                                          creds), "--json"])
    try:
        lst = {e["name"]: e for e in json.loads(out)} if rc == 0 else {}
    except ValueError:
        lst = {}
    c.ok("aserial list mqtts://...?ca=&auth=FILE: the export online, its URL mqtts:// with the "
         "same options", lst.get("tls", {}).get("state") == "online" and
         lst.get("tls", {}).get("url", "").startswith("mqtts://") and
         ("auth=" + creds) in lst.get("tls", {}).get("url", ""), "%d %s" % (rc, out))
    if lst.get("tls"):
        rc, out = c.run([A, "query", lst["tls"]["url"], "again", "--timeout", "10000"])
        c.ok("the listed mqtts:// URL opens as it is", rc == 0 and out.strip() == "again", out)
    rc, out = c.run([A, "query", ep.replace(creds, bad), "x", "--timeout", "10000"])
    c.ok("a wrong password on the endpoint: refused by the broker, said so",
         rc != 0 and "not authorized" in out.lower(), "%d %s" % (rc, out))
    rc, out = c.run([A, "list", "mqtts://127.0.0.1:%d/%s?ca=%s" % (TPORT, PREFIX, CERT)])
    c.ok("aserial list without credentials where the broker needs them: refused, said so",
         rc != 0 and ("not authorized" in out.lower() or "refused" in out), "%d %s" % (rc, out))
    rc, out = c.run([A, "query", "mqtt://127.0.0.1:%d/%s/tls?ca=%s" % (TPORT, PREFIX, CERT), "x"])
    c.ok("ca= on a plain mqtt:// URL: refused, naming the option",
         rc == 2 or ("ca" in out and "mqtt" in out), "%d %s" % (rc, out))
    bdev = c.PtyEcho(echo=False)
    gw_bad = c.start([A, "serve", bdev.path, "--mqtt", turl, "--mqtt-auth", bad, "--name", "bad"],
                     limit=60)
    end = time.time() + 15
    log = ""
    while time.time() < end and "refused" not in log and "not authorized" not in log.lower():
        time.sleep(0.05)  # (reads the gateway's log as it comes)
        log += stderr_lines(gw_bad)
    c.ok("a wrong password: the gateway says the broker refused it, and keeps the port",
         "not authorized" in log.lower() or "refused" in log, log)
    c.stop(gw_bad)
    bdev.close()
    tpeer.loop_stop()
    c.stop(gw_tls)
    c.stop(tb)
    tdev.close()
else:
    c.skip("mqtts:// and --mqtt-auth", "no TLS broker: %s" % why)

# ---- the gateway leaves: offline ------------------------------------------
c.stop(gw_ro)
c.ok("a gateway that stops leaves its status offline",
     peer.wait(lambda: (peer.status(T("status", "ro")) or {}).get("state") == "offline"),
     repr(peer.status(T("status", "ro"))))

peer.close()
c.stop(gw)
c.stop(broker)
dev.close()
ro.close()
shutil.rmtree(tmp, ignore_errors=True)
c.done()
