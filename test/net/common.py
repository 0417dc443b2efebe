"""Shared by the interop tests in test/net/: TAP output, processes started
under `timeout` in their own process group and killed at exit (whatever
happens), a pseudo-terminal that echoes and records the line speed, free
loopback ports. Runs under Debian's /usr/bin/python3 (python3-serial)."""
import atexit
import fcntl
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import tty

TCGETS2 = 0x802C542A  # _IOR('T', 0x2A, struct termios2), 44 bytes
_procs = []
_n = 0
_failed = 0


def _cleanup():
    for p in _procs:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except OSError:
            pass
    time.sleep(0.1)
    for p in _procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            p.wait(1)
        except Exception:
            pass


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))


def start(args, limit=60, **kw):
    """Start args under `timeout limit` in a new process group."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    p = subprocess.Popen(["timeout", str(limit)] + list(args), start_new_session=True, **kw)
    _procs.append(p)
    return p


def stop(p):
    if p.stdin and p.stdin.closed:
        p.stdin = None
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except OSError:
        pass
    try:
        return p.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        return p.communicate()


def run(args, limit=20):
    """Run to completion under timeout; (returncode, stdout+stderr text)."""
    p = start(args, limit=limit)
    out, errb = p.communicate()
    return p.returncode, (out or b"").decode(errors="replace") + (errb or b"").decode(errors="replace")


def header():
    print("TAP version 13", flush=True)


def ok(name, cond, diag=""):
    global _n, _failed
    _n += 1
    if cond:
        print("ok %d - %s" % (_n, name), flush=True)
    else:
        _failed += 1
        print("not ok %d - %s" % (_n, name), flush=True)
        for line in str(diag).splitlines():
            print("# " + line, flush=True)
    return cond


def skip(name, why):
    global _n
    _n += 1
    print("ok %d - %s # SKIP %s" % (_n, name, why), flush=True)


def done():
    print("1..%d" % _n, flush=True)
    sys.exit(1 if _failed else 0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _listening(port):
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            pass
    return False


def wait_listening(port, limit=5.0):
    """Wait for a listening socket on port without connecting to it: a probe
    connection would be a client to servers that serve one at a time."""
    end = time.time() + limit
    while time.time() < end:
        if _listening(port):
            return True
        time.sleep(0.05)
    return False


def pty_speed(path):
    fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        buf = fcntl.ioctl(fd, TCGETS2, bytes(44))
    finally:
        os.close(fd)
    return struct.unpack("I", buf[40:44])[0]


class PtyEcho(threading.Thread):
    """A pseudo-terminal whose master echoes what it reads (when echo is
    set) and records, for each chunk, its offset in the stream and the line
    speed at that moment: speeds_at(offset)."""

    def __init__(self, echo=True):
        super().__init__(daemon=True)
        self.master, s = os.openpty()
        tty.setraw(s)
        self.path = os.ttyname(s)
        os.close(s)
        self.echo = echo
        self.received = bytearray()
        self.log = []  # (offset, speed)
        self.running = True
        self.lock = threading.Lock()
        self.start()

    def run(self):
        while self.running:
            r, _, _ = select.select([self.master], [], [], 0.05)
            if not r:
                continue
            try:
                d = os.read(self.master, 65536)
            except OSError:  # nobody has the slave open
                time.sleep(0.02)
                continue
            with self.lock:
                try:
                    self.log.append((len(self.received), pty_speed(self.path)))
                except OSError:
                    pass
                self.received += d
            if self.echo:
                self.write(d)

    def write(self, d):
        while d:
            try:
                n = os.write(self.master, d)
                d = d[n:]
            except BlockingIOError:
                time.sleep(0.01)

    def speed_at(self, offset):
        with self.lock:
            best = None
            for off, sp in self.log:
                if off <= offset:
                    best = sp
            return best

    def close(self):
        self.running = False
        self.join(1)
        os.close(self.master)
