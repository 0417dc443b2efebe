/* hotplug.c (Windows): the Windows side of the hotplug watcher
 * (../hotplug.c, platform.h): the listing of win/list.c, and no change
 * notifications, so the watcher rescans every second on the loop's timer
 * (ASERIAL_HOTPLUG_POLL_MS, 10..60000, changes the period, as in the
 * portable build) and reports the difference with the list it had.
 *
 * Why a timer: the notifications Windows offers without a window are
 * CM_Register_Notification (Windows 8 and later; not in Wine 8 nor in the
 * mingw-w64 headers this is built with, so it could not be tested here)
 * and a registry change wait on SERIALCOMM (needs a waiting thread and
 * misses ports whose driver does not write there); RegisterDeviceNotification
 * needs a window or a service handle. A listing costs a few SetupAPI
 * calls, so a rescan a second is cheap, and it is correct whatever was
 * missed, like the rescans of the Linux watcher. Moving to
 * CM_Register_Notification later changes only this file: its callback
 * would aser_loop_post() the watcher's changed() to the loop thread. */
#include "discover/win/win.h"

#include <stdlib.h>

struct aser_hotplug_src {
    char unused; /* Windows keeps nothing between listings */
};

int aser__hotplug_src_open(aser_loop *loop, void (*changed)(void *), void *arg,
                           aser_hotplug_src **out, bool *notifies)
{
    (void)loop;
    (void)changed;
    (void)arg;
    *notifies = false;
    *out = calloc(1, sizeof **out);
    return *out ? 0 : ASER_ENOMEM;
}

int aser__hotplug_src_list(aser_hotplug_src *s, aser_port_info **out, size_t *n)
{
    (void)s;
    return aser__win_list(out, n, NULL);
}

void aser__hotplug_src_close(aser_hotplug_src *s)
{
    free(s);
}

bool aser__hotplug_start_empty(int rc)
{
    (void)rc;
    return false; /* a first listing that fails fails the start */
}
