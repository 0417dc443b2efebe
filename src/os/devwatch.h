/* os/devwatch.h: the operating system telling that device nodes may have
 * come or gone, for the hotplug watcher (discover/hotplug.c). Linux:
 * inotify on the /dev root and the tty class, and the kernel's uevent
 * broadcast (os/unix/linux/devwatch.c). The portable build has neither
 * (os/unix/posix/devwatch.c says ASER_ENOTSUP) and the watcher rescans on
 * a timer; Windows does not use this (discover/win/hotplug.c). */
#ifndef ASER_OS_DEVWATCH_H
#define ASER_OS_DEVWATCH_H

#include "internal.h"

#define ASER_DEVWATCH_FDS 2

typedef struct aser_devwatch {
    int fd[ASER_DEVWATCH_FDS]; /* non-blocking; -1: not open */
} aser_devwatch;

/* Watch dev_dir (required: its failure is the error) and tty_dir
 * (optional: the sysfs tty class, which may not exist), and the kernel's
 * uevents when uevents is true and the system lets us. 0, ASER_ENOTSUP
 * where the system gives no such notifications, or another negative
 * code; on failure every fd is closed. The caller watches each fd >= 0. */
int aser__devwatch_open(aser_devwatch *w, const char *dev_dir, const char *tty_dir, bool uevents);
/* fd[i] is readable: read everything it holds. True when that may concern
 * a serial port (which one does not matter: the caller rescans). */
bool aser__devwatch_drain(aser_devwatch *w, size_t i);
void aser__devwatch_close(aser_devwatch *w);

#endif
