# tap-lib.sh: what the shell tests share, sourced after they set T (their
# scratch directory) and define nok (how a failure shows its evidence).
# TAP counters, check, and stopping what the test started.
n=0
failed=0
PIDS="" # each a `timeout ... CMD` started in the background
ok() { n=$((n + 1)); echo "ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }
# Stop everything in PIDS: TERM to the command itself, not to timeout, which
# would pass it on to the command and its group (two TERMs can hang an ASan
# build's exit); wait up to 10 s for a real exit (a sanitizer build checks
# for leaks on the way out); then KILL, children first, so nothing is left
# behind half-way through exiting.
stop_started() {
    for p in $PIDS; do pkill -TERM -P "$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null; done
    i=0
    while [ $i -lt 100 ]; do
        alive=0
        for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
        i=$((i + 1))
    done
    # the whole tree under each, collected before any dies: a helper run
    # as `eval "timeout ..." &` is two levels down, and one whose parent
    # is killed first is reparented out of reach (an ASan helper stuck in
    # LeakSanitizer's exit was once left spinning for hours)
    tree=""
    for p in $PIDS; do tree="$tree $(descendants "$p") $p"; done
    for p in $tree; do kill -KILL "$p" 2>/dev/null; done
}

# Every descendant of process $1, children before grandchildren.
descendants() {
    for c in $(pgrep -P "$1" 2>/dev/null); do
        echo "$c"
        descendants "$c"
    done
}
