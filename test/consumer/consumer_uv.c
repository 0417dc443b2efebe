/* consumer_uv.c: the libuv adapter, known only through pkg-config.
 *
 * test-consumer.sh compiles it against an installed copy with
 * `cc $(pkg-config --cflags --libs aserial-uv)` and runs it: the same
 * virtual-pair round trip as consumer.c, on an aserial loop driven by a
 * uv_loop_t. */
#include <aserial/uv.h>

#include <stdio.h>
#include <string.h>

static const char msg[] = "consumer_uv: bytes through an installed libaserial-uv\n";
static int done, failed;

static void on_read(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    (void)p;
    if (status < 0) {
        fprintf(stderr, "consumer_uv: read: %s\n", aser_strerror(status));
        failed = 1;
    } else if (len != sizeof msg - 1 || memcmp(data, msg, len) != 0) {
        fprintf(stderr, "consumer_uv: read %zu bytes, not the %zu written\n", len, sizeof msg - 1);
        failed = 1;
    }
    done = 1;
    uv_stop(ctx); /* aser_loop_free() must run outside aserial's callbacks */
}

int main(void)
{
    uv_loop_t uv;
    aser_loop *loop = NULL;
    aser_pair *pair = NULL;
    aser_port *a = NULL, *b = NULL;
    aser_err err = {0};

    if (uv_loop_init(&uv) != 0) return 1;
    int rc = aser_loop_new_uv(&uv, &loop);
    if (rc == 0) rc = aser_pair_open(loop, NULL, &pair, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(pair, 0), NULL, &a, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(pair, 1), NULL, &b, &err);
    if (rc >= 0) rc = aser_read_exactly(b, sizeof msg - 1, 5000, on_read, &uv);
    if (rc >= 0) rc = aser_write(a, msg, sizeof msg - 1, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "consumer_uv: %s %s\n", aser_strerror(rc), err.msg);
        return 1;
    }
    uv_run(&uv, UV_RUN_DEFAULT); /* until on_read stops it */
    aser_close(a);
    aser_close(b);
    aser_pair_close(pair);
    if (aser_loop_free(loop) != 0) failed = 1;
    uv_run(&uv, UV_RUN_DEFAULT); /* the close callbacks free the handles */
    if (uv_loop_close(&uv) != 0) {
        fprintf(stderr, "consumer_uv: uv handles left open\n");
        failed = 1;
    }
    if (!done || failed) return 1;
    printf("consumer_uv: %zu bytes written on one end of the pair, read on the other, "
           "on a libuv loop\n",
           sizeof msg - 1);
    return 0;
}
