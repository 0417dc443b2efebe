/* test-pair.c: virtual null-modem pairs. */
#define _GNU_SOURCE
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

TEST_T(pair, bytes_flow_both_ways_intact, 30)
{
    aser_loop *loop;
    aser_pair *pr;
    aser_err err;
    loop = ut_loop_new();
    CHECKM(aser_pair_open(loop, NULL, &pr, &err) == 0, "%s", err.msg);
    aser_port *a, *b;
    CHECK_EQ(aser_open(loop, aser_pair_path(pr, 0), NULL, &a, &err), 0);
    CHECK_EQ(aser_open(loop, aser_pair_path(pr, 1), NULL, &b, &err), 0);
    size_t n = 256 * 1024;
    uint8_t *src = malloc(n);
    for (size_t i = 0; i < n; i++) src[i] = (uint8_t)(i * 131 + (i >> 9));
    ut_rec *ra = calloc(1, sizeof *ra), *rb = calloc(1, sizeof *rb);
    CHECK(aser_write(a, src, 65536, NULL, NULL) >= 0); /* all 256 byte values */
    CHECK(aser_write(b, src + 65536, 65536, NULL, NULL) >= 0);
    CHECK(aser_read_exactly(b, 65536, 10000, ut_on_read, rb) > 0);
    CHECK(aser_read_exactly(a, 65536, 10000, ut_on_read, ra) > 0);
    ut_run_until(loop, &rb->calls, 10000);
    ut_run_until(loop, &ra->calls, 10000);
    CHECK_EQ(rb->status, 0);
    CHECK_EQ(ra->status, 0);
    CHECK_MEM(rb->data, src, 65536);
    CHECK_MEM(ra->data, src + 65536, 65536);
    aser_close(a);
    aser_close(b);
    aser_pair_close(pr);
    ut_run_for(loop, 5);
    ut_loop_free(loop);
    free(src);
    free(ra);
    free(rb);
}

TEST(pair, links_are_made_and_removed)
{
    aser_loop *loop;
    aser_pair *pr;
    aser_err err;
    char dir[] = "/tmp/aser-pair-XXXXXX", la[128], lb[128];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(la, sizeof la, "%s/a", dir);
    snprintf(lb, sizeof lb, "%s/b", dir);
    CHECK(symlink("/nonexistent", la) == 0); /* a stale link is replaced */
    loop = ut_loop_new();
    aser_pair_opts o = {.link_a = la, .link_b = lb};
    CHECKM(aser_pair_open(loop, &o, &pr, &err) == 0, "%s", err.msg);
    char target[64] = {0};
    CHECK(readlink(la, target, sizeof target - 1) > 0);
    CHECK_STR(target, aser_pair_path(pr, 0));
    aser_port *a;
    CHECK_EQ(aser_open(loop, la, NULL, &a, &err), 0); /* openable by link */
    aser_close(a);
    aser_pair_close(pr);
    struct stat st;
    CHECK(lstat(la, &st) < 0 && lstat(lb, &st) < 0);
    int fd = open(la, O_CREAT | O_WRONLY, 0644); /* a regular file is not replaced */
    close(fd);
    CHECK_EQ(aser_pair_open(loop, &o, &pr, &err), ASER_EEXIST);
    CHECK_CONTAINS(err.msg, "not a symlink");
    unlink(la);
    rmdir(dir);
    ut_run_for(loop, 5);
    ut_loop_free(loop);
}

TEST(pair, ends_survive_reopening)
{
    aser_loop *loop;
    aser_pair *pr;
    aser_err err;
    loop = ut_loop_new();
    CHECK(aser_pair_open(loop, NULL, &pr, &err) == 0);
    aser_port *b;
    CHECK_EQ(aser_open(loop, aser_pair_path(pr, 1), NULL, &b, &err), 0);
    for (int i = 0; i < 3; i++) {
        aser_port *a;
        CHECK_EQ(aser_open(loop, aser_pair_path(pr, 0), NULL, &a, &err), 0);
        CHECK(aser_write(a, "hi\n", 3, NULL, NULL) >= 0);
        ut_rec r = {0};
        CHECK(aser_read_until(b, "\n", 1, 0, 2000, ut_on_read, &r) > 0);
        ut_run_until(loop, &r.calls, 2000);
        CHECK_EQ(r.status, 0);
        aser_close(a);
        ut_run_for(loop, 5);
    }
    aser_close(b);
    aser_pair_close(pr);
    ut_run_for(loop, 5);
    ut_loop_free(loop);
}
