# term-lib.sh: what the tmux-driven terminal tests share. Sourced after
# they set A (the aserial binary), HERE (their folder) and NAME (a short
# word for the scratch directory and the private tmux server):
#   T         scratch directory, removed on exit
#   TM        "tmux -L ..." for a private server, killed on exit
#   nok       a failure, with every *.log and the files in $EVIDENCE
#   wait_for, screen PANE, shows TEXT [TENTHS], speed PTY, free_port,
#   start_pair [PREFIX [RULE...]], need PROGRAM..., keep_tmux
T=$(mktemp -d "/tmp/aserial-$NAME-XXXXXX")
TM="tmux -L aser-$NAME-$$"
EVIDENCE="$T/screen $T/out $T/err"
. "$HERE/../tap-lib.sh"
cleanup() {
    $TM kill-server 2>/dev/null
    stop_started
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
nok() {
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
    for f in "$T"/*.log $EVIDENCE; do
        [ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f"
    done
}
wait_for() { # $1 = shell condition, $2 = tenths of a second
    i=0
    while ! eval "$1" && [ $i -lt "$2" ]; do sleep 0.1; i=$((i + 1)); done
    eval "$1"
}
PANE=term # the tmux session screen() reads
screen() { $TM capture-pane -p -J -t "$PANE" >"$T/screen" 2>/dev/null; cat "$T/screen"; }
shows() { want=$1; wait_for 'screen | grep -q -- "$want"' "${2:-50}"; }
speed() { timeout 5 /usr/bin/python3 "$HERE/termios_speed.py" "$1" 2>/dev/null; }
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# start_pair [PREFIX [RULE...]]: `aserial pair` with links $T/PREFIXa and
# $T/PREFIXb, and `aserial sim` on $T/PREFIXb answering the RULEs (CR LF
# line ends; *IDN?=ACME,SIM,42 when none are given), ready when it says it
# is answering. PAIR and SIM are their timeout processes.
start_pair() {
    name=${1:-}
    [ $# -gt 0 ] && shift
    [ $# -eq 0 ] && set -- '*IDN?=ACME,SIM,42'
    timeout 120 "$A" pair "$T/${name}a" "$T/${name}b" >"$T/${name}pair.log" 2>&1 &
    PAIR=$!
    PIDS="$PIDS $PAIR"
    wait_for '[ -e "$T/${name}b" ]' 50
    args=""
    for r in "$@"; do args="$args --reply '$r'"; done
    eval "timeout 120 \"\$A\" sim \"\$T/${name}b\" $args --eol '\\r\\n'" >"$T/${name}sim.log" 2>&1 &
    SIM=$!
    PIDS="$PIDS $SIM"
    wait_for 'grep -q answering "$T/${name}sim.log" 2>/dev/null' 50
}
# need PROGRAM...: the plan is "1..0 # SKIP" naming the first one missing.
need() {
    for prog in "$@"; do
        if ! command -v "$prog" >/dev/null; then
            echo "1..0 # SKIP $prog is not installed (scripts/deps.sh check installs it)"
            exit 0
        fi
    done
}
# A session that keeps the tmux server up: killing the last session makes
# the server exit, and a new session started meanwhile fails with it.
keep_tmux() { $TM new-session -d -s keep "sleep 600"; }
