/* json.c: the flat JSON object reader of json.h (RFC 8259, a subset:
 * one object of scalar members). A cursor over the text; every read is
 * bounded by len; the result lives in the caller's struct. */
#include "codec/json.h"

#include "aserial.h"

#include <stdio.h>
#include <string.h>

typedef struct cur {
    const char *start, *p, *end;
    aser_json *j;
} cur;

static int fail(cur *c, const char *what)
{
    snprintf(c->j->err, sizeof c->j->err, "%s at byte %zu", what, (size_t)(c->p - c->start));
    return ASER_EPROTO;
}

static void ws(cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool eat(cur *c, char ch)
{
    ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A string into out (at most max bytes). */
static int string(cur *c, char *out, size_t max)
{
    if (!eat(c, '"')) return fail(c, "a string was expected");
    size_t n = 0;
    while (c->p < c->end && *c->p != '"') {
        char ch = *c->p++;
        if ((unsigned char)ch < 0x20) return fail(c, "a control byte in a string");
        if (ch == '\\') {
            if (c->p == c->end) break;
            switch (*c->p++) {
            case '"': ch = '"'; break;
            case '\\': ch = '\\'; break;
            case '/': ch = '/'; break;
            case 'n': ch = '\n'; break;
            case 'r': ch = '\r'; break;
            case 't': ch = '\t'; break;
            default: return fail(c, "an unsupported escape in a string");
            }
        }
        if (n == max) return fail(c, "a string too long");
        out[n++] = ch;
    }
    if (c->p == c->end) return fail(c, "an unterminated string");
    c->p++;
    out[n] = '\0';
    return 0;
}

static bool word(cur *c, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0) return false;
    c->p += n;
    return true;
}

static int value(cur *c, aser_json_member *m)
{
    ws(c);
    if (c->p == c->end) return fail(c, "a value was expected");
    if (*c->p == '"') {
        m->type = ASER_JSON_STRING;
        return string(c, m->str, ASER_JSON_VAL_MAX);
    }
    if (word(c, "true") || word(c, "false")) {
        m->type = ASER_JSON_BOOL;
        m->num = c->p[-1] == 'e' && c->p[-2] == 'u';
        return 0;
    }
    if (word(c, "null")) {
        m->type = ASER_JSON_NULL;
        return 0;
    }
    bool neg = *c->p == '-';
    if (neg) c->p++;
    if (c->p == c->end || *c->p < '0' || *c->p > '9') return fail(c, "a bad value");
    long long v = 0;
    int digits = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (++digits > 15) return fail(c, "a number too large");
        v = v * 10 + (*c->p++ - '0');
    }
    if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
        return fail(c, "a fraction or exponent (integers only)");
    m->type = ASER_JSON_INT;
    m->num = neg ? -v : v;
    return 0;
}

static int members(cur *c)
{
    aser_json *j = c->j;
    if (eat(c, '}')) return 0;
    do {
        if (j->n == ASER_JSON_KEYS) return fail(c, "too many members");
        aser_json_member *m = &j->m[j->n];
        memset(m, 0, sizeof *m);
        int rc = string(c, m->key, ASER_JSON_KEY_MAX);
        if (rc < 0) return rc;
        if (!eat(c, ':')) return fail(c, "':' was expected");
        if ((rc = value(c, m)) < 0) return rc;
        j->n++;
    } while (eat(c, ','));
    if (!eat(c, '}')) return fail(c, "',' or '}' was expected");
    return 0;
}

int aser__json_parse(aser_json *j, const char *text, size_t len)
{
    cur c = {.start = text, .p = text, .end = text + len, .j = j};
    j->n = 0;
    j->err[0] = '\0';
    if (!eat(&c, '{')) return fail(&c, "not a JSON object");
    int rc = members(&c);
    if (rc < 0) return rc;
    ws(&c);
    if (c.p != c.end) return fail(&c, "bytes after the object");
    return 0;
}

const aser_json_member *aser__json_get(const aser_json *j, const char *key, aser_json_type type)
{
    for (size_t i = 0; i < j->n; i++)
        if (j->m[i].type == type && !strcmp(j->m[i].key, key)) return &j->m[i];
    return NULL;
}
