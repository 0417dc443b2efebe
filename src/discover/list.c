/* list.c: aser_list_ports() on Unix over the platform's scan (sysfs on
 * Linux: scan_linux.c; names in the /dev root in the portable build:
 * scan_posix.c over devscan.c), and what the shared find.c asks of this
 * platform (platform.h). */
#define _GNU_SOURCE
#include "discover/discover.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

int aser__list(const aser_roots *r, unsigned flags, aser_port_info **out, size_t *n, aser_err *err)
{
    aser_port_info *v = NULL;
    size_t nv = 0;
    *out = NULL;
    *n = 0;
    int rc = aser__scan(r, flags, &v, &nv, err);
    if (rc < 0) {
        aser_port_info_free_list(v, nv);
        return rc;
    }
    aser__list_done(v, nv, out, n);
    return 0;
}

int aser_list_ports(aser_port_info **out, size_t *n, unsigned flags)
{
    aser_roots r;
    if (!out || !n) return ASER_EINVAL;
    *out = NULL;
    *n = 0;
    int rc = aser__roots_get(&r);
    if (rc < 0) return rc;
    return aser__list(&r, flags, out, n, NULL);
}

/* ---- for find.c (platform.h) --------------------------------------------- */

int aser__discover_all(unsigned flags, aser_port_info **out, size_t *n, aser_err *err)
{
    aser_roots r;
    *out = NULL;
    *n = 0;
    int rc = aser__roots_get(&r);
    if (rc < 0) return aser__err(err, rc, "ASERIAL_SYSFS_ROOT or ASERIAL_DEV_ROOT too long");
    return aser__list(&r, flags, out, n, err);
}

static bool same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    return a && b && realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

bool aser__discover_names_port(const aser_port_info *info, const char *dev)
{
    const char *names[] = {info->device, info->name, info->by_id, info->by_path};
    for (size_t i = 0; i < ASER_ARRAY_LEN(names); i++)
        if (names[i] && strcmp(names[i], dev) == 0) return true;
    return strchr(dev, '/') && same_file(dev, info->device);
}

bool aser__discover_glob(const char *pattern, const char *s)
{
    return fnmatch(pattern, s, FNM_CASEFOLD) == 0;
}

const char aser__discover_where[] = "run `aserial list -v` to see the ports present";
