/* test-embed.c: the built-in loop embedded in a foreign loop.
 *
 * The host here is a plain poll() loop that waits on aser_loop_fd() and
 * nothing else, and calls aser_loop_run_once(loop, 0) when it is readable:
 * the recipe of aser_loop(3) and docs/loops.md. Operations are started from
 * the host's own code between iterations (not from aserial callbacks), so
 * their deferred starts and their timeouts must make the fd readable by
 * themselves. Where the loop has no fd (the portable build's poll loop), the
 * same tests run the other recipe: aser_loop_run_once(loop, ms) with ms from
 * aser_loop_timeout().
 *
 * Timeouts are checked for firing at all, never early, and within a bound
 * far from the healthy figure (the defect this guards against was "never":
 * a 300 ms query still pending after 3 s); the lateness seen is logged. */
#define _GNU_SOURCE
#include "aserial/testing.h"
#include "util.h"

#include <poll.h>
#include <pthread.h>
#include <time.h>

/* Late by more than this is a failure (healthy: well under 1 ms). */
#define LATE_LIMIT_MS 100

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the two host recipes ------------------------------------------------ */

static int host_wakeups;

/* Wait on the fd alone until *flag or limit_ms; false on the limit. */
static bool host_fd_until(aser_loop *loop, const int *flag, unsigned limit_ms)
{
    int fd = aser_loop_fd(loop);
    CHECK(fd >= 0);
    uint64_t end = now_ms() + limit_ms;
    while (!*flag) {
        uint64_t t = now_ms();
        if (t >= end) return false;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, (int)(end - t));
        CHECK(n >= 0);
        if (n == 1) {
            host_wakeups++;
            CHECK_EQ(aser_loop_run_once(loop, 0), 0);
        }
    }
    return true;
}

/* No fd: give aserial the wait, bounded by its own next deadline and ours. */
static bool host_timeout_until(aser_loop *loop, const int *flag, unsigned limit_ms)
{
    uint64_t end = now_ms() + limit_ms;
    while (!*flag) {
        uint64_t t = now_ms();
        if (t >= end) return false;
        int ms = aser_loop_timeout(loop);
        int ours = (int)(end - t);
        if (ms < 0 || ms > ours) ms = ours;
        host_wakeups++;
        CHECK_EQ(aser_loop_run_once(loop, ms), 0);
    }
    return true;
}

/* The recipe this build can run: the fd where the loop has one. */
static bool host_until(aser_loop *loop, const int *flag, unsigned limit_ms)
{
    if (aser_loop_fd(loop) >= 0) return host_fd_until(loop, flag, limit_ms);
    return host_timeout_until(loop, flag, limit_ms);
}

static void host_settle(aser_loop *loop)
{
    int never = 0;
    (void)host_until(loop, &never, 50);
}

static aser_loop *new_loop(void)
{
    aser_loop *loop;
    CHECK(aser_loop_new(&loop) == 0);
    return loop;
}

/* ---- a pseudo-terminal pair with an instrument on one end ----------------- */

typedef struct rig {
    aser_loop *loop;
    aser_pair *pair;
    aser_port *host, *dev;
    aser_sim *sim;
} rig;

static rig rig_open(bool answer)
{
    rig r = {.loop = new_loop()};
    aser_err err;
    CHECKM(aser_pair_open(r.loop, NULL, &r.pair, &err) == 0, "%s", err.msg);
    CHECKM(aser_open(r.loop, aser_pair_path(r.pair, 0), NULL, &r.host, &err) == 0, "%s", err.msg);
    CHECKM(aser_open(r.loop, aser_pair_path(r.pair, 1), NULL, &r.dev, &err) == 0, "%s", err.msg);
    static const aser_sim_rule rule = {"*IDN?", "ACME,DMM,1"};
    if (answer)
        CHECK(aser_sim_start(r.dev, &(aser_sim_opts){.rules = &rule, .nrules = 1}, &r.sim) == 0);
    return r;
}

static void rig_close(rig *r)
{
    if (r->sim) aser_sim_stop(r->sim);
    aser_close(r->host);
    aser_close(r->dev);
    aser_pair_close(r->pair);
    host_settle(r->loop);
    CHECK_EQ(aser_loop_free(r->loop), 0);
}

/* A query started from host code; returns its elapsed ms. */
static uint64_t host_query(rig *r, unsigned timeout_ms, ut_rec *rec)
{
    memset(rec, 0, sizeof *rec);
    uint64_t t0 = now_ms();
    CHECK(aser_query(r->host, "*IDN?\n", 6, &(aser_query_opts){.timeout_ms = timeout_ms},
                     ut_on_read, rec) > 0);
    CHECKM(host_until(r->loop, &rec->calls, timeout_ms + 3000), "no callback within %u ms",
           timeout_ms + 3000);
    CHECK_EQ(rec->calls, 1);
    return now_ms() - t0;
}

static void check_on_time(const char *what, uint64_t elapsed, unsigned deadline)
{
    at_log("%s: deadline %u ms, fired after %llu ms", what, deadline, (unsigned long long)elapsed);
    CHECKM(elapsed + 1 >= deadline, "%s fired early: %llu ms < %u ms", what,
           (unsigned long long)elapsed, deadline);
    CHECKM(elapsed <= deadline + LATE_LIMIT_MS, "%s fired %llu ms late", what,
           (unsigned long long)(elapsed - deadline));
}

/* ---- tests -------------------------------------------------------------- */

TEST(embed, query_from_host_code_gets_its_reply)
{
    rig r = rig_open(true);
    for (int i = 0; i < 20; i++) {
        ut_rec rec;
        host_query(&r, 1000, &rec);
        CHECK_EQ(rec.status, 0);
        CHECK_EQ(rec.len, 10);
        CHECK_MEM(rec.data, "ACME,DMM,1", 10);
    }
    at_log("20 queries, %d host wake-ups", host_wakeups);
    rig_close(&r);
}

TEST(embed, query_timeout_fires_on_time)
{
    rig r = rig_open(false); /* nobody answers */
    ut_rec rec;
    uint64_t el = host_query(&r, 300, &rec);
    CHECK_EQ(rec.status, ASER_ETIMEDOUT);
    check_on_time("query", el, 300);
    /* and the next one too: the timer is re-armed, not left as it was */
    el = host_query(&r, 50, &rec);
    CHECK_EQ(rec.status, ASER_ETIMEDOUT);
    check_on_time("second query", el, 50);
    rig_close(&r);
}

TEST(embed, read_timeout_then_cancel_leaves_the_port_usable)
{
    rig r = rig_open(true);
    ut_rec rec = {0};
    uint64_t t0 = now_ms();
    CHECK(aser_read_until(r.host, "\n", 1, 256, 120, ut_on_read, &rec) > 0);
    CHECK(host_until(r.loop, &rec.calls, 3000));
    CHECK_EQ(rec.status, ASER_ETIMEDOUT);
    check_on_time("read_until", now_ms() - t0, 120);

    memset(&rec, 0, sizeof rec);
    int id = aser_read_until(r.host, "\n", 1, 256, 10000, ut_on_read, &rec);
    CHECK(id > 0);
    host_settle(r.loop); /* the read has started and waits */
    CHECK_EQ(rec.calls, 0);
    CHECK_EQ(aser_cancel(r.host, id), 0); /* from host code */
    CHECK(host_until(r.loop, &rec.calls, 3000));
    CHECK_EQ(rec.status, ASER_ECANCELED);

    host_query(&r, 1000, &rec);
    CHECK_EQ(rec.status, 0);
    CHECK_MEM(rec.data, "ACME,DMM,1", 10);
    rig_close(&r);
}

typedef struct link_rec {
    int lost, restored;
} link_rec;

static void on_link(aser_port *p, aser_link_event ev, void *ctx)
{
    (void)p;
    link_rec *l = ctx;
    if (ev == ASER_LINK_LOST) l->lost++;
    if (ev == ASER_LINK_RESTORED) l->restored++;
}

TEST(embed, reconnect_runs_on_the_fd_alone)
{
    aser_loop *loop = new_loop();
    aser_mock *m;
    aser_port *host, *dev;
    aser_err err;
    CHECK(aser_mock_new(loop, "emb", &m) == 0);
    CHECKM(aser_open(loop, "mock://emb", NULL, &host, &err) == 0, "%s", err.msg);
    link_rec l = {0};
    CHECK(aser_set_reconnect(host, &(aser_reconnect_opts){.enabled = true,
                                                          .min_delay_ms = 80,
                                                          .max_delay_ms = 80,
                                                          .cb = on_link,
                                                          .ctx = &l}) == 0);
    aser_mock_unplug(m);
    CHECK(host_until(loop, &l.lost, 3000));
    CHECK(aser_mock_replug(m) == 0);
    uint64_t t0 = now_ms();
    CHECK(host_until(loop, &l.restored, 3000));
    at_log("restored %llu ms after the replug (retry delay 80 ms)",
           (unsigned long long)(now_ms() - t0));
    CHECK(aser_mock_open_peer(m, NULL, &dev) == 0);
    static const aser_sim_rule rule = {"*IDN?", "BACK"};
    aser_sim *s;
    CHECK(aser_sim_start(dev, &(aser_sim_opts){.rules = &rule, .nrules = 1}, &s) == 0);
    ut_rec rec = {0};
    CHECK(aser_query(host, "*IDN?\n", 6, &(aser_query_opts){.timeout_ms = 1000}, ut_on_read, &rec) >
          0);
    CHECK(host_until(loop, &rec.calls, 3000));
    CHECK_EQ(rec.status, 0);
    CHECK_MEM(rec.data, "BACK", 4);
    aser_sim_stop(s);
    aser_close(host);
    aser_close(dev);
    host_settle(loop);
    CHECK(aser_mock_free(m) == 0);
    CHECK_EQ(aser_loop_free(loop), 0);
}

static void set_flag(void *arg)
{
    ++*(int *)arg;
}

static void *poster(void *arg)
{
    aser_loop *loop = ((void **)arg)[0];
    int *flag = ((void **)arg)[1];
    CHECK(aser_loop_post(loop, set_flag, flag) == 0);
    return NULL;
}

TEST(embed, timers_and_posts_wake_the_host)
{
    aser_loop *loop = new_loop();
    int fired = 0;
    uint64_t t0 = now_ms();
    CHECK(aser_timer_start(loop, 70, set_flag, &fired, NULL) == 0);
    CHECK(host_until(loop, &fired, 3000));
    check_on_time("aser_timer_start", now_ms() - t0, 70);

    int posted = 0;
    pthread_t th;
    void *args[2] = {loop, &posted};
    CHECK(pthread_create(&th, NULL, poster, args) == 0);
    CHECK(host_until(loop, &posted, 3000));
    pthread_join(th, NULL);
    CHECK_EQ(posted, 1);
    CHECK_EQ(aser_loop_free(loop), 0);
}

TEST(embed, host_is_not_woken_for_nothing)
{
    /* A port waiting on a long read: the fd stays quiet (a readable fd with
     * nothing to do would make the host spin). */
    rig r = rig_open(false);
    ut_rec rec = {0};
    CHECK(aser_read_until(r.host, "\n", 1, 256, 10000, ut_on_read, &rec) > 0);
    host_settle(r.loop);
    host_wakeups = 0;
    int never = 0;
    CHECK(!host_until(r.loop, &never, 300));
    at_log("%d wake-ups in 300 ms with one read waiting", host_wakeups);
    if (aser_loop_fd(r.loop) >= 0) CHECKM(host_wakeups <= 3, "%d wake-ups", host_wakeups);
    rig_close(&r);
    CHECK_EQ(rec.calls, 1); /* the close completed the read */
}

TEST(embed, timeout_tells_the_next_deadline)
{
    aser_loop *loop = new_loop();
    CHECK_EQ(aser_loop_timeout(loop), -1); /* nothing scheduled */
    aser_timer *t;
    CHECK(aser_timer_start(loop, 500, set_flag, NULL, &t) == 0);
    int ms = aser_loop_timeout(loop);
    CHECKM(ms > 400 && ms <= 500, "aser_loop_timeout: %d", ms);
    aser_timer_cancel(t);
    CHECK_EQ(aser_loop_timeout(loop), -1);
    int posted = 0;
    CHECK(aser_loop_post(loop, set_flag, &posted) == 0);
    CHECK_EQ(aser_loop_timeout(loop), 0); /* a posted call is due now */
    CHECK_EQ(aser_loop_run_once(loop, 0), 0);
    CHECK_EQ(posted, 1);
    CHECK_EQ(aser_loop_free(loop), 0);
    CHECK_EQ(aser_loop_timeout(NULL), -1);
}

TEST(embed, timeout_recipe_without_the_fd)
{
    /* The recipe for hosts that cannot watch an fd, on every build. */
    rig r = rig_open(true);
    ut_rec rec = {0};
    CHECK(aser_query(r.host, "*IDN?\n", 6, &(aser_query_opts){.timeout_ms = 1000}, ut_on_read,
                     &rec) > 0);
    CHECK_EQ(aser_loop_timeout(r.loop), 0); /* the deferred start is due */
    CHECK(host_timeout_until(r.loop, &rec.calls, 3000));
    CHECK_EQ(rec.status, 0);
    aser_sim_stop(r.sim);
    r.sim = NULL;
    memset(&rec, 0, sizeof rec);
    uint64_t t0 = now_ms();
    CHECK(aser_query(r.host, "*IDN?\n", 6, &(aser_query_opts){.timeout_ms = 150}, ut_on_read,
                     &rec) > 0);
    CHECK(host_timeout_until(r.loop, &rec.calls, 3000));
    CHECK_EQ(rec.status, ASER_ETIMEDOUT);
    check_on_time("query (timeout recipe)", now_ms() - t0, 150);
    rig_close(&r);
}
