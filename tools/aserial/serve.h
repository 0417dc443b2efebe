/* serve.h: what the files of `aserial serve` share: one export (a port,
 * its listeners and options), the export file (serve_file.c) and the
 * listener addresses (serve_listen.c). cmd_serve.c runs them. */
#ifndef ASER_SERVE_H
#define ASER_SERVE_H

#include "cli.h"

#include <time.h>

#define SERVE_MAX_LISTENS 8
/* The most exports one process takes (--file): 16,384 at ~6 KiB each of
 * options here, besides what each export costs in the library. */
#define SERVE_MAX_EXPORTS 16384

typedef struct export
{
    char port_url[512];
    char listen[300];
    char more[SERVE_MAX_LISTENS - 1][300]; /* further --listen, each "[HOST:]PORT[/MODE]" */
    size_t nmore;
    bool timeouts_set; /* --negotiate-timeout given */
    char config[128];
    char name[64]; /* under /ws/ */
    aser_server_opts o;
    unsigned queue;
    aser_port *port;
    aser_server *srv;
    bool ended;
    aser_timer *retry; /* --file: the device was absent, try again */
    char absent[256];  /* why, as last reported */
    bool access_set;   /* read-only / lock-settings given for this export */
    char tls_cert[512], tls_key[512], tls_ca[512];
    char mqtt[512], mqtt_auth[512]; /* --file's mqtt=URL, mqtt-auth=FILE: "" for --mqtt's */
    char frame[64]; /* --frame / frame=SPEC: how the MQTT gateway cuts rx; "": as read */
    bool insecure;
    /* refused connections logged in the current window, and not logged */
    time_t refused_window;
    unsigned refused_shown, refused_hidden;
}
export;

/* ---- serve_file.c: --file FILE ------------------------------------------------ */

/* The exports of the file, each starting from *dflt (what the command line
 * set: --max-clients, --config, the mode...), which its line may override.
 * *ex is NULL on entry; the array is allocated as it grows (the caller
 * frees it, on failure too) and *n counts the exports taken. 0, or -1
 * after saying what is wrong (file, line, fix). */
int serve_read_file(const char *file, const export *dflt, export **ex, size_t *n);

/* A framer from SPEC (--frame, frame=): lines, delim:STR (escapes as
 * --eol), idle:MS, modbus-rtu (timed from cfg's speed), slip, cobs,
 * fixed:N. 0, or -1 after saying what is wrong and what is allowed. */
int serve_frame_spec(const char *spec, const aser_config *cfg, aser_framer *f);

/* ---- serve_listen.c: listener addresses --------------------------------------- */

/* "[HOST:]PORT[/raw|/rfc2217][,ACCESS]": cut the access and the mode off
 * addr. 0, or -1 after saying what is wrong. */
int serve_listen_mode(char *addr, aser_server_mode *mode, aser_server_access *access);
/* ", read-only", ", lock-settings" or "": for the "serving ..." lines. */
const char *serve_access_word(aser_server_access a);
void serve_print_serving(const export *e, const char *listen, int port, aser_server_mode mode,
                         aser_server_access access);
/* Start the further listeners of e (--listen after the first); 0, or the
 * exit status after saying why. */
int serve_listen_more(export *e, aser_server_mode dflt);

#endif
