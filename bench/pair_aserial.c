/* pair_aserial.c: an aserial virtual pair (aser_pair_open) as a program,
 * the counterpart of `socat pty,rawer,echo=0,link=A pty,rawer,echo=0,link=B`
 * for the bulk-throughput workload.
 *
 *   pair_aserial <link-a> <link-b> <max-seconds>
 *
 * Creates the pair with the two symlinks, prints both tty paths, and
 * forwards until SIGTERM/SIGINT or max-seconds, then removes the links. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "aserial.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: pair_aserial <link-a> <link-b> <max-seconds>\n");
        return 2;
    }
    time_t end = time(NULL) + atol(argv[3]);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    aser_loop *loop;
    aser_pair *pair;
    aser_err err = {0};
    int rc = aser_loop_new(&loop);
    if (rc < 0) {
        fprintf(stderr, "pair_aserial: %s\n", aser_strerror(rc));
        return 1;
    }
    aser_pair_opts po = {.link_a = argv[1], .link_b = argv[2]};
    if (aser_pair_open(loop, &po, &pair, &err) < 0) {
        fprintf(stderr, "pair_aserial: %s\n", err.msg);
        return 1;
    }
    printf("%s\n%s\n", aser_pair_path(pair, 0), aser_pair_path(pair, 1));
    fflush(stdout);
    /* A signal interrupts the wait (EINTR is not an error for the loop). */
    while (!stop && time(NULL) < end)
        if ((rc = aser_loop_run_once(loop, 200)) < 0) {
            fprintf(stderr, "pair_aserial: loop: %s\n", aser_strerror(rc));
            break;
        }
    aser_pair_close(pair);
    aser_loop_run_once(loop, 0);
    aser_loop_free(loop);
    return rc < 0;
}
