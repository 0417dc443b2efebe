/* comm.h: the Win32 serial port (a COM port), with no event loop inside.
 *
 * Everything here is a plain call on a HANDLE opened by aser__com_open
 * (FILE_FLAG_OVERLAPPED, no sharing). The overlapped reads, writes and
 * WaitCommEvent that drive a port from the loop's completion port live in
 * transport/com.c; this layer names, opens, configures and queries. Every
 * function returns 0 / a count or a negative ASER_E* code; those that fail
 * for reasons a person must act on fill an aser_err naming the port and
 * the fix.
 *
 * Settings go through the DCB in one SetCommState, read back with
 * GetCommState; on a mismatch or failure the previous DCB is restored. */
#ifndef ASER_OS_WIN_COMM_H
#define ASER_OS_WIN_COMM_H

#include "internal.h"
#include "os/caps.h"

#include <winsock2.h> /* before windows.h (as os/win/iocp.h), so both may be included in any order */
#include <windows.h>

/* "COM5", "com5", "\\.\COM5" -> dev "\\.\COM5" (always the device
 * namespace, so COM10 and above open) and name "COM5" (COMn upper-cased;
 * other names, a virtual driver's "CNCA0", kept as given). "\\?\..." is
 * taken as it is. A path ("C:\x", "/dev/ttyS0") is ASER_EBADURL with
 * an example of a COM name. */
#define ASER_COM_NAME_MAX 256
int aser__com_name(const char *spec, char *dev, size_t devcap, char *name, size_t namecap,
                   aser_err *err);

/* Open spec overlapped and exclusive, probe the capabilities, apply cfg
 * (aser__com_apply) with the DTR/RTS start levels of cfg, and set the read
 * timeouts. *h_out is the handle; *lock_out the per-port lock taken when
 * cfg->exclusive (a named mutex: Wine does not refuse a second open), or
 * NULL; release both with aser__com_close. *lines_out the output levels in effect
 * (ASER_LINE_DTR / ASER_LINE_RTS bits, what modem_get reports for the
 * outputs, since Windows cannot read them back on every driver). Errors:
 * ASER_EBUSY (another program has it), ASER_ENOENT (no such port: names
 * Device Manager and `aserial list`), ASER_EACCES, ASER_EIO with the
 * system's text. */
int aser__com_open(const char *spec, const aser_config *cfg, HANDLE *h_out, HANDLE *lock_out,
                   unsigned *lines_out, aser_caps *caps, aser_err *err);
void aser__com_close(HANDLE h, HANDLE lock);

/* The settings Windows refuses, checked before SetCommState so the message
 * says why: 2 stop bits with 5 data bits (1.5 with 5 is what Windows has),
 * RS-485, strict low latency. cfg is assumed valid (aser_config_validate). */
int aser__com_check(const char *name, const aser_config *cfg, aser_err *err);

/* Fill d from cfg (from a DCB read from the port, so unknown fields stay);
 * lines: the DTR/RTS levels to hold where no handshake drives them. */
void aser__com_dcb_build(DCB *d, const aser_config *cfg, unsigned lines);

/* Apply cfg atomically: check, build, SetCommState, GetCommState, compare;
 * on any failure the previous DCB is put back. *lines (in: the levels to
 * keep; out: the levels now) is updated for the handshake modes. Then the
 * read timeouts for cfg's rate (aser__com_interval_ms). caps may be NULL. */
int aser__com_apply(HANDLE h, const char *name, const aser_config *cfg, unsigned *lines,
                    const aser_caps *caps, aser_err *err);

/* The ReadIntervalTimeout used for cfg (see comm.c: why this setting). */
DWORD aser__com_interval_ms(const aser_config *cfg);

/* Modem lines: inputs from GetCommModemStatus (CTS, DSR, RI, CD) with the
 * outputs given (lines as last set). ASER_ENOTSUP where the device has no
 * modem lines (a pseudo-terminal under Wine). */
int aser__com_modem_get(HANDLE h, unsigned outputs);
/* Set DTR / RTS (EscapeCommFunction). A line driven by a handshake mode of
 * cfg (RTS with rtscts, DTR with dtrdsr) is ASER_EBUSY with err saying
 * so. *lines is updated. */
int aser__com_modem_set(HANDLE h, const char *name, const aser_config *cfg, unsigned *lines,
                        unsigned mask, unsigned values, aser_err *err);
/* SetCommBreak / ClearCommBreak; never waits: the caller times it. */
int aser__com_break_ctl(HANDLE h, bool on);
/* PurgeComm: ASER_DISCARD_* (input: RXCLEAR; output: TXABORT | TXCLEAR,
 * so a WriteFile in flight completes with ERROR_OPERATION_ABORTED). */
int aser__com_flush(HANDLE h, int which);
/* ClearCommError: bytes waiting in the driver (either may be NULL) and the
 * ASER_LINEERR_* bits of the errors it reports (also clearing them). */
int aser__com_status(HANDLE h, DWORD *inq, DWORD *outq, unsigned *errors);
/* CE_* bits to ASER_LINEERR_* bits. */
unsigned aser__com_errors(DWORD ce);

/* Win32 errors. code: the ASER_E* code for e; text: the system's message
 * for e (FormatMessage, trailing newline and period removed). */
int aser__com_code(DWORD e);
void aser__com_syserr(DWORD e, char *buf, size_t cap);
/* An I/O error on an open port that means the device is gone (a USB
 * adapter pulled, Wine's far side closed): true for those. */
bool aser__com_is_gone(DWORD e);

#endif
