/* server/ws.c: the websocket row of the server's mode table (server.h):
 * a browser (or any WebSocket program) handed over by web.c after its
 * upgrade request passed the checks. Binary messages carry the bytes both
 * ways; text messages carry JSON control messages (codec/json.h):
 *
 *   from the browser                      to the browser
 *   {"type":"lines","dtr":B,"rts":B}      {"type":"hello","port":P,"config":C,
 *   {"type":"break","ms":N}                "lines":{...},"clients":N}
 *   {"type":"settings","config":"9600 8N1"} {"type":"lines","dtr":B,...,"ri":B}
 *   {"type":"query"}                      {"type":"settings","config":C}
 *                                         {"type":"error","message":S}
 *                                         {"type":"link","state":"lost"|"back"|"gave-up"}
 *                                         {"type":"lineerr","errors":[...]}
 *
 * A settings message goes to every browser whenever the port's line
 * settings change, whoever changed them (aser__srv_settings_changed).
 * A bad control message is answered with an error message and counted
 * against the client (max_errors, as RFC 2217 garbage). The server's
 * slow-client policy applies unchanged: frames go through aser__srv_out.
 *
 * Access: hello carries "access":"full"|"lock-settings"|"read-only". A
 * lines, break or settings message from a client that may not configure
 * is answered with an error naming its access, then the values in effect;
 * a read-only client's binary data is dropped, with one error message the
 * first time. Neither counts as a protocol error. */
#define _GNU_SOURCE
#include "codec/json.h"
#include "codec/ws.h"
#include "os/socket.h"
#include "server/server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef ASER_OS_UNIX
#include <sys/socket.h>
#endif

#define TEXT_MAX 1024 /* a control message, bytes */
#define BREAK_MAX_MS 5000

struct srv_ws {
    aser_ws *codec; /* from web.c, ours now */
    char text[TEXT_MAX + 1];
    size_t text_len;
    bool text_over;
};

static void send_json(srv_client *c, const char *fmt, ...) ASER_PRINTF(2, 3);
static void send_json(srv_client *c, const char *fmt, ...)
{
    char b[4096]; /* an error message of a whole aser_err.msg, escaped */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof b)
        (void)aser__ws_send(c->ws->codec, ASER_WS_OP_TEXT, b, (size_t)n);
}

/* s as a JSON string body (quotes and control bytes escaped). */
static const char *jstr(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
        } else if (ch >= 0x80) { /* text frames must be UTF-8: other bytes become U+FFFD */
            size_t k = aser__utf8_len((const uint8_t *)s, strnlen(s, 4));
            if (!k) o += (size_t)snprintf(out + o, cap - o, "\\ufffd");
            for (size_t i = 0; i < k; i++) out[o++] = s[i];
            s += k ? k - 1 : 0;
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = '\0';
    return out;
}

static void send_error(srv_client *c, const char *msg)
{
    char e[2 * sizeof(aser_err){0}.msg]; /* never cut: messages name the fix at the end */
    send_json(c, "{\"type\":\"error\",\"message\":\"%s\"}", jstr(msg, e, sizeof e));
}

static void send_lines(srv_client *c)
{
    int v = aser_port_lines(c->s->port);
    if (v < 0) { /* a port without modem lines: what was asked for */
        send_json(c,
                  "{\"type\":\"lines\",\"dtr\":%s,\"rts\":%s,\"cts\":null,\"dsr\":null,"
                  "\"cd\":null,\"ri\":null}",
                  c->dtr ? "true" : "false", c->rts ? "true" : "false");
        return;
    }
    unsigned l = (unsigned)v;
#define B(bit) ((l & (bit)) ? "true" : "false")
    send_json(c,
              "{\"type\":\"lines\",\"dtr\":%s,\"rts\":%s,\"cts\":%s,\"dsr\":%s,\"cd\":%s,"
              "\"ri\":%s}",
              B(ASER_LINE_DTR), B(ASER_LINE_RTS), B(ASER_LINE_CTS), B(ASER_LINE_DSR),
              B(ASER_LINE_CD), B(ASER_LINE_RI));
#undef B
}

static void send_settings(srv_client *c)
{
    aser_config cfg;
    char str[128], e[300];
    aser_port_config(c->s->port, &cfg);
    aser_config_format(&cfg, str, sizeof str);
    send_json(c, "{\"type\":\"settings\",\"config\":\"%s\"}", jstr(str, e, sizeof e));
}

/* ---- control messages from the browser ------------------------------------------- */

static void on_lines_msg(srv_client *c, const aser_json *j)
{
    unsigned mask = 0, values = 0;
    const aser_json_member *dtr = aser__json_get(j, "dtr", ASER_JSON_BOOL);
    const aser_json_member *rts = aser__json_get(j, "rts", ASER_JSON_BOOL);
    if (dtr) mask |= ASER_LINE_DTR, values |= dtr->num ? ASER_LINE_DTR : 0, c->dtr = dtr->num;
    if (rts) mask |= ASER_LINE_RTS, values |= rts->num ? ASER_LINE_RTS : 0, c->rts = rts->num;
    if (!mask) {
        send_error(c, "a lines message needs \"dtr\" or \"rts\" (true or false)");
        c->errors++;
        return;
    }
    int rc = aser_set_lines(c->s->port, mask, values);
    if (rc == 0)
        aser__srv_event(c->s, ASER_SERVER_CONFIG, 0, "client %s set%s%s%s%s", c->peer,
                        dtr ? " DTR " : "", dtr ? (dtr->num ? "on" : "off") : "",
                        rts ? " RTS " : "", rts ? (rts->num ? "on" : "off") : "");
    /* every browser watching hears the new levels */
    for (srv_client *k = c->s->clients; k; k = k->next)
        if (k->st.fd >= 0 && !k->kill && k->m == &aser__srv_mode_ws) {
            if (k != c) k->dtr = c->dtr, k->rts = c->rts;
            send_lines(k);
            aser__srv_flush(k);
        }
}

static void on_settings_msg(srv_client *c, const aser_json *j)
{
    const aser_json_member *m = aser__json_get(j, "config", ASER_JSON_STRING);
    aser_config cfg;
    aser_err err = {0};
    aser_port_config(c->s->port, &cfg);
    if (!m) {
        send_error(c, "a settings message needs \"config\", e.g. \"9600 8N1\"");
        c->errors++;
        return;
    }
    if (aser_config_parse(&cfg, m->str, &err) < 0 || aser_configure(c->s->port, &cfg, &err) < 0) {
        send_error(c, err.msg);
        return;
    }
    char str[128];
    aser_config_format(&cfg, str, sizeof str);
    aser__srv_event(c->s, ASER_SERVER_CONFIG, 0, "client %s set %s", c->peer, str);
    aser__srv_settings_changed(c->s); /* every browser watching hears */
}

static const char *access_name(aser_server_access a)
{
    return a == ASER_ACCESS_READ_ONLY       ? "read-only"
           : a == ASER_ACCESS_LOCK_SETTINGS ? "lock-settings"
                                            : "full";
}

/* A change this client may not make: say so, then what is in effect. */
static bool refuse_change(srv_client *c, const char *type)
{
    if (aser__srv_may_configure(c)) return false;
    char m[200];
    snprintf(m, sizeof m, "this export is %s for you: it does not let you change %s",
             access_name(c->access), type);
    send_error(c, m);
    aser__srv_refused(c, type);
    if (!strcmp(type, "settings"))
        send_settings(c);
    else if (!strcmp(type, "lines"))
        send_lines(c);
    return true;
}

static void on_text(srv_client *c, const char *text, size_t len)
{
    aser_json j;
    if (aser__json_parse(&j, text, len) < 0) {
        char m[160];
        snprintf(m, sizeof m, "bad control message: %s", j.err);
        send_error(c, m);
        c->errors++;
        return;
    }
    const aser_json_member *t = aser__json_get(&j, "type", ASER_JSON_STRING);
    const char *type = t ? t->str : "";
    if ((!strcmp(type, "lines") || !strcmp(type, "break") || !strcmp(type, "settings")) &&
        refuse_change(c, type))
        return;
    if (!strcmp(type, "lines")) {
        on_lines_msg(c, &j);
    } else if (!strcmp(type, "break")) {
        const aser_json_member *ms = aser__json_get(&j, "ms", ASER_JSON_INT);
        long long d = ms ? ms->num : 250;
        if (d < 1 || d > BREAK_MAX_MS) d = 250;
        int rc = aser_send_break(c->s->port, (unsigned)d);
        if (rc < 0) send_error(c, aser_strerror(rc));
    } else if (!strcmp(type, "settings")) {
        on_settings_msg(c, &j);
    } else if (!strcmp(type, "query")) {
        send_settings(c);
        send_lines(c);
    } else {
        send_error(c, "unknown control message type: use lines, break, settings or query");
        c->errors++;
    }
}

/* ---- the codec ------------------------------------------------------------------------- */

static void on_data(srv_client *c, const aser_ws_event *ev)
{
    srv_ws *w = c->ws;
    if (!ev->text) {
        if (!aser__srv_may_write(c)) {
            if (!c->told_access) {
                send_error(c, "this export is read-only for you: your data is dropped");
                aser__srv_refused(c, "writing to the port (its bytes are dropped)");
            }
            c->told_access = true;
        } else {
            aser__srv_to_port(c, ev->data, ev->len);
        }
        return;
    }
    if (w->text_len + ev->len > TEXT_MAX)
        w->text_over = true;
    else if (ev->len) { /* an empty piece has no data (NULL) */
        memcpy(w->text + w->text_len, ev->data, ev->len);
        w->text_len += ev->len;
    }
    if (!ev->fin) return;
    if (w->text_over) {
        send_error(c, "a control message larger than 1024 bytes");
        c->errors++;
    } else {
        on_text(c, w->text, w->text_len);
    }
    w->text_len = 0;
    w->text_over = false;
}

static void on_codec(aser_ws *codec, const aser_ws_event *ev, void *ud)
{
    srv_client *c = ud;
    (void)codec;
    switch (ev->kind) {
    case ASER_WS_EV_SEND:
        if ((c->kill || c->s->stopped) && c->st.fd >= 0 && c->st.tls) /* closing: best effort */
            aser__stream_send_now(&c->st, ev->data, ev->len);
        else if ((c->kill || c->s->stopped) && c->st.fd >= 0) /* closing: the close frame */
            (void)aser__sock_send(c->st.fd, ev->data, ev->len);
        else
            aser__srv_out(c, ev->data, ev->len);
        return;
    case ASER_WS_EV_DATA:
        if (!c->kill) on_data(c, ev);
        break;
    case ASER_WS_EV_CLOSE: /* a browser always sends an Origin; a program need not */
        aser__srv_kill(c, "closed by the %s (code %d)",
                       c->ws->codec->had_origin ? "browser" : "WebSocket client", ev->code);
        return;
    case ASER_WS_EV_ERROR:
        aser__srv_flush(c); /* the close frame (1002, 1007, 1009) goes out before the FIN */
        aser__srv_kill(c, "%s", ev->msg);
        return;
    default: return;
    }
    if (c->errors > c->s->o.max_errors)
        aser__srv_kill(c, "too many bad control messages (%u)", c->errors);
}

/* ---- the row ----------------------------------------------------------------------------- */

static void ws_start(srv_client *c)
{
    srv_ws *w = c->ws;
    w->codec->cb = on_codec;
    w->codec->ud = c;
    aser__ws_accept(w->codec);
    aser_config cfg;
    char str[128], e1[300], e2[300];
    aser_port_config(c->s->port, &cfg);
    aser_config_format(&cfg, str, sizeof str);
    send_json(c,
              "{\"type\":\"hello\",\"port\":\"%s\",\"config\":\"%s\",\"clients\":%zu,"
              "\"access\":\"%s\"}",
              jstr(aser_port_name(c->s->port), e1, sizeof e1), jstr(str, e2, sizeof e2),
              c->s->nclients, access_name(c->access));
    send_lines(c);
}

static void ws_from_client(srv_client *c, const uint8_t *b, size_t n)
{
    aser__ws_feed(c->ws->codec, b, n);
}

static void ws_to_client(srv_client *c, const uint8_t *b, size_t n)
{
    (void)aser__ws_send(c->ws->codec, ASER_WS_OP_BINARY, b, n);
}

static void ws_lines(srv_client *c, unsigned now, unsigned before, unsigned errors)
{
    if (now != before) send_lines(c);
    if (errors)
        send_json(c,
                  "{\"type\":\"lineerr\",\"overrun\":%s,\"parity\":%s,\"framing\":%s,"
                  "\"break\":%s}",
                  errors & ASER_LINEERR_OVERRUN ? "true" : "false",
                  errors & ASER_LINEERR_PARITY ? "true" : "false",
                  errors & ASER_LINEERR_FRAMING ? "true" : "false",
                  errors & ASER_LINEERR_BREAK ? "true" : "false");
}

static void ws_close(srv_client *c, const char *why)
{
    char r[100];
    snprintf(r, sizeof r, "%.90s", why ? why : "closed");
    (void)aser__ws_close(c->ws->codec, 1001, r);
}

/* Freed by the sweep, not at close: a close from inside the codec's own
 * callback must not free the codec under aser__ws_feed. */
static void ws_free(srv_client *c)
{
    free(c->ws->codec);
    free(c->ws);
    c->ws = NULL;
}

static void ws_link(srv_client *c, const char *state)
{
    send_json(c, "{\"type\":\"link\",\"state\":\"%s\"}", state);
    if (!strcmp(state, "back")) {
        send_settings(c);
        send_lines(c);
    }
}

static bool ws_adopt(srv_client *c, void *codec)
{
    if (!(c->ws = calloc(1, sizeof *c->ws))) return false;
    c->ws->codec = codec;
    return true;
}

const srv_mode aser__srv_mode_ws = {
    .name = "websocket",
    .start = ws_start,
    .adopt = ws_adopt,
    .from_client = ws_from_client,
    .to_client = ws_to_client,
    .lines = ws_lines,
    .close = ws_close,
    .free = ws_free,
    .link = ws_link,
    .settings = send_settings,
    .dropped = send_error,
    .wants_lines = true,
};
