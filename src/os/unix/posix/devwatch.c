/* os/unix/posix/devwatch.c: os/devwatch.h in the portable build (macOS,
 * the BSDs): no notifications here (kqueue on /dev and IOKit are not
 * used), so the hotplug watcher rescans on a timer. */
#include "os/devwatch.h"

int aser__devwatch_open(aser_devwatch *w, const char *dev_dir, const char *tty_dir, bool uevents)
{
    (void)dev_dir;
    (void)tty_dir;
    (void)uevents;
    for (size_t i = 0; i < ASER_DEVWATCH_FDS; i++) w->fd[i] = -1;
    return ASER_ENOTSUP;
}

bool aser__devwatch_drain(aser_devwatch *w, size_t i)
{
    (void)w;
    (void)i;
    return false;
}

void aser__devwatch_close(aser_devwatch *w)
{
    (void)w;
}
