/* server/web_guard.h: the web listener's request checks that need no
 * socket (server/web_guard.c): which Host headers name this listener (DNS
 * rebinding), the access token compared in constant time, and the
 * per-source back-off after wrong tokens. Pure functions over the bytes
 * of a request, fuzzed alone (fuzz/fuzz_web_guard.c). Internal. */
#ifndef ASER_WEB_GUARD_H
#define ASER_WEB_GUARD_H

#include "internal.h"

#define ASER_WEB_HOSTS_MAX 512

/* What a Host header must name. */
typedef struct web_hosts {
    char names[ASER_WEB_HOSTS_MAX]; /* the operator's names, ",name[:port]," lowercase */
    bool loopback;                  /* the listener is on loopback */
    int port;                       /* the listener's TCP port */
    bool tls;                       /* https: a Host without a port means 443 */
} web_hosts;

/* Keep the operator's names ("lab.example, bench:8443": host names or
 * address literals, each with an optional port, comma-separated) in h.
 * NULL or "": none. ASER_EINVAL naming the bad entry. */
int aser__web_hosts_set(web_hosts *h, const char *names, aser_err *err);
/* Whether a request with this Host header may be served: a loopback
 * literal (localhost, an address in 127/8, [::1]) with the listener's
 * port, or a name of the operator's (any port unless it gave one). A
 * listener beyond loopback without names takes any Host (its token
 * guards it). */
bool aser__web_host_ok(const web_hosts *h, const char *host);
/* got equals token, in time that depends on the length of token only. */
bool aser__web_token_eq(const char *token, const char *got);

/* Wrong tokens per source address: the first ASER_WEB_FREE_FAILS are
 * free, then the source waits 1 s, 2 s, 4 s ... (at most 60 s) before
 * its next request is looked at. A source quiet for 15 min is forgotten;
 * the table holds ASER_WEB_SOURCES, the stalest giving way. */
#define ASER_WEB_FREE_FAILS 5
#define ASER_WEB_SOURCES 256
typedef struct web_source {
    char addr[64]; /* "" : a free row */
    unsigned fails;
    uint64_t until, last; /* us */
} web_source;
typedef struct web_backoff {
    web_source s[ASER_WEB_SOURCES];
} web_backoff;

/* How long addr must still wait, us (0: it may try). */
uint64_t aser__web_backoff_wait(const web_backoff *b, const char *addr, uint64_t now);
/* A wrong token from addr: how long it must now wait, us (0: not yet). */
uint64_t aser__web_backoff_fail(web_backoff *b, const char *addr, uint64_t now);
/* The right token from addr: its count starts again. */
void aser__web_backoff_ok(web_backoff *b, const char *addr);

#endif
