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
    bool query;        /* the reply half of a query (aser_query) */
    bool queued;       /* ... of the query at the head of qq (else started at once) */
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
    bool framed;         /* the reply is one frame of `framer` */
    size_t max_given;    /* opts->max as given (0: none) */
    aser_match_fn match; /* the reply is what match says */
    void *match_ctx;
    aser_framer framer; /* last: large, and only for framed replies */
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

    /* Hot: what every request reads or writes, kept together. With many
     * ports no port stays in the CPU's first-level cache from one of its
     * requests to the next, so every cache line touched here is a miss
     * (bench/results/hotpath.md). */
    int in_dispatch;
    int dead; /* 0, or the error that ended the device */
    bool closing;
    bool dirty;          /* the dispatcher has something to look at */
    bool extras;         /* a feature past reads, queries and eager writes was used:
                            see aser__port_extras(); never cleared */
    bool in_dirty;       /* ... on the input side only (aser__port_kick_input) */
    bool tmr_early;      /* an operation was given a deadline before tmr_deadline */
    bool down;           /* lost, trying to reopen (link.c) */
    bool w_above;        /* a write was refused or left the queue above low water */
    bool config_changed; /* settings changed from the far end, not yet reported */
    bool lines_poll;     /* poll the lines (lines.c) */
    int link_event;      /* to report from dispatch, 0: none */
    unsigned io_events;  /* what io is set to watch (ASER_EV_*) */
    int next_id;
    uint64_t tmr_deadline; /* what tmr is armed for, 0: disarmed */
    uint64_t now_cache;    /* the clock for this dispatch round, 0: unread */
    uint64_t break_end;    /* a timed break (transport break_ctl) is on until, us */
    aser_io *io;
    struct aser_frport *fr;       /* framers (frame.c), made on first use */
    aser_read_cb data_cb;         /* aser_on_data() */
    aser_writable_cb writable_cb; /* aser_on_writable() */
    aser_lines_cb lines_cb;       /* aser_on_lines() */
    uint8_t *rbuf;
    size_t rcap, rpos, rlen; /* unread bytes are rbuf[rpos..rlen) */
    aser_ring qq;            /* queries: a ring of q_ent */
    rd_op rd;
    aser_bq wbuf; /* output: the unsent bytes; byte counters are absolute */
    uint64_t wsent, wqueued;
    aser_ring wq; /* of w_ent */
    drain_op drain;

    /* the rest: set up, changed by calls, read on the way out */
    aser_tmr *tmr;
    aser_defer kick;    /* runs port_dispatch from the loop */
    bool dead_reported; /* the data callback heard about it */
    void *data_ctx;
    bool close_after_drain;
    void *writable_ctx;
    aser_done_cb close_cb;
    void *close_ctx;

    /* reconnect */
    aser_reconnect_opts rc;
    unsigned rc_attempts, rc_delay_ms;
    uint64_t rc_next; /* next reopen attempt, us */

    /* line-change events (lines.c) */
    void *lines_ctx;
    int lines_last, lines_seen; /* reported / latest known, -1: unknown */
    unsigned lines_errors;      /* ASER_LINEERR_* not yet reported */
    bool lines_poll_modem;      /* poll modem_get (tty with modem lines) */
    bool lines_poll_errors;     /* poll line_errors (tty with error counters) */
    uint64_t lines_poll_us, lines_next;

    /* settings changed from the far end (lines.c, aser_on_config) */
    aser_config_cb config_cb;
    void *config_ctx;

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

/* An operation id: positive, unique among the port's pending ones. */
static inline int aser__port_new_id(aser_port *p)
{
    if (p->next_id <= 0 || p->next_id == INT32_MAX) p->next_id = 1;
    return p->next_id++;
}

/* A new operation's deadline, from a fresh clock (a timeout is measured
 * from the call). Inside a dispatch that reading also refreshes the
 * round's clock: it is the latest, so due-checks stay never early. */
static inline uint64_t aser__port_deadline(aser_port *p, unsigned timeout_ms)
{
    if (!timeout_ms) return 0;
    uint64_t now = aser__now_us();
    if (p->in_dispatch) p->now_cache = now;
    uint64_t dl = now + (uint64_t)timeout_ms * 1000u;
    if (dl < p->tmr_deadline) p->tmr_early = true; /* the armed timer is too late for it */
    return dl;
}

/* A feature past reads, queries and eager writes is now in use (the data
 * callback, the write queue, the writable event, drain, a timed break, a
 * loss or reconnect, line or config events, framers). Until then the dispatcher skips their
 * checks, as a hand-written request/reply client would not make them:
 * every field those checks read is still zero (aser__port_output_due and
 * the rest, aser__port_upkeep), so skipping them changes nothing. Whoever
 * sets such a field calls this first. */
static inline void aser__port_extras(aser_port *p)
{
    p->extras = true;
}

/* Input work appeared (a read or query started, the next query can
 * start). Inside a dispatch the input pass runs again at once, without a
 * whole round (request/reply: the reply's callback queues the next
 * query); otherwise as aser__port_kick(). */
static inline void aser__port_kick_input(aser_port *p)
{
    if (p->in_dispatch)
        p->in_dirty = true;
    else
        aser__port_kick(p);
}

/* defaults.c: the port's view of the transport table. What the port calls:
 * the transport's op, or the default that transport.h's table gives in
 * parentheses. An unsupported call leaves a sentence in the port's errmsg
 * naming the endpoint and why. */
int aser__tp_apply(aser_port *p, const aser_config *cur, const aser_config *cfg, aser_caps *caps,
                   aser_err *err);
int aser__tp_modem_get(aser_port *p);
int aser__tp_modem_set(aser_port *p, unsigned mask, unsigned values);
int aser__tp_send_break(aser_port *p, unsigned ms);
int aser__tp_flush(aser_port *p, int which);
int aser__tp_inq(aser_port *p);
int aser__tp_outq(aser_port *p);
int aser__tp_reopen(aser_port *p, aser_err *err);

/* core.c: the read buffer, marking what is pending */
int aser__rbuf_grow(aser_port *p, size_t need);
/* The read buffer holds at least need bytes: 0 or ASER_ENOMEM. */
static inline int aser__rbuf_reserve(aser_port *p, size_t need)
{
    return need <= p->rcap ? 0 : aser__rbuf_grow(p, need);
}
void aser__port_mark_all(aser_port *p, int status);
/* port.c: watch the port's fd (open, reopen, the connecting phase). */
int aser__port_watch_fd(aser_port *p);
/* port.c: the dispatcher's upkeep after its rounds: the fd's watch as the
 * buffers need it, the timer for the earliest deadline (cheap when
 * nothing changed). Also for a call that changed them outside a dispatch
 * and has nothing to complete (a query started at once). */
void aser__port_upkeep(aser_port *p);
/* read.c: input passes, while only input work appears, up to max;
 * returns the passes run after the first. */
int aser__port_dispatch_input(aser_port *p, int max);
/* write.c */
void aser__port_do_write(aser_port *p);
void aser__port_w_unqueue(aser_port *p, size_t i);
void aser__port_dispatch_output(aser_port *p);
/* Has aser__port_dispatch_output() anything to do (a break to end, writes
 * to complete, a writable event, a drain)? Checked inline by the
 * dispatcher, which runs once or twice per request. */
static inline bool aser__port_output_due(const aser_port *p)
{
    return p->extras &&
           (p->break_end || p->wq.count || (p->w_above && p->writable_cb) || p->drain.status);
}
/* A break timed by the port (transport break_ctl): start it; clear it
 * now (close, loss). */
int aser__port_break(aser_port *p, unsigned ms);
void aser__port_break_clear(aser_port *p);
/* lines.c: a transport learned new line states or errors. */
void aser__port_dispatch_lines(aser_port *p);
static inline bool aser__port_lines_due(const aser_port *p)
{
    return p->extras && (p->config_changed || p->lines_cb);
}
/* link.c */
void aser__port_dispatch_link(aser_port *p);
static inline bool aser__port_link_due(const aser_port *p)
{
    return p->extras && (p->down || p->link_event);
}
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
int aser__port_send(aser_port *p, const void *buf, size_t len);

/* link.c: watch a connected fd (the connecting phase's attach). */
int aser__port_attach(aser_port *p, int fd);
/* link.c: the two outcomes of a reopen attempt. */
void aser__port_reopened(aser_port *p);
void aser__port_reopen_failed(aser_port *p, const char *why);
/* core.c: after a loss with the fd released: go down (reconnect) or dead. */
void aser__port_lost(aser_port *p, int code);

#endif
