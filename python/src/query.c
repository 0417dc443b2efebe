/* query.c: SerialPort.query in C, the package's hottest call.
 *
 * PortBase is the C base class of aserial.SerialPort. It holds what a
 * query needs (the _aserial.Port as _c, the runtime's hub as _hub, the
 * port's default eol) and implements query() without a Python frame: the
 * arguments are checked in the call (a bad one raises there) and a
 * QueryCall is returned.
 *
 * A QueryCall is a coroutine written in C (send, throw, close, __await__;
 * the package registers it as a collections.abc.Coroutine, so
 * asyncio.create_task, gather, wait_for and trio's and anyio's start_soon
 * take it). Like an async def it does nothing until it is first awaited:
 * then it makes the runtime's completion (hub.start = (Waiter, the asyncio
 * loop) or (TrioOp, trio's kit)), starts aser_query with it, and from then
 * on passes each send to what the completion gives to await. The task's
 * cancellation reaches the completion as before (Waiter.cancel, the
 * TrioOp's abort). throw() and close() while the query runs cancel the C
 * operation (a task closed or collected while it waits); dropped unawaited,
 * it warns as an unawaited coroutine does, and its request was never sent.
 *
 * Against `async def query(...)`: no Python frame, no coroutine object, no
 * bound methods, no functools.partial and no argument re-packing per
 * request, and one less level of delegation on each resume
 * (bench/results/python.md has the figures). */
#include "pyaser.h"

#include <structmember.h>

const char *const pyaser_query_kw[PYASER_QUERY_NARGS] = {
    "request", "eol", "timeout", "max_bytes", "keep_stale", "framer", "match"};
enum {
    A_REQUEST,
    A_EOL,
    A_TIMEOUT,
    A_MAX,
    A_STALE,
    A_FRAMER,
    A_MATCH
};

/* What hub.start names as the completion. */
enum {
    KIND_NONE,
    KIND_WAITER,
    KIND_TRIO
};

/* ====================================================================== */
/* QueryCall                                                               */
/* ====================================================================== */

enum {
    QC_NEW,     /* not awaited yet: the arguments are held */
    QC_RUNNING, /* started: cb is the completion, inner what is awaited */
    QC_DONE
};

typedef struct querycall {
    PyObject_HEAD PyObject *port; /* the _aserial.Port */
    PyObject *op_arg;             /* the asyncio loop (weak reference) or trio's kit */
    PyObject *req, *eol, *desc, *match;
    PyObject *cb, *inner;
    unsigned timeout_ms;
    Py_ssize_t max;
    int keep_stale, kind, state;
} querycall;

static void qc_drop_args(querycall *qc)
{
    Py_CLEAR(qc->req);
    Py_CLEAR(qc->eol);
    Py_CLEAR(qc->desc);
    Py_CLEAR(qc->match);
}

static int qc_clear(querycall *qc)
{
    qc_drop_args(qc);
    Py_CLEAR(qc->port);
    Py_CLEAR(qc->op_arg);
    Py_CLEAR(qc->cb);
    Py_CLEAR(qc->inner);
    return 0;
}

static int qc_traverse(querycall *qc, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(qc));
    Py_VISIT(qc->port);
    Py_VISIT(qc->op_arg);
    Py_VISIT(qc->req);
    Py_VISIT(qc->eol);
    Py_VISIT(qc->desc);
    Py_VISIT(qc->match);
    Py_VISIT(qc->cb);
    Py_VISIT(qc->inner);
    return 0;
}

/* Nobody will await the running query's completion: cancel the C
 * operation if it still runs, so the port is free. */
static void qc_abandon(querycall *qc)
{
    if (qc->cb && qc->kind == KIND_TRIO)
        pyaser_trioop_abandon((pyaser_trioop *)qc->cb);
    else if (qc->cb)
        pyaser_waiter_abandon((pyaser_waiter *)qc->cb);
}

/* The query ends: a running one is abandoned (its C operation cancelled). */
static int qc_finish(querycall *qc)
{
    int rc = 0;
    if (qc->state == QC_RUNNING) {
        qc_abandon(qc);
        if (qc->inner != qc->cb) { /* trio's wait coroutine */
            PyObject *res = PyObject_CallMethod(qc->inner, "close", NULL);
            if (res)
                Py_DECREF(res);
            else
                rc = -1;
        }
    }
    qc->state = QC_DONE;
    qc_drop_args(qc);
    Py_CLEAR(qc->inner);
    Py_CLEAR(qc->cb);
    return rc;
}

static void qc_dealloc(querycall *qc)
{
    PyTypeObject *tp = Py_TYPE(qc);
    PyObject_GC_UnTrack(qc);
    if (qc->state != QC_DONE) {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        if (qc->state == QC_NEW
                ? PyErr_WarnEx(PyExc_RuntimeWarning,
                               "aserial: SerialPort.query() was never awaited (its request was "
                               "not sent)",
                               1) < 0
                : qc_finish(qc) < 0)
            PyErr_WriteUnraisable((PyObject *)qc);
        PyErr_Restore(type, value, tb);
    }
    qc_clear(qc);
    tp->tp_free(qc);
    Py_DECREF(tp);
}

/* Start the query (first send): the completion, aser_query, what to await. */
static int qc_start(querycall *qc, pyaser_state *st)
{
    PyObject *cb = qc->kind == KIND_TRIO ? (PyObject *)pyaser_trioop_make(st, qc->op_arg)
                                         : (PyObject *)pyaser_waiter_make(st, qc->op_arg);
    if (!cb) return -1;
    pyaser_query_args q;
    memset(&q, 0, sizeof q);
    q.timeout_ms = qc->timeout_ms;
    q.max = qc->max;
    q.keep_stale = qc->keep_stale;
    q.framer = qc->desc ? qc->desc : Py_None;
    q.match = qc->match ? qc->match : Py_None;
    PyObject *id = NULL;
    if (PyObject_GetBuffer(qc->req, &q.req, PyBUF_SIMPLE) == 0 &&
        (qc->eol == Py_None || PyObject_GetBuffer(qc->eol, &q.eol, PyBUF_SIMPLE) == 0) &&
        pyaser_query_prepare(st, &q) == 0)
        id = pyaser_query_start((pyaser_port *)qc->port, cb, &q);
    pyaser_query_release(&q);
    qc_drop_args(qc);
    if (!id) {
        Py_DECREF(cb);
        return -1;
    }
    Py_DECREF(id);
    qc->inner = qc->kind == KIND_TRIO ? pyaser_trioop_awaitable((pyaser_trioop *)cb)
                                      : Py_NewRef(cb);
    qc->cb = cb;
    if (!qc->inner) {
        qc_abandon(qc);
        return -1;
    }
    qc->state = QC_RUNNING;
    return 0;
}

static PySendResult qc_send(querycall *qc, PyObject *arg, PyObject **result)
{
    *result = NULL;
    if (qc->state == QC_DONE) {
        PyErr_SetString(PyExc_RuntimeError, "cannot reuse already awaited coroutine");
        return PYGEN_ERROR;
    }
    if (qc->state == QC_NEW) {
        if (arg != Py_None) {
            PyErr_SetString(PyExc_TypeError,
                            "can't send non-None value to a just-started coroutine");
            return PYGEN_ERROR;
        }
        qc->state = QC_DONE; /* unless it starts */
        if (qc_start(qc, pyaser_state_from_type(Py_TYPE(qc))) < 0) return PYGEN_ERROR;
    }
    PySendResult r = PyIter_Send(qc->inner, arg, result);
    if (r != PYGEN_NEXT) {
        qc->state = QC_DONE;
        Py_CLEAR(qc->inner);
        Py_CLEAR(qc->cb);
    }
    return r;
}

static PyObject *qc_iternext(querycall *qc)
{
    PyObject *res;
    PySendResult r = qc_send(qc, Py_None, &res);
    return pyaser_next_of_send(r, res);
}

static PyObject *qc_await(querycall *qc)
{
    return Py_NewRef((PyObject *)qc);
}

/* send(value): the coroutine protocol's send. */
static PyObject *qc_send_m(querycall *qc, PyObject *arg)
{
    PyObject *res;
    PySendResult r = qc_send(qc, arg, &res);
    return pyaser_next_of_send(r, res);
}

/* throw(exc) or throw(type, value=None, traceback=None): raised where the
 * query waits, which ends it (a running C operation is cancelled). */
static PyObject *qc_throw(querycall *qc, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "throw(exc) or throw(type, value=None, traceback=None)");
        return NULL;
    }
    PyObject *typ = args[0], *val = nargs > 1 ? args[1] : Py_None,
             *tb = nargs > 2 ? args[2] : Py_None;
    if (tb != Py_None && !PyTraceBack_Check(tb)) {
        PyErr_SetString(PyExc_TypeError, "throw() third argument must be a traceback object");
        return NULL;
    }
    if (PyExceptionInstance_Check(typ)) {
        if (val != Py_None) {
            PyErr_SetString(PyExc_TypeError, "instance exception may not have a separate value");
            return NULL;
        }
        val = typ;
        typ = (PyObject *)Py_TYPE(typ);
    } else if (!PyExceptionClass_Check(typ)) {
        PyErr_Format(PyExc_TypeError,
                     "exceptions must be classes or instances deriving from BaseException, not "
                     "%.100s",
                     Py_TYPE(typ)->tp_name);
        return NULL;
    }
    if (qc_finish(qc) < 0) return NULL;
    PyErr_Restore(Py_NewRef(typ), val == Py_None ? NULL : Py_NewRef(val),
                  tb == Py_None ? NULL : Py_NewRef(tb));
    return NULL;
}

/* close(): ends the query; a running C operation is cancelled. */
static PyObject *qc_close(querycall *qc, PyObject *unused)
{
    if (qc_finish(qc) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *qc_name(querycall *qc, void *closure)
{
    return PyUnicode_FromString(closure ? "SerialPort.query" : "query");
}

static PyObject *qc_running(querycall *qc, void *closure)
{
    Py_RETURN_FALSE; /* never between a send and its return, as seen from Python */
}

static PyObject *qc_awaiting(querycall *qc, void *closure)
{
    return Py_NewRef(qc->inner ? qc->inner : Py_None);
}

static PyMethodDef qc_methods[] = {
    {"send", (PyCFunction)qc_send_m, METH_O,
     "send(value): start or resume the query; the reply comes as StopIteration's value"},
    {"throw", (PyCFunction)(void (*)(void))qc_throw, METH_FASTCALL,
     "throw(exc): raise exc where the query waits (its C operation is cancelled)"},
    {"close", (PyCFunction)qc_close, METH_NOARGS,
     "close(): end the query (its C operation is cancelled if it runs)"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef qc_getset[] = {
    {"__name__", (getter)qc_name, NULL, "query", NULL},
    {"__qualname__", (getter)qc_name, NULL, "SerialPort.query", "q"},
    {"cr_running", (getter)qc_running, NULL, "False", NULL},
    {"cr_await", (getter)qc_awaiting, NULL, "what the query waits on, or None", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot qc_slots[] = {
    {Py_tp_dealloc, qc_dealloc},
    {Py_tp_traverse, qc_traverse},
    {Py_tp_clear, qc_clear},
    {Py_tp_iternext, qc_iternext},
    {Py_am_await, qc_await},
    {Py_am_send, qc_send},
    {Py_tp_methods, qc_methods},
    {Py_tp_getset, qc_getset},
    {Py_tp_doc, "QueryCall: what SerialPort.query() returns, a coroutine in C: await it for "
                "the reply."},
    {0, NULL}};

PyType_Spec pyaser_querycall_spec = {
    .name = "aserial._aserial.QueryCall",
    .basicsize = sizeof(querycall),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = qc_slots,
};

/* ====================================================================== */
/* PortBase                                                                */
/* ====================================================================== */

typedef struct portbase {
    PyObject_HEAD PyObject *c; /* _c: the _aserial.Port */
    PyObject *hub;             /* _hub */
    PyObject *eol;             /* eol: bytes */
    PyObject *op_arg;          /* hub.start[1] */
    int kind;                  /* hub.start[0]: KIND_* */
} portbase;

static int pb_clear(portbase *pb)
{
    Py_CLEAR(pb->c);
    Py_CLEAR(pb->hub);
    Py_CLEAR(pb->eol);
    Py_CLEAR(pb->op_arg);
    return 0;
}

static int pb_traverse(portbase *pb, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(pb));
    Py_VISIT(pb->c);
    Py_VISIT(pb->hub);
    Py_VISIT(pb->eol);
    Py_VISIT(pb->op_arg);
    return 0;
}

static void pb_dealloc(portbase *pb)
{
    PyTypeObject *tp = Py_TYPE(pb);
    PyObject_GC_UnTrack(pb);
    pb_clear(pb);
    tp->tp_free(pb);
    Py_DECREF(tp);
}

static PyObject *get_or_raise(PyObject *v, const char *name)
{
    if (!v) return PyErr_Format(PyExc_AttributeError, "%s is not set", name);
    return Py_NewRef(v);
}

static PyObject *pb_get_c(portbase *pb, void *closure)
{
    return get_or_raise(pb->c, "_c");
}

static int pb_set_c(portbase *pb, PyObject *v, void *closure)
{
    pyaser_state *st = pyaser_state_from_type(Py_TYPE(pb));
    if (!v || !st || !Py_IS_TYPE(v, st->port_type)) {
        PyErr_SetString(PyExc_TypeError, "SerialPort._c must be an _aserial.Port");
        return -1;
    }
    Py_XSETREF(pb->c, Py_NewRef(v));
    return 0;
}

static PyObject *pb_get_hub(portbase *pb, void *closure)
{
    return get_or_raise(pb->hub, "_hub");
}

/* _hub = hub: hub.start says which completion a query makes, with what. */
static int pb_set_hub(portbase *pb, PyObject *v, void *closure)
{
    pyaser_state *st = pyaser_state_from_type(Py_TYPE(pb));
    PyObject *start = v && st ? PyObject_GetAttrString(v, "start") : NULL;
    int kind = KIND_NONE;
    if (start && PyTuple_Check(start) && PyTuple_GET_SIZE(start) == 2) {
        PyObject *t = PyTuple_GET_ITEM(start, 0);
        kind = t == (PyObject *)st->waiter_type   ? KIND_WAITER
               : t == (PyObject *)st->trioop_type ? KIND_TRIO
                                                  : KIND_NONE;
    }
    if (kind == KIND_NONE) {
        Py_XDECREF(start);
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError,
                        "SerialPort._hub must be an aserial hub (hub.start = (Waiter or TrioOp, "
                        "its argument))");
        return -1;
    }
    Py_XSETREF(pb->op_arg, Py_NewRef(PyTuple_GET_ITEM(start, 1)));
    Py_DECREF(start);
    Py_XSETREF(pb->hub, Py_NewRef(v));
    pb->kind = kind;
    return 0;
}

static PyObject *pb_get_eol(portbase *pb, void *closure)
{
    return get_or_raise(pb->eol, "eol");
}

static int pb_set_eol(portbase *pb, PyObject *v, void *closure)
{
    if (!v || !PyObject_CheckBuffer(v)) {
        PyErr_Format(PyExc_TypeError, "eol must be bytes (b\"\\r\\n\"), not %.100s",
                     v ? Py_TYPE(v)->tp_name : "nothing");
        return -1;
    }
    PyObject *b = PyBytes_FromObject(v);
    if (!b) return -1;
    Py_XSETREF(pb->eol, b);
    return 0;
}

/* The index of keyword name among query's arguments, or -1. */
static int kw_index(pyaser_state *st, PyObject *name)
{
    for (int i = 0; i < PYASER_QUERY_NARGS; i++)
        if (st->query_kw[i] == name) return i; /* interned: the usual case */
    for (int i = 0; PyUnicode_Check(name) && i < PYASER_QUERY_NARGS; i++)
        if (PyUnicode_CompareWithASCIIString(name, pyaser_query_kw[i]) == 0) return i;
    return -1;
}

/* Bind the call's arguments to v[] (NULL: not given); -1 with TypeError. */
static int bind_args(pyaser_state *st, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                     PyObject **v)
{
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError,
                     "query() takes 1 positional argument (the request) but %zd were given", nargs);
        return -1;
    }
    if (nargs == 1) v[A_REQUEST] = args[0];
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        int k = kw_index(st, name);
        if (k < 0) {
            PyErr_Format(PyExc_TypeError, "query() got an unexpected keyword argument '%S'", name);
            return -1;
        }
        if (v[k]) {
            PyErr_Format(PyExc_TypeError, "query() got multiple values for argument '%s'",
                         pyaser_query_kw[k]);
            return -1;
        }
        v[k] = args[nargs + i];
    }
    if (!v[A_REQUEST]) {
        PyErr_SetString(PyExc_TypeError, "query() missing 1 required argument: 'request'");
        return -1;
    }
    return 0;
}

/* Check v[] into qc's fields; -1 with the exception. */
static int check_args(querycall *qc, portbase *pb, PyObject **v)
{
    if (!PyObject_CheckBuffer(v[A_REQUEST])) {
        PyErr_Format(PyExc_TypeError,
                     "query: the request must be bytes (or bytearray, memoryview), not %.100s",
                     Py_TYPE(v[A_REQUEST])->tp_name);
        return -1;
    }
    qc->req = Py_NewRef(v[A_REQUEST]);
    PyObject *eol = v[A_EOL] && v[A_EOL] != Py_None ? v[A_EOL] : pb->eol;
    if (eol && eol != Py_None && !PyObject_CheckBuffer(eol)) {
        PyErr_Format(PyExc_TypeError, "query: eol must be bytes (b\"\\r\\n\") or None, not %.100s",
                     Py_TYPE(eol)->tp_name);
        return -1;
    }
    qc->eol = Py_NewRef(eol ? eol : Py_None);
    if (v[A_TIMEOUT] && pyaser_ms(v[A_TIMEOUT], &qc->timeout_ms) < 0) return -1;
    if (v[A_MAX]) {
        qc->max = PyLong_AsSsize_t(v[A_MAX]);
        if (qc->max == -1 && PyErr_Occurred()) return -1;
        if (qc->max < 0) {
            PyErr_SetString(PyExc_ValueError,
                            "query: max_bytes must be 0 (the read buffer's size) or more");
            return -1;
        }
    }
    if (v[A_STALE] && (qc->keep_stale = PyObject_IsTrue(v[A_STALE])) < 0) return -1;
    if (v[A_FRAMER] && v[A_FRAMER] != Py_None) {
        qc->desc = PyObject_GetAttrString(v[A_FRAMER], "desc");
        if (!qc->desc) {
            PyErr_Format(PyExc_TypeError, "query: framer must be an aserial.Framer, not %.100s",
                         Py_TYPE(v[A_FRAMER])->tp_name);
            return -1;
        }
    }
    if (v[A_MATCH] && v[A_MATCH] != Py_None) {
        if (!PyCallable_Check(v[A_MATCH])) {
            PyErr_Format(PyExc_TypeError,
                         "query: match must be callable (match(bytes) -> int), not %.100s",
                         Py_TYPE(v[A_MATCH])->tp_name);
            return -1;
        }
        qc->match = Py_NewRef(v[A_MATCH]);
    }
    return 0;
}

static PyObject *pb_query(portbase *pb, PyObject *const *args, Py_ssize_t nargsf, PyObject *kwnames)
{
    pyaser_state *st = pyaser_state_from_type(Py_TYPE(pb));
    PyObject *v[PYASER_QUERY_NARGS] = {NULL};
    if (!st || bind_args(st, args, PyVectorcall_NARGS(nargsf), kwnames, v) < 0) return NULL;
    if (!pb->c || !pb->hub) {
        PyErr_SetString(PyExc_RuntimeError, "query: the SerialPort is not initialized");
        return NULL;
    }
    querycall *qc = PyObject_GC_New(querycall, st->querycall_type);
    if (!qc) return NULL;
    qc->port = Py_NewRef(pb->c);
    qc->op_arg = Py_NewRef(pb->op_arg);
    qc->req = qc->eol = qc->desc = qc->match = qc->cb = qc->inner = NULL;
    qc->timeout_ms = 0;
    qc->max = 0;
    qc->keep_stale = 0;
    qc->kind = pb->kind;
    qc->state = QC_DONE; /* a call that fails its checks is no coroutine to warn about */
    PyObject_GC_Track(qc);
    if (check_args(qc, pb, v) < 0) {
        Py_DECREF(qc);
        return NULL;
    }
    qc->state = QC_NEW;
    return (PyObject *)qc;
}

static PyMethodDef pb_methods[] = {
    {"query", (PyCFunction)(void (*)(void))pb_query, METH_FASTCALL | METH_KEYWORDS,
     "query($self, request, *, eol=None, timeout=None, max_bytes=0, keep_stale=False, "
     "framer=None, match=None)\n--\n\n"
     "Write request and read the reply: up to eol (default: the port's eol),\n"
     "or one frame of framer (an aserial.Framer), or what match(bytes) -> N\n"
     "says (0: need more, N: the first N bytes). A coroutine:\n\n"
     "    reply = await port.query(b\"*IDN?\\n\", timeout=1.0)\n\n"
     "Queries on one port queue and never interleave; the request is written\n"
     "when the query is first awaited and the port is idle (a cancelled query\n"
     "waiting behind another is never sent). Input received before the\n"
     "request is discarded unless keep_stale. max_bytes bounds the reply (0:\n"
     "the read buffer's size). timeout (seconds; None: none) covers the time\n"
     "spent queued and raises SerialTimeoutError; the runtime's cancellation\n"
     "cancels the C operation and leaves the port usable. Bad arguments\n"
     "raise TypeError or ValueError in the call."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef pb_getset[] = {
    {"_c", (getter)pb_get_c, (setter)pb_set_c, "the _aserial.Port", NULL},
    {"_hub", (getter)pb_get_hub, (setter)pb_set_hub, "the runtime's hub", NULL},
    {"eol", (getter)pb_get_eol, (setter)pb_set_eol,
     "the port's default end of reply for query() and readline() (bytes)", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot pb_slots[] = {
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, pb_dealloc},
    {Py_tp_traverse, pb_traverse},
    {Py_tp_clear, pb_clear},
    {Py_tp_methods, pb_methods},
    {Py_tp_getset, pb_getset},
    {Py_tp_doc, "PortBase: the C half of aserial.SerialPort (its query)."},
    {0, NULL}};

PyType_Spec pyaser_portbase_spec = {
    .name = "aserial._aserial.PortBase",
    .basicsize = sizeof(portbase),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .slots = pb_slots,
};
