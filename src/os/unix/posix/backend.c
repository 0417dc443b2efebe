/* os/unix/posix/backend.c: the built-in loop's backend in the portable
 * build (os/unix/backend.h): poll(), the one every Unix has. */
#include "os/unix/backend.h"

const bi_backend *aser__bi_choose(void)
{
    return &aser__bi_poll;
}
