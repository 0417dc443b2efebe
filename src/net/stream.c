/* net/stream.c: one network stream, plain or through TLS (net/stream.h).
 *
 * Cipher bytes from the socket go into the session (codec/tls.c) and
 * plain bytes come out; plain bytes to send go in and their cipher waits
 * in st->cipher until the socket takes it. Bounded: a read feeds at most
 * one socket read (16 KiB) before taking plain bytes out (and a fair
 * stream only one per call); the cipher waiting is at most CIPHER_MAX,
 * and a write takes at most one record while none waits. */
#define _GNU_SOURCE
#include "net/stream.h"

#include "codec/tls.h"

#include <stdio.h>
#include <string.h>

/* One record plus the handshake's flight, with room to spare. */
#define CIPHER_MAX (256u * 1024u)

void aser__stream_init(aser_stream *st, aser_loop *loop, void (*replay)(void *), void *arg)
{
    memset(st, 0, sizeof *st);
    st->loop = loop;
    st->fd = -1;
    st->replay = (aser_defer){.fn = replay, .arg = arg};
}

int aser__stream_tls_client(aser_stream *st, const aser_tls_conf *conf, const char *host,
                            const char *what, aser_err *err)
{
    int rc = aser__tls_new(&st->tls, ASER_TLS_CLIENT, conf, host, what, err);
    st->handshaking = rc == 0;
    return rc;
}

int aser__stream_tls_server(aser_stream *st, aser_tls_ctx *ctx, const char *what, aser_err *err)
{
    int rc = aser__tls_new_server(&st->tls, ctx, what, err);
    st->handshaking = rc == 0;
    st->fair = true;
    return rc;
}

void aser__stream_tls_free(aser_stream *st)
{
    aser__tls_free(st->tls);
    st->tls = NULL;
    st->handshaking = false;
    aser__bq_free(&st->cipher);
}

void aser__stream_close(aser_stream *st)
{
    if (st->replay.fn) aser__defer_cancel(st->loop, &st->replay);
    aser__stream_tls_free(st);
    if (st->fd >= 0) aser__sock_close(st->fd);
    st->fd = -1;
}

void aser__stream_forget_fd(aser_stream *st)
{
    st->fd = -1;
}

void aser__stream_take_tls(aser_stream *dst, aser_stream *src)
{
    aser__stream_tls_free(dst);
    dst->tls = src->tls;
    dst->handshaking = src->handshaking;
    dst->fair = src->fair;
    dst->cipher = src->cipher;
    src->tls = NULL;
    src->handshaking = false;
    src->cipher = (aser_bq){0};
}

bool aser__stream_pending(const aser_stream *st)
{
    return st->tls && (aser__bq_size(&st->cipher) || aser__tls_pending(st->tls));
}

bool aser__stream_buffered(const aser_stream *st)
{
    return st->tls && !st->handshaking && aser__tls_buffered(st->tls);
}

void aser__stream_replay_if_buffered(aser_stream *st)
{
    if (st->replay.fn && aser__stream_buffered(st)) aser__defer(st->loop, &st->replay);
}

unsigned aser__stream_io_mask(aser_stream *st, unsigned ev)
{
    if (!st->tls) return ev;
    if (aser__stream_pending(st)) ev |= ASER_EV_WRITE;
    if (ev & ASER_EV_READ) aser__stream_replay_if_buffered(st);
    return ev;
}

const char *aser__stream_tls_error(const aser_stream *st)
{
    return st->tls ? aser__tls_error(st->tls) : "";
}

int aser__stream_flush(aser_stream *st)
{
    if (!st->tls) return 0;
    uint8_t buf[4096];
    size_t n;
    while ((n = aser__tls_take(st->tls, buf, sizeof buf)) > 0)
        if (aser__bq_append(&st->cipher, buf, n, CIPHER_MAX) < 0) return ASER_ENOBUFS;
    while (aser__bq_size(&st->cipher) && st->fd >= 0) {
        ssize_t w = aser__net_write(st->fd, aser__bq_peek(&st->cipher), aser__bq_size(&st->cipher));
        if (w == ASER_EINTR) continue;
        if (w < 0) return (int)w;
        aser__bq_consume(&st->cipher, (size_t)w);
    }
    return 0;
}

static bool flush_failed(int f)
{
    return f < 0 && f != ASER_EAGAIN;
}

ssize_t aser__stream_read(aser_stream *st, void *buf, size_t n)
{
    if (!st->tls) return aser__net_read(st->fd, buf, n);
    uint8_t raw[16384];
    bool fed = false;
    for (;;) {
        ssize_t r = aser__tls_read(st->tls, buf, n);
        if (r != ASER_EAGAIN) {
            int f = aser__stream_flush(st); /* what the session owes (tickets, key updates) */
            if (r >= 0 && flush_failed(f)) return f;
            return r;
        }
        if (fed && st->fair) return ASER_EAGAIN; /* others get their turn */
        r = aser__net_read(st->fd, raw, sizeof raw);
        if (r <= 0) return r;
        if (aser__tls_feed(st->tls, raw, (size_t)r) < 0) return ASER_ENOMEM;
        fed = true;
    }
}

ssize_t aser__stream_write(aser_stream *st, const void *buf, size_t n)
{
    if (!st->tls) return aser__net_write(st->fd, buf, n);
    int f = aser__stream_flush(st);
    if (flush_failed(f)) return f;
    if (aser__stream_pending(st)) return ASER_EAGAIN;
    ssize_t w = aser__tls_write(st->tls, buf, n);
    if (w < 0) return w;
    f = aser__stream_flush(st);
    return flush_failed(f) ? f : w;
}

int aser__stream_drain(aser_stream *st, aser_bq *q)
{
    while (aser__bq_size(q) && st->fd >= 0) {
        ssize_t w = aser__stream_write(st, aser__bq_peek(q), aser__bq_size(q));
        if (w == ASER_EINTR) continue;
        if (w < 0) return (int)w;
        aser__bq_consume(q, (size_t)w);
    }
    return 0;
}

aser_hs_result aser__stream_handshake(aser_stream *st, int rounds, char *why, size_t cap, int *code)
{
    uint8_t raw[16384];
    for (int round = 0; rounds == 0 || round < rounds; round++) {
        int rc = aser__tls_handshake(st->tls, why, cap);
        int f = aser__stream_flush(st); /* with a refusal: the alert telling the peer why */
        if (rc == ASER_EPROTO) return ASER_HS_PROTO;
        if (flush_failed(f)) {
            *code = f;
            return ASER_HS_SEND;
        }
        if (rc == 0) {
            st->handshaking = false;
            return ASER_HS_DONE;
        }
        ssize_t r = aser__net_read(st->fd, raw, sizeof raw);
        if (r == ASER_EINTR) continue;
        if (r == ASER_EAGAIN) return ASER_HS_AGAIN;
        if (r == 0) return ASER_HS_HUNG;
        if (r < 0) {
            *code = (int)r;
            return ASER_HS_LOST;
        }
        if (aser__tls_feed(st->tls, raw, (size_t)r) < 0) return ASER_HS_NOMEM;
    }
    return ASER_HS_AGAIN; /* more next time (or now: the fd stays ready) */
}

void aser__stream_send_now(aser_stream *st, const void *b, size_t n)
{
    if (!st->tls || st->handshaking || st->fd < 0) return;
    if (n)
        (void)aser__tls_write(st->tls, b, n);
    else
        aser__tls_close_notify(st->tls);
    (void)aser__stream_flush(st);
}

void aser__stream_goodbye(aser_stream *st)
{
    aser__stream_send_now(st, NULL, 0);
}
