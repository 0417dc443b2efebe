"""aserial.serialio: serialio's shape (seed 003) for instruments with a
request/reply protocol, over aserial's query queue.

    from aserial.serialio import Serial           # asyncio, uvloop, trio
    sl = Serial("127.0.0.1", 5000)                # raw TCP (ser2net "tcp")
    reply = await sl.write_readline(b"*IDN?\\n")

    from aserial.serialio import SyncSerial as Serial   # blocking
    reply = Serial("127.0.0.1", 5000).write_readline(b"*IDN?\\n")
    future = Serial("127.0.0.1", 5000, resolve_futures=False).write_readline(b"*IDN?\\n")

``eol`` (default b"\\n") is the port's; every read takes its own. The
``protocol`` keyword picks ``"tcp"`` (raw, the default), ``"rfc2217"``,
or give ``url=`` for anything aserial opens. The port opens at the first
call (the async one needs the running loop)."""
from __future__ import annotations

import concurrent.futures
from typing import Any, Optional

from ._port import SerialPort
from .sync import SerialPort as _SyncPort

__all__ = ["Serial", "SyncSerial"]


def _url(host: str, port: Optional[int], protocol: str, url: Optional[str]) -> str:
    if url:
        return url
    return f"{protocol}://{host or '127.0.0.1'}:{port}"


class Serial:
    """Asynchronous request/reply serial line (serialio.aio.*.Serial)."""

    def __init__(self, host: str = "", port: Optional[int] = None, *, eol: bytes = b"\n",
                 protocol: str = "tcp", url: Optional[str] = None, timeout: float = 5.0,
                 **config: Any) -> None:
        self.url = _url(host, port, protocol, url)
        self.eol = eol
        self.timeout = timeout
        self._config = config
        self._port: Optional[SerialPort] = None

    async def _open(self) -> SerialPort:
        if self._port is None or self._port.closed:
            self._port = await SerialPort.open(self.url, eol=self.eol, **self._config)
        return self._port

    async def write_readline(self, data: bytes, eol: Optional[bytes] = None,
                             timeout: Optional[float] = None) -> bytes:
        p = await self._open()
        return await p.query(data, eol=eol, timeout=self.timeout if timeout is None else timeout)

    async def write(self, data: bytes) -> None:
        await (await self._open()).send(data)

    async def readline(self, eol: Optional[bytes] = None) -> bytes:
        return await (await self._open()).readline(eol, timeout=self.timeout)

    async def read(self, n: int) -> bytes:
        return await (await self._open()).receive_exactly(n, timeout=self.timeout)

    async def close(self) -> None:
        if self._port is not None:
            await self._port.aclose()


class SyncSerial:
    """Blocking request/reply serial line (serialio.sio.*.Serial); with
    resolve_futures=False every call returns a concurrent.futures.Future."""

    def __init__(self, host: str = "", port: Optional[int] = None, *, eol: bytes = b"\n",
                 protocol: str = "tcp", url: Optional[str] = None, timeout: float = 5.0,
                 resolve_futures: bool = True, **config: Any) -> None:
        self.url = _url(host, port, protocol, url)
        self.timeout = timeout
        self._port = _SyncPort.open(self.url, eol=eol, **config)
        self._pool = None if resolve_futures else concurrent.futures.ThreadPoolExecutor(1)

    def _call(self, fn: Any, *args: Any) -> Any:
        return fn(*args) if self._pool is None else self._pool.submit(fn, *args)

    def write_readline(self, data: bytes, eol: Optional[bytes] = None,
                       timeout: Optional[float] = None) -> Any:
        t = self.timeout if timeout is None else timeout
        return self._call(lambda: self._port.query(data, eol=eol, timeout=t))

    def write(self, data: bytes) -> Any:
        return self._call(self._port.send, data)

    def readline(self, eol: Optional[bytes] = None) -> Any:
        return self._call(lambda: self._port.readline(eol, timeout=self.timeout))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self._port.close()
