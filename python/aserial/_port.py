"""SerialPort: the asynchronous port (the anyserial shape, plus request/reply).

Every operation runs in the C library; the task sleeps until its
completion, on whichever runtime is running (asyncio, uvloop, trio, or
anyio on either). A timeout argument is the operation's own deadline
(raising SerialTimeoutError, bytes that arrived stay buffered); the
runtime's cancellation (asyncio.timeout, wait_for, anyio.move_on_after,
trio cancel scopes) cancels the C operation and leaves the port usable.
One reader at a time: a second concurrent read raises BusyResourceError;
queries queue instead and never interleave on the wire.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Mapping, Optional, Union

from . import _aserial
from ._config import SerialConfig
from ._errors import FrameTooLongError, SerialClosedError, SerialDisconnectedError
from ._framer import Framer
from ._runtime import EventStream, current_hub

try:
    from anyio.abc import ByteStream as _ByteStream
except ImportError:  # pragma: no cover
    _ByteStream = object  # type: ignore[assignment,misc]

__all__ = ["SerialPort", "open_serial_port", "BufferedByteStream", "LineEvent", "LineEvents", "Capability", "Capabilities", "ModemLines"]

Bytes = Union[bytes, bytearray, memoryview]


# ms(timeout) -> int: seconds (None: no deadline) to the C library's
# milliseconds (0: none; 1 at or below zero; rounded up; at most 2**32 - 1).
# In C: it runs once per operation.
ms: Callable[[Optional[float]], int] = _aserial.ms


async def checkpoint() -> None:
    import sniffio
    if sniffio.current_async_library() == "trio":
        import trio
        await trio.lowlevel.checkpoint()
    else:
        import asyncio
        await asyncio.sleep(0)


@dataclasses.dataclass(frozen=True)
class Capability:
    """One feature of one port: state is "supported", "unsupported" or
    "unknown"; reason says why when it is not supported."""

    state: str
    reason: Optional[str] = None

    def __bool__(self) -> bool:
        return self.state == "supported"


_CAP_STATES = ("unknown", "supported", "unsupported")


class Capabilities(Mapping[str, Capability]):
    """The tri-state capability report: ``caps["break"]`` or
    ``caps.modem_lines``; features: baud, custom_baud, modem_lines, break,
    flow_rtscts, rs485, low_latency, line_errors."""

    def __init__(self, items: dict) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Capability:
        return self._items[key]

    def __iter__(self) -> Any:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getattr__(self, name: str) -> Capability:
        try:
            return self._items[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"Capabilities({self._items!r})"


@dataclasses.dataclass(frozen=True)
class ModemLines:
    dtr: bool
    rts: bool
    cts: bool
    dsr: bool
    cd: bool
    ri: bool

    @classmethod
    def from_bits(cls, b: int) -> "ModemLines":
        return cls(bool(b & _aserial.LINE_DTR), bool(b & _aserial.LINE_RTS),
                   bool(b & _aserial.LINE_CTS), bool(b & _aserial.LINE_DSR),
                   bool(b & _aserial.LINE_CD), bool(b & _aserial.LINE_RI))


class SerialPort(_aserial.PortBase, _ByteStream):  # type: ignore[misc]
    """An open serial port on the running event loop; an anyio ByteStream.

    Open with ``await open_serial_port(url, config)`` or
    ``await SerialPort.open(url, baudrate=...)``; close with ``aclose()`` or
    ``async with``. url is anything the C library opens: a tty path,
    ``usb:VID:PID[:SERIAL]``, ``rfc2217://``, ``tcp://``, ``ws://``, the
    ``+tls`` forms, ``pty:``, ``mock://``.

    ``query()`` (request/reply) is implemented in C by the base class
    ``_aserial.PortBase``; the rest here."""

    def __init__(self, c: Any, hub: Any, url: str, config: SerialConfig,
                 eol: bytes = b"\n") -> None:
        self._c = c
        self._hub = hub
        self._url = url
        self._config = config
        self.eol = bytes(eol)

    # ---- opening and closing ------------------------------------------
    @classmethod
    async def open(cls, url: str, config: Optional[SerialConfig] = None, *,
                   eol: bytes = b"\n", **fields: Any) -> "SerialPort":
        """Open url; config fields may be given as keywords (baudrate=9600)."""
        if config is None:
            config = SerialConfig.from_kwargs(**fields)
        elif fields:
            config = config.with_changes(**fields)
        hub = current_hub()
        c = _aserial.open(hub.aloop, str(url), config.to_string())
        await checkpoint()
        return cls(c, hub, str(url), config, eol)

    async def aclose(self) -> None:
        """Close now: unsent output is dropped, pending operations fail with
        SerialClosedError. Use drain() first to wait for the output."""
        self._c.close()
        await checkpoint()

    def close(self) -> None:
        """Close without awaiting (safe from synchronous code)."""
        self._c.close()

    @property
    def is_open(self) -> bool:
        return not self._c.closed

    @property
    def closed(self) -> bool:
        return self._c.closed

    @property
    def url(self) -> str:
        return self._url

    @property
    def path(self) -> str:
        """What the URL resolved to: the tty path, the mock name, HOST:PORT."""
        return self._c.path

    @property
    def config(self) -> SerialConfig:
        return self._config

    # ---- the byte stream ----------------------------------------------
    async def send(self, item: Bytes) -> None:
        """Write every byte; returns when the last one is handed to the
        driver. Waits (instead of failing) when the write queue is full."""
        data = bytes(item)
        step = max(1, self._config.write_high_water // 2)
        if len(data) <= step:
            await self._send_chunk(data)
            return
        view = memoryview(data)  # a write larger than the queue can never fit
        for i in range(0, len(data), step):
            await self._send_chunk(bytes(view[i:i + step]))

    async def _send_chunk(self, data: bytes) -> None:
        while True:
            try:
                await self._hub.call(self._c.write, data)
                return
            except FrameTooLongError:  # queue past high water: wait for room
                await self._hub.call(self._c.drain, 0)

    async def send_eof(self) -> None:
        """A serial line has no end of stream: waits for the output to drain."""
        await self.drain()

    async def drain(self, timeout: Optional[float] = None) -> None:
        """Wait until every queued byte has left the driver."""
        await self._hub.call(self._c.drain, ms(timeout))

    async def receive(self, max_bytes: int = 65536) -> bytes:
        """At least one byte, at most max_bytes, as soon as any are there.
        Never returns b"": the end raises SerialDisconnectedError."""
        return await self._hub.call(self._c.read, max_bytes, 0)

    async def receive_available(self, limit: int = 65536) -> bytes:
        """Everything buffered (up to limit) in one call; waits for the first
        byte if nothing is there yet."""
        return await self.receive(limit)

    async def receive_exactly(self, n: int, timeout: Optional[float] = None) -> bytes:
        """Exactly n bytes (n <= the read buffer)."""
        return await self._hub.call(self._c.read_exactly, n, ms(timeout))

    async def receive_until(self, delimiter: bytes, max_bytes: int = 0,
                            timeout: Optional[float] = None) -> bytes:
        """Bytes up to delimiter (consumed, not returned). More than
        max_bytes without it raises FrameTooLongError (an
        anyio.DelimiterNotFound) and leaves the bytes buffered."""
        return await self._hub.call(self._c.read_until, bytes(delimiter), max_bytes,
                                    ms(timeout))

    async def readline(self, eol: Optional[bytes] = None, max_bytes: int = 0,
                       timeout: Optional[float] = None) -> bytes:
        """One line without its eol (default: the port's eol)."""
        return await self.receive_until(self.eol if eol is None else eol, max_bytes, timeout)

    # ---- request/reply (serialio) -------------------------------------
    # query() is PortBase's, in C (python/src/query.c): the hottest call,
    # without a Python frame. It returns a coroutine (a QueryCall) that
    # starts the query when first awaited, as an async def would.
    if TYPE_CHECKING:
        async def query(self, request: Bytes, *, eol: Optional[bytes] = None,
                        timeout: Optional[float] = None, max_bytes: int = 0,
                        keep_stale: bool = False, framer: Optional[Framer] = None,
                        match: Optional[Callable[[bytes], int]] = None) -> bytes:
            """Write request and read the reply: up to eol (default: the
            port's), or one frame of framer, or what match(bytes) -> N says
            (0: need more, N: the first N bytes)."""

    async def write_readline(self, request: Bytes, eol: Optional[bytes] = None,
                             timeout: Optional[float] = None) -> bytes:
        """serialio's name for query(): write a request, read one line."""
        return await self.query(request, eol=eol, timeout=timeout)

    async def receive_frame(self, framer: Framer, timeout: Optional[float] = None) -> bytes:
        """One frame, decoded (SLIP, COBS) or cut (delimiters, length...)."""
        return await self._hub.call(self._c.read_frame, framer.desc, ms(timeout))

    async def frames(self, framer: Framer) -> AsyncIterator[bytes]:
        """``async for frame in port.frames(framer)``: ends when the port
        closes or disconnects."""
        while True:
            try:
                frame = await self.receive_frame(framer)
            except (SerialDisconnectedError, SerialClosedError):
                return
            yield frame

    # ---- settings, lines, capabilities --------------------------------
    async def configure(self, config: SerialConfig) -> None:
        """Apply config atomically: every setting or none."""
        self._c.configure(config.to_string())
        self._config = config
        await checkpoint()

    def capabilities(self) -> Capabilities:
        """What this port can do, per feature, tri-state with reasons."""
        items = {}
        for i, name in enumerate(_aserial.FEATURES):
            state, reason = self._c.cap(i)
            items[name] = Capability(_CAP_STATES[state], reason)
        return Capabilities(items)

    def modem_lines(self) -> ModemLines:
        return ModemLines.from_bits(self._c.lines)

    def set_dtr(self, on: bool) -> None:
        self._c.set_lines(_aserial.LINE_DTR, _aserial.LINE_DTR if on else 0)

    def set_rts(self, on: bool) -> None:
        self._c.set_lines(_aserial.LINE_RTS, _aserial.LINE_RTS if on else 0)

    def line_events(self, poll_interval: float = 0.05) -> "LineEvents":
        """``async with port.line_events() as events: async for ev in events:``
        modem-line changes and line errors as they happen (rfc2217://
        notifications, mock:// peers, local ttys checked every
        poll_interval). The state when it starts is not reported."""
        return LineEvents(self, poll_interval)

    def set_reconnect(self, enabled: bool = True, *, min_delay: float = 0.1,
                      max_delay: float = 5.0, max_attempts: int = 0,
                      wait_while_down: bool = False,
                      on_event: Optional[Callable[[str], None]] = None) -> None:
        """Reopen the same URL (with the same settings and DTR/RTS) after the
        device is lost, retrying with doubling delays. Operations pending at
        the loss fail with SerialDisconnectedError; while it is down new ones
        fail too, or with wait_while_down wait (bounded by their timeouts).
        on_event(name) hears "lost", "restored" and "gave_up"."""
        names = {_aserial.LINK_LOST: "lost", _aserial.LINK_RESTORED: "restored",
                 _aserial.LINK_GAVE_UP: "gave_up"}
        cb = None if on_event is None else (lambda ev: on_event(names.get(ev, str(ev))))
        self._c.set_reconnect(enabled, ms(min_delay), ms(max_delay), max_attempts,
                              wait_while_down, cb)

    async def send_break(self, duration: float = 0.25) -> None:
        """Hold the line in break for duration seconds (writes wait meanwhile)."""
        self._c.send_break(ms(duration))
        await checkpoint()

    def reset_input_buffer(self) -> None:
        self._c.discard(_aserial.DISCARD_INPUT)

    def reset_output_buffer(self) -> None:
        self._c.discard(_aserial.DISCARD_OUTPUT)

    @property
    def in_waiting(self) -> int:
        return self._c.bytes_in

    @property
    def out_waiting(self) -> int:
        return self._c.bytes_out

    def __repr__(self) -> str:
        state = "closed" if self._c.closed else "open"
        return f"<aserial.SerialPort {self._url!r} {state}>"


@dataclasses.dataclass(frozen=True)
class LineEvent:
    """lines: the modem lines now; changed: the lines that changed (True
    where they did); errors: line errors seen ("overrun", "parity",
    "framing", "break")."""

    lines: ModemLines
    changed: ModemLines
    errors: frozenset


_LINE_ERRORS = (("overrun", "LINEERR_OVERRUN"), ("parity", "LINEERR_PARITY"),
                ("framing", "LINEERR_FRAMING"), ("break", "LINEERR_BREAK"))


class LineEvents(EventStream):
    """The async iterator SerialPort.line_events() returns."""

    def __init__(self, port: SerialPort, poll_interval: float) -> None:
        super().__init__()
        self._port = port
        port._c.on_lines(ms(poll_interval), self._on_lines)
        self._open = True

    def _on_lines(self, lines: int, changed: int, errors: int) -> None:
        errs = frozenset(n for n, c in _LINE_ERRORS if errors & getattr(_aserial, c))
        self._push(LineEvent(ModemLines.from_bits(lines), ModemLines.from_bits(changed), errs))

    def _ended(self) -> bool:
        return not self._open or self._port.closed

    async def __anext__(self) -> LineEvent:
        return await super().__anext__()

    async def aclose(self) -> None:
        if self._open and not self._port.closed:
            self._port._c.on_lines(0, None)
        self._open = False

    async def __aenter__(self) -> "LineEvents":
        return self


try:
    from anyio.streams.buffered import BufferedByteReceiveStream as _Buffered
except ImportError:  # pragma: no cover
    _Buffered = None  # type: ignore[assignment,misc]

if _Buffered is not None:
    class BufferedByteStream(_Buffered):  # type: ignore[misc,valid-type]
        """anyio 4's BufferedByteStream for Debian's anyio 3.6: its
        BufferedByteReceiveStream (receive_until, receive_exactly) plus
        send() passed through to the port, so one object is full duplex."""

        async def send(self, item: bytes) -> None:
            await self.receive_stream.send(item)  # type: ignore[attr-defined]

        async def aclose(self) -> None:
            await self.receive_stream.aclose()


async def open_serial_port(url: str, config: Optional[SerialConfig] = None, *,
                           eol: bytes = b"\n", **fields: Any) -> SerialPort:
    """Open url on the running event loop (asyncio, uvloop or trio)."""
    return await SerialPort.open(url, config, eol=eol, **fields)
