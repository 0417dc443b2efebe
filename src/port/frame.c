/* port/frame.c: framers on a port (see aserial.h, "framing"): the
 * decoder behind aser_read_frame() and framed queries, the frame stream of
 * aser_on_frame(), and aser_read_frame_sync()'s helpers.
 *
 * The port keeps its input in its read buffer until an operation takes
 * it, so that a read that fails consumes nothing. The decoder
 * (codec/framer.c) is fed those bytes without consuming them: it holds
 * the parse of the first aser__frdec_held() unread bytes, and only when it
 * reports an event (a frame, or a bad frame dropped) are the bytes that
 * event accounts for consumed; junk it knows it will never need (the rest
 * of a skipped frame) is consumed at once, so a long bad frame never fills
 * the buffer. The decoder survives between operations that use the same
 * framer (a timed-out read resumes where it was); anything else that
 * consumes input makes it start over (aser__frame_forget). One decoder
 * per port: one reader at a time. */
#include "codec/framer.h"
#include "port/port.h"

#include <stdlib.h>
#include <string.h>

typedef struct aser_frport {
    aser_frdec d;
    aser_framer f; /* what d decodes, normalised (max resolved) */
    bool live;     /* d is in use and matches the unread input */
    uint8_t *buf;
    size_t cap;
    /* the stream (aser_on_frame) */
    aser_read_cb cb;
    void *ctx;
    bool end_reported;
} aser_frport;

/* A copy of f with only the fields its kind uses, padding zeroed, max
 * resolved: two normalised framers are equal if memcmp says so. */
static void normalise(aser_framer *o, const aser_framer *f, size_t max)
{
    memset(o, 0, sizeof *o);
    o->kind = f->kind;
    o->max = max;
    switch (f->kind) {
    case ASER_FRAMING_DELIMS:
        o->ndelims = f->ndelims;
        for (unsigned i = 0; i < f->ndelims; i++) {
            o->delim_len[i] = f->delim_len[i];
            memcpy(o->delim[i], f->delim[i], f->delim_len[i]);
        }
        o->keep_delim = f->keep_delim;
        break;
    case ASER_FRAMING_IDLE: o->gap_us = f->gap_us; break;
    case ASER_FRAMING_FIXED: o->size = f->size; break;
    case ASER_FRAMING_LENGTH:
        o->len_offset = f->len_offset;
        o->len_width = f->len_width;
        o->len_big_endian = f->len_big_endian;
        o->len_adjust = f->len_adjust;
        break;
    default: break;
    }
}

/* The max in effect: the framer's, else the operation's, else the
 * port's read_buffer; the smaller when both are given. */
static size_t resolve_max(aser_port *p, const aser_framer *f, size_t max_given)
{
    if (f->kind == ASER_FRAMING_FIXED) return f->size;
    if (f->max && max_given) return ASER_MIN(f->max, max_given);
    if (f->max) return f->max;
    return max_given ? max_given : p->c.cfg.read_buffer;
}

int aser__frame_begin(aser_port *p, const aser_framer *f, size_t max_given)
{
    const char *why;
    if (aser__framer_check(f, &why) < 0) {
        aser__port_set_errmsg(p, "%s: bad framer: %s", p->c.name, why);
        return ASER_EINVAL;
    }
    aser_framer n;
    normalise(&n, f, resolve_max(p, f, max_given));
    if (aser__framer_check(&n, &why) < 0) { /* the resolved max against the header */
        aser__port_set_errmsg(p, "%s: bad framer: %s", p->c.name, why);
        return ASER_EINVAL;
    }
    aser__port_extras(p);
    if (!p->fr && !(p->fr = calloc(1, sizeof *p->fr))) return ASER_ENOMEM;
    aser_frport *fr = p->fr;
    if (fr->live && memcmp(&fr->f, &n, sizeof n) == 0) return 0; /* resume */
    size_t need = aser__frdec_buf_size(&n);
    int rc = aser__rbuf_reserve(p, aser__frdec_raw_max(&n) + 1);
    if (rc < 0) return rc;
    if (need > fr->cap) {
        uint8_t *b = realloc(fr->buf, need);
        if (!b) return ASER_ENOMEM;
        fr->buf = b;
        fr->cap = need;
    }
    fr->f = n;
    aser__frdec_init(&fr->d, &n, fr->buf, fr->cap);
    fr->live = true;
    return 0;
}

void aser__frame_forget(aser_port *p)
{
    if (p->fr) p->fr->live = false;
}

/* Feed the unread input the decoder has not seen; 1 and *ev if an event
 * came (its bytes are consumed), else 0. */
int aser__frame_poll(aser_port *p, aser_frev *ev)
{
    aser_frport *fr = p->fr;
    aser_frdec *d = &fr->d;
    size_t avail = aser__r_avail(p), held = aser__frdec_held(d);
    if (!fr->live || held > avail) { /* input went another way: start over */
        aser__frdec_init(d, &fr->f, fr->buf, fr->cap);
        fr->live = true;
        held = 0;
    }
    uint64_t now = aser__port_now(p);
    bool got;
    aser__frdec_feed(d, p->rbuf + p->rpos + held, avail - held, now, ev, &got);
    if (!got) got = aser__frdec_tick(d, now, ev);
    if (got) aser__r_consume(p, ev->used);
    size_t junk = aser__frdec_take_junk(d);
    if (junk) aser__r_consume(p, junk);
    if (got && ev->status < 0) aser__port_set_errmsg(p, "%s: %s", p->c.name, ev->msg);
    return got;
}

uint64_t aser__frame_deadline(aser_port *p)
{
    aser_frport *fr = p->fr;
    if (!fr || !fr->live) return 0; /* a forgotten decoder holds no frame */
    bool reading = p->rd.kind == RD_FRAME && p->rd.status == ASER_PENDING;
    return reading || (fr->cb && !fr->end_reported) ? aser__frdec_due(&fr->d) : 0;
}

void aser__frame_free(aser_port *p)
{
    if (!p->fr) return;
    free(p->fr->buf);
    free(p->fr);
    p->fr = NULL;
}

/* ---- the frame stream --------------------------------------------------------- */

bool aser__frame_streaming(const aser_port *p)
{
    return p->fr && p->fr->cb;
}

bool aser__frame_pending(const aser_port *p)
{
    return p->fr && p->fr->cb && !p->fr->end_reported;
}

int aser_on_frame(aser_port *p, const aser_framer *f, aser_read_cb cb, void *ctx)
{
    if (!p) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    if (!f || !cb) {
        if (p->fr) p->fr->cb = NULL;
        return 0;
    }
    if (p->rd.kind != RD_NONE || p->qq.count || p->data_cb) return ASER_EBUSY;
    if (p->dead && aser__r_avail(p) == 0) return p->dead;
    int rc = aser__frame_begin(p, f, 0);
    if (rc < 0) return rc;
    p->fr->cb = cb;
    p->fr->ctx = ctx;
    p->fr->end_reported = false;
    aser__port_kick(p);
    return 0;
}

/* One callback per frame (at most 64 a round: the rest in the next one),
 * then the end of the stream once, as aser_on_data() reports it. */
void aser__frame_dispatch_stream(aser_port *p)
{
    aser_frport *fr = p->fr;
    for (int i = 0; fr && fr->cb && !p->closing && i < 64; i++) {
        aser_frev ev;
        if (!aser__frame_poll(p, &ev)) break;
        fr->cb(p, ev.status, ev.data, ev.len, fr->ctx);
        if (i == 63) aser__port_kick(p);
    }
    if (fr && fr->cb && (p->dead || p->closing) && !fr->end_reported && (p->closing || !p->down)) {
        aser_read_cb cb = fr->cb;
        fr->end_reported = true;
        fr->cb = NULL;
        cb(p, p->closing ? ASER_ECLOSED : p->dead, NULL, 0, fr->ctx);
    }
}
