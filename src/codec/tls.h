/* codec/tls.h: the TLS filter. OpenSSL driven through two memory BIOs, so
 * TLS is a byte-in/byte-out codec like the telnet one: cipher bytes from
 * the peer go in (aser__tls_feed), plain bytes and handshake progress come
 * out (aser__tls_read, aser__tls_handshake); plain bytes to send go in
 * (aser__tls_write) and the cipher bytes to put on the wire come out
 * (aser__tls_take). It never touches a socket, a clock or the loop, and
 * never blocks. TLS 1.2 and later only. Internal.
 *
 * Who uses it: the network stream (net/stream.c), the one place TLS
 * meets a socket, for both roles. The connector (net/connect.c) runs a
 * client's handshake while the port is connecting, then the network
 * transports read and write through the stream when the URL asked for
 * TLS (tcp+tls://, rfc2217+tls://, wss://). The server's listeners and
 * the web listener (server/tls.c: one aser_tls_ctx per server, with
 * certificate, key and optional client CA, shared by its sessions) run
 * the server role on each connection's stream.
 *
 * Without OpenSSL at build time (meson -Dtls=disabled, or no libssl-dev)
 * aser__tls_new fails with ASER_ENOTSUP and a message saying so. */
#ifndef ASER_CODEC_TLS_H
#define ASER_CODEC_TLS_H

#include "internal.h"

typedef struct aser_tls aser_tls;

typedef enum aser_tls_role {
    ASER_TLS_CLIENT = 0,
    ASER_TLS_SERVER /* conf: cert_file, key_file, ca_file (client CA) */
} aser_tls_role;

/* Files are PEM; NULL or "" means none. */
typedef struct aser_tls_conf {
    const char *ca_file;   /* client: the CAs to trust (NULL: the system's);
                              server: the CA client certificates must chain to */
    const char *cert_file; /* client: a client certificate; server: its own */
    const char *key_file;  /* the private key of cert_file */
} aser_tls_conf;

/* A session for one connection. host (client): the name or address the
 * server's certificate must carry (and the SNI name). what names the
 * endpoint in messages ("tcp+tls://lab1:2000"). Certificate verification
 * and the host-name check are always on. Errors name the file and the fix. */
int aser__tls_new(aser_tls **out, aser_tls_role role, const aser_tls_conf *conf, const char *host,
                  const char *what, aser_err *err);
void aser__tls_free(aser_tls *t);

/* ---- the server role ---------------------------------------------------------------- */

/* A server's certificate, key and optional client CA, loaded once and
 * shared by its sessions. Reference-counted: each session holds one, so
 * a reload (a new context in place of the old) applies to new
 * connections while existing ones keep the context they started with;
 * the old one is freed with its last session. With ca_file, a client
 * must present a certificate that chains to it
 * (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT), else the
 * handshake fails. what names the thing in messages ("aserial serve"). */
typedef struct aser_tls_ctx aser_tls_ctx;
int aser__tls_ctx_new(aser_tls_ctx **out, const aser_tls_conf *conf, const char *what,
                      aser_err *err);
aser_tls_ctx *aser__tls_ctx_ref(aser_tls_ctx *x);
void aser__tls_ctx_unref(aser_tls_ctx *x); /* NULL: no-op */
/* A problem worth a warning that does not stop serving (the certificate
 * has expired or is not valid yet: clients will refuse it), "" if none. */
const char *aser__tls_ctx_warning(const aser_tls_ctx *x);
/* A server session on x; what names the peer in messages ("client
 * 127.0.0.1:40112"). Its handshake failures say why in the server's
 * words: not a TLS client, no client certificate, one from another CA. */
int aser__tls_new_server(aser_tls **out, aser_tls_ctx *x, const char *what, aser_err *err);

/* Cipher bytes received from the peer; all are taken (0 or ASER_ENOMEM).
 * The caller bounds what it feeds by reading plain bytes out first. */
int aser__tls_feed(aser_tls *t, const void *cipher, size_t n);
/* Advance the handshake with what was fed: 0 done, ASER_EAGAIN more bytes
 * needed (send aser__tls_take's first), else ASER_EPROTO with msg saying
 * why and what to do (an expired, self-signed or mismatched certificate,
 * a peer that does not speak TLS). */
int aser__tls_handshake(aser_tls *t, char *msg, size_t cap);
/* Plain bytes: > 0 bytes read, ASER_EAGAIN (feed more), 0 at the peer's
 * close_notify, ASER_EPROTO (msg via aser__tls_error). */
ssize_t aser__tls_read(aser_tls *t, void *plain, size_t n);
/* Plain bytes decrypted and not read, or a whole record fed and not yet
 * opened: a read would make progress without feeding more (a partial
 * record does not count). */
bool aser__tls_buffered(aser_tls *t);
/* Encrypt up to n plain bytes (at most one record, 16 KiB): bytes taken,
 * or ASER_EPROTO. The cipher goes to aser__tls_take. */
ssize_t aser__tls_write(aser_tls *t, const void *plain, size_t n);
/* Cipher bytes waiting to be sent, and taking them (returns the count). */
size_t aser__tls_pending(aser_tls *t);
size_t aser__tls_take(aser_tls *t, void *buf, size_t n);
/* The reason for the last ASER_EPROTO. */
const char *aser__tls_error(aser_tls *t);
/* Queue a close_notify alert (aser__tls_take gives it), once, on a
 * finished session that had no fatal error; a no-op otherwise. The
 * peer's answer is not awaited. */
void aser__tls_close_notify(aser_tls *t);

#endif
