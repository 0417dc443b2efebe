"""SerialPort.query in C (python/src/query.c): it returns a QueryCall, a
coroutine written in C. It must behave as the `async def query` it
replaced: the runtimes' task APIs take it, it starts only when awaited,
an unawaited one warns and sends nothing, close() and throw() end it
(cancelling a running C operation), bad arguments raise in the call."""
from __future__ import annotations

import asyncio
import gc
import inspect

import anyio
import pytest
import sniffio

import aserial
from aserial.testing import instrument, serial_port_pair

pytestmark = pytest.mark.anyio


async def test_the_runtimes_task_apis_take_a_query():
    a, b = serial_port_pair()
    async with a, b:
        inst = instrument(b, {b"PING": b"PONG", b"*IDN?": b"INST"})
        assert asyncio.iscoroutine(q := a.query(b"PING\n")) and inspect.isawaitable(q)
        assert await q == b"PONG"
        replies: list = []

        async def keep(coro_fn, *args):
            replies.append(await coro_fn(*args))
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:  # anyio calls a.query in the parent
                tg.start_soon(a.query, b"PING\n")
                tg.start_soon(keep, a.query, b"*IDN?\n")
            if sniffio.current_async_library() == "asyncio":
                assert await asyncio.create_task(a.query(b"PING\n")) == b"PONG"
                assert await asyncio.gather(a.query(b"PING\n"), a.query(b"*IDN?\n")) == \
                    [b"PONG", b"INST"]
                assert await asyncio.wait_for(a.query(b"*IDN?\n"), 5) == b"INST"
            else:
                import trio
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(a.query, b"PING\n")  # trio wraps it: a C coroutine
                    nursery.start_soon(keep, a.query, b"PING\n")
        assert replies == [b"INST"] + ([] if sniffio.current_async_library() == "asyncio"
                                       else [b"PONG"])
        assert inst.count == (7 if sniffio.current_async_library() == "asyncio" else 5)
        inst.stop()


async def test_a_query_starts_when_first_awaited_not_when_called():
    a, b = serial_port_pair()
    async with a, b:
        q = a.query(b"FIRST\n", timeout=5)
        await a.send(b"SECOND\n")  # written before the query that was made first
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                async def ask():
                    assert await q == b"REPLY"
                tg.start_soon(ask)
                assert await b.receive_until(b"\n", 64) == b"SECOND"
                assert await b.receive_until(b"\n", 64) == b"FIRST"
                await b.send(b"REPLY\n")


async def test_an_unawaited_query_warns_and_sends_nothing():
    a, b = serial_port_pair()
    async with a, b:
        q = a.query(b"NEVER\n")
        with pytest.warns(RuntimeWarning, match=r"query\(\) was never awaited"):
            del q
            gc.collect()
        await a.send(b"X")
        with anyio.fail_after(5):
            assert await b.receive_exactly(1) == b"X"


async def test_close_and_throw_end_a_running_query_and_free_the_port():
    a, b = serial_port_pair()
    async with a, b:
        inst = instrument(b, {b"PING": b"PONG"})
        for end in ("close", "throw"):
            q = a.query(b"SILENT\n", timeout=30)  # the instrument never answers it
            q.send(None)  # started: the request is out, the query waits
            if end == "close":
                q.close()
            else:
                with pytest.raises(KeyError, match="thrown"):
                    q.throw(KeyError("thrown"))
            with pytest.raises(RuntimeError, match="cannot reuse"):
                q.send(None)
            # Still waiting, the query would hold the port for 30 s; cancelled, it does not.
            with anyio.fail_after(5):
                assert await a.query(b"PING\n") == b"PONG"
        q = a.query(b"PING\n")
        q.close()  # never started: nothing sent, no warning
        del q
        inst.stop()


async def test_query_arguments_are_checked_in_the_call():
    a, b = serial_port_pair()
    async with a, b:
        bad = [
            ((), {}, TypeError, "missing 1 required argument: 'request'"),
            (("PING\n",), {}, TypeError, "request must be bytes"),
            ((b"P", b"Q"), {}, TypeError, "takes 1 positional argument"),
            ((b"P",), {"timout": 1}, TypeError, "unexpected keyword argument 'timout'"),
            ((b"P",), {"request": b"Q"}, TypeError, "multiple values for argument 'request'"),
            ((b"P",), {"eol": "\r\n"}, TypeError, "eol must be bytes"),
            ((b"P",), {"timeout": "1"}, TypeError, "timeout must be a number"),
            ((b"P",), {"timeout": float("nan")}, ValueError, "NaN"),
            ((b"P",), {"max_bytes": -1}, ValueError, "max_bytes must be 0"),
            ((b"P",), {"match": 3}, TypeError, "match must be callable"),
            ((b"P",), {"framer": "cobs"}, TypeError, "framer must be an aserial.Framer"),
        ]
        for args, kw, exc, msg in bad:
            with pytest.raises(exc, match=msg):
                a.query(*args, **kw)
        with pytest.raises(TypeError, match="eol must be bytes"):
            a.eol = "\r\n"
        a.eol = bytearray(b"\r")
        assert a.eol == b"\r" and type(a.eol) is bytes
        sig = inspect.signature(aserial.SerialPort.query)
        assert list(sig.parameters) == ["self", "request", "eol", "timeout", "max_bytes",
                                        "keep_stale", "framer", "match"]
