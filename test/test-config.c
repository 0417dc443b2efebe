/* test-config.c: config strings, keys, validation and formatting. */
#include "aserial.h"
#include "test.h"

/* ---- helpers ------------------------------------------------------------ */

static aser_config dflt(void)
{
    aser_config c = ASER_CONFIG_DEFAULT;
    return c;
}

/* Field by field (the struct has padding, so no memcmp). */
static bool cfg_equal(const aser_config *a, const aser_config *b)
{
    return a->baud == b->baud && a->data_bits == b->data_bits && a->parity == b->parity &&
           a->stop_bits == b->stop_bits && a->flow == b->flow && a->exclusive == b->exclusive &&
           a->hupcl == b->hupcl && a->low_latency == b->low_latency && a->dtr == b->dtr &&
           a->rts == b->rts && a->rs485.enabled == b->rs485.enabled &&
           a->rs485.rts_on_send == b->rs485.rts_on_send &&
           a->rs485.rts_after_send == b->rs485.rts_after_send &&
           a->rs485.rx_during_tx == b->rs485.rx_during_tx &&
           a->rs485.delay_before_send_ms == b->rs485.delay_before_send_ms &&
           a->rs485.delay_after_send_ms == b->rs485.delay_after_send_ms &&
           a->read_buffer == b->read_buffer && a->write_high_water == b->write_high_water &&
           a->write_low_water == b->write_low_water;
}

/* Parse str onto the defaults; must succeed. */
static aser_config parse_ok(const char *str)
{
    aser_config c = dflt();
    aser_err e = {0, ""};
    int rc = aser_config_parse(&c, str, &e);
    CHECKM(rc == 0, "parse \"%s\" failed: %d %s", str, rc, e.msg);
    return c;
}

/* Parse str onto a non-default config; must fail with ASER_EBADCONFIG, leave
 * the config unchanged, and say `needle`. */
static void parse_bad(const char *str, const char *needle)
{
    aser_config c = dflt(), before;
    c.baud = 4800;
    c.parity = ASER_PARITY_ODD;
    c.flow = ASER_FLOW_XONXOFF;
    c.rs485.delay_after_send_ms = 7;
    before = c;
    aser_err e = {0, ""};
    int rc = aser_config_parse(&c, str, &e);
    CHECKM(rc == ASER_EBADCONFIG, "parse \"%s\": rc %d, want ASER_EBADCONFIG", str, rc);
    CHECK_EQ(e.code, ASER_EBADCONFIG);
    CHECK_CONTAINS(e.msg, needle);
    CHECKM(cfg_equal(&c, &before), "parse \"%s\" changed the config on error", str);
    /* Same result without an aser_err. */
    CHECK_EQ(aser_config_parse(&c, str, NULL), ASER_EBADCONFIG);
    CHECK(cfg_equal(&c, &before));
}

static void set_ok(aser_config *c, const char *key, const char *value)
{
    aser_err e = {0, ""};
    int rc = aser_config_set(c, key, value, &e);
    CHECKM(rc == 0, "set %s=%s failed: %d %s", key, value, rc, e.msg);
}

static void set_bad(const char *key, const char *value, const char *needle)
{
    aser_config c = dflt(), before = c;
    aser_err e = {0, ""};
    int rc = aser_config_set(&c, key, value, &e);
    CHECKM(rc == ASER_EBADCONFIG, "set %s=\"%s\": rc %d", key, value, rc);
    CHECK_EQ(e.code, ASER_EBADCONFIG);
    CHECK_CONTAINS(e.msg, needle);
    CHECKM(cfg_equal(&c, &before), "set %s=%s changed the config on error", key, value);
}

static void validate_bad(const aser_config *c, const char *needle)
{
    aser_err e = {0, ""};
    CHECK_EQ(aser_config_validate(c, &e), ASER_EBADCONFIG);
    CHECK_EQ(e.code, ASER_EBADCONFIG);
    CHECK_CONTAINS(e.msg, needle);
    CHECK_EQ(aser_config_validate(c, NULL), ASER_EBADCONFIG);
}

/* ---- defaults ----------------------------------------------------------- */

TEST(config, defaults)
{
    aser_config c = ASER_CONFIG_DEFAULT;
    CHECK_EQ(c.baud, 115200);
    CHECK_EQ(c.data_bits, 8);
    CHECK_EQ(c.parity, ASER_PARITY_NONE);
    CHECK_EQ(c.stop_bits, ASER_STOP_1);
    CHECK_EQ(c.flow, ASER_FLOW_NONE);
    CHECK(c.exclusive);
    CHECK(c.hupcl);
    CHECK_EQ(c.low_latency, ASER_LOWLAT_OFF);
    CHECK_EQ(c.dtr, ASER_LEVEL_KEEP);
    CHECK_EQ(c.rts, ASER_LEVEL_KEEP);
    CHECK(!c.rs485.enabled);
    CHECK_EQ(c.read_buffer, 4096);
    CHECK_EQ(c.write_high_water, 1u << 20);
    CHECK_EQ(aser_config_validate(&c, NULL), 0);
    char buf[64];
    CHECK_EQ(aser_config_format(&c, buf, sizeof buf), 10);
    CHECK_STR(buf, "115200,8N1");
}

TEST(config, empty_string_is_noop)
{
    aser_config c = dflt(), before;
    c.baud = 300;
    before = c;
    aser_err e = {0, ""};
    CHECK_EQ(aser_config_parse(&c, "", &e), 0);
    CHECK(cfg_equal(&c, &before));
    CHECK_EQ(aser_config_parse(&c, "   \t ", &e), 0);
    CHECK(cfg_equal(&c, &before));
    CHECK_EQ(aser_config_parse(&c, NULL, &e), 0);
    CHECK(cfg_equal(&c, &before));
}

TEST(config, null_arguments)
{
    aser_config c = dflt();
    aser_err e = {0, ""};
    CHECK_EQ(aser_config_parse(NULL, "9600", &e), ASER_EINVAL);
    CHECK_CONTAINS(e.msg, "cfg");
    CHECK_EQ(aser_config_set(NULL, "baud", "9600", &e), ASER_EINVAL);
    CHECK_EQ(aser_config_set(&c, NULL, "9600", &e), ASER_EINVAL);
    CHECK_CONTAINS(e.msg, "key");
    CHECK_EQ(aser_config_set(&c, "baud", NULL, &e), ASER_EINVAL);
    CHECK_CONTAINS(e.msg, "value");
    CHECK_EQ(aser_config_validate(NULL, &e), ASER_EINVAL);
    char buf[8] = "xxxxxxx";
    CHECK(aser_config_format(NULL, buf, sizeof buf) < 0);
    CHECK_STR(buf, "");
    CHECK(cfg_equal(&c, &(aser_config)ASER_CONFIG_DEFAULT));
}

/* ---- token kinds -------------------------------------------------------- */

TEST(config, baud_token)
{
    CHECK_EQ(parse_ok("9600").baud, 9600);
    CHECK_EQ(parse_ok("300").baud, 300);
    CHECK_EQ(parse_ok("1").baud, 1);
    CHECK_EQ(parse_ok("250000").baud, 250000); /* non-standard: BOTHER */
    CHECK_EQ(parse_ok("4294967295").baud, 4294967295u);
    CHECK_EQ(parse_ok("009600").baud, 9600);
    CHECK_EQ(parse_ok("  9600  ").baud, 9600);
    /* Only the baud changes. */
    aser_config c = parse_ok("9600"), d = dflt();
    d.baud = 9600;
    CHECK(cfg_equal(&c, &d));
    /* The last one wins. */
    CHECK_EQ(parse_ok("9600,19200").baud, 19200);
}

TEST(config, frame_tokens)
{
    aser_config c = parse_ok("7E1");
    CHECK_EQ(c.data_bits, 7);
    CHECK_EQ(c.parity, ASER_PARITY_EVEN);
    CHECK_EQ(c.stop_bits, ASER_STOP_1);
    CHECK_EQ(c.baud, 115200);
    c = parse_ok("8N2");
    CHECK_EQ(c.data_bits, 8);
    CHECK_EQ(c.parity, ASER_PARITY_NONE);
    CHECK_EQ(c.stop_bits, ASER_STOP_2);
    c = parse_ok("5O2");
    CHECK_EQ(c.data_bits, 5);
    CHECK_EQ(c.parity, ASER_PARITY_ODD);
    CHECK_EQ(c.stop_bits, ASER_STOP_2);
    c = parse_ok("6M1");
    CHECK_EQ(c.data_bits, 6);
    CHECK_EQ(c.parity, ASER_PARITY_MARK);
    c = parse_ok("7S2");
    CHECK_EQ(c.data_bits, 7);
    CHECK_EQ(c.parity, ASER_PARITY_SPACE);
    c = parse_ok("5N1.5");
    CHECK_EQ(c.data_bits, 5);
    CHECK_EQ(c.stop_bits, ASER_STOP_1_5);
}

TEST(config, frame_case_insensitive)
{
    static const struct {
        const char *s;
        aser_parity p;
    } cases[] = {
        {"8n1", ASER_PARITY_NONE}, {"8o1", ASER_PARITY_ODD},   {"8e1", ASER_PARITY_EVEN},
        {"8m1", ASER_PARITY_MARK}, {"8s1", ASER_PARITY_SPACE}, {"8O1", ASER_PARITY_ODD},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aser_config c = parse_ok(cases[i].s);
        CHECK_EQ(c.parity, cases[i].p);
        CHECK_EQ(c.data_bits, 8);
    }
    aser_config c = parse_ok("9600,7e1,RTSCTS,Parity=Odd,HUPCL=OFF");
    CHECK_EQ(c.parity, ASER_PARITY_ODD);
    CHECK_EQ(c.flow, ASER_FLOW_RTSCTS);
    CHECK(!c.hupcl);
}

TEST(config, every_frame)
{
    const char *stops[] = {"1", "1.5", "2"};
    const aser_stopbits sv[] = {ASER_STOP_1, ASER_STOP_1_5, ASER_STOP_2};
    const char letters[] = "NOEMS";
    char tok[16];
    for (int bits = 5; bits <= 8; bits++)
        for (int p = 0; p < 5; p++)
            for (int s = 0; s < 3; s++) {
                snprintf(tok, sizeof tok, "%d%c%s", bits, letters[p], stops[s]);
                aser_config c = dflt();
                int rc = aser_config_parse(&c, tok, NULL);
                if (s == 1 && bits != 5) {
                    CHECKM(rc == ASER_EBADCONFIG, "%s should fail", tok);
                    continue;
                }
                CHECKM(rc == 0, "%s: %d", tok, rc);
                CHECK_EQ(c.data_bits, bits);
                CHECK_EQ(c.parity, p);
                CHECK_EQ(c.stop_bits, sv[s]);
            }
}

TEST(config, flow_words)
{
    CHECK_EQ(parse_ok("rtscts").flow, ASER_FLOW_RTSCTS);
    CHECK_EQ(parse_ok("xonxoff").flow, ASER_FLOW_XONXOFF);
    CHECK_EQ(parse_ok("dtrdsr").flow, ASER_FLOW_DTRDSR);
    CHECK_EQ(parse_ok("none").flow, ASER_FLOW_NONE);
    CHECK_EQ(parse_ok("rtscts,xonxoff").flow, ASER_FLOW_RTSCTS | ASER_FLOW_XONXOFF);
    CHECK_EQ(parse_ok("xonxoff,dtrdsr").flow, ASER_FLOW_XONXOFF | ASER_FLOW_DTRDSR);
    CHECK_EQ(parse_ok("rtscts,rtscts").flow, ASER_FLOW_RTSCTS);
    CHECK_EQ(parse_ok("XonXoff").flow, ASER_FLOW_XONXOFF);
    /* Naming flow replaces the old one; not naming it keeps it. */
    aser_config c = dflt();
    c.flow = ASER_FLOW_RTSCTS | ASER_FLOW_XONXOFF;
    CHECK_EQ(aser_config_parse(&c, "xonxoff", NULL), 0);
    CHECK_EQ(c.flow, ASER_FLOW_XONXOFF);
    CHECK_EQ(aser_config_parse(&c, "9600", NULL), 0);
    CHECK_EQ(c.flow, ASER_FLOW_XONXOFF);
    CHECK_EQ(aser_config_parse(&c, "none", NULL), 0);
    CHECK_EQ(c.flow, ASER_FLOW_NONE);
    /* A flow= key followed by words adds to it. */
    CHECK_EQ(parse_ok("flow=rtscts,xonxoff").flow, ASER_FLOW_RTSCTS | ASER_FLOW_XONXOFF);
    CHECK_EQ(parse_ok("xonxoff,flow=rtscts").flow, ASER_FLOW_RTSCTS);
}

TEST(config, combos)
{
    aser_config c = parse_ok("9600,7E1,rtscts");
    CHECK_EQ(c.baud, 9600);
    CHECK_EQ(c.data_bits, 7);
    CHECK_EQ(c.parity, ASER_PARITY_EVEN);
    CHECK_EQ(c.stop_bits, ASER_STOP_1);
    CHECK_EQ(c.flow, ASER_FLOW_RTSCTS);

    c = parse_ok("57600,8N2,xonxoff");
    CHECK_EQ(c.baud, 57600);
    CHECK_EQ(c.stop_bits, ASER_STOP_2);
    CHECK_EQ(c.flow, ASER_FLOW_XONXOFF);

    c = parse_ok("115200,8N1,dtr=off,rts=off,hupcl=off");
    CHECK_EQ(c.baud, 115200);
    CHECK_EQ(c.dtr, ASER_LEVEL_OFF);
    CHECK_EQ(c.rts, ASER_LEVEL_OFF);
    CHECK(!c.hupcl);
    CHECK(c.exclusive);

    /* Order does not matter; whitespace around tokens and '=' is fine. */
    c = parse_ok(" rtscts , 7E1 ,9600 ");
    CHECK_EQ(c.baud, 9600);
    CHECK_EQ(c.data_bits, 7);
    CHECK_EQ(c.flow, ASER_FLOW_RTSCTS);
    c = parse_ok("9600, parity = odd ,\tbuffer= 8192");
    CHECK_EQ(c.parity, ASER_PARITY_ODD);
    CHECK_EQ(c.read_buffer, 8192);

    /* Fields not named keep their value. */
    c = dflt();
    c.read_buffer = 100;
    c.dtr = ASER_LEVEL_ON;
    CHECK_EQ(aser_config_parse(&c, "9600,7E1", NULL), 0);
    CHECK_EQ(c.read_buffer, 100);
    CHECK_EQ(c.dtr, ASER_LEVEL_ON);
    CHECK_EQ(c.baud, 9600);
}

TEST(config, rs485_string)
{
    aser_config c = parse_ok("9600,8N1,rs485=on,rs485_rts_on_send=yes,"
                             "rs485_rts_after_send=0,rs485_rx_during_tx=true,"
                             "rs485_delay_before=5,rs485_delay_after=10000");
    CHECK(c.rs485.enabled);
    CHECK(c.rs485.rts_on_send);
    CHECK(!c.rs485.rts_after_send);
    CHECK(c.rs485.rx_during_tx);
    CHECK_EQ(c.rs485.delay_before_send_ms, 5);
    CHECK_EQ(c.rs485.delay_after_send_ms, 10000);
}

/* ---- aser_config_set, every key ----------------------------------------- */

TEST(config, set_baud_databits)
{
    aser_config c = dflt();
    set_ok(&c, "baud", "9600");
    CHECK_EQ(c.baud, 9600);
    set_ok(&c, "baud", "4294967295");
    CHECK_EQ(c.baud, 4294967295u);
    for (int b = 5; b <= 8; b++) {
        char v[4];
        snprintf(v, sizeof v, "%d", b);
        set_ok(&c, "databits", v);
        CHECK_EQ(c.data_bits, b);
    }
    set_bad("baud", "0", "invalid baud \"0\"");
    set_bad("baud", "", "invalid baud \"\"");
    set_bad("baud", "-9600", "positive integer");
    set_bad("baud", "96OO", "\"96OO\"");
    set_bad("baud", "4294967296", "\"4294967296\"");
    set_bad("baud", " 9600", "baud");
    set_bad("databits", "4", "invalid databits \"4\": use 5, 6, 7 or 8");
    set_bad("databits", "9", "databits");
    set_bad("databits", "eight", "\"eight\"");
}

TEST(config, set_parity_stopbits)
{
    static const char *const words[] = {"none", "odd", "even", "mark", "space"};
    aser_config c = dflt();
    for (int i = 0; i < 5; i++) {
        set_ok(&c, "parity", words[i]);
        CHECK_EQ(c.parity, i);
    }
    set_ok(&c, "parity", "EVEN");
    CHECK_EQ(c.parity, ASER_PARITY_EVEN);
    set_ok(&c, "stopbits", "2");
    CHECK_EQ(c.stop_bits, ASER_STOP_2);
    set_ok(&c, "stopbits", "1.5"); /* accepted here; validate checks the combination */
    CHECK_EQ(c.stop_bits, ASER_STOP_1_5);
    set_ok(&c, "stopbits", "1");
    CHECK_EQ(c.stop_bits, ASER_STOP_1);
    set_bad("parity", "evn", "invalid parity \"evn\": use none, odd, even, mark or space");
    set_bad("parity", "", "parity");
    set_bad("parity", "E", "none, odd, even, mark or space");
    set_bad("stopbits", "3", "invalid stopbits \"3\": use 1, 1.5 or 2");
    set_bad("stopbits", "1.0", "\"1.0\"");
    set_bad("stopbits", "15", "stopbits");
}

TEST(config, set_flow)
{
    aser_config c = dflt();
    set_ok(&c, "flow", "rtscts");
    CHECK_EQ(c.flow, ASER_FLOW_RTSCTS);
    set_ok(&c, "flow", "rtscts+xonxoff");
    CHECK_EQ(c.flow, ASER_FLOW_RTSCTS | ASER_FLOW_XONXOFF);
    set_ok(&c, "flow", "xonxoff+dtrdsr");
    CHECK_EQ(c.flow, ASER_FLOW_XONXOFF | ASER_FLOW_DTRDSR);
    set_ok(&c, "flow", "DTRDSR");
    CHECK_EQ(c.flow, ASER_FLOW_DTRDSR);
    set_ok(&c, "flow", "none");
    CHECK_EQ(c.flow, ASER_FLOW_NONE);
    set_bad("flow", "hardware", "invalid flow \"hardware\"");
    set_bad("flow", "hardware", "rtscts");
    set_bad("flow", "", "flow");
    set_bad("flow", "rtscts+", "\"rtscts+\"");
    set_bad("flow", "+rtscts", "\"+rtscts\"");
    set_bad("flow", "rtscts++xonxoff", "flow");
    set_bad("flow", "rtscts,xonxoff", "'+'");
    set_bad("flow", "none+rtscts", "none cannot be combined");
    set_bad("flow", "rtscts+dtrdsr", "rtscts and dtrdsr");
    set_bad("flow", "averyveryverylongflowword", "flow");
}

TEST(config, set_booleans)
{
    static const char *const keys[] = {
        "exclusive",         "hupcl", "rs485", "rs485_rts_on_send", "rs485_rts_after_send",
        "rs485_rx_during_tx"};
    static const char *const yes[] = {"on", "true", "yes", "1", "ON", "True", "YES"};
    static const char *const no[] = {"off", "false", "no", "0", "Off", "FALSE", "No"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        aser_config c = dflt();
        bool *f = k == 0   ? &c.exclusive
                  : k == 1 ? &c.hupcl
                  : k == 2 ? &c.rs485.enabled
                  : k == 3 ? &c.rs485.rts_on_send
                  : k == 4 ? &c.rs485.rts_after_send
                           : &c.rs485.rx_during_tx;
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
            set_ok(&c, keys[k], no[i]);
            CHECK(!*f);
            set_ok(&c, keys[k], yes[i]);
            CHECK(*f);
        }
        set_bad(keys[k], "maybe", "on/off, true/false, yes/no or 1/0");
        set_bad(keys[k], "2", keys[k]);
        set_bad(keys[k], "", "\"\"");
    }
}

TEST(config, set_enums)
{
    aser_config c = dflt();
    set_ok(&c, "lowlatency", "try");
    CHECK_EQ(c.low_latency, ASER_LOWLAT_TRY);
    set_ok(&c, "lowlatency", "strict");
    CHECK_EQ(c.low_latency, ASER_LOWLAT_STRICT);
    set_ok(&c, "lowlatency", "off");
    CHECK_EQ(c.low_latency, ASER_LOWLAT_OFF);
    set_bad("lowlatency", "on", "invalid lowlatency \"on\": use off, try or strict");
    static const char *const lines[] = {"dtr", "rts"};
    for (int k = 0; k < 2; k++) {
        aser_level *f = k == 0 ? &c.dtr : &c.rts;
        set_ok(&c, lines[k], "on");
        CHECK_EQ(*f, ASER_LEVEL_ON);
        set_ok(&c, lines[k], "off");
        CHECK_EQ(*f, ASER_LEVEL_OFF);
        set_ok(&c, lines[k], "keep");
        CHECK_EQ(*f, ASER_LEVEL_KEEP);
        set_bad(lines[k], "high", "keep, on or off");
        set_bad(lines[k], "high", lines[k]);
    }
}

TEST(config, set_numbers)
{
    aser_config c = dflt();
    set_ok(&c, "rs485_delay_before", "0");
    CHECK_EQ(c.rs485.delay_before_send_ms, 0);
    set_ok(&c, "rs485_delay_before", "10000");
    CHECK_EQ(c.rs485.delay_before_send_ms, 10000);
    set_ok(&c, "rs485_delay_after", "250");
    CHECK_EQ(c.rs485.delay_after_send_ms, 250);
    set_ok(&c, "buffer", "64");
    CHECK_EQ(c.read_buffer, 64);
    set_ok(&c, "buffer", "16777216");
    CHECK_EQ(c.read_buffer, 16777216);
    set_ok(&c, "high_water", "1");
    CHECK_EQ(c.write_high_water, 1);
    set_ok(&c, "high_water", "4294967295");
    CHECK_EQ(c.write_high_water, 4294967295u);
    set_bad("rs485_delay_before", "10001", "use 0 to 10000");
    set_bad("rs485_delay_after", "-1", "rs485_delay_after");
    set_bad("rs485_delay_after", "5ms", "\"5ms\"");
    set_bad("buffer", "63", "invalid buffer \"63\": use 64 to 16777216");
    set_bad("buffer", "16777217", "buffer");
    set_bad("high_water", "0", "invalid high_water \"0\"");
    set_bad("high_water", "4294967296", "high_water");
    c = dflt();
    CHECK_EQ(c.write_low_water, 0); /* default: a quarter of high water */
    set_ok(&c, "low_water", "4096");
    CHECK_EQ(c.write_low_water, 4096);
    set_ok(&c, "low_water", "0");
    CHECK_EQ(c.write_low_water, 0);
    set_bad("low_water", "-1", "low_water");
    set_bad("low_water", "lots", "below high_water");
    aser_config lw = dflt();
    aser_err e;
    CHECK_EQ(aser_config_parse(&lw, "high_water=1000,low_water=1000", &e), ASER_EBADCONFIG);
    CHECK_CONTAINS(e.msg, "write_low_water 1000 is not below write_high_water 1000");
    CHECK_EQ(lw.write_low_water, 0); /* unchanged on error */
    CHECK_EQ(aser_config_parse(&lw, "high_water=1000,low_water=999", &e), 0);
    CHECK_EQ(lw.write_low_water, 999);
}

TEST(config, set_unknown_key)
{
    set_bad("foo", "bar", "unknown config key \"foo\"");
    set_bad("foo", "bar", "baud, databits, parity");
    set_bad("foo", "bar", "high_water");
    set_bad("foo", "bar", "low_water");
    set_bad("foo", "bar", "rs485_ + rts_on_send"); /* the rs485_ keys, shortened to fit */
    set_bad("", "1", "unknown config key \"\"");
    set_bad("baudrate", "9600", "\"baudrate\"");
    /* A long key is cut, but the list of valid keys still fits. */
    set_bad("a_very_long_key_name_that_goes_on_and_on_and_on_and_on", "1",
            "buffer, high_water or low_water");
    aser_config c = dflt();
    set_ok(&c, "BAUD", "9600"); /* keys are case-insensitive */
    CHECK_EQ(c.baud, 9600);
}

/* ---- parse errors ------------------------------------------------------- */

TEST(config, parse_errors_tokens)
{
    parse_bad("abc", "unknown item \"abc\"");
    parse_bad("abc", "key=value");
    parse_bad("9600,9N1", "invalid data bits '9' in frame \"9N1\"");
    parse_bad("4N1", "\"4N1\"");
    parse_bad("8X1", "invalid parity 'X' in frame \"8X1\"");
    parse_bad("8N3", "invalid stop bits \"3\" in frame \"8N3\"");
    parse_bad("8N", "frame \"8N\"");
    parse_bad("8N1x", "\"8N1x\"");
    parse_bad("8N1.0", "\"8N1.0\"");
    parse_bad("96OO", "\"96OO\"");
    parse_bad("10N1", "\"10N1\"");
    parse_bad("9600baud", "\"9600baud\"");
    parse_bad("9600 8N1", "\"9600 8N1\"");
}

TEST(config, parse_errors_baud)
{
    parse_bad("0", "invalid baud rate \"0\"");
    parse_bad("00", "positive");
    parse_bad("-5", "invalid baud rate \"-5\"");
    parse_bad("+5", "\"+5\"");
    parse_bad("99999999999", "baud rate \"99999999999\" is too large");
    parse_bad("4294967296", "4294967295");
}

TEST(config, parse_errors_empty_tokens)
{
    parse_bad("9600,,8N1", "empty item 2");
    parse_bad("9600,,8N1", "9600,,8N1");
    parse_bad(",9600", "empty item 1");
    parse_bad("9600,", "empty item 2");
    parse_bad("9600, ,8N1", "empty item 2");
    parse_bad(",", "empty item 1");
}

TEST(config, parse_errors_pairs)
{
    parse_bad("baud=", "invalid baud \"\"");
    parse_bad("=5", "missing key in \"=5\"");
    parse_bad(" = ", "missing key");
    parse_bad("foo=bar", "unknown config key \"foo\"");
    parse_bad("parity=evn", "invalid parity \"evn\": use none, odd, even, mark or space");
    parse_bad("9600,8N1,hupcl=maybe", "invalid hupcl \"maybe\"");
    parse_bad("baud=0", "baud");
    parse_bad("buffer=1", "buffer");
    parse_bad("flow=rtscts+dtrdsr", "rtscts and dtrdsr");
    parse_bad("parity==odd", "\"=odd\"");
}

TEST(config, parse_errors_combinations)
{
    parse_bad("rtscts,dtrdsr", "rtscts and dtrdsr");
    parse_bad("rtscts,dtrdsr", "keep one");
    parse_bad("dtrdsr,xonxoff,rtscts", "rtscts and dtrdsr");
    parse_bad("flow=rtscts,dtrdsr", "rtscts and dtrdsr");
    parse_bad("none,rtscts", "\"none\" cannot be combined");
    parse_bad("rtscts,none", "\"none\" cannot be combined");
    parse_bad("8N1.5", "1.5 stop bits need 5 data bits");
    parse_bad("7E1.5", "not 7");
    parse_bad("5N1.5,databits=8", "1.5 stop bits");
    /* A valid token before a bad one is not applied either. */
    parse_bad("9600,7E1,rtscts,8X1", "8X1");
}

TEST(config, parse_combination_checked_at_end)
{
    /* Intermediate states may be invalid; only the result must be valid. */
    aser_config c = parse_ok("stopbits=1.5,databits=5");
    CHECK_EQ(c.stop_bits, ASER_STOP_1_5);
    CHECK_EQ(c.data_bits, 5);
    c = parse_ok("8N1.5,5N1.5");
    CHECK_EQ(c.data_bits, 5);
    c = parse_ok("rtscts,flow=dtrdsr");
    CHECK_EQ(c.flow, ASER_FLOW_DTRDSR);
}

TEST(config, parse_long_token)
{
    char s[400];
    memset(s, '9', sizeof s - 1);
    s[sizeof s - 1] = '\0';
    parse_bad(s, "too long");
    char t[400];
    snprintf(t, sizeof t, "9600,buffer=%0200d", 64);
    parse_bad(t, "item 2 is too long");
}

TEST(config, parse_validates_incoming)
{
    /* The result must be valid, even fields the string did not name. */
    aser_config c = dflt();
    c.read_buffer = 1;
    aser_err e = {0, ""};
    CHECK_EQ(aser_config_parse(&c, "9600", &e), ASER_EBADCONFIG);
    CHECK_CONTAINS(e.msg, "read_buffer 1");
    CHECK_EQ(c.baud, 115200);
    CHECK_EQ(aser_config_parse(&c, "9600,buffer=4096", &e), 0);
    CHECK_EQ(c.baud, 9600);
}

TEST(config, parse_error_null_err)
{
    aser_config c = dflt();
    CHECK_EQ(aser_config_parse(&c, "9600,bogus", NULL), ASER_EBADCONFIG);
    CHECK_EQ(c.baud, 115200);
}

/* ---- validate ----------------------------------------------------------- */

TEST(config, validate)
{
    aser_config c = dflt();
    CHECK_EQ(aser_config_validate(&c, NULL), 0);

    c = dflt(), c.baud = 0, validate_bad(&c, "baud rate 0");
    c = dflt(), c.data_bits = 4, validate_bad(&c, "data bits 4");
    c = dflt(), c.data_bits = 9, validate_bad(&c, "use 5, 6, 7 or 8");
    c = dflt(), c.parity = (aser_parity)5, validate_bad(&c, "parity 5");
    c = dflt(), c.parity = (aser_parity)-1, validate_bad(&c, "parity");
    c = dflt(), c.stop_bits = (aser_stopbits)2, validate_bad(&c, "stop bits 2");
    c = dflt(), c.stop_bits = ASER_STOP_1_5, validate_bad(&c, "5 data bits");
    c = dflt(), c.stop_bits = ASER_STOP_1_5, c.data_bits = 5;
    CHECK_EQ(aser_config_validate(&c, NULL), 0);
    c = dflt(), c.flow = 8, validate_bad(&c, "unknown bits 0x8");
    c = dflt(), c.flow = ASER_FLOW_RTSCTS | ASER_FLOW_DTRDSR;
    validate_bad(&c, "rtscts and dtrdsr");
    c = dflt(), c.flow = ASER_FLOW_RTSCTS | ASER_FLOW_XONXOFF;
    CHECK_EQ(aser_config_validate(&c, NULL), 0);
    c = dflt(), c.low_latency = (aser_low_latency)3, validate_bad(&c, "low_latency 3");
    c = dflt(), c.dtr = (aser_level)3, validate_bad(&c, "dtr 3");
    c = dflt(), c.rts = (aser_level)-2, validate_bad(&c, "rts -2");
    c = dflt(), c.read_buffer = 63, validate_bad(&c, "read_buffer 63");
    c = dflt(), c.read_buffer = 16u * 1024 * 1024 + 1, validate_bad(&c, "64 to 16777216");
    c = dflt(), c.read_buffer = 64;
    CHECK_EQ(aser_config_validate(&c, NULL), 0);
    c = dflt(), c.write_high_water = 0, validate_bad(&c, "write_high_water");
    c = dflt(), c.write_low_water = 1u << 20, validate_bad(&c, "low_water");
    c = dflt(), c.write_low_water = (1u << 20) - 1;
    CHECK_EQ(aser_config_validate(&c, NULL), 0);
    c = dflt(), c.rs485.delay_before_send_ms = 10001;
    validate_bad(&c, "rs485_delay_before");
    c = dflt(), c.rs485.delay_after_send_ms = 20000;
    validate_bad(&c, "delay_after_send_ms 20000");
    c = dflt(), c.rs485.delay_after_send_ms = 10000, c.rs485.enabled = true;
    CHECK_EQ(aser_config_validate(&c, NULL), 0);
}

/* ---- format ------------------------------------------------------------- */

static void check_format(const aser_config *c, const char *want)
{
    char buf[512];
    int n = aser_config_format(c, buf, sizeof buf);
    CHECK_STR(buf, want);
    CHECK_EQ(n, strlen(want));
}

TEST(config, format_examples)
{
    check_format(&(aser_config)ASER_CONFIG_DEFAULT, "115200,8N1");
    aser_config c = parse_ok("9600,7E1,rtscts");
    check_format(&c, "9600,7E1,rtscts");
    c = parse_ok("57600,8N2,xonxoff");
    check_format(&c, "57600,8N2,xonxoff");
    c = parse_ok("115200,8N1,dtr=off,rts=off,hupcl=off");
    check_format(&c, "115200,8N1,hupcl=off,dtr=off,rts=off");
    c = parse_ok("300,5S1.5,dtrdsr,xonxoff");
    check_format(&c, "300,5S1.5,xonxoff,dtrdsr");
    c = parse_ok("exclusive=no,lowlatency=strict,rs485=on,rs485_delay_after=3,"
                 "buffer=65536,high_water=100");
    check_format(&c, "115200,8N1,exclusive=off,lowlatency=strict,rs485=on,"
                     "rs485_delay_after=3,buffer=65536,high_water=100");
    c = parse_ok("high_water=65536,low_water=1024");
    check_format(&c, "115200,8N1,high_water=65536,low_water=1024");
}

/* A small deterministic PRNG (xorshift32). */
static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static aser_config random_config(uint32_t *s)
{
    static const uint32_t bauds[] = {1, 50, 300, 9600, 115200, 250000, 4000000, 4294967295u};
    static const aser_stopbits stops[] = {ASER_STOP_1, ASER_STOP_1_5, ASER_STOP_2};
    static const unsigned flows[] = {0, 1, 2, 3, 4, 6};
    aser_config c = dflt();
    c.baud = rnd(s) % 2 ? bauds[rnd(s) % 8] : rnd(s) % 5000000 + 1;
    c.data_bits = (uint8_t)(5 + rnd(s) % 4);
    c.parity = (aser_parity)(rnd(s) % 5);
    c.stop_bits = stops[rnd(s) % 3];
    if (c.stop_bits == ASER_STOP_1_5) c.data_bits = 5;
    c.flow = flows[rnd(s) % 6];
    c.exclusive = rnd(s) % 2;
    c.hupcl = rnd(s) % 2;
    c.low_latency = (aser_low_latency)(rnd(s) % 3);
    c.dtr = (aser_level)(rnd(s) % 3);
    c.rts = (aser_level)(rnd(s) % 3);
    c.rs485.enabled = rnd(s) % 2;
    c.rs485.rts_on_send = rnd(s) % 2;
    c.rs485.rts_after_send = rnd(s) % 2;
    c.rs485.rx_during_tx = rnd(s) % 2;
    c.rs485.delay_before_send_ms = rnd(s) % 3 ? 0 : rnd(s) % 10001;
    c.rs485.delay_after_send_ms = rnd(s) % 3 ? 0 : rnd(s) % 10001;
    c.read_buffer = rnd(s) % 2 ? 4096 : 64 + rnd(s) % (16u * 1024 * 1024 - 63);
    c.write_high_water = rnd(s) % 2 ? 1u << 20 : rnd(s) % 4 ? 1 + rnd(s) : 1;
    if (c.write_high_water == 0) c.write_high_water = UINT32_MAX;
    c.write_low_water = rnd(s) % 2 ? 0 : rnd(s) % c.write_high_water;
    return c;
}

TEST(config, format_round_trip)
{
    uint32_t seed = 0x12345678u;
    char buf[512], buf2[512];
    for (int i = 0; i < 20000; i++) {
        aser_config c = random_config(&seed);
        CHECKM(aser_config_validate(&c, NULL) == 0, "generator made an invalid config");
        int n = aser_config_format(&c, buf, sizeof buf);
        CHECK(n > 0 && (size_t)n < sizeof buf);
        CHECK_EQ(strlen(buf), n);
        aser_config back = dflt();
        aser_err e = {0, ""};
        int rc = aser_config_parse(&back, buf, &e);
        CHECKM(rc == 0, "parse(format) of \"%s\": %s", buf, e.msg);
        CHECKM(cfg_equal(&c, &back), "round trip changed the config: \"%s\"", buf);
        aser_config_format(&back, buf2, sizeof buf2);
        CHECK_STR(buf, buf2);
    }
}

TEST(config, format_everything_differs)
{
    aser_config c = {
        .baud = 4294967295u,
        .data_bits = 5,
        .parity = ASER_PARITY_SPACE,
        .stop_bits = ASER_STOP_1_5,
        .flow = ASER_FLOW_DTRDSR | ASER_FLOW_XONXOFF,
        .exclusive = false,
        .hupcl = false,
        .low_latency = ASER_LOWLAT_TRY,
        .dtr = ASER_LEVEL_ON,
        .rts = ASER_LEVEL_OFF,
        .rs485 = {true, true, true, true, 10000, 9999},
        .read_buffer = 16u * 1024 * 1024,
        .write_high_water = 4294967295u,
        .write_low_water = 4294967294u,
    };
    const char *want = "4294967295,5S1.5,xonxoff,dtrdsr,exclusive=off,hupcl=off,"
                       "lowlatency=try,dtr=on,rts=off,rs485=on,rs485_rts_on_send=on,"
                       "rs485_rts_after_send=on,rs485_rx_during_tx=on,"
                       "rs485_delay_before=10000,rs485_delay_after=9999,"
                       "buffer=16777216,high_water=4294967295,low_water=4294967294";
    check_format(&c, want);
    aser_config back = parse_ok(want);
    CHECK(cfg_equal(&c, &back));
}

TEST(config, format_truncation)
{
    aser_config c = parse_ok("9600,7E1,rtscts,xonxoff,dtr=on,rs485=on,buffer=65536");
    char full[256];
    int n = aser_config_format(&c, full, sizeof full);
    CHECK(n > 20);
    CHECK_EQ(strlen(full), n);
    /* Size 0: nothing written, not even a NUL; NULL buffer is fine too. */
    char one = 'Z';
    CHECK_EQ(aser_config_format(&c, &one, 0), n);
    CHECK_EQ(one, 'Z');
    CHECK_EQ(aser_config_format(&c, NULL, 0), n);
    CHECK_EQ(aser_config_format(&c, NULL, 100), n);
    /* Every size: a NUL-terminated prefix, nothing past size. */
    for (size_t size = 1; size <= (size_t)n + 2; size++) {
        char buf[300];
        memset(buf, '#', sizeof buf);
        CHECK_EQ(aser_config_format(&c, buf, size), n);
        size_t keep = size - 1 < (size_t)n ? size - 1 : (size_t)n;
        CHECK_EQ(buf[keep], '\0');
        CHECK(memcmp(buf, full, keep) == 0);
        for (size_t i = size; i < sizeof buf; i++)
            CHECKM(buf[i] == '#', "size %zu: byte %zu written", size, i);
    }
}

TEST(config, format_invalid_config_is_safe)
{
    aser_config c = dflt();
    c.parity = (aser_parity)77;
    c.stop_bits = (aser_stopbits)3;
    c.dtr = (aser_level)9;
    c.low_latency = (aser_low_latency)-1;
    c.flow = 0xff;
    char buf[128];
    int n = aser_config_format(&c, buf, sizeof buf);
    CHECK_EQ(strlen(buf), n);
    CHECK_CONTAINS(buf, "115200,8?");
    CHECK_CONTAINS(buf, "dtr=9");
    /* What it writes does not parse: the bad fields are not lost silently. */
    aser_config back = dflt();
    CHECK_EQ(aser_config_parse(&back, buf, NULL), ASER_EBADCONFIG);
}
