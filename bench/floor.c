/* floor.c: the physical limit. A minimal hand-written epoll client with no
 * abstraction: N raw non-blocking ttys on one thread, each sends
 * "PING <i>\n" and waits for its reply line before sending the next.
 *
 *   floor <paths-file> <nports> <seconds> [warmup-seconds]
 *
 * One read() per readiness event, memchr for the line end, one write() per
 * request, nothing allocated after set-up. Prints one JSON result line. */
#include "bench.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>

typedef struct port {
    int fd;
    char req[32];
    size_t reqlen;
    char in[256];
    size_t inlen;
    uint64_t sent;
} port;

static void send_req(port *p, uint64_t now)
{
    p->sent = now;
    ssize_t n = write(p->fd, p->req, p->reqlen);
    if (n != (ssize_t)p->reqlen) die_errno("floor", "write (short or failed)");
}

/* The event loop, a function of its own so that profilers can count just
 * it (valgrind --toggle-collect=serve). */
static __attribute__((noinline)) void serve(int ep, window *w, lat_set *lat)
{
    struct epoll_event evs[256];
    int done = 0;
    while (!done) {
        int k = epoll_wait(ep, evs, 256, 1000);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) die_errno("floor", "epoll_wait");
        if (k == 0 && now_ns() >= w->t1) break; /* a lost reply must not hang us */
        for (int e = 0; e < k; e++) {
            port *p = evs[e].data.ptr;
            ssize_t n = read(p->fd, p->in + p->inlen, sizeof p->in - p->inlen);
            if (n <= 0) {
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                die_errno("floor", "read (responder gone?)");
            }
            p->inlen += (size_t)n;
            char *nl = memchr(p->in, '\n', p->inlen);
            if (!nl) {
                if (p->inlen == sizeof p->in) die("floor", "reply line too long");
                continue;
            }
            if (memcmp(p->in, "PONG", 4) != 0) die("floor", "unexpected reply");
            p->inlen = 0; /* one request in flight: nothing follows the reply */
            uint64_t now = now_ns();
            if (window_record(w, lat, p->sent, now)) done = 1;
            if (!done) send_req(p, now);
        }
    }
}

int main(int argc, char **argv)
{
    bench_args a = parse_args(argc, argv, "<paths-file> <nports> <seconds> [warmup]");
    raise_nofile();
    char **paths = read_paths(a.paths_file, a.n);
    port *ports = calloc(a.n, sizeof *ports);
    lat_set lat;
    lat_init(&lat);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!ports || ep < 0) die_errno("floor", "set-up");
    for (size_t i = 0; i < a.n; i++) {
        port *p = &ports[i];
        p->fd = open(paths[i], O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (p->fd < 0) die_errno("floor", paths[i]);
        struct termios t;
        if (tcgetattr(p->fd, &t) < 0) die_errno("floor", "tcgetattr");
        cfmakeraw(&t);
        if (tcsetattr(p->fd, TCSANOW, &t) < 0) die_errno("floor", "tcsetattr");
        p->reqlen = (size_t)snprintf(p->req, sizeof p->req, "PING %zu\n", i);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &ev) < 0) die_errno("floor", "epoll_ctl");
    }
    window w;
    window_init(&w, a.warmup, a.seconds);
    for (size_t i = 0; i < a.n; i++) send_req(&ports[i], now_ns());
    serve(ep, &w, &lat);
    print_result("floor", a.n, &w, &lat);
    if (w.done == 0) die("floor", "no reply inside the window (a lost reply?)");
    return 0;
}
