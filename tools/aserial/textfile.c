/* textfile.c: the bounded line reader (textfile.h). getc rather than
 * fgets: fgets cannot tell a NUL byte from the end of what it read, so a
 * run of NULs came back as empty lines for ever. */
#include "textfile.h"

#include "cli.h"

#include <errno.h>
#include <string.h>

int textfile_open(textfile *t, const char *cmd, const char *path, const char *what)
{
    *t = (textfile){.cmd = cmd, .path = path, .what = what};
    if (!(t->f = fopen(path, "r"))) {
        cli_error(cmd, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int textfile_line(textfile *t, char *line, size_t cap)
{
    size_t len = 0;
    int c = EOF;
    t->lineno++;
    while ((c = getc(t->f)) != EOF) {
        if (++t->total > TEXTFILE_SIZE_MAX) {
            cli_error(t->cmd,
                      "%s is larger than %u KiB: not %s (is it a device or an endless "
                      "pipe?)",
                      t->path, TEXTFILE_SIZE_MAX / 1024, t->what);
            return -1;
        }
        if (c == '\n') break;
        if (c == '\0') {
            cli_error(t->cmd, "%s:%u: a NUL byte: %s is not %s", t->path, t->lineno, t->path,
                      t->what);
            return -1;
        }
        if (len >= TEXTFILE_LINE_MAX || len + 1 >= cap) {
            cli_error(t->cmd, "%s:%u: line longer than %d characters", t->path, t->lineno,
                      TEXTFILE_LINE_MAX);
            return -1;
        }
        line[len++] = (char)c;
    }
    if (c == EOF && ferror(t->f)) {
        cli_error(t->cmd, "cannot read %s: %s", t->path, strerror(errno));
        return -1;
    }
    if (len && line[len - 1] == '\r') len--;
    line[len] = '\0';
    return c == EOF && len == 0 ? 0 : 1;
}

void textfile_close(textfile *t)
{
    if (t->f) fclose(t->f);
    t->f = NULL;
}
