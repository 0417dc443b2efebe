/* bulk.c: the measuring client of the bulk-throughput workload, the same
 * for every virtual pair (aserial's, socat's). Opens both ends raw and
 * non-blocking and pushes a counting byte pattern through as fast as the
 * pair forwards it, checking every byte that comes out.
 *
 *   bulk <end-a> <end-b> one|both <seconds> [warmup]
 *
 * one:  A -> B only. both: A -> B and B -> A at once.
 * Reports MB/s (10^6 bytes/s) received in the window, per direction and
 * summed, as one JSON line. */
#include "bench.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>

#define CHUNK 4096

typedef struct end {
    int fd;
    int sending;     /* this end writes the pattern */
    uint64_t tx, rx; /* bytes written to / read from this end */
    uint64_t rx_win; /* bytes read inside the window */
} end;

static uint8_t pattern[CHUNK + 256];
static end ends[2];

static int open_raw(const char *path)
{
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) die_errno("bulk", path);
    struct termios t;
    if (tcgetattr(fd, &t) < 0) die_errno("bulk", "tcgetattr");
    cfmakeraw(&t);
    if (tcsetattr(fd, TCSANOW, &t) < 0) die_errno("bulk", "tcsetattr");
    return fd;
}

static void do_write(end *e)
{
    ssize_t n = write(e->fd, pattern + e->tx % 251, CHUNK);
    if (n > 0)
        e->tx += (uint64_t)n;
    else if (n < 0 && errno != EAGAIN && errno != EINTR)
        die_errno("bulk", "write");
}

static void do_read(end *e, window *w, uint64_t now)
{
    uint8_t buf[CHUNK];
    ssize_t n = read(e->fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) die_errno("bulk", "read (pair gone?)");
    for (ssize_t i = 0; i < n; i++) { /* every byte checked: a pair must not alter data */
        uint64_t at = e->rx + (uint64_t)i;
        if (buf[i] != (uint8_t)(at % 251)) {
            fprintf(stderr,
                    "bulk: byte %llu read from end %c is %u, expected %u (a fresh "
                    "pair is needed for each run)\n",
                    (unsigned long long)at, e == &ends[0] ? 'A' : 'B', buf[i],
                    (unsigned)(at % 251));
            exit(1);
        }
    }
    e->rx += (uint64_t)n;
    if (now >= w->t0 && now < w->t1) e->rx_win += (uint64_t)n;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bulk <end-a> <end-b> one|both <seconds> [warmup]\n");
        return 2;
    }
    int both = strcmp(argv[3], "both") == 0;
    if (!both && strcmp(argv[3], "one") != 0) die("bulk", "mode is one or both");
    double secs = atof(argv[4]), warm = argc > 5 ? atof(argv[5]) : 0.3;
    for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (uint8_t)(i % 251);
    ends[0] = (end){.fd = open_raw(argv[1]), .sending = 1};
    ends[1] = (end){.fd = open_raw(argv[2]), .sending = both};
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die_errno("bulk", "epoll_create1");
    for (int i = 0; i < 2; i++) {
        struct epoll_event ev = {.events = EPOLLIN | (ends[i].sending ? EPOLLOUT : 0),
                                 .data.ptr = &ends[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, ends[i].fd, &ev) < 0) die_errno("bulk", "epoll_ctl");
    }
    window w;
    window_init(&w, warm, secs);
    struct epoll_event evs[4];
    for (uint64_t now = now_ns(); now < w.t1; now = now_ns()) {
        int k = epoll_wait(ep, evs, 4, 1000);
        if (k < 0 && errno != EINTR) die_errno("bulk", "epoll_wait");
        for (int i = 0; i < k; i++) {
            end *e = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT) do_write(e);
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) do_read(e, &w, now);
        }
    }
    double s = (double)(w.t1 - w.t0) / 1e9;
    double ab = (double)ends[1].rx_win / s / 1e6, ba = (double)ends[0].rx_win / s / 1e6;
    printf("{\"mode\":\"%s\",\"seconds\":%.3f,\"a_to_b_MBps\":%.2f,\"b_to_a_MBps\":%.2f,"
           "\"total_MBps\":%.2f}\n",
           argv[3], s, ab, ba, ab + ba);
    return ends[1].rx_win ? 0 : 1;
}
