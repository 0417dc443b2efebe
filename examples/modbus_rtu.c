/* modbus_rtu.c: Modbus RTU "read holding registers" (function 3) on the
 * public API alone.
 *
 *   modbus_rtu PORT [SLAVE [ADDR [COUNT [ROUNDS [idle]]]]]
 *
 * A Modbus RTU request is slave id, function, start address and count
 * (big-endian), then CRC-16/MODBUS (reflected polynomial 0xA001, initial
 * value 0xFFFF, low byte first). The reply is slave id, function, a byte
 * count, the registers, the CRC; an exception reply is slave id, function
 * | 0x80, an exception code, the CRC.
 *
 * The reply's length is in its third byte, so a query with a matcher
 * finds where it ends exactly, without waiting for the 3.5-character
 * silence, and rejects a bad CRC as ASER_EPROTO (the port stays usable:
 * the next query flushes what is left of the bad reply). The other way,
 * for devices whose replies a matcher cannot size (the last argument
 * "idle"): .framer with aser_framer_modbus_rtu(&f, &cfg), so the reply is
 * what arrives before the line is silent for 3.5 characters, and the
 * same checks run on that frame in the callback.
 *
 * Each round sends one request and prints the registers, or the error
 * with its reason (aser_port_errmsg(), else aser_strerror()); the exit
 * status is 1 when any round failed. The idle framer needs the line's
 * timing: over a network endpoint (tcp://, rfc2217://, ws://...) the
 * gaps are the network's and the server's, not the device's (ser2net
 * hands a reply over in pieces further apart than 3.5 characters), so
 * "idle" there gets a warning at open. Tested against libmodbus's RTU server
 * (test/modbus/modbus-peer.c) through a forwarder that corrupts one
 * reply. */
#include "aserial.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint16_t crc16_modbus(const uint8_t *d, size_t n)
{
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < n; i++) {
        crc ^= d[i];
        for (int b = 0; b < 8; b++) crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : crc >> 1;
    }
    return crc;
}

typedef struct app {
    aser_loop *loop;
    uint8_t slave;
    unsigned count, rounds, round;
    uint16_t addr;
    int failures;
    bool idle;          /* replies framed by the silence, checked after */
    aser_framer framer; /* then: aser_framer_modbus_rtu() */
} app;

/* Where a reply to function 3 ends: 0 (need more), its length, or
 * ASER_EPROTO with the reason. */
static ssize_t match_reply(const uint8_t *d, size_t len, const char **why, void *ctx)
{
    const app *a = ctx;
    if (len < 3) return 0;
    size_t need = (d[1] & 0x80) ? 5 : 3u + d[2] + 2u;
    if (len < need) return 0;
    if (crc16_modbus(d, need - 2) != (uint16_t)(d[need - 2] | d[need - 1] << 8)) {
        *why = "bad CRC";
        return ASER_EPROTO;
    }
    if (d[0] != a->slave || (d[1] & 0x7F) != 3) {
        *why = "reply from another slave or to another function";
        return ASER_EPROTO;
    }
    return (ssize_t)need;
}

static void next_round(app *a, aser_port *p);

static void on_reply(aser_port *p, int status, const uint8_t *d, size_t len, void *ctx)
{
    app *a = ctx;
    const char *why = NULL;
    if (status == 0 && a->idle && match_reply(d, len, &why, a) != (ssize_t)len) {
        status = ASER_EPROTO; /* the frame is not exactly one good reply */
        if (!why) why = "frame length does not match the reply";
    }
    printf("round %u: ", a->round);
    if (why) {
        a->failures++;
        printf("ASER_EPROTO: bad reply in an idle-framed frame of %zu bytes: %s\n", len, why);
    } else if (status < 0) {
        a->failures++;
        const char *msg = aser_port_errmsg(p);
        printf("%s: %s\n", aser_err_name(status), msg && *msg ? msg : aser_strerror(status));
    } else if (d[1] & 0x80) {
        a->failures++;
        printf("exception %u from slave %u\n", d[2], d[0]);
    } else {
        printf("slave %u registers %u..%u:", d[0], a->addr, a->addr + d[2] / 2 - 1);
        for (size_t i = 3; i + 1 < len - 2; i += 2) printf(" %u", d[i] << 8 | d[i + 1]);
        printf("\n");
    }
    next_round(a, p);
}

static void next_round(app *a, aser_port *p)
{
    if (a->round == a->rounds) {
        aser_close(p);
        return;
    }
    a->round++;
    uint8_t req[8] = {
        a->slave,         3, (uint8_t)(a->addr >> 8), (uint8_t)a->addr, (uint8_t)(a->count >> 8),
        (uint8_t)a->count};
    uint16_t crc = crc16_modbus(req, 6);
    req[6] = (uint8_t)crc;
    req[7] = (uint8_t)(crc >> 8);
    aser_query_opts o = {.timeout_ms = 1000, .match = match_reply, .match_ctx = a, .max = 256};
    if (a->idle) { /* the reply ends with the line's silence */
        o.match = NULL;
        o.framer = &a->framer;
    }
    int rc = aser_query(p, req, sizeof req, &o, on_reply, a);
    if (rc < 0) {
        const char *msg = aser_port_errmsg(p);
        printf("query: %s\n", msg && *msg ? msg : aser_strerror(rc));
        a->failures++;
        aser_close(p);
    }
}

/* Endpoints whose bytes cross a network: the gaps between them are not
 * the line's (aser_framer(3)). */
static int over_network(const char *url)
{
    static const char *const nets[] = {"tcp://", "tcp+tls://", "rfc2217://", "rfc2217+tls://",
                                       "ws://",  "wss://",     "mqtt://",    "mqtts://"};
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++)
        if (strncmp(url, nets[i], strlen(nets[i])) == 0) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr,
                "usage: modbus_rtu PORT [SLAVE [ADDR [COUNT [ROUNDS [idle]]]]]\n"
                "  reads COUNT holding registers from ADDR of SLAVE (17, 0, 10), ROUNDS times\n"
                "  (1); idle: end each reply at 3.5 characters of silence instead of sizing\n"
                "  it by its byte count. Exits 1 if any round failed. A peer without\n"
                "  hardware: libmodbus's RTU server (Debian libmodbus-dev), as in\n"
                "  test/modbus/modbus-peer.c on one end of `aserial pair`.\n");
        return 2;
    }
    app a = {.slave = (uint8_t)(argc > 2 ? atoi(argv[2]) : 17),
             .addr = (uint16_t)(argc > 3 ? atoi(argv[3]) : 0),
             .count = argc > 4 ? (unsigned)atoi(argv[4]) : 10,
             .rounds = argc > 5 ? (unsigned)atoi(argv[5]) : 1,
             .idle = argc > 6 && strcmp(argv[6], "idle") == 0};
    if (a.count < 1 || a.count > 125) {
        fprintf(stderr, "modbus_rtu: COUNT must be 1..125 (Modbus limit)\n");
        return 2;
    }
    aser_config cfg = ASER_CONFIG_DEFAULT;
    cfg.baud = 9600;
    if (a.idle && aser_framer_modbus_rtu(&a.framer, &cfg) < 0) return 2;
    if (a.idle && over_network(argv[1]))
        fprintf(stderr,
                "modbus_rtu: warning: \"idle\" frames replies by the silence after them, which "
                "%s does not keep (a network server may hand a reply over in pieces); without "
                "\"idle\" each reply is sized by its byte count and checked by its CRC\n",
                argv[1]);
    aser_err err;
    aser_port *p;
    if (aser_loop_new(&a.loop) < 0) return 1;
    if (aser_open(a.loop, argv[1], &cfg, &p, &err) < 0) {
        fprintf(stderr, "modbus_rtu: %s\n", err.msg);
        aser_loop_free(a.loop);
        return 1;
    }
    next_round(&a, p);
    aser_loop_run(a.loop);
    aser_loop_free(a.loop);
    printf("modbus_rtu: %u rounds, %d failed\n", a.rounds, a.failures);
    return a.failures ? 1 : 0;
}
