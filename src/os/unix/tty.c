/* tty.c: opening, configuring and driving a local tty, on every POSIX
 * system (Linux and the portable build alike).
 *
 * Configuration goes through the aser_kterm interface (os/termios2.h): on
 * Linux termios2 (os/unix/linux/termios2.c) so that any baud rate works, in one
 * TCSETS2 call that is read back (a standard rate is set with its Bnnnn
 * constant, so programs reading the speed the classic way see it; BOTHER
 * only for the others); elsewhere tcsetattr with the standard speeds
 * (os/unix/posix/termios.c). RS-485 and low latency (os/serial.h: Linux only)
 * are applied after it and everything is rolled back if a later step
 * fails. */
#define _GNU_SOURCE
#include "os/tty.h"
#include "os/serial.h"
#include "os/termios2.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* What some systems lack (macOS, the BSDs): mark/space parity (refused in
 * apply_termios), the old upper-case input flag, TIOCINQ's name. */
#ifndef CMSPAR
#define CMSPAR 0
#endif
#ifndef IUCLC
#define IUCLC 0
#endif
#ifndef TIOCINQ
#define TIOCINQ FIONREAD
#endif

/* ---- open errors that name the fix -------------------------------------- */

static bool in_group(gid_t gid)
{
    if (getegid() == gid) return true;
    gid_t groups[256];
    int n = getgroups(256, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == gid) return true;
    return false;
}

/* Permission denied: say what would give access. The device's group is
 * named only when that group may read and write it; otherwise joining
 * it would not help, and the message says what would. */
static int access_error(const char *path, aser_err *err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return aser__err(err, ASER_EACCES,
                         "permission denied opening %s: a directory on the way cannot be "
                         "searched; check with ls -ld on each part of the path",
                         path);
    struct group *g = getgrgid(st.st_gid);
    const char *group = g && g->gr_name ? g->gr_name : NULL;
    char gname[32];
    if (!group) {
        snprintf(gname, sizeof gname, "%u", (unsigned)st.st_gid);
        group = gname;
    }
    unsigned mode = (unsigned)st.st_mode & 07777;
    bool group_rw = (st.st_mode & (S_IRGRP | S_IWGRP)) == (S_IRGRP | S_IWGRP);
    if (st.st_uid == geteuid() && (st.st_mode & (S_IRUSR | S_IWUSR)) != (S_IRUSR | S_IWUSR))
        return aser__err(err, ASER_EACCES,
                         "permission denied opening %s: it is yours but mode %04o; give "
                         "yourself read-write access (chmod u+rw %s)",
                         path, mode, path);
    if (group_rw && !in_group(st.st_gid))
        return aser__err(err, ASER_EACCES,
                         "permission denied opening %s: add your user to group %s "
                         "(sudo usermod -aG %s $USER) and log in again",
                         path, group, group);
    if (group_rw)
        return aser__err(err, ASER_EACCES,
                         "permission denied opening %s although you are in its group %s "
                         "(mode %04o): an ACL or security policy refuses it; check with "
                         "getfacl %s",
                         path, group, mode, path);
    return aser__err(err, ASER_EACCES,
                     "permission denied opening %s: it is mode %04o, so its group %s "
                     "cannot read and write it and joining that group would not help; "
                     "ask an administrator for a udev rule giving it MODE=\"0660\" and "
                     "a group you are in (such as dialout), or open it as root",
                     path, mode, group);
}

static int open_error(const char *path, int e, aser_err *err)
{
    switch (e) {
    case ENOENT:
        return aser__err(err, ASER_ENOENT,
                         "no such port %s: check the name, or run `aserial list` "
                         "to see the ports present",
                         path);
    case EACCES:
    case EPERM: return access_error(path, err);
    case EBUSY:
        return aser__err(err, ASER_EBUSY,
                         "%s is in use by another program (held exclusively): close "
                         "it, or find it with `fuser %s`",
                         path, path);
    case ENXIO:
    case ENODEV:
        return aser__err(err, ASER_ENODEV,
                         "%s has no device behind it (unplugged, or the driver is "
                         "not loaded): reconnect it and check `aserial list`",
                         path);
    case EISDIR:
    case ENOTTY:
        return aser__err(err, ASER_ENOTTY,
                         "%s is not a terminal: give a serial device such as "
                         "/dev/ttyUSB0 or /dev/ttyACM0",
                         path);
    default: return aser__err(err, aser__errno(e), "cannot open %s: %s", path, strerror(e));
    }
}

/* ---- capabilities ----------------------------------------------------------- */

static void cap_set(aser_caps *c, aser_feature f, aser_cap s, const char *why)
{
    c->state[f] = s;
    c->reason[f] = why;
}

static void probe_caps(int fd, aser_caps *c)
{
    memset(c, 0, sizeof *c);
    if (aser__tty_is_pty(fd)) {
        const char *why = "pseudo-terminal: baud rate and framing have no effect";
        cap_set(c, ASER_FEAT_BAUD, ASER_CAP_UNSUPPORTED, why);
        cap_set(c, ASER_FEAT_CUSTOM_BAUD, ASER_CAP_UNSUPPORTED, why);
        why = "pseudo-terminal: no modem lines";
        cap_set(c, ASER_FEAT_MODEM_LINES, ASER_CAP_UNSUPPORTED, why);
        cap_set(c, ASER_FEAT_FLOW_RTSCTS, ASER_CAP_UNSUPPORTED, why);
        cap_set(c, ASER_FEAT_BREAK, ASER_CAP_UNSUPPORTED, "pseudo-terminal: no line to break");
        cap_set(c, ASER_FEAT_RS485, ASER_CAP_UNSUPPORTED, "pseudo-terminal: no RS-485");
        cap_set(c, ASER_FEAT_LOW_LATENCY, ASER_CAP_UNSUPPORTED, "pseudo-terminal: no UART to tune");
        cap_set(c, ASER_FEAT_LINE_ERRORS, ASER_CAP_UNSUPPORTED,
                "pseudo-terminal: no line errors (no TIOCGICOUNT counters)");
        return;
    }
    aser__serial_probe(fd, c); /* RS-485, low latency, line errors */
    const char *unknown = "not known until tried on this device";
    cap_set(c, ASER_FEAT_BAUD, ASER_CAP_SUPPORTED, NULL);
    cap_set(c, ASER_FEAT_CUSTOM_BAUD, ASER_CAP_UNKNOWN,
            "the driver may round or refuse non-standard rates");
    int lines;
    if (ioctl(fd, TIOCMGET, &lines) == 0) {
        cap_set(c, ASER_FEAT_MODEM_LINES, ASER_CAP_SUPPORTED, NULL);
        cap_set(c, ASER_FEAT_FLOW_RTSCTS, ASER_CAP_UNKNOWN, unknown);
    } else {
        cap_set(c, ASER_FEAT_MODEM_LINES, ASER_CAP_UNSUPPORTED, "driver has no modem lines");
        cap_set(c, ASER_FEAT_FLOW_RTSCTS, ASER_CAP_UNSUPPORTED, "driver has no modem lines");
    }
    cap_set(c, ASER_FEAT_BREAK, ASER_CAP_UNKNOWN, unknown);
}

/* ---- termios ------------------------------------------------------------------ */

static void make_raw(aser_kterm *k)
{
    k->iflag &= ~(uint32_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON |
                            IXOFF | IXANY | INPCK | IUCLC | IMAXBEL);
    k->oflag &= ~(uint32_t)OPOST;
    k->lflag &= ~(uint32_t)(ECHO | ECHONL | ECHOE | ECHOK | ICANON | ISIG | IEXTEN);
    k->cc[VMIN] = 1;
    k->cc[VTIME] = 0;
}

int aser__tty_make_raw(int fd)
{
    aser_kterm k;
    int rc = aser__tcgets2(fd, &k);
    if (rc < 0) return aser__errno(-rc);
    make_raw(&k);
    k.cflag |= CREAD | CLOCAL;
    rc = aser__tcsets2(fd, &k);
    return rc < 0 ? aser__errno(-rc) : 0;
}

static uint32_t size_bits(unsigned bits)
{
    return bits == 5 ? CS5 : bits == 6 ? CS6 : bits == 7 ? CS7 : CS8;
}

static void build_kterm(aser_kterm *k, const aser_config *cfg)
{
    make_raw(k);
    uint32_t cbaud = aser__kterm_cbaud(), cibaud = aser__kterm_cibaud();
    k->cflag &= ~(uint32_t)(CSIZE | PARENB | PARODD | CMSPAR | CSTOPB | CRTSCTS | HUPCL);
    k->cflag &= ~(cbaud | cibaud);
    k->cflag |= CREAD | CLOCAL | size_bits(cfg->data_bits) | aser__kterm_speed_bits(cfg->baud);
    if (cfg->hupcl) k->cflag |= HUPCL;
    switch (cfg->parity) {
    case ASER_PARITY_NONE: break;
    case ASER_PARITY_ODD: k->cflag |= PARENB | PARODD; break;
    case ASER_PARITY_EVEN: k->cflag |= PARENB; break;
    case ASER_PARITY_MARK: k->cflag |= PARENB | CMSPAR | PARODD; break;
    case ASER_PARITY_SPACE: k->cflag |= PARENB | CMSPAR; break;
    }
    if (cfg->parity != ASER_PARITY_NONE) k->iflag |= INPCK;
    if (cfg->stop_bits != ASER_STOP_1) k->cflag |= CSTOPB; /* 1.5 with CS5 */
    if (cfg->flow & ASER_FLOW_RTSCTS) k->cflag |= CRTSCTS;
    if (cfg->flow & ASER_FLOW_XONXOFF) k->iflag |= IXON | IXOFF;
    k->cc[VSTART] = 0x11;
    k->cc[VSTOP] = 0x13;
    k->ispeed = k->ospeed = cfg->baud;
}

/* Compare what the driver kept with what was asked; name the first field
 * it changed. Speeds may differ by up to 2% (drivers round to their clock). */
static const char *kterm_mismatch(const aser_kterm *want, const aser_kterm *got, bool pty)
{
    /* The pty driver forces CS8 and no parity: framing means nothing there. */
    uint32_t m = pty ? CSTOPB : CSIZE | PARENB | PARODD | CMSPAR | CSTOPB;
    if (!pty && (want->cflag & CSIZE) != (got->cflag & CSIZE)) return "data bits";
    if ((want->cflag & m) != (got->cflag & m)) return "parity or stop bits";
    if ((want->cflag & CRTSCTS) != (got->cflag & CRTSCTS)) return "RTS/CTS flow control";
    if ((want->iflag & (IXON | IXOFF)) != (got->iflag & (IXON | IXOFF)))
        return "XON/XOFF flow control";
    uint64_t w = want->ospeed, g = got->ospeed;
    if (g * 100 < w * 98 || g * 100 > w * 102) return "baud rate";
    return NULL;
}

static int apply_termios(int fd, const char *path, const aser_config *cfg, aser_kterm *saved,
                         aser_err *err)
{
    if (cfg->flow & ASER_FLOW_DTRDSR)
        return aser__err(err, ASER_ENOTSUP,
                         "DTR/DSR flow control is not supported by POSIX ttys (%s): "
                         "use rtscts or xonxoff",
                         path);
    if (CMSPAR == 0 && (cfg->parity == ASER_PARITY_MARK || cfg->parity == ASER_PARITY_SPACE))
        return aser__err(err, ASER_ENOTSUP,
                         "mark and space parity are not available on this platform "
                         "(%s): use none, odd or even",
                         path);
    if (!aser__kterm_rate_settable(cfg->baud))
        return aser__err(err, ASER_ENOTSUP,
                         "baud rate %u is not a standard rate, and this platform has "
                         "no way to set others (%s): choose a standard rate such as "
                         "9600, 115200 or 230400",
                         (unsigned)cfg->baud, path);
    int rc = aser__tcgets2(fd, saved);
    if (rc < 0)
        return rc == -ENOTTY || rc == -EINVAL
                   ? open_error(path, ENOTTY, err)
                   : aser__err(err, aser__errno(-rc), "cannot read settings of %s: %s", path,
                               strerror(-rc));
    aser_kterm want = *saved, got;
    build_kterm(&want, cfg);
    rc = aser__tcsets2(fd, &want);
    if (rc < 0)
        return aser__err(err, aser__errno(-rc), "cannot apply settings to %s: %s", path,
                         strerror(-rc));
    rc = aser__tcgets2(fd, &got);
    const char *bad = rc < 0 ? "settings read-back"
                             : kterm_mismatch(&want, &got, aser__tty_is_pty(fd));
    if (bad) {
        aser__tcsets2(fd, saved);
        return aser__err(err, ASER_ENOTSUP,
                         "the driver of %s did not accept the %s asked for: choose "
                         "another setting",
                         path, bad);
    }
    return 0;
}

/* ---- RS-485 and low latency ------------------------------------------------- */

static bool rs485_equal(const aser_rs485 *a, const aser_rs485 *b)
{
    return a->enabled == b->enabled && a->rts_on_send == b->rts_on_send &&
           a->rts_after_send == b->rts_after_send && a->rx_during_tx == b->rx_during_tx &&
           a->delay_before_send_ms == b->delay_before_send_ms &&
           a->delay_after_send_ms == b->delay_after_send_ms;
}

int aser__tty_apply(int fd, const char *path, const aser_config *cur, const aser_config *cfg,
                    aser_caps *caps, aser_err *err)
{
    aser_kterm saved_t;
    aser_rs485_saved saved_rs;
    bool rs_changed = false;
    int rc = aser_config_validate(cfg, err);
    if (rc < 0) return rc;
    rc = apply_termios(fd, path, cfg, &saved_t, err);
    if (rc < 0) return rc;
    bool rs_was_on = cur && cur->rs485.enabled;
    if (cfg->rs485.enabled || (rs_was_on && !rs485_equal(&cur->rs485, &cfg->rs485))) {
        rc = aser__serial_rs485_apply(fd, path, &cfg->rs485, &saved_rs, &rs_changed, err);
        if (rc < 0) goto undo_termios;
    }
    aser_low_latency was = cur ? cur->low_latency : ASER_LOWLAT_OFF;
    if (cfg->low_latency != ASER_LOWLAT_OFF || was != ASER_LOWLAT_OFF) {
        rc = aser__serial_low_latency(fd, path, cfg->low_latency, caps, err);
        if (rc < 0) goto undo_rs485;
    }
    return 0;
undo_rs485:
    if (rs_changed) aser__serial_rs485_restore(fd, &saved_rs);
undo_termios:
    aser__tcsets2(fd, &saved_t);
    return rc;
}

/* ---- open / close ------------------------------------------------------------ */

static int set_start_lines(int fd, const aser_config *cfg)
{
    unsigned set = 0, clr = 0;
    if (cfg->dtr == ASER_LEVEL_ON) set |= TIOCM_DTR;
    if (cfg->dtr == ASER_LEVEL_OFF) clr |= TIOCM_DTR;
    if (!(cfg->flow & ASER_FLOW_RTSCTS)) {
        if (cfg->rts == ASER_LEVEL_ON) set |= TIOCM_RTS;
        if (cfg->rts == ASER_LEVEL_OFF) clr |= TIOCM_RTS;
    }
    int s = (int)set, c = (int)clr;
    if ((set && ioctl(fd, TIOCMBIS, &s) < 0) || (clr && ioctl(fd, TIOCMBIC, &c) < 0)) {
        /* No modem lines (pseudo-terminal, some USB CDC): nothing to set; the
         * capability report already says so. */
        if (errno == ENOTTY || errno == EINVAL) return 0;
        return aser__errno(errno);
    }
    return 0;
}

/* Exclusive openers take an exclusive flock and TIOCEXCL; shared openers a
 * shared flock, so they still see an exclusive holder (TIOCEXCL alone does
 * not stop root). */
static int lock_port(int fd, const char *path, bool exclusive, aser_err *err)
{
    if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK) return open_error(path, EBUSY, err);
        return aser__err(err, aser__errno(errno), "cannot lock %s: %s", path, strerror(errno));
    }
    if (exclusive && ioctl(fd, TIOCEXCL) < 0 && errno != ENOTTY)
        return aser__err(err, aser__errno(errno), "cannot make %s exclusive: %s", path,
                         strerror(errno));
    return 0;
}

int aser__tty_open(const char *path, const aser_config *cfg, int *fd_out, aser_caps *caps,
                   aser_err *err)
{
    int rc = aser_config_validate(cfg, err);
    if (rc < 0) return rc;
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return open_error(path, errno, err);
    if (!isatty(fd)) {
        close(fd);
        return open_error(path, ENOTTY, err);
    }
    if ((rc = lock_port(fd, path, cfg->exclusive, err)) < 0) goto fail;
    probe_caps(fd, caps);
    if ((rc = aser__tty_apply(fd, path, NULL, cfg, caps, err)) < 0) goto fail;
    if ((rc = set_start_lines(fd, cfg)) < 0) {
        aser__err(err, rc, "cannot set DTR/RTS on %s: %s", path, aser_strerror(rc));
        goto fail;
    }
    *fd_out = fd;
    return 0;
fail:
    if (cfg->exclusive) ioctl(fd, TIOCNXCL);
    close(fd);
    return rc;
}

void aser__tty_close(int fd)
{
    if (fd < 0) return;
    /* Output still in the driver would make close() wait in closing_wait
     * (30 s by default, forever under flow control): discard it. Only then:
     * on a pseudo-terminal TIOCOUTQ is 0 while the other side has not read
     * yet, and flushing there would destroy bytes already "sent". */
    int q = 0;
    if (ioctl(fd, TIOCOUTQ, &q) == 0 && q > 0) tcflush(fd, TCOFLUSH);
    /* Bytes still there after the flush: closing_wait none where the
     * platform has it (os/serial.h). */
    aser__serial_close_nowait(fd);
    ioctl(fd, TIOCNXCL);
    close(fd); /* the flock goes with the last descriptor */
}

/* ---- lines, break, queues ----------------------------------------------------- */

int aser__tty_modem_get(int fd)
{
    int m;
    if (ioctl(fd, TIOCMGET, &m) < 0)
        return errno == ENOTTY || errno == EINVAL ? ASER_ENOTSUP : aser__errno(errno);
    unsigned v = 0;
    if (m & TIOCM_DTR) v |= ASER_LINE_DTR;
    if (m & TIOCM_RTS) v |= ASER_LINE_RTS;
    if (m & TIOCM_CTS) v |= ASER_LINE_CTS;
    if (m & TIOCM_DSR) v |= ASER_LINE_DSR;
    if (m & TIOCM_CD) v |= ASER_LINE_CD;
    if (m & TIOCM_RI) v |= ASER_LINE_RI;
    return (int)v;
}

int aser__tty_modem_set(int fd, unsigned mask, unsigned values)
{
    if (mask & ~(unsigned)(ASER_LINE_DTR | ASER_LINE_RTS)) return ASER_EINVAL;
    int set = 0, clr = 0;
    if (mask & ASER_LINE_DTR) *(values & ASER_LINE_DTR ? &set : &clr) |= TIOCM_DTR;
    if (mask & ASER_LINE_RTS) *(values & ASER_LINE_RTS ? &set : &clr) |= TIOCM_RTS;
    if ((set && ioctl(fd, TIOCMBIS, &set) < 0) || (clr && ioctl(fd, TIOCMBIC, &clr) < 0))
        return errno == ENOTTY || errno == EINVAL ? ASER_ENOTSUP : aser__errno(errno);
    return 0;
}

int aser__tty_break_ctl(int fd, bool on)
{
    if (ioctl(fd, on ? TIOCSBRK : TIOCCBRK) < 0)
        return errno == ENOTTY || errno == EINVAL ? ASER_ENOTSUP : aser__errno(errno);
    return 0;
}

unsigned aser__icount_errors(const aser_icount *before, const aser_icount *now)
{
    unsigned e = 0; /* counters only grow; != also survives their wrap-around */
    if (now->overrun != before->overrun || now->buf_overrun != before->buf_overrun)
        e |= ASER_LINEERR_OVERRUN;
    if (now->parity != before->parity) e |= ASER_LINEERR_PARITY;
    if (now->frame != before->frame) e |= ASER_LINEERR_FRAMING;
    if (now->brk != before->brk) e |= ASER_LINEERR_BREAK;
    return e;
}

int aser__tty_flush(int fd, int which)
{
    int q = which == ASER_DISCARD_BOTH    ? TCIOFLUSH
            : which == ASER_DISCARD_INPUT ? TCIFLUSH
                                          : TCOFLUSH;
    return tcflush(fd, q) < 0 ? aser__errno(errno) : 0;
}

int aser__tty_inq(int fd)
{
    int n;
    return ioctl(fd, TIOCINQ, &n) < 0 ? aser__errno(errno) : n;
}

int aser__tty_outq(int fd)
{
    int n;
    return ioctl(fd, TIOCOUTQ, &n) < 0 ? aser__errno(errno) : n;
}
