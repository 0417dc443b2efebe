/* telnet.h: a sans-I/O telnet codec (internal to libaserial).
 *
 * Conforms to:
 *   RFC 854   Telnet protocol specification (IAC, commands, IAC IAC)
 *   RFC 855   Telnet option specifications (WILL/WONT/DO/DONT, SB ... SE)
 *   RFC 856   Binary transmission (no CR/NUL handling: see below)
 *   RFC 1143  The Q method of option negotiation (no loops, queued requests)
 *
 * Bytes received from the peer go in through aser__telnet_recv(); every
 * effect comes out as an event through the one handler given at init:
 * data for the application, bytes to send to the peer, option state
 * changes, subnegotiations, other telnet commands and recoverable errors.
 * The codec does no I/O, reads no clock and never allocates: the struct is
 * provided by the caller (embed it in a connection object) and holds the
 * whole state, including a subnegotiation buffer of ASER_TELNET_SB_MAX
 * bytes. Nothing is global; any number of codecs may coexist.
 *
 * Roles: the codec is symmetric. Client and server differ only in which
 * options they request (aser__telnet_request) and accept
 * (aser__telnet_accept); see rfc2217.h for the COM-PORT roles.
 *
 * Binary mode only: the codec never translates CR, CR NUL or CR LF. The
 * users of this codec negotiate BINARY in both directions; if a peer
 * refuses, bytes still pass through unchanged (the transport decides
 * whether that is acceptable).
 *
 * Error policy: nothing a peer sends can break the codec. Malformed input
 * yields an ASER_TELNET_EV_ERROR event (ASER_EPROTO or ASER_ENOBUFS) and
 * parsing continues with the next byte; the caller decides whether to
 * drop the connection.
 */
#ifndef ASER_CODEC_TELNET_H
#define ASER_CODEC_TELNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- protocol constants (RFC 854, 855) -------------------------------- */

enum {
    ASER_TN_SE = 240,
    ASER_TN_NOP = 241,
    ASER_TN_DM = 242,
    ASER_TN_BREAK = 243,
    ASER_TN_IP = 244,
    ASER_TN_AO = 245,
    ASER_TN_AYT = 246,
    ASER_TN_EC = 247,
    ASER_TN_EL = 248,
    ASER_TN_GA = 249,
    ASER_TN_SB = 250,
    ASER_TN_WILL = 251,
    ASER_TN_WONT = 252,
    ASER_TN_DO = 253,
    ASER_TN_DONT = 254,
    ASER_TN_IAC = 255
};

/* Options this project uses. */
enum {
    ASER_TNOPT_BINARY = 0,  /* RFC 856 */
    ASER_TNOPT_ECHO = 1,    /* RFC 857 */
    ASER_TNOPT_SGA = 3,     /* RFC 858 */
    ASER_TNOPT_COMPORT = 44 /* RFC 2217 */
};

/* Largest subnegotiation payload kept (after the option byte, IAC IAC
 * already undoubled). Longer ones are discarded whole with an
 * ASER_ENOBUFS error event; the stream continues after their IAC SE. The
 * buffer lives inside the struct: bounded memory, no allocation. */
#define ASER_TELNET_SB_MAX 256

/* ---- events ------------------------------------------------------------ */

typedef enum aser_telnet_side {
    ASER_TELNET_LOCAL = 0, /* our side of an option: we WILL / WONT */
    ASER_TELNET_REMOTE = 1 /* the peer's side: we say DO / DONT */
} aser_telnet_side;

typedef enum aser_telnet_ev_type {
    ASER_TELNET_EV_DATA,   /* data, len: application bytes (IAC IAC undoubled) */
    ASER_TELNET_EV_SEND,   /* data, len: bytes to write to the peer, in order */
    ASER_TELNET_EV_OPTION, /* opt, side, enabled: a negotiation settled */
    ASER_TELNET_EV_SB,     /* opt, data, len: a complete subnegotiation */
    ASER_TELNET_EV_CMD,    /* cmd: IAC followed by NOP, BREAK, AYT, GA, ... */
    ASER_TELNET_EV_ERROR   /* code (ASER_EPROTO / ASER_ENOBUFS), msg */
} aser_telnet_ev_type;

/* One event. Only the fields named for its type are meaningful.
 * data points into the caller's input buffer (DATA), into the codec
 * (SB) or into a temporary (SEND): valid only during the handler call.
 * msg is a static string. */
typedef struct aser_telnet_event {
    aser_telnet_ev_type type;
    const uint8_t *data;
    size_t len;
    uint8_t opt;
    uint8_t cmd;
    aser_telnet_side side;
    bool enabled;
    int code;
    const char *msg;
} aser_telnet_event;

typedef struct aser_telnet aser_telnet;

/* The handler. It may call the send functions and aser__telnet_request()
 * on the same codec (their SEND events are delivered re-entrantly, in
 * order). It must not call aser__telnet_recv() or aser__telnet_init() on
 * the same codec, nor free it: defer that until recv returns. */
typedef void (*aser_telnet_fn)(aser_telnet *t, const aser_telnet_event *ev, void *ud);

/* ---- the codec ----------------------------------------------------------- */

/* The state. Treat as opaque; it is public only so callers can embed it.
 * q[side][opt] holds the RFC 1143 state of each option (see telnet.c). */
struct aser_telnet {
    aser_telnet_fn fn;
    void *ud;
    uint8_t state;  /* receive state machine */
    uint8_t sb_opt; /* option of the subnegotiation being received */
    bool sb_overflow;
    size_t sb_len;
    uint8_t q[2][256];
    uint8_t sb[ASER_TELNET_SB_MAX];
};

/* Reset *t to a fresh codec: every option off on both sides and refused
 * until aser__telnet_accept() or aser__telnet_request() says otherwise.
 * fn must be non-NULL; ud is passed to it. Sends nothing. */
void aser__telnet_init(aser_telnet *t, aser_telnet_fn fn, void *ud);

/* Policy: whether we agree when the peer asks to enable opt on side
 * (REMOTE: the peer sends WILL; LOCAL: the peer sends DO). A refused
 * request is answered DONT / WONT. Does not change the current state. */
void aser__telnet_accept(aser_telnet *t, uint8_t opt, aser_telnet_side side, bool yes);

/* Ask for opt to be enabled or disabled on side, by the Q method: sends
 * WILL/WONT (LOCAL) or DO/DONT (REMOTE) only when that is needed, queues
 * the opposite request while one is in flight, and does nothing when the
 * option is already in (or heading to) the wanted state. Asking to enable
 * also accepts the option (aser__telnet_accept yes); asking to disable
 * refuses it. The outcome arrives as an ASER_TELNET_EV_OPTION event. */
void aser__telnet_request(aser_telnet *t, uint8_t opt, aser_telnet_side side, bool enable);

/* True when opt is enabled on side (RFC 1143 state YES). */
bool aser__telnet_enabled(const aser_telnet *t, uint8_t opt, aser_telnet_side side);

/* Feed len bytes received from the peer. Events are delivered before this
 * returns; buf is only read, and only during the call. Any split of the
 * input into calls (down to one byte at a time) yields the same events,
 * except that DATA may be cut into more, smaller pieces. */
void aser__telnet_recv(aser_telnet *t, const uint8_t *buf, size_t len);

/* Send application data: one or more SEND events carrying buf with every
 * 0xFF doubled. buf is only read during the call. */
void aser__telnet_send_data(aser_telnet *t, const uint8_t *buf, size_t len);

/* Send IAC cmd (NOP, BREAK, AYT, ...). Negotiation commands (WILL, WONT,
 * DO, DONT), SB, SE and IAC are refused (ASER_EINVAL): use
 * aser__telnet_request / aser__telnet_send_sb / aser__telnet_send_data. */
int aser__telnet_send_cmd(aser_telnet *t, uint8_t cmd);

/* Send IAC SB opt <data, 0xFF doubled> IAC SE as one SEND event.
 * len <= ASER_TELNET_SB_MAX, else ASER_EINVAL and nothing is sent. */
int aser__telnet_send_sb(aser_telnet *t, uint8_t opt, const uint8_t *data, size_t len);

/* Pure helper: copy in to out doubling every 0xFF; out must have room for
 * 2 * len bytes. Returns the bytes written. For transports that escape
 * straight into their write queue instead of handling SEND events. */
size_t aser__telnet_escape(uint8_t *out, const uint8_t *in, size_t len);

/* Name of a telnet command byte or option ("WILL", "BINARY"), for logs
 * and traces; "?" when unknown. */
const char *aser__telnet_cmd_name(uint8_t cmd);
const char *aser__telnet_opt_name(uint8_t opt);

#endif
