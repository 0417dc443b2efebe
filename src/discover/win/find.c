/* find.c (Windows): filters, aser_find_port(s), and usb:VID:PID[:SERIAL]
 * lookups over the list of list.c. The same contract as the POSIX
 * src/discover/find.c; what differs is what a name is: port names are
 * matched ignoring case and with or without "\\.\" ("com5", "COM5",
 * "\\.\COM5" are one port), and the pattern glob is matched here (*, ?,
 * [set]; ignoring case) since Windows has no fnmatch. */
#include "discover/win/win.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *strip_ns(const char *s)
{
    if (!strncmp(s, "\\\\.\\", 4) || !strncmp(s, "//./", 4) || !strncmp(s, "\\\\?\\", 4))
        return s + 4;
    return s;
}

static bool device_matches(const aser_port_info *info, const char *dev)
{
    const char *d = strip_ns(dev);
    return (info->name && _stricmp(info->name, d) == 0) ||
           (info->device && _stricmp(strip_ns(info->device), d) == 0);
}

/* A glob, ignoring case: * any run, ? one character, [abc] [a-z] [!x]. */
static bool glob(const char *p, const char *s)
{
    for (; *p; p++, s++) {
        if (*p == '*') {
            while (p[1] == '*') p++;
            for (const char *t = s;; t++) {
                if (glob(p + 1, t)) return true;
                if (!*t) return false;
            }
        }
        if (!*s) return false;
        int c = tolower((unsigned char)*s);
        if (*p == '?') continue;
        if (*p == '[' && strchr(p + 1, ']')) {
            bool neg = p[1] == '!' || p[1] == '^', hit = false;
            const char *q = p + 1 + neg;
            do { /* the first ']' right after '[' is a member */
                int lo = tolower((unsigned char)*q), hi = lo;
                if (q[1] == '-' && q[2] && q[2] != ']') {
                    hi = tolower((unsigned char)q[2]);
                    q += 2;
                }
                if (c >= lo && c <= hi) hit = true;
                q++;
            } while (*q && *q != ']');
            if (hit == neg) return false;
            p = q;
            continue;
        }
        if (tolower((unsigned char)*p) != c) return false;
    }
    return !*s;
}

static bool glob_matches(const char *pattern, const char *s)
{
    return s && glob(pattern, s);
}

bool aser_port_info_matches(const aser_port_info *info, const aser_port_filter *f)
{
    if (!f) return true;
    if (f->vid >= 0 && info->vid != f->vid) return false;
    if (f->pid >= 0 && info->pid != f->pid) return false;
    if (f->serial_number &&
        (!info->serial_number || strcmp(info->serial_number, f->serial_number) != 0))
        return false;
    if (f->device && !device_matches(info, f->device)) return false;
    if (f->pattern && !glob_matches(f->pattern, info->description) &&
        !glob_matches(f->pattern, info->product))
        return false;
    return true;
}

static int find_all(const aser_port_filter *f, aser_port_info **out, size_t *n, aser_err *err)
{
    int rc = aser__win_list(out, n, err);
    if (rc < 0) return rc;
    size_t w = 0;
    for (size_t i = 0; i < *n; i++) {
        if (aser_port_info_matches(&(*out)[i], f))
            (*out)[w++] = (*out)[i];
        else
            aser__win_info_clear(&(*out)[i]);
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
    if (f->device) ADD_(" name %.60s", f->device);
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
        return aser__err(err, ASER_ENOENT,
                         "no serial port with%s: is it plugged in? Device Manager (Ports "
                         "(COM & LPT)) or `aserial list -v` shows the ports present",
                         what);
    }
    for (size_t i = 1; i < n; i++) aser__win_info_clear(&list[i]);
    aser_port_info *one = realloc(list, sizeof *one);
    *out = one ? one : list;
    return 0;
}

/* ---- usb: URLs ---------------------------------------------------------------------- */

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

/* "VID:PID[:SERIAL]" (the serial may hold colons itself). 0 or -1. */
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

static int usb_not_found(const aser_port_filter *f, const char *spec, aser_err *err)
{
    char serials[100] = "";
    if (f->serial_number) {
        aser_port_filter id = ASER_PORT_FILTER_INIT;
        aser_port_info *list;
        size_t n, len = 0;
        id.vid = f->vid;
        id.pid = f->pid;
        if (find_all(&id, &list, &n, NULL) == 0) {
            for (size_t i = 0; i < n && len < sizeof serials; i++) {
                const char *s = list[i].serial_number ? list[i].serial_number : "(none)";
                int k = snprintf(serials + len, sizeof serials - len, "%s%s", len ? ", " : "", s);
                if (k > 0) len += (size_t)k;
            }
            aser_port_info_free_list(list, n);
        }
    }
    if (serials[0])
        return aser__err(err, ASER_ENOENT,
                         "no serial port matches usb:%.60s; %04x:%04x is present with "
                         "serial %s: check the serial number (`aserial list -v`)",
                         spec, (unsigned)f->vid, (unsigned)f->pid, serials);
    return aser__err(err, ASER_ENOENT,
                     "no serial port matches usb:%.60s (USB %04x:%04x): is it plugged in? "
                     "Device Manager or `aserial list -v` shows the ports present",
                     spec, (unsigned)f->vid, (unsigned)f->pid);
}

int aser__discover_resolve_usb(const char *spec, char *path, size_t cap, aser_err *err)
{
    aser_port_filter f = ASER_PORT_FILTER_INIT;
    if (!spec || parse_usb_spec(spec, &f) < 0)
        return aser__err(err, ASER_EBADURL,
                         "bad usb: URL \"usb:%.60s\": expected usb:VID:PID[:SERIAL] with "
                         "VID and PID in hex, e.g. usb:0403:6001 or usb:0403:6001:A600XYZ",
                         spec ? spec : "");
    aser_port_info *list;
    size_t n;
    int rc = find_all(&f, &list, &n, err);
    if (rc < 0) return rc;
    if (n == 0) return usb_not_found(&f, spec, err);
    size_t len = strlen(list[0].device);
    if (len >= cap)
        rc = aser__err(err, ASER_ERANGE, "port name %.100s is longer than the buffer (%lu bytes)",
                       list[0].device, (unsigned long)cap);
    else
        memcpy(path, list[0].device, len + 1);
    aser_port_info_free_list(list, n);
    return rc;
}
