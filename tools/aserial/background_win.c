/* background_win.c: --background on Windows, which has no fork(). The
 * option is refused as it is read (cmd_sim.c, with the way to do it
 * there: start /b), so these are reached only without it. */
#include "cli.h"

int cli_background_start(const char *cmd)
{
    cli_error(cmd, "--background needs fork(), which Windows does not have: start the "
                   "command with `start /b`");
    return -1;
}

void cli_background_ready(void)
{
}
