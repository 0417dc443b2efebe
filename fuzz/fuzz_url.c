/* fuzz_url.c: libFuzzer target for port URLs (src/transport/url.c): they
 * come from command lines, export files and programs that build them from
 * what a user typed ("rfc2217://host:port?baud=9600&ack_timeout=500").
 * The parser selects a row of the transport table, so the target links the
 * whole library (built again with the fuzzer's instrumentation).
 *
 * Input: a string (NUL bytes end it, as in C).
 * Checks: a refused URL leaves the config unchanged and says why; an
 * accepted one names its transport, its config validates, its address
 * fits, and a network address is a non-empty host and a decimal port that
 * parse back to the same row, host and port when written out again. */
#include "aserial.h"
#include "fuzz_common.h"
#include "transport/transport.h"

static bool all_digits(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

static bool is_net(const aser_transport_ops *tp)
{
    return tp->addr == ASER_ADDR_HOSTPORT || tp->addr == ASER_ADDR_LISTEN ||
           tp->addr == ASER_ADDR_HTTP;
}

/* Write u out as PREFIX + HOST:PORT (+ target) and parse it again. */
static void check_round_trip(const aser_url *u)
{
    static char again[ASER_PATH_MAX + 1024];
    snprintf(again, sizeof again, "%s%s%s", u->tp->prefix, u->path,
             u->tp->addr == ASER_ADDR_HTTP ? u->net.target : "");
    aser_config cfg = ASER_CONFIG_DEFAULT;
    static aser_url back;
    aser_err err = {0};
    FZ_ASSERT(aser__url_parse(again, &cfg, &back, &err) == 0);
    FZ_ASSERT(back.tp == u->tp);
    FZ_ASSERT(!strcmp(back.net.host, u->net.host) && !strcmp(back.net.port, u->net.port));
    if (u->tp->addr == ASER_ADDR_HTTP) FZ_ASSERT(!strcmp(back.net.target, u->net.target));
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char *s = fz_cstr(d, n);
    aser_config def = ASER_CONFIG_DEFAULT, cfg = def;
    static aser_url u;
    aser_err err = {0};
    int rc = aser__url_parse(s, &cfg, &u, &err);
    if (rc < 0) {
        FZ_ASSERT(rc == err.code && err.msg[0]);
        FZ_ASSERT(!memcmp(&cfg, &def, sizeof cfg));
    } else {
        FZ_ASSERT(rc == 0 && u.tp);
        FZ_ASSERT(strnlen(u.path, sizeof u.path) < sizeof u.path);
        FZ_ASSERT(aser_config_validate(&cfg, NULL) == 0);
        if (is_net(u.tp)) {
            FZ_ASSERT(u.net.host[0] && all_digits(u.net.port));
            FZ_ASSERT(u.net.target[0] == '\0' || u.net.target[0] == '/');
            check_round_trip(&u);
        }
    }
    free(s);
    return 0;
}
