/* server/web_guard.c: the web listener's socket-free request checks (see
 * web_guard.h). DNS rebinding (a site's name re-pointed at 127.0.0.1)
 * reaches a loopback listener with the site's own name in Host: only
 * address literals, which no DNS answer can stand for, localhost and the
 * names the operator configured are let in. */
#include "server/web_guard.h"

#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* Split host into its name (lowercased into name, brackets kept) and its
 * port (0: none). false: not "NAME[:PORT]" or "[V6][:PORT]". */
static bool split(const char *host, size_t n, char *name, size_t cap, unsigned *port)
{
    size_t end = 0;
    if (n && host[0] == '[') {
        while (end < n && host[end] != ']') end++;
        if (end == n) return false;
        end++;
    } else {
        while (end < n && host[end] != ':') end++;
    }
    if (!end || end >= cap) return false;
    for (size_t i = 0; i < end; i++) {
        char c = host[i];
        name[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        bool ok = host[0] == '[' ? (i == 0 || i == end - 1 || strchr("0123456789abcdef:.", name[i]))
                                 : name_char(name[i]);
        if (!ok) return false;
    }
    name[end] = '\0';
    *port = 0;
    if (end == n) return true;
    if (host[end] != ':' || end + 1 == n || n - end > 6) return false;
    for (size_t i = end + 1; i < n; i++) {
        if (host[i] < '0' || host[i] > '9') return false;
        *port = *port * 10 + (unsigned)(host[i] - '0');
    }
    return *port > 0 && *port < 65536;
}

/* localhost, a dotted-quad in 127/8, or a bracketed ::1 (or ::ffff:127.x). */
static bool loopback_literal(const char *name)
{
    if (!strcmp(name, "localhost")) return true;
    if (name[0] != '[') return name[0] >= '0' && name[0] <= '9' && aser__srv_is_loopback(name);
    char v6[64];
    size_t n = strlen(name);
    if (n < 3 || n - 2 >= sizeof v6) return false;
    memcpy(v6, name + 1, n - 2);
    v6[n - 2] = '\0';
    return aser__srv_is_loopback(v6);
}

int aser__web_hosts_set(web_hosts *h, const char *names, aser_err *err)
{
    size_t used = 0;
    h->names[0] = '\0';
    for (const char *p = names; p && *p;) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, ",");
        while (n && p[n - 1] == ' ') n--;
        if (!n) break;
        char name[256];
        unsigned port;
        if (!split(p, n, name, sizeof name, &port) || strchr(name, ' '))
            return aser__err(err, ASER_EINVAL,
                             "bad web host name \"%.*s\": give host names or addresses, "
                             "each with an optional :PORT, separated by commas",
                             (int)ASER_MIN(n, 80), p);
        int k = port ? snprintf(h->names + used, sizeof h->names - used, ",%s:%u", name, port)
                     : snprintf(h->names + used, sizeof h->names - used, ",%s", name);
        if (k < 0 || (size_t)k + 2 >= sizeof h->names - used)
            return aser__err(err, ASER_EINVAL, "too many web host names: at most %d bytes",
                             ASER_WEB_HOSTS_MAX - 2);
        used += (size_t)k;
        p += n;
    }
    if (used) snprintf(h->names + used, sizeof h->names - used, ",");
    return 0;
}

/* name (with port, if not 0) is one of the operator's names. */
static bool configured(const web_hosts *h, const char *name, unsigned port)
{
    char item[280];
    snprintf(item, sizeof item, ",%s,", name);
    if (strstr(h->names, item)) return true;
    if (!port) return false;
    snprintf(item, sizeof item, ",%s:%u,", name, port);
    return strstr(h->names, item) != NULL;
}

bool aser__web_host_ok(const web_hosts *h, const char *host)
{
    if (!h->loopback && !h->names[0]) return true;
    char name[256];
    unsigned port;
    if (!host || !split(host, strlen(host), name, sizeof name, &port)) return false;
    if (configured(h, name, port)) return true;
    unsigned mine = (unsigned)h->port, dflt = h->tls ? 443u : 80u;
    return loopback_literal(name) && (port ? port == mine : mine == dflt);
}

bool aser__web_token_eq(const char *token, const char *got)
{
    size_t a = strlen(token), b = strlen(got);
    unsigned diff = (unsigned)(a ^ b);
    /* every byte of token is read, and as many of got (then its NUL, 0s) */
    for (size_t i = 0, j = 0; i < a; i++) {
        diff |= (unsigned)((unsigned char)token[i] ^ (unsigned char)got[j]);
        j += got[j] != '\0';
    }
    return diff == 0;
}

/* ---- back-off after wrong tokens ------------------------------------------------------------ */

#define FORGET_US (15u * 60u * 1000000u)
#define WAIT_MAX_US (60u * 1000000u)

static web_source *find_source(const web_backoff *b, const char *addr, uint64_t now)
{
    for (size_t i = 0; i < ASER_WEB_SOURCES; i++) {
        const web_source *x = &b->s[i];
        if (x->addr[0] && !strcmp(x->addr, addr) && now - x->last < FORGET_US)
            return (web_source *)x;
    }
    return NULL;
}

uint64_t aser__web_backoff_wait(const web_backoff *b, const char *addr, uint64_t now)
{
    const web_source *x = find_source(b, addr, now);
    return x && x->until > now ? x->until - now : 0;
}

uint64_t aser__web_backoff_fail(web_backoff *b, const char *addr, uint64_t now)
{
    web_source *x = find_source(b, addr, now);
    if (!x) { /* a free or forgotten row, else the stalest */
        x = &b->s[0];
        for (size_t i = 0; i < ASER_WEB_SOURCES; i++) {
            web_source *y = &b->s[i];
            if (!y->addr[0] || now - y->last >= FORGET_US) {
                x = y;
                break;
            }
            if (y->last < x->last) x = y;
        }
        *x = (web_source){0};
        snprintf(x->addr, sizeof x->addr, "%s", addr);
    }
    x->last = now;
    if (++x->fails < ASER_WEB_FREE_FAILS) return 0;
    unsigned shift = ASER_MIN(x->fails - ASER_WEB_FREE_FAILS, 6u);
    uint64_t wait = ASER_MIN((uint64_t)1000000u << shift, (uint64_t)WAIT_MAX_US);
    x->until = now + wait;
    return wait;
}

void aser__web_backoff_ok(web_backoff *b, const char *addr)
{
    for (size_t i = 0; i < ASER_WEB_SOURCES; i++)
        if (!strcmp(b->s[i].addr, addr)) b->s[i] = (web_source){0};
}
