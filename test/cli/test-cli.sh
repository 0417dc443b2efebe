#!/bin/sh
# test-cli.sh: the aserial CLI end to end (TAP). Usage: test-cli.sh AASERIAL
# Every command runs under `timeout`; every process started is killed on exit.
set -u
A="$1"
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/aserial-cli-XXXXXX)
. "$HERE/../tap-lib.sh"
cleanup() {
    stop_started
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$T/out" 2>/dev/null; }
run() { timeout 10 "$A" "$@" >"$T/out" 2>&1; echo $? >"$T/rc"; }
rc() { cat "$T/rc"; }
has() { grep -q -- "$1" "$T/out"; }

# Start `aserial pair` with links; wait until both links exist.
start_pair() { # $1 = name prefix
    timeout 120 "$A" pair "$T/$1a" "$T/$1b" >"$T/$1.paths" 2>&1 &
    PIDS="$PIDS $!"
    i=0
    while [ ! -e "$T/$1b" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}

echo "TAP version 13"

# -- pair ----------------------------------------------------------------------
start_pair p
pairpid=${PIDS##* }
check "pair makes both links" '[ -L "$T/pa" ] && [ -L "$T/pb" ]'
check "pair prints two tty paths" '[ "$(grep -c "^/dev/pts/" "$T/p.paths")" = 2 ]'
# TERM to the pair itself, not to the timeout running it, which would pass a
# second TERM on to its group (that can hang an ASan build's exit: see
# stop_started); timeout exits when the pair does. 10 s at most.
pkill -TERM -P "$pairpid" 2>/dev/null || kill -TERM "$pairpid" 2>/dev/null
i=0; while kill -0 "$pairpid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
check "pair exits on SIGTERM and removes its links" '! kill -0 "$pairpid" 2>/dev/null && [ ! -e "$T/pa" ] && [ ! -e "$T/pb" ]'

# -- --background: the pid on stdout once ready, no sleep needed ----------------
bgpair=$(timeout 10 "$A" pair "$T/ga" "$T/gb" --background 2>"$T/bg.err")
PIDS="$PIDS $bgpair" # stopped at exit if the test fails before it stops them
echo "bgpair=$bgpair" >"$T/out"; cat "$T/bg.err" >>"$T/out"
check "pair --background prints only a pid, and the links exist when it returns" \
    'expr "$bgpair" : "[0-9][0-9]*\$" >/dev/null && [ -L "$T/ga" ] && [ -L "$T/gb" ] && kill -0 "$bgpair"'
bgsim=$(timeout 10 "$A" sim "$T/ga" --reply 'BG?=yes' --background 2>>"$T/bg.err")
PIDS="$PIDS $bgsim"
check "sim --background prints only a pid once its port is open" \
    'expr "$bgsim" : "[0-9][0-9]*\$" >/dev/null && kill -0 "$bgsim"'
run query "$T/gb" 'BG?'
check "a query right after: answered by the background sim" '[ "$(rc)" = 0 ] && has "^yes"'
kill -TERM "$bgsim" "$bgpair" 2>/dev/null
i=0; while { kill -0 "$bgpair" 2>/dev/null || [ -e "$T/ga" ]; } && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
check "background pair and sim stop on SIGTERM, the links removed" \
    '! kill -0 "$bgpair" 2>/dev/null && ! kill -0 "$bgsim" 2>/dev/null && [ ! -e "$T/ga" ]'
out=$(timeout 10 "$A" sim "$T/none" --background 2>"$T/out"); echo $? >"$T/rc"
check "sim --background on a missing port: its error, its status, no pid" \
    '[ "$(rc)" = 1 ] && [ -z "$out" ] && has "no such port"'

# -- sim + query ----------------------------------------------------------------
start_pair s
timeout 120 "$A" sim "$T/sa" --reply '*IDN?=ACME,SIM,42' --reply 'V?=1.5' --eol '\r\n' \
    --delay 20 >"$T/sim.log" 2>&1 &
PIDS="$PIDS $!"
sleep 0.3
run query "$T/sb" '*IDN?' --eol '\r\n' --timeout 2000
check "query prints the reply and exits 0" '[ "$(rc)" = 0 ] && [ "$(cat "$T/out")" = "ACME,SIM,42" ]'
run query "$T/sb" 'V?' --eol '\r\n' --config 9600,8N1
check "query with --config" '[ "$(rc)" = 0 ] && has "^1.5$"'
start=$(date +%s%N)
run query "$T/sb" 'UNKNOWN' --eol '\r\n' --timeout 200
end=$(date +%s%N)
check "query timeout exits 1 with a clear message" '[ "$(rc)" = 1 ] && has "no reply" && has "200 ms"'
check "query timeout is bounded by --timeout" '[ $(( (end - start) / 1000000 )) -lt 3000 ]'

# -- sim: line endings, rules, state; query: several requests, lines, hex ----------
start_pair r
cat >"$T/rules" <<'RULES'
# a modelled instrument
set volt 0.0
*IDN? => ACME,SIM,42
VOLT {volt} => OK
VOLT? => {volt}
MEAS:* => 1.234
[delay=300] SLOW? => slow
TWO? => first\r\nsecond
*a*a*a*a*a*a*a*b => never
RULES
timeout 120 "$A" sim "$T/ra" --rules "$T/rules" --eol '\r\n' --line-timeout 200 -v \
    >"$T/rsim.log" 2>&1 &
PIDS="$PIDS $!"
sleep 0.3
for e in CR LF CRLF; do
    case $e in CR) esc='\r' ;; LF) esc='\n' ;; CRLF) esc='\r\n' ;; esac
    run query "$T/rb" '*IDN?' --send-eol "$esc" --eol '\r\n'
    check "sim: a request ending in $e is answered" '[ "$(rc)" = 0 ] && [ "$(cat "$T/out")" = "ACME,SIM,42" ]'
done
run query "$T/rb" 'VOLT 1.2' 'VOLT?' 'MEAS:CURR?' --send-eol '\r' --eol '\r\n'
check "sim state and globs; query sends several requests in order" \
    '[ "$(rc)" = 0 ] && [ "$(tr "\n" " " <"$T/out")" = "OK 1.2 1.234 " ]'
run query "$T/rb" 'TWO?' --eol '\r\n' --lines 2
check "query --lines 2 prints two reply lines" '[ "$(rc)" = 0 ] && [ "$(tr "\n" " " <"$T/out")" = "first second " ]'
run query "$T/rb" 'VOLT?' --eol '\r\n' --hex
check "query --hex" '[ "$(rc)" = 0 ] && [ "$(cat "$T/out")" = "31 2e 32" ]'
start=$(date +%s%N)
run query "$T/rb" 'SLOW?' --eol '\r\n' --read-for 600 --hex
end=$(date +%s%N)
check "query --read-for collects what comes (a rule's delay)" '[ "$(rc)" = 0 ] && [ "$(cat "$T/out")" = "73 6c 6f 77 0d 0a" ]'
check "query --read-for lasts its window" '[ $(( (end - start) / 1000000 )) -ge 550 ]'
run query "$T/rb" '*ID' --send-eol '' --eol '\r\n' --timeout 100
sleep 0.4
run query "$T/rb" '*IDN?' --eol '\r\n'
check "sim --line-timeout drops a stale partial request" '[ "$(rc)" = 0 ] && [ "$(cat "$T/out")" = "ACME,SIM,42" ] && grep -q "dropped a partial request" "$T/rsim.log"'
check "sim -v prints requests and answers" 'grep -q "< VOLT?  > 1.2" "$T/rsim.log"'
long=$(head -c 4000 /dev/zero | tr '\0' a)
run query "$T/rb" "$long" --send-eol '\r' --eol '\r\n' --timeout 200
start=$(date +%s%N)
run query "$T/rb" '*IDN?' --eol '\r\n' --timeout 2000
end=$(date +%s%N)
check "sim: a hostile request against a pattern with many * costs nothing ($(( (end - start) / 1000000 )) ms)" \
    '[ "$(rc)" = 0 ] && [ "$(cat "$T/out")" = "ACME,SIM,42" ] && [ $(( (end - start) / 1000000 )) -lt 1000 ]'
printf 'nothing here\n' >"$T/badrules"
run sim "$T/ra" --rules "$T/badrules"
check "sim bad rule file: exit 2 naming the file and line" '[ "$(rc)" = 2 ] && has "badrules line 1" && has "=>"'
# Issue 25: every file reader is bounded (one shared reader): NUL bytes,
# a line too long, a file without end.
run sim "$T/ra" --rules /dev/zero
check "sim --rules /dev/zero: exit 2 at once, naming the NUL byte (it spun for ever)" \
    '[ "$(rc)" = 2 ] && has "/dev/zero" && has "NUL"'
endless() { # endless NAME: a fifo fed '#' lines without end (yes stops when it is closed)
    mkfifo "$T/$1"
    timeout 60 yes '#' >"$T/$1" &
    PIDS="$PIDS $!"
}
endless rules_yes
run sim "$T/ra" --rules "$T/rules_yes"
check "sim --rules on endless comment lines: exit 2, the file is too large (it never ended)" \
    '[ "$(rc)" = 2 ] && has "rules_yes" && has "larger than"'
endless exports_yes
run serve --file "$T/exports_yes"
check "serve --file on endless comment lines: exit 2, the file is too large (it never ended)" \
    '[ "$(rc)" = 2 ] && has "exports_yes" && has "larger than"'

# -- bridge - (stdio) ------------------------------------------------------------------
(printf '*IDN?\r'; sleep 0.5) | timeout 10 "$A" bridge - "$T/rb" >"$T/out" 2>"$T/bridge.err"
rc=$?
check "bridge - PORT: standard input to the port, the reply to standard output; ends with input" \
    '[ $rc = 0 ] && [ "$(tr -d "\r" <"$T/out")" = "ACME,SIM,42" ]'

# -- serve - : the export ends with its input ---------------------------------------------
start=$(date +%s)
printf 'hello\n' | timeout 10 "$A" serve - --listen 127.0.0.1:0 >"$T/out" 2>&1
rc=$?
took=$(( $(date +%s) - start ))
check "serve -: ends when standard input ends (status 1, in ${took} s), saying the port cannot come back" \
    '[ $rc = 1 ] && [ $took -lt 5 ] && has "port gave up: -: stdio endpoints cannot be reopened"'

# -- serve --file: an absent device is waited for; bad files ----------------------------
printf '# exports\n%s 127.0.0.1:0 rfc2217\n%s 127.0.0.1:0 raw\n' "$T/rb" "$T/later" >"$T/exports"
timeout 120 "$A" serve --file "$T/exports" >"$T/serve.out" 2>"$T/serve.err" &
PIDS="$PIDS $!"
i=0; while ! grep -q "serving $T/rb" "$T/serve.out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
p1=$(sed -n "s|^serving $T/rb on 127.0.0.1:\([0-9]*\).*|\1|p" "$T/serve.out")
run query "rfc2217://127.0.0.1:$p1" '*IDN?' --eol '\r\n' --timeout 3000
check "serve --file: the present export serves while the other is absent" \
    '[ "$(rc)" = 0 ] && [ "$(cat "$T/out")" = "ACME,SIM,42" ] && grep -q "$T/later: not available" "$T/serve.err"'
timeout 120 "$A" pair "$T/later" "$T/later_b" >/dev/null 2>&1 &
PIDS="$PIDS $!"
i=0; while [ ! -e "$T/later_b" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
timeout 120 "$A" sim "$T/later_b" --reply 'PING=PONG' >/dev/null 2>&1 &
PIDS="$PIDS $!"
i=0; while ! grep -q "serving $T/later" "$T/serve.out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
p2=$(sed -n "s|^serving $T/later on 127.0.0.1:\([0-9]*\).*|\1|p" "$T/serve.out")
run query "tcp://127.0.0.1:$p2" 'PING' --timeout 3000
check "serve --file: the absent export starts when its device appears" \
    '[ -n "$p2" ] && [ "$(rc)" = 0 ] && [ "$(cat "$T/out")" = "PONG" ]'
{ printf '# one\n\n'; head -c 1100 /dev/zero | tr '\0' x; printf ' 127.0.0.1:0\n'; } >"$T/long"
run serve --file "$T/long"
check "serve --file: a line over 1023 characters is reported with its number" \
    '[ "$(rc)" = 2 ] && has "long:3: line longer than 1023"'
start=$(date +%s%N)
run serve --file /dev/zero
end=$(date +%s%N)
check "serve --file /dev/zero: refused at once, no spin" \
    '[ "$(rc)" = 2 ] && has "NUL" && [ $(( (end - start) / 1000000 )) -lt 2000 ]'

# -- serve --file: 1,000 sim: exports in one process, under the usual 1024 fds (issue 24) --
i=0; : >"$T/many"
while [ $i -lt 1000 ]; do echo "sim:s$i 127.0.0.1:0 raw" >>"$T/many"; i=$((i + 1)); done
: >"$T/many.out" # made here: the child's redirection may come after the first grep below
(ulimit -S -n 1024 && exec timeout 120 "$A" serve --file "$T/many" --quiet) \
    >"$T/many.out" 2>"$T/many.err" &
manypid=$!
PIDS="$PIDS $manypid"
i=0
while [ "$(grep -c '^serving sim:' "$T/many.out")" -lt 1000 ] && kill -0 "$manypid" 2>/dev/null &&
    [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
p999=$(sed -n "s|^serving sim:s999 on 127.0.0.1:\([0-9]*\).*|\1|p" "$T/many.out")
run query "tcp://127.0.0.1:$p999" 'PING 999' --timeout 3000
check "serve --file: 1,000 sim: exports (3,000 descriptors) from a shell with 1024: all serve, the last answers" \
    '[ "$(grep -c "^serving sim:" "$T/many.out")" = 1000 ] && [ "$(rc)" = 0 ] && [ "$(cat "$T/out")" = "PONG 999" ]'
head -3 "$T/many.err" | sed 's/^/# serve: /'
pkill -TERM -P "$manypid" 2>/dev/null

# -- serve --file: command-line options are every export's defaults (issue 25) ------------
# --max-clients 1 --idle-timeout 400 on the command line; the first line
# overrides max-clients (2) and idle-timeout (0: none). A third listener
# of the second export would be refused at a second client; its silent
# client is closed by the default idle timeout.
start_pair d1
start_pair d2
printf '%s 127.0.0.1:0 raw max-clients=2 idle-timeout=0\n%s 127.0.0.1:0 raw\n' \
    "$T/d1a" "$T/d2a" >"$T/defaults"
: >"$T/dserve.out" # made here: the child's redirection may come after the first grep below
timeout 120 "$A" serve --file "$T/defaults" --max-clients 1 --idle-timeout 400 \
    >"$T/dserve.out" 2>"$T/dserve.err" &
PIDS="$PIDS $!"
i=0; while [ "$(grep -c '^serving' "$T/dserve.out")" -lt 2 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
q1=$(sed -n "s|^serving $T/d1a on 127.0.0.1:\([0-9]*\).*|\1|p" "$T/dserve.out")
q2=$(sed -n "s|^serving $T/d2a on 127.0.0.1:\([0-9]*\).*|\1|p" "$T/dserve.out")
{ echo "serve's output after $i tenths of a second:"; cat "$T/dserve.out" "$T/dserve.err"; } >"$T/dserve.why"
/usr/bin/python3 - "$q1" "$q2" >"$T/out" 2>&1 <<'PY'
import socket, sys, time
def conn(p):
    s = socket.create_connection(("127.0.0.1", int(p)), timeout=5)
    return s
def closed_within(s, secs):  # the server closes it (EOF or a refusal line, then EOF)
    s.settimeout(secs)
    got = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return True, got
            got += d
    except socket.timeout:
        return False, got
a1, a2 = conn(sys.argv[1]), conn(sys.argv[1])
closed, why = closed_within(a2, 1.0)
print("export 1, second client:", "refused" if closed else "kept", why)
b1 = conn(sys.argv[2])
time.sleep(0.1)
b2 = conn(sys.argv[2])
closed, why = closed_within(b2, 5)
print("export 2, second client:", "refused" if closed and b"refused" in why else "kept", why)
closed, why = closed_within(b1, 5)
print("export 2, silent client:", "closed" if closed else "kept")
PY
{ [ -n "$q1" ] && [ -n "$q2" ]; } || cat "$T/dserve.why" >>"$T/out"
check "serve --file: --max-clients and --idle-timeout reach the second export (a second client refused, a silent one closed), the file's max-clients=2 overrides them for the first" \
    'has "export 1, second client: kept" && has "export 2, second client: refused" && has "export 2, silent client: closed"'
printf '%s 127.0.0.1:0 idle-timeout=soon\n' "$T/d1a" >"$T/badidle"
run serve --file "$T/badidle"
check "serve --file: a bad idle-timeout= is refused naming the line" \
    '[ "$(rc)" = 2 ] && has "badidle:1" && has "idle-timeout"'

# -- query --timeout bounds the whole command -----------------------------------------
silent=$(/usr/bin/python3 - "$T" <<'PY'
import os, socket, sys, time
# A silent RFC 2217 server (accepts, never answers) and a listener that never
# accepts; both exit on their own after 20 s.
a = socket.socket(); a.bind(("127.0.0.1", 0)); a.listen(1)
b = socket.socket(); b.bind(("127.0.0.1", 0)); b.listen(0)
pid = os.fork()
if pid:
    print(a.getsockname()[1], b.getsockname()[1], pid, flush=True)
    os._exit(0)
if pid == 0:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    a.settimeout(20)
    try:
        c, _ = a.accept()
    except OSError:
        pass
    time.sleep(20)
    os._exit(0)
PY
)
set -- $silent
for p in "$1" "$2"; do
    start=$(date +%s%N)
    run query "rfc2217://127.0.0.1:$p" 'x' --timeout 400
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    check "query --timeout 400 against a silent server/listener: exit 1 within 500 ms ($ms ms)" \
        '[ "$(rc)" = 1 ] && [ $ms -lt 500 ] && has "400 ms"'
done
kill "$3" 2>/dev/null

# -- bad input --------------------------------------------------------------------
run query /dev/ttyNOPE9 'x'
check "missing device: exit 1, names it and the fix" '[ "$(rc)" = 1 ] && has "/dev/ttyNOPE9" && has "aserial list"'
run query /dev/null 'x'
check "not a tty: exit 1" '[ "$(rc)" = 1 ] && has "not a terminal"'
run query "$T/sb" 'x' --config 9600,9Q1
check "malformed config: exit 2 naming the token" '[ "$(rc)" = 2 ] && has "9Q1"'
run query "$T/sb" 'x' --bogus
check "unknown option: exit 2" '[ "$(rc)" = 2 ] && has "--bogus"'
run query "$T/sb" 'x' --timeout abc
check "bad number: exit 2" '[ "$(rc)" = 2 ] && has "--timeout"'
run query "$T/sb" 'x' --eol '\q'
check "bad escape: exit 2" '[ "$(rc)" = 2 ] && has "escape"'
run query "$T/sb"
check "missing REQUEST: one line naming it, exit 2" '[ "$(rc)" = 2 ] && has "missing REQUEST" && [ "$(wc -l <"$T/out")" = 1 ]'
run frobnicate
check "unknown command: exit 2" '[ "$(rc)" = 2 ] && has "unknown command"'
run sim "$T/sa" --reply 'noequals'
check "sim bad rule: exit 2" '[ "$(rc)" = 2 ] && has "REQUEST=RESPONSE"'
run pair --nope
check "pair unknown option: exit 2" '[ "$(rc)" = 2 ]'
run query 'ftp://x/y' 'x'
check "bad URL scheme: exit 1" '[ "$(rc)" = 1 ] && has "unknown scheme"'
run --help
check "--help lists the commands" '[ "$(rc)" = 0 ] && has "query" && has "pair" && has "term"'
check "--help shows the config syntax and points to man aserial" \
    'has "KEY=VALUE" && has "rs485_delay_after" && has "7E1" && has "man aserial"'
for c in query sim term serve; do
    run $c --help
    check "$c --help points to the config syntax in man aserial" '[ "$(rc)" = 0 ] && has "man aserial"'
done

# -- a device that disappears mid-request -------------------------------------------
timeout 30 /usr/bin/python3 "$HERE/vanishing_device.py" "$T/vpath" >/dev/null 2>&1 &
PIDS="$PIDS $!"
i=0; while [ ! -s "$T/vpath" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
start=$(date +%s%N)
run query "$(cat "$T/vpath")" 'MEAS?' --timeout 8000
end=$(date +%s%N)
check "device gone mid-request: exit 1 with 'disconnected'" '[ "$(rc)" = 1 ] && has "disconnected"'
check "device gone mid-request: at once, not after --timeout" '[ $(( (end - start) / 1000000 )) -lt 3000 ]'

# -- pyserial through aserial pair -----------------------------------------------
start_pair y
if timeout 90 /usr/bin/python3 "$HERE/pyserial_pair.py" "$T/ya" "$T/yb" >"$T/out" 2>&1; then
    ok "pyserial: 1 MiB each way through aserial pair, intact"
else
    nok "pyserial: 1 MiB each way through aserial pair, intact"
fi

echo "1..$n"
[ "$failed" = 0 ]
