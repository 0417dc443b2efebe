/* server/web_exports.c: a web listener's exports, name -> server (see
 * web_exports.h): a dense array and an open-addressed index over it
 * (FNV-1a, linear probing, removal by backward shift, so no tombstones). */
#include "server/web_exports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hash_of(const char *name)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) h = (h ^ *c) * 16777619u;
    return h;
}

/* The slot that holds name, or the empty slot where it would go. */
static size_t probe(const web_exports *x, const char *name)
{
    size_t mask = x->nslot - 1, i = hash_of(name) & mask;
    while (x->slot[i] && strcmp(x->v[x->slot[i] - 1].name, name)) i = (i + 1) & mask;
    return i;
}

aser_server *aser__webx_find(const web_exports *x, const char *name)
{
    if (!x->n) return NULL;
    uint32_t k = x->slot[probe(x, name)];
    return k ? x->v[k - 1].s : NULL;
}

/* Index every export again into a table of nslot slots. */
static int reindex(web_exports *x, size_t nslot)
{
    uint32_t *slot = calloc(nslot, sizeof *slot);
    if (!slot) return ASER_ENOMEM;
    free(x->slot);
    x->slot = slot;
    x->nslot = nslot;
    for (size_t i = 0; i < x->n; i++) x->slot[probe(x, x->v[i].name)] = (uint32_t)(i + 1);
    return 0;
}

int aser__webx_add(web_exports *x, const char *name, aser_server *s)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        web_export *v = realloc(x->v, cap * sizeof *v);
        if (!v) return ASER_ENOMEM;
        x->v = v;
        if (reindex(x, cap * 2) < 0) return ASER_ENOMEM; /* v grew: harmless */
        x->cap = cap;
    }
    web_export *e = &x->v[x->n];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->s = s;
    x->slot[probe(x, e->name)] = (uint32_t)++x->n;
    return 0;
}

/* Empty slot i, then move back the entries after it that probing would
 * no longer reach (their home is not cyclically in (i, j]). */
static void unslot(web_exports *x, size_t i)
{
    size_t mask = x->nslot - 1;
    x->slot[i] = 0;
    for (size_t j = (i + 1) & mask; x->slot[j]; j = (j + 1) & mask) {
        size_t home = hash_of(x->v[x->slot[j] - 1].name) & mask;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays) continue;
        x->slot[i] = x->slot[j];
        x->slot[j] = 0;
        i = j;
    }
}

void aser__webx_remove(web_exports *x, const aser_server *s)
{
    size_t i = 0;
    while (i < x->n && x->v[i].s != s) i++;
    if (i == x->n) return;
    unslot(x, probe(x, x->v[i].name));
    size_t last = --x->n;
    if (i != last) { /* the last export moves into the hole */
        x->v[i] = x->v[last];
        x->slot[probe(x, x->v[i].name)] = (uint32_t)(i + 1);
    }
}

void aser__webx_clear(web_exports *x)
{
    x->n = 0;
    if (x->slot) memset(x->slot, 0, x->nslot * sizeof *x->slot);
}

void aser__webx_free(web_exports *x)
{
    free(x->v);
    free(x->slot);
    *x = (web_exports){0};
}
