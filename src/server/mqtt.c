/* server/mqtt.c: the MQTT gateway of an export (aser_server_mqtt, issue
 * 24): the mqtt row of the server's mode table (server.h), one client of
 * the export that is a broker connection instead of a TCP peer. The
 * topic layout is in codec/mqtt.h and docs/mqtt.md.
 *
 * libmosquitto owns the broker socket (and its TLS) and is driven by
 * aserial's loop through its external-loop calls: the socket is watched
 * (read always, write while mosquitto_want_write), readiness calls
 * mosquitto_loop_read/_write, and a 1 s timer calls mosquitto_loop_misc
 * (keepalive), republishes the status when the counters moved, and
 * reconnects with back-off (250 ms doubling to 30 s) after a loss. The
 * serial side is never touched by a broker loss.
 *
 * One broker connection per export, so each export has its own last will
 * (its retained status goes "offline" when the gateway vanishes) and its
 * own ordering: MQTT orders QoS 1 messages per connection and topic.
 *
 * The client's socket is one end of a socketpair: what subscribers
 * publish on tx is written into our end and the server core reads it like
 * any client's bytes (backpressure, read-only and the rest unchanged).
 * When the pair is full the bytes wait here (txq); past TXQ_PAUSE we stop
 * reading the broker's socket, so TCP pushes back on the broker.
 *
 * Loss and duplicates. rx is published QoS 1 with an MQTT v5 user
 * property "offset": the count of the export's bytes before this payload.
 * A subscriber sees a gap in offsets when bytes were lost, and a repeated
 * offset never. Messages are never resent across a broker loss (the
 * session is dropped and begun anew, clean start): bytes read while the
 * broker is away, and bytes published but not acknowledged when it went,
 * are counted in the status's "lost" (an upper bound: the broker may have
 * delivered some of the latter). While both stay connected nothing is
 * lost or reordered: a subscriber slower than queue bytes is the broker's
 * to buffer, and the gateway drops (and counts) only when its own
 * unacknowledged bytes exceed opts->queue. */
#define _GNU_SOURCE
#include "codec/framer.h"
#include "codec/mqtt.h"
#include "os/socket.h"
#include "server/server.h"
#include "transport/mqtt_conf.h"
#include "transport/mqtt_resolve.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ASER_HAVE_MQTT
#include <errno.h>
#include <mosquitto.h>
#include <fcntl.h>
#include <mqtt_protocol.h>
#include <sys/socket.h>
#include <unistd.h>

#define TICK_MS 1000u
#define STATUS_EVERY_US 5000000u /* counters republished at most this often */
#define BACKOFF_MIN_MS 250u
#define BACKOFF_MAX_MS 30000u
#define QUEUE_DEFAULT (1u << 20) /* unacknowledged rx bytes before drops */
#define TXQ_PAUSE (1u << 20)     /* tx bytes waiting before the broker is paused */
#define TXQ_MAX (TXQ_PAUSE + 300000u)
#define INFLIGHT_RING 4096 /* rx messages awaiting PUBACK, tracked by mid */

struct srv_mqtt {
    aser_server *s;
    srv_client *c; /* NULL before adoption and once the client closed */
    aser_loop *loop;
    struct mosquitto *mosq;
    aser_io *io; /* on mosquitto's socket */
    int io_fd;
    unsigned io_ev;
    aser_tmr *tmr;
    int pair[2];      /* [0] the client's (the server core reads tx there), [1] ours */
    aser_io *pair_io; /* [1] watched for writable while txq waits */
    aser_bq txq;
    aser_mqtt_conf conf; /* the broker: address, prefix, TLS files, credentials */
    char name[ASER_MQTT_NAME_MAX + 1];
    char topic[ASER_MQTT_ERROR + 1][ASER_MQTT_PREFIX_MAX + ASER_MQTT_NAME_MAX + 16];
    unsigned keepalive_s;
    size_t queue;
    aser_server_access access;
    bool connected, connecting, had_session, told_read_only;
    bool in_io;         /* inside mosquitto_loop_read/_write: nothing that locks */
    aser_mqtt_job *job; /* the broker's name being looked up */
    const char *link;   /* "online", "lost", "gave-up" */
    unsigned backoff_ms;
    uint64_t next_try_us, next_status_us, connect_us;
    unsigned long long rx, tx, lost, status_rx, status_tx, status_lost;
    size_t inflight; /* rx bytes published, not yet acknowledged */
    struct {
        int mid;
        unsigned len;
    } ring[INFLIGHT_RING];
    unsigned ring_head, ring_n;
    /* rx by frames (aser_mqtt_opts.framer): the decoder finds where each
     * frame ends, fpend holds the raw bytes until it does */
    bool framed;
    aser_frdec dec;
    uint8_t *fbuf;
    aser_bq fpend;
    uint64_t tick_at; /* when on_tick runs next */
};

static void say(srv_mqtt *m, aser_server_event ev, int code, const char *fmt, ...)
    ASER_PRINTF(4, 5);
static void say(srv_mqtt *m, aser_server_event ev, int code, const char *fmt, ...)
{
    char b[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    aser__srv_event(m->s, ev, code, "mqtt %s:%d/%s/%s: %s", m->conf.a.host, m->conf.a.port,
                    m->conf.a.prefix, m->name, b);
}

/* ---- the status ---------------------------------------------------------------------- */

static const char *access_name(aser_server_access a)
{
    return a == ASER_ACCESS_READ_ONLY       ? "read-only"
           : a == ASER_ACCESS_LOCK_SETTINGS ? "lock-settings"
                                            : "full";
}

static int status_json(srv_mqtt *m, const char *state, char *b, size_t cap)
{
    aser_config cfg;
    char str[128];
    aser_port_config(m->s->port, &cfg);
    aser_config_format(&cfg, str, sizeof str);
    int v = aser_port_lines(m->s->port);
    unsigned l = v < 0 ? 0 : (unsigned)v;
    bool dtr = v < 0 ? (!m->c || m->c->dtr) : (l & ASER_LINE_DTR);
    bool rts = v < 0 ? (!m->c || m->c->rts) : (l & ASER_LINE_RTS);
#define IN(bit) (v < 0 ? "null" : (l & (bit)) ? "true" : "false")
    return snprintf(b, cap,
                    "{\"state\":\"%s\",\"config\":\"%s\",\"access\":\"%s\",\"dtr\":%s,"
                    "\"rts\":%s,\"cts\":%s,\"dsr\":%s,\"cd\":%s,\"ri\":%s,\"rx\":%llu,"
                    "\"tx\":%llu,\"lost\":%llu}",
                    state, str, access_name(m->c ? m->c->access : ASER_ACCESS_FULL),
                    dtr ? "true" : "false", rts ? "true" : "false", IN(ASER_LINE_CTS),
                    IN(ASER_LINE_DSR), IN(ASER_LINE_CD), IN(ASER_LINE_RI), m->rx, m->tx, m->lost);
#undef IN
}

static void update_io(srv_mqtt *m);

static void publish_status(srv_mqtt *m)
{
    if (!m->connected) return;
    char b[512];
    int n = status_json(m, m->link, b, sizeof b);
    if (n <= 0 || (size_t)n >= sizeof b) return;
    mosquitto_publish(m->mosq, NULL, m->topic[ASER_MQTT_STATUS], n, b, 1, true);
    m->status_rx = m->rx, m->status_tx = m->tx, m->status_lost = m->lost;
    m->next_status_us = aser__now_us() + STATUS_EVERY_US;
    update_io(m);
}

/* What the gateway refused, on PREFIX/NAME/error (not retained). */
static void publish_error(srv_mqtt *m, const char *text)
{
    if (m->connected)
        mosquitto_publish(m->mosq, NULL, m->topic[ASER_MQTT_ERROR], (int)strlen(text), text, 1,
                          false);
    update_io(m);
}

/* ---- the broker socket ------------------------------------------------------------------ */

static void on_broker_io(void *arg, unsigned revents);

/* Watch mosquitto's socket as it is now (it changes at each connect). */
static void update_io(srv_mqtt *m)
{
    int fd = m->mosq ? mosquitto_socket(m->mosq) : -1;
    if (fd >= 0 && fd != m->io_fd) /* not inherited by children: see transport/mqtt.c */
        fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
    if (fd != m->io_fd && m->io) {
        aser__io_close(m->io);
        m->io = NULL;
    }
    m->io_fd = fd;
    if (fd < 0) return;
    if (!m->io) {
        if (!(m->io = aser__io_open(m->loop, fd, on_broker_io, m))) return;
        m->io_ev = 0; /* a new watch waits for nothing yet */
    }
    unsigned ev = aser__bq_size(&m->txq) >= TXQ_PAUSE ? 0 : ASER_EV_READ;
    if (mosquitto_want_write(m->mosq)) ev |= ASER_EV_WRITE;
    if (ev != m->io_ev) aser__io_set(m->io, ev);
    m->io_ev = ev;
}

static void lost_connection(srv_mqtt *m, const char *why)
{
    bool was = m->connected;
    if (!m->connected && !m->connecting) return;
    m->connected = m->connecting = false;
    aser__mqtt_resolve_abandon(m->job); /* a lookup that took too long */
    m->job = NULL;
    m->lost += m->inflight; /* never resent: counted (an upper bound) */
    m->inflight = 0;
    m->ring_n = 0;
    m->next_try_us = aser__now_us() + (uint64_t)m->backoff_ms * 1000u;
    if (was || !m->had_session)
        say(m, ASER_SERVER_CLIENT_CLOSE, ASER_EDISCONNECTED,
            "broker connection %s (%s); trying again in %u ms, the port stays open",
            was ? "lost" : "failed", why, m->backoff_ms);
    m->had_session = true;
    m->backoff_ms = ASER_MIN(m->backoff_ms * 2, BACKOFF_MAX_MS);
    update_io(m);
}

static void on_broker_io(void *arg, unsigned revents)
{
    srv_mqtt *m = arg;
    int rc = MOSQ_ERR_SUCCESS;
    m->in_io = true; /* libmosquitto holds its locks while it calls us back */
    if (revents & ASER_EV_READ) rc = mosquitto_loop_read(m->mosq, 1);
    if (rc == MOSQ_ERR_SUCCESS && (revents & ASER_EV_WRITE)) rc = mosquitto_loop_write(m->mosq, 1);
    m->in_io = false;
    if (rc != MOSQ_ERR_SUCCESS) lost_connection(m, mosquitto_strerror(rc));
    update_io(m);
}

/* ---- libmosquitto's callbacks ---------------------------------------------------------- */

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    srv_mqtt *m = obj;
    (void)mosq, (void)flags, (void)props;
    if (rc != 0) { /* refused: a bad user or password, not authorised */
        lost_connection(m, mosquitto_reason_string(rc)); /* the broker hangs up */
        return;
    }
    m->connected = true;
    m->connecting = false;
    m->backoff_ms = BACKOFF_MIN_MS;
    static const aser_mqtt_kind subs[] = {ASER_MQTT_TX, ASER_MQTT_SET, ASER_MQTT_CTL};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        mosquitto_subscribe(m->mosq, NULL, m->topic[subs[i]], 1);
    if (m->lost)
        say(m, ASER_SERVER_CLIENT_OPEN, 0,
            "connected to the broker; %llu bytes from the port lost while it was away "
            "(status \"lost\")",
            m->lost);
    else
        say(m, ASER_SERVER_CLIENT_OPEN, 0, "connected to the broker");
    publish_status(m);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc,
                          const mosquitto_property *props)
{
    srv_mqtt *m = obj;
    (void)mosq, (void)props;
    lost_connection(m, rc ? mosquitto_strerror(rc) : "disconnected");
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int reason,
                       const mosquitto_property *props)
{
    srv_mqtt *m = obj;
    (void)mosq, (void)reason, (void)props;
    /* PUBACKs come in order of publishing (one connection, one topic):
     * look from the oldest; status and error messages are not in the ring. */
    for (unsigned i = 0; i < m->ring_n; i++) {
        unsigned k = (m->ring_head + i) % INFLIGHT_RING;
        if (m->ring[k].mid != mid) continue;
        m->inflight -= m->ring[k].len;
        if (i == 0) {
            m->ring_head = (m->ring_head + 1) % INFLIGHT_RING;
            m->ring_n--;
        } else {
            m->ring[k].len = 0; /* out of order: leave a hole */
        }
        break;
    }
    while (m->ring_n && m->ring[m->ring_head].len == 0) {
        m->ring_head = (m->ring_head + 1) % INFLIGHT_RING;
        m->ring_n--;
    }
}

static void on_pair_io(void *arg, unsigned revents);

/* Bytes for the port: into the pair (the server core takes them as this
 * client's), or queued behind what waits. */
static void tx_in(srv_mqtt *m, const uint8_t *b, size_t n)
{
    if (!m->c || m->c->st.fd < 0) return;
    m->c->since = aser__now_us();
    m->tx += n;
    if (!aser__bq_size(&m->txq)) {
        ssize_t w = aser__net_write(m->pair[1], b, n);
        if (w > 0) b += w, n -= (size_t)w;
    }
    if (!n) return;
    if (aser__bq_append(&m->txq, b, n, TXQ_MAX) < 0) { /* cannot happen while paused at TXQ_PAUSE */
        m->lost += n;
        say(m, ASER_SERVER_CONFIG, ASER_ENOBUFS, "%zu bytes for the port dropped: too many waiting",
            n);
    }
    if (!m->pair_io) m->pair_io = aser__io_open(m->loop, m->pair[1], on_pair_io, m);
    if (m->pair_io) aser__io_set(m->pair_io, ASER_EV_WRITE);
}

static void on_pair_io(void *arg, unsigned revents)
{
    srv_mqtt *m = arg;
    (void)revents;
    while (aser__bq_size(&m->txq)) {
        ssize_t w = aser__net_write(m->pair[1], aser__bq_peek(&m->txq), aser__bq_size(&m->txq));
        if (w <= 0) break;
        aser__bq_consume(&m->txq, (size_t)w);
    }
    if (!aser__bq_size(&m->txq)) aser__io_set(m->pair_io, 0);
    update_io(m); /* reading the broker again if it was paused */
}

static void set_in(srv_mqtt *m, const uint8_t *b, size_t n)
{
    char str[ASER_MQTT_CONFIG_MAX + 1], err[ASER_MQTT_ERR_MAX];
    if (!m->c) return;
    if (!aser__srv_may_configure(m->c)) {
        char t[160];
        snprintf(t, sizeof t, "this export is %s: it does not let you change settings",
                 access_name(m->c->access));
        publish_error(m, t);
        aser__srv_refused(m->c, "settings");
        return;
    }
    if (aser__mqtt_set_parse(b, n, str, err) < 0) {
        publish_error(m, err);
        return;
    }
    aser_config cfg;
    aser_err e = {0};
    aser_port_config(m->s->port, &cfg);
    if (aser_config_parse(&cfg, str, &e) < 0 || aser_configure(m->s->port, &cfg, &e) < 0) {
        publish_error(m, e.msg);
        return;
    }
    aser_config_format(&cfg, str, sizeof str);
    say(m, ASER_SERVER_CONFIG, 0, "set %s", str);
    publish_status(m);
}

static void ctl_in(srv_mqtt *m, const uint8_t *b, size_t n)
{
    char err[ASER_MQTT_ERR_MAX];
    aser_mqtt_ctl ctl;
    if (!m->c) return;
    if (!aser__srv_may_configure(m->c)) {
        char t[160];
        snprintf(t, sizeof t,
                 "this export is %s: it does not let you change DTR/RTS or send "
                 "a break",
                 access_name(m->c->access));
        publish_error(m, t);
        aser__srv_refused(m->c, "lines");
        return;
    }
    if (aser__mqtt_ctl_parse(b, n, &ctl, err) < 0) {
        publish_error(m, err);
        return;
    }
    if (ctl.mask & ASER_LINE_DTR) m->c->dtr = ctl.values & ASER_LINE_DTR;
    if (ctl.mask & ASER_LINE_RTS) m->c->rts = ctl.values & ASER_LINE_RTS;
    int rc = ctl.mask ? aser_set_lines(m->s->port, ctl.mask, ctl.values) : 0;
    if (rc == 0 && ctl.break_ms) rc = aser_send_break(m->s->port, ctl.break_ms);
    if (rc < 0) {
        char t[300];
        snprintf(t, sizeof t, "%s: %s", aser_strerror(rc), aser_port_errmsg(m->s->port));
        publish_error(m, t);
    } else {
        say(m, ASER_SERVER_CONFIG, 0, "ctl %.*s", (int)ASER_MIN(n, 80u), (const char *)b);
    }
    publish_status(m);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    srv_mqtt *m = obj;
    (void)mosq, (void)props;
    char name[ASER_MQTT_NAME_MAX + 1];
    aser_mqtt_kind kind;
    if (aser__mqtt_topic_split(m->conf.a.prefix, msg->topic, strlen(msg->topic), name, &kind) < 0 ||
        strcmp(name, m->name) != 0 || msg->payloadlen < 0)
        return;
    const uint8_t *b = msg->payload;
    size_t n = (size_t)msg->payloadlen;
    if (kind == ASER_MQTT_TX)
        tx_in(m, b, n);
    else if (kind == ASER_MQTT_SET)
        set_in(m, b, n);
    else if (kind == ASER_MQTT_CTL)
        ctl_in(m, b, n);
}

/* ---- connecting ------------------------------------------------------------------------- */

/* A fresh session on m->mosq (clean start: nothing of the last one is
 * resent) with the will, credentials, TLS and callbacks. */
static int setup(srv_mqtt *m, char *why, size_t cap)
{
    char id[128], host[64] = "host";
    gethostname(host, sizeof host - 1);
    snprintf(id, sizeof id, "aserial-%.40s-%d-%s", host, (int)getpid(), m->name);
    int rc = m->mosq ? mosquitto_reinitialise(m->mosq, id, true, m) : MOSQ_ERR_SUCCESS;
    if (!m->mosq && !(m->mosq = mosquitto_new(id, true, m))) rc = MOSQ_ERR_NOMEM;
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    if (rc == MOSQ_ERR_SUCCESS) /* small messages: no Nagle delay behind a delayed ACK */
        rc = mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    static const char will[] = "{\"state\":\"offline\"}";
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_will_set_v5(m->mosq, m->topic[ASER_MQTT_STATUS], (int)strlen(will), will, 1,
                                   true, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        snprintf(why, cap, "%s", mosquitto_strerror(rc));
        return rc;
    }
    if ((rc = aser__mqtt_conf_apply(m->mosq, &m->conf, why, cap)) != MOSQ_ERR_SUCCESS) return rc;
    mosquitto_connect_v5_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_v5_callback_set(m->mosq, on_disconnect);
    mosquitto_publish_v5_callback_set(m->mosq, on_publish);
    mosquitto_message_v5_callback_set(m->mosq, on_message);
    return 0;
}

/* Connect to host (an address, or a name for libmosquitto to resolve);
 * a failure is a loss (tried again after back-off). */
static void connect_to(srv_mqtt *m, const char *host)
{
    char why[200];
    int rc = setup(m, why, sizeof why);
    if (rc == 0) rc = mosquitto_connect_async(m->mosq, host, m->conf.a.port, (int)m->keepalive_s);
    if (rc == MOSQ_ERR_ERRNO)
        snprintf(why, sizeof why, "%s", strerror(errno));
    else if (rc)
        snprintf(why, sizeof why, "%s", mosquitto_strerror(rc));
    if (rc) lost_connection(m, why);
    update_io(m);
}

static void on_resolved(void *arg, const char *addr, const char *why)
{
    srv_mqtt *m = arg;
    m->job = NULL;
    if (addr)
        connect_to(m, addr);
    else
        lost_connection(m, why);
}

/* Start a connection: a name is looked up on a helper thread first, so the
 * loop never waits for DNS (mqtts:// keeps the name: libmosquitto checks
 * the certificate against the host it was given, and resolves it itself). */
static void try_connect(srv_mqtt *m)
{
    if (m->io) {
        aser__io_close(m->io);
        m->io = NULL;
        m->io_fd = -1;
    }
    m->connecting = true;
    m->connect_us = aser__now_us();
    if (!m->conf.tls && !aser__mqtt_numeric(m->conf.a.host) &&
        (m->job = aser__mqtt_resolve(m->loop, m->conf.a.host, on_resolved, m)) != NULL)
        return;
    connect_to(m, m->conf.a.host);
}

static void arm(srv_mqtt *m, uint64_t now, uint64_t wait)
{
    m->tick_at = now + wait;
    aser__tmr_start(m->tmr, wait);
}

static uint64_t rx_idle(srv_mqtt *m, uint64_t now);

static void on_tick(void *arg)
{
    srv_mqtt *m = arg;
    uint64_t now = aser__now_us();
    if (m->connected) {
        int rc = mosquitto_loop_misc(m->mosq);
        if (rc != MOSQ_ERR_SUCCESS && m->connected) lost_connection(m, mosquitto_strerror(rc));
        if (m->c) m->c->since = now; /* the broker is this client's peer: never idle */
        if (m->connected && now >= m->next_status_us &&
            (m->rx != m->status_rx || m->tx != m->status_tx || m->lost != m->status_lost))
            publish_status(m);
    } else if (m->connecting) {
        if (now >= m->connect_us + (uint64_t)m->keepalive_s * 1000000u)
            lost_connection(m, "no answer to the connect within the keepalive");
    } else if (m->c && now >= m->next_try_us) {
        try_connect(m);
    }
    update_io(m);
    uint64_t wait = TICK_MS * 1000u;
    if (!m->connected && !m->connecting && m->c)
        wait = m->next_try_us > now ? ASER_MIN(m->next_try_us - now, wait) : 1000u;
    if (m->framed) wait = ASER_MIN(wait, rx_idle(m, now));
    arm(m, now, wait);
}

/* ---- the mode row: the server core's side of this client ------------------------------------ */

static bool mq_adopt(srv_client *c, void *state)
{
    srv_mqtt *m = state;
    m->c = c;
    c->mqtt = m;
    c->access = m->access;
    snprintf(c->peer, sizeof c->peer, "mqtt:%.30s/%.20s", m->conf.a.host, m->name);
    return true;
}

/* Bytes the port received: published on rx with their offset. */
static void publish_rx(srv_mqtt *m, const uint8_t *b, size_t n)
{
    unsigned long long off = m->rx;
    m->rx += n;
    if (!m->connected || m->inflight + n > m->queue || m->ring_n == INFLIGHT_RING) {
        m->lost += n;
        return;
    }
    char offs[24];
    snprintf(offs, sizeof offs, "%llu", off);
    mosquitto_property *props = NULL;
    int mid = 0;
    int rc = mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "offset", offs);
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_publish_v5(m->mosq, &mid, m->topic[ASER_MQTT_RX], (int)n, b, 1, false,
                                  props);
    mosquitto_property_free_all(&props);
    if (rc != MOSQ_ERR_SUCCESS) {
        m->lost += n;
        return;
    }
    unsigned k = (m->ring_head + m->ring_n++) % INFLIGHT_RING;
    m->ring[k].mid = mid;
    m->ring[k].len = (unsigned)n;
    m->inflight += n;
    update_io(m);
}

/* ---- rx by frames: each payload the raw bytes of one frame ------------------------------ */

/* Publish the first n raw bytes held (a frame, a bad frame, junk). */
static void rx_take(srv_mqtt *m, size_t n)
{
    n = ASER_MIN(n, aser__bq_size(&m->fpend));
    if (!n) return;
    publish_rx(m, aser__bq_peek(&m->fpend), n);
    aser__bq_consume(&m->fpend, n);
}

static void rx_event(srv_mqtt *m, const aser_frev *ev)
{
    rx_take(m, ev->used);
    rx_take(m, aser__frdec_take_junk(&m->dec));
}

/* The bytes through the decoder; a frame is published when it ends (as
 * the port does it: port/frame.c). */
static void rx_framed(srv_mqtt *m, const uint8_t *b, size_t n)
{
    if (aser__bq_append(&m->fpend, b, n, SIZE_MAX) < 0) { /* no memory: as read */
        rx_take(m, aser__bq_size(&m->fpend));
        publish_rx(m, b, n);
        return;
    }
    uint64_t now = aser__now_us();
    for (;;) {
        aser_frev ev;
        bool got = false;
        size_t k = aser__frdec_feed(&m->dec, b, n, now, &ev, &got);
        b += k, n -= k;
        if (got)
            rx_event(m, &ev);
        else
            rx_take(m, aser__frdec_take_junk(&m->dec));
        if (!got && n == 0) break;
    }
    uint64_t due = aser__frdec_due(&m->dec); /* IDLE: the silence that ends it */
    if (due && due < m->tick_at) arm(m, now, due > now ? due - now : 0);
}

/* IDLE: the frame in progress ends after its silence. How long until the
 * next one could (or the tick's period). */
static uint64_t rx_idle(srv_mqtt *m, uint64_t now)
{
    aser_frev ev;
    if (aser__frdec_tick(&m->dec, now, &ev)) rx_event(m, &ev);
    uint64_t due = aser__frdec_due(&m->dec);
    return due ? (due > now ? due - now : 0) : TICK_MS * 1000u;
}

static void mq_to_client(srv_client *c, const uint8_t *b, size_t n)
{
    srv_mqtt *m = c->mqtt;
    if (m->framed)
        rx_framed(m, b, n);
    else
        publish_rx(m, b, n);
}

/* Bytes subscribers sent (through the pair): the port's, unless read-only. */
static void mq_from_client(srv_client *c, const uint8_t *b, size_t n)
{
    srv_mqtt *m = c->mqtt;
    if (!aser__srv_may_write(c)) {
        if (!m->told_read_only) {
            aser__srv_refused(c, "writing to the port (its bytes are dropped)");
            m->told_read_only = true;
        }
        publish_error(m, "this export is read-only: bytes sent on tx are dropped");
        return;
    }
    if (!c->s->port_ended) (void)aser_write(c->s->port, b, n, NULL, NULL);
}

static void mq_lines(srv_client *c, unsigned now, unsigned before, unsigned errors)
{
    (void)now, (void)before, (void)errors;
    publish_status(c->mqtt);
}

static void mq_link(srv_client *c, const char *state)
{
    srv_mqtt *m = c->mqtt;
    m->link = !strcmp(state, "back") ? "online" : state;
    publish_status(m);
}

/* The client closes (the server stops, the port ended, kick-old): the
 * status says offline, the broker connection ends. */
static void mq_close(srv_client *c, const char *why)
{
    srv_mqtt *m = c->mqtt;
    say(m, ASER_SERVER_CLIENT_CLOSE, 0, "gateway closed: %s", why);
    if (m->connected && m->in_io) { /* closed from inside a callback: just hang up */
        shutdown(mosquitto_socket(m->mosq), SHUT_RDWR);
    } else if (m->connected) {
        static const char off[] = "{\"state\":\"offline\"}";
        mosquitto_publish(m->mosq, NULL, m->topic[ASER_MQTT_STATUS], (int)strlen(off), off, 1,
                          true);
        mosquitto_disconnect(m->mosq);
        for (int i = 0; i < 10 && mosquitto_want_write(m->mosq); i++)
            if (mosquitto_loop_write(m->mosq, 1) != MOSQ_ERR_SUCCESS) break;
    }
    m->connected = m->connecting = false;
    aser__mqtt_resolve_abandon(m->job);
    m->job = NULL;
    m->c = NULL;
}

static void mq_free(srv_client *c)
{
    srv_mqtt *m = c->mqtt;
    c->mqtt = NULL;
    if (!m) return;
    aser__mqtt_resolve_abandon(m->job);
    if (m->io) aser__io_close(m->io);
    if (m->pair_io) aser__io_close(m->pair_io);
    if (m->tmr) aser__tmr_close(m->tmr);
    if (m->mosq) mosquitto_destroy(m->mosq);
    if (m->pair[1] >= 0) aser__sock_close(m->pair[1]);
    aser__bq_free(&m->txq);
    aser__bq_free(&m->fpend);
    free(m->fbuf);
    free(m);
}

const srv_mode aser__srv_mode_mqtt = {
    .name = "mqtt",
    .adopt = mq_adopt,
    .from_client = mq_from_client,
    .to_client = mq_to_client,
    .lines = mq_lines,
    .close = mq_close,
    .free = mq_free,
    .link = mq_link,
    .wants_lines = true,
};

/* ---- the API ---------------------------------------------------------------------------- */

/* rx by frames of f (its max 0: 16 KiB, a payload as read at most). */
static int framer_init(srv_mqtt *m, const aser_framer *f, aser_err *err)
{
    const char *why = NULL;
    aser_framer fr = *f;
    if (!fr.max) fr.max = 16384;
    if (aser__framer_check(&fr, &why) < 0)
        return aser__err(err, ASER_EINVAL, "the MQTT gateway's framer: %s", why);
    size_t cap = aser__frdec_buf_size(&fr);
    if (!(m->fbuf = malloc(cap))) return aser__err(err, ASER_ENOMEM, "out of memory");
    aser__frdec_init(&m->dec, &fr, m->fbuf, cap);
    m->framed = true;
    return 0;
}

static int mqtt_init(srv_mqtt *m, aser_server *s, const aser_mqtt_opts *o, aser_err *err)
{
    *m = (srv_mqtt){.s = s, .loop = s->loop, .io_fd = -1, .pair = {-1, -1}, .link = "online"};
    int rc = aser__mqtt_conf_url(o->url, false, &m->conf, err);
    if (rc < 0) return rc;
    if (!o->name || !aser__mqtt_name_ok(o->name, strlen(o->name)))
        return aser__err(err, ASER_EINVAL,
                         "the export's MQTT name \"%.70s\" must be 1 to 63 letters, digits, "
                         "'-', '_' or '.' (name it with --name)",
                         o->name ? o->name : "");
    snprintf(m->name, sizeof m->name, "%s", o->name);
    if (o->auth_file && (rc = aser__mqtt_conf_auth(&m->conf, o->auth_file, err)) < 0) return rc;
    for (unsigned k = ASER_MQTT_RX; k <= ASER_MQTT_ERROR; k++)
        snprintf(m->topic[k], sizeof m->topic[k], "%s/%s/%s", m->conf.a.prefix, m->name,
                 aser__mqtt_kind_name((aser_mqtt_kind)k));
    m->keepalive_s = o->keepalive_s ? o->keepalive_s : 30;
    m->access = o->access;
    m->queue = o->queue ? o->queue : QUEUE_DEFAULT;
    m->backoff_ms = BACKOFF_MIN_MS;
    return o->framer ? framer_init(m, o->framer, err) : 0;
}

int aser_server_mqtt(aser_server *s, const aser_mqtt_opts *o, aser_err *err)
{
    if (!s || !o || !o->url)
        return aser__err(err, ASER_EINVAL, "aser_server_mqtt: server, opts and url are required");
    if (s->stopped) return aser__err(err, ASER_EINVAL, "aser_server_mqtt: the server is stopped");
    static bool inited;
    if (!inited) inited = mosquitto_lib_init() == MOSQ_ERR_SUCCESS;
    srv_mqtt *m = calloc(1, sizeof *m);
    if (!m) return aser__err(err, ASER_ENOMEM, "out of memory");
    int rc = mqtt_init(m, s, o, err);
    if (rc == 0 && aser__socketpair_nb(AF_UNIX, SOCK_STREAM, 0, m->pair) < 0)
        rc = aser__err(err, aser__errno(errno), "cannot make a socket pair: %s", strerror(errno));
    if (rc == 0 && !(m->tmr = aser__tmr_open(s->loop, on_tick, m)))
        rc = aser__err(err, ASER_ENOMEM, "out of memory");
    char why[300];
    if (rc == 0 && !aser__srv_adopt(s, m->pair[0], ASER_SERVE_MQTT, m, NULL, why, sizeof why))
        rc = aser__err(err, ASER_EBUSY, "the MQTT gateway cannot join %s: %s",
                       aser_port_name(s->port), why);
    if (rc < 0) {
        if (m->pair[0] >= 0) aser__sock_close(m->pair[0]);
        if (m->pair[1] >= 0) aser__sock_close(m->pair[1]);
        if (m->tmr) aser__tmr_close(m->tmr);
        free(m->fbuf);
        free(m);
        return rc;
    }
    try_connect(m);
    arm(m, aser__now_us(), (m->connecting ? TICK_MS : BACKOFF_MIN_MS) * 1000u);
    return 0;
}

#else /* built without MQTT */

const srv_mode aser__srv_mode_mqtt = {.name = "mqtt"};

int aser_server_mqtt(aser_server *s, const aser_mqtt_opts *o, aser_err *err)
{
    (void)s, (void)o;
    return aser__err(err, ASER_ENOTSUP,
                     "this aserial was built without MQTT; rebuild with libmosquitto-dev "
                     "installed (meson setup -Dmqtt=enabled)");
}

#endif
