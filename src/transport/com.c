/* transport/com.c: Windows COM ports behind the transport table: a name
 * ("COM5", "com5", "\\.\COM12", "serial://COM5") and a USB identity
 * ("usb:VID:PID[:SERIAL]", resolved through Windows discovery at every
 * open and reopen, so an adapter that comes back as another COMn is
 * found).
 *
 * Windows completes I/O rather than reporting readiness, and the port
 * (src/port/) is readiness-based: read() and write() must answer at once,
 * ASER_EAGAIN when they would block. So readiness is emulated over the
 * overlapped calls of os/win/iocp.h:
 *   - one overlapped ReadFile is pending into an internal buffer; its
 *     completion says "readable" (aser__port_io READ), read() hands out
 *     the buffered bytes, and the next ReadFile starts once they are all
 *     taken. Bytes the port had no room for are replayed from the loop
 *     when it has (io_mask), as the TLS filter does;
 *   - one WriteFile is in flight from a copy buffer; write() accepts bytes
 *     while none is (else ASER_EAGAIN) and its completion says "writable"
 *     (aser__port_io WRITE); outq counts the bytes in flight;
 *   - one WaitCommEvent (CTS, DSR, RLSD, RING, ERR, BREAK) is pending while
 *     the port is open: modem-line changes and line errors are pushed
 *     (aser__port_lines_changed, lines_pushed), never polled.
 * The read timeouts (os/win/comm.c) make a pending read wait for the first
 * byte and complete when the line pauses (an empty completion may still
 * come: read_done).
 *
 * Disconnect. Under Wine a far side that closes completes the pending
 * read once with 0 bytes and ERROR_BROKEN_PIPE, and every read posted
 * afterwards ends at once the same way; a pulled USB adapter fails
 * pending and new I/O on real Windows (ERROR_OPERATION_ABORTED,
 * ERROR_ACCESS_DENIED, ERROR_GEN_FAILURE...). The first error stops the
 * read side for good (no re-post: a blind one would spin the CPU) and is
 * reported once, as ASER_EDISCONNECTED through the port; WaitCommEvent
 * is not re-posted after an error either. A completion with no bytes and
 * no error is never the end (read_done): it is re-posted, after a pause
 * when such completions keep coming, unless ClearCommError fails.
 *
 * Lifetime. The state of one open handle (com_io) is apart from the
 * port's: close() cancels what is pending (CancelIoEx) and closes the
 * handle at once, and the state is freed by the last done callback, as
 * the contract of iocp.h requires; it holds a loop reference meanwhile.
 * A reopen (reconnect) makes a new com_io while the old one drains. */
#include "os/win/comm.h"
#include "os/win/iocp.h"
#include "transport/transport.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define COM_RBUF 4096u  /* one read's worth; the port keeps its own buffer */
#define COM_WBUF 16384u /* one WriteFile's worth */
/* WaitCommEvent completing with nothing this many times in a row is a
 * driver that cannot wait: stop asking rather than spin. */
#define COM_EMPTY_EVENTS_MAX 16
/* Empty read completions in a row re-posted at once; past this many, each
 * re-post waits COM_EMPTY_PAUSE_MS, so a driver that completes empty reads
 * without end costs at most a few wake-ups a second (see read_done). */
#define COM_EMPTY_READS_MAX 8
#define COM_EMPTY_PAUSE_MS 50
/* Writes in a row that end early with nothing written (an abort or a
 * timeout nobody asked for: write_done) before the write side fails. */
#define COM_WRITE_STALLS_MAX 8

typedef struct com_io {
    aser_port *p; /* NULL once closed */
    aser_loop *loop;
    HANDLE h, lock;
    char name[ASER_COM_NAME_MAX]; /* "COM5": for messages */
    unsigned pending;             /* operations started whose done has not run */
    int in_cb;                    /* inside one of our done callbacks */
    bool closed;
    aser_defer replay; /* hand buffered bytes (or the end) to the port */
    /* reading */
    aser_ovl rd;
    bool rd_pending, rend; /* rend: the read side is over (end or error) */
    int rempty;            /* empty completions in a row (read_done) */
    aser_tmr *rpause;      /* re-posts after a pause (read_done); NULL until needed */
    bool rpaused;          /* rpause is running: no read is posted meanwhile */
    DWORD rerr;            /* why it ended: a Win32 error */
    size_t rpos, rlen;
    uint8_t rbuf[COM_RBUF];
    /* writing */
    aser_ovl wr;
    bool wr_pending, wfailed;
    bool wpurged; /* aser_discard aborted the write in flight */
    int wstall;   /* writes in a row that ended early with nothing written */
    size_t wlen;  /* bytes in flight */
    uint8_t wbuf[COM_WBUF];
    /* line events */
    aser_ovl ev;
    bool ev_pending, ev_off;
    int ev_empty;
    DWORD evmask;
    unsigned lines; /* DTR/RTS as set */
} com_io;

/* What a port keeps across reopen (conn->data). */
typedef struct com_state {
    char *usb;  /* usb: the identity "VID:PID[:SERIAL]"; else NULL */
    com_io *io; /* the open handle's state, or NULL */
} com_state;

static com_state *state_of(aser_conn *c)
{
    if (!c->data) c->data = calloc(1, sizeof(com_state));
    return c->data;
}

static com_io *io_of(aser_port *p)
{
    com_state *s = aser__conn(p)->data;
    return s ? s->io : NULL;
}

/* ---- lifetime ---------------------------------------------------------------------- */

static void io_free(com_io *io)
{
    if (io->rpause) aser__tmr_close(io->rpause);
    aser__loop_unref(io->loop);
    free(io);
}

/* Leave one of our done callbacks: free the state if it was the last. */
static void io_leave(com_io *io)
{
    io->in_cb--;
    if (io->closed && io->pending == 0 && io->in_cb == 0) io_free(io);
}

static void on_replay(void *arg)
{
    com_io *io = arg;
    if (io->p) aser__port_io(io->p, ASER_EV_READ);
}

/* ---- reading ------------------------------------------------------------------------ */

static void read_done(aser_ovl *o, DWORD bytes, DWORD error);

/* Start the next ReadFile, unless one is pending, bytes wait to be taken,
 * or the read side is over. */
static void start_read(com_io *io)
{
    if (io->rd_pending || io->rend || io->closed || io->rpaused || io->rpos < io->rlen) return;
    io->rpos = io->rlen = 0;
    memset(&io->rd.ov, 0, sizeof io->rd.ov);
    /* A call that succeeds at once still posts its completion: only a
     * failure other than ERROR_IO_PENDING posts nothing. */
    if (ReadFile(io->h, io->rbuf, COM_RBUF, NULL, &io->rd.ov) ||
        GetLastError() == ERROR_IO_PENDING) {
        io->rd_pending = true;
        io->pending++;
        return;
    }
    io->rend = true;
    io->rerr = GetLastError();
    if (io->p) aser__defer(io->loop, &io->replay); /* told from the loop, not from inside */
}

/* The end of the read side, once; never re-posted. */
static void read_end(com_io *io, DWORD error)
{
    io->rend = true;
    io->rerr = error;
    aser__port_io(io->p, ASER_EV_READ);
}

static void on_read_pause(void *arg)
{
    com_io *io = arg;
    io->rpaused = false;
    start_read(io);
}

static void push_lines(com_io *io, unsigned errors);

/* A read that completes with no bytes and no error is not the end: on
 * real Windows a read with interval timeouts may return that when nothing
 * came, and under Wine it also happens while a write is being pushed out
 * (test/win/com/README.md). The serial libraries that work on Windows
 * (pyserial's serialwin32, node-serialport's binding) read again and take
 * only an error, or a failed ClearCommError, as the end. So ClearCommError
 * is asked (a port that is gone fails it: the end, with its error; line
 * errors it reports go to the port) and the read is re-posted: at once
 * for the first COM_EMPTY_READS_MAX in a row or when bytes are queued,
 * else after COM_EMPTY_PAUSE_MS. Bounded either way, never a spin; bytes
 * that come during a pause wait in the driver's queue. */
static void read_empty(com_io *io)
{
    DWORD ce = 0;
    COMSTAT st = {0};
    if (!ClearCommError(io->h, &ce, &st)) {
        read_end(io, GetLastError());
        return;
    }
    if (aser__com_errors(ce)) push_lines(io, aser__com_errors(ce)); /* may close the port */
    if (io->closed) return;
    if (++io->rempty <= COM_EMPTY_READS_MAX || st.cbInQue > 0) {
        start_read(io);
        return;
    }
    if (!io->rpause) io->rpause = aser__tmr_open(io->loop, on_read_pause, io);
    if (io->rpause && aser__tmr_start(io->rpause, COM_EMPTY_PAUSE_MS * 1000u) == 0)
        io->rpaused = true;
    else
        start_read(io); /* no timer: re-post at once rather than stall */
}

/* Wine (measured, test/win/com/README.md) also ends a pending read with
 * ERROR_TIMEOUT when the interval timer runs out during a write: the
 * same as an empty completion, with any bytes it brought. */
static bool read_timed_out(DWORD error)
{
    return error == ERROR_TIMEOUT || error == ERROR_SEM_TIMEOUT;
}

static void read_done(aser_ovl *o, DWORD bytes, DWORD error)
{
    com_io *io = o->arg;
    io->rd_pending = false;
    io->pending--;
    io->in_cb++;
    if (!io->closed) {
        if (error && !read_timed_out(error)) {
            read_end(io, error); /* only close cancels ours, and it is closed then */
        } else if (bytes == 0) {
            read_empty(io);
        } else {
            io->rempty = 0;
            io->rpos = 0;
            io->rlen = bytes;
            aser__port_io(io->p, ASER_EV_READ); /* may close the port */
        }
    }
    io_leave(io);
}

static ssize_t com_read(aser_port *p, void *buf, size_t n)
{
    com_io *io = io_of(p);
    if (!io) return ASER_EDISCONNECTED;
    if (io->rpos < io->rlen) {
        size_t k = ASER_MIN(n, io->rlen - io->rpos);
        memcpy(buf, io->rbuf + io->rpos, k);
        io->rpos += k;
        if (io->rpos == io->rlen) start_read(io);
        return (ssize_t)k;
    }
    if (!io->rend) return ASER_EAGAIN;
    /* The end, once: the port releases the handle on it. A far side that
     * closed (Wine: 0 bytes, ERROR_BROKEN_PIPE) or a device gone is a
     * disconnect, and so is a read aborted while the port is open (a
     * pulled adapter: only close cancels ours); any other read failure
     * leaves the port unusable too. */
    return aser__com_is_gone(io->rerr) || io->rerr == ERROR_OPERATION_ABORTED ? ASER_EDISCONNECTED
                                                                              : ASER_EIO;
}

/* ---- writing ------------------------------------------------------------------------- */

static bool start_write(com_io *io, size_t off)
{
    memset(&io->wr.ov, 0, sizeof io->wr.ov);
    if (WriteFile(io->h, io->wbuf + off, (DWORD)(io->wlen - off), NULL, &io->wr.ov) ||
        GetLastError() == ERROR_IO_PENDING) {
        io->wr_pending = true;
        io->pending++;
        return true;
    }
    return false;
}

/* The write side is over: reported once (a read ending at the same time
 * is the same loss). */
static void write_failed(com_io *io, DWORD error)
{
    io->wlen = 0;
    if (io->wfailed) return;
    io->wfailed = true;
    aser__port_io_failed(io->p, aser__com_is_gone(error) ? ASER_EDISCONNECTED : ASER_EIO);
}

/* A write that ended early: the rest goes out. Drivers may take part of
 * a write, and Wine (measured) ends a write in flight with
 * ERROR_OPERATION_ABORTED, or a timeout, after part of it, though nobody
 * cancelled it: neither loses bytes. Only an abort that aser_discard
 * asked for drops them; only other errors, or COM_WRITE_STALLS_MAX early
 * ends in a row with nothing written, end the write side. */
static bool write_may_resume(DWORD error)
{
    return !error || error == ERROR_OPERATION_ABORTED || error == ERROR_TIMEOUT ||
           error == ERROR_SEM_TIMEOUT;
}

static void write_rest(com_io *io, DWORD bytes, DWORD error)
{
    io->wstall = bytes ? 0 : io->wstall + 1;
    if (io->wstall > COM_WRITE_STALLS_MAX) {
        write_failed(io, error ? error : ERROR_WRITE_FAULT);
        return;
    }
    memmove(io->wbuf, io->wbuf + bytes, io->wlen - bytes);
    io->wlen -= bytes;
    if (!start_write(io, 0)) write_failed(io, GetLastError());
}

static void write_done(aser_ovl *o, DWORD bytes, DWORD error)
{
    com_io *io = o->arg;
    io->wr_pending = false;
    io->pending--;
    io->in_cb++;
    io->rempty = 0; /* Wine's empty reads come with write activity */
    bool purged = io->wpurged;
    io->wpurged = false;
    if (!io->closed) {
        if (error == ERROR_OPERATION_ABORTED && purged) { /* aser_discard: dropped */
            io->wlen = 0;
        } else if (!write_may_resume(error)) {
            write_failed(io, error);
        } else if (bytes < io->wlen) {
            write_rest(io, bytes, error);
        } else {
            io->wlen = 0;
            io->wstall = 0;
        }
        if (!io->closed && !io->wr_pending) aser__port_io(io->p, ASER_EV_WRITE);
    }
    io_leave(io);
}

static ssize_t com_write(aser_port *p, const void *buf, size_t n)
{
    com_io *io = io_of(p);
    if (!io || io->wfailed) return ASER_EDISCONNECTED;
    if (io->wr_pending) return ASER_EAGAIN;
    size_t k = ASER_MIN(n, COM_WBUF);
    memcpy(io->wbuf, buf, k);
    io->wlen = k;
    if (start_write(io, 0)) return (ssize_t)k;
    DWORD e = GetLastError();
    io->wlen = 0;
    return aser__com_is_gone(e) ? ASER_EDISCONNECTED : ASER_EIO;
}

/* ---- line events ------------------------------------------------------------------------ */

static void push_lines(com_io *io, unsigned errors)
{
    int l = aser__com_modem_get(io->h, io->lines);
    if (l >= 0 || errors) aser__port_lines_changed(io->p, l >= 0 ? (unsigned)l : 0, errors);
}

static void start_wait(com_io *io)
{
    if (io->ev_pending || io->ev_off || io->closed || io->rend || io->wfailed) return;
    memset(&io->ev.ov, 0, sizeof io->ev.ov);
    io->evmask = 0;
    if (WaitCommEvent(io->h, &io->evmask, &io->ev.ov) || GetLastError() == ERROR_IO_PENDING) {
        io->ev_pending = true;
        io->pending++;
        return;
    }
    /* Measured: Wine fails it at once (ERROR_NOT_SUPPORTED) on a COM port
     * mapped to a pseudo-terminal, which has no lines to watch anyway. */
    io->ev_off = true;
}

static void wait_done(aser_ovl *o, DWORD bytes, DWORD error)
{
    (void)bytes;
    com_io *io = o->arg;
    io->ev_pending = false;
    io->pending--;
    io->in_cb++;
    if (!io->closed) {
        if (error == ERROR_OPERATION_ABORTED) {
            start_wait(io); /* SetCommMask ends a pending wait; ask again */
        } else if (error) {
            io->ev_off = true; /* gone (the read reports it) or unusable: never spin */
        } else {
            DWORD m = io->evmask;
            unsigned errors = 0;
            if (m & (EV_ERR | EV_BREAK)) aser__com_status(io->h, NULL, NULL, &errors);
            if (m & EV_BREAK) errors |= ASER_LINEERR_BREAK;
            if (m) push_lines(io, errors);
            io->ev_empty = m ? 0 : io->ev_empty + 1;
            if (io->ev_empty > COM_EMPTY_EVENTS_MAX) io->ev_off = true;
            if (!io->closed) start_wait(io);
        }
    }
    io_leave(io);
}

/* ---- open and close ----------------------------------------------------------------------- */

/* Open the port named c->path with c->cfg: a new com_io attached to the
 * loop's completion port, a read and a line-event wait pending. */
static int open_handle(aser_port *p, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    com_state *s = state_of(c);
    if (!s) return aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    com_io *io = calloc(1, sizeof *io);
    if (!io) return aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    char dev[ASER_COM_NAME_MAX + 8];
    aser_caps caps;
    int rc = aser__com_name(c->path, dev, sizeof dev, io->name, sizeof io->name, err);
    if (rc == 0) rc = aser__com_open(c->path, &c->cfg, &io->h, &io->lock, &io->lines, &caps, err);
    if (rc < 0) {
        free(io);
        return rc;
    }
    rc = aser__iocp_attach(c->loop, io->h, err);
    if (rc < 0) {
        aser__com_close(io->h, io->lock);
        free(io);
        return rc;
    }
    /* c->path becomes the canonical name: what aser_port_path() shows. */
    if (strcmp(c->path, io->name) != 0) {
        char *np = strdup(io->name);
        if (np) {
            free(c->path);
            c->path = np;
        }
    }
    io->p = p;
    io->loop = c->loop;
    io->rd = (aser_ovl){.done = read_done, .arg = io};
    io->wr = (aser_ovl){.done = write_done, .arg = io};
    io->ev = (aser_ovl){.done = wait_done, .arg = io};
    io->replay = (aser_defer){.fn = on_replay, .arg = io};
    aser__loop_ref(io->loop); /* until the last done after close */
    s->io = io;
    c->caps = caps;
    c->fd = (int)(intptr_t)io->h; /* iocp.h: a HANDLE fits in an int */
    start_read(io);
    if (SetCommMask(io->h, EV_CTS | EV_DSR | EV_RLSD | EV_RING | EV_ERR | EV_BREAK))
        start_wait(io);
    else
        io->ev_off = true;
    if (io->ev_off && c->caps.state[ASER_FEAT_LINE_ERRORS] != ASER_CAP_UNSUPPORTED) {
        c->caps.state[ASER_FEAT_LINE_ERRORS] = ASER_CAP_UNSUPPORTED;
        c->caps.reason[ASER_FEAT_LINE_ERRORS] =
            "this port cannot wait for line events (WaitCommEvent fails)";
    }
    return 0;
}

/* Without a loop of the caller's (the blocking API) the port frees its
 * private loop right after close: wait (at most 2 s; a cancel ends serial
 * I/O at once) until the cancelled operations have ended, so that their
 * completions are queued for that loop to run before it goes (see the
 * integration notes). Polled with HasOverlappedIoCompleted rather than
 * GetOverlappedResult on the handle, which cannot tell several pending
 * operations apart. */
static void wait_cancelled(com_io *io)
{
    for (int i = 0; i < 2000; i++) {
        if ((!io->rd_pending || HasOverlappedIoCompleted(&io->rd.ov)) &&
            (!io->wr_pending || HasOverlappedIoCompleted(&io->wr.ov)) &&
            (!io->ev_pending || HasOverlappedIoCompleted(&io->ev.ov)))
            return;
        Sleep(1);
    }
}

static void com_close(aser_port *p)
{
    aser_conn *c = aser__conn(p);
    com_state *s = c->data;
    com_io *io = s ? s->io : NULL;
    c->fd = -1;
    if (!io) return;
    s->io = NULL;
    io->p = NULL;
    io->closed = true;
    aser__defer_cancel(io->loop, &io->replay);
    if (io->pending) {
        CancelIoEx(io->h, NULL);
        if (c->blocking) wait_cancelled(io);
    }
    aser__com_close(io->h, io->lock); /* the completions still come */
    io->h = NULL;
    io->lock = NULL;
    if (io->pending == 0 && io->in_cb == 0) io_free(io);
}

static int com_open(aser_port *p, const aser_url *u, aser_err *err)
{
    (void)u; /* the port has put u->path in c->path */
    return open_handle(p, err);
}

static int com_reopen(aser_port *p, aser_err *err)
{
    return open_handle(p, err);
}

static void com_release(aser_port *p)
{
    aser_conn *c = aser__conn(p);
    com_state *s = c->data;
    if (s) free(s->usb);
    free(s);
    c->data = NULL;
}

/* ---- settings, lines, queues ------------------------------------------------------------- */

static int com_apply(aser_port *p, const aser_config *cur, const aser_config *cfg, aser_caps *caps,
                     aser_err *err)
{
    (void)cur;
    com_io *io = io_of(p);
    if (!io) return aser__err(err, ASER_EDISCONNECTED, "%s is not open", aser__conn(p)->name);
    return aser__com_apply(io->h, io->name, cfg, &io->lines, caps, err);
}

/* Where the capability says no, say why in the port's message. */
static int unsupported(aser_port *p, aser_feature f)
{
    aser_conn *c = aser__conn(p);
    if (c->caps.state[f] != ASER_CAP_UNSUPPORTED) return 0;
    aser__port_set_errmsg(p, "%s: %s", c->name, c->caps.reason[f]);
    return ASER_ENOTSUP;
}

static int com_modem_get(aser_port *p)
{
    com_io *io = io_of(p);
    if (!io) return ASER_EDISCONNECTED;
    int rc = unsupported(p, ASER_FEAT_MODEM_LINES);
    return rc < 0 ? rc : aser__com_modem_get(io->h, io->lines);
}

static int com_modem_set(aser_port *p, unsigned mask, unsigned values)
{
    com_io *io = io_of(p);
    if (!io) return ASER_EDISCONNECTED;
    aser_err err = {0};
    int rc = unsupported(p, ASER_FEAT_MODEM_LINES);
    if (rc == 0)
        rc = aser__com_modem_set(io->h, io->name, &aser__conn(p)->cfg, &io->lines, mask, values,
                                 &err);
    if (rc < 0 && err.msg[0]) aser__port_set_errmsg(p, "%s", err.msg);
    return rc;
}

/* The port times the break (SetCommBreak now, ClearCommBreak from its
 * timer). A port without modem lines (a pseudo-terminal under Wine) has
 * no line to break, although Wine accepts the calls. */
static int com_break_ctl(aser_port *p, bool on)
{
    com_io *io = io_of(p);
    if (!io) return ASER_EDISCONNECTED;
    int rc = on ? unsupported(p, ASER_FEAT_BREAK) : 0;
    return rc < 0 ? rc : aser__com_break_ctl(io->h, on);
}

static int com_flush(aser_port *p, int which)
{
    com_io *io = io_of(p);
    if (!io) return 0;
    if ((which & ASER_DISCARD_OUTPUT) && io->wr_pending) io->wpurged = true;
    if (which & ASER_DISCARD_INPUT) { /* ours too; the pending read goes on */
        io->rpos = io->rlen = 0;
        start_read(io);
    }
    return aser__com_flush(io->h, which);
}

/* Errors ClearCommError hands back while asked for the queues are not
 * lost: they go out as line events, as WaitCommEvent's would. */
static int com_queues(aser_port *p, DWORD *inq, DWORD *outq)
{
    com_io *io = io_of(p);
    unsigned errors = 0;
    int rc = aser__com_status(io->h, inq, outq, &errors);
    if (rc == 0 && errors) push_lines(io, errors);
    return rc;
}

static int com_inq(aser_port *p)
{
    com_io *io = io_of(p);
    DWORD in = 0;
    if (!io) return 0;
    int rc = com_queues(p, &in, NULL);
    if (rc < 0) return rc;
    uint64_t n = (uint64_t)(io->rlen - io->rpos) + in;
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* The bytes of the WriteFile in flight; once it has completed, what the
 * driver still holds (under Wine, the pseudo-terminal's queue). Not both:
 * a driver counts a pending write in its own queue. */
static int com_outq(aser_port *p)
{
    com_io *io = io_of(p);
    DWORD out = 0;
    if (!io) return 0;
    if (io->wr_pending) return (int)io->wlen;
    int rc = com_queues(p, NULL, &out);
    if (rc < 0) return rc;
    return out > INT32_MAX ? INT32_MAX : (int)out;
}

/* Replay bytes read while the port had no room, now that it has. */
static unsigned com_io_mask(aser_port *p, unsigned events)
{
    com_io *io = io_of(p);
    if (io && (events & ASER_EV_READ) && (io->rpos < io->rlen || io->rend))
        aser__defer(io->loop, &io->replay);
    return events;
}

#define COM_OPS                                                                                \
    .read = com_read, .write = com_write, .close = com_close, .apply = com_apply,              \
    .modem_get = com_modem_get, .modem_set = com_modem_set, .break_ctl = com_break_ctl,        \
    .flush = com_flush, .inq = com_inq, .outq = com_outq, .io_mask = com_io_mask,              \
    .release = com_release, .lines_pushed = true,                                              \
    .lost_hint = "check the cable or USB adapter (Device Manager shows whether Windows still " \
                 "has the port), then reopen"

const aser_transport_ops aser__com_transport = {
    .scheme = "serial",
    .prefix = "serial://",
    .bare = true,
    .example = "COM5",
    .addr = ASER_ADDR_PATH,
    .open = com_open,
    .reopen = com_reopen,
    COM_OPS,
};

/* ---- usb:VID:PID[:SERIAL] ------------------------------------------------------------------ */

/* The identity kept in the state, resolved into c->path (usb.c). */
static int usb_resolve(aser_conn *c, aser_err *err)
{
    return aser__usb_resolve(c, ((com_state *)c->data)->usb, err);
}

static int usb_open(aser_port *p, const aser_url *u, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    com_state *s = state_of(c);
    if (!s || !(s->usb = strdup(u->path)))
        return aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    int rc = usb_resolve(c, err);
    return rc < 0 ? rc : open_handle(p, err);
}

static int usb_reopen(aser_port *p, aser_err *err)
{
    int rc = usb_resolve(aser__conn(p), err);
    return rc < 0 ? rc : open_handle(p, err);
}

const aser_transport_ops aser__com_usb_transport = {
    .scheme = "usb",
    .prefix = "usb:",
    .example = "usb:0403:6001[:SERIAL]",
    .addr = ASER_ADDR_USB,
    .open = usb_open,
    .reopen = usb_reopen,
    COM_OPS,
};
