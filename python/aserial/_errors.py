"""The exceptions: one hierarchy under SerialError, each class also a
subclass of the built-in (and anyio) exception people already catch.

Every exception carries the C library's sentence (``str(exc)``, which names
the thing and the fix), the code (``exc.code``, a negative ASER_E* value)
and its name (``exc.name``, "ASER_ETIMEDOUT").
"""
from __future__ import annotations

from . import _aserial

try:  # anyio is optional for the asyncio and blocking shapes
    import anyio as _anyio

    _EndOfStream: type = _anyio.EndOfStream
    _Closed: type = _anyio.ClosedResourceError
    _Busy: type = _anyio.BusyResourceError
    _DelimNotFound: type = _anyio.DelimiterNotFound
except ImportError:  # pragma: no cover
    _EndOfStream = _Closed = _Busy = _DelimNotFound = Exception

__all__ = [
    "SerialError", "SerialNotFoundError", "SerialPermissionError", "BusyResourceError",
    "SerialTimeoutError", "SerialDisconnectedError", "SerialClosedError",
    "SerialConnectionRefusedError", "ConfigurationError", "UnsupportedFeatureError",
    "FrameTooLongError", "SerialProtocolError", "SerialCancelledError", "error_from_code",
]


class SerialError(Exception):
    """Base of every aserial error. ``code`` is the negative ASER_E* code,
    ``name`` its symbolic name, ``str(exc)`` the C library's message."""

    code: int
    name: str

    def __init__(self, message: str, code: int = 0, name: str = "") -> None:
        if isinstance(self, OSError):
            super().__init__(message)
        else:  # anyio's bases format their own message from their argument
            Exception.__init__(self, message)
        self.code = code
        self.name = name or (_aserial.err_name(code) if code else "")
        if isinstance(self, OSError) and 0 > code > -4000:
            self.errno = -code
            self.strerror = message

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SerialNotFoundError(SerialError, FileNotFoundError):
    """No such port (ASER_ENOENT, ASER_ENODEV): check the path or `aserial list`."""


class SerialPermissionError(SerialError, PermissionError):
    """Permission denied (ASER_EACCES, ASER_EPERM): the message names the fix."""


class BusyResourceError(SerialError, _Busy):  # type: ignore[misc,valid-type]
    """The port is held by another program, or a second reader or writer
    was started on one port (ASER_EBUSY)."""


class SerialTimeoutError(SerialError, TimeoutError):
    """An operation's own timeout expired (ASER_ETIMEDOUT). Bytes that did
    arrive stay buffered for the next read."""


class SerialDisconnectedError(SerialError, ConnectionError, _EndOfStream):  # type: ignore[misc]
    """The device went away (ASER_EDISCONNECTED, ASER_EIO, ASER_EPIPE), or
    the stream ended. Also an anyio.EndOfStream, so anyio's buffered
    streams see the end."""


class SerialClosedError(SerialError, _Closed):  # type: ignore[misc,valid-type]
    """The port was closed (ASER_ECLOSED); also anyio.ClosedResourceError."""


class SerialConnectionRefusedError(SerialError, ConnectionRefusedError):
    """A network port's server refused the connection (ASER_ECONNREFUSED)."""


class ConfigurationError(SerialError, ValueError):
    """A bad URL, config string or argument (ASER_EBADCONFIG, ASER_EBADURL,
    ASER_EINVAL, ASER_ERANGE): the message names the bad token."""


class UnsupportedFeatureError(SerialError, NotImplementedError):
    """The port cannot do that (ASER_ENOTSUP), e.g. modem lines on a pty."""


class FrameTooLongError(SerialError, _DelimNotFound):  # type: ignore[misc,valid-type]
    """A reply or frame did not fit the maximum (ASER_ENOBUFS); for
    receive_until also anyio.DelimiterNotFound."""


class SerialProtocolError(SerialError):
    """A bad frame or reply (ASER_EPROTO): a decode error, a failed match."""


class SerialCancelledError(SerialError):
    """The C operation was cancelled (ASER_ECANCELED) by someone else than
    the runtime's own cancellation (which raises the runtime's exception)."""


_BY_CODE: dict[int, type[SerialError]] = {
    _aserial.ENOENT: SerialNotFoundError,
    _aserial.ENODEV: SerialNotFoundError,
    _aserial.EACCES: SerialPermissionError,
    _aserial.EPERM: SerialPermissionError,
    _aserial.EBUSY: BusyResourceError,
    _aserial.ETIMEDOUT: SerialTimeoutError,
    _aserial.EDISCONNECTED: SerialDisconnectedError,
    _aserial.EIO: SerialDisconnectedError,
    _aserial.EPIPE: SerialDisconnectedError,
    _aserial.ECLOSED: SerialClosedError,
    _aserial.ECONNREFUSED: SerialConnectionRefusedError,
    _aserial.EBADCONFIG: ConfigurationError,
    _aserial.EBADURL: ConfigurationError,
    _aserial.EINVAL: ConfigurationError,
    _aserial.ERANGE: ConfigurationError,
    _aserial.ENOTSUP: UnsupportedFeatureError,
    _aserial.ENOBUFS: FrameTooLongError,
    _aserial.EPROTO: SerialProtocolError,
    _aserial.ECANCELED: SerialCancelledError,
}


def error_from_code(code: int, name: str = "", message: str = "") -> SerialError:
    """The exception for a negative ASER_E* code (not raised)."""
    cls = _BY_CODE.get(code, SerialError)
    if not message:
        message = _aserial.strerror(code)
    return cls(message, code, name)


_aserial._set_error_factory(error_from_code)
