/* server/tls.c: TLS under every client mode of the server (raw, RFC 2217)
 * and under the web listener's connections (https, and the WebSockets it
 * hands to a server), the server-side twin of the connector's filtered
 * socket (transport/connect.c): cipher bytes from the socket go into the
 * session (codec/tls.c), plain bytes come out for the mode; plain bytes
 * from the mode go in and their cipher waits in srv_tls.cipher until the
 * socket takes it.
 *
 * The handshake finishes before the mode sees a byte: until then the
 * connection is not a client of the port at all (server.c admits it, with
 * max_clients and kick-old, only afterwards), so a client without an
 * acceptable certificate never reaches the port, and an unauthenticated
 * connection can never kick an authenticated one.
 *
 * Bounded: a read feeds at most one socket read (16 KiB) before taking
 * the plain bytes out; the cipher waiting for the socket is at most one
 * record plus the handshake's flight (TLS_CIPHER_MAX), and the plain
 * queue in front of it is the server's client_queue. */
#define _GNU_SOURCE
#include "codec/tls.h"
#include "server/server.h"
#include "transport/net.h"

#include <stdio.h>
#include <string.h>
#ifndef _WIN32
#include <arpa/inet.h>
#include <unistd.h>
#endif

#define TLS_CIPHER_MAX (256u * 1024u)

int aser__srvtls_start(srv_tls *x, aser_tls_ctx *ctx, const char *what, aser_err *err)
{
    memset(x, 0, sizeof *x);
    int rc = aser__tls_new_server(&x->t, ctx, what, err);
    if (rc == 0) x->handshaking = true;
    return rc;
}

void aser__srvtls_free(srv_tls *x)
{
    aser__tls_free(x->t);
    x->t = NULL;
    x->handshaking = false;
    aser__bq_free(&x->cipher);
}

bool aser__srvtls_pending(const srv_tls *x)
{
    return x->t && (aser__bq_size(&x->cipher) || aser__tls_pending(x->t));
}

bool aser__srvtls_buffered(const srv_tls *x)
{
    return x->t && !x->handshaking && aser__tls_buffered(x->t);
}

int aser__srvtls_flush(srv_tls *x, int fd)
{
    uint8_t buf[4096];
    size_t n;
    while ((n = aser__tls_take(x->t, buf, sizeof buf)) > 0)
        if (aser__bq_append(&x->cipher, buf, n, TLS_CIPHER_MAX) < 0) return ASER_ENOBUFS;
    while (aser__bq_size(&x->cipher)) {
        ssize_t w = aser__net_write(fd, aser__bq_peek(&x->cipher), aser__bq_size(&x->cipher));
        if (w == ASER_EINTR) continue;
        if (w == ASER_EAGAIN) return 0; /* aser__srvtls_pending(): watch for writable */
        if (w < 0) return (int)w;
        aser__bq_consume(&x->cipher, (size_t)w);
    }
    return 0;
}

int aser__srvtls_handshake(srv_tls *x, int fd, char *why, size_t cap)
{
    uint8_t raw[16384];
    for (int round = 0; round < 8; round++) {
        int rc = aser__tls_handshake(x->t, why, cap);
        int f = aser__srvtls_flush(x, fd);
        if (rc == ASER_EPROTO) {
            /* the alert telling the client why, best effort, never waiting */
            (void)aser__srvtls_flush(x, fd);
            return rc;
        }
        if (f < 0) {
            snprintf(why, cap, "the connection failed during the TLS handshake (%s)",
                     aser_strerror(f));
            return f;
        }
        if (rc == 0) {
            x->handshaking = false;
            return 0;
        }
        ssize_t r = aser__net_read(fd, raw, sizeof raw);
        if (r == ASER_EINTR) continue;
        if (r == ASER_EAGAIN) return ASER_EAGAIN;
        if (r <= 0) {
            snprintf(why, cap, "it %s during the TLS handshake%s", r == 0 ? "hung up" : "was lost",
                     r == 0 ? " (a client that does not trust this server's certificate "
                              "does that)"
                            : "");
            return r == 0 ? ASER_EPROTO : (int)r;
        }
        if (aser__tls_feed(x->t, raw, (size_t)r) < 0) {
            snprintf(why, cap, "out of memory during the TLS handshake");
            return ASER_ENOMEM;
        }
    }
    return ASER_EAGAIN; /* more next time the socket is readable (or now: fd stays ready) */
}

ssize_t aser__srvtls_read(srv_tls *x, int fd, void *buf, size_t n)
{
    uint8_t raw[16384];
    bool fed = false;
    for (;;) {
        ssize_t r = aser__tls_read(x->t, buf, n);
        if (r != ASER_EAGAIN) {
            int f = aser__srvtls_flush(x, fd); /* what the session owes (tickets, key updates) */
            if (r >= 0 && f < 0) return f;
            return r;
        }
        if (fed) return ASER_EAGAIN; /* one socket read per call: others get their turn */
        r = aser__net_read(fd, raw, sizeof raw);
        if (r <= 0) return r;
        if (aser__tls_feed(x->t, raw, (size_t)r) < 0) return ASER_ENOMEM;
        fed = true;
    }
}

ssize_t aser__srvtls_write(srv_tls *x, int fd, const void *buf, size_t n)
{
    int f = aser__srvtls_flush(x, fd);
    if (f < 0) return f;
    if (aser__srvtls_pending(x)) return ASER_EAGAIN;
    ssize_t w = aser__tls_write(x->t, buf, n);
    if (w < 0) return w;
    f = aser__srvtls_flush(x, fd);
    return f < 0 ? f : w;
}

void aser__srvtls_send_now(srv_tls *x, int fd, const void *b, size_t n)
{
    if (!x->t || x->handshaking) return;
    if (n)
        (void)aser__tls_write(x->t, b, n);
    else
        aser__tls_close_notify(x->t); /* n 0: closing */
    uint8_t buf[4096];
    size_t k;
    while ((k = aser__tls_take(x->t, buf, sizeof buf)) > 0)
        (void)aser__bq_append(&x->cipher, buf, k, TLS_CIPHER_MAX);
    if (aser__bq_size(&x->cipher))
        (void)aser__sock_send(fd, aser__bq_peek(&x->cipher), aser__bq_size(&x->cipher));
    aser__bq_reset(&x->cipher);
}

/* An address in 127/8, ::1 or ::ffff:127/104, or the name localhost; any
 * other name counts as beyond loopback ("127.example.com" is a name). */
bool aser__srv_is_loopback(const char *host)
{
    unsigned char a[16];
    if (!strcmp(host, "localhost")) return true;
    if (inet_pton(AF_INET, host, a) == 1) return a[0] == 127;
    if (inet_pton(AF_INET6, host, a) != 1) return false;
    static const unsigned char one[16] = {[15] = 1};
    static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
    return !memcmp(a, one, 16) || (!memcmp(a, mapped, 12) && a[12] == 127);
}

int aser__srv_bind_check(const char *host, const char *port, bool tls, bool insecure,
                         const char *what, aser_err *err)
{
    if (tls || insecure || aser__srv_is_loopback(host)) return 0;
    /* The name clients will most likely connect with, for the recipe; the
     * whole sentence must fit aser_err's 256 bytes. */
    char name[256] = "HOST";
    if (gethostname(name, sizeof name) != 0 || !name[0] || strlen(name) > 24 ||
        strpbrk(name, " /\\'\""))
        snprintf(name, sizeof name, "HOST");
    (void)what;
    return aser__err(err, ASER_EACCES,
                     "%.40s:%s is beyond loopback: without TLS anyone there can drive the port. "
                     "Use --tls-cert/--tls-key (make them: openssl req -x509 -newkey rsa:2048 "
                     "-nodes -days 365 -keyout key.pem -out cert.pem -subj /CN=%s -addext "
                     "subjectAltName=DNS:%s) or --insecure",
                     host, port, name, name);
}

static int load(aser_tls_ctx **out, const srv_tls_id *id, const char *what, aser_err *err)
{
    aser_tls_conf conf = {.ca_file = id->ca, .cert_file = id->cert, .key_file = id->key};
    return aser__tls_ctx_new(out, &conf, what, err);
}

static bool named(const char *f)
{
    return f && *f;
}

static bool keep(char *dst, size_t cap, const char *src)
{
    return (size_t)snprintf(dst, cap, "%s", src ? src : "") < cap;
}

int aser__srv_tls_id_load(srv_tls_id *id, const char *cert, const char *key, const char *ca,
                          const char *what, aser_err *err)
{
    id->ctx = NULL;
    if (!named(cert) && !named(key) && !named(ca)) return 0;
    if (!keep(id->cert, sizeof id->cert, cert) || !keep(id->key, sizeof id->key, key) ||
        !keep(id->ca, sizeof id->ca, ca))
        return aser__err(err, ASER_EINVAL, "a TLS file name is longer than %zu bytes",
                         sizeof id->cert - 1);
    return load(&id->ctx, id, what, err);
}

int aser__srv_tls_id_reload(srv_tls_id *id, const char *what, const char **warning, aser_err *err)
{
    aser_tls_ctx *x;
    int rc = load(&x, id, what, err);
    if (rc < 0) return rc;        /* the old one stays */
    aser__tls_ctx_unref(id->ctx); /* sessions hold their own references */
    id->ctx = x;
    if (warning) *warning = aser__tls_ctx_warning(x);
    return 0;
}

void aser__srv_tls_id_free(srv_tls_id *id)
{
    aser__tls_ctx_unref(id->ctx);
    id->ctx = NULL;
}
