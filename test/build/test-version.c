/* test-version.c: the version macros of <aserial.h> (the generated
 * aserial/version.h) equal meson.project_version(), which
 * test/build/meson.build passes in as ASER_EXPECT_MAJOR/MINOR/PATCH and
 * ASER_EXPECT_STRING. The numbers are compared by the preprocessor (a
 * mismatch does not compile); the string at run time. TAP. */
#include "aserial.h"

#include <stdio.h>
#include <string.h>

#if !defined(ASER_EXPECT_MAJOR) || !defined(ASER_EXPECT_STRING)
#error "build with -DASER_EXPECT_MAJOR=... (test/build/meson.build does)"
#endif
#if ASERIAL_VERSION_MAJOR != ASER_EXPECT_MAJOR || ASERIAL_VERSION_MINOR != ASER_EXPECT_MINOR || \
    ASERIAL_VERSION_PATCH != ASER_EXPECT_PATCH
#error "aserial/version.h does not match meson.project_version()"
#endif

int main(void)
{
    char joined[64];
    snprintf(joined, sizeof joined, "%d.%d.%d", ASERIAL_VERSION_MAJOR, ASERIAL_VERSION_MINOR,
             ASERIAL_VERSION_PATCH);
    int ok1 = strcmp(ASERIAL_VERSION_STRING, ASER_EXPECT_STRING) == 0;
    int ok2 = strcmp(joined, ASERIAL_VERSION_STRING) == 0;
    printf("1..2\n");
    printf("%sok 1 - ASERIAL_VERSION_STRING \"%s\" is the project version \"%s\"\n",
           ok1 ? "" : "not ", ASERIAL_VERSION_STRING, ASER_EXPECT_STRING);
    printf("%sok 2 - MAJOR.MINOR.PATCH \"%s\" spells ASERIAL_VERSION_STRING\n", ok2 ? "" : "not ",
           joined);
    return ok1 && ok2 ? 0 : 1;
}
