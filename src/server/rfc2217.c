/* server/rfc2217.c: the RFC 2217 side of aserial serve: each COM-PORT
 * request of a client is applied to the real port where it can be, and
 * ALWAYS answered (code + 100) with the value now in effect, because
 * standard clients (pyserial without ign_set_control) wait for every
 * answer and fail the open without one. A pseudo-terminal has no modem
 * lines and ignores the baud rate: the answers then echo what was asked
 * (DTR/RTS) or what the termios holds (settings).
 *
 * This file is the rfc2217 row of the server's mode table (server.h).
 *
 * Garbage: malformed telnet and protocol errors count against the client;
 * past max_errors (or 4 x max_errors ignored requests) it is closed.
 *
 * Access (aser_server_access): a read-only or lock-settings client's
 * requests to change a setting, DTR/RTS, to purge or to send a break are
 * not applied and are answered with the value in effect, which is how RFC
 * 2217 says no (a client compares the answer with what it asked); a
 * read-only client's data is dropped too. Each refusal
 * is reported (ASER_SERVER_CONFIG, ASER_EACCES). */
#define _GNU_SOURCE
#include "codec/rfc2217.h"
#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BREAK_MAX_MS 1000u

/* A client's RFC 2217 state (c->r2), made by r2_start, freed by r2_free. */
struct srv_r2 {
    aser_rfc2217 codec;
    unsigned ignored;         /* requests it could not mean (counted against it) */
    uint8_t ls_mask, ms_mask; /* SET-LINESTATE-MASK, SET-MODEMSTATE-MASK */
    uint64_t break_on;        /* when BREAK-ON arrived, us; 0: off */
};

static void reply(srv_client *c, uint8_t cmd, uint32_t value)
{
    (void)aser__rfc2217_send(&c->r2->codec, cmd, value);
}

static unsigned port_lines(aser_server *s)
{
    int v = aser_port_lines(s->port);
    return v < 0 ? 0 : (unsigned)v;
}

static void notify_modem(srv_client *c, uint8_t ms)
{
    ms &= c->r2->ms_mask;
    reply(c, ASER_CPO_NOTIFY_MODEMSTATE, ms);
}

/* ASER_LINEERR_* as NOTIFY-LINESTATE bits. */
static uint8_t errors_to_linestate(unsigned errors)
{
    return (uint8_t)((errors & ASER_LINEERR_OVERRUN ? ASER_CPO_LS_OVERRUN : 0) |
                     (errors & ASER_LINEERR_PARITY ? ASER_CPO_LS_PARITY : 0) |
                     (errors & ASER_LINEERR_FRAMING ? ASER_CPO_LS_FRAMING : 0) |
                     (errors & ASER_LINEERR_BREAK ? ASER_CPO_LS_BREAK : 0));
}

/* The port's modem lines changed (NOTIFY-MODEMSTATE) or it reported line
 * errors (NOTIFY-LINESTATE), each under the client's mask. */
static void r2_lines(srv_client *c, unsigned now, unsigned before, unsigned errors)
{
    if (!aser__rfc2217_active(&c->r2->codec)) return;
    uint8_t ms = now != before ? aser__rfc2217_lines_to_modem(now, before) : 0;
    if (ms & c->r2->ms_mask) notify_modem(c, ms);
    uint8_t ls = errors_to_linestate(errors);
    if (ls & c->r2->ls_mask) reply(c, ASER_CPO_NOTIFY_LINESTATE, ls & c->r2->ls_mask);
}

/* SET-BAUDRATE, -DATASIZE, -PARITY, -STOPSIZE and SET-CONTROL flow values:
 * apply to the port if it changes anything, answer with what is in effect. */
static void on_setting(srv_client *c, uint8_t cmd, uint32_t value)
{
    aser_server *s = c->s;
    aser_config cfg;
    aser_port_config(s->port, &cfg);
    int rc = aser__rfc2217_config_apply(&cfg, cmd, value);
    if (rc == 1 && !aser__srv_may_configure(c)) {
        char what[80];
        snprintf(what, sizeof what, "%s %u", aser__rfc2217_cmd_name(cmd), (unsigned)value);
        aser__srv_refused(c, what);
        aser_port_config(s->port, &cfg); /* answer with what is in effect */
    } else if (rc == 1) {
        aser_err err = {0};
        if (aser_configure(s->port, &cfg, &err) == 0) {
            char str[128];
            aser_config_format(&cfg, str, sizeof str);
            aser__srv_event(s, ASER_SERVER_CONFIG, 0, "client %s set %s: %s", c->peer,
                            aser__rfc2217_cmd_name(cmd), str);
            aser__srv_settings_changed(s); /* browsers watching hear */
        } else {
            aser__srv_event(s, ASER_SERVER_CONFIG, err.code, "client %s: %s refused: %s", c->peer,
                            aser__rfc2217_cmd_name(cmd), err.msg);
        }
        aser_port_config(s->port, &cfg);
    } else if (rc < 0) {
        c->r2->ignored++;
    }
    uint32_t now;
    if (aser__rfc2217_config_value(&cfg, cmd, &now) < 0) now = value;
    reply(c, cmd, now);
}

static void on_line(srv_client *c, const aser_rfc2217_control *ctl, uint32_t value)
{
    aser_server *s = c->s;
    unsigned line = ctl->kind == ASER_CPO_KIND_DTR ? ASER_LINE_DTR : ASER_LINE_RTS;
    bool *level = ctl->kind == ASER_CPO_KIND_DTR ? &c->dtr : &c->rts;
    uint32_t base = ctl->kind == ASER_CPO_KIND_DTR ? ASER_CPO_CTL_DTR_QUERY
                                                   : ASER_CPO_CTL_RTS_QUERY;
    if (ctl->query) {
        int v = aser_port_lines(s->port);
        bool on = v >= 0 ? (v & (int)line) != 0 : *level;
        reply(c, ASER_CPO_SET_CONTROL, base + (on ? 1 : 2));
        return;
    }
    if (!aser__srv_may_configure(c)) { /* answered with the level in effect */
        aser__srv_refused(c, line == ASER_LINE_DTR ? "setting DTR" : "setting RTS");
        int v = aser_port_lines(s->port);
        bool on = v >= 0 ? (v & (int)line) != 0 : *level;
        reply(c, ASER_CPO_SET_CONTROL, base + (on ? 1 : 2));
        return;
    }
    *level = ctl->on;
    int rc = aser_set_lines(s->port, line, ctl->on ? line : 0);
    if (rc == 0)
        aser__srv_event(s, ASER_SERVER_CONFIG, 0, "client %s set %s %s", c->peer,
                        line == ASER_LINE_DTR ? "DTR" : "RTS", ctl->on ? "on" : "off");
    reply(c, ASER_CPO_SET_CONTROL, value); /* answered even without modem lines */
}

static void on_break(srv_client *c, const aser_rfc2217_control *ctl)
{
    if (ctl->query) {
        reply(c, ASER_CPO_SET_CONTROL,
              c->r2->break_on ? ASER_CPO_CTL_BREAK_ON : ASER_CPO_CTL_BREAK_OFF);
        return;
    }
    if (!aser__srv_may_configure(c)) {
        if (ctl->on) aser__srv_refused(c, "sending a break");
        reply(c, ASER_CPO_SET_CONTROL, ASER_CPO_CTL_BREAK_OFF);
        return;
    }
    if (ctl->on) {
        if (!c->r2->break_on) c->r2->break_on = aser__now_us();
    } else if (c->r2->break_on) {
        uint64_t ms = (aser__now_us() - c->r2->break_on) / 1000u;
        c->r2->break_on = 0;
        (void)aser_send_break(c->s->port, (unsigned)ASER_MAX(1, ASER_MIN(ms, BREAK_MAX_MS)));
    }
    reply(c, ASER_CPO_SET_CONTROL, ctl->on ? ASER_CPO_CTL_BREAK_ON : ASER_CPO_CTL_BREAK_OFF);
}

static void on_control(srv_client *c, uint32_t value)
{
    aser_rfc2217_control ctl;
    if (aser__rfc2217_control_parse(value, &ctl) < 0) {
        c->errors++;
        aser_config cfg;
        aser_port_config(c->s->port, &cfg);
        uint32_t now = 0;
        (void)aser__rfc2217_config_value(&cfg, ASER_CPO_SET_CONTROL, &now);
        reply(c, ASER_CPO_SET_CONTROL, now);
        return;
    }
    switch (ctl.kind) {
    case ASER_CPO_KIND_FLOW: on_setting(c, ASER_CPO_SET_CONTROL, value); break;
    case ASER_CPO_KIND_INFLOW: {
        aser_config cfg;
        aser_port_config(c->s->port, &cfg);
        int rc = aser__rfc2217_config_apply(&cfg, ASER_CPO_SET_CONTROL, value);
        if (rc == 1 && !aser__srv_may_configure(c)) {
            aser__srv_refused(c, "SET-CONTROL (inbound flow control)");
            rc = -1;
        } else if (rc == 1 && aser_configure(c->s->port, &cfg, NULL) < 0)
            rc = -1;
        reply(c, ASER_CPO_SET_CONTROL, rc >= 0 && !ctl.query ? value : ASER_CPO_CTL_INFLOW_NONE);
        break;
    }
    case ASER_CPO_KIND_BREAK: on_break(c, &ctl); break;
    case ASER_CPO_KIND_DTR:
    case ASER_CPO_KIND_RTS: on_line(c, &ctl, value); break;
    }
}

static void on_purge(srv_client *c, uint32_t value)
{
    static const int which[4] = {0, ASER_DISCARD_INPUT, ASER_DISCARD_OUTPUT, ASER_DISCARD_BOTH};
    if (value >= 1 && value <= 3 && !aser__srv_may_configure(c)) /* a setting (aser_server(3)) */
        aser__srv_refused(c, "PURGE-DATA");
    else if (value >= 1 && value <= 3)
        (void)aser_discard(c->s->port, which[value]);
    else
        c->errors++;
    reply(c, ASER_CPO_PURGE_DATA, value);
}

static void on_command(srv_client *c, const aser_rfc2217_event *ev)
{
    switch (ev->cmd) {
    case ASER_CPO_SIGNATURE:
        if (ev->len == 0)
            (void)aser__rfc2217_send_signature(&c->r2->codec, c->s->sig, strlen(c->s->sig));
        break;
    case ASER_CPO_SET_BAUDRATE:
    case ASER_CPO_SET_DATASIZE:
    case ASER_CPO_SET_PARITY:
    case ASER_CPO_SET_STOPSIZE: on_setting(c, ev->cmd, ev->value); break;
    case ASER_CPO_SET_CONTROL: on_control(c, ev->value); break;
    case ASER_CPO_NOTIFY_LINESTATE: reply(c, ASER_CPO_NOTIFY_LINESTATE, 0); break;
    case ASER_CPO_NOTIFY_MODEMSTATE: /* a poll (pyserial's get_modem_state) */
        notify_modem(c, aser__rfc2217_lines_to_modem(port_lines(c->s), port_lines(c->s)));
        break;
    case ASER_CPO_FLOWCONTROL_SUSPEND: c->suspended = true; break;
    case ASER_CPO_FLOWCONTROL_RESUME: c->suspended = false; break;
    case ASER_CPO_SET_LINESTATE_MASK:
        c->r2->ls_mask = (uint8_t)ev->value;
        reply(c, ev->cmd, c->r2->ls_mask);
        break;
    case ASER_CPO_SET_MODEMSTATE_MASK:
        c->r2->ms_mask = (uint8_t)ev->value;
        reply(c, ev->cmd, c->r2->ms_mask);
        notify_modem(c, aser__rfc2217_lines_to_modem(port_lines(c->s), port_lines(c->s)));
        break;
    case ASER_CPO_PURGE_DATA: on_purge(c, ev->value); break;
    default: c->r2->ignored++; break;
    }
}

static void on_codec(aser_rfc2217 *codec, const aser_rfc2217_event *ev, void *ud)
{
    srv_client *c = ud;
    aser_server *s = c->s;
    (void)codec;
    if (c->kill) return;
    switch (ev->type) {
    case ASER_RFC2217_EV_DATA:
        if (!aser__srv_may_write(c)) {
            if (!c->told_access)
                aser__srv_refused(c, "writing to the port (its bytes are dropped)");
            c->told_access = true;
        } else {
            aser__srv_to_port(c, ev->data, ev->len);
        }
        break;
    case ASER_RFC2217_EV_SEND: aser__srv_out(c, ev->data, ev->len); break;
    case ASER_RFC2217_EV_OPTION:
        if (ev->opt == ASER_TNOPT_COMPORT && ev->enabled) /* a first modem state */
            notify_modem(c, aser__rfc2217_lines_to_modem(port_lines(s), port_lines(s)));
        break;
    case ASER_RFC2217_EV_COMPORT:
        if (ev->reply)
            c->r2->ignored++;
        else
            on_command(c, ev);
        break;
    case ASER_RFC2217_EV_UNKNOWN: c->r2->ignored++; break;
    case ASER_RFC2217_EV_ERROR: c->errors++; break;
    case ASER_RFC2217_EV_TELNET_CMD: break;
    }
    if (c->errors > s->o.max_errors || c->r2->ignored > 4 * s->o.max_errors)
        aser__srv_kill(c,
                       "too many protocol errors (%u malformed, %u ignored): not an RFC "
                       "2217 client?",
                       c->errors, c->r2->ignored);
}

static void r2_start(srv_client *c)
{
    if (!(c->r2 = calloc(1, sizeof *c->r2))) {
        aser__srv_kill(c, "out of memory");
        return;
    }
    c->r2->ms_mask = 255;
    aser__rfc2217_init(&c->r2->codec, ASER_RFC2217_SERVER, on_codec, c);
    aser__rfc2217_start(&c->r2->codec);
}

static void r2_free(srv_client *c)
{
    free(c->r2);
    c->r2 = NULL;
}

static void r2_from_client(srv_client *c, const uint8_t *b, size_t n)
{
    aser__rfc2217_recv(&c->r2->codec, b, n);
}

static void r2_to_client(srv_client *c, const uint8_t *b, size_t n)
{
    aser__rfc2217_send_data(&c->r2->codec, b, n);
}

const srv_mode aser__srv_mode_rfc2217 = {
    .name = "rfc2217",
    .start = r2_start,
    .from_client = r2_from_client,
    .to_client = r2_to_client,
    .lines = r2_lines,
    .free = r2_free,
    .wants_lines = true,
    .negotiates = true,
    .sniffs = true,
};
