#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ABI discipline: the shared library exports exactly the global symbols of
# libccsandbox.sym, under its version node, and each of them is a function
# declared in the public header; every function the header declares is
# exported (a declared but hidden function is a link error for embedders)
# and named in libccsandbox(3).
: "${top_srcdir:?}" "${top_builddir:?}"
sym=$top_srcdir/libccsandbox/libccsandbox.sym
hdr=$top_srcdir/libccsandbox/ccsandbox.h
so=$top_builddir/libccsandbox/.libs/libccsandbox.so

command -v nm >/dev/null 2>&1 || { echo "SKIP: nm not found (binutils)"; exit 77; }
command -v cc >/dev/null 2>&1 || { echo "SKIP: no C compiler (cc) to preprocess the header"; exit 77; }
[ -e "$so" ] || { echo "FAIL - $so not built (configured with --disable-shared?)"; exit 1; }

T=$(mktemp -d /tmp/ccsb-abi.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
failed=0
fail() {
	failed=1
	echo "FAIL - $*"
}

# The version script: names in "global:" sections, and the version nodes.
awk '
	{ sub(/#.*/, "") }
	/^[ \t]*[A-Za-z_][A-Za-z0-9_.]*[ \t]*\{/ { n = $0; sub(/[ \t]*\{.*/, "", n); gsub(/[ \t]/, "", n); print n > nodes }
	/global:/ { g = 1; sub(/.*global:/, "") }
	/local:/ { g = 0 }
	g { gsub(/[ \t;]+/, " "); for (i = 1; i <= NF; i++) if ($i ~ /^[A-Za-z_][A-Za-z0-9_]*$/) print $i }
' nodes="$T/nodes" "$sym" | sort -u >"$T/script"
[ -s "$T/script" ] || fail "no global symbol found in $sym"
sort -u -o "$T/nodes" "$T/nodes"

# Defined dynamic symbols. Recent binutils print "name@@VERSION"; the
# version node itself is an absolute (A) symbol.
if ! nm -D --defined-only "$so" >"$T/nm.out" 2>"$T/nm.err"; then
	cat "$T/nm.err"
	fail "nm -D --defined-only $so failed"
fi
awk '$2 != "A" { s = $3; sub(/@.*/, "", s); print s }' "$T/nm.out" | sort -u >"$T/exported"
awk '$2 == "A" { s = $3; sub(/@.*/, "", s); print s }' "$T/nm.out" | sort -u >"$T/abs"

if ! cmp -s "$T/script" "$T/exported"; then
	fail "exported symbols differ from $sym"
	comm -13 "$T/script" "$T/exported" | sed 's/^/  exported but not in the version script: /'
	comm -23 "$T/script" "$T/exported" | sed 's/^/  in the version script but not exported: /'
else
	echo "ok - the library exports exactly the $(wc -l <"$T/script") symbols of the version script"
fi

if ! cmp -s "$T/nodes" "$T/abs"; then
	fail "version nodes differ: script has '$(tr '\n' ' ' <"$T/nodes")', library has '$(tr '\n' ' ' <"$T/abs")'"
else
	echo "ok - version node $(tr '\n' ' ' <"$T/nodes")"
fi

# With symbol versions shown (binutils >= 2.35), each export carries the
# default version of the node.
if grep -q '@' "$T/nm.out"; then
	unversioned=$(awk '$2 != "A" && $3 !~ /@@/ { print $3 }' "$T/nm.out")
	if [ -n "$unversioned" ]; then
		fail "symbols without a default version: $unversioned"
	else
		echo "ok - every export has a default symbol version"
	fi
fi

# Functions the header declares, comments and all stripped by the
# preprocessor: identifiers directly followed by "(".
if ! cc -E -P -x c "$hdr" >"$T/hdr.i" 2>"$T/cpp.err"; then
	cat "$T/cpp.err"
	fail "cannot preprocess $hdr"
fi
grep -o '\bccsb_[A-Za-z0-9_]*[[:space:]]*(' "$T/hdr.i" | sed 's/[[:space:](]*$//' | sort -u >"$T/declared"
missing=$(comm -23 "$T/script" "$T/declared")
if [ -n "$missing" ]; then
	fail "in the version script but not declared in ccsandbox.h: $(echo $missing)"
else
	echo "ok - every symbol of the version script is declared in ccsandbox.h"
fi
hidden=$(comm -13 "$T/script" "$T/declared")
if [ -n "$hidden" ]; then
	fail "declared in ccsandbox.h but missing from the version script: $(echo $hidden)"
else
	echo "ok - every function ccsandbox.h declares is in the version script"
fi

# The overview page names every exported function.
man=$top_srcdir/man/libccsandbox.3
undocumented=
while read -r s; do
	grep -qw -- "$s" "$man" || undocumented="$undocumented $s"
done <"$T/script"
if [ -n "$undocumented" ]; then
	fail "exported but not named in man/libccsandbox.3:$undocumented"
else
	echo "ok - man/libccsandbox.3 names every exported function"
fi
exit $failed
