/* termios2.c: TCGETS2/TCSETS2 for arbitrary baud rates (BOTHER). This file
 * includes the kernel's termbits and nothing of glibc's termios. */
#include "os/termios2.h"

#include <asm/ioctls.h>
#include <asm/termbits.h>
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

_Static_assert(ASER_KTERM_NCCS == NCCS, "kernel NCCS changed");

int aser__tcgets2(int fd, aser_kterm *k)
{
    struct termios2 t;
    if (ioctl(fd, TCGETS2, &t) < 0) return -errno;
    k->iflag = t.c_iflag;
    k->oflag = t.c_oflag;
    k->cflag = t.c_cflag;
    k->lflag = t.c_lflag;
    k->line = t.c_line;
    memcpy(k->cc, t.c_cc, sizeof k->cc);
    k->ispeed = t.c_ispeed;
    k->ospeed = t.c_ospeed;
    return 0;
}

int aser__tcsets2(int fd, const aser_kterm *k)
{
    struct termios2 t;
    memset(&t, 0, sizeof t);
    t.c_iflag = k->iflag;
    t.c_oflag = k->oflag;
    t.c_cflag = k->cflag;
    t.c_lflag = k->lflag;
    t.c_line = k->line;
    memcpy(t.c_cc, k->cc, sizeof k->cc);
    t.c_ispeed = k->ispeed;
    t.c_ospeed = k->ospeed;
    if (ioctl(fd, TCSETS2, &t) < 0) return -errno;
    return 0;
}

uint32_t aser__kterm_cbaud(void)
{
    return CBAUD;
}

uint32_t aser__kterm_cibaud(void)
{
    return CIBAUD;
}

uint32_t aser__kterm_bother(void)
{
    return BOTHER;
}
