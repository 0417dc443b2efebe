/* os/win/clock.c: the library's one clock (internal.h) on Windows:
 * QueryPerformanceCounter, monotonic, never jumps with the wall clock
 * (the Windows twin of os/unix/clock.c's CLOCK_MONOTONIC). */
#include "internal.h"

#include <windows.h>

uint64_t aser__now_us(void)
{
    static LARGE_INTEGER freq; /* fixed at boot; a racing first call writes the same */
    LARGE_INTEGER c;
    if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&c);
    uint64_t f = (uint64_t)freq.QuadPart, t = (uint64_t)c.QuadPart;
    return t / f * 1000000u + t % f * 1000000u / f;
}
