/* web_assets.h: the console page's files (web/), built into the library
 * as byte arrays by web/embed.py (web_assets.c, generated). Internal. */
#ifndef ASER_SERVER_WEB_ASSETS_H
#define ASER_SERVER_WEB_ASSETS_H

#include <stddef.h>

typedef struct aser_web_asset {
    const char *name; /* "console.html" */
    const char *type; /* its Content-Type */
    const unsigned char *data;
    size_t len;
} aser_web_asset;

/* Ended by a row with name NULL. */
extern const aser_web_asset aser__web_assets[];

#endif
