"""Real network peers over rfc2217://: `aserial serve` and ser2net, each
in front of `aserial sim` on a pseudo-terminal, queried from every runtime."""
from __future__ import annotations

import os
import shutil

import pytest

import aserial

from conftest import Peer, free_port, start_serve, start_sim, wait_listening

pytestmark = pytest.mark.anyio


async def test_rfc2217_through_aserial_serve(tmp_path, peers):
    dev = start_sim(peers, str(tmp_path / "inst"), {"*IDN?": "SERVED-INST"})
    port = start_serve(peers, dev)
    url = f"rfc2217://127.0.0.1:{port}?baud=9600"
    async with await aserial.open_serial_port(url) as p:
        assert await p.query(b"*IDN?\n", timeout=5.0) == b"SERVED-INST"
        caps = p.capabilities()
        assert caps["rs485"].state == "unsupported" and caps["rs485"].reason
        await p.configure(p.config.with_changes(baudrate=19200))
        assert await p.query(b"*IDN?\n", timeout=5.0) == b"SERVED-INST"


async def test_rfc2217_through_ser2net(tmp_path, peers):
    if not shutil.which("ser2net"):
        pytest.fail("ser2net is needed (scripts/deps.sh installs it)")
    dev = start_sim(peers, str(tmp_path / "inst"), {"*IDN?": "S2N-INST"})
    tcp = free_port()
    conf = tmp_path / "ser2net.yaml"
    conf.write_text(f"""%YAML 1.1
---
connection: &rfc2217
  accepter: telnet(rfc2217),tcp,127.0.0.1,{tcp}
  connector: serialdev,{os.path.realpath(dev)},115200n81,local
""")
    peers.append(Peer(["ser2net", "-n", "-d", "-u", "-c", str(conf),
                       "-P", str(tmp_path / "pid")]))
    assert wait_listening(tcp), "ser2net did not listen"
    async with await aserial.SerialPort.open(f"rfc2217://127.0.0.1:{tcp}") as p:
        assert await p.query(b"*IDN?\n", timeout=5.0) == b"S2N-INST"


async def test_connection_refused_names_the_fix():
    port = free_port()
    async with await aserial.SerialPort.open(f"tcp://127.0.0.1:{port}") as p:
        with pytest.raises(ConnectionRefusedError) as ei:
            await p.query(b"x\n", timeout=5.0)
        assert "running" in str(ei.value)
