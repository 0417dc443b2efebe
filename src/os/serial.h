/* serial.h: what a UART driver offers beyond termios, which differs by
 * platform: RS-485, low latency, the error counters, the wait on close,
 * telling a pseudo-terminal. tty.c (shared by every POSIX system) calls
 * these; os/unix/linux/serial.c implements them with <linux/serial.h>
 * (TIOCGRS485, TIOCGSERIAL, TIOCGICOUNT, the pty majors), and
 * os/unix/posix/serial.c for the portable build (macOS, the BSDs), where none
 * exists: the capabilities say "not available on this platform". */
#ifndef ASER_OS_SERIAL_H
#define ASER_OS_SERIAL_H

#include "os/tty.h"

/* The driver's RS-485 settings as they were, to roll back to. */
typedef struct aser_rs485_saved {
    _Alignas(8) unsigned char raw[64];
} aser_rs485_saved;

/* The RS-485, low latency and line error capabilities of a tty that is
 * not a pseudo-terminal. */
void aser__serial_probe(int fd, aser_caps *c);
/* Set RS-485 mode as r asks (read-modify-write); *saved gets what was
 * there and *changed tells whether anything was written. 0, or a negative
 * code with err filled. */
int aser__serial_rs485_apply(int fd, const char *path, const aser_rs485 *r, aser_rs485_saved *saved,
                             bool *changed, aser_err *err);
void aser__serial_rs485_restore(int fd, const aser_rs485_saved *saved);
/* Low latency on or off; caps updated with what the driver did. */
int aser__serial_low_latency(int fd, const char *path, aser_low_latency mode, aser_caps *caps,
                             aser_err *err);
/* Output still stuck in the driver after a flush: make close() not wait
 * for it where the platform allows (Linux: closing_wait none). */
void aser__serial_close_nowait(int fd);

#endif
