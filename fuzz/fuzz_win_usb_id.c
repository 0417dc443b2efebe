/* fuzz_win_usb_id.c: libFuzzer target for the USB identity the Windows
 * listing reads from a device instance id (src/discover/win/usb_id.c:
 * aser__win_parse_usb_id). The id's last component is the serial number
 * the device chose, so its bytes are the device's. The parser is plain C
 * and is built here on Linux.
 *
 * Input: the id (cut at the first NUL). Checks: vid and pid are both -1 or
 * both 0..0xffff, and true is returned exactly when they are found; the
 * interface is -1 or 0..99; a serial is only given with a vid and pid, is
 * non-empty, a contiguous piece of the id, and outside FTDI's bus ids
 * holds no '&' (a USB\ id's last component with '&' is made up by
 * Windows); nothing leaks. */
#include "discover/win/win.h"
#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char *id = fz_cstr(d, n);
    int vid = 7, pid = 7, intf = 7;
    char *serial = (char *)1;
    bool found = aser__win_parse_usb_id(id, &vid, &pid, &intf, &serial);
    FZ_ASSERT(found == (vid >= 0));
    FZ_ASSERT((vid < 0) == (pid < 0));
    FZ_ASSERT(vid >= -1 && vid <= 0xffff && pid >= -1 && pid <= 0xffff);
    FZ_ASSERT(intf >= -1 && intf <= 99);
    if (!found) FZ_ASSERT(serial == NULL && intf == -1);
    if (serial) {
        size_t k = strlen(serial);
        FZ_ASSERT(k > 0);
        FZ_ASSERT(strncasecmp(id, "FTDIBUS\\", 8) == 0 || !strchr(serial, '&'));
        FZ_ASSERT(strstr(id, serial) != NULL);
        free(serial);
    }
    free(id);
    return 0;
}
