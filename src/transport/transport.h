/* transport.h: one table of functions per kind of endpoint (local tty,
 * in-memory mock, raw TCP, RFC 2217). The port calls only these.
 * read/write return a count, 0 for end of stream (read), or a negative
 * ASER_E* code: ASER_EAGAIN when it would block, ASER_EINTR to retry. */
#ifndef ASER_TRANSPORT_H
#define ASER_TRANSPORT_H

#include "os/tty.h"

typedef struct aser_transport_ops {
    const char *kind;
    /* Optional: what to tell a person when the endpoint is lost (default:
     * "check the cable or device, then reopen"). */
    const char *lost_hint;
    /* Line changes are pushed (aser__port_lines_changed) rather than
     * polled with modem_get. */
    bool lines_pushed;
    ssize_t (*read)(aser_port *p, void *buf, size_t n);
    ssize_t (*write)(aser_port *p, const void *buf, size_t n);
    /* Apply cfg atomically (cur: the config in effect). */
    int (*apply)(aser_port *p, const aser_config *cur, const aser_config *cfg,
                 aser_caps *caps, aser_err *err);
    int (*modem_get)(aser_port *p);
    int (*modem_set)(aser_port *p, unsigned mask, unsigned values);
    int (*send_break)(aser_port *p, unsigned ms);
    int (*flush)(aser_port *p, int which);
    int (*inq)(aser_port *p);
    int (*outq)(aser_port *p);
    /* Reopen after a loss (reconnect): a new fd in p->fd, or an error. */
    int (*reopen)(aser_port *p, aser_err *err);
    /* Optional: narrow (or widen) the events the port asks the loop for. */
    unsigned (*io_mask)(aser_port *p, unsigned events);
    /* Optional: readiness first goes here, for the transport's own I/O
     * (protocol bytes waiting to be sent); returns the events left for
     * the port. */
    unsigned (*on_io)(aser_port *p, unsigned revents);
    /* Release the fd (and a connection in progress); never blocks. */
    void (*close)(aser_port *p);
    /* Optional: free what the transport keeps across reopen (p->tp_data);
     * called once, when the port is freed. */
    void (*release)(aser_port *p);
} aser_transport_ops;

extern const aser_transport_ops aser__tty_transport;

/* mock.c: open end A of the mock pair registered as name on loop. */
int aser__mock_open(aser_loop *loop, const char *name, aser_port *p, aser_err *err);
extern const aser_transport_ops aser__mock_transport;

/* tcp.c, rfc2217.c: network transports; open starts connecting (the port
 * is returned with p->connecting set). kind: ASER_URL_TCP, _TCP_LISTEN. */
int aser__tcp_open(aser_port *p, int kind, aser_err *err);
extern const aser_transport_ops aser__tcp_transport;
int aser__rfc2217_open(aser_port *p, aser_err *err);
extern const aser_transport_ops aser__rfc2217_transport;

#endif
