"""Refcounts and resources: 10,000 open/query/close rounds over mock://
with RSS and open fds flat (asyncio; the C side is the same for every
runtime)."""
from __future__ import annotations

import asyncio
import gc
import os
import sys

import pytest

import aserial
from aserial.testing import MockCable, instrument

ROUNDS = 10_000


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def _round(cable: MockCable, peer_inst) -> None:
    port = cable.open()
    assert await port.query(b"*IDN?\n", timeout=5.0) == b"LEAK"
    await port.aclose()


async def _main() -> tuple:
    cable = MockCable()
    peer = cable.open_peer()
    inst = instrument(peer, {"*IDN?": "LEAK"})
    for _ in range(500):  # warm up allocators and caches
        await _round(cable, inst)
    gc.collect()
    rss0, fds0 = _rss_kib(), _fds()
    refs0 = sys.gettotalrefcount() if hasattr(sys, "gettotalrefcount") else 0
    for _ in range(ROUNDS):
        await _round(cable, inst)
    gc.collect()
    rss1, fds1 = _rss_kib(), _fds()
    inst.stop()
    await peer.aclose()
    return rss0, rss1, fds0, fds1, refs0


@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="ASan's quarantine keeps freed memory: RSS says nothing there")
def test_ten_thousand_rounds_keep_rss_and_fds_flat():
    rss0, rss1, fds0, fds1, _ = asyncio.run(_main())
    print(f"RSS {rss0} -> {rss1} KiB, fds {fds0} -> {fds1}")
    assert fds1 == fds0
    # A leak of one 100-byte object per round would add ~1 MiB; the bound
    # is 2 MiB over the whole run (healthy: < 200 KiB of allocator noise).
    assert rss1 - rss0 < 2048, f"RSS grew {rss1 - rss0} KiB over {ROUNDS} rounds"
