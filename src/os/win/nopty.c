/* os/win/nopty.c: aser_pair_* on Windows, which has no pseudo-terminals.
 * The functions exist (the DLL exports the whole API on every platform)
 * and say what to use instead. */
#include "internal.h"

int aser_pair_open(aser_loop *loop, const aser_pair_opts *opts, aser_pair **out, aser_err *err)
{
    (void)loop;
    (void)opts;
    if (out) *out = NULL;
    return aser__err(err, ASER_ENOTSUP,
                     "pseudo-terminals do not exist on Windows; use a null-modem "
                     "emulator such as com0com, or mock:// ports for tests");
}

const char *aser_pair_path(const aser_pair *pair, int end)
{
    (void)pair;
    (void)end;
    return NULL;
}

void aser_pair_close(aser_pair *pair)
{
    (void)pair;
}
