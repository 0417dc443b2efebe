/* fuzz_web.c: libFuzzer target for the web listener's request handling
 * (src/server/web.c: the token, Host, Origin and path checks, routing,
 * the per-source back-off; then server/ws.c for an upgrade that gets
 * through): what a browser or anything else sends to `aserial serve
 * --web`, through a real loopback connection to a listener started once,
 * with a token and one export on a mock device, on the instrumented
 * library.
 *
 * Input: byte 0 picks the listener (with a token, or without: wrong
 * tokens would soon hold the source in back-off there) and a prefix:
 * none (the input is the whole request), a valid upgrade head for /ws/lab
 * with the token (so frames are reached), or a GET of /exports with the
 * token; the rest is sent as it is.
 * Checks: no crash, leak or sanitizer report; the connection is answered
 * or closed, and every connection is gone (or a client of the export that
 * leaves once closed) within a bounded number of loop rounds. */
#define _GNU_SOURCE
#include "aserial.h"
#include "aserial/testing.h"
#include "fuzz_common.h"
#include "fuzz_pump.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define TOKEN "fuzz-token-0123456789"

static aser_loop *loop;
static aser_mock *mock[2];
static aser_port *host[2], *dev[2];
static aser_server *srv[2];
static aser_web *web, *open_web; /* with the token; without one */
static int ports[2];

/* The device reads what it is sent: a full port queue would pause the
 * server's reads (backpressure), and a closed client would stay until
 * they resume. */
static void on_dev(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    (void)p, (void)status, (void)d, (void)n, (void)ctx;
}

static void setup(void)
{
    aser_err err = {0};
    FZ_ASSERT(aser_loop_new(&loop) == 0);
    for (int i = 0; i < 2; i++) {
        char name[16], url[32];
        snprintf(name, sizeof name, "fzweb%d", i);
        snprintf(url, sizeof url, "mock://%s", name);
        FZ_ASSERT(aser_mock_new(loop, name, &mock[i]) == 0);
        FZ_ASSERT(aser_open(loop, url, NULL, &host[i], &err) == 0);
        FZ_ASSERT(aser_mock_open_peer(mock[i], NULL, &dev[i]) == 0);
        FZ_ASSERT(aser_on_data(dev[i], on_dev, NULL) == 0);
        FZ_ASSERT(
            aser_server_start(host[i], &(aser_server_opts){.max_clients = 4}, &srv[i], &err) == 0);
    }
    aser_web_opts wo = {.listen = "127.0.0.1:0", .token = TOKEN, .max_pending = 8};
    FZ_ASSERT(aser_web_start(loop, &wo, &web, &err) == 0);
    FZ_ASSERT(aser_web_export(web, "lab", srv[0], &err) == 0);
    ports[0] = aser_web_port(web);
    wo.token = NULL; /* wrong tokens put a source in back-off: this one has none */
    FZ_ASSERT(aser_web_start(loop, &wo, &open_web, &err) == 0);
    FZ_ASSERT(aser_web_export(open_web, "lab", srv[1], &err) == 0);
    ports[1] = aser_web_port(open_web);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (!loop) setup();
    if (!n) return 0;
    char head[512];
    int hn = 0, port = ports[(d[0] / 3) & 1];
    if (d[0] % 3 == 1)
        hn = snprintf(head, sizeof head,
                      "GET /ws/lab?token=" TOKEN " HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                      "Origin: http://127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: "
                      "13\r\n\r\n",
                      port, port);
    else if (d[0] % 3 == 2)
        hn = snprintf(head, sizeof head,
                      "GET /exports HTTP/1.1\r\nHost: localhost:%d\r\nAuthorization: Bearer " TOKEN
                      "\r\n\r\n",
                      port);
    d++, n--;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    FZ_ASSERT(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    if (hn > 0) FZ_ASSERT(send(fd, head, (size_t)hn, MSG_NOSIGNAL) == hn);
    fz_pump(loop, fd, d, n);
    close(fd);
    for (int round = 0; round < 200 && aser_server_clients(srv[0]) + aser_server_clients(srv[1]);
         round++)
        aser_loop_run_once(loop, 0);
    FZ_ASSERT(aser_server_clients(srv[0]) + aser_server_clients(srv[1]) == 0);
    aser_loop_run_once(loop, 0);
    return 0;
}
