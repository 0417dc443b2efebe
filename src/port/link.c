/* port/link.c: the connection's state: the connecting phase of network
 * transports (attached, ready, failed), and the opt-in reconnect policy:
 * after a loss, reopen the same URL with the same configuration and
 * DTR/RTS levels, with doubling delays, and report lost/restored/gave-up
 * through the link callback. */
#define _GNU_SOURCE
#include "os/socket.h"
#include "port/port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING ASER_PENDING

/* ---- the connecting phase (network transports) ------------------------------------ */

int aser__port_attach(aser_port *p, int fd)
{
    p->c.fd = fd;
    int rc = aser__port_watch_fd(p);
    if (rc < 0) p->c.fd = -1;
    aser__port_kick(p);
    return rc;
}

bool aser__port_connected(aser_port *p, int fd, int code, const char *msg)
{
    if (fd < 0) {
        aser__port_connect_failed(p, code, msg);
        return false;
    }
    int rc = aser__port_attach(p, fd);
    if (rc < 0) {
        aser__sock_close(fd);
        aser__port_connect_failed(p, rc, "cannot watch the socket: out of memory");
        return false;
    }
    return true;
}

void aser__port_ready(aser_port *p)
{
    if (!p->c.connecting) return;
    p->c.connecting = false;
    if (p->down) aser__port_reopened(p);
    aser__port_kick(p);
}

void aser__port_connect_failed(aser_port *p, int code, const char *msg)
{
    if (!p->c.connecting) return;
    p->c.connecting = false;
    if (p->io) aser__io_close(p->io);
    p->io = NULL;
    if (p->c.fd >= 0) p->c.tp->close(p);
    p->c.fd = -1;
    aser__port_kick(p);
    if (p->closing || p->dead) return;
    if (p->down) {
        aser__port_reopen_failed(p, msg);
        return;
    }
    aser__port_set_errmsg(p, "%s", msg);
    /* With reconnect on, a first connect that fails is a loss like any other. */
    aser__port_lost(p, p->rc.enabled ? ASER_EDISCONNECTED : code);
}


/* ---- reconnect ------------------------------------------------------------------- */

void aser__port_reopened(aser_port *p)
{
    if (p->c.lines_mask) aser__tp_modem_set(p, p->c.lines_mask, p->c.lines_values);
    p->down = false;
    p->dead = 0;
    p->dead_reported = false;
    p->errmsg[0] = '\0';
    aser__port_extras(p);
    p->link_event = ASER_LINK_RESTORED;
}

/* Reconnecting ends: the port is dead; errmsg (set by the caller) says why. */
static void give_up(aser_port *p)
{
    p->down = false;
    p->dead = ASER_EDISCONNECTED;
    aser__port_mark_all(p, ASER_EDISCONNECTED); /* waiters stop waiting */
    aser__port_extras(p);
    p->link_event = ASER_LINK_GAVE_UP;
}

void aser__port_reopen_failed(aser_port *p, const char *why)
{
    p->c.fd = -1;
    p->rc_attempts++;
    if (p->rc.max_attempts && p->rc_attempts >= p->rc.max_attempts) {
        aser__port_set_errmsg(p, "%s did not come back after %u attempts (last: %s)", p->c.name,
                              p->rc_attempts, why);
        give_up(p);
        return;
    }
    p->rc_delay_ms = ASER_MIN(p->rc_delay_ms * 2, p->rc.max_delay_ms);
    p->rc_next = aser__now_us() + (uint64_t)p->rc_delay_ms * 1000u;
}

static void try_reopen(aser_port *p)
{
    aser_err err = {0};
    int rc = aser__tp_reopen(p, &err);
    if (rc == 0 && p->c.connecting) { /* a network transport reports back later */
        p->rc_next = 0;
        return;
    }
    if (rc == 0 && (rc = aser__port_watch_fd(p)) < 0) p->c.tp->close(p);
    if (rc == 0) {
        aser__port_reopened(p);
    } else if (rc == ASER_ENOTSUP) {
        /* The endpoint cannot be opened again at all (standard input that
         * ended): waiting would wait for ever. */
        p->c.fd = -1;
        aser__port_set_errmsg(p, "%s", err.msg);
        give_up(p);
    } else {
        aser__port_reopen_failed(p, err.msg);
    }
}

void aser__port_dispatch_link(aser_port *p)
{
    if (p->down && !p->closing && !p->c.connecting && aser__port_now(p) >= p->rc_next)
        try_reopen(p);
    int ev = p->link_event;
    p->link_event = 0;
    if (ev && p->rc.cb && !p->closing) p->rc.cb(p, (aser_link_event)ev, p->rc.ctx);
}

int aser_set_reconnect(aser_port *p, const aser_reconnect_opts *opts)
{
    if (!p || p->c.blocking) return ASER_EINVAL; /* needs a running loop */
    if (p->closing) return ASER_ECLOSED;
    aser_reconnect_opts o = opts ? *opts : (aser_reconnect_opts){0};
    if (!o.min_delay_ms) o.min_delay_ms = 100;
    if (!o.max_delay_ms) o.max_delay_ms = 5000;
    if (o.max_delay_ms < o.min_delay_ms) return ASER_EINVAL;
    p->rc = o;
    return 0;
}
