/* devscan.c: listing ports by scanning the /dev root, for the portable
 * build (macOS, the BSDs; -Dplatform=posix on Linux), where there is no
 * sysfs. A port is a character device (or, under ASERIAL_DEV_ROOT, any
 * entry that is not a directory, so fixture trees of plain files work)
 * whose name matches one of the patterns those systems use:
 *   macOS      tty.usbserial*, tty.usbmodem*, cu.*
 *   FreeBSD    ttyU*, cuaU* (USB), ttyu*, cuau* (UARTs); not the .init
 *              and .lock companions
 *   Linux      ttyUSB*, ttyACM*, ttyS*, so the portable build finds
 *              something where it is exercised
 * Nothing is known of the hardware: vid, pid and interface are -1, the
 * description is the name, subsystem NULL, so usb: URLs match nothing
 * (find.c says why). The /dev root is ASERIAL_DEV_ROOT when set. */
#include "discover/discover.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const patterns[] = {
    "tty.usbserial*", "tty.usbmodem*", "cu.*",         "ttyU[0-9]*",   "cuaU[0-9]*",
    "ttyu[0-9]*",     "cuau[0-9]*",    "ttyUSB[0-9]*", "ttyACM[0-9]*", "ttyS[0-9]*",
};

bool aser__devscan_name_matches(const char *name)
{
    size_t len = strlen(name);
    if ((len > 5 && strcmp(name + len - 5, ".init") == 0) ||
        (len > 5 && strcmp(name + len - 5, ".lock") == 0))
        return false;
    for (size_t i = 0; i < ASER_ARRAY_LEN(patterns); i++)
        if (fnmatch(patterns[i], name, 0) == 0) return true;
    return false;
}

static int info_fill(aser_port_info *info, const char *dev, const char *name)
{
    memset(info, 0, sizeof *info); /* fresh memory from realloc */
    aser__port_info_clear(info);
    size_t n = strlen(dev) + strlen(name) + 2;
    info->device = malloc(n);
    info->name = strdup(name);
    info->description = strdup(name);
    if (!info->device || !info->name || !info->description) {
        aser__port_info_clear(info);
        return ASER_ENOMEM;
    }
    aser__path_fmt(info->device, n, "%s/%s", dev, name);
    return 0;
}

static bool is_port(const aser_roots *r, const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) return false;
    if (S_ISCHR(st.st_mode)) return true;
    return r->dev_moved && !S_ISDIR(st.st_mode); /* fixture trees */
}

int aser__devscan(const aser_roots *r, aser_port_info **out, size_t *n, aser_err *err)
{
    const char *dev = r->dev[0] ? r->dev : "/";
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dev);
    if (!d) {
        int rc = aser__errno(errno);
        return aser__err(err, rc, "cannot read %.180s: %s (is ASERIAL_DEV_ROOT right?)", dev,
                         aser_strerror(rc));
    }
    aser_port_info *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    char path[PATH_MAX];
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!aser__devscan_name_matches(de->d_name)) continue;
        if (aser__path_fmt(path, sizeof path, "%s/%s", r->dev, de->d_name) < 0 || !is_port(r, path))
            continue;
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            aser_port_info *nv = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                rc = ASER_ENOMEM;
                break;
            }
            v = nv;
            cap = ncap;
        }
        rc = info_fill(&v[cnt], r->dev, de->d_name);
        if (rc == 0) cnt++;
    }
    closedir(d);
    if (rc < 0) {
        aser_port_info_free_list(v, cnt);
        return aser__err(err, rc, "listing serial ports: out of memory");
    }
    *out = v;
    *n = cnt;
    return 0;
}
