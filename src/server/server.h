/* server.h: the network server (aser_server, aserial.h section 10), shared
 * by server.c (listener, clients, data both ways) and rfc2217.c
 * (the COM-PORT-OPTION requests of a client). Internal. */
#ifndef ASER_SERVER_H
#define ASER_SERVER_H

#include "codec/rfc2217.h"
#include "internal.h"
#include "util/bytequeue.h"

typedef struct srv_client srv_client;

struct srv_client {
    aser_server *s;
    srv_client *next;      /* oldest first */
    int fd;                /* -1 once closed (waiting to be swept) */
    aser_io *io;
    char peer[64];
    bool suspended;        /* the client sent FLOWCONTROL-SUSPEND */
    bool kill;             /* close after the codec returns */
    char kill_why[128];
    aser_rfc2217 codec;    /* RFC 2217 mode */
    aser_bq out;           /* to the client, at most client_queue bytes */
    unsigned errors, ignored;
    uint8_t ls_mask, ms_mask;
    bool dtr, rts;         /* levels last asked for (answers on line-less ports) */
    uint64_t break_on;     /* when BREAK-ON arrived, us; 0: off */
    aser_server_mode mode; /* of the listener it came through */
    uint64_t since;        /* connected, or last heard from, us */
    bool heard;            /* it has sent something */
};

#define ASER_SERVER_LISTENERS_MAX 8

/* One listening socket; each gives its clients its mode. */
typedef struct srv_listener {
    aser_server *s;
    int fd, port;
    aser_io *io;
    aser_server_mode mode;
    bool accept_paused;
    uint64_t accept_resume;
} srv_listener;

struct aser_server {
    aser_loop *loop;
    aser_port *port;
    aser_server_opts o;
    char sig[96];
    srv_listener ls[ASER_SERVER_LISTENERS_MAX]; /* ls[0]: opts->listen */
    size_t nls;
    aser_tmr *tmr;
    srv_client *clients;
    size_t nclients;
    bool port_ended, reads_paused, stopped;
    bool lines_on;         /* listening to aser_on_lines() of the port */
    aser_defer sweep;      /* frees closed clients (and a stopped server) */
};

/* server.c */
void aser__srv_out(srv_client *c, const uint8_t *b, size_t n);
/* Send what is queued for c now (or watch for writability); a dead socket
 * closes the client. */
void aser__srv_flush(srv_client *c);
void aser__srv_kill(srv_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void aser__srv_event(aser_server *s, aser_server_event ev, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* rfc2217.c */
void aser__srv_r2_start(srv_client *c);
/* The port's modem lines changed (NOTIFY-MODEMSTATE) or it reported line
 * errors, ASER_LINEERR_* (NOTIFY-LINESTATE), each under a client's mask. */
void aser__srv_r2_lines_changed(aser_server *s, unsigned now, unsigned before);
void aser__srv_r2_line_errors(aser_server *s, unsigned errors);

#endif
