/* rfc2217.h: a sans-I/O RFC 2217 (COM-PORT-OPTION) codec, internal.
 *
 * Conforms to:
 *   RFC 2217  Telnet Com Port Control Option (option 44), both roles
 *   and, through telnet.h, RFC 854, 855, 856 (BINARY), 858 (SGA), 1143.
 *
 * One codec per connection, in either role:
 *   ASER_RFC2217_CLIENT  sends commands (codes 0..12), decodes the access
 *                        server's replies and notifications (100..112);
 *   ASER_RFC2217_SERVER  decodes commands, sends replies (code + 100).
 * Bytes received go in through aser__rfc2217_recv(); data, bytes to send,
 * option changes, decoded COM-PORT commands/replies, unknown input and
 * errors come out through the one handler given at init. The codec does
 * no I/O, reads no clock and never allocates: the caller provides the
 * struct. It keeps no pending-request table either; acknowledgement
 * tracking and timeouts belong to the transport (see docs/rfc2217.md).
 *
 * Tolerance: the decoder never fails on what a peer sends. A value shorter
 * or longer than the RFC says is decoded as far as it goes and flagged
 * (ASER_CPO_F_SHORT / _LONG); a 1-byte SET-BAUDRATE is read as a Cisco IOS
 * baud index (ASER_CPO_F_CISCO); codes outside the RFC, or sent in the
 * wrong direction, become ASER_RFC2217_EV_UNKNOWN events.
 */
#ifndef ASER_CODEC_RFC2217_H
#define ASER_CODEC_RFC2217_H

#include "aserial.h"
#include "codec/telnet.h"

/* ---- protocol values (RFC 2217) ----------------------------------------- */

/* Command codes as the client sends them; the server's are code + 100. */
enum {
    ASER_CPO_SIGNATURE = 0,            /* <text>; empty text asks for the peer's */
    ASER_CPO_SET_BAUDRATE = 1,         /* <value(4)>, network order; 0 asks */
    ASER_CPO_SET_DATASIZE = 2,         /* 5..8; 0 asks */
    ASER_CPO_SET_PARITY = 3,           /* ASER_CPO_PARITY_*; 0 asks */
    ASER_CPO_SET_STOPSIZE = 4,         /* ASER_CPO_STOP_*; 0 asks */
    ASER_CPO_SET_CONTROL = 5,          /* ASER_CPO_CTL_* */
    ASER_CPO_NOTIFY_LINESTATE = 6,     /* ASER_CPO_LS_* bits */
    ASER_CPO_NOTIFY_MODEMSTATE = 7,    /* ASER_CPO_MS_* bits */
    ASER_CPO_FLOWCONTROL_SUSPEND = 8,  /* no value: stop sending data */
    ASER_CPO_FLOWCONTROL_RESUME = 9,   /* no value: send again */
    ASER_CPO_SET_LINESTATE_MASK = 10,  /* ASER_CPO_LS_* bits to notify */
    ASER_CPO_SET_MODEMSTATE_MASK = 11, /* ASER_CPO_MS_* bits to notify */
    ASER_CPO_PURGE_DATA = 12,          /* ASER_CPO_PURGE_* */
    ASER_CPO_COUNT_ = 13
};
#define ASER_CPO_SERVER_OFFSET 100

enum { /* SET-PARITY */
    ASER_CPO_PARITY_NONE = 1,
    ASER_CPO_PARITY_ODD = 2,
    ASER_CPO_PARITY_EVEN = 3,
    ASER_CPO_PARITY_MARK = 4,
    ASER_CPO_PARITY_SPACE = 5
};

enum { /* SET-STOPSIZE: note 3 means 1.5 */
    ASER_CPO_STOP_1 = 1,
    ASER_CPO_STOP_2 = 2,
    ASER_CPO_STOP_1_5 = 3
};

enum { /* SET-CONTROL; "outbound" settings apply to both directions */
    ASER_CPO_CTL_FLOW_QUERY = 0,
    ASER_CPO_CTL_FLOW_NONE = 1,
    ASER_CPO_CTL_FLOW_XONXOFF = 2,
    ASER_CPO_CTL_FLOW_HARDWARE = 3,
    ASER_CPO_CTL_BREAK_QUERY = 4,
    ASER_CPO_CTL_BREAK_ON = 5,
    ASER_CPO_CTL_BREAK_OFF = 6,
    ASER_CPO_CTL_DTR_QUERY = 7,
    ASER_CPO_CTL_DTR_ON = 8,
    ASER_CPO_CTL_DTR_OFF = 9,
    ASER_CPO_CTL_RTS_QUERY = 10,
    ASER_CPO_CTL_RTS_ON = 11,
    ASER_CPO_CTL_RTS_OFF = 12,
    ASER_CPO_CTL_INFLOW_QUERY = 13,
    ASER_CPO_CTL_INFLOW_NONE = 14,
    ASER_CPO_CTL_INFLOW_XONXOFF = 15,
    ASER_CPO_CTL_INFLOW_HARDWARE = 16,
    ASER_CPO_CTL_FLOW_DCD = 17,   /* outbound */
    ASER_CPO_CTL_INFLOW_DTR = 18, /* inbound */
    ASER_CPO_CTL_FLOW_DSR = 19    /* outbound */
};

enum { /* NOTIFY-LINESTATE / SET-LINESTATE-MASK bits */
    ASER_CPO_LS_DATA_READY = 1,
    ASER_CPO_LS_OVERRUN = 2,
    ASER_CPO_LS_PARITY = 4,
    ASER_CPO_LS_FRAMING = 8,
    ASER_CPO_LS_BREAK = 16,
    ASER_CPO_LS_THR_EMPTY = 32,
    ASER_CPO_LS_TSR_EMPTY = 64,
    ASER_CPO_LS_TIMEOUT = 128
};

enum { /* NOTIFY-MODEMSTATE / SET-MODEMSTATE-MASK bits */
    ASER_CPO_MS_DELTA_CTS = 1,
    ASER_CPO_MS_DELTA_DSR = 2,
    ASER_CPO_MS_TRAIL_RI = 4, /* trailing edge of ring */
    ASER_CPO_MS_DELTA_CD = 8,
    ASER_CPO_MS_CTS = 16,
    ASER_CPO_MS_DSR = 32,
    ASER_CPO_MS_RI = 64,
    ASER_CPO_MS_CD = 128
};

enum { /* PURGE-DATA: buffers of the access server */
    ASER_CPO_PURGE_RX = 1,
    ASER_CPO_PURGE_TX = 2,
    ASER_CPO_PURGE_BOTH = 3
};

/* ---- events ------------------------------------------------------------- */

typedef enum aser_rfc2217_role {
    ASER_RFC2217_CLIENT = 0,
    ASER_RFC2217_SERVER
} aser_rfc2217_role;

typedef enum aser_rfc2217_ev_type {
    ASER_RFC2217_EV_DATA,       /* data, len: serial data from the peer */
    ASER_RFC2217_EV_SEND,       /* data, len: bytes to write to the peer, in order */
    ASER_RFC2217_EV_OPTION,     /* opt, side, enabled: a telnet negotiation settled */
    ASER_RFC2217_EV_COMPORT,    /* cmd, reply, value, flags, data/len: see below */
    ASER_RFC2217_EV_UNKNOWN,    /* opt, cmd, data/len, msg: input ignored */
    ASER_RFC2217_EV_TELNET_CMD, /* cmd: IAC BREAK, IAC NOP, ... */
    ASER_RFC2217_EV_ERROR       /* code (ASER_EPROTO / ASER_ENOBUFS), msg */
} aser_rfc2217_ev_type;

/* COMPORT flags: how the value departed from the RFC. */
enum {
    ASER_CPO_F_SHORT = 1u << 0,       /* fewer value bytes than the RFC says */
    ASER_CPO_F_LONG = 1u << 1,        /* extra bytes, ignored */
    ASER_CPO_F_CISCO = 1u << 2,       /* 1-byte SET-BAUDRATE: Cisco IOS index */
    ASER_CPO_F_UNNEGOTIATED = 1u << 3 /* received before COM-PORT was enabled */
};

/* One event; only the fields named for its type are meaningful.
 * COMPORT: cmd is the base code (ASER_CPO_*, 0..12); reply is true when
 *   the wire code was cmd + 100; value is the decoded number (baud rate,
 *   data size, parity, ... ; 0 for SIGNATURE and the FLOWCONTROL ones);
 *   data/len are the raw value bytes (for SIGNATURE: the text, not
 *   NUL-terminated; empty means "tell me yours").
 * UNKNOWN: opt is the telnet option, data/len the subnegotiation payload
 *   after the option byte (for option 44 it starts with the code, copied
 *   to cmd when present), msg says why it was ignored.
 * data points into the codec or the caller's input: valid only during
 * the handler call. msg is static. */
typedef struct aser_rfc2217_event {
    aser_rfc2217_ev_type type;
    const uint8_t *data;
    size_t len;
    uint8_t opt;
    aser_telnet_side side;
    bool enabled;
    uint8_t cmd;
    bool reply;
    unsigned flags;
    uint32_t value;
    int code;
    const char *msg;
} aser_rfc2217_event;

typedef struct aser_rfc2217 aser_rfc2217;

/* Same rules as aser_telnet_fn: the handler may send on this codec (a
 * server typically answers a command from inside it); it must not call
 * aser__rfc2217_recv() or aser__rfc2217_init() on it, nor free it. */
typedef void (*aser_rfc2217_fn)(aser_rfc2217 *c, const aser_rfc2217_event *ev, void *ud);

/* ---- the codec ----------------------------------------------------------- */

/* Treat as opaque; public so that callers can embed it. */
struct aser_rfc2217 {
    aser_telnet tn;
    aser_rfc2217_role role;
    aser_rfc2217_fn fn;
    void *ud;
    bool cisco_baud; /* the peer used a 1-byte baud: answer in kind (server) */
};

/* Reset *c for role. Accepts BINARY, SGA and COM-PORT-OPTION on both
 * sides and refuses every other option (ECHO included). Sends nothing. */
void aser__rfc2217_init(aser_rfc2217 *c, aser_rfc2217_role role, aser_rfc2217_fn fn, void *ud);

/* Send the role's opening requests: both roles ask for BINARY and SGA in
 * both directions; the client then sends WILL COM-PORT-OPTION, the server
 * DO COM-PORT-OPTION. Call once, when the connection is up. */
void aser__rfc2217_start(aser_rfc2217 *c);

/* Feed bytes received from the peer (same contract as aser__telnet_recv). */
void aser__rfc2217_recv(aser_rfc2217 *c, const uint8_t *buf, size_t len);

/* Send serial data (0xFF doubled) as SEND events. */
void aser__rfc2217_send_data(aser_rfc2217 *c, const uint8_t *buf, size_t len);

/* Send one COM-PORT command, as a client (code) or a server (code + 100),
 * with value encoded at the width the RFC gives the command: 4 bytes for
 * SET-BAUDRATE (or 1 byte from a server whose peer used Cisco indexes),
 * none for the FLOWCONTROL ones (value must be 0), 1 byte otherwise
 * (value <= 255). SIGNATURE with value 0 sends the empty request; use
 * aser__rfc2217_send_signature for text. Returns 0, ASER_EINVAL (bad code
 * or value), or ASER_ENOTSUP when COM-PORT-OPTION is not enabled on
 * either side (nothing is sent). */
int aser__rfc2217_send(aser_rfc2217 *c, uint8_t cmd, uint32_t value);

/* Send SIGNATURE with text (len <= ASER_TELNET_SB_MAX - 1, else
 * ASER_EINVAL; len 0 asks for the peer's signature). */
int aser__rfc2217_send_signature(aser_rfc2217 *c, const char *text, size_t len);

/* Whether COM-PORT-OPTION is enabled on either side of the connection. */
bool aser__rfc2217_active(const aser_rfc2217 *c);

/* The telnet layer, e.g. to ask for more options or query BINARY. */
aser_telnet *aser__rfc2217_telnet(aser_rfc2217 *c);

/* "SET-BAUDRATE", ...; "?" for codes >= ASER_CPO_COUNT_. */
const char *aser__rfc2217_cmd_name(uint8_t cmd);

/* ---- mapping to and from aser_config -------------------------------------- */

/* aser_parity <-> 1..5 and aser_stopbits <-> 1, 2, 3 (= 1.5). The _to_
 * functions return the wire value or ASER_EINVAL; the _from_ functions
 * store into *out and return 0, or ASER_EPROTO for a value the RFC does
 * not define (0, the query, included); *out is then unchanged. */
int aser__rfc2217_parity_to_wire(aser_parity p);
int aser__rfc2217_parity_from_wire(uint32_t v, aser_parity *out);
int aser__rfc2217_stop_to_wire(aser_stopbits s);
int aser__rfc2217_stop_from_wire(uint32_t v, aser_stopbits *out);

/* A SET-CONTROL value taken apart. */
typedef enum aser_cpo_ctl_kind {
    ASER_CPO_KIND_FLOW,   /* outbound/both flow control: values 0-3, 17, 19 */
    ASER_CPO_KIND_INFLOW, /* inbound flow control: 13-16, 18 */
    ASER_CPO_KIND_BREAK,  /* 4-6 */
    ASER_CPO_KIND_DTR,    /* 7-9 */
    ASER_CPO_KIND_RTS     /* 10-12 */
} aser_cpo_ctl_kind;

typedef struct aser_rfc2217_control {
    aser_cpo_ctl_kind kind;
    bool query; /* asks for the current setting */
    bool on;    /* BREAK, DTR, RTS: the level (when not a query) */
    int flow;   /* FLOW, INFLOW: ASER_FLOW_* bits; -1 for DCD flow control,
                 * which aser_config cannot express */
} aser_rfc2217_control;

/* Split a SET-CONTROL value (0..19); ASER_EPROTO for anything else. */
int aser__rfc2217_control_parse(uint32_t v, aser_rfc2217_control *out);
/* The inverse: a value 0..19, or ASER_ENOTSUP when the flow bits have no
 * RFC 2217 value (RTS/CTS together with XON/XOFF, or flow -1 inbound). */
int aser__rfc2217_control_value(const aser_rfc2217_control *ctl);

/* The wire value of one setting of cfg, for SET-BAUDRATE, SET-DATASIZE,
 * SET-PARITY, SET-STOPSIZE and SET-CONTROL (its outbound/both flow value).
 * Returns 0 and stores *out, ASER_EINVAL for another cmd or a bad field,
 * ASER_ENOTSUP for flow bits RFC 2217 cannot express. */
int aser__rfc2217_config_value(const aser_config *cfg, uint8_t cmd, uint32_t *out);

/* Apply a received value of cmd to *cfg (a server applying a command, a
 * client recording a reply). Returns 1 if cfg changed, 0 if there was
 * nothing to apply (a query, a value equal to cfg, a SET-CONTROL about
 * BREAK/DTR/RTS, or a cmd that is not a setting), ASER_EPROTO for a value
 * the RFC does not define, ASER_ENOTSUP for DCD flow control (which
 * aser_config cannot express); cfg is unchanged on error. Inbound-only
 * flow values set the single aser_config flow field too. */
int aser__rfc2217_config_apply(aser_config *cfg, uint8_t cmd, uint32_t value);

/* NOTIFY-MODEMSTATE <-> ASER_LINE_* bits (CTS, DSR, CD, RI). to_modem
 * sets the delta bits for lines that differ from prev (RI: trailing edge
 * only, i.e. RI was on in prev and is off now). */
unsigned aser__rfc2217_modem_to_lines(uint8_t ms);
uint8_t aser__rfc2217_lines_to_modem(unsigned lines, unsigned prev);

/* Cisco IOS baud indexes (1-byte SET-BAUDRATE): index -> rate (0 when
 * unknown) and rate -> index (-1 when the rate has none). */
uint32_t aser__rfc2217_cisco_baud(uint8_t index);
int aser__rfc2217_cisco_index(uint32_t baud);

#endif
