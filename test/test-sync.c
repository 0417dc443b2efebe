/* test-sync.c: the blocking API over pseudo-terminals. */
#define _GNU_SOURCE
#include "util.h"

#include <pthread.h>
#include <unistd.h>

static aser_port *open_blocking(int *dev)
{
    char path[64];
    ut_pty(dev, path, sizeof path);
    aser_port *p;
    aser_err err;
    CHECKM(aser_open(NULL, path, NULL, &p, &err) == 0, "%s", err.msg);
    CHECK(aser_port_loop(p) == NULL);
    return p;
}

TEST(sync, read_until_and_leftovers)
{
    int dev;
    aser_port *p = open_blocking(&dev);
    ut_write_all(dev, "line one\nline two\n", 18);
    char buf[64];
    CHECK_EQ(aser_read_until_sync(p, "\n", 1, buf, sizeof buf, 1000), 8);
    CHECK_MEM(buf, "line one", 8);
    CHECK_EQ(aser_read_until_sync(p, "\n", 1, buf, sizeof buf, 1000), 8);
    CHECK_MEM(buf, "line two", 8);
    aser_close(p);
    close(dev);
}

TEST(sync, timeout_is_not_short_data)
{
    int dev;
    aser_port *p = open_blocking(&dev);
    ut_write_all(dev, "abc", 3);
    char buf[16];
    uint64_t t0 = at_now_ms();
    CHECK_EQ(aser_read_exactly_sync(p, buf, 5, 80), ASER_ETIMEDOUT);
    CHECK(at_now_ms() - t0 >= 79);
    ut_write_all(dev, "de", 2);
    CHECK_EQ(aser_read_exactly_sync(p, buf, 5, 1000), 5); /* nothing was lost */
    CHECK_MEM(buf, "abcde", 5);
    CHECK_EQ(aser_read_sync(p, buf, sizeof buf, 30), ASER_ETIMEDOUT);
    aser_close(p);
    close(dev);
}

TEST(sync, write_then_read_on_device)
{
    int dev;
    aser_port *p = open_blocking(&dev);
    CHECK_EQ(aser_write_sync(p, "hello", 5, 1000), 0);
    CHECK_EQ(aser_drain_sync(p, 1000), 0);
    char buf[8];
    CHECK_EQ(ut_read_n(dev, buf, 5, 1000), 5);
    CHECK_MEM(buf, "hello", 5);
    aser_close(p);
    close(dev);
}

static void *device_thread(void *arg)
{
    int dev = *(int *)arg;
    char req[16];
    size_t n = ut_read_n(dev, req, 6, 2000);
    if (n == 6 && memcmp(req, "*IDN?\n", 6) == 0) ut_write_all(dev, "ACME,1\r\n", 8);
    return NULL;
}

TEST(sync, query_against_a_device_thread)
{
    int dev;
    aser_port *p = open_blocking(&dev);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, device_thread, &dev) == 0);
    char buf[32];
    aser_query_opts o = {.eol = "\r\n", .timeout_ms = 2000};
    ssize_t n = aser_query_sync(p, "*IDN?\n", 6, &o, buf, sizeof buf);
    pthread_join(t, NULL);
    CHECK_EQ(n, 6);
    CHECK_MEM(buf, "ACME,1", 6);
    o.timeout_ms = 50;
    CHECK_EQ(aser_query_sync(p, "*IDN?\n", 6, &o, buf, sizeof buf), ASER_ETIMEDOUT);
    aser_close(p);
    close(dev);
}

TEST(sync, line_longer_than_the_buffer_is_enobufs)
{
    int dev;
    aser_port *p = open_blocking(&dev);
    ut_write_all(dev, "0123456789\n", 11);
    char buf[4];
    CHECK_EQ(aser_read_until_sync(p, "\n", 1, buf, sizeof buf, 1000), ASER_ENOBUFS);
    char all[16];
    CHECK_EQ(aser_read_sync(p, all, sizeof all, 1000), 11);
    aser_close(p);
    close(dev);
}

TEST(sync, disconnect_returns_at_once)
{
    int dev;
    aser_port *p = open_blocking(&dev);
    close(dev);
    char buf[4];
    uint64_t t0 = at_now_ms();
    CHECK_EQ(aser_read_sync(p, buf, sizeof buf, 5000), ASER_EDISCONNECTED);
    CHECK(at_now_ms() - t0 < 1000);
    aser_close(p);
}

TEST(sync, blocking_calls_refuse_a_loop_port)
{
    aser_loop *loop;
    int dev;
    CHECK(aser_loop_new(&loop) == 0);
    aser_port *p = ut_open_pty_port(loop, &dev, NULL);
    char buf[4];
    CHECK_EQ(aser_read_sync(p, buf, sizeof buf, 10), ASER_EINVAL);
    aser_close(p);
    ut_run_for(loop, 5);
    CHECK(aser_loop_free(loop) == 0);
    close(dev);
}
