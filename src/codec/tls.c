/* codec/tls.c: the TLS filter (see tls.h) on OpenSSL memory BIOs.
 *
 * The SSL object reads from `in` (a memory BIO we fill with what the peer
 * sent) and writes to `out` (a memory BIO we empty into the socket). A
 * read that needs more cipher returns SSL_ERROR_WANT_READ, which we turn
 * into ASER_EAGAIN: the caller feeds more when the socket has some. So
 * the filter never waits, and OpenSSL never sees a file descriptor.
 *
 * Failures are turned into sentences that name the fix: the verify result
 * (expired, self-signed, unknown issuer, wrong host name) first, then the
 * library's reason (a peer that does not speak TLS). */
#define _GNU_SOURCE
#include "codec/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ASER_HAVE_TLS

int aser__tls_new(aser_tls **out, aser_tls_role role, const aser_tls_conf *conf, const char *host,
                  const char *what, aser_err *err)
{
    (void)role, (void)conf, (void)host;
    *out = NULL;
    return aser__err(err, ASER_ENOTSUP,
                     "%s: this aserial was built without TLS; rebuild "
                     "it with OpenSSL (apt-get install libssl-dev; meson -Dtls=enabled)",
                     what);
}
void aser__tls_free(aser_tls *t)
{
    (void)t;
}
int aser__tls_feed(aser_tls *t, const void *c, size_t n)
{
    (void)t, (void)c, (void)n;
    return ASER_ENOTSUP;
}
int aser__tls_handshake(aser_tls *t, char *m, size_t c)
{
    (void)t, (void)m, (void)c;
    return ASER_ENOTSUP;
}
ssize_t aser__tls_read(aser_tls *t, void *b, size_t n)
{
    (void)t, (void)b, (void)n;
    return ASER_ENOTSUP;
}
bool aser__tls_buffered(aser_tls *t)
{
    (void)t;
    return false;
}
ssize_t aser__tls_write(aser_tls *t, const void *b, size_t n)
{
    (void)t, (void)b, (void)n;
    return ASER_ENOTSUP;
}
size_t aser__tls_pending(aser_tls *t)
{
    (void)t;
    return 0;
}
size_t aser__tls_take(aser_tls *t, void *b, size_t n)
{
    (void)t, (void)b, (void)n;
    return 0;
}
const char *aser__tls_error(aser_tls *t)
{
    (void)t;
    return "built without TLS";
}
void aser__tls_close_notify(aser_tls *t)
{
    (void)t;
}
int aser__tls_ctx_new(aser_tls_ctx **out, const aser_tls_conf *conf, const char *what,
                      aser_err *err)
{
    (void)conf;
    *out = NULL;
    return aser__err(err, ASER_ENOTSUP,
                     "%s: this aserial was built without TLS; rebuild "
                     "it with OpenSSL (apt-get install libssl-dev; meson -Dtls=enabled)",
                     what);
}
aser_tls_ctx *aser__tls_ctx_ref(aser_tls_ctx *x)
{
    return x;
}
void aser__tls_ctx_unref(aser_tls_ctx *x)
{
    (void)x;
}
const char *aser__tls_ctx_warning(const aser_tls_ctx *x)
{
    (void)x;
    return "";
}
int aser__tls_new_server(aser_tls **out, aser_tls_ctx *x, const char *what, aser_err *err)
{
    (void)x;
    return aser__tls_new(out, ASER_TLS_SERVER, NULL, NULL, what, err);
}

#else

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct aser_tls_ctx {
    SSL_CTX *ctx;
    unsigned refs;
    char ca[256]; /* the client CA file, for messages; "" none */
    char warning[512];
};

struct aser_tls {
    SSL_CTX *ctx;       /* client role: its own */
    aser_tls_ctx *sctx; /* server role: shared, one reference */
    SSL *ssl;
    BIO *in, *out; /* owned by ssl */
    char host[256];
    char what[160];
    char why[512];
    bool server;
    bool fatal; /* a fatal error: OpenSSL forbids SSL_shutdown() after one */
    bool shut;  /* close_notify sent */
};

/* ---- setup ------------------------------------------------------------------------- */

static const char *ssl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown error";
}

/* "WHAT: cannot use the FILE (REASON): FIX" */
static int conf_err(aser_tls *t, aser_err *err, const char *thing, const char *file,
                    const char *fix)
{
    const char *why = ssl_reason();
    int rc = aser__err(err, ASER_EINVAL, "%s: cannot use %s %s (%s): %s", t->what, thing, file, why,
                       fix);
    ERR_clear_error();
    return rc;
}

/* A missing or unreadable file, named with the system's reason. */
static int unreadable(aser_tls *t, aser_err *err, const char *opt, const char *file)
{
    if (!file || access(file, R_OK) == 0) return 0;
    return aser__err(err, ASER_EINVAL,
                     "%s: cannot read %s (%s): give a readable PEM file "
                     "with ?%s=FILE",
                     t->what, file, strerror(errno), opt);
}

static int load_files(aser_tls *t, const aser_tls_conf *c, aser_err *err)
{
    const char *ca = c && c->ca_file && *c->ca_file ? c->ca_file : NULL;
    const char *cert = c && c->cert_file && *c->cert_file ? c->cert_file : NULL;
    const char *key = c && c->key_file && *c->key_file ? c->key_file : NULL;
    int rc = unreadable(t, err, "ca", ca);
    if (rc == 0) rc = unreadable(t, err, "cert", cert);
    if (rc == 0) rc = unreadable(t, err, "key", key);
    if (rc < 0) return rc;
    if (ca ? SSL_CTX_load_verify_locations(t->ctx, ca, NULL) != 1
           : SSL_CTX_set_default_verify_paths(t->ctx) != 1)
        return conf_err(t, err, "the CA file", ca ? ca : "(the system's)",
                        "give a PEM file of CA certificates with ?ca=FILE");
    if ((cert == NULL) != (key == NULL))
        return aser__err(err, ASER_EINVAL,
                         "%s: a client certificate needs both ?cert=FILE "
                         "and ?key=FILE",
                         t->what);
    if (cert && SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1)
        return conf_err(t, err, "the certificate", cert, "give a PEM certificate with ?cert=FILE");
    if (key && SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1)
        return conf_err(t, err, "the private key", key,
                        "give the PEM key of the certificate with ?key=FILE");
    if (key && SSL_CTX_check_private_key(t->ctx) != 1)
        return conf_err(t, err, "the private key", key,
                        "it does not match the certificate; give the key it was made with");
    return 0;
}

/* Verification on, and the host checked: a name by DNS rules, an address
 * by the certificate's IP entries. */
static int set_peer(aser_tls *t, const char *host)
{
    unsigned char a[16];
    bool ip = inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
    SSL_set_verify(t->ssl, SSL_VERIFY_PEER, NULL);
    if (ip) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host) == 1 ? 0 : -1;
    if (SSL_set_tlsext_host_name(t->ssl, host) != 1) return -1;
    return SSL_set1_host(t->ssl, host) == 1 ? 0 : -1;
}

int aser__tls_new(aser_tls **out, aser_tls_role role, const aser_tls_conf *conf, const char *host,
                  const char *what, aser_err *err)
{
    *out = NULL;
    if (role == ASER_TLS_SERVER) { /* a context of its own */
        aser_tls_ctx *x;
        int rc = aser__tls_ctx_new(&x, conf, what, err);
        if (rc == 0) rc = aser__tls_new_server(out, x, what, err);
        aser__tls_ctx_unref(x);
        return rc;
    }
    aser_tls *t = calloc(1, sizeof *t);
    if (!t) return aser__err(err, ASER_ENOMEM, "%s: out of memory for TLS", what);
    snprintf(t->host, sizeof t->host, "%s", host ? host : "");
    snprintf(t->what, sizeof t->what, "%s", what);
    int rc = ASER_ENOMEM;
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx) goto fail;
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    rc = load_files(t, conf, err);
    if (rc < 0) goto out;
    rc = ASER_ENOMEM;
    t->ssl = SSL_new(t->ctx);
    t->in = BIO_new(BIO_s_mem());
    t->out = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->in || !t->out) {
        BIO_free(t->in);
        BIO_free(t->out);
        t->in = t->out = NULL;
        goto fail;
    }
    BIO_set_mem_eof_return(t->in, -1); /* empty means "wait", not "end" */
    SSL_set_bio(t->ssl, t->in, t->out);
    SSL_set_connect_state(t->ssl);
    if (set_peer(t, t->host) < 0) goto fail;
    *out = t;
    return 0;
fail:
    rc = aser__err(err, rc, "%s: cannot set up TLS: %s", what, ssl_reason());
out:
    ERR_clear_error();
    aser__tls_free(t);
    return rc;
}

void aser__tls_free(aser_tls *t)
{
    if (!t) return;
    SSL_free(t->ssl); /* frees the BIOs */
    SSL_CTX_free(t->ctx);
    aser__tls_ctx_unref(t->sctx);
    free(t);
}

/* ---- the server role --------------------------------------------------------------- */

#define MAKE_CERT                                                                         \
    "make one: openssl req -x509 -newkey rsa:2048 -nodes -days 365 -keyout key.pem -out " \
    "cert.pem -subj /CN=HOST -addext subjectAltName=DNS:HOST"

static int srv_unreadable(const char *what, const char *thing, const char *file, aser_err *err)
{
    if (access(file, R_OK) == 0) return 0;
    return aser__err(err, ASER_EINVAL, "%s: cannot read %s %s (%s): give a readable PEM file", what,
                     thing, file, strerror(errno));
}

static int srv_conf_err(const char *what, const char *thing, const char *file, const char *fix,
                        aser_err *err)
{
    int rc = aser__err(err, ASER_EINVAL, "%s: cannot use %s %s (%s): %s", what, thing, file,
                       ssl_reason(), fix);
    ERR_clear_error();
    return rc;
}

/* The certificate's validity, for a warning: an expired server
 * certificate still loads (the operator may be about to replace it and
 * SIGHUP), but every verifying client will refuse it. */
static void check_dates(aser_tls_ctx *x, const char *what, const char *file)
{
    X509 *c = SSL_CTX_get0_certificate(x->ctx);
    if (!c) return;
    const char *state = X509_cmp_current_time(X509_get0_notAfter(c)) < 0    ? "expired on"
                        : X509_cmp_current_time(X509_get0_notBefore(c)) > 0 ? "is not valid before"
                                                                            : NULL;
    if (!state) return;
    char when[64] = "?";
    BIO *b = BIO_new(BIO_s_mem());
    if (b && ASN1_TIME_print(b, strcmp(state, "expired on") ? X509_get0_notBefore(c)
                                                            : X509_get0_notAfter(c)) == 1) {
        int n = BIO_read(b, when, (int)sizeof when - 1);
        when[n > 0 ? n : 0] = '\0';
    }
    BIO_free(b);
    snprintf(x->warning, sizeof x->warning,
             "%s: the certificate %s %s %s: clients will refuse it; renew it (" MAKE_CERT
             ") and reload",
             what, file, state, when);
}

static int srv_load(aser_tls_ctx *x, const aser_tls_conf *c, const char *what, aser_err *err)
{
    const char *ca = c && c->ca_file && *c->ca_file ? c->ca_file : NULL;
    const char *cert = c && c->cert_file && *c->cert_file ? c->cert_file : NULL;
    const char *key = c && c->key_file && *c->key_file ? c->key_file : NULL;
    if (!cert || !key)
        return aser__err(
            err, ASER_EINVAL,
            "%s: TLS needs a certificate and its key (--tls-cert, --tls-key); " MAKE_CERT, what);
    int rc = srv_unreadable(what, "the certificate", cert, err);
    if (rc == 0) rc = srv_unreadable(what, "the key", key, err);
    if (rc == 0 && ca) rc = srv_unreadable(what, "the client CA file", ca, err);
    if (rc < 0) return rc;
    if (SSL_CTX_use_certificate_chain_file(x->ctx, cert) != 1)
        return srv_conf_err(what, "the certificate", cert, "give a PEM certificate (" MAKE_CERT ")",
                            err);
    if (SSL_CTX_use_PrivateKey_file(x->ctx, key, SSL_FILETYPE_PEM) != 1)
        return srv_conf_err(what, "the private key", key,
                            ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH
                                ? "it does not match the certificate; give the key it was made "
                                  "with"
                                : "give the certificate's PEM key, unencrypted",
                            err);
    if (SSL_CTX_check_private_key(x->ctx) != 1)
        return srv_conf_err(what, "the private key", key,
                            "it does not match the certificate; give the key it was made with",
                            err);
    check_dates(x, what, cert);
    if (!ca) return 0;
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
    if (SSL_CTX_load_verify_locations(x->ctx, ca, NULL) != 1 || !names) {
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        return srv_conf_err(what, "the client CA file", ca,
                            "give the PEM certificate of the CA that signs the clients' "
                            "certificates",
                            err);
    }
    SSL_CTX_set_client_CA_list(x->ctx, names); /* the CA names sent to clients */
    SSL_CTX_set_verify(x->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    snprintf(x->ca, sizeof x->ca, "%s", ca);
    return 0;
}

int aser__tls_ctx_new(aser_tls_ctx **out, const aser_tls_conf *conf, const char *what,
                      aser_err *err)
{
    *out = NULL;
    aser_tls_ctx *x = calloc(1, sizeof *x);
    if (!x) return aser__err(err, ASER_ENOMEM, "%s: out of memory for TLS", what);
    x->refs = 1;
    x->ctx = SSL_CTX_new(TLS_server_method());
    if (!x->ctx) {
        int rc = aser__err(err, ASER_ENOMEM, "%s: cannot set up TLS: %s", what, ssl_reason());
        ERR_clear_error();
        free(x);
        return rc;
    }
    SSL_CTX_set_min_proto_version(x->ctx, TLS1_2_VERSION);
    /* Resumed sessions keep their verified client: one id for them all. */
    SSL_CTX_set_session_id_context(x->ctx, (const unsigned char *)"aserial", 7);
    int rc = srv_load(x, conf, what, err);
    if (rc < 0) {
        ERR_clear_error();
        aser__tls_ctx_unref(x);
        return rc;
    }
    *out = x;
    return 0;
}

aser_tls_ctx *aser__tls_ctx_ref(aser_tls_ctx *x)
{
    if (x) x->refs++;
    return x;
}

void aser__tls_ctx_unref(aser_tls_ctx *x)
{
    if (!x || --x->refs) return;
    SSL_CTX_free(x->ctx);
    free(x);
}

const char *aser__tls_ctx_warning(const aser_tls_ctx *x)
{
    return x ? x->warning : "";
}

int aser__tls_new_server(aser_tls **out, aser_tls_ctx *x, const char *what, aser_err *err)
{
    *out = NULL;
    aser_tls *t = calloc(1, sizeof *t);
    if (!t) return aser__err(err, ASER_ENOMEM, "%s: out of memory for TLS", what);
    snprintf(t->what, sizeof t->what, "%s", what);
    t->server = true;
    t->sctx = aser__tls_ctx_ref(x);
    t->ssl = SSL_new(x->ctx);
    t->in = t->ssl ? BIO_new(BIO_s_mem()) : NULL;
    t->out = t->in ? BIO_new(BIO_s_mem()) : NULL;
    if (!t->out) {
        BIO_free(t->in);
        t->in = NULL;
        int rc = aser__err(err, ASER_ENOMEM, "%s: cannot set up TLS: %s", what, ssl_reason());
        ERR_clear_error();
        aser__tls_free(t);
        return rc;
    }
    BIO_set_mem_eof_return(t->in, -1);
    SSL_set_bio(t->ssl, t->in, t->out);
    SSL_set_accept_state(t->ssl);
    *out = t;
    return 0;
}

/* Why a client's handshake failed, in the server's words, without a
 * prefix: the server logs it after the client's name. */
static void server_failed(aser_tls *t, int e)
{
    long v = SSL_get_verify_result(t->ssl);
    unsigned long last = ERR_peek_last_error();
    int reason = last ? ERR_GET_REASON(last) : 0;
    const char *ca = t->sctx->ca;
    if (v != X509_V_OK)
        snprintf(t->why, sizeof t->why,
                 "its certificate was refused (%s): it must be signed by the CA in %s",
                 X509_verify_cert_error_string(v), ca);
    else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
        snprintf(t->why, sizeof t->why,
                 "it sent no client certificate; this export requires one signed by the CA "
                 "in %s",
                 ca);
    else if (reason == SSL_R_HTTP_REQUEST)
        snprintf(t->why, sizeof t->why, "it sent plain HTTP to a TLS port: use https:// or wss://");
    else if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_UNKNOWN_PROTOCOL ||
             reason == SSL_R_PACKET_LENGTH_TOO_LONG || reason == SSL_R_RECORD_LENGTH_MISMATCH)
        snprintf(t->why, sizeof t->why,
                 "not a TLS client (%s): this port speaks TLS only (tcp+tls://, "
                 "rfc2217+tls://, wss://)",
                 ssl_reason());
    else if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_NO_PROTOCOLS_AVAILABLE ||
             reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION)
        snprintf(t->why, sizeof t->why,
                 "it offers only TLS versions older than 1.2 (%s), which aserial refuses",
                 ssl_reason());
    else if (e == SSL_ERROR_SSL)
        snprintf(t->why, sizeof t->why, "the TLS handshake failed (%s)", ssl_reason());
    else
        snprintf(t->why, sizeof t->why, "the TLS handshake failed (error %d)", e);
}

/* ---- bytes in, bytes out ---------------------------------------------------------- */

int aser__tls_feed(aser_tls *t, const void *cipher, size_t n)
{
    if (n == 0) return 0;
    if (n > INT32_MAX) return ASER_EINVAL;
    return BIO_write(t->in, cipher, (int)n) == (int)n ? 0 : ASER_ENOMEM;
}

size_t aser__tls_pending(aser_tls *t)
{
    return BIO_ctrl_pending(t->out);
}

size_t aser__tls_take(aser_tls *t, void *buf, size_t n)
{
    int r = BIO_read(t->out, buf, (int)ASER_MIN(n, (size_t)INT32_MAX));
    return r > 0 ? (size_t)r : 0;
}

/* Decrypted bytes waiting, or a whole record fed and not yet opened (a
 * read then makes progress: it never answers "feed more" to this). A
 * partial record does not count, so a caller that reads again whenever
 * this is true never spins. */
bool aser__tls_buffered(aser_tls *t)
{
    if (SSL_pending(t->ssl) > 0) return true;
    if (!SSL_is_init_finished(t->ssl)) return false;
    char *p;
    long n = BIO_get_mem_data(t->in, &p);
    if (n < 5) return false;
    const unsigned char *h = (const unsigned char *)p; /* type, version, length */
    return (size_t)n >= 5u + ((size_t)h[3] << 8 | h[4]);
}

const char *aser__tls_error(aser_tls *t)
{
    return t->why;
}

void aser__tls_close_notify(aser_tls *t)
{
    if (!t || t->shut || t->fatal || !SSL_is_init_finished(t->ssl)) return;
    t->shut = true;
    ERR_clear_error();
    (void)SSL_shutdown(t->ssl); /* writes the alert into out; the answer is not awaited */
    ERR_clear_error();
}

/* ---- why a handshake failed ------------------------------------------------------ */

static void not_after(SSL *ssl, char *buf, size_t cap)
{
    snprintf(buf, cap, "?");
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    X509 *c = chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : NULL;
    BIO *b = c ? BIO_new(BIO_s_mem()) : NULL;
    if (!b) return;
    if (ASN1_TIME_print(b, X509_get0_notAfter(c)) == 1) {
        int n = BIO_read(b, buf, (int)cap - 1);
        buf[n > 0 ? n : 0] = '\0';
    }
    BIO_free(b);
}

static void verify_msg(aser_tls *t, long v, char *m, size_t cap)
{
    char when[64];
    switch (v) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        not_after(t->ssl, when, sizeof when);
        snprintf(m, cap,
                 "%s: the server's certificate has expired (valid until %s): renew "
                 "it on the server, or check this machine's clock",
                 t->what, when);
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        snprintf(m, cap,
                 "%s: the server's certificate is not valid yet: check the clocks of "
                 "this machine and the server",
                 t->what);
        break;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        snprintf(m, cap,
                 "%s: the server's certificate is self-signed and not trusted here: "
                 "pass it (or its CA) with ?ca=FILE",
                 t->what);
        break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        snprintf(m, cap,
                 "%s: the server's certificate is signed by a CA this machine does "
                 "not trust: pass that CA with ?ca=FILE",
                 t->what);
        break;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        snprintf(m, cap,
                 "%s: the server's certificate is not for \"%.100s\": connect with "
                 "a name the certificate carries, or give the server a certificate for "
                 "\"%.60s\"",
                 t->what, t->host, t->host);
        break;
    default:
        snprintf(m, cap, "%s: the server's certificate was refused: %s", t->what,
                 X509_verify_cert_error_string(v));
    }
}

static int failed(aser_tls *t, int e, char *msg, size_t cap)
{
    t->fatal = true;
    if (t->server) {
        server_failed(t, e);
        ERR_clear_error();
        if (msg) snprintf(msg, cap, "%s", t->why);
        return ASER_EPROTO;
    }
    long v = SSL_get_verify_result(t->ssl);
    unsigned long last = ERR_peek_last_error();
    int reason = last ? ERR_GET_REASON(last) : 0;
    if (v != X509_V_OK)
        verify_msg(t, v, t->why, sizeof t->why);
    else if (reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION || reason == SSL_R_UNSUPPORTED_PROTOCOL ||
             reason == SSL_R_NO_PROTOCOLS_AVAILABLE)
        snprintf(t->why, sizeof t->why,
                 "%s: the server offers only TLS versions older than 1.2 (%s), which "
                 "aserial refuses: enable TLS 1.2 or 1.3 on the server",
                 t->what, ssl_reason());
    else if (e == SSL_ERROR_SSL)
        snprintf(t->why, sizeof t->why,
                 "%s: the TLS handshake failed (%s): is the server "
                 "speaking TLS 1.2 or later on this port? (use %s for a plain one)",
                 t->what, ssl_reason(),
                 strstr(t->what, "wss://") ? "ws://" : "the scheme without +tls");
    else
        snprintf(t->why, sizeof t->why, "%s: the TLS handshake failed (error %d)", t->what, e);
    ERR_clear_error();
    if (msg) snprintf(msg, cap, "%s", t->why);
    return ASER_EPROTO;
}

int aser__tls_handshake(aser_tls *t, char *msg, size_t cap)
{
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) return 0;
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return ASER_EAGAIN;
    return failed(t, e, msg, cap);
}

ssize_t aser__tls_read(aser_tls *t, void *plain, size_t n)
{
    size_t got = 0;
    ERR_clear_error();
    int r = SSL_read_ex(t->ssl, plain, n, &got);
    if (r == 1) return (ssize_t)got;
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return ASER_EAGAIN;
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    t->fatal = true;
    snprintf(t->why, sizeof t->why, "%s%sTLS error: %s", t->server ? "" : t->what,
             t->server ? "" : ": ", ssl_reason());
    ERR_clear_error();
    return ASER_EPROTO;
}

ssize_t aser__tls_write(aser_tls *t, const void *plain, size_t n)
{
    size_t done = 0;
    if (n == 0) return 0;
    ERR_clear_error();
    int r = SSL_write_ex(t->ssl, plain, ASER_MIN(n, (size_t)16384), &done);
    if (r == 1) return (ssize_t)done;
    t->fatal = true;
    snprintf(t->why, sizeof t->why, "%s: TLS error: %s", t->what, ssl_reason());
    ERR_clear_error();
    return ASER_EPROTO;
}

#endif
