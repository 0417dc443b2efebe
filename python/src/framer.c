/* framer.c: framer descriptions from Python into aser_framer.
 *
 * aserial.Framer keeps its description as a tuple whose first item names
 * the kind (aserial/_framer.py builds them):
 *   ("delims", (bytes, ...), keep_delim, max)   up to 4 delimiters of 1-8 bytes
 *   ("idle", gap_us, max)
 *   ("modbus_rtu", config_string_or_None)
 *   ("fixed", size)
 *   ("length", offset, width, big_endian, adjust, max)
 *   ("slip", max)  ("cobs", max) */
#include "pyaser.h"

static int bad(const char *what)
{
    PyErr_Format(PyExc_ValueError, "framer: %s", what);
    return -1;
}

static int delims_from(PyObject *desc, aser_framer *f)
{
    PyObject *seq;
    int keep;
    Py_ssize_t max;
    if (!PyArg_ParseTuple(desc, "sOpn", &(const char *){0}, &seq, &keep, &max)) return -1;
    PyObject *fast = PySequence_Fast(seq, "framer: the delimiters must be a sequence of bytes");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    int rc = 0;
    if (n < 1 || n > ASER_FRAMER_MAX_DELIMS) rc = bad("give 1 to 4 delimiters");
    memset(f, 0, sizeof *f);
    f->kind = ASER_FRAMING_DELIMS;
    f->keep_delim = keep;
    f->max = (size_t)max;
    for (Py_ssize_t i = 0; rc == 0 && i < n; i++) {
        PyObject *d = PySequence_Fast_GET_ITEM(fast, i);
        char *buf;
        Py_ssize_t len;
        if (PyBytes_AsStringAndSize(d, &buf, &len) < 0) {
            rc = -1;
        } else if (len < 1 || len > ASER_FRAMER_MAX_DELIM_LEN) {
            rc = bad("each delimiter must be 1 to 8 bytes");
        } else {
            memcpy(f->delim[i], buf, (size_t)len);
            f->delim_len[i] = (uint8_t)len;
        }
    }
    f->ndelims = (unsigned)n;
    Py_DECREF(fast);
    return rc;
}

int pyaser_framer_from(pyaser_state *st, PyObject *desc, aser_framer *f)
{
    if (!PyTuple_Check(desc) || PyTuple_GET_SIZE(desc) < 1 ||
        !PyUnicode_Check(PyTuple_GET_ITEM(desc, 0))) {
        PyErr_SetString(PyExc_TypeError, "framer: expected an aserial.Framer");
        return -1;
    }
    const char *kind = PyUnicode_AsUTF8(PyTuple_GET_ITEM(desc, 0));
    const char *s = NULL;
    Py_ssize_t a = 0, max = 0;
    unsigned width = 0;
    int big = 0;
    long adjust = 0;
    PyObject *cfg_obj = Py_None;
    int rc;
    if (!kind) return -1;
    if (strcmp(kind, "delims") == 0) return delims_from(desc, f);
    if (strcmp(kind, "idle") == 0) {
        if (!PyArg_ParseTuple(desc, "snn", &s, &a, &max)) return -1;
        if (a < 1 || a > UINT32_MAX) return bad("idle: the gap must be 1 us or more");
        rc = aser_framer_idle(f, (uint32_t)a);
    } else if (strcmp(kind, "modbus_rtu") == 0) {
        aser_config cfg;
        if (!PyArg_ParseTuple(desc, "sO", &s, &cfg_obj)) return -1;
        if (pyaser_config_from(st, cfg_obj, &cfg) < 0) return -1;
        return aser_framer_modbus_rtu(f, &cfg) < 0 ? bad("modbus_rtu: bad config") : 0;
    } else if (strcmp(kind, "fixed") == 0) {
        if (!PyArg_ParseTuple(desc, "sn", &s, &a)) return -1;
        rc = a >= 1 ? aser_framer_fixed(f, (size_t)a) : ASER_EINVAL;
    } else if (strcmp(kind, "length") == 0) {
        if (!PyArg_ParseTuple(desc, "snIpln", &s, &a, &width, &big, &adjust, &max)) return -1;
        rc = a >= 0 ? aser_framer_length(f, (size_t)a, width, big, adjust) : ASER_EINVAL;
    } else if (strcmp(kind, "slip") == 0) {
        if (!PyArg_ParseTuple(desc, "sn", &s, &max)) return -1;
        rc = aser_framer_slip(f);
    } else if (strcmp(kind, "cobs") == 0) {
        if (!PyArg_ParseTuple(desc, "sn", &s, &max)) return -1;
        rc = aser_framer_cobs(f);
    } else {
        PyErr_Format(PyExc_ValueError, "framer: unknown kind '%s'", kind);
        return -1;
    }
    if (rc < 0) {
        PyErr_Format(PyExc_ValueError, "framer %s: a parameter is out of range", kind);
        return -1;
    }
    if (max < 0) return bad("max must be 0 (the port's read buffer) or more");
    if (max) f->max = (size_t)max;
    return 0;
}

/* framer_encode(desc, data) -> bytes */
PyObject *pyaser_framer_encode(PyObject *module, PyObject *args)
{
    PyObject *desc;
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "Oy*:framer_encode", &desc, &data)) return NULL;
    aser_framer f;
    PyObject *out = NULL;
    if (pyaser_framer_from(pyaser_state_of(module), desc, &f) == 0) {
        size_t cap = 2 * (size_t)data.len + ASER_FRAMER_MAX_DELIM_LEN + 2;
        out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)cap);
        if (out) {
            ssize_t n = aser_framer_encode(&f, data.buf, (size_t)data.len, PyBytes_AS_STRING(out),
                                           cap);
            if (n < 0) {
                Py_CLEAR(out);
                pyaser_raise(pyaser_state_of(module), (int)n,
                             n == ASER_ENOTSUP ? "this framer sends frames as they are: write "
                                                 "the bytes unchanged"
                                               : NULL);
            } else if (_PyBytes_Resize(&out, (Py_ssize_t)n) < 0) {
                out = NULL;
            }
        }
    }
    PyBuffer_Release(&data);
    return out;
}
