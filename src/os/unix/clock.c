/* os/unix/clock.c: the one clock of the library (internal.h): microseconds
 * on CLOCK_MONOTONIC, which never jumps with the wall clock. */
#include "internal.h"

#include <time.h>

uint64_t aser__now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
