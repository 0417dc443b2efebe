/* fuzz_pump.h: feeding a fuzzer's bytes to an aserial loop through a
 * socket, for the targets that drive a whole client or server (fuzz_client,
 * fuzz_server, fuzz_web) rather than a codec alone. */
#ifndef ASER_FUZZ_PUMP_H
#define ASER_FUZZ_PUMP_H

#include "aserial.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

/* Write d[0..n) into the non-blocking socket fd as the other side takes
 * it, running one loop iteration per round and throwing away whatever the
 * other side answers: at most 64 rounds, at least 4 (so answers to the
 * last bytes are made), bounded however the other side behaves. The
 * other side may have closed already: send() without SIGPIPE (a write()
 * there killed a long fuzz_client run with SIGPIPE, not a finding). */
static inline void fz_pump(aser_loop *loop, int fd, const uint8_t *d, size_t n)
{
    size_t sent = 0;
    uint8_t junk[4096];
    for (int round = 0; round < 64 && (sent < n || round < 4); round++) {
        if (sent < n) {
            ssize_t k = send(fd, d + sent, n - sent, MSG_NOSIGNAL); /* closed: no SIGPIPE */
            if (k > 0) sent += (size_t)k;
        }
        aser_loop_run_once(loop, 0);
        while (read(fd, junk, sizeof junk) > 0) {
        }
    }
}

#endif
