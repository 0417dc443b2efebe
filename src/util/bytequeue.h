/* util/bytequeue.h: a byte queue, for bytes waiting to be sent (the port's
 * write buffer, the RFC 2217 client's protocol output, each server
 * client's output).
 *
 * The queued bytes are buf[off..len) of one growable buffer: appends go at
 * len, sends take from off. Appending reclaims the consumed front first
 * (moving the queued bytes down) when the tail lacks room or more than
 * half the buffer is consumed, and grows the buffer (doubling) only when
 * that is not enough, up to a cap the caller gives with each append, so
 * memory stays bounded. All state is in the struct; a zeroed aser_bq is
 * an empty queue. Not thread-safe. */
#ifndef ASER_BYTEQUEUE_H
#define ASER_BYTEQUEUE_H

#include "internal.h"

typedef struct aser_bq {
    uint8_t *buf;
    size_t off, len, cap; /* queued: buf[off..len); buf holds cap bytes */
} aser_bq;

/* Bytes queued. */
static inline size_t aser__bq_size(const aser_bq *q)
{
    return q->len - q->off;
}

/* The first queued byte (aser__bq_size() of them follow). Valid until the
 * next append, reset or free. */
static inline const uint8_t *aser__bq_peek(const aser_bq *q)
{
    return q->buf + q->off;
}

/* Drop the first n queued bytes (n <= aser__bq_size()). */
static inline void aser__bq_consume(aser_bq *q, size_t n)
{
    q->off += n;
    if (q->off == q->len) q->off = q->len = 0;
}

/* Queue n bytes of b unless that would make more than max queued:
 * 0, ASER_ENOBUFS (past max; nothing queued) or ASER_ENOMEM. Appending
 * 0 bytes always succeeds. Invalidates pointers from aser__bq_peek(). */
int aser__bq_append(aser_bq *q, const void *b, size_t n, size_t max);

/* Drop the queued bytes at [at, at + n) of the queue (offsets from the
 * first queued byte; at + n <= aser__bq_size()). */
void aser__bq_cut(aser_bq *q, size_t at, size_t n);

/* Drop everything queued; the buffer is kept for reuse. */
static inline void aser__bq_reset(aser_bq *q)
{
    q->off = q->len = 0;
}

/* Release the buffer; q is an empty queue again. */
void aser__bq_free(aser_bq *q);

#endif
