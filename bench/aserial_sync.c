/* aserial_sync.c: the request/reply workload through aserial's blocking
 * API: one port opened without a loop, aser_query_sync() in a loop. The
 * blocking API drives one port per thread, so this contender runs at N = 1
 * only (run.py says so in the other cells).
 *
 *   aserial_sync <paths-file> 1 <seconds> [warmup] [query-timeout-ms] */
#include "bench.h"

#include "aserial.h"

int main(int argc, char **argv)
{
    bench_args a = parse_args(argc, argv, "<paths-file> 1 <seconds> [warmup] [query-timeout-ms]");
    if (a.n != 1) die("aserial_sync", "the blocking API drives one port: nports must be 1");
    aser_query_opts qo = {.eol = "\n", .timeout_ms = 2000};
    if (argc > 5) qo.timeout_ms = (unsigned)strtoul(argv[5], NULL, 10);
    char **paths = read_paths(a.paths_file, 1);
    lat_set lat;
    lat_init(&lat);
    aser_port *p;
    aser_err err = {0};
    if (aser_open(NULL, paths[0], NULL, &p, &err) < 0) die("aserial_sync", err.msg);
    window w;
    window_init(&w, a.warmup, a.seconds);
    static const char req[] = "PING 0\n";
    char reply[64];
    for (;;) {
        uint64_t sent = now_ns();
        ssize_t n = aser_query_sync(p, req, sizeof req - 1, &qo, reply, sizeof reply);
        if (n < 0) {
            fprintf(stderr, "aserial_sync: aser_query_sync: %s\n", aser_strerror((int)n));
            return 1;
        }
        if (n < 4 || memcmp(reply, "PONG", 4) != 0) die("aserial_sync", "unexpected reply");
        if (window_record(&w, &lat, sent, now_ns())) break;
    }
    print_result("aserial-sync", 1, &w, &lat);
    aser_close(p);
    return 0;
}
