/* fuzz_rfc2217.h: the RFC 2217 fuzz harness, shared by the two targets
 * (fuzz_rfc2217_client.c, fuzz_rfc2217_server.c), which define FZ_ROLE.
 *
 * Input: byte 0 = flags (1: echo received data back, 2: COM-PORT-OPTION
 * already enabled, 4: send the role's opening negotiation); the rest = the
 * stream from the peer (for a client: what a server sends; for a server:
 * what a client sends).
 * The handler acts like a transport would: a server applies each command
 * to an aser_config and answers with the value in use; a client records
 * each reply and sends it back as a new request. Checks: whole and chunked
 * feeding agree; decoded fields are in range; the mapping helpers agree
 * with each other; every byte we send parses in a peer codec of the other
 * role without errors or unknown commands; echoed data arrives unchanged.
 */
#ifndef ASER_FUZZ_RFC2217_H
#define ASER_FUZZ_RFC2217_H

#include "codec/rfc2217.h"

#include "fuzz_common.h"

#define FZ_PEER_ROLE (FZ_ROLE == ASER_RFC2217_CLIENT ? ASER_RFC2217_SERVER : ASER_RFC2217_CLIENT)

typedef struct ctx {
    flog *log;
    bool echo;
    aser_rfc2217 peer;
    aser_config cfg;
    fz_buf echoed, peer_data;
} ctx;

static void on_peer(aser_rfc2217 *p, const aser_rfc2217_event *ev, void *ud)
{
    ctx *c = ud;
    (void)p;
    FZ_ASSERT(ev->type != ASER_RFC2217_EV_ERROR && ev->type != ASER_RFC2217_EV_UNKNOWN);
    if (ev->type == ASER_RFC2217_EV_DATA) fz_put(&c->peer_data, ev->data, ev->len);
}

/* The mapping helpers, on whatever value arrived. */
static void check_helpers(ctx *c, const aser_rfc2217_event *ev)
{
    aser_config before = c->cfg;
    int rc = aser__rfc2217_config_apply(&c->cfg, ev->cmd, ev->value);
    FZ_ASSERT(rc == 0 || rc == 1 || rc == ASER_EPROTO || rc == ASER_ENOTSUP);
    if (rc <= 0) FZ_ASSERT(memcmp(&before, &c->cfg, sizeof before) == 0);
    aser_rfc2217_control ctl;
    if (ev->cmd == ASER_CPO_SET_CONTROL && aser__rfc2217_control_parse(ev->value, &ctl) == 0 &&
        ctl.flow >= 0)
        FZ_ASSERT(aser__rfc2217_control_value(&ctl) == (int)ev->value);
    if (ev->cmd == ASER_CPO_NOTIFY_MODEMSTATE)
        FZ_ASSERT((aser__rfc2217_modem_to_lines((uint8_t)ev->value) & ~0x3cu) == 0);
}

/* Answer like a transport of this role would. */
static int respond(aser_rfc2217 *p, ctx *c, const aser_rfc2217_event *ev)
{
    if (ev->cmd == ASER_CPO_SIGNATURE)
        return FZ_ROLE == ASER_RFC2217_SERVER
                   ? aser__rfc2217_send_signature(p, "fuzz", 4)
                   : aser__rfc2217_send_signature(p, (const char *)ev->data, ev->len);
    uint32_t v = ev->value;
    if (FZ_ROLE == ASER_RFC2217_SERVER && ev->cmd != ASER_CPO_SET_CONTROL)
        aser__rfc2217_config_value(&c->cfg, ev->cmd, &v); /* v unchanged on error */
    return aser__rfc2217_send(p, ev->cmd, v);
}

static void on_comport(aser_rfc2217 *p, ctx *c, const aser_rfc2217_event *ev)
{
    bool flowctl = ev->cmd == ASER_CPO_FLOWCONTROL_SUSPEND ||
                   ev->cmd == ASER_CPO_FLOWCONTROL_RESUME;
    FZ_ASSERT(ev->cmd < ASER_CPO_COUNT_);
    FZ_ASSERT(flowctl || ev->reply == (FZ_ROLE == ASER_RFC2217_CLIENT));
    FZ_ASSERT(ev->cmd == ASER_CPO_SET_BAUDRATE || ev->value <= 255);
    FZ_ASSERT((ev->flags & ~0xfu) == 0 && ev->len < ASER_TELNET_SB_MAX);
    check_helpers(c, ev);
    int rc = respond(p, c, ev);
    FZ_ASSERT(rc == (aser__rfc2217_active(p) ? 0 : ASER_ENOTSUP));
}

static void on_event(aser_rfc2217 *p, const aser_rfc2217_event *ev, void *ud)
{
    ctx *c = ud;
    uint8_t rec[12] = {(uint8_t)ev->type,
                       ev->opt,
                       ev->cmd,
                       (uint8_t)ev->side,
                       ev->enabled,
                       ev->reply,
                       (uint8_t)ev->flags,
                       (uint8_t)-ev->code,
                       (uint8_t)(ev->value >> 24),
                       (uint8_t)(ev->value >> 16),
                       (uint8_t)(ev->value >> 8),
                       (uint8_t)ev->value};
    switch (ev->type) {
    case ASER_RFC2217_EV_DATA:
        fz_put(&c->log->data, ev->data, ev->len);
        if (c->echo) {
            fz_put(&c->echoed, ev->data, ev->len);
            aser__rfc2217_send_data(p, ev->data, ev->len);
        }
        return;
    case ASER_RFC2217_EV_SEND:
        fz_put(&c->log->sent, ev->data, ev->len);
        aser__rfc2217_recv(&c->peer, ev->data, ev->len);
        return;
    case ASER_RFC2217_EV_OPTION:
        FZ_ASSERT(ev->enabled == aser__telnet_enabled(aser__rfc2217_telnet(p), ev->opt, ev->side));
        break;
    case ASER_RFC2217_EV_COMPORT: on_comport(p, c, ev); break;
    case ASER_RFC2217_EV_UNKNOWN: FZ_ASSERT(ev->msg && *ev->msg); break;
    case ASER_RFC2217_EV_ERROR:
        FZ_ASSERT(ev->code == ASER_EPROTO || ev->code == ASER_ENOBUFS);
        break;
    default: break;
    }
    bool payload = ev->type == ASER_RFC2217_EV_COMPORT || ev->type == ASER_RFC2217_EV_UNKNOWN;
    fz_ctl(c->log, rec, sizeof rec, payload ? ev->data : NULL, payload ? ev->len : 0);
}

static void run(const uint8_t *cfg, const uint8_t *in, size_t n, uint32_t chunks, flog *log)
{
    static const uint8_t client_on[] = {ASER_TN_IAC, ASER_TN_DO, ASER_TNOPT_COMPORT};
    static const uint8_t server_on[] = {ASER_TN_IAC, ASER_TN_WILL, ASER_TNOPT_COMPORT};
    const aser_config def = ASER_CONFIG_DEFAULT;
    ctx c = {.log = log, .echo = cfg[0] & 1, .cfg = def};
    aser_rfc2217 p;
    aser__rfc2217_init(&c.peer, FZ_PEER_ROLE, on_peer, &c);
    aser__rfc2217_recv(&c.peer, FZ_ROLE == ASER_RFC2217_CLIENT ? server_on : client_on, 3);
    aser__rfc2217_init(&p, FZ_ROLE, on_event, &c);
    if (cfg[0] & 2)
        aser__rfc2217_recv(&p, FZ_ROLE == ASER_RFC2217_CLIENT ? client_on : server_on, 3);
    if (cfg[0] & 4) aser__rfc2217_start(&p);
    for (size_t i = 0; i < n;) {
        size_t k = chunks ? fz_chunk(&chunks) : n;
        if (k > n - i) k = n - i;
        aser__rfc2217_recv(&p, in + i, k);
        i += k;
    }
    FZ_ASSERT(fz_buf_eq(&c.echoed, &c.peer_data));
    free(c.echoed.p);
    free(c.peer_data.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1) return 0;
    fz_differential(run, d, d + 1, n - 1);
    return 0;
}

#endif
