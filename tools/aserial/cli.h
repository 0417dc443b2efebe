/* cli.h: what the aserial subcommands share. Each subcommand lives in its
 * own file as int aser_cmd_<name>(int argc, char **argv), argv[0] being the
 * subcommand's name. Exit codes: 0 success, 1 failure, 2 bad usage. */
#ifndef ASER_CLI_H
#define ASER_CLI_H

#include "aserial.h"

#include <signal.h>
#include <stddef.h>

/* meson.build defines ASER_OS_WINDOWS or ASER_OS_UNIX for every target. */
#if defined(ASER_OS_WINDOWS) == defined(ASER_OS_UNIX)
#error "build with meson: it defines one of ASER_OS_WINDOWS and ASER_OS_UNIX"
#endif

#ifdef ASER_OS_WINDOWS
/* What the Windows C runtime spells otherwise or lacks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
static inline struct tm *cli_localtime_r(const time_t *t, struct tm *out)
{
    return localtime_s(out, t) == 0 ? out : NULL;
}
#define localtime_r cli_localtime_r
static inline char *cli_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, s, len);
    d[len] = 0;
    return d;
}
#define strndup cli_strndup
#endif

int aser_cmd_pair(int argc, char **argv);
int aser_cmd_sim(int argc, char **argv);
int aser_cmd_query(int argc, char **argv);
int aser_cmd_list(int argc, char **argv);
int aser_cmd_serve(int argc, char **argv);
int aser_cmd_bridge(int argc, char **argv);
int aser_cmd_term(int argc, char **argv);

/* Decode C-style escapes (\r \n \t \\ \0 \xHH) into out; returns the length
 * or -1 with a message on stderr naming the bad escape. */
long cli_unescape(const char *what, const char *in, char *out, size_t cap);
/* s made safe to show on a terminal (device strings, messages quoting a
 * device or a server): C0 controls, DEL and bytes that are not UTF-8 as
 * \xHH, the C1 controls (UTF-8 U+0080..U+009F) as \u00HH; the rest as
 * it is (a backslash too: Windows paths stay readable). Into buf, cut to
 * cap - 1 bytes on a whole escape; returns buf ("" for NULL s). */
const char *cli_safe(const char *s, char *buf, size_t cap);
/* Print "aserial CMD: message" to stderr. */
/* printf-style checking; on mingw-w64 against its C99 printf, which the
 * Windows build uses (-D__USE_MINGW_ANSI_STDIO=1; see src/internal.h). */
#if defined(__MINGW32__)
#define CLI_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#else
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif
void cli_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);
/* Parse a non-negative integer option or print an error naming it. */
int cli_uint(const char *cmd, const char *opt, const char *s, unsigned *out);
/* Parse a config string onto cfg, printing the error. */
int cli_config(const char *cmd, const char *s, aser_config *cfg);
/* SIGINT/SIGTERM set *cli_stop (installed without SA_RESTART so the loop
 * wakes up). Windows: Ctrl-C, Ctrl-Break and closing the console
 * (SetConsoleCtrlHandler), which cli_run_until_signal sees within 200 ms. */
extern volatile sig_atomic_t cli_stop;
void cli_catch_signals(void);
/* follow.c: if from is a pty: endpoint, say where it is and (to not NULL)
 * apply the settings its program sets to the port to. */
void cli_follow_config(const char *cmd, aser_port *from, aser_port *to);
/* background.c: --background (pair, sim; background_win.c refuses it). Call
 * cli_background_start before the work that may fail: in the parent it
 * does not return (it waits for the child, prints the child's pid and
 * exits), in the child it returns 0 (-1 after printing why it could not
 * fork). The child calls cli_background_ready once it is ready (a no-op
 * without --background). */
int cli_background_start(const char *cmd);
void cli_background_ready(void);
/* Run loop until a signal arrives. */
int cli_run_until_signal(aser_loop *loop);
/* list_mqtt.c: aserial list mqtt://BROKER/PREFIX (exit status). */
int cli_list_mqtt(const char *url, bool json, bool watch);

/* Help, typos and missing arguments: one line each, naming the thing and
 * ending "see aserial help CMD" (never the whole usage).
 * cli_distance: edit distance (Levenshtein, case-insensitive).
 * cli_closest: the one of names[0..n) nearest to word, or NULL when none
 * is near enough to be a typo (1 edit for 3 letters, 2 up to 6, 3 beyond).
 * cli_missing: "aserial CMD: missing WHAT; see aserial help CMD".
 * cli_unknown_option: ARG is no option of CMD; suggests the nearest of
 * names (long option names without "--").
 * cli_bad_option: after getopt_long returned '?' (opterr = 0): ARG is
 * argv[optind - 1], OPT is optopt: a missing value or an unknown option.
 * cli_config_split: refuses "--config 9600 8N1" (a second settings word
 * after --config's value would become a positional argument) with the
 * fix; 0 when fine, -1 after printing. */
struct option;
unsigned cli_distance(const char *a, const char *b);
const char *cli_closest(const char *word, const char *const *names, size_t n);
void cli_missing(const char *cmd, const char *what);
void cli_unknown_option(const char *cmd, const char *arg, const char *const *names, size_t n);
void cli_bad_option(const char *cmd, const struct option *opts, const char *shorts, const char *arg,
                    int opt);
int cli_config_split(const char *cmd, int argc, char **argv);

#endif
