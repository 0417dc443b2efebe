/* demo.c: what `make demo` runs. Five simulated instruments, each on its
 * own virtual null-modem pair and each slow to answer (80-400 ms), are
 * queried at the same time from one thread. The total time is that of the
 * slowest instrument, not the sum. */
#include "aserial.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define N 5

typedef struct inst {
    const char *idn;
    unsigned delay_ms;
    aser_pair *pair;
    aser_port *dev, *host;
    aser_sim *sim;
    double t_reply;
} inst;

static int pending = N, failed; /* replies to come; errors seen */
static struct timespec t0;

static double since_start(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6;
}

static void on_reply(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    inst *in = ctx;
    in->t_reply = since_start();
    if (status == 0)
        printf("  %-12s -> %.*s   (%.0f ms)\n", aser_port_name(p), (int)len, data, in->t_reply);
    else
        printf("  %-12s -> %s: %s\n", aser_port_name(p), aser_err_name(status),
               *aser_port_errmsg(p) ? aser_port_errmsg(p) : aser_strerror(status));
    failed += status != 0;
    pending--;
}

static int setup(aser_loop *loop, inst *in)
{
    aser_err err = {0};
    aser_sim_rule rule = {"*IDN?", in->idn};
    aser_sim_opts so = {.rules = &rule, .nrules = 1, .delay_ms = in->delay_ms, .eol = "\r\n"};
    if (aser_pair_open(loop, NULL, &in->pair, &err) < 0 ||
        aser_open(loop, aser_pair_path(in->pair, 0), NULL, &in->dev, &err) < 0 ||
        aser_open(loop, aser_pair_path(in->pair, 1), NULL, &in->host, &err) < 0) {
        fprintf(stderr, "demo: %s\n", err.msg);
        return -1;
    }
    int rc = aser_sim_start(in->dev, &so, &in->sim);
    if (rc < 0) fprintf(stderr, "demo: the simulated instrument: %s\n", aser_strerror(rc));
    return rc;
}

int main(void)
{
    inst insts[N] = {
        {"ACME,DMM-4000,SN1001,1.2", 400, 0, 0, 0, 0, 0},
        {"Keysight,34465A,MY5700,A.03", 120, 0, 0, 0, 0, 0},
        {"Rigol,DP832,DP8C1234,00.01.16", 250, 0, 0, 0, 0, 0},
        {"Tek,MSO44,C012345,1.38", 80, 0, 0, 0, 0, 0},
        {"Siglent,SDG2042X,SDG2X123,2.01", 300, 0, 0, 0, 0, 0},
    };
    aser_loop *loop;
    if (aser_loop_new(&loop) < 0) return 1;
    printf("aserial demo: %d simulated instruments on virtual serial pairs\n", N);
    for (int i = 0; i < N; i++) {
        if (setup(loop, &insts[i]) < 0) return 1;
        printf("  instrument %d on %s (answers after %u ms), queried on %s\n", i + 1,
               aser_pair_path(insts[i].pair, 0), insts[i].delay_ms,
               aser_pair_path(insts[i].pair, 1));
    }
    printf("querying *IDN? on all %d at once, from one thread:\n", N);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    aser_query_opts qo = {.eol = "\r\n", .timeout_ms = 2000};
    for (int i = 0; i < N; i++)
        if (aser_query(insts[i].host, "*IDN?\r\n", 7, &qo, on_reply, &insts[i]) < 0) return 1;
    while (pending > 0) aser_loop_run_once(loop, -1);
    double total = since_start(), sum = 0;
    for (int i = 0; i < N; i++) sum += insts[i].delay_ms;
    printf("all %d replies in %.0f ms (one after another would take at least %.0f ms)\n", N, total,
           sum);
    for (int i = 0; i < N; i++) {
        aser_sim_stop(insts[i].sim);
        aser_close(insts[i].dev);
        aser_close(insts[i].host);
        aser_pair_close(insts[i].pair);
    }
    aser_loop_run_once(loop, 0);
    return aser_loop_free(loop) == 0 && !failed ? 0 : 1;
}
