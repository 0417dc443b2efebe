/* cmd_query.c: aserial query PORT [REQUEST]...: send each request, print
 * the reply (one line, --lines N, or whatever comes within --read-for MS).
 * --timeout bounds the whole command: connecting (a silent RFC 2217
 * server, a listener that never accepts), negotiating and every reply
 * share one deadline, so the command returns within it. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_text[] =
    "usage: aserial query PORT REQUEST... [--config STR] [--eol STR] [--send-eol STR]\n"
    "                     [--timeout MS] [--lines N] [--read-for MS] [--hex]\n"
    "  Send each REQUEST followed by the send EOL to PORT and print its reply\n"
    "  (without EOL), one request after the other.\n"
    "  --config STR    port settings, e.g. 9600,8N1 (default 115200,8N1; the full\n"
    "                  syntax is in man aserial, CONFIG STRINGS)\n"
    "  --eol STR       reply line ending (default \\n; escapes \\r \\n \\t \\0 \\\\ \\xHH\n"
    "                  work, e.g. --eol '\\r\\n'); also the send EOL unless given\n"
    "  --send-eol STR  what follows each request ('' for nothing)\n"
    "  --timeout MS    bound for the whole command, connecting included\n"
    "                  (default 1000; 0: no deadline)\n"
    "  --lines N       print N reply lines per request (default 1)\n"
    "  --read-for MS   instead of lines, print whatever arrives within MS after\n"
    "                  each request (with no REQUEST: just listen for MS)\n"
    "  --hex           print replies as hex bytes\n"
    "Exit status: 0 replies printed, 1 timeout or error, 2 bad usage.\n";

typedef struct qry {
    const char *url;
    const char *opened; /* url as opened: bounded_url's additions, hidden in messages */
    aser_loop *loop;
    aser_port *p;
    char **reqs;
    int nreq, next;
    char eol[16], seol[16];
    size_t eol_len, seol_len;
    bool seol_set, hex;
    unsigned timeout, lines, read_for, lines_left;
    struct timespec start;
    int status; /* 1: running; 0 done; else the error */
    bool reading_for;
    unsigned char *buf; /* --read-for */
    size_t len, cap;
} qry;

static unsigned elapsed_ms(const qry *q)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (unsigned)((now.tv_sec - q->start.tv_sec) * 1000 +
                      (now.tv_nsec - q->start.tv_nsec) / 1000000);
}

/* What is left of --timeout, at least 1 ms; 0 without a deadline. */
static unsigned remaining(const qry *q)
{
    if (!q->timeout) return ASER_NO_TIMEOUT;
    unsigned e = elapsed_ms(q);
    return e >= q->timeout ? 1 : q->timeout - e;
}

static void print_reply(const qry *q, const uint8_t *d, size_t n)
{
    if (q->hex) {
        for (size_t i = 0; i < n; i++) printf("%s%02x", i ? " " : "", d[i]);
    } else {
        fwrite(d, 1, n, stdout);
    }
    fputc('\n', stdout);
    fflush(stdout);
}

/* A library message with the URL as the user wrote it: the parameters
 * bounded_url added (connect_timeout, ack_timeout) were never typed. */
static void say(const qry *q, const char *msg)
{
    const char *at = q->opened && strcmp(q->opened, q->url) ? strstr(msg, q->opened) : NULL;
    if (!at) {
        cli_error("query", "%s", msg);
        return;
    }
    cli_error("query", "%.*s%s%s", (int)(at - msg), msg, q->url, at + strlen(q->opened));
}

static void fail(qry *q, int status)
{
    if (q->status != 1) return;
    q->status = status;
    if (status == ASER_ETIMEDOUT && !*aser_port_errmsg(q->p)) /* else the open's reason */
        cli_error("query",
                  "no reply from %s within %u ms: check the port settings "
                  "(--config) and the line ending (--eol), or raise --timeout",
                  q->url, q->timeout);
    else
        say(q, *aser_port_errmsg(q->p) ? aser_port_errmsg(q->p) : aser_strerror(status));
}

static void next_request(qry *q);

static void on_line(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    qry *q = ctx;
    if (status < 0) {
        fail(q, status);
        return;
    }
    print_reply(q, d, n);
    if (--q->lines_left == 0) {
        next_request(q);
        return;
    }
    int rc = aser_read_until(p, q->eol, q->eol_len, 0, remaining(q), on_line, q);
    if (rc < 0) fail(q, rc);
}

static void on_data(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    qry *q = ctx;
    (void)p;
    if (status < 0) {
        fail(q, status);
        return;
    }
    if (q->len + n > q->cap) {
        size_t nc = (q->len + n) * 2;
        unsigned char *b = realloc(q->buf, nc);
        if (!b) return;
        q->buf = b;
        q->cap = nc;
    }
    memcpy(q->buf + q->len, d, n);
    q->len += n;
}

static void read_for_done(void *arg)
{
    qry *q = arg;
    aser_on_data(q->p, NULL, NULL);
    q->reading_for = false;
    if (q->len) print_reply(q, q->buf, q->len);
    q->len = 0;
    next_request(q);
}

static int build_request(qry *q, const char *text, char *req, size_t cap)
{
    long n = cli_unescape("REQUEST", text, req, cap - sizeof q->seol);
    if (n < 0) return -1;
    memcpy(req + n, q->seol, q->seol_len);
    return (int)(n + (long)q->seol_len);
}

static void next_request(qry *q)
{
    if (q->status != 1) return;
    if (q->next >= q->nreq && (q->nreq > 0 || q->next > 0)) {
        q->status = 0;
        return;
    }
    char req[4096];
    int n = 0;
    if (q->nreq > 0 && (n = build_request(q, q->reqs[q->next], req, sizeof req)) < 0) {
        q->status = 2;
        return;
    }
    q->next++;
    int rc;
    if (q->read_for) {
        aser_timer *t;
        unsigned left = remaining(q), wait = q->read_for;
        if (left && left < wait) wait = left;
        rc = aser_on_data(q->p, on_data, q);
        if (rc >= 0 && n) rc = aser_write(q->p, req, (size_t)n, NULL, NULL);
        if (rc >= 0) rc = aser_timer_start(q->loop, wait, read_for_done, q, &t);
        q->reading_for = rc >= 0;
    } else {
        q->lines_left = q->lines;
        aser_query_opts qo = {.eol = q->eol, .eol_len = q->eol_len, .timeout_ms = remaining(q)};
        rc = aser_query(q->p, req, (size_t)n, &qo, on_line, q);
    }
    if (rc < 0) fail(q, rc);
}

/* Network URLs: let the connect and the RFC 2217 answers give up within
 * --timeout too (unless the URL says otherwise). */
static void bounded_url(const qry *q, char *out, size_t cap)
{
    const char *u = q->url;
    bool net = !strncmp(u, "rfc2217://", 10) || !strncmp(u, "tcp://", 6) || !strncmp(u, "ws://", 5);
    if (!net || !q->timeout || strlen(u) + 64 > cap) {
        snprintf(out, cap, "%s", u);
        return;
    }
    const char *sep = strchr(u, '?') ? "&" : "?";
    size_t len = (size_t)snprintf(out, cap, "%s", u);
    if (!strstr(u, "connect_timeout="))
        len += (size_t)snprintf(out + len, cap - len, "%sconnect_timeout=%u", sep, q->timeout),
            sep = "&";
    if (!strncmp(u, "rfc2217://", 10) && !strstr(u, "ack_timeout="))
        snprintf(out + len, cap - len, "%sack_timeout=%u", sep, q->timeout);
}

static int run(qry *q, const aser_config *cfg)
{
    aser_err err = {0};
    char url[4200];
    clock_gettime(CLOCK_MONOTONIC, &q->start);
    bounded_url(q, url, sizeof url);
    q->opened = url;
    if (aser_loop_new(&q->loop) < 0) {
        cli_error("query", "cannot create an event loop");
        return 1;
    }
    if (aser_open(q->loop, url, cfg, &q->p, &err) < 0) {
        say(q, err.msg);
        aser_loop_free(q->loop);
        return 1;
    }
    q->status = 1;
    next_request(q);
    while (q->status == 1 && !cli_stop) {
        unsigned left = q->timeout
                            ? q->timeout - (elapsed_ms(q) < q->timeout ? elapsed_ms(q) : q->timeout)
                            : 200;
        if (q->timeout && left == 0 && !q->reading_for) { /* backstop: the ops time out */
            fail(q, ASER_ETIMEDOUT);
            break;
        }
        aser_loop_run_once(q->loop, (int)(left > 200 || !left ? 200 : left));
    }
    aser_close(q->p);
    aser_loop_run_once(q->loop, 0);
    aser_loop_free(q->loop); /* EBUSY only while a close finishes: exit anyway */
    free(q->buf);
    return q->status == 0 ? 0 : q->status == 2 ? 2 : 1;
}

static int take_eol(const char *opt, const char *arg, char *out, size_t *len, bool empty_ok)
{
    long n = cli_unescape(opt, arg, out, 16);
    if (n < 0 || (n == 0 && !empty_ok)) {
        if (n == 0) cli_error("query", "%s must not be empty", opt);
        return -1;
    }
    *len = (size_t)n;
    return 0;
}

int aser_cmd_query(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"eol", required_argument, 0, 'e'},
                                         {"send-eol", required_argument, 0, 's'},
                                         {"timeout", required_argument, 0, 't'},
                                         {"lines", required_argument, 0, 'n'},
                                         {"read-for", required_argument, 0, 'r'},
                                         {"hex", no_argument, 0, 'x'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    static qry q;
    memset(&q, 0, sizeof q);
    aser_config cfg = ASER_CONFIG_DEFAULT;
    q.eol[0] = '\n';
    q.eol_len = 1;
    q.timeout = 1000;
    q.lines = 1;
    bool timeout_given = false;
    int c;
    if (cli_config_split("query", argc, argv) < 0) return 2;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:e:t:n:xh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (cli_config("query", optarg, &cfg) < 0) return 2;
            break;
        case 'e':
            if (take_eol("--eol", optarg, q.eol, &q.eol_len, false) < 0) return 2;
            break;
        case 's':
            if (take_eol("--send-eol", optarg, q.seol, &q.seol_len, true) < 0) return 2;
            q.seol_set = true;
            break;
        case 't':
            if (cli_uint("query", "--timeout", optarg, &q.timeout) < 0) return 2;
            timeout_given = true;
            break;
        case 'n':
            if (cli_uint("query", "--lines", optarg, &q.lines) < 0) return 2;
            if (!q.lines) {
                cli_error("query", "--lines must be at least 1");
                return 2;
            }
            break;
        case 'r':
            if (cli_uint("query", "--read-for", optarg, &q.read_for) < 0) return 2;
            break;
        case 'x': q.hex = true; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: cli_bad_option("query", opts, "c:e:t:n:xh", argv[optind - 1], optopt); return 2;
        }
    }
    if (argc - optind < 1) {
        cli_missing("query", "PORT, the port to ask (/dev/ttyUSB0, rfc2217://HOST:PORT...)");
        return 2;
    }
    if (argc - optind < 2 && !q.read_for) {
        cli_missing("query", "REQUEST after the port ('*IDN?'), or --read-for MS to listen only");
        return 2;
    }
    if (!q.seol_set) {
        memcpy(q.seol, q.eol, q.eol_len);
        q.seol_len = q.eol_len;
    }
    if (q.read_for && !timeout_given) q.timeout = 0; /* the windows end it */
    q.url = argv[optind];
    q.reqs = argv + optind + 1;
    q.nreq = argc - optind - 1;
    cli_catch_signals();
    return run(&q, &cfg);
}
