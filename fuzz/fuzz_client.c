/* fuzz_client.c: libFuzzer target for the client transports around the
 * codecs (src/transport/rfc2217.c, ws.c, tcp over connect.c): what a
 * server (a device server, an aserial serve) answers, through a real
 * loopback socket this target listens on, with the whole library built
 * again with the fuzzer's instrumentation.
 *
 * Input: byte 0 picks the URL (rfc2217://, ws://, tcp://) and, for ws://,
 * whether the input comes after a valid "101 Switching Protocols" answer
 * (so the frames are reached) or is the whole answer; the rest is what
 * the server sends, while the port also writes and, for RFC 2217, asks
 * for a new baud rate. Checks: no crash, leak or sanitizer report; the
 * port closes cleanly whatever was received. */
#define _GNU_SOURCE
#include "aserial.h"
#include "codec/ws.h"
#include "fuzz_common.h"
#include "fuzz_pump.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static aser_loop *loop;
static int lfd = -1, lport;

static void setup(void)
{
    FZ_ASSERT(aser_loop_new(&loop) == 0);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    FZ_ASSERT(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 16) == 0);
    FZ_ASSERT(getsockname(lfd, (struct sockaddr *)&a, &len) == 0);
    lport = ntohs(a.sin_port);
}

/* The connection the port made, accepted while the loop runs; -1: none. */
static int accept_it(void)
{
    for (int i = 0; i < 200; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) return fd;
        aser_loop_run_once(loop, 1);
    }
    return -1;
}

/* ws://: read the upgrade request, answer 101 with its accept key. */
static void upgrade(int fd)
{
    char req[4096];
    size_t n = 0;
    for (int i = 0; i < 200 && !memmem(req, n, "\r\n\r\n", 4); i++) {
        ssize_t k = read(fd, req + n, sizeof req - 1 - n);
        if (k > 0) n += (size_t)k;
        aser_loop_run_once(loop, 1);
    }
    req[n] = '\0';
    char *key = strcasestr(req, "Sec-WebSocket-Key: ");
    FZ_ASSERT(key);
    key += 19;
    key[strcspn(key, "\r")] = '\0';
    char acc[ASER_WS_ACCEPT_LEN + 1], ans[256];
    aser__ws_accept_key(key, acc);
    int k = snprintf(ans, sizeof ans,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     acc);
    FZ_ASSERT(send(fd, ans, (size_t)k, MSG_NOSIGNAL) == k);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (!loop) setup();
    if (!n) return 0;
    static const char *const schemes[] = {"rfc2217", "ws", "tcp"};
    unsigned kind = d[0] % 3;
    bool answer = (d[0] / 3) & 1;
    d++, n--;
    char url[128];
    snprintf(url, sizeof url, "%s://127.0.0.1:%d%s", schemes[kind], lport,
             kind == 1 ? "/ws/lab" : "");
    aser_port *p = NULL;
    aser_err err = {0};
    FZ_ASSERT(aser_open(loop, url, NULL, &p, &err) == 0);
    int fd = accept_it();
    FZ_ASSERT(fd >= 0);
    if (kind == 1 && answer) upgrade(fd);
    (void)aser_write(p, "hello", 5, NULL, NULL);
    if (kind == 0) {
        aser_config cfg;
        aser_port_config(p, &cfg);
        cfg.baud = 9600;
        (void)aser_configure(p, &cfg, NULL);
    }
    fz_pump(loop, fd, d, n);
    close(fd);
    for (int round = 0; round < 8; round++) aser_loop_run_once(loop, 0);
    aser_close(p);
    for (int round = 0; round < 8; round++) aser_loop_run_once(loop, 0);
    return 0;
}
