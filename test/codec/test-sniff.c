/* test-sniff.c: is a client's first line an HTTP request (src/codec/
 * sniff.c)? Requests a browser sends, line protocols that must pass at
 * once, and every prefix of each (fed as a byte-by-byte reader would
 * see it): no prefix may decide otherwise than the whole. */
#define _GNU_SOURCE
#include "../test.h"
#include "codec/sniff.h"

#include <string.h>

static aser_sniff sniff(const char *s)
{
    return aser__http_sniff((const uint8_t *)s, strlen(s), 64);
}

/* Every prefix of s is MORE or the final answer, and the whole is want. */
static void check_prefixes(const char *s, aser_sniff want)
{
    size_t n = strlen(s);
    for (size_t i = 1; i < n; i++) {
        aser_sniff r = aser__http_sniff((const uint8_t *)s, i, 64);
        CHECKM(r == ASER_SNIFF_MORE || r == want, "\"%.*s\": %d, the whole: %d", (int)i, s, r,
               want);
    }
    CHECKM(sniff(s) == want, "\"%s\": %d, want %d", s, sniff(s), want);
}

TEST(sniff, http_requests_are_told_apart_from_line_protocols)
{
    check_prefixes("POST / HTTP/1.1\r\nHost: 127.0.0.1:2001\r\n\r\nRESET\r\n", ASER_SNIFF_HTTP);
    check_prefixes("GET /x?y HTTP/1.0\n", ASER_SNIFF_HTTP);
    check_prefixes("OPTIONS * HTTP/1.1\r\n", ASER_SNIFF_HTTP);
    check_prefixes("PUT http://a/ HTTP/1.1\r\n", ASER_SNIFF_HTTP);
    check_prefixes("GET VOLT\n", ASER_SNIFF_OTHER);
    check_prefixes("GET /x\n", ASER_SNIFF_OTHER); /* no HTTP version */
    check_prefixes("GET / HTTP/2\r\n", ASER_SNIFF_OTHER);
    check_prefixes("*IDN?\n", ASER_SNIFF_OTHER);
    check_prefixes("get / HTTP/1.1\r\n", ASER_SNIFF_OTHER);
    check_prefixes("POSTAL / HTTP/1.1\r\n", ASER_SNIFF_OTHER);
    check_prefixes("\xff\xfb\x2c", ASER_SNIFF_OTHER); /* an RFC 2217 client: IAC WILL COM-PORT */
    /* decided at the first byte that starts no method: nothing held */
    CHECK_EQ(sniff("*"), ASER_SNIFF_OTHER);
    CHECK_EQ(sniff("\xff"), ASER_SNIFF_OTHER);
    CHECK_EQ(sniff("X"), ASER_SNIFF_OTHER);
    CHECK_EQ(sniff("PO"), ASER_SNIFF_MORE);
    CHECK_EQ(sniff("GET V"), ASER_SNIFF_OTHER);
    /* a request line longer than max (a long URL) is a request */
    char longline[100];
    memset(longline, 'a', sizeof longline);
    memcpy(longline, "GET /", 5);
    CHECK_EQ(aser__http_sniff((const uint8_t *)longline, sizeof longline, 64), ASER_SNIFF_HTTP);
    CHECK_EQ(aser__http_sniff((const uint8_t *)longline, 63, 64), ASER_SNIFF_MORE);
    CHECK_EQ(aser__http_sniff((const uint8_t *)"", 0, 64), ASER_SNIFF_MORE);
}
