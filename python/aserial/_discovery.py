"""Discovery: list the serial ports, find one by USB identity, and hear
ports come and go (hotplug, as an async iterator). Linux reads sysfs
alone (no udev daemon, no root); ASERIAL_SYSFS_ROOT and ASERIAL_DEV_ROOT
point at copies of the trees for tests."""
from __future__ import annotations

import dataclasses
from typing import Any, AsyncIterator, Optional

from . import _aserial
from ._runtime import current_hub

__all__ = ["PortInfo", "list_serial_ports", "find_serial_port", "hotplug", "HotplugEvent"]


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


async def hotplug() -> AsyncIterator[HotplugEvent]:
    """``async for event in aserial.hotplug():`` ports appearing and
    disappearing (the ports present at start are not reported)."""
    import sniffio
    hub = current_hub()
    events: list[HotplugEvent] = []
    waiter: list[Any] = [None]

    def on_event(action: str, info: dict) -> None:
        events.append(HotplugEvent(action, PortInfo(**info)))
        if waiter[0] is not None:
            waiter[0].set()

    lib = sniffio.current_async_library()
    if lib == "trio":
        import trio
        make_event: Any = trio.Event
    else:
        import asyncio
        make_event = asyncio.Event
    watcher = _aserial.Hotplug(hub.aloop, on_event)
    try:
        while True:
            while events:
                yield events.pop(0)
            waiter[0] = make_event()
            await waiter[0].wait()
            waiter[0] = None
    finally:
        watcher.stop()
