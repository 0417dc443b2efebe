/* tty.h: the POSIX terminal, Linux flavour. Every function takes an open
 * fd and returns 0 / a count, or a negative ASER_E* code; functions that
 * fail for reasons a person must act on fill an aser_err. */
#ifndef ASER_OS_TTY_H
#define ASER_OS_TTY_H

#include "internal.h"
#include "os/caps.h"

/* Open path non-blocking, lock it if cfg->exclusive, probe capabilities,
 * apply cfg atomically and set the DTR/RTS start states. */
int aser__tty_open(const char *path, const aser_config *cfg, int *fd_out, aser_caps *caps,
                   aser_err *err);
/* Apply cfg atomically. cur is the config in effect (NULL on first open).
 * On failure everything is rolled back. */
int aser__tty_apply(int fd, const char *path, const aser_config *cur, const aser_config *cfg,
                    aser_caps *caps, aser_err *err);
int aser__tty_modem_get(int fd);
int aser__tty_modem_set(int fd, unsigned mask, unsigned values);
/* The kernel's error counters of a UART (TIOCGICOUNT). */
typedef struct aser_icount {
    uint32_t overrun, parity, frame, brk, buf_overrun;
} aser_icount;
/* 0, or ASER_ENOTSUP where the driver keeps none (pseudo-terminals,
 * many USB adapters), or another negative code. */
int aser__tty_icount(int fd, aser_icount *out);
/* The ASER_LINEERR_* bits for the counters that grew from before to now
 * (a buffer overrun counts as an overrun). */
unsigned aser__icount_errors(const aser_icount *before, const aser_icount *now);
/* Set (TIOCSBRK) or clear (TIOCCBRK) the break condition; never waits.
 * The caller times the break. */
int aser__tty_break_ctl(int fd, bool on);
int aser__tty_flush(int fd, int which); /* ASER_DISCARD_* */
int aser__tty_inq(int fd);
int aser__tty_outq(int fd);
/* Release the lock and close without ever blocking in the kernel's
 * closing_wait: unsent output is flushed first, and if the driver still
 * holds bytes, closing_wait is set to none (TIOCSSERIAL) where allowed. */
void aser__tty_close(int fd);
/* True for a pseudo-terminal (slave side). */
bool aser__tty_is_pty(int fd);
/* Put fd in raw mode keeping its speed (used on pseudo-terminals). */
int aser__tty_make_raw(int fd);

/* pty.c: a pseudo-terminal; *master is non-blocking, path is the slave. */
int aser__pty_open(int *master, char *path, size_t cap, aser_err *err);
/* Point the symlink link at target (a pty's slave path), replacing an
 * existing symlink; anything else at link is ASER_EEXIST with the fix. */
int aser__pty_link(const char *link, const char *target, aser_err *err);

#endif
