/* info.c: one tty's aser_port_info, from sysfs.
 *
 * The walk, for /sys/class/tty/<name>:
 *   tty dir   realpath of the class link, e.g.
 *             devices/pci0000:00/.../1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0
 *   device    realpath of <tty dir>/device. None: a virtual tty (only
 *             rfcomm* is a serial port then). Since Linux 6.5 serial-core
 *             ports sit under "serial-base" ctrl/port devices; those are
 *             skipped up to the hardware device (pci, pnp, platform).
 *   bus       last component of <device>/subsystem: "usb-serial" (ttyUSB:
 *             the device is a port under the USB interface), "usb" (ttyACM:
 *             the device is the interface), "pci", "pnp", "platform"...
 *   USB       the interface dir holds bInterfaceNumber and interface; its
 *             parent, the USB device, holds idVendor, idProduct, serial,
 *             manufacturer, product, busnum, devpath.
 * Any step that fails leaves its fields absent; the port is still listed. */
#define _GNU_SOURCE
#include "discover/discover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct tty_paths {
    char tty[PATH_MAX];  /* the tty's own sysfs dir */
    char dev[PATH_MAX];  /* the hardware device, or "" (virtual) */
    char intf[PATH_MAX]; /* the USB interface, or "" */
    char usb[PATH_MAX];  /* the USB device, or "" */
    char bus[64];        /* subsystem of dev, or "" */
} tty_paths;

static bool has_attr(const char *dir, const char *attr)
{
    char path[PATH_MAX];
    return dir[0] && aser__path_fmt(path, sizeof path, "%s/%s", dir, attr) == 0 &&
           access(path, F_OK) == 0;
}

static char *str_printf(bool *nomem, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *str_printf(bool *nomem, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        *nomem = true;
        return NULL;
    }
    return s;
}

static char *str_dup(bool *nomem, const char *s)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *nomem = true;
    return d;
}

/* Climb from a serial-base port/ctrl device to the hardware under it. */
static void skip_serial_base(tty_paths *tp)
{
    for (int i = 0; i < 4; i++) {
        if (aser__link_base(tp->dev, "subsystem", tp->bus, sizeof tp->bus) < 0) {
            tp->bus[0] = '\0';
            return;
        }
        if (strcmp(tp->bus, "serial-base") != 0) return;
        aser__path_parent(tp->dev);
    }
    tp->bus[0] = '\0';
}

/* Locate the USB interface and device dirs, if the tty hangs off USB. */
static void find_usb(tty_paths *tp)
{
    if (strcmp(tp->bus, "usb-serial") == 0) {
        memcpy(tp->intf, tp->dev, sizeof tp->intf);
        aser__path_parent(tp->intf);
    } else if (strcmp(tp->bus, "usb") == 0) {
        memcpy(tp->intf, tp->dev, sizeof tp->intf);
    } else if (!tp->bus[0]) { /* subsystem link broken: look for the shape */
        memcpy(tp->intf, tp->dev, sizeof tp->intf);
        if (!has_attr(tp->intf, "bInterfaceNumber")) aser__path_parent(tp->intf);
        if (!has_attr(tp->intf, "bInterfaceNumber")) {
            tp->intf[0] = '\0';
            return;
        }
    } else {
        return;
    }
    memcpy(tp->usb, tp->intf, sizeof tp->usb);
    if (has_attr(tp->intf, "idVendor") && !has_attr(tp->intf, "bInterfaceNumber"))
        tp->intf[0] = '\0'; /* the tty hangs off the device itself */
    else
        aser__path_parent(tp->usb);
}

/* 0, or ASER_ENOENT when name is not a serial port, ASER_ERANGE. */
static int find_paths(const aser_roots *r, const char *name, tty_paths *tp)
{
    char path[PATH_MAX];
    memset(tp, 0, sizeof *tp);
    int rc = aser__path_fmt(path, sizeof path, "%s/class/tty/%s", r->sys, name);
    if (rc < 0) return rc;
    if (!realpath(path, tp->tty)) return ASER_ENOENT;
    if (aser__path_fmt(path, sizeof path, "%s/device", tp->tty) < 0 || !realpath(path, tp->dev)) {
        tp->dev[0] = '\0';
        return strncmp(name, "rfcomm", 6) == 0 ? 0 : ASER_ENOENT;
    }
    skip_serial_base(tp);
    find_usb(tp);
    return 0;
}

static const char *transport(const tty_paths *tp, const char *name)
{
    if (!tp->dev[0]) return strncmp(name, "rfcomm", 6) == 0 ? "bluetooth" : "virtual";
    if (tp->usb[0]) return "usb";
    if (strcmp(tp->bus, "usb-serial") == 0) return "usb";
    return tp->bus[0] ? tp->bus : NULL;
}

/* "product - interface", "product", "interface" or the name. */
static char *usb_description(bool *nomem, const char *name, const char *product, const char *ifstr)
{
    if (product && ifstr && strcmp(product, ifstr) != 0)
        return str_printf(nomem, "%s - %s", product, ifstr);
    if (product) return str_dup(nomem, product);
    if (ifstr) return str_dup(nomem, ifstr);
    return str_dup(nomem, name);
}

static char *usb_location(bool *nomem, const tty_paths *tp)
{
    char devpath[64];
    if (tp->intf[0]) return str_dup(nomem, aser__path_base(tp->intf));
    long bus = aser__attr_num(tp->usb, "busnum", 10, 999);
    if (bus >= 0 && aser__attr_read(tp->usb, "devpath", devpath, sizeof devpath) == 0)
        return str_printf(nomem, "%ld-%s", bus, devpath);
    return str_dup(nomem, aser__path_base(tp->usb));
}

static void fill_usb(aser_port_info *info, const tty_paths *tp, bool *nomem)
{
    info->vid = (int)aser__attr_num(tp->usb, "idVendor", 16, 0xffff);
    info->pid = (int)aser__attr_num(tp->usb, "idProduct", 16, 0xffff);
    info->usb_interface = (int)aser__attr_num(tp->intf, "bInterfaceNumber", 16, 255);
    info->serial_number = aser__attr_dup(tp->usb, "serial", nomem);
    info->manufacturer = aser__attr_dup(tp->usb, "manufacturer", nomem);
    info->product = aser__attr_dup(tp->usb, "product", nomem);
    info->location = usb_location(nomem, tp);
    char *ifstr = aser__attr_dup(tp->intf, "interface", nomem);
    info->description = usb_description(nomem, info->name, info->product, ifstr);
    free(ifstr);

    char id[32] = "";
    if (info->vid >= 0 && info->pid >= 0)
        snprintf(id, sizeof id, " VID:PID=%04X:%04X", (unsigned)info->vid, (unsigned)info->pid);
    const char *ser = info->serial_number, *loc = info->location;
    info->hwid = str_printf(nomem, "USB%s%s%s%s%s", id, ser ? " SER=" : "", ser ? ser : "",
                            loc ? " LOCATION=" : "", loc ? loc : "");
}

/* hwid (and location for PCI) of a port that is not on USB. */
static void fill_other(aser_port_info *info, const tty_paths *tp, bool *nomem)
{
    info->description = str_dup(nomem, info->name);
    if (!tp->dev[0]) return;
    const char *base = aser__path_base(tp->dev);
    if (strcmp(tp->bus, "pci") == 0) {
        long v = aser__attr_num(tp->dev, "vendor", 16, 0xffff);
        long d = aser__attr_num(tp->dev, "device", 16, 0xffff);
        char id[32] = "";
        if (v >= 0 && d >= 0)
            snprintf(id, sizeof id, " VID:PID=%04X:%04X", (unsigned)v & 0xffffu,
                     (unsigned)d & 0xffffu);
        info->location = str_dup(nomem, base);
        info->hwid = str_printf(nomem, "PCI%s LOCATION=%s", id, base);
    } else if (strcmp(tp->bus, "pnp") == 0) {
        info->hwid = aser__attr_dup(tp->dev, "id", nomem);
        if (!info->hwid) info->hwid = str_dup(nomem, base);
    } else {
        info->hwid = str_dup(nomem, base);
    }
}

static char *device_path(bool *nomem, const aser_roots *r, const char *name)
{
    char *s = str_printf(nomem, "%s/%s", r->dev, name);
    for (char *p = s ? s + strlen(r->dev) + 1 : NULL; p && *p; p++)
        if (*p == '!') *p = '/'; /* sysfs spells "/" in a device name as "!" */
    return s;
}

static void fill_driver(aser_port_info *info, const tty_paths *tp, bool *nomem)
{
    char drv[128];
    if (aser__link_base(tp->dev, "driver", drv, sizeof drv) == 0 ||
        aser__link_base(tp->intf, "driver", drv, sizeof drv) == 0)
        info->driver = str_dup(nomem, drv);
}

int aser__port_read(const aser_roots *r, const char *name, aser_port_info *info, bool *placeholder)
{
    memset(info, 0, sizeof *info);
    info->vid = info->pid = info->usb_interface = -1;
    *placeholder = false;
    tty_paths *tp = malloc(sizeof *tp);
    if (!tp) return ASER_ENOMEM;
    int rc = find_paths(r, name, tp);
    if (rc < 0) {
        free(tp);
        return rc;
    }
    bool nomem = false;
    info->name = str_dup(&nomem, name);
    info->device = device_path(&nomem, r, name);
    info->subsystem = str_dup(&nomem, transport(tp, name));
    fill_driver(info, tp, &nomem);
    if (tp->usb[0])
        fill_usb(info, tp, &nomem);
    else
        fill_other(info, tp, &nomem);
    /* serial-core "type": PORT_UNKNOWN (0) means no UART answered */
    *placeholder = aser__attr_num(tp->tty, "type", 10, 1L << 30) == 0;
    free(tp);
    if (nomem) {
        aser__port_info_clear(info);
        return ASER_ENOMEM;
    }
    return 0;
}
