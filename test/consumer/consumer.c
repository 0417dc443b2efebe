/* consumer.c: a program that knows aserial only through pkg-config.
 *
 * test-consumer.sh compiles it against an installed copy (headers, .pc
 * file, shared library) with `cc $(pkg-config --cflags --libs aserial)` and
 * runs it: a virtual pair on the built-in loop, both ends opened with
 * aser_open(), bytes written on one end must be read on the other. */
#include <aserial.h>

#include <stdio.h>
#include <string.h>

static const char msg[] = "consumer: bytes through an installed libaserial\n";
static int done, failed;

static void on_read(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    (void)p;
    (void)ctx;
    if (status < 0) {
        fprintf(stderr, "consumer: read: %s\n", aser_strerror(status));
        failed = 1;
    } else if (len != sizeof msg - 1 || memcmp(data, msg, len) != 0) {
        fprintf(stderr, "consumer: read %zu bytes, not the %zu written\n", len, sizeof msg - 1);
        failed = 1;
    }
    done = 1;
}

int main(void)
{
    aser_loop *loop = NULL;
    aser_pair *pair = NULL;
    aser_port *a = NULL, *b = NULL;
    aser_err err = {0};

    printf("consumer: aserial %s\n", ASERIAL_VERSION_STRING);
    int rc = aser_loop_new(&loop);
    if (rc == 0) rc = aser_pair_open(loop, NULL, &pair, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(pair, 0), NULL, &a, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(pair, 1), NULL, &b, &err);
    if (rc >= 0) rc = aser_read_exactly(b, sizeof msg - 1, 5000, on_read, NULL);
    if (rc >= 0) rc = aser_write(a, msg, sizeof msg - 1, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "consumer: %s %s\n", aser_strerror(rc), err.msg);
        return 1;
    }
    while (!done && aser_loop_run_once(loop, -1) >= 0) {
    }
    aser_close(a);
    aser_close(b);
    aser_pair_close(pair);
    aser_loop_run(loop); /* until the closes have completed */
    if (aser_loop_free(loop) != 0) failed = 1;
    if (!done || failed) return 1;
    printf("consumer: %zu bytes written on one end of the pair, read on the other\n",
           sizeof msg - 1);
    return 0;
}
