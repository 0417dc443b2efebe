/* json.h: a sans-I/O reader of the WebSocket console's control messages:
 * one flat JSON object (RFC 8259) of at most ASER_JSON_KEYS members whose
 * values are strings, integers or true/false/null, e.g.
 *   {"type":"lines","dtr":true}   {"type":"settings","config":"9600 8N1"}
 * Nested objects, arrays, fractions and \u escapes are refused (the
 * console never sends them). Allocates nothing; keys and values are
 * copied into the caller's aser_json (bounded). Internal. */
#ifndef ASER_CODEC_JSON_H
#define ASER_CODEC_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define ASER_JSON_KEYS 16    /* the MQTT status has 13 */
#define ASER_JSON_KEY_MAX 24 /* bytes of a key */
#define ASER_JSON_VAL_MAX 96 /* bytes of a string value */

typedef enum aser_json_type {
    ASER_JSON_STRING = 1,
    ASER_JSON_INT,
    ASER_JSON_BOOL,
    ASER_JSON_NULL
} aser_json_type;

typedef struct aser_json_member {
    char key[ASER_JSON_KEY_MAX + 1];
    aser_json_type type;
    char str[ASER_JSON_VAL_MAX + 1]; /* STRING: the value, unescaped, NUL-free */
    long long num;                   /* INT; BOOL: 0 or 1 */
} aser_json_member;

typedef struct aser_json {
    aser_json_member m[ASER_JSON_KEYS];
    size_t n;
    char err[96]; /* what is wrong, after a failed parse */
} aser_json;

/* Parse text[0..len). 0, or ASER_EPROTO with j->err saying what. */
int aser__json_parse(aser_json *j, const char *text, size_t len);
/* The member named key of the given type, or NULL. */
const aser_json_member *aser__json_get(const aser_json *j, const char *key, aser_json_type type);

#endif
