#!/bin/sh
# Install the Debian packages aserial needs to build, test, demo and bench.
# Idempotent: installs only what is missing; runs `apt-get update` at most
# once per invocation, and only when something has to be installed.
# Usage: scripts/deps.sh [build|check|fuzz|bench|format|windows|all]   (default: check)
#   build   compile, install and run the demo (make, make demo, make soak);
#           binutils (nm, readelf: the export test) comes with build-essential,
#           pkg-config also serves the consumer test
#   check   build + what the whole test suite runs (make check, make deps),
#           windows included
#   windows build + the mingw-w64 cross compiler and Wine (make windows,
#           make check-windows: wine64 runs the Windows test programs)
#   fuzz    build + clang and its libFuzzer runtime (make fuzz)
#   bench   check + the benchmark peers and tools (make bench)
#   format  clang-format (make format, make format-check)
#   all     everything above
set -eu

want="${1:-check}"

build_pkgs="build-essential meson ninja-build pkg-config libuv1-dev libevent-dev libssl-dev"
fuzz_pkgs="$build_pkgs clang libclang-rt-14-dev"
# check: real peers for the interop tests (socat, ser2net, gensiot, pyserial,
# python3-websockets; headless chromium driven by python3-websocket for the
# web console test, libjs-xterm for the console's /vendor/xterm.js),
# libmodbus's RTU server for the Modbus example; the mosquitto broker, its
# mosquitto_sub/_pub and paho-mqtt as the MQTT peers, libmosquitto-dev for
# the gateway and mqtt:// (docs/mqtt.md)), clang + its runtime for
# libFuzzer, python3 for the test drivers.
check_pkgs="$fuzz_pkgs procps socat ser2net gensio-bin python3 python3-serial man-db groff-base
            python3-websockets openssl python3-websocket chromium libjs-xterm
            python3-serial-asyncio libmodbus-dev tio picocom tmux
            mosquitto mosquitto-clients libmosquitto-dev python3-paho-mqtt"
# check: the Python package (python/, docs/python.md): its headers, pytest
# with anyio's plugin (python3-anyio) under asyncio, uvloop and trio, and
# pytest-asyncio and pytest-timeout; meson-python, pip and venv for the
# pip-install path (pyproject.toml).
check_pkgs="$check_pkgs python3-dev python3-pytest python3-pytest-asyncio python3-pytest-timeout
            python3-anyio python3-trio python3-uvloop python3-sniffio python3-mesonpy
            python3-pip python3-venv"
# windows: the cross compiler for Windows x64 and wine64 to run its
# programs; socat, pyserial and the Linux build are the test peers.
windows_pkgs="gcc-mingw-w64-x86-64 wine64"
check_pkgs="$check_pkgs $windows_pkgs"
bench_pkgs="$check_pkgs libgensio-dev gnuplot-nox strace valgrind"
format_pkgs="clang-format"

case "$want" in
    build) pkgs="$build_pkgs" ;;
    check) pkgs="$check_pkgs" ;;
    fuzz) pkgs="$fuzz_pkgs" ;;
    bench) pkgs="$bench_pkgs" ;;
    format) pkgs="$format_pkgs" ;;
    windows) pkgs="$build_pkgs $windows_pkgs socat python3-serial" ;;
    all) pkgs="$bench_pkgs $format_pkgs" ;;
    *) echo "deps.sh: unknown set '$want' (use build, check, fuzz, bench, format, windows or all)" >&2
       exit 2 ;;
esac

# xterm.js for the console's browser test: Debian 12's libjs-xterm ships
# only a CommonJS stub (require("./public/Terminal")) that a browser cannot
# load, so the test also runs the console on xterm's own browser build from
# the npm registry, unpacked into a cache outside the tree (test/meson.build
# points ASERIAL_XTERM_DIR at it when it is there). Without npm or network
# the test still runs, on the plain-text view.
xterm_cache=/var/cache/aserial/xterm-3.8.1
fetch_xterm() {
    [ -f "$xterm_cache/package/dist/xterm.js" ] && return 0
    command -v npm >/dev/null 2>&1 || {
        echo "deps.sh: npm not found: the console test will use the plain-text view" >&2
        return 0
    }
    tmp=$(mktemp -d)
    if (cd "$tmp" && npm pack --silent xterm@3.8.1 >/dev/null 2>&1) &&
        mkdir -p "$xterm_cache" && tar -xzf "$tmp/xterm-3.8.1.tgz" -C "$xterm_cache"; then
        echo "deps.sh: xterm.js 3.8.1 (browser build) in $xterm_cache"
    else
        echo "deps.sh: could not fetch xterm@3.8.1 from npm: the console test will use" \
            "the plain-text view" >&2
    fi
    rm -rf "$tmp"
}
case "$want" in check|all) fetch_xterm ;; esac

missing=""
for p in $pkgs; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
    command -v sudo >/dev/null 2>&1 || {
        echo "deps.sh: missing packages:$missing; run as root or install them" >&2
        exit 1
    }
else
    SUDO=
fi

echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# ser2net's package starts a system service; keep it from running here.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
