/* discover.h: what the files of the discovery module share.
 *
 *   sysfs.c    roots, attribute reads that survive broken trees, paths
 *   links.c    /dev/serial/by-id and by-path links matched to ports
 *   info.c     one tty's aser_port_info, read from sysfs
 *   list.c     listing, and what find.c asks of the platform (platform.h)
 *   scan_linux.c  the Linux scan: sysfs (info.c) and links (links.c)
 *   scan_posix.c  the portable build's scan: names in /dev (devscan.c)
 *   common.c   (all platforms) entries, natural order
 *   find.c     (all platforms) filters, aser_find_port(s), usb: URLs
 *   hotplug.c  (all platforms) the watcher: rescans on a change or a timer
 *   hotplug_unix.c  its Unix side: the roots, and the notifications of
 *              os/devwatch.h (inotify and netlink on Linux; none in the
 *              portable build, which rescans on a timer)
 *   devscan.c  the portable build's listing: names in the /dev root
 * The Linux build lists from sysfs (info.c, links.c); the portable build
 * (-Dplatform=posix) from devscan.c.
 */
#ifndef ASER_DISCOVER_INTERNAL_H
#define ASER_DISCOVER_INTERNAL_H

#include "aserial.h"
#include "discover/platform.h"
#include "internal.h"

#include <limits.h>

/* ---- roots (sysfs.c) ---------------------------------------------------- */

/* The sysfs and /dev roots, absolute, without trailing slash ("" means "/"),
 * read from ASERIAL_SYSFS_ROOT / ASERIAL_DEV_ROOT at each call. */
typedef struct aser_roots {
    char sys[PATH_MAX];
    char dev[PATH_MAX];
    bool dev_moved; /* ASERIAL_DEV_ROOT was set: fixture tree, inotify only */
} aser_roots;

int aser__roots_get(aser_roots *r);

/* ---- attributes and paths (sysfs.c) ------------------------------------ */

/* Longest attribute value kept; USB strings are at most 126 UTF-16 units. */
#define ASER_ATTR_MAX 512

/* Read dir/attr into buf, trailing whitespace trimmed. Only regular files
 * are read (a FIFO or directory in a broken tree cannot block or confuse
 * us). Returns 0, or a negative code when missing, unreadable or empty. */
int aser__attr_read(const char *dir, const char *attr, char *buf, size_t cap);
/* The same, as a malloc'ed string; NULL when absent (or out of memory:
 * *nomem is then set). */
char *aser__attr_dup(const char *dir, const char *attr, bool *nomem);
/* A number in base 10 or 16 (an optional 0x prefix), 0..max; -1 when
 * missing, malformed or out of range. */
long aser__attr_num(const char *dir, const char *attr, int base, long max);
/* The last component of the target of symlink dir/link ("ftdi_sio" for
 * driver -> ../../bus/usb/drivers/ftdi_sio). 0 or a negative code. */
int aser__link_base(const char *dir, const char *link, char *buf, size_t cap);

/* snprintf into a path buffer: 0, or ASER_ERANGE when it does not fit. */
int aser__path_fmt(char *out, size_t cap, const char *fmt, ...) ASER_PRINTF(3, 4);
/* Drop the last component in place ("/a/b" -> "/a", "/a" -> "/"). */
void aser__path_parent(char *path);
/* The last component (a pointer into path). */
const char *aser__path_base(const char *path);
/* Resolve ".", ".." and "//" lexically in an absolute path, in place.
 * ASER_EINVAL for a relative path. */
int aser__path_normalize(char *path);

/* ---- by-id / by-path links (links.c) ----------------------------------- */

typedef struct aser_links {
    char **link;   /* absolute link paths, sorted */
    char **target; /* where each points, normalized */
    size_t n;
} aser_links;

/* Read every symlink in dir (a missing dir gives an empty set). 0 or
 * ASER_ENOMEM. */
int aser__links_load(aser_links *l, const char *dir);
void aser__links_free(aser_links *l);
/* A copy of the first link pointing to device (NULL if none, or if out of
 * memory: *nomem is then set). dev_root maps absolute "/dev/..." targets
 * into a moved root. */
char *aser__links_find(const aser_links *l, const char *device, const char *dev_root, bool *nomem);

/* ---- one port (info.c) ------------------------------------------------- */

/* Fill info for the tty called name. Returns 0; ASER_ENOENT when name is
 * not a serial port (no sysfs entry, or a virtual tty such as tty0);
 * ASER_ENOMEM. *placeholder tells a serial8250 port with no UART. On error
 * info holds nothing to free. by_id / by_path are left NULL. */
int aser__port_read(const aser_roots *r, const char *name, aser_port_info *info, bool *placeholder);

/* ---- lists (list.c) ---------------------------------------------------- */

/* List under explicit roots (aser_list_ports() reads them from the
 * environment). err, if non-NULL, gets a sentence on failure. */
int aser__list(const aser_roots *r, unsigned flags, aser_port_info **out, size_t *n, aser_err *err);

/* ---- the platform's scan (scan_linux.c, scan_posix.c) ------------------ */

/* The ports under r, unsorted (aser__list sorts them). *out and *n get
 * what was found even on failure (the caller frees it). 0 or a negative
 * code, err filled in. */
int aser__scan(const aser_roots *r, unsigned flags, aser_port_info **out, size_t *n, aser_err *err);

/* ---- the portable build's listing (devscan.c) -------------------------- */

/* Whether a /dev entry name looks like a serial port on macOS, the BSDs
 * or Linux. */
bool aser__devscan_name_matches(const char *name);
/* The ports in the /dev root, unsorted, without by_id / by_path. */
int aser__devscan(const aser_roots *r, aser_port_info **out, size_t *n, aser_err *err);

#endif
