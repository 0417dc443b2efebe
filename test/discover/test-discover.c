/* test-discover.c: port discovery on fixture trees (test/discover/fixtures,
 * made by mkfixtures.sh), broken copies of them, usb: lookups, hotplug. */
#define _GNU_SOURCE
#include "../test.h"
#include "aserial.h"
#include "discover/discover.h"
#include "internal.h"
#include "os/devwatch.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

static void fixture_path(char *out, size_t cap, const char *name)
{
    const char *src = getenv("ASER_SOURCE_DIR");
    CHECKM(src != NULL, "ASER_SOURCE_DIR is not set (meson test sets it)");
    CHECK((size_t)snprintf(out, cap, "%s/test/discover/fixtures/%s", src, name) < cap);
}

static void use_roots(const char *root)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/sys", root);
    CHECK(setenv("ASERIAL_SYSFS_ROOT", p, 1) == 0);
    snprintf(p, sizeof p, "%s/dev", root);
    CHECK(setenv("ASERIAL_DEV_ROOT", p, 1) == 0);
}

static void use_fixture(const char *name)
{
    char root[PATH_MAX];
    fixture_path(root, sizeof root, name);
    use_roots(root);
}

/* Copy a fixture into a fresh temp dir (tmp gets its path) and use it. */
static void use_copy(const char *name, char *tmp, size_t cap)
{
    char src[PATH_MAX], cmd[3 * PATH_MAX];
    fixture_path(src, sizeof src, name);
    snprintf(tmp, cap, "/tmp/aser-discover-XXXXXX");
    CHECK(mkdtemp(tmp) != NULL);
    snprintf(cmd, sizeof cmd, "cp -a '%s/.' '%s/'", src, tmp);
    CHECK(system(cmd) == 0);
    use_roots(tmp);
}

/* out = root/rel */
static void at_path(char *out, size_t cap, const char *root, const char *rel)
{
    CHECK((size_t)snprintf(out, cap, "%s/%s", root, rel) < cap);
}

static void rm_tree(const char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

static void mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        CHECK(mkdir(tmp, 0755) == 0 || errno == EEXIST);
        *p = '/';
    }
    CHECK(mkdir(tmp, 0755) == 0 || errno == EEXIST);
}

/* Write root/rel (parents made), replacing whatever is there. */
static void put(const char *root, const char *rel, const char *content)
{
    char path[PATH_MAX], dir[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    mkdir_p(dir);
    unlink(path);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK(fputs(content, f) >= 0);
    CHECK(fclose(f) == 0);
}

static void link_at(const char *root, const char *rel, const char *target)
{
    char path[PATH_MAX], dir[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    mkdir_p(dir);
    unlink(path);
    CHECK(symlink(target, path) == 0);
}

static const aser_port_info *by_name(const aser_port_info *l, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].name, name) == 0) return &l[i];
    at_fail(__FILE__, __LINE__, "no port named %s among %zu", name, n);
}

static void dev_path(char *out, size_t cap, const char *tty)
{
    snprintf(out, cap, "%s/%s", getenv("ASERIAL_DEV_ROOT"), tty);
}

#define USB1 "sys/devices/pci0000:00/0000:00:14.0/usb1"

/* ---- internal helpers ---------------------------------------------------- */

TEST(helper, path_normalize)
{
    const char *cases[][2] = {
        {"/a/b/../c", "/a/c"},
        {"/a/./b//c/", "/a/b/c"},
        {"/../..", "/"},
        {"/", "/"},
        {"/dev/serial/by-id/../../ttyUSB0", "/dev/ttyUSB0"},
        {"/a/b/c/../../../../x", "/x"},
        {"/..a/b..", "/..a/b.."},
    };
    for (size_t i = 0; i < ASER_ARRAY_LEN(cases); i++) {
        char p[64];
        snprintf(p, sizeof p, "%s", cases[i][0]);
        CHECK_EQ(aser__path_normalize(p), 0);
        CHECK_STR(p, cases[i][1]);
    }
    char rel[] = "a/b";
    CHECK_EQ(aser__path_normalize(rel), ASER_EINVAL);
}

TEST(helper, natural_name_order)
{
    CHECK(aser__name_cmp("ttyS2", "ttyS10") < 0);
    CHECK(aser__name_cmp("ttyS10", "ttyS2") > 0);
    CHECK(aser__name_cmp("ttyACM0", "ttyS0") < 0);
    CHECK(aser__name_cmp("ttyUSB1", "ttyUSB1") == 0);
    CHECK(aser__name_cmp("ttyUSB", "ttyUSB0") < 0);
    CHECK(aser__name_cmp("ttyUSB007", "ttyUSB8") < 0);
}

TEST(helper, roots_default_relative_and_trailing_slash)
{
    aser_roots r;
    unsetenv("ASERIAL_SYSFS_ROOT");
    unsetenv("ASERIAL_DEV_ROOT");
    CHECK_EQ(aser__roots_get(&r), 0);
    CHECK_STR(r.sys, "/sys");
    CHECK_STR(r.dev, "/dev");
    CHECK(!r.dev_moved);
    setenv("ASERIAL_SYSFS_ROOT", "/tmp/x/sys///", 1);
    setenv("ASERIAL_DEV_ROOT", "rel/dev", 1);
    CHECK_EQ(aser__roots_get(&r), 0);
    CHECK_STR(r.sys, "/tmp/x/sys");
    CHECK(r.dev_moved);
    CHECK(r.dev[0] == '/');
    CHECK_CONTAINS(r.dev, "/rel/dev");
}

/* ---- each fixture ------------------------------------------------------- */

TEST(fixture, ftdi_ft232r_every_field)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    char want[PATH_MAX];
    use_fixture("ftdi-ft232r");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 1);
    dev_path(want, sizeof want, "ttyUSB0");
    CHECK_STR(l[0].device, want);
    CHECK_STR(l[0].name, "ttyUSB0");
    CHECK_STR(l[0].description, "FT232R USB UART");
    CHECK_STR(l[0].hwid, "USB VID:PID=0403:6001 SER=A600XYZ LOCATION=1-1:1.0");
    CHECK_STR(l[0].subsystem, "usb");
    CHECK_EQ(l[0].vid, 0x0403);
    CHECK_EQ(l[0].pid, 0x6001);
    CHECK_STR(l[0].serial_number, "A600XYZ");
    CHECK_STR(l[0].manufacturer, "FTDI");
    CHECK_STR(l[0].product, "FT232R USB UART");
    CHECK_STR(l[0].location, "1-1:1.0");
    CHECK_EQ(l[0].usb_interface, 0);
    CHECK_STR(l[0].driver, "ftdi_sio");
    dev_path(want, sizeof want, "serial/by-id/usb-FTDI_FT232R_USB_UART_A600XYZ-if00-port0");
    CHECK_STR(l[0].by_id, want);
    dev_path(want, sizeof want, "serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0");
    CHECK_STR(l[0].by_path, want);
    aser_port_info_free_list(l, n);
}

TEST(fixture, ftdi_ft4232h_four_interfaces)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    use_fixture("ftdi-ft4232h");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 4);
    for (int i = 0; i < 4; i++) {
        char name[16], loc[16], id[128];
        snprintf(name, sizeof name, "ttyUSB%d", i);
        snprintf(loc, sizeof loc, "1-2:1.%d", i);
        snprintf(id, sizeof id, "usb-FTDI_Quad_RS232-HS_FT4XYZ-if0%d-port0", i);
        CHECK_STR(l[i].name, name);
        CHECK_EQ(l[i].usb_interface, i);
        CHECK_STR(l[i].location, loc);
        CHECK_EQ(l[i].pid, 0x6011);
        CHECK_STR(l[i].serial_number, "FT4XYZ");
        CHECK_CONTAINS(l[i].by_id, id);
        CHECK_CONTAINS(l[i].hwid, loc);
    }
    aser_port_info_free_list(l, n);
}

TEST(fixture, prolific_pl2303_no_serial)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    use_fixture("prolific-pl2303");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(l[0].vid, 0x067b);
    CHECK_EQ(l[0].pid, 0x2303);
    CHECK(l[0].serial_number == NULL);
    CHECK_STR(l[0].hwid, "USB VID:PID=067B:2303 LOCATION=1-3:1.0");
    CHECK_STR(l[0].manufacturer, "Prolific Technology Inc.");
    CHECK_STR(l[0].driver, "pl2303");
    aser_port_info_free_list(l, n);
}

TEST(fixture, silabs_cp210x_interface_string_not_repeated)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    use_fixture("silabs-cp210x");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 1);
    CHECK_STR(l[0].description, "CP2102 USB to UART Bridge Controller");
    CHECK_STR(l[0].hwid, "USB VID:PID=10C4:EA60 SER=0001 LOCATION=1-4:1.0");
    CHECK_STR(l[0].driver, "cp210x");
    aser_port_info_free_list(l, n);
}

TEST(fixture, wch_ch340_behind_hub_no_by_id)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    use_fixture("wch-ch340");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(l[0].vid, 0x1a86);
    CHECK_EQ(l[0].pid, 0x7523);
    CHECK(l[0].manufacturer == NULL);
    CHECK(l[0].serial_number == NULL);
    CHECK(l[0].by_id == NULL);
    CHECK_CONTAINS(l[0].by_path, "usb-0:1.4:1.0-port0");
    CHECK_STR(l[0].location, "1-1.4:1.0");
    CHECK_STR(l[0].driver, "ch341");
    CHECK_STR(l[0].description, "USB Serial");
    aser_port_info_free_list(l, n);
}

TEST(fixture, cdc_acm_interface_numbers)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    use_fixture("cdc-acm");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 2);
    CHECK_STR(l[0].name, "ttyACM0");
    CHECK_EQ(l[0].usb_interface, 0);
    CHECK_STR(l[0].description, "Dual Virtual COM Port - CDC Port A");
    CHECK_STR(l[1].name, "ttyACM1");
    CHECK_EQ(l[1].usb_interface, 2);
    CHECK_STR(l[1].location, "1-6:1.2");
    CHECK_STR(l[1].description, "Dual Virtual COM Port - CDC Port B");
    CHECK_STR(l[1].driver, "cdc_acm");
    CHECK_STR(l[1].subsystem, "usb");
    CHECK_EQ(l[1].vid, 0x0483);
    CHECK_CONTAINS(l[1].by_id, "-if02");
    aser_port_info_free_list(l, n);
}

TEST(fixture, pci_uart_through_serial_base)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    use_fixture("pci-uart");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 1);
    CHECK_STR(l[0].name, "ttyS4");
    CHECK_STR(l[0].subsystem, "pci");
    CHECK_STR(l[0].driver, "serial");
    CHECK_STR(l[0].hwid, "PCI VID:PID=8086:A13D LOCATION=0000:00:16.3");
    CHECK_STR(l[0].location, "0000:00:16.3");
    CHECK_STR(l[0].description, "ttyS4");
    CHECK_EQ(l[0].vid, -1);
    CHECK_EQ(l[0].usb_interface, -1);
    CHECK(l[0].by_id == NULL);
    CHECK_CONTAINS(l[0].by_path, "by-path/pci-0000:00:16.3");
    aser_port_info_free_list(l, n);
}

TEST(fixture, placeholders_hidden_unless_list_all)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    use_fixture("serial8250");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 0);
    CHECK(l == NULL);
    CHECK_EQ(aser_list_ports(&l, &n, ASER_LIST_ALL), 0);
    CHECK_EQ(n, 4); /* tty0 is virtual: never listed */
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "ttyS%zu", i);
        CHECK_STR(l[i].name, name);
        CHECK_STR(l[i].driver, "serial8250");
        CHECK_STR(l[i].subsystem, "platform");
        CHECK_STR(l[i].hwid, "serial8250");
    }
    aser_port_info_free_list(l, n);
    use_fixture("pci-uart");
    CHECK_EQ(aser_list_ports(&l, &n, ASER_LIST_ALL), 0);
    CHECK_EQ(n, 5);
    CHECK_STR(l[4].name, "ttyS4");
    aser_port_info_free_list(l, n);
}

TEST(fixture, bluetooth_rfcomm_is_listed)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    use_fixture("bluetooth-rfcomm");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 1);
    CHECK_STR(l[0].name, "rfcomm0");
    CHECK_STR(l[0].subsystem, "bluetooth");
    CHECK(l[0].hwid == NULL && l[0].driver == NULL && l[0].location == NULL);
    CHECK_STR(l[0].description, "rfcomm0");
    aser_port_info_free_list(l, n);
}

TEST(fixture, lab_natural_order)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    use_fixture("lab");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    const char *want[] = {"ttyACM0", "ttyUSB0", "ttyUSB1", "ttyUSB2", "ttyUSB10"};
    CHECK_EQ(n, 5);
    for (size_t i = 0; i < n; i++) CHECK_STR(l[i].name, want[i]);
    CHECK_STR(l[0].description, "ttyACM0"); /* no product, no interface string */
    CHECK_STR(l[0].manufacturer, "Arduino (www.arduino.cc)");
    aser_port_info_free_list(l, n);
}

TEST(fixture, bad_sysfs_root_is_an_error)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l = (aser_port_info *)1;
    size_t n = 7;
    setenv("ASERIAL_SYSFS_ROOT", "/nonexistent/aserial/sys", 1);
    CHECK_EQ(aser_list_ports(&l, &n, 0), ASER_ENOENT);
    CHECK(l == NULL);
    CHECK_EQ(n, 0);
    CHECK_EQ(aser_list_ports(NULL, &n, 0), ASER_EINVAL);
}

TEST(fixture, roots_read_at_each_call)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    use_fixture("ftdi-ft4232h");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 4);
    aser_port_info_free_list(l, n);
    use_fixture("cdc-acm");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 2);
    aser_port_info_free_list(l, n);
}

/* ---- filters ------------------------------------------------------------ */

TEST(filter, vid_pid_serial_pattern_device)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    aser_port_filter f = ASER_PORT_FILTER_INIT;
    use_fixture("lab");
    f.vid = 0x0403;
    CHECK_EQ(aser_find_ports(&f, &l, &n), 0);
    CHECK_EQ(n, 2);
    aser_port_info_free_list(l, n);
    f.serial_number = "A700ABC";
    CHECK_EQ(aser_find_ports(&f, &l, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_STR(l[0].name, "ttyUSB1");
    aser_port_info_free_list(l, n);

    f = (aser_port_filter)ASER_PORT_FILTER_INIT;
    f.pattern = "*cp210?*";
    CHECK_EQ(aser_find_ports(&f, &l, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_STR(l[0].name, "ttyUSB10");
    aser_port_info_free_list(l, n);

    f.pattern = "usb serial"; /* product of the CH340, case ignored */
    CHECK_EQ(aser_find_ports(&f, &l, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_STR(l[0].name, "ttyUSB2");
    aser_port_info_free_list(l, n);

    f.pattern = "nothing*";
    CHECK_EQ(aser_find_ports(&f, &l, &n), 0);
    CHECK_EQ(n, 0);
    CHECK(l == NULL);
}

TEST(filter, device_by_name_path_and_links)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    char p[PATH_MAX];
    aser_port_filter f = ASER_PORT_FILTER_INIT;
    use_fixture("lab");
    const char *devs[] = {"ttyUSB1", "serial/by-id/usb-FTDI_FT232R_USB_UART_A700ABC-if00-port0",
                          "serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0"};
    for (size_t i = 0; i < ASER_ARRAY_LEN(devs); i++) {
        dev_path(p, sizeof p, devs[i]);
        f.device = p;
        CHECK_EQ(aser_find_ports(&f, &l, &n), 0);
        CHECK_EQ(n, 1);
        CHECK_STR(l[0].name, "ttyUSB1");
        aser_port_info_free_list(l, n);
    }
    f.device = "ttyACM0";
    CHECK_EQ(aser_find_ports(&f, &l, &n), 0);
    CHECK_EQ(n, 1);
    aser_port_info_free_list(l, n);
}

TEST(filter, find_port_first_match_and_not_found)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *one;
    aser_err err = {0};
    aser_port_filter f = ASER_PORT_FILTER_INIT;
    use_fixture("lab");
    f.vid = 0x0403;
    f.pid = 0x6001;
    CHECK_EQ(aser_find_port(&f, &one, &err), 0);
    CHECK_STR(one->name, "ttyUSB0");
    aser_port_info_free_list(one, 1);
    f.serial_number = "ZZZ";
    CHECK_EQ(aser_find_port(&f, &one, &err), ASER_ENOENT);
    CHECK(one == NULL);
    CHECK_EQ(err.code, ASER_ENOENT);
    CHECK_CONTAINS(err.msg, "0403:6001");
    CHECK_CONTAINS(err.msg, "\"ZZZ\"");
    CHECK_CONTAINS(err.msg, "aserial list");
}

TEST(filter, list_all_flag_and_null_filter)
{
    SKIP_UNLESS_LINUX("sysfs discovery (USB identity from fixture trees of /sys)");
    aser_port_info *l;
    size_t n;
    aser_port_filter f = ASER_PORT_FILTER_INIT;
    use_fixture("lab");
    CHECK_EQ(aser_find_ports(NULL, &l, &n), 0);
    CHECK_EQ(n, 5);
    aser_port_info_free_list(l, n);
    f.flags = ASER_LIST_ALL;
    f.device = "ttyS0";
    CHECK_EQ(aser_find_ports(&f, &l, &n), 0);
    CHECK_EQ(n, 1);
    aser_port_info_free_list(l, n);
    aser_port_info any = {.vid = 1, .pid = -1, .usb_interface = -1};
    CHECK(aser_port_info_matches(&any, NULL)); /* NULL filter: everything */
}

/* ---- usb: URLs ---------------------------------------------------------- */

TEST(usb, resolve_match_and_serial)
{
    SKIP_UNLESS_LINUX("usb: URLs (USB identity from sysfs)");
    char path[PATH_MAX], want[PATH_MAX];
    aser_err err = {0};
    use_fixture("lab");
    CHECK_EQ(aser__discover_resolve_usb("0403:6001", path, sizeof path, &err), 0);
    dev_path(want, sizeof want, "ttyUSB0");
    CHECK_STR(path, want);
    CHECK_EQ(aser__discover_resolve_usb("0403:6001:A700ABC", path, sizeof path, &err), 0);
    dev_path(want, sizeof want, "ttyUSB1");
    CHECK_STR(path, want);
    CHECK_EQ(aser__discover_resolve_usb("10C4:EA60", path, sizeof path, &err), 0);
    dev_path(want, sizeof want, "ttyUSB10");
    CHECK_STR(path, want);
    CHECK_EQ(aser__discover_resolve_usb("2341:43", path, sizeof path, NULL), 0);
    dev_path(want, sizeof want, "ttyACM0");
    CHECK_STR(path, want);
}

TEST(usb, resolve_no_match)
{
    SKIP_UNLESS_LINUX("usb: URLs (USB identity from sysfs)");
    char path[PATH_MAX];
    aser_err err = {0};
    use_fixture("lab");
    CHECK_EQ(aser__discover_resolve_usb("dead:beef", path, sizeof path, &err), ASER_ENOENT);
    CHECK_CONTAINS(err.msg, "usb:dead:beef");
    CHECK_CONTAINS(err.msg, "aserial list");
    CHECK_EQ(aser__discover_resolve_usb("0403:6001:NOPE", path, sizeof path, &err), ASER_ENOENT);
    CHECK_CONTAINS(err.msg, "A600XYZ, A700ABC"); /* the serials that are there */
    CHECK_EQ(aser__discover_resolve_usb("0403:6001", path, 5, &err), ASER_ERANGE);
}

TEST(usb, resolve_bad_spec)
{
    char path[64];
    aser_err err = {0};
    const char *bad[] = {"",           "0403",       "0403:",     ":6001",     "xyz:6001",
                         "12345:6001", "0403:6001:", "0403:60g1", "0403 :6001"};
    use_fixture("lab");
    for (size_t i = 0; i < ASER_ARRAY_LEN(bad); i++) {
        memset(&err, 0, sizeof err);
        CHECKM(aser__discover_resolve_usb(bad[i], path, sizeof path, &err) == ASER_EBADURL,
               "spec \"%s\" accepted", bad[i]);
        CHECK_CONTAINS(err.msg, "usb:VID:PID[:SERIAL]");
    }
    CHECK_EQ(aser__discover_resolve_usb(NULL, path, sizeof path, &err), ASER_EBADURL);
}

/* ---- broken trees -------------------------------------------------------- */

TEST(broken, truncated_and_unreadable_files)
{
    SKIP_UNLESS_LINUX("sysfs discovery (attribute reads on fixture trees of /sys)");
    char tmp[PATH_MAX], p[PATH_MAX];
    aser_port_info *l;
    size_t n;
    use_copy("ftdi-ft232r", tmp, sizeof tmp);
    put(tmp, USB1 "/1-1/idVendor", "");    /* emptied */
    put(tmp, USB1 "/1-1/idProduct", "60"); /* truncated: still a number */
    put(tmp, USB1 "/1-1/busnum", "zz\n");  /* garbage */
    at_path(p, sizeof p, tmp, USB1 "/1-1/serial");
    CHECK(unlink(p) == 0);
    CHECK(mkfifo(p, 0600) == 0); /* would block a naive read */
    at_path(p, sizeof p, tmp, USB1 "/1-1/manufacturer");
    CHECK(unlink(p) == 0);
    CHECK(mkdir(p, 0755) == 0); /* EISDIR */
    at_path(p, sizeof p, tmp, USB1 "/1-1/1-1:1.0/bInterfaceNumber");
    CHECK(chmod(p, 0) == 0); /* unreadable unless root */
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 1);
    CHECK_STR(l[0].name, "ttyUSB0");
    CHECK_EQ(l[0].vid, -1);
    CHECK_EQ(l[0].pid, 0x60);
    CHECK(l[0].serial_number == NULL);
    CHECK(l[0].manufacturer == NULL);
    CHECK_STR(l[0].product, "FT232R USB UART");
    CHECK_STR(l[0].hwid, "USB LOCATION=1-1:1.0");
    CHECK_EQ(l[0].usb_interface, geteuid() == 0 ? 0 : -1); /* root reads mode 000 */
    aser_port_info_free_list(l, n);
    rm_tree(tmp);
}

static int empty_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    return type == FTW_F && truncate(path, 0) < 0 ? -1 : 0;
}

static int fifo_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type != FTW_F || !S_ISREG(st->st_mode)) return 0;
    return unlink(path) < 0 || mkfifo(path, 0600) < 0 ? -1 : 0;
}

/* Apply fn to every file under tmp/sys (symlinks not followed). */
typedef int nftw_fn(const char *, const struct stat *, int, struct FTW *);
static void each_sys_file(const char *tmp, nftw_fn *fn)
{
    char sys[PATH_MAX];
    at_path(sys, sizeof sys, tmp, "sys");
    CHECK(nftw(sys, fn, 16, FTW_PHYS) == 0);
}

TEST(broken, every_attribute_emptied_then_fifo)
{
    SKIP_UNLESS_LINUX("sysfs discovery (attribute reads on fixture trees of /sys)");
    char tmp[PATH_MAX];
    aser_port_info *l;
    size_t n;
    use_copy("lab", tmp, sizeof tmp);
    each_sys_file(tmp, empty_file);
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 6); /* the placeholder's type is unreadable now: kept */
    for (size_t i = 0; i < n; i++) {
        CHECK(l[i].name && l[i].device && l[i].description);
        CHECK_EQ(l[i].vid, -1);
        CHECK(l[i].serial_number == NULL);
    }
    CHECK_STR(by_name(l, n, "ttyUSB10")->driver, "cp210x"); /* links survive */
    aser_port_info_free_list(l, n);
    each_sys_file(tmp, fifo_file);
    CHECK_EQ(aser_list_ports(&l, &n, ASER_LIST_ALL), 0);
    CHECK_EQ(n, 6);
    aser_port_info_free_list(l, n);
    rm_tree(tmp);
}

TEST(broken, huge_attribute_is_cut)
{
    SKIP_UNLESS_LINUX("sysfs discovery (attribute reads on fixture trees of /sys)");
    char tmp[PATH_MAX];
    aser_port_info *l;
    size_t n;
    use_copy("ftdi-ft232r", tmp, sizeof tmp);
    char *big = malloc(100000);
    CHECK(big != NULL);
    memset(big, 'x', 99999);
    big[99999] = '\0';
    put(tmp, USB1 "/1-1/product", big);
    free(big);
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 1);
    CHECK(strlen(l[0].product) < 1024);
    CHECK_EQ(l[0].product[0], 'x');
    aser_port_info_free_list(l, n);
    rm_tree(tmp);
}

TEST(broken, dangling_links_still_listed)
{
    SKIP_UNLESS_LINUX("sysfs discovery (attribute reads on fixture trees of /sys)");
    char tmp[PATH_MAX], p[PATH_MAX];
    aser_port_info *l;
    size_t n;
    use_copy("lab", tmp, sizeof tmp);
    /* ttyUSB0: driver and subsystem links dangle; its USB shape remains */
    link_at(tmp, USB1 "/1-1/1-1:1.0/ttyUSB0/subsystem", "../../../nowhere");
    link_at(tmp, USB1 "/1-1/1-1:1.0/ttyUSB0/driver", "../../../nowhere");
    link_at(tmp, USB1 "/1-1/1-1:1.0/driver", "../nowhere");
    /* ttyUSB1: its device link is gone; ttyUSB2: class link dangles */
    at_path(p, sizeof p, tmp, USB1 "/1-2/1-2:1.0/ttyUSB1/tty/ttyUSB1/device");
    CHECK(unlink(p) == 0);
    link_at(tmp, "sys/class/tty/ttyUSB2", "../../devices/gone/tty/ttyUSB2");
    /* by-id dir holds a regular file and a loop of links */
    put(tmp, "dev/serial/by-id/not-a-link", "x");
    link_at(tmp, "dev/serial/by-id/loop", "loop");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 3); /* ttyACM0, ttyUSB0, ttyUSB10 */
    const aser_port_info *u0 = by_name(l, n, "ttyUSB0");
    CHECK_EQ(u0->vid, 0x0403);
    CHECK_STR(u0->subsystem, "usb");
    CHECK(u0->driver == NULL);
    CHECK_CONTAINS(u0->by_id, "A600XYZ");
    aser_port_info_free_list(l, n);
    rm_tree(tmp);
}

TEST(broken, invalid_type_file_is_not_a_placeholder)
{
    SKIP_UNLESS_LINUX("sysfs discovery (attribute reads on fixture trees of /sys)");
    char tmp[PATH_MAX];
    aser_port_info *l;
    size_t n;
    use_copy("serial8250", tmp, sizeof tmp);
    put(tmp, "sys/devices/platform/serial8250/tty/ttyS2/type", "");
    put(tmp, "sys/devices/platform/serial8250/tty/ttyS3/type", "4\n");
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, 2); /* unreadable type: kept, real UART type: kept */
    CHECK_STR(l[0].name, "ttyS2");
    CHECK_STR(l[1].name, "ttyS3");
    aser_port_info_free_list(l, n);
    rm_tree(tmp);
}

/* ---- hotplug ------------------------------------------------------------ */

typedef struct hp_log {
    int adds, removes;
    char add_name[32], remove_name[32], remove_serial[32];
    int add_vid;
    bool stop_in_cb;
} hp_log;

static void on_hotplug(aser_hotplug *h, aser_hotplug_event ev, const aser_port_info *info,
                       void *ctx)
{
    hp_log *log = ctx;
    if (ev == ASER_HOTPLUG_ADD) {
        log->adds++;
        snprintf(log->add_name, sizeof log->add_name, "%s", info->name);
        log->add_vid = info->vid;
    } else {
        CHECK_EQ(ev, ASER_HOTPLUG_REMOVE);
        log->removes++;
        snprintf(log->remove_name, sizeof log->remove_name, "%s", info->name);
        snprintf(log->remove_serial, sizeof log->remove_serial, "%s",
                 info->serial_number ? info->serial_number : "");
    }
    if (log->stop_in_cb) aser_hotplug_stop(h);
}

/* Run the loop until *count reaches want or ms pass. */
static void run_until(aser_loop *loop, const int *count, int want, unsigned ms)
{
    uint64_t end = at_now_ms() + ms;
    while (*count < want && at_now_ms() < end) CHECK(aser_loop_run_once(loop, 20) >= 0);
}

/* Add a CH340 as ttyUSB7 on port 1-9 of the temp tree. */
static void plug_ch340(const char *root)
{
    put(root, USB1 "/1-9/idVendor", "1a86\n");
    put(root, USB1 "/1-9/idProduct", "7523\n");
    put(root, USB1 "/1-9/product", "USB Serial\n");
    put(root, USB1 "/1-9/1-9:1.0/bInterfaceNumber", "00\n");
    link_at(root, USB1 "/1-9/1-9:1.0/ttyUSB7/subsystem", "../../../../../../../bus/usb-serial");
    link_at(root, USB1 "/1-9/1-9:1.0/ttyUSB7/tty/ttyUSB7/device", "../../../ttyUSB7");
    link_at(root, "sys/class/tty/ttyUSB7",
            "../../devices/pci0000:00/0000:00:14.0/usb1/1-9/1-9:1.0/ttyUSB7/tty/ttyUSB7");
    put(root, "dev/ttyUSB7", "");
}

TEST_T(hotplug, add_and_remove_on_fixture_tree, 20)
{
    SKIP_UNLESS_LINUX("inotify hotplug with USB identity (the timer rescan has its own test)");
    char tmp[PATH_MAX], p[PATH_MAX];
    aser_loop *loop;
    aser_hotplug *h;
    hp_log log = {0};
    use_copy("ftdi-ft232r", tmp, sizeof tmp);
    CHECK_EQ(aser_loop_new(&loop), 0);
    CHECK_EQ(aser_hotplug_start(loop, on_hotplug, &log, &h), 0);
    run_until(loop, &log.adds, 1, 200); /* present ports are not reported */
    CHECK_EQ(log.adds + log.removes, 0);

    plug_ch340(tmp);
    run_until(loop, &log.adds, 1, 5000);
    CHECK_EQ(log.adds, 1);
    CHECK_STR(log.add_name, "ttyUSB7");
    CHECK_EQ(log.add_vid, 0x1a86);

    /* unplug the FTDI: node, class link and device dir go */
    at_path(p, sizeof p, tmp, "dev/ttyUSB0");
    CHECK(unlink(p) == 0);
    at_path(p, sizeof p, tmp, "sys/class/tty/ttyUSB0");
    CHECK(unlink(p) == 0);
    at_path(p, sizeof p, tmp, USB1 "/1-1");
    rm_tree(p);
    run_until(loop, &log.removes, 1, 5000);
    CHECK_EQ(log.removes, 1);
    CHECK_STR(log.remove_name, "ttyUSB0");
    CHECK_STR(log.remove_serial, "A600XYZ"); /* the info it had */
    CHECK_EQ(log.adds, 1);

    aser_hotplug_stop(h);
    CHECK_EQ(aser_loop_free(loop), 0);
    rm_tree(tmp);
}

TEST_T(hotplug, stop_inside_callback, 20)
{
    char tmp[PATH_MAX];
    aser_loop *loop;
    aser_hotplug *h;
    hp_log log = {.stop_in_cb = true};
    use_copy("ftdi-ft232r", tmp, sizeof tmp);
    CHECK_EQ(aser_loop_new(&loop), 0);
    CHECK_EQ(aser_hotplug_start(loop, on_hotplug, &log, &h), 0);
    plug_ch340(tmp);
    CHECK_EQ(aser_loop_run(loop), 0); /* returns once the watcher is gone */
    CHECK_EQ(log.adds, 1);
    CHECK_EQ(aser_loop_free(loop), 0);
    rm_tree(tmp);
}

TEST(hotplug, bad_arguments_and_missing_dev_root)
{
    aser_loop *loop;
    aser_hotplug *h = (aser_hotplug *)1;
    hp_log log = {0};
    CHECK_EQ(aser_loop_new(&loop), 0);
    CHECK_EQ(aser_hotplug_start(NULL, on_hotplug, &log, &h), ASER_EINVAL);
    CHECK(h == NULL);
    CHECK_EQ(aser_hotplug_start(loop, NULL, &log, &h), ASER_EINVAL);
    CHECK_EQ(aser_hotplug_start(loop, on_hotplug, &log, NULL), ASER_EINVAL);
    setenv("ASERIAL_DEV_ROOT", "/nonexistent/aserial/dev", 1);
    CHECK_EQ(aser_hotplug_start(loop, on_hotplug, &log, &h), ASER_ENOENT);
    aser_hotplug_stop(NULL);
    CHECK_EQ(aser_loop_free(loop), 0);
    CHECK_STR(aser_hotplug_event_name(ASER_HOTPLUG_ADD), "add");
    CHECK_STR(aser_hotplug_event_name(ASER_HOTPLUG_REMOVE), "remove");
}

TEST(hotplug, real_roots_start_and_stop)
{
    aser_loop *loop;
    aser_hotplug *h;
    hp_log log = {0};
    unsetenv("ASERIAL_SYSFS_ROOT");
    unsetenv("ASERIAL_DEV_ROOT");
    CHECK_EQ(aser_loop_new(&loop), 0);
    CHECK_EQ(aser_hotplug_start(loop, on_hotplug, &log, &h), 0); /* netlink if allowed */
    CHECK_EQ(aser_loop_run_once(loop, 50) >= 0, 1);
    aser_hotplug_stop(h);
    CHECK_EQ(aser_loop_free(loop), 0);
}

/* os/devwatch.h alone, under the hotplug watcher: Linux tells of a node
 * made in the watched directory and fails for a missing one; the portable
 * build has nothing to tell (the watcher rescans on a timer). */
TEST(devwatch, a_new_node_is_told)
{
    char tmp[] = "/tmp/aser-devwatch-XXXXXX";
    CHECK(mkdtemp(tmp) != NULL);
    aser_devwatch w;
    int rc = aser__devwatch_open(&w, tmp, NULL, false);
#ifdef ASER_OS_POSIX
    CHECK_EQ(rc, ASER_ENOTSUP);
    CHECK(w.fd[0] < 0 && w.fd[1] < 0);
#else
    CHECK_EQ(rc, 0);
    CHECK(w.fd[0] >= 0);
    CHECK(w.fd[1] < 0); /* no uevents asked for */
    char node[PATH_MAX];
    CHECK((size_t)snprintf(node, sizeof node, "%s/ttyUSB7", tmp) < sizeof node);
    int fd = open(node, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    close(fd);
    struct pollfd pfd = {.fd = w.fd[0], .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, 5000), 1); /* the event itself; 5 s only bounds a hang */
    CHECK(aser__devwatch_drain(&w, 0));
    CHECK_EQ(poll(&pfd, 1, 0), 0); /* drained */
    aser__devwatch_close(&w);
    CHECK(w.fd[0] < 0 && w.fd[1] < 0);
    CHECK_EQ(aser__devwatch_open(&w, "/nonexistent/aserial/dev", NULL, false), ASER_ENOENT);
    CHECK(w.fd[0] < 0 && w.fd[1] < 0); /* nothing left open */
#endif
    rm_tree(tmp);
}

TEST(real, list_this_machine)
{
    aser_port_info *l;
    size_t n;
    unsetenv("ASERIAL_SYSFS_ROOT");
    unsetenv("ASERIAL_DEV_ROOT");
    int rc = aser_list_ports(&l, &n, ASER_LIST_ALL);
    if (rc == ASER_ENOENT || rc == ASER_EACCES) return; /* no sysfs in this sandbox */
    CHECK_EQ(rc, 0);
    for (size_t i = 0; i < n; i++) {
        CHECK(l[i].device && l[i].name && l[i].description);
        at_log("%s  %s  %s", l[i].device, l[i].description, l[i].hwid ? l[i].hwid : "-");
    }
    aser_port_info_free_list(l, n);
}

/* ---- the portable build: /dev scan and timer hotplug -------------------- */

/* A /dev root of plain files named as macOS, FreeBSD and Linux name their
 * ports, with names that are not ports beside them. */
static void make_dev_root(char *tmp, size_t cap)
{
    static const char *const names[] = {"cu.usbserial-A600XYZ",
                                        "tty.usbserial-A600XYZ",
                                        "tty.usbmodem14101",
                                        "cu.Bluetooth-Incoming-Port",
                                        "ttyU0",
                                        "ttyU0.init",
                                        "ttyU0.lock",
                                        "cuaU0",
                                        "ttyUSB3",
                                        "ttyACM0",
                                        "ttyS10",
                                        "ttyS2",
                                        "null",
                                        "tty0",
                                        "ttyp0",
                                        "console"};
    snprintf(tmp, cap, "/tmp/aser-devscan-XXXXXX");
    CHECK(mkdtemp(tmp) != NULL);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) put(tmp, names[i], "");
    char p[PATH_MAX];
    at_path(p, sizeof p, tmp, "ttyUSB9"); /* a directory is never a port */
    CHECK(mkdir(p, 0755) == 0);
    CHECK(setenv("ASERIAL_DEV_ROOT", tmp, 1) == 0);
}

static const char *const devscan_expected[] = {"cu.Bluetooth-Incoming-Port",
                                               "cu.usbserial-A600XYZ",
                                               "cuaU0",
                                               "ttyACM0",
                                               "ttyS2",
                                               "ttyS10",
                                               "ttyU0",
                                               "ttyUSB3",
                                               "tty.usbmodem14101",
                                               "tty.usbserial-A600XYZ"};

/* Runs in both builds: devscan.c is compiled in both. */
TEST(devscan, names_of_every_system_in_a_dev_root)
{
    char tmp[PATH_MAX];
    make_dev_root(tmp, sizeof tmp);
    aser_roots r;
    CHECK_EQ(aser__roots_get(&r), 0);
    aser_port_info *l;
    size_t n;
    CHECK_EQ(aser__devscan(&r, &l, &n, NULL), 0);
    CHECK_EQ(n, sizeof devscan_expected / sizeof devscan_expected[0]);
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (size_t j = 0; j < n; j++) known |= strcmp(l[i].name, devscan_expected[j]) == 0;
        CHECKM(known, "%s listed", l[i].name);
        char want[PATH_MAX];
        at_path(want, sizeof want, tmp, l[i].name);
        CHECK_STR(l[i].device, want);
        CHECK_STR(l[i].description, l[i].name);
        CHECK_EQ(l[i].vid, -1);
        CHECK_EQ(l[i].pid, -1);
        CHECK(l[i].serial_number == NULL && l[i].hwid == NULL);
    }
    aser_port_info_free_list(l, n);
    CHECK(!aser__devscan_name_matches("ttyU0.init"));
    CHECK(aser__devscan_name_matches("cuau1"));
    rm_tree(tmp);
}

TEST(devscan, list_ports_sorted_from_the_dev_root)
{
    SKIP_UNLESS_PORTABLE("aser_list_ports() by /dev scan");
    char tmp[PATH_MAX];
    make_dev_root(tmp, sizeof tmp);
    aser_port_info *l;
    size_t n;
    CHECK_EQ(aser_list_ports(&l, &n, 0), 0);
    CHECK_EQ(n, sizeof devscan_expected / sizeof devscan_expected[0]);
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (size_t j = 0; j < n; j++) known |= strcmp(l[i].name, devscan_expected[j]) == 0;
        CHECKM(known, "%s listed", l[i].name);
        if (i > 0)
            CHECKM(aser__name_cmp(l[i - 1].name, l[i].name) < 0, "%s before %s", l[i - 1].name,
                   l[i].name);
    }
    CHECK(aser__name_cmp("ttyS2", "ttyS10") < 0); /* natural order, as on Linux */
    aser_port_info_free_list(l, n);
    setenv("ASERIAL_DEV_ROOT", "/nonexistent/aserial/dev", 1);
    aser_err e = {0};
    aser_roots r;
    CHECK_EQ(aser__roots_get(&r), 0);
    CHECK_EQ(aser__list(&r, 0, &l, &n, &e), ASER_ENOENT);
    CHECK_CONTAINS(e.msg, "/nonexistent/aserial/dev");
    CHECK_CONTAINS(e.msg, "ASERIAL_DEV_ROOT");
    rm_tree(tmp);
}

TEST(devscan, usb_url_says_the_platform_cannot)
{
    SKIP_UNLESS_PORTABLE("usb: refused for want of USB identity");
    char tmp[PATH_MAX], path[PATH_MAX];
    make_dev_root(tmp, sizeof tmp);
    aser_err e = {0};
    CHECK_EQ(aser__discover_resolve_usb("0403:6001", path, sizeof path, &e), ASER_ENOTSUP);
    CHECK_CONTAINS(e.msg, "usb:0403:6001");
    CHECK_CONTAINS(e.msg, "portable build");
    CHECK_CONTAINS(e.msg, "open the device path instead");
    CHECK_EQ(aser__discover_resolve_usb("zz", path, sizeof path, &e), ASER_EBADURL);
    rm_tree(tmp);
}

TEST_T(hotplug, timer_rescan_add_remove_and_stop_in_callback, 20)
{
    SKIP_UNLESS_PORTABLE("hotplug by timer rescan");
    char tmp[PATH_MAX], p[PATH_MAX];
    aser_loop *loop;
    aser_hotplug *h;
    hp_log log = {0};
    make_dev_root(tmp, sizeof tmp);
    CHECK(setenv("ASERIAL_HOTPLUG_POLL_MS", "50", 1) == 0);
    CHECK_EQ(aser_loop_new(&loop), 0);
    CHECK_EQ(aser_hotplug_start(loop, on_hotplug, &log, &h), 0);
    run_until(loop, &log.adds, 1, 300); /* present ports are not reported */
    CHECK_EQ(log.adds + log.removes, 0);
    put(tmp, "cu.usbmodem2101", "");
    put(tmp, "not-a-port", "");
    uint64_t t0 = at_now_ms();
    run_until(loop, &log.adds, 1, 5000);
    CHECK_EQ(log.adds, 1);
    CHECK_STR(log.add_name, "cu.usbmodem2101");
    CHECK_EQ(log.add_vid, -1);
    CHECKM(at_now_ms() - t0 < 1000, "seen after %llu ms (poll 50 ms)",
           (unsigned long long)(at_now_ms() - t0));
    at_path(p, sizeof p, tmp, "ttyUSB3");
    CHECK(unlink(p) == 0);
    run_until(loop, &log.removes, 1, 5000);
    CHECK_EQ(log.removes, 1);
    CHECK_STR(log.remove_name, "ttyUSB3");
    CHECK_EQ(log.adds, 1);
    aser_hotplug_stop(h);
    /* stopped inside its callback: aser_loop_run returns once it is gone */
    log = (hp_log){.stop_in_cb = true};
    CHECK_EQ(aser_hotplug_start(loop, on_hotplug, &log, &h), 0);
    put(tmp, "ttyACM7", "");
    CHECK_EQ(aser_loop_run(loop), 0);
    CHECK_EQ(log.adds, 1);
    CHECK_EQ(aser_loop_free(loop), 0);
    rm_tree(tmp);
}
