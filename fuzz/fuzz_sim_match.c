/* fuzz_sim_match.c: libFuzzer target for the rule matcher of `aserial sim`
 * (tools/aserial/sim_match.c): the request comes from whatever is on the
 * port.
 *
 * Input: the pattern up to the first NUL byte, then the request (without a
 * NUL byte, the pattern is empty and the whole input is the request).
 * Checks: captures lie inside the request, are non-empty and as many as
 * the pattern names; a pattern without * ? { matches exactly when equal;
 * "*" matches everything; and, for short inputs, the answer equals that
 * of a plain recursive matcher (which may take exponential time, hence
 * only there). Time: libFuzzer's -timeout catches a slow match.
 */
#include "../tools/aserial/sim_match.h"

#include "fuzz_common.h"

/* The reference: recursion over every split (small inputs only). */
static bool ref(const char *p, const char *s, size_t n)
{
    if (!*p) return n == 0;
    if (*p == '{') {
        const char *end = strchr(p, '}');
        size_t nl = end ? (size_t)(end - p - 1) : 0;
        if (end && nl > 0 && nl < SIM_NAME_MAX) {
            for (size_t k = 1; k <= n; k++)
                if (ref(end + 1, s + k, n - k)) return true;
            return false;
        }
    }
    if (*p == '*') {
        for (size_t k = 0; k <= n; k++)
            if (ref(p + 1, s + k, n - k)) return true;
        return false;
    }
    if (!n || (*p != '?' && *p != *s)) return false;
    return ref(p + 1, s + 1, n - 1);
}

static int specials(const char *p, int *caps)
{
    int k = 0;
    *caps = 0;
    for (; *p; p++) {
        if (*p == '*' || *p == '?') k++;
        if (*p == '{') k++, (*caps)++;
    }
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    const uint8_t *nul = memchr(d, 0, n);
    size_t plen = nul ? (size_t)(nul - d) : 0;
    char *pat = malloc(plen + 1);
    FZ_ASSERT(pat);
    memcpy(pat, d, plen);
    pat[plen] = '\0';
    if (!nul) strcpy(pat, "");
    const char *req = nul ? (const char *)nul + 1 : (const char *)d;
    size_t rlen = nul ? n - plen - 1 : n;

    sim_capture caps[SIM_MATCH_MAX_CAPS];
    int ncaps = -1, braces;
    bool m = sim_match(pat, req, rlen, caps, &ncaps);
    FZ_ASSERT(ncaps >= 0 && ncaps <= SIM_MATCH_MAX_CAPS);
    if (m) {
        for (int i = 0; i < ncaps; i++) {
            FZ_ASSERT(caps[i].len > 0);
            FZ_ASSERT(caps[i].at < rlen && caps[i].len <= rlen - caps[i].at);
            FZ_ASSERT(strlen(caps[i].name) > 0 && strlen(caps[i].name) < SIM_NAME_MAX);
        }
    }
    int k = specials(pat, &braces);
    if (k == 0) FZ_ASSERT(m == (plen == rlen && !memcmp(pat, req, rlen)));
    int c2;
    FZ_ASSERT(sim_match("*", req, rlen, caps, &c2) && c2 == 0);
    if (plen <= SIM_PATTERN_MAX && braces <= SIM_MATCH_MAX_CAPS && rlen <= 12 && k <= 4)
        FZ_ASSERT(m == ref(pat, req, rlen));
    free(pat);
    return 0;
}
