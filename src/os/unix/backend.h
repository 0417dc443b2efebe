/* os/unix/backend.h: the Unix built-in loop (loop.c) and its I/O
 * backends, private to os/unix/:
 *
 *   loop.c           the hooks, timers (loop/heap.c), closed watches kept
 *                    until their batch is dispatched, one iteration
 *   linux/epoll.c    epoll, level-triggered, with microsecond timeouts
 *                    (epoll_pwait2) and a timerfd for embedding (Linux)
 *   poll.c           poll(), on every Unix (the only one in the portable
 *                    build; on Linux when ASERIAL_LOOP_BACKEND=poll)
 *   linux/epoll.c,   aser__bi_choose(): which backend a new loop tries
 *   posix/backend.c  first
 *
 * A backend keeps the kernel's view of the watches and waits; loop.c owns
 * the watches and the rules (a closed watch is never called, only wanted
 * events are reported). Loop thread only. */
#ifndef ASER_OS_UNIX_BACKEND_H
#define ASER_OS_UNIX_BACKEND_H

#include "loop/heap.h"
#include "os/wake.h"
#include "loop/loop.h"

struct pollfd;

typedef struct bi_io {
    int fd;
    unsigned events; /* wanted ASER_EV_* */
    aser_io_fn fn;
    void *arg;
    bool registered;    /* epoll: in the set (only while events != 0) */
    bool dead;          /* closed; freed after the current dispatch */
    struct bi_io *next; /* zombie list */
    size_t slot;        /* poll: index in b->pl.ios */
} bi_io;

typedef struct bi_backend {
    /* Set up b's state: 0, or a negative code (the loop falls back to
     * poll()). fini releases it. */
    int (*init)(aser_builtin *b);
    void (*fini)(aser_builtin *b);
    /* A new watch (no events wanted yet): 0 or ASER_ENOMEM. */
    int (*io_add)(aser_builtin *b, bi_io *io);
    /* io->events just became events (never the same as before). */
    int (*io_set)(aser_builtin *b, bi_io *io, unsigned events);
    /* io is closed: forget it (its events may still sit in this batch). */
    void (*io_del)(aser_builtin *b, bi_io *io);
    /* Wait up to timeout_us (-1: forever) and call fn of every live watch
     * with the ready events it wants. The number of events (0 after
     * EINTR), or a negative code. */
    int (*wait)(aser_builtin *b, int64_t timeout_us);
    /* Embedding (aser_loop_fd): the fd a host may watch, -1 for none. A
     * backend whose fd must show due timers sets b->embedded and gets
     * timers_moved() after every change of the earliest deadline that the
     * fd may not cover yet (only_earlier: a timer started between
     * iterations; else: the end of an iteration). */
    int (*fd)(aser_builtin *b);
    void (*timers_moved)(aser_builtin *b, bool only_earlier);
} bi_backend;

/* epoll's state (linux/epoll.c) */
typedef struct bi_epoll {
    int epfd;
    bool have_pwait2;
    int tfd;               /* embedding: timerfd, -1 until aser_loop_fd() */
    uint64_t tfd_deadline; /* what it is armed to; UINT64_MAX: disarmed */
    bool tfd_fired;        /* reported readable since it was last armed */
    bi_io tfd_io;          /* its watch in the epoll set */
    aser_wake kick;        /* embedding: readable when a timer is due at once */
    bool kicked;           /* kick written, not yet drained */
    bi_io kick_io;         /* its watch in the epoll set */
} bi_epoll;

/* poll()'s state (poll.c) */
typedef struct bi_poll {
    bi_io **ios; /* all live watches */
    size_t nios, capios;
    struct pollfd *pfds;
    size_t cappfds;
} bi_poll;

struct aser_builtin {
    const bi_backend *be;
    aser_heap timers; /* loop/heap.c */
    bi_io *zombies;
    int dispatching;
    bool embedded; /* be->fd() handed out an fd that shows due timers */
    union {
        bi_epoll ep;
        bi_poll pl;
    };
};

extern const bi_backend aser__bi_poll;
/* The backend a new loop tries first (Linux: epoll, unless
 * ASERIAL_LOOP_BACKEND=poll; the portable build: poll). */
const bi_backend *aser__bi_choose(void);

/* Events taken per wait: with many busy ports, fewer wake-ups. */
#define BI_MAX_EVENTS 256

#endif
