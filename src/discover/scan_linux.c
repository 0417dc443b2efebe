/* scan_linux.c: the Linux listing (discover.h aser__scan): every entry of
 * <sysfs>/class/tty that is a serial port (info.c), serial8250
 * placeholders only with ASER_LIST_ALL, and the /dev/serial/by-id and
 * by-path links of each (links.c). */
#define _GNU_SOURCE
#include "discover/discover.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>

typedef struct port_vec {
    aser_port_info *v;
    size_t n, cap;
} port_vec;

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

int aser__scan(const aser_roots *r, unsigned flags, aser_port_info **out, size_t *n, aser_err *err)
{
    port_vec pv = {0};
    int rc = scan_class(&pv, r, flags, err);
    if (rc == 0) {
        rc = attach_links(&pv, r);
        if (rc < 0) aser__err(err, rc, "listing serial ports: out of memory");
    }
    *out = pv.v;
    *n = pv.n;
    return rc;
}

const char *const aser__discover_no_usb = NULL;
