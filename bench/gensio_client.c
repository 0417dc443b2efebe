/* gensio_client.c: the fan-out workload through gensio (Debian's
 * libgensio-dev), its asynchronous API on one thread: one serialdev gensio
 * per port, read callbacks enabled, and each reply line's read event writes
 * that port's next request. The loop is gensio_os_funcs_service().
 *
 *   gensio_client <paths-file> <nports> <seconds> [warmup]
 *
 * Each port is "serialdev(nouucplock),<path>,115200n81,local": no UUCP lock
 * files for /dev/pts/N, and modem lines ignored (a pseudo-terminal has
 * none). Opening uses gensio_open_s (blocking, at set-up only). */
#include "bench.h"

#include <gensio/gensio.h>

typedef struct port {
    struct gensio *io;
    char req[32];
    size_t reqlen;
    char in[256];
    size_t inlen;
    uint64_t sent;
} port;

static window w;
static lat_set lat;
static int done;

static void vlog(struct gensio_os_funcs *f, enum gensio_log_levels level, const char *log,
                 va_list args)
{
    (void)f;
    fprintf(stderr, "gensio_client: gensio %s log: ", gensio_log_level_to_str(level));
    vfprintf(stderr, log, args);
    fputc('\n', stderr);
}

static void send_req(port *p, uint64_t now)
{
    gensiods count = 0;
    p->sent = now;
    int rv = gensio_write(p->io, &count, p->req, p->reqlen, NULL);
    if (rv) die("gensio_client: gensio_write", gensio_err_to_str(rv));
    /* 10 bytes into an empty tty buffer: a short write would be a bug here */
    if (count != p->reqlen) die("gensio_client", "gensio_write took part of a request");
}

static int io_event(struct gensio *io, void *user_data, int event, int err, unsigned char *buf,
                    gensiods *buflen, const char *const *auxdata)
{
    (void)io;
    (void)auxdata;
    port *p = user_data;
    if (event != GENSIO_EVENT_READ) return GE_NOTSUP;
    if (err) die("gensio_client: read", gensio_err_to_str(err));
    size_t len = *buflen; /* everything is consumed: partial lines are kept here */
    if (len > sizeof p->in - p->inlen) die("gensio_client", "reply line too long");
    memcpy(p->in + p->inlen, buf, len);
    p->inlen += len;
    char *nl = memchr(p->in, '\n', p->inlen);
    if (!nl) return 0;
    if (memcmp(p->in, "PONG", 4) != 0) die("gensio_client", "unexpected reply");
    p->inlen = 0; /* one request in flight: nothing follows the reply */
    uint64_t now = now_ns();
    if (window_record(&w, &lat, p->sent, now)) done = 1;
    if (!done) send_req(p, now);
    return 0;
}

int main(int argc, char **argv)
{
    bench_args a = parse_args(argc, argv, "<paths-file> <nports> <seconds> [warmup]");
    raise_nofile();
    char **paths = read_paths(a.paths_file, a.n);
    port *ports = calloc(a.n, sizeof *ports);
    if (!ports) die("gensio_client", "out of memory");
    lat_init(&lat);
    struct gensio_os_funcs *o;
    struct gensio_os_proc_data *proc;
    int rv = gensio_default_os_hnd(0, &o); /* one thread: no wake signal needed */
    if (rv) die("gensio_client: gensio_default_os_hnd", gensio_err_to_str(rv));
    gensio_os_funcs_set_vlog(o, vlog);
    if ((rv = gensio_os_proc_setup(o, &proc)))
        die("gensio_client: gensio_os_proc_setup", gensio_err_to_str(rv));
    for (size_t i = 0; i < a.n; i++) {
        port *p = &ports[i];
        char spec[300];
        snprintf(spec, sizeof spec, "serialdev(nouucplock),%s,115200n81,local", paths[i]);
        if ((rv = str_to_gensio(spec, o, io_event, p, &p->io)))
            die("gensio_client: str_to_gensio", gensio_err_to_str(rv));
        if ((rv = gensio_open_s(p->io))) die("gensio_client: gensio_open_s", gensio_err_to_str(rv));
        gensio_set_read_callback_enable(p->io, true);
        p->reqlen = (size_t)snprintf(p->req, sizeof p->req, "PING %zu\n", i);
    }
    window_init(&w, a.warmup, a.seconds);
    for (size_t i = 0; i < a.n; i++) send_req(&ports[i], now_ns());
    while (!done) {
        gensio_time t = {0, 100 * 1000 * 1000};
        rv = gensio_os_funcs_service(o, &t);
        if (rv && rv != GE_TIMEDOUT && rv != GE_INTERRUPTED)
            die("gensio_client: gensio_os_funcs_service", gensio_err_to_str(rv));
        if (now_ns() >= w.t1 + 1000000000u) break; /* lost replies must not hang us */
    }
    print_result("gensio", a.n, &w, &lat);
    /* Process exit closes the ttys; gensio_close_s per port would wait out
     * serialdev's drain timers (0.5 s each) for nothing. */
    return w.done ? 0 : 1;
}
