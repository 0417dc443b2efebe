/* find.c: filters, aser_find_port(s), and usb:VID:PID[:SERIAL] lookups,
 * on every platform, over the list the platform gives (platform.h). */
#include "discover/platform.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool glob_matches(const char *pattern, const char *s)
{
    return s && aser__discover_glob(pattern, s);
}

bool aser_port_info_matches(const aser_port_info *info, const aser_port_filter *f)
{
    if (!f) return true;
    if (f->vid >= 0 && info->vid != f->vid) return false;
    if (f->pid >= 0 && info->pid != f->pid) return false;
    if (f->serial_number &&
        (!info->serial_number || strcmp(info->serial_number, f->serial_number) != 0))
        return false;
    if (f->device && !aser__discover_names_port(info, f->device)) return false;
    if (f->pattern && !glob_matches(f->pattern, info->description) &&
        !glob_matches(f->pattern, info->product))
        return false;
    return true;
}

/* Every port matching f (all of them without f), in natural order. */
static int find_all(const aser_port_filter *f, aser_port_info **out, size_t *n, aser_err *err)
{
    int rc = aser__discover_all(f ? f->flags : 0, out, n, err);
    if (rc < 0) return rc;
    size_t w = 0;
    for (size_t i = 0; i < *n; i++) {
        if (aser_port_info_matches(&(*out)[i], f))
            (*out)[w++] = (*out)[i];
        else
            aser__port_info_clear(&(*out)[i]);
    }
    *n = w;
    if (w == 0) {
        free(*out);
        *out = NULL;
    }
    return 0;
}

int aser_find_ports(const aser_port_filter *filter, aser_port_info **out, size_t *n)
{
    if (!out || !n) return ASER_EINVAL;
    return find_all(filter, out, n, NULL);
}

/* A short account of a filter for messages: "USB 0403:6001 serial "X"". */
static void describe_filter(const aser_port_filter *f, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
#define ADD_(...)                                                 \
    do {                                                          \
        if (len < cap) {                                          \
            int k_ = snprintf(buf + len, cap - len, __VA_ARGS__); \
            if (k_ > 0) len += (size_t)k_;                        \
        }                                                         \
    } while (0)
    if (f->vid >= 0 && f->pid >= 0)
        ADD_(" USB id %04x:%04x", (unsigned)f->vid, (unsigned)f->pid);
    else if (f->vid >= 0)
        ADD_(" USB vendor %04x", (unsigned)f->vid);
    else if (f->pid >= 0)
        ADD_(" USB product %04x", (unsigned)f->pid);
    if (f->serial_number) ADD_(" serial \"%.40s\"", f->serial_number);
    if (f->device) ADD_(" device %.60s", f->device);
    if (f->pattern) ADD_(" matching \"%.40s\"", f->pattern);
#undef ADD_
    if (!buf[0]) snprintf(buf, cap, " (any)");
}

int aser_find_port(const aser_port_filter *filter, aser_port_info **out, aser_err *err)
{
    aser_port_info *list;
    size_t n;
    if (!out) return aser__err(err, ASER_EINVAL, "aser_find_port: out is NULL");
    *out = NULL;
    int rc = find_all(filter, &list, &n, err);
    if (rc < 0) return rc;
    if (n == 0) {
        char what[160];
        aser_port_filter any = ASER_PORT_FILTER_INIT;
        describe_filter(filter ? filter : &any, what, sizeof what);
        return aser__err(err, ASER_ENOENT, "no serial port with%s: is it plugged in? %s", what,
                         aser__discover_where);
    }
    for (size_t i = 1; i < n; i++) aser__port_info_clear(&list[i]);
    aser_port_info *one = realloc(list, sizeof *one);
    *out = one ? one : list; /* shrinking cannot really fail; keep list if so */
    return 0;
}

/* ---- usb: URLs ---------------------------------------------------------- */

/* 1 to 4 hex digits, exactly len characters. */
static int parse_hex16(const char *s, size_t len)
{
    if (len < 1 || len > 4) return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        int c = tolower((unsigned char)s[i]);
        if (!isxdigit(c)) return -1;
        v = v * 16 + (isdigit(c) ? c - '0' : c - 'a' + 10);
    }
    return v;
}

/* Split "VID:PID[:SERIAL]" into f. The serial is the rest after the
 * second colon (it may hold colons itself). 0 or -1. */
static int parse_usb_spec(const char *spec, aser_port_filter *f)
{
    const char *c1 = strchr(spec, ':');
    if (!c1) return -1;
    const char *c2 = strchr(c1 + 1, ':');
    size_t plen = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
    f->vid = parse_hex16(spec, (size_t)(c1 - spec));
    f->pid = parse_hex16(c1 + 1, plen);
    if (f->vid < 0 || f->pid < 0) return -1;
    if (c2) {
        if (!c2[1]) return -1;
        f->serial_number = c2 + 1;
    }
    return 0;
}

/* Serial numbers present for vid:pid, for the "not found" hint. */
static void present_serials(const aser_port_filter *f, char *buf, size_t cap)
{
    aser_port_filter id = ASER_PORT_FILTER_INIT;
    aser_port_info *list;
    size_t n, len = 0;
    buf[0] = '\0';
    id.vid = f->vid;
    id.pid = f->pid;
    if (find_all(&id, &list, &n, NULL) < 0) return;
    for (size_t i = 0; i < n && len < cap; i++) {
        const char *s = list[i].serial_number ? list[i].serial_number : "(none)";
        int k = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", s);
        if (k > 0) len += (size_t)k;
    }
    aser_port_info_free_list(list, n);
}

static int usb_not_found(const aser_port_filter *f, const char *spec, aser_err *err)
{
    char serials[100];
    if (f->serial_number)
        present_serials(f, serials, sizeof serials);
    else
        serials[0] = '\0';
    if (serials[0])
        return aser__err(err, ASER_ENOENT,
                         "no serial port matches usb:%.60s; %04x:%04x is present with "
                         "serial %s: check the serial number (`aserial list -v`)",
                         spec, (unsigned)f->vid, (unsigned)f->pid, serials);
    return aser__err(err, ASER_ENOENT,
                     "no serial port matches usb:%.60s (USB %04x:%04x): is it plugged "
                     "in? %s",
                     spec, (unsigned)f->vid, (unsigned)f->pid, aser__discover_where);
}

int aser__discover_resolve_usb(const char *spec, char *path, size_t cap, aser_err *err)
{
    aser_port_filter f = ASER_PORT_FILTER_INIT;
    if (!spec || parse_usb_spec(spec, &f) < 0)
        return aser__err(err, ASER_EBADURL,
                         "bad usb: URL \"usb:%.60s\": expected usb:VID:PID[:SERIAL] with "
                         "VID and PID in hex, e.g. usb:0403:6001 or usb:0403:6001:A600XYZ",
                         spec ? spec : "");
    if (aser__discover_no_usb)
        return aser__err(err, ASER_ENOTSUP, "usb:%.60s: %s", spec, aser__discover_no_usb);
    aser_port_info *list;
    size_t n;
    int rc = find_all(&f, &list, &n, err);
    if (rc < 0) return rc;
    if (n == 0) return usb_not_found(&f, spec, err);
    size_t len = strlen(list[0].device);
    if (len >= cap)
        rc = aser__err(err, ASER_ERANGE, "device %.100s is longer than the buffer (%lu bytes)",
                       list[0].device, (unsigned long)cap);
    else
        memcpy(path, list[0].device, len + 1);
    aser_port_info_free_list(list, n);
    return rc;
}
