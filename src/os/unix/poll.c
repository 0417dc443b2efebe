/* os/unix/poll.c: the built-in loop's poll() backend (backend.h), on
 * every Unix: the only one in the portable build, and on Linux when epoll
 * is unavailable or ASERIAL_LOOP_BACKEND=poll asks for it. The watches
 * live in an array rebuilt into a pollfd array at every wait; there is no
 * fd for a host to embed (aser_loop_fd() is -1). */
#include "os/unix/backend.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

static int poll_init(aser_builtin *b)
{
    b->pl = (bi_poll){0};
    return 0;
}

static void poll_fini(aser_builtin *b)
{
    free(b->pl.ios);
    free(b->pl.pfds);
}

static int poll_io_add(aser_builtin *b, bi_io *io)
{
    bi_poll *pl = &b->pl;
    if (pl->nios == pl->capios) {
        size_t cap = pl->capios ? pl->capios * 2 : 16;
        bi_io **v = realloc(pl->ios, cap * sizeof *v);
        if (!v) return ASER_ENOMEM;
        pl->ios = v;
        pl->capios = cap;
    }
    io->slot = pl->nios;
    pl->ios[pl->nios++] = io;
    return 0;
}

static int poll_io_set(aser_builtin *b, bi_io *io, unsigned events)
{
    (void)b;
    (void)io;
    (void)events; /* read at the next wait */
    return 0;
}

static void poll_io_del(aser_builtin *b, bi_io *io)
{
    bi_poll *pl = &b->pl;
    pl->ios[io->slot] = pl->ios[--pl->nios];
    pl->ios[io->slot]->slot = io->slot;
}

static int poll_wait(aser_builtin *b, int64_t timeout_us)
{
    bi_poll *pl = &b->pl;
    size_t n = pl->nios;
    if (n > pl->cappfds) {
        struct pollfd *p = realloc(pl->pfds, n * sizeof *p);
        if (!p) return ASER_ENOMEM;
        pl->pfds = p;
        pl->cappfds = n;
    }
    bi_io **snap = pl->ios; /* entries may move while dispatching: snapshot */
    bi_io *stack_snap[64];
    bi_io **sv = n <= 64 ? stack_snap : malloc(n * sizeof *sv);
    if (!sv) return ASER_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        sv[i] = snap[i];
        pl->pfds[i].fd = snap[i]->events ? snap[i]->fd : -1;
        pl->pfds[i].events = (short)((snap[i]->events & ASER_EV_READ ? POLLIN : 0) |
                                     (snap[i]->events & ASER_EV_WRITE ? POLLOUT : 0));
        pl->pfds[i].revents = 0;
    }
    int ms = timeout_us < 0 ? -1 : (int)((timeout_us + 999) / 1000);
    int rc = poll(pl->pfds, (nfds_t)n, ms);
    if (rc < 0) rc = errno == EINTR ? 0 : aser__errno(errno);
    for (size_t i = 0; rc > 0 && i < n; i++) {
        short re = pl->pfds[i].revents;
        if (!re || sv[i]->dead) continue;
        unsigned ev = 0;
        if (re & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) ev |= ASER_EV_READ;
        if (re & (POLLOUT | POLLHUP | POLLERR | POLLNVAL)) ev |= ASER_EV_WRITE;
        ev &= sv[i]->events;
        if (ev) sv[i]->fn(sv[i]->arg, ev);
    }
    if (sv != stack_snap) free(sv);
    return rc;
}

static int poll_fd(aser_builtin *b)
{
    (void)b;
    return -1; /* nothing a host could watch in our place */
}

static void poll_timers_moved(aser_builtin *b, bool only_earlier)
{
    (void)b;
    (void)only_earlier; /* never embedded */
}

const bi_backend aser__bi_poll = {
    .init = poll_init,
    .fini = poll_fini,
    .io_add = poll_io_add,
    .io_set = poll_io_set,
    .io_del = poll_io_del,
    .wait = poll_wait,
    .fd = poll_fd,
    .timers_moved = poll_timers_moved,
};
