/* config.c: aser_config strings ("9600,7E1,rtscts"), keys, checks, format.
 *
 * Parsing works on a copy of the caller's config: tokens are applied one by
 * one, the result is validated as a whole, and only then copied back, so a
 * failed parse leaves *cfg untouched.
 *
 * aser_config_set() checks the value it is given (syntax and the field's own
 * range); combinations of fields (1.5 stop bits with 8 data bits, RTS/CTS
 * with DTR/DSR) are left to aser_config_validate(), because a sequence of
 * set() calls may pass through such states on its way to a valid config. */
#include "internal.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CFG_BUFFER_MIN 64u
#define CFG_BUFFER_MAX (16u * 1024u * 1024u)
#define CFG_DELAY_MAX 10000u
#define CFG_TOKEN_MAX 128u
#define CFG_FLOW_KNOWN (ASER_FLOW_RTSCTS | ASER_FLOW_XONXOFF | ASER_FLOW_DTRDSR)

typedef enum cfg_key {
    KEY_BAUD,
    KEY_DATABITS,
    KEY_PARITY,
    KEY_STOPBITS,
    KEY_FLOW,
    KEY_EXCLUSIVE,
    KEY_HUPCL,
    KEY_LOWLATENCY,
    KEY_DTR,
    KEY_RTS,
    KEY_RS485,
    KEY_RS485_RTS_ON_SEND,
    KEY_RS485_RTS_AFTER_SEND,
    KEY_RS485_RX_DURING_TX,
    KEY_RS485_DELAY_BEFORE,
    KEY_RS485_DELAY_AFTER,
    KEY_BUFFER,
    KEY_HIGH_WATER,
    KEY_LOW_WATER,
    KEY_COUNT_
} cfg_key;

static const char *const key_names[KEY_COUNT_] = {
    "baud",
    "databits",
    "parity",
    "stopbits",
    "flow",
    "exclusive",
    "hupcl",
    "lowlatency",
    "dtr",
    "rts",
    "rs485",
    "rs485_rts_on_send",
    "rs485_rts_after_send",
    "rs485_rx_during_tx",
    "rs485_delay_before",
    "rs485_delay_after",
    "buffer",
    "high_water",
    "low_water",
};

#define KEY_LIST                                                                  \
    "baud, databits, parity, stopbits, flow, exclusive, hupcl, lowlatency, dtr, " \
    "rts, rs485, rs485_ + rts_on_send, rts_after_send, rx_during_tx, "            \
    "delay_before or delay_after, buffer, high_water or low_water"

/* The whole list must fit in aser_err.msg next to a 20-character key. */
#define UNKNOWN_KEY_FMT "unknown config key \"%.20s\": use " KEY_LIST
_Static_assert(sizeof UNKNOWN_KEY_FMT - 5 + 20 < sizeof((aser_err *)0)->msg,
               "the list of keys does not fit in aser_err.msg");

static const char *const parity_words[] = {"none", "odd", "even", "mark", "space"};
static const char parity_letters[] = "NOEMS";
static const char *const lowlat_words[] = {"off", "try", "strict"};
static const char *const line_words[] = {"keep", "on", "off"};

/* Flow words, in the order format() writes them. */
static const struct {
    const char *word;
    unsigned bit;
} flow_words[] = {
    {"rtscts", ASER_FLOW_RTSCTS},
    {"xonxoff", ASER_FLOW_XONXOFF},
    {"dtrdsr", ASER_FLOW_DTRDSR},
    {"none", ASER_FLOW_NONE},
};

/* ---- small parsers ---------------------------------------------------- */

/* Index of word in words (case-insensitive), or -1. */
static int word_index(const char *const *words, size_t n, const char *word)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(words[i], word) == 0) return (int)i;
    return -1;
}

/* Decimal digits only, no sign, no spaces; false on junk or overflow. */
static bool parse_u32(const char *s, uint32_t *out)
{
    uint64_t v = 0;
    if (!*s) return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        v = v * 10u + (uint64_t)(*s - '0');
        if (v > UINT32_MAX) return false;
    }
    *out = (uint32_t)v;
    return true;
}

static bool all_digits(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

static int parse_bool(const char *s)
{
    static const char *const yes[] = {"on", "true", "yes", "1"};
    static const char *const no[] = {"off", "false", "no", "0"};
    if (word_index(yes, ASER_ARRAY_LEN(yes), s) >= 0) return 1;
    if (word_index(no, ASER_ARRAY_LEN(no), s) >= 0) return 0;
    return -1;
}

/* "1", "1.5", "2" -> ASER_STOP_*, or 0. */
static aser_stopbits parse_stop(const char *s)
{
    if (strcmp(s, "1") == 0) return ASER_STOP_1;
    if (strcmp(s, "1.5") == 0) return ASER_STOP_1_5;
    if (strcmp(s, "2") == 0) return ASER_STOP_2;
    return (aser_stopbits)0;
}

static int flow_bit(const char *word)
{
    for (size_t i = 0; i < ASER_ARRAY_LEN(flow_words); i++)
        if (strcasecmp(flow_words[i].word, word) == 0) return (int)flow_words[i].bit;
    return -1;
}

/* ---- aser_config_set -------------------------------------------------- */

static int bad_value(aser_err *err, const char *key, const char *value, const char *accepted)
{
    return aser__err(err, ASER_EBADCONFIG, "invalid %s \"%.40s\": use %s", key, value, accepted);
}

/* "rtscts+xonxoff": '+' joins words; none stands alone. */
static int parse_flow_value(const char *value, unsigned *out, aser_err *err)
{
    static const char accepted[] =
        "none, rtscts, xonxoff or dtrdsr, joined with '+' (rtscts+xonxoff)";
    char word[16];
    unsigned flow = 0;
    bool none = false;
    const char *p = value;
    for (;;) {
        size_t len = strcspn(p, "+");
        int bit = -1;
        if (len > 0 && len < sizeof word) {
            memcpy(word, p, len);
            word[len] = '\0';
            bit = flow_bit(word);
        }
        if (bit < 0) return bad_value(err, "flow", value, accepted);
        if (bit == 0) none = true;
        flow |= (unsigned)bit;
        if (!p[len]) break;
        p += len + 1;
    }
    if (none && flow)
        return aser__err(err, ASER_EBADCONFIG,
                         "invalid flow \"%.40s\": none cannot be combined with "
                         "other flow control",
                         value);
    if ((flow & ASER_FLOW_RTSCTS) && (flow & ASER_FLOW_DTRDSR))
        return aser__err(err, ASER_EBADCONFIG,
                         "invalid flow \"%.40s\": rtscts and dtrdsr exclude each "
                         "other (hardware flow control uses one pair of lines); "
                         "keep one",
                         value);
    *out = flow;
    return 0;
}

static bool *bool_field(aser_config *c, cfg_key key)
{
    switch (key) {
    case KEY_EXCLUSIVE: return &c->exclusive;
    case KEY_HUPCL: return &c->hupcl;
    case KEY_RS485: return &c->rs485.enabled;
    case KEY_RS485_RTS_ON_SEND: return &c->rs485.rts_on_send;
    case KEY_RS485_RTS_AFTER_SEND: return &c->rs485.rts_after_send;
    case KEY_RS485_RX_DURING_TX: return &c->rs485.rx_during_tx;
    default: return NULL;
    }
}

/* Numeric keys: the field, its range and how to say it. */
static uint32_t *u32_field(aser_config *c, cfg_key key, uint32_t *min, uint32_t *max,
                           const char **accepted)
{
    *min = 1;
    *max = UINT32_MAX;
    switch (key) {
    case KEY_BAUD: *accepted = "a positive integer such as 9600"; return &c->baud;
    case KEY_HIGH_WATER: *accepted = "a positive number of bytes"; return &c->write_high_water;
    case KEY_LOW_WATER:
        *min = 0;
        *accepted = "a number of bytes below high_water (0: a quarter of it)";
        return &c->write_low_water;
    case KEY_BUFFER:
        *min = CFG_BUFFER_MIN;
        *max = CFG_BUFFER_MAX;
        *accepted = "64 to 16777216 (bytes)";
        return &c->read_buffer;
    case KEY_RS485_DELAY_BEFORE:
    case KEY_RS485_DELAY_AFTER:
        *min = 0;
        *max = CFG_DELAY_MAX;
        *accepted = "0 to 10000 (milliseconds)";
        return key == KEY_RS485_DELAY_BEFORE ? &c->rs485.delay_before_send_ms
                                             : &c->rs485.delay_after_send_ms;
    default: return NULL;
    }
}

static int set_number(aser_config *c, cfg_key key, const char *value, aser_err *err)
{
    const char *name = key_names[key];
    const char *accepted = "";
    uint32_t v, min, max;
    uint32_t *field = u32_field(c, key, &min, &max, &accepted);
    if (key == KEY_DATABITS) {
        if (!parse_u32(value, &v) || v < 5 || v > 8)
            return bad_value(err, name, value, "5, 6, 7 or 8");
        c->data_bits = (uint8_t)v;
        return 0;
    }
    if (!field || !parse_u32(value, &v) || v < min || v > max)
        return bad_value(err, name, value, accepted);
    *field = v;
    return 0;
}

static int set_word(aser_config *c, cfg_key key, const char *value, aser_err *err)
{
    const char *name = key_names[key];
    int i;
    switch (key) {
    case KEY_PARITY:
        i = word_index(parity_words, ASER_ARRAY_LEN(parity_words), value);
        if (i < 0) return bad_value(err, name, value, "none, odd, even, mark or space");
        c->parity = (aser_parity)i;
        return 0;
    case KEY_STOPBITS: {
        aser_stopbits s = parse_stop(value);
        if (!s) return bad_value(err, name, value, "1, 1.5 or 2");
        c->stop_bits = s;
        return 0;
    }
    case KEY_LOWLATENCY:
        i = word_index(lowlat_words, ASER_ARRAY_LEN(lowlat_words), value);
        if (i < 0) return bad_value(err, name, value, "off, try or strict");
        c->low_latency = (aser_low_latency)i;
        return 0;
    case KEY_DTR:
    case KEY_RTS:
        i = word_index(line_words, ASER_ARRAY_LEN(line_words), value);
        if (i < 0) return bad_value(err, name, value, "keep, on or off");
        *(key == KEY_DTR ? &c->dtr : &c->rts) = (aser_level)i;
        return 0;
    default: {
        unsigned flow = 0;
        int rc = parse_flow_value(value, &flow, err);
        if (rc == 0) c->flow = flow;
        return rc;
    }
    }
}

int aser_config_set(aser_config *cfg, const char *key, const char *value, aser_err *err)
{
    if (!cfg || !key || !value)
        return aser__err(err, ASER_EINVAL, "aser_config_set: %s is NULL",
                         !cfg   ? "cfg"
                         : !key ? "key"
                                : "value");
    int k = word_index(key_names, KEY_COUNT_, key);
    if (k < 0) return aser__err(err, ASER_EBADCONFIG, UNKNOWN_KEY_FMT, key);
    bool *b = bool_field(cfg, (cfg_key)k);
    if (b) {
        int v = parse_bool(value);
        if (v < 0) return bad_value(err, key_names[k], value, "on/off, true/false, yes/no or 1/0");
        *b = v != 0;
        return 0;
    }
    switch ((cfg_key)k) {
    case KEY_PARITY:
    case KEY_STOPBITS:
    case KEY_LOWLATENCY:
    case KEY_DTR:
    case KEY_RTS:
    case KEY_FLOW: return set_word(cfg, (cfg_key)k, value, err);
    default: return set_number(cfg, (cfg_key)k, value, err);
    }
}

/* ---- aser_config_parse ------------------------------------------------ */

typedef struct parse_state {
    aser_config cfg; /* the copy being built */
    bool flow_seen;  /* a flow word replaced the old flow already */
    bool flow_none;  /* "none" was among them */
} parse_state;

/* "8N1", "7e1", "5O1.5": data bits, parity letter, stop bits. */
static int parse_frame(parse_state *st, const char *tok, aser_err *err)
{
    const char *pos = strchr(parity_letters, toupper((unsigned char)tok[1]));
    aser_stopbits stop = parse_stop(tok + 2);
    if (tok[0] < '5' || tok[0] > '8')
        return aser__err(err, ASER_EBADCONFIG,
                         "invalid data bits '%c' in frame \"%.40s\": use 5, 6, 7 or 8 "
                         "(as in 8N1)",
                         tok[0], tok);
    if (!pos)
        return aser__err(err, ASER_EBADCONFIG,
                         "invalid parity '%c' in frame \"%.40s\": use N, O, E, M or S "
                         "(none, odd, even, mark, space)",
                         tok[1], tok);
    if (!stop)
        return aser__err(err, ASER_EBADCONFIG,
                         "invalid stop bits \"%.40s\" in frame \"%.40s\": use 1, 1.5 or "
                         "2 (as in 8N1)",
                         tok + 2, tok);
    st->cfg.data_bits = (uint8_t)(tok[0] - '0');
    st->cfg.parity = (aser_parity)(pos - parity_letters);
    st->cfg.stop_bits = stop;
    return 0;
}

static int parse_baud(parse_state *st, const char *tok, aser_err *err)
{
    uint32_t v = 0;
    bool digits = all_digits(tok);
    if (digits && !parse_u32(tok, &v))
        return aser__err(err, ASER_EBADCONFIG,
                         "baud rate \"%.40s\" is too large: the maximum is %u", tok, UINT32_MAX);
    if (!digits && tok[0] != '-' && tok[0] != '+')
        return aser__err(err, ASER_EBADCONFIG,
                         "invalid item \"%.40s\": a baud rate is digits only (9600), a "
                         "frame is data bits, parity, stop bits (8N1)",
                         tok);
    if (v == 0) /* signed, or zero */
        return aser__err(err, ASER_EBADCONFIG,
                         "invalid baud rate \"%.40s\": use a positive integer such as "
                         "9600",
                         tok);
    st->cfg.baud = v;
    return 0;
}

/* A bare flow word: the first one replaces the old flow, later ones add. */
static int parse_flow_word(parse_state *st, const char *tok, unsigned bit, aser_err *err)
{
    if (!st->flow_seen) {
        st->cfg.flow = ASER_FLOW_NONE;
        st->flow_seen = true;
    }
    if ((bit == 0 && st->cfg.flow != 0) || (bit != 0 && st->flow_none))
        return aser__err(err, ASER_EBADCONFIG,
                         "flow \"none\" cannot be combined with other flow control "
                         "(found \"%.40s\")",
                         tok);
    if (bit == 0) st->flow_none = true;
    st->cfg.flow |= bit;
    return 0;
}

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s)) (*s)++, (*len)--;
    while (*len && isspace((unsigned char)(*s)[*len - 1])) (*len)--;
}

static int parse_pair(parse_state *st, char *tok, char *eq, aser_err *err)
{
    const char *key = tok, *value = eq + 1;
    size_t klen = (size_t)(eq - tok), vlen = strlen(value);
    trim(&key, &klen);
    trim(&value, &vlen);
    if (klen == 0)
        return aser__err(err, ASER_EBADCONFIG,
                         "missing key in \"%.40s\": write key=value, e.g. parity=even", tok);
    char k[CFG_TOKEN_MAX], v[CFG_TOKEN_MAX];
    memcpy(k, key, klen);
    k[klen] = '\0';
    memcpy(v, value, vlen);
    v[vlen] = '\0';
    int rc = aser_config_set(&st->cfg, k, v, err);
    if (rc == 0 && strcasecmp(k, "flow") == 0) {
        st->flow_seen = true;
        st->flow_none = st->cfg.flow == ASER_FLOW_NONE;
    }
    return rc;
}

static int parse_token(parse_state *st, const char *s, size_t len, unsigned index,
                       const char *whole, aser_err *err)
{
    char tok[CFG_TOKEN_MAX];
    trim(&s, &len);
    if (len == 0)
        return aser__err(err, ASER_EBADCONFIG,
                         "empty item %u in config \"%.60s\": remove the extra comma", index, whole);
    if (len >= sizeof tok)
        return aser__err(err, ASER_EBADCONFIG,
                         "config item %u is too long (%zu characters): \"%.40s...\"", index, len,
                         s);
    memcpy(tok, s, len);
    tok[len] = '\0';
    char *eq = strchr(tok, '=');
    if (eq) return parse_pair(st, tok, eq, err);
    if (isdigit((unsigned char)tok[0]) && isalpha((unsigned char)tok[1]))
        return parse_frame(st, tok, err);
    if (isdigit((unsigned char)tok[0]) || tok[0] == '-' || tok[0] == '+')
        return parse_baud(st, tok, err);
    int bit = flow_bit(tok);
    if (bit >= 0) return parse_flow_word(st, tok, (unsigned)bit, err);
    return aser__err(err, ASER_EBADCONFIG,
                     "unknown item \"%.40s\": use a baud rate (9600), a frame (8N1), "
                     "flow control (rtscts, xonxoff, dtrdsr, none) or key=value",
                     tok);
}

int aser_config_parse(aser_config *cfg, const char *str, aser_err *err)
{
    if (!cfg) return aser__err(err, ASER_EINVAL, "aser_config_parse: cfg is NULL");
    if (!str) str = "";
    parse_state st = {.cfg = *cfg, .flow_seen = false, .flow_none = false};
    size_t total = strlen(str);
    const char *p = str;
    trim(&p, &total);
    if (total == 0) return 0; /* nothing to apply */
    for (unsigned index = 1;; index++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int rc = parse_token(&st, p, len, index, str, err);
        if (rc) return rc;
        if (!comma) break;
        p = comma + 1;
    }
    int rc = aser_config_validate(&st.cfg, err);
    if (rc) return rc;
    *cfg = st.cfg;
    return 0;
}

/* ---- aser_config_validate --------------------------------------------- */

static int validate_frame(const aser_config *c, aser_err *err)
{
    if (c->baud == 0)
        return aser__err(err, ASER_EBADCONFIG,
                         "baud rate 0 is invalid: use a positive rate such as 9600");
    if (c->data_bits < 5 || c->data_bits > 8)
        return aser__err(err, ASER_EBADCONFIG, "data bits %u is invalid: use 5, 6, 7 or 8",
                         c->data_bits);
    if ((unsigned)c->parity > ASER_PARITY_SPACE)
        return aser__err(err, ASER_EBADCONFIG,
                         "parity %d is invalid: use an ASER_PARITY_* value (none, odd, "
                         "even, mark, space)",
                         (int)c->parity);
    if (c->stop_bits != ASER_STOP_1 && c->stop_bits != ASER_STOP_1_5 && c->stop_bits != ASER_STOP_2)
        return aser__err(err, ASER_EBADCONFIG,
                         "stop bits %d is invalid: use ASER_STOP_1, ASER_STOP_1_5 or "
                         "ASER_STOP_2 (10, 15 or 20)",
                         (int)c->stop_bits);
    if (c->stop_bits == ASER_STOP_1_5 && c->data_bits != 5)
        return aser__err(err, ASER_EBADCONFIG,
                         "1.5 stop bits need 5 data bits, not %u (Linux makes 1.5 stop "
                         "bits only as 2 stop bits with 5 data bits): use 1 or 2 stop "
                         "bits, or 5 data bits",
                         c->data_bits);
    return 0;
}

static int validate_flow(const aser_config *c, aser_err *err)
{
    if (c->flow & ~(unsigned)CFG_FLOW_KNOWN)
        return aser__err(err, ASER_EBADCONFIG,
                         "flow has unknown bits 0x%x: use ASER_FLOW_RTSCTS, "
                         "ASER_FLOW_XONXOFF and/or ASER_FLOW_DTRDSR",
                         c->flow & ~(unsigned)CFG_FLOW_KNOWN);
    if ((c->flow & ASER_FLOW_RTSCTS) && (c->flow & ASER_FLOW_DTRDSR))
        return aser__err(err, ASER_EBADCONFIG,
                         "flow control rtscts and dtrdsr exclude each other (hardware "
                         "flow control uses one pair of lines): keep one of them "
                         "(xonxoff may be added to either)");
    return 0;
}

static int validate_enum(aser_err *err, const char *field, int value, int max, const char *accepted)
{
    if (value >= 0 && value <= max) return 0;
    return aser__err(err, ASER_EBADCONFIG, "%s %d is invalid: use %s", field, value, accepted);
}

static int validate_rest(const aser_config *c, aser_err *err)
{
    int rc;
    if ((rc = validate_enum(err, "low_latency", (int)c->low_latency, ASER_LOWLAT_STRICT,
                            "ASER_LOWLAT_OFF, _TRY or _STRICT")) ||
        (rc = validate_enum(err, "dtr", (int)c->dtr, ASER_LEVEL_OFF,
                            "ASER_LEVEL_KEEP, _ON or _OFF")) ||
        (rc = validate_enum(err, "rts", (int)c->rts, ASER_LEVEL_OFF,
                            "ASER_LEVEL_KEEP, _ON or _OFF")))
        return rc;
    if (c->read_buffer < CFG_BUFFER_MIN || c->read_buffer > CFG_BUFFER_MAX)
        return aser__err(err, ASER_EBADCONFIG,
                         "read_buffer %u is out of range: use 64 to 16777216 bytes "
                         "(key buffer)",
                         c->read_buffer);
    if (c->write_high_water < 1)
        return aser__err(err, ASER_EBADCONFIG,
                         "write_high_water 0 is invalid: use at least 1 byte (key "
                         "high_water)");
    if (c->write_low_water && c->write_low_water >= c->write_high_water)
        return aser__err(err, ASER_EBADCONFIG,
                         "write_low_water %u is not below write_high_water %u: use a "
                         "smaller low_water, or 0 for a quarter of high_water",
                         c->write_low_water, c->write_high_water);
    if (c->rs485.delay_before_send_ms > CFG_DELAY_MAX)
        return aser__err(err, ASER_EBADCONFIG,
                         "rs485 delay_before_send_ms %u is too long: use 0 to 10000 ms "
                         "(key rs485_delay_before)",
                         c->rs485.delay_before_send_ms);
    if (c->rs485.delay_after_send_ms > CFG_DELAY_MAX)
        return aser__err(err, ASER_EBADCONFIG,
                         "rs485 delay_after_send_ms %u is too long: use 0 to 10000 ms "
                         "(key rs485_delay_after)",
                         c->rs485.delay_after_send_ms);
    return 0;
}

int aser_config_validate(const aser_config *cfg, aser_err *err)
{
    if (!cfg) return aser__err(err, ASER_EINVAL, "aser_config_validate: cfg is NULL");
    int rc = validate_frame(cfg, err);
    if (rc == 0) rc = validate_flow(cfg, err);
    if (rc == 0) rc = validate_rest(cfg, err);
    return rc;
}

/* ---- aser_config_format ----------------------------------------------- */

/* snprintf into a fixed buffer, counting what would not fit. */
typedef struct out_buf {
    char *buf;
    size_t size;
    size_t len; /* needed so far */
} out_buf;

ASER_PRINTF(2, 3) static void out(out_buf *o, const char *fmt, ...)
{
    va_list ap;
    char *dst = o->len < o->size ? o->buf + o->len : NULL;
    size_t room = o->len < o->size ? o->size - o->len : 0;
    va_start(ap, fmt);
    int n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
}

static const char *word_or_null(const char *const *words, size_t n, int value)
{
    return value >= 0 && (size_t)value < n ? words[value] : NULL;
}

static void out_enum(out_buf *o, const char *key, const char *const *words, size_t n, int value)
{
    const char *w = word_or_null(words, n, value);
    if (w)
        out(o, ",%s=%s", key, w);
    else
        out(o, ",%s=%d", key, value); /* invalid; parse will say so */
}

static void out_frame(out_buf *o, const aser_config *c)
{
    char parity = (unsigned)c->parity < sizeof parity_letters - 1 ? parity_letters[c->parity] : '?';
    const char *stop = c->stop_bits == ASER_STOP_1     ? "1"
                       : c->stop_bits == ASER_STOP_1_5 ? "1.5"
                       : c->stop_bits == ASER_STOP_2   ? "2"
                                                       : "?";
    out(o, "%u,%u%c%s", c->baud, c->data_bits, parity, stop);
    for (size_t i = 0; i < ASER_ARRAY_LEN(flow_words); i++)
        if (flow_words[i].bit && (c->flow & flow_words[i].bit)) out(o, ",%s", flow_words[i].word);
}

static void out_bool(out_buf *o, cfg_key key, bool value, bool def)
{
    if (value != def) out(o, ",%s=%s", key_names[key], value ? "on" : "off");
}

static void out_u32(out_buf *o, cfg_key key, uint32_t value, uint32_t def)
{
    if (value != def) out(o, ",%s=%u", key_names[key], value);
}

int aser_config_format(const aser_config *cfg, char *buf, size_t size)
{
    static const aser_config d = ASER_CONFIG_DEFAULT;
    out_buf o = {buf, buf ? size : 0, 0};
    if (o.size) buf[0] = '\0';
    if (!cfg) return ASER_EINVAL;
    out_frame(&o, cfg);
    out_bool(&o, KEY_EXCLUSIVE, cfg->exclusive, d.exclusive);
    out_bool(&o, KEY_HUPCL, cfg->hupcl, d.hupcl);
    if (cfg->low_latency != d.low_latency)
        out_enum(&o, "lowlatency", lowlat_words, ASER_ARRAY_LEN(lowlat_words),
                 (int)cfg->low_latency);
    if (cfg->dtr != d.dtr)
        out_enum(&o, "dtr", line_words, ASER_ARRAY_LEN(line_words), (int)cfg->dtr);
    if (cfg->rts != d.rts)
        out_enum(&o, "rts", line_words, ASER_ARRAY_LEN(line_words), (int)cfg->rts);
    out_bool(&o, KEY_RS485, cfg->rs485.enabled, d.rs485.enabled);
    out_bool(&o, KEY_RS485_RTS_ON_SEND, cfg->rs485.rts_on_send, d.rs485.rts_on_send);
    out_bool(&o, KEY_RS485_RTS_AFTER_SEND, cfg->rs485.rts_after_send, d.rs485.rts_after_send);
    out_bool(&o, KEY_RS485_RX_DURING_TX, cfg->rs485.rx_during_tx, d.rs485.rx_during_tx);
    out_u32(&o, KEY_RS485_DELAY_BEFORE, cfg->rs485.delay_before_send_ms,
            d.rs485.delay_before_send_ms);
    out_u32(&o, KEY_RS485_DELAY_AFTER, cfg->rs485.delay_after_send_ms, d.rs485.delay_after_send_ms);
    out_u32(&o, KEY_BUFFER, cfg->read_buffer, d.read_buffer);
    out_u32(&o, KEY_HIGH_WATER, cfg->write_high_water, d.write_high_water);
    out_u32(&o, KEY_LOW_WATER, cfg->write_low_water, d.write_low_water);
    return o.len > INT_MAX ? INT_MAX : (int)o.len;
}

bool aser__config_line_differs(const aser_config *a, const aser_config *b)
{
    return a->baud != b->baud || a->data_bits != b->data_bits || a->parity != b->parity ||
           a->stop_bits != b->stop_bits || a->flow != b->flow;
}
