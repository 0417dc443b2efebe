/* hotplug.c: ports coming and going, as loop events.
 *
 * Change sources only say "something changed"; the watcher then waits a
 * short settle time, lists the ports again and reports the difference with
 * the list it had. That makes every source equivalent and the result
 * correct even when notifications are lost (inotify queue overflow,
 * netlink ENOBUFS): the next rescan catches up.
 *   - inotify on the /dev root (nodes appear and vanish) and on
 *     <sysfs>/class/tty (useful on fixture trees; real sysfs sends no
 *     inotify events, which is harmless);
 *   - a NETLINK_KOBJECT_UEVENT socket bound to the kernel's group, when
 *     the /dev root is the real one and the system lets us open it.
 * In the portable build (-Dplatform=posix: macOS, the BSDs) there is
 * neither: the watcher rescans every second on a timer (and
 * ASERIAL_HOTPLUG_POLL_MS, 10..60000, changes it), reporting through the
 * same events. */
#define _GNU_SOURCE
#include "discover/discover.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef ASER_OS_LINUX
#include <linux/netlink.h>
#include <sys/inotify.h>
#define INOTIFY_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)
#endif

#define HOTPLUG_SETTLE_US 50000u

struct aser_hotplug {
    aser_loop *loop;
    aser_hotplug_cb cb;
    void *ctx;
    aser_roots roots; /* fixed at start: rescans look where we started */
    int ino_fd, nl_fd;
    aser_io *ino_io, *nl_io;
    aser_tmr *tmr;
    uint64_t poll_us; /* portable build: the rescan period */
    aser_port_info *known;
    size_t nknown;
    bool armed;       /* the settle timer is running */
    bool dispatching; /* inside cb: stop must not free */
    bool stopped;
};

static void hotplug_free(aser_hotplug *h)
{
    aser_port_info_free_list(h->known, h->nknown);
    free(h);
}

/* Close every handle and fd; safe on a partly started watcher. */
static void hotplug_close(aser_hotplug *h)
{
    if (h->ino_io) aser__io_close(h->ino_io);
    if (h->nl_io) aser__io_close(h->nl_io);
    if (h->tmr) aser__tmr_close(h->tmr);
    if (h->ino_fd >= 0) close(h->ino_fd);
    if (h->nl_fd >= 0) close(h->nl_fd);
    h->ino_io = h->nl_io = NULL;
    h->tmr = NULL;
    h->ino_fd = h->nl_fd = -1;
}

/* Report the difference between h->known and now, removals first. */
static void dispatch(aser_hotplug *h, const aser_port_info *now, size_t n)
{
    h->dispatching = true;
    aser__report_changes(h, h->cb, h->ctx, h->known, h->nknown, now, n, &h->stopped);
    h->dispatching = false;
}

static void rescan(aser_hotplug *h)
{
    aser_port_info *now;
    size_t n;
    if (aser__list(&h->roots, 0, &now, &n, NULL) < 0) return; /* retry on next change */
    dispatch(h, now, n);
    aser_port_info_free_list(h->known, h->nknown);
    h->known = now;
    h->nknown = n;
    if (h->stopped) hotplug_free(h);
}

#ifdef ASER_OS_LINUX
static void on_settled(void *arg)
{
    aser_hotplug *h = arg;
    h->armed = false;
    rescan(h);
}

static void changed(aser_hotplug *h)
{
    if (h->armed || !h->tmr) return;
    if (aser__tmr_start(h->tmr, HOTPLUG_SETTLE_US) == 0) h->armed = true;
}

static void on_inotify(void *arg, unsigned revents)
{
    aser_hotplug *h = arg;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t r = read(h->ino_fd, buf, sizeof buf);
        if (r > 0 || (r < 0 && errno == EINTR)) continue;
        break; /* EAGAIN: drained */
    }
    (void)revents;
    changed(h); /* which entry changed does not matter: we rescan */
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

static void on_netlink(void *arg, unsigned revents)
{
    aser_hotplug *h = arg;
    char buf[8192];
    bool tty = false;
    for (;;) {
        struct sockaddr_nl src;
        socklen_t sl = sizeof src;
        ssize_t r = recvfrom(h->nl_fd, buf, sizeof buf, 0, (struct sockaddr *)&src, &sl);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == ENOBUFS) { /* events were lost: rescan */
            tty = true;
            continue;
        }
        if (r <= 0) break;
        if (src.nl_pid == 0 && uevent_is_tty(buf, (size_t)r)) tty = true;
    }
    (void)revents;
    if (tty) changed(h);
}

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

/* inotify on the /dev root (required) and <sysfs>/class/tty (optional). */
static int inotify_open(aser_hotplug *h)
{
    char dir[PATH_MAX];
    h->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (h->ino_fd < 0) return aser__errno(errno);
    const char *dev = h->roots.dev[0] ? h->roots.dev : "/";
    if (inotify_add_watch(h->ino_fd, dev, INOTIFY_MASK) < 0) return aser__errno(errno);
    if (aser__path_fmt(dir, sizeof dir, "%s/class/tty", h->roots.sys) == 0)
        (void)inotify_add_watch(h->ino_fd, dir, INOTIFY_MASK);
    return 0;
}

static int watch_fd(aser_hotplug *h, int fd, aser_io_fn fn, aser_io **out)
{
    *out = aser__io_open(h->loop, fd, fn, h);
    if (!*out) return ASER_ENOMEM;
    return aser__io_set(*out, ASER_EV_READ);
}

static int hotplug_sources(aser_hotplug *h)
{
    int rc = inotify_open(h);
    if (rc < 0) return rc;
    if (!h->roots.dev_moved) h->nl_fd = netlink_open();
    h->tmr = aser__tmr_open(h->loop, on_settled, h);
    if (!h->tmr) return ASER_ENOMEM;
    rc = watch_fd(h, h->ino_fd, on_inotify, &h->ino_io);
    if (rc == 0 && h->nl_fd >= 0) rc = watch_fd(h, h->nl_fd, on_netlink, &h->nl_io);
    return rc;
}
#else
/* The portable build: no change notifications; rescan on a timer. */
static void on_poll(void *arg)
{
    aser_hotplug *h = arg;
    if (aser__tmr_start(h->tmr, h->poll_us) == 0) h->armed = true;
    rescan(h); /* may free h (stopped in the callback): nothing after */
}

static int hotplug_sources(aser_hotplug *h)
{
    struct stat st; /* a missing /dev root is an error, as on Linux */
    if (stat(h->roots.dev[0] ? h->roots.dev : "/", &st) < 0) return aser__errno(errno);
    if (!S_ISDIR(st.st_mode)) return ASER_ENOENT;
    h->poll_us = aser__hotplug_poll_us();
    h->tmr = aser__tmr_open(h->loop, on_poll, h);
    if (!h->tmr) return ASER_ENOMEM;
    return aser__tmr_start(h->tmr, h->poll_us);
}
#endif

static int hotplug_open(aser_hotplug *h)
{
    int rc = aser__roots_get(&h->roots);
    if (rc < 0) return rc;
    rc = aser__list(&h->roots, 0, &h->known, &h->nknown, NULL);
    if (rc == ASER_ENOMEM) return rc; /* any other failure: start empty */
    return hotplug_sources(h);
}

int aser_hotplug_start(aser_loop *loop, aser_hotplug_cb cb, void *ctx, aser_hotplug **out)
{
    if (out) *out = NULL;
    if (!loop || !cb || !out) return ASER_EINVAL;
    aser_hotplug *h = calloc(1, sizeof *h);
    if (!h) return ASER_ENOMEM;
    h->loop = loop;
    h->cb = cb;
    h->ctx = ctx;
    h->ino_fd = h->nl_fd = -1;
    int rc = hotplug_open(h);
    if (rc < 0) {
        hotplug_close(h);
        hotplug_free(h);
        return rc;
    }
    aser__loop_ref(loop);
    *out = h;
    return 0;
}

void aser_hotplug_stop(aser_hotplug *h)
{
    if (!h || h->stopped) return;
    h->stopped = true;
    hotplug_close(h);
    aser__loop_unref(h->loop);
    if (!h->dispatching) hotplug_free(h);
}
