/* mqtt.c: the reader of mqtt.h: topics, set/ctl/status messages from a
 * broker. Bounded by every length given; the JSON itself is codec/json.c
 * (flat objects of scalars). No I/O, no allocation. */
#include "codec/mqtt.h"

#include "aserial.h"
#include "codec/json.h"

#include <stdio.h>
#include <string.h>

static const char *const kinds[] = {
    [ASER_MQTT_RX] = "rx",   [ASER_MQTT_TX] = "tx",   [ASER_MQTT_STATUS] = "status",
    [ASER_MQTT_SET] = "set", [ASER_MQTT_CTL] = "ctl", [ASER_MQTT_ERROR] = "error",
};

const char *aser__mqtt_kind_name(aser_mqtt_kind kind)
{
    return (unsigned)kind < sizeof kinds / sizeof kinds[0] ? kinds[kind] : NULL;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

bool aser__mqtt_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > ASER_MQTT_NAME_MAX) return false;
    for (size_t i = 0; i < len; i++)
        if (!name_char(name[i])) return false;
    return true;
}

bool aser__mqtt_prefix_ok(const char *prefix, size_t len)
{
    if (len == 0 || len > ASER_MQTT_PREFIX_MAX) return false;
    if (prefix[0] == '/' || prefix[len - 1] == '/') return false;
    for (size_t i = 0; i < len; i++) {
        char c = prefix[i];
        if (c == '+' || c == '#' || c == '\0' || (unsigned char)c < 0x20) return false;
        if (c == '/' && prefix[i + 1] == '/') return false; /* i + 1 < len: no trailing '/' */
    }
    return true;
}

/* err = before detail after, cut to ASER_MQTT_ERR_MAX. */
static int refuse(char *err, const char *before, const char *detail, const char *after)
{
    snprintf(err, ASER_MQTT_ERR_MAX, "%s%s%s", before, detail, after);
    return ASER_EPROTO;
}

int aser__mqtt_addr_parse(const char *s, size_t n, int dflt, bool with_name, aser_mqtt_addr *a,
                          char *err)
{
    const char *end = s + n, *p = s, *h = s, *hend;
    *a = (aser_mqtt_addr){.port = dflt};
    if (p < end && *p == '[') {
        h = ++p;
        hend = memchr(p, ']', (size_t)(end - p));
        if (!hend)
            return refuse(err, "", "an unclosed [ in the broker's address", ""), ASER_EBADURL;
        p = hend + 1;
    } else {
        while (p < end && *p != ':' && *p != '/') p++;
        hend = p;
    }
    size_t hl = (size_t)(hend - h);
    for (size_t i = 0; i < hl; i++)
        if (h[i] <= ' ' || h[i] == 127 || h[i] == '?' || h[i] == '#' || h[i] == '@' ||
            h[i] == '[' || h[i] == ']' || h[i] == '/')
            return refuse(err, "", "a space, control byte or one of ?#@[]/ in the broker's host",
                          ""),
                   ASER_EBADURL;
    if (hl == 0 || hl >= sizeof a->host)
        return refuse(err, "", "no broker host (write mqtt://HOST[:PORT]/...)", ""), ASER_EBADURL;
    memcpy(a->host, h, hl);
    if (p < end && *p == ':') {
        long port = 0;
        const char *d = ++p;
        while (p < end && *p >= '0' && *p <= '9' && port <= 65535) port = port * 10 + (*p++ - '0');
        if (p == d || port < 1 || port > 65535 || (p < end && *p != '/'))
            return refuse(err, "", "a bad broker port (1 to 65535)", ""), ASER_EBADURL;
        a->port = (int)port;
    }
    if (p == end || *p != '/')
        return refuse(err, "",
                      with_name ? "no topic (write mqtt://HOST[:PORT]/PREFIX/NAME)"
                                : "no topic prefix (write mqtt://HOST[:PORT]/PREFIX)",
                      ""),
               ASER_EBADURL;
    p++;
    size_t pl = (size_t)(end - p);
    if (with_name) {
        const char *slash = p + pl;
        while (slash > p && slash[-1] != '/') slash--;
        size_t nl = (size_t)(end - slash);
        if (slash == p || !aser__mqtt_name_ok(slash, nl))
            return refuse(err, "",
                          "the topic must be PREFIX/NAME, NAME 1 to 63 letters, digits, "
                          "'-', '_' or '.'",
                          ""),
                   ASER_EBADURL;
        memcpy(a->name, slash, nl);
        pl = (size_t)(slash - 1 - p);
    }
    if (!aser__mqtt_prefix_ok(p, pl))
        return refuse(err, "",
                      "the topic prefix must be levels of text separated by /, without "
                      "+ or # (e.g. lab or site/lab1)",
                      ""),
               ASER_EBADURL;
    memcpy(a->prefix, p, pl);
    return 0;
}

int aser__mqtt_topic_split(const char *prefix, const char *topic, size_t len, char *name,
                           aser_mqtt_kind *kind)
{
    size_t pl = strlen(prefix);
    if (len < pl + 4 || memcmp(topic, prefix, pl) != 0 || topic[pl] != '/') return -1;
    const char *n = topic + pl + 1, *end = topic + len;
    const char *slash = memchr(n, '/', (size_t)(end - n));
    if (!slash || !aser__mqtt_name_ok(n, (size_t)(slash - n))) return -1;
    size_t kl = (size_t)(end - slash - 1);
    for (unsigned k = ASER_MQTT_RX; k <= ASER_MQTT_ERROR; k++)
        if (strlen(kinds[k]) == kl && memcmp(slash + 1, kinds[k], kl) == 0) {
            memcpy(name, n, (size_t)(slash - n));
            name[slash - n] = '\0';
            *kind = (aser_mqtt_kind)k;
            return 0;
        }
    return -1;
}

int aser__mqtt_set_parse(const uint8_t *p, size_t n, char *config, char *err)
{
    static const char hint[] = "send {\"config\":\"9600,8N1\"} or the config string (9600,8N1)";
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
    if (i < n && p[i] == '{') {
        aser_json j;
        if (aser__json_parse(&j, (const char *)p, n) < 0)
            return refuse(err, "bad set message (", j.err, "): send {\"config\":\"9600,8N1\"}");
        const aser_json_member *m = aser__json_get(&j, "config", ASER_JSON_STRING);
        if (!m) return refuse(err, "a set message needs \"config\": ", hint, "");
        if (strlen(m->str) > ASER_MQTT_CONFIG_MAX)
            return refuse(err, "the config string is too long: ", hint, "");
        snprintf(config, ASER_MQTT_CONFIG_MAX + 1, "%s", m->str);
        return 0;
    }
    size_t len = n - i;
    while (len && (p[i + len - 1] == '\n' || p[i + len - 1] == '\r' || p[i + len - 1] == ' '))
        len--;
    if (len == 0) return refuse(err, "an empty set message: ", hint, "");
    if (len > ASER_MQTT_CONFIG_MAX) return refuse(err, "the config string is too long: ", hint, "");
    for (size_t k = 0; k < len; k++)
        if (p[i + k] < 0x20 || p[i + k] > 0x7e)
            return refuse(err, "a set message is printable text: ", hint, "");
    memcpy(config, p + i, len);
    config[len] = '\0';
    return 0;
}

int aser__mqtt_ctl_parse(const uint8_t *p, size_t n, aser_mqtt_ctl *c, char *err)
{
    static const char hint[] = "send e.g. {\"dtr\":true,\"rts\":false} or {\"break\":250}";
    aser_json j;
    *c = (aser_mqtt_ctl){0};
    if (aser__json_parse(&j, (const char *)p, n) < 0)
        return refuse(err, "bad ctl message (", j.err, "): send e.g. {\"dtr\":true}");
    const aser_json_member *dtr = aser__json_get(&j, "dtr", ASER_JSON_BOOL);
    const aser_json_member *rts = aser__json_get(&j, "rts", ASER_JSON_BOOL);
    const aser_json_member *brk = aser__json_get(&j, "break", ASER_JSON_INT);
    if (dtr) c->mask |= ASER_LINE_DTR, c->values |= dtr->num ? ASER_LINE_DTR : 0;
    if (rts) c->mask |= ASER_LINE_RTS, c->values |= rts->num ? ASER_LINE_RTS : 0;
    if (brk) {
        if (brk->num < 1 || brk->num > ASER_MQTT_BREAK_MAX)
            return refuse(err, "\"break\" is 1 to 5000 ms: ", hint, "");
        c->break_ms = (unsigned)brk->num;
    }
    if (j.n != (size_t)((dtr != NULL) + (rts != NULL) + (brk != NULL)))
        return refuse(err, "a ctl message takes only \"dtr\", \"rts\" and \"break\": ", hint, "");
    if (!c->mask && !c->break_ms) return refuse(err, "an empty ctl message: ", hint, "");
    return 0;
}

static void status_lines(const aser_json *j, aser_mqtt_status *s)
{
    static const struct {
        const char *key;
        unsigned bit;
    } lines[] = {{"dtr", ASER_LINE_DTR}, {"rts", ASER_LINE_RTS}, {"cts", ASER_LINE_CTS},
                 {"dsr", ASER_LINE_DSR}, {"cd", ASER_LINE_CD},   {"ri", ASER_LINE_RI}};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        const aser_json_member *b = aser__json_get(j, lines[i].key, ASER_JSON_BOOL);
        if (aser__json_get(j, lines[i].key, ASER_JSON_NULL)) s->lines_known &= ~lines[i].bit;
        if (!b) continue;
        s->lines_known |= lines[i].bit;
        s->lines = b->num ? s->lines | lines[i].bit : s->lines & ~lines[i].bit;
    }
}

static void status_count(const aser_json *j, const char *key, unsigned long long *v)
{
    const aser_json_member *m = aser__json_get(j, key, ASER_JSON_INT);
    if (m && m->num >= 0) *v = (unsigned long long)m->num;
}

static void status_str(const aser_json *j, const char *key, char *out, size_t cap)
{
    const aser_json_member *m = aser__json_get(j, key, ASER_JSON_STRING);
    if (m && strlen(m->str) < cap) snprintf(out, cap, "%s", m->str);
}

int aser__mqtt_status_parse(const uint8_t *p, size_t n, aser_mqtt_status *s, char *err)
{
    if (n == 0) return refuse(err, "", "the status was cleared: the export is gone", "");
    aser_json j;
    if (aser__json_parse(&j, (const char *)p, n) < 0)
        return refuse(err, "bad status message (", j.err,
                      "): is another program publishing there?");
    const aser_json_member *st = aser__json_get(&j, "state", ASER_JSON_STRING);
    if (!st || !st->str[0] || strlen(st->str) >= sizeof s->state)
        return refuse(err, "", "a status without \"state\": is another program publishing there?",
                      "");
    snprintf(s->state, sizeof s->state, "%s", st->str);
    status_str(&j, "config", s->config, sizeof s->config);
    status_str(&j, "access", s->access, sizeof s->access);
    status_lines(&j, s);
    status_count(&j, "rx", &s->rx);
    status_count(&j, "tx", &s->tx);
    status_count(&j, "lost", &s->lost);
    return 0;
}
