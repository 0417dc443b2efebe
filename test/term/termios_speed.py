#!/usr/bin/python3
"""termios_speed.py PATH: print the output speed of the tty at PATH as the
kernel holds it (TCGETS2, so rates set as BOTHER + number show too)."""
import fcntl
import os
import struct
import sys

TCGETS2 = 0x802C542A  # _IOR('T', 0x2A, struct termios2) on Linux x86/arm
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
raw = fcntl.ioctl(fd, TCGETS2, bytes(44))
os.close(fd)
print(struct.unpack("I", raw[40:44])[0])
