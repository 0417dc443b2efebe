#!/bin/sh
# test-build-lines.sh: the README's lines that build a program against
# aserial work as written. TAP.
#
#   test-build-lines.sh SRCDIR BUILDDIR SANITIZE
#
# The C tour (between <!-- tour:begin --> and <!-- tour:end -->) is saved
# as tour.c; then each ```sh block between <!-- build-NAME:begin --> and
# <!-- build-NAME:end --> (NAME: tree, static, destdir, prefix) runs under
# `sh -e`, under a timeout, in a fresh directory W holding tour.c, `build`
# (a link to BUILDDIR) and `include` (a link to SRCDIR/include), with HOME=W
# (so $HOME/x is inside W). Each must exit 0 having printed the tour's
# simulated reply.
#
# `make` in a block is a stand-in (W/bin/make) for what the Makefile
# would do, without touching BUILDDIR's configuration:
#   make install DESTDIR=D   -> meson install -C BUILDDIR --no-rebuild --destdir D
#                               (BUILDDIR's prefix must be /usr/local, the
#                               Makefile's default, which the block assumes)
#   make install PREFIX=P    -> the real Makefile, with BUILD=W/pbuild (a new
#                               build dir configured for P: the library and
#                               the CLI only: 8 s of compiling here)
# A sanitizer build (SANITIZE not none) skips them all (its library needs
# the sanitizer runtime, which the lines do not name): the plain suite
# runs them.
set -u

src=$(cd "$1" && pwd) build=$(cd "$2" && pwd) sanitize=${3:-none}
D=$(mktemp -d "${TMPDIR:-/tmp}/aserial-build-lines.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

block() { # the fenced block between <!-- $1:begin --> and <!-- $1:end -->
    awk -v b="<!-- $1:begin -->" -v e="<!-- $1:end -->" '
        index($0, b) { on = 1; next }
        index($0, e) { on = 0; next }
        on && /^```/ { fence = !fence; next }
        on && fence { print }' "$src/README.md"
}

echo "TAP version 13"
block tour >"$D/tour.c"
want=$(sed -n 's/.*{"\*IDN?", *"\([^"]*\)"}.*/\1/p' "$D/tour.c" | head -n 1)
if [ -z "$want" ]; then
    notok "README has a C tour with a {\"*IDN?\", \"REPLY\"} rule"
    echo "1..$n"
    exit 1
fi
prefix=$(meson introspect --buildoptions "$build" 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')

# The make stand-in: see the header.
mkdir "$D/bin"
cat >"$D/bin/make" <<EOF
#!/bin/sh
set -e
target= destdir= pfx=
for a in "\$@"; do
    case \$a in
        install) target=install ;;
        DESTDIR=*) destdir=\${a#DESTDIR=} ;;
        PREFIX=*) pfx=\${a#PREFIX=} ;;
        *) echo "make stand-in: unexpected argument \$a" >&2; exit 2 ;;
    esac
done
[ "\$target" = install ] || { echo "make stand-in: only 'make install' is handled" >&2; exit 2; }
if [ -n "\$pfx" ]; then
    unset MAKEFLAGS MFLAGS MAKELEVEL # not the make check around this test
    exec /usr/bin/make -C "$src" install PREFIX="\$pfx" DESTDIR="\$destdir" \\
        BUILD="$D/pbuild" MESON_OPTS="-Dtests=false -Dexamples=false -Duv=disabled -Dlibevent=disabled"
fi
[ "$prefix" = /usr/local ] || { echo "make stand-in: $build has prefix $prefix, not /usr/local" >&2; exit 2; }
exec meson install -C "$build" --no-rebuild --destdir "\$destdir"
EOF
chmod +x "$D/bin/make"

run_lines() { # run_lines NAME TIMEOUT
    name=$1
    W=$D/$name
    mkdir -p "$W"
    cp "$D/tour.c" "$W/tour.c"
    ln -s "$build" "$W/build"
    ln -s "$src/include" "$W/include"
    block "build-$name" >"$W/lines.sh"
    if [ ! -s "$W/lines.sh" ]; then
        notok "README has a <!-- build-$name --> block"
        return
    fi
    sed 's/^/#   /' "$W/lines.sh"
    (cd "$W" && HOME=$W PATH="$D/bin:$PATH" exec timeout "$2" sh -e lines.sh) >"$W/out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && grep -qF -- "$want" "$W/out"; then
        ok "build-$name: the lines run as written and the tour prints its reply"
    else
        notok "build-$name: the lines run as written and the tour prints its reply (exit $rc)"
        tail -n 30 "$W/out" | sed 's/^/#   /'
    fi
}

if [ "$sanitize" = none ]; then
    run_lines tree 60
    run_lines static 60
    run_lines destdir 120
    run_lines prefix 240
else
    for l in tree static destdir prefix; do
        skip "build-$l" "sanitizer build ($sanitize): the plain suite runs it"
    done
fi
echo "1..$n"
exit $fail
