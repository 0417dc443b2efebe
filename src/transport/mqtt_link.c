/* transport/mqtt_link.c: the broker session the mqtt:// ports of one loop
 * share (mqtt_link.h has the contract; docs/mqtt.md, "One session per
 * broker", the design). One libmosquitto client, so one broker connection
 * and 3 descriptors (its socket and libmosquitto's socketpair) for any
 * number of ports, each of which has one descriptor of its own (a wake-up
 * descriptor, as sim:).
 *
 * libmosquitto runs on the loop as it does for one port: its socket
 * watched (read always, write while mosquitto_want_write()), readiness
 * calling mosquitto_loop_read/_write, a 1 s tick calling
 * mosquitto_loop_misc. Its callbacks are dispatched to members: a message
 * by its topic's PREFIX/NAME (a chained hash table: no scan of the ports),
 * a PUBACK or SUBACK by its message id (an open-addressed table of the
 * ids in flight). Never mosquitto_disconnect() from inside a callback
 * (its locks are held: docs/mqtt.md): the link is freed, and its
 * DISCONNECT sent, when its last member has left and no callback runs. */
#define _GNU_SOURCE
#include "transport/mqtt_link.h"
#include "loop/loop.h"
#include "transport/mqtt_resolve.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ASER_HAVE_MQTT
#include <errno.h>
#include <fcntl.h>
#include <mqtt_protocol.h>

#define TICK_US 1000000u
#define KEEPALIVE_S 30

enum {
    L_RESOLVING,
    L_CONNECTING,
    L_UP,
    L_DEAD
};

#define MIDS 65536 /* MQTT's message ids are 16 bits (0 unused) */

typedef struct mid_ent {
    aser_mqtt_member *m; /* NULL: not in flight */
    unsigned len;
    bool probe;
} mid_ent;

struct aser_mqtt_link {
    aser_loop *loop;
    aser_mqtt_link *next; /* the loop's links (loop->mqtt_links), while listed */
    bool listed, blocking;
    int state;
    aser_mqtt_conf conf; /* the first member's, prefix and name aside */
    struct mosquitto *mosq;
    aser_io *io;
    int io_fd;
    unsigned io_ev;
    aser_tmr *tmr;
    aser_mqtt_job *job;
    unsigned busy;           /* inside its callbacks: not freed until they return */
    aser_mqtt_member *first; /* every member */
    size_t nmembers, nwaiting, nprobing;
    aser_mqtt_member *qhead, *qtail; /* opens waiting their turn to subscribe */
    aser_mqtt_member **bucket;       /* by PREFIX/NAME */
    size_t nbuckets;
    mid_ent *mids; /* MIDS of them, indexed by message id (1 MiB, touched as used) */
};

/* ---- the two tables ----------------------------------------------------------------- */

static unsigned key_hash(const char *s, size_t n)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int buckets_grow(aser_mqtt_link *l)
{
    size_t nb = l->nbuckets ? l->nbuckets * 2 : 64;
    aser_mqtt_member **b = calloc(nb, sizeof *b);
    if (!b) return ASER_ENOMEM;
    for (size_t i = 0; i < l->nbuckets; i++)
        for (aser_mqtt_member *m = l->bucket[i], *nx; m; m = nx) {
            nx = m->hnext;
            m->hnext = b[m->hash & (nb - 1)];
            b[m->hash & (nb - 1)] = m;
        }
    free(l->bucket);
    l->bucket = b;
    l->nbuckets = nb;
    return 0;
}

static aser_mqtt_member **bucket_of(aser_mqtt_link *l, unsigned hash)
{
    return &l->bucket[hash & (l->nbuckets - 1)];
}

/* Another member under the same PREFIX/NAME (the same export opened twice). */
static bool key_shared(aser_mqtt_link *l, const aser_mqtt_member *m)
{
    for (aser_mqtt_member *o = *bucket_of(l, m->hash); o; o = o->hnext)
        if (o != m && o->keylen == m->keylen && !memcmp(o->key, m->key, m->keylen)) return true;
    return false;
}

static mid_ent *mid_find(aser_mqtt_link *l, int mid)
{
    if (mid <= 0 || mid >= MIDS || !l->mids[mid].m) return NULL;
    return &l->mids[mid];
}

static void member_forget_mid(aser_mqtt_member *m, int mid);

/* Indexed by the id itself: libmosquitto numbers messages in sequence, so
 * a hash table of them is one long cluster (an open-addressed one cost
 * 56 % of the client's CPU at 10,000 ports, in its deletions). An id still
 * in flight that libmosquitto reuses (more than 65,535 unacknowledged on
 * the session) is taken from its first owner, whose window counts that
 * message as acknowledged rather than shrink for ever. */
static void mid_put(aser_mqtt_link *l, int mid, aser_mqtt_member *m, unsigned len, bool probe)
{
    mid_ent *e = &l->mids[mid];
    if (e->m) {
        aser_mqtt_member *old = e->m;
        unsigned olen = e->len;
        bool oprobe = e->probe;
        member_forget_mid(old, mid);
        e->m = NULL;
        if (!oprobe) aser__mq_acked(old, olen);
    }
    *e = (mid_ent){.m = m, .len = len, .probe = probe};
}

static void mid_del(aser_mqtt_link *l, mid_ent *e)
{
    (void)l;
    e->m = NULL;
}

static void member_forget_mid(aser_mqtt_member *m, int mid)
{
    for (unsigned i = 0; i < m->nmids; i++)
        if (m->mids[i] == mid) {
            m->mids[i] = m->mids[--m->nmids];
            return;
        }
}

/* ---- members ---------------------------------------------------------------------------- */

static void enqueue(aser_mqtt_link *l, aser_mqtt_member *m)
{
    m->queued = true;
    m->qnext = NULL;
    m->qprev = l->qtail;
    if (l->qtail)
        l->qtail->qnext = m;
    else
        l->qhead = m;
    l->qtail = m;
}

static void dequeue(aser_mqtt_link *l, aser_mqtt_member *m)
{
    if (!m->queued) return;
    if (m->qprev)
        m->qprev->qnext = m->qnext;
    else
        l->qhead = m->qnext;
    if (m->qnext)
        m->qnext->qprev = m->qprev;
    else
        l->qtail = m->qprev;
    m->qprev = m->qnext = NULL;
    m->queued = false;
}

static void subscribe(aser_mqtt_link *l, aser_mqtt_member *m);

/* The next opens in line subscribe, up to ASER_MQTT_OPENS at once. */
static void pump(aser_mqtt_link *l)
{
    while (l->state == L_UP && l->nprobing < ASER_MQTT_OPENS && l->qhead) {
        aser_mqtt_member *m = l->qhead;
        dequeue(l, m);
        m->probing = true;
        l->nprobing++;
        subscribe(l, m);
    }
}

/* The member's open is over, or it left: a turn for the next. */
static void unprobe(aser_mqtt_link *l, aser_mqtt_member *m)
{
    dequeue(l, m);
    if (!m->probing) return;
    m->probing = false;
    l->nprobing--;
}

/* Out of every table (the session keeps its subscriptions: see leave). */
static void detach(aser_mqtt_link *l, aser_mqtt_member *m)
{
    for (unsigned i = 0; i < m->nmids; i++) {
        mid_ent *e = mid_find(l, m->mids[i]);
        if (e && e->m == m) mid_del(l, e);
    }
    m->nmids = 0;
    unprobe(l, m);
    for (aser_mqtt_member **pp = bucket_of(l, m->hash); *pp; pp = &(*pp)->hnext)
        if (*pp == m) {
            *pp = m->hnext;
            break;
        }
    if (m->prev)
        m->prev->next = m->next;
    else
        l->first = m->next;
    if (m->next) m->next->prev = m->prev;
    m->prev = m->next = m->hnext = NULL;
    if (m->waiting) l->nwaiting--;
    m->waiting = false;
    l->nmembers--;
    m->link = NULL;
}

/* Subscribe to the member's rx, status and error, then the probe, whose
 * SUBACK comes after the retained status (the broker sends a
 * subscription's retained messages before it answers a later subscribe).
 * A second member under the same PREFIX/NAME subscribes again: the broker
 * replaces the subscription and sends the retained status again, which
 * the first member takes as no change. */
static void subscribe(aser_mqtt_link *l, aser_mqtt_member *m)
{
    char *subs[] = {m->topic[ASER_MQTT_RX], m->topic[ASER_MQTT_STATUS], m->topic[ASER_MQTT_ERROR]};
    mosquitto_subscribe_multiple(l->mosq, NULL, 3, subs, 1, 0, NULL);
    int mid = 0;
    if (mosquitto_subscribe(l->mosq, &mid, m->topic[ASER_MQTT_PROBE], 0) == MOSQ_ERR_SUCCESS &&
        mid > 0 && mid < MIDS && m->nmids < ASER_MQTT_LENS + 1) {
        mid_put(l, mid, m, 0, true);
        m->mids[m->nmids++] = (uint16_t)mid;
    }
}

/* ---- the link's life -------------------------------------------------------------------- */

static void unlist(aser_mqtt_link *l)
{
    if (!l->listed) return;
    for (aser_mqtt_link **pp = &l->loop->mqtt_links; *pp; pp = &(*pp)->next)
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    l->listed = false;
}

static void destroy(aser_mqtt_link *l)
{
    unlist(l);
    aser__mqtt_resolve_abandon(l->job);
    if (l->io) aser__io_close(l->io);
    if (l->tmr) aser__tmr_close(l->tmr);
    if (l->mosq) {
        if (l->state == L_UP) {
            mosquitto_disconnect(l->mosq);
            mosquitto_loop_write(l->mosq, 1); /* the DISCONNECT, if the socket takes it */
        }
        mosquitto_destroy(l->mosq);
    }
    free(l->bucket);
    free(l->mids);
    free(l);
}

/* Freed once no member and no callback is left. */
static void settle(aser_mqtt_link *l)
{
    if (!l->busy && !l->first) destroy(l);
}

static void link_name(const aser_mqtt_link *l, char *b, size_t cap)
{
    snprintf(b, cap, strchr(l->conf.a.host, ':') ? "[%s]:%d" : "%s:%d", l->conf.a.host,
             l->conf.a.port);
}

/* The session is over: every member is detached and told (code for those
 * not open yet), most recent first. The dead link leaves the registry at
 * once, so a reopen from a member's failure makes a new one. */
static void fail(aser_mqtt_link *l, int code, const char *fmt, ...) ASER_PRINTF(3, 4);
static void fail(aser_mqtt_link *l, int code, const char *fmt, ...)
{
    char what[600], name[300];
    link_name(l, name, sizeof name);
    int n = snprintf(what, sizeof what, "the broker %s: ", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what + n, sizeof what - (size_t)n, fmt, ap);
    va_end(ap);
    l->state = L_DEAD;
    unlist(l);
    if (l->io) aser__io_close(l->io);
    l->io = NULL;
    l->io_fd = -1;
    aser__tmr_stop(l->tmr);
    l->busy++;
    for (aser_mqtt_member *m; (m = l->first) != NULL;) {
        detach(l, m);
        aser__mq_link_lost(m, code, what);
    }
    l->busy--;
}

static void on_io(void *arg, unsigned revents);

/* Watch libmosquitto's socket for what it wants now. */
static void update_io(aser_mqtt_link *l)
{
    if (l->state == L_DEAD || l->state == L_RESOLVING) return;
    int fd = mosquitto_socket(l->mosq);
    if (fd != l->io_fd) {
        if (l->io) aser__io_close(l->io);
        l->io = NULL;
        l->io_fd = fd;
        l->io_ev = 0;
        if (fd < 0) return;
        /* not inherited by children (docs/mqtt.md, "Inherited sockets") */
        fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
        if (!(l->io = aser__io_open(l->loop, fd, on_io, l))) {
            fail(l, ASER_ENOMEM, "cannot watch its socket: out of memory");
            return;
        }
    }
    unsigned ev = ASER_EV_READ | (mosquitto_want_write(l->mosq) ? ASER_EV_WRITE : 0);
    if (l->io && ev != l->io_ev && aser__io_set(l->io, ev) == 0) l->io_ev = ev;
}

static void on_io(void *arg, unsigned revents)
{
    aser_mqtt_link *l = arg;
    int rc = MOSQ_ERR_SUCCESS;
    l->busy++;
    if (revents & ASER_EV_READ) rc = mosquitto_loop_read(l->mosq, 1);
    if (l->state != L_DEAD && rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(l->mosq))
        rc = mosquitto_loop_write(l->mosq, 1);
    l->busy--;
    if (l->state != L_DEAD && rc != MOSQ_ERR_SUCCESS)
        fail(l, l->state == L_UP ? ASER_EDISCONNECTED : ASER_ECONNREFUSED, "%s",
             rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    if (!l->first) {
        settle(l);
        return;
    }
    update_io(l);
}

static void on_tick(void *arg)
{
    aser_mqtt_link *l = arg;
    l->busy++;
    if (l->state == L_UP) {
        int rc = mosquitto_loop_misc(l->mosq);
        if (rc != MOSQ_ERR_SUCCESS) fail(l, ASER_EDISCONNECTED, "%s", mosquitto_strerror(rc));
    }
    uint64_t now = aser__now_us();
    if (l->nwaiting)
        for (aser_mqtt_member *m = l->first, *nx; m; m = nx) {
            nx = m->next;
            if (m->waiting) aser__mq_tick(m, now);
        }
    l->busy--;
    if (!l->first) {
        settle(l);
        return;
    }
    if (l->state == L_DEAD) return;
    update_io(l); /* what the opens that failed left to send (unsubscribes, subscribes) */
    aser__tmr_start(l->tmr, TICK_US);
}

/* ---- libmosquitto's callbacks ---------------------------------------------------------- */

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    aser_mqtt_link *l = obj;
    (void)mosq, (void)flags, (void)props;
    if (rc != 0) {
        fail(l, ASER_EACCES, "refused us: %s", mosquitto_reason_string(rc));
        return;
    }
    l->state = L_UP;
    pump(l);
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                         const int *granted_qos, const mosquitto_property *props)
{
    aser_mqtt_link *l = obj;
    (void)mosq, (void)qos_count, (void)granted_qos, (void)props;
    mid_ent *e = mid_find(l, mid);
    if (!e || !e->probe) return;
    aser_mqtt_member *m = e->m;
    member_forget_mid(m, mid);
    mid_del(l, e);
    aser__mq_probed(m);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int reason,
                       const mosquitto_property *props)
{
    aser_mqtt_link *l = obj;
    (void)mosq, (void)reason, (void)props;
    mid_ent *e = mid_find(l, mid);
    if (!e || e->probe) return; /* a set or ctl message */
    aser_mqtt_member *m = e->m;
    unsigned len = e->len;
    member_forget_mid(m, mid);
    mid_del(l, e);
    aser__mq_acked(m, len);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    aser_mqtt_link *l = obj;
    (void)mosq;
    if (msg->payloadlen < 0 || !l->nbuckets) return;
    const char *slash = strrchr(msg->topic, '/');
    if (!slash) return;
    int kind = !strcmp(slash + 1, "rx")       ? ASER_MQTT_RX
               : !strcmp(slash + 1, "status") ? ASER_MQTT_STATUS
               : !strcmp(slash + 1, "error")  ? ASER_MQTT_ERROR
                                              : 0;
    if (!kind) return;
    size_t klen = (size_t)(slash - msg->topic);
    unsigned h = key_hash(msg->topic, klen);
    /* A member the message fails leaves (its own entry only): take the
     * next one first. */
    for (aser_mqtt_member *m = *bucket_of(l, h), *nx; m; m = nx) {
        nx = m->hnext;
        if (m->hash == h && m->keylen == klen && !memcmp(m->key, msg->topic, klen))
            aser__mq_message(m, kind, msg->payload, (size_t)msg->payloadlen, props);
    }
}

/* ---- connecting ------------------------------------------------------------------------- */

/* 0, or the code with why when libmosquitto cannot even start. */
static int connect_to(aser_mqtt_link *l, const char *host, char *why, size_t cap)
{
    int rc = mosquitto_connect_async(l->mosq, host, l->conf.a.port, KEEPALIVE_S);
    if (rc != MOSQ_ERR_SUCCESS) {
        char name[300];
        link_name(l, name, sizeof name);
        snprintf(why, cap, "cannot reach the MQTT broker %s (%s): is it running?", name,
                 rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        return rc == MOSQ_ERR_ERRNO ? aser__errno(errno) : ASER_EPROTO;
    }
    l->state = L_CONNECTING;
    update_io(l);
    return 0;
}

static void on_resolved(void *arg, const char *addr, const char *why)
{
    aser_mqtt_link *l = arg;
    l->job = NULL;
    char msg[400];
    int code = addr ? connect_to(l, addr, msg, sizeof msg) : ASER_ENOENT;
    if (code < 0) fail(l, code, "%s", addr ? msg : why);
    settle(l);
}

static bool same_broker(const aser_mqtt_conf *a, const aser_mqtt_conf *b)
{
    return a->a.port == b->a.port && a->tls == b->tls && !strcmp(a->a.host, b->a.host) &&
           !strcmp(a->ca, b->ca) && !strcmp(a->cert, b->cert) && !strcmp(a->key, b->key) &&
           !strcmp(a->user, b->user) && !strcmp(a->pass, b->pass);
}

static aser_mqtt_link *make(aser_loop *loop, const aser_mqtt_conf *conf, bool blocking, char *why,
                            size_t cap, int *code)
{
    static bool inited;
    if (!inited) inited = mosquitto_lib_init() == MOSQ_ERR_SUCCESS;
    aser_mqtt_link *l = calloc(1, sizeof *l);
    *code = ASER_ENOMEM;
    snprintf(why, cap, "out of memory");
    if (!l) return NULL;
    l->loop = loop;
    l->conf = *conf;
    l->blocking = blocking;
    l->io_fd = -1;
    l->state = L_RESOLVING;
    if (buckets_grow(l) < 0 || !(l->mids = calloc(MIDS, sizeof *l->mids)) ||
        !(l->tmr = aser__tmr_open(loop, on_tick, l)) || !(l->mosq = mosquitto_new(NULL, true, l))) {
        destroy(l);
        return NULL;
    }
    mosquitto_int_option(l->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(l->mosq, MOSQ_OPT_TCP_NODELAY, 1); /* requests are small */
    /* Every port's replies come on this one session: let the broker have
     * as many in flight to us as MQTT allows, rather than queue (and past
     * its max_queued_messages, drop) them. */
    mosquitto_int_option(l->mosq, MOSQ_OPT_RECEIVE_MAXIMUM, 65535);
    mosquitto_int_option(l->mosq, MOSQ_OPT_SEND_MAXIMUM, 65535);
    mosquitto_connect_v5_callback_set(l->mosq, on_connect);
    mosquitto_message_v5_callback_set(l->mosq, on_message);
    mosquitto_publish_v5_callback_set(l->mosq, on_publish);
    mosquitto_subscribe_v5_callback_set(l->mosq, on_subscribe);
    if (aser__mqtt_conf_apply(l->mosq, conf, why, cap) != MOSQ_ERR_SUCCESS) {
        *code = ASER_EINVAL;
        destroy(l);
        return NULL;
    }
    /* On a loop a name is looked up on a helper thread; the blocking API
     * may wait inline. */
    if (!blocking && !conf->tls && !aser__mqtt_numeric(conf->a.host) &&
        (l->job = aser__mqtt_resolve(loop, conf->a.host, on_resolved, l)) != NULL) {
        /* connects from on_resolved */
    } else if ((*code = connect_to(l, conf->a.host, why, cap)) < 0) {
        destroy(l);
        return NULL;
    }
    aser__tmr_start(l->tmr, TICK_US);
    l->next = loop->mqtt_links;
    loop->mqtt_links = l;
    l->listed = true;
    return l;
}

/* ---- the members' calls ---------------------------------------------------------------- */

int aser__mqtt_link_join(aser_loop *loop, const aser_mqtt_conf *conf, bool blocking,
                         aser_mqtt_member *m, char *why, size_t cap)
{
    aser_mqtt_link *l = loop->mqtt_links;
    while (l && !same_broker(&l->conf, conf)) l = l->next;
    int code = 0;
    if (!l && !(l = make(loop, conf, blocking, why, cap, &code))) return code;
    if (l->nmembers + 1 > l->nbuckets && buckets_grow(l) < 0) {
        snprintf(why, cap, "out of memory");
        settle(l);
        return ASER_ENOMEM;
    }
    m->keylen = strlen(m->key);
    m->hash = key_hash(m->key, m->keylen);
    m->link = l;
    m->prev = NULL;
    m->next = l->first;
    if (l->first) l->first->prev = m;
    l->first = m;
    aser_mqtt_member **b = bucket_of(l, m->hash);
    m->hnext = *b;
    *b = m;
    m->nmids = 0;
    m->waiting = true;
    l->nwaiting++;
    l->nmembers++;
    enqueue(l, m);
    if (l->state == L_UP) {
        pump(l);
        if (!l->busy) update_io(l);
    }
    return 0;
}

void aser__mqtt_link_settled(aser_mqtt_member *m)
{
    aser_mqtt_link *l = m->link;
    if (!l || !m->waiting) return;
    m->waiting = false;
    l->nwaiting--;
    unprobe(l, m);
    pump(l);
    if (!l->busy) update_io(l);
}

void aser__mqtt_link_leave(aser_mqtt_member *m)
{
    aser_mqtt_link *l = m->link;
    if (!l) return;
    detach(l, m);
    if (l->state == L_UP && l->first && !key_shared(l, m)) {
        char *t[] = {m->topic[ASER_MQTT_RX], m->topic[ASER_MQTT_STATUS], m->topic[ASER_MQTT_ERROR],
                     m->topic[ASER_MQTT_PROBE]};
        mosquitto_unsubscribe_multiple(l->mosq, NULL, 4, t, NULL);
    }
    pump(l);
    if (l->first && !l->busy) update_io(l);
    settle(l);
}

int aser__mqtt_link_publish(aser_mqtt_member *m, const char *topic, const void *b, size_t n,
                            bool track)
{
    aser_mqtt_link *l = m->link;
    if (!l || l->state != L_UP) return ASER_EAGAIN;
    int mid = 0;
    int rc = mosquitto_publish(l->mosq, &mid, topic, (int)n, b, 1, false);
    if (rc == MOSQ_ERR_NOMEM) return ASER_ENOMEM;
    if (rc == MOSQ_ERR_NO_CONN) return ASER_EAGAIN;
    if (rc != MOSQ_ERR_SUCCESS) return ASER_EIO;
    bool tracked = track && mid > 0 && mid < MIDS && m->nmids < ASER_MQTT_LENS + 1;
    if (tracked) { /* else not counted */
        mid_put(l, mid, m, (unsigned)n, false);
        m->mids[m->nmids++] = (uint16_t)mid;
    }
    if (!l->busy) update_io(l);
    return tracked ? 1 : 0;
}

#endif
