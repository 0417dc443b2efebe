/* telnet.c: the telnet codec (RFC 854, 855, 856, 1143). See telnet.h.
 *
 * Sections: option state (RFC 1143), sending, receiving, names.
 *
 * The receive side is a byte-at-a-time state machine that never copies
 * application data: DATA events point into the caller's buffer, and a
 * doubled IAC is delivered by starting the next data run at the second
 * 0xFF. Subnegotiation payloads are collected in the struct's fixed
 * buffer; past ASER_TELNET_SB_MAX bytes the rest is skipped up to IAC SE.
 */
#include "codec/telnet.h"

#include "aserial.h"

#include <string.h>

/* Receive states. */
enum {
    ST_DATA = 0,
    ST_IAC,  /* after IAC */
    ST_WILL, /* after IAC WILL: expecting the option */
    ST_WONT,
    ST_DO,
    ST_DONT,
    ST_SB,      /* after IAC SB: expecting the option */
    ST_SB_DATA, /* inside a subnegotiation */
    ST_SB_IAC   /* IAC inside a subnegotiation */
};

/* ---------------------------------------------------------------------- */
/* Option state, RFC 1143 (the Q method)                                   */
/* ---------------------------------------------------------------------- */

/* q[side][opt] packs: bits 0-1 the state, bit 2 the queue bit (OPPOSITE
 * when set, EMPTY when clear), bit 3 whether we accept the option. */
enum {
    Q_NO = 0,
    Q_YES = 1,
    Q_WANTNO = 2,
    Q_WANTYES = 3
};
#define Q_STATE 3u
#define Q_OPP 4u
#define Q_ALLOW 8u

static void emit(aser_telnet *t, aser_telnet_event *ev)
{
    t->fn(t, ev, t->ud);
}

static void emit_bytes(aser_telnet *t, aser_telnet_ev_type type, const uint8_t *p, size_t n)
{
    if (n == 0) return;
    aser_telnet_event ev = {.type = type, .data = p, .len = n};
    emit(t, &ev);
}

static void emit_error(aser_telnet *t, int code, const char *msg)
{
    aser_telnet_event ev = {.type = ASER_TELNET_EV_ERROR, .code = code, .msg = msg};
    emit(t, &ev);
}

/* Set state and queue bit, keeping the accept bit. */
static void q_put(aser_telnet *t, aser_telnet_side side, uint8_t opt, unsigned st, bool opp)
{
    uint8_t *q = &t->q[side][opt];
    *q = (uint8_t)((*q & Q_ALLOW) | st | (opp ? Q_OPP : 0u));
}

/* Report the outcome when the option reached YES or NO from elsewhere. */
static void q_settled(aser_telnet *t, aser_telnet_side side, uint8_t opt, unsigned old)
{
    unsigned st = t->q[side][opt] & Q_STATE;
    if (st == old || (st != Q_YES && st != Q_NO)) return;
    aser_telnet_event ev = {
        .type = ASER_TELNET_EV_OPTION, .opt = opt, .side = side, .enabled = st == Q_YES};
    emit(t, &ev);
}

/* Send our half: WILL/WONT for our side, DO/DONT for the peer's. */
static void send_neg(aser_telnet *t, aser_telnet_side side, uint8_t opt, bool yes)
{
    uint8_t cmd;
    if (side == ASER_TELNET_LOCAL)
        cmd = yes ? ASER_TN_WILL : ASER_TN_WONT;
    else
        cmd = yes ? ASER_TN_DO : ASER_TN_DONT;
    const uint8_t msg[3] = {ASER_TN_IAC, cmd, opt};
    emit_bytes(t, ASER_TELNET_EV_SEND, msg, sizeof msg);
}

/* The peer sent WILL (side REMOTE) or DO (side LOCAL). */
static void recv_yes(aser_telnet *t, aser_telnet_side side, uint8_t opt)
{
    uint8_t q = t->q[side][opt];
    unsigned st = q & Q_STATE;
    bool opp = (q & Q_OPP) != 0;
    switch (st) {
    case Q_NO:
        if (q & Q_ALLOW) q_put(t, side, opt, Q_YES, false);
        send_neg(t, side, opt, (q & Q_ALLOW) != 0);
        break;
    case Q_YES: break; /* already enabled: never answer, or we would loop */
    case Q_WANTNO:
        emit_error(t, ASER_EPROTO,
                   side == ASER_TELNET_REMOTE ? "DONT answered by WILL" : "WONT answered by DO");
        q_put(t, side, opt, opp ? Q_YES : Q_NO, false);
        break;
    default: /* Q_WANTYES */
        q_put(t, side, opt, opp ? Q_WANTNO : Q_YES, false);
        if (opp) send_neg(t, side, opt, false);
        break;
    }
    q_settled(t, side, opt, st);
}

/* The peer sent WONT (side REMOTE) or DONT (side LOCAL). */
static void recv_no(aser_telnet *t, aser_telnet_side side, uint8_t opt)
{
    uint8_t q = t->q[side][opt];
    unsigned st = q & Q_STATE;
    bool opp = (q & Q_OPP) != 0;
    switch (st) {
    case Q_NO: break;
    case Q_YES:
        q_put(t, side, opt, Q_NO, false);
        send_neg(t, side, opt, false);
        break;
    case Q_WANTNO:
        q_put(t, side, opt, opp ? Q_WANTYES : Q_NO, false);
        if (opp) send_neg(t, side, opt, true);
        break;
    default: /* Q_WANTYES: refused */ q_put(t, side, opt, Q_NO, false); break;
    }
    q_settled(t, side, opt, st);
}

void aser__telnet_accept(aser_telnet *t, uint8_t opt, aser_telnet_side side, bool yes)
{
    if (yes)
        t->q[side][opt] |= Q_ALLOW;
    else
        t->q[side][opt] &= (uint8_t)~Q_ALLOW;
}

void aser__telnet_request(aser_telnet *t, uint8_t opt, aser_telnet_side side, bool enable)
{
    aser__telnet_accept(t, opt, side, enable);
    unsigned st = t->q[side][opt] & Q_STATE;
    switch (st) {
    case Q_NO:
        if (!enable) return;
        q_put(t, side, opt, Q_WANTYES, false);
        send_neg(t, side, opt, true);
        return;
    case Q_YES:
        if (enable) return;
        q_put(t, side, opt, Q_WANTNO, false);
        send_neg(t, side, opt, false);
        return;
    default:
        /* In flight: queue the opposite request, or cancel a queued one.
         * The queue bit is set exactly when the wish differs from the
         * direction of the negotiation in flight. */
        q_put(t, side, opt, st, enable != (st == Q_WANTYES));
        return;
    }
}

bool aser__telnet_enabled(const aser_telnet *t, uint8_t opt, aser_telnet_side side)
{
    return (t->q[side][opt] & Q_STATE) == Q_YES;
}

void aser__telnet_init(aser_telnet *t, aser_telnet_fn fn, void *ud)
{
    memset(t, 0, sizeof *t);
    t->fn = fn;
    t->ud = ud;
    t->state = ST_DATA;
}

/* ---------------------------------------------------------------------- */
/* Sending                                                                 */
/* ---------------------------------------------------------------------- */

size_t aser__telnet_escape(uint8_t *out, const uint8_t *in, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        out[n++] = in[i];
        if (in[i] == ASER_TN_IAC) out[n++] = ASER_TN_IAC;
    }
    return n;
}

void aser__telnet_send_data(aser_telnet *t, const uint8_t *buf, size_t len)
{
    /* Each chunk ends just after a 0xFF; the next chunk starts on that
     * same 0xFF, so it goes out twice without copying the data. */
    size_t start = 0, from = 0;
    while (from < len) {
        const uint8_t *p = memchr(buf + from, ASER_TN_IAC, len - from);
        if (!p) break;
        size_t k = (size_t)(p - buf);
        emit_bytes(t, ASER_TELNET_EV_SEND, buf + start, k + 1 - start);
        start = k;
        from = k + 1;
    }
    emit_bytes(t, ASER_TELNET_EV_SEND, buf + start, len - start);
}

int aser__telnet_send_cmd(aser_telnet *t, uint8_t cmd)
{
    /* 236-239 are EOF, SUSP, ABORT, EOR (RFC 1184, 885); 241-249 NOP..GA */
    if (cmd < 236 || cmd > ASER_TN_GA || cmd == ASER_TN_SE) return ASER_EINVAL;
    const uint8_t msg[2] = {ASER_TN_IAC, cmd};
    emit_bytes(t, ASER_TELNET_EV_SEND, msg, sizeof msg);
    return 0;
}

int aser__telnet_send_sb(aser_telnet *t, uint8_t opt, const uint8_t *data, size_t len)
{
    uint8_t out[3 + 2 * ASER_TELNET_SB_MAX + 2];
    if (len > ASER_TELNET_SB_MAX || (len && !data)) return ASER_EINVAL;
    size_t n = 0;
    out[n++] = ASER_TN_IAC;
    out[n++] = ASER_TN_SB;
    out[n++] = opt;
    n += aser__telnet_escape(out + n, data, len);
    out[n++] = ASER_TN_IAC;
    out[n++] = ASER_TN_SE;
    emit_bytes(t, ASER_TELNET_EV_SEND, out, n);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Receiving                                                               */
/* ---------------------------------------------------------------------- */

/* One byte of subnegotiation payload. */
static void sb_put(aser_telnet *t, uint8_t b)
{
    if (t->sb_overflow) return;
    if (t->sb_len == ASER_TELNET_SB_MAX) {
        t->sb_overflow = true;
        emit_error(t, ASER_ENOBUFS, "subnegotiation longer than 256 bytes: discarded up to IAC SE");
        return;
    }
    t->sb[t->sb_len++] = b;
}

/* IAC SE: deliver the subnegotiation unless it overflowed. */
static void sb_finish(aser_telnet *t)
{
    if (t->sb_overflow) return;
    aser_telnet_event ev = {
        .type = ASER_TELNET_EV_SB, .opt = t->sb_opt, .data = t->sb, .len = t->sb_len};
    emit(t, &ev);
}

/* The byte after IAC (IAC IAC is handled by the caller). */
static void after_iac(aser_telnet *t, uint8_t b)
{
    t->state = ST_DATA;
    switch (b) {
    case ASER_TN_WILL: t->state = ST_WILL; return;
    case ASER_TN_WONT: t->state = ST_WONT; return;
    case ASER_TN_DO: t->state = ST_DO; return;
    case ASER_TN_DONT: t->state = ST_DONT; return;
    case ASER_TN_SB: t->state = ST_SB; return;
    case ASER_TN_SE: emit_error(t, ASER_EPROTO, "IAC SE outside a subnegotiation"); return;
    default: break;
    }
    if (b < 236) {
        emit_error(t, ASER_EPROTO, "IAC followed by a byte that is not a command");
        return;
    }
    aser_telnet_event ev = {.type = ASER_TELNET_EV_CMD, .cmd = b};
    emit(t, &ev);
}

/* The byte after IAC inside a subnegotiation. */
static void sb_after_iac(aser_telnet *t, uint8_t b)
{
    if (b == ASER_TN_IAC) {
        sb_put(t, b);
        t->state = ST_SB_DATA;
    } else if (b == ASER_TN_SE) {
        sb_finish(t);
        t->state = ST_DATA;
    } else {
        /* RFC 855 allows only IAC SE to end it: drop the subnegotiation
         * and read b as the command it announces. */
        emit_error(t, ASER_EPROTO, "subnegotiation not terminated by IAC SE: discarded");
        after_iac(t, b);
    }
}

/* Every state but DATA, one byte at a time. */
static void step(aser_telnet *t, uint8_t b)
{
    switch (t->state) {
    case ST_IAC: after_iac(t, b); break;
    case ST_WILL:
        t->state = ST_DATA;
        recv_yes(t, ASER_TELNET_REMOTE, b);
        break;
    case ST_WONT:
        t->state = ST_DATA;
        recv_no(t, ASER_TELNET_REMOTE, b);
        break;
    case ST_DO:
        t->state = ST_DATA;
        recv_yes(t, ASER_TELNET_LOCAL, b);
        break;
    case ST_DONT:
        t->state = ST_DATA;
        recv_no(t, ASER_TELNET_LOCAL, b);
        break;
    case ST_SB:
        if (b == ASER_TN_IAC) {
            emit_error(t, ASER_EPROTO, "subnegotiation without an option byte");
            t->state = ST_IAC;
            break;
        }
        t->sb_opt = b;
        t->sb_len = 0;
        t->sb_overflow = false;
        t->state = ST_SB_DATA;
        break;
    case ST_SB_DATA:
        if (b == ASER_TN_IAC)
            t->state = ST_SB_IAC;
        else
            sb_put(t, b);
        break;
    case ST_SB_IAC: sb_after_iac(t, b); break;
    default: t->state = ST_DATA; break; /* unreachable */
    }
}

void aser__telnet_recv(aser_telnet *t, const uint8_t *buf, size_t len)
{
    size_t i = 0, run = 0; /* run: start of the pending data, in ST_DATA */
    while (i < len) {
        if (t->state == ST_DATA) {
            const uint8_t *p = memchr(buf + i, ASER_TN_IAC, len - i);
            if (!p) break;
            i = (size_t)(p - buf);
            emit_bytes(t, ASER_TELNET_EV_DATA, buf + run, i - run);
            t->state = ST_IAC;
        } else if (t->state == ST_IAC && buf[i] == ASER_TN_IAC) {
            t->state = ST_DATA; /* IAC IAC: this second 0xFF is data */
            run = i;
        } else {
            step(t, buf[i]);
            if (t->state == ST_DATA) run = i + 1;
        }
        i++;
    }
    if (t->state == ST_DATA && run < len) emit_bytes(t, ASER_TELNET_EV_DATA, buf + run, len - run);
}

/* ---------------------------------------------------------------------- */
/* Names                                                                   */
/* ---------------------------------------------------------------------- */

const char *aser__telnet_cmd_name(uint8_t cmd)
{
    static const char *const names[] = {"EOF",   "SUSP", "ABORT", "EOR", "SE",   "NOP", "DM",
                                        "BREAK", "IP",   "AO",    "AYT", "EC",   "EL",  "GA",
                                        "SB",    "WILL", "WONT",  "DO",  "DONT", "IAC"};
    return cmd >= 236 ? names[cmd - 236] : "?";
}

const char *aser__telnet_opt_name(uint8_t opt)
{
    switch (opt) {
    case ASER_TNOPT_BINARY: return "BINARY";
    case ASER_TNOPT_ECHO: return "ECHO";
    case ASER_TNOPT_SGA: return "SGA";
    case ASER_TNOPT_COMPORT: return "COM-PORT-OPTION";
    default: return "?";
    }
}
