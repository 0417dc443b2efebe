/* net/connect.c: the connector (net/stream.h): host:port to a connected
 * (or accepted) socket without blocking the loop.
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
 * connect with the reason. The stream (c->st) then carries the session:
 * the transports read and write through it (net/stream.c). */
#define _GNU_SOURCE
#include "net/stream.h"

#include "codec/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef ASER_OS_UNIX
#include <sys/socket.h>
#endif
#include <unistd.h>

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
    c->st.handshaking = false;
    if (fd < 0) { /* a failed handshake's session goes with its socket */
        aser__stream_tls_free(&c->st);
        c->st.fd = -1;
    } else {
        c->st.fd = fd; /* the caller's socket, c's stream */
    }
    if (c->ai) freeaddrinfo(c->ai);
    c->ai = c->cur = NULL;
    if (fd >= 0) aser__net_tune(fd);
    /* Bytes the server sent right after its handshake (a banner) are
     * already inside the session, not on the socket: read them from the
     * loop once the port has the socket. */
    if (fd >= 0) aser__stream_replay_if_buffered(&c->st);
    c->done(c, fd, code, code ? c->msg : NULL);
}

static void fail(aser_netc *c, int code)
{
    if (c->st.handshaking && code == ASER_ETIMEDOUT)
        snprintf(c->msg, sizeof c->msg,
                 "%.150s: connected, but the TLS handshake did not "
                 "finish within %u ms: is the server speaking TLS on this port?",
                 c->url, c->u.connect_timeout_ms);
    else if (c->st.handshaking)
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
    int code = 0;
    switch (aser__stream_handshake(&c->st, 0, c->msg, sizeof c->msg, &code)) {
    case ASER_HS_DONE: {
        int fd = c->fd;
        aser__io_close(c->io);
        c->io = NULL;
        c->fd = -1;
        finish(c, fd, 0);
        return;
    }
    case ASER_HS_AGAIN: {
        unsigned ev = ASER_EV_READ | (aser__stream_pending(&c->st) ? ASER_EV_WRITE : 0u);
        if (aser__io_set(c->io, ev) < 0) {
            snprintf(c->msg, sizeof c->msg,
                     "%.150s: cannot watch the socket during the "
                     "TLS handshake",
                     c->url);
            fail(c, ASER_ENOMEM);
        }
        return;
    }
    case ASER_HS_PROTO: fail(c, ASER_EPROTO); return; /* c->msg: the session's reason */
    case ASER_HS_SEND:
        snprintf(c->msg, sizeof c->msg,
                 "%.150s: the connection failed during the TLS "
                 "handshake: %s",
                 c->url, aser_strerror(code));
        fail(c, code);
        return;
    case ASER_HS_HUNG:
    case ASER_HS_LOST:
        snprintf(c->msg, sizeof c->msg,
                 "%.150s: the server closed the connection during "
                 "the TLS handshake: is it a TLS port, and does it accept this client "
                 "(a client certificate: ?cert=FILE&key=FILE)?",
                 c->url);
        fail(c, ASER_EPROTO);
        return;
    case ASER_HS_NOMEM:
        snprintf(c->msg, sizeof c->msg, "%.150s: out of memory during the TLS handshake", c->url);
        fail(c, ASER_ENOMEM);
        return;
    }
}

static void start_tls(aser_netc *c, int fd)
{
    aser_err err = {0};
    aser_tls_conf conf = {.ca_file = c->u.ca, .cert_file = c->u.cert, .key_file = c->u.key};
    c->fd = fd;
    c->st.fd = fd;
    int rc = aser__stream_tls_client(&c->st, &conf, c->u.host, c->url, &err);
    if (rc < 0) {
        snprintf(c->msg, sizeof c->msg, "%s", err.msg);
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
    if (c->st.handshaking) {
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
    aser__stream_init(&c->st, loop, NULL, NULL); /* the owner may set st.replay */
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

void aser__netc_stop(aser_netc *c)
{
    c->running = false;
    aser__defer_cancel(c->loop, &c->later);
    aser__defer_cancel(c->loop, &c->st.replay);
    aser__stream_tls_free(&c->st);
    aser__stream_forget_fd(&c->st); /* the caller's socket: closed by the caller */
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
