/* sim_match.h: the pattern matcher of `aserial sim` rules, alone (no I/O,
 * no allocation) so that it can be fuzzed (fuzz/fuzz_sim_match.c). The
 * request comes from the port, so from anyone: the match takes time
 * proportional to pattern length times request length, whatever the
 * input (no exponential backtracking). */
#ifndef ASER_SIM_MATCH_H
#define ASER_SIM_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#define SIM_NAME_MAX 32
#define SIM_MATCH_MAX_CAPS 8
#define SIM_PATTERN_MAX 1024 /* longer patterns never match */

typedef struct sim_capture {
    char name[SIM_NAME_MAX];
    size_t at, len; /* the captured text: req[at, at + len) */
} sim_capture;

/* Does the whole request req[0, n) match pattern? In the pattern, * is any
 * text, ? one character, {NAME} any non-empty text captured as NAME (at
 * most SIM_MATCH_MAX_CAPS; a { without a closing } or with an empty or
 * too long name is a literal). On a match, caps[0, *ncaps) hold the
 * captures in pattern order. */
bool sim_match(const char *pattern, const char *req, size_t n, sim_capture *caps, int *ncaps);

#endif
