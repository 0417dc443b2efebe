"""A device that vanishes mid-request: makes a pseudo-terminal, prints the
path, waits for a request on it, then closes the master side (the cable is
pulled) instead of answering. Usage: vanishing_device.py PATHFILE"""
import os
import select
import sys
import time

master, slave = os.openpty()
path = os.ttyname(slave)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(path + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    r, _, _ = select.select([master], [], [], 0.1)
    if r and os.read(master, 1024):
        break
os.close(slave)
os.close(master)
