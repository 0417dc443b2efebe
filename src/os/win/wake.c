/* os/win/wake.c: os/wake.h on Windows, for loops on a hook table (the
 * built-in loop wakes through its completion port instead, loop.c): a
 * socket pair (os/socket.h emulates one over loopback), since a hook
 * table watches sockets only. */
#include "os/wake.h"
#include "internal.h"
#include "os/socket.h"

int aser__wake_open(aser_wake *w)
{
    int sv[2];
    w->rfd = w->wfd = -1;
    if (aser__socketpair_nb(AF_INET, SOCK_STREAM, 0, sv) < 0) return aser__errno(errno);
    w->rfd = sv[0];
    w->wfd = sv[1];
    return 0;
}

void aser__wake_signal(aser_wake *w)
{
    char one = 1;
    (void)aser__sock_send(w->wfd, &one, 1); /* a full buffer is already readable */
}

void aser__wake_drain(aser_wake *w)
{
    char buf[256];
    while (aser__sock_recv(w->rfd, buf, sizeof buf) > 0) {
    }
}

void aser__wake_close(aser_wake *w)
{
    if (w->rfd >= 0) aser__sock_close(w->rfd);
    if (w->wfd >= 0) aser__sock_close(w->wfd);
    w->rfd = w->wfd = -1;
}
