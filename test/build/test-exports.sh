#!/bin/sh
# test-exports.sh: a shared library exports exactly the public API.
#
#   test-exports.sh NM LIBRARY SONAME HEADER...
#
# SONAME is the expected DT_SONAME ("libaserial.so.0"; checked with
# $READELF, default readelf): it follows the ABI, not the project version.
# The public functions are the ones declared with ASER_API in HEADER...;
# every file-scope function declaration there must carry it. Fails (TAP)
# if `nm -D --defined-only LIBRARY` shows an aser__* internal, any symbol
# not declared in the headers, or if a declared function is not exported.
set -u

nm=$1 lib=$2 soname=$3
shift 3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }

echo "TAP version 13"
name=$(basename "$lib")

# File-scope function declarations: a line starting (column 0) with a
# return type and naming aser_something( ; typedefs and macros excluded.
grep -hE '^[A-Za-z_][A-Za-z0-9_ ]*[ *]+aser_[a-z0-9_]+\(' "$@" |
    grep -v '^typedef' >"$tmp/decl-lines"
grep -v '^ASER_API ' "$tmp/decl-lines" >"$tmp/bare"
if [ -s "$tmp/bare" ]; then
    notok "every public function in $(echo "$@" | xargs -n1 basename | xargs) carries ASER_API"
    sed 's/^/#   missing ASER_API: /' "$tmp/bare"
else
    ok "every public function in $(echo "$@" | xargs -n1 basename | xargs) carries ASER_API"
fi
sed -E 's/^[^(]*[ *](aser_[a-z0-9_]+)\(.*/\1/' "$tmp/decl-lines" | sort -u >"$tmp/declared"

got=$("${READELF:-readelf}" -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$got" = "$soname" ]; then
    ok "$name has SONAME $soname"
else
    notok "$name has SONAME $soname (it has '$got')"
fi

if ! "$nm" -D --defined-only "$lib" >"$tmp/nm"; then
    notok "nm -D --defined-only $name"
    echo "1..$n"
    exit 1
fi
awk 'NF >= 2 { print $NF }' "$tmp/nm" | sed 's/@.*//' | sort -u >"$tmp/exported"
echo "# $name exports $(wc -l <"$tmp/exported") symbols; the headers declare $(wc -l <"$tmp/declared")"

grep '^aser__' "$tmp/exported" >"$tmp/internal"
if [ -s "$tmp/internal" ]; then
    notok "$name exports no aser__* internals"
    sed 's/^/#   exported internal: /' "$tmp/internal"
else
    ok "$name exports no aser__* internals"
fi

comm -23 "$tmp/exported" "$tmp/declared" >"$tmp/extra"
if [ -s "$tmp/extra" ]; then
    notok "$name exports only functions declared in the public headers"
    sed 's/^/#   exported, not declared: /' "$tmp/extra"
else
    ok "$name exports only functions declared in the public headers"
fi

comm -13 "$tmp/exported" "$tmp/declared" >"$tmp/missing"
if [ -s "$tmp/missing" ]; then
    notok "$name exports every function the headers declare"
    sed 's/^/#   declared, not exported: /' "$tmp/missing"
else
    ok "$name exports every function the headers declare"
fi

echo "1..$n"
exit $fail
