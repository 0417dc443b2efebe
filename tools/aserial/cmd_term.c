/* cmd_term.c: aserial term URL: a serial terminal on any port aserial
 * opens (tty, usb:, rfc2217://, tcp://, pty:...), like tio or picocom.
 *
 * With a terminal on both stdin and stdout (a console on Windows), the
 * local terminal goes raw and is restored on every way out (term_tty.c,
 * term_win.c: "the local console" in term.h). Keys come from standard
 * input through that file to term_input() and on to term_keys.c; the
 * port's bytes are shown by term_view.c. Reconnect is on: a lost port is
 * announced and waited for, and the session resumes when it is back.
 *
 * Otherwise it is a pipe: bytes in go to the port as they are, bytes from
 * the port go out, and after the end of input and the last write it waits
 * --linger MS for replies, then exits 0. */
#include "term.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: aserial term URL|PATTERN|PROFILE [--config STR] [--enter cr|lf|crlf]\n"
    "                    [--map LIST] [--omap LIST] [--echo] [--emap LIST] [--escape KEY]\n"
    "                    [-t] [--timestamp-format FMT] [-x] [-l FILE] [--log-append]\n"
    "                    [--char-delay MS] [--line-delay MS] [--pulse-ms MS]\n"
    "                    [--alert bell|none] [--no-color] [--socket tcp:PORT]\n"
    "                    [--no-reconnect] [--linger MS] [-q]\n"
    "  A serial terminal on URL (/dev/ttyUSB0, COM5, usb:VID:PID, rfc2217://HOST:PORT,\n"
    "  tcp://HOST:PORT, ...), on the newest port matching PATTERN ('/dev/ttyUSB*'),\n"
    "  or as PROFILE says ([PROFILE] in ~/.config/aserial/term, see man aserial).\n"
    "  Ctrl-T ? shows the commands; Ctrl-T q quits.\n"
    "  --config STR     port settings, e.g. 9600,8N1 (full syntax: man aserial,\n"
    "                   CONFIG STRINGS)\n"
    "  --enter WHAT     what Enter sends: cr (default, as tio and picocom), lf, crlf\n"
    "  --map LIST       received bytes, comma-separated: cr-crlf, lf-crlf, cr-lf,\n"
    "                   lf-cr, ignore-cr, ignore-lf, del-bs, bs-del, upper, lower, none\n"
    "  --omap LIST      the same maps for what the keys send\n"
    "  --echo           show what you type (local echo)\n"
    "  --emap LIST      the same maps for the echo (default cr-crlf,del-bs)\n"
    "  --escape KEY     the command key: a letter for Ctrl+letter (default t)\n"
    "  -t, --timestamps each received line starts with the time\n"
    "  --timestamp-format FMT  24h (default), 24h-start (since the start),\n"
    "                   24h-delta (since the previous line), iso8601; implies -t\n"
    "  -x, --hex        show received bytes in hex (Ctrl-T i: type bytes in hex)\n"
    "  -l, --log FILE   write what is shown of the port's bytes to FILE\n"
    "  --log-append     append to the log file instead of replacing it\n"
    "  --char-delay MS  wait MS after each byte sent; --line-delay MS after each line\n"
    "  --pulse-ms MS    how long Ctrl-T D / Ctrl-T R pulse DTR / RTS (default 100)\n"
    "  --alert bell     ring the bell on connect and disconnect (default none)\n"
    "  --no-color       local messages without colour (also: NO_COLOR set)\n"
    "  --socket tcp:PORT  a program connecting to 127.0.0.1:PORT gets the port's\n"
    "                   bytes and its bytes go to the port (one client at a time)\n"
    "  --no-reconnect   exit when the port is lost (default: wait for it)\n"
    "  --linger MS      pipe mode: after the end of input, wait MS for replies\n"
    "                   (default 500)\n"
    "  -q, --quiet      no status messages in pipe mode\n"
    "  Pipe mode: when standard input or output is not a terminal, bytes in go to\n"
    "  the port and bytes from the port come out, e.g.\n"
    "    printf '*IDN?\\r\\n' | aserial term /dev/ttyUSB0 --linger 300\n"
    "  Exit status: 0 on quit or end of input, 1 on an error, 2 bad usage.\n";

/* ---- the port ------------------------------------------------------------------- */

static term T;

static void linger_done(void *arg)
{
    term *t = arg;
    t->quit = true;
}

static void maybe_linger(term *t)
{
    static bool started;
    aser_timer *tm;
    if (started || !t->in_ended || t->writes > 0 || t->pace_len > 0) return;
    started = true;
    if (aser_timer_start(t->loop, t->linger_ms ? t->linger_ms : 1, linger_done, t, &tm) < 0)
        t->quit = true;
}

static void on_port_data(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    term *t = ctx;
    (void)p;
    if (status == ASER_ECLOSED) return; /* our own aser_close at the end: nothing to say */
    if (status < 0) {
        if (!t->reconnect) {
            term_port_error(t, "", status);
            t->status = 1;
            t->quit = true;
        }
        return;
    }
    t->rx += n;
    term_view_data(t, d, n);
    term_socket_data(t, d, n);
}

static void bell(term *t)
{
    if (t->bell && t->interactive) term_write("\a", 1);
}

static void connected(term *t, bool again)
{
    char k = (char)(t->escape + '@');
    t->connected = true;
    t->said[0] = '\0';
    bell(t);
    term_keys_connected(t);
    if (again)
        term_say(t, "connected to %s again", t->url); /* the data callback survived */
    else if (t->interactive)
        term_say(t, "connected to %s (%s); Ctrl-%c ? for help, Ctrl-%c q to quit", t->url,
                 aser_port_path(t->p), k, k);
}

static void on_link(aser_port *p, aser_link_event ev, void *ctx)
{
    term *t = ctx;
    const char *why = aser_port_errmsg(p);
    if (ev == ASER_LINK_LOST) {
        t->up = false;
        if (t->connected) bell(t);
        if (why && why[0] && strcmp(why, t->said)) {
            snprintf(t->said, sizeof t->said, "%s", why);
            term_say(t, "%s %s: %s; waiting for it",
                     t->connected ? "disconnected from" : "cannot connect to", t->url, why);
        } else {
            term_say(t, "disconnected, waiting for %s", t->url);
        }
    } else if (ev == ASER_LINK_RESTORED) {
        t->up = true;
        connected(t, t->connected);
    } else {
        term_say(t, "gave up waiting for %s", t->url);
        t->status = 1;
        t->quit = true;
    }
}

/* The first drain ends when a network port has connected (or failed to):
 * "connected to" only then, the reason otherwise (on_link or here). */
static void on_first_drain(aser_port *p, int status, void *ctx)
{
    term *t = ctx;
    (void)p;
    if (status == 0 || status == ASER_ENOTSUP || status == ASER_ETIMEDOUT) {
        if (!t->connected && t->up) connected(t, false);
    } else if (status != ASER_ECLOSED && !t->reconnect) {
        term_port_error(t, "", status);
        t->status = 1;
        t->quit = true;
    }
}

void term_input(term *t, const uint8_t *d, size_t n)
{
    if (t->interactive) {
        term_keys(t, d, n);
        return;
    }
    uint8_t buf[2 * 2048]; /* pipe mode: the bytes as they are, through --omap */
    for (size_t i = 0; i < n; i += 2048) {
        size_t k = n - i < 2048 ? n - i : 2048;
        if (t->omap)
            term_send(t, buf, term_map_apply(t->omap, d + i, k, buf, sizeof buf));
        else
            term_send(t, d + i, k);
    }
}

void term_input_end(term *t)
{
    t->in_ended = true;
    if (t->interactive) t->quit = true;
}

/* Say "connected" now for a local port; for a network one once it is
 * (the open returned while connecting). */
static void banner(term *t)
{
    bool net = strstr(t->url, "://") && strncmp(t->url, "serial://", 9);
    if (!net || aser_drain(t->p, 0, on_first_drain, t) < 0) {
        connected(t, false);
        return;
    }
    if (t->interactive) term_say(t, "connecting to %s ...", t->url);
}

#define WAIT_MS 500u

/* Open t->url; a pattern opens the newest matching tty that it can (a
 * newer one held by another program, such as the other end of a pair,
 * is passed over), and says why the newest failed when none opens. */
static int open_matching(term *t, aser_err *err)
{
    char found[4096];
    int pm = term_pattern(t->url, 0, found, sizeof found);
    if (pm < 0) return aser_open(t->loop, t->url, &t->cfg, &t->p, err);
    if (pm == 0) { /* a pattern nothing matches yet */
        snprintf(err->msg, sizeof err->msg, "no port matches %s yet", t->url);
        err->code = ASER_ENOENT;
        return -1;
    }
    if (aser_open(t->loop, found, &t->cfg, &t->p, err) == 0) return 0;
    for (int rank = 1; rank < 64 && term_pattern(t->url, rank, found, sizeof found) == 1; rank++) {
        aser_err other = {0};
        if (aser_open(t->loop, found, &t->cfg, &t->p, &other) == 0) return 0;
    }
    return -1;
}

/* Open the port; in a terminal with reconnect on, a device that is not
 * there yet (or not ours yet) is waited for, trying every WAIT_MS. */
static void try_port(void *arg)
{
    term *t = arg;
    aser_err err = {0};
    t->wait = NULL;
    int rc = open_matching(t, &err);
    if (rc < 0) {
        bool absent = err.code == ASER_ENOENT || err.code == ASER_ENODEV ||
                      err.code == ASER_EACCES || err.code == ASER_EBUSY;
        if (!t->interactive || !t->reconnect || !absent) {
            if (t->interactive)
                term_say(t, "%s", err.msg);
            else
                cli_error("term", "%s", err.msg);
            t->status = 1;
            t->quit = true;
            return;
        }
        if (strncmp(t->waiting, err.msg, sizeof t->waiting - 1) != 0)
            term_say(t, "waiting for %s: %s", t->url, err.msg);
        snprintf(t->waiting, sizeof t->waiting, "%.255s", err.msg); /* compared, not shown */
        if (aser_timer_start(t->loop, WAIT_MS, try_port, t, &t->wait) < 0) t->quit = true;
        return;
    }
    t->up = true;
    if (t->reconnect) {
        aser_reconnect_opts ro = {.enabled = true, .max_delay_ms = 1000, .cb = on_link, .ctx = t};
        aser_set_reconnect(t->p, &ro);
    }
    aser_on_data(t->p, on_port_data, t);
    banner(t);
}

static int session(term *t)
{
    if (t->log_path && term_log_open(t, t->log_path, t->log_append) < 0) return 1;
    if (term_socket_start(t) < 0) return 1;
    try_port(t);
    if (!t->quit && term_input_start(t) < 0) return 1;
    while (!t->quit && !cli_stop) {
        if (!t->interactive) maybe_linger(t);
        if (aser_loop_run_once(t->loop, 200) < 0) break;
    }
    if (t->wait) aser_timer_cancel(t->wait);
    t->wait = NULL;
    term_keys_stop(t);
    if (t->interactive && t->status == 0) term_say(t, "RX %llu, TX %llu bytes; bye", t->rx, t->tx);
    return t->status;
}

/* ---- options --------------------------------------------------------------------- */

static int parse_enter(term *t, const char *v)
{
    static const char *const names[] = {"cr", "lf", "crlf"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(v, names[i])) {
            t->enter = i; /* ENTER_CR, ENTER_LF, ENTER_CRLF */
            return 0;
        }
    cli_error("term", "--enter \"%s\": use cr, lf or crlf", v);
    return -1;
}

static int parse_stamp_format(term *t, const char *v)
{
    static const char *const names[] = {"24h", "24h-start", "24h-delta", "iso8601"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(v, names[i])) {
            t->stamp_fmt = i; /* STAMP_* */
            t->stamps = true;
            return 0;
        }
    const char *nearest = cli_closest(v, names, 4);
    cli_error("term", "--timestamp-format \"%s\"%s%s%s: use 24h, 24h-start, 24h-delta or iso8601",
              v, nearest ? " (did you mean " : "", nearest ? nearest : "", nearest ? "?)" : "");
    return -1;
}

static int parse_escape(term *t, const char *v)
{
    char k = v[0] == '^' ? v[1] : v[0];
    if (k >= 'a' && k <= 'z') k = (char)(k - 'a' + 'A');
    if (k < 'A' || k > 'Z' || v[v[0] == '^' ? 2 : 1]) {
        cli_error("term", "--escape \"%s\": give a letter (t for Ctrl-T)", v);
        return -1;
    }
    t->escape = (unsigned char)(k - '@');
    return 0;
}

/* One option of the session (c as getopt_long gave it); 0, or 2 after
 * saying what is wrong. */
static int option(term *t, int c, const char *v)
{
    int rc = 0;
    switch (c) {
    case 'c': rc = cli_config("term", v, &t->cfg); break;
    case 'E': rc = parse_enter(t, v); break;
    case 'm': rc = term_map_parse("--map", v, &t->map); break;
    case 'O': rc = term_map_parse("--omap", v, &t->omap); break;
    case 'M': rc = term_map_parse("--emap", v, &t->emap); break;
    case 'e': t->echo = true; break;
    case 'k': rc = parse_escape(t, v); break;
    case 't': t->stamps = true; break;
    case 'T': rc = parse_stamp_format(t, v); break;
    case 'x': t->hex = true; break;
    case 'l': t->log_path = v; break;
    case 'A': t->log_append = true; break;
    case 'R': t->reconnect = false; break;
    case 'L': rc = cli_uint("term", "--linger", v, &t->linger_ms); break;
    case 'C': rc = cli_uint("term", "--char-delay", v, &t->char_delay); break;
    case 'D': rc = cli_uint("term", "--line-delay", v, &t->line_delay); break;
    case 'P':
        rc = cli_uint("term", "--pulse-ms", v, &t->pulse_ms);
        if (rc == 0 && !t->pulse_ms) rc = -1, cli_error("term", "--pulse-ms must be at least 1");
        break;
    case 'a':
        if (!strcmp(v, "bell") || !strcmp(v, "none"))
            t->bell = v[0] == 'b';
        else
            rc = -1, cli_error("term", "--alert \"%s\": use bell or none", v);
        break;
    case 'N': t->color = false; break;
    case 'S': rc = term_socket_parse(t, v); break;
    case 'q': t->quiet = true; break;
    }
    return rc < 0 ? 2 : 0;
}

static const struct option term_opts[] = {{"config", required_argument, 0, 'c'},
                                          {"enter", required_argument, 0, 'E'},
                                          {"map", required_argument, 0, 'm'},
                                          {"omap", required_argument, 0, 'O'},
                                          {"emap", required_argument, 0, 'M'},
                                          {"echo", no_argument, 0, 'e'},
                                          {"escape", required_argument, 0, 'k'},
                                          {"timestamps", no_argument, 0, 't'},
                                          {"timestamp-format", required_argument, 0, 'T'},
                                          {"hex", no_argument, 0, 'x'},
                                          {"log", required_argument, 0, 'l'},
                                          {"log-append", no_argument, 0, 'A'},
                                          {"no-reconnect", no_argument, 0, 'R'},
                                          {"linger", required_argument, 0, 'L'},
                                          {"char-delay", required_argument, 0, 'C'},
                                          {"line-delay", required_argument, 0, 'D'},
                                          {"pulse-ms", required_argument, 0, 'P'},
                                          {"alert", required_argument, 0, 'a'},
                                          {"no-color", no_argument, 0, 'N'},
                                          {"socket", required_argument, 0, 'S'},
                                          {"quiet", no_argument, 0, 'q'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};

const struct option *term_options(void)
{
    return term_opts;
}

static int parse(int argc, char **argv, term *t)
{
    int c;
    if (cli_config_split("term", argc, argv) < 0) return 2;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:txl:qh", term_opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage_text, stdout);
            return 0;
        }
        if (c == '?') {
            cli_bad_option("term", term_opts, "c:txl:qh", argv[optind - 1], optopt);
            return 2;
        }
        if (option(t, c, optarg)) return 2;
    }
    if (argc - optind < 1) {
        cli_missing("term", "URL, the port to open (/dev/ttyUSB0, rfc2217://HOST:PORT...)");
        return 2;
    }
    if (argc - optind > 1) {
        cli_error("term", "unexpected \"%s\" after the port (one port only); see aserial help term",
                  argv[optind + 1]);
        return 2;
    }
    t->url = argv[optind];
    return -1;
}

/* The defaults, then the command line; a PROFILE name instead of a port
 * brings its options first (term_profile.c), the command line's after. */
static void defaults(term *t)
{
    aser_config def = ASER_CONFIG_DEFAULT;
    memset(t, 0, sizeof *t);
    t->cfg = def;
    t->escape = 0x14; /* Ctrl-T */
    t->reconnect = true;
    t->linger_ms = 500;
    t->pulse_ms = 100;
    t->emap = MAP_CR_CRLF | MAP_DEL_BS; /* picocom's default echo map */
    t->hex_in_hi = -1;
    const char *nc = getenv("NO_COLOR"); /* no-color.org */
    t->color = !(nc && nc[0]);
    t->at_line_start = true;
}

static char **profile_args; /* from term_profile_argv: each string, then the array */

static void free_profile_args(void)
{
    for (char **a = profile_args; a && *a; a++) free(*a);
    free(profile_args);
    profile_args = NULL;
}

static int parse_all(int argc, char **argv, term *t)
{
    defaults(t);
    int rc = parse(argc, argv, t);
    if (rc >= 0) return rc;
    int newc, bad = 0;
    char **args = term_profile_argv(t->url, argc, argv, &newc, &bad);
    if (bad) return 2;
    if (!args) return -1;
    free_profile_args();
    profile_args = args;
    defaults(t);
    return parse(newc, args, t);
}

int aser_cmd_term(int argc, char **argv)
{
    term *t = &T;
    int rc = parse_all(argc, argv, t);
    if (rc >= 0) return rc;
    t->interactive = term_con_interactive();
    if (!t->interactive) t->reconnect = false; /* a pipe ends when the port is lost */
    t->start_ms = term_now_ms();
    term_con_catch(t);
    if (aser_loop_new(&t->loop) < 0) {
        cli_error("term", "cannot create an event loop");
        return 1;
    }
    if (t->interactive && term_con_raw() < 0) {
        cli_error("term", "cannot put the terminal in raw mode");
        return 1;
    }
    rc = session(t);
    term_input_stop(t);
    term_socket_stop(t);
    if (t->p) aser_close(t->p);
    for (int i = 0; i < 50 && aser_loop_free(t->loop) == ASER_EBUSY; i++)
        aser_loop_run_once(t->loop, 10);
    term_log_close(t);
    free_profile_args();
    int stopped = term_con_end();
    return stopped ? stopped : rc;
}
