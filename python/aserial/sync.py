"""aserial.sync: the blocking wrapper, for code that is not async.

    from aserial.sync import SerialPort
    with SerialPort.open("/dev/ttyUSB0", baudrate=115_200) as port:
        port.send(b"AT\\r\\n")
        reply = port.receive(64, timeout=1.0)

Each call runs the C library's blocking API on the port's private loop
(no event loop, no thread) and releases the GIL while it waits, so other
Python threads run meanwhile. Every call takes its own timeout in seconds
(None: wait as long as it takes); on timeout SerialTimeoutError is raised
and bytes that did arrive stay buffered. One port is used by one thread at
a time (a lock serialises callers)."""
from __future__ import annotations

import threading
from typing import Any, Optional

from . import _aserial
from ._config import SerialConfig
from ._framer import Framer
from ._port import Capabilities, Capability, ModemLines, _CAP_STATES, ms

__all__ = ["SerialPort", "Serial", "open_serial_port"]


class SerialPort:
    """A blocking serial port. Open with SerialPort.open(url, ...)."""

    def __init__(self, c: Any, url: str, config: SerialConfig, eol: bytes = b"\n") -> None:
        self._c = c
        self._url = url
        self._config = config
        self._lock = threading.Lock()
        self.eol = bytes(eol)

    @classmethod
    def open(cls, url: str, config: Optional[SerialConfig] = None, *, eol: bytes = b"\n",
             **fields: Any) -> "SerialPort":
        if config is None:
            config = SerialConfig.from_kwargs(**fields)
        elif fields:
            config = config.with_changes(**fields)
        return cls(_aserial.open(None, str(url), config.to_string()), str(url), config, eol)

    def __enter__(self) -> "SerialPort":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._c.close()

    @property
    def closed(self) -> bool:
        return self._c.closed

    @property
    def url(self) -> str:
        return self._url

    @property
    def config(self) -> SerialConfig:
        return self._config

    def send(self, data: bytes, timeout: Optional[float] = None) -> None:
        """Write every byte; returns when they are handed to the driver."""
        with self._lock:
            self._c.write_sync(bytes(data), ms(timeout))

    def receive(self, max_bytes: int = 65536, timeout: Optional[float] = None) -> bytes:
        """At least one byte, up to max_bytes."""
        with self._lock:
            return self._c.read_sync(max_bytes, ms(timeout))

    def receive_exactly(self, n: int, timeout: Optional[float] = None) -> bytes:
        with self._lock:
            return self._c.read_sync(n, ms(timeout), True)

    def receive_until(self, delimiter: bytes, max_bytes: int = 4096,
                      timeout: Optional[float] = None) -> bytes:
        with self._lock:
            return self._c.read_until_sync(bytes(delimiter), max_bytes, ms(timeout))

    def readline(self, eol: Optional[bytes] = None, max_bytes: int = 4096,
                 timeout: Optional[float] = None) -> bytes:
        return self.receive_until(self.eol if eol is None else eol, max_bytes, timeout)

    def drain(self, timeout: Optional[float] = None) -> None:
        with self._lock:
            self._c.drain_sync(ms(timeout))

    def query(self, request: bytes, *, eol: Optional[bytes] = None,
              timeout: Optional[float] = None, max_bytes: int = 4096, keep_stale: bool = False,
              framer: Optional[Framer] = None) -> bytes:
        """Write request, read the reply (up to eol, or one frame)."""
        kw: dict = {"eol": self.eol if eol is None else bytes(eol), "timeout_ms": ms(timeout),
                    "max": max_bytes, "keep_stale": keep_stale}
        if framer is not None:
            kw["framer"] = framer.desc
        with self._lock:
            return self._c.query_sync(bytes(request), **kw)

    def write_readline(self, request: bytes, eol: Optional[bytes] = None,
                       timeout: Optional[float] = None) -> bytes:
        return self.query(request, eol=eol, timeout=timeout)

    def receive_frame(self, framer: Framer, max_bytes: int = 4096,
                      timeout: Optional[float] = None) -> bytes:
        with self._lock:
            return self._c.read_frame_sync(framer.desc, max_bytes, ms(timeout))

    def configure(self, config: SerialConfig) -> None:
        with self._lock:
            self._c.configure(config.to_string())
        self._config = config

    def capabilities(self) -> Capabilities:
        items = {}
        for i, name in enumerate(_aserial.FEATURES):
            state, reason = self._c.cap(i)
            items[name] = Capability(_CAP_STATES[state], reason)
        return Capabilities(items)

    def modem_lines(self) -> ModemLines:
        return ModemLines.from_bits(self._c.lines)

    def send_break(self, duration: float = 0.25) -> None:
        with self._lock:
            self._c.send_break(ms(duration))

    def reset_input_buffer(self) -> None:
        self._c.discard(_aserial.DISCARD_INPUT)

    def __repr__(self) -> str:
        return f"<aserial.sync.SerialPort {self._url!r} {'closed' if self.closed else 'open'}>"


def open_serial_port(url: str, config: Optional[SerialConfig] = None, **fields: Any) -> SerialPort:
    return SerialPort.open(url, config, **fields)


class Serial:
    """pyserial's Serial, for code written against it (seed 001):
    ``Serial(port, baudrate=9600, timeout=0.5)``, ``write``, ``read(size)``
    (what arrived within timeout, possibly fewer bytes), ``readline``,
    ``in_waiting``, ``close``. timeout None waits for every byte; 0 returns
    what is already there."""

    def __init__(self, port: str, baudrate: int = 9600, timeout: Optional[float] = None,
                 **kwargs: Any) -> None:
        self.port = port
        self.timeout = timeout
        kwargs.pop("write_timeout", None)
        self._p = SerialPort.open(port, SerialConfig.from_kwargs(baudrate=baudrate, **kwargs))

    @property
    def baudrate(self) -> int:
        return self._p.config.baudrate

    @baudrate.setter
    def baudrate(self, value: int) -> None:
        self._p.configure(self._p.config.with_changes(baudrate=value))

    @property
    def is_open(self) -> bool:
        return not self._p.closed

    @property
    def in_waiting(self) -> int:
        return self._p._c.bytes_in

    def write(self, data: bytes) -> int:
        self._p.send(data)
        return len(data)

    def flush(self) -> None:
        self._p.drain()

    def _left(self, deadline: Optional[float]) -> Optional[float]:
        import time
        return None if deadline is None else deadline - time.monotonic()

    def read(self, size: int = 1) -> bytes:
        import time
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        buf = bytearray()
        while len(buf) < size:
            left = self._left(deadline)
            if left is not None and left <= 0 and self.in_waiting == 0:
                break
            try:
                buf += self._p.receive(size - len(buf),
                                       timeout=None if left is None else max(left, 0.001))
            except TimeoutError:
                break
        return bytes(buf)

    def readline(self, size: int = 4096) -> bytes:
        try:
            return self._p.receive_until(b"\n", size, timeout=self.timeout) + b"\n"
        except TimeoutError:
            return self.read(self.in_waiting) if self.in_waiting else b""

    def reset_input_buffer(self) -> None:
        self._p.reset_input_buffer()

    def close(self) -> None:
        self._p.close()

    def __enter__(self) -> "Serial":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
