/* links.c: udev's /dev/serial/by-id and by-path links, matched to ports.
 *
 * Targets are resolved lexically (link dir + relative target, then "..",
 * "." folded), so the match works on fixture trees whose entries are plain
 * files and never follows a link outside the /dev root. */
#define _GNU_SOURCE
#include "discover/discover.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void aser__links_free(aser_links *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->link[i]);
        free(l->target[i]);
    }
    free(l->link);
    free(l->target);
    l->link = l->target = NULL;
    l->n = 0;
}

/* Where path (in dir) points, as a normalized absolute path in *out; *out
 * stays NULL if it is not a symlink or does not fit. 0 or ASER_ENOMEM. */
static int link_target(const char *dir, const char *path, char **out)
{
    char target[PATH_MAX], full[PATH_MAX];
    *out = NULL;
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n <= 0) return 0;
    target[n] = '\0';
    int rc = target[0] == '/' ? aser__path_fmt(full, sizeof full, "%s", target)
                              : aser__path_fmt(full, sizeof full, "%s/%s", dir, target);
    if (rc < 0 || aser__path_normalize(full) < 0) return 0;
    *out = strdup(full);
    return *out ? 0 : ASER_ENOMEM;
}

static int links_grow(aser_links *l, size_t *cap)
{
    if (l->n < *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    char **nl = realloc(l->link, ncap * sizeof *nl);
    if (!nl) return ASER_ENOMEM;
    l->link = nl;
    char **nt = realloc(l->target, ncap * sizeof *nt);
    if (!nt) return ASER_ENOMEM;
    l->target = nt;
    *cap = ncap;
    return 0;
}

/* Add dir/name if it is a symlink. 0 or ASER_ENOMEM. */
static int links_add(aser_links *l, size_t *cap, const char *dir, const char *name)
{
    char path[PATH_MAX];
    if (aser__path_fmt(path, sizeof path, "%s/%s", dir, name) < 0) return 0;
    char *target;
    int rc = link_target(dir, path, &target);
    if (rc < 0 || !target) return rc;
    char *link = strdup(path);
    if (!link || links_grow(l, cap) < 0) {
        free(link);
        free(target);
        return ASER_ENOMEM;
    }
    l->link[l->n] = link;
    l->target[l->n] = target;
    l->n++;
    return 0;
}

/* Sort both arrays by link name (insertion sort: a handful of links). */
static void links_sort(aser_links *l)
{
    for (size_t i = 1; i < l->n; i++) {
        char *lk = l->link[i], *tg = l->target[i];
        size_t j = i;
        for (; j > 0 && strcmp(l->link[j - 1], lk) > 0; j--) {
            l->link[j] = l->link[j - 1];
            l->target[j] = l->target[j - 1];
        }
        l->link[j] = lk;
        l->target[j] = tg;
    }
}

int aser__links_load(aser_links *l, const char *dir)
{
    size_t cap = 0;
    l->link = l->target = NULL;
    l->n = 0;
    DIR *d = opendir(dir);
    if (!d) return 0; /* no udev, or no such links: not an error */
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        rc = links_add(l, &cap, dir, de->d_name);
    }
    closedir(d);
    if (rc < 0) {
        aser__links_free(l);
        return rc;
    }
    links_sort(l);
    return 0;
}

/* Does target name device? An absolute "/dev/x" target also counts as
 * "<dev_root>/x" so links made for the real /dev match in a moved root. */
static bool target_is(const char *target, const char *device, const char *dev_root)
{
    if (strcmp(target, device) == 0) return true;
    if (strncmp(target, "/dev/", 5) != 0) return false;
    size_t rl = strlen(dev_root);
    return strncmp(device, dev_root, rl) == 0 && strcmp(device + rl, target + 4) == 0;
}

char *aser__links_find(const aser_links *l, const char *device, const char *dev_root, bool *nomem)
{
    for (size_t i = 0; i < l->n; i++) {
        if (!target_is(l->target[i], device, dev_root)) continue;
        char *s = strdup(l->link[i]);
        if (!s) *nomem = true;
        return s;
    }
    return NULL;
}
