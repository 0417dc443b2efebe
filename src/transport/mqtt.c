/* transport/mqtt.c: mqtt://HOST[:PORT]/PREFIX/NAME, an export of an MQTT
 * gateway (aserial serve --mqtt, server/mqtt.c) reached through the
 * broker. The topic layout is in codec/mqtt.h and docs/mqtt.md.
 *
 * libmosquitto owns the broker socket, which is the port's fd: readiness
 * goes to on_io (mosquitto_loop_read/_write), whose callbacks put rx
 * payloads into t->rx, from which read() takes; write() publishes on tx
 * (QoS 1, at most CHUNK bytes a message) until TX_UNACKED bytes wait for
 * the broker's acknowledgement, then says EAGAIN until acks come. A 1 s
 * timer calls mosquitto_loop_misc (keepalive) and bounds the open.
 *
 * Opening: connect, subscribe to rx, status and error, then wait for the
 * export's retained status. "online" makes the port ready (its settings
 * become the port's config); no status within the connect timeout, or
 * "offline", fails the open naming the export and `aserial list`. Later
 * an "offline" status (the gateway's last will) or a lost broker is a
 * disconnect. Settings go out on set, DTR/RTS and break on ctl; the
 * gateway's status pushes the modem lines back (lines_pushed).
 *
 * rx payloads carry the gateway's "offset" property: a payload already
 * seen (an offset behind the stream) is dropped, a gap is counted and
 * reported in errmsg. */
#define _GNU_SOURCE
#include "codec/mqtt.h"
#include "transport/mqtt_conf.h"
#include "transport/mqtt_resolve.h"
#include "transport/transport.h"
#include "util/bytequeue.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ASER_HAVE_MQTT
#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <fcntl.h>
#include <sys/socket.h>

#define TICK_US 1000000u
#define CHUNK 16384u
#define TX_UNACKED (256u * 1024u) /* bytes published, not yet acknowledged */
#define RX_MAX (4u << 20)         /* bytes received, not yet read by the port */
#define LENS 64 /* messages unacknowledged at most (their lengths, by mid: mids are sequential) */

typedef struct mq_tp {
    aser_port *p;
    struct mosquitto *mosq;
    aser_mqtt_conf conf; /* the broker: address, TLS files, credentials */
    char topic[ASER_MQTT_ERROR + 1][ASER_MQTT_PREFIX_MAX + ASER_MQTT_NAME_MAX + 16];
    aser_bq rx;
    aser_tmr *tmr;
    aser_defer replay;
    uint64_t deadline_us; /* the open's */
    bool ready, tx_blocked;
    bool in_io;         /* inside mosquitto_loop_read/_write: no calls that lock */
    aser_mqtt_job *job; /* the broker's name being looked up */
    int probe_mid;
    bool opened; /* past aser_open: a reopen reports its fd through aser__port_connected */
    unsigned long long next_off, gap_bytes;
    bool have_off;
    size_t unacked;    /* bytes of tx messages not acknowledged */
    unsigned nunacked; /* and how many messages */
    unsigned lens[LENS];
    aser_mqtt_status st;
} mq_tp;

static mq_tp *tp_of(aser_port *p)
{
    return aser__conn(p)->data;
}

static void publish(mq_tp *t, aser_mqtt_kind kind, const void *b, size_t n, int *mid)
{
    mosquitto_publish(t->mosq, mid, t->topic[kind], (int)n, b, 1, false);
}

/* libmosquitto's sockets are inherited by children (no FD_CLOEXEC): a
 * child would keep the socket alive after libmosquitto closes it on an
 * error, and with it the loop's registration of a watch already freed. */
static int cloexec(int fd)
{
    if (fd >= 0) fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
    return fd;
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
    aser__mqtt_resolve_abandon(t->job);
    t->job = NULL;
    aser__port_connect_failed(t->p, code, msg);
}

/* ---- libmosquitto's callbacks ---------------------------------------------------------- */

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    mq_tp *t = obj;
    (void)mosq, (void)flags, (void)props;
    if (rc != 0) {
        open_failed(t, ASER_EACCES, "the broker refused us: %s", mosquitto_reason_string(rc));
        return;
    }
    char *subs[] = {t->topic[ASER_MQTT_RX], t->topic[ASER_MQTT_STATUS], t->topic[ASER_MQTT_ERROR]};
    mosquitto_subscribe_multiple(t->mosq, NULL, 3, subs, 1, 0, NULL);
    /* The broker sends the retained status before it answers a later
     * subscribe: that answer with no status yet means no such export. */
    char probe[sizeof t->topic[0] + 8];
    snprintf(probe, sizeof probe, "%s/%s/probe", t->conf.a.prefix, t->conf.a.name);
    mosquitto_subscribe(t->mosq, &t->probe_mid, probe, 0);
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                         const int *granted_qos, const mosquitto_property *props)
{
    mq_tp *t = obj;
    (void)mosq, (void)qos_count, (void)granted_qos, (void)props;
    if (mid == t->probe_mid && !t->ready && !t->st.state[0])
        open_failed(t, ASER_ENOENT,
                    "no such export (no retained status): is `aserial serve --mqtt` running "
                    "for it? `aserial list mqtt://%s:%d/%s` lists the exports",
                    t->conf.a.host, t->conf.a.port, t->conf.a.prefix);
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
    if (aser__bq_append(&t->rx, b, n, RX_MAX) < 0)
        aser__port_fail(t->p, ASER_ENOBUFS, "the program reads slower than the device sends");
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    mq_tp *t = obj;
    (void)mosq;
    if (msg->payloadlen < 0) return;
    const uint8_t *b = msg->payload;
    size_t n = (size_t)msg->payloadlen;
    if (!strcmp(msg->topic, t->topic[ASER_MQTT_RX]))
        on_rx(t, b, n, props);
    else if (!strcmp(msg->topic, t->topic[ASER_MQTT_STATUS]))
        on_status(t, b, n);
    else if (!strcmp(msg->topic, t->topic[ASER_MQTT_ERROR]))
        aser__port_set_errmsg(t->p, "%s: the gateway says: %.*s", aser__conn(t->p)->name,
                              (int)ASER_MIN(n, 300u), (const char *)b);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int reason,
                       const mosquitto_property *props)
{
    mq_tp *t = obj;
    (void)mosq, (void)reason, (void)props;
    unsigned *len = &t->lens[(unsigned)mid % LENS];
    if (!*len) return; /* a set or ctl message */
    t->unacked -= ASER_MIN(*len, t->unacked);
    t->nunacked--;
    *len = 0;
}

/* ---- the ops ------------------------------------------------------------------------------- */

static void on_replay(void *arg)
{
    mq_tp *t = arg;
    if (aser__conn(t->p)->fd >= 0 && aser__bq_size(&t->rx)) aser__port_io(t->p, ASER_EV_READ);
}

static void on_tick(void *arg)
{
    mq_tp *t = arg;
    aser_conn *c = aser__conn(t->p);
    if (c->fd < 0 && !t->job) return;
    if (!t->ready && aser__now_us() >= t->deadline_us) {
        open_failed(t, ASER_ETIMEDOUT,
                    "no such export (no retained status within %u ms): is `aserial serve "
                    "--mqtt` running? `aserial list mqtt://%s:%d/%s` lists the exports",
                    ASER_NET_CONNECT_TIMEOUT_MS, t->conf.a.host, t->conf.a.port, t->conf.a.prefix);
        return;
    }
    int rc = mosquitto_loop_misc(t->mosq);
    if (rc != MOSQ_ERR_SUCCESS && t->ready) {
        aser__port_fail(t->p, ASER_EDISCONNECTED, mosquitto_strerror(rc));
        return;
    }
    aser__port_kick(t->p); /* the keepalive may have queued a ping */
    aser__tmr_start(t->tmr, TICK_US);
}

/* The broker's name, looked up: connect to its address. */
static void on_resolved(void *arg, const char *addr, const char *why)
{
    mq_tp *t = arg;
    aser_conn *c = aser__conn(t->p);
    t->job = NULL;
    if (!addr) {
        open_failed(t, ASER_ENOENT, "%s", why);
        return;
    }
    int rc = mosquitto_connect_async(t->mosq, addr, t->conf.a.port, 30);
    if (rc != MOSQ_ERR_SUCCESS) {
        open_failed(t, rc == MOSQ_ERR_ERRNO ? aser__errno(errno) : ASER_EPROTO,
                    "cannot reach the broker at %s (%s): is it running?", addr,
                    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        return;
    }
    (void)aser__port_connected(t->p, cloexec(mosquitto_socket(t->mosq)), 0, NULL);
    (void)c;
}

/* A new session (the first, or after a loss): a clean libmosquitto client,
 * then the connect (a name looked up off the loop first). What the port
 * has not read yet stays, and so does the stream's offset: bytes the
 * gateway sent meanwhile show as a gap. */
static int mq_reopen(aser_port *p, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    mq_tp *t = tp_of(p);
    int rc = t->mosq ? mosquitto_reinitialise(t->mosq, NULL, true, t) : MOSQ_ERR_SUCCESS;
    if (!t->mosq && !(t->mosq = mosquitto_new(NULL, true, t))) rc = MOSQ_ERR_NOMEM;
    if (rc != MOSQ_ERR_SUCCESS)
        return aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    mosquitto_int_option(t->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(t->mosq, MOSQ_OPT_TCP_NODELAY, 1); /* requests are small */
    mosquitto_connect_v5_callback_set(t->mosq, on_connect);
    mosquitto_message_v5_callback_set(t->mosq, on_message);
    mosquitto_publish_v5_callback_set(t->mosq, on_publish);
    mosquitto_subscribe_v5_callback_set(t->mosq, on_subscribe);
    char why[200];
    if (aser__mqtt_conf_apply(t->mosq, &t->conf, why, sizeof why) != MOSQ_ERR_SUCCESS)
        return aser__err(err, ASER_EINVAL, "%s: %s", c->name, why);
    t->ready = t->tx_blocked = false;
    t->st.state[0] = '\0';
    t->unacked = t->nunacked = 0;
    memset(t->lens, 0, sizeof t->lens);
    t->deadline_us = aser__now_us() + (uint64_t)ASER_NET_CONNECT_TIMEOUT_MS * 1000u;
    aser__tmr_start(t->tmr, TICK_US);
    /* On a loop a name is looked up on a helper thread: the fd comes later,
     * through aser__port_connected (the blocking API may wait inline). */
    if (!c->blocking && !t->conf.tls && !aser__mqtt_numeric(t->conf.a.host) &&
        (t->job = aser__mqtt_resolve(c->loop, t->conf.a.host, on_resolved, t)) != NULL) {
        c->connecting = true;
        return 0;
    }
    rc = mosquitto_connect_async(t->mosq, t->conf.a.host, t->conf.a.port, 30);
    if (rc != MOSQ_ERR_SUCCESS) {
        aser__tmr_stop(t->tmr);
        return aser__err(err, rc == MOSQ_ERR_ERRNO ? aser__errno(errno) : ASER_EPROTO,
                         "%s: cannot reach the MQTT broker %s:%d (%s): is it running?", c->name,
                         t->conf.a.host, t->conf.a.port,
                         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    }
    c->connecting = true;
    if (!t->opened) { /* aser_open watches it */
        c->fd = cloexec(mosquitto_socket(t->mosq));
        return 0;
    }
    (void)aser__port_connected(p, cloexec(mosquitto_socket(t->mosq)), 0, NULL);
    return 0;
}

static int mq_open(aser_port *p, const aser_url *u, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    static bool inited;
    if (!inited) inited = mosquitto_lib_init() == MOSQ_ERR_SUCCESS;
    mq_tp *t = calloc(1, sizeof *t);
    if (!t) return aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    c->data = t;
    t->p = p;
    t->replay = (aser_defer){.fn = on_replay, .arg = t};
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
    for (unsigned k = ASER_MQTT_RX; k <= ASER_MQTT_ERROR; k++)
        snprintf(t->topic[k], sizeof t->topic[k], "%s/%s/%s", t->conf.a.prefix, t->conf.a.name,
                 aser__mqtt_kind_name((aser_mqtt_kind)k));
    if (!(t->tmr = aser__tmr_open(c->loop, on_tick, t)))
        return aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    c->caps.state[ASER_FEAT_MODEM_LINES] = ASER_CAP_UNKNOWN; /* the gateway's port decides */
    int rc = mq_reopen(p, err);
    t->opened = true;
    return rc;
}

static ssize_t mq_read(aser_port *p, void *buf, size_t n)
{
    mq_tp *t = tp_of(p);
    size_t k = ASER_MIN(n, aser__bq_size(&t->rx));
    if (!k) return ASER_EAGAIN;
    memcpy(buf, aser__bq_peek(&t->rx), k);
    aser__bq_consume(&t->rx, k);
    return (ssize_t)k;
}

static ssize_t mq_write(aser_port *p, const void *buf, size_t n)
{
    mq_tp *t = tp_of(p);
    if (!t->ready || t->unacked >= TX_UNACKED || t->nunacked >= LENS) {
        t->tx_blocked = true;
        return ASER_EAGAIN;
    }
    size_t k = ASER_MIN(n, CHUNK);
    int mid = 0;
    publish(t, ASER_MQTT_TX, buf, k, &mid);
    t->lens[(unsigned)mid % LENS] = (unsigned)k;
    t->unacked += k;
    t->nunacked++;
    return (ssize_t)k;
}

static void mq_close(aser_port *p)
{
    mq_tp *t = tp_of(p);
    aser__tmr_stop(t->tmr);
    aser__mqtt_resolve_abandon(t->job);
    t->job = NULL;
    aser__defer_cancel(aser__conn(p)->loop, &t->replay);
    if (t->in_io) { /* inside libmosquitto (its locks are held): just hang up */
        shutdown(mosquitto_socket(t->mosq), SHUT_RDWR);
        return;
    }
    mosquitto_disconnect(t->mosq);
    mosquitto_loop_write(t->mosq, 1); /* the DISCONNECT, if the socket takes it */
}

static void mq_release(aser_port *p)
{
    mq_tp *t = tp_of(p);
    if (!t) return;
    aser__mqtt_resolve_abandon(t->job);
    if (t->tmr) aser__tmr_close(t->tmr);
    if (t->mosq) mosquitto_destroy(t->mosq);
    aser__bq_free(&t->rx);
    free(t);
    aser__conn(p)->data = NULL;
}

static unsigned mq_io_mask(aser_port *p, unsigned ev)
{
    mq_tp *t = tp_of(p);
    if (t->tx_blocked) ev &= ~(unsigned)ASER_EV_WRITE;
    if (mosquitto_want_write(t->mosq)) ev |= ASER_EV_WRITE;
    if ((ev & ASER_EV_READ) && aser__bq_size(&t->rx)) aser__defer(aser__conn(p)->loop, &t->replay);
    return ev | ASER_EV_READ; /* acks and pings come whether the port has room or not */
}

static unsigned mq_on_io(aser_port *p, unsigned revents)
{
    mq_tp *t = tp_of(p);
    int rc = MOSQ_ERR_SUCCESS;
    t->in_io = true;
    if (revents & ASER_EV_READ) rc = mosquitto_loop_read(t->mosq, 1);
    if (aser__conn(p)->fd < 0) {
        t->in_io = false;
        return 0; /* failed from a callback */
    }
    if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(t->mosq))
        rc = mosquitto_loop_write(t->mosq, 1);
    t->in_io = false;
    if (rc != MOSQ_ERR_SUCCESS) {
        char m[400];
        snprintf(m, sizeof m, "the broker %s:%d: %s", t->conf.a.host, t->conf.a.port,
                 rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        aser__port_fail(p, t->ready ? ASER_EDISCONNECTED : ASER_ECONNREFUSED, m);
        return 0;
    }
    unsigned out = aser__bq_size(&t->rx) ? ASER_EV_READ : 0;
    if (t->tx_blocked && t->unacked < TX_UNACKED && t->nunacked < LENS) {
        t->tx_blocked = false;
        out |= ASER_EV_WRITE;
    } else if (!t->tx_blocked) {
        out |= revents & ASER_EV_WRITE;
    }
    return out;
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
    if (!t->mosq) return aser__err(err, ASER_EIO, "%s is not connected", aser__conn(p)->name);
    publish(t, ASER_MQTT_SET, b, (size_t)n, NULL);
    aser__port_kick(p);
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
    publish(t, ASER_MQTT_CTL, b, (size_t)n, NULL);
    aser__port_kick(p);
    return 0;
}

static int mq_send_break(aser_port *p, unsigned ms)
{
    mq_tp *t = tp_of(p);
    char b[40];
    int n = snprintf(b, sizeof b, "{\"break\":%u}", ASER_MIN(ASER_MAX(ms, 1u), 5000u));
    publish(t, ASER_MQTT_CTL, b, (size_t)n, NULL);
    aser__port_kick(p);
    return 0;
}

#define MQ_OPS                                                                                    \
    .addr = ASER_ADDR_NAME,                                                                       \
    .lost_hint = "is the gateway (aserial serve --mqtt) and its broker running? (or enable "      \
                 "reconnect)",                                                                    \
    .lines_pushed = true, .open = mq_open, .read = mq_read, .write = mq_write, .close = mq_close, \
    .release = mq_release, .apply = mq_apply, .modem_get = mq_modem_get,                          \
    .modem_set = mq_modem_set, .send_break = mq_send_break, .reopen = mq_reopen,                  \
    .io_mask = mq_io_mask, .on_io = mq_on_io

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
