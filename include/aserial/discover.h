/* aserial/discover.h: finding serial ports and hearing them come and go.
 *
 * (Section 9 of the manual. It lives here until it is folded into
 * aserial.h; include either one.)
 */
#ifndef ASERIAL_DISCOVER_H
#define ASERIAL_DISCOVER_H

#include "aserial.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ====================================================================== */
/* 9. Discovery                                                            */
/* ====================================================================== */

/* Ports are found in sysfs alone: no udev daemon, no D-Bus, no root. For
 * every tty in /sys/class/tty that has a device behind it (plus Bluetooth
 * rfcomm ttys), aserial reads what the kernel knows about the hardware:
 * the USB identity of an adapter, its interface, its driver, the PCI slot
 * of a UART card. Links udev made in /dev/serial/by-id and by-path are
 * matched back to their port.
 *
 * Two environment variables move the roots, read at every call (never
 * cached), so tests and containers can point at a copy of the trees:
 *   ASERIAL_SYSFS_ROOT  instead of /sys
 *   ASERIAL_DEV_ROOT    instead of /dev; the entries there need not be
 *                       device nodes (plain files are accepted), and
 *                       device paths are reported under this root.
 *
 * Placeholders. The 8250 driver registers ttyS0..ttyS3 (or more) whether
 * or not a UART is present; those without one report port type 0 ("type"
 * in sysfs) and opening them fails. They are left out, as pyserial and
 * other tools do, unless ASER_LIST_ALL is given.
 *
 * A missing or unreadable sysfs attribute never drops a port: the field is
 * left absent (NULL, or -1 for numbers) and the port is still listed. */

/* One serial port. Strings are NUL-terminated UTF-8 as the kernel gives
 * them, or NULL when absent; numbers are -1 when absent. */
typedef struct aser_port_info {
    char *device;        /* path to open: "/dev/ttyUSB0" (never NULL) */
    char *name;          /* kernel name: "ttyUSB0" (never NULL) */
    char *description;   /* for people: USB product [+ " - " interface
                            string]; else the name (never NULL) */
    char *hwid;          /* pyserial-style identity:
                            "USB VID:PID=0403:6001 SER=A600XYZ LOCATION=1-1:1.0",
                            "PCI VID:PID=8086:A13D LOCATION=0000:00:16.3",
                            the PNP id ("PNP0501"), the platform device
                            ("serial8250"); NULL if nothing is known */
    char *subsystem;     /* transport: "usb", "pci", "platform", "pnp",
                            "bluetooth", "virtual", or another bus name
                            as sysfs spells it ("amba", "serdev"...) */
    int vid;             /* USB vendor id 0..0xffff, or -1 (not USB) */
    int pid;             /* USB product id 0..0xffff, or -1 */
    char *serial_number; /* USB iSerial string: "A600XYZ" */
    char *manufacturer;  /* USB iManufacturer: "FTDI" */
    char *product;       /* USB iProduct: "FT232R USB UART" */
    char *location;      /* USB bus, port path, configuration and
                            interface as the kernel names the interface:
                            "1-1.4:1.0" (bus 1, hub port 1, port 4,
                            config 1, interface 0); for PCI the slot */
    int interface;       /* USB bInterfaceNumber (FT4232H: 0..3), or -1 */
    char *driver;        /* kernel driver: "ftdi_sio", "cdc_acm", "serial" */
    char *by_id;         /* "/dev/serial/by-id/usb-FTDI_..._A600XYZ-if00-port0"
                            (the first in name order if several), or NULL */
    char *by_path;       /* "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0" */
} aser_port_info;

/* Flags for aser_list_ports() and aser_port_filter.flags. */
enum {
    ASER_LIST_ALL = 1u << 0 /* include serial8250 placeholders (type 0) */
};

/* List the serial ports, sorted by name in natural order (ttyUSB2 before
 * ttyUSB10). On success *out is an array of *n entries (NULL when *n is 0)
 * to release with aser_port_info_free_list(). Returns 0, ASER_ENOMEM, or
 * the error opening <sysfs>/class/tty (ASER_ENOENT if the sysfs root is
 * wrong, ASER_EACCES). */
int aser_list_ports(aser_port_info **out, size_t *n, unsigned flags);

/* Free an array from aser_list_ports(), aser_find_ports() or
 * aser_find_port() (n = 1). NULL is a no-op. */
void aser_port_info_free_list(aser_port_info *list, size_t n);

/* What to look for. Start from ASER_PORT_FILTER_INIT (which matches every
 * port) and set the fields you need; all set fields must match. */
typedef struct aser_port_filter {
    int vid;                   /* USB vendor id, or -1 for any */
    int pid;                   /* USB product id, or -1 for any */
    const char *serial_number; /* exact (case-sensitive), or NULL */
    const char *device;        /* "/dev/ttyUSB0", "ttyUSB0", or a by-id /
                                  by-path link (any path to the same node),
                                  or NULL */
    const char *pattern;       /* fnmatch() glob matched, ignoring case,
                                  against description and product:
                                  "*ft232r*", "CP210?*", or NULL */
    unsigned flags;            /* ASER_LIST_ALL */
} aser_port_filter;

#define ASER_PORT_FILTER_INIT                                                      \
    {                                                                              \
        .vid = -1, .pid = -1, .serial_number = NULL, .device = NULL,               \
        .pattern = NULL, .flags = 0                                                \
    }

/* True if info satisfies filter (NULL filter: always). */
bool aser_port_matches(const aser_port_info *info, const aser_port_filter *filter);

/* All ports matching filter (NULL: every port), in aser_list_ports()
 * order. An empty result is success with *n = 0. */
int aser_find_ports(const aser_port_filter *filter, aser_port_info **out, size_t *n);

/* The first matching port, as an array of one (free it with
 * aser_port_info_free_list(*out, 1)). ASER_ENOENT when nothing matches,
 * with err naming what was looked for and pointing to `aserial list`. */
int aser_find_port(const aser_port_filter *filter, aser_port_info **out,
                   aser_err *err);

/* ---- hotplug ---------------------------------------------------------- */

/* Ports appearing and disappearing, as events on a loop.
 *
 * The watcher keeps the list of ports it knows and, whenever something
 * changes, reads sysfs again and reports the difference: ADD with the new
 * port's info, REMOVE with the info the port had when it was last seen
 * (its device node and sysfs entry are already gone). A port that is
 * replaced under the same name by another device within one rescan is
 * reported as REMOVE then ADD. Ports present at start are not reported:
 * call aser_list_ports() for them.
 *
 * Changes are noticed through a kernel uevent socket (NETLINK_KOBJECT_
 * UEVENT) where the system permits one, and always through an inotify
 * watch on the /dev root and on <sysfs>/class/tty; with ASERIAL_DEV_ROOT
 * set only inotify is used, so fixture trees work. Bursts of changes are
 * gathered for about 50 ms before rescanning, which also gives udev time
 * to create the by-id and by-path links. Placeholders are never reported.
 *
 * The watcher keeps aser_loop_run() going until it is stopped. */
typedef struct aser_hotplug aser_hotplug;

typedef enum aser_hotplug_event {
    ASER_HOTPLUG_ADD = 1,
    ASER_HOTPLUG_REMOVE = 2
} aser_hotplug_event;

/* info is valid only during the callback. The callback may call
 * aser_hotplug_stop() on its own watcher. */
typedef void (*aser_hotplug_cb)(aser_hotplug *h, aser_hotplug_event event,
                                const aser_port_info *info, void *ctx);

/* Start watching. Returns 0, ASER_EINVAL (NULL loop, cb or out),
 * ASER_ENOMEM, or the negated errno from inotify (-EMFILE when the inotify
 * limits are reached, -ENOENT when the /dev root does not exist). cb is
 * never called from inside this call. */
int aser_hotplug_start(aser_loop *loop, aser_hotplug_cb cb, void *ctx,
                       aser_hotplug **out);

/* Stop watching and free the watcher; cb is not called afterwards. Safe
 * inside cb. NULL is a no-op. */
void aser_hotplug_stop(aser_hotplug *h);

/* The name of an event: "add" or "remove". */
const char *aser_hotplug_event_name(aser_hotplug_event event);

#ifdef __cplusplus
}
#endif
#endif /* ASERIAL_DISCOVER_H */
