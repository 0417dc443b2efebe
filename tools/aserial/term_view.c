/* term_view.c: what `aserial term` shows of the bytes the port sends:
 * text with the --map mappings (CR to CRLF, LF to CRLF, CR dropped), or
 * hex (-x, Ctrl-T x), each line stamped with the time (-t, Ctrl-T t).
 * The log file (-l) receives exactly what is shown. */
#include "term.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

static void out(term *t, const char *s, size_t n)
{
    term_write(s, n);
    if (t->log) fwrite(s, 1, n, t->log);
}

static void stamp(term *t)
{
    struct tm tm;
    unsigned ms;
    char buf[32];
    term_clock(&tm, &ms);
    int n = snprintf(buf, sizeof buf, "[%02d:%02d:%02d.%03u] ", tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ms);
    out(t, buf, (size_t)n);
}

static const char *newline(const term *t)
{
    return t->interactive ? "\r\n" : "\n";
}

static void view_hex(term *t, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t->at_line_start && t->stamps) stamp(t);
        t->at_line_start = false;
        char buf[4];
        snprintf(buf, sizeof buf, "%02x ", d[i]);
        out(t, buf, 3);
        if (++t->hex_col == 16 || d[i] == '\n') {
            out(t, newline(t), strlen(newline(t)));
            t->hex_col = 0;
            t->at_line_start = true;
        }
    }
}

static void view_text(term *t, const uint8_t *d, size_t n)
{
    char buf[8192];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k + 40 > sizeof buf) {
            out(t, buf, k);
            k = 0;
        }
        uint8_t c = d[i];
        if (c == '\r' && (t->map & MAP_IGNORE_CR)) continue;
        if (t->at_line_start && t->stamps) {
            out(t, buf, k);
            k = 0;
            stamp(t);
        }
        t->at_line_start = false;
        if (c == '\r' && (t->map & MAP_CR_CRLF)) {
            buf[k++] = '\r';
            c = '\n';
        } else if (c == '\n' && (t->map & MAP_LF_CRLF)) {
            buf[k++] = '\r';
        }
        buf[k++] = (char)c;
        if (c == '\n') t->at_line_start = true;
    }
    out(t, buf, k);
}

void term_view_data(term *t, const uint8_t *d, size_t n)
{
    if (t->hex)
        view_hex(t, d, n);
    else
        view_text(t, d, n);
    if (t->log) fflush(t->log);
}

void term_say(term *t, const char *fmt, ...)
{
    char raw[600], msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    cli_safe(raw, msg, sizeof msg); /* it may quote a device or a server */
    if (!t->interactive) {
        if (!t->quiet) fprintf(stderr, "aserial term: %s\n", msg);
        return;
    }
    char line[700];
    int n = snprintf(line, sizeof line, "%s[aserial term: %s]\r\n",
                     t->at_line_start && !t->hex_col ? "" : "\r\n", msg);
    if (n > (int)sizeof line - 1) n = (int)sizeof line - 1;
    term_write(line, (size_t)n);
    t->at_line_start = true;
    t->hex_col = 0;
}

int term_log_open(term *t, const char *path, bool append)
{
    FILE *f = fopen(path, append ? "ab" : "wb"); /* b: exactly what is shown, on Windows too */
    if (!f) {
        term_say(t, "cannot open log file %s: %s", path, strerror(errno));
        return -1;
    }
    term_log_close(t);
    t->log = f;
    term_say(t, "logging to %s%s", path, append ? " (appending)" : "");
    return 0;
}

void term_log_close(term *t)
{
    if (!t->log) return;
    fclose(t->log);
    t->log = NULL;
}

void term_show_settings(term *t)
{
    aser_config cfg;
    char text[160];
    aser_port_config(t->p, &cfg);
    aser_config_format(&cfg, text, sizeof text);
    static const char *const enter[] = {"CR", "LF", "CRLF"};
    term_say(t,
             "%s (%s): %s; RX %llu, TX %llu bytes; Enter sends %s; map%s%s%s%s; echo %s, "
             "hex %s, timestamps %s, log %s",
             t->url, aser_port_path(t->p), text, t->rx, t->tx, enter[t->enter],
             t->map ? "" : " none", t->map & MAP_CR_CRLF ? " cr-crlf" : "",
             t->map & MAP_LF_CRLF ? " lf-crlf" : "", t->map & MAP_IGNORE_CR ? " ignore-cr" : "",
             t->echo ? "on" : "off", t->hex ? "on" : "off", t->stamps ? "on" : "off",
             t->log ? "on" : "off");
}
