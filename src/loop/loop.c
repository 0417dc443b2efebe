/* loop.c: the aser_loop object. Wraps a hook table (the built-in loop's or
 * an adapter's) in the small internal API the rest of the library uses:
 * fd watches, timers, deferred calls and run references; and implements
 * aser_loop_post(), the one entry point other threads may call, on top of
 * the same hooks (os/wake.h: an eventfd, or a self-pipe off Linux, watched
 * like any other fd), so it works on every loop; the Windows built-in
 * loop wakes itself with a completion packet instead. */
#define _GNU_SOURCE
#include "loop/loop.h"
#include "os/wake.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct aser_io {
    aser_loop *loop;
    void *h;
};

struct aser_tmr {
    aser_loop *loop;
    void *h;
};

/* ---- deferred calls ---------------------------------------------------- */

static void defer_run(void *arg)
{
    aser_loop *loop = arg;
    loop->defer_armed = false;
    /* Run only what was queued before now: calls queued by these callbacks
     * carry the new generation and wait for the next round, so a callback
     * that re-queues itself cannot starve the loop. Nodes stay on the list
     * until popped, so aser__defer_cancel() works on any of them. */
    unsigned gen = ++loop->defer_gen;
    while (loop->dq_head && loop->dq_head->gen != gen) {
        aser_defer *d = loop->dq_head;
        loop->dq_head = d->next;
        if (!loop->dq_head) loop->dq_tail = NULL;
        d->queued = false;
        d->next = NULL;
        d->fn(d->arg);
    }
    if (loop->dq_head && !loop->defer_armed) {
        loop->defer_armed = true;
        loop->hooks->timer_start(loop->data, loop->defer_timer, 0);
    }
}

void aser__defer(aser_loop *loop, aser_defer *d)
{
    if (d->queued) return;
    d->queued = true;
    d->gen = loop->defer_gen;
    d->next = NULL;
    if (loop->dq_tail)
        loop->dq_tail->next = d;
    else
        loop->dq_head = d;
    loop->dq_tail = d;
    if (!loop->defer_armed) {
        loop->defer_armed = true;
        loop->hooks->timer_start(loop->data, loop->defer_timer, 0);
    }
}

void aser__defer_cancel(aser_loop *loop, aser_defer *d)
{
    if (!d->queued) return;
    aser_defer *prev = NULL;
    for (aser_defer *it = loop->dq_head; it; prev = it, it = it->next) {
        if (it != d) continue;
        if (prev)
            prev->next = it->next;
        else
            loop->dq_head = it->next;
        if (loop->dq_tail == it) loop->dq_tail = prev;
        break;
    }
    d->queued = false;
    d->next = NULL;
}

/* ---- calls posted from other threads ------------------------------------ */

/* Posters append to `in` under the mutex; the loop thread swaps `in` and
 * `run` under the mutex and runs `run` without it, so a posted call may
 * post again (it runs in a later round). The wake-up fd is written only when
 * `in` goes from empty to non-empty; the loop thread reads it before it
 * swaps, so a call is never left queued with the wake-up fd cleared. Both
 * arrays keep their capacity (at most ASER_POST_MAX calls each), so a
 * steady stream of posts allocates nothing. */
typedef struct aser_post aser_post;

typedef struct post_call {
    void (*fn)(void *);
    void *arg;
} post_call;

typedef struct post_vec {
    post_call *v;
    size_t n, cap;
} post_vec;

struct aser_post {
    pthread_mutex_t mu;
    post_vec in, run;
    aser_wake wake; /* eventfd on Linux, a self-pipe elsewhere (os/wake.h) */
    void *io;       /* hook handle watching wake.rfd */
    bool iocp;      /* the built-in loop's own wake-up (Windows: a packet) */
};

/* Run every call posted so far, in posting order. Loop thread only. */
static void post_run_batch(aser_post *ps)
{
    pthread_mutex_lock(&ps->mu);
    post_vec tmp = ps->in;
    ps->in = ps->run;
    ps->run = tmp;
    pthread_mutex_unlock(&ps->mu);
    for (size_t i = 0; i < ps->run.n; i++) ps->run.v[i].fn(ps->run.v[i].arg);
    ps->run.n = 0;
}

static bool post_pending(aser_post *ps)
{
    pthread_mutex_lock(&ps->mu);
    bool pending = ps->in.n > 0;
    pthread_mutex_unlock(&ps->mu);
    return pending;
}

static void post_on_io(void *arg, unsigned revents)
{
    aser_post *ps = arg;
    (void)revents;
    aser__wake_drain(&ps->wake);
    post_run_batch(ps);
}

/* The built-in loop's own wake-up (Windows): one call per packet. */
static void post_on_packet(void *arg)
{
    post_run_batch(arg);
}

static void post_free(aser_loop *loop)
{
    aser_post *ps = loop->post;
    if (!ps) return;
    if (ps->io) loop->hooks->io_close(loop->data, ps->io);
    aser__wake_close(&ps->wake);
    pthread_mutex_destroy(&ps->mu);
    free(ps->in.v);
    free(ps->run.v);
    free(ps);
    loop->post = NULL;
}

static int post_init(aser_loop *loop)
{
    aser_post *ps = calloc(1, sizeof *ps);
    if (!ps) return ASER_ENOMEM;
    if (pthread_mutex_init(&ps->mu, NULL) != 0) {
        free(ps);
        return ASER_ENOMEM;
    }
    loop->post = ps;
    if (loop->builtin && aser__builtin_set_post(loop->builtin, post_on_packet, ps) == 0) {
        ps->wake.rfd = ps->wake.wfd = -1;
        ps->iocp = true;
        return 0;
    }
    int rc = aser__wake_open(&ps->wake);
    if (rc < 0) return rc;
    ps->io = loop->hooks->io_open(loop->data, ps->wake.rfd, post_on_io, ps);
    if (!ps->io) return ASER_ENOMEM;
    return loop->hooks->io_set(loop->data, ps->io, ASER_EV_READ);
}

static int post_push(aser_post *ps, void (*fn)(void *), void *arg, bool *wake)
{
    if (ps->in.n == ASER_POST_MAX) return ASER_ENOBUFS;
    if (ps->in.n == ps->in.cap) {
        size_t cap = ps->in.cap ? ps->in.cap * 2 : 64;
        if (cap > ASER_POST_MAX) cap = ASER_POST_MAX;
        post_call *v = realloc(ps->in.v, cap * sizeof *v);
        if (!v) return ASER_ENOMEM;
        ps->in.v = v;
        ps->in.cap = cap;
    }
    ps->in.v[ps->in.n++] = (post_call){fn, arg};
    *wake = ps->in.n == 1;
    return 0;
}

int aser_loop_post(aser_loop *loop, void (*fn)(void *), void *arg)
{
    if (!loop || !fn) return ASER_EINVAL;
    aser_post *ps = loop->post;
    bool wake = false;
    pthread_mutex_lock(&ps->mu);
    int rc = post_push(ps, fn, arg, &wake);
    pthread_mutex_unlock(&ps->mu);
    if (rc == 0 && wake && ps->iocp) {
        aser__builtin_post_wake(loop->builtin);
        return rc;
    }
    if (rc == 0 && wake) aser__wake_signal(&ps->wake);
    return rc;
}

/* ---- creation ----------------------------------------------------------- */

static bool hooks_complete(const aser_loop_hooks *h)
{
    return h && h->io_open && h->io_set && h->io_close && h->timer_open && h->timer_start &&
           h->timer_stop && h->timer_close;
}

int aser_loop_new_with_hooks(const aser_loop_hooks *hooks, void *loop_data, aser_loop **out)
{
    if (!out) return ASER_EINVAL;
    *out = NULL;
    if (!hooks_complete(hooks)) return ASER_EINVAL;
    aser_loop *loop = calloc(1, sizeof *loop);
    if (!loop) return ASER_ENOMEM;
    loop->hooks = hooks;
    loop->data = loop_data;
    /* The built-in loop (aser_loop_new) is known from here on, so post_init
     * can use its own wake-up where it has one (Windows). */
    if (hooks == &aser__builtin_hooks) loop->builtin = loop_data;
    loop->defer_timer = hooks->timer_open(loop_data, defer_run, loop);
    if (!loop->defer_timer) {
        free(loop);
        return ASER_ENOMEM;
    }
    int rc = post_init(loop);
    if (rc < 0) {
        post_free(loop);
        hooks->timer_close(loop_data, loop->defer_timer);
        free(loop);
        return rc;
    }
    *out = loop;
    return 0;
}

int aser_loop_new(aser_loop **out)
{
    aser_builtin *b;
    if (!out) return ASER_EINVAL;
    *out = NULL;
    int rc = aser__builtin_new(&b);
    if (rc < 0) return rc;
    rc = aser_loop_new_with_hooks(&aser__builtin_hooks, b, out);
    if (rc < 0) {
        aser__builtin_free(b);
        return rc;
    }
    (*out)->builtin = b;
    return 0;
}

int aser_loop_free(aser_loop *loop)
{
    if (!loop) return 0;
    /* Calls posted and not yet run are run now, on this thread: each
     * accepted post runs exactly once. */
    while (post_pending(loop->post)) post_run_batch(loop->post);
    /* Let already-closed ports finish their deferred callbacks. On an
     * adapted loop nobody may be running the host loop now: run the queue
     * directly. */
    while (loop->builtin && loop->dq_head) aser__builtin_run_once(loop->builtin, 0);
    while (loop->dq_head) defer_run(loop);
    /* Windows: completions already queued (operations a close cancelled)
     * run their done now, which may defer more (os/win/iocp.c; none on
     * Unix). */
    while (loop->builtin && aser__builtin_settle(loop->builtin) > 0)
        while (loop->dq_head) defer_run(loop);
    if (loop->refs > 0) return ASER_EBUSY;
    post_free(loop);
    loop->hooks->timer_close(loop->data, loop->defer_timer);
    if (loop->builtin) aser__builtin_free(loop->builtin);
    free(loop);
    return 0;
}

/* ---- running (built-in loop only) ------------------------------------- */

int aser_loop_run_once(aser_loop *loop, int timeout_ms)
{
    if (!loop || !loop->builtin) return ASER_EINVAL;
    int64_t us = timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000;
    return aser__builtin_run_once(loop->builtin, us);
}

int aser_loop_run(aser_loop *loop)
{
    if (!loop || !loop->builtin) return ASER_EINVAL;
    loop->stop = false;
    while (!loop->stop && (loop->refs > 0 || loop->dq_head || post_pending(loop->post))) {
        int rc = aser__builtin_run_once(loop->builtin, -1);
        if (rc < 0) return rc;
    }
    loop->stop = false;
    return 0;
}

void aser_loop_stop(aser_loop *loop)
{
    if (loop) loop->stop = true;
}

int aser_loop_fd(const aser_loop *loop)
{
    return loop && loop->builtin ? aser__builtin_fd(loop->builtin) : -1;
}

int aser_loop_timeout(const aser_loop *loop)
{
    if (!loop || !loop->builtin) return -1;
    if (loop->dq_head || post_pending(loop->post)) return 0;
    int64_t us = aser__builtin_timeout(loop->builtin);
    if (us < 0) return -1;
    int64_t ms = (us + 999) / 1000; /* never early */
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

void aser__loop_ref(aser_loop *loop)
{
    loop->refs++;
}

void aser__loop_unref(aser_loop *loop)
{
    loop->refs--;
}

/* ---- fd watches and timers -------------------------------------------- */

aser_io *aser__io_open(aser_loop *loop, int fd, aser_io_fn fn, void *arg)
{
    aser_io *io = malloc(sizeof *io);
    if (!io) return NULL;
    io->loop = loop;
    io->h = loop->hooks->io_open(loop->data, fd, fn, arg);
    if (!io->h) {
        free(io);
        return NULL;
    }
    return io;
}

int aser__io_set(aser_io *io, unsigned events)
{
    return io->loop->hooks->io_set(io->loop->data, io->h, events);
}

void aser__io_close(aser_io *io)
{
    if (!io) return;
    io->loop->hooks->io_close(io->loop->data, io->h);
    free(io);
}

aser_tmr *aser__tmr_open(aser_loop *loop, aser_timer_fn fn, void *arg)
{
    aser_tmr *t = malloc(sizeof *t);
    if (!t) return NULL;
    t->loop = loop;
    t->h = loop->hooks->timer_open(loop->data, fn, arg);
    if (!t->h) {
        free(t);
        return NULL;
    }
    return t;
}

int aser__tmr_start(aser_tmr *t, uint64_t us)
{
    return t->loop->hooks->timer_start(t->loop->data, t->h, us);
}

void aser__tmr_stop(aser_tmr *t)
{
    t->loop->hooks->timer_stop(t->loop->data, t->h);
}

void aser__tmr_close(aser_tmr *t)
{
    if (!t) return;
    t->loop->hooks->timer_close(t->loop->data, t->h);
    free(t);
}

/* ---- public one-shot timers --------------------------------------------- */

struct aser_timer {
    aser_tmr *t;
    aser_loop *loop;
    void (*fn)(void *);
    void *arg;
};

static void user_timer_fire(void *arg)
{
    aser_timer *ut = arg;
    void (*fn)(void *) = ut->fn;
    void *uarg = ut->arg;
    aser__loop_unref(ut->loop);
    aser__tmr_close(ut->t);
    free(ut);
    fn(uarg);
}

int aser_timer_start(aser_loop *loop, uint64_t ms, void (*fn)(void *), void *arg, aser_timer **out)
{
    if (!loop || !fn) return ASER_EINVAL;
    aser_timer *ut = calloc(1, sizeof *ut);
    if (!ut) return ASER_ENOMEM;
    ut->t = aser__tmr_open(loop, user_timer_fire, ut);
    if (!ut->t) {
        free(ut);
        return ASER_ENOMEM;
    }
    ut->loop = loop;
    ut->fn = fn;
    ut->arg = arg;
    int rc = aser__tmr_start(ut->t, ms * 1000u);
    if (rc < 0) {
        aser__tmr_close(ut->t);
        free(ut);
        return rc;
    }
    aser__loop_ref(loop);
    if (out) *out = ut;
    return 0;
}

void aser_timer_cancel(aser_timer *ut)
{
    if (!ut) return;
    aser__loop_unref(ut->loop);
    aser__tmr_close(ut->t);
    free(ut);
}
