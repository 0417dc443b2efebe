/* fuzz_usb_strings.c: libFuzzer target for the device-supplied strings
 * discovery reads (src/discover/sysfs.c, info.c): a USB device chooses
 * its product, manufacturer and serial strings, and its ids. A copy of a
 * sysfs fixture tree (test/discover/fixtures/ftdi-ft232r) gets those files
 * from the input, then aser_list_ports() reads it (ASERIAL_SYSFS_ROOT).
 *
 * Input: the files' contents separated by NUL bytes, in this order:
 * product, manufacturer, serial, idVendor, idProduct, bInterfaceNumber.
 * Checks: the listing succeeds with the one port; its strings are bounded
 * (the library passes the device's bytes on as they are); vid/pid are -1
 * or 0..0xffff; the description is never NULL; freeing leaks nothing; and
 * what the CLI shows of each (cli_safe, tools/aserial/cli.c) is valid
 * UTF-8 without a control character (C0, DEL, C1): a device cannot drive
 * the terminal of `aserial list -v`. */
#define _GNU_SOURCE
#include "aserial.h"
#include "codec/ws.h" /* aser__utf8_len */
#include "fuzz_common.h"
#include "../tools/aserial/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FIXTURE
#error "FIXTURE: the fixture tree to copy"
#endif
#define USB "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1"

static char root[256];

static void cleanup(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
}

static void setup(void)
{
    /* In memory where there is a /dev/shm: each input rewrites six files
     * and lists the tree, which a disk-backed /tmp made the cost. */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(root, sizeof root, "%s/aserial-fuzz-usb-%d", base, (int)getpid());
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", root, FIXTURE, root);
    FZ_ASSERT(system(cmd) == 0);
    atexit(cleanup);
    char sys[300], dev[300];
    snprintf(sys, sizeof sys, "%s/sys", root);
    snprintf(dev, sizeof dev, "%s/dev", root);
    setenv("ASERIAL_SYSFS_ROOT", sys, 1);
    setenv("ASERIAL_DEV_ROOT", dev, 1);
}

static void put(const char *file, const uint8_t *d, size_t n)
{
    char path[400];
    snprintf(path, sizeof path, "%s%s/%s", root, USB, file);
    FILE *f = fopen(path, "wb");
    FZ_ASSERT(f);
    FZ_ASSERT(fwrite(d, 1, n, f) == n || n == 0);
    fclose(f);
}

/* What the CLI shows of s: UTF-8, and no control character. */
static void shown_safe(const char *raw)
{
    if (!raw) return;
    FZ_ASSERT(strlen(raw) < 8192);
    static char s[4096];
    cli_safe(raw, s, sizeof s);
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        const uint8_t *u = (const uint8_t *)s + i;
        FZ_ASSERT(*u >= 0x20 && *u != 0x7f);
        size_t k = *u < 0x80 ? 1 : aser__utf8_len(u, n - i);
        FZ_ASSERT(k > 0);
        FZ_ASSERT(!(k == 2 && u[0] == 0xc2 && u[1] < 0xa0)); /* C1 */
        i += k;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (!root[0]) setup();
    static const char *const files[] = {"product",  "manufacturer", "serial",
                                        "idVendor", "idProduct",    "1-1:1.0/bInterfaceNumber"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        const uint8_t *z = memchr(d, 0, n);
        size_t k = z ? (size_t)(z - d) : n;
        put(files[f], d, k);
        d += z ? k + 1 : k;
        n -= z ? k + 1 : k;
    }
    aser_port_info *l = NULL;
    size_t cnt = 0;
    FZ_ASSERT(aser_list_ports(&l, &cnt, 0) == 0);
    FZ_ASSERT(cnt == 1);
    const aser_port_info *p = &l[0];
    FZ_ASSERT(p->device && p->name && p->description);
    FZ_ASSERT(p->vid >= -1 && p->vid <= 0xffff && p->pid >= -1 && p->pid <= 0xffff);
    const char *s[] = {p->device,    p->name,          p->description,  p->hwid,
                       p->subsystem, p->serial_number, p->manufacturer, p->product,
                       p->location,  p->driver,        p->by_id,        p->by_path};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) shown_safe(s[i]);
    aser_port_info_free_list(l, cnt);
    return 0;
}
