/* cmd_sim.c: aserial sim PORT: a simulated instrument answering request
 * lines, for demos and for users' tests. Requests end at CR, LF or CRLF
 * (what terminals send on Enter) unless --strict-eol asks for --eol
 * exactly; a partial line idle longer than --line-timeout is dropped
 * instead of being glued to the next request. Rules (--reply, --rules
 * FILE) are in sim_rules.c. */
#include "cli.h"
#include "sim_rules.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE_MAX_ 4096

static const char usage_text[] =
    "usage: aserial sim PORT [--reply 'REQUEST=RESPONSE']... [--rules FILE] [--echo]\n"
    "                        [--delay MS] [--eol STR] [--strict-eol] [--line-timeout MS]\n"
    "                        [-v] [--config STR] [--background]\n"
    "  Answer each request line received on PORT: the response of the first rule\n"
    "  that matches, the request itself with --echo, or nothing. Runs until\n"
    "  interrupted. A request ends at CR, LF or CRLF.\n"
    "  --reply R=S       answer request R with S (R may be a pattern, see below)\n"
    "  --rules FILE      rules, one per line (# comments):\n"
    "                      set NAME VALUE                  initial state\n"
    "                      [delay=MS] PATTERN => RESPONSE  a rule\n"
    "                    exact requests match first, then patterns: * any text,\n"
    "                    ? one character, {NAME} any text, stored as NAME; {NAME}\n"
    "                    in a response is its value. E.g. VOLT {v} =>  and\n"
    "                    VOLT? => {v}  make VOLT 1.2 then VOLT? answer 1.2\n"
    "  --delay MS        wait MS milliseconds before each answer (rules may say\n"
    "                    their own with [delay=MS])\n"
    "  --eol STR         ending of answers (default \\n; escapes like \\r\\n work)\n"
    "  --strict-eol      requests end only at --eol, not at any CR or LF\n"
    "  --line-timeout MS drop a partial request idle for MS (default 0: keep)\n"
    "  -v, --verbose     print every request and answer (stderr)\n"
    "  --config STR      port settings, e.g. 9600,8N1 (see man aserial)\n"
    "  --background      once PORT is open, go on in the background and print only\n"
    "                    its pid (sim=$(aserial sim ./a ... --background); kill $sim)\n";

typedef struct sim {
    sim_rules rules;
    bool echo, strict, verbose, background;
    unsigned delay_ms, line_timeout_ms;
    char eol[16];
    size_t eol_len;
    aser_config cfg;
    aser_port *p;
    aser_loop *loop;
    char line[LINE_MAX_];
    size_t len;
    bool overflow;
    struct timespec last; /* when the partial line last grew */
    unsigned long count;
} sim;

typedef struct pending_reply {
    sim *s;
    struct pending_reply *next; /* replies waiting for their delay */
    aser_timer *t;
    size_t len;
    char data[];
} pending_reply;

static pending_reply *waiting;

static void unlink_reply(pending_reply *r)
{
    for (pending_reply **pp = &waiting; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            return;
        }
}

static double since_ms(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) * 1e3 + (double)(now.tv_nsec - t->tv_nsec) / 1e6;
}

static void send_reply(void *arg)
{
    pending_reply *r = arg;
    unlink_reply(r);
    if (r->s->p) aser_write(r->s->p, r->data, r->len, NULL, NULL);
    free(r);
}

static void answer(sim *s, const char *req, size_t len)
{
    s->count++;
    const sim_rule *rule = sim_rules_match(&s->rules, req, len);
    char text[LINE_MAX_];
    unsigned delay = s->delay_ms;
    if (rule) {
        sim_rules_expand(&s->rules, rule->response, text, sizeof text);
        if (rule->has_delay) delay = rule->delay_ms;
    } else if (s->echo) {
        snprintf(text, sizeof text, "%.*s", (int)len, req);
    } else {
        text[0] = '\0';
    }
    if (s->verbose)
        fprintf(stderr, "aserial sim: < %.*s%s%s\n", (int)len, req, text[0] ? "  > " : "",
                text[0] ? text
                : rule  ? "  (no answer)"
                        : "  (no rule)");
    if (!text[0]) return;
    size_t tl = strlen(text);
    pending_reply *r = malloc(sizeof *r + tl + s->eol_len);
    if (!r) return;
    r->s = s;
    r->t = NULL;
    memcpy(r->data, text, tl);
    memcpy(r->data + tl, s->eol, s->eol_len);
    r->len = tl + s->eol_len;
    r->next = waiting;
    waiting = r;
    if (!delay || aser_timer_start(s->loop, delay, send_reply, r, &r->t) < 0) send_reply(r);
}

/* Does the line end here? Returns the length of the ending at d[i], or 0. */
static size_t ending_at(const sim *s, const char *line, size_t len)
{
    if (s->strict)
        return len >= s->eol_len && !memcmp(line + len - s->eol_len, s->eol, s->eol_len)
                   ? s->eol_len
                   : 0;
    char c = line[len - 1];
    return c == '\r' || c == '\n' ? 1 : 0;
}

static void on_data(aser_port *p, int status, const uint8_t *data, size_t n, void *ctx)
{
    sim *s = ctx;
    (void)p;
    if (status < 0) return; /* lost: reconnect brings it back */
    if (s->len && s->line_timeout_ms && since_ms(&s->last) > s->line_timeout_ms) {
        if (s->verbose)
            fprintf(stderr,
                    "aserial sim: dropped a partial request idle for more than %u "
                    "ms: %.*s\n",
                    s->line_timeout_ms, (int)s->len, s->line);
        s->len = 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &s->last);
    for (size_t i = 0; i < n; i++) {
        if (s->len == sizeof s->line) { /* too long: drop it up to its end */
            s->len = 0;
            s->overflow = true;
        }
        s->line[s->len++] = (char)data[i];
        size_t e = ending_at(s, s->line, s->len);
        if (!e) continue;
        size_t body = s->len - e;
        if (!s->overflow && body > 0) answer(s, s->line, body);
        s->len = 0;
        s->overflow = false;
    }
}

static int parse(int argc, char **argv, sim *a)
{
    static const struct option opts[] = {
        {"reply", required_argument, 0, 'r'},        {"echo", no_argument, 0, 'E'},
        {"delay", required_argument, 0, 'd'},        {"eol", required_argument, 0, 'e'},
        {"config", required_argument, 0, 'c'},       {"help", no_argument, 0, 'h'},
        {"rules", required_argument, 0, 'R'},        {"strict-eol", no_argument, 0, 'S'},
        {"line-timeout", required_argument, 0, 'L'}, {"verbose", no_argument, 0, 'v'},
        {"background", no_argument, 0, 'B'},         {0, 0, 0, 0}};
    int c;
    if (cli_config_split("sim", argc, argv) < 0) return 2;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "r:Ed:e:c:hv", opts, NULL)) != -1) {
        switch (c) {
        case 'r': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                cli_error("sim", "--reply \"%s\" needs the form REQUEST=RESPONSE", optarg);
                return 2;
            }
            char *req = strndup(optarg, (size_t)(eq - optarg));
            int rc = req ? sim_rules_add(&a->rules, req, eq + 1, SIM_NO_DELAY) : -1;
            free(req);
            if (rc < 0) return 1;
            break;
        }
        case 'R':
            if (sim_rules_load(&a->rules, optarg) < 0) return 2;
            break;
        case 'E': a->echo = true; break;
        case 'S': a->strict = true; break;
        case 'v': a->verbose = true; break;
        case 'B':
#ifdef ASER_OS_WINDOWS
            cli_error("sim", "--background needs fork(), which Windows does not have: start it "
                             "with `start /b aserial sim ...`");
            return 2;
#else
            a->background = true;
            break;
#endif
        case 'd':
            if (cli_uint("sim", "--delay", optarg, &a->delay_ms) < 0) return 2;
            break;
        case 'L':
            if (cli_uint("sim", "--line-timeout", optarg, &a->line_timeout_ms) < 0) return 2;
            break;
        case 'e': {
            long n = cli_unescape("--eol", optarg, a->eol, sizeof a->eol - 1);
            if (n <= 0 || memchr(a->eol, 0, (size_t)n)) {
                if (n >= 0) cli_error("sim", "--eol must be non-empty and without \\0");
                return 2;
            }
            a->eol_len = (size_t)n;
            break;
        }
        case 'c':
            if (cli_config("sim", optarg, &a->cfg) < 0) return 2;
            break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: cli_bad_option("sim", opts, "r:Ed:e:c:hv", argv[optind - 1], optopt); return 2;
        }
    }
    if (argc - optind < 1) {
        cli_missing("sim", "PORT, the port to answer on (/dev/ttyUSB0, ./a from aserial pair...)");
        return 2;
    }
    if (argc - optind > 1) {
        cli_error("sim",
                  "unexpected \"%s\" after the port (one port only; quote a --reply with "
                  "spaces); see aserial help sim",
                  argv[optind + 1]);
        return 2;
    }
    return -1; /* parsed: go on */
}

int aser_cmd_sim(int argc, char **argv)
{
    static sim a;
    memset(&a, 0, sizeof a);
    aser_config def = ASER_CONFIG_DEFAULT;
    a.cfg = def;
    memcpy(a.eol, "\n", 2);
    a.eol_len = 1;
    int rc = parse(argc, argv, &a);
    if (rc >= 0) {
        sim_rules_free(&a.rules);
        return rc;
    }
    aser_err err = {0};
    rc = 1;
    cli_catch_signals();
    if (a.background && cli_background_start("sim") < 0) {
        sim_rules_free(&a.rules);
        return 1;
    }
    if (aser_loop_new(&a.loop) < 0) {
        cli_error("sim", "cannot create an event loop");
    } else if (aser_open(a.loop, argv[optind], &a.cfg, &a.p, &err) < 0) {
        cli_error("sim", "%s", err.msg);
    } else {
        aser_reconnect_opts ro = {.enabled = true};
        aser_set_reconnect(a.p, &ro);
        aser_on_data(a.p, on_data, &a);
        fprintf(stderr, "aserial sim: answering on %s (%zu rule%s%s)\n", argv[optind], a.rules.n,
                a.rules.n == 1 ? "" : "s", a.echo ? ", echo" : "");
        cli_background_ready();
        rc = cli_run_until_signal(a.loop) < 0 ? 1 : 0;
    }
    while (waiting) {
        pending_reply *r = waiting;
        waiting = r->next;
        aser_timer_cancel(r->t);
        free(r);
    }
    if (a.p) aser_close(a.p);
    a.p = NULL;
    if (a.loop) {
        aser_loop_run_once(a.loop, 0);
        aser_loop_free(a.loop);
    }
    sim_rules_free(&a.rules);
    return rc;
}
