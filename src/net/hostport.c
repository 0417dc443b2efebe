/* net/hostport.c: "HOST:PORT", "[V6]:PORT" and "PORT" taken apart and
 * checked (net/stream.h), for URLs (transport/url.c) and listen addresses
 * (the server, the web listener). Messages name the thing and show the
 * form to write. */
#define _GNU_SOURCE
#include "net/stream.h"

#include <stdio.h>
#include <string.h>

/* Listening addresses (those with a default host) may use port 0: any. */
static int parse_port(const char *what, const char *example, const char *s, size_t n, bool zero_ok,
                      char *port, size_t pcap, aser_err *err)
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
        return aser__err(err, ASER_EBADURL,
                         "%s: the port must be a number from 1 to 65535, "
                         "as in %s",
                         what, example);
    snprintf(port, pcap, "%lu", v);
    return 0;
}

/* A host is a DNS name or an IPv4 address (letters, digits, '-', '.',
 * '_'), or inside brackets an IPv6 literal (hex digits, ':', '.') with an
 * optional zone after '%' ("fe80::1%eth0"). Anything else ("[[2]", a
 * space, a '/') would only fail later in getaddrinfo with a vaguer
 * message, or be taken for another part of the URL. */
static bool host_chars_ok(const char *h, size_t n, bool bracketed)
{
    bool zone = false, colon = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (bracketed && !zone) {
            if (c == '%' && i > 0) {
                zone = true;
                continue;
            }
            colon |= c == ':';
            bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!hex && c != ':' && c != '.') return false;
        } else if (!alnum && c != '-' && c != '.' && c != '_') {
            return false;
        }
    }
    return !bracketed || colon;
}

int aser__net_split_hostport(const char *s, size_t n, const char *default_host, const char *what,
                             const char *example, char *host, size_t hcap, char *port, size_t pcap,
                             aser_err *err)
{
    const char *h = s, *colon;
    size_t hn;
    if (n > 0 && s[0] == '[') { /* [v6]:port */
        const char *rb = memchr(s, ']', n);
        if (!rb)
            return aser__err(err, ASER_EBADURL,
                             "%s: unclosed [ in the IPv6 address; "
                             "write [::1]:PORT",
                             what);
        h = s + 1;
        hn = (size_t)(rb - h);
        colon = rb + 1 < s + n && rb[1] == ':' ? rb + 1 : NULL;
        if (!colon && rb + 1 != s + n)
            return aser__err(err, ASER_EBADURL, "%s: expected :PORT after the IPv6 address", what);
    } else {
        colon = memrchr(s, ':', n);
        hn = colon ? (size_t)(colon - s) : n;
        if (colon && memchr(s, ':', hn))
            return aser__err(err, ASER_EBADURL,
                             "%s: put an IPv6 address in brackets, as in "
                             "[::1]:PORT",
                             what);
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
    int rc = parse_port(what, example, colon + 1, (size_t)(s + n - colon - 1), default_host != NULL,
                        port, pcap, err);
    if (rc < 0) return rc;
    if (hn == 0)
        snprintf(host, hcap, "%s", default_host);
    else {
        if (!host_chars_ok(h, hn, h != s))
            return aser__err(err, ASER_EBADURL,
                             "%s: \"%.*s\" is not a host name or address; write a name "
                             "(lab-7.example.com), an IPv4 address or [IPv6]:PORT",
                             what, (int)hn, h);
        memcpy(host, h, hn);
        host[hn] = '\0';
    }
    return 0;
}
