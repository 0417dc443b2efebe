/* test-frame.c: framers on a port (aser_read_frame, aser_on_frame, queries
 * with a framer or a matcher, the blocking twins) over pseudo-terminals;
 * the test plays the device on the pty master. Run once per loop. */
#define _GNU_SOURCE
#include "port/port.h"
#include "util.h"

#include <unistd.h>

typedef struct fx {
    aser_loop *loop;
    aser_port *p;
    int dev;
} fx;

static fx fx_open(void)
{
    fx f;
    f.loop = ut_loop_new();
    f.p = ut_open_pty_port(f.loop, &f.dev, NULL);
    return f;
}

static void fx_close(fx *f)
{
    aser_close(f->p);
    ut_run_for(f->loop, 5);
    close(f->dev);
    ut_loop_free(f->loop);
}

/* Start a frame read and wait for its one callback. */
static void read_frame(fx *f, const aser_framer *fr, unsigned timeout_ms, ut_rec *r)
{
    memset(r, 0, sizeof *r);
    CHECK(aser_read_frame(f->p, fr, timeout_ms, ut_on_read, r) > 0);
    ut_run_until(f->loop, &r->calls, 3000);
    CHECK_EQ(r->calls, 1);
}

TEST(frame, delimited_frames_split_across_reads)
{
    fx f = fx_open();
    aser_framer fr;
    CHECK_EQ(aser_framer_delims(&fr, (const char *[]){"\r\n", "\n", "\r"}, 3, false), 0);
    ut_rec r = {0};
    CHECK(aser_read_frame(f.p, &fr, 2000, ut_on_read, &r) > 0);
    ut_write_all(f.dev, "ab\r", 3);
    ut_run_for(f.loop, 30);
    CHECK_EQ(r.calls, 0); /* "\r" may be the start of "\r\n" */
    ut_write_all(f.dev, "\ncd\n", 4);
    ut_run_until(f.loop, &r.calls, 1000);
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.len, 2);
    CHECK_MEM(r.data, "ab", 2);
    read_frame(&f, &fr, 1000, &r);
    CHECK_EQ(r.len, 2);
    CHECK_MEM(r.data, "cd", 2);
    fx_close(&f);
}

TEST(frame, timeout_consumes_nothing_and_a_later_read_resumes)
{
    fx f = fx_open();
    aser_framer slip;
    CHECK_EQ(aser_framer_slip(&slip), 0);
    ut_rec r;
    ut_write_all(f.dev,
                 "\xc0"
                 "ab",
                 3);
    uint64_t t0 = at_now_ms();
    read_frame(&f, &slip, 60, &r);
    CHECK_EQ(r.status, ASER_ETIMEDOUT);
    CHECK(at_now_ms() - t0 >= 59);
    ut_write_all(f.dev, "c\xc0", 2);
    read_frame(&f, &slip, 1000, &r); /* the same framer picks up where it was */
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.len, 3);
    CHECK_MEM(r.data, "abc", 3);
    /* a timed-out frame read leaves the raw bytes to any other reader
     * (all but junk: an empty frame "\xc0\xc0" would be dropped) */
    ut_write_all(f.dev,
                 "x\xdb\xdc"
                 "y",
                 4);
    read_frame(&f, &slip, 50, &r);
    CHECK_EQ(r.status, ASER_ETIMEDOUT);
    memset(&r, 0, sizeof r);
    CHECK(aser_read(f.p, 10, 1000, ut_on_read, &r) > 0);
    ut_run_until(f.loop, &r.calls, 1000);
    CHECK_EQ(r.len, 4);
    CHECK_MEM(r.data,
              "x\xdb\xdc"
              "y",
              4);
    fx_close(&f);
}

TEST(frame, bad_slip_escape_is_eproto_and_the_next_frame_reads)
{
    fx f = fx_open();
    aser_framer slip;
    CHECK_EQ(aser_framer_slip(&slip), 0);
    ut_write_all(f.dev,
                 "a\xdb"
                 "zbc\xc0"
                 "ok\xc0",
                 9);
    ut_rec r;
    read_frame(&f, &slip, 1000, &r);
    CHECK_EQ(r.status, ASER_EPROTO);
    CHECK_CONTAINS(aser_port_errmsg(f.p), "SLIP ESC followed by");
    read_frame(&f, &slip, 1000, &r);
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.len, 2);
    CHECK_MEM(r.data, "ok", 2);
    fx_close(&f);
}

TEST(frame, overlong_frame_is_skipped_with_bounded_memory)
{
    fx f = fx_open(); /* read_buffer 4096 */
    aser_framer fr;
    CHECK_EQ(aser_framer_delims(&fr, (const char *[]){"\n"}, 1, false), 0);
    fr.max = 8;
    static uint8_t junk[20000];
    memset(junk, 'z', sizeof junk);
    ut_rec r;
    memset(&r, 0, sizeof r);
    CHECK(aser_read_frame(f.p, &fr, 3000, ut_on_read, &r) > 0);
    ut_write_all(f.dev, "0123456789", 10);
    ut_run_until(f.loop, &r.calls, 1000);
    CHECK_EQ(r.status, ASER_ENOBUFS);
    CHECK_CONTAINS(aser_port_errmsg(f.p), "max");
    /* 20000 more bytes of the same frame: skipped as they come, so the
     * 4 KiB buffer never fills and the next frame gets through */
    memset(&r, 0, sizeof r);
    CHECK(aser_read_frame(f.p, &fr, 5000, ut_on_read, &r) > 0);
    for (size_t off = 0; off < sizeof junk; off += 1000) {
        ut_write_all(f.dev, junk + off, 1000);
        ut_run_for(f.loop, 2);
    }
    ut_write_all(f.dev, "\nhi\n", 4);
    ut_run_until(f.loop, &r.calls, 3000);
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.len, 2);
    CHECK_MEM(r.data, "hi", 2);
    CHECK(f.p->rcap <= 4096);
    fx_close(&f);
}

TEST(frame, idle_gap_ends_a_frame_never_early)
{
    fx f = fx_open();
    aser_framer idle;
    CHECK_EQ(aser_framer_idle(&idle, 150000), 0); /* 150 ms: robust on a busy machine */
    ut_rec r = {0};
    CHECK(aser_read_frame(f.p, &idle, 3000, ut_on_read, &r) > 0);
    ut_write_all(f.dev, "abc", 3);
    ut_run_for(f.loop, 20);
    ut_write_all(f.dev, "def", 3);
    uint64_t last = at_now_ms();
    ut_run_until(f.loop, &r.calls, 2000);
    CHECK(at_now_ms() - last >= 149);
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.len, 6);
    CHECK_MEM(r.data, "abcdef", 6);
    fx_close(&f);
}

typedef struct srec {
    int frames, errors, ends, end_status;
    char log[256];
    size_t n;
} srec;

static void slog(srec *s, const void *p, size_t n)
{
    CHECK(s->n + n < sizeof s->log);
    memcpy(s->log + s->n, p, n);
    s->n += n;
}

static void on_frame(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    (void)p;
    srec *s = ctx;
    char num[16];
    if (status == ASER_EPROTO || status == ASER_ENOBUFS) {
        s->errors++;
        slog(s, num, (size_t)snprintf(num, sizeof num, "[%d]", status));
    } else if (status < 0) {
        s->ends++;
        s->end_status = status;
    } else {
        s->frames++;
        slog(s, "[", 1);
        slog(s, data, len);
        slog(s, "]", 1);
    }
}

TEST(frame, stream_one_callback_per_frame_then_end_once)
{
    fx f = fx_open();
    aser_framer cobs;
    CHECK_EQ(aser_framer_cobs(&cobs), 0);
    srec s = {0};
    CHECK_EQ(aser_on_frame(f.p, &cobs, on_frame, &s), 0);
    ut_rec r = {0};
    CHECK_EQ(aser_read(f.p, 1, 0, ut_on_read, &r), ASER_EBUSY);
    CHECK_EQ(aser_on_data(f.p, ut_on_read, &r), ASER_EBUSY);
    CHECK_EQ(aser_query(f.p, "x", 1, NULL, ut_on_read, &r), ASER_EBUSY);
    uint8_t enc[64];
    ssize_t n = aser_framer_encode(&cobs, "one\0two", 7, enc, sizeof enc);
    CHECK(n > 0);
    for (ssize_t i = 0; i < n; i++) { /* one byte at a time */
        ut_write_all(f.dev, enc + i, 1);
        ut_run_for(f.loop, 1);
    }
    ut_write_all(f.dev,
                 "\x03"
                 "a\x00",
                 3); /* a block cut short */
    n = aser_framer_encode(&cobs, "three", 5, enc, sizeof enc);
    ut_write_all(f.dev, enc, (size_t)n);
    uint64_t end = at_now_ms() + 2000;
    while (s.frames < 2 && at_now_ms() < end) ut_run_for(f.loop, 5);
    CHECK_EQ(s.frames, 2);
    CHECK_EQ(s.errors, 1);
    CHECK_EQ(s.n, 21);
    CHECK_MEM(s.log, "[one\0two][-71][three]", 21);
    aser_close(f.p);
    ut_run_for(f.loop, 10);
    CHECK_EQ(s.ends, 1);
    CHECK_EQ(s.end_status, ASER_ECLOSED);
    close(f.dev);
    ut_loop_free(f.loop);
}

TEST(frame, stream_of_idle_framed_frames)
{
    fx f = fx_open();
    aser_framer idle;
    CHECK_EQ(aser_framer_idle(&idle, 50000), 0);
    srec s = {0};
    CHECK_EQ(aser_on_frame(f.p, &idle, on_frame, &s), 0);
    ut_write_all(f.dev, "ab", 2);
    ut_run_for(f.loop, 150);
    CHECK_EQ(s.frames, 1); /* ended by the timer, no byte after it */
    ut_write_all(f.dev, "cd", 2);
    uint64_t end = at_now_ms() + 2000;
    while (s.frames < 2 && at_now_ms() < end) ut_run_for(f.loop, 5);
    CHECK_EQ(s.n, 8);
    CHECK_MEM(s.log, "[ab][cd]", 8);
    fx_close(&f);
    CHECK_EQ(s.ends, 1);
}

TEST(frame, stopping_the_stream_frees_the_reader)
{
    fx f = fx_open();
    aser_framer fixed;
    CHECK_EQ(aser_framer_fixed(&fixed, 2), 0);
    srec s = {0};
    CHECK_EQ(aser_on_frame(f.p, &fixed, on_frame, &s), 0);
    ut_write_all(f.dev, "abcde", 5);
    uint64_t end = at_now_ms() + 2000;
    while (s.frames < 2 && at_now_ms() < end) ut_run_for(f.loop, 5);
    CHECK_STR(s.log, "[ab][cd]");
    CHECK_EQ(aser_on_frame(f.p, NULL, NULL, NULL), 0);
    ut_rec r;
    read_frame(&f, &fixed, 50, &r); /* "e" is still there, for anyone */
    CHECK_EQ(r.status, ASER_ETIMEDOUT);
    memset(&r, 0, sizeof r);
    CHECK(aser_read(f.p, 10, 1000, ut_on_read, &r) > 0);
    ut_run_until(f.loop, &r.calls, 1000);
    CHECK_EQ(r.len, 1);
    CHECK_EQ(r.data[0], 'e');
    fx_close(&f);
    CHECK_EQ(s.ends, 0); /* stopped: no end reported */
}

TEST(frame, query_with_a_length_framer_flushes_stale_input)
{
    fx f = fx_open();
    aser_framer fr;
    CHECK_EQ(aser_framer_length(&fr, 1, 1, false, 0), 0); /* type, length, payload */
    ut_write_all(f.dev, "\x01\x05stale", 7);
    ut_run_for(f.loop, 20);
    ut_rec r = {0};
    aser_query_opts o = {.timeout_ms = 1000, .framer = &fr};
    CHECK(aser_query(f.p, "Q", 1, &o, ut_on_read, &r) > 0);
    ut_run_for(f.loop, 10);
    char req;
    CHECK_EQ(ut_read_n(f.dev, &req, 1, 1000), 1);
    ut_write_all(f.dev,
                 "\x02\x03"
                 "abcMORE",
                 9);
    ut_run_until(f.loop, &r.calls, 1000);
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.len, 5);
    CHECK_MEM(r.data,
              "\x02\x03"
              "abc",
              5);
    fx_close(&f);
}

TEST(frame, query_with_the_modbus_idle_framer)
{
    fx f = fx_open();
    aser_config cfg = ASER_CONFIG_DEFAULT;
    cfg.baud = 38400;
    aser_framer rtu;
    CHECK_EQ(aser_framer_modbus_rtu(&rtu, &cfg), 0);
    CHECK_EQ(rtu.gap_us, 1750);
    ut_rec r = {0};
    aser_query_opts o = {.timeout_ms = 2000, .framer = &rtu};
    CHECK(aser_query(f.p, "\x11\x03", 2, &o, ut_on_read, &r) > 0);
    ut_run_for(f.loop, 10);
    char req[2];
    CHECK_EQ(ut_read_n(f.dev, req, 2, 1000), 2);
    ut_write_all(f.dev, "\x11\x03\x02\x10\x00\xc4\x30", 7);
    uint64_t t0 = at_now_ms();
    ut_run_until(f.loop, &r.calls, 1000);
    CHECK(at_now_ms() - t0 < 500); /* ended by the silence, not the timeout */
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.len, 7);
    CHECK_MEM(r.data, "\x11\x03\x02\x10\x00\xc4\x30", 7);
    /* a discard in the middle of a frame (a long gap, so the frame is
     * still open when the discard comes) starts the framer over */
    aser_framer slow;
    CHECK_EQ(aser_framer_idle(&slow, 300000), 0);
    memset(&r, 0, sizeof r);
    CHECK(aser_read_frame(f.p, &slow, 3000, ut_on_read, &r) > 0);
    ut_write_all(f.dev, "junk", 4);
    ut_run_for(f.loop, 30);
    CHECK_EQ(r.calls, 0);
    CHECK_EQ(aser_discard(f.p, ASER_DISCARD_INPUT), 0);
    ut_write_all(f.dev, "ok", 2);
    ut_run_until(f.loop, &r.calls, 1000);
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.len, 2);
    CHECK_MEM(r.data, "ok", 2);
    fx_close(&f);
}

TEST(frame, framed_queries_queue_in_order_and_survive_a_bad_reply)
{
    fx f = fx_open();
    aser_framer slip;
    CHECK_EQ(aser_framer_slip(&slip), 0);
    aser_query_opts o = {.timeout_ms = 2000, .framer = &slip};
    ut_rec r[3] = {{0}};
    for (int i = 0; i < 3; i++) CHECK(aser_query(f.p, &"ABC"[i], 1, &o, ut_on_read, &r[i]) > 0);
    static const char *const replies[3] = {"\xc0one\xc0", "\xc0t\xdbwo\xc0", "\xc0three\xc0"};
    for (int i = 0; i < 3; i++) {
        char req = 0;
        ut_run_for(f.loop, 10);
        CHECK_EQ(ut_read_n(f.dev, &req, 1, 1000), 1);
        CHECK_EQ(req, 'A' + i); /* the next is not sent before this one is answered */
        ut_write_all(f.dev, replies[i], strlen(replies[i]));
        ut_run_until(f.loop, &r[i].calls, 1000);
    }
    CHECK_EQ(r[0].status, 0);
    CHECK_EQ(r[0].len, 3);
    CHECK_MEM(r[0].data, "one", 3);
    CHECK_EQ(r[1].status, ASER_EPROTO); /* ESC then 'w' */
    CHECK_EQ(r[2].status, 0);
    CHECK_EQ(r[2].len, 5);
    CHECK_MEM(r[2].data, "three", 5);
    fx_close(&f);
}

/* A reply: byte count n, n bytes, then their sum mod 256. */
static ssize_t match_sum(const uint8_t *d, size_t len, const char **why, void *ctx)
{
    int *calls = ctx;
    (*calls)++;
    if (len < 1 || len < (size_t)d[0] + 2) return 0;
    uint8_t sum = 0;
    for (size_t i = 1; i <= d[0]; i++) sum = (uint8_t)(sum + d[i]);
    if (sum != d[d[0] + 1]) {
        *why = "bad checksum";
        return ASER_EPROTO;
    }
    return d[0] + 2;
}

TEST(frame, query_with_a_matcher_rejects_a_bad_reply_then_works)
{
    fx f = fx_open();
    int calls = 0;
    aser_query_opts o = {.timeout_ms = 1000, .match = match_sum, .match_ctx = &calls};
    ut_rec r = {0};
    char req;
    CHECK(aser_query(f.p, "A", 1, &o, ut_on_read, &r) > 0);
    ut_run_for(f.loop, 10);
    CHECK_EQ(ut_read_n(f.dev, &req, 1, 1000), 1);
    ut_write_all(f.dev,
                 "\x02"
                 "ab",
                 3);
    ut_run_for(f.loop, 20);
    CHECK_EQ(r.calls, 0);
    ut_write_all(f.dev, "\x00", 1); /* 'a' + 'b' is 0xc3 */
    ut_run_until(f.loop, &r.calls, 1000);
    CHECK_EQ(r.status, ASER_EPROTO);
    CHECK_CONTAINS(aser_port_errmsg(f.p), "bad checksum");
    memset(&r, 0, sizeof r);
    CHECK(aser_query(f.p, "B", 1, &o, ut_on_read, &r) > 0);
    ut_run_for(f.loop, 10);
    CHECK_EQ(ut_read_n(f.dev, &req, 1, 1000), 1);
    CHECK_EQ(req, 'B');
    ut_write_all(f.dev,
                 "\x02"
                 "ab\xc3"
                 "extra",
                 9);
    ut_run_until(f.loop, &r.calls, 1000);
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.len, 4);
    CHECK_MEM(r.data,
              "\x02"
              "ab\xc3",
              4);
    CHECK(calls >= 3);
    /* no complete reply within max: ENOBUFS */
    o.max = 4;
    memset(&r, 0, sizeof r);
    CHECK(aser_query(f.p, "C", 1, &o, ut_on_read, &r) > 0);
    ut_run_for(f.loop, 10);
    CHECK_EQ(ut_read_n(f.dev, &req, 1, 1000), 1);
    ut_write_all(f.dev,
                 "\x09"
                 "abcdefg",
                 8);
    ut_run_until(f.loop, &r.calls, 1000);
    CHECK_EQ(r.status, ASER_ENOBUFS);
    fx_close(&f);
}

TEST(frame, bad_framers_are_refused_by_name)
{
    fx f = fx_open();
    ut_rec r = {0};
    aser_framer bad = {.kind = ASER_FRAMING_LENGTH, .len_width = 3};
    CHECK_EQ(aser_read_frame(f.p, &bad, 100, ut_on_read, &r), ASER_EINVAL);
    CHECK_CONTAINS(aser_port_errmsg(f.p), "len_width must be 1, 2 or 4");
    aser_query_opts o = {.framer = &bad};
    CHECK_EQ(aser_query(f.p, "x", 1, &o, ut_on_read, &r), ASER_EINVAL);
    CHECK_EQ(aser_on_frame(f.p, &bad, ut_on_read, &r), ASER_EINVAL);
    CHECK_EQ(aser_read_frame(f.p, NULL, 100, ut_on_read, &r), ASER_EINVAL);
    ut_run_for(f.loop, 10);
    CHECK_EQ(r.calls, 0);
    fx_close(&f);
}

TEST(frame, blocking_read_frame_and_framed_query)
{
    int dev;
    char path[64];
    ut_pty(&dev, path, sizeof path);
    aser_port *p;
    aser_err err;
    CHECKM(aser_open(NULL, path, NULL, &p, &err) == 0, "%s", err.msg);
    aser_framer slip;
    CHECK_EQ(aser_framer_slip(&slip), 0);
    uint8_t buf[8];
    ut_write_all(dev,
                 "\xc0"
                 "hello\xc0"
                 "toolongframe\xc0",
                 20);
    CHECK_EQ(aser_read_frame_sync(p, &slip, buf, sizeof buf, 1000), 5);
    CHECK_MEM(buf, "hello", 5);
    CHECK_EQ(aser_read_frame_sync(p, &slip, buf, sizeof buf, 1000), ASER_ENOBUFS);
    CHECK_EQ(aser_read_frame_sync(p, &slip, buf, sizeof buf, 50), ASER_ETIMEDOUT);
    aser_framer fixed;
    CHECK_EQ(aser_framer_fixed(&fixed, 3), 0);
    aser_query_opts o = {.timeout_ms = 1000, .framer = &fixed};
    ut_write_all(dev, "xyz", 3); /* stale: flushed by the query before it writes */
    usleep(20000);
    /* the device answers before the query runs: use keep_stale to see it */
    o.keep_stale = true;
    CHECK_EQ(aser_query_sync(p, "?", 1, &o, buf, sizeof buf), 3);
    CHECK_MEM(buf, "xyz", 3);
    CHECK_EQ(aser_query_sync(p, "?", 1, &o, buf, 2), ASER_EINVAL); /* 3 bytes cannot fit */
    /* a matcher through the blocking query */
    int calls = 0;
    aser_query_opts m = {.timeout_ms = 1000, .match = match_sum, .match_ctx = &calls};
    ut_write_all(dev,
                 "\x01"
                 "a"
                 "a",
                 3);
    m.keep_stale = true;
    CHECK_EQ(aser_query_sync(p, "?", 1, &m, buf, sizeof buf), 3);
    CHECK_MEM(buf,
              "\x01"
              "aa",
              3);
    ut_write_all(dev,
                 "\x01"
                 "a"
                 "b",
                 3);
    CHECK_EQ(aser_query_sync(p, "?", 1, &m, buf, sizeof buf), ASER_EPROTO);
    CHECK_CONTAINS(aser_port_errmsg(p), "bad checksum");
    aser_close(p);
    close(dev);
}
