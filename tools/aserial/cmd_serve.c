/* cmd_serve.c: aserial serve PORT --listen [HOST:]PORT[/MODE]... [--rfc2217|--raw]
 * [--max-clients N] [--kick-old] [--config STR] [--queue BYTES]
 * [--idle-timeout MS] [--negotiate-timeout MS] [--name NAME] [--quiet]
 * [--web [HOST:]PORT [--web-token FILE]],
 * or aserial serve --file FILE for many exports in one process. --web
 * adds the browser console and /ws/NAME WebSocket endpoints (aser_web). Runs until
 * SIGINT/SIGTERM, or until every exported port has closed for good. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_EXPORTS 256
#define MAX_LISTENS 8
#define NEGOTIATE_MS 10000u /* default --negotiate-timeout */

static const char usage_text[] =
    "usage: aserial serve PORT --listen [HOST:]PORT[/raw|/rfc2217]... [--rfc2217 | --raw]\n"
    "                     [--max-clients N] [--kick-old] [--config STR] [--queue BYTES]\n"
    "                     [--idle-timeout MS] [--negotiate-timeout MS] [--quiet]\n"
    "                     [--name NAME] [--web [HOST:]PORT [--web-token FILE]]\n"
    "       aserial serve --file FILE [--web [HOST:]PORT [--web-token FILE]] [--quiet]\n"
    "  Export a serial port to TCP clients, like ser2net. PORT is any port URL\n"
    "  (/dev/ttyUSB0, usb:VID:PID, rfc2217://HOST:PORT, ...). The server binds\n"
    "  127.0.0.1 unless --listen names another address (0.0.0.0:2000 for every\n"
    "  interface); port 0 picks a free one. On start it prints one line per export:\n"
    "    serving PORT on HOST:PORT (rfc2217)\n"
    "  --listen ADDR   may be given up to 8 times to export the port on several\n"
    "                  listeners; /raw or /rfc2217 after one sets its mode, e.g.\n"
    "                  --listen 2000 --listen 2001/raw (both at once)\n"
    "  --rfc2217       telnet + RFC 2217: clients set baud, parity, lines (default)\n"
    "  --raw           bytes as they are, nothing else\n"
    "  --max-clients N clients at once (default 1); data from the port goes to all\n"
    "  --kick-old      when full, drop the oldest client instead of refusing the new\n"
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
    "                  names a host; then --web-token is required); with --web,\n"
    "                  --listen may be left out (browsers only)\n"
    "  --web-token FILE  the access token (the file's first line): browsers open\n"
    "                  http://ADDR/?token=TOKEN, programs send Authorization: Bearer\n"
    "  --name NAME     the export's name under /ws/ (default: the port's last path\n"
    "                  part, e.g. ttyUSB0)\n"
    "  --file FILE     one export per line: PORT [HOST:]PORT [rfc2217|raw]\n"
    "                  [max-clients=N] [kick-old] [config=STR] [queue=BYTES]\n"
    "                  [name=NAME] (with --web, - as [HOST:]PORT: no TCP listener);\n"
    "                  blank lines and lines starting with # are ignored, e.g.\n"
    "                    /dev/ttyUSB0  0.0.0.0:2000  rfc2217  max-clients=2\n"
    "                    usb:0403:6001 127.0.0.1:2001 raw config=9600,8N1\n"
    "  A lost port (unplugged) is reopened when it comes back; clients stay.\n"
    "  With --file, an export whose device is absent at start is tried again every\n"
    "  second while the others serve, and starts when the device appears.\n"
    "  Config strings: man aserial, CONFIG STRINGS.\n";

typedef struct export
{
    char port_url[512];
    char listen[300];
    char more[MAX_LISTENS - 1][300]; /* further --listen, each "[HOST:]PORT[/MODE]" */
    size_t nmore;
    bool timeouts_set; /* --negotiate-timeout given */
    char config[128];
    char name[64]; /* under /ws/ */
    aser_server_opts o;
    unsigned queue;
    aser_port *port;
    aser_server *srv;
    bool ended;
    aser_timer *retry; /* --file: the device was absent, try again */
    char absent[256];  /* why, as last reported */
}
export;

static bool from_file; /* exports from --file: an absent device is waited for */
static aser_loop *serve_loop;

static bool quiet;
static const char *web_addr, *web_token_file;
static aser_web *web;

static void logf_(const char *fmt, ...) CLI_PRINTF(1, 2);
static void logf_(const char *fmt, ...)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%02d:%02d:%02d.%03ld aserial serve: ", tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void on_event(aser_server *s, aser_server_event ev, int code, const char *text, void *ctx)
{
    export *e = ctx;
    (void)s, (void)code;
    if (ev == ASER_SERVER_PORT_CLOSED) e->ended = true;
    if (!quiet || ev == ASER_SERVER_PORT_CLOSED) logf_("%s: %s", e->port_url, text);
}

static void on_link(aser_port *p, aser_link_event ev, void *ctx)
{
    export *e = ctx;
    const char *what = ev == ASER_LINK_LOST       ? "lost; waiting for it to come back"
                       : ev == ASER_LINK_RESTORED ? "back"
                                                  : "gave up";
    logf_("%s: port %s %s", e->port_url, what, aser_port_errmsg(p));
    aser_server_link_changed(e->srv, ev);
}

/* One option of a --file line ("max-clients=4", "raw", ...). */
static int file_option(export *e, const char *tok)
{
    if (!strcmp(tok, "rfc2217"))
        e->o.mode = ASER_SERVE_RFC2217;
    else if (!strcmp(tok, "raw"))
        e->o.mode = ASER_SERVE_RAW;
    else if (!strcmp(tok, "kick-old"))
        e->o.kick_old = true;
    else if (!strncmp(tok, "max-clients=", 12))
        return cli_uint("serve", "max-clients", tok + 12, &e->o.max_clients);
    else if (!strncmp(tok, "queue=", 6))
        return cli_uint("serve", "queue", tok + 6, &e->queue);
    else if (!strncmp(tok, "config=", 7))
        snprintf(e->config, sizeof e->config, "%s", tok + 7);
    else if (!strncmp(tok, "name=", 5))
        snprintf(e->name, sizeof e->name, "%s", tok + 5);
    else {
        cli_error("serve",
                  "unknown option \"%s\" in the file: use rfc2217, raw, kick-old, "
                  "max-clients=N, queue=BYTES or config=STR",
                  tok);
        return -1;
    }
    return 0;
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

/* One line of the file into line (NUL-terminated, without its newline):
 * 1 read, 0 at the end, -1 on an error (reported with its line number). */
static int file_getline(FILE *f, char *line, size_t cap, const char *file, int lineno)
{
    size_t len = 0;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (c == '\0') {
            cli_error("serve", "%s:%d: a NUL byte: %s is not a text file of exports", file, lineno,
                      file);
            return -1;
        }
        if (len + 1 >= cap) {
            cli_error("serve", "%s:%d: line longer than %zu characters", file, lineno, cap - 1);
            return -1;
        }
        line[len++] = (char)c;
    }
    line[len] = '\0';
    return c == EOF && len == 0 ? 0 : 1;
}

static int read_file(const char *file, export *ex, size_t *n)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        cli_error("serve", "cannot read %s: %s", file, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, rc = 0, got;
    while (rc == 0 && (got = file_getline(f, line, sizeof line, file, lineno + 1)) != 0) {
        lineno++;
        if (got < 0) {
            rc = -1;
            break;
        }
        char *s = line + strspn(line, " \t");
        if (*s == '#' || *s == '\r' || *s == '\0') continue;
        if (*n == MAX_EXPORTS) {
            cli_error("serve", "%s: more than %d exports", file, MAX_EXPORTS);
            rc = -1;
            break;
        }
        rc = file_line(&ex[*n], s, file, lineno);
        if (rc == 0) (*n)++;
    }
    fclose(f);
    if (rc == 0 && *n == 0) {
        cli_error("serve", "%s declares no export; see aserial serve --help", file);
        rc = -1;
    }
    return rc;
}

static int parse_args(int argc, char **argv, export *ex, size_t *n)
{
    export *e = &ex[0];
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
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
            quiet = true;
        else if (!strcmp(a, "--listen") && more) {
            if (!e->listen[0]) {
                snprintf(e->listen, sizeof e->listen, "%s", argv[++i]);
            } else if (e->nmore < MAX_LISTENS - 1) {
                snprintf(e->more[e->nmore++], sizeof e->more[0], "%s", argv[++i]);
            } else {
                cli_error("serve",
                          "more than %d --listen: one port has at most %d "
                          "listeners",
                          MAX_LISTENS, MAX_LISTENS);
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
            cli_error("serve",
                      "unknown option \"%s\" (or it needs a value); see aserial "
                      "serve --help",
                      a);
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
        return read_file(file, ex, n) < 0 ? 2 : 0;
    }
    if (web_token_file && !web_addr) {
        cli_error("serve", "--web-token needs --web [HOST:]PORT");
        return 2;
    }
    if (!e->port_url[0] || (!e->listen[0] && !web_addr)) {
        fputs(usage_text, stderr);
        return 2;
    }
    *n = 1;
    return 0;
}

/* "[HOST:]PORT[/raw|/rfc2217]": cut the mode off addr. 0, or -1 after
 * saying what is wrong. */
static int listen_mode(char *addr, aser_server_mode *mode)
{
    char *slash = strrchr(addr, '/');
    if (!slash) return 0;
    if (!strcmp(slash + 1, "raw"))
        *mode = ASER_SERVE_RAW;
    else if (!strcmp(slash + 1, "rfc2217"))
        *mode = ASER_SERVE_RFC2217;
    else {
        cli_error("serve", "unknown mode \"%s\" in --listen %s: use /raw or /rfc2217", slash + 1,
                  addr);
        return -1;
    }
    *slash = '\0';
    return 0;
}

static void print_serving(const export *e, const char *listen, int port, aser_server_mode mode)
{
    char host[300];
    snprintf(host, sizeof host, "%s", listen);
    char *colon = strrchr(host, ':');
    if (colon) *colon = '\0';
    printf("serving %s on %s:%d (%s)\n", e->port_url, colon ? host : "127.0.0.1", port,
           mode == ASER_SERVE_RAW ? "raw" : "rfc2217");
}

/* The further listeners of one export. */
static int listen_more(export *e, aser_server_mode dflt)
{
    for (size_t i = 0; i < e->nmore; i++) {
        aser_server_mode mode = dflt;
        aser_err err = {0};
        if (listen_mode(e->more[i], &mode) < 0) return 2;
        int port = aser_server_listen(e->srv, e->more[i], mode, &err);
        if (port < 0) {
            cli_error("serve", "%s: %s", e->port_url, err.msg);
            return 1;
        }
        print_serving(e, e->more[i], port, mode);
    }
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
    if (strcmp(e->absent, err->msg) != 0) {
        logf_("%s: not available (%s); trying again every %u ms while the other exports "
              "serve",
              e->port_url, err->msg, RETRY_MS);
        snprintf(e->absent, sizeof e->absent, "%s", err->msg);
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

static int start_web(aser_loop *loop)
{
    char tok[256];
    aser_err err = {0};
    if (web_token_file && read_token(tok, sizeof tok) < 0) return 2;
    aser_web_opts wo = {.listen = web_addr, .token = web_token_file ? tok : NULL, .cb = on_web};
    if (aser_web_start(loop, &wo, &web, &err) < 0) {
        cli_error("serve", "--web %s: %s", web_addr, err.msg);
        return err.code == ASER_EACCES || err.code == ASER_EBADURL ? 2 : 1;
    }
    char host[300];
    snprintf(host, sizeof host, "%s", web_addr);
    char *colon = strrchr(host, ':');
    if (colon) *colon = '\0';
    printf("web console on http://%s:%d/\n", colon ? host : "127.0.0.1", aser_web_port(web));
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
    if (e->listen[0] && listen_mode(e->listen, &e->o.mode) < 0) return 2;
    if (!e->listen[0] && !web) {
        cli_error("serve", "%s has no [HOST:]PORT to listen on: give one, or --web", e->port_url);
        return 2;
    }
    e->o.listen = e->listen[0] ? e->listen : NULL;
    e->o.client_queue = e->queue;
    if (!e->timeouts_set) e->o.negotiate_timeout_ms = NEGOTIATE_MS;
    e->o.cb = on_event;
    e->o.ctx = e;
    if (aser_server_start(e->port, &e->o, &e->srv, &err) < 0) {
        cli_error("serve", "%s: %s", e->port_url, err.msg);
        return 1;
    }
    if (e->listen[0]) print_serving(e, e->listen, aser_server_port(e->srv), e->o.mode);
    if (web) {
        if (!e->name[0]) export_name(e);
        if (aser_web_export(web, e->name, e->srv, &err) < 0) {
            cli_error("serve", "%s: %s (name it with --name or name=NAME)", e->port_url, err.msg);
            return 2;
        }
        printf("serving %s on /ws/%s (websocket)\n", e->port_url, e->name);
    }
    return listen_more(e, dflt);
}

static bool all_ended(const export *ex, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ex[i].ended) return false;
    return true;
}

static int run(aser_loop *loop, export *ex, size_t n)
{
    int rc = web_addr ? start_web(loop) : 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = start_export(loop, &ex[i]);
    fflush(stdout);
    while (rc == 0 && !cli_stop && !all_ended(ex, n))
        if (aser_loop_run_once(loop, 200) < 0) rc = 1;
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

int aser_cmd_serve(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage_text, stdout);
        return 0;
    }
    export *ex = calloc(MAX_EXPORTS, sizeof *ex);
    if (!ex) {
        cli_error("serve", "out of memory");
        return 1;
    }
    size_t n = 0;
    int rc = parse_args(argc, argv, ex, &n);
    if (rc == 0) {
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
