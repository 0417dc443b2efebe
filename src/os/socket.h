/* os/socket.h: TCP sockets, for the network transports and the server.
 * Internal. os/socket.c holds what every platform shares; each platform's
 * half (os/unix/socket.c, os/win/socket.c) creates sockets and does the
 * non-blocking I/O. This header alone includes the system's socket
 * headers, so the shared code reads the same names everywhere. */
#ifndef ASER_OS_SOCKET_H
#define ASER_OS_SOCKET_H

#include "internal.h"

#ifdef ASER_OS_WINDOWS
/* Winsock (os/win/socket.c): a SOCKET travels as an int (iocp.h says why
 * that is safe); the functions below set errno to the POSIX value of the
 * Winsock error (aser__sock_seterrno), so the shared code tests errno as
 * it does elsewhere. */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <mstcpip.h>
#ifndef SHUT_RDWR
#define SHUT_RD SD_RECEIVE
#define SHUT_WR SD_SEND
#define SHUT_RDWR SD_BOTH
#endif
/* getaddrinfo() on Windows never says "see errno". */
#ifndef EAI_SYSTEM
#define EAI_SYSTEM (-0x7fff)
#endif
#else
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

/* Sockets that are non-blocking and close-on-exec from the start where
 * the system can (SOCK_NONBLOCK/SOCK_CLOEXEC, accept4: Linux, the BSDs),
 * else by fcntl right after (macOS); with SO_NOSIGPIPE where it exists,
 * for systems without MSG_NOSIGNAL. -1 with errno set on failure.
 * Windows: not inherited and FIONBIO; the pair is emulated over a
 * loopback listener (Windows has no socketpair). */
int aser__socket_nb(int domain, int type, int protocol);
int aser__accept_nb(int fd);
int aser__socketpair_nb(int domain, int type, int protocol, int sv[2]);
/* MSG_NOSIGNAL, or 0 where sockets carry SO_NOSIGPIPE instead. */
#ifdef MSG_NOSIGNAL
#define ASER_MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define ASER_MSG_NOSIGNAL 0
#endif

/* The calls the shared code makes on a socket, one spelling for POSIX and
 * Winsock: close; recv/send without blocking or SIGPIPE (-1 with errno
 * set); connect (-1 with errno EINPROGRESS while a non-blocking connect
 * goes on); shutdown; the pending error (SO_ERROR: 0, an errno value);
 * aser__sock_seterrno() after any other failed socket call (bind, listen)
 * sets errno from the Winsock error (a no-op on POSIX, where the call did). */
#ifdef ASER_OS_WINDOWS
int aser__sock_close(int fd);
ssize_t aser__sock_recv(int fd, void *buf, size_t n);
ssize_t aser__sock_send(int fd, const void *buf, size_t n);
int aser__sock_connect(int fd, const struct sockaddr *sa, socklen_t len);
int aser__sock_shutdown(int fd, int how);
int aser__sock_error(int fd);
void aser__sock_seterrno(void);
/* A Winsock error (WSAGetLastError) as an errno value. */
int aser__wsa_errno(int wsa);
#else
#include <errno.h>
static inline int aser__sock_close(int fd)
{
    return close(fd);
}
static inline ssize_t aser__sock_recv(int fd, void *buf, size_t n)
{
    return recv(fd, buf, n, MSG_DONTWAIT);
}
static inline ssize_t aser__sock_send(int fd, const void *buf, size_t n)
{
    return send(fd, buf, n, MSG_DONTWAIT | ASER_MSG_NOSIGNAL);
}
static inline int aser__sock_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    return connect(fd, sa, len);
}
static inline int aser__sock_shutdown(int fd, int how)
{
    return shutdown(fd, how);
}
static inline int aser__sock_error(int fd)
{
    int e = 0;
    socklen_t len = sizeof e;
    return getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 ? errno : e;
}
static inline void aser__sock_seterrno(void)
{
}
#endif

/* The address rule of a listening socket: SO_REUSEADDR on Unix (a
 * restart is not blocked by TIME_WAIT), SO_EXCLUSIVEADDRUSE on Windows. */
void aser__sock_reuse_addr(int fd);

/* TCP_NODELAY, SO_KEEPALIVE with TCP_KEEPIDLE 10 s, INTVL 5 s, CNT 3
 * (TCP_KEEPALIVE for the idle time on macOS). */
void aser__net_tune(int fd);
/* A listening socket bound to host:port (numeric or a name; blocking name
 * lookup: call at start-up only). *bound_port gets the port (useful with
 * port 0). Errors name the address and the fix. */
int aser__net_listen(const char *host, const char *port, int *fd_out, int *bound_port,
                     aser_err *err);
/* "127.0.0.1:2000" / "[::1]:2000" for a connected or accepted socket's
 * peer; "?" when unknown. */
void aser__net_peer_name(int fd, char *buf, size_t cap);
/* A sentence for a failed connect to host:port, naming the fix. */
void aser__net_connect_msg(char *buf, size_t cap, const char *url, const char *host,
                           const char *port, int code, unsigned timeout_ms);

/* recv/send without blocking or SIGPIPE; a reset, a keepalive timeout or
 * an unreachable peer is ASER_EDISCONNECTED. */
ssize_t aser__net_read(int fd, void *buf, size_t n);
ssize_t aser__net_write(int fd, const void *buf, size_t n);
/* Drop what the socket has received so far (bounded work). */
int aser__net_discard_input(int fd);
/* Bytes received and not read / sent and not acknowledged (0 for fd < 0). */
int aser__net_inq(int fd);
int aser__net_outq(int fd);

#endif
