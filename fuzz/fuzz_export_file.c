/* fuzz_export_file.c: libFuzzer target for the export files of `aserial
 * serve --file` (tools/aserial/serve_file.c: serve_read_file and the
 * per-line parser), read from a memory file. The parser's file is compiled
 * in here whole (its helpers are static), with the CLI helpers and the
 * instrumented library; nothing is served.
 * Checks: a file is taken or refused (its message on stderr, muted here),
 * never a crash or a leak; a taken file has 1 to SERVE_MAX_EXPORTS exports,
 * each with a port URL (and an address, or none for "-"), strings NUL-terminated
 * within their fields, at most SERVE_MAX_LISTENS - 1 more listeners. */
#define _GNU_SOURCE
#include "../tools/aserial/serve_file.c"

#include "fuzz_common.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static int mfd = -1, devnull = -1;
    if (mfd < 0) {
        mfd = memfd_create("exports", 0);
        devnull = open("/dev/null", O_WRONLY);
        FZ_ASSERT(mfd >= 0 && devnull >= 0);
    }
    FZ_ASSERT(ftruncate(mfd, 0) == 0 && pwrite(mfd, d, n, 0) == (ssize_t)n);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", mfd);
    export *ex = NULL, dflt = {0};
    size_t count = 0;
    fflush(stderr);
    int saved = dup(2);
    dup2(devnull, 2); /* a bad file's message, once per input: muted */
    int rc = serve_read_file(path, &dflt, &ex, &count);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FZ_ASSERT(rc == 0 || rc == -1);
    if (rc < 0) {
        free(ex);
        return 0;
    }
    FZ_ASSERT(count >= 1 && count <= SERVE_MAX_EXPORTS);
    for (size_t i = 0; i < count; i++) {
        FZ_ASSERT(memchr(ex[i].port_url, 0, sizeof ex[i].port_url) && ex[i].port_url[0]);
        FZ_ASSERT(memchr(ex[i].listen, 0, sizeof ex[i].listen)); /* "": "-", the web only */
        FZ_ASSERT(memchr(ex[i].name, 0, sizeof ex[i].name));
        FZ_ASSERT(memchr(ex[i].config, 0, sizeof ex[i].config));
        FZ_ASSERT(ex[i].nmore <= SERVE_MAX_LISTENS - 1);
    }
    free(ex);
    return 0;
}
