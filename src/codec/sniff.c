/* codec/sniff.c: is a client's first line an HTTP request (sniff.h)?
 * RFC 9112 section 3: request-line = method SP request-target SP
 * HTTP-version; the methods are RFC 9110's (a browser sends no others
 * without a CORS preflight, which is itself an OPTIONS request). */
#include "codec/sniff.h"

#include <string.h>

static const char *const methods[] = {"GET",     "POST",    "PUT",   "HEAD", "DELETE",
                                      "OPTIONS", "CONNECT", "TRACE", "PATCH"};
#define NMETHODS (sizeof methods / sizeof methods[0])

/* b[0..n) (no space in it) is a method (whole) or the start of one. */
static int method_match(const uint8_t *b, size_t n, int *whole)
{
    int start = 0;
    *whole = 0;
    for (size_t i = 0; i < NMETHODS; i++) {
        size_t k = strlen(methods[i]);
        if (n <= k && !memcmp(methods[i], b, n)) {
            start = 1;
            if (n == k) *whole = 1;
        }
    }
    return start;
}

aser_sniff aser__http_sniff(const uint8_t *b, size_t n, size_t max)
{
    size_t sp = 0;
    while (sp < n && b[sp] != ' ') sp++;
    int whole;
    if (!method_match(b, sp, &whole)) return ASER_SNIFF_OTHER;
    if (sp == n) return ASER_SNIFF_MORE; /* "POS" */
    if (!whole) return ASER_SNIFF_OTHER;
    if (sp + 1 == n) return ASER_SNIFF_MORE; /* "POST " */
    uint8_t t = b[sp + 1];
    if (t != '/' && t != '*' && t != 'h') return ASER_SNIFF_OTHER; /* "GET VOLT" */
    const uint8_t *lf = memchr(b, '\n',
                               n < max ? n : max); /* decided once: more never changes it */
    if (!lf) return n >= max ? ASER_SNIFF_HTTP : ASER_SNIFF_MORE;
    size_t len = (size_t)(lf - b);
    if (len && b[len - 1] == '\r') len--;
    static const char v[] = " HTTP/1.";
    size_t vn = sizeof v - 1;
    if (len < sp + 2 + vn + 1) return ASER_SNIFF_OTHER;
    const uint8_t *tail = b + len - vn - 1;
    return !memcmp(tail, v, vn) && tail[vn] >= '0' && tail[vn] <= '9' ? ASER_SNIFF_HTTP
                                                                      : ASER_SNIFF_OTHER;
}
