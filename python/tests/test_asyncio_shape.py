"""aserial.asyncio, the pyserial-asyncio shape, on asyncio and uvloop:
streams, protocols, flow control, pause/resume reading, close and abort."""
from __future__ import annotations

import asyncio

import pytest

import aserial
import aserial.asyncio as aio
from aserial.testing import FaultPlan, MockCable

from conftest import ASYNCIO_BACKENDS

pytestmark = pytest.mark.anyio


@pytest.fixture(params=ASYNCIO_BACKENDS)
def anyio_backend(request):
    return request.param


async def test_streams_against_a_simulated_instrument(sim_tty):
    reader, writer = await aio.open_serial_connection(url=sim_tty, baudrate=115200)
    writer.write(b"*IDN?\n")
    await writer.drain()
    assert await asyncio.wait_for(reader.readuntil(b"\n"), 5) == b"ACME,MODEL1,42,1.0\n"
    writer.write(b"PING\n")
    assert await asyncio.wait_for(reader.readline(), 5) == b"PONG\n"
    writer.close()
    await asyncio.wait_for(writer.wait_closed(), 5)


class Recorder(asyncio.Protocol):
    def __init__(self) -> None:
        self.data = bytearray()
        self.made = asyncio.Event()
        self.lost = asyncio.Event()
        self.got = asyncio.Event()
        self.resumed_ev = asyncio.Event()
        self.paused = 0
        self.resumed = 0
        self.exc = None
        self.want = 0

    def connection_made(self, transport):
        self.transport = transport
        self.made.set()

    def data_received(self, data):
        self.data += data
        if len(self.data) >= self.want:
            self.got.set()

    def pause_writing(self):
        self.paused += 1

    def resume_writing(self):
        self.resumed += 1
        self.resumed_ev.set()

    def connection_lost(self, exc):
        self.exc = exc
        self.lost.set()


async def test_protocol_transport_roundtrip_and_close():
    loop = asyncio.get_running_loop()
    cable = MockCable()
    peer = cable.open_peer()
    t, p = await aio.create_serial_connection(loop, Recorder, cable.url, baudrate=9600)
    await asyncio.wait_for(p.made.wait(), 5)
    assert isinstance(t, asyncio.Transport)
    p.want = 5
    await peer.send(b"hello")
    await asyncio.wait_for(p.got.wait(), 5)
    assert bytes(p.data) == b"hello"
    t.writelines([b"a", b"b", b"c"])
    assert await peer.receive_exactly(3, timeout=5) == b"abc"
    t.pause_reading()
    assert not t.is_reading()
    await peer.send(b"later")
    p.got.clear()
    p.want = 10
    t.resume_reading()
    await asyncio.wait_for(p.got.wait(), 5)
    assert bytes(p.data) == b"hellolater"
    t.write(b"bye")  # close() sends what is queued first
    t.close()
    assert t.is_closing()
    await asyncio.wait_for(p.lost.wait(), 5)
    assert p.exc is None
    assert await peer.receive_exactly(3, timeout=5) == b"bye"
    await peer.aclose()


async def test_flow_control_pauses_and_resumes_the_protocol():
    loop = asyncio.get_running_loop()
    cable = MockCable()
    peer = cable.open_peer()
    cable.set_faults(0, FaultPlan(max_write=512))  # the queue fills
    t, p = await aio.create_serial_connection(loop, Recorder, cable.url)
    await asyncio.wait_for(p.made.wait(), 5)
    t.set_write_buffer_limits(high=8192, low=1024)
    assert t.get_write_buffer_limits() == (1024, 8192)
    t.write(b"x" * 100_000)
    assert p.paused == 1
    assert t.get_write_buffer_size() > 8192
    got = 0
    while got < 100_000:
        got += len(await peer.receive(65536))
    await asyncio.wait_for(p.resumed_ev.wait(), 5)  # the queue fell to the low mark
    assert p.resumed == 1 and t.get_write_buffer_size() <= 1024
    t.abort()
    await asyncio.wait_for(p.lost.wait(), 5)
    await peer.aclose()


async def test_disconnect_reaches_connection_lost():
    loop = asyncio.get_running_loop()
    cable = MockCable()
    peer = cable.open_peer()
    t, p = await aio.create_serial_connection(loop, Recorder, cable.url)
    await asyncio.wait_for(p.made.wait(), 5)
    cable.unplug()
    await asyncio.wait_for(p.lost.wait(), 5)
    assert isinstance(p.exc, aserial.SerialDisconnectedError)
    await peer.aclose()


async def test_serial_shim_and_break_on_mock():
    loop = asyncio.get_running_loop()
    cable = MockCable()
    peer = cable.open_peer()
    t, p = await aio.create_serial_connection(loop, Recorder, cable.url)
    await asyncio.wait_for(p.made.wait(), 5)
    t.serial.rts = True
    t.serial.dtr = True
    assert peer.modem_lines().cts and peer.modem_lines().dsr
    assert t.serial.baudrate == 115200
    t.serial.baudrate = 9600
    assert t.serial.baudrate == 9600
    t.serial.write(b"via shim")
    assert await peer.receive_exactly(8, timeout=5) == b"via shim"
    t.send_break(0.01)
    t.abort()
    await peer.aclose()
