/* server/raw.c: the raw row of the server's mode table (server.h): bytes
 * as they are both ways (ser2net "tcp"); no lines, no settings. A
 * read-only client's bytes are dropped (reported once). */
#include "server/server.h"

static void raw_from_client(srv_client *c, const uint8_t *b, size_t n)
{
    if (!aser__srv_may_write(c)) {
        if (!c->told_access) aser__srv_refused(c, "writing to the port (its bytes are dropped)");
        c->told_access = true;
        return;
    }
    aser__srv_to_port(c, b, n);
}

static void raw_to_client(srv_client *c, const uint8_t *b, size_t n)
{
    aser__srv_out(c, b, n);
}

const srv_mode aser__srv_mode_raw = {
    .name = "raw",
    .from_client = raw_from_client,
    .to_client = raw_to_client,
    .sniffs = true,
};
