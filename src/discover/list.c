/* list.c: aser_list_ports() on Linux (sysfs) and in the portable build
 * (devscan.c), and what the shared find.c asks of this platform
 * (platform.h). */
#define _GNU_SOURCE
#include "discover/discover.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

typedef struct port_vec {
    aser_port_info *v;
    size_t n, cap;
} port_vec;

#ifdef ASER_OS_LINUX
static int vec_push(port_vec *pv, const aser_port_info *info)
{
    if (pv->n == pv->cap) {
        size_t ncap = pv->cap ? pv->cap * 2 : 8;
        aser_port_info *nv = realloc(pv->v, ncap * sizeof *nv);
        if (!nv) return ASER_ENOMEM;
        pv->v = nv;
        pv->cap = ncap;
    }
    pv->v[pv->n++] = *info;
    return 0;
}

/* Read the port called name and append it unless it is skipped. */
static int add_port(port_vec *pv, const aser_roots *r, const char *name, unsigned flags)
{
    aser_port_info info;
    bool placeholder;
    int rc = aser__port_read(r, name, &info, &placeholder);
    if (rc == ASER_ENOMEM) return rc;
    if (rc < 0) return 0; /* not a serial port */
    if (placeholder && !(flags & ASER_LIST_ALL)) {
        aser__port_info_clear(&info);
        return 0;
    }
    rc = vec_push(pv, &info);
    if (rc < 0) aser__port_info_clear(&info);
    return rc;
}

/* Fill by_id and by_path of every port. 0 or ASER_ENOMEM. */
static int attach_links(port_vec *pv, const aser_roots *r)
{
    char dir[PATH_MAX];
    aser_links id = {0}, path = {0};
    int rc = aser__path_fmt(dir, sizeof dir, "%s/serial/by-id", r->dev);
    if (rc == 0) rc = aser__links_load(&id, dir);
    if (rc == 0) rc = aser__path_fmt(dir, sizeof dir, "%s/serial/by-path", r->dev);
    if (rc == 0) rc = aser__links_load(&path, dir);
    if (rc == ASER_ERANGE) rc = 0; /* a root too long for links: none */
    bool nomem = false;
    for (size_t i = 0; rc == 0 && i < pv->n; i++) {
        pv->v[i].by_id = aser__links_find(&id, pv->v[i].device, r->dev, &nomem);
        pv->v[i].by_path = aser__links_find(&path, pv->v[i].device, r->dev, &nomem);
    }
    aser__links_free(&id);
    aser__links_free(&path);
    return rc < 0 ? rc : nomem ? ASER_ENOMEM : 0;
}

static int scan_class(port_vec *pv, const aser_roots *r, unsigned flags, aser_err *err)
{
    char dir[PATH_MAX];
    int rc = aser__path_fmt(dir, sizeof dir, "%s/class/tty", r->sys);
    if (rc < 0) return aser__err(err, rc, "sysfs root too long: %.200s", r->sys);
    DIR *d = opendir(dir);
    if (!d) {
        rc = aser__errno(errno);
        return aser__err(err, rc,
                         "cannot read %.180s: %s (is sysfs mounted? is "
                         "ASERIAL_SYSFS_ROOT right?)",
                         dir, aser_strerror(rc));
    }
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        rc = add_port(pv, r, de->d_name, flags);
    }
    closedir(d);
    if (rc < 0) aser__err(err, rc, "listing serial ports: out of memory");
    return rc;
}
#endif

int aser__list(const aser_roots *r, unsigned flags, aser_port_info **out, size_t *n, aser_err *err)
{
    port_vec pv = {0};
    *out = NULL;
    *n = 0;
#ifdef ASER_OS_LINUX
    int rc = scan_class(&pv, r, flags, err);
    if (rc == 0) {
        rc = attach_links(&pv, r);
        if (rc < 0) aser__err(err, rc, "listing serial ports: out of memory");
    }
#else
    (void)flags; /* no placeholders to hide: nothing is known of a port */
    int rc = aser__devscan(r, &pv.v, &pv.n, err);
    pv.cap = pv.n;
#endif
    if (rc < 0) {
        aser_port_info_free_list(pv.v, pv.n);
        return rc;
    }
    aser__list_done(pv.v, pv.n, out, n);
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

#ifdef ASER_OS_LINUX
const char *const aser__discover_no_usb = NULL;
#else
const char *const aser__discover_no_usb =
    "this build cannot read the USB identity of ports (the portable build finds ports by "
    "name in /dev): open the device path instead (`aserial list` shows them)";
#endif
