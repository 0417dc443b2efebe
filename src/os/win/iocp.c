/* os/win/iocp.c: the built-in event loop on Windows (issue 11), behind
 * aser_loop_new(), on one I/O completion port per loop.
 *
 * What arrives on the port, told apart by completion key (os/win/iocp.h):
 *   KEY_OVL   an overlapped operation on a handle attached with
 *             aser__iocp_attach (the COM-port transport): the OVERLAPPED is
 *             the first member of an aser_ovl, whose done runs here once,
 *             with the Win32 error from the packet's NTSTATUS.
 *   KEY_READY a socket the poller thread saw ready (below).
 *   KEY_POST  aser_loop_post from any thread (PostQueuedCompletionStatus,
 *             instead of the POSIX loops' wake-up descriptor).
 * GetQueuedCompletionStatusEx waits until the first timer's deadline
 * (heap.c, shared with the POSIX loop), taking up to 256 packets at a time.
 * The timer resolution is raised to 1 ms (timeBeginPeriod) while a loop
 * exists: the default 15.6 ms tick would round every short request
 * timeout up; Windows 10 2004+ scopes this to the process.
 *
 * Socket readiness. The library's sockets (connector, server and web
 * listeners, tcp:// ports, mock:// pairs) are readiness-based and level-
 * triggered, as on POSIX. Windows has no readiness API that posts to a
 * completion port through documented calls, so each loop that watches a
 * socket starts one poller thread running WSAPoll over the armed sockets
 * plus a wake-up socket pair. When a socket is ready the poller posts a
 * KEY_READY packet and disarms that socket, so it is not reported again
 * (no spinning) until the loop thread has run its callback and re-armed
 * it; re-arming wakes the poller, which polls again with the socket in
 * the set, so readiness that persists is reported again (level-triggered:
 * no lost edge). The cost is a wake-up of the poller per dispatch and a
 * WSAPoll over every armed socket per wake-up: fine for the tens of
 * sockets a serial server has, not for thousands.
 *
 * The alternative is IOCTL_AFD_POLL on the AFD driver (as wepoll and libuv
 * do): readiness posted straight to the completion port, no thread. It
 * works under Wine 8 here (measured: a poll for AFD_POLL_RECEIVE issued on
 * a socket associated with a port stays pending, then completes through
 * the port when a byte arrives), but it is undocumented; WSAPoll was
 * chosen as the documented API, and AFD polling is the upgrade if loops
 * with very many sockets matter. The poller thread starts with the first
 * armed socket, so a loop with only COM ports has none.
 *
 * Watches are shared with the poller, so each has a reference count under
 * the loop's lock: one for its owner until io_close, one while it is in
 * the poller's current WSAPoll set, one per readiness packet in flight;
 * the last one frees it. A watch on a handle that is not a socket (a COM
 * port) is accepted and never fires: its owner reports readiness itself
 * from its overlapped completions (iocp.h).
 *
 * WSAPoll caveat: Windows 10 before version 2004 is reported not to
 * signal a refused non-blocking connect through WSAPoll (Wine 8 does: the
 * windows suite sees ASER_ECONNREFUSED at once); there the connector's
 * connect_timeout ends the attempt. */
#include "loop/heap.h"
#include "loop/loop.h"
#include "os/socket.h"
#include "os/win/iocp.h"

#include <process.h>
#include <stdlib.h>
#include <string.h>
#include <timeapi.h>
#include <winternl.h>

#define KEY_READY ((ULONG_PTR)0x524459u) /* "RDY" */
#define KEY_POST ((ULONG_PTR)0x505354u)  /* "PST" */
#define KEY_QUIT ((ULONG_PTR)0x515554u)  /* "QUT": only while freeing */

/* Packets taken per wait: with many busy ports, fewer wake-ups. */
#define WI_MAX_EVENTS 256

typedef struct wi_io {
    int fd;
    bool is_socket;
    unsigned events; /* wanted ASER_EV_*; written on the loop thread under mu */
    aser_io_fn fn;
    void *arg;
    bool armed;   /* in the poller's wanted set */
    bool pending; /* a KEY_READY packet is in flight */
    bool dead;    /* io_close called */
    int refs;     /* under mu: owner, poller snapshot, packets in flight */
    size_t slot;  /* index in b->ios while not dead */
} wi_io;

struct aser_builtin {
    HANDLE port;
    aser_heap timers;
    void (*post_fn)(void *);
    void *post_arg;
    /* shared with the poller thread, under mu */
    CRITICAL_SECTION mu;
    wi_io **ios; /* live socket watches */
    size_t nios, capios;
    size_t narmed;
    bool wake_sent; /* a byte is on its way to the poller */
    bool quit;
    HANDLE thread; /* the poller, NULL until the first socket is armed */
    int wake_r, wake_w;
    bool period; /* timeBeginPeriod(1) in effect */
};

/* ---- the poller thread ------------------------------------------------- */

static void io_unref_locked(aser_builtin *b, wi_io *w, bool *free_it)
{
    (void)b;
    *free_it = --w->refs == 0;
}

/* Wake the poller so it rebuilds its set. Under mu. */
static void poller_kick_locked(aser_builtin *b)
{
    if (b->wake_sent || b->wake_w < 0) return;
    char one = 1;
    if (aser__sock_send(b->wake_w, &one, 1) == 1 || errno == EAGAIN) b->wake_sent = true;
}

static unsigned from_poll(short re)
{
    unsigned ev = 0;
    if (re & (POLLRDNORM | POLLHUP | POLLERR | POLLNVAL)) ev |= ASER_EV_READ;
    if (re & (POLLWRNORM | POLLHUP | POLLERR | POLLNVAL)) ev |= ASER_EV_WRITE;
    return ev;
}

static bool socket_valid(int fd)
{
    int type = 0, len = sizeof type;
    return getsockopt((SOCKET)(intptr_t)fd, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
}

/* Report w ready with revents and disarm it until the loop re-arms it. */
static void post_ready_locked(aser_builtin *b, wi_io *w, short re)
{
    w->armed = false;
    b->narmed--;
    w->pending = true;
    w->refs++;
    if (!PostQueuedCompletionStatus(b->port, (DWORD)(unsigned short)re, KEY_READY,
                                    (LPOVERLAPPED)w)) {
        w->pending = false; /* the port is gone: nothing will read it */
        w->refs--;
    }
}

static unsigned __stdcall poller_main(void *arg)
{
    aser_builtin *b = arg;
    WSAPOLLFD *pfd = NULL;
    wi_io **snap = NULL;
    size_t cap = 0;
    for (;;) {
        EnterCriticalSection(&b->mu);
        if (b->quit) {
            LeaveCriticalSection(&b->mu);
            break;
        }
        size_t need = b->narmed + 1;
        if (need > cap) {
            size_t ncap = need * 2;
            WSAPOLLFD *np = realloc(pfd, ncap * sizeof *np);
            if (np) pfd = np;
            wi_io **ns = realloc(snap, ncap * sizeof *ns);
            if (ns) snap = ns;
            if (np && ns) cap = ncap;
        }
        if (cap == 0) { /* out of memory: try again shortly */
            LeaveCriticalSection(&b->mu);
            Sleep(10);
            continue;
        }
        size_t n = 1;
        pfd[0] = (WSAPOLLFD){.fd = (SOCKET)(intptr_t)b->wake_r, .events = POLLRDNORM};
        for (size_t i = 0; i < b->nios && n < cap; i++) {
            wi_io *w = b->ios[i];
            if (!w->armed) continue;
            short want = (short)((w->events & ASER_EV_READ ? POLLRDNORM : 0) |
                                 (w->events & ASER_EV_WRITE ? POLLWRNORM : 0));
            pfd[n] = (WSAPOLLFD){.fd = (SOCKET)(intptr_t)w->fd, .events = want};
            snap[n] = w;
            w->refs++;
            n++;
        }
        LeaveCriticalSection(&b->mu);

        int r = WSAPoll(pfd, (ULONG)n, -1);
        bool invalid_seen = false;

        EnterCriticalSection(&b->mu);
        if (r > 0 && (pfd[0].revents & (POLLRDNORM | POLLHUP | POLLERR | POLLNVAL))) {
            char buf[64];
            while (aser__sock_recv(b->wake_r, buf, sizeof buf) > 0) {
            }
            b->wake_sent = false;
        }
        for (size_t i = 1; i < n; i++) {
            wi_io *w = snap[i];
            short re = r > 0 ? pfd[i].revents : 0;
            if (r == SOCKET_ERROR && !w->dead && !socket_valid(w->fd)) {
                re = POLLNVAL; /* closed under us: the owner finds out */
                invalid_seen = true;
            }
            if (re && w->armed && !w->dead) post_ready_locked(b, w, re);
            bool gone;
            io_unref_locked(b, w, &gone);
            if (gone) free(w);
        }
        LeaveCriticalSection(&b->mu);
        /* WSAPoll failed for no socket we can name: do not spin on it. */
        if (r == SOCKET_ERROR && !invalid_seen) Sleep(10);
    }
    free(pfd);
    free(snap);
    return 0;
}

static int poller_start_locked(aser_builtin *b)
{
    if (b->thread) return 0;
    int sv[2];
    if (aser__socketpair_nb(AF_INET, SOCK_STREAM, 0, sv) < 0) return aser__errno(errno);
    b->wake_r = sv[0];
    b->wake_w = sv[1];
    uintptr_t t = _beginthreadex(NULL, 64 * 1024, poller_main, b, 0, NULL);
    if (!t) {
        aser__sock_close(b->wake_r);
        aser__sock_close(b->wake_w);
        b->wake_r = b->wake_w = -1;
        return ASER_ENOMEM;
    }
    b->thread = (HANDLE)t;
    return 0;
}

/* ---- hooks ------------------------------------------------------------- */

static bool fd_is_socket(int fd)
{
    return fd >= 0 && socket_valid(fd);
}

static void *wi_io_open(void *data, int fd, aser_io_fn fn, void *arg)
{
    aser_builtin *b = data;
    wi_io *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->fd = fd;
    w->fn = fn;
    w->arg = arg;
    w->refs = 1;
    w->is_socket = fd_is_socket(fd);
    w->slot = SIZE_MAX;
    if (!w->is_socket) return w; /* never fires (iocp.h) */
    EnterCriticalSection(&b->mu);
    if (b->nios == b->capios) {
        size_t cap = b->capios ? b->capios * 2 : 16;
        wi_io **v = realloc(b->ios, cap * sizeof *v);
        if (!v) {
            LeaveCriticalSection(&b->mu);
            free(w);
            return NULL;
        }
        b->ios = v;
        b->capios = cap;
    }
    w->slot = b->nios;
    b->ios[b->nios++] = w;
    LeaveCriticalSection(&b->mu);
    return w;
}

/* Arm or disarm w after its events or pending state changed. Under mu. */
static int rearm_locked(aser_builtin *b, wi_io *w)
{
    bool want = w->is_socket && !w->dead && !w->pending && w->events != 0;
    if (want && !b->thread) {
        int rc = poller_start_locked(b);
        if (rc < 0) return rc;
    }
    if (want != w->armed) {
        w->armed = want;
        if (want)
            b->narmed++;
        else
            b->narmed--;
        poller_kick_locked(b);
    }
    return 0;
}

static int wi_io_set(void *data, void *h, unsigned events)
{
    aser_builtin *b = data;
    wi_io *w = h;
    if (w->events == events) return 0;
    if (!w->is_socket) {
        w->events = events;
        return 0;
    }
    EnterCriticalSection(&b->mu);
    bool was_armed = w->armed;
    w->events = events;
    int rc = rearm_locked(b, w);
    if (rc == 0 && was_armed && w->armed) poller_kick_locked(b); /* new mask */
    LeaveCriticalSection(&b->mu);
    return rc;
}

static void wi_io_close(void *data, void *h)
{
    aser_builtin *b = data;
    wi_io *w = h;
    if (!w->is_socket) {
        free(w);
        return;
    }
    EnterCriticalSection(&b->mu);
    w->dead = true;
    (void)rearm_locked(b, w);
    b->ios[w->slot] = b->ios[--b->nios];
    b->ios[w->slot]->slot = w->slot;
    bool gone;
    io_unref_locked(b, w, &gone);
    LeaveCriticalSection(&b->mu);
    if (gone) free(w);
}

static void *wi_timer_open(void *data, aser_timer_fn fn, void *arg)
{
    (void)data;
    return aser__heap_timer_new(fn, arg);
}

static int wi_timer_start(void *data, void *h, uint64_t us)
{
    aser_builtin *b = data;
    return aser__heap_start(&b->timers, h, us);
}

static void wi_timer_stop(void *data, void *h)
{
    aser_builtin *b = data;
    aser__heap_stop(&b->timers, h);
}

static void wi_timer_close(void *data, void *h)
{
    aser_builtin *b = data;
    aser__heap_timer_free(&b->timers, h);
}

const aser_loop_hooks aser__builtin_hooks = {
    .io_open = wi_io_open,
    .io_set = wi_io_set,
    .io_close = wi_io_close,
    .timer_open = wi_timer_open,
    .timer_start = wi_timer_start,
    .timer_stop = wi_timer_stop,
    .timer_close = wi_timer_close,
};

/* ---- life cycle -------------------------------------------------------- */

int aser__builtin_new(aser_builtin **out)
{
    aser_builtin *b = calloc(1, sizeof *b);
    if (!b) return ASER_ENOMEM;
    b->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (!b->port) {
        free(b);
        return ASER_ENOMEM;
    }
    InitializeCriticalSection(&b->mu);
    b->wake_r = b->wake_w = -1;
    b->period = timeBeginPeriod(1) == TIMERR_NOERROR;
    *out = b;
    return 0;
}

static void dispatch(aser_builtin *b, const OVERLAPPED_ENTRY *e);

void aser__builtin_free(aser_builtin *b)
{
    if (!b) return;
    if (b->thread) {
        EnterCriticalSection(&b->mu);
        b->quit = true;
        b->wake_sent = false;
        poller_kick_locked(b);
        LeaveCriticalSection(&b->mu);
        WaitForSingleObject(b->thread, INFINITE);
        CloseHandle(b->thread);
        aser__sock_close(b->wake_r);
        aser__sock_close(b->wake_w);
    }
    /* Readiness packets still queued hold references on watches their
     * owners closed: drop them (nothing else can be queued: aser_loop_free
     * refuses while references, hence pending operations, remain). */
    OVERLAPPED_ENTRY ev[64];
    ULONG n;
    while (GetQueuedCompletionStatusEx(b->port, ev, 64, &n, 0, FALSE) && n > 0)
        for (ULONG i = 0; i < n; i++)
            if (ev[i].lpCompletionKey == KEY_READY) {
                wi_io *w = (wi_io *)ev[i].lpOverlapped;
                if (--w->refs == 0) free(w);
            }
    CloseHandle(b->port);
    DeleteCriticalSection(&b->mu);
    if (b->period) timeEndPeriod(1);
    free(b->ios);
    aser__heap_free(&b->timers);
    free(b);
}

/* No descriptor to hand to another loop on Windows (aserial.h). */
int aser__builtin_fd(aser_builtin *b)
{
    (void)b;
    return -1;
}

int64_t aser__builtin_timeout(const aser_builtin *b)
{
    return aser__heap_timeout(&b->timers, -1);
}

int aser__builtin_set_post(aser_builtin *b, void (*fn)(void *), void *arg)
{
    b->post_fn = fn;
    b->post_arg = arg;
    return 0;
}

void aser__builtin_post_wake(aser_builtin *b)
{
    /* Fails only when the port is closed, i.e. the loop freed: a misuse. */
    (void)PostQueuedCompletionStatus(b->port, 0, KEY_POST, NULL);
}

int aser__iocp_attach(aser_loop *loop, HANDLE h, aser_err *err)
{
    if (!loop || !loop->builtin)
        return aser__err(err, ASER_ENOTSUP,
                         "COM ports need the built-in loop on Windows (aser_loop_new); "
                         "a loop on hooks (libuv, libevent) watches sockets only");
    if (!CreateIoCompletionPort(h, loop->builtin->port, ASER_IOCP_KEY_OVL, 0))
        return aser__err(err, ASER_EIO,
                         "cannot attach the handle to the loop's completion port "
                         "(Windows error %lu)",
                         (unsigned long)GetLastError());
    return 0;
}

/* ---- one iteration ----------------------------------------------------- */


/* What aser_loop_free runs before it checks references (loop.h). A port
 * of the blocking API closes with its cancelled operations' completions
 * queued (com.c waits until they are) and frees its private loop at
 * once: without this their done callbacks never ran, the com_io state and
 * its loop reference leaked, and aser_loop_free said EBUSY. Readiness
 * packets of closed watches and post wake-ups are dispatched as in a turn
 * of the loop (harmless: dead watches do nothing, posts run once). */
size_t aser__builtin_settle(aser_builtin *b)
{
    OVERLAPPED_ENTRY ev[WI_MAX_EVENTS];
    ULONG n = 0;
    size_t total = 0;
    while (GetQueuedCompletionStatusEx(b->port, ev, WI_MAX_EVENTS, &n, 0, FALSE) && n > 0) {
        for (ULONG i = 0; i < n; i++) dispatch(b, &ev[i]);
        total += n;
    }
    return total;
}

static void dispatch_ready(aser_builtin *b, wi_io *w, short re)
{
    EnterCriticalSection(&b->mu);
    w->pending = false;
    unsigned ev = w->dead ? 0 : from_poll(re) & w->events;
    LeaveCriticalSection(&b->mu);
    if (ev) w->fn(w->arg, ev); /* may set, or close, w: we hold a reference */
    EnterCriticalSection(&b->mu);
    (void)rearm_locked(b, w); /* still wanted: poll it again (level-triggered) */
    bool gone;
    io_unref_locked(b, w, &gone);
    LeaveCriticalSection(&b->mu);
    if (gone) free(w);
}

static void dispatch(aser_builtin *b, const OVERLAPPED_ENTRY *e)
{
    if (e->lpCompletionKey == ASER_IOCP_KEY_OVL) {
        aser_ovl *o = (aser_ovl *)e->lpOverlapped;
        /* The packet's status is the OVERLAPPED's NTSTATUS (Internal):
         * STATUS_CANCELLED becomes ERROR_OPERATION_ABORTED, and so on. */
        NTSTATUS st = (NTSTATUS)o->ov.Internal;
        DWORD error = st == 0 ? 0 : RtlNtStatusToDosError(st);
        o->done(o, e->dwNumberOfBytesTransferred, error);
    } else if (e->lpCompletionKey == KEY_READY) {
        dispatch_ready(b, (wi_io *)e->lpOverlapped, (short)e->dwNumberOfBytesTransferred);
    } else if (e->lpCompletionKey == KEY_POST) {
        if (b->post_fn) b->post_fn(b->post_arg);
    }
}

int aser__builtin_run_once(aser_builtin *b, int64_t timeout_us)
{
    int64_t t = aser__heap_timeout(&b->timers, timeout_us);
    /* Round up: a wake-up before the deadline only costs another turn. */
    DWORD ms = t < 0                           ? INFINITE
               : t >= (int64_t)INFINITE * 1000 ? INFINITE - 1
                                               : (DWORD)((t + 999) / 1000);
    OVERLAPPED_ENTRY ev[WI_MAX_EVENTS];
    ULONG n = 0;
    if (!GetQueuedCompletionStatusEx(b->port, ev, WI_MAX_EVENTS, &n, ms, FALSE)) {
        DWORD e = GetLastError();
        if (e != WAIT_TIMEOUT) return ASER_EIO;
        n = 0;
    }
    for (ULONG i = 0; i < n; i++) dispatch(b, &ev[i]);
    aser__heap_run(&b->timers);
    return 0;
}
