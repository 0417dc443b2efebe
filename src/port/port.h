/* port.h: the aser_port object, shared by the files of src/port/. Users
 * see only aserial.h; transports see only transport/transport.h (the
 * aser_conn at the head of the port). */
#ifndef ASER_PORT_H
#define ASER_PORT_H

#include "internal.h"
#include "transport/transport.h"
#include "util/bytequeue.h"
#include "util/ring.h"

enum rd_kind {
    RD_NONE = 0,
    RD_SOME,
    RD_EXACT,
    RD_UNTIL,
    RD_FRAME,
    RD_MATCH
};

#define ASER_MAX_DELIM 16

/* The one active read (a plain read, or the reply half of a query). */
typedef struct rd_op {
    int id;
    enum rd_kind kind;
    size_t n; /* RD_SOME: max; RD_EXACT: count; RD_UNTIL: max */
    uint8_t delim[ASER_MAX_DELIM];
    size_t dlen;
    size_t scanned;    /* RD_UNTIL: bytes already searched */
    uint64_t deadline; /* us, 0: none */
    int status;        /* 1: pending; else the status to deliver */
    bool query;        /* the reply of the query at the head of qq */
    aser_read_cb cb;
    void *ctx;
    aser_match_fn match; /* RD_MATCH (RD_FRAME: the decoder is p->fr) */
    void *match_ctx;
} rd_op;

/* A queued query. Entries and their request buffers are reused. */
typedef struct q_ent {
    int id;
    int status; /* 1: pending; else deliver */
    uint8_t *req;
    size_t len, req_cap;
    uint8_t eol[ASER_MAX_DELIM];
    size_t eol_len, max;
    bool keep_stale;
    uint64_t deadline;
    aser_read_cb cb;
    void *ctx;
    bool framed; /* the reply is one frame of `framer` */
    aser_framer framer;
    size_t max_given;    /* opts->max as given (0: none) */
    aser_match_fn match; /* the reply is what match says */
    void *match_ctx;
} q_ent;

/* A write: its last byte is byte number `end` of the port's output. */
typedef struct w_ent {
    int id;
    int status; /* 1: pending; else deliver */
    uint64_t end;
    uint64_t deadline;
    aser_done_cb cb;
    void *ctx;
} w_ent;

typedef struct drain_op {
    int id;
    int status; /* 0: none, 1: pending, else deliver */
    uint64_t deadline, next_poll;
    aser_done_cb cb;
    void *ctx;
} drain_op;

struct aser_port {
    aser_conn c; /* what the transport sees: fd, cfg, caps, name... (first) */
    aser_io *io;
    aser_tmr *tmr;
    uint64_t tmr_deadline; /* what tmr is armed for, 0: disarmed */
    aser_defer kick;       /* runs port_dispatch from the loop */
    int dead;              /* 0, or the error that ended the device */
    bool closing;
    bool dead_reported; /* the data callback heard about it */
    int in_dispatch;
    bool dirty;         /* the dispatcher has something to look at */
    uint64_t now_cache; /* the clock for this dispatch round, 0: unread */
    int next_id;

    /* input */
    uint8_t *rbuf;
    size_t rcap, rpos, rlen; /* unread bytes are rbuf[rpos..rlen) */
    rd_op rd;
    aser_read_cb data_cb;
    void *data_ctx;

    /* queries: a ring of q_ent */
    aser_ring qq;

    /* output: the unsent bytes; byte counters are absolute */
    aser_bq wbuf;
    uint64_t wsent, wqueued;
    aser_ring wq; /* of w_ent */
    drain_op drain;
    bool close_after_drain;
    uint64_t break_end;           /* a timed break (transport break_ctl) is on until, us */
    aser_writable_cb writable_cb; /* aser_on_writable() */
    void *writable_ctx;
    bool w_above; /* a write was refused or left the queue above low water */
    aser_done_cb close_cb;
    void *close_ctx;

    /* reconnect */
    aser_reconnect_opts rc;
    bool down; /* lost, trying to reopen */
    unsigned rc_attempts, rc_delay_ms;
    uint64_t rc_next; /* next reopen attempt, us */
    int link_event;   /* to report from dispatch, 0: none */

    /* line-change events (lines.c) */
    aser_lines_cb lines_cb;
    void *lines_ctx;
    int lines_last, lines_seen; /* reported / latest known, -1: unknown */
    unsigned lines_errors;      /* ASER_LINEERR_* not yet reported */
    bool lines_poll;            /* poll (either of the two below) */
    bool lines_poll_modem;      /* poll modem_get (tty with modem lines) */
    bool lines_poll_errors;     /* poll line_errors (tty with error counters) */
    uint64_t lines_poll_us, lines_next;

    /* settings changed from the far end (lines.c, aser_on_config) */
    aser_config_cb config_cb;
    void *config_ctx;
    bool config_changed; /* not yet reported */

    /* framers (frame.c): the decoder and the frame stream, made on first use */
    struct aser_frport *fr;

    /* cold: written on failures, read by aser_port_errmsg() */
    char errmsg[1024]; /* as aser_err.msg */
};

#define ASER_PENDING 1 /* an operation's status while it is pending */

static inline size_t aser__r_avail(const aser_port *p)
{
    return p->rlen - p->rpos;
}

static inline void aser__r_consume(aser_port *p, size_t n)
{
    p->rpos += n;
    if (p->rpos == p->rlen) p->rpos = p->rlen = 0;
}

/* The clock for "is it due yet?" checks: read once per dispatch (or
 * refreshed by a new operation's deadline, aser__port_deadline). Stale
 * only by the callbacks of that dispatch, which can make an expiry a
 * little later, never early. Deadlines of new operations always use a
 * fresh clock. */
static inline uint64_t aser__port_now(aser_port *p)
{
    if (!p->in_dispatch) return aser__now_us();
    if (!p->now_cache) p->now_cache = aser__now_us();
    return p->now_cache;
}

/* port.c: the object, its I/O and its dispatcher */
int aser__port_new_id(aser_port *p);
uint64_t aser__port_deadline(aser_port *p, unsigned timeout_ms);
int aser__rbuf_reserve(aser_port *p, size_t need);
void aser__port_mark_all(aser_port *p, int status);
int aser__port_watch_fd(aser_port *p);
/* read.c */
void aser__port_dispatch_input(aser_port *p);
/* write.c */
void aser__port_do_write(aser_port *p);
void aser__port_w_unqueue(aser_port *p, size_t i);
void aser__port_dispatch_output(aser_port *p);
/* A break timed by the port (transport break_ctl): start it; clear it
 * now (close, loss). */
int aser__port_break(aser_port *p, unsigned ms);
void aser__port_break_clear(aser_port *p);
/* lines.c: a transport learned new line states or errors. */
void aser__port_dispatch_lines(aser_port *p);
/* link.c */
void aser__port_dispatch_link(aser_port *p);
/* frame.c: framers on a port. The decoder caches the parse of the first
 * aser__frdec_held() unread bytes; whoever else consumes input calls
 * aser__frame_forget(). */
struct aser_frev;
int aser__frame_begin(aser_port *p, const aser_framer *f, size_t max_given);
int aser__frame_poll(aser_port *p, struct aser_frev *ev);
void aser__frame_forget(aser_port *p);
bool aser__frame_streaming(const aser_port *p);
bool aser__frame_pending(const aser_port *p);
uint64_t aser__frame_deadline(aser_port *p);
void aser__frame_dispatch_stream(aser_port *p);
void aser__frame_free(aser_port *p);
int aser__port_write(aser_port *p, const void *buf, size_t len, unsigned timeout_ms,
                     aser_done_cb cb, void *ctx);

/* port.c: watch a connected fd (the connecting phase's attach). */
int aser__port_attach(aser_port *p, int fd);
/* link.c: the two outcomes of a reopen attempt. */
void aser__port_reopened(aser_port *p);
void aser__port_reopen_failed(aser_port *p, const char *why);
/* port.c: after a loss with the fd released: go down (reconnect) or dead. */
void aser__port_lost(aser_port *p, int code);

#endif
