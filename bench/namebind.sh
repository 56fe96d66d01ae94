#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/namebind.sh: name-bound connections (issue 14) against routed ones,
# side by side in one sandbox, in one run: connection set-up (connect and a
# one-byte echo, the first byte needing the far end) and iperf3 throughput
# both ways. Prints a markdown table with medians, differences and ratios.
#
#   sudo bench/namebind.sh [-n CONNECTIONS] [-t IPERF_SECONDS] [-r ROUNDS]
#
# Environment: BUILD (default: ../_build beside this script), CCSB,
# CCSB_EXEC_HELPER as for the tests.
#
# Hermetic: re-executes itself in a new network, mount and pid namespace
# (tests/lib/netns.sh) with only documentation addresses on lo. The echo
# and iperf3 servers listen on 198.51.100.1 (reached by name: nb.bench.test,
# answered by a test dnsmasq) and 198.51.100.2 (reached by address: an
# allowlisted prefix, routed through slirp4netns). The sandbox runs as an
# unprivileged user.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
BUILD=${BUILD:-$top_srcdir/_build}
CCSB=${CCSB:-$BUILD/tools/ccsb}
CCSB_EXEC_HELPER=${CCSB_EXEC_HELPER:-$BUILD/tools/ccsb-exec}
export CCSB CCSB_EXEC_HELPER
N=200 T=5 ROUNDS=3
while getopts n:t:r: o; do
	case $o in
	n) N=$OPTARG ;;
	t) T=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	*) exit 2 ;;
	esac
done
export N T ROUNDS BUILD
[ "$(id -u)" = 0 ] || { echo "bench: needs root (it creates its own network namespace)" >&2; exit 1; }
for t in iperf3 dnsmasq python3 slirp4netns; do
	command -v $t >/dev/null 2>&1 || { echo "bench: $t not found" >&2; exit 1; }
done
# shellcheck source=../tests/lib/netns.sh
. "$top_srcdir/tests/lib/netns.sh"
set +e

D=$(mktemp -d /tmp/ccsb-bench-namebind.XXXXXX)
chmod 755 "$D"
trap 'netns_cleanup; rm -rf "$D"' EXIT
netns_user_dir "$D/home" "$D/proj"
netns_dnsmasq "$D" --address=/nb.bench.test/198.51.100.1 >/dev/null || {
	echo "bench: dnsmasq did not start" >&2
	exit 1
}
for a in 198.51.100.1 198.51.100.2; do
	netns_tcp_server $a 9000 || exit 1
	iperf3 -s -B $a -p 5201 -D --pidfile "$D/iperf-$a.pid" >/dev/null 2>&1
done
sleep 0.3
NETNS_PIDS="$NETNS_PIDS $(cat "$D"/iperf-*.pid)"

# Inside: set-up latency, alternating the two paths, then throughput.
cat >"$D/proj/nb.py" <<'EOF_PY'
import json, os, socket, statistics, subprocess, sys, time
n, t, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
bound = socket.getaddrinfo("nb.bench.test", 9000, socket.AF_INET)[0][4][0]
paths = {"routed": "198.51.100.2", "bound": bound}
def setup(addr):
    t0 = time.perf_counter()
    s = socket.create_connection((addr, 9000))
    s.sendall(b"x")
    s.recv(1)
    t1 = time.perf_counter()
    s.close()
    return (t1 - t0) * 1e6
lat = {k: [] for k in paths}
for i in range(5):
    for a in paths.values():
        setup(a)
for i in range(n):
    for k, a in paths.items():
        lat[k].append(setup(a))
print("addr", bound)
for k in paths:
    print("setup", k, "%.0f" % statistics.median(lat[k]), "%.0f" % min(lat[k]),
          "%.0f" % sorted(lat[k])[int(len(lat[k]) * 0.9)])
tp = {(k, d): [] for k in paths for d in ("up", "down")}
for r in range(rounds):
    for k, a in paths.items():
        for d in ("up", "down"):
            out = subprocess.run(["iperf3", "-c", a, "-p", "5201", "-t", t, "-J"] +
                                 (["-R"] if d == "down" else []), capture_output=True, text=True)
            try:
                tp[(k, d)].append(json.loads(out.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9)
            except Exception as e:
                print("iperf", k, d, "failed", repr(e), out.stderr[-200:])
for (k, d), v in tp.items():
    if v:
        print("tput", k, d, "%.2f" % statistics.median(v), "%.2f" % min(v), "%.2f" % max(v))
EOF_PY
chmod 644 "$D/proj/nb.py"
out=$(cd "$D/proj" && as_user env -i PATH=/usr/bin:/bin HOME="$D/home" TERM=dumb \
	CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" "$CCSB" -q --no-default-allowlist \
	--allow=198.51.100.2/32 --allow=nb.bench.test -- python3 nb.py "$N" "$T" "$ROUNDS" 2>&1)
echo "$out" | grep -v -e '^setup' -e '^tput' -e '^addr' >&2
v() { echo "$out" | awk -v a="$1" -v b="$2" -v c="$3" -v n="$4" '$1 == a && (b == "" || $2 == b) && (c == "" || $3 == c) { print $n; exit }'; }
rs=$(v setup routed "" 3) bs=$(v setup bound "" 3)
echo "Name-bound (relay, $(v addr "" "" 2) = nb.bench.test) against routed (slirp4netns, 198.51.100.2), one sandbox, $(nproc) cores, $(date -u +%F\ %H:%M) UTC"
echo
echo "| | routed | name-bound | name-bound − routed, ratio |"
echo "|---|---|---|---|"
[ -n "$rs" ] && [ -n "$bs" ] || { echo "bench: the sandbox's measurement failed (above)" >&2; exit 1; }
echo "$rs $bs $(v setup routed "" 4) $(v setup bound "" 4) $(v setup routed "" 5) $(v setup bound "" 5)" |
	awk -v n="$N" '{ printf "| connect + 1-byte echo, median of %d (min, p90), µs | %d (%d, %d) | %d (%d, %d) | %+d µs |\n", n, $1, $3, $5, $2, $4, $6, $2 - $1 }'
for d in up down; do
	echo "$(v tput routed $d 4) $(v tput bound $d 4) $(v tput routed $d 5) $(v tput routed $d 6) $(v tput bound $d 5) $(v tput bound $d 6)" |
		awk -v d="$d" -v r="$ROUNDS" -v t="$T" 'NF == 6 { printf "| iperf3 %s, median of %d × %s s (min–max), Gbit/s | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | %.0f%% |\n", d == "up" ? "sandbox → server" : "server → sandbox", r, t, $1, $3, $4, $2, $5, $6, 100 * $2 / $1 }
		NF != 6 { printf "| iperf3 %s | failed | failed | |\n", d }'
done
