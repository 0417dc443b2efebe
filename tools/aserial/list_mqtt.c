/* list_mqtt.c: `aserial list mqtt://BROKER[:PORT]/PREFIX [--json]
 * [--watch]`: the exports an MQTT broker knows (aser_mqtt_list, their
 * retained statuses): a table for people, a JSON array for scripts; with
 * --watch (aser_mqtt_watch_start) one line (or JSON object) per export
 * present, then per export added or removed, until Ctrl-C. */
#include "cli.h"

#include <stdio.h>

/* s as a JSON string (anyone may publish a status: escape what it holds). */
static void jstr(const char *s)
{
    putchar('"');
    for (; *s; s++)
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    putchar('"');
}

static void json_export(const aser_mqtt_export *e, const char *event)
{
    const char *k[] = {"name", "state", "config", "access", "url"};
    const char *v[] = {e->name, e->state, e->config, e->access, e->url};
    fputs("{", stdout);
    if (event) printf("\"event\":\"%s\",", event);
    for (size_t f = 0; f < 5; f++) {
        printf("%s\"%s\":", f ? "," : "", k[f]);
        jstr(v[f]);
    }
    putchar('}');
}

static void on_watch(aser_mqtt_watch *w, aser_mqtt_watch_event ev, const aser_mqtt_export *e,
                     void *ctx)
{
    const bool *json = ctx;
    (void)w;
    const char *name = aser_mqtt_watch_event_name(ev);
    char safe[600];
    if (ev == ASER_MQTT_READY) {
        fputs("watching for exports; Ctrl-C to stop\n", stderr); /* also a "ready" */
    } else if (!e) {
        fprintf(stderr, "aserial list: the broker connection was lost; trying again every "
                        "second\n");
    } else if (*json) {
        json_export(e, name);
        putchar('\n');
    } else {
        printf("%-7s  %s  %s  %s\n", name, cli_safe(e->name, safe, sizeof safe), e->state, e->url);
    }
    fflush(stdout);
}

static int watch(const char *url, bool json)
{
    cli_catch_signals(); /* SIGINT, SIGTERM end the watch */
    aser_loop *loop;
    if (aser_loop_new(&loop) < 0) {
        cli_error("list", "cannot create an event loop");
        return 1;
    }
    aser_mqtt_watch *w;
    aser_err err = {0};
    int rc = aser_mqtt_watch_start(loop, url, on_watch, &json, &w, &err);
    if (rc < 0) {
        cli_error("list", "%s", err.msg);
    } else {
        rc = cli_run_until_signal(loop);
        if (rc < 0) cli_error("list", "event loop failed: %s", aser_strerror(rc));
        aser_mqtt_watch_stop(w);
    }
    for (int i = 0; i < 500 && aser_loop_free(loop) == ASER_EBUSY; i++)
        aser_loop_run_once(loop, 10); /* a name lookup still running */
    return rc < 0 ? 1 : 0;
}

int cli_list_mqtt(const char *url, bool json, bool watching)
{
    if (watching) return watch(url, json);
    aser_mqtt_export *l;
    size_t n;
    aser_err err = {0};
    if (aser_mqtt_list(url, 0, &l, &n, &err) < 0) {
        cli_error("list", "%s", err.msg);
        return 1;
    }
    if (json) {
        fputs("[", stdout);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ",\n  " : "\n  ", stdout);
            json_export(&l[i], NULL);
        }
        fputs(n ? "\n]\n" : "]\n", stdout);
    } else if (n == 0) {
        printf("no exports under %s (no retained status there)\n", url);
    } else {
        printf("%-20s %-8s %-16s %-14s %s\n", "NAME", "STATE", "CONFIG", "ACCESS", "URL");
        for (size_t i = 0; i < n; i++)
            printf("%-20s %-8s %-16s %-14s %s\n", l[i].name, l[i].state, l[i].config,
                   l[i].access[0] ? l[i].access : "-", l[i].url);
    }
    aser_mqtt_list_free(l);
    return 0;
}
