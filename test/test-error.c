/* test-error.c: the error table, aser_strerror() and aser_err_name(). */
#include "aserial.h"
#include "test.h"

#include <errno.h>

TEST(error, timedout)
{
    CHECK_STR(aser_strerror(ASER_ETIMEDOUT), "operation timed out");
    CHECK_STR(aser_err_name(ASER_ETIMEDOUT), "ASER_ETIMEDOUT");
    CHECK_EQ(ASER_ETIMEDOUT, -ETIMEDOUT);
}

TEST(error, errno_twins)
{
    /* Codes that mirror an errno are its negation, so -errno can be returned. */
    CHECK_EQ(ASER_EPERM, -EPERM);
    CHECK_EQ(ASER_ENOENT, -ENOENT);
    CHECK_EQ(ASER_EIO, -EIO);
    CHECK_EQ(ASER_EAGAIN, -EAGAIN);
    CHECK_EQ(ASER_EACCES, -EACCES);
    CHECK_EQ(ASER_EBUSY, -EBUSY);
    CHECK_EQ(ASER_EINVAL, -EINVAL);
    CHECK_EQ(ASER_ENOTTY, -ENOTTY);
    CHECK_EQ(ASER_ECANCELED, -ECANCELED);
    CHECK_STR(aser_err_name(-EACCES), "ASER_EACCES");
    CHECK_STR(aser_strerror(-EACCES), "permission denied");
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
