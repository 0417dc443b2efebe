"""pyserial (Debian python3-serial), a program nobody here wrote, pushes
1 MiB each way through the two ends of `aserial pair` at once and checks
every byte. Usage: pyserial_pair.py PATH_A PATH_B"""
import os
import sys
import threading

import serial

SIZE = 1 << 20


def pump(port, data, errors):
    try:
        view = memoryview(data)
        while view:
            n = port.write(view[:4096])
            view = view[n:]
        port.flush()
    except Exception as e:  # reported by the main thread
        errors.append(e)


def drain(port, want, out, errors):
    try:
        buf = bytearray()
        while len(buf) < want:
            chunk = port.read(min(65536, want - len(buf)))
            if not chunk:
                raise TimeoutError("read timed out after %d of %d bytes" % (len(buf), want))
            buf += chunk
        out.append(bytes(buf))
    except Exception as e:
        errors.append(e)


def main():
    a = serial.Serial(sys.argv[1], 115200, timeout=10, write_timeout=10)
    b = serial.Serial(sys.argv[2], 115200, timeout=10, write_timeout=10)
    ab, ba = os.urandom(SIZE), os.urandom(SIZE)
    got_b, got_a, errors = [], [], []
    threads = [threading.Thread(target=pump, args=(a, ab, errors)),
               threading.Thread(target=pump, args=(b, ba, errors)),
               threading.Thread(target=drain, args=(b, SIZE, got_b, errors)),
               threading.Thread(target=drain, args=(a, SIZE, got_a, errors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        print("FAIL:", errors)
        return 1
    if got_b != [ab] or got_a != [ba]:
        print("FAIL: data differs")
        return 1
    print("ok: 1 MiB each way intact")
    return 0


sys.exit(main())
