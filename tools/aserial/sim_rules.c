/* sim_rules.c: the rules of `aserial sim`: exact and glob patterns, a
 * delay per rule, and state that requests set and replies read.
 *
 * A rule file holds one rule per line (# starts a comment line):
 *   set NAME VALUE             initial state
 *   [delay=MS] PATTERN => RESPONSE
 * PATTERN is matched against the whole request line: exactly first (every
 * rule in order), then as a pattern, where * matches any text, ? one
 * character and {NAME} any non-empty text, which is stored as NAME. In
 * RESPONSE, {NAME} is replaced by NAME's value, and escapes (\r \n \t
 * \xHH) work. An empty RESPONSE answers nothing. Example:
 *   set volt 0.0
 *   *IDN? => ACME,SIM,42
 *   VOLT {volt} =>
 *   VOLT? => {volt}
 *   [delay=200] MEAS:* => 1.234 */
#include "sim_rules.h"
#include "cli.h"
#include "textfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

int sim_rules_add(sim_rules *r, const char *pattern, const char *response, unsigned delay_ms)
{
    sim_rule *v = realloc(r->rules, (r->n + 1) * sizeof *v);
    if (!v) return -1;
    r->rules = v;
    sim_rule *x = &r->rules[r->n];
    x->pattern = strdup(pattern);
    x->response = strdup(response);
    x->delay_ms = delay_ms;
    x->has_delay = delay_ms != SIM_NO_DELAY;
    if (!x->pattern || !x->response) {
        free(x->pattern);
        free(x->response);
        return -1;
    }
    r->n++;
    return 0;
}

int sim_rules_set(sim_rules *r, const char *name, const char *value)
{
    for (size_t i = 0; i < r->nvars; i++)
        if (!strcmp(r->vars[i].name, name)) {
            char *v = strdup(value);
            if (!v) return -1;
            free(r->vars[i].value);
            r->vars[i].value = v;
            return 0;
        }
    if (strlen(name) >= SIM_NAME_MAX) return -1;
    sim_var *v = realloc(r->vars, (r->nvars + 1) * sizeof *v);
    if (!v) return -1;
    r->vars = v;
    snprintf(v[r->nvars].name, SIM_NAME_MAX, "%s", name);
    if (!(v[r->nvars].value = strdup(value))) return -1;
    r->nvars++;
    return 0;
}

const char *sim_rules_get(const sim_rules *r, const char *name)
{
    for (size_t i = 0; i < r->nvars; i++)
        if (!strcmp(r->vars[i].name, name)) return r->vars[i].value;
    return NULL;
}

void sim_rules_free(sim_rules *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->rules[i].pattern);
        free(r->rules[i].response);
    }
    for (size_t i = 0; i < r->nvars; i++) free(r->vars[i].value);
    free(r->rules);
    free(r->vars);
    memset(r, 0, sizeof *r);
}

/* ---- matching -------------------------------------------------------------------- */

const sim_rule *sim_rules_match(sim_rules *r, const char *req, size_t len)
{
    for (size_t i = 0; i < r->n; i++)
        if (strlen(r->rules[i].pattern) == len && !memcmp(r->rules[i].pattern, req, len))
            return &r->rules[i];
    for (size_t i = 0; i < r->n; i++) {
        sim_capture caps[SIM_MATCH_MAX_CAPS];
        int ncaps = 0;
        if (!sim_match(r->rules[i].pattern, req, len, caps, &ncaps)) continue;
        for (int c = 0; c < ncaps; c++) {
            char val[256];
            snprintf(val, sizeof val, "%.*s", (int)caps[c].len, req + caps[c].at);
            sim_rules_set(r, caps[c].name, val);
        }
        return &r->rules[i];
    }
    return NULL;
}

size_t sim_rules_expand(const sim_rules *r, const char *response, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *s = response; *s && n + 1 < cap;) {
        const char *end = *s == '{' ? strchr(s, '}') : NULL;
        char name[SIM_NAME_MAX];
        if (end && (size_t)(end - s - 1) < SIM_NAME_MAX && end > s + 1) {
            snprintf(name, sizeof name, "%.*s", (int)(end - s - 1), s + 1);
            const char *v = sim_rules_get(r, name);
            if (v) {
                n += (size_t)snprintf(out + n, cap - n, "%s", v);
                if (n >= cap) n = cap - 1;
                s = end + 1;
                continue;
            }
        }
        out[n++] = *s++;
    }
    out[n < cap ? n : cap - 1] = '\0';
    return n;
}

/* ---- the file ---------------------------------------------------------------------- */

static int file_error(const char *path, unsigned line, const char *what)
{
    fprintf(stderr, "aserial sim: %s line %u: %s\n", path, line, what);
    return -1;
}

static int parse_line(sim_rules *r, const char *path, unsigned no, char *s)
{
    if (!strncmp(s, "set ", 4)) {
        char *name = trim(s + 4), *sp = name + strcspn(name, " \t");
        if (!*sp) return file_error(path, no, "write set NAME VALUE");
        *sp = '\0';
        if (strlen(name) >= SIM_NAME_MAX) return file_error(path, no, "name too long");
        return sim_rules_set(r, name, trim(sp + 1));
    }
    unsigned delay = SIM_NO_DELAY;
    if (!strncmp(s, "[delay=", 7)) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s + 7, &end, 10);
        if (end == s + 7 || *end != ']' || errno || v > 3600000)
            return file_error(path, no, "write [delay=MS] with MS from 0 to 3600000");
        delay = (unsigned)v;
        s = trim(end + 1);
    }
    char *arrow = strstr(s, "=>");
    if (!arrow) return file_error(path, no, "a rule is PATTERN => RESPONSE (or set NAME VALUE)");
    *arrow = '\0';
    char *pat = trim(s), *resp = trim(arrow + 2), text[1024];
    if (!*pat) return file_error(path, no, "the pattern before => is empty");
    long n = cli_unescape("the response", resp, text, sizeof text - 1);
    if (n < 0 || memchr(text, 0, (size_t)n))
        return file_error(path, no, "bad escape in the response (\\r \\n \\t \\xHH work)");
    text[n] = '\0';
    return sim_rules_add(r, pat, text, delay);
}

int sim_rules_load(sim_rules *r, const char *path)
{
    textfile t;
    if (textfile_open(&t, "sim", path, "a rule file") < 0) return -1;
    char buf[TEXTFILE_LINE_MAX + 1];
    int rc = 0, got;
    while (rc == 0 && (got = textfile_line(&t, buf, sizeof buf)) != 0) {
        if (got < 0) {
            rc = -1;
            break;
        }
        char *s = trim(buf);
        if (!*s || *s == '#') continue;
        rc = parse_line(r, path, t.lineno, s);
    }
    textfile_close(&t);
    return rc;
}
