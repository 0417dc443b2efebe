/* test-loop.c: the built-in loop (epoll and poll backends), timers,
 * deferred calls and the hook-table checks. */
#define _GNU_SOURCE
#include "util.h"
#include "os/wake.h"
#include "loop/loop.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

static void bump(void *arg)
{
    (*(int *)arg)++;
}

static int order[8], norder;
static void record(void *arg)
{
    order[norder++] = (int)(intptr_t)arg;
}

TEST(loop, timers_fire_in_deadline_order)
{
    aser_loop *loop;
    CHECK(aser_loop_new(&loop) == 0);
    CHECK(aser_timer_start(loop, 30, record, (void *)3, NULL) == 0);
    CHECK(aser_timer_start(loop, 10, record, (void *)1, NULL) == 0);
    CHECK(aser_timer_start(loop, 20, record, (void *)2, NULL) == 0);
    uint64_t t0 = at_now_ms();
    CHECK(aser_loop_run(loop) == 0); /* returns when no timer is left */
    CHECK(at_now_ms() - t0 >= 29);
    CHECK_EQ(norder, 3);
    CHECK_EQ(order[0], 1);
    CHECK_EQ(order[1], 2);
    CHECK_EQ(order[2], 3);
    CHECK(aser_loop_free(loop) == 0);
}

TEST(loop, cancelled_timer_never_fires)
{
    aser_loop *loop;
    aser_timer *t;
    int n = 0;
    CHECK(aser_loop_new(&loop) == 0);
    CHECK(aser_timer_start(loop, 5, bump, &n, &t) == 0);
    aser_timer_cancel(t);
    CHECK(aser_timer_start(loop, 20, bump, &n, NULL) == 0);
    CHECK(aser_loop_run(loop) == 0);
    CHECK_EQ(n, 1);
    CHECK(aser_loop_free(loop) == 0);
}

TEST(loop, timer_precision_is_sub_millisecond_late)
{
    aser_loop *loop;
    int n = 0;
    CHECK(aser_loop_new(&loop) == 0);
    uint64_t t0 = aser__now_us();
    CHECK(aser_timer_start(loop, 3, bump, &n, NULL) == 0);
    CHECK(aser_loop_run(loop) == 0);
    uint64_t late = aser__now_us() - t0;
    CHECK(late >= 3000);
    at_log("3 ms timer fired after %llu us", (unsigned long long)late);
    CHECK(aser_loop_free(loop) == 0);
}

static void on_pipe(void *arg, unsigned ev)
{
    int *got = arg;
    *got |= (int)ev;
}

static void io_roundtrip(void)
{
    aser_loop *loop;
    int fds[2], got = 0;
    CHECK(pipe(fds) == 0);
    CHECK(aser_loop_new(&loop) == 0);
    aser_io *io = aser__io_open(loop, fds[0], on_pipe, &got);
    CHECK(io != NULL);
    CHECK(aser__io_set(io, ASER_EV_READ) == 0);
    CHECK(aser_loop_run_once(loop, 20) == 0);
    CHECK_EQ(got, 0); /* nothing to read yet */
    CHECK(write(fds[1], "x", 1) == 1);
    CHECK(aser_loop_run_once(loop, 1000) == 0);
    CHECK_EQ(got, ASER_EV_READ);
    got = 0;
    CHECK(aser__io_set(io, 0) == 0); /* paused: no report though readable */
    CHECK(aser_loop_run_once(loop, 20) == 0);
    CHECK_EQ(got, 0);
    aser__io_close(io);
    close(fds[0]);
    close(fds[1]);
    CHECK(aser_loop_free(loop) == 0);
}

TEST(loop, io_readiness_epoll)
{
    io_roundtrip();
}

TEST(loop, io_readiness_poll_backend)
{
    setenv("ASERIAL_LOOP_BACKEND", "poll", 1);
    io_roundtrip();
}

TEST(loop, hung_up_fd_with_no_interest_does_not_spin)
{
    aser_loop *loop;
    int fds[2], got = 0;
    CHECK(pipe(fds) == 0);
    CHECK(aser_loop_new(&loop) == 0);
    aser_io *io = aser__io_open(loop, fds[0], on_pipe, &got);
    CHECK(aser__io_set(io, ASER_EV_READ) == 0);
    close(fds[1]); /* hang-up */
    CHECK(aser_loop_run_once(loop, 100) == 0);
    CHECK(got & ASER_EV_READ);
    CHECK(aser__io_set(io, 0) == 0);
    uint64_t t0 = at_now_ms();
    CHECK(aser_loop_run_once(loop, 50) == 0); /* must sleep, not return at once */
    CHECK(at_now_ms() - t0 >= 40);
    aser__io_close(io);
    close(fds[0]);
    CHECK(aser_loop_free(loop) == 0);
}

static aser_defer d1, d2;
static aser_loop *dloop;
static int dcount;
static void requeue(void *arg)
{
    (void)arg;
    dcount++;
    if (dcount < 3) aser__defer(dloop, &d1); /* next round, not this one */
}

TEST(loop, deferred_calls_run_later_and_can_be_cancelled)
{
    CHECK(aser_loop_new(&dloop) == 0);
    int n = 0;
    d1 = (aser_defer){.fn = requeue};
    d2 = (aser_defer){.fn = bump, .arg = &n};
    aser__defer(dloop, &d1);
    aser__defer(dloop, &d2);
    aser__defer(dloop, &d2); /* already queued: no-op */
    CHECK_EQ(dcount, 0);     /* never inside the caller */
    aser__defer_cancel(dloop, &d2);
    CHECK(aser_loop_run_once(dloop, 100) == 0);
    CHECK_EQ(dcount, 1);
    CHECK(aser_loop_run(dloop) == 0);
    CHECK_EQ(dcount, 3);
    CHECK_EQ(n, 0);
    CHECK(aser_loop_free(dloop) == 0);
}

static void *fake_open(void *d, int fd, aser_io_fn fn, void *a)
{
    (void)d, (void)fd, (void)fn, (void)a;
    return NULL;
}

TEST(loop, hooks_with_a_missing_timer_are_refused)
{
    aser_loop_hooks h = aser__builtin_hooks;
    aser_loop *loop = (aser_loop *)1;
    h.timer_start = NULL; /* an adapter that forgot timers */
    CHECK_EQ(aser_loop_new_with_hooks(&h, NULL, &loop), ASER_EINVAL);
    CHECK(loop == NULL);
    h = aser__builtin_hooks;
    h.io_open = fake_open;
    h.io_set = NULL;
    CHECK_EQ(aser_loop_new_with_hooks(&h, NULL, &loop), ASER_EINVAL);
    CHECK_EQ(aser_loop_new_with_hooks(NULL, NULL, &loop), ASER_EINVAL);
}

TEST(loop, run_and_free_on_wrong_loops)
{
    CHECK_EQ(aser_loop_run(NULL), ASER_EINVAL);
    CHECK_EQ(aser_loop_run_once(NULL, 0), ASER_EINVAL);
    CHECK_EQ(aser_loop_free(NULL), 0);
    aser_loop *loop;
    CHECK(aser_loop_new(&loop) == 0);
#ifdef ASER_OS_LINUX
    CHECK(aser_loop_fd(loop) >= 0); /* the epoll fd */
#else
    CHECK_EQ(aser_loop_fd(loop), -1); /* poll(): no one fd to embed */
#endif
    aser_timer *t;
    CHECK(aser_timer_start(loop, 1000, bump, NULL, &t) == 0);
    CHECK_EQ(aser_loop_free(loop), ASER_EBUSY); /* a timer still holds it */
    aser_timer_cancel(t);
    CHECK(aser_loop_free(loop) == 0);
}

/* The loop's wake-up (os/wake.h: an eventfd on Linux, a self-pipe in the
 * portable build): signalling never blocks, even past a pipe's capacity,
 * and one drain leaves it quiet. */
TEST(loop, wake_fd_never_blocks_and_drains)
{
    aser_wake w;
    CHECK_EQ(aser__wake_open(&w), 0);
    CHECK(w.rfd >= 0 && w.wfd >= 0);
    CHECK(fcntl(w.rfd, F_GETFD) & FD_CLOEXEC);
    CHECK(fcntl(w.wfd, F_GETFL) & O_NONBLOCK);
    struct pollfd pf = {.fd = w.rfd, .events = POLLIN};
    CHECK_EQ(poll(&pf, 1, 0), 0);
    for (int i = 0; i < 200000; i++) aser__wake_signal(&w); /* > 64 KiB of pipe */
    CHECK_EQ(poll(&pf, 1, 0), 1);
    aser__wake_drain(&w);
    pf.revents = 0;
    CHECK_EQ(poll(&pf, 1, 0), 0);
    aser__wake_signal(&w);
    CHECK_EQ(poll(&pf, 1, 0), 1);
    aser__wake_close(&w);
    CHECK(w.rfd == -1 && w.wfd == -1);
}
