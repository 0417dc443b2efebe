/* pyaser.h: what the files of the _aserial extension share.
 *
 * The extension is a thin layer over the public C API (<aserial.h> and
 * <aserial/testing.h> only): a Loop type owning one aser_loop, a Port type
 * over aser_port whose operations take a Python callable and call it from
 * the aserial callback, and small types for mocks, pairs, the simulated
 * instrument and hotplug. The Python package (python/aserial/) builds the
 * user-facing shapes on top; this layer has no opinion about runtimes.
 *
 * Ownership, in the hiredis-py style: every operation started with a
 * Python callable gets one heap "op" holding strong references to the
 * callable and to its Port; the aserial callback calls the callable once
 * and drops both. When a call fails to start, the callback is never called
 * (the C library's rule), so the op is dropped at once and the error raised.
 *
 * Errors raised here are built by a factory the Python package registers
 * (aserial._errors.error_from_code), so every failure becomes one of the
 * aserial.SerialError subclasses with the C message and the ASER_E* name. */
#ifndef PYASER_H
#define PYASER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <aserial.h>
#include <aserial/testing.h>

/* SerialPort.query's arguments (query.c), in order: their names. */
#define PYASER_QUERY_NARGS 7
extern const char *const pyaser_query_kw[PYASER_QUERY_NARGS];

/* ---- module state (one struct, reached from any type's method) -------- */
typedef struct pyaser_state {
    PyTypeObject *loop_type;
    PyTypeObject *port_type;
    PyTypeObject *mock_type;
    PyTypeObject *pair_type;
    PyTypeObject *sim_type;
    PyTypeObject *hotplug_type;
    PyTypeObject *waiter_type;
    PyTypeObject *trioop_type;
    PyTypeObject *querycall_type;
    PyTypeObject *portbase_type;
    PyObject *query_kw[PYASER_QUERY_NARGS]; /* the names above, interned */
    PyObject *error_factory;                /* callable(code, name, message) -> exception */
    PyObject *str_value, *str_error;        /* "value", "error": outcome's attributes (TrioOp) */
} pyaser_state;

extern PyModuleDef pyaser_module;
pyaser_state *pyaser_state_of(PyObject *module);
pyaser_state *pyaser_state_from_type(PyTypeObject *tp);

/* __next__ for an awaitable whose am_send gave r and res for a None sent
 * in (Waiter, TrioOp: used when a trace function is set): the value
 * yielded, or NULL with StopIteration(res) or the error set. */
PyObject *pyaser_next_of_send(PySendResult r, PyObject *res);

/* The start(x, meth, *args) class methods of Waiter and TrioOp, once cb
 * is made from x = args[0]: meth(cb, *args[2:]), which starts the C
 * operation. 0, or -1 with the exception (a wrong argument count: a
 * TypeError naming usage). */
int pyaser_start_call(PyObject *cb, PyObject *const *args, Py_ssize_t nargs, const char *usage);

/* timeout (seconds, None: no deadline) to the C library's unsigned
 * milliseconds: 0 for None, 1 at or below zero, fractions rounded up, at
 * most UINT_MAX (about 49 days) rather than wrapped. -1 with TypeError or
 * ValueError (NaN). */
int pyaser_ms(PyObject *timeout, unsigned *ms);

/* Raise the exception for code with message (NULL or "": aser_strerror).
 * Returns NULL for `return pyaser_raise(...)`. */
PyObject *pyaser_raise(pyaser_state *st, int code, const char *message);

/* ---- Loop ------------------------------------------------------------- */
typedef struct pyaser_loop {
    PyObject_HEAD aser_loop *loop;
    PyObject *pending_exc; /* first exception a callback raised, re-raised
                              by run_once() */
    Py_ssize_t users;      /* open ports, mocks, pairs and watchers on it:
                              close() refuses while any is left */
    PyObject *ready;       /* Waiters completed while a task was being woken,
                              woken after it (a list, or NULL) */
    int running;           /* inside run_once(): tasks are woken from the
                              completion itself */
    int waking;            /* a woken task is running now */
} pyaser_loop;

/* Keep an exception raised inside a callback for run_once() to re-raise;
 * later ones while one is pending go to sys.unraisablehook. */
void pyaser_loop_keep_error(pyaser_loop *lo);
extern PyType_Spec pyaser_loop_spec;

/* ---- Port ------------------------------------------------------------- */
typedef struct pyaser_port {
    PyObject_HEAD aser_port *p;
    pyaser_loop *loop;     /* NULL for a blocking port (private loop) */
    PyObject *on_data;     /* aser_on_data / aser_on_frame streaming callable */
    PyObject *on_writable; /* aser_on_writable */
    PyObject *on_lines;    /* aser_on_lines */
    PyObject *on_link;     /* reconnect events */
    aser_sim *sim;         /* a simulated instrument answering on this port
                              (stopped before the port closes) */
    PyObject *weakrefs;
} pyaser_port;

extern PyType_Spec pyaser_port_spec;
/* Wrap an opened aser_port (takes it; loop may be NULL). */
PyObject *pyaser_port_wrap(pyaser_state *st, aser_port *p, pyaser_loop *loop);
/* The open(loop, url, config) module function. */
PyObject *pyaser_open(PyObject *module, PyObject *args, PyObject *kwds);
/* Parse a config string onto the default config; -1 with an exception. */
int pyaser_config_from(pyaser_state *st, PyObject *obj, aser_config *cfg);
/* A framer description tuple (see aserial/_framer.py) into *f. */
int pyaser_framer_from(pyaser_state *st, PyObject *desc, aser_framer *f);
PyObject *pyaser_framer_encode(PyObject *module, PyObject *args);

/* ops.c: the one-shot operations, listed in the Port's method table. */
PyObject *pyaser_op_read(pyaser_port *po, PyObject *args);
PyObject *pyaser_op_read_exactly(pyaser_port *po, PyObject *args);
PyObject *pyaser_op_read_until(pyaser_port *po, PyObject *args);
PyObject *pyaser_op_read_frame(pyaser_port *po, PyObject *args);
PyObject *pyaser_op_write(pyaser_port *po, PyObject *args);
PyObject *pyaser_op_drain(pyaser_port *po, PyObject *args);
PyObject *pyaser_op_close_drain(pyaser_port *po, PyObject *args);
PyObject *pyaser_op_query(pyaser_port *po, PyObject *args, PyObject *kwds);
PyObject *pyaser_op_read_sync(pyaser_port *po, PyObject *args);
PyObject *pyaser_op_read_until_sync(pyaser_port *po, PyObject *args);
PyObject *pyaser_op_read_frame_sync(pyaser_port *po, PyObject *args);
PyObject *pyaser_op_write_sync(pyaser_port *po, PyObject *args);
PyObject *pyaser_op_drain_sync(pyaser_port *po, PyObject *args);
PyObject *pyaser_op_query_sync(pyaser_port *po, PyObject *args, PyObject *kwds);

/* A query's arguments: the views and values a caller fills in (framer
 * and match: None or the description tuple and the callable), then
 * pyaser_query_prepare() builds opts from them. */
typedef struct pyaser_query_args {
    Py_buffer req, eol; /* eol: .buf NULL for the port's default */
    unsigned timeout_ms;
    Py_ssize_t max;
    int keep_stale;
    PyObject *framer, *match; /* borrowed */
    aser_framer f;
    aser_query_opts opts;
} pyaser_query_args;
/* Fill q->opts from the fields; -1 with an exception (bad framer, match
 * not callable). */
int pyaser_query_prepare(pyaser_state *st, pyaser_query_args *q);
/* Start aser_query on po with completion cb (a Waiter, a TrioOp or a
 * callable cb(status, payload)): the id, or NULL with the error raised
 * (cb is then never called). */
PyObject *pyaser_query_start(pyaser_port *po, PyObject *cb, pyaser_query_args *q);
/* Release the views of q. */
void pyaser_query_release(pyaser_query_args *q);

/* ---- Waiter (waiter.c) ------------------------------------------------ */
typedef struct pyaser_waiter {
    PyObject_HEAD PyObject *loop; /* the asyncio loop (get_loop()) */
    PyObject *payload;            /* the result, or the failure's message (str) */
    PyObject *exc;                /* the failure's exception, built once */
    PyObject *fn, *ctx;           /* the done callback (a task's wakeup), its context */
    pyaser_port *port;            /* the operation's port and id, for cancel() */
    int op_id;
    int status;
    char done, blocking, cancel_asked;
} pyaser_waiter;

extern PyType_Spec pyaser_waiter_spec;
/* The operation w completes was started on po with id op_id. */
void pyaser_waiter_started(pyaser_waiter *w, pyaser_port *po, int op_id);
/* Record the completion (payload: the bytes, None, or the message) and
 * wake the awaiting task. Inside run_once() the task runs at once, from
 * the C callback, as a C program's next step would (what it starts then
 * begins in the same iteration); while another woken task runs, it waits
 * in lo->ready; outside run_once() it is woken through the asyncio loop's
 * call_soon. -1 with an exception. */
int pyaser_waiter_complete(pyaser_waiter *w, pyaser_loop *lo, int status, PyObject *payload);
/* Wake the tasks of the Waiters in lo->ready. Errors are kept on lo. */
void pyaser_loop_wake_ready(pyaser_loop *lo);
/* A new Waiter on loop (the asyncio loop or a weak reference to it). */
pyaser_waiter *pyaser_waiter_make(pyaser_state *st, PyObject *loop);
/* Nobody awaits w any more: its operation is cancelled if it is still
 * running and its completion wakes nobody. */
void pyaser_waiter_abandon(pyaser_waiter *w);

/* ---- TrioOp (trioop.c) ------------------------------------------------ */
typedef struct pyaser_trioop {
    PyObject_HEAD PyObject *task; /* the sleeping trio task (until rescheduled) */
    PyObject *kit;                /* what the hub bound (trioop.c) */
    PyObject *raise_cancel;       /* given to abort(): trio cancelled the task */
    PyObject *payload;            /* a success's payload, until DONE comes back */
    pyaser_port *port;            /* the operation's port and id, for abort() */
    int op_id;
    int done;
    int yielded; /* awaited directly: the trap is out, the outcome comes next */
} pyaser_trioop;

extern PyType_Spec pyaser_trioop_spec;
void pyaser_trioop_started(pyaser_trioop *op, pyaser_port *po, int op_id);
/* Reschedule the task with the completion's outcome (in_run: called from
 * inside Loop.run_once(), under the hub's system task); -1 with an
 * exception. */
int pyaser_trioop_complete(pyaser_trioop *op, int status, PyObject *payload, int in_run);
/* A new TrioOp for the current trio task (kit: as TrioOp's); NULL with an
 * exception (not in a trio task). */
pyaser_trioop *pyaser_trioop_make(pyaser_state *st, PyObject *kit);
/* What the task awaits once op's operation has started: op itself (the
 * kit has the trap class) or wait_task_rescheduled(op.abort). */
PyObject *pyaser_trioop_awaitable(pyaser_trioop *op);
/* Nobody awaits op any more: as pyaser_waiter_abandon. */
void pyaser_trioop_abandon(pyaser_trioop *op);

/* ---- SerialPort.query in C (query.c) ---------------------------------- */
extern PyType_Spec pyaser_portbase_spec;  /* PortBase: SerialPort's C base */
extern PyType_Spec pyaser_querycall_spec; /* QueryCall: what query() returns */

/* ---- virtual devices and discovery ------------------------------------ */
extern PyType_Spec pyaser_mock_spec;
extern PyType_Spec pyaser_pair_spec;
extern PyType_Spec pyaser_sim_spec;
extern PyType_Spec pyaser_hotplug_spec;
PyObject *pyaser_list_ports(PyObject *module, PyObject *args, PyObject *kwds);
PyObject *pyaser_info_dict(const aser_port_info *info);

#endif
