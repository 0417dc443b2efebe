/* transport/mock.c: an in-memory pair (AF_UNIX socketpair) behind the
 * transport table, with emulated modem lines and a fault plan per end.
 *
 * Delivery faults (latency, bandwidth) are applied on the receiving side:
 * a read takes a batch from the socket into the end's stage and releases
 * it when it is due; while the stage holds bytes the port does not watch
 * the socket (io_mask), and a timer replays readiness, so nothing spins. */
#define _GNU_SOURCE
#include "aserial/testing.h"
#include "loop/loop.h"
#include "os/socket.h"
#include "transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef ASER_OS_UNIX
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#define STAGE_CAP 65536

typedef struct mock_end {
    struct aser_mock *m;
    int idx;
    aser_port *port;
    unsigned lines; /* DTR/RTS set by this end */
    aser_fault_plan plan;
    unsigned eagain_left, eintr_left;
    bool eio_pending;
    uint64_t bytes;
    uint8_t *stage;
    size_t soff, slen;
    uint64_t due;     /* when the staged batch may be delivered, us */
    uint64_t tb_time; /* bandwidth: last refill */
    double tokens;
    aser_tmr *tmr;
    bool armed; /* tmr will replay readiness */
} mock_end;

struct aser_mock {
    aser_loop *loop;
    char *name;
    int fd[2];
    bool unplugged;
    mock_end end[2];
    struct aser_mock *next;
};

static mock_end *end_of(aser_port *p)
{
    return aser__conn(p)->data;
}

/* ---- faults --------------------------------------------------------------------- */

static void rearm_bursts(mock_end *e)
{
    e->eagain_left = e->plan.eagain_burst;
    e->eintr_left = e->plan.eintr_burst;
}

/* A burst in progress answers instead of the socket. 0: go ahead. */
static int burst(mock_end *e)
{
    if (e->eintr_left) {
        e->eintr_left--;
        return ASER_EINTR;
    }
    if (e->eagain_left) {
        e->eagain_left--;
        return ASER_EAGAIN;
    }
    return 0;
}

static void unplug(struct aser_mock *m)
{
    if (m->unplugged) return;
    m->unplugged = true;
    for (int i = 0; i < 2; i++) aser__sock_shutdown(m->fd[i], SHUT_RDWR); /* both see EOF */
}

static void count(mock_end *e, size_t n)
{
    e->bytes += n;
    if (e->plan.disconnect_after && e->bytes >= e->plan.disconnect_after) unplug(e->m);
}

static void arm(mock_end *e, uint64_t at)
{
    uint64_t now = aser__now_us();
    e->armed = true;
    aser__tmr_start(e->tmr, at > now ? at - now : 0);
}

/* Bytes the bandwidth cap allows now (refilled at bytes_per_sec). */
static size_t tokens(mock_end *e, uint64_t now)
{
    if (!e->plan.bytes_per_sec) return SIZE_MAX;
    double rate = e->plan.bytes_per_sec, cap = rate / 20 + 1;
    e->tokens += (double)(now - e->tb_time) * rate / 1e6;
    if (e->tokens > cap) e->tokens = cap;
    e->tb_time = now;
    return (size_t)e->tokens;
}

/* ---- transport ------------------------------------------------------------------- */

static ssize_t stage_fill(mock_end *e)
{
    ssize_t r = aser__sock_recv(e->m->fd[e->idx], e->stage, STAGE_CAP);
    if (r <= 0) return r == 0 ? 0 : aser__errno(errno);
    e->soff = 0;
    e->slen = (size_t)r;
    e->due = aser__now_us() + (uint64_t)e->plan.latency_ms * 1000u;
    return r;
}

static ssize_t mock_read(aser_port *p, void *buf, size_t n)
{
    mock_end *e = end_of(p);
    if (e->m->unplugged) return 0; /* a pulled cable delivers nothing more */
    if (e->eio_pending) {
        e->eio_pending = false;
        return ASER_EIO;
    }
    int b = burst(e);
    if (b) {
        if (e->soff < e->slen) arm(e, aser__now_us()); /* the socket is not watched */
        return b;
    }
    if (e->soff == e->slen) {
        ssize_t r = stage_fill(e);
        if (r <= 0) return r;
    }
    uint64_t now = aser__now_us();
    if (now < e->due) {
        arm(e, e->due);
        return ASER_EAGAIN;
    }
    size_t allow = ASER_MIN(n, e->slen - e->soff);
    if (e->plan.max_read) allow = ASER_MIN(allow, e->plan.max_read);
    allow = ASER_MIN(allow, tokens(e, now));
    if (allow == 0) {
        arm(e, now + 1000000u / e->plan.bytes_per_sec + 1);
        return ASER_EAGAIN;
    }
    memcpy(buf, e->stage + e->soff, allow);
    e->soff += allow;
    if (e->plan.bytes_per_sec) e->tokens -= (double)allow;
    if (e->soff < e->slen) arm(e, now); /* more staged: replay readiness */
    rearm_bursts(e);
    count(e, allow);
    return (ssize_t)allow;
}

static ssize_t mock_write(aser_port *p, const void *buf, size_t n)
{
    mock_end *e = end_of(p);
    if (e->m->unplugged) return ASER_EPIPE;
    int b = burst(e);
    if (b) return b;
    if (e->plan.max_write) n = ASER_MIN(n, e->plan.max_write);
    ssize_t r = aser__sock_send(e->m->fd[e->idx], buf, n);
    if (r < 0) return aser__errno(errno);
    rearm_bursts(e);
    count(e, (size_t)r);
    return r;
}

static unsigned mock_io_mask(aser_port *p, unsigned ev)
{
    mock_end *e = end_of(p);
    if (e->soff == e->slen) return ev;
    /* Bytes are staged and the socket is not watched: the timer replays
     * readiness. A replay that came while the port's read buffer was full
     * read nothing, so when the port wants bytes again, replay now. */
    if ((ev & ASER_EV_READ) && !e->armed) arm(e, aser__now_us());
    return ev & ~(unsigned)ASER_EV_READ;
}

static void on_tmr(void *arg)
{
    mock_end *e = arg;
    e->armed = false;
    if (e->port) aser__port_io(e->port, ASER_EV_READ);
}

static int mock_apply(aser_port *p, const aser_config *cur, const aser_config *cfg, aser_caps *caps,
                      aser_err *err)
{
    (void)p, (void)cur, (void)caps;
    return aser_config_validate(cfg, err);
}

static int mock_modem_get(aser_port *p)
{
    mock_end *e = end_of(p);
    unsigned peer = e->m->end[1 - e->idx].lines, v = e->lines;
    if (peer & ASER_LINE_RTS) v |= ASER_LINE_CTS;
    if (peer & ASER_LINE_DTR) v |= ASER_LINE_DSR | ASER_LINE_CD;
    return (int)v;
}

static int mock_modem_set(aser_port *p, unsigned mask, unsigned values)
{
    if (mask & ~(unsigned)(ASER_LINE_DTR | ASER_LINE_RTS)) return ASER_EINVAL;
    mock_end *e = end_of(p);
    unsigned before = e->lines;
    e->lines = (e->lines & ~mask) | (values & mask);
    aser_port *peer = e->m->end[1 - e->idx].port;
    if (peer && e->lines != before) /* the null-modem cable carries it over */
        aser__port_lines_changed(peer, (unsigned)mock_modem_get(peer), 0);
    return 0;
}

/* The port times the break (set now, cleared from its timer, writes held
 * meanwhile), as on a tty. The null-modem cable carries it: the peer sees
 * a break (ASER_LINEERR_BREAK) when it starts. */
static int mock_break_ctl(aser_port *p, bool on)
{
    mock_end *e = end_of(p);
    aser_port *peer = e->m->end[1 - e->idx].port;
    if (on && peer)
        aser__port_lines_changed(peer, (unsigned)mock_modem_get(peer), ASER_LINEERR_BREAK);
    return 0;
}

static int mock_flush(aser_port *p, int which)
{
    mock_end *e = end_of(p);
    if (which & ASER_DISCARD_INPUT) {
        uint8_t junk[4096];
        e->soff = e->slen = 0;
        while (aser__sock_recv(e->m->fd[e->idx], junk, sizeof junk) > 0) {
        }
    }
    return 0;
}

static int mock_inq(aser_port *p)
{
    mock_end *e = end_of(p);
    int n = aser__net_inq(e->m->fd[e->idx]);
    if (n < 0) return n;
    return n + (int)(e->slen - e->soff);
}

static int mock_outq(aser_port *p)
{
    mock_end *e = end_of(p);
    return aser__net_outq(e->m->fd[e->idx]);
}

static void set_caps(aser_caps *c)
{
    for (int f = 0; f < ASER_FEAT_COUNT_; f++) c->state[f] = ASER_CAP_SUPPORTED;
    c->state[ASER_FEAT_RS485] = c->state[ASER_FEAT_LOW_LATENCY] = ASER_CAP_UNSUPPORTED;
    c->reason[ASER_FEAT_RS485] = c->reason[ASER_FEAT_LOW_LATENCY] = "mock: no UART";
}

static int attach(mock_end *e, aser_port *p, aser_err *err)
{
    if (e->m->unplugged)
        return aser__err(err, ASER_ENODEV,
                         "mock://%s is unplugged: aser_mock_replug() "
                         "puts a new cable in",
                         e->m->name);
    if (e->port)
        return aser__err(err, ASER_EBUSY, "mock://%s end %d is already open", e->m->name, e->idx);
    e->port = p;
    e->soff = e->slen = 0;
    e->tb_time = aser__now_us();
    e->tokens = 0;
    rearm_bursts(e);
    aser__conn(p)->data = e;
    aser__conn(p)->fd = e->m->fd[e->idx];
    set_caps(&aser__conn(p)->caps);
    return 0;
}

static int mock_reopen(aser_port *p, aser_err *err)
{
    return attach(end_of(p), p, err);
}

static void mock_close(aser_port *p)
{
    mock_end *e = end_of(p);
    aser__tmr_stop(e->tmr);
    e->port = NULL;
    aser__conn(p)->fd = -1;
}

/* ---- the mock object -------------------------------------------------------------- */

static struct aser_mock *find(aser_loop *loop, const char *name)
{
    for (struct aser_mock *m = loop->mocks; m; m = m->next)
        if (!strcmp(m->name, name)) return m;
    return NULL;
}

static int mock_open(aser_port *p, const aser_url *u, aser_err *err)
{
    aser_loop *loop = aser__conn(p)->loop;
    const char *name = u->path;
    char base[256];
    size_t n = strlen(name);
    int end = 0;
    if (n > 5 && !strcmp(name + n - 5, "#peer")) { /* the device side */
        end = 1;
        n -= 5;
    }
    if (n >= sizeof base) return aser__err(err, ASER_EBADURL, "mock name too long");
    memcpy(base, name, n);
    base[n] = '\0';
    struct aser_mock *m = find(loop, base);
    if (!m)
        return aser__err(err, ASER_ENOENT,
                         "no mock named \"%s\" on this loop: create it "
                         "with aser_mock_new(loop, \"%s\", ...)",
                         base, base);
    int rc = aser_config_validate(&aser__conn(p)->cfg, err);
    return rc < 0 ? rc : attach(&m->end[end], p, err);
}

const aser_transport_ops aser__mock_transport = {
    .scheme = "mock",
    .prefix = "mock://",
    .example = "mock://NAME",
    .addr = ASER_ADDR_NAME,
    .needs_loop = true,
    .test_only = true,
    .lines_pushed = true,
    .open = mock_open,
    .read = mock_read,
    .write = mock_write,
    .close = mock_close,
    .apply = mock_apply,
    .modem_get = mock_modem_get,
    .modem_set = mock_modem_set,
    .break_ctl = mock_break_ctl,
    .flush = mock_flush,
    .inq = mock_inq,
    .outq = mock_outq,
    .reopen = mock_reopen,
    .io_mask = mock_io_mask,
};

static int new_cable(struct aser_mock *m)
{
    int sv[2];
    if (aser__socketpair_nb(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return aser__errno(errno);
    m->fd[0] = sv[0];
    m->fd[1] = sv[1];
    m->unplugged = false;
    return 0;
}

int aser_mock_new(aser_loop *loop, const char *name, aser_mock **out)
{
    if (!loop || !name || !*name || !out) return ASER_EINVAL;
    if (find(loop, name)) return ASER_EEXIST;
    struct aser_mock *m = calloc(1, sizeof *m);
    if (!m) return ASER_ENOMEM;
    m->loop = loop;
    m->name = strdup(name);
    int rc = m->name ? new_cable(m) : ASER_ENOMEM;
    for (int i = 0; rc == 0 && i < 2; i++) {
        m->end[i] = (mock_end){.m = m, .idx = i};
        m->end[i].stage = malloc(STAGE_CAP);
        m->end[i].tmr = aser__tmr_open(loop, on_tmr, &m->end[i]);
        if (!m->end[i].stage || !m->end[i].tmr) rc = ASER_ENOMEM;
    }
    if (rc < 0) {
        m->next = NULL;
        loop->mocks = m; /* so aser_mock_free can unlink it */
        aser_mock_free(m);
        return rc;
    }
    m->next = loop->mocks;
    loop->mocks = m;
    *out = m;
    return 0;
}

int aser_mock_open_peer(aser_mock *m, const aser_config *cfg, aser_port **out)
{
    if (!m || !out) return ASER_EINVAL;
    char url[300];
    snprintf(url, sizeof url, "mock://%s#peer", m->name);
    return aser_open(m->loop, url, cfg, out, NULL);
}

int aser_mock_set_faults(aser_mock *m, int end, const aser_fault_plan *plan)
{
    if (!m || (end != 0 && end != 1)) return ASER_EINVAL;
    mock_end *e = &m->end[end];
    e->plan = plan ? *plan : (aser_fault_plan){0};
    e->eio_pending = e->plan.eio_once;
    rearm_bursts(e);
    return 0;
}

void aser_mock_unplug(aser_mock *m)
{
    if (m) unplug(m);
}

int aser_mock_replug(aser_mock *m)
{
    if (!m) return ASER_EINVAL;
    if (m->end[0].port || m->end[1].port) return ASER_EBUSY; /* old cable still in use */
    aser__sock_close(m->fd[0]);
    aser__sock_close(m->fd[1]);
    return new_cable(m);
}

uint64_t aser_mock_bytes(const aser_mock *m, int end)
{
    return m && (end == 0 || end == 1) ? m->end[end].bytes : 0;
}

int aser_mock_free(aser_mock *m)
{
    if (!m) return 0;
    if (m->end[0].port || m->end[1].port) return ASER_EBUSY;
    for (struct aser_mock **pp = &m->loop->mocks; *pp; pp = &(*pp)->next)
        if (*pp == m) {
            *pp = m->next;
            break;
        }
    for (int i = 0; i < 2; i++) {
        aser__tmr_close(m->end[i].tmr);
        free(m->end[i].stage);
    }
    if (m->name) {
        aser__sock_close(m->fd[0]);
        aser__sock_close(m->fd[1]);
    }
    free(m->name);
    free(m);
    return 0;
}
