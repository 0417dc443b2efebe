/* test-win-mock.c: ports on mock:// pairs under Wine, through the IOCP
 * loop's socket poller: read, read until, read exactly, write, query,
 * timeouts, cancel, close with operations pending (each callback exactly
 * once), 8 ports queried at once from one thread, a pulled cable. */
#include "aserial.h"
#include "aserial/testing.h"
#include "wtap.h"

#include <string.h>

static aser_loop *L;


/* The instrument: answers every line "X" with "<X>\n". */
typedef struct instr {
    aser_port *p;
    char line[256];
    size_t n;
} instr;

static void instr_data(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    instr *in = ctx;
    if (status < 0) return;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            char out[300];
            int k = snprintf(out, sizeof out, "<%.*s>\n", (int)in->n, in->line);
            aser_write(p, out, (size_t)k, NULL, NULL);
            in->n = 0;
        } else if (in->n < sizeof in->line) {
            in->line[in->n++] = (char)data[i];
        }
    }
}

static int open_pair(const char *name, aser_mock **m, aser_port **port, aser_port **peer)
{
    char url[64];
    snprintf(url, sizeof url, "mock://%s", name);
    if (aser_mock_new(L, name, m) != 0) return -1;
    aser_err err = {0};
    if (aser_open(L, url, NULL, port, &err) != 0) {
        wt_diag("open %s: %s", url, err.msg);
        return -1;
    }
    return aser_mock_open_peer(*m, NULL, peer);
}

static void test_basic(void)
{
    aser_mock *m;
    aser_port *p, *peer;
    wt_ok(open_pair("a", &m, &p, &peer) == 0, "mock://a and its peer open");

    res r = {0};
    aser_read_until(p, "\n", 1, 0, 2000, wt_on_read, &r);
    aser_write(peer, "hello\nworld", 11, NULL, NULL);
    WT_RUN_UNTIL(L, r.calls, 3000);
    wt_ok(r.calls == 1 && r.status >= 0 && strcmp(r.data, "hello") == 0,
          "read until a newline: \"%s\" (status %d)", r.data, r.status);

    res e = {0};
    aser_read_exactly(p, 5, 2000, wt_on_read, &e);
    WT_RUN_UNTIL(L, e.calls, 3000);
    wt_ok(e.calls == 1 && strcmp(e.data, "world") == 0, "read exactly 5 bytes: \"%s\"", e.data);

    res w = {0}, any = {0};
    aser_write(p, "ping", 4, wt_on_done, &w);
    aser_read(peer, 64, 2000, wt_on_read, &any);
    WT_RUN_UNTIL(L, w.calls && any.calls, 3000);
    wt_ok(w.calls == 1 && w.status == 0 && strcmp(any.data, "ping") == 0,
          "write reaches the peer (\"%s\")", any.data);

    res to = {0};
    uint64_t t0 = wt_now_ms();
    aser_read(p, 64, 80, wt_on_read, &to);
    WT_RUN_UNTIL(L, to.calls, 3000);
    uint64_t took = to.at - t0;
    wt_ok(to.calls == 1 && to.status == ASER_ETIMEDOUT && took >= 75 && took < 600,
          "a read on a silent port times out after 80 ms (%s after %llu ms)",
          aser_err_name(to.status), (unsigned long long)took);

    res c = {0};
    int id = aser_read(p, 64, 5000, wt_on_read, &c);
    aser_cancel(p, id);
    WT_RUN_UNTIL(L, c.calls, 2000);
    aser_loop_run_once(L, 50);
    wt_ok(c.calls == 1 && c.status == ASER_ECANCELED, "cancel completes the read once (%s)",
          aser_err_name(c.status));

    instr in = {.p = peer};
    aser_on_data(peer, instr_data, &in);
    res q = {0};
    aser_query_opts qo = {.timeout_ms = 2000};
    aser_query(p, "*IDN?\n", 6, &qo, wt_on_read, &q);
    WT_RUN_UNTIL(L, q.calls, 3000);
    wt_ok(q.calls == 1 && strcmp(q.data, "<*IDN?>") == 0, "query: \"%s\"", q.data);

    /* Close with operations pending: each completes exactly once. */
    res r1 = {0}, r2 = {0}, r3 = {0};
    aser_query_opts slow = {.timeout_ms = 5000};
    aser_on_data(peer, NULL, NULL);
    int ids = aser_query(p, "Q1\n", 3, &slow, wt_on_read, &r1) > 0;
    ids += aser_query(p, "Q2\n", 3, &slow, wt_on_read, &r2) > 0; /* queued behind Q1 */
    ids += aser_query(p, "Q3\n", 3, &slow, wt_on_read, &r3) > 0;
    aser_loop_run_once(L, 20);
    aser_close(p);
    WT_RUN_UNTIL(L, r1.calls && r2.calls && r3.calls, 2000);
    aser_loop_run_once(L, 100);
    wt_ok(ids == 3 && r1.calls == 1 && r2.calls == 1 && r3.calls == 1 &&
              r1.status == ASER_ECLOSED && r2.status == ASER_ECLOSED && r3.status == ASER_ECLOSED,
          "close with three queries pending (one on the wire): each completes once with "
          "ASER_ECLOSED "
          "(%d/%d/%d calls)",
          r1.calls, r2.calls, r3.calls);
    aser_close(peer);
    aser_loop_run_once(L, 10);
    aser_mock_free(m);
}

static void test_many(void)
{
    enum {
        N = 8
    };
    aser_mock *m[N];
    aser_port *p[N], *peer[N];
    instr in[N];
    res q[N];
    memset(q, 0, sizeof q);
    int opened = 0;
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof name, "m%d", i);
        if (open_pair(name, &m[i], &p[i], &peer[i]) != 0) break;
        in[i] = (instr){.p = peer[i]};
        aser_on_data(peer[i], instr_data, &in[i]);
        opened++;
    }
    aser_query_opts qo = {.timeout_ms = 3000};
    for (int i = 0; i < opened; i++) {
        char req[16];
        int k = snprintf(req, sizeof req, "DEV%d\n", i);
        aser_query(p[i], req, (size_t)k, &qo, wt_on_read, &q[i]);
    }
    int done = 0;
    uint64_t end = wt_now_ms() + 4000;
    while (done < opened && wt_now_ms() < end) {
        aser_loop_run_once(L, 20);
        done = 0;
        for (int i = 0; i < opened; i++) done += q[i].calls;
    }
    int right = 0;
    for (int i = 0; i < opened; i++) {
        char want[16];
        snprintf(want, sizeof want, "<DEV%d>", i);
        right += q[i].calls == 1 && strcmp(q[i].data, want) == 0;
    }
    wt_ok(opened == N && right == N, "%d ports queried at once from one thread: %d right replies",
          N, right);
    for (int i = 0; i < opened; i++) {
        aser_close(p[i]);
        aser_close(peer[i]);
    }
    aser_loop_run_once(L, 10);
    for (int i = 0; i < opened; i++) aser_mock_free(m[i]);
}

static void test_unplug(void)
{
    aser_mock *m;
    aser_port *p, *peer;
    if (open_pair("u", &m, &p, &peer) != 0) {
        wt_ok(0, "pulled cable: pair opens");
        return;
    }
    res s = {0};
    aser_on_data(p, wt_on_read, &s);
    aser_loop_run_once(L, 20);
    aser_mock_unplug(m);
    WT_RUN_UNTIL(L, s.calls, 3000);
    uint64_t cpu0 = wt_cpu_ms();
    uint64_t end = wt_now_ms() + 500;
    while (wt_now_ms() < end) aser_loop_run_once(L, 20);
    uint64_t cpu = wt_cpu_ms() - cpu0;
    wt_ok(s.calls == 1 && s.status == ASER_EDISCONNECTED,
          "a pulled cable ends the stream once with ASER_EDISCONNECTED (%d calls, %s)", s.calls,
          aser_err_name(s.status));
    wt_ok(cpu < 150, "the CPU is quiet afterwards (%llu ms CPU in 500 ms)",
          (unsigned long long)cpu);
    aser_close(p);
    aser_close(peer);
    aser_loop_run_once(L, 10);
    aser_mock_free(m);
}

/* Bytes through a pair as fast as the loop moves them: the poller's
 * round trip per readiness is the cost this shows. */
static size_t got_bytes;
static int got_end;
static void count_data(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    (void)p;
    (void)data;
    (void)ctx;
    if (status < 0)
        got_end = 1;
    else
        got_bytes += len;
}

static void test_throughput(void)
{
    aser_mock *m;
    aser_port *p, *peer;
    if (open_pair("t", &m, &p, &peer) != 0) {
        wt_ok(0, "throughput: pair opens");
        return;
    }
    enum {
        TOTAL = 4 << 20,
        CHUNK = 64 << 10
    };
    static uint8_t chunk[CHUNK];
    aser_on_data(p, count_data, NULL);
    uint64_t t0 = wt_now_ms();
    for (size_t off = 0; off < TOTAL; off += CHUNK) aser_write(peer, chunk, CHUNK, NULL, NULL);
    WT_RUN_UNTIL(L, got_bytes >= TOTAL, 30000);
    uint64_t ms = wt_now_ms() - t0;
    wt_ok(got_bytes == TOTAL, "4 MiB through a mock pair in %llu ms (%.1f MB/s)",
          (unsigned long long)ms, ms ? TOTAL / 1e3 / (double)ms : 0.0);
    aser_close(p);
    aser_close(peer);
    aser_loop_run_once(L, 10);
    aser_mock_free(m);
}

/* Ports opened and closed while bytes are in flight, many times: watches
 * closed with readiness packets still queued must not be touched after. */
static void test_churn(void)
{
    int rounds = 0;
    for (int i = 0; i < 200; i++) {
        aser_mock *m;
        aser_port *p, *peer;
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        if (open_pair(name, &m, &p, &peer) != 0) break;
        res r = {0};
        aser_read(p, 16, 1000, wt_on_read, &r);
        aser_write(peer, "data", 4, NULL, NULL);
        aser_write(p, "back", 4, NULL, NULL);
        if (i % 2) aser_loop_run_once(L, 0);
        aser_close(p);
        aser_close(peer);
        aser_loop_run_once(L, 0);
        WT_RUN_UNTIL(L, r.calls, 1000);
        aser_mock_free(m);
        rounds += r.calls == 1;
    }
    wt_ok(rounds == 200,
          "200 pairs opened and closed with bytes in flight, each read completed once "
          "(%d)",
          rounds);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (aser_loop_new(&L) != 0) {
        printf("Bail out! aser_loop_new failed\n");
        return 1;
    }
    test_basic();
    test_many();
    test_unplug();
    test_throughput();
    test_churn();
    int rc = aser_loop_free(L);
    wt_ok(rc == 0, "the loop frees cleanly (%s)", aser_err_name(rc));
    return wt_done();
}
