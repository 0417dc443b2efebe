/* list.c: the COM ports of a Windows machine.
 *
 * Two sources, merged by port name:
 *   SetupAPI   present devices of the COM port interface class
 *              (GUID_DEVINTERFACE_COMPORT), of the Ports setup class
 *              (GUID_DEVCLASS_PORTS: drivers that register no interface,
 *              LPT ports skipped) and of the Modem class (a USB modem's
 *              port, as pyserial lists it). Per device: the port name from its
 *              registry key ("PortName"), the friendly name ("USB Serial
 *              Port (COM5)"), manufacturer, service (the driver), location,
 *              and the USB identity from the device instance id (the
 *              parent's for one interface of a composite device).
 *   SERIALCOMM HKLM\HARDWARE\DEVICEMAP\SERIALCOMM, "\Device\Serial0" ->
 *              "COM1": every port a serial driver has started, including
 *              those SetupAPI does not know (legacy drivers; Wine's
 *              mount manager puts its COM1..COMn here at boot).
 * Measured under Wine 8: SetupAPI lists nothing, SERIALCOMM has COM1 ->
 * \Device\Serial0; a dosdevices\comN symlink made later for a
 * pseudo-terminal is in neither, although it opens by name.
 * A field that cannot be read is left absent; the port is still listed. */
#include "discover/win/win.h"

#include <windows.h>

#include <initguid.h>

#include <cfgmgr32.h>
#include <devguid.h>
#include <setupapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GUID_DEVINTERFACE_COMPORT, defined here so no extra header is needed. */
DEFINE_GUID(aser_guid_comport, 0x86e0d1e0L, 0x8089, 0x11d0, 0x9c, 0xe4, 0x08, 0x00, 0x3e, 0x30,
            0x1f, 0x73);

/* ---- SetupAPI ---------------------------------------------------------------------- */

typedef struct port_vec {
    aser_port_info *v;
    size_t n, cap;
    bool nomem;
} port_vec;

static aser_port_info *vec_add(port_vec *pv)
{
    if (pv->n == pv->cap) {
        size_t ncap = pv->cap ? pv->cap * 2 : 8;
        aser_port_info *nv = realloc(pv->v, ncap * sizeof *nv);
        if (!nv) {
            pv->nomem = true;
            return NULL;
        }
        pv->v = nv;
        pv->cap = ncap;
    }
    aser_port_info *e = &pv->v[pv->n++];
    memset(e, 0, sizeof *e);
    e->vid = e->pid = e->usb_interface = -1;
    return e;
}

static aser_port_info *vec_find(port_vec *pv, const char *name)
{
    for (size_t i = 0; i < pv->n; i++)
        if (_stricmp(pv->v[i].name, name) == 0) return &pv->v[i];
    return NULL;
}

static char *dup_or_flag(port_vec *pv, const char *s)
{
    if (!s || !*s) return NULL;
    char *d = strdup(s);
    if (!d) pv->nomem = true;
    return d;
}

/* A device registry property as a string (REG_SZ; the first string of a
 * REG_MULTI_SZ), or "" when absent. */
static void dev_prop(HDEVINFO set, SP_DEVINFO_DATA *dev, DWORD prop, char *buf, DWORD cap)
{
    DWORD type = 0;
    buf[0] = '\0';
    if (!SetupDiGetDeviceRegistryPropertyA(set, dev, prop, &type, (BYTE *)buf, cap - 1, NULL) ||
        (type != REG_SZ && type != REG_MULTI_SZ && type != REG_EXPAND_SZ))
        buf[0] = '\0';
    buf[cap - 1] = '\0';
}

/* The port name ("COM5") from the device's own registry key. */
static bool port_name(HDEVINFO set, SP_DEVINFO_DATA *dev, char *buf, DWORD cap)
{
    HKEY k = SetupDiOpenDevRegKey(set, dev, DICS_FLAG_GLOBAL, 0, DIREG_DEV, KEY_READ);
    if (k == INVALID_HANDLE_VALUE) return false;
    DWORD type = 0, len = cap - 1;
    LONG r = RegQueryValueExA(k, "PortName", NULL, &type, (BYTE *)buf, &len);
    RegCloseKey(k);
    if (r != ERROR_SUCCESS || type != REG_SZ || len == 0) return false;
    buf[len < cap ? len : cap - 1] = '\0';
    return buf[0] && _strnicmp(buf, "LPT", 3) != 0;
}

/* The serial number of a composite device's interface is its parent's. */
static char *parent_serial(DEVINST inst)
{
    DEVINST parent;
    char id[MAX_DEVICE_ID_LEN + 1];
    int vid, pid, intf;
    char *serial = NULL;
    if (CM_Get_Parent(&parent, inst, 0) != CR_SUCCESS ||
        CM_Get_Device_IDA(parent, id, sizeof id, 0) != CR_SUCCESS)
        return NULL;
    aser__win_parse_usb_id(id, &vid, &pid, &intf, &serial);
    return serial;
}

static const char *subsystem_of(const char *id)
{
    if (!_strnicmp(id, "USB\\", 4) || !_strnicmp(id, "FTDIBUS\\", 8)) return "usb";
    if (!_strnicmp(id, "PCI\\", 4)) return "pci";
    if (!_strnicmp(id, "ACPI\\", 5) || !_strnicmp(id, "PNP", 3)) return "pnp";
    if (!_strnicmp(id, "BTHENUM\\", 8)) return "bluetooth";
    if (!_strnicmp(id, "ROOT\\", 5)) return "virtual";
    return NULL;
}

static void fill_usb(port_vec *pv, aser_port_info *e, const char *id, DEVINST inst, char *loc)
{
    char *serial;
    int intf;
    if (!aser__win_parse_usb_id(id, &e->vid, &e->pid, &intf, &serial)) return;
    e->usb_interface = intf;
    if (!serial && intf >= 0) serial = parent_serial(inst);
    e->serial_number = serial;
    char hw[400];
    int k = snprintf(hw, sizeof hw, "USB VID:PID=%04X:%04X", (unsigned)e->vid, (unsigned)e->pid);
    if (serial && k > 0 && (size_t)k < sizeof hw)
        k += snprintf(hw + k, sizeof hw - (size_t)k, " SER=%s", serial);
    if (loc[0] && k > 0 && (size_t)k < sizeof hw)
        snprintf(hw + k, sizeof hw - (size_t)k, " LOCATION=%s", loc);
    free(e->hwid);
    e->hwid = dup_or_flag(pv, hw);
}

static void add_device(port_vec *pv, HDEVINFO set, SP_DEVINFO_DATA *dev)
{
    char name[64], id[MAX_DEVICE_ID_LEN + 1], buf[512], loc[256];
    if (!port_name(set, dev, name, sizeof name) || vec_find(pv, name)) return;
    if (!SetupDiGetDeviceInstanceIdA(set, dev, id, sizeof id, NULL)) id[0] = '\0';
    aser_port_info *e = vec_add(pv);
    if (!e) return;
    e->name = dup_or_flag(pv, name);
    e->device = dup_or_flag(pv, name);
    dev_prop(set, dev, SPDRP_FRIENDLYNAME, buf, sizeof buf);
    if (!buf[0]) dev_prop(set, dev, SPDRP_DEVICEDESC, buf, sizeof buf);
    e->description = dup_or_flag(pv, buf[0] ? buf : name);
    dev_prop(set, dev, SPDRP_DEVICEDESC, buf, sizeof buf);
    e->product = dup_or_flag(pv, buf);
    dev_prop(set, dev, SPDRP_MFG, buf, sizeof buf);
    e->manufacturer = dup_or_flag(pv, buf);
    dev_prop(set, dev, SPDRP_SERVICE, buf, sizeof buf);
    e->driver = dup_or_flag(pv, buf);
    dev_prop(set, dev, SPDRP_LOCATION_INFORMATION, loc, sizeof loc);
    e->location = dup_or_flag(pv, loc);
    e->hwid = dup_or_flag(pv, id);
    const char *sub = subsystem_of(id);
    e->subsystem = dup_or_flag(pv, sub);
    if (sub && !strcmp(sub, "usb")) fill_usb(pv, e, id, dev->DevInst, loc);
}

static void scan_set(port_vec *pv, const GUID *guid, DWORD flags)
{
    HDEVINFO set = SetupDiGetClassDevsA(guid, NULL, NULL, DIGCF_PRESENT | flags);
    if (set == INVALID_HANDLE_VALUE) return; /* nothing from this source */
    SP_DEVINFO_DATA dev = {.cbSize = sizeof dev};
    for (DWORD i = 0; SetupDiEnumDeviceInfo(set, i, &dev) && !pv->nomem; i++)
        add_device(pv, set, &dev);
    SetupDiDestroyDeviceInfoList(set);
}

/* ---- SERIALCOMM ------------------------------------------------------------------------ */

static void scan_serialcomm(port_vec *pv)
{
    HKEY k;
    if (RegOpenKeyExA(HKEY_LOCAL_MACHINE, "HARDWARE\\DEVICEMAP\\SERIALCOMM", 0, KEY_READ, &k) !=
        ERROR_SUCCESS)
        return;
    for (DWORD i = 0; !pv->nomem; i++) {
        char vname[256], data[64];
        DWORD vl = sizeof vname, dl = sizeof data - 1, type = 0;
        LONG r = RegEnumValueA(k, i, vname, &vl, NULL, &type, (BYTE *)data, &dl);
        if (r == ERROR_NO_MORE_ITEMS) break;
        if (r != ERROR_SUCCESS || type != REG_SZ || dl == 0) continue;
        data[dl < sizeof data ? dl : sizeof data - 1] = '\0';
        aser_port_info *known = vec_find(pv, data);
        if (known) continue; /* SetupAPI said more */
        aser_port_info *e = vec_add(pv);
        if (!e) break;
        e->name = dup_or_flag(pv, data);
        e->device = dup_or_flag(pv, data);
        e->description = dup_or_flag(pv, data);
        e->hwid = dup_or_flag(pv, vname); /* the kernel device: "\Device\Serial0" */
    }
    RegCloseKey(k);
}

int aser__win_list(aser_port_info **out, size_t *n, aser_err *err)
{
    port_vec pv = {0};
    *out = NULL;
    *n = 0;
    scan_set(&pv, &aser_guid_comport, DIGCF_DEVICEINTERFACE);
    scan_set(&pv, &GUID_DEVCLASS_PORTS, 0);
    scan_set(&pv, &GUID_DEVCLASS_MODEM, 0); /* USB modems: their PortName is a COM port */
    scan_serialcomm(&pv);
    /* An entry whose name or device could not be copied is dropped with
     * the whole list: out of memory is reported, never a half entry. */
    for (size_t i = 0; i < pv.n && !pv.nomem; i++)
        if (!pv.v[i].name || !pv.v[i].device || !pv.v[i].description) pv.nomem = true;
    if (pv.nomem) {
        aser_port_info_free_list(pv.v, pv.n);
        return aser__err(err, ASER_ENOMEM, "listing serial ports: out of memory");
    }
    aser__list_done(pv.v, pv.n, out, n);
    return 0;
}

int aser_list_ports(aser_port_info **out, size_t *n, unsigned flags)
{
    (void)flags; /* no placeholders on Windows: every listed port has a driver */
    if (!out || !n) return ASER_EINVAL;
    return aser__win_list(out, n, NULL);
}
