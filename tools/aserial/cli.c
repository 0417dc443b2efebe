/* cli.c: helpers shared by the subcommands. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile sig_atomic_t cli_stop;

void cli_error(const char *cmd, const char *fmt, ...)
{
    char raw[2048], safe[2048]; /* it may quote a device, a server or a file */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    fprintf(stderr, "aserial %s: %s\n", cmd, cli_safe(raw, safe, sizeof safe));
}

/* The length of the UTF-8 sequence at u (1 to 4), 0: not UTF-8. */
static size_t utf8_len(const unsigned char *u)
{
    size_t n = u[0] >= 0xf0 && u[0] <= 0xf4 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc2 ? 2 : 0;
    if (u[0] >= 0xf5) n = 0;
    for (size_t i = 1; i < n; i++)
        if ((u[i] & 0xc0) != 0x80) return 0;
    if (n == 3 && ((u[0] == 0xe0 && u[1] < 0xa0) || (u[0] == 0xed && u[1] >= 0xa0))) return 0;
    if (n == 4 && ((u[0] == 0xf0 && u[1] < 0x90) || (u[0] == 0xf4 && u[1] >= 0x90))) return 0;
    return n;
}

const char *cli_safe(const char *s, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (const unsigned char *u = (const unsigned char *)(s ? s : ""); *u;) {
        char e[8];
        size_t n = 1, k;
        if (*u < 0x20 || *u == 0x7f) {
            k = (size_t)snprintf(e, sizeof e, "\\x%02x", *u);
        } else if (*u < 0x80) {
            e[0] = (char)*u, k = 1;
        } else if (!(n = utf8_len(u))) {
            n = 1;
            k = (size_t)snprintf(e, sizeof e, "\\x%02x", *u);
        } else if (n == 2 && u[0] == 0xc2 && u[1] < 0xa0) {
            k = (size_t)snprintf(e, sizeof e, "\\u%04x", u[1]);
        } else {
            memcpy(e, u, n), k = n;
        }
        if (o + k >= cap) break;
        memcpy(buf + o, e, k);
        buf[o += k] = '\0';
        u += n;
    }
    return buf;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long cli_unescape(const char *what, const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *s = in; *s; s++) {
        char c = *s;
        if (c == '\\') {
            switch (*++s) {
            case 'r': c = '\r'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case '0': c = '\0'; break;
            case '\\': c = '\\'; break;
            case 'x': {
                int hi = s[1] ? hexval(s[1]) : -1, lo = hi >= 0 && s[2] ? hexval(s[2]) : -1;
                if (lo < 0) {
                    fprintf(stderr,
                            "aserial: bad escape in %s \"%s\": \\x needs two hex "
                            "digits, as in \\x0d\n",
                            what, in);
                    return -1;
                }
                c = (char)(hi * 16 + lo);
                s += 2;
                break;
            }
            default:
                fprintf(stderr,
                        "aserial: unknown escape \\%c in %s \"%s\": use \\r \\n "
                        "\\t \\0 \\\\ or \\xHH\n",
                        *s ? *s : ' ', what, in);
                return -1;
            }
        }
        if (n >= cap) {
            fprintf(stderr, "aserial: %s is too long (at most %zu bytes)\n", what, cap);
            return -1;
        }
        out[n++] = c;
    }
    return (long)n;
}

int cli_uint(const char *cmd, const char *opt, const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > 0x7fffffffUL || s[0] == '-') {
        cli_error(cmd, "%s needs a non-negative whole number, not \"%s\"", opt, s);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

int cli_config(const char *cmd, const char *s, aser_config *cfg)
{
    aser_err err = {0};
    if (aser_config_parse(cfg, s, &err) == 0) return 0;
    cli_error(cmd, "%s", err.msg);
    return -1;
}

static void on_signal(int sig)
{
    (void)sig;
    cli_stop = 1;
}

#ifdef ASER_OS_WINDOWS
#include <windows.h>

/* Runs on a thread the system starts; the loop polls cli_stop. */
static BOOL WINAPI on_console_ctrl(DWORD type)
{
    (void)type; /* Ctrl-C, Ctrl-Break, close, logoff, shutdown: all stop */
    cli_stop = 1;
    return TRUE;
}

void cli_catch_signals(void)
{
    SetConsoleCtrlHandler(on_console_ctrl, TRUE);
    signal(SIGTERM, on_signal); /* raise(SIGTERM) inside the process */
}
#else
void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: epoll returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
#endif

int cli_run_until_signal(aser_loop *loop)
{
    while (!cli_stop) {
        int rc = aser_loop_run_once(loop, 200); /* 200 ms: a signal's backstop */
        if (rc < 0) return rc;
    }
    return 0;
}

/* ---- help, typos and missing arguments ------------------------------------ */

static unsigned min3(unsigned x, unsigned y, unsigned z)
{
    unsigned m = x < y ? x : y;
    return m < z ? m : z;
}

/* Optimal string alignment: insertions, deletions, substitutions and
 * swaps of two neighbours ("qurey") cost 1 each; case is ignored. */
unsigned cli_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31) return 99;
    unsigned d[32][32];
    for (size_t i = 0; i <= la; i++) d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (ca != cb));
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    return d[la][lb];
}

const char *cli_closest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    unsigned bd = 99;
    size_t len = strlen(word), blen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!names[i]) continue;
        unsigned d = cli_distance(word, names[i]);
        size_t l = strlen(names[i]), dl = l > len ? l - len : len - l;
        if (d < bd || (d == bd && dl < (blen > len ? blen - len : len - blen)))
            bd = d, best = names[i], blen = l; /* a tie goes to the nearer length */
    }
    unsigned limit = len <= 3 ? 1 : len <= 6 ? 2 : 3; /* "qurey": 1; "-x": none */
    return best && bd <= limit ? best : NULL;
}

void cli_missing(const char *cmd, const char *what)
{
    cli_error(cmd, "missing %s; see aserial help %s", what, cmd);
}

void cli_unknown_option(const char *cmd, const char *arg, const char *const *names, size_t n)
{
    char name[64];
    snprintf(name, sizeof name, "%s", arg);
    name[strcspn(name, "=")] = '\0';
    const char *nearest = strncmp(name, "--", 2) ? NULL : cli_closest(name + 2, names, n);
    if (nearest)
        cli_error(cmd, "unknown option %s: did you mean --%s? see aserial help %s", name, nearest,
                  cmd);
    else
        cli_error(cmd, "unknown option %s; see aserial help %s", name, cmd);
}

void cli_bad_option(const char *cmd, const struct option *opts, const char *shorts, const char *arg,
                    int opt)
{
    const char *names[64];
    size_t n = 0;
    for (const struct option *o = opts; o->name && n < 64; o++) names[n++] = o->name;
    if (!strncmp(arg, "--", 2)) {
        size_t len = strcspn(arg + 2, "=");
        for (const struct option *o = opts; o->name; o++)
            if (o->has_arg == required_argument && !strncmp(o->name, arg + 2, len) &&
                !arg[2 + len] && o->val == opt) {
                cli_error(cmd, "--%s needs a value; see aserial help %s", o->name, cmd);
                return;
            }
    } else if (opt && opt != '?' && strchr(shorts, opt)) {
        cli_error(cmd, "-%c needs a value; see aserial help %s", opt, cmd);
        return;
    }
    cli_unknown_option(cmd, arg, names, n);
}

/* A frame (8N1, 7E1, 8N1.5) or a flow-control word, as --config takes. */
static bool config_token(const char *s)
{
    if (!strcmp(s, "rtscts") || !strcmp(s, "xonxoff") || !strcmp(s, "none") ||
        strchr(s, '=') != NULL)
        return strchr(s, ' ') == NULL && s[0] != '-';
    return s[0] >= '5' && s[0] <= '8' && s[1] && strchr("NOEMSnoems", s[1]) &&
           (!strcmp(s + 2, "1") || !strcmp(s + 2, "1.5") || !strcmp(s + 2, "2"));
}

int cli_config_split(const char *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val, *next;
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        if (!strcmp(a, "-c") || ((len == 8 || len == 10) && !strncmp(a, "--config", 8) &&
                                 (len == 8 || !strncmp(a + 8, "-a", 2) ||
                                  !strncmp(a + 8, "-b", 2)))) { /* --config, --config-a/-b */
            if (i + (eq ? 1 : 2) >= argc) return 0;
            val = eq ? eq + 1 : argv[i + 1], next = argv[i + (eq ? 1 : 2)];
        } else {
            continue;
        }
        if (config_token(next)) {
            cli_error(cmd,
                      "%.*s takes one string: write %.*s %s,%s (a comma between "
                      "settings), not two arguments; see aserial help %s",
                      (int)len, a, (int)len, a, val, next, cmd);
            return -1;
        }
    }
    return 0;
}
