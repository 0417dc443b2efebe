/* waiter.c: Waiter, the awaitable an asyncio task waits on for one C
 * operation.
 *
 * Waiter(loop) is passed as an operation's completion callable and then
 * awaited (Waiter.start(loop, meth, *args) does both but the await; loop
 * may be a weak reference to the asyncio loop). It is future-like in the way asyncio's Task accepts (the
 * _asyncio_future_blocking protocol of asyncio.futures: get_loop(),
 * add_done_callback(fn, context=), result(), cancel()), so awaiting it
 * costs no asyncio Future, no call_soon and no Handle per request:
 *
 *   - the completion records the status and the payload and, inside
 *     Loop.run_once(), resumes the task at once from the C callback, as a
 *     C program's callback would go on: what the task starts next begins
 *     in the same iteration of the C loop (a start from outside an
 *     iteration waits for the next one, and arms the loop's timerfd to
 *     wake it). One task runs at a time: a completion while a woken task
 *     runs (a mock it frees runs the loop) waits in the Loop's ready list
 *     and is woken after it;
 *   - a completion outside run_once() (a mock or loop freed from a task)
 *     wakes the task through loop.call_soon, as a Future would;
 *   - Task.cancel() calls cancel(): the C operation is cancelled
 *     (aser_cancel) and cancel() returns False, so the task stays asleep
 *     until the operation's completion (ECANCELED, or what came first) and
 *     then gets CancelledError: the port is free when the runtime's
 *     exception goes on;
 *   - the result is returned through am_send (no StopIteration); a failure
 *     is raised as the aserial error, built once from the status and the
 *     port's message. */
#include "pyaser.h"

#include <structmember.h>

static PyObject *waiter_new(PyTypeObject *tp, PyObject *args, PyObject *kwds)
{
    PyObject *loop;
    if (!PyArg_UnpackTuple(args, "Waiter", 1, 1, &loop)) return NULL;
    pyaser_waiter *w = (pyaser_waiter *)tp->tp_alloc(tp, 0);
    if (!w) return NULL;
    w->loop = Py_NewRef(loop);
    return (PyObject *)w;
}

/* The asyncio loop (a new reference; None once a weak reference to it
 * died), or NULL with an exception. */
static PyObject *host_loop(pyaser_waiter *w)
{
    if (!w->loop || !PyWeakref_CheckRef(w->loop)) return Py_NewRef(w->loop ? w->loop : Py_None);
#if PY_VERSION_HEX >= 0x030D0000
    PyObject *loop;
    if (PyWeakref_GetRef(w->loop, &loop) < 0) return NULL;
    return loop ? loop : Py_NewRef(Py_None);
#else
    return Py_NewRef(PyWeakref_GetObject(w->loop));
#endif
}

pyaser_waiter *pyaser_waiter_make(pyaser_state *st, PyObject *loop)
{
    pyaser_waiter *w = (pyaser_waiter *)st->waiter_type->tp_alloc(st->waiter_type, 0);
    if (w) w->loop = Py_NewRef(loop);
    return w;
}

/* Cancel w's C operation if it still runs (once); its completion comes. */
static void cancel_op(pyaser_waiter *w)
{
    if (!w->done && !w->cancel_asked && w->port && w->port->p) {
        w->cancel_asked = 1;
        aser_cancel(w->port->p, w->op_id); /* ENOENT: its completion is on the way */
    }
}

void pyaser_waiter_abandon(pyaser_waiter *w)
{
    cancel_op(w);
    Py_CLEAR(w->fn);
    Py_CLEAR(w->ctx);
}

/* Waiter.start(loop, meth, *args) -> Waiter: a Waiter on loop (an asyncio
 * loop or a weak reference to one) passed to meth(waiter, *args), which
 * starts the C operation; what a hub's call() does, without a frame. */
static PyObject *waiter_start(PyObject *tp, PyObject *const *args, Py_ssize_t nargs)
{
    static const char usage[] = "Waiter.start(loop, meth, *args)";
    nargs = PyVectorcall_NARGS(nargs);
    if (nargs < 2) return PyErr_Format(PyExc_TypeError, "%s: loop and meth needed", usage);
    pyaser_waiter *w = pyaser_waiter_make(pyaser_state_from_type((PyTypeObject *)tp), args[0]);
    if (w && pyaser_start_call((PyObject *)w, args, nargs, usage) < 0) Py_CLEAR(w);
    return (PyObject *)w;
}

static int waiter_clear(pyaser_waiter *w)
{
    Py_CLEAR(w->loop);
    Py_CLEAR(w->payload);
    Py_CLEAR(w->exc);
    Py_CLEAR(w->fn);
    Py_CLEAR(w->ctx);
    Py_CLEAR(w->port);
    return 0;
}

static void waiter_dealloc(pyaser_waiter *w)
{
    PyTypeObject *tp = Py_TYPE(w);
    PyObject_GC_UnTrack(w);
    waiter_clear(w);
    tp->tp_free(w);
    Py_DECREF(tp);
}

static int waiter_traverse(pyaser_waiter *w, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(w));
    Py_VISIT(w->loop);
    Py_VISIT(w->payload);
    Py_VISIT(w->exc);
    Py_VISIT(w->fn);
    Py_VISIT(w->ctx);
    Py_VISIT(w->port);
    return 0;
}

/* ====================================================================== */
/* Completion and wake-up                                                  */
/* ====================================================================== */

void pyaser_waiter_started(pyaser_waiter *w, pyaser_port *po, int op_id)
{
    Py_XSETREF(w->port, (pyaser_port *)Py_NewRef((PyObject *)po));
    w->op_id = op_id;
}

/* fn(w) in ctx through the asyncio loop: loop.call_soon(fn, w, context=ctx). */
static int call_soon(pyaser_waiter *w, PyObject *fn, PyObject *ctx)
{
    PyObject *loop = host_loop(w);
    if (loop == Py_None) {
        Py_DECREF(loop);
        PyErr_SetString(PyExc_RuntimeError, "the asyncio loop of an aserial operation is gone");
        return -1;
    }
    PyObject *meth = loop ? PyObject_GetAttrString(loop, "call_soon") : NULL;
    Py_XDECREF(loop);
    if (!meth) return -1;
    PyObject *args = PyTuple_Pack(2, fn, (PyObject *)w);
    PyObject *kw = args && ctx ? Py_BuildValue("{sO}", "context", ctx) : NULL;
    PyObject *res = args && (kw || !ctx) ? PyObject_Call(meth, args, kw) : NULL;
    Py_DECREF(meth);
    Py_XDECREF(args);
    Py_XDECREF(kw);
    if (!res) return -1;
    Py_DECREF(res);
    return 0;
}

static int wake(pyaser_waiter *w);

int pyaser_waiter_complete(pyaser_waiter *w, pyaser_loop *lo, int status, PyObject *payload)
{
    if (w->done) return 0;
    w->done = 1;
    w->status = status;
    Py_XSETREF(w->payload, Py_NewRef(payload));
    Py_CLEAR(w->port);
    if (!w->fn) return 0; /* nobody awaits yet: add_done_callback will see done */
    if (lo && lo->running) {
        if (lo->waking) { /* one task at a time: this one after it */
            if (!lo->ready && !(lo->ready = PyList_New(0))) return -1;
            return PyList_Append(lo->ready, (PyObject *)w);
        }
        lo->waking = 1;
        int rc = wake(w);
        if (rc < 0) pyaser_loop_keep_error(lo);
        pyaser_loop_wake_ready(lo);
        lo->waking = 0;
        return 0;
    }
    PyObject *fn = w->fn, *ctx = w->ctx;
    w->fn = w->ctx = NULL;
    int rc = call_soon(w, fn, ctx);
    Py_DECREF(fn);
    Py_XDECREF(ctx);
    return rc;
}

/* Call w's done callback in its context; -1 with an exception. */
static int wake(pyaser_waiter *w)
{
    PyObject *fn = w->fn, *ctx = w->ctx;
    w->fn = w->ctx = NULL;
    if (!fn) return 0;
    int rc = 0;
    if (ctx && PyContext_Enter(ctx) < 0) {
        rc = -1;
    } else {
        PyObject *res = PyObject_CallOneArg(fn, (PyObject *)w);
        if (ctx) {
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            if (PyContext_Exit(ctx) < 0) {
                Py_XDECREF(type);
                Py_XDECREF(value);
                Py_XDECREF(tb);
                Py_XDECREF(res);
                res = NULL;
            } else {
                PyErr_Restore(type, value, tb);
            }
        }
        if (res)
            Py_DECREF(res);
        else
            rc = -1;
    }
    Py_DECREF(fn);
    Py_XDECREF(ctx);
    return rc;
}

void pyaser_loop_wake_ready(pyaser_loop *lo)
{
    if (!lo->ready) return;
    /* A woken task may complete more (a mock freed inside it runs the
     * loop): the list is read by index until its end. */
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lo->ready); i++) {
        PyObject *w = Py_NewRef(PyList_GET_ITEM(lo->ready, i));
        if (wake((pyaser_waiter *)w) < 0) pyaser_loop_keep_error(lo);
        Py_DECREF(w);
    }
    if (PyList_SetSlice(lo->ready, 0, PY_SSIZE_T_MAX, NULL) < 0) pyaser_loop_keep_error(lo);
}

/* ====================================================================== */
/* The awaitable                                                           */
/* ====================================================================== */

/* The failure's exception (new reference), built on first use. */
static PyObject *failure(pyaser_waiter *w)
{
    if (!w->exc) {
        PyObject *msg = w->payload;
        pyaser_raise(pyaser_state_from_type(Py_TYPE(w)), w->status,
                     msg && PyUnicode_Check(msg) ? PyUnicode_AsUTF8(msg) : NULL);
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        Py_XDECREF(type);
        Py_XDECREF(tb);
        if (!value) return NULL;
        w->exc = value;
    }
    return Py_NewRef(w->exc);
}

static int raise_failure(pyaser_waiter *w)
{
    PyObject *exc = failure(w);
    if (exc) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return -1;
}

/* await: yields itself (future-like) until done, then returns the payload
 * or raises the error. */
static PySendResult waiter_send(pyaser_waiter *w, PyObject *arg, PyObject **result)
{
    (void)arg;
    if (!w->done) {
        w->blocking = 1;
        *result = Py_NewRef((PyObject *)w);
        return PYGEN_NEXT;
    }
    if (w->status >= 0) {
        *result = Py_NewRef(w->payload);
        return PYGEN_RETURN;
    }
    raise_failure(w);
    *result = NULL;
    return PYGEN_ERROR;
}

/* The same through __next__ (used when a trace function is set). */
static PyObject *waiter_iternext(pyaser_waiter *w)
{
    PyObject *res;
    PySendResult r = waiter_send(w, Py_None, &res);
    return pyaser_next_of_send(r, res);
}

static PyObject *waiter_await(pyaser_waiter *w)
{
    return Py_NewRef((PyObject *)w);
}

/* ---- the Future methods asyncio's Task calls --------------------------- */

static PyObject *waiter_get_loop(pyaser_waiter *w, PyObject *unused)
{
    return host_loop(w);
}

/* add_done_callback(fn, *, context=None): one callback (the task's). */
static PyObject *waiter_add_done_callback(pyaser_waiter *w, PyObject *const *args, Py_ssize_t nargs,
                                          PyObject *kwnames)
{
    PyObject *ctx = NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (PyVectorcall_NARGS(nargs) != 1 || nkw > 1 ||
        (nkw == 1 &&
         PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "context") != 0)) {
        PyErr_SetString(PyExc_TypeError, "add_done_callback(fn, *, context=None)");
        return NULL;
    }
    if (nkw == 1 && args[1] != Py_None) ctx = Py_NewRef(args[1]);
    if (!ctx && !(ctx = PyContext_CopyCurrent())) return NULL;
    if (w->fn) {
        Py_DECREF(ctx);
        PyErr_SetString(PyExc_RuntimeError,
                        "an aserial operation is awaited by one task only (wrap the coroutine "
                        "in a task to share it)");
        return NULL;
    }
    if (w->done) {
        int rc = call_soon(w, args[0], ctx);
        Py_DECREF(ctx);
        if (rc < 0) return NULL;
        Py_RETURN_NONE;
    }
    w->fn = Py_NewRef(args[0]);
    w->ctx = ctx;
    Py_RETURN_NONE;
}

static PyObject *waiter_remove_done_callback(pyaser_waiter *w, PyObject *fn)
{
    if (!w->fn || w->fn != fn) return PyLong_FromLong(0);
    Py_CLEAR(w->fn);
    Py_CLEAR(w->ctx);
    return PyLong_FromLong(1);
}

/* cancel(msg=None) -> False: the C operation is cancelled and the task is
 * woken by its completion. */
static PyObject *waiter_cancel(pyaser_waiter *w, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"msg", NULL};
    PyObject *msg = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:cancel", kwlist, &msg)) return NULL;
    cancel_op(w);
    Py_RETURN_FALSE;
}

static PyObject *waiter_result(pyaser_waiter *w, PyObject *unused)
{
    if (!w->done) {
        PyErr_SetString(PyExc_RuntimeError, "the aserial operation has not completed");
        return NULL;
    }
    if (w->status >= 0) return Py_NewRef(w->payload);
    raise_failure(w);
    return NULL;
}

static PyObject *waiter_done_m(pyaser_waiter *w, PyObject *unused)
{
    return PyBool_FromLong(w->done);
}

static PyObject *waiter_cancelled(pyaser_waiter *w, PyObject *unused)
{
    Py_RETURN_FALSE;
}

/* Called as a plain completion (cb(status, payload)), for completeness. */
static PyObject *waiter_call(pyaser_waiter *w, PyObject *args, PyObject *kwds)
{
    int status;
    PyObject *payload;
    if (!PyArg_ParseTuple(args, "iO:Waiter", &status, &payload)) return NULL;
    if (pyaser_waiter_complete(w, NULL, status, payload) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef waiter_methods[] = {
    {"start", (PyCFunction)(void (*)(void))waiter_start, METH_FASTCALL | METH_CLASS,
     "start(loop, meth, *args) -> Waiter: meth(waiter, *args) starts the C operation; await "
     "the waiter (loop: the asyncio loop or a weak reference to it)"},
    {"get_loop", (PyCFunction)waiter_get_loop, METH_NOARGS, "the asyncio loop"},
    {"add_done_callback", (PyCFunction)(void (*)(void))waiter_add_done_callback,
     METH_FASTCALL | METH_KEYWORDS, "add_done_callback(fn, *, context=None)"},
    {"remove_done_callback", (PyCFunction)waiter_remove_done_callback, METH_O,
     "remove_done_callback(fn) -> int"},
    {"cancel", (PyCFunction)(void (*)(void))waiter_cancel, METH_VARARGS | METH_KEYWORDS,
     "cancel(msg=None) -> False: cancels the C operation; its completion wakes the task"},
    {"result", (PyCFunction)waiter_result, METH_NOARGS, "the payload, or the error raised"},
    {"done", (PyCFunction)waiter_done_m, METH_NOARGS, "the completion came"},
    {"cancelled", (PyCFunction)waiter_cancelled, METH_NOARGS, "False (never cancelled itself)"},
    {NULL, NULL, 0, NULL}};

static PyMemberDef waiter_members[] = {
    {"_asyncio_future_blocking", T_BOOL, offsetof(pyaser_waiter, blocking), 0,
     "asyncio's future protocol: set while a task waits on it"},
    {"status", T_INT, offsetof(pyaser_waiter, status), READONLY, "the completion's status"},
    {NULL, 0, 0, 0, NULL}};

static PyType_Slot waiter_slots[] = {
    {Py_tp_new, waiter_new},
    {Py_tp_dealloc, waiter_dealloc},
    {Py_tp_traverse, waiter_traverse},
    {Py_tp_clear, waiter_clear},
    {Py_tp_call, waiter_call},
    {Py_tp_iter, waiter_await},
    {Py_tp_iternext, waiter_iternext},
    {Py_am_await, waiter_await},
    {Py_am_send, waiter_send},
    {Py_tp_methods, waiter_methods},
    {Py_tp_members, waiter_members},
    {Py_tp_doc, "Waiter(loop): the awaitable an asyncio task waits on for one C operation "
                "(pass it as the operation's callback, then await it)."},
    {0, NULL}};

PyType_Spec pyaser_waiter_spec = {
    .name = "aserial._aserial.Waiter",
    .basicsize = sizeof(pyaser_waiter),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = waiter_slots,
};
