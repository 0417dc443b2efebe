/* term_profile.c: where `aserial term` finds its port besides a URL.
 *
 * Profiles, as tio's config file has them: `aserial term lab-dmm` reads
 * [lab-dmm] from $XDG_CONFIG_HOME/aserial/term (~/.config/aserial/term;
 * %APPDATA%\aserial\term on Windows):
 *
 *     # comments, blank lines
 *     [lab-dmm]
 *     url = /dev/serial/by-id/usb-FTDI_...    (or a pattern, or usb:...)
 *     config = 9600,8N1
 *     map = lf-crlf
 *     echo = yes                              (flags: yes/no, on/off, 1/0)
 *
 * Every other key is a long option of term; the command line's options
 * come after the profile's, so they win.
 *
 * Patterns: a URL with * ? or [ (and no "://") names the newest tty
 * matching it ('/dev/ttyUSB*'), by the time its device node appeared. */
#include "term.h"

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef ASER_OS_UNIX
#include <glob.h>
#endif
#ifdef __APPLE__ /* the change time with nanoseconds */
#define ST_CTIM st_ctimespec
#else
#define ST_CTIM st_ctim
#endif

static bool config_path(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
#ifdef ASER_OS_WINDOWS
    const char *app = getenv("APPDATA");
    if (app && app[0]) return snprintf(out, cap, "%s\\aserial\\term", app) < (int)cap;
#endif
    if (xdg && xdg[0]) return snprintf(out, cap, "%s/aserial/term", xdg) < (int)cap;
    if (home && home[0]) return snprintf(out, cap, "%s/.config/aserial/term", home) < (int)cap;
    return false;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

/* A name that may be a profile: no path, no URL, not a file here. */
static bool profile_like(const char *name)
{
    struct stat st;
    return name[0] && name[0] != '-' && !strpbrk(name, "/\\:*?[") && stat(name, &st) != 0;
}

static const char *const yes[] = {"yes", "on", "true", "1"}, *const no[] = {"no", "off", "false",
                                                                            "0"};

static int in(const char *v, const char *const *words)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(v, words[i])) return 1;
    return 0;
}

typedef struct args {
    char **v;
    int n, cap;
} args;

static int push(args *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        int cap = a->cap ? a->cap * 2 : 16;
        char **v = realloc(a->v, (size_t)cap * sizeof *v);
        if (!v) return -1;
        a->v = v, a->cap = cap;
    }
    if (!(a->v[a->n] = strdup(s))) return -1;
    a->v[++a->n] = NULL;
    return 0;
}

/* One "key = value" line of the profile onto a (an option, or the URL). */
static int profile_line(const char *file, int lineno, char *line, args *a, char **url)
{
    char *eq = strchr(line, '=');
    char *key = trim(line), *val = NULL;
    if (eq) *eq = '\0', key = trim(line), val = trim(eq + 1);
    if (!strcmp(key, "url") || !strcmp(key, "port")) {
        if (!val || !val[0]) goto bad;
        free(*url);
        *url = strdup(val);
        return *url ? 0 : -1;
    }
    for (const struct option *o = term_options(); o->name; o++) {
        if (strcmp(o->name, key) != 0 || !strcmp(key, "help")) continue;
        char opt[300];
        if (o->has_arg == no_argument) {
            if (val && in(val, no)) return 0;
            if (val && !in(val, yes)) goto bad;
            snprintf(opt, sizeof opt, "--%s", key);
        } else {
            if (!val) goto bad;
            snprintf(opt, sizeof opt, "--%s=%s", key, val);
        }
        return push(a, opt);
    }
    cli_error("term",
              "%s:%d: unknown key \"%s\": use url = PORT or a long option of term "
              "(config, map, echo...); see aserial help term",
              file, lineno, key);
    return -1;
bad:
    cli_error("term", "%s:%d: \"%s\" needs %s", file, lineno, key,
              val ? "yes or no" : "a value (key = value)");
    return -1;
}

/* The options of [name] in file onto a, its URL into *url: 1 found, 0
 * no such profile, -1 a bad line (said). */
static int read_profile(const char *file, const char *name, args *a, char **url)
{
    FILE *f = fopen(file, "r");
    if (!f) return 0;
    char line[1024];
    int lineno = 0, found = 0, rc = 0;
    bool mine = false;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!s[0] || s[0] == '#' || s[0] == ';') continue;
        if (s[0] == '[') {
            char *end = strchr(s, ']');
            if (end) *end = '\0';
            mine = !strcmp(trim(s + 1), name);
            found |= mine;
        } else if (mine) {
            rc = profile_line(file, lineno, s, a, url);
        }
    }
    fclose(f);
    return rc < 0 ? -1 : found;
}

char **term_profile_argv(const char *name, int argc, char **argv, int *newc, int *err)
{
    char file[4096];
    *err = 0;
    if (!profile_like(name) || !config_path(file, sizeof file)) return NULL;
    args a = {0};
    char *url = NULL;
    int found = push(&a, argv[0]) < 0 ? -1 : read_profile(file, name, &a, &url);
    if (found == 1 && !url) {
        cli_error("term", "profile [%s] in %s has no \"url = PORT\" line", name, file);
        found = -1;
    }
    bool skipped = false;
    for (int i = 1; found == 1 && i < argc; i++) {
        if (!skipped && !strcmp(argv[i], name)) { /* the profile's name: its URL instead */
            skipped = true;
            if (push(&a, url) < 0) found = -1;
        } else if (push(&a, argv[i]) < 0) {
            found = -1;
        }
    }
    free(url);
    if (found != 1) {
        for (int i = 0; i < a.n; i++) free(a.v[i]);
        free(a.v);
        *err = found < 0;
        return NULL;
    }
    *newc = a.n;
    return a.v;
}

int term_pattern(const char *url, int rank, char *out, size_t cap)
{
    if (!strpbrk(url, "*?[") || strstr(url, "://")) return -1;
#ifdef ASER_OS_WINDOWS
    (void)rank;
    (void)out;
    (void)cap;
    return -1; /* COM names have no patterns */
#else
    glob_t g;
    if (glob(url, 0, NULL, &g) != 0) return 0;
    /* The rank-th newest: pick the newest not yet taken, rank + 1 times
     * (a pattern matches a handful of ttys; no sort, no allocation). */
    const char *pick = NULL;
    struct timespec bound = {0, 0};
    for (int r = 0; r <= rank; r++) {
        const char *best = NULL;
        struct timespec newest = {0, 0};
        for (size_t i = 0; i < g.gl_pathc; i++) {
            struct stat st;
            if (stat(g.gl_pathv[i], &st) != 0 || !S_ISCHR(st.st_mode)) continue;
            struct timespec c = st.ST_CTIM;
            bool older_than_bound = !pick || c.tv_sec < bound.tv_sec ||
                                    (c.tv_sec == bound.tv_sec && c.tv_nsec < bound.tv_nsec) ||
                                    (c.tv_sec == bound.tv_sec && c.tv_nsec == bound.tv_nsec &&
                                     strcmp(g.gl_pathv[i], pick) > 0);
            if (!older_than_bound) continue;
            if (!best || c.tv_sec > newest.tv_sec ||
                (c.tv_sec == newest.tv_sec && c.tv_nsec > newest.tv_nsec))
                best = g.gl_pathv[i], newest = c;
        }
        if (!best) break;
        pick = best;
        bound = newest;
        if (r == rank) {
            int rc = snprintf(out, cap, "%s", best) < (int)cap;
            globfree(&g);
            return rc;
        }
    }
    globfree(&g);
    return 0;
#endif
}
