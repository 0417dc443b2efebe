/* ops.c: the Port's one-shot operations.
 *
 * Asynchronous (a port on a Loop): each takes a callable cb (first) and returns
 * the operation id (for cancel()); cb(status, payload) runs exactly once
 * from Loop.run_once(): status 0 with the bytes (None for writes and
 * drains), or a negative ASER_E* code with the port's message (str). If
 * the call fails to start, it raises and cb is never called.
 *
 * Blocking (a port opened with loop None): the *_sync twins return the
 * bytes (or None) or raise, releasing the GIL while they wait. */
#include "pyaser.h"

#define STATE(self) pyaser_state_from_type(Py_TYPE(self))

/* ====================================================================== */
/* Completions                                                             */
/* ====================================================================== */

typedef struct op {
    PyObject *cb;
    pyaser_port *port;
    PyObject *match; /* query(match=) callable, or NULL */
} op;

static op *op_new(pyaser_port *po, PyObject *cb)
{
    if (!PyCallable_Check(cb)) {
        PyErr_SetString(PyExc_TypeError, "the completion callback must be callable");
        return NULL;
    }
    op *o = PyMem_Malloc(sizeof *o);
    if (!o) {
        PyErr_NoMemory();
        return NULL;
    }
    o->cb = Py_NewRef(cb);
    o->port = (pyaser_port *)Py_NewRef((PyObject *)po);
    o->match = NULL;
    return o;
}

static void op_free(op *o)
{
    Py_DECREF(o->cb);
    Py_DECREF(o->port);
    Py_XDECREF(o->match);
    PyMem_Free(o);
}

static void op_finish(op *o, aser_port *p, int status, PyObject *payload)
{
    PyObject *res = NULL;
    if (!payload) {
        const char *msg = aser_port_errmsg(p);
        payload = PyUnicode_FromString(msg && *msg ? msg : aser_strerror(status));
    }
    pyaser_state *st = pyaser_state_from_type(Py_TYPE(o->port));
    if (payload && st && Py_IS_TYPE(o->cb, st->waiter_type)) {
        if (pyaser_waiter_complete((pyaser_waiter *)o->cb, o->port->loop, status, payload) == 0)
            res = Py_NewRef(Py_None);
    } else if (payload && st && Py_IS_TYPE(o->cb, st->trioop_type)) {
        pyaser_loop *lo = o->port->loop;
        if (pyaser_trioop_complete((pyaser_trioop *)o->cb, status, payload, lo && lo->running) == 0)
            res = Py_NewRef(Py_None);
    } else if (payload) {
        res = PyObject_CallFunction(o->cb, "iO", status, payload);
    }
    if (!res)
        pyaser_loop_keep_error(o->port->loop);
    else
        Py_DECREF(res);
    Py_XDECREF(payload);
    op_free(o);
}

static void on_read(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    PyObject *payload = NULL;
    if (status >= 0) payload = PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)len);
    op_finish(ctx, p, status, payload);
}

static void on_done(aser_port *p, int status, void *ctx)
{
    op_finish(ctx, p, status, status >= 0 ? Py_NewRef(Py_None) : NULL);
}

/* The id, or the error raised with cb dropped (never called). */
static PyObject *started(pyaser_port *po, op *o, int rc)
{
    if (rc >= 0) {
        pyaser_state *st = STATE(po);
        if (o && Py_IS_TYPE(o->cb, st->waiter_type))
            pyaser_waiter_started((pyaser_waiter *)o->cb, po, rc);
        else if (o && Py_IS_TYPE(o->cb, st->trioop_type))
            pyaser_trioop_started((pyaser_trioop *)o->cb, po, rc);
        return PyLong_FromLong(rc);
    }
    if (o) op_free(o);
    return pyaser_raise(STATE(po), rc, po->p ? aser_port_errmsg(po->p) : NULL);
}

#define NEED_OPEN(po) \
    if (!(po)->p) return pyaser_raise(STATE(po), ASER_ECLOSED, "the port is closed")

/* ====================================================================== */
/* Asynchronous operations                                                 */
/* ====================================================================== */

PyObject *pyaser_op_read(pyaser_port *po, PyObject *args)
{
    Py_ssize_t max;
    unsigned timeout_ms;
    PyObject *cb;
    if (!PyArg_ParseTuple(args, "OnI:read", &cb, &max, &timeout_ms)) return NULL;
    NEED_OPEN(po);
    op *o = op_new(po, cb);
    if (!o) return NULL;
    return started(po, o, aser_read(po->p, (size_t)max, timeout_ms, on_read, o));
}

PyObject *pyaser_op_read_exactly(pyaser_port *po, PyObject *args)
{
    Py_ssize_t n;
    unsigned timeout_ms;
    PyObject *cb;
    if (!PyArg_ParseTuple(args, "OnI:read_exactly", &cb, &n, &timeout_ms)) return NULL;
    NEED_OPEN(po);
    op *o = op_new(po, cb);
    if (!o) return NULL;
    return started(po, o, aser_read_exactly(po->p, (size_t)n, timeout_ms, on_read, o));
}

PyObject *pyaser_op_read_until(pyaser_port *po, PyObject *args)
{
    Py_buffer delim;
    Py_ssize_t max;
    unsigned timeout_ms;
    PyObject *cb;
    if (!PyArg_ParseTuple(args, "Oy*nI:read_until", &cb, &delim, &max, &timeout_ms)) return NULL;
    PyObject *ret = NULL;
    if (!po->p) {
        ret = pyaser_raise(STATE(po), ASER_ECLOSED, "the port is closed");
    } else {
        op *o = op_new(po, cb);
        if (o)
            ret = started(po, o,
                          aser_read_until(po->p, delim.buf, (size_t)delim.len, (size_t)max,
                                          timeout_ms, on_read, o));
    }
    PyBuffer_Release(&delim);
    return ret;
}

PyObject *pyaser_op_read_frame(pyaser_port *po, PyObject *args)
{
    PyObject *desc, *cb;
    unsigned timeout_ms;
    if (!PyArg_ParseTuple(args, "OOI:read_frame", &cb, &desc, &timeout_ms)) return NULL;
    NEED_OPEN(po);
    aser_framer f;
    if (pyaser_framer_from(STATE(po), desc, &f) < 0) return NULL;
    op *o = op_new(po, cb);
    if (!o) return NULL;
    return started(po, o, aser_read_frame(po->p, &f, timeout_ms, on_read, o));
}

/* write(cb, data, timeout_ms=0): cb may be None (nothing reported). */
PyObject *pyaser_op_write(pyaser_port *po, PyObject *args)
{
    Py_buffer data;
    PyObject *cb = Py_None;
    unsigned timeout_ms = 0;
    if (!PyArg_ParseTuple(args, "Oy*|I:write", &cb, &data, &timeout_ms)) return NULL;
    PyObject *ret = NULL;
    op *o = NULL;
    if (!po->p) {
        ret = pyaser_raise(STATE(po), ASER_ECLOSED, "the port is closed");
    } else if (cb == Py_None || (o = op_new(po, cb))) {
        aser_done_cb fn = o ? on_done : NULL;
        int rc = timeout_ms ? aser_write_timed(po->p, data.buf, (size_t)data.len, timeout_ms, fn, o)
                            : aser_write(po->p, data.buf, (size_t)data.len, fn, o);
        ret = started(po, o, rc);
    }
    PyBuffer_Release(&data);
    return ret;
}

PyObject *pyaser_op_drain(pyaser_port *po, PyObject *args)
{
    unsigned timeout_ms;
    PyObject *cb;
    if (!PyArg_ParseTuple(args, "OI:drain", &cb, &timeout_ms)) return NULL;
    NEED_OPEN(po);
    op *o = op_new(po, cb);
    if (!o) return NULL;
    return started(po, o, aser_drain(po->p, timeout_ms, on_done, o));
}

/* close_drain(cb, timeout_ms): close once the output has drained. */
PyObject *pyaser_op_close_drain(pyaser_port *po, PyObject *args)
{
    unsigned timeout_ms;
    PyObject *cb;
    if (!PyArg_ParseTuple(args, "OI:close_drain", &cb, &timeout_ms)) return NULL;
    NEED_OPEN(po);
    op *o = op_new(po, cb);
    if (!o) return NULL;
    int rc = aser_close_drain(po->p, timeout_ms, on_done, o);
    if (rc < 0) return started(po, o, rc);
    /* The port is closing: no streaming callback may outlive the object. */
    if (po->on_data) aser_on_data(po->p, NULL, NULL);
    if (po->on_writable) aser_on_writable(po->p, NULL, NULL);
    if (po->on_lines) aser_on_lines(po->p, 0, NULL, NULL);
    Py_CLEAR(po->on_data);
    Py_CLEAR(po->on_writable);
    Py_CLEAR(po->on_lines);
    po->p = NULL;
    if (po->loop) po->loop->users--;
    Py_RETURN_NONE;
}

/* A query's match callable: match(bytes) -> 0 (need more), N (the reply
 * is the first N bytes) or a negative code. */
static ssize_t on_match(const uint8_t *data, size_t len, const char **why, void *ctx)
{
    op *o = ctx;
    PyObject *res = PyObject_CallFunction(o->match, "y#", (const char *)data, (Py_ssize_t)len);
    if (!res) {
        pyaser_loop_keep_error(o->port->loop);
        *why = "the query's match callable raised an exception";
        return ASER_EPROTO;
    }
    long n = PyLong_AsLong(res);
    Py_DECREF(res);
    if (n == -1 && PyErr_Occurred()) {
        pyaser_loop_keep_error(o->port->loop);
        *why = "the query's match callable must return an int";
        return ASER_EPROTO;
    }
    if (n > (long)len) {
        *why = "the query's match callable returned more bytes than it was given";
        return ASER_EPROTO;
    }
    return (ssize_t)n;
}

typedef pyaser_query_args query_args;

/* The asynchronous query as the package calls it (all eight arguments
 * positional, bytes, ints and a bool) without the format parser, which
 * costs more than the rest of the call. 1 if it was that call, 0 if the
 * parser must take it, -1 with an exception. */
static int parse_query_fast(PyObject *args, PyObject *kwds, PyObject **cb, query_args *q)
{
    if (!cb || (kwds && PyDict_GET_SIZE(kwds) > 0) || PyTuple_GET_SIZE(args) != 8) return 0;
    PyObject *const *a = &PyTuple_GET_ITEM(args, 0);
    if (!PyBytes_CheckExact(a[1]) || !(a[2] == Py_None || PyBytes_CheckExact(a[2])) ||
        !PyLong_CheckExact(a[3]) || !PyLong_CheckExact(a[4]) || !PyBool_Check(a[5]))
        return 0;
    q->timeout_ms = (unsigned)PyLong_AsUnsignedLongMask(a[3]); /* as format "I" */
    q->max = PyLong_AsSsize_t(a[4]);
    if (q->max == -1 && PyErr_Occurred()) return -1;
    if (PyObject_GetBuffer(a[1], &q->req, PyBUF_SIMPLE) < 0) return -1;
    if (a[2] != Py_None && PyObject_GetBuffer(a[2], &q->eol, PyBUF_SIMPLE) < 0) return -1;
    q->keep_stale = a[5] == Py_True;
    q->framer = a[6];
    q->match = a[7];
    *cb = a[0];
    return 1;
}

static int parse_query(pyaser_port *po, PyObject *args, PyObject *kwds, const char *fmt,
                       PyObject **cb, query_args *q)
{
    static char *kw_async[] = {"cb",         "req",    "eol",   "timeout_ms", "max",
                               "keep_stale", "framer", "match", NULL};
    static char *kw_sync[] = {"req", "eol", "timeout_ms", "max", "keep_stale", "framer", NULL};
    memset(q, 0, sizeof *q);
    q->framer = q->match = Py_None;
    int fast = parse_query_fast(args, kwds, cb, q);
    if (fast < 0) return -1;
    int ok = fast;
    if (!fast && cb)
        ok = PyArg_ParseTupleAndKeywords(args, kwds, fmt, kw_async, cb, &q->req, &q->eol,
                                         &q->timeout_ms, &q->max, &q->keep_stale, &q->framer,
                                         &q->match);
    else if (!fast)
        ok = PyArg_ParseTupleAndKeywords(args, kwds, fmt, kw_sync, &q->req, &q->eol, &q->timeout_ms,
                                         &q->max, &q->keep_stale, &q->framer);
    if (!ok) return -1;
    return pyaser_query_prepare(STATE(po), q);
}

int pyaser_query_prepare(pyaser_state *st, pyaser_query_args *q)
{
    q->opts = (aser_query_opts){
        .timeout_ms = q->timeout_ms, .max = (size_t)q->max, .keep_stale = q->keep_stale};
    if (q->eol.buf && q->eol.len > 0) {
        q->opts.eol = q->eol.buf;
        q->opts.eol_len = (size_t)q->eol.len;
    }
    if (q->framer != Py_None) {
        if (pyaser_framer_from(st, q->framer, &q->f) < 0) return -1;
        q->opts.framer = &q->f;
    }
    if (q->match != Py_None && !PyCallable_Check(q->match)) {
        PyErr_SetString(PyExc_TypeError, "query: match must be callable");
        return -1;
    }
    return 0;
}

void pyaser_query_release(pyaser_query_args *q)
{
    if (q->req.obj) PyBuffer_Release(&q->req);
    if (q->eol.obj) PyBuffer_Release(&q->eol);
}

/* query(cb, req, eol=None, timeout_ms=0, max=0, keep_stale=False,
 * framer=None, match=None) -> id */
PyObject *pyaser_op_query(pyaser_port *po, PyObject *args, PyObject *kwds)
{
    query_args q;
    PyObject *cb = NULL, *ret = NULL;
    if (parse_query(po, args, kwds, "Oy*|z*InpOO:query", &cb, &q) == 0)
        ret = pyaser_query_start(po, cb, &q);
    pyaser_query_release(&q);
    return ret;
}

PyObject *pyaser_query_start(pyaser_port *po, PyObject *cb, pyaser_query_args *q)
{
    if (!po->p) return pyaser_raise(STATE(po), ASER_ECLOSED, "the port is closed");
    op *o = op_new(po, cb);
    if (!o) return NULL;
    if (q->match != Py_None) {
        o->match = Py_NewRef(q->match);
        q->opts.match = on_match;
        q->opts.match_ctx = o;
    }
    return started(po, o, aser_query(po->p, q->req.buf, (size_t)q->req.len, &q->opts, on_read, o));
}

/* ====================================================================== */
/* Blocking operations (GIL released)                                      */
/* ====================================================================== */

#define NEED_SYNC(po)                                                                    \
    NEED_OPEN(po);                                                                       \
    if ((po)->loop)                                                                      \
    return pyaser_raise(STATE(po), ASER_EINVAL,                                          \
                        "the blocking calls need a port opened without a loop (aserial." \
                        "sync.SerialPort)")

/* Turn n (bytes stored in *buf, or a negative code) into the result. */
static PyObject *sync_result(pyaser_port *po, ssize_t n, PyObject *buf)
{
    if (n < 0) {
        Py_DECREF(buf);
        return pyaser_raise(STATE(po), (int)n, aser_port_errmsg(po->p));
    }
    if (_PyBytes_Resize(&buf, (Py_ssize_t)n) < 0) return NULL;
    return buf;
}

PyObject *pyaser_op_read_sync(pyaser_port *po, PyObject *args)
{
    Py_ssize_t max;
    unsigned timeout_ms;
    int exactly = 0;
    if (!PyArg_ParseTuple(args, "nI|p:read_sync", &max, &timeout_ms, &exactly)) return NULL;
    NEED_SYNC(po);
    if (max <= 0) return pyaser_raise(STATE(po), ASER_EINVAL, "read: max must be at least 1");
    PyObject *buf = PyBytes_FromStringAndSize(NULL, max);
    if (!buf) return NULL;
    aser_port *p = po->p;
    char *b = PyBytes_AS_STRING(buf);
    ssize_t n;
    PyThreadState *ts_ = PyEval_SaveThread();
    n = exactly ? aser_read_exactly_sync(p, b, (size_t)max, timeout_ms)
                : aser_read_sync(p, b, (size_t)max, timeout_ms);
    PyEval_RestoreThread(ts_);
    return sync_result(po, n, buf);
}

PyObject *pyaser_op_read_until_sync(pyaser_port *po, PyObject *args)
{
    Py_buffer delim;
    Py_ssize_t max;
    unsigned timeout_ms;
    if (!PyArg_ParseTuple(args, "y*nI:read_until_sync", &delim, &max, &timeout_ms)) return NULL;
    PyObject *buf = NULL;
    ssize_t n = ASER_ECLOSED;
    if (po->p && !po->loop && max > 0 && (buf = PyBytes_FromStringAndSize(NULL, max))) {
        aser_port *p = po->p;
        char *b = PyBytes_AS_STRING(buf);
        PyThreadState *ts_ = PyEval_SaveThread();
        n = aser_read_until_sync(p, delim.buf, (size_t)delim.len, b, (size_t)max, timeout_ms);
        PyEval_RestoreThread(ts_);
    }
    PyBuffer_Release(&delim);
    if (!buf) {
        if (PyErr_Occurred()) return NULL;
        NEED_SYNC(po);
        return pyaser_raise(STATE(po), ASER_EINVAL, "read_until: max must be at least 1");
    }
    return sync_result(po, n, buf);
}

PyObject *pyaser_op_read_frame_sync(pyaser_port *po, PyObject *args)
{
    PyObject *desc;
    Py_ssize_t max;
    unsigned timeout_ms;
    if (!PyArg_ParseTuple(args, "OnI:read_frame_sync", &desc, &max, &timeout_ms)) return NULL;
    NEED_SYNC(po);
    aser_framer f;
    if (pyaser_framer_from(STATE(po), desc, &f) < 0) return NULL;
    PyObject *buf = PyBytes_FromStringAndSize(NULL, max > 0 ? max : 4096);
    if (!buf) return NULL;
    aser_port *p = po->p;
    char *b = PyBytes_AS_STRING(buf);
    size_t cap = (size_t)PyBytes_GET_SIZE(buf);
    ssize_t n;
    PyThreadState *ts_ = PyEval_SaveThread();
    n = aser_read_frame_sync(p, &f, b, cap, timeout_ms);
    PyEval_RestoreThread(ts_);
    return sync_result(po, n, buf);
}

PyObject *pyaser_op_write_sync(pyaser_port *po, PyObject *args)
{
    Py_buffer data;
    unsigned timeout_ms;
    if (!PyArg_ParseTuple(args, "y*I:write_sync", &data, &timeout_ms)) return NULL;
    int rc = ASER_ECLOSED;
    if (po->p && !po->loop) {
        aser_port *p = po->p;
        PyThreadState *ts_ = PyEval_SaveThread();
        rc = aser_write_sync(p, data.buf, (size_t)data.len, timeout_ms);
        PyEval_RestoreThread(ts_);
    }
    PyBuffer_Release(&data);
    NEED_SYNC(po);
    if (rc < 0) return pyaser_raise(STATE(po), rc, aser_port_errmsg(po->p));
    Py_RETURN_NONE;
}

PyObject *pyaser_op_drain_sync(pyaser_port *po, PyObject *args)
{
    unsigned timeout_ms;
    if (!PyArg_ParseTuple(args, "I:drain_sync", &timeout_ms)) return NULL;
    NEED_SYNC(po);
    aser_port *p = po->p;
    int rc;
    PyThreadState *ts_ = PyEval_SaveThread();
    rc = aser_drain_sync(p, timeout_ms);
    PyEval_RestoreThread(ts_);
    if (rc < 0) return pyaser_raise(STATE(po), rc, aser_port_errmsg(po->p));
    Py_RETURN_NONE;
}

/* query_sync(req, eol=None, timeout_ms=0, max=0, keep_stale=False,
 * framer=None) -> bytes */
PyObject *pyaser_op_query_sync(pyaser_port *po, PyObject *args, PyObject *kwds)
{
    query_args q;
    PyObject *ret = NULL;
    if (parse_query(po, args, kwds, "y*|z*InpO:query_sync", NULL, &q) == 0) {
        Py_ssize_t cap = q.max > 0 ? q.max : 4096;
        PyObject *buf = NULL;
        if (!po->p || po->loop) {
            ret = pyaser_raise(STATE(po), po->p ? ASER_EINVAL : ASER_ECLOSED,
                               po->p ? "query_sync needs a blocking port" : "the port is closed");
        } else if ((buf = PyBytes_FromStringAndSize(NULL, cap))) {
            aser_port *p = po->p;
            char *b = PyBytes_AS_STRING(buf);
            ssize_t n;
            PyThreadState *ts_ = PyEval_SaveThread();
            n = aser_query_sync(p, q.req.buf, (size_t)q.req.len, &q.opts, b, (size_t)cap);
            PyEval_RestoreThread(ts_);
            ret = sync_result(po, n, buf);
        }
    }
    pyaser_query_release(&q);
    return ret;
}
