/* aserial/uv.h: run aserial on a libuv loop.
 *
 *   uv_loop_t *uv = uv_default_loop();
 *   aser_loop *loop;
 *   aser_loop_new_uv(uv, &loop);         // then aser_open(loop, ...) as usual
 *   uv_run(uv, UV_RUN_DEFAULT);          // aserial callbacks run from here
 *   ...close ports, then:
 *   aser_loop_free(loop);                // from outside aserial's callbacks
 *   uv_run(uv, UV_RUN_NOWAIT);           // lets the close callbacks free handles
 *
 * Link with -laserial-uv -laserial -luv (pkg-config aserial-uv). The
 * adapter keeps no state of its own: every fd is a uv_poll_t, every timer a
 * uv_timer_t (plus a uv_idle_t for zero delays, so a deferred call that
 * re-arms itself waits for the next iteration). libuv timers count whole
 * milliseconds on a clock that may be coarse, so a timer that fires before
 * its microsecond deadline is re-armed for the rest: timeouts never fire
 * early, and fire at most about 1 ms late. One uv_poll_t per fd: libuv
 * misbehaves with two (and refuses one while another is active, UV_EEXIST),
 * so do not poll a port's fd yourself.
 * The aserial loop keeps one poll armed (the wake-up of aser_loop_post), so
 * uv_run(UV_RUN_DEFAULT) returns only after aser_loop_free(). The uv loop
 * must outlive the aserial loop. */
#ifndef ASERIAL_UV_H
#define ASERIAL_UV_H

#include <aserial.h>
#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A new aserial loop driven by uv. Free it with aser_loop_free(). */
ASER_API int aser_loop_new_uv(uv_loop_t *uv, aser_loop **out);

/* The hook table, for those who call aser_loop_new_with_hooks() with a
 * uv_loop_t * as loop_data themselves. */
ASER_API const aser_loop_hooks *aser_uv_hooks(void);

#ifdef __cplusplus
}
#endif
#endif /* ASERIAL_UV_H */
