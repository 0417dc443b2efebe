/* transport-test.c: src/transport/com.c driven under Wine before the
 * library's Windows build exists. The IOCP loop (W-core's) and the port
 * (src/port/, not yet built for Windows) are stood in for by the least
 * that com.c calls: a completion port run here, a deferral queue, a loop
 * reference count, and a port that reads what is readable, counts
 * writable events and fails once, releasing the handle as port_fail()
 * does. Once the library builds for Windows, the port operations suite
 * through aser_open() replaces this (see the report).
 *
 *   tio PORT     write (EAGAIN while in flight, writable on completion),
 *                read, close with a read pending: freed by the last done
 *   thang PORT   the far side closes: one ASER_EDISCONNECTED, no re-post,
 *                the process quiet afterwards (completions, CPU time)
 *   tblock PORT  close of a blocking-API port: cancellations ended
 *   tbusy PORT   a second open through the transport: ASER_EBUSY
 *   tusb         usb:0403:6001 with no such adapter: ASER_ENOENT
 *   tfull PORT   bytes the port had no room for are replayed (io_mask)
 *   tbulk PORT   50000 bytes each way, with write backpressure
 *   teight       COM5..COM12 from one thread, a request and reply each */
#include "os/win/iocp.h"
#include "transport/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct aser_port {
    aser_conn c; /* first, as in the real port */
    uint8_t data[65536];
    size_t len, cap; /* cap: how much the port takes (0: all of data) */
    int failures, fail_code, writable, lines_events;
    char errmsg[256];
};

static HANDLE iocp;
static int refs, completions;
static aser_defer *dq[16];
static size_t ndq;

/* ---- what com.c calls ------------------------------------------------------------------ */

int aser__iocp_attach(aser_loop *loop, HANDLE h, aser_err *err)
{
    (void)loop;
    if (CreateIoCompletionPort(h, iocp, ASER_IOCP_KEY_OVL, 0)) return 0;
    return aser__err(err, ASER_EIO, "attach: %lu", GetLastError());
}

void aser__loop_ref(aser_loop *loop)
{
    (void)loop;
    refs++;
}

void aser__loop_unref(aser_loop *loop)
{
    (void)loop;
    refs--;
}

void aser__defer(aser_loop *loop, aser_defer *d)
{
    (void)loop;
    if (d->queued) return;
    d->queued = true;
    if (ndq < 16) dq[ndq++] = d;
}

void aser__defer_cancel(aser_loop *loop, aser_defer *d)
{
    (void)loop;
    for (size_t i = 0; i < ndq; i++)
        if (dq[i] == d) {
            memmove(dq + i, dq + i + 1, (ndq - i - 1) * sizeof *dq);
            ndq--;
            break;
        }
    d->queued = false;
}

void aser__port_set_errmsg(aser_port *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->errmsg, sizeof p->errmsg, fmt, ap);
    va_end(ap);
}

void aser__port_io_failed(aser_port *p, int code)
{
    if (p->c.fd < 0) return; /* port_fail: once, then the handle is released */
    p->failures++;
    p->fail_code = code;
    p->c.tp->close(p);
    p->c.fd = -1;
}

void aser__port_io(aser_port *p, unsigned revents)
{
    if (revents & ASER_EV_WRITE) p->writable++;
    size_t cap = p->cap ? p->cap : sizeof p->data;
    while ((revents & ASER_EV_READ) && p->c.fd >= 0 && p->len < cap) {
        ssize_t n = p->c.tp->read(p, p->data + p->len, cap - p->len);
        if (n > 0) {
            p->len += (size_t)n;
            continue;
        }
        if (n == 0) aser__port_io_failed(p, ASER_EDISCONNECTED);
        if (n < 0 && n != ASER_EAGAIN) aser__port_io_failed(p, (int)n);
        break;
    }
}

void aser__port_lines_changed(aser_port *p, unsigned lines, unsigned errors)
{
    (void)lines;
    (void)errors;
    p->lines_events++;
}

/* ---- the stand-in loop ------------------------------------------------------------------- */

static void run_for(DWORD ms)
{
    DWORD end = GetTickCount() + ms;
    for (;;) {
        while (ndq) {
            aser_defer *d = dq[0];
            memmove(dq, dq + 1, --ndq * sizeof *dq);
            d->queued = false;
            d->fn(d->arg);
        }
        DWORD now = GetTickCount();
        if ((LONG)(end - now) <= 0) return;
        DWORD bytes;
        ULONG_PTR key;
        OVERLAPPED *ov = NULL;
        BOOL ok = GetQueuedCompletionStatus(iocp, &bytes, &key, &ov, end - now);
        if (!ov) continue; /* timed out */
        completions++;
        aser_ovl *o = (aser_ovl *)ov;
        o->done(o, bytes, ok ? 0 : GetLastError());
    }
}

static void say(const char *fmt, ...)
    __attribute__((format(gnu_printf, 1, 2))) /* __USE_MINGW_ANSI_STDIO */;
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void step(const char *name)
{
    char line[64];
    say("step %s", name);
    if (!fgets(line, sizeof line, stdin)) exit(3);
}

static aser_port *port_new(const char *path, const aser_transport_ops *tp)
{
    aser_port *p = calloc(1, sizeof *p);
    p->c.tp = tp;
    p->c.fd = -1;
    p->c.name = strdup(path);
    p->c.path = strdup(path);
    p->c.cfg = (aser_config)ASER_CONFIG_DEFAULT;
    return p;
}

static int port_open(aser_port *p, const char *path)
{
    aser_url u = {.tp = p->c.tp};
    snprintf(u.path, sizeof u.path, "%s", path);
    aser_err err = {0};
    int rc = p->c.tp->open(p, &u, &err);
    say("open=%s", aser_err_name(rc));
    if (rc < 0) say("msg=%s", err.msg);
    return rc;
}

static void port_free(aser_port *p)
{
    if (p->c.fd >= 0) p->c.tp->close(p);
    p->c.tp->release(p);
    free(p->c.name);
    free(p->c.path);
    free(p);
}

static double cpu_ms(void)
{
    FILETIME c, e, k, u;
    GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u);
    ULONGLONG t = ((ULONGLONG)k.dwHighDateTime << 32 | k.dwLowDateTime) +
                  ((ULONGLONG)u.dwHighDateTime << 32 | u.dwLowDateTime);
    return (double)t / 10000.0;
}

/* ---- scenarios ----------------------------------------------------------------------------- */

static int t_io(const char *port)
{
    aser_port *p = port_new(port, &aser__com_transport);
    if (port_open(p, port) < 0) return 1;
    say("path=%s fd=%s refs=%d", p->c.path, p->c.fd >= 0 ? "set" : "-1", refs);
    say("caps.line_errors=%d (%s)", p->c.caps.state[ASER_FEAT_LINE_ERRORS],
        p->c.caps.reason[ASER_FEAT_LINE_ERRORS] ? p->c.caps.reason[ASER_FEAT_LINE_ERRORS] : "");
    ssize_t w1 = p->c.tp->write(p, "ping\n", 5);
    ssize_t w2 = p->c.tp->write(p, "more", 4);
    int outq = p->c.tp->outq(p);
    say("write1=%zd write2=%s outq_in_flight=%d", w1, aser_err_name((int)w2), outq);
    run_for(500);
    say("writable=%d outq_after=%d", p->writable, p->c.tp->outq(p));
    step("wrote");
    step("linux-wrote"); /* "pong\n" is on its way */
    run_for(300);
    say("data=%.*s", (int)p->len, (const char *)p->data);
    say("inq=%d", p->c.tp->inq(p));
    int c0 = completions;
    run_for(300);
    say("idle_completions=%d", completions - c0);
    /* close with the read pending: the state lives until its done */
    p->c.tp->close(p);
    p->c.fd = -1;
    say("refs_after_close=%d", refs);
    run_for(300);
    say("refs_after_drain=%d failures=%d", refs, p->failures);
    port_free(p);
    return 0;
}

static int t_hang(const char *port)
{
    aser_port *p = port_new(port, &aser__com_transport);
    if (port_open(p, port) < 0) return 1;
    step("open"); /* the driver closes the master now */
    run_for(500);
    say("failures=%d code=%s fd=%d", p->failures, aser_err_name(p->fail_code), p->c.fd);
    int c0 = completions;
    double t0 = cpu_ms();
    run_for(1500);
    say("quiet_completions=%d cpu_ms=%.0f refs=%d", completions - c0, cpu_ms() - t0, refs);
    say("write_after=%s", aser_err_name((int)p->c.tp->write(p, "x", 1)));
    port_free(p);
    return 0;
}

static int t_block(const char *port)
{
    aser_port *p = port_new(port, &aser__com_transport);
    p->c.blocking = true;
    if (port_open(p, port) < 0) return 1;
    p->c.tp->close(p);
    p->c.fd = -1;
    /* the cancelled read has ended: its completion is already queued */
    DWORD bytes;
    ULONG_PTR key;
    OVERLAPPED *ov = NULL;
    BOOL ok = GetQueuedCompletionStatus(iocp, &bytes, &key, &ov, 0);
    say("queued_at_once=%d error=%lu", ov != NULL, ok ? 0 : GetLastError());
    if (ov) ((aser_ovl *)ov)->done((aser_ovl *)ov, bytes, ok ? 0 : GetLastError());
    say("refs=%d", refs);
    port_free(p);
    return 0;
}

static int t_busy(const char *port)
{
    aser_port *p = port_new(port, &aser__com_transport);
    aser_port *q = port_new(port, &aser__com_transport);
    if (port_open(p, port) < 0) return 1;
    port_open(q, port);
    port_free(q);
    port_free(p);
    run_for(200);
    say("refs=%d", refs);
    return 0;
}

static int t_usb(void)
{
    aser_port *p = port_new("usb:0403:6001", &aser__com_usb_transport);
    port_open(p, "0403:6001");
    port_free(p);
    return 0;
}

/* The port has room for 3 bytes: the rest waits in the transport and is
 * replayed when io_mask says the port has room again. */
static int t_full(const char *port)
{
    aser_port *p = port_new(port, &aser__com_transport);
    p->cap = 3;
    if (port_open(p, port) < 0) return 1;
    step("open"); /* the driver writes "abcdefgh" */
    run_for(300);
    char got[64] = "";
    for (int i = 0; i < 5 && strlen(got) < 8; i++) {
        strncat(got, (const char *)p->data, p->len);
        say("took=%.*s", (int)p->len, (const char *)p->data);
        p->len = 0; /* the user read them: room again */
        p->c.tp->io_mask(p, ASER_EV_READ);
        run_for(50);
    }
    say("all=%s", got);
    port_free(p);
    run_for(100);
    return 0;
}

/* 50000 bytes each way through the transport, with write backpressure. */
static int t_bulk(const char *port)
{
    static uint8_t out[50000];
    aser_port *p = port_new(port, &aser__com_transport);
    if (port_open(p, port) < 0) return 1;
    for (size_t i = 0; i < sizeof out; i++) out[i] = (uint8_t)(i * 7 + i / 251);
    size_t sent = 0;
    int eagain = 0;
    DWORD t0 = GetTickCount();
    while (sent < sizeof out && GetTickCount() - t0 < 10000) {
        ssize_t n = p->c.tp->write(p, out + sent, sizeof out - sent);
        if (n > 0) {
            sent += (size_t)n;
        } else {
            eagain += n == ASER_EAGAIN;
            int w = p->writable;
            while (p->writable == w && GetTickCount() - t0 < 10000) run_for(10);
        }
    }
    while (p->c.tp->outq(p) > 0 && GetTickCount() - t0 < 10000) run_for(10);
    say("sent=%lu eagain=%d failures=%d code=%s", (unsigned long)sent, eagain, p->failures,
        aser_err_name(p->fail_code));
    step("sent"); /* the driver checked them and sends its own 50000 */
    t0 = GetTickCount();
    while (p->len < sizeof out && GetTickCount() - t0 < 10000) run_for(20);
    bool same = p->len == sizeof out && memcmp(p->data, out, sizeof out) == 0;
    say("received=%lu same=%d", (unsigned long)p->len, same);
    port_free(p);
    run_for(100);
    return 0;
}

/* Eight ports from one thread: COM5..COM12 (so COM10+ too), a request
 * written to each, the replies read as they come. */
static int t_eight(void)
{
    aser_port *ps[8];
    char name[16];
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "COM%d", 5 + i);
        ps[i] = port_new(name, &aser__com_transport);
        if (port_open(ps[i], name) < 0) return 1;
        ps[i]->c.tp->write(ps[i], "*IDN?\n", 6);
    }
    step("asked"); /* the driver answers on each pty */
    DWORD t0 = GetTickCount();
    int done = 0;
    while (done < 8 && GetTickCount() - t0 < 5000) {
        run_for(10);
        done = 0;
        for (int i = 0; i < 8; i++) done += memchr(ps[i]->data, '\n', ps[i]->len) != NULL;
    }
    say("replies=%d in_ms=%lu", done, GetTickCount() - t0);
    for (int i = 0; i < 8; i++) {
        say("reply%d=%.*s", 5 + i, (int)strcspn((const char *)ps[i]->data, "\n"),
            (const char *)ps[i]->data);
        port_free(ps[i]);
    }
    run_for(100);
    say("refs=%d", refs);
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    const char *port = argc > 2 ? argv[2] : "COM5";
    iocp = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (!strcmp(what, "tio")) return t_io(port);
    if (!strcmp(what, "thang")) return t_hang(port);
    if (!strcmp(what, "tblock")) return t_block(port);
    if (!strcmp(what, "tbusy")) return t_busy(port);
    if (!strcmp(what, "tusb")) return t_usb();
    if (!strcmp(what, "tfull")) return t_full(port);
    if (!strcmp(what, "tbulk")) return t_bulk(port);
    if (!strcmp(what, "teight")) return t_eight();
    fprintf(stderr, "usage: transport-test tio|thang|tblock|tbusy|tusb [PORT]\n");
    return 2;
}
