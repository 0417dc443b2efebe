/* port/write.c: the output side of a port: eager writes, the write queue
 * with its high-water mark, cancellation of queued writes, drain with a
 * deadline and close-after-drain, the low-water "writable" event, and
 * the break timed by the port (set now, cleared from the port's timer;
 * writes wait meanwhile). */
#define _GNU_SOURCE
#include "port/port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING ASER_PENDING
#define DRAIN_POLL_US 2000u

/* ---- writes ---------------------------------------------------------------------- */

void aser__port_do_write(aser_port *p)
{
    if (p->break_end) return; /* the line is in break: bytes wait */
    while (aser__bq_size(&p->wbuf)) {
        ssize_t n = p->c.tp->write(p, aser__bq_peek(&p->wbuf), aser__bq_size(&p->wbuf));
        if (n > 0) {
            aser__bq_consume(&p->wbuf, (size_t)n);
            p->wsent += (uint64_t)n;
            continue;
        }
        if (n == ASER_EINTR) continue;
        if (n == ASER_EAGAIN) return;
        aser__port_io_failed(p, n < 0 ? (int)n : ASER_EIO);
        return;
    }
}

static int wq_push(aser_port *p, int id, aser_done_cb cb, void *ctx, uint64_t deadline)
{
    aser__port_extras(p);
    w_ent *w = aser__ring_push(&p->wq, sizeof(w_ent));
    if (!w) return ASER_ENOMEM;
    *w = (w_ent){
        .id = id, .status = PENDING, .end = p->wqueued, .deadline = deadline, .cb = cb, .ctx = ctx};
    return 0;
}

static size_t low_water(const aser_port *p)
{
    const aser_config *c = &p->c.cfg;
    return c->write_low_water ? c->write_low_water : c->write_high_water / 4;
}

/* Backpressure seen: the writable event is due when the queue is back at
 * low water (and at once, from the loop, if it already is). */
static void w_arm(aser_port *p)
{
    aser__port_extras(p);
    p->w_above = true;
    aser__port_kick(p);
}

int aser__port_write(aser_port *p, const void *buf, size_t len, unsigned timeout_ms,
                     aser_done_cb cb, void *ctx)
{
    if (!p || (!buf && len)) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    if (p->dead) return p->dead;
    size_t queued = aser__bq_size(&p->wbuf);
    if (queued + len > p->c.cfg.write_high_water && len > 0) {
        w_arm(p);
        return ASER_ENOBUFS;
    }
    const uint8_t *b = buf;
    size_t done = 0;
    if (queued == 0 && p->c.fd >= 0 && !p->break_end) { /* eager; none while down or in break */
        while (done < len) {
            ssize_t n = p->c.tp->write(p, b + done, len - done);
            if (n > 0) {
                done += (size_t)n;
            } else if (n == ASER_EINTR) {
                continue;
            } else {
                if (n != ASER_EAGAIN) {
                    aser__port_io_failed(p, n < 0 ? (int)n : ASER_EIO);
                    aser__port_kick(p);
                    return p->dead ? p->dead : ASER_EDISCONNECTED;
                }
                break;
            }
        }
        p->wsent += done;
        if (done == len && !cb) { /* all written, nothing to report: the usual request */
            p->wqueued += len;
            return 0;
        }
    }
    /* An empty write (buf may be NULL) queues no bytes: NULL + 0 is undefined. */
    int rc = done < len ? aser__bq_append(&p->wbuf, b + done, len - done, p->c.cfg.write_high_water)
                        : 0;
    if (rc < 0) return rc;
    p->wqueued += len;
    if (aser__bq_size(&p->wbuf) > low_water(p)) {
        aser__port_extras(p);
        p->w_above = true;
    }
    if (!cb && !aser__bq_size(&p->wbuf)) return 0;
    int id = aser__port_new_id(p);
    rc = wq_push(p, id, cb, ctx, aser__port_deadline(p, timeout_ms));
    if (rc < 0) return rc;
    aser__port_kick(p);
    return id;
}

/* Bytes with no completion of their own (a query's request): one write()
 * when nothing waits ahead of them, as a hand-written client does; what
 * the driver does not take goes the way of aser__port_write(). */
int aser__port_send(aser_port *p, const void *buf, size_t len)
{
    if (len == 0 || aser__bq_size(&p->wbuf) || p->c.fd < 0 || p->break_end || p->closing ||
        p->dead || len > p->c.cfg.write_high_water)
        return aser__port_write(p, buf, len, 0, NULL, NULL);
    ssize_t n = p->c.tp->write(p, buf, len);
    if (n == (ssize_t)len) {
        p->wsent += len;
        p->wqueued += len;
        return 0;
    }
    if (n > 0) {
        p->wsent += (uint64_t)n;
        p->wqueued += (uint64_t)n;
        return aser__port_write(p, (const uint8_t *)buf + n, len - (size_t)n, 0, NULL, NULL);
    }
    if (n == ASER_EAGAIN || n == ASER_EINTR) return aser__port_write(p, buf, len, 0, NULL, NULL);
    aser__port_io_failed(p, n < 0 ? (int)n : ASER_EIO);
    aser__port_kick(p);
    return p->dead ? p->dead : ASER_EDISCONNECTED;
}

int aser_write(aser_port *p, const void *buf, size_t len, aser_done_cb cb, void *ctx)
{
    return aser__port_write(p, buf, len, 0, cb, ctx);
}

int aser_write_timed(aser_port *p, const void *buf, size_t len, unsigned timeout_ms,
                     aser_done_cb cb, void *ctx)
{
    return aser__port_write(p, buf, len, timeout_ms, cb, ctx);
}

int aser_on_writable(aser_port *p, aser_writable_cb cb, void *ctx)
{
    if (!p) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    aser__port_extras(p);
    p->writable_cb = cb;
    p->writable_ctx = ctx;
    if (cb && p->w_above) aser__port_kick(p);
    return 0;
}

/* Once per episode of backpressure: the queue is back at low water. */
static void dispatch_writable(aser_port *p)
{
    if (!p->w_above || !p->writable_cb || p->dead || p->closing) return;
    size_t q = aser__bq_size(&p->wbuf);
    if (q > low_water(p)) return;
    p->w_above = false;
    p->writable_cb(p, q, p->writable_ctx);
}

size_t aser_port_write_queued(const aser_port *p)
{
    return p ? aser__bq_size(&p->wbuf) : 0;
}

/* Drop the unsent bytes of write entry i (cancelled before it was sent). */
void aser__port_w_unqueue(aser_port *p, size_t i)
{
    w_ent *w = aser__ring_at(&p->wq, i);
    uint64_t start = i ? ((w_ent *)aser__ring_at(&p->wq, i - 1))->end : p->wsent;
    if (start < p->wsent) start = p->wsent; /* partly sent: drop the rest */
    if (w->end <= start) return;
    size_t n = (size_t)(w->end - start);
    aser__bq_cut(&p->wbuf, (size_t)(start - p->wsent), n);
    p->wqueued -= n;
    for (size_t j = i; j < p->wq.count; j++) ((w_ent *)aser__ring_at(&p->wq, j))->end -= n;
}

static void dispatch_writes(aser_port *p)
{
    w_ent *w;
    while ((w = aser__ring_front(&p->wq))) {
        int status = w->status;
        if (status == PENDING) {
            if (w->end <= p->wsent)
                status = 0;
            else if (p->dead)
                status = p->dead;
            else if (w->deadline && aser__port_now(p) >= w->deadline) {
                aser__port_w_unqueue(p, 0);
                status = ASER_ETIMEDOUT;
            } else
                break;
        }
        w_ent done = *w;
        aser__ring_pop(&p->wq);
        if (done.cb) done.cb(p, status, done.ctx);
    }
}

/* ---- drain ------------------------------------------------------------------------ */

int aser_drain(aser_port *p, unsigned timeout_ms, aser_done_cb cb, void *ctx)
{
    if (!p || !cb) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    if (p->drain.status) return ASER_EBUSY;
    if (p->dead) return p->dead;
    aser__port_extras(p);
    p->drain = (drain_op){.id = aser__port_new_id(p),
                          .status = PENDING,
                          .deadline = aser__port_deadline(p, timeout_ms),
                          .cb = cb,
                          .ctx = ctx};
    aser__port_kick(p);
    return p->drain.id;
}

static void dispatch_drain(aser_port *p)
{
    drain_op *d = &p->drain;
    if (!d->status) return;
    int status = d->status;
    uint64_t now = aser__port_now(p);
    if (status == PENDING) {
        if (p->dead) {
            status = p->dead;
        } else if (!aser__bq_size(&p->wbuf) && now >= d->next_poll) {
            int q = p->c.fd >= 0 ? aser__tp_outq(p) : 0;
            if (q <= 0) status = q < 0 ? q : 0;
            d->next_poll = now + DRAIN_POLL_US;
        }
        if (status == PENDING && d->deadline && now >= d->deadline) status = ASER_ETIMEDOUT;
        if (status == PENDING) return;
    }
    drain_op done = *d;
    memset(d, 0, sizeof *d);
    done.cb(p, status, done.ctx);
}

static void on_close_drained(aser_port *p, int status, void *ctx)
{
    (void)ctx;
    aser_done_cb cb = p->close_cb;
    void *uctx = p->close_ctx;
    p->close_cb = NULL;
    if (cb) cb(p, status == ASER_ECLOSED ? 0 : status, uctx);
    aser_close(p);
}

int aser_close_drain(aser_port *p, unsigned timeout_ms, aser_done_cb cb, void *ctx)
{
    if (!p) return ASER_EINVAL;
    if (p->closing || p->close_after_drain) return ASER_ECLOSED;
    if (timeout_ms == ASER_NO_TIMEOUT) return ASER_EINVAL; /* close never hangs */
    int rc = aser_drain(p, timeout_ms, on_close_drained, NULL);
    if (rc == ASER_EDISCONNECTED || rc == ASER_EIO) { /* nothing can drain: close now */
        aser_close(p);
        return rc;
    }
    if (rc < 0) return rc;
    p->close_after_drain = true;
    p->close_cb = cb;
    p->close_ctx = ctx;
    return 0;
}

/* ---- break, timed by the port ---------------------------------------------------- */

#define BREAK_DEFAULT_MS 250u

/* Set the break and return: the dispatcher clears it when break_end is
 * due (the port's timer covers it), so no call ever sleeps. */
int aser__port_break(aser_port *p, unsigned ms)
{
    if (p->break_end) return ASER_EBUSY;
    if (p->c.fd < 0) return p->c.connecting ? ASER_EAGAIN : ASER_EDISCONNECTED;
    int rc = p->c.tp->break_ctl(p, true);
    if (rc < 0) return rc;
    aser__port_extras(p);
    p->break_end = aser__now_us() + (uint64_t)(ms ? ms : BREAK_DEFAULT_MS) * 1000u;
    aser__port_kick(p);
    if (p->c.blocking) { /* no loop of the caller's to hold up: wait here */
        while (p->break_end && !p->dead && !p->closing)
            if (aser_loop_run_once(p->c.loop, -1) < 0) break;
    }
    return 0;
}

void aser__port_break_clear(aser_port *p)
{
    if (!p->break_end) return;
    p->break_end = 0;
    if (p->c.fd >= 0) (void)p->c.tp->break_ctl(p, false);
}

static void dispatch_break(aser_port *p)
{
    if (!p->break_end || aser__port_now(p) < p->break_end) return;
    aser__port_break_clear(p);
    if (p->c.fd >= 0 && aser__bq_size(&p->wbuf)) aser__port_do_write(p); /* held bytes */
}

/* End a due break, complete finished (or failed) writes, then a pending
 * drain. */
void aser__port_dispatch_output(aser_port *p)
{
    dispatch_break(p);
    dispatch_writes(p);
    dispatch_writable(p);
    dispatch_drain(p);
}
