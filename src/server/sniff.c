/* server/sniff.c: raw and RFC 2217 clients whose first line is an HTTP
 * request are refused before a byte reaches the device (cross-protocol
 * requests: any web page may POST text/plain to a loopback port). A
 * client's first bytes are held until codec/sniff.c can tell: at once
 * for nearly every client (a first byte that starts no HTTP method, an
 * RFC 2217 client's IAC), else when the first line ends, is longer than
 * ASER_SRV_SNIFF_MAX, or after ASER_SRV_SNIFF_US (then they pass). */
#include "codec/sniff.h"
#include "server/server.h"

#include <stdio.h>

static void refuse(srv_client *c)
{
    char line[64];
    size_t n = 0;
    const uint8_t *b = aser__bq_peek(&c->held);
    for (size_t i = 0; i < aser__bq_size(&c->held) && n < sizeof line - 1; i++) {
        if (b[i] == '\r' || b[i] == '\n') break;
        line[n++] = b[i] >= 0x20 && b[i] < 0x7f ? (char)b[i] : '?';
    }
    line[n] = '\0';
    c->refusing = true;
    aser__srv_kill(c,
                   "its first line is an HTTP request (\"%s\"): a web page may be reaching for "
                   "the device; closed before any byte reached it (to allow such lines: "
                   "aserial serve --allow-http, aser_server_opts.allow_http)",
                   line);
}

void aser__srv_sniff_release(srv_client *c)
{
    c->sniffing = false;
    if (aser__bq_size(&c->held))
        c->m->from_client(c, aser__bq_peek(&c->held), aser__bq_size(&c->held));
    aser__bq_free(&c->held);
}

bool aser__srv_sniff(srv_client *c, const uint8_t *b, size_t n)
{
    if (!c->sniffing) return false;
    if (!aser__bq_size(&c->held)) {
        aser_sniff r = aser__http_sniff(b, n, ASER_SRV_SNIFF_MAX);
        if (r == ASER_SNIFF_OTHER) {
            c->sniffing = false;
            return false; /* the caller passes b on */
        }
        c->held_since = aser__now_us();
    }
    if (aser__bq_append(&c->held, b, n, ASER_SRV_SNIFF_MAX) < 0) {
        aser__srv_kill(c, "out of memory");
        return true;
    }
    aser_sniff r = aser__http_sniff(aser__bq_peek(&c->held), aser__bq_size(&c->held),
                                    ASER_SRV_SNIFF_MAX);
    if (r == ASER_SNIFF_HTTP)
        refuse(c);
    else if (r == ASER_SNIFF_OTHER)
        aser__srv_sniff_release(c);
    return true;
}

uint64_t aser__srv_sniff_deadline(const srv_client *c)
{
    return c->sniffing && aser__bq_size(&c->held) ? c->held_since + ASER_SRV_SNIFF_US : 0;
}
