#!/bin/sh
# test-list-cli.sh: `aserial list` on every fixture tree.
#
#   sh test/discover/test-list-cli.sh path/to/aserial
#
# For each fixture: the JSON must pass `python3 -m json.tool`, and its key
# fields must hold what the fixture describes. Also: --all, the table,
# unknown options (exit 2), a broken tree with bytes that are not UTF-8,
# and --watch seeing a port come and go. Exits non-zero on any failure.
set -u

aserial=${1:?usage: test-list-cli.sh path/to/aserial}
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/fixtures"
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/aser-list-cli-XXXXXX) || exit 1
watch_pid=
trap '[ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }

# run ROOT ARGS...: aserial with the fixture roots, stdout to $tmp/out
run() {
    root=$1
    shift
    ASERIAL_SYSFS_ROOT="$root/sys" ASERIAL_DEV_ROOT="$root/dev" \
        "$aserial" "$@" >"$tmp/out" 2>"$tmp/err"
}

# The portable build (-Dplatform=posix) has no sysfs: the fixture trees
# below describe Linux. It lists by name from the /dev root and hotplugs by
# rescanning on a timer; those are checked here instead, then we stop.
if [ "${ASER_PLATFORM:-linux}" = posix ]; then
    echo "# portable build: the sysfs fixture cases are Linux-only (skipped)"
    dev="$tmp/pdev"
    mkdir -p "$dev/serial"
    for n in cu.usbserial-A1 tty.usbmodem14101 ttyU0 ttyU0.init cuaU0 ttyUSB3 ttyS2 null tty0; do
        : >"$dev/$n"
    done
    if ASERIAL_DEV_ROOT="$dev" "$aserial" list --json >"$tmp/out" 2>"$tmp/err" &&
        "$py" - "$tmp/out" "$dev" <<'EOF2'; then
import json, sys
ports = json.load(open(sys.argv[1], encoding="utf-8"))
names = [p["name"] for p in ports]
assert sorted(names) == sorted(["cu.usbserial-A1", "tty.usbmodem14101", "ttyU0", "cuaU0",
                                "ttyUSB3", "ttyS2"]), names
for p in ports:
    assert p["device"] == sys.argv[2] + "/" + p["name"], p
    assert p["vid"] is None and p["pid"] is None and p["serial_number"] is None, p
EOF2
        ok "portable: list --json from a /dev root of plain files"
    else
        not_ok "portable: list --json: $(cat "$tmp/out" "$tmp/err" | head -n 5)"
    fi
    ASERIAL_DEV_ROOT="$dev" timeout 10 "$aserial" query usb:0403:6001 x >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ] && grep -q "portable build" "$tmp/out" &&
        grep -q "open the device path instead" "$tmp/out"; then
        ok "portable: usb: URL refused, saying why and what to do"
    else
        not_ok "portable: usb: URL: exit $rc, $(cat "$tmp/out")"
    fi
    ASERIAL_DEV_ROOT="$dev" ASERIAL_HOTPLUG_POLL_MS=100 \
        "$aserial" list --watch --json >"$tmp/watch.out" 2>"$tmp/watch.err" &
    watch_pid=$!
    for _ in $(seq 50); do grep -q watching "$tmp/watch.err" && break; sleep 0.2; done
    rm -f "$dev/ttyUSB3"
    for _ in $(seq 50); do grep -q '"remove"' "$tmp/watch.out" && break; sleep 0.2; done
    : >"$dev/cu.usbmodem2101"
    for _ in $(seq 50); do grep -q '"add"' "$tmp/watch.out" && break; sleep 0.2; done
    kill -INT "$watch_pid"
    wait "$watch_pid"
    rc=$?
    watch_pid=
    if [ "$rc" -eq 0 ] && "$py" - "$tmp/watch.out" <<'EOF2'; then
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
present = [e["name"] for e in ev if e["event"] == "present"]  # printed first
assert present == ["cu.usbserial-A1", "cuaU0", "tty.usbmodem14101", "ttyS2", "ttyU0",
                   "ttyUSB3"], ev
assert [(e["event"], e["name"]) for e in ev[len(present):]] == [("remove", "ttyUSB3"),
                                                                ("add", "cu.usbmodem2101")], ev
EOF2
        ok "portable: list --watch sees a port go and come (timer rescan)"
    else
        not_ok "portable: --watch: exit $rc, $(cat "$tmp/watch.out" "$tmp/watch.err" | head -n 5)"
    fi
    echo "# $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
fi

# check FIXTURE: python assertions on $tmp/out for that fixture
check() {
    "$py" - "$1" "$tmp/out" <<'EOF'
import json, sys
name, path = sys.argv[1], sys.argv[2]
ports = json.load(open(path, encoding="utf-8"))
keys = ["device", "name", "description", "hwid", "vid", "pid", "serial_number",
        "manufacturer", "product", "location", "interface", "driver", "subsystem",
        "by_id", "by_path"]
for p in ports:
    assert sorted(p) == sorted(keys), ("fields", sorted(p))
    for k in ("vid", "pid"):
        v = p[k]
        assert v is None or (len(v) == 4 and v == v.lower() and int(v, 16) >= 0), (k, v)
    assert p["device"].endswith("/dev/" + p["name"]), p["device"]
    assert p["interface"] is None or isinstance(p["interface"], int)
by = {p["name"]: p for p in ports}
def want(tty, **kv):
    assert tty in by, (tty, sorted(by))
    for k, v in kv.items():
        assert by[tty][k] == v, (tty, k, by[tty][k], v)
n = len(ports)
if name == "ftdi-ft232r":
    assert n == 1
    want("ttyUSB0", vid="0403", pid="6001", serial_number="A600XYZ", interface=0,
         manufacturer="FTDI", product="FT232R USB UART", location="1-1:1.0",
         driver="ftdi_sio", subsystem="usb",
         hwid="USB VID:PID=0403:6001 SER=A600XYZ LOCATION=1-1:1.0")
    assert by["ttyUSB0"]["by_id"].endswith("/serial/by-id/usb-FTDI_FT232R_USB_UART_A600XYZ-if00-port0")
elif name == "ftdi-ft4232h":
    assert n == 4
    for i in range(4):
        want("ttyUSB%d" % i, vid="0403", pid="6011", interface=i, location="1-2:1.%d" % i)
elif name == "prolific-pl2303":
    want("ttyUSB0", vid="067b", pid="2303", serial_number=None, driver="pl2303")
elif name == "silabs-cp210x":
    want("ttyUSB0", vid="10c4", pid="ea60", serial_number="0001",
         description="CP2102 USB to UART Bridge Controller")
elif name == "wch-ch340":
    want("ttyUSB0", vid="1a86", pid="7523", manufacturer=None, by_id=None, driver="ch341")
elif name == "cdc-acm":
    assert n == 2
    want("ttyACM0", interface=0, driver="cdc_acm", vid="0483", pid="5740")
    want("ttyACM1", interface=2, description="Dual Virtual COM Port - CDC Port B")
elif name == "pci-uart":
    assert n == 1
    want("ttyS4", vid=None, pid=None, interface=None, subsystem="pci", driver="serial",
         hwid="PCI VID:PID=8086:A13D LOCATION=0000:00:16.3")
elif name == "pci-uart--all":
    assert n == 5
elif name == "serial8250":
    assert n == 0
elif name == "serial8250--all":
    assert n == 4
    want("ttyS0", driver="serial8250", subsystem="platform")
elif name == "bluetooth-rfcomm":
    want("rfcomm0", subsystem="bluetooth", hwid=None, driver=None, description="rfcomm0")
elif name == "lab":
    assert [p["name"] for p in ports] == ["ttyACM0", "ttyUSB0", "ttyUSB1", "ttyUSB2", "ttyUSB10"]
elif name == "broken":
    want("ttyUSB0", vid=None, pid="6001")
    assert "\ufffd" in by["ttyUSB0"]["product"] and "\t" in by["ttyUSB0"]["product"]
else:
    raise SystemExit("no expectations for " + name)
EOF
}

# json_case LABEL ROOT ARGS...
json_case() {
    label=$1
    root=$2
    shift 2
    if ! run "$root" list --json "$@"; then
        not_ok "$label: exit status $? ($(cat "$tmp/err"))"
    elif ! "$py" -m json.tool "$tmp/out" >/dev/null; then
        not_ok "$label: python3 -m json.tool rejects the output"
    elif ! check "$label" >"$tmp/py" 2>&1; then
        not_ok "$label: $(tail -n 1 "$tmp/py")"
    else
        ok "$label: json"
    fi
}

for dir in "$fixtures"/*/; do
    name=$(basename "$dir")
    json_case "$name" "$fixtures/$name"
done
json_case pci-uart--all "$fixtures/pci-uart" --all
json_case serial8250--all "$fixtures/serial8250" -a

# A broken copy: emptied idVendor, product with a tab and bytes not UTF-8.
cp -a "$fixtures/ftdi-ft232r" "$tmp/broken"
usb="$tmp/broken/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1"
: >"$usb/idVendor"
printf 'bad\t\377\300 "quoted" \\ \001end\n' >"$usb/product"
json_case broken "$tmp/broken"

# Device strings with terminal escapes (a clear screen, a window title,
# a carriage return, a C1 CSI): the table shows them escaped, never raw.
cp -a "$fixtures/ftdi-ft232r" "$tmp/esc"
usb="$tmp/esc/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1"
printf 'evil\033[2J\033]0;pwned\007\rX\302\233Y\\\n' >"$usb/product"
printf 'Mfr\033[31m\n' >"$usb/manufacturer"
printf 'S\033[8m1\n' >"$usb/serial"
if run "$tmp/esc" list -v && ! LC_ALL=C grep -q "$(printf '[\033\007\r]')" "$tmp/out" &&
    ! LC_ALL=C grep -q "$(printf '\302\233')" "$tmp/out" &&
    grep -qF 'evil\x1b[2J\x1b]0;pwned' "$tmp/out" && grep -qF 'X\u009bY\' "$tmp/out" &&
    grep -qF 'Mfr\x1b[31m' "$tmp/out" && grep -qF 'S\x1b[8m1' "$tmp/out"; then
    ok "table -v: terminal escapes in device strings are shown escaped"
else
    not_ok "table -v escapes: $(od -c "$tmp/out" | head -n 20)"
fi
if run "$tmp/esc" list --json && "$py" -c 'import json,sys; p=json.load(open(sys.argv[1]))[0]; assert "\x1b[2J" in p["product"], p' "$tmp/out"; then
    ok "json: the same strings, JSON-escaped, unchanged"
else
    not_ok "json escapes: $(cat "$tmp/out" "$tmp/err" | head -n 5)"
fi

# The table, verbose.
if run "$fixtures/lab" list -v && grep -q 'ttyUSB10 *10c4:ea60 *0001' "$tmp/out" &&
    grep -q 'driver *ftdi_sio' "$tmp/out"; then
    ok "table -v"
else
    not_ok "table -v: $(head -n 3 "$tmp/out")"
fi

# Unknown options: a message and exit 2.
run "$fixtures/lab" list --frobnicate
rc=$?
if [ "$rc" -eq 2 ] && grep -q "unknown option --frobnicate; see aserial help list" "$tmp/err"; then
    ok "unknown option exits 2"
else
    not_ok "unknown option: exit $rc, stderr: $(cat "$tmp/err")"
fi

# --watch: a port comes, a port goes, SIGINT ends it with status 0.
cp -a "$fixtures/ftdi-ft4232h" "$tmp/watch"
ASERIAL_SYSFS_ROOT="$tmp/watch/sys" ASERIAL_DEV_ROOT="$tmp/watch/dev" \
    "$aserial" list --watch --json >"$tmp/watch.out" 2>"$tmp/watch.err" &
watch_pid=$!
# wait_for PATTERN FILE: up to 10 s
wait_for() {
    for _ in $(seq 50); do
        grep -q "$1" "$2" && return 0
        sleep 0.2
    done
    return 1
}
wait_for watching "$tmp/watch.err" # the watcher has its first list
mv "$tmp/watch/sys/class/tty/ttyUSB3" "$tmp/ttyUSB3.link"
rm -f "$tmp/watch/dev/ttyUSB3"
wait_for '"remove"' "$tmp/watch.out"
mv "$tmp/ttyUSB3.link" "$tmp/watch/sys/class/tty/ttyUSB3"
: >"$tmp/watch/dev/ttyUSB3"
wait_for '"add"' "$tmp/watch.out"
kill -INT "$watch_pid"
wait "$watch_pid"
rc=$?
watch_pid=
if [ "$rc" -eq 0 ] && "$py" - "$tmp/watch.out" <<'EOF'; then
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
present = [e["name"] for e in ev if e["event"] == "present"]  # printed first
assert [e["event"] for e in ev[:len(present)]] == ["present"] * len(present), ev
assert sorted(present) == ["ttyUSB0", "ttyUSB1", "ttyUSB2", "ttyUSB3"], present
ev = ev[len(present):]
assert [(e["event"], e["name"]) for e in ev] == [("remove", "ttyUSB3"), ("add", "ttyUSB3")], ev
assert ev[0]["interface"] == 3 and ev[0]["serial_number"] == "FT4XYZ", ev[0]
EOF
    ok "watch: the ports present first, then remove and add, SIGINT exits 0"
else
    not_ok "watch: exit $rc, output: $(cat "$tmp/watch.out") $(cat "$tmp/watch.err")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
