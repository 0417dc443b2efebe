/* webpeer.c: a web console export of a mock instrument, for the browser
 * test (test/web/browser.py). One process: a mock cable (aserial/testing.h,
 * which has modem lines, unlike a pty), its host end served by an
 * aser_server with no TCP listener and exported as "lab" on an aser_web
 * listener; its device end answers "*IDN?" lines with "ACME,MOCK,1,0".
 * Prints "web PORT" when ready, then one line per event the test waits
 * for ("peer DSR on|off" when the console's DTR reaches the device).
 * Commands on stdin, one per line: "cts on|off" (the device's RTS, the
 * console's CTS lamp), "unplug", "replug", "quit".
 * Usage: webpeer */
#include "aserial.h"
#include "aserial/testing.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static aser_loop *loop;
static aser_mock *mock;
static aser_port *host, *dev;
static aser_server *srv;
static char line[256];
static size_t len;

static void on_dev_data(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    (void)ctx;
    if (status < 0) return;
    for (size_t i = 0; i < n; i++) {
        if (d[i] != '\n' && d[i] != '\r') {
            if (len < sizeof line - 1) line[len++] = (char)d[i];
            continue;
        }
        line[len] = '\0';
        if (!strcmp(line, "*IDN?")) aser_write(p, "ACME,MOCK,1,0\r\n", 15, NULL, NULL);
        len = 0;
    }
}

static void on_dev_lines(aser_port *p, unsigned lines, unsigned changed, unsigned errors, void *ctx)
{
    (void)p, (void)errors, (void)ctx;
    if (changed & ASER_LINE_DSR) printf("peer DSR %s\n", lines & ASER_LINE_DSR ? "on" : "off");
    fflush(stdout);
}

static void on_link(aser_port *p, aser_link_event ev, void *ctx)
{
    (void)p, (void)ctx;
    aser_server_link_changed(srv, ev);
    printf("link %s\n", ev == ASER_LINK_LOST       ? "lost"
                        : ev == ASER_LINK_RESTORED ? "back"
                                                   : "gave-up");
    fflush(stdout);
}

static int open_dev(void)
{
    if (aser_mock_open_peer(mock, NULL, &dev) < 0) return -1;
    aser_on_data(dev, on_dev_data, NULL);
    aser_on_lines(dev, 0, on_dev_lines, NULL);
    return 0;
}

static void command(const char *cmd)
{
    if (!strcmp(cmd, "cts on")) aser_set_lines(dev, ASER_LINE_RTS, ASER_LINE_RTS);
    if (!strcmp(cmd, "cts off")) aser_set_lines(dev, ASER_LINE_RTS, 0);
    if (!strcmp(cmd, "unplug")) {
        aser_mock_unplug(mock);
        aser_close(dev);
        dev = NULL;
    }
    if (!strcmp(cmd, "replug") && !dev && aser_mock_replug(mock) == 0) open_dev();
}

int main(void)
{
    aser_err err = {0};
    aser_web *web;
    if (aser_loop_new(&loop) < 0 || aser_mock_new(loop, "lab", &mock) < 0 ||
        aser_open(loop, "mock://lab", NULL, &host, &err) < 0 || open_dev() < 0) {
        fprintf(stderr, "webpeer: cannot set up the mock: %s\n", err.msg);
        return 1;
    }
    aser_set_reconnect(
        host, &(aser_reconnect_opts){
                  .enabled = true, .min_delay_ms = 50, .max_delay_ms = 200, .cb = on_link});
    aser_server_opts so = {.max_clients = 4, .kick_old = true};
    aser_web_opts wo = {.listen = "127.0.0.1:0"};
    if (aser_server_start(host, &so, &srv, &err) < 0 || aser_web_start(loop, &wo, &web, &err) < 0 ||
        aser_web_export(web, "lab", srv, &err) < 0) {
        fprintf(stderr, "webpeer: %s\n", err.msg);
        return 1;
    }
    printf("web %d\n", aser_web_port(web));
    fflush(stdout);
    char cmd[64];
    size_t cl = 0;
    for (;;) {
        aser_loop_run_once(loop, 20);
        struct pollfd pfd = {.fd = 0, .events = POLLIN};
        if (poll(&pfd, 1, 0) <= 0) continue;
        char ch;
        ssize_t n = read(0, &ch, 1);
        if (n <= 0) break;
        if (ch != '\n') {
            if (cl < sizeof cmd - 1) cmd[cl++] = ch;
            continue;
        }
        cmd[cl] = '\0';
        cl = 0;
        if (!strcmp(cmd, "quit")) break;
        command(cmd);
    }
    aser_web_stop(web);
    aser_server_stop(srv);
    if (dev) aser_close(dev);
    aser_close(host);
    for (int i = 0; i < 50; i++) aser_loop_run_once(loop, 5);
    aser_mock_free(mock);
    aser_loop_free(loop);
    return 0;
}
