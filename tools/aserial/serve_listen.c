/* serve_listen.c: the listener addresses of `aserial serve`
 * ("[HOST:]PORT[/MODE][,ACCESS]", --listen and the file's second field)
 * and the "serving ..." line each prints. */
#include "serve.h"

#include <stdio.h>
#include <string.h>

/* ",read-only", ",lock-settings" or ",full" after an address: cut them
 * off addr into *access. 0, or -1 after saying what is wrong. */
static int listen_access(char *addr, aser_server_access *access)
{
    char *comma = strchr(addr, ',');
    if (!comma) return 0;
    *comma = '\0';
    for (char *save = NULL, *t = strtok_r(comma + 1, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (!strcmp(t, "read-only"))
            *access = ASER_ACCESS_READ_ONLY;
        else if (!strcmp(t, "lock-settings"))
            *access = ASER_ACCESS_LOCK_SETTINGS;
        else if (!strcmp(t, "full"))
            *access = ASER_ACCESS_FULL;
        else {
            cli_error("serve",
                      "unknown listener option \"%s\" after %s: use read-only, lock-settings "
                      "or full",
                      t, addr);
            return -1;
        }
    return 0;
}

/* "[HOST:]PORT[/raw|/rfc2217][,ACCESS]": cut the access and the mode off
 * addr. 0, or -1 after saying what is wrong. */
int serve_listen_mode(char *addr, aser_server_mode *mode, aser_server_access *access)
{
    if (listen_access(addr, access) < 0) return -1;
    char *slash = strrchr(addr, '/');
    if (!slash) return 0;
    if (!strcmp(slash + 1, "raw"))
        *mode = ASER_SERVE_RAW;
    else if (!strcmp(slash + 1, "rfc2217"))
        *mode = ASER_SERVE_RFC2217;
    else {
        cli_error("serve", "unknown mode \"%s\" in --listen %s: use /raw or /rfc2217", slash + 1,
                  addr);
        return -1;
    }
    *slash = '\0';
    return 0;
}

const char *serve_access_word(aser_server_access a)
{
    return a == ASER_ACCESS_READ_ONLY       ? ", read-only"
           : a == ASER_ACCESS_LOCK_SETTINGS ? ", lock-settings"
                                            : "";
}

void serve_print_serving(const export *e, const char *listen, int port, aser_server_mode mode,
                         aser_server_access access)
{
    char host[300];
    snprintf(host, sizeof host, "%s", listen);
    char *colon = strrchr(host, ':');
    if (colon) *colon = '\0';
    printf("serving %s on %s:%d (%s%s%s%s)\n", e->port_url, colon ? host : "127.0.0.1", port,
           mode == ASER_SERVE_RAW ? "raw" : "rfc2217", e->o.tls_cert ? ", tls" : "",
           e->o.tls_client_ca ? ", client certificates" : "", serve_access_word(access));
}

/* The further listeners of one export. */
int serve_listen_more(export *e, aser_server_mode dflt)
{
    for (size_t i = 0; i < e->nmore; i++) {
        aser_server_mode mode = dflt;
        aser_server_access access = e->o.access;
        aser_err err = {0};
        if (serve_listen_mode(e->more[i], &mode, &access) < 0) return 2;
        int port = aser_server_listen_access(e->srv, e->more[i], mode, access, &err);
        if (port < 0) {
            cli_error("serve", "%s: %s", e->port_url, err.msg);
            return err.code == ASER_EACCES ? 2 : 1;
        }
        serve_print_serving(e, e->more[i], port, mode, access);
    }
    return 0;
}
