/* os/socket.c: TCP sockets for the network transports and the server,
 * what every platform shares: tuning, listening, peer names, and the
 * sentence for a failed connect. Creating sockets, non-blocking I/O that
 * maps resets to ASER_EDISCONNECTED and the queue sizes differ by
 * platform: os/unix/socket.c, os/win/socket.c. */
#define _GNU_SOURCE
#include "os/socket.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void aser__net_tune(int fd)
{
    int on = 1, idle = 10, intvl = 5, cnt = 3;
    /* Failures are harmless (e.g. not TCP): best effort by design. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (const void *)&on, sizeof on);
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, (const void *)&on, sizeof on);
#if defined(TCP_KEEPIDLE)
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, (const void *)&idle, sizeof idle);
#elif defined(TCP_KEEPALIVE) /* macOS */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPALIVE, (const void *)&idle, sizeof idle);
#endif
#ifdef TCP_KEEPINTVL
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, (const void *)&intvl, sizeof intvl);
#endif
#ifdef TCP_KEEPCNT
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, (const void *)&cnt, sizeof cnt);
#endif
    (void)idle;
    (void)intvl;
    (void)cnt;
}

static void addr_name(const struct sockaddr *sa, char *buf, size_t cap)
{
    char h[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)sa;
        inet_ntop(AF_INET, &a->sin_addr, h, sizeof h);
        port = ntohs(a->sin_port);
        snprintf(buf, cap, "%s:%d", h, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)sa;
        inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof h);
        port = ntohs(a->sin6_port);
        snprintf(buf, cap, "[%s]:%d", h, port);
    } else {
        snprintf(buf, cap, "?");
    }
}

void aser__net_peer_name(int fd, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        snprintf(buf, cap, "?");
    else
        addr_name((struct sockaddr *)&ss, buf, cap);
}

static int bound_port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

/* The largest backlog the system allows: listen() clamps the value to
 * net.core.somaxconn, so asking for INT_MAX gets the system maximum (4096
 * by default on current kernels) and follows a raised sysctl. A short
 * backlog overflows under bursts of connects, and the kernel then drops
 * SYNs: the client waits a full second for the retransmit. */
#define LISTEN_BACKLOG INT_MAX

static int listen_one(const struct addrinfo *ai, int *fd_out)
{
    int fd = aser__socket_nb(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) return aser__errno(errno);
    aser__sock_reuse_addr(fd);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
        aser__sock_seterrno();
        int e = errno;
        aser__sock_close(fd);
        return aser__errno(e);
    }
    *fd_out = fd;
    return 0;
}

int aser__net_listen(const char *host, const char *port, int *fd_out, int *bound_port,
                     aser_err *err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0)
        return aser__err(err, ASER_ENOENT,
                         "cannot resolve \"%s\" to listen on (%s): give an "
                         "address such as 127.0.0.1 or 0.0.0.0",
                         host, gai_strerror(g));
    int rc = ASER_ENOENT;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if ((rc = listen_one(ai, fd_out)) == 0) break;
    freeaddrinfo(res);
    if (rc == ASER_EADDRINUSE)
        return aser__err(err, rc,
                         "cannot listen on %s:%s: the port is in use; pick another "
                         "port or stop the program holding it",
                         host, port);
    if (rc == ASER_EACCES)
        return aser__err(err, rc,
                         "cannot listen on %s:%s: permission denied (ports below "
                         "1024 need privileges); pick a port above 1024",
                         host, port);
    if (rc < 0)
        return aser__err(err, rc, "cannot listen on %s:%s: %s", host, port, aser_strerror(rc));
    if (bound_port) *bound_port = bound_port_of(*fd_out);
    return 0;
}

void aser__net_connect_msg(char *buf, size_t cap, const char *url, const char *host,
                           const char *port, int code, unsigned timeout_ms)
{
    if (code == ASER_ECONNREFUSED)
        snprintf(buf, cap,
                 "connection refused to %s:%s (%s): is the server (ser2net, "
                 "aserial serve) running? check the host and port",
                 host, port, url);
    else if (code == ASER_ETIMEDOUT)
        snprintf(buf, cap,
                 "no answer from %s:%s (%s) within %u ms: check the host, the "
                 "port and any firewall, or raise ?connect_timeout=MS",
                 host, port, url, timeout_ms);
    else if (code == ASER_EHOSTUNREACH || code == ASER_ENETUNREACH)
        snprintf(buf, cap,
                 "%s:%s (%s) cannot be reached (%s): check the address and the "
                 "network",
                 host, port, url, aser_strerror(code));
    else
        snprintf(buf, cap, "cannot connect to %s:%s (%s): %s", host, port, url,
                 aser_strerror(code));
}
