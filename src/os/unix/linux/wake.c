/* linux/wake.c: the loop's wake-up as one eventfd (os/wake.h). */
#include "os/wake.h"
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int aser__wake_open(aser_wake *w)
{
    w->rfd = w->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return w->rfd < 0 ? aser__errno(errno) : 0;
}

void aser__wake_signal(aser_wake *w)
{
    uint64_t one = 1;
    /* Cannot fail short of the counter reaching 2^64-2: it is read back to
     * zero on every wake-up. */
    while (write(w->wfd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void aser__wake_drain(aser_wake *w)
{
    uint64_t v;
    while (read(w->rfd, &v, sizeof v) < 0 && errno == EINTR) {
    }
}

void aser__wake_close(aser_wake *w)
{
    if (w->rfd >= 0) close(w->rfd);
    w->rfd = w->wfd = -1;
}
