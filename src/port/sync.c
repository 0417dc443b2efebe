/* sync.c: the blocking API. Each call starts the asynchronous operation on
 * the port's private built-in loop and runs that loop until the operation's
 * callback has run: one code path, the same semantics, the same timeouts. */
#include "port/port.h"

#include <string.h>

typedef struct waiter {
    bool done;
    int status;
    uint8_t *buf;
    size_t cap, len;
} waiter;

static void on_read(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    (void)p;
    waiter *w = ctx;
    w->done = true;
    w->status = status;
    if (status == 0) {
        w->len = ASER_MIN(len, w->cap);
        if (w->len) memcpy(w->buf, data, w->len);
    }
}

static void on_done(aser_port *p, int status, void *ctx)
{
    (void)p;
    waiter *w = ctx;
    w->done = true;
    w->status = status;
}

/* Run the private loop until the operation started with id completes. */
static ssize_t wait_for(aser_port *p, int id, waiter *w)
{
    if (id < 0) return id;
    while (!w->done) {
        int rc = aser_loop_run_once(p->c.loop, -1);
        if (rc < 0) {
            aser_cancel(p, id);
            while (!w->done) aser_loop_run_once(p->c.loop, 0);
            return rc;
        }
    }
    return w->status < 0 ? w->status : (ssize_t)w->len;
}

static int check_sync(aser_port *p)
{
    return p && p->c.blocking ? 0 : ASER_EINVAL;
}

ssize_t aser_read_sync(aser_port *p, void *buf, size_t cap, unsigned timeout_ms)
{
    waiter w = {.buf = buf, .cap = cap};
    if (check_sync(p) < 0 || !buf) return ASER_EINVAL;
    return wait_for(p, aser_read(p, cap, timeout_ms, on_read, &w), &w);
}

ssize_t aser_read_exactly_sync(aser_port *p, void *buf, size_t n, unsigned timeout_ms)
{
    waiter w = {.buf = buf, .cap = n};
    if (check_sync(p) < 0 || !buf) return ASER_EINVAL;
    return wait_for(p, aser_read_exactly(p, n, timeout_ms, on_read, &w), &w);
}

ssize_t aser_read_until_sync(aser_port *p, const void *delim, size_t dlen, void *buf, size_t cap,
                             unsigned timeout_ms)
{
    waiter w = {.buf = buf, .cap = cap};
    if (check_sync(p) < 0 || !buf || cap == 0) return ASER_EINVAL;
    return wait_for(p, aser_read_until(p, delim, dlen, cap, timeout_ms, on_read, &w), &w);
}

int aser_write_sync(aser_port *p, const void *buf, size_t len, unsigned timeout_ms)
{
    waiter w = {0};
    if (check_sync(p) < 0) return ASER_EINVAL;
    int id = aser__port_write(p, buf, len, timeout_ms, on_done, &w);
    return (int)wait_for(p, id, &w);
}

int aser_drain_sync(aser_port *p, unsigned timeout_ms)
{
    waiter w = {0};
    if (check_sync(p) < 0) return ASER_EINVAL;
    return (int)wait_for(p, aser_drain(p, timeout_ms, on_done, &w), &w);
}

ssize_t aser_query_sync(aser_port *p, const void *req, size_t len, const aser_query_opts *opts,
                        void *buf, size_t cap)
{
    waiter w = {.buf = buf, .cap = cap};
    if (check_sync(p) < 0 || !buf || cap == 0) return ASER_EINVAL;
    aser_query_opts o = opts ? *opts : (aser_query_opts){0};
    if (o.max == 0 || o.max > cap) o.max = cap; /* a framer's max too (frame.c) */
    if (o.framer && !o.match && o.framer->kind == ASER_FRAMING_FIXED && o.framer->size > cap)
        return ASER_EINVAL; /* the reply could not fit buf */
    return wait_for(p, aser_query(p, req, len, &o, on_read, &w), &w);
}

/* One frame into buf: the framer's max is bounded by cap, so a frame that
 * does not fit is ASER_ENOBUFS, never cut short. */
ssize_t aser_read_frame_sync(aser_port *p, const aser_framer *f, void *buf, size_t cap,
                             unsigned timeout_ms)
{
    waiter w = {.buf = buf, .cap = cap};
    if (check_sync(p) < 0 || !f || !buf || cap == 0) return ASER_EINVAL;
    aser_framer g = *f;
    if (g.kind == ASER_FRAMING_FIXED && g.size > cap) return ASER_EINVAL;
    if (g.max == 0 || g.max > cap) g.max = cap;
    return wait_for(p, aser_read_frame(p, &g, timeout_ms, on_read, &w), &w);
}
