/* test-tls.c (codec): the TLS filter, src/codec/tls.c, with no socket at
 * all: the client session talks to an OpenSSL server object on memory BIOs
 * inside this test, the bytes carried between them whole and one byte at a
 * time. Handshake, data both ways (a record larger than the reads: the
 * rest stays buffered and is reported so), close_notify, refusals (a
 * self-signed server, another host name, garbage instead of a handshake,
 * from a buffer that ends at an unreadable page), and the server role
 * (our client against our server: data both ways whole and byte by byte,
 * the server's close_notify, a required client certificate missing, plain
 * HTTP, bad files).
 * Certificates are made by `openssl req` in a temp dir. */
#define _GNU_SOURCE
#include "codec/tls.h"

#include "../test.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

typedef struct rec {
    char log[64];
    size_t n;
} rec;
#include "codec-test.h" /* guarded() */

static char dir[64];

static void sh(const char *cmd)
{
    char full[2048];
    snprintf(full, sizeof full, "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
    CHECKM(system(full) == 0, "failed: %s", cmd);
}

static void make_certs(void)
{
    snprintf(dir, sizeof dir, "/tmp/aserial-tlsc-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
       "-keyout ca.key -out ca.pem -days 2 -subj /CN=test-CA");
    sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key "
       "-out srv.csr -subj /CN=localhost && printf 'subjectAltName=DNS:localhost\\n' > san && "
       "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
       "-extfile san -out srv.pem");
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
       "-keyout self.key -out self.pem -days 2 -subj /CN=localhost "
       "-addext subjectAltName=DNS:localhost");
}

static void drop_certs(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

static char *path(const char *name)
{
    static char p[4][128];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
    return p[i];
}

/* ---- the server on memory BIOs ---------------------------------------------------- */

typedef struct srv {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in, *out;
} srv;

static void srv_new(srv *s, const char *cert)
{
    char c[32], k[32];
    snprintf(c, sizeof c, "%s.pem", cert);
    snprintf(k, sizeof k, "%s.key", cert);
    s->ctx = SSL_CTX_new(TLS_server_method());
    CHECK(s->ctx);
    CHECK(SSL_CTX_use_certificate_file(s->ctx, path(c), SSL_FILETYPE_PEM) == 1);
    CHECK(SSL_CTX_use_PrivateKey_file(s->ctx, path(k), SSL_FILETYPE_PEM) == 1);
    s->ssl = SSL_new(s->ctx);
    s->in = BIO_new(BIO_s_mem());
    s->out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(s->in, -1);
    SSL_set_bio(s->ssl, s->in, s->out);
    SSL_set_accept_state(s->ssl);
}

static void srv_free(srv *s)
{
    SSL_free(s->ssl);
    SSL_CTX_free(s->ctx);
}

/* Carry what each side has for the other, chunk bytes at a time. */
static void carry(aser_tls *t, srv *s, size_t chunk)
{
    uint8_t buf[8192];
    size_t n;
    while ((n = aser__tls_take(t, buf, chunk < sizeof buf ? chunk : sizeof buf)) > 0)
        CHECK(BIO_write(s->in, buf, (int)n) == (int)n);
    int r;
    while ((r = BIO_read(s->out, buf, (int)(chunk < sizeof buf ? chunk : sizeof buf))) > 0)
        CHECK_EQ(aser__tls_feed(t, buf, (size_t)r), 0);
}

/* Run both handshakes to the end (or the client's failure): its result. */
static int handshake(aser_tls *t, srv *s, size_t chunk, char *msg, size_t cap)
{
    int rc = ASER_EAGAIN;
    for (int i = 0; i < 100000 && rc == ASER_EAGAIN; i++) {
        rc = aser__tls_handshake(t, msg, cap);
        (void)SSL_do_handshake(s->ssl);
        carry(t, s, chunk);
        if (rc == 0 && !SSL_is_init_finished(s->ssl)) rc = ASER_EAGAIN;
    }
    return rc;
}

static aser_tls *client(const char *ca, const char *host)
{
    aser_tls *t = NULL;
    aser_err err = {0};
    aser_tls_conf conf = {.ca_file = ca ? path(ca) : NULL};
    CHECKM(aser__tls_new(&t, ASER_TLS_CLIENT, &conf, host, "tcp+tls://test:1", &err) == 0, "%s",
           err.msg);
    return t;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void data_both_ways(size_t chunk)
{
    make_certs();
    srv s;
    srv_new(&s, "srv");
    aser_tls *t = client("ca.pem", "localhost");
    char msg[600] = "";
    CHECKM(handshake(t, &s, chunk, msg, sizeof msg) == 0, "%s", msg);
    CHECK_EQ(aser__tls_write(t, "hello", 5), 5);
    carry(t, &s, chunk);
    char got[16];
    CHECK_EQ(SSL_read(s.ssl, got, sizeof got), 5);
    CHECK(memcmp(got, "hello", 5) == 0);
    /* 40000 bytes from the server: three records, read 1000 at a time */
    static uint8_t big[40000], back[40000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 31 + 7);
    CHECK_EQ(SSL_write(s.ssl, big, sizeof big), (int)sizeof big);
    carry(t, &s, chunk);
    size_t have = 0;
    while (have < sizeof back) {
        ssize_t r = aser__tls_read(t, back + have, 1000);
        CHECKM(r > 0, "read at %zu: %zd", have, r);
        have += (size_t)r;
        if (have < sizeof back) CHECK(aser__tls_buffered(t)); /* the rest is inside */
    }
    CHECK(!aser__tls_buffered(t));
    CHECK_MEM(back, big, sizeof big);
    CHECK_EQ(aser__tls_read(t, back, 10), ASER_EAGAIN);
    /* close_notify: the end of the stream */
    CHECK(SSL_shutdown(s.ssl) >= 0);
    carry(t, &s, chunk);
    CHECK_EQ(aser__tls_read(t, back, 10), 0);
    aser__tls_free(t);
    srv_free(&s);
    drop_certs();
}

TEST(tls_codec, data_both_ways_whole)
{
    data_both_ways(SIZE_MAX);
}

TEST_T(tls_codec, data_both_ways_byte_by_byte, 60)
{
    data_both_ways(1);
}

TEST(tls_codec, self_signed_server_is_refused)
{
    make_certs();
    srv s;
    srv_new(&s, "self");
    aser_tls *t = client("ca.pem", "localhost");
    char msg[600] = "";
    CHECK_EQ(handshake(t, &s, 7, msg, sizeof msg), ASER_EPROTO);
    CHECK_STR(msg, "tcp+tls://test:1: the server's certificate is self-signed and not trusted "
                   "here: pass it (or its CA) with ?ca=FILE");
    CHECK_STR(aser__tls_error(t), msg);
    aser__tls_free(t);
    srv_free(&s);
    drop_certs();
}

TEST(tls_codec, another_host_is_refused)
{
    make_certs();
    srv s;
    srv_new(&s, "srv");
    aser_tls *t = client("ca.pem", "lab7.example");
    char msg[600] = "";
    CHECK_EQ(handshake(t, &s, SIZE_MAX, msg, sizeof msg), ASER_EPROTO);
    CHECK_CONTAINS(msg, "the server's certificate is not for \"lab7.example\"");
    aser__tls_free(t);
    srv_free(&s);
    drop_certs();
}

TEST(tls_codec, garbage_is_not_tls)
{
    static const char text[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    void *map;
    size_t maplen;
    uint8_t *in = guarded((const uint8_t *)text, sizeof text - 1, &map, &maplen);
    aser_tls *t = client(NULL, "localhost");
    char msg[600] = "";
    CHECK_EQ(aser__tls_handshake(t, msg, sizeof msg), ASER_EAGAIN);
    CHECK(aser__tls_pending(t) > 0); /* the ClientHello */
    CHECK_EQ(aser__tls_feed(t, in, sizeof text - 1), 0);
    CHECK_EQ(aser__tls_handshake(t, msg, sizeof msg), ASER_EPROTO);
    CHECK_CONTAINS(msg, "tcp+tls://test:1: the TLS handshake failed (");
    CHECK_CONTAINS(msg, "is the server speaking TLS 1.2 or later on this port?");
    aser__tls_free(t);
    munmap(map, maplen);
}

/* ---- the server role: our client against our server ------------------------------ */

/* Carry cipher both ways between two of our sessions, chunk at a time. */
static void carry2(aser_tls *a, aser_tls *b, size_t chunk)
{
    uint8_t buf[8192];
    size_t cap = chunk < sizeof buf ? chunk : sizeof buf, n;
    while ((n = aser__tls_take(a, buf, cap)) > 0) CHECK_EQ(aser__tls_feed(b, buf, n), 0);
    while ((n = aser__tls_take(b, buf, cap)) > 0) CHECK_EQ(aser__tls_feed(a, buf, n), 0);
}

/* Both handshakes to the end or a failure: the client's result in *crc,
 * the server's returned (messages in cmsg, smsg). */
static int handshake2(aser_tls *c, aser_tls *sv, size_t chunk, int *crc, char *cmsg, char *smsg)
{
    int rc = ASER_EAGAIN, src = ASER_EAGAIN;
    for (int i = 0; i < 100000 && (rc == ASER_EAGAIN || src == ASER_EAGAIN); i++) {
        if (rc == ASER_EAGAIN) rc = aser__tls_handshake(c, cmsg, 600);
        if (src == ASER_EAGAIN) src = aser__tls_handshake(sv, smsg, 600);
        carry2(c, sv, chunk);
        if (rc == ASER_EPROTO || src == ASER_EPROTO) break;
    }
    *crc = rc;
    return src;
}

static aser_tls *server(aser_tls_ctx **x, const char *ca)
{
    aser_err err = {0};
    aser_tls_conf conf = {
        .cert_file = path("srv.pem"), .key_file = path("srv.key"), .ca_file = ca ? path(ca) : NULL};
    CHECKM(aser__tls_ctx_new(x, &conf, "test", &err) == 0, "%s", err.msg);
    aser_tls *t = NULL;
    CHECKM(aser__tls_new_server(&t, *x, "client 127.0.0.1:9", &err) == 0, "%s", err.msg);
    return t;
}

static void server_both_ways(size_t chunk)
{
    make_certs();
    aser_tls_ctx *x;
    aser_tls *sv = server(&x, NULL), *c = client("ca.pem", "localhost");
    aser__tls_ctx_unref(x); /* the session holds its own reference */
    char cmsg[600] = "", smsg[600] = "";
    int crc, src = handshake2(c, sv, chunk, &crc, cmsg, smsg);
    CHECKM(crc == 0 && src == 0, "client %d %s / server %d %s", crc, cmsg, src, smsg);
    CHECK_EQ(aser__tls_write(c, "to the server", 13), 13);
    CHECK_EQ(aser__tls_write(sv, "to the client", 13), 13);
    carry2(c, sv, chunk);
    char buf[64];
    size_t got = 0;
    for (int i = 0; i < 100 && got < 13; i++) {
        ssize_t r = aser__tls_read(sv, buf + got, sizeof buf - got);
        if (r > 0) got += (size_t)r;
        carry2(c, sv, chunk);
    }
    CHECK_EQ(got, 13);
    CHECK_MEM(buf, "to the server", 13);
    got = 0;
    for (int i = 0; i < 100 && got < 13; i++) {
        ssize_t r = aser__tls_read(c, buf + got, sizeof buf - got);
        if (r > 0) got += (size_t)r;
        carry2(c, sv, chunk);
    }
    CHECK_EQ(got, 13);
    CHECK_MEM(buf, "to the client", 13);
    aser__tls_close_notify(sv); /* the server closes cleanly: the client reads its end */
    aser__tls_close_notify(sv); /* once */
    carry2(c, sv, chunk);
    ssize_t end = ASER_EAGAIN;
    for (int i = 0; i < 100 && end == ASER_EAGAIN; i++) end = aser__tls_read(c, buf, sizeof buf);
    CHECK_EQ(end, 0);
    aser__tls_free(c);
    aser__tls_free(sv);
    drop_certs();
}

TEST(tls_codec, server_role_data_both_ways_whole)
{
    server_both_ways(1 << 20);
}

TEST(tls_codec, server_role_data_both_ways_byte_by_byte)
{
    server_both_ways(1);
}

/* With a client CA: a client without a certificate is refused, in the
 * server's words; the server's files are checked at load. */
TEST(tls_codec, server_role_refusals)
{
    make_certs();
    aser_tls_ctx *x;
    aser_tls *sv = server(&x, "ca.pem"), *c = client("ca.pem", "localhost");
    char cmsg[600] = "", smsg[600] = "";
    int crc, src = handshake2(c, sv, 1 << 20, &crc, cmsg, smsg);
    CHECK_EQ(src, ASER_EPROTO);
    CHECK_CONTAINS(smsg, "it sent no client certificate; this export requires one signed by "
                         "the CA in ");
    CHECK(strncmp(smsg, "client", 6) != 0); /* no prefix: the server logs it after the name */
    aser__tls_free(c);
    aser__tls_free(sv);
    /* garbage for a ClientHello */
    CHECK(aser__tls_ctx_ref(x) == x); /* a second reference, dropped below */
    aser_err err = {0};
    CHECK(aser__tls_new_server(&sv, x, "client 127.0.0.1:9", &err) == 0);
    CHECK_EQ(aser__tls_feed(sv, "GET / HTTP/1.1\r\n\r\n", 18), 0);
    CHECK_EQ(aser__tls_handshake(sv, smsg, sizeof smsg), ASER_EPROTO);
    CHECK_CONTAINS(smsg, "it sent plain HTTP to a TLS port");
    aser__tls_free(sv);
    aser__tls_ctx_unref(x);
    aser__tls_ctx_unref(x);
    /* files */
    aser_tls_conf conf = {.cert_file = path("srv.pem")};
    CHECK_EQ(aser__tls_ctx_new(&x, &conf, "test", &err), ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "TLS needs a certificate and its key");
    CHECK(x == NULL);
    conf.key_file = path("self.key");
    CHECK_EQ(aser__tls_ctx_new(&x, &conf, "test", &err), ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "does not match the certificate");
    conf.key_file = path("srv.key");
    conf.ca_file = path("missing.pem");
    CHECK_EQ(aser__tls_ctx_new(&x, &conf, "test", &err), ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "cannot read the client CA file");
    /* aser__tls_new's server role: a context of its own */
    aser_tls *t = (aser_tls *)1;
    conf.ca_file = NULL;
    CHECK(aser__tls_new(&t, ASER_TLS_SERVER, &conf, NULL, "x", &err) == 0);
    aser__tls_free(t);
    drop_certs();
}
