/* pair_floor.c: the floor of the bulk-throughput workload: two
 * pseudo-terminals joined back to back by a minimal hand-written epoll
 * loop (what aser_pair and socat do, with no abstraction). Like aser_pair
 * it keeps both slaves open (so ends may be opened and closed freely) and
 * forwards through a 16 KiB buffer per direction, writing eagerly.
 *
 *   pair_floor <link-a> <link-b> <max-seconds>
 *
 * Prints both slave paths, creates the symlinks, forwards until SIGTERM,
 * SIGINT or max-seconds, then removes the links. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define BUF 16384

typedef struct end {
    int master, slave;
    char path[64];
    char buf[BUF]; /* read from this master, not yet written to the other */
    size_t off, len;
    uint32_t events; /* what epoll watches now */
} end;

static end ends[2];
static int ep;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void fail(const char *what)
{
    fprintf(stderr, "pair_floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void open_end(end *e, const char *link)
{
    struct termios t;
    e->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (e->master < 0 || grantpt(e->master) < 0 || unlockpt(e->master) < 0 ||
        ptsname_r(e->master, e->path, sizeof e->path) != 0)
        fail("posix_openpt");
    e->slave = open(e->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (e->slave < 0 || tcgetattr(e->slave, &t) < 0) fail(e->path);
    cfmakeraw(&t);
    if (tcsetattr(e->slave, TCSANOW, &t) < 0) fail("tcsetattr");
    unlink(link); /* a stale link from an earlier run */
    if (symlink(e->path, link) < 0) fail(link);
}

/* Wanted events: read while this end's buffer is empty, write while the
 * other end has bytes for us. */
static void update(void)
{
    for (int i = 0; i < 2; i++) {
        end *e = &ends[i], *o = &ends[1 - i];
        struct epoll_event ev = {.events = (e->len == 0 ? EPOLLIN : 0u) |
                                           (o->len > o->off ? EPOLLOUT : 0u),
                                 .data.u32 = (uint32_t)i};
        if (ev.events == e->events) continue; /* unchanged: no system call */
        e->events = ev.events;
        if (epoll_ctl(ep, EPOLL_CTL_MOD, e->master, &ev) < 0) fail("epoll_ctl");
    }
}

static void flush_to(end *to, end *from)
{
    ssize_t n = write(to->master, from->buf + from->off, from->len - from->off);
    if (n > 0)
        from->off += (size_t)n;
    else if (n < 0 && errno != EAGAIN && errno != EINTR)
        fail("write");
    if (from->off == from->len) from->off = from->len = 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: pair_floor <link-a> <link-b> <max-seconds>\n");
        return 2;
    }
    time_t until = time(NULL) + atol(argv[3]);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) fail("epoll_create1");
    for (int i = 0; i < 2; i++) {
        open_end(&ends[i], argv[1 + i]);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        ends[i].events = EPOLLIN;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, ends[i].master, &ev) < 0) fail("epoll_ctl");
    }
    printf("%s\n%s\n", ends[0].path, ends[1].path);
    fflush(stdout);
    struct epoll_event evs[4];
    while (!stop && time(NULL) < until) {
        int k = epoll_wait(ep, evs, 4, 200);
        if (k < 0 && errno != EINTR) fail("epoll_wait");
        for (int j = 0; j < k; j++) {
            end *e = &ends[evs[j].data.u32], *o = &ends[1 - evs[j].data.u32];
            if ((evs[j].events & EPOLLOUT) && o->len > o->off) flush_to(e, o);
            if ((evs[j].events & EPOLLIN) && e->len == 0) {
                ssize_t n = read(e->master, e->buf, sizeof e->buf);
                if (n > 0) {
                    e->len = (size_t)n;
                    flush_to(o, e); /* eager */
                } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                    fail("read");
                }
            }
        }
        if (k > 0) update();
    }
    unlink(argv[1]);
    unlink(argv[2]);
    return 0;
}
