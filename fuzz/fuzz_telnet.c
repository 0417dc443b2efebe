/* fuzz_telnet.c: libFuzzer target for the telnet codec (RFC 854, 855,
 * 1143), src/codec/telnet.c: bytes from an arbitrary peer.
 *
 * Input: byte 0 = which of BINARY, ECHO, SGA, COM-PORT we accept on each
 * side (8 bits); byte 1 = which of them we request (on) before reading;
 * the rest = the stream from the peer.
 * Checks: whole and chunked feeding give the same events; event fields
 * are sane; OPTION events agree with aser__telnet_enabled(); everything
 * we send parses cleanly in a fresh peer codec; the data received, sent
 * back escaped, reads back unchanged.
 */
#include "codec/telnet.h"

#include "aserial.h"
#include "fuzz_common.h"

static const uint8_t opts[4] = {ASER_TNOPT_BINARY, ASER_TNOPT_ECHO, ASER_TNOPT_SGA,
                                ASER_TNOPT_COMPORT};

/* A peer checking our output: it must never see an error. */
static void on_peer(aser_telnet *t, const aser_telnet_event *ev, void *ud)
{
    (void)t;
    (void)ud;
    FZ_ASSERT(ev->type != ASER_TELNET_EV_ERROR);
}

typedef struct ctx {
    flog *log;
    aser_telnet peer;
} ctx;

static void on_event(aser_telnet *t, const aser_telnet_event *ev, void *ud)
{
    ctx *c = ud;
    uint8_t rec[6] = {(uint8_t)ev->type, ev->opt,     ev->cmd,
                      (uint8_t)ev->side, ev->enabled, (uint8_t)-ev->code};
    switch (ev->type) {
    case ASER_TELNET_EV_DATA:
        FZ_ASSERT(ev->len > 0 && ev->data);
        fz_put(&c->log->data, ev->data, ev->len);
        return;
    case ASER_TELNET_EV_SEND:
        FZ_ASSERT(ev->len > 0 && ev->data);
        fz_put(&c->log->sent, ev->data, ev->len);
        aser__telnet_recv(&c->peer, ev->data, ev->len);
        return;
    case ASER_TELNET_EV_OPTION:
        FZ_ASSERT(ev->enabled == aser__telnet_enabled(t, ev->opt, ev->side));
        break;
    case ASER_TELNET_EV_SB: FZ_ASSERT(ev->len <= ASER_TELNET_SB_MAX); break;
    case ASER_TELNET_EV_CMD: FZ_ASSERT(ev->cmd >= 236 && ev->cmd != ASER_TN_SB); break;
    case ASER_TELNET_EV_ERROR:
        FZ_ASSERT(ev->code == ASER_EPROTO || ev->code == ASER_ENOBUFS);
        FZ_ASSERT(ev->msg && *ev->msg);
        break;
    }
    fz_ctl(c->log, rec, sizeof rec, ev->type == ASER_TELNET_EV_SB ? ev->data : NULL,
           ev->type == ASER_TELNET_EV_SB ? ev->len : 0);
}

static void setup(aser_telnet *t, const uint8_t *cfg)
{
    for (int i = 0; i < 4; i++) {
        aser__telnet_accept(t, opts[i], ASER_TELNET_LOCAL, cfg[0] & (1u << i));
        aser__telnet_accept(t, opts[i], ASER_TELNET_REMOTE, cfg[0] & (16u << i));
    }
    for (int i = 0; i < 4; i++) {
        if (cfg[1] & (1u << i)) aser__telnet_request(t, opts[i], ASER_TELNET_LOCAL, true);
        if (cfg[1] & (16u << i)) aser__telnet_request(t, opts[i], ASER_TELNET_REMOTE, true);
    }
}

static void run(const uint8_t *cfg, const uint8_t *in, size_t n, uint32_t chunks, flog *log)
{
    ctx c = {.log = log};
    aser_telnet t;
    aser__telnet_init(&c.peer, on_peer, NULL);
    aser__telnet_init(&t, on_event, &c);
    setup(&t, cfg);
    for (size_t i = 0; i < n;) {
        size_t k = chunks ? fz_chunk(&chunks) : n;
        if (k > n - i) k = n - i;
        aser__telnet_recv(&t, in + i, k);
        i += k;
    }
}

/* What we received, escaped and read back by a fresh codec, is the same. */
static void roundtrip(const fz_buf *data)
{
    uint8_t *esc = malloc(2 * data->n + 1);
    FZ_ASSERT(esc);
    size_t m = aser__telnet_escape(esc, data->p, data->n);
    flog back = {0};
    ctx c = {.log = &back};
    aser_telnet t;
    aser__telnet_init(&c.peer, on_peer, NULL);
    aser__telnet_init(&t, on_event, &c);
    aser__telnet_recv(&t, esc, m);
    FZ_ASSERT(fz_buf_eq(&back.data, data) && back.ctl.n == 0 && back.sent.n == 0);
    fz_log_free(&back);
    free(esc);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 2) return 0;
    fz_differential(run, d, d + 2, n - 2);
    flog once = {0};
    run(d, d + 2, n - 2, 0, &once);
    roundtrip(&once.data);
    fz_log_free(&once);
    return 0;
}
