/* sysfs.c: roots, defensive attribute reads, lexical path helpers.
 *
 * sysfs can be a copy (tests, containers) and copies can be broken: files
 * truncated or emptied, replaced by FIFOs or directories, links dangling.
 * Every reader here fails cleanly instead of blocking or crashing, and the
 * callers treat a failure as "field absent". */
#define _GNU_SOURCE
#include "discover/discover.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Copy an environment root into out: made absolute, trailing '/' dropped. */
static int root_set(char *out, size_t cap, const char *env, const char *dflt)
{
    const char *v = getenv(env);
    if (!v || !*v) v = dflt;
    int rc;
    if (v[0] == '/') {
        rc = aser__path_fmt(out, cap, "%s", v);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return aser__errno(errno);
        rc = aser__path_fmt(out, cap, "%s/%s", cwd, v);
    }
    if (rc < 0) return rc;
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '/') out[--len] = '\0';
    return 0;
}

int aser__roots_get(aser_roots *r)
{
    const char *dev = getenv("ASERIAL_DEV_ROOT");
    r->dev_moved = dev && *dev;
    int rc = root_set(r->sys, sizeof r->sys, "ASERIAL_SYSFS_ROOT", "/sys");
    if (rc < 0) return rc;
    return root_set(r->dev, sizeof r->dev, "ASERIAL_DEV_ROOT", "/dev");
}

int aser__path_fmt(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap) {
        if (cap) out[0] = '\0';
        return ASER_ERANGE;
    }
    return 0;
}

void aser__path_parent(char *path)
{
    char *slash = strrchr(path, '/');
    if (!slash) {
        path[0] = '\0';
        return;
    }
    if (slash == path)
        slash[1] = '\0';
    else
        *slash = '\0';
}

const char *aser__path_base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int aser__path_normalize(char *p)
{
    if (p[0] != '/') return ASER_EINVAL;
    /* Every component written is preceded by at least one '/' that was
     * read, so the write position never passes the read position. */
    size_t r = 0, w = 0;
    while (p[r]) {
        while (p[r] == '/') r++;
        size_t s = r;
        while (p[r] && p[r] != '/') r++;
        size_t len = r - s;
        if (len == 0 || (len == 1 && p[s] == '.')) continue;
        if (len == 2 && p[s] == '.' && p[s + 1] == '.') {
            while (w > 0 && p[w - 1] != '/') w--;
            if (w > 0) w--;
            continue;
        }
        p[w++] = '/';
        memmove(p + w, p + s, len);
        w += len;
    }
    if (w == 0) p[w++] = '/';
    p[w] = '\0';
    return 0;
}

/* Read at most cap-1 bytes of a regular file. Returns the length or a
 * negative code. */
static ssize_t read_regular(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return aser__errno(errno);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ASER_EINVAL;
    }
    size_t got = 0;
    while (got + 1 < cap) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return aser__errno(e);
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    return (ssize_t)got;
}

int aser__attr_read(const char *dir, const char *attr, char *buf, size_t cap)
{
    char path[PATH_MAX];
    if (cap == 0) return ASER_EINVAL;
    buf[0] = '\0';
    if (!dir || !dir[0]) return ASER_ENOENT;
    int rc = aser__path_fmt(path, sizeof path, "%s/%s", dir, attr);
    if (rc < 0) return rc;
    ssize_t n = read_regular(path, buf, cap);
    if (n < 0) {
        buf[0] = '\0';
        return (int)n;
    }
    size_t len = strlen(buf); /* an embedded NUL ends the value */
    while (len > 0 && isspace((unsigned char)buf[len - 1])) buf[--len] = '\0';
    return len ? 0 : ASER_ENOENT;
}

char *aser__attr_dup(const char *dir, const char *attr, bool *nomem)
{
    char buf[ASER_ATTR_MAX];
    if (aser__attr_read(dir, attr, buf, sizeof buf) < 0) return NULL;
    char *s = strdup(buf);
    if (!s) *nomem = true;
    return s;
}

long aser__attr_num(const char *dir, const char *attr, int base, long max)
{
    char buf[64], *end;
    if (aser__attr_read(dir, attr, buf, sizeof buf) < 0) return -1;
    const char *s = buf;
    if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
    if (!isxdigit((unsigned char)s[0])) return -1; /* no sign, no blanks */
    errno = 0;
    long v = strtol(s, &end, base);
    if (errno || *end || v < 0 || v > max) return -1;
    return v;
}

int aser__link_base(const char *dir, const char *link, char *buf, size_t cap)
{
    char path[PATH_MAX], target[PATH_MAX];
    if (cap) buf[0] = '\0';
    if (!dir || !dir[0]) return ASER_ENOENT;
    int rc = aser__path_fmt(path, sizeof path, "%s/%s", dir, link);
    if (rc < 0) return rc;
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) return aser__errno(errno);
    if (access(path, F_OK) < 0) return ASER_ENOENT; /* dangling: a broken tree */
    target[n] = '\0';
    while (n > 0 && target[n - 1] == '/') target[--n] = '\0';
    const char *base = aser__path_base(target);
    if (!base[0] || strcmp(base, "..") == 0 || strcmp(base, ".") == 0) return ASER_ENOENT;
    return aser__path_fmt(buf, cap, "%s", base);
}
