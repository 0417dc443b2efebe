/* fanout.c: query N instruments at once and gather the results.
 *
 * Each simulated instrument sits on its own virtual pair and answers *IDN?
 * after its own delay; one of them never answers. All queries start
 * together, each bounded by its own timeout, so the dead one costs one
 * timeout and does not hold up or fail the others (asyncio.gather with
 * return_exceptions=True). */
#include "aserial.h"

#include <stdio.h>

#define N 4
#define TIMEOUT_MS 500

typedef struct inst {
    const char *idn; /* NULL: this one never answers */
    unsigned delay_ms;
    aser_pair *pair;
    aser_port *dev, *host;
    aser_sim *sim;
    int status;
    char reply[64];
} inst;

static int pending = N;

static void on_reply(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    inst *in = ctx;
    in->status = status;
    if (status == 0) snprintf(in->reply, sizeof in->reply, "%.*s", (int)len, data);
    printf("  %s: %s\n", aser_port_name(p), status == 0 ? in->reply : aser_strerror(status));
    pending--;
}

static int setup(aser_loop *loop, inst *in)
{
    aser_err err = {0};
    aser_sim_rule rule = {"*IDN?", in->idn};
    aser_sim_opts so = {.rules = &rule, .nrules = in->idn ? 1 : 0, .delay_ms = in->delay_ms};
    int rc = aser_pair_open(loop, NULL, &in->pair, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(in->pair, 0), NULL, &in->dev, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(in->pair, 1), NULL, &in->host, &err);
    if (rc == 0) rc = aser_sim_start(in->dev, &so, &in->sim);
    if (rc < 0) fprintf(stderr, "fanout: %s %s\n", aser_strerror(rc), err.msg);
    return rc;
}

static void teardown(inst *in)
{
    aser_sim_stop(in->sim);
    aser_close(in->dev);
    aser_close(in->host);
    aser_pair_close(in->pair);
}

int main(void)
{
    inst insts[N] = {{.idn = "ACME,DMM,1", .delay_ms = 200},
                     {.idn = "ACME,PSU,2", .delay_ms = 50},
                     {.idn = NULL}, /* unplugged, or just silent */
                     {.idn = "ACME,SCOPE,3", .delay_ms = 120}};
    aser_loop *loop;
    if (aser_loop_new(&loop) < 0) return 1;
    for (int i = 0; i < N; i++)
        if (setup(loop, &insts[i]) < 0) return 1;
    printf("fanout: *IDN? to %d instruments at once, %d ms timeout each\n", N, TIMEOUT_MS);
    aser_query_opts qo = {.timeout_ms = TIMEOUT_MS};
    for (int i = 0; i < N; i++) {
        int rc = aser_query(insts[i].host, "*IDN?\n", 6, &qo, on_reply, &insts[i]);
        if (rc < 0) on_reply(insts[i].host, rc, NULL, 0, &insts[i]); /* never started */
    }
    while (pending > 0) aser_loop_run_once(loop, -1);
    int ok = 0;
    printf("fanout: results in instrument order:\n");
    for (int i = 0; i < N; i++) {
        printf("  #%d %-14s %s\n", i + 1, insts[i].status == 0 ? insts[i].reply : "-",
               insts[i].status == 0 ? "ok" : aser_err_name(insts[i].status));
        ok += insts[i].status == 0;
        teardown(&insts[i]);
    }
    printf("fanout: %d answered, %d failed\n", ok, N - ok);
    aser_loop_run(loop);
    return aser_loop_free(loop) == 0 && ok == N - 1 ? 0 : 1;
}
