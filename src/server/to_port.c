/* server/to_port.c: what clients write goes to the port, or is reported.
 * While the port is lost (reconnect waiting for it) or its stream has
 * ended, aser_write() refuses the bytes: nothing may vanish silently, so
 * each client's first refused write of a loss is reported at once
 * (ASER_SERVER_DATA_DROPPED: how many bytes, why) and told to the client
 * where its protocol can carry a notice (the mode's dropped hook: a
 * WebSocket error message; RFC 2217 and raw TCP have none); the rest of
 * that loss is counted and reported in one line when the port is back,
 * the client leaves, or the server stops. */
#include "server/server.h"

#include <stdio.h>

void aser__srv_to_port(srv_client *c, const uint8_t *b, size_t n)
{
    aser_server *s = c->s;
    int rc = s->port_ended ? ASER_EDISCONNECTED : aser_write(s->port, b, n, NULL, NULL);
    if (rc >= 0 || n == 0) return;
    c->dropped += n;
    if (c->told_drop) return;
    c->told_drop = true;
    c->drop_first = n;
    const char *why = aser_port_errmsg(s->port);
    char text[sizeof(aser_err){0}.msg + 128];
    snprintf(text, sizeof text,
             "%zu bytes from client %s dropped: the port cannot take them (%s%s%s)", n, c->peer,
             aser_strerror(rc), *why ? ": " : "", why);
    aser__srv_event(s, ASER_SERVER_DATA_DROPPED, rc, "%s", text);
    if (c->m->dropped) c->m->dropped(c, text);
}

void aser__srv_drops_report(srv_client *c, const char *when)
{
    if (c->told_drop && c->dropped > c->drop_first)
        aser__srv_event(c->s, ASER_SERVER_DATA_DROPPED, ASER_EDISCONNECTED,
                        "client %s: %llu bytes dropped in all %s", c->peer,
                        (unsigned long long)c->dropped, when);
    c->dropped = 0;
    c->told_drop = false;
}
