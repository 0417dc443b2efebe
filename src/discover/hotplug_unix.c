/* hotplug_unix.c: the Unix side of the hotplug watcher (platform.h,
 * hotplug.c): the roots found at the start (rescans look where the
 * watcher started) and the change notifications of os/devwatch.h, each
 * fd watched on the loop (Linux: inotify on the /dev root and the tty
 * class, the kernel's uevents when the /dev root is the real one). The
 * portable build has none: a missing /dev root is still an error, as on
 * Linux, and the watcher rescans on a timer. */
#include "discover/discover.h"
#include "os/devwatch.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

typedef struct src_watch {
    struct aser_hotplug_src *s;
    size_t i; /* index in s->dw.fd */
    aser_io *io;
} src_watch;

struct aser_hotplug_src {
    aser_roots roots;
    aser_devwatch dw;
    src_watch w[ASER_DEVWATCH_FDS];
    void (*changed)(void *);
    void *arg;
};

static void on_fd(void *arg, unsigned revents)
{
    src_watch *w = arg;
    (void)revents;
    if (aser__devwatch_drain(&w->s->dw, w->i)) w->s->changed(w->s->arg);
}

void aser__hotplug_src_close(aser_hotplug_src *s)
{
    for (size_t i = 0; i < ASER_DEVWATCH_FDS; i++)
        if (s->w[i].io) aser__io_close(s->w[i].io);
    aser__devwatch_close(&s->dw);
    free(s);
}

/* The portable build: nothing to watch, but the /dev root must exist. */
static int no_notifications(const char *dev)
{
    struct stat st;
    if (stat(dev, &st) < 0) return aser__errno(errno);
    return S_ISDIR(st.st_mode) ? 0 : ASER_ENOENT;
}

static int src_watch_all(aser_loop *loop, aser_hotplug_src *s)
{
    for (size_t i = 0; i < ASER_DEVWATCH_FDS; i++) {
        if (s->dw.fd[i] < 0) continue;
        s->w[i] = (src_watch){.s = s, .i = i};
        s->w[i].io = aser__io_open(loop, s->dw.fd[i], on_fd, &s->w[i]);
        if (!s->w[i].io) return ASER_ENOMEM;
        int rc = aser__io_set(s->w[i].io, ASER_EV_READ);
        if (rc < 0) return rc;
    }
    return 0;
}

static int src_start(aser_loop *loop, aser_hotplug_src *s, bool *notifies)
{
    int rc = aser__roots_get(&s->roots);
    if (rc < 0) return rc;
    char tty[PATH_MAX];
    const char *dev = s->roots.dev[0] ? s->roots.dev : "/";
    bool have_tty = aser__path_fmt(tty, sizeof tty, "%s/class/tty", s->roots.sys) == 0;
    rc = aser__devwatch_open(&s->dw, dev, have_tty ? tty : NULL, !s->roots.dev_moved);
    if (rc == ASER_ENOTSUP) return no_notifications(dev);
    if (rc < 0) return rc;
    *notifies = true;
    return src_watch_all(loop, s);
}

int aser__hotplug_src_open(aser_loop *loop, void (*changed)(void *), void *arg,
                           aser_hotplug_src **out, bool *notifies)
{
    *out = NULL;
    *notifies = false;
    aser_hotplug_src *s = calloc(1, sizeof *s);
    if (!s) return ASER_ENOMEM;
    s->changed = changed;
    s->arg = arg;
    for (size_t i = 0; i < ASER_DEVWATCH_FDS; i++) s->dw.fd[i] = -1;
    int rc = src_start(loop, s, notifies);
    if (rc < 0) {
        aser__hotplug_src_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int aser__hotplug_src_list(aser_hotplug_src *s, aser_port_info **out, size_t *n)
{
    return aser__list(&s->roots, 0, out, n, NULL);
}

bool aser__hotplug_start_empty(int rc)
{
    return rc != ASER_ENOMEM; /* any other failure: start empty */
}
