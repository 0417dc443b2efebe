/* lines.c: modem-line changes and line errors as events (aser_on_lines),
 * and line settings changed from the far end (aser_on_config).
 * Transports that are told about changes (RFC 2217 notifications, the
 * mock's peer) push them with aser__port_lines_changed(); for a local tty
 * the dispatcher polls modem_get() and, where the driver keeps them, the
 * kernel's error counters (line_errors: TIOCGICOUNT deltas) at the chosen
 * interval. Reports are delivered by the port's dispatcher, like every
 * other callback. */
#include "port/port.h"

int aser_on_lines(aser_port *p, unsigned poll_ms, aser_lines_cb cb, void *ctx)
{
    if (!p) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    aser__port_extras(p);
    p->lines_cb = cb;
    p->lines_ctx = ctx;
    p->lines_errors = 0;
    if (!cb) return 0;
    int v = p->c.fd >= 0 ? aser__tp_modem_get(p) : -1;
    p->lines_last = p->lines_seen = v >= 0 ? v : -1;
    p->lines_poll_modem = !p->c.tp->lines_pushed && v >= 0;
    /* The first call is the baseline: errors counted before are not news. */
    p->lines_poll_errors = p->c.tp->line_errors && p->c.fd >= 0 && p->c.tp->line_errors(p) >= 0;
    p->lines_poll = p->lines_poll_modem || p->lines_poll_errors;
    p->lines_poll_us = (uint64_t)(poll_ms ? poll_ms : 50) * 1000u;
    p->lines_next = aser__now_us() + p->lines_poll_us;
    aser__port_kick(p); /* arms the poll timer */
    return 0;
}

void aser__port_lines_changed(aser_port *p, unsigned lines, unsigned errors)
{
    p->lines_seen = (int)lines;
    p->lines_errors |= errors;
    if (p->lines_cb) aser__port_kick(p);
}

int aser_on_config(aser_port *p, aser_config_cb cb, void *ctx)
{
    if (!p) return ASER_EINVAL;
    if (p->closing) return ASER_ECLOSED;
    p->config_cb = cb;
    p->config_ctx = ctx;
    p->config_changed = false;
    return 0;
}

void aser__port_config_changed(aser_port *p, const aser_config *cfg)
{
    p->c.cfg = *cfg;
    aser__port_extras(p);
    p->config_changed = true;
    if (p->config_cb) aser__port_kick(p);
}

static void dispatch_config(aser_port *p)
{
    if (!p->config_changed) return;
    p->config_changed = false;
    if (!p->config_cb || p->closing) return;
    aser_config cfg = p->c.cfg;
    p->config_cb(p, &cfg, p->config_ctx);
}

void aser__port_dispatch_lines(aser_port *p)
{
    dispatch_config(p);
    if (!p->lines_cb || p->closing) return;
    if (p->lines_poll && p->c.fd >= 0 && aser__port_now(p) >= p->lines_next) {
        int v = p->lines_poll_modem ? aser__tp_modem_get(p) : -1;
        if (v >= 0) p->lines_seen = v;
        int e = p->lines_poll_errors ? p->c.tp->line_errors(p) : 0;
        if (e > 0) p->lines_errors |= (unsigned)e;
        p->lines_next = aser__port_now(p) + p->lines_poll_us;
    }
    if (p->lines_seen < 0 && !p->lines_errors) return; /* errors come without lines too */
    if (p->lines_seen == p->lines_last && !p->lines_errors) return;
    unsigned now = p->lines_seen >= 0 ? (unsigned)p->lines_seen : 0;
    unsigned changed = p->lines_last >= 0 && p->lines_seen >= 0 ? now ^ (unsigned)p->lines_last : 0;
    unsigned errors = p->lines_errors;
    p->lines_last = p->lines_seen;
    p->lines_errors = 0;
    p->lines_cb(p, now, changed, errors, p->lines_ctx);
}
