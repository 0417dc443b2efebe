#!/bin/sh
# test-cli-help.sh: help that answers (TAP). Usage: test-cli-help.sh AASERIAL
#
# For every command: `aserial help CMD` and `CMD --help` print that
# command's usage (exit 0); the command without its required argument says
# in one line what is missing and "see aserial help CMD" (exit 2), never
# the whole usage; a misspelt long option gets one line with the nearest
# option (exit 2). Then: a misspelt command, `--config 9600 8N1`, the port
# forms in --help (from the library's table: no mock://), a refused
# connection's message (no parameters the user did not type), and the
# small wording fixes (serve --help on --read-only, sim's "(1 rule)",
# pair's "Ctrl-C to stop"). Every command runs under `timeout`; what the
# test starts is stopped on exit.
set -u
A="$1"
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/aserial-cli-help-XXXXXX)
. "$HERE/../tap-lib.sh"
cleanup() {
    stop_started
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$T/out" "$T/err" 2>/dev/null; }
run() { timeout 10 "$A" "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; }
rc() { cat "$T/rc"; }
out() { grep -q -- "$1" "$T/out"; }
err() { grep -qF -- "$1" "$T/err"; }
one_line() { [ "$(wc -l <"$T/err")" = 1 ] && [ ! -s "$T/out" ]; }

echo "TAP version 13"

# command  its missing argument (as the message names it)  a misspelt option  its suggestion
while read -r cmd missing typo near args; do
    [ "$args" = "-" ] && args=""
    run help "$cmd"
    check "help $cmd: its own usage, exit 0" '[ "$(rc)" = 0 ] && out "^usage: aserial $cmd"'
    run "$cmd" --help
    check "$cmd --help: the same usage" '[ "$(rc)" = 0 ] && out "^usage: aserial $cmd"'
    # shellcheck disable=SC2086
    run "$cmd" $args
    check "$cmd $args: one line naming $missing, exit 2" \
        '[ "$(rc)" = 2 ] && one_line && err "missing $missing" && err "see aserial help $cmd"'
    # shellcheck disable=SC2086
    run "$cmd" $args "$typo"
    check "$cmd $typo: one line suggesting $near, exit 2" \
        '[ "$(rc)" = 2 ] && one_line && err "unknown option $typo: did you mean $near?" && err "see aserial help $cmd"'
done <<'CMDS'
query PORT --timout --timeout -
sim PORT --rpely --reply -
term URL --ecoh --echo -
serve --listen --max-cleints --max-clients ./x
bridge URL_B --trcae --trace ./x
pair LINK_B --hepl --help ./x
CMDS
run help list
check "help list: its own usage, exit 0" '[ "$(rc)" = 0 ] && out "^usage: aserial list"'
run list --jsno
check "list --jsno: one line suggesting --json, exit 2" \
    '[ "$(rc)" = 2 ] && one_line && err "did you mean --json?"'
run query ./x
check "query PORT without a request: names REQUEST" '[ "$(rc)" = 2 ] && one_line && err "missing REQUEST"'
run query ./x '*IDN?' --config
check "--config without a value: says it needs one" '[ "$(rc)" = 2 ] && one_line && err "--config needs a value"'

# -- commands ---------------------------------------------------------------------
run qurey
check "qurey: did you mean query, exit 2" '[ "$(rc)" = 2 ] && one_line && err "did you mean \"query\""'
run help qurey
check "help qurey: did you mean query, exit 2" '[ "$(rc)" = 2 ] && err "did you mean \"query\""'
run frobnicate
check "an unknown command far from any: no suggestion" '[ "$(rc)" = 2 ] && ! err "did you mean"'
run help
check "help alone: the command list, exit 0" '[ "$(rc)" = 0 ] && out "^  query" && out "help COMMAND"'

# -- --config in two words ---------------------------------------------------------
for cmd in query sim term; do
    run "$cmd" ./x '*IDN?' --config 9600 8N1
    [ "$cmd" = query ] || run "$cmd" ./x --config 9600 8N1
    check "$cmd --config 9600 8N1: refused with the comma form, exit 2" \
        '[ "$(rc)" = 2 ] && one_line && err "write --config 9600,8N1"'
done
run serve ./x --config 9600 8N1 --listen 2000
check "serve --config 9600 8N1: refused with the comma form, exit 2" \
    '[ "$(rc)" = 2 ] && one_line && err "write --config 9600,8N1"'
run bridge ./x ./y --config-a 9600 7E1
check "bridge --config-a 9600 7E1: refused with the comma form, exit 2" \
    '[ "$(rc)" = 2 ] && one_line && err "write --config-a 9600,7E1"'

# -- port forms from the transport table -------------------------------------------
run --help
tr -d '\n' <"$T/out" >"$T/flat"
check "--help lists ws://, wss://, tcp+tls://, rfc2217+tls:// and not mock://" \
    'for s in ws:// wss:// tcp+tls:// rfc2217+tls:// rfc2217:// tcp-listen:// pty:; do grep -qF -- "$s" "$T/flat" || exit 1; done; ! grep -qF mock:// "$T/flat"'
run query 'gopher://'"$(printf '%0300d' 0)"'/x' 'x'
check "unknown scheme: whole message, no mock://, exit 1" \
    '[ "$(rc)" = 1 ] && one_line && err "unknown scheme" && err "wss://" && err "aserial(1))" && ! err "mock://"'

# -- a refused connection: only what the user typed ---------------------------------
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run query "rfc2217://127.0.0.1:$port?baud=9600" '*IDN?' --timeout 3000
check "refused rfc2217://: the URL as typed, no connect_timeout/ack_timeout" \
    '[ "$(rc)" = 1 ] && err "refused" && err "(rfc2217://127.0.0.1:$port?baud=9600)" && ! err "_timeout"'

# -- wording ------------------------------------------------------------------------
run serve --help
check "serve --help: --read-only is not said to be the default" \
    '! out "the default for every listener" && out "without it, clients"'
timeout 60 "$A" pair "$T/a" "$T/b" >"$T/pair.out" 2>"$T/pair.err" &
PIDS="$PIDS $!"
i=0
while ! grep -q "Ctrl-C" "$T/pair.err" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
check "pair says Ctrl-C to stop" 'grep -q "Ctrl-C to stop" "$T/pair.err"'
timeout 60 "$A" sim "$T/a" --reply 'A=B' >"$T/sim.out" 2>"$T/sim.err" &
PIDS="$PIDS $!"
i=0
while ! grep -q "answering" "$T/sim.err" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
check "sim with one rule says (1 rule)" 'grep -q "(1 rule)" "$T/sim.err"'

echo "1..$n"
[ "$failed" = 0 ]
