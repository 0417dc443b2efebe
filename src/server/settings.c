/* server/settings.c: the export's configured settings. The line settings
 * (baud, data bits, parity, stop bits, flow control) the port has when
 * the server starts are the export's: for `aserial serve`, its --config
 * or the export file's. Clients with full access may change them (RFC
 * 2217, the web console); when the last client leaves, the export's are
 * put back, so each client that comes alone finds what the export says,
 * never what the one before left (as pyserial's rfc2217_server does after
 * a disconnect). Not per connection, as ser2net does: an export here may
 * have several clients at once, and a newcomer must not reset the line
 * under those already there. A lock-settings or read-only export never
 * changes, so it has nothing to restore. */
#include "server/server.h"

void aser__srv_settings_changed(aser_server *s)
{
    for (srv_client *k = s->clients; k; k = k->next)
        if (k->st.fd >= 0 && !k->kill && k->admitted && k->m->settings) {
            k->m->settings(k);
            aser__srv_flush(k);
        }
}

void aser__srv_settings_keep(aser_server *s)
{
    aser_port_config(s->port, &s->settings);
}

void aser__srv_settings_restore(aser_server *s)
{
    if (s->stopped || s->port_ended || s->nclients) return;
    aser_config cur;
    aser_port_config(s->port, &cur);
    if (!aser__config_line_differs(&cur, &s->settings)) return;
    aser_config want = cur;
    want.baud = s->settings.baud;
    want.data_bits = s->settings.data_bits;
    want.parity = s->settings.parity;
    want.stop_bits = s->settings.stop_bits;
    want.flow = s->settings.flow;
    char str[128];
    aser_config_format(&want, str, sizeof str);
    aser_err err = {0};
    int rc = aser_configure(s->port, &want, &err);
    if (rc == 0) {
        aser__srv_event(s, ASER_SERVER_CONFIG, 0, "settings restored to %s (the last client left)",
                        str);
        aser__srv_settings_changed(s); /* clients still in their TLS handshake: none admitted */
    } else
        aser__srv_event(s, ASER_SERVER_CONFIG, rc,
                        "cannot restore the settings %s now that the last client left: %s", str,
                        err.msg);
}
