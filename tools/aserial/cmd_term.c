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
    "usage: aserial term URL [--config STR] [--enter cr|lf|crlf] [--map LIST] [--echo]\n"
    "                    [--escape KEY] [-t] [-x] [-l FILE] [--log-append]\n"
    "                    [--no-reconnect] [--linger MS] [-q]\n"
    "  A serial terminal on URL (/dev/ttyUSB0, COM5, usb:VID:PID, rfc2217://HOST:PORT,\n"
    "  tcp://HOST:PORT, ...). Ctrl-T ? shows the commands; Ctrl-T q quits.\n"
    "  --config STR     port settings, e.g. 9600,8N1 (full syntax: man aserial,\n"
    "                   CONFIG STRINGS)\n"
    "  --enter WHAT     what Enter sends: cr (default, as tio and picocom), lf, crlf\n"
    "  --map LIST       received bytes, comma-separated: cr-crlf (CR shown as CRLF),\n"
    "                   lf-crlf (LF as CRLF), ignore-cr (CR dropped)\n"
    "  --echo           show what you type (local echo)\n"
    "  --escape KEY     the command key: a letter for Ctrl+letter (default t)\n"
    "  -t, --timestamps each received line starts with the time\n"
    "  -x, --hex        show received bytes in hex\n"
    "  -l, --log FILE   write what is shown of the port's bytes to FILE\n"
    "  --log-append     append to the log file instead of replacing it\n"
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
    if (started || !t->in_ended || t->writes > 0) return;
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
            if (aser_port_errmsg(t->p)[0])
                term_say(t, "%s", aser_port_errmsg(t->p));
            else
                term_say(t, "%s: %s", t->url, aser_strerror(status));
            t->status = 1;
            t->quit = true;
        }
        return;
    }
    t->rx += n;
    term_view_data(t, d, n);
}

static void on_link(aser_port *p, aser_link_event ev, void *ctx)
{
    term *t = ctx;
    (void)p;
    if (ev == ASER_LINK_LOST) {
        t->up = false;
        term_say(t, "disconnected, waiting for %s", t->url);
    } else if (ev == ASER_LINK_RESTORED) {
        t->up = true;
        term_say(t, "connected to %s again", t->url); /* the data callback survived */
    } else {
        term_say(t, "gave up waiting for %s", t->url);
        t->status = 1;
        t->quit = true;
    }
}

void term_input(term *t, const uint8_t *d, size_t n)
{
    if (t->interactive)
        term_keys(t, d, n);
    else
        term_send(t, d, n);
}

void term_input_end(term *t)
{
    t->in_ended = true;
    if (t->interactive) t->quit = true;
}

static void banner(term *t)
{
    if (!t->interactive) return;
    char k = (char)(t->escape + '@');
    term_say(t, "connected to %s (%s); Ctrl-%c ? for help, Ctrl-%c q to quit", t->url,
             aser_port_path(t->p), k, k);
}

#define WAIT_MS 500u

/* Open the port; in a terminal with reconnect on, a device that is not
 * there yet (or not ours yet) is waited for, trying every WAIT_MS. */
static void try_port(void *arg)
{
    term *t = arg;
    aser_err err = {0};
    t->wait = NULL;
    if (aser_open(t->loop, t->url, &t->cfg, &t->p, &err) < 0) {
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
    try_port(t);
    if (!t->quit && term_input_start(t) < 0) return 1;
    while (!t->quit && !cli_stop) {
        if (!t->interactive) maybe_linger(t);
        if (aser_loop_run_once(t->loop, 200) < 0) break;
    }
    if (t->wait) aser_timer_cancel(t->wait);
    t->wait = NULL;
    if (t->interactive && t->status == 0) term_say(t, "RX %llu, TX %llu bytes; bye", t->rx, t->tx);
    return t->status;
}

/* ---- options --------------------------------------------------------------------- */

static int parse_map(term *t, const char *list)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!strcmp(tok, "cr-crlf"))
            t->map |= MAP_CR_CRLF;
        else if (!strcmp(tok, "lf-crlf"))
            t->map |= MAP_LF_CRLF;
        else if (!strcmp(tok, "ignore-cr"))
            t->map |= MAP_IGNORE_CR;
        else if (!strcmp(tok, "none"))
            t->map = 0;
        else {
            cli_error("term",
                      "--map: unknown mapping \"%s\": use cr-crlf, lf-crlf, "
                      "ignore-cr or none, comma-separated",
                      tok);
            return -1;
        }
    }
    return 0;
}

static int parse(int argc, char **argv, term *t)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"enter", required_argument, 0, 'E'},
        {"map", required_argument, 0, 'm'},    {"echo", no_argument, 0, 'e'},
        {"escape", required_argument, 0, 'k'}, {"timestamps", no_argument, 0, 't'},
        {"hex", no_argument, 0, 'x'},          {"log", required_argument, 0, 'l'},
        {"log-append", no_argument, 0, 'A'},   {"no-reconnect", no_argument, 0, 'R'},
        {"linger", required_argument, 0, 'L'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:txl:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (cli_config("term", optarg, &t->cfg) < 0) return 2;
            break;
        case 'E':
            if (!strcmp(optarg, "cr"))
                t->enter = ENTER_CR;
            else if (!strcmp(optarg, "lf"))
                t->enter = ENTER_LF;
            else if (!strcmp(optarg, "crlf"))
                t->enter = ENTER_CRLF;
            else {
                cli_error("term", "--enter \"%s\": use cr, lf or crlf", optarg);
                return 2;
            }
            break;
        case 'm':
            if (parse_map(t, optarg) < 0) return 2;
            break;
        case 'e': t->echo = true; break;
        case 'k': {
            char k = optarg[0] == '^' ? optarg[1] : optarg[0];
            if (k >= 'a' && k <= 'z') k = (char)(k - 'a' + 'A');
            if (k < 'A' || k > 'Z' || optarg[optarg[0] == '^' ? 2 : 1]) {
                cli_error("term", "--escape \"%s\": give a letter (t for Ctrl-T)", optarg);
                return 2;
            }
            t->escape = (unsigned char)(k - '@');
            break;
        }
        case 't': t->stamps = true; break;
        case 'x': t->hex = true; break;
        case 'l': t->log_path = optarg; break;
        case 'A': t->log_append = true; break;
        case 'R': t->reconnect = false; break;
        case 'L':
            if (cli_uint("term", "--linger", optarg, &t->linger_ms) < 0) return 2;
            break;
        case 'q': t->quiet = true; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default:
            cli_error("term", "unknown or incomplete option \"%s\"; see aserial term --help",
                      argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fputs(usage_text, stderr);
        return 2;
    }
    t->url = argv[optind];
    return -1;
}

int aser_cmd_term(int argc, char **argv)
{
    term *t = &T;
    aser_config def = ASER_CONFIG_DEFAULT;
    memset(t, 0, sizeof *t);
    t->cfg = def;
    t->escape = 0x14; /* Ctrl-T */
    t->reconnect = true;
    t->linger_ms = 500;
    t->at_line_start = true;
    int rc = parse(argc, argv, t);
    if (rc >= 0) return rc;
    t->interactive = term_con_interactive();
    if (!t->interactive) t->reconnect = false; /* a pipe ends when the port is lost */
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
    if (t->p) aser_close(t->p);
    for (int i = 0; i < 50 && aser_loop_free(t->loop) == ASER_EBUSY; i++)
        aser_loop_run_once(t->loop, 10);
    term_log_close(t);
    int stopped = term_con_end();
    return stopped ? stopped : rc;
}
