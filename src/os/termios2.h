/* termios2.h: a tty's settings behind a neutral struct, with the speed as a
 * number. Two implementations:
 *   os/unix/linux/termios2.c  the Linux termios2 interface (TCGETS2/TCSETS2,
 *                        BOTHER: any rate), in a file of its own because
 *                        <asm/termbits.h> and glibc's <termios.h> cannot be
 *                        included together. Flag values are the kernel's,
 *                        which glibc's macros of the same names equal.
 *   os/unix/posix/termios.c   tcgetattr/tcsetattr with the standard Bnnnn speeds
 *                        (plus IOSSIOSPEED on macOS), for the portable
 *                        build. Flag values are the platform's <termios.h>. */
#ifndef ASER_OS_TERMIOS2_H
#define ASER_OS_TERMIOS2_H

#include <stdbool.h>
#include <stdint.h>

#ifdef ASER_OS_LINUX
#define ASER_KTERM_NCCS 19 /* the kernel's NCCS */
#else
#define ASER_KTERM_NCCS 32 /* at least any system's NCCS (glibc 32, BSDs 20) */
#endif

typedef struct aser_kterm {
    uint32_t iflag, oflag, cflag, lflag;
    uint8_t line;
    uint8_t cc[ASER_KTERM_NCCS];
    uint32_t ispeed, ospeed;
} aser_kterm;

/* 0 or a negative ASER_E* code (from errno). */
int aser__tcgets2(int fd, aser_kterm *k);
int aser__tcsets2(int fd, const aser_kterm *k);
/* The kernel's CBAUD mask, CIBAUD mask and BOTHER value. */
uint32_t aser__kterm_cbaud(void);
uint32_t aser__kterm_cibaud(void);
uint32_t aser__kterm_bother(void);
/* The CBAUD bits for baud: its standard constant (B57600...) when it has
 * one, else BOTHER (the rate then travels in ispeed/ospeed). */
uint32_t aser__kterm_speed_bits(uint32_t baud);
/* Whether baud can be set at all: always on Linux (BOTHER) and macOS
 * (IOSSIOSPEED), else only the rates with a Bnnnn constant. */
bool aser__kterm_rate_settable(uint32_t baud);

#endif
