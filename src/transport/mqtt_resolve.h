/* mqtt_resolve.h: a broker's host name looked up on a helper thread, for
 * the MQTT gateway (server/mqtt.c) and endpoint (transport/mqtt.c):
 * libmosquitto's connect would call getaddrinfo() on the loop's thread
 * (docs/mqtt.md, "Blocking resolve, measured"). The answer comes back on
 * the loop through aser_loop_post(). Internal. */
#ifndef ASER_MQTT_RESOLVE_H
#define ASER_MQTT_RESOLVE_H

#include "internal.h"

typedef struct aser_mqtt_job aser_mqtt_job;

/* addr: the first address as text ("192.0.2.7", "2001:db8::1"), or NULL
 * with why (a sentence) when the lookup failed. Called on the loop. */
typedef void (*aser_mqtt_resolved_fn)(void *arg, const char *addr, const char *why);

/* True when host is an address already (nothing to look up). */
bool aser__mqtt_numeric(const char *host);
/* Look host up; fn(arg, ...) later, from the loop. NULL: could not start
 * (no thread, no memory); fn is then never called. */
aser_mqtt_job *aser__mqtt_resolve(aser_loop *loop, const char *host, aser_mqtt_resolved_fn fn,
                                  void *arg);
/* The caller goes away: fn will not be called. */
void aser__mqtt_resolve_abandon(aser_mqtt_job *job);

#endif
