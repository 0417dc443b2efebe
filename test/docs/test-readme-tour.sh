#!/bin/sh
# test-readme-tour.sh: the tours in README.md run as written (TAP).
#
#   test-readme-tour.sh [BUILD_DIR [SOURCE_DIR]]
#       (or ASER_BUILD_DIR / ASER_SOURCE_DIR; default: build/ in this tree)
#
# C tour: the ```c block between <!-- tour:begin --> and <!-- tour:end -->
# is compiled with `cc -std=c11 -Wall -Wextra -Werror` (plus
# $ASER_TOUR_CFLAGS, the sanitizer flags of the build) against include/ and
# the built libaserial.a (or libaserial.so), run under a 10 s timeout, and
# must exit 0 having printed the reply its simulated instrument was given
# (the response of its {"*IDN?", "..."} rule).
#
# CLI tour: the ```sh block between <!-- cli-tour:begin --> and
# <!-- cli-tour:end --> runs under `sh -e` in an empty directory with the
# built aserial first on PATH, under a 20 s timeout; it must exit 0 and
# print on a line of its own the response of its --reply '*IDN?=...' rule.
# Whatever it leaves running is stopped (its own process group).
set -u

SRC=${2:-${ASER_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}}
SRC=$(cd "$SRC" && pwd)
BUILD=${1:-${ASER_BUILD_DIR:-$SRC/build}}
BUILD=$(cd "$BUILD" && pwd)
CC=${CC:-cc}                    # may be several words ("ccache cc")
CFLAGS_EXTRA=${ASER_TOUR_CFLAGS:-} # e.g. -fsanitize=address,undefined
T=$(mktemp -d /tmp/aserial-tour-XXXXXX)
tpid=""
cleanup() {
    [ -n "$tpid" ] && kill -TERM -"$tpid" 2>/dev/null # its process group
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { # $1 = description; details in $T/why
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    sed 's/^/# /' "$T/why" 2>/dev/null
}

# The fenced block between two markers ($1, $2) of README.md, fences removed.
block() {
    awk -v b="$1" -v e="$2" '
        index($0, b) { on = 1; next }
        index($0, e) { on = 0; next }
        on && /^```/ { fence = !fence; next }
        on && fence { print }' "$SRC/README.md"
}

echo "TAP version 13"

# ---- the C tour -------------------------------------------------------------
block '<!-- tour:begin -->' '<!-- tour:end -->' >"$T/tour.c"
if [ ! -s "$T/tour.c" ]; then
    echo "no \`\`\`c block between <!-- tour:begin --> and <!-- tour:end --> in README.md" >"$T/why"
    nok "README has a marked C tour"
else
    ok "README has a marked C tour ($(wc -l <"$T/tour.c") lines)"
    want=$(sed -n 's/.*{"\*IDN?", *"\([^"]*\)"}.*/\1/p' "$T/tour.c" | head -n 1)
    if [ -f "$BUILD/libaserial.a" ]; then
        lib="$BUILD/libaserial.a -lpthread ${ASER_TOUR_LIBS:-}" # its own deps (OpenSSL)
    else
        lib="-L$BUILD -Wl,-rpath,$BUILD -laserial -lpthread"
    fi
    # shellcheck disable=SC2086
    if $CC -std=c11 -Wall -Wextra -Werror $CFLAGS_EXTRA -I"$SRC/include" -I"$BUILD/include" -o "$T/tour" \
        "$T/tour.c" $lib >"$T/why" 2>&1; then
        ok "the C tour compiles with -std=c11 -Wall -Wextra -Werror"
        timeout 10 "$T/tour" >"$T/out" 2>"$T/err"
        rc=$?
        { echo "exit status $rc; stdout:"; cat "$T/out"; echo "stderr:"; cat "$T/err"; } >"$T/why"
        if [ -z "$want" ]; then
            echo 'no {"*IDN?", "REPLY"} rule found in the tour' >>"$T/why"
            nok "the C tour prints its simulated reply and exits 0"
        elif [ $rc -eq 0 ] && grep -qF -- "$want" "$T/out"; then
            ok "the C tour prints its simulated reply ($want) and exits 0"
        else
            nok "the C tour prints its simulated reply ($want) and exits 0"
        fi
    else
        nok "the C tour compiles with -std=c11 -Wall -Wextra -Werror"
    fi
fi

# ---- the CLI tour -----------------------------------------------------------
block '<!-- cli-tour:begin -->' '<!-- cli-tour:end -->' >"$T/cli.sh"
if [ ! -s "$T/cli.sh" ]; then
    echo "no \`\`\`sh block between <!-- cli-tour:begin --> and <!-- cli-tour:end -->" >"$T/why"
    nok "README has a marked CLI tour"
elif [ ! -x "$BUILD/tools/aserial/aserial" ]; then
    ok "README has a marked CLI tour # SKIP $BUILD/tools/aserial/aserial is not built"
else
    ok "README has a marked CLI tour"
    want=$(sed -n "s/.*--reply '\\*IDN?=\\([^']*\\)'.*/\\1/p" "$T/cli.sh" | head -n 1)
    mkdir "$T/run"
    # timeout makes itself a process group leader: everything the tour
    # starts is in group $tpid, stopped by cleanup().
    (cd "$T/run" && PATH="$BUILD/tools/aserial:$PATH" exec timeout 20 sh -e "$T/cli.sh") \
        >"$T/out" 2>"$T/err" &
    tpid=$!
    wait "$tpid"
    rc=$?
    { echo "exit status $rc; stdout:"; cat "$T/out"; echo "stderr:"; cat "$T/err"; } >"$T/why"
    if [ -z "$want" ]; then
        echo "no --reply '*IDN?=REPLY' found in the CLI tour" >>"$T/why"
        nok "the CLI tour prints its simulated reply and exits 0"
    elif [ $rc -eq 0 ] && grep -qxF -- "$want" "$T/out"; then
        ok "the CLI tour prints its simulated reply ($want) and exits 0"
    else
        nok "the CLI tour prints its simulated reply ($want) and exits 0"
    fi
fi

echo "1..$n"
[ $failed -eq 0 ]
