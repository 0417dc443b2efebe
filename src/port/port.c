/* port/port.c: the port's life: open, close, cancellation, the I/O that
 * feeds it, and the dispatcher that completes its operations. The
 * operations are in read.c, frame.c and write.c, the connection's state
 * in link.c, line events in lines.c, the settings calls in settings.c,
 * and the helpers they all share in core.c.
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
#include "port/port.h"

#include <stdlib.h>
#include <string.h>

#define PENDING ASER_PENDING

static void port_dispatch(aser_port *p);

/* ---- I/O ------------------------------------------------------------------------ */

static void do_read(aser_port *p)
{
    if (p->rpos > 0 && (p->rlen == p->rcap || p->rpos >= p->rcap / 2)) {
        memmove(p->rbuf, p->rbuf + p->rpos, aser__r_avail(p));
        p->rlen -= p->rpos;
        p->rpos = 0;
    }
    if (p->rlen == p->rcap) { /* full, or no buffer yet (one check per read) */
        if (p->rcap) return;
        /* allocated when the first bytes come, not at open */
        int rc = aser__rbuf_reserve(p, p->c.cfg.read_buffer);
        if (rc < 0) {
            aser__port_fail(p, rc, "no memory for the read buffer");
            return;
        }
        if (p->rlen == p->rcap) return;
    }
    ssize_t n = p->c.tp->read(p, p->rbuf + p->rlen, p->rcap - p->rlen);
    if (n > 0)
        p->rlen += (size_t)n;
    else if (n == 0)
        aser__port_fail(p, ASER_EDISCONNECTED, "end of file");
    else if (n != ASER_EAGAIN && n != ASER_EINTR)
        aser__port_io_failed(p, (int)n);
}

void aser__port_io(aser_port *p, unsigned revents)
{
    if (p->c.tp->on_io && p->c.fd >= 0) revents = p->c.tp->on_io(p, revents);
    if ((revents & ASER_EV_WRITE) && p->c.fd >= 0) aser__port_do_write(p);
    if ((revents & ASER_EV_READ) && p->c.fd >= 0) do_read(p);
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

int aser__port_watch_fd(aser_port *p)
{
    p->io = aser__io_open(p->c.loop, p->c.fd, on_io, p);
    if (!p->io) return ASER_ENOMEM;
    int rc = aser__io_set(p->io, ASER_EV_READ);
    if (rc < 0) {
        aser__io_close(p->io);
        p->io = NULL;
    }
    p->io_events = ASER_EV_READ;
    return rc;
}

/* ---- the dispatcher ------------------------------------------------------------------ */

static uint64_t next_deadline(aser_port *p)
{
    uint64_t dl = 0;
#define TAKE(x)                              \
    do {                                     \
        uint64_t v_ = (x);                   \
        if (v_ && (!dl || v_ < dl)) dl = v_; \
    } while (0)
    if (p->rd.kind != RD_NONE && p->rd.status == PENDING) TAKE(p->rd.deadline);
    for (size_t i = 0; i < p->qq.count; i++) {
        q_ent *q = aser__ring_at(&p->qq, i);
        if (q->status == PENDING) TAKE(q->deadline);
    }
    for (size_t i = 0; i < p->wq.count; i++) {
        w_ent *w = aser__ring_at(&p->wq, i);
        if (w->status == PENDING) TAKE(w->deadline);
    }
    if (p->drain.status == PENDING) {
        TAKE(p->drain.deadline);
        if (!aser__bq_size(&p->wbuf)) TAKE(p->drain.next_poll ? p->drain.next_poll : 1);
    }
    if (p->down) TAKE(p->rc_next);
    TAKE(p->break_end);
    if (p->lines_cb && p->lines_poll && p->c.fd >= 0) TAKE(p->lines_next);
    if (p->fr) TAKE(aser__frame_deadline(p)); /* an idle-gap frame in progress */
#undef TAKE
    return dl;
}

void aser__port_upkeep(aser_port *p)
{
    if (p->io) {
        unsigned ev = 0;
        if (p->rlen < p->rcap || p->rpos > 0 || p->rcap == 0) ev |= ASER_EV_READ;
        if (aser__bq_size(&p->wbuf) && !p->break_end) ev |= ASER_EV_WRITE;
        if (p->c.tp->io_mask) ev = p->c.tp->io_mask(p, ev);
        if (ev != p->io_events) {
            p->io_events = ev;
            if (aser__io_set(p->io, ev) < 0) aser__port_fail(p, ASER_EIO, "watching the fd");
        }
    }
    /* Lazy re-arm: a timer already set for an earlier deadline (or when none
     * is left) stays as it is; when it fires, the dispatch finds nothing due
     * and arms it for the real deadline. Request/reply then touches the
     * timer once per timeout period instead of once per request. And when
     * it is armed and no deadline can be earlier (an operation's deadline
     * is flagged as it is made, aser__port_deadline; the other kinds are
     * not in use), the deadlines are not even looked at. */
    if (p->tmr_deadline && !p->tmr_early &&
        (!p->extras || (!p->down && !p->break_end && !p->drain.status && !p->fr &&
                        !(p->lines_cb && p->lines_poll))))
        return;
    p->tmr_early = false;
    uint64_t dl = next_deadline(p);
    if (dl == p->tmr_deadline) return;
    if (p->tmr_deadline && (!dl || p->tmr_deadline < dl)) return;
    p->tmr_deadline = dl; /* non-zero here: an earlier deadline than armed */
    uint64_t now = aser__now_us();
    aser__tmr_start(p->tmr, dl > now ? dl - now : 0);
}

static bool has_pending(const aser_port *p)
{
    return p->rd.kind != RD_NONE || p->qq.count || p->wq.count || p->drain.status ||
           (p->data_cb && !p->dead_reported) || p->link_event || aser__frame_pending(p);
}

static void port_free(aser_port *p)
{
    aser__defer_cancel(p->c.loop, &p->kick);
    aser__tmr_close(p->tmr);
    aser_loop *own = p->c.blocking ? p->c.loop : NULL;
    if (p->c.tp && p->c.tp->release) p->c.tp->release(p);
    for (size_t i = 0; i < p->qq.cap; i++) free(((q_ent *)aser__ring_at(&p->qq, i))->req);
    aser__ring_free(&p->qq);
    aser__ring_free(&p->wq);
    aser__bq_free(&p->wbuf);
    aser__frame_free(p);
    free(p->rbuf);
    free(p->c.name);
    free(p->c.path);
    free(p);
    if (own) aser_loop_free(own);
}

static void port_dispatch(aser_port *p)
{
    if (p->in_dispatch++ == 0) p->now_cache = 0; /* read once per dispatch, lazily */
    /* What callbacks start (the next query, a read satisfiable now, a
     * cancel) marks the port dirty and is served by another round here. */
    int round = 0;
    do {
        p->dirty = false;
        if (aser__port_output_due(p)) aser__port_dispatch_output(p);
        round += aser__port_dispatch_input(p, 8 - round);
        if (aser__port_link_due(p)) aser__port_dispatch_link(p);
        if (aser__port_lines_due(p)) aser__port_dispatch_lines(p);
    } while ((p->dirty || p->in_dirty) && ++round < 8);
    p->now_cache = 0; /* outside a dispatch the clock is always read fresh */
    p->in_dispatch--;
    if (p->in_dispatch > 0) return;
    if (p->closing) {
        if (has_pending(p))
            aser__port_kick(p);
        else
            port_free(p);
        return;
    }
    if (p->dirty || p->in_dirty) aser__port_kick(p); /* work left after the last round */
    aser__port_upkeep(p);
}

/* ---- cancellation and close ------------------------------------------------------ */

int aser_cancel(aser_port *p, int id)
{
    if (!p || id <= 0) return ASER_EINVAL;
    int *st = NULL;
    if (p->rd.kind != RD_NONE && p->rd.id == id) st = &p->rd.status;
    for (size_t i = 0; !st && i < p->qq.count; i++) {
        q_ent *q = aser__ring_at(&p->qq, i);
        if (q->id == id) st = &q->status;
    }
    for (size_t i = 0; !st && i < p->wq.count; i++) {
        w_ent *w = aser__ring_at(&p->wq, i);
        if (w->id != id) continue;
        if (w->status == PENDING) aser__port_w_unqueue(p, i);
        st = &w->status;
    }
    if (!st && p->drain.status && p->drain.id == id) st = &p->drain.status;
    if (!st || *st != PENDING) return ASER_ENOENT;
    *st = ASER_ECANCELED;
    aser__port_kick(p);
    return 0;
}

void aser_close(aser_port *p)
{
    if (!p || p->closing) return;
    p->closing = true;
    aser__port_mark_all(p, ASER_ECLOSED);
    aser__bq_reset(&p->wbuf);  /* unsent output is discarded */
    aser__port_break_clear(p); /* a timed break is not left on */
    if (p->io) aser__io_close(p->io);
    p->io = NULL;
    if (p->c.fd >= 0 || p->c.connecting) p->c.tp->close(p);
    p->c.fd = -1;
    p->down = false;
    p->c.connecting = false;
    aser__tmr_stop(p->tmr);
    p->tmr_deadline = 0;
    aser__loop_unref(p->c.loop);
    if (p->in_dispatch) return; /* the running dispatch finishes the job */
    if (p->c.blocking) {
        port_dispatch(p); /* a blocking port has no loop running: finish now */
        return;
    }
    aser__port_kick(p);
}

/* ---- open and settings -------------------------------------------------------------- */

static int port_alloc(aser_loop *loop, const char *name, const aser_config *cfg, aser_port **out)
{
    aser_port *p = calloc(1, sizeof *p);
    if (!p) return ASER_ENOMEM;
    p->c.fd = -1;
    p->c.loop = loop;
    p->c.cfg = *cfg;
    p->c.name = strdup(name);
    p->tmr = aser__tmr_open(loop, on_timer, p);
    p->kick = (aser_defer){.fn = on_kick, .arg = p};
    if (!p->c.name || !p->tmr) {
        aser__tmr_close(p->tmr);
        free(p->c.name);
        free(p);
        return ASER_ENOMEM;
    }
    *out = p;
    return 0;
}

/* The blocking API: a network port is returned connected (or not at all). */
static int wait_connected(aser_port *p, aser_err *err)
{
    while (p->c.connecting && !p->dead) {
        int rc = aser_loop_run_once(p->c.loop, -1);
        if (rc < 0) return aser__err(err, rc, "%s: the loop failed while connecting", p->c.name);
    }
    if (p->dead) return aser__err(err, p->dead, "%s", p->errmsg);
    return 0;
}

int aser_open(aser_loop *loop, const char *url, const aser_config *cfg, aser_port **out,
              aser_err *err)
{
    static const aser_config defaults = ASER_CONFIG_DEFAULT;
    if (!url || !out) return aser__err(err, ASER_EINVAL, "aser_open: url and out are required");
    *out = NULL;
    aser_config c = cfg ? *cfg : defaults;
    aser_url *u = malloc(sizeof *u); /* 4 KiB of path: not on the caller's stack */
    if (!u) return aser__err(err, ASER_ENOMEM, "out of memory opening %s", url);
    int rc = aser__url_parse(url, &c, u, err);
    if (rc == 0 && u->tp->needs_loop && !loop)
        rc = aser__err(err, ASER_EINVAL,
                       "%s: a %s port opens on the loop it was made on, "
                       "not with the blocking API",
                       url, u->tp->scheme);
    bool own = loop == NULL;
    if (rc == 0 && own && (rc = aser_loop_new(&loop)) < 0)
        aser__err(err, rc, "cannot create a loop for %s", url);
    aser_port *p = NULL;
    if (rc == 0 && (rc = port_alloc(loop, url, &c, &p)) < 0) {
        aser__err(err, rc, "out of memory opening %s", url);
    } else if (rc == 0) {
        p->c.tp = u->tp;
        p->c.path = strdup(u->path);
        p->c.blocking = own; /* the transport may ask (blocking name lookup) */
        rc = p->c.path ? u->tp->open(p, u, err) : ASER_ENOMEM;
        if (rc == 0 && p->c.fd >= 0 && (rc = aser__port_watch_fd(p)) < 0) {
            aser__err(err, rc, "cannot watch %s: %s", url, aser_strerror(rc));
            p->c.tp->close(p);
        }
        if (rc < 0) {
            p->c.blocking = false; /* the loop is freed below */
            port_free(p);
        }
    }
    free(u);
    if (rc < 0) {
        if (own && loop) aser_loop_free(loop);
        return rc;
    }
    p->c.blocking = own;
    aser__loop_ref(loop);
    if (own && p->c.connecting && (rc = wait_connected(p, err)) < 0) {
        aser_close(p);
        return rc;
    }
    *out = p;
    return 0;
}
