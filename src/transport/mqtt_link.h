/* mqtt_link.h: one libmosquitto session per broker per loop, shared by the
 * mqtt:// ports of that loop (transport/mqtt_link.c; the port side is
 * transport/mqtt.c; docs/mqtt.md, "One session per broker").
 *
 * A link is keyed by the whole connection (host, port, TLS files,
 * credentials: the aser_mqtt_conf but its prefix and name) and the loop; a
 * port joins the live link of its loop for the same broker or makes one,
 * and leaves it when its fd is released (close, failure). The link's
 * socket is watched by the loop itself (aser__io_open), a 1 s tick runs
 * the keepalive and each waiting member's open deadline. At most
 * ASER_MQTT_OPENS members subscribe and wait for their retained status at
 * a time, the rest queued in order: a broker that holds few messages in
 * flight to one client, and queues a bounded number more (mosquitto 2.0
 * without MQTT v5's receive maximum: 20 and 1,000), then drops QoS 1
 * messages, so 10,000 opens at once would lose statuses ("no such
 * export"). Messages reach
 * members through a hash table keyed by PREFIX/NAME; QoS-1 publishes are
 * accounted to their member through a table keyed by message id. A lost
 * broker detaches every member and tells each (aser__mq_link_lost); the
 * dead link is out of the loop's registry, so a port's reopen makes a new
 * one (or joins the one another port already made). The last member
 * leaving sends DISCONNECT and frees the link. Internal. */
#ifndef ASER_MQTT_LINK_H
#define ASER_MQTT_LINK_H

#include "codec/mqtt.h"
#include "transport/mqtt_conf.h"

#ifdef ASER_HAVE_MQTT
#include <mosquitto.h>

#define ASER_MQTT_TOPIC_MAX (ASER_MQTT_PREFIX_MAX + ASER_MQTT_NAME_MAX + 16)
#define ASER_MQTT_PROBE (ASER_MQTT_ERROR + 1) /* topic[]'s probe, after the kinds */
#define ASER_MQTT_LENS 64                     /* QoS-1 publishes a member may have unacknowledged */
#define ASER_MQTT_OPENS 256                   /* members of a link subscribing at once (above) */

typedef struct aser_mqtt_link aser_mqtt_link;

/* A port's place in a link. The port fills key and topic before joining;
 * the rest is the link's. */
typedef struct aser_mqtt_member {
    char key[ASER_MQTT_PREFIX_MAX + ASER_MQTT_NAME_MAX + 2]; /* PREFIX/NAME */
    size_t keylen;
    char topic[ASER_MQTT_PROBE + 1][ASER_MQTT_TOPIC_MAX];
    /* the link's */
    aser_mqtt_link *link;
    struct aser_mqtt_member *prev, *next; /* every member of the link */
    struct aser_mqtt_member *hnext;       /* the same bucket of the topic table */
    unsigned hash;
    bool waiting;                           /* the open is not over: the tick looks at it */
    bool queued, probing;                   /* waits its turn to subscribe; subscribed, opening */
    struct aser_mqtt_member *qprev, *qnext; /* the link's queue of opens */
    uint16_t mids[ASER_MQTT_LENS + 1];      /* its publishes and its probe in flight */
    unsigned nmids;
} aser_mqtt_member;

/* Join the loop's link for conf (made, and its connect started, if there
 * is none): 0, or a negative ASER_E* code with why. blocking: the
 * blocking API's private loop (the broker's name is looked up inline). */
int aser__mqtt_link_join(aser_loop *loop, const aser_mqtt_conf *conf, bool blocking,
                         aser_mqtt_member *m, char *why, size_t cap);
/* Leave (no-op when not in a link); the last member's leave sends
 * DISCONNECT and frees the link (later when inside its callbacks). */
void aser__mqtt_link_leave(aser_mqtt_member *m);
/* Publish on topic with QoS 1. track: a tx message whose acknowledgement
 * calls aser__mq_acked(m, n): 1 when it is tracked so, 0 when sent
 * untracked; or ASER_EAGAIN (not connected) / ASER_ENOMEM / ASER_EIO. */
int aser__mqtt_link_publish(aser_mqtt_member *m, const char *topic, const void *b, size_t n,
                            bool track);
/* The member's open is over (ready or failed): the tick stops looking. */
void aser__mqtt_link_settled(aser_mqtt_member *m);

/* Implemented by the port side (transport/mqtt.c), called by the link. */
void aser__mq_message(aser_mqtt_member *m, int kind, const uint8_t *b, size_t n,
                      const mosquitto_property *props);
void aser__mq_probed(aser_mqtt_member *m); /* the probe's SUBACK: every retained status came */
void aser__mq_acked(aser_mqtt_member *m, size_t n);
/* Once a second while waiting (the open's deadline). */
void aser__mq_tick(aser_mqtt_member *m, uint64_t now_us);
/* The link failed (m is already out of it): code for a port not open yet
 * (ASER_EACCES: refused; ASER_ENOENT: no such host; ASER_ECONNREFUSED...),
 * why says what, naming the broker. */
void aser__mq_link_lost(aser_mqtt_member *m, int code, const char *why);
#endif

#endif
