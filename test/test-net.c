/* test-net.c: the network transports (tcp://, tcp-listen://, rfc2217://)
 * and the server (aser_server), over loopback with ephemeral ports:
 * URL errors, connect failures and timeouts, the connecting phase in both
 * APIs, data exactness (all 256 byte values), reconnect, RFC 2217 settings
 * reaching a pseudo-terminal through the server, misbehaving RFC 2217
 * servers (refusal, silence, Cisco baud replies, unacknowledged
 * SET-CONTROL, flow-control suspend), and the server's client policies
 * (garbage, max clients, kick-old, slow clients). Misbehaving servers run
 * in a child process so the blocking API can be tested against them. */
#define _GNU_SOURCE
#include "codec/rfc2217.h"
#include "net-helpers.h"

/* ---- URLs ------------------------------------------------------------------------------- */

TEST(net, url_errors_name_the_fix)
{
    aser_port *p;
    CHECK_EQ(aser_open(NULL, "rfc2217://lab1", NULL, &p, &err), ASER_EBADURL);
    CHECK_STR(err.msg, "rfc2217://lab1 needs a port: rfc2217://HOST:PORT");
    CHECK_EQ(aser_open(NULL, "tcp://:2000", NULL, &p, &err), ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "needs a host");
    CHECK_EQ(aser_open(NULL, "tcp://lab1:99999", NULL, &p, &err), ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "1 to 65535");
    CHECK_EQ(aser_open(NULL, "tcp://lab1:20x", NULL, &p, &err), ASER_EBADURL);
    CHECK_EQ(aser_open(NULL, "tcp://[::1:2000", NULL, &p, &err), ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "[");
    CHECK_EQ(aser_open(NULL, "tcp://::1:2000", NULL, &p, &err), ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "brackets");
    CHECK_EQ(aser_open(NULL, "tcp://lab1:2000?baud=9600", NULL, &p, &err), ASER_ENOTSUP);
    CHECK_CONTAINS(err.msg, "raw TCP carries data only");
    CHECK_EQ(aser_open(NULL, "rfc2217://lab1:2000?connect_timeout=soon", NULL, &p, &err),
             ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "connect_timeout");
    CHECK_EQ(aser_open(NULL, "rfc2217://lab1:2000?baud=fast", NULL, &p, &err), ASER_EBADCONFIG);
    CHECK_EQ(aser_open(NULL, "rfc2217://nonexistent.invalid:2000", NULL, &p, &err), ASER_ENOENT);
    CHECK_CONTAINS(err.msg, "nonexistent.invalid");
}

/* ---- raw TCP ------------------------------------------------------------------------------ */

TEST(net, tcp_refused_names_the_address_and_the_fix)
{
    int port = dead_port();
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    aser_port *p;
    CHECK_EQ(aser_open(NULL, url, NULL, &p, &err), ASER_ECONNREFUSED);
    CHECK_CONTAINS(err.msg, "connection refused");
    CHECK_CONTAINS(err.msg, "127.0.0.1:");
    CHECK_CONTAINS(err.msg, "check the host and port");
    CHECK_STR(aser_err_name(ASER_ECONNREFUSED), "ASER_ECONNREFUSED");
}

TEST(net, tcp_refused_async_fails_pending_operations)
{
    aser_loop *loop = ut_loop_new();
    aser_port *p = open_async(loop, "tcp", dead_port());
    ut_rec r = {0};
    CHECK(aser_read(p, 16, 2000, ut_on_read, &r) > 0);
    CHECK(aser_write(p, "queued", 6, NULL, NULL) >= 0); /* waits for the connection */
    ut_run_until(loop, &r.calls, 2000);
    CHECK_EQ(r.status, ASER_ECONNREFUSED);
    CHECK_CONTAINS(aser_port_errmsg(p), "connection refused");
    close_and_free(loop, p);
}

TEST(net, tcp_connect_timeout_is_bounded)
{
    int port, lfd = listener(0, &port);
    int first = tcp_connect(port); /* fills the accept queue: the next SYN is dropped */
    char url[96];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d?connect_timeout=300", port);
    aser_port *p;
    uint64_t t0 = at_now_ms();
    CHECK_EQ(aser_open(NULL, url, NULL, &p, &err), ASER_ETIMEDOUT);
    uint64_t took = at_now_ms() - t0;
    CHECKM(took >= 250 && took < 2000, "took %llu ms", (unsigned long long)took);
    CHECK_CONTAINS(err.msg, "within 300 ms");
    close(first);
    close(lfd);
}

TEST(net, tcp_data_both_ways_then_peer_close)
{
    aser_loop *loop = ut_loop_new();
    int port, lfd = listener(4, &port);
    aser_port *p = open_async(loop, "tcp", port);
    uint8_t all[256], got[256];
    all_bytes(all, sizeof all);
    CHECK(aser_write(p, all, sizeof all, NULL, NULL) >= 0); /* before the connect ends */
    int fd = accept_pumping(loop, lfd, 2000);
    CHECK_EQ(read_pumping(loop, fd, got, sizeof got, 2000), sizeof got);
    CHECK_MEM(got, all, sizeof all);
    ut_write_all(fd, all, sizeof all);
    ut_rec r = {0};
    CHECK(aser_read_exactly(p, 256, 2000, ut_on_read, &r) > 0);
    ut_run_until(loop, &r.calls, 2000);
    CHECK_EQ(r.status, 0);
    CHECK_MEM(r.data, all, 256);
    ut_rec e = {0};
    CHECK(aser_read(p, 16, 3000, ut_on_read, &e) > 0);
    close(fd);
    ut_run_until(loop, &e.calls, 2000);
    CHECK_EQ(e.status, ASER_EDISCONNECTED);
    close(lfd);
    close_and_free(loop, p);
}

TEST(net, tcp_is_data_only_and_says_so)
{
    int port, lfd = listener(4, &port);
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    aser_port *p;
    CHECKM(aser_open(NULL, url, NULL, &p, &err) == 0, "%s", err.msg);
    const char *why;
    CHECK_EQ(aser_port_cap(p, ASER_FEAT_BAUD, &why), ASER_CAP_UNSUPPORTED);
    CHECK_STR(why, "raw TCP carries data only");
    CHECK_EQ(aser_port_cap(p, ASER_FEAT_MODEM_LINES, NULL), ASER_CAP_UNSUPPORTED);
    aser_config c;
    aser_port_config(p, &c);
    c.baud = 9600;
    CHECK_EQ(aser_configure(p, &c, &err), ASER_ENOTSUP);
    CHECK_CONTAINS(err.msg, "raw TCP carries data only");
    aser_port_config(p, &c);
    c.read_buffer = 8192; /* not a line setting: fine */
    CHECK_EQ(aser_configure(p, &c, &err), 0);
    CHECK_EQ(aser_port_lines(p), ASER_ENOTSUP);
    CHECK_EQ(aser_set_lines(p, ASER_LINE_DTR, 0), ASER_ENOTSUP);
    CHECK_EQ(aser_send_break(p, 10), ASER_ENOTSUP);
    CHECK_EQ(aser_discard(p, ASER_DISCARD_BOTH), 0);
    aser_close(p);
    close(lfd);
}

static int link_events[4];

static void on_link(aser_port *p, aser_link_event ev, void *ctx)
{
    (void)p, (void)ctx;
    link_events[ev]++;
}

TEST(net, tcp_reconnects_when_the_server_comes_back)
{
    aser_loop *loop = ut_loop_new();
    int port, lfd = listener(4, &port);
    aser_port *p = open_async(loop, "tcp", port);
    CHECK(aser_set_reconnect(p, &(aser_reconnect_opts){.enabled = true,
                                                       .min_delay_ms = 20,
                                                       .max_delay_ms = 50,
                                                       .cb = on_link,
                                                       .wait_while_down = true}) == 0);
    int fd = accept_pumping(loop, lfd, 2000);
    close(fd); /* the server drops us */
    ut_run_until(loop, &link_events[ASER_LINK_LOST], 2000);
    fd = accept_pumping(loop, lfd, 2000); /* and takes us back */
    ut_run_until(loop, &link_events[ASER_LINK_RESTORED], 2000);
    CHECK(aser_write(p, "again", 5, NULL, NULL) >= 0);
    char got[5];
    CHECK_EQ(read_pumping(loop, fd, got, 5, 2000), 5);
    CHECK_MEM(got, "again", 5);
    close(fd);
    close(lfd);
    close_and_free(loop, p);
}

TEST(net, tcp_listen_waits_for_one_client)
{
    aser_loop *loop = ut_loop_new();
    int port = dead_port();
    aser_port *p = open_async(loop, "tcp-listen", port);
    ut_rec r = {0};
    CHECK(aser_read_exactly(p, 3, 3000, ut_on_read, &r) > 0);
    ut_run_for(loop, 20);
    CHECK_EQ(r.calls, 0); /* nobody yet: waiting, not failing */
    int fd = tcp_connect(port);
    ut_write_all(fd, "abc", 3);
    ut_run_until(loop, &r.calls, 2000);
    CHECK_EQ(r.status, 0);
    CHECK_MEM(r.data, "abc", 3);
    close(fd);
    close_and_free(loop, p);
}

/* ---- RFC 2217 through aserial's own server ---------------------------------------------- */

TEST(net, rfc2217_through_the_server_to_a_pty)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64], url[96];
    aser_port *dev, *p;
    aser_server *s = serve_pty(loop, &m, slave, sizeof slave, &dev, (aser_server_opts){0});
    snprintf(url, sizeof url, "rfc2217://127.0.0.1:%d?baud=19200", aser_server_port(s));
    CHECKM(aser_open(loop, url, NULL, &p, &err) == 0, "%s", err.msg);
    wait_speed(loop, slave, 19200);
    uint8_t all[256], got[256];
    all_bytes(all, sizeof all);
    CHECK(aser_write(p, all, sizeof all, NULL, NULL) >= 0);
    CHECK_EQ(read_pumping(loop, m, got, sizeof got, 3000), sizeof got);
    CHECK_MEM(got, all, sizeof all); /* 0xFF included: doubled and undoubled */
    ut_write_all(m, all, sizeof all);
    ut_rec r = {0};
    CHECK(aser_read_exactly(p, 256, 3000, ut_on_read, &r) > 0);
    ut_run_until(loop, &r.calls, 3000);
    CHECK_EQ(r.status, 0);
    CHECK_MEM(r.data, all, 256);
    aser_config c;
    aser_port_config(p, &c);
    c.baud = 57600;
    CHECK(aser_configure(p, &c, &err) == 0); /* sent; acknowledged later */
    wait_speed(loop, slave, 57600);
    run_until_cap(loop, p, ASER_FEAT_BAUD, ASER_CAP_SUPPORTED, "acknowledged");
    /* A pty has no modem lines, but the server answers anyway. */
    CHECK(aser_set_lines(p, ASER_LINE_DTR | ASER_LINE_RTS, ASER_LINE_DTR) == 0);
    run_until_cap(loop, p, ASER_FEAT_MODEM_LINES, ASER_CAP_SUPPORTED, "acknowledged");
    CHECK_EQ(aser_port_lines(p) & (ASER_LINE_DTR | ASER_LINE_RTS), ASER_LINE_DTR);
    CHECK(aser_discard(p, ASER_DISCARD_BOTH) == 0);
    CHECK(aser_send_break(p, 20) == 0);
    ut_run_for(loop, 50);
    aser_close(p);
    ut_run_for(loop, 20);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}

/* An export that does not let clients change settings answers a baud
 * request with the rate in effect (RFC 2217's refusal); aserial's client
 * says so in words, and the pty keeps its rate. */
TEST(net, rfc2217_client_names_a_refused_baud_change)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64], url[96];
    aser_port *dev, *p;
    aser_server *s = serve_pty(loop, &m, slave, sizeof slave, &dev,
                               (aser_server_opts){.access = ASER_ACCESS_LOCK_SETTINGS});
    aser_config c;
    aser_port_config(dev, &c);
    c.baud = 19200;
    CHECK(aser_configure(dev, &c, &err) == 0);
    snprintf(url, sizeof url, "rfc2217://127.0.0.1:%d", aser_server_port(s));
    CHECKM(aser_open(loop, url, NULL, &p, &err) == 0, "%s", err.msg);
    aser_port_config(p, &c);
    c.baud = 57600;
    CHECK(aser_configure(p, &c, &err) == 0); /* sent; answered later */
    run_until_cap(loop, p, ASER_FEAT_CUSTOM_BAUD, ASER_CAP_UNSUPPORTED, "answered 19200");
    CHECK_CONTAINS(aser_port_errmsg(p), "kept 19200 baud when asked for 57600");
    CHECK_CONTAINS(aser_port_errmsg(p), "does not let clients change settings");
    CHECK_EQ(pty_speed(slave), 19200);
    aser_close(p);
    ut_run_for(loop, 20);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}

TEST(net, rfc2217_blocking_client_configures_a_remote_pty)
{
    int m, port;
    char slave[64], url[96];
    ut_pty(&m, slave, sizeof slave);
    pid_t child = serve_in_child(slave, &port);
    snprintf(url, sizeof url, "rfc2217://127.0.0.1:%d?baud=38400", port);
    aser_port *p;
    CHECKM(aser_open(NULL, url, NULL, &p, &err) == 0, "%s", err.msg);
    CHECK_EQ(pty_speed(slave), 38400); /* settled before aser_open returned */
    aser_config c;
    aser_port_config(p, &c);
    c.baud = 115200;
    CHECKM(aser_configure(p, &c, &err) == 0, "%s", err.msg); /* waits for the answer */
    CHECK_EQ(pty_speed(slave), 115200);
    uint8_t all[256], got[256];
    all_bytes(all, sizeof all);
    CHECK_EQ(aser_write_sync(p, all, sizeof all, 2000), 0);
    CHECK_EQ(ut_read_n(m, got, sizeof got, 3000), sizeof got);
    CHECK_MEM(got, all, sizeof all);
    ut_write_all(m, all, sizeof all);
    CHECK_EQ(aser_read_exactly_sync(p, got, sizeof got, 3000), (ssize_t)sizeof got);
    CHECK_MEM(got, all, sizeof all);
    aser_close(p);
    reap(child);
    close(m);
}

/* ---- misbehaving RFC 2217 servers (in a child process) ---------------------------------- */

enum fake_mode {
    FK_REFUSE,
    FK_SILENT,
    FK_CISCO_NOCTL,
    FK_SUSPEND
};

typedef struct fake {
    enum fake_mode mode;
    int fd;
    aser_rfc2217 codec;
} fake;

static void fake_raw(fake *f, const uint8_t *b, size_t n)
{
    if (write(f->fd, b, n) != (ssize_t)n) _exit(2);
}

static void fake_command(fake *f, const aser_rfc2217_event *ev)
{
    if (ev->cmd == ASER_CPO_SET_BAUDRATE && f->mode == FK_CISCO_NOCTL) {
        int idx = aser__rfc2217_cisco_index(ev->value); /* a 1-byte answer */
        uint8_t b[] = {255, 250, 44, 101, (uint8_t)(idx < 0 ? 0 : idx), 255, 240};
        fake_raw(f, b, sizeof b);
    } else if (ev->cmd == ASER_CPO_SET_CONTROL && f->mode == FK_CISCO_NOCTL) {
        /* never answered, like ser2net on some devices */
    } else if (ev->cmd != ASER_CPO_SIGNATURE) {
        aser__rfc2217_send(&f->codec, ev->cmd, ev->value);
    }
}

static void fake_event(aser_rfc2217 *c, const aser_rfc2217_event *ev, void *ud)
{
    fake *f = ud;
    (void)c;
    if (ev->type == ASER_RFC2217_EV_SEND) fake_raw(f, ev->data, ev->len);
    if (ev->type == ASER_RFC2217_EV_DATA) aser__rfc2217_send_data(&f->codec, ev->data, ev->len);
    if (ev->type == ASER_RFC2217_EV_COMPORT && !ev->reply) fake_command(f, ev);
}

static void fake_serve(fake *f)
{
    static const uint8_t suspend[] = {255, 250, 44, 108, 255, 240};
    static const uint8_t resume[] = {255, 250, 44, 109, 255, 240};
    aser__rfc2217_init(&f->codec, ASER_RFC2217_SERVER, fake_event, f);
    aser_telnet *tn = aser__rfc2217_telnet(&f->codec);
    if (f->mode == FK_REFUSE) {
        aser__telnet_accept(tn, ASER_TNOPT_COMPORT, ASER_TELNET_LOCAL, false);
        aser__telnet_accept(tn, ASER_TNOPT_COMPORT, ASER_TELNET_REMOTE, false);
    } else if (f->mode != FK_SILENT) {
        aser__rfc2217_start(&f->codec);
    }
    if (f->mode == FK_SUSPEND) fake_raw(f, suspend, sizeof suspend);
    uint64_t resume_at = at_now_ms() + 500;
    for (;;) {
        struct pollfd pf = {f->fd, POLLIN, 0};
        poll(&pf, 1, 20);
        if (f->mode == FK_SUSPEND && resume_at && at_now_ms() >= resume_at) {
            fake_raw(f, resume, sizeof resume);
            resume_at = 0;
        }
        if (!(pf.revents & POLLIN)) continue;
        uint8_t buf[4096];
        ssize_t n = read(f->fd, buf, sizeof buf);
        if (n <= 0) _exit(0);
        if (f->mode != FK_SILENT) aser__rfc2217_recv(&f->codec, buf, (size_t)n);
    }
}

static pid_t fake_server(enum fake_mode mode, int *port)
{
    int lfd = listener(1, port);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        alarm(30);
        fake f = {.mode = mode, .fd = accept(lfd, NULL, NULL)};
        if (f.fd < 0) _exit(1);
        fake_serve(&f);
    }
    close(lfd);
    return pid;
}

static aser_port *open_fake(enum fake_mode mode, const char *query, pid_t *child)
{
    int port;
    *child = fake_server(mode, &port);
    char url[128];
    snprintf(url, sizeof url, "rfc2217://127.0.0.1:%d%s", port, query);
    aser_port *p;
    CHECKM(aser_open(NULL, url, NULL, &p, &err) == 0, "open %s: %s", url, err.msg);
    return p;
}

TEST(net, rfc2217_refused_option_opens_as_data_only)
{
    pid_t child;
    aser_port *p = open_fake(FK_REFUSE, "", &child);
    const char *why;
    CHECK_EQ(aser_port_cap(p, ASER_FEAT_BAUD, &why), ASER_CAP_UNSUPPORTED);
    CHECK_CONTAINS(why, "refused COM-PORT-OPTION");
    CHECK_EQ(aser_write_sync(p, "ping", 4, 1000), 0); /* data still flows (echoed) */
    char got[4];
    CHECK_EQ(aser_read_exactly_sync(p, got, 4, 2000), 4);
    CHECK_MEM(got, "ping", 4);
    aser_config c;
    aser_port_config(p, &c);
    c.baud = 9600;
    CHECK_EQ(aser_configure(p, &c, &err), ASER_ENOTSUP);
    CHECK_CONTAINS(err.msg, "refused");
    CHECK_EQ(aser_port_lines(p), ASER_ENOTSUP);
    aser_close(p);
    reap(child);
}

TEST(net, rfc2217_silent_server_does_not_hang_the_open)
{
    pid_t child;
    uint64_t t0 = at_now_ms();
    aser_port *p = open_fake(FK_SILENT, "?ack_timeout=200", &child);
    uint64_t took = at_now_ms() - t0;
    CHECKM(took >= 150 && took < 2000, "open took %llu ms", (unsigned long long)took);
    const char *why;
    CHECK_EQ(aser_port_cap(p, ASER_FEAT_BAUD, &why), ASER_CAP_UNSUPPORTED);
    CHECK_CONTAINS(why, "no answer to COM-PORT-OPTION within 200 ms");
    aser_close(p);
    reap(child);
}

TEST(net, rfc2217_cisco_baud_and_unanswered_set_control)
{
    pid_t child;
    uint64_t t0 = at_now_ms();
    aser_port *p = open_fake(FK_CISCO_NOCTL, "?ack_timeout=300", &child);
    CHECK(at_now_ms() - t0 < 2000);
    const char *why;
    CHECK_EQ(aser_port_cap(p, ASER_FEAT_BAUD, &why), ASER_CAP_SUPPORTED); /* 1-byte 115200 */
    CHECK_EQ(aser_port_cap(p, ASER_FEAT_FLOW_RTSCTS, &why), ASER_CAP_UNKNOWN);
    CHECK_CONTAINS(why, "did not acknowledge SET-CONTROL");
    aser_config c;
    aser_port_config(p, &c);
    c.baud = 9600; /* Cisco index 8: acknowledged */
    CHECKM(aser_configure(p, &c, &err) == 0, "%s", err.msg);
    c.flow = ASER_FLOW_RTSCTS; /* never acknowledged: bounded, reported */
    t0 = at_now_ms();
    CHECK_EQ(aser_configure(p, &c, &err), ASER_ETIMEDOUT);
    CHECK(at_now_ms() - t0 < 2000);
    CHECK_CONTAINS(err.msg, "SET-CONTROL");
    aser_port_config(p, &c);
    CHECK_EQ(c.baud, 9600);
    CHECK_EQ(c.flow, ASER_FLOW_NONE); /* the recorded config is what was confirmed */
    aser_close(p);
    reap(child);
}

TEST(net, rfc2217_flowcontrol_suspend_holds_writes)
{
    aser_loop *loop = ut_loop_new();
    int port;
    pid_t child = fake_server(FK_SUSPEND, &port);
    aser_port *p = open_async(loop, "rfc2217", port);
    ut_run_for(loop, 150); /* the server suspends at once: let that arrive */
    uint64_t t0 = at_now_ms();
    CHECK(aser_write(p, "x", 1, NULL, NULL) >= 0);
    ut_rec r = {0};
    CHECK(aser_read_exactly(p, 1, 3000, ut_on_read, &r) > 0);
    ut_run_until(loop, &r.calls, 3000);
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.data[0], 'x');
    uint64_t took = at_now_ms() - t0;
    /* The server resumes 500 ms after it accepted: held, the echo cannot
     * come back much before 350 ms after the write. */
    CHECKM(took >= 250, "echo after %llu ms: the write was not held", (unsigned long long)took);
    reap(child);
    close_and_free(loop, p);
}

/* ---- names, cancellation, reconnect over RFC 2217 ------------------------------------------ */

TEST(net, host_names_resolve_off_the_loop_thread)
{
    aser_loop *loop = ut_loop_new();
    int port, lfd = listener(4, &port); /* IPv4 only: ::1 (if tried first) is refused */
    char url[64];
    snprintf(url, sizeof url, "tcp://localhost:%d", port);
    aser_port *p;
    CHECKM(aser_open(loop, url, NULL, &p, &err) == 0, "%s", err.msg);
    CHECK(aser_write(p, "named", 5, NULL, NULL) >= 0);
    int fd = accept_pumping(loop, lfd, 3000);
    char got[5];
    CHECK_EQ(read_pumping(loop, fd, got, 5, 2000), 5);
    CHECK_MEM(got, "named", 5);
    close(fd);
    close(lfd);
    close_and_free(loop, p);
}

TEST(net, close_while_connecting_is_clean)
{
    aser_loop *loop = ut_loop_new();
    int port, lfd = listener(0, &port);
    int first = tcp_connect(port); /* the next connect hangs */
    aser_port *p = open_async(loop, "rfc2217", port);
    ut_rec r = {0};
    CHECK(aser_read(p, 8, 0, ut_on_read, &r) > 0);
    ut_run_for(loop, 20);
    CHECK_EQ(r.calls, 0);
    aser_close(p);
    ut_run_until(loop, &r.calls, 1000);
    CHECK_EQ(r.status, ASER_ECLOSED);
    ut_loop_free(loop);
    aser_port *q; /* and a name lookup abandoned by a close */
    loop = ut_loop_new();
    CHECK(aser_open(loop, "tcp://localhost:1", NULL, &q, &err) == 0);
    aser_close(q);
    ut_run_for(loop, 10);
    for (int i = 0; i < 200 && aser_loop_free(loop) == ASER_EBUSY; i++) ut_loop_run_once(loop, 10);
    close(first);
    close(lfd);
}

TEST(net, rfc2217_reconnects_and_sends_the_settings_again)
{
    aser_loop *loop = ut_loop_new();
    int m;
    char slave[64], url[96], listen_at[32];
    aser_port *dev, *p;
    aser_server *s = serve_pty(loop, &m, slave, sizeof slave, &dev, (aser_server_opts){0});
    int port = aser_server_port(s);
    snprintf(url, sizeof url, "rfc2217://127.0.0.1:%d?baud=19200", port);
    CHECKM(aser_open(loop, url, NULL, &p, &err) == 0, "%s", err.msg);
    CHECK(aser_set_reconnect(
              p, &(aser_reconnect_opts){
                     .enabled = true, .min_delay_ms = 20, .max_delay_ms = 50, .cb = on_link}) == 0);
    memset(link_events, 0, sizeof link_events);
    wait_speed(loop, slave, 19200);
    aser_server_stop(s); /* the device server goes away */
    ut_run_until(loop, &link_events[ASER_LINK_LOST], 2000);
    aser_config c;
    aser_port_config(dev, &c);
    c.baud = 9600; /* someone else changed the line meanwhile */
    CHECK(aser_configure(dev, &c, &err) == 0);
    snprintf(listen_at, sizeof listen_at, "127.0.0.1:%d", port);
    CHECKM(aser_server_start(dev, &(aser_server_opts){.listen = listen_at}, &s, &err) == 0, "%s",
           err.msg);
    ut_run_until(loop, &link_events[ASER_LINK_RESTORED], 3000);
    wait_speed(loop, slave, 19200); /* our settings, sent again */
    aser_close(p);
    ut_run_for(loop, 10);
    aser_server_stop(s);
    close(m);
    close_and_free(loop, dev);
}
