#!/bin/sh
# test-term.sh: aserial term (TAP). Usage: test-term.sh AASERIAL
# The terminal runs inside tmux (a private server, killed on exit) against
# `aserial sim` on an `aserial pair`; keys go in with send-keys and the
# screen comes back with capture-pane. Also: pipe mode, the log file, a
# break seen by pyserial's RFC 2217 server, the pair pulled and put back,
# and the local terminal's settings (stty -g) after quitting and after
# SIGTERM. Every command runs under timeout; all started is stopped.
set -u
A="$1"
HERE=$(cd "$(dirname "$0")" && pwd)
NAME=term
. "$HERE/term-lib.sh"
# Run "aserial term ARGS" in a tmux window whose shell records stty -g
# before and after, and the exit status.
start_term() {
    rm -f "$T/stty.before" "$T/stty.after" "$T/rc"
    $TM new-session -d -s term -x 160 -y 40 \
        "stty -g >$T/stty.before; timeout --foreground 60 $A term $*; echo \$? >$T/rc; stty -g >$T/stty.after; sleep 60"
    shows "connected to"
}
stop_term() { $TM kill-session -t term 2>/dev/null; }

echo "TAP version 13"
need tmux
keep_tmux
start_pair

# -- pipe mode -------------------------------------------------------------------------
start=$(date +%s%N)
printf '*IDN?\r\n' | timeout 10 "$A" term "$T/a" --linger 300 >"$T/out" 2>"$T/err.log"
rc=$?
end=$(date +%s%N)
check "pipe: printf '*IDN?' CR LF | aserial term PORT --linger 300 prints the reply, exits 0" \
    '[ $rc = 0 ] && [ "$(tr -d "\r" <"$T/out")" = "ACME,SIM,42" ]'
check "pipe: it exits after the linger, not much later ($(( (end - start) / 1000000 )) ms)" \
    '[ $(( (end - start) / 1000000 )) -lt 2000 ]'
check "pipe: nothing on standard error at a normal end" '[ ! -s "$T/err.log" ]'
printf '*IDN?\r' >"$T/request"
timeout 10 "$A" term "$T/a" --linger 300 <"$T/request" >"$T/out" 2>"$T/err.log"
rc=$?
check "pipe: standard input from a regular file works too" \
    '[ $rc = 0 ] && [ "$(tr -d "\r" <"$T/out")" = "ACME,SIM,42" ]'
printf '*IDN?\r' | timeout 10 "$A" term "$T/a" --linger 300 -x >"$T/out" 2>"$T/err.log"
check "pipe: -x shows the reply in hex" 'grep -q "^41 43 4d 45 2c 53 49 4d 2c 34 32 0d 0a" "$T/out"'

for i in 1 2; do
    printf '*IDN?\r' | timeout 10 "$A" term "$T/a" --linger 300 -l "$T/append.log" --log-append \
        >/dev/null 2>&1
done
check "--log-append adds to the log (two runs, two replies)" \
    '[ "$(grep -c "ACME,SIM,42" "$T/append.log")" = 2 ]'
timeout 60 "$A" pair "$T/p1" "$T/p2" >/dev/null 2>&1 &
pp=$!
PIDS="$PIDS $pp"
wait_for '[ -e "$T/p2" ]' 50
(sleep 0.5; pkill -TERM -P "$pp"; sleep 3) | timeout 10 "$A" term "$T/p1" >"$T/out" 2>"$T/err.log"
rc=$?
check "pipe: a lost port ends it with status 1, saying so" '[ $rc = 1 ] && grep -q "disconnected" "$T/err.log"'

# -- interactive -------------------------------------------------------------------------
start_term "$T/a" -l "$T/session.txt"
$TM send-keys -t term '*IDN?' Enter
shows "ACME,SIM,42"
check "typing *IDN? + Enter shows the reply (Enter sends CR by default)" 'grep -q "^ACME,SIM,42" "$T/screen"'
$TM send-keys -t term C-t '?'
shows "toggle DTR"
check "Ctrl-T ? shows the help screen" 'grep -q "q quit" "$T/screen" && grep -q "b send a break" "$T/screen"'
$TM send-keys -t term C-t c
shows "new settings"
$TM send-keys -t term 19200 Enter
shows "settings: 19200"
wait_for '[ "$(speed "$T/a")" = 19200 ]' 20
check "Ctrl-T c 19200 changes the baud (the pty's termios: $(speed "$T/a"))" \
    '[ "$(speed "$T/a")" = 19200 ]'
$TM send-keys -t term C-t x
shows "hex view on"
$TM send-keys -t term '*IDN?' Enter
shows "41 43 4d 45"
check "Ctrl-T x switches to hex" 'grep -q "^41 43 4d 45 2c 53 49 4d 2c 34 32 0d 0a" "$T/screen"'
$TM send-keys -t term C-t s
shows "RX 26, TX 12 bytes"
check "Ctrl-T s shows the settings and the RX/TX counters" 'grep -q "19200,8N1; RX 26, TX 12 bytes" "$T/screen"'
$TM send-keys -t term C-t q
wait_for '[ -s "$T/rc" ] && [ -s "$T/stty.after" ]' 50
check "Ctrl-T q quits with status 0" '[ "$(cat "$T/rc" 2>/dev/null)" = 0 ]'
check "the terminal's settings (stty -g) are as before" \
    '[ -s "$T/stty.before" ] && cmp -s "$T/stty.before" "$T/stty.after"'
check "-l wrote the session (text, then hex)" \
    'grep -q "^ACME,SIM,42" "$T/session.txt" && grep -q "41 43 4d 45" "$T/session.txt"'
stop_term

# -- SIGTERM ---------------------------------------------------------------------------
start_term "$T/a" -t
$TM send-keys -t term '*IDN?' Enter
shows "ACME,SIM,42"
check "-t stamps each line" 'grep -q "^\[[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9]\] ACME,SIM,42" "$T/screen"'
tpid=$(pgrep -n -f "^$A term $T/a -t")
kill -TERM "$tpid" 2>/dev/null
wait_for '[ -s "$T/rc" ] && [ -s "$T/stty.after" ]' 50
check "SIGTERM: exits (status $(cat "$T/rc" 2>/dev/null)) and stty -g is as before" \
    '[ "$(cat "$T/rc" 2>/dev/null)" = 143 ] && cmp -s "$T/stty.before" "$T/stty.after"'
stop_term

# -- SIGHUP and the crash path (SIGSEGV) also restore the terminal ------------------------
for sig in HUP SEGV; do
    start_term "$T/a" --no-reconnect
    tpid=$(pgrep -n -f "^$A term $T/a --no-reconnect")
    kill -$sig "$tpid" 2>/dev/null
    wait_for '[ -s "$T/rc" ] && [ -s "$T/stty.after" ]' 50
    check "SIG$sig: ends (status $(cat "$T/rc" 2>/dev/null)) and stty -g is as before" \
        '[ -s "$T/rc" ] && [ "$(cat "$T/rc")" != 0 ] && cmp -s "$T/stty.before" "$T/stty.after"'
    stop_term
done

# -- the pair pulled and put back ---------------------------------------------------------
start_term "$T/a"
pkill -TERM -P "$PAIR"; pkill -TERM -P "$SIM" # the commands, not their timeout
shows "disconnected from $T/a"
check "pulling the pair shows the disconnect, with the reason" \
    'grep -q "disconnected from $T/a: .*; waiting for it" "$T/screen"'
sleep 0.5
start_pair
shows "connected to $T/a again"
check "the terminal comes back when the pair returns" 'grep -q "again" "$T/screen"'
$TM send-keys -t term '*IDN?' Enter
wait_for '[ "$(screen | grep -c "ACME,SIM,42")" -ge 1 ]' 50
check "and the session works again" 'grep -q "^ACME,SIM,42" "$T/screen"'
$TM send-keys -t term C-t q
wait_for '[ -s "$T/stty.after" ]' 50
stop_term

# -- a device absent at start is waited for -------------------------------------------------
rm -f "$T/stty.before" "$T/stty.after" "$T/rc"
$TM new-session -d -s term -x 160 -y 40 "timeout --foreground 60 $A term $T/late; echo \$? >$T/rc; sleep 60"
shows "waiting for $T/late"
check "a device absent at start: the terminal says it waits for it" 'grep -q "waiting for $T/late" "$T/screen"'
timeout 60 "$A" pair "$T/late" "$T/late_b" >/dev/null 2>&1 &
PIDS="$PIDS $!"
wait_for '[ -e "$T/late_b" ]' 50
timeout 60 "$A" sim "$T/late_b" --reply 'PING=PONG' >/dev/null 2>&1 &
PIDS="$PIDS $!"
shows "connected to $T/late"
$TM send-keys -t term 'PING' Enter
shows "^PONG"
check "and opens it when it appears" 'grep -q "^PONG" "$T/screen"'
# Quit from the keyboard, not by killing the session: tmux's SIGHUP and
# timeout's forwarded one together left an ASan build spinning in its
# leak check at exit.
$TM send-keys -t term C-t q
wait_for '[ -s "$T/rc" ]' 50
check "... and Ctrl-T q ends it with status 0" '[ "$(cat "$T/rc")" = 0 ]'
stop_term

# -- a break, seen by pyserial's RFC 2217 server ------------------------------------------
EXAMPLE=/usr/share/doc/python3-serial/examples/rfc2217_server.py
if [ -f "$EXAMPLE" ]; then
    port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    timeout 60 /usr/bin/python3 "$EXAMPLE" -v -v -p "$port" loop:// >"$T/rfc.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_for 'grep -q "Waiting for connection" "$T/rfc.log"' 50
    start_term "rfc2217://127.0.0.1:$port"
    $TM send-keys -t term C-t b
    shows "break sent"
    wait_for 'grep -q "changed BREAK to inactive" "$T/rfc.log"' 30
    check "Ctrl-T b sends a break: the RFC 2217 server sees it on and off" \
        'grep -q "changed BREAK to active" "$T/rfc.log" && grep -q "changed BREAK to inactive" "$T/rfc.log"'
    $TM send-keys -t term C-t d
    shows "DTR o"
    wait_for 'grep -q "changed DTR to" "$T/rfc.log"' 30
    check "Ctrl-T d toggles DTR: the server sees it" 'grep -q "changed DTR to" "$T/rfc.log"'
    printf 'FROM-A-FILE\r\n' >"$T/upload.txt"
    $TM send-keys -t term C-t u
    shows "send file"
    $TM send-keys -t term "$T/upload.txt" Enter
    shows "^FROM-A-FILE"
    check "Ctrl-T u sends a file (loop:// echoes it back)" \
        'grep -q "sent $T/upload.txt (13 bytes)" "$T/screen" && grep -q "^FROM-A-FILE" "$T/screen"'
    $TM send-keys -t term C-t q
    wait_for '[ -s "$T/stty.after" ]' 50
    stop_term
else
    ok "# SKIP pyserial's rfc2217_server.py example is not installed"
fi

# -- bad input ----------------------------------------------------------------------------
timeout 10 "$A" term "$T/a" --map bogus </dev/null >"$T/out" 2>&1
rc=$?
check "--map bogus: exit 2 naming the mapping and the choices" '[ $rc = 2 ] && grep -q "cr-crlf" "$T/out"'
timeout 10 "$A" term /dev/ttyNOPE9 </dev/null >"$T/out" 2>&1
rc=$?
check "missing device: exit 1 naming it" '[ $rc = 1 ] && grep -q "/dev/ttyNOPE9" "$T/out"'

timeout 10 "$A" term "$(printf '/dev/ttyNOPE\033]0;pwned\007')" </dev/null >"$T/out" 2>&1
check "a message quoting a name with terminal escapes shows them escaped" \
    '! LC_ALL=C grep -q "$(printf "[\033\007]")" "$T/out" && grep -qF "ttyNOPE\x1b]0;pwned\x07" "$T/out"'

echo "1..$n"
[ "$failed" = 0 ]
