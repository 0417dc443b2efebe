/* platform.h: what each platform's listing gives the discovery code all
 * platforms share (common.c: entries, natural order; find.c: filters,
 * aser_find_port(s), usb: URLs).
 *
 *   Linux     sysfs (list.c, info.c, links.c)
 *   portable  names in the /dev root (list.c, devscan.c)
 *   Windows   SetupAPI and SERIALCOMM (win/list.c, win/find.c)
 */
#ifndef ASER_DISCOVER_PLATFORM_H
#define ASER_DISCOVER_PLATFORM_H

#include "aserial.h"
#include "internal.h"

/* Every port (flags: ASER_LIST_*), sorted in natural order; *out is NULL
 * when *n is 0. 0 or a negative ASER_E* code (err, if non-NULL, says why). */
int aser__discover_all(unsigned flags, aser_port_info **out, size_t *n, aser_err *err);
/* Whether dev (a filter's device) names this port: one of its names, or
 * the same device by another spelling (a symlink; "com5" for "\\.\COM5"). */
bool aser__discover_names_port(const aser_port_info *info, const char *dev);
/* A filter's pattern against a description: a glob (*, ?, [set]),
 * ignoring case. */
bool aser__discover_glob(const char *pattern, const char *s);
/* Where a person sees the ports present, for "not found" messages. */
extern const char aser__discover_where[];
/* NULL where ports carry their USB identity; else why usb: URLs cannot
 * work on this platform, with what to do instead. */
extern const char *const aser__discover_no_usb;

/* ---- hotplug (hotplug.c, one watcher for every platform) ---------------- */

/* The platform's side of a watcher: what it lists (Linux and portable:
 * the /dev and sysfs roots found at the start) and its change
 * notifications (hotplug_unix.c, win/hotplug.c). */
typedef struct aser_hotplug_src aser_hotplug_src;
/* Open it on loop: changed(arg) runs on the loop when ports may have
 * changed (Linux: inotify, netlink). *notifies false: the platform tells
 * nothing (the portable build, Windows), and the watcher rescans on a
 * timer. 0, or a negative code with nothing left open. */
int aser__hotplug_src_open(aser_loop *loop, void (*changed)(void *), void *arg,
                           aser_hotplug_src **out, bool *notifies);
/* The ports now, sorted as aser__discover_all gives them. */
int aser__hotplug_src_list(aser_hotplug_src *s, aser_port_info **out, size_t *n);
void aser__hotplug_src_close(aser_hotplug_src *s);
/* The first listing failed with rc: start with no ports and let the next
 * rescan catch up (true), or fail the start (false). */
bool aser__hotplug_start_empty(int rc);

/* common.c */
/* Free the strings of one entry and zero it (vid, pid, usb_interface = -1). */
void aser__port_info_clear(aser_port_info *info);
/* Natural order of port names, ignoring case: ttyS2 < ttyS10 < ttyUSB0,
 * COM2 < COM10. */
int aser__name_cmp(const char *a, const char *b);
/* Hand a listing of n ports to the caller: sorted by name in natural
 * order into *out, *out NULL when n is 0 (list freed). */
void aser__list_done(aser_port_info *list, size_t n, aser_port_info **out, size_t *nout);
/* The period of a hotplug watcher that rescans on a timer (the portable
 * build, Windows): 1 s, or ASERIAL_HOTPLUG_POLL_MS (10..60000). */
uint64_t aser__hotplug_poll_us(void);
/* Hotplug watchers: report through cb the ports of was that are not in
 * now (ASER_HOTPLUG_REMOVE), then those of now that were not in was
 * (ASER_HOTPLUG_ADD); a port is the same if everything a user can tell it
 * by is (names, USB identity, location, hwid). Stops once *stopped (cb
 * may stop the watcher). */
void aser__report_changes(aser_hotplug *h, aser_hotplug_cb cb, void *ctx, const aser_port_info *was,
                          size_t nwas, const aser_port_info *now, size_t n, const bool *stopped);

#endif
