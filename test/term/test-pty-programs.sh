#!/bin/sh
# test-pty-programs.sh: legacy terminal programs on a pty: endpoint (TAP).
# Usage: test-pty-programs.sh AASERIAL
#   aserial pair (a, b); aserial sim on b answers *IDN?; aserial serve
#   --rfc2217 exports a; aserial bridge joins that server to pty:$T/x.
#   tio and picocom, driven through tmux, open $T/x: typing *IDN? + Enter
#   shows the reply, and the baud rate each sets reaches a's termios (so
#   it travelled pty -> bridge -> RFC 2217 -> server -> tty).
# Every command runs under timeout; everything started is stopped on exit.
set -u
A="$1"
HERE=$(cd "$(dirname "$0")" && pwd)
NAME=ptyprog
. "$HERE/term-lib.sh"
PANE=prog

echo "TAP version 13"
need tio picocom tmux
keep_tmux
start_pair
timeout 120 "$A" serve "$T/a" --listen 127.0.0.1:0 --rfc2217 >"$T/serve.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 'grep -q "serving" "$T/serve.log"' 50
port=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/serve.log" | head -n 1)
timeout 120 "$A" bridge "rfc2217://127.0.0.1:$port" "pty:$T/x" >"$T/bridge.log" 2>&1 &
PIDS="$PIDS $!"
wait_for '[ -L "$T/x" ]' 50
check "bridge makes pty:LINK and says where it is" '[ -L "$T/x" ] && grep -q "pseudo-terminal /dev/pts/" "$T/bridge.log"'

# One program at a time: $1 = name, $2 = command line, $3 = baud it sets.
try_program() {
    want=$3
    $TM new-session -d -s prog -x 100 -y 30 "$2"
    wait_for 'screen | grep -q -i "connected\|Terminal ready"' 50
    $TM send-keys -t prog '*IDN?' Enter
    wait_for 'screen | grep -q "ACME,SIM,42"' 50
    check "$1: typing *IDN? + Enter shows the reply through pty, bridge, RFC 2217" \
        'grep -q "ACME,SIM,42" "$T/screen"'
    wait_for '[ "$(speed "$T/a")" = "$want" ]' 30
    check "$1: its baud rate ($want) reaches the remote tty's termios (now $(speed "$T/a"))" \
        '[ "$(speed "$T/a")" = "$want" ]'
    $TM kill-session -t prog 2>/dev/null
    sleep 0.3
}
try_program tio "tio -b 19200 $T/x" 19200
try_program picocom "picocom -b 38400 $T/x" 38400
check "the bridge reported both changes" \
    'grep -q "set 19200" "$T/bridge.log" && grep -q "set 38400" "$T/bridge.log"'

# The other side a local port: a second pair's end, bridged to pty:$T/y.
timeout 120 "$A" pair "$T/c" "$T/d" >"$T/pair2.log" 2>&1 &
PIDS="$PIDS $!"
wait_for '[ -e "$T/d" ]' 50
timeout 120 "$A" sim "$T/d" --reply '*IDN?=LOCAL,SIM' --eol '\r\n' >"$T/sim2.log" 2>&1 &
PIDS="$PIDS $!"
timeout 120 "$A" bridge "pty:$T/y" "$T/c" >"$T/bridge2.log" 2>&1 &
PIDS="$PIDS $!"
wait_for '[ -L "$T/y" ]' 50
$TM new-session -d -s prog -x 100 -y 30 "tio -b 57600 $T/y"
wait_for 'screen | grep -q -i "connected"' 50
$TM send-keys -t prog '*IDN?' Enter
wait_for 'screen | grep -q "LOCAL,SIM"' 50
check "tio on pty: bridged to a local tty: the reply arrives" 'grep -q "LOCAL,SIM" "$T/screen"'
wait_for '[ "$(speed "$T/c")" = 57600 ]' 30
check "tio's baud rate (57600) reaches the local tty's termios (now $(speed "$T/c"))" \
    '[ "$(speed "$T/c")" = 57600 ]'
$TM kill-session -t prog 2>/dev/null

echo "1..$n"
[ "$failed" = 0 ]
