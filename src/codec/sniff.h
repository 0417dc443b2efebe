/* codec/sniff.h: is the first line a client sent an HTTP request? A web
 * page can POST text/plain to any loopback port without asking anyone
 * (no-cors): its request head would reach a raw or RFC 2217 export's
 * device as data. The server holds a client's first bytes until this
 * says what they are (Redis refuses "POST" and "Host:" the same way).
 * Sans-I/O, fuzzed (fuzz/fuzz_sniff.c). Internal. */
#ifndef ASER_CODEC_SNIFF_H
#define ASER_CODEC_SNIFF_H

#include <stddef.h>
#include <stdint.h>

typedef enum aser_sniff {
    ASER_SNIFF_MORE,  /* cannot tell yet: more bytes, please */
    ASER_SNIFF_HTTP,  /* METHOD TARGET HTTP/1.x, or a method and a "/" target
                         whose line runs past max bytes */
    ASER_SNIFF_OTHER, /* not an HTTP request: pass the bytes on */
} aser_sniff;

/* b[0..n): everything the client sent so far. Decides as early as it can:
 * a first byte that cannot start a method is OTHER at once, so a normal
 * client's bytes are not held (an RFC 2217 client starts with IAC).
 * max: the longest first line held (bytes). */
aser_sniff aser__http_sniff(const uint8_t *b, size_t n, size_t max);

#endif
