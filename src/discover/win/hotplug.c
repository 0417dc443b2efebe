/* hotplug.c (Windows): ports coming and going, as loop events.
 *
 * The watcher lists the ports again every second on the loop's timer
 * (ASERIAL_HOTPLUG_POLL_MS, 10..60000, changes the period, as in the
 * portable build) and reports the difference with the list it had:
 * removals first, then additions, with the same events as on Linux.
 *
 * Why a timer: the notifications Windows offers without a window are
 * CM_Register_Notification (Windows 8 and later; not in Wine 8 nor in the
 * mingw-w64 headers this is built with, so it could not be tested here)
 * and a registry change wait on SERIALCOMM (needs a waiting thread and
 * misses ports whose driver does not write there); RegisterDeviceNotification
 * needs a window or a service handle. A listing costs a few SetupAPI
 * calls, so a rescan a second is cheap, and it is correct whatever was
 * missed, like the rescans of the Linux watcher. Moving to
 * CM_Register_Notification later changes only hotplug_sources(): its
 * callback would aser_loop_post() a rescan to the loop thread. */
#include "discover/win/win.h"

#include <stdlib.h>
#include <string.h>


struct aser_hotplug {
    aser_loop *loop;
    aser_hotplug_cb cb;
    void *ctx;
    aser_tmr *tmr;
    uint64_t poll_us;
    aser_port_info *known;
    size_t nknown;
    bool dispatching; /* inside cb: stop must not free */
    bool stopped;
};

static void hotplug_free(aser_hotplug *h)
{
    aser_port_info_free_list(h->known, h->nknown);
    free(h);
}

static void dispatch(aser_hotplug *h, const aser_port_info *now, size_t n)
{
    h->dispatching = true;
    aser__report_changes(h, h->cb, h->ctx, h->known, h->nknown, now, n, &h->stopped);
    h->dispatching = false;
}

static void on_poll(void *arg)
{
    aser_hotplug *h = arg;
    aser__tmr_start(h->tmr, h->poll_us);
    aser_port_info *now;
    size_t n;
    if (aser__win_list(&now, &n, NULL) < 0) return; /* retry on the next tick */
    dispatch(h, now, n);
    aser_port_info_free_list(h->known, h->nknown);
    h->known = now;
    h->nknown = n;
    if (h->stopped) hotplug_free(h); /* stopped in the callback: nothing after */
}

static int hotplug_sources(aser_hotplug *h)
{
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
    int rc = aser__win_list(&h->known, &h->nknown, NULL);
    if (rc == 0) rc = hotplug_sources(h);
    if (rc < 0) {
        if (h->tmr) aser__tmr_close(h->tmr);
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
    aser__tmr_close(h->tmr);
    h->tmr = NULL;
    aser__loop_unref(h->loop);
    if (!h->dispatching) hotplug_free(h);
}
