/* port/settings.c: what a user asks of an open port outside operations:
 * its name, path and loop, the settings (aser_configure: atomic, rolled
 * back), capabilities, modem lines, break, discarding buffered bytes and
 * the queue sizes. Everything the transport may not do goes through the
 * table's defaults (defaults.c). */
#define _GNU_SOURCE
#include "port/port.h"

#define PENDING ASER_PENDING

const char *aser_port_name(const aser_port *p)
{
    return p ? p->c.name : NULL;
}

aser_loop *aser_port_loop(const aser_port *p)
{
    return p && !p->c.blocking ? p->c.loop : NULL;
}

const char *aser_port_errmsg(const aser_port *p)
{
    return p ? p->errmsg : "";
}

int aser_configure(aser_port *p, const aser_config *cfg, aser_err *err)
{
    if (!p || !cfg) return aser__err(err, ASER_EINVAL, "aser_configure: port and cfg required");
    if (p->closing) return aser__err(err, ASER_ECLOSED, "%s is closed", p->c.name);
    if (p->dead || (p->c.fd < 0 && !p->c.connecting))
        return aser__err(err, p->dead ? p->dead : ASER_EDISCONNECTED, "%s", p->errmsg);
    if (cfg->read_buffer != p->c.cfg.read_buffer && cfg->read_buffer < aser__r_avail(p))
        return aser__err(err, ASER_EBUSY,
                         "%s: more bytes are buffered than the new "
                         "read_buffer holds: read them first",
                         p->c.name);
    aser_caps caps = p->c.caps;
    int rc = aser__tp_apply(p, &p->c.cfg, cfg, &caps, err);
    if (rc < 0) return rc;
    if (p->rcap && cfg->read_buffer > p->rcap &&
        (rc = aser__rbuf_reserve(p, cfg->read_buffer)) < 0) {
        aser__tp_apply(p, cfg, &p->c.cfg, &caps, NULL);
        return aser__err(err, rc, "%s: no memory for the read buffer", p->c.name);
    }
    p->c.caps = caps;
    p->c.cfg = *cfg;
    return 0;
}

const char *aser_port_path(const aser_port *p)
{
    return p ? p->c.path : NULL;
}

void aser_port_config(const aser_port *p, aser_config *out)
{
    if (p && out) *out = p->c.cfg;
}

aser_cap aser_port_cap(const aser_port *p, aser_feature f, const char **reason)
{
    if (reason) *reason = "unknown feature";
    if (!p || (unsigned)f >= ASER_FEAT_COUNT_) return ASER_CAP_UNKNOWN;
    if (reason) *reason = p->c.caps.reason[f];
    return p->c.caps.state[f];
}

const char *aser_feature_name(aser_feature f)
{
    static const char *const names[ASER_FEAT_COUNT_] = {"baud",        "custom_baud", "modem_lines",
                                                        "break",       "flow_rtscts", "rs485",
                                                        "low_latency", "line_errors"};
    return (unsigned)f < ASER_FEAT_COUNT_ ? names[f] : "unknown";
}
/* ---- lines and queues ------------------------------------------------------------- */

int aser_port_lines(aser_port *p)
{
    int rc = aser__port_usable(p);
    return rc < 0 ? rc : aser__tp_modem_get(p);
}

int aser_set_lines(aser_port *p, unsigned mask, unsigned values)
{
    int rc = aser__port_usable(p);
    if (rc < 0) return rc;
    rc = aser__tp_modem_set(p, mask, values);
    if (rc == 0) { /* remembered for reconnect */
        p->c.lines_mask |= mask;
        p->c.lines_values = (p->c.lines_values & ~mask) | (values & mask);
    }
    return rc;
}

int aser_send_break(aser_port *p, unsigned duration_ms)
{
    int rc = aser__port_usable(p);
    if (rc == 0 && duration_ms > 10000) rc = ASER_EINVAL;
    if (rc < 0) return rc;
    if (p->c.tp->break_ctl) return aser__port_break(p, duration_ms);
    return aser__tp_send_break(p, duration_ms);
}

int aser_discard(aser_port *p, int which)
{
    int rc = aser__port_usable(p);
    if (rc < 0) return rc;
    if (which < ASER_DISCARD_INPUT || which > ASER_DISCARD_BOTH) return ASER_EINVAL;
    if (which & ASER_DISCARD_INPUT) {
        p->rpos = p->rlen = 0;
        p->rd.scanned = 0;
        aser__frame_forget(p);
    }
    if (which & ASER_DISCARD_OUTPUT) {
        for (size_t i = 0; i < p->wq.count; i++) {
            w_ent *w = aser__ring_at(&p->wq, i);
            if (w->status == PENDING && w->end > p->wsent) w->status = ASER_ECANCELED;
        }
        p->wqueued -= aser__bq_size(&p->wbuf);
        aser__bq_reset(&p->wbuf);
        aser__port_kick(p);
    }
    return aser__tp_flush(p, which);
}

ssize_t aser_port_bytes_in(aser_port *p)
{
    int rc = aser__port_usable(p);
    if (rc < 0) return rc;
    int q = aser__tp_inq(p);
    return q < 0 ? q : (ssize_t)(aser__r_avail(p) + (size_t)q);
}

ssize_t aser_port_bytes_out(aser_port *p)
{
    int rc = aser__port_usable(p);
    if (rc < 0) return rc;
    int q = aser__tp_outq(p);
    return q < 0 ? q : (ssize_t)(aser__bq_size(&p->wbuf) + (size_t)q);
}
