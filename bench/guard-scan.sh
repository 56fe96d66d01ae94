#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/guard-scan.sh: the cost of the persistence guard's end-of-run scan
# (libccsandbox/guard.c) on a large writable tree.
#
#   sudo bench/guard-scan.sh [-n RUNS] [-f FILES]
#
# Builds a project of FILES files (default 100000) in a node_modules
# layout (packages of 50 files in 5 directories, nested node_modules every
# tenth package, one git repository with a few hundred loose objects), and
# times `ccsb -q --net=none --rw=TREE true` against `--rw=EMPTY` with
# bench/harness.c: interleaved rounds, medians and the 10th-90th
# percentiles. The difference is the start-up plan plus the scan; `find
# TREE -newerct TOMORROW` in the same rounds (it stats every entry and
# prints nothing) is the
# reference a load-independent ratio comes from; the
# figure with a dropped page cache (root only) shows the cold case once.
# Needs no network: --net=none. As root the runs are made as uid 65534.
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD=${BUILD:-$top/build}
CCSB=${CCSB:-$BUILD/tools/.libs/ccsb}
[ -x "$CCSB" ] || CCSB=$BUILD/tools/ccsb
CCSB_LIBDIR=${CCSB_LIBDIR:-$BUILD/libccsandbox/.libs}
CCSB_EXEC_HELPER=${CCSB_EXEC_HELPER:-$BUILD/tools/ccsb-exec}
RUNS=30
FILES=100000
while [ $# -gt 0 ]; do
	case $1 in
	-n) RUNS=$2; shift 2 ;;
	-f) FILES=$2; shift 2 ;;
	*) echo "usage: $0 [-n RUNS] [-f FILES]" >&2; exit 2 ;;
	esac
done
[ -x "$CCSB" ] || { echo "bench: no ccsb at $CCSB (set BUILD or CCSB)" >&2; exit 1; }

W=$(mktemp -d /var/tmp/ccsb-guard-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
mkdir -p "$W/home" "$W/proj" "$W/empty" "$W/tree/node_modules" "$W/bin"
${CC:-cc} -O2 -o "$W/bin/harness" "$here/harness.c" || exit 1

# The tree: packages of 50 files (package.json, index.js, 4 dirs of 12).
echo "bench: building a tree of $FILES files" >&2
(
	cd "$W/tree" || exit 1
	git init -q .
	for i in $(seq 1 300); do echo "object $i" | git hash-object -w --stdin >/dev/null; done
	npk=$((FILES / 50))
	for p in $(seq 1 "$npk"); do
		if [ $((p % 10)) = 0 ]; then
			d=node_modules/pkg$((p - 1))/node_modules/pkg$p
		else
			d=node_modules/pkg$p
		fi
		mkdir -p "$d/lib" "$d/dist" "$d/src" "$d/types"
		echo '{}' >"$d/package.json"
		: >"$d/index.js"
		for sub in lib dist src types; do
			(cd "$d/$sub" && touch f01.js f02.js f03.js f04.js f05.js f06.js f07.js f08.js \
				f09.js f10.js f11.js f12.js)
		done
	done
)
nfiles=$(find "$W/tree" -type f | wc -l)
ndirs=$(find "$W/tree" -type d | wc -l)
U=65534
G=65534
if [ "$(id -u)" = 0 ]; then
	chown -R "$U:$G" "$W/home" "$W/proj" "$W/empty" "$W/tree"
	AS="setpriv --reuid=$U --regid=$G --clear-groups"
else
	AS=
fi
run_h() {
	(cd "$W/proj" && $AS env -i HOME="$W/home" PATH=/usr/local/bin:/usr/bin:/bin \
		LD_LIBRARY_PATH="$CCSB_LIBDIR" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
		"$W/bin/harness" "$@")
}
run_h -n 3 -w 1 -- warm "$CCSB" -q --net=none "--rw=$W/tree" true >/dev/null
out=$(run_h -n "$RUNS" -w 3 -p 20 -m wall -- \
	empty "$CCSB" -q --net=none "--rw=$W/empty" true ::: \
	tree "$CCSB" -q --net=none "--rw=$W/tree" true ::: \
	find find "$W/tree" -newerct "@$(($(date +%s) + 86400))")
med() { echo "$out" | awk -v v="$1" -v k="$2" '$1 == v { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) print substr($i, length(k) + 2) }'; }
e=$(med empty wall_med)
t=$(med tree wall_med)
cold=n/a
if [ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/drop_caches ]; then
	sync
	echo 3 >/proc/sys/vm/drop_caches
	cold=$(run_h -n 1 -w 0 -m wall -- tree "$CCSB" -q --net=none "--rw=$W/tree" true |
		awk '{ for (i = 2; i <= NF; i++) if (index($i, "wall_med=") == 1) print substr($i, 10) }')
fi
f=$(med find wall_med)
echo "| tree | files | dirs | ccsb true, empty --rw (ms) | ccsb true, tree --rw (ms) | scan (ms) | ratio | find -newerct (ms) | cold cache (ms) | load |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '| node_modules layout | %s | %s | %s [%s–%s] | %s [%s–%s] | %s | %s | %s | %s | %s |\n' \
	"$nfiles" "$ndirs" "$e" "$(med empty wall_p10)" "$(med empty wall_p90)" \
	"$t" "$(med tree wall_p10)" "$(med tree wall_p90)" \
	"$(awk -v a="$t" -v b="$e" 'BEGIN { printf "%.1f", a - b }')" \
	"$(awk -v a="$t" -v b="$e" 'BEGIN { printf "%.1fx", a / b }')" "$f" "$cold" \
	"$(cut -d' ' -f1 /proc/loadavg)"
