/* test-stream.c: the network stream (src/net/stream.h) alone, both ends
 * in this process over a socket pair with small buffers, so every drain
 * meets a full socket: plain and through TLS (a client session and a
 * server session, certificates made here by `openssl req`), the
 * handshake step by step from both sides, a session handed to another
 * stream of the same fd (what the web listener does with a WebSocket),
 * the goodbye seen as the end, and a server refusing a peer that does not
 * speak TLS. Nothing waits: each side is stepped in turn until done, with
 * a bound on the steps. */
#define _GNU_SOURCE
#include "codec/tls.h"
#include "net/stream.h"
#include "test.h"
#include "util/bytequeue.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define BIG (1024u * 1024u)
#define STEPS 100000 /* far above what any exchange here needs (a few hundred) */

static char dir[64];

static void sh(const char *cmd)
{
    char full[2048];
    snprintf(full, sizeof full, "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
    CHECKM(system(full) == 0, "failed: %s", cmd);
}

/* A CA and a server certificate for localhost signed by it (EC: fast). */
static void make_certs(void)
{
    snprintf(dir, sizeof dir, "/tmp/aserial-stream-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
       "-keyout ca.key -out ca.pem -days 2 -subj /CN=test-CA");
    sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key "
       "-out srv.csr -subj /CN=localhost");
    sh("printf 'subjectAltName=DNS:localhost\\n' > san.ext && openssl x509 -req "
       "-in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext "
       "-out srv.pem");
}

static void drop_certs(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

/* Two streams on the ends of a socket pair with 4 KiB send buffers. */
static void pair(aser_stream *a, aser_stream *b)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    int small = 4096;
    for (int i = 0; i < 2; i++)
        CHECK(setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
    aser__stream_init(a, NULL, NULL, NULL);
    aser__stream_init(b, NULL, NULL, NULL);
    a->fd = sv[0];
    b->fd = sv[1];
}

static void pattern(uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(i * 31u + i / 251u);
}

/* q drained through a while b reads it all into got: the bytes arrive
 * whole and in order, and the drain said ASER_EAGAIN (a full socket) on
 * the way. */
static void transfer(aser_stream *a, aser_stream *b, aser_bq *q, uint8_t *got, size_t n)
{
    size_t have = 0, fulls = 0;
    for (int step = 0; step < STEPS && (have < n || aser__bq_size(q) || aser__stream_pending(a));
         step++) {
        int rc = aser__stream_flush(a); /* what a writable socket gets: the cipher left, */
        CHECKM(rc == 0 || rc == ASER_EAGAIN, "flush: %d", rc);
        if (rc == 0) rc = aser__stream_drain(a, q); /* then the queue */
        CHECKM(rc == 0 || rc == ASER_EAGAIN, "drain: %d", rc);
        fulls += rc == ASER_EAGAIN;
        if (rc == ASER_EAGAIN && aser__stream_pending(a))
            CHECK_EQ(aser__stream_write(a, "x", 1), ASER_EAGAIN); /* nothing more taken */
        ssize_t r = aser__stream_read(b, got + have, n - have);
        CHECKM(r > 0 || r == ASER_EAGAIN, "read: %zd", r);
        if (r > 0) have += (size_t)r;
    }
    CHECK_EQ(have, n);
    CHECK_EQ(aser__bq_size(q), 0);
    CHECK(!aser__stream_pending(a));
    CHECK(fulls > 0);
}

static void check_end(aser_stream *b)
{
    uint8_t x[16];
    ssize_t r = ASER_EAGAIN;
    for (int step = 0; step < STEPS && r == ASER_EAGAIN; step++) r = aser__stream_read(b, x, 16);
    CHECK_EQ(r, 0);
}

TEST(stream, plain_drain_read_and_end)
{
    aser_stream a, b;
    pair(&a, &b);
    static uint8_t want[BIG], got[BIG];
    pattern(want, BIG);
    aser_bq q = {0};
    CHECK_EQ(aser__bq_append(&q, want, BIG, SIZE_MAX), 0);
    transfer(&a, &b, &q, got, BIG);
    CHECK_MEM(got, want, BIG);
    CHECK(!aser__stream_pending(&a) && !aser__stream_buffered(&b));
    CHECK_EQ(aser__stream_io_mask(&a, ASER_EV_READ), ASER_EV_READ); /* plain: as asked */
    aser__stream_goodbye(&a);                                       /* plain: nothing to say */
    aser__stream_close(&a);
    CHECK_EQ(a.fd, -1);
    check_end(&b);
    aser__stream_close(&b);
    aser__bq_free(&q);
}

/* Step both handshakes until both are done. */
static void handshake(aser_stream *client, aser_stream *server)
{
    char why[300];
    int code = 0;
    aser_hs_result c = ASER_HS_AGAIN, s = ASER_HS_AGAIN;
    for (int step = 0; step < STEPS && (c != ASER_HS_DONE || s != ASER_HS_DONE); step++) {
        if (c != ASER_HS_DONE) c = aser__stream_handshake(client, 0, why, sizeof why, &code);
        CHECKM(c == ASER_HS_DONE || c == ASER_HS_AGAIN, "client: %d %s", (int)c, why);
        if (s != ASER_HS_DONE) s = aser__stream_handshake(server, 8, why, sizeof why, &code);
        CHECKM(s == ASER_HS_DONE || s == ASER_HS_AGAIN, "server: %d %s", (int)s, why);
    }
    CHECK(c == ASER_HS_DONE && s == ASER_HS_DONE);
    CHECK(!client->handshaking && !server->handshaking);
}

static aser_tls_ctx *server_ctx(void)
{
    char cert[128], key[128];
    snprintf(cert, sizeof cert, "%s/srv.pem", dir);
    snprintf(key, sizeof key, "%s/srv.key", dir);
    aser_tls_conf conf = {.cert_file = cert, .key_file = key};
    aser_tls_ctx *x = NULL;
    aser_err err = {0};
    int rc = aser__tls_ctx_new(&x, &conf, "test-stream", &err);
    if (rc == ASER_ENOTSUP) {
        drop_certs();
        at_skip("built without TLS");
    }
    CHECKM(rc == 0, "%s", err.msg);
    return x;
}

/* A client and a server stream with their sessions, handshakes done. */
static void tls_pair(aser_stream *client, aser_stream *server, aser_tls_ctx *x)
{
    char ca[128];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    aser_tls_conf conf = {.ca_file = ca};
    aser_err err = {0};
    pair(client, server);
    CHECKM(aser__stream_tls_client(client, &conf, "localhost", "test", &err) == 0, "%s", err.msg);
    CHECKM(aser__stream_tls_server(server, x, "client test", &err) == 0, "%s", err.msg);
    CHECK(client->handshaking && server->handshaking);
    handshake(client, server);
}

TEST_T(stream, tls_both_ways_and_goodbye, 60)
{
    make_certs();
    aser_tls_ctx *x = server_ctx();
    aser_stream c, s;
    tls_pair(&c, &s, x);
    static uint8_t want[BIG], got[BIG];
    pattern(want, BIG);
    aser_bq q = {0};
    CHECK_EQ(aser__bq_append(&q, want, BIG, SIZE_MAX), 0);
    transfer(&c, &s, &q, got, BIG); /* client to server, cipher left waiting on the way */
    CHECK_MEM(got, want, BIG);
    memset(got, 0, BIG);
    CHECK_EQ(aser__bq_append(&q, want, BIG / 4, SIZE_MAX), 0);
    transfer(&s, &c, &q, got, BIG / 4); /* and back */
    CHECK_MEM(got, want, BIG / 4);
    aser__stream_goodbye(&c); /* a close_notify: the server reads the end */
    check_end(&s);
    aser__stream_close(&c);
    aser__stream_close(&s);
    aser__bq_free(&q);
    aser__tls_ctx_unref(x);
    drop_certs();
}

TEST_T(stream, a_session_moves_to_another_stream_of_its_fd, 60)
{
    make_certs();
    aser_tls_ctx *x = server_ctx();
    aser_stream c, s, owner;
    tls_pair(&c, &s, x);
    CHECK_EQ(aser__stream_write(&c, "hello", 5), 5);
    aser__stream_init(&owner, NULL, NULL, NULL);
    owner.fd = s.fd;
    aser__stream_take_tls(&owner, &s); /* the web listener handing a WebSocket over */
    CHECK(s.tls == NULL && s.fd == owner.fd && owner.tls != NULL);
    uint8_t b[8];
    ssize_t r = ASER_EAGAIN;
    for (int step = 0; step < STEPS && r == ASER_EAGAIN; step++)
        r = aser__stream_read(&owner, b, 8);
    CHECK_EQ(r, 5);
    CHECK_MEM(b, "hello", 5);
    aser__stream_forget_fd(&s); /* the fd is the new owner's */
    aser__stream_close(&s);
    aser__stream_close(&owner);
    aser__stream_close(&c);
    aser__tls_ctx_unref(x);
    drop_certs();
}

TEST_T(stream, tls_server_refuses_a_plain_peer, 60)
{
    make_certs();
    aser_tls_ctx *x = server_ctx();
    aser_stream plain, s;
    pair(&plain, &s);
    aser_err err = {0};
    CHECKM(aser__stream_tls_server(&s, x, "client test", &err) == 0, "%s", err.msg);
    const char *get = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    CHECK_EQ(aser__stream_write(&plain, get, strlen(get)), (ssize_t)strlen(get));
    char why[300] = "";
    int code = 0;
    CHECK_EQ(aser__stream_handshake(&s, 8, why, sizeof why, &code), ASER_HS_PROTO);
    CHECKM(why[0] != '\0', "a refusal says why");
    at_log("refusal: %s", why);
    aser__stream_close(&plain); /* then a hang-up mid-handshake is told apart */
    aser__stream_close(&s);
    aser__tls_ctx_unref(x);
    drop_certs();
}
