#!/bin/sh
# test-term-features.sh: aserial term at tio's level (TAP). Usage:
# test-term-features.sh AASERIAL
#
# Each feature against real peers: `aserial sim` on an `aserial pair`,
# pyserial's RFC 2217 server example (DTR pulses), a Python TCP server
# that records each chunk it receives (output pacing), and a closed port
# (refusals). Interactive sessions run in tmux (a private server, killed
# on exit; keys by send-keys, the screen by capture-pane, the raw output
# by pipe-pane); the others in pipe mode. Every command runs under
# timeout; all started is stopped.
set -u
A="$1"
HERE=$(cd "$(dirname "$0")" && pwd)
NAME=termf
. "$HERE/term-lib.sh"
# start_term ARGS: `aserial term ARGS` in tmux (env: $TERM_ENV), exit status in $T/rc.
start_term() {
    rm -f "$T/rc"
    $TM new-session -d -s term -x 160 -y 40 \
        "${TERM_ENV:-} timeout --foreground 60 $A term $*; echo \$? >$T/rc; sleep 60"
}
stop_term() { # Ctrl-T q; the exit status joins $T/rcs (checked at the end)
    $TM send-keys -t term C-t q
    wait_for '[ -s "$T/rc" ]' 50
    echo "$(cat "$T/rc" 2>/dev/null || echo none)" >>"$T/rcs"
    $TM kill-session -t term 2>/dev/null
}
pipe() { # pipe INPUT ARGS...: printf INPUT | aserial term ARGS (pipe mode), to $T/out, $T/err
    input=$1
    shift
    printf "$input" | timeout 10 "$A" term "$@" --linger 300 >"$T/out" 2>"$T/err"
    echo $? >"$T/rc"
}
out_is() { [ "$(cat "$T/rc")" = 0 ] && [ "$(tr -d '\r' <"$T/out")" = "$1" ]; } # exit 0 too

echo "TAP version 13"
need tmux
keep_tmux
start_pair s '*IDN?=ACME,SIM,42' 'ABC=UPPER'

# -- fixes ------------------------------------------------------------------------------
start_term "$T/sa" --echo
shows "connected to"
$TM send-keys -t term '*IDN?' Enter
shows "ACME,SIM,42"
check "--echo: the typed line ends (echo map cr-crlf), the reply is on its own line" \
    'grep -q "^\*IDN?\$" "$T/screen" && grep -q "^ACME,SIM,42" "$T/screen"'
$TM send-keys -t term C-t b
shows "break not sent"
$TM send-keys -t term C-t d
shows "DTR not changed"
check "Ctrl-T d on a pty says why (the capability's reason), not the break's message" \
    'grep -q "DTR not changed: pseudo-terminal: no modem lines" "$T/screen" && grep -q "break not sent: pseudo-terminal: no line to break" "$T/screen"'
stop_term

port=$(free_port)
start_term "rfc2217://127.0.0.1:$port"
shows "cannot connect to"
check "rfc2217:// with nothing listening: the reason, and never 'connected to'" \
    'grep -q "cannot connect to rfc2217://127.0.0.1:$port: connection refused" "$T/screen" && ! grep -q "connected to" "$T/screen"'
stop_term
pipe 'x\r' "rfc2217://127.0.0.1:$port"
check "pipe mode: the refusal is said once, exit 1" \
    '[ "$(cat "$T/rc")" = 1 ] && [ "$(grep -c refused "$T/err")" = 1 ]'

# -- maps ---------------------------------------------------------------------------------
pipe 'abc\r' "$T/sa" --omap upper
check "--omap upper: abc is sent as ABC" 'out_is UPPER'
pipe '*IDN?\r' "$T/sa" --map lower
check "--map lower: the reply shown in lower case" 'out_is acme,sim,42'
pipe '*IDN?\r' "$T/sa" --map ignore-cr,lf-cr
check "--map ignore-cr,lf-cr: CR dropped, LF shown as CR" '[ "$(od -An -c "$T/out" | tr -d " \n")" = "ACME,SIM,42\\r" ]'
pipe '*IDN?\n' "$T/sa" --omap lf-cr
check "--omap lf-cr: LF sent as CR" 'out_is ACME,SIM,42'
timeout 10 "$A" term "$T/sa" --map bogus,cr-crlf </dev/null >"$T/out" 2>"$T/err"
rc=$?
check "--map bogus: exit 2 naming it and the choices" '[ $rc = 2 ] && grep -q "unknown mapping \"bogus\"" "$T/err" && grep -q "del-bs" "$T/err"'

# -- timestamps ---------------------------------------------------------------------------
pipe '*IDN?\r' "$T/sa" --timestamp-format iso8601
check "--timestamp-format iso8601" \
    'grep -Eq "^\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\] ACME,SIM,42" "$T/out"'
pipe '*IDN?\r' "$T/sa" --timestamp-format 24h-start
check "--timestamp-format 24h-start: time since the start (under a minute here)" \
    'grep -Eq "^\[00:00:[0-5][0-9]\.[0-9]{3}\] ACME,SIM,42" "$T/out"'
pipe '*IDN?\r' "$T/sa" --timestamp-format 24h-delta
check "--timestamp-format 24h-delta: the first line's delta is 0" \
    'grep -q "^\[00:00:00\.000\] ACME,SIM,42" "$T/out"'
pipe '*IDN?\r' "$T/sa" -t
check "-t: 24h" 'grep -Eq "^\[[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\] ACME,SIM,42" "$T/out"'
timeout 10 "$A" term "$T/sa" --timestamp-format 24h-strat </dev/null >"$T/out" 2>"$T/err"
rc=$?
check "--timestamp-format 24h-strat: exit 2 with the nearest name" '[ $rc = 2 ] && grep -q "did you mean 24h-start?" "$T/err"'

# -- hex input, colour, alert ---------------------------------------------------------------
start_term "$T/sa"
shows "connected to"
$TM pipe-pane -t term -o "cat >>$T/raw"
$TM send-keys -t term C-t i
shows "hex input on"
$TM send-keys -t term '2a 49 44 4e 3f 0d'
shows "ACME,SIM,42"
check "Ctrl-T i: typed hex pairs are sent as bytes (*IDN? CR)" 'grep -q "^ACME,SIM,42" "$T/screen"'
$TM send-keys -t term C-t i C-t s
shows "RX 13"
check "local messages in colour by default" 'grep -q "$(printf "\033")\[1;33m\[aserial term: hex input off" "$T/raw"'
stop_term
rm -f "$T/raw"
for how in "--no-color" "NO_COLOR=1"; do
    case $how in --*) TERM_ENV="" start_term "$T/sa" "$how" ;; *) TERM_ENV="env $how" start_term "$T/sa" ;; esac
    shows "connected to"
    $TM pipe-pane -t term -o "cat >>$T/raw"
    $TM send-keys -t term C-t s
    shows "RX 0"
    wait_for 'grep -q "RX 0" "$T/raw"' 30
    check "$how: local messages without colour" 'grep -q "RX 0" "$T/raw" && ! grep -q "$(printf "\033")\[1;33m" "$T/raw"'
    stop_term
    rm -f "$T/raw"
done
# The pattern matches only the pair's a end: its b end is sim's, and a
# term that found b first would take it before sim does.
start_term "'$T/late*a'" --alert bell
shows "no port matches"
check "a pattern nothing matches yet: waits, saying so" 'grep -q "waiting for $T/late\*a: no port matches" "$T/screen"'
$TM pipe-pane -t term -o "cat >>$T/raw"
start_pair late '*IDN?=LATE'
shows "connected to $T/late\*a"
check "--alert bell: the bell rings on connect" 'grep -q "$(printf "\007")" "$T/raw"'
$TM send-keys -t term '*IDN?' Enter
shows "^LATE"
check "the pattern's port opened when it appeared" 'grep -q "^LATE" "$T/screen"'
stop_term
# $T/s? matches sa and sb, and sim holds sb, made the newer by a chmod
# (which sets its ctime): sa opens, the newer match in use passed over.
chmod u+rw "$T/sb"
start_term "'$T/s?'"
shows "connected to"
$TM send-keys -t term '*IDN?' Enter
shows "^ACME,SIM,42"
check "a pattern passes over a match held by another program and opens the next newest" \
    'grep -q "^ACME,SIM,42" "$T/screen" && ! grep -q "in use by another program" "$T/screen"'
stop_term

if [ "${ASER_PLATFORM:-linux}" = linux ]; then # the portable build has no usb: (it says so)
    start_term "usb:1d6b:fffe" # no such adapter here
    shows "waiting for usb:1d6b:fffe"
    check "a usb: identity not present: the terminal waits for it, saying why" \
        'grep -q "waiting for usb:1d6b:fffe: " "$T/screen"'
    stop_term
else
    ok "# SKIP usb: URLs need the Linux build (ASER_PLATFORM=${ASER_PLATFORM})"
fi

# -- patterns and profiles (pipe mode) --------------------------------------------------------
start_pair newer '*IDN?=NEWER'
pipe '*IDN?\r' "$T/*a"
check "a pattern opens the newest matching port" 'out_is NEWER'
pipe '*IDN?\r' "$T/none*"
check "pipe mode, a pattern nothing matches: exit 1 saying so" \
    '[ "$(cat "$T/rc")" = 1 ] && grep -q "no port matches $T/none\*" "$T/err"'
mkdir -p "$T/cfg/aserial"
cat >"$T/cfg/aserial/term" <<EOF
# profiles for the test
[other]
url = /dev/null
[dmm]
url = $T/sa
map = lower
echo = no
[broken]
url = $T/sa
colour = yes
EOF
XDG_CONFIG_HOME=$T/cfg pipe '*IDN?\r' dmm
check "a profile: aserial term dmm takes url and map from ~/.config/aserial/term" 'out_is acme,sim,42'
XDG_CONFIG_HOME=$T/cfg pipe '*IDN?\r' dmm --map none
check "the command line's options win over the profile's" 'out_is ACME,SIM,42'
XDG_CONFIG_HOME=$T/cfg pipe '*IDN?\r' broken
check "a bad profile line: exit 2 naming the file and line" \
    '[ "$(cat "$T/rc")" = 2 ] && grep -q "aserial/term:10: unknown key \"colour\"" "$T/err"'

# -- DTR pulse, seen by pyserial's RFC 2217 server ---------------------------------------------
EXAMPLE=/usr/share/doc/python3-serial/examples/rfc2217_server.py
if [ -f "$EXAMPLE" ]; then
    port=$(free_port)
    timeout 60 /usr/bin/python3 "$EXAMPLE" -v -v -p "$port" loop:// >"$T/rfc.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_for 'grep -q "Waiting for connection" "$T/rfc.log"' 50
    start_term "rfc2217://127.0.0.1:$port" --pulse-ms 200
    shows "connected to"
    sleep 0.5 # the settings of the open are applied and logged by then (not asserted on)
    before=$(grep -c "changed DTR to" "$T/rfc.log")
    $TM send-keys -t term C-t D
    shows "DTR pulse done"
    wait_for '[ "$(grep -c "changed DTR to" "$T/rfc.log")" -ge $((before + 2)) ]' 30
    check "Ctrl-T D pulses DTR: the server sees it change and change back" \
        '[ "$(grep -c "changed DTR to" "$T/rfc.log")" = $((before + 2)) ] && grep -q "DTR pulse: o[nf]* for 200 ms" "$T/screen"'
    stop_term
else
    ok "# SKIP pyserial's rfc2217_server.py example is not installed"
fi

# -- socket redirect: a loopback TCP client takes part in the session -----------------------------
port=$(free_port)
start_term "$T/sa" --socket "tcp:$port"
shows "listening on 127.0.0.1:$port"
client() { # one client: send *IDN? CR, print what comes back within its timeout
    timeout 10 /usr/bin/python3 -c '
import socket, sys, time
for i in range(100):  # the terminal listens again shortly after a client left
    try:
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        break
    except ConnectionRefusedError:
        time.sleep(0.05)
time.sleep(0.3)  # the terminal hears of the client first (the reply goes to clients present)
c.sendall(b"*IDN?\r")
got = b""
while b"\n" not in got:
    d = c.recv(100)
    if not d: break
    got += d
print(got.decode().strip())
' "$port" >"$T/client.log" 2>&1
}
client
check "--socket tcp:PORT: a client's request goes to the port and the reply comes back" \
    'grep -qx "ACME,SIM,42" "$T/client.log"'
shows "the client left"
client
check "... and the next client after it left" 'grep -qx "ACME,SIM,42" "$T/client.log"'
check "the terminal shows the replies too" '[ "$(screen | grep -c "^ACME,SIM,42")" -ge 2 ]'
stop_term
timeout 10 "$A" term "$T/sa" --socket unix:/tmp/x </dev/null >"$T/out" 2>"$T/err"
rc=$?
check "--socket unix:PATH: exit 2, not supported yet, use tcp:PORT" '[ $rc = 2 ] && grep -q "use tcp:PORT" "$T/err"'

# -- output pacing: each byte in its own TCP segment ------------------------------------------
port=$(free_port)
timeout 30 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("listening", flush=True)
c, _ = s.accept()
while True:
    d = c.recv(100)
    if not d: break
    print(len(d), flush=True)
' "$port" >"$T/chunks.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 'grep -q listening "$T/chunks.log"' 50
pipe 'abcd' "tcp://127.0.0.1:$port" --char-delay 30
wait_for '[ "$(grep -c "^1$" "$T/chunks.log")" -ge 4 ]' 30
check "--char-delay 30: abcd arrives as 4 one-byte writes" \
    '[ "$(cat "$T/rc")" = 0 ] && [ "$(grep -vc listening "$T/chunks.log")" = 4 ] && [ "$(grep -c "^1$" "$T/chunks.log")" = 4 ]'

check "every interactive session ended with status 0 on Ctrl-T q ($(tr '\n' ' ' <"$T/rcs"))" \
    '[ -s "$T/rcs" ] && ! grep -qv "^0$" "$T/rcs"'
echo "1..$n"
[ "$failed" = 0 ]
