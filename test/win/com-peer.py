#!/usr/bin/env python3
"""com-peer.py: the far end of COM ports under Wine (test/win/run.sh).

Usage: com-peer.py PEER_PATH:COM_PATH:PAIR_PID ...

For each argument it opens PEER_PATH (one end of a Linux `aserial pair`,
raw) and answers the lines the Windows side writes to COM_PATH (the
other end, which WINEPREFIX/dosdevices/comN points at):
  HELLO       "hello\\nworld" (no newline after world)
  QUIET...    nothing (timeouts, pending queries)
  BAUD?       "<SPEED>\\n": the output speed of COM_PATH's termios, read
              on Linux (what SetCommState made of it)
  UNPLUG      kills PAIR_PID (the pair process: the cable is pulled)
  anything X  "<X>\\n"
Prints "ready" when every end is open; runs until stopped by a signal.
"""
import os
import select
import signal
import sys
import termios
import tty

SPEEDS = {getattr(termios, n): int(n[1:]) for n in dir(termios)
          if n.startswith("B") and n[1:].isdigit()}


def speed(path):
    fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        return SPEEDS.get(termios.tcgetattr(fd)[5], -1)
    finally:
        os.close(fd)


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    ends = {}
    for arg in sys.argv[1:]:
        peer, com, pid = arg.split(":")
        fd = os.open(peer, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(fd)
        ends[fd] = {"com": com, "pid": int(pid), "buf": b""}
    print("ready", flush=True)
    while ends:
        r, _, _ = select.select(list(ends), [], [], 1.0)
        for fd in r:
            e = ends[fd]
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:  # the pair is gone
                os.close(fd)
                del ends[fd]
                continue
            e["buf"] += data
            while True:
                i = min([k for k in (e["buf"].find(b"\n"), e["buf"].find(b"\r")) if k >= 0],
                        default=-1)
                if i < 0:
                    break
                line, e["buf"] = e["buf"][:i], e["buf"][i + 1:]
                if not line:
                    continue
                if line == b"HELLO":
                    out = b"hello\nworld"
                elif line.startswith(b"QUIET"):
                    out = b""
                elif line == b"BAUD?":
                    out = b"<%d>\n" % speed(e["com"])
                elif line == b"UNPLUG":
                    os.kill(e["pid"], signal.SIGTERM)
                    out = b""
                else:
                    out = b"<" + line + b">\n"
                if out:
                    os.write(fd, out)


if __name__ == "__main__":
    main()
