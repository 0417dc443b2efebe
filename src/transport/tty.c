/* transport/tty.c: the local tty behind the transport table. */
#include "transport/transport.h"
#include "port/port.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t tty_read(aser_port *p, void *buf, size_t n)
{
    ssize_t r = read(p->fd, buf, n);
    return r >= 0 ? r : aser__errno(errno);
}

static ssize_t tty_write(aser_port *p, const void *buf, size_t n)
{
    ssize_t r = write(p->fd, buf, n);
    return r >= 0 ? r : aser__errno(errno);
}

static int tty_apply(aser_port *p, const aser_config *cur, const aser_config *cfg,
                     aser_caps *caps, aser_err *err)
{
    return aser__tty_apply(p->fd, p->path, cur, cfg, caps, err);
}

static int tty_modem_get(aser_port *p)
{
    return aser__tty_modem_get(p->fd);
}

static int tty_modem_set(aser_port *p, unsigned mask, unsigned values)
{
    return aser__tty_modem_set(p->fd, mask, values);
}

static int tty_break(aser_port *p, unsigned ms)
{
    return aser__tty_break(p->fd, ms);
}

static int tty_flush(aser_port *p, int which)
{
    return aser__tty_flush(p->fd, which);
}

static int tty_inq(aser_port *p)
{
    return aser__tty_inq(p->fd);
}

static int tty_outq(aser_port *p)
{
    return aser__tty_outq(p->fd);
}

static int tty_reopen(aser_port *p, aser_err *err)
{
    /* Resolve the URL again: a usb:VID:PID:SERIAL port may come back under
     * another /dev name. The config in effect is kept, not the URL's. */
    aser_config scratch = p->cfg;
    char path[ASER_PATH_MAX];
    int rc = aser__url_parse(p->name, &scratch, path, sizeof path, err);
    if (rc < 0) return rc;
    if (strcmp(path, p->path) != 0) {
        char *np = strdup(path);
        if (!np) return aser__err(err, ASER_ENOMEM, "out of memory");
        free(p->path);
        p->path = np;
    }
    aser_caps caps;
    int fd;
    rc = aser__tty_open(p->path, &p->cfg, &fd, &caps, err);
    if (rc < 0) return rc;
    p->fd = fd;
    p->caps = caps;
    return 0;
}

static void tty_close(aser_port *p)
{
    aser__tty_close(p->fd);
    p->fd = -1;
}

const aser_transport_ops aser__tty_transport = {
    .kind = "tty",
    .read = tty_read,
    .write = tty_write,
    .apply = tty_apply,
    .modem_get = tty_modem_get,
    .modem_set = tty_modem_set,
    .send_break = tty_break,
    .flush = tty_flush,
    .inq = tty_inq,
    .outq = tty_outq,
    .reopen = tty_reopen,
    .close = tty_close,
};
