/* port/read.c: the input side of a port: the one active read (some,
 * exactly N, until a delimiter, one frame), the streaming data callback,
 * and the request/reply queue (replies ended by a delimiter, a frame or a
 * matcher). Framers themselves are in frame.c. Completions are delivered only from the port's
 * dispatcher (port.c), never from the call that started an operation. */
#define _GNU_SOURCE
#include "codec/framer.h"
#include "port/port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING ASER_PENDING

/* ---- reads ------------------------------------------------------------------------ */

/* Can the active read complete from the buffer? Returns the bytes to hand
 * over and sets *consume (bytes to drop, delimiter included), or -1 if not
 * yet, or ASER_ENOBUFS when a delimited frame is too long. */
static ssize_t rd_ready(aser_port *p, size_t *consume)
{
    rd_op *r = &p->rd;
    size_t avail = aser__r_avail(p);
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
            const uint8_t *hit = r->dlen == 1
                                     ? memchr(base + from, r->delim[0], window - from)
                                     : memmem(base + from, window - from, r->delim, r->dlen);
            if (hit) {
                size_t len = (size_t)(hit - base);
                *consume = len + r->dlen;
                return (ssize_t)len;
            }
        }
        r->scanned = window;
        return window >= r->n + r->dlen ? ASER_ENOBUFS : -1;
    }
    case RD_NONE:
    case RD_FRAME:
    case RD_MATCH: break;
    }
    return -1;
}

/* Finish the active read with status and (for success) data. */
static void rd_finish(aser_port *p, int status, const uint8_t *data, size_t len)
{
    aser_read_cb cb = p->rd.cb;
    void *ctx = p->rd.ctx;
    if (p->rd.queued) aser__ring_pop(&p->qq);
    p->rd.kind = RD_NONE; /* the rest is set by the next start */
    p->rd.query = p->rd.queued = false;
    if (p->qq.count) aser__port_kick_input(p); /* the next query can start */
    cb(p, status, data, len, ctx);
}

/* RD_MATCH: ask the matcher when bytes came since it last answered.
 * 1: finished (the op is done), 0: not yet. */
static int dispatch_match(aser_port *p)
{
    rd_op *r = &p->rd;
    size_t avail = aser__r_avail(p), len = ASER_MIN(avail, r->n);
    if (len == 0 || len <= r->scanned) return 0;
    r->scanned = len;
    if (p->fr) aser__frame_forget(p); /* input is taken here, not by a framer */
    const char *why = NULL;
    const uint8_t *data = p->rbuf + p->rpos;
    ssize_t m = r->match(data, len, &why, r->match_ctx);
    if (m > 0 && (size_t)m <= len) {
        aser__r_consume(p, (size_t)m); /* memory stays valid until the next read() */
        rd_finish(p, 0, data, (size_t)m);
        return 1;
    }
    int status = (int)m;
    if (m > 0) {
        status = ASER_EPROTO;
        aser__port_set_errmsg(p,
                              "%s: the reply matcher claimed %zd bytes of the %zu received "
                              "(fix the matcher: return at most len)",
                              p->c.name, m, len);
    } else if (m < 0) {
        aser__port_set_errmsg(p, "%s: reply rejected by the matcher after %zu bytes: %s", p->c.name,
                              len, why ? why : aser_strerror(status));
    } else if (len >= r->n) {
        status = ASER_ENOBUFS;
        aser__port_set_errmsg(p, "%s: no complete reply within %zu bytes (the query's max)",
                              p->c.name, r->n);
    } else {
        return 0;
    }
    aser__r_consume(p, len); /* a bad reply is dropped */
    rd_finish(p, status, NULL, 0);
    return 1;
}

/* RD_FRAME: 1 if the decoder finished the read, 0 if not yet. */
static int dispatch_frame(aser_port *p)
{
    aser_frev ev;
    if (!aser__frame_poll(p, &ev)) return 0;
    rd_finish(p, ev.status, ev.data, ev.len);
    return 1;
}

static void dispatch_read(aser_port *p)
{
    rd_op *r = &p->rd;
    if (r->kind == RD_NONE) return;
    if (r->status != PENDING) {
        rd_finish(p, r->status, NULL, 0);
        return;
    }
    if (r->kind == RD_FRAME || r->kind == RD_MATCH) {
        if ((r->kind == RD_FRAME ? dispatch_frame(p) : dispatch_match(p))) return;
        if (p->dead)
            rd_finish(p, p->dead, NULL, 0);
        else if (r->deadline && aser__port_now(p) >= r->deadline)
            rd_finish(p, ASER_ETIMEDOUT, NULL, 0);
        return;
    }
    size_t consume = 0;
    /* Nothing buffered and nothing scanned (a request just sent): not yet. */
    ssize_t got = aser__r_avail(p) || r->scanned ? rd_ready(p, &consume) : -1;
    if (got >= 0) {
        const uint8_t *data = p->rbuf + p->rpos;
        aser__r_consume(p, consume); /* memory stays valid until the next read() */
        if (p->fr) aser__frame_forget(p);
        rd_finish(p, 0, data, (size_t)got);
    } else if (got == ASER_ENOBUFS) {
        aser__port_set_errmsg(p,
                              "%s: no delimiter within %zu bytes; the bytes are kept: read "
                              "them or discard them",
                              p->c.name, r->n);
        rd_finish(p, ASER_ENOBUFS, NULL, 0);
    } else if (p->dead) {
        rd_finish(p, p->dead, NULL, 0);
    } else if (r->deadline && aser__port_now(p) >= r->deadline) {
        rd_finish(p, ASER_ETIMEDOUT, NULL, 0);
    }
}

static int rd_start(aser_port *p, enum rd_kind kind, size_t n, const void *delim, size_t dlen,
                    unsigned timeout_ms, aser_read_cb cb, void *ctx)
{
    int rc = aser__rbuf_reserve(p, n + dlen);
    if (rc < 0) return rc;
    rd_op *r = &p->rd;
    memset(r, 0, sizeof *r);
    r->id = aser__port_new_id(p);
    r->kind = kind;
    r->n = n;
    if (dlen) memcpy(r->delim, delim, dlen);
    r->dlen = dlen;
    r->deadline = aser__port_deadline(p, timeout_ms);
    r->status = PENDING;
    r->cb = cb;
    r->ctx = ctx;
    aser__port_kick_input(p);
    return r->id;
}

/* Common checks for anything that reads. */
static int reader_check(aser_port *p, aser_read_cb cb)
{
    if (!p || !cb) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    if (p->rd.kind != RD_NONE || p->data_cb || p->qq.count || aser__frame_streaming(p))
        return ASER_EBUSY;
    if (p->dead && aser__r_avail(p) == 0) return p->dead;
    return 0;
}

int aser_read(aser_port *p, size_t max, unsigned timeout_ms, aser_read_cb cb, void *ctx)
{
    int rc = reader_check(p, cb);
    if (rc < 0) return rc;
    if (max == 0) return ASER_EINVAL;
    return rd_start(p, RD_SOME, ASER_MIN(max, ASER_MAX(p->rcap, (size_t)p->c.cfg.read_buffer)),
                    NULL, 0, timeout_ms, cb, ctx);
}

int aser_read_exactly(aser_port *p, size_t n, unsigned timeout_ms, aser_read_cb cb, void *ctx)
{
    int rc = reader_check(p, cb);
    if (rc < 0) return rc;
    if (n == 0) return ASER_EINVAL;
    return rd_start(p, RD_EXACT, n, NULL, 0, timeout_ms, cb, ctx);
}

int aser_read_until(aser_port *p, const void *delim, size_t dlen, size_t max, unsigned timeout_ms,
                    aser_read_cb cb, void *ctx)
{
    int rc = reader_check(p, cb);
    if (rc < 0) return rc;
    if (!delim || dlen == 0 || dlen > ASER_MAX_DELIM) return ASER_EINVAL;
    return rd_start(p, RD_UNTIL, max ? max : p->c.cfg.read_buffer, delim, dlen, timeout_ms, cb,
                    ctx);
}

int aser_read_frame(aser_port *p, const aser_framer *f, unsigned timeout_ms, aser_read_cb cb,
                    void *ctx)
{
    int rc = reader_check(p, cb);
    if (rc < 0) return rc;
    if (!f) return ASER_EINVAL;
    if ((rc = aser__frame_begin(p, f, 0)) < 0) return rc;
    rd_op *r = &p->rd;
    memset(r, 0, sizeof *r);
    r->id = aser__port_new_id(p);
    r->kind = RD_FRAME;
    r->deadline = aser__port_deadline(p, timeout_ms);
    r->status = PENDING;
    r->cb = cb;
    r->ctx = ctx;
    aser__port_kick_input(p);
    return r->id;
}

int aser_on_data(aser_port *p, aser_read_cb cb, void *ctx)
{
    if (!p) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    if (cb && (p->rd.kind != RD_NONE || p->qq.count || aser__frame_streaming(p))) return ASER_EBUSY;
    if (cb && p->dead && aser__r_avail(p) == 0) return p->dead;
    aser__port_extras(p);
    p->data_cb = cb;
    p->data_ctx = ctx;
    if (cb) aser__port_kick_input(p);
    return 0;
}

static void dispatch_stream(aser_port *p)
{
    if (!p->data_cb) return;
    if (aser__r_avail(p) > 0) {
        const uint8_t *data = p->rbuf + p->rpos;
        size_t n = aser__r_avail(p);
        aser__r_consume(p, n);
        aser__frame_forget(p);
        p->data_cb(p, 0, data, n, p->data_ctx);
    }
    if (p->data_cb && (p->dead || p->closing) && !p->dead_reported && (p->closing || !p->down)) {
        aser_read_cb cb = p->data_cb;
        p->dead_reported = true;
        p->data_cb = NULL;
        cb(p, p->closing ? ASER_ECLOSED : p->dead, NULL, 0, p->data_ctx);
    }
}

/* ---- queries ---------------------------------------------------------------------- */

/* A reply terminator into its fixed-size field. */
static inline void eol_copy(uint8_t *dst, const char *eol, size_t eol_len)
{
    if (eol_len == 1) /* the usual "\n" or "\r": no call to memcpy */
        dst[0] = (uint8_t)eol[0];
    else
        memcpy(dst, eol, eol_len);
}

/* A query on an idle port (no read, no query waiting, no framer or
 * matcher, no feature past reads and writes in use) starts at once: its
 * reply becomes the active read and its request goes out in this call,
 * without a copy or a queue entry, as a hand-written client would do it
 * (request/reply from each reply's callback takes this path every time).
 * The completion still comes from the dispatcher. */
static int query_now(aser_port *p, const void *req, size_t len, const char *eol, size_t eol_len,
                     const aser_query_opts *opts, aser_read_cb cb, void *ctx)
{
    size_t max = opts->max ? opts->max : p->c.cfg.read_buffer;
    int rc = aser__rbuf_reserve(p, max + eol_len);
    if (rc < 0) return rc;
    rd_op *r = &p->rd;
    r->id = aser__port_new_id(p);
    r->kind = RD_UNTIL;
    r->query = true;
    r->queued = false;
    r->scanned = 0;
    r->n = max;
    eol_copy(r->delim, eol, eol_len);
    r->dlen = eol_len;
    r->deadline = aser__port_deadline(p, opts->timeout_ms);
    r->status = PENDING;
    r->cb = cb;
    r->ctx = ctx;
    if (!opts->keep_stale) p->rpos = p->rlen = 0;
    rc = len ? aser__port_send(p, req, len) : 0;
    if (rc < 0) r->status = rc;
    /* Bytes kept (keep_stale) or a failed send need a look now. Else
     * nothing can complete before input comes: the timer and the fd's
     * watch are all there is to keep, which a running dispatch does at its
     * end, and which is done here outside one, so a query started from
     * the host's own code (a Python task) costs no extra wake-up. */
    if (rc < 0 || aser__r_avail(p))
        aser__port_kick_input(p);
    else if (!p->in_dispatch)
        aser__port_upkeep(p);
    return r->id;
}

int aser_query(aser_port *p, const void *req, size_t len, const aser_query_opts *opts,
               aser_read_cb cb, void *ctx)
{
    static const aser_query_opts defaults = {0};
    if (!p || !cb || (!req && len)) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    if (p->rd.kind != RD_NONE && !p->rd.query) return ASER_EBUSY;
    if (p->extras && (p->data_cb || (p->fr && aser__frame_streaming(p)))) return ASER_EBUSY;
    if (p->dead) return p->dead;
    if (!opts) opts = &defaults;
    const char *why;
    if (opts->framer && !opts->match && aser__framer_check(opts->framer, &why) < 0) {
        aser__port_set_errmsg(p, "%s: aser_query: bad framer: %s", p->c.name, why);
        return ASER_EINVAL;
    }
    const char *eol = opts->eol ? opts->eol : "\n";
    size_t eol_len = opts->eol ? opts->eol_len : 1;
    if (!eol_len) /* strlen(eol), bounded: a longer one is refused below */
        while (eol_len <= ASER_MAX_DELIM && eol[eol_len]) eol_len++;
    if (eol_len == 0 || eol_len > ASER_MAX_DELIM) return ASER_EINVAL;
    if (!p->extras && p->rd.kind == RD_NONE && !p->qq.count && !opts->framer && !opts->match)
        return query_now(p, req, len, eol, eol_len, opts, cb, ctx);
    int rc = aser__ring_reserve(&p->qq, sizeof(q_ent));
    if (rc < 0) return rc;
    q_ent *q = aser__ring_tail(&p->qq); /* filled, then pushed */
    if (len > q->req_cap) {
        uint8_t *b = realloc(q->req, len);
        if (!b) return ASER_ENOMEM;
        q->req = b;
        q->req_cap = len;
    }
    if (len) memcpy(q->req, req, len);
    q->len = len;
    eol_copy(q->eol, eol, eol_len);
    q->eol_len = eol_len;
    q->max = opts->max ? opts->max : p->c.cfg.read_buffer;
    q->keep_stale = opts->keep_stale;
    q->match = opts->match;
    q->match_ctx = opts->match_ctx;
    q->framed = opts->framer && !opts->match;
    if (q->framed) q->framer = *opts->framer;
    q->max_given = opts->max;
    q->deadline = aser__port_deadline(p, opts->timeout_ms);
    q->cb = cb;
    q->ctx = ctx;
    q->status = PENDING;
    q->id = aser__port_new_id(p);
    p->qq.count++; /* the reserved tail slot q joins the queue */
    aser__port_kick_input(p);
    return q->id;
}

/* Start the query at the head of the queue, or finish it if it was
 * cancelled or timed out while queued. True when it has just sent a
 * request whose reply cannot be there yet (nothing buffered): the active
 * read then has nothing to look at in this pass. */
static bool start_query(aser_port *p)
{
    if (p->rd.kind != RD_NONE) return false; /* first: the reply's pass ends here */
    q_ent *q = aser__ring_front(&p->qq);
    if (!q) return false;
    rd_op *r = &p->rd;
    r->id = q->id;
    r->query = r->queued = true;
    r->scanned = 0;
    r->cb = q->cb;
    r->ctx = q->ctx;
    r->kind = RD_UNTIL;
    r->status = q->status;
    if (r->status == PENDING && q->deadline && aser__port_now(p) >= q->deadline)
        r->status = ASER_ETIMEDOUT;
    if (r->status == PENDING && p->dead) r->status = p->dead;
    if (r->status != PENDING) return false; /* dispatch_read delivers it */
    r->n = q->max;
    memcpy(r->delim, q->eol, sizeof r->delim); /* fixed size: two moves, no call */
    r->dlen = q->eol_len;
    r->deadline = q->deadline;
    int rc = aser__rbuf_reserve(p, r->n + r->dlen);
    if (rc == 0 && !q->keep_stale) {
        p->rpos = p->rlen = 0;
        if (p->fr) aser__frame_forget(p);
    }
    if (q->match) {
        r->kind = RD_MATCH;
        r->match = q->match;
        r->match_ctx = q->match_ctx;
    } else if (q->framed) {
        r->kind = RD_FRAME;
        if (rc == 0) rc = aser__frame_begin(p, &q->framer, q->max_given);
    }
    if (rc == 0 && q->len) rc = aser__port_send(p, q->req, q->len);
    if (rc < 0) r->status = rc;
    return rc == 0 && r->kind == RD_UNTIL && !p->dead && aser__r_avail(p) == 0;
}

/* Remove entry i (not the active one) from the ring; it moves to the free
 * tail slot so its request buffer is reused. Returns a copy. */
static q_ent q_remove(aser_port *p, size_t i)
{
    q_ent e = *(q_ent *)aser__ring_at(&p->qq, i);
    aser__ring_remove(&p->qq, i);
    return e;
}

/* Queued (not yet started) queries whose time ran out or that were
 * cancelled complete at once, in queue order, without waiting their turn. */
static void expire_queued(aser_port *p)
{
    /* The head entry may be the active query's; a lone waiting entry with
     * no read active is the one start_query() takes next, which looks at
     * its status and deadline itself (a plain read and queued queries
     * never coexist). */
    size_t first = p->rd.queued ? 1 : 0;
    if (p->qq.count <= first || (p->qq.count == 1 && p->rd.kind == RD_NONE)) return;
    uint64_t now = aser__port_now(p);
    for (size_t i = first; i < p->qq.count;) {
        q_ent *q = aser__ring_at(&p->qq, i);
        if (q->status == PENDING && q->deadline && now >= q->deadline) q->status = ASER_ETIMEDOUT;
        if (q->status == PENDING) {
            i++;
            continue;
        }
        q_ent e = q_remove(p, i);
        e.cb(p, e.status, NULL, 0, e.ctx); /* may queue more: rescan */
        i = p->rd.queued ? 1 : 0;
    }
}

/* Expire queued queries, start the next one, complete the active read and
 * feed the data callback. */
int aser__port_dispatch_input(aser_port *p, int max)
{
    int n = 0;
    do {
        p->in_dirty = false;
        expire_queued(p);
        if (!start_query(p)) dispatch_read(p);
        if (p->extras) { /* the data callback and framers set it */
            dispatch_stream(p);
            if (p->fr) aser__frame_dispatch_stream(p); /* only ports that ever framed */
        }
    } while (p->in_dirty && !p->dirty && ++n < max);
    return n;
}
