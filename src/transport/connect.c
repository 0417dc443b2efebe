/* transport/connect.c: the connector: host:port to a connected (or
 * accepted) socket without blocking the loop.
 *
 * Name lookup. getaddrinfo() blocks, for seconds when DNS is slow, so a
 * host name (anything that is not a numeric address) is resolved on a
 * short-lived helper thread that hands the result back through
 * aser_loop_post(), the one thread-safe entry of the library. The lookup
 * holds a loop reference until its result is delivered, so the loop cannot
 * be freed under it; a connector stopped meanwhile just abandons the job,
 * which frees itself when the result arrives. The blocking API resolves
 * inline: its caller is waiting anyway.
 *
 * TLS. For a +tls URL the connector also runs the TLS handshake on the
 * connected socket (feeding codec/tls.c what arrives, sending what it
 * produces), still within connect_timeout_ms, and done() comes only when
 * the server's certificate is verified; a refused certificate is a failed
 * connect with the reason. The stream functions at the end of this file
 * are the filtered socket the transports read and write through. */
#define _GNU_SOURCE
#include "codec/tls.h"
#include "transport/net.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/socket.h>
#endif
#include <unistd.h>

void aser__net_caps_data_only(aser_caps *c, const char *reason)
{
    for (int f = 0; f < ASER_FEAT_COUNT_; f++) {
        c->state[f] = ASER_CAP_UNSUPPORTED;
        c->reason[f] = reason;
    }
}

/* ---- name lookup on a helper thread ---------------------------------------------- */

typedef struct aser_netc_job {
    aser_loop *loop;
    aser_netc *owner; /* NULL once abandoned; touched on the loop thread only */
    char host[256], port[8];
    struct addrinfo *res;
    int gai;
} netc_job;

static void netc_resolved(aser_netc *c, struct addrinfo *res, int gai);

static void job_delivered(void *arg)
{
    netc_job *j = arg;
    aser__loop_unref(j->loop);
    if (j->owner) {
        aser_netc *c = j->owner;
        c->job = NULL;
        netc_resolved(c, j->res, j->gai);
    } else if (j->res) {
        freeaddrinfo(j->res);
    }
    free(j);
}

static void *job_run(void *arg)
{
    netc_job *j = arg;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = 0};
    j->gai = getaddrinfo(j->host, j->port, &hints, &j->res);
    while (aser_loop_post(j->loop, job_delivered, j) == ASER_ENOBUFS) usleep(1000);
    return NULL;
}

static int job_start(aser_netc *c)
{
    netc_job *j = calloc(1, sizeof *j);
    if (!j) return ASER_ENOMEM;
    j->loop = c->loop;
    j->owner = c;
    snprintf(j->host, sizeof j->host, "%s", c->u.host);
    snprintf(j->port, sizeof j->port, "%s", c->u.port);
    pthread_attr_t at;
    pthread_t t;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    aser__loop_ref(c->loop);
    int e = pthread_create(&t, &at, job_run, j);
    pthread_attr_destroy(&at);
    if (e != 0) {
        aser__loop_unref(c->loop);
        free(j);
        return aser__errno(e);
    }
    c->job = j;
    return 0;
}

/* ---- the connector ------------------------------------------------------------------ */

static void finish(aser_netc *c, int fd, int code)
{
    aser__tmr_stop(c->tmr);
    if (c->io) aser__io_close(c->io);
    c->io = NULL;
    c->fd = -1;
    c->running = false;
    c->handshaking = false;
    if (fd < 0) { /* a failed handshake's session goes with its socket */
        aser__tls_free(c->tls);
        c->tls = NULL;
        aser__bq_reset(&c->tls_out);
    }
    if (c->ai) freeaddrinfo(c->ai);
    c->ai = c->cur = NULL;
    if (fd >= 0) aser__net_tune(fd);
    /* Bytes the server sent right after its handshake (a banner) are
     * already inside the session, not on the socket: read them from the
     * loop once the port has the socket. */
    if (fd >= 0 && c->tls && aser__tls_buffered(c->tls) && c->replay_port)
        aser__defer(c->loop, &c->replay);
    c->done(c, fd, code, code ? c->msg : NULL);
}

static void fail(aser_netc *c, int code)
{
    if (c->handshaking && code == ASER_ETIMEDOUT)
        snprintf(c->msg, sizeof c->msg,
                 "%.150s: connected, but the TLS handshake did not "
                 "finish within %u ms: is the server speaking TLS on this port?",
                 c->url, c->u.connect_timeout_ms);
    else if (c->handshaking)
        ; /* c->msg holds the reason (the session's, or the step's) */
    else if (c->u.listen && code == ASER_ETIMEDOUT)
        snprintf(c->msg, sizeof c->msg, "no client connected to %.64s:%s (%.100s) within %u ms",
                 c->u.host, c->u.port, c->url, c->u.connect_timeout_ms);
    else
        aser__net_connect_msg(c->msg, sizeof c->msg, c->url, c->u.host, c->u.port, code,
                              c->u.connect_timeout_ms);
    if (c->fd >= 0) {
        if (c->io) aser__io_close(c->io);
        c->io = NULL;
        aser__sock_close(c->fd);
        c->fd = -1;
    }
    finish(c, -1, code);
}

static void on_io(void *arg, unsigned revents);

static int watch(aser_netc *c, unsigned events)
{
    c->io = aser__io_open(c->loop, c->fd, on_io, c);
    if (!c->io) return ASER_ENOMEM;
    return aser__io_set(c->io, events);
}

/* Start connecting to c->cur, then the addresses after it. Returns 0 when
 * a connect is in progress (or done), else the last error. */
static int try_next(aser_netc *c)
{
    for (; c->cur; c->cur = c->cur->ai_next) {
        const struct addrinfo *ai = c->cur;
        int fd = aser__socket_nb(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            c->last_err = aser__errno(errno);
            continue;
        }
        if (aser__sock_connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
            c->fd = fd;
            int rc = watch(c, ASER_EV_WRITE);
            if (rc < 0) {
                if (c->io) aser__io_close(c->io);
                c->io = NULL;
                aser__sock_close(fd);
                c->fd = -1;
                return rc;
            }
            return 0;
        }
        c->last_err = aser__errno(errno);
        aser__sock_close(fd);
    }
    return c->last_err ? c->last_err : ASER_ENOENT;
}

/* ---- the TLS handshake ------------------------------------------------------------ */

static void handshake_step(aser_netc *c)
{
    uint8_t raw[16384];
    for (;;) {
        int rc = aser__tls_handshake(c->tls, c->msg, sizeof c->msg);
        int f = aser__netc_flush(c, c->fd);
        if (rc == ASER_EPROTO || (f < 0 && f != ASER_EAGAIN)) {
            if (rc != ASER_EPROTO)
                snprintf(c->msg, sizeof c->msg,
                         "%.150s: the connection failed during the TLS "
                         "handshake: %s",
                         c->url, aser_strerror(f));
            fail(c, rc == ASER_EPROTO ? rc : f);
            return;
        }
        if (rc == 0) {
            int fd = c->fd;
            aser__io_close(c->io);
            c->io = NULL;
            c->fd = -1;
            c->handshaking = false;
            finish(c, fd, 0);
            return;
        }
        ssize_t r = aser__net_read(c->fd, raw, sizeof raw);
        if (r == ASER_EINTR) continue;
        if (r == ASER_EAGAIN) {
            unsigned ev = ASER_EV_READ | (aser__netc_pending(c) ? ASER_EV_WRITE : 0u);
            if (aser__io_set(c->io, ev) < 0) {
                snprintf(c->msg, sizeof c->msg,
                         "%.150s: cannot watch the socket during the "
                         "TLS handshake",
                         c->url);
                fail(c, ASER_ENOMEM);
            }
            return;
        }
        if (r <= 0) {
            snprintf(c->msg, sizeof c->msg,
                     "%.150s: the server closed the connection during "
                     "the TLS handshake: is it a TLS port, and does it accept this client "
                     "(a client certificate: ?cert=FILE&key=FILE)?",
                     c->url);
            fail(c, ASER_EPROTO);
            return;
        }
        if (aser__tls_feed(c->tls, raw, (size_t)r) < 0) {
            snprintf(c->msg, sizeof c->msg, "%.150s: out of memory during the TLS handshake",
                     c->url);
            fail(c, ASER_ENOMEM);
            return;
        }
    }
}

static void start_tls(aser_netc *c, int fd)
{
    aser_err err = {0};
    aser_tls_conf conf = {.ca_file = c->u.ca, .cert_file = c->u.cert, .key_file = c->u.key};
    c->fd = fd;
    c->handshaking = true;
    int rc = aser__tls_new(&c->tls, ASER_TLS_CLIENT, &conf, c->u.host, c->url, &err);
    if (rc < 0) {
        snprintf(c->msg, sizeof c->msg, "%s", err.msg);
        c->handshaking = false;
        aser__sock_close(c->fd);
        c->fd = -1;
        finish(c, -1, rc);
        return;
    }
    rc = watch(c, ASER_EV_READ);
    if (rc < 0) {
        snprintf(c->msg, sizeof c->msg, "%.150s: cannot watch the socket for the TLS handshake",
                 c->url);
        fail(c, rc);
        return;
    }
    handshake_step(c);
}

static void on_connect_ready(aser_netc *c)
{
    if (c->handshaking) {
        handshake_step(c);
        return;
    }
    int e = aser__sock_error(c->fd);
    if (e == 0 && c->u.tls) {
        int fd = c->fd;
        aser__io_close(c->io);
        c->io = NULL;
        start_tls(c, fd);
        return;
    }
    if (e == 0) {
        int fd = c->fd;
        aser__io_close(c->io);
        c->io = NULL;
        c->fd = -1;
        finish(c, fd, 0);
        return;
    }
    c->last_err = aser__errno(e);
    aser__io_close(c->io);
    c->io = NULL;
    aser__sock_close(c->fd);
    c->fd = -1;
    c->cur = c->cur->ai_next;
    int rc = try_next(c);
    if (rc < 0) fail(c, rc);
}

static void on_accept_ready(aser_netc *c)
{
    int fd = aser__accept_nb(c->fd);
    if (fd < 0) {
        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return;
        fail(c, aser__errno(errno));
        return;
    }
    aser__io_close(c->io); /* one client: stop listening */
    c->io = NULL;
    aser__sock_close(c->fd);
    c->fd = -1;
    finish(c, fd, 0);
}

static void on_io(void *arg, unsigned revents)
{
    aser_netc *c = arg;
    (void)revents;
    if (c->u.listen)
        on_accept_ready(c);
    else
        on_connect_ready(c);
}

static void on_timeout(void *arg)
{
    aser_netc *c = arg;
    if (!c->running) return;
    if (c->job) { /* abandon the lookup: it frees itself */
        c->job->owner = NULL;
        c->job = NULL;
    }
    fail(c, ASER_ETIMEDOUT);
}

static void netc_resolved(aser_netc *c, struct addrinfo *res, int gai)
{
    if (gai != 0) {
        snprintf(c->msg, sizeof c->msg, "cannot resolve host \"%.64s\" (%.100s): %s", c->u.host,
                 c->url, gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
        finish(c, -1, ASER_ENOENT);
        return;
    }
    c->ai = c->cur = res;
    int rc = try_next(c);
    if (rc < 0) fail(c, rc);
}

static void on_later(void *arg)
{
    aser_netc *c = arg;
    if (c->running) finish(c, -1, c->later_code);
}

static void on_replay(void *arg)
{
    aser_netc *c = arg;
    if (c->tls && c->replay_port) aser__port_io(c->replay_port, ASER_EV_READ);
}

int aser__netc_init(aser_netc *c, aser_loop *loop, const char *url, const aser_net_url *u,
                    aser_netc_done done, void *ctx)
{
    memset(c, 0, sizeof *c);
    c->loop = loop;
    c->url = url;
    c->u = *u;
    c->done = done;
    c->ctx = ctx;
    c->fd = -1;
    c->later = (aser_defer){.fn = on_later, .arg = c};
    c->replay = (aser_defer){.fn = on_replay, .arg = c};
    c->tmr = aser__tmr_open(loop, on_timeout, c);
    return c->tmr ? 0 : ASER_ENOMEM;
}

static int start_listen(aser_netc *c)
{
    aser_err err = {0};
    int rc = aser__net_listen(c->u.host, c->u.port, &c->fd, NULL, &err);
    if (rc < 0) { /* reported from the loop, like any other failure */
        snprintf(c->msg, sizeof c->msg, "%.150s (%.80s)", err.msg, c->url);
        c->later_code = rc;
        aser__defer(c->loop, &c->later);
        return 0;
    }
    rc = watch(c, ASER_EV_READ);
    if (rc < 0) {
        if (c->io) aser__io_close(c->io);
        c->io = NULL;
        aser__sock_close(c->fd);
        c->fd = -1;
    }
    return rc;
}

/* Numeric addresses need no lookup; names do (thread, or inline). */
static int start_connect(aser_netc *c)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST}, *res;
    int g = getaddrinfo(c->u.host, c->u.port, &hints, &res);
    if (g == 0 || c->inline_resolve) {
        if (g != 0) {
            hints.ai_flags = 0;
            g = getaddrinfo(c->u.host, c->u.port, &hints, &res);
        }
        if (g != 0) {
            snprintf(c->msg, sizeof c->msg, "cannot resolve host \"%.64s\" (%.100s): %s", c->u.host,
                     c->url, gai_strerror(g));
            c->later_code = ASER_ENOENT;
            aser__defer(c->loop, &c->later);
            return 0;
        }
        c->ai = c->cur = res;
        int rc = try_next(c);
        if (rc < 0) { /* e.g. refused at once: still reported from the loop */
            aser__net_connect_msg(c->msg, sizeof c->msg, c->url, c->u.host, c->u.port, rc,
                                  c->u.connect_timeout_ms);
            c->later_code = rc;
            aser__defer(c->loop, &c->later);
        }
        return 0;
    }
    return job_start(c);
}

int aser__netc_start(aser_netc *c)
{
    aser__netc_stop(c);
    c->last_err = 0;
    c->running = true;
    int rc = c->u.listen ? start_listen(c) : start_connect(c);
    if (rc < 0) {
        aser__netc_stop(c);
        return rc;
    }
    if (c->u.connect_timeout_ms) aser__tmr_start(c->tmr, (uint64_t)c->u.connect_timeout_ms * 1000u);
    return 0;
}

int aser__netc_reopen(aser_netc *c, aser_port *p, aser_err *err)
{
    c->replay_port = p;
    aser__conn(p)->connecting = true;
    int rc = aser__netc_start(c);
    if (rc < 0) {
        aser__conn(p)->connecting = false;
        return aser__err(err, rc, "%s: cannot start connecting: %s", aser__conn(p)->name,
                         aser_strerror(rc));
    }
    return 0;
}

void aser__netc_stop(aser_netc *c)
{
    c->running = false;
    aser__defer_cancel(c->loop, &c->later);
    aser__defer_cancel(c->loop, &c->replay);
    aser__tls_free(c->tls);
    c->tls = NULL;
    c->handshaking = false;
    aser__bq_reset(&c->tls_out);
    if (c->tmr) aser__tmr_stop(c->tmr);
    if (c->job) {
        c->job->owner = NULL;
        c->job = NULL;
    }
    if (c->io) aser__io_close(c->io);
    c->io = NULL;
    if (c->fd >= 0) aser__sock_close(c->fd);
    c->fd = -1;
    if (c->ai) freeaddrinfo(c->ai);
    c->ai = c->cur = NULL;
}

void aser__netc_free(aser_netc *c)
{
    aser__netc_stop(c);
    if (c->tmr) aser__tmr_close(c->tmr);
    c->tmr = NULL;
    aser__bq_free(&c->tls_out);
}

int aser__netc_check_tls(const aser_net_url *u, const char *url, aser_err *err)
{
    if (!u->tls) return 0;
    aser_tls *t;
    aser_tls_conf conf = {.ca_file = u->ca, .cert_file = u->cert, .key_file = u->key};
    int rc = aser__tls_new(&t, ASER_TLS_CLIENT, &conf, u->host, url, err);
    aser__tls_free(t);
    return rc;
}

/* ---- the stream: plain, or through TLS ------------------------------------------- */

/* One record's cipher plus a little: the most a write leaves waiting. */
#define TLS_OUT_MAX (64u * 1024u)

bool aser__netc_pending(const aser_netc *c)
{
    return c->tls && (aser__bq_size(&c->tls_out) || aser__tls_pending(c->tls));
}

unsigned aser__netc_io_mask(aser_netc *c, aser_port *p, unsigned ev)
{
    if (!c->tls) return ev;
    if (aser__netc_pending(c)) ev |= ASER_EV_WRITE;
    if ((ev & ASER_EV_READ) && aser__tls_buffered(c->tls)) {
        c->replay_port = p;
        aser__defer(c->loop, &c->replay);
    }
    return ev;
}

int aser__netc_flush(aser_netc *c, int fd)
{
    if (!c->tls) return 0;
    uint8_t buf[4096];
    size_t n;
    while ((n = aser__tls_take(c->tls, buf, sizeof buf)) > 0)
        if (aser__bq_append(&c->tls_out, buf, n, TLS_OUT_MAX * 4) < 0) return ASER_ENOBUFS;
    while (aser__bq_size(&c->tls_out) && fd >= 0) {
        ssize_t w = aser__net_write(fd, aser__bq_peek(&c->tls_out), aser__bq_size(&c->tls_out));
        if (w == ASER_EINTR) continue;
        if (w < 0) return (int)w;
        aser__bq_consume(&c->tls_out, (size_t)w);
    }
    return 0;
}

static ssize_t tls_failed(aser_netc *c, aser_port *p, ssize_t code)
{
    if (code == ASER_EPROTO) aser__port_set_errmsg(p, "%s", aser__tls_error(c->tls));
    return code;
}

ssize_t aser__netc_read(aser_netc *c, aser_port *p, void *buf, size_t n)
{
    int fd = aser__conn(p)->fd;
    if (!c->tls) return aser__net_read(fd, buf, n);
    uint8_t raw[16384];
    for (;;) {
        ssize_t r = aser__tls_read(c->tls, buf, n);
        if (r != ASER_EAGAIN) {
            int f = aser__netc_flush(c, fd); /* answers the session owes (key updates) */
            if (r > 0 && aser__tls_buffered(c->tls)) {
                c->replay_port = p;
                aser__defer(c->loop, &c->replay);
            }
            if (r >= 0 && f < 0 && f != ASER_EAGAIN) return f;
            return r < 0 ? tls_failed(c, p, r) : r;
        }
        r = aser__net_read(fd, raw, sizeof raw);
        if (r <= 0) return r;
        if (aser__tls_feed(c->tls, raw, (size_t)r) < 0) return ASER_ENOMEM;
    }
}

void aser__netc_goodbye(aser_netc *c, int fd)
{
    if (!c->tls || c->handshaking || fd < 0) return;
    aser__tls_close_notify(c->tls);
    (void)aser__netc_flush(c, fd);
}

ssize_t aser__netc_write(aser_netc *c, aser_port *p, const void *buf, size_t n)
{
    int fd = aser__conn(p)->fd;
    if (!c->tls) return aser__net_write(fd, buf, n);
    int f = aser__netc_flush(c, fd);
    if (f < 0 && f != ASER_EAGAIN) return f;
    if (aser__netc_pending(c)) return ASER_EAGAIN;
    ssize_t w = aser__tls_write(c->tls, buf, n);
    if (w < 0) return tls_failed(c, p, w);
    f = aser__netc_flush(c, fd);
    if (f < 0 && f != ASER_EAGAIN) return f;
    return w;
}

void aser__netc_discard_input(aser_netc *c, aser_port *p)
{
    if (aser__conn(p)->fd < 0) return;
    if (!c->tls) {
        aser__net_discard_input(aser__conn(p)->fd);
        return;
    }
    uint8_t buf[4096];
    for (int i = 0; i < 64 && aser__netc_read(c, p, buf, sizeof buf) > 0; i++) {
    }
}
