"""Framer: where one frame ends and the next begins.

A framer is a value (a description the C library's decoder runs); one
framer serves any number of reads, streams and queries::

    Framer.delimiters(b"\\r\\n", b"\\n")     lines with any of up to 4 endings
    Framer.idle(gap_us)                    a frame ends after a silence
    Framer.modbus_rtu(SerialConfig(...))   Modbus RTU: 3.5 character times
    Framer.fixed(size)                     every frame is size bytes
    Framer.length_field(offset, width, big_endian=True, adjust=0)
    Framer.slip()  Framer.cobs()           RFC 1055 and COBS

``framer.encode(data)`` builds a frame to send (SLIP, COBS, delimiters).
A frame longer than ``max_bytes`` (0: the port's read buffer) is reported
as FrameTooLongError and skipped; a bad one as SerialProtocolError."""
from __future__ import annotations

from typing import Any, Optional

from . import _aserial

__all__ = ["Framer"]


class Framer:
    __slots__ = ("desc",)

    def __init__(self, desc: tuple) -> None:
        self.desc = desc

    def __repr__(self) -> str:
        return f"Framer{self.desc!r}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Framer) and other.desc == self.desc

    def __hash__(self) -> int:
        return hash(self.desc)

    @classmethod
    def delimiters(cls, *delims: bytes, keep: bool = False, max_bytes: int = 0) -> "Framer":
        """Frames end at any of 1..4 delimiters of 1..8 bytes (the longest
        match wins); ``keep`` leaves the delimiter on the frame."""
        if not delims:
            delims = (b"\n",)
        return cls(("delims", tuple(bytes(d) for d in delims), bool(keep), int(max_bytes)))

    @classmethod
    def lines(cls, eol: bytes = b"\n", max_bytes: int = 0) -> "Framer":
        return cls.delimiters(eol, max_bytes=max_bytes)

    @classmethod
    def idle(cls, gap_us: int, max_bytes: int = 0) -> "Framer":
        return cls(("idle", int(gap_us), int(max_bytes)))

    @classmethod
    def modbus_rtu(cls, config: Optional[Any] = None) -> "Framer":
        """Modbus RTU frames: 3.5 character times of silence at config's
        baud rate and framing (1750 us above 19200 baud), at most 256 bytes."""
        s = config.to_string() if config is not None and hasattr(config, "to_string") else config
        return cls(("modbus_rtu", s))

    @classmethod
    def fixed(cls, size: int) -> "Framer":
        return cls(("fixed", int(size)))

    @classmethod
    def length_field(cls, offset: int, width: int, *, big_endian: bool = True, adjust: int = 0,
                     max_bytes: int = 0) -> "Framer":
        """A frame is offset bytes, a width-byte (1, 2, 4) length field,
        then field + adjust more bytes; the whole frame is handed over."""
        return cls(("length", int(offset), int(width), bool(big_endian), int(adjust),
                    int(max_bytes)))

    @classmethod
    def slip(cls, max_bytes: int = 0) -> "Framer":
        return cls(("slip", int(max_bytes)))

    @classmethod
    def cobs(cls, max_bytes: int = 0) -> "Framer":
        return cls(("cobs", int(max_bytes)))

    def encode(self, data: bytes) -> bytes:
        """data as one frame on the wire (SLIP, COBS, delimiters)."""
        return _aserial.framer_encode(self.desc, bytes(data))
