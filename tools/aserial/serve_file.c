/* serve_file.c: the export file of `aserial serve --file FILE`: one export
 * a line, "PORT [HOST:]PORT[/MODE][,ACCESS] [options]" (aserial(1),
 * serve). Read through textfile.c (bounded); fuzzed by
 * fuzz/fuzz_export_file.c. */
#include "serve.h"
#include "textfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One option of a --file line ("max-clients=4", "raw", ...). */
static int file_option(export *e, const char *tok)
{
    if (!strcmp(tok, "rfc2217"))
        e->o.mode = ASER_SERVE_RFC2217;
    else if (!strcmp(tok, "raw"))
        e->o.mode = ASER_SERVE_RAW;
    else if (!strcmp(tok, "kick-old"))
        e->o.kick_old = true;
    else if (!strcmp(tok, "allow-http"))
        e->o.allow_http = true;
    else if (!strncmp(tok, "max-clients=", 12))
        return cli_uint("serve", "max-clients", tok + 12, &e->o.max_clients);
    else if (!strncmp(tok, "queue=", 6))
        return cli_uint("serve", "queue", tok + 6, &e->queue);
    else if (!strncmp(tok, "idle-timeout=", 13))
        return cli_uint("serve", "idle-timeout", tok + 13, &e->o.idle_timeout_ms);
    else if (!strncmp(tok, "config=", 7))
        snprintf(e->config, sizeof e->config, "%s", tok + 7);
    else if (!strncmp(tok, "name=", 5))
        snprintf(e->name, sizeof e->name, "%s", tok + 5);
    else if (!strcmp(tok, "read-only") || !strcmp(tok, "lock-settings")) {
        e->o.access = tok[0] == 'r' ? ASER_ACCESS_READ_ONLY : ASER_ACCESS_LOCK_SETTINGS;
        e->access_set = true;
    } else if (!strcmp(tok, "insecure"))
        e->insecure = true;
    else if (!strncmp(tok, "tls-cert=", 9))
        snprintf(e->tls_cert, sizeof e->tls_cert, "%s", tok + 9);
    else if (!strncmp(tok, "tls-key=", 8))
        snprintf(e->tls_key, sizeof e->tls_key, "%s", tok + 8);
    else if (!strncmp(tok, "tls-client-ca=", 14))
        snprintf(e->tls_ca, sizeof e->tls_ca, "%s", tok + 14);
    else if (!strncmp(tok, "mqtt=", 5))
        snprintf(e->mqtt, sizeof e->mqtt, "%s", tok + 5);
    else if (!strncmp(tok, "mqtt-auth=", 10))
        snprintf(e->mqtt_auth, sizeof e->mqtt_auth, "%s", tok + 10);
    else if (!strncmp(tok, "frame=", 6)) {
        aser_config cfg = ASER_CONFIG_DEFAULT;
        aser_framer f;
        if (serve_frame_spec(tok + 6, &cfg, &f) < 0) return -1;
        snprintf(e->frame, sizeof e->frame, "%s", tok + 6);
    } else {
        cli_error("serve",
                  "unknown option \"%s\" in the file: use rfc2217, raw, kick-old, allow-http, "
                  "max-clients=N, queue=BYTES, idle-timeout=MS, config=STR, name=NAME, read-only, "
                  "lock-settings, tls-cert=FILE, tls-key=FILE, tls-client-ca=FILE, insecure, "
                  "mqtt=URL, mqtt-auth=FILE or frame=SPEC",
                  tok);
        return -1;
    }
    return 0;
}

int serve_frame_spec(const char *spec, const aser_config *cfg, aser_framer *f)
{
    char *end = NULL;
    unsigned long v = 0;
    const char *colon = strchr(spec, ':');
    if (colon) v = strtoul(colon + 1, &end, 10);
    bool num = colon && end && end != colon + 1 && !*end && v > 0 && v <= 1000000;
    int rc = -1;
    if (!strcmp(spec, "lines"))
        rc = aser_framer_delims(f, (const char *[]){"\r\n", "\n", "\r"}, 3, false);
    else if (!strncmp(spec, "delim:", 6)) {
        char d[ASER_FRAMER_MAX_DELIM_LEN + 2];
        long n = cli_unescape("frame=delim:", spec + 6, d, ASER_FRAMER_MAX_DELIM_LEN);
        if (n < 0) return -1;
        d[n] = '\0';
        if (n > 0 && n <= ASER_FRAMER_MAX_DELIM_LEN && !memchr(d, 0, (size_t)n))
            rc = aser_framer_delims(f, (const char *[]){d}, 1, false);
    } else if (!strncmp(spec, "idle:", 5) && num)
        rc = aser_framer_idle(f, (uint32_t)v * 1000u);
    else if (!strncmp(spec, "fixed:", 6) && num)
        rc = aser_framer_fixed(f, v);
    else if (!strcmp(spec, "modbus-rtu"))
        rc = aser_framer_modbus_rtu(f, cfg);
    else if (!strcmp(spec, "slip"))
        rc = aser_framer_slip(f);
    else if (!strcmp(spec, "cobs"))
        rc = aser_framer_cobs(f);
    if (rc >= 0) return 0;
    cli_error("serve",
              "frame \"%s\": use lines, delim:STR (1 to %d bytes, escapes as \\r\\n), "
              "idle:MS, modbus-rtu, slip, cobs or fixed:N",
              spec, ASER_FRAMER_MAX_DELIM_LEN);
    return -1;
}

static int file_line(export *e, char *line, const char *file, int lineno)
{
    char *save = NULL, *tok[16];
    int n = 0;
    for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 16;
         t = strtok_r(NULL, " \t\r\n", &save))
        tok[n++] = t;
    if (n < 2) {
        cli_error("serve", "%s:%d: expected PORT [HOST:]PORT [options]", file, lineno);
        return -1;
    }
    snprintf(e->port_url, sizeof e->port_url, "%s", tok[0]);
    if (strcmp(tok[1], "-")) snprintf(e->listen, sizeof e->listen, "%s", tok[1]);
    for (int i = 2; i < n; i++)
        if (file_option(e, tok[i]) < 0) {
            cli_error("serve", "%s:%d: see aserial serve --help", file, lineno);
            return -1;
        }
    return 0;
}

/* Room for one more export in *ex (doubling); -1 after saying so. */
static int grow(const char *file, export **ex, size_t n, size_t *cap)
{
    if (n < *cap) return 0;
    if (n == SERVE_MAX_EXPORTS) {
        cli_error("serve", "%s: more than %d exports: split them over several processes", file,
                  SERVE_MAX_EXPORTS);
        return -1;
    }
    size_t c = *cap ? *cap * 2 : 16;
    if (c > SERVE_MAX_EXPORTS) c = SERVE_MAX_EXPORTS;
    export *g = realloc(*ex, c * sizeof *g);
    if (!g) {
        cli_error("serve", "%s: out of memory for %zu exports", file, c);
        return -1;
    }
    *ex = g;
    *cap = c;
    return 0;
}

int serve_read_file(const char *file, const export *dflt_in, export **ex, size_t *n)
{
    textfile t;
    if (textfile_open(&t, "serve", file, "a file of exports") < 0) return -1;
    export dflt = *dflt_in;
    dflt.port_url[0] = dflt.listen[0] = dflt.name[0] = '\0';
    dflt.nmore = 0;
    char line[TEXTFILE_LINE_MAX + 1];
    size_t cap = 0;
    int rc = 0, got;
    *n = 0;
    while (rc == 0 && (got = textfile_line(&t, line, sizeof line)) != 0) {
        if (got < 0) {
            rc = -1;
            break;
        }
        char *s = line + strspn(line, " \t");
        if (*s == '#' || *s == '\0') continue;
        if ((rc = grow(file, ex, *n, &cap)) < 0) break;
        (*ex)[*n] = dflt;
        rc = file_line(&(*ex)[*n], s, file, (int)t.lineno);
        if (rc == 0) (*n)++;
    }
    textfile_close(&t);
    if (rc == 0 && *n == 0) {
        cli_error("serve", "%s declares no export; see aserial serve --help", file);
        rc = -1;
    }
    return rc;
}
