/* posix/wake.c: the loop's wake-up as a self-pipe (os/wake.h), for systems
 * without eventfd (macOS, the BSDs; the portable build on Linux). */
#include "os/wake.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static int set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int aser__wake_open(aser_wake *w)
{
    int p[2];
    w->rfd = w->wfd = -1;
    if (pipe(p) < 0) return aser__errno(errno);
    if (set_flags(p[0]) < 0 || set_flags(p[1]) < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return aser__errno(e);
    }
    w->rfd = p[0];
    w->wfd = p[1];
    return 0;
}

void aser__wake_signal(aser_wake *w)
{
    char one = 1;
    /* EAGAIN: the pipe is full, so it is readable already. */
    while (write(w->wfd, &one, 1) < 0 && errno == EINTR) {
    }
}

void aser__wake_drain(aser_wake *w)
{
    char buf[64];
    for (;;) {
        ssize_t n = read(w->rfd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < (ssize_t)sizeof buf) return; /* empty (EAGAIN), or drained */
    }
}

void aser__wake_close(aser_wake *w)
{
    if (w->rfd >= 0) close(w->rfd);
    if (w->wfd >= 0) close(w->wfd);
    w->rfd = w->wfd = -1;
}
