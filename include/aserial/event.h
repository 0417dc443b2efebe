/* aserial/event.h: run aserial on a libevent 2 event_base.
 *
 *   struct event_base *base = event_base_new();
 *   aser_loop *loop;
 *   aser_loop_new_event(base, &loop);    // then aser_open(loop, ...) as usual
 *   event_base_dispatch(base);           // aserial callbacks run from here
 *   ...close ports, then:
 *   aser_loop_free(loop);                // from outside aserial's callbacks
 *   event_base_free(base);
 *
 * Link with -laserial-event -laserial -levent_core (pkg-config
 * aserial-event). The adapter keeps no state of its own: every fd is one
 * persistent, level-triggered struct event, every timer an evtimer with a
 * microsecond timeval. libevent may use a coarse clock, so a timer that
 * fires before its deadline is re-armed for the rest: timeouts never fire
 * early. The aserial loop keeps one event added (the wake-up of
 * aser_loop_post), so event_base_dispatch() returns only after
 * aser_loop_free() (or event_base_loopexit()). The base must outlive the
 * aserial loop; aser_loop_free() frees every event the adapter made. */
#ifndef ASERIAL_EVENT_H
#define ASERIAL_EVENT_H

#include <aserial.h>
#include <event2/event.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A new aserial loop driven by base. Free it with aser_loop_free(). */
ASER_API int aser_loop_new_event(struct event_base *base, aser_loop **out);

/* The hook table, for aser_loop_new_with_hooks() with a struct event_base *
 * as loop_data. */
ASER_API const aser_loop_hooks *aser_event_hooks(void);

#ifdef __cplusplus
}
#endif
#endif /* ASERIAL_EVENT_H */
