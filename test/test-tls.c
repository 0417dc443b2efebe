/* test-tls.c: the TLS clients (tcp+tls://, and through the same connector
 * rfc2217+tls:// and wss://) in both APIs and under every loop, against
 * socat's OPENSSL-LISTEN (a TLS echo: EXEC:cat) started here, with
 * certificates made here by `openssl req` in a temp dir. Covers what the
 * CLI tests (test/net/tls.py) do not reach: a large transfer in the async
 * API (cipher left waiting for the socket, plain bytes left inside the
 * session and replayed), a reconnect making a new session, refusals
 * delivered to pending operations, the open errors for bad files, and
 * the URL options. Each peer is killed by
 * the test that started it. */
#define _GNU_SOURCE
#include "aserial/testing.h"
#include "net-helpers.h"

#include <sys/stat.h>

static char dir[64];

static void sh(const char *cmd)
{
    char full[2048];
    snprintf(full, sizeof full, "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
    CHECKM(system(full) == 0, "failed: %s", cmd);
}

/* A CA, a server certificate for localhost and 127.0.0.1 signed by it,
 * and a self-signed one; EC keys (fast to make). */
static void make_certs(void)
{
    snprintf(dir, sizeof dir, "/tmp/aserial-tls-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
       "-keyout ca.key -out ca.pem -days 2 -subj /CN=test-CA");
    sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key "
       "-out srv.csr -subj /CN=localhost");
    sh("printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext && openssl x509 -req "
       "-in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext "
       "-out srv.pem");
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
       "-keyout self.key -out self.pem -days 2 -subj /CN=localhost "
       "-addext subjectAltName=DNS:localhost,IP:127.0.0.1");
}

static void drop_certs(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

/* socat OPENSSL-LISTEN on 127.0.0.1 echoing each client (fork): returns
 * its pid; *port is where it listens. */
static pid_t tls_echo(const char *cert, int *port)
{
    *port = dead_port();
    char addr[512];
    snprintf(addr, sizeof addr,
             "OPENSSL-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork,cert=%s/%s.pem,key=%s/%s.key,"
             "verify=0",
             *port, dir, cert, dir, cert);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execlp("socat", "socat", addr, "EXEC:cat", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) { /* fork: a probe connection costs nothing */
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)*port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
        close(fd);
        if (rc == 0) return pid;
        usleep(20000);
    }
    kill(pid, SIGTERM);
    reap(pid);
    CHECKM(false, "socat did not listen on %d", *port);
    return -1;
}

static void stop_peer(pid_t pid)
{
    kill(pid, SIGTERM);
    reap(pid);
}

static void url_of(char *url, size_t cap, const char *scheme, const char *host, int port,
                   const char *ca)
{
    if (ca)
        snprintf(url, cap, "%s://%s:%d?ca=%s/%s.pem", scheme, host, port, dir, ca);
    else
        snprintf(url, cap, "%s://%s:%d", scheme, host, port);
}

/* ---- URLs and files ------------------------------------------------------------------ */

TEST(tls, url_options_and_unreadable_files)
{
    aser_port *p;
    CHECK_EQ(aser_open(NULL, "tcp://lab1:2000?ca=/x.pem", NULL, &p, &err), ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "ca is not an option of tcp URLs");
    CHECK_EQ(aser_open(NULL, "rfc2217://lab1:2000?cert=/x.pem", NULL, &p, &err), ASER_EBADURL);
    CHECK_EQ(aser_open(NULL, "tcp+tls://lab1:2000?baud=9600", NULL, &p, &err), ASER_ENOTSUP);
    CHECK_CONTAINS(err.msg, "raw TCP carries data only");
    CHECK_EQ(aser_open(NULL, "tcp+tls://127.0.0.1:1?ca=/nonexistent/ca.pem", NULL, &p, &err),
             ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "cannot read /nonexistent/ca.pem (No such file or directory)");
    CHECK_EQ(aser_open(NULL, "wss://127.0.0.1:1/ws/x?cert=/etc/hostname", NULL, &p, &err),
             ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "needs both ?cert=FILE and ?key=FILE");
    CHECK_EQ(aser_open(NULL, "rfc2217+tls://127.0.0.1:1?ca=/etc/hostname", NULL, &p, &err),
             ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "cannot use the CA file /etc/hostname");
}

/* ---- data ------------------------------------------------------------------------------ */

static void on_written(aser_port *p, int status, void *ctx)
{
    (void)p;
    int *w = ctx;
    *w = status == 0 ? 1 : status;
}

/* 256 KiB through TLS and back in the async API: several records each
 * way, a socket that cannot take all the cipher at once, records larger
 * than one read. */
TEST_T(tls, async_echo_is_exact, 60)
{
    make_certs();
    int port;
    pid_t peer = tls_echo("srv", &port);
    aser_loop *loop = ut_loop_new();
    char url[256];
    url_of(url, sizeof url, "tcp+tls", "localhost", port, "ca");
    aser_port *p = NULL;
    CHECKM(aser_open(loop, url, NULL, &p, &err) == 0, "open: %s", err.msg);
    enum {
        N = 256 * 1024
    };
    static uint8_t out[N], in[N];
    for (size_t i = 0; i < N; i++) out[i] = (uint8_t)(i * 7 + (i >> 9));
    int w = 0;
    CHECK(aser_write(p, out, N, on_written, &w) >= 0);
    size_t got = 0;
    uint64_t end = at_now_ms() + 30000;
    while (got < N && at_now_ms() < end) {
        ut_rec *r = calloc(1, sizeof *r);
        CHECK(r);
        size_t want = N - got < 32768 ? N - got : 32768;
        CHECK(aser_read_exactly(p, want, 20000, ut_on_read, r) > 0);
        ut_run_until(loop, &r->calls, 25000);
        CHECKM(r->status == 0, "read: %s (%s)", aser_strerror(r->status), aser_port_errmsg(p));
        memcpy(in + got, r->data, r->len);
        got += r->len;
        free(r);
    }
    ut_run_until(loop, &w, 5000);
    CHECK_EQ(w, 1);
    CHECK_EQ(got, N);
    CHECK_MEM(in, out, N);
    close_and_free(loop, p);
    stop_peer(peer);
    drop_certs();
}

/* One record larger than the port's read buffer, and nobody reading for a
 * while: the buffer fills, the rest waits inside the TLS session (the
 * socket has nothing more to say), and must still come out when the
 * buffer is read. */
TEST_T(tls, bytes_inside_the_session_come_out_when_read, 30)
{
    make_certs();
    int port;
    pid_t peer = tls_echo("srv", &port);
    aser_loop *loop = ut_loop_new();
    char url[256];
    url_of(url, sizeof url, "tcp+tls", "localhost", port, "ca");
    aser_config cfg = ASER_CONFIG_DEFAULT;
    cfg.read_buffer = 4096;
    aser_port *p = NULL;
    CHECKM(aser_open(loop, url, &cfg, &p, &err) == 0, "open: %s", err.msg);
    static uint8_t out[7000];
    for (size_t i = 0; i < sizeof out; i++) out[i] = (uint8_t)(i * 13 + 5);
    int w = 0;
    CHECK(aser_write(p, out, sizeof out, on_written, &w) >= 0);
    ut_run_until(loop, &w, 5000);
    ut_run_for(loop, 400); /* the echo arrives; the buffer fills; nobody reads */
    ut_rec a = {0}, b = {0};
    CHECK(aser_read_exactly(p, 4096, 3000, ut_on_read, &a) > 0);
    ut_run_until(loop, &a.calls, 4000);
    CHECK_EQ(a.status, 0);
    CHECK(aser_read_exactly(p, sizeof out - 4096, 3000, ut_on_read, &b) > 0);
    ut_run_until(loop, &b.calls, 4000);
    CHECKM(b.status == 0, "the rest: %s", aser_strerror(b.status));
    CHECK_MEM(a.data, out, 4096);
    CHECK_MEM(b.data, out + 4096, sizeof out - 4096);
    close_and_free(loop, p);
    stop_peer(peer);
    drop_certs();
}

TEST_T(tls, blocking_query, 30)
{
    make_certs();
    int port;
    pid_t peer = tls_echo("srv", &port);
    char url[256];
    url_of(url, sizeof url, "tcp+tls", "127.0.0.1", port, "ca"); /* the IP entry */
    aser_port *p = NULL;
    CHECKM(aser_open(NULL, url, NULL, &p, &err) == 0, "open: %s", err.msg);
    char line[64];
    aser_query_opts qo = {.timeout_ms = 5000};
    ssize_t n = aser_query_sync(p, "*IDN?\n", 6, &qo, line, sizeof line);
    CHECKM(n > 0, "query: %s (%s)", aser_strerror((int)n), aser_port_errmsg(p));
    CHECK(memcmp(line, "*IDN?", 5) == 0);
    aser_close(p);
    stop_peer(peer);
    drop_certs();
}

/* ---- reconnect ------------------------------------------------------------------------ */

/* A listening socket on 127.0.0.1:port, seen in /proc/net/tcp (no probe
 * connection: a one-client peer would take it for its client). */
static bool listening(int port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    if (!f) return false;
    char line[256];
    bool found = false;
    unsigned lport, st;
    while (!found && fgets(line, sizeof line, f))
        if (sscanf(line, " %*d: %*8x:%x %*8x:%*x %x", &lport, &st) == 2)
            found = (int)lport == port && st == 0x0a;
    fclose(f);
    return found;
}

/* One-client socat TLS echo on a given port. */
static pid_t tls_echo_once(int port)
{
    char addr[512];
    snprintf(addr, sizeof addr,
             "OPENSSL-LISTEN:%d,bind=127.0.0.1,reuseaddr,cert=%s/srv.pem,key=%s/srv.key,verify=0",
             port, dir, dir);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execlp("socat", "socat", addr, "EXEC:cat", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 250 && !listening(port); i++) usleep(20000);
    CHECKM(listening(port), "socat did not listen on %d", port);
    return pid;
}

static void on_link(aser_port *p, aser_link_event ev, void *ctx)
{
    (void)p;
    int *n = ctx;
    n[ev]++;
}

static void echo_once(aser_loop *loop, aser_port *p, const char *s)
{
    ut_rec r = {0};
    size_t n = strlen(s);
    CHECK(aser_write(p, s, n, NULL, NULL) >= 0);
    CHECK(aser_read_exactly(p, n, 8000, ut_on_read, &r) > 0);
    ut_run_until(loop, &r.calls, 9000);
    CHECKM(r.status == 0, "read: %s (%s)", aser_strerror(r.status), aser_port_errmsg(p));
    CHECK_EQ(r.len, n);
    CHECK_MEM(r.data, s, n);
}

/* The server goes away and comes back: the reconnect makes a new TLS
 * session (a new handshake, verified again) and data flows again. */
TEST_T(tls, reconnect_makes_a_new_session, 40)
{
    make_certs();
    int port = dead_port();
    pid_t peer = tls_echo_once(port);
    aser_loop *loop = ut_loop_new();
    char url[256];
    url_of(url, sizeof url, "tcp+tls", "localhost", port, "ca");
    aser_port *p = NULL;
    CHECKM(aser_open(loop, url, NULL, &p, &err) == 0, "open: %s", err.msg);
    int ev[8] = {0};
    aser_reconnect_opts ro = {.enabled = true,
                              .min_delay_ms = 50,
                              .max_delay_ms = 200,
                              .wait_while_down = true,
                              .cb = on_link,
                              .ctx = ev};
    CHECK_EQ(aser_set_reconnect(p, &ro), 0);
    echo_once(loop, p, "before\n");
    stop_peer(peer); /* the one client's socat ends: the connection is lost */
    ut_run_until(loop, &ev[ASER_LINK_LOST], 5000);
    peer = tls_echo_once(port);
    ut_run_until(loop, &ev[ASER_LINK_RESTORED], 10000);
    echo_once(loop, p, "after\n");
    close_and_free(loop, p);
    stop_peer(peer);
    drop_certs();
}

/* ---- refusals -------------------------------------------------------------------------- */

/* A self-signed server: the pending read hears ASER_EPROTO, the message
 * names ?ca=. */
TEST_T(tls, async_refusal_fails_pending_operations, 30)
{
    make_certs();
    int port;
    pid_t peer = tls_echo("self", &port);
    aser_loop *loop = ut_loop_new();
    char url[256];
    url_of(url, sizeof url, "tcp+tls", "localhost", port, "ca");
    aser_port *p = NULL;
    CHECKM(aser_open(loop, url, NULL, &p, &err) == 0, "open: %s", err.msg);
    ut_rec r = {0};
    CHECK(aser_read(p, 16, 5000, ut_on_read, &r) > 0);
    ut_run_until(loop, &r.calls, 6000);
    CHECK_EQ(r.status, ASER_EPROTO);
    CHECK_CONTAINS(aser_port_errmsg(p), "self-signed and not trusted here");
    CHECK_CONTAINS(aser_port_errmsg(p), "?ca=FILE");
    close_and_free(loop, p);
    /* the blocking API gets the same from aser_open() */
    CHECK_EQ(aser_open(NULL, url, NULL, &p, &err), ASER_EPROTO);
    CHECK_CONTAINS(err.msg, "self-signed");
    /* and the server's own certificate as ?ca= makes it trusted */
    url_of(url, sizeof url, "tcp+tls", "localhost", port, "self");
    CHECKM(aser_open(NULL, url, NULL, &p, &err) == 0, "open: %s", err.msg);
    aser_close(p);
    stop_peer(peer);
    drop_certs();
}

/* A plain TCP peer that answers the ClientHello with text. */
TEST(tls, plain_peer_is_named)
{
    int port, lfd = listener(4, &port);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int c = accept(lfd, NULL, NULL);
        char b[512];
        (void)!read(c, b, sizeof b);
        (void)!write(c, "220 plain service ready\r\n", 25);
        usleep(500000);
        _exit(0);
    }
    close(lfd);
    char url[128];
    snprintf(url, sizeof url, "rfc2217+tls://127.0.0.1:%d?connect_timeout=3000", port);
    aser_port *p;
    CHECK_EQ(aser_open(NULL, url, NULL, &p, &err), ASER_EPROTO);
    CHECK_CONTAINS(err.msg, "the TLS handshake failed (wrong version number)");
    CHECK_CONTAINS(err.msg, "is the server speaking TLS 1.2 or later on this port?");
    reap(pid);
}

/* ---- the server side (aser_server_opts.tls_*) ----------------------------------------- */

/* Write n bytes to the pty master while the loop runs (the server reads
 * the slave only from the loop). */
static void master_write(aser_loop *loop, int m, const uint8_t *b, size_t n)
{
    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
    uint64_t end = at_now_ms() + 10000;
    while (n && at_now_ms() < end) {
        ssize_t w = write(m, b, n < 1024 ? n : 1024);
        if (w > 0) b += w, n -= (size_t)w;
        ut_loop_run_once(loop, 1);
    }
    CHECKM(n == 0, "%zu bytes not written to the pty", n);
}

static aser_port *tls_client(aser_loop *loop, int port)
{
    char url[256];
    url_of(url, sizeof url, "tcp+tls", "localhost", port, "ca");
    aser_port *p = NULL;
    CHECKM(aser_open(loop, url, NULL, &p, &err) == 0, "open: %s", err.msg);
    return p;
}

static void read_n(aser_loop *loop, aser_port *p, uint8_t *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ut_rec r = {0};
        CHECK(aser_read(p, n - got, 8000, ut_on_read, &r) > 0);
        ut_run_until(loop, &r.calls, 9000);
        CHECKM(r.status == 0, "read: %s (%s)", aser_strerror(r.status), aser_port_errmsg(p));
        memcpy(out + got, r.data, r.len);
        got += r.len;
    }
}

/* 64 KiB each way through a TLS export (several records, the session's
 * replay), a read-only listener beside it (its bytes dropped and
 * reported, the port's data still reaching it), and a reload that keeps
 * the connected client. */
TEST_T(tls, server_round_trip_access_and_reload, 60)
{
    make_certs();
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64], cert[128], key[128];
    snprintf(cert, sizeof cert, "%s/srv.pem", dir);
    snprintf(key, sizeof key, "%s/srv.key", dir);
    aser_port *dev;
    srv_rec rec = {0};
    aser_server *s = serve_pty(loop, &m, slave, sizeof slave, &dev,
                               (aser_server_opts){.mode = ASER_SERVE_RAW,
                                                  .max_clients = 4,
                                                  .tls_cert = cert,
                                                  .tls_key = key,
                                                  .cb = on_srv,
                                                  .ctx = &rec});
    int ro = aser_server_listen_access(s, "127.0.0.1:0", ASER_SERVE_RAW, ASER_ACCESS_READ_ONLY,
                                       &err);
    CHECKM(ro > 0, "%s", err.msg);
    aser_port *p = tls_client(loop, aser_server_port(s));
    enum {
        N = 64 * 1024
    };
    static uint8_t out[N], in[N];
    for (size_t i = 0; i < N; i++) out[i] = (uint8_t)(i * 11 + (i >> 8));
    CHECK(aser_write(p, out, N, NULL, NULL) >= 0);
    CHECK_EQ(read_pumping(loop, m, in, N, 20000), (size_t)N);
    CHECK_MEM(in, out, N);
    master_write(loop, m, out, N);
    memset(in, 0, N);
    read_n(loop, p, in, N);
    CHECK_MEM(in, out, N);
    CHECK_EQ(rec.count[ASER_SERVER_CLIENT_OPEN], 1);

    aser_port *q = tls_client(loop, ro);
    CHECK(aser_write(q, "from a monitor\n", 15, NULL, NULL) >= 0);
    ut_run_until(loop, &rec.count[ASER_SERVER_CONFIG], 5000);
    CHECK_CONTAINS(rec.last[ASER_SERVER_CONFIG], "refused: a read-only client");
    ut_run_for(loop, 100);
    uint8_t junk[64];
    CHECK(try_read(m, junk, sizeof junk) <= 0); /* nothing reached the port */
    master_write(loop, m, (const uint8_t *)"to both\n", 8);
    read_n(loop, q, in, 8);
    CHECK_MEM(in, "to both\n", 8);
    read_n(loop, p, in, 8);
    CHECK_MEM(in, "to both\n", 8);

    const char *warning = NULL;
    CHECKM(aser_server_reload_tls(s, &warning, &err) == 0, "%s", err.msg);
    CHECK(warning && !warning[0]);
    CHECK(aser_write(p, "still here\n", 11, NULL, NULL) >= 0);
    CHECK_EQ(read_pumping(loop, m, in, 11, 5000), (size_t)11);
    CHECK_MEM(in, "still here\n", 11);
    aser_port *r = tls_client(loop, aser_server_port(s)); /* the reloaded context */
    CHECK(aser_write(r, "newcomer\n", 9, NULL, NULL) >= 0);
    CHECK_EQ(read_pumping(loop, m, in, 9, 5000), (size_t)9);
    CHECK_MEM(in, "newcomer\n", 9);
    aser_close(r);
    aser_close(q);
    aser_close(p);
    ut_run_for(loop, 20);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
    drop_certs();
}

/* A plain TCP client of a TLS export is refused (reported with the
 * reason) and never becomes a client of the port. */
TEST_T(tls, server_refuses_a_plain_client, 30)
{
    make_certs();
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64], cert[128], key[128];
    snprintf(cert, sizeof cert, "%s/srv.pem", dir);
    snprintf(key, sizeof key, "%s/srv.key", dir);
    aser_port *dev;
    srv_rec rec = {0};
    aser_server *s = serve_pty(
        loop, &m, slave, sizeof slave, &dev,
        (aser_server_opts){
            .mode = ASER_SERVE_RAW, .tls_cert = cert, .tls_key = key, .cb = on_srv, .ctx = &rec});
    int fd = tcp_connect(aser_server_port(s));
    ut_write_all(fd, "plain words\r\n", 13);
    wait_closed(loop, fd, 3000);
    close(fd);
    CHECK_EQ(rec.count[ASER_SERVER_CLIENT_REFUSED], 1);
    CHECK_EQ(rec.count[ASER_SERVER_CLIENT_OPEN], 0);
    CHECK_CONTAINS(rec.last[ASER_SERVER_CLIENT_REFUSED], "not a TLS client");
    uint8_t junk[64];
    CHECK(try_read(m, junk, sizeof junk) <= 0);
    /* a silent one is closed at the handshake deadline (negotiate_timeout) */
    aser_server_stop(s);
    ut_run_for(loop, 10);
    close(m);
    close_and_free(loop, dev);
    drop_certs();
}

TEST(tls, server_options_are_checked)
{
    make_certs();
    aser_loop *loop = ut_loop_new();
    aser_mock *mk;
    aser_port *host;
    aser_server *s;
    char cert[128], key[128];
    snprintf(cert, sizeof cert, "%s/srv.pem", dir);
    snprintf(key, sizeof key, "%s/srv.key", dir);
    CHECK(aser_mock_new(loop, "tlsopts", &mk) == 0);
    CHECK(aser_open(loop, "mock://tlsopts", NULL, &host, &err) == 0);
    aser_server_opts o = {.listen = "127.0.0.1:0", .tls_cert = "/nonexistent.pem", .tls_key = key};
    CHECK_EQ(aser_server_start(host, &o, &s, &err), ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "cannot read the certificate /nonexistent.pem");
    o = (aser_server_opts){.listen = "127.0.0.1:0", .tls_cert = cert};
    CHECK_EQ(aser_server_start(host, &o, &s, &err), ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "--tls-key");
    o = (aser_server_opts){.listen = "127.0.0.1:0", .tls_cert = cert, .tls_key = cert};
    CHECK_EQ(aser_server_start(host, &o, &s, &err), ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "the private key");
    o = (aser_server_opts){.listen = "0.0.0.0:0"};
    CHECK_EQ(aser_server_start(host, &o, &s, &err), ASER_EACCES);
    CHECK_CONTAINS(err.msg, "is beyond loopback");
    CHECK_CONTAINS(err.msg, "openssl req -x509");
    CHECK_CONTAINS(err.msg, "--insecure");
    o = (aser_server_opts){.listen = "127.0.0.1:0"};
    CHECKM(aser_server_start(host, &o, &s, &err) == 0, "%s", err.msg);
    CHECK_EQ(aser_server_listen(s, "10.1.2.3:0", ASER_SERVE_RAW, &err), ASER_EACCES);
    CHECK_EQ(aser_server_listen(s, "127.example.com:0", ASER_SERVE_RAW, &err), ASER_EACCES);
    CHECK_EQ(
        aser_server_listen_access(s, "127.0.0.1:0", ASER_SERVE_RAW, (aser_server_access)9, &err),
        ASER_EINVAL);
    CHECK(aser_server_listen(s, "127.0.0.2:0", ASER_SERVE_RAW, &err) > 0); /* 127/8 */
    CHECK_EQ(aser_server_reload_tls(s, NULL, &err), ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "with TLS");
    aser_server_stop(s);
    aser_web *w;
    CHECK_EQ(aser_web_start(loop,
                            &(aser_web_opts){.listen = "0.0.0.0:0", .token = "0123456789abcdef"},
                            &w, &err),
             ASER_EACCES);
    CHECK_CONTAINS(err.msg, "--insecure");
    CHECKM(aser_web_start(
               loop, &(aser_web_opts){.listen = "127.0.0.1:0", .tls_cert = cert, .tls_key = key},
               &w, &err) == 0,
           "%s", err.msg);
    CHECKM(aser_web_reload_tls(w, NULL, &err) == 0, "%s", err.msg);
    aser_web_stop(w);
    CHECKM(aser_web_start(loop, &(aser_web_opts){.listen = "127.0.0.1:0"}, &w, &err) == 0, "%s",
           err.msg);
    CHECK_EQ(aser_web_reload_tls(w, NULL, &err), ASER_EINVAL);
    aser_web_stop(w);
    ut_run_for(loop, 10);
    aser_close(host);
    aser_mock_free(mk);
    ut_run_for(loop, 10);
    ut_loop_free(loop);
    drop_certs();
}
