/* linux/termios2.c: TCGETS2/TCSETS2 for arbitrary baud rates (BOTHER). This file
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

/* The classic speed constants, so a rate that has one is stored as it
 * (stty, cfgetospeed() and Python's termios read these bits); BOTHER
 * only for the others. */
static const struct {
    uint32_t rate, bits;
} std_rates[] = {
    {50, B50},           {75, B75},           {110, B110},         {134, B134},
    {150, B150},         {200, B200},         {300, B300},         {600, B600},
    {1200, B1200},       {1800, B1800},       {2400, B2400},       {4800, B4800},
    {9600, B9600},       {19200, B19200},     {38400, B38400},     {57600, B57600},
    {115200, B115200},   {230400, B230400},   {460800, B460800},   {500000, B500000},
    {576000, B576000},   {921600, B921600},   {1000000, B1000000}, {1152000, B1152000},
    {1500000, B1500000}, {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000},
    {3500000, B3500000}, {4000000, B4000000},
};

bool aser__kterm_rate_settable(uint32_t baud)
{
    (void)baud;
    return true; /* BOTHER: the driver rounds or refuses (read back) */
}

uint32_t aser__kterm_speed_bits(uint32_t baud)
{
    for (size_t i = 0; i < sizeof std_rates / sizeof std_rates[0]; i++)
        if (std_rates[i].rate == baud) return std_rates[i].bits;
    return BOTHER;
}
