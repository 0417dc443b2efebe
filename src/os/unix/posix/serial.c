/* posix/serial.c: the serial driver's extras (os/serial.h) where POSIX
 * offers none (macOS, the BSDs; the portable build on Linux): no RS-485,
 * no low latency, no error counters, no closing_wait to shorten. Each
 * capability says "not available on this platform"; asking for RS-485 or
 * for strict low latency fails with ASER_ENOTSUP and a message. A
 * pseudo-terminal is told by the name of its device (ttyname). */
#include "os/serial.h"

#include <string.h>
#include <unistd.h>

#define NOT_HERE "not available on this platform"

bool aser__tty_is_pty(int fd)
{
    char name[128];
    if (ttyname_r(fd, name, sizeof name) != 0) return false;
    /* Linux and the BSDs: /dev/pts/N; macOS: /dev/ttysNNN. */
    return strncmp(name, "/dev/pts/", 9) == 0 ||
           (strncmp(name, "/dev/ttys", 9) == 0 && name[9] >= '0' && name[9] <= '9');
}

void aser__serial_probe(int fd, aser_caps *c)
{
    (void)fd;
    c->state[ASER_FEAT_LINE_ERRORS] = ASER_CAP_UNSUPPORTED;
    c->reason[ASER_FEAT_LINE_ERRORS] = NOT_HERE " (no TIOCGICOUNT counters)";
    c->state[ASER_FEAT_RS485] = ASER_CAP_UNSUPPORTED;
    c->reason[ASER_FEAT_RS485] = NOT_HERE " (no RS-485 ioctl)";
    c->state[ASER_FEAT_LOW_LATENCY] = ASER_CAP_UNSUPPORTED;
    c->reason[ASER_FEAT_LOW_LATENCY] = NOT_HERE " (no low latency flag)";
}

int aser__serial_rs485_apply(int fd, const char *path, const aser_rs485 *r, aser_rs485_saved *saved,
                             bool *changed, aser_err *err)
{
    (void)fd;
    (void)saved;
    *changed = false;
    if (!r->enabled) return 0; /* off is what this platform always has */
    return aser__err(err, ASER_ENOTSUP,
                     "RS-485 mode is not available on this platform (%s): turn rs485 "
                     "off, or use an adapter that switches the driver itself",
                     path);
}

void aser__serial_rs485_restore(int fd, const aser_rs485_saved *saved)
{
    (void)fd;
    (void)saved;
}

int aser__serial_low_latency(int fd, const char *path, aser_low_latency mode, aser_caps *caps,
                             aser_err *err)
{
    (void)fd;
    (void)caps;
    if (mode != ASER_LOWLAT_STRICT) return 0; /* try: stays unsupported */
    return aser__err(err, ASER_ENOTSUP,
                     "low latency is not available on this platform (%s): use "
                     "lowlatency=try or leave it off",
                     path);
}

void aser__serial_close_nowait(int fd)
{
    (void)fd;
}

int aser__tty_icount(int fd, aser_icount *out)
{
    (void)fd;
    (void)out;
    return ASER_ENOTSUP;
}
