/* framer.c: frame decoders and encoders, sans-I/O. See framer.h.
 *
 * Sections: descriptions (the public initialisers and their checks), the
 * decoder core, one decoder per kind, the encoders.
 *
 * References: RFC 1055 (SLIP); S. Cheshire and M. Baker, "Consistent
 * Overhead Byte Stuffing", IEEE/ACM ToN 7(2), 1999 (COBS); Modbus over
 * serial line V1.02, section 2.5.1.1 (the 3.5 character gap, 1750 us above
 * 19200 baud).
 */
#include "codec/framer.h"

#include <string.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* ---------------------------------------------------------------------- */
/* Descriptions                                                            */
/* ---------------------------------------------------------------------- */

static int reset(aser_framer *f, aser_framing kind)
{
    if (!f) return ASER_EINVAL;
    memset(f, 0, sizeof *f);
    f->kind = kind;
    return 0;
}

int aser_framer_delims(aser_framer *f, const char *const *delims, size_t n, bool keep_delim)
{
    if (reset(f, ASER_FRAMING_DELIMS) < 0) return ASER_EINVAL;
    if (!delims || n == 0 || n > ASER_FRAMER_MAX_DELIMS) return ASER_EINVAL;
    for (size_t i = 0; i < n; i++) {
        size_t len = delims[i] ? strlen(delims[i]) : 0;
        if (len == 0 || len > ASER_FRAMER_MAX_DELIM_LEN) return ASER_EINVAL;
        memcpy(f->delim[i], delims[i], len);
        f->delim_len[i] = (uint8_t)len;
    }
    f->ndelims = (unsigned)n;
    f->keep_delim = keep_delim;
    return 0;
}

int aser_framer_idle(aser_framer *f, uint32_t gap_us)
{
    if (reset(f, ASER_FRAMING_IDLE) < 0 || gap_us == 0) return ASER_EINVAL;
    f->gap_us = gap_us;
    return 0;
}

int aser_framer_modbus_rtu(aser_framer *f, const aser_config *cfg)
{
    if (reset(f, ASER_FRAMING_IDLE) < 0 || !cfg || cfg->baud == 0) return ASER_EINVAL;
    if (cfg->data_bits < 5 || cfg->data_bits > 8) return ASER_EINVAL;
    /* bits per character, in tenths: start + data + parity + stop */
    uint64_t tenths = 10u + 10u * cfg->data_bits + (cfg->parity != ASER_PARITY_NONE ? 10u : 0u) +
                      (uint64_t)cfg->stop_bits;
    /* 3.5 characters = 35 * tenths / 100 bits; in us, rounded up */
    uint64_t us = (35u * tenths * 1000000u / 100u + cfg->baud - 1) / cfg->baud;
    f->gap_us = cfg->baud > 19200 ? 1750u : (uint32_t)us;
    f->max = 256;
    return 0;
}

int aser_framer_fixed(aser_framer *f, size_t size)
{
    if (reset(f, ASER_FRAMING_FIXED) < 0 || size == 0) return ASER_EINVAL;
    f->size = size;
    return 0;
}

int aser_framer_length(aser_framer *f, size_t offset, unsigned width, bool big_endian, long adjust)
{
    if (reset(f, ASER_FRAMING_LENGTH) < 0) return ASER_EINVAL;
    if (width != 1 && width != 2 && width != 4) return ASER_EINVAL;
    f->len_offset = offset;
    f->len_width = width;
    f->len_big_endian = big_endian;
    f->len_adjust = adjust;
    return 0;
}

int aser_framer_slip(aser_framer *f)
{
    return reset(f, ASER_FRAMING_SLIP);
}

int aser_framer_cobs(aser_framer *f)
{
    return reset(f, ASER_FRAMING_COBS);
}

/* Largest max accepted: 16 MiB (a frame the port must buffer whole). */
#define MAX_MAX ((size_t)1 << 24)

int aser__framer_check(const aser_framer *f, const char **why)
{
    const char *w = NULL;
    if (!f) {
        w = "no framer given";
    } else if (f->max > MAX_MAX) {
        w = "max is over 16 MiB: frames are buffered whole, pick a smaller max";
    } else {
        switch (f->kind) {
        case ASER_FRAMING_DELIMS:
            if (f->ndelims == 0 || f->ndelims > ASER_FRAMER_MAX_DELIMS)
                w = "ndelims must be 1..4: set the delimiters with aser_framer_delims()";
            for (unsigned i = 0; !w && i < f->ndelims; i++)
                if (f->delim_len[i] == 0 || f->delim_len[i] > ASER_FRAMER_MAX_DELIM_LEN)
                    w = "a delimiter must be 1..8 bytes long (delim_len)";
            break;
        case ASER_FRAMING_IDLE:
            if (f->gap_us == 0) w = "gap_us is 0: give the silence that ends a frame";
            break;
        case ASER_FRAMING_FIXED:
            if (f->size == 0 || f->size > MAX_MAX) w = "size must be 1 byte to 16 MiB";
            break;
        case ASER_FRAMING_LENGTH:
            if (f->len_width != 1 && f->len_width != 2 && f->len_width != 4)
                w = "len_width must be 1, 2 or 4 bytes";
            else if (f->len_offset > MAX_MAX)
                w = "len_offset is over 16 MiB";
            else if (f->max && f->max < f->len_offset + f->len_width)
                w = "max is smaller than the header (len_offset + len_width): raise max";
            break;
        case ASER_FRAMING_SLIP:
        case ASER_FRAMING_COBS: break;
        default: w = "unknown kind: use an aser_framer_* initialiser"; break;
        }
    }
    if (why) *why = w;
    return w ? ASER_EINVAL : 0;
}

static size_t max_delim(const aser_framer *f)
{
    size_t m = 0;
    for (unsigned i = 0; i < f->ndelims; i++) m = f->delim_len[i] > m ? f->delim_len[i] : m;
    return m;
}

size_t aser__frdec_buf_size(const aser_framer *f)
{
    switch (f->kind) {
    case ASER_FRAMING_DELIMS: return f->max + max_delim(f) + 1;
    case ASER_FRAMING_FIXED: return f->size;
    default: return f->max;
    }
}

size_t aser__frdec_raw_max(const aser_framer *f)
{
    switch (f->kind) {
    case ASER_FRAMING_DELIMS: return f->max + 2 * max_delim(f) + 1;
    case ASER_FRAMING_FIXED: return f->size;
    case ASER_FRAMING_SLIP: return 2 * f->max + 2;
    case ASER_FRAMING_COBS: return f->max + f->max / 254 + 3;
    case ASER_FRAMING_IDLE: return f->max + 1;
    default: return f->max;
    }
}

/* ---------------------------------------------------------------------- */
/* Decoder core                                                            */
/* ---------------------------------------------------------------------- */

void aser__frdec_init(aser_frdec *d, const aser_framer *f, uint8_t *buf, size_t cap)
{
    memset(d, 0, sizeof *d);
    d->f = *f;
    if (d->f.kind == ASER_FRAMING_FIXED) d->f.max = d->f.size;
    d->buf = buf;
    d->cap = cap;
    for (unsigned k = 0; f->kind == ASER_FRAMING_DELIMS && k < f->ndelims; k++)
        d->first[f->delim[k][0] >> 3] |= (uint8_t)(1u << (f->delim[k][0] & 7));
}

/* Drop what the last event handed over. */
static void apply_shift(aser_frdec *d)
{
    if (!d->shift) return;
    memmove(d->buf, d->buf + d->shift, d->len - d->shift);
    d->len -= d->shift;
    d->shift = 0;
}

/* End the frame in progress with an event: status, the frame buf[0..len),
 * accounting for the junk and the frame's raw bytes. Decoders other than
 * DELIMS hold nothing after it. */
static bool event(aser_frdec *d, aser_frev *ev, int status, size_t len, size_t raw, size_t drop,
                  const char *msg)
{
    ev->status = status;
    ev->data = status == 0 ? d->buf : NULL;
    ev->len = status == 0 ? len : 0;
    ev->used = d->junk + raw;
    ev->msg = msg;
    d->held -= ev->used;
    d->junk = 0;
    d->shift = drop;
    d->frame_raw = 0;
    d->esc = d->zero = d->started = false;
    d->left = 0;
    return true;
}

static bool overlong(aser_frdec *d, aser_frev *ev)
{
    d->skipping = true;
    return event(d, ev, ASER_ENOBUFS, 0, d->frame_raw, d->len,
                 "frame longer than the framer's max: dropped up to its end");
}

/* ---- DELIMS -------------------------------------------------------------- */

/* Forget the first k bytes of buf (junk while skipping). */
static void drop_front(aser_frdec *d, size_t k)
{
    memmove(d->buf, d->buf + k, d->len - k);
    d->len -= k;
    d->scan -= k;
    d->junk += k;
}

static bool delims_overlong(aser_frdec *d, aser_frev *ev)
{
    d->skipping = true;
    size_t k = d->scan;
    d->scan = 0;
    return event(d, ev, ASER_ENOBUFS, 0, k, k,
                 "no delimiter within the framer's max: dropped up to the next one");
}

/* Decide what the bytes in buf say. At position scan: which delimiters
 * agree with the bytes there? One still incomplete (longer than what is
 * left): wait. Else the longest complete one ends the frame. Else no
 * delimiter starts there. */
static bool delims_scan(aser_frdec *d, aser_frev *ev)
{
    const aser_framer *f = &d->f;
    while (d->scan < d->len) {
        size_t s = d->scan, avail = d->len - s, best = 0;
        bool partial = false;
        for (unsigned k = 0; k < f->ndelims; k++) {
            size_t L = f->delim_len[k];
            if (memcmp(d->buf + s, f->delim[k], L < avail ? L : avail) != 0) continue;
            if (L > avail)
                partial = true;
            else if (L > best)
                best = L;
        }
        if (partial) return false;
        if (best && d->skipping) { /* the end of the bad frame */
            d->scan = s + best;
            drop_front(d, s + best);
            d->skipping = false;
            continue;
        }
        if (best) {
            d->scan = 0; /* relative to what is left after the shift */
            return event(d, ev, 0, s + (f->keep_delim ? best : 0), s + best, s + best, NULL);
        }
        d->scan++;
        if (d->skipping)
            drop_front(d, d->scan);
        else if (d->scan > f->max)
            return delims_overlong(d, ev);
    }
    return false;
}

/* The fast path, when nothing is pending (scan == len): take the run of
 * bytes that cannot start a delimiter at once (buffered, or dropped while
 * skipping), up to the byte that makes the frame overlong. Returns how
 * many; the caller checks for overlong as delims_scan would have. */
static size_t delims_run(aser_frdec *d, const uint8_t *in, size_t n)
{
    size_t lim = d->skipping ? n : MIN(n, d->f.max + 1 - d->len), k = 0;
    while (k < lim && !(d->first[in[k] >> 3] & (1u << (in[k] & 7)))) k++;
    d->held += k;
    if (d->skipping) {
        d->junk += k;
    } else {
        memcpy(d->buf + d->len, in, k);
        d->len += k;
        d->scan += k;
    }
    return k;
}

static bool delims_step(aser_frdec *d, uint8_t b, aser_frev *ev)
{
    d->buf[d->len++] = b;
    return delims_scan(d, ev);
}

/* ---- IDLE, FIXED, LENGTH ---------------------------------------------------- */

static bool idle_in_progress(const aser_frdec *d)
{
    return d->frame_raw > 0 || d->skipping;
}

static bool idle_due(aser_frdec *d, uint64_t now, aser_frev *ev)
{
    if (!idle_in_progress(d) || now < d->last_us + d->f.gap_us) return false;
    if (d->skipping) {
        d->skipping = false;
        return false;
    }
    return event(d, ev, 0, d->len, d->frame_raw, d->len, NULL);
}

static bool idle_step(aser_frdec *d, uint8_t b, uint64_t now, aser_frev *ev)
{
    d->last_us = now;
    if (d->skipping) {
        d->junk++;
        return false;
    }
    d->frame_raw++;
    if (d->len == d->f.max) return overlong(d, ev);
    d->buf[d->len++] = b;
    return false;
}

static bool fixed_step(aser_frdec *d, uint8_t b, aser_frev *ev)
{
    d->frame_raw++;
    d->buf[d->len++] = b;
    return d->len == d->f.size && event(d, ev, 0, d->len, d->frame_raw, d->len, NULL);
}

static uint64_t length_field(const aser_frdec *d)
{
    const uint8_t *p = d->buf + d->f.len_offset;
    uint64_t v = 0;
    for (unsigned i = 0; i < d->f.len_width; i++) {
        unsigned k = d->f.len_big_endian ? i : d->f.len_width - 1 - i;
        v = (v << 8) | p[k];
    }
    return v;
}

static bool length_step(aser_frdec *d, uint8_t b, aser_frev *ev)
{
    const aser_framer *f = &d->f;
    if (d->skipping) {
        d->junk++;
        if (--d->skip == 0) d->skipping = false;
        return false;
    }
    d->frame_raw++;
    d->buf[d->len++] = b;
    size_t header = f->len_offset + f->len_width;
    if (d->len == header) {
        int64_t total = (int64_t)header + (int64_t)length_field(d) + (int64_t)f->len_adjust;
        if (total < (int64_t)header)
            return event(d, ev, ASER_EPROTO, 0, d->frame_raw, d->len,
                         "length field shorter than the header: header dropped");
        if ((uint64_t)total > f->max) {
            d->skip = (uint64_t)total - header;
            d->skipping = d->skip > 0;
            return event(d, ev, ASER_ENOBUFS, 0, d->frame_raw, d->len,
                         "length field over the framer's max: dropped the frame it declared");
        }
        d->left = (unsigned)((uint64_t)total - header);
    }
    return d->len >= header && d->len - header == d->left &&
           event(d, ev, 0, d->len, d->frame_raw, d->len, NULL);
}

/* ---- SLIP, COBS --------------------------------------------------------------- */

static bool slip_step(aser_frdec *d, uint8_t b, aser_frev *ev)
{
    if (d->skipping) {
        d->junk++;
        if (b == ASER_SLIP_END) d->skipping = false;
        return false;
    }
    d->frame_raw++;
    if (b == ASER_SLIP_END) {
        if (d->esc)
            return event(d, ev, ASER_EPROTO, 0, d->frame_raw, d->len,
                         "SLIP ESC followed by END: frame dropped");
        if (d->len == 0) { /* empty frame: line noise flush */
            d->junk += d->frame_raw;
            d->frame_raw = 0;
            return false;
        }
        return event(d, ev, 0, d->len, d->frame_raw, d->len, NULL);
    }
    uint8_t c = b;
    if (d->esc) {
        d->esc = false;
        if (b == ASER_SLIP_ESC_END) {
            c = ASER_SLIP_END;
        } else if (b == ASER_SLIP_ESC_ESC) {
            c = ASER_SLIP_ESC;
        } else {
            d->skipping = true;
            return event(d, ev, ASER_EPROTO, 0, d->frame_raw, d->len,
                         "SLIP ESC followed by neither ESC_END nor ESC_ESC: frame dropped");
        }
    } else if (b == ASER_SLIP_ESC) {
        d->esc = true;
        return false;
    }
    if (d->len == d->f.max) return overlong(d, ev);
    d->buf[d->len++] = c;
    return false;
}

static bool cobs_step(aser_frdec *d, uint8_t b, aser_frev *ev)
{
    if (d->skipping) {
        d->junk++;
        if (b == 0) d->skipping = false;
        return false;
    }
    d->frame_raw++;
    if (b == 0) {
        if (!d->started) { /* a lone delimiter: nothing */
            d->junk += d->frame_raw;
            d->frame_raw = 0;
            return false;
        }
        if (d->left)
            return event(d, ev, ASER_EPROTO, 0, d->frame_raw, d->len,
                         "COBS block cut short by 0x00: frame dropped");
        return event(d, ev, 0, d->len, d->frame_raw, d->len, NULL);
    }
    if (d->left == 0) { /* a code byte: the zero owed by the last block, then b - 1 bytes */
        if (d->zero) {
            if (d->len == d->f.max) return overlong(d, ev);
            d->buf[d->len++] = 0;
        }
        d->started = true;
        d->left = b - 1u;
        d->zero = b != 0xFF;
        return false;
    }
    if (d->len == d->f.max) return overlong(d, ev);
    d->buf[d->len++] = b;
    d->left--;
    return false;
}

/* ---- feeding ----------------------------------------------------------------- */

static bool step(aser_frdec *d, uint8_t b, uint64_t now, aser_frev *ev)
{
    switch (d->f.kind) {
    case ASER_FRAMING_DELIMS: return delims_step(d, b, ev);
    case ASER_FRAMING_IDLE: return idle_step(d, b, now, ev);
    case ASER_FRAMING_FIXED: return fixed_step(d, b, ev);
    case ASER_FRAMING_LENGTH: return length_step(d, b, ev);
    case ASER_FRAMING_SLIP: return slip_step(d, b, ev);
    case ASER_FRAMING_COBS: return cobs_step(d, b, ev);
    }
    return false;
}

size_t aser__frdec_feed(aser_frdec *d, const uint8_t *in, size_t n, uint64_t now_us, aser_frev *ev,
                        bool *got)
{
    *got = false;
    apply_shift(d);
    if (d->f.kind == ASER_FRAMING_DELIMS && delims_scan(d, ev)) {
        *got = true;
        return 0;
    }
    if (d->f.kind == ASER_FRAMING_IDLE && idle_due(d, now_us, ev)) {
        *got = true;
        return 0;
    }
    size_t i = 0;
    while (i < n) {
        if (d->f.kind == ASER_FRAMING_DELIMS && d->scan == d->len) {
            i += delims_run(d, in + i, n - i);
            if (!d->skipping && d->scan > d->f.max) {
                *got = delims_overlong(d, ev);
                break;
            }
            if (i == n) break;
        }
        d->held++;
        if (step(d, in[i++], now_us, ev)) {
            *got = true;
            break;
        }
    }
    return i;
}

bool aser__frdec_tick(aser_frdec *d, uint64_t now_us, aser_frev *ev)
{
    if (d->f.kind != ASER_FRAMING_IDLE) return false;
    apply_shift(d);
    return idle_due(d, now_us, ev);
}

uint64_t aser__frdec_due(const aser_frdec *d)
{
    if (d->f.kind != ASER_FRAMING_IDLE || !idle_in_progress(d)) return 0;
    return d->last_us + d->f.gap_us;
}

size_t aser__frdec_take_junk(aser_frdec *d)
{
    size_t j = d->junk;
    d->junk = 0;
    d->held -= j;
    return j;
}

/* ---------------------------------------------------------------------- */
/* Encoders                                                                */
/* ---------------------------------------------------------------------- */

static ssize_t slip_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t o = 0;
#define PUT(x)                             \
    do {                                   \
        if (o == cap) return ASER_ENOBUFS; \
        out[o++] = (uint8_t)(x);           \
    } while (0)
    PUT(ASER_SLIP_END); /* RFC 1055: flushes line noise at the receiver */
    for (size_t i = 0; i < n; i++) {
        if (in[i] == ASER_SLIP_END) {
            PUT(ASER_SLIP_ESC);
            PUT(ASER_SLIP_ESC_END);
        } else if (in[i] == ASER_SLIP_ESC) {
            PUT(ASER_SLIP_ESC);
            PUT(ASER_SLIP_ESC_ESC);
        } else {
            PUT(in[i]);
        }
    }
    PUT(ASER_SLIP_END);
    return (ssize_t)o;
}

/* Each block: a code byte k (1..255) then k - 1 non-zero bytes; k < 255
 * implies a zero after the block, except at the end of the frame. A full
 * block (254 bytes) implies none, and when it ends the data no empty block
 * follows. */
static ssize_t cobs_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t o = 0, code_at = 0;
    uint8_t code = 1;
    PUT(0); /* the first code byte, filled in when its block closes */
    for (size_t i = 0; i < n; i++) {
        if (in[i] != 0) {
            PUT(in[i]);
            code++;
        }
        if (in[i] == 0 || (code == 0xFF && i + 1 < n)) {
            out[code_at] = code;
            code_at = o;
            PUT(0);
            code = 1;
        }
    }
    out[code_at] = code;
    PUT(0);
#undef PUT
    return (ssize_t)o;
}

ssize_t aser_framer_encode(const aser_framer *f, const void *data, size_t len, void *out,
                           size_t cap)
{
    if (!f || (!data && len) || !out) return ASER_EINVAL;
    if (aser__framer_check(f, NULL) < 0) return ASER_EINVAL;
    switch (f->kind) {
    case ASER_FRAMING_SLIP: return slip_encode(data, len, out, cap);
    case ASER_FRAMING_COBS: return cobs_encode(data, len, out, cap);
    case ASER_FRAMING_DELIMS:
        if (len + f->delim_len[0] > cap) return ASER_ENOBUFS;
        if (len) memcpy(out, data, len);
        memcpy((uint8_t *)out + len, f->delim[0], f->delim_len[0]);
        return (ssize_t)(len + f->delim_len[0]);
    default: return ASER_ENOTSUP;
    }
}
