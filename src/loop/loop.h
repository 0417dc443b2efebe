/* loop.h: the aser_loop object shared by loop.c (hook wrappers, deferred
 * calls, references) and the built-in loop of each platform
 * (os/unix/loop.c, os/win/iocp.c). */
#ifndef ASER_LOOP_H
#define ASER_LOOP_H

#include "internal.h"

typedef struct aser_builtin aser_builtin;

struct aser_loop {
    const aser_loop_hooks *hooks;
    void *data;            /* first argument of every hook */
    aser_builtin *builtin; /* non-NULL for the built-in loop */
    long refs;             /* ports, pairs, timers keeping run() going */
    aser_defer *dq_head, *dq_tail;
    void *defer_timer; /* hook timer that drains the defer queue */
    unsigned defer_gen;
    bool defer_armed;
    bool stop;
    struct aser_mock *mocks; /* mock pairs registered on this loop */
    struct aser_mqtt_link
        *mqtt_links;        /* broker sessions of its mqtt:// ports (transport/mqtt_link.c) */
    struct aser_post *post; /* aser_loop_post(): queue, eventfd, watch (loop.c) */
};

/* The built-in loop, one per platform: os/unix/loop.c (epoll or poll()),
 * os/win/iocp.c (an I/O completion port). */
extern const aser_loop_hooks aser__builtin_hooks;
int aser__builtin_new(aser_builtin **out);
void aser__builtin_free(aser_builtin *b);
/* Wait for events up to timeout_us (-1: forever) and dispatch them. */
int aser__builtin_run_once(aser_builtin *b, int64_t timeout_us);
/* The fd a host may watch (-1: none); the first call turns on embedding
 * (os/unix/linux/epoll.c: the timerfd that makes due timers show on the
 * fd). */
int aser__builtin_fd(aser_builtin *b);
/* Microseconds until the earliest timer is due (0: due now, -1: none). */
int64_t aser__builtin_timeout(const aser_builtin *b);
/* aser_loop_post's wake-up, where the built-in loop has its own: 0, and
 * from then on each aser__builtin_post_wake() makes fn(arg) run on the
 * loop thread (Windows: a completion packet); ASER_ENOTSUP where it has
 * none (Unix), and loop.c watches a wake-up fd (os/wake.h) as on any
 * loop. */
int aser__builtin_set_post(aser_builtin *b, void (*fn)(void *), void *arg);
void aser__builtin_post_wake(aser_builtin *b);
/* aser_loop_free: dispatch every completion already queued (timeout 0, no
 * timers run): on Windows the done callbacks of operations a close
 * cancelled, which release their state and loop references. Returns how
 * many ran (always 0 on Unix). */
size_t aser__builtin_settle(aser_builtin *b);

#endif
