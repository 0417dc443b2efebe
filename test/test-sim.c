/* test-sim.c: the simulated instrument, queried through a virtual pair. */
#define _GNU_SOURCE
#include "util.h"

typedef struct rig {
    aser_loop *loop;
    aser_pair *pair;
    aser_port *dev, *host;
    aser_sim *sim;
} rig;

static rig rig_up(const aser_sim_opts *o)
{
    rig r;
    aser_err err;
    r.loop = ut_loop_new();
    CHECK(aser_pair_open(r.loop, NULL, &r.pair, &err) == 0);
    CHECK(aser_open(r.loop, aser_pair_path(r.pair, 0), NULL, &r.dev, &err) == 0);
    CHECK(aser_open(r.loop, aser_pair_path(r.pair, 1), NULL, &r.host, &err) == 0);
    CHECK(aser_sim_start(r.dev, o, &r.sim) == 0);
    return r;
}

static void rig_down(rig *r)
{
    aser_sim_stop(r->sim);
    aser_close(r->dev);
    aser_close(r->host);
    aser_pair_close(r->pair);
    ut_run_for(r->loop, 5);
    ut_loop_free(r->loop);
}

static const aser_sim_rule rules[] = {{"*IDN?", "ACME,SIM,1"}, {"VOLT?", "1.25"}};

TEST(sim, answers_by_rule_with_delay)
{
    aser_sim_opts o = {.rules = rules, .nrules = 2, .delay_ms = 60, .eol = "\r\n"};
    rig r = rig_up(&o);
    ut_rec q = {0};
    aser_query_opts qo = {.eol = "\r\n", .timeout_ms = 2000};
    uint64_t t0 = at_now_ms();
    CHECK(aser_query(r.host, "VOLT?\r\n", 7, &qo, ut_on_read, &q) > 0);
    ut_run_until(r.loop, &q.calls, 2000);
    CHECK(at_now_ms() - t0 >= 59);
    CHECK_EQ(q.status, 0);
    CHECK_EQ(q.len, 4);
    CHECK_MEM(q.data, "1.25", 4);
    CHECK_EQ(aser_sim_count(r.sim), 1);
    rig_down(&r);
}

TEST(sim, unknown_requests_are_ignored_or_echoed)
{
    aser_sim_opts o = {.rules = rules, .nrules = 2};
    rig r = rig_up(&o);
    ut_rec q = {0};
    aser_query_opts qo = {.timeout_ms = 100};
    CHECK(aser_query(r.host, "NOPE\n", 5, &qo, ut_on_read, &q) > 0);
    ut_run_until(r.loop, &q.calls, 2000);
    CHECK_EQ(q.status, ASER_ETIMEDOUT);
    rig_down(&r);
    aser_sim_opts e = {.echo = true};
    r = rig_up(&e);
    ut_rec q2 = {0};
    qo.timeout_ms = 1000;
    CHECK(aser_query(r.host, "HELLO\n", 6, &qo, ut_on_read, &q2) > 0);
    ut_run_until(r.loop, &q2.calls, 2000);
    CHECK_EQ(q2.status, 0);
    CHECK_MEM(q2.data, "HELLO", 5);
    rig_down(&r);
}

TEST(sim, stop_while_waiting_is_clean)
{
    aser_sim_opts o = {.rules = rules, .nrules = 2, .delay_ms = 500};
    rig r = rig_up(&o);
    CHECK(aser_write(r.host, "*IDN?\n", 6, NULL, NULL) >= 0);
    ut_run_for(r.loop, 30); /* the sim now waits on its delay timer */
    rig_down(&r);
}

TEST(sim, bad_options_are_refused)
{
    aser_loop *loop;
    aser_pair *pr;
    aser_port *p;
    aser_err err;
    aser_sim *s;
    loop = ut_loop_new();
    CHECK(aser_pair_open(loop, NULL, &pr, &err) == 0);
    CHECK(aser_open(loop, aser_pair_path(pr, 0), NULL, &p, &err) == 0);
    aser_sim_rule bad[] = {{"X", NULL}};
    aser_sim_opts o = {.rules = bad, .nrules = 1};
    CHECK_EQ(aser_sim_start(p, &o, &s), ASER_EINVAL);
    aser_sim_opts e = {.eol = ""};
    CHECK_EQ(aser_sim_start(p, &e, &s), ASER_EINVAL);
    aser_close(p);
    aser_pair_close(pr);
    ut_run_for(loop, 5);
    ut_loop_free(loop);
}

/* ---- sim:NAME, the instrument as a port URL (transport/sim.c) -------------- */

static void sim_ask(aser_loop *loop, aser_port *p, const char *req, const char *want)
{
    ut_rec q = {0};
    aser_query_opts qo = {.timeout_ms = 2000};
    CHECK(aser_query(p, req, strlen(req), &qo, ut_on_read, &q) > 0);
    ut_run_until(loop, &q.calls, 3000);
    CHECKM(q.status == 0, "%s: %s", req, aser_strerror(q.status));
    CHECKM(q.len == strlen(want) && !memcmp(q.data, want, q.len), "%s: got \"%.*s\"", req,
           (int)q.len, (const char *)q.data);
}

TEST(sim, url_answers_idn_ping_and_echo)
{
    aser_loop *loop = ut_loop_new();
    aser_port *p;
    aser_err err;
    CHECKM(aser_open(loop, "sim:dmm1", NULL, &p, &err) == 0, "%s", err.msg);
    sim_ask(loop, p, "*IDN?\n", "aserial,sim,dmm1,0");
    sim_ask(loop, p, "*IDN?\r\n", "aserial,sim,dmm1,0"); /* a CR before the LF is dropped */
    sim_ask(loop, p, "PING 42\n", "PONG 42");
    sim_ask(loop, p, "VOLT 1.5\n", "VOLT 1.5");
    /* a request that comes in pieces, and two in one write */
    CHECK(aser_write(p, "*ID", 3, NULL, NULL) >= 0);
    sim_ask(loop, p, "N?\nPING 1\n", "aserial,sim,dmm1,0");
    ut_rec q = {0};
    CHECK(aser_read_until(p, "\n", 1, 0, 2000, ut_on_read, &q) > 0);
    ut_run_until(loop, &q.calls, 3000);
    CHECK_EQ(q.status, 0);
    CHECK_EQ(q.len, 6); /* the delimiter is consumed, not returned */
    CHECK_MEM(q.data, "PONG 1", 6);
    aser_close(p);
    ut_run_for(loop, 5);
    ut_loop_free(loop);
}

/* An endless request is dropped whole; the next one is answered. */
TEST(sim, url_drops_an_overlong_request)
{
    aser_loop *loop = ut_loop_new();
    aser_port *p;
    aser_err err;
    CHECKM(aser_open(loop, "sim:big", NULL, &p, &err) == 0, "%s", err.msg);
    static char junk[10000];
    memset(junk, 'x', sizeof junk);
    CHECK(aser_write(p, junk, sizeof junk, NULL, NULL) >= 0);
    sim_ask(loop, p, "\nPING after\n", "PONG after"); /* the first answer is this one */
    aser_close(p);
    ut_run_for(loop, 5);
    ut_loop_free(loop);
}

typedef struct lines_rec {
    int calls;
    unsigned lines;
} lines_rec;

static void on_sim_lines(aser_port *p, unsigned lines, unsigned changed, unsigned errors, void *ctx)
{
    (void)p, (void)changed, (void)errors;
    lines_rec *r = ctx;
    r->lines = lines;
    r->calls++;
}

/* Settings are kept, modem lines loop back (DTR -> DSR and CD, RTS -> CTS)
 * and are pushed as events; a break is accepted. */
TEST(sim, url_settings_lines_and_break)
{
    aser_loop *loop = ut_loop_new();
    aser_port *p;
    aser_err err;
    CHECKM(aser_open(loop, "sim:lab?baud=9600", NULL, &p, &err) == 0, "%s", err.msg);
    aser_config cfg;
    aser_port_config(p, &cfg);
    CHECK_EQ(cfg.baud, 9600);
    CHECK(aser_config_parse(&cfg, "19200,7E1", &err) == 0);
    CHECKM(aser_configure(p, &cfg, &err) == 0, "%s", err.msg);
    aser_port_config(p, &cfg);
    CHECK_EQ(cfg.baud, 19200);
    CHECK(aser_set_lines(p, ASER_LINE_DTR | ASER_LINE_RTS, 0) == 0);
    lines_rec lr = {0};
    CHECK(aser_on_lines(p, 0, on_sim_lines, &lr) == 0);
    ut_run_for(loop, 20); /* an event for the state at registration, if any */
    lr = (lines_rec){0};
    CHECK(aser_set_lines(p, ASER_LINE_DTR | ASER_LINE_RTS, ASER_LINE_DTR) == 0);
    ut_run_until(loop, &lr.calls, 2000); /* pushed: no polling asked for */
    CHECK_EQ(lr.calls, 1);
    CHECK_EQ(lr.lines & (ASER_LINE_DSR | ASER_LINE_CD), ASER_LINE_DSR | ASER_LINE_CD);
    CHECK_EQ(aser_port_lines(p) & (ASER_LINE_DSR | ASER_LINE_CD | ASER_LINE_CTS),
             ASER_LINE_DSR | ASER_LINE_CD);
    CHECK(aser_set_lines(p, ASER_LINE_DTR | ASER_LINE_RTS, ASER_LINE_RTS) == 0);
    CHECK_EQ(aser_port_lines(p) & (ASER_LINE_DSR | ASER_LINE_CD | ASER_LINE_CTS), ASER_LINE_CTS);
    CHECK_EQ(aser_send_break(p, 10), 0); /* writes are held until it ends */
    sim_ask(loop, p, "PING lines\n", "PONG lines");
    aser_close(p);
    ut_run_for(loop, 5);
    ut_loop_free(loop);
}

/* The blocking API opens it too (no loop of the caller's). */
TEST(sim, url_with_the_blocking_api)
{
    aser_port *p;
    aser_err err;
    CHECKM(aser_open(NULL, "sim:sync", NULL, &p, &err) == 0, "%s", err.msg);
    char line[64];
    aser_query_opts qo = {.timeout_ms = 2000};
    ssize_t n = aser_query_sync(p, "PING sync\n", 10, &qo, line, sizeof line);
    CHECKM(n == 9, "%zd", n);
    CHECK_MEM(line, "PONG sync", 9);
    aser_close(p);
}

TEST(sim, url_refuses_a_bad_name)
{
    aser_loop *loop = ut_loop_new();
    aser_port *p;
    aser_err err = {0};
    CHECK_EQ(aser_open(loop, "sim:", NULL, &p, &err), ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "sim:NAME");
    CHECK_EQ(aser_open(loop, "sim:a/b", NULL, &p, &err), ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "sim:dmm1");
    ut_loop_free(loop);
}


typedef struct small_rec {
    int calls, status;
    size_t len;
    uint8_t data[32];
} small_rec;

static void on_small(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    (void)p;
    small_rec *r = ctx;
    r->status = status;
    r->len = len < sizeof r->data ? len : sizeof r->data;
    if (len) memcpy(r->data, data, r->len);
    r->calls++;
}

/* Many on one loop, all asked at once: each answers its own query, and
 * each costs its port one descriptor on Linux (an eventfd: no pty, no
 * second port), so 10,000 fit under the usual hard limit of 20,000; the
 * portable build's self-pipe costs two. */
TEST(sim, url_many_answer_at_once)
{
    enum {
        N = 300
    };
    aser_loop *loop = ut_loop_new();
    static aser_port *p[N];
    static small_rec q[N];
    static char req[N][32], want[N][32];
    aser_err err;
    int done = 0, fds0 = ut_open_fds();
    for (int i = 0; i < N; i++) {
        char url[32];
        snprintf(url, sizeof url, "sim:s%d", i);
        CHECKM(aser_open(loop, url, NULL, &p[i], &err) == 0, "%s: %s", url, err.msg);
        snprintf(req[i], sizeof req[i], "PING %d\n", i);
        snprintf(want[i], sizeof want[i], "PONG %d", i);
        memset(&q[i], 0, sizeof q[i]);
        CHECK(aser_query(p[i], req[i], strlen(req[i]), &(aser_query_opts){.timeout_ms = 5000},
                         on_small, &q[i]) > 0);
    }
    const int per_port = ut_wake_fds(); /* none counted where /proc/self/fd is not */
    if (fds0 >= 0)
        CHECKM(ut_open_fds() - fds0 == per_port * N,
               "%d descriptors for %d sim: ports (want %d each)", ut_open_fds() - fds0, N,
               per_port);
    for (int rounds = 0; rounds < 1000 && done < N; rounds++) {
        ut_loop_run_once(loop, 100);
        done = 0;
        for (int i = 0; i < N; i++) done += q[i].calls;
    }
    CHECK_EQ(done, N);
    for (int i = 0; i < N; i++) {
        CHECKM(q[i].status == 0 && q[i].len == strlen(want[i]) &&
                   !memcmp(q[i].data, want[i], q[i].len),
               "port %d: status %d", i, q[i].status);
        aser_close(p[i]);
    }
    ut_run_for(loop, 5);
    ut_loop_free(loop);
}
