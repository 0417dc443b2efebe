/* uv.c: the libuv adapter (include/aserial/uv.h).
 *
 * Implements aser_loop_hooks on a uv_loop_t using only aserial's public
 * API, as any adapter would (docs/loops.md). loop_data is the uv_loop_t.
 *
 *   fd watch  one uv_poll_t, started with the wanted events, stopped for 0.
 *             libuv stops a poll itself after an error (status < 0); we
 *             report that as both events and restart on the next io_set.
 *   timer     a uv_timer_t for delays, a uv_idle_t for zero: libuv 1.44
 *             runs a 0 ms timer re-armed in its own callback again in the
 *             same pass, which would let a self-re-arming deferred call
 *             starve the loop; an idle handle runs once per iteration.
 *   closing   uv_close() is asynchronous: the memory is freed by the close
 *             callback(s), after libuv has forgotten the handle. A callback
 *             may close its own handle; nothing here touches a handle after
 *             its callback except flags that stay valid until then.
 * libuv's errors are negated errno values on Unix, as aserial's are, so
 * they are returned as they are. */
#define _GNU_SOURCE
#include "aserial/uv.h"

#include <stdlib.h>
#include <time.h>

/* ---- fd watches ---------------------------------------------------------- */

typedef struct uvx_io {
    uv_poll_t poll;
    aser_io_fn fn;
    void *arg;
    unsigned events; /* wanted ASER_EV_* */
    bool active;     /* uv_poll_start in effect */
    bool closing;
} uvx_io;

static void io_on_poll(uv_poll_t *h, int status, int events)
{
    uvx_io *io = h->data;
    unsigned rev = 0;
    if (status < 0) {
        io->active = false; /* libuv stopped the handle */
        rev = ASER_EV_READ | ASER_EV_WRITE;
    } else {
        if (events & (UV_READABLE | UV_DISCONNECT)) rev |= ASER_EV_READ;
        if (events & UV_WRITABLE) rev |= ASER_EV_WRITE;
    }
    rev &= io->events;
    if (rev && !io->closing) io->fn(io->arg, rev);
}

static void *uvx_io_open(void *data, int fd, aser_io_fn fn, void *arg)
{
    uvx_io *io = calloc(1, sizeof *io);
    if (!io) return NULL;
    /* Fails before registering anything (e.g. UV_EEXIST: fd already
     * polled), so a plain free is right. */
    if (uv_poll_init(data, &io->poll, fd) != 0) {
        free(io);
        return NULL;
    }
    io->poll.data = io;
    io->fn = fn;
    io->arg = arg;
    return io;
}

static int uvx_io_set(void *data, void *h, unsigned events)
{
    (void)data;
    uvx_io *io = h;
    if (events == io->events && (events == 0 || io->active)) return 0;
    io->events = events;
    if (events == 0) {
        io->active = false;
        return uv_poll_stop(&io->poll);
    }
    int uev = (events & ASER_EV_READ ? UV_READABLE : 0) |
              (events & ASER_EV_WRITE ? UV_WRITABLE : 0);
    int rc = uv_poll_start(&io->poll, uev, io_on_poll);
    io->active = rc == 0;
    return rc;
}

static void io_on_close(uv_handle_t *h)
{
    free(h->data);
}

static void uvx_io_close(void *data, void *h)
{
    (void)data;
    uvx_io *io = h;
    io->closing = true;
    uv_close((uv_handle_t *)&io->poll, io_on_close); /* stops it now */
}

/* ---- timers ----------------------------------------------------------------- */

typedef struct uvx_timer {
    uv_timer_t timer;
    uv_idle_t idle;
    aser_timer_fn fn;
    void *arg;
    uint64_t deadline; /* CLOCK_MONOTONIC, microseconds */
    int open_handles;  /* freed when both close callbacks have run */
} uvx_timer;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t ms_up(uint64_t us)
{
    return (us + 999) / 1000;
}

static void timer_on_fire(uv_timer_t *h)
{
    uvx_timer *t = h->data;
    uint64_t now = now_us();
    if (now < t->deadline) { /* libuv's millisecond clock ran ahead */
        uv_timer_start(&t->timer, timer_on_fire, ms_up(t->deadline - now), 0);
        return;
    }
    t->fn(t->arg);
}

static void timer_on_idle(uv_idle_t *h)
{
    uvx_timer *t = h->data;
    uv_idle_stop(&t->idle);
    t->fn(t->arg);
}

static void timer_on_close(uv_handle_t *h)
{
    uvx_timer *t = h->data;
    if (--t->open_handles == 0) free(t);
}

static void *uvx_timer_open(void *data, aser_timer_fn fn, void *arg)
{
    uvx_timer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (uv_timer_init(data, &t->timer) != 0) {
        free(t);
        return NULL;
    }
    t->open_handles = 1;
    t->timer.data = t;
    if (uv_idle_init(data, &t->idle) != 0) { /* t is freed once uv lets go */
        uv_close((uv_handle_t *)&t->timer, timer_on_close);
        return NULL;
    }
    t->open_handles = 2;
    t->idle.data = t;
    t->fn = fn;
    t->arg = arg;
    return t;
}

static int uvx_timer_start(void *data, void *h, uint64_t us)
{
    uvx_timer *t = h;
    uv_timer_stop(&t->timer);
    uv_idle_stop(&t->idle);
    if (us == 0) return uv_idle_start(&t->idle, timer_on_idle);
    t->deadline = now_us() + us;
    uv_update_time(data); /* uv_now() is stale inside callbacks */
    return uv_timer_start(&t->timer, timer_on_fire, ms_up(us), 0);
}

static void uvx_timer_stop(void *data, void *h)
{
    (void)data;
    uvx_timer *t = h;
    uv_timer_stop(&t->timer);
    uv_idle_stop(&t->idle);
}

static void uvx_timer_close(void *data, void *h)
{
    (void)data;
    uvx_timer *t = h;
    uv_close((uv_handle_t *)&t->timer, timer_on_close);
    uv_close((uv_handle_t *)&t->idle, timer_on_close);
}

/* ---- the table ------------------------------------------------------------- */

static const aser_loop_hooks uv_hooks = {
    .io_open = uvx_io_open,
    .io_set = uvx_io_set,
    .io_close = uvx_io_close,
    .timer_open = uvx_timer_open,
    .timer_start = uvx_timer_start,
    .timer_stop = uvx_timer_stop,
    .timer_close = uvx_timer_close,
};

const aser_loop_hooks *aser_uv_hooks(void)
{
    return &uv_hooks;
}

int aser_loop_new_uv(uv_loop_t *uv, aser_loop **out)
{
    if (!uv || !out) return ASER_EINVAL;
    return aser_loop_new_with_hooks(&uv_hooks, uv, out);
}
