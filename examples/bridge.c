/* bridge.c: forward bytes both ways between two ports until either closes.
 *
 *   host --pair 1-- [left  <= bridge =>  right] --pair 2-- instrument
 *
 * The bridge streams each side (aser_on_data) and writes what it hears to
 * the other side; when either side ends (disconnect, close, error) it
 * closes both. Here a host queries a simulated instrument through it, then
 * the instrument's cable is pulled (pair 2 closed) and the bridge stops. */
#include "aserial.h"

#include <stdio.h>

typedef struct side {
    const char *name;
    aser_port *port;
    struct side *peer;
    size_t forwarded;
    bool *stopped;
} side;

static void on_bytes(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    side *s = ctx;
    (void)p;
    if (status < 0) {            /* this side is gone: take the other one down too */
        if (*s->stopped) return; /* we closed it: both may be freed by now */
        printf("bridge: %s side ended (%s), closing both\n", s->name, aser_strerror(status));
        *s->stopped = true;
        aser_close(s->port);
        aser_close(s->peer->port);
        return;
    }
    int rc = aser_write(s->peer->port, d, n, NULL, NULL);
    if (rc < 0)
        on_bytes(p, rc, NULL, 0, ctx); /* e.g. ASER_ENOBUFS: give up */
    else
        s->forwarded += n;
}

static void on_reply(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    (void)p;
    if (status == 0)
        printf("host: %s -> %.*s\n", (const char *)ctx, (int)n, d);
    else
        printf("host: %s failed: %s\n", (const char *)ctx, aser_strerror(status));
}

int main(void)
{
    aser_loop *loop;
    aser_pair *p1 = NULL, *p2 = NULL;
    aser_port *host = NULL, *dev = NULL;
    aser_sim *sim = NULL;
    aser_err err = {0};
    bool stopped = false;
    side left = {.name = "host", .stopped = &stopped};
    side right = {.name = "instrument", .stopped = &stopped};
    left.peer = &right;
    right.peer = &left;
    aser_sim_rule rules[] = {{"*IDN?", "ACME,DMM,1"}, {"MEAS?", "3.14"}};
    aser_sim_opts so = {.rules = rules, .nrules = 2};
    int rc = aser_loop_new(&loop);
    if (rc == 0) rc = aser_pair_open(loop, NULL, &p1, &err);
    if (rc == 0) rc = aser_pair_open(loop, NULL, &p2, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(p1, 0), NULL, &host, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(p1, 1), NULL, &left.port, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(p2, 0), NULL, &right.port, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(p2, 1), NULL, &dev, &err);
    if (rc == 0) rc = aser_sim_start(dev, &so, &sim);
    if (rc == 0) rc = aser_on_data(left.port, on_bytes, &left);
    if (rc == 0) rc = aser_on_data(right.port, on_bytes, &right);
    if (rc < 0) {
        fprintf(stderr, "bridge: %s %s\n", aser_strerror(rc), err.msg);
        return 1;
    }
    printf("bridge: %s <=> %s\n", aser_pair_path(p1, 1), aser_pair_path(p2, 0));
    aser_query_opts qo = {.timeout_ms = 1000};
    aser_query(host, "*IDN?\n", 6, &qo, on_reply, "*IDN?");
    aser_query(host, "MEAS?\n", 6, &qo, on_reply, "MEAS?");
    for (int i = 0; i < 20; i++) aser_loop_run_once(loop, 10); /* both answered */
    printf("instrument: cable pulled\n");
    aser_sim_stop(sim);
    aser_close(dev);
    aser_pair_close(p2);
    while (!stopped) aser_loop_run_once(loop, -1);
    printf("bridge: stopped; forwarded %zu bytes host->instrument, %zu back\n", left.forwarded,
           right.forwarded);
    aser_close(host);
    aser_pair_close(p1);
    aser_loop_run(loop);
    return aser_loop_free(loop) == 0 ? 0 : 1;
}
