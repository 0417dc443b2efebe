/* os/win/socket.c: the Winsock half of os/socket.h (issue 11): sockets
 * created non-blocking and not inherited, accept, a socket pair (Windows
 * has none: a loopback listener, connect, accept), non-blocking I/O with
 * resets mapped to ASER_EDISCONNECTED, queue sizes, and the Winsock error
 * codes translated to errno values so the shared code reads errno as on
 * POSIX. Winsock is started once, when the library is loaded (a
 * constructor: works for the DLL and the static library alike); it is
 * never cleaned up, as the process ends it. */
#include "os/socket.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mswsock.h>

__attribute__((constructor)) static void wsa_start(void)
{
    WSADATA wd;
    (void)WSAStartup(MAKEWORD(2, 2), &wd);
}

int aser__wsa_errno(int wsa)
{
    switch (wsa) {
    case 0: return 0;
    case WSAEWOULDBLOCK: return EAGAIN;
    case WSAEINPROGRESS: return EINPROGRESS;
    case WSAEALREADY: return EALREADY;
    case WSAEINTR: return EINTR;
    case WSAEINVAL: return EINVAL;
    case WSAEACCES: return EACCES;
    case WSAEMFILE: return EMFILE;
    case WSAENOBUFS: return ENOBUFS;
    case WSAENOTSOCK: return EBADF;
    case WSAEBADF: return EBADF;
    case WSAEAFNOSUPPORT: return EAFNOSUPPORT;
    case WSAEADDRINUSE: return EADDRINUSE;
    case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
    case WSAECONNREFUSED: return ECONNREFUSED;
    case WSAECONNRESET: return ECONNRESET;
    case WSAENETRESET: return ECONNRESET;
    case WSAECONNABORTED: return ECONNABORTED;
    case WSAENOTCONN: return ENOTCONN;
    case WSAESHUTDOWN: return EPIPE;
    case WSAETIMEDOUT: return ETIMEDOUT;
    case WSAEHOSTUNREACH: return EHOSTUNREACH;
    case WSAEHOSTDOWN: return EHOSTUNREACH;
    case WSAENETUNREACH: return ENETUNREACH;
    case WSAENETDOWN: return ENETDOWN;
    case WSAEISCONN: return EISCONN;
    case WSAEMSGSIZE: return EMSGSIZE;
    case WSAEOPNOTSUPP: return EOPNOTSUPP;
    case WSANOTINITIALISED: return EIO;
    default: return EIO;
    }
}

void aser__sock_reuse_addr(int fd)
{
    /* SO_REUSEADDR on Windows lets a second program bind the same port
     * (it means SO_REUSEPORT); SO_EXCLUSIVEADDRUSE is the safe default
     * for a server, and TIME_WAIT does not block a restart there. */
    int on = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const void *)&on, sizeof on);
}

void aser__sock_seterrno(void)
{
    errno = aser__wsa_errno(WSAGetLastError());
}

static int fail_errno(void)
{
    aser__sock_seterrno();
    return -1;
}

static SOCKET S(int fd)
{
    return (SOCKET)(intptr_t)fd;
}

/* A SOCKET as the int the library passes around (iocp.h: Windows keeps
 * handle values within 32 bits). */
static int as_fd(SOCKET s)
{
    return s == INVALID_SOCKET ? -1 : (int)(intptr_t)s;
}

static int make_nb(SOCKET s)
{
    u_long on = 1;
    if (ioctlsocket(s, FIONBIO, &on) != 0) {
        aser__sock_seterrno();
        int e = errno;
        closesocket(s);
        errno = e;
        return -1;
    }
    return as_fd(s);
}

int aser__socket_nb(int domain, int type, int protocol)
{
    SOCKET s = WSASocketW(domain, type, protocol, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET) return fail_errno();
    return make_nb(s);
}

int aser__accept_nb(int fd)
{
    SOCKET s = accept(S(fd), NULL, NULL);
    if (s == INVALID_SOCKET) return fail_errno();
    /* An accepted socket inherits the listener's non-blocking mode and
     * WSASocket flags, but say it again: cheap, and true on any stack. */
    (void)SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
    return make_nb(s);
}

/* Windows has no socketpair(): a listener on 127.0.0.1 port 0, a connect
 * to it, one accept; then the listener goes. The accepted end is checked
 * against the connecting one (same local/peer ports) so no other process
 * can slip into the pair between listen and accept. AF_UNIX socket pairs
 * exist on Windows 10 1803+ but not in Wine 8, so TCP it is; both ends
 * get TCP_NODELAY, as a pair carries small messages. */
int aser__socketpair_nb(int domain, int type, int protocol, int sv[2])
{
    (void)domain;
    (void)protocol;
    SOCKET l = INVALID_SOCKET, a = INVALID_SOCKET, c = INVALID_SOCKET;
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof addr;
    l = WSASocketW(AF_INET, type, 0, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
    if (l == INVALID_SOCKET) goto fail;
    if (bind(l, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&addr, &len) != 0)
        goto fail;
    c = WSASocketW(AF_INET, type, 0, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
    if (c == INVALID_SOCKET || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0) goto fail;
    for (int tries = 0; tries < 8; tries++) {
        struct sockaddr_in peer, mine;
        int pl = sizeof peer, ml = sizeof mine;
        a = accept(l, (struct sockaddr *)&peer, &pl);
        if (a == INVALID_SOCKET) goto fail;
        if (getsockname(c, (struct sockaddr *)&mine, &ml) == 0 && peer.sin_port == mine.sin_port &&
            peer.sin_addr.s_addr == mine.sin_addr.s_addr)
            break;
        closesocket(a); /* someone else connected: not ours */
        a = INVALID_SOCKET;
    }
    if (a == INVALID_SOCKET) {
        WSASetLastError(WSAECONNREFUSED);
        goto fail;
    }
    closesocket(l);
    int on = 1;
    (void)setsockopt(a, IPPROTO_TCP, TCP_NODELAY, (const void *)&on, sizeof on);
    (void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, (const void *)&on, sizeof on);
    sv[0] = make_nb(a);
    if (sv[0] < 0) {
        closesocket(c);
        return -1;
    }
    sv[1] = make_nb(c);
    if (sv[1] < 0) {
        closesocket(a);
        return -1;
    }
    return 0;
fail:
    aser__sock_seterrno();
    int e = errno;
    if (l != INVALID_SOCKET) closesocket(l);
    if (c != INVALID_SOCKET) closesocket(c);
    if (a != INVALID_SOCKET) closesocket(a);
    errno = e;
    return -1;
}

int aser__sock_close(int fd)
{
    return closesocket(S(fd)) == 0 ? 0 : fail_errno();
}

ssize_t aser__sock_recv(int fd, void *buf, size_t n)
{
    int r = recv(S(fd), buf, n > INT_MAX ? INT_MAX : (int)n, 0);
    return r == SOCKET_ERROR ? fail_errno() : r;
}

ssize_t aser__sock_send(int fd, const void *buf, size_t n)
{
    int r = send(S(fd), buf, n > INT_MAX ? INT_MAX : (int)n, 0);
    return r == SOCKET_ERROR ? fail_errno() : r;
}

int aser__sock_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    if (connect(S(fd), sa, len) == 0) return 0;
    int w = WSAGetLastError();
    /* A non-blocking connect under way is WSAEWOULDBLOCK on Windows. */
    errno = w == WSAEWOULDBLOCK ? EINPROGRESS : aser__wsa_errno(w);
    return -1;
}

int aser__sock_shutdown(int fd, int how)
{
    return shutdown(S(fd), how) == 0 ? 0 : fail_errno();
}

int aser__sock_error(int fd)
{
    int e = 0, len = sizeof e;
    if (getsockopt(S(fd), SOL_SOCKET, SO_ERROR, (char *)&e, &len) != 0) {
        aser__sock_seterrno();
        return errno;
    }
    return aser__wsa_errno(e);
}

/* ---- I/O helpers for the transports ------------------------------------ */

static int sock_err(int e)
{
    if (e == ECONNRESET || e == EPIPE || e == ETIMEDOUT || e == EHOSTUNREACH || e == ENETUNREACH ||
        e == ECONNABORTED || e == ENOTCONN)
        return ASER_EDISCONNECTED;
    return aser__errno(e);
}

ssize_t aser__net_read(int fd, void *buf, size_t n)
{
    ssize_t r = aser__sock_recv(fd, buf, n);
    return r >= 0 ? r : sock_err(errno);
}

ssize_t aser__net_write(int fd, const void *buf, size_t n)
{
    ssize_t r = aser__sock_send(fd, buf, n);
    return r >= 0 ? r : sock_err(errno);
}

int aser__net_discard_input(int fd)
{
    char junk[4096];
    for (int i = 0; i < 256; i++) /* bounded: at most 1 MiB per call */
        if (recv(S(fd), junk, sizeof junk, 0) <= 0) break;
    return 0;
}

int aser__net_inq(int fd)
{
    u_long n = 0;
    if (fd < 0) return 0;
    if (ioctlsocket(S(fd), FIONREAD, &n) != 0) {
        aser__sock_seterrno();
        return aser__errno(errno);
    }
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* Winsock has no count of bytes sent and not acknowledged
 * (SIO_TCP_INFO's BytesInFlight needs Windows 10 1703 and is missing from
 * Wine): report 0, as a socket with nothing queued would. */
int aser__net_outq(int fd)
{
    (void)fd;
    return 0;
}
