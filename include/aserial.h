/* aserial.h: asynchronous serial ports for C.
 *
 * One thread drives many serial ports at once: local ttys, USB adapters and
 * (later) serial device servers on the network. Every operation takes a
 * timeout and completes exactly once through its callback. The same
 * operations exist in a blocking form for programs without an event loop.
 *
 * This header is the manual. Read it top to bottom:
 *
 *   1. Errors            negative codes, aser_strerror(), detail messages
 *   2. Configuration     aser_config, parsing "9600,7E1,rtscts"
 *   3. Event loops       the built-in loop and the hook table for others
 *   4. Ports             open, configure, modem lines, break, flush, close
 *   5. Async operations  read, read_exactly, read_until, write, query, drain,
 *                        framers (read_frame, on_frame, binary queries)
 *   6. Blocking API      the same operations, each bounded by a timeout
 *   7. Virtual pairs     two pseudo-terminals joined back to back
 *   8. Simulated device  a scriptable instrument answering request lines
 *   9. Discovery         list and find ports by USB identity, hotplug
 *  10. Network server    export a port to TCP clients (RFC 2217 or raw)
 *
 * Two companion headers: <aserial/testing.h> (an in-memory port pair with
 * fault injection, for your tests) and the event-loop adapters
 * <aserial/uv.h> and <aserial/event.h>.
 *
 * Names (one rule, everywhere)
 *   - Operations on a port are verbs: aser_open, aser_read, aser_write,
 *     aser_query, aser_configure, aser_set_lines, aser_send_break,
 *     aser_close. Their blocking twins add _sync: aser_query_sync.
 *   - What a port knows is read through aser_port_<noun>: aser_port_name,
 *     aser_port_config, aser_port_lines, aser_port_cap, aser_port_bytes_in.
 *   - Callbacks for a stream of events are set with aser_on_<event>:
 *     aser_on_data, aser_on_lines, aser_on_frame, aser_on_config.
 *   - Every other object is aser_<object>_<verb|noun>: aser_loop_run,
 *     aser_pair_open, aser_server_start, aser_config_parse, aser_sim_count.
 *   - Constants are ASER_<GROUP>_<NAME>, each GROUP used by one enum or bit
 *     set only: ASER_LINE_* (modem-line bits), ASER_LEVEL_* (what to do with
 *     an output line at open), ASER_FLOW_*, ASER_FEAT_*, ASER_FRAMING_*,
 *     ASER_E* (errors).
 *   - Internal symbols are aser__*; never call them.
 *
 * Conventions
 *   - Functions return 0 (or a non-negative count) on success and a negative
 *     ASER_E* code on failure.
 *   - Timeouts are unsigned milliseconds measured from the call, and 0 has
 *     one meaning everywhere a timeout is taken: no deadline
 *     (ASER_NO_TIMEOUT). aser_close_drain() is the one call that requires a
 *     deadline, since closing must never hang. In option structs, a field
 *     left 0 that is not a timeout (a size, a count, a delay, a poll
 *     interval) takes the default documented beside it.
 *   - When a function that takes a callback returns an error, that callback
 *     is never called. When it succeeds, the callback runs exactly once, and
 *     never from inside the call that started the operation: always from
 *     the event loop.
 *   - Data handed to a callback is valid only during that callback.
 *   - Nothing here keeps global state; any number of loops and ports may
 *     coexist. A port and its loop belong to one thread.
 */
#ifndef ASERIAL_H
#define ASERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ASERIAL_VERSION_MAJOR, _MINOR, _PATCH (numbers) and ASERIAL_VERSION_STRING
 * ("MAJOR.MINOR.PATCH"), generated at build time from the project version. */
#include "aserial/version.h"

/* ASER_API marks every public function (here and in the companion
 * headers). libaserial is compiled with hidden visibility, so its shared
 * library exports exactly these and no aser__* internals. On Windows it is
 * __declspec(dllexport) while the DLL itself is built (the build defines
 * ASER_BUILDING), __declspec(dllimport) for its users, and nothing for
 * users of the static library, who define ASER_STATIC. (This header
 * reads the compiler's _WIN32, not the build's ASER_OS_WINDOWS: programs
 * that include it are compiled without the library's defines.) */
#ifndef ASER_API
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(ASER_STATIC)
#define ASER_API
#elif defined(ASER_BUILDING)
#define ASER_API __declspec(dllexport)
#else
#define ASER_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define ASER_API __attribute__((visibility("default")))
#else
#define ASER_API
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A timeout of 0: wait without a deadline (see Conventions). */
#define ASER_NO_TIMEOUT 0u

/* ====================================================================== */
/* 1. Errors                                                               */
/* ====================================================================== */

/* Codes that mirror an errno use the negated Linux value on every platform
 * (a failed system call's errno is mapped to its twin by name, so on macOS
 * ECONNREFUSED, 61 there, still comes back as ASER_ECONNREFUSED). An errno
 * with no twin comes back as the host's -errno, which aser_strerror()
 * describes. Codes with no errno twin live below -4000. */
#define ASER_ERRNO_MAP(XX)                              \
    XX(EPERM, -1, "operation not permitted")            \
    XX(ENOENT, -2, "no such file or device")            \
    XX(EINTR, -4, "interrupted system call")            \
    XX(EIO, -5, "input/output error")                   \
    XX(EAGAIN, -11, "resource temporarily unavailable") \
    XX(ENOMEM, -12, "out of memory")                    \
    XX(EACCES, -13, "permission denied")                \
    XX(EBUSY, -16, "resource busy")                     \
    XX(EEXIST, -17, "already exists")                   \
    XX(ENODEV, -19, "no such device")                   \
    XX(EINVAL, -22, "invalid argument")                 \
    XX(ENOTTY, -25, "not a terminal")                   \
    XX(EPIPE, -32, "broken pipe")                       \
    XX(ERANGE, -34, "value out of range")               \
    XX(EPROTO, -71, "protocol error")                   \
    XX(ENOTSUP, -95, "operation not supported")         \
    XX(EADDRINUSE, -98, "address already in use")       \
    XX(ENETUNREACH, -101, "network unreachable")        \
    XX(ENOBUFS, -105, "no buffer space available")      \
    XX(ETIMEDOUT, -110, "operation timed out")          \
    XX(ECONNREFUSED, -111, "connection refused")        \
    XX(EHOSTUNREACH, -113, "host unreachable")          \
    XX(ECANCELED, -125, "operation canceled")           \
    XX(EDISCONNECTED, -4001, "device disconnected")     \
    XX(ECLOSED, -4002, "port closed")                   \
    XX(EBADCONFIG, -4003, "invalid configuration")      \
    XX(EBADURL, -4004, "invalid port URL")

enum {
#define ASER_ERR_ENUM_(name, value, text) ASER_##name = (value),
    ASER_ERRNO_MAP(ASER_ERR_ENUM_)
#undef ASER_ERR_ENUM_
};

/* A human sentence for a code ("operation timed out"). Never NULL; an
 * unknown negative code is described as the errno it negates. */
ASER_API const char *aser_strerror(int code);
/* The symbolic name ("ASER_ETIMEDOUT"), or "ASER_UNKNOWN". */
ASER_API const char *aser_err_name(int code);

/* Calls that can fail for reasons a person must act on also fill an
 * aser_err with a sentence that names the thing and the fix, for example
 * "permission denied opening /dev/ttyUSB0: add your user to group dialout
 * (sudo usermod -aG dialout $USER) and log in again". Pass NULL if you only
 * want the code. */
typedef struct aser_err {
    int code;
    char msg[1024]; /* the longest advice with a path of several hundred characters */
} aser_err;

/* ====================================================================== */
/* 2. Configuration                                                        */
/* ====================================================================== */

typedef enum aser_parity {
    ASER_PARITY_NONE = 0,
    ASER_PARITY_ODD,
    ASER_PARITY_EVEN,
    ASER_PARITY_MARK,
    ASER_PARITY_SPACE
} aser_parity;

/* Stop bits in tenths: 10, 15 or 20. */
typedef enum aser_stopbits {
    ASER_STOP_1 = 10,
    ASER_STOP_1_5 = 15,
    ASER_STOP_2 = 20
} aser_stopbits;

/* Flow control, a bit set. XON/XOFF combines with either hardware kind. */
enum {
    ASER_FLOW_NONE = 0,
    ASER_FLOW_RTSCTS = 1u << 0,
    ASER_FLOW_XONXOFF = 1u << 1,
    ASER_FLOW_DTRDSR = 1u << 2
};

/* The level to give an output line (DTR, RTS) when the port opens. KEEP
 * leaves it as the driver set it; with hupcl off, an Arduino is not reset.
 * (The lines themselves are the ASER_LINE_* bits of section 4.) */
typedef enum aser_level {
    ASER_LEVEL_KEEP = 0,
    ASER_LEVEL_ON,
    ASER_LEVEL_OFF
} aser_level;

/* Low latency (ASYNC_LOW_LATENCY): OFF leaves the driver alone, TRY asks and
 * accepts a refusal, STRICT fails the open/configure if refused. */
typedef enum aser_low_latency {
    ASER_LOWLAT_OFF = 0,
    ASER_LOWLAT_TRY,
    ASER_LOWLAT_STRICT
} aser_low_latency;

/* RS-485 direction control (TIOCSRS485). Applied read-modify-write, so
 * driver fields aserial does not know about are preserved. */
typedef struct aser_rs485 {
    bool enabled;
    bool rts_on_send;    /* RTS level while sending (true: high) */
    bool rts_after_send; /* RTS level after sending */
    bool rx_during_tx;   /* receive own transmission */
    uint32_t delay_before_send_ms;
    uint32_t delay_after_send_ms;
} aser_rs485;

typedef struct aser_config {
    uint32_t baud;     /* any positive rate; non-standard ones via BOTHER */
    uint8_t data_bits; /* 5..8 */
    aser_parity parity;
    aser_stopbits stop_bits;
    unsigned flow;  /* ASER_FLOW_* bits */
    bool exclusive; /* TIOCEXCL + flock: a second opener gets ASER_EBUSY */
    bool hupcl;     /* drop DTR/RTS on last close */
    aser_low_latency low_latency;
    aser_level dtr; /* state of DTR after open */
    aser_level rts; /* state of RTS after open (ignored with RTS/CTS) */
    aser_rs485 rs485;
    uint32_t read_buffer;      /* bytes buffered per port, also the largest frame */
    uint32_t write_high_water; /* queued-bytes limit; past it aser_write fails */
    uint32_t write_low_water;  /* aser_on_writable() fires at or below it; below
                                  write_high_water; 0: a quarter of it */
} aser_config;

/* 115200 8N1, no flow control, exclusive, hupcl, 4 KiB read buffer, 1 MiB
 * write queue (writable again at 256 KiB), lines left as the driver sets
 * them. */
#define ASER_CONFIG_DEFAULT                                                                       \
    {                                                                                             \
        .baud = 115200, .data_bits = 8, .parity = ASER_PARITY_NONE, .stop_bits = ASER_STOP_1,     \
        .flow = ASER_FLOW_NONE, .exclusive = true, .hupcl = true, .low_latency = ASER_LOWLAT_OFF, \
        .dtr = ASER_LEVEL_KEEP, .rts = ASER_LEVEL_KEEP, .rs485 = {0}, .read_buffer = 4096,        \
        .write_high_water = 1u << 20                                                              \
    }

/* Apply a config string onto *cfg (fields not named keep their value).
 * Comma-separated tokens, in any order:
 *   9600            baud rate (any positive integer)
 *   8N1 7E1 5N1.5   data bits 5-8, parity N/O/E/M/S, stop bits 1, 1.5 (with
 *                   5 data bits only, as Linux has it) or 2
 *   rtscts xonxoff dtrdsr none      flow control (may be combined)
 *   key=value       any key accepted by aser_config_set()
 * Example: "9600,7E1,rtscts", "115200,8N1,dtr=off,rts=off,hupcl=off".
 * On error *cfg is unchanged and err names the bad token. */
ASER_API int aser_config_parse(aser_config *cfg, const char *str, aser_err *err);

/* Set one field by name, as in URL queries (?baud=9600&parity=even):
 *   baud databits parity(none|odd|even|mark|space) stopbits(1|1.5|2)
 *   flow(none|rtscts|xonxoff|dtrdsr, '+' joins) exclusive hupcl
 *   lowlatency(off|try|strict) dtr rts (keep|on|off)
 *   rs485 rs485_rts_on_send rs485_rts_after_send rs485_rx_during_tx
 *   rs485_delay_before rs485_delay_after buffer high_water low_water
 * Booleans take on/off, true/false, yes/no, 1/0. */
ASER_API int aser_config_set(aser_config *cfg, const char *key, const char *value, aser_err *err);

/* Check ranges and combinations. 0 or ASER_EBADCONFIG with a message. */
ASER_API int aser_config_validate(const aser_config *cfg, aser_err *err);

/* Format as a string aser_config_parse() accepts: "9600,7E1,rtscts" plus
 * key=value tokens for fields that differ from the defaults. Returns the
 * length it needed (excluding NUL), like snprintf; truncates safely. */
ASER_API int aser_config_format(const aser_config *cfg, char *buf, size_t size);

/* ====================================================================== */
/* 3. Event loops                                                          */
/* ====================================================================== */

/* aserial never owns your event loop. It speaks to one through a table of
 * hooks: watch a file descriptor, run a timer. The built-in loop (epoll,
 * with a poll() fallback) implements them; so can any loop you already run
 * (see docs/loops.md). */
typedef struct aser_loop aser_loop;

enum {
    ASER_EV_READ = 1u << 0,
    ASER_EV_WRITE = 1u << 1
};

typedef void (*aser_io_fn)(void *arg, unsigned revents);
typedef void (*aser_timer_fn)(void *arg);

/* The contract, for those writing an adapter:
 *   io_open     start tracking fd with no events; return a handle or NULL.
 *   io_set      set the wanted events (ASER_EV_* bits; 0 stops watching).
 *               Called often; must be idempotent and cheap. fn(arg,revents)
 *               reports readiness (errors and hang-ups count as both).
 *   io_close    stop and forget the handle; fn must not run afterwards.
 *   timer_open  create a stopped one-shot timer.
 *   timer_start (re)arm it to fire once after `us` microseconds (adapters
 *               with millisecond timers round up, never down).
 *   timer_stop  disarm; harmless when not armed.
 *   timer_close free it; fn must not run afterwards.
 * Callbacks may call any hook, including closing their own handle. A 0 us
 * timer re-armed from its own callback must wait for the next iteration
 * (deferred calls rely on it). docs/loops.md has the full contract and a
 * worked adapter; <aserial/uv.h> and <aserial/event.h> are ready-made. */
typedef struct aser_loop_hooks {
    void *(*io_open)(void *loop_data, int fd, aser_io_fn fn, void *arg);
    int (*io_set)(void *loop_data, void *io, unsigned events);
    void (*io_close)(void *loop_data, void *io);
    void *(*timer_open)(void *loop_data, aser_timer_fn fn, void *arg);
    int (*timer_start)(void *loop_data, void *timer, uint64_t us);
    void (*timer_stop)(void *loop_data, void *timer);
    void (*timer_close)(void *loop_data, void *timer);
} aser_loop_hooks;

/* The built-in loop. */
ASER_API int aser_loop_new(aser_loop **out);
/* Run until no port, pair or timer keeps it busy, or aser_loop_stop(). */
ASER_API int aser_loop_run(aser_loop *loop);
/* Run one iteration, waiting at most timeout_ms (-1: as long as needed). */
ASER_API int aser_loop_run_once(aser_loop *loop, int timeout_ms);
ASER_API void aser_loop_stop(aser_loop *loop);
/* Free the loop, of any kind. Close every port and pair on it first
 * (ASER_EBUSY if not; the loop is then still usable). Deferred completions
 * and pending posts are run first. Every hook handle aserial opened is
 * closed through io_close/timer_close; loop_data and the host loop remain
 * the caller's. Never call it from inside one of the loop's callbacks. */
ASER_API int aser_loop_free(aser_loop *loop);
/* Embedding the built-in loop in another loop (a GUI toolkit, asyncio,
 * trio, your own poll()): watch one fd.
 *
 *     int fd = aser_loop_fd(loop);        // once; -1: see below
 *     ... your loop waits until fd is readable, then:
 *     aser_loop_run_once(loop, 0);        // never blocks
 *
 * The fd is readable whenever aserial has work: I/O on its ports, a due
 * timer or timeout, a deferred start (an operation started from your code
 * begins on the next iteration), a call from aser_loop_post(). A host that
 * waits on nothing else gets every callback and every timeout on time, and
 * may start operations from its own code between iterations. The first
 * call turns this on (a timerfd joins the epoll set, re-armed only when
 * the earliest deadline moves); a loop nobody embeds pays nothing for it.
 * Returns -1 where the loop has no single fd: with
 * ASERIAL_LOOP_BACKEND=poll, in the portable build (-Dplatform=posix,
 * poll()), and on Windows (an I/O completion port). Such hosts use
 * aser_loop_timeout(), or aser_loop_new_with_hooks() to hand each fd and
 * timer to their own loop. docs/loops.md has both recipes. */
ASER_API int aser_loop_fd(const aser_loop *loop);
/* How long a host may leave the built-in loop alone, in milliseconds,
 * counting its timers, deferred starts and posted calls (c-ares'
 * ares_timeout): 0 when something is due now, -1 when nothing is
 * scheduled (only I/O can wake it), otherwise the time to the next
 * deadline rounded up (never early). It cannot see I/O readiness: a host
 * without the fd calls aser_loop_run_once(loop, ms) with ms bounded by
 * both this and its own next deadline, so that the wait itself happens in
 * aserial's poll. Loops on hooks return -1 (their timers are the host's). */
ASER_API int aser_loop_timeout(const aser_loop *loop);

/* A loop driven by someone else's event loop through hooks. The hooks table
 * must outlive the loop. A table with any hook missing is refused with
 * ASER_EINVAL: timeouts that silently never fire are worse than no loop.
 * The new loop opens one fd watch at once and keeps it armed until
 * aser_loop_free() (the wake-up of aser_loop_post()), so a host loop that
 * runs while anything is watched (uv_run, event_base_dispatch) keeps
 * running until the aserial loop is freed, as with a uv_async_t. */
ASER_API int aser_loop_new_with_hooks(const aser_loop_hooks *hooks, void *loop_data,
                                      aser_loop **out);

/* A one-shot timer on any loop, for programs that need one beside ports. */
typedef struct aser_timer aser_timer;
ASER_API int aser_timer_start(aser_loop *loop, uint64_t ms, void (*fn)(void *), void *arg,
                              aser_timer **out);
ASER_API void aser_timer_cancel(aser_timer *t); /* fn is not called; t is freed */

/* Hand fn(arg) to the loop from any thread: the one call in this library
 * that is thread-safe. fn runs on the thread running the loop, soon (the
 * loop is woken through an eventfd it watches like any port, so this works
 * on every loop, adapted ones included), exactly once, never inside
 * aser_loop_post(), and calls run in the order they were posted (posts
 * from one thread keep their order; posts racing from several threads are
 * ordered as they reach the queue). A posted call may post again; that
 * call runs in a later round.
 * At most ASER_POST_MAX calls wait at a time: past that ASER_ENOBUFS (wait
 * and retry). ASER_EINVAL for a NULL loop or fn, ASER_ENOMEM.
 * A pending post does not keep aser_loop_run() going by itself once it has
 * returned: post while a port, pair or timer holds the loop, or keep
 * calling aser_loop_run_once(). Calls still pending when aser_loop_free()
 * starts are run by aser_loop_free() on its caller's thread, so no
 * accepted call is lost. Posting during or after aser_loop_free() is a
 * use after free: stop the posting threads first. */
#define ASER_POST_MAX 65536
ASER_API int aser_loop_post(aser_loop *loop, void (*fn)(void *), void *arg);

/* ====================================================================== */
/* 4. Ports                                                                */
/* ====================================================================== */

typedef struct aser_port aser_port;

/* Completion callbacks (section 5 describes when they run). */
typedef void (*aser_read_cb)(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx);
typedef void (*aser_done_cb)(aser_port *p, int status, void *ctx);

/* Open a port. url is a tty path ("/dev/ttyUSB0") or "serial:///dev/ttyUSB0",
 * optionally followed by a query of config keys ("?baud=9600&parity=even")
 * applied on top of cfg (NULL means ASER_CONFIG_DEFAULT).
 * loop may be NULL: the port then gets a private built-in loop and is used
 * through the blocking API (section 6).
 * The tty is opened O_NOCTTY|O_NONBLOCK|O_CLOEXEC, put in raw mode and
 * configured atomically. Errors (with a hint in err):
 *   ASER_ENOENT  no such port (hint: aserial list)
 *   ASER_EACCES  permission denied (hint: group dialout)
 *   ASER_EBUSY   another program holds it exclusively
 *   ASER_ENOTTY  the path is not a terminal
 *   ASER_EBADURL / ASER_EBADCONFIG  bad url or config
 *
 * On Windows url is a COM port: "COM5", "com5", "\\.\COM12" or
 * "serial://COM5" (always opened as \\.\COMn, so COM10 and above work), or
 * usb:VID:PID[:SERIAL]. It is opened overlapped on the built-in loop's
 * completion port (a libuv or libevent loop gets ASER_ENOTSUP), with every
 * setting in one DCB; 5 data bits with 2 stop bits, RS-485 and strict low
 * latency are ASER_ENOTSUP there. ASER_EBUSY: another program has it
 * ("close it"); ASER_ENOENT names Device Manager and aserial list.
 * aser_open(3) has the details.
 *
 * Network ports. url may also be
 *   rfc2217://HOST:PORT   a serial line behind a device server (ser2net
 *                         telnet(rfc2217), Moxa, aserial serve): baud,
 *                         framing, flow control, DTR/RTS, break and purge
 *                         are set remotely (RFC 2217)
 *   tcp://HOST:PORT       raw TCP (ser2net "tcp", most device servers'
 *                         raw mode): data only; every line capability is
 *                         ASER_CAP_UNSUPPORTED ("raw TCP carries data
 *                         only"), and line settings in the URL or in
 *                         aser_configure() are refused with ASER_ENOTSUP
 *                         instead of being silently ignored
 *   tcp-listen://[HOST:]PORT  wait for one TCP client (HOST defaults to
 *                         127.0.0.1), then behave as tcp://; made for
 *                         `aserial bridge`
 *   ws://HOST:PORT/PATH   a byte stream in WebSocket binary messages (RFC
 *                         6455), through HTTP proxies and to any WebSocket
 *                         program: data only, like tcp://; text messages
 *                         (aserial serve --web's JSON control) are
 *                         skipped. ?token=SECRET is
 *                         sent as "Authorization: Bearer SECRET"; the
 *                         upgrade is bounded by connect_timeout, and a
 *                         refused one fails the open with the server's
 *                         status line (ASER_EACCES for 401/403)
 *   tcp+tls://HOST:PORT, rfc2217+tls://HOST:PORT, wss://HOST:PORT/PATH
 *                         the same over TLS (1.2 or later; OpenSSL). The
 *                         server's certificate is verified against the
 *                         system's CAs, or ?ca=FILE (PEM), and must carry
 *                         HOST (a name, or an address in its IP entries);
 *                         ?cert=FILE&key=FILE present a client certificate.
 *                         The handshake is part of the connecting phase,
 *                         bounded by connect_timeout. A refused certificate
 *                         fails the connect with ASER_EPROTO and a message
 *                         naming the fix (expired, self-signed or signed by
 *                         an unknown CA: ?ca=, made for another name), as
 *                         does a peer that does not speak TLS; a ?ca=,
 *                         ?cert= or ?key= file that cannot be read fails
 *                         aser_open() itself with ASER_EINVAL. Built
 *                         without OpenSSL, these schemes fail with
 *                         ASER_ENOTSUP ("built without TLS")
 * HOST is a name, an IPv4 address or a bracketed IPv6 one ([::1]). Besides
 * config keys the query takes connect_timeout=MS (default 5000; for
 * tcp-listen the default 0 waits forever) and, for rfc2217, ack_timeout=MS
 * (default 2000: how long to wait for the server's answers). Sockets get
 * TCP_NODELAY and keepalive (a dead peer is noticed within about 25 s).
 *
 * The connecting phase. With a loop, aser_open() never blocks: names are
 * resolved on a helper thread and the connect is non-blocking, so the port
 * is returned while it is still connecting. Operations started meanwhile
 * wait, each bounded by its own timeout; writes are queued. If the connect
 * fails, they complete with its error (ASER_ECONNREFUSED, ASER_ETIMEDOUT,
 * ASER_ENOENT for an unknown host, ...) and aser_port_errmsg() says what
 * to check ("connection refused to 127.0.0.1:2000 (rfc2217://...): is the
 * server (ser2net, aserial serve) running? check the host and port").
 * With reconnect on (aser_set_reconnect), a failed first connect is a loss
 * like any other and is retried. Without a loop (the blocking API),
 * aser_open() returns once connected and, for rfc2217://, once the
 * settings are acknowledged or their wait timed out; a failed connect is
 * returned by aser_open() itself, with the message in err.
 *
 * RFC 2217 servers misbehave, and none of it fails the open: a server that
 * refuses COM-PORT-OPTION or never answers is used as raw data with every
 * capability lowered to UNSUPPORTED and the reason given; an answer that
 * differs from the request, or no answer within ack_timeout (ser2net does
 * not answer SET-CONTROL DTR/RTS on ports without modem lines), lowers
 * that capability (UNKNOWN or UNSUPPORTED) with the reason; 1-byte Cisco
 * baud answers are understood. FLOWCONTROL-SUSPEND from the server holds
 * writes (queued) until RESUME. Modem-line states the server notifies
 * (NOTIFY-MODEMSTATE) are what aser_port_lines() returns. */
ASER_API int aser_open(aser_loop *loop, const char *url, const aser_config *cfg, aser_port **out,
                       aser_err *err);

/* The forms of url this build's aser_open() takes, one per call: i from 0
 * until NULL ("/dev/ttyUSB0", "usb:0403:6001[:SERIAL]", "tcp://HOST:PORT",
 * "rfc2217://HOST:PORT", "pty:[LINK]"...), for usage text and messages
 * (aserial --help lists them). Test-only forms (mock://, see
 * <aserial/testing.h>) are not listed. The strings are static. */
ASER_API const char *aser_url_form(size_t i);

/* Close the port. Pending operations complete with ASER_ECLOSED (from the
 * loop, after this returns); unsent output is discarded so close never
 * blocks, even while the peer holds flow control. On a local tty the
 * driver's output queue is flushed before close(2), and if a driver still
 * holds bytes after that (a USB adapter's own buffer), the kernel's
 * closing_wait (up to 30 s in close(2)) is set to none through
 * TIOCSSERIAL where the driver allows it; the setting stays with the
 * device, as setserial's would. A break in progress is cleared. Safe inside any callback
 * of this port; the memory is released once those callbacks have run.
 * Closing twice (before that), or closing NULL, is harmless. After the
 * port's last callback has returned, p is gone: code that closes several
 * ports from several callbacks must remember which it already closed. */
ASER_API void aser_close(aser_port *p);

/* Close after the output has drained, waiting at most timeout_ms, which
 * must not be 0 (ASER_EINVAL: closing always has a deadline; 2000 ms is a
 * good choice). cb (may be NULL) gets 0
 * if everything was sent, or ASER_ETIMEDOUT if the rest was discarded;
 * then the port closes as with aser_close(). ASER_EBUSY if a drain is
 * already pending. */
ASER_API int aser_close_drain(aser_port *p, unsigned timeout_ms, aser_done_cb cb, void *ctx);

/* Reconnect (opt-in). When the device is lost (unplugged: ASER_EDISCONNECTED),
 * operations pending at that moment fail with ASER_EDISCONNECTED; then the
 * port tries to reopen the same URL (a usb: URL is resolved again, so the
 * device is found under a new /dev name) with the same configuration and
 * the DTR/RTS levels last set, retrying with doubling delays from
 * min_delay_ms to max_delay_ms. While it is down, new operations fail with
 * ASER_EDISCONNECTED, or with wait_while_down they wait for the port to
 * return, each bounded by its own timeout. cb hears ASER_LINK_LOST,
 * ASER_LINK_RESTORED, and ASER_LINK_GAVE_UP (after max_attempts, if
 * non-zero, or at the first attempt on an endpoint that cannot be opened
 * again, such as standard input that ended; the port then stays
 * disconnected and its errmsg says why). With reconnect on, a data
 * callback (aser_on_data) survives losses; without it, a loss ends it. */
typedef enum aser_link_event {
    ASER_LINK_LOST = 1,
    ASER_LINK_RESTORED,
    ASER_LINK_GAVE_UP
} aser_link_event;

typedef struct aser_reconnect_opts {
    bool enabled;
    unsigned min_delay_ms; /* 0: 100 */
    unsigned max_delay_ms; /* 0: 5000 */
    unsigned max_attempts; /* 0: no limit */
    bool wait_while_down;
    void (*cb)(aser_port *p, aser_link_event ev, void *ctx);
    void *ctx;
} aser_reconnect_opts;
ASER_API int aser_set_reconnect(aser_port *p, const aser_reconnect_opts *opts);

/* The path or URL the port was opened with, and its loop. */
ASER_API const char *aser_port_name(const aser_port *p);
ASER_API aser_loop *aser_port_loop(const aser_port *p);
/* What the URL resolved to: the tty path (for usb:, the device found at
 * the last open; for pty:, the slave path programs open), the mock name,
 * or HOST:PORT. */
ASER_API const char *aser_port_path(const aser_port *p);
/* The sentence describing the last failure on this port ("" if none). */
ASER_API const char *aser_port_errmsg(const aser_port *p);

/* Reconfigure atomically: every termios field in one call, then RS-485,
 * then low latency; each read back; on any failure every step is rolled
 * back and the recorded config is unchanged.
 *
 * Over RFC 2217 the settings travel to the server and come back as
 * answers, which a synchronous call cannot wait for on a loop it does not
 * own. So:
 *   - on a port with a loop, aser_configure() sends the settings that
 *     changed and returns 0 at once (recording the new config). Each
 *     answer is tracked in the background: an answer with another value
 *     (e.g. the server's device cannot do 12345 baud) or no answer within
 *     ack_timeout lowers the matching capability (ASER_FEAT_BAUD,
 *     _CUSTOM_BAUD, _FLOW_RTSCTS, _MODEM_LINES, _BREAK) with a reason that
 *     names the setting and the value the server uses; ask
 *     aser_port_cap() after the answers are due;
 *   - on a blocking port, it waits (at most ack_timeout) for the answers:
 *     0 when all came back as asked, ASER_ETIMEDOUT when one did not come,
 *     ASER_ENOTSUP when the server answered another value (err says which);
 *     on those errors the recorded config stays the previous one, although
 *     the server may have applied part of the request.
 * While the port is still connecting, the new config is recorded and sent
 * once the connection is up. Settings RFC 2217 cannot carry (RS-485,
 * RTS/CTS together with XON/XOFF) fail with ASER_ENOTSUP. Raw tcp://
 * accepts only changes that are not line settings. */
ASER_API int aser_configure(aser_port *p, const aser_config *cfg, aser_err *err);
/* The config in effect (as last applied successfully). */
ASER_API void aser_port_config(const aser_port *p, aser_config *out);
/* Settings changed from the far end, as events. cb(p, cfg, ctx) runs when
 * the endpoint's other side changed the line settings: on a pty: port, the
 * program that opened the slave set another baud rate, stop bits or flow
 * control (seen within 100 ms; a Linux pseudo-terminal always keeps 8 data
 * bits and no parity, so framing changes cannot be seen). cfg is the new
 * config, already recorded (aser_port_config() returns it). aserial bridge
 * applies it to the other side with aser_configure(). NULL stops. Other
 * endpoints never report; it is accepted on every port. Like every
 * callback, it never runs inside aser_on_config(). */
typedef void (*aser_config_cb)(aser_port *p, const aser_config *cfg, void *ctx);
ASER_API int aser_on_config(aser_port *p, aser_config_cb cb, void *ctx);

/* Capabilities are tri-state, per feature and per port. */
typedef enum aser_cap {
    ASER_CAP_UNKNOWN = 0,
    ASER_CAP_SUPPORTED,
    ASER_CAP_UNSUPPORTED
} aser_cap;

typedef enum aser_feature {
    ASER_FEAT_BAUD = 0,    /* the baud rate reaches a real line */
    ASER_FEAT_CUSTOM_BAUD, /* arbitrary rates (BOTHER) */
    ASER_FEAT_MODEM_LINES, /* DTR/RTS/CTS/DSR/CD/RI */
    ASER_FEAT_BREAK,
    ASER_FEAT_FLOW_RTSCTS,
    ASER_FEAT_RS485,
    ASER_FEAT_LOW_LATENCY,
    ASER_FEAT_LINE_ERRORS, /* overrun/parity/framing/break reported (aser_on_lines) */
    ASER_FEAT_COUNT_
} aser_feature;

/* The state of one feature; *reason (if non-NULL) gets a short sentence
 * when the answer is not SUPPORTED ("pseudo-terminal: no modem lines"). */
ASER_API aser_cap aser_port_cap(const aser_port *p, aser_feature f, const char **reason);
ASER_API const char *aser_feature_name(aser_feature f);

/* Modem lines, as a bit set. */
enum {
    ASER_LINE_DTR = 1u << 0,
    ASER_LINE_RTS = 1u << 1,
    ASER_LINE_CTS = 1u << 2,
    ASER_LINE_DSR = 1u << 3,
    ASER_LINE_CD = 1u << 4,
    ASER_LINE_RI = 1u << 5
};
/* Current lines (ASER_LINE_* bits) or a negative code (ASER_ENOTSUP on a
 * pseudo-terminal and on raw TCP). Over RFC 2217: the inputs as the server
 * last notified them (0 until it does) and the outputs as last set. */
ASER_API int aser_port_lines(aser_port *p);
/* Set the output lines in mask to the levels in values (DTR and RTS only). */
ASER_API int aser_set_lines(aser_port *p, unsigned mask, unsigned values);

/* Line changes as events. cb(p, lines, changed, errors, ctx) runs when the
 * modem lines (ASER_LINE_* bits in lines; changed: the bits that differ
 * from the last report) change, or when the line reports errors
 * (ASER_LINEERR_* bits). Where they come from:
 *   rfc2217://  the server's NOTIFY-MODEMSTATE and NOTIFY-LINESTATE;
 *   mock://     the peer setting its DTR/RTS;
 *   local tty   a check every poll_ms (0: 50 ms) while cb is set, since a
 *               tty offers no readiness for line changes (TIOCMIWAIT would
 *               need a thread): the modem lines, and line errors from the
 *               kernel's counters (TIOCGICOUNT: overrun, parity, framing
 *               and break counts that grew since the last check; the
 *               counts when cb is set are the baseline). A tty with
 *               neither (a pseudo-terminal; many USB adapters keep no
 *               counters: ASER_FEAT_LINE_ERRORS says which) is not
 *               polled.
 * The state when cb is set is the baseline: it is not reported. NULL
 * stops. Like every callback, it never runs inside aser_on_lines(). */
enum {
    ASER_LINEERR_OVERRUN = 1u << 0,
    ASER_LINEERR_PARITY = 1u << 1,
    ASER_LINEERR_FRAMING = 1u << 2,
    ASER_LINEERR_BREAK = 1u << 3
};
typedef void (*aser_lines_cb)(aser_port *p, unsigned lines, unsigned changed, unsigned errors,
                              void *ctx);
ASER_API int aser_on_lines(aser_port *p, unsigned poll_ms, aser_lines_cb cb, void *ctx);

/* Hold the line in break for duration_ms (0: 250 ms; at most 10000).
 * Returns at once and never blocks the loop: the break is set now
 * (TIOCSBRK on a local tty, BREAK-ON over RFC 2217) and cleared from the
 * loop after duration_ms (TIOCCBRK, BREAK-OFF). Writes wait meanwhile
 * (queued, sent when the break ends); ASER_EBUSY while a break is on;
 * closing the port clears it. On a mock:// port the peer sees it as
 * ASER_LINEERR_BREAK. On a blocking port (no loop) the call returns when
 * the break has ended. ASER_ENOTSUP where there is no line to break (a
 * pseudo-terminal, raw TCP), with the reason in aser_port_errmsg(). */
ASER_API int aser_send_break(aser_port *p, unsigned duration_ms);

enum {
    ASER_DISCARD_INPUT = 1,
    ASER_DISCARD_OUTPUT = 2,
    ASER_DISCARD_BOTH = 3
};
/* Drop buffered bytes: input (ours and the driver's), output (queued writes
 * complete with ASER_ECANCELED, the driver's queue is flushed). Over RFC
 * 2217 the server is also asked to purge its buffers (PURGE-DATA); over
 * raw TCP only input already received can be dropped. */
ASER_API int aser_discard(aser_port *p, int which);

/* Bytes waiting: received and not yet read (ours plus the driver's), and
 * accepted for output but not yet sent (ours plus the driver's). */
ASER_API ssize_t aser_port_bytes_in(aser_port *p);
ASER_API ssize_t aser_port_bytes_out(aser_port *p);

/* ====================================================================== */
/* 5. Asynchronous operations                                              */
/* ====================================================================== */

/* Each operation returns a positive id (for aser_cancel) or a negative code.
 * Timeouts are in milliseconds, measured from the call; 0 means no timeout
 * (wait as long as it takes).
 *
 * One reader at a time: while a read, read_exactly, read_until, a query or
 * a data callback is active, starting another read-type operation fails
 * with ASER_EBUSY. Queries queue behind each other instead (they never
 * interleave on the wire).
 *
 * Completion status: 0 on success, else ASER_ETIMEDOUT, ASER_ECANCELED,
 * ASER_ECLOSED, ASER_EDISCONNECTED, ASER_ENOBUFS (frame larger than max) or
 * an I/O error. A read that fails consumes nothing: bytes that arrived stay
 * buffered for the next read. */

/* Whatever is available (at least one byte), up to max. */
ASER_API int aser_read(aser_port *p, size_t max, unsigned timeout_ms, aser_read_cb cb, void *ctx);

/* Exactly n bytes (n <= read_buffer). */
ASER_API int aser_read_exactly(aser_port *p, size_t n, unsigned timeout_ms, aser_read_cb cb,
                               void *ctx);

/* Bytes up to a delimiter of dlen >= 1 bytes. The delimiter is consumed
 * and not passed to cb; bytes after it stay buffered. If max bytes arrive
 * without a delimiter the read fails with ASER_ENOBUFS (the bytes stay:
 * read them with aser_read or drop them with aser_discard). max 0 means
 * the port's read_buffer size. */
ASER_API int aser_read_until(aser_port *p, const void *delim, size_t dlen, size_t max,
                             unsigned timeout_ms, aser_read_cb cb, void *ctx);

/* Write all len bytes. The first attempt is made at once; what does not fit
 * is copied into the port's write queue, so buf may be reused on return. cb
 * (may be NULL) runs when the last byte is handed to the driver. If the
 * queue would grow past write_high_water the call fails with ASER_ENOBUFS
 * and nothing is written: wait for aser_on_writable() (or an earlier
 * callback) and retry. */
ASER_API int aser_write(aser_port *p, const void *buf, size_t len, aser_done_cb cb, void *ctx);

/* aser_write() with a deadline: if the last byte has not been handed to
 * the driver within timeout_ms (0: no deadline, as aser_write), cb gets
 * ASER_ETIMEDOUT and the bytes of this write still queued are dropped
 * (bytes already sent stay sent; later writes keep their order). A write
 * that waits behind a held line (flow control, a peer that stopped
 * reading, a break) so fails instead of waiting for ever. */
ASER_API int aser_write_timed(aser_port *p, const void *buf, size_t len, unsigned timeout_ms,
                              aser_done_cb cb, void *ctx);

/* Backpressure as events, asyncio's pause_writing/resume_writing: the
 * writer pauses when aser_write() returns ASER_ENOBUFS or when
 * aser_port_write_queued() passes a limit of its own, and resumes when
 * cb(p, queued, ctx) runs. cb runs once per episode: after a write was
 * refused (ASER_ENOBUFS) or left more than write_low_water bytes queued,
 * when the queue has fallen to write_low_water (0 in the config: a
 * quarter of write_high_water) or below; queued is what is left. Not
 * called for a port that is closed or lost. NULL stops. Like every
 * callback it never runs inside the call that armed it. */
typedef void (*aser_writable_cb)(aser_port *p, size_t queued, void *ctx);
ASER_API int aser_on_writable(aser_port *p, aser_writable_cb cb, void *ctx);
/* Bytes sitting in the write queue. */
ASER_API size_t aser_port_write_queued(const aser_port *p);

/* Wait until every queued byte has left the driver (TIOCOUTQ reaches 0), or
 * fail with ASER_ETIMEDOUT. */
ASER_API int aser_drain(aser_port *p, unsigned timeout_ms, aser_done_cb cb, void *ctx);

/* ---- framing: binary replies and streams of frames -------------------- */

/* A framer says where one frame ends and the next begins, for protocols
 * that are not "a line ending in \n": several line endings, binary
 * request/reply (Modbus RTU), length-prefixed packets, SLIP, COBS. It is a
 * plain description (a value: the calls below copy it, so it may live on
 * the stack), filled by one of the aser_framer_* initialisers; its fields
 * may also be set by hand (a delimiter containing NUL, say). The port runs
 * the decoder; aser_framer_encode() builds frames to send.
 *
 * Why a description and not an object: one framer can serve a read, a
 * stream and any number of queued queries (each query keeps its copy), it
 * needs no free, and a query struct can point to one.
 *
 * Every framer has a maximum (max, bytes of one decoded frame; 0: the
 * port's read_buffer): a longer frame is reported once as ASER_ENOBUFS
 * and skipped up to its end (its delimiter, END, 0x00, the silence, or the
 * length it declared) without being buffered, so memory stays bounded
 * whatever the line sends. Decode errors (a bad SLIP escape, a COBS block
 * cut short, a length field shorter than its header) are ASER_EPROTO,
 * with aser_port_errmsg() saying what was wrong; the bad frame is skipped
 * the same way and the next frame decodes normally. */
typedef enum aser_framing {
    ASER_FRAMING_DELIMS = 1, /* ends at any of up to 4 delimiters */
    ASER_FRAMING_IDLE,       /* ends after gap_us of silence */
    ASER_FRAMING_FIXED,      /* every frame is size bytes */
    ASER_FRAMING_LENGTH,     /* a length field in the header */
    ASER_FRAMING_SLIP,       /* RFC 1055 */
    ASER_FRAMING_COBS        /* consistent overhead byte stuffing, 0x00 ends */
} aser_framing;

#define ASER_FRAMER_MAX_DELIMS 4
#define ASER_FRAMER_MAX_DELIM_LEN 8

typedef struct aser_framer {
    aser_framing kind;
    size_t max; /* longest decoded frame, bytes; 0: the port's read_buffer
                   (FIXED: size; DELIMS: not counting the delimiter) */
    /* DELIMS. At a position where several delimiters match, the longest
     * wins ("\r\n" over "\r"). A frame that ends with a delimiter that
     * also starts a longer one ("\r" with "\r\n" in the set) is complete
     * when the next byte shows which it was. Empty frames are delivered. */
    unsigned ndelims;
    uint8_t delim_len[ASER_FRAMER_MAX_DELIMS];
    uint8_t delim[ASER_FRAMER_MAX_DELIMS][ASER_FRAMER_MAX_DELIM_LEN];
    bool keep_delim; /* hand the delimiter over at the end of the frame */
    /* IDLE. Bytes separated by less than gap_us belong to one frame. The
     * port reads the clock when bytes arrive, so a gap shorter than the
     * loop's timer resolution (1 ms for the built-in loop) is rounded up;
     * bytes already buffered when an operation starts count as arriving
     * then. */
    uint32_t gap_us;
    /* FIXED */
    size_t size;
    /* LENGTH: a frame is len_offset bytes, a len_width-byte unsigned
     * length field, then field + len_adjust more bytes (len_adjust < 0
     * when the field also counts the header, > 0 when a trailer such as
     * a CRC follows what it counts). The whole frame, header included, is
     * handed over and must fit max. */
    size_t len_offset;
    unsigned len_width; /* 1, 2 or 4 */
    bool len_big_endian;
    long len_adjust;
} aser_framer;

/* The initialisers set every field (max to 0) and return 0, or
 * ASER_EINVAL for a NULL f or a parameter out of range.
 *
 * delims: n (1..4) NUL-terminated delimiters of 1..8 bytes, for example
 * (const char *[]){"\r\n", "\n", "\r"}, 3. */
ASER_API int aser_framer_delims(aser_framer *f, const char *const *delims, size_t n,
                                bool keep_delim);
/* A frame ends after gap_us (>= 1) microseconds without a byte. The
 * idle-gap framers (this one and modbus_rtu) need the line's timing: a
 * local tty/COM port, a pty, mock://. Over tcp://, rfc2217://, ws:// or
 * mqtt:// the gaps are the network's and the server's (ser2net splits a
 * reply into pieces further apart than 3.5 characters): use a length
 * field, delimiters, SLIP/COBS or a matcher there (aser_framer(3)). Not
 * refused: a server that forwards at once (aserial serve) keeps the gaps,
 * and only the caller knows which server it talks to. */
ASER_API int aser_framer_idle(aser_framer *f, uint32_t gap_us);
/* Modbus RTU: IDLE with the 3.5 character times of cfg (a character is a
 * start bit, the data bits, the parity bit if any and the stop bits; above
 * 19200 baud the standard fixes 1750 us), max 256 (the largest RTU ADU). */
ASER_API int aser_framer_modbus_rtu(aser_framer *f, const aser_config *cfg);
/* Every frame is size (>= 1) bytes. */
ASER_API int aser_framer_fixed(aser_framer *f, size_t size);
/* Length field at offset, of width 1, 2 or 4 bytes; see LENGTH above. */
ASER_API int aser_framer_length(aser_framer *f, size_t offset, unsigned width, bool big_endian,
                                long adjust);
/* SLIP (RFC 1055) and COBS. Empty frames (END END, a lone 0x00) are
 * skipped: senders use them to flush line noise. */
ASER_API int aser_framer_slip(aser_framer *f);
ASER_API int aser_framer_cobs(aser_framer *f);

/* Encode len bytes of data as one frame into out: SLIP (END, the escaped
 * bytes, END: at most 2 * len + 2 bytes), COBS (at most len + len / 254 +
 * 2 bytes, the 0x00 delimiter included) or DELIMS (the data and the first
 * delimiter). Returns the encoded length, ASER_ENOBUFS if cap is too
 * small (out is then unspecified), ASER_EINVAL, or ASER_ENOTSUP for the
 * other kinds (their frames are sent as they are). */
ASER_API ssize_t aser_framer_encode(const aser_framer *f, const void *data, size_t len, void *out,
                                    size_t cap);

/* Read one frame. Same rules as the reads above (one reader: ASER_EBUSY
 * while another read, a query or a stream is active; a read that times
 * out or is cancelled consumes nothing but junk the framer dropped: the
 * rest of a bad frame, empty SLIP or COBS frames). cb gets the decoded
 * frame, or ASER_ENOBUFS / ASER_EPROTO for a bad frame (which is
 * consumed, and skipped to its end: the next aser_read_frame() with the
 * same framer picks up after it). ASER_EINVAL (with aser_port_errmsg()
 * naming the field) for a bad framer. */
ASER_API int aser_read_frame(aser_port *p, const aser_framer *f, unsigned timeout_ms,
                             aser_read_cb cb, void *ctx);

/* Streaming, one callback per frame (the asyncio.Protocol style with the
 * framing done for you). A bad frame is reported as cb(p, ASER_ENOBUFS or
 * ASER_EPROTO, NULL, 0) and streaming goes on; any other negative status
 * (ASER_EDISCONNECTED, ASER_ECLOSED, an I/O error) is the end of the
 * stream, reported exactly once, as aser_on_data() does. f NULL or cb NULL
 * stops. ASER_EBUSY while another reader or a data callback is active. */
ASER_API int aser_on_frame(aser_port *p, const aser_framer *f, aser_read_cb cb, void *ctx);

/* A matcher decides where a reply ends when no framer can (a Modbus reply
 * whose length is in its third byte, checked by its CRC). It is called
 * with every byte received for the reply so far (from its first byte) each
 * time more arrive, and returns 0: need more; N > 0: the first N (<= len)
 * bytes are the reply; or a negative code (ASER_EPROTO: a bad reply) with
 * *why (may be left NULL) set to static text saying what was wrong. */
typedef ssize_t (*aser_match_fn)(const uint8_t *data, size_t len, const char **why, void *ctx);

/* Request/reply: discard stale input, write req, read until eol. Queries on
 * one port run one after another, in call order. The reply excludes eol.
 * On an idle port req is written during the call; a query that waits is
 * written when its turn comes (cancelled before then: never sent). */
typedef struct aser_query_opts {
    const char *eol;     /* reply terminator; NULL means "\n" */
    size_t eol_len;      /* 0: strlen(eol) */
    unsigned timeout_ms; /* from the call, covering time spent queued */
    size_t max;          /* longest reply; 0: the port's read_buffer */
    bool keep_stale;     /* do not discard input received before the write */
    /* Binary replies (added last, so existing initialisers keep working).
     * With framer, the reply is one frame (eol is ignored); with match,
     * the reply is what the matcher says (framer and eol are ignored).
     * Queueing, the stale-input flush and the timeout are as above, and
     * max bounds the reply. A bad reply (the matcher's error, a decode
     * error, an overlong frame) completes the query with that code and its
     * bytes are dropped; aser_port_errmsg() says why, and the next query
     * runs normally. */
    const aser_framer *framer; /* copied by aser_query() */
    aser_match_fn match;
    void *match_ctx;
} aser_query_opts;
ASER_API int aser_query(aser_port *p, const void *req, size_t len, const aser_query_opts *opts,
                        aser_read_cb cb, void *ctx);

/* Cancel one pending operation: its callback runs (from the loop) with
 * ASER_ECANCELED. ASER_ENOENT if it already completed. A cancelled write
 * that had started may have sent part of its bytes. */
ASER_API int aser_cancel(aser_port *p, int op_id);

/* Streaming (asyncio.Protocol style): every chunk received is passed to cb
 * as it arrives. cb(p, status < 0, NULL, 0) reports the end of the stream
 * (ASER_EDISCONNECTED, ASER_ECLOSED or an I/O error) exactly once. Pass
 * cb = NULL to stop streaming. */
ASER_API int aser_on_data(aser_port *p, aser_read_cb cb, void *ctx);

/* ====================================================================== */
/* 6. Blocking API                                                         */
/* ====================================================================== */

/* For a port opened with loop = NULL. Each call runs the asynchronous
 * operation on the port's private loop and returns when it completes.
 * Reads return the number of bytes stored in buf, or ASER_ETIMEDOUT (short
 * data is never mistaken for a timeout: on timeout the bytes that did
 * arrive stay buffered), or another negative code. timeout_ms 0 waits
 * forever. On a port with an external loop these return ASER_EINVAL. */
ASER_API ssize_t aser_read_sync(aser_port *p, void *buf, size_t cap, unsigned timeout_ms);
ASER_API ssize_t aser_read_exactly_sync(aser_port *p, void *buf, size_t n, unsigned timeout_ms);
ASER_API ssize_t aser_read_until_sync(aser_port *p, const void *delim, size_t dlen, void *buf,
                                      size_t cap, unsigned timeout_ms);
ASER_API int aser_write_sync(aser_port *p, const void *buf, size_t len, unsigned timeout_ms);
ASER_API int aser_drain_sync(aser_port *p, unsigned timeout_ms);
ASER_API ssize_t aser_query_sync(aser_port *p, const void *req, size_t len,
                                 const aser_query_opts *opts, void *buf, size_t cap);
/* One frame into buf (cap bytes; a longer frame is ASER_ENOBUFS and is
 * skipped). Returns its length. aser_query_sync() honours opts->framer and
 * opts->match the same way. */
ASER_API ssize_t aser_read_frame_sync(aser_port *p, const aser_framer *f, void *buf, size_t cap,
                                      unsigned timeout_ms);

/* ====================================================================== */
/* 7. Virtual pairs                                                        */
/* ====================================================================== */

/* Two pseudo-terminals joined back to back by the loop: what
 * `socat pty,rawer,link=A pty,rawer,link=B` does. Both ends are real tty
 * paths any program can open; bytes written to one are read from the other,
 * unchanged. Pseudo-terminals ignore baud rate and have no modem lines. */
typedef struct aser_pair aser_pair;

typedef struct aser_pair_opts {
    const char *link_a; /* optional symlink to end A (replaced if it is a symlink) */
    const char *link_b;
} aser_pair_opts;

ASER_API int aser_pair_open(aser_loop *loop, const aser_pair_opts *opts, aser_pair **out,
                            aser_err *err);
/* The tty path of end 0 (A) or 1 (B), e.g. "/dev/pts/7". */
ASER_API const char *aser_pair_path(const aser_pair *pair, int end);
/* Stop forwarding, close both ends, remove the links. */
ASER_API void aser_pair_close(aser_pair *pair);

/* ====================================================================== */
/* 8. Simulated instrument                                                 */
/* ====================================================================== */

/* Answers each request line received on a port. A request that matches a
 * rule gets its response (plus eol); with echo, an unmatched request is
 * sent back; otherwise it is ignored. Responses are sent delay_ms after the
 * request arrives. */
typedef struct aser_sim_rule {
    const char *request;  /* the line without eol */
    const char *response; /* without eol */
} aser_sim_rule;

typedef struct aser_sim_opts {
    const aser_sim_rule *rules;
    size_t nrules;
    bool echo;
    unsigned delay_ms;
    const char *eol; /* NULL means "\n" */
} aser_sim_opts;

typedef struct aser_sim aser_sim;
/* Start answering on an open port; the sim borrows it (close the sim first,
 * then the port). Rules and strings are copied. */
ASER_API int aser_sim_start(aser_port *p, const aser_sim_opts *opts, aser_sim **out);
/* Requests answered so far. */
ASER_API uint64_t aser_sim_count(const aser_sim *s);
ASER_API void aser_sim_stop(aser_sim *s);

/* ====================================================================== */
/* 9. Discovery                                                            */
/* ====================================================================== */

/* Ports are found in sysfs alone: no udev daemon, no D-Bus, no root. For
 * every tty in /sys/class/tty that has a device behind it (plus Bluetooth
 * rfcomm ttys), aserial reads what the kernel knows about the hardware:
 * the USB identity of an adapter, its interface, its driver, the PCI slot
 * of a UART card. Links udev made in /dev/serial/by-id and by-path are
 * matched back to their port.
 *
 * Two environment variables move the roots, read at every call (never
 * cached), so tests and containers can point at a copy of the trees:
 *   ASERIAL_SYSFS_ROOT  instead of /sys
 *   ASERIAL_DEV_ROOT    instead of /dev; the entries there need not be
 *                       device nodes (plain files are accepted), and
 *                       device paths are reported under this root.
 *
 * The portable build (-Dplatform=posix: macOS, the BSDs) has no sysfs: it
 * lists the entries of the /dev root whose names are those of serial
 * ports there (tty.usbserial*, tty.usbmodem*, cu.*, ttyU*, cuaU*, ttyu*,
 * cuau*, and ttyUSB*, ttyACM*, ttyS*), character devices only (anything
 * but a directory under ASERIAL_DEV_ROOT). Nothing is known of the
 * hardware: vid, pid and usb_interface are -1, the description is the name,
 * and a usb: URL fails with ASER_ENOTSUP and a message.
 *
 * Windows lists the COM ports SetupAPI knows (the COM port interface and
 * Ports classes) merged with HKLM\HARDWARE\DEVICEMAP\SERIALCOMM: device and
 * name are the port name ("COM5"), the USB identity comes from the device
 * instance id (USB\VID_0403&PID_6001\A600XYZ), by_id and by_path are NULL
 * (aser_list_ports(3) has the details).
 *
 * Placeholders. The 8250 driver registers ttyS0..ttyS3 (or more) whether
 * or not a UART is present; those without one report port type 0 ("type"
 * in sysfs) and opening them fails. They are left out, as pyserial and
 * other tools do, unless ASER_LIST_ALL is given.
 *
 * A missing or unreadable sysfs attribute never drops a port: the field is
 * left absent (NULL, or -1 for numbers) and the port is still listed. */

/* One serial port. Strings are NUL-terminated UTF-8 as the kernel gives
 * them, or NULL when absent; numbers are -1 when absent. */
typedef struct aser_port_info {
    char *device;        /* path to open: "/dev/ttyUSB0" (never NULL) */
    char *name;          /* kernel name: "ttyUSB0" (never NULL) */
    char *description;   /* for people: USB product [+ " - " interface
                            string]; else the name (never NULL) */
    char *hwid;          /* pyserial-style identity:
                            "USB VID:PID=0403:6001 SER=A600XYZ LOCATION=1-1:1.0",
                            "PCI VID:PID=8086:A13D LOCATION=0000:00:16.3",
                            the PNP id ("PNP0501"), the platform device
                            ("serial8250"); NULL if nothing is known */
    char *subsystem;     /* transport: "usb", "pci", "platform", "pnp",
                            "bluetooth", "virtual", or another bus name
                            as sysfs spells it ("amba", "serdev"...) */
    int vid;             /* USB vendor id 0..0xffff, or -1 (not USB) */
    int pid;             /* USB product id 0..0xffff, or -1 */
    char *serial_number; /* USB iSerial string: "A600XYZ" */
    char *manufacturer;  /* USB iManufacturer: "FTDI" */
    char *product;       /* USB iProduct: "FT232R USB UART" */
    char *location;      /* USB bus, port path, configuration and
                            interface as the kernel names the interface:
                            "1-1.4:1.0" (bus 1, hub port 1, port 4,
                            config 1, interface 0); for PCI the slot */
    int usb_interface;   /* USB bInterfaceNumber (FT4232H: 0..3), or -1
                            (not "interface": <windows.h> defines that
                            as a macro) */
    char *driver;        /* kernel driver: "ftdi_sio", "cdc_acm", "serial" */
    char *by_id;         /* "/dev/serial/by-id/usb-FTDI_..._A600XYZ-if00-port0"
                            (the first in name order if several), or NULL */
    char *by_path;       /* "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0" */
} aser_port_info;

/* Flags for aser_list_ports() and aser_port_filter.flags. */
enum {
    ASER_LIST_ALL = 1u << 0 /* include serial8250 placeholders (type 0) */
};

/* List the serial ports, sorted by name in natural order (ttyUSB2 before
 * ttyUSB10). On success *out is an array of *n entries (NULL when *n is 0)
 * to release with aser_port_info_free_list(). Returns 0, ASER_ENOMEM, or
 * the error opening <sysfs>/class/tty (ASER_ENOENT if the sysfs root is
 * wrong, ASER_EACCES). */
ASER_API int aser_list_ports(aser_port_info **out, size_t *n, unsigned flags);

/* Free an array from aser_list_ports(), aser_find_ports() or
 * aser_find_port() (n = 1). NULL is a no-op. */
ASER_API void aser_port_info_free_list(aser_port_info *list, size_t n);

/* What to look for. Start from ASER_PORT_FILTER_INIT (which matches every
 * port) and set the fields you need; all set fields must match. */
typedef struct aser_port_filter {
    int vid;                   /* USB vendor id, or -1 for any */
    int pid;                   /* USB product id, or -1 for any */
    const char *serial_number; /* exact (case-sensitive), or NULL */
    const char *device;        /* "/dev/ttyUSB0", "ttyUSB0", or a by-id /
                                  by-path link (any path to the same node),
                                  or NULL */
    const char *pattern;       /* fnmatch() glob matched, ignoring case,
                                  against description and product:
                                  "*ft232r*", "CP210?*", or NULL */
    unsigned flags;            /* ASER_LIST_ALL */
} aser_port_filter;

#define ASER_PORT_FILTER_INIT                                                                    \
    {                                                                                            \
        .vid = -1, .pid = -1, .serial_number = NULL, .device = NULL, .pattern = NULL, .flags = 0 \
    }

/* True if info satisfies filter (NULL filter: always). */
ASER_API bool aser_port_info_matches(const aser_port_info *info, const aser_port_filter *filter);

/* All ports matching filter (NULL: every port), in aser_list_ports()
 * order. An empty result is success with *n = 0. */
ASER_API int aser_find_ports(const aser_port_filter *filter, aser_port_info **out, size_t *n);

/* The first matching port, as an array of one (free it with
 * aser_port_info_free_list(*out, 1)). ASER_ENOENT when nothing matches,
 * with err naming what was looked for and pointing to `aserial list`. */
ASER_API int aser_find_port(const aser_port_filter *filter, aser_port_info **out, aser_err *err);

/* ---- hotplug ---------------------------------------------------------- */

/* Ports appearing and disappearing, as events on a loop.
 *
 * The watcher keeps the list of ports it knows and, whenever something
 * changes, reads sysfs again and reports the difference: ADD with the new
 * port's info, REMOVE with the info the port had when it was last seen
 * (its device node and sysfs entry are already gone). A port that is
 * replaced under the same name by another device within one rescan is
 * reported as REMOVE then ADD. Ports present at start are not reported:
 * call aser_list_ports() for them.
 *
 * Changes are noticed through a kernel uevent socket (NETLINK_KOBJECT_
 * UEVENT) where the system permits one, and always through an inotify
 * watch on the /dev root and on <sysfs>/class/tty; with ASERIAL_DEV_ROOT
 * set only inotify is used, so fixture trees work. Bursts of changes are
 * gathered for about 50 ms before rescanning, which also gives udev time
 * to create the by-id and by-path links. Placeholders are never reported.
 * The portable build (-Dplatform=posix) has neither uevents nor inotify:
 * it rescans every second (ASERIAL_HOTPLUG_POLL_MS, 10 to 60000, changes
 * the period), reporting through the same events. So does Windows (a
 * notification without a window, CM_Register_Notification, is not used:
 * Wine 8, where this is tested, does not have it).
 *
 * The watcher keeps aser_loop_run() going until it is stopped. */
typedef struct aser_hotplug aser_hotplug;

typedef enum aser_hotplug_event {
    ASER_HOTPLUG_ADD = 1,
    ASER_HOTPLUG_REMOVE = 2
} aser_hotplug_event;

/* info is valid only during the callback. The callback may call
 * aser_hotplug_stop() on its own watcher. */
typedef void (*aser_hotplug_cb)(aser_hotplug *h, aser_hotplug_event event,
                                const aser_port_info *info, void *ctx);

/* Start watching. Returns 0, ASER_EINVAL (NULL loop, cb or out),
 * ASER_ENOMEM, or the negated errno from inotify (-EMFILE when the inotify
 * limits are reached, -ENOENT when the /dev root does not exist). cb is
 * never called from inside this call. */
ASER_API int aser_hotplug_start(aser_loop *loop, aser_hotplug_cb cb, void *ctx, aser_hotplug **out);

/* Stop watching and free the watcher; cb is not called afterwards. Safe
 * inside cb. NULL is a no-op. */
ASER_API void aser_hotplug_stop(aser_hotplug *h);

/* The name of an event: "add" or "remove". */
ASER_API const char *aser_hotplug_event_name(aser_hotplug_event event);

/* ====================================================================== */
/* 10. Network serial server and bridge                                    */
/* ====================================================================== */

/* Export an open port to network clients, as ser2net does: RFC 2217
 * (telnet COM-PORT-OPTION: clients set baud, parity, lines remotely) or
 * raw TCP (data only). The server borrows the port (stop the server, then
 * close the port) and streams from it with aser_on_data(): do not read
 * from the port yourself meanwhile. The port must be on a loop (not a
 * blocking port); any URL works, so a remote rfc2217:// port can be
 * re-exported.
 *
 * Contract
 *   - Listens on 127.0.0.1 unless opts->listen names another address
 *     ("0.0.0.0:2000", "[::]:2000"): exporting a serial line to the
 *     network is a decision to make explicitly. Beyond loopback (anything
 *     but 127/8, ::1, ::ffff:127/104, localhost) it needs TLS
 *     (opts->tls_cert, tls_key) or opts->insecure, else ASER_EACCES with
 *     the openssl command that makes a certificate.
 *   - TLS: every TCP listener of a server with tls_cert speaks TLS 1.2+
 *     only; with tls_client_ca clients need a certificate signed by it.
 *     The handshake comes before the client is one: see
 *     aser_server_start(). Access per listener: aser_server_access.
 *   - Data from the port goes to every client; data from any client goes
 *     to the port.
 *   - The export's settings are the port's line settings (baud, framing,
 *     flow) when the server starts (aserial serve: its --config, or the
 *     export file's). Full-access clients may change them; when the last
 *     client leaves they are put back and reported as ASER_SERVER_CONFIG
 *     ("settings restored to 115200,8N1 (the last client left)"), so a
 *     client that comes alone finds the export's settings, never what the
 *     one before left. Not at each connection, as ser2net does: clients
 *     share an export, and a newcomer must not change the line under
 *     those already there.
 *   - RFC 2217: every request a client sends is answered (code + 100)
 *     with the value now in effect, even when the port cannot do what was
 *     asked: a pseudo-terminal has no modem lines and ignores the baud
 *     rate, and standard clients (pyserial) wait for every answer. Line
 *     settings go through aser_configure() on the port, DTR/RTS through
 *     aser_set_lines(), PURGE-DATA through aser_discard(), BREAK-ON/OFF
 *     through aser_send_break() for the time the break was on (at most
 *     1 s), replayed when BREAK-OFF arrives; a break is a timer, so one
 *     client's break never holds up the loop, its other clients or
 *     other exports. The server listens to the port's line events with
 *     aser_on_lines() from start to stop (do not set your own meanwhile):
 *     modem-line changes go out as NOTIFY-MODEMSTATE and line errors
 *     (overrun, parity, framing, break) as NOTIFY-LINESTATE, each under
 *     the client's mask. They come as aser_on_lines() says: a tty with
 *     modem lines is checked every 50 ms, rfc2217:// and mock:// ports
 *     push them, a port without lines has none to send.
 *   - Slow clients never stall the serial side. Each client has an output
 *     queue bounded by client_queue bytes; a client that lets it fill
 *     (stalled, or reading slower than the line delivers) is disconnected
 *     with the reason "too slow", and the others go on. The port is read
 *     at its own pace regardless. In the other direction, when the port's
 *     write queue passes half its write_high_water (or its low water, if
 *     higher), the server stops reading from clients (TCP pushes back on
 *     them) and resumes when aser_on_writable() reports the queue back at
 *     write_low_water; a read never takes more than the queue still
 *     holds, so nothing a client sends is dropped. The server sets the
 *     port's aser_on_writable() from start to stop (do not set your own
 *     meanwhile).
 *   - Silent clients: with negotiate_timeout_ms, an RFC 2217 client that
 *     sends nothing (not even its telnet negotiation) within that long of
 *     connecting is closed, so a stray connection cannot hold a
 *     one-client export; with idle_timeout_ms, any client that has sent
 *     nothing for that long is closed (while the server pauses reading
 *     for backpressure, nobody counts as silent). The reason is reported
 *     with ASER_SERVER_CLIENT_CLOSE.
 *   - The listening socket has the system's largest backlog and is
 *     drained at each readiness, so bursts of connects never wait for a
 *     SYN retransmit.
 *   - Garbage closes that client only: malformed telnet or more than
 *     max_errors protocol errors (or 4 x max_errors ignored requests)
 *     disconnect it. A client that floods requests without reading the
 *     answers hits its output bound.
 *   - Bounded memory: at most max_clients clients (then new ones are
 *     refused with a one-line reason sent before the close, "aserial:
 *     refused: PORT already has 1 client (the most allowed); try again
 *     later", or with kick_old the oldest is dropped for the newcomer),
 *     each with a fixed-size protocol state and at most client_queue
 *     queued bytes.
 *   - If the port's stream ends (disconnected, without reconnect), every
 *     client is closed, ASER_SERVER_PORT_CLOSED is reported and new clients
 *     are refused. With reconnect on, clients stay through a loss.
 *   - The server keeps aser_loop_run() going until it is stopped. */
typedef struct aser_server aser_server;

typedef enum aser_server_mode {
    ASER_SERVE_RFC2217 = 0, /* telnet + COM-PORT-OPTION (ser2net telnet(rfc2217)) */
    ASER_SERVE_RAW,         /* bytes as they are (ser2net tcp) */
    ASER_SERVE_WEBSOCKET,   /* WebSocket clients; they come only through an
                               aser_web listener (aser_web_export), never
                               through aser_server_start/_listen */
    ASER_SERVE_MQTT         /* an MQTT broker connection (aser_server_mqtt),
                               never through aser_server_start/_listen */
} aser_server_mode;

/* What a client of a listener may do. Each listener has its own (the
 * CLI's --listen ADDR/rfc2217,read-only); WebSocket clients have the
 * server's opts.access.
 *   ASER_ACCESS_FULL           data both ways, settings, modem lines, break
 *   ASER_ACCESS_LOCK_SETTINGS  data both ways; requests to change the line
 *                              settings, DTR/RTS, to purge (RFC 2217
 *                              PURGE-DATA) or to send a break are
 *                              refused (RFC 2217: answered with the value
 *                              in effect, which is how RFC 2217 refuses;
 *                              WebSocket: a JSON error), and reported as
 *                              ASER_SERVER_CONFIG with code ASER_EACCES
 *   ASER_ACCESS_READ_ONLY      as LOCK_SETTINGS, and the client's data
 *                              bytes are dropped (a monitor: it sees the
 *                              port's data, cannot write or purge) */
typedef enum aser_server_access {
    ASER_ACCESS_FULL = 0,
    ASER_ACCESS_LOCK_SETTINGS,
    ASER_ACCESS_READ_ONLY
} aser_server_access;

/* What the server reports, for logs and traces. text is a sentence for
 * people, valid during the callback. */
typedef enum aser_server_event {
    ASER_SERVER_CLIENT_OPEN = 1, /* text: "127.0.0.1:40112 connected (1 of 4)" */
    ASER_SERVER_CLIENT_CLOSE,    /* text: the client and why it left */
    ASER_SERVER_CLIENT_REFUSED,  /* max_clients reached, or its TLS handshake failed
                                    (text: the client and why) */
    ASER_SERVER_CONFIG,          /* a client changed the port's settings or lines
                                    (code 0), or was refused that (code ASER_EACCES:
                                    its access; another code: the port's error) */
    ASER_SERVER_PORT_CLOSED,     /* code: why the port's stream ended */
    ASER_SERVER_DATA_DROPPED     /* bytes a client sent that the port could not take
                                    (lost, waiting to reconnect; code: why): the
                                    first of a loss at once, the total when the port
                                    is back or the client leaves */
} aser_server_event;

typedef void (*aser_server_cb)(aser_server *s, aser_server_event ev, int code, const char *text,
                               void *ctx);

typedef struct aser_server_opts {
    const char *listen; /* "[HOST:]PORT"; HOST defaults to 127.0.0.1; PORT 0
                                  picks a free port (see aser_server_port); NULL:
                                  no TCP listener (clients come only through
                                  aser_web_export) */
    aser_server_mode mode;
    unsigned max_clients;          /* 0: 1 (as ser2net) */
    bool kick_old;                 /* full: drop the oldest client, not the newcomer */
    size_t client_queue;           /* per-client output bound, bytes; 0: 256 KiB */
    unsigned max_errors;           /* protocol errors before a client is dropped; 0: 16 */
    const char *signature;         /* RFC 2217 SIGNATURE; NULL: "aserial VERSION" */
    unsigned idle_timeout_ms;      /* close a client that has sent nothing for this
                                  long (a vanished peer); 0: never */
    unsigned negotiate_timeout_ms; /* RFC 2217: close a client that sends nothing
                                  (no telnet negotiation) within this long of
                                  connecting, so it cannot hold the export;
                                  0: never (`aserial serve`: 10000) */
    aser_server_cb cb;             /* may be NULL */
    void *ctx;
    /* TLS (1.2 and later) on every TCP listener of this server: PEM files,
     * read at start and again by aser_server_reload_tls(). NULL: plain TCP.
     * tls_client_ca: clients must present a certificate signed by this CA
     * (the handshake fails otherwise, before any byte reaches the port). */
    const char *tls_cert, *tls_key, *tls_client_ca;
    /* Listening beyond loopback (0.0.0.0, a LAN address) without TLS is
     * refused with ASER_EACCES unless this is set. */
    bool insecure;
    aser_server_access access; /* of opts->listen's clients and WebSocket clients */
    /* Raw and RFC 2217 clients whose first line is an HTTP request
     * ("POST / HTTP/1.1": what any web page may send to a loopback port)
     * are refused before a byte reaches the port (ASER_SERVER_CLIENT_REFUSED
     * says why). A client's first bytes wait until that is known: at once
     * unless they start like a request, else until its first line ends
     * (at most 4 KiB, at most 1 s: then they pass). Set this for the rare
     * line protocol that starts that way. */
    bool allow_http;
} aser_server_opts;

/* Start serving port. Returns 0, ASER_EINVAL (NULL port/opts, a
 * blocking port, a bad listen string, a TLS file that cannot be read or
 * used: err names it and the fix), ASER_EBUSY (the port already has a
 * reader or a data callback), ASER_EADDRINUSE / ASER_EACCES (with err
 * naming the address and the fix; also a listener beyond loopback
 * without TLS or insecure: err says how to make a certificate),
 * ASER_ENOTSUP (TLS asked of a build without OpenSSL), ASER_ENOMEM. cb
 * is never called from inside this call.
 *
 * TLS: a client's handshake must finish within negotiate_timeout_ms (10 s
 * when 0) and at most 64 handshakes may be in progress per server, 16
 * from one source address (a newcomer past that is refused: a flood
 * competes only with itself; when all 64 are taken the idlest gives way,
 * not the oldest); until its handshake is done a connection
 * is not a client (it does not count against max_clients and cannot kick
 * one). A failed handshake closes that connection only and is reported
 * as ASER_SERVER_CLIENT_REFUSED with the reason (not TLS, no client
 * certificate, one from another CA, a TLS version below 1.2). */
ASER_API int aser_server_start(aser_port *port, const aser_server_opts *opts, aser_server **out,
                               aser_err *err);
/* The TCP port it listens on (opts->listen's). */
ASER_API int aser_server_port(const aser_server *s);
/* Export the same port on one more listener, in its own mode: RFC 2217
 * and raw at once (ser2net needs two connections for that). Clients of
 * every listener share the port, max_clients and the other options; data
 * from the port goes to all of them, each in its listener's mode. At most
 * 8 listeners per server. Returns the TCP port it listens on (> 0, for a
 * listen port of 0), or ASER_EINVAL (a stopped server, an unknown mode),
 * ASER_EBADURL (a bad listen string), ASER_ENOBUFS (8 already), ASER_EADDRINUSE /
 * ASER_EACCES with err naming the address and the fix. */
ASER_API int aser_server_listen(aser_server *s, const char *listen, aser_server_mode mode,
                                aser_err *err);
/* aser_server_listen() with the listener's own access (aser_server_listen
 * gives it opts.access): e.g. a full RFC 2217 listener for the operator
 * and a read-only raw one for monitors on the same port. */
ASER_API int aser_server_listen_access(aser_server *s, const char *listen, aser_server_mode mode,
                                       aser_server_access access, aser_err *err);
/* Read the TLS files named in opts (tls_cert, tls_key, tls_client_ca)
 * again, e.g. on SIGHUP after a renewal: new connections get the new
 * certificate; connected clients keep their sessions, and the port is
 * not touched. Returns 0, ASER_EINVAL (a server without TLS; a file that
 * cannot be read or used, err names it: the old certificate stays in
 * use), ASER_ENOMEM. *warning (if not NULL) is set to a sentence when
 * the new certificate is expired or not valid yet ("" otherwise), valid
 * until the next reload or the stop. */
ASER_API int aser_server_reload_tls(aser_server *s, const char **warning, aser_err *err);
/* Clients connected now. */
ASER_API size_t aser_server_clients(const aser_server *s);
/* Disconnect every client, stop listening, free the server; the port stays
 * open and streams no more. Safe inside the server's callback. NULL is a
 * no-op. */
ASER_API void aser_server_stop(aser_server *s);
/* The name of an event: "open", "close", "refused", "config", "port-closed",
 * "dropped". */
ASER_API const char *aser_server_event_name(aser_server_event ev);
/* Tell the server the port's link was lost, restored or given up (call it
 * from the aser_reconnect_opts callback): WebSocket clients hear
 * {"type":"link","state":"lost"|"back"|"gave-up"}; other clients, nothing.
 * A NULL or stopped server is a no-op. */
ASER_API void aser_server_link_changed(aser_server *s, aser_link_event ev);

/* The web listener (`aserial serve --web`): one HTTP listener for several
 * servers. GET / is the browser console (a page built into the library);
 * GET /exports lists the exports as JSON; GET /ws/NAME upgrades to a
 * WebSocket client of the server exported as NAME (RFC 6455): binary
 * messages carry the port's bytes both ways, text messages JSON control
 * messages (settings, lines, break; link, errors; man aser_web). Browser
 * clients count against the server's max_clients with kick_old, like TCP
 * clients, and a slow one is dropped at client_queue, never the port.
 * Security:
 *   - it binds 127.0.0.1 unless listen names another host, and then a
 *     token is required (ASER_EACCES without one), and TLS (tls_cert,
 *     tls_key: https and wss) unless insecure;
 *   - with a token, every request must carry it (Authorization: Bearer T
 *     or ?token=T), else 401; after 5 wrong tokens a source address waits
 *     1 s, then 2, 4 ... 60 s before its requests are looked at (429), and
 *     refusals are logged 10 per 10 s, then counted;
 *   - an upgrade with an Origin header must come from a page of this
 *     listener (Origin http://HOST, with TLS https://HOST, matching the
 *     Host header), else 403,
 *     so a page from another site cannot drive a port; on loopback the
 *     Host header must be a loopback literal with the listener's port
 *     (127.0.0.1:PORT or another address in 127/8, localhost:PORT,
 *     [::1]:PORT) or one of the names in hosts, else 403, so a site whose
 *     name was re-pointed at 127.0.0.1 (DNS rebinding: 127.evil.example,
 *     127.0.0.1.nip.io, localhost.evil) cannot either; beyond loopback
 *     the same check applies once hosts names any;
 *   - request heads are at most 8192 bytes and 64 header lines (431, 400),
 *     frames from a browser at most 64 KiB, control messages 1 KiB; at
 *     most max_pending connections may be waiting for their request, each
 *     for at most 10 s, a quarter of them from one source address (a
 *     newcomer past that is refused); when all are taken the idlest that
 *     has not sent a whole request is closed, after it is read once (a
 *     burst of requests sent at once is served whole). */
typedef struct aser_web aser_web;

typedef struct aser_web_opts {
    const char *listen;   /* "[HOST:]PORT"; HOST defaults to 127.0.0.1 */
    const char *token;    /* the access token, 16 to 255 bytes; NULL: none (loopback only) */
    unsigned max_pending; /* connections before their request (TLS handshakes
                             included); 0: 64 */
    void (*cb)(aser_web *w, const char *text, void *ctx); /* log lines; may be NULL */
    void *ctx;
    /* https:// and wss:// (TLS 1.2+), as aser_server_opts: PEM files,
     * re-read by aser_web_reload_tls(); a handshake must finish within
     * 10 s. NULL: plain http://. */
    const char *tls_cert, *tls_key, *tls_client_ca;
    bool insecure; /* allow beyond loopback without TLS (a token is still needed) */
    /* More names the Host header may give ("lab.example, proxy:8443":
     * comma-separated, each with an optional :PORT, otherwise any port),
     * for a console reached by name or through a proxy. NULL: the
     * loopback literals only (see above). */
    const char *hosts;
} aser_web_opts;

/* Start the web listener on loop. Returns 0, ASER_EINVAL (NULL loop/opts/
 * listen/out, a token shorter than 16 bytes or with CR, LF or space, a
 * bad name in hosts, a TLS file that cannot be used), ASER_EBADURL (a bad listen string), ASER_EACCES (a non-loopback
 * host without a token, or without TLS unless insecure: a bearer token
 * sent in the clear over a network is what TLS prevents; or a privileged
 * port; err names the fix), ASER_EADDRINUSE, ASER_ENOTSUP (TLS without
 * OpenSSL), ASER_ENOMEM. */
ASER_API int aser_web_start(aser_loop *loop, const aser_web_opts *opts, aser_web **out,
                            aser_err *err);
/* The TCP port it listens on. */
ASER_API int aser_web_port(const aser_web *w);
/* Export server s as NAME (letters, digits, '-', '_' and '.', at most 63):
 * /ws/NAME reaches it. 0, ASER_EINVAL (a bad or taken name, a server
 * already exported), ASER_ENOBUFS (16,384 exports already), ASER_ENOMEM. Stopping s
 * removes it. */
ASER_API int aser_web_export(aser_web *w, const char *name, aser_server *s, aser_err *err);
/* aser_server_reload_tls() for the web listener: new connections get the
 * new certificate, WebSocket clients keep their sessions. */
ASER_API int aser_web_reload_tls(aser_web *w, const char **warning, aser_err *err);
/* Close the listener and every connection not yet upgraded, free w;
 * WebSocket clients belong to their servers and stay. NULL is a no-op. */
ASER_API void aser_web_stop(aser_web *w);

/* MQTT gateway (man aser_server_mqtt, docs/mqtt.md): publish
 * the export through an MQTT broker under PREFIX/NAME/, one client of the
 * server (it counts against max_clients; kick_old may replace it):
 *   rx      what the device sends, raw chunks as read, QoS 1, with an MQTT
 *           v5 user property "offset" (bytes of the export before it)
 *   tx      bytes to write (QoS 1 keeps one publisher's order)
 *   status  retained JSON: {"state":"online"|"offline"|"lost"|"gave-up",
 *           "config":..., "access":..., "dtr":B, ... "ri":B, "rx":N,
 *           "tx":N, "lost":N}; the broker sets {"state":"offline"} (the
 *           last will) when the gateway vanishes
 *   set     {"config":"9600,8N1"} or a config string
 *   ctl     {"dtr":true,"rts":false,"break":250}
 *   error   what the gateway refused, as text
 * libmosquitto runs on the server's loop (its socket watched, a 1 s timer
 * for keepalive); a lost broker is reconnected with back-off (250 ms
 * doubling to 30 s) while the port stays open. Nothing is lost or
 * reordered while the broker stays connected; across a loss nothing is
 * resent (never a duplicate): the bytes read meanwhile, and those not yet
 * acknowledged, are counted in "lost" and show as a gap in "offset". */
typedef struct aser_mqtt_opts {
    /* mqtt://HOST[:PORT]/PREFIX (port 1883), or
     * mqtts://HOST[:PORT]/PREFIX[?ca=FILE&cert=FILE&key=FILE] (8883; the
     * system's CAs without ca=) */
    const char *url;
    /* the export's name under PREFIX: 1-63 of letters, digits, '-', '_', '.' */
    const char *name;
    /* user on its first line, password on its second; NULL: none */
    const char *auth_file;
    aser_server_access access; /* what subscribers may do (as a listener's) */
    unsigned keepalive_s;      /* MQTT keepalive; 0: 30 */
    /* rx bytes published and not yet acknowledged by the broker before
     * more are dropped (and counted lost); 0: 1 MiB */
    size_t queue;
    /* NULL: each rx payload is what one read of the port gave. Else each
     * is the raw bytes of one frame as f finds them (a line with its
     * delimiter, a SLIP or COBS frame still encoded, a Modbus RTU frame
     * ended by its silence, timed here next to the device): the stream
     * and its offsets are the same, only cut at frame ends. A frame over
     * f->max (0: 16 KiB) or a bad one goes out as it came, on its own. */
    const aser_framer *framer;
} aser_mqtt_opts;

/* Add the gateway to s; it connects in the background (errors come as
 * ASER_SERVER_CLIENT_CLOSE events naming the broker, then retries) and
 * ends with the server. 0, ASER_EBADURL (a bad URL), ASER_EINVAL (a bad
 * name, an unreadable auth file, a stopped server), ASER_EBUSY (the
 * server is full), ASER_ENOTSUP (built without MQTT), ASER_ENOMEM. */
ASER_API int aser_server_mqtt(aser_server *s, const aser_mqtt_opts *opts, aser_err *err);

/* The exports a broker knows under mqtt://BROKER[:PORT]/PREFIX (or
 * mqtts://...?ca=FILE[&cert=FILE&key=FILE]; either may carry auth=FILE, a
 * credentials file as auth_file), from their retained statuses, sorted by
 * name (a blocking call, at most timeout_ms; 0: 2000). Each opens as its
 * url (the same scheme and query) with aser_open() while its state is
 * "online". 0 with *out (free it with aser_mqtt_list_free) and *n,
 * ASER_EBADURL, ASER_ECONNREFUSED (no broker there), ASER_EACCES (refused
 * by the broker), ASER_ETIMEDOUT, ASER_ENOTSUP (built without MQTT). */
typedef struct aser_mqtt_export {
    char name[64];
    char state[16];  /* "online", "offline", "lost", "gave-up" */
    char config[96]; /* its port's settings, "115200,8N1" */
    char access[16]; /* "full", "lock-settings", "read-only" */
    char url[512];   /* mqtt://BROKER:PORT/PREFIX/NAME[?...] */
} aser_mqtt_export;
ASER_API int aser_mqtt_list(const char *url, unsigned timeout_ms, aser_mqtt_export **out, size_t *n,
                            aser_err *err);
ASER_API void aser_mqtt_list_free(aser_mqtt_export *list);

/* Hotplug for the exports under mqtt[s]://BROKER[:PORT]/PREFIX[?...] (the
 * URL as aser_mqtt_list's), on loop: the exports online when the watch
 * starts, from their retained statuses (PRESENT, then READY with e NULL),
 * then each that comes online (ADDED) and each whose status stops saying
 * online (REMOVED: its gateway went offline, its device was lost, its
 * status was cleared). A lost broker is BROKER_LOST (e NULL); the watch
 * connects again every second, and the statuses the broker then holds say
 * what was added or removed meanwhile. e is valid during the callback
 * only; the callback may stop the watch. 0, ASER_EINVAL, ASER_EBADURL,
 * ASER_ENOMEM, ASER_ENOTSUP (built without MQTT); cb is never called from
 * inside this call. The watch keeps aser_loop_run() going until stopped. */
typedef struct aser_mqtt_watch aser_mqtt_watch;
typedef enum aser_mqtt_watch_event {
    ASER_MQTT_PRESENT = 1, /* online when the watch started */
    ASER_MQTT_READY,       /* every export present has been reported */
    ASER_MQTT_ADDED,
    ASER_MQTT_REMOVED,
    ASER_MQTT_BROKER_LOST
} aser_mqtt_watch_event;
typedef void (*aser_mqtt_watch_cb)(aser_mqtt_watch *w, aser_mqtt_watch_event ev,
                                   const aser_mqtt_export *e, void *ctx);
ASER_API int aser_mqtt_watch_start(aser_loop *loop, const char *url, aser_mqtt_watch_cb cb,
                                   void *ctx, aser_mqtt_watch **out, aser_err *err);
/* Stop and free (NULL: a no-op); safe inside its callback. */
ASER_API void aser_mqtt_watch_stop(aser_mqtt_watch *w);
/* "present", "ready", "add", "remove", "broker-lost". */
ASER_API const char *aser_mqtt_watch_event_name(aser_mqtt_watch_event ev);

/* The bridge (`aserial bridge A B`) needs no API of its own: open both
 * endpoints with aser_open() (tcp-listen://[HOST:]PORT waits for one
 * client, as the port's connecting phase) and forward with aser_on_data()
 * and aser_write(). */

#ifdef __cplusplus
}
#endif
#endif /* ASERIAL_H */
