/* util.h: helpers shared by the tests. */
#ifndef ASER_TEST_UTIL_H
#define ASER_TEST_UTIL_H

#include "aserial.h"
#include "test.h"

/* The loop under test. ASER_TEST_LOOP picks it: builtin (the default), uv
 * or event; an unknown or unbuilt name fails the test. The async tests
 * (port, pair, sim, post) make their loops here, so meson runs each of
 * them once per loop. */
aser_loop *ut_loop_new(void);
/* "builtin", "uv" or "event": what ut_loop_new() makes in this process. */
const char *ut_loop_kind(void);
/* One iteration of any loop, waiting at most timeout_ms (-1: until
 * something happens; 0: do not wait). 0 or a negative code. Loops not made
 * by ut_loop_new() are taken to be built-in ones. */
int ut_loop_run_once(aser_loop *loop, int timeout_ms);
/* aser_loop_free() (which must succeed: the test fails otherwise), then the
 * host loop, checking that every uv handle / libevent event was released. */
void ut_loop_free(aser_loop *loop);

/* A pseudo-terminal: *master (non-blocking) and the slave path. */
void ut_pty(int *master, char *path, size_t cap);
/* Run the loop (any kind) until *count is non-zero or ms pass; fails the
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

/* Descriptors open in this process, "." and ".." included (compare
 * counts, not absolute values); -1 where there is no /proc/self/fd. */
int ut_open_fds(void);
/* Descriptors one wake-up (os/wake.h) holds: Linux's eventfd 1, the
 * portable build's self-pipe 2 (a sim: or mqtt:// port's fd is one). */
int ut_wake_fds(void);

/* Path of a built program: $ASER_BUILD_DIR/rel. */
const char *ut_build_path(const char *rel, char *buf, size_t cap);

#endif
