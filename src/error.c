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

int aser__errno(int e)
{
#ifdef _WIN32
    /* The C runtime's errno numbers for the network errors differ from
     * Linux's, which the ASER_E* values are: map those by name. The low
     * ones (EPERM .. ERANGE) are the same everywhere. */
    switch (e) {
    case EAGAIN: return ASER_EAGAIN;
    case EPROTO: return ASER_EPROTO;
    case EADDRINUSE: return ASER_EADDRINUSE;
    case ENETUNREACH: return ASER_ENETUNREACH;
    case ENOBUFS: return ASER_ENOBUFS;
    case ETIMEDOUT: return ASER_ETIMEDOUT;
    case ECONNREFUSED: return ASER_ECONNREFUSED;
    case EHOSTUNREACH: return ASER_EHOSTUNREACH;
    case ECANCELED: return ASER_ECANCELED;
    case ECONNRESET:
    case ECONNABORTED:
    case ENOTCONN: return ASER_EDISCONNECTED;
    default: break;
    }
#endif
    if (e == EWOULDBLOCK) return ASER_EAGAIN;
    if (e == EOPNOTSUPP) return ASER_ENOTSUP;
    return e > 0 ? -e : ASER_EIO;
}
