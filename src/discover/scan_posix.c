/* scan_posix.c: the portable build's listing (discover.h aser__scan): the
 * names in the /dev root that look like serial ports (devscan.c), nothing
 * more being known of a port (no USB identity, no by-id links). */
#include "discover/discover.h"

int aser__scan(const aser_roots *r, unsigned flags, aser_port_info **out, size_t *n, aser_err *err)
{
    (void)flags; /* no placeholders to hide: nothing is known of a port */
    return aser__devscan(r, out, n, err);
}

const char *const aser__discover_no_usb =
    "this build cannot read the USB identity of ports (the portable build finds ports by "
    "name in /dev): open the device path instead (`aserial list` shows them)";
