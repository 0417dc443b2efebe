/* test-framer.c: the frame decoders and encoders, src/codec/framer.c.
 *
 * Every input is fed whole, one byte at a time and split in two at every
 * offset, from a buffer that ends at an unreadable page; the event logs
 * must match, and the raw accounting must add up (every byte fed is
 * either still held or accounted for by an event or released as junk).
 * Log: F<hex> a frame, E<code> a dropped bad frame, tokens space-separated.
 */
#include "codec/framer.h"

#include "aserial.h"
#include "../test.h"

typedef struct rec {
    char log[1 << 16];
    size_t n;
} rec;

#include "codec-test.h"

/* A decoder with its own buffer. */
typedef struct dec {
    aser_frdec d;
    uint8_t buf[1 << 12];
    size_t fed, accounted;
} dec;

static void dec_init(dec *x, const aser_framer *f)
{
    aser_framer g = *f;
    if (!g.max) g.max = 64;
    CHECK(aser__framer_check(&g, NULL) == 0);
    CHECK(aser__frdec_buf_size(&g) <= sizeof x->buf);
    aser__frdec_init(&x->d, &g, x->buf, sizeof x->buf);
    x->fed = x->accounted = 0;
}

static void log_ev(rec *r, const aser_frev *ev)
{
    if (r->n) logf_(r, " ");
    if (ev->status == 0) {
        logf_(r, "F");
        log_hex(r, ev->data, ev->len);
    } else {
        CHECK(ev->msg && *ev->msg);
        logf_(r, "E%d", ev->status);
    }
}

/* Feed n bytes at time now, logging every event, releasing junk. */
static void feed(dec *x, rec *r, const uint8_t *in, size_t n, uint64_t now)
{
    size_t off = 0;
    for (;;) {
        aser_frev ev;
        bool got;
        size_t k = aser__frdec_feed(&x->d, in + off, n - off, now, &ev, &got);
        off += k;
        x->fed += k;
        if (got) {
            log_ev(r, &ev);
            x->accounted += ev.used;
        }
        x->accounted += aser__frdec_take_junk(&x->d);
        CHECK_EQ(x->fed, x->accounted + aser__frdec_held(&x->d));
        if (!got && off == n) break;
    }
}

/* Feed in whole, one byte at a time, and split at every offset; the logs
 * must be equal; returns the log (free it). */
static rec *feed_all_ways(const aser_framer *f, const uint8_t *in, size_t n)
{
    void *map;
    size_t maplen;
    const uint8_t *g = guarded(in, n, &map, &maplen);
    dec *x = calloc(1, sizeof *x);
    rec *whole = calloc(1, sizeof *whole), *r = calloc(1, sizeof *r);
    CHECK(x && whole && r);
    dec_init(x, f);
    feed(x, whole, g, n, 0);
    dec_init(x, f);
    for (size_t i = 0; i < n; i++) feed(x, r, g + i, 1, 0);
    CHECK_STR(r->log, whole->log);
    for (size_t cut = 1; cut < n; cut++) {
        memset(r, 0, sizeof *r);
        dec_init(x, f);
        feed(x, r, g, cut, 0);
        feed(x, r, g + cut, n - cut, 0);
        CHECKM(strcmp(r->log, whole->log) == 0, "cut %zu: %s != %s", cut, r->log, whole->log);
    }
    free(r);
    free(x);
    munmap(map, maplen);
    return whole;
}

#define EXPECT(f, input, expected)                                               \
    do {                                                                         \
        rec *r_ = feed_all_ways(f, (const uint8_t *)(input), sizeof(input) - 1); \
        CHECK_STR(r_->log, expected);                                            \
        free(r_);                                                                \
    } while (0)

/* ---- initialisers ------------------------------------------------------- */

TEST(framer, initialisers_check_their_arguments)
{
    aser_framer f;
    (void)append; /* codec-test.h's, unused here */
    CHECK_EQ(aser_framer_delims(&f, (const char *[]){"\r\n", "\n"}, 2, false), 0);
    CHECK_EQ(f.kind, ASER_FRAMING_DELIMS);
    CHECK_EQ(f.ndelims, 2);
    CHECK_EQ(f.delim_len[0], 2);
    CHECK_EQ(aser_framer_delims(&f, (const char *[]){""}, 1, false), ASER_EINVAL);
    CHECK_EQ(aser_framer_delims(&f, (const char *[]){"123456789"}, 1, false), ASER_EINVAL);
    CHECK_EQ(aser_framer_delims(&f, (const char *[]){"a", "b", "c", "d", "e"}, 5, false),
             ASER_EINVAL);
    CHECK_EQ(aser_framer_idle(&f, 0), ASER_EINVAL);
    CHECK_EQ(aser_framer_fixed(&f, 0), ASER_EINVAL);
    CHECK_EQ(aser_framer_length(&f, 0, 3, true, 0), ASER_EINVAL);
    CHECK_EQ(aser_framer_slip(NULL), ASER_EINVAL);
    const char *why = NULL;
    CHECK_EQ(aser_framer_length(&f, 4, 2, true, 0), 0);
    f.max = 5;
    CHECK_EQ(aser__framer_check(&f, &why), ASER_EINVAL);
    CHECK_CONTAINS(why, "smaller than the header");
    memset(&f, 0, sizeof f);
    CHECK_EQ(aser__framer_check(&f, &why), ASER_EINVAL);
    CHECK_CONTAINS(why, "aser_framer_");
}

TEST(framer, modbus_rtu_gap_is_3_5_characters)
{
    aser_config cfg = ASER_CONFIG_DEFAULT;
    aser_framer f;
    cfg.baud = 9600; /* 8N1: 10 bits, 3.5 chars = 35 bits = 3645.8 us */
    CHECK_EQ(aser_framer_modbus_rtu(&f, &cfg), 0);
    CHECK_EQ(f.kind, ASER_FRAMING_IDLE);
    CHECK_EQ(f.gap_us, 3646);
    CHECK_EQ(f.max, 256);
    cfg.parity = ASER_PARITY_EVEN; /* 8E1: 11 bits, 38.5 bits = 4010.4 us */
    CHECK_EQ(aser_framer_modbus_rtu(&f, &cfg), 0);
    CHECK_EQ(f.gap_us, 4011);
    cfg.parity = ASER_PARITY_NONE;
    cfg.stop_bits = ASER_STOP_2; /* 8N2 at 19200: 11 bits -> 2005.2 us */
    cfg.baud = 19200;
    CHECK_EQ(aser_framer_modbus_rtu(&f, &cfg), 0);
    CHECK_EQ(f.gap_us, 2006);
    cfg.baud = 38400; /* above 19200: fixed 1750 us */
    CHECK_EQ(aser_framer_modbus_rtu(&f, &cfg), 0);
    CHECK_EQ(f.gap_us, 1750);
    cfg.data_bits = 7; /* 7N1 at 1200 */
    cfg.stop_bits = ASER_STOP_1;
    cfg.baud = 1200; /* 9 bits: 31.5 bits = 26250 us */
    CHECK_EQ(aser_framer_modbus_rtu(&f, &cfg), 0);
    CHECK_EQ(f.gap_us, 26250);
}

/* ---- DELIMS --------------------------------------------------------------- */

TEST(framer, delims_longest_match_wins)
{
    aser_framer f;
    CHECK_EQ(aser_framer_delims(&f, (const char *[]){"\r\n", "\n", "\r"}, 3, false), 0);
    /* "\r\n" is one delimiter; "\r" alone and "\n" alone end frames too */
    EXPECT(&f, "ab\r\ncd\ref\ngh\r\n", "F6162 F6364 F6566 F6768");
    /* "\n\r": two delimiters, an empty frame between them */
    EXPECT(&f, "a\n\rb\r\n", "F61 F F62");
    /* a trailing "\r" waits: it may be the start of "\r\n" */
    EXPECT(&f, "a\r", "");
    EXPECT(&f, "a\r\r", "F61");
    f.keep_delim = true;
    EXPECT(&f, "ab\r\ncd\ref\nx", "F61620d0a F63640d F65660a");
}

TEST(framer, delims_carried_bytes_can_hold_frames)
{
    /* "\r" decided only when "\r\nXY" fails at '!': the carried "\nX!"
     * then holds an empty frame ended by "\n" */
    aser_framer f;
    CHECK_EQ(aser_framer_delims(&f, (const char *[]){"\r\nXY", "\r", "\n"}, 3, false), 0);
    EXPECT(&f, "a\r\nX!\n", "F61 F F5821");
    EXPECT(&f, "a\r\nXYb\n", "F61 F62");
}

TEST(framer, delims_overlong_is_reported_once_and_skipped)
{
    aser_framer f;
    CHECK_EQ(aser_framer_delims(&f, (const char *[]){"\r\n"}, 1, false), 0);
    f.max = 4;
    EXPECT(&f, "abcd\r\nabcde\r\nxy\r\n", "F61626364 E-105 F7879");
    /* a long run without a delimiter: one error, bounded buffering */
    uint8_t in[3000];
    memset(in, 'z', sizeof in);
    memcpy(in + sizeof in - 5, "\r\nA\r\n", 5);
    rec *r = feed_all_ways(&f, in, sizeof in);
    CHECK_STR(r->log, "E-105 F41");
    free(r);
    /* a partial delimiter at the limit is not overlong yet */
    EXPECT(&f, "abcd\r", "");
    EXPECT(&f, "abcdx", "E-105");
}

TEST(framer, delims_binary_delimiter)
{
    aser_framer f = {
        .kind = ASER_FRAMING_DELIMS, .ndelims = 1, .delim_len = {2}, .delim = {{0x00, 0xFF}}};
    EXPECT(&f, "\x01\x00\x02\x00\xff\x03\x00\xff", "F010002 F03");
    uint8_t out[16];
    CHECK_EQ(aser_framer_encode(&f, "\x05", 1, out, sizeof out), 3);
    CHECK_MEM(out, "\x05\x00\xff", 3);
    CHECK_EQ(aser_framer_encode(&f, "\x05", 1, out, 2), ASER_ENOBUFS);
}

/* ---- FIXED and LENGTH ---------------------------------------------------- */

TEST(framer, fixed)
{
    aser_framer f;
    CHECK_EQ(aser_framer_fixed(&f, 3), 0);
    EXPECT(&f, "abcdefgh", "F616263 F646566");
    CHECK_EQ(aser_framer_fixed(&f, 1), 0);
    EXPECT(&f, "ab", "F61 F62");
}

TEST(framer, length_field_widths_orders_adjustment)
{
    aser_framer f;
    /* 1 byte at offset 0 counting the payload */
    CHECK_EQ(aser_framer_length(&f, 0, 1, false, 0), 0);
    EXPECT(&f,
           "\x02"
           "ab\x00\x01z",
           "F026162 F00 F017a");
    /* a type byte, then a 2-byte length of the payload, both orders */
    CHECK_EQ(aser_framer_length(&f, 1, 2, true, 0), 0);
    EXPECT(&f, "T\x00\x03xyzT\x00\x00", "F54000378797a F540000");
    CHECK_EQ(aser_framer_length(&f, 1, 2, false, 0), 0);
    EXPECT(&f, "T\x02\x00xy", "F5402007879");
}

TEST(framer, length_field_bad_values)
{
    aser_framer f;
    /* 4-byte little-endian length that counts the header (adjust -4) */
    CHECK_EQ(aser_framer_length(&f, 0, 4, false, -4), 0);
    f.max = 8;
    EXPECT(&f,
           "\x06\x00\x00\x00"
           "ab",
           "F060000006162");
    /* shorter than the header: EPROTO, the header is dropped */
    EXPECT(&f, "\x02\x00\x00\x00\x05\x00\x00\x00z", "E-71 F050000007a");
    /* over max: ENOBUFS, the declared frame is skipped */
    EXPECT(&f,
           "\x0a\x00\x00\x00"
           "abcdef\x04\x00\x00\x00",
           "E-105 F04000000");
    /* a huge declared length: one error, nothing buffered */
    EXPECT(&f,
           "\xff\xff\xff\xff"
           "abc",
           "E-105");
}

/* ---- SLIP ---------------------------------------------------------------- */

TEST(framer, slip_decode)
{
    aser_framer f;
    CHECK_EQ(aser_framer_slip(&f), 0);
    EXPECT(&f,
           "\xc0"
           "ab\xc0",
           "F6162");
    EXPECT(&f,
           "a\xdb\xdc"
           "b\xdb\xdd\xc0",
           "F61c062db");
    /* empty frames (END END) are skipped */
    EXPECT(&f,
           "\xc0\xc0\xc0"
           "x\xc0\xc0",
           "F78");
    /* a bad escape: EPROTO, dropped to END; the next frame is fine */
    EXPECT(&f,
           "a\xdb"
           "zbc\xc0"
           "ok\xc0",
           "E-71 F6f6b");
    /* ESC END: EPROTO, and the END still ends it */
    EXPECT(&f,
           "a\xdb\xc0"
           "ok\xc0",
           "E-71 F6f6b");
}

TEST(framer, slip_overlong)
{
    aser_framer f;
    CHECK_EQ(aser_framer_slip(&f), 0);
    f.max = 3;
    EXPECT(&f,
           "abc\xc0"
           "abcd\xc0"
           "z\xc0",
           "F616263 E-105 F7a");
    /* an escaped byte counts once */
    EXPECT(&f, "\xdb\xdc\xdb\xdc\xdb\xdc\xc0", "Fc0c0c0");
}

TEST(framer, slip_encode_roundtrip)
{
    aser_framer f;
    CHECK_EQ(aser_framer_slip(&f), 0);
    uint8_t data[256], out[600];
    for (int i = 0; i < 256; i++) data[i] = (uint8_t)i;
    ssize_t n = aser_framer_encode(&f, data, sizeof data, out, sizeof out);
    CHECK_EQ(n, 256 + 2 + 2);
    CHECK_EQ(out[0], 0xC0);
    CHECK_EQ(out[n - 1], 0xC0);
    CHECK_EQ(aser_framer_encode(&f, data, sizeof data, out, 259), ASER_ENOBUFS);
    f.max = 256;
    rec *r = feed_all_ways(&f, out, (size_t)n);
    rec want = {0};
    logf_(&want, "F");
    log_hex(&want, data, sizeof data);
    CHECK_STR(r->log, want.log);
    free(r);
    uint8_t e[8];
    CHECK_EQ(aser_framer_encode(&f, NULL, 0, e, sizeof e), 2);
}

/* ---- COBS ----------------------------------------------------------------- */

/* Encode data, check the encoding if want is given, decode it back. */
static void cobs_roundtrip(const uint8_t *data, size_t n, const uint8_t *want, size_t wn)
{
    aser_framer f;
    CHECK_EQ(aser_framer_cobs(&f), 0);
    uint8_t out[1200];
    ssize_t k = aser_framer_encode(&f, data, n, out, sizeof out);
    CHECK(k > 0 && (size_t)k <= n + n / 254 + 2);
    CHECK_EQ(out[k - 1], 0);
    for (ssize_t i = 0; i < k - 1; i++) CHECK(out[i] != 0);
    if (want) {
        CHECK_EQ(k, wn);
        CHECK_MEM(out, want, wn);
    }
    CHECK_EQ(aser_framer_encode(&f, data, n, out, (size_t)k - 1), ASER_ENOBUFS);
    f.max = n ? n : 1;
    rec *r = feed_all_ways(&f, out, (size_t)k);
    rec *w = calloc(1, sizeof *w);
    CHECK(w);
    logf_(w, "F");
    log_hex(w, data, n);
    CHECK_STR(r->log, w->log);
    free(w);
    free(r);
}

TEST(framer, cobs_known_encodings)
{
    /* the examples of the COBS paper / the usual reference vectors */
    cobs_roundtrip((const uint8_t *)"", 0, (const uint8_t *)"\x01\x00", 2);
    cobs_roundtrip((const uint8_t *)"\x00", 1, (const uint8_t *)"\x01\x01\x00", 3);
    cobs_roundtrip((const uint8_t *)"\x00\x00", 2, (const uint8_t *)"\x01\x01\x01\x00", 4);
    cobs_roundtrip((const uint8_t *)"\x11\x22\x00\x33", 4,
                   (const uint8_t *)"\x03\x11\x22\x02\x33\x00", 6);
    cobs_roundtrip((const uint8_t *)"\x11\x00\x00\x00", 4,
                   (const uint8_t *)"\x02\x11\x01\x01\x01\x00", 6);
}

TEST(framer, cobs_runs_at_254)
{
    uint8_t d[600], want[700];
    /* 254 non-zero bytes: one full block, no empty block after it */
    for (int i = 0; i < 254; i++) d[i] = (uint8_t)(i + 1);
    want[0] = 0xFF;
    memcpy(want + 1, d, 254);
    want[255] = 0;
    cobs_roundtrip(d, 254, want, 256);
    /* 255: a full block then a block of one */
    d[254] = 0xFF;
    want[255] = 0x02;
    want[256] = 0xFF;
    want[257] = 0;
    cobs_roundtrip(d, 255, want, 258);
    /* 254 then a zero: FF block, then 01 (the zero), then 01 */
    d[254] = 0;
    memcpy(want + 255, "\x01\x01\x00", 3);
    cobs_roundtrip(d, 255, want, 258);
    /* a zero then 254: 01, FF block */
    d[0] = 0;
    for (int i = 1; i < 255; i++) d[i] = (uint8_t)i;
    want[0] = 1;
    want[1] = 0xFF;
    memcpy(want + 2, d + 1, 254);
    want[256] = 0;
    cobs_roundtrip(d, 255, want, 257);
    /* 253, 255, 508, 509 non-zero bytes and mixed runs */
    for (int i = 0; i < 600; i++) d[i] = (uint8_t)(i % 7 ? i : 1);
    size_t sizes[] = {253, 255, 508, 509, 600};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        cobs_roundtrip(d, sizes[i], NULL, 0);
    for (int i = 0; i < 600; i++) d[i] = (uint8_t)(i % 300 == 299 ? 0 : 1);
    cobs_roundtrip(d, 600, NULL, 0);
}

TEST(framer, cobs_bad_input)
{
    aser_framer f;
    CHECK_EQ(aser_framer_cobs(&f), 0);
    /* lone zeros are nothing; a block cut by 0x00 is EPROTO */
    EXPECT(&f,
           "\x00\x00\x03"
           "a\x00\x02"
           "b\x00",
           "E-71 F62");
    f.max = 2;
    EXPECT(&f,
           "\x04"
           "abc\x00\x02"
           "x\x00",
           "E-105 F78");
    /* the owed zero counts too */
    EXPECT(&f,
           "\x03"
           "ab\x01\x00\x01\x01\x00",
           "E-105 F00");
}

/* ---- IDLE ------------------------------------------------------------------- */

TEST(framer, idle_gap_ends_frames)
{
    aser_framer f;
    CHECK_EQ(aser_framer_idle(&f, 1000), 0);
    f.max = 4;
    dec x;
    rec r = {0};
    dec_init(&x, &f);
    feed(&x, &r, (const uint8_t *)"ab", 2, 10000);
    feed(&x, &r, (const uint8_t *)"c", 1, 10999); /* within the gap */
    CHECK_EQ(aser__frdec_due(&x.d), 11999);
    aser_frev ev;
    CHECK(!aser__frdec_tick(&x.d, 11998, &ev));
    CHECK(aser__frdec_tick(&x.d, 11999, &ev));
    log_ev(&r, &ev);
    x.accounted += ev.used;
    CHECK_EQ(aser__frdec_due(&x.d), 0);
    /* bytes after a gap end the frame before them, without a tick */
    feed(&x, &r, (const uint8_t *)"d", 1, 20000);
    feed(&x, &r, (const uint8_t *)"e", 1, 21000);
    /* overlong: one error, the rest dropped up to the gap */
    feed(&x, &r, (const uint8_t *)"vwxyz12", 7, 30000);
    feed(&x, &r, (const uint8_t *)"34", 2, 30500);
    feed(&x, &r, (const uint8_t *)"ok", 2, 40000);
    CHECK(aser__frdec_tick(&x.d, 41000, &ev));
    log_ev(&r, &ev);
    CHECK_STR(r.log, "F616263 F64 F65 E-105 F6f6b");
}

/* IDLE, whole and byte by byte: segments separated by silences (ticks)
 * give the same frames however each segment is cut. */
static void idle_run(rec *r, bool bytewise)
{
    static const char *const segs[] = {"abc", "defghij", "", "k", "lmnopqrstu", "vw"};
    aser_framer f;
    CHECK_EQ(aser_framer_idle(&f, 500), 0);
    f.max = 6;
    dec x;
    dec_init(&x, &f);
    uint64_t now = 1000;
    for (size_t i = 0; i < sizeof segs / sizeof segs[0]; i++) {
        size_t n = strlen(segs[i]);
        if (bytewise)
            for (size_t k = 0; k < n; k++) feed(&x, r, (const uint8_t *)segs[i] + k, 1, now);
        else
            feed(&x, r, (const uint8_t *)segs[i], n, now);
        now += 600;
        aser_frev ev;
        if (aser__frdec_tick(&x.d, now, &ev)) {
            log_ev(r, &ev);
            x.accounted += ev.used;
        }
        CHECK_EQ(x.fed, x.accounted + aser__frdec_held(&x.d));
    }
}

TEST(framer, idle_whole_and_byte_by_byte)
{
    rec *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    CHECK(a && b);
    idle_run(a, false);
    idle_run(b, true);
    CHECK_STR(a->log, "F616263 E-105 F6b E-105 F7677");
    CHECK_STR(b->log, a->log);
    free(a);
    free(b);
}
