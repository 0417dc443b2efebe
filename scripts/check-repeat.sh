#!/bin/sh
# check-repeat.sh: the flakiness guard (issue 25). Runs the suites whose
# tests depend on timing (sockets, real peers, ptys, Wine) N rounds in a
# row in an existing build and reports, per test, how many rounds it
# failed. Exit status 0 only when every round passed.
#
#   scripts/check-repeat.sh BUILD N [SUITE...]
#   make check-repeat N=5 [REPEAT_SUITES="net web"]   (the usual way)
#
# A failure is kept: each failing round's meson log is copied to
# BUILD/meson-logs/repeat-ROUND.txt. Run it before merging anything that
# touches timing (timeouts, reconnect, the loop, the server, COM ports);
# docs/testing.md says more.
set -u
BUILD=${1:?usage: check-repeat.sh BUILD N [SUITE...]}
N=${2:?usage: check-repeat.sh BUILD N [SUITE...]}
shift 2
MESON=${MESON:-meson}
case $N in
'' | *[!0-9]*)
    echo "check-repeat: N must be a number of rounds (got '$N'): make check-repeat N=5" >&2
    exit 2
    ;;
esac
[ "$N" -ge 1 ] || {
    echo "check-repeat: N must be at least 1 (got $N)" >&2
    exit 2
}
[ -f "$BUILD/build.ninja" ] || {
    echo "check-repeat: no build in $BUILD: run make first" >&2
    exit 2
}
args=
for s in "$@"; do args="$args --suite $s"; done
suites=${*:-all}
out=$(mktemp "${TMPDIR:-/tmp}/aser-repeat.XXXXXX")
fails=$(mktemp "${TMPDIR:-/tmp}/aser-repeat-fails.XXXXXX")
trap 'rm -f "$out" "$fails"' EXIT
bad=0
r=1
while [ "$r" -le "$N" ]; do
    t0=$(date +%s)
    # shellcheck disable=SC2086
    $MESON test -C "$BUILD" --no-rebuild --print-errorlogs $args >"$out" 2>&1
    rc=$?
    # meson's summary lines: " 12/90 aserial:net / net-tls   FAIL   3.21s"
    grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS) ' "$out" |
        sed -E 's/^ *[0-9]+\/[0-9]+ +//; s/ +(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS) .*/ \1/' | sort -u >"$out.f"
    nf=$(wc -l <"$out.f")
    if [ "$rc" -ne 0 ] || [ "$nf" -ne 0 ]; then
        bad=$((bad + 1))
        cat "$out.f" >>"$fails"
        cp "$BUILD/meson-logs/testlog.txt" "$BUILD/meson-logs/repeat-$r.txt" 2>/dev/null
        echo "check-repeat: round $r/$N FAILED in $(($(date +%s) - t0)) s (meson status $rc):"
        sed 's/^/    /' "$out.f"
        [ "$nf" -eq 0 ] && tail -5 "$out" | sed 's/^/    /'
        echo "    log: $BUILD/meson-logs/repeat-$r.txt"
    else
        echo "check-repeat: round $r/$N passed in $(($(date +%s) - t0)) s"
    fi
    rm -f "$out.f"
    r=$((r + 1))
done
if [ "$bad" -eq 0 ]; then
    echo "check-repeat: $N of $N rounds passed (suites: $suites)"
    exit 0
fi
echo "check-repeat: $bad of $N rounds failed (suites: $suites); failures per test:"
sort "$fails" | uniq -c | sort -rn | sed 's/^/    /'
exit 1
