/* comm.c: the Win32 serial port. Naming and opening (\\.\COMn, overlapped,
 * not shared), the DCB, the read timeouts, modem lines, break, purge and
 * the error state. No event loop here: transport/com.c drives the handle
 * with overlapped I/O on the loop's completion port (os/win/iocp.h).
 *
 * Facts this file relies on (Win32 documentation, and measured under
 * Wine 8 with COM ports mapped to pseudo-terminals; test/win/com/):
 *   - SetCommState takes any BaudRate as a number; a driver that cannot
 *     make it fails the call or rounds, which the read-back catches.
 *   - Windows refuses 5 data bits with 2 stop bits and 1.5 stop bits with
 *     6-8 data bits; the first is checked here so the message says why,
 *     the second is already refused by aser_config_validate.
 *   - GetCommModemStatus fails on a device without modem lines (under
 *     Wine: a pseudo-terminal); that is a capability, never a failed open.
 *   - A Linux pseudo-terminal keeps 8 data bits and no parity whatever is
 *     asked, so on a port without modem lines the read-back does not
 *     compare framing (as os/unix/tty.c does for a pty). */
#include "os/win/comm.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- errors ---------------------------------------------------------------------- */

void aser__com_syserr(DWORD e, char *buf, size_t cap)
{
    if (!cap) return;
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e,
                             MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), buf, (DWORD)cap, NULL);
    if (n == 0) {
        snprintf(buf, cap, "Windows error %lu", (unsigned long)e);
        return;
    }
    while (n > 0 &&
           (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '.'))
        buf[--n] = '\0';
}

int aser__com_code(DWORD e)
{
    switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME: return ASER_ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION: return ASER_EBUSY;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY: return ASER_ENOMEM;
    case ERROR_INVALID_PARAMETER: return ASER_EINVAL;
    case ERROR_NOT_SUPPORTED:
    case ERROR_INVALID_FUNCTION: return ASER_ENOTSUP;
    case ERROR_OPERATION_ABORTED: return ASER_ECANCELED;
    case ERROR_IO_PENDING: return ASER_EAGAIN;
    case ERROR_SEM_TIMEOUT:
    case WAIT_TIMEOUT: return ASER_ETIMEDOUT;
    case ERROR_BROKEN_PIPE:
    case ERROR_DEVICE_NOT_CONNECTED:
    case ERROR_DEV_NOT_EXIST:
    case ERROR_DEVICE_REMOVED:
    case ERROR_BAD_COMMAND:
    case ERROR_GEN_FAILURE: return ASER_EDISCONNECTED;
    default: return ASER_EIO;
    }
}

/* Errors of an I/O call on an open port that mean the device went away:
 * a far side closed under Wine (ERROR_BROKEN_PIPE after one 0-byte read),
 * a USB adapter pulled (the driver fails pending and new I/O with one of
 * these: usbser ERROR_GEN_FAILURE / ERROR_BAD_COMMAND, FTDI and CP210x
 * ERROR_ACCESS_DENIED or ERROR_DEVICE_NOT_CONNECTED). ACCESS_DENIED on an
 * open handle cannot be another program (it would not have opened). */
bool aser__com_is_gone(DWORD e)
{
    return aser__com_code(e) == ASER_EDISCONNECTED || e == ERROR_ACCESS_DENIED ||
           e == ERROR_INVALID_HANDLE || e == ERROR_FILE_NOT_FOUND;
}

/* ---- names ------------------------------------------------------------------------ */

static bool is_com_n(const char *s)
{
    if (_strnicmp(s, "COM", 3) != 0 || !s[3]) return false;
    for (const char *c = s + 3; *c; c++)
        if (*c < '0' || *c > '9') return false;
    return s[3] != '0';
}

int aser__com_name(const char *spec, char *dev, size_t devcap, char *name, size_t namecap,
                   aser_err *err)
{
    const char *base = spec;
    bool verbatim = false;
    if (!strncmp(spec, "\\\\.\\", 4) || !strncmp(spec, "//./", 4)) {
        base = spec + 4;
    } else if (!strncmp(spec, "\\\\?\\", 4)) {
        base = spec + 4;
        verbatim = true;
    }
    if (!*base || (!verbatim && strpbrk(base, "\\/:*?\"<>|")))
        return aser__err(err, ASER_EBADURL,
                         "\"%.100s\" is not a COM port name: give one such as COM5 or "
                         "\\\\.\\COM12 (`aserial list` shows the ports present)",
                         spec);
    size_t bl = strlen(base);
    if (bl + 5 > devcap || bl + 1 > namecap)
        return aser__err(err, ASER_EBADURL, "the port name \"%.60s...\" is too long", spec);
    memcpy(name, base, bl + 1);
    if (is_com_n(name))
        for (int i = 0; i < 3; i++) name[i] = (char)(name[i] & ~0x20); /* com5 -> COM5 */
    snprintf(dev, devcap, "%s%s", verbatim ? "\\\\?\\" : "\\\\.\\", verbatim ? base : name);
    return 0;
}

static int open_error(const char *name, DWORD e, aser_err *err)
{
    char sys[160];
    switch (e) {
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
        return aser__err(err, ASER_EBUSY,
                         "%s is in use by another program (Windows opens a COM port for "
                         "one program at a time): close it (a terminal, an IDE's serial "
                         "monitor), then retry",
                         name);
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
        return aser__err(err, ASER_ENOENT,
                         "no such port %s: check the name and that the device is "
                         "plugged in; Device Manager (Ports (COM & LPT)) or `aserial "
                         "list` shows the ports present",
                         name);
    default:
        aser__com_syserr(e, sys, sizeof sys);
        return aser__err(err, aser__com_code(e) == ASER_ENOMEM ? ASER_ENOMEM : ASER_EIO,
                         "cannot open %s: %s (Windows error %lu)", name, sys, (unsigned long)e);
    }
}

/* ---- the DCB --------------------------------------------------------------------- */

int aser__com_check(const char *name, const aser_config *cfg, aser_err *err)
{
    if (cfg->data_bits == 5 && cfg->stop_bits == ASER_STOP_2)
        return aser__err(err, ASER_ENOTSUP,
                         "5 data bits with 2 stop bits cannot be set on Windows (%s): "
                         "Windows makes 5-bit frames with 1 or 1.5 stop bits; use 5N1.5, "
                         "which is what Linux sends for 5N2",
                         name);
    if (cfg->rs485.enabled)
        return aser__err(err, ASER_ENOTSUP,
                         "RS-485 direction control cannot be set through the Windows "
                         "serial API (%s): use an adapter that switches direction itself "
                         "(most USB RS-485 adapters do), or drive RTS with aser_set_lines",
                         name);
    if (cfg->low_latency == ASER_LOWLAT_STRICT)
        return aser__err(err, ASER_ENOTSUP,
                         "low latency cannot be set through the Windows serial API (%s): "
                         "lower the adapter's latency timer in Device Manager (FTDI: "
                         "Port Settings, Advanced), and use lowlatency=try or off",
                         name);
    return 0;
}

void aser__com_dcb_build(DCB *d, const aser_config *cfg, unsigned lines)
{
    d->DCBlength = sizeof *d;
    d->BaudRate = cfg->baud;
    d->fBinary = TRUE; /* Windows supports nothing else */
    d->fParity = cfg->parity != ASER_PARITY_NONE;
    switch (cfg->parity) {
    case ASER_PARITY_NONE: d->Parity = NOPARITY; break;
    case ASER_PARITY_ODD: d->Parity = ODDPARITY; break;
    case ASER_PARITY_EVEN: d->Parity = EVENPARITY; break;
    case ASER_PARITY_MARK: d->Parity = MARKPARITY; break;
    case ASER_PARITY_SPACE: d->Parity = SPACEPARITY; break;
    }
    d->ByteSize = cfg->data_bits;
    d->StopBits = cfg->stop_bits == ASER_STOP_1     ? ONESTOPBIT
                  : cfg->stop_bits == ASER_STOP_1_5 ? ONE5STOPBITS
                                                    : TWOSTOPBITS;
    bool rtscts = cfg->flow & ASER_FLOW_RTSCTS, dtrdsr = cfg->flow & ASER_FLOW_DTRDSR;
    d->fOutxCtsFlow = rtscts;
    d->fRtsControl = rtscts                  ? RTS_CONTROL_HANDSHAKE
                     : lines & ASER_LINE_RTS ? RTS_CONTROL_ENABLE
                                             : RTS_CONTROL_DISABLE;
    d->fOutxDsrFlow = dtrdsr;
    d->fDtrControl = dtrdsr                  ? DTR_CONTROL_HANDSHAKE
                     : lines & ASER_LINE_DTR ? DTR_CONTROL_ENABLE
                                             : DTR_CONTROL_DISABLE;
    d->fDsrSensitivity = FALSE; /* DSR low must not discard input */
    bool xon = cfg->flow & ASER_FLOW_XONXOFF;
    d->fOutX = xon;
    d->fInX = xon;
    /* Like IXOFF on Linux: having sent XOFF does not stop our own output. */
    d->fTXContinueOnXoff = TRUE;
    d->XonChar = 0x11;
    d->XoffChar = 0x13;
    d->XonLim = 2048; /* within the 16 KiB queue SetupComm asks for */
    d->XoffLim = 512;
    d->fErrorChar = FALSE; /* bytes with parity errors are delivered as they came */
    d->ErrorChar = 0;
    d->fNull = FALSE;         /* NUL bytes are data */
    d->fAbortOnError = FALSE; /* an error must not stall I/O until ClearCommError */
    d->EofChar = 0;
    d->EvtChar = 0;
}

/* The levels the outputs have under d: handshake-driven lines count as on
 * (the driver raises them while it can take input). */
static unsigned dcb_lines(const DCB *d)
{
    unsigned l = 0;
    if (d->fDtrControl != DTR_CONTROL_DISABLE) l |= ASER_LINE_DTR;
    if (d->fRtsControl != RTS_CONTROL_DISABLE) l |= ASER_LINE_RTS;
    return l;
}

/* What the driver kept differs from what was asked: the first field. */
static const char *dcb_mismatch(const DCB *want, const DCB *got, bool framing)
{
    uint64_t w = want->BaudRate, g = got->BaudRate;
    if (g * 100 < w * 98 || g * 100 > w * 102) return "baud rate";
    if (framing && want->ByteSize != got->ByteSize) return "data bits";
    if (framing && (want->Parity != got->Parity || want->fParity != got->fParity)) return "parity";
    if (want->StopBits != got->StopBits) return "stop bits";
    if (want->fOutxCtsFlow != got->fOutxCtsFlow ||
        (want->fRtsControl == RTS_CONTROL_HANDSHAKE) != (got->fRtsControl == RTS_CONTROL_HANDSHAKE))
        return "RTS/CTS flow control";
    if (want->fOutxDsrFlow != got->fOutxDsrFlow ||
        (want->fDtrControl == DTR_CONTROL_HANDSHAKE) != (got->fDtrControl == DTR_CONTROL_HANDSHAKE))
        return "DTR/DSR flow control";
    if (want->fOutX != got->fOutX || want->fInX != got->fInX) return "XON/XOFF flow control";
    return NULL;
}

/* The read timeouts. Reads are overlapped and must behave like readiness:
 * wait as long as it takes for the first byte, then hand over what came
 * as soon as the line pauses. The documented setting for that is
 * ReadIntervalTimeout = N ms with both totals 0 ("total time-outs are not
 * used"; the interval timer starts with the first byte), and Wine 8
 * implements it: an overlapped read completes 2-6 ms after a burst ends.
 * The other documented "return what is there" setting, MAXDWORD /
 * MAXDWORD / constant, is not implemented by Wine 8 (the read waits for
 * the whole constant), and MAXDWORD / 0 / 0 returns at once with nothing,
 * which would need a second wait (EV_RXCHAR) per read.
 * N is two character times at the configured rate, at least 2 ms (the
 * interval's resolution on Windows is the system tick anyway) and at most
 * 100 ms: a slow line is not cut into one completion per byte, a fast
 * one costs at most a few ms of latency. Writes have no timeout: the
 * port's own deadlines and CancelIoEx bound them. */
DWORD aser__com_interval_ms(const aser_config *cfg)
{
    unsigned bits = 1u + cfg->data_bits + (cfg->parity != ASER_PARITY_NONE) +
                    (cfg->stop_bits == ASER_STOP_1 ? 1u : 2u);
    uint64_t ms = ((uint64_t)2 * bits * 1000u + cfg->baud - 1) / cfg->baud;
    return (DWORD)(ms < 2 ? 2 : ms > 100 ? 100 : ms);
}

static int set_timeouts(HANDLE h, const char *name, const aser_config *cfg, aser_err *err)
{
    COMMTIMEOUTS t = {0};
    t.ReadIntervalTimeout = aser__com_interval_ms(cfg);
    if (SetCommTimeouts(h, &t)) return 0;
    char sys[160];
    DWORD e = GetLastError();
    aser__com_syserr(e, sys, sizeof sys);
    return aser__err(err, ASER_EIO, "cannot set the read timeouts of %s: %s", name, sys);
}

int aser__com_apply(HANDLE h, const char *name, const aser_config *cfg, unsigned *lines,
                    const aser_caps *caps, aser_err *err)
{
    int rc = aser_config_validate(cfg, err);
    if (rc < 0 || (rc = aser__com_check(name, cfg, err)) < 0) return rc;
    DCB saved = {.DCBlength = sizeof(DCB)}, want, got = {.DCBlength = sizeof(DCB)};
    char sys[160];
    if (!GetCommState(h, &saved)) {
        DWORD e = GetLastError();
        aser__com_syserr(e, sys, sizeof sys);
        return aser__err(err, ASER_ENOTTY,
                         "%s does not answer as a serial port (GetCommState: %s): give a "
                         "COM port such as COM5",
                         name, sys);
    }
    want = saved;
    aser__com_dcb_build(&want, cfg, *lines);
    if (!SetCommState(h, &want)) {
        DWORD e = GetLastError();
        aser__com_syserr(e, sys, sizeof sys);
        SetCommState(h, &saved);
        return aser__err(err, e == ERROR_INVALID_PARAMETER ? ASER_ENOTSUP : ASER_EIO,
                         "the driver of %s refused the settings %u,%u%c%s (%s): choose "
                         "another rate or framing",
                         name, (unsigned)cfg->baud, cfg->data_bits, "NOEMS"[cfg->parity],
                         cfg -> stop_bits == ASER_STOP_1          ? "1"
                                : cfg->stop_bits == ASER_STOP_1_5 ? "1.5"
                                                                  : "2",
                         sys);
    }
    bool framing = !caps || caps->state[ASER_FEAT_MODEM_LINES] != ASER_CAP_UNSUPPORTED;
    const char *bad = GetCommState(h, &got) ? dcb_mismatch(&want, &got, framing)
                                            : "settings read-back";
    if (bad) {
        SetCommState(h, &saved);
        return aser__err(err, ASER_ENOTSUP,
                         "the driver of %s did not accept the %s asked for: choose "
                         "another setting",
                         name, bad);
    }
    if ((rc = set_timeouts(h, name, cfg, err)) < 0) {
        SetCommState(h, &saved);
        return rc;
    }
    *lines = dcb_lines(&want);
    return 0;
}

/* ---- capabilities ------------------------------------------------------------------ */

static void cap_set(aser_caps *c, aser_feature f, aser_cap s, const char *why)
{
    c->state[f] = s;
    c->reason[f] = why;
}

static void probe_caps(HANDLE h, aser_caps *c)
{
    memset(c, 0, sizeof *c);
    cap_set(c, ASER_FEAT_RS485, ASER_CAP_UNSUPPORTED,
            "Windows: the serial API has no RS-485 direction control");
    cap_set(c, ASER_FEAT_LOW_LATENCY, ASER_CAP_UNSUPPORTED,
            "Windows: set the adapter's latency timer in Device Manager");
    DWORD ms;
    if (!GetCommModemStatus(h, &ms)) {
        /* Under Wine a COM port mapped to a pseudo-terminal: no modem lines,
         * no UART behind it. Real drivers always answer. */
        const char *why = "no modem lines (GetCommModemStatus fails: a pseudo-terminal "
                          "under Wine, or a virtual port)";
        cap_set(c, ASER_FEAT_MODEM_LINES, ASER_CAP_UNSUPPORTED, why);
        cap_set(c, ASER_FEAT_FLOW_RTSCTS, ASER_CAP_UNSUPPORTED, why);
        cap_set(c, ASER_FEAT_BREAK, ASER_CAP_UNSUPPORTED,
                "no modem lines, so no UART: no line to break (a pseudo-terminal under Wine)");
        cap_set(c, ASER_FEAT_LINE_ERRORS, ASER_CAP_UNSUPPORTED,
                "no modem lines, so no UART: no line errors (a pseudo-terminal under Wine)");
        why = "no modem lines, so probably not a UART (a pseudo-terminal under Wine): the "
              "baud rate and framing may have no effect";
        cap_set(c, ASER_FEAT_BAUD, ASER_CAP_UNKNOWN, why);
        cap_set(c, ASER_FEAT_CUSTOM_BAUD, ASER_CAP_UNKNOWN, why);
        return;
    }
    const char *unknown = "not known until tried on this device";
    cap_set(c, ASER_FEAT_MODEM_LINES, ASER_CAP_SUPPORTED, NULL);
    cap_set(c, ASER_FEAT_BAUD, ASER_CAP_SUPPORTED, NULL);
    cap_set(c, ASER_FEAT_BREAK, ASER_CAP_UNKNOWN, unknown);
    cap_set(c, ASER_FEAT_LINE_ERRORS, ASER_CAP_SUPPORTED, NULL); /* WaitCommEvent EV_ERR */
    COMMPROP cp = {0};
    bool props = GetCommProperties(h, &cp);
    if (props && (cp.dwProvCapabilities & PCF_RTSCTS))
        cap_set(c, ASER_FEAT_FLOW_RTSCTS, ASER_CAP_SUPPORTED, NULL);
    else
        cap_set(c, ASER_FEAT_FLOW_RTSCTS, ASER_CAP_UNKNOWN, unknown);
    if (props && (cp.dwSettableBaud & BAUD_USER))
        cap_set(c, ASER_FEAT_CUSTOM_BAUD, ASER_CAP_SUPPORTED, NULL);
    else
        cap_set(c, ASER_FEAT_CUSTOM_BAUD, ASER_CAP_UNKNOWN,
                "the driver does not list arbitrary rates (BAUD_USER): it may round or "
                "refuse them");
}

/* ---- open -------------------------------------------------------------------------- */

/* The output levels to start with: as cfg says, else as the driver has them. */
static unsigned start_lines(HANDLE h, const aser_config *cfg)
{
    DCB d = {.DCBlength = sizeof(DCB)};
    unsigned l = GetCommState(h, &d) ? dcb_lines(&d) : ASER_LINE_DTR | ASER_LINE_RTS;
    if (cfg->dtr == ASER_LEVEL_ON) l |= ASER_LINE_DTR;
    if (cfg->dtr == ASER_LEVEL_OFF) l &= ~(unsigned)ASER_LINE_DTR;
    if (cfg->rts == ASER_LEVEL_ON) l |= ASER_LINE_RTS;
    if (cfg->rts == ASER_LEVEL_OFF) l &= ~(unsigned)ASER_LINE_RTS;
    return l;
}

/* Wine 8 does not refuse a second CreateFile of a COM port (measured: a
 * second open, from the same process or another, succeeds), while real
 * Windows drivers do. So an exclusive opener also creates a named mutex
 * per port in the session's namespace: a second aserial opener finds it
 * and gets the same ASER_EBUSY as a driver's refusal. The name is the
 * port's canonical name, so COM5, com5 and \\.\COM5 meet. */
static int take_lock(const char *name, HANDLE *lock, aser_err *err)
{
    char lname[ASER_COM_NAME_MAX + 32];
    snprintf(lname, sizeof lname, "Local\\aserial-port-%s", name);
    for (char *c = lname + 6; *c; c++) /* after "Local\\": no more backslashes */
        *c = *c == '\\' ? '_' : (char)toupper((unsigned char)*c);
    *lock = CreateMutexA(NULL, FALSE, lname);
    if (!*lock) return 0; /* no named objects: the driver's own refusal still holds */
    if (GetLastError() == ERROR_ALREADY_EXISTS) {
        CloseHandle(*lock);
        *lock = NULL;
        return open_error(name, ERROR_SHARING_VIOLATION, err);
    }
    return 0;
}

int aser__com_open(const char *spec, const aser_config *cfg, HANDLE *h_out, HANDLE *lock_out,
                   unsigned *lines_out, aser_caps *caps, aser_err *err)
{
    char dev[ASER_COM_NAME_MAX + 8], name[ASER_COM_NAME_MAX];
    HANDLE lock = NULL;
    int rc = aser_config_validate(cfg, err);
    if (rc < 0) return rc;
    if ((rc = aser__com_name(spec, dev, sizeof dev, name, sizeof name, err)) < 0) return rc;
    if ((rc = aser__com_check(name, cfg, err)) < 0) return rc;
    if (cfg->exclusive && (rc = take_lock(name, &lock, err)) < 0) return rc;
    /* No sharing: Windows drivers open a COM port for one handle at a
     * time whatever is asked; exclusive=off only skips the lock above. */
    HANDLE h = CreateFileA(dev, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                           FILE_FLAG_OVERLAPPED, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        rc = open_error(name, GetLastError(), err);
        goto fail;
    }
    SetupComm(h, 16384, 16384); /* a request; drivers may keep their own sizes */
    probe_caps(h, caps);
    unsigned lines = start_lines(h, cfg);
    rc = aser__com_apply(h, name, cfg, &lines, caps, err);
    if (rc < 0) goto fail;
    /* Bytes the driver already holds are kept, as on a POSIX tty: a device
     * that speaks as soon as DTR rises must not lose its first words. */
    *h_out = h;
    *lock_out = lock;
    *lines_out = lines;
    return 0;
fail:
    if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
    if (lock) CloseHandle(lock);
    return rc;
}

void aser__com_close(HANDLE h, HANDLE lock)
{
    if (h && h != INVALID_HANDLE_VALUE) CloseHandle(h);
    if (lock) CloseHandle(lock);
}

/* ---- lines, break, queues ------------------------------------------------------------ */

int aser__com_modem_get(HANDLE h, unsigned outputs)
{
    DWORD ms;
    if (!GetCommModemStatus(h, &ms)) {
        DWORD e = GetLastError();
        return aser__com_is_gone(e) ? ASER_EDISCONNECTED : ASER_ENOTSUP;
    }
    unsigned v = outputs & (ASER_LINE_DTR | ASER_LINE_RTS);
    if (ms & MS_CTS_ON) v |= ASER_LINE_CTS;
    if (ms & MS_DSR_ON) v |= ASER_LINE_DSR;
    if (ms & MS_RLSD_ON) v |= ASER_LINE_CD;
    if (ms & MS_RING_ON) v |= ASER_LINE_RI;
    return (int)v;
}

int aser__com_modem_set(HANDLE h, const char *name, const aser_config *cfg, unsigned *lines,
                        unsigned mask, unsigned values, aser_err *err)
{
    if (mask & ~(unsigned)(ASER_LINE_DTR | ASER_LINE_RTS)) return ASER_EINVAL;
    if ((mask & ASER_LINE_RTS) && (cfg->flow & ASER_FLOW_RTSCTS))
        return aser__err(err, ASER_EBUSY,
                         "RTS of %s is driven by RTS/CTS flow control: turn rtscts off to "
                         "set it yourself",
                         name);
    if ((mask & ASER_LINE_DTR) && (cfg->flow & ASER_FLOW_DTRDSR))
        return aser__err(err, ASER_EBUSY,
                         "DTR of %s is driven by DTR/DSR flow control: turn dtrdsr off to "
                         "set it yourself",
                         name);
    static const struct {
        unsigned line;
        DWORD on, off;
    } fn[] = {{ASER_LINE_DTR, SETDTR, CLRDTR}, {ASER_LINE_RTS, SETRTS, CLRRTS}};
    for (size_t i = 0; i < ASER_ARRAY_LEN(fn); i++) {
        if (!(mask & fn[i].line)) continue;
        bool on = values & fn[i].line;
        if (!EscapeCommFunction(h, on ? fn[i].on : fn[i].off)) {
            DWORD e = GetLastError();
            char sys[160];
            aser__com_syserr(e, sys, sizeof sys);
            int code = aser__com_is_gone(e) ? ASER_EDISCONNECTED : ASER_ENOTSUP;
            return aser__err(err, code, "cannot set %s of %s: %s",
                             fn[i].line == ASER_LINE_DTR ? "DTR" : "RTS", name, sys);
        }
        *lines = on ? *lines | fn[i].line : *lines & ~fn[i].line;
    }
    return 0;
}

int aser__com_break_ctl(HANDLE h, bool on)
{
    if (on ? SetCommBreak(h) : ClearCommBreak(h)) return 0;
    DWORD e = GetLastError();
    return aser__com_is_gone(e) ? ASER_EDISCONNECTED : ASER_ENOTSUP;
}

int aser__com_flush(HANDLE h, int which)
{
    DWORD f = 0;
    if (which & ASER_DISCARD_INPUT) f |= PURGE_RXCLEAR;
    if (which & ASER_DISCARD_OUTPUT) f |= PURGE_TXABORT | PURGE_TXCLEAR;
    return PurgeComm(h, f) ? 0 : aser__com_code(GetLastError());
}

unsigned aser__com_errors(DWORD ce)
{
    unsigned e = 0;
    if (ce & (CE_OVERRUN | CE_RXOVER)) e |= ASER_LINEERR_OVERRUN;
    if (ce & CE_RXPARITY) e |= ASER_LINEERR_PARITY;
    if (ce & CE_FRAME) e |= ASER_LINEERR_FRAMING;
    if (ce & CE_BREAK) e |= ASER_LINEERR_BREAK;
    return e;
}

int aser__com_status(HANDLE h, DWORD *inq, DWORD *outq, unsigned *errors)
{
    DWORD ce = 0;
    COMSTAT st = {0};
    if (!ClearCommError(h, &ce, &st)) {
        DWORD e = GetLastError();
        return aser__com_is_gone(e) ? ASER_EDISCONNECTED : aser__com_code(e);
    }
    if (inq) *inq = st.cbInQue;
    if (outq) *outq = st.cbOutQue;
    if (errors) *errors = aser__com_errors(ce);
    return 0;
}
