/* trioop.c: TrioOp, the completion a trio task sleeps on for one C
 * operation.
 *
 * TrioOp(task, kit) is passed as the operation's completion callable; the
 * task then sleeps until the completion reschedules it. kit is the tuple
 * (trio.lowlevel.reschedule, outcome.Value, outcome.Error,
 * outcome.capture, trio.lowlevel.Abort.FAILED, trio.lowlevel.current_task,
 * trio.lowlevel.wait_task_rescheduled, TRAP, RUN_RESCHEDULE, DONE), bound
 * once by the hub.
 * TrioOp.start(kit, meth, *args) makes the op for the current task and
 * starts the operation; what it returns is awaited:
 *
 * - TRAP is the class of the object wait_task_rescheduled(abort) yields
 *   to trio's run loop, when the hub found that it is one with just an
 *   abort_func (_runtime.py checks it). Then the op is awaited itself: it
 *   yields TRAP(abort) and takes the outcome trio sends back in C
 *   (Value: its value; Error: raises its error), without the two Python
 *   frames of wait_task_rescheduled and the outcome's unwrap per request.
 * - TRAP None: wait_task_rescheduled(abort), as trio documents it.
 *
 * The completion reschedules the task itself, from C: Value(payload), or
 * Error(the aserial error for the status), without a Python frame or an
 * argument tuple in between. Two shortcuts where the hub found them:
 *
 * - DONE, one Value(None) made by the hub: when the op is awaited itself
 *   (TRAP), a success reschedules the task with DONE and keeps the
 *   payload on the op, which returns it when DONE comes back: no Value
 *   made per request. Anything else sent in goes the usual way.
 * - RUN_RESCHEDULE, trio's Runner.reschedule of this run: what
 *   trio.lowlevel.reschedule calls after marking its frame protected from
 *   KeyboardInterrupt. Inside Loop.run_once() the completion runs under
 *   the hub's system task, which is protected already, and calls it
 *   directly; anywhere else it calls the public reschedule.
 *
 * abort(raise_cancel) cancels the C operation (aser_cancel) and says
 * FAILED, so the task wakes only at the operation's completion; if that
 * is ECANCELED, the task gets trio's Cancelled (capture(raise_cancel)),
 * else what the operation gave. */
#include "pyaser.h"

enum {
    KIT_RESCHEDULE,
    KIT_VALUE,
    KIT_ERROR,
    KIT_CAPTURE,
    KIT_FAILED,
    KIT_CURRENT_TASK,
    KIT_WAIT,
    KIT_TRAP,
    KIT_RUN_RESCHEDULE,
    KIT_DONE,
    KIT_LEN
};

static PyObject *trioop_new(PyTypeObject *tp, PyObject *args, PyObject *kwds)
{
    PyObject *task, *kit;
    if (!PyArg_UnpackTuple(args, "TrioOp", 2, 2, &task, &kit)) return NULL;
    if (!PyTuple_Check(kit) || PyTuple_GET_SIZE(kit) != KIT_LEN) {
        PyErr_SetString(PyExc_TypeError,
                        "TrioOp(task, kit): kit is (reschedule, Value, Error, capture, "
                        "Abort.FAILED, current_task, wait_task_rescheduled, trap class or "
                        "None, Runner.reschedule or None, Value(None) or None)");
        return NULL;
    }
    pyaser_trioop *op = (pyaser_trioop *)tp->tp_alloc(tp, 0);
    if (!op) return NULL;
    op->task = Py_NewRef(task);
    op->kit = Py_NewRef(kit);
    return (PyObject *)op;
}

static int trioop_clear(pyaser_trioop *op)
{
    Py_CLEAR(op->task);
    Py_CLEAR(op->kit);
    Py_CLEAR(op->raise_cancel);
    Py_CLEAR(op->port);
    Py_CLEAR(op->payload);
    return 0;
}

static void trioop_dealloc(pyaser_trioop *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    trioop_clear(op);
    tp->tp_free(op);
    Py_DECREF(tp);
}

static int trioop_traverse(pyaser_trioop *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(op->task);
    Py_VISIT(op->kit);
    Py_VISIT(op->raise_cancel);
    Py_VISIT(op->port);
    Py_VISIT(op->payload);
    return 0;
}

void pyaser_trioop_started(pyaser_trioop *op, pyaser_port *po, int op_id)
{
    Py_XSETREF(op->port, (pyaser_port *)Py_NewRef((PyObject *)po));
    op->op_id = op_id;
}

/* The outcome for the completion (new reference), or NULL. */
static PyObject *outcome_of(pyaser_trioop *op, int status, PyObject *payload)
{
    PyObject *kit = op->kit;
    if (op->raise_cancel && status == ASER_ECANCELED)
        return PyObject_CallOneArg(PyTuple_GET_ITEM(kit, KIT_CAPTURE), op->raise_cancel);
    if (status >= 0) return PyObject_CallOneArg(PyTuple_GET_ITEM(kit, KIT_VALUE), payload);
    pyaser_raise(pyaser_state_from_type(Py_TYPE(op)), status,
                 PyUnicode_Check(payload) ? PyUnicode_AsUTF8(payload) : NULL);
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    if (!value) return NULL;
    PyObject *res = PyObject_CallOneArg(PyTuple_GET_ITEM(kit, KIT_ERROR), value);
    Py_DECREF(value);
    return res;
}

int pyaser_trioop_complete(pyaser_trioop *op, int status, PyObject *payload, int in_run)
{
    if (op->done || !op->task) return 0;
    op->done = 1;
    Py_CLEAR(op->port);
    PyObject *kit = op->kit, *outcome;
    PyObject *done = PyTuple_GET_ITEM(kit, KIT_DONE);
    if (status >= 0 && done != Py_None && PyTuple_GET_ITEM(kit, KIT_TRAP) != Py_None &&
        !op->raise_cancel) {
        Py_XSETREF(op->payload, Py_NewRef(payload)); /* trioop_send returns it for DONE */
        outcome = Py_NewRef(done);
    } else {
        outcome = outcome_of(op, status, payload);
    }
    PyObject *res = NULL;
    if (outcome) {
        PyObject *fast = PyTuple_GET_ITEM(kit, KIT_RUN_RESCHEDULE);
        PyObject *fn = in_run && fast != Py_None ? fast : PyTuple_GET_ITEM(kit, KIT_RESCHEDULE);
        PyObject *args[2] = {op->task, outcome};
        res = PyObject_Vectorcall(fn, args, 2, NULL);
        Py_DECREF(outcome);
    }
    Py_CLEAR(op->task);
    Py_CLEAR(op->raise_cancel);
    if (!res) return -1;
    Py_DECREF(res);
    return 0;
}

/* Cancel op's C operation if it still runs; its completion comes. */
static void cancel_op(pyaser_trioop *op)
{
    if (!op->done && op->port && op->port->p) aser_cancel(op->port->p, op->op_id);
}

/* abort(raise_cancel) -> Abort.FAILED: wait_task_rescheduled's abort_fn. */
static PyObject *trioop_abort(pyaser_trioop *op, PyObject *raise_cancel)
{
    if (!op->done) Py_XSETREF(op->raise_cancel, Py_NewRef(raise_cancel));
    cancel_op(op);
    return Py_NewRef(PyTuple_GET_ITEM(op->kit, KIT_FAILED));
}

static PyMethodDef abort_def = {
    "abort", (PyCFunction)trioop_abort, METH_O,
    "abort(raise_cancel) -> Abort.FAILED: cancels the C operation; its completion wakes the task"};

pyaser_trioop *pyaser_trioop_make(pyaser_state *st, PyObject *kit)
{
    if (!PyTuple_Check(kit) || PyTuple_GET_SIZE(kit) != KIT_LEN) {
        PyErr_SetString(PyExc_TypeError, "TrioOp: kit as TrioOp's");
        return NULL;
    }
    PyObject *task = PyObject_CallNoArgs(PyTuple_GET_ITEM(kit, KIT_CURRENT_TASK));
    if (!task) return NULL;
    pyaser_trioop *op = (pyaser_trioop *)st->trioop_type->tp_alloc(st->trioop_type, 0);
    if (!op) {
        Py_DECREF(task);
        return NULL;
    }
    op->task = task;
    op->kit = Py_NewRef(kit);
    return op;
}

PyObject *pyaser_trioop_awaitable(pyaser_trioop *op)
{
    if (PyTuple_GET_ITEM(op->kit, KIT_TRAP) != Py_None) return Py_NewRef((PyObject *)op);
    PyObject *abort = PyCFunction_New(&abort_def, (PyObject *)op);
    PyObject *coro = abort ? PyObject_CallOneArg(PyTuple_GET_ITEM(op->kit, KIT_WAIT), abort) : NULL;
    Py_XDECREF(abort);
    return coro;
}

void pyaser_trioop_abandon(pyaser_trioop *op)
{
    cancel_op(op);
    op->done = 1; /* its completion reschedules nobody */
    Py_CLEAR(op->task);
}

/* TrioOp.start(kit, meth, *args) -> what to await: a TrioOp for the
 * current task passed to meth(op, *args), which starts the C operation,
 * then the op itself (kit's TRAP given) or wait_task_rescheduled(op.abort),
 * not yet awaited. What the trio hub's call() does, without a frame. */
static PyObject *trioop_start(PyObject *tp, PyObject *const *args, Py_ssize_t nargs)
{
    static const char usage[] = "TrioOp.start(kit, meth, *args)";
    nargs = PyVectorcall_NARGS(nargs);
    if (nargs < 2) return PyErr_Format(PyExc_TypeError, "%s: kit and meth needed", usage);
    pyaser_trioop *op = pyaser_trioop_make(pyaser_state_from_type((PyTypeObject *)tp), args[0]);
    if (!op) return NULL;
    PyObject *aw = pyaser_start_call((PyObject *)op, args, nargs, usage) < 0
                       ? NULL
                       : pyaser_trioop_awaitable(op);
    Py_DECREF(op);
    return aw;
}

/* Awaited itself (TRAP in the kit): first the trap trio's run loop
 * expects, TRAP(abort); then the outcome trio sends back in, unwrapped
 * here (any other outcome through its unwrap()). */
static PySendResult trioop_send(pyaser_trioop *op, PyObject *arg, PyObject **result)
{
    PyObject *kit = op->kit;
    *result = NULL;
    if (!op->yielded) {
        op->yielded = 1;
        PyObject *abort = PyCFunction_New(&abort_def, (PyObject *)op);
        if (!abort) return PYGEN_ERROR;
        *result = PyObject_CallOneArg(PyTuple_GET_ITEM(kit, KIT_TRAP), abort);
        Py_DECREF(abort);
        return *result ? PYGEN_NEXT : PYGEN_ERROR;
    }
    if (arg == PyTuple_GET_ITEM(kit, KIT_DONE) && op->payload) {
        *result = op->payload; /* the completion's payload, kept for this */
        op->payload = NULL;
        return PYGEN_RETURN;
    }
    pyaser_state *st = pyaser_state_from_type(Py_TYPE(op));
    if (Py_IS_TYPE(arg, (PyTypeObject *)PyTuple_GET_ITEM(kit, KIT_VALUE))) {
        *result = PyObject_GetAttr(arg, st->str_value);
        return *result ? PYGEN_RETURN : PYGEN_ERROR;
    }
    if (Py_IS_TYPE(arg, (PyTypeObject *)PyTuple_GET_ITEM(kit, KIT_ERROR))) {
        PyObject *e = PyObject_GetAttr(arg, st->str_error);
        if (e) {
            PyErr_SetObject((PyObject *)Py_TYPE(e), e);
            Py_DECREF(e);
        }
        return PYGEN_ERROR;
    }
    *result = PyObject_CallMethod(arg, "unwrap", NULL);
    return *result ? PYGEN_RETURN : PYGEN_ERROR;
}

/* The same through __next__ (used when a trace function is set). */
static PyObject *trioop_iternext(pyaser_trioop *op)
{
    PyObject *res;
    PySendResult r = trioop_send(op, Py_None, &res);
    return pyaser_next_of_send(r, res);
}

static PyObject *trioop_await(pyaser_trioop *op)
{
    return Py_NewRef((PyObject *)op);
}

/* Called as a plain completion (cb(status, payload)), for completeness. */
static PyObject *trioop_call(pyaser_trioop *op, PyObject *args, PyObject *kwds)
{
    int status;
    PyObject *payload;
    if (!PyArg_ParseTuple(args, "iO:TrioOp", &status, &payload)) return NULL;
    if (pyaser_trioop_complete(op, status, payload, 0) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef trioop_methods[] = {
    {"abort", (PyCFunction)trioop_abort, METH_O,
     "abort(raise_cancel) -> Abort.FAILED: cancels the C operation; its completion wakes the "
     "task"},
    {"start", (PyCFunction)(void (*)(void))trioop_start, METH_FASTCALL | METH_CLASS,
     "start(kit, meth, *args) -> what to await: a TrioOp for the current task, passed to "
     "meth(op, *args), then the op itself (kit's trap class given) or "
     "wait_task_rescheduled(op.abort)"},
    {NULL, NULL, 0, NULL}};

static PyType_Slot trioop_slots[] = {
    {Py_tp_new, trioop_new},
    {Py_tp_dealloc, trioop_dealloc},
    {Py_tp_traverse, trioop_traverse},
    {Py_tp_clear, trioop_clear},
    {Py_tp_call, trioop_call},
    {Py_tp_iter, trioop_await},
    {Py_tp_iternext, trioop_iternext},
    {Py_am_await, trioop_await},
    {Py_am_send, trioop_send},
    {Py_tp_methods, trioop_methods},
    {Py_tp_doc, "TrioOp(task, kit): the completion that reschedules a trio task sleeping in "
                "wait_task_rescheduled(op.abort)."},
    {0, NULL}};

PyType_Spec pyaser_trioop_spec = {
    .name = "aserial._aserial.TrioOp",
    .basicsize = sizeof(pyaser_trioop),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = trioop_slots,
};
