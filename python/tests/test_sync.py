"""aserial.sync: the blocking wrapper against `aserial sim` on a pty:
per-call timeouts, the GIL released while waiting, errors as built-ins."""
from __future__ import annotations

import threading
import time

import pytest

import aserial
from aserial.sync import SerialPort

pytestmark = pytest.mark.blocking


def test_query_and_readline(sim_tty):
    with SerialPort.open(sim_tty, baudrate=115_200) as port:
        assert port.query(b"*IDN?\n", timeout=2.0) == b"ACME,MODEL1,42,1.0"
        port.send(b"PING\n")
        assert port.readline(timeout=2.0) == b"PONG"
        assert port.write_readline(b"PING\n", timeout=2.0) == b"PONG"


def test_per_call_timeout_raises_timeouterror(sim_tty):
    with SerialPort.open(sim_tty) as port:
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            port.receive(1, timeout=0.05)
        elapsed = time.monotonic() - t0
        assert elapsed < 5.0  # healthy: ~0.05 s (the bound is 100x)
        assert port.query(b"PING\n", timeout=2.0) == b"PONG"


def test_gil_is_released_while_waiting(sim_tty):
    with SerialPort.open(sim_tty) as port:
        counted = []
        stop = threading.Event()

        def spin():
            n = 0
            while not stop.is_set():
                n += 1
            counted.append(n)

        t = threading.Thread(target=spin)
        t.start()
        try:
            with pytest.raises(TimeoutError):
                port.receive(1, timeout=0.3)
        finally:
            stop.set()
            t.join()
        assert counted[0] > 1000  # the other thread ran during the wait


def test_missing_port_is_filenotfounderror(tmp_path):
    with pytest.raises(FileNotFoundError) as ei:
        SerialPort.open(str(tmp_path / "nope"))
    assert isinstance(ei.value, aserial.SerialNotFoundError)
    assert "aserial list" in str(ei.value)
    assert ei.value.name == "ASER_ENOENT"


def test_bad_config_is_valueerror_naming_the_token(sim_tty):
    with pytest.raises(ValueError) as ei:
        SerialPort.open(sim_tty + "?parity=sideways")
    assert "sideways" in str(ei.value)
    with pytest.raises(ValueError):
        aserial.SerialConfig(bytesize=4)


def test_busy_port_is_busyresourceerror(sim_tty):
    with SerialPort.open(sim_tty):
        with pytest.raises(aserial.BusyResourceError) as ei:
            SerialPort.open(sim_tty)
        assert "fuser" in str(ei.value)


def test_frames_and_capabilities_on_a_pty(sim_tty):
    with SerialPort.open(sim_tty) as port:
        caps = port.capabilities()
        assert caps["modem_lines"].state == "unsupported"
        assert caps["modem_lines"].reason
        with pytest.raises(aserial.UnsupportedFeatureError):
            port.modem_lines()
        port.send(b"PING\n")
        assert port.receive_frame(aserial.Framer.delimiters(b"\r\n", b"\n"),
                                  timeout=2.0) == b"PONG"
