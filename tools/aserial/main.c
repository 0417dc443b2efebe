/* main.c: the aserial command-line tool; dispatches to one file per
 * subcommand. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

typedef struct cmd {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} cmd;

static const cmd cmds[] = {
    {"list", aser_cmd_list, "list serial ports (-v, --json, --all, --watch)"},
#ifdef ASER_OS_UNIX /* no pseudo-terminals on Windows */
    {"pair", aser_cmd_pair, "make a virtual null-modem pair of ttys"},
#endif
    {"sim", aser_cmd_sim, "simulate an instrument answering request lines"},
    {"query", aser_cmd_query, "send requests, print the replies"},
    {"term", aser_cmd_term, "a serial terminal (or a pipe) on any port"},
    {"serve", aser_cmd_serve, "export a port to TCP clients (RFC 2217 or raw)"},
    {"bridge", aser_cmd_bridge, "forward both ways between two endpoints"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: aserial COMMAND [ARGS]   (aserial help COMMAND for its options)\n\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %-7s %s\n", cmds[i].name, cmds[i].help);
#ifdef ASER_OS_WINDOWS
    fprintf(f, "\nWindows: `pair` is not available (no pseudo-terminals), nor are stdio: and\n"
               "pty: ports; `term` runs in a console (Windows 10 or later) or as a pipe.\n");
#endif
    /* The forms aser_open() takes, from the library's transport table. */
    fprintf(f, "\nPorts:");
    size_t col = 6;
    for (size_t i = 0; aser_url_form(i); i++) {
        const char *u = aser_url_form(i);
        size_t w = strlen(u) + 2;
        if (col + w > 78) fprintf(f, "\n "), col = 1;
        fprintf(f, " %s%s", u, aser_url_form(i + 1) ? "," : ";");
        col += w;
    }
    fprintf(f, "\nany may end in ?KEY=VALUE&... with the config keys below.\n"
               "\nConfig strings (--config): comma-separated tokens, in any order:\n"
               "  BAUD          9600, 115200, any positive rate\n"
               "  FRAME         data bits 5-8, parity N O E M S, stop bits 1 1.5 2: 8N1, 7E1\n"
               "  FLOW          rtscts, xonxoff, dtrdsr or none\n"
               "  KEY=VALUE     baud databits parity stopbits flow exclusive hupcl lowlatency\n"
               "                dtr rts rs485 rs485_rts_on_send rs485_rts_after_send\n"
               "                rs485_rx_during_tx rs485_delay_before rs485_delay_after\n"
               "                buffer high_water (booleans: on/off, yes/no, 1/0...)\n"
               "  e.g. 9600,7E1,rtscts   115200,8N1,dtr=off,rts=off,hupcl=off\n"
               "Defaults: 115200,8N1, no flow control, exclusive, hupcl on.\n"
               "Everything (values, escapes, exit status): man aserial.\n");
}

static const cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(name, cmds[i].name)) return &cmds[i];
    return NULL;
}

/* An unknown command, with the nearest one if it looks like a typo. */
static int unknown_command(const char *name)
{
    const char *names[sizeof cmds / sizeof cmds[0]];
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) names[i] = cmds[i].name;
    const char *nearest = cli_closest(name, names, sizeof cmds / sizeof cmds[0]);
    if (nearest)
        fprintf(stderr,
                "aserial: unknown command \"%s\": did you mean \"%s\"? (aserial help "
                "lists the commands)\n",
                name, nearest);
    else
        fprintf(stderr, "aserial: unknown command \"%s\"; aserial help lists the commands\n", name);
    return 2;
}

/* aserial help [CMD]: the general usage, or CMD's own help. */
static int help(int argc, char **argv)
{
    if (argc < 3) {
        usage(stdout);
        return 0;
    }
    const cmd *c = find_cmd(argv[2]);
    if (!c) return unknown_command(argv[2]);
    char *args[] = {argv[2], (char *)"--help", NULL};
    return c->fn(2, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "help")) return help(argc, argv);
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("aserial %s\n", ASERIAL_VERSION_STRING);
        return 0;
    }
    const cmd *c = find_cmd(argv[1]);
    if (c) return c->fn(argc - 1, argv + 1);
    return unknown_command(argv[1]);
}
