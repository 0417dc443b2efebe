/* util/ring.c: the out-of-line half of the ring (ring.h): growing,
 * removing from the middle, freeing. */
#include "util/ring.h"

#include <stdlib.h>
#include <string.h>

#define RING_MIN_CAP 4u

int aser__ring_grow(aser_ring *r, size_t size)
{
    size_t cap = r->cap ? r->cap * 2 : RING_MIN_CAP;
    if (cap > SIZE_MAX / size) return ASER_ENOMEM;
    char *v = calloc(cap, size);
    if (!v) return ASER_ENOMEM;
    r->size = size;
    for (size_t i = 0; i < r->cap; i++) memcpy(v + i * size, aser__ring_at(r, i), size);
    free(r->v);
    r->v = v;
    r->cap = cap;
    r->head = 0;
    return 0;
}

/* Exchange two slots, a few bytes at a time (no allocation). */
static void swap_slots(char *a, char *b, size_t size)
{
    char tmp[64];
    for (size_t done = 0; done < size; done += sizeof tmp) {
        size_t n = ASER_MIN(sizeof tmp, size - done);
        memcpy(tmp, a + done, n);
        memcpy(a + done, b + done, n);
        memcpy(b + done, tmp, n);
    }
}

void aser__ring_remove(aser_ring *r, size_t i)
{
    for (size_t j = i; j + 1 < r->count; j++)
        swap_slots(aser__ring_at(r, j), aser__ring_at(r, j + 1), r->size);
    r->count--;
}

void aser__ring_free(aser_ring *r)
{
    free(r->v);
    *r = (aser_ring){0};
}
