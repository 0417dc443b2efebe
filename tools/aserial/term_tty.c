/* term_tty.c: the local side of `aserial term` on Linux and the other
 * POSIX systems (term.h, "the local console"): the terminal in raw mode
 * and its restoration on every way out, the signals, standard input
 * through the stdio: endpoint, standard output, the wall clock.
 *
 * The terminal is restored on normal exit (atexit), SIGTERM, SIGHUP,
 * SIGINT, SIGQUIT, and the crash signals (SEGV, BUS, FPE, ILL, ABRT),
 * which restore it and then die as they would have. */
#include "term.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* ---- the terminal and the signals ------------------------------------------------- */

static struct termios saved_tty;
static volatile sig_atomic_t tty_saved, got_signal;

bool term_con_interactive(void)
{
    return isatty(0) && isatty(1);
}

static void term_restore_tty(void)
{
    if (tty_saved) tcsetattr(0, TCSAFLUSH, &saved_tty);
}

static void on_stop_signal(int sig)
{
    term_restore_tty(); /* at once: the loop may be slow to notice */
    got_signal = sig;
    cli_stop = 1;
}

static void on_crash(int sig)
{
    term_restore_tty();
    signal(sig, SIG_DFL);
    raise(sig);
}

void term_con_catch(term *t)
{
    (void)t;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: the loop wakes up */
    sigemptyset(&sa.sa_mask);
    int stops[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT};
    for (size_t i = 0; i < sizeof stops / sizeof *stops; i++) sigaction(stops[i], &sa, NULL);
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_RESETHAND;
    int crashes[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof crashes / sizeof *crashes; i++) sigaction(crashes[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int term_con_raw(void)
{
    if (tcgetattr(0, &saved_tty) < 0) return -1;
    tty_saved = 1;
    atexit(term_restore_tty);
    struct termios raw = saved_tty;
    cfmakeraw(&raw);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    return tcsetattr(0, TCSAFLUSH, &raw);
}

int term_con_end(void)
{
    term_restore_tty();
    tty_saved = 0;
    return got_signal ? 128 + got_signal : 0;
}

/* ---- standard input ---------------------------------------------------------------- */

static void on_keys(aser_port *p, int status, const uint8_t *d, size_t n, void *ctx)
{
    (void)p;
    if (status < 0)
        term_input_end(ctx);
    else
        term_input(ctx, d, n);
}

/* Through the stdio: endpoint. A regular file or /dev/null cannot be
 * watched by epoll: in pipe mode it is read whole at once (it never
 * blocks) and sent, and its end starts the linger. */
int term_input_start(term *t)
{
    aser_err err = {0};
    if (aser_open(t->loop, "stdio:", NULL, &t->in, &err) == 0) {
        aser_on_data(t->in, on_keys, t);
        return 0;
    }
    if (t->interactive || err.code != ASER_EPERM) {
        cli_error("term", "%s", err.msg);
        return -1;
    }
    uint8_t buf[4096];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) term_input(t, buf, (size_t)n);
    term_input_end(t);
    return 0;
}

void term_input_stop(term *t)
{
    if (t->in) aser_close(t->in);
    t->in = NULL;
}

/* ---- standard output, the clock -------------------------------------------------------- */

void term_write(const void *d, size_t n)
{
    const char *s = d;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(1, s + done, n - done);
        if (w > 0)
            done += (size_t)w;
        else if (w < 0 && errno != EINTR && errno != EAGAIN)
            break;
    }
}

void term_clock(struct tm *tm, unsigned *ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, tm);
    *ms = (unsigned)(ts.tv_nsec / 1000000);
}

long long term_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
