/* transport/pty.c: "pty:[LINK]", a new pseudo-terminal for programs that
 * only know how to open a tty (tio, picocom, minicom, a vendor's tool).
 * The port is the master side; the slave path (and the symlink LINK, if
 * given) is what the program opens. `aserial bridge rfc2217://lab:2000
 * pty:/tmp/ttyLAB` makes a remote port look local.
 *
 * Settings travel both ways:
 *   - the program's changes (tcsetattr on the slave: baud rate, stop bits,
 *     RTS/CTS and XON/XOFF flow) are found by reading the slave's termios
 *     every POLL_MS (100 ms) through the descriptor we hold, and reported
 *     with aser__port_config_changed() (aser_on_config: the bridge applies
 *     them to its other side). Propagation delay: at most POLL_MS plus
 *     the other side's own (one RFC 2217 round trip). A Linux pty keeps
 *     8 data bits and no parity whatever is asked (the kernel forces CS8),
 *     so those cannot be seen. Packet mode (TIOCPKT_IOCTL) was not used:
 *     Linux raises it only for EXTPROC terminals, which raw programs clear.
 *   - aser_configure() on the port sets the slave's termios, so the
 *     program reading them sees the settings of the far side.
 * We keep the slave open ourselves, so the master never sees a hang-up
 * while no program has the slave open, and programs may come and go.
 * Without a loop (the blocking API) the program's changes are not read. */
#define _GNU_SOURCE
#include "transport/transport.h"
#include "os/termios2.h"
#include "os/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define POLL_MS 100u

typedef struct pty_tp {
    aser_port *p;
    int slave;
    char *link; /* the symlink we made, removed at release */
    aser_tmr *tmr;
    aser_kterm last; /* the slave's settings as last read */
} pty_tp;

static pty_tp *tp_of(aser_port *p)
{
    return aser__conn(p)->data;
}

static ssize_t pty_read(aser_port *p, void *buf, size_t n)
{
    ssize_t r = read(aser__conn(p)->fd, buf, n);
    return r >= 0 ? r : aser__errno(errno);
}

static ssize_t pty_write(aser_port *p, const void *buf, size_t n)
{
    ssize_t r = write(aser__conn(p)->fd, buf, n);
    return r >= 0 ? r : aser__errno(errno);
}

/* The OS layer sets every rate as BOTHER + a number; programs on the slave
 * that read the speed with cfgetospeed() (tio, picocom, stty, pyserial)
 * understand only the B* codes, so a standard rate is set as its code. */
static void standard_speed(int fd, uint32_t baud)
{
    static const struct {
        uint32_t baud;
        speed_t code;
    } codes[] = {
        {50, B50},           {75, B75},           {110, B110},         {134, B134},
        {150, B150},         {200, B200},         {300, B300},         {600, B600},
        {1200, B1200},       {1800, B1800},       {2400, B2400},       {4800, B4800},
        {9600, B9600},       {19200, B19200},     {38400, B38400},     {57600, B57600},
        {115200, B115200},   {230400, B230400},
#ifdef ASER_OS_LINUX /* the rates glibc names beyond POSIX and the BSDs */
        {460800, B460800},   {500000, B500000},   {576000, B576000},   {921600, B921600},
        {1000000, B1000000}, {1152000, B1152000}, {1500000, B1500000}, {2000000, B2000000},
        {2500000, B2500000}, {3000000, B3000000}, {3500000, B3500000}, {4000000, B4000000},
#endif
    };
    struct termios t;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        if (codes[i].baud != baud) continue;
        if (tcgetattr(fd, &t) == 0 && cfsetispeed(&t, codes[i].code) == 0 &&
            cfsetospeed(&t, codes[i].code) == 0)
            (void)tcsetattr(fd, TCSANOW, &t);
        return;
    }
}

static int pty_apply(aser_port *p, const aser_config *cur, const aser_config *cfg, aser_caps *caps,
                     aser_err *err)
{
    pty_tp *t = tp_of(p);
    int rc = aser__tty_apply(t->slave, aser__conn(p)->path, cur, cfg, caps, err);
    if (rc < 0) return rc;
    standard_speed(t->slave, cfg->baud);
    aser__tcgets2(t->slave, &t->last); /* our own change: not reported */
    return 0;
}

/* ---- the program's changes ------------------------------------------------------ */

static bool kterm_same(const aser_kterm *a, const aser_kterm *b)
{
    uint32_t cm = CSTOPB | CRTSCTS, im = IXON | IXOFF;
    return a->ospeed == b->ospeed && (a->cflag & cm) == (b->cflag & cm) &&
           (a->iflag & im) == (b->iflag & im);
}

/* The config the slave's settings k describe, on top of cur. */
static aser_config config_of(const aser_config *cur, const aser_kterm *k)
{
    aser_config cfg = *cur;
    if (k->ospeed) cfg.baud = k->ospeed;
    cfg.stop_bits = (k->cflag & CSTOPB) ? ASER_STOP_2 : ASER_STOP_1;
    cfg.flow &= ~(unsigned)(ASER_FLOW_RTSCTS | ASER_FLOW_XONXOFF);
    if (k->cflag & CRTSCTS) cfg.flow |= ASER_FLOW_RTSCTS;
    if ((k->iflag & (IXON | IXOFF)) == (IXON | IXOFF)) cfg.flow |= ASER_FLOW_XONXOFF;
    return cfg;
}

static void on_tick(void *arg)
{
    pty_tp *t = arg;
    aser_conn *c = aser__conn(t->p);
    aser_kterm k;
    if (aser__tcgets2(t->slave, &k) == 0 && !kterm_same(&k, &t->last)) {
        t->last = k;
        aser_config cfg = config_of(&c->cfg, &k);
        if (memcmp(&cfg, &c->cfg, sizeof cfg) != 0) aser__port_config_changed(t->p, &cfg);
    }
    aser__tmr_start(t->tmr, (uint64_t)POLL_MS * 1000u);
}

/* ---- open and close ------------------------------------------------------------- */

static void caps_of_pty(aser_caps *caps)
{
    static const char *const why[ASER_FEAT_COUNT_] = {
        "pseudo-terminal: the baud rate is only recorded (and carried by aserial bridge)",
        "pseudo-terminal: the baud rate is only recorded",
        "pseudo-terminal: no modem lines",
        "pseudo-terminal: no line to break",
        "pseudo-terminal: no modem lines",
        "pseudo-terminal: no RS-485",
        "pseudo-terminal: no UART to tune"};
    for (int f = 0; f < ASER_FEAT_COUNT_; f++) {
        caps->state[f] = ASER_CAP_UNSUPPORTED;
        caps->reason[f] = why[f];
    }
}

/* Open the slave ourselves, raw, with cfg's settings; the link if asked. */
static int setup_slave(aser_conn *c, pty_tp *t, const char *link, aser_err *err)
{
    t->slave = open(c->path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (t->slave < 0)
        return aser__err(err, aser__errno(errno), "cannot open %s: %s", c->path, strerror(errno));
    aser_config cfg = c->cfg;
    cfg.low_latency = ASER_LOWLAT_OFF;
    cfg.rs485.enabled = false;
    int rc = aser__tty_make_raw(t->slave);
    if (rc == 0) rc = aser__tty_apply(t->slave, c->path, NULL, &cfg, &c->caps, err);
    if (rc < 0) return rc;
    standard_speed(t->slave, cfg.baud);
    caps_of_pty(&c->caps);
    aser__tcgets2(t->slave, &t->last);
    if (link && link[0]) {
        if ((rc = aser__pty_link(link, c->path, err)) < 0) return rc;
        if (!(t->link = strdup(link))) return aser__err(err, ASER_ENOMEM, "out of memory");
    }
    return 0;
}

static void pty_close(aser_port *p)
{
    aser_conn *c = aser__conn(p);
    pty_tp *t = tp_of(p);
    if (t && t->tmr) aser__tmr_close(t->tmr);
    if (t) t->tmr = NULL;
    if (t && t->slave >= 0) close(t->slave);
    if (t) t->slave = -1;
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

static void pty_release(aser_port *p)
{
    pty_tp *t = tp_of(p);
    if (!t) return;
    if (t->link) unlink(t->link);
    free(t->link);
    free(t);
    aser__conn(p)->data = NULL;
}

static int pty_open(aser_port *p, const aser_url *u, aser_err *err)
{
    aser_conn *c = aser__conn(p);
    pty_tp *t = calloc(1, sizeof *t);
    if (!t) return aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    t->p = p;
    t->slave = -1;
    c->data = t;
    char path[64];
    int rc = aser__pty_open(&c->fd, path, sizeof path, err);
    char *np = rc == 0 ? strdup(path) : NULL;
    if (rc == 0 && !np) rc = aser__err(err, ASER_ENOMEM, "out of memory opening %s", c->name);
    if (np) {
        free(c->path);
        c->path = np;
    }
    if (rc == 0) rc = setup_slave(c, t, u->path, err);
    if (rc == 0 && !c->blocking) {
        t->tmr = aser__tmr_open(c->loop, on_tick, t);
        if (!t->tmr || aser__tmr_start(t->tmr, (uint64_t)POLL_MS * 1000u) < 0)
            rc = aser__err(err, ASER_ENOMEM, "cannot start the settings watch of %s", c->path);
    }
    if (rc < 0) {
        pty_close(p);
        pty_release(p);
    }
    return rc;
}

const aser_transport_ops aser__pty_transport = {
    .scheme = "pty",
    .prefix = "pty:",
    .example = "pty:[LINK]",
    .addr = ASER_ADDR_OPTIONAL,
    .lost_hint = "the pseudo-terminal was closed",
    .open = pty_open,
    .read = pty_read,
    .write = pty_write,
    .close = pty_close,
    .apply = pty_apply,
    .release = pty_release,
};
