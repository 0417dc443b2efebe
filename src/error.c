/* error.c: the error table, aser_strerror(), and the detail-message helper. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *aser_strerror(int code)
{
    switch (code) {
#define ASER_ERR_TEXT_(name, value, text) \
    case (value): return text;
        ASER_ERRNO_MAP(ASER_ERR_TEXT_)
#undef ASER_ERR_TEXT_
    case 0: return "success";
    default: break;
    }
    /* strerror() is not thread-safe for unknown codes but returns a static
     * string for known errno values on glibc; good enough as a fallback. */
    if (code < 0 && code > -4000) return strerror(-code);
    return "unknown error";
}

const char *aser_err_name(int code)
{
    switch (code) {
#define ASER_ERR_NAME_(name, value, text) \
    case (value): return "ASER_" #name;
        ASER_ERRNO_MAP(ASER_ERR_NAME_)
#undef ASER_ERR_NAME_
    case 0: return "OK";
    default: return "ASER_UNKNOWN";
    }
}

int aser__err(aser_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* The codes with an errno twin, by name. The ASER_E* values are Linux's
 * numbers; the host's errno numbers differ elsewhere (macOS and the BSDs:
 * ECONNREFUSED is 61, ETIMEDOUT 60; the Windows C runtime's network
 * errors), so every platform maps by name. EAGAIN/EWOULDBLOCK and
 * ENOTSUP/EOPNOTSUPP are the same number on some hosts and two on others:
 * they are compared outside the switch. */
/* clang-format off */
#define ASER_ERRNO_TWINS(XX)                                                   \
    XX(EPERM) XX(ENOENT) XX(EINTR) XX(EIO) XX(ENOMEM) XX(EACCES) XX(EBUSY)     \
    XX(EEXIST) XX(ENODEV) XX(EINVAL) XX(ENOTTY) XX(EPIPE) XX(ERANGE)           \
    XX(EPROTO) XX(EADDRINUSE) XX(ENETUNREACH) XX(ENOBUFS) XX(ETIMEDOUT)        \
    XX(ECONNREFUSED) XX(EHOSTUNREACH) XX(ECANCELED)
/* clang-format on */

int aser__errno(int e)
{
    if (e == EAGAIN || e == EWOULDBLOCK) return ASER_EAGAIN;
    if (e == ENOTSUP || e == EOPNOTSUPP) return ASER_ENOTSUP;
    switch (e) {
#define ASER_ERRNO_CASE_(name) \
    case name: return ASER_##name;
        ASER_ERRNO_TWINS(ASER_ERRNO_CASE_)
#undef ASER_ERRNO_CASE_
#ifdef ASER_OS_WINDOWS
    /* Winsock's resets and aborts reach us through the C runtime's errno:
     * the port's peer is gone. (POSIX hosts report them as hang-ups.) */
    case ECONNRESET:
    case ECONNABORTED:
    case ENOTCONN: return ASER_EDISCONNECTED;
#endif
    default: break;
    }
    /* Any other errno stays the host's, negated: aser_strerror() describes
     * it with the host's strerror(). */
    return e > 0 ? -e : ASER_EIO;
}
