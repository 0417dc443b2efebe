/* os/win/compat.c: the few POSIX/glibc functions the shared code uses that
 * the Windows C runtime lacks (declared in internal.h under ASER_OS_WINDOWS). */
#include "internal.h"

#include <string.h>
#include <windows.h>

#include <bcrypt.h>

void *memmem(const void *hay, size_t hn, const void *needle, size_t nn)
{
    const unsigned char *h = hay;
    if (nn == 0) return (void *)hay;
    for (size_t i = 0; i + nn <= hn; i++)
        if (h[i] == *(const unsigned char *)needle && memcmp(h + i, needle, nn) == 0)
            return (void *)(h + i);
    return NULL;
}

void *memrchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    while (n-- > 0)
        if (p[n] == (unsigned char)c) return (void *)(p + n);
    return NULL;
}

int getentropy(void *buf, size_t n)
{
    if (n > 256) return -1;
    return BCRYPT_SUCCESS(BCryptGenRandom(NULL, buf, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG))
               ? 0
               : -1;
}
