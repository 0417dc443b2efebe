"""Fixtures for the aserial package's tests.

Every async test runs under asyncio, uvloop and trio (anyio's pytest
plugin, parametrised anyio_backend). Peers are real programs started here
and always stopped: ``aserial sim`` on a pseudo-terminal (the fixture
``sim_tty`` yields the tty path a port opens), ``aserial serve`` and
ser2net over rfc2217:// on 127.0.0.1. Waiting is for events (a line a
peer prints, a port that listens), each bounded by a deadline, never a
sleep."""
from __future__ import annotations

import os
import selectors
import shutil
import socket
import subprocess
import time
from typing import Iterator, Optional

import pytest

# trio once more with TrioOp awaiting trio.lowlevel.wait_task_rescheduled
# and calling the public trio.lowlevel.reschedule, the way a trio whose
# private objects are not what TrioOp expects gets (_runtime.py,
# _trio_trap, _runner_reschedule): the same object each time, so the
# fixture knows it.
_TRIO_DOCUMENTED = ("trio", {})
BACKENDS = [
    pytest.param(("asyncio", {}), id="asyncio"),
    pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop"),
    pytest.param(("trio", {}), id="trio"),
    pytest.param(_TRIO_DOCUMENTED, id="trio-documented"),
]
ASYNCIO_BACKENDS = BACKENDS[:2]

# A peer that has not said it is ready by then is broken (healthy: ~10 ms).
READY_TIMEOUT = 10.0


def _loop_has_fd() -> bool:
    from aserial import _aserial
    lo = _aserial.Loop()
    try:
        return lo.fileno() >= 0
    finally:
        lo.close()


def pytest_collection_modifyitems(config, items):
    """Where the C loop has no fd to watch (the portable build,
    ASERIAL_LOOP_BACKEND=poll) only the blocking tests can run: the async
    layers refuse such a loop (docs/python.md, What does not work)."""
    if _loop_has_fd():
        return
    skip = pytest.mark.skip(reason="the C loop has no fd here (portable build or "
                            "ASERIAL_LOOP_BACKEND=poll): the async layers need one")
    for item in items:
        if "blocking" not in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=BACKENDS)
def anyio_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple:
    if request.param is _TRIO_DOCUMENTED:
        import aserial._runtime
        monkeypatch.setattr(aserial._runtime, "_trio_trap", lambda trio: None)
        monkeypatch.setattr(aserial._runtime, "_runner_reschedule", lambda trio: None)
    return request.param


def aserial_cli() -> str:
    path = os.environ.get("ASERIAL_CLI") or shutil.which("aserial")
    if not path:
        pytest.fail("the aserial CLI is needed: set ASERIAL_CLI (meson test does)")
    return path


class Peer:
    """A program started by a test; stop() ends it (and waits for it)."""

    def __init__(self, argv: list[str], ready: Optional[str] = None,
                 stdin: int = subprocess.DEVNULL) -> None:
        self.argv = argv
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)  # the sanitizer runtime preloaded for the package only
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=stdin, env=env)
        self.output = ""
        self._buf = b""
        if ready is not None:
            self.wait_for(ready)

    def wait_for(self, text: str, timeout: float = READY_TIMEOUT) -> str:
        """The first output line containing text (fails past timeout); the
        lines after it stay for the next wait_for."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            while True:
                while b"\n" in self._buf:
                    line, self._buf = self._buf.split(b"\n", 1)
                    decoded = line.decode(errors="replace")
                    self.output += decoded + "\n"
                    if text in decoded:
                        return decoded
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    pytest.fail(f"{self.argv[0]} did not print {text!r} in {timeout} s: "
                                f"{self.output + self._buf.decode(errors='replace')!r}")
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    pytest.fail(f"{self.argv} ended before printing {text!r}: {self.output!r}")
                self._buf += chunk
        finally:
            sel.close()

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture
def peers() -> Iterator[list]:
    started: list[Peer] = []
    yield started
    for p in reversed(started):
        p.stop()


def start_sim(peers: list, path: str, replies: dict, eol: str = "\\n") -> str:
    argv = [aserial_cli(), "sim", "pty:" + path, "--eol", eol]
    for req, resp in replies.items():
        argv += ["--reply", f"{req}={resp}"]
    peers.append(Peer(argv, ready="answering on"))
    return path


@pytest.fixture
def sim_tty(tmp_path, peers) -> str:
    """A pseudo-terminal with `aserial sim` answering *IDN? on its far side."""
    return start_sim(peers, str(tmp_path / "instrument"),
                     {"*IDN?": "ACME,MODEL1,42,1.0", "PING": "PONG"})


def start_serve(peers: list, device: str) -> int:
    """`aserial serve DEVICE` over RFC 2217 on a free 127.0.0.1 port."""
    p = Peer([aserial_cli(), "serve", device, "--listen", "127.0.0.1:0", "--rfc2217"])
    peers.append(p)
    line = p.wait_for("serving")
    return int(line.split(" on ")[1].split()[0].rsplit(":", 1)[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float = READY_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.02)  # polling a listener that has no readiness event
    return False

