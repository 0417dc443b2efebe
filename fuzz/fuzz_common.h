/* fuzz_common.h: what the codec fuzz targets share (header-only).
 *
 * Each target feeds the same input to a codec twice: whole, then cut into
 * pseudo-random chunks of 1..16 bytes. Both runs record their events in
 * an flog and must record the same thing; DATA and SEND events are
 * compared as byte streams (how they are cut may differ), every other
 * event with its position in those streams. Any difference, or a broken
 * invariant (FZ_ASSERT), aborts: libFuzzer reports it as a crash.
 */
#ifndef ASER_FUZZ_COMMON_H
#define ASER_FUZZ_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_ASSERT(cond)                                                                  \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* The input as a NUL-terminated string (malloc'ed; a NUL inside ends it
 * early for C string functions), for targets that parse text. */
static inline char *fz_cstr(const uint8_t *d, size_t n)
{
    char *s = malloc(n + 1);
    FZ_ASSERT(s);
    memcpy(s, d, n);
    s[n] = '\0';
    return s;
}

typedef struct fz_buf {
    uint8_t *p;
    size_t n, cap;
} fz_buf;

static inline void fz_put(fz_buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        b->p = realloc(b->p, cap);
        FZ_ASSERT(b->p);
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
}

/* The record of one run. ctl holds the other events, each stamped with
 * the lengths of data and sent at that moment. */
typedef struct flog {
    fz_buf ctl, data, sent;
} flog;

/* Log a non-stream event: a fixed part (rec, k bytes) and a payload. */
static inline void fz_ctl(flog *l, const void *rec, size_t k, const uint8_t *p, size_t n)
{
    size_t stamp[3] = {l->data.n, l->sent.n, n};
    fz_put(&l->ctl, stamp, sizeof stamp);
    fz_put(&l->ctl, rec, k);
    fz_put(&l->ctl, p, n);
}

static inline bool fz_buf_eq(const fz_buf *a, const fz_buf *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

static inline void fz_log_free(flog *l)
{
    free(l->ctl.p);
    free(l->data.p);
    free(l->sent.p);
    memset(l, 0, sizeof *l);
}

/* Chunk sizes 1..16 from a xorshift seeded by the input. */
static inline size_t fz_chunk(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return 1 + (*s >> 7) % 16;
}

static inline uint32_t fz_seed(const uint8_t *d, size_t n)
{
    uint32_t s = 2166136261u;
    for (size_t i = 0; i < n && i < 64; i++) s = (s ^ d[i]) * 16777619u;
    return s | 1u;
}

/* Run run(ud, in, n, chunks, log) whole (chunks = 0) and chunked, and
 * require identical logs. */
typedef void (*fz_run_fn)(const uint8_t *cfg, const uint8_t *in, size_t n, uint32_t chunks,
                          flog *log);

static inline void fz_differential(fz_run_fn run, const uint8_t *cfg, const uint8_t *in, size_t n)
{
    flog whole = {0}, cut = {0};
    run(cfg, in, n, 0, &whole);
    run(cfg, in, n, fz_seed(in, n), &cut);
    FZ_ASSERT(fz_buf_eq(&whole.data, &cut.data));
    FZ_ASSERT(fz_buf_eq(&whole.sent, &cut.sent));
    FZ_ASSERT(fz_buf_eq(&whole.ctl, &cut.ctl));
    fz_log_free(&whole);
    fz_log_free(&cut);
}

#endif
