/* url.c: port URLs. "/dev/ttyUSB0", "serial:///dev/ttyUSB0" and
 * "usb:VID:PID[:SERIAL]", each optionally followed by "?key=value&..."
 * (aser_config_set keys) applied on top of the caller's config. */
#include "port.h"

#include <stdio.h>
#include <string.h>

static int apply_query(const char *url, const char *q, aser_config *cfg, aser_err *err)
{
    aser_config c = *cfg;
    char item[256];
    while (*q) {
        size_t n = strcspn(q, "&");
        if (n == 0 || n >= sizeof item)
            return aser__err(err, ASER_EBADURL,
                             "bad option list in \"%s\": use ?key=value&key=value", url);
        memcpy(item, q, n);
        item[n] = '\0';
        q += n + (q[n] == '&');
        char *eq = strchr(item, '=');
        if (!eq || eq == item)
            return aser__err(err, ASER_EBADURL,
                             "option \"%s\" in \"%s\" needs a value: write key=value", item,
                             url);
        *eq = '\0';
        int rc = aser_config_set(&c, item, eq + 1, err);
        if (rc < 0) return rc;
    }
    int rc = aser_config_validate(&c, err);
    if (rc < 0) return rc;
    *cfg = c;
    return 0;
}

static int copy_path(const char *url, const char *s, size_t n, char *path, size_t cap,
                     aser_err *err)
{
    if (n == 0)
        return aser__err(err, ASER_EBADURL, "no device in \"%s\": give a path such as "
                         "/dev/ttyUSB0", url);
    if (n >= cap) return aser__err(err, ASER_EBADURL, "device path in \"%s\" is too long", url);
    memcpy(path, s, n);
    path[n] = '\0';
    return 0;
}

int aser__url_parse(const char *url, aser_config *cfg, char *path, size_t cap,
                    aser_err *err)
{
    const char *q = strchr(url, '?');
    size_t n = q ? (size_t)(q - url) : strlen(url);
    int rc;
    if (strncmp(url, "serial://", 9) == 0) {
        rc = copy_path(url, url + 9, n - 9, path, cap, err);
    } else if (strncmp(url, "usb:", 4) == 0) {
        char spec[128];
        if (n - 4 >= sizeof spec)
            return aser__err(err, ASER_EBADURL, "usb identity in \"%s\" is too long", url);
        memcpy(spec, url + 4, n - 4);
        spec[n - 4] = '\0';
        rc = aser__discover_resolve_usb(spec, path, cap, err);
    } else if (strncmp(url, "mock://", 7) == 0) {
        rc = copy_path(url, url + 7, n - 7, path, cap, err);
        if (rc == 0) rc = q ? apply_query(url, q + 1, cfg, err) : 0;
        return rc < 0 ? rc : ASER_URL_MOCK;
    } else if (strncmp(url, "tcp://", 6) == 0 || strncmp(url, "rfc2217://", 10) == 0 ||
               strncmp(url, "tcp-listen://", 13) == 0) {
        return aser__err(err, ASER_ENOTSUP,
                         "\"%s\": this kind of endpoint is not supported yet in this "
                         "build; use a local tty path", url);
    } else if (strstr(url, "://") && url[0] != '/') {
        return aser__err(err, ASER_EBADURL,
                         "unknown scheme in \"%s\": use a tty path, serial://PATH or "
                         "usb:VID:PID[:SERIAL]", url);
    } else {
        rc = copy_path(url, url, n, path, cap, err);
    }
    if (rc < 0) return rc;
    rc = q ? apply_query(url, q + 1, cfg, err) : 0;
    return rc < 0 ? rc : ASER_URL_TTY;
}
