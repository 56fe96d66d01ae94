#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The examples are real embedders: install the library into a temporary
# DESTDIR, build every example against that installation with nothing but
# `pkg-config --cflags --libs libccsandbox`, and run it. Everything is written
# under the test's temporary directory, so this works from a read-only source
# tree (make distcheck) too.
. "$top_srcdir/tests/lib/common.sh"
command -v cc >/dev/null 2>&1 || t_skip "no C compiler (cc)"
command -v pkg-config >/dev/null 2>&1 || t_skip "pkg-config not found"
command -v make >/dev/null 2>&1 || t_skip "make not found"
t_setup

# ---- install into DESTDIR -----------------------------------------------
dest=$T/dest
# A fresh make: the one running this test may have passed its jobserver and
# command-line variables (TESTS=...) down through MAKEFLAGS.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -C "$top_builddir" install DESTDIR="$dest" >"$T/install.log" 2>&1; then
	cat "$T/install.log"
	fail "make install DESTDIR=$dest"
	t_done
	exit
fi
pass "make install DESTDIR=..."

# DESTDIR keeps the configured prefix: the installed files are under
# $dest$libdir and so on. pkg-config finds the .pc there, and the sysroot
# makes it emit -I and -L inside $dest.
libdir=$(pkg-config --variable=libdir "$top_builddir/libccsandbox/libccsandbox.pc")
PKG_CONFIG_PATH=$dest$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
PKG_CONFIG_SYSROOT_DIR=$dest
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
check "libccsandbox.pc is installed in \$libdir/pkgconfig" \
	'test -f "$dest$libdir/pkgconfig/libccsandbox.pc"'
flags=$(pkg-config --cflags --libs libccsandbox)
check "pkg-config points into the installation ($flags)" \
	'echo "$flags" | grep -q -- "-I$dest/.*/ccsandbox" && echo "$flags" | grep -q -- "-L$dest$libdir"'
check "the header is installed under \$includedir/ccsandbox" \
	'test -n "$(find "$dest" -path "*/ccsandbox/ccsandbox.h")"'
check "the man page is installed" 'test -n "$(find "$dest" -name libccsandbox.3)"'
# The sandbox's pid 1 from the installation, not the build tree.
helper=$(find "$dest" -name ccsb-exec -type f)
check "ccsb-exec is installed ($helper)" 'test -n "$helper" && test -x "$helper"'
CCSB_EXEC_HELPER=$helper

# ---- build ----------------------------------------------------------------
mkdir "$T/bin"
for x in minimal allowlist print many events; do
	# shellcheck disable=SC2086 # word splitting of the flags is the point
	# A sanitizer build of the library needs its runtime linked first;
	# empty otherwise. Embedders use pkg-config alone.
	if cc -Werror -Wall -Wextra ${CCSB_SAN_LDFLAGS-} -o "$T/bin/$x" "$top_srcdir/examples/$x.c" $flags \
		>"$T/cc-$x.log" 2>&1; then
		pass "examples/$x.c builds with only pkg-config's flags"
	else
		cat "$T/cc-$x.log"
		fail "examples/$x.c builds with only pkg-config's flags"
	fi
done
chmod -R a+rX "$T/bin" "$dest"

# Run an example as the test user, in directory $1, with a clean
# environment and the installed library.
ex_in() {
	t_dir=$1
	shift
	(cd "$t_dir" && as_test_user env -i $SB_ENV HOME="$THOME" \
		LD_LIBRARY_PATH="$dest$libdir" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
		${EX_EXTRA_ENV-} "$T/bin/$@")
}
ex() {
	ex_in "$PROJ" "$@"
}

check "the examples load the installed libccsandbox" \
	'LD_LIBRARY_PATH="$dest$libdir" ldd "$T/bin/minimal" | grep -q "libccsandbox.so.* => $dest$libdir/"'

# ---- minimal --------------------------------------------------------------
out=$(ex minimal sh -c 'echo "hi from $(id -un)"; exit 3')
st=$?
check "minimal runs the command" 'test "$out" = "hi from claude"'
check "... and passes its status through" 'test $st = 3'
ex minimal sh -c 'pwd >where; touch made-inside'
check "minimal shares the current directory read-write" \
	'test "$(cat "$PROJ/where")" = "$PROJ" && test -f "$PROJ/made-inside"'
out=$(ex minimal sh -c 'awk "NR > 2 { print \$1 }" /proc/net/dev')
check "minimal has no network but loopback" 'test "$out" = "lo:"'
ex minimal /nonexistent/command 2>/dev/null
st=$?
check "minimal: a command not found inside gives 127" 'test $st = 127'
err=$(ex_in / minimal true 2>&1)
st=$?
check "minimal: a refused policy gives 125" 'test $st = 125'
check "... with the library's message" 'echo "$err" | grep -q "refusing to share /"'
# ---- many: ten sandboxes in one poll loop -------------------------------
out=$(ex many 10 sh -c 'echo "in $CCSB_SLOT" >"in-$CCSB_SLOT"; exit $((CCSB_SLOT + 20))')
st=$?
check "many: ten concurrent sandboxes all ran (status $st)" 'test $st = 0'
check "... each with its own status" \
	'for i in 0 1 2 3 4 5 6 7 8 9; do echo "$out" | grep -qx "slot $i: status $((i + 20))" || exit 1; done'
check "... and each wrote its file in the shared directory" \
	'for i in 0 1 2 3 4 5 6 7 8 9; do test "$(cat "$PROJ/in-$i")" = "in $i" || exit 1; done'

err=$(EX_EXTRA_ENV=CCSB_EXEC_HELPER=relative/ccsb-exec ex minimal true 2>&1)
st=$?
check "minimal: a failed run gives 125 and a message" \
	'test $st = 125 && test -n "$err"'

# ---- events ---------------------------------------------------------------
err=$(ex events sh -c 'exit 4' 2>&1)
st=$?
check "events: the command's status (4: $st)" 'test $st = 4'
check "events: the callback got the start event, then the exit event with status 4" \
	'echo "$err" | sed -n 1p | grep -q "^event start ([0-9]* bytes): {\"v\":1,\"seq\":1,.*\"command\":\[\"sh\",\"-c\",\"exit 4\"\]" &&
	 echo "$err" | sed -n 2p | grep -q "^event exit ([0-9]* bytes): {\"v\":1,\"seq\":2,.*\"status\":4," &&
	 echo "$err" | sed -n 3p | grep -qx "2 events, schema version 1"'

# ---- print ----------------------------------------------------------------
out=$(ex print sh -c 'echo hello')
st=$?
check "print exits 0" 'test $st = 0'
check "print shows the bwrap argv, one argument a line" \
	'test "$(echo "$out" | sed -n 1p)" = bwrap && echo "$out" | grep -qx -- --unshare-all'
check "... running the command through the installed ccsb-exec" \
	'echo "$out" | grep -qx -- "$helper"'
check "... and the command, unsplit" 'echo "$out" | grep -qx -- "echo hello"'
check "... then the shell form" \
	'echo "$out" | grep -q "env -i " && echo "$out" | grep -q "bwrap --unshare-all"'
check "print starts nothing (no bwrap needed)" \
	'EX_EXTRA_ENV=PATH=/nonexistent ex print true >/dev/null'

# ---- allowlist ------------------------------------------------------------
err=$(ex allowlist 198.51.100.0/33 -- true 2>&1)
st=$?
check "allowlist: a bad entry gives 125" 'test $st = 125'
check "... naming it" 'echo "$err" | grep -q "198.51.100.0/33"'
out=$(ex allowlist 198.51.100.0/24 198.51.100.7 -- sh -c \
	'test -c /dev/null && touch /tmp/x && cat /proc/net/route && echo inside; exit 4' 2>"$T/allow.err")
st=$?
check "allowlist prints the count: 2 entries given, merged into 1 route" \
	'echo "$out" | grep -qx "allowlist: 2 entries, 1 routes"'
# Allowlist networking needs slirp4netns and a /dev/net/tun the test user can
# open; without them the run must fail cleanly, with 125 and a message.
if command -v slirp4netns >/dev/null 2>&1 &&
	as_test_user sh -c 'exec 3<>/dev/net/tun' 2>/dev/null; then
	check "allowlist runs the command in its own policy (/proc, /dev, /tmp)" \
		'test $st = 4 && echo "$out" | grep -qx inside'
	# /proc/net/route: destination 198.51.100.0 is 006433C6, no default.
	check "... routing only to the allowlist" \
		'echo "$out" | grep -q "^tap0[[:space:]]006433C6[[:space:]]" &&
		! echo "$out" | grep -q "^[^[:space:]]*[[:space:]]00000000[[:space:]]"'
else
	echo "# no slirp4netns or no /dev/net/tun usable by uid $TEST_UID: the run fails before the command"
	check "allowlist: without a usable network the run gives 125 and a message" \
		'test $st = 125 && test -s "$T/allow.err"'
fi
t_done
