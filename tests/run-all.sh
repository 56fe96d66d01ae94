#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole test suite, from a clean checkout: install what it needs (as
# root on Debian/Ubuntu), build, `make check`, the same under ASan/UBSan,
# `make distcheck`, a bounded fuzz run, and README's first command followed
# by this script's build in a fresh copy. Ends with "N passed, N failed".
#
#   sudo tests/run-all.sh            # what README's Quick start and CI run
#   FUZZ_SECONDS=300 tests/run-all.sh
#   RUN_ALL_BUILD_ONLY=1 tests/run-all.sh   # dependencies, autogen, configure, build
#
# Everything is built and run in a copy of the tree under ${TMPDIR:-/tmp}
# (the tree's files as git lists them, or all but _build* without git), never
# in the tree itself: so it runs the same before or after README's first
# command, whatever was configured in the tree, leaves no root-owned file
# there, and the sandboxes' uid (65534) can read the copy wherever the clone
# is, a 0700 home included. The copy is removed when everything passed.
set -u
cd "$(dirname "$0")/.."
src=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

# Copy the tree at $1 into the existing directory $2: git's files (tracked,
# and untracked ones not ignored) when it is a git work tree, else
# everything but build directories.
copy_tree() {
	if command -v git >/dev/null 2>&1 &&
		git -c safe.directory="$1" -C "$1" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -c safe.directory="$1" -C "$1" ls-files -z --cached --others --exclude-standard |
			(cd "$1" && xargs -0 -r sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done' sh) |
			tar -C "$1" --null --no-recursion -T - -cf - | tar -C "$2" -xf -
	else
		tar -C "$1" --exclude='./_build*' --exclude=./autom4te.cache -cf - . | tar -C "$2" -xf -
	fi
}

deps="build-essential autoconf automake libtool pkg-config
      libcap-dev libseccomp-dev libjson-c-dev musl-tools
      bubblewrap slirp4netns iproute2 util-linux tmux python3 python3-jsonschema strace git
      clang clang-format libclang-rt-14-dev curl iperf3 dnsmasq-base nix-bin
      openssh-client openssh-server sudo openssl
      systemd dbus-daemon"

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "== installing dependencies"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || { echo "apt-get update failed"; exit 1; }
	# shellcheck disable=SC2086
	apt-get install -y -q $deps >/dev/null || { echo "apt-get install failed"; exit 1; }
	# Node.js for Claude Code, from Debian unless the machine has its own
	# (Debian's npm conflicts with a separately installed Node, e.g.
	# NodeSource's nodejs package, which provides npm itself).
	if ! command -v npm >/dev/null 2>&1; then
		apt-get install -y -q nodejs npm >/dev/null || { echo "apt-get install nodejs npm failed"; exit 1; }
	fi
	# The real Claude Code, for `ccsb claude --version`.
	if ! command -v claude >/dev/null 2>&1; then
		npm install -g --no-fund --no-audit @anthropic-ai/claude-code >/dev/null 2>&1 ||
			echo "warning: npm install -g @anthropic-ai/claude-code failed"
	fi
fi

passed=0
failed=0
skipped=0
# Add the counts of one automake test-suite.log.
count() {
	for f in "$@"; do
		# No log at all: the suite did not even run.
		[ -f "$f" ] || { failed=$((failed + 1)); continue; }
		p=$(sed -n 's/^# PASS: *//p' "$f" | head -n1)
		x=$(sed -n 's/^# FAIL: *//p' "$f" | head -n1)
		e=$(sed -n 's/^# ERROR: *//p' "$f" | head -n1)
		xp=$(sed -n 's/^# XPASS: *//p' "$f" | head -n1)
		sk=$(sed -n 's/^# SKIP: *//p' "$f" | head -n1)
		passed=$((passed + ${p:-0}))
		skipped=$((skipped + ${sk:-0}))
		failed=$((failed + ${x:-0} + ${e:-0} + ${xp:-0}))
	done
}
steps=0
step_failed=0
# A build step counts as one test; `make check` steps count their tests.
step() {
	steps=$((steps + 1))
	run "$@" || { step_failed=$((step_failed + 1)); return 1; }
}
run() {
	name=$1
	shift
	echo "== $name"
	if ! "$@"; then
		echo "== $name: FAILED"
		return 1
	fi
}
show_failures() {
	# Print the logs of failed tests so that CI output explains itself.
	for log in $(find "$1" -name '*.log' ! -name test-suite.log ! -name config.log 2>/dev/null); do
		trs=${log%.log}.trs
		if [ -f "$trs" ] && grep -q -e '^:test-result: FAIL' -e '^:test-result: ERROR' "$trs"; then
			echo "---- $log"
			tail -n 60 "$log"
		fi
	done
}

work=$(mktemp -d "${TMPDIR:-/tmp}/ccsb-suite.XXXXXX") || { echo "0 passed, 1 failed"; exit 1; }
chmod 755 "$work"
echo "== copying the tree to $work"
copy_tree "$src" "$work" || { echo "copying the tree failed"; echo "0 passed, 1 failed"; exit 1; }
cd "$work" || exit 1
top=$work
# A tree configured in place without git came with its build products.
if [ -f config.status ]; then
	make distclean >/dev/null 2>&1 || rm -f config.status
fi
# The sandboxes run as uid 65534 (tests/lib/common.sh): say it once if it
# cannot read the copy, instead of failing every check.
if [ "$(id -u)" = 0 ] && [ -z "${RUN_ALL_BUILD_ONLY-}" ] &&
	! setpriv --reuid="${CCSB_TEST_UID:-65534}" --regid="${CCSB_TEST_GID:-65534}" --clear-groups -- \
		test -r "$top/README.md" 2>/dev/null; then
	echo "uid ${CCSB_TEST_UID:-65534}, which the suite runs its sandboxes as, cannot read $top:" \
		"set TMPDIR to a directory it can reach"
	echo "0 passed, 1 failed"
	exit 1
fi

step autogen ./autogen.sh >/dev/null 2>&1 || { echo "0 passed, 1 failed"; exit 1; }

rm -rf _build _build-asan
mkdir -p _build _build-asan
step configure sh -c 'cd _build && ../configure --enable-werror -q' &&
	step build make -C _build -j"$jobs" -s
if [ -n "${RUN_ALL_BUILD_ONLY-}" ]; then
	echo "$((steps - step_failed)) passed, $step_failed failed"
	[ "$step_failed" = 0 ] && cd / && rm -rf "$work"
	exit $step_failed
fi
[ "$step_failed" = 0 ] &&
	{ run "make check" make -C _build -j"$jobs" check >_build/check.out 2>&1;
	  tail -n 25 _build/check.out; show_failures _build; }
count _build/test-suite.log

step "configure (ASan/UBSan)" sh -c 'cd _build-asan && ../configure --enable-sanitizers -q' &&
	{ run "make check (ASan/UBSan)" env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		make -C _build-asan -j"$jobs" check >_build-asan/check.out 2>&1;
	  tail -n 25 _build-asan/check.out; show_failures _build-asan; }
count _build-asan/test-suite.log

# The tree's format (.clang-format): clang-format 14 changes nothing.
format_check() {
	find libccsandbox tools tests bench examples -name '*.[ch]' ! -name 'seccomp-bpf.c' -print0 |
		xargs -0 clang-format --dry-run --Werror
}
step "clang-format --dry-run" format_check

step "make distcheck" make -C _build -j"$jobs" distcheck >_build/distcheck.out 2>&1 ||
	tail -n 40 _build/distcheck.out

step "fuzz (${FUZZ_SECONDS:-60} s)" sh tests/fuzz/run.sh "$top" "$top/_build" "${FUZZ_SECONDS:-60}"

# README's two commands in order, in a fresh copy of the tree: the first
# (taken from README.md, so that the two cannot drift; its final interactive
# `ccsb claude` becomes `ccsb --net=none claude --version`), then this
# script's build from that tree. It installs ccsb as README's first command
# does.
readme_then_suite() {
	cmd=$(awk '/^```sh$/ { n++; next } /^```$/ { if (n == 1) exit; next } n == 1' "$src/README.md")
	case $cmd in
	*"ccsb claude") cmd="${cmd%ccsb claude}ccsb --net=none claude --version" ;;
	*) echo "README.md's first sh block does not end with \`ccsb claude\`"; return 1 ;;
	esac
	fresh=$(mktemp -d "${TMPDIR:-/tmp}/ccsb-readme.XXXXXX") || return 1
	copy_tree "$src" "$fresh" || { rm -rf "$fresh"; return 1; }
	echo "$cmd"
	log=$fresh.log
	if (cd "$fresh" && bash -c "$cmd") >"$log" 2>&1; then
		tail -n 2 "$log"
		(cd "$fresh" && RUN_ALL_BUILD_ONLY=1 sh tests/run-all.sh) >"$log" 2>&1
		st=$?
		sed 's/^/    /' "$log"
	else
		st=1
		tail -n 30 "$log"
	fi
	rm -rf "$fresh" "$log"
	return $st
}
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	step "README's first command, then this script's build, in a fresh copy" readme_then_suite
fi

passed=$((passed + steps - step_failed))
failed=$((failed + step_failed))
# In CI every dependency is installed above, so a skip is a failure there.
if [ -n "${CI-}" ] && [ "$skipped" != 0 ]; then
	echo "CI: $skipped test(s) skipped; every dependency must be installed"
	failed=$((failed + skipped))
	for log in $(grep -rl '^:test-result: SKIP' _build _build-asan --include='*.trs' 2>/dev/null); do
		echo "---- skipped: ${log%.trs}"
		grep -h '^SKIP\|# SKIP' "${log%.trs}.log" | head -n 3
	done
fi
if [ "$failed" = 0 ]; then
	cd / && rm -rf "$work"
else
	echo "builds and logs kept in $work"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
