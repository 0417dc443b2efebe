/* test-win-net.c: tcp:// under Wine against a Linux echo server (socat,
 * started by run.sh; its port is argv[1]): the asynchronous port, a host
 * name resolved on the helper thread, the blocking API, and a refused
 * connect reported with its sentence. */
#include "aserial.h"
#include "wtap.h"

#include <string.h>
#include <winsock2.h>

static aser_loop *L;


static void async_echo(const char *url)
{
    aser_port *p = NULL;
    aser_err err = {0};
    int rc = aser_open(L, url, NULL, &p, &err);
    res r = {0};
    aser_query_opts qo = {.timeout_ms = 3000};
    if (rc == 0) aser_query(p, "hello\n", 6, &qo, wt_on_read, &r);
    WT_RUN_UNTIL(L, r.calls, 5000);
    wt_ok(rc == 0 && r.calls == 1 && strcmp(r.data, "hello") == 0,
          "%s: a query through the Linux echo server (\"%s\", %s %s)", url, r.data,
          aser_err_name(rc ? rc : r.status), err.msg);
    if (p) aser_close(p);
    aser_loop_run_once(L, 10);
}

static int closed_port(void)
{
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &len);
    closesocket(s);
    return ntohs(a.sin_port);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) {
        printf("Bail out! usage: test-win-net ECHO_PORT\n");
        return 2;
    }
    WSADATA wd;
    WSAStartup(MAKEWORD(2, 2), &wd);
    if (aser_loop_new(&L) != 0) {
        printf("Bail out! aser_loop_new failed\n");
        return 1;
    }
    char url[128];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%s", argv[1]);
    async_echo(url);
    snprintf(url, sizeof url, "tcp://localhost:%s", argv[1]);
    async_echo(url);

    /* The blocking API. */
    snprintf(url, sizeof url, "tcp://127.0.0.1:%s", argv[1]);
    aser_port *b = NULL;
    aser_err err = {0};
    int rc = aser_open(NULL, url, NULL, &b, &err);
    wt_ok(rc == 0, "blocking open of %s (%s)", url, err.msg);
    if (rc == 0) {
        char buf[64];
        aser_query_opts qo = {.timeout_ms = 3000};
        ssize_t n = aser_query_sync(b, "sync\n", 5, &qo, buf, sizeof buf);
        wt_ok(n == 4 && memcmp(buf, "sync", 4) == 0, "aser_query_sync: %zd bytes", n);
        rc = aser_write_sync(b, "abcdef", 6, 2000);
        n = aser_read_exactly_sync(b, buf, 6, 2000);
        wt_ok(rc == 0 && n == 6 && memcmp(buf, "abcdef", 6) == 0,
              "aser_write_sync then aser_read_exactly_sync: %zd bytes", n);
        uint64_t t0 = wt_now_ms();
        n = aser_read_sync(b, buf, sizeof buf, 100);
        uint64_t took = wt_now_ms() - t0;
        wt_ok(n == ASER_ETIMEDOUT && took >= 95 && took < 1000,
              "aser_read_sync on a silent socket times out after 100 ms (%s, %llu ms)",
              aser_err_name((int)n), (unsigned long long)took);
        aser_close(b);
    }

    int dead = closed_port();
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d?connect_timeout=3000", dead);
    memset(&err, 0, sizeof err);
    uint64_t t0 = wt_now_ms();
    rc = aser_open(NULL, url, NULL, &b, &err);
    wt_ok(rc == ASER_ECONNREFUSED && strstr(err.msg, "refused"),
          "a refused connect is ASER_ECONNREFUSED with the sentence (%s after %llu ms: %s)",
          aser_err_name(rc), (unsigned long long)(wt_now_ms() - t0), err.msg);
    if (rc == 0) aser_close(b);

    rc = aser_loop_free(L);
    wt_ok(rc == 0, "the loop frees cleanly");
    return wt_done();
}
