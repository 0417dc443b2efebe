/* builtin.c: the built-in event loop behind aser_loop_new().
 *
 * On Linux, epoll (level-triggered) with microsecond timeouts through
 * epoll_pwait2 where the kernel has it; poll() when epoll is unavailable
 * or when ASERIAL_LOOP_BACKEND=poll asks for it (so both paths are
 * testable). In the portable build (-Dplatform=posix: macOS, the BSDs)
 * only poll() exists: the epoll code is not compiled (ASER_OS_LINUX).
 * Timers sit in a binary min-heap keyed by deadline (heap.c, shared with
 * the Windows loop). It implements the
 * same hook table an adapter would, so every loop runs the same core. */
#define _GNU_SOURCE
#include "loop/heap.h"
#include "loop/loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#ifdef ASER_OS_LINUX
#include <sys/epoll.h>
#endif
#include <time.h>
#include <unistd.h>

/* Events taken per wait: with many busy ports, fewer wake-ups. */
#define BI_MAX_EVENTS 256

typedef struct bi_io {
    int fd;
    unsigned events; /* wanted ASER_EV_* */
    aser_io_fn fn;
    void *arg;
    bool registered;    /* in the epoll set (only while events != 0) */
    bool dead;          /* closed; freed after the current dispatch */
    struct bi_io *next; /* zombie list */
    size_t slot;        /* index in b->ios (poll backend) */
} bi_io;

struct aser_builtin {
    int epfd; /* -1: poll backend */
    bool have_pwait2;
    bi_io **ios; /* poll backend: all live watches */
    size_t nios, capios;
    struct pollfd *pfds;
    size_t cappfds;
    aser_heap timers; /* heap.c */
    bi_io *zombies;
    int dispatching;
};

/* ---- hooks ---------------------------------------------------------------- */

#ifdef ASER_OS_LINUX
static uint32_t to_epoll(unsigned ev)
{
    return (ev & ASER_EV_READ ? EPOLLIN : 0u) | (ev & ASER_EV_WRITE ? EPOLLOUT : 0u);
}

static int epoll_set(aser_builtin *b, bi_io *io, unsigned events)
{
    /* A watch with no wanted events leaves the set entirely: epoll reports
     * EPOLLHUP/EPOLLERR even for an empty mask, and a hung-up tty would
     * otherwise wake the loop forever. */
    int op = events == 0 ? EPOLL_CTL_DEL : io->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    struct epoll_event ev = {.events = to_epoll(events), .data.ptr = io};
    if (epoll_ctl(b->epfd, op, io->fd, &ev) < 0) return aser__errno(errno);
    io->registered = events != 0;
    return 0;
}
#endif

static void *bi_io_open(void *data, int fd, aser_io_fn fn, void *arg)
{
    aser_builtin *b = data;
    bi_io *io = calloc(1, sizeof *io);
    if (!io) return NULL;
    io->fd = fd;
    io->fn = fn;
    io->arg = arg;
    if (b->epfd >= 0) return io; /* added to the set when events are wanted */
    if (b->nios == b->capios) {
        size_t cap = b->capios ? b->capios * 2 : 16;
        bi_io **v = realloc(b->ios, cap * sizeof *v);
        if (!v) {
            free(io);
            return NULL;
        }
        b->ios = v;
        b->capios = cap;
    }
    io->slot = b->nios;
    b->ios[b->nios++] = io;
    return io;
}

static int bi_io_set(void *data, void *h, unsigned events)
{
    bi_io *io = h;
    if (io->events == events) return 0;
    io->events = events;
#ifdef ASER_OS_LINUX
    aser_builtin *b = data;
    if (b->epfd >= 0) return epoll_set(b, io, events);
#else
    (void)data;
#endif
    return 0;
}

static void bi_io_close(void *data, void *h)
{
    aser_builtin *b = data;
    bi_io *io = h;
    if (b->epfd >= 0) {
#ifdef ASER_OS_LINUX
        if (io->registered) epoll_ctl(b->epfd, EPOLL_CTL_DEL, io->fd, NULL);
#endif
    } else {
        b->ios[io->slot] = b->ios[--b->nios];
        b->ios[io->slot]->slot = io->slot;
    }
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
    return aser__heap_start(&b->timers, h, us);
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
    b->epfd = -1;
#ifdef ASER_OS_LINUX
    const char *backend = getenv("ASERIAL_LOOP_BACKEND");
    if (!backend || strcmp(backend, "poll") != 0) {
        b->epfd = epoll_create1(EPOLL_CLOEXEC);
        b->have_pwait2 = true;
    }
#endif
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
    if (b->epfd >= 0) close(b->epfd);
    free_zombies(b);
    free(b->ios);
    free(b->pfds);
    aser__heap_free(&b->timers);
    free(b);
}

int aser__builtin_fd(const aser_builtin *b)
{
    return b->epfd;
}

/* ---- one iteration -------------------------------------------------------- */

#ifdef ASER_OS_LINUX
static unsigned from_epoll(uint32_t e)
{
    unsigned ev = 0;
    if (e & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) ev |= ASER_EV_READ;
    if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) ev |= ASER_EV_WRITE;
    return ev;
}

static int wait_epoll(aser_builtin *b, int64_t timeout_us)
{
    struct epoll_event evs[BI_MAX_EVENTS];
    int n;
    if (b->have_pwait2) {
        struct timespec ts = {timeout_us / 1000000, (timeout_us % 1000000) * 1000};
        n = epoll_pwait2(b->epfd, evs, BI_MAX_EVENTS, timeout_us < 0 ? NULL : &ts, NULL);
        if (n < 0 && errno == ENOSYS) {
            b->have_pwait2 = false;
            return 0;
        }
    } else {
        int ms = timeout_us < 0 ? -1 : (int)((timeout_us + 999) / 1000);
        n = epoll_wait(b->epfd, evs, BI_MAX_EVENTS, ms);
    }
    if (n < 0) return errno == EINTR ? 0 : aser__errno(errno);
    for (int i = 0; i < n; i++) {
        bi_io *io = evs[i].data.ptr;
        unsigned ev = from_epoll(evs[i].events) & io->events;
        if (!io->dead && ev) io->fn(io->arg, ev);
    }
    return n;
}
#endif

static int wait_poll(aser_builtin *b, int64_t timeout_us)
{
    size_t n = b->nios;
    if (n > b->cappfds) {
        struct pollfd *p = realloc(b->pfds, n * sizeof *p);
        if (!p) return ASER_ENOMEM;
        b->pfds = p;
        b->cappfds = n;
    }
    bi_io **snap = b->ios; /* entries may move while dispatching: snapshot */
    bi_io *stack_snap[64];
    bi_io **sv = n <= 64 ? stack_snap : malloc(n * sizeof *sv);
    if (!sv) return ASER_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        sv[i] = snap[i];
        b->pfds[i].fd = snap[i]->events ? snap[i]->fd : -1;
        b->pfds[i].events = (short)((snap[i]->events & ASER_EV_READ ? POLLIN : 0) |
                                    (snap[i]->events & ASER_EV_WRITE ? POLLOUT : 0));
        b->pfds[i].revents = 0;
    }
    int ms = timeout_us < 0 ? -1 : (int)((timeout_us + 999) / 1000);
    int rc = poll(b->pfds, (nfds_t)n, ms);
    if (rc < 0) rc = errno == EINTR ? 0 : aser__errno(errno);
    for (size_t i = 0; rc > 0 && i < n; i++) {
        short re = b->pfds[i].revents;
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

int aser__builtin_run_once(aser_builtin *b, int64_t timeout_us)
{
    int64_t t = aser__heap_timeout(&b->timers, timeout_us);
    b->dispatching++;
#ifdef ASER_OS_LINUX
    int rc = b->epfd >= 0 ? wait_epoll(b, t) : wait_poll(b, t);
#else
    int rc = wait_poll(b, t);
#endif
    if (rc >= 0) aser__heap_run(&b->timers);
    b->dispatching--;
    if (b->dispatching == 0) free_zombies(b);
    return rc < 0 ? rc : 0;
}
