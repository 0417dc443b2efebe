/* term_map.c: the byte maps of `aserial term`, the ones tio and picocom
 * have in common (tio's ICRNL/INLCR/IGNCR/ODELBS/OLTU..., picocom's
 * --imap/--omap/--emap crlf, crcrlf, delbs...), under one set of names for
 * the three directions: --map (what the port sends, as shown), --omap
 * (what the keys send to the port) and --emap (the local echo). */
#include "term.h"

#include <string.h>

static const struct {
    const char *name;
    unsigned bit;
    const char *what;
} maps[] = {
    {"cr-crlf", MAP_CR_CRLF, "CR becomes CR LF"},
    {"lf-crlf", MAP_LF_CRLF, "LF becomes CR LF"},
    {"cr-lf", MAP_CR_LF, "CR becomes LF"},
    {"lf-cr", MAP_LF_CR, "LF becomes CR"},
    {"ignore-cr", MAP_IGNORE_CR, "CR dropped"},
    {"ignore-lf", MAP_IGNORE_LF, "LF dropped"},
    {"del-bs", MAP_DEL_BS, "DEL becomes BS"},
    {"bs-del", MAP_BS_DEL, "BS becomes DEL"},
    {"upper", MAP_UPPER, "lower case letters become upper case"},
    {"lower", MAP_LOWER, "upper case letters become lower case"},
};
#define NMAPS (sizeof maps / sizeof maps[0])

int term_map_parse(const char *opt, const char *list, unsigned *map)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    unsigned m = *map;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t i = 0;
        while (i < NMAPS && strcmp(tok, maps[i].name) != 0) i++;
        if (i < NMAPS) {
            m |= maps[i].bit;
        } else if (!strcmp(tok, "none")) {
            m = 0;
        } else {
            const char *names[NMAPS];
            for (size_t k = 0; k < NMAPS; k++) names[k] = maps[k].name;
            const char *nearest = cli_closest(tok, names, NMAPS);
            cli_error("term",
                      "%s: unknown mapping \"%s\"%s%s%s: use cr-crlf, lf-crlf, cr-lf, lf-cr, "
                      "ignore-cr, ignore-lf, del-bs, bs-del, upper, lower or none, "
                      "comma-separated",
                      opt, tok, nearest ? " (did you mean " : "", nearest ? nearest : "",
                      nearest ? "?)" : "");
            return -1;
        }
    }
    *map = m;
    return 0;
}

size_t term_map_byte(unsigned map, uint8_t c, uint8_t out[2])
{
    if ((c == '\r' && (map & MAP_IGNORE_CR)) || (c == '\n' && (map & MAP_IGNORE_LF))) return 0;
    if (c == '\r' && (map & MAP_CR_CRLF)) {
        out[0] = '\r', out[1] = '\n';
        return 2;
    }
    if (c == '\n' && (map & MAP_LF_CRLF)) {
        out[0] = '\r', out[1] = '\n';
        return 2;
    }
    if (c == '\r' && (map & MAP_CR_LF))
        c = '\n';
    else if (c == '\n' && (map & MAP_LF_CR))
        c = '\r';
    else if (c == 0x7f && (map & MAP_DEL_BS))
        c = 0x08;
    else if (c == 0x08 && (map & MAP_BS_DEL))
        c = 0x7f;
    else if (c >= 'a' && c <= 'z' && (map & MAP_UPPER))
        c = (uint8_t)(c - 'a' + 'A');
    else if (c >= 'A' && c <= 'Z' && (map & MAP_LOWER))
        c = (uint8_t)(c - 'A' + 'a');
    out[0] = c;
    return 1;
}

size_t term_map_apply(unsigned map, const uint8_t *d, size_t n, uint8_t *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 2 <= cap; i++) k += term_map_byte(map, d[i], out + k);
    return k;
}

void term_map_names(unsigned map, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NMAPS; i++) {
        if (!(map & maps[i].bit)) continue;
        int n = snprintf(buf + used, cap - used, "%s%s", used ? "," : "", maps[i].name);
        if (n < 0 || (size_t)n >= cap - used) break;
        used += (size_t)n;
    }
    if (!used) snprintf(buf, cap, "none");
}
