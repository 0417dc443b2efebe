/* hotplug.c: ports coming and going, as loop events: one watcher for
 * every platform, over the platform's listing (platform.h).
 *
 * Change sources only say "something changed"; the watcher then waits a
 * short settle time, lists the ports again and reports the difference with
 * the list it had, removals first. That makes every source equivalent and
 * the result correct even when notifications are lost: the next rescan
 * catches up. Where the platform gives no notifications (the portable
 * build, Windows) the watcher rescans every second on a timer
 * (ASERIAL_HOTPLUG_POLL_MS, 10..60000, changes it), reporting through the
 * same events. The sources: Linux inotify and netlink
 * (os/unix/linux/devwatch.c through hotplug_unix.c); Windows
 * win/hotplug.c. */
#include "discover/platform.h"

#include <stdlib.h>

#define HOTPLUG_SETTLE_US 50000u

struct aser_hotplug {
    aser_loop *loop;
    aser_hotplug_cb cb;
    void *ctx;
    aser_hotplug_src *src; /* the platform's listing and notifications */
    aser_tmr *tmr;         /* the settle time, or the rescan period */
    uint64_t poll_us;      /* no notifications: the rescan period; else 0 */
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

/* Close the timer and the platform's side; safe on a partly started
 * watcher. */
static void hotplug_close(aser_hotplug *h)
{
    if (h->tmr) aser__tmr_close(h->tmr);
    if (h->src) aser__hotplug_src_close(h->src);
    h->tmr = NULL;
    h->src = NULL;
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
    if (aser__hotplug_src_list(h->src, &now, &n) < 0) return; /* retry on next change */
    dispatch(h, now, n);
    aser_port_info_free_list(h->known, h->nknown);
    h->known = now;
    h->nknown = n;
    if (h->stopped) hotplug_free(h);
}

/* Notifications: a change starts the settle time, which then rescans. */
static void on_settled(void *arg)
{
    aser_hotplug *h = arg;
    h->armed = false;
    rescan(h);
}

static void changed(void *arg)
{
    aser_hotplug *h = arg;
    if (h->armed || !h->tmr) return;
    if (aser__tmr_start(h->tmr, HOTPLUG_SETTLE_US) == 0) h->armed = true;
}

/* No notifications: rescan on every tick. */
static void on_poll(void *arg)
{
    aser_hotplug *h = arg;
    if (aser__tmr_start(h->tmr, h->poll_us) == 0) h->armed = true;
    rescan(h); /* may free h (stopped in the callback): nothing after */
}

static int hotplug_open(aser_hotplug *h)
{
    bool notifies = false;
    int rc = aser__hotplug_src_open(h->loop, changed, h, &h->src, &notifies);
    if (rc < 0) return rc;
    rc = aser__hotplug_src_list(h->src, &h->known, &h->nknown);
    if (rc < 0 && !aser__hotplug_start_empty(rc)) return rc;
    if (notifies) {
        h->tmr = aser__tmr_open(h->loop, on_settled, h);
        return h->tmr ? 0 : ASER_ENOMEM;
    }
    h->poll_us = aser__hotplug_poll_us();
    h->tmr = aser__tmr_open(h->loop, on_poll, h);
    if (!h->tmr) return ASER_ENOMEM;
    return aser__tmr_start(h->tmr, h->poll_us);
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
