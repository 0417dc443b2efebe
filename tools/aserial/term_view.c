/* term_view.c: what `aserial term` shows of the bytes the port sends:
 * text with the --map mappings (term_map.c), or hex (-x, Ctrl-T x), each
 * line stamped with the time (-t, Ctrl-T t; --timestamp-format 24h,
 * 24h-start, 24h-delta or iso8601); the local echo through --emap; local
 * messages, in colour unless --no-color or NO_COLOR. The log file (-l)
 * receives exactly what is shown of the port's bytes. */
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
    char buf[48];
    int n;
    long long now = term_now_ms();
    if (t->stamp_fmt == STAMP_24H_START || t->stamp_fmt == STAMP_24H_DELTA) {
        long long base = t->stamp_fmt == STAMP_24H_START ? t->start_ms : t->last_stamp_ms;
        long long d = base ? now - base : 0;
        n = snprintf(buf, sizeof buf, "[%02lld:%02lld:%02lld.%03lld] ", d / 3600000, d / 60000 % 60,
                     d / 1000 % 60, d % 1000);
    } else {
        struct tm tm;
        unsigned ms;
        term_clock(&tm, &ms);
        if (t->stamp_fmt == STAMP_ISO8601)
            n = snprintf(buf, sizeof buf, "[%04d-%02d-%02dT%02d:%02d:%02d.%03u] ",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, ms);
        else
            n = snprintf(buf, sizeof buf, "[%02d:%02d:%02d.%03u] ", tm.tm_hour, tm.tm_min,
                         tm.tm_sec, ms);
    }
    t->last_stamp_ms = now;
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

static void view_text(term *t, const uint8_t *d, size_t n, unsigned map)
{
    char buf[8192];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k + 40 > sizeof buf) {
            out(t, buf, k);
            k = 0;
        }
        uint8_t m[2];
        size_t mn = term_map_byte(map, d[i], m);
        if (!mn) continue;
        if (t->at_line_start && t->stamps) {
            out(t, buf, k);
            k = 0;
            stamp(t);
        }
        t->at_line_start = false;
        for (size_t j = 0; j < mn; j++) {
            buf[k++] = (char)m[j];
            if (m[j] == '\n') t->at_line_start = true;
        }
    }
    out(t, buf, k);
}

void term_view_data(term *t, const uint8_t *d, size_t n)
{
    if (t->hex)
        view_hex(t, d, n);
    else
        view_text(t, d, n, t->map);
    if (t->log) fflush(t->log);
}

void term_view_echo(term *t, const uint8_t *d, size_t n)
{
    if (t->hex)
        view_hex(t, d, n);
    else
        view_text(t, d, n, t->emap);
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
    char line[720];
    int n = snprintf(line, sizeof line, "%s%s[aserial term: %s]%s\r\n",
                     t->at_line_start && !t->hex_col ? "" : "\r\n", t->color ? "\033[1;33m" : "",
                     msg, t->color ? "\033[0m" : "");
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
    char text[160], m[3][128];
    aser_port_config(t->p, &cfg);
    aser_config_format(&cfg, text, sizeof text);
    term_map_names(t->map, m[0], sizeof m[0]);
    term_map_names(t->omap, m[1], sizeof m[1]);
    term_map_names(t->emap, m[2], sizeof m[2]);
    static const char *const enter[] = {"CR", "LF", "CRLF"};
    static const char *const fmt[] = {"24h", "24h-start", "24h-delta", "iso8601"};
    term_say(t,
             "%s (%s): %s; RX %llu, TX %llu bytes; Enter sends %s; map %s, omap %s; echo %s "
             "(emap %s), hex %s, timestamps %s%s%s, log %s",
             t->url, aser_port_path(t->p), text, t->rx, t->tx, enter[t->enter], m[0], m[1],
             t->echo ? "on" : "off", m[2], t->hex ? "on" : "off", t->stamps ? "on" : "off",
             t->stamps ? " " : "", t->stamps ? fmt[t->stamp_fmt] : "", t->log ? "on" : "off");
}
