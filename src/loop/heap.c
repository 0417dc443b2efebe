/* heap.c: the built-in loops' timer heap (heap.h): the Unix loop
 * (os/unix/loop.c) and the Windows one (os/win/iocp.c) run the same code. */
#include "loop/heap.h"

#include <stdlib.h>

static void heap_swap(aser_heap *b, size_t i, size_t j)
{
    aser_htimer *t = b->v[i];
    b->v[i] = b->v[j];
    b->v[j] = t;
    b->v[i]->heap_idx = i;
    b->v[j]->heap_idx = j;
}

static void heap_up(aser_heap *b, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (b->v[parent]->deadline <= b->v[i]->deadline) break;
        heap_swap(b, i, parent);
        i = parent;
    }
}

static void heap_down(aser_heap *b, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < b->n && b->v[l]->deadline < b->v[m]->deadline) m = l;
        if (r < b->n && b->v[r]->deadline < b->v[m]->deadline) m = r;
        if (m == i) break;
        heap_swap(b, i, m);
        i = m;
    }
}

static void heap_remove(aser_heap *b, aser_htimer *t)
{
    size_t i = t->heap_idx;
    t->heap_idx = SIZE_MAX;
    b->n--;
    if (i == b->n) return;
    b->v[i] = b->v[b->n];
    b->v[i]->heap_idx = i;
    heap_down(b, i);
    heap_up(b, i);
}

static int heap_push(aser_heap *b, aser_htimer *t)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        aser_htimer **h = realloc(b->v, cap * sizeof *h);
        if (!h) return ASER_ENOMEM;
        b->v = h;
        b->cap = cap;
    }
    t->heap_idx = b->n;
    b->v[b->n++] = t;
    heap_up(b, t->heap_idx);
    return 0;
}

aser_htimer *aser__heap_timer_new(aser_timer_fn fn, void *arg)
{
    aser_htimer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->heap_idx = SIZE_MAX;
    t->fn = fn;
    t->arg = arg;
    return t;
}

int aser__heap_start(aser_heap *b, aser_htimer *t, uint64_t us)
{
    t->deadline = aser__now_us() + us;
    /* Armed by a timer callback: due in a later pass, never this one, so a
     * 0 us timer that re-arms itself (the deferred-call queue) cannot keep
     * aser__heap_run() from returning. Its deadline stays true, so the next
     * turn finds it due and does not sleep (a 1 us wait would cost the
     * kernel's timer slack, ~50 us). */
    t->pass = b->in_timers ? b->pass_id : 0;
    if (t->heap_idx != SIZE_MAX) {
        heap_down(b, t->heap_idx);
        heap_up(b, t->heap_idx);
        return 0;
    }
    return heap_push(b, t);
}

void aser__heap_stop(aser_heap *b, aser_htimer *t)
{
    if (t->heap_idx != SIZE_MAX) heap_remove(b, t);
}

void aser__heap_timer_free(aser_heap *b, aser_htimer *t)
{
    aser__heap_stop(b, t);
    free(t);
}

void aser__heap_run(aser_heap *b)
{
    uint64_t now = aser__now_us();
    bool outer = !b->in_timers; /* a callback may run a nested iteration */
    uint64_t saved = b->pass_id, pass = ++b->pass_seq;
    b->in_timers = true;
    b->pass_id = pass;
    while (b->n > 0 && b->v[0]->deadline <= now && b->v[0]->pass != pass) {
        aser_htimer *t = b->v[0];
        heap_remove(b, t);
        t->fn(t->arg); /* may start, stop or close any timer, itself included */
        b->pass_id = pass;
    }
    b->pass_id = saved;
    if (outer) b->in_timers = false;
}

int64_t aser__heap_timeout(const aser_heap *b, int64_t timeout_us)
{
    if (b->n == 0) return timeout_us;
    uint64_t now = aser__now_us(), dl = b->v[0]->deadline;
    int64_t until = dl > now ? (int64_t)(dl - now) : 0;
    return timeout_us < 0 || until < timeout_us ? until : timeout_us;
}

void aser__heap_free(aser_heap *b)
{
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}
