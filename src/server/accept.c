/* server/accept.c: the accepting end of a listening socket, shared by the
 * server's listeners (server.c) and the web listener (web.c): accept
 * what is waiting, at most ACCEPT_BATCH per readiness (a flood of connects
 * cannot starve the loop's other fds: the rest come next round), and when
 * the process or the system is out of fds or memory (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM) stop watching the listener for ACCEPT_PAUSE_US: it
 * stays readable, and watching it would spin. Connections wait in the
 * kernel's backlog meanwhile. */
#define _GNU_SOURCE
#include "server/server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ACCEPT_BATCH 512
#define ACCEPT_PAUSE_US 100000u  /* out of fds: try again in 100 ms */
#define ACCEPT_TELL_US 10000000u /* tell the owner at most every 10 s */

static void on_resume(void *arg)
{
    srv_acceptor *a = arg;
    if (a->io) (void)aser__io_set(a->io, ASER_EV_READ);
}

static void on_ready(void *arg, unsigned revents)
{
    srv_acceptor *a = arg;
    (void)revents;
    for (int i = 0; i < ACCEPT_BATCH && a->io; i++) {
        int fd = aser__accept_nb(a->fd);
        if (fd >= 0) {
            aser__net_tune(fd);
            a->fn(a->arg, fd); /* may stop a */
            continue;
        }
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            int err = errno;
            a->pauses++;
            a->untold++;
            (void)aser__io_set(a->io, 0);
            aser__tmr_start(a->tmr, ACCEPT_PAUSE_US);
            uint64_t now = aser__now_us();
            if (a->paused && (a->pauses == 1 || now - a->told_us >= ACCEPT_TELL_US)) {
                unsigned n = a->untold;
                a->untold = 0;
                a->told_us = now;
                a->paused(a->arg, err, n); /* may stop a */
            }
        }
        return; /* EAGAIN, or a client that left before we took it */
    }
}

int aser__acceptor_start(srv_acceptor *a, aser_loop *loop, int fd, void (*fn)(void *, int),
                         void *arg)
{
    *a = (srv_acceptor){.fd = fd, .fn = fn, .arg = arg};
    a->tmr = aser__tmr_open(loop, on_resume, a);
    a->io = a->tmr ? aser__io_open(loop, fd, on_ready, a) : NULL;
    if (!a->io || aser__io_set(a->io, ASER_EV_READ) < 0) {
        aser__acceptor_stop(a);
        return ASER_ENOMEM;
    }
    return 0;
}

bool aser__srv_same_source(const char *peer_a, const char *peer_b)
{
    const char *ca = strrchr(peer_a, ':'), *cb = strrchr(peer_b, ':');
    size_t na = ca ? (size_t)(ca - peer_a) : strlen(peer_a);
    size_t nb = cb ? (size_t)(cb - peer_b) : strlen(peer_b);
    return na == nb && !memcmp(peer_a, peer_b, na);
}

void aser__acceptor_stop(srv_acceptor *a)
{
    if (a->io) aser__io_close(a->io);
    if (a->tmr) aser__tmr_close(a->tmr);
    a->io = NULL;
    a->tmr = NULL;
}

void aser__acceptor_why(int err, unsigned pauses, char *buf, size_t cap)
{
    const char *fix = err == EMFILE   ? "the process's descriptor limit is reached: raise it "
                                        "(ulimit -n, systemd LimitNOFILE=) or serve fewer ports"
                      : err == ENFILE ? "the system's file table is full (fs.file-max)"
                                      : "out of memory for sockets";
    int k = snprintf(buf, cap,
                     "cannot accept connections (%s): %s; they wait in the backlog, "
                     "tried again every %u ms",
                     strerror(err), fix, ACCEPT_PAUSE_US / 1000u);
    if (pauses > 1 && k > 0 && (size_t)k < cap)
        snprintf(buf + k, cap - (size_t)k, " (%u times in %u s)", pauses,
                 ACCEPT_TELL_US / 1000000u);
}
