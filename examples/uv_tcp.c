/* uv_tcp.c: an aserial port and a libuv TCP server on one uv loop.
 *
 * Lines read from the port are broadcast to every connected TCP client.
 * Here the port is one end of a virtual pair and a uv timer plays the
 * device on the other end, writing "reading N" every 200 ms once a client
 * is connected. After `lines` lines (default 3) everything shuts down:
 * clients get their data, then EOF. Usage: uv_tcp [lines [port]] */
#include "aserial/uv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLIENTS 8

static uv_loop_t *uv;
static aser_loop *loop;
static aser_pair *pair;
static aser_port *dev, *host;
static uv_tcp_t server, *clients[MAX_CLIENTS];
static uv_timer_t tick;
static int nclients, nsent, nbroadcast, lines = 3;

static void on_closed(uv_handle_t *h)
{
    if (h != (uv_handle_t *)&server && h != (uv_handle_t *)&tick) free(h);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    uv_close((uv_handle_t *)req->handle, on_closed); /* after the data went out */
    free(req);
}

static void shutdown_all(void) /* from a uv callback, never an aserial one */
{
    for (int i = 0; i < nclients; i++) {
        uv_shutdown_t *req = malloc(sizeof *req);
        if (!req || uv_shutdown(req, (uv_stream_t *)clients[i], on_shutdown) < 0) {
            free(req);
            uv_close((uv_handle_t *)clients[i], on_closed);
        }
    }
    uv_close((uv_handle_t *)&server, on_closed);
    uv_close((uv_handle_t *)&tick, on_closed);
    aser_close(dev);
    aser_close(host);
    aser_pair_close(pair);
    aser_loop_free(loop); /* then uv_run returns once the handles are closed */
    printf("uv_tcp: done\n");
}

static void on_written(uv_write_t *req, int status)
{
    free(req->data);
    free(req);
}

static void on_line(aser_port *p, int status, const uint8_t *line, size_t len, void *ctx)
{
    if (status < 0) {
        printf("port: %s\n", aser_strerror(status));
        return;
    }
    printf("broadcast \"%.*s\" to %d client(s)\n", (int)len, line, nclients);
    for (int i = 0; i < nclients; i++) {
        uv_write_t *req = malloc(sizeof *req);
        char *copy = malloc(len + 1);
        if (!req || !copy) {
            free(req);
            free(copy);
            continue;
        }
        memcpy(copy, line, len);
        copy[len] = '\n';
        req->data = copy;
        uv_buf_t buf = uv_buf_init(copy, (unsigned)len + 1);
        if (uv_write(req, (uv_stream_t *)clients[i], &buf, 1, on_written) < 0) on_written(req, 0);
    }
    if (++nbroadcast < lines && aser_read_until(p, "\n", 1, 0, 0, on_line, NULL) < 0)
        printf("port: cannot read on\n");
}

static void on_tick(uv_timer_t *t) /* the device: one reading per tick */
{
    if (nbroadcast >= lines) {
        shutdown_all();
        return;
    }
    if (nclients == 0 || nsent >= lines) return;
    char msg[32];
    int n = snprintf(msg, sizeof msg, "reading %d\n", ++nsent);
    aser_write(dev, msg, (size_t)n, NULL, NULL);
}

static void on_connection(uv_stream_t *srv, int status)
{
    uv_tcp_t *c = malloc(sizeof *c);
    if (status < 0 || !c || uv_tcp_init(uv, c) < 0) {
        free(c);
        return;
    }
    if (nclients == MAX_CLIENTS || uv_accept(srv, (uv_stream_t *)c) < 0) {
        uv_close((uv_handle_t *)c, on_closed);
        return;
    }
    clients[nclients++] = c;
    printf("client %d connected\n", nclients);
}

int main(int argc, char **argv)
{
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    aser_err err = {0};
    if (argc > 1) lines = atoi(argv[1]);
    setvbuf(stdout, NULL, _IOLBF, 0); /* the test reads the port we print */
    uv = uv_default_loop();
    int rc = aser_loop_new_uv(uv, &loop);
    if (rc == 0) rc = aser_pair_open(loop, NULL, &pair, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(pair, 0), NULL, &dev, &err);
    if (rc == 0) rc = aser_open(loop, aser_pair_path(pair, 1), NULL, &host, &err);
    if (rc == 0) rc = aser_read_until(host, "\n", 1, 0, 0, on_line, NULL);
    if (rc >= 0) rc = uv_ip4_addr("127.0.0.1", argc > 2 ? atoi(argv[2]) : 0, &addr);
    if (rc == 0) rc = uv_tcp_init(uv, &server);
    if (rc == 0) rc = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&server, 8, on_connection);
    if (rc == 0) rc = uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &blen);
    if (rc == 0) rc = uv_timer_init(uv, &tick);
    if (rc == 0) rc = uv_timer_start(&tick, on_tick, 200, 200);
    if (rc < 0) {
        fprintf(stderr, "uv_tcp: %s %s\n", aser_strerror(rc), err.msg);
        return 1;
    }
    int port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    printf("serial port %s; listening on 127.0.0.1:%d\n", aser_pair_path(pair, 1), port);
    printf("waiting for a TCP client: connect one (nc 127.0.0.1 %d) to receive the port's "
           "lines\n",
           port);
    fflush(stdout);
    uv_run(uv, UV_RUN_DEFAULT);
    return uv_loop_close(uv) == 0 ? 0 : 1;
}
