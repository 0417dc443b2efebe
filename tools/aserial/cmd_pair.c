/* cmd_pair.c: aserial pair [LINK_A LINK_B] [--background]. A virtual
 * null-modem cable; runs until SIGINT/SIGTERM and removes its links on
 * exit. */
#include "cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: aserial pair [LINK_A LINK_B] [--background]\n"
    "  Make two pseudo-terminals joined back to back and print their paths, one\n"
    "  per line (A then B). With LINK_A and LINK_B, also make symlinks to them.\n"
    "  Runs until interrupted (Ctrl-C, SIGINT/SIGTERM), then removes the links.\n"
    "  --background  once the ttys (and links) exist, go on in the background and\n"
    "                print only its pid (pair=$(aserial pair ./a ./b --background);\n"
    "                ...; kill $pair); the paths go to stderr\n";

int aser_cmd_pair(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage_text, stdout);
        return 0;
    }
    static const char *const names[] = {"help", "background"};
    bool background = false;
    int k = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--background")) {
            background = true;
        } else if (argv[i][0] == '-') {
            cli_unknown_option("pair", argv[i], names, 2);
            return 2;
        } else {
            argv[k++] = argv[i];
        }
    }
    argc = k;
    if (argc == 2) {
        cli_missing("pair", "LINK_B: give both links (./a ./b) or none");
        return 2;
    }
    if (argc > 3) {
        cli_error("pair", "unexpected \"%s\": give two links at most; see aserial help pair",
                  argv[3]);
        return 2;
    }
    if (background && cli_background_start("pair") < 0) return 1;
    aser_loop *loop;
    if (aser_loop_new(&loop) < 0) {
        cli_error("pair", "cannot create an event loop");
        return 1;
    }
    aser_pair_opts o = {argc == 3 ? argv[1] : NULL, argc == 3 ? argv[2] : NULL};
    aser_pair *pr;
    aser_err err = {0};
    cli_catch_signals();
    if (aser_pair_open(loop, &o, &pr, &err) < 0) {
        cli_error("pair", "%s", err.msg);
        aser_loop_free(loop);
        return 1;
    }
    if (background) {
        fprintf(stderr, "aserial pair: %s and %s are joined, in the background (pid %ld)\n",
                aser_pair_path(pr, 0), aser_pair_path(pr, 1), (long)getpid());
        cli_background_ready();
    } else {
        printf("%s\n%s\n", aser_pair_path(pr, 0), aser_pair_path(pr, 1));
        fflush(stdout);
        fprintf(stderr, "aserial pair: the two ttys are joined; Ctrl-C to stop\n");
    }
    int rc = cli_run_until_signal(loop);
    aser_pair_close(pr);
    aser_loop_free(loop);
    return rc < 0 ? 1 : 0;
}
