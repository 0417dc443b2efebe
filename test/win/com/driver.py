#!/usr/bin/env python3
"""driver.py: the Linux half of com-test.exe's probes of COM ports under
Wine (test/win/run.sh runs it in the windows suite; meson builds
com-test.exe into build-win/test/win/).

For each scenario it makes a pseudo-terminal pair, points
WINEPREFIX/dosdevices/com5 at the slave, runs `wine64 com-test.exe
SCENARIO COM5` with pipes, answers its "step" lines by acting on the
master (reading, writing, closing it, reading termios), and prints TAP.
Every wine process gets a deadline and is killed (by its pid) if it
overruns; the pty ends are closed at the end of each scenario.

Environment: WINE (the wine64 binary), WINEPREFIX, EXE (com-test.exe).
Facts it records (the "# fact:" lines) are what the report quotes."""
import os
import pty
import re
import select
import subprocess
import sys
import termios
import time
import tty

WINE = os.environ.get("WINE", "/usr/lib/wine/wine64")
PREFIX = os.environ["WINEPREFIX"]
EXE = os.environ["EXE"]
DOS = os.path.join(PREFIX, "dosdevices")

n = int(os.environ.get("TAP_START", "0"))
failed = 0


def ok(cond, name, evidence=""):
    global n, failed
    n += 1
    if cond:
        print(f"ok {n} - {name}")
    else:
        failed += 1
        print(f"not ok {n} - {name}")
        for line in str(evidence).splitlines()[-15:]:
            print(f"#   {line}")
    sys.stdout.flush()


def fact(text):
    print(f"# fact: {text}")
    sys.stdout.flush()


class Pty:
    """A pty pair with WINEPREFIX/dosdevices/<com> pointing at the slave."""

    def __init__(self, com="com5"):
        self.master, self.slave = pty.openpty()
        self.path = os.ttyname(self.slave)
        tty.setraw(self.slave)
        # Wine opens the slave by path; our slave fd stays open so the
        # pair lives until the master is closed on purpose.
        self.link = os.path.join(DOS, com)
        if os.path.lexists(self.link):
            os.unlink(self.link)
        os.symlink(self.path, self.link)

    def termios(self):
        return termios.tcgetattr(self.slave)

    def read(self, want, timeout=3.0):
        out = b""
        end = time.monotonic() + timeout
        while len(out) < want and time.monotonic() < end:
            r, _, _ = select.select([self.master], [], [], max(0, end - time.monotonic()))
            if not r:
                break
            try:
                out += os.read(self.master, 4096)
            except OSError:
                break
        return out

    def close_master(self):
        if self.master >= 0:
            os.close(self.master)
            self.master = -1

    def close(self):
        self.close_master()
        if self.slave >= 0:
            os.close(self.slave)
            self.slave = -1
        if os.path.lexists(self.link):
            os.unlink(self.link)


class Win:
    """com-test.exe under wine, with a deadline."""

    def __init__(self, *args, deadline=30.0, exe=None):
        self.p = subprocess.Popen(
            [WINE, exe or EXE, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, WINEDEBUG="-all"),
        )
        self.end = time.monotonic() + deadline
        self.lines = []
        self.buf = b""

    def _line(self):
        while b"\n" not in self.buf:
            left = self.end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            chunk = os.read(self.p.stdout.fileno(), 4096)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        s = line.decode(errors="replace").rstrip("\r")
        self.lines.append(s)
        return s

    def until_step(self):
        """Lines up to the next "step NAME"; returns NAME or None at the end."""
        while True:
            s = self._line()
            if s is None:
                return None
            if s.startswith("step "):
                return s[5:]

    def go(self):
        self.p.stdin.write(b"go\n")
        self.p.stdin.flush()

    def finish(self):
        while self._line() is not None:
            pass
        try:
            self.p.wait(timeout=max(1.0, self.end - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        return self.p.returncode

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()

    def get(self, key):
        for s in self.lines:
            if s.startswith(key + "="):
                return s[len(key) + 1 :]
        return None

    def text(self):
        return "\n".join(self.lines)


def speed_of(attrs):
    names = {getattr(termios, "B" + str(b)): b for b in
             (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)}
    return names.get(attrs[5])  # ospeed


def cflag_bits(attrs):
    c = attrs[2]
    size = {termios.CS5: 5, termios.CS6: 6, termios.CS7: 7, termios.CS8: 8}[c & termios.CSIZE]
    par = "N" if not c & termios.PARENB else ("O" if c & termios.PARODD else "E")
    stop = 2 if c & termios.CSTOPB else 1
    return f"{size}{par}{stop}"


# ---- scenarios -----------------------------------------------------------------


def t_names():
    w = Win("names")
    rc = w.finish()
    ok(rc == 0 and w.get("name[com5]") == "\\\\.\\COM5 COM5", "COM names: com5 opens as \\\\.\\COM5", w.text())
    ok(w.get("name[\\\\.\\COM12]") == "\\\\.\\COM12 COM12", "COM names: \\\\.\\COM12 kept (COM10+ work)", w.text())
    ok(w.get("name[C:\\x]") == "ASER_EBADURL" and w.get("name[/dev/ttyS0]") == "ASER_EBADURL",
       "a path is not a COM name (ASER_EBADURL)", w.text())
    ok(w.get("check[5N2]") == "ASER_ENOTSUP" and "5N1.5" in (w.get("check[5N2].msg") or ""),
       "5 data bits with 2 stop bits refused before SetCommState, naming 5N1.5", w.text())
    ok(w.get("check[5N1.5]") == "OK" and w.get("check[rs485]") == "ASER_ENOTSUP",
       "5N1.5 accepted; RS-485 refused", w.text())
    ok((w.get("dcb") or "").startswith("1234567 5 3 1 cts=1 rts=2 dtr=1 x=11 bin=1 abort=0 err=0"),
       "DCB: any baud, mark parity, 1.5 stop, RTS handshake, XON/XOFF, binary, no abort, no error char",
       w.text())
    ok(w.get("dcb.dtrdsr") == "dsr=1 dtr=2 rts=1", "DCB: DTR/DSR handshake", w.text())
    ok(w.get("interval[115200,8N1]") == "2" and w.get("interval[1200,7E1]") == "17"
       and w.get("interval[50,8N2]") == "100", "read interval: 2 char times, 2..100 ms", w.text())
    ok(w.get("errors") == "15", "CE_* errors map to all four ASER_LINEERR_* bits", w.text())


def t_settings():
    p = Pty()
    w = Win("settings", "COM5")
    try:
        s = w.until_step()
        a = p.termios()
        fact(f"after SetCommState 57600 7E1 the pty termios says {speed_of(a)} {cflag_bits(a)}; "
             f"GetCommState says {w.get('dcb')}")
        ok(s == "57600-7E1" and speed_of(a) == 57600, "57600 set from Windows is the pty's termios speed",
           w.text() + f"\nspeed {speed_of(a)}")
        w.go()
        s = w.until_step()
        a = p.termios()
        fact(f"after 9600 8N1 xonxoff: {speed_of(a)} {cflag_bits(a)} IXON={bool(a[0] & termios.IXON)} "
             f"IXOFF={bool(a[0] & termios.IXOFF)}; apply said {w.get('apply')}")
        ok(s == "9600-8N1-xonxoff" and speed_of(a) == 9600 and cflag_bits(a) == "8N1",
           "9600 8N1 set from Windows is in the pty's termios", w.text())
        ok(bool(a[0] & termios.IXON) and bool(a[0] & termios.IXOFF), "XON/XOFF reaches termios (IXON, IXOFF)",
           w.text())
        w.go()
        s = w.until_step()
        a = p.termios()
        fact(f"after 230400 8O2: termios {speed_of(a)} {cflag_bits(a)}; apply said {w.get('apply230400')}")
        ok(w.get("apply5N2") == "ASER_ENOTSUP" and speed_of(a) == 230400 and "2" == cflag_bits(a)[2],
           "5N2 refused, leaving the port as it was; 230400 with 2 stop bits applied", w.text())
        w.go()
        ok(w.finish() == 0, "settings: com-test exits 0", w.text())
    finally:
        w.kill()
        p.close()


def t_io():
    p = Pty()
    w = Win("io", "COM5")
    try:
        s = w.until_step()
        got = p.read(19)
        ok(s == "wrote" and got == b"hello from windows\n", "WriteFile's bytes reach the pty",
           w.text() + f"\ngot {got!r}")
        ok("write" in (w.get("write.completion") or "") and "bytes=19 error=0" in w.get("write.completion"),
           "WriteFile completes through the completion port (19 bytes)", w.text())
        w.go()
        s = w.until_step()
        os.write(p.master, b"hello from linux\n")
        w.go()
        w.finish()
        rc_line = w.get("read.completion") or ""
        m = re.search(r"after_ms=([\d.]+)", rc_line)
        fact(f"overlapped read completion: {rc_line}")
        ok("read bytes=17 error=0" in rc_line and w.get("read.data") == "hello from linux",
           "an overlapped ReadFile completes with the bytes the pty sent", w.text())
        ok(m and float(m.group(1)) < 500, "the read completes within 500 ms of the bytes", rc_line)
        ok(w.get("read2.idle") == "0", "a read with no bytes stays pending (no busy completions)", w.text())
        ok(w.get("read2.cancel") == "1 error=995" and w.get("after.cancel") == "0",
           "CancelIoEx: exactly one completion, ERROR_OPERATION_ABORTED", w.text())
        fact(f"ClearCommError after I/O: {w.get('status')}; PurgeComm: {w.get('flush')}")
        ok((w.get("status") or "").startswith("OK"), "ClearCommError answers on a pty", w.text())
    finally:
        w.kill()
        p.close()


def t_emptyread():
    p = Pty()
    w = Win("emptyread", "COM5")
    try:
        s = w.until_step()
        got = 0
        end = time.monotonic() + 15
        while got < 65536 and time.monotonic() < end:
            got += len(p.read(1024, timeout=0.2))
            time.sleep(0.01)  # a slow reader: the write waits for room
        w.go()
        w.finish()
        fact(f"a 64 KiB write drained slowly by the pty: {w.get('emptyread')} (empty read completions "
             f"with no error while the write was busy)")
        ok(s == "writing" and got == 65536 and (w.get("emptyread") or "").endswith("write_done=1"),
           "Wine's empty read completions during a write recorded (the transport re-posts then)", w.text())
    finally:
        w.kill()
        p.close()


def t_missing():
    link = os.path.join(DOS, "com9")
    if os.path.lexists(link):
        os.unlink(link)
    w = Win("missing", "COM9")
    w.finish()
    msg = w.get("msg") or ""
    ok(w.get("open") == "ASER_ENOENT" and "Device Manager" in msg and "aserial list" in msg,
       "open of a missing COM9: ASER_ENOENT naming Device Manager and `aserial list`", w.text())


def t_twice():
    p = Pty()
    w = Win("twice", "COM5")
    try:
        s = w.until_step()
        msg = w.get("msg2") or ""
        fact(f"second open in one process: {w.get('open2')}; a raw second CreateFile (no lock): "
             f"{w.get('raw2')}")
        ok(s == "held" and w.get("open2") == "ASER_EBUSY" and "close it" in msg,
           "a second open of COM5 is ASER_EBUSY: close the other program", w.text())
        w2 = Win("missing", "COM5")  # another process tries meanwhile
        if w2.until_step():
            w2.go()
        w2.finish()
        fact(f"open from a second process while held: {w2.get('open')}")
        ok(w2.get("open") == "ASER_EBUSY", "an open from another process is ASER_EBUSY too", w2.text())
        w.go()
        w.finish()
        ok(w.get("open3") == "OK", "once closed, COM5 opens again", w.text())
    finally:
        w.kill()
        p.close()


def t_hangup():
    p = Pty()
    w = Win("hangup", "COM5")
    try:
        s = w.until_step()
        p.close_master()
        w.go()
        w.finish()
        fact(f"far side closed during a read: first {w.get('first')}; re-posts: "
             + "; ".join(f"{w.get(f'repost{i}')}" for i in range(5)))
        first = w.get("first") or ""
        ok(s == "reading" and first.startswith("1 bytes=0 error=") and first[-3:] in ("r=0", "109"),
           "far side closed: the pending read completes once with 0 bytes (error 0 or 109)", w.text())
        reposts = [w.get(f"repost{i}") or "" for i in range(5)]
        ok(all(r.endswith("error=109") for r in reposts),
           "every read posted after that ends at once with ERROR_BROKEN_PIPE (a blind re-post spins)",
           w.text())
        ok(w.get("code109") == "ASER_EDISCONNECTED gone=1", "ERROR_BROKEN_PIPE maps to ASER_EDISCONNECTED",
           w.text())
    finally:
        w.kill()
        p.close()


def t_caps():
    p = Pty()
    w = Win("caps", "COM5")
    try:
        w.finish()
        for s in w.lines:
            if s.startswith(("modemstatus", "modem_", "break_", "commprop")):
                fact(f"on a pty: {s}")
        ok(w.get("open") == "ok", "the open succeeds although GetCommModemStatus cannot work", w.text())
        ml = w.get("cap.modem_lines") or ""
        ok(ml.startswith("unsupported (no modem lines"), "modem lines: unsupported, with the reason", w.text())
        ok((w.get("cap.break") or "").startswith("unsupported") and
           (w.get("cap.rs485") or "").startswith("unsupported"), "break and RS-485: unsupported", w.text())
        ok(w.get("modem_get") == "ASER_ENOTSUP", "modem_get: ASER_ENOTSUP", w.text())
        ok(w.get("modem_set_rtscts") == "ASER_EBUSY", "setting RTS under rtscts: ASER_EBUSY", w.text())
    finally:
        w.kill()
        p.close()


def t_waitcomm():
    p = Pty()
    w = Win("waitcomm", "COM5", deadline=20)
    try:
        s = w.until_step()
        if s == "waiting":
            os.write(p.master, b"x")
            termios.tcsendbreak(p.master, 0)
            w.go()
        w.finish()
        for s in w.lines:
            if s.startswith(("setcommmask", "waitcommevent", "wait.")):
                fact(f"WaitCommEvent on a pty: {s}")
        ok(w.get("setcommmask", ) is not None and w.get("waitcommevent") is not None,
           "WaitCommEvent's behaviour on a pty recorded", w.text())
        rep = w.get("wait.repeats")
        ok(rep is None or rep != "20/20" or "error=0" not in (w.get("wait.completion") or ""),
           "WaitCommEvent does not complete in a loop with nothing to report", w.text())
    finally:
        w.kill()
        p.close()


def t_list():
    w = Win("list")
    w.finish()
    for s in w.lines:
        fact(f"discovery: {s}")
    ports = [s for s in w.lines if s.startswith("port=")]
    ok(w.get("list", ).startswith("OK") if w.get("list") else False, "aser_list_ports succeeds", w.text())
    ok(any(s.startswith("port=COM1 device=COM1") for s in ports),
       "COM1 (Wine's \\Device\\Serial0 in SERIALCOMM) is listed", w.text())
    ok(not any(s.startswith("port=COM5") for s in ports),
       "a COM5 symlink made after boot is not listed (Wine lists only what it mounted)", w.text())
    ok((w.get("find.com1") or "").startswith("OK COM1"), "aser_find_port by device \"com1\" finds COM1",
       w.text())
    ok(w.get("usb") == "ASER_ENOENT" and "aserial list" in (w.get("usb.msg") or ""),
       "usb:0403:6001 with no such adapter: ASER_ENOENT pointing to `aserial list`", w.text())
    ok(w.get("usb.bad") == "ASER_EBADURL", "a malformed usb: spec is ASER_EBADURL", w.text())


def t_usbid():
    w = Win("usbid")
    w.finish()
    g = w.get
    ok(g("usbid[USB\\VID_0403&PID_6001\\A600XYZ]") == "1 0403:6001 if=-1 ser=A600XYZ",
       "USB\\VID_0403&PID_6001\\A600XYZ: vid, pid, serial", w.text())
    ok(g("usbid[USB\\VID_2341&PID_0043&MI_02\\6&3A1B&0&0002]") == "1 2341:0043 if=2 ser=-",
       "a composite device's interface: MI_02, no made-up serial", w.text())
    ok(g("usbid[FTDIBUS\\VID_0403+PID_6015+DN0123ABA\\0000]") == "1 0403:6015 if=-1 ser=DN0123ABA",
       "FTDI's own bus: vid, pid, serial as pyserial reads it", w.text())
    ok(g("usbid[USB\\VID_10C4&PID_EA60\\5&1F2&0&3]") == "1 10c4:ea60 if=-1 ser=-",
       "a serial made up by Windows (holds &) is no serial", w.text())
    ok(g("usbid[ACPI\\PNP0501\\0]") == "0 0000:0000 if=-1 ser=-"
       and g("usbid[USB\\VID_XYZW&PID_0001\\1]").startswith("0 "), "no USB identity: none found", w.text())
    globs = {p: g(f"glob[{p}]") for p in ["*ft232r*", "usb serial port (com?)", "*[0-9])", "CP210?*",
                                          "*(COM[!7])", "[a-u]sb*"]}
    ok(globs == {"*ft232r*": "1", "usb serial port (com?)": "1", "*[0-9])": "1", "CP210?*": "0",
                 "*(COM[!7])": "0", "[a-u]sb*": "1"}, "the find glob: * ? [set] [!set], ignoring case",
       w.text())
    ok(g("dev[com7]") == "1" and g("dev[\\\\.\\COM7]") == "1" and g("dev[COM70]") == "0",
       "a device filter matches com7 and \\\\.\\COM7, not COM70", w.text())
    ok(g("cmp") == "1 0 1", "names sort naturally, ignoring case (COM2 < COM10)", w.text())


SCENARIOS = [t_names, t_settings, t_io, t_emptyread, t_missing, t_twice, t_hangup, t_caps, t_waitcomm, t_list, t_usbid]

if __name__ == "__main__":
    only = sys.argv[1:]
    for t in SCENARIOS:
        if only and t.__name__[2:] not in only:
            continue
        try:
            t()
        except Exception as e:  # a crash in the driver is a failure, not a hang
            ok(False, f"{t.__name__} ran", repr(e))
    print(f"1..{n}")
    sys.exit(1 if failed else 0)
