/* test-hooks.c: the hook contract of docs/loops.md, checked on every loop
 * (ASER_TEST_LOOP = builtin | uv | event) through the internal wrappers
 * the library itself uses. An adapter that passes these and the port
 * suite is one aserial can run on. */
#define _GNU_SOURCE
#include "util.h"
#include "internal.h"

#include <fcntl.h>
#include <unistd.h>

static aser_loop *loop;

/* ---- timers ------------------------------------------------------------------- */

typedef struct tick {
    aser_tmr *t;
    int n, max;
    uint64_t start, us, fired;
} tick;

static void rearm_zero(void *arg)
{
    tick *k = arg;
    if (++k->n < k->max) CHECK(aser__tmr_start(k->t, 0) == 0);
}

TEST(hooks, zero_timer_rearmed_in_its_callback_waits_for_the_next_iteration)
{
    loop = ut_loop_new();
    tick k = {.max = 100};
    k.t = aser__tmr_open(loop, rearm_zero, &k);
    CHECK(k.t != NULL);
    CHECK(aser__tmr_start(k.t, 0) == 0);
    CHECK_EQ(k.n, 0); /* never inside the call */
    CHECK(ut_loop_run_once(loop, 1000) == 0);
    CHECK_EQ(k.n, 1); /* once per iteration: a self re-arming call cannot starve */
    CHECK(ut_loop_run_once(loop, 1000) == 0);
    CHECK_EQ(k.n, 2);
    aser__tmr_close(k.t);
    ut_loop_free(loop);
}

static void note_fire(void *arg)
{
    tick *k = arg;
    k->fired = aser__now_us();
    k->n++;
}

TEST(hooks, timers_never_fire_early)
{
    loop = ut_loop_new();
    static const uint64_t us[] = {1, 999, 1000, 1001, 1500, 2700, 7300, 15001};
    tick k[8] = {{0}};
    for (int i = 0; i < 8; i++) {
        k[i].t = aser__tmr_open(loop, note_fire, &k[i]);
        k[i].us = us[i];
        k[i].start = aser__now_us();
        CHECK(aser__tmr_start(k[i].t, us[i]) == 0);
    }
    uint64_t end = at_now_ms() + 2000;
    for (int i = 0; i < 8; i++) {
        while (k[i].n == 0 && at_now_ms() < end) CHECK(ut_loop_run_once(loop, 5) == 0);
        CHECKM(k[i].n == 1, "the %llu us timer fired %d times", (unsigned long long)us[i], k[i].n);
        CHECKM(k[i].fired - k[i].start >= us[i], "the %llu us timer fired after %llu us",
               (unsigned long long)us[i], (unsigned long long)(k[i].fired - k[i].start));
        aser__tmr_close(k[i].t);
    }
    ut_loop_free(loop);
}

TEST(hooks, stop_disarms_and_start_rearms)
{
    loop = ut_loop_new();
    tick k = {0};
    k.t = aser__tmr_open(loop, note_fire, &k);
    aser__tmr_stop(k.t); /* harmless when not armed */
    CHECK(aser__tmr_start(k.t, 10000) == 0);
    aser__tmr_stop(k.t);
    ut_run_for(loop, 30);
    CHECK_EQ(k.n, 0);
    CHECK(aser__tmr_start(k.t, 500000) == 0);
    k.start = aser__now_us();
    CHECK(aser__tmr_start(k.t, 20000) == 0); /* the old deadline is forgotten */
    ut_run_until(loop, &k.n, 1000);
    CHECK(k.fired - k.start < 400000);
    ut_run_for(loop, 30);
    CHECK_EQ(k.n, 1); /* one-shot */
    aser__tmr_close(k.t);
    ut_loop_free(loop);
}

static void close_own_timer(void *arg)
{
    tick *k = arg;
    k->n++;
    aser__tmr_close(k->t);
}

TEST(hooks, a_timer_can_close_itself)
{
    loop = ut_loop_new();
    tick k = {0};
    k.t = aser__tmr_open(loop, close_own_timer, &k);
    CHECK(aser__tmr_start(k.t, 1000) == 0);
    ut_run_until(loop, &k.n, 1000);
    ut_run_for(loop, 10);
    CHECK_EQ(k.n, 1);
    ut_loop_free(loop);
}

/* ---- fd watches ---------------------------------------------------------------- */

typedef struct watch {
    aser_io *io;
    int fds[2];
    int calls;
    unsigned got;
    struct watch *other; /* closed by this one's callback, if set */
} watch;

static void on_ready(void *arg, unsigned revents)
{
    watch *w = arg;
    w->calls++;
    w->got |= revents;
}

static void watch_open(watch *w, aser_io_fn fn)
{
    CHECK(pipe(w->fds) == 0);
    w->io = aser__io_open(loop, w->fds[0], fn, w);
    CHECK(w->io != NULL);
}

static void watch_close(watch *w)
{
    if (w->io) aser__io_close(w->io);
    close(w->fds[0]);
    close(w->fds[1]);
}

TEST(hooks, io_set_is_idempotent_and_zero_stops_even_a_hang_up)
{
    loop = ut_loop_new();
    watch w = {0};
    watch_open(&w, on_ready);
    CHECK(aser__io_set(w.io, ASER_EV_READ) == 0);
    CHECK(aser__io_set(w.io, ASER_EV_READ) == 0);
    ut_run_for(loop, 20);
    CHECK_EQ(w.calls, 0); /* nothing to read */
    CHECK(write(w.fds[1], "x", 1) == 1);
    ut_run_until(loop, &w.calls, 1000);
    CHECK_EQ(w.got, ASER_EV_READ);
    w.calls = 0;
    ut_run_until(loop, &w.calls, 1000); /* level-triggered: still readable */
    CHECK(aser__io_set(w.io, 0) == 0);
    CHECK(aser__io_set(w.io, 0) == 0);
    close(w.fds[1]); /* hang-up */
    w.fds[1] = open("/dev/null", O_RDONLY);
    w.calls = 0;
    uint64_t t0 = at_now_ms();
    CHECK(ut_loop_run_once(loop, 50) == 0); /* must sleep, not spin */
    CHECK(at_now_ms() - t0 >= 40);
    CHECK_EQ(w.calls, 0);
    CHECK(aser__io_set(w.io, ASER_EV_READ | ASER_EV_WRITE) == 0);
    ut_run_until(loop, &w.calls, 1000); /* a hang-up is reported to readers */
    CHECK(w.got & ASER_EV_READ);
    watch_close(&w);
    ut_loop_free(loop);
}

static void close_self(void *arg, unsigned revents)
{
    watch *w = arg;
    on_ready(arg, revents);
    aser__io_close(w->io);
    w->io = NULL;
}

static void close_other(void *arg, unsigned revents)
{
    watch *w = arg;
    on_ready(arg, revents);
    if (w->other->io) aser__io_close(w->other->io);
    w->other->io = NULL;
    CHECK(aser__io_set(w->io, 0) == 0); /* heard once is enough */
}

TEST(hooks, a_callback_can_close_its_own_watch_or_one_with_a_pending_event)
{
    loop = ut_loop_new();
    watch a = {0}, b = {0}, c = {0};
    watch_open(&a, close_self);
    watch_open(&b, close_other);
    watch_open(&c, close_other);
    b.other = &c;
    c.other = &b;
    CHECK(aser__io_set(a.io, ASER_EV_READ) == 0);
    CHECK(aser__io_set(b.io, ASER_EV_READ) == 0);
    CHECK(aser__io_set(c.io, ASER_EV_READ) == 0);
    CHECK(write(a.fds[1], "x", 1) == 1);
    CHECK(write(b.fds[1], "x", 1) == 1); /* b and c ready in the same batch */
    CHECK(write(c.fds[1], "x", 1) == 1);
    ut_run_for(loop, 50);
    CHECK_EQ(a.calls, 1);
    CHECK_EQ(b.calls + c.calls, 1); /* the one closed first never hears */
    watch_close(&a);
    watch_close(&b);
    watch_close(&c);
    ut_loop_free(loop);
}
