/* protocol.c: the asyncio.Protocol style.
 *
 * aser_on_data() hands over bytes as they arrive, in whatever chunks the
 * line delivers. The data callback splits them into lines and queues each
 * complete line; a worker thread takes lines off the queue and parses them,
 * then hands each result back to the loop's thread with aser_loop_post()
 * (ports and loops belong to one thread: posting is how others reach it).
 * A simulated sensor on the other end of a virtual pair sends readings in
 * deliberately awkward chunks, then "DONE". */
#include "aserial.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#define QCAP 16

typedef struct app {
    aser_loop *loop;
    char part[128]; /* the incomplete line so far (loop thread only) */
    size_t plen;
    pthread_mutex_t mu; /* the queue, shared with the worker */
    pthread_cond_t cv;
    char q[QCAP][128];
    int qhead, qlen;
    int parsed, done; /* loop thread only, written by posted calls */
} app;

static void push_line(app *a, const char *line)
{
    pthread_mutex_lock(&a->mu);
    if (a->qlen < QCAP) /* bounded: a slow consumer loses lines, never memory */
        snprintf(a->q[(a->qhead + a->qlen++) % QCAP], sizeof a->q[0], "%s", line);
    else
        printf("queue full: dropped \"%s\"\n", line);
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

static void on_data(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    app *a = ctx;
    (void)p;
    if (status < 0) { /* end of stream: tell the worker to stop too */
        push_line(a, "DONE");
        return;
    }
    printf("loop: %zu bytes arrived\n", n);
    for (size_t i = 0; i < n; i++) {
        if (d[i] != '\n') {
            if (a->plen < sizeof a->part - 1) a->part[a->plen++] = (char)d[i];
            continue;
        }
        a->part[a->plen] = '\0';
        push_line(a, a->part);
        a->plen = 0;
    }
}

static void on_result(void *arg) /* runs on the loop thread */
{
    app *a = arg;
    a->parsed++;
}

static void on_finish(void *arg)
{
    ((app *)arg)->done = 1;
}

static void *worker(void *arg)
{
    app *a = arg;
    for (;;) {
        char line[128], key[64];
        double value;
        pthread_mutex_lock(&a->mu);
        while (a->qlen == 0) pthread_cond_wait(&a->cv, &a->mu);
        memcpy(line, a->q[a->qhead], sizeof line);
        a->qhead = (a->qhead + 1) % QCAP;
        a->qlen--;
        pthread_mutex_unlock(&a->mu);
        if (strcmp(line, "DONE") == 0) break;
        if (sscanf(line, "%63[^=]=%lf", key, &value) == 2)
            printf("worker: %s is %g\n", key, value);
        else
            printf("worker: cannot parse \"%s\"\n", line);
        while (aser_loop_post(a->loop, on_result, a) == ASER_ENOBUFS) sched_yield();
    }
    while (aser_loop_post(a->loop, on_finish, a) == ASER_ENOBUFS) sched_yield();
    return NULL;
}

int main(void)
{
    static const char *chunks[] = {"temp=21", ".5\nhumid", "ity=40\npressure=1013.2\n", "DONE\n"};
    app a = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    aser_pair *pair = NULL;
    aser_port *sensor = NULL, *host = NULL;
    aser_err err = {0};
    pthread_t th;
    int rc = aser_loop_new(&a.loop);
    if (rc == 0) rc = aser_pair_open(a.loop, NULL, &pair, &err);
    if (rc == 0) rc = aser_open(a.loop, aser_pair_path(pair, 0), NULL, &sensor, &err);
    if (rc == 0) rc = aser_open(a.loop, aser_pair_path(pair, 1), NULL, &host, &err);
    if (rc == 0) rc = aser_on_data(host, on_data, &a);
    if (rc == 0 && pthread_create(&th, NULL, worker, &a) != 0) rc = ASER_ENOMEM;
    if (rc < 0) {
        fprintf(stderr, "protocol: %s %s\n", aser_strerror(rc), err.msg);
        return 1;
    }
    for (size_t i = 0; i < 4 && rc >= 0; i++) { /* one chunk per turn of the loop */
        rc = aser_write(sensor, chunks[i], strlen(chunks[i]), NULL, NULL);
        for (int t = 0; t < 3; t++) aser_loop_run_once(a.loop, 20);
    }
    if (rc < 0) push_line(&a, "DONE");              /* the sensor failed: stop the worker */
    while (!a.done) aser_loop_run_once(a.loop, -1); /* the worker posts on_finish */
    pthread_join(th, NULL);
    printf("protocol: %d readings parsed by the worker\n", a.parsed);
    aser_close(sensor);
    aser_close(host);
    aser_pair_close(pair);
    aser_loop_run(a.loop);
    return aser_loop_free(a.loop) == 0 && a.parsed == 3 ? 0 : 1;
}
