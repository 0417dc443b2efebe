"""The anyserial shape over mock:// pairs: send/receive, the reads, the
one-reader rule, timeouts and the runtime's cancellation, disconnects,
configure and capabilities; the same tests under asyncio, uvloop, trio."""
from __future__ import annotations

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

import aserial
from aserial.testing import FaultPlan, MockCable, serial_port_pair

pytestmark = pytest.mark.anyio


async def test_send_receive_roundtrip():
    a, b = serial_port_pair()
    try:
        await a.send(b"hello")
        assert await b.receive_exactly(5) == b"hello"
        await b.send(bytes(range(256)))
        assert await a.receive_exactly(256) == bytes(range(256))
    finally:
        await a.aclose()
        await b.aclose()


async def test_receive_returns_what_is_there_never_empty():
    a, b = serial_port_pair()
    async with a, b:
        await a.send(b"abc")
        got = b""
        while len(got) < 3:
            chunk = await b.receive(64)
            assert chunk  # never b""
            got += chunk
        assert got == b"abc"
        await a.send(b"0123456789")
        assert await b.receive_exactly(4) == b"0123"
        assert await b.receive_available(limit=100) == b"456789"


async def test_receive_until_keeps_the_rest_and_bounds_memory():
    a, b = serial_port_pair()
    async with a, b:
        await a.send(b"one\r\ntwo\r\nthre")
        assert await b.receive_until(b"\r\n", 100) == b"one"
        assert await b.receive_until(b"\r\n", 100) == b"two"
        with pytest.raises(aserial.FrameTooLongError) as ei:
            await b.receive_until(b"\r\n", 2)
        assert isinstance(ei.value, anyio.DelimiterNotFound)
        await a.send(b"e\r\n")  # the bytes stayed buffered
        assert await b.readline(eol=b"\r\n") == b"three"


async def test_anyio_buffered_stream_wraps_the_port():
    a, b = serial_port_pair()
    async with a, b:
        buffered = BufferedByteReceiveStream(b)
        await a.send(b"AT\rOK\r")
        assert await buffered.receive_until(b"\r", max_bytes=512) == b"AT"
        assert await buffered.receive_exactly(2) == b"OK"


async def test_second_reader_is_busy():
    a, b = serial_port_pair()
    async with a, b:
        async with anyio.create_task_group() as tg:
            started = anyio.Event()

            async def reader():
                started.set()
                assert await b.receive(10) == b"x"

            tg.start_soon(reader)
            await started.wait()
            await anyio.sleep(0)  # let the first read start in C
            with pytest.raises(aserial.BusyResourceError):
                await b.receive(10)
            await a.send(b"x")


async def test_own_timeout_raises_timeouterror_and_keeps_bytes():
    a, b = serial_port_pair()
    async with a, b:
        await a.send(b"ab")
        with pytest.raises(TimeoutError) as ei:
            await b.receive_exactly(3, timeout=0.05)
        assert isinstance(ei.value, aserial.SerialTimeoutError)
        assert ei.value.name == "ASER_ETIMEDOUT"
        await a.send(b"c")
        assert await b.receive_exactly(3, timeout=5) == b"abc"


async def test_runtime_cancellation_cancels_the_c_read_and_port_stays_usable():
    a, b = serial_port_pair()
    async with a, b:
        with anyio.move_on_after(0.05) as scope:
            await b.receive(10)
        assert scope.cancel_called
        # The C read was cancelled: a new read starts (no BusyResourceError)
        await a.send(b"after")
        assert await b.receive_exactly(5, timeout=5) == b"after"
        # task-group cancellation too
        async with anyio.create_task_group() as tg:
            tg.start_soon(b.receive, 10)
            await anyio.sleep(0)
            tg.cancel_scope.cancel()
        await a.send(b"again")
        assert await b.receive_exactly(5, timeout=5) == b"again"


async def test_cancelled_query_leaves_the_queue_working():
    a, b = serial_port_pair()
    async with a, b:
        with anyio.move_on_after(0.05):
            await a.query(b"Q1\n")
        async with anyio.create_task_group() as tg:
            async def device():
                assert await b.readline() == b"Q1"  # the first request went out
                assert await b.readline() == b"Q2"
                await b.send(b"R2\n")
            tg.start_soon(device)
            assert await a.query(b"Q2\n", timeout=5) == b"R2"


async def test_disconnect_is_one_error_then_closed():
    cable = MockCable()
    a, b = cable.open(), cable.open_peer()
    try:
        async with anyio.create_task_group() as tg:
            async def read():
                with pytest.raises(aserial.SerialDisconnectedError) as ei:
                    await a.receive(10)
                assert isinstance(ei.value, ConnectionError)
                assert isinstance(ei.value, anyio.EndOfStream)
            tg.start_soon(read)
            await anyio.sleep(0)
            cable.unplug()
    finally:
        await a.aclose()
        await b.aclose()
    with pytest.raises(anyio.ClosedResourceError):
        await a.receive(1)


async def test_a_read_ended_while_its_cable_is_freed_still_wakes_its_task():
    # The port closed and its cable freed in one step while a read waits:
    # the read ends with SerialClosedError and its task wakes.
    cable = MockCable()
    a, b = cable.open(), cable.open_peer()
    ended = []
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            async def read():
                with pytest.raises(aserial.SerialClosedError):
                    await a.receive(10)
                ended.append(True)
            tg.start_soon(read)
            await anyio.wait_all_tasks_blocked()
            a.close()
            b.close()
            cable.close()
    assert ended == [True]


async def test_fault_plan_short_reads_and_writes_still_deliver_everything():
    plan = FaultPlan(max_read=1, max_write=3, eagain_burst=2, eintr_burst=1)
    a, b = serial_port_pair(faults=plan, peer_faults=plan)
    async with a, b:
        data = bytes(range(256)) * 4
        async with anyio.create_task_group() as tg:
            tg.start_soon(a.send, data)
            assert await b.receive_exactly(len(data), timeout=10) == data


async def test_configure_is_atomic_and_config_is_frozen():
    a, b = serial_port_pair()
    async with a, b:
        cfg = a.config.with_changes(baudrate=9600, parity="E", bytesize=7)
        await a.configure(cfg)
        assert a.config == cfg
        with pytest.raises(ValueError):
            a.config.with_changes(bytesize=9)
        assert a.config.baudrate == 9600
        with pytest.raises(Exception):
            a.config.baudrate = 1  # type: ignore[misc]


async def test_capabilities_are_tri_state_with_reasons():
    a, b = serial_port_pair()
    async with a, b:
        caps = a.capabilities()
        assert set(caps) == {"baud", "custom_baud", "modem_lines", "break", "flow_rtscts",
                             "rs485", "low_latency", "line_errors"}
        for cap in caps.values():
            assert cap.state in ("supported", "unsupported", "unknown")
            if cap.state != "supported":
                assert cap.reason
        assert caps.modem_lines.state == caps["modem_lines"].state


async def test_modem_lines_cross_like_a_null_modem():
    a, b = serial_port_pair()
    async with a, b:
        a.set_rts(True)
        a.set_dtr(True)
        lines = b.modem_lines()
        assert lines.cts and lines.dsr


async def test_frames_iterator_and_encode():
    a, b = serial_port_pair()
    async with a, b:
        for framer in (aserial.Framer.cobs(), aserial.Framer.slip(),
                       aserial.Framer.delimiters(b"\r\n", b"\n")):
            frames = [b"one", bytes([0, 1, 0xC0, 0xDB, 0]), b"three"]
            if framer.desc[0] == "delims":
                frames = [b"one", b"two", b"three"]
            for f in frames:
                await a.send(framer.encode(f))
            got = []
            async for frame in b.frames(framer):
                got.append(frame)
                if len(got) == len(frames):
                    break
            assert got == frames


async def test_length_field_framer():
    a, b = serial_port_pair()
    async with a, b:
        framer = aserial.Framer.length_field(1, 2, big_endian=True, adjust=0)
        await a.send(b"\x7e\x00\x03abc\x7e\x00\x01z")
        assert await b.receive_frame(framer) == b"\x7e\x00\x03abc"
        assert await b.receive_frame(framer) == b"\x7e\x00\x01z"


async def test_send_waits_when_the_write_queue_is_full():
    cfg = aserial.SerialConfig(write_high_water=4096)
    a, b = serial_port_pair(cfg, peer_faults=FaultPlan(bytes_per_sec=200_000))
    async with a, b:
        data = b"x" * 20_000
        async with anyio.create_task_group() as tg:
            tg.start_soon(a.send, data)
            assert await b.receive_exactly(4096, timeout=10) == data[:4096]
            got = 4096
            while got < len(data):
                got += len(await b.receive(4096))
        assert got == len(data)


async def test_more_than_the_read_buffer_in_one_burst():
    # 100 KB sent at once reach a peer whose read buffer is 4 KiB: the mock
    # stages 64 KiB from its socket and must replay readiness once the
    # full buffer was read (it stalled after the first 4 KiB).
    a, b = serial_port_pair()
    async with a, b:
        data = bytes(range(256)) * 400
        await a.send(data)
        got = bytearray()
        while len(got) < len(data):
            got += await b.receive(65536)
        assert got == data


async def test_native_cancellation_of_each_runtime(anyio_backend):
    # asyncio.wait_for and asyncio.timeout on asyncio/uvloop, a trio cancel
    # scope on trio: each cancels the C read and leaves the port usable.
    a, b = serial_port_pair()
    async with a, b:
        if anyio_backend[0] == "trio":
            import trio
            with trio.move_on_after(0.05):
                await b.receive(10)
            with trio.move_on_after(0.05):
                await b.query(b"Q\n")  # the C coroutine under a trio cancel scope
        else:
            import asyncio
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(b.receive(10), 0.05)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await b.query(b"Q\n")
            with pytest.raises(asyncio.TimeoutError):  # wait_for makes the query a task
                await asyncio.wait_for(b.query(b"Q\n"), 0.05)
        await a.send(b"ok")
        assert await b.receive_exactly(2, timeout=5) == b"ok"


async def test_line_events_from_the_peer():
    a, b = serial_port_pair()
    async with a, b:
        with anyio.fail_after(10):  # healthy: one loop turn
            async with a.line_events() as events:
                b.set_rts(True)
                async for ev in events:
                    break
        assert ev.lines.cts and ev.changed.cts and not ev.errors


async def test_reconnect_after_the_cable_comes_back():
    cable = MockCable()
    a, b = cable.open(), cable.open_peer()
    heard = []
    restored = anyio.Event()

    def on_event(name):
        heard.append(name)
        if name == "restored":
            restored.set()

    a.set_reconnect(min_delay=0.01, max_delay=0.05, on_event=on_event)
    try:
        with anyio.fail_after(10):  # healthy: a few 10-50 ms retries
            cable.unplug()
            with pytest.raises(aserial.SerialDisconnectedError):
                await a.receive(1)
            await b.aclose()
            cable.replug()
            b = cable.open_peer()
            await restored.wait()
            await b.send(b"back")
            assert await a.receive_exactly(4, timeout=5) == b"back"
        assert heard[:2] == ["lost", "restored"]
    finally:
        await a.aclose()
        await b.aclose()
