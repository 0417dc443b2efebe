#!/bin/sh
# mkfixtures.sh: how test/discover/fixtures/ was made.
#
# Shell functions share variables: each helper uses names of its own.
#
# Each fixture is a pair of trees, <name>/sys and <name>/dev, laid out as the
# kernel lays out sysfs (class/tty/<tty> is a relative symlink into
# devices/..., subsystem and driver are relative symlinks into bus/...) and as
# udev lays out /dev/serial/by-id and by-path. Only the files the discovery
# code reads are present. Git cannot store device nodes, so /dev entries are
# empty regular files; the library accepts that when ASERIAL_DEV_ROOT is set.
#
# The generated trees are committed; rerun this script after changing it:
#   sh test/discover/mkfixtures.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out="$here/fixtures"
rm -rf "$out"
mkdir -p "$out"

PCI_USB=pci0000:00/0000:00:14.0/usb1    # the xHCI root hub, bus 1

# put FILE VALUE: write VALUE and a newline (as sysfs does). No VALUE: skip.
put() {
    [ -n "${2-}" ] || return 0
    mkdir -p "$(dirname "$1")"
    printf '%s\n' "$2" >"$1"
}

# lnrel TARGET LINK: a relative symlink LINK -> TARGET (both absolute paths).
lnrel() {
    mkdir -p "$(dirname "$2")"
    ln -sfn "$(realpath -m --relative-to="$(dirname "$2")" "$1")" "$2"
}

# keep DIR: make DIR exist in git (symlink targets must exist to resolve).
keep() {
    mkdir -p "$1"
    : >"$1/.keep"
}

# bus ROOT SUBSYSTEM [DRIVER]: sys/bus/SUBSYSTEM[/drivers/DRIVER]
bus() {
    if [ -n "${3-}" ]; then keep "$1/sys/bus/$2/drivers/$3"; else keep "$1/sys/bus/$2"; fi
}

# usb_dev ROOT DEV VID PID SERIAL MANUFACTURER PRODUCT
#   DEV is the kernel name of the device, "1-1" or "1-1.4" (bus-ports).
usb_dev() {
    usbd="$1/sys/devices/$PCI_USB/$2"
    put "$usbd/idVendor" "$3"
    put "$usbd/idProduct" "$4"
    put "$usbd/serial" "$5"
    put "$usbd/manufacturer" "$6"
    put "$usbd/product" "$7"
    put "$usbd/busnum" "${2%%-*}"
    put "$usbd/devpath" "${2#*-}"
    bus "$1" usb
    lnrel "$1/sys/bus/usb" "$usbd/subsystem"
}

# usb_if ROOT DEV IFNUM DRIVER [INTERFACE-STRING]: interface DEV:1.IFNUM
usb_if() {
    ifd="$1/sys/devices/$PCI_USB/$2/$2:1.$3"
    put "$ifd/bInterfaceNumber" "$(printf '%02x' "$3")"
    put "$ifd/interface" "${5-}"
    bus "$1" usb "$4"
    lnrel "$1/sys/bus/usb/drivers/$4" "$ifd/driver"
    lnrel "$1/sys/bus/usb" "$ifd/subsystem"
}

# tty_dir ROOT DEVICE-DIR TTY: DEVICE-DIR/tty/TTY, class link, device link
tty_dir() {
    ttyd="$2/tty/$3"
    mkdir -p "$ttyd"
    # the kernel writes it as ../../../<device>, not ../..
    ln -sfn "../../../$(basename "$2")" "$ttyd/device"
    lnrel "$ttyd" "$1/sys/class/tty/$3"
}

# usb_serial ROOT DEV IFNUM TTY DRIVER: a usb-serial port (ttyUSB*)
usb_serial() {
    portd="$1/sys/devices/$PCI_USB/$2/$2:1.$3/$4"
    bus "$1" usb-serial "$5"
    lnrel "$1/sys/bus/usb-serial/drivers/$5" "$portd/driver"
    lnrel "$1/sys/bus/usb-serial" "$portd/subsystem"
    tty_dir "$1" "$portd" "$4"
}

# acm ROOT DEV IFNUM TTY: a CDC-ACM tty, whose device is the interface
acm() {
    tty_dir "$1" "$1/sys/devices/$PCI_USB/$2/$2:1.$3" "$4"
}

# dev ROOT TTY [BY-ID [BY-PATH]]: the node and udev's links to it
dev() {
    mkdir -p "$1/dev"
    : >"$1/dev/$2"
    if [ -n "${3-}" ]; then lnrel "$1/dev/$2" "$1/dev/serial/by-id/$3"; fi
    if [ -n "${4-}" ]; then lnrel "$1/dev/$2" "$1/dev/serial/by-path/$4"; fi
}

# by_path DEV IFNUM: udev's by-path name for a port on bus 1
by_path() {
    echo "pci-0000:00:14.0-usb-0:${1#*-}:1.$2-port0"
}

# placeholders ROOT N...: serial8250 ports with no UART (type 0)
placeholders() {
    plat="$1/sys/devices/platform/serial8250"
    bus "$1" platform serial8250
    lnrel "$1/sys/bus/platform/drivers/serial8250" "$plat/driver"
    lnrel "$1/sys/bus/platform" "$plat/subsystem"
    root_=$1
    shift
    for n in "$@"; do
        tty_dir "$root_" "$plat" "ttyS$n"
        put "$plat/tty/ttyS$n/type" 0
        dev "$root_" "ttyS$n"
    done
}

# ---- FTDI FT232R: one port ------------------------------------------------
r="$out/ftdi-ft232r"
usb_dev "$r" 1-1 0403 6001 A600XYZ FTDI "FT232R USB UART"
usb_if "$r" 1-1 0 ftdi_sio
usb_serial "$r" 1-1 0 ttyUSB0 ftdi_sio
dev "$r" ttyUSB0 usb-FTDI_FT232R_USB_UART_A600XYZ-if00-port0 "$(by_path 1-1 0)"

# ---- FTDI FT4232H: four ports, one per interface ----------------------------
r="$out/ftdi-ft4232h"
usb_dev "$r" 1-2 0403 6011 FT4XYZ FTDI "Quad RS232-HS"
for i in 0 1 2 3; do
    usb_if "$r" 1-2 "$i" ftdi_sio
    usb_serial "$r" 1-2 "$i" "ttyUSB$i" ftdi_sio
    dev "$r" "ttyUSB$i" "usb-FTDI_Quad_RS232-HS_FT4XYZ-if0$i-port0" "$(by_path 1-2 "$i")"
done

# ---- Prolific PL2303: no serial number ------------------------------------
r="$out/prolific-pl2303"
usb_dev "$r" 1-3 067b 2303 "" "Prolific Technology Inc." "USB-Serial Controller"
usb_if "$r" 1-3 0 pl2303
usb_serial "$r" 1-3 0 ttyUSB0 pl2303
dev "$r" ttyUSB0 usb-Prolific_Technology_Inc._USB-Serial_Controller-if00-port0 \
    "$(by_path 1-3 0)"

# ---- Silicon Labs CP210x: interface string equal to the product ------------
r="$out/silabs-cp210x"
usb_dev "$r" 1-4 10c4 ea60 0001 "Silicon Labs" "CP2102 USB to UART Bridge Controller"
usb_if "$r" 1-4 0 cp210x "CP2102 USB to UART Bridge Controller"
usb_serial "$r" 1-4 0 ttyUSB0 cp210x
dev "$r" ttyUSB0 \
    usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0 \
    "$(by_path 1-4 0)"

# ---- WCH CH340: no manufacturer, no serial, behind a hub port (1-1.4) ------
r="$out/wch-ch340"
usb_dev "$r" 1-1.4 1a86 7523 "" "" "USB Serial"
usb_if "$r" 1-1.4 0 ch341
usb_serial "$r" 1-1.4 0 ttyUSB0 ch341
dev "$r" ttyUSB0 "" "$(by_path 1-1.4 0)"

# ---- CDC-ACM: two ACM functions on interfaces 0 and 2 ----------------------
r="$out/cdc-acm"
usb_dev "$r" 1-6 0483 5740 205F3A7B4E30 STMicroelectronics "Dual Virtual COM Port"
usb_if "$r" 1-6 0 cdc_acm "CDC Port A"
usb_if "$r" 1-6 2 cdc_acm "CDC Port B"
acm "$r" 1-6 0 ttyACM0
acm "$r" 1-6 2 ttyACM1
dev "$r" ttyACM0 usb-STMicroelectronics_Dual_Virtual_COM_Port_205F3A7B4E30-if00 \
    "$(by_path 1-6 0 | sed 's/-port0$//')"
dev "$r" ttyACM1 usb-STMicroelectronics_Dual_Virtual_COM_Port_205F3A7B4E30-if02 \
    "$(by_path 1-6 2 | sed 's/-port0$//')"

# ---- PCI UART: ttyS4 on a PCI device, serial-base layers (Linux >= 6.5) ----
r="$out/pci-uart"
pd="$r/sys/devices/pci0000:00/0000:00:16.3"
put "$pd/vendor" 0x8086
put "$pd/device" 0xa13d
bus "$r" pci serial
bus "$r" serial-base port
bus "$r" serial-base ctrl
lnrel "$r/sys/bus/pci/drivers/serial" "$pd/driver"
lnrel "$r/sys/bus/pci" "$pd/subsystem"
lnrel "$r/sys/bus/serial-base/drivers/ctrl" "$pd/0000:00:16.3:0/driver"
lnrel "$r/sys/bus/serial-base" "$pd/0000:00:16.3:0/subsystem"
lnrel "$r/sys/bus/serial-base/drivers/port" "$pd/0000:00:16.3:0/0000:00:16.3:0.0/driver"
lnrel "$r/sys/bus/serial-base" "$pd/0000:00:16.3:0/0000:00:16.3:0.0/subsystem"
tty_dir "$r" "$pd/0000:00:16.3:0/0000:00:16.3:0.0" ttyS4
put "$pd/0000:00:16.3:0/0000:00:16.3:0.0/tty/ttyS4/type" 4
dev "$r" ttyS4 "" pci-0000:00:16.3
placeholders "$r" 0 1 2 3

# ---- serial8250 placeholders only, plus a virtual console ------------------
r="$out/serial8250"
placeholders "$r" 0 1 2 3
mkdir -p "$r/sys/devices/virtual/tty/tty0"
lnrel "$r/sys/devices/virtual/tty/tty0" "$r/sys/class/tty/tty0"
: >"$r/sys/devices/virtual/tty/tty0/.keep"
: >"$r/dev/tty0"

# ---- Bluetooth RFCOMM: a virtual tty that is still a serial port ----------
r="$out/bluetooth-rfcomm"
mkdir -p "$r/sys/devices/virtual/tty/rfcomm0"
: >"$r/sys/devices/virtual/tty/rfcomm0/.keep"
lnrel "$r/sys/devices/virtual/tty/rfcomm0" "$r/sys/class/tty/rfcomm0"
dev "$r" rfcomm0

# ---- lab: several adapters at once, for filters and usb: lookups -----------
r="$out/lab"
usb_dev "$r" 1-1 0403 6001 A600XYZ FTDI "FT232R USB UART"
usb_if "$r" 1-1 0 ftdi_sio
usb_serial "$r" 1-1 0 ttyUSB0 ftdi_sio
dev "$r" ttyUSB0 usb-FTDI_FT232R_USB_UART_A600XYZ-if00-port0 "$(by_path 1-1 0)"
usb_dev "$r" 1-2 0403 6001 A700ABC FTDI "FT232R USB UART"
usb_if "$r" 1-2 0 ftdi_sio
usb_serial "$r" 1-2 0 ttyUSB1 ftdi_sio
dev "$r" ttyUSB1 usb-FTDI_FT232R_USB_UART_A700ABC-if00-port0 "$(by_path 1-2 0)"
usb_dev "$r" 1-3 1a86 7523 "" "" "USB Serial"
usb_if "$r" 1-3 0 ch341
usb_serial "$r" 1-3 0 ttyUSB2 ch341
dev "$r" ttyUSB2 "" "$(by_path 1-3 0)"
usb_dev "$r" 1-4 10c4 ea60 0001 "Silicon Labs" "CP2102 USB to UART Bridge Controller"
usb_if "$r" 1-4 0 cp210x "CP2102 USB to UART Bridge Controller"
usb_serial "$r" 1-4 0 ttyUSB10 cp210x
dev "$r" ttyUSB10 \
    usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0 \
    "$(by_path 1-4 0)"
usb_dev "$r" 1-5 2341 0043 85735313233351F0B1A2 "Arduino (www.arduino.cc)" ""
usb_if "$r" 1-5 0 cdc_acm
acm "$r" 1-5 0 ttyACM0
dev "$r" ttyACM0 usb-Arduino__www.arduino.cc__85735313233351F0B1A2-if00 \
    "pci-0000:00:14.0-usb-0:5:1.0"
placeholders "$r" 0

echo "fixtures written to $out"
