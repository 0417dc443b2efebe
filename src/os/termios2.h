/* termios2.h: the Linux termios2 interface (TCGETS2/TCSETS2, BOTHER) behind
 * a neutral struct, because <asm/termbits.h> and glibc's <termios.h> cannot
 * be included in the same file. Flag values are the kernel's, which glibc's
 * macros of the same names equal on Linux. */
#ifndef ASER_OS_TERMIOS2_H
#define ASER_OS_TERMIOS2_H

#include <stdint.h>

#define ASER_KTERM_NCCS 19

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

#endif
