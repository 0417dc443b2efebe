/* term_keys.c: the keyboard of `aserial term`. Keys go to the port (Enter
 * as --enter says: CR by default, as tio and picocom send it; then
 * --omap), echoed locally with --echo (through --emap), paced by
 * --char-delay and --line-delay, or typed as hex (Ctrl-T i). The escape
 * key (Ctrl-T unless --escape says otherwise) followed by one key runs a
 * command; a few commands then ask for a line (settings, file names),
 * edited with Backspace, ended with Enter, dropped with Escape. */
#include "term.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void on_written(aser_port *p, int status, void *ctx)
{
    term *t = ctx;
    (void)p;
    (void)status;
    t->writes--;
}

void term_port_error(term *t, const char *prefix, int rc)
{
    const char *m = t->p && aser_port_errmsg(t->p)[0] ? aser_port_errmsg(t->p) : aser_strerror(rc);
    if (!strcmp(t->said, m)) return;
    snprintf(t->said, sizeof t->said, "%s", m);
    term_say(t, "%s%s", prefix, m);
}

static void write_now(term *t, const void *d, size_t n)
{
    if (!n) return;
    if (!t->up) {
        term_say(t, "not connected: %zu byte%s dropped", n, n == 1 ? "" : "s");
        return;
    }
    int rc = aser_write(t->p, d, n, on_written, t);
    if (rc < 0) {
        term_port_error(t, "cannot send: ", rc);
        return;
    }
    t->writes++;
    t->tx += n;
}

/* ---- paced output ---------------------------------------------------------------- */

static void pace_send(term *t);

static void pace_next(void *arg)
{
    term *t = arg;
    t->pace_timer = NULL;
    pace_send(t);
}

/* One byte (--char-delay), or up to a line end (--line-delay only), then
 * the timer: the next waits for it. */
static void pace_send(term *t)
{
    if (!t->pace_len) return;
    size_t n = 1;
    if (!t->char_delay)
        while (n < t->pace_len && t->pace[n - 1] != '\r' && t->pace[n - 1] != '\n') n++;
    bool eol = t->pace[n - 1] == '\r' || t->pace[n - 1] == '\n';
    write_now(t, t->pace, n);
    memmove(t->pace, t->pace + n, t->pace_len - n);
    t->pace_len -= n;
    unsigned ms = t->char_delay + (eol ? t->line_delay : 0);
    if (ms && aser_timer_start(t->loop, ms, pace_next, t, &t->pace_timer) < 0) {
        t->pace_timer = NULL;
        pace_send(t); /* no timer: no pacing */
    }
}

void term_send(term *t, const void *d, size_t n)
{
    if (!n) return;
    if (t->echo && t->up) term_view_echo(t, d, n);
    if (!t->char_delay && !t->line_delay) {
        write_now(t, d, n);
        return;
    }
    if (t->pace_len + n > t->pace_cap) {
        size_t cap = (t->pace_len + n) * 2;
        uint8_t *p = realloc(t->pace, cap);
        if (!p) {
            term_say(t, "out of memory: %zu bytes dropped", n);
            return;
        }
        t->pace = p, t->pace_cap = cap;
    }
    memcpy(t->pace + t->pace_len, d, n);
    t->pace_len += n;
    if (!t->pace_timer && t->connected) pace_send(t); /* else once connected */
}

void term_keys_connected(term *t)
{
    if (!t->pace_timer) pace_send(t);
}

void term_keys_stop(term *t)
{
    if (t->pace_timer) aser_timer_cancel(t->pace_timer);
    if (t->pulse_timer) aser_timer_cancel(t->pulse_timer);
    t->pace_timer = t->pulse_timer = NULL;
    free(t->pace);
    t->pace = NULL;
    t->pace_len = t->pace_cap = 0;
}

void term_help(term *t)
{
    char k = (char)(t->escape + '@');
    term_say(t, "Ctrl-%c then:", k);
    term_say(t, "  q quit          b send a break     d toggle DTR     r toggle RTS");
    term_say(t, "  D pulse DTR     R pulse RTS        l modem lines    s settings, RX/TX");
    term_say(t, "  c change settings (19200, 9600,7E1) i hex input     k clear the screen");
    term_say(t, "  x hex view      t timestamps       e local echo     u send a file");
    term_say(t, "  f log to a file (again: stop)      ? this help");
    term_say(t, "  Ctrl-%c send Ctrl-%c itself", k, k);
}

/* ---- commands -------------------------------------------------------------------- */

/* Why a line or break call failed: the capability's reason when the port
 * has no such thing ("pseudo-terminal: no modem lines"), else the port's
 * message if this call wrote it (not an older call's, such as a break's
 * before a DTR toggle), else the code's. before: the message before the
 * call. */
static const char *line_why(term *t, aser_feature f, int rc, const char *before)
{
    const char *reason = NULL;
    if (aser_port_cap(t->p, f, &reason) == ASER_CAP_UNSUPPORTED && reason && reason[0])
        return reason;
    const char *m = aser_port_errmsg(t->p);
    return m && m[0] && strcmp(m, before) ? m : aser_strerror(rc);
}

/* Set line (ASER_LINE_DTR/RTS) to the opposite of now; -1 after saying why. */
static int flip_line(term *t, unsigned line, const char *name, bool say)
{
    char before[256];
    snprintf(before, sizeof before, "%s", aser_port_errmsg(t->p));
    int now = aser_port_lines(t->p);
    int rc = now;
    if (now >= 0) rc = aser_set_lines(t->p, line, (now & (int)line) ? 0 : line);
    if (rc < 0) {
        term_say(t, "%s not changed: %s", name, line_why(t, ASER_FEAT_MODEM_LINES, rc, before));
        return -1;
    }
    if (say) term_say(t, "%s %s", name, (now & (int)line) ? "off" : "on");
    return 0;
}

static void toggle_line(term *t, unsigned line, const char *name)
{
    flip_line(t, line, name, true);
}

static void pulse_end(void *arg)
{
    term *t = arg;
    t->pulse_timer = NULL;
    unsigned line = t->pulsing;
    t->pulsing = 0;
    if (t->p && flip_line(t, line, line == ASER_LINE_DTR ? "DTR" : "RTS", false) == 0)
        term_say(t, "%s pulse done", line == ASER_LINE_DTR ? "DTR" : "RTS");
}

/* Flip the line for --pulse-ms, then back (tio's DTR/RTS pulse). */
static void pulse_line(term *t, unsigned line, const char *name)
{
    if (t->pulsing) {
        term_say(t, "a pulse is running: wait for it to end");
        return;
    }
    int now = aser_port_lines(t->p);
    if (flip_line(t, line, name, false) < 0) return;
    t->pulsing = line;
    if (aser_timer_start(t->loop, t->pulse_ms, pulse_end, t, &t->pulse_timer) < 0) {
        t->pulse_timer = NULL;
        pulse_end(t);
        return;
    }
    term_say(t, "%s pulse: %s for %u ms", name, now >= 0 && (now & (int)line) ? "off" : "on",
             t->pulse_ms);
}

static void show_lines(term *t)
{
    char before[256];
    snprintf(before, sizeof before, "%s", aser_port_errmsg(t->p));
    int l = aser_port_lines(t->p);
    if (l < 0) {
        term_say(t, "modem lines: %s", line_why(t, ASER_FEAT_MODEM_LINES, l, before));
        return;
    }
    term_say(t, "DTR%c RTS%c CTS%c DSR%c CD%c RI%c", l & ASER_LINE_DTR ? '+' : '-',
             l & ASER_LINE_RTS ? '+' : '-', l & ASER_LINE_CTS ? '+' : '-',
             l & ASER_LINE_DSR ? '+' : '-', l & ASER_LINE_CD ? '+' : '-',
             l & ASER_LINE_RI ? '+' : '-');
}

static void send_break(term *t)
{
    char before[256];
    snprintf(before, sizeof before, "%s", aser_port_errmsg(t->p));
    int rc = aser_send_break(t->p, 250);
    if (rc < 0)
        term_say(t, "break not sent: %s", line_why(t, ASER_FEAT_BREAK, rc, before));
    else
        term_say(t, "break sent (250 ms)");
}

static void change_settings(term *t, const char *text)
{
    aser_config cfg;
    aser_err err = {0};
    aser_port_config(t->p, &cfg);
    if (aser_config_parse(&cfg, text, &err) < 0 || aser_configure(t->p, &cfg, &err) < 0) {
        term_say(t, "settings unchanged: %s", err.msg);
        return;
    }
    char now[160];
    aser_config_format(&cfg, now, sizeof now);
    t->cfg = cfg; /* kept for reconnects */
    term_say(t, "settings: %s", now);
}

static void send_file(term *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        term_say(t, "cannot open %s: %s", path, strerror(errno));
        return;
    }
    char buf[4096];
    size_t n, total = 0;
    bool echo = t->echo;
    t->echo = false;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        term_send(t, buf, n);
        total += n;
    }
    t->echo = echo;
    fclose(f);
    term_say(t, "sent %s (%zu bytes)", path, total);
}

static void run_prompt(term *t)
{
    t->prompt[t->prompt_len] = '\0';
    const char *s = t->prompt;
    switch (t->prompt_cmd) {
    case 'c':
        if (*s) change_settings(t, s);
        break;
    case 'f':
        if (*s) term_log_open(t, s, t->log_append);
        break;
    case 'u':
        if (*s) send_file(t, s);
        break;
    }
}

static void ask(term *t, char cmd, const char *question)
{
    t->keys_state = KEYS_PROMPT;
    t->prompt_cmd = cmd;
    t->prompt_len = 0;
    char q[200];
    int n = snprintf(q, sizeof q, "%s[aserial term: %s] ", t->at_line_start ? "" : "\r\n",
                     question);
    term_write(q, (size_t)n);
    t->at_line_start = false;
}

static void command(term *t, uint8_t k)
{
    t->keys_state = KEYS_NORMAL;
    if (!t->p && k && strchr("bdrDRlsc", k)) {
        term_say(t, "not connected yet: waiting for %s", t->url);
        return;
    }
    switch (k) {
    case 'q': t->quit = true; break;
    case '?':
    case 'h': term_help(t); break;
    case 'b': send_break(t); break;
    case 'd': toggle_line(t, ASER_LINE_DTR, "DTR"); break;
    case 'r': toggle_line(t, ASER_LINE_RTS, "RTS"); break;
    case 'D': pulse_line(t, ASER_LINE_DTR, "DTR"); break;
    case 'R': pulse_line(t, ASER_LINE_RTS, "RTS"); break;
    case 'i':
        t->hex_in = !t->hex_in;
        t->hex_in_hi = -1;
        term_say(t, "%s",
                 t->hex_in ? "hex input on: type byte values (2a 49 0d), Ctrl-T i to leave"
                           : "hex input off");
        break;
    case 'l': show_lines(t); break;
    case 's': term_show_settings(t); break;
    case 'c': ask(t, 'c', "new settings (e.g. 19200 or 9600,7E1), Enter:"); break;
    case 'x':
        t->hex = !t->hex;
        t->hex_col = 0;
        term_say(t, "hex view %s", t->hex ? "on" : "off");
        break;
    case 't':
        t->stamps = !t->stamps;
        term_say(t, "timestamps %s", t->stamps ? "on" : "off");
        break;
    case 'e':
        t->echo = !t->echo;
        term_say(t, "local echo %s", t->echo ? "on" : "off");
        break;
    case 'f':
        if (t->log) {
            term_log_close(t);
            term_say(t, "log closed");
        } else {
            ask(t, 'f', "log to file, Enter:");
        }
        break;
    case 'u': ask(t, 'u', "send file, Enter:"); break;
    case 'k':
        term_write("\033[2J\033[H", 7);
        t->at_line_start = true;
        break;
    default:
        if (k == t->escape)
            term_send(t, &k, 1);
        else
            term_help(t);
    }
}

/* A key while a prompt is open. */
static void prompt_key(term *t, uint8_t k)
{
    if (k == '\r' || k == '\n') {
        term_write("\r\n", 2);
        t->at_line_start = true;
        t->keys_state = KEYS_NORMAL;
        run_prompt(t);
    } else if (k == 0x1b || k == 0x03) { /* Escape, Ctrl-C: never mind */
        t->keys_state = KEYS_NORMAL;
        term_say(t, "cancelled");
    } else if ((k == 0x7f || k == 0x08) && t->prompt_len) {
        t->prompt_len--;
        term_write("\b \b", 3);
    } else if (k >= 0x20 && k < 0x7f && t->prompt_len + 1 < sizeof t->prompt) {
        t->prompt[t->prompt_len++] = (char)k;
        term_write(&k, 1);
    }
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One key of the session into buf (at most 4 bytes): hex digits in hex
 * input, else Enter as --enter says, then --omap. */
static size_t key_bytes(term *t, uint8_t c, uint8_t *buf)
{
    if (t->hex_in) {
        int v = hexval(c); /* anything else (spaces, Enter) only separates */
        if (v < 0) return 0;
        if (t->hex_in_hi < 0) {
            t->hex_in_hi = v;
            return 0;
        }
        buf[0] = (uint8_t)(t->hex_in_hi * 16 + v);
        t->hex_in_hi = -1;
        return 1;
    }
    uint8_t keys[2] = {c};
    size_t nk = 1;
    if (c == '\r' && t->enter != ENTER_CR) {
        nk = 0;
        if (t->enter == ENTER_CRLF) keys[nk++] = '\r';
        keys[nk++] = '\n';
    }
    size_t k = 0;
    for (size_t i = 0; i < nk; i++) k += term_map_byte(t->omap, keys[i], buf + k);
    return k;
}

void term_keys(term *t, const uint8_t *d, size_t n)
{
    uint8_t buf[4096];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = d[i];
        if (t->keys_state != KEYS_NORMAL) {
            term_send(t, buf, k);
            k = 0;
            if (t->keys_state == KEYS_ESCAPED)
                command(t, c);
            else
                prompt_key(t, c);
            if (t->quit) return;
            continue;
        }
        if (c == t->escape) {
            t->keys_state = KEYS_ESCAPED;
            continue;
        }
        if (k + 4 > sizeof buf) {
            term_send(t, buf, k);
            k = 0;
        }
        k += key_bytes(t, c, buf + k);
    }
    term_send(t, buf, k);
}
