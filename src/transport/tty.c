/* transport/tty.c: local ttys behind the transport table: a path
 * ("/dev/ttyUSB0", "serial:///dev/ttyUSB0") and a USB identity
 * ("usb:VID:PID[:SERIAL]"), which is resolved to a path at every open and
 * reopen, so a device that comes back under another /dev name is found. */
#include "transport/transport.h"
#include "os/tty.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the tty rows keep in conn->data, across reopen. */
typedef struct tty_state {
    char *usb;        /* usb: the identity "VID:PID[:SERIAL]"; else NULL */
    aser_icount last; /* error counters at the previous line_errors() */
    bool have_last;   /* last is from this fd */
} tty_state;

static int fd_of(aser_port *p)
{
    return aser__conn(p)->fd;
}

static tty_state *state_of(aser_conn *c)
{
    if (!c->data) c->data = calloc(1, sizeof(tty_state));
    return c->data;
}

static ssize_t tty_read(aser_port *p, void *buf, size_t n)
{
    ssize_t r = read(fd_of(p), buf, n);
    return r >= 0 ? r : aser__errno(errno);
}

static ssize_t tty_write(aser_port *p, const void *buf, size_t n)
{
    ssize_t r = write(fd_of(p), buf, n);
    return r >= 0 ? r : aser__errno(errno);
}

static int tty_apply(aser_port *p, const aser_config *cur, const aser_config *cfg, aser_caps *caps,
                     aser_err *err)
{
    return aser__tty_apply(fd_of(p), aser__conn(p)->path, cur, cfg, caps, err);
}

static int tty_modem_get(aser_port *p)
{
    return aser__tty_modem_get(fd_of(p));
}

static int tty_modem_set(aser_port *p, unsigned mask, unsigned values)
{
    return aser__tty_modem_set(fd_of(p), mask, values);
}

/* The port times the break (TIOCSBRK now, TIOCCBRK from its timer). The
 * capability decides: a pseudo-terminal has no line to break, although
 * its driver accepts the ioctls and does nothing. */
static int tty_break_ctl(aser_port *p, bool on)
{
    aser_conn *c = aser__conn(p);
    if (on && c->caps.state[ASER_FEAT_BREAK] == ASER_CAP_UNSUPPORTED) {
        aser__port_set_errmsg(p, "%s: %s", c->name, c->caps.reason[ASER_FEAT_BREAK]);
        return ASER_ENOTSUP;
    }
    return aser__tty_break_ctl(fd_of(p), on);
}

/* The kernel's counters (TIOCGICOUNT), as deltas since the last call. */
static int tty_line_errors(aser_port *p)
{
    aser_conn *c = aser__conn(p);
    if (c->caps.state[ASER_FEAT_LINE_ERRORS] == ASER_CAP_UNSUPPORTED) return ASER_ENOTSUP;
    tty_state *t = state_of(c);
    if (!t) return ASER_ENOMEM;
    aser_icount now;
    int rc = aser__tty_icount(c->fd, &now);
    if (rc < 0) return rc;
    unsigned e = t->have_last ? aser__icount_errors(&t->last, &now) : 0;
    t->last = now;
    t->have_last = true;
    return (int)e;
}

static int tty_flush(aser_port *p, int which)
{
    return aser__tty_flush(fd_of(p), which);
}

static int tty_inq(aser_port *p)
{
    return aser__tty_inq(fd_of(p));
}

static int tty_outq(aser_port *p)
{
    return aser__tty_outq(fd_of(p));
}

/* Open the tty at c->path with the config in effect. */
static int open_path(aser_conn *c, aser_err *err)
{
    aser_caps caps;
    int fd;
    int rc = aser__tty_open(c->path, &c->cfg, &fd, &caps, err);
    if (rc < 0) return rc;
    c->fd = fd;
    c->caps = caps;
    if (c->data) ((tty_state *)c->data)->have_last = false; /* new fd, new baseline */
    return 0;
}

static int tty_open(aser_port *p, const aser_url *u, aser_err *err)
{
    (void)u; /* the port has put u->path in c->path */
    return open_path(aser__conn(p), err);
}

static int tty_reopen(aser_port *p, aser_err *err)
{
    return open_path(aser__conn(p), err);
}

static void tty_close(aser_port *p)
{
    aser_conn *c = aser__conn(p);
    aser__tty_close(c->fd);
    c->fd = -1;
}

static void tty_release(aser_port *p)
{
    aser_conn *c = aser__conn(p);
    tty_state *t = c->data;
    if (t) free(t->usb);
    free(t);
    c->data = NULL;
}

/* What a local tty does, whichever way it was named. */
#define TTY_OPS                                                                         \
    .read = tty_read, .write = tty_write, .close = tty_close, .apply = tty_apply,       \
    .modem_get = tty_modem_get, .modem_set = tty_modem_set, .break_ctl = tty_break_ctl, \
    .line_errors = tty_line_errors, .flush = tty_flush, .inq = tty_inq, .outq = tty_outq

const aser_transport_ops aser__tty_transport = {
    .scheme = "serial",
    .prefix = "serial://",
    .bare = true,
    .example = "/dev/ttyUSB0",
    .addr = ASER_ADDR_PATH,
    .open = tty_open,
    TTY_OPS,
    .reopen = tty_reopen,
    .release = tty_release,
};

/* ---- usb:VID:PID[:SERIAL] ------------------------------------------------------ */

/* The identity kept in the state, resolved into c->path (usb.c). */
static int usb_resolve(aser_conn *c, aser_err *err)
{
    return aser__usb_resolve(c, ((tty_state *)c->data)->usb, err);
}

static int usb_open(aser_port *p, const aser_url *u, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    tty_state *t = state_of(c);
    if (!t || !(t->usb = strdup(u->path)))
        return aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    int rc = usb_resolve(c, err);
    return rc < 0 ? rc : open_path(c, err);
}

static int usb_reopen(aser_port *p, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    int rc = usb_resolve(c, err);
    return rc < 0 ? rc : open_path(c, err);
}

const aser_transport_ops aser__usb_transport = {
    .scheme = "usb",
    .prefix = "usb:",
    .example = "usb:0403:6001[:SERIAL]",
    .addr = ASER_ADDR_USB,
    .open = usb_open,
    TTY_OPS,
    .reopen = usb_reopen,
    .release = tty_release,
};
