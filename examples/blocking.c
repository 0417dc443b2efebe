/* blocking.c: a SCPI-style *IDN? with the blocking API, no loop in sight.
 *
 *   blocking /dev/ttyUSB0     ask a real instrument
 *   blocking                  ask a simulated one, started here on a
 *                             virtual pair run by a background thread
 *
 * aser_open(NULL, ...) gives the port a private loop; each *_sync call
 * runs the asynchronous operation on it and returns when it completes, with
 * the same timeouts and errors (the pyserial way, minus the surprises). */
#include "aserial.h"

#include <pthread.h>
#include <stdio.h>

typedef struct instrument { /* owned by the background thread once started */
    aser_loop *loop;
    aser_pair *pair;
    aser_port *dev;
    aser_sim *sim;
    bool stop;
} instrument;

static void *instrument_thread(void *arg)
{
    instrument *in = arg;
    while (!in->stop) aser_loop_run_once(in->loop, -1);
    aser_loop_run(in->loop); /* let the closes complete */
    aser_loop_free(in->loop);
    return NULL;
}

static void instrument_stop(void *arg) /* posted: runs on the instrument's thread */
{
    instrument *in = arg;
    aser_sim_stop(in->sim);
    aser_close(in->dev);
    aser_pair_close(in->pair);
    in->stop = true;
}

static int instrument_start(instrument *in, pthread_t *th, char *path, size_t cap)
{
    aser_err err = {0};
    aser_sim_rule rules[] = {{"*IDN?", "ACME Instruments,DMM-4000,SN1001,1.2"}};
    aser_sim_opts so = {.rules = rules, .nrules = 1, .delay_ms = 30};
    int rc = aser_loop_new(&in->loop);
    if (rc == 0) rc = aser_pair_open(in->loop, NULL, &in->pair, &err);
    if (rc == 0) rc = aser_open(in->loop, aser_pair_path(in->pair, 0), NULL, &in->dev, &err);
    if (rc == 0) rc = aser_sim_start(in->dev, &so, &in->sim);
    if (rc == 0 && pthread_create(th, NULL, instrument_thread, in) != 0) rc = ASER_ENOMEM;
    if (rc < 0)
        fprintf(stderr, "blocking: %s %s\n", aser_strerror(rc), err.msg);
    else
        snprintf(path, cap, "%s", aser_pair_path(in->pair, 1));
    return rc;
}

int main(int argc, char **argv)
{
    instrument in = {0};
    pthread_t th;
    char path[64];
    if (argc > 1)
        snprintf(path, sizeof path, "%s", argv[1]);
    else if (instrument_start(&in, &th, path, sizeof path) < 0)
        return 1;
    aser_port *p;
    aser_err err = {0};
    int rc = aser_open(NULL, path, NULL, &p, &err); /* NULL loop: blocking use */
    if (rc < 0) {
        fprintf(stderr, "blocking: %s\n", err.msg);
        return 1;
    }
    char reply[256];
    aser_query_opts qo = {.eol = "\n", .timeout_ms = 1000};
    ssize_t n = aser_query_sync(p, "*IDN?\n", 6, &qo, reply, sizeof reply);
    if (n >= 0)
        printf("%s: *IDN? -> %.*s\n", path, (int)n, reply);
    else
        printf("%s: *IDN? failed: %s\n", path, aser_strerror((int)n));
    qo.timeout_ms = 200; /* a question nobody answers: a clean timeout */
    ssize_t m = aser_query_sync(p, "SYST:NOPE?\n", 11, &qo, reply, sizeof reply);
    printf("%s: SYST:NOPE? -> %s\n", path, m >= 0 ? "answered?!" : aser_err_name((int)m));
    aser_close(p);
    if (argc <= 1 && aser_loop_post(in.loop, instrument_stop, &in) == 0)
        pthread_join(th, NULL); /* (if posting failed, exit takes the thread) */
    return n >= 0 ? 0 : 1;
}
