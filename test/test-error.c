/* test-error.c: the error table, aser_strerror() and aser_err_name(). */
#include "internal.h"
#include "test.h"

#include <errno.h>

TEST(error, timedout)
{
    CHECK_STR(aser_strerror(ASER_ETIMEDOUT), "operation timed out");
    CHECK_STR(aser_err_name(ASER_ETIMEDOUT), "ASER_ETIMEDOUT");
    CHECK_EQ(aser__errno(ETIMEDOUT), ASER_ETIMEDOUT);
}

TEST(error, host_errno_values_map_by_name)
{
    /* The ASER_E* values are Linux's errno numbers; whatever the host's
     * numbers are, each errno maps to its twin by name (on macOS
     * ECONNREFUSED is 61, which must come back as ASER_ECONNREFUSED, not
     * -61). Fed the host's own values. */
    static const struct {
        int host;
        int code;
        const char *name;
    } twins[] = {
#define T(e) {e, ASER_##e, "ASER_" #e}
        T(EPERM),   T(ENOENT),    T(EINTR),        T(EIO),          T(EAGAIN),     T(ENOMEM),
        T(EACCES),  T(EBUSY),     T(EEXIST),       T(ENODEV),       T(EINVAL),     T(ENOTTY),
        T(EPIPE),   T(ERANGE),    T(EPROTO),       T(ENOTSUP),      T(EADDRINUSE), T(ENETUNREACH),
        T(ENOBUFS), T(ETIMEDOUT), T(ECONNREFUSED), T(EHOSTUNREACH), T(ECANCELED),
#undef T
    };
    for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++) {
        int got = aser__errno(twins[i].host);
        CHECKM(got == twins[i].code, "errno %d (%s): %d, want %d", twins[i].host, twins[i].name,
               got, twins[i].code);
        CHECK_STR(aser_err_name(got), twins[i].name);
    }
    CHECK_EQ(aser__errno(EWOULDBLOCK), ASER_EAGAIN);
    CHECK_EQ(aser__errno(EOPNOTSUPP), ASER_ENOTSUP);
    /* An errno with no twin stays the host's, and is described by it. */
    CHECK_EQ(aser__errno(EXDEV), -EXDEV);
    CHECK_STR(aser_strerror(-EXDEV), strerror(EXDEV));
    CHECK_EQ(aser__errno(0), ASER_EIO);
}

TEST(error, errno_twins_are_linux_numbers)
{
    /* The public values are fixed (Linux's), so a program compiled on one
     * host means the same code on another. */
#ifdef __linux__
    CHECK_EQ(ASER_EPERM, -EPERM);
    CHECK_EQ(ASER_EAGAIN, -EAGAIN);
    CHECK_EQ(ASER_ECANCELED, -ECANCELED);
    CHECK_EQ(ASER_ECONNREFUSED, -ECONNREFUSED);
#endif
    CHECK_EQ(ASER_ECONNREFUSED, -111);
    CHECK_EQ(ASER_ETIMEDOUT, -110);
    CHECK_STR(aser_err_name(ASER_EACCES), "ASER_EACCES");
    CHECK_STR(aser_strerror(ASER_EACCES), "permission denied");
}

TEST(error, own_codes)
{
    CHECK_STR(aser_strerror(ASER_EBADCONFIG), "invalid configuration");
    CHECK_STR(aser_err_name(ASER_EBADCONFIG), "ASER_EBADCONFIG");
    CHECK_STR(aser_strerror(ASER_EDISCONNECTED), "device disconnected");
    CHECK_STR(aser_err_name(ASER_ECLOSED), "ASER_ECLOSED");
    CHECK_STR(aser_err_name(ASER_EBADURL), "ASER_EBADURL");
    CHECK(ASER_EDISCONNECTED < -4000);
}

TEST(error, zero)
{
    CHECK_STR(aser_strerror(0), "success");
    CHECK_STR(aser_err_name(0), "OK");
}

TEST(error, unknown_errno_falls_back_to_strerror)
{
    /* EXDEV is not in the table: described as the errno it negates. */
    CHECK_STR(aser_strerror(-EXDEV), strerror(EXDEV));
    CHECK(aser_strerror(-EXDEV)[0] != '\0');
    CHECK_STR(aser_err_name(-EXDEV), "ASER_UNKNOWN");
}

TEST(error, unknown_codes)
{
    CHECK_STR(aser_strerror(-4999), "unknown error");
    CHECK_STR(aser_strerror(12345), "unknown error");
    CHECK_STR(aser_err_name(-4999), "ASER_UNKNOWN");
    CHECK_STR(aser_err_name(7), "ASER_UNKNOWN");
}

TEST(error, every_code_named)
{
    static const int codes[] = {
#define XX_(name, value, text) ASER_##name,
        ASER_ERRNO_MAP(XX_)
#undef XX_
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        CHECK(codes[i] < 0);
        CHECK(strncmp(aser_err_name(codes[i]), "ASER_E", 6) == 0);
        CHECK(strcmp(aser_err_name(codes[i]), "ASER_UNKNOWN") != 0);
        CHECK(aser_strerror(codes[i])[0] != '\0');
        CHECK(strcmp(aser_strerror(codes[i]), "unknown error") != 0);
    }
}
