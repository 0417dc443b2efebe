#!/bin/sh
# run.sh: the windows suite (issue 11). Runs the Windows build's programs
# (build-win/, `make windows`) under Wine against Linux peers, as one TAP
# stream. Usage: run.sh BUILD_WIN_DIR LINUX_ASERIAL [PYTHON]   (test/meson.build)
#
# - One Wine prefix for every run: BUILD_WIN_DIR/wineprefix, made once
#   (wineboot -i, ~10 s) under a lock; WINEDEBUG=-all; no Mono or Gecko.
# - Every program and peer runs in the background and is stopped by signal
#   after its own time limit (stop_started, tap-lib.sh): TERM to the
#   command, never to a `timeout` wrapper.
# - At the end, whatever happens: `wineserver -k` (its state dump on stderr
#   goes to a file, not the log) and a wait until it is gone, so no
#   wineserver outlives the suite.
# - COM ports (W-com): wine_com_link N PATH maps COMN to a Unix path (a
#   pseudo-terminal from `aserial pair`) through WINEPREFIX/dosdevices;
#   run_prog runs one more program.
# - aserial term (W-term): in pipe mode, and in Wine's console on a Unix
#   terminal in a private tmux server (TERM_TM, killed at the end).
set -u
BW=${1:?usage: run.sh BUILD_WIN_DIR LINUX_ASERIAL [PYTHON]}
LINUX_A=${2:-}
PY=${3:-/usr/bin/python3}
. "$(dirname "$0")/../tap-lib.sh"
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

WINE=$(command -v wine64 2>/dev/null || echo /usr/lib/wine/wine64)
WINESERVER=$(command -v wineserver 2>/dev/null || echo /usr/lib/wine/wineserver)
if [ ! -x "$WINE" ] || [ ! -x "$WINESERVER" ]; then
    echo "1..0 # SKIP wine64 is not installed (scripts/deps.sh windows, then make windows)"
    exit 0
fi
if [ ! -f "$BW/tools/aserial/aserial.exe" ] || [ ! -f "$BW/test/win/test-win-loop.exe" ]; then
    echo "1..0 # SKIP no Windows build in $BW: run make windows"
    exit 0
fi

# made after the SKIPs above, which would leave it behind
T=$(mktemp -d "${TMPDIR:-/tmp}/aser-win.XXXXXX")
export WINEPREFIX="$(cd "$BW" && pwd)/wineprefix"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
TIME_MULT=${ASER_TEST_TIMEOUT_MULT:-1}

# The wineserver of our prefix: the one whose working directory is the
# server directory Wine derives from the prefix's device and inode.
our_wineservers() {
    d=$(stat -c %d "$WINEPREFIX" 2>/dev/null) || return 0
    ino=$(stat -c %i "$WINEPREFIX")
    dir=$(printf "server-%x-%x" "$d" "$ino")
    for p in $(pgrep -u "$(id -u)" wineserver 2>/dev/null); do
        cwd=$(readlink "/proc/$p/cwd" 2>/dev/null)
        [ "${cwd##*/}" = "$dir" ] && echo "$p"
    done
}

finish() {
    [ -n "${TERM_TM:-}" ] && $TERM_TM kill-server 2>/dev/null # aserial.exe term's tmux
    stop_started
    "$WINESERVER" -k >"$T/wineserver-k.log" 2>&1
    i=0
    while [ -n "$(our_wineservers)" ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    for p in $(our_wineservers); do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap finish EXIT
trap 'exit 1' INT TERM

# The prefix: once, under a lock (two suites may start together).
# (system.reg appears only when the wineserver saves the registry at exit.)
prefix_ok() { [ -d "$WINEPREFIX/drive_c/windows/system32" ] && [ -d "$WINEPREFIX/dosdevices" ]; }
if ! prefix_ok; then
    (
        flock -w 120 9 || exit 1
        prefix_ok || "$WINE" wineboot -i >"$T/wineboot.log" 2>&1
    ) 9>"$BW/wineprefix.lock"
fi
check "a Wine prefix in $WINEPREFIX" prefix_ok

# Map COMn to a Unix path (a tty: Wine opens it as a serial port).
wine_com_link() {
    ln -sfn "$2" "$WINEPREFIX/dosdevices/com$1"
}

# Start CMD... in the background with output to $T/NAME.out; wait up to
# SECS for it to end; stop it by signal if it does not. Sets rc.
bg_wait() {
    name=$1 secs=$2
    shift 2
    "$@" >"$T/$name.out" 2>"$T/$name.err" &
    pid=$!
    PIDS="$PIDS $pid"
    lim=$((secs * 10 * TIME_MULT))
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt "$lim" ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        sleep 1
        kill -KILL "$pid" 2>/dev/null
        echo "# $name: stopped after $secs s" >>"$T/$name.err"
    fi
    wait "$pid"
    rc=$?
}

wait_line() { # FILE PATTERN: up to 10 s
    i=0
    while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

# Run a Windows TAP program; its results become ours, prefixed with NAME.
run_prog() {
    name=$1 secs=$2
    shift 2
    bg_wait "$name" "$secs" "$WINE" "$@"
    merge_tap "$name"
}

# The TAP in $T/NAME.out (of a program bg_wait ran, status in rc) becomes
# ours: each result renumbered and prefixed with NAME, comments kept, and
# one more result for its exit status and plan.
merge_tap() {
    name=$1
    planned=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$T/$name.out" | tail -1)
    seen=0
    while IFS= read -r line; do
        case "$line" in
            "ok "*) seen=$((seen + 1)); ok "$name: ${line#ok * - }" ;;
            "not ok "*) seen=$((seen + 1)); nok "$name: ${line#not ok * - }" ;;
            "#"*) echo "$line" ;;
        esac
    done <"$T/$name.out"
    if [ "$rc" = 0 ] && [ -n "$planned" ] && [ "$planned" = "$seen" ]; then
        ok "$name: exited 0 after its $planned tests"
    else
        nok "$name: exit status $rc, plan ${planned:-missing}, $seen tests seen"
        sed 's/^/#   /' "$T/$name.err" | head -20
    fi
}

# The DLL: it exports exactly the functions aserial.h and aserial/testing.h
# mark ASER_API (the adapters' are not in it on Windows), and a program
# linked to it runs with only the DLL beside it.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OBJDUMP=$(command -v x86_64-w64-mingw32-objdump || true)
if [ -n "$OBJDUMP" ]; then
    "$OBJDUMP" -p "$BW/libaserial-0.dll" |
        sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | grep -o 'aser_[a-z_0-9]*' | sort >"$T/dll.txt"
    grep -ho 'ASER_API[^(]*(' "$SRC/include/aserial.h" "$SRC/include/aserial/testing.h" |
        grep -o 'aser_[a-z_0-9]*($' | tr -d '(' | sort >"$T/hdr.txt"
    check "libaserial-0.dll exports exactly the ASER_API functions ($(wc -l <"$T/hdr.txt"))" \
        "[ -s '$T/hdr.txt' ] && cmp -s '$T/dll.txt' '$T/hdr.txt'"
    diff "$T/dll.txt" "$T/hdr.txt" | sed 's/^/#   /' | head -10
else
    nok "x86_64-w64-mingw32-objdump not found (gcc-mingw-w64-x86-64)"
fi
mkdir -p "$T/dll"
cp "$BW/libaserial-0.dll" "$BW/test/win/test-win-dll.exe" "$T/dll/"
run_prog dll 60 "$T/dll/test-win-dll.exe"

run_prog loop 60 "$BW/test/win/test-win-loop.exe"
run_prog mock 60 "$BW/test/win/test-win-mock.exe"

# A Linux echo server for tcp://: socat, forking one cat per client.
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ECHO=$(free_port)
socat TCP-LISTEN:"$ECHO",bind=127.0.0.1,reuseaddr,fork EXEC:cat >/dev/null 2>&1 &
PIDS="$PIDS $!"
i=0
while ! "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $ECHO), 1)" 2>/dev/null &&
    [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
run_prog net 60 "$BW/test/win/test-win-net.exe" "$ECHO"

# The CLI.
EXE="$BW/tools/aserial/aserial.exe"
bg_wait version 30 "$WINE" "$EXE" --version
check "aserial.exe --version" "[ \$rc = 0 ] && grep -q '^aserial [0-9]' '$T/version.out'"
bg_wait help 30 "$WINE" "$EXE" help
check "aserial.exe help: no pair on Windows, term there" \
    "[ \$rc = 0 ] && grep -q 'pair. is not available' '$T/help.out' && ! grep -q '^  pair' '$T/help.out' && grep -q '^  term' '$T/help.out'"
bg_wait query 30 "$WINE" "$EXE" query "tcp://127.0.0.1:$ECHO" '*IDN?' --timeout 5000
check "aserial.exe query tcp://... prints the reply (the echo)" \
    "[ \$rc = 0 ] && tr -d '\r' <'$T/query.out' | grep -qx '\\*IDN?'"

bg_wait list 30 "$WINE" "$EXE" list --json
check "aserial.exe list --json prints a JSON array" \
    "[ \$rc = 0 ] && '$PY' -c 'import json,sys; assert isinstance(json.load(open(sys.argv[1])), list)' '$T/list.out'"

# sim on tcp-listen:// (the accept path), queried by the Linux aserial;
# Ctrl-C (Wine turns SIGINT into a console Ctrl-C event) stops it cleanly.
# bridge between the echo (tcp://) and tcp-listen://, used the same way.
if [ -n "$LINUX_A" ] && [ -x "$LINUX_A" ]; then
    SIMP=$(free_port)
    "$WINE" "$EXE" sim "tcp-listen://127.0.0.1:$SIMP" --reply '*IDN?=WINE,SIM,1' \
        >"$T/wsim.out" 2>&1 &
    WSIM=$!
    PIDS="$PIDS $WSIM"
    wait_line "$T/wsim.out" answering
    bg_wait lquery 30 "$LINUX_A" query "tcp://127.0.0.1:$SIMP" '*IDN?' --timeout 5000
    check "aserial.exe sim on tcp-listen:// answers the Linux aserial query" \
        "[ \$rc = 0 ] && grep -qx 'WINE,SIM,1' '$T/lquery.out'"
    kill -INT "$WSIM"
    i=0
    while kill -0 "$WSIM" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    wait "$WSIM" 2>/dev/null
    rc=$?
    check "Ctrl-C (SIGINT under Wine) stops aserial.exe sim with status 0" "[ \$rc = 0 ]"

    BP=$(free_port)
    "$WINE" "$EXE" bridge "tcp://127.0.0.1:$ECHO" "tcp-listen://127.0.0.1:$BP" \
        >"$T/bridge.out" 2>&1 &
    PIDS="$PIDS $!"
    wait_line "$T/bridge.out" "waits for a client"
    bg_wait bquery 30 "$LINUX_A" query "tcp://127.0.0.1:$BP" 'over the bridge' --timeout 5000
    check "aserial.exe bridge tcp:// <-> tcp-listen:// carries a Linux query to the echo and back" \
        "[ \$rc = 0 ] && grep -qx 'over the bridge' '$T/bquery.out'"
fi

# The web console from aserial.exe serve --web: the page, /exports, and
# bytes both ways through /ws/NAME (Python's websockets) to the echo.
WP=$(free_port)
RP=$(free_port)
"$WINE" "$EXE" serve "tcp://127.0.0.1:$ECHO" --listen "127.0.0.1:$RP" --raw \
    --web "127.0.0.1:$WP" --name echo >"$T/webserve.out" 2>&1 &
PIDS="$PIDS $!"
wait_line "$T/webserve.out" "websocket"
cat >"$T/web.py" <<'EOF'
import asyncio, json, sys, urllib.request
base = "http://127.0.0.1:%s" % sys.argv[1]
page = urllib.request.urlopen(base + "/", timeout=5).read()
assert page.startswith(b"<!DOCTYPE html"), page[:40]
ex = json.load(urllib.request.urlopen(base + "/exports", timeout=5))
assert [e["name"] for e in ex] == ["echo"], ex
import websockets
async def go():
    async with websockets.connect("ws://127.0.0.1:%s/ws/echo" % sys.argv[1]) as w:
        await w.send(b"through the console\n")
        got = b""
        while not got.endswith(b"\n"):
            m = await asyncio.wait_for(w.recv(), 5)
            if isinstance(m, bytes):
                got += m
        assert got == b"through the console\n", got
asyncio.run(go())
print("web ok")
EOF
bg_wait web 30 "$PY" "$T/web.py" "$WP"
check "aserial.exe serve --web: the console page, /exports, a WebSocket round trip" \
    "[ \$rc = 0 ] && grep -q 'web ok' '$T/web.out'"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/web.err" | tail -5

# Linux peers for the instruments: `aserial pair` (two pseudo-terminals,
# links in $T) with `aserial sim` on one end. linux_pair NAME makes
# $T/NAMEa and $T/NAMEb; linux_sim PATH runs the instrument on PATH.
# (W-com: wine_com_link 5 "$(readlink -f "$T/NAMEb")" puts COM5 on the other end.)
linux_pair() {
    "$LINUX_A" pair "$T/$1a" "$T/$1b" >"$T/$1.paths" 2>&1 &
    PIDS="$PIDS $!"
    i=0
    while { [ ! -L "$T/$1a" ] || [ ! -L "$T/$1b" ]; } && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
}
linux_sim() {
    "$LINUX_A" sim "$1" --reply '*IDN?=ACME,WINSIM,11' --eol '\n' >"$T/sim.log" 2>&1 &
    PIDS="$PIDS $!"
    sleep 0.2
}

# wine_com_link itself: COM7 on a Linux pseudo-terminal carries what cmd
# writes to it to the pair's other end.
if [ -n "$LINUX_A" ] && [ -x "$LINUX_A" ]; then
    linux_pair c
    wine_com_link 7 "$(readlink -f "$T/cb")"
    cat >"$T/readline.py" <<'EOF'
import os, sys, termios, tty, select
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NOCTTY)
tty.setraw(fd)
buf = b""
while not buf.endswith(b"\n") and select.select([fd], [], [], 10)[0]:
    buf += os.read(fd, 64)
print(buf.decode(errors="replace").strip())
EOF
    "$PY" "$T/readline.py" "$T/ca" >"$T/com7.out" 2>&1 &
    RD=$!
    PIDS="$PIDS $RD"
    sleep 0.3
    bg_wait com7 30 "$WINE" cmd /c "echo hello-com7> COM7"
    i=0
    while kill -0 "$RD" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    check "wine_com_link: COM7 on a Linux pseudo-terminal carries cmd's echo" \
        "grep -qx 'hello-com7' '$T/com7.out'"
    rm -f "$WINEPREFIX/dosdevices/com7"
fi

# aserial.exe serve --rfc2217, used by Linux pyserial through an rfc2217://
# URL. What it serves is an rfc2217:// port: the Linux `aserial serve` of a
# pseudo-terminal with `aserial sim` on the far end, so pyserial's settings
# (57600) travel Linux -> Windows server -> Windows client -> Linux server
# -> pseudo-terminal, and the instrument's reply comes back the same way.
if [ -n "$LINUX_A" ] && [ -x "$LINUX_A" ]; then
    linux_pair i
    linux_sim "$T/ia"
    LP=$(free_port)
    "$LINUX_A" serve "$T/ib" --listen "127.0.0.1:$LP" --rfc2217 >"$T/lserve.out" 2>&1 &
    PIDS="$PIDS $!"
    wait_line "$T/lserve.out" serving
    SP=$(free_port)
    "$WINE" "$EXE" serve "rfc2217://127.0.0.1:$LP" --listen "127.0.0.1:$SP" --rfc2217 \
        >"$T/serve.out" 2>"$T/serve.err" &
    SERVE=$!
    PIDS="$PIDS $SERVE"
    wait_line "$T/serve.out" serving
    # The speed of the Linux pty while pyserial is connected, then once it
    # left: the export's own settings come back (issue 25), waited for.
    cat >"$T/client.py" <<'EOF'
import subprocess, sys, time, serial
def speed():
    out = subprocess.run(["stty", "-F", sys.argv[2]], capture_output=True, text=True).stdout
    return out.split(";")[0].strip()
s = serial.serial_for_url("rfc2217://127.0.0.1:%s" % sys.argv[1], baudrate=57600, timeout=5)
s.write(b"*IDN?\n")
line = s.readline()
print("reply:", line)
print("connected:", speed())
s.close()
end = time.time() + 10
while speed() != "speed 115200 baud" and time.time() < end:
    time.sleep(0.05)
print("left:", speed())
sys.exit(0 if line.strip() == b"ACME,WINSIM,11" else 1)
EOF
    bg_wait pyserial 30 "$PY" "$T/client.py" "$SP" "$T/ib"
    check "Linux pyserial through aserial.exe serve --rfc2217 (57600 accepted, *IDN? answered)" \
        "[ \$rc = 0 ]"
    [ "$rc" = 0 ] || sed 's/^/#   /' "$T/pyserial.out" "$T/pyserial.err" "$T/serve.err" | head -30
    check "the 57600 set by pyserial reached the Linux pseudo-terminal" \
        "grep -qx 'connected: speed 57600 baud' '$T/pyserial.out'"
    check "pyserial gone, aserial.exe serve put its 115200 back, down the chain to the pty" \
        "grep -qx 'left: speed 115200 baud' '$T/pyserial.out'"
    grep -q '^left: speed 115200' "$T/pyserial.out" || sed 's/^/#   /' "$T/pyserial.out"
else
    nok "Linux aserial not given: serve chain not run"
fi

# COM ports through the library (W-int): COM5..COM14 on one end of Linux
# `aserial pair`s. COM5's far end is the Linux `aserial sim`; COM6..COM14's
# are com-peer.py (it answers lines, reports the termios speed of the COM
# side, and kills COM14's pair on request: the pulled cable).
if [ -n "$LINUX_A" ] && [ -x "$LINUX_A" ]; then
    PEERS=""
    for k in 5 6 7 8 9 10 11 12 13 14; do
        linux_pair "k$k"
        kpid=$!
        wine_com_link "$k" "$(readlink -f "$T/k${k}b")"
        [ "$k" = 5 ] || PEERS="$PEERS $T/k${k}a:$(readlink -f "$T/k${k}b"):$kpid"
    done
    linux_sim "$T/k5a"
    # shellcheck disable=SC2086 # one argument per port
    "$PY" "$(dirname "$0")/com-peer.py" $PEERS >"$T/peer.out" 2>"$T/peer.err" &
    PIDS="$PIDS $!"
    wait_line "$T/peer.out" ready
    check "com-peer.py answers on COM6..COM14's far ends" "grep -qx ready '$T/peer.out'"

    run_prog com 60 "$BW/test/win/test-win-com.exe"
    [ -s "$T/peer.err" ] && sed 's/^/# com-peer: /' "$T/peer.err" | tail -5

    bg_wait qcom 30 "$WINE" "$EXE" query COM5 '*IDN?' --timeout 5000
    check "aserial.exe query COM5 \"*IDN?\" prints the Linux sim's reply" \
        "[ \$rc = 0 ] && tr -d '\r' <'$T/qcom.out' | grep -qx 'ACME,WINSIM,11'"
    [ "$rc" = 0 ] || sed 's/^/#   /' "$T/qcom.out" "$T/qcom.err" | head -10

    # Discovery under Wine: SERIALCOMM has the COM1 that Wine's mount
    # manager made at boot; links added to dosdevices later open by name
    # but are listed nowhere (SetupAPI lists nothing), so the USB fields
    # cannot be exercised here.
    bg_wait lcom 30 "$WINE" "$EXE" list --json
    cat >"$T/lcom.py" <<'PYEOF'
import json, sys
ports = json.load(open(sys.argv[1]))
names = [p["device"] for p in ports]
print("# aserial.exe list --json under Wine:", names)
assert "COM1" in names, names
assert all(p["interface"] is None and p["vid"] is None for p in ports), ports
assert "COM5" not in names and "COM6" not in names, names
PYEOF
    check "aserial.exe list --json lists what Wine reports (COM1 from SERIALCOMM)" \
        "[ \$rc = 0 ] && '$PY' '$T/lcom.py' '$T/lcom.out' >'$T/lcom.py.out' 2>&1"
    cat "$T/lcom.py.out"
    echo "# the pty-mapped COM5..COM14 are not listed: Wine 8 puts a dosdevices link made"
    echo "# after boot in neither SERIALCOMM nor SetupAPI (they open by name all the same)"

    # aserial.exe serve COM5 --rfc2217, used by Linux pyserial: bytes both
    # ways (the sim's reply), and pyserial's baud rates reaching the
    # pseudo-terminal's termios through RFC 2217 and SetCommState.
    SP=$(free_port)
    "$WINE" "$EXE" serve COM5 --listen "127.0.0.1:$SP" --rfc2217 \
        >"$T/serve5.out" 2>"$T/serve5.err" &
    SERVE5=$!
    PIDS="$PIDS $SERVE5"
    wait_line "$T/serve5.out" serving
    cat >"$T/client5.py" <<'PYEOF'
import os, sys, termios, time, serial
SPEEDS = {getattr(termios, n): int(n[1:]) for n in dir(termios)
          if n.startswith("B") and n[1:].isdigit()}
def speed(path):
    fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        return SPEEDS.get(termios.tcgetattr(fd)[5], -1)
    finally:
        os.close(fd)
def wait_speed(path, want):
    end = time.time() + 3
    while speed(path) != want and time.time() < end:
        time.sleep(0.05)
    return speed(path)
s = serial.serial_for_url("rfc2217://127.0.0.1:%s" % sys.argv[1], baudrate=9600, timeout=5)
s9600 = wait_speed(sys.argv[2], 9600)
s.write(b"*IDN?\n")
line = s.readline()
s.baudrate = 57600
s57600 = wait_speed(sys.argv[2], 57600)
s.write(b"*IDN?\n")
line2 = s.readline()
s.close()
print("reply:", line, line2, "termios speeds:", s9600, s57600)
good = line.strip() == line2.strip() == b"ACME,WINSIM,11"
sys.exit(0 if good and (s9600, s57600) == (9600, 57600) else 1)
PYEOF
    bg_wait pyserial5 30 "$PY" "$T/client5.py" "$SP" "$(readlink -f "$T/k5b")"
    check "Linux pyserial through aserial.exe serve COM5 --rfc2217: *IDN? answered both ways, 9600 then 57600 from pyserial in the pty's termios" \
        "[ \$rc = 0 ]"
    sed 's/^/#   /' "$T/pyserial5.out" | head -3
    [ "$rc" = 0 ] || sed 's/^/#   /' "$T/pyserial5.err" "$T/serve5.err" | head -30
    # Ctrl-C lets COM5 go (the probe below opens it again)
    kill -INT "$SERVE5" 2>/dev/null
    i=0
    while kill -0 "$SERVE5" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    wait "$SERVE5" 2>/dev/null
    rc=$?
    check "Ctrl-C stops aserial.exe serve COM5 with status 0 (it lets COM5 go)" "[ \$rc = 0 ]"

    # aserial.exe term COM5 (the Linux sim on the far end). Pipe mode:
    # standard input from a pipe (a fifo: a real pipe, EOF when the
    # writer closes), then from a regular file; the reply on standard
    # output, status 0 at the end of input, nothing on standard error.
    printf '*IDN?\r' >"$T/treq"
    mkfifo "$T/tfifo"
    term_pipe() { # NAME ARGS...: stdin from the fifo, written then closed
        tname=$1
        shift
        "$WINE" "$EXE" term COM5 "$@" <"$T/tfifo" >"$T/$tname.out" 2>"$T/$tname.err" &
        tpid=$!
        PIDS="$PIDS $tpid"
        cat "$T/treq" >"$T/tfifo"
        wait_gone "$tpid" 30
    }
    wait_gone() { # PID SECS: wait for it to end, else stop it; sets rc
        i=0
        while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 10 * TIME_MULT)) ]; do
            sleep 0.1
            i=$((i + 1))
        done
        if kill -0 "$1" 2>/dev/null; then
            kill -TERM "$1" 2>/dev/null
            sleep 1
            kill -KILL "$1" 2>/dev/null
        fi
        wait "$1" 2>/dev/null
        rc=$?
    }
    term_pipe tpipe --linger 300
    check "printf '*IDN?' CR | aserial.exe term COM5 --linger 300: the reply, status 0, stderr empty" \
        "[ \$rc = 0 ] && [ \"\$(tr -d '\\r' <'$T/tpipe.out')\" = 'ACME,WINSIM,11' ] && [ ! -s '$T/tpipe.err' ]"
    [ "$rc" = 0 ] || sed 's/^/#   /' "$T/tpipe.out" "$T/tpipe.err" | head -10
    term_pipe thex --linger 300 -x
    check "aserial.exe term COM5 -x in a pipe: the reply in hex" \
        "grep -q '^41 43 4d 45 2c 57 49 4e 53 49 4d 2c 31 31 0a' '$T/thex.out'"
    bg_wait tfile 30 sh -c "exec \"\$0\" \"\$1\" term COM5 --linger 300 <'$T/treq'" "$WINE" "$EXE"
    check "aserial.exe term COM5 <FILE (a regular file): the reply, status 0" \
        "[ \$rc = 0 ] && [ \"\$(tr -d '\\r' <'$T/tfile.out')\" = 'ACME,WINSIM,11' ]"
    # Ctrl-C (SIGINT, a console Ctrl-C event under Wine) while standard
    # input is still open: the session stops, status 130 (as SIGINT on
    # Linux), at once although the reading thread is blocked in ReadFile.
    sleep 30 >"$T/tfifo" &
    HOLD=$!
    PIDS="$PIDS $HOLD"
    "$WINE" "$EXE" term COM5 <"$T/tfifo" >"$T/tint.out" 2>"$T/tint.err" &
    tpid=$!
    PIDS="$PIDS $tpid"
    sleep 2
    kill -INT "$tpid" 2>/dev/null
    t0=$(date +%s)
    wait_gone "$tpid" 10
    t1=$(date +%s)
    kill -TERM "$HOLD" 2>/dev/null
    check "Ctrl-C stops aserial.exe term in a pipe with status 130, input still open ($((t1 - t0)) s)" \
        "[ \$rc = 130 ] && [ $((t1 - t0)) -le 3 ]"

    # The console: aserial.exe term COM5 in a tmux pane (Wine's console on
    # a Unix terminal). Keys, the escape key's commands, Ctrl-T q, the
    # terminal's settings after (stty -g); with --echo -x what each key
    # sends: Ctrl-C is a key (0x03), arrows and Escape the VT sequences,
    # UTF-8, Backspace DEL.
    if command -v tmux >/dev/null; then
        TERM_TM="tmux -L aser-wterm-$$"
        $TERM_TM new-session -d -s keep "sleep 600"
        screen() { $TERM_TM capture-pane -p -J -t term >"$T/screen" 2>/dev/null; cat "$T/screen"; }
        shows() { # PATTERN: up to 15 s
            i=0
            while ! screen | grep -q -- "$1" && [ $i -lt $((150 * TIME_MULT)) ]; do
                sleep 0.1
                i=$((i + 1))
            done
        }
        # The settings once the console has let go of the terminal: Wine's
        # console can restore them a moment after wine64 returns, so wait
        # (up to 5 s) for them to match the ones before; a terminal left
        # changed still fails the check.
        settled_stty() {
            printf '%s' "i=0; while [ \"\$(stty -g)\" != \"\$(cat '$T/stty.before')\" ] && [ \$i -lt $((50 * TIME_MULT)) ]; do sleep 0.1; i=\$((i + 1)); done; stty -g"
        }
        start_wterm() {
            rm -f "$T/stty.before" "$T/stty.after" "$T/trc"
            $TERM_TM new-session -d -s term -x 160 -y 40 \
                "stty -g >'$T/stty.before'; WINEPREFIX='$WINEPREFIX' '$WINE' '$EXE' term COM5 $*; echo \$? >'$T/trc'; $(settled_stty) >'$T/stty.after'; sleep 60"
            shows "connected to COM5"
        }
        quit_wterm() {
            $TERM_TM send-keys -t term C-t q
            i=0
            while [ ! -s "$T/stty.after" ] && [ $i -lt $((100 * TIME_MULT)) ]; do
                sleep 0.1
                i=$((i + 1))
            done
        }
        start_wterm
        check "aserial.exe term COM5 in a console: the banner" "grep -q 'connected to COM5 (COM5); Ctrl-T ? for help' '$T/screen'"
        $TERM_TM send-keys -t term '*IDN?' Enter
        shows "^ACME,WINSIM,11"
        check "console: typing *IDN? and Enter shows the reply" "grep -q '^ACME,WINSIM,11' '$T/screen'"
        $TERM_TM send-keys -t term C-t '?'
        shows "toggle DTR"
        check "console: Ctrl-T ? shows the help" "grep -q 'q quit' '$T/screen'"
        $TERM_TM send-keys -t term C-t s
        shows "RX 15, TX 6 bytes"
        check "console: Ctrl-T s shows the settings and the counters" \
            "grep -q '115200,8N1; RX 15, TX 6 bytes' '$T/screen'"
        quit_wterm
        check "console: Ctrl-T q quits with status 0" "[ \"\$(cat '$T/trc' 2>/dev/null)\" = 0 ]"
        check "console: the terminal's settings (stty -g) are as before" \
            "[ -s '$T/stty.before' ] && cmp -s '$T/stty.before' '$T/stty.after'"
        cmp -s "$T/stty.before" "$T/stty.after" || sed 's/^/#   stty: /' "$T/stty.before" "$T/stty.after"
        [ -s "$T/trc" ] || screen | sed 's/^/#   /' | grep -v '^#   $' | head -20
        $TERM_TM kill-session -t term 2>/dev/null

        # Each key once its predecessor's bytes are on the screen (an
        # event, not a pause: a lone Escape shows once the console has
        # told it from the start of a sequence).
        start_wterm --echo -x
        want=""
        for kv in "C-c:03" "Up:1b 5b 41" "Escape:1b" "é:c3 a9" "BSpace:7f"; do
            want="${want:+$want }${kv#*:}"
            $TERM_TM send-keys -t term "${kv%%:*}"
            shows "^$want"
        done
        check "console: Ctrl-C, Up, Escape, é, Backspace send 03, 1b 5b 41, 1b, c3 a9, 7f" \
            "grep -q '^03 1b 5b 41 1b c3 a9 7f' '$T/screen'"
        grep -q '^03 1b 5b 41 1b c3 a9 7f' "$T/screen" || sed 's/^/#   /' "$T/screen" | grep -v '^#   $' | head -20
        quit_wterm
        check "console: Ctrl-C did not stop it (Ctrl-T q: status 0)" "[ \"\$(cat '$T/trc' 2>/dev/null)\" = 0 ]"
        [ -s "$T/trc" ] || screen | sed 's/^/#   /' | grep -v '^#   $' | head -20
        $TERM_TM kill-server 2>/dev/null
        TERM_TM=""
    else
        ok "# SKIP tmux is not installed: aserial.exe term in a console not run"
    fi
    for k in 5 6 7 8 9 10 11 12 13 14; do rm -f "$WINEPREFIX/dosdevices/com$k"; done
fi

# W-com's Win32-level probe: com-test.exe (os/win/comm.c and the discovery
# internals, no loop) driven step by step by com/driver.py on pseudo-
# terminals of its own (COM5 again, now free): names, settings in termios,
# overlapped I/O, empty completions while a write drains, a missing port,
# two openers, the far side closing, capabilities, WaitCommEvent, what
# discovery sees, USB id parsing. Its "# fact:" lines are what
# test/win/com/README.md quotes.
if [ -f "$BW/test/win/com-test.exe" ]; then
    bg_wait comfacts 90 env WINE="$WINE" EXE="$BW/test/win/com-test.exe" \
        "$PY" "$SRC/test/win/com/driver.py"
    merge_tap comfacts
    rm -f "$WINEPREFIX/dosdevices/com5"
else
    nok "com-test.exe missing from $BW (make windows)"
fi

stop_started
PIDS=""
echo "1..$n"
[ "$failed" = 0 ]
