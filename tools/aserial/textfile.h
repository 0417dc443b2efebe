/* textfile.h: the one bounded reader of the text files the subcommands
 * take (sim --rules, serve --file): a line at most TEXTFILE_LINE_MAX
 * characters, the file at most TEXTFILE_SIZE_MAX bytes, no NUL byte.
 * Anything else (/dev/zero, an endless pipe, a binary file) is refused at
 * once with a sentence naming the file, the line and the fix, instead of
 * spinning or reading for ever. */
#ifndef ASER_TEXTFILE_H
#define ASER_TEXTFILE_H

#include <stddef.h>
#include <stdio.h>

#define TEXTFILE_LINE_MAX 1023
#define TEXTFILE_SIZE_MAX (1u << 20)

typedef struct textfile {
    FILE *f;
    const char *cmd;  /* "serve": for "aserial serve: ..." */
    const char *path; /* as given */
    const char *what; /* "a file of exports", "a rule file" */
    unsigned lineno;  /* of the line last read */
    size_t total;     /* bytes read so far */
} textfile;

/* Open path; -1 after saying why it cannot be read. */
int textfile_open(textfile *t, const char *cmd, const char *path, const char *what);
/* The next line into line (cap > TEXTFILE_LINE_MAX), without its newline
 * (nor a CR before it): 1, 0 at the end, -1 after saying what is wrong. */
int textfile_line(textfile *t, char *line, size_t cap);
void textfile_close(textfile *t);

#endif
