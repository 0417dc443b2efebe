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
