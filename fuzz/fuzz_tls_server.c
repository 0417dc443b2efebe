/* fuzz_tls_server.c: libFuzzer target for the TLS filter, src/codec/tls.c,
 * on the server side (aser__tls_ctx_new, aser__tls_new_server): whatever a
 * client (or a port scanner, or garbage) sends to a TLS export, i.e. the
 * ClientHello parser and the rest of the server's handshake, through our
 * memory BIOs and error mapping.
 *
 * Input: byte 0 = bit 0: the context requires a client certificate
 * (tls_client_ca), bits 1-7: chunk size for feeding (0: whole); the rest =
 * the client's bytes. A throwaway EC key and self-signed certificate are
 * made in memory at start (no key is ever committed) and written to
 * temp files, removed at exit, which both contexts load once. Checked:
 * the handshake ends in ASER_EAGAIN (wants more) or ASER_EPROTO with a
 * sentence, never a success without a finished handshake; a read before
 * a finished handshake hands out no bytes (OpenSSL may report a record
 * it holds as pending meanwhile: the server never reads before the
 * handshake is done, server/tls.c); the session is freed whole (LSan);
 * a context's reference count outlives its sessions.
 */
#include "codec/tls.h"

#include "aserial.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
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
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char cert_path[64], key_path[64];
static aser_tls_ctx *plain_ctx, *ca_ctx;

static void cleanup(void)
{
    aser__tls_ctx_unref(plain_ctx);
    aser__tls_ctx_unref(ca_ctx);
    unlink(cert_path);
    unlink(key_path);
}

/* A P-256 key and a self-signed certificate for "localhost", as PEM files. */
static void make_identity(void)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    FZ_ASSERT(pk);
    X509 *x = X509_new();
    FZ_ASSERT(x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pk);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    FZ_ASSERT(X509_sign(x, pk, EVP_sha256()) > 0);
    snprintf(cert_path, sizeof cert_path, "/tmp/aserial-fuzz-cert-XXXXXX");
    snprintf(key_path, sizeof key_path, "/tmp/aserial-fuzz-key-XXXXXX");
    int cf = mkstemp(cert_path), kf = mkstemp(key_path);
    FZ_ASSERT(cf >= 0 && kf >= 0);
    FILE *f = fdopen(cf, "w");
    FZ_ASSERT(f && PEM_write_X509(f, x) == 1);
    fclose(f);
    f = fdopen(kf, "w");
    FZ_ASSERT(f && PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) == 1);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(pk);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    make_identity();
    atexit(cleanup);
    aser_err err = {0};
    aser_tls_conf conf = {.cert_file = cert_path, .key_file = key_path};
    FZ_ASSERT(aser__tls_ctx_new(&plain_ctx, &conf, "fuzz", &err) == 0);
    FZ_ASSERT(aser__tls_ctx_warning(plain_ctx)[0] == '\0');
    conf.ca_file = cert_path; /* clients must be signed by our own certificate */
    FZ_ASSERT(aser__tls_ctx_new(&ca_ctx, &conf, "fuzz", &err) == 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1) return 0;
    aser_tls_ctx *ctx = d[0] & 1 ? ca_ctx : plain_ctx;
    size_t chunk = d[0] >> 1 ? (size_t)(d[0] >> 1) : n;
    d++, n--;
    aser_tls *t;
    aser_err err = {0};
    FZ_ASSERT(aser__tls_new_server(&t, ctx, "client 127.0.0.1:1", &err) == 0);
    char msg[600];
    uint8_t out[4096];
    int rc = aser__tls_handshake(t, msg, sizeof msg);
    FZ_ASSERT(rc == ASER_EAGAIN); /* a server waits for the ClientHello */
    FZ_ASSERT(aser__tls_pending(t) == 0);
    for (size_t off = 0; off < n && rc == ASER_EAGAIN; off += chunk) {
        size_t m = n - off < chunk ? n - off : chunk;
        FZ_ASSERT(aser__tls_feed(t, d + off, m) == 0);
        rc = aser__tls_handshake(t, msg, sizeof msg);
        while (aser__tls_take(t, out, sizeof out) > 0) {
        }
        (void)aser__tls_buffered(t); /* may be true (a record held), but see the read below */
    }
    /* finishing needs the client's Finished, keyed by a shared secret no
     * input can know without the key exchange: never done here */
    FZ_ASSERT(rc == ASER_EAGAIN || rc == ASER_EPROTO);
    if (rc == ASER_EPROTO) {
        FZ_ASSERT(strlen(msg) > 10);
        FZ_ASSERT(strcmp(aser__tls_error(t), msg) == 0);
    } else {
        uint8_t plain[64];
        ssize_t r = aser__tls_read(t, plain, sizeof plain);
        FZ_ASSERT(r <= 0); /* no plain bytes out of an unfinished handshake */
    }
    aser__tls_free(t);
    return 0;
}
