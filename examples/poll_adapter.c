/* poll_adapter.c: aserial on a home-grown poll() loop; the worked example
 * of docs/loops.md, using the public API only.
 *
 *   1. "your" event loop: fd watches and timers in fixed tables, poll()
 *   2. the adapter: the seven hooks of aser_loop_hooks, written against it
 *   3. a program: a simulated instrument on a virtual pair is asked twice
 *      (one answer, one timeout), then everything is freed and the loop's
 *      tables are checked empty; a table without timers is refused. */
#define _GNU_SOURCE
#include "aserial.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* ==== 1. the home-grown loop ============================================ */

#define MAX_WATCH 64
#define MAX_TIMER 64

typedef struct my_watch {
    int fd;
    short events; /* POLLIN | POLLOUT, 0: not polled */
    void (*cb)(short revents, void *data);
    void *data;
    bool used;
    unsigned gen; /* bumped on reuse, so stale poll results are dropped */
} my_watch;

typedef struct my_timer {
    uint64_t due_us;
    bool armed, used;
    unsigned arms; /* bumped on every arm, so a re-armed timer waits */
    void (*cb)(void *data);
    void *data;
} my_timer;

typedef struct my_loop {
    my_watch w[MAX_WATCH];
    my_timer t[MAX_TIMER];
} my_loop;

static uint64_t my_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static my_watch *my_watch_add(my_loop *l, int fd, void (*cb)(short, void *), void *data)
{
    for (int i = 0; i < MAX_WATCH; i++) {
        my_watch *w = &l->w[i];
        if (w->used) continue;
        *w = (my_watch){fd, 0, cb, data, true, w->gen + 1};
        return w;
    }
    return NULL;
}

static my_timer *my_timer_add(my_loop *l, void (*cb)(void *), void *data)
{
    for (int i = 0; i < MAX_TIMER; i++) {
        my_timer *t = &l->t[i];
        if (t->used) continue;
        *t = (my_timer){0, false, true, t->arms, cb, data};
        return t;
    }
    return NULL;
}

static void my_timer_arm(my_timer *t, uint64_t us)
{
    t->due_us = my_now_us() + us;
    t->armed = true;
    t->arms++;
}

static int my_poll_timeout(my_loop *l, int max_ms)
{
    uint64_t now = my_now_us();
    for (int i = 0; i < MAX_TIMER; i++) {
        if (!l->t[i].armed) continue;
        uint64_t left = l->t[i].due_us > now ? l->t[i].due_us - now : 0;
        int ms = (int)((left + 999) / 1000); /* poll() counts ms: round UP */
        if (max_ms < 0 || ms < max_ms) max_ms = ms;
    }
    return max_ms;
}

/* One iteration. Callbacks may add, change or delete any watch or timer,
 * their own included: everything is re-checked before each call. */
static void my_loop_run_once(my_loop *l, int max_ms)
{
    struct pollfd pfd[MAX_WATCH];
    my_watch *who[MAX_WATCH];
    unsigned gen[MAX_WATCH], arms[MAX_TIMER];
    nfds_t n = 0;
    for (int i = 0; i < MAX_WATCH; i++) {
        if (!l->w[i].used || !l->w[i].events) continue;
        pfd[n] = (struct pollfd){l->w[i].fd, l->w[i].events, 0};
        who[n] = &l->w[i];
        gen[n++] = l->w[i].gen;
    }
    if (poll(pfd, n, my_poll_timeout(l, max_ms)) > 0)
        for (nfds_t i = 0; i < n; i++)
            if (pfd[i].revents && who[i]->used && who[i]->gen == gen[i])
                who[i]->cb(pfd[i].revents, who[i]->data);
    uint64_t now = my_now_us(); /* fire what is due now, not what gets re-armed */
    for (int i = 0; i < MAX_TIMER; i++)
        arms[i] = l->t[i].armed && l->t[i].due_us <= now ? l->t[i].arms : 0;
    for (int i = 0; i < MAX_TIMER; i++) {
        my_timer *t = &l->t[i];
        if (!arms[i] || !t->armed || t->arms != arms[i]) continue;
        t->armed = false;
        t->cb(t->data);
    }
}

/* ==== 2. the adapter ======================================================= */

typedef struct ad_io {
    my_watch *w;
    aser_io_fn fn;
    void *arg;
} ad_io;

static void ad_on_fd(short re, void *data)
{
    ad_io *io = data;
    unsigned ev = 0; /* errors and hang-ups count as both */
    if (re & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) ev |= ASER_EV_READ;
    if (re & (POLLOUT | POLLHUP | POLLERR | POLLNVAL)) ev |= ASER_EV_WRITE;
    if (!(io->w->events & POLLIN)) ev &= ~(unsigned)ASER_EV_READ;
    if (!(io->w->events & POLLOUT)) ev &= ~(unsigned)ASER_EV_WRITE;
    if (ev) io->fn(io->arg, ev); /* may close io: nothing after this */
}

static void *ad_io_open(void *loop, int fd, aser_io_fn fn, void *arg)
{
    ad_io *io = malloc(sizeof *io);
    if (!io) return NULL;
    *io = (ad_io){my_watch_add(loop, fd, ad_on_fd, io), fn, arg};
    if (!io->w) {
        free(io);
        return NULL;
    }
    return io;
}

static int ad_io_set(void *loop, void *h, unsigned events)
{
    ad_io *io = h; /* a plain assignment: idempotent and cheap */
    io->w->events = (short)((events & ASER_EV_READ ? POLLIN : 0) |
                            (events & ASER_EV_WRITE ? POLLOUT : 0));
    return 0;
}

static void ad_io_close(void *loop, void *h)
{
    ad_io *io = h;
    io->w->used = false; /* the loop will not call it again */
    free(io);
}

static void *ad_timer_open(void *loop, aser_timer_fn fn, void *arg)
{
    return my_timer_add(loop, fn, arg); /* same callback shape: no wrapper */
}

static int ad_timer_start(void *loop, void *t, uint64_t us)
{
    my_timer_arm(t, us);
    return 0;
}

static void ad_timer_stop(void *loop, void *t)
{
    ((my_timer *)t)->armed = false;
}

static void ad_timer_close(void *loop, void *t)
{
    ((my_timer *)t)->armed = ((my_timer *)t)->used = false;
}

static const aser_loop_hooks my_hooks = {ad_io_open,    ad_io_set,      ad_io_close,
                                         ad_timer_open, ad_timer_start, ad_timer_stop,
                                         ad_timer_close};

/* ==== 3. using it ============================================================ */

static int done;
static uint64_t t0;

static void on_reply(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    (void)p;
    unsigned ms = (unsigned)((my_now_us() - t0) / 1000);
    if (status == 0)
        printf("%s -> %.*s (%u ms)\n", (const char *)ctx, (int)n, d, ms);
    else
        printf("%s -> %s after %u ms\n", (const char *)ctx, aser_err_name(status), ms);
    done++;
}

int main(void)
{
    static my_loop ml;
    aser_loop *loop;
    aser_loop_hooks broken = my_hooks;
    broken.timer_start = NULL;
    int rc = aser_loop_new_with_hooks(&broken, &ml, &loop);
    printf("hooks without timer_start: %s\n", aser_err_name(rc));
    aser_pair *pair = NULL;
    aser_port *dev = NULL, *host = NULL;
    aser_sim *sim = NULL;
    aser_err err = {0};
    aser_sim_rule rule = {"*IDN?", "ACME,POLL-LOOP,1"};
    aser_sim_opts so = {.rules = &rule, .nrules = 1, .delay_ms = 20};
    aser_query_opts q1 = {.timeout_ms = 1000}, q2 = {.timeout_ms = 200};
    rc = aser_loop_new_with_hooks(&my_hooks, &ml, &loop);
    if (rc == 0) rc = aser_pair_open(loop, NULL, &pair, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(pair, 0), NULL, &dev, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(pair, 1), NULL, &host, &err);
    if (rc == 0) rc = aser_sim_start(dev, &so, &sim);
    t0 = my_now_us();
    if (rc == 0) rc = aser_query(host, "*IDN?\n", 6, &q1, on_reply, "*IDN?");
    if (rc > 0) rc = aser_query(host, "NOPE?\n", 6, &q2, on_reply, "NOPE?");
    if (rc < 0) {
        fprintf(stderr, "poll_adapter: %s %s\n", aser_strerror(rc), err.msg);
        return 1;
    }
    while (done < 2) my_loop_run_once(&ml, -1);
    aser_sim_stop(sim);
    aser_close(dev);
    aser_close(host);
    aser_pair_close(pair);
    rc = aser_loop_free(loop); /* closes every watch and timer it opened */
    int left = 0;
    for (int i = 0; i < MAX_WATCH; i++) left += ml.w[i].used + ml.t[i].used;
    printf("aser_loop_free: %s; watches and timers left open: %d\n",
           rc == 0 ? "ok" : aser_err_name(rc), left);
    return rc == 0 && left == 0 ? 0 : 1;
}
