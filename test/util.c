#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

void ut_pty(int *master, char *path, size_t cap)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    CHECK(m >= 0);
    CHECK(grantpt(m) == 0 && unlockpt(m) == 0 && ptsname_r(m, path, cap) == 0);
    *master = m;
}

void ut_run_until(aser_loop *loop, const int *count, unsigned ms)
{
    uint64_t end = at_now_ms() + ms;
    while (*count == 0) {
        CHECKM(at_now_ms() < end, "loop did not reach the condition within %u ms", ms);
        CHECK(aser_loop_run_once(loop, 10) == 0);
    }
}

void ut_run_for(aser_loop *loop, unsigned ms)
{
    uint64_t end = at_now_ms() + ms;
    while (at_now_ms() < end) CHECK(aser_loop_run_once(loop, 5) == 0);
}

void ut_write_all(int fd, const void *buf, size_t len)
{
    const char *b = buf;
    uint64_t end = at_now_ms() + 5000;
    while (len > 0) {
        ssize_t n = write(fd, b, len);
        if (n > 0) {
            b += n;
            len -= (size_t)n;
            continue;
        }
        CHECKM(n < 0 && (errno == EAGAIN || errno == EINTR), "write: %s", strerror(errno));
        CHECKM(at_now_ms() < end, "write did not finish in 5 s");
        struct pollfd p = {fd, POLLOUT, 0};
        poll(&p, 1, 10);
    }
}

size_t ut_read_n(int fd, void *buf, size_t n, unsigned ms)
{
    char *b = buf;
    size_t got = 0;
    uint64_t end = at_now_ms() + ms;
    while (got < n && at_now_ms() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10) <= 0) continue;
        ssize_t r = read(fd, b + got, n - got);
        if (r > 0) got += (size_t)r;
        else if (r == 0 || (errno != EAGAIN && errno != EINTR)) break;
    }
    return got;
}

aser_port *ut_open_pty_port(aser_loop *loop, int *master, const char *cfgstr)
{
    char path[64];
    ut_pty(master, path, sizeof path);
    aser_config cfg = ASER_CONFIG_DEFAULT;
    aser_err err = {0};
    if (cfgstr) CHECKM(aser_config_parse(&cfg, cfgstr, &err) == 0, "%s", err.msg);
    aser_port *p = NULL;
    int rc = aser_open(loop, path, &cfg, &p, &err);
    CHECKM(rc == 0, "open %s: %s", path, err.msg);
    return p;
}

void ut_on_read(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    (void)p;
    ut_rec *r = ctx;
    r->calls++;
    r->status = status;
    if (status == 0) {
        CHECK(r->len + len <= sizeof r->data);
        memcpy(r->data + r->len, data, len);
        r->len += len;
    }
}

void ut_on_done(aser_port *p, int status, void *ctx)
{
    (void)p;
    ut_rec *r = ctx;
    r->calls++;
    r->status = status;
}

const char *ut_build_path(const char *rel, char *buf, size_t cap)
{
    const char *b = getenv("ASER_BUILD_DIR");
    snprintf(buf, cap, "%s/%s", b ? b : "build", rel);
    return buf;
}
