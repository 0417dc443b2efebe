/* server/web.c: the web listener (aser_web, aserial.h section 10): one
 * HTTP listener for several servers. Each connection's request head is
 * read by the WebSocket codec (codec/ws.c, plain GETs allowed), which
 * bounds it; the request is checked (token, Origin, path) and then either
 * answered here (the console page and its assets, built into the library
 * from web/, and /exports) or, for /ws/NAME, handed with its socket and
 * codec to NAME's server as a WebSocket client (server/ws.c).
 *
 * Bounded: at most max_pending connections wait for their request (for
 * a newcomer, what they sent is read first, then the idlest without a
 * whole request goes: make_room), each for at most PENDING_US; an answer
 * is queued whole (the largest asset) and the connection closed once
 * sent. The Host header and the token are checked in web_guard.c.
 *
 * TLS (opts.tls_cert): each connection's handshake runs first (within the
 * same PENDING_US, counted in max_pending), then the request is read
 * through the session (the connection's stream, net/stream.h); a WebSocket
 * is handed to its server with the session. */
#define _GNU_SOURCE
#include "codec/tls.h"
#include "codec/ws.h"
#include "server/server.h"
#include "server/web_assets.h"
#include "server/web_exports.h"
#include "server/web_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef ASER_OS_UNIX
#include <sys/socket.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

#define EXPORTS_MAX 16384    /* as many as aserial serve --file takes */
#define POLLED 0x100u        /* on_conn_io from make_room, not from the loop */
#define TOKEN_MIN 16         /* bytes: guessing one at any speed the back-off allows is hopeless */
#define PENDING_US 10000000u /* a request must arrive within 10 s */
#define FRAME_MAX (64u * 1024u) /* from a browser */
#define ANSWER_MAX (2048u * 1024u)
#define VENDOR_MAX (1024u * 1024u)              /* a vendored file larger than this is refused */
#define XTERM_DIR "/usr/share/javascript/xterm" /* Debian's libjs-xterm */

typedef struct web_conn web_conn;
struct web_conn {
    aser_web *w;
    web_conn *next;
    aser_stream st; /* st.fd -1: closed or handed over; with TLS its session
                       (moved to the server with a WebSocket) */
    aser_io *io;
    aser_ws *codec; /* NULL once handed over */
    aser_bq out;
    bool answered; /* close once out is sent */
    uint64_t deadline;
    uint64_t heard; /* last read something (or connected), us */
    bool polled;    /* make_room read it since it last sent something */
    char peer[64];
};

struct aser_web {
    aser_loop *loop;
    aser_web_opts o;
    char token[256];
    int fd, port;
    bool loopback;
    web_hosts hosts; /* what the Host header may name */
    srv_acceptor acc;
    aser_tmr *tmr;
    web_conn *conns; /* oldest first */
    unsigned npending;
    web_exports ex;
    aser_defer sweep;
    bool stopped;
    srv_tls_id tls;      /* tls.ctx NULL: plain http */
    web_backoff backoff; /* wrong tokens per source */
    uint64_t log_window; /* refusal lines: this window began then, us */
    unsigned log_shown, log_hidden;
};

/* Refusals are logged LOG_BURST per LOG_WINDOW_US at most, then one line
 * with how many more there were (at the window's end, from the timer):
 * a flood of bad requests cannot flood the log. */
#define LOG_BURST 10
#define LOG_WINDOW_US 10000000u

static void rearm(aser_web *w);

static void log_line(aser_web *w, const char *text)
{
    if (w->o.cb) w->o.cb(w, text, w->o.ctx);
}

/* The count of lines not shown in the window that ended, if any. */
static void log_summary(aser_web *w)
{
    if (!w->log_hidden) return;
    char b[160];
    snprintf(b, sizeof b, "web: %u more refusals in %u s (not shown one by one)", w->log_hidden,
             LOG_WINDOW_US / 1000000u);
    w->log_hidden = 0;
    log_line(w, b);
}

static void wlog(aser_web *w, const char *fmt, ...) ASER_PRINTF(2, 3);
static void wlog(aser_web *w, const char *fmt, ...)
{
    if (!w->o.cb || w->stopped) return;
    uint64_t now = aser__now_us();
    if (now - w->log_window >= LOG_WINDOW_US) {
        log_summary(w);
        w->log_window = now;
        w->log_shown = 0;
    }
    if (w->log_shown == LOG_BURST) {
        if (!w->log_hidden++) rearm(w); /* the timer tells the count */
        return;
    }
    w->log_shown++;
    char b[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    log_line(w, b);
}

/* ---- connections ------------------------------------------------------------------------ */

static void on_conn_io(void *arg, unsigned revents);

static void conn_close(web_conn *k, bool close_fd)
{
    if (k->st.fd < 0) return;
    if (close_fd) aser__stream_goodbye(&k->st);
    if (k->io) aser__io_close(k->io);
    k->io = NULL;
    if (!close_fd) aser__stream_forget_fd(&k->st); /* handed over */
    aser__stream_close(&k->st); /* the session now: a burst of closes must not hold them all */
    k->w->npending--;           /* the codec is freed by the sweep: we may be inside its feed */
    aser__defer(k->w->loop, &k->w->sweep);
}

static void conn_update(web_conn *k)
{
    unsigned ev = k->answered ? 0 : ASER_EV_READ;
    if (aser__bq_size(&k->out) || aser__stream_pending(&k->st)) ev |= ASER_EV_WRITE;
    if (aser__io_set(k->io, ev) < 0) conn_close(k, true);
}

static void conn_flush(web_conn *k)
{
    if (k->st.fd < 0) return;
    int rc = aser__stream_flush(&k->st);
    if (rc == 0) rc = aser__stream_drain(&k->st, &k->out);
    if (rc < 0 && rc != ASER_EAGAIN) {
        conn_close(k, true);
        return;
    }
    if (k->answered && !aser__bq_size(&k->out) && !aser__stream_pending(&k->st)) {
        aser__sock_shutdown(k->st.fd, SHUT_WR);
        conn_close(k, true);
        return;
    }
    conn_update(k);
}

/* The request's source address (k->peer without its port). */
static void source_of(const web_conn *k, char *src, size_t cap)
{
    snprintf(src, cap, "%s", k->peer);
    char *colon = strrchr(src, ':');
    if (colon) *colon = '\0';
}

/* The token of a request that needs one: true if it may go on, else it
 * was answered (401, or 429 while its source waits after wrong tokens:
 * guesses are not even compared then, so they cannot go fast). */
static bool token_checked(web_conn *k, const char *got)
{
    aser_web *w = k->w;
    if (!w->token[0]) return true;
    char src[64], why[160];
    source_of(k, src, sizeof src);
    uint64_t now = aser__now_us(), wait = aser__web_backoff_wait(&w->backoff, src, now);
    if (wait) {
        unsigned s = (unsigned)((wait + 999999u) / 1000000u);
        wlog(w, "web: %s refused: waiting %u s after %d wrong tokens", k->peer, s,
             ASER_WEB_FREE_FAILS);
        snprintf(why, sizeof why, "too many wrong access tokens from %s: try again in %u s", src,
                 s);
        aser__ws_refuse(k->codec, 429, why);
        return false;
    }
    if (got && aser__web_token_eq(w->token, got)) {
        aser__web_backoff_ok(&w->backoff, src);
        return true;
    }
    wait = got ? aser__web_backoff_fail(&w->backoff, src, now) : 0;
    wlog(w, "web: %s refused: %s token%s", k->peer, got ? "wrong" : "no",
         wait ? " (its address now waits before it may try again)" : "");
    aser__ws_refuse(k->codec, 401,
                    got ? "wrong access token"
                        : "an access token is required: add ?token=TOKEN to the URL or send "
                          "Authorization: Bearer TOKEN");
    return false;
}

/* A browser's Origin must be this listener: "http://" (with TLS
 * "https://") + the Host header. */
static bool origin_ok(const aser_web *w, const char *origin, const char *host)
{
    if (!origin) return true; /* not a browser: no page can be driving it */
    const char *scheme = w->tls.ctx ? "https://" : "http://";
    size_t n = strlen(scheme);
    return !strncmp(origin, scheme, n) && !strcmp(origin + n, host);
}

static void answer_exports(web_conn *k)
{
    aser_web *w = k->w;
    size_t cap = w->ex.n * 200 + 64; /* a row is at most ~190 bytes */
    char *b = malloc(cap);
    if (!b) {
        conn_close(k, true);
        return;
    }
    size_t n = (size_t)snprintf(b, cap, "[");
    for (size_t i = 0; i < w->ex.n && n < cap - 200; i++) {
        aser_server *s = w->ex.v[i].s;
        aser_config cfg;
        char str[100];
        aser_port_config(s->port, &cfg);
        aser_config_format(&cfg, str, sizeof str);
        n += (size_t)snprintf(b + n, cap - n,
                              "%s{\"name\":\"%s\",\"state\":\"%s\",\"config\":\"%s\","
                              "\"clients\":%zu,\"max_clients\":%u}",
                              i ? "," : "", w->ex.v[i].name, s->port_ended ? "closed" : "open", str,
                              s->nclients, s->o.max_clients);
    }
    n += (size_t)snprintf(b + n, cap - n, "]\n");
    aser__ws_respond(k->codec, "application/json", b, n);
    free(b);
}

/* /vendor/xterm.js and /vendor/xterm.css: read at each request from the
 * installed Debian package libjs-xterm (XTERM_DIR, or $ASERIAL_XTERM_DIR),
 * never from a path the request names: only these two fixed names are
 * served, so nothing else under (or above) that directory can be reached.
 * A regular file of at most VENDOR_MAX bytes; otherwise a 404, and the
 * page falls back to its plain-text terminal view. */
static bool answer_vendor(web_conn *k, const char *path)
{
    static const struct {
        const char *path, *file, *type;
    } files[] = {
        {"/vendor/xterm.js", "xterm.js", "text/javascript; charset=utf-8"},
        {"/vendor/xterm.css", "xterm.css", "text/css; charset=utf-8"},
    };
    size_t i = 0;
    while (i < sizeof files / sizeof files[0] && strcmp(path, files[i].path)) i++;
    if (i == sizeof files / sizeof files[0]) return false;
    const char *dir = getenv("ASERIAL_XTERM_DIR");
    if (!dir || !*dir) dir = XTERM_DIR;
    char fn[4096];
    if ((size_t)snprintf(fn, sizeof fn, "%s/%s", dir, files[i].file) >= sizeof fn) {
        aser__ws_refuse(k->codec, 404, "xterm.js is not installed (libjs-xterm)");
        return true;
    }
    char *buf = NULL;
    size_t len = 0;
    struct stat st;
    int fd = open(fn, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
        (uint64_t)st.st_size <= VENDOR_MAX && (buf = malloc((size_t)st.st_size + 1))) {
        while (len <= (size_t)st.st_size) { /* one byte more: a file that grew is refused */
            ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            len += (size_t)n;
        }
        if (len != (size_t)st.st_size) {
            free(buf);
            buf = NULL;
        }
    }
    if (fd >= 0) aser__sock_close(fd);
    if (buf)
        aser__ws_respond(k->codec, files[i].type, buf, len);
    else
        aser__ws_refuse(k->codec, 404,
                        "xterm.js is not installed (Debian package libjs-xterm, or "
                        "ASERIAL_XTERM_DIR): the console shows plain text");
    free(buf);
    return true;
}

static void on_plain_get(web_conn *k, const char *path)
{
    if (!strcmp(path, "/exports")) {
        answer_exports(k);
        return;
    }
    if (answer_vendor(k, path)) return;
    const char *file = strcmp(path, "/") ? path + 1 : "console.html";
    for (const aser_web_asset *a = aser__web_assets; a->name; a++)
        if (!strcmp(a->name, file)) {
            aser__ws_respond(k->codec, a->type, a->data, a->len);
            return;
        }
    aser__ws_refuse(k->codec, 404, "no such page: the console is at /");
}

/* The page's own script, style sheet and the terminal library: static
 * files with nothing secret in them, which the page's <script>/<link>
 * tags load without the ?token= the page was opened with. The token
 * guards the page itself, /exports and every WebSocket. */
static bool public_asset(const char *path)
{
    return !strcmp(path, "/console.js") || !strcmp(path, "/console.css") ||
           !strncmp(path, "/vendor/", 8);
}

/* The request passed the codec's checks; route it. */
static void on_request(web_conn *k, const aser_ws_event *ev)
{
    aser_web *w = k->w;
    bool public_file = !ev->upgrade && public_asset(ev->path);
    if (!public_file && !token_checked(k, ev->token)) return;
    if (!aser__web_host_ok(&w->hosts, ev->host)) {
        wlog(w, "web: %s refused: Host %.100s is not this listener's (a re-pointed name?)", k->peer,
             ev->host);
        aser__ws_refuse(k->codec, 403,
                        "the Host header does not name this server: open the console at "
                        "http://127.0.0.1:PORT/ or http://localhost:PORT/, or give its name "
                        "to the server (aserial serve --web-host NAME)");
        return;
    }
    if (!ev->upgrade) {
        on_plain_get(k, ev->path);
        return;
    }
    if (!origin_ok(w, ev->origin, ev->host)) {
        wlog(w, "web: %s refused: foreign Origin %.100s", k->peer, ev->origin);
        aser__ws_refuse(k->codec, 403,
                        "the page's Origin is not this server: only the "
                        "console served here may connect");
        return;
    }
    aser_server *s = strncmp(ev->path, "/ws/", 4) ? NULL : aser__webx_find(&w->ex, ev->path + 4);
    if (!s) {
        aser__ws_refuse(k->codec, 404, "no such export: GET /exports lists them");
        return;
    }
    char why[200];
    aser__io_close(k->io); /* one watch per fd: the server's from now on */
    k->io = NULL;
    if (!aser__srv_adopt(s, k->st.fd, ASER_SERVE_WEBSOCKET, k->codec, k->st.tls ? &k->st : NULL,
                         why, sizeof why)) {
        wlog(w, "web: %s refused: %s", k->peer, why);
        if (!(k->io = aser__io_open(w->loop, k->st.fd, on_conn_io, k))) {
            conn_close(k, true);
            return;
        }
        aser__ws_refuse(k->codec, 503, why);
        return;
    }
    k->codec = NULL; /* the server's now, with the socket */
    conn_close(k, false);
}

static void on_codec(aser_ws *ws, const aser_ws_event *ev, void *ud)
{
    web_conn *k = ud;
    (void)ws;
    switch (ev->kind) {
    case ASER_WS_EV_SEND:
        if (aser__bq_append(&k->out, ev->data, ev->len, ANSWER_MAX) < 0) conn_close(k, true);
        break;
    case ASER_WS_EV_REQUEST:
        on_request(k, ev);
        if (k->st.fd >= 0) k->answered = true;
        break;
    case ASER_WS_EV_ERROR:
        wlog(k->w, "web: %s refused: %s", k->peer, ev->msg);
        k->answered = true;
        break;
    default: break;
    }
}

/* The TLS handshake advanced; a failure is logged and closes k. */
static bool conn_handshake(web_conn *k)
{
    char why[600];
    int rc = aser__srv_handshake(&k->st, why, sizeof why);
    if (rc == 0 || rc == ASER_EAGAIN) return rc == 0;
    wlog(k->w, "web: %s refused: %s", k->peer, why);
    conn_close(k, true);
    return false;
}

static void on_conn_io(void *arg, unsigned revents)
{
    web_conn *k = arg;
    if (!(revents & POLLED)) { /* the loop says it sent something */
        k->heard = aser__now_us();
        k->polled = false;
    }
    if (k->st.handshaking && k->st.fd >= 0) {
        if (!conn_handshake(k)) {
            if (k->st.fd >= 0) conn_flush(k);
            return;
        }
        revents |= ASER_EV_READ; /* the request may have come with the last flight */
    }
    /* With TLS, a record larger than buf leaves plain bytes inside the
     * session that no readiness announces: read on while there are some
     * (bounded: the codec answers or errs within 8 KiB of head). */
    for (int i = 0; i < 16 && (revents & ASER_EV_READ) && k->st.fd >= 0 && !k->answered; i++) {
        uint8_t buf[4096];
        ssize_t n = aser__stream_read(&k->st, buf, sizeof buf);
        if (n == ASER_EAGAIN || n == ASER_EINTR) break;
        if (n <= 0) {
            conn_close(k, true);
            return;
        }
        aser_ws *codec = k->codec;
        aser__ws_feed(codec, buf, (size_t)n);
        if (k->st.fd < 0) return; /* handed over or closed */
        if (!aser__stream_buffered(&k->st)) break;
    }
    conn_flush(k);
}

/* ---- the listener and the timer ------------------------------------------------------------ */

static void rearm(aser_web *w)
{
    if (w->stopped) return;
    uint64_t dl = w->log_hidden ? w->log_window + LOG_WINDOW_US : 0, now = aser__now_us();
    for (web_conn *k = w->conns; k; k = k->next)
        if (k->st.fd >= 0 && (!dl || k->deadline < dl)) dl = k->deadline;
    if (!dl)
        aser__tmr_stop(w->tmr);
    else
        aser__tmr_start(w->tmr, dl > now ? dl - now : 0);
}

static void on_timer(void *arg)
{
    aser_web *w = arg;
    uint64_t now = aser__now_us();
    if (w->log_hidden && now - w->log_window >= LOG_WINDOW_US) log_summary(w);
    for (web_conn *k = w->conns; k; k = k->next)
        if (k->st.fd >= 0 && now >= k->deadline) {
            wlog(w, "web: %s closed: no request within 10 s", k->peer);
            conn_close(k, true);
        }
    rearm(w);
}

/* Room for one more connection from peer waiting for its request, so
 * that a flood cannot starve the others: each source address has at most
 * a quarter of max_pending (a newcomer past that is refused: the flood
 * only competes with itself), and when all are taken the idlest goes (one
 * that has not sent a whole request, else one not taking its answer).
 * Before either, the one that would go is read once: a burst of connects
 * is accepted before any is read, and their requests may all be there
 * (then they are served, and leave). false: refuse peer. */
static bool make_room(aser_web *w, const char *peer)
{
    unsigned quota = ASER_MAX(w->o.max_pending / 4, 1u);
    for (int round = 0; round < 4; round++) {
        unsigned mine = 0;
        web_conn *idlest = NULL, *mine_idlest = NULL;
        for (web_conn *k = w->conns; k; k = k->next) { /* closed ones stay until the sweep */
            if (k->st.fd < 0) continue;
            if (!idlest || k->answered < idlest->answered ||
                (k->answered == idlest->answered && k->heard < idlest->heard))
                idlest = k;
            if (!aser__srv_same_source(k->peer, peer)) continue;
            mine++;
            if (!mine_idlest || k->heard < mine_idlest->heard) mine_idlest = k;
        }
        bool source_full = mine >= quota;
        if (!source_full && w->npending < w->o.max_pending) return true;
        web_conn *v = source_full ? mine_idlest : idlest;
        if (!v->polled) {
            v->polled = true;
            on_conn_io(v, ASER_EV_READ | POLLED);
            continue;
        }
        if (source_full) return false;
        wlog(w,
             "web: %s closed: %u connections wait for their request, the most allowed; "
             "the idlest gives way (a flood of connections?)",
             v->peer, w->o.max_pending);
        conn_close(v, true);
    }
    return w->npending < w->o.max_pending;
}

/* Out of fds: said in the log, outside the refusals' throttle (the
 * acceptor tells at most every 10 s). */
static void accept_paused(void *arg, int e, unsigned pauses)
{
    aser_web *w = arg;
    char why[300], line[340];
    aser__acceptor_why(e, pauses, why, sizeof why);
    snprintf(line, sizeof line, "web: %s", why);
    if (!w->stopped) log_line(w, line);
}

static void accept_conn(void *arg, int fd)
{
    aser_web *w = arg;
    char peer[64];
    aser__net_peer_name(fd, peer, sizeof peer);
    if (w->stopped || !make_room(w, peer)) {
        if (!w->stopped)
            wlog(w,
                 "web: %s refused: %u connections from its address wait for their request, "
                 "the most allowed (a flood of connections?)",
                 peer, ASER_MAX(w->o.max_pending / 4, 1u));
        aser__sock_close(fd);
        return;
    }
    web_conn *k = calloc(1, sizeof *k);
    aser_ws *codec = k ? malloc(sizeof *codec) : NULL;
    if (!codec) {
        free(k);
        aser__sock_close(fd);
        return;
    }
    uint64_t now = aser__now_us();
    *k = (web_conn){.w = w, .codec = codec, .deadline = now + PENDING_US, .heard = now};
    aser__stream_init(&k->st, w->loop, NULL, NULL); /* on_conn_io reads what the session holds */
    k->st.fd = fd;
    aser__ws_init(codec, ASER_WS_SERVER, FRAME_MAX, on_codec, k, NULL);
    codec->plain_get = true;
    snprintf(k->peer, sizeof k->peer, "%s", peer);
    if (w->tls.ctx) {
        char what[100];
        aser_err err = {0};
        snprintf(what, sizeof what, "client %s", k->peer);
        if (aser__stream_tls_server(&k->st, w->tls.ctx, what, &err) < 0) {
            wlog(w, "web: %s refused: %s", k->peer, err.msg);
            aser__sock_close(fd);
            free(codec);
            free(k);
            return;
        }
    }
    if (!(k->io = aser__io_open(w->loop, fd, on_conn_io, k)) ||
        aser__io_set(k->io, ASER_EV_READ) < 0) {
        if (k->io) aser__io_close(k->io);
        aser__sock_close(fd);
        free(codec);
        aser__stream_tls_free(&k->st);
        free(k);
        return;
    }
    web_conn **pp = &w->conns;
    while (*pp) pp = &(*pp)->next;
    *pp = k;
    w->npending++;
    if (w->npending == 1) rearm(w); /* else the timer is set for an older deadline */
}

static void on_sweep(void *arg)
{
    aser_web *w = arg;
    for (web_conn **pp = &w->conns; *pp;) {
        web_conn *k = *pp;
        if (k->st.fd >= 0) {
            pp = &k->next;
            continue;
        }
        *pp = k->next;
        free(k->codec);
        aser__bq_free(&k->out);
        aser__stream_tls_free(&k->st);
        free(k);
    }
    if (!w->stopped) return;
    aser__tmr_close(w->tmr);
    aser__srv_tls_id_free(&w->tls);
    aser__webx_free(&w->ex);
    free(w);
}

/* ---- the API ----------------------------------------------------------------------------------- */

static int load_tls(aser_web *w, const aser_web_opts *o, aser_err *err)
{
    return aser__srv_tls_id_load(&w->tls, o->tls_cert, o->tls_key, o->tls_client_ca,
                                 "the web console with TLS", err);
}

int aser_web_reload_tls(aser_web *w, const char **warning, aser_err *err)
{
    if (warning) *warning = "";
    if (!w || w->stopped || !w->tls.ctx)
        return aser__err(err, ASER_EINVAL,
                         "aser_web_reload_tls: a running web listener with TLS is required");
    return aser__srv_tls_id_reload(&w->tls, "reloading the web console's TLS certificate", warning,
                                   err);
}

static int check_opts(aser_web *w, const aser_web_opts *o, char *host, char *port, aser_err *err)
{
    w->o = *o;
    if (!w->o.max_pending) w->o.max_pending = 64;
    if (o->token) {
        size_t n = strlen(o->token);
        if (n < TOKEN_MIN || n >= sizeof w->token || strpbrk(o->token, " \t\r\n"))
            return aser__err(err, ASER_EINVAL,
                             "the web access token must be at least %d and at most 255 bytes "
                             "without spaces or line breaks: make one with "
                             "head -c 18 /dev/urandom | base64",
                             TOKEN_MIN);
        memcpy(w->token, o->token, n + 1);
    }
    w->o.token = NULL;
    int rc = aser__net_split_hostport(o->listen, strlen(o->listen), "127.0.0.1", o->listen,
                                      "[HOST:]PORT", host, 256, port, 8, err);
    if (rc < 0) return rc;
    w->loopback = aser__srv_is_loopback(host);
    rc = aser__web_hosts_set(&w->hosts, o->hosts, err);
    if (rc < 0) return rc;
    w->hosts.loopback = w->loopback;
    w->o.hosts = NULL;
    if (!w->loopback && !w->token[0])
        return aser__err(err, ASER_EACCES,
                         "the web console on %s (beyond loopback) needs "
                         "an access token: give one (aserial serve --web-token FILE)",
                         host);
    rc = load_tls(w, o, err);
    if (rc < 0) return rc;
    /* beyond loopback the token would cross the network in the clear */
    return aser__srv_bind_check(host, port, w->tls.ctx != NULL, o->insecure, "the web console",
                                err);
}

int aser_web_start(aser_loop *loop, const aser_web_opts *opts, aser_web **out, aser_err *err)
{
    if (!loop || !opts || !opts->listen || !out)
        return aser__err(err, ASER_EINVAL,
                         "aser_web_start: loop, opts, opts->listen and "
                         "out are required");
    aser_web *w = calloc(1, sizeof *w);
    if (!w) return aser__err(err, ASER_ENOMEM, "out of memory");
    char host[256], port[8];
    w->loop = loop;
    w->fd = -1;
    w->sweep = (aser_defer){.fn = on_sweep, .arg = w};
    int rc = check_opts(w, opts, host, port, err);
    if (rc == 0 && !(w->tmr = aser__tmr_open(loop, on_timer, w)))
        rc = aser__err(err, ASER_ENOMEM, "out of memory");
    if (rc == 0) rc = aser__net_listen(host, port, &w->fd, &w->port, err);
    w->hosts.port = w->port;
    w->hosts.tls = w->tls.ctx != NULL;
    if (rc == 0 && aser__acceptor_start(&w->acc, loop, w->fd, accept_conn, w) < 0)
        rc = aser__err(err, ASER_ENOMEM, "cannot watch the web listening socket");
    if (rc == 0) w->acc.paused = accept_paused;
    if (rc < 0) {
        if (w->fd >= 0) aser__sock_close(w->fd);
        if (w->tmr) aser__tmr_close(w->tmr);
        aser__srv_tls_id_free(&w->tls);
        free(w);
        return rc;
    }
    aser__loop_ref(loop);
    *out = w;
    return 0;
}

int aser_web_port(const aser_web *w)
{
    return w ? w->port : ASER_EINVAL;
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (!n || n > ASER_WEB_NAME_MAX) return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.'))
            return false;
    return strcmp(name, ".") && strcmp(name, "..");
}

/* s is stopping (its exporter hook). */
static void forget(void *arg, aser_server *s)
{
    aser_web *w = arg;
    aser__webx_remove(&w->ex, s);
    s->exporter.fn = NULL;
}

int aser_web_export(aser_web *w, const char *name, aser_server *s, aser_err *err)
{
    if (!w || !name || !s || w->stopped || s->stopped)
        return aser__err(err, ASER_EINVAL,
                         "aser_web_export: a running web listener, a name "
                         "and a running server are required");
    if (!name_ok(name))
        return aser__err(err, ASER_EINVAL,
                         "bad export name \"%.80s\": use 1 to 63 letters, "
                         "digits, '-', '_' or '.'",
                         name);
    if (aser__webx_find(&w->ex, name))
        return aser__err(err, ASER_EINVAL,
                         "the export name \"%s\" is taken: give each "
                         "port its own",
                         name);
    if (s->exporter.fn)
        return aser__err(err, ASER_EINVAL, "%s is already exported on a web listener",
                         aser_port_name(s->port));
    if (w->ex.n == EXPORTS_MAX)
        return aser__err(err, ASER_ENOBUFS, "a web listener has at most %d exports", EXPORTS_MAX);
    if (aser__webx_add(&w->ex, name, s) < 0)
        return aser__err(err, ASER_ENOMEM, "out of memory adding export %s", name);
    s->exporter.fn = forget;
    s->exporter.arg = w;
    return 0;
}

void aser_web_stop(aser_web *w)
{
    if (!w || w->stopped) return;
    for (size_t i = 0; i < w->ex.n; i++) w->ex.v[i].s->exporter.fn = NULL;
    aser__webx_clear(&w->ex);
    log_summary(w);
    w->stopped = true;
    for (web_conn *k = w->conns; k; k = k->next) conn_close(k, true);
    aser__acceptor_stop(&w->acc);
    aser__sock_close(w->fd);
    aser__tmr_stop(w->tmr);
    aser__loop_unref(w->loop);
    aser__defer(w->loop, &w->sweep);
}
