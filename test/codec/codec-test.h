/* codec-test.h: helpers the codec tests share. Include it after defining
 * `typedef struct rec { char log[...]; size_t n; ... } rec;`: the log
 * helpers append to r->log. */
#ifndef ASER_CODEC_TEST_H
#define ASER_CODEC_TEST_H

#include <stdarg.h>
#include <sys/mman.h>
#include <unistd.h>

static void logf_(rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(rec *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(r->log + r->n, sizeof r->log - r->n, fmt, ap);
    va_end(ap);
    CHECK(k >= 0 && (size_t)k < sizeof r->log - r->n);
    r->n += (size_t)k;
}

__attribute__((unused)) static void log_hex(rec *r, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) logf_(r, "%02x", p[i]);
}

__attribute__((unused)) static void append(uint8_t *dst, size_t *len, size_t cap, const uint8_t *p,
                                           size_t n)
{
    CHECK(*len + n <= cap);
    memcpy(dst + *len, p, n);
    *len += n;
}

/* A copy of in[0..n) that ends exactly at an inaccessible page, so any read
 * past the end crashes (picohttpparser's trick). munmap(*map, *maplen). */
static uint8_t *guarded(const uint8_t *in, size_t n, void **map, size_t *maplen)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t body = n ? (n + pg - 1) / pg * pg : pg;
    *maplen = body + pg;
    uint8_t *m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    CHECK(mprotect(m + body, pg, PROT_NONE) == 0);
    *map = m;
    if (n) memcpy(m + body - n, in, n);
    return m + body - n;
}

#endif
