/* fuzz_sim_rules.c: libFuzzer target for the rule files of `aserial sim`
 * (tools/aserial/sim_rules.c, sim_rules_load), read from a memory file.
 * Also fed through: the loaded rules' matcher and expander with the
 * input's first line as a request (what the port sends).
 * Checks: a load succeeds or fails (with its message on stderr, muted
 * here), never a crash or a leak; every loaded rule has a pattern and a
 * response; an expansion is NUL-terminated within its buffer. */
#define _GNU_SOURCE
#include "../tools/aserial/sim_rules.h"
#include "fuzz_common.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static int mfd = -1, devnull = -1;
    if (mfd < 0) {
        mfd = memfd_create("rules", 0);
        devnull = open("/dev/null", O_WRONLY);
        FZ_ASSERT(mfd >= 0 && devnull >= 0);
    }
    FZ_ASSERT(ftruncate(mfd, 0) == 0 && pwrite(mfd, d, n, 0) == (ssize_t)n);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", mfd);
    sim_rules r = {0};
    fflush(stderr);
    int saved = dup(2);
    dup2(devnull, 2); /* a bad file's message, once per input: muted */
    int rc = sim_rules_load(&r, path);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FZ_ASSERT(rc == 0 || rc == -1);
    const uint8_t *nl = memchr(d, '\n', n);
    size_t reqlen = nl ? (size_t)(nl - d) : n;
    for (size_t i = 0; i < r.n; i++) FZ_ASSERT(r.rules[i].pattern && r.rules[i].response);
    const sim_rule *m = sim_rules_match(&r, (const char *)d, reqlen);
    if (m) {
        char out[256];
        memset(out, 'x', sizeof out);
        size_t k = sim_rules_expand(&r, m->response, out, sizeof out);
        FZ_ASSERT(k < sizeof out && memchr(out, 0, sizeof out));
    }
    sim_rules_free(&r);
    return 0;
}
