/* net/stream.h: one network stream, client or server side, and the way to
 * get one. Internal; the only header of src/net/.
 *
 * A stream is a connected socket with an optional TLS session over it
 * (codec/tls.c): read and write go through the session when there is
 * one, and its cipher waits in the stream's cipher queue until the socket
 * takes it. Everything above it (the network transports, every server
 * mode, the web listener) reads, writes, drains its own out queue, says
 * goodbye and closes through these calls, the way gensio stacks its
 * filters over one fd layer. It knows sockets (os/socket.h), the TLS
 * codec, byte queues and the loop's deferred calls; it never names a
 * port or a server.
 *
 *   aser_stream st;  aser__stream_init(&st, loop, replay_fn, arg);
 *   st.fd = fd;  [aser__stream_tls_server(&st, ctx, ...) + handshake steps]
 *   aser__stream_read / aser__stream_write / aser__stream_drain(&st, &out)
 *   aser__stream_io_mask(&st, ev)   before asking the loop for events
 *   aser__stream_goodbye(&st); aser__stream_close(&st);
 *
 * The connecting phase is here too: host:port parsing, and the connector
 * (net/connect.c) that resolves names off the loop thread, connects
 * without blocking (or accepts one client), runs a client's TLS
 * handshake, and hands over the socket with its stream.
 *
 * Results follow os/socket.h: a count, 0 at the end of the stream, or a
 * negative ASER_E* code (ASER_EAGAIN: the socket is full or empty). */
#ifndef ASER_NET_STREAM_H
#define ASER_NET_STREAM_H

#include "internal.h"
#include "os/socket.h"
#include "util/bytequeue.h"

#ifdef ASER_OS_UNIX
#include <netdb.h>
#endif

struct aser_tls;
struct aser_tls_ctx;
struct aser_tls_conf;

/* ---- the stream ----------------------------------------------------------- */

typedef struct aser_stream {
    aser_loop *loop;
    int fd;               /* -1: none */
    struct aser_tls *tls; /* NULL: plain */
    bool handshaking;     /* the session is not ready for data yet */
    bool fair;            /* one socket read per aser__stream_read (servers:
                               every connection gets its turn) */
    aser_bq cipher;       /* for the socket, not taken yet */
    aser_defer replay;    /* plain bytes inside the session that no readiness
                               will announce: the owner's fn reads again */
} aser_stream;

/* No fd, no session. replay(arg) is called from the loop when plain bytes
 * wait inside the session (NULL: the owner reads them on its own). */
void aser__stream_init(aser_stream *st, aser_loop *loop, void (*replay)(void *), void *arg);
/* A client session for st->fd, handshake pending: conf's files (CA,
 * client certificate), host the name the server's certificate must carry,
 * what the endpoint in messages. 0, or err says why and what to do. */
int aser__stream_tls_client(aser_stream *st, const struct aser_tls_conf *conf, const char *host,
                            const char *what, aser_err *err);
/* A server session on ctx for st->fd, handshake pending; what names the
 * peer in messages. 0, or err says why. */
int aser__stream_tls_server(aser_stream *st, struct aser_tls_ctx *ctx, const char *what,
                            aser_err *err);
/* Drop the session and its cipher; the fd stays. */
void aser__stream_tls_free(aser_stream *st);
/* Drop the session, cancel the replay and close the fd (if any). */
void aser__stream_close(aser_stream *st);
/* Give up the fd without closing it (it is someone else's now). */
void aser__stream_forget_fd(aser_stream *st);
/* Move src's session (and its cipher) to dst, the stream of the same fd
 * under a new owner; src keeps its fd, plain now. */
void aser__stream_take_tls(aser_stream *dst, aser_stream *src);

/* Plain bytes: > 0, 0 at the end, or an error. With TLS a record is
 * decrypted from what the socket has (fair: one socket read per call);
 * ASER_EPROTO's reason is aser__stream_tls_error(). */
ssize_t aser__stream_read(aser_stream *st, void *buf, size_t n);
/* Plain bytes taken (with TLS at most one record, 16 KiB), or an error.
 * With TLS, while cipher waits for the socket nothing more is taken
 * (ASER_EAGAIN): ask for writability and call aser__stream_flush. */
ssize_t aser__stream_write(aser_stream *st, const void *buf, size_t n);
/* Send the cipher waiting: 0 all sent (or plain), ASER_EAGAIN some still
 * waits, or an error (ASER_ENOBUFS past 256 KiB of cipher). */
int aser__stream_flush(aser_stream *st);
/* Send q through the stream (aser__stream_write: with TLS the cipher
 * waiting goes first) until q is empty (0), the socket is full
 * (ASER_EAGAIN), or an error. What was sent leaves q. An empty q sends
 * nothing: when writable, aser__stream_flush sends the cipher left. */
int aser__stream_drain(aser_stream *st, aser_bq *q);
/* Cipher waits for the socket (watch for writable). */
bool aser__stream_pending(const aser_stream *st);
/* Plain bytes (or a whole record) inside a ready session. */
bool aser__stream_buffered(const aser_stream *st);
/* ev plus ASER_EV_WRITE while cipher waits; with ASER_EV_READ in ev and
 * plain bytes inside the session, the replay is deferred. */
unsigned aser__stream_io_mask(aser_stream *st, unsigned ev);
/* Defer the replay if plain bytes wait inside the session. */
void aser__stream_replay_if_buffered(aser_stream *st);
/* The reason for the session's last ASER_EPROTO ("" without TLS). */
const char *aser__stream_tls_error(const aser_stream *st);

/* One step of the TLS handshake, at most rounds socket reads (0: until
 * the socket is empty). why is filled for every failure but a hang-up. */
typedef enum aser_hs_result {
    ASER_HS_DONE = 0,
    ASER_HS_AGAIN, /* wait for readable (and writable if pending) */
    ASER_HS_PROTO, /* refused: why is the session's reason */
    ASER_HS_SEND,  /* the socket failed while sending: *code */
    ASER_HS_HUNG,  /* the peer hung up (read 0) */
    ASER_HS_LOST,  /* the read failed: *code */
    ASER_HS_NOMEM
} aser_hs_result;
aser_hs_result aser__stream_handshake(aser_stream *st, int rounds, char *why, size_t cap,
                                      int *code);

/* Encrypt b and send it with what waits, best effort and never waiting
 * (a refusal line before a close); n 0: the close_notify. Nothing on a
 * plain stream or during a handshake. */
void aser__stream_send_now(aser_stream *st, const void *b, size_t n);
/* Say goodbye on a TLS stream (a close_notify, if the socket takes it now)
 * so the peer sees a clean end; the caller closes. */
void aser__stream_goodbye(aser_stream *st);

/* ---- host:port ----------------------------------------------------------- */

/* Split "HOST:PORT", "[V6]:PORT" or (with default_host) "PORT". what names
 * the thing in messages ("rfc2217://lab1"); example shows the form. */
int aser__net_split_hostport(const char *s, size_t n, const char *default_host, const char *what,
                             const char *example, char *host, size_t hcap, char *port, size_t pcap,
                             aser_err *err);

#define ASER_NET_CONNECT_TIMEOUT_MS 5000u /* default ?connect_timeout= */
#define ASER_NET_ACK_TIMEOUT_MS 2000u     /* default ?ack_timeout= (RFC 2217) */

/* A network endpoint as a URL gave it (transport/url.c fills it). */
typedef struct aser_net_url {
    char host[256]; /* without the [] of an IPv6 literal */
    char port[8];
    bool listen;                 /* bind and accept one client */
    unsigned connect_timeout_ms; /* 0 with listen: wait for a client forever */
    unsigned ack_timeout_ms;
    char target[512];                  /* an HTTP target: "/ws/lab1" */
    char token[128];                   /* ?token=: "" if none */
    bool tls;                          /* a +tls URL */
    char ca[256], cert[256], key[256]; /* ?ca= ?cert= ?key= (PEM files): "" if none */
    char auth[256];                    /* ?auth=FILE: "" if none */
} aser_net_url;

/* ---- the connector (net/connect.c) -------------------------------------- */

/* Resolves (host names on a helper thread, so the loop never blocks; the
 * blocking API resolves inline), connects non-blocking to each address in
 * turn within connect_timeout_ms, or for a listen URL binds, listens and
 * accepts one client; with u.tls runs the client's TLS handshake too.
 * Exactly one done() per start, from the loop (never from inside
 * aser__netc_start), unless aser__netc_stop() came first:
 *   done(c, fd, 0, NULL)    connected: fd is the caller's to close, tuned,
 *                           non-blocking, close-on-exec; c->st is its
 *                           stream (with the session for TLS) until stop
 *   done(c, -1, code, msg)  failed: msg names the address and the fix */
typedef struct aser_netc aser_netc;
typedef void (*aser_netc_done)(aser_netc *c, int fd, int code, const char *msg);

struct aser_netc {
    aser_loop *loop;
    const char *url; /* for messages; borrowed */
    aser_net_url u;
    bool inline_resolve; /* blocking API: resolve on the caller's thread */
    aser_netc_done done;
    void *ctx;
    /* state */
    int fd; /* the socket being connected, or listening */
    aser_io *io;
    aser_tmr *tmr;
    struct addrinfo *ai, *cur;
    struct aser_netc_job *job; /* name lookup in progress */
    int last_err;
    bool running;
    aser_defer later; /* deferred done() for failures found at start */
    int later_code;
    char msg[sizeof(aser_err){0}.msg];
    aser_stream st; /* the handshake's, then the connected stream's; st.fd is
                       not closed by stop (the caller owns the socket) */
};

/* Set up c (no I/O). */
int aser__netc_init(aser_netc *c, aser_loop *loop, const char *url, const aser_net_url *u,
                    aser_netc_done done, void *ctx);
/* Begin; 0, or a negative code (done() will not be called). */
int aser__netc_start(aser_netc *c);
/* Stop whatever is in progress and drop the stream's session; done() is
 * not called. Idempotent. */
void aser__netc_stop(aser_netc *c);
/* Release (after stop). */
void aser__netc_free(aser_netc *c);
/* For a TLS URL, check at open that its files (?ca= ?cert= ?key=) load,
 * so a wrong path is an open error now, not a failed connect later. */
int aser__netc_check_tls(const aser_net_url *u, const char *url, aser_err *err);

#endif
