/* server/clients.c: a server's clients, the one registry every way in
 * adds to: the listeners (server.c accepts), the web listener (web.c
 * hands over a WebSocket) and the MQTT gateway (mqtt.c) all go through
 * aser__srv_adopt or aser__srv_client_new, and nothing else makes or
 * frees a srv_client. Here: admission (max clients, kick-old), starting,
 * closing and the sweep, and each client's I/O on its stream (net/):
 * reading under the port's backpressure, the out queue with the
 * slow-client policy, the TLS handshake before admission.
 *
 * Closing. A client is closed at once (fd, watch) and freed later by the
 * sweep (a deferred call), so closing it from anywhere (its own codec
 * handler, the fan-out loop, the callback) never frees memory still in
 * use. */
#define _GNU_SOURCE
#include "server/server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 16384
#define REFUSALS_SHOWN 10 /* a client's refused requests reported one by one */

/* ---- clients: output ---------------------------------------------------------------- */

/* The cipher waiting, then the queue (unless the client suspended
 * output): 0, or a socket error. */
static int out_flush(srv_client *c)
{
    int rc = aser__stream_flush(&c->st);
    if (rc == 0 && !c->suspended) rc = aser__stream_drain(&c->st, &c->out);
    return rc == ASER_EAGAIN ? 0 : rc;
}

/* Queue bytes for a client; past client_queue the client is too slow. */
void aser__srv_out(srv_client *c, const uint8_t *b, size_t n)
{
    if (c->st.fd < 0 || c->kill || n == 0 || c->st.handshaking) return;
    int rc = aser__bq_append(&c->out, b, n, c->s->o.client_queue);
    if (rc == ASER_ENOBUFS)
        aser__srv_kill(c, "too slow: more than %zu bytes waiting for it", c->s->o.client_queue);
    else if (rc < 0)
        aser__srv_kill(c, "out of memory");
}

/* Why a client's socket failed, in the client's terms: the socket layer
 * maps a reset to ASER_EDISCONNECTED, whose name ("device disconnected")
 * would blame the serial device, which is fine. */
static const char *client_error(int rc, int e)
{
    if (e == ECONNRESET || e == EPIPE) return "the client reset the connection";
    if (rc == ASER_EDISCONNECTED) return "the connection to the client was lost";
    return aser_strerror(rc);
}

void aser__srv_flush(srv_client *c)
{
    if (c->st.fd < 0) return;
    int rc = out_flush(c);
    if (rc < 0)
        aser__srv_kill(c, "connection lost (%s)", client_error(rc, errno));
    else
        aser__srv_update_io(c);
}

/* ---- clients: lifecycle --------------------------------------------------------------- */

void aser__srv_client_close(srv_client *c, const char *why)
{
    if (c->st.fd < 0) return;
    bool hs = c->st.handshaking;
    aser__srv_drops_report(c, "before it left");
    if (c->admitted && c->m->close) c->m->close(c, why);
    if (c->refusals > REFUSALS_SHOWN)
        aser__srv_event(c->s, ASER_SERVER_CONFIG, ASER_EACCES,
                        "client %s: %lu more refused requests not shown", c->peer,
                        c->refusals - REFUSALS_SHOWN);
    if (c->admitted) aser__stream_goodbye(&c->st);
    aser__io_close(c->io);
    c->io = NULL;
    /* The session goes now, not with the sweep: a burst of accepts
     * refused in one round must not hold hundreds of them at once. Nothing
     * below uses it once fd is -1. The replay goes too. */
    aser__stream_close(&c->st);
    if (c->admitted && --c->s->nclients == 0)
        aser__srv_settings_restore(c->s);
    else if (!c->admitted && hs)
        c->s->nhandshakes--;
    aser__defer(c->s->loop, &c->s->sweep);
}

void aser__srv_kill(srv_client *c, const char *fmt, ...)
{
    if (c->st.fd < 0 || c->kill) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->kill_why, sizeof c->kill_why, fmt, ap);
    va_end(ap);
    c->kill = true;
    aser_server *s = c->s;
    bool admitted = c->admitted;
    aser__srv_client_close(c, c->kill_why);
    if (admitted && !c->refusing)
        aser__srv_event(s, ASER_SERVER_CLIENT_CLOSE, 0, "client %s disconnected: %s", c->peer,
                        c->kill_why);
    else
        aser__srv_event(s, ASER_SERVER_CLIENT_REFUSED, 0, "client %s refused: %s", c->peer,
                        c->kill_why);
}

/* A client's first REFUSALS_SHOWN refused requests are reported one by
 * one; the rest are counted and the count reported when it leaves
 * (client_close): a flood of requests it may not make cannot flood the
 * log. */
void aser__srv_refused(srv_client *c, const char *what)
{
    if (++c->refusals > REFUSALS_SHOWN) return;
    aser__srv_event(
        c->s, ASER_SERVER_CONFIG, ASER_EACCES, "client %s: %s refused: %s client%s", c->peer, what,
        c->access == ASER_ACCESS_READ_ONLY ? "a read-only" : "a lock-settings",
        c->refusals == REFUSALS_SHOWN ? " (more refusals of this client are counted, not shown)"
                                      : "");
}

void aser__srv_free_closed(aser_server *s)
{
    for (srv_client **pp = &s->clients; *pp;) {
        srv_client *c = *pp;
        if (c->st.fd >= 0) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        if (c->m->free && c->state) c->m->free(c);
        aser__bq_free(&c->out);
        aser__bq_free(&c->held);
        aser__stream_tls_free(&c->st);
        free(c);
    }
}

/* ---- clients: input ----------------------------------------------------------------------- */

/* Backpressure from the port: clients are read while the port's write
 * queue is at most half its high water (or its low water, if higher),
 * never more than the queue still takes, so no write is refused; past
 * that, reads stop (TCP pushes back on the clients) until
 * aser_on_writable() says the queue is back at low water. Returns how
 * many bytes one read may take, 0: paused. */
static size_t port_room(aser_server *s)
{
    aser_config cfg;
    aser_port_config(s->port, &cfg);
    size_t q = aser_port_write_queued(s->port), high = cfg.write_high_water;
    size_t low = cfg.write_low_water ? cfg.write_low_water : high / 4;
    size_t pause_at = ASER_MAX(high / 2, low);
    if (q > pause_at || q >= high) return 0;
    return ASER_MIN((size_t)READ_CHUNK, high - q);
}

void aser__srv_reads_paused(aser_server *s, bool paused)
{
    s->reads_paused = paused;
    uint64_t now = aser__now_us();
    for (srv_client *k = s->clients; k; k = k->next) {
        if (!paused) k->since = now; /* silence while we did not read is not theirs */
        aser__srv_update_io(k);
    }
    aser__srv_rearm(s);
}

static void client_read(srv_client *c)
{
    aser_server *s = c->s;
    if (c->st.handshaking) {
        c->active = aser__now_us();
        c->polled = false;
        aser__srv_handshake_step(c);
        return;
    }
    if (s->reads_paused) return;
    size_t room = port_room(s);
    if (!room) {
        aser__srv_reads_paused(s, true);
        return;
    }
    if (c->sniffing) room = ASER_MIN(room, ASER_SRV_SNIFF_MAX - aser__bq_size(&c->held));
    uint8_t buf[READ_CHUNK];
    ssize_t n = aser__stream_read(&c->st, buf, room);
    int e = errno;
    if (n == ASER_EAGAIN || n == ASER_EINTR) {
        if (c->st.tls) aser__srv_flush(c); /* what the session owes the client */
        return;
    }
    if (n <= 0) {
        aser__srv_kill(c, "%s",
                       n == 0                          ? "closed by the client"
                       : n == ASER_EPROTO && c->st.tls ? aser__stream_tls_error(&c->st)
                                                       : client_error((int)n, e));
        return;
    }
    c->since = aser__now_us();
    c->heard = true;
    if (aser__srv_sniff(c, buf, (size_t)n)) { /* held until its first line is known */
        if (!c->kill) aser__srv_rearm(s);
        return;
    }
    c->m->from_client(c, buf, (size_t)n);
    if (c->kill) return; /* closed from the handler */
    aser__srv_flush(c);
}

static void on_client_io(void *arg, unsigned revents)
{
    srv_client *c = arg;
    if ((revents & ASER_EV_WRITE) && c->st.fd >= 0) aser__srv_flush(c);
    if ((revents & ASER_EV_READ) && c->st.fd >= 0) client_read(c);
}

void aser__srv_update_io(srv_client *c)
{
    if (c->st.fd < 0) return;
    bool reading = !c->s->reads_paused || c->st.handshaking;
    unsigned ev = reading ? ASER_EV_READ : 0;
    if (aser__bq_size(&c->out) && !c->suspended) ev |= ASER_EV_WRITE;
    /* cipher waiting; decrypted bytes no readiness will announce are read
     * from the loop (the stream's replay: on_replay) */
    ev = aser__stream_io_mask(&c->st, ev);
    if (aser__io_set(c->io, ev) < 0) aser__srv_kill(c, "cannot watch the socket");
}

static void on_replay(void *arg)
{
    srv_client *c = arg;
    if (c->st.fd >= 0) client_read(c);
}

/* ---- accepting ----------------------------------------------------------------------------- */

/* A connection of s: a client of the port (admitted), or one still in
 * its TLS handshake (handshaking: not counted in nclients). */
srv_client *aser__srv_client_new(aser_server *s, int fd, aser_server_mode mode,
                                 aser_server_access access, bool handshaking)
{
    srv_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->s = s;
    aser__stream_init(&c->st, s->loop, on_replay, c);
    c->st.fd = fd;
    c->dtr = c->rts = true;
    c->mode = mode;
    c->access = access;
    c->m = aser__srv_mode(mode);
    c->sniffing = c->m->sniffs && !s->o.allow_http;
    c->since = c->active = aser__now_us();
    aser__net_peer_name(fd, c->peer, sizeof c->peer);
    if (handshaking) {
        char what[100];
        aser_err err = {0};
        snprintf(what, sizeof what, "client %s", c->peer);
        if (aser__stream_tls_server(&c->st, s->tls.ctx, what, &err) < 0) {
            aser__srv_event(s, ASER_SERVER_CLIENT_REFUSED, err.code, "client %s refused: %s",
                            c->peer, err.msg);
            free(c);
            return NULL;
        }
    }
    c->io = aser__io_open(s->loop, fd, on_client_io, c);
    if (!c->io) {
        aser__stream_tls_free(&c->st);
        free(c);
        return NULL;
    }
    srv_client **pp = &s->clients;
    while (*pp) pp = &(*pp)->next;
    *pp = c;
    if (handshaking) {
        s->nhandshakes++;
    } else {
        c->admitted = true;
        s->nclients++;
    }
    return c;
}

static srv_client *oldest(aser_server *s)
{
    for (srv_client *c = s->clients; c; c = c->next)
        if (aser__srv_live(c)) return c;
    return NULL;
}

/* Make room for a newcomer, or refuse it: false, with why the one line
 * telling the client (CRLF-ended) and the refusal reported. */
bool aser__srv_admit(aser_server *s, int fd, char *why, size_t whylen)
{
    char peer[64];
    if (!s->port_ended && s->nclients < s->o.max_clients) return true;
    if (!s->port_ended && s->o.kick_old && oldest(s)) {
        aser__srv_kill(oldest(s), "replaced by a newer client (kick-old)");
        return true;
    }
    aser__net_peer_name(fd, peer, sizeof peer);
    aser__srv_event(s, ASER_SERVER_CLIENT_REFUSED, 0, "client %s refused: %s", peer,
                    s->port_ended ? "the port is closed"
                                  : "max clients reached (raise --max-clients or use "
                                    "--kick-old)");
    if (s->port_ended)
        snprintf(why, whylen, "aserial: refused: %s is closed\r\n", aser_port_name(s->port));
    else
        snprintf(why, whylen,
                 "aserial: refused: %s already has %u client%s (the most allowed); try "
                 "again later\r\n",
                 aser_port_name(s->port), s->o.max_clients, s->o.max_clients == 1 ? "" : "s");
    return false;
}

/* The TLS handshake of c advanced (or failed); once done, c becomes a
 * client of the port if aser__srv_admit() lets it, else it hears why (through TLS)
 * and is closed. */
void aser__srv_handshake_step(srv_client *c)
{
    aser_server *s = c->s;
    char why[600];
    int rc = aser__srv_handshake(&c->st, why, sizeof why);
    if (rc == ASER_EAGAIN) {
        aser__srv_update_io(c);
        return;
    }
    if (rc < 0) {
        aser__srv_kill(c, "%s", why);
        return;
    }
    s->nhandshakes--;
    c->since = aser__now_us();
    if (!aser__srv_admit(s, c->st.fd, why, sizeof why)) {
        aser__stream_send_now(&c->st, why, strlen(why));
        aser__stream_goodbye(&c->st);
        c->kill = true; /* aser__srv_admit() reported it */
        aser__srv_client_close(c, why);
        return;
    }
    if (s->stopped) return;
    c->admitted = true;
    s->nclients++;
    aser__srv_client_started(c);
    if (c->st.fd >= 0) aser__stream_replay_if_buffered(&c->st);
}

bool aser__srv_adopt(aser_server *s, int fd, aser_server_mode mode, void *state, aser_stream *tls,
                     char *why, size_t whylen)
{
    if (s->stopped || !aser__srv_admit(s, fd, why, whylen)) {
        if (s->stopped) snprintf(why, whylen, "the export is stopping");
        why[strcspn(why, "\r\n")] = '\0';
        return false;
    }
    if (s->stopped) {
        snprintf(why, whylen, "the export is stopping");
        return false;
    }
    srv_client *c = aser__srv_client_new(s, fd, mode, s->o.access, false);
    if (!c || (c->m->adopt && !c->m->adopt(c, state))) {
        if (c) { /* unwind without closing fd: it is still the caller's */
            aser__io_close(c->io);
            c->io = NULL;
            aser__stream_forget_fd(&c->st);
            s->nclients--;
            aser__defer(s->loop, &s->sweep);
        }
        snprintf(why, whylen, "out of memory");
        return false;
    }
    if (tls) aser__stream_take_tls(&c->st, tls); /* the session goes with the socket */
    aser__srv_client_started(c);
    if (c->st.fd >= 0) aser__stream_replay_if_buffered(&c->st);
    aser__srv_want_lines(s, mode); /* the MQTT gateway's status carries them */
    return true;
}

void aser__srv_client_started(srv_client *c)
{
    aser_server *s = c->s;
    aser__srv_event(s, ASER_SERVER_CLIENT_OPEN, 0, "client %s connected (%zu of %u)", c->peer,
                    s->nclients, s->o.max_clients);
    if (c->st.fd >= 0 && c->m->start) c->m->start(c);
    aser__srv_flush(c);
    aser__srv_rearm(s);
}
