/* runner.c: runs every registered TEST in a forked child, prints TAP.
 *
 * Usage: test-foo [SUBSTRING]   run the tests whose "suite.name" contains it
 * Each child gets its own process group; on timeout or exit the whole group
 * is killed, so servers a test started never outlive it. */
#define _GNU_SOURCE
#include "test.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define AT_HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AT_HAVE_LSAN 1
#endif
#endif
#ifdef AT_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

typedef struct at_test {
    const char *suite, *name;
    at_fn fn;
    unsigned timeout_s;
} at_test;

static at_test *tests;
static size_t ntests, captests;

void at_register(const char *suite, const char *name, at_fn fn, unsigned timeout_s)
{
    if (ntests == captests) {
        captests = captests ? captests * 2 : 64;
        tests = realloc(tests, captests * sizeof *tests);
        if (!tests) abort();
    }
    tests[ntests++] = (at_test){suite, name, fn, timeout_s};
}

void at_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "# FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(1);
}

/* at_skip(): the child writes its reason here and exits AT_SKIP_EXIT. */
#define AT_SKIP_EXIT 77
static int at_skip_fd = -1;

void at_skip(const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof why) n = (int)sizeof why - 1;
    if (at_skip_fd >= 0 && write(at_skip_fd, why, (size_t)n) < 0) {
    }
    fflush(NULL);
    _exit(AT_SKIP_EXIT);
}

void at_log(const char *fmt, ...)
{
    va_list ap;
    fputs("# ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

uint64_t at_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void run_child(const at_test *t)
{
    setpgid(0, 0);
    signal(SIGPIPE, SIG_IGN);
    t->fn();
    fflush(NULL);
#ifdef AT_HAVE_LSAN
    if (__lsan_do_recoverable_leak_check() != 0) {
        fprintf(stderr, "# FAIL: LeakSanitizer found leaks\n");
        _exit(3);
    }
#endif
    _exit(0);
}

/* Wait for pid until deadline; returns the wait status or -1 on timeout. */
static int wait_deadline(pid_t pid, uint64_t deadline)
{
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return st;
        if (r < 0 && errno != EINTR) return 0;
        if (at_now_ms() >= deadline) return -1;
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    const char *mult = getenv("ASER_TEST_TIMEOUT_MULT");
    unsigned factor = mult ? (unsigned)atoi(mult) : 1;
    if (factor == 0) factor = 1;
    size_t selected = 0;
    char full[256];
    for (size_t i = 0; i < ntests; i++) {
        snprintf(full, sizeof full, "%s.%s", tests[i].suite, tests[i].name);
        if (!filter || strstr(full, filter)) selected++;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("TAP version 13\n1..%zu\n", selected);
    int failed = 0;
    size_t n = 0;
    for (size_t i = 0; i < ntests; i++) {
        const at_test *t = &tests[i];
        snprintf(full, sizeof full, "%s.%s", t->suite, t->name);
        if (filter && !strstr(full, filter)) continue;
        n++;
        fflush(NULL);
        uint64_t t0 = at_now_ms();
        int sp[2] = {-1, -1};
        if (pipe(sp) < 0) sp[0] = sp[1] = -1;
        pid_t pid = fork();
        if (pid < 0) {
            printf("not ok %zu - %s # fork failed\n", n, full);
            failed++;
            continue;
        }
        if (pid == 0) {
            if (sp[0] >= 0) close(sp[0]);
            at_skip_fd = sp[1];
            run_child(t);
        }
        if (sp[1] >= 0) close(sp[1]);
        setpgid(pid, pid);
        int st = wait_deadline(pid, t0 + (uint64_t)t->timeout_s * 1000u * factor);
        bool timed_out = st == -1;
        kill(-pid, SIGKILL); /* the test's group: anything it left running */
        if (timed_out) waitpid(pid, &st, 0);
        uint64_t ms = at_now_ms() - t0;
        if (timed_out) {
            printf("not ok %zu - %s # timed out after %us\n", n, full, t->timeout_s * factor);
            failed++;
        } else if (WIFEXITED(st) && WEXITSTATUS(st) == AT_SKIP_EXIT) {
            char why[256];
            ssize_t r = sp[0] >= 0 ? read(sp[0], why, sizeof why - 1) : -1;
            why[r > 0 ? r : 0] = '\0';
            printf("ok %zu - %s # SKIP %s\n", n, full, why);
        } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            printf("ok %zu - %s (%llu ms)\n", n, full, (unsigned long long)ms);
        } else if (WIFSIGNALED(st)) {
            printf("not ok %zu - %s # killed by signal %d\n", n, full, WTERMSIG(st));
            failed++;
        } else {
            printf("not ok %zu - %s # exit %d\n", n, full, WEXITSTATUS(st));
            failed++;
        }
        if (sp[0] >= 0) close(sp[0]);
    }
    free(tests);
    return failed ? 1 : 0;
}
