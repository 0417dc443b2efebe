/* cli.h: what the aserial subcommands share. Each subcommand lives in its
 * own file as int aser_cmd_<name>(int argc, char **argv), argv[0] being the
 * subcommand's name. Exit codes: 0 success, 1 failure, 2 bad usage. */
#ifndef ASER_CLI_H
#define ASER_CLI_H

#include "aserial.h"

#include <signal.h>
#include <stddef.h>

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
/* Print "aserial CMD: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse a non-negative integer option or print an error naming it. */
int cli_uint(const char *cmd, const char *opt, const char *s, unsigned *out);
/* Parse a config string onto cfg, printing the error. */
int cli_config(const char *cmd, const char *s, aser_config *cfg);
/* SIGINT/SIGTERM set *cli_stop (installed without SA_RESTART so the loop
 * wakes up). */
extern volatile sig_atomic_t cli_stop;
void cli_catch_signals(void);
/* follow.c: if from is a pty: endpoint, say where it is and (to not NULL)
 * apply the settings its program sets to the port to. */
void cli_follow_config(const char *cmd, aser_port *from, aser_port *to);
/* Run loop until a signal arrives. */
int cli_run_until_signal(aser_loop *loop);

#endif
