/* url.c: port URLs. "/dev/ttyUSB0", "serial:///dev/ttyUSB0",
 * "usb:VID:PID[:SERIAL]", "mock://NAME", and the network kinds
 * "tcp://HOST:PORT", "rfc2217://HOST:PORT" and "tcp-listen://[HOST:]PORT",
 * each optionally followed by "?key=value&..." (aser_config_set keys)
 * applied on top of the caller's config. Network URLs also take
 * connect_timeout=MS and ack_timeout=MS, read by the transport. */
#define _GNU_SOURCE
#include "port/port.h"
#include "transport/net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Query keys of the network transports, not aser_config keys. */
static bool is_net_key(const char *key)
{
    return !strcmp(key, "connect_timeout") || !strcmp(key, "ack_timeout");
}

/* Line settings a raw TCP endpoint cannot carry. */
static bool is_line_key(const char *key)
{
    static const char *const keys[] = {"baud", "databits", "parity", "stopbits", "flow"};
    for (size_t i = 0; i < ASER_ARRAY_LEN(keys); i++)
        if (!strcmp(key, keys[i])) return true;
    return false;
}

static int check_key(const char *url, int kind, const char *key, aser_err *err)
{
    if (kind == ASER_URL_TCP || kind == ASER_URL_TCP_LISTEN) {
        if (is_line_key(key))
            return aser__err(err, ASER_ENOTSUP, "\"%s\": raw TCP carries data only, so %s "
                             "cannot be set; use rfc2217:// if the server speaks RFC 2217",
                             url, key);
    }
    if (kind == ASER_URL_TCP_LISTEN && !strcmp(key, "ack_timeout"))
        return aser__err(err, ASER_EBADURL, "\"%s\": ack_timeout is for rfc2217:// only", url);
    return 0;
}

static int apply_query(const char *url, int kind, const char *q, aser_config *cfg,
                       aser_err *err)
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
        int rc = check_key(url, kind, item, err);
        if (rc < 0) return rc;
        if (kind >= ASER_URL_TCP && is_net_key(item)) continue; /* the transport's */
        rc = aser_config_set(&c, item, eq + 1, err);
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

/* ---- network URLs ------------------------------------------------------------ */

static const struct {
    const char *prefix;
    int kind;
    const char *example;
} net_schemes[] = {
    {"tcp://", ASER_URL_TCP, "tcp://HOST:PORT"},
    {"rfc2217://", ASER_URL_RFC2217, "rfc2217://HOST:PORT"},
    {"tcp-listen://", ASER_URL_TCP_LISTEN, "tcp-listen://[HOST:]PORT"},
};

static int net_scheme(const char *url)
{
    for (size_t i = 0; i < ASER_ARRAY_LEN(net_schemes); i++)
        if (!strncmp(url, net_schemes[i].prefix, strlen(net_schemes[i].prefix))) return (int)i;
    return -1;
}

static int net_kind(const char *url)
{
    int i = net_scheme(url);
    return i < 0 ? -1 : net_schemes[i].kind;
}

/* Listening addresses (those with a default host) may use port 0: any. */
static int parse_port(const char *what, const char *example, const char *s, size_t n,
                      bool zero_ok, char *port, size_t pcap, aser_err *err)
{
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > 65535) {
            v = 0;
            break;
        }
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    bool digits = n > 0 && strspn(s, "0123456789") >= n;
    if (!digits || (v == 0 && !zero_ok) || v > 65535)
        return aser__err(err, ASER_EBADURL, "%s: the port must be a number from 1 to 65535, "
                         "as in %s", what, example);
    snprintf(port, pcap, "%lu", v);
    return 0;
}

int aser__net_split_hostport(const char *s, size_t n, const char *default_host,
                             const char *what, const char *example, char *host,
                             size_t hcap, char *port, size_t pcap, aser_err *err)
{
    const char *h = s, *colon;
    size_t hn;
    if (n > 0 && s[0] == '[') { /* [v6]:port */
        const char *rb = memchr(s, ']', n);
        if (!rb) return aser__err(err, ASER_EBADURL, "%s: unclosed [ in the IPv6 address; "
                                  "write [::1]:PORT", what);
        h = s + 1;
        hn = (size_t)(rb - h);
        colon = rb + 1 < s + n && rb[1] == ':' ? rb + 1 : NULL;
        if (!colon && rb + 1 != s + n)
            return aser__err(err, ASER_EBADURL, "%s: expected :PORT after the IPv6 address", what);
    } else {
        colon = memrchr(s, ':', n);
        hn = colon ? (size_t)(colon - s) : n;
        if (colon && memchr(s, ':', hn))
            return aser__err(err, ASER_EBADURL, "%s: put an IPv6 address in brackets, as in "
                             "[::1]:PORT", what);
    }
    if (!colon) {
        if (!default_host || hn == 0)
            return aser__err(err, ASER_EBADURL, "%s needs a port: %s", what, example);
        /* "PORT" alone */
        int rc = parse_port(what, example, s, n, true, port, pcap, err);
        if (rc < 0) return rc;
        snprintf(host, hcap, "%s", default_host);
        return 0;
    }
    if (hn == 0 && !default_host)
        return aser__err(err, ASER_EBADURL, "%s needs a host: %s", what, example);
    if (hn >= hcap) return aser__err(err, ASER_EBADURL, "%s: the host name is too long", what);
    int rc = parse_port(what, example, colon + 1, (size_t)(s + n - colon - 1),
                        default_host != NULL, port, pcap, err);
    if (rc < 0) return rc;
    if (hn == 0)
        snprintf(host, hcap, "%s", default_host);
    else {
        memcpy(host, h, hn);
        host[hn] = '\0';
    }
    return 0;
}

static int net_option(const char *url, const char *q, const char *key, unsigned *out,
                      aser_err *err)
{
    size_t kl = strlen(key);
    for (const char *s = q; s && *s; s = strchr(s, '&') ? strchr(s, '&') + 1 : NULL) {
        if (strncmp(s, key, kl) != 0 || s[kl] != '=') continue;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s + kl + 1, &end, 10);
        if (end == s + kl + 1 || (*end && *end != '&') || errno || v > 3600000)
            return aser__err(err, ASER_EBADURL, "\"%s\": %s takes milliseconds (0 to "
                             "3600000), as in %s=2000", url, key, key);
        *out = (unsigned)v;
    }
    return 0;
}

int aser__url_net(const char *url, aser_net_url *out, aser_err *err)
{
    int i = net_scheme(url);
    if (i < 0) return aser__err(err, ASER_EBADURL, "\"%s\" is not a network URL", url);
    memset(out, 0, sizeof *out);
    out->kind = net_schemes[i].kind;
    const char *s = url + strlen(net_schemes[i].prefix), *q = strchr(s, '?');
    size_t n = q ? (size_t)(q - s) : strlen(s);
    char what[128];
    snprintf(what, sizeof what, "%.*s", (int)(s - url + n), url);
    bool listen = out->kind == ASER_URL_TCP_LISTEN;
    int rc = aser__net_split_hostport(s, n, listen ? "127.0.0.1" : NULL, what,
                                      net_schemes[i].example, out->host, sizeof out->host,
                                      out->port, sizeof out->port, err);
    if (rc < 0) return rc;
    out->connect_timeout_ms = listen ? 0 : ASER_NET_CONNECT_TIMEOUT_MS;
    out->ack_timeout_ms = ASER_NET_ACK_TIMEOUT_MS;
    if (q && (rc = net_option(url, q + 1, "connect_timeout", &out->connect_timeout_ms, err)) < 0)
        return rc;
    if (q && (rc = net_option(url, q + 1, "ack_timeout", &out->ack_timeout_ms, err)) < 0)
        return rc;
    return out->kind;
}

static int parse_net(const char *url, aser_config *cfg, char *path, size_t cap,
                     aser_err *err)
{
    aser_net_url u;
    int kind = aser__url_net(url, &u, err);
    if (kind < 0) return kind;
    const char *q = strchr(url, '?');
    if (strchr(u.host, ':'))
        snprintf(path, cap, "[%s]:%s", u.host, u.port);
    else
        snprintf(path, cap, "%s:%s", u.host, u.port);
    int rc = q ? apply_query(url, kind, q + 1, cfg, err) : 0;
    return rc < 0 ? rc : kind;
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
        if (rc == 0) rc = q ? apply_query(url, ASER_URL_MOCK, q + 1, cfg, err) : 0;
        return rc < 0 ? rc : ASER_URL_MOCK;
    } else if (net_kind(url) > 0) {
        return parse_net(url, cfg, path, cap, err);
    } else if (strstr(url, "://") && url[0] != '/') {
        return aser__err(err, ASER_EBADURL,
                         "unknown scheme in \"%s\": use a tty path, serial://PATH, "
                         "usb:VID:PID[:SERIAL], rfc2217://HOST:PORT or tcp://HOST:PORT", url);
    } else {
        rc = copy_path(url, url, n, path, cap, err);
    }
    if (rc < 0) return rc;
    rc = q ? apply_query(url, ASER_URL_TTY, q + 1, cfg, err) : 0;
    return rc < 0 ? rc : ASER_URL_TTY;
}
