/* fuzz_mqtt.c: libFuzzer target for what the MQTT gateway and endpoint
 * read from a broker (src/codec/mqtt.c): any client of the broker can
 * publish any topic and payload. The input is used as a topic and as
 * each kind of payload.
 * Checks: a split topic gives a valid name and a known kind, and the
 * topic rebuilt from them is the input; set gives a printable config
 * within its bound or a sentence; ctl gives only DTR/RTS bits and a break
 * within 1..5000 ms, or a sentence; status gives NUL-terminated strings
 * and lines known only where it says, or a sentence. */
#include "codec/mqtt.h"

#include "aserial.h"
#include "fuzz_common.h"

#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char name[ASER_MQTT_NAME_MAX + 1], err[ASER_MQTT_ERR_MAX];
    aser_mqtt_kind k;
    if (aser__mqtt_topic_split("lab/x", (const char *)d, n, name, &k) == 0) {
        FZ_ASSERT(aser__mqtt_name_ok(name, strlen(name)) && aser__mqtt_kind_name(k));
        char t[300];
        int tl = snprintf(t, sizeof t, "lab/x/%s/%s", name, aser__mqtt_kind_name(k));
        FZ_ASSERT(tl > 0 && (size_t)tl == n && memcmp(t, d, n) == 0);
    }
    (void)aser__mqtt_prefix_ok((const char *)d, n);
    aser_mqtt_addr a;
    err[0] = '\0';
    for (int with_name = 0; with_name < 2; with_name++) {
        if (aser__mqtt_addr_parse((const char *)d, n, 1883, with_name, &a, err) == 0) {
            FZ_ASSERT(a.host[0] && a.port >= 1 && a.port <= 65535);
            FZ_ASSERT(aser__mqtt_prefix_ok(a.prefix, strlen(a.prefix)));
            FZ_ASSERT(!with_name || aser__mqtt_name_ok(a.name, strlen(a.name)));
        } else {
            FZ_ASSERT(err[0]);
        }
    }
    char cfg[ASER_MQTT_CONFIG_MAX + 1];
    err[0] = '\0';
    if (aser__mqtt_set_parse(d, n, cfg, err) == 0) {
        FZ_ASSERT(memchr(cfg, 0, sizeof cfg) != NULL);
    } else {
        FZ_ASSERT(err[0] && memchr(err, 0, sizeof err));
    }
    aser_mqtt_ctl c;
    err[0] = '\0';
    if (aser__mqtt_ctl_parse(d, n, &c, err) == 0) {
        FZ_ASSERT(!(c.mask & ~(unsigned)(ASER_LINE_DTR | ASER_LINE_RTS)));
        FZ_ASSERT(!(c.values & ~c.mask));
        FZ_ASSERT(c.break_ms <= ASER_MQTT_BREAK_MAX && (c.mask || c.break_ms));
    } else {
        FZ_ASSERT(err[0]);
    }
    aser_mqtt_status st = {0};
    err[0] = '\0';
    if (aser__mqtt_status_parse(d, n, &st, err) == 0) {
        FZ_ASSERT(st.state[0] && memchr(st.state, 0, sizeof st.state));
        FZ_ASSERT(memchr(st.config, 0, sizeof st.config) && memchr(st.access, 0, sizeof st.access));
        FZ_ASSERT(!(st.lines & ~st.lines_known));
    } else {
        FZ_ASSERT(err[0]);
    }
    return 0;
}
