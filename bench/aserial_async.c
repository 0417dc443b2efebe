/* aserial_async.c: the fan-out workload through aserial's asynchronous API
 * on its built-in loop: aser_open on each of the N ports, aser_query with
 * eol "\n", and each reply's callback issues that port's next query.
 *
 *   aserial_async <paths-file> <nports> <seconds> [warmup] [query-timeout-ms]
 *
 * query-timeout-ms (default 2000) is passed to every query, as a real
 * program would; 0 runs without timeouts (no timer work per request).
 *
 * Built with -DBENCH_UV (and linked with libaserial-uv.a -luv) the same
 * program runs aserial on a libuv loop through the adapter (aserial/uv.h)
 * and reports as contender "aserial-uv": only loop creation, running and
 * stopping differ. Other adapters (libevent) would slot in the same way. */
#include "bench.h"

#include "aserial.h"
#ifdef BENCH_UV
#include "aserial/uv.h"
static uv_loop_t *uv;
#define CONTENDER "aserial-uv"
#define LOOP_STOP() uv_stop(uv)
#else
#define CONTENDER "aserial"
#define LOOP_STOP() aser_loop_stop(loop)
#endif

typedef struct port {
    aser_port *p;
    char req[32];
    size_t reqlen;
    uint64_t sent;
} port;

static window w;
static lat_set lat;
static aser_loop *loop;
static aser_query_opts qopts = {.eol = "\n", .timeout_ms = 2000};
static int stopping;
static size_t errors;

static void on_reply(aser_port *ap, int status, const uint8_t *data, size_t len, void *ctx);

static void send_req(port *p, uint64_t now)
{
    p->sent = now;
    int rc = aser_query(p->p, p->req, p->reqlen, &qopts, on_reply, p);
    if (rc < 0) {
        fprintf(stderr, "aserial_async: aser_query: %s\n", aser_strerror(rc));
        exit(1);
    }
}

static void on_reply(aser_port *ap, int status, const uint8_t *data, size_t len, void *ctx)
{
    (void)ap;
    port *p = ctx;
    if (status != 0) {
        if (status == ASER_ECLOSED) return; /* shutting down */
        fprintf(stderr, "aserial_async: reply: %s\n", aser_strerror(status));
        errors++;
        exit(1);
    }
    if (len < 4 || memcmp(data, "PONG", 4) != 0) die("aserial_async", "unexpected reply");
    uint64_t now = now_ns();
    if (window_record(&w, &lat, p->sent, now)) {
        if (!stopping) LOOP_STOP();
        stopping = 1;
        return;
    }
    if (!stopping) send_req(p, now);
}

/* A reply that never comes must not hang the run: stop at the window's end. */
static int deadline_fired;
static void on_deadline(void *arg)
{
    (void)arg;
    deadline_fired = stopping = 1;
    LOOP_STOP();
}

int main(int argc, char **argv)
{
    bench_args a = parse_args(argc, argv,
                              "<paths-file> <nports> <seconds> [warmup] [query-timeout-ms]");
    if (argc > 5) qopts.timeout_ms = (unsigned)strtoul(argv[5], NULL, 10);
    raise_nofile();
    char **paths = read_paths(a.paths_file, a.n);
    port *ports = calloc(a.n, sizeof *ports);
    if (!ports) die("aserial_async", "out of memory");
    lat_init(&lat);
#ifdef BENCH_UV
    uv = uv_default_loop();
    int rc = aser_loop_new_uv(uv, &loop);
#else
    int rc = aser_loop_new(&loop);
#endif
    if (rc < 0) die("aserial_async", aser_strerror(rc));
    for (size_t i = 0; i < a.n; i++) {
        aser_err err = {0};
        if (aser_open(loop, paths[i], NULL, &ports[i].p, &err) < 0) die("aserial_async", err.msg);
        ports[i].reqlen = (size_t)snprintf(ports[i].req, sizeof ports[i].req, "PING %zu\n", i);
    }
    window_init(&w, a.warmup, a.seconds);
    aser_timer *deadline;
    uint64_t ms = (w.t1 - now_ns()) / 1000000u + 1000;
    if ((rc = aser_timer_start(loop, ms, on_deadline, NULL, &deadline)) < 0)
        die("aserial_async", aser_strerror(rc));
    for (size_t i = 0; i < a.n; i++) send_req(&ports[i], now_ns());
#ifdef BENCH_UV
    uv_run(uv, UV_RUN_DEFAULT); /* until uv_stop() */
#else
    if ((rc = aser_loop_run(loop)) < 0) die("aserial_async", aser_strerror(rc));
#endif
    print_result(qopts.timeout_ms ? CONTENDER : CONTENDER "-notimeout", a.n, &w, &lat);
    if (!deadline_fired) aser_timer_cancel(deadline);
    for (size_t i = 0; i < a.n; i++) aser_close(ports[i].p);
    rc = aser_loop_free(loop); /* runs the closed ports' last callbacks first */
#ifdef BENCH_UV
    uv_run(uv, UV_RUN_NOWAIT); /* lets the adapter's close callbacks free handles */
#endif
    return rc < 0 || errors || w.done == 0 ? 1 : 0;
}
