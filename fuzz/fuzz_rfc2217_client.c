/* fuzz_rfc2217_client.c: libFuzzer target for the RFC 2217 codec in the
 * client role (src/codec/rfc2217.c, RFC 2217 + RFC 854/855/1143): the
 * input is what an arbitrary access server sends to aserial's client.
 * The harness and the input format are in fuzz_rfc2217.h. */
#define FZ_ROLE ASER_RFC2217_CLIENT
#include "fuzz_rfc2217.h"
