/* iocp.h: what the Windows built-in loop (an I/O completion port) offers
 * code that does overlapped I/O itself: the COM-port transport today.
 *
 * The contract between the loop (src/loop/, Windows backend) and its users:
 *   - A handle opened with FILE_FLAG_OVERLAPPED is attached once to the
 *     loop's completion port (aser__iocp_attach); every overlapped
 *     operation started on it then passes an aser_ovl's OVERLAPPED.
 *   - When the operation completes, fails or is cancelled (CancelIoEx), the
 *     loop calls o->done exactly once, on the loop thread, with the bytes
 *     moved and 0 or the Win32 error (ERROR_OPERATION_ABORTED after a
 *     cancel). Nothing else touches the aser_ovl.
 *   - The aser_ovl (and any buffer the operation uses) must stay allocated
 *     until its done has run, even after the handle is closed: the owner
 *     frees its state from done once nothing of it is pending. While any
 *     operation is pending the owner holds a loop reference
 *     (aser__loop_ref), so aser_loop_run() does not return under it.
 *   - Packets that are not aser_ovl completions (socket readiness, the
 *     wake-up of aser_loop_post) use other completion keys; the loop tells
 *     them apart by key, never by guessing at the OVERLAPPED.
 *   - Descriptors: on Windows an `int fd` (aser_conn.fd, the loop's io
 *     watches) holds a SOCKET or a HANDLE cast through intptr_t (Windows
 *     keeps handle values within 32 bits for 32/64-bit interoperability).
 *     The loop's io watch reports readiness for sockets only; a watch on a
 *     non-socket handle is accepted and never fires: its owner reports
 *     readiness itself (aser__port_io) from its done callbacks.
 *
 * Only the built-in loop has a completion port: with a hook table (libuv,
 * libevent adapters) aser__iocp_attach returns ASER_ENOTSUP with a message
 * saying COM ports need the built-in loop on Windows. */
#ifndef ASER_OS_WIN_IOCP_H
#define ASER_OS_WIN_IOCP_H

#include "internal.h"

#include <winsock2.h> /* before windows.h, so a file may include both in any order */
#include <windows.h>

/* The completion key of aser_ovl packets. */
#define ASER_IOCP_KEY_OVL ((ULONG_PTR)0x4f564cu) /* "OVL" */

typedef struct aser_ovl aser_ovl;

/* bytes: transferred; error: 0 or a Win32 error code. */
typedef void (*aser_ovl_fn)(aser_ovl *o, DWORD bytes, DWORD error);

struct aser_ovl {
    OVERLAPPED ov; /* first: the loop turns the OVERLAPPED * back into this */
    aser_ovl_fn done;
    void *arg;
};

/* Attach h to loop's completion port (key ASER_IOCP_KEY_OVL). 0, or
 * ASER_ENOTSUP (not the built-in loop) / ASER_EIO with err filled in. */
int aser__iocp_attach(aser_loop *loop, HANDLE h, aser_err *err);

#endif
