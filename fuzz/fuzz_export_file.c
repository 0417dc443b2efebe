/* fuzz_export_file.c: libFuzzer target for the export files of `aserial
 * serve --file` (tools/aserial/cmd_serve.c: read_file and the per-line
 * parser), read from a memory file. The command's file is compiled in
 * here whole (its parser is static), with the CLI helpers and the
 * instrumented library; nothing is served.
 * Checks: a file is taken or refused (its message on stderr, muted here),
 * never a crash or a leak; a taken file has 1 to MAX_EXPORTS exports,
 * each with a port URL (and an address, or none for "-"), strings NUL-terminated
 * within their fields, at most MAX_LISTENS - 1 more listeners. */
#define _GNU_SOURCE
#include "../tools/aserial/cmd_serve.c"

#include "fuzz_common.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static int mfd = -1, devnull = -1;
    static export *ex;
    if (mfd < 0) {
        mfd = memfd_create("exports", 0);
        devnull = open("/dev/null", O_WRONLY);
        ex = calloc(MAX_EXPORTS, sizeof *ex);
        FZ_ASSERT(mfd >= 0 && devnull >= 0 && ex);
    }
    FZ_ASSERT(ftruncate(mfd, 0) == 0 && pwrite(mfd, d, n, 0) == (ssize_t)n);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", mfd);
    memset(ex, 0, MAX_EXPORTS * sizeof *ex);
    size_t count = 0;
    fflush(stderr);
    int saved = dup(2);
    dup2(devnull, 2); /* a bad file's message, once per input: muted */
    int rc = read_file(path, ex, &count);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FZ_ASSERT(rc == 0 || rc == -1);
    if (rc < 0) return 0;
    FZ_ASSERT(count >= 1 && count <= MAX_EXPORTS);
    for (size_t i = 0; i < count; i++) {
        FZ_ASSERT(memchr(ex[i].port_url, 0, sizeof ex[i].port_url) && ex[i].port_url[0]);
        FZ_ASSERT(memchr(ex[i].listen, 0, sizeof ex[i].listen)); /* "": "-", the web only */
        FZ_ASSERT(memchr(ex[i].name, 0, sizeof ex[i].name));
        FZ_ASSERT(memchr(ex[i].config, 0, sizeof ex[i].config));
        FZ_ASSERT(ex[i].nmore <= MAX_LISTENS - 1);
    }
    return 0;
}
