/* test-transport.c: the transport table and the URL parser that reads it.
 * Every row is complete and distinct; every URL form lands on its row with
 * its address taken apart once; options a transport cannot take are
 * refused by name; the defaults for missing ops say why. */
#define _GNU_SOURCE
#include "util.h"
#include "transport/transport.h"

#include <string.h>
#include <unistd.h>

static aser_err err;

TEST(transport, every_row_is_complete_and_prefixes_are_distinct)
{
    int bare = 0, n = 0;
    for (const aser_transport_ops *const *t = aser__transports; *t; t++, n++) {
        CHECKM((*t)->scheme && (*t)->prefix && (*t)->example, "row %d names itself", n);
        CHECKM((*t)->open && (*t)->read && (*t)->write && (*t)->close, "%s has the required ops",
               (*t)->scheme);
        CHECKM(!strncmp((*t)->prefix, (*t)->scheme, strlen((*t)->scheme)),
               "%s: the prefix starts with the scheme", (*t)->scheme);
        bare += (*t)->bare;
        /* no prefix may start another: selection would depend on order */
        for (const aser_transport_ops *const *u = aser__transports; *u; u++)
            if (u != t)
                CHECKM(strncmp((*u)->prefix, (*t)->prefix, strlen((*t)->prefix)) != 0,
                       "%s is not a prefix of %s", (*t)->prefix, (*u)->prefix);
    }
    CHECK_EQ(bare, 1);
    CHECK(n >= 7);
}

static const aser_transport_ops *parse(const char *url, aser_url *u, aser_config *cfg)
{
    aser_config def = ASER_CONFIG_DEFAULT;
    *cfg = def;
    int rc = aser__url_parse(url, cfg, u, &err);
    return rc == 0 ? u->tp : NULL;
}

TEST(transport, each_form_lands_on_its_row_parsed_once)
{
    static aser_url u;
    aser_config cfg;
    CHECK(parse("/dev/ttyUSB0?baud=9600", &u, &cfg) == &aser__tty_transport);
    CHECK_STR(u.path, "/dev/ttyUSB0");
    CHECK_EQ(cfg.baud, 9600);
    CHECK(parse("serial:///dev/ttyS1", &u, &cfg) == &aser__tty_transport);
    CHECK_STR(u.path, "/dev/ttyS1");
    CHECK(parse("usb:0403:6001:A600XYZ", &u, &cfg) == &aser__usb_transport);
    CHECK_STR(u.path, "0403:6001:A600XYZ");
    CHECK(parse("mock://bench#peer", &u, &cfg) == &aser__mock_transport);
    CHECK_STR(u.path, "bench#peer");
    CHECK(parse("rfc2217://[::1]:2000?ack_timeout=300&parity=even", &u, &cfg) ==
          &aser__rfc2217_transport);
    CHECK_STR(u.net.host, "::1");
    CHECK_STR(u.net.port, "2000");
    CHECK_STR(u.path, "[::1]:2000");
    CHECK_EQ(u.net.ack_timeout_ms, 300);
    CHECK_EQ(u.net.connect_timeout_ms, ASER_NET_CONNECT_TIMEOUT_MS);
    CHECK_EQ(cfg.parity, ASER_PARITY_EVEN);
    CHECK(parse("tcp://lab1:4001?connect_timeout=250", &u, &cfg) == &aser__tcp_transport);
    CHECK_STR(u.path, "lab1:4001");
    CHECK_EQ(u.net.connect_timeout_ms, 250);
    CHECK(!u.net.listen);
    CHECK(parse("ws://lab1:8080/ws/scope?token=s3cret&connect_timeout=900", &u, &cfg) ==
          &aser__ws_transport);
    CHECK_STR(u.path, "lab1:8080");
    CHECK_STR(u.net.target, "/ws/scope");
    CHECK_STR(u.net.token, "s3cret");
    CHECK_EQ(u.net.connect_timeout_ms, 900);
    CHECK(parse("ws://[::1]:80", &u, &cfg) == &aser__ws_transport);
    CHECK_STR(u.net.target, "/");
    CHECK_STR(u.net.host, "::1");
    CHECK(parse("tcp-listen://0", &u, &cfg) == &aser__tcp_listen_transport);
    CHECK_STR(u.net.host, "127.0.0.1");
    CHECK(u.net.listen);
    CHECK_EQ(u.net.connect_timeout_ms, 0); /* waits for its client forever */
    CHECK(parse("stdio:", &u, &cfg) == &aser__stdio_transport);
    CHECK_STR(u.path, "");
    CHECK(parse("-", &u, &cfg) == &aser__stdio_transport); /* the alias */
    CHECK_STR(u.path, "");
    CHECK(parse("-x", &u, &cfg) == &aser__tty_transport); /* only the whole URL */
    CHECK(parse("pty:", &u, &cfg) == &aser__pty_transport);
    CHECK_STR(u.path, "");
    CHECK(parse("pty:/tmp/ttyLAB?baud=9600", &u, &cfg) == &aser__pty_transport);
    CHECK_STR(u.path, "/tmp/ttyLAB");
    CHECK_EQ(cfg.baud, 9600);
    /* the broker and topic are taken apart by the transport (codec/mqtt.c) */
    CHECK(parse("mqtt://broker:1884/site/lab/scope?baud=19200", &u, &cfg) == &aser__mqtt_transport);
    CHECK_STR(u.path, "broker:1884/site/lab/scope");
    CHECK_EQ(cfg.baud, 19200);
}

TEST(transport, options_a_transport_cannot_take_are_refused_by_name)
{
    static aser_url u;
    aser_config cfg;
    CHECK(parse("tcp://lab1:4001?ack_timeout=100", &u, &cfg) == NULL);
    CHECK_EQ(err.code, ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "ack_timeout is not an option of tcp URLs");
    CHECK(parse("/dev/ttyS0?connect_timeout=100", &u, &cfg) == NULL);
    CHECK_CONTAINS(err.msg, "connect_timeout is not an option of serial URLs");
    CHECK(parse("tcp://lab1:4001?baud=9600", &u, &cfg) == NULL);
    CHECK_EQ(err.code, ASER_ENOTSUP);
    CHECK_CONTAINS(err.msg, "raw TCP carries data only");
    CHECK(parse("ws://lab1:80/a b", &u, &cfg) == NULL);
    CHECK_CONTAINS(err.msg, "space or control character in the path");
    CHECK(parse("ws://lab1:80/x?token=", &u, &cfg) == NULL);
    CHECK_CONTAINS(err.msg, "token takes 1 to 127 printable characters");
    CHECK(parse("rfc2217://lab1:80?token=x", &u, &cfg) == NULL);
    CHECK_CONTAINS(err.msg, "token is not an option of rfc2217 URLs");
    CHECK(parse("gopher://x", &u, &cfg) == NULL);
    CHECK_CONTAINS(err.msg, "unknown scheme \"gopher://\"");
    CHECK_CONTAINS(err.msg, "rfc2217+tls://"); /* the list comes from the table */
    CHECK(strstr(err.msg, "mock://") == NULL); /* test-only: not offered */
    CHECK(parse("mock://", &u, &cfg) == NULL);
    CHECK_CONTAINS(err.msg, "mock://NAME");
    CHECK(parse("", &u, &cfg) == NULL);
    CHECK_CONTAINS(err.msg, "no device");
    CHECK(parse("stdio:?baud=9600", &u, &cfg) == NULL);
    CHECK_CONTAINS(err.msg, "standard input and output carry data only");
}

/* The forms aserial --help lists come from the table: every user-facing
 * row once, in table order, mock:// left out. An unknown scheme's message
 * is never cut, however long the URL: it names the scheme (shortened),
 * not the whole URL, and still ends with its hint. */
TEST(transport, url_forms_and_the_unknown_scheme_message_come_from_the_table)
{
    size_t n = 0, rows = 0;
    bool rfc = false;
    for (const aser_transport_ops *const *t = aser__transports; *t; t++) rows++;
    for (const char *f; (f = aser_url_form(n)) != NULL; n++) {
        CHECKM(strncmp(f, "mock:", 5) != 0, "form %zu is %s", n, f);
        if (!strcmp(f, "rfc2217+tls://HOST:PORT")) rfc = true;
    }
    CHECK_EQ(n, rows - 1); /* every row but mock:// */
    CHECK(rfc);
    char url[400];
    memset(url, 'x', 300);
    strcpy(url + 300, "://host:1");
    aser_url u;
    aser_config cfg;
    CHECK(parse(url, &u, &cfg) == NULL);
    CHECK_EQ(err.code, ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "unknown scheme \"xxxxxxxxxxxxxxxxxxxxxxxx...://\"");
    CHECK_CONTAINS(err.msg, "aserial(1))"); /* the end is there: not cut */
}

static void on_link(aser_port *p, aser_link_event ev, void *ctx)
{
    (void)p;
    int *evs = ctx;
    for (int i = 0; i < 4; i++)
        if (!evs[i]) {
            evs[i] = (int)ev;
            return;
        }
}

/* Reconnect on an endpoint that cannot be opened again (standard input
 * that ended): the loss is reported, then the link gives up at its first
 * attempt instead of retrying for ever, and the port says why. */
TEST(transport, reconnect_gives_up_at_once_on_an_endpoint_that_cannot_reopen)
{
    int in[2];
    CHECK_EQ(pipe(in), 0);
    CHECK(dup2(in[0], 0) == 0);
    close(in[0]);
    aser_loop *loop = ut_loop_new();
    aser_port *p;
    CHECK_EQ(aser_open(loop, "-", NULL, &p, &err), 0);
    int evs[4] = {0};
    CHECK_EQ(
        aser_set_reconnect(
            p,
            &(aser_reconnect_opts){.enabled = true, .min_delay_ms = 20, .cb = on_link, .ctx = evs}),
        0);
    static ut_rec r;
    CHECK(aser_read(p, 64, 5000, ut_on_read, &r) > 0);
    close(in[1]); /* the input ends */
    uint64_t end = at_now_ms() + 3000;
    while (evs[1] == 0 && at_now_ms() < end) ut_loop_run_once(loop, 10);
    CHECK_EQ(evs[0], ASER_LINK_LOST);
    CHECK_EQ(evs[1], ASER_LINK_GAVE_UP);
    CHECK_CONTAINS(aser_port_errmsg(p), "cannot be reopened");
    ut_run_until(loop, &r.calls, 1000);
    CHECK_EQ(r.status, ASER_EDISCONNECTED);
    static ut_rec r2;
    CHECK_EQ(aser_read(p, 64, 1000, ut_on_read, &r2), ASER_EDISCONNECTED);
    aser_close(p);
    ut_run_for(loop, 10);
    ut_loop_free(loop);
}

/* Found by fuzz_url: "tcp://[[2]:5" was taken as host "[2". A host is a
 * name, an IPv4 address, or an IPv6 literal in brackets. */
TEST(transport, a_host_that_is_no_name_or_address_is_refused)
{
    static aser_url u;
    aser_config cfg;
    static const char *const bad[] = {"tcp://[[2]:5",      "tcp://a b:5", "rfc2217://h/x:5",
                                      "tcp://[1.2.3.4]:5", "tcp://[]:5",  "ws://h@x:80/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECKM(parse(bad[i], &u, &cfg) == NULL, "%s accepted", bad[i]);
        CHECK_EQ(err.code, ASER_EBADURL);
    }
    CHECK(parse("tcp://[[2]:5", &u, &cfg) == NULL);
    CHECK_CONTAINS(err.msg, "is not a host name or address");
    CHECK(parse("tcp://[fe80::1%eth0]:5", &u, &cfg) == &aser__tcp_transport);
    CHECK_STR(u.net.host, "fe80::1%eth0");
    CHECK(parse("tcp://lab-7.example_x.com:5", &u, &cfg) == &aser__tcp_transport);
    CHECK(parse("tcp://10.0.0.2:5", &u, &cfg) == &aser__tcp_transport);
}

TEST(transport, stdio_reads_standard_input_and_writes_standard_output)
{
    /* the test's fds 0 and 1 become the two ends of pipes */
    int in[2], out[2];
    CHECK_EQ(pipe(in), 0);
    CHECK_EQ(pipe(out), 0);
    CHECK(dup2(in[0], 0) == 0 && dup2(out[1], 1) == 1);
    close(in[0]);
    close(out[1]);
    aser_loop *loop = ut_loop_new();
    aser_port *p;
    CHECK_EQ(aser_open(loop, "-", NULL, &p, &err), 0);
    aser_port *q;
    CHECK_EQ(aser_open(loop, "stdio:x", NULL, &q, &err), ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "takes no address");
    CHECK_EQ(write(in[1], "ping\n", 5), 5);
    static ut_rec r;
    CHECK(aser_read_until(p, "\n", 1, 64, 2000, ut_on_read, &r) > 0);
    ut_run_until(loop, &r.calls, 2000);
    CHECK_EQ(r.status, 0);
    CHECK(r.len >= 4 && !memcmp(r.data, "ping", 4));
    CHECK(aser_write(p, "pong", 4, NULL, NULL) >= 0);
    char buf[16];
    CHECK_EQ(ut_read_n(out[0], buf, 4, 2000), 4);
    CHECK(!memcmp(buf, "pong", 4));
    close(in[1]); /* standard input ends: the endpoint ends */
    static ut_rec e;
    CHECK(aser_read(p, 16, 2000, ut_on_read, &e) > 0);
    ut_run_until(loop, &e.calls, 2000);
    CHECK_EQ(e.status, ASER_EDISCONNECTED);
    aser_close(p);
    ut_run_for(loop, 10);
    ut_loop_free(loop);
    close(out[0]);
}

TEST(transport, missing_ops_default_to_unsupported_with_the_reason)
{
    /* raw TCP has no modem_get/modem_set/send_break/apply: the defaults
     * answer for it. A listening port is enough to have one open. */
    aser_loop *loop = ut_loop_new();
    aser_port *p;
    CHECK_EQ(aser_open(loop, "tcp-listen://127.0.0.1:0", NULL, &p, &err), 0);
    CHECK_EQ(aser_port_lines(p), ASER_ENOTSUP);
    CHECK_CONTAINS(aser_port_errmsg(p), "raw TCP carries data only: no modem lines");
    CHECK_EQ(aser_send_break(p, 10), ASER_ENOTSUP);
    CHECK_CONTAINS(aser_port_errmsg(p), "no break");
    aser_config cfg;
    aser_port_config(p, &cfg);
    cfg.baud = 9600;
    CHECK_EQ(aser_configure(p, &cfg, &err), ASER_ENOTSUP);
    CHECK_CONTAINS(err.msg, "use rfc2217://");
    cfg.baud = 115200;
    cfg.write_high_water = 4096; /* not a line setting: accepted */
    CHECK_EQ(aser_configure(p, &cfg, &err), 0);
    aser_close(p);
    ut_run_for(loop, 10);
    ut_loop_free(loop);
}
