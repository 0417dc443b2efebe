/* cmd_query.c: aserial query PORT TEXT [--config STR] [--eol STR]
 * [--timeout MS]. Sends TEXT plus EOL, prints the reply line. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: aserial query PORT TEXT [--config STR] [--eol STR] [--timeout MS]\n"
    "  Send TEXT followed by EOL to PORT and print the reply line (without EOL).\n"
    "  --config STR   port settings, e.g. 9600,8N1 (default 115200,8N1)\n"
    "  --eol STR      line ending for request and reply (default \\n; escapes\n"
    "                 \\r \\n \\t \\0 \\\\ \\xHH work, e.g. --eol '\\r\\n')\n"
    "  --timeout MS   give up after MS milliseconds (default 1000)\n"
    "Exit status: 0 reply printed, 1 timeout or error, 2 bad usage.\n";

int aser_cmd_query(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"eol", required_argument, 0, 'e'},
                                         {"timeout", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    aser_config cfg = ASER_CONFIG_DEFAULT;
    char eol[16] = "\n";
    long eol_len = 1;
    unsigned timeout = 1000;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:e:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': if (cli_config("query", optarg, &cfg) < 0) return 2; break;
        case 'e':
            eol_len = cli_unescape("--eol", optarg, eol, sizeof eol);
            if (eol_len <= 0) {
                if (eol_len == 0) cli_error("query", "--eol must not be empty");
                return 2;
            }
            break;
        case 't': if (cli_uint("query", "--timeout", optarg, &timeout) < 0) return 2; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default:
            cli_error("query", "unknown or incomplete option \"%s\"; see aserial query --help",
                      argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind != 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *port = argv[optind], *text = argv[optind + 1];
    char req[4096];
    long n = cli_unescape("TEXT", text, req, sizeof req - sizeof eol);
    if (n < 0) return 2;
    memcpy(req + n, eol, (size_t)eol_len);
    aser_port *p;
    aser_err err = {0};
    if (aser_open(NULL, port, &cfg, &p, &err) < 0) {
        cli_error("query", "%s", err.msg);
        return 1;
    }
    char reply[65536];
    aser_query_opts qo = {.eol = eol, .eol_len = (size_t)eol_len, .timeout_ms = timeout};
    ssize_t got = aser_query_sync(p, req, (size_t)(n + eol_len), &qo, reply, sizeof reply);
    int rc = 0;
    if (got >= 0) {
        fwrite(reply, 1, (size_t)got, stdout);
        fputc('\n', stdout);
    } else if (got == ASER_ETIMEDOUT) {
        cli_error("query", "no reply from %s within %u ms: check the port settings (%s) "
                  "and the line ending, or raise --timeout", port, timeout,
                  "--config");
        rc = 1;
    } else {
        const char *detail = aser_port_errmsg(p);
        cli_error("query", "%s", *detail ? detail : aser_strerror((int)got));
        rc = 1;
    }
    aser_close(p);
    return rc;
}
