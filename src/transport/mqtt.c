/* transport/mqtt.c: mqtt://HOST[:PORT]/PREFIX/NAME, an export of an MQTT
 * gateway (aserial serve --mqtt, server/mqtt.c) reached through the
 * broker. The topic layout is in codec/mqtt.h and docs/mqtt.md.
 *
 * The ports of one loop that name the same broker (the same address, TLS
 * files and credentials) share one libmosquitto session, a link
 * (transport/mqtt_link.c), which watches the broker's socket on the loop
 * and hands each port its messages by topic. The port's own fd is a
 * wake-up descriptor (os/wake.h, as sim:), readable while t->rx holds
 * bytes the port has not read (its write readiness comes through a
 * deferred call, mq_io_mask); state changes (ready, lines, settings, a
 * failure) go to the port through the aser__port_* calls, which kick it.
 * write() publishes on tx (QoS 1, at most CHUNK bytes a message) until
 * TX_UNACKED bytes (or ASER_MQTT_LENS messages) of this port wait for the
 * broker's acknowledgement, then says EAGAIN until acks come.
 *
 * Opening: join the link (made, and its connect started, if the loop has
 * none for this broker), subscribe to rx, status and error, then wait for
 * the export's retained status. "online" makes the port ready (its
 * settings become the port's config); no status within the connect
 * timeout, or "offline", fails the open naming the export and `aserial
 * list`. Later an "offline" status (the gateway's last will) is a
 * disconnect of this port; a lost broker, of every port of the link.
 * Settings go out on set, DTR/RTS and break on ctl; the gateway's status
 * pushes the modem lines back (lines_pushed).
 *
 * rx payloads carry the gateway's "offset" property: a payload already
 * seen (an offset behind the stream) is dropped, a gap is counted and
 * reported in errmsg. */
#define _GNU_SOURCE
#include "codec/mqtt.h"
#include "os/wake.h"
#include "transport/mqtt_conf.h"
#include "transport/mqtt_link.h"
#include "transport/transport.h"
#include "util/bytequeue.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ASER_HAVE_MQTT
#include <mosquitto.h>
#include <mqtt_protocol.h>

#define CHUNK 16384u
#define TX_UNACKED (256u * 1024u) /* bytes published, not yet acknowledged */
#define RX_MAX (4u << 20)         /* bytes received, not yet read by the port */

typedef struct mq_tp {
    aser_mqtt_member m; /* first: the link's view (mqtt_link.h) */
    aser_port *p;
    aser_mqtt_conf conf; /* the broker: address, TLS files, credentials */
    aser_wake wake;      /* rfd is the port's fd: readable while rx holds bytes */
    aser_defer writable; /* the port may write: its readiness, from the loop (mq_io_mask) */
    aser_bq rx;
    uint64_t deadline_us; /* the open's */
    bool ready, tx_blocked;
    bool opened; /* past aser_open: a reopen reports its fd through aser__port_connected */
    unsigned long long next_off, gap_bytes;
    bool have_off;
    size_t unacked;    /* bytes of tx messages not acknowledged */
    unsigned nunacked; /* and how many messages */
    aser_mqtt_status st;
} mq_tp;

static mq_tp *tp_of(aser_port *p)
{
    return aser__conn(p)->data;
}

static mq_tp *of_member(aser_mqtt_member *m)
{
    return (mq_tp *)(void *)m;
}

static void publish(mq_tp *t, aser_mqtt_kind kind, const void *b, size_t n)
{
    (void)aser__mqtt_link_publish(&t->m, t->m.topic[kind], b, n, false);
}

/* The open did not make it: say why (and what to try). */
static void open_failed(mq_tp *t, int code, const char *fmt, ...) ASER_PRINTF(3, 4);
static void open_failed(mq_tp *t, int code, const char *fmt, ...)
{
    char msg[900];
    int n = snprintf(msg, sizeof msg,
                     "mqtt: export %s under %s on the broker %s:%d: ", t->conf.a.name,
                     t->conf.a.prefix, t->conf.a.host, t->conf.a.port);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    aser__mqtt_link_settled(&t->m);
    aser__port_connect_failed(t->p, code, msg);
}

/* ---- what the link brings --------------------------------------------------------------- */

void aser__mq_probed(aser_mqtt_member *m)
{
    mq_tp *t = of_member(m);
    if (!t->ready && !t->st.state[0])
        open_failed(t, ASER_ENOENT,
                    "no such export (no retained status): is `aserial serve --mqtt` running "
                    "for it? `aserial list mqtt://%s:%d/%s` lists the exports",
                    t->conf.a.host, t->conf.a.port, t->conf.a.prefix);
}

void aser__mq_tick(aser_mqtt_member *m, uint64_t now_us)
{
    mq_tp *t = of_member(m);
    if (!t->ready && now_us >= t->deadline_us)
        open_failed(t, ASER_ETIMEDOUT,
                    "no such export (no retained status within %u ms): is `aserial serve "
                    "--mqtt` running? `aserial list mqtt://%s:%d/%s` lists the exports",
                    ASER_NET_CONNECT_TIMEOUT_MS, t->conf.a.host, t->conf.a.port, t->conf.a.prefix);
}

void aser__mq_link_lost(aser_mqtt_member *m, int code, const char *why)
{
    mq_tp *t = of_member(m);
    if (t->ready)
        aser__port_fail(t->p, ASER_EDISCONNECTED, why);
    else
        open_failed(t, code, "%s", why);
}

void aser__mq_acked(aser_mqtt_member *m, size_t n)
{
    mq_tp *t = of_member(m);
    t->unacked -= ASER_MIN(n, t->unacked);
    if (t->nunacked) t->nunacked--;
    if (t->tx_blocked && t->unacked < TX_UNACKED && t->nunacked < ASER_MQTT_LENS) {
        t->tx_blocked = false;
        aser__port_kick(t->p); /* asks for writability again (io_mask) */
    }
}

/* The export's status: online opens the port, offline closes it; the
 * settings and lines follow it. */
static void on_status(mq_tp *t, const uint8_t *b, size_t n)
{
    char err[ASER_MQTT_ERR_MAX];
    unsigned lines_before = t->st.lines, known_before = t->st.lines_known;
    int rc = aser__mqtt_status_parse(b, n, &t->st, err);
    bool online = rc == 0 && !strcmp(t->st.state, "online");
    if (!t->ready) {
        if (rc == 0 && !online)
            open_failed(t, ASER_ENOENT, "it is %s (its gateway is not running)", t->st.state);
        else if (rc < 0)
            open_failed(t, ASER_EPROTO, "%s", err);
        if (!online) return;
        t->ready = true;
        aser__mqtt_link_settled(&t->m);
        aser__port_ready(t->p);
    } else if (!online) {
        aser__port_fail(t->p, ASER_EDISCONNECTED,
                        rc < 0 ? "the export's status was cleared" : "its gateway went offline");
        return;
    }
    aser_config cfg = aser__conn(t->p)->cfg;
    if (t->st.config[0] && aser_config_parse(&cfg, t->st.config, NULL) == 0 &&
        aser__config_line_differs(&cfg, &aser__conn(t->p)->cfg))
        aser__port_config_changed(t->p, &cfg);
    if (t->st.lines != lines_before || t->st.lines_known != known_before)
        aser__port_lines_changed(t->p, t->st.lines, 0);
}

static void on_rx(mq_tp *t, const uint8_t *b, size_t n, const mosquitto_property *props)
{
    char *k = NULL, *v = NULL;
    const mosquitto_property *pr = mosquitto_property_read_string_pair(
        props, MQTT_PROP_USER_PROPERTY, &k, &v, false);
    unsigned long long off = t->next_off;
    if (pr && k && v && !strcmp(k, "offset")) off = strtoull(v, NULL, 10);
    free(k);
    free(v);
    if (t->have_off && off < t->next_off) { /* seen already: keep only what is new */
        unsigned long long skip = t->next_off - off;
        if (skip >= n) return;
        b += skip, n -= (size_t)skip, off = t->next_off;
    }
    if (t->have_off && off > t->next_off) {
        t->gap_bytes += off - t->next_off;
        aser__port_set_errmsg(t->p,
                              "%s: %llu bytes of the device's stream never arrived "
                              "(lost by the gateway while its broker was away; its status "
                              "counts them)",
                              aser__conn(t->p)->name, t->gap_bytes);
    }
    t->have_off = true;
    t->next_off = off + n;
    bool was_empty = aser__bq_size(&t->rx) == 0;
    if (aser__bq_append(&t->rx, b, n, RX_MAX) < 0) {
        aser__port_fail(t->p, ASER_ENOBUFS, "the program reads slower than the device sends");
        return;
    }
    if (was_empty && n) aser__wake_signal(&t->wake);
}

void aser__mq_message(aser_mqtt_member *m, int kind, const uint8_t *b, size_t n,
                      const mosquitto_property *props)
{
    mq_tp *t = of_member(m);
    if (kind == ASER_MQTT_RX)
        on_rx(t, b, n, props);
    else if (kind == ASER_MQTT_STATUS)
        on_status(t, b, n);
    else if (kind == ASER_MQTT_ERROR)
        aser__port_set_errmsg(t->p, "%s: the gateway says: %.*s", aser__conn(t->p)->name,
                              (int)ASER_MIN(n, 300u), (const char *)b);
}

/* ---- the ops ------------------------------------------------------------------------------- */

static void mq_writable(void *arg);

/* A new session for this port (the first, or after a loss): a wake-up
 * descriptor as its fd, then the link (joined, or made and connecting).
 * What the port has not read yet stays, and so does the stream's offset:
 * bytes the gateway sent meanwhile show as a gap. */
static int mq_reopen(aser_port *p, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    mq_tp *t = tp_of(p);
    int rc = aser__wake_open(&t->wake);
    if (rc < 0)
        return aser__err(err, rc,
                         "%s: no descriptor for the port (%s): raise the limit (ulimit -n)",
                         c->name, aser_strerror(rc));
    t->ready = t->tx_blocked = false;
    t->st.state[0] = '\0';
    t->unacked = t->nunacked = 0;
    t->deadline_us = aser__now_us() + (uint64_t)ASER_NET_CONNECT_TIMEOUT_MS * 1000u;
    char why[400];
    rc = aser__mqtt_link_join(c->loop, &t->conf, c->blocking, &t->m, why, sizeof why);
    if (rc < 0) {
        aser__wake_close(&t->wake);
        return aser__err(err, rc, "%s: %s", c->name, why);
    }
    if (aser__bq_size(&t->rx)) aser__wake_signal(&t->wake); /* what is left to read */
    c->connecting = true;
    if (!t->opened) { /* aser_open watches it */
        c->fd = t->wake.rfd;
        return 0;
    }
    (void)aser__port_connected(p, t->wake.rfd, 0, NULL);
    return 0;
}

static int mq_open(aser_port *p, const aser_url *u, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    mq_tp *t = calloc(1, sizeof *t);
    if (!t) return aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    c->data = t;
    t->p = p;
    t->wake.rfd = t->wake.wfd = -1;
    t->writable = (aser_defer){.fn = mq_writable, .arg = t};
    char why[ASER_MQTT_ERR_MAX];
    t->conf.tls = u->net.tls;
    if (aser__mqtt_addr_parse(u->path, strlen(u->path), t->conf.tls ? 8883 : 1883, true, &t->conf.a,
                              why) < 0)
        return aser__err(err, ASER_EBADURL, "%s: %s", c->name, why);
    snprintf(t->conf.ca, sizeof t->conf.ca, "%s", u->net.ca);
    snprintf(t->conf.cert, sizeof t->conf.cert, "%s", u->net.cert);
    snprintf(t->conf.key, sizeof t->conf.key, "%s", u->net.key);
    int arc = u->net.auth[0] ? aser__mqtt_conf_auth(&t->conf, u->net.auth, err) : 0;
    if (arc < 0) return arc;
    snprintf(t->m.key, sizeof t->m.key, "%s/%s", t->conf.a.prefix, t->conf.a.name);
    for (unsigned k = ASER_MQTT_RX; k <= ASER_MQTT_ERROR; k++)
        snprintf(t->m.topic[k], sizeof t->m.topic[k], "%s/%s", t->m.key,
                 aser__mqtt_kind_name((aser_mqtt_kind)k));
    snprintf(t->m.topic[ASER_MQTT_PROBE], sizeof t->m.topic[0], "%s/probe", t->m.key);
    c->caps.state[ASER_FEAT_MODEM_LINES] = ASER_CAP_UNKNOWN; /* the gateway's port decides */
    int rc = mq_reopen(p, err);
    t->opened = true;
    return rc;
}

static ssize_t mq_read(aser_port *p, void *buf, size_t n)
{
    mq_tp *t = tp_of(p);
    size_t k = ASER_MIN(n, aser__bq_size(&t->rx));
    if (!k) {
        aser__wake_drain(&t->wake);
        return ASER_EAGAIN;
    }
    memcpy(buf, aser__bq_peek(&t->rx), k);
    aser__bq_consume(&t->rx, k);
    if (!aser__bq_size(&t->rx)) aser__wake_drain(&t->wake); /* not readable again */
    return (ssize_t)k;
}

static ssize_t mq_write(aser_port *p, const void *buf, size_t n)
{
    mq_tp *t = tp_of(p);
    if (!t->ready || t->unacked >= TX_UNACKED || t->nunacked >= ASER_MQTT_LENS) {
        t->tx_blocked = true;
        return ASER_EAGAIN;
    }
    size_t k = ASER_MIN(n, CHUNK);
    int rc = aser__mqtt_link_publish(&t->m, t->m.topic[ASER_MQTT_TX], buf, k, true);
    if (rc == ASER_EAGAIN) t->tx_blocked = true;
    if (rc < 0) return rc;
    if (rc == 1) { /* counted until its acknowledgement */
        t->unacked += k;
        t->nunacked++;
    }
    return (ssize_t)k;
}

static void mq_close(aser_port *p)
{
    mq_tp *t = tp_of(p);
    aser__mqtt_link_leave(&t->m); /* the last port of the link: DISCONNECT */
    aser__defer_cancel(aser__conn(p)->loop, &t->writable);
    aser__wake_close(&t->wake);
    aser__conn(p)->fd = -1;
}

static void mq_release(aser_port *p)
{
    mq_tp *t = tp_of(p);
    if (!t) return;
    aser__mqtt_link_leave(&t->m);
    aser__defer_cancel(aser__conn(p)->loop, &t->writable);
    aser__wake_close(&t->wake);
    aser__bq_free(&t->rx);
    free(t);
    aser__conn(p)->data = NULL;
}

static void mq_writable(void *arg)
{
    mq_tp *t = arg;
    if (aser__conn(t->p)->fd >= 0) aser__port_io(t->p, ASER_EV_WRITE);
}

/* The fd is a wake-up descriptor: its writability says nothing (an
 * eventfd is always writable, a self-pipe's read end never). While the
 * port has bytes to write and the session takes them, its write
 * readiness comes from the loop through a deferred call instead. */
static unsigned mq_io_mask(aser_port *p, unsigned ev)
{
    mq_tp *t = tp_of(p);
    if (t->tx_blocked && t->ready && t->unacked < TX_UNACKED && t->nunacked < ASER_MQTT_LENS)
        t->tx_blocked = false; /* ready now, or acknowledged: the port may write again */
    if ((ev & ASER_EV_WRITE) && !t->tx_blocked) aser__defer(aser__conn(p)->loop, &t->writable);
    return ev & ~(unsigned)ASER_EV_WRITE;
}

static int mq_inq(aser_port *p)
{
    return (int)ASER_MIN(aser__bq_size(&tp_of(p)->rx), (size_t)INT32_MAX);
}

/* Settings travel on set; the gateway's status brings them back. */
static int mq_apply(aser_port *p, const aser_config *cur, const aser_config *cfg, aser_caps *caps,
                    aser_err *err)
{
    mq_tp *t = tp_of(p);
    (void)caps;
    if (!aser__config_line_differs(cur, cfg)) return 0;
    char str[128], b[200];
    aser_config_format(cfg, str, sizeof str);
    int n = snprintf(b, sizeof b, "{\"config\":\"%s\"}", str);
    if (!t->m.link) return aser__err(err, ASER_EIO, "%s is not connected", aser__conn(p)->name);
    publish(t, ASER_MQTT_SET, b, (size_t)n);
    return 0;
}

static int mq_modem_get(aser_port *p)
{
    mq_tp *t = tp_of(p);
    if (!t->st.lines_known) {
        aser__port_set_errmsg(p, "%s: the gateway's port has no modem lines", aser__conn(p)->name);
        return ASER_ENOTSUP;
    }
    return (int)t->st.lines;
}

static int mq_modem_set(aser_port *p, unsigned mask, unsigned values)
{
    mq_tp *t = tp_of(p);
    char b[80];
    int n = snprintf(b, sizeof b, "{%s%s%s%s%s}", mask & ASER_LINE_DTR ? "\"dtr\":" : "",
                     mask & ASER_LINE_DTR ? (values & ASER_LINE_DTR ? "true" : "false") : "",
                     (mask & ASER_LINE_DTR) && (mask & ASER_LINE_RTS) ? "," : "",
                     mask & ASER_LINE_RTS ? "\"rts\":" : "",
                     mask & ASER_LINE_RTS ? (values & ASER_LINE_RTS ? "true" : "false") : "");
    if (!(mask & (ASER_LINE_DTR | ASER_LINE_RTS))) return 0;
    publish(t, ASER_MQTT_CTL, b, (size_t)n);
    return 0;
}

static int mq_send_break(aser_port *p, unsigned ms)
{
    mq_tp *t = tp_of(p);
    char b[40];
    int n = snprintf(b, sizeof b, "{\"break\":%u}", ASER_MIN(ASER_MAX(ms, 1u), 5000u));
    publish(t, ASER_MQTT_CTL, b, (size_t)n);
    return 0;
}

#define MQ_OPS                                                                                    \
    .addr = ASER_ADDR_NAME,                                                                       \
    .lost_hint = "is the gateway (aserial serve --mqtt) and its broker running? (or enable "      \
                 "reconnect)",                                                                    \
    .lines_pushed = true, .open = mq_open, .read = mq_read, .write = mq_write, .close = mq_close, \
    .release = mq_release, .apply = mq_apply, .modem_get = mq_modem_get,                          \
    .modem_set = mq_modem_set, .send_break = mq_send_break, .reopen = mq_reopen,                  \
    .io_mask = mq_io_mask, .inq = mq_inq

const aser_transport_ops aser__mqtt_transport = {
    .scheme = "mqtt",
    .prefix = "mqtt://",
    .example = "mqtt://BROKER[:PORT]/PREFIX/NAME",
    .url_opts = ASER_URLOPT_AUTH,
    MQ_OPS,
};

/* The same over TLS: libmosquitto's own (mosquitto_tls_set), with the
 * system's CAs or ?ca=, and ?cert=&key= for a client certificate. */
const aser_transport_ops aser__mqtts_transport = {
    .scheme = "mqtts",
    .prefix = "mqtts://",
    .example = "mqtts://BROKER[:PORT]/PREFIX/NAME?ca=FILE",
    .url_opts = ASER_URLOPT_TLS | ASER_URLOPT_AUTH,
    MQ_OPS,
};

#else /* built without MQTT */

static int mq_open(aser_port *p, const aser_url *u, aser_err *err)
{
    (void)u;
    return aser__err(err, ASER_ENOTSUP,
                     "%s: this aserial was built without MQTT; rebuild with libmosquitto-dev "
                     "installed (meson setup -Dmqtt=enabled)",
                     aser__conn(p)->name);
}

static ssize_t mq_io(aser_port *p, void *buf, size_t n)
{
    (void)p, (void)buf, (void)n;
    return ASER_ENOTSUP;
}

static ssize_t mq_wr(aser_port *p, const void *buf, size_t n)
{
    (void)p, (void)buf, (void)n;
    return ASER_ENOTSUP;
}

static void mq_close(aser_port *p)
{
    (void)p;
}

const aser_transport_ops aser__mqtt_transport = {
    .scheme = "mqtt",
    .prefix = "mqtt://",
    .example = "mqtt://BROKER[:PORT]/PREFIX/NAME",
    .addr = ASER_ADDR_NAME,
    .url_opts = ASER_URLOPT_AUTH,
    .open = mq_open,
    .read = mq_io,
    .write = mq_wr,
    .close = mq_close,
};

const aser_transport_ops aser__mqtts_transport = {
    .scheme = "mqtts",
    .prefix = "mqtts://",
    .example = "mqtts://BROKER[:PORT]/PREFIX/NAME?ca=FILE",
    .addr = ASER_ADDR_NAME,
    .url_opts = ASER_URLOPT_TLS | ASER_URLOPT_AUTH,
    .open = mq_open,
    .read = mq_io,
    .write = mq_wr,
    .close = mq_close,
};

#endif
