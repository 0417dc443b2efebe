/* port/core.c: the port's base, what the other files of src/port/ and the
 * transports call: the failure sentence, the kick that asks the
 * dispatcher to look, the read buffer, losing the device (down for a
 * reconnect, or dead), and marking what is pending. The dispatcher that
 * calls into read.c, write.c, link.c and lines.c is in port.c. */
#define _GNU_SOURCE
#include "port/port.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define PENDING ASER_PENDING

void aser__port_set_errmsg(aser_port *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->errmsg, sizeof p->errmsg, fmt, ap);
    va_end(ap);
}

/* Something changed that the dispatcher must look at. Inside this port's
 * dispatch the running dispatch picks it up (no extra loop turn per
 * request); otherwise a deferred dispatch is queued. */
void aser__port_kick(aser_port *p)
{
    p->dirty = true;
    if (p->in_dispatch == 0) aser__defer(p->c.loop, &p->kick);
}

/* ---- buffers ---------------------------------------------------------------- */

/* The read buffer: allocated when first needed (an idle port costs no
 * buffer), never smaller than the configured read_buffer. */
int aser__rbuf_grow(aser_port *p, size_t need)
{
    if (need <= p->rcap) return 0;
    if (need < p->c.cfg.read_buffer) need = p->c.cfg.read_buffer;
    uint8_t *b = realloc(p->rbuf, need);
    if (!b) return ASER_ENOMEM;
    p->rbuf = b;
    p->rcap = need;
    return 0;
}

/* ---- losing the device ---------------------------------------------------------- */

/* The device is gone (or broke): release the fd, remember why. Pending
 * operations learn of it in the dispatcher (port.c). */
void aser__port_fail(aser_port *p, int code, const char *what)
{
    if (p->c.connecting && p->c.fd >= 0) { /* lost while still negotiating */
        char msg[200];
        snprintf(msg, sizeof msg, "%s: connection lost while opening (%s)", p->c.name, what);
        aser__port_connect_failed(p, code, msg);
        return;
    }
    if (p->dead || p->down || p->c.fd < 0) return;
    if (code == ASER_EDISCONNECTED)
        aser__port_set_errmsg(p, "%s disconnected (%s): %s", p->c.name, what,
                              p->c.tp->lost_hint ? p->c.tp->lost_hint
                                                 : "check the cable or device, then reopen");
    else
        aser__port_set_errmsg(p, "%s failed: %s", p->c.name, what);
    p->break_end = 0; /* the device is gone: no break to clear */
    aser__io_close(p->io);
    p->io = NULL;
    p->c.tp->close(p);
    p->c.fd = -1;
    aser__port_lost(p, code);
}

void aser__port_lost(aser_port *p, int code)
{
    if (p->rc.enabled && code == ASER_EDISCONNECTED && !p->closing) {
        aser__port_mark_all(p, code); /* what was pending at the loss fails */
        aser__bq_reset(&p->wbuf);
        aser__port_extras(p);
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

void aser__port_io_failed(aser_port *p, int code)
{
    aser__port_fail(p, is_hangup(code) ? ASER_EDISCONNECTED : code,
                    code == ASER_EDISCONNECTED ? "connection lost" : aser_strerror(code));
}

/* ---- pending operations ----------------------------------------------------------- */

int aser__port_usable(const aser_port *p)
{
    if (!p) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    if (p->dead) return p->dead;
    return p->c.fd < 0 && !p->c.connecting ? ASER_EDISCONNECTED : 0;
}

void aser__port_mark_all(aser_port *p, int status)
{
    if (p->rd.kind != RD_NONE && p->rd.status == PENDING) p->rd.status = status;
    for (size_t i = 0; i < p->qq.count; i++) {
        q_ent *q = aser__ring_at(&p->qq, i);
        if (q->status == PENDING) q->status = status;
    }
    for (size_t i = 0; i < p->wq.count; i++) {
        w_ent *w = aser__ring_at(&p->wq, i);
        if (w->status == PENDING) w->status = status;
    }
    if (p->drain.status == PENDING) p->drain.status = status;
}
