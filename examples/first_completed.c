/* first_completed.c: ask two instruments, act on whichever answers first,
 * cancel the other (asyncio.wait(return_when=FIRST_COMPLETED)).
 *
 * Two simulated thermometers on virtual pairs answer "TEMP?" after their
 * own delays. The first reply wins; the other query is cancelled with
 * aser_cancel() and its callback reports ASER_ECANCELED, exactly once, as
 * every operation does. Usage: first_completed [delay_a_ms delay_b_ms] */
#include "aserial.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct probe {
    const char *name, *reading;
    unsigned delay_ms;
    aser_pair *pair;
    aser_port *dev, *host;
    aser_sim *sim;
    int query_id;
    struct probe *other;
} probe;

static probe *winner;
static int finished;

static void on_reply(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    probe *pr = ctx;
    (void)p;
    finished++;
    if (status == 0 && !winner) {
        winner = pr;
        printf("%s answered first: %.*s\n", pr->name, (int)len, data);
        int rc = aser_cancel(pr->other->host, pr->other->query_id);
        printf("cancelling %s: %s\n", pr->other->name, rc == 0 ? "ok" : aser_strerror(rc));
    } else {
        printf("%s: %s\n", pr->name, status == 0 ? "answered too late" : aser_err_name(status));
    }
}

static int setup(aser_loop *loop, probe *pr)
{
    aser_err err = {0};
    aser_sim_rule rule = {"TEMP?", pr->reading};
    aser_sim_opts so = {.rules = &rule, .nrules = 1, .delay_ms = pr->delay_ms};
    int rc = aser_pair_open(loop, NULL, &pr->pair, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(pr->pair, 0), NULL, &pr->dev, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(pr->pair, 1), NULL, &pr->host, &err);
    if (rc == 0) rc = aser_sim_start(pr->dev, &so, &pr->sim);
    aser_query_opts qo = {.timeout_ms = 2000};
    if (rc == 0) rc = pr->query_id = aser_query(pr->host, "TEMP?\n", 6, &qo, on_reply, pr);
    if (rc < 0) fprintf(stderr, "first_completed: %s %s\n", aser_strerror(rc), err.msg);
    return rc < 0 ? rc : 0;
}

int main(int argc, char **argv)
{
    probe a = {.name = "probe A", .reading = "21.5", .delay_ms = 300};
    probe b = {.name = "probe B", .reading = "21.7", .delay_ms = 80};
    if (argc > 2) {
        a.delay_ms = (unsigned)atoi(argv[1]);
        b.delay_ms = (unsigned)atoi(argv[2]);
    }
    a.other = &b;
    b.other = &a;
    aser_loop *loop;
    if (aser_loop_new(&loop) < 0) return 1;
    printf("asking %s (%u ms) and %s (%u ms) at once\n", a.name, a.delay_ms, b.name, b.delay_ms);
    if (setup(loop, &a) < 0 || setup(loop, &b) < 0) return 1;
    while (finished < 2) aser_loop_run_once(loop, -1);
    probe *all[] = {&a, &b};
    for (int i = 0; i < 2; i++) {
        aser_sim_stop(all[i]->sim);
        aser_close(all[i]->dev);
        aser_close(all[i]->host);
        aser_pair_close(all[i]->pair);
    }
    aser_loop_run(loop);
    return aser_loop_free(loop) == 0 && winner ? 0 : 1;
}
