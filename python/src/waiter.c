/* waiter.c: Waiter, the completion an asyncio task waits on.
 *
 * Waiter(fut) is passed as an operation's completion callable. When the
 * operation completes it records the status and resolves fut (if fut is
 * not done yet): set_result(payload), or set_exception() with the
 * aserial error for the status. ops.c calls it directly, without building
 * an argument tuple; that and doing it in C save a Python frame and two
 * calls per request. fut may be replaced (the cancelled task waits for the
 * C operation's ECANCELED completion on a new future); done says whether
 * the completion came. */
#include "pyaser.h"

#include <structmember.h>

static PyObject *waiter_new(PyTypeObject *tp, PyObject *args, PyObject *kwds)
{
    PyObject *fut;
    if (!PyArg_UnpackTuple(args, "Waiter", 1, 1, &fut)) return NULL;
    pyaser_waiter *w = (pyaser_waiter *)tp->tp_alloc(tp, 0);
    if (!w) return NULL;
    w->fut = Py_NewRef(fut);
    return (PyObject *)w;
}

static void waiter_dealloc(pyaser_waiter *w)
{
    PyTypeObject *tp = Py_TYPE(w);
    PyObject_GC_UnTrack(w);
    Py_CLEAR(w->fut);
    tp->tp_free(w);
    Py_DECREF(tp);
}

static int waiter_traverse(pyaser_waiter *w, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(w));
    Py_VISIT(w->fut);
    return 0;
}

static int waiter_clear(pyaser_waiter *w)
{
    Py_CLEAR(w->fut);
    return 0;
}

int pyaser_waiter_complete(pyaser_state *st, pyaser_waiter *w, int status, PyObject *payload)
{
    w->done = 1;
    w->status = status;
    if (!w->fut) return 0;
    PyObject *done = PyObject_CallMethod(w->fut, "done", NULL);
    if (!done) return -1;
    int is_done = PyObject_IsTrue(done);
    Py_DECREF(done);
    if (is_done) return is_done < 0 ? -1 : 0;
    PyObject *res;
    if (status >= 0) {
        res = PyObject_CallMethod(w->fut, "set_result", "O", payload);
    } else {
        const char *msg = PyUnicode_Check(payload) ? PyUnicode_AsUTF8(payload) : NULL;
        pyaser_raise(st, status, msg); /* builds the exception the factory makes */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        Py_XDECREF(type);
        Py_XDECREF(tb);
        if (!value) return -1;
        res = PyObject_CallMethod(w->fut, "set_exception", "O", value);
        Py_DECREF(value);
    }
    if (!res) return -1;
    Py_DECREF(res);
    return 0;
}

/* Called as a plain callable (cb(status, payload)), for completeness. */
static PyObject *waiter_call(pyaser_waiter *w, PyObject *args, PyObject *kwds)
{
    int status;
    PyObject *payload;
    if (!PyArg_ParseTuple(args, "iO:Waiter", &status, &payload)) return NULL;
    if (pyaser_waiter_complete(pyaser_state_from_type(Py_TYPE(w)), w, status, payload) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMemberDef waiter_members[] = {
    {"fut", T_OBJECT_EX, offsetof(pyaser_waiter, fut), 0, "the future to resolve"},
    {"done", T_INT, offsetof(pyaser_waiter, done), READONLY, "the completion came"},
    {"status", T_INT, offsetof(pyaser_waiter, status), READONLY, "its status"},
    {NULL, 0, 0, 0, NULL}};

static PyType_Slot waiter_slots[] = {
    {Py_tp_new, waiter_new},
    {Py_tp_dealloc, waiter_dealloc},
    {Py_tp_traverse, waiter_traverse},
    {Py_tp_clear, waiter_clear},
    {Py_tp_call, waiter_call},
    {Py_tp_members, waiter_members},
    {Py_tp_doc, "Waiter(fut): a completion that resolves an asyncio future."},
    {0, NULL}};

PyType_Spec pyaser_waiter_spec = {
    .name = "aserial._aserial.Waiter",
    .basicsize = sizeof(pyaser_waiter),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = waiter_slots,
};
