/* test-ws.c: the WebSocket codec (src/codec/ws.c). The RFC 6455 examples,
 * both handshakes, every refusal, and a recorder that logs events so that
 * feeding whole, one byte at a time and cut at every offset (from a buffer
 * against an unreadable page) can be compared. */
#define _GNU_SOURCE
#include "../test.h"
#include "aserial.h"
#include "codec/ws.h"

typedef struct rec {
    char log[16384];
    size_t n;
    uint8_t sent[8192];
    size_t sent_len;
    bool accept; /* server: accept requests */
    int errors;
} rec;

#include "codec-test.h"

static uint32_t fixed_mask(void *ud)
{
    (void)ud;
    return 0x37fa213du; /* RFC 6455 5.7's example key */
}

static void on_ev(aser_ws *ws, const aser_ws_event *ev, void *ud)
{
    rec *r = ud;
    switch (ev->kind) {
    case ASER_WS_EV_SEND: append(r->sent, &r->sent_len, sizeof r->sent, ev->data, ev->len); break;
    case ASER_WS_EV_REQUEST:
        logf_(r, "REQ %s origin=%s token=%s host=%s;", ev->path, ev->origin ? ev->origin : "-",
              ev->token ? ev->token : "-", ev->host);
        if (r->accept)
            aser__ws_accept(ws);
        else
            aser__ws_refuse(ws, 403, "no");
        break;
    case ASER_WS_EV_OPEN: logf_(r, "OPEN;"); break;
    case ASER_WS_EV_DATA:
        logf_(r, "%s", ev->text ? "T:" : "B:");
        log_hex(r, ev->data, ev->len);
        logf_(r, "%s", ev->fin ? "|" : "");
        break;
    case ASER_WS_EV_PING:
        logf_(r, "PING:");
        log_hex(r, ev->data, ev->len);
        logf_(r, ";");
        break;
    case ASER_WS_EV_PONG:
        logf_(r, "PONG:");
        log_hex(r, ev->data, ev->len);
        logf_(r, ";");
        break;
    case ASER_WS_EV_CLOSE: logf_(r, "CLOSE %d;", ev->code); break;
    case ASER_WS_EV_ERROR:
        logf_(r, "ERR %s: %s;", aser_err_name(ev->code), ev->msg);
        r->errors++;
        break;
    }
}

/* Data frames do not depend on how they were cut: pieces of one frame are
 * joined in the log by logging bytes only, so compare the concatenation. */
static void normalize(char *log)
{
    /* "B:4865|B:6c6c6f|" style pieces: drop the "B:" between pieces of the
     * same message (a piece without | followed by another piece). */
    char out[16384];
    size_t o = 0;
    for (size_t i = 0; log[i]; i++) {
        if ((log[i] == 'B' || log[i] == 'T') && log[i + 1] == ':' && o > 0 && out[o - 1] != '|' &&
            out[o - 1] != ';' && o >= 1 &&
            ((out[o - 1] >= '0' && out[o - 1] <= '9') || (out[o - 1] >= 'a' && out[o - 1] <= 'f') ||
             out[o - 1] == ':')) {
            i++;
            continue;
        }
        out[o++] = log[i];
    }
    out[o] = '\0';
    strcpy(log, out);
}

static void run(aser_ws_role role, bool accept, const uint8_t *in, size_t n, size_t step, rec *r,
                bool open_first)
{
    memset(r, 0, sizeof *r);
    r->accept = accept;
    aser_ws ws;
    aser__ws_init(&ws, role, 0, on_ev, r, fixed_mask);
    if (open_first) ws.state = WS_FRAMES; /* frame tests: handshake done */
    void *map;
    size_t maplen;
    const uint8_t *g = guarded(in, n, &map, &maplen);
    for (size_t off = 0; off < n;) {
        size_t k = step && n - off > step ? step : n - off;
        size_t used = aser__ws_feed(&ws, g + off, k);
        if (used < k) break; /* died */
        off += k;
    }
    munmap(map, maplen);
    normalize(r->log);
}

/* Whole, byte by byte and cut in two at every offset give the same log. */
static void same_every_way(aser_ws_role role, bool accept, const uint8_t *in, size_t n,
                           const char *want, bool open_first)
{
    static rec whole, part;
    run(role, accept, in, n, 0, &whole, open_first);
    CHECKM(!strcmp(whole.log, want), "got %s want %s", whole.log, want);
    run(role, accept, in, n, 1, &part, open_first);
    CHECKM(!strcmp(part.log, want), "byte by byte: %s", part.log);
    CHECK_EQ(part.sent_len, whole.sent_len);
    CHECK_MEM(part.sent, whole.sent, whole.sent_len);
    for (size_t cut = 1; cut < n; cut++) {
        memset(&part, 0, sizeof part);
        part.accept = accept;
        aser_ws ws;
        aser__ws_init(&ws, role, 0, on_ev, &part, fixed_mask);
        if (open_first) ws.state = WS_FRAMES;
        size_t u = aser__ws_feed(&ws, in, cut);
        if (u == cut) aser__ws_feed(&ws, in + cut, n - cut);
        normalize(part.log);
        CHECKM(!strcmp(part.log, want), "cut at %zu: %s", cut, part.log);
    }
}

TEST(ws, sha1_and_accept_key_match_the_rfc)
{
    uint8_t d[20];
    aser__sha1("abc", 3, d);
    static const uint8_t abc[20] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
                                    0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
    CHECK_MEM(d, abc, 20);
    /* 56 bytes: the padding spills into a second block */
    aser__sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
    static const uint8_t two[20] = {0x84, 0x98, 0x3e, 0x44, 0x1c, 0x3b, 0xd2, 0x6e, 0xba, 0xae,
                                    0x4a, 0xa1, 0xf9, 0x51, 0x29, 0xe5, 0xe5, 0x46, 0x70, 0xf1};
    CHECK_MEM(d, two, 20);
    char acc[ASER_WS_ACCEPT_LEN + 1];
    aser__ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", acc); /* RFC 6455 1.3 */
    CHECK_STR(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    char b64[16];
    aser__base64((const uint8_t *)"fo", 2, b64);
    CHECK_STR(b64, "Zm8=");
}

TEST(ws, rfc_example_frames_parse_in_any_cut)
{
    /* RFC 6455 5.7: a single-frame unmasked text "Hello" (client side reads
     * server frames), a fragmented one, an unmasked ping. */
    static const uint8_t s2c[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f, /* Hello */
                                  0x01, 0x03, 0x48, 0x65, 0x6c,             /* Hel */
                                  0x80, 0x02, 0x6c, 0x6f,                   /* lo */
                                  0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f, /* ping */
                                  0x82, 0x00};                              /* empty binary */
    same_every_way(ASER_WS_CLIENT, false, s2c, sizeof s2c,
                   "T:48656c6c6f|T:48656c6c6f|PING:48656c6c6f;B:|", true);
    /* the masked "Hello" the client sends, read by a server */
    static const uint8_t c2s[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    same_every_way(ASER_WS_SERVER, true, c2s, sizeof c2s, "T:48656c6c6f|", true);
}

TEST(ws, the_client_masks_what_it_sends_as_the_rfc_shows)
{
    rec r = {0};
    aser_ws ws;
    aser__ws_init(&ws, ASER_WS_CLIENT, 0, on_ev, &r, fixed_mask);
    ws.state = WS_FRAMES;
    CHECK_EQ(aser__ws_send(&ws, ASER_WS_OP_TEXT, "Hello", 5), 0);
    static const uint8_t want[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                   0x7f, 0x9f, 0x4d, 0x51, 0x58};
    CHECK_EQ(r.sent_len, sizeof want);
    CHECK_MEM(r.sent, want, sizeof want);
    /* 256 bytes take the 16-bit length, 70000 the 64-bit one */
    static uint8_t big[70000];
    r.sent_len = 0;
    aser_ws srv;
    aser__ws_init(&srv, ASER_WS_SERVER, 0, on_ev, &r, NULL);
    srv.state = WS_FRAMES;
    CHECK_EQ(aser__ws_send(&srv, ASER_WS_OP_BINARY, big, 256), 0);
    CHECK_EQ(r.sent[1], 126);
    CHECK_EQ(r.sent_len, 4 + 256);
    static rec r2;
    memset(&r2, 0, sizeof r2);
    aser_ws srv2;
    aser__ws_init(&srv2, ASER_WS_SERVER, 0, on_ev, &r2, NULL);
    srv2.state = WS_FRAMES;
    CHECK_EQ(aser__ws_ping(&srv2, big, 126), ASER_EINVAL); /* control payloads <= 125 */
    CHECK_EQ(aser__ws_send(&srv2, 7, big, 1), ASER_EINVAL);
}

static size_t client_hello(uint8_t *out, const char *extra)
{
    return (size_t)sprintf((char *)out,
                           "GET /ws/lab1?token=t0k HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                           "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n%s\r\n",
                           extra);
}

TEST(ws, server_handshake_accepts_and_answers_the_key)
{
    uint8_t in[1024];
    size_t n = client_hello(in, "Origin: http://127.0.0.1:8080\r\n");
    in[n++] = 0x82; /* a masked binary frame right behind the head */
    in[n++] = 0x82;
    memcpy(in + n, "\x01\x02\x03\x04", 4);
    n += 4;
    in[n++] = 0xAA ^ 0x01;
    in[n++] = 0xBB ^ 0x02;
    same_every_way(ASER_WS_SERVER, true, in, n,
                   "REQ /ws/lab1 origin=http://127.0.0.1:8080 token=t0k host=127.0.0.1:8080;"
                   "OPEN;B:aabb|",
                   false);
    rec r;
    run(ASER_WS_SERVER, true, in, n, 0, &r, false);
    CHECK(strstr((char *)r.sent, "HTTP/1.1 101 Switching Protocols\r\n") == (char *)r.sent);
    CHECK(strstr((char *)r.sent, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
}

TEST(ws, client_handshake_checks_the_accept_key)
{
    rec r = {0};
    aser_ws ws;
    aser__ws_init(&ws, ASER_WS_CLIENT, 0, on_ev, &r, fixed_mask);
    static const uint8_t key[16] = "the sample nonce"; /* -> dGhlIHNhbXBsZSBub25jZQ== */
    CHECK_EQ(aser__ws_connect(&ws, "h:1", "/ws/x", key, NULL, "s3cret"), 0);
    CHECK(strstr((char *)r.sent, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
    CHECK(strstr((char *)r.sent, "Authorization: Bearer s3cret\r\n"));
    static const char ok[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n"
                             "Connection: upgrade\r\nSec-WebSocket-Accept: "
                             "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x82\x01Z";
    aser__ws_feed(&ws, (const uint8_t *)ok, sizeof ok - 1);
    CHECK_STR(r.log, "OPEN;B:5a|");
    /* a wrong accept key, a refusal, CR/LF in a header value */
    memset(&r, 0, sizeof r);
    aser__ws_init(&ws, ASER_WS_CLIENT, 0, on_ev, &r, fixed_mask);
    CHECK_EQ(aser__ws_connect(&ws, "h:1", "/ws/x", key, NULL, NULL), 0);
    static const char bad[] = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
    aser__ws_feed(&ws, (const uint8_t *)bad, sizeof bad - 1);
    CHECK_CONTAINS(r.log, "does not match");
    memset(&r, 0, sizeof r);
    aser__ws_init(&ws, ASER_WS_CLIENT, 0, on_ev, &r, fixed_mask);
    CHECK_EQ(aser__ws_connect(&ws, "h:1", "/ws/x", key, NULL, NULL), 0);
    static const char no[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    aser__ws_feed(&ws, (const uint8_t *)no, sizeof no - 1);
    CHECK_CONTAINS(r.log, "ERR ASER_EACCES: the server refused the WebSocket upgrade: 403");
    aser__ws_init(&ws, ASER_WS_CLIENT, 0, on_ev, &r, fixed_mask);
    CHECK_EQ(aser__ws_connect(&ws, "h:1", "/x\r\nEvil: 1", key, NULL, NULL), ASER_EINVAL);
    CHECK_EQ(aser__ws_connect(&ws, "h:1", "nopath", key, NULL, NULL), ASER_EINVAL);
}

static void refused(const char *req, const char *status, const char *why)
{
    rec r;
    run(ASER_WS_SERVER, true, (const uint8_t *)req, strlen(req), 0, &r, false);
    CHECKM(strstr((char *)r.sent, status) == (char *)r.sent, "%s: answered %.40s", why, r.sent);
    CHECKM(strstr(r.log, why) != NULL, "log %s lacks %s", r.log, why);
    rec r1;
    run(ASER_WS_SERVER, true, (const uint8_t *)req, strlen(req), 1, &r1, false);
    CHECK_STR(r1.log, r.log);
}

TEST(ws, bad_requests_are_refused_with_a_status_and_a_reason)
{
    refused("POST /ws HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405", "not GET");
    refused("GET /ws HTTP/1.0\r\nHost: x\r\n\r\n", "HTTP/1.1 400", "request line");
    refused("GET /ws HTTP/1.1\r\n\r\n", "HTTP/1.1 400", "no Host");
    refused("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
            "HTTP/1.1 400", "not a WebSocket upgrade");
    refused("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
            "HTTP/1.1 400", "Sec-WebSocket-Key");
    refused("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
            "HTTP/1.1 426", "version 13");
    refused("GET /ws HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", "HTTP/1.1 400", "folded");
    refused("GET /ws HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "HTTP/1.1 400", "no Host");
    /* a head that never ends is cut at the bound */
    static char big[ASER_WS_HEAD_MAX + 64];
    memset(big, 'a', sizeof big - 1);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    refused(big, "HTTP/1.1 431", "larger than 8192");
    /* too many header lines */
    static char many[8000];
    size_t n = (size_t)sprintf(many, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < ASER_WS_HEADERS_MAX + 1; i++)
        n += (size_t)sprintf(many + n, "X%d: y\r\n", i);
    sprintf(many + n, "\r\n");
    refused(many, "HTTP/1.1 400", "too many header lines");
}

TEST(ws, the_application_can_refuse_a_request)
{
    uint8_t in[1024];
    size_t n = client_hello(in, "Origin: http://evil.example\r\n");
    rec r;
    run(ASER_WS_SERVER, false, in, n, 0, &r, false);
    CHECK(strstr((char *)r.sent, "HTTP/1.1 403 Forbidden\r\n") == (char *)r.sent);
    CHECK_CONTAINS(r.log, "origin=http://evil.example");
}

static void frame_error(aser_ws_role role, const uint8_t *in, size_t n, const char *why,
                        uint8_t close_code_lo)
{
    rec r;
    run(role, true, in, n, 0, &r, true);
    CHECKM(strstr(r.log, why) != NULL, "log %s lacks %s", r.log, why);
    CHECK_EQ(r.errors, 1);
    /* a close frame with the protocol's code was sent */
    CHECK(r.sent_len >= 4);
    CHECK_EQ(r.sent[0], 0x88);
    /* the client's close is masked with the fixed key (0x37fa213d) */
    CHECK_EQ(role == ASER_WS_CLIENT ? r.sent[7] ^ 0xfa : r.sent[3], close_code_lo);
}

TEST(ws, protocol_violations_close_with_the_right_code)
{
    static const uint8_t unmasked[] = {0x82, 0x01, 0x00};
    frame_error(ASER_WS_SERVER, unmasked, sizeof unmasked, "unmasked frame", 0xEA); /* 1002 */
    static const uint8_t masked[] = {0x82, 0x81, 1, 2, 3, 4, 0};
    frame_error(ASER_WS_CLIENT, masked, sizeof masked, "masked frame from the server", 0xEA);
    static const uint8_t rsv[] = {0xC2, 0x00};
    frame_error(ASER_WS_CLIENT, rsv, sizeof rsv, "reserved bits", 0xEA);
    static const uint8_t longping[] = {0x89, 0x7E, 0x00, 0x7E};
    frame_error(ASER_WS_CLIENT, longping, sizeof longping, "long control frame", 0xEA);
    static const uint8_t cont[] = {0x80, 0x00};
    frame_error(ASER_WS_CLIENT, cont, sizeof cont, "continuation frame outside", 0xEA);
    static const uint8_t twice[] = {0x01, 0x01, 'a', 0x01, 0x01, 'b'};
    frame_error(ASER_WS_CLIENT, twice, sizeof twice, "before the last one ended", 0xEA);
    static const uint8_t huge[] = {0x82, 0x7F, 0, 0, 0, 0, 0, 0x20, 0, 0};         /* 2 MiB */
    frame_error(ASER_WS_CLIENT, huge, sizeof huge, "larger than the limit", 0xF1); /* 1009 */
    static const uint8_t op3[] = {0x83, 0x00};
    frame_error(ASER_WS_CLIENT, op3, sizeof op3, "unknown data opcode", 0xEA);
    static const uint8_t badclose[] = {0x88, 0x02, 0x03, 0xEC}; /* 1004: reserved */
    frame_error(ASER_WS_CLIENT, badclose, sizeof badclose, "invalid code", 0xEA);
}

/* RFC 6455 8.1: text must be UTF-8, checked across frames and cuts. */
TEST(ws, text_that_is_not_utf8_fails_with_1007_in_any_cut)
{
    /* "€" (e2 82 ac) split over two frames of one message, then "é" */
    static const uint8_t split[] = {0x01, 0x02, 'a',  0xe2, 0x80, 0x02,
                                    0x82, 0xac, 0x81, 0x02, 0xc3, 0xa9};
    same_every_way(ASER_WS_CLIENT, true, split, sizeof split, "T:61e282ac|T:c3a9|", true);
    static const uint8_t bad[][7] = {
        {2, 0x81, 0x02, 0xc0, 0xaf},             /* overlong '/' */
        {2, 0x81, 0x02, 'a', 0x80},              /* a lone continuation byte */
        {3, 0x81, 0x03, 0xed, 0xa0, 0x80},       /* a surrogate */
        {4, 0x81, 0x04, 0xf4, 0x90, 0x80, 0x80}, /* past U+10FFFF */
        {2, 0x81, 0x02, 0xe2, 0x82},             /* ends inside a character */
        {3, 0x01, 0x01, 0xe2, 0x80, 0x00},       /* so does the message */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) /* [0]: the payload's length */
        frame_error(ASER_WS_CLIENT, bad[i] + 1, 2u + bad[i][0], "UTF-8", 0xEF); /* 1007 */
    CHECK_EQ(aser__utf8_len((const uint8_t *)"\xf0\x9f\x98\x80", 4), 4);
    CHECK_EQ(aser__utf8_len((const uint8_t *)"\xf0\x9f\x98", 3), 0);
    CHECK_EQ(aser__utf8_len((const uint8_t *)"\xc2\x80", 2), 2);
}

TEST(ws, close_is_answered_once_and_ends_the_stream)
{
    static const uint8_t in[] = {0x88, 0x04, 0x03, 0xE8, 'o', 'k', 0x82, 0x01, 'x'};
    rec r;
    run(ASER_WS_CLIENT, true, in, sizeof in, 0, &r, true);
    CHECK_STR(r.log, "CLOSE 1000;"); /* data after the close is ignored */
    CHECK_EQ(r.sent[0], 0x88);       /* our close, masked, code 1000 */
    CHECK_EQ(r.sent[1], 0x82);
    CHECK_EQ(r.sent[6] ^ 0x37, 0x03);
    CHECK_EQ(r.sent[7] ^ 0xfa, 0xE8);
    static const uint8_t bare[] = {0x88, 0x00};
    run(ASER_WS_CLIENT, true, bare, sizeof bare, 0, &r, true);
    CHECK_STR(r.log, "CLOSE 1005;");
}

static void on_plain(aser_ws *ws, const aser_ws_event *ev, void *ud)
{
    rec *r = ud;
    if (ev->kind == ASER_WS_EV_REQUEST) {
        snprintf(r->log, sizeof r->log, "req %s up=%d token=%s", ev->path, ev->upgrade,
                 ev->token ? ev->token : "-");
        aser__ws_accept(ws); /* no key: ignored */
        aser__ws_respond(ws, "text/html", "<p>hi</p>", 9);
    } else if (ev->kind == ASER_WS_EV_SEND && r->sent_len + ev->len < sizeof r->sent) {
        memcpy(r->sent + r->sent_len, ev->data, ev->len);
        r->sent_len += ev->len;
    }
}

TEST(ws, a_plain_get_is_a_request_only_when_asked_for)
{
    static const char req[] = "GET /?token=abc HTTP/1.1\r\nHost: x\r\n\r\n";
    static rec r;
    memset(&r, 0, sizeof r);
    aser_ws ws;
    aser__ws_init(&ws, ASER_WS_SERVER, 0, on_plain, &r, NULL);
    ws.plain_get = true;
    CHECK_EQ(aser__ws_feed(&ws, (const uint8_t *)req, sizeof req - 1), sizeof req - 1);
    CHECK_STR(r.log, "req / up=0 token=abc");
    CHECK(strstr((char *)r.sent, "HTTP/1.1 200 OK\r\n") == (char *)r.sent);
    CHECK(strstr((char *)r.sent, "Content-Length: 9\r\n") != NULL);
    CHECK(r.sent_len > 9 && !memcmp(r.sent + r.sent_len - 9, "<p>hi</p>", 9));
    /* without plain_get the same request is a 400 naming the upgrade */
    refused(req, "HTTP/1.1 400", "not a WebSocket upgrade");
}
