#define _GNU_SOURCE
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef ASER_TEST_HAVE_UV
#include "aserial/uv.h"
#endif
#ifdef ASER_TEST_HAVE_EVENT
#include "aserial/event.h"
#endif

/* ---- the loop under test ------------------------------------------------- */

enum {
    UT_BUILTIN,
    UT_UV,
    UT_EVENT
};

typedef struct ut_host {
    aser_loop *loop;
    int kind;
    void *host;  /* uv_loop_t * or struct event_base * */
    void *bound; /* uv_timer_t * or struct event *: bounds one iteration */
} ut_host;

static ut_host hosts[16];

const char *ut_loop_kind(void)
{
    const char *k = getenv("ASER_TEST_LOOP");
    return k && *k ? k : "builtin";
}

/* The slot of loop, or a free slot for loop == NULL. */
static ut_host *host_of(const aser_loop *loop)
{
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
        if (hosts[i].loop == loop) return &hosts[i];
    return NULL;
}

#ifdef ASER_TEST_HAVE_UV
static void uv_noop(uv_timer_t *t)
{
    (void)t;
}

static void uv_host_new(ut_host *h)
{
    uv_loop_t *uv = malloc(sizeof *uv);
    uv_timer_t *t = malloc(sizeof *t);
    CHECK(uv && t);
    CHECK(uv_loop_init(uv) == 0);
    CHECK(uv_timer_init(uv, t) == 0);
    CHECK(aser_loop_new_uv(uv, &h->loop) == 0);
    h->host = uv;
    h->bound = t;
}

static int uv_host_run_once(ut_host *h, int timeout_ms)
{
    uv_loop_t *uv = h->host;
    if (timeout_ms == 0) {
        uv_run(uv, UV_RUN_NOWAIT);
        return 0;
    }
    if (timeout_ms > 0) {
        /* Repeating: libuv 1.44 runs due timers before it polls, so on a
         * loaded machine a one-shot bound can fire there and leave the
         * poll with no deadline at all (a test that then waits for I/O
         * it must produce itself hangs). Re-armed, it bounds the poll. */
        uv_update_time(uv);
        CHECK(uv_timer_start(h->bound, uv_noop, (uint64_t)timeout_ms, (uint64_t)timeout_ms) == 0);
    }
    uv_run(uv, UV_RUN_ONCE);
    uv_timer_stop(h->bound);
    return 0;
}

static void uv_free_cb(uv_handle_t *handle)
{
    free(handle);
}

static void uv_host_free(ut_host *h)
{
    uv_loop_t *uv = h->host;
    uv_close((uv_handle_t *)h->bound, uv_free_cb);
    for (int i = 0; i < 100 && uv_loop_alive(uv); i++) uv_run(uv, UV_RUN_NOWAIT);
    CHECKM(uv_loop_close(uv) == 0, "a uv handle was left open after aser_loop_free");
    free(uv);
}
#endif

#ifdef ASER_TEST_HAVE_EVENT
static void ev_noop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
}

static void ev_host_new(ut_host *h)
{
    struct event_base *base = event_base_new();
    CHECK(base != NULL);
    struct event *t = evtimer_new(base, ev_noop, NULL);
    CHECK(t != NULL);
    CHECK(aser_loop_new_event(base, &h->loop) == 0);
    h->host = base;
    h->bound = t;
}

static int ev_host_run_once(ut_host *h, int timeout_ms)
{
    if (timeout_ms == 0) return event_base_loop(h->host, EVLOOP_NONBLOCK) < 0 ? ASER_EIO : 0;
    if (timeout_ms > 0) {
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        CHECK(evtimer_add((struct event *)h->bound, &tv) == 0);
    }
    int rc = event_base_loop(h->host, EVLOOP_ONCE);
    evtimer_del((struct event *)h->bound);
    return rc < 0 ? ASER_EIO : 0;
}

static void ev_host_free(ut_host *h)
{
    event_free(h->bound);
    int left = event_base_get_num_events(h->host, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE);
    CHECKM(left == 0, "%d libevent events left after aser_loop_free", left);
    event_base_free(h->host);
}
#endif

aser_loop *ut_loop_new(void)
{
    const char *k = ut_loop_kind();
    ut_host *h = host_of(NULL);
    CHECKM(h != NULL, "too many loops at once");
    *h = (ut_host){0};
    if (strcmp(k, "builtin") == 0) {
        h->kind = UT_BUILTIN;
        CHECK(aser_loop_new(&h->loop) == 0);
#ifdef ASER_TEST_HAVE_UV
    } else if (strcmp(k, "uv") == 0) {
        h->kind = UT_UV;
        uv_host_new(h);
#endif
#ifdef ASER_TEST_HAVE_EVENT
    } else if (strcmp(k, "event") == 0) {
        h->kind = UT_EVENT;
        ev_host_new(h);
#endif
    } else {
        CHECKM(0, "ASER_TEST_LOOP=%s: no such loop in this build", k);
    }
    return h->loop;
}

int ut_loop_run_once(aser_loop *loop, int timeout_ms)
{
    ut_host *h = loop ? host_of(loop) : NULL;
    switch (h ? h->kind : UT_BUILTIN) {
#ifdef ASER_TEST_HAVE_UV
    case UT_UV: return uv_host_run_once(h, timeout_ms);
#endif
#ifdef ASER_TEST_HAVE_EVENT
    case UT_EVENT: return ev_host_run_once(h, timeout_ms);
#endif
    default: return aser_loop_run_once(loop, timeout_ms);
    }
}

void ut_loop_free(aser_loop *loop)
{
    ut_host *h = loop ? host_of(loop) : NULL;
    int rc = aser_loop_free(loop);
    CHECKM(rc == 0, "aser_loop_free: %s", aser_strerror(rc));
    if (!h) return;
#ifdef ASER_TEST_HAVE_UV
    if (h->kind == UT_UV) uv_host_free(h);
#endif
#ifdef ASER_TEST_HAVE_EVENT
    if (h->kind == UT_EVENT) ev_host_free(h);
#endif
    *h = (ut_host){0};
}

/* ---- ptys, runs, recorders ----------------------------------------------- */

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
        CHECK(ut_loop_run_once(loop, 10) == 0);
    }
}

void ut_run_for(aser_loop *loop, unsigned ms)
{
    uint64_t end = at_now_ms() + ms;
    while (at_now_ms() < end) CHECK(ut_loop_run_once(loop, 5) == 0);
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
        if (r > 0)
            got += (size_t)r;
        else if (r == 0 || (errno != EAGAIN && errno != EINTR))
            break;
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

int ut_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    while (readdir(d)) n++;
    closedir(d);
    return n;
}

int ut_wake_fds(void)
{
#ifdef ASER_OS_LINUX
    return 1;
#else
    return 2;
#endif
}
