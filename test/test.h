/* test.h: a small fork-per-test harness with TAP output.
 *
 * Each TEST runs in its own process (and process group) under a timeout, so
 * one hang or crash never takes the suite down, and anything a test starts
 * is killed with its group. Built with ASan, the child runs LeakSanitizer
 * before it exits, so every test is also a leak test.
 *
 * Why not Criterion: its 2.4.1 worker processes never report LeakSanitizer
 * findings (checked: a leaking test passes), and leak freedom is a claim
 * this project makes.
 */
#ifndef ASER_TEST_H
#define ASER_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*at_fn)(void);
void at_register(const char *suite, const char *name, at_fn fn, unsigned timeout_s);
void at_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void at_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* End the test as skipped: TAP "ok N - name # SKIP reason". Say why. */
void at_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Skip a test of a Linux-only feature in the portable build
 * (-Dplatform=posix: macOS, the BSDs), saying which feature. */
/* And the converse: a test of the portable build's own code path. */
#if defined(ASER_OS_LINUX)
#define SKIP_UNLESS_LINUX(feature) ((void)0)
#define SKIP_UNLESS_PORTABLE(what) \
    at_skip("Linux build: %s is the portable build's (make check-portable)", what)
#elif defined(ASER_OS_POSIX)
#define SKIP_UNLESS_LINUX(feature) at_skip("portable build: %s is Linux-only", feature)
#define SKIP_UNLESS_PORTABLE(what) ((void)0)
#endif /* neither: the test lacks aser_internal_dep, and the macro is undefined */

#define TEST_T(suite, name, timeout_s)                                      \
    static void suite##__##name(void);                                      \
    __attribute__((constructor)) static void at_reg_##suite##__##name(void) \
    {                                                                       \
        at_register(#suite, #name, suite##__##name, timeout_s);             \
    }                                                                       \
    static void suite##__##name(void)
#define TEST(suite, name) TEST_T(suite, name, 10)

#define CHECK(cond)                                                   \
    do {                                                              \
        if (!(cond)) at_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
    } while (0)
#define CHECKM(cond, ...)                                      \
    do {                                                       \
        if (!(cond)) at_fail(__FILE__, __LINE__, __VA_ARGS__); \
    } while (0)
#define CHECK_EQ(a, b)                                                                   \
    do {                                                                                 \
        long long at_a_ = (long long)(a), at_b_ = (long long)(b);                        \
        if (at_a_ != at_b_)                                                              \
            at_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, at_a_, at_b_); \
    } while (0)
#define CHECK_STR(a, b)                                                       \
    do {                                                                      \
        const char *at_a_ = (a), *at_b_ = (b);                                \
        if (!at_a_ || !at_b_ || strcmp(at_a_, at_b_) != 0)                    \
            at_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
                    at_a_ ? at_a_ : "(null)", at_b_ ? at_b_ : "(null)");      \
    } while (0)
#define CHECK_MEM(a, b, n)                                                      \
    do {                                                                        \
        if (memcmp((a), (b), (n)) != 0)                                         \
            at_fail(__FILE__, __LINE__, "memcmp(%s, %s, %s) != 0", #a, #b, #n); \
    } while (0)
#define CHECK_CONTAINS(hay, needle)                                       \
    do {                                                                  \
        const char *at_h_ = (hay), *at_n_ = (needle);                     \
        if (!at_h_ || !strstr(at_h_, at_n_))                              \
            at_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", \
                    at_h_ ? at_h_ : "(null)", at_n_);                     \
    } while (0)

/* Milliseconds on the monotonic clock. */
uint64_t at_now_ms(void);

#endif
