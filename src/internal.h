/* internal.h: what the modules of libaserial share and users never see.
 * Internal non-static symbols are named aser__*. */
#ifndef ASER_INTERNAL_H
#define ASER_INTERNAL_H

#include "aserial.h"

#include <stdarg.h>

/* The OS layer this file is compiled for: meson.build defines
 * ASER_OS_WINDOWS, or ASER_OS_UNIX with ASER_OS_LINUX or ASER_OS_POSIX
 * (the portable build). The library reads only these, never _WIN32. */
#if defined(ASER_OS_WINDOWS) == defined(ASER_OS_UNIX) || \
    (defined(ASER_OS_UNIX) && defined(ASER_OS_LINUX) == defined(ASER_OS_POSIX))
#error "build with meson: it defines exactly one of ASER_OS_WINDOWS, ASER_OS_LINUX, ASER_OS_POSIX"
#endif

#ifdef ASER_OS_WINDOWS
/* ---- what the Windows C runtime lacks (os/win/compat.c) ---------------- */
#include <stddef.h>
void *memmem(const void *hay, size_t hn, const void *needle, size_t nn);
void *memrchr(const void *s, int c, size_t n);
/* Cryptographic random bytes (BCryptGenRandom), n <= 256. 0 or -1. */
int getentropy(void *buf, size_t n);
/* Files the library opens (the web console's /vendor files) are read as
 * bytes, never text-translated, and not inherited; O_NONBLOCK and
 * O_NOCTTY mean nothing for a Windows file. */
#define O_CLOEXEC (_O_BINARY | _O_NOINHERIT)
#define O_NONBLOCK 0
#define O_NOCTTY 0
#endif

/* printf-style checking. mingw-w64's gcc takes format(printf) as
 * Microsoft's printf (no %zu, %lld as %I64d); the Windows build runs on
 * mingw's C99 printf (-D__USE_MINGW_ANSI_STDIO=1, meson.build), which
 * mingw names __MINGW_PRINTF_FORMAT (gnu_printf). */
#if defined(__MINGW32__)
#include <stdio.h> /* __MINGW_PRINTF_FORMAT */
#ifndef __MINGW_PRINTF_FORMAT
#define __MINGW_PRINTF_FORMAT gnu_printf
#endif
#define ASER_PRINTF(f, a) __attribute__((format(__MINGW_PRINTF_FORMAT, f, a)))
#else
#define ASER_PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif

#define ASER_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ASER_MIN(a, b) ((a) < (b) ? (a) : (b))
#define ASER_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- errors ----------------------------------------------------------- */

/* Fill err (if non-NULL) with code and a printf-style message; return code. */
int aser__err(aser_err *err, int code, const char *fmt, ...) ASER_PRINTF(3, 4);
/* -errno, mapped so EWOULDBLOCK etc. land on one code. */
int aser__errno(int e);

/* ---- configuration ----------------------------------------------------- */

/* True when the line settings (baud, data bits, parity, stop bits, flow
 * control) of a and b differ: what a transport must send to change. */
bool aser__config_line_differs(const aser_config *a, const aser_config *b);

/* ---- clock ------------------------------------------------------------ */

/* Microseconds on CLOCK_MONOTONIC. */
uint64_t aser__now_us(void);

/* ---- loop ------------------------------------------------------------- */

/* An fd watch and a timer on any loop (built-in or adapted). These wrap
 * the hook table; callbacks run from the loop. Closing from inside the
 * handle's own callback is safe. */
typedef struct aser_io aser_io;
typedef struct aser_tmr aser_tmr;

aser_io *aser__io_open(aser_loop *loop, int fd, aser_io_fn fn, void *arg);
int aser__io_set(aser_io *io, unsigned events);
void aser__io_close(aser_io *io);

aser_tmr *aser__tmr_open(aser_loop *loop, aser_timer_fn fn, void *arg);
int aser__tmr_start(aser_tmr *t, uint64_t us);
void aser__tmr_stop(aser_tmr *t);
void aser__tmr_close(aser_tmr *t);

/* Objects that keep aser_loop_run() going (open ports, pairs, watchers)
 * take a reference; the loop returns when none is left. */
void aser__loop_ref(aser_loop *loop);
void aser__loop_unref(aser_loop *loop);

/* Deferred calls: fn(arg) runs from the loop soon, never from inside the
 * caller. A deferral is a small intrusive node owned by the caller, so
 * nothing is allocated; scheduling an already scheduled node is a no-op. */
typedef struct aser_defer {
    struct aser_defer *next;
    void (*fn)(void *arg);
    void *arg;
    unsigned gen;
    bool queued;
} aser_defer;
void aser__defer(aser_loop *loop, aser_defer *d);
void aser__defer_cancel(aser_loop *loop, aser_defer *d);

/* ---- usb: URLs (implemented by the discovery module) ------------------- */

/* Resolve "VID:PID[:SERIAL]" (the part after "usb:") to a device path.
 * Returns 0 and fills path, or ASER_ENOENT / ASER_EBADURL with a message. */
int aser__discover_resolve_usb(const char *spec, char *path, size_t cap, aser_err *err);

#endif
