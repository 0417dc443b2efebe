/* cmd_sim.c: aserial sim PORT [--reply 'REQUEST=RESPONSE']... [--echo]
 * [--delay MS] [--eol STR] [--config STR]. A simulated instrument. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: aserial sim PORT [--reply 'REQUEST=RESPONSE']... [--echo] [--delay MS]\n"
    "                        [--eol STR] [--config STR]\n"
    "  Answer each request line received on PORT: a --reply rule's response, the\n"
    "  request itself with --echo, or nothing. Runs until interrupted.\n"
    "  --delay MS   wait MS milliseconds before each answer\n"
    "  --eol STR    line ending (default \\n; escapes like \\r\\n work)\n"
    "  --config STR port settings, e.g. 9600,8N1\n";

typedef struct sim_args {
    aser_sim_rule *rules;
    size_t nrules;
    aser_sim_opts o;
    aser_config cfg;
    char eol[16];
} sim_args;

static int add_rule(sim_args *a, const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec) {
        cli_error("sim", "--reply \"%s\" needs the form REQUEST=RESPONSE", spec);
        return -1;
    }
    aser_sim_rule *v = realloc(a->rules, (a->nrules + 1) * sizeof *v);
    if (!v) return -1;
    a->rules = v;
    char *req = strndup(spec, (size_t)(eq - spec)), *resp = strdup(eq + 1);
    if (!req || !resp) {
        free(req);
        free(resp);
        return -1;
    }
    a->rules[a->nrules++] = (aser_sim_rule){req, resp};
    return 0;
}

static void free_rules(sim_args *a)
{
    for (size_t i = 0; i < a->nrules; i++) {
        free((char *)a->rules[i].request);
        free((char *)a->rules[i].response);
    }
    free(a->rules);
}

static int parse(int argc, char **argv, sim_args *a)
{
    static const struct option opts[] = {
        {"reply", required_argument, 0, 'r'}, {"echo", no_argument, 0, 'E'},
        {"delay", required_argument, 0, 'd'}, {"eol", required_argument, 0, 'e'},
        {"config", required_argument, 0, 'c'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "r:Ed:e:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': if (add_rule(a, optarg) < 0) return 2; break;
        case 'E': a->o.echo = true; break;
        case 'd': if (cli_uint("sim", "--delay", optarg, &a->o.delay_ms) < 0) return 2; break;
        case 'e': {
            long n = cli_unescape("--eol", optarg, a->eol, sizeof a->eol - 1);
            if (n <= 0 || memchr(a->eol, 0, (size_t)n)) {
                if (n >= 0) cli_error("sim", "--eol must be non-empty and without \\0");
                return 2;
            }
            a->eol[n] = '\0';
            a->o.eol = a->eol;
            break;
        }
        case 'c': if (cli_config("sim", optarg, &a->cfg) < 0) return 2; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default:
            cli_error("sim", "unknown or incomplete option \"%s\"; see aserial sim --help",
                      argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fputs(usage_text, stderr);
        return 2;
    }
    return -1; /* parsed: go on */
}

int aser_cmd_sim(int argc, char **argv)
{
    sim_args a = {.cfg = ASER_CONFIG_DEFAULT};
    int rc = parse(argc, argv, &a);
    if (rc >= 0) {
        free_rules(&a);
        return rc;
    }
    a.o.rules = a.rules;
    a.o.nrules = a.nrules;
    aser_loop *loop = NULL;
    aser_port *p = NULL;
    aser_sim *s = NULL;
    aser_err err = {0};
    rc = 1;
    cli_catch_signals();
    if (aser_loop_new(&loop) < 0) {
        cli_error("sim", "cannot create an event loop");
    } else if (aser_open(loop, argv[optind], &a.cfg, &p, &err) < 0) {
        cli_error("sim", "%s", err.msg);
    } else if (aser_sim_start(p, &a.o, &s) < 0) {
        cli_error("sim", "cannot start the simulator on %s", argv[optind]);
    } else {
        fprintf(stderr, "aserial sim: answering on %s (%zu rules%s)\n", argv[optind],
                a.nrules, a.o.echo ? ", echo" : "");
        rc = cli_run_until_signal(loop) < 0 ? 1 : 0;
    }
    aser_sim_stop(s);
    aser_close(p);
    if (loop) {
        aser_loop_run_once(loop, 0);
        aser_loop_free(loop);
    }
    free_rules(&a);
    return rc;
}
