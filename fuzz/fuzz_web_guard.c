/* fuzz_web_guard.c: libFuzzer target for server/web_guard.c, the web
 * listener's checks of what a browser (or a page driving one) sends: the
 * operator's host names, the Host header, the token compare, the
 * per-source back-off. Input: names, '\n', a Host header, '\n', a token,
 * '\n', then back-off operations (one byte each).
 * Checks: a Host is let in only if it is a loopback literal with the
 * listener's port (or port 80 when it gives none), or one of the names;
 * beyond loopback without names everything is; the token compare equals
 * strcmp; a source waits only after ASER_WEB_FREE_FAILS wrong tokens and
 * never more than 60 s; the right token clears it. */
#include "server/web_guard.h"

#include "fuzz_common.h"

#include <ctype.h>
#include <string.h>

/* The next '\n'-ended field of d as a C string (NUL bytes end it early). */
static const char *field(const uint8_t **d, size_t *n, char *out, size_t cap)
{
    size_t k = 0;
    while (*n && **d != '\n') {
        if (k + 1 < cap) out[k++] = (char)**d;
        (*d)++, (*n)--;
    }
    if (*n) (*d)++, (*n)--;
    out[k] = '\0';
    return out;
}

static void check_host(const web_hosts *h, const char *host)
{
    bool ok = aser__web_host_ok(h, host);
    FZ_ASSERT(ok == aser__web_host_ok(h, host));
    if (!h->loopback && !h->names[0]) {
        FZ_ASSERT(ok);
        return;
    }
    if (!ok || h->names[0]) return;
    /* loopback without names: a literal, and the port given is the listener's */
    char low[300];
    size_t i = 0;
    for (; host[i] && i < sizeof low - 1; i++) low[i] = (char)tolower((unsigned char)host[i]);
    low[i] = '\0';
    FZ_ASSERT(!strncmp(low, "localhost", 9) || !strncmp(low, "127.", 4) || low[0] == '[');
    const char *colon = low[0] == '[' ? strstr(low, "]:") : strchr(low, ':');
    if (colon)
        FZ_ASSERT(strtoul(colon + (low[0] == '[' ? 2 : 1), NULL, 10) == (unsigned)h->port);
    else
        FZ_ASSERT(h->port == 80);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char names[700], host[300], token[300];
    field(&d, &n, names, sizeof names);
    field(&d, &n, host, sizeof host);
    field(&d, &n, token, sizeof token);
    static web_hosts h;
    aser_err err = {0};
    for (int loop = 0; loop < 2; loop++) {
        memset(&h, 0, sizeof h);
        if (aser__web_hosts_set(&h, names, &err) < 0) {
            FZ_ASSERT(err.msg[0]);
            break;
        }
        h.loopback = loop == 0;
        h.port = 80 + (int)(strlen(host) % 3) * 8000;
        check_host(&h, host);
        check_host(&h, "127.0.0.1:8080");
    }
    FZ_ASSERT(aser__web_token_eq(token, host) == !strcmp(token, host));
    FZ_ASSERT(aser__web_token_eq(token, token));
    static web_backoff b;
    static const char *const src[] = {"127.0.0.1", "127.0.0.2", "[::1]", "10.0.0.1"};
    for (size_t i = 0; i < 4; i++) aser__web_backoff_ok(&b, src[i]); /* the only rows used */
    unsigned fails[4] = {0};
    uint64_t now = 1000000;
    for (size_t i = 0; i < n && i < 256; i++) { /* 256 operations: enough to reach 60 s */
        unsigned s = d[i] & 3, op = (d[i] >> 2) & 3;
        now += (uint64_t)(d[i] >> 4) * 250000u;
        if (op == 0) {
            uint64_t w = aser__web_backoff_fail(&b, src[s], now);
            fails[s]++;
            FZ_ASSERT(w <= 60000000u);
            if (fails[s] < ASER_WEB_FREE_FAILS) FZ_ASSERT(w == 0);
        } else if (op == 1) {
            aser__web_backoff_ok(&b, src[s]);
            fails[s] = 0;
            FZ_ASSERT(aser__web_backoff_wait(&b, src[s], now) == 0);
        } else {
            uint64_t w = aser__web_backoff_wait(&b, src[s], now);
            FZ_ASSERT(w <= 60000000u);
            if (fails[s] < ASER_WEB_FREE_FAILS) FZ_ASSERT(w == 0);
        }
    }
    return 0;
}
