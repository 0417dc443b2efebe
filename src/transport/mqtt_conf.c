/* transport/mqtt_conf.c: a broker's address, TLS files and credentials
 * (mqtt_conf.h), for the gateway, the endpoint and the list alike. */
#include "transport/mqtt_conf.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifdef ASER_HAVE_MQTT
#include <mosquitto.h>
#endif

int aser__mqtt_conf_auth(aser_mqtt_conf *c, const char *file, aser_err *err)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return aser__err(err, ASER_EINVAL, "cannot read the MQTT credentials file %s: %s", file,
                         strerror(errno));
    if (!fgets(c->user, sizeof c->user, f)) c->user[0] = '\0';
    if (!fgets(c->pass, sizeof c->pass, f)) c->pass[0] = '\0';
    fclose(f);
    c->user[strcspn(c->user, "\r\n")] = '\0';
    c->pass[strcspn(c->pass, "\r\n")] = '\0';
    if (!c->user[0])
        return aser__err(err, ASER_EINVAL,
                         "the MQTT credentials file %s is empty: put the user on its first "
                         "line and the password on the second",
                         file);
    return 0;
}

int aser__mqtt_conf_opt(aser_mqtt_conf *c, const char *kv, size_t n, aser_err *err)
{
    static const struct {
        const char *key;
        size_t off;
    } files[] = {{"ca", offsetof(aser_mqtt_conf, ca)},
                 {"cert", offsetof(aser_mqtt_conf, cert)},
                 {"key", offsetof(aser_mqtt_conf, key)}};
    const char *eq = memchr(kv, '=', n);
    size_t kl = eq ? (size_t)(eq - kv) : n, vl = eq ? n - kl - 1 : 0;
    char val[512];
    if (eq && vl > 0 && vl < sizeof val) {
        memcpy(val, eq + 1, vl);
        val[vl] = '\0';
        if (kl == 4 && !memcmp(kv, "auth", 4)) return aser__mqtt_conf_auth(c, val, err);
        for (size_t i = 0; c->tls && i < sizeof files / sizeof files[0]; i++)
            if (kl == strlen(files[i].key) && !memcmp(kv, files[i].key, kl)) {
                memcpy((char *)c + files[i].off, val, vl + 1);
                return 0;
            }
    }
    return aser__err(err, ASER_EBADURL,
                     "MQTT URL option \"%.*s\": use auth=FILE (user and password), and with "
                     "mqtts:// ca=FILE, cert=FILE, key=FILE (PEM)",
                     (int)ASER_MIN(n, 60u), kv);
}

int aser__mqtt_conf_url(const char *url, bool with_name, aser_mqtt_conf *c, aser_err *err)
{
    memset(c, 0, sizeof *c);
    const char *p;
    if (!strncmp(url, "mqtt://", 7))
        p = url + 7;
    else if (!strncmp(url, "mqtts://", 8))
        p = url + 8, c->tls = true;
    else
        return aser__err(err, ASER_EBADURL,
                         "\"%.80s\" is not an MQTT URL: use mqtt://HOST[:PORT]/PREFIX%s (or "
                         "mqtts://...?ca=FILE)",
                         url, with_name ? "/NAME" : "");
    size_t n = strcspn(p, "?");
    char why[ASER_MQTT_ERR_MAX];
    if (aser__mqtt_addr_parse(p, n, c->tls ? 8883 : 1883, with_name, &c->a, why) < 0)
        return aser__err(err, ASER_EBADURL, "%.120s: %s", url, why);
    for (p += n; *p;) {
        p++;
        size_t k = strcspn(p, "&");
        int rc = aser__mqtt_conf_opt(c, p, k, err);
        if (rc < 0) return rc;
        p += k;
    }
    return 0;
}

#ifdef ASER_HAVE_MQTT
int aser__mqtt_conf_apply(struct mosquitto *mosq, const aser_mqtt_conf *c, char *why, size_t cap)
{
    int rc = MOSQ_ERR_SUCCESS;
    if (c->user[0]) rc = mosquitto_username_pw_set(mosq, c->user, c->pass[0] ? c->pass : NULL);
    if (rc == MOSQ_ERR_SUCCESS && c->tls)
        rc = mosquitto_tls_set(mosq, c->ca[0] ? c->ca : NULL, c->ca[0] ? NULL : "/etc/ssl/certs",
                               c->cert[0] ? c->cert : NULL, c->key[0] ? c->key : NULL, NULL);
    if (rc != MOSQ_ERR_SUCCESS)
        snprintf(why, cap, "%s",
                 rc == MOSQ_ERR_TLS ? "the TLS files cannot be used (check ca=, cert=, key=)"
                                    : mosquitto_strerror(rc));
    return rc;
}
#endif
