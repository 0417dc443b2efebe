/* discover.c: listing and finding ports, and the Hotplug watcher. Port
 * descriptions cross into Python as dicts with the aser_port_info field
 * names (aserial/_discovery.py turns them into PortInfo). */
#include "pyaser.h"

static int set_str(PyObject *d, const char *key, const char *value)
{
    PyObject *v = value ? PyUnicode_DecodeUTF8(value, (Py_ssize_t)strlen(value), "replace")
                        : Py_NewRef(Py_None);
    if (!v) return -1;
    int rc = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return rc;
}

static int set_int(PyObject *d, const char *key, int value)
{
    PyObject *v = value < 0 ? Py_NewRef(Py_None) : PyLong_FromLong(value);
    if (!v) return -1;
    int rc = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return rc;
}

PyObject *pyaser_info_dict(const aser_port_info *i)
{
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    if (set_str(d, "device", i->device) < 0 || set_str(d, "name", i->name) < 0 ||
        set_str(d, "description", i->description) < 0 || set_str(d, "hwid", i->hwid) < 0 ||
        set_str(d, "subsystem", i->subsystem) < 0 || set_int(d, "vid", i->vid) < 0 ||
        set_int(d, "pid", i->pid) < 0 || set_str(d, "serial_number", i->serial_number) < 0 ||
        set_str(d, "manufacturer", i->manufacturer) < 0 || set_str(d, "product", i->product) < 0 ||
        set_str(d, "location", i->location) < 0 || set_int(d, "interface", i->usb_interface) < 0 ||
        set_str(d, "driver", i->driver) < 0 || set_str(d, "by_id", i->by_id) < 0 ||
        set_str(d, "by_path", i->by_path) < 0) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

PyObject *pyaser_list_ports(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"all", "vid", "pid", "serial_number", "device", "pattern", NULL};
    aser_port_filter f = ASER_PORT_FILTER_INIT;
    int all = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|piizzz:list_ports", kwlist, &all, &f.vid, &f.pid,
                                     &f.serial_number, &f.device, &f.pattern))
        return NULL;
    if (all) f.flags = ASER_LIST_ALL;
    aser_port_info *list = NULL;
    size_t n = 0;
    int rc;
    PyThreadState *ts_ = PyEval_SaveThread();
    rc = aser_find_ports(&f, &list, &n);
    PyEval_RestoreThread(ts_);
    if (rc < 0) return pyaser_raise(pyaser_state_of(module), rc, "cannot list the serial ports");
    PyObject *out = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; out && i < n; i++) {
        PyObject *d = pyaser_info_dict(&list[i]);
        if (!d) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)i, d);
    }
    aser_port_info_free_list(list, n);
    return out;
}

/* ====================================================================== */
/* Hotplug                                                                 */
/* ====================================================================== */

typedef struct pyaser_hotplug {
    PyObject_HEAD aser_hotplug *h;
    pyaser_loop *loop;
    PyObject *cb;
} pyaser_hotplug;

static void hotplug_cb(aser_hotplug *h, aser_hotplug_event ev, const aser_port_info *info,
                       void *ctx)
{
    pyaser_hotplug *hp = ctx;
    Py_INCREF(hp);
    PyObject *d = pyaser_info_dict(info);
    PyObject *res = d ? PyObject_CallFunction(hp->cb, "sO", aser_hotplug_event_name(ev), d) : NULL;
    if (!res)
        pyaser_loop_keep_error(hp->loop);
    else
        Py_DECREF(res);
    Py_XDECREF(d);
    Py_DECREF(hp);
}

static PyObject *hotplug_new(PyTypeObject *tp, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"loop", "cb", NULL};
    pyaser_state *st = pyaser_state_from_type(tp);
    PyObject *lo_obj, *cb;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO:Hotplug", kwlist, &lo_obj, &cb)) return NULL;
    if (!st || !PyObject_TypeCheck(lo_obj, st->loop_type) || !((pyaser_loop *)lo_obj)->loop ||
        !PyCallable_Check(cb)) {
        PyErr_SetString(PyExc_TypeError, "Hotplug: expected an open Loop and a callable");
        return NULL;
    }
    pyaser_hotplug *hp = (pyaser_hotplug *)tp->tp_alloc(tp, 0);
    if (!hp) return NULL;
    hp->loop = (pyaser_loop *)Py_NewRef(lo_obj);
    hp->cb = Py_NewRef(cb);
    int rc = aser_hotplug_start(hp->loop->loop, hotplug_cb, hp, &hp->h);
    if (rc == 0) hp->loop->users++;
    if (rc < 0) {
        Py_DECREF(hp);
        return pyaser_raise(st, rc, "cannot watch for serial ports coming and going");
    }
    return (PyObject *)hp;
}

static void hotplug_stop_c(pyaser_hotplug *hp)
{
    if (!hp->h) return;
    aser_hotplug_stop(hp->h);
    hp->h = NULL;
    hp->loop->users--;
}

static void hotplug_dealloc(pyaser_hotplug *hp)
{
    PyTypeObject *tp = Py_TYPE(hp);
    PyObject_GC_UnTrack(hp);
    hotplug_stop_c(hp);
    Py_CLEAR(hp->cb);
    Py_CLEAR(hp->loop);
    tp->tp_free(hp);
    Py_DECREF(tp);
}

static int hotplug_traverse(pyaser_hotplug *hp, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(hp));
    Py_VISIT(hp->loop);
    Py_VISIT(hp->cb);
    return 0;
}

static int hotplug_clear(pyaser_hotplug *hp)
{
    hotplug_stop_c(hp);
    Py_CLEAR(hp->cb);
    return 0;
}

static PyObject *hotplug_stop(pyaser_hotplug *hp, PyObject *unused)
{
    hotplug_stop_c(hp);
    Py_RETURN_NONE;
}

static PyMethodDef hotplug_methods[] = {
    {"stop", (PyCFunction)hotplug_stop, METH_NOARGS, "stop(): stop watching"},
    {NULL, NULL, 0, NULL}};

static PyType_Slot hotplug_slots[] = {
    {Py_tp_new, hotplug_new},
    {Py_tp_dealloc, hotplug_dealloc},
    {Py_tp_traverse, hotplug_traverse},
    {Py_tp_clear, hotplug_clear},
    {Py_tp_methods, hotplug_methods},
    {Py_tp_doc, "Hotplug(loop, cb): cb(\"add\" or \"remove\", info dict) as ports come and go."},
    {0, NULL}};

PyType_Spec pyaser_hotplug_spec = {
    .name = "aserial._aserial.Hotplug",
    .basicsize = sizeof(pyaser_hotplug),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = hotplug_slots,
};
