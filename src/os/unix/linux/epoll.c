/* os/unix/linux/epoll.c: the built-in loop's epoll backend (Linux;
 * os/unix/backend.h): level-triggered, with microsecond timeouts through
 * epoll_pwait2 where the kernel has it.
 *
 * Embedding (aser_loop_fd() is the epoll fd): once a host has asked for
 * the fd, the loop keeps it truthful: a timerfd in the epoll set is armed
 * to the earliest timer's deadline (deferred starts are 0 us timers,
 * posted calls an eventfd), so a host that waits on nothing but the fd
 * sees every due timer. The timerfd is re-armed at the end of each
 * iteration when the earliest deadline moved, and by a timer started from
 * outside an iteration when it becomes the earliest; a loop nobody embeds
 * never touches it (no syscall per request). A timer due at once (a start
 * deferred from the host's code) writes an eventfd instead: arming a
 * timerfd to "now" cost 27 us of CPU per call on the hypervisor this was
 * measured on, an eventfd write well under one (docs/loops.md). */
#define _GNU_SOURCE
#include "os/unix/backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

extern const bi_backend aser__bi_epoll;

const bi_backend *aser__bi_choose(void)
{
    const char *backend = getenv("ASERIAL_LOOP_BACKEND");
    return backend && strcmp(backend, "poll") == 0 ? &aser__bi_poll : &aser__bi_epoll;
}

static int epoll_init(aser_builtin *b)
{
    b->ep = (bi_epoll){
        .tfd = -1, .tfd_deadline = UINT64_MAX, .have_pwait2 = true, .kick = {.rfd = -1, .wfd = -1}};
    b->ep.epfd = epoll_create1(EPOLL_CLOEXEC);
    return b->ep.epfd >= 0 ? 0 : aser__errno(errno);
}

static void epoll_fini(aser_builtin *b)
{
    if (b->ep.tfd >= 0) close(b->ep.tfd);
    aser__wake_close(&b->ep.kick);
    close(b->ep.epfd);
}

/* ---- watches -------------------------------------------------------------- */

static uint32_t to_epoll(unsigned ev)
{
    return (ev & ASER_EV_READ ? EPOLLIN : 0u) | (ev & ASER_EV_WRITE ? EPOLLOUT : 0u);
}

static int epoll_io_add(aser_builtin *b, bi_io *io)
{
    (void)b;
    (void)io; /* added to the set when events are wanted */
    return 0;
}

static int epoll_io_set(aser_builtin *b, bi_io *io, unsigned events)
{
    /* A watch with no wanted events leaves the set entirely: epoll reports
     * EPOLLHUP/EPOLLERR even for an empty mask, and a hung-up tty would
     * otherwise wake the loop forever. */
    int op = events == 0 ? EPOLL_CTL_DEL : io->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    struct epoll_event ev = {.events = to_epoll(events), .data.ptr = io};
    if (epoll_ctl(b->ep.epfd, op, io->fd, &ev) < 0) return aser__errno(errno);
    io->registered = events != 0;
    return 0;
}

static void epoll_io_del(aser_builtin *b, bi_io *io)
{
    if (io->registered) epoll_ctl(b->ep.epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

/* ---- waiting -------------------------------------------------------------- */

static unsigned from_epoll(uint32_t e)
{
    unsigned ev = 0;
    if (e & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) ev |= ASER_EV_READ;
    if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) ev |= ASER_EV_WRITE;
    return ev;
}

static int epoll_wait_once(aser_builtin *b, int64_t timeout_us)
{
    struct epoll_event evs[BI_MAX_EVENTS];
    int n;
    if (b->ep.have_pwait2) {
        struct timespec ts = {timeout_us / 1000000, (timeout_us % 1000000) * 1000};
        n = epoll_pwait2(b->ep.epfd, evs, BI_MAX_EVENTS, timeout_us < 0 ? NULL : &ts, NULL);
        if (n < 0 && errno == ENOSYS) {
            b->ep.have_pwait2 = false;
            return 0;
        }
    } else {
        int ms = timeout_us < 0 ? -1 : (int)((timeout_us + 999) / 1000);
        n = epoll_wait(b->ep.epfd, evs, BI_MAX_EVENTS, ms);
    }
    if (n < 0) return errno == EINTR ? 0 : aser__errno(errno);
    for (int i = 0; i < n; i++) {
        bi_io *io = evs[i].data.ptr;
        unsigned ev = from_epoll(evs[i].events) & io->events;
        if (!io->dead && ev) io->fn(io->arg, ev);
    }
    return n;
}

/* ---- embedding: the timerfd ----------------------------------------------- */

static void tfd_on_io(void *arg, unsigned revents)
{
    aser_builtin *b = arg;
    (void)revents;
    b->ep.tfd_fired = true; /* tfd_sync re-arms it, which clears it */
}

static void kick_on_io(void *arg, unsigned revents)
{
    aser_builtin *b = arg;
    (void)revents;
    aser__wake_drain(&b->ep.kick);
    b->ep.kicked = false;
}

/* Arm the timerfd to the earliest deadline. only_earlier: skip unless that
 * deadline comes before the armed one (a later one only costs the host a
 * spurious wake-up, after which the iteration's end re-arms); a deadline
 * already due then kicks the eventfd, and the timerfd stays as it is
 * until the iteration's end. */
static void tfd_sync(aser_builtin *b, bool only_earlier)
{
    bi_epoll *ep = &b->ep;
    uint64_t dl = b->timers.n > 0 ? b->timers.v[0]->deadline : UINT64_MAX;
    if (only_earlier ? dl >= ep->tfd_deadline : dl == ep->tfd_deadline && !ep->tfd_fired) return;
    if (only_earlier && ep->kick.rfd >= 0 && dl <= aser__now_us()) {
        if (!ep->kicked) aser__wake_signal(&ep->kick);
        ep->kicked = true;
        return;
    }
    struct itimerspec its = {{0, 0}, {0, 0}};
    if (dl != UINT64_MAX) {
        its.it_value.tv_sec = (time_t)(dl / 1000000u);
        its.it_value.tv_nsec = (long)(dl % 1000000u) * 1000;
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
    }
    /* Re-arming also resets the expiry count, so a fired timerfd stops
     * being readable without a read(). */
    if (timerfd_settime(ep->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0) {
        ep->tfd_deadline = dl;
        ep->tfd_fired = false;
    }
}

/* The first aser_loop_fd(): add the timerfd to the set. */
static void tfd_open(aser_builtin *b)
{
    bi_epoll *ep = &b->ep;
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return; /* the fd still shows I/O and posts; timers need the timeout */
    ep->tfd_io = (bi_io){.fd = fd, .fn = tfd_on_io, .arg = b};
    if (epoll_io_set(b, &ep->tfd_io, ASER_EV_READ) < 0) {
        close(fd);
        return;
    }
    ep->tfd_io.events = ASER_EV_READ;
    ep->tfd = fd;
    b->embedded = true;
    tfd_sync(b, false);
    /* Without the kick, due timers go through the timerfd as well. */
    if (aser__wake_open(&ep->kick) < 0) return;
    ep->kick_io = (bi_io){.fd = ep->kick.rfd, .fn = kick_on_io, .arg = b};
    if (epoll_io_set(b, &ep->kick_io, ASER_EV_READ) < 0) {
        aser__wake_close(&ep->kick);
        return;
    }
    ep->kick_io.events = ASER_EV_READ;
}

static int epoll_fd(aser_builtin *b)
{
    if (b->ep.tfd < 0) tfd_open(b);
    return b->ep.epfd;
}

const bi_backend aser__bi_epoll = {
    .init = epoll_init,
    .fini = epoll_fini,
    .io_add = epoll_io_add,
    .io_set = epoll_io_set,
    .io_del = epoll_io_del,
    .wait = epoll_wait_once,
    .fd = epoll_fd,
    .timers_moved = tfd_sync,
};
