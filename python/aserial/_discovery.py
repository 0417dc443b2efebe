"""Discovery: list the serial ports, find one by USB identity, and hear
ports come and go (hotplug, as an async iterator). Linux reads sysfs
alone (no udev daemon, no root); ASERIAL_SYSFS_ROOT and ASERIAL_DEV_ROOT
point at copies of the trees for tests."""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

from . import _aserial
from ._runtime import EventStream, current_hub

__all__ = ["PortInfo", "list_serial_ports", "find_serial_port", "hotplug", "Hotplug",
           "HotplugEvent"]


@dataclasses.dataclass(frozen=True)
class PortInfo:
    """One serial port: ``device`` is the path to open; USB fields are None
    when the port is not USB."""

    device: str
    name: str
    description: str
    hwid: Optional[str] = None
    subsystem: Optional[str] = None
    vid: Optional[int] = None
    pid: Optional[int] = None
    serial_number: Optional[str] = None
    manufacturer: Optional[str] = None
    product: Optional[str] = None
    location: Optional[str] = None
    interface: Optional[int] = None
    driver: Optional[str] = None
    by_id: Optional[str] = None
    by_path: Optional[str] = None


def _find(**kw: Any) -> list[PortInfo]:
    return [PortInfo(**d) for d in _aserial.list_ports(**kw)]


def _filter(vid: Optional[int], pid: Optional[int], serial_number: Optional[str],
            device: Optional[str], pattern: Optional[str], include_all: bool) -> dict:
    return {"all": include_all, "vid": -1 if vid is None else vid,
            "pid": -1 if pid is None else pid, "serial_number": serial_number,
            "device": device, "pattern": pattern}


async def list_serial_ports(*, include_all: bool = False) -> list[PortInfo]:
    """Every serial port, in natural order (ttyUSB2 before ttyUSB10)."""
    return _find(**_filter(None, None, None, None, None, include_all))


async def find_serial_port(*, vid: Optional[int] = None, pid: Optional[int] = None,
                           serial_number: Optional[str] = None, device: Optional[str] = None,
                           pattern: Optional[str] = None) -> Optional[PortInfo]:
    """The first port matching every given field, or None. pattern is a
    glob matched against description and product, ignoring case."""
    found = _find(**_filter(vid, pid, serial_number, device, pattern, False))
    return found[0] if found else None


def list_serial_ports_sync(*, include_all: bool = False) -> list[PortInfo]:
    return _find(**_filter(None, None, None, None, None, include_all))


@dataclasses.dataclass(frozen=True)
class HotplugEvent:
    """``action`` is "add" or "remove"; ``port`` the port's info (for a
    removal, as it was last seen)."""

    action: str
    port: PortInfo


class Hotplug(EventStream):
    """Ports appearing and disappearing, as an async iterator; watching
    starts when it is made (the ports present then are not reported)::

        async with aserial.hotplug() as events:
            async for event in events:
                print(event.action, event.port.device)

    Made inside the running event loop; aclose() (or leaving ``async
    with``) stops watching."""

    def __init__(self) -> None:
        super().__init__()
        self._watcher = _aserial.Hotplug(current_hub().aloop, self._on_event)

    def _on_event(self, action: str, info: dict) -> None:
        self._push(HotplugEvent(action, PortInfo(**info)))

    def _ended(self) -> bool:
        return self._watcher is None

    async def __anext__(self) -> HotplugEvent:
        return await super().__anext__()

    async def aclose(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    async def __aenter__(self) -> "Hotplug":
        return self


def hotplug() -> Hotplug:
    """Start watching for ports coming and going (see Hotplug)."""
    return Hotplug()
