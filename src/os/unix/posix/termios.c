/* posix/termios.c: the aser_kterm interface (os/termios2.h) on
 * tcgetattr/tcsetattr, for systems without termios2 (macOS, the BSDs; the
 * portable build on Linux). Speeds: the Bnnnn constants the system
 * defines; on macOS any other rate through IOSSIOSPEED after the rest is
 * set; elsewhere another rate is refused (aser__kterm_rate_settable says
 * so first, and tty.c turns it into ASER_ENOTSUP with a message). */
#include "os/termios2.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#ifdef __APPLE__
#include <IOKit/serial/ioss.h>
#endif

/* Every rate some system has a constant for; each row only where the
 * constant exists. */
static const struct {
    uint32_t rate;
    speed_t code;
} std_rates[] = {
    {50, B50},           {75, B75},     {110, B110},   {134, B134},     {150, B150},
    {200, B200},         {300, B300},   {600, B600},   {1200, B1200},   {1800, B1800},
    {2400, B2400},       {4800, B4800}, {9600, B9600}, {19200, B19200}, {38400, B38400},
#ifdef B57600
    {57600, B57600},
#endif
#ifdef B115200
    {115200, B115200},
#endif
#ifdef B230400
    {230400, B230400},
#endif
#ifdef B460800
    {460800, B460800},
#endif
#ifdef B500000
    {500000, B500000},
#endif
#ifdef B576000
    {576000, B576000},
#endif
#ifdef B921600
    {921600, B921600},
#endif
#ifdef B1000000
    {1000000, B1000000},
#endif
#ifdef B1152000
    {1152000, B1152000},
#endif
#ifdef B1500000
    {1500000, B1500000},
#endif
#ifdef B2000000
    {2000000, B2000000},
#endif
#ifdef B2500000
    {2500000, B2500000},
#endif
#ifdef B3000000
    {3000000, B3000000},
#endif
#ifdef B3500000
    {3500000, B3500000},
#endif
#ifdef B4000000
    {4000000, B4000000},
#endif
};

#define N_RATES (sizeof std_rates / sizeof std_rates[0])

static bool code_of(uint32_t rate, speed_t *code)
{
    for (size_t i = 0; i < N_RATES; i++)
        if (std_rates[i].rate == rate) {
            *code = std_rates[i].code;
            return true;
        }
    return false;
}

static uint32_t rate_of(speed_t code)
{
    for (size_t i = 0; i < N_RATES; i++)
        if (std_rates[i].code == code) return std_rates[i].rate;
#ifdef __APPLE__
    return (uint32_t)code; /* speed_t is the rate itself there */
#else
    return 0;
#endif
}

bool aser__kterm_rate_settable(uint32_t baud)
{
#ifdef __APPLE__
    (void)baud;
    return true;
#else
    speed_t code;
    return code_of(baud, &code);
#endif
}

int aser__tcgets2(int fd, aser_kterm *k)
{
    struct termios t;
    if (tcgetattr(fd, &t) < 0) return -errno;
    memset(k, 0, sizeof *k);
    k->iflag = (uint32_t)t.c_iflag;
    k->oflag = (uint32_t)t.c_oflag;
    k->cflag = (uint32_t)t.c_cflag;
    k->lflag = (uint32_t)t.c_lflag;
    size_t n = NCCS < ASER_KTERM_NCCS ? NCCS : ASER_KTERM_NCCS;
    memcpy(k->cc, t.c_cc, n);
    k->ispeed = rate_of(cfgetispeed(&t));
    k->ospeed = rate_of(cfgetospeed(&t));
    return 0;
}

int aser__tcsets2(int fd, const aser_kterm *k)
{
    struct termios t;
    if (tcgetattr(fd, &t) < 0) return -errno; /* fields we do not carry */
    t.c_iflag = (tcflag_t)k->iflag;
    t.c_oflag = (tcflag_t)k->oflag;
    t.c_cflag = (tcflag_t)k->cflag;
    t.c_lflag = (tcflag_t)k->lflag;
    size_t n = NCCS < ASER_KTERM_NCCS ? NCCS : ASER_KTERM_NCCS;
    memcpy(t.c_cc, k->cc, n);
    speed_t code;
    bool standard = k->ospeed == 0 || code_of(k->ospeed, &code); /* 0: keep as is */
    if (k->ospeed && standard) {
        if (cfsetispeed(&t, code) < 0 || cfsetospeed(&t, code) < 0) return -errno;
    } else if (!aser__kterm_rate_settable(k->ospeed)) {
        return -EINVAL;
    }
    if (tcsetattr(fd, TCSANOW, &t) < 0) return -errno;
#ifdef __APPLE__
    if (!standard) {
        speed_t rate = (speed_t)k->ospeed;
        if (ioctl(fd, IOSSIOSPEED, &rate) < 0) return -errno;
    }
#endif
    return 0;
}

/* The speed travels in ispeed/ospeed only: no bits of it in cflag. */
uint32_t aser__kterm_cbaud(void)
{
    return 0;
}

uint32_t aser__kterm_cibaud(void)
{
    return 0;
}

uint32_t aser__kterm_bother(void)
{
    return 0;
}

uint32_t aser__kterm_speed_bits(uint32_t baud)
{
    (void)baud;
    return 0;
}
