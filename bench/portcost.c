/* portcost.c: what one aserial port costs.
 *
 *   portcost <paths-file> <nports> <seconds>
 *
 * 1. Memory per idle port: resident set (from /proc/self/statm) before and
 *    after opening N ports, divided by N; also the heap bytes the library
 *    asked for while opening them.
 * 2. Heap calls per request in steady state: the fan-out workload on the N
 *    ports (aser_query with a timeout, next query from the callback); the
 *    counters are zeroed once every port has completed WARM_REQS requests
 *    (the first few queries of a port size its buffers; at N = 10,000 that
 *    takes over a second), then read after `seconds`.
 *
 * Allocation counting needs no LD_PRELOAD: this program is linked against
 * libaserial.a with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,
 * --wrap=free, so every call the library (and this file) makes lands in
 * the __wrap_ functions below. Calls made inside libc itself (strdup,
 * fopen) are not seen; none of them is on aserial's request path. */
#include "bench.h"

#include <unistd.h>

#include "aserial.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static uint64_t n_malloc, n_calloc, n_realloc, n_free, bytes_asked;

void *__wrap_malloc(size_t n)
{
    n_malloc++;
    bytes_asked += n;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    n_calloc++;
    bytes_asked += k * n;
    return __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    n_realloc++;
    bytes_asked += n;
    return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
    if (p) n_free++;
    __real_free(p);
}

static void zero_counters(void)
{
    n_malloc = n_calloc = n_realloc = n_free = bytes_asked = 0;
}

static long rss_bytes(void)
{
    long size, resident;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) die_errno("portcost", "/proc/self/statm");
    if (fscanf(f, "%ld %ld", &size, &resident) != 2) die("portcost", "bad statm");
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

#define WARM_REQS 16

typedef struct port {
    aser_port *p;
    char req[32];
    size_t reqlen;
    uint64_t sent;
    unsigned done;
} port;

static size_t nports, ports_warm;

static window w;
static lat_set lat;
static aser_loop *loop;
static const aser_query_opts qopts = {.eol = "\n", .timeout_ms = 2000};
static int stopping, counted;
static uint64_t measure_ns;

static void on_reply(aser_port *ap, int status, const uint8_t *data, size_t len, void *ctx)
{
    (void)ap;
    port *p = ctx;
    if (status == ASER_ECLOSED) return;
    if (status != 0) die("portcost: reply", aser_strerror(status));
    if (len < 4 || memcmp(data, "PONG", 4) != 0) die("portcost", "unexpected reply");
    uint64_t now = now_ns();
    if (++p->done == WARM_REQS && ++ports_warm == nports && !counted) {
        zero_counters(); /* every port warm: the window starts now */
        w.t0 = now;
        w.t1 = now + measure_ns;
        counted = 1;
    }
    if (window_record(&w, &lat, p->sent, now)) {
        stopping = 1;
        aser_loop_stop(loop);
        return;
    }
    if (stopping) return;
    p->sent = now;
    int rc = aser_query(p->p, p->req, p->reqlen, &qopts, on_reply, p);
    if (rc < 0) die("portcost: aser_query", aser_strerror(rc));
}

static int deadline_fired;
static void on_deadline(void *arg) /* replies that never come must not hang us */
{
    (void)arg;
    deadline_fired = stopping = 1;
    aser_loop_stop(loop);
}

int main(int argc, char **argv)
{
    bench_args a = parse_args(argc, argv, "<paths-file> <nports> <seconds>");
    raise_nofile();
    char **paths = read_paths(a.paths_file, a.n);
    port *ports = calloc(a.n, sizeof *ports);
    if (!ports) die("portcost", "out of memory");
    lat_init(&lat);
    int rc = aser_loop_new(&loop);
    if (rc < 0) die("portcost: aser_loop_new", aser_strerror(rc));
    long rss0 = rss_bytes();
    zero_counters();
    for (size_t i = 0; i < a.n; i++) {
        aser_err err = {0};
        if (aser_open(loop, paths[i], NULL, &ports[i].p, &err) < 0) die("portcost", err.msg);
    }
    uint64_t open_bytes = bytes_asked, open_calls = n_malloc + n_calloc + n_realloc;
    long rss1 = rss_bytes();
    for (size_t i = 0; i < a.n; i++)
        ports[i].reqlen = (size_t)snprintf(ports[i].req, sizeof ports[i].req, "PING %zu\n", i);
    nports = a.n;
    measure_ns = (uint64_t)(a.seconds * 1e9);
    window_init(&w, 60, a.seconds); /* t0 moves to when every port is warm */
    aser_timer *deadline;
    uint64_t ms = 62000 + (uint64_t)(a.seconds * 1000);
    if ((rc = aser_timer_start(loop, ms, on_deadline, NULL, &deadline)) < 0)
        die("portcost: aser_timer_start", aser_strerror(rc));
    for (size_t i = 0; i < a.n; i++) {
        ports[i].sent = now_ns();
        if ((rc = aser_query(ports[i].p, ports[i].req, ports[i].reqlen, &qopts, on_reply,
                             &ports[i])) < 0)
            die("portcost: aser_query", aser_strerror(rc));
    }
    if ((rc = aser_loop_run(loop)) < 0) die("portcost: loop", aser_strerror(rc));
    uint64_t m = n_malloc, c = n_calloc, r = n_realloc, f = n_free, req = w.done;
    double per = req ? 1.0 / (double)req : 0;
    printf("{\"n\":%zu,\"rss_per_port_bytes\":%.0f,\"heap_asked_per_port_bytes\":%.0f,"
           "\"allocs_per_port_open\":%.1f,\"requests\":%llu,\"malloc_per_req\":%.4f,"
           "\"calloc_per_req\":%.4f,\"realloc_per_req\":%.4f,\"free_per_req\":%.4f,"
           "\"allocs_per_req\":%.4f}\n",
           a.n, (double)(rss1 - rss0) / (double)a.n, (double)open_bytes / (double)a.n,
           (double)open_calls / (double)a.n, (unsigned long long)req, (double)m * per,
           (double)c * per, (double)r * per, (double)f * per, (double)(m + c + r) * per);
    fflush(stdout);
    if (!deadline_fired) aser_timer_cancel(deadline);
    for (size_t i = 0; i < a.n; i++) aser_close(ports[i].p);
    return aser_loop_free(loop) < 0 || req == 0;
}
