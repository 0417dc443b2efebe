/* aserial/testing.h: test your serial code without hardware.
 *
 * A mock is an in-memory null-modem cable: an AF_UNIX socketpair, so
 * readiness is real and the loop is exercised exactly as with a tty. End 0
 * is what code under test opens as "mock://NAME" with aser_open() on the
 * same loop, so it needs no change; end 1 is the device side, opened by the
 * test with aser_mock_open_peer() (or as "mock://NAME#peer"). Modem lines are emulated like a
 * null-modem cable: the peer's RTS shows as CTS, its DTR as DSR and CD.
 *
 * A fault plan per end makes the failure paths reachable: bursts of
 * EAGAIN or EINTR before every read and write, short reads and writes, an
 * EIO (a disconnect), a pulled cable after N bytes, added latency and a
 * bandwidth cap on what the end receives. */
#ifndef ASERIAL_TESTING_H
#define ASERIAL_TESTING_H

#include "aserial.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aser_mock aser_mock;

typedef struct aser_fault_plan {
    unsigned eagain_burst;     /* EAGAINs before every read and every write */
    unsigned eintr_burst;      /* EINTRs before every read and every write */
    size_t max_read;           /* at most this many bytes per read (0: no cap) */
    size_t max_write;          /* at most this many bytes per write (0: no cap) */
    bool eio_once;             /* the next read fails with EIO (a disconnect) */
    uint64_t disconnect_after; /* pull the cable after this many bytes through
                                  this end, read plus written (0: never) */
    unsigned latency_ms;       /* bytes reaching this end are delivered later */
    uint32_t bytes_per_sec;    /* delivery rate at this end (0: unlimited) */
} aser_fault_plan;

/* Create a mock registered on loop under name (ASER_EEXIST if taken). */
ASER_API int aser_mock_new(aser_loop *loop, const char *name, aser_mock **out);
/* Open end 1, the device side (cfg may be NULL). */
ASER_API int aser_mock_open_peer(aser_mock *m, const aser_config *cfg, aser_port **out);
/* Set the fault plan of end 0 (mock://NAME) or 1 (the peer); NULL clears. */
ASER_API int aser_mock_set_faults(aser_mock *m, int end, const aser_fault_plan *plan);
/* Pull the cable: both ends see ASER_EDISCONNECTED; reopening fails until
 * aser_mock_replug() puts a new cable in (reconnect tests). */
ASER_API void aser_mock_unplug(aser_mock *m);
ASER_API int aser_mock_replug(aser_mock *m);
/* Bytes that went through end (0 or 1), read plus written. */
ASER_API uint64_t aser_mock_bytes(const aser_mock *m, int end);
/* Free the mock; ASER_EBUSY while a port is open on either end. */
ASER_API int aser_mock_free(aser_mock *m);

#ifdef __cplusplus
}
#endif
#endif
