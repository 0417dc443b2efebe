/* fuzz_framer.c: libFuzzer target for the frame decoders and encoders,
 * src/codec/framer.c: bytes from an arbitrary line.
 *
 * Input: 16 bytes of configuration, then the stream.
 *   byte 0      kind (DELIMS, IDLE, FIXED, LENGTH, SLIP, COBS)
 *   byte 1      max 1..128 (FIXED: size 1..16)
 *   byte 2      bit 0 keep_delim, bit 1 big-endian, bits 2.. width 1/2/4
 *   byte 3      number of delimiters 1..4
 *   bytes 4-7   their lengths 1..3; bytes 8-15 their bytes (delimiter k
 *               starts at byte 8 + 2k); byte 8 also the length field's
 *               offset (0..3) and byte 9 its adjustment (signed)
 * For IDLE, 0xFF in the stream means "a silence longer than the gap".
 * Checks: whole and chunked feeding give the same events; frames never
 * exceed max; raw accounting adds up and what is held stays within
 * aser__frdec_raw_max(); errors are ENOBUFS or EPROTO with a message;
 * SLIP and COBS encodings of the stream decode back to it.
 */
#include "codec/framer.h"

#include "aserial.h"
#include "fuzz_common.h"

static void make_framer(const uint8_t *c, aser_framer *f)
{
    static const unsigned widths[3] = {1, 2, 4};
    memset(f, 0, sizeof *f);
    f->kind = (aser_framing)(1 + c[0] % 6);
    f->max = 1 + c[1] % 128;
    f->keep_delim = c[2] & 1;
    f->len_big_endian = c[2] & 2;
    f->len_width = widths[(c[2] >> 2) % 3];
    f->ndelims = 1 + c[3] % 4;
    for (unsigned k = 0; k < f->ndelims; k++) {
        f->delim_len[k] = (uint8_t)(1 + c[4 + k] % 3);
        for (unsigned i = 0; i < f->delim_len[k]; i++) f->delim[k][i] = c[8 + (2 * k + i) % 8];
    }
    f->gap_us = 1000;
    f->size = 1 + c[1] % 16;
    f->len_offset = c[8] % 4;
    f->len_adjust = (int8_t)c[9];
    if (f->max < f->len_offset + f->len_width) f->max = f->len_offset + f->len_width;
    FZ_ASSERT(aser__framer_check(f, NULL) == 0);
}

typedef struct st {
    aser_frdec d;
    uint8_t *buf;
    size_t fed, accounted, raw_max, max;
    flog *log;
} st;

static void record(st *s, const aser_frev *ev)
{
    if (ev->status == 0) {
        FZ_ASSERT(ev->len <= s->max + (s->d.f.keep_delim ? ASER_FRAMER_MAX_DELIM_LEN : 0));
        FZ_ASSERT(ev->len == 0 || ev->data);
    } else {
        FZ_ASSERT(ev->status == ASER_ENOBUFS || ev->status == ASER_EPROTO);
        FZ_ASSERT(ev->msg && *ev->msg && !ev->data && ev->len == 0);
    }
    int rec[2] = {ev->status, (int)ev->len};
    fz_ctl(s->log, rec, sizeof rec, ev->data, ev->len);
    s->accounted += ev->used;
}

static void feed(st *s, const uint8_t *in, size_t n, uint64_t now)
{
    size_t off = 0;
    for (;;) {
        aser_frev ev;
        bool got;
        size_t k = aser__frdec_feed(&s->d, in + off, n - off, now, &ev, &got);
        off += k;
        s->fed += k;
        if (got) record(s, &ev);
        s->accounted += aser__frdec_take_junk(&s->d);
        FZ_ASSERT(s->fed == s->accounted + aser__frdec_held(&s->d));
        FZ_ASSERT(aser__frdec_held(&s->d) <= s->raw_max);
        if (!got && off == n) return;
    }
}

static void st_init(st *s, const aser_framer *f, flog *log)
{
    memset(s, 0, sizeof *s);
    size_t cap = aser__frdec_buf_size(f);
    s->buf = malloc(cap ? cap : 1);
    FZ_ASSERT(s->buf);
    aser__frdec_init(&s->d, f, s->buf, cap);
    s->raw_max = aser__frdec_raw_max(f);
    s->max = f->kind == ASER_FRAMING_FIXED ? f->size : f->max;
    s->log = log;
}

static void run(const uint8_t *cfg, const uint8_t *in, size_t n, uint32_t chunks, flog *log)
{
    aser_framer f;
    make_framer(cfg, &f);
    st s;
    st_init(&s, &f, log);
    bool idle = f.kind == ASER_FRAMING_IDLE;
    uint64_t now = 10000;
    for (size_t i = 0; i < n;) {
        size_t seg = n - i; /* IDLE: up to the next 0xFF */
        if (idle) {
            const uint8_t *m = memchr(in + i, 0xFF, n - i);
            seg = m ? (size_t)(m - (in + i)) : n - i;
        }
        for (size_t j = 0; j < seg;) {
            size_t k = chunks ? fz_chunk(&chunks) : seg;
            if (k > seg - j) k = seg - j;
            feed(&s, in + i + j, k, now);
            j += k;
        }
        i += seg;
        if (idle && i < n) { /* the silence */
            now += 2000;
            aser_frev ev;
            if (aser__frdec_tick(&s.d, now, &ev)) record(&s, &ev);
            i++;
        }
    }
    free(s.buf);
}

/* Encode data as one SLIP or COBS frame and decode it back. */
static void roundtrip(aser_framing kind, const uint8_t *data, size_t n)
{
    aser_framer f = {.kind = kind, .max = n ? n : 1};
    uint8_t *out = malloc(2 * n + 2);
    FZ_ASSERT(out);
    ssize_t k = aser_framer_encode(&f, data, n, out, 2 * n + 2);
    FZ_ASSERT(k > 0);
    FZ_ASSERT(aser_framer_encode(&f, data, n, out, (size_t)k - 1) == ASER_ENOBUFS);
    k = aser_framer_encode(&f, data, n, out, (size_t)k);
    flog log = {0};
    st s;
    st_init(&s, &f, &log);
    feed(&s, out, (size_t)k, 0);
    FZ_ASSERT(aser__frdec_held(&s.d) == 0);
    bool none = kind == ASER_FRAMING_SLIP && n == 0; /* an empty SLIP frame is skipped */
    int rec[2] = {0, (int)n};
    flog want = {0};
    if (!none) fz_ctl(&want, rec, sizeof rec, data, n);
    FZ_ASSERT(fz_buf_eq(&log.ctl, &want.ctl));
    fz_log_free(&want);
    fz_log_free(&log);
    free(s.buf);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 16) return 0;
    fz_differential(run, d, d + 16, n - 16);
    size_t m = n - 16 < 512 ? n - 16 : 512;
    roundtrip(ASER_FRAMING_SLIP, d + 16, m);
    roundtrip(ASER_FRAMING_COBS, d + 16, m);
    return 0;
}
