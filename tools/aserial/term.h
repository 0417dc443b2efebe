/* term.h: what the files of `aserial term` share: cmd_term.c (options,
 * the loop, pipe mode), term_keys.c (keyboard: Enter mapping, echo, the
 * escape key and its commands), term_view.c (what the port sends, as text
 * or hex, with timestamps, and the log file), and the local console, one
 * file per platform: term_tty.c (a POSIX terminal) or term_win.c (a
 * Windows console). */
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
enum {
    MAP_CR_CRLF = 1u << 0,
    MAP_LF_CRLF = 1u << 1,
    MAP_IGNORE_CR = 1u << 2
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
    int enter;    /* ENTER_* */
    unsigned map; /* MAP_* for received bytes */
    bool echo, hex, stamps, reconnect, quiet;
    unsigned char escape; /* the escape key (Ctrl-T: 0x14) */
    unsigned linger_ms;
    const char *log_path;
    bool log_append;

    /* state */
    bool interactive; /* stdin and stdout are terminals: raw mode, escape key */
    aser_loop *loop;
    aser_port *p;      /* the port */
    aser_port *in;     /* standard input (stdio:; term_tty.c only) */
    aser_timer *wait;  /* waiting for a port absent at start */
    char waiting[256]; /* why, as last said */
    bool up;           /* the port is usable (not lost) */
    bool quit;
    int status; /* exit status */
    unsigned long long rx, tx;
    int writes; /* writes to the port not yet done (pipe mode waits) */
    bool in_ended;

    /* view (term_view.c) */
    FILE *log;
    bool at_line_start;
    unsigned hex_col;

    /* keys (term_keys.c) */
    int keys_state;
    char prompt_cmd;
    char prompt[256];
    size_t prompt_len;
} term;

/* term_view.c */
void term_view_data(term *t, const uint8_t *d, size_t n);
/* A message for the person: own line, "\r\n" in raw mode, stderr in pipe mode. */
void term_say(term *t, const char *fmt, ...) CLI_PRINTF(2, 3);
int term_log_open(term *t, const char *path, bool append);
void term_log_close(term *t);
void term_show_settings(term *t);

/* term_keys.c */
void term_keys(term *t, const uint8_t *d, size_t n);
void term_help(term *t);
/* Send bytes to the port (counted, echoed if asked). */
void term_send(term *t, const void *d, size_t n);

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

#endif
