/* framer.h: sans-I/O frame decoders and encoders (internal to libaserial).
 *
 * One decoder per aser_framer description (see aserial.h, "Framing"):
 *   DELIMS  any of up to ASER_FRAMER_MAX_DELIMS delimiters; at a position
 *           the longest delimiter that matches wins
 *   IDLE    a frame ends after gap_us of silence (Modbus RTU's 3.5
 *           character times); the caller tells the time
 *   FIXED   every frame is `size` bytes
 *   LENGTH  a length field at an offset (width 1, 2 or 4, either byte
 *           order) gives the frame's length, with an adjustment
 *   SLIP    RFC 1055: END 0xC0 ends a frame, ESC 0xDB escapes (ESC_END
 *           0xDC, ESC_ESC 0xDD)
 *   COBS    Consistent Overhead Byte Stuffing (Cheshire and Baker, 1999),
 *           each frame ended by 0x00
 *
 * Bytes go in through aser__frdec_feed(); frames and decode errors come
 * out one event at a time. The decoder does no I/O, reads no clock (the
 * IDLE decoder is given the time with every call) and never allocates:
 * the caller provides a buffer of aser__frdec_buf_size() bytes, which
 * bounds the memory: a frame longer than `max` is reported once as
 * ASER_ENOBUFS and skipped up to its end without being buffered.
 *
 * Raw accounting. So that a caller can keep the raw bytes in its own
 * buffer until a frame is complete (aserial's port does: a read that
 * fails consumes nothing), the decoder counts the raw bytes it holds
 * (aser__frdec_held): every event says how many of them it accounts for
 * (ev.used, counted from the oldest held byte), and bytes known to be
 * junk (the rest of a skipped frame, empty SLIP/COBS frames) can be
 * released early with aser__frdec_take_junk(). After an event the decoder
 * may still hold bytes it looked at (a DELIMS decoder needs to see past a
 * short delimiter that is the start of a longer one); they are the start
 * of what comes next.
 *
 * Error policy: nothing in the input can break the decoder. A bad frame
 * (overlong: ASER_ENOBUFS; bad SLIP escape, COBS block cut by the
 * delimiter, length field shorter than its header: ASER_EPROTO) is
 * reported at the byte that shows it is bad, with a message, and the
 * decoder then drops bytes up to the end of that frame (its delimiter,
 * END, 0x00, the silence, or the length the field declared).
 */
#ifndef ASER_CODEC_FRAMER_H
#define ASER_CODEC_FRAMER_H

#include "aserial.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ASER_SLIP_END 0xC0
#define ASER_SLIP_ESC 0xDB
#define ASER_SLIP_ESC_END 0xDC
#define ASER_SLIP_ESC_ESC 0xDD

/* One event: a frame (status 0) or a dropped bad frame (status < 0). */
typedef struct aser_frev {
    int status;          /* 0, ASER_ENOBUFS or ASER_EPROTO */
    const uint8_t *data; /* the decoded frame; valid until the next call */
    size_t len;
    size_t used;     /* held raw bytes this event accounts for */
    const char *msg; /* errors: what was wrong (static text) */
} aser_frev;

typedef struct aser_frdec {
    aser_framer f; /* the description, validated, max resolved */
    uint8_t *buf;  /* caller's memory, cap bytes */
    size_t cap;
    size_t len;        /* bytes in buf (DELIMS: raw; others: decoded) */
    size_t scan;       /* DELIMS: positions before this hold no delimiter */
    size_t shift;      /* bytes of buf to drop before the next step */
    size_t held;       /* raw bytes held (fed, not yet accounted for) */
    size_t junk;       /* of those, known junk at the front (take_junk) */
    size_t frame_raw;  /* raw bytes of the frame in progress */
    uint64_t skip;     /* LENGTH: bytes still to drop */
    bool skipping;     /* dropping the rest of a bad frame */
    bool esc;          /* SLIP: after ESC */
    unsigned left;     /* COBS: bytes left in the block; LENGTH: need */
    bool zero;         /* COBS: a zero is owed before the next block */
    bool started;      /* COBS: a code byte was seen in this frame */
    uint64_t last_us;  /* IDLE: when the last byte came */
    uint8_t first[32]; /* DELIMS: bit set of the delimiters' first bytes */
} aser_frdec;

/* Check a description; 0 or ASER_EINVAL with *why naming the field and
 * the fix (static text). max 0 is allowed (the caller resolves it). */
int aser__framer_check(const aser_framer *f, const char **why);
/* Raw bytes a decoder for f may hold at most (f->max resolved). */
size_t aser__frdec_raw_max(const aser_framer *f);
/* Bytes of buffer a decoder for f needs (f->max resolved). */
size_t aser__frdec_buf_size(const aser_framer *f);

/* Start decoding. f must pass aser__framer_check() and have max != 0;
 * cap >= aser__frdec_buf_size(f). */
void aser__frdec_init(aser_frdec *d, const aser_framer *f, uint8_t *buf, size_t cap);

/* Feed bytes received at now_us (any monotonic microseconds; only IDLE
 * uses it). Stops at the first event: returns the bytes consumed from in
 * and sets *got (ev filled) if an event ended the call. Call again with
 * the rest (n may be 0: bytes the decoder still holds can make another
 * event). */
size_t aser__frdec_feed(aser_frdec *d, const uint8_t *in, size_t n, uint64_t now_us, aser_frev *ev,
                        bool *got);

/* IDLE: the time is now_us and no byte came since the last call. True
 * (ev filled) if the frame in progress has ended. Other kinds: false. */
bool aser__frdec_tick(aser_frdec *d, uint64_t now_us, aser_frev *ev);

/* IDLE: when the frame in progress ends if nothing else comes (0: no
 * frame in progress, or not IDLE). */
uint64_t aser__frdec_due(const aser_frdec *d);

/* Release the junk bytes at the front of what is held: returns how many
 * (they need no event). */
size_t aser__frdec_take_junk(aser_frdec *d);

/* Raw bytes held now. */
static inline size_t aser__frdec_held(const aser_frdec *d)
{
    return d->held;
}

#endif
