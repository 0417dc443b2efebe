"""More of the URLs the C library opens, from the package: pty: (the
package holds the master, `aserial sim` opens the slave) and tcp+tls://
(to `aserial serve --raw` with a certificate made here by openssl)."""
from __future__ import annotations

import shutil
import subprocess

import pytest

import aserial

from conftest import Peer, aserial_cli, start_sim

pytestmark = pytest.mark.anyio


async def test_pty_url_with_sim_on_the_slave(tmp_path, peers):
    link = str(tmp_path / "slave")
    async with await aserial.SerialPort.open("pty:" + link) as port:
        assert port.path  # the slave path other programs open
        peers.append(Peer([aserial_cli(), "sim", link, "--reply", "*IDN?=PTY-SIM"],
                          ready="answering on"))
        assert await port.query(b"*IDN?\n", timeout=5.0) == b"PTY-SIM"


async def test_tcp_tls_url_to_aserial_serve(tmp_path, peers):
    if not shutil.which("openssl"):
        pytest.fail("openssl is needed (scripts/deps.sh installs it)")
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                   capture_output=True, timeout=60)
    dev = start_sim(peers, str(tmp_path / "inst"), {"*IDN?": "TLS-INST"})
    p = Peer([aserial_cli(), "serve", dev, "--listen", "127.0.0.1:0,full", "--raw",
              "--tls-cert", cert, "--tls-key", key])
    peers.append(p)
    line = p.wait_for("serving")
    port = int(line.split(" on ")[1].split()[0].rsplit(":", 1)[1])
    async with await aserial.SerialPort.open(f"tcp+tls://127.0.0.1:{port}?ca={cert}") as s:
        assert await s.query(b"*IDN?\n", timeout=10.0) == b"TLS-INST"
    # a client that does not trust the certificate gets the C library's advice
    async with await aserial.SerialPort.open(f"tcp+tls://127.0.0.1:{port}") as s:
        with pytest.raises(aserial.SerialError) as ei:
            await s.query(b"*IDN?\n", timeout=10.0)
        assert "ca=" in str(ei.value)


async def test_ws_url_to_aserial_serve_web(tmp_path, peers):
    dev = start_sim(peers, str(tmp_path / "inst"), {"*IDN?": "WS-INST"})
    p = Peer([aserial_cli(), "serve", dev, "--web", "127.0.0.1:0", "--name", "inst"])
    peers.append(p)
    line = p.wait_for("web console on")
    port = int(line.rsplit(":", 1)[1].strip("/ \n"))
    p.wait_for("/ws/inst")
    async with await aserial.SerialPort.open(f"ws://127.0.0.1:{port}/ws/inst") as s:
        assert await s.query(b"*IDN?\n", timeout=10.0) == b"WS-INST"
