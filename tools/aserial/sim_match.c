/* sim_match.c: glob matching with captures in O(pattern x request).
 *
 * The pattern is first cut into tokens: a literal byte, ? (one byte),
 * * (any bytes), and {NAME}, which is one byte (the capture's first)
 * followed by a *. Matching is the classic one-backtrack-point glob
 * algorithm: on a mismatch, only the most recent * takes one more byte
 * and the tokens after it are matched again, so no input can make it
 * exponential. The position where each token was last consumed gives
 * the captures afterwards. */
#include "sim_match.h"

#include <string.h>

enum {
    TK_BYTE,
    TK_ONE,
    TK_STAR,
    TK_CAP
};

typedef struct token {
    unsigned char kind, byte;
    signed char cap; /* TK_CAP: index into caps */
} token;

static int tokenize(const char *p, token *tk, sim_capture *caps, int *ncaps)
{
    int nt = 0;
    size_t plen = strlen(p);
    if (plen > SIM_PATTERN_MAX) return -1;
    for (size_t i = 0; i < plen; i++) {
        const char *end = p[i] == '{' ? memchr(p + i, '}', plen - i) : NULL;
        size_t nl = end ? (size_t)(end - (p + i) - 1) : 0;
        if (end && nl > 0 && nl < SIM_NAME_MAX && *ncaps < SIM_MATCH_MAX_CAPS) {
            memcpy(caps[*ncaps].name, p + i + 1, nl);
            caps[*ncaps].name[nl] = '\0';
            tk[nt++] = (token){TK_CAP, 0, (signed char)*ncaps};
            tk[nt++] = (token){TK_STAR, 0, (signed char)*ncaps};
            (*ncaps)++;
            i += nl + 1;
        } else if (p[i] == '*') {
            tk[nt++] = (token){TK_STAR, 0, -1};
        } else if (p[i] == '?') {
            tk[nt++] = (token){TK_ONE, 0, -1};
        } else {
            tk[nt++] = (token){TK_BYTE, (unsigned char)p[i], -1};
        }
    }
    return nt;
}

bool sim_match(const char *pattern, const char *req, size_t n, sim_capture *caps, int *ncaps)
{
    token tk[SIM_PATTERN_MAX + 1];
    size_t pos[SIM_PATTERN_MAX + 2]; /* where each token was last consumed */
    *ncaps = 0;
    int nt = tokenize(pattern, tk, caps, ncaps);
    if (nt < 0) return false;
    int ti = 0, star = -1;
    size_t si = 0, star_si = 0;
    while (si < n) {
        token *t = ti < nt ? &tk[ti] : NULL;
        if (t && t->kind == TK_STAR) {
            star = ti;
            star_si = si;
            pos[ti++] = si;
        } else if (t && (t->kind != TK_BYTE || t->byte == (unsigned char)req[si])) {
            pos[ti++] = si++;
        } else if (star >= 0) {
            ti = star + 1; /* the last * takes one more byte */
            si = ++star_si;
        } else {
            return false;
        }
    }
    while (ti < nt && tk[ti].kind == TK_STAR) pos[ti++] = n;
    if (ti != nt) return false;
    pos[nt] = n;
    for (int i = 0; i < nt; i++) {
        if (tk[i].kind != TK_CAP) continue;
        sim_capture *c = &caps[(int)tk[i].cap];
        c->at = pos[i];
        c->len = pos[i + 2] - pos[i]; /* its byte and its * */
    }
    return true;
}
