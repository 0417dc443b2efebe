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
# First screens: every ```sh block above <!-- first-screens:end --> (try
# it, set up) runs as written; see that section below.
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

# ---- the first screens ----------------------------------------------------
# Every ```sh block above <!-- first-screens:end --> runs as written, each
# under `sh -e` and a timeout, in an empty directory holding `build` (a
# link to the build dir), with a stand-in for make first on PATH:
#   make, make all    the build is there (this test depends on it)
#   make deps         scripts/deps.sh exists (it needs root and apt)
#   make demo         runs the built examples/demo
#   make check        the Makefile has a check target (this test is part of it)
# A block with --reply '*IDN?=R' must print R on a line of its own once per
# command that asks '*IDN?'; a block with `make demo` the demo's summary.
# Whatever a block leaves running is stopped (its own process group).
head_blocks() { # the ```sh blocks above <!-- first-screens:end -->, as $T/screenN.sh
    awk -v dir="$T" '
        index($0, "<!-- first-screens:end -->") { exit }
        /^```sh/ { k++; f = dir "/screen" k ".sh"; on = 1; next }
        /^```/ { on = 0; next }
        on { print > f }' "$SRC/README.md"
}
mkdir "$T/bin"
cat >"$T/bin/make" <<MAKE
#!/bin/sh
case "\${1:-all}" in
    all) test -x "$BUILD/tools/aserial/aserial" ;;
    deps) test -f "$SRC/scripts/deps.sh" ;;
    demo) exec timeout 30 "$BUILD/examples/demo" ;;
    check) grep -q '^check:' "$SRC/Makefile" && echo "make check: not run here (this test is part of it)" ;;
    *) echo "make stand-in: unexpected target \$1" >&2; exit 2 ;;
esac
MAKE
chmod +x "$T/bin/make"
head_blocks
k=0
while [ -f "$T/screen$((k + 1)).sh" ]; do
    k=$((k + 1))
    f=$T/screen$k.sh
    first=$(grep -v '^[[:space:]]*#' "$f" | head -n 1 | sed 's/[[:space:]]*#.*//')
    if [ ! -x "$BUILD/tools/aserial/aserial" ]; then
        ok "first screens, block $k ($first) # SKIP $BUILD/tools/aserial/aserial is not built"
        continue
    fi
    rm -rf "$T/run" && mkdir "$T/run" && ln -s "$BUILD" "$T/run/build"
    # timeout makes itself a process group leader: everything the block
    # starts is in group $tpid, stopped by cleanup() or below.
    (cd "$T/run" && PATH="$T/bin:$PATH" exec timeout 30 sh -e "$f") >"$T/out" 2>"$T/err" &
    tpid=$!
    wait "$tpid"
    rc=$?
    kill -TERM -"$tpid" 2>/dev/null
    tpid=""
    { echo "exit status $rc; block:"; cat "$f"; echo "stdout:"; cat "$T/out"; echo "stderr:"; cat "$T/err"; } >"$T/why"
    want=$(sed -n "s/.*--reply '\\*IDN?=\\([^']*\\)'.*/\\1/p" "$f" | head -n 1)
    asks=$(grep -v -- '--reply' "$f" | grep -c "'\*IDN?")
    got=0
    [ -n "$want" ] && got=$(tr -d '\r' <"$T/out" | grep -cxF -- "$want")
    if [ $rc -ne 0 ]; then
        nok "first screens, block $k ($first) exits 0"
    elif [ -n "$want" ] && [ "$got" -lt "$asks" ]; then
        echo "wanted $want on a line of its own $asks times, saw it $got times" >>"$T/why"
        nok "first screens, block $k ($first) prints $want for each request"
    elif grep -q 'make demo' "$f" && ! grep -q '^all [0-9]* replies in' "$T/out"; then
        nok "first screens, block $k ($first): the demo prints its summary"
    else
        ok "first screens, block $k ($first) runs as written${want:+ and prints $want $got times}"
    fi
done
if [ $k -lt 2 ]; then
    echo "found $k \`\`\`sh blocks above <!-- first-screens:end --> (try it, set up)" >"$T/why"
    nok "README's first screens have their shell blocks"
fi

echo "1..$n"
[ $failed -eq 0 ]
