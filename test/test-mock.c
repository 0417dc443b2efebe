/* test-mock.c: the in-memory mock pair, its modem lines and fault plans,
 * and seeded randomized fault runs: every operation completes exactly
 * once, delivered bytes are intact and in order, nothing leaks. */
#define _GNU_SOURCE
#include "aserial/testing.h"
#include "util.h"

#include <time.h>

typedef struct mfx {
    aser_loop *loop;
    aser_mock *m;
    aser_port *host, *dev;
} mfx;

static mfx mfx_open(void)
{
    mfx f;
    aser_err err;
    f.loop = ut_loop_new();
    CHECK(aser_mock_new(f.loop, "dmm", &f.m) == 0);
    CHECKM(aser_open(f.loop, "mock://dmm", NULL, &f.host, &err) == 0, "%s", err.msg);
    CHECK(aser_mock_open_peer(f.m, NULL, &f.dev) == 0);
    return f;
}

static void mfx_close(mfx *f)
{
    aser_close(f->host);
    aser_close(f->dev);
    ut_run_for(f->loop, 5);
    CHECK(aser_mock_free(f->m) == 0);
    ut_loop_free(f->loop);
}

TEST(mock, query_through_mock_url)
{
    mfx f = mfx_open();
    aser_sim_rule rule = {"*IDN?", "MOCK,1"};
    aser_sim *s;
    CHECK(aser_sim_start(f.dev, &(aser_sim_opts){.rules = &rule, .nrules = 1}, &s) == 0);
    ut_rec r = {0};
    CHECK(aser_query(f.host, "*IDN?\n", 6, &(aser_query_opts){.timeout_ms = 1000}, ut_on_read, &r) >
          0);
    ut_run_until(f.loop, &r.calls, 2000);
    CHECK_EQ(r.status, 0);
    CHECK_MEM(r.data, "MOCK,1", 6);
    aser_sim_stop(s);
    mfx_close(&f);
}

TEST(mock, modem_lines_cross_like_a_null_modem)
{
    mfx f = mfx_open();
    CHECK_EQ(aser_port_lines(f.dev), 0);
    CHECK(aser_set_lines(f.host, ASER_LINE_RTS | ASER_LINE_DTR, ASER_LINE_RTS) == 0);
    CHECK_EQ(aser_port_lines(f.dev), ASER_LINE_CTS);
    CHECK(aser_set_lines(f.host, ASER_LINE_DTR, ASER_LINE_DTR) == 0);
    CHECK_EQ(aser_port_lines(f.dev), ASER_LINE_CTS | ASER_LINE_DSR | ASER_LINE_CD);
    CHECK_EQ(aser_port_lines(f.host), ASER_LINE_RTS | ASER_LINE_DTR);
    CHECK_EQ(aser_port_cap(f.host, ASER_FEAT_MODEM_LINES, NULL), ASER_CAP_SUPPORTED);
    mfx_close(&f);
}

TEST(mock, open_errors_name_the_fix)
{
    aser_loop *loop;
    aser_mock *m;
    aser_port *p, *q;
    aser_err err;
    loop = ut_loop_new();
    CHECK_EQ(aser_open(loop, "mock://nope", NULL, &p, &err), ASER_ENOENT);
    CHECK_CONTAINS(err.msg, "aser_mock_new");
    CHECK(aser_mock_new(loop, "x", &m) == 0);
    CHECK_EQ(aser_mock_new(loop, "x", &m), ASER_EEXIST);
    CHECK_EQ(aser_open(NULL, "mock://x", NULL, &p, &err), ASER_EINVAL);
    CHECK(aser_open(loop, "mock://x", NULL, &p, &err) == 0);
    CHECK_EQ(aser_open(loop, "mock://x", NULL, &q, &err), ASER_EBUSY);
    CHECK_EQ(aser_mock_free(m), ASER_EBUSY);
    aser_close(p);
    ut_run_for(loop, 5);
    CHECK(aser_mock_free(m) == 0);
    ut_loop_free(loop); /* fails if anything still holds the loop */
}

/* Push n bytes from one port to the other under the current faults and
 * check they arrive intact and in order. */
static void transfer(mfx *f, aser_port *from, aser_port *to, size_t n, unsigned ms)
{
    uint8_t *src = malloc(n);
    for (size_t i = 0; i < n; i++) src[i] = (uint8_t)(i * 13 + (i >> 7));
    ut_rec w = {0};
    ut_rec *r = calloc(1, sizeof *r);
    CHECK(aser_write(from, src, n, ut_on_done, &w) > 0);
    CHECK(aser_read_exactly(to, n, ms, ut_on_read, r) > 0);
    ut_run_until(f->loop, &r->calls, ms + 1000);
    ut_run_until(f->loop, &w.calls, 1000);
    CHECK_EQ(w.status, 0);
    CHECK_EQ(r->status, 0);
    CHECK_MEM(r->data, src, n);
    free(src);
    free(r);
}

TEST(mock, storms_and_short_io_lose_nothing)
{
    mfx f = mfx_open();
    aser_fault_plan plan = {.eagain_burst = 3, .eintr_burst = 2, .max_read = 7, .max_write = 5};
    CHECK(aser_mock_set_faults(f.m, 0, &plan) == 0);
    CHECK(aser_mock_set_faults(f.m, 1, &plan) == 0);
    transfer(&f, f.host, f.dev, 20000, 5000);
    transfer(&f, f.dev, f.host, 20000, 5000);
    mfx_close(&f);
}

/* More than the reader's buffer at once: the mock stages up to 64 KiB
 * from its socket and replays readiness by a timer; a replay that came
 * while the read buffer (4 KiB) was full read nothing, and nothing
 * replayed again once the reader made room, so the reader stalled after
 * its first read (found by the Python package's tests). */
TEST(mock, more_than_the_read_buffer_in_one_write)
{
    mfx f = mfx_open();
    size_t n = 100000, got = 0;
    uint8_t *src = malloc(n);
    for (size_t i = 0; i < n; i++) src[i] = (uint8_t)(i * 7 + (i >> 9));
    ut_rec w = {0};
    CHECK(aser_write(f.host, src, n, ut_on_done, &w) > 0);
    ut_run_until(f.loop, &w.calls, 2000);
    CHECK_EQ(w.status, 0); /* all of it in the socket: the stage fills */
    ut_rec *r = calloc(1, sizeof *r);
    while (got < n) {
        memset(r, 0, sizeof *r);
        CHECK(aser_read(f.dev, 4096, 2000, ut_on_read, r) > 0);
        ut_run_until(f.loop, &r->calls, 3000);
        CHECKM(r->status == 0, "read after %zu of %zu bytes: %s", got, n, aser_strerror(r->status));
        CHECK_MEM(r->data, src + got, r->len);
        got += r->len;
    }
    CHECK_EQ(got, n);
    free(r);
    free(src);
    mfx_close(&f);
}

/* A query's request is written at once when it starts; what the driver
 * refuses (EINTR, EAGAIN) or takes in part goes through the write queue. */
TEST(mock, query_requests_survive_storms_and_short_writes)
{
    aser_fault_plan plans[2] = {{.eagain_burst = 3, .eintr_burst = 2, .max_write = 2},
                                {.max_write = 3}};
    for (int k = 0; k < 2; k++) {
        mfx f = mfx_open();
        CHECK(aser_mock_set_faults(f.m, 0, &plans[k]) == 0);
        aser_sim_rule rule = {"*IDN?", "MOCK,1"};
        aser_sim *s;
        CHECK(aser_sim_start(f.dev, &(aser_sim_opts){.rules = &rule, .nrules = 1}, &s) == 0);
        for (int i = 0; i < 5; i++) {
            ut_rec r = {0};
            CHECK(aser_query(f.host, "*IDN?\n", 6, &(aser_query_opts){.timeout_ms = 2000},
                             ut_on_read, &r) > 0);
            ut_run_until(f.loop, &r.calls, 3000);
            CHECK_EQ(r.status, 0);
            CHECK_EQ(r.len, 6);
            CHECK_MEM(r.data, "MOCK,1", 6);
        }
        aser_sim_stop(s);
        mfx_close(&f);
    }
}

TEST(mock, eio_is_a_disconnect)
{
    mfx f = mfx_open();
    CHECK(aser_mock_set_faults(f.m, 0, &(aser_fault_plan){.eio_once = true}) == 0);
    ut_rec r = {0};
    CHECK(aser_read(f.host, 10, 2000, ut_on_read, &r) > 0);
    CHECK(aser_write(f.dev, "x", 1, NULL, NULL) >= 0);
    ut_run_until(f.loop, &r.calls, 2000);
    CHECK_EQ(r.status, ASER_EDISCONNECTED);
    mfx_close(&f);
}

TEST(mock, disconnect_after_n_bytes_reaches_both_ends)
{
    mfx f = mfx_open();
    aser_fault_plan plan = {.disconnect_after = 100, .max_read = 10};
    CHECK(aser_mock_set_faults(f.m, 1, &plan) == 0);
    static uint8_t buf[1000];
    ut_rec hr = {0}, dr = {0};
    CHECK(aser_on_data(f.host, ut_on_read, &hr) == 0);
    CHECK(aser_read_exactly(f.dev, 500, 2000, ut_on_read, &dr) > 0);
    CHECK(aser_write(f.host, buf, 1000, NULL, NULL) >= 0);
    aser_write(f.dev, buf, 100, NULL, NULL); /* may already find the cable pulled */
    ut_run_until(f.loop, &dr.calls, 2000);
    while (hr.status == 0 && hr.calls < 20) ut_run_for(f.loop, 5);
    CHECK_EQ(dr.status, ASER_EDISCONNECTED);
    CHECK_EQ(hr.status, ASER_EDISCONNECTED);
    CHECK(aser_mock_bytes(f.m, 1) >= 100);
    mfx_close(&f);
}

TEST(mock, latency_delays_delivery)
{
    mfx f = mfx_open();
    CHECK(aser_mock_set_faults(f.m, 0, &(aser_fault_plan){.latency_ms = 80}) == 0);
    ut_rec r = {0};
    uint64_t t0 = at_now_ms();
    CHECK(aser_write(f.dev, "late\n", 5, NULL, NULL) >= 0);
    CHECK(aser_read_until(f.host, "\n", 1, 0, 2000, ut_on_read, &r) > 0);
    ut_run_until(f.loop, &r.calls, 2000);
    CHECK_EQ(r.status, 0);
    CHECK(at_now_ms() - t0 >= 79);
    mfx_close(&f);
}

TEST(mock, bandwidth_cap_paces_delivery)
{
    mfx f = mfx_open();
    CHECK(aser_mock_set_faults(f.m, 0, &(aser_fault_plan){.bytes_per_sec = 50000}) == 0);
    uint64_t t0 = at_now_ms();
    transfer(&f, f.dev, f.host, 10000, 3000);
    uint64_t ms = at_now_ms() - t0;
    at_log("10000 bytes at 50000 B/s took %llu ms", (unsigned long long)ms);
    CHECK(ms >= 150); /* ~200 ms at the cap, never much faster */
    mfx_close(&f);
}

TEST(mock, reconnect_after_replug)
{
    mfx f = mfx_open();
    aser_reconnect_opts o = {
        .enabled = true, .min_delay_ms = 5, .max_delay_ms = 20, .wait_while_down = true};
    CHECK(aser_set_reconnect(f.host, &o) == 0);
    ut_rec r = {0};
    CHECK(aser_read(f.host, 10, 3000, ut_on_read, &r) > 0);
    aser_mock_unplug(f.m);
    ut_run_until(f.loop, &r.calls, 2000);
    CHECK_EQ(r.status, ASER_EDISCONNECTED);
    aser_close(f.dev); /* the device side goes away with the cable */
    ut_run_for(f.loop, 30);
    CHECK(aser_mock_replug(f.m) == 0);
    CHECK(aser_mock_open_peer(f.m, NULL, &f.dev) == 0);
    ut_rec r2 = {0};
    CHECK(aser_read(f.host, 10, 3000, ut_on_read, &r2) > 0);
    CHECK(aser_write(f.dev, "again", 5, NULL, NULL) >= 0);
    ut_run_until(f.loop, &r2.calls, 3000);
    CHECK_EQ(r2.status, 0);
    CHECK_MEM(r2.data, "again", 5);
    mfx_close(&f);
}

/* ---- seeded randomized faults --------------------------------------------------- */

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

typedef struct fuzz_rd {
    int calls;
    int status;
    bool delimited; /* read_until: the delimiter is consumed, not delivered */
} fuzz_rd;

typedef struct fuzz_state {
    uint8_t *expect; /* the stream the device sent */
    size_t sent, got;
    int reads_started, reads_done, bad;
} fuzz_state;

static fuzz_state fs;

static void on_fuzz_read(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    (void)p;
    fuzz_rd *r = ctx;
    r->calls++;
    r->status = status;
    fs.reads_done++;
    if (r->calls != 1) fs.bad++;
    if (status == 0) {
        size_t used = n + (r->delimited ? 1 : 0);
        if (fs.got + used > fs.sent || memcmp(d, fs.expect + fs.got, n) != 0) fs.bad++;
        if (r->delimited && fs.got + used <= fs.sent && fs.expect[fs.got + n] != 0x42) fs.bad++;
        fs.got += used;
    }
}

/* Each read's timeout: most reads that wait for more than the device sent
 * end by it, one step at a time, so it sets the test's length (12 seeds x
 * 300 steps); what is checked is exactly-once and in order, not timing. */
#define FUZZ_READ_MS 10

static void fuzz_run(uint32_t seed, bool with_disconnect)
{
    uint32_t s = seed * 2654435761u + 1;
    mfx f = mfx_open();
    aser_fault_plan plan = {.eagain_burst = rnd(&s) % 4,
                            .eintr_burst = rnd(&s) % 3,
                            .max_read = rnd(&s) % 50,
                            .max_write = rnd(&s) % 50,
                            .latency_ms = rnd(&s) % 3};
    if (with_disconnect) plan.disconnect_after = 500 + rnd(&s) % 4000;
    CHECK(aser_mock_set_faults(f.m, 0, &plan) == 0);
    CHECK(aser_mock_set_faults(f.m, 1, &plan) == 0);
    memset(&fs, 0, sizeof fs);
    fs.expect = malloc(1 << 16);
    fuzz_rd *rds = calloc(400, sizeof *rds);
    int nrd = 0;
    for (int step = 0; step < 300 && fs.sent < (1 << 15); step++) {
        size_t n = 1 + rnd(&s) % 200;
        for (size_t i = 0; i < n; i++) fs.expect[fs.sent + i] = (uint8_t)rnd(&s);
        if (aser_write(f.dev, fs.expect + fs.sent, n, NULL, NULL) >= 0) fs.sent += n;
        fuzz_rd *r = &rds[nrd];
        int kind = (int)(rnd(&s) % 3), id;
        if (kind == 0)
            id = aser_read(f.host, 1 + rnd(&s) % 300, FUZZ_READ_MS, on_fuzz_read, r);
        else if (kind == 1)
            id = aser_read_exactly(f.host, 1 + rnd(&s) % 100, FUZZ_READ_MS, on_fuzz_read, r);
        else {
            r->delimited = true;
            id = aser_read_until(f.host, "\x42", 1, 4096, FUZZ_READ_MS, on_fuzz_read, r);
        }
        if (id > 0) {
            nrd++;
            fs.reads_started++;
            if (rnd(&s) % 10 == 0) aser_cancel(f.host, id);
        }
        while (fs.reads_done < fs.reads_started) ut_run_for(f.loop, 1);
    }
    CHECKM(fs.bad == 0, "seed %u: %d bad deliveries", seed, fs.bad);
    CHECK_EQ(fs.reads_done, fs.reads_started);
    for (int i = 0; i < nrd; i++) CHECK_EQ(rds[i].calls, 1);
    free(rds);
    free(fs.expect);
    mfx_close(&f);
}

TEST_T(mock, randomized_faults_exactly_once_in_order, 60)
{
    for (uint32_t seed = 1; seed <= 12; seed++) fuzz_run(seed, false);
}

TEST_T(mock, randomized_faults_with_disconnects, 60)
{
    for (uint32_t seed = 100; seed <= 112; seed++) fuzz_run(seed, true);
}

/* ---- line events ----------------------------------------------------------------- */

typedef struct lrec {
    int calls;
    unsigned lines, changed, errors;
} lrec;

static void on_lines(aser_port *p, unsigned lines, unsigned changed, unsigned errors, void *ctx)
{
    (void)p;
    lrec *r = ctx;
    r->calls++;
    r->lines = lines;
    r->changed = changed;
    r->errors = errors;
}

TEST(mock, line_changes_arrive_as_events)
{
    mfx f = mfx_open();
    lrec r = {0};
    CHECK(aser_on_lines(f.host, 0, on_lines, &r) == 0);
    ut_run_for(f.loop, 20);
    CHECK_EQ(r.calls, 0); /* the state when set is the baseline */
    CHECK(aser_set_lines(f.dev, ASER_LINE_RTS, ASER_LINE_RTS) == 0);
    CHECK_EQ(r.calls, 0); /* never inside the call */
    ut_run_until(f.loop, &r.calls, 1000);
    CHECK_EQ(r.lines, ASER_LINE_CTS);
    CHECK_EQ(r.changed, ASER_LINE_CTS);
    CHECK(aser_set_lines(f.dev, ASER_LINE_DTR | ASER_LINE_RTS, ASER_LINE_DTR) == 0);
    while (r.calls < 2) ut_run_for(f.loop, 5);
    CHECK_EQ(r.lines, ASER_LINE_DSR | ASER_LINE_CD);
    CHECK_EQ(r.changed, ASER_LINE_CTS | ASER_LINE_DSR | ASER_LINE_CD);
    CHECK_EQ(r.errors, 0);
    CHECK(aser_on_lines(f.host, 0, NULL, NULL) == 0);
    CHECK(aser_set_lines(f.dev, ASER_LINE_RTS, ASER_LINE_RTS) == 0);
    ut_run_for(f.loop, 30);
    CHECK_EQ(r.calls, 2); /* stopped */
    mfx_close(&f);
}

TEST(mock, line_changes_cross_an_rfc2217_server)
{
    mfx f = mfx_open(); /* host end served over RFC 2217; the test is the device */
    aser_err err;
    aser_server *srv;
    aser_server_opts so = {.listen = "127.0.0.1:0", .mode = ASER_SERVE_RFC2217};
    CHECK(aser_server_start(f.host, &so, &srv, &err) == 0);
    char url[64];
    snprintf(url, sizeof url, "rfc2217://127.0.0.1:%d", aser_server_port(srv));
    aser_port *client;
    CHECKM(aser_open(f.loop, url, NULL, &client, &err) == 0, "%s", err.msg);
    ut_rec rd = {0};
    CHECK(aser_write(client, "hi", 2, NULL, NULL) >= 0); /* the link works */
    CHECK(aser_read_exactly(f.dev, 2, 3000, ut_on_read, &rd) > 0);
    ut_run_until(f.loop, &rd.calls, 3000);
    CHECK_EQ(rd.status, 0);
    lrec r = {0};
    CHECK(aser_on_lines(client, 0, on_lines, &r) == 0);
    ut_run_for(f.loop, 150);
    int base = r.calls; /* the server may still be sending its first state */
    CHECK(aser_set_lines(f.dev, ASER_LINE_RTS | ASER_LINE_DTR, ASER_LINE_RTS | ASER_LINE_DTR) == 0);
    uint64_t end = at_now_ms() + 3000;
    while (!(r.calls > base && (r.lines & ASER_LINE_CTS) && (r.lines & ASER_LINE_DSR)) &&
           at_now_ms() < end)
        ut_run_for(f.loop, 10);
    CHECK(r.lines & ASER_LINE_CTS);
    CHECK(r.lines & ASER_LINE_DSR);
    CHECK(r.lines & ASER_LINE_CD);
    aser_close(client);
    aser_server_stop(srv);
    mfx_close(&f);
}

/* ---- break: a timer, never a sleep ------------------------------------------------ */

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

typedef struct brk_seen {
    int calls;
    unsigned errors;
} brk_seen;

static void on_brk_lines(aser_port *p, unsigned lines, unsigned changed, unsigned errors, void *ctx)
{
    (void)p, (void)lines, (void)changed;
    brk_seen *b = ctx;
    b->calls++;
    b->errors |= errors;
}

TEST(mock, break_returns_at_once_and_holds_writes_until_it_ends)
{
    mfx f = mfx_open();
    brk_seen seen = {0};
    CHECK(aser_on_lines(f.dev, 0, on_brk_lines, &seen) == 0);
    ut_rec r = {0};
    CHECK(aser_on_data(f.dev, ut_on_read, &r) == 0);
    uint64_t t0 = mono_us();
    CHECK_EQ(aser_send_break(f.host, 200), 0);
    CHECKM(mono_us() - t0 < 20000, "aser_send_break took %llu us",
           (unsigned long long)(mono_us() - t0));
    CHECK_EQ(aser_send_break(f.host, 10), ASER_EBUSY); /* one break at a time */
    ut_rec w = {0};
    CHECK(aser_write(f.host, "after", 5, ut_on_done, &w) > 0);
    ut_run_until(f.loop, &seen.calls, 2000);
    CHECK(seen.errors & ASER_LINEERR_BREAK); /* the peer saw the break start */
    ut_run_for(f.loop, 100);
    CHECKM(r.len == 0 && w.calls == 0, "written during the break: %zu bytes", r.len);
    ut_run_until(f.loop, &w.calls, 2000);
    CHECK_EQ(w.status, 0);
    uint64_t took = mono_us() - t0;
    CHECKM(took >= 195000, "the break ended early: %llu us", (unsigned long long)took);
    while (r.len < 5) ut_loop_run_once(f.loop, 100);
    CHECK_MEM(r.data, "after", 5);
    CHECK_EQ(aser_send_break(f.host, 10), 0); /* over: another may start */
    aser_on_data(f.dev, NULL, NULL);
    aser_on_lines(f.dev, 0, NULL, NULL);
    mfx_close(&f);
}

TEST(mock, close_during_a_break_is_clean)
{
    mfx f = mfx_open();
    CHECK_EQ(aser_send_break(f.host, 5000), 0);
    ut_rec w = {0};
    CHECK(aser_write(f.host, "x", 1, ut_on_done, &w) > 0);
    uint64_t t0 = mono_us();
    aser_close(f.host);
    f.host = NULL;
    ut_run_until(f.loop, &w.calls, 2000);
    CHECK_EQ(w.status, ASER_ECLOSED);
    CHECK(mono_us() - t0 < 1000000);
    aser_close(f.dev);
    ut_run_for(f.loop, 5);
    CHECK(aser_mock_free(f.m) == 0);
    ut_loop_free(f.loop);
}
