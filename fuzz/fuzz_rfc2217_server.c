/* fuzz_rfc2217_server.c: libFuzzer target for the RFC 2217 codec in the
 * server role (src/codec/rfc2217.c, RFC 2217 + RFC 854/855/1143): the
 * input is what an arbitrary network client sends to `aserial serve`.
 * The harness and the input format are in fuzz_rfc2217.h. */
#define FZ_ROLE ASER_RFC2217_SERVER
#include "fuzz_rfc2217.h"
