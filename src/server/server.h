/* server.h: the network server (aser_server, aserial.h section 10), shared
 * by server.c (listeners, accepting, the port's side, the timer),
 * clients.c (the registry of clients every way in uses, each client's
 * I/O and the slow-client policy), tls.c (certificates, the handshake's
 * wording), web.c (the HTTP listener of aser_web, which hands WebSockets
 * to a server through the registry) and one file per client mode, each a
 * row of srv_mode: raw.c (bytes as they are), rfc2217.c (the
 * COM-PORT-OPTION requests of a client), ws.c (WebSocket clients),
 * mqtt.c (the MQTT gateway). The core calls a client's mode only through
 * its row; every connection reads and writes through its aser_stream
 * (net/stream.h). Internal. */
#ifndef ASER_SERVER_H
#define ASER_SERVER_H

#include "codec/ws.h"
#include "internal.h"
#include "net/stream.h"
#include "util/bytequeue.h"

typedef struct srv_client srv_client;
typedef struct srv_r2 srv_r2;
typedef struct srv_ws srv_ws;
typedef struct srv_mqtt srv_mqtt;
struct aser_tls_ctx;

/* The certificate of a server's or web listener's TLS: the files, kept
 * for reloads, and the context loaded from them (NULL: plain). */
typedef struct srv_tls_id {
    struct aser_tls_ctx *ctx;
    char cert[1024], key[1024], ca[1024];
} srv_tls_id;

/* One client mode. Every hook may be NULL (nothing to do). Hooks may kill
 * the client (aser__srv_kill); the core checks c->kill after each. */
typedef struct srv_mode {
    const char *name;
    /* The client was admitted: greet it (RFC 2217: option offers). */
    void (*start)(srv_client *c);
    /* A client handed over with state (aser__srv_adopt; web.c: its
     * aser_ws codec, the client's from then on). false: out of memory. */
    bool (*adopt)(srv_client *c, void *state);
    /* Bytes the client sent. */
    void (*from_client)(srv_client *c, const uint8_t *b, size_t n);
    /* Bytes the port received, for this client. */
    void (*to_client)(srv_client *c, const uint8_t *b, size_t n);
    /* The port's modem lines changed (ASER_LINE_* now and before) or it
     * reported line errors (ASER_LINEERR_*); called per client. */
    void (*lines)(srv_client *c, unsigned now, unsigned before, unsigned errors);
    /* The client is being closed (its fd is still open): free the mode's
     * state; why is the sentence the server logs. */
    void (*close)(srv_client *c, const char *why);
    /* The sweep frees the client (after close, outside every callback). */
    void (*free)(srv_client *c);
    /* The port's link changed: "lost", "back" or "gave-up". */
    void (*link)(srv_client *c, const char *state);
    /* The port's line settings changed (by any client, or restored). */
    void (*settings)(srv_client *c);
    /* Bytes the client sent were dropped (the port is lost): tell it. */
    void (*dropped)(srv_client *c, const char *text);
    bool wants_lines; /* listen to the port's line events for it */
    bool sniffs;      /* a first line that is an HTTP request is refused (sniff.c) */
    bool negotiates;  /* the negotiation timeout applies until it speaks */
} srv_mode;

extern const srv_mode aser__srv_mode_raw, aser__srv_mode_rfc2217, aser__srv_mode_ws;
extern const srv_mode aser__srv_mode_mqtt; /* mqtt.c: a broker connection (aser_server_mqtt) */
/* The row of mode, NULL for an unknown one. */
const srv_mode *aser__srv_mode(aser_server_mode mode);

struct srv_client {
    aser_server *s;
    srv_client *next; /* oldest first */
    aser_stream st;   /* the connection (st.fd -1 once closed, waiting to be
                         swept), with its TLS session on TLS listeners */
    aser_io *io;
    char peer[64];
    bool suspended; /* output held: the mode says so (RFC 2217 FLOWCONTROL-SUSPEND) */
    bool kill;      /* close after the codec returns */
    char kill_why[512];
    aser_bq out;           /* to the client, at most client_queue bytes */
    unsigned errors;       /* malformed input, counted against max_errors */
    bool dtr, rts;         /* levels last asked for (answers on line-less ports) */
    aser_server_mode mode; /* of the listener it came through */
    const srv_mode *m;     /* its row */
    union {                /* the mode's state behind one pointer (NULL: none),
                               made by its start or adopt hook, freed by its free hook */
        void *state;
        srv_r2 *r2;     /* rfc2217.c */
        srv_ws *ws;     /* ws.c */
        srv_mqtt *mqtt; /* mqtt.c */
    };
    uint64_t since;  /* connected, or last heard from, us */
    uint64_t active; /* in its TLS handshake: connected or last read, us */
    bool polled;     /* handshake_room read it since it last sent something */
    bool heard;      /* it has sent something */
    bool admitted;   /* a client of the port (after its TLS handshake) */
    aser_server_access access;
    bool told_access;       /* a read-only client was told once its data is dropped */
    bool told_drop;         /* to_port.c: this loss's first dropped write was reported */
    size_t drop_first;      /* its size */
    uint64_t dropped;       /* bytes the port refused during this loss */
    unsigned long refusals; /* requests it was refused (aser__srv_refused) */
    bool sniffing;          /* its first line is not decided yet (sniff.c) */
    bool refusing;          /* closed as refused, not as a client that left */
    aser_bq held;           /* its first bytes meanwhile */
    uint64_t held_since;    /* us */
};

/* What c may do (its listener's access). */
static inline bool aser__srv_may_write(const srv_client *c)
{
    return c->access != ASER_ACCESS_READ_ONLY;
}
static inline bool aser__srv_may_configure(const srv_client *c)
{
    return c->access == ASER_ACCESS_FULL;
}
/* Report a refused change (ASER_SERVER_CONFIG, code ASER_EACCES). */
void aser__srv_refused(srv_client *c, const char *what);
/* A client that may be sent to (connected, past its TLS handshake). */
static inline bool aser__srv_live(const srv_client *c)
{
    return c->st.fd >= 0 && c->admitted;
}

/* The accepting end of a listening socket (server/accept.c), for the
 * server's listeners and the web listener: fn gets each accepted socket
 * (non-blocking, tuned), and may stop the acceptor. Out of fds, it stops
 * watching the socket for a while instead of spinning. */
typedef struct srv_acceptor {
    int fd; /* the listening socket, the owner's */
    aser_io *io;
    aser_tmr *tmr;
    void (*fn)(void *arg, int fd);
    void *arg;
    /* Told when accepting pauses (out of fds or memory): at the first
     * pause, then at most once per ACCEPT_TELL_US with how many pauses
     * there were since (err: the errno). NULL: not told. */
    void (*paused)(void *arg, int err, unsigned pauses);
    unsigned pauses;  /* times it ran out of fds */
    unsigned untold;  /* pauses not told yet */
    uint64_t told_us; /* when it last told */
} srv_acceptor;

/* The sentence for a paused acceptor (its cause and the fix), for the
 * owner's log: "cannot accept connections: ... (N times in 10 s)". */
void aser__acceptor_why(int err, unsigned pauses, char *buf, size_t cap);

/* 0, or ASER_ENOMEM (a stopped acceptor, fd not closed). */
int aser__acceptor_start(srv_acceptor *a, aser_loop *loop, int fd, void (*fn)(void *arg, int fd),
                         void *arg);
/* Stop watching (the fd stays open); safe inside fn, twice, or after a
 * failed start. */
void aser__acceptor_stop(srv_acceptor *a);
/* Two peers ("ADDR:PORT", aser__net_peer_name) from the same address. */
bool aser__srv_same_source(const char *peer_a, const char *peer_b);

#define ASER_SERVER_LISTENERS_MAX 8

/* One listening socket; each gives its clients its mode. */
typedef struct srv_listener {
    aser_server *s;
    int fd, port;
    srv_acceptor acc;
    aser_server_mode mode;
    aser_server_access access;
} srv_listener;

struct aser_server {
    aser_loop *loop;
    aser_port *port;
    aser_server_opts o;
    char sig[96];
    srv_listener ls[ASER_SERVER_LISTENERS_MAX]; /* ls[0]: opts->listen */
    size_t nls;
    aser_tmr *tmr;
    srv_client *clients;
    size_t nclients;
    bool port_ended, reads_paused, stopped;
    bool lines_on;    /* listening to aser_on_lines() of the port */
    aser_defer sweep; /* frees closed clients (and a stopped server) */
    /* Who exports s beyond its listeners (aser_web_export), told when s
     * stops so that it forgets s; fn NULL: nobody. The server never names
     * its exporter: web.c uses the server, not the other way round. */
    struct {
        void (*fn)(void *arg, aser_server *s);
        void *arg;
    } exporter;
    srv_tls_id tls;       /* the listeners' certificate (tls.ctx NULL: plain) */
    unsigned nhandshakes; /* TLS handshakes in progress */
    aser_config settings; /* the export's own, restored when the last client leaves */
};

/* TLS handshakes in progress per server, at most, and from one source
 * address (server.c: handshake_room). */
#define ASER_SRV_HANDSHAKES_MAX 64
#define ASER_SRV_HANDSHAKES_PER_SOURCE 16
#define ASER_SRV_HANDSHAKE_MS 10000u /* when negotiate_timeout_ms is 0 */

/* server/tls.c: TLS on the listeners (see there). One step of a
 * connection's handshake: 0 done, ASER_EAGAIN (wait for the socket), else
 * failed with why the sentence to log. */
int aser__srv_handshake(aser_stream *st, char *why, size_t cap);
bool aser__srv_is_loopback(const char *host);
/* ASER_EACCES with the recipe for a certificate when host is beyond
 * loopback and neither tls nor insecure. */
int aser__srv_bind_check(const char *host, const char *port, bool tls, bool insecure,
                         const char *what, aser_err *err);

/* Keep the files named and load them; none named: no TLS, 0. */
int aser__srv_tls_id_load(srv_tls_id *id, const char *cert, const char *key, const char *ca,
                          const char *what, aser_err *err);
/* Load the kept files again. On success the new context serves new
 * connections (sessions keep theirs) and *warning says what to know of it
 * ("" if nothing); on failure the old one stays and err says why. */
int aser__srv_tls_id_reload(srv_tls_id *id, const char *what, const char **warning, aser_err *err);
/* Drop the context (sessions keep theirs). */
void aser__srv_tls_id_free(srv_tls_id *id);

/* server/sniff.c: a client's first line (see there). */
#define ASER_SRV_SNIFF_MAX 4096    /* bytes held at most */
#define ASER_SRV_SNIFF_US 1000000u /* a first line not ended by then passes */
/* b from c: true if taken (held, or c refused: check c->kill), false if
 * the caller is to pass b on (decided, or c does not sniff). */
bool aser__srv_sniff(srv_client *c, const uint8_t *b, size_t n);
/* When the held bytes are to pass, us; 0: none held. */
uint64_t aser__srv_sniff_deadline(const srv_client *c);
/* Pass the held bytes on and stop sniffing. */
void aser__srv_sniff_release(srv_client *c);

/* clients.c: the registry of a server's clients, which every way in
 * (listeners, the web listener, the MQTT gateway) uses, and each client's
 * I/O (see there). */
/* A connection of s: a client of the port (admitted), or one still in its
 * TLS handshake (handshaking: not counted in nclients). NULL: refused
 * (reported) or out of memory; fd is still the caller's then. */
srv_client *aser__srv_client_new(aser_server *s, int fd, aser_server_mode mode,
                                 aser_server_access access, bool handshaking);
/* Make room for a newcomer on fd, or refuse it: false, with why the one
 * line telling the client (CRLF-ended) and the refusal reported. */
bool aser__srv_admit(aser_server *s, int fd, char *why, size_t whylen);
/* c was admitted: report it, greet it (its mode's start), flush. */
void aser__srv_client_started(srv_client *c);
/* Close c now (its stream and watch); the sweep frees it. */
void aser__srv_client_close(srv_client *c, const char *why);
/* Advance c's TLS handshake; once done, admit and start it, or refuse it. */
void aser__srv_handshake_step(srv_client *c);
/* Watch c's socket for what it needs now. */
void aser__srv_update_io(srv_client *c);
/* Stop or resume reading every client (the port's backpressure). */
void aser__srv_reads_paused(aser_server *s, bool paused);
/* Free the closed clients (the sweep). */
void aser__srv_free_closed(aser_server *s);
void aser__srv_out(srv_client *c, const uint8_t *b, size_t n);
/* Send what is queued for c now (or watch for writability); a dead socket
 * closes the client. */
void aser__srv_flush(srv_client *c);
void aser__srv_kill(srv_client *c, const char *fmt, ...) ASER_PRINTF(2, 3);
void aser__srv_event(aser_server *s, aser_server_event ev, int code, const char *fmt, ...)
    ASER_PRINTF(4, 5);
/* settings.c: keep the port's settings as the export's (at start); put
 * them back if a client changed them and none is left. */
void aser__srv_settings_keep(aser_server *s);
void aser__srv_settings_restore(aser_server *s);
/* The port's settings changed: every client whose mode tells them hears. */
void aser__srv_settings_changed(aser_server *s);
/* to_port.c: bytes from c to the port, or reported if it cannot take
 * them; the count of a loss reported (when: "while the port was lost")
 * and reset. */
void aser__srv_to_port(srv_client *c, const uint8_t *b, size_t n);
void aser__srv_drops_report(srv_client *c, const char *when);
/* server.c: set the timer for the earliest client deadline; listen to the
 * port's line events if clients of mode hear them. */
void aser__srv_rearm(aser_server *s);
void aser__srv_want_lines(aser_server *s, aser_server_mode mode);

/* Hand an accepted socket to s as a client of mode (web.c: a WebSocket
 * whose upgrade is pending in state, which the mode's start answers),
 * with the finished TLS session of tls if not NULL (moved into the
 * client on success; tls keeps fd, no longer its to close). false:
 * refused (max clients, a closed port); why says so, and fd, state and
 * tls are still the caller's. */
bool aser__srv_adopt(aser_server *s, int fd, aser_server_mode mode, void *state, aser_stream *tls,
                     char *why, size_t whylen);

#endif
