/* fuzz_sniff.c: libFuzzer target for codec/sniff.c, which looks at the
 * first bytes any client of a raw or RFC 2217 export sends.
 * Checks: the answer is one of the three; a decision never changes as
 * more bytes come (the server decides at the first decisive prefix: the
 * whole input, and prefixes at pseudo-random cuts, must agree with it);
 * no read past n (ASan). */
#include "codec/sniff.h"

#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>

#define MAX 512

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    uint8_t *copy = malloc(n ? n : 1); /* exactly n bytes: ASan sees a read past them */
    if (!copy) return 0;
    memcpy(copy, d, n);
    aser_sniff first = ASER_SNIFF_MORE;
    size_t at = 0;
    uint32_t seed = 2166136261u;
    for (size_t i = 0; i < n; i++) seed = (seed ^ d[i]) * 16777619u;
    for (size_t cut = 0; cut <= n;) {
        aser_sniff r = aser__http_sniff(copy, cut, MAX);
        FZ_ASSERT(r == ASER_SNIFF_MORE || r == ASER_SNIFF_HTTP || r == ASER_SNIFF_OTHER);
        if (first == ASER_SNIFF_MORE && r != ASER_SNIFF_MORE) {
            first = r;
            at = cut;
        } else if (first != ASER_SNIFF_MORE) {
            FZ_ASSERT(r == first); /* decided at `at`, the same with more bytes */
        }
        if (cut == n) break;
        seed = seed * 1103515245u + 12345u;
        cut += 1 + (cut < 16 ? 0 : (seed >> 16) % 64);
        if (cut > n) cut = n;
    }
    (void)at;
    if (n >= MAX) FZ_ASSERT(first != ASER_SNIFF_MORE); /* MAX bytes always decide */
    free(copy);
    return 0;
}
