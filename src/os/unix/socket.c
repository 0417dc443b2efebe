/* os/unix/socket.c: the Unix half of os/socket.h: sockets created
 * non-blocking and close-on-exec, accept, socket pairs, non-blocking I/O
 * with resets mapped to ASER_EDISCONNECTED, and the queue sizes (the
 * Winsock half is os/win/socket.c). */
#define _GNU_SOURCE
#include "os/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- sockets ----------------------------------------------------------------- */

#if !defined(SOCK_NONBLOCK) || !defined(SOCK_CLOEXEC)
/* Non-blocking, close-on-exec and no SIGPIPE, after the fact. */
static int nb_after(int fd)
{
    if (fd < 0) return fd;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
#ifdef SO_NOSIGPIPE
    int on = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, (const void *)&on, sizeof on);
#endif
    return fd;
}
#endif

int aser__socket_nb(int domain, int type, int protocol)
{
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    return socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
#else
    return nb_after(socket(domain, type, protocol));
#endif
}

int aser__accept_nb(int fd)
{
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    return nb_after(accept(fd, NULL, NULL));
#endif
}

int aser__socketpair_nb(int domain, int type, int protocol, int sv[2])
{
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    return socketpair(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol, sv);
#else
    if (socketpair(domain, type, protocol, sv) < 0) return -1;
    if (nb_after(sv[0]) < 0) {
        close(sv[1]);
        return -1;
    }
    if (nb_after(sv[1]) < 0) {
        close(sv[0]);
        return -1;
    }
    return 0;
#endif
}

void aser__sock_reuse_addr(int fd)
{
    int on = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, (const void *)&on, sizeof on);
}

/* ---- I/O helpers for the transports ------------------------------------------------ */

/* Socket errors that mean the peer or the path is gone. */
static int sock_err(int e)
{
    if (e == ECONNRESET || e == EPIPE || e == ETIMEDOUT || e == EHOSTUNREACH || e == ENETUNREACH ||
        e == ECONNABORTED || e == ENOTCONN)
        return ASER_EDISCONNECTED;
    return aser__errno(e);
}

ssize_t aser__net_read(int fd, void *buf, size_t n)
{
    ssize_t r = recv(fd, buf, n, MSG_DONTWAIT);
    return r >= 0 ? r : sock_err(errno);
}

ssize_t aser__net_write(int fd, const void *buf, size_t n)
{
    ssize_t r = send(fd, buf, n, MSG_DONTWAIT | ASER_MSG_NOSIGNAL);
    return r >= 0 ? r : sock_err(errno);
}

/* Input: drop what the socket holds now. Output cannot be recalled. */
int aser__net_discard_input(int fd)
{
    uint8_t junk[4096];
    for (int i = 0; i < 256; i++) { /* bounded: at most 1 MiB per call */
        ssize_t r = recv(fd, junk, sizeof junk, MSG_DONTWAIT);
        if (r <= 0) break;
    }
    return 0;
}

int aser__net_inq(int fd)
{
    int n = 0;
    if (fd < 0) return 0;
    return ioctl(fd, FIONREAD, &n) < 0 ? aser__errno(errno) : n;
}

int aser__net_outq(int fd)
{
    int n = 0;
    if (fd < 0) return 0;
#if defined(SO_NWRITE) /* macOS */
    socklen_t len = sizeof n;
    return getsockopt(fd, SOL_SOCKET, SO_NWRITE, &n, &len) < 0 ? aser__errno(errno) : n;
#elif defined(FIONWRITE) /* the BSDs */
    return ioctl(fd, FIONWRITE, &n) < 0 ? aser__errno(errno) : n;
#else
    return ioctl(fd, TIOCOUTQ, &n) < 0 ? aser__errno(errno) : n;
#endif
}
