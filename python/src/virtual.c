/* virtual.c: devices for testing without hardware: Mock (an in-memory
 * null-modem cable, mock://NAME, with fault plans), Pair (two
 * pseudo-terminals back to back) and Sim (a simulated instrument answering
 * request lines on a port). */
#include "pyaser.h"

#define STATE(self) pyaser_state_from_type(Py_TYPE(self))

static pyaser_loop *loop_arg(PyTypeObject *tp, PyObject *obj)
{
    pyaser_state *st = pyaser_state_from_type(tp);
    if (!st) return NULL;
    if (!PyObject_TypeCheck(obj, st->loop_type) || !((pyaser_loop *)obj)->loop) {
        PyErr_SetString(PyExc_TypeError, "expected an open aserial Loop");
        return NULL;
    }
    return (pyaser_loop *)obj;
}

/* ====================================================================== */
/* Mock                                                                    */
/* ====================================================================== */

typedef struct pyaser_mock {
    PyObject_HEAD aser_mock *m;
    pyaser_loop *loop;
} pyaser_mock;

static PyObject *mock_new(PyTypeObject *tp, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"loop", "name", NULL};
    PyObject *lo_obj;
    const char *name;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "Os:Mock", kwlist, &lo_obj, &name)) return NULL;
    pyaser_loop *lo = loop_arg(tp, lo_obj);
    if (!lo) return NULL;
    pyaser_mock *mo = (pyaser_mock *)tp->tp_alloc(tp, 0);
    if (!mo) return NULL;
    int rc = aser_mock_new(lo->loop, name, &mo->m);
    if (rc < 0) {
        Py_DECREF(mo);
        return pyaser_raise(pyaser_state_from_type(tp), rc,
                            rc == ASER_EEXIST ? "a mock of that name exists on this loop" : NULL);
    }
    mo->loop = (pyaser_loop *)Py_NewRef((PyObject *)lo);
    lo->users++;
    return (PyObject *)mo;
}

/* Free the mock; ports closed just now release it from the loop. */
static int mock_free_c(pyaser_mock *mo)
{
    if (!mo->m) return 0;
    int rc = aser_mock_free(mo->m);
    for (int i = 0; rc == ASER_EBUSY && i < 4 && mo->loop->loop; i++) {
        aser_loop_run_once(mo->loop->loop, 0);
        rc = aser_mock_free(mo->m);
    }
    if (rc == 0) {
        mo->m = NULL;
        mo->loop->users--;
    }
    return rc;
}

static void mock_dealloc(pyaser_mock *mo)
{
    PyTypeObject *tp = Py_TYPE(mo);
    PyObject_GC_UnTrack(mo);
    mock_free_c(mo);
    Py_CLEAR(mo->loop);
    tp->tp_free(mo);
    Py_DECREF(tp);
}

static int mock_traverse(pyaser_mock *mo, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(mo));
    Py_VISIT(mo->loop);
    return 0;
}

#define MOCK_OPEN(mo) \
    if (!(mo)->m) return pyaser_raise(STATE(mo), ASER_ECLOSED, "the mock is closed")

static PyObject *mock_open_peer(pyaser_mock *mo, PyObject *args)
{
    PyObject *config = Py_None;
    if (!PyArg_ParseTuple(args, "|O:open_peer", &config)) return NULL;
    MOCK_OPEN(mo);
    aser_config cfg;
    if (pyaser_config_from(STATE(mo), config, &cfg) < 0) return NULL;
    aser_port *p;
    int rc = aser_mock_open_peer(mo->m, &cfg, &p);
    if (rc < 0) return pyaser_raise(STATE(mo), rc, "cannot open the mock's peer end");
    return pyaser_port_wrap(STATE(mo), p, mo->loop);
}

/* set_faults(end, plan or None): plan is a dict with the aser_fault_plan
 * field names. */
static PyObject *mock_set_faults(pyaser_mock *mo, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {
        "end",      "eagain_burst", "eintr_burst",   "max_read",         "max_write",
        "eio_once", "latency_ms",   "bytes_per_sec", "disconnect_after", NULL};
    int end;
    aser_fault_plan fp = {0};
    int eio = 0;
    unsigned long long disc = 0;
    Py_ssize_t max_read = 0, max_write = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "i|IInnpIIK:set_faults", kwlist, &end,
                                     &fp.eagain_burst, &fp.eintr_burst, &max_read, &max_write, &eio,
                                     &fp.latency_ms, &fp.bytes_per_sec, &disc))
        return NULL;
    MOCK_OPEN(mo);
    fp.max_read = (size_t)max_read;
    fp.max_write = (size_t)max_write;
    fp.eio_once = eio;
    fp.disconnect_after = disc;
    int rc = aser_mock_set_faults(mo->m, end, &fp);
    if (rc < 0) return pyaser_raise(STATE(mo), rc, "set_faults: end must be 0 or 1");
    Py_RETURN_NONE;
}

static PyObject *mock_unplug(pyaser_mock *mo, PyObject *unused)
{
    MOCK_OPEN(mo);
    aser_mock_unplug(mo->m);
    Py_RETURN_NONE;
}

static PyObject *mock_replug(pyaser_mock *mo, PyObject *unused)
{
    MOCK_OPEN(mo);
    int rc = aser_mock_replug(mo->m);
    if (rc < 0) return pyaser_raise(STATE(mo), rc, NULL);
    Py_RETURN_NONE;
}

static PyObject *mock_bytes(pyaser_mock *mo, PyObject *args)
{
    int end;
    if (!PyArg_ParseTuple(args, "i:bytes", &end)) return NULL;
    MOCK_OPEN(mo);
    return PyLong_FromUnsignedLongLong(aser_mock_bytes(mo->m, end));
}

static PyObject *mock_close(pyaser_mock *mo, PyObject *unused)
{
    int rc = mock_free_c(mo);
    if (rc < 0)
        return pyaser_raise(STATE(mo), rc, "the mock still has an open port: close it first");
    Py_RETURN_NONE;
}

static PyMethodDef mock_methods[] = {
    {"open_peer", (PyCFunction)mock_open_peer, METH_VARARGS,
     "open_peer(config=None) -> Port: end 1, the device side"},
    {"set_faults", (PyCFunction)(void (*)(void))mock_set_faults, METH_VARARGS | METH_KEYWORDS,
     "set_faults(end, **plan): the fault plan of end 0 (mock://NAME) or 1 (the peer)"},
    {"unplug", (PyCFunction)mock_unplug, METH_NOARGS, "unplug(): pull the cable"},
    {"replug", (PyCFunction)mock_replug, METH_NOARGS, "replug(): put a new cable in"},
    {"bytes", (PyCFunction)mock_bytes, METH_VARARGS, "bytes(end) -> bytes through that end"},
    {"close", (PyCFunction)mock_close, METH_NOARGS, "close(): free the mock"},
    {NULL, NULL, 0, NULL}};

static PyType_Slot mock_slots[] = {
    {Py_tp_new, mock_new},
    {Py_tp_dealloc, mock_dealloc},
    {Py_tp_traverse, mock_traverse},
    {Py_tp_methods, mock_methods},
    {Py_tp_doc, "Mock(loop, name): an in-memory null-modem cable; mock://NAME is end 0."},
    {0, NULL}};

PyType_Spec pyaser_mock_spec = {
    .name = "aserial._aserial.Mock",
    .basicsize = sizeof(pyaser_mock),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = mock_slots,
};

/* ====================================================================== */
/* Pair                                                                    */
/* ====================================================================== */

typedef struct pyaser_pair {
    PyObject_HEAD aser_pair *pair;
    pyaser_loop *loop;
} pyaser_pair;

static PyObject *pair_new(PyTypeObject *tp, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"loop", "link_a", "link_b", NULL};
    PyObject *lo_obj;
    aser_pair_opts o = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|zz:Pair", kwlist, &lo_obj, &o.link_a,
                                     &o.link_b))
        return NULL;
    pyaser_loop *lo = loop_arg(tp, lo_obj);
    if (!lo) return NULL;
    pyaser_pair *pa = (pyaser_pair *)tp->tp_alloc(tp, 0);
    if (!pa) return NULL;
    aser_err err = {0};
    int rc = aser_pair_open(lo->loop, &o, &pa->pair, &err);
    if (rc < 0) {
        Py_DECREF(pa);
        return pyaser_raise(pyaser_state_from_type(tp), rc, err.msg);
    }
    pa->loop = (pyaser_loop *)Py_NewRef((PyObject *)lo);
    lo->users++;
    return (PyObject *)pa;
}

static void pair_close_c(pyaser_pair *pa)
{
    if (!pa->pair) return;
    aser_pair_close(pa->pair);
    pa->pair = NULL;
    pa->loop->users--;
}

static void pair_dealloc(pyaser_pair *pa)
{
    PyTypeObject *tp = Py_TYPE(pa);
    PyObject_GC_UnTrack(pa);
    pair_close_c(pa);
    Py_CLEAR(pa->loop);
    tp->tp_free(pa);
    Py_DECREF(tp);
}

static int pair_traverse(pyaser_pair *pa, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(pa));
    Py_VISIT(pa->loop);
    return 0;
}

static PyObject *pair_path(pyaser_pair *pa, PyObject *args)
{
    int end;
    if (!PyArg_ParseTuple(args, "i:path", &end)) return NULL;
    if (!pa->pair) return pyaser_raise(STATE(pa), ASER_ECLOSED, "the pair is closed");
    const char *s = aser_pair_path(pa->pair, end);
    if (!s) return pyaser_raise(STATE(pa), ASER_EINVAL, "path: end must be 0 or 1");
    return PyUnicode_FromString(s);
}

static PyObject *pair_close(pyaser_pair *pa, PyObject *unused)
{
    pair_close_c(pa);
    Py_RETURN_NONE;
}

static PyMethodDef pair_methods[] = {
    {"path", (PyCFunction)pair_path, METH_VARARGS, "path(end) -> the tty path of end 0 or 1"},
    {"close", (PyCFunction)pair_close, METH_NOARGS, "close(): stop forwarding, close both"},
    {NULL, NULL, 0, NULL}};

static PyType_Slot pair_slots[] = {
    {Py_tp_new, pair_new},
    {Py_tp_dealloc, pair_dealloc},
    {Py_tp_traverse, pair_traverse},
    {Py_tp_methods, pair_methods},
    {Py_tp_doc, "Pair(loop, link_a=None, link_b=None): two pseudo-terminals back to back."},
    {0, NULL}};

PyType_Spec pyaser_pair_spec = {
    .name = "aserial._aserial.Pair",
    .basicsize = sizeof(pyaser_pair),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = pair_slots,
};

/* ====================================================================== */
/* Sim                                                                     */
/* ====================================================================== */

typedef struct pyaser_sim {
    PyObject_HEAD pyaser_port *port; /* its sim field is this sim's aser_sim */
} pyaser_sim;

static int sim_rules(PyObject *rules, aser_sim_rule **out, size_t *n)
{
    PyObject *fast = PySequence_Fast(rules, "Sim: rules must be a sequence of (request, response)");
    if (!fast) return -1;
    Py_ssize_t cnt = PySequence_Fast_GET_SIZE(fast);
    aser_sim_rule *r = PyMem_Calloc((size_t)cnt + 1, sizeof *r);
    int rc = r ? 0 : -1;
    for (Py_ssize_t i = 0; rc == 0 && i < cnt; i++) {
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(fast, i), "ss", &r[i].request,
                              &r[i].response))
            rc = -1;
    }
    Py_DECREF(fast); /* the strings live as long as rules (held by the caller) */
    if (rc < 0) {
        PyMem_Free(r);
        if (!PyErr_Occurred()) PyErr_NoMemory();
        return -1;
    }
    *out = r;
    *n = (size_t)cnt;
    return 0;
}

static PyObject *sim_new(PyTypeObject *tp, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"port", "rules", "echo", "delay_ms", "eol", NULL};
    pyaser_state *st = pyaser_state_from_type(tp);
    PyObject *port_obj, *rules = NULL;
    aser_sim_opts o = {0};
    int echo = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OpIz:Sim", kwlist, &port_obj, &rules, &echo,
                                     &o.delay_ms, &o.eol))
        return NULL;
    if (!st || !PyObject_TypeCheck(port_obj, st->port_type) || !((pyaser_port *)port_obj)->p ||
        !((pyaser_port *)port_obj)->loop) {
        PyErr_SetString(PyExc_TypeError, "Sim: expected an open Port on a Loop");
        return NULL;
    }
    pyaser_port *po = (pyaser_port *)port_obj;
    if (po->sim) return pyaser_raise(st, ASER_EBUSY, "Sim: this port already has a sim");
    aser_sim_rule *r = NULL;
    size_t n = 0;
    if (rules && rules != Py_None && sim_rules(rules, &r, &n) < 0) return NULL;
    o.rules = r;
    o.nrules = n;
    o.echo = echo;
    pyaser_sim *si = (pyaser_sim *)tp->tp_alloc(tp, 0);
    int rc = si ? aser_sim_start(po->p, &o, &po->sim) : 0;
    PyMem_Free(r); /* copied by aser_sim_start */
    if (!si) return NULL;
    if (rc < 0) {
        Py_DECREF(si);
        return pyaser_raise(st, rc, aser_port_errmsg(po->p));
    }
    si->port = (pyaser_port *)Py_NewRef(port_obj);
    return (PyObject *)si;
}

static void sim_stop_c(pyaser_sim *si)
{
    if (si->port && si->port->sim) {
        aser_sim_stop(si->port->sim);
        si->port->sim = NULL;
    }
}

static void sim_dealloc(pyaser_sim *si)
{
    PyTypeObject *tp = Py_TYPE(si);
    PyObject_GC_UnTrack(si);
    sim_stop_c(si);
    Py_CLEAR(si->port);
    tp->tp_free(si);
    Py_DECREF(tp);
}

static int sim_traverse(pyaser_sim *si, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(si));
    Py_VISIT(si->port);
    return 0;
}

static PyObject *sim_stop(pyaser_sim *si, PyObject *unused)
{
    sim_stop_c(si);
    Py_RETURN_NONE;
}

static PyObject *sim_count(pyaser_sim *si, void *unused)
{
    if (!si->port || !si->port->sim) return PyLong_FromLong(0);
    return PyLong_FromUnsignedLongLong(aser_sim_count(si->port->sim));
}

static PyMethodDef sim_methods[] = {
    {"stop", (PyCFunction)sim_stop, METH_NOARGS, "stop(): stop answering"}, {NULL, NULL, 0, NULL}};

static PyGetSetDef sim_getset[] = {
    {"count", (getter)sim_count, NULL, "requests answered so far", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot sim_slots[] = {
    {Py_tp_new, sim_new},
    {Py_tp_dealloc, sim_dealloc},
    {Py_tp_traverse, sim_traverse},
    {Py_tp_methods, sim_methods},
    {Py_tp_getset, sim_getset},
    {Py_tp_doc, "Sim(port, rules=[(request, response)], echo=False, delay_ms=0, eol=None): a "
                "simulated instrument answering request lines on port."},
    {0, NULL}};

PyType_Spec pyaser_sim_spec = {
    .name = "aserial._aserial.Sim",
    .basicsize = sizeof(pyaser_sim),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = sim_slots,
};
