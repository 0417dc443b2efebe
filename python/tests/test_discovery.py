"""Discovery over the C library's fixture trees (test/discover/fixtures,
pointed at with ASERIAL_SYSFS_ROOT and ASERIAL_DEV_ROOT): listing,
finding by USB identity, and hotplug as an async iterator."""
from __future__ import annotations

import os
import shutil

import anyio
import pytest

import aserial

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "test", "discover", "fixtures")
USB1 = "sys/devices/pci0000:00/0000:00:14.0/usb1"

pytestmark = pytest.mark.anyio


@pytest.fixture
def ftdi_tree(tmp_path, monkeypatch):
    root = tmp_path / "tree"
    shutil.copytree(os.path.join(FIXTURES, "ftdi-ft232r"), root, symlinks=True)
    monkeypatch.setenv("ASERIAL_SYSFS_ROOT", str(root / "sys"))
    monkeypatch.setenv("ASERIAL_DEV_ROOT", str(root / "dev"))
    return root


async def test_list_and_find(ftdi_tree):
    ports = await aserial.list_serial_ports()
    assert [p.name for p in ports] == ["ttyUSB0"]
    p = ports[0]
    assert (p.vid, p.pid, p.serial_number, p.driver) == (0x0403, 0x6001, "A600XYZ", "ftdi_sio")
    assert p.device.endswith("/ttyUSB0") and p.by_id and "A600XYZ" in p.by_id
    assert await aserial.find_serial_port(serial_number="A600XYZ") == p
    assert await aserial.find_serial_port(vid=0x1a86) is None
    assert await aserial.find_serial_port(pattern="*ft232r*") == p


async def test_hotplug_reports_a_removal_with_the_info_it_had(ftdi_tree):
    with anyio.fail_after(10):  # healthy: ~60 ms (the 50 ms gathering + a rescan)
        async with aserial.hotplug() as events:  # watching from here
            os.unlink(ftdi_tree / "dev" / "ttyUSB0")
            os.unlink(ftdi_tree / "sys" / "class" / "tty" / "ttyUSB0")
            shutil.rmtree(ftdi_tree / USB1 / "1-1")
            async for event in events:
                break
    assert event.action == "remove"
    assert event.port.name == "ttyUSB0" and event.port.serial_number == "A600XYZ"
