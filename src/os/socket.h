/* os/socket.h: TCP sockets (socket.c), for the network transports and
 * the server. Internal. */
#ifndef ASER_OS_SOCKET_H
#define ASER_OS_SOCKET_H

#include "internal.h"

#include <sys/socket.h>

/* Sockets that are non-blocking and close-on-exec from the start where
 * the system can (SOCK_NONBLOCK/SOCK_CLOEXEC, accept4: Linux, the BSDs),
 * else by fcntl right after (macOS); with SO_NOSIGPIPE where it exists,
 * for systems without MSG_NOSIGNAL. -1 with errno set on failure. */
int aser__socket_nb(int domain, int type, int protocol);
int aser__accept_nb(int fd);
int aser__socketpair_nb(int domain, int type, int protocol, int sv[2]);
/* MSG_NOSIGNAL, or 0 where sockets carry SO_NOSIGPIPE instead. */
#ifdef MSG_NOSIGNAL
#define ASER_MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define ASER_MSG_NOSIGNAL 0
#endif

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
