/* test-rfc2217.c: the COM-PORT-OPTION codec (RFC 2217), src/codec/rfc2217.c.
 *
 * Inputs are fed whole, one byte at a time and split at every offset, and
 * the event logs must match. Log tokens (DATA and SEND runs merged):
 *   D<hex> data   S<hex> to send   O<opt><L|R><0|1> option settled
 *   P<cmd>,<reply>,<value>,<flags>:<hex>   COM-PORT command or reply
 *   U<opt>,<cmd>:<hex>   unknown   C<cmd> telnet command   E<code> error
 */
#include "codec/rfc2217.h"

#include "internal.h"
#include "../test.h"

#include <stdarg.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- recorder ----------------------------------------------------------- */

typedef struct rec {
    char log[1 << 16];
    size_t n;
    int last;
    uint8_t data[1 << 14];
    size_t ndata;
    uint8_t sent[1 << 14];
    size_t nsent;
    aser_rfc2217_event ev;              /* the last COMPORT or UNKNOWN event; */
    uint8_t evdata[ASER_TELNET_SB_MAX]; /* ev.data points here */
    int comports;
} rec;

#include "codec-test.h"

/* Keep a copy of ev: its data is valid only during the handler. */
static void keep(rec *r, const aser_rfc2217_event *ev)
{
    CHECK(ev->len <= sizeof r->evdata);
    r->ev = *ev;
    if (ev->len) memcpy(r->evdata, ev->data, ev->len);
    r->ev.data = r->evdata;
}

static void record(rec *r, const aser_rfc2217_event *ev)
{
    bool merge = (int)ev->type == r->last &&
                 (ev->type == ASER_RFC2217_EV_DATA || ev->type == ASER_RFC2217_EV_SEND);
    if (!merge && r->n) logf_(r, " ");
    r->last = (int)ev->type;
    switch (ev->type) {
    case ASER_RFC2217_EV_DATA:
        logf_(r, "%s", merge ? "" : "D");
        log_hex(r, ev->data, ev->len);
        append(r->data, &r->ndata, sizeof r->data, ev->data, ev->len);
        break;
    case ASER_RFC2217_EV_SEND:
        logf_(r, "%s", merge ? "" : "S");
        log_hex(r, ev->data, ev->len);
        append(r->sent, &r->nsent, sizeof r->sent, ev->data, ev->len);
        break;
    case ASER_RFC2217_EV_OPTION:
        logf_(r, "O%u%c%d", ev->opt, ev->side == ASER_TELNET_LOCAL ? 'L' : 'R', ev->enabled);
        break;
    case ASER_RFC2217_EV_COMPORT:
        logf_(r, "P%u,%d,%u,%u:", ev->cmd, ev->reply, ev->value, ev->flags);
        log_hex(r, ev->data, ev->len);
        keep(r, ev);
        r->comports++;
        break;
    case ASER_RFC2217_EV_UNKNOWN:
        CHECK(ev->msg && *ev->msg);
        logf_(r, "U%u,%u:", ev->opt, ev->cmd);
        log_hex(r, ev->data, ev->len);
        keep(r, ev);
        break;
    case ASER_RFC2217_EV_TELNET_CMD: logf_(r, "C%u", ev->cmd); break;
    case ASER_RFC2217_EV_ERROR:
        CHECK(ev->msg && *ev->msg);
        logf_(r, "E%d", ev->code);
        break;
    }
}

static void on_event(aser_rfc2217 *c, const aser_rfc2217_event *ev, void *ud)
{
    (void)c;
    record(ud, ev);
}

static void rec_clear(rec *r)
{
    memset(r, 0, sizeof *r);
    r->last = -1;
}

#define IAC 255
#define SB 250
#define SE 240
#define WILL 251
#define DO 253

/* A codec in role, with COM-PORT-OPTION enabled when active (the peer's
 * DO for a client, WILL for a server), logging into r (emptied). */
static void codec_reset(aser_rfc2217 *c, rec *r, aser_rfc2217_role role, bool active)
{
    aser__rfc2217_init(c, role, on_event, r);
    if (active) {
        const uint8_t yes[] = {IAC, role == ASER_RFC2217_CLIENT ? DO : WILL, 44};
        aser__rfc2217_recv(c, yes, sizeof yes);
        CHECK(aser__rfc2217_active(c));
    }
    rec_clear(r);
}

static rec *codec_new(aser_rfc2217 *c, aser_rfc2217_role role, bool active)
{
    rec *r = calloc(1, sizeof *r);
    CHECK(r);
    codec_reset(c, r, role, active);
    return r;
}


/* Feed in whole, byte by byte and cut in two at every offset, from memory
 * that ends at an unreadable page; the logs must agree. Returns the
 * whole-feed recorder (free it). */
static rec *feed_all_ways(aser_rfc2217_role role, bool active, const uint8_t *src, size_t n)
{
    void *map;
    size_t maplen;
    const uint8_t *in = guarded(src, n, &map, &maplen);
    aser_rfc2217 c;
    rec *whole = codec_new(&c, role, active);
    aser__rfc2217_recv(&c, in, n);
    rec *r = codec_new(&c, role, active);
    for (size_t i = 0; i < n; i++) aser__rfc2217_recv(&c, in + i, 1);
    CHECK_STR(r->log, whole->log);
    for (size_t cut = 1; n <= 400 && cut < n; cut++) {
        codec_reset(&c, r, role, active);
        aser__rfc2217_recv(&c, in, cut);
        aser__rfc2217_recv(&c, in + cut, n - cut);
        CHECKM(strcmp(r->log, whole->log) == 0, "cut %zu: %s != %s", cut, r->log, whole->log);
    }
    free(r);
    munmap(map, maplen);
    return whole;
}

#define EXPECT(role, expected, ...)                           \
    do {                                                      \
        static const uint8_t in_[] = {__VA_ARGS__};           \
        rec *r_ = feed_all_ways(role, true, in_, sizeof in_); \
        CHECK_STR(r_->log, expected);                         \
        free(r_);                                             \
    } while (0)

#define CLIENT ASER_RFC2217_CLIENT
#define SERVER ASER_RFC2217_SERVER

/* ---- negotiation ---------------------------------------------------------- */

TEST(rfc2217, start_client_and_server)
{
    aser_rfc2217 c;
    rec *r = codec_new(&c, CLIENT, false);
    aser__rfc2217_start(&c);
    CHECK_STR(r->log, "Sfffb00fffd00fffb03fffd03fffb2c");
    codec_reset(&c, r, SERVER, false);
    aser__rfc2217_start(&c);
    CHECK_STR(r->log, "Sfffb00fffd00fffb03fffd03fffd2c");
    free(r);
}

TEST(rfc2217, policy_refuses_echo_accepts_comport)
{
    EXPECT(SERVER, "Sfffc01fffb2c O44L1", IAC, DO, 1, IAC, DO, 44);
    EXPECT(CLIENT, "Sfffe01", IAC, WILL, 1);
}

/* A client and a server wired together, pumping SEND events across. */
typedef struct link {
    aser_rfc2217 cl, sv;
    rec *rc, *rs;
} link_t;

static void link_pump(link_t *l)
{
    for (int i = 0; i < 50 && (l->rc->nsent || l->rs->nsent); i++) {
        uint8_t buf[1 << 14];
        size_t n = l->rc->nsent;
        memcpy(buf, l->rc->sent, n);
        l->rc->nsent = 0;
        aser__rfc2217_recv(&l->sv, buf, n);
        n = l->rs->nsent;
        memcpy(buf, l->rs->sent, n);
        l->rs->nsent = 0;
        aser__rfc2217_recv(&l->cl, buf, n);
    }
    CHECK_EQ(l->rc->nsent + l->rs->nsent, 0);
}

TEST(rfc2217, client_server_handshake)
{
    link_t *l = calloc(1, sizeof *l);
    CHECK(l);
    l->rc = codec_new(&l->cl, CLIENT, false);
    l->rs = codec_new(&l->sv, SERVER, false);
    aser__rfc2217_start(&l->cl);
    aser__rfc2217_start(&l->sv);
    link_pump(l);
    CHECK(aser__rfc2217_active(&l->cl) && aser__rfc2217_active(&l->sv));
    aser_telnet *tc = aser__rfc2217_telnet(&l->cl);
    CHECK(aser__telnet_enabled(tc, ASER_TNOPT_BINARY, ASER_TELNET_LOCAL));
    CHECK(aser__telnet_enabled(tc, ASER_TNOPT_BINARY, ASER_TELNET_REMOTE));
    CHECK(aser__telnet_enabled(tc, ASER_TNOPT_COMPORT, ASER_TELNET_LOCAL));
    CHECK_CONTAINS(l->rc->log, "O44L1");
    CHECK_CONTAINS(l->rs->log, "O44R1");
    free(l->rc);
    free(l->rs);
    free(l);
}

/* ---- every command, encoded and decoded -------------------------------------- */

static const struct {
    uint8_t cmd;
    uint32_t value;
    const char *wire; /* payload after IAC SB 44, client form, IAC doubled */
} commands[] = {
    {ASER_CPO_SIGNATURE, 0, "00"},
    {ASER_CPO_SET_BAUDRATE, 9600, "0100002580"},
    {ASER_CPO_SET_BAUDRATE, 0, "0100000000"},
    {ASER_CPO_SET_BAUDRATE, 0xFFFFFFFFu, "01ffffffffffffffff"},
    {ASER_CPO_SET_BAUDRATE, 0x01C2FF00u, "0101c2ffff00"},
    {ASER_CPO_SET_DATASIZE, 7, "0207"},
    {ASER_CPO_SET_PARITY, ASER_CPO_PARITY_EVEN, "0303"},
    {ASER_CPO_SET_STOPSIZE, ASER_CPO_STOP_1_5, "0403"},
    {ASER_CPO_SET_CONTROL, ASER_CPO_CTL_DTR_ON, "0508"},
    {ASER_CPO_SET_CONTROL, ASER_CPO_CTL_FLOW_DSR, "0513"},
    {ASER_CPO_NOTIFY_LINESTATE, ASER_CPO_LS_BREAK | ASER_CPO_LS_DATA_READY, "0611"},
    {ASER_CPO_NOTIFY_MODEMSTATE, 0xFF, "07ffff"},
    {ASER_CPO_FLOWCONTROL_SUSPEND, 0, "08"},
    {ASER_CPO_FLOWCONTROL_RESUME, 0, "09"},
    {ASER_CPO_SET_LINESTATE_MASK, 0x1e, "0a1e"},
    {ASER_CPO_SET_MODEMSTATE_MASK, 0xff, "0bffff"},
    {ASER_CPO_PURGE_DATA, ASER_CPO_PURGE_BOTH, "0c03"},
};

static void hex(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = 0;
}

/* Encode every command in role, check the bytes, feed them to the other
 * role every way and check the decoded event. */
static void every_command(aser_rfc2217_role role)
{
    aser_rfc2217 c;
    rec *r = codec_new(&c, role, true);
    for (size_t i = 0; i < ASER_ARRAY_LEN(commands); i++) {
        rec_clear(r);
        CHECK_EQ(aser__rfc2217_send(&c, commands[i].cmd, commands[i].value), 0);
        char want[64], got[64];
        snprintf(want, sizeof want, "fffa2c%02x%sfff0",
                 commands[i].cmd + (role == SERVER ? 100 : 0), commands[i].wire + 2);
        hex(got, r->sent, r->nsent);
        CHECK_STR(got, want);
        rec *d = feed_all_ways(role == SERVER ? CLIENT : SERVER, true, r->sent, r->nsent);
        CHECKM(d->comports == 1, "%s: %s", want, d->log);
        CHECK_EQ(d->ev.cmd, commands[i].cmd);
        CHECK_EQ(d->ev.reply, role == SERVER);
        CHECK_EQ(d->ev.value, commands[i].value);
        CHECK_EQ(d->ev.flags, 0);
        free(d);
    }
    free(r);
}

TEST(rfc2217, every_command_client_to_server)
{
    every_command(CLIENT);
}

TEST(rfc2217, every_command_server_to_client)
{
    every_command(SERVER);
}

TEST(rfc2217, decoded_events_exact)
{
    EXPECT(SERVER, "P1,0,115200,0:0001c200", IAC, SB, 44, 1, 0, 1, 0xc2, 0, IAC, SE);
    EXPECT(CLIENT, "P3,1,2,0:02", IAC, SB, 44, 103, 2, IAC, SE);
    EXPECT(CLIENT, "P7,1,48,0:30 D41", IAC, SB, 44, 107, 0x30, IAC, SE, 'A');
    EXPECT(CLIENT, "P12,1,3,0:03", IAC, SB, 44, 112, 3, IAC, SE);
}

TEST(rfc2217, signature_text)
{
    aser_rfc2217 c;
    rec *r = codec_new(&c, SERVER, true);
    static const char sig[] = "aserial 0.1 \xff port";
    CHECK_EQ(aser__rfc2217_send_signature(&c, sig, sizeof sig - 1), 0);
    rec *d = feed_all_ways(CLIENT, true, r->sent, r->nsent);
    CHECK_EQ(d->ev.type, ASER_RFC2217_EV_COMPORT);
    CHECK_EQ(d->ev.cmd, ASER_CPO_SIGNATURE);
    CHECK(d->ev.reply);
    CHECK_EQ(d->ev.len, sizeof sig - 1);
    CHECK_MEM(d->ev.data, sig, sizeof sig - 1);
    free(d);
    /* the empty request, and the limits */
    rec_clear(r);
    CHECK_EQ(aser__rfc2217_send_signature(&c, NULL, 0), 0);
    CHECK_STR(r->log, "Sfffa2c64fff0");
    static char big[ASER_TELNET_SB_MAX];
    memset(big, 'x', sizeof big);
    CHECK_EQ(aser__rfc2217_send_signature(&c, big, sizeof big - 1), 0);
    CHECK_EQ(aser__rfc2217_send_signature(&c, big, sizeof big), ASER_EINVAL);
    free(r);
}

TEST(rfc2217, send_refused_when_inactive_or_invalid)
{
    aser_rfc2217 c;
    rec *r = codec_new(&c, CLIENT, false);
    CHECK_EQ(aser__rfc2217_send(&c, ASER_CPO_SET_BAUDRATE, 9600), ASER_ENOTSUP);
    CHECK_EQ(aser__rfc2217_send_signature(&c, "x", 1), ASER_ENOTSUP);
    codec_reset(&c, r, CLIENT, true);
    CHECK_EQ(aser__rfc2217_send(&c, 13, 0), ASER_EINVAL);
    CHECK_EQ(aser__rfc2217_send(&c, ASER_CPO_SET_DATASIZE, 256), ASER_EINVAL);
    CHECK_EQ(aser__rfc2217_send(&c, ASER_CPO_FLOWCONTROL_SUSPEND, 1), ASER_EINVAL);
    CHECK_EQ(aser__rfc2217_send(&c, ASER_CPO_SIGNATURE, 1), ASER_EINVAL);
    CHECK_EQ(r->nsent, 0);
    free(r);
}

/* ---- tolerance ---------------------------------------------------------------- */

TEST(rfc2217, cisco_and_short_baud_replies)
{
    /* 1 byte: Cisco IOS index (8 = 9600); unknown index: 0 */
    EXPECT(CLIENT, "P1,1,9600,5:08 D41", IAC, SB, 44, 101, 8, IAC, SE, 'A');
    EXPECT(CLIENT, "P1,1,0,5:63", IAC, SB, 44, 101, 99, IAC, SE);
    /* 2 and 3 bytes: a short big-endian rate */
    EXPECT(CLIENT, "P1,1,9600,1:2580", IAC, SB, 44, 101, 0x25, 0x80, IAC, SE);
    EXPECT(CLIENT, "P1,1,115200,1:01c200", IAC, SB, 44, 101, 1, 0xc2, 0, IAC, SE);
    /* no value, and 8 bytes (sredird): first four count */
    EXPECT(CLIENT, "P1,1,0,1:", IAC, SB, 44, 101, IAC, SE);
    EXPECT(CLIENT, "P1,1,9600,2:0000258000000000", IAC, SB, 44, 101, 0, 0, 0x25, 0x80, 0, 0, 0, 0,
           IAC, SE);
    /* other commands: short and long values */
    EXPECT(CLIENT, "P5,1,0,1:", IAC, SB, 44, 105, IAC, SE);
    EXPECT(CLIENT, "P5,1,8,2:0809", IAC, SB, 44, 105, 8, 9, IAC, SE);
    EXPECT(SERVER, "P8,0,0,2:01", IAC, SB, 44, 8, 1, IAC, SE);
}

TEST(rfc2217, server_answers_cisco_client_in_kind)
{
    aser_rfc2217 c;
    rec *r = codec_new(&c, SERVER, true);
    static const uint8_t in[] = {IAC, SB, 44, 1, 14, IAC, SE};
    aser__rfc2217_recv(&c, in, sizeof in);
    CHECK_STR(r->log, "P1,0,115200,5:0e");
    rec_clear(r);
    CHECK_EQ(aser__rfc2217_send(&c, ASER_CPO_SET_BAUDRATE, 115200), 0);
    CHECK_EQ(aser__rfc2217_send(&c, ASER_CPO_SET_BAUDRATE, 12345), 0);
    CHECK_STR(r->log, "Sfffa2c650efff0fffa2c6500fff0");
    free(r);
}

TEST(rfc2217, unknown_commands_and_directions)
{
    EXPECT(SERVER, "U44,13:0d01 D41", IAC, SB, 44, 13, 1, IAC, SE, 'A');
    EXPECT(SERVER, "U44,99:63", IAC, SB, 44, 99, IAC, SE);
    EXPECT(CLIENT, "U44,113:71", IAC, SB, 44, 113, IAC, SE);
    EXPECT(CLIENT, "U44,255:ff00", IAC, SB, 44, IAC, IAC, 0, IAC, SE);
    EXPECT(CLIENT, "U44,0:", IAC, SB, 44, IAC, SE);
    /* the wrong direction */
    EXPECT(CLIENT, "U44,1:0100002580", IAC, SB, 44, 1, 0, 0, 0x25, 0x80, IAC, SE);
    EXPECT(SERVER, "U44,101:6500002580", IAC, SB, 44, 101, 0, 0, 0x25, 0x80, IAC, SE);
    /* FLOWCONTROL-SUSPEND/RESUME: both forms, both roles (pyserial uses 8/9) */
    EXPECT(CLIENT, "P8,0,0,0: P9,1,0,0:", IAC, SB, 44, 8, IAC, SE, IAC, SB, 44, 109, IAC, SE);
    EXPECT(SERVER, "P8,1,0,0: P9,0,0,0:", IAC, SB, 44, 108, IAC, SE, IAC, SB, 44, 9, IAC, SE);
    /* another option's subnegotiation, telnet commands */
    EXPECT(CLIENT, "U24,1:01 C243 C241", IAC, SB, 24, 1, IAC, SE, IAC, 243, IAC, 241);
}

TEST(rfc2217, unnegotiated_is_flagged)
{
    static const uint8_t in[] = {IAC, SB, 44, 107, 0x30, IAC, SE};
    rec *r = feed_all_ways(CLIENT, false, in, sizeof in);
    CHECK_STR(r->log, "P7,1,48,8:30");
    free(r);
}

TEST(rfc2217, overflow_and_errors_do_not_break_the_stream)
{
    static uint8_t in[2000];
    size_t n = 0;
    in[n++] = IAC, in[n++] = SB, in[n++] = 44, in[n++] = 100;
    for (int i = 0; i < 1000; i++) in[n++] = 'x';
    in[n++] = IAC, in[n++] = SE;
    in[n++] = 'o', in[n++] = 'k';
    in[n++] = IAC, in[n++] = 'z';
    in[n++] = IAC, in[n++] = SB, in[n++] = 44, in[n++] = 106, in[n++] = 1, in[n++] = IAC;
    in[n++] = SE;
    rec *r = feed_all_ways(CLIENT, true, in, n);
    CHECK_STR(r->log, "E-105 D6f6b E-71 P6,1,1,0:01");
    free(r);
}

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

TEST(rfc2217, garbage_every_way)
{
    uint32_t seed = 7;
    for (int round = 0; round < 30; round++) {
        uint8_t in[300];
        for (size_t i = 0; i < sizeof in; i++) {
            uint32_t x = rnd(&seed);
            uint8_t pick[] = {IAC, SB, SE, 44, 101, 1, WILL, DO, (uint8_t)(x >> 16)};
            in[i] = pick[(x >> 8) % sizeof pick];
        }
        free(feed_all_ways(round & 1 ? CLIENT : SERVER, round & 2, in, sizeof in));
    }
}

TEST(rfc2217, data_all_256_values_both_ways)
{
    uint8_t all[256];
    for (unsigned v = 0; v < 256; v++) all[v] = (uint8_t)v;
    aser_rfc2217 c;
    rec *r = codec_new(&c, CLIENT, true);
    aser__rfc2217_send_data(&c, all, sizeof all);
    CHECK_EQ(r->nsent, 257);
    rec *d = feed_all_ways(SERVER, true, r->sent, r->nsent);
    CHECK_EQ(d->ndata, 256);
    CHECK_MEM(d->data, all, 256);
    free(d);
    free(r);
}

/* ---- a server answering from its handler, a client recording replies ---- */

typedef struct peer {
    rec r;
    aser_config cfg;
    int applied, refused;
} peer;

static void server_handler(aser_rfc2217 *c, const aser_rfc2217_event *ev, void *ud)
{
    peer *p = ud;
    record(&p->r, ev);
    if (ev->type != ASER_RFC2217_EV_COMPORT || ev->cmd == ASER_CPO_SIGNATURE) return;
    int rc = aser__rfc2217_config_apply(&p->cfg, ev->cmd, ev->value);
    if (rc < 0) p->refused++;
    /* answer with the value now in use: the config's for settings */
    uint32_t v = ev->value;
    aser_rfc2217_control ctl = {.kind = ASER_CPO_KIND_FLOW};
    if (ev->cmd == ASER_CPO_SET_CONTROL) aser__rfc2217_control_parse(ev->value, &ctl);
    bool setting = ctl.kind == ASER_CPO_KIND_FLOW || ctl.kind == ASER_CPO_KIND_INFLOW;
    if (!setting || aser__rfc2217_config_value(&p->cfg, ev->cmd, &v) < 0) v = ev->value;
    CHECK_EQ(aser__rfc2217_send(c, ev->cmd, v), 0); /* the value now in use */
}

static void client_handler(aser_rfc2217 *c, const aser_rfc2217_event *ev, void *ud)
{
    peer *p = ud;
    (void)c;
    record(&p->r, ev);
    if (ev->type == ASER_RFC2217_EV_COMPORT && ev->reply)
        p->applied += aser__rfc2217_config_apply(&p->cfg, ev->cmd, ev->value) > 0;
}

static void peer_pump(aser_rfc2217 *cl, peer *pc, aser_rfc2217 *sv, peer *ps)
{
    for (int i = 0; i < 20 && (pc->r.nsent || ps->r.nsent); i++) {
        uint8_t buf[1 << 14];
        size_t n = pc->r.nsent;
        memcpy(buf, pc->r.sent, n);
        pc->r.nsent = 0;
        aser__rfc2217_recv(sv, buf, n);
        n = ps->r.nsent;
        memcpy(buf, ps->r.sent, n);
        ps->r.nsent = 0;
        aser__rfc2217_recv(cl, buf, n);
    }
}

TEST(rfc2217, client_configures_server_through_codecs)
{
    aser_rfc2217 cl, sv;
    peer *pc = calloc(1, sizeof *pc), *ps = calloc(1, sizeof *ps);
    CHECK(pc && ps);
    aser_config def = ASER_CONFIG_DEFAULT;
    pc->cfg = ps->cfg = def;
    aser__rfc2217_init(&cl, CLIENT, client_handler, pc);
    aser__rfc2217_init(&sv, SERVER, server_handler, ps);
    aser__rfc2217_start(&cl);
    aser__rfc2217_start(&sv);
    peer_pump(&cl, pc, &sv, ps);
    aser_config want = def;
    want.baud = 9600; /* "9600,7E2,xonxoff" */
    want.data_bits = 7;
    want.parity = ASER_PARITY_EVEN;
    want.stop_bits = ASER_STOP_2;
    want.flow = ASER_FLOW_XONXOFF;
    static const uint8_t cmds[] = {ASER_CPO_SET_BAUDRATE, ASER_CPO_SET_DATASIZE,
                                   ASER_CPO_SET_PARITY, ASER_CPO_SET_STOPSIZE,
                                   ASER_CPO_SET_CONTROL};
    for (size_t i = 0; i < sizeof cmds; i++) {
        uint32_t v;
        CHECK_EQ(aser__rfc2217_config_value(&want, cmds[i], &v), 0);
        CHECK_EQ(aser__rfc2217_send(&cl, cmds[i], v), 0);
    }
    CHECK_EQ(aser__rfc2217_send(&cl, ASER_CPO_SET_CONTROL, ASER_CPO_CTL_DTR_ON), 0);
    CHECK_EQ(aser__rfc2217_send(&cl, ASER_CPO_SET_CONTROL, ASER_CPO_CTL_FLOW_DCD), 0);
    peer_pump(&cl, pc, &sv, ps);
    CHECK_EQ(ps->refused, 1); /* DCD flow control: answered with what is in use */
    CHECK_EQ(pc->applied, 5);
    CHECK_EQ(ps->cfg.baud, 9600);
    CHECK_EQ(ps->cfg.data_bits, 7);
    CHECK_EQ(ps->cfg.parity, ASER_PARITY_EVEN);
    CHECK_EQ(ps->cfg.stop_bits, ASER_STOP_2);
    CHECK_EQ(ps->cfg.flow, ASER_FLOW_XONXOFF);
    CHECK(memcmp(&pc->cfg, &ps->cfg, sizeof pc->cfg) == 0);
    free(pc);
    free(ps);
}

/* ---- mapping helpers -------------------------------------------------------- */

TEST(rfc2217, parity_and_stop_mapping)
{
    static const aser_parity ps[] = {ASER_PARITY_NONE, ASER_PARITY_ODD, ASER_PARITY_EVEN,
                                     ASER_PARITY_MARK, ASER_PARITY_SPACE};
    for (int i = 0; i < 5; i++) {
        aser_parity back = ASER_PARITY_NONE;
        CHECK_EQ(aser__rfc2217_parity_to_wire(ps[i]), i + 1);
        CHECK_EQ(aser__rfc2217_parity_from_wire((uint32_t)i + 1, &back), 0);
        CHECK_EQ(back, ps[i]);
    }
    aser_parity p = ASER_PARITY_ODD;
    CHECK_EQ(aser__rfc2217_parity_from_wire(0, &p), ASER_EPROTO);
    CHECK_EQ(aser__rfc2217_parity_from_wire(6, &p), ASER_EPROTO);
    CHECK_EQ(p, ASER_PARITY_ODD);
    CHECK_EQ(aser__rfc2217_parity_to_wire((aser_parity)9), ASER_EINVAL);
    CHECK_EQ(aser__rfc2217_stop_to_wire(ASER_STOP_1), 1);
    CHECK_EQ(aser__rfc2217_stop_to_wire(ASER_STOP_2), 2);
    CHECK_EQ(aser__rfc2217_stop_to_wire(ASER_STOP_1_5), 3);
    CHECK_EQ(aser__rfc2217_stop_to_wire((aser_stopbits)12), ASER_EINVAL);
    aser_stopbits s = ASER_STOP_1;
    CHECK_EQ(aser__rfc2217_stop_from_wire(3, &s), 0);
    CHECK_EQ(s, ASER_STOP_1_5);
    CHECK_EQ(aser__rfc2217_stop_from_wire(4, &s), ASER_EPROTO);
    CHECK_EQ(s, ASER_STOP_1_5);
}

TEST(rfc2217, control_values_roundtrip)
{
    for (uint32_t v = 0; v < 20; v++) {
        aser_rfc2217_control ctl;
        CHECK_EQ(aser__rfc2217_control_parse(v, &ctl), 0);
        if (ctl.flow < 0) { /* DCD: no aser flow bits */
            CHECK_EQ(v, ASER_CPO_CTL_FLOW_DCD);
            continue;
        }
        CHECK_EQ(aser__rfc2217_control_value(&ctl), (int)v);
    }
    aser_rfc2217_control ctl;
    CHECK_EQ(aser__rfc2217_control_parse(20, &ctl), ASER_EPROTO);
    CHECK_EQ(aser__rfc2217_control_parse(8, &ctl), 0);
    CHECK(ctl.kind == ASER_CPO_KIND_DTR && ctl.on && !ctl.query);
    ctl = (aser_rfc2217_control){.kind = ASER_CPO_KIND_RTS, .on = false};
    CHECK_EQ(aser__rfc2217_control_value(&ctl), ASER_CPO_CTL_RTS_OFF);
    ctl = (aser_rfc2217_control){.kind = ASER_CPO_KIND_BREAK, .on = true};
    CHECK_EQ(aser__rfc2217_control_value(&ctl), ASER_CPO_CTL_BREAK_ON);
    ctl = (aser_rfc2217_control){.kind = ASER_CPO_KIND_FLOW,
                                 .flow = ASER_FLOW_RTSCTS | ASER_FLOW_XONXOFF};
    CHECK_EQ(aser__rfc2217_control_value(&ctl), ASER_ENOTSUP);
    ctl = (aser_rfc2217_control){.kind = ASER_CPO_KIND_INFLOW, .flow = ASER_FLOW_DTRDSR};
    CHECK_EQ(aser__rfc2217_control_value(&ctl), ASER_CPO_CTL_INFLOW_DTR);
}

TEST(rfc2217, config_value_and_apply)
{
    aser_config cfg = ASER_CONFIG_DEFAULT;
    uint32_t v;
    CHECK_EQ(aser__rfc2217_config_value(&cfg, ASER_CPO_SET_BAUDRATE, &v), 0);
    CHECK_EQ(v, 115200);
    CHECK_EQ(aser__rfc2217_config_value(&cfg, ASER_CPO_SET_DATASIZE, &v), 0);
    CHECK_EQ(v, 8);
    CHECK_EQ(aser__rfc2217_config_value(&cfg, ASER_CPO_SET_PARITY, &v), 0);
    CHECK_EQ(v, ASER_CPO_PARITY_NONE);
    CHECK_EQ(aser__rfc2217_config_value(&cfg, ASER_CPO_SET_STOPSIZE, &v), 0);
    CHECK_EQ(v, ASER_CPO_STOP_1);
    CHECK_EQ(aser__rfc2217_config_value(&cfg, ASER_CPO_SET_CONTROL, &v), 0);
    CHECK_EQ(v, ASER_CPO_CTL_FLOW_NONE);
    CHECK_EQ(aser__rfc2217_config_value(&cfg, ASER_CPO_PURGE_DATA, &v), ASER_EINVAL);
    cfg.flow = ASER_FLOW_RTSCTS;
    CHECK_EQ(aser__rfc2217_config_value(&cfg, ASER_CPO_SET_CONTROL, &v), 0);
    CHECK_EQ(v, ASER_CPO_CTL_FLOW_HARDWARE);
    cfg.flow = ASER_FLOW_RTSCTS | ASER_FLOW_XONXOFF;
    CHECK_EQ(aser__rfc2217_config_value(&cfg, ASER_CPO_SET_CONTROL, &v), ASER_ENOTSUP);

    aser_config c2 = ASER_CONFIG_DEFAULT, before;
    CHECK_EQ(aser__rfc2217_config_apply(&c2, ASER_CPO_SET_BAUDRATE, 0), 0); /* query */
    CHECK_EQ(aser__rfc2217_config_apply(&c2, ASER_CPO_SET_BAUDRATE, 115200), 0);
    CHECK_EQ(aser__rfc2217_config_apply(&c2, ASER_CPO_SET_BAUDRATE, 300), 1);
    CHECK_EQ(aser__rfc2217_config_apply(&c2, ASER_CPO_SET_STOPSIZE, 3), 1);
    CHECK_EQ(c2.stop_bits, ASER_STOP_1_5);
    CHECK_EQ(aser__rfc2217_config_apply(&c2, ASER_CPO_SET_CONTROL, 16), 1);
    CHECK_EQ(c2.flow, ASER_FLOW_RTSCTS);
    CHECK_EQ(aser__rfc2217_config_apply(&c2, ASER_CPO_SET_CONTROL, 8), 0); /* DTR on */
    before = c2;
    CHECK_EQ(aser__rfc2217_config_apply(&c2, ASER_CPO_SET_DATASIZE, 9), ASER_EPROTO);
    CHECK_EQ(aser__rfc2217_config_apply(&c2, ASER_CPO_SET_PARITY, 6), ASER_EPROTO);
    CHECK_EQ(aser__rfc2217_config_apply(&c2, ASER_CPO_SET_CONTROL, 17), ASER_ENOTSUP);
    CHECK_EQ(aser__rfc2217_config_apply(&c2, ASER_CPO_SET_CONTROL, 99), ASER_EPROTO);
    CHECK_EQ(aser__rfc2217_config_apply(&c2, ASER_CPO_NOTIFY_MODEMSTATE, 0x30), 0);
    CHECK(memcmp(&before, &c2, sizeof c2) == 0);
}

TEST(rfc2217, modem_lines_and_cisco_tables)
{
    CHECK_EQ(aser__rfc2217_modem_to_lines(0xF0),
             ASER_LINE_CTS | ASER_LINE_DSR | ASER_LINE_RI | ASER_LINE_CD);
    CHECK_EQ(aser__rfc2217_modem_to_lines(0x0F), 0);
    unsigned all = ASER_LINE_CTS | ASER_LINE_DSR | ASER_LINE_RI | ASER_LINE_CD;
    CHECK_EQ(aser__rfc2217_lines_to_modem(all, all), 0xF0);
    CHECK_EQ(aser__rfc2217_lines_to_modem(0, all), 0x0F);
    CHECK_EQ(aser__rfc2217_lines_to_modem(ASER_LINE_CTS, 0), 0x11);
    CHECK_EQ(aser__rfc2217_lines_to_modem(ASER_LINE_RI, 0), 0x40); /* leading edge */
    for (unsigned l = 0; l < 64; l++)
        CHECK_EQ(aser__rfc2217_modem_to_lines(aser__rfc2217_lines_to_modem(l, 0)), l & all);
    CHECK_EQ(aser__rfc2217_cisco_baud(8), 9600);
    CHECK_EQ(aser__rfc2217_cisco_baud(14), 115200);
    CHECK_EQ(aser__rfc2217_cisco_baud(0), 0);
    CHECK_EQ(aser__rfc2217_cisco_index(300), 3);
    CHECK_EQ(aser__rfc2217_cisco_index(12345), -1);
    CHECK_STR(aser__rfc2217_cmd_name(ASER_CPO_PURGE_DATA), "PURGE-DATA");
    CHECK_STR(aser__rfc2217_cmd_name(13), "?");
}
