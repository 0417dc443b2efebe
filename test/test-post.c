/* test-post.c: aser_loop_post(), the thread-safe wake-up, on every loop
 * (ASER_TEST_LOOP). Also built with ThreadSanitizer (post-tsan*), which
 * fails the test on the first data race. */
#define _GNU_SOURCE
#include "util.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#define NTHREADS 4
#define PER_THREAD 10000

/* ---- single thread ------------------------------------------------------- */

static int order[8], norder;

static void record(void *arg)
{
    order[norder++] = (int)(intptr_t)arg;
}

static void bump(void *arg)
{
    (*(int *)arg)++;
}

TEST(post, runs_later_on_the_loop_in_posting_order)
{
    aser_loop *loop = ut_loop_new();
    norder = 0;
    for (int i = 1; i <= 3; i++) CHECK_EQ(aser_loop_post(loop, record, (void *)(intptr_t)i), 0);
    CHECK_EQ(norder, 0); /* never inside the call */
    uint64_t end = at_now_ms() + 2000;
    while (norder < 3 && at_now_ms() < end) CHECK(ut_loop_run_once(loop, 10) == 0);
    CHECK_EQ(norder, 3);
    CHECK_EQ(order[0], 1);
    CHECK_EQ(order[1], 2);
    CHECK_EQ(order[2], 3);
    ut_run_for(loop, 20);
    CHECK_EQ(norder, 3); /* exactly once */
    ut_loop_free(loop);
}

TEST(post, bad_arguments_are_refused)
{
    aser_loop *loop = ut_loop_new();
    int n = 0;
    CHECK_EQ(aser_loop_post(NULL, bump, &n), ASER_EINVAL);
    CHECK_EQ(aser_loop_post(loop, NULL, &n), ASER_EINVAL);
    ut_run_for(loop, 10);
    CHECK_EQ(n, 0);
    ut_loop_free(loop);
}

static aser_loop *chain_loop;
static int chain_n;

static void chain(void *arg)
{
    (void)arg;
    if (++chain_n < 5) CHECK_EQ(aser_loop_post(chain_loop, chain, NULL), 0);
}

TEST(post, a_posted_call_can_post_again_for_a_later_round)
{
    chain_loop = ut_loop_new();
    chain_n = 0;
    CHECK_EQ(aser_loop_post(chain_loop, chain, NULL), 0);
    while (chain_n == 0) CHECK(ut_loop_run_once(chain_loop, 1000) == 0);
    CHECK_EQ(chain_n, 1); /* the re-post waits for the next round */
    uint64_t end = at_now_ms() + 2000;
    while (chain_n < 5 && at_now_ms() < end) CHECK(ut_loop_run_once(chain_loop, 10) == 0);
    CHECK_EQ(chain_n, 5);
    ut_loop_free(chain_loop);
}

TEST(post, pending_calls_run_at_free)
{
    aser_loop *loop = ut_loop_new();
    int n = 0;
    for (int i = 0; i < 3; i++) CHECK_EQ(aser_loop_post(loop, bump, &n), 0);
    CHECK_EQ(n, 0);
    ut_loop_free(loop); /* no accepted call is lost */
    CHECK_EQ(n, 3);
}

TEST(post, the_queue_is_bounded)
{
    aser_loop *loop = ut_loop_new();
    int n = 0;
    for (int i = 0; i < ASER_POST_MAX; i++) CHECK_EQ(aser_loop_post(loop, bump, &n), 0);
    CHECK_EQ(aser_loop_post(loop, bump, &n), ASER_ENOBUFS);
    while (n == 0) CHECK(ut_loop_run_once(loop, 1000) == 0);
    CHECK_EQ(n, ASER_POST_MAX);                  /* one batch: everything queued so far */
    CHECK_EQ(aser_loop_post(loop, bump, &n), 0); /* room again */
    ut_loop_free(loop);
    CHECK_EQ(n, ASER_POST_MAX + 1);
}

/* ---- other threads ----------------------------------------------------------- */

typedef struct hammer {
    aser_loop *loop;
    pthread_t loop_thread;
    int last[NTHREADS]; /* last sequence number seen per thread */
    int count, wrong_thread, out_of_order;
} hammer;

static hammer H;

static void on_post(void *arg)
{
    uintptr_t v = (uintptr_t)arg;
    int th = (int)(v >> 20), seq = (int)(v & 0xfffff);
    if (!pthread_equal(pthread_self(), H.loop_thread)) H.wrong_thread++;
    if (seq != H.last[th] + 1) H.out_of_order++;
    H.last[th] = seq;
    H.count++;
}

static void *poster(void *arg)
{
    uintptr_t th = (uintptr_t)arg;
    for (uintptr_t seq = 1; seq <= PER_THREAD; seq++) {
        int rc;
        while ((rc = aser_loop_post(H.loop, on_post, (void *)(th << 20 | seq))) == ASER_ENOBUFS)
            sched_yield(); /* the loop is behind: back off */
        if (rc != 0) return (void *)(intptr_t)rc;
    }
    return NULL;
}

TEST_T(post, hammered_from_four_threads_each_call_once_in_order, 120)
{
    H = (hammer){.loop = ut_loop_new(), .loop_thread = pthread_self()};
    pthread_t t[NTHREADS];
    for (uintptr_t i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&t[i], NULL, poster, (void *)i) == 0);
    uint64_t end = at_now_ms() + 60000;
    while (H.count < NTHREADS * PER_THREAD && at_now_ms() < end)
        CHECK(ut_loop_run_once(H.loop, 10) == 0);
    for (int i = 0; i < NTHREADS; i++) {
        void *rc;
        CHECK(pthread_join(t[i], &rc) == 0);
        CHECK(rc == NULL);
    }
    ut_run_for(H.loop, 20);
    at_log("%d calls from %d threads on the %s loop", H.count, NTHREADS, ut_loop_kind());
    CHECK_EQ(H.count, NTHREADS * PER_THREAD);
    CHECK_EQ(H.out_of_order, 0);
    CHECK_EQ(H.wrong_thread, 0);
    for (int i = 0; i < NTHREADS; i++) CHECK_EQ(H.last[i], PER_THREAD);
    ut_loop_free(H.loop);
}

static void *late_poster(void *arg)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    return (void *)(intptr_t)aser_loop_post(H.loop, bump, arg);
}

TEST(post, wakes_a_loop_waiting_without_timeout)
{
    H = (hammer){.loop = ut_loop_new(), .loop_thread = pthread_self()};
    int n = 0;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, late_poster, &n) == 0);
    uint64_t t0 = at_now_ms();
    while (n == 0) CHECK(ut_loop_run_once(H.loop, -1) == 0); /* nothing else wakes it */
    CHECK(at_now_ms() - t0 >= 40);
    void *rc;
    CHECK(pthread_join(t, &rc) == 0);
    CHECK(rc == NULL);
    CHECK_EQ(n, 1);
    ut_loop_free(H.loop);
}
