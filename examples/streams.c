/* streams.c: a writer and a reader over a virtual serial pair.
 *
 * The writer sends "message N" every interval (0.5 s by default), then
 * "DONE"; the reader reads line by line and stops at DONE. Both ends are on
 * one loop, in one thread. The pyserial-asyncio equivalent is the
 * open_serial_connection() reader/writer pair.
 *
 * Usage: streams [count [interval_ms]]     (default: 3 messages, 500 ms) */
#include "aserial.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct app {
    aser_loop *loop;
    aser_port *writer, *reader;
    int count, sent;
    unsigned interval_ms;
    struct timespec t0;
    int done; /* 1: DONE read, -1: failed */
} app;

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void write_next(void *arg)
{
    app *a = arg;
    char msg[32];
    bool last = a->sent == a->count;
    int n = last ? snprintf(msg, sizeof msg, "DONE\n")
                 : snprintf(msg, sizeof msg, "message %d\n", a->sent + 1);
    printf("[%5ld ms] writer: %.*s\n", ms_since(&a->t0), n - 1, msg);
    int rc = aser_write(a->writer, msg, (size_t)n, NULL, NULL);
    if (rc >= 0 && !last) {
        a->sent++;
        rc = aser_timer_start(a->loop, a->interval_ms, write_next, a, NULL);
    }
    if (rc < 0) {
        printf("writer: %s\n", aser_strerror(rc));
        a->done = -1;
    }
}

static void on_line(aser_port *p, int status, const uint8_t *line, size_t len, void *ctx);

static void read_next(app *a)
{
    int rc = aser_read_until(a->reader, "\n", 1, 0, a->interval_ms + 2000, on_line, a);
    if (rc < 0) on_line(a->reader, rc, NULL, 0, a);
}

static void on_line(aser_port *p, int status, const uint8_t *line, size_t len, void *ctx)
{
    app *a = ctx;
    (void)p;
    if (status < 0) {
        printf("reader: %s\n", aser_strerror(status));
        a->done = -1;
        return;
    }
    printf("[%5ld ms] reader: got \"%.*s\"\n", ms_since(&a->t0), (int)len, line);
    if (len == 4 && memcmp(line, "DONE", 4) == 0) {
        a->done = 1;
        return;
    }
    read_next(a);
}

int main(int argc, char **argv)
{
    app a = {.count = argc > 1 ? atoi(argv[1]) : 3,
             .interval_ms = argc > 2 ? (unsigned)atoi(argv[2]) : 500};
    aser_pair *pair = NULL;
    aser_err err = {0};
    int rc = aser_loop_new(&a.loop);
    if (rc == 0) rc = aser_pair_open(a.loop, NULL, &pair, &err);
    if (rc == 0) rc = aser_open(a.loop, aser_pair_path(pair, 0), NULL, &a.writer, &err);
    if (rc == 0) rc = aser_open(a.loop, aser_pair_path(pair, 1), NULL, &a.reader, &err);
    if (rc < 0) {
        fprintf(stderr, "streams: %s %s\n", aser_strerror(rc), err.msg);
        return 1;
    }
    printf("streams: writer on %s, reader on %s, %d messages every %u ms\n",
           aser_pair_path(pair, 0), aser_pair_path(pair, 1), a.count, a.interval_ms);
    clock_gettime(CLOCK_MONOTONIC, &a.t0);
    read_next(&a);
    write_next(&a);
    while (a.done == 0) aser_loop_run_once(a.loop, -1);
    aser_close(a.writer);
    aser_close(a.reader);
    aser_pair_close(pair);
    aser_loop_run(a.loop); /* until the closes have completed */
    printf("streams: %s\n", a.done == 1 ? "done" : "failed");
    return aser_loop_free(a.loop) == 0 && a.done == 1 ? 0 : 1;
}
