/* transport/net.h: the network transports' side of a stream (tcp.c,
 * rfc2217.c, ws.c). The stream, the connector and host:port are in
 * net/stream.h; this adds what ties them to a port: a reconnect attempt,
 * the session's failure reasons in the port's errmsg, and plain bytes left
 * inside a TLS session replayed to the port as a read. Internal. */
#ifndef ASER_TRANSPORT_NET_H
#define ASER_TRANSPORT_NET_H

#include "net/stream.h"
#include "transport/transport.h"

/* Every feature unsupported, for reason. */
void aser__net_caps_data_only(aser_caps *c, const char *reason);

/* A connect attempt for port p: mark it connecting and start c; on a
 * failure to start, undo and fill err. From then on plain bytes left
 * inside c's session reach p as a replayed ASER_EV_READ. */
int aser__netc_reopen(aser_netc *c, aser_port *p, aser_err *err);

/* aser__stream_read/write on c's stream (the socket done() handed over,
 * aser__conn(p)->fd) with p's part: a TLS failure leaves its reason in
 * p's errmsg, and after a read that left plain bytes inside the session
 * p hears a replayed ASER_EV_READ. For the rest (flush, pending, the
 * io mask, goodbye) the transports call net/stream.h on c->st. */
ssize_t aser__netc_read(aser_netc *c, aser_port *p, void *buf, size_t n);
ssize_t aser__netc_write(aser_netc *c, aser_port *p, const void *buf, size_t n);
/* aser__stream_drain of q on c's stream, with the same errmsg. */
int aser__netc_drain(aser_netc *c, aser_port *p, aser_bq *q);
/* Read and drop what has arrived (bounded work), decrypting with TLS. */
void aser__netc_discard_input(aser_netc *c, aser_port *p);

#endif
