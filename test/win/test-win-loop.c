/* test-win-loop.c: the Windows built-in loop (src/os/win/iocp.c) under
 * Wine: timers (order, many, cancel, the wait's length), aser_loop_post
 * from other threads (each call once, in order per thread), socket watches
 * through the poller thread (level-triggered, no spin, disarm, close from
 * the callback), a watch on a non-socket handle (accepted, never fires),
 * and aser_loop_fd() == -1. */
#include "internal.h"
#include "loop/loop.h"
#include "os/socket.h"
#include "wtap.h"

#include <process.h>
#include <string.h>

static aser_loop *L;

/* ---- timers -------------------------------------------------------------- */

static int order[8], norder;
static uint64_t t0;
static uint64_t fired_at[8];

static void tfire(void *arg)
{
    int id = (int)(intptr_t)arg;
    fired_at[id] = wt_now_ms() - t0;
    order[norder++] = id;
}

static int many_fired, many_bad_order;
static uint64_t many_last;
static uint64_t many_deadline[1000];

/* Deadlines are absolute (the clock when the timer was started, plus its
 * delay, in us): on a loaded machine starting 1000 timers takes long
 * enough that a later start with a shorter delay is due after an earlier
 * start with a longer one. A fire more than a millisecond before the last
 * one's deadline (the loop's timers are ms-accurate) is out of order. */
static void many_fire(void *arg)
{
    size_t i = (size_t)arg;
    if (many_deadline[i] + 1000 < many_last) many_bad_order++;
    if (many_deadline[i] > many_last) many_last = many_deadline[i];
    many_fired++;
}

static void test_timers(void)
{
    t0 = wt_now_ms();
    aser_timer_start(L, 60, tfire, (void *)3, NULL);
    aser_timer_start(L, 20, tfire, (void *)1, NULL);
    aser_timer_start(L, 40, tfire, (void *)2, NULL);
    aser_timer *c = NULL;
    aser_timer_start(L, 30, tfire, (void *)4, &c);
    aser_timer_cancel(c);
    WT_RUN_UNTIL(L, norder >= 3, 2000);
    aser_loop_run_once(L, 50); /* the cancelled one would have fired by now */
    wt_ok(norder == 3 && order[0] == 1 && order[1] == 2 && order[2] == 3,
          "three timers fire in deadline order, the cancelled one never (%d fired)", norder);
    wt_ok(fired_at[1] >= 19 && fired_at[3] >= 59 && fired_at[3] < 400,
          "timers fire at their deadline, not before (20 ms at %llu, 60 ms at %llu)",
          (unsigned long long)fired_at[1], (unsigned long long)fired_at[3]);

    for (size_t i = 0; i < 1000; i++) {
        unsigned ms = (unsigned)((i * 7919u) % 50u);
        many_deadline[i] = aser__now_us() + ms * 1000u;
        aser_timer_start(L, ms, many_fire, (void *)i, NULL);
    }
    WT_RUN_UNTIL(L, many_fired == 1000, 3000);
    wt_ok(many_fired == 1000 && many_bad_order == 0,
          "1000 timers all fire once, in deadline order (%d fired, %d out of order)", many_fired,
          many_bad_order);

    uint64_t a = wt_now_ms();
    aser_loop_run_once(L, 100);
    uint64_t waited = wt_now_ms() - a;
    wt_ok(waited >= 95 && waited < 400, "an idle run_once(100 ms) waits ~100 ms (%llu ms)",
          (unsigned long long)waited);
    wt_ok(aser_loop_fd(L) == -1, "aser_loop_fd() is -1 on Windows");

    /* The recipe for hosts without an fd: aser_loop_timeout() bounds the
     * wait handed to aser_loop_run_once() (docs/loops.md). */
    wt_ok(aser_loop_timeout(L) == -1, "aser_loop_timeout() is -1 with nothing scheduled");
    int before = norder;
    t0 = wt_now_ms();
    aser_timer_start(L, 150, tfire, (void *)5, NULL);
    int ms = aser_loop_timeout(L);
    wt_ok(ms > 100 && ms <= 150, "aser_loop_timeout() tells the next deadline (%d ms)", ms);
    uint64_t stop = wt_now_ms() + 3000;
    while (norder == before && wt_now_ms() < stop) {
        int wait = aser_loop_timeout(L);
        aser_loop_run_once(L, wait < 0 || wait > 1000 ? 1000 : wait);
    }
    wt_ok(norder == before + 1 && fired_at[5] >= 149,
          "a host waiting as aser_loop_timeout() says gets its timer (after %llu ms)",
          (unsigned long long)fired_at[5]);
}

/* ---- aser_loop_post from other threads ------------------------------------ */

#define POSTERS 4
#define PER_POSTER 20000

static volatile LONG posted_ok;
static int seen[POSTERS], bad_seq, total_run;

typedef struct post_arg {
    int thread;
    int seq;
} post_arg;

static post_arg args[POSTERS][PER_POSTER];

static void on_post(void *arg)
{
    post_arg *a = arg;
    if (a->seq != seen[a->thread]) bad_seq++;
    seen[a->thread] = a->seq + 1;
    total_run++;
}

static unsigned __stdcall poster(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < PER_POSTER; i++) {
        args[t][i] = (post_arg){t, i};
        int rc;
        while ((rc = aser_loop_post(L, on_post, &args[t][i])) == ASER_ENOBUFS) Sleep(0);
        if (rc == 0) InterlockedIncrement(&posted_ok);
    }
    return 0;
}

static bool inline_ran, later_ran;
static void later(void *arg)
{
    (void)arg;
    later_ran = true;
}

static void test_post(void)
{
    HANDLE th[POSTERS];
    for (int t = 0; t < POSTERS; t++)
        th[t] = (HANDLE)_beginthreadex(NULL, 0, poster, (void *)(intptr_t)t, 0, NULL);
    WT_RUN_UNTIL(L, total_run == POSTERS * PER_POSTER, 20000);
    WaitForMultipleObjects(POSTERS, th, TRUE, 5000);
    for (int t = 0; t < POSTERS; t++) CloseHandle(th[t]);
    aser_loop_run_once(L, 0);
    wt_ok(posted_ok == POSTERS * PER_POSTER && total_run == POSTERS * PER_POSTER,
          "%d calls posted from %d threads each ran once (%d ran)", POSTERS * PER_POSTER, POSTERS,
          total_run);
    wt_ok(bad_seq == 0, "posted calls ran in posting order per thread (%d out of order)", bad_seq);
    aser_loop_post(L, later, NULL);
    inline_ran = later_ran;
    WT_RUN_UNTIL(L, later_ran, 1000);
    wt_ok(!inline_ran && later_ran, "a call posted on the loop thread runs later, from the loop");
}

/* ---- socket watches through the poller -------------------------------------- */

static int rd_calls, close_calls;
static aser_io *self_closing;

static void on_readable(void *arg, unsigned ev)
{
    (void)arg;
    if (ev & ASER_EV_READ) rd_calls++;
}

static void on_close_me(void *arg, unsigned ev)
{
    (void)arg;
    (void)ev;
    close_calls++;
    aser__io_close(self_closing);
}

enum {
    NS = 64
};
static int pairs[NS][2], hits[NS], nhits, made;
static aser_io *ios[NS];

static void on_many(void *arg, unsigned ev)
{
    int i = (int)(intptr_t)arg;
    char c;
    (void)ev;
    if (aser__sock_recv(pairs[i][0], &c, 1) == 1 && !hits[i]++) nhits++;
}

static int calls_in(int *counter, unsigned ms)
{
    int before = *counter;
    uint64_t end = wt_now_ms() + ms;
    while (wt_now_ms() < end) aser_loop_run_once(L, 20);
    return *counter - before;
}

static void test_sockets(void)
{
    int sv[2];
    wt_ok(aser__socketpair_nb(AF_INET, SOCK_STREAM, 0, sv) == 0, "a socket pair (emulated)");
    aser_io *io = aser__io_open(L, sv[0], on_readable, NULL);
    aser__io_set(io, ASER_EV_READ);
    wt_ok(calls_in(&rd_calls, 150) == 0, "an idle socket does not fire");
    /* The CPU measure works under Wine: spinning makes it grow (until
     * 100 ms, within 10 s of wall time however loaded the machine is). */
    uint64_t s0 = wt_cpu_ms(), spin_end = wt_now_ms() + 10000;
    while (wt_cpu_ms() - s0 < 100 && wt_now_ms() < spin_end) {
    }
    uint64_t spun = wt_cpu_ms() - s0;
    wt_ok(spun >= 100, "GetProcessTimes sees CPU spent spinning (%llu ms)",
          (unsigned long long)spun);
    uint64_t cpu0 = wt_cpu_ms();
    calls_in(&rd_calls, 500);
    uint64_t cpu = wt_cpu_ms() - cpu0;
    wt_ok(cpu < 150, "the loop and its poller are quiet while waiting (%llu ms CPU in 500 ms)",
          (unsigned long long)cpu);

    aser__sock_send(sv[1], "x", 1);
    WT_RUN_UNTIL(L, rd_calls > 0, 2000);
    wt_ok(rd_calls > 0, "a byte arriving makes the watch fire");
    int again = calls_in(&rd_calls, 200);
    wt_ok(again >= 2, "unread, it fires again (level-triggered: %d more calls in 200 ms)", again);
    char b[8];
    aser__sock_recv(sv[0], b, sizeof b);
    aser_loop_run_once(L, 20);
    wt_ok(calls_in(&rd_calls, 200) == 0, "once read, it stops firing");

    aser__sock_send(sv[1], "y", 1);
    aser__io_set(io, 0);
    wt_ok(calls_in(&rd_calls, 200) == 0, "disarmed with a byte waiting, it does not fire");
    aser__io_set(io, ASER_EV_READ);
    WT_RUN_UNTIL(L, rd_calls > 0, 2000);
    wt_ok(calls_in(&rd_calls, 0) == 0 && rd_calls > 0, "re-armed, the waiting byte is reported");
    aser__sock_recv(sv[0], b, sizeof b);
    aser__io_close(io);

    self_closing = aser__io_open(L, sv[1], on_close_me, NULL);
    aser__io_set(self_closing, ASER_EV_WRITE);
    WT_RUN_UNTIL(L, close_calls > 0, 2000);
    calls_in(&close_calls, 100);
    wt_ok(close_calls == 1, "a watch closed in its own callback is not called again (%d calls)",
          close_calls);

    /* Many sockets at once: each reported. */
    made = 0;
    for (int i = 0; i < NS; i++) {
        if (aser__socketpair_nb(AF_INET, SOCK_STREAM, 0, pairs[i]) < 0) break;
        ios[i] = aser__io_open(L, pairs[i][0], on_many, (void *)(intptr_t)i);
        aser__io_set(ios[i], ASER_EV_READ);
        made++;
    }
    for (int i = 0; i < made; i++) aser__sock_send(pairs[i][1], "z", 1);
    WT_RUN_UNTIL(L, nhits == made, 3000);
    wt_ok(made == NS && nhits == NS, "%d socket pairs watched at once, each reported once (%d)", NS,
          nhits);
    for (int i = 0; i < made; i++) {
        aser__io_close(ios[i]);
        aser__sock_close(pairs[i][0]);
        aser__sock_close(pairs[i][1]);
    }
    aser__sock_close(sv[0]);
    aser__sock_close(sv[1]);

    /* A watch on a handle that is not a socket: accepted, never fires. */
    HANDLE ev = CreateEventW(NULL, TRUE, TRUE, NULL);
    int calls = 0;
    aser_io *h = aser__io_open(L, (int)(intptr_t)ev, on_readable, NULL);
    rd_calls = 0;
    int rc = h ? aser__io_set(h, ASER_EV_READ | ASER_EV_WRITE) : -1;
    calls = calls_in(&rd_calls, 150);
    wt_ok(h && rc == 0 && calls == 0, "a watch on a non-socket handle is accepted and never fires");
    aser__io_close(h);
    CloseHandle(ev);
}

/* ---- a loop on hooks ------------------------------------------------------ */

/* A host loop for aser_loop_new_with_hooks: the built-in one's hooks
 * behind other function pointers, so libaserial sees an adapted loop and
 * wakes it for aser_loop_post through a socket pair (os/win/wake.c)
 * watched like any socket. */
static void *h_io_open(void *d, int fd, aser_io_fn fn, void *arg)
{
    return aser__builtin_hooks.io_open(d, fd, fn, arg);
}
static int h_io_set(void *d, void *h, unsigned ev)
{
    return aser__builtin_hooks.io_set(d, h, ev);
}
static void h_io_close(void *d, void *h)
{
    aser__builtin_hooks.io_close(d, h);
}
static void *h_timer_open(void *d, aser_timer_fn fn, void *arg)
{
    return aser__builtin_hooks.timer_open(d, fn, arg);
}
static int h_timer_start(void *d, void *h, uint64_t us)
{
    return aser__builtin_hooks.timer_start(d, h, us);
}
static void h_timer_stop(void *d, void *h)
{
    aser__builtin_hooks.timer_stop(d, h);
}
static void h_timer_close(void *d, void *h)
{
    aser__builtin_hooks.timer_close(d, h);
}
static const aser_loop_hooks host_hooks = {h_io_open,     h_io_set,     h_io_close,   h_timer_open,
                                           h_timer_start, h_timer_stop, h_timer_close};

static volatile LONG hooked_posts;
static void on_hooked_post(void *arg)
{
    (void)arg;
    InterlockedIncrement(&hooked_posts);
}

static unsigned __stdcall hooked_poster(void *arg)
{
    for (int i = 0; i < 1000; i++)
        while (aser_loop_post(arg, on_hooked_post, NULL) == ASER_ENOBUFS) Sleep(0);
    return 0;
}

static void test_hooks(void)
{
    aser_builtin *host;
    aser_loop *hl = NULL;
    int rc = aser__builtin_new(&host);
    if (rc == 0) rc = aser_loop_new_with_hooks(&host_hooks, host, &hl);
    wt_ok(rc == 0 && aser_loop_fd(hl) == -1 && aser_loop_run_once(hl, 0) == ASER_EINVAL,
          "a loop on hooks: made, and the built-in-only calls refuse (%d)", rc);
    if (rc != 0) return;
    HANDLE th = (HANDLE)_beginthreadex(NULL, 0, hooked_poster, hl, 0, NULL);
    uint64_t end = wt_now_ms() + 10000;
    while (hooked_posts < 1000 && wt_now_ms() < end) aser__builtin_run_once(host, 20000);
    WaitForSingleObject(th, 5000);
    CloseHandle(th);
    wt_ok(hooked_posts == 1000,
          "aser_loop_post from a thread wakes a loop on hooks through its socket pair (%ld of "
          "1000 ran)",
          (long)hooked_posts);
    wt_ok(aser_loop_free(hl) == 0, "the loop on hooks frees");
    aser__builtin_free(host);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (aser_loop_new(&L) != 0) {
        printf("Bail out! aser_loop_new failed\n");
        return 1;
    }
    test_timers();
    test_post();
    test_sockets();
    test_hooks();
    wt_ok(aser_loop_free(L) == 0, "the loop frees cleanly (poller thread joined)");
    return wt_done();
}
