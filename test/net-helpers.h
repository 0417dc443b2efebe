/* net-helpers.h: what test-net.c and test-net-server.c share: loopback
 * sockets, reading while the loop runs, pty line speeds, a served pty, a
 * recorder for server events, a server in a child process. */
#ifndef ASER_TEST_NET_HELPERS_H
#define ASER_TEST_NET_HELPERS_H

#include "os/termios2.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static aser_err err;

/* ---- helpers ------------------------------------------------------------------------ */

/* A listening socket on 127.0.0.1, any port. */
static inline int listener(int backlog, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(fd, backlog) == 0);
    socklen_t len = sizeof a;
    CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A port number nobody listens on (bound, then closed). */
static inline int dead_port(void)
{
    int port, fd = listener(1, &port);
    close(fd);
    return port;
}

static inline int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(fd >= 0);
    CHECKM(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s", strerror(errno));
    return fd;
}

/* Accept on lfd while running the loop (the other end connects from it). */
static inline int accept_pumping(aser_loop *loop, int lfd, unsigned ms)
{
    uint64_t end = at_now_ms() + ms;
    fcntl(lfd, F_SETFL, O_NONBLOCK);
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) return fd;
        CHECKM(at_now_ms() < end, "no connection within %u ms", ms);
        ut_loop_run_once(loop, 5);
    }
}

/* Read exactly n bytes from fd (non-blocking) while running the loop. */
static inline size_t read_pumping(aser_loop *loop, int fd, void *buf, size_t n, unsigned ms)
{
    uint64_t end = at_now_ms() + ms;
    size_t got = 0;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    while (got < n && at_now_ms() < end) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r > 0)
            got += (size_t)r;
        else if (r == 0)
            break;
        else
            ut_loop_run_once(loop, 5);
    }
    return got;
}

static inline void all_bytes(uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(i & 0xff);
}

static inline uint32_t pty_speed(const char *slave)
{
    int fd = open(slave, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    CHECK(fd >= 0);
    aser_kterm k;
    CHECK(aser__tcgets2(fd, &k) == 0);
    close(fd);
    return k.ospeed;
}

static inline void wait_speed(aser_loop *loop, const char *slave, uint32_t want)
{
    uint64_t end = at_now_ms() + 3000;
    while (pty_speed(slave) != want) {
        CHECKM(at_now_ms() < end, "%s did not reach %u baud (now %u)", slave, want,
               pty_speed(slave));
        if (loop)
            ut_loop_run_once(loop, 5);
        else
            usleep(5000);
    }
}

/* scheme://127.0.0.1:port on loop. */
static inline aser_port *open_async(aser_loop *loop, const char *scheme, int port)
{
    char url[128];
    snprintf(url, sizeof url, "%s://127.0.0.1:%d", scheme, port);
    aser_port *p = NULL;
    CHECKM(aser_open(loop, url, NULL, &p, &err) == 0, "open %s: %s", url, err.msg);
    return p;
}

static inline void close_and_free(aser_loop *loop, aser_port *p)
{
    aser_close(p);
    ut_run_for(loop, 10);
    ut_loop_free(loop);
}

typedef struct srv_rec {
    int count[8];
    char last[8][256];
} srv_rec;

static inline void on_srv(aser_server *s, aser_server_event ev, int code, const char *text,
                          void *ctx)
{
    srv_rec *r = ctx;
    (void)s, (void)code;
    r->count[ev]++;
    snprintf(r->last[ev], sizeof r->last[ev], "%s", text);
}

/* A pty-backed port on loop, served; the test holds the master. */
static inline aser_server *serve_pty(aser_loop *loop, int *master, char *slave, size_t cap,
                                     aser_port **dev, aser_server_opts o)
{
    ut_pty(master, slave, cap);
    CHECKM(aser_open(loop, slave, NULL, dev, &err) == 0, "%s", err.msg);
    if (!o.listen) o.listen = "127.0.0.1:0";
    aser_server *s;
    CHECKM(aser_server_start(*dev, &o, &s, &err) == 0, "%s", err.msg);
    return s;
}

static inline void run_until_cap(aser_loop *loop, aser_port *p, aser_feature f, aser_cap want,
                                 const char *reason_has)
{
    uint64_t end = at_now_ms() + 3000;
    const char *why = "";
    while (aser_port_cap(p, f, &why) != want || !strstr(why, reason_has)) {
        CHECKM(at_now_ms() < end, "%s stayed %d (%s)", aser_feature_name(f),
               aser_port_cap(p, f, NULL), why);
        ut_loop_run_once(loop, 5);
    }
}

/* Serve slave in a child process; returns its pid, *port the TCP port. */
static inline pid_t serve_in_child(const char *slave, int *port)
{
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        aser_loop *loop;
        aser_port *dev;
        aser_server *s;
        if (aser_loop_new(&loop) < 0 || aser_open(loop, slave, NULL, &dev, &err) < 0 ||
            aser_server_start(dev, &(aser_server_opts){.listen = "127.0.0.1:0"}, &s, &err) < 0)
            _exit(1);
        int bound = aser_server_port(s);
        if (write(pfd[1], &bound, sizeof bound) != sizeof bound) _exit(1);
        alarm(30);
        for (;;) aser_loop_run_once(loop, -1);
    }
    close(pfd[1]);
    CHECK(read(pfd[0], port, sizeof *port) == sizeof *port);
    close(pfd[0]);
    return pid;
}

static inline void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* A raw TCP client that the loop does not drive: returns bytes read (0 on
 * EOF, -1 on nothing yet). */
static inline ssize_t try_read(int fd, void *buf, size_t n)
{
    ssize_t r = recv(fd, buf, n, MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
    return r < 0 ? 0 : r; /* a reset counts as closed */
}

/* Run the loop until fd is closed by the server. */
static inline void wait_closed(aser_loop *loop, int fd, unsigned ms)
{
    uint64_t end = at_now_ms() + ms;
    char junk[4096];
    while (try_read(fd, junk, sizeof junk) != 0) {
        CHECKM(at_now_ms() < end, "the server did not close the client within %u ms", ms);
        ut_loop_run_once(loop, 5);
    }
}


#endif
