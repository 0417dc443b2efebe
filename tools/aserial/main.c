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
    {"pair", aser_cmd_pair, "make a virtual null-modem pair of ttys"},
    {"sim", aser_cmd_sim, "simulate an instrument answering request lines"},
    {"query", aser_cmd_query, "send requests, print the replies"},
    {"term", aser_cmd_term, "a serial terminal (or a pipe) on any port"},
    {"serve", aser_cmd_serve, "export a port to TCP clients (RFC 2217 or raw)"},
    {"bridge", aser_cmd_bridge, "forward both ways between two endpoints"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: aserial COMMAND [ARGS]   (aserial COMMAND --help for details)\n\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %-7s %s\n", cmds[i].name, cmds[i].help);
    fprintf(f, "\nPorts are tty paths (/dev/ttyUSB0), serial:///dev/..., usb:VID:PID[:SERIAL],\n"
               "rfc2217://HOST:PORT or tcp://HOST:PORT. Config strings look like "
               "9600,8N1,rtscts.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("aserial %s\n", ASERIAL_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name)) return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "aserial: unknown command \"%s\"; run `aserial --help` for the list\n",
            argv[1]);
    return 2;
}
