/* fleet.c: one client process driving many remote ports (issue 24's
 * scale run; bench/fleet.py starts the servers and this program).
 *
 *   fleet ROUNDS FILE       FILE: one port URL a line
 *
 * Opens every URL on one loop (the connects run at once), then ROUNDS
 * rounds in which every port answers one query ("PING <i>\n" ->
 * "PONG <i>\n", bench/responder.c's protocol) concurrently, the next round
 * starting when all have answered. Prints one JSON object:
 *   ports, opened (ports that opened), open_s (wall time of the opens),
 *   rss_kb_before / rss_kb_open (VmRSS before any open and after all),
 *   requests, failed, wall_s and cpu_s (user + system of this process)
 *   over the rounds, first_error.
 * CPU per request = cpu_s / requests; memory per port =
 * (rss_kb_open - rss_kb_before) / ports. */
#define _GNU_SOURCE
#include <aserial.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct fport {
    aser_port *p;
    char want[32];
    int done, ok;
} fport;

static size_t npending;
static int nfailed;
static char first_error[300];

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kb;
}

static void on_reply(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    fport *f = ctx;
    f->done = 1;
    npending--;
    if (status == 0 && len == strlen(f->want) && !memcmp(data, f->want, len)) {
        f->ok = 1;
        return;
    }
    nfailed++;
    if (!first_error[0])
        snprintf(first_error, sizeof first_error, "%s: %s (%s)", aser_port_name(p),
                 aser_strerror(status), aser_port_errmsg(p));
}

static int round_(aser_loop *loop, fport *fp, size_t n, int r, unsigned timeout_ms)
{
    for (size_t i = 0; i < n; i++) {
        if (!fp[i].p) continue;
        char req[48];
        snprintf(req, sizeof req, "PING %d.%zu\n", r, i);
        snprintf(fp[i].want, sizeof fp[i].want, "PONG %d.%zu", r, i);
        fp[i].done = fp[i].ok = 0;
        aser_query_opts qo = {.eol = "\n", .timeout_ms = timeout_ms};
        if (aser_query(fp[i].p, req, strlen(req), &qo, on_reply, &fp[i]) < 0)
            nfailed++;
        else
            npending++;
    }
    while (npending)
        if (aser_loop_run_once(loop, 1000) < 0) return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fleet ROUNDS FILE\n");
        return 2;
    }
    int rounds = atoi(argv[1]);
    FILE *f = fopen(argv[2], "r");
    if (!f) return perror(argv[2]), 2;
    struct rlimit rl; /* a port is 1 to 3 descriptors */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    size_t cap = 1024, n = 0;
    char **urls = malloc(cap * sizeof *urls), line[600];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0]) continue;
        if (n == cap) urls = realloc(urls, (cap *= 2) * sizeof *urls);
        urls[n++] = strdup(line);
    }
    fclose(f);
    aser_loop *loop;
    if (aser_loop_new(&loop) < 0) return 1;
    fport *fp = calloc(n, sizeof *fp);
    long rss0 = rss_kb();
    double t0 = now_s();
    size_t opened = 0;
    for (size_t i = 0; i < n; i++) {
        aser_err err = {0};
        if (aser_open(loop, urls[i], NULL, &fp[i].p, &err) < 0) {
            fp[i].p = NULL;
            if (!first_error[0]) snprintf(first_error, sizeof first_error, "%s", err.msg);
        } else {
            opened++;
        }
    }
    /* the first round waits for the connects (operations wait while a
     * port is connecting) and is not counted */
    nfailed = 0;
    round_(loop, fp, n, 0, 60000);
    double open_s = now_s() - t0;
    int open_failed = nfailed;
    long rss1 = rss_kb();
    nfailed = 0;
    double c0 = cpu_s(), w0 = now_s();
    for (int r = 1; r <= rounds; r++) round_(loop, fp, n, r, 30000);
    double wall = now_s() - w0, cpu = cpu_s() - c0;
    printf("{\"ports\":%zu,\"opened\":%zu,\"first_round_failed\":%d,\"open_s\":%.3f,"
           "\"rss_kb_before\":%ld,\"rss_kb_open\":%ld,\"requests\":%zu,\"failed\":%d,"
           "\"wall_s\":%.3f,\"cpu_s\":%.3f,\"first_error\":\"",
           n, opened, open_failed, open_s, rss0, rss1, opened * (size_t)rounds, nfailed, wall, cpu);
    for (const char *s = first_error; *s; s++)
        if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20) putchar(*s);
    printf("\"}\n");
    for (size_t i = 0; i < n; i++) aser_close(fp[i].p);
    for (int i = 0; i < 200 && aser_loop_free(loop) == ASER_EBUSY; i++)
        aser_loop_run_once(loop, 10);
    return 0;
}
