/* fuzz_server.c: libFuzzer target for the server's request handling and
 * access checks (src/server/server.c, rfc2217.c, raw.c, ws.c, sniff.c):
 * what a client of an export sends, with the whole library (built again
 * with the fuzzer's instrumentation), a mock device and a real socket.
 *
 * Input: byte 0 picks the client's mode (raw, RFC 2217, WebSocket after
 * an accepted upgrade) and the export (full access, lock-settings,
 * read-only; the read-only one has allow_http); the rest is what the
 * client sends, through a socketpair, while the loop runs.
 * Checks: no crash, leak or sanitizer report; the client is taken and,
 * once its socket is closed, gone within a bounded number of loop rounds;
 * a read-only client's bytes never reach the device. */
#define _GNU_SOURCE
#include "aserial.h"
#include "aserial/testing.h"
#include "codec/ws.h"
#include "fuzz_common.h"
#include "fuzz_pump.h"
#include "server/server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct fz_export {
    aser_mock *m;
    aser_port *host, *dev;
    aser_server *s;
    size_t heard; /* bytes the device got */
} fz_export;

static aser_loop *loop;
static fz_export ex[3];

static void on_dev(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    fz_export *e = ctx;
    (void)p, (void)d;
    if (status >= 0) e->heard += n;
}

static void setup(void)
{
    static const aser_server_access acc[3] = {ASER_ACCESS_FULL, ASER_ACCESS_LOCK_SETTINGS,
                                              ASER_ACCESS_READ_ONLY};
    FZ_ASSERT(aser_loop_new(&loop) == 0);
    for (int i = 0; i < 3; i++) {
        char name[16], url[32];
        aser_err err = {0};
        snprintf(name, sizeof name, "fz%d", i);
        snprintf(url, sizeof url, "mock://%s", name);
        FZ_ASSERT(aser_mock_new(loop, name, &ex[i].m) == 0);
        FZ_ASSERT(aser_open(loop, url, NULL, &ex[i].host, &err) == 0);
        FZ_ASSERT(aser_mock_open_peer(ex[i].m, NULL, &ex[i].dev) == 0);
        FZ_ASSERT(aser_on_data(ex[i].dev, on_dev, &ex[i]) == 0);
        aser_server_opts o = {.max_clients = 4, .access = acc[i], .allow_http = i == 2};
        FZ_ASSERT(aser_server_start(ex[i].host, &o, &ex[i].s, &err) == 0);
    }
}

/* A server-side WebSocket codec past an accepted upgrade request. */
static void on_ws(aser_ws *ws, const aser_ws_event *ev, void *ud)
{
    (void)ws, (void)ev, (void)ud;
}

static aser_ws *upgraded(void)
{
    static const char req[] =
        "GET /ws/lab HTTP/1.1\r\nHost: 127.0.0.1:1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    aser_ws *ws = malloc(sizeof *ws);
    FZ_ASSERT(ws);
    aser__ws_init(ws, ASER_WS_SERVER, 64 * 1024, on_ws, NULL, NULL);
    aser__ws_feed(ws, (const uint8_t *)req, sizeof req - 1);
    return ws;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (!loop) setup();
    if (!n) return 0;
    static const aser_server_mode modes[3] = {ASER_SERVE_RAW, ASER_SERVE_RFC2217,
                                              ASER_SERVE_WEBSOCKET};
    aser_server_mode mode = modes[d[0] % 3];
    fz_export *e = &ex[(d[0] / 3) % 3];
    d++, n--;
    int sv[2];
    FZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    aser_ws *ws = mode == ASER_SERVE_WEBSOCKET ? upgraded() : NULL;
    char why[200];
    size_t heard0 = e->heard;
    FZ_ASSERT(aser__srv_adopt(e->s, sv[0], mode, ws, NULL, why, sizeof why));
    fz_pump(loop, sv[1], d, n);
    close(sv[1]);
    for (int round = 0; round < 200 && aser_server_clients(e->s); round++)
        aser_loop_run_once(loop, 0);
    FZ_ASSERT(aser_server_clients(e->s) == 0); /* gone once its socket closed */
    aser_loop_run_once(loop, 0);               /* the sweep frees it */
    if (e == &ex[2] && mode != ASER_SERVE_WEBSOCKET) FZ_ASSERT(e->heard == heard0);
    return 0;
}
