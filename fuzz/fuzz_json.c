/* fuzz_json.c: libFuzzer target for the web console's control-message
 * reader, src/codec/json.c: text from an arbitrary browser.
 * Checks: a parse either succeeds with at most ASER_JSON_KEYS members,
 * each NUL-terminated within its bound and of a known type, or fails with
 * a sentence; parsing is deterministic (twice, same result). */
#include "codec/json.h"

#include "aserial.h"
#include "fuzz_common.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static aser_json a, b;
    int ra = aser__json_parse(&a, (const char *)d, n);
    int rb = aser__json_parse(&b, (const char *)d, n);
    FZ_ASSERT(ra == rb && (ra == 0 || ra == ASER_EPROTO));
    if (ra < 0) {
        FZ_ASSERT(a.err[0] && !strcmp(a.err, b.err));
        return 0;
    }
    FZ_ASSERT(a.n <= ASER_JSON_KEYS && a.n == b.n);
    for (size_t i = 0; i < a.n; i++) {
        FZ_ASSERT(memchr(a.m[i].key, 0, sizeof a.m[i].key) != NULL);
        FZ_ASSERT(a.m[i].type >= ASER_JSON_STRING && a.m[i].type <= ASER_JSON_NULL);
        if (a.m[i].type == ASER_JSON_STRING) {
            FZ_ASSERT(memchr(a.m[i].str, 0, sizeof a.m[i].str) != NULL);
            FZ_ASSERT(!strcmp(a.m[i].str, b.m[i].str));
        }
        FZ_ASSERT(aser__json_get(&a, a.m[i].key, a.m[i].type) != NULL);
    }
    return 0;
}
