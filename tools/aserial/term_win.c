/* term_win.c: the local side of `aserial term` on Windows 10 and later
 * (term.h, "the local console"): the console in raw mode and its
 * restoration, the console's control events, standard input, standard
 * output, the wall clock.
 *
 * The console. Raw mode turns off line input, echo and processed input
 * (so Ctrl-C and the escape key arrive as keys) and asks for
 * ENABLE_VIRTUAL_TERMINAL_INPUT (arrow and function keys as the VT
 * sequences a Linux terminal sends); output gets
 * ENABLE_VIRTUAL_TERMINAL_PROCESSING (the device's escape sequences work)
 * with DISABLE_NEWLINE_AUTO_RETURN (LF moves down only, as on a raw Linux
 * terminal: --map lf-crlf is the cure there and here) and code page UTF-8.
 * Everything is put back at the end, at exit (atexit), on Ctrl-Break and
 * closing the console (the control handler), and on a crash (the
 * unhandled-exception filter; abort() through SIGABRT). Only a process
 * killed from outside (TerminateProcess, taskkill /F) leaves them. The
 * window size and resizes are not followed: nothing here depends on them.
 *
 * Standard input. The built-in loop is an I/O completion port that
 * watches sockets and COM ports, not consoles or pipes, so a thread reads
 * standard input and hands each chunk to the loop's thread with
 * aser_loop_post() (the library's one thread-safe call), then waits until
 * the loop has taken it: one chunk in flight, so a fast pipe cannot pile
 * up posts. A console is read as input records (ReadConsoleInputW) after
 * waiting on the console handle and a stop event, so stopping never
 * blocks; UTF-16 becomes UTF-8, and the keys that come without a
 * character (consoles that ignore ENABLE_VIRTUAL_TERMINAL_INPUT, such as
 * Wine's) are encoded here as xterm sends them. A pipe or a file is read
 * with ReadFile; at the end (0 bytes, or ERROR_BROKEN_PIPE) the input
 * ends as on Linux. Stopping cancels a blocked ReadFile
 * (CancelSynchronousIo); a thread that still does not end within 250 ms
 * is left blocked, and posts nothing more (the `stopping` flag, checked
 * under the lock that also covers the post), and ends with the process.
 *
 * Control events. Ctrl-C typed in raw mode is a key for the device;
 * Windows delivers it as one, and where the console raises CTRL_C_EVENT
 * all the same (Wine does) it is posted as the key 0x03. In pipe mode
 * Ctrl-C, and Ctrl-Break always, stop the session with status 130 (as
 * SIGINT on Linux); closing the console, logoff and shutdown with 129
 * (SIGHUP). The event objects and the lock live as long as the process
 * (one session per process), so a late post or a late handler never
 * meets a closed handle. */
#include "term.h"

#include <windows.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#ifndef ENABLE_VIRTUAL_TERMINAL_INPUT
#define ENABLE_VIRTUAL_TERMINAL_INPUT 0x0200
#endif
#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004
#endif
#ifndef DISABLE_NEWLINE_AUTO_RETURN
#define DISABLE_NEWLINE_AUTO_RETURN 0x0008
#endif

/* A chunk of standard input on its way to the loop's thread. */
typedef struct chunk {
    bool end;         /* the end of input (err: why, 0 for a plain end) */
    bool from_reader; /* the reader waits for it to be taken */
    bool keep;        /* static: not freed */
    DWORD err;
    size_t n;
    uint8_t d[];
} chunk;

static struct {
    CRITICAL_SECTION lock; /* stopping and the posts it guards */
    bool ready;            /* lock and events made (term_con_catch) */
    bool stopping;
    term *t;
    HANDLE in, thread;
    HANDLE stop;  /* manual reset: term_input_stop */
    HANDLE taken; /* auto reset: the loop took the reader's chunk */
    HANDLE done;  /* manual reset: the session is over (term_con_end) */
} I;

static volatile LONG stop_status; /* 130 or 129 once a control event stops us */

/* ---- the console ------------------------------------------------------------------ */

static HANDLE con_in, con_out;
static DWORD saved_in_mode, saved_out_mode;
static UINT saved_out_cp;
static volatile LONG modes_saved;

bool term_con_interactive(void)
{
    DWORD m;
    return GetConsoleMode(GetStdHandle(STD_INPUT_HANDLE), &m) &&
           GetConsoleMode(GetStdHandle(STD_OUTPUT_HANDLE), &m);
}

/* Any thread, more than once: the first call restores. */
static void restore_console(void)
{
    if (!InterlockedExchange(&modes_saved, 0)) return;
    SetConsoleMode(con_in, saved_in_mode);
    SetConsoleMode(con_out, saved_out_mode);
    if (saved_out_cp) SetConsoleOutputCP(saved_out_cp);
}

int term_con_raw(void)
{
    con_in = GetStdHandle(STD_INPUT_HANDLE);
    con_out = GetStdHandle(STD_OUTPUT_HANDLE);
    if (!GetConsoleMode(con_in, &saved_in_mode) || !GetConsoleMode(con_out, &saved_out_mode))
        return -1;
    saved_out_cp = GetConsoleOutputCP();
    InterlockedExchange(&modes_saved, 1);
    atexit(restore_console);
    DWORD in = saved_in_mode &
               ~(DWORD)(ENABLE_LINE_INPUT | ENABLE_ECHO_INPUT | ENABLE_PROCESSED_INPUT |
                        ENABLE_MOUSE_INPUT | ENABLE_WINDOW_INPUT);
    /* Consoles older than Windows 10 refuse VT input: keys are encoded here then. */
    if (!SetConsoleMode(con_in, in | ENABLE_VIRTUAL_TERMINAL_INPUT) &&
        !SetConsoleMode(con_in, in)) {
        restore_console();
        return -1;
    }
    DWORD out = saved_out_mode | ENABLE_PROCESSED_OUTPUT | ENABLE_VIRTUAL_TERMINAL_PROCESSING;
    if (!SetConsoleMode(con_out, out | DISABLE_NEWLINE_AUTO_RETURN) &&
        !SetConsoleMode(con_out, out))
        SetConsoleMode(con_out, saved_out_mode | ENABLE_PROCESSED_OUTPUT); /* escapes shown raw */
    if (saved_out_cp) SetConsoleOutputCP(CP_UTF8);
    return 0;
}

int term_con_end(void)
{
    restore_console();
    if (I.ready) SetEvent(I.done);
    return (int)stop_status;
}

/* ---- posting to the loop ------------------------------------------------------------- */

static void deliver(void *arg) /* on the loop's thread */
{
    chunk *c = arg;
    EnterCriticalSection(&I.lock);
    bool live = !I.stopping;
    LeaveCriticalSection(&I.lock);
    if (live && c->end) {
        if (c->err) term_say(I.t, "cannot read standard input (Windows error %lu)", c->err);
        term_input_end(I.t);
    } else if (live) {
        term_input(I.t, c->d, c->n);
    }
    if (c->from_reader) SetEvent(I.taken);
    if (!c->keep) free(c);
}

/* Any thread. -1 once stopping (c is then freed). */
static int post(chunk *c)
{
    for (;;) {
        EnterCriticalSection(&I.lock);
        int rc = I.stopping ? -1 : aser_loop_post(I.t->loop, deliver, c);
        LeaveCriticalSection(&I.lock);
        if (rc == ASER_ENOBUFS && WaitForSingleObject(I.stop, 10) == WAIT_TIMEOUT) continue;
        if (rc < 0 && !c->keep) free(c);
        return rc < 0 ? -1 : 0;
    }
}

/* The reader's chunk: post it, wait until the loop took it. */
static int hand_over(chunk *c)
{
    c->from_reader = true;
    if (post(c) < 0) return -1;
    HANDLE hs[2] = {I.taken, I.stop};
    return WaitForMultipleObjects(2, hs, FALSE, INFINITE) == WAIT_OBJECT_0 ? 0 : -1;
}

static chunk end_chunk = {.end = true, .keep = true};

static void hand_end(DWORD err)
{
    end_chunk.err = err;
    hand_over(&end_chunk);
}

/* ---- the console's keys ------------------------------------------------------------- */

/* What xterm sends for the keys that come without a character. */
static const char *special_key(WORD vk)
{
    switch (vk) {
    case VK_ESCAPE: return "\033"; /* Wine gives Escape no character */
    case VK_UP: return "\033[A";
    case VK_DOWN: return "\033[B";
    case VK_RIGHT: return "\033[C";
    case VK_LEFT: return "\033[D";
    case VK_HOME: return "\033[H";
    case VK_END: return "\033[F";
    case VK_INSERT: return "\033[2~";
    case VK_DELETE: return "\033[3~";
    case VK_PRIOR: return "\033[5~";
    case VK_NEXT: return "\033[6~";
    case VK_F1: return "\033OP";
    case VK_F2: return "\033OQ";
    case VK_F3: return "\033OR";
    case VK_F4: return "\033OS";
    case VK_F5: return "\033[15~";
    case VK_F6: return "\033[17~";
    case VK_F7: return "\033[18~";
    case VK_F8: return "\033[19~";
    case VK_F9: return "\033[20~";
    case VK_F10: return "\033[21~";
    case VK_F11: return "\033[23~";
    case VK_F12: return "\033[24~";
    default: return NULL;
    }
}

#define KEY_MAX 8 /* bytes one key event gives at most, repeats aside */
#define REPEAT_MAX 32

/* The bytes of one key event into out (room for KEY_MAX * REPEAT_MAX);
 * *hi holds a high surrogate until its low half comes. */
static size_t encode_key(const KEY_EVENT_RECORD *k, uint8_t *out, WCHAR *hi)
{
    WCHAR ch = k->uChar.UnicodeChar;
    char one[KEY_MAX];
    int len = 0;
    /* Alt + numpad digits compose a character, given as Alt is released. */
    if (!k->bKeyDown && !(k->wVirtualKeyCode == VK_MENU && ch)) return 0;
    if (!ch) {
        const char *s = special_key(k->wVirtualKeyCode);
        if (!s) return 0; /* Shift, Ctrl, Alt alone; keys with no meaning here */
        len = (int)strlen(s);
        memcpy(one, s, (size_t)len);
    } else if (ch >= 0xd800 && ch < 0xdc00) {
        *hi = ch;
        return 0;
    } else {
        bool ctrl = k->dwControlKeyState & (LEFT_CTRL_PRESSED | RIGHT_CTRL_PRESSED);
        if (k->wVirtualKeyCode == VK_BACK && ch == 0x08 && !ctrl)
            ch = 0x7f; /* Backspace is DEL, as on Linux terminals */
        WCHAR w[2];
        int wn = 0;
        if (ch >= 0xdc00 && ch < 0xe000) {
            if (!*hi) return 0; /* a low half alone */
            w[wn++] = *hi;
        }
        w[wn++] = ch;
        *hi = 0;
        len = WideCharToMultiByte(CP_UTF8, 0, w, wn, one, sizeof one, NULL, NULL);
        if (len <= 0) return 0;
    }
    size_t n = 0;
    unsigned reps = k->wRepeatCount ? k->wRepeatCount : 1;
    if (reps > REPEAT_MAX) reps = REPEAT_MAX;
    for (unsigned r = 0; r < reps; r++, n += (size_t)len) memcpy(out + n, one, (size_t)len);
    return n;
}

#define RECORDS 64

static DWORD WINAPI read_console(void *arg)
{
    (void)arg;
    HANDLE hs[2] = {I.in, I.stop};
    INPUT_RECORD r[RECORDS];
    WCHAR hi = 0;
    for (;;) {
        if (WaitForMultipleObjects(2, hs, FALSE, INFINITE) != WAIT_OBJECT_0) return 0;
        DWORD n = 0;
        if (!ReadConsoleInputW(I.in, r, RECORDS, &n)) {
            hand_end(GetLastError());
            return 0;
        }
        chunk *c = malloc(sizeof *c + (size_t)RECORDS * KEY_MAX * REPEAT_MAX);
        if (!c) {
            hand_end(ERROR_NOT_ENOUGH_MEMORY);
            return 0;
        }
        memset(c, 0, sizeof *c);
        for (DWORD i = 0; i < n; i++)
            if (r[i].EventType == KEY_EVENT)
                c->n += encode_key(&r[i].Event.KeyEvent, c->d + c->n, &hi);
        if (!c->n)
            free(c);
        else if (hand_over(c) < 0)
            return 0;
    }
}

/* ---- a pipe or a file ------------------------------------------------------------------ */

#define PIPE_CHUNK 4096

static DWORD WINAPI read_pipe(void *arg)
{
    (void)arg;
    DWORD type = GetFileType(I.in);
    for (;;) {
        chunk *c = malloc(sizeof *c + PIPE_CHUNK);
        if (!c) {
            hand_end(ERROR_NOT_ENOUGH_MEMORY);
            return 0;
        }
        memset(c, 0, sizeof *c);
        DWORD n = 0;
        if (!ReadFile(I.in, c->d, PIPE_CHUNK, &n, NULL)) {
            DWORD err = GetLastError();
            free(c);
            if (err == ERROR_OPERATION_ABORTED) return 0; /* term_input_stop */
            hand_end(err == ERROR_BROKEN_PIPE || err == ERROR_HANDLE_EOF ? 0 : err);
            return 0;
        }
        /* A console in line mode (stdout redirected): Ctrl-Z, Enter ends it. */
        if (!n || (type == FILE_TYPE_CHAR && c->d[0] == 0x1a)) {
            free(c);
            hand_end(0);
            return 0;
        }
        c->n = n;
        if (hand_over(c) < 0) return 0;
    }
}

int term_input_start(term *t)
{
    DWORD mode;
    if (!I.ready) {
        cli_error("term",
                  "cannot make the events that hand standard input over (Windows error %lu)",
                  GetLastError());
        return -1;
    }
    I.in = GetStdHandle(STD_INPUT_HANDLE);
    if (I.in == NULL || I.in == INVALID_HANDLE_VALUE) { /* no standard input at all */
        term_input_end(t);
        return 0;
    }
    bool console = t->interactive && GetConsoleMode(I.in, &mode);
    I.thread = CreateThread(NULL, 64 * 1024, console ? read_console : read_pipe, NULL, 0, NULL);
    if (!I.thread) {
        cli_error("term", "cannot start the thread that reads standard input (Windows error %lu)",
                  GetLastError());
        return -1;
    }
    return 0;
}

void term_input_stop(term *t)
{
    (void)t;
    if (!I.ready) return;
    EnterCriticalSection(&I.lock);
    I.stopping = true;
    LeaveCriticalSection(&I.lock);
    SetEvent(I.stop);
    if (!I.thread) return;
    /* A ReadFile on a pipe does not see the stop event: cancel it, again
     * in case the thread was between two reads (Wine 8 cancels none:
     * ERROR_NOT_FOUND, and the thread is left after 250 ms). */
    for (int i = 0; i < 10 && WaitForSingleObject(I.thread, 25) == WAIT_TIMEOUT; i++)
        CancelSynchronousIo(I.thread);
    CloseHandle(I.thread); /* still blocked: it ends with the process */
    I.thread = NULL;
}

/* ---- control events, crashes ------------------------------------------------------------- */

/* The key Ctrl-C, for on_ctrl. */
static union {
    chunk c;
    uint8_t room[sizeof(chunk) + 1];
} ctrl_c;

static BOOL WINAPI on_ctrl(DWORD type)
{
    if (type == CTRL_C_EVENT && I.t && I.t->interactive) {
        post(&ctrl_c.c);
        return TRUE;
    }
    restore_console();
    InterlockedExchange(&stop_status, type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT ? 130 : 129);
    cli_stop = 1;
    /* Closing the console, logoff, shutdown: the process ends when this
     * returns, so let the session finish first (the log, the port). */
    if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT) WaitForSingleObject(I.done, 5000);
    return TRUE;
}

static LONG WINAPI on_crash(EXCEPTION_POINTERS *e)
{
    (void)e;
    restore_console();
    return EXCEPTION_CONTINUE_SEARCH;
}

static void on_abort(int sig) /* abort() raises no exception */
{
    restore_console();
    signal(sig, SIG_DFL);
    raise(sig);
}

void term_con_catch(term *t)
{
    InitializeCriticalSection(&I.lock);
    I.t = t;
    I.stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    I.taken = CreateEventW(NULL, FALSE, FALSE, NULL);
    I.done = CreateEventW(NULL, TRUE, FALSE, NULL);
    I.ready = I.stop && I.taken && I.done;
    ctrl_c.c.keep = true;
    ctrl_c.c.n = 1;
    ctrl_c.c.d[0] = 0x03;
    SetConsoleCtrlHandler(on_ctrl, TRUE);
    SetUnhandledExceptionFilter(on_crash);
    signal(SIGABRT, on_abort);
}

/* ---- standard output, the clock ------------------------------------------------------- */

void term_write(const void *d, size_t n)
{
    HANDLE h = GetStdHandle(STD_OUTPUT_HANDLE);
    const char *s = d;
    while (n) {
        DWORD w = 0, part = n > 65536 ? 65536 : (DWORD)n;
        if (!WriteFile(h, s, part, &w, NULL) || !w) break;
        s += w;
        n -= w;
    }
}

void term_clock(struct tm *tm, unsigned *ms)
{
    SYSTEMTIME st;
    GetLocalTime(&st);
    memset(tm, 0, sizeof *tm);
    tm->tm_year = st.wYear - 1900;
    tm->tm_mon = st.wMonth - 1;
    tm->tm_mday = st.wDay;
    tm->tm_wday = st.wDayOfWeek;
    tm->tm_hour = st.wHour;
    tm->tm_min = st.wMinute;
    tm->tm_sec = st.wSecond;
    tm->tm_isdst = -1;
    *ms = st.wMilliseconds;
}

long long term_now_ms(void)
{
    return (long long)GetTickCount64();
}
