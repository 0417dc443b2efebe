/* test-util.c: the containers under the port and the server: the byte
 * queue (src/util/bytequeue.h) and the ring (src/util/ring.h). Each is
 * fed whole and piece by piece, and checked against a plain model. */
#include "test.h"
#include "util/bytequeue.h"
#include "util/ring.h"
#include "server/web_exports.h"

/* ---- byte queue ------------------------------------------------------------------- */

static void check_bq(const aser_bq *q, const uint8_t *want, size_t n)
{
    CHECK_EQ(aser__bq_size(q), n);
    if (n) CHECK_MEM(aser__bq_peek(q), want, n);
    CHECK(q->off <= q->len && q->len <= q->cap);
}

TEST(util, bq_append_consume_whole)
{
    aser_bq q = {0};
    CHECK_EQ(aser__bq_size(&q), 0);
    CHECK_EQ(aser__bq_append(&q, "hello, world", 12, SIZE_MAX), 0);
    check_bq(&q, (const uint8_t *)"hello, world", 12);
    aser__bq_consume(&q, 7);
    check_bq(&q, (const uint8_t *)"world", 5);
    CHECK_EQ(aser__bq_append(&q, "!", 1, SIZE_MAX), 0);
    check_bq(&q, (const uint8_t *)"world!", 6);
    aser__bq_consume(&q, 6);
    CHECK_EQ(aser__bq_size(&q), 0);
    CHECK_EQ(q.off, 0); /* emptied: offsets back to the start */
    CHECK_EQ(q.len, 0);
    aser__bq_free(&q);
    CHECK(q.buf == NULL && q.cap == 0);
}

TEST(util, bq_byte_by_byte)
{
    aser_bq q = {0};
    uint8_t model[1000];
    for (size_t i = 0; i < sizeof model; i++) model[i] = (uint8_t)(i * 7 + 3);
    /* in one byte at a time, out one byte at a time, interleaved 2:1 */
    size_t in = 0, out = 0;
    while (out < sizeof model) {
        for (int k = 0; k < 2 && in < sizeof model; k++, in++)
            CHECK_EQ(aser__bq_append(&q, &model[in], 1, SIZE_MAX), 0);
        CHECK_EQ(aser__bq_peek(&q)[0], model[out]);
        aser__bq_consume(&q, 1);
        out++;
        check_bq(&q, model + out, in - out);
        CHECK(q.cap <= 2 * sizeof model); /* consumed bytes are reclaimed */
    }
    CHECK_EQ(aser__bq_size(&q), 0);
    aser__bq_free(&q);
}

TEST(util, bq_compacts_when_consumed_past_half)
{
    aser_bq q = {0};
    uint8_t b[256];
    for (size_t i = 0; i < sizeof b; i++) b[i] = (uint8_t)i;
    CHECK_EQ(aser__bq_append(&q, b, sizeof b, SIZE_MAX), 0);
    size_t cap = q.cap;
    aser__bq_consume(&q, cap / 2 + 1); /* past half */
    CHECK_EQ(aser__bq_append(&q, b, 1, SIZE_MAX), 0);
    CHECK_EQ(q.off, 0); /* moved down */
    CHECK_EQ(q.cap, cap);
    uint8_t want[256];
    size_t left = sizeof b - (cap / 2 + 1);
    memcpy(want, b + cap / 2 + 1, left);
    want[left] = 0;
    check_bq(&q, want, left + 1);
    aser__bq_free(&q);
}

TEST(util, bq_reclaims_before_growing)
{
    aser_bq q = {0};
    uint8_t b[64] = {0};
    CHECK_EQ(aser__bq_append(&q, b, 50, SIZE_MAX), 0);
    size_t cap = q.cap;
    CHECK_EQ(cap, 64);                                 /* the smallest buffer */
    aser__bq_consume(&q, 10);                          /* not past half */
    CHECK_EQ(aser__bq_append(&q, b, 14, SIZE_MAX), 0); /* fits the tail: stays put */
    CHECK_EQ(q.off, 10);
    CHECK_EQ(aser__bq_append(&q, b, 10, SIZE_MAX), 0); /* fits only after moving down */
    CHECK_EQ(q.off, 0);
    CHECK_EQ(q.cap, cap);
    CHECK_EQ(aser__bq_size(&q), cap);
    CHECK_EQ(aser__bq_append(&q, b, 1, SIZE_MAX), 0); /* full: grows by doubling */
    CHECK_EQ(q.cap, 2 * cap);
    aser__bq_free(&q);
}

TEST(util, bq_cap_is_enobufs)
{
    aser_bq q = {0};
    uint8_t b[300];
    for (size_t i = 0; i < sizeof b; i++) b[i] = (uint8_t)(255 - i);
    CHECK_EQ(aser__bq_append(&q, b, 101, 100), ASER_ENOBUFS); /* alone too big */
    CHECK_EQ(aser__bq_size(&q), 0);
    CHECK_EQ(aser__bq_append(&q, b, 60, 100), 0);
    CHECK_EQ(aser__bq_append(&q, b + 60, 41, 100), ASER_ENOBUFS); /* 101 in all */
    check_bq(&q, b, 60);                                          /* nothing added */
    CHECK_EQ(aser__bq_append(&q, b + 60, 40, 100), 0);            /* exactly 100 */
    check_bq(&q, b, 100);
    CHECK(q.cap <= 100);                         /* growth stops at the cap */
    CHECK_EQ(aser__bq_append(&q, b, 0, 100), 0); /* nothing: always fine */
    CHECK_EQ(aser__bq_append(&q, b, 1, 100), ASER_ENOBUFS);
    aser__bq_consume(&q, 30); /* room again */
    CHECK_EQ(aser__bq_append(&q, b + 100, 30, 100), 0);
    check_bq(&q, b + 30, 100);
    CHECK(q.cap <= 100);
    CHECK_EQ(aser__bq_append(&q, b, 1, SIZE_MAX), 0); /* the cap is per call */
    CHECK_EQ(aser__bq_size(&q), 101);
    aser__bq_free(&q);
}

TEST(util, bq_cut_and_reset)
{
    aser_bq q = {0};
    CHECK_EQ(aser__bq_append(&q, "0123456789", 10, SIZE_MAX), 0);
    aser__bq_consume(&q, 2);
    aser__bq_cut(&q, 3, 4); /* "5678" */
    check_bq(&q, (const uint8_t *)"2349", 4);
    aser__bq_cut(&q, 0, 0);
    check_bq(&q, (const uint8_t *)"2349", 4);
    aser__bq_cut(&q, 0, 4);
    CHECK_EQ(aser__bq_size(&q), 0);
    CHECK_EQ(q.off, 0);
    CHECK_EQ(aser__bq_append(&q, "abc", 3, SIZE_MAX), 0);
    uint8_t *buf = q.buf;
    aser__bq_reset(&q);
    CHECK_EQ(aser__bq_size(&q), 0);
    CHECK(q.buf == buf); /* kept for reuse */
    CHECK_EQ(aser__bq_append(&q, "de", 2, SIZE_MAX), 0);
    check_bq(&q, (const uint8_t *)"de", 2);
    aser__bq_free(&q);
    aser__bq_free(&q); /* twice is fine: it is empty */
}

/* Random appends, consumes and cuts against a flat array. */
TEST(util, bq_against_a_model)
{
    enum {
        MAX = 5000
    };
    static uint8_t model[1u << 20];
    size_t mlen = 0;
    aser_bq q = {0};
    uint8_t chunk[700];
    srand(11);
    for (int step = 0; step < 20000; step++) {
        int op = rand() % 3;
        if (op == 0) {
            size_t n = (size_t)rand() % sizeof chunk;
            for (size_t i = 0; i < n; i++) chunk[i] = (uint8_t)rand();
            int rc = aser__bq_append(&q, chunk, n, MAX);
            CHECK_EQ(rc, n && mlen + n > MAX ? ASER_ENOBUFS : 0);
            if (rc == 0) {
                memcpy(model + mlen, chunk, n);
                mlen += n;
            }
        } else if (op == 1 && mlen) {
            size_t n = 1 + (size_t)rand() % mlen;
            aser__bq_consume(&q, n);
            memmove(model, model + n, mlen - n);
            mlen -= n;
        } else if (mlen) {
            size_t at = (size_t)rand() % mlen, n = (size_t)rand() % (mlen - at + 1);
            aser__bq_cut(&q, at, n);
            memmove(model + at, model + at + n, mlen - at - n);
            mlen -= n;
        }
        check_bq(&q, model, mlen);
        CHECK(q.cap <= MAX);
    }
    aser__bq_free(&q);
}

/* ---- ring ------------------------------------------------------------------------- */

typedef struct ent {
    int v;
    char *owned;  /* what a slot keeps for the next entry in it */
    char pad[70]; /* wider than the slot swapper's step */
} ent;

static void check_ring(const aser_ring *r, const int *want, size_t n)
{
    CHECK_EQ(r->count, n);
    CHECK(r->cap == 0 || (r->cap & (r->cap - 1)) == 0);
    CHECK(r->count <= r->cap);
    for (size_t i = 0; i < n; i++) {
        const ent *e = aser__ring_at(r, i);
        CHECKM(e->v == want[i], "entry %zu: %d != %d", i, e->v, want[i]);
    }
    const ent *f = aser__ring_front(r);
    CHECK(n ? f && f->v == want[0] : f == NULL);
}

TEST(util, ring_push_pop_whole)
{
    aser_ring r = {0};
    CHECK(aser__ring_front(&r) == NULL);
    int want[64];
    for (int i = 0; i < 64; i++) {
        ent *e = aser__ring_push(&r, sizeof(ent));
        CHECK(e != NULL);
        CHECK_EQ(e->v, 0); /* a new slot is zeroed */
        e->v = want[i] = i;
    }
    CHECK_EQ(r.cap, 64);
    check_ring(&r, want, 64);
    for (int i = 0; i < 64; i++) {
        check_ring(&r, want + i, (size_t)(64 - i));
        aser__ring_pop(&r);
    }
    check_ring(&r, NULL, 0);
    aser__ring_free(&r);
    CHECK(r.v == NULL && r.cap == 0 && r.count == 0);
}

/* Push two, pop one, again and again: the head walks round the ring while
 * it grows, so every growth happens with the entries wrapped. */
TEST(util, ring_grows_across_the_wrap)
{
    aser_ring r = {0};
    static int model[4096];
    size_t mhead = 0, mtail = 0;
    int next = 1;
    size_t grew = 0, wrapped_growths = 0;
    while (mtail < 2000) {
        for (int k = 0; k < 2; k++) {
            size_t cap = r.cap;
            bool wrapped = r.count == r.cap && r.head != 0;
            ent *e = aser__ring_push(&r, sizeof(ent));
            CHECK(e != NULL);
            if (r.cap != cap) {
                grew++;
                if (wrapped) wrapped_growths++;
            }
            e->v = model[mtail++] = next++;
        }
        const ent *f = aser__ring_front(&r);
        CHECK_EQ(f->v, model[mhead]);
        aser__ring_pop(&r);
        mhead++;
        check_ring(&r, model + mhead, mtail - mhead);
    }
    CHECK(grew >= 8);
    CHECK(wrapped_growths > 0);
    while (r.count) { /* element by element to empty */
        CHECK_EQ(((ent *)aser__ring_front(&r))->v, model[mhead++]);
        aser__ring_pop(&r);
    }
    CHECK_EQ(mhead, mtail);
    aser__ring_free(&r);
}

/* Slots keep what their entries left: a buffer owned by a popped entry is
 * there for the next entry pushed into that slot, across growth too. */
TEST(util, ring_slots_are_reused)
{
    aser_ring r = {0};
    for (int i = 0; i < 3; i++) {
        ent *e = aser__ring_push(&r, sizeof(ent));
        e->v = i;
        e->owned = malloc(8);
        CHECK(e->owned != NULL);
    }
    aser__ring_pop(&r);
    aser__ring_pop(&r); /* head is 2 now, slots 0 and 1 hold buffers */
    CHECK_EQ(aser__ring_reserve(&r, sizeof(ent)), 0);
    ent *t = aser__ring_tail(&r);
    CHECK(t->owned == NULL); /* slot 3: never used */
    t = aser__ring_push(&r, sizeof(ent));
    t->v = 3;
    t = aser__ring_push(&r, sizeof(ent)); /* wraps to slot 0 */
    CHECK(t->owned != NULL);
    t->v = 4;
    t = aser__ring_push(&r, sizeof(ent)); /* slot 1 */
    CHECK(t->owned != NULL);
    t->v = 5;
    ent *e = aser__ring_push(&r, sizeof(ent)); /* full (2,3,0,1): grows to 8 */
    CHECK_EQ(r.cap, 8);
    CHECK(e->owned == NULL);
    e->v = 6;
    static const int want[] = {2, 3, 4, 5, 6};
    check_ring(&r, want, 5);
    size_t owners = 0;
    for (size_t i = 0; i < r.cap; i++) owners += ((ent *)aser__ring_at(&r, i))->owned != NULL;
    CHECK_EQ(owners, 3); /* every buffer survived the growth */
    for (size_t i = 0; i < r.cap; i++) free(((ent *)aser__ring_at(&r, i))->owned);
    aser__ring_free(&r);
}

/* One entry at a time (request/reply): every push uses the first slot. */
TEST(util, ring_emptied_starts_at_its_first_slot)
{
    aser_ring r = {0};
    ent *first = aser__ring_push(&r, sizeof(ent));
    CHECK(first != NULL);
    first->owned = malloc(8);
    CHECK(first->owned != NULL);
    for (int i = 0; i < 10; i++) {
        aser__ring_pop(&r);
        CHECK_EQ(r.head, 0);
        ent *e = aser__ring_push(&r, sizeof(ent));
        CHECK(e == first);
        CHECK(e->owned != NULL); /* and it keeps what its last entry left */
        e->v = i;
        check_ring(&r, &i, 1);
    }
    free(first->owned);
    aser__ring_free(&r);
}

TEST(util, ring_remove_moves_the_entry_to_the_tail)
{
    aser_ring r = {0};
    int model[8];
    size_t n = 0;
    for (int i = 0; i < 6; i++) { /* wrap it first: head ends up at 2 */
        ent *e = aser__ring_push(&r, sizeof(ent));
        e->v = i;
        e->owned = NULL;
        if (i < 2) continue;
        model[n++] = i;
    }
    aser__ring_pop(&r);
    aser__ring_pop(&r);
    check_ring(&r, model, n);
    ((ent *)aser__ring_at(&r, 1))->owned = malloc(4); /* entry 3 */
    aser__ring_remove(&r, 1);
    memmove(model + 1, model + 2, (n - 2) * sizeof *model);
    n--;
    check_ring(&r, model, n);
    ent *t = aser__ring_tail(&r);
    CHECK_EQ(t->v, 3);
    CHECK(t->owned != NULL);
    free(t->owned);
    t->owned = NULL;
    aser__ring_remove(&r, 0);           /* the front */
    aser__ring_remove(&r, r.count - 1); /* the back */
    static const int left[] = {4};
    check_ring(&r, left, 1);
    aser__ring_remove(&r, 0);
    check_ring(&r, NULL, 0);
    aser__ring_free(&r);
}

/* The web listener's export table against a model: every name added is
 * found with its server, a removed one is not, through growth and
 * removals that shift probe chains back (2,000 names: chains collide). */
enum {
    NX = 2000
};
static char xtag[NX]; /* &xtag[i] stands for export i's server */

static void check_exports(const web_exports *x, const bool *in)
{
    size_t n = 0;
    for (int i = 0; i < NX; i++) {
        char name[16];
        snprintf(name, sizeof name, "port-%d", i);
        aser_server *want = in[i] ? (aser_server *)(void *)&xtag[i] : NULL;
        CHECK(aser__webx_find(x, name) == want);
        n += in[i];
    }
    CHECK_EQ(x->n, n);
}

TEST(util, web_exports_against_a_model)
{
    web_exports x = {0};
    static bool in[NX];
    memset(in, 0, sizeof in);
    CHECK(aser__webx_find(&x, "port-0") == NULL); /* empty, never grown */
    for (int i = 0; i < NX; i++) {
        char name[16];
        snprintf(name, sizeof name, "port-%d", i);
        CHECK_EQ(aser__webx_add(&x, name, (aser_server *)(void *)&xtag[i]), 0);
        in[i] = true;
    }
    check_exports(&x, in);
    unsigned seed = 1;
    for (int round = 0; round < 3000; round++) {
        seed = seed * 1103515245u + 12345u;
        int i = (int)((seed >> 8) % NX);
        if (in[i]) {
            aser__webx_remove(&x, (aser_server *)(void *)&xtag[i]);
        } else {
            char name[16];
            snprintf(name, sizeof name, "port-%d", i);
            CHECK_EQ(aser__webx_add(&x, name, (aser_server *)(void *)&xtag[i]), 0);
        }
        in[i] = !in[i];
        if (round % 500 == 0) check_exports(&x, in);
    }
    check_exports(&x, in);
    aser__webx_remove(&x, (aser_server *)(void *)&xtag[0]); /* absent or not: fine */
    in[0] = false;
    check_exports(&x, in);
    aser__webx_clear(&x);
    memset(in, 0, sizeof in);
    check_exports(&x, in);
    CHECK_EQ(aser__webx_add(&x, "again", (aser_server *)(void *)&xtag[1]), 0);
    CHECK(aser__webx_find(&x, "again") == (aser_server *)(void *)&xtag[1]);
    aser__webx_free(&x);
}
