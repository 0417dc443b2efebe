/* test-telnet.c: the telnet codec (RFC 854, 855, 1143), src/codec/telnet.c.
 *
 * Every input is fed whole, one byte at a time and split at every offset
 * (picohttpparser style), from a buffer that ends at an unreadable page,
 * and the event logs must match. Logs are text: consecutive DATA and SEND
 * events are merged, so only the split of data into events may differ.
 *   D<hex>  data        S<hex>  bytes to send   B<opt>:<hex>  subnegotiation
 *   O<opt><L|R><0|1>    option settled          C<cmd>  command
 *   E<code>             error
 */
#include "codec/telnet.h"

#include "aserial.h"
#include "../test.h"

#include <stdarg.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- recorder ----------------------------------------------------------- */

typedef struct rec {
    char log[1 << 17];
    size_t n;
    int last; /* type of the last event logged, -1 after a token closed */
    uint8_t data[1 << 16];
    size_t ndata;
    uint8_t sent[1 << 16];
    size_t nsent;
    int errors, options;
} rec;

#include "codec-test.h"

static void on_event(aser_telnet *t, const aser_telnet_event *ev, void *ud)
{
    rec *r = ud;
    (void)t;
    bool merge = (int)ev->type == r->last &&
                 (ev->type == ASER_TELNET_EV_DATA || ev->type == ASER_TELNET_EV_SEND);
    if (!merge && r->n) logf_(r, " ");
    r->last = (int)ev->type;
    switch (ev->type) {
    case ASER_TELNET_EV_DATA:
        CHECK(ev->len > 0);
        logf_(r, "%s", merge ? "" : "D");
        log_hex(r, ev->data, ev->len);
        append(r->data, &r->ndata, sizeof r->data, ev->data, ev->len);
        break;
    case ASER_TELNET_EV_SEND:
        CHECK(ev->len > 0);
        logf_(r, "%s", merge ? "" : "S");
        log_hex(r, ev->data, ev->len);
        append(r->sent, &r->nsent, sizeof r->sent, ev->data, ev->len);
        break;
    case ASER_TELNET_EV_OPTION:
        logf_(r, "O%u%c%d", ev->opt, ev->side == ASER_TELNET_LOCAL ? 'L' : 'R', ev->enabled);
        r->options++;
        break;
    case ASER_TELNET_EV_SB:
        logf_(r, "B%u:", ev->opt);
        log_hex(r, ev->data, ev->len);
        break;
    case ASER_TELNET_EV_CMD: logf_(r, "C%u", ev->cmd); break;
    case ASER_TELNET_EV_ERROR:
        CHECK(ev->code < 0 && ev->msg && *ev->msg);
        logf_(r, "E%d", ev->code);
        r->errors++;
        break;
    }
}

typedef void (*setup_fn)(aser_telnet *t);

static rec *rec_new(void)
{
    rec *r = calloc(1, sizeof *r);
    CHECK(r);
    r->last = -1;
    return r;
}

/* Reset codec t to log into r (emptied), set up by fn (may be NULL).
 * The events of set-up are not logged. */
static void codec_reset(aser_telnet *t, rec *r, setup_fn fn)
{
    aser__telnet_init(t, on_event, r);
    if (fn) fn(t);
    memset(r, 0, sizeof *r);
    r->last = -1;
}

/* A fresh codec logging into a fresh recorder (free it). */
static rec *codec_new(aser_telnet *t, setup_fn fn)
{
    rec *r = rec_new();
    codec_reset(t, r, fn);
    return r;
}


/* Feed in whole; one byte at a time; and (when n <= 600) split in two at
 * every offset. All logs must equal the whole one, which is returned. */
static rec *feed_all_ways(const uint8_t *in, size_t n, setup_fn fn)
{
    void *map;
    size_t maplen;
    const uint8_t *g = guarded(in, n, &map, &maplen);
    aser_telnet t;
    rec *whole = codec_new(&t, fn);
    aser__telnet_recv(&t, g, n);
    rec *r = codec_new(&t, fn);
    for (size_t i = 0; i < n; i++) aser__telnet_recv(&t, g + i, 1);
    CHECK_STR(r->log, whole->log);
    for (size_t cut = 1; n <= 600 && cut < n; cut++) {
        codec_reset(&t, r, fn);
        aser__telnet_recv(&t, g, cut);
        aser__telnet_recv(&t, g + cut, n - cut);
        CHECKM(strcmp(r->log, whole->log) == 0, "cut %zu: %s != %s", cut, r->log, whole->log);
    }
    free(r);
    munmap(map, maplen);
    return whole;
}

/* The log of feeding in (every way) into a codec set up by fn. */
#define EXPECT_LOG(fn, expected, ...)                 \
    do {                                              \
        static const uint8_t in_[] = {__VA_ARGS__};   \
        rec *r_ = feed_all_ways(in_, sizeof in_, fn); \
        CHECK_STR(r_->log, expected);                 \
        free(r_);                                     \
    } while (0)

#define IAC 255
#define SB 250
#define SE 240
#define WILL 251
#define WONT 252
#define DO 253
#define DONT 254

static void accept_basic(aser_telnet *t)
{
    aser__telnet_accept(t, 0, ASER_TELNET_LOCAL, true);
    aser__telnet_accept(t, 0, ASER_TELNET_REMOTE, true);
    aser__telnet_accept(t, 44, ASER_TELNET_LOCAL, true);
    aser__telnet_accept(t, 44, ASER_TELNET_REMOTE, true);
}

/* ---- data and IAC doubling ----------------------------------------------- */

TEST(telnet, plain_data)
{
    EXPECT_LOG(NULL, "D68656c6c6f", 'h', 'e', 'l', 'l', 'o');
    EXPECT_LOG(NULL, "D0d000d0a", '\r', 0, '\r', '\n'); /* binary: no CR handling */
}

TEST(telnet, iac_iac_receive_all_256_values)
{
    uint8_t in[512], want[256];
    size_t n = 0;
    for (unsigned v = 0; v < 256; v++) {
        want[v] = (uint8_t)v;
        in[n++] = (uint8_t)v;
        if (v == 255) in[n++] = 255;
    }
    rec *r = feed_all_ways(in, n, NULL);
    CHECK_EQ(r->ndata, 256);
    CHECK_MEM(r->data, want, 256);
    CHECK_EQ(r->errors, 0);
    CHECK_EQ(r->nsent, 0);
    free(r);
    /* a run of doubled IACs only */
    EXPECT_LOG(NULL, "Dffffff", IAC, IAC, IAC, IAC, IAC, IAC);
    EXPECT_LOG(NULL, "D41ff42ff", 'A', IAC, IAC, 'B', IAC, IAC);
}

TEST(telnet, iac_doubling_send_all_256_values)
{
    uint8_t in[256];
    for (unsigned v = 0; v < 256; v++) in[v] = (uint8_t)v;
    aser_telnet t;
    rec *r = codec_new(&t, NULL);
    aser__telnet_send_data(&t, in, sizeof in);
    CHECK_EQ(r->nsent, 257);
    CHECK_MEM(r->sent, in, 255);
    CHECK_EQ(r->sent[255], 255);
    CHECK_EQ(r->sent[256], 255);
    uint8_t esc[512];
    CHECK_EQ(aser__telnet_escape(esc, in, sizeof in), 257);
    CHECK_MEM(esc, r->sent, 257);
    /* what was sent reads back as the original, every way */
    rec *back = feed_all_ways(r->sent, r->nsent, NULL);
    CHECK_EQ(back->ndata, 256);
    CHECK_MEM(back->data, in, 256);
    free(back);
    free(r);
}

TEST(telnet, iac_doubling_runs_of_ff)
{
    static const uint8_t ff[5] = {255, 255, 255, 255, 255};
    for (size_t n = 0; n <= sizeof ff; n++) {
        aser_telnet t;
        rec *r = codec_new(&t, NULL);
        aser__telnet_send_data(&t, ff, n);
        CHECK_EQ(r->nsent, 2 * n);
        for (size_t i = 0; i < r->nsent; i++) CHECK_EQ(r->sent[i], 255);
        free(r);
    }
}

/* xorshift: deterministic pseudo-random bytes, rich in 0xFF. */
static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

TEST(telnet, roundtrip_random_buffers)
{
    uint32_t seed = 12345;
    for (int round = 0; round < 200; round++) {
        uint8_t in[300], esc[600];
        size_t n = rnd(&seed) % sizeof in;
        for (size_t i = 0; i < n; i++) {
            uint32_t x = rnd(&seed);
            in[i] = (x & 3) == 0 ? 255 : (uint8_t)(x >> 8);
        }
        size_t m = aser__telnet_escape(esc, in, n);
        aser_telnet t;
        rec *r = codec_new(&t, NULL);
        /* random splits */
        for (size_t i = 0; i < m;) {
            size_t k = 1 + rnd(&seed) % 7;
            if (k > m - i) k = m - i;
            aser__telnet_recv(&t, esc + i, k);
            i += k;
        }
        CHECK_EQ(r->ndata, n);
        CHECK(n == 0 || memcmp(r->data, in, n) == 0);
        free(r);
    }
}

/* ---- option negotiation (RFC 1143) ----------------------------------------- */

TEST(telnet, accepts_and_refuses)
{
    /* accepted: answered once, settled; refused: DONT / WONT, no event */
    EXPECT_LOG(accept_basic, "Sfffd00 O0R1", IAC, WILL, 0);
    EXPECT_LOG(accept_basic, "Sfffb2c O44L1", IAC, DO, 44);
    EXPECT_LOG(accept_basic, "Sfffe01", IAC, WILL, 1);
    EXPECT_LOG(accept_basic, "Sfffc01", IAC, DO, 1);
    /* WONT / DONT for an option that is off: silence (no loop) */
    EXPECT_LOG(accept_basic, "", IAC, WONT, 0, IAC, DONT, 0, IAC, WONT, 1);
    /* enabled, then the peer turns it off: acknowledged once */
    EXPECT_LOG(accept_basic, "Sfffd00 O0R1 Sfffe00 O0R0", IAC, WILL, 0, IAC, WONT, 0);
}

TEST(telnet, will_do_storm_answered_once)
{
    uint8_t in[3 * 2000];
    size_t n = 0;
    for (int i = 0; i < 1000; i++) {
        in[n++] = IAC, in[n++] = WILL, in[n++] = 0;
        in[n++] = IAC, in[n++] = DO, in[n++] = 44;
    }
    rec *r = feed_all_ways(in, n, accept_basic);
    CHECK_STR(r->log, "Sfffd00 O0R1 Sfffb2c O44L1");
    free(r);
}

TEST(telnet, storm_over_all_options_is_bounded)
{
    /* WILL and DO for all 256 options, three times over: the accepted
     * ones are answered once, refusals once per request, never more. */
    static uint8_t in[3 * 3 * 2 * 256];
    size_t n = 0;
    for (int rep = 0; rep < 3; rep++)
        for (unsigned o = 0; o < 256; o++) {
            in[n++] = IAC, in[n++] = WILL, in[n++] = (uint8_t)o;
            in[n++] = IAC, in[n++] = DO, in[n++] = (uint8_t)o;
        }
    rec *r = feed_all_ways(in, n, accept_basic);
    CHECK_EQ(r->options, 4);
    /* 4 acceptances + 3 * 2 * 254 refusals, 3 bytes each */
    CHECK_EQ(r->nsent, 3 * (4 + 3 * 2 * 254));
    CHECK_EQ(r->errors, 0);
    free(r);
}

TEST(telnet, request_once_then_idempotent)
{
    aser_telnet t;
    rec *r = codec_new(&t, NULL);
    aser__telnet_request(&t, 0, ASER_TELNET_LOCAL, true);
    aser__telnet_request(&t, 0, ASER_TELNET_LOCAL, true); /* in flight: nothing */
    static const uint8_t do0[] = {IAC, DO, 0};
    aser__telnet_recv(&t, do0, 3);
    aser__telnet_request(&t, 0, ASER_TELNET_LOCAL, true); /* already on: nothing */
    aser__telnet_recv(&t, do0, 3);                        /* repeated DO: silence */
    CHECK_STR(r->log, "Sfffb00 O0L1");
    CHECK(aser__telnet_enabled(&t, 0, ASER_TELNET_LOCAL));
    CHECK(!aser__telnet_enabled(&t, 0, ASER_TELNET_REMOTE));
    free(r);
}

TEST(telnet, request_refused_settles_off)
{
    aser_telnet t;
    rec *r = codec_new(&t, NULL);
    aser__telnet_request(&t, 44, ASER_TELNET_REMOTE, true);
    static const uint8_t wont[] = {IAC, WONT, 44};
    aser__telnet_recv(&t, wont, 3);
    aser__telnet_recv(&t, wont, 3);
    CHECK_STR(r->log, "Sfffd2c O44R0");
    CHECK(!aser__telnet_enabled(&t, 44, ASER_TELNET_REMOTE));
    free(r);
}

/* libtelnet 0.21 loses this queued request (it never sends the DO). */
TEST(telnet, queued_opposite_request_is_sent)
{
    aser_telnet t;
    rec *r = codec_new(&t, accept_basic);
    static const uint8_t will[] = {IAC, WILL, 0}, wont[] = {IAC, WONT, 0};
    aser__telnet_recv(&t, will, 3);                         /* YES */
    aser__telnet_request(&t, 0, ASER_TELNET_REMOTE, false); /* WANTNO, DONT */
    aser__telnet_request(&t, 0, ASER_TELNET_REMOTE, true);  /* queued */
    aser__telnet_recv(&t, wont, 3);                         /* -> WANTYES, DO */
    aser__telnet_recv(&t, will, 3);                         /* -> YES */
    CHECK_STR(r->log, "Sfffd00 O0R1 Sfffe00fffd00 O0R1");
    CHECK(aser__telnet_enabled(&t, 0, ASER_TELNET_REMOTE));
    free(r);
}

TEST(telnet, queued_request_cancelled)
{
    aser_telnet t;
    rec *r = codec_new(&t, NULL);
    static const uint8_t will[] = {IAC, WILL, 0}, wont[] = {IAC, WONT, 0};
    aser__telnet_request(&t, 0, ASER_TELNET_REMOTE, true);  /* WANTYES, DO */
    aser__telnet_request(&t, 0, ASER_TELNET_REMOTE, false); /* queue disable */
    aser__telnet_request(&t, 0, ASER_TELNET_REMOTE, true);  /* unqueue */
    aser__telnet_recv(&t, will, 3);
    CHECK_STR(r->log, "Sfffd00 O0R1");
    /* WANTYES with a queued disable: WILL is followed by DONT */
    codec_reset(&t, r, NULL);
    aser__telnet_request(&t, 0, ASER_TELNET_REMOTE, true);
    aser__telnet_request(&t, 0, ASER_TELNET_REMOTE, false);
    aser__telnet_recv(&t, will, 3);
    aser__telnet_recv(&t, wont, 3);
    CHECK_STR(r->log, "Sfffd00fffe00 O0R0");
    free(r);
}

TEST(telnet, disable_answered_by_enable_is_an_error)
{
    aser_telnet t;
    rec *r = codec_new(&t, accept_basic);
    static const uint8_t will[] = {IAC, WILL, 0}, do0[] = {IAC, DO, 0};
    aser__telnet_recv(&t, will, 3);
    aser__telnet_request(&t, 0, ASER_TELNET_REMOTE, false);
    aser__telnet_recv(&t, will, 3); /* RFC 1143: "DONT answered by WILL" */
    CHECK_STR(r->log, "Sfffd00 O0R1 Sfffe00 E-71 O0R0");
    aser__telnet_recv(&t, do0, 3);
    aser__telnet_request(&t, 0, ASER_TELNET_LOCAL, false);
    aser__telnet_recv(&t, do0, 3);
    CHECK_CONTAINS(r->log, "Sfffb00 O0L1 Sfffc00 E-71 O0L0");
    free(r);
}

/* Two codecs wired back to back, both eager: no loops, consistent ends. */
typedef struct wire {
    aser_telnet a, b;
    rec *ra, *rb;
} wire;

static size_t pump(wire *w)
{
    size_t moved = 0;
    for (int i = 0; i < 100 && (w->ra->nsent || w->rb->nsent); i++) {
        uint8_t buf[1 << 16];
        size_t n = w->ra->nsent;
        memcpy(buf, w->ra->sent, n);
        w->ra->nsent = 0;
        aser__telnet_recv(&w->b, buf, n);
        moved += n;
        n = w->rb->nsent;
        memcpy(buf, w->rb->sent, n);
        w->rb->nsent = 0;
        aser__telnet_recv(&w->a, buf, n);
        moved += n;
    }
    CHECK_EQ(w->ra->nsent + w->rb->nsent, 0); /* quiescent */
    return moved;
}

TEST(telnet, back_to_back_no_loops)
{
    wire *w = calloc(1, sizeof *w);
    CHECK(w);
    w->ra = codec_new(&w->a, accept_basic);
    w->rb = codec_new(&w->b, accept_basic);
    for (int o = 0; o < 4; o++) { /* both ask for everything at once */
        aser__telnet_request(&w->a, (uint8_t)o, ASER_TELNET_LOCAL, true);
        aser__telnet_request(&w->a, (uint8_t)o, ASER_TELNET_REMOTE, true);
        aser__telnet_request(&w->b, (uint8_t)o, ASER_TELNET_LOCAL, true);
        aser__telnet_request(&w->b, (uint8_t)o, ASER_TELNET_REMOTE, true);
    }
    CHECK_EQ(pump(w), 2 * 8 * 3); /* the requests cross: nothing else */
    for (int o = 0; o < 4; o++) {
        CHECK_EQ(aser__telnet_enabled(&w->a, (uint8_t)o, ASER_TELNET_LOCAL),
                 aser__telnet_enabled(&w->b, (uint8_t)o, ASER_TELNET_REMOTE));
        CHECK_EQ(aser__telnet_enabled(&w->b, (uint8_t)o, ASER_TELNET_LOCAL),
                 aser__telnet_enabled(&w->a, (uint8_t)o, ASER_TELNET_REMOTE));
    }
    /* racing enable/disable flips, many times: always converges */
    for (int k = 0; k < 50; k++) {
        aser__telnet_request(&w->a, 0, ASER_TELNET_LOCAL, k & 1);
        aser__telnet_request(&w->b, 0, ASER_TELNET_REMOTE, !(k & 2));
        aser__telnet_request(&w->a, 0, ASER_TELNET_LOCAL, !(k & 1));
        pump(w);
        CHECK_EQ(aser__telnet_enabled(&w->a, 0, ASER_TELNET_LOCAL),
                 aser__telnet_enabled(&w->b, 0, ASER_TELNET_REMOTE));
    }
    free(w->ra);
    free(w->rb);
    free(w);
}

/* ---- subnegotiation ------------------------------------------------------- */

TEST(telnet, subnegotiation)
{
    EXPECT_LOG(NULL, "B44:0102ff03 D6f6b", IAC, SB, 44, 1, 2, IAC, IAC, 3, IAC, SE, 'o', 'k');
    EXPECT_LOG(NULL, "B44:", IAC, SB, 44, IAC, SE);
    EXPECT_LOG(NULL, "B24:00", IAC, SB, 24, 0, IAC, SE);
}

static void sb_of(uint8_t *in, size_t *n, size_t payload, uint8_t fill)
{
    in[(*n)++] = IAC, in[(*n)++] = SB, in[(*n)++] = 44;
    for (size_t i = 0; i < payload; i++) {
        in[(*n)++] = fill;
        if (fill == IAC) in[(*n)++] = IAC;
    }
    in[(*n)++] = IAC, in[(*n)++] = SE;
}

TEST(telnet, subnegotiation_at_cap_is_kept)
{
    uint8_t in[1200];
    size_t n = 0;
    sb_of(in, &n, ASER_TELNET_SB_MAX, IAC);
    rec *r = feed_all_ways(in, n, NULL);
    CHECK_EQ(r->errors, 0);
    CHECK_EQ(strlen(r->log), 4 + 2 * ASER_TELNET_SB_MAX);
    free(r);
}

TEST(telnet, subnegotiation_overflow_discarded_stream_continues)
{
    for (int fill = 0; fill < 2; fill++) {
        static uint8_t in[40000];
        size_t n = 0;
        sb_of(in, &n, fill ? 300 : 10000, fill ? IAC : 'A');
        in[n++] = 'o', in[n++] = 'k';
        sb_of(in, &n, 2, 7);
        in[n++] = IAC, in[n++] = WILL, in[n++] = 0;
        rec *r = feed_all_ways(in, n, accept_basic);
        CHECK_STR(r->log, "E-105 D6f6b B44:0707 Sfffd00 O0R1");
        free(r);
    }
}

TEST(telnet, subnegotiation_not_terminated)
{
    /* IAC WILL inside SB ends it: error, SB dropped, WILL processed */
    EXPECT_LOG(accept_basic, "E-71 Sfffd00 O0R1 D41", IAC, SB, 44, 1, 2, IAC, WILL, 0, 'A');
    /* IAC SB IAC SE: no option byte */
    EXPECT_LOG(NULL, "E-71 E-71 D42", IAC, SB, IAC, SE, 'B');
    /* IAC NOP inside SB: the command is delivered */
    EXPECT_LOG(NULL, "E-71 C241", IAC, SB, 44, 1, IAC, 241);
}

TEST(telnet, commands_and_garbage_after_iac)
{
    EXPECT_LOG(NULL, "C241 C243 C246 C236 D41", IAC, 241, IAC, 243, IAC, 246, IAC, 236, 'A');
    EXPECT_LOG(NULL, "E-71 D42", IAC, 'A', 'B');
    EXPECT_LOG(NULL, "E-71", IAC, SE);
    EXPECT_LOG(NULL, "D41", 'A', IAC); /* a trailing IAC waits for its command */
}

TEST(telnet, garbage_all_ways_same_events)
{
    uint32_t seed = 99;
    for (int round = 0; round < 40; round++) {
        uint8_t in[600];
        for (size_t i = 0; i < sizeof in; i++) {
            uint32_t x = rnd(&seed);
            /* mostly protocol bytes, so that every state is reached */
            in[i] = (x & 1) ? (uint8_t)(236 + (x >> 8) % 20) : (uint8_t)(x >> 8);
        }
        free(feed_all_ways(in, sizeof in, round & 1 ? accept_basic : NULL));
    }
}

/* ---- sending ---------------------------------------------------------------- */

TEST(telnet, send_commands_and_subnegotiations)
{
    aser_telnet t;
    rec *r = codec_new(&t, NULL);
    CHECK_EQ(aser__telnet_send_cmd(&t, ASER_TN_NOP), 0);
    CHECK_EQ(aser__telnet_send_cmd(&t, ASER_TN_BREAK), 0);
    CHECK_EQ(aser__telnet_send_cmd(&t, 236), 0);
    CHECK_EQ(aser__telnet_send_cmd(&t, ASER_TN_WILL), ASER_EINVAL);
    CHECK_EQ(aser__telnet_send_cmd(&t, ASER_TN_SB), ASER_EINVAL);
    CHECK_EQ(aser__telnet_send_cmd(&t, ASER_TN_SE), ASER_EINVAL);
    CHECK_EQ(aser__telnet_send_cmd(&t, ASER_TN_IAC), ASER_EINVAL);
    CHECK_EQ(aser__telnet_send_cmd(&t, 'A'), ASER_EINVAL);
    static const uint8_t pl[] = {1, 255, 2};
    CHECK_EQ(aser__telnet_send_sb(&t, 44, pl, sizeof pl), 0);
    CHECK_EQ(aser__telnet_send_sb(&t, 44, NULL, 0), 0);
    static uint8_t big[ASER_TELNET_SB_MAX + 1];
    CHECK_EQ(aser__telnet_send_sb(&t, 44, big, sizeof big), ASER_EINVAL);
    CHECK_STR(r->log, "Sfff1fff3ffecfffa2c01ffff02fff0fffa2cfff0");
    free(r);
}

/* The handler may send from inside an event. */
static void answer_option(aser_telnet *t, const aser_telnet_event *ev, void *ud)
{
    on_event(t, ev, ud);
    if (ev->type == ASER_TELNET_EV_OPTION && ev->enabled)
        aser__telnet_send_sb(t, ev->opt, (const uint8_t *)"hi", 2);
}

TEST(telnet, handler_may_send)
{
    aser_telnet t;
    rec *r = rec_new();
    aser__telnet_init(&t, answer_option, r);
    aser__telnet_accept(&t, 44, ASER_TELNET_LOCAL, true);
    static const uint8_t in[] = {IAC, DO, 44, 'x'};
    aser__telnet_recv(&t, in, sizeof in);
    CHECK_STR(r->log, "Sfffb2c O44L1 Sfffa2c6869fff0 D78");
    free(r);
}

TEST(telnet, names)
{
    CHECK_STR(aser__telnet_cmd_name(ASER_TN_WILL), "WILL");
    CHECK_STR(aser__telnet_cmd_name(ASER_TN_IAC), "IAC");
    CHECK_STR(aser__telnet_cmd_name(236), "EOF");
    CHECK_STR(aser__telnet_cmd_name(0), "?");
    CHECK_STR(aser__telnet_opt_name(44), "COM-PORT-OPTION");
    CHECK_STR(aser__telnet_opt_name(200), "?");
}
