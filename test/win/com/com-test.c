/* com-test.c: the Windows half of the COM-port tests, run under Wine by
 * driver.py, which holds the Linux end of the pseudo-terminal each
 * WINEPREFIX/dosdevices/comN points at.
 *
 * One subcommand per scenario; each prints "key=value" lines (and
 * "step NAME" lines, after which it waits for a line on stdin, so the
 * driver can act on the Linux side at the right moment). The driver
 * turns them into TAP. Overlapped I/O completes on a completion port of
 * this program's own, as it will on the library's IOCP loop.
 *
 *   names                 aser__com_name / check / DCB / interval (no port)
 *   settings PORT         57600 7E1, then 9600 8N1 (driver reads termios)
 *   io PORT               write and read through the completion port
 *   emptyread PORT        empty read completions while a big write drains
 *   missing PORT          open of a port that does not exist
 *   twice PORT            a second open while the first is held
 *   hangup PORT           the far side closes while a read is pending
 *   caps PORT             capabilities and GetCommModemStatus
 *   waitcomm PORT         what WaitCommEvent does on this port
 *   list                  the discovery listing (aser_list_ports)
 *   usbid                 USB ids from instance ids, the find glob, names */
#include "discover/win/win.h"
#include "os/win/comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static HANDLE iocp;
static HANDLE g_lock; /* the lock of the last open_port */

static void say(const char *fmt, ...)
    __attribute__((format(gnu_printf, 1, 2))) /* __USE_MINGW_ANSI_STDIO */;
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* Tell the driver where we are and wait for it to have acted. */
static void step(const char *name)
{
    char line[64];
    say("step %s", name);
    if (!fgets(line, sizeof line, stdin)) exit(3);
}

static double now_ms(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart * 1000.0 / (double)f.QuadPart;
}

static HANDLE open_port(const char *name, const char *cfgs, unsigned *lines, aser_caps *caps)
{
    aser_config cfg = ASER_CONFIG_DEFAULT;
    aser_err err = {0};
    HANDLE h, lock;
    if (cfgs && aser_config_parse(&cfg, cfgs, &err) < 0) {
        say("open=config %s", err.msg);
        exit(2);
    }
    int rc = aser__com_open(name, &cfg, &h, &lock, lines, caps, &err);
    if (rc < 0) {
        say("open=%s", aser_err_name(rc));
        say("msg=%s", err.msg);
        exit(2);
    }
    say("open=ok");
    g_lock = lock;
    if (!iocp) iocp = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (!CreateIoCompletionPort(h, iocp, 0x4f564c, 0)) say("attach=%lu", GetLastError());
    return h;
}

/* One completion from the port: 1 with it, 0 on timeout. */
static int wait_one(DWORD ms, OVERLAPPED **ov, DWORD *bytes, DWORD *error)
{
    ULONG_PTR key;
    *error = 0;
    if (GetQueuedCompletionStatus(iocp, bytes, &key, ov, ms)) return 1;
    if (!*ov) return 0; /* timeout */
    *error = GetLastError();
    return 1;
}

static bool post_read(HANDLE h, OVERLAPPED *ov, void *buf, DWORD n, DWORD *err)
{
    memset(ov, 0, sizeof *ov);
    *err = 0;
    if (ReadFile(h, buf, n, NULL, ov)) return true;
    *err = GetLastError();
    return *err == ERROR_IO_PENDING;
}

/* ---- scenarios -------------------------------------------------------------- */

static int t_names(void)
{
    static const char *const in[] = {"COM5",     "com5",  "\\\\.\\COM12", "//./com3", "CNCA0",
                                     "\\\\?\\X", "C:\\x", "/dev/ttyS0",   "",         "\\\\.\\"};
    char dev[300], name[256];
    for (size_t i = 0; i < ASER_ARRAY_LEN(in); i++) {
        aser_err err = {0};
        int rc = aser__com_name(in[i], dev, sizeof dev, name, sizeof name, &err);
        if (rc == 0)
            say("name[%s]=%s %s", in[i], dev, name);
        else
            say("name[%s]=%s", in[i], aser_err_name(rc));
    }
    aser_config c = ASER_CONFIG_DEFAULT;
    aser_err err = {0};
    aser_config_parse(&c, "9600,5N2", &err);
    int rc = aser__com_check("COM5", &c, &err);
    say("check[5N2]=%s", aser_err_name(rc));
    say("check[5N2].msg=%s", err.msg);
    aser_config_parse(&c, "9600,5N1.5", &err);
    say("check[5N1.5]=%s", aser_err_name(aser__com_check("COM5", &c, &err)));
    aser_config_parse(&c, "9600,8N1,rs485=on", &err);
    say("check[rs485]=%s", aser_err_name(aser__com_check("COM5", &c, &err)));
    c = (aser_config)ASER_CONFIG_DEFAULT;
    aser_config_parse(&c, "1234567,5M1.5,rtscts,xonxoff", &err);
    DCB d = {0};
    aser__com_dcb_build(&d, &c, ASER_LINE_DTR);
    say("dcb=%lu %u %u %u cts=%u rts=%u dtr=%u x=%u%u bin=%u abort=%u err=%u", d.BaudRate,
        d.ByteSize, d.Parity, d.StopBits, d.fOutxCtsFlow, d.fRtsControl, d.fDtrControl, d.fOutX,
        d.fInX, d.fBinary, d.fAbortOnError, d.fErrorChar);
    c = (aser_config)ASER_CONFIG_DEFAULT;
    aser_config_parse(&c, "9600,8N1,dtrdsr", &err);
    aser__com_dcb_build(&d, &c, ASER_LINE_RTS);
    say("dcb.dtrdsr=dsr=%u dtr=%u rts=%u", d.fOutxDsrFlow, d.fDtrControl, d.fRtsControl);
    static const char *const rates[] = {"115200,8N1", "9600,8N1", "1200,7E1", "50,8N2"};
    for (size_t i = 0; i < ASER_ARRAY_LEN(rates); i++) {
        c = (aser_config)ASER_CONFIG_DEFAULT;
        aser_config_parse(&c, rates[i], &err);
        say("interval[%s]=%lu", rates[i], aser__com_interval_ms(&c));
    }
    say("errors=%u", aser__com_errors(CE_FRAME | CE_RXPARITY | CE_OVERRUN | CE_RXOVER | CE_BREAK));
    return 0;
}

static void show_dcb(HANDLE h)
{
    DCB d = {.DCBlength = sizeof d};
    if (!GetCommState(h, &d)) {
        say("dcb=error %lu", GetLastError());
        return;
    }
    say("dcb=%lu,%u,%u,%u", d.BaudRate, d.ByteSize, d.Parity, d.StopBits);
}

static int t_settings(const char *port)
{
    aser_caps caps;
    unsigned lines;
    HANDLE h = open_port(port, "57600,7E1", &lines, &caps);
    show_dcb(h);
    step("57600-7E1");
    aser_config c = ASER_CONFIG_DEFAULT;
    aser_err err = {0};
    aser_config_parse(&c, "9600,8N1,xonxoff", &err);
    int rc = aser__com_apply(h, "COM", &c, &lines, &caps, &err);
    say("apply=%s %s", aser_err_name(rc), err.msg);
    show_dcb(h);
    step("9600-8N1-xonxoff");
    aser_config_parse(&c, "9600,5N2", &err);
    rc = aser__com_apply(h, "COM", &c, &lines, &caps, &err);
    say("apply5N2=%s", aser_err_name(rc));
    show_dcb(h);
    aser_config_parse(&c, "230400,8O2,none", &err);
    rc = aser__com_apply(h, "COM", &c, &lines, &caps, &err);
    say("apply230400=%s %s", aser_err_name(rc), err.msg);
    show_dcb(h);
    step("230400-8O2");
    CloseHandle(h);
    return 0;
}

static int t_io(const char *port)
{
    aser_caps caps;
    unsigned lines;
    HANDLE h = open_port(port, "115200,8N1", &lines, &caps);
    static char rbuf[4096];
    OVERLAPPED rov, wov = {0}, *ov;
    DWORD e, bytes, error;
    if (!post_read(h, &rov, rbuf, sizeof rbuf, &e)) say("read=error %lu", e);
    const char msg[] = "hello from windows\n";
    BOOL w = WriteFile(h, msg, sizeof msg - 1, NULL, &wov);
    say("write.call=%s %lu", w ? "done" : "pending-or-error", w ? 0 : GetLastError());
    /* the write's completion (and not the read's: nothing was sent yet) */
    int got = wait_one(2000, &ov, &bytes, &error);
    say("write.completion=%d %s bytes=%lu error=%lu", got, ov == &wov ? "write" : "other", bytes,
        error);
    step("wrote");
    step("linux-wrote"); /* the driver wrote 16 bytes; measure from here */
    double t0 = now_ms();
    got = wait_one(3000, &ov, &bytes, &error);
    double t1 = now_ms();
    say("read.completion=%d %s bytes=%lu error=%lu after_ms=%.1f", got,
        ov == &rov ? "read" : "other", bytes, error, t1 - t0);
    if (got && ov == &rov) say("read.data=%.*s", (int)strcspn(rbuf, "\n"), rbuf);
    /* a second read stays pending until bytes come */
    if (!post_read(h, &rov, rbuf, sizeof rbuf, &e)) say("read2=error %lu", e);
    got = wait_one(300, &ov, &bytes, &error);
    say("read2.idle=%d", got);
    /* the cancelled read completes once, with ERROR_OPERATION_ABORTED */
    CancelIoEx(h, &rov);
    got = wait_one(2000, &ov, &bytes, &error);
    say("read2.cancel=%d error=%lu", got, error);
    got = wait_one(200, &ov, &bytes, &error);
    say("after.cancel=%d", got);
    DWORD inq = 0, outq = 0;
    unsigned errs = 0;
    say("status=%s in=%lu out=%lu errors=%u",
        aser_err_name(aser__com_status(h, &inq, &outq, &errs)), inq, outq, errs);
    say("flush=%s", aser_err_name(aser__com_flush(h, ASER_DISCARD_BOTH)));
    CloseHandle(h);
    return 0;
}

/* Wine: does a pending read complete empty while a big write waits for
 * the pty to drain? (It does; transport/com.c's read_done copes.) */
static int t_emptyread(const char *port)
{
    aser_caps caps;
    unsigned lines;
    HANDLE h = open_port(port, "115200,8N1", &lines, &caps);
    static char rbuf[256], wbuf[65536];
    OVERLAPPED rov, wov = {0}, *ov;
    DWORD e, bytes, error;
    memset(wbuf, 'w', sizeof wbuf);
    if (!post_read(h, &rov, rbuf, sizeof rbuf, &e)) say("read=error %lu", e);
    if (!WriteFile(h, wbuf, sizeof wbuf, NULL, &wov) && GetLastError() != ERROR_IO_PENDING)
        say("write=error %lu", GetLastError());
    step("writing"); /* the driver drains the pty slowly */
    int empty = 0, other = 0, wrote = 0;
    for (int i = 0; i < 400 && !wrote; i++) {
        if (!wait_one(50, &ov, &bytes, &error)) continue;
        if (ov == &wov) {
            wrote = 1;
        } else if (ov == &rov && bytes == 0 && error == 0) {
            empty++;
            post_read(h, &rov, rbuf, sizeof rbuf, &e);
        } else {
            other++;
        }
    }
    say("emptyread=%d other=%d write_done=%d", empty, other, wrote);
    CancelIoEx(h, NULL);
    CloseHandle(h);
    return 0;
}

static int t_missing(const char *port)
{
    aser_config cfg = ASER_CONFIG_DEFAULT;
    aser_err err = {0};
    HANDLE h, lock;
    unsigned lines;
    aser_caps caps;
    int rc = aser__com_open(port, &cfg, &h, &lock, &lines, &caps, &err);
    say("open=%s", aser_err_name(rc));
    say("msg=%s", err.msg);
    if (rc == 0) { /* held until the driver says so: a second process can try */
        step("held");
        aser__com_close(h, lock);
    }
    return 0;
}

static int t_twice(const char *port)
{
    aser_caps caps;
    unsigned lines;
    HANDLE h = open_port(port, NULL, &lines, &caps);
    aser_config cfg = ASER_CONFIG_DEFAULT;
    aser_err err = {0};
    HANDLE h2, lock2;
    int rc = aser__com_open(port, &cfg, &h2, &lock2, &lines, &caps, &err);
    say("open2=%s", aser_err_name(rc));
    say("msg2=%s", err.msg);
    if (rc == 0) aser__com_close(h2, lock2);
    /* What Wine's own CreateFile does about sharing (the reason for the lock). */
    char dev[300], name[256];
    aser__com_name(port, dev, sizeof dev, name, sizeof name, &err);
    h2 = CreateFileA(dev, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                     FILE_FLAG_OVERLAPPED, NULL);
    say("raw2=%s %lu", h2 == INVALID_HANDLE_VALUE ? "refused" : "opened",
        h2 == INVALID_HANDLE_VALUE ? GetLastError() : 0);
    if (h2 != INVALID_HANDLE_VALUE) CloseHandle(h2);
    step("held"); /* the driver may try from another process meanwhile */
    aser__com_close(h, g_lock);
    rc = aser__com_open(port, &cfg, &h2, &lock2, &lines, &caps, &err);
    say("open3=%s", aser_err_name(rc));
    if (rc == 0) aser__com_close(h2, lock2);
    return 0;
}

static int t_hangup(const char *port)
{
    aser_caps caps;
    unsigned lines;
    HANDLE h = open_port(port, NULL, &lines, &caps);
    static char rbuf[256];
    OVERLAPPED rov, *ov;
    DWORD e, bytes, error;
    if (!post_read(h, &rov, rbuf, sizeof rbuf, &e)) say("read=error %lu", e);
    step("reading"); /* the driver closes the master now */
    int got = wait_one(3000, &ov, &bytes, &error);
    say("first=%d bytes=%lu error=%lu", got, bytes, error);
    /* What a blind re-post would see, five times. */
    for (int i = 0; i < 5; i++) {
        bool posted = post_read(h, &rov, rbuf, sizeof rbuf, &e);
        if (!posted) {
            say("repost%d=fails-at-once error=%lu", i, e);
            continue;
        }
        got = wait_one(1000, &ov, &bytes, &error);
        say("repost%d=completion %d bytes=%lu error=%lu", i, got, bytes, error);
    }
    say("code109=%s gone=%d", aser_err_name(aser__com_code(ERROR_BROKEN_PIPE)),
        aser__com_is_gone(ERROR_BROKEN_PIPE));
    CloseHandle(h);
    return 0;
}

static const char *cap_name(aser_cap c)
{
    return c == ASER_CAP_SUPPORTED     ? "supported"
           : c == ASER_CAP_UNSUPPORTED ? "unsupported"
                                       : "unknown";
}

/* port/settings.c's aser_feature_name is not linked into this program. */
static const char *const feat_names[ASER_FEAT_COUNT_] = {
    "baud",        "custom_baud", "modem_lines", "break",
    "flow_rtscts", "rs485",       "low_latency", "line_errors"};

static int t_caps(const char *port)
{
    aser_caps caps;
    unsigned lines;
    HANDLE h = open_port(port, NULL, &lines, &caps);
    for (int f = 0; f < ASER_FEAT_COUNT_; f++)
        say("cap.%s=%s (%s)", feat_names[f], cap_name(caps.state[f]),
            caps.reason[f] ? caps.reason[f] : "");
    DWORD ms;
    BOOL ok = GetCommModemStatus(h, &ms);
    say("modemstatus=%s %lu", ok ? "ok" : "fails", ok ? ms : GetLastError());
    say("modem_get=%s", aser_err_name(aser__com_modem_get(h, lines)));
    aser_config cfg = ASER_CONFIG_DEFAULT;
    aser_err err = {0};
    int rc = aser__com_modem_set(h, "COM", &cfg, &lines, ASER_LINE_DTR, 0, &err);
    say("modem_set=%s %s", aser_err_name(rc), err.msg);
    aser_config_parse(&cfg, "rtscts", &err);
    rc = aser__com_modem_set(h, "COM", &cfg, &lines, ASER_LINE_RTS, 0, &err);
    say("modem_set_rtscts=%s", aser_err_name(rc));
    say("break_on=%s", aser_err_name(aser__com_break_ctl(h, true)));
    say("break_off=%s", aser_err_name(aser__com_break_ctl(h, false)));
    COMMPROP cp = {0};
    ok = GetCommProperties(h, &cp);
    say("commprop=%s settable=0x%lx prov=0x%lx", ok ? "ok" : "fails", cp.dwSettableBaud,
        cp.dwProvCapabilities);
    CloseHandle(h);
    return 0;
}

static int t_waitcomm(const char *port)
{
    aser_caps caps;
    unsigned lines;
    HANDLE h = open_port(port, NULL, &lines, &caps);
    BOOL ok = SetCommMask(h, EV_CTS | EV_DSR | EV_RLSD | EV_RING | EV_ERR | EV_BREAK);
    say("setcommmask=%s %lu", ok ? "ok" : "fails", ok ? 0 : GetLastError());
    OVERLAPPED wov = {0}, *ov;
    DWORD mask = 0, bytes, error;
    double t0 = now_ms();
    ok = WaitCommEvent(h, &mask, &wov);
    DWORD e = ok ? 0 : GetLastError();
    say("waitcommevent=%s %lu mask=0x%lx", ok ? "done" : "not-done", e, mask);
    int got = wait_one(1500, &ov, &bytes, &error);
    say("wait.completion=%d error=%lu mask=0x%lx after_ms=%.0f", got, error, mask, now_ms() - t0);
    if (got) { /* completed (with or without an error): again, to see if it repeats */
        int n = 0;
        for (int i = 0; i < 20; i++) {
            memset(&wov, 0, sizeof wov);
            if (!WaitCommEvent(h, &mask, &wov) && GetLastError() != ERROR_IO_PENDING) {
                n++;
                continue;
            }
            if (wait_one(100, &ov, &bytes, &error)) n++;
        }
        say("wait.repeats=%d/20", n);
    } else {
        step("waiting"); /* the driver writes a byte and sends a break */
        got = wait_one(1500, &ov, &bytes, &error);
        say("wait.after_data=%d error=%lu mask=0x%lx", got, error, mask);
        if (!got) {
            CancelIoEx(h, &wov);
            got = wait_one(2000, &ov, &bytes, &error);
            say("wait.cancel=%d error=%lu", got, error);
        }
    }
    CloseHandle(h);
    return 0;
}

static int t_list(void)
{
    aser_port_info *list;
    size_t n;
    int rc = aser_list_ports(&list, &n, 0);
    say("list=%s n=%zu", aser_err_name(rc), n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        say("port=%s device=%s desc=%s hwid=%s vid=%d pid=%d", list[i].name, list[i].device,
            list[i].description, list[i].hwid ? list[i].hwid : "-", list[i].vid, list[i].pid);
    aser_port_info_free_list(list, n);
    aser_port_filter f = ASER_PORT_FILTER_INIT;
    f.device = "com1";
    aser_port_info *one;
    aser_err err = {0};
    rc = aser_find_port(&f, &one, &err);
    say("find.com1=%s %s", aser_err_name(rc), rc == 0 ? one->device : err.msg);
    if (rc == 0) aser_port_info_free_list(one, 1);
    char path[64];
    rc = aser__discover_resolve_usb("0403:6001", path, sizeof path, &err);
    say("usb=%s", aser_err_name(rc));
    say("usb.msg=%s", err.msg);
    rc = aser__discover_resolve_usb("zz", path, sizeof path, &err);
    say("usb.bad=%s", aser_err_name(rc));
    return 0;
}

/* The USB identity in instance ids, and the find glob, through the public
 * calls where they are reachable and the internal parser otherwise. */
static int t_usbid(void)
{
    static const char *const ids[] = {"USB\\VID_0403&PID_6001\\A600XYZ",
                                      "USB\\VID_2341&PID_0043&MI_02\\6&3A1B&0&0002",
                                      "FTDIBUS\\VID_0403+PID_6015+DN0123ABA\\0000",
                                      "USB\\VID_10C4&PID_EA60\\5&1F2&0&3",
                                      "ACPI\\PNP0501\\0",
                                      "USB\\VID_XYZW&PID_0001\\1"};
    for (size_t i = 0; i < ASER_ARRAY_LEN(ids); i++) {
        int vid, pid, intf;
        char *serial;
        bool usb = aser__win_parse_usb_id(ids[i], &vid, &pid, &intf, &serial);
        say("usbid[%s]=%d %04x:%04x if=%d ser=%s", ids[i], usb, vid < 0 ? 0 : (unsigned)vid,
            pid < 0 ? 0 : (unsigned)pid, intf, serial ? serial : "-");
        free(serial);
    }
    aser_port_info info = {.name = "COM7",
                           .device = "COM7",
                           .description = "USB Serial Port (COM7)",
                           .product = "FT232R USB UART",
                           .vid = 0x403,
                           .pid = 0x6001,
                           .serial_number = "A600XYZ",
                           .usb_interface = -1};
    static const char *const pats[] = {
        "*ft232r*", "usb serial port (com?)", "*[0-9])", "CP210?*", "*(COM[!7])", "[a-u]sb*"};
    for (size_t i = 0; i < ASER_ARRAY_LEN(pats); i++) {
        aser_port_filter f = ASER_PORT_FILTER_INIT;
        f.pattern = pats[i];
        say("glob[%s]=%d", pats[i], aser_port_info_matches(&info, &f));
    }
    static const char *const devs[] = {"com7", "\\\\.\\COM7", "COM70"};
    for (size_t i = 0; i < ASER_ARRAY_LEN(devs); i++) {
        aser_port_filter f = ASER_PORT_FILTER_INIT;
        f.device = devs[i];
        say("dev[%s]=%d", devs[i], aser_port_info_matches(&info, &f));
    }
    say("cmp=%d %d %d", aser__name_cmp("COM2", "COM10") < 0, aser__name_cmp("com3", "COM3"),
        aser__name_cmp("COM10", "COM9") > 0);
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    const char *port = argc > 2 ? argv[2] : "COM5";
    if (!strcmp(what, "names")) return t_names();
    if (!strcmp(what, "settings")) return t_settings(port);
    if (!strcmp(what, "io")) return t_io(port);
    if (!strcmp(what, "missing")) return t_missing(port);
    if (!strcmp(what, "emptyread")) return t_emptyread(port);
    if (!strcmp(what, "twice")) return t_twice(port);
    if (!strcmp(what, "hangup")) return t_hangup(port);
    if (!strcmp(what, "caps")) return t_caps(port);
    if (!strcmp(what, "waitcomm")) return t_waitcomm(port);
    if (!strcmp(what, "list")) return t_list();
    if (!strcmp(what, "usbid")) return t_usbid();
    fprintf(stderr,
            "usage: com-test names|settings|io|missing|twice|hangup|caps|waitcomm|list [PORT]\n");
    return 2;
}
