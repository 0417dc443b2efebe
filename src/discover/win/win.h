/* win.h: what the Windows discovery files share.
 *
 *   list.c     the ports: SetupAPI (the COM port interface class and the
 *              Ports class) merged with HKLM\HARDWARE\DEVICEMAP\SERIALCOMM;
 *              USB identity from the device instance id; sorting, freeing
 *   find.c     what the shared ../find.c asks of the platform (platform.h):
 *              port names, globs
 *   hotplug.c  the Windows side of the watcher (../hotplug.c): the
 *              listing, no notifications (a rescan every second)
 * With ../common.c and ../find.c (shared by every platform) they replace
 * the POSIX files of src/discover/ in the Windows build. */
#ifndef ASER_DISCOVER_WIN_H
#define ASER_DISCOVER_WIN_H

#include "discover/platform.h"
#include "internal.h"

/* Every port, sorted by name in natural order (COM2 before COM10). *out is
 * NULL when *n is 0. 0, ASER_ENOMEM, or ASER_EIO with err filled in. */
int aser__win_list(aser_port_info **out, size_t *n, aser_err *err);

/* The USB identity in a device instance id or hardware id:
 *   USB\VID_0403&PID_6001\A600XYZ           vid, pid, serial
 *   USB\VID_2341&PID_0043&MI_00\6&3A1B&0&0000  vid, pid, interface 0;
 *                                           the serial is the parent's
 *   FTDIBUS\VID_0403+PID_6001+A600XYZA\0000 vid, pid, serial (as FTDI's
 *                                           driver spells it, port letter
 *                                           included, as pyserial does)
 * A last component holding '&' was made up by Windows (the device has no
 * serial number): no serial. *serial gets a malloc'ed string or NULL.
 * Returns true when a VID and PID were found. */
bool aser__win_parse_usb_id(const char *id, int *vid, int *pid, int *intf, char **serial);

#endif
