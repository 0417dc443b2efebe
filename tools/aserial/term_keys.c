/* term_keys.c: the keyboard of `aserial term`. Keys go to the port (Enter
 * as --enter says: CR by default, as tio and picocom send it), echoed
 * locally with --echo. The escape key (Ctrl-T unless --escape says
 * otherwise) followed by one key runs a command; a few commands then ask
 * for a line (settings, file names), edited with Backspace, ended with
 * Enter, dropped with Escape. */
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

void term_send(term *t, const void *d, size_t n)
{
    if (!n) return;
    if (!t->up) {
        term_say(t, "not connected: %zu byte%s dropped", n, n == 1 ? "" : "s");
        return;
    }
    int rc = aser_write(t->p, d, n, on_written, t);
    if (rc < 0) {
        term_say(t, "cannot send: %s",
                 aser_port_errmsg(t->p)[0] ? aser_port_errmsg(t->p) : aser_strerror(rc));
        return;
    }
    t->writes++;
    t->tx += n;
    if (t->echo) term_view_data(t, d, n);
}

void term_help(term *t)
{
    char k = (char)(t->escape + '@');
    term_say(t, "Ctrl-%c then:", k);
    term_say(t, "  q quit          b send a break     d toggle DTR     r toggle RTS");
    term_say(t, "  l modem lines   s settings, RX/TX  c change settings (19200, 9600,7E1)");
    term_say(t, "  x hex view      t timestamps       e local echo     k clear the screen");
    term_say(t, "  f log to a file (again: stop)      u send a file    ? this help");
    term_say(t, "  Ctrl-%c send Ctrl-%c itself", k, k);
}

/* ---- commands -------------------------------------------------------------------- */

/* Why a call on the port failed: its detail message, else the code's. */
static const char *why(term *t, int rc)
{
    const char *m = aser_port_errmsg(t->p);
    return m && m[0] ? m : aser_strerror(rc);
}

static void toggle_line(term *t, unsigned line, const char *name)
{
    int now = aser_port_lines(t->p);
    if (now < 0) {
        term_say(t, "%s: %s", name, why(t, now));
        return;
    }
    unsigned want = (now & (int)line) ? 0 : line;
    int rc = aser_set_lines(t->p, line, want);
    if (rc < 0)
        term_say(t, "%s: %s", name, why(t, rc));
    else
        term_say(t, "%s %s", name, want ? "on" : "off");
}

static void show_lines(term *t)
{
    int l = aser_port_lines(t->p);
    if (l < 0) {
        term_say(t, "modem lines: %s", why(t, l));
        return;
    }
    term_say(t, "DTR%c RTS%c CTS%c DSR%c CD%c RI%c", l & ASER_LINE_DTR ? '+' : '-',
             l & ASER_LINE_RTS ? '+' : '-', l & ASER_LINE_CTS ? '+' : '-',
             l & ASER_LINE_DSR ? '+' : '-', l & ASER_LINE_CD ? '+' : '-',
             l & ASER_LINE_RI ? '+' : '-');
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
    int rc;
    if (!t->p && k && strchr("bdrlsc", k)) {
        term_say(t, "not connected yet: waiting for %s", t->url);
        return;
    }
    switch (k) {
    case 'q': t->quit = true; break;
    case '?':
    case 'h': term_help(t); break;
    case 'b':
        rc = aser_send_break(t->p, 250);
        if (rc < 0)
            term_say(t, "break: %s", why(t, rc));
        else
            term_say(t, "break sent (250 ms)");
        break;
    case 'd': toggle_line(t, ASER_LINE_DTR, "DTR"); break;
    case 'r': toggle_line(t, ASER_LINE_RTS, "RTS"); break;
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
        if (k + 2 > sizeof buf) {
            term_send(t, buf, k);
            k = 0;
        }
        if (c == '\r' && t->enter != ENTER_CR) {
            if (t->enter == ENTER_CRLF) buf[k++] = '\r';
            c = '\n';
        }
        buf[k++] = c;
    }
    term_send(t, buf, k);
}
