/* term.h: what the files of `aserial term` share: cmd_term.c (options,
 * the loop, pipe mode), term_keys.c (keyboard: Enter mapping, echo, the
 * escape key and its commands), term_view.c (what the port sends, as text
 * or hex, with timestamps, and the log file), term_map.c (the byte maps),
 * term_profile.c (profiles from a config file, ports by pattern),
 * term_socket.c (--socket: a loopback TCP client in the session), and the
 * local console, one file per platform: term_tty.c (a POSIX terminal) or
 * term_win.c (a Windows console). */
#ifndef ASER_TERM_H
#define ASER_TERM_H

#include "cli.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum {
    ENTER_CR = 0,
    ENTER_LF,
    ENTER_CRLF
};
/* Byte maps (term_map.c), for --map (received), --omap (sent), --emap (echo). */
enum {
    MAP_CR_CRLF = 1u << 0,
    MAP_LF_CRLF = 1u << 1,
    MAP_IGNORE_CR = 1u << 2,
    MAP_CR_LF = 1u << 3,
    MAP_LF_CR = 1u << 4,
    MAP_IGNORE_LF = 1u << 5,
    MAP_DEL_BS = 1u << 6,
    MAP_BS_DEL = 1u << 7,
    MAP_UPPER = 1u << 8,
    MAP_LOWER = 1u << 9
};
/* Timestamp formats (tio's four). */
enum {
    STAMP_24H = 0,   /* 14:03:07.123 */
    STAMP_24H_START, /* since the session started: 00:00:01.250 */
    STAMP_24H_DELTA, /* since the previous stamp: 00:00:00.031 */
    STAMP_ISO8601    /* 2026-12-07T14:03:07.123 */
};
enum {
    KEYS_NORMAL = 0,
    KEYS_ESCAPED,
    KEYS_PROMPT
};

typedef struct term {
    /* options */
    const char *url;
    aser_config cfg;
    int enter;     /* ENTER_* */
    unsigned map;  /* MAP_* for received bytes */
    unsigned omap; /* ... for what the keys send */
    unsigned emap; /* ... for the local echo (default cr-crlf,del-bs) */
    bool echo, hex, stamps, reconnect, quiet;
    int stamp_fmt;                   /* STAMP_* */
    bool color;                      /* local messages in colour (not with --no-color, NO_COLOR) */
    bool bell;                       /* --alert bell: ring on connect and disconnect */
    unsigned pulse_ms;               /* DTR/RTS pulse length (Ctrl-T D, Ctrl-T R) */
    unsigned char_delay, line_delay; /* ms after each byte / each line sent */
    char sock_url[64];               /* --socket tcp:PORT, as tcp-listen://127.0.0.1:PORT */
    unsigned char escape;            /* the escape key (Ctrl-T: 0x14) */
    unsigned linger_ms;
    const char *log_path;
    bool log_append;

    /* state */
    bool interactive; /* stdin and stdout are terminals: raw mode, escape key */
    aser_loop *loop;
    aser_port *p;      /* the port */
    aser_port *in;     /* standard input (stdio:; term_tty.c only) */
    aser_port *sock;   /* --socket's listener and client (term_socket.c) */
    bool sock_up;      /* a socket client is connected */
    aser_timer *wait;  /* waiting for a port absent at start */
    char waiting[256]; /* why, as last said */
    bool up;           /* the port is usable (not lost) */
    bool connected;    /* said "connected to" (network ports: once connected) */
    char said[256];    /* the last port error said, not repeated */
    bool quit;
    int status; /* exit status */
    unsigned long long rx, tx;
    int writes; /* writes to the port not yet done (pipe mode waits) */
    bool in_ended;

    /* view (term_view.c) */
    FILE *log;
    bool at_line_start;
    unsigned hex_col;
    long long start_ms, last_stamp_ms; /* for 24h-start and 24h-delta */

    /* keys (term_keys.c) */
    int keys_state;
    char prompt_cmd;
    char prompt[256];
    size_t prompt_len;
    unsigned pulsing;        /* the line being pulsed (ASER_LINE_DTR/RTS), or 0 */
    aser_timer *pulse_timer; /* ends the pulse */
    bool hex_in;             /* hex input: typed hex digit pairs are sent as bytes */
    int hex_in_hi;           /* the first digit of a pair, or -1 */
    /* paced output (--char-delay, --line-delay) */
    uint8_t *pace;
    size_t pace_len, pace_cap;
    aser_timer *pace_timer;
} term;

/* term_view.c */
void term_view_data(term *t, const uint8_t *d, size_t n);
/* What was sent, shown as the local echo (--emap, hex view, timestamps). */
void term_view_echo(term *t, const uint8_t *d, size_t n);
/* A message for the person: own line, "\r\n" in raw mode, stderr in pipe mode. */
void term_say(term *t, const char *fmt, ...) CLI_PRINTF(2, 3);
int term_log_open(term *t, const char *path, bool append);
void term_log_close(term *t);
void term_show_settings(term *t);

/* term_map.c: parse a comma-separated list for option opt onto *map
 * ("none" clears; -1 after saying what is wrong); map one byte into
 * out (0, 1 or 2 bytes); map n bytes into out (cap >= 2n); the names. */
int term_map_parse(const char *opt, const char *list, unsigned *map);
size_t term_map_byte(unsigned map, uint8_t c, uint8_t out[2]);
size_t term_map_apply(unsigned map, const uint8_t *d, size_t n, uint8_t *out, size_t cap);
void term_map_names(unsigned map, char *buf, size_t cap);

/* term_profile.c. A profile: [NAME] in ~/.config/aserial/term (or
 * $XDG_CONFIG_HOME/aserial/term), lines "key = value" named as the long
 * options (url = PORT), checked against term_options() (cmd_term.c). term_profile_argv:
 * if name is a profile there, a new argv with its options first, then
 * argv's without name (they win); NULL if it is none (*err set if the
 * file is bad). term_pattern: a URL with * ? or [ is a pattern: the
 * rank-th newest tty path matching it (0: the newest) into out (1), none
 * (0); not a pattern (-1). */
struct option;
const struct option *term_options(void);
char **term_profile_argv(const char *name, int argc, char **argv, int *newc, int *err);
int term_pattern(const char *url, int rank, char *out, size_t cap);

/* term_socket.c: --socket SPEC into t (-1 after saying what is wrong);
 * listen (at the start; -1 said); the port's bytes to the client; close. */
int term_socket_parse(term *t, const char *spec);
int term_socket_start(term *t);
void term_socket_data(term *t, const uint8_t *d, size_t n);
void term_socket_stop(term *t);

/* term_keys.c */
void term_keys(term *t, const uint8_t *d, size_t n);
void term_help(term *t);
/* Send bytes to the port (counted, echoed if asked, paced by --char-delay
 * and --line-delay). */
void term_send(term *t, const void *d, size_t n);
/* Say a port error (prefix, then the port's message or rc's), unless it
 * is the one said last: a refusal is said once. */
void term_port_error(term *t, const char *prefix, int rc);
/* The port has connected: paced bytes held meanwhile start going out. */
void term_keys_connected(term *t);
/* Stop the timers of pacing and pulses (at the end). */
void term_keys_stop(term *t);

/* cmd_term.c: what standard input brings, on the loop's thread: bytes
 * (keys in a terminal), then at most once its end. */
void term_input(term *t, const uint8_t *d, size_t n);
void term_input_end(term *t);

/* ---- the local console: term_tty.c or term_win.c ---- */
/* Standard input and output are both a terminal (a console on Windows):
 * the interactive session; otherwise pipe mode. */
bool term_con_interactive(void);
/* Catch what stops the session (signals; console control events): they
 * set cli_stop, and the exit status says which (term_con_end). */
void term_con_catch(term *t);
/* Raw mode: every key a byte (Ctrl-C and the escape key included), no
 * echo, no line editing; restored by term_con_end and on every other way
 * out (exit, stop signals, crashes). -1 if it cannot be set. */
int term_con_raw(void);
/* Put the console back as it was; the exit status a stop asks for
 * (128 + the signal's number), or 0. */
int term_con_end(void);
/* Deliver standard input to term_input/term_input_end on the loop's
 * thread; -1 (said on stderr) if it cannot. Stopped by term_input_stop,
 * after which nothing more is delivered. */
int term_input_start(term *t);
void term_input_stop(term *t);
/* All of d to standard output, as it is (no newline translation). */
void term_write(const void *d, size_t n);
/* Local wall-clock time, for timestamps. */
void term_clock(struct tm *tm, unsigned *ms);
/* A monotonic clock in milliseconds, for 24h-start and 24h-delta stamps. */
long long term_now_ms(void);

#endif
