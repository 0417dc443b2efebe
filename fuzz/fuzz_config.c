/* fuzz_config.c: libFuzzer target for config strings ("9600,7E1,rtscts",
 * key=value tokens), src/config.c: they come from URL queries and from
 * `aserial serve --file` export files, so from anyone who can write those.
 *
 * Input: a string (NUL bytes end it, as in C).
 * Checks: a refused string leaves the config unchanged and says why; an
 * accepted one validates, and its aser_config_format() text parses back
 * to the same config (format and parse agree), truncation included (the
 * returned length says how much was needed).
 */
#include "aserial.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char *s = fz_cstr(d, n);
    aser_config def = ASER_CONFIG_DEFAULT, cfg = def;
    aser_err err = {0};
    int rc = aser_config_parse(&cfg, s, &err);
    if (rc < 0) {
        FZ_ASSERT(rc == err.code && err.msg[0]);
        FZ_ASSERT(!memcmp(&cfg, &def, sizeof cfg));
    } else {
        FZ_ASSERT(aser_config_validate(&cfg, NULL) == 0);
        char text[1024], small[8];
        int len = aser_config_format(&cfg, text, sizeof text);
        FZ_ASSERT(len > 0 && (size_t)len < sizeof text);
        FZ_ASSERT(aser_config_format(&cfg, small, sizeof small) == len);
        FZ_ASSERT(strlen(small) == ((size_t)len < sizeof small ? (size_t)len : sizeof small - 1));
        aser_config back = def;
        FZ_ASSERT(aser_config_parse(&back, text, NULL) == 0);
        FZ_ASSERT(!memcmp(&back, &cfg, sizeof cfg));
    }
    free(s);
    return 0;
}
