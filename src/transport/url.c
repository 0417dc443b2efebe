/* transport/url.c: port URLs, parsed once. The transport table
 * (registry.c) says which prefixes exist and what follows each: a device
 * path ("/dev/ttyUSB0", "serial:///dev/ttyUSB0"), a USB identity
 * ("usb:VID:PID[:SERIAL]"), a name ("mock://NAME"), or a network address
 * ("tcp://HOST:PORT", "rfc2217://HOST:PORT", "tcp-listen://[HOST:]PORT").
 * A query "?key=value&..." of aser_config_set keys is applied on top of
 * the caller's config; network transports also take connect_timeout=MS and
 * (RFC 2217) ack_timeout=MS. The result goes to the transport's open(). */
#define _GNU_SOURCE
#include "transport/net.h"
#include "transport/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *key;
    unsigned bit;
} url_opts[] = {
    {"connect_timeout", ASER_URLOPT_CONNECT_TIMEOUT},
    {"ack_timeout", ASER_URLOPT_ACK_TIMEOUT},
    {"token", ASER_URLOPT_TOKEN},
    {"ca", ASER_URLOPT_TLS},
    {"cert", ASER_URLOPT_TLS},
    {"key", ASER_URLOPT_TLS},
    {"auth", ASER_URLOPT_AUTH},
};

static unsigned url_opt_bit(const char *key, size_t n)
{
    for (size_t i = 0; i < ASER_ARRAY_LEN(url_opts); i++)
        if (strlen(url_opts[i].key) == n && !strncmp(key, url_opts[i].key, n))
            return url_opts[i].bit;
    return 0;
}

/* Line settings an endpoint that carries data only cannot take. */
static bool is_line_key(const char *key)
{
    static const char *const keys[] = {"baud", "databits", "parity", "stopbits", "flow"};
    for (size_t i = 0; i < ASER_ARRAY_LEN(keys); i++)
        if (!strcmp(key, keys[i])) return true;
    return false;
}

/* Apply the aser_config keys of the query onto cfg (all or nothing); the
 * transport's own options were taken by take_url_opts. */
static int apply_query(const char *url, const aser_transport_ops *tp, const char *q,
                       aser_config *cfg, aser_err *err)
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
                             "option \"%s\" in \"%s\" needs a value: write key=value", item, url);
        *eq = '\0';
        unsigned bit = url_opt_bit(item, strlen(item));
        if (bit && (tp->url_opts & bit)) continue; /* the transport's, taken already */
        if (bit)
            return aser__err(err, ASER_EBADURL, "\"%s\": %s is not an option of %s URLs", url, item,
                             tp->scheme);
        if (tp->data_only && is_line_key(item))
            return aser__err(err, ASER_ENOTSUP,
                             "\"%s\": %s, so %s cannot be set; use "
                             "rfc2217:// if the server speaks RFC 2217",
                             url, tp->data_only, item);
        int rc = aser_config_set(&c, item, eq + 1, err);
        if (rc < 0) return rc;
    }
    int rc = aser_config_validate(&c, err);
    if (rc < 0) return rc;
    *cfg = c;
    return 0;
}

static int net_option(const char *url, const char *q, const char *key, unsigned *out, aser_err *err)
{
    size_t kl = strlen(key);
    for (const char *s = q; s && *s; s = strchr(s, '&') ? strchr(s, '&') + 1 : NULL) {
        if (strncmp(s, key, kl) != 0 || s[kl] != '=') continue;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s + kl + 1, &end, 10);
        if (end == s + kl + 1 || (*end && *end != '&') || errno || v > 3600000)
            return aser__err(err, ASER_EBADURL,
                             "\"%s\": %s takes milliseconds (0 to "
                             "3600000), as in %s=2000",
                             url, key, key);
        *out = (unsigned)v;
    }
    return 0;
}

/* A string option (token=...): printable, no spaces, at most cap - 1 bytes. */
static int str_option(const char *url, const char *q, const char *key, char *out, size_t cap,
                      aser_err *err)
{
    size_t kl = strlen(key);
    for (const char *s = q; s && *s; s = strchr(s, '&') ? strchr(s, '&') + 1 : NULL) {
        if (strncmp(s, key, kl) != 0 || s[kl] != '=') continue;
        const char *v = s + kl + 1;
        size_t n = strcspn(v, "&");
        bool ok = n > 0 && n < cap;
        for (size_t i = 0; ok && i < n; i++) ok = v[i] > ' ' && v[i] < 127;
        if (!ok)
            return aser__err(err, ASER_EBADURL,
                             "\"%s\": %s takes 1 to %zu printable "
                             "characters without spaces",
                             url, key, cap - 1);
        memcpy(out, v, n);
        out[n] = '\0';
    }
    return 0;
}

static int take_url_opts(const char *url, const aser_transport_ops *tp, const char *q,
                         aser_net_url *net, aser_err *err)
{
    int rc = 0;
    if (tp->url_opts & ASER_URLOPT_TOKEN)
        rc = str_option(url, q, "token", net->token, sizeof net->token, err);
    if (tp->url_opts & ASER_URLOPT_TLS) {
        if (rc == 0) rc = str_option(url, q, "ca", net->ca, sizeof net->ca, err);
        if (rc == 0) rc = str_option(url, q, "cert", net->cert, sizeof net->cert, err);
        if (rc == 0) rc = str_option(url, q, "key", net->key, sizeof net->key, err);
    }
    if (rc == 0 && (tp->url_opts & ASER_URLOPT_AUTH))
        rc = str_option(url, q, "auth", net->auth, sizeof net->auth, err);
    if (rc == 0 && (tp->url_opts & ASER_URLOPT_CONNECT_TIMEOUT))
        rc = net_option(url, q, "connect_timeout", &net->connect_timeout_ms, err);
    if (rc == 0 && (tp->url_opts & ASER_URLOPT_ACK_TIMEOUT))
        rc = net_option(url, q, "ack_timeout", &net->ack_timeout_ms, err);
    return rc;
}

static int parse_net(const char *url, const aser_transport_ops *tp, const char *s, size_t n,
                     aser_url *out, aser_err *err)
{
    aser_net_url *u = &out->net;
    char what[128];
    snprintf(what, sizeof what, "%.*s", (int)(s - url + n), url);
    u->listen = tp->addr == ASER_ADDR_LISTEN;
    u->tls = (tp->url_opts & ASER_URLOPT_TLS) != 0;
    if (tp->addr == ASER_ADDR_HTTP) { /* HOST:PORT/PATH: the path is the HTTP target */
        const char *slash = memchr(s, '/', n);
        size_t tl = slash ? n - (size_t)(slash - s) : 1;
        if (tl >= sizeof u->target)
            return aser__err(err, ASER_EBADURL, "\"%s\": the path is too long", url);
        memcpy(u->target, slash ? slash : "/", tl);
        u->target[tl] = '\0';
        for (size_t i = 0; i < tl; i++)
            if (u->target[i] <= ' ' || u->target[i] == 127)
                return aser__err(err, ASER_EBADURL,
                                 "\"%s\": a space or control character "
                                 "in the path",
                                 url);
        if (slash) n = (size_t)(slash - s);
        snprintf(what, sizeof what, "%.*s", (int)(s - url + n), url);
    }
    int rc = aser__net_split_hostport(s, n, u->listen ? "127.0.0.1" : NULL, what, tp->example,
                                      u->host, sizeof u->host, u->port, sizeof u->port, err);
    if (rc < 0) return rc;
    u->connect_timeout_ms = u->listen ? 0 : ASER_NET_CONNECT_TIMEOUT_MS;
    u->ack_timeout_ms = ASER_NET_ACK_TIMEOUT_MS;
    snprintf(out->path, sizeof out->path, strchr(u->host, ':') ? "[%s]:%s" : "%s:%s", u->host,
             u->port);
    return 0;
}

static int copy_addr(const char *url, const aser_transport_ops *tp, const char *s, size_t n,
                     aser_url *out, aser_err *err)
{
    if (n == 0 && tp->addr == ASER_ADDR_OPTIONAL) return 0; /* out->path stays "" */
    if (n == 0 && s == url)
        return aser__err(err, ASER_EBADURL, "no device in \"%s\": give a path such as %s", url,
                         tp->example);
    if (n == 0)
        return aser__err(err, ASER_EBADURL, "nothing after \"%s\" in \"%s\": write %s", tp->prefix,
                         url, tp->example);
    if (n >= sizeof out->path)
        return aser__err(err, ASER_EBADURL, "the address in \"%s\" is too long", url);
    memcpy(out->path, s, n);
    out->path[n] = '\0';
    return 0;
}

static const aser_transport_ops *select_transport(const char *url, const char **rest)
{
    const aser_transport_ops *bare = NULL;
    for (const aser_transport_ops *const *t = aser__transports; *t; t++) {
        size_t pl = strlen((*t)->prefix);
        if ((*t)->alias && !strcmp(url, (*t)->alias)) {
            *rest = url + strlen(url);
            return *t;
        }
        if (!strncmp(url, (*t)->prefix, pl)) {
            *rest = url + pl;
            return *t;
        }
        if ((*t)->bare && !bare) bare = *t;
    }
    *rest = url;
    /* "ftp://x" is a scheme nobody knows, not a path */
    return strstr(url, "://") && url[0] != '/' ? NULL : bare;
}

const char *aser_url_form(size_t i)
{
    for (const aser_transport_ops *const *t = aser__transports; *t; t++)
        if (!(*t)->test_only && i-- == 0) return (*t)->example;
    return NULL;
}

/* Names the scheme, not the whole URL, and lists the prefixes only, so
 * the message fits aser_err.msg whatever the URL. */
static int unknown_scheme(const char *url, aser_err *err)
{
    char list[256];
    size_t used = 0;
    for (const aser_transport_ops *const *t = aser__transports; *t; t++) {
        if ((*t)->test_only) continue;
        int n = snprintf(list + used, sizeof list - used, "%s%s%s", used ? ", " : "",
                         (*t)->bare ? "a device path, " : "", (*t)->prefix);
        if (n < 0 || (size_t)n >= sizeof list - used) break;
        used += (size_t)n;
    }
    const char *end = strstr(url, "://");
    size_t slen = end ? (size_t)(end - url) : strlen(url);
    return aser__err(
        err, ASER_EBADURL, "unknown scheme \"%.*s%s%s\": use %s (see aser_open(3), aserial(1))",
        (int)(slen > 24 ? 24 : slen), url, slen > 24 ? "..." : "", end ? "://" : "", list);
}

int aser__url_parse(const char *url, aser_config *cfg, aser_url *out, aser_err *err)
{
    const char *s;
    const aser_transport_ops *tp = select_transport(url, &s);
    if (!tp) return unknown_scheme(url, err);
    out->tp = tp;
    out->path[0] = '\0';
    memset(&out->net, 0, sizeof out->net);
    const char *q = strchr(s, '?');
    size_t n = q ? (size_t)(q - s) : strlen(s);
    int rc;
    if (tp->addr == ASER_ADDR_HOSTPORT || tp->addr == ASER_ADDR_LISTEN ||
        tp->addr == ASER_ADDR_HTTP) {
        rc = parse_net(url, tp, s, n, out, err);
        if (rc == 0 && q) rc = take_url_opts(url, tp, q + 1, &out->net, err);
    } else {
        rc = copy_addr(url, tp, s, n, out, err);
        if (rc == 0 && q) rc = take_url_opts(url, tp, q + 1, &out->net, err); /* mqtt: TLS, auth */
        out->net.tls = (tp->url_opts & ASER_URLOPT_TLS) != 0;
    }
    if (rc == 0 && q) rc = apply_query(url, tp, q + 1, cfg, err);
    return rc;
}
