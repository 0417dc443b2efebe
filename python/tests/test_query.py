"""Request/reply (serialio's shape, aser_query): a real peer (`aserial sim`
on a pseudo-terminal), queued queries, custom EOL, framers and match."""
from __future__ import annotations

import anyio
import pytest

import aserial
from aserial.testing import instrument, serial_port_pair

from conftest import start_sim

pytestmark = pytest.mark.anyio


async def test_query_a_simulated_instrument_on_a_pty(sim_tty):
    async with await aserial.open_serial_port(sim_tty, aserial.SerialConfig()) as port:
        assert await port.query(b"*IDN?\n", timeout=2.0) == b"ACME,MODEL1,42,1.0"
        assert await port.write_readline(b"PING\n") == b"PONG"


async def test_queries_from_many_tasks_never_interleave(sim_tty):
    async with await aserial.SerialPort.open(sim_tty, baudrate=115200) as port:
        replies = []

        async def ask(req, want):
            got = await port.query(req, timeout=5.0)
            replies.append(got == want)

        async with anyio.create_task_group() as tg:
            for i in range(20):
                tg.start_soon(ask, b"*IDN?\n" if i % 2 else b"PING\n",
                              b"ACME,MODEL1,42,1.0" if i % 2 else b"PONG")
        assert replies == [True] * 20


async def test_custom_eol_per_port_and_per_call(tmp_path, peers):
    path = start_sim(peers, str(tmp_path / "crlf"), {"*IDN?": "CRLF-INST"}, eol="\\r\\n")
    async with await aserial.SerialPort.open(path, eol=b"\r\n") as port:
        assert await port.query(b"*IDN?\n", timeout=2.0) == b"CRLF-INST"
        assert await port.query(b"*IDN?\n", eol=b"\r\n", timeout=2.0) == b"CRLF-INST"


async def test_query_timeout_is_timeouterror(sim_tty):
    async with await aserial.SerialPort.open(sim_tty) as port:
        with pytest.raises(TimeoutError):
            await port.query(b"NOANSWER\n", timeout=0.1)
        assert await port.query(b"PING\n", timeout=2.0) == b"PONG"


async def test_query_with_a_framer_and_with_match():
    a, b = serial_port_pair()
    async with a, b:
        async with anyio.create_task_group() as tg:
            async def device():
                assert await b.receive_exactly(2) == b"R1"
                await b.send(aserial.Framer.cobs().encode(b"\x00reply\x00"))
                assert await b.receive_exactly(2) == b"R2"
                await b.send(b"\x03abcEXTRA")
            tg.start_soon(device)
            assert await a.query(b"R1", framer=aserial.Framer.cobs(), timeout=5) == \
                b"\x00reply\x00"
            got = await a.query(b"R2", match=lambda d: 1 + d[0] if d and len(d) > d[0] else 0,
                                timeout=5)
            assert got == b"\x03abc"


async def test_sim_in_process_over_mock():
    a, b = serial_port_pair()
    async with a, b:
        inst = instrument(b, {b"*IDN?": b"MOCK-INST"})
        assert await a.query(b"*IDN?\n", timeout=2.0) == b"MOCK-INST"
        assert inst.count == 1
        inst.stop()
