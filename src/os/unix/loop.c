/* os/unix/loop.c: the built-in event loop behind aser_loop_new() on Unix.
 *
 * On Linux, epoll (level-triggered) with microsecond timeouts through
 * epoll_pwait2 where the kernel has it; poll() when epoll is unavailable
 * or when ASERIAL_LOOP_BACKEND=poll asks for it (so both paths are
 * testable). In the portable build (-Dplatform=posix: macOS, the BSDs)
 * only poll() exists: the epoll code is not compiled (ASER_OS_LINUX).
 * Timers sit in a binary min-heap keyed by deadline (heap.c, shared with
 * the Windows loop). It implements the
 * same hook table an adapter would, so every loop runs the same core.
 *
 * Embedding (aser_loop_fd()): once a host has asked for the epoll fd, the
 * loop keeps that fd truthful: a timerfd in the epoll set is armed to the
 * earliest timer's deadline (deferred starts are 0 us timers, posted calls
 * an eventfd), so a host that waits on nothing but the fd sees every due
 * timer. The timerfd is re-armed at the end of each iteration when the
 * earliest deadline moved, and by a timer started from outside an
 * iteration when it becomes the earliest; a loop nobody embeds never
 * touches it (no syscall per request). */
#define _GNU_SOURCE
#include "loop/heap.h"
#include "loop/loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#ifdef ASER_OS_LINUX
#include <sys/epoll.h>
#include <sys/timerfd.h>
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
    /* Embedding (epoll only): a timerfd armed to the earliest deadline. */
    int tfd;               /* -1 until aser_loop_fd() asks for the fd */
    uint64_t tfd_deadline; /* what it is armed to; UINT64_MAX: disarmed */
    bool tfd_fired;        /* reported readable since it was last armed */
    bi_io tfd_io;          /* its watch in the epoll set */
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

static void tfd_sync(aser_builtin *b, bool only_earlier);

static int bi_timer_start(void *data, void *h, uint64_t us)
{
    aser_builtin *b = data;
    int rc = aser__heap_start(&b->timers, h, us);
    /* Started from the host's code between iterations: the host is about
     * to wait on the fd again, so the timerfd must cover this deadline.
     * Inside an iteration the end of it re-arms (aser__builtin_run_once). */
    if (rc == 0 && b->tfd >= 0 && b->dispatching == 0) tfd_sync(b, true);
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
    b->epfd = -1;
    b->tfd = -1;
    b->tfd_deadline = UINT64_MAX;
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
    if (b->tfd >= 0) close(b->tfd);
    if (b->epfd >= 0) close(b->epfd);
    free_zombies(b);
    free(b->ios);
    free(b->pfds);
    aser__heap_free(&b->timers);
    free(b);
}

/* ---- embedding: the fd and the next deadline ------------------------------ */

#ifdef ASER_OS_LINUX
static void tfd_on_io(void *arg, unsigned revents)
{
    aser_builtin *b = arg;
    (void)revents;
    b->tfd_fired = true; /* tfd_sync re-arms it, which clears it */
}

/* Arm the timerfd to the earliest deadline. only_earlier: skip unless that
 * deadline comes before the armed one (a later one only costs the host a
 * spurious wake-up, after which the iteration's end re-arms). */
static void tfd_sync(aser_builtin *b, bool only_earlier)
{
    uint64_t dl = b->timers.n > 0 ? b->timers.v[0]->deadline : UINT64_MAX;
    if (only_earlier ? dl >= b->tfd_deadline : dl == b->tfd_deadline && !b->tfd_fired) return;
    struct itimerspec its = {{0, 0}, {0, 0}};
    if (dl != UINT64_MAX) {
        its.it_value.tv_sec = (time_t)(dl / 1000000u);
        its.it_value.tv_nsec = (long)(dl % 1000000u) * 1000;
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
    }
    /* Re-arming also resets the expiry count, so a fired timerfd stops
     * being readable without a read(). */
    if (timerfd_settime(b->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0) {
        b->tfd_deadline = dl;
        b->tfd_fired = false;
    }
}

/* The first aser_loop_fd() on an epoll loop: add the timerfd to the set. */
static void tfd_open(aser_builtin *b)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return; /* the fd still shows I/O and posts; timers need the timeout */
    b->tfd_io = (bi_io){.fd = fd, .fn = tfd_on_io, .arg = b};
    if (epoll_set(b, &b->tfd_io, ASER_EV_READ) < 0) {
        close(fd);
        return;
    }
    b->tfd_io.events = ASER_EV_READ;
    b->tfd = fd;
    tfd_sync(b, false);
}
#else
static void tfd_sync(aser_builtin *b, bool only_earlier)
{
    (void)b;
    (void)only_earlier;
}
#endif

int aser__builtin_fd(aser_builtin *b)
{
#ifdef ASER_OS_LINUX
    if (b->epfd >= 0 && b->tfd < 0) tfd_open(b);
#endif
    return b->epfd;
}

int64_t aser__builtin_timeout(const aser_builtin *b)
{
    return aser__heap_timeout(&b->timers, -1);
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
    if (b->tfd >= 0) tfd_sync(b, false);
    return rc < 0 ? rc : 0;
}
