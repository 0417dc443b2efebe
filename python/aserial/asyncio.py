"""aserial.asyncio: the pyserial-asyncio (and serialx) shape.

    reader, writer = await aserial.asyncio.open_serial_connection(
        url="/dev/ttyUSB0", baudrate=115200)

    transport, protocol = await aserial.asyncio.create_serial_connection(
        loop, MyProtocol, "/dev/ttyUSB0", baudrate=115200)

The transport is an asyncio.Transport over the C port: data arrives
through the C library's streaming callback (``data_received``), writes go
to its write queue, and the protocol's ``pause_writing``/``resume_writing``
follow the queue against ``set_write_buffer_limits`` (asyncio's 64 KiB /
16 KiB by default). ``close()`` sends what is queued first (bounded by
``close_timeout``, 2 s), ``abort()`` drops it. ``transport.serial`` stands in
for pyserial's Serial object: ``write``, ``dtr``/``rts`` (settable),
``cts``/``dsr``/``ri``/``cd``, ``baudrate`` (settable), ``send_break``.
Works on asyncio's own loop and on uvloop. pyserial's keyword names are
accepted (baudrate, bytesize, parity="N", stopbits, rtscts, xonxoff,
dsrdtr); ``timeout`` is ignored as in pyserial-asyncio."""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional, Tuple

from . import _aserial
from ._config import SerialConfig
from ._errors import FrameTooLongError, error_from_code
from ._runtime import AsyncioHub, _asyncio_hubs

__all__ = ["SerialTransport", "create_serial_connection", "open_serial_connection"]


def _hub_for(loop: asyncio.AbstractEventLoop) -> AsyncioHub:
    hub = _asyncio_hubs.get(loop)
    if hub is None:
        hub = _asyncio_hubs[loop] = AsyncioHub(loop)
    return hub


class _SerialShim:
    """pyserial's Serial, as far as protocols use it through transport.serial."""

    def __init__(self, transport: "SerialTransport") -> None:
        self._t = transport

    def write(self, data: bytes) -> int:
        self._t.write(data)
        return len(data)

    @property
    def port(self) -> str:
        return self._t._url

    @property
    def name(self) -> str:
        return self._t._url

    @property
    def baudrate(self) -> int:
        return self._t._config.baudrate

    @baudrate.setter
    def baudrate(self, value: int) -> None:
        self._t.configure(self._t._config.with_changes(baudrate=value))

    def _line(self, bit: int) -> bool:
        return bool(self._t._c.lines & bit)

    dtr = property(lambda self: self._line(_aserial.LINE_DTR),
                   lambda self, on: self._t.set_lines(_aserial.LINE_DTR, on))
    rts = property(lambda self: self._line(_aserial.LINE_RTS),
                   lambda self, on: self._t.set_lines(_aserial.LINE_RTS, on))
    cts = property(lambda self: self._line(_aserial.LINE_CTS))
    dsr = property(lambda self: self._line(_aserial.LINE_DSR))
    ri = property(lambda self: self._line(_aserial.LINE_RI))
    cd = property(lambda self: self._line(_aserial.LINE_CD))

    def send_break(self, duration: float = 0.25) -> None:
        self._t.send_break(duration)

    @property
    def in_waiting(self) -> int:
        return self._t._c.bytes_in

    @property
    def out_waiting(self) -> int:
        return self._t._c.bytes_out

    def reset_input_buffer(self) -> None:
        self._t._c.discard(_aserial.DISCARD_INPUT)

    def close(self) -> None:
        self._t.close()


class SerialTransport(asyncio.Transport):
    """An asyncio transport over one aserial port."""

    close_timeout = 2.0

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol: asyncio.BaseProtocol,
                 c: Any, url: str, config: SerialConfig) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self._c = c
        self._url = url
        self._config = config
        self._closing = False
        self._lost = False
        self._reading = True
        self._paused = False  # protocol.pause_writing() called
        self._overflow = bytearray()  # what the C queue refused (past its high water)
        self._high = 64 * 1024
        self._low = 16 * 1024
        self.serial = _SerialShim(self)
        c.on_writable(self._on_writable)
        c.on_data(self._on_data)
        self._set_c_low_water()
        loop.call_soon(protocol.connection_made, self)

    # ---- reading ------------------------------------------------------
    def _on_data(self, status: int, payload: Any) -> None:
        if status >= 0:
            self._protocol.data_received(payload)  # type: ignore[attr-defined]
        elif status in (_aserial.ENOBUFS, _aserial.EPROTO):
            pass
        elif not self._closing:
            self._fail(error_from_code(status, "", payload))

    def pause_reading(self) -> None:
        if self._reading and not self._closing:
            self._reading = False
            self._c.on_data(None)

    def resume_reading(self) -> None:
        if not self._reading and not self._closing:
            self._reading = True
            self._c.on_data(self._on_data)

    def is_reading(self) -> bool:
        return self._reading and not self._closing

    # ---- writing ------------------------------------------------------
    def write(self, data: Any) -> None:
        if self._closing:
            return
        data = bytes(data)
        if not data:
            return
        if self._overflow:
            self._overflow += data
        else:
            try:
                self._c.write(None, data)
            except FrameTooLongError:  # past the C queue's high water: keep it here
                self._overflow += data
            except Exception as exc:
                self._fail(exc)
                return
        self._check_pause()

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(bytes(d) for d in list_of_data))

    def can_write_eof(self) -> bool:
        return False

    def write_eof(self) -> None:
        raise NotImplementedError("a serial line has no end of stream")

    def get_write_buffer_size(self) -> int:
        return self._c.write_queued + len(self._overflow)

    def get_write_buffer_limits(self) -> Tuple[int, int]:
        return (self._low, self._high)

    def set_write_buffer_limits(self, high: Optional[int] = None,
                                low: Optional[int] = None) -> None:
        if high is None:
            high = 64 * 1024 if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high, self._low = high, low
        self._set_c_low_water()
        self._check_pause()

    def _set_c_low_water(self) -> None:
        try:  # the C queue reports writable at our low mark
            self._c.configure(f"low_water={self._low}")
        except Exception:  # a low mark at or above the C high water: keep C's
            pass

    def _check_pause(self) -> None:
        if not self._paused and self.get_write_buffer_size() > self._high:
            self._paused = True
            self._protocol.pause_writing()

    def _on_writable(self, queued: int) -> None:
        if self._overflow:
            data, self._overflow = bytes(self._overflow), bytearray()
            try:
                self._c.write(None, data)
            except FrameTooLongError:
                self._overflow[:0] = data
            except Exception as exc:
                self._fail(exc)
                return
        if self._paused and self.get_write_buffer_size() <= self._low:
            self._paused = False
            self._protocol.resume_writing()

    # ---- lines and settings -------------------------------------------
    def set_lines(self, bit: int, on: bool) -> None:
        self._c.set_lines(bit, bit if on else 0)

    def send_break(self, duration: float = 0.25) -> None:
        self._c.send_break(max(1, int(duration * 1000)))

    def configure(self, config: SerialConfig) -> None:
        self._c.configure(config.to_string())
        self._config = config

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"serial": self.serial, "url": self._url,
                "config": self._config}.get(name, default)

    # ---- closing ------------------------------------------------------
    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Send what is queued (at most close_timeout), then close."""
        if self._closing:
            return
        self._closing = True
        self._c.on_data(None)
        if self._overflow:
            try:
                self._c.write(None, bytes(self._overflow))
            except Exception:
                pass
            self._overflow.clear()
        if self._c.write_queued:
            try:
                self._c.close_drain(lambda status, payload: self._lose(None),
                                    max(1, int(self.close_timeout * 1000)))
                return
            except Exception:
                pass
        self._c.close()
        self._loop.call_soon(self._lose, None)

    def abort(self) -> None:
        """Close now, dropping what is queued."""
        self._closing = True
        self._overflow.clear()
        self._c.close()
        self._loop.call_soon(self._lose, None)

    def _fail(self, exc: BaseException) -> None:
        self._closing = True
        self._c.close()
        self._loop.call_soon(self._lose, exc)

    def _lose(self, exc: Optional[BaseException]) -> None:
        if self._lost:
            return
        self._lost = True
        if self._paused:
            self._paused = False
            try:
                self._protocol.resume_writing()
            except Exception:
                pass
        self._protocol.connection_lost(exc)


async def create_serial_connection(loop: Optional[asyncio.AbstractEventLoop],
                                   protocol_factory: Callable[[], asyncio.BaseProtocol],
                                   url: str, *args: Any, **kwargs: Any) -> Tuple[SerialTransport,
                                                                                 asyncio.BaseProtocol]:
    """Open url and connect a protocol to it, as pyserial-asyncio does;
    keyword arguments are pyserial's (baudrate=..., parity="N", rtscts=...)."""
    if loop is None:
        loop = asyncio.get_running_loop()
    if args:  # pyserial's positional order after the port: baudrate, bytesize, ...
        for name, value in zip(("baudrate", "bytesize", "parity", "stopbits"), args):
            kwargs.setdefault(name, value)
    config = SerialConfig.from_kwargs(**kwargs)
    hub = _hub_for(loop)
    c = _aserial.open(hub.aloop, str(url), config.to_string())
    protocol = protocol_factory()
    transport = SerialTransport(loop, protocol, c, str(url), config)
    return transport, protocol


async def open_serial_connection(*, loop: Optional[asyncio.AbstractEventLoop] = None,
                                 limit: Optional[int] = None,
                                 **kwargs: Any) -> Tuple[asyncio.StreamReader,
                                                         asyncio.StreamWriter]:
    """(StreamReader, StreamWriter) over url=...; other keywords as for
    create_serial_connection."""
    if loop is None:
        loop = asyncio.get_running_loop()
    url = kwargs.pop("url", None) or kwargs.pop("port", None)
    if url is None:
        raise TypeError("open_serial_connection needs url=")
    reader = asyncio.StreamReader(limit=limit or 2 ** 16)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    transport, _ = await create_serial_connection(loop, lambda: protocol, url, **kwargs)
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    return reader, writer
