/* ws.h: a sans-I/O WebSocket codec (RFC 6455) with its HTTP/1.1 upgrade,
 * for both sides. Internal to libaserial.
 *
 * Bytes from the peer go in through aser__ws_feed(); what they mean comes
 * out as events through one callback, and the bytes to send come out as
 * ASER_WS_EV_SEND events. No sockets, no clocks, no randomness: the caller
 * supplies the handshake key and the masking keys (a client must mask what
 * it sends; RFC 6455 5.3 wants them unpredictable).
 *
 * Bounded memory: the HTTP head is kept up to ASER_WS_HEAD_MAX bytes and
 * ASER_WS_HEADERS_MAX header lines; a control frame's payload (at most 125
 * bytes by the RFC) is the only payload buffered; data payloads are
 * unmasked and handed over in pieces as they arrive, so a frame of any
 * size costs nothing, and the caller's max_frame bounds what it accepts.
 *
 * Why not wslay: it would do the framing, but not the HTTP upgrade (which
 * is where most of the untrusted parsing is), and it allocates per message;
 * the two together are about as large as this file, and one codec style
 * (telnet.c, rfc2217.c) keeps the fuzz targets and tests uniform. */
#ifndef ASER_CODEC_WS_H
#define ASER_CODEC_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ASER_WS_HEAD_MAX 8192  /* bytes of an HTTP request or response head */
#define ASER_WS_HEADERS_MAX 64 /* header lines */
#define ASER_WS_KEY_LEN 24     /* a Sec-WebSocket-Key: base64 of 16 bytes */
#define ASER_WS_ACCEPT_LEN 28  /* a Sec-WebSocket-Accept: base64 of 20 bytes */

typedef enum aser_ws_role {
    ASER_WS_CLIENT = 0,
    ASER_WS_SERVER
} aser_ws_role;

/* Opcodes (RFC 6455 5.2). */
enum {
    ASER_WS_OP_CONT = 0x0,
    ASER_WS_OP_TEXT = 0x1,
    ASER_WS_OP_BINARY = 0x2,
    ASER_WS_OP_CLOSE = 0x8,
    ASER_WS_OP_PING = 0x9,
    ASER_WS_OP_PONG = 0xA
};

typedef enum aser_ws_ev_kind {
    ASER_WS_EV_SEND = 1, /* data/len: bytes to send to the peer */
    ASER_WS_EV_REQUEST,  /* server: a valid upgrade request (path, origin,
                            token: the Authorization Bearer token or NULL);
                            answer with aser__ws_accept() or _refuse() */
    ASER_WS_EV_OPEN,     /* the handshake is complete: frames flow */
    ASER_WS_EV_DATA,     /* data/len: a piece of a message's payload; text:
                            a text message; fin: the last piece of it */
    ASER_WS_EV_PING,     /* data/len: its payload (a pong was sent already) */
    ASER_WS_EV_PONG,
    ASER_WS_EV_CLOSE, /* the peer closed: code (1005 if none), data/len the
                            reason; the answering close was sent already */
    ASER_WS_EV_ERROR  /* code: ASER_EPROTO (the peer broke the protocol),
                            ASER_ENOBUFS (a limit), ASER_EACCES (handshake
                            refused); msg says what; a close frame was sent
                            where the protocol allows; the codec is dead */
} aser_ws_ev_kind;

typedef struct aser_ws_event {
    aser_ws_ev_kind kind;
    const uint8_t *data;
    size_t len;
    bool text, fin;
    int code;           /* ASER_WS_EV_CLOSE: the close code; ERROR: ASER_E* */
    const char *msg;    /* ERROR: a sentence */
    const char *path;   /* REQUEST: the request target ("/ws/lab1") */
    const char *origin; /* REQUEST: the Origin header, or NULL */
    const char *host;   /* REQUEST: the Host header */
    const char *token;  /* REQUEST: "Bearer X" -> "X", or a ?token=X query, or NULL */
    bool upgrade;       /* REQUEST: a WebSocket upgrade; false: a plain GET
                            (only with ws->plain_get), answered with
                            aser__ws_respond() or _refuse() */
} aser_ws_event;

typedef struct aser_ws aser_ws;
typedef void (*aser_ws_cb)(aser_ws *ws, const aser_ws_event *ev, void *ud);

enum ws_state {
    WS_HEAD = 0,
    WS_WAIT_ANSWER,
    WS_FRAMES,
    WS_CLOSED,
    WS_DEAD
};

/* A UTF-8 check across pieces: continuation bytes still due, and the
 * range of the next one. */
typedef struct aser_utf8 {
    uint8_t need, lo, hi;
} aser_utf8;

struct aser_ws {
    aser_ws_role role;
    aser_ws_cb cb;
    void *ud;
    uint64_t max_frame; /* largest data frame payload accepted */
    bool plain_get;     /* server: a GET without an upgrade is a request
                                too (a web page), not a 400 */
    bool had_origin;    /* server: the request had an Origin (a browser's does) */
    enum ws_state state;
    /* handshake */
    char key[ASER_WS_KEY_LEN + 1];   /* client: the key sent */
    char head[ASER_WS_HEAD_MAX + 1]; /* the HTTP head being received */
    size_t head_len;
    /* frame parser */
    uint8_t hdr[14];
    size_t hdr_len, hdr_need;
    uint8_t op, msg_op; /* this frame's opcode; the message's (for CONT) */
    bool fin, masked, in_msg;
    uint8_t mask[4];
    uint64_t left, done; /* payload bytes left / done in this frame */
    uint8_t ctl[125];    /* a control frame's payload */
    aser_utf8 u8;        /* a text message's UTF-8 so far */
    /* sending */
    uint32_t (*mask_key)(void *ud); /* client: a fresh masking key per frame */
    bool close_sent;
    char msg[200]; /* the sentence of an error event */
};

/* The length of the UTF-8 sequence at s[0..n) (1 to 4), 0: not UTF-8
 * (overlong forms, surrogates and values past U+10FFFF included). */
size_t aser__utf8_len(const uint8_t *s, size_t n);

/* Set up; cb gets every event. max_frame 0: 1 MiB. A client also needs
 * mask_key (called once per frame it sends). */
void aser__ws_init(aser_ws *ws, aser_ws_role role, uint64_t max_frame, aser_ws_cb cb, void *ud,
                   uint32_t (*mask_key)(void *ud));

/* Client: send the upgrade request for path (with "?query" if any) to
 * host (the Host header, "HOST:PORT"), with key16 the 16 random bytes of
 * Sec-WebSocket-Key and origin (NULL: none) and bearer token (NULL: none).
 * 0, or ASER_EINVAL for a path/host that does not fit or has CR/LF. */
int aser__ws_connect(aser_ws *ws, const char *host, const char *path, const uint8_t key16[16],
                     const char *origin, const char *token);

/* Server, after ASER_WS_EV_REQUEST: accept (101) or refuse with an HTTP
 * status and a one-line reason (the connection should then be closed). */
void aser__ws_accept(aser_ws *ws);
void aser__ws_refuse(aser_ws *ws, int status, const char *reason);
/* Server, after a plain GET (ev->upgrade false): answer 200 with body of
 * content type ctype (the connection should then be closed). */
void aser__ws_respond(aser_ws *ws, const char *ctype, const void *body, size_t len);

/* Feed bytes from the peer. Returns how many were consumed: all of them,
 * unless the codec died (then the rest is not looked at). */
size_t aser__ws_feed(aser_ws *ws, const uint8_t *data, size_t len);

/* Send one message (a single frame, FIN set): ASER_WS_OP_BINARY or _TEXT.
 * 0, or ASER_EINVAL when frames cannot flow (handshake not done, closed). */
int aser__ws_send(aser_ws *ws, int op, const void *data, size_t len);
/* Ping with a payload of at most 125 bytes. */
int aser__ws_ping(aser_ws *ws, const void *data, size_t len);
/* Start the closing handshake with code (1000: normal) and a reason. */
int aser__ws_close(aser_ws *ws, uint16_t code, const char *reason);

/* Sec-WebSocket-Accept for key (RFC 6455 4.2.2): base64(SHA-1(key GUID)). */
void aser__ws_accept_key(const char *key, char out[ASER_WS_ACCEPT_LEN + 1]);
/* SHA-1 (FIPS 180-4) of data, into out[20]; for the handshake only. */
void aser__sha1(const void *data, size_t len, uint8_t out[20]);
/* Base64 (RFC 4648, with padding) of n bytes; out holds 4*ceil(n/3)+1. */
void aser__base64(const uint8_t *in, size_t n, char *out);

#endif
