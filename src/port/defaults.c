/* port/defaults.c: the port's view of the transport table: the ops a
 * transport may leave out, and what the port gets instead: "unsupported" with the reason (a data-only endpoint
 * names itself: "raw TCP carries data only"), nothing to flush, empty
 * queues, no reopen. So a transport writes only what it really does. */
#include "port/port.h"

static int unsupported(aser_port *p, const char *what)
{
    aser_conn *c = aser__conn(p);
    if (c->tp->data_only)
        aser__port_set_errmsg(p, "%s: %s: %s", c->name, c->tp->data_only, what);
    else
        aser__port_set_errmsg(p, "%s: %s endpoints have %s", c->name, c->tp->scheme, what);
    return ASER_ENOTSUP;
}

int aser__tp_apply(aser_port *p, const aser_config *cur, const aser_config *cfg, aser_caps *caps,
                   aser_err *err)
{
    aser_conn *c = aser__conn(p);
    if (c->tp->apply) return c->tp->apply(p, cur, cfg, caps, err);
    int rc = aser_config_validate(cfg, err);
    if (rc < 0) return rc;
    /* Without apply only what is not a line setting may change. */
    if (aser__config_line_differs(cur, cfg) || (cfg->rs485.enabled && !cur->rs485.enabled) ||
        (cfg->low_latency == ASER_LOWLAT_STRICT && cur->low_latency != ASER_LOWLAT_STRICT))
        return aser__err(err, ASER_ENOTSUP, "%s: %s, so line settings cannot be changed%s", c->name,
                         c->tp->data_only ? c->tp->data_only : "no line settings",
                         c->tp->data_only ? "; use rfc2217:// if the server speaks RFC 2217" : "");
    return 0;
}

int aser__tp_modem_get(aser_port *p)
{
    aser_conn *c = aser__conn(p);
    return c->tp->modem_get ? c->tp->modem_get(p) : unsupported(p, "no modem lines");
}

int aser__tp_modem_set(aser_port *p, unsigned mask, unsigned values)
{
    aser_conn *c = aser__conn(p);
    return c->tp->modem_set ? c->tp->modem_set(p, mask, values) : unsupported(p, "no modem lines");
}

int aser__tp_send_break(aser_port *p, unsigned ms)
{
    aser_conn *c = aser__conn(p);
    return c->tp->send_break ? c->tp->send_break(p, ms) : unsupported(p, "no break");
}

int aser__tp_flush(aser_port *p, int which)
{
    aser_conn *c = aser__conn(p);
    return c->tp->flush ? c->tp->flush(p, which) : 0;
}

int aser__tp_inq(aser_port *p)
{
    aser_conn *c = aser__conn(p);
    return c->tp->inq ? c->tp->inq(p) : 0;
}

int aser__tp_outq(aser_port *p)
{
    aser_conn *c = aser__conn(p);
    return c->tp->outq ? c->tp->outq(p) : 0;
}

int aser__tp_reopen(aser_port *p, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    if (c->tp->reopen) return c->tp->reopen(p, err);
    return aser__err(err, ASER_ENOTSUP, "%s: %s endpoints cannot be reopened", c->name,
                     c->tp->scheme);
}
