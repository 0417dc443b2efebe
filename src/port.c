/* port.c: the user's port object and its asynchronous operations.
 *
 * Model. Input is read eagerly, one read() per readiness event, into the
 * port's buffer; operations are satisfied from that buffer. Output is
 * written eagerly; what the driver does not take waits in the write queue.
 * Every completion is delivered by port_dispatch(), which runs only from
 * the loop (fd event, timer, or the port's deferred "kick"), never from the
 * call that started an operation. An operation's status field is 1 while it
 * is pending; anything else is the status it will be completed with, which
 * is how cancellation, close and disconnect reach it exactly once.
 *
 * Closing marks the port; the memory is freed by the last dispatch, after
 * every callback has run, so closing inside a callback is safe. */
#define _GNU_SOURCE
#include "port.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PENDING 1
#define DRAIN_POLL_US 2000u

static void port_dispatch(aser_port *p);

static int new_id(aser_port *p)
{
    if (p->next_id <= 0 || p->next_id == INT32_MAX) p->next_id = 1;
    return p->next_id++;
}

static uint64_t deadline_of(unsigned timeout_ms)
{
    return timeout_ms ? aser__now_us() + (uint64_t)timeout_ms * 1000u : 0;
}

__attribute__((format(printf, 2, 3))) static void set_errmsg(aser_port *p,
                                                               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->errmsg, sizeof p->errmsg, fmt, ap);
    va_end(ap);
}

void aser__port_kick(aser_port *p)
{
    aser__defer(p->loop, &p->kick);
}

/* ---- buffers ---------------------------------------------------------------- */

static int rbuf_reserve(aser_port *p, size_t need)
{
    if (need <= p->rcap) return 0;
    uint8_t *b = realloc(p->rbuf, need);
    if (!b) return ASER_ENOMEM;
    p->rbuf = b;
    p->rcap = need;
    return 0;
}

static size_t r_avail(const aser_port *p)
{
    return p->rlen - p->rpos;
}

static void r_consume(aser_port *p, size_t n)
{
    p->rpos += n;
    if (p->rpos == p->rlen) p->rpos = p->rlen = 0;
}

/* ---- I/O ------------------------------------------------------------------------ */

/* The device is gone (or broke): release the fd, remember why. Pending
 * operations learn of it in port_dispatch. */
static void mark_all(aser_port *p, int status);

static void port_fail(aser_port *p, int code, const char *what)
{
    if (p->dead || p->down || p->fd < 0) return;
    if (code == ASER_EDISCONNECTED)
        set_errmsg(p, "%s disconnected (%s): check the cable or device, then reopen",
                   p->name, what);
    else
        set_errmsg(p, "%s failed: %s", p->name, what);
    aser__io_close(p->io);
    p->io = NULL;
    p->tp->close(p);
    p->fd = -1;
    if (p->rc.enabled && code == ASER_EDISCONNECTED && !p->closing) {
        mark_all(p, code); /* what was pending at the loss fails */
        p->woff = p->wlen = 0;
        p->down = true;
        p->dead = p->rc.wait_while_down ? 0 : code;
        p->rc_attempts = 0;
        p->rc_delay_ms = p->rc.min_delay_ms;
        p->rc_next = aser__now_us() + (uint64_t)p->rc_delay_ms * 1000u;
        p->link_event = ASER_LINK_LOST;
        aser__port_kick(p);
        return;
    }
    p->dead = code;
}

static bool is_hangup(int code)
{
    return code == ASER_EIO || code == ASER_EPIPE || code == -ENXIO || code == ASER_ENODEV ||
           code == -EBADF || code == -ECONNRESET;
}

static void io_failed(aser_port *p, int code)
{
    port_fail(p, is_hangup(code) ? ASER_EDISCONNECTED : code, aser_strerror(code));
}

static void do_read(aser_port *p)
{
    if (p->rpos > 0 && (p->rlen == p->rcap || p->rpos >= p->rcap / 2)) {
        memmove(p->rbuf, p->rbuf + p->rpos, r_avail(p));
        p->rlen -= p->rpos;
        p->rpos = 0;
    }
    if (p->rlen == p->rcap) return;
    ssize_t n = p->tp->read(p, p->rbuf + p->rlen, p->rcap - p->rlen);
    if (n > 0)
        p->rlen += (size_t)n;
    else if (n == 0)
        port_fail(p, ASER_EDISCONNECTED, "end of file");
    else if (n != ASER_EAGAIN && n != ASER_EINTR)
        io_failed(p, (int)n);
}

static void do_write(aser_port *p)
{
    while (p->wlen > p->woff) {
        ssize_t n = p->tp->write(p, p->wbuf + p->woff, p->wlen - p->woff);
        if (n > 0) {
            p->woff += (size_t)n;
            p->wsent += (uint64_t)n;
            continue;
        }
        if (n == ASER_EINTR) continue;
        if (n == ASER_EAGAIN) return;
        io_failed(p, n < 0 ? (int)n : ASER_EIO);
        return;
    }
    p->woff = p->wlen = 0;
}

void aser__port_io(aser_port *p, unsigned revents)
{
    if ((revents & ASER_EV_WRITE) && p->fd >= 0) do_write(p);
    if ((revents & ASER_EV_READ) && p->fd >= 0) do_read(p);
    port_dispatch(p);
}

static void on_io(void *arg, unsigned revents)
{
    aser__port_io(arg, revents);
}

static void on_timer(void *arg)
{
    aser_port *p = arg;
    p->tmr_deadline = 0;
    port_dispatch(p);
}

static void on_kick(void *arg)
{
    port_dispatch(arg);
}

/* ---- reads ------------------------------------------------------------------------ */

/* Can the active read complete from the buffer? Returns the bytes to hand
 * over and sets *consume (bytes to drop, delimiter included), or -1 if not
 * yet, or ASER_ENOBUFS when a delimited frame is too long. */
static ssize_t rd_ready(aser_port *p, size_t *consume)
{
    rd_op *r = &p->rd;
    size_t avail = r_avail(p);
    const uint8_t *base = p->rbuf + p->rpos;
    switch (r->kind) {
    case RD_SOME:
        if (avail == 0) return -1;
        *consume = ASER_MIN(avail, r->n);
        return (ssize_t)*consume;
    case RD_EXACT:
        if (avail < r->n) return -1;
        *consume = r->n;
        return (ssize_t)r->n;
    case RD_UNTIL: {
        size_t window = ASER_MIN(avail, r->n + r->dlen);
        size_t from = r->scanned >= r->dlen ? r->scanned - (r->dlen - 1) : 0;
        if (window >= r->dlen && from <= window - r->dlen) {
            const uint8_t *hit = memmem(base + from, window - from, r->delim, r->dlen);
            if (hit) {
                size_t len = (size_t)(hit - base);
                *consume = len + r->dlen;
                return (ssize_t)len;
            }
        }
        r->scanned = window;
        return window >= r->n + r->dlen ? ASER_ENOBUFS : -1;
    }
    case RD_NONE: break;
    }
    return -1;
}

static q_ent *q_head(aser_port *p)
{
    return p->qcount ? &p->qq[p->qhead] : NULL;
}

static void q_pop(aser_port *p)
{
    p->qhead = (p->qhead + 1) % p->qcap;
    p->qcount--;
}

/* Finish the active read with status and (for success) data. */
static void rd_finish(aser_port *p, int status, const uint8_t *data, size_t len)
{
    rd_op r = p->rd;
    memset(&p->rd, 0, sizeof p->rd);
    if (r.query) q_pop(p);
    r.cb(p, status, data, len, r.ctx);
}

static void dispatch_read(aser_port *p)
{
    rd_op *r = &p->rd;
    if (r->kind == RD_NONE) return;
    if (r->status != PENDING) {
        rd_finish(p, r->status, NULL, 0);
        return;
    }
    size_t consume = 0;
    ssize_t got = rd_ready(p, &consume);
    if (got >= 0) {
        const uint8_t *data = p->rbuf + p->rpos;
        r_consume(p, consume); /* memory stays valid until the next read() */
        rd_finish(p, 0, data, (size_t)got);
    } else if (got == ASER_ENOBUFS) {
        set_errmsg(p, "%s: no delimiter within %zu bytes; the bytes are kept: read "
                      "them or discard them", p->name, r->n);
        rd_finish(p, ASER_ENOBUFS, NULL, 0);
    } else if (p->dead) {
        rd_finish(p, p->dead, NULL, 0);
    } else if (r->deadline && aser__now_us() >= r->deadline) {
        rd_finish(p, ASER_ETIMEDOUT, NULL, 0);
    }
}

static int rd_start(aser_port *p, enum rd_kind kind, size_t n, const void *delim,
                    size_t dlen, unsigned timeout_ms, aser_read_cb cb, void *ctx)
{
    int rc = rbuf_reserve(p, n + dlen);
    if (rc < 0) return rc;
    rd_op *r = &p->rd;
    memset(r, 0, sizeof *r);
    r->id = new_id(p);
    r->kind = kind;
    r->n = n;
    if (dlen) memcpy(r->delim, delim, dlen);
    r->dlen = dlen;
    r->deadline = deadline_of(timeout_ms);
    r->status = PENDING;
    r->cb = cb;
    r->ctx = ctx;
    aser__port_kick(p);
    return r->id;
}

/* Common checks for anything that reads. */
static int reader_check(aser_port *p, aser_read_cb cb)
{
    if (!p || !cb) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    if (p->rd.kind != RD_NONE || p->data_cb || p->qcount) return ASER_EBUSY;
    if (p->dead && r_avail(p) == 0) return p->dead;
    return 0;
}

int aser_read(aser_port *p, size_t max, unsigned timeout_ms, aser_read_cb cb, void *ctx)
{
    int rc = reader_check(p, cb);
    if (rc < 0) return rc;
    if (max == 0) return ASER_EINVAL;
    return rd_start(p, RD_SOME, ASER_MIN(max, p->rcap), NULL, 0, timeout_ms, cb, ctx);
}

int aser_read_exactly(aser_port *p, size_t n, unsigned timeout_ms, aser_read_cb cb,
                      void *ctx)
{
    int rc = reader_check(p, cb);
    if (rc < 0) return rc;
    if (n == 0) return ASER_EINVAL;
    return rd_start(p, RD_EXACT, n, NULL, 0, timeout_ms, cb, ctx);
}

int aser_read_until(aser_port *p, const void *delim, size_t dlen, size_t max,
                    unsigned timeout_ms, aser_read_cb cb, void *ctx)
{
    int rc = reader_check(p, cb);
    if (rc < 0) return rc;
    if (!delim || dlen == 0 || dlen > ASER_MAX_DELIM) return ASER_EINVAL;
    return rd_start(p, RD_UNTIL, max ? max : p->cfg.read_buffer, delim, dlen,
                    timeout_ms, cb, ctx);
}

int aser_on_data(aser_port *p, aser_read_cb cb, void *ctx)
{
    if (!p) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    if (cb && (p->rd.kind != RD_NONE || p->qcount)) return ASER_EBUSY;
    if (cb && p->dead && r_avail(p) == 0) return p->dead;
    p->data_cb = cb;
    p->data_ctx = ctx;
    if (cb) aser__port_kick(p);
    return 0;
}

static void dispatch_stream(aser_port *p)
{
    if (!p->data_cb) return;
    if (r_avail(p) > 0) {
        const uint8_t *data = p->rbuf + p->rpos;
        size_t n = r_avail(p);
        r_consume(p, n);
        p->data_cb(p, 0, data, n, p->data_ctx);
    }
    if (p->data_cb && (p->dead || p->closing) && !p->dead_reported &&
        (p->closing || !p->down)) {
        aser_read_cb cb = p->data_cb;
        p->dead_reported = true;
        p->data_cb = NULL;
        cb(p, p->closing ? ASER_ECLOSED : p->dead, NULL, 0, p->data_ctx);
    }
}

/* ---- queries ---------------------------------------------------------------------- */

static int q_reserve(aser_port *p)
{
    if (p->qcount < p->qcap) return 0;
    size_t cap = p->qcap ? p->qcap * 2 : 4;
    q_ent *v = calloc(cap, sizeof *v);
    if (!v) return ASER_ENOMEM;
    for (size_t i = 0; i < p->qcap; i++) v[i] = p->qq[(p->qhead + i) % p->qcap];
    free(p->qq);
    p->qq = v;
    p->qcap = cap;
    p->qhead = 0;
    return 0;
}

int aser_query(aser_port *p, const void *req, size_t len, const aser_query_opts *opts,
               aser_read_cb cb, void *ctx)
{
    static const aser_query_opts defaults = {0};
    if (!p || !cb || (!req && len)) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    if (p->rd.kind != RD_NONE && !p->rd.query) return ASER_EBUSY;
    if (p->data_cb) return ASER_EBUSY;
    if (p->dead) return p->dead;
    if (!opts) opts = &defaults;
    const char *eol = opts->eol ? opts->eol : "\n";
    size_t eol_len = opts->eol ? (opts->eol_len ? opts->eol_len : strlen(eol)) : 1;
    if (eol_len == 0 || eol_len > ASER_MAX_DELIM) return ASER_EINVAL;
    int rc = q_reserve(p);
    if (rc < 0) return rc;
    q_ent *q = &p->qq[(p->qhead + p->qcount) % p->qcap];
    if (len > q->req_cap) {
        uint8_t *b = realloc(q->req, len);
        if (!b) return ASER_ENOMEM;
        q->req = b;
        q->req_cap = len;
    }
    if (len) memcpy(q->req, req, len);
    q->len = len;
    memcpy(q->eol, eol, eol_len);
    q->eol_len = eol_len;
    q->max = opts->max ? opts->max : p->cfg.read_buffer;
    q->keep_stale = opts->keep_stale;
    q->deadline = deadline_of(opts->timeout_ms);
    q->cb = cb;
    q->ctx = ctx;
    q->status = PENDING;
    q->id = new_id(p);
    p->qcount++;
    aser__port_kick(p);
    return q->id;
}

/* Start the query at the head of the queue, or finish it if it was
 * cancelled or timed out while queued. */
static void start_query(aser_port *p)
{
    q_ent *q = q_head(p);
    if (!q || p->rd.kind != RD_NONE) return;
    rd_op *r = &p->rd;
    memset(r, 0, sizeof *r);
    r->id = q->id;
    r->query = true;
    r->cb = q->cb;
    r->ctx = q->ctx;
    r->kind = RD_UNTIL;
    r->status = q->status;
    if (r->status == PENDING && q->deadline && aser__now_us() >= q->deadline)
        r->status = ASER_ETIMEDOUT;
    if (r->status == PENDING && p->dead) r->status = p->dead;
    if (r->status != PENDING) return; /* dispatch_read delivers it */
    r->n = q->max;
    memcpy(r->delim, q->eol, q->eol_len);
    r->dlen = q->eol_len;
    r->deadline = q->deadline;
    int rc = rbuf_reserve(p, r->n + r->dlen);
    if (rc == 0 && !q->keep_stale) p->rpos = p->rlen = 0;
    if (rc == 0 && q->len) rc = aser__port_write(p, q->req, q->len, 0, NULL, NULL);
    if (rc < 0) r->status = rc;
}

/* Remove entry i (not the active one) from the ring; its request buffer
 * moves to the free tail slot so it is reused. Returns a copy. */
static q_ent q_remove(aser_port *p, size_t i)
{
    q_ent e = p->qq[(p->qhead + i) % p->qcap];
    for (size_t j = i; j + 1 < p->qcount; j++)
        p->qq[(p->qhead + j) % p->qcap] = p->qq[(p->qhead + j + 1) % p->qcap];
    p->qcount--;
    q_ent *tail = &p->qq[(p->qhead + p->qcount) % p->qcap];
    *tail = (q_ent){.req = e.req, .req_cap = e.req_cap};
    return e;
}

/* Queued (not yet started) queries whose time ran out or that were
 * cancelled complete at once, in queue order, without waiting their turn. */
static void expire_queued(aser_port *p)
{
    uint64_t now = aser__now_us();
    for (size_t i = p->rd.query ? 1 : 0; i < p->qcount;) {
        q_ent *q = &p->qq[(p->qhead + i) % p->qcap];
        if (q->status == PENDING && q->deadline && now >= q->deadline)
            q->status = ASER_ETIMEDOUT;
        if (q->status == PENDING) {
            i++;
            continue;
        }
        q_ent e = q_remove(p, i);
        e.cb(p, e.status, NULL, 0, e.ctx); /* may queue more: rescan */
        i = p->rd.query ? 1 : 0;
    }
}

/* ---- writes ---------------------------------------------------------------------- */

static int wq_push(aser_port *p, int id, aser_done_cb cb, void *ctx, uint64_t deadline)
{
    if (p->wqcount == p->wqcap) {
        size_t cap = p->wqcap ? p->wqcap * 2 : 4;
        w_ent *v = malloc(cap * sizeof *v);
        if (!v) return ASER_ENOMEM;
        for (size_t i = 0; i < p->wqcount; i++) v[i] = p->wq[(p->wqhead + i) % p->wqcap];
        free(p->wq);
        p->wq = v;
        p->wqcap = cap;
        p->wqhead = 0;
    }
    w_ent *w = &p->wq[(p->wqhead + p->wqcount++) % p->wqcap];
    *w = (w_ent){.id = id, .status = PENDING, .end = p->wqueued, .deadline = deadline,
                 .cb = cb, .ctx = ctx};
    return 0;
}

static int wbuf_append(aser_port *p, const uint8_t *b, size_t n)
{
    if (p->wlen + n > p->wcap) {
        if (p->woff > 0) {
            memmove(p->wbuf, p->wbuf + p->woff, p->wlen - p->woff);
            p->wlen -= p->woff;
            p->woff = 0;
        }
        if (p->wlen + n > p->wcap) {
            size_t cap = ASER_MAX(p->wcap * 2, p->wlen + n);
            uint8_t *nb = realloc(p->wbuf, cap);
            if (!nb) return ASER_ENOMEM;
            p->wbuf = nb;
            p->wcap = cap;
        }
    }
    if (n) memcpy(p->wbuf + p->wlen, b, n);
    p->wlen += n;
    return 0;
}

int aser__port_write(aser_port *p, const void *buf, size_t len, unsigned timeout_ms,
                     aser_done_cb cb, void *ctx)
{
    if (!p || (!buf && len)) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    if (p->dead) return p->dead;
    size_t queued = p->wlen - p->woff;
    if (queued + len > p->cfg.write_high_water && len > 0) return ASER_ENOBUFS;
    const uint8_t *b = buf;
    size_t done = 0;
    if (queued == 0 && p->fd >= 0) { /* eager first attempt; none while down */
        while (done < len) {
            ssize_t n = p->tp->write(p, b + done, len - done);
            if (n > 0) {
                done += (size_t)n;
            } else if (n == ASER_EINTR) {
                continue;
            } else {
                if (n != ASER_EAGAIN) {
                    io_failed(p, n < 0 ? (int)n : ASER_EIO);
                    aser__port_kick(p);
                    return p->dead ? p->dead : ASER_EDISCONNECTED;
                }
                break;
            }
        }
        p->wsent += done;
    }
    int rc = wbuf_append(p, b + done, len - done);
    if (rc < 0) return rc;
    p->wqueued += len;
    if (!cb && p->wlen == p->woff) return 0;
    int id = new_id(p);
    rc = wq_push(p, id, cb, ctx, deadline_of(timeout_ms));
    if (rc < 0) return rc;
    aser__port_kick(p);
    return id;
}

int aser_write(aser_port *p, const void *buf, size_t len, aser_done_cb cb, void *ctx)
{
    return aser__port_write(p, buf, len, 0, cb, ctx);
}

size_t aser_write_queue_size(const aser_port *p)
{
    return p ? p->wlen - p->woff : 0;
}

/* Drop the unsent bytes of write entry i (cancelled before it was sent). */
static void w_unqueue(aser_port *p, size_t i)
{
    w_ent *w = &p->wq[(p->wqhead + i) % p->wqcap];
    uint64_t start = i ? p->wq[(p->wqhead + i - 1) % p->wqcap].end : p->wsent;
    if (start < p->wsent) start = p->wsent; /* partly sent: drop the rest */
    if (w->end <= start) return;
    size_t n = (size_t)(w->end - start);
    size_t at = p->woff + (size_t)(start - p->wsent);
    memmove(p->wbuf + at, p->wbuf + at + n, p->wlen - at - n);
    p->wlen -= n;
    p->wqueued -= n;
    for (size_t j = i; j < p->wqcount; j++) p->wq[(p->wqhead + j) % p->wqcap].end -= n;
}

static void dispatch_writes(aser_port *p)
{
    uint64_t now = aser__now_us();
    while (p->wqcount) {
        w_ent *w = &p->wq[p->wqhead];
        int status = w->status;
        if (status == PENDING) {
            if (w->end <= p->wsent)
                status = 0;
            else if (p->dead)
                status = p->dead;
            else if (w->deadline && now >= w->deadline) {
                w_unqueue(p, 0);
                status = ASER_ETIMEDOUT;
            } else
                break;
        }
        w_ent done = *w;
        p->wqhead = (p->wqhead + 1) % p->wqcap;
        p->wqcount--;
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
    p->drain = (drain_op){.id = new_id(p), .status = PENDING,
                          .deadline = deadline_of(timeout_ms), .cb = cb, .ctx = ctx};
    aser__port_kick(p);
    return p->drain.id;
}

static void dispatch_drain(aser_port *p)
{
    drain_op *d = &p->drain;
    if (!d->status) return;
    int status = d->status;
    uint64_t now = aser__now_us();
    if (status == PENDING) {
        if (p->dead) {
            status = p->dead;
        } else if (p->wlen == p->woff && now >= d->next_poll) {
            int q = p->fd >= 0 ? p->tp->outq(p) : 0;
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

/* ---- reconnect ------------------------------------------------------------------- */

static int watch_fd(aser_port *p)
{
    p->io = aser__io_open(p->loop, p->fd, on_io, p);
    if (!p->io) return ASER_ENOMEM;
    int rc = aser__io_set(p->io, ASER_EV_READ);
    if (rc < 0) {
        aser__io_close(p->io);
        p->io = NULL;
    }
    return rc;
}

static void try_reopen(aser_port *p)
{
    aser_err err = {0};
    int rc = p->tp->reopen(p, &err);
    if (rc == 0 && (rc = watch_fd(p)) < 0) p->tp->close(p);
    if (rc == 0) {
        if (p->lines_mask) p->tp->modem_set(p, p->lines_mask, p->lines_values);
        p->down = false;
        p->dead = 0;
        p->dead_reported = false;
        p->errmsg[0] = '\0';
        p->link_event = ASER_LINK_RESTORED;
        return;
    }
    p->fd = -1;
    p->rc_attempts++;
    if (p->rc.max_attempts && p->rc_attempts >= p->rc.max_attempts) {
        p->down = false;
        p->dead = ASER_EDISCONNECTED;
        mark_all(p, ASER_EDISCONNECTED); /* waiters stop waiting */
        set_errmsg(p, "%s did not come back after %u attempts (last: %s)", p->name,
                   p->rc_attempts, err.msg);
        p->link_event = ASER_LINK_GAVE_UP;
        return;
    }
    p->rc_delay_ms = ASER_MIN(p->rc_delay_ms * 2, p->rc.max_delay_ms);
    p->rc_next = aser__now_us() + (uint64_t)p->rc_delay_ms * 1000u;
}

static void dispatch_link(aser_port *p)
{
    if (p->down && !p->closing && aser__now_us() >= p->rc_next) try_reopen(p);
    int ev = p->link_event;
    p->link_event = 0;
    if (ev && p->rc.cb && !p->closing) p->rc.cb(p, (aser_link_event)ev, p->rc.ctx);
}

int aser_set_reconnect(aser_port *p, const aser_reconnect_opts *opts)
{
    if (!p || p->own_loop) return ASER_EINVAL; /* needs a running loop */
    if (p->closing) return ASER_ECLOSED;
    aser_reconnect_opts o = opts ? *opts : (aser_reconnect_opts){0};
    if (!o.min_delay_ms) o.min_delay_ms = 100;
    if (!o.max_delay_ms) o.max_delay_ms = 5000;
    if (o.max_delay_ms < o.min_delay_ms) return ASER_EINVAL;
    p->rc = o;
    return 0;
}

/* ---- the dispatcher ------------------------------------------------------------------ */

static uint64_t next_deadline(aser_port *p)
{
    uint64_t dl = 0;
#define TAKE(x)                                                                    \
    do {                                                                           \
        uint64_t v_ = (x);                                                         \
        if (v_ && (!dl || v_ < dl)) dl = v_;                                       \
    } while (0)
    if (p->rd.kind != RD_NONE && p->rd.status == PENDING) TAKE(p->rd.deadline);
    for (size_t i = 0; i < p->qcount; i++) {
        q_ent *q = &p->qq[(p->qhead + i) % p->qcap];
        if (q->status == PENDING) TAKE(q->deadline);
    }
    for (size_t i = 0; i < p->wqcount; i++) {
        w_ent *w = &p->wq[(p->wqhead + i) % p->wqcap];
        if (w->status == PENDING) TAKE(w->deadline);
    }
    if (p->drain.status == PENDING) {
        TAKE(p->drain.deadline);
        if (p->wlen == p->woff) TAKE(p->drain.next_poll ? p->drain.next_poll : 1);
    }
    if (p->down) TAKE(p->rc_next);
#undef TAKE
    return dl;
}

static void update_watches(aser_port *p)
{
    if (p->io) {
        unsigned ev = 0;
        if (p->rlen < p->rcap || p->rpos > 0) ev |= ASER_EV_READ;
        if (p->wlen > p->woff) ev |= ASER_EV_WRITE;
        if (p->tp->io_mask) ev = p->tp->io_mask(p, ev);
        if (aser__io_set(p->io, ev) < 0) port_fail(p, ASER_EIO, "watching the fd");
    }
    uint64_t dl = next_deadline(p);
    if (dl == p->tmr_deadline) return;
    p->tmr_deadline = dl;
    if (!dl) {
        aser__tmr_stop(p->tmr);
        return;
    }
    uint64_t now = aser__now_us();
    aser__tmr_start(p->tmr, dl > now ? dl - now : 0);
}

static bool has_pending(const aser_port *p)
{
    return p->rd.kind != RD_NONE || p->qcount || p->wqcount || p->drain.status ||
           (p->data_cb && !p->dead_reported) || p->link_event;
}

static void port_free(aser_port *p)
{
    aser__defer_cancel(p->loop, &p->kick);
    aser__tmr_close(p->tmr);
    aser_loop *own = p->own_loop ? p->loop : NULL;
    for (size_t i = 0; i < p->qcap; i++) free(p->qq[i].req);
    free(p->qq);
    free(p->wq);
    free(p->wbuf);
    free(p->rbuf);
    free(p->name);
    free(p);
    if (own) aser_loop_free(own);
}

static void port_dispatch(aser_port *p)
{
    p->in_dispatch++;
    for (int round = 0; round < 4; round++) {
        int before = p->next_id;
        size_t q_before = p->qcount;
        dispatch_writes(p);
        expire_queued(p);
        start_query(p);
        dispatch_read(p);
        dispatch_stream(p);
        dispatch_drain(p);
        dispatch_link(p);
        /* A callback that started a new operation satisfiable now, or the
         * next query in line, is served in the same dispatch. */
        if (p->next_id == before && p->qcount == q_before) break;
    }
    p->in_dispatch--;
    if (p->in_dispatch > 0) return;
    if (p->closing) {
        if (has_pending(p))
            aser__port_kick(p);
        else
            port_free(p);
        return;
    }
    update_watches(p);
}

/* ---- cancellation and close ------------------------------------------------------ */

int aser_cancel(aser_port *p, int id)
{
    if (!p || id <= 0) return ASER_EINVAL;
    int *st = NULL;
    if (p->rd.kind != RD_NONE && p->rd.id == id) st = &p->rd.status;
    for (size_t i = 0; !st && i < p->qcount; i++) {
        q_ent *q = &p->qq[(p->qhead + i) % p->qcap];
        if (q->id == id) st = &q->status;
    }
    for (size_t i = 0; !st && i < p->wqcount; i++) {
        w_ent *w = &p->wq[(p->wqhead + i) % p->wqcap];
        if (w->id != id) continue;
        if (w->status == PENDING) w_unqueue(p, i);
        st = &w->status;
    }
    if (!st && p->drain.status && p->drain.id == id) st = &p->drain.status;
    if (!st || *st != PENDING) return ASER_ENOENT;
    *st = ASER_ECANCELED;
    aser__port_kick(p);
    return 0;
}

static void mark_all(aser_port *p, int status)
{
    if (p->rd.kind != RD_NONE && p->rd.status == PENDING) p->rd.status = status;
    for (size_t i = 0; i < p->qcount; i++) {
        q_ent *q = &p->qq[(p->qhead + i) % p->qcap];
        if (q->status == PENDING) q->status = status;
    }
    for (size_t i = 0; i < p->wqcount; i++) {
        w_ent *w = &p->wq[(p->wqhead + i) % p->wqcap];
        if (w->status == PENDING) w->status = status;
    }
    if (p->drain.status == PENDING) p->drain.status = status;
}

void aser_close(aser_port *p)
{
    if (!p || p->closing) return;
    p->closing = true;
    mark_all(p, ASER_ECLOSED);
    p->woff = p->wlen = 0; /* unsent output is discarded */
    if (p->io) aser__io_close(p->io);
    p->io = NULL;
    if (p->fd >= 0) p->tp->close(p);
    p->fd = -1;
    p->down = false;
    aser__tmr_stop(p->tmr);
    p->tmr_deadline = 0;
    aser__loop_unref(p->loop);
    if (p->in_dispatch) return; /* the running dispatch finishes the job */
    if (p->own_loop) {
        port_dispatch(p); /* a blocking port has no loop running: finish now */
        return;
    }
    aser__port_kick(p);
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
    int rc = aser_drain(p, timeout_ms ? timeout_ms : 2000, on_close_drained, NULL);
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

/* ---- open and settings -------------------------------------------------------------- */

static int port_alloc(aser_loop *loop, const char *name, const aser_config *cfg,
                      aser_port **out)
{
    aser_port *p = calloc(1, sizeof *p);
    if (!p) return ASER_ENOMEM;
    p->fd = -1;
    p->loop = loop;
    p->cfg = *cfg;
    p->name = strdup(name);
    p->rcap = cfg->read_buffer;
    p->rbuf = malloc(p->rcap);
    p->tmr = aser__tmr_open(loop, on_timer, p);
    p->kick = (aser_defer){.fn = on_kick, .arg = p};
    if (!p->name || !p->rbuf || !p->tmr) {
        aser__tmr_close(p->tmr);
        free(p->rbuf);
        free(p->name);
        free(p);
        return ASER_ENOMEM;
    }
    *out = p;
    return 0;
}

/* Open the endpoint named by p->path with the transport for its kind. */
static int open_transport(aser_port *p, int kind, aser_err *err)
{
    if (kind == ASER_URL_MOCK) {
        p->tp = &aser__mock_transport;
        return aser__mock_open(p->loop, p->path, p, err);
    }
    p->tp = &aser__tty_transport;
    return aser__tty_open(p->path, &p->cfg, &p->fd, &p->caps, err);
}

int aser_open(aser_loop *loop, const char *url, const aser_config *cfg,
              aser_port **out, aser_err *err)
{
    static const aser_config defaults = ASER_CONFIG_DEFAULT;
    if (!url || !out) return aser__err(err, ASER_EINVAL, "aser_open: url and out are required");
    *out = NULL;
    aser_config c = cfg ? *cfg : defaults;
    char path[sizeof ((aser_port *)0)->path];
    int kind = aser__url_parse(url, &c, path, sizeof path, err);
    if (kind < 0) return kind;
    if (kind == ASER_URL_MOCK && !loop)
        return aser__err(err, ASER_EINVAL, "%s: a mock port opens on the loop its mock "
                         "was created on (aser_mock_new)", url);
    bool own = loop == NULL;
    int rc;
    if (own && (rc = aser_loop_new(&loop)) < 0)
        return aser__err(err, rc, "cannot create a loop for %s", url);
    aser_port *p = NULL;
    rc = port_alloc(loop, url, &c, &p);
    if (rc < 0) {
        aser__err(err, rc, "out of memory opening %s", url);
    } else {
        memcpy(p->path, path, sizeof path);
        rc = open_transport(p, kind, err);
        if (rc == 0 && (rc = watch_fd(p)) < 0) {
            aser__err(err, rc, "cannot watch %s: %s", url, aser_strerror(rc));
            p->tp->close(p);
        }
        if (rc < 0) port_free(p); /* own_loop not yet set: the loop is freed below */
    }
    if (rc < 0) {
        if (own) aser_loop_free(loop);
        return rc;
    }
    p->own_loop = own;
    aser__loop_ref(loop);
    *out = p;
    return 0;
}

const char *aser_port_name(const aser_port *p)
{
    return p ? p->name : NULL;
}

aser_loop *aser_port_loop(const aser_port *p)
{
    return p && !p->own_loop ? p->loop : NULL;
}

const char *aser_port_errmsg(const aser_port *p)
{
    return p ? p->errmsg : "";
}

int aser_configure(aser_port *p, const aser_config *cfg, aser_err *err)
{
    if (!p || !cfg) return aser__err(err, ASER_EINVAL, "aser_configure: port and cfg required");
    if (p->closing) return aser__err(err, ASER_ECLOSED, "%s is closed", p->name);
    if (p->dead || p->fd < 0)
        return aser__err(err, p->dead ? p->dead : ASER_EDISCONNECTED, "%s", p->errmsg);
    if (cfg->read_buffer != p->cfg.read_buffer && cfg->read_buffer < r_avail(p))
        return aser__err(err, ASER_EBUSY, "%s: more bytes are buffered than the new "
                         "read_buffer holds: read them first", p->name);
    aser_caps caps = p->caps;
    int rc = p->tp->apply(p, &p->cfg, cfg, &caps, err);
    if (rc < 0) return rc;
    if (cfg->read_buffer > p->rcap && (rc = rbuf_reserve(p, cfg->read_buffer)) < 0) {
        p->tp->apply(p, cfg, &p->cfg, &caps, NULL);
        return aser__err(err, rc, "%s: no memory for the read buffer", p->name);
    }
    p->caps = caps;
    p->cfg = *cfg;
    return 0;
}

void aser_get_config(const aser_port *p, aser_config *out)
{
    if (p && out) *out = p->cfg;
}

aser_cap aser_port_cap(const aser_port *p, aser_feature f, const char **reason)
{
    if (reason) *reason = "unknown feature";
    if (!p || (unsigned)f >= ASER_FEAT_COUNT_) return ASER_CAP_UNKNOWN;
    if (reason) *reason = p->caps.reason[f];
    return p->caps.state[f];
}

const char *aser_feature_name(aser_feature f)
{
    static const char *const names[ASER_FEAT_COUNT_] = {
        "baud", "custom_baud", "modem_lines", "break", "flow_rtscts", "rs485",
        "low_latency"};
    return (unsigned)f < ASER_FEAT_COUNT_ ? names[f] : "unknown";
}

/* ---- lines and queues ------------------------------------------------------------- */

static int usable(const aser_port *p)
{
    if (!p) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    if (p->dead) return p->dead;
    return p->fd < 0 ? ASER_EDISCONNECTED : 0;
}

int aser_modem_get(aser_port *p)
{
    int rc = usable(p);
    return rc < 0 ? rc : p->tp->modem_get(p);
}

int aser_modem_set(aser_port *p, unsigned mask, unsigned values)
{
    int rc = usable(p);
    if (rc < 0) return rc;
    rc = p->tp->modem_set(p, mask, values);
    if (rc == 0) { /* remembered for reconnect */
        p->lines_mask |= mask;
        p->lines_values = (p->lines_values & ~mask) | (values & mask);
    }
    return rc;
}

int aser_send_break(aser_port *p, unsigned duration_ms)
{
    int rc = usable(p);
    if (rc == 0 && duration_ms > 10000) rc = ASER_EINVAL;
    return rc < 0 ? rc : p->tp->send_break(p, duration_ms);
}

int aser_discard(aser_port *p, int which)
{
    int rc = usable(p);
    if (rc < 0) return rc;
    if (which < ASER_DISCARD_INPUT || which > ASER_DISCARD_BOTH) return ASER_EINVAL;
    if (which & ASER_DISCARD_INPUT) {
        p->rpos = p->rlen = 0;
        p->rd.scanned = 0;
    }
    if (which & ASER_DISCARD_OUTPUT) {
        for (size_t i = 0; i < p->wqcount; i++) {
            w_ent *w = &p->wq[(p->wqhead + i) % p->wqcap];
            if (w->status == PENDING && w->end > p->wsent) w->status = ASER_ECANCELED;
        }
        p->wqueued -= p->wlen - p->woff;
        p->woff = p->wlen = 0;
        aser__port_kick(p);
    }
    return p->tp->flush(p, which);
}

ssize_t aser_bytes_in(aser_port *p)
{
    int rc = usable(p);
    if (rc < 0) return rc;
    int q = p->tp->inq(p);
    return q < 0 ? q : (ssize_t)(r_avail(p) + (size_t)q);
}

ssize_t aser_bytes_out(aser_port *p)
{
    int rc = usable(p);
    if (rc < 0) return rc;
    int q = p->tp->outq(p);
    return q < 0 ? q : (ssize_t)(p->wlen - p->woff + (size_t)q);
}
