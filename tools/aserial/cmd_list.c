/* cmd_list.c: `aserial list [-v] [--json] [--all] [--watch]`.
 *
 * A table for people, JSON for scripts (the field names of aser_port_info;
 * vid/pid as 4-digit lowercase hex strings; absent values null), and with
 * --watch the ports present ("present"), then one line (or one JSON
 * object per line) per port that comes or goes, until SIGINT or SIGTERM. */
#define _GNU_SOURCE
#include "cli.h"
#include "aserial.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct list_opts {
    bool verbose, json, all, watch;
    const char *mqtt; /* mqtt://BROKER/PREFIX: the exports there (list_mqtt.c) */
} list_opts;

static void list_usage(FILE *f)
{
    fputs("usage: aserial list [-v] [--json] [--all] [--watch]\n"
          "       aserial list mqtt://BROKER[:PORT]/PREFIX [--json] [--watch]  (the exports\n"
          "         there; with --watch, then each one added or removed;\n"
          "         mqtts://...?ca=FILE; ?auth=FILE: user and password, one a line)\n"
          "  -v, --verbose  show every field (hwid, driver, location, links)\n"
          "  -j, --json     JSON array for scripts (with --watch: one object per line)\n"
          "  -a, --all      include serial8250 placeholders (ttyS* with no UART)\n"
          "  -w, --watch    print the ports present, then each one added or removed,\n"
          "                 until Ctrl-C\n"
          "Environment: ASERIAL_SYSFS_ROOT (default /sys), ASERIAL_DEV_ROOT (/dev)\n",
          f);
}

/* 0 to run, 1 when help was printed, 2 on a usage error. */
static int list_parse(int argc, char **argv, list_opts *o)
{
    static const struct {
        const char *s, *l;
        size_t off;
    } flags[] = {
        {"-v", "--verbose", offsetof(list_opts, verbose)},
        {"-j", "--json", offsetof(list_opts, json)},
        {"-a", "--all", offsetof(list_opts, all)},
        {"-w", "--watch", offsetof(list_opts, watch)},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            list_usage(stdout);
            return 1;
        }
        if (strncmp(a, "mqtt://", 7) == 0 || strncmp(a, "mqtts://", 8) == 0) {
            o->mqtt = a;
            continue;
        }
        size_t k = 0;
        while (k < sizeof flags / sizeof flags[0] && strcmp(a, flags[k].s) != 0 &&
               strcmp(a, flags[k].l) != 0)
            k++;
        if (k == sizeof flags / sizeof flags[0]) {
            static const char *const names[] = {"verbose", "json", "all", "watch", "help"};
            if (a[0] == '-')
                cli_unknown_option("list", a, names, 5);
            else
                cli_error("list",
                          "unexpected argument \"%s\" (list takes options only); see "
                          "aserial help list",
                          a);
            return 2;
        }
        *(bool *)((char *)o + flags[k].off) = true;
    }
    return 0;
}

/* ---- JSON ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = s[0] < 0x80             ? 1
               : (s[0] & 0xe0) == 0xc0 ? 2
               : (s[0] & 0xf0) == 0xe0 ? 3
               : (s[0] & 0xf8) == 0xf0 ? 4
                                       : 0;
    if (n == 2 && s[0] < 0xc2) return 0; /* overlong */
    if (n == 4 && s[0] > 0xf4) return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
        return 0; /* overlong, or a UTF-16 surrogate */
    if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))) return 0;
    return n;
}

/* A JSON string (or null). Bytes that are not UTF-8 become U+FFFD. */
static void json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    while (*p) {
        size_t n = utf8_len(p);
        if (n == 0) {
            fputs("\\ufffd", f);
            p++;
        } else if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p++);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\u%04x", *p++);
        } else {
            fwrite(p, 1, n, f);
            p += n;
        }
    }
    fputc('"', f);
}

static void json_hex4(FILE *f, int v)
{
    if (v < 0)
        fputs("null", f);
    else
        fprintf(f, "\"%04x\"", (unsigned)v);
}

static void json_port(FILE *f, const aser_port_info *p, const char *event)
{
    fputc('{', f);
    if (event) fprintf(f, "\"event\": \"%s\", ", event);
    const struct {
        const char *k, *v;
    } a[] = {{"device", p->device},
             {"name", p->name},
             {"description", p->description},
             {"hwid", p->hwid}};
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
        fprintf(f, "\"%s\": ", a[i].k);
        json_str(f, a[i].v);
        fputs(", ", f);
    }
    fputs("\"vid\": ", f);
    json_hex4(f, p->vid);
    fputs(", \"pid\": ", f);
    json_hex4(f, p->pid);
    const struct {
        const char *k, *v;
    } b[] = {{"serial_number", p->serial_number},
             {"manufacturer", p->manufacturer},
             {"product", p->product},
             {"location", p->location}};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
        fprintf(f, ", \"%s\": ", b[i].k);
        json_str(f, b[i].v);
    }
    if (p->usb_interface >= 0)
        fprintf(f, ", \"interface\": %d", p->usb_interface);
    else
        fputs(", \"interface\": null", f);
    const struct {
        const char *k, *v;
    } c[] = {{"driver", p->driver},
             {"subsystem", p->subsystem},
             {"by_id", p->by_id},
             {"by_path", p->by_path}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        fprintf(f, ", \"%s\": ", c[i].k);
        json_str(f, c[i].v);
    }
    fputc('}', f);
}

static void json_list(FILE *f, const aser_port_info *l, size_t n)
{
    fputs(n ? "[\n" : "[]\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("  ", f);
        json_port(f, &l[i], NULL);
        fputs(i + 1 < n ? ",\n" : "\n]\n", f);
    }
}

/* ---- table ----------------------------------------------------------- */

static const char *or_dash(const char *s)
{
    return s ? s : "-";
}

/* A device-supplied string as the terminal may show it (cli_safe): a USB
 * product or serial number can hold escape sequences. The buffer lives
 * to the end of the enclosing block. */
#define SAFE(s) cli_safe((s), (char[1024]){0}, 1024)

static void fmt_id(char *buf, size_t cap, const aser_port_info *p)
{
    if (p->vid >= 0 && p->pid >= 0)
        snprintf(buf, cap, "%04x:%04x", (unsigned)p->vid & 0xffffu, (unsigned)p->pid & 0xffffu);
    else
        snprintf(buf, cap, "-");
}

static void table_details(FILE *f, const aser_port_info *p)
{
    const struct {
        const char *k, *v;
    } d[] = {{"hwid", p->hwid},       {"manufacturer", p->manufacturer},
             {"product", p->product}, {"location", p->location},
             {"driver", p->driver},   {"subsystem", p->subsystem},
             {"by-id", p->by_id},     {"by-path", p->by_path}};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        if (d[i].v) fprintf(f, "    %-13s %s\n", d[i].k, SAFE(d[i].v));
    if (p->usb_interface >= 0) fprintf(f, "    %-13s %d\n", "interface", p->usb_interface);
}

static void table_list(FILE *f, const aser_port_info *l, size_t n, bool verbose)
{
    int wdev = 6, wser = 6;
    for (size_t i = 0; i < n; i++) {
        int d = (int)strlen(SAFE(l[i].device)), s = (int)strlen(SAFE(or_dash(l[i].serial_number)));
        if (d > wdev) wdev = d;
        if (s > wser) wser = s;
    }
    fprintf(f, "%-*s  %-9s  %-*s  %s\n", wdev, "DEVICE", "VID:PID", wser, "SERIAL", "DESCRIPTION");
    for (size_t i = 0; i < n; i++) {
        char id[24];
        fmt_id(id, sizeof id, &l[i]);
        fprintf(f, "%-*s  %-9s  %-*s  %s\n", wdev, SAFE(l[i].device), id, wser,
                SAFE(or_dash(l[i].serial_number)), SAFE(l[i].description));
        if (verbose) table_details(f, &l[i]);
    }
}

/* ---- list once --------------------------------------------------------- */

static int list_once(const list_opts *o)
{
    aser_port_info *l;
    size_t n;
    int rc = aser_list_ports(&l, &n, o->all ? ASER_LIST_ALL : 0);
    if (rc < 0) {
        const char *root = getenv("ASERIAL_SYSFS_ROOT");
        cli_error("list", "cannot read %s/class/tty: %s (is sysfs mounted%s?)",
                  root && *root ? root : "/sys", aser_strerror(rc),
                  root && *root ? ", is ASERIAL_SYSFS_ROOT right" : "");
        return 1;
    }
    if (o->json)
        json_list(stdout, l, n);
    else if (n)
        table_list(stdout, l, n, o->verbose);
    else
        fprintf(stderr, "no serial ports found%s\n",
                o->all ? "" : " (--all also shows ttyS placeholders)");
    aser_port_info_free_list(l, n);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- watch ------------------------------------------------------------- */

static void on_event(aser_hotplug *h, aser_hotplug_event ev, const aser_port_info *p, void *ctx)
{
    const list_opts *o = ctx;
    (void)h;
    if (o->json) {
        json_port(stdout, p, aser_hotplug_event_name(ev));
        fputc('\n', stdout);
    } else {
        char id[24];
        fmt_id(id, sizeof id, p);
        printf("%-7s  %s  %s  %s  %s\n", aser_hotplug_event_name(ev), SAFE(p->device), id,
               SAFE(or_dash(p->serial_number)), SAFE(p->description));
        if (o->verbose) table_details(stdout, p);
    }
    fflush(stdout);
}

/* The ports present when the watch starts, as "present" lines (or JSON
 * objects with "event": "present"), or a note that there are none. */
static void print_present(const list_opts *o)
{
    aser_port_info *l;
    size_t n;
    if (aser_list_ports(&l, &n, o->all ? ASER_LIST_ALL : 0) < 0) return;
    for (size_t i = 0; i < n; i++) {
        if (o->json) {
            json_port(stdout, &l[i], "present");
            fputc('\n', stdout);
        } else {
            char id[24];
            fmt_id(id, sizeof id, &l[i]);
            printf("%-7s  %s  %s  %s  %s\n", "present", SAFE(l[i].device), id,
                   SAFE(or_dash(l[i].serial_number)), SAFE(l[i].description));
            if (o->verbose) table_details(stdout, &l[i]);
        }
    }
    if (!n) fputs("no serial ports present\n", stderr);
    aser_port_info_free_list(l, n);
    fflush(stdout);
}

static int watch_run(aser_loop *loop, const list_opts *o)
{
    aser_hotplug *h;
    int rc = aser_hotplug_start(loop, on_event, (void *)o, &h);
    if (rc < 0) {
        cli_error("list", "cannot watch for ports: %s", aser_strerror(rc));
        return 1;
    }
    print_present(o); /* after the watch started: nothing falls between */
    fputs("watching for serial ports; Ctrl-C to stop\n", stderr); /* also a "ready" */
    rc = cli_run_until_signal(loop);
    if (rc < 0) cli_error("list", "event loop failed: %s", aser_strerror(rc));
    aser_hotplug_stop(h);
    return rc < 0 ? 1 : 0;
}

static int watch(const list_opts *o)
{
    cli_catch_signals(); /* SIGINT, SIGTERM end the watch */
    aser_loop *loop;
    int rc = aser_loop_new(&loop);
    if (rc < 0) {
        cli_error("list", "cannot create event loop: %s", aser_strerror(rc));
        return 1;
    }
    int status = watch_run(loop, o);
    aser_loop_free(loop);
    return status;
}

int aser_cmd_list(int argc, char **argv)
{
    list_opts o = {0};
    int rc = list_parse(argc, argv, &o);
    if (rc == 1) return 0;
    if (rc == 2) return 2;
    if (o.mqtt) return cli_list_mqtt(o.mqtt, o.json, o.watch);
    return o.watch ? watch(&o) : list_once(&o);
}
