/* responder.c: N fast "instruments" on N pseudo-terminals, in one process.
 *
 *   responder N
 *
 * Creates N pseudo-terminals (posix_openpt), puts each slave side in raw
 * mode (cfmakeraw through the master: termios ioctls on a master act on
 * its slave), prints the N slave paths on stdout, one a line, then answers
 * every line "PING <rest>\n" written on a slave with "PONG <rest>\n", and
 * any other line with "ERR\n". One epoll loop, level-triggered, non-blocking
 * masters. Exits when stdin reaches end of file (the driver closes it) or
 * on SIGTERM/SIGINT. It never opens the slaves itself, so at N = 10,000 it
 * needs only N + 4 descriptors; a master whose slave was opened and closed
 * again reports a hang-up and is dropped from the set. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#define LINE_MAX_ 256

typedef struct inst {
    int fd; /* master */
    char in[LINE_MAX_];
    size_t inlen;
    char out[4 * LINE_MAX_];
    size_t outlen;
    int want_out;
} inst;

static int epfd;

static void fail(const char *what)
{
    fprintf(stderr, "responder: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void watch(inst *in, int mod, int want_out)
{
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = in};
    if (epoll_ctl(epfd, mod ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, in->fd, &ev) < 0) fail("epoll_ctl");
    in->want_out = want_out;
}

static void drop(inst *in)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, in->fd, NULL); /* the peer is gone: no reply */
    in->inlen = in->outlen = 0;
}

/* Write what is pending; returns -1 if the peer is gone. */
static int flush_out(inst *in)
{
    while (in->outlen) {
        ssize_t n = write(in->fd, in->out, in->outlen);
        if (n > 0) {
            memmove(in->out, in->out + n, in->outlen - (size_t)n);
            in->outlen -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            break;
        } else {
            return -1;
        }
    }
    if ((in->outlen > 0) != in->want_out) watch(in, 1, in->outlen > 0);
    return 0;
}

static void queue(inst *in, const char *s, size_t len)
{
    if (in->outlen + len > sizeof in->out) return; /* client not reading: drop */
    memcpy(in->out + in->outlen, s, len);
    in->outlen += len;
}

/* Turn each complete line of input into its reply. */
static void answer(inst *in)
{
    char *start = in->in, *end = in->in + in->inlen, *nl;
    while ((nl = memchr(start, '\n', (size_t)(end - start)))) {
        size_t len = (size_t)(nl - start) + 1;
        if (len >= 5 && memcmp(start, "PING", 4) == 0) {
            memcpy(start, "PONG", 4); /* the reply is the request, renamed */
            queue(in, start, len);
        } else {
            queue(in, "ERR\n", 4);
        }
        start = nl + 1;
    }
    in->inlen = (size_t)(end - start);
    if (in->inlen == sizeof in->in) in->inlen = 0; /* an endless line: drop it */
    memmove(in->in, start, in->inlen);
}

static void on_event(inst *in, uint32_t events)
{
    if (events & EPOLLIN) {
        ssize_t n = read(in->fd, in->in + in->inlen, sizeof in->in - in->inlen);
        if (n > 0) {
            in->inlen += (size_t)n;
            answer(in);
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            drop(in); /* EIO: the slave was closed */
            return;
        }
    } else if (events & (EPOLLHUP | EPOLLERR)) {
        drop(in);
        return;
    }
    if (in->outlen && flush_out(in) < 0) drop(in);
}

static void open_inst(inst *in)
{
    in->fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (in->fd < 0) fail("posix_openpt (is /proc/sys/kernel/pty/max large enough?)");
    if (grantpt(in->fd) < 0 || unlockpt(in->fd) < 0) fail("grantpt/unlockpt");
    struct termios t;
    if (tcgetattr(in->fd, &t) < 0) fail("tcgetattr");
    cfmakeraw(&t);
    if (tcsetattr(in->fd, TCSANOW, &t) < 0) fail("tcsetattr");
    watch(in, 0, 0);
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    long n = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
    if (n <= 0) {
        fprintf(stderr, "usage: responder N\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) fail("epoll_create1");
    inst *insts = calloc((size_t)n, sizeof *insts);
    if (!insts) fail("calloc");
    for (long i = 0; i < n; i++) {
        open_inst(&insts[i]);
        char name[128];
        if (ptsname_r(insts[i].fd, name, sizeof name) != 0) fail("ptsname_r");
        printf("%s\n", name);
    }
    if (fflush(stdout) != 0) fail("writing the paths");
    struct epoll_event stdin_ev = {.events = EPOLLIN, .data.ptr = NULL};
    int watch_stdin = epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &stdin_ev) == 0;
    struct epoll_event evs[256];
    while (!stop) {
        int k = epoll_wait(epfd, evs, 256, watch_stdin ? -1 : 1000);
        if (k < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < k; i++) {
            if (evs[i].data.ptr == NULL) { /* stdin: end of file means stop */
                char b[64];
                if (read(0, b, sizeof b) <= 0) stop = 1;
                continue;
            }
            on_event(evs[i].data.ptr, evs[i].events);
        }
    }
    for (long i = 0; i < n; i++) close(insts[i].fd);
    free(insts);
    return 0;
}
