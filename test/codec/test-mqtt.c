/* test-mqtt.c: what the MQTT gateway and endpoint read from a broker
 * (src/codec/mqtt.c): topics, set/ctl/status messages, the bounds and
 * every refusal with its sentence. Inputs sit at the end of a buffer
 * followed by bytes a reader running past len would take in. */
#define _GNU_SOURCE
#include "../test.h"
#include "aserial.h"
#include "codec/mqtt.h"

#include <string.h>

static const uint8_t *at_end(const char *s)
{
    static char buf[1024];
    size_t n = strlen(s);
    memset(buf, '}', sizeof buf);
    memcpy(buf, s, n);
    return (const uint8_t *)buf;
}

TEST(mqtt, names_and_prefixes)
{
    CHECK(aser__mqtt_name_ok("ttyUSB0", 7));
    CHECK(aser__mqtt_name_ok("lab-1_a.b", 9));
    CHECK(!aser__mqtt_name_ok("", 0));
    CHECK(!aser__mqtt_name_ok("a/b", 3));
    CHECK(!aser__mqtt_name_ok("a+", 2));
    CHECK(!aser__mqtt_name_ok("#", 1));
    char big[80];
    memset(big, 'a', sizeof big);
    CHECK(aser__mqtt_name_ok(big, 63));
    CHECK(!aser__mqtt_name_ok(big, 64));
    CHECK(aser__mqtt_prefix_ok("lab", 3));
    CHECK(aser__mqtt_prefix_ok("site/lab1", 9));
    CHECK(!aser__mqtt_prefix_ok("/lab", 4));
    CHECK(!aser__mqtt_prefix_ok("lab/", 4));
    CHECK(!aser__mqtt_prefix_ok("a//b", 4));
    CHECK(!aser__mqtt_prefix_ok("a/+/b", 5));
    CHECK(!aser__mqtt_prefix_ok("a/#", 3));
    CHECK(!aser__mqtt_prefix_ok("", 0));
}

TEST(mqtt, topics)
{
    char name[ASER_MQTT_NAME_MAX + 1];
    aser_mqtt_kind k = 0;
    const char *t = "lab/ttyUSB0/tx";
    CHECK_EQ(aser__mqtt_topic_split("lab", (const char *)at_end(t), strlen(t), name, &k), 0);
    CHECK_STR(name, "ttyUSB0");
    CHECK_EQ(k, ASER_MQTT_TX);
    t = "site/a/dev.1/status";
    CHECK_EQ(aser__mqtt_topic_split("site/a", t, strlen(t), name, &k), 0);
    CHECK_STR(name, "dev.1");
    CHECK_EQ(k, ASER_MQTT_STATUS);
    for (unsigned i = ASER_MQTT_RX; i <= ASER_MQTT_ERROR; i++) {
        char topic[64];
        snprintf(topic, sizeof topic, "p/n/%s", aser__mqtt_kind_name((aser_mqtt_kind)i));
        CHECK_EQ(aser__mqtt_topic_split("p", topic, strlen(topic), name, &k), 0);
        CHECK_EQ(k, (aser_mqtt_kind)i);
    }
    CHECK(aser__mqtt_kind_name((aser_mqtt_kind)99) == NULL);
    const char *bad[] = {"lab/ttyUSB0/txx", "lab/ttyUSB0", "labx/a/tx", "lab/a/b/tx",
                         "lab//tx",         "other/a/tx",  "lab/a+/tx", "lab/a/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(aser__mqtt_topic_split("lab", bad[i], strlen(bad[i]), name, &k), -1);
    /* a length shorter than the string: only len bytes count */
    CHECK_EQ(aser__mqtt_topic_split("lab", "lab/a/txx", 8, name, &k), 0);
    CHECK_EQ(k, ASER_MQTT_TX);
}

TEST(mqtt, set_messages)
{
    char cfg[ASER_MQTT_CONFIG_MAX + 1], err[ASER_MQTT_ERR_MAX];
    const char *s = "{\"config\":\"9600 7E1\"}";
    CHECK_EQ(aser__mqtt_set_parse(at_end(s), strlen(s), cfg, err), 0);
    CHECK_STR(cfg, "9600 7E1");
    s = " 9600,8N1,rtscts\n";
    CHECK_EQ(aser__mqtt_set_parse(at_end(s), strlen(s), cfg, err), 0);
    CHECK_STR(cfg, "9600,8N1,rtscts");
    s = "{\"baud\":9600}";
    CHECK_EQ(aser__mqtt_set_parse(at_end(s), strlen(s), cfg, err), ASER_EPROTO);
    CHECK(strstr(err, "needs \"config\"") != NULL);
    s = "{\"config\":";
    CHECK_EQ(aser__mqtt_set_parse(at_end(s), strlen(s), cfg, err), ASER_EPROTO);
    CHECK(strstr(err, "bad set message") != NULL);
    CHECK_EQ(aser__mqtt_set_parse((const uint8_t *)"", 0, cfg, err), ASER_EPROTO);
    CHECK(strstr(err, "empty") != NULL);
    CHECK_EQ(aser__mqtt_set_parse((const uint8_t *)"96\x01"
                                                   "00",
                                  5, cfg, err),
             ASER_EPROTO);
    CHECK(strstr(err, "printable") != NULL);
    char big[200];
    memset(big, '9', sizeof big);
    CHECK_EQ(aser__mqtt_set_parse((const uint8_t *)big, sizeof big, cfg, err), ASER_EPROTO);
    CHECK(strstr(err, "too long") != NULL);
}

TEST(mqtt, ctl_messages)
{
    aser_mqtt_ctl c;
    char err[ASER_MQTT_ERR_MAX];
    const char *s = "{\"dtr\":true,\"rts\":false}";
    CHECK_EQ(aser__mqtt_ctl_parse(at_end(s), strlen(s), &c, err), 0);
    CHECK_EQ(c.mask, ASER_LINE_DTR | ASER_LINE_RTS);
    CHECK_EQ(c.values, ASER_LINE_DTR);
    CHECK_EQ(c.break_ms, 0);
    s = "{\"break\":250}";
    CHECK_EQ(aser__mqtt_ctl_parse(at_end(s), strlen(s), &c, err), 0);
    CHECK_EQ(c.break_ms, 250);
    CHECK_EQ(c.mask, 0);
    s = "{\"break\":0}";
    CHECK_EQ(aser__mqtt_ctl_parse(at_end(s), strlen(s), &c, err), ASER_EPROTO);
    CHECK(strstr(err, "1 to 5000") != NULL);
    s = "{\"break\":5001}";
    CHECK_EQ(aser__mqtt_ctl_parse(at_end(s), strlen(s), &c, err), ASER_EPROTO);
    s = "{\"dtr\":1}"; /* an integer is not a level */
    CHECK_EQ(aser__mqtt_ctl_parse(at_end(s), strlen(s), &c, err), ASER_EPROTO);
    CHECK(strstr(err, "takes only") != NULL);
    s = "{}";
    CHECK_EQ(aser__mqtt_ctl_parse(at_end(s), strlen(s), &c, err), ASER_EPROTO);
    CHECK(strstr(err, "empty") != NULL);
    s = "dtr on";
    CHECK_EQ(aser__mqtt_ctl_parse(at_end(s), strlen(s), &c, err), ASER_EPROTO);
    CHECK(strstr(err, "bad ctl message") != NULL);
}

TEST(mqtt, status_messages)
{
    aser_mqtt_status st = {0};
    char err[ASER_MQTT_ERR_MAX];
    const char *s = "{\"state\":\"online\",\"config\":\"115200 8N1\",\"access\":\"read-only\","
                    "\"dtr\":true,\"rts\":false,\"cts\":null,\"dsr\":null,\"cd\":null,"
                    "\"ri\":null,\"rx\":10,\"tx\":20,\"lost\":3}";
    CHECK_EQ(aser__mqtt_status_parse(at_end(s), strlen(s), &st, err), 0);
    CHECK_STR(st.state, "online");
    CHECK_STR(st.config, "115200 8N1");
    CHECK_STR(st.access, "read-only");
    CHECK_EQ(st.lines, ASER_LINE_DTR);
    CHECK_EQ(st.lines_known, ASER_LINE_DTR | ASER_LINE_RTS);
    CHECK_EQ(st.rx, 10);
    CHECK_EQ(st.tx, 20);
    CHECK_EQ(st.lost, 3);
    s = "{\"state\":\"offline\"}"; /* the last will: the rest is kept */
    CHECK_EQ(aser__mqtt_status_parse(at_end(s), strlen(s), &st, err), 0);
    CHECK_STR(st.state, "offline");
    CHECK_STR(st.config, "115200 8N1");
    CHECK_EQ(aser__mqtt_status_parse((const uint8_t *)"", 0, &st, err), ASER_EPROTO);
    CHECK(strstr(err, "gone") != NULL);
    s = "{\"config\":\"9600\"}";
    CHECK_EQ(aser__mqtt_status_parse(at_end(s), strlen(s), &st, err), ASER_EPROTO);
    CHECK(strstr(err, "without \"state\"") != NULL);
    s = "{\"state\":\"\"}"; /* found by fuzz_mqtt */
    CHECK_EQ(aser__mqtt_status_parse(at_end(s), strlen(s), &st, err), ASER_EPROTO);
    s = "hello";
    CHECK_EQ(aser__mqtt_status_parse(at_end(s), strlen(s), &st, err), ASER_EPROTO);
    CHECK(strstr(err, "bad status") != NULL);
}

TEST(mqtt, broker_addresses)
{
    aser_mqtt_addr a;
    char err[ASER_MQTT_ERR_MAX];
#define ADDR(s, name) aser__mqtt_addr_parse((const char *)at_end(s), strlen(s), 1883, name, &a, err)
    CHECK_EQ(ADDR("broker/lab", false), 0);
    CHECK_STR(a.host, "broker");
    CHECK_EQ(a.port, 1883);
    CHECK_STR(a.prefix, "lab");
    CHECK_EQ(ADDR("127.0.0.1:18830/site/lab1", false), 0);
    CHECK_EQ(a.port, 18830);
    CHECK_STR(a.prefix, "site/lab1");
    CHECK_EQ(ADDR("[::1]:1884/site/lab1/ttyUSB0", true), 0);
    CHECK_STR(a.host, "::1");
    CHECK_EQ(a.port, 1884);
    CHECK_STR(a.prefix, "site/lab1");
    CHECK_STR(a.name, "ttyUSB0");
    CHECK_EQ(ADDR("broker/lab", true), ASER_EBADURL); /* a name needs a prefix */
    CHECK(strstr(err, "PREFIX/NAME") != NULL);
    CHECK_EQ(ADDR("broker", false), ASER_EBADURL);
    CHECK(strstr(err, "no topic prefix") != NULL);
    CHECK_EQ(ADDR(":1883/lab", false), ASER_EBADURL);
    CHECK(strstr(err, "no broker host") != NULL);
    CHECK_EQ(ADDR("b:0/lab", false), ASER_EBADURL);
    CHECK(strstr(err, "port") != NULL);
    CHECK_EQ(ADDR("b:65536/lab", false), ASER_EBADURL);
    CHECK_EQ(ADDR("b:99x/lab", false), ASER_EBADURL);
    CHECK_EQ(ADDR("[::1/lab", false), ASER_EBADURL);
    CHECK(strstr(err, "unclosed") != NULL);
    CHECK_EQ(aser__mqtt_addr_parse("\0\0\n\n/x/t4-U0", 12, 1883, true, &a, err), ASER_EBADURL);
    CHECK(strstr(err, "control byte") != NULL); /* found by fuzz_mqtt */
    CHECK_EQ(ADDR("b c/lab", false), ASER_EBADURL);
    CHECK_EQ(ADDR("b/la+b", false), ASER_EBADURL);
    CHECK(strstr(err, "without") != NULL);
    CHECK_EQ(ADDR("b/lab/", false), ASER_EBADURL);
    CHECK_EQ(ADDR("b/lab/x#", true), ASER_EBADURL);
#undef ADDR
}
