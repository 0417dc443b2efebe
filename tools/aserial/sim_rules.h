/* sim_rules.h: the rule table of `aserial sim` (see sim_rules.c). */
#ifndef ASER_SIM_RULES_H
#define ASER_SIM_RULES_H

#include <stdbool.h>
#include <stddef.h>

#define SIM_NAME_MAX 32
#define SIM_NO_DELAY ((unsigned)-1) /* the rule takes the global --delay */

typedef struct sim_rule {
    char *pattern, *response;
    unsigned delay_ms;
    bool has_delay;
} sim_rule;

typedef struct sim_var {
    char name[SIM_NAME_MAX];
    char *value;
} sim_var;

typedef struct sim_rules {
    sim_rule *rules;
    size_t n;
    sim_var *vars;
    size_t nvars;
} sim_rules;

int sim_rules_add(sim_rules *r, const char *pattern, const char *response, unsigned delay_ms);
int sim_rules_set(sim_rules *r, const char *name, const char *value);
const char *sim_rules_get(const sim_rules *r, const char *name);
/* Load a rule file; -1 with a message naming the file and line. */
int sim_rules_load(sim_rules *r, const char *path);
/* The rule answering req (exact match first, then patterns, in order);
 * {NAME} captures of the matching pattern are stored. NULL: none. */
const sim_rule *sim_rules_match(sim_rules *r, const char *req, size_t len);
/* response with {NAME} replaced by values, into out (NUL-terminated). */
size_t sim_rules_expand(const sim_rules *r, const char *response, char *out, size_t cap);
void sim_rules_free(sim_rules *r);

#endif
