/* transport/ws.c: ws://HOST:PORT/PATH (and wss:// over TLS), a byte stream carried in WebSocket
 * binary messages (RFC 6455), on the sans-I/O codec of src/codec/ws.h. The
 * client side of what `aserial serve --web` will offer at /ws/NAME, and of
 * any WebSocket program that passes bytes: data only, like tcp://.
 *
 * Phases: CONNECTING (the connector, net/connect.c) -> UPGRADING (socket
 * attached, the HTTP upgrade sent; data writes wait) -> OPEN. The port is
 * "connecting" until the server's 101 answer is verified, so the blocking
 * API returns an open stream, and connect_timeout bounds the upgrade too.
 * A refused upgrade (401/403: a wrong token, a foreign Origin) fails the
 * open with the server's status line in the message.
 *
 * Receiving: what arrives is fed to the codec; binary and text message
 * payloads are the data, message boundaries are not kept (a serial line
 * has none); pings are answered by the codec. Sending: each write becomes
 * one binary message, masked as a client must, queued in t->out and
 * flushed first; data is framed only when t->out is empty, so t->out holds
 * at most one message plus control answers. */
#define _GNU_SOURCE
#include "codec/ws.h"
#include "transport/net.h"
#include "transport/transport.h"
#include "util/bytequeue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA_ONLY "a WebSocket stream carries data only"
#define READ_CHUNK 16384u
#define DATA_CHUNK 16384u       /* the largest message we send */
#define OUT_MAX (1024u * 1024u) /* one message plus answers: far below this */

enum ws_phase {
    PH_CONNECTING = 0,
    PH_UPGRADING,
    PH_OPEN
};

typedef struct ws_tp {
    aser_port *p;
    aser_netc nc;
    aser_ws codec;
    enum ws_phase ph;
    aser_tmr *tmr; /* the upgrade's deadline */
    aser_bq out;
    uint8_t *dst; /* read(): where DATA events go */
    size_t dcap, dlen;
    int failed; /* an error event or a close: why the stream ended */
    char why[240];
    uint32_t keys[64]; /* masking keys, from the system's entropy */
    unsigned nkeys;
} ws_tp;

static ws_tp *tp_of(aser_port *p)
{
    return aser__conn(p)->data;
}

/* ---- output ------------------------------------------------------------------------ */

static int out_flush(ws_tp *t)
{
    if (aser__conn(t->p)->fd < 0) return 0;
    return aser__netc_drain(&t->nc, t->p, &t->out);
}

/* RFC 6455 10.3: masking keys must not be predictable by the application
 * whose data is masked; they come from getentropy(), 64 at a time. */
static uint32_t mask_key(void *ud)
{
    ws_tp *t = ud;
    if (t->nkeys == 0) {
        if (getentropy(t->keys, sizeof t->keys) != 0) /* cannot fail for 256 bytes */
            memset(t->keys, 0x5a, sizeof t->keys);
        t->nkeys = 64;
    }
    return t->keys[--t->nkeys];
}

/* ---- codec events ------------------------------------------------------------------- */

static void stream_ended(ws_tp *t, int code, const char *why)
{
    if (t->failed) return;
    t->failed = code;
    snprintf(t->why, sizeof t->why, "%s", why);
}

static void on_codec(aser_ws *ws, const aser_ws_event *ev, void *ud)
{
    ws_tp *t = ud;
    (void)ws;
    switch (ev->kind) {
    case ASER_WS_EV_SEND:
        if (aser__bq_append(&t->out, ev->data, ev->len, OUT_MAX) < 0)
            stream_ended(t, ASER_ENOBUFS, "the peer keeps us answering without reading");
        break;
    case ASER_WS_EV_OPEN:
        t->ph = PH_OPEN;
        aser__tmr_stop(t->tmr);
        aser__port_ready(t->p);
        break;
    case ASER_WS_EV_DATA:    /* the codec never hands over more than it was fed */
        if (ev->text) break; /* control messages (aserial serve --web's JSON), not bytes */
        if (t->dst && ev->len <= t->dcap - t->dlen) {
            if (ev->len) memcpy(t->dst + t->dlen, ev->data, ev->len);
            t->dlen += ev->len;
        } else if (ev->len) {
            stream_ended(t, ASER_EPROTO, "data arrived outside a read (a codec bug)");
        }
        break;
    case ASER_WS_EV_CLOSE: {
        char why[64];
        snprintf(why, sizeof why, "the server closed the WebSocket (code %d)", ev->code);
        stream_ended(t, ASER_EDISCONNECTED, why);
        break;
    }
    case ASER_WS_EV_ERROR: stream_ended(t, ev->code, ev->msg); break;
    case ASER_WS_EV_REQUEST: /* server side only */
    case ASER_WS_EV_PING:
    case ASER_WS_EV_PONG: break;
    }
}

/* ---- the upgrade -------------------------------------------------------------------- */

static void on_timer(void *arg)
{
    ws_tp *t = arg;
    if (t->ph != PH_UPGRADING) return;
    char msg[300];
    snprintf(msg, sizeof msg,
             "%s: no answer to the WebSocket upgrade within %u ms: is it a "
             "WebSocket server, and is the path right?",
             aser__conn(t->p)->name, t->nc.u.connect_timeout_ms);
    aser__port_connect_failed(t->p, ASER_ETIMEDOUT, msg);
}

static void on_connected(aser_netc *c, int fd, int code, const char *msg)
{
    ws_tp *t = c->ctx;
    if (!aser__port_connected(t->p, fd, code, msg)) return;
    aser_conn *cn = aser__conn(t->p);
    aser__ws_init(&t->codec, ASER_WS_CLIENT, 0, on_codec, t, mask_key);
    uint8_t key[16];
    for (int i = 0; i < 4; i++) {
        uint32_t k = mask_key(t);
        memcpy(key + 4 * i, &k, 4);
    }
    char host[300];
    snprintf(host, sizeof host, "%s", cn->path); /* "HOST:PORT", brackets kept */
    const aser_net_url *u = &t->nc.u;
    (void)aser__ws_connect(&t->codec, host, u->target, key, NULL, u->token[0] ? u->token : NULL);
    t->ph = PH_UPGRADING;
    if (u->connect_timeout_ms) aser__tmr_start(t->tmr, (uint64_t)u->connect_timeout_ms * 1000u);
    (void)out_flush(t);
}

/* ---- the transport table ------------------------------------------------------------- */

static ssize_t ws_read(aser_port *p, void *buf, size_t n)
{
    ws_tp *t = tp_of(p);
    if (t->failed) return t->failed;
    uint8_t raw[READ_CHUNK];
    ssize_t r = aser__netc_read(&t->nc, p, raw, ASER_MIN(n, sizeof raw));
    if (r <= 0 && r != ASER_EAGAIN && r != ASER_EINTR && t->ph == PH_UPGRADING) {
        char msg[300];
        snprintf(msg, sizeof msg,
                 "%s: the server closed the connection without answering "
                 "the WebSocket upgrade: is it a WebSocket server?",
                 aser__conn(p)->name);
        aser__port_connect_failed(p, ASER_EPROTO, msg);
        return ASER_EAGAIN;
    }
    if (r <= 0) return r == 0 ? ASER_EDISCONNECTED : r;
    t->dst = buf;
    t->dcap = n;
    t->dlen = 0;
    bool was_open = t->ph == PH_OPEN;
    aser__ws_feed(&t->codec, raw, (size_t)r);
    t->dst = NULL;
    int rc = out_flush(t); /* pongs, our answering close */
    if (rc < 0 && rc != ASER_EAGAIN) return rc;
    if (t->failed && !was_open && t->ph != PH_OPEN) {
        /* the upgrade itself failed: an open error, not a loss */
        char msg[400];
        snprintf(msg, sizeof msg, "%s: %s", aser__conn(p)->name, t->why);
        int code = t->failed;
        t->failed = 0;
        aser__port_connect_failed(p, code, msg);
        return ASER_EAGAIN;
    }
    if (t->dlen) return (ssize_t)t->dlen; /* the end, if any, comes with the next read */
    if (t->failed) {
        aser__port_set_errmsg(p, "%s: %s", aser__conn(p)->name, t->why);
        return t->failed == ASER_EDISCONNECTED ? ASER_EDISCONNECTED : ASER_EPROTO;
    }
    return ASER_EAGAIN;
}

static ssize_t ws_write(aser_port *p, const void *buf, size_t n)
{
    ws_tp *t = tp_of(p);
    if (t->ph != PH_OPEN || t->failed) return ASER_EAGAIN;
    int rc = out_flush(t);
    if (rc < 0) return rc;
    if (aser__bq_size(&t->out)) return ASER_EAGAIN;
    size_t m = ASER_MIN(n, DATA_CHUNK);
    if (aser__ws_send(&t->codec, ASER_WS_OP_BINARY, buf, m) < 0) return ASER_EAGAIN;
    rc = out_flush(t);
    if (rc < 0 && rc != ASER_EAGAIN) return rc;
    return (ssize_t)m;
}

static unsigned ws_io_mask(aser_port *p, unsigned ev)
{
    ws_tp *t = tp_of(p);
    if (t->ph != PH_OPEN) ev &= ~(unsigned)ASER_EV_WRITE;
    if (aser__bq_size(&t->out)) ev |= ASER_EV_WRITE;
    return aser__stream_io_mask(&t->nc.st, ev); /* TLS: cipher to send, plain to read */
}

static unsigned ws_on_io(aser_port *p, unsigned revents)
{
    ws_tp *t = tp_of(p);
    if (revents & ASER_EV_WRITE) {
        int rc = aser__stream_flush(&t->nc.st); /* TLS cipher first */
        if (rc == 0) rc = out_flush(t);
        if (rc < 0 && rc != ASER_EAGAIN) {
            aser__port_io_failed(p, rc);
            return 0;
        }
    }
    if (t->ph != PH_OPEN || aser__bq_size(&t->out) || aser__stream_pending(&t->nc.st))
        revents &= ~(unsigned)ASER_EV_WRITE;
    return revents;
}

static int ws_inq(aser_port *p)
{
    return aser__net_inq(aser__conn(p)->fd);
}

static int ws_outq(aser_port *p)
{
    ws_tp *t = tp_of(p);
    int q = aser__net_outq(aser__conn(p)->fd);
    return q < 0 ? q : q + (int)aser__bq_size(&t->out);
}

static void reset_conn(ws_tp *t)
{
    aser__bq_reset(&t->out);
    t->ph = PH_CONNECTING;
    t->failed = 0;
    t->why[0] = '\0';
    aser__tmr_stop(t->tmr);
}

static int ws_reopen(aser_port *p, aser_err *err)
{
    ws_tp *t = tp_of(p);
    reset_conn(t);
    return aser__netc_reopen(&t->nc, p, err);
}

static void ws_close(aser_port *p)
{
    aser_conn *c = aser__conn(p);
    ws_tp *t = tp_of(p);
    if (t) {
        if (t->ph == PH_OPEN && aser__ws_close(&t->codec, 1000, NULL) == 0)
            (void)out_flush(t); /* a polite close if the socket takes it now */
        aser__stream_goodbye(&t->nc.st);
        aser__netc_stop(&t->nc); /* after: a TLS stream needs its session to send it */
        reset_conn(t);
    }
    if (c->fd >= 0) aser__sock_close(c->fd);
    c->fd = -1;
}

static void ws_release(aser_port *p)
{
    ws_tp *t = tp_of(p);
    if (!t) return;
    aser__netc_free(&t->nc);
    if (t->tmr) aser__tmr_close(t->tmr);
    aser__bq_free(&t->out);
    free(t);
    aser__conn(p)->data = NULL;
}

static int ws_open(aser_port *p, const aser_url *u, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    int tls_rc = aser__netc_check_tls(&u->net, c->name, err);
    if (tls_rc < 0) return tls_rc;
    ws_tp *t = calloc(1, sizeof *t);
    if (!t) return aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    t->p = p;
    c->data = t;
    t->tmr = aser__tmr_open(c->loop, on_timer, t);
    int rc = t->tmr ? aser__netc_init(&t->nc, c->loop, c->name, &u->net, on_connected, t)
                    : ASER_ENOMEM;
    if (rc < 0) {
        ws_release(p);
        return aser__err(err, rc, "out of memory opening %s", c->name);
    }
    t->nc.inline_resolve = c->blocking;
    aser__net_caps_data_only(&c->caps, DATA_ONLY);
    rc = ws_reopen(p, err);
    if (rc < 0) ws_release(p);
    return rc;
}

#define WS_OPS                                                                               \
    .data_only = DATA_ONLY,                                                                  \
    .lost_hint = "the server closed the WebSocket or the network failed; check the server, " \
                 "then reopen (or enable reconnect)",                                        \
    .open = ws_open, .read = ws_read, .write = ws_write, .close = ws_close, .inq = ws_inq,   \
    .outq = ws_outq, .reopen = ws_reopen, .io_mask = ws_io_mask, .on_io = ws_on_io,          \
    .release = ws_release

const aser_transport_ops aser__ws_transport = {
    .scheme = "ws",
    .prefix = "ws://",
    .example = "ws://HOST:PORT/PATH",
    .addr = ASER_ADDR_HTTP,
    .url_opts = ASER_URLOPT_CONNECT_TIMEOUT | ASER_URLOPT_TOKEN,
    WS_OPS,
};

/* The same over TLS: the upgrade and the messages go through the TLS
 * filter once the connector has verified the server (net.h). */
const aser_transport_ops aser__wss_transport = {
    .scheme = "wss",
    .prefix = "wss://",
    .example = "wss://HOST:PORT/PATH",
    .addr = ASER_ADDR_HTTP,
    .url_opts = ASER_URLOPT_CONNECT_TIMEOUT | ASER_URLOPT_TOKEN | ASER_URLOPT_TLS,
    WS_OPS,
};
