/* test-net-server.c: aser_server's promises (aserial.h section 10): every
 * RFC 2217 request answered even on a line-less pty, garbage closing only
 * the client that sent it, max clients with refusal or kick-old, and a
 * slow client dropped while the serial side keeps flowing to the others. */
#define _GNU_SOURCE
#include "internal.h"
#include "net-helpers.h"
#include "transport/transport.h" /* aser__conn: a pty made to take the UART break path */

#include <sys/resource.h>
#include <time.h>

/* ---- the server's client policies --------------------------------------------------------- */

TEST(net, server_answers_every_request_on_a_pty)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64];
    aser_port *dev;
    aser_server *s = serve_pty(loop, &m, slave, sizeof slave, &dev, (aser_server_opts){0});
    int fd = tcp_connect(aser_server_port(s));
    /* What pyserial's client sends on open, then the queries: each needs an answer. */
    static const uint8_t reqs[] = {
        255, 251, 44, 255, 253, 44,                       /* WILL, DO COM-PORT */
        255, 250, 44, 1,   0,   0,   0x4b, 0,   255, 240, /* baud 19200 */
        255, 250, 44, 2,   8,   255, 240,  255, 250, 44,  3,   1,   255, 240, 255,
        250, 44,  4,  1,   255, 240, 255,  250, 44,  5,   1,   255, 240, 255, 250,
        44,  5,   8,  255, 240, 255, 250,  44,  5,   11,  255, 240,           /* DTR, RTS on */
        255, 250, 44, 5,   7,   255, 240,  255, 250, 44,  5,   4,   255, 240, /* queries */
        255, 250, 44, 12,  1,   255, 240,  255, 250, 44,  12,  2,   255, 240, /* purges */
        255, 250, 44, 10,  0,   255, 240,  255, 250, 44,  11,  255, 255, 255, 240};
    ut_write_all(fd, reqs, sizeof reqs);
    static const uint8_t want[][3] = {{101, 0, 0}, {102, 8},  {103, 1},  {104, 1}, {105, 1},
                                      {105, 8},    {105, 11}, {105, 8},  {105, 6}, {112, 1},
                                      {112, 2},    {110, 0},  {111, 255}};
    const size_t NWANT = sizeof want / sizeof want[0];
    uint8_t in[4096];
    size_t len = 0;
    uint64_t end = at_now_ms() + 3000;
    size_t found = 0;
    while (found < NWANT && at_now_ms() < end) {
        ssize_t r = try_read(fd, in + len, sizeof in - len);
        if (r > 0) len += (size_t)r;
        ut_loop_run_once(loop, 5);
        found = 0;
        for (size_t i = 0; i < NWANT; i++) {
            uint8_t pat[5] = {255, 250, 44, want[i][0], want[i][1]};
            if (memmem(in, len, pat, 5)) found++;
        }
    }
    CHECKM(found == NWANT, "%zu of %zu answers", found, NWANT);
    CHECK_EQ(pty_speed(slave), 19200);
    close(fd);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}

/* Issue 25: purging is a setting (aser_server(3)): a lock-settings
 * client's PURGE-DATA is refused, reported, and answered as RFC 2217
 * answers (with the value), and the bytes waiting in the port stay. */
TEST(net, server_lock_settings_client_may_not_purge)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64];
    aser_port *dev;
    srv_rec rec = {0};
    aser_server *s = serve_pty(
        loop, &m, slave, sizeof slave, &dev,
        (aser_server_opts){.access = ASER_ACCESS_LOCK_SETTINGS, .cb = on_srv, .ctx = &rec});
    int fd = tcp_connect(aser_server_port(s));
    static const uint8_t reqs[] = {255, 251, 44, 255, 253, 44,        /* WILL, DO COM-PORT */
                                   255, 250, 44, 12,  3,   255, 240}; /* PURGE-DATA both */
    ut_write_all(fd, reqs, sizeof reqs);
    uint8_t in[512];
    size_t len = 0;
    static const uint8_t answer[] = {255, 250, 44, 112, 3};
    uint64_t end = at_now_ms() + 3000;
    while (!memmem(in, len, answer, sizeof answer) && at_now_ms() < end) {
        ssize_t r = try_read(fd, in + len, sizeof in - len);
        if (r > 0) len += (size_t)r;
        ut_loop_run_once(loop, 5);
    }
    CHECK(memmem(in, len, answer, sizeof answer) != NULL); /* answered all the same */
    CHECK_EQ(rec.count[ASER_SERVER_CONFIG], 1);
    CHECK_CONTAINS(rec.last[ASER_SERVER_CONFIG], "PURGE-DATA refused: a lock-settings client");
    close(fd);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}

TEST(net, server_garbage_closes_that_client_only)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64], url[64];
    aser_port *dev, *p;
    srv_rec rec = {0};
    aser_server *s = serve_pty(loop, &m, slave, sizeof slave, &dev,
                               (aser_server_opts){.max_clients = 8, .cb = on_srv, .ctx = &rec});
    snprintf(url, sizeof url, "rfc2217://127.0.0.1:%d", aser_server_port(s));
    CHECKM(aser_open(loop, url, NULL, &p, &err) == 0, "%s", err.msg);
    int bad[4];
    uint8_t junk[8192];
    srand(7);
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)(rand() % 7 ? rand() : 255);
    for (int i = 0; i < 4; i++) {
        bad[i] = tcp_connect(aser_server_port(s));
        (void)send(bad[i], junk, sizeof junk, MSG_NOSIGNAL);
    }
    for (int i = 0; i < 4; i++) wait_closed(loop, bad[i], 3000);
    CHECK_CONTAINS(rec.last[ASER_SERVER_CLIENT_CLOSE], "protocol errors");
    char drop[65536]; /* the junk's data bytes reached the line: drop them */
    while (read(m, drop, sizeof drop) > 0) {
    }
    ut_write_all(m, "still here\n", 11);
    ut_rec r = {0};
    CHECK(aser_read_until(p, "\n", 1, 0, 3000, ut_on_read, &r) > 0);
    ut_run_until(loop, &r.calls, 3000);
    CHECK_EQ(r.status, 0);
    CHECK_MEM(r.data, "still here", 10);
    for (int i = 0; i < 4; i++) close(bad[i]);
    aser_close(p);
    ut_run_for(loop, 10);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}

TEST(net, server_max_clients_refuses_or_kicks_the_oldest)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64];
    aser_port *dev;
    srv_rec rec = {0};
    aser_server_opts o = {.mode = ASER_SERVE_RAW, .cb = on_srv, .ctx = &rec};
    aser_server *s = serve_pty(loop, &m, slave, sizeof slave, &dev, o);
    int a = tcp_connect(aser_server_port(s));
    ut_run_until(loop, &rec.count[ASER_SERVER_CLIENT_OPEN], 2000);
    int b = tcp_connect(aser_server_port(s));
    char why[256] = "";
    read_pumping(loop, b, why, sizeof why - 1, 2000); /* until the close */
    wait_closed(loop, b, 2000);                       /* max_clients 1: the newcomer is refused */
    CHECK_CONTAINS(why, "aserial: refused:");         /* told why, in one line, before the close */
    CHECK_CONTAINS(why, "already has 1 client (the most allowed)");
    CHECK(strchr(why, '\n') == strrchr(why, '\n') && strstr(why, "\r\n"));
    CHECK_EQ(rec.count[ASER_SERVER_CLIENT_REFUSED], 1);
    CHECK_CONTAINS(rec.last[ASER_SERVER_CLIENT_REFUSED], "--kick-old");
    CHECK_EQ(aser_server_clients(s), 1);
    aser_server_stop(s);
    ut_run_for(loop, 10);
    close(a);
    close(b);
    o.kick_old = true;
    CHECK(aser_server_start(dev,
                            &(aser_server_opts){.mode = ASER_SERVE_RAW,
                                                .kick_old = true,
                                                .listen = "127.0.0.1:0",
                                                .cb = on_srv,
                                                .ctx = &rec},
                            &s, &err) == 0);
    a = tcp_connect(aser_server_port(s));
    ut_run_until(loop, &rec.count[ASER_SERVER_CLIENT_OPEN], 2000);
    b = tcp_connect(aser_server_port(s));
    wait_closed(loop, a, 2000); /* kick-old: the oldest goes */
    CHECK_CONTAINS(rec.last[ASER_SERVER_CLIENT_CLOSE], "kick-old");
    ut_write_all(m, "to b", 4);
    char got[4];
    CHECK_EQ(read_pumping(loop, b, got, 4, 2000), 4);
    CHECK_MEM(got, "to b", 4);
    close(a);
    close(b);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}

TEST_T(net, server_slow_client_is_dropped_the_line_never_stalls, 30)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64];
    aser_port *dev;
    srv_rec rec = {0};
    aser_server *s = serve_pty(loop, &m, slave, sizeof slave, &dev,
                               (aser_server_opts){.mode = ASER_SERVE_RAW,
                                                  .max_clients = 2,
                                                  .client_queue = 65536,
                                                  .cb = on_srv,
                                                  .ctx = &rec});
    int small = 4096;
    int slow = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)aser_server_port(s)),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(connect(slow, (struct sockaddr *)&a, sizeof a) == 0);
    int fast = tcp_connect(aser_server_port(s));
    ut_run_until(loop, &rec.count[ASER_SERVER_CLIENT_OPEN], 2000);
    while (rec.count[ASER_SERVER_CLIENT_OPEN] < 2) ut_loop_run_once(loop, 5);
    /* 4 MiB from the line: the fast client gets all of it, in order. */
    enum {
        TOTAL = 4 << 20
    };
    uint8_t chunk[4096], in[65536];
    size_t sent = 0, got = 0;
    uint64_t end = at_now_ms() + 20000;
    fcntl(m, F_SETFL, O_NONBLOCK);
    while (got < TOTAL && at_now_ms() < end) {
        if (sent < TOTAL) {
            for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (uint8_t)((sent + i) % 251);
            ssize_t w = write(m, chunk, ASER_MIN(sizeof chunk, TOTAL - sent));
            if (w > 0) sent += (size_t)w;
        }
        ssize_t r = try_read(fast, in, sizeof in);
        for (ssize_t i = 0; i < r; i++)
            CHECKM(in[i] == (uint8_t)((got + (size_t)i) % 251), "byte %zu wrong", got + (size_t)i);
        if (r > 0) got += (size_t)r;
        ut_loop_run_once(loop, 0);
    }
    CHECK_EQ(got, TOTAL);
    CHECK_CONTAINS(rec.last[ASER_SERVER_CLIENT_CLOSE], "too slow");
    CHECK_EQ(aser_server_clients(s), 1);
    close(slow);
    close(fast);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}


/* ---- the loop never blocks: BREAK through the server ------------------------------ */

/* In a child process: export A, a pty made to take the UART break path
 * (its capability says "break unknown", as a real UART's does, so the
 * tty transport really issues TIOCSBRK/TIOCCBRK, which the pty driver
 * accepts and ignores), over RFC 2217; export B, one end of a virtual
 * pair with a simulated instrument on the other end, over raw TCP. One
 * loop runs it all, as in `aserial serve` with two exports. */
static pid_t serve_two_in_child(int *port_a, int *port_b)
{
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        alarm(60);
        aser_loop *loop = ut_loop_new();
        int m;
        char slave[64];
        ut_pty(&m, slave, sizeof slave);
        aser_port *a, *b, *dev;
        aser_pair *pair;
        aser_server *sa, *sb;
        aser_sim *sim;
        static const aser_sim_rule rule = {"ping", "pong"};
        if (aser_open(loop, slave, NULL, &a, &err) < 0) _exit(1);
        aser__conn(a)->caps.state[ASER_FEAT_BREAK] = ASER_CAP_UNKNOWN; /* a UART's answer */
        if (aser_pair_open(loop, NULL, &pair, &err) < 0 ||
            aser_open(loop, aser_pair_path(pair, 0), NULL, &b, &err) < 0 ||
            aser_open(loop, aser_pair_path(pair, 1), NULL, &dev, &err) < 0 ||
            aser_sim_start(dev, &(aser_sim_opts){.rules = &rule, .nrules = 1}, &sim) < 0)
            _exit(2);
        if (aser_server_start(a, &(aser_server_opts){.listen = "127.0.0.1:0"}, &sa, &err) < 0 ||
            aser_server_start(b,
                              &(aser_server_opts){.listen = "127.0.0.1:0", .mode = ASER_SERVE_RAW},
                              &sb, &err) < 0)
            _exit(3);
        int ports[2] = {aser_server_port(sa), aser_server_port(sb)};
        if (write(pfd[1], ports, sizeof ports) != sizeof ports) _exit(4);
        char drop[4096];
        for (;;) {
            ut_loop_run_once(loop, 50);
            while (read(m, drop, sizeof drop) > 0) {
            }
        }
    }
    close(pfd[1]);
    int ports[2];
    CHECK(read(pfd[0], ports, sizeof ports) == sizeof ports);
    close(pfd[0]);
    *port_a = ports[0];
    *port_b = ports[1];
    return pid;
}

typedef struct lat_rec {
    int pending, done, bad;
    uint64_t t0;
    unsigned us[8192];
} lat_rec;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void on_pong(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    (void)p;
    lat_rec *l = ctx;
    l->pending = 0;
    if (status != 0 || len != 4 || memcmp(data, "pong", 4) != 0) {
        l->bad++;
        return;
    }
    if (l->done < 8192) l->us[l->done++] = (unsigned)(now_us() - l->t0);
}

static int cmp_uns(const void *x, const void *y)
{
    unsigned a = *(const unsigned *)x, b = *(const unsigned *)y;
    return a < b ? -1 : a > b;
}

/* Issue 14: BREAKs from one RFC 2217 client while a second export on the
 * same server answers queries (one every 5 ms, as a polling program
 * would): no reply waits for a break to end. Before the break became a
 * timer, each replayed break slept in the server's loop for as long as
 * the client held it, so a reply waited up to the whole break. The check
 * is that event, not a figure (issue 25): with breaks of 400 ms, a reply
 * that waited for one takes hundreds of ms, a healthy one well under 1 ms
 * (the figures seen are printed); the bound, 200 ms, is half a break.
 * Tight reply times belong to `make bench`. */
enum {
    BRK_N = 4,      /* breaks */
    BRK_MS = 400,   /* each, as the client holds it (the server replays it) */
    BRK_WAIT = 200, /* no reply may take this long: half a break */
};

TEST_T(net, server_break_never_stalls_other_exports, 60)
{
    int port_a, port_b;
    pid_t pid = serve_two_in_child(&port_a, &port_b);
    aser_loop *loop = ut_loop_new();
    aser_port *brk = open_async(loop, "rfc2217", port_a);
    aser_port *q = open_async(loop, "tcp", port_b);
    ut_run_for(loop, 300); /* connected and negotiated */
    lat_rec *l = calloc(1, sizeof *l);
    CHECK(l != NULL);
    int breaks = 0, busy = 0;
    uint64_t next_q = 0, end = 0;
    while (!end || at_now_ms() < end) {
        if (breaks < BRK_N) {
            int rc = aser_send_break(brk, BRK_MS);
            if (rc == 0)
                breaks++;
            else if (rc == ASER_EBUSY)
                busy++;
            else
                CHECKM(0, "break %d: %s (%s)", breaks, aser_strerror(rc), aser_port_errmsg(brk));
        } else if (!end) {
            end = at_now_ms() + BRK_MS + 200; /* the server replays the last one */
        }
        uint64_t t = now_us();
        if (!l->pending && t >= next_q) {
            l->pending = 1;
            l->t0 = t;
            next_q = t + 5000;
            CHECK(aser_query(q, "ping\n", 5, &(aser_query_opts){.timeout_ms = 2000}, on_pong, l) >
                  0);
        }
        ut_loop_run_once(loop, 1);
    }
    while (l->pending) ut_loop_run_once(loop, 5);
    CHECK_EQ(breaks, BRK_N);
    CHECK_EQ(l->bad, 0);
    CHECKM(l->done >= 100, "only %d replies", l->done);
    qsort(l->us, (size_t)l->done, sizeof l->us[0], cmp_uns);
    unsigned p50 = l->us[l->done / 2], p99 = l->us[(size_t)l->done * 99 / 100],
             max = l->us[l->done - 1];
    at_log("%d replies during %d breaks of %d ms: p50 %.2f ms, p99 %.2f ms, max %.2f ms", l->done,
           BRK_N, BRK_MS, p50 / 1000.0, p99 / 1000.0, max / 1000.0);
    CHECKM(max < BRK_WAIT * 1000u,
           "a reply waited %.2f ms during %d ms breaks: the server's loop stalled for a break",
           max / 1000.0, BRK_MS);
    free(l);
    aser_close(brk);
    aser_close(q);
    ut_run_for(loop, 10);
    ut_loop_free(loop);
    reap(pid);
}

/* ---- backpressure from the port: aser_on_writable ---------------------------------- */

/* A client sends far more than the port's small write queue holds, and the
 * device reads slowly: the server stops reading the client at the mark,
 * resumes at low water, and every byte reaches the line in order. (The
 * server used to wait for room for a 16 KiB read under half the high
 * water, which a 4 KiB queue never has: it stalled for good.) */
TEST_T(net, server_backpressure_loses_nothing_with_a_small_port_queue, 30)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64], url[96];
    ut_pty(&m, slave, sizeof slave);
    snprintf(url, sizeof url, "%s?high_water=4096", slave);
    aser_port *dev;
    CHECKM(aser_open(loop, url, NULL, &dev, &err) == 0, "%s", err.msg);
    aser_server *s;
    CHECKM(aser_server_start(dev,
                             &(aser_server_opts){.listen = "127.0.0.1:0", .mode = ASER_SERVE_RAW},
                             &s, &err) == 0,
           "%s", err.msg);
    int fd = tcp_connect(aser_server_port(s));
    fcntl(fd, F_SETFL, O_NONBLOCK);
    enum {
        N = 300000
    };
    uint8_t *src = malloc(N), *dst = malloc(N);
    CHECK(src && dst);
    for (size_t i = 0; i < N; i++) src[i] = (uint8_t)(i * 7 + (i >> 9));
    size_t sent = 0, got = 0, max_q = 0;
    uint64_t end = at_now_ms() + 20000;
    while (got < N && at_now_ms() < end) {
        if (sent < N) {
            ssize_t w = send(fd, src + sent, N - sent, MSG_NOSIGNAL);
            if (w > 0) sent += (size_t)w;
        }
        ut_loop_run_once(loop, 1);
        max_q = ASER_MAX(max_q, aser_port_write_queued(dev));
        ssize_t r = read(m, dst + got, ASER_MIN((size_t)2048, N - got)); /* a slow device */
        if (r > 0) got += (size_t)r;
    }
    CHECKM(got == N, "%zu of %d bytes reached the line (%zu sent)", got, (int)N, sent);
    CHECK_MEM(dst, src, N);
    CHECKM(max_q <= 4096, "the port queue held %zu bytes (high water 4096)", max_q);
    free(src);
    free(dst);
    close(fd);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}

/* ---- the listener: backlog and accepting ------------------------------------------- */

/* 1,200 connect/close cycles in bursts of 300, against a server in another
 * process: every connect completes at once. With a backlog of 64 the
 * kernel's accept queue overflowed, dropped SYNs and the connects stalled
 * for the 1 s retransmit. */
TEST_T(net, server_listener_takes_bursts_of_connects_without_stalling, 60)
{
    int m;
    char slave[64];
    ut_pty(&m, slave, sizeof slave);
    int port;
    pid_t pid = serve_in_child(slave, &port);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    enum {
        BURST = 300,
        ROUNDS = 4
    };
    static int fds[BURST];
    static struct pollfd pf[BURST];
    uint64_t worst = 0;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = at_now_ms();
        for (int i = 0; i < BURST; i++) {
            fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            CHECK(fds[i] >= 0);
            int rc = connect(fds[i], (struct sockaddr *)&a, sizeof a);
            CHECKM(rc == 0 || errno == EINPROGRESS, "connect: %s", strerror(errno));
            pf[i] = (struct pollfd){.fd = fds[i], .events = POLLOUT};
        }
        int left = BURST;
        while (left > 0 && at_now_ms() - t0 < 5000) {
            CHECK(poll(pf, BURST, 50) >= 0);
            left = 0;
            for (int i = 0; i < BURST; i++) {
                if (pf[i].fd >= 0 && (pf[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
                    int e = 0;
                    socklen_t len = sizeof e;
                    getsockopt(pf[i].fd, SOL_SOCKET, SO_ERROR, &e, &len);
                    CHECKM(e == 0, "connect %d of round %d: %s", i, r, strerror(e));
                    pf[i].fd = -1; /* done */
                } else if (pf[i].fd >= 0) {
                    left++;
                }
            }
        }
        uint64_t took = at_now_ms() - t0;
        worst = ASER_MAX(worst, took);
        for (int i = 0; i < BURST; i++) close(fds[i]);
        CHECKM(left == 0, "%d of %d connects still pending after %llu ms", left, BURST,
               (unsigned long long)took);
        usleep(50000);
    }
    at_log("%d connects in bursts of %d: the slowest burst completed in %llu ms", BURST * ROUNDS,
           BURST, (unsigned long long)worst);
    CHECKM(worst < 900, "a burst of connects took %llu ms (SYNs dropped: a full backlog)",
           (unsigned long long)worst);
    /* The server still serves: once it has seen the burst's clients go (a
     * newcomer may be refused while their closes are still queued, so a
     * refused attempt is retried; the device must get "alive" once). */
    char buf[5];
    size_t got = 0;
    int tries = 0;
    for (uint64_t end = at_now_ms() + 10000; got < 5 && at_now_ms() < end; tries++) {
        int fd = tcp_connect(port);
        ut_write_all(fd, "alive", 5);
        got = ut_read_n(m, buf, 5, 1000);
        close(fd);
    }
    CHECKM(got == 5, "the device got %zu bytes after %d tries", got, tries);
    CHECK_MEM(buf, "alive", 5);
    if (tries > 1)
        at_log("served at try %d (the first ones refused while closes were pending)", tries);
    reap(pid);
    close(m);
}

/* ---- silent clients: negotiation and idle timeouts ---------------------------------- */

/* Issue 14: with the default one client, a client that connects and never
 * negotiates held the export for ever. With negotiate_timeout_ms it is
 * closed, with the reason, and the next client gets in. */
TEST(net, server_client_that_never_negotiates_is_closed)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64];
    aser_port *dev;
    srv_rec rec = {0};
    aser_server *s = serve_pty(
        loop, &m, slave, sizeof slave, &dev,
        (aser_server_opts){.negotiate_timeout_ms = 200, .cb = on_srv, .ctx = &rec});
    int mute = tcp_connect(aser_server_port(s));
    ut_run_until(loop, &rec.count[ASER_SERVER_CLIENT_OPEN], 2000);
    uint64_t t0 = at_now_ms();
    int late = tcp_connect(aser_server_port(s)); /* refused meanwhile: the export is full */
    wait_closed(loop, late, 2000);
    CHECK_EQ(rec.count[ASER_SERVER_CLIENT_REFUSED], 1);
    wait_closed(loop, mute, 3000);
    uint64_t took = at_now_ms() - t0;
    CHECKM(took >= 150 && took < 1500, "closed after %llu ms", (unsigned long long)took);
    CHECK_CONTAINS(rec.last[ASER_SERVER_CLIENT_CLOSE], "no RFC 2217 negotiation within 200 ms");
    aser_port *p = open_async(loop, "rfc2217", aser_server_port(s)); /* now it gets in */
    ut_rec r = {0};
    CHECK(aser_read(p, 16, 3000, ut_on_read, &r) > 0);
    ut_run_for(loop, 300); /* well past the timeout: a negotiating client stays */
    ut_write_all(m, "hi", 2);
    ut_run_until(loop, &r.calls, 3000);
    CHECK_EQ(r.status, 0);
    CHECK_MEM(r.data, "hi", 2);
    CHECK_EQ(aser_server_clients(s), 1);
    aser_close(p);
    close(mute);
    close(late);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}

/* idle_timeout_ms: a client that keeps talking stays, a silent one goes. */
TEST(net, server_idle_timeout_closes_only_the_silent_client)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64];
    aser_port *dev;
    srv_rec rec = {0};
    aser_server *s = serve_pty(loop, &m, slave, sizeof slave, &dev,
                               (aser_server_opts){.mode = ASER_SERVE_RAW,
                                                  .max_clients = 2,
                                                  .idle_timeout_ms = 250,
                                                  .cb = on_srv,
                                                  .ctx = &rec});
    int talker = tcp_connect(aser_server_port(s)), silent = tcp_connect(aser_server_port(s));
    uint64_t t0 = at_now_ms(), last = 0;
    char junk[64];
    while (at_now_ms() - t0 < 800) {
        if (at_now_ms() - last >= 50) { /* well inside the 250 ms */
            (void)send(talker, "k", 1, MSG_NOSIGNAL);
            last = at_now_ms();
        }
        ut_loop_run_once(loop, 5);
        while (read(m, junk, sizeof junk) > 0) {
        }
    }
    wait_closed(loop, silent, 100);
    CHECK_CONTAINS(rec.last[ASER_SERVER_CLIENT_CLOSE], "idle: nothing received for 250 ms");
    CHECK_EQ(rec.count[ASER_SERVER_CLIENT_CLOSE], 1);
    CHECK_EQ(aser_server_clients(s), 1); /* the talker is still there */
    close(talker);
    close(silent);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}

/* ---- one port, several listeners ------------------------------------------------------ */

/* One device exported over RFC 2217 and raw TCP at once: both clients get
 * the line's data, each in its own mode (no telnet bytes to the raw one),
 * both reach the line, and the RFC 2217 client sets the baud rate. */
TEST(net, server_exports_one_port_as_rfc2217_and_raw_at_once)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64];
    aser_port *dev;
    aser_server *s = serve_pty(loop, &m, slave, sizeof slave, &dev,
                               (aser_server_opts){.max_clients = 2});
    int raw_port = aser_server_listen(s, "127.0.0.1:0", ASER_SERVE_RAW, &err);
    CHECKM(raw_port > 0, "%s", err.msg);
    CHECK(raw_port != aser_server_port(s));
    CHECK_EQ(aser_server_listen(s, "127.0.0.1:0", (aser_server_mode)7, &err), ASER_EINVAL);
    CHECK_EQ(aser_server_listen(s, "127.0.0.1:notaport", ASER_SERVE_RAW, &err), ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "notaport");
    CHECK_EQ(aser_server_listen(NULL, "127.0.0.1:0", ASER_SERVE_RAW, &err), ASER_EINVAL);
    aser_port *r2 = open_async(loop, "rfc2217", aser_server_port(s));
    int raw = tcp_connect(raw_port);
    ut_run_for(loop, 200);
    CHECK_EQ(aser_server_clients(s), 2);
    ut_rec r = {0};
    CHECK(aser_read_exactly(r2, 4, 3000, ut_on_read, &r) > 0);
    ut_write_all(m, "both", 4);
    char got[16];
    CHECK_EQ(read_pumping(loop, raw, got, 4, 3000), 4);
    CHECK_MEM(got, "both", 4);
    ut_run_until(loop, &r.calls, 3000);
    CHECK_EQ(r.status, 0);
    CHECK_MEM(r.data, "both", 4);
    ut_write_all(raw, "from raw", 8);
    CHECK(aser_write(r2, " and 2217", 9, NULL, NULL) >= 0);
    char line[17];
    size_t n = 0;
    uint64_t end = at_now_ms() + 3000;
    while (n < 17 && at_now_ms() < end) {
        ut_loop_run_once(loop, 5);
        ssize_t k = read(m, line + n, 17 - n);
        if (k > 0) n += (size_t)k;
    }
    CHECK_EQ(n, 17);
    CHECK(memmem(line, 17, "from raw", 8) && memmem(line, 17, " and 2217", 9));
    aser_config c;
    aser_port_config(r2, &c);
    c.baud = 19200;
    CHECK_EQ(aser_configure(r2, &c, &err), 0);
    wait_speed(loop, slave, 19200);
    ut_run_for(loop, 100);
    ssize_t extra = try_read(raw, got, sizeof got); /* the settings stayed on the RFC 2217 side */
    CHECKM(extra == -1, "the raw client got %zd more bytes", extra);
    aser_close(r2);
    close(raw);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}

/* Out of fds, the listener pauses (it stays readable: watching it would
 * spin) and takes the waiting clients once fds are back. */
TEST(net, server_out_of_fds_pauses_accepting_instead_of_spinning)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64];
    aser_port *dev;
    srv_rec rec = {0};
    aser_server *s = serve_pty(
        loop, &m, slave, sizeof slave, &dev,
        (aser_server_opts){.mode = ASER_SERVE_RAW, .max_clients = 64, .cb = on_srv, .ctx = &rec});
    enum {
        N = 40
    };
    int cl[N];
    for (int i = 0; i < N; i++) cl[i] = tcp_connect(aser_server_port(s));
    struct rlimit old, low;
    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
    int top = dup(0); /* the lowest free fd: none from here up may be opened */
    CHECK(top > 0);
    close(top);
    low = old;
    low.rlim_cur = (rlim_t)top;
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
    struct rusage r0, r1;
    CHECK(getrusage(RUSAGE_SELF, &r0) == 0);
    uint64_t t0 = at_now_ms();
    while (at_now_ms() - t0 < 1000) ut_loop_run_once(loop, 50);
    CHECK(getrusage(RUSAGE_SELF, &r1) == 0);
    CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
    long used =
        (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) *
            1000L +
        (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) /
            1000L;
    at_log("CPU while out of fds for 1 s: %ld ms (%zu clients taken)", used,
           aser_server_clients(s));
    CHECKM(used < 250, "the listener spun: %ld ms of CPU in 1 s", used);
    /* Said once (10 pauses in that second, told at the first), with the fix. */
    CHECK_EQ(rec.count[ASER_SERVER_CLIENT_REFUSED], 1);
    CHECKM(strstr(rec.last[ASER_SERVER_CLIENT_REFUSED], "cannot accept connections") &&
               strstr(rec.last[ASER_SERVER_CLIENT_REFUSED], "ulimit -n"),
           "%s", rec.last[ASER_SERVER_CLIENT_REFUSED]);
    uint64_t end = at_now_ms() + 5000;
    while (aser_server_clients(s) < N && at_now_ms() < end) ut_loop_run_once(loop, 10);
    CHECK_EQ(aser_server_clients(s), N); /* fds again: every waiting client is taken */
    for (int i = 0; i < N; i++) close(cl[i]);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}

/* A read-only client's refused requests are reported, but not one event
 * each: a flood of them cannot flood the log (a few, then the count). */
TEST(net, server_refused_requests_of_a_read_only_client_are_counted_not_each_reported)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64];
    aser_port *dev;
    srv_rec rec = {0};
    aser_server *s = serve_pty(
        loop, &m, slave, sizeof slave, &dev,
        (aser_server_opts){.access = ASER_ACCESS_READ_ONLY, .cb = on_srv, .ctx = &rec});
    int fd = tcp_connect(aser_server_port(s));
    enum {
        N = 20000
    };
    static const uint8_t set9600[] = {255, 250, 44, 1, 0, 0, 0x25, 0x80, 255, 240};
    static uint8_t flood[N * sizeof set9600];
    for (size_t i = 0; i < N; i++) memcpy(flood + i * sizeof set9600, set9600, sizeof set9600);
    size_t sent = 0;
    uint64_t end = at_now_ms() + 10000;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    char junk[4096];
    while (sent < sizeof flood && at_now_ms() < end) {
        ssize_t k = send(fd, flood + sent, sizeof flood - sent, MSG_NOSIGNAL);
        if (k > 0) sent += (size_t)k;
        ut_loop_run_once(loop, 1);
        while (read(fd, junk, sizeof junk) > 0) {
        }
    }
    CHECK_EQ(sent, sizeof flood);
    close(fd);
    end = at_now_ms() + 5000;
    while (!rec.count[ASER_SERVER_CLIENT_CLOSE] && at_now_ms() < end) ut_loop_run_once(loop, 5);
    at_log("%d requests refused: %d config events, the last: %s", N, rec.count[ASER_SERVER_CONFIG],
           rec.last[ASER_SERVER_CONFIG]);
    CHECK(rec.count[ASER_SERVER_CONFIG] >= 2);
    CHECK(rec.count[ASER_SERVER_CONFIG] <= 12);
    CHECK_CONTAINS(rec.last[ASER_SERVER_CONFIG], "more refused requests");
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}

/* ---- cross-protocol HTTP ----------------------------------------------------------------- */

/* Read from the pty master for ms while running the loop. */
static size_t drain_master(aser_loop *loop, int m, char *buf, size_t cap, size_t want, unsigned ms)
{
    size_t n = 0;
    uint64_t end = at_now_ms() + ms;
    while (n < want && at_now_ms() < end) {
        ut_loop_run_once(loop, 5);
        ssize_t k = read(m, buf + n, cap - n);
        if (k > 0) n += (size_t)k;
    }
    return n;
}

/* A web page can POST text/plain to any loopback port: a first line that
 * is an HTTP request closes the connection before a byte reaches the
 * device, on raw and RFC 2217 listeners; other first lines pass at once
 * (one that starts like a request but does not end passes after 1 s);
 * allow_http turns the check off. */
TEST(net, server_refuses_a_client_whose_first_line_is_an_http_request)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64], got[512];
    aser_port *dev;
    srv_rec rec = {0};
    aser_server *s = serve_pty(
        loop, &m, slave, sizeof slave, &dev,
        (aser_server_opts){.mode = ASER_SERVE_RAW, .max_clients = 8, .cb = on_srv, .ctx = &rec});
    int r2217 = aser_server_listen(s, "127.0.0.1:0", ASER_SERVE_RFC2217, &err);
    CHECKM(r2217 > 0, "%s", err.msg);
    static const char post[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 9\r\n\r\n\r\nRESET\r\n";
    int ports[2] = {aser_server_port(s), r2217};
    for (int i = 0; i < 2; i++) {
        int fd = tcp_connect(ports[i]);
        ut_write_all(fd, post, sizeof post - 1);
        wait_closed(loop, fd, 3000);
        close(fd);
        CHECK_CONTAINS(rec.last[ASER_SERVER_CLIENT_REFUSED], "HTTP request");
        CHECK_CONTAINS(rec.last[ASER_SERVER_CLIENT_REFUSED], "allow");
    }
    CHECK_EQ(drain_master(loop, m, got, sizeof got, 1, 200), 0); /* nothing reached the device */
    /* a line protocol's first line goes through at once, whole */
    int fd = tcp_connect(ports[0]);
    ut_write_all(fd, "GET VOLT\n*IDN?\n", 15);
    CHECK_EQ(drain_master(loop, m, got, sizeof got, 15, 3000), 15);
    CHECK_MEM(got, "GET VOLT\n*IDN?\n", 15);
    close(fd);
    /* the start of a request that never ends its line passes, after a while */
    fd = tcp_connect(ports[0]);
    ut_write_all(fd, "GET /x", 6);
    CHECK_EQ(drain_master(loop, m, got, sizeof got, 6, 5000), 6);
    CHECK_MEM(got, "GET /x", 6);
    close(fd);
    aser_server_stop(s);

    /* allow_http: the rare line protocol that starts that way */
    s = NULL;
    CHECKM(aser_server_start(dev,
                             &(aser_server_opts){.listen = "127.0.0.1:0",
                                                 .mode = ASER_SERVE_RAW,
                                                 .allow_http = true},
                             &s, &err) == 0,
           "%s", err.msg);
    fd = tcp_connect(aser_server_port(s));
    ut_write_all(fd, post, sizeof post - 1);
    CHECK_EQ(drain_master(loop, m, got, sizeof got, sizeof post - 1, 3000), sizeof post - 1);
    CHECK_MEM(got, post, sizeof post - 1);
    close(fd);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}
