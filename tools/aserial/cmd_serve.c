/* cmd_serve.c: aserial serve PORT --listen [HOST:]PORT[/MODE][,ACCESS]...
 * [--rfc2217|--raw] [--max-clients N] [--kick-old] [--config STR] [--queue BYTES]
 * [--idle-timeout MS] [--negotiate-timeout MS] [--name NAME] [--quiet]
 * [--read-only|--lock-settings] [--tls-cert FILE --tls-key FILE
 * [--tls-client-ca FILE]] [--insecure] [--web [HOST:]PORT [--web-token FILE]],
 * or aserial serve --file FILE for many exports in one process. --web
 * adds the browser console and /ws/NAME WebSocket endpoints (aser_web). Runs until
 * SIGINT/SIGTERM, or until every exported port has closed for good; SIGHUP
 * reloads the TLS certificates (aser_server_reload_tls, aser_web_reload_tls)
 * and prints one line per listener saying so, or why it kept the old one.
 *
 * The --tls-* options and --insecure given on the command line apply to
 * every export (and to --web); an export-file line's own tls-cert=,
 * tls-key=, tls-client-ca= and insecure take precedence for that export.
 * --read-only / --lock-settings are the default access of every listener;
 * ",read-only", ",lock-settings" or ",full" after a --listen address sets
 * that listener's own. */
#include "serve.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef ASER_OS_UNIX
#include <sys/resource.h>
#endif

#define NEGOTIATE_MS 10000u /* default --negotiate-timeout */

static const char usage_text[] =
    "usage: aserial serve PORT --listen [HOST:]PORT[/raw|/rfc2217][,ACCESS]...\n"
    "                     [--rfc2217 | --raw] [--read-only | --lock-settings]\n"
    "                     [--max-clients N] [--kick-old] [--allow-http]\n"
    "                     [--config STR] [--queue BYTES]\n"
    "                     [--idle-timeout MS] [--negotiate-timeout MS] [--quiet]\n"
    "                     [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]\n"
    "                     [--insecure] [--name NAME]\n"
    "                     [--web [HOST:]PORT [--web-token FILE] [--web-host NAMES]]\n"
    "                     [--mqtt mqtt://BROKER[:PORT]/PREFIX [--mqtt-auth FILE]\n"
    "                     [--frame SPEC]]\n"
    "       aserial serve --file FILE [--tls-* ...] [--insecure] [--web [HOST:]PORT\n"
    "                     [--web-token FILE]] [--quiet]\n"
    "  Export a serial port to TCP clients, like ser2net. PORT is any port URL\n"
    "  (/dev/ttyUSB0, usb:VID:PID, rfc2217://HOST:PORT, ...). The server binds\n"
    "  127.0.0.1 unless --listen names another address (0.0.0.0:2000 for every\n"
    "  interface), which needs TLS (--tls-cert, --tls-key) or --insecure; port 0\n"
    "  picks a free one. On start it prints one line per listener:\n"
    "    serving PORT on HOST:PORT (rfc2217)      (or: (raw, tls, read-only) ...)\n"
    "  --listen ADDR   may be given up to 8 times to export the port on several\n"
    "                  listeners; /raw or /rfc2217 after one sets its mode, and\n"
    "                  ,read-only ,lock-settings or ,full its clients' access, e.g.\n"
    "                  --listen 2000 --listen 2001/raw,read-only (both at once)\n"
    "  --read-only     clients see the port's data; their bytes are dropped and they\n"
    "                  cannot change settings, DTR/RTS or send a break (RFC 2217\n"
    "                  requests are answered with the value in effect; WebSocket\n"
    "                  clients get a JSON error). Applies to every listener that\n"
    "                  does not say ,full or ,lock-settings (without it, clients\n"
    "                  have full access)\n"
    "  --lock-settings clients may write data but not change settings, DTR/RTS\n"
    "                  or send a break\n"
    "  --tls-cert FILE --tls-key FILE  TLS 1.2+ on every listener (and https/wss\n"
    "                  for --web): the PEM certificate (chain) and its key. Make a\n"
    "                  self-signed one: openssl req -x509 -newkey rsa:2048 -nodes\n"
    "                  -days 365 -keyout key.pem -out cert.pem -subj /CN=HOST\n"
    "                  -addext subjectAltName=DNS:HOST\n"
    "                  Clients: rfc2217+tls://HOST:PORT?ca=cert.pem, tcp+tls://...\n"
    "                  kill -HUP reloads the files (new connections get the new\n"
    "                  certificate; clients and the port stay)\n"
    "  --tls-client-ca FILE  only clients with a certificate signed by this CA are\n"
    "                  let in (the handshake fails before any byte reaches the port)\n"
    "  --insecure      allow listening beyond loopback without TLS (anyone who can\n"
    "                  reach the port can read it, write to it and reconfigure it)\n"
    "  --rfc2217       telnet + RFC 2217: clients set baud, parity, lines (default)\n"
    "  --raw           bytes as they are, nothing else\n"
    "  --max-clients N clients at once (default 1); data from the port goes to all\n"
    "  --kick-old      when full, drop the oldest client instead of refusing the new\n"
    "  --allow-http    pass a first line that is an HTTP request to the port (by\n"
    "                  default such a client is refused: a web page may send one)\n"
    "  --config STR    port settings at open, e.g. 9600,8N1 (clients may change them)\n"
    "  --queue BYTES   per-client output bound (default 262144); a client that falls\n"
    "                  that far behind is disconnected so the serial side never stalls\n"
    "  --idle-timeout MS  disconnect a client that sends nothing for MS ms\n"
    "                  (default 0: never)\n"
    "  --negotiate-timeout MS  disconnect an RFC 2217 client that sends nothing\n"
    "                  within MS ms of connecting, so it cannot hold the port\n"
    "                  (default 10000; 0: never)\n"
    "  --quiet         do not log clients coming and going (stderr)\n"
    "  --web ADDR      also serve the browser console on http://ADDR/ and each\n"
    "                  export as a WebSocket at /ws/NAME (127.0.0.1 unless ADDR\n"
    "                  names a host; then --web-token is required, and TLS or\n"
    "                  --insecure); with --tls-cert it is https:// and wss://;\n"
    "                  with --web, --listen may be left out (browsers only)\n"
    "  --web-token FILE  the access token (the file's first line): browsers open\n"
    "                  http://ADDR/?token=TOKEN, programs send Authorization: Bearer\n"
    "  --mqtt URL      also publish each export through an MQTT broker under\n"
    "                  PREFIX/NAME/ (rx, tx, status, set, ctl, error; man aserial,\n"
    "                  MQTT): mqtt://HOST[:PORT]/PREFIX, or mqtts://...?ca=FILE\n"
    "                  [&cert=FILE&key=FILE]; with --mqtt, --listen may be left out\n"
    "  --mqtt-auth FILE  the broker's user (first line) and password (second)\n"
    "  --frame SPEC    publish rx one frame a message (else as read): lines,\n"
    "                  delim:STR, idle:MS, modbus-rtu, slip, cobs or fixed:N\n"
    "  --web-host NAMES  more names the console may be reached by (the Host\n"
    "                  header), comma-separated, each with an optional :PORT;\n"
    "                  default: 127.0.0.1:PORT, localhost:PORT and [::1]:PORT only\n"
    "  --name NAME     the export's name under /ws/ (default: the port's last path\n"
    "                  part, e.g. ttyUSB0)\n"
    "  --file FILE     one export per line: PORT [HOST:]PORT[/MODE][,ACCESS]\n"
    "                  [rfc2217|raw] [max-clients=N] [kick-old] [allow-http]\n"
    "                  [config=STR] [queue=BYTES] [idle-timeout=MS] [name=NAME]\n"
    "                  [read-only|lock-settings] [insecure]\n"
    "                  [tls-cert=FILE tls-key=FILE [tls-client-ca=FILE]]\n"
    "                  [mqtt=URL [mqtt-auth=FILE]] [frame=SPEC] (its gateway)\n"
    "                  (with --web, - as [HOST:]PORT: no TCP listener);\n"
    "                  blank lines and lines starting with # are ignored; the\n"
    "                  command line's options are every export's defaults, which\n"
    "                  a line overrides; at most 1 MiB, lines of 1023 characters, e.g.\n"
    "                    /dev/ttyUSB0  0.0.0.0:2000  rfc2217  max-clients=2\n"
    "                    usb:0403:6001 127.0.0.1:2001 raw config=9600,8N1\n"
    "  A lost port (unplugged) is reopened when it comes back; clients stay.\n"
    "  With --file, an export whose device is absent at start is tried again every\n"
    "  second while the others serve, and starts when the device appears.\n"
    "  Config strings: man aserial, CONFIG STRINGS.\n";

/* A flood of refused connections (garbage handshakes, a full export) logs
 * REFUSED_BURST lines per REFUSED_WINDOW seconds, then one line with how
 * many more there were: the log stays readable and cheap. */
#define REFUSED_BURST 10
#define REFUSED_WINDOW 10

static bool from_file; /* exports from --file: an absent device is waited for */
static aser_loop *serve_loop;

static bool quiet;
static const char *web_addr, *web_token_file, *web_hosts;
static const char *mqtt_url, *mqtt_auth; /* --mqtt, --mqtt-auth: every export */
static aser_web *web;
/* command-line defaults for every export (and --web) */
static const char *tls_cert, *tls_key, *tls_ca;
static bool insecure, access_given;
static aser_server_access access_dflt;
static volatile sig_atomic_t hup;

static void logf_(const char *fmt, ...) CLI_PRINTF(1, 2);
static void logf_(const char *fmt, ...)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char raw[1024], safe[1024]; /* it may quote a client's bytes or a device's strings */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%02d:%02d:%02d.%03ld aserial serve: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, cli_safe(raw, safe, sizeof safe));
}

static time_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Say how many refusals were not shown once their window is over (or at
 * the end: all). */
static void refused_summary(export *e, bool now)
{
    if (!e->refused_hidden || (!now && mono_s() - e->refused_window < REFUSED_WINDOW)) return;
    logf_("%s: %u more connections refused in %d s (not shown one by one)", e->port_url,
          e->refused_hidden, REFUSED_WINDOW);
    e->refused_hidden = 0;
}

static void on_refused(export *e, const char *text)
{
    time_t t = mono_s();
    if (t - e->refused_window >= REFUSED_WINDOW) {
        refused_summary(e, true);
        e->refused_window = t;
        e->refused_shown = 0;
    }
    if (e->refused_shown < REFUSED_BURST) {
        e->refused_shown++;
        logf_("%s: %s", e->port_url, text);
    } else {
        e->refused_hidden++;
    }
}

static void on_event(aser_server *s, aser_server_event ev, int code, const char *text, void *ctx)
{
    export *e = ctx;
    (void)s, (void)code;
    if (ev == ASER_SERVER_PORT_CLOSED) e->ended = true;
    if (ev == ASER_SERVER_CLIENT_REFUSED && !quiet)
        on_refused(e, text);
    else if (!quiet || ev == ASER_SERVER_PORT_CLOSED)
        logf_("%s: %s", e->port_url, text);
}

static void on_link(aser_port *p, aser_link_event ev, void *ctx)
{
    export *e = ctx;
    const char *what = ev == ASER_LINK_LOST       ? "lost; waiting for it to come back"
                       : ev == ASER_LINK_RESTORED ? "back"
                                                  : "gave up";
    logf_("%s: port %s: %s", e->port_url, what, aser_port_errmsg(p));
    aser_server_link_changed(e->srv, ev);
    if (ev == ASER_LINK_GAVE_UP) e->ended = true; /* closed for good: `serve -` at end of input */
}

static int parse_args(int argc, char **argv, export **ex, size_t *n)
{
    if (cli_config_split("serve", argc, argv) < 0) return 2;
    export *e = &(*ex)[0];
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (!strcmp(a, "--rfc2217"))
            e->o.mode = ASER_SERVE_RFC2217;
        else if (!strcmp(a, "--raw"))
            e->o.mode = ASER_SERVE_RAW;
        else if (!strcmp(a, "--kick-old"))
            e->o.kick_old = true;
        else if (!strcmp(a, "--allow-http"))
            e->o.allow_http = true;
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
            quiet = true;
        else if (!strcmp(a, "--read-only") || !strcmp(a, "--lock-settings")) {
            access_dflt = a[2] == 'r' ? ASER_ACCESS_READ_ONLY : ASER_ACCESS_LOCK_SETTINGS;
            access_given = true;
        } else if (!strcmp(a, "--insecure"))
            insecure = true;
        else if (!strcmp(a, "--tls-cert") && more)
            tls_cert = argv[++i];
        else if (!strcmp(a, "--tls-key") && more)
            tls_key = argv[++i];
        else if (!strcmp(a, "--tls-client-ca") && more)
            tls_ca = argv[++i];
        else if (!strcmp(a, "--listen") && more) {
            if (!e->listen[0]) {
                snprintf(e->listen, sizeof e->listen, "%s", argv[++i]);
            } else if (e->nmore < SERVE_MAX_LISTENS - 1) {
                snprintf(e->more[e->nmore++], sizeof e->more[0], "%s", argv[++i]);
            } else {
                cli_error("serve",
                          "more than %d --listen: one port has at most %d "
                          "listeners",
                          SERVE_MAX_LISTENS, SERVE_MAX_LISTENS);
                return 2;
            }
        } else if (!strcmp(a, "--config") && more)
            snprintf(e->config, sizeof e->config, "%s", argv[++i]);
        else if (!strcmp(a, "--file") && more)
            file = argv[++i];
        else if (!strcmp(a, "--web") && more)
            web_addr = argv[++i];
        else if (!strcmp(a, "--web-token") && more)
            web_token_file = argv[++i];
        else if (!strcmp(a, "--mqtt") && more)
            mqtt_url = argv[++i];
        else if (!strcmp(a, "--mqtt-auth") && more)
            mqtt_auth = argv[++i];
        else if (!strcmp(a, "--frame") && more) {
            aser_config dc = ASER_CONFIG_DEFAULT;
            aser_framer f;
            if (serve_frame_spec(argv[++i], &dc, &f) < 0) return 2;
            snprintf(e->frame, sizeof e->frame, "%s", argv[i]);
        } else if (!strcmp(a, "--web-host") && more)
            web_hosts = argv[++i];
        else if (!strcmp(a, "--name") && more)
            snprintf(e->name, sizeof e->name, "%s", argv[++i]);
        else if (!strcmp(a, "--max-clients") && more) {
            if (cli_uint("serve", a, argv[++i], &e->o.max_clients) < 0) return 2;
        } else if (!strcmp(a, "--queue") && more) {
            if (cli_uint("serve", a, argv[++i], &e->queue) < 0) return 2;
        } else if (!strcmp(a, "--idle-timeout") && more) {
            if (cli_uint("serve", a, argv[++i], &e->o.idle_timeout_ms) < 0) return 2;
        } else if (!strcmp(a, "--negotiate-timeout") && more) {
            if (cli_uint("serve", a, argv[++i], &e->o.negotiate_timeout_ms) < 0) return 2;
            e->timeouts_set = true;
        } else if (a[0] == '-' && a[1]) { /* "-" alone: stdio: */
            static const char *const names[] = {"config",        "file",      "idle-timeout",
                                                "insecure",      "kick-old",  "listen",
                                                "max-clients",   "name",      "negotiate-timeout",
                                                "queue",         "quiet",     "raw",
                                                "read-only",     "rfc2217",   "tls-cert",
                                                "tls-client-ca", "tls-key",   "web",
                                                "frame",         "mqtt",      "mqtt-auth",
                                                "web-host",      "web-token", "lock-settings",
                                                "help"};
            const char *nearest = a[1] == '-'
                                      ? cli_closest(a + 2, names, sizeof names / sizeof names[0])
                                      : NULL;
            if (!more && nearest && !strcmp(nearest, a + 2)) /* the last argument: no value */
                cli_error("serve", "%s needs a value; see aserial help serve", a);
            else
                cli_unknown_option("serve", a, names, sizeof names / sizeof names[0]);
            return 2;
        } else if (!e->port_url[0]) {
            snprintf(e->port_url, sizeof e->port_url, "%s", a);
        } else {
            cli_error("serve", "unexpected argument \"%s\"; see aserial serve --help", a);
            return 2;
        }
    }
    if (file) {
        if (e->port_url[0] || e->listen[0]) {
            cli_error("serve", "--file declares the exports: give no PORT or --listen with it");
            return 2;
        }
        from_file = true;
        if (!tls_cert != !tls_key || (tls_ca && !tls_cert)) {
            cli_error("serve", "TLS needs both --tls-cert FILE and --tls-key FILE (and "
                               "--tls-client-ca only with them)");
            return 2;
        }
        export dflt = *e; /* the command line's options: every export's defaults */
        free(*ex);
        *ex = NULL;
        return serve_read_file(file, &dflt, ex, n) < 0 ? 2 : 0;
    }
    if ((web_token_file || web_hosts) && !web_addr) {
        cli_error("serve", "--web-token and --web-host need --web [HOST:]PORT");
        return 2;
    }
    if (!tls_cert != !tls_key || (tls_ca && !tls_cert)) {
        cli_error("serve", "TLS needs both --tls-cert FILE and --tls-key FILE (and "
                           "--tls-client-ca only with them)");
        return 2;
    }
    if (!e->port_url[0] || (!e->listen[0] && !web_addr && !mqtt_url)) {
        cli_missing(
            "serve",
            !e->port_url[0]
                ? "PORT, the port to export (/dev/ttyUSB0...), or --file FILE"
                : "--listen [HOST:]PORT (or --web [HOST:]PORT, --mqtt URL): where clients connect");
        return 2;
    }
    *n = 1;
    return 0;
}

#define RETRY_MS 1000u

static int start_export(aser_loop *loop, export *e);

static void retry_export(void *arg)
{
    export *e = arg;
    e->retry = NULL;
    if (start_export(serve_loop, e) != 0) e->ended = true; /* reported */
    fflush(stdout);
}

/* --file: the device of e is absent (or not openable yet): say so once
 * per reason, and try again in RETRY_MS while the others serve. */
static int wait_for_device(aser_loop *loop, export *e, const aser_err *err)
{
    if (strncmp(e->absent, err->msg, sizeof e->absent - 1) != 0) { /* as much as it keeps */
        logf_("%s: not available (%s); trying again every %u ms while the other exports "
              "serve",
              e->port_url, err->msg, RETRY_MS);
        snprintf(e->absent, sizeof e->absent, "%.255s", err->msg); /* compared, not shown */
    }
    return aser_timer_start(loop, RETRY_MS, retry_export, e, &e->retry) < 0 ? 1 : 0;
}

/* The default export name: the URL's last path part, in the characters
 * a name may have ("/dev/ttyUSB0" -> "ttyUSB0", "usb:0403:6001" ->
 * "usb_0403_6001"). */
static void export_name(export *e)
{
    const char *u = e->port_url, *slash = strrchr(u, '/');
    const char *base = slash && slash[1] ? slash + 1 : u;
    size_t n = 0;
    for (; *base && n < sizeof e->name - 1; base++) {
        char c = *base;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.';
        e->name[n++] = ok ? c : '_';
    }
    e->name[n] = '\0';
}

static void on_web(aser_web *w, const char *text, void *ctx)
{
    (void)w, (void)ctx;
    if (!quiet) logf_("%s", text);
}

/* The token file's first line, without its line break. */
static int read_token(char *tok, size_t cap)
{
    FILE *f = fopen(web_token_file, "r");
    if (!f) {
        cli_error("serve", "cannot read the web token file %s: %s", web_token_file,
                  strerror(errno));
        return -1;
    }
    if (!fgets(tok, (int)cap, f)) tok[0] = '\0';
    fclose(f);
    tok[strcspn(tok, "\r\n")] = '\0';
    if (!tok[0]) {
        cli_error("serve", "the web token file %s is empty: put the token on its first line",
                  web_token_file);
        return -1;
    }
    return 0;
}

/* The web listener lets one address hold a quarter of max_pending
 * connections waiting for their request: room for one client opening
 * every export at once (a fleet client, the console's tabs) is 4 per
 * export, at least the library's 64 (0 asks for that). */
static unsigned web_pending(size_t nexports)
{
    return nexports * 4 > 64 ? (unsigned)(nexports * 4) : 0;
}

static int start_web(aser_loop *loop, size_t nexports)
{
    char tok[256];
    aser_err err = {0};
    if (web_token_file && read_token(tok, sizeof tok) < 0) return 2;
    aser_web_opts wo = {.listen = web_addr,
                        .token = web_token_file ? tok : NULL,
                        .cb = on_web,
                        .tls_cert = tls_cert,
                        .tls_key = tls_key,
                        .tls_client_ca = tls_ca,
                        .insecure = insecure,
                        .hosts = web_hosts,
                        .max_pending = web_pending(nexports)};
    if (aser_web_start(loop, &wo, &web, &err) < 0) {
        cli_error("serve", "--web %s: %s", web_addr, err.msg);
        return err.code == ASER_EACCES || err.code == ASER_EBADURL || err.code == ASER_EINVAL ? 2
                                                                                              : 1;
    }
    char host[300];
    snprintf(host, sizeof host, "%s", web_addr);
    char *colon = strrchr(host, ':');
    if (colon) *colon = '\0';
    printf("web console on http%s://%s:%d/\n", tls_cert ? "s" : "", colon ? host : "127.0.0.1",
           aser_web_port(web));
    return 0;
}

/* The export's TLS files: its own (--file keys), else the command line's. */
static void export_tls(export *e)
{
    bool own = e->tls_cert[0] || e->tls_key[0] || e->tls_ca[0];
    e->o.tls_cert = own ? (e->tls_cert[0] ? e->tls_cert : NULL) : tls_cert;
    e->o.tls_key = own ? (e->tls_key[0] ? e->tls_key : NULL) : tls_key;
    e->o.tls_client_ca = own ? (e->tls_ca[0] ? e->tls_ca : NULL) : tls_ca;
    e->o.insecure = e->insecure || insecure;
}

/* An expired (or not yet valid) certificate still serves, so that it can
 * be replaced and reloaded without a restart, but clients will refuse
 * it: say so at start. The library reports it from a reload, which
 * re-reads the same files. */
static void tls_warning(export *e)
{
    const char *warning = "";
    aser_err err = {0};
    if (e->o.tls_cert && aser_server_reload_tls(e->srv, &warning, &err) == 0 && warning[0])
        logf_("%s: warning: %s", e->port_url, warning);
}

/* SIGHUP: the certificates again, for every TLS listener. One line each. */
static void reload_all(export *ex, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        export *e = &ex[i];
        if (!e->srv || !e->o.tls_cert) continue;
        const char *warning = "";
        aser_err err = {0};
        if (aser_server_reload_tls(e->srv, &warning, &err) == 0)
            logf_("%s: reloaded the TLS certificate %s%s%s", e->port_url, e->o.tls_cert,
                  warning[0] ? "; warning: " : "", warning);
        else
            logf_("%s: kept the old TLS certificate: %s", e->port_url, err.msg);
    }
    if (web && tls_cert) {
        const char *warning = "";
        aser_err err = {0};
        if (aser_web_reload_tls(web, &warning, &err) == 0)
            logf_("web console: reloaded the TLS certificate %s%s%s", tls_cert,
                  warning[0] ? "; warning: " : "", warning);
        else
            logf_("web console: kept the old TLS certificate: %s", err.msg);
    }
    fflush(stderr);
}

#ifdef SIGHUP
static void on_hup(int sig)
{
    (void)sig;
    hup = 1;
}
#endif

/* The export's broker: its file line's mqtt=, else --mqtt (NULL: none). */
static const char *export_mqtt(const export *e)
{
    return e->mqtt[0] ? e->mqtt : mqtt_url;
}

/* --mqtt or mqtt=: publish the export through the broker (aser_server_mqtt). */
static int start_mqtt(export *e)
{
    aser_err err = {0};
    const char *url = export_mqtt(e);
    if (!e->name[0]) export_name(e);
    aser_mqtt_opts mo = {.url = url,
                         .name = e->name,
                         .auth_file = e->mqtt_auth[0] ? e->mqtt_auth : mqtt_auth,
                         .access = e->o.access};
    aser_framer f;
    aser_config cfg;
    aser_port_config(e->port, &cfg); /* modbus-rtu: its silence from the port's speed */
    if (e->frame[0]) {
        if (serve_frame_spec(e->frame, &cfg, &f) < 0) return 2;
        mo.framer = &f;
    }
    if (aser_server_mqtt(e->srv, &mo, &err) < 0) {
        cli_error("serve", "%s: %s %s: %s", e->port_url, e->mqtt[0] ? "mqtt=" : "--mqtt", url,
                  err.msg);
        return 2;
    }
    printf("serving %s on %s as %s (mqtt%s)\n", e->port_url, url, e->name,
           serve_access_word(e->o.access));
    return 0;
}

static int start_export(aser_loop *loop, export *e)
{
    aser_config cfg = ASER_CONFIG_DEFAULT;
    aser_err err = {0};
    if (e->config[0] && cli_config("serve", e->config, &cfg) < 0) return 2;
    if (aser_open(loop, e->port_url, &cfg, &e->port, &err) < 0) {
        if (from_file) return wait_for_device(loop, e, &err);
        cli_error("serve", "%s", err.msg);
        return 1;
    }
    if (e->absent[0]) logf_("%s: available now", e->port_url);
    e->absent[0] = '\0';
    aser_set_reconnect(e->port, &(aser_reconnect_opts){.enabled = true, .cb = on_link, .ctx = e});
    cli_follow_config("serve", e->port, NULL); /* pty: says where it is */
    aser_server_mode dflt = e->o.mode;         /* --raw / --rfc2217: for listeners without /MODE */
    if (!e->access_set && access_given) e->o.access = access_dflt;
    aser_server_access access = e->o.access; /* the WebSocket clients' */
    if (e->listen[0] && serve_listen_mode(e->listen, &e->o.mode, &access) < 0) return 2;
    export_tls(e);
    if (!e->listen[0] && !web && !export_mqtt(e)) {
        cli_error("serve",
                  "%s has no [HOST:]PORT to listen on: give one, --web or --mqtt (mqtt=URL "
                  "in a file)",
                  e->port_url);
        return 2;
    }
    e->o.listen = e->listen[0] ? e->listen : NULL;
    e->o.client_queue = e->queue;
    if (!e->timeouts_set) e->o.negotiate_timeout_ms = NEGOTIATE_MS;
    e->o.cb = on_event;
    e->o.ctx = e;
    if (export_mqtt(e)) /* the gateway is one client more */
        e->o.max_clients = (e->o.max_clients ? e->o.max_clients : 1) + 1;
    aser_server_access ws_access = e->o.access;
    const char *listen = e->o.listen;
    if (listen && access != ws_access) e->o.listen = NULL; /* its own access: added below */
    if (aser_server_start(e->port, &e->o, &e->srv, &err) < 0) {
        cli_error("serve", "%s: %s", e->port_url, err.msg);
        return err.code == ASER_EACCES || err.code == ASER_EINVAL ? 2 : 1;
    }
    int port = listen ? aser_server_port(e->srv) : 0;
    if (listen && !e->o.listen) {
        e->o.listen = listen;
        port = aser_server_listen_access(e->srv, listen, e->o.mode, access, &err);
        if (port < 0) {
            cli_error("serve", "%s: %s", e->port_url, err.msg);
            return err.code == ASER_EACCES ? 2 : 1;
        }
    }
    if (listen) serve_print_serving(e, e->listen, port, e->o.mode, access);
    tls_warning(e);
    if (web) {
        if (!e->name[0]) export_name(e);
        if (aser_web_export(web, e->name, e->srv, &err) < 0) {
            cli_error("serve", "%s: %s (name it with --name or name=NAME)", e->port_url, err.msg);
            return 2;
        }
        printf("serving %s on /ws/%s (websocket%s)\n", e->port_url, e->name,
               serve_access_word(e->o.access));
    }
    if (export_mqtt(e) && start_mqtt(e) != 0) return 2;
    return serve_listen_more(e, dflt);
}

static bool all_ended(const export *ex, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ex[i].ended) return false;
    return true;
}

/* SIGHUP reloads certificates. Windows has no SIGHUP (and its build has
 * no TLS): nothing to watch there. */
static void watch_hup(bool on)
{
#ifdef SIGHUP
    if (!on) {
        signal(SIGHUP, SIG_DFL);
        return;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_hup; /* no SA_RESTART: the loop's wait returns at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
#else
    (void)on;
#endif
}

static int run(aser_loop *loop, export *ex, size_t n)
{
    int rc = web_addr ? start_web(loop, n) : 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = start_export(loop, &ex[i]);
    fflush(stdout);
    watch_hup(true);
    while (rc == 0 && !cli_stop && !all_ended(ex, n)) {
        if (aser_loop_run_once(loop, 200) < 0) rc = 1;
        if (hup) {
            hup = 0;
            reload_all(ex, n);
        }
        for (size_t i = 0; i < n; i++) refused_summary(&ex[i], false);
    }
    for (size_t i = 0; i < n; i++) refused_summary(&ex[i], true);
    watch_hup(false);
    if (rc == 0 && all_ended(ex, n)) rc = 1;
    aser_web_stop(web);
    web = NULL;
    for (size_t i = 0; i < n; i++) {
        if (ex[i].retry) aser_timer_cancel(ex[i].retry);
        aser_server_stop(ex[i].srv);
        aser_close(ex[i].port);
    }
    return rc;
}

/* An export holds several descriptors (its port, listeners, clients, a
 * broker connection: 5 for an MQTT export, 3 for a sim: port behind a
 * listener): 1,000 exports pass the usual soft limit of 1024 long before
 * the hard one. Raise the soft limit to the hard one, as servers do; a
 * limit still too low fails the export that hits it, naming the limit. */
static void raise_fd_limit(void)
{
#ifdef ASER_OS_UNIX
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl); /* if refused, the soft limit stays */
    }
#endif
}

int aser_cmd_serve(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage_text, stdout);
        return 0;
    }
    export *ex = calloc(1, sizeof *ex); /* the command line's; --file makes more */
    if (!ex) {
        cli_error("serve", "out of memory");
        return 1;
    }
    size_t n = 0;
    int rc = parse_args(argc, argv, &ex, &n);
    if (rc == 0) {
        raise_fd_limit();
        aser_loop *loop;
        if (aser_loop_new(&loop) < 0) {
            cli_error("serve", "cannot create an event loop");
            rc = 1;
        } else {
            cli_catch_signals();
            serve_loop = loop;
            rc = run(loop, ex, n);
            for (int i = 0; i < 500 && aser_loop_free(loop) == ASER_EBUSY; i++)
                aser_loop_run_once(loop, 10); /* a name lookup still running */
        }
    }
    free(ex);
    return rc;
}
