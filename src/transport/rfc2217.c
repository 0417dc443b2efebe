/* transport/rfc2217.c: rfc2217://HOST:PORT, a serial line behind a device
 * server (ser2net, Moxa, Lantronix, aserial serve), on the sans-I/O codec
 * of src/codec/rfc2217.h.
 *
 * Phases. CONNECTING (the connector, net/connect.c; no fd on the port) ->
 * NEGOTIATING (socket attached, telnet options asked; data writes wait)
 * -> OPEN (COM-PORT-OPTION settled one way or the other; data flows). On
 * reaching OPEN with COM-PORT-OPTION, the port's settings are sent: baud,
 * data size, parity, stop size, flow control, DTR/RTS when the config says
 * so, the notification masks and our signature. The port stays in its
 * connecting state (aser_conn.connecting) until those five settings are
 * acknowledged or their acknowledgement timed out, so the blocking API
 * returns a configured port.
 *
 * Acknowledgements. One slot per setting (SET-CONTROL split by kind:
 * flow, DTR, RTS, break). A reply with the same code (+100) clears the
 * slot; a different value than asked, or no reply within ack_timeout,
 * lowers the capability with a reason instead of failing anything (ser2net
 * does not answer SET-CONTROL DTR/RTS on ports without modem lines; some
 * servers answer with a 1-byte Cisco baud index; some refuse the option).
 *
 * Output. Protocol bytes (SEND events of the codec) go to t->out, flushed
 * first; data is escaped through the codec into t->out only when it is
 * empty, so t->out never holds more than one chunk of data. While the
 * server has sent FLOWCONTROL-SUSPEND, while a break is on and while
 * negotiating, data writes return EAGAIN and io_mask stops asking for
 * writability, so nothing spins. */
#define _GNU_SOURCE
#include "codec/rfc2217.h"
#include "transport/net.h"
#include "transport/transport.h"
#include "util/bytequeue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA_CHUNK 4096
#define READ_CHUNK 16384
#define SIGNATURE "aserial " ASERIAL_VERSION_STRING

enum slot {
    S_BAUD,
    S_DATASIZE,
    S_PARITY,
    S_STOP,
    S_FLOW,
    S_DTR,
    S_RTS,
    S_BREAK,
    S_PURGE,
    S_COUNT
};
enum phase {
    PH_CONNECTING,
    PH_NEGOTIATING,
    PH_OPEN
};

static const char *const slot_name[S_COUNT] = {"SET-BAUDRATE",
                                               "SET-DATASIZE",
                                               "SET-PARITY",
                                               "SET-STOPSIZE",
                                               "SET-CONTROL (flow control)",
                                               "SET-CONTROL (DTR)",
                                               "SET-CONTROL (RTS)",
                                               "SET-CONTROL (break)",
                                               "PURGE-DATA"};
/* The capability a slot speaks for, or -1. */
static const int slot_feat[S_COUNT] = {ASER_FEAT_BAUD,
                                       -1,
                                       -1,
                                       -1,
                                       ASER_FEAT_FLOW_RTSCTS,
                                       ASER_FEAT_MODEM_LINES,
                                       ASER_FEAT_MODEM_LINES,
                                       ASER_FEAT_BREAK,
                                       -1};

typedef struct ack {
    uint64_t deadline; /* 0: nothing outstanding */
    uint32_t value;
    bool gate; /* the port is not ready until this one settles */
} ack;

typedef struct r2_tp {
    aser_netc nc;
    aser_port *p;
    aser_rfc2217 codec;
    aser_tmr *tmr;
    enum phase ph;
    bool comport, suspended;
    uint64_t nego_deadline, break_end;
    unsigned ack_ms;
    ack acks[S_COUNT];
    int problem;    /* first setting refused or unanswered since last asked */
    unsigned modem; /* CTS/DSR/CD/RI from NOTIFY-MODEMSTATE */
    uint8_t linestate;
    unsigned errors; /* malformed input seen */
    char sig[64];    /* the server's signature */
    char reason[ASER_FEAT_COUNT_][128];
    aser_bq out;  /* bytes for the socket */
    uint8_t *dst; /* read(): decoded data goes here */
    size_t dcap, dlen;
} r2_tp;

static r2_tp *tp_of(aser_port *p)
{
    return aser__conn(p)->data;
}

/* ---- capabilities ----------------------------------------------------------------- */

static void cap_set(r2_tp *t, int f, aser_cap state, const char *fmt, ...) ASER_PRINTF(4, 5);
static void cap_set(r2_tp *t, int f, aser_cap state, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->reason[f], sizeof t->reason[f], fmt, ap);
    va_end(ap);
    aser__conn(t->p)->caps.state[f] = state;
    aser__conn(t->p)->caps.reason[f] = t->reason[f];
}

static void caps_comport(r2_tp *t)
{
    static const int yes[] = {ASER_FEAT_BAUD, ASER_FEAT_MODEM_LINES, ASER_FEAT_BREAK,
                              ASER_FEAT_FLOW_RTSCTS};
    for (size_t i = 0; i < ASER_ARRAY_LEN(yes); i++)
        cap_set(t, yes[i], ASER_CAP_SUPPORTED, "set through RFC 2217");
    cap_set(t, ASER_FEAT_CUSTOM_BAUD, ASER_CAP_UNKNOWN,
            "RFC 2217: depends on the device behind the server");
    cap_set(t, ASER_FEAT_RS485, ASER_CAP_UNSUPPORTED, "RFC 2217 has no RS-485 control");
    cap_set(t, ASER_FEAT_LOW_LATENCY, ASER_CAP_UNSUPPORTED, "not over the network");
}

static void caps_all(r2_tp *t, aser_cap state, const char *reason)
{
    for (int f = 0; f < ASER_FEAT_COUNT_; f++) cap_set(t, f, state, "%s", reason);
}

/* ---- output ------------------------------------------------------------------------- */

/* At most one chunk of escaped data plus protocol answers is queued, far
 * below this; a server that keeps us answering without reading the
 * answers cannot make it grow without bound. */
#define OUT_MAX (1024u * 1024u)

static int out_append(r2_tp *t, const uint8_t *b, size_t n)
{
    return aser__bq_append(&t->out, b, n, OUT_MAX);
}

/* Send what t->out holds. 0 when empty (or suspended / no socket), EAGAIN
 * when the socket is full, or an error. */
static int out_flush(r2_tp *t)
{
    if (t->suspended || aser__conn(t->p)->fd < 0) return 0;
    return aser__netc_drain(&t->nc, t->p, &t->out);
}

static void rearm(r2_tp *t);

/* Send a COM-PORT command, tracking its acknowledgement in slot s (-1: no
 * acknowledgement expected). */
static void send_cmd(r2_tp *t, int s, uint8_t cmd, uint32_t value, bool gate)
{
    if (aser__rfc2217_send(&t->codec, cmd, value) < 0) return;
    if (s >= 0) {
        t->acks[s] = (ack){
            .deadline = aser__now_us() + (uint64_t)t->ack_ms * 1000u, .value = value, .gate = gate};
        rearm(t);
    }
}

/* ---- settings ----------------------------------------------------------------------- */

static bool gated(const r2_tp *t)
{
    for (int s = 0; s < S_COUNT; s++)
        if (t->acks[s].deadline && t->acks[s].gate) return true;
    return false;
}

static void maybe_ready(r2_tp *t)
{
    if (t->ph == PH_OPEN && !gated(t)) aser__port_ready(t->p);
}

/* Send every line setting of cfg that differs from cur (all if cur NULL). */
static int send_settings(r2_tp *t, const aser_config *cur, const aser_config *cfg, bool gate)
{
    static const uint8_t cmds[] = {ASER_CPO_SET_BAUDRATE, ASER_CPO_SET_DATASIZE,
                                   ASER_CPO_SET_PARITY, ASER_CPO_SET_STOPSIZE,
                                   ASER_CPO_SET_CONTROL};
    uint32_t v[5], old;
    for (int i = 0; i < 5; i++) {
        int rc = aser__rfc2217_config_value(cfg, cmds[i], &v[i]);
        if (rc < 0) return rc;
    }
    t->problem = 0;
    for (int i = 0; i < 5; i++) {
        if (cur && aser__rfc2217_config_value(cur, cmds[i], &old) == 0 && old == v[i] &&
            !t->acks[i].deadline)
            continue;
        send_cmd(t, i, cmds[i], v[i], gate);
    }
    return 0;
}

static void send_line(r2_tp *t, int s, bool on)
{
    uint8_t v = s == S_DTR ? (on ? ASER_CPO_CTL_DTR_ON : ASER_CPO_CTL_DTR_OFF)
                           : (on ? ASER_CPO_CTL_RTS_ON : ASER_CPO_CTL_RTS_OFF);
    send_cmd(t, s, ASER_CPO_SET_CONTROL, v, false);
}

/* COM-PORT-OPTION is on: configure the line as the port's config says. */
static void comport_up(r2_tp *t)
{
    aser_port *p = t->p;
    if (t->comport) return;
    t->comport = true;
    caps_comport(t);
    aser__rfc2217_send_signature(&t->codec, SIGNATURE, strlen(SIGNATURE));
    if (send_settings(t, NULL, &aser__conn(p)->cfg, true) < 0)
        cap_set(t, ASER_FEAT_FLOW_RTSCTS, ASER_CAP_UNSUPPORTED,
                "RFC 2217 cannot express this flow control combination");
    if (aser__conn(p)->cfg.dtr != ASER_LEVEL_KEEP)
        send_line(t, S_DTR, aser__conn(p)->cfg.dtr == ASER_LEVEL_ON);
    if (aser__conn(p)->cfg.rts != ASER_LEVEL_KEEP && !(aser__conn(p)->cfg.flow & ASER_FLOW_RTSCTS))
        send_line(t, S_RTS, aser__conn(p)->cfg.rts == ASER_LEVEL_ON);
    /* Line errors only: data-ready and the shift-register bits would make
     * the server notify on every byte. */
    send_cmd(t, -1, ASER_CPO_SET_LINESTATE_MASK,
             ASER_CPO_LS_OVERRUN | ASER_CPO_LS_PARITY | ASER_CPO_LS_FRAMING | ASER_CPO_LS_BREAK,
             false);
    send_cmd(t, -1, ASER_CPO_SET_MODEMSTATE_MASK, 255, false);
    aser__rfc2217_send_signature(&t->codec, "", 0); /* ask for the server's */
    t->ph = PH_OPEN;
    rearm(t);
    maybe_ready(t);
}

/* No COM-PORT-OPTION: carry data only, say why. */
static void comport_down(r2_tp *t, const char *why)
{
    if (t->ph == PH_OPEN) return;
    char r[128];
    snprintf(r, sizeof r, "%s: data only", why);
    caps_all(t, ASER_CAP_UNSUPPORTED, r);
    t->ph = PH_OPEN;
    rearm(t);
    maybe_ready(t);
}

/* ---- replies ------------------------------------------------------------------------- */

static int slot_of_reply(uint8_t cmd, uint32_t value)
{
    if (cmd >= ASER_CPO_SET_BAUDRATE && cmd <= ASER_CPO_SET_STOPSIZE) return cmd - 1;
    if (cmd == ASER_CPO_PURGE_DATA) return S_PURGE;
    if (cmd != ASER_CPO_SET_CONTROL) return -1;
    aser_rfc2217_control ctl;
    if (aser__rfc2217_control_parse(value, &ctl) < 0) return -1;
    switch (ctl.kind) {
    case ASER_CPO_KIND_FLOW:
    case ASER_CPO_KIND_INFLOW: return S_FLOW;
    case ASER_CPO_KIND_DTR: return S_DTR;
    case ASER_CPO_KIND_RTS: return S_RTS;
    case ASER_CPO_KIND_BREAK: return S_BREAK;
    }
    return -1;
}

static void on_ack(r2_tp *t, const aser_rfc2217_event *ev)
{
    int s = slot_of_reply(ev->cmd, ev->value);
    if (s < 0 || !t->acks[s].deadline) return; /* unsolicited: ignore */
    ack a = t->acks[s];
    t->acks[s].deadline = 0;
    int f = slot_feat[s];
    if (ev->value == a.value) {
        if (f >= 0) cap_set(t, f, ASER_CAP_SUPPORTED, "acknowledged by the server");
    } else if (s == S_BAUD) {
        cap_set(t, ASER_FEAT_CUSTOM_BAUD, ASER_CAP_UNSUPPORTED,
                "server answered %u baud when asked for %u", ev->value, a.value);
        aser__port_set_errmsg(t->p,
                              "%s: the server kept %u baud when asked for %u: it cannot set "
                              "that rate, or the export does not let clients change settings "
                              "(read-only or locked)",
                              aser__conn(t->p)->name, ev->value, a.value);
        if (!t->problem) t->problem = ASER_ENOTSUP;
    } else if (s <= S_FLOW) {
        if (f >= 0)
            cap_set(t, f, ASER_CAP_UNSUPPORTED, "server answered %s with %u, not %u", slot_name[s],
                    ev->value, a.value);
        aser__port_set_errmsg(t->p,
                              "%s: server answered %s with %u, not %u: it cannot set that, or "
                              "the export does not let clients change settings",
                              aser__conn(t->p)->name, slot_name[s], ev->value, a.value);
        if (!t->problem) t->problem = ASER_ENOTSUP;
    }
    if (a.gate) maybe_ready(t);
}

static void on_expired(r2_tp *t, int s)
{
    ack a = t->acks[s];
    t->acks[s].deadline = 0;
    int f = slot_feat[s];
    if (f >= 0)
        cap_set(t, f, ASER_CAP_UNKNOWN, "server did not acknowledge %s within %u ms%s",
                slot_name[s], t->ack_ms,
                s == S_DTR || s == S_RTS ? " (ser2net does not on ports without modem lines)" : "");
    if (s <= S_FLOW && !t->problem) t->problem = ASER_ETIMEDOUT;
    if (s <= S_FLOW)
        aser__port_set_errmsg(t->p, "%s: server did not acknowledge %s within %u ms",
                              aser__conn(t->p)->name, slot_name[s], t->ack_ms);
    if (a.gate) maybe_ready(t);
}

static int r2_modem_get(aser_port *p);

/* NOTIFY-LINESTATE error bits as ASER_LINEERR_*. */
static unsigned line_errors(uint8_t ls)
{
    return (ls & ASER_CPO_LS_OVERRUN ? ASER_LINEERR_OVERRUN : 0u) |
           (ls & ASER_CPO_LS_PARITY ? ASER_LINEERR_PARITY : 0u) |
           (ls & ASER_CPO_LS_FRAMING ? ASER_LINEERR_FRAMING : 0u) |
           (ls & ASER_CPO_LS_BREAK ? ASER_LINEERR_BREAK : 0u);
}

static void on_comport(r2_tp *t, const aser_rfc2217_event *ev)
{
    if (!ev->reply && ev->cmd != ASER_CPO_FLOWCONTROL_SUSPEND &&
        ev->cmd != ASER_CPO_FLOWCONTROL_RESUME)
        return;
    switch (ev->cmd) {
    case ASER_CPO_NOTIFY_MODEMSTATE:
        t->modem = aser__rfc2217_modem_to_lines((uint8_t)ev->value);
        aser__port_lines_changed(t->p, (unsigned)r2_modem_get(t->p), 0);
        break;
    case ASER_CPO_NOTIFY_LINESTATE:
        t->linestate = (uint8_t)ev->value;
        aser__port_lines_changed(t->p, (unsigned)r2_modem_get(t->p), line_errors(t->linestate));
        break;
    case ASER_CPO_FLOWCONTROL_SUSPEND: t->suspended = true; break;
    case ASER_CPO_FLOWCONTROL_RESUME: t->suspended = false; break;
    case ASER_CPO_SIGNATURE:
        if (ev->len == 0)
            aser__rfc2217_send_signature(&t->codec, SIGNATURE, strlen(SIGNATURE));
        else
            snprintf(t->sig, sizeof t->sig, "%.*s", (int)ev->len, (const char *)ev->data);
        break;
    case ASER_CPO_SET_LINESTATE_MASK:
    case ASER_CPO_SET_MODEMSTATE_MASK: break;
    default: on_ack(t, ev); break;
    }
}

static void on_option(r2_tp *t, const aser_rfc2217_event *ev)
{
    if (ev->opt != ASER_TNOPT_COMPORT) return;
    if (ev->enabled) {
        comport_up(t); /* late (after the negotiation timeout) is fine too */
        return;
    }
    /* We asked WILL (our side); a DONT is the refusal. A server offering
     * WILL on its side later still turns the option on (comport_up). */
    if (ev->side == ASER_TELNET_LOCAL && !t->comport)
        comport_down(t, "server refused COM-PORT-OPTION (RFC 2217)");
}

static void on_codec(aser_rfc2217 *c, const aser_rfc2217_event *ev, void *ud)
{
    r2_tp *t = ud;
    (void)c;
    switch (ev->type) {
    case ASER_RFC2217_EV_DATA:
        if (t->dst && t->dlen + ev->len <= t->dcap) {
            memcpy(t->dst + t->dlen, ev->data, ev->len);
            t->dlen += ev->len;
        }
        break;
    case ASER_RFC2217_EV_SEND:
        if (out_append(t, ev->data, ev->len) < 0) t->errors++;
        break;
    case ASER_RFC2217_EV_OPTION: on_option(t, ev); break;
    case ASER_RFC2217_EV_COMPORT: on_comport(t, ev); break;
    case ASER_RFC2217_EV_ERROR: t->errors++; break;
    default: break;
    }
}

/* ---- time ---------------------------------------------------------------------------- */

static void rearm(r2_tp *t)
{
    uint64_t dl = 0;
#define TAKE(v)                                 \
    do {                                        \
        if ((v) && (!dl || (v) < dl)) dl = (v); \
    } while (0)
    if (t->ph == PH_NEGOTIATING) TAKE(t->nego_deadline);
    TAKE(t->break_end);
    for (int s = 0; s < S_COUNT; s++) TAKE(t->acks[s].deadline);
#undef TAKE
    if (!dl) {
        aser__tmr_stop(t->tmr);
        return;
    }
    uint64_t now = aser__now_us();
    aser__tmr_start(t->tmr, dl > now ? dl - now : 0);
}

static void on_timer(void *arg)
{
    r2_tp *t = arg;
    uint64_t now = aser__now_us();
    if (t->ph == PH_NEGOTIATING && now >= t->nego_deadline) {
        char why[96];
        snprintf(why, sizeof why, "no answer to COM-PORT-OPTION within %u ms", t->ack_ms);
        comport_down(t, why);
    }
    if (t->break_end && now >= t->break_end) {
        t->break_end = 0;
        send_cmd(t, S_BREAK, ASER_CPO_SET_CONTROL, ASER_CPO_CTL_BREAK_OFF, false);
    }
    for (int s = 0; s < S_COUNT; s++)
        if (t->acks[s].deadline && now >= t->acks[s].deadline) on_expired(t, s);
    rearm(t);
    aser__port_io(t->p, 0); /* flush (on_io) and let the port dispatch */
}

/* ---- the transport table --------------------------------------------------------------- */

static bool takes_data(const r2_tp *t)
{
    return t->ph == PH_OPEN && !t->suspended && !t->break_end;
}

static ssize_t r2_read(aser_port *p, void *buf, size_t n)
{
    r2_tp *t = tp_of(p);
    uint8_t raw[READ_CHUNK];
    ssize_t r = aser__netc_read(&t->nc, p, raw, ASER_MIN(n, sizeof raw));
    if (r <= 0) return r == 0 ? ASER_EDISCONNECTED : r; /* "connection lost" */
    t->dst = buf;
    t->dcap = n;
    t->dlen = 0;
    aser__rfc2217_recv(&t->codec, raw, (size_t)r);
    t->dst = NULL;
    int rc = out_flush(t); /* answers to the server's negotiation */
    if (rc < 0 && rc != ASER_EAGAIN) return rc;
    return t->dlen ? (ssize_t)t->dlen : ASER_EAGAIN;
}

static ssize_t r2_write(aser_port *p, const void *buf, size_t n)
{
    r2_tp *t = tp_of(p);
    if (!takes_data(t)) return ASER_EAGAIN;
    int rc = out_flush(t);
    if (rc < 0) return rc;
    if (aser__bq_size(&t->out)) return ASER_EAGAIN;
    size_t m = ASER_MIN(n, DATA_CHUNK);
    aser__rfc2217_send_data(&t->codec, buf, m); /* escaped into t->out */
    rc = out_flush(t);
    if (rc < 0 && rc != ASER_EAGAIN) return rc;
    return (ssize_t)m;
}

static unsigned r2_io_mask(aser_port *p, unsigned ev)
{
    r2_tp *t = tp_of(p);
    if (!takes_data(t)) ev &= ~(unsigned)ASER_EV_WRITE;
    if (aser__bq_size(&t->out) && !t->suspended) ev |= ASER_EV_WRITE;
    return aser__stream_io_mask(&t->nc.st, ev); /* TLS: cipher to send, plain to read */
}

static unsigned r2_on_io(aser_port *p, unsigned revents)
{
    r2_tp *t = tp_of(p);
    if (revents & ASER_EV_WRITE) {
        int rc = aser__stream_flush(&t->nc.st);
        if (rc == 0) rc = out_flush(t);
        if (rc < 0 && rc != ASER_EAGAIN) {
            aser__port_io_failed(p, rc);
            return 0;
        }
    } else if (revents == 0) {
        (void)out_flush(t); /* from the timer: errors show up on the read side */
    }
    if (!takes_data(t) || aser__bq_size(&t->out) || aser__stream_pending(&t->nc.st))
        revents &= ~(unsigned)ASER_EV_WRITE;
    return revents;
}

/* The blocking API: wait on the private loop until the settings just sent
 * are acknowledged or timed out. */
static int wait_acks(r2_tp *t, aser_err *err)
{
    aser_port *p = t->p;
    aser_conn *c = aser__conn(p);
    while (gated(t) && aser__port_usable(p) == 0 && c->fd >= 0)
        if (aser_loop_run_once(c->loop, 50) < 0) break;
    int rc = aser__port_usable(p);
    if (rc < 0 || c->fd < 0)
        return aser__err(err, rc < 0 ? rc : ASER_EDISCONNECTED, "%s", aser_port_errmsg(p));
    for (int s = 0; s < S_COUNT; s++) t->acks[s].gate = false;
    if (t->problem) return aser__err(err, t->problem, "%s", aser_port_errmsg(p));
    return 0;
}

static int r2_apply(aser_port *p, const aser_config *cur, const aser_config *cfg, aser_caps *caps,
                    aser_err *err)
{
    r2_tp *t = tp_of(p);
    int rc = aser_config_validate(cfg, err);
    if (rc < 0) return rc;
    if (cfg->rs485.enabled && !cur->rs485.enabled)
        return aser__err(err, ASER_ENOTSUP, "%s: RFC 2217 has no RS-485 control",
                         aser__conn(p)->name);
    uint32_t v;
    if (aser__rfc2217_config_value(cfg, ASER_CPO_SET_CONTROL, &v) == ASER_ENOTSUP)
        return aser__err(err, ASER_ENOTSUP,
                         "%s: RFC 2217 cannot express RTS/CTS together "
                         "with XON/XOFF; pick one",
                         aser__conn(p)->name);
    if (t->ph != PH_OPEN) return 0; /* sent once negotiated, from aser__conn(p)->cfg */
    if (!t->comport) {
        if (aser__config_line_differs(cur, cfg))
            return aser__err(err, ASER_ENOTSUP, "%s: %s", aser__conn(p)->name,
                             t->reason[ASER_FEAT_BAUD]);
        return 0;
    }
    rc = send_settings(t, cur, cfg, aser__conn(p)->blocking);
    if (rc < 0) return aser__err(err, rc, "%s: cannot encode the settings", aser__conn(p)->name);
    (void)out_flush(t);
    if (aser__conn(p)->blocking) rc = wait_acks(t, err);
    *caps = aser__conn(p)->caps; /* acknowledgements update the capabilities */
    return rc;
}

static int r2_modem_get(aser_port *p)
{
    r2_tp *t = tp_of(p);
    if (!t->comport) {
        aser__port_set_errmsg(p, "%s: %s", aser__conn(p)->name, t->reason[ASER_FEAT_MODEM_LINES]);
        return ASER_ENOTSUP;
    }
    return (int)(t->modem | (aser__conn(p)->lines_values & (ASER_LINE_DTR | ASER_LINE_RTS)));
}

static int r2_modem_set(aser_port *p, unsigned mask, unsigned values)
{
    r2_tp *t = tp_of(p);
    if (mask & ~(unsigned)(ASER_LINE_DTR | ASER_LINE_RTS)) return ASER_EINVAL;
    if (t->ph == PH_OPEN && !t->comport) return r2_modem_get(p);
    if (t->ph != PH_OPEN) return 0; /* sent on (re)connect from the recorded levels */
    if (mask & ASER_LINE_DTR) send_line(t, S_DTR, values & ASER_LINE_DTR);
    if (mask & ASER_LINE_RTS) send_line(t, S_RTS, values & ASER_LINE_RTS);
    (void)out_flush(t);
    return 0;
}

/* Returns at once: the break ends from the timer; data waits meanwhile. */
static int r2_break(aser_port *p, unsigned ms)
{
    r2_tp *t = tp_of(p);
    if (!t->comport) {
        aser__port_set_errmsg(p, "%s: %s", aser__conn(p)->name, t->reason[ASER_FEAT_BREAK]);
        return ASER_ENOTSUP;
    }
    if (t->break_end) return ASER_EBUSY;
    send_cmd(t, S_BREAK, ASER_CPO_SET_CONTROL, ASER_CPO_CTL_BREAK_ON, false);
    t->break_end = aser__now_us() + (uint64_t)(ms ? ms : 250) * 1000u;
    rearm(t);
    (void)out_flush(t);
    return 0;
}

static int r2_flush(aser_port *p, int which)
{
    r2_tp *t = tp_of(p);
    if ((which & ASER_DISCARD_INPUT) && aser__conn(p)->fd >= 0) { /* commands still count */
        uint8_t raw[READ_CHUNK];
        for (int i = 0; i < 64; i++) {
            ssize_t r = aser__netc_read(&t->nc, p, raw, sizeof raw);
            if (r <= 0) break;
            aser__rfc2217_recv(&t->codec, raw, (size_t)r); /* no t->dst: data dropped */
        }
    }
    if (t->comport) {
        uint32_t v = which == ASER_DISCARD_BOTH    ? ASER_CPO_PURGE_BOTH
                     : which == ASER_DISCARD_INPUT ? ASER_CPO_PURGE_RX
                                                   : ASER_CPO_PURGE_TX;
        send_cmd(t, S_PURGE, ASER_CPO_PURGE_DATA, v, false);
    }
    (void)out_flush(t);
    return 0;
}

static int r2_inq(aser_port *p)
{
    return aser__net_inq(aser__conn(p)->fd);
}

static int r2_outq(aser_port *p)
{
    r2_tp *t = tp_of(p);
    int q = aser__net_outq(aser__conn(p)->fd);
    return q < 0 ? q : q + (int)aser__bq_size(&t->out);
}

static void reset_conn(r2_tp *t)
{
    aser__tmr_stop(t->tmr);
    t->ph = PH_CONNECTING;
    t->comport = t->suspended = false;
    t->nego_deadline = t->break_end = 0;
    memset(t->acks, 0, sizeof t->acks);
    t->problem = 0;
    t->modem = 0;
    t->linestate = 0;
    aser__bq_reset(&t->out);
    aser__rfc2217_init(&t->codec, ASER_RFC2217_CLIENT, on_codec, t);
    caps_all(t, ASER_CAP_UNKNOWN, "not connected yet");
}

static void on_connected(aser_netc *c, int fd, int code, const char *msg)
{
    r2_tp *t = c->ctx;
    if (!aser__port_connected(t->p, fd, code, msg)) return;
    t->ph = PH_NEGOTIATING;
    t->nego_deadline = aser__now_us() + (uint64_t)t->ack_ms * 1000u;
    aser__rfc2217_start(&t->codec);
    (void)out_flush(t);
    rearm(t);
}

static int r2_reopen(aser_port *p, aser_err *err)
{
    r2_tp *t = tp_of(p);
    reset_conn(t);
    return aser__netc_reopen(&t->nc, p, err);
}

static void r2_close(aser_port *p)
{
    r2_tp *t = tp_of(p);
    if (t) {
        aser__stream_goodbye(&t->nc.st);
        aser__netc_stop(&t->nc);
        aser__tmr_stop(t->tmr);
        t->ph = PH_CONNECTING;
    }
    if (aser__conn(p)->fd >= 0) aser__sock_close(aser__conn(p)->fd);
    aser__conn(p)->fd = -1;
}

static void r2_release(aser_port *p)
{
    r2_tp *t = tp_of(p);
    if (!t) return;
    aser__netc_free(&t->nc);
    if (t->tmr) aser__tmr_close(t->tmr);
    aser__bq_free(&t->out);
    free(t);
    aser__conn(p)->data = NULL;
}

static int r2_open(aser_port *p, const aser_url *url, aser_err *err)
{
    const aser_net_url u = url->net;
    int rc;
    int tls_rc = aser__netc_check_tls(&url->net, aser__conn(p)->name, err);
    if (tls_rc < 0) return tls_rc;
    r2_tp *t = calloc(1, sizeof *t);
    if (!t) return aser__err(err, ASER_ENOMEM, "out of memory opening %s", aser__conn(p)->name);
    t->p = p;
    t->ack_ms = u.ack_timeout_ms ? u.ack_timeout_ms : ASER_NET_ACK_TIMEOUT_MS;
    t->tmr = aser__tmr_open(aser__conn(p)->loop, on_timer, t);
    rc = t->tmr ? aser__netc_init(&t->nc, aser__conn(p)->loop, aser__conn(p)->name, &u,
                                  on_connected, t)
                : ASER_ENOMEM;
    aser__conn(p)->data = t;
    if (rc < 0) {
        r2_release(p);
        return aser__err(err, rc, "out of memory opening %s", aser__conn(p)->name);
    }
    t->nc.inline_resolve = aser__conn(p)->blocking;
    uint32_t v;
    if (aser__rfc2217_config_value(&aser__conn(p)->cfg, ASER_CPO_SET_CONTROL, &v) == ASER_ENOTSUP) {
        r2_release(p);
        return aser__err(err, ASER_ENOTSUP,
                         "%s: RFC 2217 cannot express RTS/CTS together "
                         "with XON/XOFF; pick one",
                         aser__conn(p)->name);
    }
    rc = r2_reopen(p, err);
    if (rc < 0) r2_release(p);
    return rc;
}

#define R2_OPS                                                                                     \
    .lines_pushed = true,                                                                          \
    .lost_hint = "the server closed the connection or the network failed; check the "              \
                 "server, then reopen (or enable reconnect)",                                      \
    .open = r2_open, .read = r2_read, .write = r2_write, .apply = r2_apply,                        \
    .modem_get = r2_modem_get, .modem_set = r2_modem_set, .send_break = r2_break,                  \
    .flush = r2_flush, .inq = r2_inq, .outq = r2_outq, .reopen = r2_reopen, .io_mask = r2_io_mask, \
    .on_io = r2_on_io, .close = r2_close, .release = r2_release

const aser_transport_ops aser__rfc2217_transport = {
    .scheme = "rfc2217",
    .prefix = "rfc2217://",
    .example = "rfc2217://HOST:PORT",
    .addr = ASER_ADDR_HOSTPORT,
    .url_opts = ASER_URLOPT_CONNECT_TIMEOUT | ASER_URLOPT_ACK_TIMEOUT,
    R2_OPS,
};

/* The same over TLS (ser2net's telnet(rfc2217),ssl(...),tcp accepter). */
const aser_transport_ops aser__rfc2217_tls_transport = {
    .scheme = "rfc2217+tls",
    .prefix = "rfc2217+tls://",
    .example = "rfc2217+tls://HOST:PORT",
    .addr = ASER_ADDR_HOSTPORT,
    .url_opts = ASER_URLOPT_CONNECT_TIMEOUT | ASER_URLOPT_ACK_TIMEOUT | ASER_URLOPT_TLS,
    R2_OPS,
};
