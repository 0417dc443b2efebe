"""The asyncio completion (_aserial.Waiter): a task awaits it directly, as
the future-like object asyncio's Task accepts; a completion inside a run
of the C loop resumes its task from the C callback (one task at a time),
one outside a run through call_soon; cancelling the task cancels the C
operation and wakes the task only at its completion. Under asyncio and
uvloop."""
from __future__ import annotations

import asyncio
import weakref

import anyio
import pytest

import aserial
from aserial import _aserial
from aserial.testing import serial_port_pair
from conftest import ASYNCIO_BACKENDS

pytestmark = pytest.mark.anyio


@pytest.fixture(params=ASYNCIO_BACKENDS)
def anyio_backend(request):
    return request.param


async def test_a_task_awaits_the_waiter_and_gets_the_payload_or_the_error():
    loop = asyncio.get_running_loop()
    ok, bad = _aserial.Waiter(loop), _aserial.Waiter(loop)
    t_ok = asyncio.ensure_future(_await(ok))
    t_bad = asyncio.ensure_future(_await(bad))
    await asyncio.sleep(0)  # both tasks are now asleep on their waiters
    assert ok.get_loop() is loop and ok._asyncio_future_blocking is False
    assert not ok.done() and not t_ok.done()
    # Completed outside a run of the C loop: woken through call_soon.
    ok(0, b"payload")
    bad(_aserial.ETIMEDOUT, "the read timed out after 5 ms")
    with anyio.fail_after(5):
        assert await t_ok == b"payload"
        with pytest.raises(aserial.SerialTimeoutError, match="timed out after 5 ms"):
            await t_bad
    assert ok.done() and ok.result() == b"payload" and not ok.cancelled()


async def _await(w):
    return await w


async def test_one_awaiting_task_only():
    w = _aserial.Waiter(asyncio.get_running_loop())
    t = asyncio.ensure_future(_await(w))
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="one task only"):
        w.add_done_callback(print)
    w(0, None)
    with anyio.fail_after(5):
        assert await t is None


async def test_an_already_completed_waiter_returns_at_once():
    w = _aserial.Waiter(asyncio.get_running_loop())
    w(0, b"early")
    assert await w == b"early"


async def test_start_passes_the_waiter_first_and_raises_what_the_start_raises():
    loop = asyncio.get_running_loop()
    seen = []
    w = _aserial.Waiter.start(weakref.ref(loop), lambda w, *a: seen.append((w, a)), 1, b"x")
    assert seen == [(w, (1, b"x"))]
    assert w.get_loop() is loop  # through the weak reference
    w(0, b"done")
    assert await w == b"done"
    with pytest.raises(ZeroDivisionError):
        _aserial.Waiter.start(loop, lambda w: 1 / 0)


async def test_cancelling_the_task_cancels_the_c_read_and_waits_for_it():
    a, b = serial_port_pair()
    async with a, b:
        task = asyncio.ensure_future(b.receive(10))
        await asyncio.sleep(0)
        task.cancel()
        with anyio.fail_after(5), pytest.raises(asyncio.CancelledError):
            await task
        # The C read had completed (ECANCELED) before the task went on:
        # the next read starts at once (no BusyResourceError).
        await a.send(b"after")
        assert await b.receive_exactly(5, timeout=5) == b"after"


async def test_tasks_completed_in_one_run_are_all_woken():
    pairs = [serial_port_pair() for _ in range(8)]
    try:
        async def reader(i, port):
            return i, await port.receive_exactly(4, timeout=5)

        tasks = [asyncio.ensure_future(reader(i, b)) for i, (_, b) in enumerate(pairs)]
        await asyncio.sleep(0)
        for i, (a, _) in enumerate(pairs):
            await a.send(b"%4d" % i)
        with anyio.fail_after(5):
            got = await asyncio.gather(*tasks)
        assert got == [(i, b"%4d" % i) for i in range(8)]
    finally:
        for a, b in pairs:
            await a.aclose()
            await b.aclose()


@pytest.mark.blocking
def test_trio_op_yields_trios_trap_itself_on_this_trio():
    """The trio here is one whose wait_task_rescheduled trap a TrioOp can
    yield itself (the fast path); the "trio-documented" backend runs the
    whole suite the other way."""
    trio = pytest.importorskip("trio")
    from aserial._runtime import _trio_trap
    trap = _trio_trap(trio)
    assert trap is not None and trap(print).abort_func is print


def test_the_trio_hub_finds_runner_reschedule_on_this_trio():
    """Inside a trio run, the hub's kit has trio's Runner.reschedule of that
    run (completions under the hub's system task call it directly) and one
    Value(None) a success reschedules with; the "trio-documented" backend
    runs the whole suite without either."""
    trio = pytest.importorskip("trio")
    import outcome

    from aserial._runtime import _runner_reschedule, current_hub

    async def main():
        meth = _runner_reschedule(trio)
        assert meth is not None and meth.__self__ is trio._core._run.GLOBAL_RUN_CONTEXT.runner
        kit = current_hub().start[1]
        assert kit[8].__func__ is meth.__func__ and kit[8].__self__ is meth.__self__
        assert type(kit[9]) is outcome.Value and kit[9].value is None
    trio.run(main)
    assert _runner_reschedule(trio) is None  # outside a run: no runner
