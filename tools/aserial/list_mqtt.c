/* list_mqtt.c: `aserial list mqtt://BROKER[:PORT]/PREFIX [--json]`: the
 * exports an MQTT broker knows (aser_mqtt_list, their retained statuses):
 * a table for people, a JSON array for scripts. */
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

int cli_list_mqtt(const char *url, bool json)
{
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
            const char *k[] = {"name", "state", "config", "access", "url"};
            const char *v[] = {l[i].name, l[i].state, l[i].config, l[i].access, l[i].url};
            fputs(i ? ",\n  {" : "\n  {", stdout);
            for (size_t f = 0; f < 5; f++) {
                printf("%s\"%s\":", f ? "," : "", k[f]);
                jstr(v[f]);
            }
            putchar('}');
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
