/* wtap.h: TAP for the Windows test programs (test/win/), which run under
 * Wine from run.sh; no shared runner, so each program is one file. */
#ifndef ASER_WTAP_H
#define ASER_WTAP_H

#include "aserial.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int wt_n, wt_failed;

__attribute__((format(gnu_printf, 2, 3), unused)) static void wt_ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%sok %d - ", cond ? "" : "not ", ++wt_n);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!cond) wt_failed++;
    fflush(stdout);
}

__attribute__((format(gnu_printf, 1, 2), unused)) static void wt_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

static int wt_done(void)
{
    printf("1..%d\n", wt_n);
    fflush(stdout);
    return wt_failed ? 1 : 0;
}

/* Run loop until *flag or ms pass. */
#define WT_RUN_UNTIL(loop, cond, ms)                                           \
    do {                                                                       \
        uint64_t wt_end_ = wt_now_ms() + (ms);                                 \
        while (!(cond) && wt_now_ms() < wt_end_) aser_loop_run_once(loop, 20); \
    } while (0)

#include <winsock2.h> /* before windows.h, which the tests may also need */
#include <windows.h>
__attribute__((unused)) static uint64_t wt_now_ms(void)
{
    return GetTickCount64();
}

/* CPU time (user + kernel) of this process so far, in ms. */
__attribute__((unused)) static uint64_t wt_cpu_ms(void)
{
    FILETIME c, e, k, u;
    GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u);
    uint64_t kk = ((uint64_t)k.dwHighDateTime << 32) | k.dwLowDateTime;
    uint64_t uu = ((uint64_t)u.dwHighDateTime << 32) | u.dwLowDateTime;
    return (kk + uu) / 10000u;
}

/* What one callback reported: how often, the status, the bytes (as a
 * string) and when. wt_on_read / wt_on_done fill one (ctx). */
typedef struct res {
    int calls;
    int status;
    char data[256];
    size_t len;
    uint64_t at;
} res;

__attribute__((unused)) static void wt_on_read(aser_port *p, int status, const uint8_t *data,
                                               size_t len, void *ctx)
{
    (void)p;
    res *r = ctx;
    r->calls++;
    r->status = status;
    r->len = len < sizeof r->data ? len : sizeof r->data - 1;
    if (data) memcpy(r->data, data, r->len);
    r->data[r->len] = 0;
    r->at = wt_now_ms();
}

__attribute__((unused)) static void wt_on_done(aser_port *p, int status, void *ctx)
{
    (void)p;
    res *r = ctx;
    r->calls++;
    r->status = status;
}

#endif
