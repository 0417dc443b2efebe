/* common.c: port entries on every platform: clearing, freeing, natural
 * order, and the changes a hotplug watcher reports. */
#include "discover/platform.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void aser__port_info_clear(aser_port_info *info)
{
    char **s[] = {&info->device,    &info->name,          &info->description,  &info->hwid,
                  &info->subsystem, &info->serial_number, &info->manufacturer, &info->product,
                  &info->location,  &info->driver,        &info->by_id,        &info->by_path};
    for (size_t i = 0; i < ASER_ARRAY_LEN(s); i++) free(*s[i]);
    memset(info, 0, sizeof *info);
    info->vid = info->pid = info->usb_interface = -1;
}

void aser_port_info_free_list(aser_port_info *list, size_t n)
{
    if (!list) return;
    for (size_t i = 0; i < n; i++) aser__port_info_clear(&list[i]);
    free(list);
}

int aser__name_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0' && isdigit((unsigned char)a[1])) a++;
            while (*b == '0' && isdigit((unsigned char)b[1])) b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la])) la++;
            while (isdigit((unsigned char)b[lb])) lb++;
            if (la != lb) return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c) return c;
            a += la;
            b += lb;
            continue;
        }
        int ca = toupper((unsigned char)*a), cb = toupper((unsigned char)*b);
        if (ca != cb) return ca < cb ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int info_cmp(const void *pa, const void *pb)
{
    const aser_port_info *a = pa, *b = pb;
    return aser__name_cmp(a->name, b->name);
}

void aser__list_done(aser_port_info *list, size_t n, aser_port_info **out, size_t *nout)
{
    if (n > 1) qsort(list, n, sizeof *list, info_cmp);
    if (n == 0) {
        free(list);
        list = NULL;
    }
    *out = list;
    *nout = n;
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The same port as far as a user can tell. */
static bool same_port(const aser_port_info *a, const aser_port_info *b)
{
    return str_eq(a->name, b->name) && str_eq(a->device, b->device) && a->vid == b->vid &&
           a->pid == b->pid && str_eq(a->serial_number, b->serial_number) &&
           str_eq(a->location, b->location) && str_eq(a->hwid, b->hwid);
}

static bool contains(const aser_port_info *list, size_t n, const aser_port_info *p)
{
    for (size_t i = 0; i < n; i++)
        if (same_port(&list[i], p)) return true;
    return false;
}

void aser__report_changes(aser_hotplug *h, aser_hotplug_cb cb, void *ctx, const aser_port_info *was,
                          size_t nwas, const aser_port_info *now, size_t n, const bool *stopped)
{
    for (size_t i = 0; i < nwas && !*stopped; i++)
        if (!contains(now, n, &was[i])) cb(h, ASER_HOTPLUG_REMOVE, &was[i], ctx);
    for (size_t i = 0; i < n && !*stopped; i++)
        if (!contains(was, nwas, &now[i])) cb(h, ASER_HOTPLUG_ADD, &now[i], ctx);
}

uint64_t aser__hotplug_poll_us(void)
{
    const char *v = getenv("ASERIAL_HOTPLUG_POLL_MS");
    long ms = v ? strtol(v, NULL, 10) : 0;
    return ms >= 10 && ms <= 60000 ? (uint64_t)ms * 1000u : 1000000u;
}

const char *aser_hotplug_event_name(aser_hotplug_event event)
{
    switch (event) {
    case ASER_HOTPLUG_ADD: return "add";
    case ASER_HOTPLUG_REMOVE: return "remove";
    }
    return "unknown";
}
