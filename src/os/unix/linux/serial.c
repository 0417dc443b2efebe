/* linux/serial.c: the Linux serial driver's extras (os/serial.h): RS-485
 * (TIOCGRS485/TIOCSRS485), low latency and closing_wait (serial_struct),
 * the error counters (TIOCGICOUNT), pseudo-terminals by device major. */
#define _GNU_SOURCE
#include "os/serial.h"

#include <errno.h>
#include <linux/serial.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

_Static_assert(sizeof(struct serial_rs485) <= sizeof(aser_rs485_saved),
               "aser_rs485_saved too small for struct serial_rs485");

/* The kernel's "no such ioctl" for a driver without the hook (never
 * returned to user space on current kernels, where it becomes ENOTTY). */
#define ENOIOCTLCMD_ 515

static void cap_set(aser_caps *c, aser_feature f, aser_cap s, const char *why)
{
    c->state[f] = s;
    c->reason[f] = why;
}

bool aser__tty_is_pty(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode)) return false;
    unsigned maj = major(st.st_rdev);
    return maj >= 136 && maj <= 143; /* UNIX98_PTY_SLAVE_MAJOR .. +7 */
}

void aser__serial_probe(int fd, aser_caps *c)
{
    aser_icount ic;
    if (aser__tty_icount(fd, &ic) == 0)
        cap_set(c, ASER_FEAT_LINE_ERRORS, ASER_CAP_SUPPORTED, NULL);
    else
        cap_set(c, ASER_FEAT_LINE_ERRORS, ASER_CAP_UNSUPPORTED,
                "the driver keeps no error counters (TIOCGICOUNT)");
    struct serial_rs485 rs;
    if (ioctl(fd, TIOCGRS485, &rs) == 0)
        cap_set(c, ASER_FEAT_RS485, ASER_CAP_SUPPORTED, NULL);
    else
        cap_set(c, ASER_FEAT_RS485, ASER_CAP_UNSUPPORTED, "driver has no RS-485 mode");
    struct serial_struct ss;
    if (ioctl(fd, TIOCGSERIAL, &ss) == 0)
        cap_set(c, ASER_FEAT_LOW_LATENCY, ASER_CAP_UNKNOWN, "not known until tried on this device");
    else
        cap_set(c, ASER_FEAT_LOW_LATENCY, ASER_CAP_UNSUPPORTED,
                "driver has no serial_struct (TIOCGSERIAL)");
}

int aser__serial_rs485_apply(int fd, const char *path, const aser_rs485 *r,
                             aser_rs485_saved *saved_out, bool *changed, aser_err *err)
{
    struct serial_rs485 saved;
    *changed = false;
    if (ioctl(fd, TIOCGRS485, &saved) < 0)
        return aser__err(err, ASER_ENOTSUP,
                         "%s has no RS-485 mode (TIOCGRS485: %s): use an RS-485 "
                         "capable adapter or turn rs485 off",
                         path, strerror(errno));
    memcpy(saved_out->raw, &saved, sizeof saved);
    struct serial_rs485 rs = saved; /* read-modify-write keeps unknown fields */
    uint32_t f = SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND | SER_RS485_RTS_AFTER_SEND |
                 SER_RS485_RX_DURING_TX;
    rs.flags &= ~f;
    if (r->enabled) rs.flags |= SER_RS485_ENABLED;
    if (r->rts_on_send) rs.flags |= SER_RS485_RTS_ON_SEND;
    if (r->rts_after_send) rs.flags |= SER_RS485_RTS_AFTER_SEND;
    if (r->rx_during_tx) rs.flags |= SER_RS485_RX_DURING_TX;
    rs.delay_rts_before_send = r->delay_before_send_ms;
    rs.delay_rts_after_send = r->delay_after_send_ms;
    if (ioctl(fd, TIOCSRS485, &rs) < 0)
        return aser__err(err, aser__errno(errno), "cannot set RS-485 mode on %s: %s", path,
                         strerror(errno));
    *changed = true;
    return 0;
}

void aser__serial_rs485_restore(int fd, const aser_rs485_saved *saved)
{
    struct serial_rs485 rs;
    memcpy(&rs, saved->raw, sizeof rs);
    (void)ioctl(fd, TIOCSRS485, &rs);
}

int aser__serial_low_latency(int fd, const char *path, aser_low_latency mode, aser_caps *caps,
                             aser_err *err)
{
    struct serial_struct ss;
    int e = 0;
    if (ioctl(fd, TIOCGSERIAL, &ss) < 0) {
        e = errno;
    } else {
        bool on = mode != ASER_LOWLAT_OFF;
        if (((ss.flags & ASYNC_LOW_LATENCY) != 0) == on) return 0;
        if (on)
            ss.flags |= ASYNC_LOW_LATENCY;
        else
            ss.flags &= ~ASYNC_LOW_LATENCY;
        if (ioctl(fd, TIOCSSERIAL, &ss) < 0) e = errno;
    }
    if (e == 0) {
        if (mode != ASER_LOWLAT_OFF) cap_set(caps, ASER_FEAT_LOW_LATENCY, ASER_CAP_SUPPORTED, NULL);
        return 0;
    }
    if (mode == ASER_LOWLAT_OFF) return 0;
    cap_set(caps, ASER_FEAT_LOW_LATENCY, ASER_CAP_UNSUPPORTED, "the driver refused low latency");
    if (mode == ASER_LOWLAT_TRY) return 0;
    return aser__err(err, ASER_ENOTSUP,
                     "the driver of %s refused low latency (%s): use lowlatency=try", path,
                     strerror(e));
}

void aser__serial_close_nowait(int fd)
{
    /* Bytes the driver still counts after the flush (a USB adapter's own
     * buffer, a UART held by flow control) would still make close() wait:
     * where the driver has a serial_struct and allows it, closing_wait is
     * set to none first (the kernel then closes at once). That setting
     * stays with the device, as setserial's would; it is changed only
     * when output is really stuck, and only the wait on close is
     * affected. */
    struct serial_struct ss;
    int q = 0;
    if (ioctl(fd, TIOCOUTQ, &q) == 0 && q > 0 && ioctl(fd, TIOCGSERIAL, &ss) == 0 &&
        ss.closing_wait != ASYNC_CLOSING_WAIT_NONE) {
        ss.closing_wait = ASYNC_CLOSING_WAIT_NONE;
        (void)ioctl(fd, TIOCSSERIAL, &ss);
    }
}

int aser__tty_icount(int fd, aser_icount *out)
{
    struct serial_icounter_struct ic;
    memset(&ic, 0, sizeof ic);
    if (ioctl(fd, TIOCGICOUNT, &ic) < 0)
        return errno == ENOTTY || errno == EINVAL || errno == ENOIOCTLCMD_ ? ASER_ENOTSUP
                                                                           : aser__errno(errno);
    *out = (aser_icount){.overrun = (uint32_t)ic.overrun,
                         .parity = (uint32_t)ic.parity,
                         .frame = (uint32_t)ic.frame,
                         .brk = (uint32_t)ic.brk,
                         .buf_overrun = (uint32_t)ic.buf_overrun};
    return 0;
}
