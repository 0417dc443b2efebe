/* transport/net.c: a network transport's stream as its port sees it
 * (transport/net.h): the connector and the stream (net/) know no port;
 * this passes their results on to one. */
#define _GNU_SOURCE
#include "transport/net.h"

void aser__net_caps_data_only(aser_caps *c, const char *reason)
{
    for (int f = 0; f < ASER_FEAT_COUNT_; f++) {
        c->state[f] = ASER_CAP_UNSUPPORTED;
        c->reason[f] = reason;
    }
}

/* Plain bytes left inside the session: the port reads again. */
static void on_replay(void *arg)
{
    aser__port_io(arg, ASER_EV_READ);
}

int aser__netc_reopen(aser_netc *c, aser_port *p, aser_err *err)
{
    c->st.replay.fn = on_replay; /* fields, not the struct: it may be queued */
    c->st.replay.arg = p;
    aser__conn(p)->connecting = true;
    int rc = aser__netc_start(c);
    if (rc < 0) {
        aser__conn(p)->connecting = false;
        return aser__err(err, rc, "%s: cannot start connecting: %s", aser__conn(p)->name,
                         aser_strerror(rc));
    }
    return 0;
}

static ssize_t failed(aser_netc *c, aser_port *p, ssize_t code)
{
    if (code == ASER_EPROTO && c->st.tls)
        aser__port_set_errmsg(p, "%s", aser__stream_tls_error(&c->st));
    return code;
}

ssize_t aser__netc_read(aser_netc *c, aser_port *p, void *buf, size_t n)
{
    ssize_t r = aser__stream_read(&c->st, buf, n);
    if (r > 0) aser__stream_replay_if_buffered(&c->st);
    return r < 0 ? failed(c, p, r) : r;
}

ssize_t aser__netc_write(aser_netc *c, aser_port *p, const void *buf, size_t n)
{
    ssize_t w = aser__stream_write(&c->st, buf, n);
    return w < 0 ? failed(c, p, w) : w;
}

int aser__netc_drain(aser_netc *c, aser_port *p, aser_bq *q)
{
    int rc = aser__stream_drain(&c->st, q);
    return rc < 0 ? (int)failed(c, p, rc) : rc;
}

void aser__netc_discard_input(aser_netc *c, aser_port *p)
{
    if (c->st.fd < 0) return;
    if (!c->st.tls) {
        aser__net_discard_input(c->st.fd);
        return;
    }
    uint8_t buf[4096];
    for (int i = 0; i < 64 && aser__netc_read(c, p, buf, sizeof buf) > 0; i++) {
    }
}
