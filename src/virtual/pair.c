/* pair.c: a virtual null-modem cable. Two pseudo-terminals whose master
 * sides the loop joins back to back; the slave paths are what programs
 * open. We keep each slave open ourselves so the pair survives programs
 * opening and closing its ends, and so the raw settings stick. */
#define _GNU_SOURCE
#include "os/tty.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAIR_BUF 16384

typedef struct pair_end {
    struct aser_pair *pair;
    int idx;
    int master, slave;
    char path[64];
    char *link;
    aser_io *io;
    uint8_t buf[PAIR_BUF]; /* read from this master, waiting for the other */
    size_t off, len;
} pair_end;

struct aser_pair {
    aser_loop *loop;
    pair_end end[2];
};

static void update(aser_pair *pr)
{
    for (int i = 0; i < 2; i++) {
        pair_end *e = &pr->end[i], *o = &pr->end[1 - i];
        unsigned ev = 0;
        if (e->len == 0) ev |= ASER_EV_READ;
        if (o->len > o->off) ev |= ASER_EV_WRITE;
        aser__io_set(e->io, ev);
    }
}

static void on_io(void *arg, unsigned revents)
{
    pair_end *e = arg;
    aser_pair *pr = e->pair;
    pair_end *o = &pr->end[1 - e->idx];
    if ((revents & ASER_EV_WRITE) && o->len > o->off) {
        ssize_t n = write(e->master, o->buf + o->off, o->len - o->off);
        if (n > 0) o->off += (size_t)n;
        if (o->off == o->len) o->off = o->len = 0;
    }
    if ((revents & ASER_EV_READ) && e->len == 0) {
        ssize_t n = read(e->master, e->buf, sizeof e->buf);
        if (n > 0) {
            e->len = (size_t)n;
            ssize_t w = write(o->master, e->buf, e->len); /* eager */
            if (w > 0) e->off = (size_t)w;
            if (e->off == e->len) e->off = e->len = 0;
        }
    }
    update(pr);
}

static int end_open(aser_pair *pr, int i, const char *link, aser_err *err)
{
    pair_end *e = &pr->end[i];
    e->pair = pr;
    e->idx = i;
    int rc = aser__pty_open(&e->master, e->path, sizeof e->path, err);
    if (rc < 0) return rc;
    e->slave = open(e->path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (e->slave < 0)
        return aser__err(err, aser__errno(errno), "cannot open %s: %s", e->path, strerror(errno));
    if ((rc = aser__tty_make_raw(e->slave)) < 0)
        return aser__err(err, rc, "cannot make %s raw: %s", e->path, aser_strerror(rc));
    if (link) {
        if ((rc = aser__pty_link(link, e->path, err)) < 0) return rc;
        if (!(e->link = strdup(link))) return aser__err(err, ASER_ENOMEM, "out of memory");
    }
    e->io = aser__io_open(pr->loop, e->master, on_io, e);
    if (!e->io) return aser__err(err, ASER_ENOMEM, "cannot watch %s", e->path);
    return 0;
}

static void end_close(pair_end *e)
{
    aser__io_close(e->io);
    if (e->link) unlink(e->link);
    free(e->link);
    if (e->slave >= 0) close(e->slave);
    if (e->master >= 0) close(e->master);
}

int aser_pair_open(aser_loop *loop, const aser_pair_opts *opts, aser_pair **out, aser_err *err)
{
    if (!loop || !out) return aser__err(err, ASER_EINVAL, "aser_pair_open: loop and out required");
    *out = NULL;
    aser_pair *pr = calloc(1, sizeof *pr);
    if (!pr) return aser__err(err, ASER_ENOMEM, "out of memory");
    pr->loop = loop;
    pr->end[0].master = pr->end[0].slave = pr->end[1].master = pr->end[1].slave = -1;
    int rc = end_open(pr, 0, opts ? opts->link_a : NULL, err);
    if (rc == 0) rc = end_open(pr, 1, opts ? opts->link_b : NULL, err);
    if (rc < 0) {
        end_close(&pr->end[0]);
        end_close(&pr->end[1]);
        free(pr);
        return rc;
    }
    update(pr);
    aser__loop_ref(loop);
    *out = pr;
    return 0;
}

const char *aser_pair_path(const aser_pair *pr, int end)
{
    return pr && (end == 0 || end == 1) ? pr->end[end].path : NULL;
}

void aser_pair_close(aser_pair *pr)
{
    if (!pr) return;
    end_close(&pr->end[0]);
    end_close(&pr->end[1]);
    aser__loop_unref(pr->loop);
    free(pr);
}
