/* term_socket.c: --socket tcp:PORT, tio's socket redirect. A program on
 * this machine connects to 127.0.0.1:PORT and takes part in the session:
 * it gets the port's bytes as they come (before any --map), and its bytes
 * go to the port as if typed. One client at a time; when it leaves, the
 * next may connect. Built on the library's tcp-listen:// endpoint with
 * reconnect (it listens again 10 ms after each client: a client that
 * comes sooner is refused and should retry); the port's bytes that
 * come while no client is there wait for the next one, up to the
 * endpoint's high-water mark, then are dropped. Loopback only. */
#include "term.h"

#include <stdlib.h>
#include <string.h>

static void on_sock_data(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    term *t = ctx;
    (void)p;
    if (status >= 0) term_send(t, d, n);
}

static void on_sock_link(aser_port *p, aser_link_event ev, void *ctx)
{
    term *t = ctx;
    (void)p;
    t->sock_up = ev == ASER_LINK_RESTORED;
    term_say(t, "socket %s: %s", t->sock_url + strlen("tcp-listen://"),
             t->sock_up ? "a client connected" : "the client left; listening again");
}

/* The first drain ends once the listener is up (its address resolved
 * and bound, off the loop's thread): only then can a client connect. */
static void on_listening(aser_port *p, int status, void *ctx)
{
    term *t = ctx;
    (void)p;
    if (status == 0)
        term_say(t, "socket: listening on %s for a client", t->sock_url + strlen("tcp-listen://"));
    else
        term_say(t, "socket: %s",
                 aser_port_errmsg(p)[0] ? aser_port_errmsg(p) : aser_strerror(status));
}

int term_socket_parse(term *t, const char *spec)
{
    unsigned port = 0;
    if (!strncmp(spec, "tcp:", 4) && cli_uint("term", "--socket tcp:PORT", spec + 4, &port) == 0 &&
        port > 0 && port < 65536) {
        snprintf(t->sock_url, sizeof t->sock_url, "tcp-listen://127.0.0.1:%u", port);
        return 0;
    }
    if (!strncmp(spec, "unix:", 5))
        cli_error("term",
                  "--socket %s: unix sockets are not supported yet; use tcp:PORT "
                  "(loopback)",
                  spec);
    else
        cli_error("term", "--socket \"%s\": use tcp:PORT (a port on 127.0.0.1, 1-65535)", spec);
    return -1;
}

int term_socket_start(term *t)
{
    if (!t->sock_url[0]) return 0;
    aser_err err = {0};
    if (aser_open(t->loop, t->sock_url, NULL, &t->sock, &err) < 0) {
        cli_error("term", "--socket: %s", err.msg);
        return -1;
    }
    aser_reconnect_opts ro = {
        .enabled = true, .min_delay_ms = 10, .max_delay_ms = 200, .cb = on_sock_link, .ctx = t};
    aser_set_reconnect(t->sock, &ro);
    aser_on_data(t->sock, on_sock_data, t);
    aser_drain(t->sock, 0, on_listening, t);
    t->sock_up = true; /* bytes before a client are queued (up to the high-water mark) */
    return 0;
}

void term_socket_data(term *t, const uint8_t *d, size_t n)
{
    if (t->sock && t->sock_up) aser_write(t->sock, d, n, NULL, NULL); /* a slow client: dropped */
}

void term_socket_stop(term *t)
{
    if (t->sock) aser_close(t->sock);
    t->sock = NULL;
}
