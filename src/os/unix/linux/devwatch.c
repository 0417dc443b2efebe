/* os/unix/linux/devwatch.c: os/devwatch.h on Linux.
 *   - inotify on the /dev root (nodes appear and vanish) and on
 *     <sysfs>/class/tty (useful on fixture trees; real sysfs sends no
 *     inotify events, which is harmless);
 *   - a NETLINK_KOBJECT_UEVENT socket bound to the kernel's group, when
 *     the caller asks (the /dev root is the real one) and the system lets
 *     us open it.
 * Either only says "something changed"; lost notifications (inotify queue
 * overflow, netlink ENOBUFS) count as a change, so the caller's rescan
 * catches up. */
#define _GNU_SOURCE
#include "os/devwatch.h"

#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#define INOTIFY_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)
enum {
    FD_INOTIFY,
    FD_NETLINK
};

/* The kernel's uevent broadcast, or -1 where it is not permitted. */
static int netlink_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
    if (fd < 0) return -1;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int aser__devwatch_open(aser_devwatch *w, const char *dev_dir, const char *tty_dir, bool uevents)
{
    for (size_t i = 0; i < ASER_DEVWATCH_FDS; i++) w->fd[i] = -1;
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return aser__errno(errno);
    w->fd[FD_INOTIFY] = fd;
    if (inotify_add_watch(fd, dev_dir, INOTIFY_MASK) < 0) {
        int rc = aser__errno(errno);
        aser__devwatch_close(w);
        return rc;
    }
    if (tty_dir) (void)inotify_add_watch(fd, tty_dir, INOTIFY_MASK);
    if (uevents) w->fd[FD_NETLINK] = netlink_open();
    return 0;
}

static void inotify_drain(int fd)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0 || (r < 0 && errno == EINTR)) continue;
        break; /* EAGAIN: drained */
    }
}

/* Does a kernel uevent concern a tty? Its body is "KEY=value\0..." */
static bool uevent_is_tty(const char *msg, size_t len)
{
    for (size_t i = 0; i < len;) {
        const char *s = msg + i;
        size_t l = strnlen(s, len - i);
        if (l == 13 && memcmp(s, "SUBSYSTEM=tty", 13) == 0) return true;
        i += l + 1;
    }
    return false;
}

static bool netlink_drain(int fd)
{
    char buf[8192];
    bool tty = false;
    for (;;) {
        struct sockaddr_nl src;
        socklen_t sl = sizeof src;
        ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&src, &sl);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == ENOBUFS) { /* events were lost: rescan */
            tty = true;
            continue;
        }
        if (r <= 0) break;
        if (src.nl_pid == 0 && uevent_is_tty(buf, (size_t)r)) tty = true;
    }
    return tty;
}

bool aser__devwatch_drain(aser_devwatch *w, size_t i)
{
    if (i == FD_INOTIFY) {
        inotify_drain(w->fd[i]);
        return true; /* which entry changed does not matter: we rescan */
    }
    return netlink_drain(w->fd[i]);
}

void aser__devwatch_close(aser_devwatch *w)
{
    for (size_t i = 0; i < ASER_DEVWATCH_FDS; i++) {
        if (w->fd[i] >= 0) close(w->fd[i]);
        w->fd[i] = -1;
    }
}
