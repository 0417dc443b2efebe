/* mqtt.h: a sans-I/O reader of what an MQTT broker hands aserial (the
 * gateway of server/mqtt.c and the mqtt:// endpoint of transport/mqtt.c):
 * topic names, the JSON of set/ctl/status messages and config strings.
 * Everything here comes from the network (any client of the broker may
 * publish), so every read is bounded by its length, nothing is allocated,
 * and a refusal carries a sentence naming the fix. The topic layout
 * (docs/mqtt.md):
 *
 *   PREFIX/NAME/rx      the device's bytes (gateway -> subscribers)
 *   PREFIX/NAME/tx      bytes to write to the device
 *   PREFIX/NAME/status  retained JSON: state, settings, lines, counters
 *   PREFIX/NAME/set     settings: {"config":"9600,8N1"} or "9600,8N1"
 *   PREFIX/NAME/ctl     {"dtr":true,"rts":false,"break":250}
 *   PREFIX/NAME/error   what the gateway refused, as text
 *
 * Internal. */
#ifndef ASER_CODEC_MQTT_H
#define ASER_CODEC_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ASER_MQTT_NAME_MAX 63    /* bytes of an export name */
#define ASER_MQTT_PREFIX_MAX 191 /* bytes of a topic prefix */
#define ASER_MQTT_CONFIG_MAX 95  /* bytes of a config string */
#define ASER_MQTT_BREAK_MAX 5000 /* ms, as the web console */
#define ASER_MQTT_ERR_MAX 160

typedef enum aser_mqtt_kind {
    ASER_MQTT_RX = 1,
    ASER_MQTT_TX,
    ASER_MQTT_STATUS,
    ASER_MQTT_SET,
    ASER_MQTT_CTL,
    ASER_MQTT_ERROR
} aser_mqtt_kind;

/* "rx", "tx", ... for kind; NULL for another value. */
const char *aser__mqtt_kind_name(aser_mqtt_kind kind);

/* An export name: 1..63 of letters, digits, '-', '_', '.' (never '+',
 * '#' or '/', which MQTT reserves in topics). */
bool aser__mqtt_name_ok(const char *name, size_t len);
/* A prefix: 1..191 bytes, '/'-separated levels each non-empty, without
 * '+', '#', NUL or a leading or trailing '/'. */
bool aser__mqtt_prefix_ok(const char *prefix, size_t len);

/* The address of a broker and a topic path, as in
 * mqtt://HOST[:PORT]/PREFIX (the gateway) and mqtt://HOST[:PORT]/PREFIX/NAME
 * (the endpoint): s[0..n) is what follows "mqtt://", without a query. */
typedef struct aser_mqtt_addr {
    char host[256]; /* without the [] of an IPv6 literal */
    int port;       /* dflt when the address has none */
    char prefix[ASER_MQTT_PREFIX_MAX + 1];
    char name[ASER_MQTT_NAME_MAX + 1]; /* with_name: the last level */
} aser_mqtt_addr;
/* 0, or ASER_EBADURL with err (ASER_MQTT_ERR_MAX bytes) naming the part
 * that is wrong. with_name: the path's last level is the export's name. */
int aser__mqtt_addr_parse(const char *s, size_t n, int dflt, bool with_name, aser_mqtt_addr *a,
                          char *err);

/* Split topic[0..len) as PREFIX/NAME/KIND for the given prefix: name (at
 * least ASER_MQTT_NAME_MAX + 1 bytes) and *kind on success (0); -1 when
 * the topic is not one of ours. */
int aser__mqtt_topic_split(const char *prefix, const char *topic, size_t len, char *name,
                           aser_mqtt_kind *kind);

/* A set message: {"config":"9600,8N1"} or the config string itself
 * ("9600,8N1"), copied to config (ASER_MQTT_CONFIG_MAX + 1 bytes). 0, or
 * ASER_EPROTO with err (ASER_MQTT_ERR_MAX bytes) saying what to send. The
 * string's own syntax is aser_config_parse()'s to judge. */
int aser__mqtt_set_parse(const uint8_t *p, size_t n, char *config, char *err);

/* A ctl message: any of "dtr", "rts" (true/false) and "break" (ms, 1 to
 * ASER_MQTT_BREAK_MAX) in one JSON object. */
typedef struct aser_mqtt_ctl {
    unsigned mask, values; /* ASER_LINE_DTR / ASER_LINE_RTS */
    unsigned break_ms;     /* 0: no break */
} aser_mqtt_ctl;
int aser__mqtt_ctl_parse(const uint8_t *p, size_t n, aser_mqtt_ctl *c, char *err);

/* A retained status, as the gateway publishes it (server/mqtt.c):
 *   {"state":"online"|"offline"|"lost","config":"115200 8N1",
 *    "access":"full"|"lock-settings"|"read-only",
 *    "dtr":B,"rts":B,"cts":B,"dsr":B,"cd":B,"ri":B   (null: not known),
 *    "rx":N,"tx":N,"lost":N}                          (bytes)
 * Missing members keep the values already in s (offline statuses carry
 * only "state"). An empty payload (a cleared retained message) is
 * ASER_ENOENT: the export is gone. */
typedef struct aser_mqtt_status {
    char state[16];
    char config[ASER_MQTT_CONFIG_MAX + 1];
    char access[16];
    unsigned lines;       /* ASER_LINE_* that are on */
    unsigned lines_known; /* ASER_LINE_* the gateway knows */
    unsigned long long rx, tx, lost;
} aser_mqtt_status;
int aser__mqtt_status_parse(const uint8_t *p, size_t n, aser_mqtt_status *s, char *err);

#endif
