/* heap.h: the built-in loops' timers (heap.c), a binary min-heap keyed by
 * deadline, shared by the Unix loop (os/unix/loop.c: epoll/poll) and the
 * Windows one (os/win/iocp.c: an I/O completion port). Loop thread only. */
#ifndef ASER_LOOP_HEAP_H
#define ASER_LOOP_HEAP_H

#include "internal.h"

typedef struct aser_htimer {
    uint64_t deadline;
    uint64_t pass;   /* the aser__heap_run() pass that armed it, 0: none */
    size_t heap_idx; /* SIZE_MAX when not armed */
    aser_timer_fn fn;
    void *arg;
} aser_htimer;

typedef struct aser_heap {
    aser_htimer **v;
    size_t n, cap;
    uint64_t pass_id;  /* aser__heap_run(): the pass running now (0: none) */
    uint64_t pass_seq; /* the last pass number handed out */
    bool in_timers;
} aser_heap;

/* The hook functions of a timer (timer_open .. timer_close). */
aser_htimer *aser__heap_timer_new(aser_timer_fn fn, void *arg);
int aser__heap_start(aser_heap *h, aser_htimer *t, uint64_t us);
void aser__heap_stop(aser_heap *h, aser_htimer *t);
void aser__heap_timer_free(aser_heap *h, aser_htimer *t);
/* Run every timer due now (not those armed by this pass's callbacks). */
void aser__heap_run(aser_heap *h);
/* timeout_us (-1: forever) shortened to the first deadline. */
int64_t aser__heap_timeout(const aser_heap *h, int64_t timeout_us);
/* Free the heap's array (the timers belong to their owners). */
void aser__heap_free(aser_heap *h);

#endif
