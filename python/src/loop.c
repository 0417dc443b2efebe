/* loop.c: the Loop type, one aser_loop (the built-in one) per object.
 *
 * A host event loop embeds it by watching fileno() for readability and
 * calling run_once() when it is readable (DESIGN.md "Embedding"); the
 * callbacks of every port on the loop run inside run_once(). An exception
 * raised by a callback cannot unwind through the C library, so the first
 * one is kept and raised by run_once() when the iteration is over. */
#include "pyaser.h"

void pyaser_loop_keep_error(pyaser_loop *lo)
{
    if (lo && !lo->pending_exc) {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        if (tb && value) PyException_SetTraceback(value, tb);
        Py_XDECREF(type);
        Py_XDECREF(tb);
        lo->pending_exc = value;
        return;
    }
    PyErr_WriteUnraisable(NULL);
}

static PyObject *loop_new(PyTypeObject *tp, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, ":Loop", kwlist)) return NULL;
    pyaser_loop *lo = (pyaser_loop *)tp->tp_alloc(tp, 0);
    if (!lo) return NULL;
    int rc = aser_loop_new(&lo->loop);
    if (rc < 0) {
        Py_DECREF(lo);
        return pyaser_raise(pyaser_state_from_type(tp), rc, "cannot create the aserial loop");
    }
    return (PyObject *)lo;
}

/* Free the C loop, running what is still due first (closed ports release
 * their memory from the loop). ASER_EBUSY while something is open. */
static int loop_free_c(pyaser_loop *lo)
{
    if (!lo->loop) return 0;
    if (lo->users > 0 || lo->running) return ASER_EBUSY; /* never inside its callbacks */
    for (int i = 0; i < 4; i++) aser_loop_run_once(lo->loop, 0);
    int rc = aser_loop_free(lo->loop);
    if (rc == 0) lo->loop = NULL;
    return rc;
}

static void loop_dealloc(pyaser_loop *lo)
{
    PyTypeObject *tp = Py_TYPE(lo);
    PyObject_GC_UnTrack(lo);
    if (lo->loop && loop_free_c(lo) < 0) lo->loop = NULL; /* leaked rather than freed in use */
    Py_CLEAR(lo->pending_exc);
    Py_CLEAR(lo->ready);
    tp->tp_free(lo);
    Py_DECREF(tp);
}

static int loop_traverse(pyaser_loop *lo, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(lo));
    Py_VISIT(lo->pending_exc);
    Py_VISIT(lo->ready);
    return 0;
}

static int check_open(pyaser_loop *lo)
{
    if (lo->loop) return 0;
    PyErr_SetString(PyExc_ValueError, "the aserial loop is closed");
    return -1;
}

static PyObject *loop_fileno(pyaser_loop *lo, PyObject *unused)
{
    if (check_open(lo) < 0) return NULL;
    return PyLong_FromLong(aser_loop_fd(lo->loop));
}

/* run_once(timeout_ms=0): one iteration; callbacks run inside it, and so
 * do the asyncio tasks whose Waiters complete in it. The GIL is kept
 * (callbacks need it), so hosts call it with 0 when fileno() is readable.
 * Not from inside an asyncio task (a task cannot be woken inside
 * another). */
static PyObject *loop_run_once(pyaser_loop *lo, PyObject *args)
{
    int timeout_ms = 0;
    if (!PyArg_ParseTuple(args, "|i:run_once", &timeout_ms)) return NULL;
    if (check_open(lo) < 0) return NULL;
    lo->running = 1;
    int rc = aser_loop_run_once(lo->loop, timeout_ms);
    lo->running = 0;
    if (lo->pending_exc) {
        PyObject *v = lo->pending_exc;
        lo->pending_exc = NULL;
        PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(v)), v, PyException_GetTraceback(v));
        return NULL;
    }
    if (rc < 0) return pyaser_raise(pyaser_state_from_type(Py_TYPE(lo)), rc, NULL);
    Py_RETURN_NONE;
}

/* timeout() -> ms the host may sleep before it must call run_once()
 * again (0: now, -1: nothing scheduled); for hosts without the fd. */
static PyObject *loop_timeout(pyaser_loop *lo, PyObject *unused)
{
    if (check_open(lo) < 0) return NULL;
    return PyLong_FromLong(aser_loop_timeout(lo->loop));
}

static PyObject *loop_close(pyaser_loop *lo, PyObject *unused)
{
    int rc = loop_free_c(lo);
    if (rc < 0)
        return pyaser_raise(pyaser_state_from_type(Py_TYPE(lo)), rc,
                            "the aserial loop still has open ports, mocks or pairs: close them "
                            "first");
    Py_RETURN_NONE;
}

static PyObject *loop_closed(pyaser_loop *lo, void *unused)
{
    return PyBool_FromLong(lo->loop == NULL);
}

static PyMethodDef loop_methods[] = {
    {"fileno", (PyCFunction)loop_fileno, METH_NOARGS,
     "fileno() -> int: the fd that is readable whenever the loop has work (-1 where the "
     "platform has none)."},
    {"run_once", (PyCFunction)loop_run_once, METH_VARARGS,
     "run_once(timeout_ms=0): run one iteration of the loop; callbacks run inside it."},
    {"timeout", (PyCFunction)loop_timeout, METH_NOARGS,
     "timeout() -> int: ms the host may sleep before calling run_once() again (0: now, -1: "
     "nothing scheduled)."},
    {"close", (PyCFunction)loop_close, METH_NOARGS,
     "close(): free the loop (every port on it must be closed)."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef loop_getset[] = {
    {"closed", (getter)loop_closed, NULL, "True once close() succeeded", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot loop_slots[] = {
    {Py_tp_new, loop_new},
    {Py_tp_dealloc, loop_dealloc},
    {Py_tp_traverse, loop_traverse},
    {Py_tp_methods, loop_methods},
    {Py_tp_getset, loop_getset},
    {Py_tp_doc, "Loop(): one aserial built-in event loop, embedded by watching fileno()."},
    {0, NULL}};

PyType_Spec pyaser_loop_spec = {
    .name = "aserial._aserial.Loop",
    .basicsize = sizeof(pyaser_loop),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = loop_slots,
};
