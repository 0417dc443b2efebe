/* util/ring.h: a growable FIFO of fixed-size entries (the port's queued
 * queries and its write entries).
 *
 * cap slots of size bytes each, the entries in slots head, head + 1, ...
 * (modulo cap) for count of them. cap is 0 or a power of two, so an index
 * wraps with a mask. Pushing into a full ring doubles it (the first time:
 * 4 slots); nothing is allocated otherwise, and slots are reused: a slot
 * keeps what its last entry left there (zeroes when new), so an entry can
 * own a buffer that the next entry in that slot reuses. All state is in
 * the struct; a zeroed aser_ring is empty. The entry size is given to the
 * calls that may grow the ring and must be the same every time. The
 * accessors are inline: they run per request. Not thread-safe.
 *
 * Pointers to entries are valid until the next call that may grow the
 * ring (aser__ring_reserve, aser__ring_push) or aser__ring_remove. */
#ifndef ASER_RING_H
#define ASER_RING_H

#include "internal.h"

typedef struct aser_ring {
    void *v;                 /* cap slots */
    size_t size;             /* bytes per slot, 0 until the first growth */
    size_t head, count, cap; /* entries: slots head .. head + count - 1, mod cap */
} aser_ring;

/* Double the ring (to 4 slots when empty), entries and every slot's
 * contents kept in order, new slots zeroed: 0 or ASER_ENOMEM. */
int aser__ring_grow(aser_ring *r, size_t size);

/* Entry i from the front (i < count). With i < cap it names any slot:
 * i from count on are the free slots, in the order pushes will use them. */
static inline void *aser__ring_at(const aser_ring *r, size_t i)
{
    return (char *)r->v + ((r->head + i) & (r->cap - 1)) * r->size;
}

/* Make sure a push will not need memory: 0 or ASER_ENOMEM. */
static inline int aser__ring_reserve(aser_ring *r, size_t size)
{
    return r->count < r->cap ? 0 : aser__ring_grow(r, size);
}

/* The slot the next push will use (count < cap: reserve first). Its
 * contents are those its last entry left, or zeroes. */
static inline void *aser__ring_tail(const aser_ring *r)
{
    return aser__ring_at(r, r->count);
}

/* Add an entry at the back and return its slot (contents as for
 * aser__ring_tail), or NULL when out of memory. */
static inline void *aser__ring_push(aser_ring *r, size_t size)
{
    if (aser__ring_reserve(r, size) < 0) return NULL;
    return aser__ring_at(r, r->count++);
}

/* The front entry, or NULL when empty. */
static inline void *aser__ring_front(const aser_ring *r)
{
    return r->count ? aser__ring_at(r, 0) : NULL;
}

/* Drop the front entry (count > 0). Its slot keeps its contents. An
 * emptied ring starts again at its first slot, so a queue that holds one
 * entry at a time (request/reply) keeps using the same memory. */
static inline void aser__ring_pop(aser_ring *r)
{
    r->head = --r->count ? (r->head + 1) & (r->cap - 1) : 0;
}

/* Remove entry i (i < count): the entries after it move up one place and
 * its contents go to the slot the next push will use. */
void aser__ring_remove(aser_ring *r, size_t i);

/* Release the slots (free what entries own first); r is empty again. */
void aser__ring_free(aser_ring *r);

#endif
