/* background.c: --background for the commands a script starts and later
 * stops (pair, sim). The command forks; the parent waits until the child
 * says it is ready (its ttys exist, its port is open), prints the child's
 * pid on stdout and exits 0, so a script needs no sleep:
 *
 *     pair=$(aserial pair ./a ./b --background)
 *     ...
 *     kill $pair
 *
 * A child that fails before it is ready has said why on stderr; the parent
 * exits with its status. The ready child's stdout goes to /dev/null (a
 * command substitution waits for every writer to close it); stderr stays.
 * POSIX only: Windows has no fork, and the option is refused there. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready_fd = -1; /* the child's end of the pipe, until it is ready */

int cli_background_start(const char *cmd)
{
    int p[2];
    if (pipe(p) < 0) {
        cli_error(cmd, "--background: cannot make a pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        cli_error(cmd, "--background: cannot fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        (void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
        ready_fd = p[1];
        return 0;
    }
    close(p[1]);
    char b;
    ssize_t n;
    while ((n = read(p[0], &b, 1)) < 0 && errno == EINTR) {
    }
    close(p[0]);
    if (n == 1) {
        printf("%ld\n", (long)pid);
        exit(fflush(stdout) == 0 ? 0 : 1);
    }
    int st = 0; /* it ended before it was ready: it said why */
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    exit(WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : 1);
}

void cli_background_ready(void)
{
    if (ready_fd < 0) return;
    fflush(stdout);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        close(null);
    }
    ssize_t n;
    while ((n = write(ready_fd, "r", 1)) < 0 && errno == EINTR) {
    }
    close(ready_fd);
    ready_fd = -1;
}
