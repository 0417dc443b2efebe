/* follow.c: what bridge and serve do with a pty: endpoint. They say where
 * the pseudo-terminal is, and carry the settings its program sets (baud,
 * stop bits, flow control; reported within 100 ms by aser_on_config) to
 * the port on the other side with aser_configure(): over RFC 2217 that is
 * one SET-BAUDRATE etc. to the server, on a local tty a tcsetattr. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

typedef struct follow {
    const char *cmd;
    aser_port *to;
} follow;

static follow links[4];
static size_t nlinks;

static void on_config(aser_port *p, const aser_config *cfg, void *ctx)
{
    follow *f = ctx;
    aser_config want;
    aser_port_config(f->to, &want);
    want.baud = cfg->baud;
    want.stop_bits = cfg->stop_bits;
    want.flow = cfg->flow;
    char text[128];
    aser_config_format(&want, text, sizeof text);
    aser_err err = {0};
    if (aser_configure(f->to, &want, &err) < 0)
        fprintf(stderr, "aserial %s: %s set %s; %s refused it: %s\n", f->cmd,
                aser_port_path(p), text, aser_port_name(f->to), err.msg);
    else
        fprintf(stderr, "aserial %s: %s set %s; applied to %s\n", f->cmd, aser_port_path(p),
                text, aser_port_name(f->to));
}

void cli_follow_config(const char *cmd, aser_port *from, aser_port *to)
{
    if (strncmp(aser_port_name(from), "pty:", 4) != 0 || nlinks == sizeof links / sizeof *links)
        return;
    const char *link = aser_port_name(from) + 4;
    fprintf(stderr, "aserial %s: pseudo-terminal %s%s%.*s: open it with your program\n", cmd,
            aser_port_path(from), link[0] ? " at " : "", (int)strcspn(link, "?"), link);
    follow *f = &links[nlinks++];
    f->cmd = cmd;
    f->to = to;
    aser_on_config(from, to ? on_config : NULL, f);
}
