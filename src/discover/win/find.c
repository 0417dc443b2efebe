/* find.c (Windows): what the shared ../find.c asks of the platform
 * (platform.h). What differs from POSIX is what a name is: port names
 * are matched ignoring case and with or without "\\.\" ("com5", "COM5",
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

bool aser__discover_names_port(const aser_port_info *info, const char *dev)
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

int aser__discover_all(unsigned flags, aser_port_info **out, size_t *n, aser_err *err)
{
    (void)flags; /* no placeholders on Windows: every listed port has a driver */
    return aser__win_list(out, n, err);
}

bool aser__discover_glob(const char *pattern, const char *s)
{
    return glob(pattern, s);
}

const char aser__discover_where[] =
    "Device Manager (Ports (COM & LPT)) or `aserial list -v` shows the ports present";
const char *const aser__discover_no_usb = NULL;
