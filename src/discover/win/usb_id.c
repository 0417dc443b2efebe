/* usb_id.c: the USB identity in a Windows device instance id (win.h:
 * aser__win_parse_usb_id). Plain C with no Windows header: the id carries
 * the serial number the device chose, so the parser is also built on
 * Linux for its fuzz target (fuzz/fuzz_win_usb_id.c). */
#include "discover/win/win.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = tolower((unsigned char)s[i]);
        if (c >= '0' && c <= '9')
            v = v * 16 + c - '0';
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + c - 'a' + 10;
        else
            return -1;
    }
    return v;
}

/* key (upper case ASCII) in s, ignoring case; NULL if absent. */
static const char *find_ci(const char *s, const char *key)
{
    size_t kl = strlen(key);
    for (; *s; s++) {
        size_t i = 0;
        while (i < kl && s[i] && toupper((unsigned char)s[i]) == (unsigned char)key[i]) i++;
        if (i == kl) return s;
    }
    return NULL;
}

bool aser__win_parse_usb_id(const char *id, int *vid, int *pid, int *intf, char **serial)
{
    *vid = *pid = *intf = -1;
    *serial = NULL;
    const char *v = find_ci(id, "VID_"), *p = find_ci(id, "PID_");
    if (!v || !p) return false;
    *vid = hex4(v + 4);
    *pid = hex4(p + 4);
    if (*vid < 0 || *pid < 0) {
        *vid = *pid = -1;
        return false;
    }
    const char *mi = find_ci(id, "&MI_");
    if (mi && isdigit((unsigned char)mi[4]) && isdigit((unsigned char)mi[5]))
        *intf = (mi[4] - '0') * 10 + (mi[5] - '0');
    const char *ser = NULL;
    size_t len = 0;
    if (find_ci(id, "FTDIBUS\\") == id) { /* VID_x+PID_y+SERIAL\0000 */
        const char *plus = strchr(p, '+');
        if (plus) {
            ser = plus + 1;
            len = strcspn(ser, "\\");
        }
    } else { /* USB\VID_x&PID_y[&MI_z]\SERIAL */
        const char *bs = strchr(p, '\\');
        if (bs) {
            ser = bs + 1;
            len = strlen(ser);
            if (memchr(ser, '&', len)) ser = NULL; /* made up by Windows */
        }
    }
    if (ser && len > 0) {
        *serial = malloc(len + 1);
        if (*serial) {
            memcpy(*serial, ser, len);
            (*serial)[len] = '\0';
        }
    }
    return true;
}
