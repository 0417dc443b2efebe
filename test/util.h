/* util.h: helpers shared by the tests. */
#ifndef ASER_TEST_UTIL_H
#define ASER_TEST_UTIL_H

#include "aserial.h"
#include "test.h"

/* A pseudo-terminal: *master (non-blocking) and the slave path. */
void ut_pty(int *master, char *path, size_t cap);
/* Run the built-in loop until *count is non-zero or ms pass; fails the
 * test on timeout. */
void ut_run_until(aser_loop *loop, const int *count, unsigned ms);
/* Run the loop for about ms milliseconds. */
void ut_run_for(aser_loop *loop, unsigned ms);
/* Write all of buf to a (possibly non-blocking) fd within 5 s. */
void ut_write_all(int fd, const void *buf, size_t len);
/* Read exactly n bytes from fd within ms; returns bytes read. */
size_t ut_read_n(int fd, void *buf, size_t n, unsigned ms);
/* Open a pty-backed port on a new loop: the test plays the device on
 * *master. */
aser_port *ut_open_pty_port(aser_loop *loop, int *master, const char *cfgstr);

/* A recorder for read callbacks. */
typedef struct ut_rec {
    int calls;
    int status;
    uint8_t data[65536];
    size_t len;
} ut_rec;
void ut_on_read(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx);
void ut_on_done(aser_port *p, int status, void *ctx);

/* Path of a built program: $ASER_BUILD_DIR/rel. */
const char *ut_build_path(const char *rel, char *buf, size_t cap);

#endif
