/* ws.c: the WebSocket codec (RFC 6455) and its HTTP/1.1 upgrade. See ws.h.
 *
 * The head of the HTTP exchange is collected whole (bounded), then parsed;
 * frames are parsed a byte at a time through their header and then in
 * runs through their payload, so feeding one byte at a time and feeding
 * everything at once give the same events (the tests check it). */
#include "codec/ws.h"
#include "aserial.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* ---- SHA-1 and base64 (for the handshake only) ---------------------------- */

static uint32_t rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const uint8_t *b)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
               (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (bb & c) | (~bb & d);
            k = 0x5A827999u;
        } else if (i < 40) {
            f = bb ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (i < 60) {
            f = (bb & c) | (bb & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = bb ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(bb, 30);
        bb = a;
        a = t;
    }
    h[0] += a, h[1] += bb, h[2] += c, h[3] += d, h[4] += e;
}

void aser__sha1(const void *data, size_t len, uint8_t out[20])
{
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    const uint8_t *p = data;
    size_t n = len;
    for (; n >= 64; n -= 64, p += 64) sha1_block(h, p);
    uint8_t last[128] = {0};
    memcpy(last, p, n);
    last[n] = 0x80;
    size_t blocks = n + 9 <= 64 ? 1 : 2;
    uint64_t bits = (uint64_t)len * 8u;
    for (int i = 0; i < 8; i++) last[blocks * 64 - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
    for (size_t i = 0; i < blocks; i++) sha1_block(h, last + 64 * i);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}

void aser__base64(const uint8_t *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

void aser__ws_accept_key(const char *key, char out[ASER_WS_ACCEPT_LEN + 1])
{
    char buf[ASER_WS_KEY_LEN + sizeof GUID];
    size_t kl = strnlen(key, ASER_WS_KEY_LEN);
    memcpy(buf, key, kl);
    memcpy(buf + kl, GUID, sizeof GUID - 1);
    uint8_t d[20];
    aser__sha1(buf, kl + sizeof GUID - 1, d);
    aser__base64(d, sizeof d, out);
}

/* ---- events --------------------------------------------------------------- */

static void emit(aser_ws *ws, const aser_ws_event *ev)
{
    ws->cb(ws, ev, ws->ud);
}

static void send_bytes(aser_ws *ws, const void *b, size_t n)
{
    if (n == 0) return;
    aser_ws_event ev = {.kind = ASER_WS_EV_SEND, .data = b, .len = n};
    emit(ws, &ev);
}

static void send_frame(aser_ws *ws, int op, const uint8_t *data, size_t len)
{
    uint8_t h[14];
    size_t hl = 2;
    h[0] = (uint8_t)(0x80 | op);
    bool mask = ws->role == ASER_WS_CLIENT;
    if (len < 126) {
        h[1] = (uint8_t)len;
    } else if (len <= 0xFFFF) {
        h[1] = 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        hl = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        hl = 10;
    }
    uint8_t key[4] = {0};
    if (mask) {
        uint32_t k = ws->mask_key ? ws->mask_key(ws->ud) : 0;
        for (int i = 0; i < 4; i++) key[i] = (uint8_t)(k >> (24 - 8 * i));
        h[1] |= 0x80;
        memcpy(h + hl, key, 4);
        hl += 4;
    }
    send_bytes(ws, h, hl);
    if (!mask) {
        send_bytes(ws, data, len);
        return;
    }
    uint8_t chunk[4096];
    for (size_t off = 0; off < len;) {
        size_t n = len - off < sizeof chunk ? len - off : sizeof chunk;
        for (size_t i = 0; i < n; i++) chunk[i] = data[off + i] ^ key[(off + i) & 3];
        send_bytes(ws, chunk, n);
        off += n;
    }
}

static void send_close(aser_ws *ws, uint16_t code, const char *reason)
{
    if (ws->close_sent) return;
    ws->close_sent = true;
    uint8_t b[125];
    size_t n = 0;
    if (code) {
        b[0] = (uint8_t)(code >> 8);
        b[1] = (uint8_t)code;
        n = 2;
        size_t rl = reason ? strnlen(reason, sizeof b - 2) : 0;
        if (rl) memcpy(b + 2, reason, rl);
        n += rl;
    }
    send_frame(ws, ASER_WS_OP_CLOSE, b, n);
}

/* The peer broke the protocol (or a limit): say so, close if frames flow. */
static int die(aser_ws *ws, int code, uint16_t close_code, const char *msg)
{
    if (ws->state == WS_FRAMES && close_code) send_close(ws, close_code, msg);
    ws->state = WS_DEAD;
    aser_ws_event ev = {.kind = ASER_WS_EV_ERROR, .code = code, .msg = msg};
    emit(ws, &ev);
    return code;
}

/* ---- the HTTP head -------------------------------------------------------- */

typedef struct head {
    char *line0;
    char *name[ASER_WS_HEADERS_MAX], *value[ASER_WS_HEADERS_MAX];
    size_t n;
} head;

/* Split ws->head (NUL-terminated, CRLF lines, ending in an empty line) in
 * place. Returns NULL or what is wrong. */
static const char *head_split(char *s, head *h)
{
    h->n = 0;
    char *line = s, *end;
    h->line0 = NULL;
    while ((end = strstr(line, "\r\n")) != NULL) {
        *end = '\0';
        if (!h->line0) {
            h->line0 = line;
        } else if (*line) {
            if (*line == ' ' || *line == '\t') return "folded header lines are not allowed";
            if (h->n == ASER_WS_HEADERS_MAX) return "too many header lines";
            char *colon = strchr(line, ':');
            if (!colon || colon == line) return "a header line without a name";
            *colon = '\0';
            for (char *c = line; *c; c++)
                if (*c <= ' ' || *c >= 127) return "a header name with a space or control byte";
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t') v++;
            size_t vl = strlen(v);
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) v[--vl] = '\0';
            for (char *c = v; *c; c++)
                if ((unsigned char)*c < ' ' && *c != '\t') return "a control byte in a header";
            h->name[h->n] = line;
            h->value[h->n++] = v;
        }
        line = end + 2;
    }
    return h->line0 ? NULL : "an empty head";
}

static const char *header(const head *h, const char *name)
{
    const char *found = NULL;
    for (size_t i = 0; i < h->n; i++)
        if (!strcasecmp(h->name[i], name)) {
            if (found) return ""; /* repeated: treated as malformed by callers */
            found = h->value[i];
        }
    return found;
}

/* Does the comma-separated list v contain token (case-insensitive)? */
static bool has_token(const char *v, const char *token)
{
    size_t tl = strlen(token);
    while (v && *v) {
        while (*v == ' ' || *v == '\t' || *v == ',') v++;
        size_t n = strcspn(v, ",");
        size_t m = n;
        while (m && (v[m - 1] == ' ' || v[m - 1] == '\t')) m--;
        if (m == tl && !strncasecmp(v, token, tl)) return true;
        v += n;
    }
    return false;
}

static bool key_ok(const char *k)
{
    if (!k || strlen(k) != ASER_WS_KEY_LEN || strcmp(k + 22, "==") != 0) return false;
    for (int i = 0; i < 22; i++) {
        char c = k[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return false;
    }
    return true;
}

static const char *status_text(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

/* An HTTP error answer with the reason as its one-line body. */
static void http_error(aser_ws *ws, int status, const char *reason)
{
    char b[512];
    int n = snprintf(b, sizeof b,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%.300s\n",
                     status, status_text(status), strnlen(reason, 300) + 1, reason);
    if (n > 0) send_bytes(ws, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

/* Server: a whole request head is in ws->head. */
static void on_request(aser_ws *ws)
{
    head h;
    const char *bad = head_split(ws->head, &h);
    char target[1024];
    if (!bad) {
        const char *sp1 = strchr(h.line0, ' ');
        const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
        if (!sp1 || !sp2 || strcmp(sp2 + 1, "HTTP/1.1") != 0)
            bad = "the request line is not \"GET /path HTTP/1.1\"";
        else if ((size_t)(sp1 - h.line0) != 3 || strncmp(h.line0, "GET", 3) != 0) {
            http_error(ws, 405, "only GET upgrades to a WebSocket");
            die(ws, ASER_EPROTO, 0, "the request method is not GET");
            return;
        } else if ((size_t)(sp2 - sp1 - 1) >= sizeof target || sp1[1] != '/')
            bad = "the request target is not a path";
        else {
            memcpy(target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
            target[sp2 - sp1 - 1] = '\0';
        }
    }
    const char *host = bad ? NULL : header(&h, "Host");
    const char *key = bad ? NULL : header(&h, "Sec-WebSocket-Key");
    if (!bad && (!host || !*host)) bad = "no Host header";
    bool upgrade = bad || header(&h, "Upgrade") || key;
    if (!upgrade && !ws->plain_get)
        bad = "not a WebSocket upgrade (Upgrade: websocket and "
              "Connection: Upgrade)";
    if (!bad && upgrade &&
        (!has_token(header(&h, "Upgrade"), "websocket") ||
         !has_token(header(&h, "Connection"), "upgrade")))
        bad = "not a WebSocket upgrade (Upgrade: websocket and Connection: Upgrade)";
    if (!bad && upgrade && !key_ok(key)) bad = "a missing or malformed Sec-WebSocket-Key";
    if (bad) {
        http_error(ws, 400, bad);
        die(ws, ASER_EPROTO, 0, bad);
        return;
    }
    const char *ver = header(&h, "Sec-WebSocket-Version");
    if (upgrade && (!ver || strcmp(ver, "13") != 0)) {
        static const char m[] = "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
                                "Content-Length: 0\r\nConnection: close\r\n\r\n";
        send_bytes(ws, m, sizeof m - 1);
        die(ws, ASER_EPROTO, 0, "the client does not speak WebSocket version 13");
        return;
    }
    if (upgrade) memcpy(ws->key, key, ASER_WS_KEY_LEN + 1);
    const char *auth = header(&h, "Authorization");
    const char *token = NULL;
    if (auth && !strncasecmp(auth, "Bearer ", 7)) token = auth + 7;
    char *q = strchr(target, '?');
    if (q) *q++ = '\0';
    while (q && *q && !token) { /* ?a=b&token=X: the query's token */
        char *amp = strchr(q, '&');
        if (amp) *amp = '\0';
        if (!strncmp(q, "token=", 6)) token = q + 6;
        q = amp ? amp + 1 : NULL;
    }
    ws->state = WS_WAIT_ANSWER;
    const char *origin = header(&h, "Origin");
    ws->had_origin = origin != NULL;
    aser_ws_event ev = {.kind = ASER_WS_EV_REQUEST,
                        .path = target,
                        .origin = origin,
                        .host = host,
                        .token = token,
                        .upgrade = upgrade};
    emit(ws, &ev);
}

void aser__ws_respond(aser_ws *ws, const char *ctype, const void *body, size_t len)
{
    if (ws->role != ASER_WS_SERVER || ws->state != WS_WAIT_ANSWER || ws->key[0]) return;
    char b[256];
    int n = snprintf(b, sizeof b,
                     "HTTP/1.1 200 OK\r\nContent-Type: %.100s\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                     "Connection: close\r\n\r\n",
                     ctype, len);
    if (n > 0) send_bytes(ws, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
    if (len) send_bytes(ws, body, len);
    ws->state = WS_DEAD;
}

void aser__ws_accept(aser_ws *ws)
{
    if (ws->role != ASER_WS_SERVER || ws->state != WS_WAIT_ANSWER || !ws->key[0]) return;
    char acc[ASER_WS_ACCEPT_LEN + 1], b[160];
    aser__ws_accept_key(ws->key, acc);
    int n = snprintf(b, sizeof b,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     acc);
    send_bytes(ws, b, (size_t)n);
    ws->state = WS_FRAMES;
    aser_ws_event ev = {.kind = ASER_WS_EV_OPEN};
    emit(ws, &ev);
}

void aser__ws_refuse(aser_ws *ws, int status, const char *reason)
{
    if (ws->role != ASER_WS_SERVER || ws->state != WS_WAIT_ANSWER) return;
    http_error(ws, status, reason);
    ws->state = WS_DEAD;
}

/* Client: a whole response head is in ws->head. */
static void on_response(aser_ws *ws)
{
    head h;
    const char *bad = head_split(ws->head, &h);
    if (!bad && strncmp(h.line0, "HTTP/1.1 ", 9) != 0) bad = "the answer is not HTTP/1.1";
    if (!bad && strncmp(h.line0 + 9, "101", 3) != 0) {
        snprintf(ws->msg, sizeof ws->msg, "the server refused the WebSocket upgrade: %.150s",
                 h.line0 + 9);
        die(ws,
            strncmp(h.line0 + 9, "401", 3) && strncmp(h.line0 + 9, "403", 3) ? ASER_EPROTO
                                                                             : ASER_EACCES,
            0, ws->msg);
        return;
    }
    if (!bad && (!has_token(header(&h, "Upgrade"), "websocket") ||
                 !has_token(header(&h, "Connection"), "upgrade")))
        bad = "the 101 answer lacks Upgrade: websocket / Connection: Upgrade";
    char acc[ASER_WS_ACCEPT_LEN + 1];
    aser__ws_accept_key(ws->key, acc);
    const char *got = bad ? NULL : header(&h, "Sec-WebSocket-Accept");
    if (!bad && (!got || strcmp(got, acc) != 0))
        bad = "the server's Sec-WebSocket-Accept does not match the key sent";
    if (bad) {
        die(ws, ASER_EPROTO, 0, bad);
        return;
    }
    ws->state = WS_FRAMES;
    aser_ws_event ev = {.kind = ASER_WS_EV_OPEN};
    emit(ws, &ev);
}

/* Collect the head; returns the bytes of data used. */
static size_t feed_head(aser_ws *ws, const uint8_t *data, size_t len)
{
    size_t used = 0;
    while (used < len && ws->state == WS_HEAD) {
        if (ws->head_len == ASER_WS_HEAD_MAX) {
            if (ws->role == ASER_WS_SERVER)
                http_error(ws, 431, "the request head is larger than 8192 bytes");
            die(ws, ASER_ENOBUFS, 0, "the HTTP head is larger than 8192 bytes");
            return used;
        }
        char c = (char)data[used++];
        if (c == '\0') {
            if (ws->role == ASER_WS_SERVER) http_error(ws, 400, "a NUL byte in the head");
            die(ws, ASER_EPROTO, 0, "a NUL byte in the HTTP head");
            return used;
        }
        ws->head[ws->head_len++] = c;
        if (ws->head_len >= 4 && !memcmp(ws->head + ws->head_len - 4, "\r\n\r\n", 4)) {
            ws->head[ws->head_len] = '\0';
            if (ws->role == ASER_WS_SERVER)
                on_request(ws);
            else
                on_response(ws);
        }
    }
    return used;
}

/* ---- frames --------------------------------------------------------------- */

static bool close_code_ok(unsigned c)
{
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

/* The header is complete in ws->hdr: check it and set up the payload. */
static int on_header(aser_ws *ws)
{
    uint8_t b0 = ws->hdr[0], b1 = ws->hdr[1];
    ws->fin = b0 & 0x80;
    ws->op = b0 & 0x0F;
    ws->masked = b1 & 0x80;
    uint64_t len = b1 & 0x7F;
    size_t at = 2;
    if (len == 126) {
        len = (uint64_t)ws->hdr[2] << 8 | ws->hdr[3];
        at = 4;
    } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) len = len << 8 | ws->hdr[2 + i];
        at = 10;
    }
    if (ws->masked) memcpy(ws->mask, ws->hdr + at, 4);
    ws->left = len;
    ws->done = 0;
    bool control = ws->op & 0x8;
    if (b0 & 0x70) return die(ws, ASER_EPROTO, 1002, "a frame with reserved bits set");
    if (ws->masked != (ws->role == ASER_WS_SERVER))
        return die(ws, ASER_EPROTO, 1002,
                   ws->role == ASER_WS_SERVER ? "an unmasked frame from the client"
                                              : "a masked frame from the server");
    if (control) {
        if (ws->op != ASER_WS_OP_CLOSE && ws->op != ASER_WS_OP_PING && ws->op != ASER_WS_OP_PONG)
            return die(ws, ASER_EPROTO, 1002, "an unknown control opcode");
        if (!ws->fin || len > 125)
            return die(ws, ASER_EPROTO, 1002, "a fragmented or long control frame");
        return 0;
    }
    if (ws->op != ASER_WS_OP_CONT && ws->op != ASER_WS_OP_TEXT && ws->op != ASER_WS_OP_BINARY)
        return die(ws, ASER_EPROTO, 1002, "an unknown data opcode");
    if (ws->op == ASER_WS_OP_CONT && !ws->in_msg)
        return die(ws, ASER_EPROTO, 1002, "a continuation frame outside a message");
    if (ws->op != ASER_WS_OP_CONT && ws->in_msg)
        return die(ws, ASER_EPROTO, 1002, "a new message before the last one ended");
    if (len > ws->max_frame) return die(ws, ASER_ENOBUFS, 1009, "a frame larger than the limit");
    if (ws->op != ASER_WS_OP_CONT) {
        ws->msg_op = ws->op;
        ws->u8 = (aser_utf8){0};
    }
    ws->in_msg = !ws->fin;
    return 0;
}

static int on_control(aser_ws *ws)
{
    size_t n = (size_t)ws->done;
    if (ws->op == ASER_WS_OP_PING) {
        if (!ws->close_sent) send_frame(ws, ASER_WS_OP_PONG, ws->ctl, n);
        aser_ws_event ev = {.kind = ASER_WS_EV_PING, .data = ws->ctl, .len = n};
        emit(ws, &ev);
    } else if (ws->op == ASER_WS_OP_PONG) {
        aser_ws_event ev = {.kind = ASER_WS_EV_PONG, .data = ws->ctl, .len = n};
        emit(ws, &ev);
    } else {
        unsigned code = 1005;
        if (n == 1) return die(ws, ASER_EPROTO, 1002, "a close frame with a 1-byte payload");
        if (n >= 2) {
            code = (unsigned)ws->ctl[0] << 8 | ws->ctl[1];
            if (!close_code_ok(code))
                return die(ws, ASER_EPROTO, 1002, "a close frame with an invalid code");
        }
        send_close(ws, (uint16_t)(code == 1005 ? 1000 : code), NULL);
        ws->state = WS_CLOSED;
        aser_ws_event ev = {.kind = ASER_WS_EV_CLOSE,
                            .code = (int)code,
                            .data = n > 2 ? ws->ctl + 2 : NULL,
                            .len = n > 2 ? n - 2 : 0};
        emit(ws, &ev);
    }
    return 0;
}

/* RFC 3629's table: the range of the byte after a lead byte, then
 * 0x80..0xBF. Returns false at a byte that cannot come next. */
static bool utf8_step(aser_utf8 *u, uint8_t b)
{
    if (u->need) {
        if (b < u->lo || b > u->hi) return false;
        u->need--;
        u->lo = 0x80, u->hi = 0xbf;
        return true;
    }
    if (b < 0x80) return true;
    if (b < 0xc2 || b > 0xf4) return false;
    u->need = b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
    u->lo = b == 0xe0 ? 0xa0 : b == 0xf0 ? 0x90 : 0x80;
    u->hi = b == 0xed ? 0x9f : b == 0xf4 ? 0x8f : 0xbf;
    return true;
}

size_t aser__utf8_len(const uint8_t *s, size_t n)
{
    aser_utf8 u = {0};
    for (size_t i = 0; i < n && i < 4; i++) {
        if (!utf8_step(&u, s[i])) return 0;
        if (!u.need) return i + 1;
    }
    return 0;
}

/* A text message's piece: how many of its bytes are UTF-8 so far (all n,
 * or up to the first byte that cannot be), stepping the message's decoder.
 * *bad: the piece breaks the rule there, or the message ends (last)
 * inside a character. The good bytes are still handed over before the
 * connection fails with 1007, so what the consumer sees does not depend on
 * how the bytes were cut into reads. */
static size_t text_check(aser_ws *ws, const uint8_t *b, size_t n, bool last, bool *bad)
{
    *bad = false;
    for (size_t i = 0; i < n; i++)
        if (!utf8_step(&ws->u8, b[i])) {
            *bad = true;
            return i;
        }
    *bad = last && ws->u8.need;
    return n;
}

static void text_fail(aser_ws *ws, bool at_end)
{
    die(ws, ASER_EPROTO, 1007,
        at_end ? "a text message that ends inside a UTF-8 character"
               : "a text message that is not UTF-8");
}

/* Header byte by byte: how many bytes it needs so far. */
static size_t header_need(const aser_ws *ws)
{
    if (ws->hdr_len < 2) return 2;
    size_t n = 2, l = ws->hdr[1] & 0x7F;
    n += l == 126 ? 2 : l == 127 ? 8 : 0;
    return n + ((ws->hdr[1] & 0x80) ? 4 : 0);
}

static size_t feed_frames(aser_ws *ws, const uint8_t *data, size_t len)
{
    size_t used = 0;
    while (used < len && ws->state == WS_FRAMES) {
        if (ws->hdr_need == 0 || ws->hdr_len < ws->hdr_need) { /* in the header */
            ws->hdr[ws->hdr_len++] = data[used++];
            ws->hdr_need = header_need(ws);
            if (ws->hdr_len < ws->hdr_need) continue;
            on_header(ws);
            if (ws->state != WS_FRAMES) break;
            if (ws->left > 0) continue;
        } else {
            size_t n = len - used;
            if (n > ws->left) n = (size_t)ws->left;
            uint8_t *dst = (ws->op & 0x8) ? ws->ctl + ws->done : NULL;
            uint8_t chunk[4096];
            if (!dst) { /* data: unmask into a chunk and hand it over */
                if (n > sizeof chunk) n = sizeof chunk;
                dst = chunk;
            }
            for (size_t i = 0; i < n; i++)
                dst[i] = data[used + i] ^ (ws->masked ? ws->mask[(ws->done + i) & 3] : 0);
            used += n;
            ws->done += n;
            ws->left -= n;
            if (!(ws->op & 0x8)) {
                bool text = ws->msg_op == ASER_WS_OP_TEXT, bad = false;
                size_t good = text ? text_check(ws, chunk, n, ws->fin && ws->left == 0, &bad) : n;
                if (good > 0 || !bad) {
                    aser_ws_event ev = {.kind = ASER_WS_EV_DATA,
                                        .data = chunk,
                                        .len = good,
                                        .text = text,
                                        .fin = !bad && ws->fin && ws->left == 0};
                    emit(ws, &ev);
                }
                if (bad && ws->state == WS_FRAMES) text_fail(ws, good == n);
                if (ws->state != WS_FRAMES) break;
            }
            if (ws->left > 0) continue;
        }
        /* the frame is complete (possibly with no payload) */
        if (ws->op & 0x8)
            on_control(ws);
        else if (ws->done == 0 && ws->fin) { /* an empty last piece still ends a message */
            if (ws->msg_op == ASER_WS_OP_TEXT && ws->u8.need) {
                text_fail(ws, true);
                break;
            }
            aser_ws_event ev = {.kind = ASER_WS_EV_DATA,
                                .data = NULL,
                                .len = 0,
                                .text = ws->msg_op == ASER_WS_OP_TEXT,
                                .fin = true};
            emit(ws, &ev);
        }
        ws->hdr_len = ws->hdr_need = 0;
    }
    return used;
}

size_t aser__ws_feed(aser_ws *ws, const uint8_t *data, size_t len)
{
    size_t used = 0;
    if (ws->state == WS_HEAD) used = feed_head(ws, data, len);
    if (ws->state == WS_FRAMES)
        used += feed_frames(ws, data + used, len - used);
    else if (ws->state == WS_CLOSED)
        used = len; /* after close: ignored */
    return used;
}

/* ---- set-up and sending ----------------------------------------------------- */

void aser__ws_init(aser_ws *ws, aser_ws_role role, uint64_t max_frame, aser_ws_cb cb, void *ud,
                   uint32_t (*mask_key)(void *ud))
{
    memset(ws, 0, sizeof *ws);
    ws->role = role;
    ws->max_frame = max_frame ? max_frame : 1u << 20;
    ws->cb = cb;
    ws->ud = ud;
    ws->mask_key = mask_key;
    ws->state = WS_HEAD;
}

static bool header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < ' ' || *s == 127) return false;
    return true;
}

int aser__ws_connect(aser_ws *ws, const char *host, const char *path, const uint8_t key16[16],
                     const char *origin, const char *token)
{
    if (ws->role != ASER_WS_CLIENT || ws->state != WS_HEAD || !host || !path || path[0] != '/' ||
        !header_safe(host) || !header_safe(path) || (origin && !header_safe(origin)) ||
        (token && !header_safe(token)))
        return ASER_EINVAL;
    aser__base64(key16, 16, ws->key);
    char b[2048];
    int n = snprintf(b, sizeof b,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s%s%s%s%s%s\r\n",
                     path, host, ws->key, origin ? "Origin: " : "", origin ? origin : "",
                     origin ? "\r\n" : "", token ? "Authorization: Bearer " : "",
                     token ? token : "", token ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof b) return ASER_EINVAL;
    send_bytes(ws, b, (size_t)n);
    return 0;
}

int aser__ws_send(aser_ws *ws, int op, const void *data, size_t len)
{
    if (ws->state != WS_FRAMES || ws->close_sent ||
        (op != ASER_WS_OP_BINARY && op != ASER_WS_OP_TEXT))
        return ASER_EINVAL;
    send_frame(ws, op, data, len);
    return 0;
}

int aser__ws_ping(aser_ws *ws, const void *data, size_t len)
{
    if (ws->state != WS_FRAMES || ws->close_sent || len > 125) return ASER_EINVAL;
    send_frame(ws, ASER_WS_OP_PING, data, len);
    return 0;
}

int aser__ws_close(aser_ws *ws, uint16_t code, const char *reason)
{
    if (ws->state != WS_FRAMES || ws->close_sent) return ASER_EINVAL;
    send_close(ws, code, reason);
    return 0;
}
