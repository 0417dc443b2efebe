/* module.c: the _aserial module: its state, errors, constants and the
 * functions that need no object (config strings, error names, discovery
 * entry points). pyaser.h describes the layer. */
#include "pyaser.h"

#include <limits.h>
#include <math.h>

/* ====================================================================== */
/* Module state                                                            */
/* ====================================================================== */

pyaser_state *pyaser_state_of(PyObject *module)
{
    return (pyaser_state *)PyModule_GetState(module);
}

pyaser_state *pyaser_state_from_type(PyTypeObject *tp)
{
    PyObject *m = PyType_GetModuleByDef(tp, &pyaser_module);
    return m ? pyaser_state_of(m) : NULL;
}

/* ====================================================================== */
/* Errors                                                                  */
/* ====================================================================== */

PyObject *pyaser_raise(pyaser_state *st, int code, const char *message)
{
    if (!message || !*message) message = aser_strerror(code);
    if (!st || !st->error_factory) {
        PyErr_Format(PyExc_OSError, "%s (%s)", message, aser_err_name(code));
        return NULL;
    }
    PyObject *exc = PyObject_CallFunction(st->error_factory, "iss", code, aser_err_name(code),
                                          message);
    if (!exc) return NULL;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return NULL;
}

static PyObject *set_error_factory(PyObject *module, PyObject *fn)
{
    if (!PyCallable_Check(fn)) {
        PyErr_SetString(PyExc_TypeError, "_set_error_factory needs a callable");
        return NULL;
    }
    pyaser_state *st = pyaser_state_of(module);
    Py_XSETREF(st->error_factory, Py_NewRef(fn));
    Py_RETURN_NONE;
}

static PyObject *py_strerror(PyObject *module, PyObject *arg)
{
    long code = PyLong_AsLong(arg);
    if (code == -1 && PyErr_Occurred()) return NULL;
    return PyUnicode_FromString(aser_strerror((int)code));
}

static PyObject *py_err_name(PyObject *module, PyObject *arg)
{
    long code = PyLong_AsLong(arg);
    if (code == -1 && PyErr_Occurred()) return NULL;
    return PyUnicode_FromString(aser_err_name((int)code));
}

/* ====================================================================== */
/* Configuration strings                                                   */
/* ====================================================================== */

int pyaser_config_from(pyaser_state *st, PyObject *obj, aser_config *cfg)
{
    *cfg = (aser_config)ASER_CONFIG_DEFAULT;
    if (!obj || obj == Py_None) return 0;
    const char *s = PyUnicode_AsUTF8(obj);
    if (!s) return -1;
    aser_err err = {0};
    int rc = aser_config_parse(cfg, s, &err);
    if (rc == 0) rc = aser_config_validate(cfg, &err);
    if (rc < 0) {
        pyaser_raise(st, rc, err.msg);
        return -1;
    }
    return 0;
}

/* config_normalize(str) -> str: the string parsed, checked and formatted
 * back (aser_config_format), so SerialConfig can check itself early. */
static PyObject *config_normalize(PyObject *module, PyObject *arg)
{
    aser_config cfg;
    if (pyaser_config_from(pyaser_state_of(module), arg, &cfg) < 0) return NULL;
    char buf[512];
    int n = aser_config_format(&cfg, buf, sizeof buf);
    if (n < 0) return pyaser_raise(pyaser_state_of(module), n, NULL);
    return PyUnicode_FromString(buf);
}

int pyaser_ms(PyObject *timeout, unsigned *ms)
{
    if (timeout == Py_None) {
        *ms = 0;
        return 0;
    }
    double t = PyFloat_CheckExact(timeout) ? PyFloat_AS_DOUBLE(timeout) : PyFloat_AsDouble(timeout);
    if (t == -1.0 && PyErr_Occurred()) {
        PyErr_Format(PyExc_TypeError, "timeout must be a number of seconds or None, not %.100s",
                     Py_TYPE(timeout)->tp_name);
        return -1;
    }
    if (isnan(t)) {
        PyErr_SetString(PyExc_ValueError, "timeout must be a number of seconds or None, not NaN");
        return -1;
    }
    double m = t <= 0 ? 1 : ceil(t * 1000.0);
    *ms = m >= (double)UINT_MAX ? UINT_MAX : m < 1 ? 1 : (unsigned)m;
    return 0;
}

/* ms(timeout) -> int: pyaser_ms for the Python layer. */
static PyObject *py_ms(PyObject *module, PyObject *arg)
{
    unsigned ms;
    return pyaser_ms(arg, &ms) < 0 ? NULL : PyLong_FromUnsignedLong(ms);
}

/* ====================================================================== */
/* Module definition                                                       */
/* ====================================================================== */

static PyMethodDef module_methods[] = {
    {"open", (PyCFunction)(void (*)(void))pyaser_open, METH_VARARGS | METH_KEYWORDS,
     "open(loop, url, config=None) -> Port\n\nOpen url on loop (an aserial Loop, or None for a "
     "blocking port with a private loop). config is a config string (\"9600,7E1,rtscts\")."},
    {"list_ports", (PyCFunction)(void (*)(void))pyaser_list_ports, METH_VARARGS | METH_KEYWORDS,
     "list_ports(all=False, vid=-1, pid=-1, serial_number=None, device=None, pattern=None) -> "
     "list[dict]\n\nThe serial ports matching the filter, as dicts of aser_port_info fields."},
    {"framer_encode", pyaser_framer_encode, METH_VARARGS,
     "framer_encode(desc, data) -> bytes: data as one frame (SLIP, COBS, delimiters)."},
    {"config_normalize", config_normalize, METH_O,
     "config_normalize(str) -> str: parse, check and format a config string."},
    {"strerror", py_strerror, METH_O, "strerror(code) -> str"},
    {"ms", py_ms, METH_O,
     "ms(timeout) -> int: seconds (None: no deadline) to milliseconds for the C calls: 0 for "
     "None, 1 at or below zero, rounded up, at most 2**32 - 1."},
    {"err_name", py_err_name, METH_O, "err_name(code) -> str (\"ASER_ETIMEDOUT\")"},
    {"_set_error_factory", set_error_factory, METH_O,
     "_set_error_factory(fn): fn(code, name, message) builds the exception to raise."},
    {NULL, NULL, 0, NULL}};

static int add_type(PyObject *m, PyType_Spec *spec, PyTypeObject **slot)
{
    *slot = (PyTypeObject *)PyType_FromModuleAndSpec(m, spec, NULL);
    if (!*slot) return -1;
    return PyModule_AddType(m, *slot);
}

static int add_constants(PyObject *m)
{
#define ADD(name, value) \
    if (PyModule_AddIntConstant(m, name, value) < 0) return -1;
#define ASER_ERR_ADD_(name, value, text) ADD(#name, value)
    ASER_ERRNO_MAP(ASER_ERR_ADD_)
#undef ASER_ERR_ADD_
    ADD("LINE_DTR", ASER_LINE_DTR);
    ADD("LINE_RTS", ASER_LINE_RTS);
    ADD("LINE_CTS", ASER_LINE_CTS);
    ADD("LINE_DSR", ASER_LINE_DSR);
    ADD("LINE_CD", ASER_LINE_CD);
    ADD("LINE_RI", ASER_LINE_RI);
    ADD("LINEERR_OVERRUN", ASER_LINEERR_OVERRUN);
    ADD("LINEERR_PARITY", ASER_LINEERR_PARITY);
    ADD("LINEERR_FRAMING", ASER_LINEERR_FRAMING);
    ADD("LINEERR_BREAK", ASER_LINEERR_BREAK);
    ADD("DISCARD_INPUT", ASER_DISCARD_INPUT);
    ADD("DISCARD_OUTPUT", ASER_DISCARD_OUTPUT);
    ADD("DISCARD_BOTH", ASER_DISCARD_BOTH);
    ADD("LINK_LOST", ASER_LINK_LOST);
    ADD("LINK_RESTORED", ASER_LINK_RESTORED);
    ADD("LINK_GAVE_UP", ASER_LINK_GAVE_UP);
    ADD("FEAT_COUNT", ASER_FEAT_COUNT_);
#undef ADD
    return 0;
}

int pyaser_start_call(PyObject *cb, PyObject *const *args, Py_ssize_t nargs, const char *usage)
{
    enum {
        MAX_ARGS = 12
    };
    if (nargs < 2 || nargs - 1 > MAX_ARGS) {
        PyErr_Format(PyExc_TypeError, "%s: at most %d args", usage, MAX_ARGS - 1);
        return -1;
    }
    PyObject *stack[MAX_ARGS];
    stack[0] = cb;
    for (Py_ssize_t i = 2; i < nargs; i++) stack[i - 1] = args[i];
    PyObject *res = PyObject_Vectorcall(args[1], stack, (size_t)(nargs - 1), NULL);
    if (!res) return -1;
    Py_DECREF(res);
    return 0;
}

PyObject *pyaser_next_of_send(PySendResult r, PyObject *res)
{
    if (r == PYGEN_NEXT) return res;
    if (r == PYGEN_RETURN) {
        PyObject *stop = PyObject_CallOneArg(PyExc_StopIteration, res);
        Py_DECREF(res);
        if (stop) {
            PyErr_SetObject(PyExc_StopIteration, stop);
            Py_DECREF(stop);
        }
    }
    return NULL;
}

static int module_exec(PyObject *m)
{
    pyaser_state *st = pyaser_state_of(m);
    if (add_type(m, &pyaser_loop_spec, &st->loop_type) < 0 ||
        add_type(m, &pyaser_port_spec, &st->port_type) < 0 ||
        add_type(m, &pyaser_mock_spec, &st->mock_type) < 0 ||
        add_type(m, &pyaser_pair_spec, &st->pair_type) < 0 ||
        add_type(m, &pyaser_sim_spec, &st->sim_type) < 0 ||
        add_type(m, &pyaser_hotplug_spec, &st->hotplug_type) < 0 ||
        add_type(m, &pyaser_waiter_spec, &st->waiter_type) < 0 ||
        add_type(m, &pyaser_trioop_spec, &st->trioop_type) < 0 ||
        add_type(m, &pyaser_querycall_spec, &st->querycall_type) < 0 ||
        add_type(m, &pyaser_portbase_spec, &st->portbase_type) < 0)
        return -1;
    for (int i = 0; i < PYASER_QUERY_NARGS; i++)
        if (!(st->query_kw[i] = PyUnicode_InternFromString(pyaser_query_kw[i]))) return -1;
    st->str_value = PyUnicode_InternFromString("value");
    st->str_error = PyUnicode_InternFromString("error");
    if (!st->str_value || !st->str_error) return -1;
    PyObject *names = PyList_New(0);
    if (!names) return -1;
    for (int f = 0; f < ASER_FEAT_COUNT_; f++) {
        PyObject *s = PyUnicode_FromString(aser_feature_name((aser_feature)f));
        if (!s || PyList_Append(names, s) < 0) {
            Py_XDECREF(s);
            Py_DECREF(names);
            return -1;
        }
        Py_DECREF(s);
    }
    int rc = PyModule_AddObjectRef(m, "FEATURES", names);
    Py_DECREF(names);
    if (rc < 0) return -1;
    return add_constants(m);
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
    pyaser_state *st = pyaser_state_of(m);
    Py_VISIT(st->loop_type);
    Py_VISIT(st->port_type);
    Py_VISIT(st->mock_type);
    Py_VISIT(st->pair_type);
    Py_VISIT(st->sim_type);
    Py_VISIT(st->hotplug_type);
    Py_VISIT(st->waiter_type);
    Py_VISIT(st->trioop_type);
    Py_VISIT(st->querycall_type);
    Py_VISIT(st->portbase_type);
    for (int i = 0; i < PYASER_QUERY_NARGS; i++) Py_VISIT(st->query_kw[i]);
    Py_VISIT(st->error_factory);
    Py_VISIT(st->str_value);
    Py_VISIT(st->str_error);
    return 0;
}

static int module_clear(PyObject *m)
{
    pyaser_state *st = pyaser_state_of(m);
    Py_CLEAR(st->loop_type);
    Py_CLEAR(st->port_type);
    Py_CLEAR(st->mock_type);
    Py_CLEAR(st->pair_type);
    Py_CLEAR(st->sim_type);
    Py_CLEAR(st->hotplug_type);
    Py_CLEAR(st->waiter_type);
    Py_CLEAR(st->trioop_type);
    Py_CLEAR(st->querycall_type);
    Py_CLEAR(st->portbase_type);
    for (int i = 0; i < PYASER_QUERY_NARGS; i++) Py_CLEAR(st->query_kw[i]);
    Py_CLEAR(st->error_factory);
    Py_CLEAR(st->str_value);
    Py_CLEAR(st->str_error);
    return 0;
}

static void module_free(void *m)
{
    module_clear((PyObject *)m);
}

static PyModuleDef_Slot module_slots[] = {{Py_mod_exec, module_exec}, {0, NULL}};

PyModuleDef pyaser_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "aserial._aserial",
    .m_doc = "The C layer of the aserial package over libaserial's public API. Use the "
             "aserial package, not this module.",
    .m_size = sizeof(pyaser_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit__aserial(void);
PyMODINIT_FUNC PyInit__aserial(void)
{
    return PyModuleDef_Init(&pyaser_module);
}
