/* server/web_exports.h: a web listener's exports, name -> server
 * (server/web_exports.c). Names are looked up on every WebSocket upgrade
 * and checked for clashes on every export, so they are hashed: a listener
 * with 16,384 exports starts and serves in time that does not grow with
 * the square of their count. The order of the dense array is the order
 * added, except that a removal moves the last export into the hole.
 * Internal. */
#ifndef ASER_WEB_EXPORTS_H
#define ASER_WEB_EXPORTS_H

#include "internal.h"

#define ASER_WEB_NAME_MAX 63

typedef struct web_export {
    char name[ASER_WEB_NAME_MAX + 1];
    aser_server *s;
} web_export;

typedef struct web_exports {
    web_export *v; /* v[0..n) */
    size_t n, cap;
    uint32_t *slot; /* linear probing: 1 + an index into v, 0: empty */
    size_t nslot;   /* a power of two, at least twice cap */
} web_exports;

/* The server exported as name, or NULL. */
aser_server *aser__webx_find(const web_exports *x, const char *name);
/* Add name -> s (a name not in x, at most ASER_WEB_NAME_MAX bytes): 0 or
 * ASER_ENOMEM (x unchanged). */
int aser__webx_add(web_exports *x, const char *name, aser_server *s);
/* Remove s's export, if it has one. */
void aser__webx_remove(web_exports *x, const aser_server *s);
/* Empty it (the memory stays for reuse). */
void aser__webx_clear(web_exports *x);
void aser__webx_free(web_exports *x);

#endif
