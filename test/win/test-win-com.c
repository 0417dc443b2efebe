/* test-win-com.c: COM ports through the library under Wine (issue 11).
 * run.sh maps COM5..COM14 (WINEPREFIX/dosdevices) to one end of Linux
 * `aserial pair`s; on the other ends:
 *   COM5         the Linux `aserial sim` (*IDN? -> ACME,WINSIM,11): the
 *                blocking API
 *   COM6..COM13  com-peer.py: a line X is answered <X>; HELLO with
 *                "hello\nworld"; QUIET... with nothing; BAUD? with the
 *                speed of the COM side's termios, as Linux sees it;
 *                SOURCE/SINK N: N pattern bytes sent / checked
 *   COM14        com-peer.py too; UNPLUG makes it kill that port's pair
 *                (the cable pulled while a read is pending)
 * Usage: test-win-com.exe [GROUP...] with GROUP ops, bulk, full, eight, unplug, sync, discovery
 * (default: all). Prints TAP. */
#include "aserial.h"
#include "wtap.h"

#include <string.h>

static aser_loop *L;


static aser_port *open_com(const char *name, const char *cfgstr)
{
    aser_config cfg = ASER_CONFIG_DEFAULT;
    aser_err err = {0};
    aser_port *p = NULL;
    if (aser_config_parse(&cfg, cfgstr ? cfgstr : "115200,8N1", &err) != 0) {
        wt_diag("config %s: %s", cfgstr, err.msg);
        return NULL;
    }
    if (aser_open(L, name, &cfg, &p, &err) != 0) {
        wt_diag("open %s: %s", name, err.msg);
        return NULL;
    }
    return p;
}

static void query(aser_port *p, const char *req, res *r, unsigned ms)
{
    aser_query_opts qo = {.timeout_ms = ms};
    *r = (res){0};
    aser_query(p, req, strlen(req), &qo, wt_on_read, r);
    WT_RUN_UNTIL(L, r->calls, ms + 1000);
}

/* The port operations suite on COM6. */
static void test_ops(void)
{
    aser_port *p = open_com("COM6", "57600,8N1");
    wt_ok(p != NULL, "COM6 opens through aser_open (57600 8N1)");
    if (!p) return;
    wt_ok(strcmp(aser_port_path(p), "COM6") == 0, "its path is the port name (%s)",
          aser_port_path(p));

    res b = {0};
    query(p, "BAUD?\n", &b, 3000);
    wt_ok(b.calls == 1 && strcmp(b.data, "<57600>") == 0,
          "57600 set from Windows is the speed of the pseudo-terminal's termios (%s)", b.data);
    aser_config cfg;
    aser_port_config(p, &cfg);
    cfg.baud = 9600;
    aser_err err = {0};
    int rc = aser_configure(p, &cfg, &err);
    query(p, "BAUD?\n", &b, 3000);
    wt_ok(rc == 0 && b.calls == 1 && strcmp(b.data, "<9600>") == 0,
          "aser_configure to 9600: the termios says %s (%s%s)", b.data, aser_err_name(rc),
          rc ? err.msg : "");

    /* read until, then read exactly what followed (one read at a time:
     * a second while one is pending is ASER_EBUSY) */
    res r = {0}, e = {0};
    aser_write(p, "HELLO\n", 6, NULL, NULL);
    int id1 = aser_read_until(p, "\n", 1, 64, 3000, wt_on_read, &r);
    int busy = aser_read_exactly(p, 5, 3000, wt_on_read, &e);
    wt_ok(id1 > 0 && busy == ASER_EBUSY, "a second read while one is pending is ASER_EBUSY (%s)",
          aser_err_name(busy));
    WT_RUN_UNTIL(L, r.calls, 4000);
    aser_read_exactly(p, 5, 3000, wt_on_read, &e);
    WT_RUN_UNTIL(L, e.calls, 4000);
    wt_ok(r.calls == 1 && r.status >= 0 && strcmp(r.data, "hello") == 0,
          "read until a newline: \"%s\" (%s)", r.data, aser_err_name(r.status));
    wt_ok(e.calls == 1 && e.status >= 0 && strcmp(e.data, "world") == 0,
          "read exactly 5 bytes: \"%s\" (%s)", e.data, aser_err_name(e.status));

    /* write: completes once, and the peer got it (its answer proves it) */
    res w = {0}, any = {0};
    aser_write(p, "written\n", 8, wt_on_done, &w);
    aser_read_until(p, "\n", 1, 64, 3000, wt_on_read, &any);
    WT_RUN_UNTIL(L, w.calls && any.calls, 4000);
    wt_ok(w.calls == 1 && w.status == 0 && strcmp(any.data, "<written>") == 0,
          "a write completes once and reaches the far end (%s, answer \"%s\")",
          aser_err_name(w.status), any.data);

    /* a plain read returns what is there */
    res pr = {0};
    aser_write(p, "X\n", 2, NULL, NULL);
    aser_read(p, 64, 3000, wt_on_read, &pr);
    WT_RUN_UNTIL(L, pr.calls, 4000);
    wt_ok(pr.calls == 1 && pr.status == 0 && strncmp(pr.data, "<X>", 3) == 0,
          "aser_read returns the bytes that came (\"%.3s\", %d)", pr.data, pr.status);
    if (pr.len < 4) { /* the newline came separately */
        res rest = {0};
        aser_read(p, 64, 500, wt_on_read, &rest);
        WT_RUN_UNTIL(L, rest.calls, 1500);
    }

    res q = {0};
    query(p, "*IDN?\n", &q, 3000);
    wt_ok(q.calls == 1 && strcmp(q.data, "<*IDN?>") == 0, "query: \"%s\"", q.data);

    /* timeouts: a silent port (request with no answer) */
    res to = {0};
    uint64_t t0 = wt_now_ms();
    aser_read(p, 64, 150, wt_on_read, &to);
    WT_RUN_UNTIL(L, to.calls, 3000);
    uint64_t took = to.at - t0;
    wt_ok(to.calls == 1 && to.status == ASER_ETIMEDOUT && took >= 140 && took < 1000,
          "a read on a silent COM port times out after 150 ms (%s after %llu ms)",
          aser_err_name(to.status), (unsigned long long)took);
    res qt = {0};
    t0 = wt_now_ms();
    query(p, "QUIET-1\n", &qt, 200);
    took = qt.at - t0;
    wt_ok(qt.calls == 1 && qt.status == ASER_ETIMEDOUT && took >= 190 && took < 1200,
          "a query nobody answers times out after 200 ms (%s after %llu ms)",
          aser_err_name(qt.status), (unsigned long long)took);

    /* cancel */
    res c = {0};
    int id = aser_read(p, 64, 10000, wt_on_read, &c);
    aser_loop_run_once(L, 20);
    int crc = aser_cancel(p, id);
    WT_RUN_UNTIL(L, c.calls, 2000);
    aser_loop_run_once(L, 100);
    wt_ok(crc == 0 && c.calls == 1 && c.status == ASER_ECANCELED,
          "cancel completes a pending read once with ASER_ECANCELED (%s, %d calls)",
          aser_err_name(c.status), c.calls);
    /* the port still works after the cancel */
    query(p, "after-cancel\n", &q, 3000);
    wt_ok(q.calls == 1 && strcmp(q.data, "<after-cancel>") == 0, "a query after the cancel: \"%s\"",
          q.data);

    /* an idle open port costs nothing: no polling (completions only) */
    uint64_t cpu0 = wt_cpu_ms(), idle_end = wt_now_ms() + 500;
    while (wt_now_ms() < idle_end) aser_loop_run_once(L, 50);
    uint64_t idle_cpu = wt_cpu_ms() - cpu0;
    wt_ok(idle_cpu < 60, "an idle open COM port: %llu ms CPU in 500 ms",
          (unsigned long long)idle_cpu);

    /* close with operations pending: each completes exactly once */
    res r1 = {0}, r2 = {0}, r3 = {0}, rd = {0};
    aser_query_opts slow = {.timeout_ms = 8000};
    int ids = aser_query(p, "QUIET-2\n", 8, &slow, wt_on_read, &r1) > 0;
    ids += aser_query(p, "QUIET-3\n", 8, &slow, wt_on_read, &r2) > 0; /* queued behind */
    ids += aser_query(p, "QUIET-4\n", 8, &slow, wt_on_read, &r3) > 0;
    aser_loop_run_once(L, 50);
    aser_close(p);
    WT_RUN_UNTIL(L, r1.calls && r2.calls && r3.calls, 3000);
    aser_loop_run_once(L, 200);
    wt_ok(ids == 3 && r1.calls == 1 && r2.calls == 1 && r3.calls == 1 &&
              r1.status == ASER_ECLOSED && r2.status == ASER_ECLOSED && r3.status == ASER_ECLOSED,
          "close with three queries pending (one on the wire): each completes once with "
          "ASER_ECLOSED (%d/%d/%d calls)",
          r1.calls, r2.calls, r3.calls);
    (void)rd;

    /* reopen at once: the port was really let go */
    p = open_com("COM6", NULL);
    if (p) query(p, "again\n", &q, 3000);
    wt_ok(p && q.calls == 1 && strcmp(q.data, "<again>") == 0,
          "COM6 opens again right after the close and answers (\"%s\")", p ? q.data : "");
    /* a second opener while it is open: busy, naming the fix */
    aser_port *p2 = NULL;
    aser_err e2 = {0};
    int brc = aser_open(L, "COM6", NULL, &p2, &e2);
    wt_ok(brc == ASER_EBUSY, "a second aser_open of COM6 is ASER_EBUSY (%s: %s)",
          aser_err_name(brc), e2.msg);
    if (brc == 0) aser_close(p2);
    if (p) aser_close(p);
    aser_loop_run_once(L, 50);

    /* usb: with no such adapter (Wine lists no USB port): ENOENT naming it */
    aser_port *up = NULL;
    aser_err ue = {0};
    int urc = aser_open(L, "usb:0403:6001", NULL, &up, &ue);
    wt_ok(urc == ASER_ENOENT && strstr(ue.msg, "usb:0403:6001"),
          "usb:0403:6001 with no such adapter: ASER_ENOENT: %s", ue.msg);
    if (urc == 0) aser_close(up);

    /* a port that does not exist */
    aser_port *nx = NULL;
    aser_err ne = {0};
    int nrc = aser_open(L, "COM77", NULL, &nx, &ne);
    wt_ok(nrc == ASER_ENOENT, "COM77 (not mapped) is ASER_ENOENT: %s", ne.msg);
    if (nrc == 0) aser_close(nx);
}

/* 50000 bytes each way at once on COM7 (com-peer.py's SOURCE and SINK):
 * a big write draining while reads complete is where Wine hands out
 * empty read completions (test/win/com/README.md), which must not be
 * taken for the end. */
enum {
    BULK = 50000
};
typedef struct bulk {
    size_t got;
    long bad; /* first wrong byte, or -1 */
    int end;  /* the stream ended (status < 0) */
    char tail[64];
    size_t ntail;
} bulk;

static void bulk_data(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    (void)p;
    bulk *b = ctx;
    if (status < 0) {
        b->end = status;
        return;
    }
    for (size_t i = 0; i < len; i++, b->got++) {
        if (b->got < BULK) {
            if (b->bad < 0 && data[i] != b->got % 251) b->bad = (long)b->got;
        } else if (b->ntail < sizeof b->tail - 1) {
            b->tail[b->ntail++] = (char)data[i];
        }
    }
}

static void test_bulk(void)
{
    aser_port *p = open_com("COM7", NULL);
    if (!p) {
        wt_ok(0, "COM7 opens for the bulk test");
        return;
    }
    static uint8_t out[BULK];
    for (size_t i = 0; i < BULK; i++) out[i] = (uint8_t)(i % 251);
    bulk b = {.bad = -1};
    res w = {0};
    aser_on_data(p, bulk_data, &b);
    char head[64];
    int k = snprintf(head, sizeof head, "SOURCE %d\nSINK %d\n", BULK, BULK);
    uint64_t t0 = wt_now_ms();
    aser_write(p, head, (size_t)k, NULL, NULL);
    aser_write(p, out, BULK, wt_on_done, &w);
    WT_RUN_UNTIL(L, b.end || (b.got >= BULK && memchr(b.tail, '\n', b.ntail)), 30000);
    uint64_t ms = wt_now_ms() - t0;
    b.tail[b.ntail] = 0;
    char want[64];
    snprintf(want, sizeof want, "<sunk %d ok>\n", BULK);
    wt_ok(b.end == 0 && b.got >= BULK && b.bad < 0 && w.calls == 1 && w.status == 0 &&
              strcmp(b.tail, want) == 0,
          "%d bytes each way at once on COM7 in %llu ms: received %zu (first bad %ld), the far "
          "end says \"%.*s\" (%s)",
          BULK, (unsigned long long)ms, b.got, b.bad, (int)strcspn(b.tail, "\n"), b.tail,
          aser_err_name(b.end));
    if (b.end) wt_diag("COM7: %s", aser_port_errmsg(p));
    aser_close(p);
    aser_loop_run_once(L, 50);
}

/* The port's buffer full (read_buffer 64) while 1000 bytes come: com.c
 * holds what the port had no room for and hands it over as reads make
 * room, nothing lost or reordered. */
static void test_full(void)
{
    aser_port *p = open_com("COM8", "115200,8N1,buffer=64");
    if (!p) {
        wt_ok(0, "COM8 opens with a 64-byte read buffer");
        return;
    }
    aser_write(p, "SOURCE 1000\n", 12, NULL, NULL);
    uint64_t end = wt_now_ms() + 300; /* nobody reads meanwhile */
    while (wt_now_ms() < end) aser_loop_run_once(L, 20);
    size_t got = 0;
    long bad = -1;
    int status = 0;
    while (got < 1000 && status == 0) {
        res r = {0};
        int rc = aser_read(p, 64, 3000, wt_on_read, &r);
        if (rc < 0) {
            status = rc;
            break;
        }
        WT_RUN_UNTIL(L, r.calls, 4000);
        status = r.calls ? r.status : ASER_ETIMEDOUT;
        for (size_t i = 0; status == 0 && i < r.len; i++, got++)
            if (bad < 0 && (uint8_t)r.data[i] != got % 251) bad = (long)got;
    }
    wt_ok(got == 1000 && bad < 0 && status == 0,
          "1000 bytes into a 64-byte read buffer nobody read for 300 ms: all %zu read in order "
          "(first bad %ld, %s)",
          got, bad, aser_err_name(status));
    aser_close(p);
    aser_loop_run_once(L, 50);
}

/* 8 COM ports queried at once from one thread. */
static void test_eight(void)
{
    enum {
        N = 8
    };
    aser_port *p[N] = {0};
    res q[N];
    memset(q, 0, sizeof q);
    int opened = 0;
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof name, "COM%d", 6 + i);
        p[i] = open_com(name, NULL);
        opened += p[i] != NULL;
    }
    aser_query_opts qo = {.timeout_ms = 5000};
    uint64_t t0 = wt_now_ms();
    for (int i = 0; i < N; i++) {
        if (!p[i]) continue;
        char req[16];
        int k = snprintf(req, sizeof req, "DEV%d\n", 6 + i);
        aser_query(p[i], req, (size_t)k, &qo, wt_on_read, &q[i]);
    }
    int done = 0;
    uint64_t end = wt_now_ms() + 6000;
    while (done < opened && wt_now_ms() < end) {
        aser_loop_run_once(L, 20);
        done = 0;
        for (int i = 0; i < N; i++) done += q[i].calls;
    }
    uint64_t ms = wt_now_ms() - t0;
    int right = 0;
    for (int i = 0; i < N; i++) {
        char want[16];
        snprintf(want, sizeof want, "<DEV%d>", 6 + i);
        right += q[i].calls == 1 && strcmp(q[i].data, want) == 0;
        if (p[i] && !(q[i].calls == 1 && strcmp(q[i].data, want) == 0))
            wt_diag("COM%d: %d calls, %s, \"%s\"", 6 + i, q[i].calls, aser_err_name(q[i].status),
                    q[i].data);
    }
    wt_ok(opened == N && right == N,
          "8 COM ports (COM6..COM13) queried at once from one thread: %d right replies in "
          "%llu ms",
          right, (unsigned long long)ms);
    for (int i = 0; i < N; i++)
        if (p[i]) aser_close(p[i]);
    aser_loop_run_once(L, 50);
}

/* The cable pulled (the Linux pair killed) while a read is pending. */
static void test_unplug(void)
{
    aser_port *p = open_com("COM14", NULL);
    wt_ok(p != NULL, "COM14 opens");
    if (!p) return;
    res q = {0};
    query(p, "before\n", &q, 3000);
    res rd = {0}, st = {0};
    aser_on_data(p, wt_on_read, &st);
    aser_loop_run_once(L, 20);
    aser_write(p, "UNPLUG\n", 7, NULL, NULL);
    WT_RUN_UNTIL(L, st.calls, 5000);
    /* count everything that comes afterwards, for a while */
    uint64_t cpu0 = wt_cpu_ms();
    uint64_t end = wt_now_ms() + 1000;
    while (wt_now_ms() < end) aser_loop_run_once(L, 20);
    uint64_t cpu = wt_cpu_ms() - cpu0;
    wt_ok(q.calls == 1 && strcmp(q.data, "<before>") == 0 && st.calls == 1 &&
              st.status == ASER_EDISCONNECTED,
          "the pair closed mid-read: the stream ends once with ASER_EDISCONNECTED (%d calls, "
          "%s): %s",
          st.calls, aser_err_name(st.status), aser_port_errmsg(p));
    wt_ok(cpu < 150, "the CPU is quiet afterwards (%llu ms CPU in 1000 ms)",
          (unsigned long long)cpu);
    int rrc = aser_read(p, 16, 500, wt_on_read, &rd);
    aser_loop_run_once(L, 50);
    wt_ok(rrc == ASER_EDISCONNECTED && rd.calls == 0 && st.calls == 1,
          "a read after it is refused at once with ASER_EDISCONNECTED (%s), no callback",
          aser_err_name(rrc));
    aser_close(p);
    aser_loop_run_once(L, 50);
}

/* The blocking API on COM5 (the Linux aserial sim), opened and closed
 * many times: each close frees its private loop with the cancelled read's
 * completion queued (aser_loop_free runs it): no handle may leak. */
/* A fresh handle's value: Wine (and Windows) hand out the lowest free
 * slot, so a value that climbs across rounds means handles leak (a
 * private loop's completion port never closed). GetProcessHandleCount is
 * asked too, where it answers. */
static uintptr_t probe_handle(void)
{
    HANDLE e = CreateEventA(NULL, FALSE, FALSE, NULL);
    CloseHandle(e);
    return (uintptr_t)e;
}

static void test_sync(void)
{
    DWORD c0 = 0, c1 = 0;
    uintptr_t v0 = 0, v1 = 0;
    int good = 0, rounds = 20;
    char first[64] = "";
    for (int i = 0; i < rounds; i++) {
        if (i == 1) {
            v0 = probe_handle();
            GetProcessHandleCount(GetCurrentProcess(), &c0);
        }
        aser_port *p = NULL;
        aser_err err = {0};
        int rc = aser_open(NULL, "COM5", NULL, &p, &err);
        if (rc != 0) {
            wt_diag("round %d: open: %s", i, err.msg);
            break;
        }
        char buf[64];
        aser_query_opts qo = {.timeout_ms = 3000};
        ssize_t n = aser_query_sync(p, "*IDN?\n", 6, &qo, buf, sizeof buf - 1);
        if (n >= 0) {
            buf[n] = 0;
            if (i == 0) snprintf(first, sizeof first, "%s", buf);
            good += strcmp(buf, "ACME,WINSIM,11") == 0;
        } else {
            wt_diag("round %d: query_sync: %s", i, aser_err_name((int)n));
        }
        aser_close(p);
    }
    v1 = probe_handle();
    GetProcessHandleCount(GetCurrentProcess(), &c1);
    wt_ok(good == rounds,
          "blocking API: aser_open(NULL, \"COM5\") + aser_query_sync: \"%s\" (%d/%d)", first, good,
          rounds);
    wt_ok(v0 != 0 && v1 <= v0 + 8 && c1 <= c0 + 2,
          "open/query/close %d times: no handle leaks (a new handle is %#llx after the first "
          "round, %#llx after the last; handle count %lu, %lu)",
          rounds - 1, (unsigned long long)v0, (unsigned long long)v1, (unsigned long)c0,
          (unsigned long)c1);
    /* a timeout through the blocking API */
    aser_port *p = NULL;
    if (aser_open(NULL, "COM5", NULL, &p, NULL) == 0) {
        char buf[16];
        uint64_t t0 = wt_now_ms();
        ssize_t n = aser_read_sync(p, buf, sizeof buf, 200);
        uint64_t took = wt_now_ms() - t0;
        wt_ok(n == ASER_ETIMEDOUT && took >= 190 && took < 1500,
              "aser_read_sync on a silent port: ASER_ETIMEDOUT after %llu ms",
              (unsigned long long)took);
        aser_close(p);
    } else {
        wt_ok(0, "COM5 opens for the blocking read");
    }
}

/* Discovery and hotplug through the library: Wine lists COM1 (its
 * SERIALCOMM entry) and not the pty-mapped ports; a watcher rescanning
 * every 50 ms over a steady set reports nothing and stops cleanly. */
static int hp_events;
static void on_hotplug(aser_hotplug *h, aser_hotplug_event ev, const aser_port_info *info,
                       void *ctx)
{
    (void)h;
    (void)ctx;
    hp_events++;
    wt_diag("hotplug: %s %s", aser_hotplug_event_name(ev), info->device);
}

static void test_discovery(void)
{
    aser_port_info *l = NULL;
    size_t n = 0;
    int rc = aser_list_ports(&l, &n, 0);
    int com1 = 0, mapped = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        com1 += strcmp(l[i].device, "COM1") == 0 && l[i].usb_interface == -1 && l[i].vid == -1;
        mapped += strcmp(l[i].device, "COM6") == 0;
    }
    wt_ok(rc == 0 && com1 == 1 && mapped == 0,
          "aser_list_ports: %zu port(s), COM1 among them; the pty-mapped COM6 is not (Wine lists "
          "only the ports it made at boot)",
          n);
    aser_port_info_free_list(l, n);

    _putenv("ASERIAL_HOTPLUG_POLL_MS=50");
    aser_hotplug *h = NULL;
    rc = aser_hotplug_start(L, on_hotplug, NULL, &h);
    uint64_t cpu0 = wt_cpu_ms(), end = wt_now_ms() + 500;
    while (rc == 0 && wt_now_ms() < end) aser_loop_run_once(L, 20);
    uint64_t cpu = wt_cpu_ms() - cpu0;
    aser_hotplug_stop(h);
    aser_loop_run_once(L, 10);
    wt_ok(rc == 0 && hp_events == 0,
          "hotplug (a rescan every 50 ms): no event over a steady set in 500 ms (%d; %llu ms CPU)",
          hp_events, (unsigned long long)cpu);
}

static int want(int argc, char **argv, const char *g)
{
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], g) == 0) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (aser_loop_new(&L) != 0) {
        printf("Bail out! aser_loop_new failed\n");
        return 1;
    }
    if (want(argc, argv, "ops")) test_ops();
    if (want(argc, argv, "bulk")) test_bulk();
    if (want(argc, argv, "full")) test_full();
    if (want(argc, argv, "eight")) test_eight();
    if (want(argc, argv, "unplug")) test_unplug();
    if (want(argc, argv, "sync")) test_sync();
    if (want(argc, argv, "discovery")) test_discovery();
    int rc = aser_loop_free(L);
    wt_ok(rc == 0, "the loop frees cleanly (%s)", aser_err_name(rc));
    return wt_done();
}
