/* port.c: the Port type: open, close, settings, lines, capabilities and
 * the streaming callbacks (data, frames, writable, lines, link). The
 * one-shot operations (reads, writes, queries) are in ops.c. */
#include "pyaser.h"
#include <structmember.h>

#define STATE(self) pyaser_state_from_type(Py_TYPE(self))

/* ====================================================================== */
/* Life cycle                                                              */
/* ====================================================================== */

PyObject *pyaser_port_wrap(pyaser_state *st, aser_port *p, pyaser_loop *loop)
{
    pyaser_port *po = PyObject_GC_New(pyaser_port, st->port_type);
    if (!po) {
        aser_close(p);
        return NULL;
    }
    po->p = p;
    po->loop = (pyaser_loop *)Py_XNewRef((PyObject *)loop);
    if (loop) loop->users++;
    po->on_data = po->on_writable = po->on_lines = po->on_link = NULL;
    po->weakrefs = NULL;
    po->sim = NULL;
    PyObject_GC_Track(po);
    return (PyObject *)po;
}

PyObject *pyaser_open(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"loop", "url", "config", NULL};
    pyaser_state *st = pyaser_state_of(module);
    PyObject *loop_obj, *config = Py_None;
    const char *url;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "Os|O:open", kwlist, &loop_obj, &url, &config))
        return NULL;
    pyaser_loop *lo = NULL;
    if (loop_obj != Py_None) {
        if (!PyObject_TypeCheck(loop_obj, st->loop_type)) {
            PyErr_SetString(PyExc_TypeError, "open: loop must be an aserial Loop or None");
            return NULL;
        }
        lo = (pyaser_loop *)loop_obj;
        if (!lo->loop) {
            PyErr_SetString(PyExc_ValueError, "open: the aserial loop is closed");
            return NULL;
        }
    }
    aser_config cfg;
    if (pyaser_config_from(st, config, &cfg) < 0) return NULL;
    aser_port *p = NULL;
    aser_err err = {0};
    int rc;
    if (lo) {
        rc = aser_open(lo->loop, url, &cfg, &p, &err);
    } else {
        /* A blocking open may connect and wait for acknowledgements. */
        PyThreadState *ts_ = PyEval_SaveThread();
        rc = aser_open(NULL, url, &cfg, &p, &err);
        PyEval_RestoreThread(ts_);
    }
    if (rc < 0) return pyaser_raise(st, rc, err.msg);
    return pyaser_port_wrap(st, p, lo);
}

/* Stop every streaming callback and close the C port. Pending one-shot
 * operations complete with ASER_ECLOSED from the loop. */
static void port_close_c(pyaser_port *po)
{
    aser_port *p = po->p;
    if (!p) return;
    po->p = NULL;
    if (po->sim) aser_sim_stop(po->sim);
    po->sim = NULL;
    if (po->on_data) aser_on_data(p, NULL, NULL);
    if (po->on_writable) aser_on_writable(p, NULL, NULL);
    if (po->on_lines) aser_on_lines(p, 0, NULL, NULL);
    if (po->on_link) aser_set_reconnect(p, &(aser_reconnect_opts){.enabled = false});
    aser_close(p);
    if (po->loop) po->loop->users--;
    Py_CLEAR(po->on_data);
    Py_CLEAR(po->on_writable);
    Py_CLEAR(po->on_lines);
    Py_CLEAR(po->on_link);
}

static void port_dealloc(pyaser_port *po)
{
    PyTypeObject *tp = Py_TYPE(po);
    PyObject_GC_UnTrack(po);
    if (po->weakrefs) PyObject_ClearWeakRefs((PyObject *)po);
    port_close_c(po);
    Py_CLEAR(po->loop);
    tp->tp_free(po);
    Py_DECREF(tp);
}

static int port_traverse(pyaser_port *po, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(po));
    Py_VISIT(po->loop);
    Py_VISIT(po->on_data);
    Py_VISIT(po->on_writable);
    Py_VISIT(po->on_lines);
    Py_VISIT(po->on_link);
    return 0;
}

static int port_clear(pyaser_port *po)
{
    port_close_c(po);
    Py_CLEAR(po->loop);
    return 0;
}

static PyObject *port_close(pyaser_port *po, PyObject *unused)
{
    port_close_c(po);
    Py_RETURN_NONE;
}

/* ====================================================================== */
/* Settings, lines, capabilities                                           */
/* ====================================================================== */

static PyObject *closed_error(pyaser_port *po)
{
    return pyaser_raise(STATE(po), ASER_ECLOSED, "the port is closed");
}

#define NEED_OPEN(po) \
    if (!(po)->p) return closed_error(po)

static PyObject *check_rc(pyaser_port *po, int rc)
{
    if (rc < 0) return pyaser_raise(STATE(po), rc, aser_port_errmsg(po->p));
    Py_RETURN_NONE;
}

static PyObject *port_configure(pyaser_port *po, PyObject *arg)
{
    NEED_OPEN(po);
    aser_config cfg;
    aser_port_config(po->p, &cfg);
    const char *s = PyUnicode_AsUTF8(arg);
    if (!s) return NULL;
    aser_err err = {0};
    int rc = aser_config_parse(&cfg, s, &err);
    if (rc == 0) rc = aser_configure(po->p, &cfg, &err);
    if (rc < 0) return pyaser_raise(STATE(po), rc, err.msg);
    Py_RETURN_NONE;
}

static PyObject *port_cap(pyaser_port *po, PyObject *arg)
{
    NEED_OPEN(po);
    long f = PyLong_AsLong(arg);
    if (f == -1 && PyErr_Occurred()) return NULL;
    if (f < 0 || f >= ASER_FEAT_COUNT_) {
        PyErr_Format(PyExc_ValueError, "cap: no feature %ld (0..%d)", f, ASER_FEAT_COUNT_ - 1);
        return NULL;
    }
    const char *reason = NULL;
    aser_cap c = aser_port_cap(po->p, (aser_feature)f, &reason);
    return Py_BuildValue("(iz)", (int)c, reason);
}

static PyObject *port_set_lines(pyaser_port *po, PyObject *args)
{
    unsigned mask, values;
    if (!PyArg_ParseTuple(args, "II:set_lines", &mask, &values)) return NULL;
    NEED_OPEN(po);
    return check_rc(po, aser_set_lines(po->p, mask, values));
}

static PyObject *port_send_break(pyaser_port *po, PyObject *args)
{
    unsigned ms = 0;
    if (!PyArg_ParseTuple(args, "|I:send_break", &ms)) return NULL;
    NEED_OPEN(po);
    int rc;
    if (po->loop) {
        rc = aser_send_break(po->p, ms);
    } else {
        aser_port *p = po->p;
        PyThreadState *ts_ = PyEval_SaveThread();
        rc = aser_send_break(p, ms);
        PyEval_RestoreThread(ts_);
    }
    return check_rc(po, rc);
}

static PyObject *port_discard(pyaser_port *po, PyObject *args)
{
    int which = ASER_DISCARD_BOTH;
    if (!PyArg_ParseTuple(args, "|i:discard", &which)) return NULL;
    NEED_OPEN(po);
    return check_rc(po, aser_discard(po->p, which));
}

static PyObject *port_cancel(pyaser_port *po, PyObject *args)
{
    int id;
    if (!PyArg_ParseTuple(args, "i:cancel", &id)) return NULL;
    if (!po->p) Py_RETURN_FALSE;
    return PyBool_FromLong(aser_cancel(po->p, id) == 0);
}

/* ====================================================================== */
/* Streaming callbacks                                                     */
/* ====================================================================== */

static void call_kept(pyaser_port *po, PyObject *fn, PyObject *res)
{
    (void)fn;
    if (!res)
        pyaser_loop_keep_error(po->loop);
    else
        Py_DECREF(res);
}

static void on_data_cb(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    pyaser_port *po = ctx;
    PyObject *fn = Py_XNewRef(po->on_data);
    if (!fn) return;
    Py_INCREF(po);
    if (status < 0 && (status != ASER_ENOBUFS && status != ASER_EPROTO)) {
        Py_CLEAR(po->on_data); /* the end of the stream, reported once */
    }
    PyObject *res;
    if (status < 0) {
        const char *msg = aser_port_errmsg(p);
        res = PyObject_CallFunction(fn, "is", status, msg && *msg ? msg : aser_strerror(status));
    } else {
        res = PyObject_CallFunction(fn, "iy#", status, (const char *)data, (Py_ssize_t)len);
    }
    call_kept(po, fn, res);
    Py_DECREF(fn);
    Py_DECREF(po);
}

/* on_data(cb or None): cb(status, bytes) for every chunk; cb(status < 0,
 * message) once at the end of the stream. */
static PyObject *port_on_data(pyaser_port *po, PyObject *cb)
{
    NEED_OPEN(po);
    if (cb != Py_None && !PyCallable_Check(cb)) {
        PyErr_SetString(PyExc_TypeError, "on_data needs a callable or None");
        return NULL;
    }
    int rc = aser_on_data(po->p, cb == Py_None ? NULL : on_data_cb, po);
    if (rc < 0) return check_rc(po, rc);
    Py_XSETREF(po->on_data, cb == Py_None ? NULL : Py_NewRef(cb));
    Py_RETURN_NONE;
}

/* on_frame(framer, cb or None): cb(status, frame) per frame, as on_data. */
static PyObject *port_on_frame(pyaser_port *po, PyObject *args)
{
    PyObject *desc, *cb;
    if (!PyArg_ParseTuple(args, "OO:on_frame", &desc, &cb)) return NULL;
    NEED_OPEN(po);
    if (cb == Py_None) {
        aser_on_frame(po->p, NULL, NULL, NULL);
        Py_CLEAR(po->on_data);
        Py_RETURN_NONE;
    }
    aser_framer f;
    if (pyaser_framer_from(STATE(po), desc, &f) < 0) return NULL;
    int rc = aser_on_frame(po->p, &f, on_data_cb, po);
    if (rc < 0) return check_rc(po, rc);
    Py_XSETREF(po->on_data, Py_NewRef(cb));
    Py_RETURN_NONE;
}

static void on_writable_cb(aser_port *p, size_t queued, void *ctx)
{
    pyaser_port *po = ctx;
    if (!po->on_writable) return;
    Py_INCREF(po);
    PyObject *fn = Py_NewRef(po->on_writable);
    call_kept(po, fn, PyObject_CallFunction(fn, "n", (Py_ssize_t)queued));
    Py_DECREF(fn);
    Py_DECREF(po);
}

static PyObject *port_on_writable(pyaser_port *po, PyObject *cb)
{
    NEED_OPEN(po);
    int rc = aser_on_writable(po->p, cb == Py_None ? NULL : on_writable_cb, po);
    if (rc < 0) return check_rc(po, rc);
    Py_XSETREF(po->on_writable, cb == Py_None ? NULL : Py_NewRef(cb));
    Py_RETURN_NONE;
}

static void on_lines_cb(aser_port *p, unsigned lines, unsigned changed, unsigned errors, void *ctx)
{
    pyaser_port *po = ctx;
    if (!po->on_lines) return;
    Py_INCREF(po);
    PyObject *fn = Py_NewRef(po->on_lines);
    call_kept(po, fn, PyObject_CallFunction(fn, "III", lines, changed, errors));
    Py_DECREF(fn);
    Py_DECREF(po);
}

static PyObject *port_on_lines(pyaser_port *po, PyObject *args)
{
    unsigned poll_ms;
    PyObject *cb;
    if (!PyArg_ParseTuple(args, "IO:on_lines", &poll_ms, &cb)) return NULL;
    NEED_OPEN(po);
    int rc = aser_on_lines(po->p, poll_ms, cb == Py_None ? NULL : on_lines_cb, po);
    if (rc < 0) return check_rc(po, rc);
    Py_XSETREF(po->on_lines, cb == Py_None ? NULL : Py_NewRef(cb));
    Py_RETURN_NONE;
}

static void on_link_cb(aser_port *p, aser_link_event ev, void *ctx)
{
    pyaser_port *po = ctx;
    if (!po->on_link) return;
    Py_INCREF(po);
    PyObject *fn = Py_NewRef(po->on_link);
    call_kept(po, fn, PyObject_CallFunction(fn, "i", (int)ev));
    Py_DECREF(fn);
    Py_DECREF(po);
}

/* set_reconnect(enabled, min_delay_ms=0, max_delay_ms=0, max_attempts=0,
 * wait_while_down=False, cb=None): cb(event) hears LINK_* events. */
static PyObject *port_set_reconnect(pyaser_port *po, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {
        "enabled", "min_delay_ms", "max_delay_ms", "max_attempts", "wait_while_down", "cb", NULL};
    int enabled, wait = 0;
    unsigned mn = 0, mx = 0, attempts = 0;
    PyObject *cb = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "p|IIIpO:set_reconnect", kwlist, &enabled, &mn,
                                     &mx, &attempts, &wait, &cb))
        return NULL;
    NEED_OPEN(po);
    aser_reconnect_opts o = {.enabled = enabled,
                             .min_delay_ms = mn,
                             .max_delay_ms = mx,
                             .max_attempts = attempts,
                             .wait_while_down = wait,
                             .cb = cb == Py_None ? NULL : on_link_cb,
                             .ctx = po};
    int rc = aser_set_reconnect(po->p, &o);
    if (rc < 0) return check_rc(po, rc);
    Py_XSETREF(po->on_link, cb == Py_None ? NULL : Py_NewRef(cb));
    Py_RETURN_NONE;
}

/* ====================================================================== */
/* Attributes                                                              */
/* ====================================================================== */

static PyObject *get_closed(pyaser_port *po, void *u)
{
    return PyBool_FromLong(po->p == NULL);
}

static PyObject *get_name(pyaser_port *po, void *u)
{
    NEED_OPEN(po);
    return PyUnicode_FromString(aser_port_name(po->p));
}

static PyObject *get_path(pyaser_port *po, void *u)
{
    NEED_OPEN(po);
    const char *s = aser_port_path(po->p);
    return PyUnicode_FromString(s ? s : "");
}

static PyObject *get_errmsg(pyaser_port *po, void *u)
{
    if (!po->p) return PyUnicode_FromString("");
    return PyUnicode_FromString(aser_port_errmsg(po->p));
}

static PyObject *get_config(pyaser_port *po, void *u)
{
    NEED_OPEN(po);
    aser_config cfg;
    aser_port_config(po->p, &cfg);
    char buf[512];
    int n = aser_config_format(&cfg, buf, sizeof buf);
    if (n < 0) return pyaser_raise(STATE(po), n, NULL);
    return PyUnicode_FromString(buf);
}

static PyObject *get_lines(pyaser_port *po, void *u)
{
    NEED_OPEN(po);
    int rc = aser_port_lines(po->p);
    if (rc < 0) return pyaser_raise(STATE(po), rc, aser_port_errmsg(po->p));
    return PyLong_FromLong(rc);
}

static PyObject *get_write_queued(pyaser_port *po, void *u)
{
    if (!po->p) return PyLong_FromLong(0);
    return PyLong_FromSize_t(aser_port_write_queued(po->p));
}

static PyObject *get_bytes_in(pyaser_port *po, void *u)
{
    NEED_OPEN(po);
    return PyLong_FromSsize_t(aser_port_bytes_in(po->p));
}

static PyObject *get_bytes_out(pyaser_port *po, void *u)
{
    NEED_OPEN(po);
    return PyLong_FromSsize_t(aser_port_bytes_out(po->p));
}

static PyObject *get_blocking(pyaser_port *po, void *u)
{
    return PyBool_FromLong(po->loop == NULL);
}

static PyGetSetDef port_getset[] = {
    {"closed", (getter)get_closed, NULL, "True after close()", NULL},
    {"name", (getter)get_name, NULL, "the path or URL the port was opened with", NULL},
    {"path", (getter)get_path, NULL, "what the URL resolved to (tty path, HOST:PORT)", NULL},
    {"errmsg", (getter)get_errmsg, NULL, "the sentence describing the last failure", NULL},
    {"config", (getter)get_config, NULL, "the config in effect, as a config string", NULL},
    {"lines", (getter)get_lines, NULL, "the modem lines (LINE_* bits)", NULL},
    {"write_queued", (getter)get_write_queued, NULL, "bytes in the write queue", NULL},
    {"bytes_in", (getter)get_bytes_in, NULL, "bytes received and not read yet", NULL},
    {"bytes_out", (getter)get_bytes_out, NULL, "bytes accepted and not sent yet", NULL},
    {"blocking", (getter)get_blocking, NULL, "True for a port opened without a loop", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

#define OP(name, flags, doc)                                             \
    {                                                                    \
#name, (PyCFunction)(void (*)(void))pyaser_op_##name, flags, doc \
    }

static PyMethodDef port_methods[] = {
    {"close", (PyCFunction)port_close, METH_NOARGS,
     "close(): close now; pending operations complete with ECLOSED."},
    {"configure", (PyCFunction)port_configure, METH_O,
     "configure(str): apply a config string atomically over the current config."},
    {"cap", (PyCFunction)port_cap, METH_O, "cap(feature) -> (state, reason)"},
    {"set_lines", (PyCFunction)port_set_lines, METH_VARARGS, "set_lines(mask, values)"},
    {"send_break", (PyCFunction)port_send_break, METH_VARARGS, "send_break(ms=0)"},
    {"discard", (PyCFunction)port_discard, METH_VARARGS, "discard(which=DISCARD_BOTH)"},
    {"cancel", (PyCFunction)port_cancel, METH_VARARGS,
     "cancel(op_id) -> bool: the operation's callback gets ECANCELED from the loop."},
    {"on_data", (PyCFunction)port_on_data, METH_O, "on_data(cb or None)"},
    {"on_frame", (PyCFunction)port_on_frame, METH_VARARGS, "on_frame(framer, cb or None)"},
    {"on_writable", (PyCFunction)port_on_writable, METH_O, "on_writable(cb(queued) or None)"},
    {"on_lines", (PyCFunction)port_on_lines, METH_VARARGS, "on_lines(poll_ms, cb or None)"},
    {"set_reconnect", (PyCFunction)(void (*)(void))port_set_reconnect, METH_VARARGS | METH_KEYWORDS,
     "set_reconnect(enabled, ...)"},
    OP(read, METH_VARARGS, "read(cb, max, timeout_ms) -> id: at least one byte, up to max"),
    OP(read_exactly, METH_VARARGS, "read_exactly(cb, n, timeout_ms) -> id"),
    OP(read_until, METH_VARARGS, "read_until(cb, delim, max, timeout_ms) -> id"),
    OP(read_frame, METH_VARARGS, "read_frame(cb, framer, timeout_ms) -> id"),
    OP(write, METH_VARARGS, "write(cb, data, timeout_ms=0) -> id (cb may be None)"),
    OP(drain, METH_VARARGS, "drain(cb, timeout_ms) -> id"),
    OP(close_drain, METH_VARARGS, "close_drain(cb, timeout_ms): close after the output drained"),
    OP(query, METH_VARARGS | METH_KEYWORDS,
       "query(cb, req, eol=None, timeout_ms=0, max=0, keep_stale=False, framer=None, "
       "match=None) -> id"),
    OP(read_sync, METH_VARARGS, "read_sync(max, timeout_ms, exactly=False) -> bytes"),
    OP(read_until_sync, METH_VARARGS, "read_until_sync(delim, max, timeout_ms) -> bytes"),
    OP(read_frame_sync, METH_VARARGS, "read_frame_sync(framer, max, timeout_ms) -> bytes"),
    OP(write_sync, METH_VARARGS, "write_sync(data, timeout_ms)"),
    OP(drain_sync, METH_VARARGS, "drain_sync(timeout_ms)"),
    OP(query_sync, METH_VARARGS | METH_KEYWORDS,
       "query_sync(req, eol=None, timeout_ms=0, max=0, keep_stale=False, framer=None) -> bytes"),
    {NULL, NULL, 0, NULL}};

static PyMemberDef port_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(pyaser_port, weakrefs), READONLY, NULL},
    {NULL, 0, 0, 0, NULL}};

static PyType_Slot port_slots[] = {
    {Py_tp_dealloc, port_dealloc},
    {Py_tp_traverse, port_traverse},
    {Py_tp_clear, port_clear},
    {Py_tp_methods, port_methods},
    {Py_tp_getset, port_getset},
    {Py_tp_members, port_members},
    {Py_tp_doc, "Port: one aser_port; made by open(), Mock.open_peer()."},
    {0, NULL}};

PyType_Spec pyaser_port_spec = {
    .name = "aserial._aserial.Port",
    .basicsize = sizeof(pyaser_port),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = port_slots,
};
