/* transport/sim.c: sim:NAME, a simulated instrument as a port URL. The
 * device lives inside the port: what the port writes is taken apart into
 * request lines here, in the write op, and each answer is queued in
 * memory; the port's fd is a wake-up descriptor (os/wake.h: one eventfd on
 * Linux) that is readable while answers wait, so readiness, the loop and
 * every layer above are the ordinary ones. No pseudo-terminal, no second
 * port, one descriptor: one process can hold 10,000 (issue 24's fleet
 * runs; `aserial serve` exports 1,000 of them from one process).
 *
 * The instrument (docs/transports.md, aserial(1) PORT URLS):
 *   a request ends at LF (a CR before it is dropped); the answer ends at LF
 *   "*IDN?"        -> "aserial,sim,NAME,0"
 *   "PING TEXT"    -> "PONG TEXT"      (bench/responder.c's protocol)
 *   anything else  -> the request itself (echo)
 * A request longer than SIM_LINE_MAX is dropped whole. Answers the port
 * has not read pile up to SIM_OUT_MAX; past that they are dropped, as a
 * real instrument's output overflows.
 * Modem lines are a loopback plug: DTR drives DSR and CD, RTS drives CTS.
 * Settings are validated and kept; a break is accepted. */
#include "os/wake.h"
#include "transport/transport.h"
#include "util/bytequeue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_LINE_MAX 4096
#define SIM_OUT_MAX (256u * 1024u)

typedef struct sim_dev {
    aser_wake wake; /* rfd is the port's fd: readable while out holds bytes */
    aser_bq out;    /* answers the port has not read yet */
    char *line;     /* the request so far, grown as needed up to SIM_LINE_MAX */
    size_t len, cap;
    bool overlong; /* the current request passed SIM_LINE_MAX: drop to LF */
    unsigned lines;
} sim_dev;

static sim_dev *dev_of(aser_port *p)
{
    return aser__conn(p)->data;
}

/* ---- the instrument ------------------------------------------------------------ */

static void say(sim_dev *d, const char *a, size_t an, const char *b, size_t bn)
{
    if (aser__bq_size(&d->out) + an + bn + 1 > SIM_OUT_MAX) return; /* overflow: dropped */
    bool was_empty = aser__bq_size(&d->out) == 0;
    if (aser__bq_append(&d->out, a, an, SIZE_MAX) < 0 ||
        aser__bq_append(&d->out, b, bn, SIZE_MAX) < 0 ||
        aser__bq_append(&d->out, "\n", 1, SIZE_MAX) < 0)
        return; /* out of memory: as an overflow */
    if (was_empty) aser__wake_signal(&d->wake);
}

static void answer(aser_port *p, sim_dev *d)
{
    size_t n = d->len;
    if (n && d->line[n - 1] == '\r') n--;
    if (n == 5 && !memcmp(d->line, "*IDN?", 5)) {
        char idn[300];
        int k = snprintf(idn, sizeof idn, "aserial,sim,%s,0", aser__conn(p)->path);
        say(d, idn, k > 0 ? ASER_MIN((size_t)k, sizeof idn - 1) : 0, NULL, 0);
    } else if (n >= 4 && !memcmp(d->line, "PING", 4))
        say(d, "PONG", 4, d->line + 4, n - 4);
    else
        say(d, d->line, n, NULL, 0);
}

static int take(sim_dev *d, const char *s, size_t n)
{
    if (d->overlong) return 0;
    if (d->len + n > SIM_LINE_MAX) {
        d->overlong = true;
        d->len = 0;
        return 0;
    }
    if (d->len + n > d->cap) {
        size_t cap = d->cap ? d->cap : 64;
        while (cap < d->len + n) cap *= 2;
        char *nl = realloc(d->line, cap);
        if (!nl) return ASER_ENOMEM;
        d->line = nl;
        d->cap = cap;
    }
    memcpy(d->line + d->len, s, n);
    d->len += n;
    return 0;
}

static ssize_t sim_write(aser_port *p, const void *buf, size_t n)
{
    sim_dev *d = dev_of(p);
    const char *s = buf, *end = s + n;
    while (s < end) {
        const char *lf = memchr(s, '\n', (size_t)(end - s));
        size_t k = (size_t)((lf ? lf : end) - s);
        if (take(d, s, k) < 0) return ASER_ENOMEM;
        s += k;
        if (!lf) break;
        if (!d->overlong) answer(p, d);
        d->len = 0;
        d->overlong = false;
        s++;
    }
    return (ssize_t)n;
}

static ssize_t sim_read(aser_port *p, void *buf, size_t n)
{
    sim_dev *d = dev_of(p);
    size_t k = ASER_MIN(n, aser__bq_size(&d->out));
    if (k == 0) {
        aser__wake_drain(&d->wake);
        return ASER_EAGAIN;
    }
    memcpy(buf, aser__bq_peek(&d->out), k);
    aser__bq_consume(&d->out, k);
    if (aser__bq_size(&d->out) == 0) aser__wake_drain(&d->wake); /* not readable again */
    return (ssize_t)k;
}

/* ---- lines, settings, flush ------------------------------------------------------ */

static int sim_modem_get(aser_port *p)
{
    unsigned l = dev_of(p)->lines, v = l;
    if (l & ASER_LINE_RTS) v |= ASER_LINE_CTS;
    if (l & ASER_LINE_DTR) v |= ASER_LINE_DSR | ASER_LINE_CD;
    return (int)v;
}

static int sim_modem_set(aser_port *p, unsigned mask, unsigned values)
{
    if (mask & ~(unsigned)(ASER_LINE_DTR | ASER_LINE_RTS)) return ASER_EINVAL;
    sim_dev *d = dev_of(p);
    unsigned before = d->lines;
    d->lines = (d->lines & ~mask) | (values & mask);
    if (d->lines != before) aser__port_lines_changed(p, (unsigned)sim_modem_get(p), 0);
    return 0;
}

static int sim_break_ctl(aser_port *p, bool on)
{
    (void)p, (void)on;
    return 0;
}

static int sim_apply(aser_port *p, const aser_config *cur, const aser_config *cfg, aser_caps *caps,
                     aser_err *err)
{
    (void)p, (void)cur, (void)caps;
    return aser_config_validate(cfg, err);
}

static int sim_flush(aser_port *p, int which)
{
    if (which & ASER_DISCARD_INPUT) {
        aser__bq_reset(&dev_of(p)->out);
        aser__wake_drain(&dev_of(p)->wake);
    }
    if (which & ASER_DISCARD_OUTPUT) dev_of(p)->len = 0; /* a request in progress */
    return 0;
}

static int sim_inq(aser_port *p)
{
    return (int)aser__bq_size(&dev_of(p)->out);
}

/* ---- open and close ---------------------------------------------------------------- */

static int plug(aser_port *p, aser_err *err)
{
    sim_dev *d = dev_of(p);
    int rc = aser__wake_open(&d->wake);
    if (rc < 0)
        return aser__err(err, rc,
                         "sim:%s: no descriptor for the instrument (%s): raise the limit "
                         "(ulimit -n)",
                         aser__conn(p)->path, aser_strerror(rc));
    aser__bq_reset(&d->out);
    d->len = 0;
    d->overlong = false;
    aser_conn *c = aser__conn(p);
    c->fd = d->wake.rfd;
    for (int f = 0; f < ASER_FEAT_COUNT_; f++) c->caps.state[f] = ASER_CAP_SUPPORTED;
    c->caps.state[ASER_FEAT_RS485] = c->caps.state[ASER_FEAT_LOW_LATENCY] = ASER_CAP_UNSUPPORTED;
    c->caps.reason[ASER_FEAT_RS485] = c->caps.reason[ASER_FEAT_LOW_LATENCY] = "sim: no UART";
    return 0;
}

static int sim_open(aser_port *p, const aser_url *u, aser_err *err)
{
    for (const char *s = u->path; *s; s++)
        if (*s == '/' || *s == '?' || *s == '#' || (unsigned char)*s <= ' ')
            return aser__err(err, ASER_EBADURL,
                             "sim:%s: a sim's name is letters, digits, '-', '_' or '.' "
                             "(e.g. sim:dmm1)",
                             u->path);
    int rc = aser_config_validate(&aser__conn(p)->cfg, err);
    if (rc < 0) return rc;
    sim_dev *d = calloc(1, sizeof *d);
    if (!d) return aser__err(err, ASER_ENOMEM, "sim:%s: out of memory", u->path);
    d->wake.rfd = d->wake.wfd = -1;
    aser__conn(p)->data = d;
    return plug(p, err);
}

static void sim_close(aser_port *p)
{
    aser__wake_close(&dev_of(p)->wake);
    aser__conn(p)->fd = -1;
}

static int sim_reopen(aser_port *p, aser_err *err)
{
    return plug(p, err);
}

static void sim_release(aser_port *p)
{
    sim_dev *d = dev_of(p);
    if (!d) return;
    aser__wake_close(&d->wake);
    aser__bq_free(&d->out);
    free(d->line);
    free(d);
    aser__conn(p)->data = NULL;
}

const aser_transport_ops aser__sim_transport = {
    .scheme = "sim",
    .prefix = "sim:",
    .example = "sim:NAME",
    .addr = ASER_ADDR_NAME,
    .lines_pushed = true,
    .open = sim_open,
    .read = sim_read,
    .write = sim_write,
    .close = sim_close,
    .apply = sim_apply,
    .modem_get = sim_modem_get,
    .modem_set = sim_modem_set,
    .break_ctl = sim_break_ctl,
    .flush = sim_flush,
    .inq = sim_inq,
    .reopen = sim_reopen,
    .release = sim_release,
};
