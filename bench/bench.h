/* bench.h: what the C contenders of the fan-out benchmark share: the
 * clock, the preallocated latency samples and their percentiles, the
 * measuring window, reading the responder's path list, and the one JSON
 * line every contender prints. Header-only so each program stays one file. */
#ifndef ASER_BENCH_H
#define ASER_BENCH_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define LAT_CAP (8u << 20) /* samples kept: 8 Mi x 4 bytes, more than 2 s needs */

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void die(const char *who, const char *what)
{
    fprintf(stderr, "%s: %s\n", who, what);
    exit(1);
}

static inline void die_errno(const char *who, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", who, what, strerror(errno));
    exit(1);
}

/* Round-trip samples in nanoseconds, allocated (and touched) up front so
 * recording one costs a store, never an allocation. */
typedef struct lat_set {
    uint32_t *v;
    size_t n;
    uint64_t dropped;
} lat_set;

static inline void lat_init(lat_set *l)
{
    l->v = malloc(LAT_CAP * sizeof *l->v);
    if (!l->v) die("bench", "out of memory for latency samples");
    memset(l->v, 0, LAT_CAP * sizeof *l->v);
    l->n = 0;
    l->dropped = 0;
}

static inline void lat_add(lat_set *l, uint64_t ns)
{
    if (l->n < LAT_CAP)
        l->v[l->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
    else
        l->dropped++;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Percentile p (0..100) in microseconds; sorts the samples in place. */
static inline double lat_pct(lat_set *l, double p)
{
    if (l->n == 0) return 0;
    qsort(l->v, l->n, sizeof *l->v, cmp_u32);
    size_t i = (size_t)(p / 100.0 * (double)(l->n - 1) + 0.5);
    return l->v[i] / 1000.0;
}

/* The measuring window: requests completing in [t0, t1) count; the
 * warm-up before t0 (opening is done by then) does not. */
typedef struct window {
    uint64_t t0, t1;
    uint64_t done; /* requests completed inside the window */
    uint64_t all;  /* every request completed, warm-up included (for strace) */
    double cpu0;   /* process CPU seconds (user + system) when the window opened */
} window;

static inline double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0) return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static inline void window_init(window *w, double warmup_s, double seconds)
{
    uint64_t now = now_ns();
    w->t0 = now + (uint64_t)(warmup_s * 1e9);
    w->t1 = w->t0 + (uint64_t)(seconds * 1e9);
    w->done = w->all = 0;
    w->cpu0 = -1;
}

/* Record a request sent at `sent` and answered at `now`; returns 0 while
 * the window is open, 1 once it has closed (stop issuing requests). */
static inline int window_record(window *w, lat_set *l, uint64_t sent, uint64_t now)
{
    w->all++;
    if (now >= w->t1) return 1;
    if (now >= w->t0) {
        if (w->cpu0 < 0) w->cpu0 = cpu_seconds();
        w->done++;
        lat_add(l, now - sent);
    }
    return 0;
}

/* The responder's slave paths, one a line; returns n (exactly `want`). */
static inline char **read_paths(const char *file, size_t want)
{
    FILE *f = fopen(file, "r");
    if (!f) die_errno("bench", file);
    char **v = calloc(want ? want : 1, sizeof *v);
    char line[256];
    size_t n = 0;
    if (!v) die("bench", "out of memory");
    while (n < want && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!(v[n++] = strdup(line))) die("bench", "out of memory");
    }
    fclose(f);
    if (n < want) die("bench", "path list shorter than the port count");
    return v;
}

/* As many fds as the hard limit allows (root may raise it further). */
static inline void raise_nofile(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) < 0) return;
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
}

static inline void print_result(const char *name, size_t nports, window *w, lat_set *l)
{
    double secs = (double)(w->t1 - w->t0) / 1e9;
    double cpu = w->cpu0 >= 0 && w->done ? (cpu_seconds() - w->cpu0) / (double)w->done * 1e6 : 0;
    double p50 = lat_pct(l, 50), p99 = lat_pct(l, 99);
    printf("{\"contender\":\"%s\",\"n\":%zu,\"requests\":%llu,\"seconds\":%.3f,"
           "\"rps\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"dropped_samples\":%llu,"
           "\"all_requests\":%llu,\"cpu_us_per_req\":%.2f}\n",
           name, nports, (unsigned long long)w->done, secs, (double)w->done / secs, p50, p99,
           (unsigned long long)l->dropped, (unsigned long long)w->all, cpu);
    fflush(stdout);
}

/* argv: <paths-file> <nports> <seconds> [warmup-seconds] */
typedef struct bench_args {
    const char *paths_file;
    size_t n;
    double seconds, warmup;
} bench_args;

static inline bench_args parse_args(int argc, char **argv, const char *usage)
{
    bench_args a = {0};
    if (argc < 4) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        exit(2);
    }
    a.paths_file = argv[1];
    a.n = strtoul(argv[2], NULL, 10);
    a.seconds = atof(argv[3]);
    a.warmup = argc > 4 ? atof(argv[4]) : 0.3;
    if (a.n == 0 || a.seconds <= 0 || a.warmup < 0) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        exit(2);
    }
    return a;
}

#endif
