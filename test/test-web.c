/* test-web.c: aser_web (aserial.h section 10) on every loop: the ws://
 * client transport talks to an export; JSON control from a hand-made
 * WebSocket client reaches the mock device's lines and the device's lines
 * come back as JSON; the listener's refusals (token, Origin, unknown
 * export, max clients), kick-old among browsers, and its argument checks; a stopped server leaves
 * its export. */
#define _GNU_SOURCE
#include "aserial/testing.h"
#include "internal.h"
#include "net-helpers.h"

#include <sys/resource.h>

typedef struct fx {
    aser_loop *loop;
    aser_mock *m;
    aser_port *host, *dev;
    aser_server *s;
    aser_web *w;
    int port;
} fx;

/* What the fixture's web listener logged: the lines that hold "cannot
 * accept" (its out-of-fds report), and the last of them. */
static int fx_accept_lines;
static char fx_accept_last[300];

static void fx_log(aser_web *w, const char *text, void *ctx)
{
    (void)w, (void)ctx;
    if (!strstr(text, "cannot accept")) return;
    fx_accept_lines++;
    snprintf(fx_accept_last, sizeof fx_accept_last, "%s", text);
}

static fx fx_open(const char *token, unsigned max_clients, bool kick_old)
{
    fx f = {.loop = ut_loop_new()};
    CHECK(aser_mock_new(f.loop, "web", &f.m) == 0);
    CHECKM(aser_open(f.loop, "mock://web", NULL, &f.host, &err) == 0, "%s", err.msg);
    CHECK(aser_mock_open_peer(f.m, NULL, &f.dev) == 0);
    aser_server_opts so = {.max_clients = max_clients, .kick_old = kick_old};
    CHECKM(aser_server_start(f.host, &so, &f.s, &err) == 0, "%s", err.msg);
    aser_web_opts wo = {.listen = "127.0.0.1:0", .token = token, .cb = fx_log};
    CHECKM(aser_web_start(f.loop, &wo, &f.w, &err) == 0, "%s", err.msg);
    CHECKM(aser_web_export(f.w, "lab", f.s, &err) == 0, "%s", err.msg);
    f.port = aser_web_port(f.w);
    CHECK(f.port > 0);
    return f;
}

static void fx_close(fx *f)
{
    aser_web_stop(f->w);
    aser_server_stop(f->s);
    aser_close(f->dev);
    aser_close(f->host);
    ut_run_for(f->loop, 20);
    CHECK(aser_mock_free(f->m) == 0);
    ut_loop_free(f->loop);
}

/* An upgrade request with extra header lines; returns the socket after
 * reading the status line into status (pumping the loop). */
static int upgrade(fx *f, const char *path, const char *extra, char *status, size_t cap)
{
    int fd = tcp_connect(f->port);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s\r\n",
                     path, f->port, extra);
    ut_write_all(fd, req, (size_t)n);
    size_t got = read_pumping(f->loop, fd, status, 12, 3000);
    status[got < cap ? got : cap - 1] = '\0';
    return fd;
}

/* Read the rest of the HTTP head (after the status line's 12 bytes). */
static void skip_head(fx *f, int fd)
{
    char c4[4] = {0};
    for (int i = 0; i < 8192; i++) {
        char ch;
        if (read_pumping(f->loop, fd, &ch, 1, 3000) != 1) break;
        memmove(c4, c4 + 1, 3);
        c4[3] = ch;
        if (!memcmp(c4, "\r\n\r\n", 4)) return;
    }
    CHECKM(0, "no end of the HTTP head");
}

/* One masked text frame (mask key 0: the payload as it is). */
static void send_text(int fd, const char *json)
{
    uint8_t fr[200];
    size_t n = strlen(json);
    CHECK(n < 126);
    fr[0] = 0x81;
    fr[1] = (uint8_t)(0x80 | n);
    memset(fr + 2, 0, 4);
    memcpy(fr + 6, json, n);
    ut_write_all(fd, fr, n + 6);
}

/* Read server frames until a text one containing want. */
static bool wait_text(fx *f, int fd, const char *want)
{
    uint64_t end = at_now_ms() + 3000;
    while (at_now_ms() < end) {
        uint8_t h[2];
        if (read_pumping(f->loop, fd, h, 2, 3000) != 2) return false;
        size_t n = h[1] & 0x7f;
        if (n == 126) {
            uint8_t x[2];
            read_pumping(f->loop, fd, x, 2, 3000);
            n = (size_t)x[0] << 8 | x[1];
        }
        CHECK(n < 65536);
        static char pl[65536];
        if (read_pumping(f->loop, fd, pl, n, 3000) != n) return false;
        pl[n] = '\0';
        if ((h[0] & 0x0f) == 1 && strstr(pl, want)) return true;
    }
    return false;
}

TEST(web, the_ws_client_transport_talks_to_an_export)
{
    fx f = fx_open(NULL, 1, false);
    char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws/lab", f.port);
    aser_port *p;
    CHECKM(aser_open(f.loop, url, NULL, &p, &err) == 0, "%s", err.msg);
    uint8_t all[256];
    all_bytes(all, sizeof all);
    CHECK(aser_write(p, all, sizeof all, NULL, NULL) >= 0);
    ut_rec r = {0};
    CHECK(aser_read_exactly(f.dev, 256, 3000, ut_on_read, &r) > 0);
    ut_run_until(f.loop, &r.calls, 3000);
    CHECK_EQ(r.status, 0);
    CHECK_MEM(r.data, all, 256);
    CHECK_EQ(aser_server_clients(f.s), 1);
    CHECK(aser_write(f.dev, "pong", 4, NULL, NULL) >= 0);
    ut_rec r2 = {0};
    CHECK(aser_read_exactly(p, 4, 3000, ut_on_read, &r2) > 0);
    ut_run_until(f.loop, &r2.calls, 3000);
    CHECK_EQ(r2.status, 0);
    CHECK_MEM(r2.data, "pong", 4);
    aser_close(p);
    fx_close(&f);
}

TEST(web, json_control_reaches_the_lines_and_they_come_back)
{
    fx f = fx_open(NULL, 2, false);
    char st[16];
    int fd = upgrade(&f, "/ws/lab", "Origin: http://127.0.0.1:0\r\n", st, sizeof st);
    CHECK_STR(st, "HTTP/1.1 403"); /* another page's origin (port 0 is not this one) */
    close(fd);
    char origin[80];
    snprintf(origin, sizeof origin, "Origin: http://127.0.0.1:%d\r\n", f.port);
    fd = upgrade(&f, "/ws/lab", origin, st, sizeof st);
    CHECK_STR(st, "HTTP/1.1 101");
    skip_head(&f, fd);
    CHECK(wait_text(&f, fd, "\"type\":\"lines\""));
    /* DNS rebinding: another site's name pointed at 127.0.0.1, Origin matching it */
    int rb = tcp_connect(f.port);
    static const char reb[] = "GET /ws/lab HTTP/1.1\r\nHost: evil.example:80\r\n"
                              "Origin: http://evil.example:80\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Key: "
                              "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    ut_write_all(rb, reb, sizeof reb - 1);
    char rst[13] = {0};
    read_pumping(f.loop, rb, rst, 12, 3000);
    CHECK_STR(rst, "HTTP/1.1 403");
    close(rb);
    send_text(fd, "{\"type\":\"lines\",\"dtr\":true}");
    uint64_t end = at_now_ms() + 3000;
    while (!(aser_port_lines(f.dev) & ASER_LINE_DSR) && at_now_ms() < end)
        ut_loop_run_once(f.loop, 5);
    CHECK(aser_port_lines(f.dev) & ASER_LINE_DSR); /* the console's DTR is the device's DSR */
    send_text(fd, "{\"type\":\"lines\",\"dtr\":false}");
    end = at_now_ms() + 3000;
    while ((aser_port_lines(f.dev) & ASER_LINE_DSR) && at_now_ms() < end)
        ut_loop_run_once(f.loop, 5);
    CHECK(!(aser_port_lines(f.dev) & ASER_LINE_DSR));
    CHECK(aser_set_lines(f.dev, ASER_LINE_RTS, ASER_LINE_RTS) == 0);
    CHECK(wait_text(&f, fd, "\"cts\":true"));
    send_text(fd, "{\"type\":\"settings\",\"config\":\"9600,7E1\"}");
    CHECK(wait_text(&f, fd, "\"config\":\"9600,7E1"));
    send_text(fd, "{\"type\":\"lines\"");
    CHECK(wait_text(&f, fd, "bad control message"));
    aser_server_link_changed(f.s, ASER_LINK_LOST);
    CHECK(wait_text(&f, fd, "\"state\":\"lost\""));
    close(fd);
    fx_close(&f);
}

TEST(web, refusals_token_export_and_max_clients)
{
    fx f = fx_open("t0k-0123456789abcdef", 1, false);
    char st[16];
    int fd = upgrade(&f, "/ws/lab", "", st, sizeof st);
    CHECK_STR(st, "HTTP/1.1 401");
    close(fd);
    fd = upgrade(&f, "/ws/lab?token=nope", "", st, sizeof st);
    CHECK_STR(st, "HTTP/1.1 401");
    close(fd);
    fd = upgrade(&f, "/ws/other?token=t0k-0123456789abcdef", "", st, sizeof st);
    CHECK_STR(st, "HTTP/1.1 404");
    close(fd);
    int a = upgrade(&f, "/ws/lab", "Authorization: Bearer t0k-0123456789abcdef\r\n", st, sizeof st);
    CHECK_STR(st, "HTTP/1.1 101");
    fd = upgrade(&f, "/ws/lab?token=t0k-0123456789abcdef", "", st, sizeof st);
    CHECK_STR(st, "HTTP/1.1 503"); /* one client at most */
    close(fd);
    close(a);
    /* a stopped server leaves its export */
    aser_server_stop(f.s);
    f.s = NULL;
    fd = upgrade(&f, "/ws/lab?token=t0k-0123456789abcdef", "", st, sizeof st);
    CHECK_STR(st, "HTTP/1.1 404");
    close(fd);
    fx_close(&f);
}

/* Read frames until a close frame; its reason into why. */
static bool wait_close(fx *f, int fd, char *why, size_t cap)
{
    for (int i = 0; i < 20; i++) {
        uint8_t h[2];
        if (read_pumping(f->loop, fd, h, 2, 3000) != 2) return false;
        size_t n = h[1] & 0x7f;
        if (n == 126) {
            uint8_t x[2];
            read_pumping(f->loop, fd, x, 2, 3000);
            n = (size_t)x[0] << 8 | x[1];
        }
        static char pl[65536];
        if (read_pumping(f->loop, fd, pl, n, 3000) != n) return false;
        if ((h[0] & 0x0f) == 8) {
            snprintf(why, cap, "%.*s", n > 2 ? (int)(n - 2) : 0, pl + 2);
            return true;
        }
    }
    return false;
}

TEST(web, kick_old_replaces_the_oldest_browser)
{
    fx f = fx_open(NULL, 1, true);
    char st[16], why[128] = "";
    int a = upgrade(&f, "/ws/lab", "", st, sizeof st);
    CHECK_STR(st, "HTTP/1.1 101");
    skip_head(&f, a);
    int b = upgrade(&f, "/ws/lab", "", st, sizeof st);
    CHECK_STR(st, "HTTP/1.1 101");
    CHECK(wait_close(&f, a, why, sizeof why));
    CHECK_CONTAINS(why, "kick-old");
    CHECK_EQ(aser_server_clients(f.s), 1);
    close(a);
    close(b);
    fx_close(&f);
}

TEST(web, bad_arguments_are_refused_with_the_fix)
{
    aser_loop *loop = ut_loop_new();
    aser_web *w;
    CHECK_EQ(aser_web_start(loop, &(aser_web_opts){.listen = "0.0.0.0:0"}, &w, &err), ASER_EACCES);
    CHECK_CONTAINS(err.msg, "--web-token");
    CHECK_EQ(
        aser_web_start(loop, &(aser_web_opts){.listen = "127.0.0.1:0", .token = "a b"}, &w, &err),
        ASER_EINVAL);
    CHECK_EQ(aser_web_start(loop, &(aser_web_opts){.listen = "127.0.0.1:x"}, &w, &err),
             ASER_EBADURL);
    CHECK(aser_web_start(loop, &(aser_web_opts){.listen = "127.0.0.1:0"}, &w, &err) == 0);
    aser_mock *m;
    aser_port *host;
    aser_server *s;
    CHECK(aser_mock_new(loop, "args", &m) == 0);
    CHECK(aser_open(loop, "mock://args", NULL, &host, &err) == 0);
    CHECK_EQ(aser_server_start(host, &(aser_server_opts){.mode = ASER_SERVE_WEBSOCKET}, &s, &err),
             ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "aser_web_export");
    CHECK(aser_server_start(host, &(aser_server_opts){0}, &s, &err) == 0);
    CHECK_EQ(aser_server_port(s), ASER_EINVAL); /* no TCP listener */
    CHECK_EQ(aser_web_export(w, "a/b", s, &err), ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "letters");
    CHECK(aser_web_export(w, "ok", s, &err) == 0);
    CHECK_EQ(aser_web_export(w, "ok2", s, &err), ASER_EINVAL); /* already exported */
    aser_web_stop(w);
    aser_server_stop(s); /* after the web listener: nothing dangles */
    aser_close(host);
    ut_run_for(loop, 10);
    CHECK(aser_mock_free(m) == 0);
    ut_loop_free(loop);
}

/* The status code of an upgrade to /ws/lab on port with this Host header
 * (none: no Host line) and an Origin naming the same host. */
static int host_status(aser_loop *loop, int port, const char *host)
{
    int fd = tcp_connect(port);
    char req[600];
    int n = snprintf(req, sizeof req,
                     "GET /ws/lab HTTP/1.1\r\n%s%s%s%s%s%sUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     host ? "Host: " : "", host ? host : "", host ? "\r\n" : "",
                     host ? "Origin: http://" : "", host ? host : "", host ? "\r\n" : "");
    ut_write_all(fd, req, (size_t)n);
    char st[13] = {0};
    read_pumping(loop, fd, st, 12, 3000);
    close(fd);
    return atoi(st + 9);
}

TEST(web, host_must_be_a_loopback_literal_with_this_port_or_a_configured_name)
{
    fx f = fx_open(NULL, 16, false);
    char h[128];
    /* DNS rebinding shapes: names an attacker can point at 127.0.0.1 */
    static const char *const evil[] = {
        "127.evil.example", "127.0.0.1.nip.io", "localhost.evil", "127.1",
        "0x7f000001",       "2130706433",       "[::1].evil",     "[::ffff:7f00:1].evil",
        "lab.example",      "LOCALHOST.evil",
    };
    for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
        snprintf(h, sizeof h, "%s:%d", evil[i], f.port);
        CHECKM(host_status(f.loop, f.port, h) == 403, "Host %s was let in", h);
        CHECKM(host_status(f.loop, f.port, evil[i]) == 403, "Host %s was let in", evil[i]);
    }
    CHECK_EQ(host_status(f.loop, f.port, NULL), 400); /* no Host */
    CHECK_EQ(host_status(f.loop, f.port, ""), 400);
    /* the loopback literals, with this listener's port only */
    static const char *const good[] = {"127.0.0.1", "localhost", "[::1]",
                                       "LocalHost", "127.0.0.2", "[0:0:0:0:0:0:0:1]"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(h, sizeof h, "%s:%d", good[i], f.port);
        CHECKM(host_status(f.loop, f.port, h) == 101, "Host %s was refused", h);
        snprintf(h, sizeof h, "%s:%d", good[i], f.port == 9 ? 10 : 9);
        CHECKM(host_status(f.loop, f.port, h) == 403, "Host %s (another port) was let in", h);
        CHECKM(host_status(f.loop, f.port, good[i]) == 403, "Host %s (port 80) was let in",
               good[i]);
    }
    ut_run_for(f.loop, 20);
    fx_close(&f);

    /* names the operator configured: any port, or the one given */
    fx g = {.loop = ut_loop_new()};
    CHECK(aser_mock_new(g.loop, "web", &g.m) == 0);
    CHECKM(aser_open(g.loop, "mock://web", NULL, &g.host, &err) == 0, "%s", err.msg);
    CHECK(aser_mock_open_peer(g.m, NULL, &g.dev) == 0);
    CHECKM(aser_server_start(g.host, &(aser_server_opts){.max_clients = 8}, &g.s, &err) == 0, "%s",
           err.msg);
    aser_web_opts wo = {.listen = "127.0.0.1:0", .hosts = "lab.example, bench.example:8443"};
    CHECKM(aser_web_start(g.loop, &wo, &g.w, &err) == 0, "%s", err.msg);
    CHECKM(aser_web_export(g.w, "lab", g.s, &err) == 0, "%s", err.msg);
    g.port = aser_web_port(g.w);
    CHECK_EQ(host_status(g.loop, g.port, "lab.example"), 101);
    CHECK_EQ(host_status(g.loop, g.port, "Lab.Example:1234"), 101);
    CHECK_EQ(host_status(g.loop, g.port, "bench.example:8443"), 101);
    CHECK_EQ(host_status(g.loop, g.port, "bench.example:8444"), 403);
    CHECK_EQ(host_status(g.loop, g.port, "lab.example.evil"), 403);
    CHECK_EQ(host_status(g.loop, g.port, "127.lab.example"), 403);
    snprintf(h, sizeof h, "127.0.0.1:%d", g.port);
    CHECK_EQ(host_status(g.loop, g.port, h), 101);
    fx_close(&g);
    aser_loop *loop = ut_loop_new();
    aser_web *w;
    CHECK_EQ(
        aser_web_start(loop, &(aser_web_opts){.listen = "127.0.0.1:0", .hosts = "a b"}, &w, &err),
        ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "\"a b\"");
    ut_loop_free(loop);
}

/* CPU time this process used, ms. */
static uint64_t cpu_ms(void)
{
    struct rusage ru;
    CHECK(getrusage(RUSAGE_SELF, &ru) == 0);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000u +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000u;
}

TEST(web, out_of_fds_the_listener_pauses_instead_of_spinning)
{
    fx f = fx_open(NULL, 1, false);
    fx_accept_lines = 0;
    enum {
        N = 40
    };
    int cl[N];
    for (int i = 0; i < N; i++) { /* connected, waiting in the backlog */
        cl[i] = tcp_connect(f.port);
        char get[80];
        int n = snprintf(get, sizeof get, "GET /exports HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n",
                         f.port);
        ut_write_all(cl[i], get, (size_t)n);
    }
    struct rlimit old, low;
    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
    int top = dup(0); /* the lowest free fd: none from here up may be opened */
    CHECK(top > 0);
    close(top);
    low = old;
    low.rlim_cur = (rlim_t)top;
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
    uint64_t cpu0 = cpu_ms(), t0 = at_now_ms();
    while (at_now_ms() - t0 < 1000) ut_loop_run_once(f.loop, 50);
    uint64_t used = cpu_ms() - cpu0;
    CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
    at_log("CPU while out of fds for 1 s: %llu ms", (unsigned long long)used);
    CHECKM(used < 250, "the listener spun: %llu ms of CPU in 1 s", (unsigned long long)used);
    /* Said once in that second (told at the first pause), with the fix. */
    CHECK_EQ(fx_accept_lines, 1);
    CHECKM(strstr(fx_accept_last, "web: cannot accept connections") &&
               strstr(fx_accept_last, "ulimit -n"),
           "%s", fx_accept_last);
    /* fds again: the waiting clients are served */
    char st[13] = {0};
    CHECK_EQ(read_pumping(f.loop, cl[N - 1], st, 12, 5000), 12);
    CHECK_STR(st, "HTTP/1.1 200");
    for (int i = 0; i < N; i++) close(cl[i]);
    fx_close(&f);
}

/* A TCP connection to 127.0.0.1:port from the local address src. */
static int connect_from(const char *src, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    CHECK(fd >= 0 && inet_pton(AF_INET, src, &a.sin_addr) == 1);
    CHECKM(bind(fd, (struct sockaddr *)&a, sizeof a) == 0, "bind %s: %s", src, strerror(errno));
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECKM(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s", strerror(errno));
    return fd;
}

/* The status of GET path from src. */
static int get_status(aser_loop *loop, int port, const char *src, const char *path)
{
    int fd = connect_from(src, port);
    char req[300], st[13] = {0};
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
    ut_write_all(fd, req, (size_t)n);
    read_pumping(loop, fd, st, 12, 3000);
    close(fd);
    return atoi(st + 9);
}

typedef struct log_rec {
    int lines;
    char last[300];
} log_rec;

static void on_log(aser_web *w, const char *text, void *ctx)
{
    log_rec *r = ctx;
    (void)w;
    r->lines++;
    snprintf(r->last, sizeof r->last, "%s", text);
}

TEST(web, tokens_shorter_than_16_bytes_are_refused_at_start)
{
    aser_loop *loop = ut_loop_new();
    aser_web *w;
    CHECK_EQ(
        aser_web_start(loop, &(aser_web_opts){.listen = "127.0.0.1:0", .token = "t0k"}, &w, &err),
        ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "at least 16");
    CHECK(aser_web_start(loop,
                         &(aser_web_opts){.listen = "127.0.0.1:0", .token = "0123456789abcdef"}, &w,
                         &err) == 0);
    aser_web_stop(w);
    ut_run_for(loop, 10);
    ut_loop_free(loop);
}

TEST_T(web, wrong_tokens_back_off_per_source_and_their_log_is_throttled, 20)
{
    static const char tok[] = "correct-horse-battery";
    aser_loop *loop = ut_loop_new();
    log_rec lr = {0};
    aser_web *w;
    CHECKM(aser_web_start(
               loop,
               &(aser_web_opts){.listen = "127.0.0.1:0", .token = tok, .cb = on_log, .ctx = &lr},
               &w, &err) == 0,
           "%s", err.msg);
    int port = aser_web_port(w), n401 = 0, n429 = 0;
    for (int i = 0; i < 200; i++) {
        char path[64];
        snprintf(path, sizeof path, "/exports?token=guess%04d-xxxxxxxxxxx", i);
        int st = get_status(loop, port, "127.0.0.1", path);
        n401 += st == 401;
        n429 += st == 429;
    }
    at_log("200 wrong tokens: %d answered 401, %d 429; %d log lines", n401, n429, lr.lines);
    CHECK_EQ(n401, 5); /* then the source waits */
    CHECK_EQ(n429, 195);
    CHECK(lr.lines <= 12);
    /* while it waits, even the right token is not tried from there */
    CHECK_EQ(get_status(loop, port, "127.0.0.1", "/exports?token=correct-horse-battery"), 429);
    /* another source is not held up */
    CHECK_EQ(get_status(loop, port, "127.0.0.2", "/exports?token=correct-horse-battery"), 200);
    CHECK_EQ(get_status(loop, port, "127.0.0.2", "/exports"), 401); /* no token: no guess */
    /* the back-off ends (1 s after the 5th failure) */
    uint64_t end = at_now_ms() + 5000;
    int st;
    while ((st = get_status(loop, port, "127.0.0.1", "/exports?token=correct-horse-battery")) ==
               429 &&
           at_now_ms() < end)
        ut_run_for(loop, 100);
    CHECK_EQ(st, 200);
    aser_web_stop(w); /* the count of refusals not shown is told at the end */
    CHECK_CONTAINS(lr.last, "not shown");
    ut_run_for(loop, 10);
    ut_loop_free(loop);
}

/* A burst of complete requests larger than max_pending: each was sent
 * before the listener took it, so none may be reset to make room. */
TEST(web, a_burst_of_requests_already_sent_is_served_whole)
{
    aser_loop *loop = ut_loop_new();
    aser_web *w;
    CHECKM(aser_web_start(loop, &(aser_web_opts){.listen = "127.0.0.1:0", .max_pending = 8}, &w,
                          &err) == 0,
           "%s", err.msg);
    int port = aser_web_port(w), ok = 0;
    enum {
        N = 200
    };
    int fd[N];
    char req[100];
    int n = snprintf(req, sizeof req, "GET /exports HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", port);
    for (int i = 0; i < N; i++) {
        fd[i] = tcp_connect(port); /* the kernel's backlog holds them: the loop has not run */
        ut_write_all(fd[i], req, (size_t)n);
    }
    for (int i = 0; i < N; i++) {
        char st[13] = {0};
        read_pumping(loop, fd[i], st, 12, 5000);
        ok += !strcmp(st, "HTTP/1.1 200");
        close(fd[i]);
    }
    at_log("%d of %d requests sent at once were answered (max_pending 8)", ok, N);
    CHECK_EQ(ok, N);
    aser_web_stop(w);
    ut_run_for(loop, 10);
    ut_loop_free(loop);
}

/* One web listener takes hundreds of exports (it took 64: a fleet of
 * WebSocket ports needed a serve process per 64): /exports lists every
 * one and the last one answers over ws://. */
TEST(web, hundreds_of_exports_on_one_listener)
{
    enum {
        N = 300
    };
    aser_loop *loop = ut_loop_new();
    aser_web *w;
    CHECKM(aser_web_start(loop, &(aser_web_opts){.listen = "127.0.0.1:0"}, &w, &err) == 0, "%s",
           err.msg);
    static aser_port *dev[N];
    static aser_server *srv[N];
    for (int i = 0; i < N; i++) {
        char url[32], name[16];
        snprintf(url, sizeof url, "sim:web%d", i);
        snprintf(name, sizeof name, "p%d", i);
        CHECKM(aser_open(loop, url, NULL, &dev[i], &err) == 0, "%s", err.msg);
        CHECKM(aser_server_start(dev[i], &(aser_server_opts){0}, &srv[i], &err) == 0, "%s",
               err.msg);
        CHECKM(aser_web_export(w, name, srv[i], &err) == 0, "export %d: %s", i, err.msg);
    }
    int fd = tcp_connect(aser_web_port(w));
    char req[100];
    int n = snprintf(req, sizeof req, "GET /exports HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n",
                     aser_web_port(w));
    ut_write_all(fd, req, (size_t)n);
    static char body[N * 200 + 1024];
    size_t got = 0;
    uint64_t end = at_now_ms() + 5000;
    while (!strstr(body, "\"p299\"") && got < sizeof body - 1 && at_now_ms() < end) {
        ut_loop_run_once(loop, 5);
        ssize_t k = recv(fd, body + got, sizeof body - 1 - got, MSG_DONTWAIT);
        if (k > 0) got += (size_t)k;
        body[got] = '\0';
    }
    close(fd);
    CHECKM(strstr(body, "\"p0\"") && strstr(body, "\"p150\"") && strstr(body, "\"p299\""),
           "/exports lists all %d (%zu bytes read)", N, got);
    char url[80];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws/p299", aser_web_port(w));
    aser_port *p;
    CHECKM(aser_open(loop, url, NULL, &p, &err) == 0, "%s", err.msg);
    ut_rec r = {0};
    CHECK(aser_query(p, "*IDN?\n", 6, &(aser_query_opts){.timeout_ms = 5000}, ut_on_read, &r) > 0);
    ut_run_until(loop, &r.calls, 6000);
    CHECKM(r.status == 0 && r.len > 0, "the last export answers: status %d", r.status);
    aser_close(p);
    aser_web_stop(w);
    for (int i = 0; i < N; i++) {
        aser_server_stop(srv[i]);
        aser_close(dev[i]);
    }
    ut_run_for(loop, 20);
    ut_loop_free(loop);
}

/* Read frames until a close frame; its code (0: none, the socket closed). */
static int close_code(fx *f, int fd)
{
    for (int i = 0; i < 20; i++) {
        uint8_t h[2];
        if (read_pumping(f->loop, fd, h, 2, 3000) != 2) return 0;
        size_t n = h[1] & 0x7f;
        if (n == 126) {
            uint8_t x[2];
            read_pumping(f->loop, fd, x, 2, 3000);
            n = (size_t)x[0] << 8 | x[1];
        }
        static uint8_t pl[65536];
        if (read_pumping(f->loop, fd, pl, n, 3000) != n) return 0;
        if ((h[0] & 0x0f) == 8) return n >= 2 ? pl[0] << 8 | pl[1] : 1005;
    }
    return 0;
}

TEST(web, protocol_errors_close_with_a_close_frame_and_text_must_be_utf8)
{
    fx f = fx_open(NULL, 4, false);
    char st[16];
    /* reserved bits set: 1002, and the close frame arrives before the FIN */
    int fd = upgrade(&f, "/ws/lab", "", st, sizeof st);
    CHECK_STR(st, "HTTP/1.1 101");
    skip_head(&f, fd);
    static const uint8_t rsv[] = {0xc1, 0x80, 0, 0, 0, 0};
    ut_write_all(fd, rsv, sizeof rsv);
    CHECK_EQ(close_code(&f, fd), 1002);
    close(fd);
    /* a text message that is not UTF-8 (an overlong '/', a lone continuation, a surrogate): 1007 */
    static const uint8_t *const bad[] = {(const uint8_t *)"\xc0\xaf", (const uint8_t *)"a\x80",
                                         (const uint8_t *)"\xed\xa0\x80",
                                         (const uint8_t *)"\xe2\x82"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fd = upgrade(&f, "/ws/lab", "", st, sizeof st);
        CHECK_STR(st, "HTTP/1.1 101");
        skip_head(&f, fd);
        uint8_t fr[16] = {0x81, (uint8_t)(0x80 | strlen((const char *)bad[i])), 0, 0, 0, 0};
        memcpy(fr + 6, bad[i], strlen((const char *)bad[i]));
        ut_write_all(fd, fr, 6 + strlen((const char *)bad[i]));
        CHECKM(close_code(&f, fd) == 1007, "text %zu was taken", i);
        close(fd);
    }
    /* UTF-8 split across two frames of one message is fine */
    fd = upgrade(&f, "/ws/lab", "", st, sizeof st);
    CHECK_STR(st, "HTTP/1.1 101");
    skip_head(&f, fd);
    uint8_t msg[64];
    size_t n = 0;
    msg[n++] = 0x01; /* text, not final: {"x":"\xe2 */
    msg[n++] = 0x80 | 7;
    memset(msg + n, 0, 4), n += 4;
    memcpy(msg + n, "{\"x\":\"\xe2", 7), n += 7;
    msg[n++] = 0x80;     /* continuation, final: \x82\xac" */
    msg[n++] = 0x80 | 3; /* (no closing brace: answered, not applied) */
    memset(msg + n, 0, 4), n += 4;
    memcpy(msg + n, "\x82\xac\"", 3), n += 3;
    ut_write_all(fd, msg, n);
    CHECK(wait_text(&f, fd, "bad control message")); /* answered as JSON, not closed */
    close(fd);
    fx_close(&f);
}
