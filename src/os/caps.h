/* caps.h: the capability report of an open port, feature by feature
 * (ASER_FEAT_*): supported, unsupported or unknown, with the reason a
 * feature is missing. Every platform's terminal code fills it (os/unix/tty.c,
 * os/win/comm.c) and the transports hand it to the port (aser_port_cap). */
#ifndef ASER_OS_CAPS_H
#define ASER_OS_CAPS_H

#include "internal.h"

typedef struct aser_caps {
    aser_cap state[ASER_FEAT_COUNT_];
    const char *reason[ASER_FEAT_COUNT_];
} aser_caps;

#endif
