"""One aserial loop per host event loop, watched through its fd.

A hub owns one ``_aserial.Loop`` and lets the host loop run it: asyncio
(and uvloop, which is asyncio) through ``loop.add_reader(fd, ...)``, trio
through a system task waiting in ``trio.lowlevel.wait_readable(fd)``. The
C loop's fd is readable whenever it has work (I/O, due timers, deferred
starts, completions), so nothing polls and nothing sleeps.

``await hub.call(port.read, *args)`` runs one C operation: the method is
called with a completion first and starts the operation; the task sleeps
until the completion comes, then gets the payload or the exception for
its status. Under asyncio the completion is a ``_aserial.Waiter``, which
the task awaits directly (a future-like object: no asyncio Future, Handle
or extra loop iteration per request); inside a run of the C loop the
completion resumes the task at once, so what the task starts next begins
in the same run. Under trio it is a ``_aserial.TrioOp``, which
reschedules the task from C. If the runtime cancels the task
(asyncio.timeout, wait_for, anyio.move_on_after, a trio cancel scope), the
C operation is cancelled with aser_cancel and the task waits for its
completion before the runtime's exception goes on, so the port is free for
the next operation. The runtime is found with sniffio.
"""
from __future__ import annotations

import collections.abc
import functools
import sys
import weakref
from typing import Any

from . import _aserial

_Waiter = _aserial.Waiter

_asyncio_hubs: "weakref.WeakKeyDictionary[Any, AsyncioHub]" = weakref.WeakKeyDictionary()
_trio_hub_var: Any = None


def _no_fd_error() -> RuntimeError:
    return RuntimeError(
        "aserial: the C loop has no fd to watch (ASERIAL_LOOP_BACKEND=poll or the portable "
        "build); the Python package needs the built-in epoll loop: unset ASERIAL_LOOP_BACKEND")


class AsyncioHub:
    """The aserial loop of one asyncio (or uvloop) event loop."""

    def __init__(self, loop: Any) -> None:
        self.aloop = _aserial.Loop()
        fd = self.aloop.fileno()
        if fd < 0:
            raise _no_fd_error()
        self._host = weakref.ref(loop)
        loop.add_reader(fd, self.aloop.run_once)  # a callback's error: the loop's handler
        # call(meth, *args): start meth(waiter, *args) and return the waiter
        # to await (its result, or the error raised; the runtime's
        # cancellation cancels the C operation and waits for it). In C:
        # Waiter.start(loop, meth, *args), no Python frame per request.
        self.call = functools.partial(_Waiter.start, self._host)
        # What SerialPort.query (C) makes for each query: a Waiter on this loop.
        self.start = (_Waiter, self._host)


class TrioHub:
    """The aserial loop of one trio run, run by a system task."""

    def __init__(self) -> None:
        import outcome
        import trio
        # What a TrioOp needs, bound once (trio stays optional until a trio run uses it).
        # The last two are shortcuts (trioop.c): trio's Runner.reschedule for
        # completions under this hub's system task, and one Value(None) a
        # success reschedules with while the op keeps the payload.
        trap = _trio_trap(trio)
        kit = (trio.lowlevel.reschedule, outcome.Value, outcome.Error, outcome.capture,
               trio.lowlevel.Abort.FAILED, trio.lowlevel.current_task,
               trio.lowlevel.wait_task_rescheduled, trap, _runner_reschedule(trio),
               outcome.Value(None) if trap is not None else None)
        # call(meth, *args): start meth(op, *args) and return the coroutine
        # that sleeps until its completion reschedules this task (the
        # payload, or the error raised); trio's cancellation cancels the C
        # operation through op.abort and waits for it. In C:
        # TrioOp.start(kit, meth, *args), no Python frame per request.
        self.call = functools.partial(_TrioOp.start, kit)
        # What SerialPort.query (C) makes for each query: a TrioOp with this kit.
        self.start = (_TrioOp, kit)
        self.aloop = _aserial.Loop()
        self.fd = self.aloop.fileno()
        if self.fd < 0:
            raise _no_fd_error()
        trio.lowlevel.spawn_system_task(self._pump, name="aserial loop")

    async def _pump(self) -> None:
        import trio
        try:
            while True:
                await trio.lowlevel.wait_readable(self.fd)
                try:
                    self.aloop.run_once(0)
                except Exception:  # a callback raised: report, keep running
                    sys.unraisablehook(_Unraisable(*sys.exc_info(), "aserial callback failed",
                                                   None))
        finally:
            try:
                self.aloop.close()
            except Exception:  # ports still open: the loop goes with them
                pass


_TrioOp = _aserial.TrioOp

# SerialPort.query returns a QueryCall, a coroutine written in C: asyncio's
# create_task and gather, and trio's and anyio's start_soon, take it as one.
collections.abc.Coroutine.register(_aserial.QueryCall)


def _trio_trap(trio: Any) -> Any:
    """The class of what trio.lowlevel.wait_task_rescheduled(abort) yields
    to trio's run loop, if it is a trap made from abort alone (so a TrioOp
    can yield it itself and skip two Python frames a request), else None
    (TrioOp then awaits wait_task_rescheduled). Checked, not imported: it
    is private to trio."""
    def abort(raise_cancel: Any) -> Any:
        return trio.lowlevel.Abort.FAILED

    coro = trio.lowlevel.wait_task_rescheduled(abort)
    try:
        msg = coro.send(None)
        cls = type(msg)
        ok = msg.abort_func is abort and cls(abort).abort_func is abort
    except Exception:  # another trio: the documented way
        return None
    finally:
        coro.close()
    return cls if ok else None


def _runner_reschedule(trio: Any) -> Any:
    """trio's Runner.reschedule for the running trio.run, which
    trio.lowlevel.reschedule calls after marking its own frame protected
    from KeyboardInterrupt. A completion inside Loop.run_once() runs under
    the hub's system task, whose frame is protected already, and calls it
    directly: one Python frame and a locals() dict less a request. Private
    to trio: looked up and checked, not imported; None (the public
    reschedule) if it is not what is expected."""
    try:
        from trio._core import _run
        meth = _run.GLOBAL_RUN_CONTEXT.runner.reschedule
        if getattr(meth, "__func__", None) is not _run.Runner.reschedule:
            return None
        return meth
    except Exception:  # another trio: the documented way
        return None


class _Unraisable:
    def __init__(self, exc_type: Any, exc_value: Any, exc_traceback: Any, err_msg: str,
                 obj: Any) -> None:
        self.exc_type, self.exc_value, self.exc_traceback = exc_type, exc_value, exc_traceback
        self.err_msg, self.object = err_msg, obj


def current_hub() -> Any:
    """The hub of the running event loop (created on first use)."""
    import sniffio
    lib = sniffio.current_async_library()
    if lib == "asyncio":
        import asyncio
        loop = asyncio.get_running_loop()
        hub = _asyncio_hubs.get(loop)
        if hub is None:
            hub = _asyncio_hubs[loop] = AsyncioHub(loop)
        return hub
    if lib == "trio":
        global _trio_hub_var
        import trio
        if _trio_hub_var is None:
            _trio_hub_var = trio.lowlevel.RunVar("aserial_hub")
        try:
            return _trio_hub_var.get()
        except LookupError:
            hub = TrioHub()
            _trio_hub_var.set(hub)
            return hub
    raise RuntimeError(f"aserial: unsupported async library {lib!r} (asyncio, uvloop and trio "
                       "are supported)")



class EventStream:
    """What Hotplug and LineEvents share: events pushed from aserial's
    callbacks into a queue, taken with ``async for`` on whichever runtime
    made the stream (asyncio or trio), and ``async with`` to close it.
    A subclass says when the stream has ended (``_ended``) and how it
    stops (``aclose``)."""

    def __init__(self) -> None:
        import collections

        import sniffio
        self._events: Any = collections.deque()
        self._waiter: Any = None
        if sniffio.current_async_library() == "trio":
            import trio
            self._make_event: Any = trio.Event
        else:
            import asyncio
            self._make_event = asyncio.Event

    def _push(self, event: Any) -> None:
        self._events.append(event)
        if self._waiter is not None:
            self._waiter.set()

    def _ended(self) -> bool:
        raise NotImplementedError

    def __aiter__(self) -> Any:
        return self

    async def __anext__(self) -> Any:
        while not self._events:
            if self._ended():
                raise StopAsyncIteration
            self._waiter = self._make_event()
            try:
                await self._waiter.wait()
            finally:
                self._waiter = None
        return self._events.popleft()

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
