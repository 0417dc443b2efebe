/* discover/win/stub.c: discovery on Windows until the SetupAPI module
 * (discover/win/, issue 11) replaces this file at integration: no port
 * is listed, filters still match (without globs), usb: URLs and hotplug
 * say they are not available yet. Every public function exists, so the
 * DLL exports the whole API. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int aser_list_ports(aser_port_info **out, size_t *n, unsigned flags)
{
    (void)flags;
    if (!out || !n) return ASER_EINVAL;
    *out = NULL;
    *n = 0;
    return 0;
}

void aser_port_info_free_list(aser_port_info *list, size_t n)
{
    if (!list) return;
    for (size_t i = 0; i < n; i++) {
        aser_port_info *p = &list[i];
        char **s[] = {&p->device,    &p->name,          &p->description,  &p->hwid,
                      &p->subsystem, &p->serial_number, &p->manufacturer, &p->product,
                      &p->location,  &p->driver,        &p->by_id,        &p->by_path};
        for (size_t j = 0; j < ASER_ARRAY_LEN(s); j++) free(*s[j]);
    }
    free(list);
}

bool aser_port_info_matches(const aser_port_info *info, const aser_port_filter *f)
{
    if (!f) return true;
    if (f->vid >= 0 && info->vid != f->vid) return false;
    if (f->pid >= 0 && info->pid != f->pid) return false;
    if (f->serial_number &&
        (!info->serial_number || strcmp(info->serial_number, f->serial_number) != 0))
        return false;
    if (f->device && !(info->device && strcmp(info->device, f->device) == 0) &&
        !(info->name && strcmp(info->name, f->device) == 0))
        return false;
    return !f->pattern; /* globs: with the SetupAPI module */
}

int aser_find_ports(const aser_port_filter *filter, aser_port_info **out, size_t *n)
{
    (void)filter;
    return aser_list_ports(out, n, 0);
}

int aser_find_port(const aser_port_filter *filter, aser_port_info **out, aser_err *err)
{
    (void)filter;
    if (out) *out = NULL;
    return aser__err(err, ASER_ENOENT,
                     "no matching port: port discovery is not available in this "
                     "Windows build yet; open the port by name (COM5)");
}

int aser__discover_resolve_usb(const char *spec, char *path, size_t cap, aser_err *err)
{
    (void)path;
    (void)cap;
    return aser__err(err, ASER_ENOTSUP,
                     "usb:%s: USB lookup is not available in this Windows build yet; "
                     "open the port by name (COM5)",
                     spec);
}

const char *aser_hotplug_event_name(aser_hotplug_event event)
{
    switch (event) {
    case ASER_HOTPLUG_ADD: return "add";
    case ASER_HOTPLUG_REMOVE: return "remove";
    }
    return "unknown";
}

int aser_hotplug_start(aser_loop *loop, aser_hotplug_cb cb, void *ctx, aser_hotplug **out)
{
    (void)ctx;
    if (out) *out = NULL;
    if (!loop || !cb || !out) return ASER_EINVAL;
    return ASER_ENOTSUP;
}

void aser_hotplug_stop(aser_hotplug *h)
{
    (void)h;
}
