/* net.h: what the network transports (tcp.c, rfc2217.c), the server and
 * url.c share: network URLs and the connector (connect.c) that turns
 * "host:port" into a connected (or accepted) socket without blocking the
 * loop thread. Internal. */
#ifndef ASER_TRANSPORT_NET_H
#define ASER_TRANSPORT_NET_H

#include "transport/transport.h"
#include "util/bytequeue.h"

#ifdef _WIN32
#include "os/socket.h" /* Winsock: getaddrinfo is in ws2tcpip.h */
#else
#include <netdb.h>
#endif

/* Split "HOST:PORT", "[V6]:PORT" or (with default_host) "PORT". what names
 * the thing in messages ("rfc2217://lab1"). */
int aser__net_split_hostport(const char *s, size_t n, const char *default_host, const char *what,
                             const char *example, char *host, size_t hcap, char *port, size_t pcap,
                             aser_err *err);

#include "os/socket.h"

/* Every feature unsupported, for reason. */
void aser__net_caps_data_only(aser_caps *c, const char *reason);

/* ---- the connector ------------------------------------------------------- */

/* Resolves (host names on a helper thread, so the loop never blocks; the
 * blocking API resolves inline), connects non-blocking to each address in
 * turn within connect_timeout_ms, or for tcp-listen:// binds, listens and
 * accepts one client. Exactly one done() per start, from the loop (never
 * from inside aser__netc_start), unless aser__netc_stop() came first:
 *   done(c, fd, 0, NULL)    connected: fd is the caller's now, tuned,
 *                           non-blocking, close-on-exec
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
    /* TLS (u.tls): the connector runs the handshake after the TCP connect
     * (within connect_timeout_ms) and done() hands over the socket with
     * the session in tls; the transport then reads and writes through
     * aser__netc_read/write, which filter through it. Freed by stop. */
    struct aser_tls *tls;
    bool handshaking;
    aser_bq tls_out;   /* cipher bytes the socket did not take yet */
    aser_defer replay; /* plain bytes left inside the session: read again */
    aser_port *replay_port;
};

/* Set up c (no I/O). */
int aser__netc_init(aser_netc *c, aser_loop *loop, const char *url, const aser_net_url *u,
                    aser_netc_done done, void *ctx);
/* Begin; 0, or a negative code (done() will not be called). */
int aser__netc_start(aser_netc *c);
/* A reconnect attempt for port p: mark it connecting and start c; on a
 * failure to start, undo and fill err. */
int aser__netc_reopen(aser_netc *c, aser_port *p, aser_err *err);
/* Stop whatever is in progress; done() is not called. Idempotent. */
void aser__netc_stop(aser_netc *c);
/* Release (after stop). */
void aser__netc_free(aser_netc *c);
/* For a TLS URL, check at open that its files (?ca= ?cert= ?key=) load,
 * so a wrong path is an open error now, not a failed connect later. */
int aser__netc_check_tls(const aser_net_url *u, const char *url, aser_err *err);

/* ---- the connected stream: plain, or filtered through TLS ------------------ */

/* What the transports call instead of aser__net_read/write on the socket c
 * handed over (aser__conn(p)->fd): the same results (bytes, 0 at the end,
 * ASER_EAGAIN, an error) with TLS in between when the URL asked for it.
 * A write takes at most one TLS record (16 KiB) and keeps its cipher until
 * the socket takes it: while some waits, writes return ASER_EAGAIN and
 * aser__netc_pending() is true (ask for ASER_EV_WRITE, then call
 * aser__netc_flush). Plain bytes decrypted but not yet read (the caller's
 * buffer was full) are read again from the loop: p hears a replayed
 * ASER_EV_READ. With TLS, a failure leaves its reason in p's errmsg. */
ssize_t aser__netc_read(aser_netc *c, aser_port *p, void *buf, size_t n);
ssize_t aser__netc_write(aser_netc *c, aser_port *p, const void *buf, size_t n);
int aser__netc_flush(aser_netc *c, int fd);
/* Closing a connected TLS stream: send a close_notify if the socket takes
 * it now (best effort, never waits), so the peer sees a clean end rather
 * than a truncation. A plain stream, or a handshake in progress: nothing. */
void aser__netc_goodbye(aser_netc *c, int fd);
bool aser__netc_pending(const aser_netc *c);
/* For a transport's io_mask: ev plus ASER_EV_WRITE while cipher waits;
 * and when the port has room to read (ASER_EV_READ) while plain bytes
 * wait inside the session, where the socket cannot signal them, a read
 * is replayed from the loop. */
unsigned aser__netc_io_mask(aser_netc *c, aser_port *p, unsigned ev);
/* Read and drop what has arrived (bounded work), decrypting with TLS. */
void aser__netc_discard_input(aser_netc *c, aser_port *p);

#endif
