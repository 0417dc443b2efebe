/* test-mqtt-gateway.c: the MQTT gateway (aser_server_mqtt) and the mqtt://
 * endpoint through a real broker, on every loop the suite runs (built-in,
 * libuv, libevent): libmosquitto is driven through the loop's hooks, so
 * the adapters must carry it. The broker is Debian's mosquitto, started
 * here on 127.0.0.1 and an ephemeral port with a config in a temporary
 * directory, and killed at the end; without it the tests skip.
 *
 * The device is a mock pair (aserial/testing.h) whose modem lines are
 * emulated, so DTR set through the broker shows as the peer's DSR. */
#define _GNU_SOURCE
#include "test.h"
#include "util.h"

#include "aserial.h"
#include "aserial/testing.h"

#include <arpa/inet.h>
#include <mosquitto.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t broker_pid = -1;
static char broker_dir[64];

static void broker_stop(void)
{
    if (broker_pid > 0) {
        kill(broker_pid, SIGTERM);
        waitpid(broker_pid, NULL, 0);
        broker_pid = -1;
    }
    if (broker_dir[0]) {
        char p[128];
        snprintf(p, sizeof p, "%s/m.conf", broker_dir);
        unlink(p);
        rmdir(broker_dir);
        broker_dir[0] = '\0';
    }
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &len);
    close(s);
    return ntohs(a.sin_port);
}

/* Can this machine bind ::1 (IPv6 may be off)? */
static bool have_ipv6_loopback(void)
{
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool ok = s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0;
    if (s >= 0) close(s);
    return ok;
}

static bool accepts(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

/* Run mosquitto on the config in broker_dir; wait until it listens. */
static void broker_spawn(int port)
{
    char conf[128];
    snprintf(conf, sizeof conf, "%s/m.conf", broker_dir);
    broker_pid = fork();
    if (broker_pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1), dup2(null, 2);
        execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf, (char *)NULL);
        _exit(127);
    }
    uint64_t end = at_now_ms() + 5000;
    while (!accepts(port) && at_now_ms() < end) usleep(10000); /* the broker's start */
    CHECKM(accepts(port), "mosquitto did not listen on 127.0.0.1:%d within 5 s", port);
}

/* A broker on 127.0.0.1:port, or a skip when mosquitto is missing. */
static int broker_start(void)
{
    const char *bin = access("/usr/sbin/mosquitto", X_OK) == 0 ? "/usr/sbin/mosquitto" : NULL;
    if (!bin) at_skip("mosquitto is not installed (scripts/deps.sh check)");
    snprintf(broker_dir, sizeof broker_dir, "/tmp/aser-mqtt-XXXXXX");
    CHECK(mkdtemp(broker_dir) != NULL);
    int port = free_port();
    char conf[128];
    snprintf(conf, sizeof conf, "%s/m.conf", broker_dir);
    FILE *f = fopen(conf, "w");
    CHECK(f != NULL);
    /* 127.0.0.1 and ::1: "localhost" reaches it whichever comes first */
    fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", port);
    if (have_ipv6_loopback()) fprintf(f, "listener %d ::1\n", port);
    fclose(f);
    atexit(broker_stop);
    broker_spawn(port);
    return port;
}

typedef struct rec {
    int connected; /* "connected to the broker" events */
    char last[512];
} rec;

static void on_srv(aser_server *s, aser_server_event ev, int code, const char *text, void *ctx)
{
    rec *r = ctx;
    (void)s, (void)code;
    if (ev == ASER_SERVER_CLIENT_OPEN && strstr(text, "connected to the broker")) r->connected++;
    snprintf(r->last, sizeof r->last, "%s", text);
}

typedef struct got {
    int done, status;
    uint8_t buf[256];
    size_t len;
} got;

static void on_bytes(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    got *g = ctx;
    (void)p;
    g->status = status;
    if (n > sizeof g->buf) n = sizeof g->buf;
    if (n) memcpy(g->buf, d, n);
    g->len = n;
    g->done++;
}

/* Run loop until *flag or ms pass. */
static void run_until(aser_loop *loop, bool (*cond)(void *), void *arg, unsigned ms)
{
    uint64_t end = at_now_ms() + ms;
    while (!cond(arg) && at_now_ms() < end) ut_loop_run_once(loop, 20);
}

typedef struct link_rec {
    int lost, restored;
} link_rec;

static void on_link(aser_port *p, aser_link_event ev, void *ctx)
{
    link_rec *l = ctx;
    (void)p;
    if (ev == ASER_LINK_LOST) l->lost++;
    if (ev == ASER_LINK_RESTORED) l->restored++;
}

static bool dsr_off(void *arg)
{
    int v = aser_port_lines(arg);
    return v >= 0 && !(v & ASER_LINE_DSR);
}

static bool baud_9600(void *arg)
{
    aser_config c;
    aser_port_config(arg, &c);
    return c.baud == 9600;
}

/* The broker restarts: the gateway reconnects by itself, the endpoint
 * with reconnect on comes back, and bytes flow again. */
static void check_broker_restart(aser_loop *loop, aser_port *ep, aser_port *peer, rec *r, int port)
{
    got g;
    static link_rec lk; /* the port keeps calling on_link after this returns */
    lk = (link_rec){0};
    CHECK_EQ(
        aser_set_reconnect(ep, &(aser_reconnect_opts){.enabled = true, .cb = on_link, .ctx = &lk}),
        0);
    kill(broker_pid, SIGTERM);
    waitpid(broker_pid, NULL, 0);
    broker_spawn(port);
    uint64_t until = at_now_ms() + 15000;
    while (!lk.restored && at_now_ms() < until) ut_loop_run_once(loop, 20);
    CHECKM(lk.lost >= 1 && lk.restored == 1, "lost %d, restored %d: %s", lk.lost, lk.restored,
           aser_port_errmsg(ep));
    CHECK(r->connected >= 2); /* the gateway reconnected too (the endpoint waited for it) */
    g = (got){0};
    CHECK(aser_read_exactly(peer, 5, 5000, on_bytes, &g) > 0);
    CHECK(aser_write(ep, "again", 5, NULL, NULL) >= 0);
    ut_run_until(loop, &g.done, 5000);
    CHECKM(g.done == 1 && g.len == 5 && !memcmp(g.buf, "again", 5), "status %d: %s", g.status,
           aser_port_errmsg(ep));
}

/* A broker named, not numbered: looked up off the loop. */
static void check_by_name(aser_loop *loop, aser_port *peer, int port)
{
    aser_err err = {0};
    got g;
    aser_port *byname;
    char named[160];
    snprintf(named, sizeof named, "mqtt://localhost:%d/ct/m", port);
    CHECKM(aser_open(loop, named, NULL, &byname, &err) == 0, "%s", err.msg);
    g = (got){0};
    CHECK(aser_read_exactly(peer, 4, 5000, on_bytes, &g) > 0);
    CHECK(aser_write(byname, "name", 4, NULL, NULL) >= 0);
    ut_run_until(loop, &g.done, 5000);
    CHECKM(g.done == 1 && g.len == 4 && !memcmp(g.buf, "name", 4), "status %d: %s", g.status,
           aser_port_errmsg(byname));
    aser_close(byname);
}

TEST_T(mqtt, gateway_and_endpoint_through_a_broker, 60)
{
    int port = broker_start();
    aser_loop *loop = ut_loop_new();
    aser_err err = {0};
    aser_mock *m;
    aser_port *dev, *peer, *ep;
    CHECK_EQ(aser_mock_new(loop, "m24", &m), 0);
    CHECKM(aser_open(loop, "mock://m24", NULL, &dev, &err) == 0, "%s", err.msg);
    CHECK_EQ(aser_mock_open_peer(m, NULL, &peer), 0);
    rec r = {0};
    aser_server *s;
    CHECKM(aser_server_start(dev, &(aser_server_opts){.cb = on_srv, .ctx = &r}, &s, &err) == 0,
           "%s", err.msg);
    char url[128];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d/ct", port);
    aser_mqtt_opts mo = {.url = url, .name = "m"};
    CHECKM(aser_server_mqtt(s, &mo, &err) == 0, "%s", err.msg);
    ut_run_until(loop, &r.connected, 5000);
    CHECKM(r.connected == 1, "the gateway did not connect: %s", r.last);

    /* the exports the broker knows */
    aser_mqtt_export *l = NULL;
    size_t n = 0;
    uint64_t end = at_now_ms() + 5000;
    do { /* the status is published from the loop, after the connect event */
        aser_mqtt_list_free(l);
        ut_loop_run_once(loop, 20);
        CHECKM(aser_mqtt_list(url, 3000, &l, &n, &err) == 0, "%s", err.msg);
    } while (n == 0 && at_now_ms() < end);
    CHECK_EQ(n, 1);
    CHECK_STR(l[0].name, "m");
    CHECK_STR(l[0].state, "online");
    char want[160];
    snprintf(want, sizeof want, "%s/m", url);
    CHECK_STR(l[0].url, want);
    aser_mqtt_list_free(l);

    /* bytes both ways through the broker */
    CHECKM(aser_open(loop, want, NULL, &ep, &err) == 0, "%s", err.msg);
    got g = {0};
    CHECK(aser_read_exactly(peer, 5, 5000, on_bytes, &g) > 0);
    CHECK(aser_write(ep, "hello", 5, NULL, NULL) >= 0);
    ut_run_until(loop, &g.done, 5000);
    CHECKM(g.done == 1 && g.status == 0 && g.len == 5 && !memcmp(g.buf, "hello", 5),
           "status %d, %zu bytes: %s", g.status, g.len, aser_port_errmsg(ep));
    g = (got){0};
    CHECK(aser_read_exactly(ep, 5, 5000, on_bytes, &g) > 0);
    CHECK(aser_write(peer, "world", 5, NULL, NULL) >= 0);
    ut_run_until(loop, &g.done, 5000);
    CHECKM(g.done == 1 && g.len == 5 && !memcmp(g.buf, "world", 5), "status %d", g.status);

    /* DTR and settings reach the device; its lines come back */
    CHECK_EQ(aser_set_lines(ep, ASER_LINE_DTR, 0), 0);
    run_until(loop, dsr_off, peer, 5000);
    CHECKM(dsr_off(peer), "the peer's DSR: %d", aser_port_lines(peer));
    aser_config cfg;
    aser_port_config(ep, &cfg);
    cfg.baud = 9600;
    CHECKM(aser_configure(ep, &cfg, &err) == 0, "%s", err.msg);
    run_until(loop, baud_9600, dev, 5000);
    CHECK(baud_9600(dev));
    run_until(loop, baud_9600, ep, 5000); /* the status brings it back */
    CHECK(baud_9600(ep));

    check_broker_restart(loop, ep, peer, &r, port);
    check_by_name(loop, peer, port);

    /* the gateway stops: the endpoint hears it went offline */
    g = (got){0};
    CHECK(aser_read_exactly(ep, 1, 5000, on_bytes, &g) > 0);
    aser_server_stop(s);
    ut_run_until(loop, &g.done, 5000);
    CHECKM(g.done == 1 && g.status == ASER_EDISCONNECTED, "status %d: %s", g.status,
           aser_port_errmsg(ep));
    CHECK_CONTAINS(aser_port_errmsg(ep), "offline");

    aser_close(ep);
    aser_close(peer);
    aser_close(dev);
    aser_mock_free(m);
    ut_run_for(loop, 10); /* deferred frees (the server's sweep, the ports) */
    ut_loop_free(loop);
    broker_stop();
}

TEST_T(mqtt, refusals_name_the_fix, 30)
{
    int port = broker_start();
    aser_loop *loop = ut_loop_new();
    aser_err err = {0};
    aser_port *p;
    char url[128];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d/ct/absent", port);
    int rc = aser_open(NULL, url, NULL, &p, &err); /* the blocking API waits for the answer */
    CHECKM(rc == ASER_ENOENT, "%d: %s", rc, err.msg);
    CHECK_CONTAINS(err.msg, "no such export");
    CHECK_CONTAINS(err.msg, "aserial list");
    CHECK_EQ(aser_open(loop, "mqtt://127.0.0.1/ct", NULL, &p, &err), ASER_EBADURL);
    CHECK_CONTAINS(err.msg, "PREFIX/NAME");
    aser_mock *m;
    aser_port *dev;
    aser_server *s;
    CHECK_EQ(aser_mock_new(loop, "m24b", &m), 0);
    CHECK_EQ(aser_open(loop, "mock://m24b", NULL, &dev, &err), 0);
    CHECK_EQ(aser_server_start(dev, &(aser_server_opts){0}, &s, &err), 0);
    CHECK_EQ(aser_server_mqtt(s, &(aser_mqtt_opts){.url = "http://x/y", .name = "a"}, &err),
             ASER_EBADURL);
    CHECK_EQ(aser_server_mqtt(s, &(aser_mqtt_opts){.url = "mqtt://x/y", .name = "a/b"}, &err),
             ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "--name");
    CHECK_EQ(
        aser_server_mqtt(
            s,
            &(aser_mqtt_opts){.url = "mqtt://x/y", .name = "a", .auth_file = "/nonexistent/creds"},
            &err),
        ASER_EINVAL);
    CHECK_CONTAINS(err.msg, "/nonexistent/creds");
    aser_server_stop(s);
    aser_close(dev);
    aser_mock_free(m);
    ut_run_for(loop, 10); /* deferred frees (the server's sweep, the ports) */
    ut_loop_free(loop);
    broker_stop();
}

/* ---- many ports, one broker session ----------------------------------------------------- */


enum {
    NSHARE = 50
};

typedef struct share_rec {
    int done[NSHARE], status[NSHARE];
    char reply[NSHARE][32];
    int lost, restored, named; /* link events; losses whose message names the broker */
    char broker[64];           /* "127.0.0.1:PORT" */
} share_rec;

static share_rec sh; /* the ports call back into it until they are freed */

static void on_share_reply(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    int i = (int)(intptr_t)ctx;
    (void)p;
    sh.status[i] = status;
    snprintf(sh.reply[i], sizeof sh.reply[i], "%.*s", (int)(n < 31 ? n : 31), (const char *)d);
    sh.done[i]++;
}

static void on_share_link(aser_port *p, aser_link_event ev, void *ctx)
{
    (void)ctx;
    if (ev == ASER_LINK_LOST) {
        sh.lost++;
        if (strstr(aser_port_errmsg(p), sh.broker)) sh.named++;
    }
    if (ev == ASER_LINK_RESTORED) sh.restored++;
}

/* Ask every open port (ep[i] != NULL) "PING i" and wait for the answers. */
static int ask_all(aser_loop *loop, aser_port **ep, bool wait)
{
    int asked = 0;
    for (int i = 0; i < NSHARE; i++) {
        sh.done[i] = 0;
        sh.status[i] = 1;
        sh.reply[i][0] = '\0';
        if (!ep[i]) continue;
        char req[32];
        int n = snprintf(req, sizeof req, "PING %d\n", i);
        CHECK(aser_query(ep[i], req, (size_t)n, &(aser_query_opts){.timeout_ms = 10000},
                         on_share_reply, (void *)(intptr_t)i) > 0);
        asked++;
    }
    if (!wait) return asked;
    uint64_t end = at_now_ms() + 15000;
    for (int answered = 0; answered < asked && at_now_ms() < end;) {
        ut_loop_run_once(loop, 20);
        answered = 0;
        for (int i = 0; i < NSHARE; i++) answered += ep[i] && sh.done[i];
    }
    for (int i = 0; i < NSHARE; i++) {
        if (!ep[i]) continue;
        char want[32];
        snprintf(want, sizeof want, "PONG %d", i);
        CHECKM(sh.done[i] == 1 && sh.status[i] == 0 && !strcmp(sh.reply[i], want),
               "port %d: %d answers, status %d, \"%s\": %s", i, sh.done[i], sh.status[i],
               sh.reply[i], aser_port_errmsg(ep[i]));
    }
    return asked;
}

typedef struct runner {
    aser_loop *loop;
    volatile int stop;
} runner;

static void *run_loop(void *arg)
{
    runner *r = arg;
    while (!r->stop) ut_loop_run_once(r->loop, 20);
    return NULL;
}

/* The blocking API: the port's private loop has a session of its own; the
 * gateways run on loop, in a thread meanwhile. */
static void check_blocking(aser_loop *loop, const char *url)
{
    runner r = {.loop = loop};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, run_loop, &r), 0);
    aser_err err = {0};
    aser_port *bp;
    char u[160], buf[32];
    snprintf(u, sizeof u, "%s/s2", url);
    int rc = aser_open(NULL, u, NULL, &bp, &err);
    ssize_t n = rc == 0 ? aser_query_sync(bp, "PING b\n", 7,
                                          &(aser_query_opts){.timeout_ms = 10000}, buf, sizeof buf)
                        : rc;
    if (rc == 0) aser_close(bp);
    r.stop = 1;
    pthread_join(th, NULL);
    CHECKM(rc == 0, "%s", err.msg);
    CHECKM(n == 6 && !memcmp(buf, "PONG b", 6), "%zd", n);
}

/* NSHARE mqtt:// ports on one broker share one session: one broker
 * connection (libmosquitto's socket and socketpair, 3 descriptors) and one
 * descriptor a port (an eventfd; the portable build's self-pipe, two).
 * One port closing leaves the others working; the broker killed while
 * queries are in flight fails all of them, naming the broker, and with
 * reconnect on they all come back (on one new session) once it restarts.
 * The devices are sim: ports ("PING i" -> "PONG i") exported by gateways
 * in this process. */
TEST_T(mqtt, many_ports_share_one_broker_session, 90)
{
    int port = broker_start();
    aser_loop *loop = ut_loop_new();
    aser_err err = {0};
    static aser_port *dev[NSHARE], *ep[NSHARE];
    static aser_server *srv[NSHARE];
    rec r = {0};
    char url[128];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d/cs", port);
    memset(&sh, 0, sizeof sh);
    snprintf(sh.broker, sizeof sh.broker, "127.0.0.1:%d", port);
    for (int i = 0; i < NSHARE; i++) {
        char name[16], dn[24];
        snprintf(name, sizeof name, "s%d", i);
        snprintf(dn, sizeof dn, "sim:%s", name);
        CHECKM(aser_open(loop, dn, NULL, &dev[i], &err) == 0, "%s", err.msg);
        CHECKM(aser_server_start(dev[i], &(aser_server_opts){.cb = on_srv, .ctx = &r}, &srv[i],
                                 &err) == 0,
               "%s", err.msg);
        CHECKM(aser_server_mqtt(srv[i], &(aser_mqtt_opts){.url = url, .name = name}, &err) == 0,
               "%s", err.msg);
    }
    uint64_t end = at_now_ms() + 10000;
    while (r.connected < NSHARE && at_now_ms() < end) ut_loop_run_once(loop, 20);
    CHECKM(r.connected == NSHARE, "%d gateways connected: %s", r.connected, r.last);
    aser_mqtt_export *l = NULL;
    size_t n = 0;
    end = at_now_ms() + 5000;
    do { /* the statuses are published from the loop, after the connect events */
        aser_mqtt_list_free(l);
        ut_loop_run_once(loop, 20);
        CHECKM(aser_mqtt_list(url, 3000, &l, &n, &err) == 0, "%s", err.msg);
    } while (n < NSHARE && at_now_ms() < end);
    aser_mqtt_list_free(l);
    CHECK_EQ(n, NSHARE);

    int fds0 = ut_open_fds();
    for (int i = 0; i < NSHARE; i++) {
        char u[160];
        snprintf(u, sizeof u, "%s/s%d", url, i);
        CHECKM(aser_open(loop, u, NULL, &ep[i], &err) == 0, "%s: %s", u, err.msg);
    }
    ask_all(loop, ep, true);
    const int per_port = ut_wake_fds();
    if (fds0 >= 0)
        CHECKM(ut_open_fds() - fds0 == per_port * NSHARE + 3,
               "%d descriptors for %d mqtt:// ports (want %d each and 3 for the session)",
               ut_open_fds() - fds0, NSHARE, per_port);

    /* one port closes: the others keep working, the session stays */
    aser_close(ep[0]);
    ep[0] = NULL;
    ut_run_for(loop, 50);
    ask_all(loop, ep, true);

    check_blocking(loop, url);

    /* the same export opened twice: the second port opens (the broker sends
     * the retained status again), and its close does not unsubscribe the
     * first */
    char u1[160];
    snprintf(u1, sizeof u1, "%s/s1", url);
    aser_port *dup;
    CHECKM(aser_open(loop, u1, NULL, &dup, &err) == 0, "%s", err.msg);
    got g = {0};
    CHECK(aser_query(dup, "PING d\n", 7, &(aser_query_opts){.timeout_ms = 10000}, on_bytes, &g) >
          0);
    ut_run_until(loop, &g.done, 10000);
    CHECKM(g.done == 1 && g.status == 0 && g.len == 6 && !memcmp(g.buf, "PONG d", 6),
           "status %d: %s", g.status, aser_port_errmsg(dup));
    aser_close(dup);
    ut_run_for(loop, 50);
    ask_all(loop, ep, true);
    if (fds0 >= 0)
        CHECKM(ut_open_fds() - fds0 == per_port * (NSHARE - 1) + 3, "%d descriptors after a close",
               ut_open_fds() - fds0);

    /* the broker dies with queries in flight: every port fails, naming it */
    for (int i = 1; i < NSHARE; i++)
        CHECK_EQ(aser_set_reconnect(ep[i], &(aser_reconnect_opts){.enabled = true,
                                                                  .max_delay_ms = 1000,
                                                                  .cb = on_share_link}),
                 0);
    int asked = ask_all(loop, ep, false);
    ut_loop_run_once(loop, 0); /* the queries go out */
    kill(broker_pid, SIGKILL);
    waitpid(broker_pid, NULL, 0);
    end = at_now_ms() + 10000;
    while (sh.lost < NSHARE - 1 && at_now_ms() < end) ut_loop_run_once(loop, 20);
    CHECKM(sh.lost == NSHARE - 1 && sh.named == NSHARE - 1, "lost %d, named the broker %d: %s",
           sh.lost, sh.named, aser_port_errmsg(ep[1]));
    int finished = 0;
    for (int i = 1; i < NSHARE; i++) {
        finished += sh.done[i];
        CHECKM(sh.done[i] <= 1 &&
                   (sh.status[i] == 0 || sh.status[i] == ASER_EDISCONNECTED || !sh.done[i]),
               "port %d: %d answers, status %d", i, sh.done[i], sh.status[i]);
    }
    CHECK(asked == NSHARE - 1);
    ut_run_for(loop, 50);
    for (int i = 1; i < NSHARE; i++) /* what was pending at the loss failed */
        CHECKM(sh.done[i] == 1, "port %d: %d answers (%d finished at the loss)", i, sh.done[i],
               finished);

    /* the broker is back: the gateways and the ports reconnect */
    broker_spawn(port);
    end = at_now_ms() + 30000;
    while (sh.restored < NSHARE - 1 && at_now_ms() < end) ut_loop_run_once(loop, 20);
    CHECKM(sh.restored == NSHARE - 1, "restored %d of %d: %s", sh.restored, NSHARE - 1,
           aser_port_errmsg(ep[1]));
    ask_all(loop, ep, true);
    if (fds0 >= 0)
        CHECKM(ut_open_fds() - fds0 == per_port * (NSHARE - 1) + 3,
               "%d descriptors after the reconnect (one new session?)", ut_open_fds() - fds0);

    for (int i = 1; i < NSHARE; i++) aser_close(ep[i]);
    ut_run_for(loop, 50);
    if (fds0 >= 0) /* the last port's close ended the session */
        CHECKM(ut_open_fds() == fds0, "%d descriptors left", ut_open_fds() - fds0);
    for (int i = 0; i < NSHARE; i++) {
        aser_server_stop(srv[i]);
        aser_close(dev[i]);
    }
    ut_run_for(loop, 10);
    ut_loop_free(loop);
    broker_stop();
}

enum {
    NTURN = 600
};

static int turn_done, turn_enoent;

static void on_turn(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    (void)d, (void)n, (void)ctx;
    turn_done++;
    if (status == ASER_ENOENT && strstr(aser_port_errmsg(p), "no such export")) turn_enoent++;
}

/* More opens at once than a link lets subscribe (ASER_MQTT_OPENS, 256):
 * the rest wait their turn, and each is answered (here: no such export,
 * from its probe, not a timeout); nothing is left open afterwards. */
TEST_T(mqtt, opens_take_their_turn_on_a_shared_session, 60)
{
    int port = broker_start();
    aser_loop *loop = ut_loop_new();
    aser_err err = {0};
    static aser_port *p[NTURN];
    int fds0 = ut_open_fds();
    turn_done = turn_enoent = 0;
    for (int i = 0; i < NTURN; i++) {
        char u[128];
        snprintf(u, sizeof u, "mqtt://127.0.0.1:%d/ct/none%d", port, i);
        CHECKM(aser_open(loop, u, NULL, &p[i], &err) == 0, "%s: %s", u, err.msg);
        CHECK(aser_read(p[i], 1, 20000, on_turn, NULL) > 0);
    }
    uint64_t end = at_now_ms() + 20000;
    while (turn_done < NTURN && at_now_ms() < end) ut_loop_run_once(loop, 20);
    CHECKM(turn_done == NTURN && turn_enoent == NTURN, "%d answered, %d no such export: %s",
           turn_done, turn_enoent, aser_port_errmsg(p[NTURN - 1]));
    for (int i = 0; i < NTURN; i++) aser_close(p[i]);
    ut_run_for(loop, 50);
    if (fds0 >= 0) CHECKM(ut_open_fds() == fds0, "%d descriptors left", ut_open_fds() - fds0);
    ut_loop_free(loop);
    broker_stop();
}

/* ---- rx by frames: an idle gap timed at the gateway ------------------------------------ */

typedef struct subs {
    int n;
    char msg[8][32];
} subs;

static void on_sub_msg(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    subs *sb = obj;
    (void)mosq;
    if (sb->n < 8 && msg->payloadlen < 32) {
        memcpy(sb->msg[sb->n], msg->payload, (size_t)msg->payloadlen);
        sb->msg[sb->n][msg->payloadlen] = '\0';
        sb->n++;
    }
}

/* Run the loop and the subscriber until it has want messages (or ms). */
static void pump(aser_loop *loop, struct mosquitto *sub, subs *sb, int want, unsigned ms)
{
    uint64_t end = at_now_ms() + ms;
    while (sb->n < want && at_now_ms() < end) {
        ut_loop_run_once(loop, 5);
        mosquitto_loop(sub, 5, 1);
    }
}

/* With an idle framer of 1 s (healthy: the bytes come well under 1 ms
 * apart), bytes the gateway reads in two reads are one rx message, ended
 * by the silence without a byte after it; the next bytes are the next
 * message. Without a framer they are two ("AB", "CD"). */
TEST_T(mqtt, idle_frames_are_cut_at_the_gateway, 30)
{
    int port = broker_start();
    aser_loop *loop = ut_loop_new();
    aser_err err = {0};
    aser_mock *m;
    aser_port *dev, *peer;
    CHECK_EQ(aser_mock_new(loop, "m24f", &m), 0);
    CHECKM(aser_open(loop, "mock://m24f", NULL, &dev, &err) == 0, "%s", err.msg);
    CHECK_EQ(aser_mock_open_peer(m, NULL, &peer), 0);
    rec r = {0};
    aser_server *s;
    CHECK_EQ(aser_server_start(dev, &(aser_server_opts){.cb = on_srv, .ctx = &r}, &s, &err), 0);
    aser_framer f;
    CHECK_EQ(aser_framer_idle(&f, 1000000u), 0);
    char url[128];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d/cf", port);
    CHECKM(aser_server_mqtt(s, &(aser_mqtt_opts){.url = url, .name = "f", .framer = &f}, &err) == 0,
           "%s", err.msg);
    ut_run_until(loop, &r.connected, 5000);
    CHECKM(r.connected == 1, "the gateway did not connect: %s", r.last);

    subs sb = {0};
    struct mosquitto *sub = mosquitto_new(NULL, true, &sb);
    CHECK(sub != NULL);
    mosquitto_message_callback_set(sub, on_sub_msg);
    CHECK_EQ(mosquitto_connect(sub, "127.0.0.1", port, 30), MOSQ_ERR_SUCCESS);
    int mid = 0;
    CHECK_EQ(mosquitto_subscribe(sub, &mid, "cf/f/rx", 1), MOSQ_ERR_SUCCESS);
    for (int i = 0; i < 20; i++) mosquitto_loop(sub, 10, 1); /* the SUBACK */

    /* the device's reads take 2 bytes at most: "ABCD" is two reads */
    CHECK_EQ(aser_mock_set_faults(m, 0, &(aser_fault_plan){.max_read = 2}), 0);
    CHECK(aser_write(peer, "ABCD", 4, NULL, NULL) >= 0);
    pump(loop, sub, &sb, 1, 10000);
    CHECKM(sb.n == 1 && !strcmp(sb.msg[0], "ABCD"), "%d messages, first \"%s\"", sb.n, sb.msg[0]);
    CHECK(aser_write(peer, "EF", 2, NULL, NULL) >= 0);
    pump(loop, sub, &sb, 2, 10000);
    CHECKM(sb.n == 2 && !strcmp(sb.msg[1], "EF"), "%d messages, second \"%s\"", sb.n, sb.msg[1]);

    mosquitto_disconnect(sub);
    mosquitto_destroy(sub);
    aser_server_stop(s);
    aser_close(peer);
    aser_close(dev);
    aser_mock_free(m);
    ut_run_for(loop, 10);
    ut_loop_free(loop);
    broker_stop();
}

/* ---- hotplug: aser_mqtt_watch ----------------------------------------------------------- */

typedef struct wrec {
    int ready, added, removed, lost, present;
    char last[96];
} wrec;

static void on_watch(aser_mqtt_watch *w, aser_mqtt_watch_event ev, const aser_mqtt_export *e,
                     void *ctx)
{
    wrec *r = ctx;
    (void)w;
    if (ev == ASER_MQTT_READY) r->ready++;
    if (ev == ASER_MQTT_PRESENT) r->present++;
    if (ev == ASER_MQTT_ADDED) r->added++;
    if (ev == ASER_MQTT_REMOVED) r->removed++;
    if (ev == ASER_MQTT_BROKER_LOST) r->lost++;
    if (e) snprintf(r->last, sizeof r->last, "%s %s", aser_mqtt_watch_event_name(ev), e->name);
}

/* A gateway on a new mock under cw/NAME. */
static aser_server *watched_gateway(aser_loop *loop, const char *name, int port, aser_mock **m,
                                    aser_port **dev, rec *r)
{
    aser_err err = {0};
    char url[128];
    CHECK_EQ(aser_mock_new(loop, name, m), 0);
    snprintf(url, sizeof url, "mock://%s", name);
    CHECKM(aser_open(loop, url, NULL, dev, &err) == 0, "%s", err.msg);
    aser_server *s;
    CHECK_EQ(aser_server_start(*dev, &(aser_server_opts){.cb = on_srv, .ctx = r}, &s, &err), 0);
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d/cw", port);
    CHECKM(aser_server_mqtt(s, &(aser_mqtt_opts){.url = url, .name = name}, &err) == 0, "%s",
           err.msg);
    return s;
}

/* Exports coming and going, on every loop: ready with none present, a
 * gateway started is added, one stopped removed; across a broker restart
 * (its retained statuses gone with it) the export that did not come back
 * is removed once the watch is connected again. */
TEST_T(mqtt, watch_follows_exports_and_the_broker, 60)
{
    int port = broker_start();
    aser_loop *loop = ut_loop_new();
    aser_err err = {0};
    char url[128];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d/cw", port);
    wrec w = {0};
    aser_mqtt_watch *wt;
    CHECKM(aser_mqtt_watch_start(loop, url, on_watch, &w, &wt, &err) == 0, "%s", err.msg);
    CHECK_EQ(w.ready, 0); /* never from inside the call */
    ut_run_until(loop, &w.ready, 5000);
    CHECK(w.ready == 1 && w.present == 0);

    rec r1 = {0}, r2 = {0};
    aser_port *d1, *d2;
    aser_mock *m1, *m2;
    aser_server *s1 = watched_gateway(loop, "w1", port, &m1, &d1, &r1);
    ut_run_until(loop, &w.added, 5000);
    CHECKM(w.added == 1, "%s", w.last);
    CHECK_STR(w.last, "add w1");
    aser_server_stop(s1); /* publishes offline */
    ut_run_until(loop, &w.removed, 5000);
    CHECKM(w.removed == 1, "%s", w.last);
    CHECK_STR(w.last, "remove w1");

    aser_server *s2 = watched_gateway(loop, "w2", port, &m2, &d2, &r2);
    uint64_t end = at_now_ms() + 5000;
    while (w.added < 2 && at_now_ms() < end) ut_loop_run_once(loop, 20);
    CHECK_STR(w.last, "add w2");
    kill(broker_pid, SIGTERM); /* no persistence: the retained statuses go with it */
    waitpid(broker_pid, NULL, 0);
    ut_run_until(loop, &w.lost, 5000);
    CHECK_EQ(w.lost, 1);
    aser_server_stop(s2); /* while the broker is away: nobody hears its offline */
    broker_spawn(port);
    end = at_now_ms() + 15000;
    while (w.removed < 2 && at_now_ms() < end) ut_loop_run_once(loop, 20);
    CHECKM(w.removed == 2, "removed %d, last %s", w.removed, w.last);
    CHECK_STR(w.last, "remove w2");

    aser_mqtt_watch_stop(wt);
    aser_close(d1);
    aser_close(d2);
    ut_run_for(loop, 10);
    aser_mock_free(m1);
    aser_mock_free(m2);
    ut_loop_free(loop);
    broker_stop();
}
