/* transport/mqtt_watch.c: aser_mqtt_watch_start(), hotplug for the exports
 * under mqtt[s]://BROKER[:PORT]/PREFIX: one libmosquitto client on the
 * loop (its socket watched, a 1 s tick for keepalive and reconnect)
 * subscribed to PREFIX/+/status. An export is present while its retained
 * status says "online"; it is added when one does, removed when one says
 * anything else (offline: its gateway's last will; lost: its device;
 * gave-up) or is cleared. The statuses that come before the broker
 * answers a later subscribe (the probe, as aser_mqtt_list) are the ones
 * present at the start. After a lost broker the watch connects again
 * (every second) and the retained statuses say what changed meanwhile. */
#define _GNU_SOURCE
#include "codec/mqtt.h"
#include "internal.h"
#include "transport/mqtt_conf.h"
#include "transport/mqtt_resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ASER_HAVE_MQTT
#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#define TICK_US 1000000u
#define WATCH_MAX 65536 /* exports tracked, at most */

typedef struct known {
    char name[ASER_MQTT_NAME_MAX + 1];
    bool seen; /* in this session's retained statuses */
} known;

struct aser_mqtt_watch {
    aser_loop *loop;
    aser_mqtt_watch_cb cb;
    void *ctx;
    aser_mqtt_conf conf;
    char scheme[12], query[512]; /* of the URL: each export's URL has them too */
    struct mosquitto *mosq;
    aser_io *io;
    int io_fd;
    aser_tmr *tmr;
    aser_mqtt_job *job;
    bool connected, connecting, started, stopped;
    int in_cb;    /* inside the user's callback */
    bool in_mosq; /* inside mosquitto_loop_read/_write: its locks are held */
    int probe_mid;
    known *k;
    size_t n, cap;
};

static void entry(const aser_mqtt_watch *w, const char *name, const aser_mqtt_status *st,
                  aser_mqtt_export *e)
{
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    snprintf(e->state, sizeof e->state, "%s", st ? st->state : "offline");
    if (st) snprintf(e->config, sizeof e->config, "%s", st->config);
    if (st) snprintf(e->access, sizeof e->access, "%s", st->access);
    snprintf(e->url, sizeof e->url,
             strchr(w->conf.a.host, ':') ? "%s[%s]:%d/%s/%s%s" : "%s%s:%d/%s/%s%s", w->scheme,
             w->conf.a.host, w->conf.a.port, w->conf.a.prefix, name, w->query);
}

static void reap(aser_mqtt_watch *w)
{
    aser__mqtt_resolve_abandon(w->job);
    if (w->io) aser__io_close(w->io);
    aser__tmr_close(w->tmr);
    mosquitto_disconnect(w->mosq);
    mosquitto_destroy(w->mosq);
    free(w->k);
    free(w);
}

/* The user's callback, which may stop the watch: false then, and w is
 * gone (or goes when libmosquitto returns): touch nothing of it. */
static bool tell(aser_mqtt_watch *w, aser_mqtt_watch_event ev, const aser_mqtt_export *e)
{
    w->in_cb++;
    w->cb(w, ev, e, w->ctx);
    w->in_cb--;
    if (!w->stopped) return true;
    if (!w->in_cb && !w->in_mosq) reap(w);
    return false;
}

static known *find(aser_mqtt_watch *w, const char *name)
{
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->k[i].name, name)) return &w->k[i];
    return NULL;
}

static void forget(aser_mqtt_watch *w, known *k)
{
    *k = w->k[--w->n];
}

/* ---- libmosquitto's callbacks -------------------------------------------------------- */

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    aser_mqtt_watch *w = obj;
    (void)flags, (void)props;
    if (rc) { /* refused (credentials, ACL): the tick tries again */
        w->connecting = false;
        tell(w, ASER_MQTT_BROKER_LOST, NULL);
        return;
    }
    w->connected = true;
    w->connecting = false;
    for (size_t i = 0; i < w->n; i++) w->k[i].seen = false;
    char t[ASER_MQTT_PREFIX_MAX + 32];
    snprintf(t, sizeof t, "%s/+/status", w->conf.a.prefix);
    mosquitto_subscribe(mosq, NULL, t, 1);
    snprintf(t, sizeof t, "%s/-/probe", w->conf.a.prefix);
    mosquitto_subscribe(mosq, &w->probe_mid, t, 0);
}

/* The probe's answer: every retained status has come. The first time,
 * what is known is what was present; after a reconnect, what is known
 * and was not seen again went away meanwhile. */
static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                         const int *granted, const mosquitto_property *props)
{
    aser_mqtt_watch *w = obj;
    (void)mosq, (void)qos_count, (void)granted, (void)props;
    if (mid != w->probe_mid) return;
    w->probe_mid = -1;
    for (size_t i = w->n; i-- > 0;) {
        if (w->k[i].seen) continue;
        aser_mqtt_export e;
        entry(w, w->k[i].name, NULL, &e);
        forget(w, &w->k[i]);
        if (!tell(w, ASER_MQTT_REMOVED, &e)) return;
    }
    if (!w->started) {
        w->started = true;
        (void)tell(w, ASER_MQTT_READY, NULL);
    }
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    aser_mqtt_watch *w = obj;
    (void)mosq, (void)props;
    char name[ASER_MQTT_NAME_MAX + 1], err[ASER_MQTT_ERR_MAX];
    aser_mqtt_kind kind;
    if (w->stopped ||
        aser__mqtt_topic_split(w->conf.a.prefix, msg->topic, strlen(msg->topic), name, &kind) < 0 ||
        kind != ASER_MQTT_STATUS)
        return;
    aser_mqtt_status st = {0};
    bool online = msg->payloadlen > 0 &&
                  aser__mqtt_status_parse(msg->payload, (size_t)msg->payloadlen, &st, err) == 0 &&
                  !strcmp(st.state, "online");
    known *k = find(w, name);
    aser_mqtt_export e;
    entry(w, name, msg->payloadlen > 0 ? &st : NULL, &e);
    if (online && k) {
        k->seen = true;
    } else if (online && w->n < WATCH_MAX) {
        if (w->n == w->cap) {
            size_t cap = w->cap ? w->cap * 2 : 16;
            known *g = realloc(w->k, cap * sizeof *g);
            if (!g) return;
            w->k = g, w->cap = cap;
        }
        k = &w->k[w->n++];
        snprintf(k->name, sizeof k->name, "%s", name);
        k->seen = true;
        (void)tell(w, w->started ? ASER_MQTT_ADDED : ASER_MQTT_PRESENT, &e);
    } else if (!online && k) {
        forget(w, k);
        (void)tell(w, ASER_MQTT_REMOVED, &e);
    }
}

/* ---- the socket, the tick, the connect ------------------------------------------------ */

static void on_io(void *arg, unsigned revents);

static void update_io(aser_mqtt_watch *w)
{
    int fd = w->mosq ? mosquitto_socket(w->mosq) : -1;
    if (fd >= 0 && fd != w->io_fd) /* not inherited by children: see transport/mqtt.c */
        fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
    if (fd != w->io_fd && w->io) {
        aser__io_close(w->io);
        w->io = NULL;
    }
    w->io_fd = fd;
    if (fd < 0) return;
    if (!w->io && !(w->io = aser__io_open(w->loop, fd, on_io, w))) return;
    aser__io_set(w->io, ASER_EV_READ | (mosquitto_want_write(w->mosq) ? ASER_EV_WRITE : 0));
}

/* The broker went away (or never came): the tick tries again. false: the
 * user stopped the watch from the callback (w is gone). */
static bool lost(aser_mqtt_watch *w)
{
    bool was = w->connected || w->connecting;
    w->connected = w->connecting = false;
    if (w->io) {
        aser__io_close(w->io);
        w->io = NULL;
        w->io_fd = -1;
    }
    return was ? tell(w, ASER_MQTT_BROKER_LOST, NULL) : true;
}

static void on_io(void *arg, unsigned revents)
{
    aser_mqtt_watch *w = arg;
    int rc = MOSQ_ERR_SUCCESS;
    w->in_mosq = true;
    if (revents & ASER_EV_READ) rc = mosquitto_loop_read(w->mosq, 1);
    if (!w->stopped && rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(w->mosq))
        rc = mosquitto_loop_write(w->mosq, 1);
    w->in_mosq = false;
    if (w->stopped) { /* from a callback inside libmosquitto */
        reap(w);
        return;
    }
    if (rc != MOSQ_ERR_SUCCESS)
        (void)lost(w);
    else
        update_io(w);
}

static void connect_to(aser_mqtt_watch *w, const char *host)
{
    w->connecting = true;
    if (mosquitto_connect_async(w->mosq, host, w->conf.a.port, 30) != MOSQ_ERR_SUCCESS) {
        (void)lost(w);
        return;
    }
    update_io(w);
}

static void on_resolved(void *arg, const char *addr, const char *why)
{
    aser_mqtt_watch *w = arg;
    (void)why;
    w->job = NULL;
    if (addr)
        connect_to(w, addr);
    else
        (void)lost(w);
}

static void try_connect(aser_mqtt_watch *w)
{
    w->connecting = true;
    if (!w->conf.tls && !aser__mqtt_numeric(w->conf.a.host) &&
        (w->job = aser__mqtt_resolve(w->loop, w->conf.a.host, on_resolved, w)) != NULL)
        return;
    connect_to(w, w->conf.a.host);
}

static void on_tick(void *arg)
{
    aser_mqtt_watch *w = arg;
    aser__tmr_start(w->tmr, TICK_US); /* first: a callback below may stop the watch */
    if (w->connected) {
        if (mosquitto_loop_misc(w->mosq) != MOSQ_ERR_SUCCESS && !lost(w)) return;
        update_io(w);
    } else if (!w->connecting && !w->job) {
        try_connect(w);
    }
}

/* ---- the API ---------------------------------------------------------------------------- */

int aser_mqtt_watch_start(aser_loop *loop, const char *url, aser_mqtt_watch_cb cb, void *ctx,
                          aser_mqtt_watch **out, aser_err *err)
{
    if (!loop || !url || !cb || !out)
        return aser__err(err, ASER_EINVAL,
                         "aser_mqtt_watch_start: loop, url, cb and out are "
                         "required");
    aser_mqtt_watch *w = calloc(1, sizeof *w);
    if (!w) return aser__err(err, ASER_ENOMEM, "out of memory");
    *w = (aser_mqtt_watch){.loop = loop, .cb = cb, .ctx = ctx, .io_fd = -1, .probe_mid = -1};
    int rc = aser__mqtt_conf_url(url, false, &w->conf, err);
    snprintf(w->scheme, sizeof w->scheme, "%s", w->conf.tls ? "mqtts://" : "mqtt://");
    snprintf(w->query, sizeof w->query, "%s", url + strcspn(url, "?"));
    static bool inited;
    if (!inited) inited = mosquitto_lib_init() == MOSQ_ERR_SUCCESS;
    char why[200];
    if (rc == 0 && !(w->mosq = mosquitto_new(NULL, true, w)))
        rc = aser__err(err, ASER_ENOMEM, "out of memory");
    if (rc == 0) {
        mosquitto_int_option(w->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        mosquitto_connect_v5_callback_set(w->mosq, on_connect);
        mosquitto_subscribe_v5_callback_set(w->mosq, on_subscribe);
        mosquitto_message_v5_callback_set(w->mosq, on_message);
        if (aser__mqtt_conf_apply(w->mosq, &w->conf, why, sizeof why) != MOSQ_ERR_SUCCESS)
            rc = aser__err(err, ASER_EINVAL, "%.120s: %s", url, why);
    }
    if (rc == 0 && !(w->tmr = aser__tmr_open(loop, on_tick, w)))
        rc = aser__err(err, ASER_ENOMEM, "out of memory");
    if (rc < 0) {
        if (w->mosq) mosquitto_destroy(w->mosq);
        free(w);
        return rc;
    }
    aser__tmr_start(w->tmr, 0); /* the first tick connects: cb never runs from in here */
    *out = w;
    return 0;
}

void aser_mqtt_watch_stop(aser_mqtt_watch *w)
{
    if (!w || w->stopped) return;
    w->stopped = true;
    if (w->in_cb || w->in_mosq) return; /* freed when the callback (and libmosquitto) return */
    reap(w);
}

#else

int aser_mqtt_watch_start(aser_loop *loop, const char *url, aser_mqtt_watch_cb cb, void *ctx,
                          aser_mqtt_watch **out, aser_err *err)
{
    (void)loop, (void)url, (void)cb, (void)ctx;
    if (out) *out = NULL;
    return aser__err(err, ASER_ENOTSUP,
                     "this aserial was built without MQTT; rebuild with libmosquitto-dev "
                     "installed (meson setup -Dmqtt=enabled)");
}

void aser_mqtt_watch_stop(aser_mqtt_watch *w)
{
    (void)w;
}

#endif

const char *aser_mqtt_watch_event_name(aser_mqtt_watch_event ev)
{
    switch (ev) {
    case ASER_MQTT_PRESENT: return "present";
    case ASER_MQTT_READY: return "ready";
    case ASER_MQTT_ADDED: return "add";
    case ASER_MQTT_REMOVED: return "remove";
    case ASER_MQTT_BROKER_LOST: return "broker-lost";
    }
    return "unknown";
}
