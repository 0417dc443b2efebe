"""The web console in a real browser: headless Chromium (Debian chromium),
started here with a fresh profile and driven over the DevTools protocol
with Python's `websocket` client (Debian python3-websocket); killed at the
end. The export is webpeer's mock instrument (test/web/webpeer.c), which
has modem lines:
  - the page loads and lists the export; Connect opens /ws/lab
  - the terminal view: an xterm.js Terminal when /vendor/xterm.js defines
    one (the server reads it from Debian's libjs-xterm, or from
    $ASERIAL_XTERM_DIR, which this test passes on), else the plain-text
    <pre>; which one it is, is printed
  - *IDN? typed in the send box: the instrument's reply is in the terminal
    (the <pre>'s text, and the xterm's buffer when there is one)
  - *IDN? and Enter typed as keystrokes into the terminal reach the
    instrument: its reply comes back
  - hex on: the reply is shown as hex bytes in the terminal
  - the DTR button reaches the instrument (its DSR goes off)
  - the instrument's RTS lights the CTS lamp, live
  - the cable pulled: the page shows the port lost; put back: back
  - a screenshot of the console (ASER_WEB_SCREENSHOT, else the temp dir)
Usage: browser.py WEBPEER"""
import base64
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
try:  # Debian's python3-websocket, imported before test/net (its websocket.py) is on the path
    import websocket  # noqa: E402
except ImportError:
    websocket = None
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "net"))
import common as c  # noqa: E402

c.header()
CHROMIUM = shutil.which("chromium")
if not CHROMIUM or websocket is None:
    c.skip("the console in headless Chromium", "needs chromium and python3-websocket "
           "(scripts/deps.sh check)")
    c.done()

T = tempfile.mkdtemp(prefix="aser-browser-")
peer = c.start([sys.argv[1]], limit=150, stdin=subprocess.PIPE)
events = queue.Queue()


def pump():
    for line in peer.stdout:
        events.put(line.decode().strip())


threading.Thread(target=pump, daemon=True).start()
first = events.get(timeout=10)
WEB = int(first.split()[1])


def peer_cmd(cmd):
    peer.stdin.write((cmd + "\n").encode())
    peer.stdin.flush()


def peer_wait(text, limit=10.0):
    end = time.time() + limit
    seen = []
    while time.time() < end:
        try:
            line = events.get(timeout=max(0.05, end - time.time()))
        except queue.Empty:
            break
        seen.append(line)
        if line == text:
            return True, seen
    return False, seen


browser = c.start([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                   "--no-first-run", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync",
                   "--user-data-dir=" + T + "/profile", "--remote-debugging-port=0",
                   "--window-size=1200,800", "about:blank"], limit=150,
                  env=dict(os.environ, TMPDIR=T))  # its org.chromium.* scratch dirs go with T
devtools = None
end = time.time() + 30
while time.time() < end:
    line = browser.stderr.readline().decode(errors="replace")
    if "DevTools listening on" in line:
        devtools = line.split("listening on ", 1)[1].strip()
        break
if not c.ok("headless Chromium starts with the DevTools protocol", devtools is not None):
    c.done()
dport = int(devtools.split(":")[2].split("/")[0])
targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % dport, timeout=10))
page_ws = [t for t in targets if t["type"] == "page"][0]["webSocketDebuggerUrl"]
cdp = websocket.create_connection(page_ws, timeout=30, suppress_origin=True)
seq = [0]


def call(method, **params):
    seq[0] += 1
    cdp.send(json.dumps({"id": seq[0], "method": method, "params": params}))
    while True:
        m = json.loads(cdp.recv())
        if m.get("id") == seq[0]:
            return m.get("result", {})


def js(expr):
    r = call("Runtime.evaluate", expression=expr, returnByValue=True)
    return r.get("result", {}).get("value")


def wait_js(expr, limit=10.0):
    end = time.time() + limit
    while time.time() < end:
        v = js(expr)
        if v:
            return v
        time.sleep(0.1)
    return None


call("Page.enable")
call("Page.navigate", url="http://127.0.0.1:%d/" % WEB)
ok = wait_js("document.querySelector('button.connect[data-name=\"lab\"]') !== null", 20)
c.ok("the page loads and lists the export lab", ok, js("document.body.innerText"))
view = wait_js("window.aserialView", 10)
xterm_src = os.environ.get("ASERIAL_XTERM_DIR") or "/usr/share/javascript/xterm"
c.ok("the terminal view is chosen: %s (xterm.js from %s)" % (view, xterm_src),
     view in ("xterm", "text"), view)
status = call("Runtime.evaluate", expression="fetch('vendor/xterm.js').then(r => r.status)",
              awaitPromise=True, returnByValue=True).get("result", {}).get("value")
if view == "xterm":
    c.ok("/vendor/xterm.js defines window.Terminal: the view is an xterm.js Terminal, "
         "the <pre> hidden", js("document.getElementById('term').hidden === true && "
                                "!!document.querySelector('#xterm .xterm')"))
else:
    c.ok("no usable xterm.js (/vendor/xterm.js: HTTP %s, no window.Terminal): "
         "the plain-text <pre> is shown" % status,
         js("document.getElementById('term').hidden === false && "
            "document.getElementById('xterm').hidden === true"))
# The xterm's text, line by line from its buffer: buffer.active (xterm.js 4
# and later) or the 3.x core buffer (Debian's libjs-xterm is 3.8.1).
XTEXT = ("(function (t) { if (!t) return ''; let out = [];"
         " if (t.buffer && t.buffer.active) { const b = t.buffer.active;"
         "   for (let i = 0; i < b.length; i++) out.push(b.getLine(i).translateToString(true)); }"
         " else { const b = t._core.buffer;"
         "   for (let i = 0; i < b.lines.length; i++) out.push(b.translateBufferLineToString(i, true)); }"
         " return out.join('\\n'); })(window.aserialTerm)")


def view_text():
    return js(XTEXT) if view == "xterm" else js("document.getElementById('term').textContent")


def view_count(text):
    return (view_text() or "").count(text)


js("document.querySelector('button.connect[data-name=\"lab\"]').click()")
ok = wait_js("document.getElementById('status').textContent.startsWith('connected: lab')", 10)
c.ok("Connect opens the WebSocket: the status says connected", ok,
     js("document.getElementById('status').textContent"))

# The settings form (issue 25): filled from the port, following changes
# made by anyone; Apply sends only what the person changed.
FORM = ("[document.getElementById('baud').value, document.getElementById('framing').value,"
        " document.getElementById('flow').value].join(' ')")
CONFIG = "document.getElementById('config').textContent"
ok = wait_js(FORM + " === '115200 8N1 none'", 10)
c.ok("the settings form shows the port's 115200 8N1 (not a default of its own)", ok, js(FORM))
js("const f = document.getElementById('framing'); f.value = '8N2';"
   " f.dispatchEvent(new Event('change', {bubbles: true}));"
   " document.getElementById('apply').click()")
ok = wait_js(CONFIG + ".startsWith('115200,8N2')", 10)
c.ok("Apply after changing only the framing: the port is 115200,8N2 (the baud left alone)", ok,
     js(CONFIG))
c.ok("... and the form says 115200 8N2", wait_js(FORM + " === '115200 8N2 none'", 5), js(FORM))
other = websocket.create_connection("ws://127.0.0.1:%d/ws/lab" % WEB, timeout=10,
                                    origin="http://127.0.0.1:%d" % WEB)
other.send(json.dumps({"type": "settings", "config": "57600"}))
ok = wait_js(FORM + " === '57600 8N2 none'", 10)
c.ok("another client sets 57600: the form follows (57600 8N2)", ok, js(FORM))
js("const b = document.getElementById('baud'); b.value = '19200';"
   " b.dispatchEvent(new Event('input', {bubbles: true}))")
other.send(json.dumps({"type": "settings", "config": "8E1"}))
ok = wait_js(FORM + " === '19200 8E1 none'", 10)
c.ok("a field being edited is kept while the others follow (19200 typed, 8E1 from another client)",
     ok, js(FORM))
js("document.getElementById('apply').click()")
ok = wait_js(CONFIG + ".startsWith('19200,8E1')", 10)
c.ok("Apply sends the edited baud only: 19200,8E1", ok, js(CONFIG))
other.close()
js("document.getElementById('send').value = '*IDN?'; document.getElementById('sendbtn').click()")
ok = wait_js("document.getElementById('term').textContent.includes('ACME,MOCK,1,0')", 10)
c.ok("*IDN? sent from the send box: the reply appears in the terminal", ok,
     js("document.getElementById('term').textContent"))
if view == "xterm":
    ok = wait_js(XTEXT + ".includes('ACME,MOCK,1,0')", 10)
    c.ok("... and in the xterm.js terminal's buffer", ok, js(XTEXT))
else:
    c.skip("... and in the xterm.js terminal's buffer",
           "no usable xterm.js at %s (Debian bookworm's libjs-xterm 3.8.1 ships a CommonJS "
           "stub as xterm.js, which defines no window.Terminal in a browser)" % xterm_src)


def key(ch):
    """One keystroke into the focused element, as a keyboard would send it."""
    if ch == "\r":
        call("Input.dispatchKeyEvent", type="keyDown", key="Enter", code="Enter",
             windowsVirtualKeyCode=13, text="\r", unmodifiedText="\r")
        call("Input.dispatchKeyEvent", type="keyUp", key="Enter", code="Enter",
             windowsVirtualKeyCode=13)
    else:
        call("Input.dispatchKeyEvent", type="keyDown", key=ch, text=ch, unmodifiedText=ch)
        call("Input.dispatchKeyEvent", type="keyUp", key=ch)


before = view_count("ACME,MOCK,1,0")
js("window.aserialTerm ? window.aserialTerm.focus() : document.getElementById('term').focus()")
for ch in "*IDN?\r":
    key(ch)
ok = wait_js("(%s).split('ACME,MOCK,1,0').length - 1 > %d"
             % (XTEXT if view == "xterm" else "document.getElementById('term').textContent",
                before), 10)
c.ok("*IDN? and Enter typed into the %s terminal reach the instrument: its reply comes back"
     % ("xterm.js" if view == "xterm" else "plain-text"), ok, view_text())
for _ in range(2):  # each way
    was = js("document.getElementById('dtr').classList.contains('on')")
    js("document.getElementById('dtr').click()")
    got, seen = peer_wait("peer DSR " + ("off" if was else "on"), 10)
    c.ok("the DTR button (%s) reaches the instrument: its DSR goes %s"
         % ("on" if was else "off", "off" if was else "on"), got, seen)
    ok = wait_js("document.getElementById('dtr').classList.contains('on') === %s"
                 % ("false" if was else "true"), 5)
    c.ok("... and the button shows the new level", ok)
js("document.getElementById('hex').click();"
   "document.getElementById('send').value = '*IDN?'; document.getElementById('sendbtn').click()")
ok = wait_js("(%s).includes('41 43 4d 45 2c')"
             % (XTEXT if view == "xterm" else "document.getElementById('term').textContent"), 10)
c.ok("hex on: the reply is shown as hex bytes in the %s terminal"
     % ("xterm.js" if view == "xterm" else "plain-text"), ok, view_text())
js("document.getElementById('hex').click()")
peer_cmd("cts on")
ok = wait_js("document.getElementById('lamp-cts').className === 'lamp on'", 10)
c.ok("the instrument's RTS lights the CTS lamp live", ok,
     js("document.getElementById('lamp-cts').className"))
js("document.getElementById('stamps').checked = true;"
   "document.getElementById('send').value = '*IDN?'; document.getElementById('sendbtn').click()")
wait_js("document.querySelectorAll('#term .stamp').length > 0", 5)
shot = call("Page.captureScreenshot", format="png")
path = os.environ.get("ASER_WEB_SCREENSHOT") or os.path.join(T, "console.png")
with open(path, "wb") as f:
    f.write(base64.b64decode(shot["data"]))
c.ok("a screenshot of the console is saved (%s)" % path, os.path.getsize(path) > 1000)
peer_cmd("unplug")
ok = wait_js("document.getElementById('status').textContent.startsWith('port lost')", 10)
c.ok("the cable pulled: the page shows the port lost", ok,
     js("document.getElementById('status').textContent"))
peer_cmd("replug")
ok = wait_js("document.getElementById('status').textContent.includes('port back')", 15)
c.ok("the cable back: the page shows the port back", ok,
     js("document.getElementById('status').textContent"))
js("document.getElementById('send').value = '*IDN?'; document.getElementById('sendbtn').click()")
ok = wait_js("document.getElementById('term').textContent.split('ACME,MOCK,1,0').length > 3", 10)
c.ok("... and it answers again", ok, js("document.getElementById('term').textContent"))
cdp.close()
c.stop(browser)
peer_cmd("quit")
try:
    peer.wait(5)
except subprocess.TimeoutExpired:
    pass
c.ok("webpeer quits cleanly", peer.returncode == 0, peer.returncode)
shutil.rmtree(T, ignore_errors=True)
c.done()
