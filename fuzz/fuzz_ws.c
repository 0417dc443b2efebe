/* fuzz_ws.c: libFuzzer target for the WebSocket codec (RFC 6455) and its
 * HTTP upgrade, src/codec/ws.c: bytes from an arbitrary peer, on either
 * side.
 *
 * Input: byte 0 = bit 0: the server side (else the client side); bit 1:
 * start with the handshake done (frames only); bit 2: the server refuses
 * the request; bit 3: plain GETs are requests too (a web page, answered
 * with aser__ws_respond); byte 1 = max_frame in KiB (0: the default); the rest = the
 * stream from the peer.
 * Checks: whole and chunked feeding give the same events; event fields
 * are sane (control payloads <= 125 bytes, errors carry a sentence, a
 * REQUEST has a path starting with '/'); everything the codec sends parses
 * cleanly in a fresh codec of the other side (frames it sends are well
 * formed: masked from a client, not from a server).
 */
#include "codec/ws.h"

#include "aserial.h"
#include "fuzz_common.h"

typedef struct ctx {
    flog *log;
    const uint8_t *cfg;
    aser_ws peer; /* reads what we send */
    bool peer_on;
} ctx;

static void on_peer(aser_ws *ws, const aser_ws_event *ev, void *ud)
{
    (void)ws;
    (void)ud;
    FZ_ASSERT(ev->kind != ASER_WS_EV_ERROR);
}

static uint32_t mask_key(void *ud)
{
    (void)ud;
    return 0xa5c3e1f7u;
}

static void on_event(aser_ws *ws, const aser_ws_event *ev, void *ud)
{
    ctx *c = ud;
    uint8_t rec[4] = {(uint8_t)ev->kind, ev->text, ev->fin, (uint8_t)-ev->code};
    switch (ev->kind) {
    case ASER_WS_EV_SEND:
        FZ_ASSERT(ev->len > 0 && ev->data);
        fz_put(&c->log->sent, ev->data, ev->len);
        if (c->peer_on) aser__ws_feed(&c->peer, ev->data, ev->len);
        return;
    case ASER_WS_EV_DATA:
        FZ_ASSERT(ev->len == 0 || ev->data);
        fz_put(&c->log->data, ev->data, ev->len);
        if (ev->fin) fz_ctl(c->log, rec, sizeof rec, NULL, 0);
        return;
    case ASER_WS_EV_REQUEST:
        FZ_ASSERT(ev->path && ev->path[0] == '/' && ev->host);
        fz_ctl(c->log, rec, sizeof rec, (const uint8_t *)ev->path, strlen(ev->path));
        if (c->cfg[0] & 4)
            aser__ws_refuse(ws, 403, "refused by the fuzzer");
        else if (!ev->upgrade)
            aser__ws_respond(ws, "text/plain", "page", 4);
        else
            aser__ws_accept(ws);
        return;
    case ASER_WS_EV_PING:
    case ASER_WS_EV_PONG:
    case ASER_WS_EV_CLOSE: FZ_ASSERT(ev->len <= 125); break;
    case ASER_WS_EV_ERROR: FZ_ASSERT(ev->msg && *ev->msg); break;
    case ASER_WS_EV_OPEN: break;
    }
    fz_ctl(c->log, rec, sizeof rec, ev->data, ev->len);
}

static void run(const uint8_t *cfg, const uint8_t *in, size_t n, uint32_t chunks, flog *log)
{
    ctx c = {.log = log, .cfg = cfg};
    aser_ws_role role = (cfg[0] & 1) ? ASER_WS_SERVER : ASER_WS_CLIENT;
    aser_ws ws;
    aser__ws_init(&ws, role, (uint64_t)cfg[1] * 1024u, on_event, &c, mask_key);
    ws.plain_get = (cfg[0] & 8) != 0;
    if (cfg[0] & 2) {
        /* frames only: our output is checked by a peer of the other side */
        ws.state = WS_FRAMES;
        aser__ws_init(&c.peer, role == ASER_WS_SERVER ? ASER_WS_CLIENT : ASER_WS_SERVER, 0, on_peer,
                      NULL, mask_key);
        c.peer.state = WS_FRAMES;
        c.peer_on = true;
    }
    for (size_t i = 0; i < n;) {
        size_t k = chunks ? fz_chunk(&chunks) : n;
        if (k > n - i) k = n - i;
        if (aser__ws_feed(&ws, in + i, k) < k) break;
        i += k;
    }
    if (cfg[0] & 2) (void)aser__ws_send(&ws, ASER_WS_OP_BINARY, in, n > 300 ? 300 : n);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 2) return 0;
    fz_differential(run, d, d + 2, n - 2);
    return 0;
}
