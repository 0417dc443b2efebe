/* pty.c: allocate a pseudo-terminal (the master side stays with us), and
 * the symlink programs open it by (pairs, pty: endpoints). */
#define _GNU_SOURCE
#include "os/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int aser__pty_open(int *master, char *path, size_t cap, aser_err *err)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (m < 0)
        return aser__err(err, aser__errno(errno),
                         "cannot allocate a pseudo-terminal: %s (is /dev/pts mounted?)",
                         strerror(errno));
    if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, path, cap) != 0) {
        int e = errno;
        close(m);
        return aser__err(err, aser__errno(e), "cannot set up a pseudo-terminal: %s", strerror(e));
    }
    *master = m;
    return 0;
}

int aser__pty_link(const char *link, const char *target, aser_err *err)
{
    struct stat st;
    if (lstat(link, &st) == 0) {
        if (!S_ISLNK(st.st_mode))
            return aser__err(err, ASER_EEXIST,
                             "%s exists and is not a symlink: choose another link name "
                             "or remove it",
                             link);
        unlink(link);
    }
    if (symlink(target, link) < 0)
        return aser__err(err, aser__errno(errno), "cannot create link %s -> %s: %s", link, target,
                         strerror(errno));
    return 0;
}
