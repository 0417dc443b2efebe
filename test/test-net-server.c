/* test-net-server.c: aser_server's promises (aserial.h section 10): every
 * RFC 2217 request answered even on a line-less pty, garbage closing only
 * the client that sent it, max clients with refusal or kick-old, and a
 * slow client dropped while the serial side keeps flowing to the others. */
#define _GNU_SOURCE
#include "internal.h"
#include "net-helpers.h"

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
        255, 251, 44, 255, 253, 44,                      /* WILL, DO COM-PORT */
        255, 250, 44, 1, 0, 0, 0x4b, 0, 255, 240,         /* baud 19200 */
        255, 250, 44, 2, 8, 255, 240, 255, 250, 44, 3, 1, 255, 240,
        255, 250, 44, 4, 1, 255, 240, 255, 250, 44, 5, 1, 255, 240,
        255, 250, 44, 5, 8, 255, 240, 255, 250, 44, 5, 11, 255, 240, /* DTR, RTS on */
        255, 250, 44, 5, 7, 255, 240, 255, 250, 44, 5, 4, 255, 240,  /* queries */
        255, 250, 44, 12, 1, 255, 240, 255, 250, 44, 12, 2, 255, 240, /* purges */
        255, 250, 44, 10, 0, 255, 240, 255, 250, 44, 11, 255, 255, 255, 240};
    ut_write_all(fd, reqs, sizeof reqs);
    static const uint8_t want[][3] = {{101, 0, 0}, {102, 8}, {103, 1}, {104, 1}, {105, 1},
                                      {105, 8}, {105, 11}, {105, 8}, {105, 6}, {112, 1},
                                      {112, 2}, {110, 0}, {111, 255}};
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
    wait_closed(loop, b, 2000); /* max_clients 1: the newcomer is refused */
    CHECK_EQ(rec.count[ASER_SERVER_CLIENT_REFUSED], 1);
    CHECK_CONTAINS(rec.last[ASER_SERVER_CLIENT_REFUSED], "--kick-old");
    CHECK_EQ(aser_server_clients(s), 1);
    aser_server_stop(s);
    ut_run_for(loop, 10);
    close(a);
    close(b);
    o.kick_old = true;
    CHECK(aser_server_start(dev, &(aser_server_opts){.mode = ASER_SERVE_RAW, .kick_old = true,
                                                     .listen = "127.0.0.1:0", .cb = on_srv,
                                                     .ctx = &rec}, &s, &err) == 0);
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
                               (aser_server_opts){.mode = ASER_SERVE_RAW, .max_clients = 2,
                                                  .client_queue = 65536, .cb = on_srv,
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
    enum { TOTAL = 4 << 20 };
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

