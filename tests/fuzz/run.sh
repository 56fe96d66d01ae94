#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the allowlist fuzz target with libFuzzer, ASan and UBSan, and run it
# for a bounded time. Exit status: 0 no finding, 77 clang or libFuzzer
# missing, anything else a crash (the reproducer is left in the output
# directory as crash-*, leak-* or timeout-*).
#
#     tests/fuzz/run.sh SRCDIR BUILDDIR [SECONDS]
#
# CLANG overrides the compiler; FUZZ_JOBS runs that many workers in parallel.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 SRCDIR BUILDDIR [SECONDS]" >&2
	exit 2
fi
src=$(cd "$1" && pwd)
build=$2
seconds=${3:-60}
clang=${CLANG:-clang}
jobs=${FUZZ_JOBS:-1}

case $seconds$jobs in
*[!0-9]*)
	echo "$0: SECONDS and FUZZ_JOBS must be numbers" >&2
	exit 2
	;;
esac

if ! command -v "$clang" >/dev/null 2>&1; then
	echo "$0: $clang not found; install clang (Debian: apt-get install clang)" >&2
	exit 77
fi

out=$build/tests/fuzz
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=$out/fuzz-allowlist
corpus=$out/corpus-allowlist
mkdir -p "$corpus"

# error.c takes the version from config.h; a configured tree has one.
if [ -f "$build/config.h" ]; then
	set -- -include "$build/config.h"
else
	set -- -DPACKAGE_VERSION='"fuzz"'
fi

if ! "$clang" -std=gnu11 -g -O1 -D_GNU_SOURCE "$@" -I"$src/libccsandbox" \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer \
	"$src/tests/fuzz/fuzz-allowlist.c" \
	"$src/libccsandbox/allowlist.c" \
	"$src/libccsandbox/error.c" \
	-o "$bin"; then
	if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
		"$clang" -x c -fsanitize=fuzzer - -o "$out/.probe" 2>/dev/null; then
		echo "$0: $clang cannot link libFuzzer (Debian: apt-get install libclang-rt-dev)" >&2
		rm -f "$out/.probe"
		exit 77
	fi
	rm -f "$out/.probe"
	exit 1
fi

# Seeds: the shipped list, and one of each shape the parser distinguishes.
if [ -f "$src/ip-ranges.txt" ]; then
	cp "$src/ip-ranges.txt" "$corpus/seed-ip-ranges"
fi
printf '%s\n' '# comment' '10.0.0.0/8 # trailing' '' '192.0.2.1' '2001:db8::/32' \
	'::ffff:192.0.2.0/120' '::/0' '0.0.0.0/0' >"$corpus/seed-valid"
printf '10.0.0.0/25\n10.0.0.128/25\n10.0.1.0/24\n10.0.2.0/23\n10.0.0.0/24\n' \
	>"$corpus/seed-merge"
printf '10.0.0.1/8\n' >"$corpus/seed-hostbits"
printf '*.example.com\n' >"$corpus/seed-domain"
printf '2001:db8::g\n' >"$corpus/seed-v6typo"
printf '1.2.3.4/24x\r\n' >"$corpus/seed-junk"

dict=$out/allowlist.dict
cat >"$dict" <<'DICT'
"/"
"."
":"
"::"
"#"
"\x0a"
"\x0d\x0a"
"\x00"
"*."
"/0"
"/32"
"/128"
"::ffff:"
"0.0.0.0"
"255.255.255.255"
"2001:db8::"
"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
DICT

echo "fuzzing the allowlist parser for ${seconds}s ($bin)"
# -max_len past the 4096-byte line limit so that both sides of it are reached.
# libFuzzer reports a crash with 77 by default, which reads as a skip.
set -- -max_total_time="$seconds" -max_len=9000 -timeout=10 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-dict="$dict" -artifact_prefix="$out/" -print_final_stats=1
if [ "$jobs" -gt 1 ]; then
	# Workers log to fuzz-N.log in the current directory.
	cd "$out"
	set -- "$@" -jobs="$jobs" -workers="$jobs"
fi
set +e
"$bin" "$@" "$corpus"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
	echo "$0: the fuzzer found a problem (exit $rc); reproducers in $out" >&2
fi
exit "$rc"
