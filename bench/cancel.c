/* cancel.c: cancellation latency. A pending aser_read on a silent port
 * (a pseudo-terminal whose master this program holds and never writes) is
 * ended three ways, each measured from the moment it was due to end to
 * the moment its callback runs:
 *
 *   timeout   aser_read(timeout_ms = T): from call + T to the callback
 *   timer     aser_read(no timeout) + aser_timer_start(T) whose callback
 *             calls aser_cancel(): from call + T to the read's callback
 *   cancel    the same runs, from the aser_cancel() call to the callback
 *   floor     epoll_pwait2 with the same deadline on a bare epoll set:
 *             from the deadline to its return (the kernel's own lateness)
 *
 *   cancel <samples> [T-ms] [timer-slack-ns]
 *
 * Defaults: 500 samples, T = 1 ms, the process's timer slack left as is
 * (Linux's default is 50 us: the kernel may fire any sleep that late to
 * batch wake-ups); a slack of 1 ns shows what the loop itself adds.
 *
 * Prints one JSON line with p50/p99 in microseconds for each. */
#include "bench.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "aserial.h"

static aser_loop *loop;
static aser_port *port;
static int read_id;
static uint64_t t_cb, t_cancel;
static int status_seen;

static void on_read(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    (void)p, (void)data, (void)len, (void)ctx;
    t_cb = now_ns();
    status_seen = status;
}

static void on_timer(void *arg)
{
    (void)arg;
    t_cancel = now_ns();
    int rc = aser_cancel(port, read_id);
    if (rc < 0) die("cancel: aser_cancel", aser_strerror(rc));
}

static void run_until_callback(void)
{
    uint64_t give_up = now_ns() + 2000000000u;
    while (!t_cb) {
        int rc = aser_loop_run_once(loop, 100);
        if (rc < 0) die("cancel: loop", aser_strerror(rc));
        if (now_ns() > give_up) die("cancel", "no callback within 2 s");
    }
}

static void json_pair(const char *key, lat_set *l, int last)
{
    double p50 = lat_pct(l, 50), p99 = lat_pct(l, 99);
    printf("\"%s_p50_us\":%.1f,\"%s_p99_us\":%.1f%s", key, p50, key, p99, last ? "" : ",");
}

int main(int argc, char **argv)
{
    size_t samples = argc > 1 ? strtoul(argv[1], NULL, 10) : 500;
    unsigned t_ms = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 1;
    if (samples == 0 || t_ms == 0) die("cancel", "usage: cancel <samples> [T-ms] [slack-ns]");
    if (argc > 3 && prctl(PR_SET_TIMERSLACK, strtoul(argv[3], NULL, 10), 0, 0, 0) < 0)
        die_errno("cancel", "prctl(PR_SET_TIMERSLACK)");
    long slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    char slave[128];
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
        ptsname_r(master, slave, sizeof slave) != 0)
        die_errno("cancel", "posix_openpt");
    int rc = aser_loop_new(&loop);
    if (rc < 0) die("cancel: aser_loop_new", aser_strerror(rc));
    aser_err err = {0};
    if (aser_open(loop, slave, NULL, &port, &err) < 0) die("cancel: aser_open", err.msg);
    lat_set timeout_l, timer_l, cancel_l, floor_l;
    lat_init(&timeout_l), lat_init(&timer_l), lat_init(&cancel_l), lat_init(&floor_l);
    uint64_t T = (uint64_t)t_ms * 1000000u;
    for (size_t i = 0; i < samples; i++) { /* 1: read with a timeout */
        t_cb = 0;
        uint64_t due = now_ns() + T;
        if ((rc = aser_read(port, 64, t_ms, on_read, NULL)) < 0)
            die("cancel: aser_read", aser_strerror(rc));
        run_until_callback();
        if (status_seen != ASER_ETIMEDOUT) die("cancel", "expected ASER_ETIMEDOUT");
        lat_add(&timeout_l, t_cb > due ? t_cb - due : 0);
    }
    for (size_t i = 0; i < samples; i++) { /* 2: read cancelled by a timer */
        t_cb = 0;
        uint64_t due = now_ns() + T;
        if ((read_id = aser_read(port, 64, 0, on_read, NULL)) < 0)
            die("cancel: aser_read", aser_strerror(read_id));
        if ((rc = aser_timer_start(loop, t_ms, on_timer, NULL, NULL)) < 0)
            die("cancel: aser_timer_start", aser_strerror(rc));
        run_until_callback();
        if (status_seen != ASER_ECANCELED) die("cancel", "expected ASER_ECANCELED");
        lat_add(&timer_l, t_cb > due ? t_cb - due : 0);
        lat_add(&cancel_l, t_cb - t_cancel);
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die_errno("cancel", "epoll_create1");
    for (size_t i = 0; i < samples; i++) { /* 3: the kernel's own timer lateness */
        struct epoll_event ev;
        uint64_t due = now_ns() + T;
        struct timespec ts = {0, (long)T};
        if (epoll_pwait2(ep, &ev, 1, &ts, NULL) < 0) die_errno("cancel", "epoll_pwait2");
        uint64_t now = now_ns();
        lat_add(&floor_l, now > due ? now - due : 0);
    }
    printf("{\"samples\":%zu,\"deadline_ms\":%u,\"timer_slack_ns\":%ld,", samples, t_ms, slack);
    json_pair("timeout", &timeout_l, 0);
    json_pair("timer_cancel", &timer_l, 0);
    json_pair("cancel_call", &cancel_l, 0);
    json_pair("floor", &floor_l, 1);
    printf("}\n");
    aser_close(port);
    close(master);
    return aser_loop_free(loop) < 0;
}
