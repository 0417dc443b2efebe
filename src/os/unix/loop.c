/* os/unix/loop.c: the built-in event loop behind aser_loop_new() on Unix.
 *
 * The I/O backend waits (backend.h): on Linux epoll (linux/epoll.c),
 * level-triggered with microsecond timeouts, unless epoll is unavailable
 * or ASERIAL_LOOP_BACKEND=poll asks for poll() (poll.c), so both paths
 * are testable; in the portable build (-Dplatform=posix: macOS, the BSDs)
 * only poll(). Timers sit in a binary min-heap keyed by deadline
 * (loop/heap.c, shared with the Windows loop). It implements the same
 * hook table an adapter would, so every loop runs the same core.
 *
 * Embedding (aser_loop_fd()): the backend's fd (epoll's) is kept truthful
 * about due timers once a host has asked for it (linux/epoll.c: a
 * timerfd in the set); a loop nobody embeds never touches that (no
 * syscall per request). */
#include "os/unix/backend.h"

#include <stdlib.h>

/* ---- hooks ---------------------------------------------------------------- */

static void *bi_io_open(void *data, int fd, aser_io_fn fn, void *arg)
{
    aser_builtin *b = data;
    bi_io *io = calloc(1, sizeof *io);
    if (!io) return NULL;
    io->fd = fd;
    io->fn = fn;
    io->arg = arg;
    if (b->be->io_add(b, io) < 0) {
        free(io);
        return NULL;
    }
    return io;
}

static int bi_io_set(void *data, void *h, unsigned events)
{
    aser_builtin *b = data;
    bi_io *io = h;
    if (io->events == events) return 0;
    io->events = events;
    return b->be->io_set(b, io, events);
}

static void bi_io_close(void *data, void *h)
{
    aser_builtin *b = data;
    bi_io *io = h;
    b->be->io_del(b, io);
    io->dead = true;
    io->next = b->zombies; /* events for it may still sit in this batch */
    b->zombies = io;
}

static void *bi_timer_open(void *data, aser_timer_fn fn, void *arg)
{
    (void)data;
    return aser__heap_timer_new(fn, arg);
}

static int bi_timer_start(void *data, void *h, uint64_t us)
{
    aser_builtin *b = data;
    int rc = aser__heap_start(&b->timers, h, us);
    /* Started from the host's code between iterations: the host is about
     * to wait on the fd again, so the fd must cover this deadline. Inside
     * an iteration the end of it does (aser__builtin_run_once). */
    if (rc == 0 && b->embedded && b->dispatching == 0) b->be->timers_moved(b, true);
    return rc;
}

static void bi_timer_stop(void *data, void *h)
{
    aser_builtin *b = data;
    aser__heap_stop(&b->timers, h);
}

static void bi_timer_close(void *data, void *h)
{
    aser_builtin *b = data;
    aser__heap_timer_free(&b->timers, h);
}

const aser_loop_hooks aser__builtin_hooks = {
    .io_open = bi_io_open,
    .io_set = bi_io_set,
    .io_close = bi_io_close,
    .timer_open = bi_timer_open,
    .timer_start = bi_timer_start,
    .timer_stop = bi_timer_stop,
    .timer_close = bi_timer_close,
};

/* ---- life cycle ----------------------------------------------------------- */

int aser__builtin_new(aser_builtin **out)
{
    aser_builtin *b = calloc(1, sizeof *b);
    if (!b) return ASER_ENOMEM;
    b->be = aser__bi_choose();
    if (b->be->init(b) < 0) { /* epoll unavailable: poll() */
        b->be = &aser__bi_poll;
        b->be->init(b);
    }
    *out = b;
    return 0;
}

static void free_zombies(aser_builtin *b)
{
    while (b->zombies) {
        bi_io *z = b->zombies;
        b->zombies = z->next;
        free(z);
    }
}

void aser__builtin_free(aser_builtin *b)
{
    if (!b) return;
    b->be->fini(b);
    free_zombies(b);
    aser__heap_free(&b->timers);
    free(b);
}

/* aser_loop_post: Unix loops are woken through a watched fd like any
 * other loop (loop.c, os/wake.h); nothing is queued inside this one. */
int aser__builtin_set_post(aser_builtin *b, void (*fn)(void *), void *arg)
{
    (void)b;
    (void)fn;
    (void)arg;
    return ASER_ENOTSUP;
}

void aser__builtin_post_wake(aser_builtin *b)
{
    (void)b;
}

size_t aser__builtin_settle(aser_builtin *b)
{
    (void)b;
    return 0;
}

/* ---- embedding: the fd and the next deadline ------------------------------ */

int aser__builtin_fd(aser_builtin *b)
{
    return b->be->fd(b);
}

int64_t aser__builtin_timeout(const aser_builtin *b)
{
    return aser__heap_timeout(&b->timers, -1);
}

/* ---- one iteration -------------------------------------------------------- */

int aser__builtin_run_once(aser_builtin *b, int64_t timeout_us)
{
    int64_t t = aser__heap_timeout(&b->timers, timeout_us);
    b->dispatching++;
    int rc = b->be->wait(b, t);
    if (rc >= 0) aser__heap_run(&b->timers);
    b->dispatching--;
    if (b->dispatching == 0) free_zombies(b);
    if (b->embedded) b->be->timers_moved(b, false);
    return rc < 0 ? rc : 0;
}
