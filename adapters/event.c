/* event.c: the libevent 2 adapter (include/aserial/event.h).
 *
 * Implements aser_loop_hooks on a struct event_base using only aserial's
 * public API, as any adapter would (docs/loops.md). loop_data is the base.
 *
 *   fd watch  one struct event, EV_PERSIST (level-triggered). Changing the
 *             wanted events is event_del + event_assign + event_add; for 0
 *             the event stays deleted. libevent reports errors and hang-ups
 *             as EV_READ|EV_WRITE, masked to what was asked for.
 *   timer     an evtimer with a microsecond timeval. libevent may read a
 *             coarse clock, and caches it while running callbacks, so the
 *             cache is refreshed before arming and a timer that fires before
 *             its deadline re-arms for the rest.
 *   closing   event_free() is synchronous and safe inside the event's own
 *             callback (libevent copies what it needs before calling), so a
 *             callback here never touches its handle after calling fn. */
#define _GNU_SOURCE
#include "aserial/event.h"

#include <stdlib.h>
#include <time.h>

/* ---- fd watches ---------------------------------------------------------- */

typedef struct evx_io {
    struct event *ev;
    int fd;
    aser_io_fn fn;
    void *arg;
    unsigned events; /* wanted ASER_EV_* */
} evx_io;

static void io_on_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    evx_io *io = arg;
    unsigned rev = (what & EV_READ ? ASER_EV_READ : 0u) | (what & EV_WRITE ? ASER_EV_WRITE : 0u);
    rev &= io->events;
    if (rev) io->fn(io->arg, rev); /* may free io: nothing after this */
}

static void *evx_io_open(void *data, int fd, aser_io_fn fn, void *arg)
{
    evx_io *io = calloc(1, sizeof *io);
    if (!io) return NULL;
    io->ev = event_new(data, fd, EV_PERSIST, io_on_event, io);
    if (!io->ev) {
        free(io);
        return NULL;
    }
    io->fd = fd;
    io->fn = fn;
    io->arg = arg;
    return io;
}

static int evx_io_set(void *data, void *h, unsigned events)
{
    evx_io *io = h;
    if (events == io->events) return 0;
    if (event_del(io->ev) < 0) return ASER_EIO;
    io->events = 0; /* deleted: until added again, nothing is watched */
    short what = (short)((events & ASER_EV_READ ? EV_READ : 0) |
                         (events & ASER_EV_WRITE ? EV_WRITE : 0));
    if (event_assign(io->ev, data, io->fd, what | EV_PERSIST, io_on_event, io) < 0)
        return ASER_EINVAL;
    if (events && event_add(io->ev, NULL) < 0) return ASER_EIO;
    io->events = events;
    return 0;
}

static void evx_io_close(void *data, void *h)
{
    (void)data;
    evx_io *io = h;
    event_free(io->ev); /* deletes it first */
    free(io);
}

/* ---- timers ----------------------------------------------------------------- */

typedef struct evx_timer {
    struct event *ev;
    aser_timer_fn fn;
    void *arg;
    uint64_t deadline; /* CLOCK_MONOTONIC, microseconds */
} evx_timer;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int arm(evx_timer *t, uint64_t us)
{
    struct timeval tv = {(time_t)(us / 1000000u), (suseconds_t)(us % 1000000u)};
    return evtimer_add(t->ev, &tv) < 0 ? ASER_EIO : 0;
}

static void timer_on_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    evx_timer *t = arg;
    uint64_t now = now_us();
    if (now < t->deadline && arm(t, t->deadline - now) == 0) return;
    t->fn(t->arg); /* may free t */
}

static void *evx_timer_open(void *data, aser_timer_fn fn, void *arg)
{
    evx_timer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->ev = evtimer_new((struct event_base *)data, timer_on_fire, t);
    if (!t->ev) {
        free(t);
        return NULL;
    }
    t->fn = fn;
    t->arg = arg;
    return t;
}

static int evx_timer_start(void *data, void *h, uint64_t us)
{
    evx_timer *t = h;
    t->deadline = now_us() + us;
    if (us) event_base_update_cache_time(data); /* stale inside callbacks */
    return arm(t, us);                          /* re-adding re-arms */
}

static void evx_timer_stop(void *data, void *h)
{
    (void)data;
    evx_timer *t = h;
    evtimer_del(t->ev);
}

static void evx_timer_close(void *data, void *h)
{
    (void)data;
    evx_timer *t = h;
    event_free(t->ev);
    free(t);
}

/* ---- the table ------------------------------------------------------------- */

static const aser_loop_hooks event_hooks = {
    .io_open = evx_io_open,
    .io_set = evx_io_set,
    .io_close = evx_io_close,
    .timer_open = evx_timer_open,
    .timer_start = evx_timer_start,
    .timer_stop = evx_timer_stop,
    .timer_close = evx_timer_close,
};

const aser_loop_hooks *aser_event_hooks(void)
{
    return &event_hooks;
}

int aser_loop_new_event(struct event_base *base, aser_loop **out)
{
    if (!base || !out) return ASER_EINVAL;
    return aser_loop_new_with_hooks(&event_hooks, base, out);
}
