"""The Modbus RTU framer against a real Modbus server: libmodbus answering
on a pseudo-terminal (test/modbus/modbus-peer.c, which uses no aserial
code; MODBUS_PEER names it, meson test sets it when libmodbus is there)."""
from __future__ import annotations

import os
import struct
import subprocess

import pytest

import aserial

from conftest import Peer

pytestmark = pytest.mark.anyio


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def rtu(pdu: bytes) -> bytes:
    return pdu + struct.pack("<H", crc16(pdu))


@pytest.fixture
def modbus_server(tmp_path, peers):
    peer = os.environ.get("MODBUS_PEER")
    if not peer:
        pytest.skip("libmodbus's server (examples' modbus-peer) was not built here")
    link = str(tmp_path / "rtu")
    peers.append(Peer([peer, link], ready="ready", stdin=subprocess.PIPE))
    return link


async def test_read_holding_registers_with_the_rtu_framer(modbus_server):
    cfg = aserial.SerialConfig(baudrate=9600)
    framer = aserial.Framer.modbus_rtu(cfg)
    async with await aserial.open_serial_port(modbus_server, cfg) as port:
        for start in (0, 5):
            reply = await port.query(rtu(bytes([17, 3, 0, start, 0, 2])), framer=framer,
                                     timeout=5.0)
            assert crc16(reply) == 0, reply.hex()  # the CRC over a whole ADU is 0
            assert reply[:3] == bytes([17, 3, 4])
            regs = struct.unpack(">HH", reply[3:7])
            assert regs == (0x1000 + 3 * start, 0x1000 + 3 * (start + 1))
