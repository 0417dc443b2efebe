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
  SOURCE N    N bytes of the pattern (byte i is i % 251), written as the
              pty takes them
  SINK N      the next N bytes are taken as the pattern; then
              "<sunk N ok>\\n" (or "<sunk N bad AT>\\n" at the first wrong one)
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
        os.set_blocking(fd, False)
        ends[fd] = {"com": com, "pid": int(pid), "buf": b"", "out": b"", "sink": 0, "sunk": 0,
                    "bad": -1}
    print("ready", flush=True)
    while ends:
        wr = [fd for fd, e in ends.items() if e["out"]]
        r, w, _ = select.select(list(ends), wr, [], 1.0)
        for fd in w:
            e = ends.get(fd)
            if not e:
                continue
            try:
                k = os.write(fd, e["out"][:4096])
                e["out"] = e["out"][k:]
            except BlockingIOError:
                pass
            except OSError:
                e["out"] = b""
        for fd in r:
            e = ends[fd]
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:  # the pair is gone
                os.close(fd)
                del ends[fd]
                continue
            e["buf"] += data
            while True:
                while e["sink"] and e["buf"]:  # SINK: raw bytes, not lines
                    take, e["buf"] = e["buf"][:e["sink"]], e["buf"][e["sink"]:]
                    for j, byte in enumerate(take):
                        if e["bad"] < 0 and byte != (e["sunk"] + j) % 251:
                            e["bad"] = e["sunk"] + j
                    e["sunk"] += len(take)
                    e["sink"] -= len(take)
                    if not e["sink"]:
                        verdict = b"ok" if e["bad"] < 0 else b"bad %d" % e["bad"]
                        e["out"] += b"<sunk %d %s>\n" % (e["sunk"], verdict)
                if e["sink"]:
                    break
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
                elif line.startswith(b"SOURCE "):
                    out = bytes(i % 251 for i in range(int(line[7:])))
                elif line.startswith(b"SINK "):
                    e["sink"], e["sunk"], e["bad"] = int(line[5:]), 0, -1
                    out = b""
                else:
                    out = b"<" + line + b">\n"
                e["out"] += out


if __name__ == "__main__":
    main()
