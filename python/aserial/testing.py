"""Testing without hardware: an in-memory pair of ports with fault
injection, over the C library's ``mock://`` cable, and a simulated
instrument.

    a, b = serial_port_pair()           # inside a running event loop
    await a.send(b"hello")
    assert await b.receive(5) == b"hello"

``a`` is what code under test would open as ``mock://NAME``; ``b`` is the
device side. ``FaultPlan`` makes the failure paths reachable: EAGAIN or
EINTR bursts, short reads and writes, an EIO, a pulled cable after N
bytes, latency and a bandwidth cap. ``MockCable`` gives the cable itself
(unplug, replug, byte counts). ``instrument(port, {b"*IDN?": b"ACME"})``
answers request lines like a SCPI instrument."""
from __future__ import annotations

import dataclasses
import itertools
import os
from typing import Any, Mapping, Optional, Tuple, Union

from . import _aserial
from ._config import SerialConfig
from ._port import SerialPort
from ._runtime import current_hub

__all__ = ["FaultPlan", "MockCable", "serial_port_pair", "instrument", "Instrument"]

_names = itertools.count(1)


@dataclasses.dataclass(frozen=True)
class FaultPlan:
    """Faults for one end of a mock cable (every field off by default)."""

    eagain_burst: int = 0
    eintr_burst: int = 0
    max_read: int = 0
    max_write: int = 0
    eio_once: bool = False
    disconnect_after: int = 0
    latency_ms: int = 0
    bytes_per_sec: int = 0


class MockCable:
    """An in-memory null-modem cable: ``url`` (mock://NAME) is end 0,
    ``open_peer()`` end 1. Modem lines cross as on a null-modem cable."""

    def __init__(self, name: Optional[str] = None) -> None:
        self._hub = current_hub()
        self.name = name or f"aserial-py-{os.getpid()}-{next(_names)}"
        self._m = _aserial.Mock(self._hub.aloop, self.name)

    @property
    def url(self) -> str:
        return "mock://" + self.name

    def open(self, config: Optional[SerialConfig] = None, eol: bytes = b"\n") -> SerialPort:
        """End 0, as code under test would open it."""
        config = config or SerialConfig()
        c = _aserial.open(self._hub.aloop, self.url, config.to_string())
        return SerialPort(c, self._hub, self.url, config, eol)

    def open_peer(self, config: Optional[SerialConfig] = None,
                  eol: bytes = b"\n") -> SerialPort:
        """End 1, the device side."""
        config = config or SerialConfig()
        c = self._m.open_peer(config.to_string())
        return SerialPort(c, self._hub, self.url + "#peer", config, eol)

    def set_faults(self, end: int, plan: Optional[FaultPlan]) -> None:
        self._m.set_faults(end, **dataclasses.asdict(plan or FaultPlan()))

    def unplug(self) -> None:
        """Pull the cable: both ends see SerialDisconnectedError."""
        self._m.unplug()

    def replug(self) -> None:
        self._m.replug()

    def bytes_through(self, end: int) -> int:
        return self._m.bytes(end)

    def close(self) -> None:
        """Free the cable (close both ports first)."""
        self._m.close()


def serial_port_pair(config: Optional[SerialConfig] = None, *,
                     faults: Optional[FaultPlan] = None,
                     peer_faults: Optional[FaultPlan] = None) -> Tuple[SerialPort, SerialPort]:
    """Two connected ports on the running event loop: (code side, device
    side). Call it inside the event loop (it needs the running loop)."""
    cable = MockCable()
    a = cable.open(config)
    b = cable.open_peer(config)
    if faults:
        cable.set_faults(0, faults)
    if peer_faults:
        cable.set_faults(1, peer_faults)
    a.cable = b.cable = cable  # type: ignore[attr-defined]
    return a, b


class Instrument:
    """A simulated instrument answering request lines on a port (the C
    library's aser_sim): stop() it before closing the port."""

    def __init__(self, port: SerialPort, rules: Union[Mapping[Any, Any], None] = None, *,
                 echo: bool = False, delay: float = 0.0, eol: Union[bytes, str] = b"\n") -> None:
        pairs = [(_s(k), _s(v)) for k, v in (rules or {}).items()]
        self._sim = _aserial.Sim(port._c, pairs, echo, int(delay * 1000), _s(eol))

    @property
    def count(self) -> int:
        """Requests answered so far."""
        return self._sim.count

    def stop(self) -> None:
        self._sim.stop()


def _s(v: Union[bytes, str]) -> str:
    return v.decode("latin-1") if isinstance(v, (bytes, bytearray)) else str(v)


def instrument(port: SerialPort, rules: Union[Mapping[Any, Any], None] = None,
               **kw: Any) -> Instrument:
    """Answer request lines on port: rules maps a request (without eol) to
    its response."""
    return Instrument(port, rules, **kw)
