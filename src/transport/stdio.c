/* transport/stdio.c: standard input and output as an endpoint ("stdio:",
 * or "-" as the whole URL), for `aserial bridge /dev/ttyUSB0 -` and pipes.
 * Data only. Bytes read from standard input go to the port's reader;
 * bytes written go to standard output. The end of standard input is the
 * end of the endpoint (ASER_EDISCONNECTED), so a bridge stops when its
 * input ends.
 *
 * The port watches a duplicate of fd 0 for readiness and reads once per
 * readiness, so standard input stays in the mode it came in (a terminal
 * or pipe shared with the shell is never made non-blocking). Writes to
 * standard output complete before they return (waiting in poll() if the
 * descriptor is non-blocking): a slow reader of our output slows the
 * other side of the bridge rather than filling memory. A regular file as
 * standard input cannot be watched by epoll; pipe it in instead. */
#include "transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA_ONLY "standard input and output carry data only"

typedef struct stdio_tp {
    int out; /* a duplicate of fd 1 */
} stdio_tp;

static ssize_t stdio_read(aser_port *p, void *buf, size_t n)
{
    ssize_t r = read(aser__conn(p)->fd, buf, n);
    if (r == 0) return ASER_EDISCONNECTED; /* standard input ended */
    return r > 0 ? r : aser__errno(errno);
}

static ssize_t stdio_write(aser_port *p, const void *buf, size_t n)
{
    stdio_tp *t = aser__conn(p)->data;
    const char *b = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(t->out, b + done, n - done);
        if (w > 0) {
            done += (size_t)w;
        } else if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = {.fd = t->out, .events = POLLOUT};
            (void)poll(&pf, 1, -1);
        } else if (w < 0 && errno != EINTR) {
            return done ? (ssize_t)done : aser__errno(errno);
        }
    }
    return (ssize_t)done;
}

static void stdio_close(aser_port *p)
{
    aser_conn *c = aser__conn(p);
    stdio_tp *t = c->data;
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    if (t && t->out >= 0) close(t->out);
    if (t) t->out = -1;
}

static void stdio_release(aser_port *p)
{
    free(aser__conn(p)->data);
    aser__conn(p)->data = NULL;
}

static int stdio_open(aser_port *p, const aser_url *u, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    if (u->path[0])
        return aser__err(err, ASER_EBADURL,
                         "\"%s\": stdio: takes no address; write stdio: or -", c->name);
    stdio_tp *t = calloc(1, sizeof *t);
    if (!t) return aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    int in = fcntl(0, F_DUPFD_CLOEXEC, 3);
    t->out = fcntl(1, F_DUPFD_CLOEXEC, 3);
    if (in < 0 || t->out < 0) {
        int e = errno;
        if (in >= 0) close(in);
        if (t->out >= 0) close(t->out);
        free(t);
        return aser__err(err, aser__errno(e),
                         "cannot use standard input and output: %s (are they open?)",
                         strerror(e));
    }
    c->fd = in;
    c->data = t;
    for (int f = 0; f < ASER_FEAT_COUNT_; f++) {
        c->caps.state[f] = ASER_CAP_UNSUPPORTED;
        c->caps.reason[f] = DATA_ONLY;
    }
    return 0;
}

const aser_transport_ops aser__stdio_transport = {
    .scheme = "stdio",
    .prefix = "stdio:",
    .example = "stdio: (or -)",
    .alias = "-",
    .addr = ASER_ADDR_OPTIONAL,
    .data_only = DATA_ONLY,
    .lost_hint = "standard input ended",
    .open = stdio_open,
    .read = stdio_read,
    .write = stdio_write,
    .close = stdio_close,
    .release = stdio_release,
};
