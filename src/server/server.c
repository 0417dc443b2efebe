/* server.c: export a port to TCP clients (aserial.h section 10): the
 * listening sockets and accepting (with the TLS handshake budget), the
 * port's side (data and line events fanned out to the clients, the port
 * closing), the timer for idle clients, start and stop. The clients
 * themselves (admission, I/O, closing) are clients.c's. What a client's
 * bytes mean is its mode's: the core calls the mode's row (srv_mode:
 * raw.c, rfc2217.c, ws.c, mqtt.c) and never names a mode.
 *
 * Stopping. aser_server_stop() closes every client at once and frees the
 * server with the sweep (a deferred call), like a client, so stopping from
 * inside a callback never frees memory still in use. Whoever exports the
 * server elsewhere (the web listener) is told through s->exporter. */
#define _GNU_SOURCE
#include "server/server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef ASER_OS_UNIX
#include <sys/socket.h>
#include <unistd.h>
#endif


const char *aser_server_event_name(aser_server_event ev)
{
    switch (ev) {
    case ASER_SERVER_CLIENT_OPEN: return "open";
    case ASER_SERVER_CLIENT_CLOSE: return "close";
    case ASER_SERVER_CLIENT_REFUSED: return "refused";
    case ASER_SERVER_CONFIG: return "config";
    case ASER_SERVER_PORT_CLOSED: return "port-closed";
    case ASER_SERVER_DATA_DROPPED: return "dropped";
    }
    return "unknown";
}

void aser__srv_event(aser_server *s, aser_server_event ev, int code, const char *fmt, ...)
{
    if (!s->o.cb || s->stopped) return;
    char text[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    s->o.cb(s, ev, code, text, s->o.ctx);
}

/* The table of client modes, one row per aser_server_mode. */
const srv_mode *aser__srv_mode(aser_server_mode mode)
{
    static const srv_mode *const rows[] = {
        [ASER_SERVE_RFC2217] = &aser__srv_mode_rfc2217,
        [ASER_SERVE_RAW] = &aser__srv_mode_raw,
        [ASER_SERVE_WEBSOCKET] = &aser__srv_mode_ws,
        [ASER_SERVE_MQTT] = &aser__srv_mode_mqtt,
    };
    return (unsigned)mode < sizeof rows / sizeof rows[0] ? rows[mode] : NULL;
}

/* Room for one more handshake from peer, so that a flood cannot starve
 * the others: each source address has at most
 * ASER_SRV_HANDSHAKES_PER_SOURCE in progress (a newcomer past that is
 * refused: the flood only competes with itself), and when all
 * ASER_SRV_HANDSHAKES_MAX are taken the idlest (not the oldest: a client
 * mid-handshake has just sent something) gives way. Before either, the
 * one that would go is read once: its bytes may be there unread (a burst
 * of connects is accepted before any is read). false: refuse peer.
 * Why not accept pacing: it slows every source alike, the good ones
 * included; a refusal by address costs an accept and a close, no TLS
 * session (test/net/tls_flood.py: 10k connects/s from one address, every
 * client from another served, the server at ~15% of a CPU). */
static bool handshake_room(aser_server *s, const char *peer)
{
    for (int round = 0; round < 4; round++) {
        unsigned mine = 0;
        srv_client *idlest = NULL, *mine_idlest = NULL;
        for (srv_client *c = s->clients; c; c = c->next) {
            if (c->st.fd < 0 || c->kill || !c->st.handshaking) continue;
            if (!idlest || c->active < idlest->active) idlest = c;
            if (!aser__srv_same_source(c->peer, peer)) continue;
            mine++;
            if (!mine_idlest || c->active < mine_idlest->active) mine_idlest = c;
        }
        bool source_full = mine >= ASER_SRV_HANDSHAKES_PER_SOURCE;
        if (!source_full && s->nhandshakes < ASER_SRV_HANDSHAKES_MAX) return true;
        srv_client *v = source_full ? mine_idlest : idlest;
        if (!v->polled) {
            v->polled = true;
            aser__srv_handshake_step(v);
            continue;
        }
        if (source_full) return false;
        aser__srv_kill(v,
                       "%u TLS handshakes in progress, the most allowed: the idlest gives way "
                       "(a flood of connections?)",
                       ASER_SRV_HANDSHAKES_MAX);
    }
    return s->nhandshakes < ASER_SRV_HANDSHAKES_MAX;
}

/* Out of fds: the operator hears it (the clients only wait). */
static void accept_paused(void *arg, int e, unsigned pauses)
{
    srv_listener *l = arg;
    char why[300];
    aser__acceptor_why(e, pauses, why, sizeof why);
    aser__srv_event(l->s, ASER_SERVER_CLIENT_REFUSED, aser__errno(e), "port %d: %s", l->port, why);
}

static void accept_one(void *arg, int fd)
{
    srv_listener *l = arg;
    aser_server *s = l->s;
    char why[160];
    if (s->stopped) { /* stopped by the callback, inside this round */
        aser__sock_close(fd);
        return;
    }
    if (s->tls.ctx) { /* admitted once its handshake is done */
        if (s->port_ended) {
            aser__sock_close(fd);
            return;
        }
        char peer[64];
        aser__net_peer_name(fd, peer, sizeof peer);
        if (!handshake_room(s, peer)) {
            aser__srv_event(s, ASER_SERVER_CLIENT_REFUSED, 0,
                            "client %s refused: %u TLS handshakes from its address in progress, "
                            "the most allowed (a flood of connections?)",
                            peer, ASER_SRV_HANDSHAKES_PER_SOURCE);
            aser__sock_close(fd);
            return;
        }
        srv_client *c = s->stopped ? NULL : aser__srv_client_new(s, fd, l->mode, l->access, true);
        if (!c) {
            aser__sock_close(fd);
            return;
        }
        aser__srv_handshake_step(c);
        aser__srv_rearm(s);
        return;
    }
    if (!aser__srv_admit(s, fd, why, sizeof why)) {
        /* One line telling the client why, before the close (best effort: a
         * fresh socket's buffer takes it, or it is dropped; never waits). */
        (void)aser__sock_send(fd, why, strlen(why));
        aser__sock_close(fd);
        return;
    }
    if (s->stopped) { /* the callback may have stopped the server */
        aser__sock_close(fd);
        return;
    }
    srv_client *c = aser__srv_client_new(s, fd, l->mode, l->access, false);
    if (!c) {
        aser__sock_close(fd);
        return;
    }
    aser__srv_client_started(c);
}

static void on_port_writable(aser_port *p, size_t queued, void *ctx)
{
    aser_server *s = ctx;
    (void)p, (void)queued;
    if (s->reads_paused && !s->stopped) aser__srv_reads_paused(s, false);
}

/* ---- the port side ------------------------------------------------------------------------ */

static void port_ended(aser_server *s, int status)
{
    s->port_ended = true;
    for (srv_client *c = s->clients; c; c = c->next)
        aser__srv_kill(c, "the serial port closed (%s)", aser_strerror(status));
    aser__srv_event(s, ASER_SERVER_PORT_CLOSED, status, "%s ended: %s", aser_port_name(s->port),
                    aser_port_errmsg(s->port)[0] ? aser_port_errmsg(s->port)
                                                 : aser_strerror(status));
}

static void on_port_data(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    aser_server *s = ctx;
    (void)p;
    if (status < 0) {
        port_ended(s, status);
        return;
    }
    for (srv_client *c = s->clients; c; c = c->next) {
        if (!aser__srv_live(c)) continue;
        c->m->to_client(c, data, len);
        aser__srv_flush(c);
    }
}

/* The port's line events, passed on to the clients whose mode has them. */
static void on_port_lines(aser_port *p, unsigned lines, unsigned changed, unsigned errors,
                          void *ctx)
{
    aser_server *s = ctx;
    (void)p;
    if (s->stopped) return;
    for (srv_client *c = s->clients; c; c = c->next) {
        if (!aser__srv_live(c) || c->kill || !c->m->lines) continue;
        c->m->lines(c, lines, lines ^ changed, errors);
        aser__srv_flush(c);
    }
}

/* ---- the timer: idle clients ------------------------------------------------ */

/* How long a TLS handshake may take, ms. */
static uint64_t hs_ms(const aser_server *s)
{
    return s->o.negotiate_timeout_ms ? s->o.negotiate_timeout_ms : ASER_SRV_HANDSHAKE_MS;
}

/* When c is to be closed for silence (or its held first bytes passed on),
 * 0: never. While reads are paused (backpressure) nobody is read, so
 * nobody counts as silent; a TLS handshake has its deadline regardless
 * (it is read while paused). */
static uint64_t client_deadline(const aser_server *s, const srv_client *c)
{
    if (c->st.fd >= 0 && !c->kill && c->st.handshaking) return c->since + hs_ms(s) * 1000u;
    if (c->st.fd < 0 || c->kill || s->reads_paused) return 0; /* held first bytes wait too */
    uint64_t dl = aser__srv_sniff_deadline(c);
    if (!c->heard && c->m->negotiates && s->o.negotiate_timeout_ms) {
        uint64_t n = c->since + (uint64_t)s->o.negotiate_timeout_ms * 1000u;
        if (!dl || n < dl) dl = n;
    }
    if (s->o.idle_timeout_ms) {
        uint64_t i = c->since + (uint64_t)s->o.idle_timeout_ms * 1000u;
        if (!dl || i < dl) dl = i;
    }
    return dl;
}

static void close_silent(aser_server *s, uint64_t now)
{
    for (srv_client *c = s->clients; c; c = c->next) {
        uint64_t dl = client_deadline(s, c), sd = aser__srv_sniff_deadline(c);
        if (!dl || now < dl) continue;
        if (sd && now >= sd) { /* a first line that does not end passes */
            aser__srv_sniff_release(c);
            if (c->st.fd >= 0) aser__srv_flush(c);
            continue;
        }
        if (c->st.handshaking)
            aser__srv_kill(c, "no TLS handshake within %u ms of connecting", (unsigned)hs_ms(s));
        else if (c->heard || !c->m->negotiates || !s->o.negotiate_timeout_ms)
            aser__srv_kill(c, "idle: nothing received for %u ms (idle timeout)",
                           s->o.idle_timeout_ms);
        else
            aser__srv_kill(c,
                           "no RFC 2217 negotiation within %u ms of connecting "
                           "(negotiation timeout)",
                           s->o.negotiate_timeout_ms);
    }
}

static void on_timer(void *arg)
{
    aser_server *s = arg;
    uint64_t now = aser__now_us();
    close_silent(s, now);
    aser__srv_rearm(s);
}

void aser__srv_rearm(aser_server *s)
{
    if (s->stopped) return;
    uint64_t now = aser__now_us(), dl = 0;
    for (srv_client *c = s->clients; c; c = c->next) {
        uint64_t d = client_deadline(s, c);
        if (d && (!dl || d < dl)) dl = d;
    }
    if (!dl) {
        aser__tmr_stop(s->tmr);
        return;
    }
    aser__tmr_start(s->tmr, dl > now ? dl - now : 0);
}

/* ---- start and stop --------------------------------------------------------------------------- */

static void on_sweep(void *arg)
{
    aser_server *s = arg;
    aser__srv_free_closed(s);
    if (!s->stopped) return;
    aser__tmr_close(s->tmr);
    aser__srv_tls_id_free(&s->tls);
    free(s);
}

/* The TLS files of opts, kept for reloads, and loaded. */
static int load_tls(aser_server *s, const aser_server_opts *o, aser_err *err)
{
    s->o.tls_cert = s->o.tls_key = s->o.tls_client_ca = NULL;
    char what[160];
    snprintf(what, sizeof what, "serving %s with TLS", aser_port_name(s->port));
    return aser__srv_tls_id_load(&s->tls, o->tls_cert, o->tls_key, o->tls_client_ca, what, err);
}

int aser_server_reload_tls(aser_server *s, const char **warning, aser_err *err)
{
    if (warning) *warning = "";
    if (!s || s->stopped || !s->tls.ctx)
        return aser__err(err, ASER_EINVAL,
                         "aser_server_reload_tls: a running server with TLS is required");
    char what[160];
    snprintf(what, sizeof what, "reloading the TLS certificate of %s", aser_port_name(s->port));
    return aser__srv_tls_id_reload(&s->tls, what, warning, err);
}

static int parse_opts(aser_server *s, const aser_server_opts *o, char *host, char *port,
                      aser_err *err)
{
    s->o = *o;
    if (!s->o.max_clients) s->o.max_clients = 1;
    if (!s->o.client_queue) s->o.client_queue = 256u * 1024u;
    if (s->o.client_queue < 1024) s->o.client_queue = 1024;
    if (!s->o.max_errors) s->o.max_errors = 16;
    if (!aser__srv_mode(s->o.mode) || s->o.mode == ASER_SERVE_WEBSOCKET)
        return aser__err(err, ASER_EINVAL,
                         "aser_server_start: unknown mode %d (WebSocket "
                         "clients come through aser_web_export)",
                         (int)o->mode);
    snprintf(s->sig, sizeof s->sig, "%s",
             o->signature ? o->signature : "aserial " ASERIAL_VERSION_STRING);
    s->o.signature = s->sig;
    s->o.listen = NULL;
    const char *l = o->listen;
    if (!l) return 0; /* web only (aser_web_export) */
    return aser__net_split_hostport(l, strlen(l), "127.0.0.1", l, "[HOST:]PORT", host, 256, port, 8,
                                    err);
}

static int start_listening(aser_server *s, const char *host, const char *port,
                           aser_server_mode mode, aser_server_access access, aser_err *err)
{
    srv_listener *l = &s->ls[s->nls];
    *l = (srv_listener){.s = s, .fd = -1, .mode = mode, .access = access};
    if ((unsigned)access > ASER_ACCESS_READ_ONLY)
        return aser__err(err, ASER_EINVAL,
                         "unknown access %d: use ASER_ACCESS_FULL, "
                         "ASER_ACCESS_LOCK_SETTINGS or ASER_ACCESS_READ_ONLY",
                         (int)access);
    int rc = aser__srv_bind_check(host, port, s->tls.ctx != NULL, s->o.insecure,
                                  aser_port_name(s->port), err);
    if (rc == 0) rc = aser__net_listen(host, port, &l->fd, &l->port, err);
    if (rc < 0) return rc;
    if ((rc = aser__acceptor_start(&l->acc, s->loop, l->fd, accept_one, l)) < 0) {
        aser__sock_close(l->fd);
        return aser__err(err, rc, "cannot watch the listening socket");
    }
    l->acc.paused = accept_paused;
    s->nls++;
    return 0;
}

static void stop_listening(aser_server *s)
{
    for (size_t i = 0; i < s->nls; i++) {
        aser__acceptor_stop(&s->ls[i].acc);
        aser__sock_close(s->ls[i].fd);
    }
    s->nls = 0;
}

/* Clients of some modes hear the port's line changes and errors. Refused
 * (a closing port): no line notifications, the rest still works. */
void aser__srv_want_lines(aser_server *s, aser_server_mode mode)
{
    if (aser__srv_mode(mode)->wants_lines && !s->lines_on)
        s->lines_on = aser_on_lines(s->port, 0, on_port_lines, s) == 0;
}

int aser_server_listen(aser_server *s, const char *listen, aser_server_mode mode, aser_err *err)
{
    return aser_server_listen_access(s, listen, mode, s ? s->o.access : ASER_ACCESS_FULL, err);
}

int aser_server_listen_access(aser_server *s, const char *listen, aser_server_mode mode,
                              aser_server_access access, aser_err *err)
{
    if (!s || !listen || s->stopped)
        return aser__err(err, ASER_EINVAL,
                         "aser_server_listen: a running server and a "
                         "listen address are required");
    if (!aser__srv_mode(mode) || mode == ASER_SERVE_WEBSOCKET)
        return aser__err(err, ASER_EINVAL,
                         "aser_server_listen: unknown mode %d (WebSocket "
                         "clients come through aser_web_export)",
                         (int)mode);
    if (s->nls == ASER_SERVER_LISTENERS_MAX)
        return aser__err(err, ASER_ENOBUFS,
                         "%s is already exported on %d listeners, the "
                         "most one server has: start another server for more",
                         aser_port_name(s->port), ASER_SERVER_LISTENERS_MAX);
    char host[256], port[8];
    int rc = aser__net_split_hostport(listen, strlen(listen), "127.0.0.1", listen, "[HOST:]PORT",
                                      host, sizeof host, port, sizeof port, err);
    if (rc == 0) rc = start_listening(s, host, port, mode, access, err);
    if (rc < 0) return rc;
    aser__srv_want_lines(s, mode);
    return s->ls[s->nls - 1].port;
}

int aser_server_start(aser_port *port, const aser_server_opts *opts, aser_server **out,
                      aser_err *err)
{
    if (!port || !opts || !out)
        return aser__err(err, ASER_EINVAL,
                         "aser_server_start: port, opts and out are "
                         "required");
    aser_loop *loop = aser_port_loop(port);
    if (!loop)
        return aser__err(err, ASER_EINVAL,
                         "%s is a blocking port: open it on a loop to "
                         "serve it",
                         aser_port_name(port));
    aser_server *s = calloc(1, sizeof *s);
    if (!s) return aser__err(err, ASER_ENOMEM, "out of memory");
    char host[256], portstr[8];
    s->loop = loop;
    s->port = port;
    s->sweep = (aser_defer){.fn = on_sweep, .arg = s};
    int rc = parse_opts(s, opts, host, portstr, err);
    if (rc == 0) rc = load_tls(s, opts, err);
    if (rc == 0 && !(s->tmr = aser__tmr_open(loop, on_timer, s)))
        rc = aser__err(err, ASER_ENOMEM, "out of memory");
    if (rc == 0 && opts->listen)
        rc = start_listening(s, host, portstr, s->o.mode, s->o.access, err);
    if (rc == 0 && (rc = aser_on_data(port, on_port_data, s)) < 0) {
        aser__err(err, rc,
                  "%s: cannot stream from the port (%s): is something else "
                  "reading it?",
                  aser_port_name(port), aser_strerror(rc));
        stop_listening(s);
    }
    if (rc < 0) {
        if (s->tmr) aser__tmr_close(s->tmr);
        aser__srv_tls_id_free(&s->tls);
        free(s);
        return rc;
    }
    aser__srv_want_lines(s, s->o.mode); /* for NOTIFY-MODEMSTATE/-LINESTATE */
    aser__srv_settings_keep(s);
    (void)aser_on_writable(port, on_port_writable, s); /* the port is open: cannot fail */
    aser__loop_ref(loop);
    *out = s;
    return 0;
}

int aser_server_port(const aser_server *s)
{
    return s && s->nls ? s->ls[0].port : ASER_EINVAL;
}

size_t aser_server_clients(const aser_server *s)
{
    return s ? s->nclients : 0;
}

void aser_server_link_changed(aser_server *s, aser_link_event ev)
{
    if (!s || s->stopped) return;
    const char *state = ev == ASER_LINK_LOST       ? "lost"
                        : ev == ASER_LINK_RESTORED ? "back"
                                                   : "gave-up";
    for (srv_client *c = s->clients; c; c = c->next) {
        if (ev == ASER_LINK_RESTORED && aser__srv_live(c))
            aser__srv_drops_report(c, "while the port was lost");
        if (aser__srv_live(c) && !c->kill && c->m->link) {
            c->m->link(c, state);
            aser__srv_flush(c);
        }
    }
}

void aser_server_stop(aser_server *s)
{
    if (!s || s->stopped) return;
    if (!s->port_ended) aser_on_data(s->port, NULL, NULL);
    if (s->lines_on) aser_on_lines(s->port, 0, NULL, NULL);
    aser_on_writable(s->port, NULL, NULL);
    if (s->exporter.fn) s->exporter.fn(s->exporter.arg, s);
    s->exporter.fn = NULL;
    s->stopped = true; /* no more events */
    for (srv_client *c = s->clients; c; c = c->next)
        aser__srv_client_close(c, "the server stopped");
    stop_listening(s);
    aser__tmr_stop(s->tmr);
    aser__loop_unref(s->loop);
    aser__defer(s->loop, &s->sweep);
}
