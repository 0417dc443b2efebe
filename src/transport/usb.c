/* transport/usb.c: usb:VID:PID[:SERIAL] rows (the tty row's on Linux, the
 * COM row's on Windows) keep the identity, not the path, and resolve it
 * at every open and reopen: an adapter plugged into another socket, or
 * given another COM number, is found again. */
#include "transport/transport.h"

#include <stdlib.h>
#include <string.h>

int aser__usb_resolve(aser_conn *c, const char *spec, aser_err *err)
{
    char path[ASER_PATH_MAX];
    int rc = aser__discover_resolve_usb(spec, path, sizeof path, err);
    if (rc < 0) return rc;
    if (c->path && strcmp(path, c->path) == 0) return 0;
    char *np = strdup(path);
    if (!np) return aser__err(err, ASER_ENOMEM, "out of memory");
    free(c->path);
    c->path = np;
    return 0;
}
