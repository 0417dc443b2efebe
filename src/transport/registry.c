/* transport/registry.c: every kind of endpoint aser_open() knows, one row
 * each. url.c picks the row whose prefix starts the URL (or the bare row
 * for a plain path) and parses the rest as that row says; the port then
 * calls only the row's ops. A new transport is one file plus one row here
 * (docs/transports.md). Order matters only where one prefix starts
 * another: none do today ("tcp://" is not a prefix of "tcp-listen://"). */
#include "transport/transport.h"

const aser_transport_ops *const aser__transports[] = {
#ifdef ASER_OS_WINDOWS
    /* Windows: COM ports (transport/com.c, docs/platforms.md) */
    &aser__com_transport,     /* COM5, \\.\COM12, serial://COM5 */
    &aser__com_usb_transport, /* usb:VID:PID[:SERIAL] */
#else
    &aser__tty_transport, /* /dev/ttyUSB0, serial:///dev/ttyUSB0 */
    &aser__usb_transport, /* usb:VID:PID[:SERIAL] */
#endif
    &aser__mock_transport,        /* mock://NAME (aserial/testing.h) */
    &aser__sim_transport,         /* sim:NAME, an instrument inside the port (issue 24) */
    &aser__tcp_transport,         /* tcp://HOST:PORT */
    &aser__tcp_listen_transport,  /* tcp-listen://[HOST:]PORT */
    &aser__tcp_tls_transport,     /* tcp+tls://HOST:PORT */
    &aser__rfc2217_transport,     /* rfc2217://HOST:PORT */
    &aser__rfc2217_tls_transport, /* rfc2217+tls://HOST:PORT */
    &aser__ws_transport,          /* ws://HOST:PORT/PATH */
    &aser__wss_transport,         /* wss://HOST:PORT/PATH */
    &aser__mqtt_transport,        /* mqtt://BROKER[:PORT]/PREFIX/NAME (docs/mqtt.md) */
    &aser__mqtts_transport,       /* mqtts://BROKER[:PORT]/PREFIX/NAME?ca=FILE */
#ifdef ASER_OS_UNIX /* no stdio: (console and pipe handles are not sockets) or pty: on Windows */
    &aser__stdio_transport, /* stdio:, or - */
    &aser__pty_transport,   /* pty:[LINK] */
#endif
    NULL,
};
