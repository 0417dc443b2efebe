/* transport/mqtt_list.c: aser_mqtt_list(), the exports a broker knows
 * under a prefix, from their retained statuses (PREFIX/+/status). A
 * blocking call, like aser_list_ports(): libmosquitto's own blocking
 * connect and loop, bounded by timeout_ms. The retained statuses come
 * before the broker answers a later subscribe (the probe), so the list is
 * complete when that answer arrives, without waiting out the timeout. */
#define _GNU_SOURCE
#include "codec/mqtt.h"
#include "internal.h"
#include "transport/mqtt_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ASER_HAVE_MQTT
#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#define LIST_MAX 65536 /* exports, at most */

typedef struct lister {
    aser_mqtt_addr a;
    const char *scheme, *query; /* of the URL listed: each export's URL has them too */
    aser_mqtt_export *l;
    size_t n, cap;
    int probe_mid;
    bool done, refused, nomem;
    char why[200];
} lister;

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    lister *ls = obj;
    (void)flags, (void)props;
    if (rc) {
        ls->refused = true;
        snprintf(ls->why, sizeof ls->why, "%s", mosquitto_reason_string(rc));
        return;
    }
    char t[ASER_MQTT_PREFIX_MAX + 32];
    snprintf(t, sizeof t, "%s/+/status", ls->a.prefix);
    mosquitto_subscribe(mosq, NULL, t, 0);
    snprintf(t, sizeof t, "%s/-/probe", ls->a.prefix);
    mosquitto_subscribe(mosq, &ls->probe_mid, t, 0);
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                         const int *granted, const mosquitto_property *props)
{
    lister *ls = obj;
    (void)mosq, (void)qos_count, (void)granted, (void)props;
    if (mid == ls->probe_mid) ls->done = true;
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    lister *ls = obj;
    (void)mosq, (void)props;
    char name[ASER_MQTT_NAME_MAX + 1], err[ASER_MQTT_ERR_MAX];
    aser_mqtt_kind kind;
    aser_mqtt_status st = {0};
    if (aser__mqtt_topic_split(ls->a.prefix, msg->topic, strlen(msg->topic), name, &kind) < 0 ||
        kind != ASER_MQTT_STATUS || msg->payloadlen <= 0 ||
        aser__mqtt_status_parse(msg->payload, (size_t)msg->payloadlen, &st, err) < 0)
        return; /* not an export's status, or a cleared one */
    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 16;
        aser_mqtt_export *l = cap <= LIST_MAX ? realloc(ls->l, cap * sizeof *l) : NULL;
        if (!l) {
            ls->nomem = true;
            return;
        }
        ls->l = l, ls->cap = cap;
    }
    aser_mqtt_export *e = &ls->l[ls->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    snprintf(e->state, sizeof e->state, "%s", st.state);
    snprintf(e->config, sizeof e->config, "%s", st.config);
    snprintf(e->access, sizeof e->access, "%s", st.access);
    snprintf(e->url, sizeof e->url,
             strchr(ls->a.host, ':') ? "%s[%s]:%d/%s/%s%s" : "%s%s:%d/%s/%s%s", ls->scheme,
             ls->a.host, ls->a.port, ls->a.prefix, name, ls->query);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const aser_mqtt_export *)a)->name, ((const aser_mqtt_export *)b)->name);
}

static int run(struct mosquitto *mosq, lister *ls, const char *url, unsigned timeout_ms,
               aser_err *err)
{
    int rc = mosquitto_connect(mosq, ls->a.host, ls->a.port, 30);
    if (rc != MOSQ_ERR_SUCCESS)
        return aser__err(err, rc == MOSQ_ERR_ERRNO ? aser__errno(errno) : ASER_EPROTO,
                         "%s: cannot reach the MQTT broker %s:%d (%s): is it running?", url,
                         ls->a.host, ls->a.port,
                         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    uint64_t end = aser__now_us() + (uint64_t)timeout_ms * 1000u;
    while (!ls->done && !ls->refused && aser__now_us() < end) {
        rc = mosquitto_loop(mosq, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) break;
    }
    mosquitto_disconnect(mosq);
    if (ls->refused)
        return aser__err(err, ASER_EACCES, "%s: the broker refused us: %s", url, ls->why);
    if (ls->nomem) return aser__err(err, ASER_ENOMEM, "%s: too many exports to list", url);
    if (!ls->done)
        return aser__err(err, ASER_ETIMEDOUT, "%s: the broker did not answer within %u ms", url,
                         timeout_ms);
    return 0;
}

int aser_mqtt_list(const char *url, unsigned timeout_ms, aser_mqtt_export **out, size_t *n,
                   aser_err *err)
{
    if (!url || !out || !n)
        return aser__err(err, ASER_EINVAL, "aser_mqtt_list: url, out and n are required");
    *out = NULL, *n = 0;
    lister ls = {0};
    aser_mqtt_conf conf;
    int rc = aser__mqtt_conf_url(url, false, &conf, err);
    if (rc < 0) return rc;
    ls.a = conf.a;
    ls.scheme = conf.tls ? "mqtts://" : "mqtt://";
    ls.query = url + strcspn(url, "?");
    static bool inited;
    if (!inited) inited = mosquitto_lib_init() == MOSQ_ERR_SUCCESS;
    struct mosquitto *mosq = mosquitto_new(NULL, true, &ls);
    if (!mosq) return aser__err(err, ASER_ENOMEM, "out of memory");
    mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(mosq, on_connect);
    mosquitto_subscribe_v5_callback_set(mosq, on_subscribe);
    mosquitto_message_v5_callback_set(mosq, on_message);
    char why[200];
    if (aser__mqtt_conf_apply(mosq, &conf, why, sizeof why) != MOSQ_ERR_SUCCESS)
        rc = aser__err(err, ASER_EINVAL, "%.120s: %s", url, why);
    else
        rc = run(mosq, &ls, url, timeout_ms ? timeout_ms : 2000, err);
    mosquitto_destroy(mosq);
    if (rc < 0) {
        free(ls.l);
        return rc;
    }
    if (ls.n) qsort(ls.l, ls.n, sizeof *ls.l, by_name);
    *out = ls.l, *n = ls.n;
    return 0;
}

#else

int aser_mqtt_list(const char *url, unsigned timeout_ms, aser_mqtt_export **out, size_t *n,
                   aser_err *err)
{
    (void)url, (void)timeout_ms;
    if (out) *out = NULL;
    if (n) *n = 0;
    return aser__err(err, ASER_ENOTSUP,
                     "this aserial was built without MQTT; rebuild with libmosquitto-dev "
                     "installed (meson setup -Dmqtt=enabled)");
}

#endif

void aser_mqtt_list_free(aser_mqtt_export *l)
{
    free(l);
}
