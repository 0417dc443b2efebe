/* transport.h: the one header a transport includes. It holds the ops table
 * every kind of endpoint fills in, the URL as parsed once (url.c), the
 * part of a port a transport may see (aser_conn), and the calls through
 * which a transport tells its port what happened. A transport never
 * includes port/port.h.
 *
 * Adding a transport is one file plus one row in registry.c: see
 * docs/transports.md for the recipe.
 *
 * read/write return a count, 0 for end of stream (read), or a negative
 * ASER_E* code: ASER_EAGAIN when it would block, ASER_EINTR to retry. */
#ifndef ASER_TRANSPORT_H
#define ASER_TRANSPORT_H

#include "internal.h"
#include "net/stream.h" /* aser_net_url */
#include "os/caps.h"

#define ASER_PATH_MAX 4096

typedef struct aser_transport_ops aser_transport_ops;

/* ---- the URL, parsed once ------------------------------------------------ */

/* What follows a transport's prefix. */
typedef enum aser_addr_form {
    ASER_ADDR_PATH = 0, /* a device path: "/dev/ttyUSB0" */
    ASER_ADDR_NAME,     /* a name: "bench" (mock://bench) */
    ASER_ADDR_USB,      /* "VID:PID[:SERIAL]", resolved by the transport */
    ASER_ADDR_HOSTPORT, /* "HOST:PORT", "[V6]:PORT" */
    ASER_ADDR_LISTEN,   /* "[HOST:]PORT", HOST defaulting to 127.0.0.1, PORT 0 allowed */
    ASER_ADDR_HTTP,     /* "HOST:PORT[/PATH]": an HTTP target ("/" if none) */
    ASER_ADDR_OPTIONAL  /* a path that may be empty: "pty:" or "pty:/tmp/ttyLAB" */
} aser_addr_form;

/* Query options that are not aser_config keys, by transport (url_opts). */
enum {
    ASER_URLOPT_CONNECT_TIMEOUT = 1u << 0, /* connect_timeout=MS */
    ASER_URLOPT_ACK_TIMEOUT = 1u << 1,     /* ack_timeout=MS */
    ASER_URLOPT_TOKEN = 1u << 2,           /* token=SECRET (HTTP bearer token) */
    /* The stream runs over TLS (the connector's handshake, then
     * the stream through codec/tls.c, net/stream.h); takes ca=, cert=, key=. */
    ASER_URLOPT_TLS = 1u << 3,
    ASER_URLOPT_AUTH = 1u << 4 /* auth=FILE: user and password, one a line (MQTT) */
};

typedef struct aser_url {
    const aser_transport_ops *tp; /* the table row the scheme selected */
    char path[ASER_PATH_MAX];     /* PATH, NAME, USB: the part after the prefix;
                                     HOSTPORT, LISTEN, HTTP: "HOST:PORT" */
    aser_net_url net;             /* HOSTPORT, LISTEN, HTTP */
} aser_url;

/* Parse url: select the transport by its prefix (a bare path is a tty),
 * take the address apart as that transport's addr form says, and apply the
 * query ("?baud=9600&...") onto cfg, refusing keys the transport cannot
 * carry. On error cfg is unchanged and err names the bad part and the fix. */
int aser__url_parse(const char *url, aser_config *cfg, aser_url *out, aser_err *err);

/* registry.c: the transports, NULL-terminated; the first marked bare
 * takes URLs without a scheme. */
extern const aser_transport_ops *const aser__transports[];

/* ---- what a transport sees of its port ------------------------------------ */

/* The port embeds this as its first member; aser__conn() gives it to the
 * transport. Everything else about the port is the port's own. */
typedef struct aser_conn {
    /* touched on every read and write: first */
    const aser_transport_ops *tp; /* this port's row of the table */
    int fd;                       /* the endpoint, or -1 (closed, lost, connecting) */
    bool blocking;                /* opened without a loop (blocking API): may wait */
    bool connecting;              /* not ready yet: operations wait (see below) */
    void *data;                   /* the transport's own state, kept across reopen */
    aser_loop *loop;
    aser_config cfg; /* the config in effect (a request reads its buffer sizes) */
    /* the rest: at open, on settings calls and in messages */
    char *name;                        /* the URL as given */
    char *path;                        /* what it resolved to: tty path, mock name, HOST:PORT */
    unsigned lines_mask, lines_values; /* DTR/RTS as last set, kept for reopen */
    aser_caps caps;
} aser_conn;

static inline aser_conn *aser__conn(aser_port *p)
{
    return (aser_conn *)(void *)p;
}

/* ---- the ops table --------------------------------------------------------- */

struct aser_transport_ops {
    /* Selection and parsing (url.c). */
    const char *scheme;  /* "rfc2217": for messages */
    const char *prefix;  /* "rfc2217://" */
    bool bare;           /* also takes URLs without a scheme (a tty path) */
    const char *example; /* "rfc2217://HOST:PORT": for messages */
    const char *alias;   /* a whole URL that also selects this row ("-"), or NULL */
    aser_addr_form addr;
    unsigned url_opts; /* ASER_URLOPT_* it takes */
    bool needs_loop;   /* refuses the blocking API (mock) */
    /* Non-NULL: the endpoint carries data only, for this reason ("raw TCP
     * carries data only"). Line settings in the URL or in aser_configure()
     * are refused with ASER_ENOTSUP; missing ops below say it too. */
    const char *data_only;
    /* What to tell a person when the endpoint is lost (NULL: "check the
     * cable or device, then reopen"). */
    const char *lost_hint;
    /* Line changes are pushed (aser__port_lines_changed) rather than
     * polled with modem_get. */
    bool lines_pushed;
    /* A form for tests (mock://): left out of aser_url_form() and of the
     * unknown-scheme message. */
    bool test_only;

    /* Required. open: start on u (fd in conn, or conn->connecting and an
     * fd later through aser__port_connected); never blocks with a loop. */
    int (*open)(aser_port *p, const aser_url *u, aser_err *err);
    ssize_t (*read)(aser_port *p, void *buf, size_t n);
    ssize_t (*write)(aser_port *p, const void *buf, size_t n);
    /* Release the fd (and a connection in progress); never blocks. */
    void (*close)(aser_port *p);

    /* Optional: NULL gives the default in parentheses. */
    /* Apply cfg atomically; cur is the config in effect (default: accept
     * changes that are not line settings; with data_only refuse the rest). */
    int (*apply)(aser_port *p, const aser_config *cur, const aser_config *cfg, aser_caps *caps,
                 aser_err *err);
    int (*modem_get)(aser_port *p);                                 /* (ASER_ENOTSUP) */
    int (*modem_set)(aser_port *p, unsigned mask, unsigned values); /* (ENOTSUP) */
    int (*send_break)(aser_port *p, unsigned ms);                   /* (ASER_ENOTSUP) */
    /* Set (on) or clear the break condition and return at once. With it,
     * the port times the break itself (send_break is then not used): it
     * sets the break, holds writes, and clears it from its timer, so the
     * loop never sleeps through a break. ASER_ENOTSUP (with the reason
     * in errmsg) when the endpoint has no break. */
    int (*break_ctl)(aser_port *p, bool on);
    /* Line errors (ASER_LINEERR_* bits) seen since the previous call, for
     * a transport that must be asked (a tty's kernel counters); the first
     * call sets the baseline and returns 0. Polled with the modem lines
     * while aser_on_lines() is set. ASER_ENOTSUP: none to ask. */
    int (*line_errors)(aser_port *p);
    int (*flush)(aser_port *p, int which); /* (nothing to flush: 0) */
    int (*inq)(aser_port *p);              /* (0) */
    int (*outq)(aser_port *p);             /* (0) */
    /* Reopen after a loss (reconnect): a new fd in conn, or connecting
     * (default: ASER_ENOTSUP, so the port stays down). */
    int (*reopen)(aser_port *p, aser_err *err);
    /* Narrow (or widen) the events the port asks the loop for. */
    unsigned (*io_mask)(aser_port *p, unsigned events);
    /* Readiness first goes here, for the transport's own I/O (protocol
     * bytes waiting to be sent); returns the events left for the port. */
    unsigned (*on_io)(aser_port *p, unsigned revents);
    /* Free what the transport keeps across reopen (conn->data); called
     * once, when the port is freed. */
    void (*release)(aser_port *p);
};

/* The rows of the table (each defined in its transport's file). */
extern const aser_transport_ops aser__tty_transport;
extern const aser_transport_ops aser__usb_transport;
extern const aser_transport_ops aser__mock_transport;
extern const aser_transport_ops aser__sim_transport;
extern const aser_transport_ops aser__tcp_transport;
extern const aser_transport_ops aser__tcp_listen_transport;
extern const aser_transport_ops aser__tcp_tls_transport;
extern const aser_transport_ops aser__rfc2217_transport;
extern const aser_transport_ops aser__rfc2217_tls_transport;
extern const aser_transport_ops aser__ws_transport;
extern const aser_transport_ops aser__wss_transport;
extern const aser_transport_ops aser__mqtt_transport;
extern const aser_transport_ops aser__mqtts_transport;
extern const aser_transport_ops aser__stdio_transport;
extern const aser_transport_ops aser__pty_transport;
extern const aser_transport_ops aser__com_transport;     /* Windows: COM5, \\.\COM12 */
extern const aser_transport_ops aser__com_usb_transport; /* Windows: usb:VID:PID[:SERIAL] */

/* usb.c: resolve a usb:VID:PID[:SERIAL] identity (spec) to the device it
 * names now, into conn->path (replaced only if it changed). 0, or
 * ASER_ENOENT / ASER_EBADURL / ... with err naming what is present. */
int aser__usb_resolve(aser_conn *c, const char *spec, aser_err *err);

/* ---- what a transport tells its port (port/core.c, link.c, lines.c) ------- */

void aser__port_set_errmsg(aser_port *p, const char *fmt, ...) ASER_PRINTF(2, 3);
/* 0 while the port can be used, else why not (closed, dead, down). */
int aser__port_usable(const aser_port *p);
/* The device failed (code) while in use: release the fd, go down or dead. */
void aser__port_fail(aser_port *p, int code, const char *what);
/* An I/O call failed with code: hang-ups become ASER_EDISCONNECTED. */
void aser__port_io_failed(aser_port *p, int code);
/* Something changed that the dispatcher must look at (staged data...). */
void aser__port_kick(aser_port *p);
/* Readiness as if the loop had reported it (the mock replays staged data). */
void aser__port_io(aser_port *p, unsigned revents);
/* New modem-line states (ASER_LINE_*) and line errors (ASER_LINEERR_*). */
void aser__port_lines_changed(aser_port *p, unsigned lines, unsigned errors);
/* The far end changed the line settings (pty: the program on the slave):
 * cfg becomes the recorded config and aser_on_config() hears of it. */
void aser__port_config_changed(aser_port *p, const aser_config *cfg);

/* The connecting phase (network transports). While conn->connecting,
 * operations wait as they do while the port is down (bounded by their own
 * timeouts) and the port's settings calls go to the transport, which
 * records them.
 *   connected: a connect finished: fd >= 0 is attached and watched (true;
 *              the transport may still be negotiating, gating writes with
 *              io_mask), or the failure (code, msg) is reported (false)
 *   ready:     connecting is over (after a reconnect: restored)
 *   connect_failed: the connect (or a reconnect attempt) failed; msg says
 *              why; what was pending fails with code (or, with reconnect
 *              on, the port keeps trying) */
bool aser__port_connected(aser_port *p, int fd, int code, const char *msg);
void aser__port_ready(aser_port *p);
void aser__port_connect_failed(aser_port *p, int code, const char *msg);

#endif
