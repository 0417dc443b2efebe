/* rfc2217.c: the COM-PORT-OPTION codec (RFC 2217) over telnet.c.
 * See rfc2217.h for the contract and docs/rfc2217.md for the design.
 *
 * Sections: set-up, decoding, encoding, mapping to aser_config, tables.
 */
#include "codec/rfc2217.h"

#include "internal.h"

#include <string.h>

/* Width in bytes of each command's value (SIGNATURE: text, any length). */
static const uint8_t value_width[ASER_CPO_COUNT_] = {0, 4, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1};

/* Cisco IOS baud indexes, as ser2net accepts them (index 0 asks). */
static const struct {
    uint8_t index;
    uint32_t baud;
} cisco_table[] = {{3, 300},    {4, 600},    {5, 1200},   {6, 2400},    {7, 4800},   {8, 9600},
                   {10, 19200}, {12, 38400}, {13, 57600}, {14, 115200}, {15, 230400}};

static void emit(aser_rfc2217 *c, aser_rfc2217_event *ev)
{
    c->fn(c, ev, c->ud);
}

/* ---------------------------------------------------------------------- */
/* Set-up                                                                  */
/* ---------------------------------------------------------------------- */

static void on_telnet(aser_telnet *t, const aser_telnet_event *tev, void *ud);

void aser__rfc2217_init(aser_rfc2217 *c, aser_rfc2217_role role, aser_rfc2217_fn fn, void *ud)
{
    static const uint8_t opts[] = {ASER_TNOPT_BINARY, ASER_TNOPT_SGA, ASER_TNOPT_COMPORT};
    memset(c, 0, sizeof *c);
    c->role = role;
    c->fn = fn;
    c->ud = ud;
    aser__telnet_init(&c->tn, on_telnet, c);
    for (size_t i = 0; i < sizeof opts; i++) {
        aser__telnet_accept(&c->tn, opts[i], ASER_TELNET_LOCAL, true);
        aser__telnet_accept(&c->tn, opts[i], ASER_TELNET_REMOTE, true);
    }
}

void aser__rfc2217_start(aser_rfc2217 *c)
{
    aser_telnet *t = &c->tn;
    aser__telnet_request(t, ASER_TNOPT_BINARY, ASER_TELNET_LOCAL, true);
    aser__telnet_request(t, ASER_TNOPT_BINARY, ASER_TELNET_REMOTE, true);
    aser__telnet_request(t, ASER_TNOPT_SGA, ASER_TELNET_LOCAL, true);
    aser__telnet_request(t, ASER_TNOPT_SGA, ASER_TELNET_REMOTE, true);
    aser__telnet_request(t, ASER_TNOPT_COMPORT,
                         c->role == ASER_RFC2217_CLIENT ? ASER_TELNET_LOCAL : ASER_TELNET_REMOTE,
                         true);
}

void aser__rfc2217_recv(aser_rfc2217 *c, const uint8_t *buf, size_t len)
{
    aser__telnet_recv(&c->tn, buf, len);
}

void aser__rfc2217_send_data(aser_rfc2217 *c, const uint8_t *buf, size_t len)
{
    aser__telnet_send_data(&c->tn, buf, len);
}

bool aser__rfc2217_active(const aser_rfc2217 *c)
{
    return aser__telnet_enabled(&c->tn, ASER_TNOPT_COMPORT, ASER_TELNET_LOCAL) ||
           aser__telnet_enabled(&c->tn, ASER_TNOPT_COMPORT, ASER_TELNET_REMOTE);
}

aser_telnet *aser__rfc2217_telnet(aser_rfc2217 *c)
{
    return &c->tn;
}

/* ---------------------------------------------------------------------- */
/* Decoding                                                                */
/* ---------------------------------------------------------------------- */

static void emit_unknown(aser_rfc2217 *c, uint8_t opt, const uint8_t *p, size_t n, const char *why)
{
    aser_rfc2217_event ev = {.type = ASER_RFC2217_EV_UNKNOWN,
                             .opt = opt,
                             .data = p,
                             .len = n,
                             .cmd = n ? p[0] : 0,
                             .msg = why};
    emit(c, &ev);
}

static uint32_t be_value(const uint8_t *p, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}

/* SET-BAUDRATE: 4 bytes by the RFC; 1 byte is a Cisco index; 2 or 3 bytes
 * are a short big-endian rate; more than 4: the first 4 count. */
static void decode_baud(aser_rfc2217 *c, aser_rfc2217_event *ev)
{
    size_t n = ev->len;
    if (n == 1) {
        ev->flags |= ASER_CPO_F_CISCO | ASER_CPO_F_SHORT;
        ev->value = aser__rfc2217_cisco_baud(ev->data[0]);
        c->cisco_baud = true;
        return;
    }
    if (n < 4) ev->flags |= ASER_CPO_F_SHORT;
    if (n > 4) ev->flags |= ASER_CPO_F_LONG;
    ev->value = be_value(ev->data, n > 4 ? 4 : n);
}

static void decode_value(aser_rfc2217 *c, aser_rfc2217_event *ev)
{
    if (ev->cmd == ASER_CPO_SIGNATURE) return; /* text in data/len */
    if (ev->cmd == ASER_CPO_SET_BAUDRATE) {
        decode_baud(c, ev);
        return;
    }
    size_t w = value_width[ev->cmd];
    if (ev->len < w) ev->flags |= ASER_CPO_F_SHORT;
    if (ev->len > w) ev->flags |= ASER_CPO_F_LONG;
    if (w && ev->len) ev->value = ev->data[0];
}

/* Whether a code may travel towards this role. FLOWCONTROL-SUSPEND and
 * -RESUME are accepted in both forms: pyserial's client expects (and some
 * servers send) 8/9 where the RFC says 108/109. */
static const char *direction_problem(const aser_rfc2217 *c, uint8_t cmd, bool reply)
{
    if (cmd == ASER_CPO_FLOWCONTROL_SUSPEND || cmd == ASER_CPO_FLOWCONTROL_RESUME) return NULL;
    if (c->role == ASER_RFC2217_CLIENT && !reply)
        return "COM-PORT command code received by a client (expected code + 100)";
    if (c->role == ASER_RFC2217_SERVER && reply)
        return "COM-PORT server reply code received by a server";
    return NULL;
}

/* A complete IAC SB 44 ... IAC SE payload (after the option byte). */
static void on_comport(aser_rfc2217 *c, const uint8_t *p, size_t n)
{
    if (n == 0) {
        emit_unknown(c, ASER_TNOPT_COMPORT, p, n, "empty COM-PORT-OPTION subnegotiation");
        return;
    }
    uint8_t w = p[0];
    bool reply = w >= ASER_CPO_SERVER_OFFSET;
    uint8_t cmd = reply ? (uint8_t)(w - ASER_CPO_SERVER_OFFSET) : w;
    if (cmd >= ASER_CPO_COUNT_) {
        emit_unknown(c, ASER_TNOPT_COMPORT, p, n, "unknown COM-PORT-OPTION command");
        return;
    }
    const char *why = direction_problem(c, cmd, reply);
    if (why) {
        emit_unknown(c, ASER_TNOPT_COMPORT, p, n, why);
        return;
    }
    aser_rfc2217_event ev = {
        .type = ASER_RFC2217_EV_COMPORT, .cmd = cmd, .reply = reply, .data = p + 1, .len = n - 1};
    decode_value(c, &ev);
    if (!aser__rfc2217_active(c)) ev.flags |= ASER_CPO_F_UNNEGOTIATED;
    emit(c, &ev);
}

/* Telnet events, translated. */
static void on_telnet(aser_telnet *t, const aser_telnet_event *tev, void *ud)
{
    aser_rfc2217 *c = ud;
    aser_rfc2217_event ev = {0};
    (void)t;
    switch (tev->type) {
    case ASER_TELNET_EV_SB:
        if (tev->opt == ASER_TNOPT_COMPORT)
            on_comport(c, tev->data, tev->len);
        else
            emit_unknown(c, tev->opt, tev->data, tev->len,
                         "subnegotiation for an option this codec does not use");
        return;
    case ASER_TELNET_EV_DATA: ev.type = ASER_RFC2217_EV_DATA; break;
    case ASER_TELNET_EV_SEND: ev.type = ASER_RFC2217_EV_SEND; break;
    case ASER_TELNET_EV_OPTION: ev.type = ASER_RFC2217_EV_OPTION; break;
    case ASER_TELNET_EV_CMD: ev.type = ASER_RFC2217_EV_TELNET_CMD; break;
    default: ev.type = ASER_RFC2217_EV_ERROR; break;
    }
    ev.data = tev->data;
    ev.len = tev->len;
    ev.opt = tev->opt;
    ev.side = tev->side;
    ev.enabled = tev->enabled;
    ev.cmd = tev->cmd;
    ev.code = tev->code;
    ev.msg = tev->msg;
    emit(c, &ev);
}

/* ---------------------------------------------------------------------- */
/* Encoding                                                                */
/* ---------------------------------------------------------------------- */

static uint8_t wire_code(const aser_rfc2217 *c, uint8_t cmd)
{
    return c->role == ASER_RFC2217_SERVER ? (uint8_t)(cmd + ASER_CPO_SERVER_OFFSET) : cmd;
}

static int send_payload(aser_rfc2217 *c, const uint8_t *p, size_t n)
{
    if (!aser__rfc2217_active(c)) return ASER_ENOTSUP;
    return aser__telnet_send_sb(&c->tn, ASER_TNOPT_COMPORT, p, n);
}

/* The value bytes of SET-BAUDRATE; returns their count. */
static size_t put_baud(const aser_rfc2217 *c, uint8_t *p, uint32_t baud)
{
    if (c->role == ASER_RFC2217_SERVER && c->cisco_baud) {
        int idx = baud ? aser__rfc2217_cisco_index(baud) : 0;
        p[0] = idx < 0 ? 0 : (uint8_t)idx; /* 0: no index for this rate */
        return 1;
    }
    p[0] = (uint8_t)(baud >> 24);
    p[1] = (uint8_t)(baud >> 16);
    p[2] = (uint8_t)(baud >> 8);
    p[3] = (uint8_t)baud;
    return 4;
}

int aser__rfc2217_send(aser_rfc2217 *c, uint8_t cmd, uint32_t value)
{
    uint8_t p[5];
    size_t n = 0;
    if (cmd >= ASER_CPO_COUNT_) return ASER_EINVAL;
    if (cmd == ASER_CPO_SIGNATURE)
        return value ? ASER_EINVAL : aser__rfc2217_send_signature(c, NULL, 0);
    p[n++] = wire_code(c, cmd);
    if (cmd == ASER_CPO_SET_BAUDRATE) {
        n += put_baud(c, p + n, value);
    } else if (value_width[cmd] == 1) {
        if (value > 255) return ASER_EINVAL;
        p[n++] = (uint8_t)value;
    } else if (value != 0) {
        return ASER_EINVAL;
    }
    return send_payload(c, p, n);
}

int aser__rfc2217_send_signature(aser_rfc2217 *c, const char *text, size_t len)
{
    uint8_t p[ASER_TELNET_SB_MAX];
    if (len > sizeof p - 1 || (len && !text)) return ASER_EINVAL;
    p[0] = wire_code(c, ASER_CPO_SIGNATURE);
    if (len) memcpy(p + 1, text, len);
    return send_payload(c, p, len + 1);
}

const char *aser__rfc2217_cmd_name(uint8_t cmd)
{
    static const char *const names[ASER_CPO_COUNT_] = {
        "SIGNATURE",           "SET-BAUDRATE",       "SET-DATASIZE",       "SET-PARITY",
        "SET-STOPSIZE",        "SET-CONTROL",        "NOTIFY-LINESTATE",   "NOTIFY-MODEMSTATE",
        "FLOWCONTROL-SUSPEND", "FLOWCONTROL-RESUME", "SET-LINESTATE-MASK", "SET-MODEMSTATE-MASK",
        "PURGE-DATA"};
    return cmd < ASER_CPO_COUNT_ ? names[cmd] : "?";
}

/* ---------------------------------------------------------------------- */
/* Mapping to and from aser_config                                         */
/* ---------------------------------------------------------------------- */

int aser__rfc2217_parity_to_wire(aser_parity p)
{
    switch (p) {
    case ASER_PARITY_NONE: return ASER_CPO_PARITY_NONE;
    case ASER_PARITY_ODD: return ASER_CPO_PARITY_ODD;
    case ASER_PARITY_EVEN: return ASER_CPO_PARITY_EVEN;
    case ASER_PARITY_MARK: return ASER_CPO_PARITY_MARK;
    case ASER_PARITY_SPACE: return ASER_CPO_PARITY_SPACE;
    default: return ASER_EINVAL;
    }
}

int aser__rfc2217_parity_from_wire(uint32_t v, aser_parity *out)
{
    static const aser_parity map[] = {ASER_PARITY_NONE, ASER_PARITY_ODD, ASER_PARITY_EVEN,
                                      ASER_PARITY_MARK, ASER_PARITY_SPACE};
    if (v < 1 || v > 5) return ASER_EPROTO;
    *out = map[v - 1];
    return 0;
}

int aser__rfc2217_stop_to_wire(aser_stopbits s)
{
    switch (s) {
    case ASER_STOP_1: return ASER_CPO_STOP_1;
    case ASER_STOP_2: return ASER_CPO_STOP_2;
    case ASER_STOP_1_5: return ASER_CPO_STOP_1_5;
    default: return ASER_EINVAL;
    }
}

int aser__rfc2217_stop_from_wire(uint32_t v, aser_stopbits *out)
{
    switch (v) {
    case ASER_CPO_STOP_1: *out = ASER_STOP_1; return 0;
    case ASER_CPO_STOP_2: *out = ASER_STOP_2; return 0;
    case ASER_CPO_STOP_1_5: *out = ASER_STOP_1_5; return 0;
    default: return ASER_EPROTO;
    }
}

/* SET-CONTROL values 0..19, in order. on and flow are meaningful only
 * where the kind uses them. */
static const struct {
    uint8_t kind;
    bool query;
    bool on;
    int8_t flow;
} ctl_table[20] = {
    {ASER_CPO_KIND_FLOW, true, false, 0},
    {ASER_CPO_KIND_FLOW, false, false, ASER_FLOW_NONE},
    {ASER_CPO_KIND_FLOW, false, false, ASER_FLOW_XONXOFF},
    {ASER_CPO_KIND_FLOW, false, false, ASER_FLOW_RTSCTS},
    {ASER_CPO_KIND_BREAK, true, false, 0},
    {ASER_CPO_KIND_BREAK, false, true, 0},
    {ASER_CPO_KIND_BREAK, false, false, 0},
    {ASER_CPO_KIND_DTR, true, false, 0},
    {ASER_CPO_KIND_DTR, false, true, 0},
    {ASER_CPO_KIND_DTR, false, false, 0},
    {ASER_CPO_KIND_RTS, true, false, 0},
    {ASER_CPO_KIND_RTS, false, true, 0},
    {ASER_CPO_KIND_RTS, false, false, 0},
    {ASER_CPO_KIND_INFLOW, true, false, 0},
    {ASER_CPO_KIND_INFLOW, false, false, ASER_FLOW_NONE},
    {ASER_CPO_KIND_INFLOW, false, false, ASER_FLOW_XONXOFF},
    {ASER_CPO_KIND_INFLOW, false, false, ASER_FLOW_RTSCTS},
    {ASER_CPO_KIND_FLOW, false, false, -1},                 /* DCD */
    {ASER_CPO_KIND_INFLOW, false, false, ASER_FLOW_DTRDSR}, /* DTR */
    {ASER_CPO_KIND_FLOW, false, false, ASER_FLOW_DTRDSR},   /* DSR */
};

int aser__rfc2217_control_parse(uint32_t v, aser_rfc2217_control *out)
{
    if (v >= ASER_ARRAY_LEN(ctl_table)) return ASER_EPROTO;
    out->kind = (aser_cpo_ctl_kind)ctl_table[v].kind;
    out->query = ctl_table[v].query;
    out->on = ctl_table[v].on;
    out->flow = ctl_table[v].flow;
    return 0;
}

int aser__rfc2217_control_value(const aser_rfc2217_control *ctl)
{
    bool is_flow = ctl->kind == ASER_CPO_KIND_FLOW || ctl->kind == ASER_CPO_KIND_INFLOW;
    for (size_t v = 0; v < ASER_ARRAY_LEN(ctl_table); v++) {
        if (ctl_table[v].kind != ctl->kind || ctl_table[v].query != ctl->query) continue;
        if (ctl->query) return (int)v;
        if (is_flow ? ctl_table[v].flow == ctl->flow : ctl_table[v].on == ctl->on) return (int)v;
    }
    return is_flow ? ASER_ENOTSUP : ASER_EINVAL;
}

int aser__rfc2217_config_value(const aser_config *cfg, uint8_t cmd, uint32_t *out)
{
    int v;
    switch (cmd) {
    case ASER_CPO_SET_BAUDRATE:
        if (cfg->baud == 0) return ASER_EINVAL;
        *out = cfg->baud;
        return 0;
    case ASER_CPO_SET_DATASIZE:
        if (cfg->data_bits < 5 || cfg->data_bits > 8) return ASER_EINVAL;
        *out = cfg->data_bits;
        return 0;
    case ASER_CPO_SET_PARITY: v = aser__rfc2217_parity_to_wire(cfg->parity); break;
    case ASER_CPO_SET_STOPSIZE: v = aser__rfc2217_stop_to_wire(cfg->stop_bits); break;
    case ASER_CPO_SET_CONTROL: {
        aser_rfc2217_control ctl = {.kind = ASER_CPO_KIND_FLOW, .flow = (int)cfg->flow};
        v = aser__rfc2217_control_value(&ctl);
        break;
    }
    default: return ASER_EINVAL;
    }
    if (v < 0) return v;
    *out = (uint32_t)v;
    return 0;
}

/* SET-CONTROL applied to a config: only the flow values touch it. */
static int apply_control(aser_config *cfg, uint32_t value)
{
    aser_rfc2217_control ctl;
    if (aser__rfc2217_control_parse(value, &ctl) < 0) return ASER_EPROTO;
    if (ctl.query) return 0;
    if (ctl.kind != ASER_CPO_KIND_FLOW && ctl.kind != ASER_CPO_KIND_INFLOW) return 0;
    if (ctl.flow < 0) return ASER_ENOTSUP;
    if (cfg->flow == (unsigned)ctl.flow) return 0;
    cfg->flow = (unsigned)ctl.flow;
    return 1;
}

int aser__rfc2217_config_apply(aser_config *cfg, uint8_t cmd, uint32_t value)
{
    aser_parity par;
    aser_stopbits stop;
    if (value == 0 && cmd != ASER_CPO_SET_CONTROL) return 0; /* a query */
    switch (cmd) {
    case ASER_CPO_SET_BAUDRATE:
        if (cfg->baud == value) return 0;
        cfg->baud = value;
        return 1;
    case ASER_CPO_SET_DATASIZE:
        if (value < 5 || value > 8) return ASER_EPROTO;
        if (cfg->data_bits == value) return 0;
        cfg->data_bits = (uint8_t)value;
        return 1;
    case ASER_CPO_SET_PARITY:
        if (aser__rfc2217_parity_from_wire(value, &par) < 0) return ASER_EPROTO;
        if (cfg->parity == par) return 0;
        cfg->parity = par;
        return 1;
    case ASER_CPO_SET_STOPSIZE:
        if (aser__rfc2217_stop_from_wire(value, &stop) < 0) return ASER_EPROTO;
        if (cfg->stop_bits == stop) return 0;
        cfg->stop_bits = stop;
        return 1;
    case ASER_CPO_SET_CONTROL: return apply_control(cfg, value);
    default: return 0;
    }
}

/* ---------------------------------------------------------------------- */
/* Tables: modem state, Cisco indexes                                       */
/* ---------------------------------------------------------------------- */

unsigned aser__rfc2217_modem_to_lines(uint8_t ms)
{
    unsigned lines = 0;
    if (ms & ASER_CPO_MS_CTS) lines |= ASER_LINE_CTS;
    if (ms & ASER_CPO_MS_DSR) lines |= ASER_LINE_DSR;
    if (ms & ASER_CPO_MS_RI) lines |= ASER_LINE_RI;
    if (ms & ASER_CPO_MS_CD) lines |= ASER_LINE_CD;
    return lines;
}

uint8_t aser__rfc2217_lines_to_modem(unsigned lines, unsigned prev)
{
    unsigned ms = 0, diff = lines ^ prev;
    if (lines & ASER_LINE_CTS) ms |= ASER_CPO_MS_CTS;
    if (lines & ASER_LINE_DSR) ms |= ASER_CPO_MS_DSR;
    if (lines & ASER_LINE_RI) ms |= ASER_CPO_MS_RI;
    if (lines & ASER_LINE_CD) ms |= ASER_CPO_MS_CD;
    if (diff & ASER_LINE_CTS) ms |= ASER_CPO_MS_DELTA_CTS;
    if (diff & ASER_LINE_DSR) ms |= ASER_CPO_MS_DELTA_DSR;
    if (diff & ASER_LINE_CD) ms |= ASER_CPO_MS_DELTA_CD;
    if ((prev & ASER_LINE_RI) && !(lines & ASER_LINE_RI)) ms |= ASER_CPO_MS_TRAIL_RI;
    return (uint8_t)ms;
}

uint32_t aser__rfc2217_cisco_baud(uint8_t index)
{
    for (size_t i = 0; i < ASER_ARRAY_LEN(cisco_table); i++)
        if (cisco_table[i].index == index) return cisco_table[i].baud;
    return 0;
}

int aser__rfc2217_cisco_index(uint32_t baud)
{
    for (size_t i = 0; i < ASER_ARRAY_LEN(cisco_table); i++)
        if (cisco_table[i].baud == baud) return cisco_table[i].index;
    return -1;
}
