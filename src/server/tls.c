/* server/tls.c: TLS on every listener of the server (raw, RFC 2217) and
 * on the web listener (https, and the WebSockets it hands to a server):
 * the certificate (loaded, kept for reloads), the rule that a listener
 * beyond loopback needs TLS, and a connection's handshake in the server's
 * words. The session itself is the connection's stream (net/stream.c).
 *
 * The handshake finishes before the mode sees a byte: until then the
 * connection is not a client of the port at all (server.c admits it, with
 * max_clients and kick-old, only afterwards), so a client without an
 * acceptable certificate never reaches the port, and an unauthenticated
 * connection can never kick an authenticated one.
 *
 * Bounded: a read feeds at most one socket read (16 KiB) before taking
 * the plain bytes out (the stream is fair: one socket read per call); the
 * cipher waiting for the socket is bounded by the stream, and the plain
 * queue in front of it is the server's client_queue. */
#define _GNU_SOURCE
#include "codec/tls.h"
#include "server/server.h"

#include <stdio.h>
#include <string.h>
#ifdef ASER_OS_UNIX
#include <arpa/inet.h>
#include <unistd.h>
#endif

/* At most 8 socket reads per step: a handshake flood cannot hold the
 * loop (the fd stays readable: the rest comes next time). */
#define HANDSHAKE_ROUNDS 8

int aser__srv_handshake(aser_stream *st, char *why, size_t cap)
{
    int code = 0;
    switch (aser__stream_handshake(st, HANDSHAKE_ROUNDS, why, cap, &code)) {
    case ASER_HS_DONE: return 0;
    case ASER_HS_AGAIN: return ASER_EAGAIN;
    case ASER_HS_PROTO: return ASER_EPROTO; /* why: the session's reason */
    case ASER_HS_SEND:
        snprintf(why, cap, "the connection failed during the TLS handshake (%s)",
                 aser_strerror(code));
        return code;
    case ASER_HS_HUNG:
        snprintf(why, cap,
                 "it hung up during the TLS handshake (a client that does not trust this "
                 "server's certificate does that)");
        return ASER_EPROTO;
    case ASER_HS_LOST: snprintf(why, cap, "it was lost during the TLS handshake"); return code;
    case ASER_HS_NOMEM: break;
    }
    snprintf(why, cap, "out of memory during the TLS handshake");
    return ASER_ENOMEM;
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
