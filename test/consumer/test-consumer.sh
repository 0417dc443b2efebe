#!/bin/sh
# test-consumer.sh: an installed aserial works for a program that knows it
# only through pkg-config. TAP.
#
#   test-consumer.sh MESON BUILDDIR PREFIX LIBDIR INCLUDEDIR SRCDIR SANITIZE UV CC...
#
# `meson install --destdir` the build into a temporary directory D, then,
# with PKG_CONFIG_PATH=D/LIBDIR/pkgconfig and PKG_CONFIG_SYSROOT_DIR=D
# (pkg-config prefixes D to the -I and -L paths of the installed .pc
# files, which keep the real PREFIX as they must), compile
# SRCDIR/consumer.c with `CC $(pkg-config --cflags --libs aserial)` and
# SRCDIR/consumer_uv.c with `... aserial-uv` (when UV is true), and run
# them with LD_LIBRARY_PATH=D/LIBDIR: each must load the installed shared
# library, not the build tree's. Fails if a header is missing or broken,
# a .pc file names the wrong directories or libraries, or the shared
# library lacks a symbol (or a SONAME link). SANITIZE is b_sanitize: a
# sanitized library needs the same -fsanitize= in the program.
set -u

meson=$1 build=$2 prefix=$3 libdir=$4 includedir=$5 src=$6 sanitize=$7 uv=$8
shift 8
cc=$*
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
case $includedir in /*) ;; *) includedir=$prefix/$includedir ;; esac

D=$(mktemp -d "${TMPDIR:-/tmp}/aserial-consumer.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }
check() { # check DESCRIPTION COMMAND...: ok if COMMAND succeeds
    d=$1
    shift
    if "$@" >"$D/out" 2>&1; then ok "$d"; else notok "$d"; sed 's/^/#   /' "$D/out"; fi
}
finish() { echo "1..$n"; exit $fail; }

echo "TAP version 13"
echo "# prefix $prefix, libdir $libdir, includedir $includedir, destdir $D"

if "$meson" install -C "$build" --no-rebuild --destdir "$D" >"$D/install.log" 2>&1; then
    ok "meson install --destdir"
else
    notok "meson install --destdir"
    tail -20 "$D/install.log" | sed 's/^/#   /'
    finish
fi

export PKG_CONFIG_PATH="$D$libdir/pkgconfig"
# Report every -I/-L, system directories included (with a sysroot set they
# point into D); pkg-config would otherwise drop -L/usr/lib/<triplet> when
# PREFIX is /usr.
export PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR

pcs="aserial"
[ "$uv" = true ] && pcs="$pcs aserial-uv"

for f in "$includedir/aserial.h" "$includedir/aserial/version.h" \
         "$includedir/aserial/testing.h" "$libdir/libaserial.so" \
         "$libdir/libaserial.so.0" "$libdir/libaserial.a" "$prefix/bin/aserial"; do
    check "installed $f" test -e "$D$f"
done
[ "$uv" = true ] && check "installed $includedir/aserial/uv.h" test -e "$D$includedir/aserial/uv.h"

# The .pc files name the directories the files were installed in.
for pc in $pcs; do
    check "$pc.pc installed in LIBDIR/pkgconfig" test -f "$D$libdir/pkgconfig/$pc.pc"
    got=$(pkg-config --variable=libdir "$pc" 2>&1)
    check "$pc.pc: libdir=$libdir (got $got)" test "$got" = "$libdir"
    got=$(pkg-config --variable=includedir "$pc" 2>&1)
    check "$pc.pc: includedir=$includedir (got $got)" test "$got" = "$includedir"
done

export PKG_CONFIG_SYSROOT_DIR="$D"
san=""
[ "$sanitize" != none ] && san="-fsanitize=$sanitize"

build_and_run() { # build_and_run PROGRAM PC
    prog=$1 pc=$2
    if ! flags=$(pkg-config --cflags --libs "$pc" 2>"$D/pc.err"); then
        notok "pkg-config --cflags --libs $pc"
        sed 's/^/#   /' "$D/pc.err"
        return
    fi
    echo "# $pc: $flags"
    case " $flags " in
        *" -I$D$includedir "*) ok "$pc: --cflags has -I$D$includedir" ;;
        *) notok "$pc: --cflags has -I$D$includedir" ;;
    esac
    case " $flags " in
        *" -L$D$libdir "*) ok "$pc: --libs has -L$D$libdir" ;;
        *) notok "$pc: --libs has -L$D$libdir" ;;
    esac
    echo "# $cc $san -o $D/$prog $src/$prog.c $flags"
    # shellcheck disable=SC2086
    if ! $cc $san -o "$D/$prog" "$src/$prog.c" $flags >"$D/cc.log" 2>&1; then
        notok "$prog compiles and links against the installed $pc"
        sed 's/^/#   /' "$D/cc.log"
        return
    fi
    ok "$prog compiles and links against the installed $pc"
    lib=$(LD_LIBRARY_PATH="$D$libdir" ldd "$D/$prog" | sed -n 's/^[[:space:]]*libaserial\.so\.0 => \([^ ]*\).*/\1/p')
    check "$prog loads the installed shared libaserial ($lib)" test "$lib" = "$D$libdir/libaserial.so.0"
    if [ "$pc" = aserial-uv ]; then
        lib=$(LD_LIBRARY_PATH="$D$libdir" ldd "$D/$prog" | sed -n 's/^[[:space:]]*libaserial-uv\.so\.0 => \([^ ]*\).*/\1/p')
        check "$prog loads the installed shared libaserial-uv ($lib)" test "$lib" = "$D$libdir/libaserial-uv.so.0"
    fi
    if LD_LIBRARY_PATH="$D$libdir" timeout 30 "$D/$prog" >"$D/run.log" 2>&1; then
        ok "$prog: bytes written on one end of a virtual pair are read on the other"
        sed 's/^/# /' "$D/run.log"
    else
        notok "$prog: bytes written on one end of a virtual pair are read on the other"
        sed 's/^/#   /' "$D/run.log"
    fi
}

build_and_run consumer aserial
[ "$uv" = true ] && build_and_run consumer_uv aserial-uv
finish
