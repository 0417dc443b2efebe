#!/bin/sh
# test-man.sh: the man pages in man/ (TAP).
#
#   test-man.sh [SOURCE_DIR]     (or ASER_SOURCE_DIR; default: this tree)
#
# 1. every page renders with man(1) without a single warning, and no
#    rendered line is wider than MANWIDTH (80);
# 2. every public function declared in include/aserial.h and
#    include/aserial/*.h has a page or a one-line .so alias, and that page
#    lists the function in its NAME line;
# 3. every .so target exists;
# 4. every prototype in a SYNOPSIS is exactly one the headers declare
#    (same types, same parameter names), and every function is in one;
# 5. code blocks (.nf/.fi) use \- and \(aq, so copied code stays ASCII;
# 6. the aliases and man/meson.build are what man/gen-aliases.sh makes;
# 7. each EXAMPLE section compiles (cc -fsyntax-only against include/).
# Needs man-db and groff-base (scripts/deps.sh installs them).
set -u

SRC=${1:-${ASER_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}}
SRC=$(cd "$SRC" && pwd)
MAN="$SRC/man"
CC=${CC:-cc} # may be several words ("ccache cc")
T=$(mktemp -d /tmp/aserial-man-XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { # $1 = description; details in $T/why (not a pipe: n must count)
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    sed 's/^/# /' "$T/why"
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

echo "TAP version 13"

if ! command -v man >/dev/null 2>&1 || ! command -v groff >/dev/null 2>&1; then
    echo "1..0 # SKIP man-db and groff-base are not installed (scripts/deps.sh check)"
    exit 0
fi

# The pages, as a man hierarchy: `.so man3/x.3` resolves from $T/tree.
mkdir -p "$T/tree"
ln -s "$MAN" "$T/tree/man1"
ln -s "$MAN" "$T/tree/man3"

pages=$(cd "$MAN" && LC_ALL=C ls -- *.1 *.3 2>/dev/null)
[ -n "$pages" ] || { echo "1..0 # SKIP no pages in $MAN"; exit 0; }

is_alias() { [ "$(wc -l <"$MAN/$1")" -le 1 ] && head -n 1 "$MAN/$1" | grep -q '^\.so '; }

# roff source -> plain text: the escapes the pages use in code.
unroff() {
    sed -e 's/\\(aq/'"'"'/g' -e 's/\\(dq/"/g' -e 's/\\-/-/g' -e 's/\\&//g' \
        -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g'
}

# Lines of one section's .nf/.fi blocks ($1 = section name, $2 = page).
nf_blocks() {
    awk -v want="$1" '
        /^\.SH / { sec = $0; sub(/^\.SH +"?/, "", sec); sub(/"$/, "", sec); next }
        sec != want { next }
        /^\.nf/ { nf = 1; next }
        /^\.fi/ { nf = 0; next }
        nf && !/^\.(PP|RS|RE|br)/ { print }' "$2"
}

# Declarations of functions and of function-pointer typedefs, one per line,
# whitespace normalised; reads C on stdin. Only statements starting in
# column 0 count (struct members are indented, in the headers and pages).
decls() {
    awk '
        { sub(/\/\*.*\*\//, "") }
        /\/\*/ { incomment = 1; sub(/\/\*.*/, "") }
        incomment { if ($0 ~ /\*\//) { incomment = 0; sub(/.*\*\//, "") } else next }
        /^#/ { next }
        !collect && /^[A-Za-z_][A-Za-z0-9_ *]*[ *]\(?\*?aser_[a-z0-9_]+\)?\(/ {
            collect = 1; buf = ""
        }
        collect {
            buf = buf " " $0
            if ($0 ~ /;/) {
                gsub(/[ \t]+/, " ", buf); sub(/^ /, "", buf); sub(/ *; *$/, ";", buf)
                gsub(/\( /, "(", buf); gsub(/ \)/, ")", buf)
                print buf; collect = 0
            }
        }'
}

fn_name() { sed -E 's/^typedef .*\(\*(aser_[a-z0-9_]+)\).*/\1/; t; s/^[^(]*[ *](aser_[a-z0-9_]+)\(.*/\1/'; }

# ---- 1. rendering --------------------------------------------------------
# A one-line .so alias renders as its target does: the targets are the
# pages rendered here, and check 3 below finds every target.
for p in $pages; do
    is_alias "$p" && continue
    case "$p" in *.1) sec=1 ;; *) sec=3 ;; esac
    (cd "$T/tree" && LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
        man --warnings -E UTF-8 -l "man$sec/$p" >"$T/out" 2>"$T/err")
    rc=$?
    width=$(LC_ALL=C.UTF-8 wc -L <"$T/out")
    if [ $rc -ne 0 ] || [ -s "$T/err" ]; then
        { echo "man exited $rc"; cat "$T/err"; } >"$T/why"
        nok "$p renders without warnings"
    elif [ ! -s "$T/out" ]; then
        echo "no output" >"$T/why"
        nok "$p renders without warnings"
    elif [ "$width" -gt 80 ]; then
        LC_ALL=C.UTF-8 grep '.\{81,\}' "$T/out" >"$T/why"
        nok "$p renders within 80 columns (widest: $width)"
    else
        ok "$p renders without warnings, within 80 columns"
    fi
done

# ---- 2, 3. every function findable, every .so target there ----------------
cat "$SRC/include/aserial.h" "$SRC"/include/aserial/*.h | sed 's/^ASER_API //' | decls >"$T/hdr"
grep -v '^typedef' "$T/hdr" | fn_name | sort -u >"$T/functions"
nfun=$(wc -l <"$T/functions")
missing=""
for f in $(cat "$T/functions"); do
    if [ ! -f "$MAN/$f.3" ]; then
        missing="$missing $f"
        continue
    fi
    target=$f.3
    if is_alias "$f.3"; then target=$(sed -n 's|^\.so man3/||p' "$MAN/$f.3"); fi
    [ -f "$MAN/$target" ] || continue # reported below
    sed -n '/^\.SH NAME/{n;p;q;}' "$MAN/$target" | sed 's/ *\\-.*//; s/,/ /g' |
        tr ' ' '\n' | grep -qx "$f" || missing="$missing $f(not-in-NAME-of-$target)"
done
if [ -z "$missing" ]; then
    ok "all $nfun public functions have a page or an alias naming them"
else
    echo "$missing" | tr ' ' '\n' | sed '/^$/d' >"$T/why"
    nok "every public function has a page or an alias"
fi

bad=""
for p in $pages; do
    for t in $(sed -n 's/^\.so //p' "$MAN/$p"); do
        case "$t" in
            man1/*|man3/*) [ -f "$MAN/${t#man?/}" ] || bad="$bad $p->$t" ;;
            *) bad="$bad $p->$t(not-man1/-or-man3/)" ;;
        esac
    done
done
if [ -z "$bad" ]; then ok "every .so target exists"
else
    echo "$bad" | tr ' ' '\n' | sed '/^$/d' >"$T/why"
    nok "every .so target exists"
fi

# ---- 4. SYNOPSIS against the headers -------------------------------------
: >"$T/synopsis_all"
bad=""
for p in $pages; do
    is_alias "$p" && continue
    nf_blocks SYNOPSIS "$MAN/$p" | unroff | decls >"$T/syn"
    cat "$T/syn" >>"$T/synopsis_all"
    while IFS= read -r d; do
        grep -qxF -- "$d" "$T/hdr" || bad="$bad
$p: $d"
    done <"$T/syn"
done
if [ -z "$bad" ]; then ok "every SYNOPSIS prototype matches a header declaration"
else
    echo "$bad" | sed '/^$/d' >"$T/why"
    nok "every SYNOPSIS prototype matches a header declaration"
fi
grep -v '^typedef' "$T/synopsis_all" | fn_name | sort -u >"$T/in_synopsis"
absent=$(comm -23 "$T/functions" "$T/in_synopsis")
if [ -z "$absent" ]; then ok "every public function is declared in a SYNOPSIS"
else
    echo "$absent" >"$T/why"
    nok "every public function is declared in a SYNOPSIS"
fi

# ---- 5. code blocks stay ASCII when copied --------------------------------
bad=""
for p in $pages; do
    is_alias "$p" && continue
    hits=$(awk '/^\.nf/ { nf = 1; next } /^\.fi/ { nf = 0; next }
                nf && !/^\.(PP|RS|RE|br)/ {
                    l = $0; gsub(/\\-/, "", l); gsub(/\\\(aq/, "", l)
                    if (l ~ /-/ || l ~ /'"'"'/) print FILENAME ":" NR ": " $0 }' "$MAN/$p")
    [ -n "$hits" ] && bad="$bad
$hits"
done
if [ -z "$bad" ]; then ok "code blocks write - as \\- and ' as \\(aq"
else
    echo "$bad" | sed '/^$/d' >"$T/why"
    nok "code blocks write - as \\- and ' as \\(aq"
fi

# ---- 6. aliases and meson.build up to date --------------------------------
mkdir "$T/gen"
for p in $pages; do is_alias "$p" || cp "$MAN/$p" "$T/gen/"; done
cp "$MAN/gen-aliases.sh" "$T/gen/"
if sh "$T/gen/gen-aliases.sh" >"$T/err" 2>&1 &&
    diff -r -x gen-aliases.sh "$T/gen" "$MAN" >"$T/diff" 2>&1; then
    ok "aliases and man/meson.build are up to date"
else
    cat "$T/err" "$T/diff" >"$T/why"
    nok "aliases and man/meson.build are up to date (run man/gen-aliases.sh)"
fi

# ---- 7. EXAMPLE sections compile ------------------------------------------
if ! command -v "${CC%% *}" >/dev/null 2>&1; then
    skip "EXAMPLE sections compile" "no C compiler ($CC)"
else
    for p in $pages; do
        is_alias "$p" && continue
        case "$p" in *.3) ;; *) continue ;; esac
        nf_blocks EXAMPLE "$MAN/$p" | unroff >"$T/example.body"
        [ -s "$T/example.body" ] || continue
        extra=""
        if grep -q 'aserial/uv.h' "$T/example.body"; then
            extra=$(pkg-config --cflags libuv 2>/dev/null) ||
                { skip "$p EXAMPLE compiles" "libuv headers not found"; continue; }
        fi
        if grep -q 'aserial/event.h' "$T/example.body"; then
            extra=$(pkg-config --cflags libevent_core 2>/dev/null) ||
                { skip "$p EXAMPLE compiles" "libevent headers not found"; continue; }
        fi
        {
            echo '#define _POSIX_C_SOURCE 200809L'
            echo '#include <aserial.h>'
            echo '#include <stdbool.h>'
            echo '#include <stdio.h>'
            echo '#include <stdlib.h>'
            echo '#include <string.h>'
            echo "#line 1 \"$p EXAMPLE\""
            cat "$T/example.body"
        } >"$T/example.c"
        # shellcheck disable=SC2086
        if $CC -std=c11 -Wall -Wextra -Werror -Wno-unused-function -fsyntax-only \
            -I"$SRC/include" -I"${ASER_BUILD_DIR:-$SRC/build}/include" $extra "$T/example.c" >"$T/err" 2>&1; then
            ok "$p EXAMPLE compiles"
        else
            cp "$T/err" "$T/why"
            nok "$p EXAMPLE compiles"
        fi
    done
fi

echo "1..$n"
[ $failed -eq 0 ]
