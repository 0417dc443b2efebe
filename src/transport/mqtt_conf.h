/* mqtt_conf.h: how aserial reaches a broker, shared by the gateway
 * (server/mqtt.c), the endpoint (transport/mqtt.c) and the list
 * (transport/mqtt_list.c): the address from mqtt[s]://HOST[:PORT]/PREFIX
 * [/NAME], TLS files (mqtts:// only) and the credentials file, never a
 * password in the URL itself:
 *
 *   ?ca=FILE&cert=FILE&key=FILE   PEM files (mqtts://; the system's CAs
 *                                 without ca=)
 *   ?auth=FILE                    the user on its first line, the
 *                                 password on its second
 *
 * Internal. */
#ifndef ASER_MQTT_CONF_H
#define ASER_MQTT_CONF_H

#include "codec/mqtt.h"
#include "internal.h"

typedef struct aser_mqtt_conf {
    aser_mqtt_addr a;
    bool tls; /* mqtts:// */
    char ca[512], cert[512], key[512];
    char user[256], pass[256]; /* "": none */
} aser_mqtt_conf;

/* The whole URL: scheme, address (with_name: its last level is the
 * export's name) and query (the keys above; any other is refused). 0, or
 * ASER_EBADURL / ASER_EINVAL (an unreadable auth file) with err. */
int aser__mqtt_conf_url(const char *url, bool with_name, aser_mqtt_conf *c, aser_err *err);
/* One query item "key=value" (n bytes) into c, as above. */
int aser__mqtt_conf_opt(aser_mqtt_conf *c, const char *kv, size_t n, aser_err *err);
/* The user (first line) and password (second) of file into c. */
int aser__mqtt_conf_auth(aser_mqtt_conf *c, const char *file, aser_err *err);

#ifdef ASER_HAVE_MQTT
struct mosquitto;
/* Credentials and TLS onto a libmosquitto client (before its connect).
 * MOSQ_ERR_SUCCESS, or the error with why (cap bytes) naming the fix. */
int aser__mqtt_conf_apply(struct mosquitto *mosq, const aser_mqtt_conf *c, char *why, size_t cap);
#endif

#endif
