/* util/bytequeue.c: the out-of-line half of the byte queue (bytequeue.h):
 * appending (compaction, growth, the cap), cutting and freeing. */
#include "util/bytequeue.h"

#include <stdlib.h>
#include <string.h>

#define BQ_MIN_CAP 64u

/* Move the queued bytes to the front of the buffer. */
static void compact(aser_bq *q)
{
    size_t n = q->len - q->off;
    if (n) memmove(q->buf, q->buf + q->off, n);
    q->off = 0;
    q->len = n;
}

int aser__bq_append(aser_bq *q, const void *b, size_t n, size_t max)
{
    if (n == 0) return 0;
    size_t queued = q->len - q->off;
    if (n > max || queued > max - n) return ASER_ENOBUFS;
    if (q->off && (q->len + n > q->cap || q->off > q->cap / 2)) compact(q);
    if (q->len + n > q->cap) {
        /* Here the queue is compacted unless off is 0, so len + n <= max. */
        size_t cap = ASER_MAX(ASER_MAX(q->cap * 2, q->len + n), BQ_MIN_CAP);
        cap = ASER_MIN(cap, max);
        uint8_t *nb = realloc(q->buf, cap);
        if (!nb) return ASER_ENOMEM;
        q->buf = nb;
        q->cap = cap;
    }
    memcpy(q->buf + q->len, b, n);
    q->len += n;
    return 0;
}

void aser__bq_cut(aser_bq *q, size_t at, size_t n)
{
    if (!n) return;
    uint8_t *from = q->buf + q->off + at;
    memmove(from, from + n, q->len - q->off - at - n);
    q->len -= n;
    if (q->off == q->len) q->off = q->len = 0;
}

void aser__bq_free(aser_bq *q)
{
    free(q->buf);
    *q = (aser_bq){0};
}
