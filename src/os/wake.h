/* wake.h: a descriptor another thread can make readable, to wake the loop
 * (aser_loop_post). Linux: one eventfd (os/unix/linux/wake.c). Other POSIX
 * systems: a self-pipe (os/unix/posix/wake.c). */
#ifndef ASER_OS_WAKE_H
#define ASER_OS_WAKE_H

typedef struct aser_wake {
    int rfd; /* watched for reading by the loop */
    int wfd; /* written by aser__wake_signal (== rfd for an eventfd) */
} aser_wake;

/* Both ends non-blocking and close-on-exec. 0 or a negative ASER_E* code;
 * on failure both fds are -1. */
int aser__wake_open(aser_wake *w);
/* Make rfd readable. Async-signal-safe, any thread; never blocks (a full
 * pipe is already readable). */
void aser__wake_signal(aser_wake *w);
/* Read rfd back to not readable. Loop thread only. */
void aser__wake_drain(aser_wake *w);
void aser__wake_close(aser_wake *w);

#endif
