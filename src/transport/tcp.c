/* transport/tcp.c: raw TCP (tcp://HOST:PORT) and one accepted client
 * (tcp-listen://[HOST:]PORT) behind the transport table. Data only: line
 * settings, modem lines and break are reported unsupported, never faked.
 *
 * The port opens in the connecting state (p->connecting, no fd); the
 * connector (net.c) finishes the connect or accept from the loop and the
 * socket is attached to the port then. Reconnect reopens the same way. */
#define _GNU_SOURCE
#include "port/port.h"
#include "transport/net.h"
#include "transport/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define DATA_ONLY "raw TCP carries data only"

typedef struct tcp_tp {
    aser_netc nc;
    aser_port *p;
} tcp_tp;

static tcp_tp *tp_of(aser_port *p)
{
    return p->tp_data;
}

static ssize_t tcp_read(aser_port *p, void *buf, size_t n)
{
    ssize_t r = aser__net_read(p->fd, buf, n);
    return r == 0 ? ASER_EDISCONNECTED : r; /* "connection lost", not "end of file" */
}

static ssize_t tcp_write(aser_port *p, const void *buf, size_t n)
{
    return aser__net_write(p->fd, buf, n);
}

static bool line_settings_differ(const aser_config *a, const aser_config *b)
{
    return a->baud != b->baud || a->data_bits != b->data_bits || a->parity != b->parity ||
           a->stop_bits != b->stop_bits || a->flow != b->flow;
}

static int tcp_apply(aser_port *p, const aser_config *cur, const aser_config *cfg,
                     aser_caps *caps, aser_err *err)
{
    (void)caps;
    int rc = aser_config_validate(cfg, err);
    if (rc < 0) return rc;
    if (line_settings_differ(cur, cfg) || (cfg->rs485.enabled && !cur->rs485.enabled) ||
        (cfg->low_latency == ASER_LOWLAT_STRICT && cur->low_latency != ASER_LOWLAT_STRICT))
        return aser__err(err, ASER_ENOTSUP, "%s: " DATA_ONLY ", so line settings cannot be "
                         "changed; use rfc2217:// if the server speaks RFC 2217", p->name);
    return 0;
}

static int tcp_modem_get(aser_port *p)
{
    aser__port_set_errmsg(p, "%s: " DATA_ONLY ": no modem lines", p->name);
    return ASER_ENOTSUP;
}

static int tcp_modem_set(aser_port *p, unsigned mask, unsigned values)
{
    (void)mask, (void)values;
    return tcp_modem_get(p);
}

static int tcp_break(aser_port *p, unsigned ms)
{
    (void)ms;
    aser__port_set_errmsg(p, "%s: " DATA_ONLY ": no break", p->name);
    return ASER_ENOTSUP;
}

static int tcp_flush(aser_port *p, int which)
{
    if ((which & ASER_DISCARD_INPUT) && p->fd >= 0) aser__net_discard_input(p->fd);
    return 0;
}

static int tcp_inq(aser_port *p)
{
    return aser__net_inq(p->fd);
}

static int tcp_outq(aser_port *p)
{
    return aser__net_outq(p->fd);
}

static void on_connected(aser_netc *c, int fd, int code, const char *msg)
{
    tcp_tp *t = c->ctx;
    if (aser__port_connected(t->p, fd, code, msg)) aser__port_ready(t->p);
}

static int tcp_reopen(aser_port *p, aser_err *err)
{
    return aser__netc_reopen(&tp_of(p)->nc, p, err);
}

static void tcp_close(aser_port *p)
{
    tcp_tp *t = tp_of(p);
    if (t) aser__netc_stop(&t->nc);
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
}

static void tcp_release(aser_port *p)
{
    tcp_tp *t = tp_of(p);
    if (!t) return;
    aser__netc_free(&t->nc);
    free(t);
    p->tp_data = NULL;
}

const aser_transport_ops aser__tcp_transport = {
    .kind = "tcp",
    .lost_hint = "the server closed the connection or the network failed; check the "
                 "server, then reopen (or enable reconnect)",
    .read = tcp_read,
    .write = tcp_write,
    .apply = tcp_apply,
    .modem_get = tcp_modem_get,
    .modem_set = tcp_modem_set,
    .send_break = tcp_break,
    .flush = tcp_flush,
    .inq = tcp_inq,
    .outq = tcp_outq,
    .reopen = tcp_reopen,
    .close = tcp_close,
    .release = tcp_release,
};

int aser__tcp_open(aser_port *p, int kind, aser_err *err)
{
    aser_net_url u;
    int rc = aser__url_net(p->name, &u, err);
    if (rc < 0) return rc;
    (void)kind;
    tcp_tp *t = calloc(1, sizeof *t);
    if (!t) return aser__err(err, ASER_ENOMEM, "out of memory opening %s", p->name);
    t->p = p;
    rc = aser__netc_init(&t->nc, p->loop, p->name, &u, on_connected, t);
    if (rc < 0) {
        aser__netc_free(&t->nc);
        free(t);
        return aser__err(err, rc, "out of memory opening %s", p->name);
    }
    t->nc.inline_resolve = p->own_loop;
    p->tp_data = t;
    aser__net_caps_data_only(&p->caps, DATA_ONLY);
    rc = tcp_reopen(p, err);
    if (rc < 0) {
        tcp_release(p);
        return rc;
    }
    return 0;
}
