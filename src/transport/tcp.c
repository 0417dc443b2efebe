/* transport/tcp.c: raw TCP (tcp://HOST:PORT) and one accepted client
 * (tcp-listen://[HOST:]PORT) behind the transport table. Data only: line
 * settings, modem lines and break are reported unsupported, never faked.
 *
 * The port opens in the connecting state (aser_conn.connecting, no fd); the
 * connector (net/connect.c) finishes the connect or accept from the loop and the
 * socket is attached to the port then. Reconnect reopens the same way.
 * tcp+tls://HOST:PORT is the same row over TLS: the connector finishes the
 * handshake before handing the socket over, and every byte goes through
 * the connector's stream (net/stream.h: the TLS filter when the URL asked
 * for it). */
#define _GNU_SOURCE
#include "transport/net.h"
#include "transport/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef ASER_OS_UNIX
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#define DATA_ONLY "raw TCP carries data only"

typedef struct tcp_tp {
    aser_netc nc;
    aser_port *p;
} tcp_tp;

static tcp_tp *tp_of(aser_port *p)
{
    return aser__conn(p)->data;
}

static int fd_of(aser_port *p)
{
    return aser__conn(p)->fd;
}

static ssize_t tcp_read(aser_port *p, void *buf, size_t n)
{
    ssize_t r = aser__netc_read(&tp_of(p)->nc, p, buf, n);
    return r == 0 ? ASER_EDISCONNECTED : r; /* "connection lost", not "end of file" */
}

static ssize_t tcp_write(aser_port *p, const void *buf, size_t n)
{
    return aser__netc_write(&tp_of(p)->nc, p, buf, n);
}

static int tcp_flush(aser_port *p, int which)
{
    if (which & ASER_DISCARD_INPUT) aser__netc_discard_input(&tp_of(p)->nc, p);
    return 0;
}

/* TLS: cipher left over from a write is sent when the socket takes it. */
static unsigned tcp_io_mask(aser_port *p, unsigned ev)
{
    return aser__stream_io_mask(&tp_of(p)->nc.st, ev);
}

static unsigned tcp_on_io(aser_port *p, unsigned revents)
{
    tcp_tp *t = tp_of(p);
    if ((revents & ASER_EV_WRITE) && aser__stream_pending(&t->nc.st)) {
        int rc = aser__stream_flush(&t->nc.st);
        if (rc < 0 && rc != ASER_EAGAIN) {
            aser__port_io_failed(p, rc);
            return 0;
        }
    }
    return revents;
}

static int tcp_inq(aser_port *p)
{
    return aser__net_inq(fd_of(p));
}

static int tcp_outq(aser_port *p)
{
    return aser__net_outq(fd_of(p));
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
    aser_conn *c = aser__conn(p);
    tcp_tp *t = tp_of(p);
    if (t) {
        aser__stream_goodbye(&t->nc.st);
        aser__netc_stop(&t->nc);
    }
    if (c->fd >= 0) aser__sock_close(c->fd);
    c->fd = -1;
}

static void tcp_release(aser_port *p)
{
    tcp_tp *t = tp_of(p);
    if (!t) return;
    aser__netc_free(&t->nc);
    free(t);
    aser__conn(p)->data = NULL;
}

static int tcp_open(aser_port *p, const aser_url *u, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    int tls_rc = aser__netc_check_tls(&u->net, c->name, err);
    if (tls_rc < 0) return tls_rc;
    tcp_tp *t = calloc(1, sizeof *t);
    if (!t) return aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    t->p = p;
    int rc = aser__netc_init(&t->nc, c->loop, c->name, &u->net, on_connected, t);
    if (rc < 0) {
        aser__netc_free(&t->nc);
        free(t);
        return aser__err(err, rc, "out of memory opening %s", c->name);
    }
    t->nc.inline_resolve = c->blocking;
    c->data = t;
    aser__net_caps_data_only(&c->caps, DATA_ONLY);
    rc = tcp_reopen(p, err);
    if (rc < 0) tcp_release(p);
    return rc;
}

#define TCP_OPS                                                                   \
    .data_only = DATA_ONLY,                                                       \
    .lost_hint = "the server closed the connection or the network failed; check " \
                 "the server, then reopen (or enable reconnect)",                 \
    .open = tcp_open, .read = tcp_read, .write = tcp_write, .close = tcp_close,   \
    .flush = tcp_flush, .inq = tcp_inq, .outq = tcp_outq, .reopen = tcp_reopen,   \
    .io_mask = tcp_io_mask, .on_io = tcp_on_io, .release = tcp_release

const aser_transport_ops aser__tcp_transport = {
    .scheme = "tcp",
    .prefix = "tcp://",
    .example = "tcp://HOST:PORT",
    .addr = ASER_ADDR_HOSTPORT,
    .url_opts = ASER_URLOPT_CONNECT_TIMEOUT,
    TCP_OPS,
};

/* The same over TLS: the connector verifies the server, the stream
 * (net/stream.c) filters every byte. */
const aser_transport_ops aser__tcp_tls_transport = {
    .scheme = "tcp+tls",
    .prefix = "tcp+tls://",
    .example = "tcp+tls://HOST:PORT",
    .addr = ASER_ADDR_HOSTPORT,
    .url_opts = ASER_URLOPT_CONNECT_TIMEOUT | ASER_URLOPT_TLS,
    TCP_OPS,
};

/* One accepted client, then as tcp:// (made for `aserial bridge`). */
const aser_transport_ops aser__tcp_listen_transport = {
    .scheme = "tcp-listen",
    .prefix = "tcp-listen://",
    .example = "tcp-listen://[HOST:]PORT",
    .addr = ASER_ADDR_LISTEN,
    .url_opts = ASER_URLOPT_CONNECT_TIMEOUT,
    TCP_OPS,
};
