#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/run.sh: every ccsb benchmark in one run; prints one table.
# What each figure means, and the baseline: bench/README.md.
#
#   sudo bench/run.sh [-n RUNS] [--quick] [--no-srt] [--keep] [--only LIST] [-o FILE]
#
#   -n RUNS     runs per variant for the startup figures (default 100; the
#               route, RSS and srt figures use fewer, scaled from it)
#   --quick     -n 20 and short iperf3 runs: a smoke test, not a table
#   --no-srt    skip Anthropic's sandbox runtime even when npm can get it
#   -o FILE     also write the table (markdown) to FILE
#   --keep      keep the working directory (recorded argv, raw timings)
#   --rt        run the timed processes under SCHED_FIFO (chrt -f 10): on
#               a machine loaded by other work, what is left is the
#               sandboxes' own cost, not the scheduler's queue
#   --only LIST run only these sections (comma-separated): self, startup,
#               release, bounds, rss, routes, nlroutes, iperf, dns, srt,
#               coldstart, warm
#
# Environment:
#   BUILD            the build directory (default: ../build beside this script)
#   CCSB             ccsb binary to measure (default: $BUILD/tools/.libs/ccsb,
#                    the real binary, not libtool's wrapper script)
#   CCSB_LIBDIR      where its libccsandbox.so is (default: $BUILD/libccsandbox/.libs)
#   CCSB_EXEC_HELPER ccsb-exec (default: $BUILD/tools/ccsb-exec); ccsb-net
#                    and ccsb-state, its helpers, are taken from the same
#                    directory
#   CCSB_ALLOWLIST   the default allowlist (default: ../ip-ranges.txt)
#   BENCH_UID, BENCH_GID  the unprivileged user sandboxes run as (65534)
#   SRT              srt's executable (default: installed with npm into
#                    $CCSB_BENCH_CACHE, /var/tmp/ccsb-bench-cache)
#   CC               C compiler for the helpers (cc)
#   COMPARE          "NAME=BUILDDIR ..." (coldstart section): other builds
#                    measured in the same interleaved rounds, each with its
#                    own same-mounts bwrap replica, beside BUILD (named "this")
#
# Needs root: everything networked runs inside a network + mount + pid
# namespace that this script creates, with lo up and only the documentation
# addresses 198.51.100.0/24 and 203.0.113.0/24 on it; servers bind there and
# slirp4netns runs there, so no packet can reach a real network. The
# sandboxes themselves run as an unprivileged user, as users run them.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

die() {
	echo "bench: $*" >&2
	exit 1
}
note() { echo "bench: $*" >&2; }

# ====================================================================
# Outside the test namespace: snapshot binaries, build helpers, lists.
# ====================================================================
outer() {
	local RUNS=100 QUICK=0 WANT_SRT=1 OUT='' ONLY='' KEEP=0
	BENCH_RT=
	while [ $# -gt 0 ]; do
		case $1 in
		-n) RUNS=$2; shift 2 ;;
		-n*) RUNS=${1#-n}; shift ;;
		--quick) QUICK=1; RUNS=20; shift ;;
		--no-srt) WANT_SRT=0; shift ;;
		-o) OUT=$(realpath -m "$2"); shift 2 ;;
		--only) ONLY=$2; shift 2 ;;
		--keep) KEEP=1; shift ;;
		--rt) BENCH_RT=10; shift ;;
		-h | --help) sed -n '4,30p' "$0"; exit 0 ;;
		*) die "unknown option $1 (see --help)" ;;
		esac
	done
	[ "$(id -u)" = 0 ] || die "needs root: it creates its own network namespace (unshare --net) and a /dev/net/tun node in it, and runs the sandboxes as uid ${BENCH_UID:-65534}"
	for t in bwrap slirp4netns unshare setpriv ip "${CC:-cc}"; do
		command -v "$t" >/dev/null 2>&1 || die "$t not found"
	done

	BUILD=${BUILD:-$top/build}
	CCSB_SRC=${CCSB:-$BUILD/tools/.libs/ccsb}
	[ -x "$CCSB_SRC" ] || CCSB_SRC=$BUILD/tools/ccsb
	[ -x "$CCSB_SRC" ] || die "no ccsb binary at $BUILD/tools/.libs/ccsb (build first, or set CCSB)"
	head -c 4 "$CCSB_SRC" | grep -q ELF || die "$CCSB_SRC is not an ELF binary (a libtool wrapper?): set CCSB to the real binary"
	LIBDIR_SRC=${CCSB_LIBDIR:-$BUILD/libccsandbox/.libs}
	HELPER_SRC=${CCSB_EXEC_HELPER:-$BUILD/tools/ccsb-exec}
	[ -x "$HELPER_SRC" ] || die "no ccsb-exec at $HELPER_SRC (set CCSB_EXEC_HELPER)"
	NETHELPER_SRC=$(dirname "$HELPER_SRC")/ccsb-net
	[ -x "$NETHELPER_SRC" ] || die "no ccsb-net beside ccsb-exec ($NETHELPER_SRC)"
	# ccsb-state (Claude Code's state merge) is started beside ccsb-exec too.
	STATEHELPER_SRC=$(dirname "$HELPER_SRC")/ccsb-state
	[ -x "$STATEHELPER_SRC" ] || die "no ccsb-state beside ccsb-exec ($STATEHELPER_SRC)"
	ALLOW_SRC=${CCSB_ALLOWLIST:-$top/ip-ranges.txt}
	[ -r "$ALLOW_SRC" ] || die "no default allowlist at $ALLOW_SRC (set CCSB_ALLOWLIST)"

	# Not /tmp/ccsb-*: other people's clean-ups of test leftovers match that.
	W=$(mktemp -d "${TMPDIR:-/tmp}/bench-ccsb.XXXXXX") || die "mktemp"
	chmod 755 "$W"
	if [ "$KEEP" = 1 ]; then
		note "keeping $W (recorded bwrap command lines in rec/, raw timings in log/)"
	else
		trap 'rm -rf "$W"' EXIT
	fi
	mkdir -p "$W/bin" "$W/lib" "$W/data" "$W/log"
	# A snapshot: a rebuild during the run must not mix versions. A build
	# caught half-way (binary and library from different moments) fails
	# its smoke test: wait and copy again.
	local try
	for try in 1 2 3 4 5 6; do
		rm -f "$W/lib/"*
		cp "$CCSB_SRC" "$W/bin/ccsb"
		cp "$HELPER_SRC" "$W/bin/ccsb-exec"
		cp "$NETHELPER_SRC" "$W/bin/ccsb-net"
		cp "$STATEHELPER_SRC" "$W/bin/ccsb-state"
		if [ -d "$LIBDIR_SRC" ]; then
			for f in "$LIBDIR_SRC"/libccsandbox.so*; do
				[ -e "$f" ] && cp -L "$f" "$W/lib/"
			done
		fi
		LD_LIBRARY_PATH=$W/lib "$W/bin/ccsb" --help >/dev/null 2>&1 &&
			LD_LIBRARY_PATH=$W/lib "$W/bin/ccsb" --print --net=none -- true >/dev/null 2>&1 && break
		[ "$try" = 6 ] && die "the ccsb in $BUILD does not run (a build in progress?): $(LD_LIBRARY_PATH=$W/lib "$W/bin/ccsb" --print --net=none -- true 2>&1 | tail -n 1)"
		note "the ccsb in $BUILD does not run yet (a build in progress?); trying again in 20 s"
		sleep 20
	done
	cp "$ALLOW_SRC" "$W/data/default.txt"
	# Other builds for the coldstart section, snapshotted the same way
	# (static ccsb only: they share this build's library directory).
	local cmp name dir
	CMP_NAMES=''
	for cmp in ${COMPARE-}; do
		name=${cmp%%=*} dir=${cmp#*=}
		case $name in '' | *[!A-Za-z0-9_.-]*) die "COMPARE: bad name '$name' (letters, digits, . _ -)" ;; esac
		[ -x "$dir/tools/ccsb" ] && [ -x "$dir/tools/ccsb-exec" ] || die "COMPARE: no tools/ccsb and tools/ccsb-exec in $dir"
		mkdir -p "$W/cmp/$name"
		for f in ccsb ccsb-exec ccsb-net ccsb-state; do
			cp "$dir/tools/$f" "$W/cmp/$name/$f" || die "COMPARE: cannot copy $dir/tools/$f"
		done
		CMP_NAMES="$CMP_NAMES $name"
	done

	cc=${CC:-cc}
	if ! "$cc" -O2 -static -nostdlib -fno-stack-protector -fno-asynchronous-unwind-tables \
		-o "$W/bin/probe" "$here/probe.c" 2>"$W/log/cc-probe"; then
		"$cc" -O2 -static -DPROBE_LIBC -o "$W/bin/probe" "$here/probe.c" 2>>"$W/log/cc-probe" ||
			die "cannot build bench/probe.c: $(cat "$W/log/cc-probe")"
	fi
	"$cc" -O2 -o "$W/bin/harness" "$here/harness.c" 2>"$W/log/cc-harness" ||
		die "cannot build bench/harness.c: $(cat "$W/log/cc-harness")"
	# ccsb_sandbox_start() + ccsb_session_exec() against ccsb_sandbox_run()
	# (the warm section), linked with the snapshot of the library.
	"$cc" -O2 -I"$top/libccsandbox" -o "$W/bin/warm" "$here/warm.c" -L"$W/lib" -lccsandbox \
		2>"$W/log/cc-warm" || note "cannot build bench/warm.c: $(head -n 3 "$W/log/cc-warm")"
	"$cc" -O2 -o "$W/bin/nlroutes" "$here/nlroutes.c" 2>"$W/log/cc-nlroutes" ||
		die "cannot build bench/nlroutes.c: $(cat "$W/log/cc-nlroutes")"
	"$cc" -O2 -static -o "$W/bin/dnsq" "$here/dnsq.c" 2>"$W/log/cc-dnsq" ||
		"$cc" -O2 -o "$W/bin/dnsq" "$here/dnsq.c" 2>>"$W/log/cc-dnsq" ||
		die "cannot build bench/dnsq.c: $(cat "$W/log/cc-dnsq")"

	# Allowlists of N prefixes that do not merge: the addresses .1 and .2
	# of successive /30s (never siblings), in 198.18.0.0/15 (benchmarking
	# range, RFC 2544), which holds 65,536 such prefixes; beyond that in
	# 240.0.0.0/4 (reserved). Routes only: no packet is sent to them.
	for n in 1 10 1000 10000 100000; do
		awk -v n="$n" 'BEGIN {
			for (k = 0; k < n; k++) {
				if (k < 65536) { base = 198 * 16777216 + 18 * 65536; j = k }
				else { base = 240 * 16777216; j = k - 65536 }
				a = base + 4 * int(j / 2) + 1 + j % 2
				printf "%d.%d.%d.%d/32\n", int(a / 16777216), int(a / 65536) % 256,
					int(a / 256) % 256, a % 256
			}
		}' >"$W/data/allow-$n.txt"
	done

	# Anthropic's sandbox runtime: installed from npm here, outside the test
	# namespace (the registry is the only network access of the whole run).
	SRT_BIN='' SRT_WHY=''
	if [ "$WANT_SRT" = 0 ]; then
		SRT_WHY="skipped (--no-srt)"
	elif [ -n "${SRT-}" ]; then
		SRT_BIN=$SRT
	elif ! command -v npm >/dev/null 2>&1; then
		SRT_WHY="npm not found"
	else
		cache=${CCSB_BENCH_CACHE:-/var/tmp/ccsb-bench-cache}
		if [ ! -x "$cache/node_modules/.bin/srt" ]; then
			mkdir -p "$cache"
			note "installing @anthropic-ai/sandbox-runtime into $cache (npm)"
			timeout 300 npm install --prefix "$cache" --no-audit --no-fund --silent \
				@anthropic-ai/sandbox-runtime >"$W/log/npm" 2>&1 ||
				SRT_WHY="npm install failed: $(tail -n 1 "$W/log/npm")"
		fi
		[ -x "$cache/node_modules/.bin/srt" ] && SRT_BIN=$cache/node_modules/.bin/srt
	fi
	if [ -n "$SRT_BIN" ]; then
		[ -d "${cache-}" ] && chmod -R a+rX "$cache" 2>/dev/null
		missing=
		for t in node rg socat; do
			command -v $t >/dev/null 2>&1 || missing="$missing $t"
		done
		[ -z "$missing" ] || { SRT_WHY="srt needs$missing (apt-get install -y nodejs ripgrep socat)"; SRT_BIN=; }
	fi

	REV=$(git -C "$top" describe --always --dirty 2>/dev/null || echo "?")
	REV="$REV, binary $(date -u -r "$CCSB_SRC" '+%Y-%m-%d %H:%M UTC' 2>/dev/null)"
	export W RUNS QUICK OUT SRT_BIN SRT_WHY ONLY REV CMP_NAMES BENCH_RT
	export CCSB_BENCH_INSIDE=1
	unshare --net --mount --pid --fork --kill-child --mount-proc -- /bin/bash "$0"
}

# ====================================================================
# Inside: the test namespace.
# ====================================================================
U=${BENCH_UID:-65534}
G=${BENCH_GID:-65534}

setup_ns() {
	export PATH=$PATH:/usr/sbin:/sbin
	ip link set lo up &&
		ip addr add 198.51.100.1/24 dev lo &&
		ip addr add 198.51.100.53/32 dev lo &&
		ip addr add 203.0.113.1/24 dev lo || die "cannot configure lo in the test namespace"
	# slirp4netns opens /dev/net/tun as the user: a 0666 node, in this mount
	# namespace only.
	if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
		mount -t tmpfs -o mode=0755,size=4k ccsb-bench /dev/net &&
			mknod -m 0666 /dev/net/tun c 10 200 || die "cannot make a usable /dev/net/tun"
	fi
	# The host's resolver, for slirp's DNS forwarder and for ccsb: the test
	# DNS server (dnsmasq on 198.51.100.53), in this mount namespace only.
	printf 'nameserver 198.51.100.53\n' >"$W/data/resolv.conf"
	chmod 644 "$W/data/resolv.conf"
	mount --bind "$W/data/resolv.conf" "$(readlink -f /etc/resolv.conf)" 2>/dev/null ||
		note "cannot bind a test resolv.conf over /etc/resolv.conf: DNS via slirp will fail"
	mkdir -p "$W/home" "$W/proj" "$W/rec" "$W/run-user"
	# The user's runtime directory, as a login session has one
	# (/run/user/UID: a tmpfs only they can enter); ccsb keeps the private
	# copies of Claude Code's state there while a run lasts (else in
	# ~/.cache, on the disk). In this mount namespace only.
	mount -t tmpfs -o "mode=0700,uid=$U,gid=$G,size=16m" ccsb-bench-run "$W/run-user" ||
		die "cannot mount a tmpfs for XDG_RUNTIME_DIR"
	# the harness, running as the user, writes its raw timings there
	chown "$U:$G" "$W/home" "$W/proj" "$W/rec" "$W/log"
	chmod -R a+rX "$W/bin" "$W/lib" "$W/data"
	[ -d "$W/cmp" ] && chmod -R a+rX "$W/cmp"
}

# Run as the unprivileged user, in the project directory, with a clean,
# fixed environment.
as_user() {
	(cd "$W/proj" && setpriv --reuid="$U" --regid="$G" --clear-groups \
		env -i HOME="$W/home" XDG_RUNTIME_DIR="$W/run-user" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
		LD_LIBRARY_PATH="$W/lib" CCSB_EXEC_HELPER="$W/bin/ccsb-exec" \
		CCSB_ALLOWLIST="$W/data/default.txt" ${EXTRA_ENV-} "$@")
}

PROBE_DEST=/run/ccsb-bench/probe

# Record what ccsb hands bwrap: a fake bwrap (CCSB_BWRAP) saves its argv,
# its environment and the content of every descriptor it is told to read,
# then fails, and ccsb stops. The baseline replays exactly that.
record() { # DIR COMMAND...
	local dir=$1
	shift
	mkdir -p "$dir"
	chown "$U:$G" "$dir"
	# bash: the descriptors are numbered past 9, and the seccomp filter
	# arrives on a socket, which /proc/self/fd/N cannot reopen.
	cat >"$W/bin/bwrap-record" <<EOF
#!/bin/bash
out=$dir
for a; do printf '%s\n' "\$a"; done >"\$out/argv"
tr '\0' '\n' </proc/\$\$/environ >"\$out/env"
prev=
for a; do
	case \$prev in
	--ro-bind-data|--bind-data|--file|--seccomp|--add-seccomp-fd)
		cat <&"\$a" >"\$out/fd.\$a" ;;
	esac
	prev=\$a
done
exit 1
EOF
	chmod 755 "$W/bin/bwrap-record"
	EXTRA_ENV="CCSB_BWRAP=$W/bin/bwrap-record ${REC_ENV-}" as_user "${REC_CCSB:-$W/bin/ccsb}" -q --net=none "$@" \
		>/dev/null 2>&1
	[ -s "$dir/argv" ] || die "could not record ccsb's bwrap command line"
	if grep -q "$(printf '\r')" "$dir/argv"; then die "recorded argv has odd characters"; fi
	local bwrap
	bwrap=$(command -v bwrap)
	{ echo "$bwrap"; cat "$dir/argv"; } >"$dir/replica.argv"
	# The baseline: the same bwrap options and mounts, minus what only
	# ccsb adds on top of mounts: the seccomp filter, the info/block/status
	# descriptors, and ccsb-exec as pid 1 (its bind stays: same mounts).
	awk -v bwrap="$bwrap" '
		NR == 1 { print bwrap }
		state == 2 { print; next }                          # the command
		state == 1 { if ($0 == "--") state = 2; next }      # ccsb-exec [opts] --
		state == 3 { if ($0 ~ /ccsb/) { state = 1; next } state = 2; print; next }
		skip > 0 { skip--; next }
		/^(--seccomp|--add-seccomp-fd|--info-fd|--block-fd|--json-status-fd|--userns-block-fd|--sync-fd)$/ { skip = 1; next }
		$0 == "--" { print; state = 3; next }
		{ print }' "$dir/argv" >"$dir/bare.argv"
	# fds: data files for both; the seccomp program only for the replica
	local a prev='' fdall='' fddata=''
	while IFS= read -r a; do
		case $prev in
		--ro-bind-data | --bind-data | --file)
			fdall="$fdall @fd=$a:$dir/fd.$a" fddata="$fddata @fd=$a:$dir/fd.$a" ;;
		--seccomp | --add-seccomp-fd) fdall="$fdall @fd=$a:$dir/fd.$a" ;;
		--info-fd) fdall="$fdall @info=$a" ;;
		--block-fd) fdall="$fdall @block=$a" ;;
		--json-status-fd) fdall="$fdall @sink=$a" ;;
		esac
		prev=$a
	done <"$dir/argv"
	# ccsb removed its private copies of Claude Code's state when the
	# stand-in failed: made again (empty), so that the replay binds them
	# too (--bind-try skips what is missing).
	prev=''
	while IFS= read -r a; do
		case $prev in
		--bind-try)
			case $a in "$W"/*) [ -e "$a" ] || {
				mkdir -p "$(dirname "$a")" && echo '{}' >"$a" &&
					chown "$U:$G" "$(dirname "$a")" "$a"
			} ;;
			esac ;;
		esac
		prev=$a
	done <"$dir/argv"
	echo "$fdall" >"$dir/fds.replica"
	echo "$fddata" >"$dir/fds.bare"
	chmod -R a+rX "$dir"
}

# --only LIST: the sections to run (comma-separated), the others print n/a.
want() {
	[ -d "$W/log" ] || die "the working directory $W vanished (removed by someone else?)"
	[ -z "${ONLY-}" ] || case ",$ONLY," in *",$1,"*) true ;; *) false ;; esac; }

# harness wrappers
# --rt: the harness and everything it starts under SCHED_FIFO, so that
# other work on the machine cannot delay a run (what a loaded machine
# measures is mostly its scheduler); kernel work done by kernel threads is
# not covered.
H() {
	(
		if [ -n "${BENCH_RT-}" ]; then chrt -f -p "$BENCH_RT" "$BASHPID" >/dev/null || die "chrt failed"; fi
		as_user "$W/bin/harness" "$@"
	)
}

# field NAME KEY < summary
field() { [ -f "$3" ] || return 0; awk -v n="$1" -v k="$2" -F'\t' '$1 == n { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$3"; }

fmt_ms() { awk -v v="$1" 'BEGIN { if (v == "" || v < 0) print "n/a"; else if (v >= 100) printf "%.0f", v; else if (v >= 10) printf "%.1f", v; else printf "%.2f", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a <= 0 || b <= 0) print "n/a"; else printf "%.2f", a / b }'; }

TABLE=
row() { TABLE="$TABLE$*"$'\n'; }

inner() {
	PROBE_RO="--ro=$W/bin/probe:$PROBE_DEST"
	setup_ns
	local C="$W/bin/ccsb"
	local N=$RUNS
	local NR=$(( N * 3 / 10 )); [ "$NR" -lt 10 ] && NR=10
	local NS=$(( N / 4 )); [ "$NS" -lt 10 ] && NS=10
	local NRSS=$(( N / 5 )); [ "$NRSS" -lt 10 ] && NRSS=10
	local NK=$(( N / 20 )); [ "$NK" -lt 3 ] && NK=3
	local IPERF_T=5; [ "$QUICK" = 1 ] && IPERF_T=2

	# --- sanity: counts, versions -------------------------------------
	local v
	for v in 1 10 1000 10000 100000; do
		local line
		line=$(as_user "$C" --print --net=allowlist --no-default-allowlist \
			--allow-file="$W/data/allow-$v.txt" -- true 2>&1 | head -n 1)
		case $line in
		*"network: allowlist, $v prefix"*) ;;
		*) note "allow-$v: ccsb does not report $v merged prefixes: $line" ;;
		esac
	done
	local defline
	defline=$(as_user "$C" --print --net=allowlist -- true 2>&1 | head -n 1)
	DEFAULT_DESC=$(echo "$defline" | sed -n 's/.*allowlist, \([0-9]*\) prefix[es]* (\([0-9]*\) as given).*/\1 prefixes (\2 as given)/p')
	as_user "$C" -q --net=none -- /bin/true || die "ccsb --net=none -- /bin/true fails; see above"
	as_user "$C" -q --net=allowlist --allow=198.51.100.0/24 -- /bin/true ||
		die "ccsb --net=allowlist fails in the test namespace; see above"

	record "$W/rec/true" -- /bin/true
	record "$W/rec/probe" "$PROBE_RO" -- "$PROBE_DEST"
	local RT=$W/rec/true RP=$W/rec/probe
	# bare: the command itself instead of ccsb-exec
	# (bare.argv ends with "--" followed by the command)

	local S="$W/log"
	# Not the baseline: bwrap with a minimal system (/usr and --dev, as in
	# DESIGN.md's "Facts measured"), to show what ccsb's curated mount list
	# costs bwrap itself.
	local BWRAP_MIN
	BWRAP_MIN="$(command -v bwrap) --unshare-all --die-with-parent --new-session --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --proc /proc --dev /dev"
	# The floor (issue 17): the smallest sandbox a person would write by
	# hand for the same job: /usr and its symlinks, /proc, /dev, a /tmp,
	# the project read-write, every namespace. ccsb --net=none's target is
	# 1.5 x this.
	local BWRAP_FLOOR
	BWRAP_FLOOR="$BWRAP_MIN --tmpfs /tmp --bind $W/proj $W/proj --chdir $W/proj"
	local L10K="--no-default-allowlist --allow-file=$W/data/allow-10000.txt"
	# Word splitting of the option lists is intended.
	# shellcheck disable=SC2046,SC2086,SC2206,SC2207
	variants_true=(
		bwrap-bare @argv=$RT/bare.argv @env=$RT/env $(cat $RT/fds.bare) :::
		bwrap-ccsb-argv @argv=$RT/replica.argv @env=$RT/env $(cat $RT/fds.replica) :::
		ccsb-none "$C" -q --net=none -- /bin/true :::
		ccsb-full "$C" -q --net=full -- /bin/true :::
		ccsb-allow "$C" -q --net=allowlist -- /bin/true :::
		ccsb-allow-10k "$C" -q --net=allowlist $L10K -- /bin/true :::
		bwrap-min $BWRAP_MIN -- /bin/true :::
		bwrap-floor $BWRAP_FLOOR -- /bin/true
	)
	# shellcheck disable=SC2046,SC2086,SC2206,SC2207
	variants_probe=(
		bwrap-bare @argv=$RP/bare.argv @env=$RP/env $(cat $RP/fds.bare) :::
		bwrap-ccsb-argv @argv=$RP/replica.argv @env=$RP/env $(cat $RP/fds.replica) :::
		ccsb-none "$C" -q --net=none "$PROBE_RO" -- "$PROBE_DEST" :::
		ccsb-full "$C" -q --net=full "$PROBE_RO" -- "$PROBE_DEST" :::
		ccsb-allow "$C" -q --net=allowlist "$PROBE_RO" -- "$PROBE_DEST" :::
		ccsb-allow-10k "$C" -q --net=allowlist $L10K "$PROBE_RO" -- "$PROBE_DEST" :::
		bwrap-min $BWRAP_MIN --ro-bind "$W/bin/probe" "$PROBE_DEST" -- "$PROBE_DEST" :::
		bwrap-floor $BWRAP_FLOOR --ro-bind "$W/bin/probe" "$PROBE_DEST" -- "$PROBE_DEST"
	)

	local load0
	load0=$(cut -d' ' -f1-3 /proc/loadavg)

	if want self; then
		note "ccsb's own process: $N runs each"
		H -n "$N" -w 5 -m wall -- exec-floor "$W/bin/probe" ::: true /bin/true \
			::: ccsb-help "$C" --help \
			::: print-none "$C" --print --net=none -- true \
			::: print-none-noseccomp "$C" --print --no-seccomp --net=none -- true \
			::: print-allow "$C" --print --net=allowlist -- true \
			::: print-10k "$C" --print --net=allowlist $L10K -- true \
			::: print-100k "$C" --print --net=allowlist --no-default-allowlist --allow-file="$W/data/allow-100000.txt" -- true \
			>"$S/self" 2>"$S/self.err"
	fi

	if want startup; then
		note "startup of /bin/true: 8 variants x $N runs, interleaved"
		H -n "$N" -w 5 -p 20 -m wall -r "$S/raw-startup.tsv" -- "${variants_true[@]}" >"$S/startup" 2>"$S/startup.err"
	fi

	if want coldstart; then
		# Issue 17: ccsb --net=none against the minimal hand-written
		# sandbox, and this build against others (COMPARE), each with
		# the same-mounts replica of its own argv, all in the same
		# interleaved rounds.
		local cv=( bwrap-floor $BWRAP_FLOOR -- /bin/true ::: bwrap-min $BWRAP_MIN -- /bin/true )
		local nm ccsb_bin helper envf
		for nm in this $CMP_NAMES; do
			if [ "$nm" = this ]; then
				ccsb_bin=$W/bin/ccsb helper=$W/bin/ccsb-exec
			else
				ccsb_bin=$W/cmp/$nm/ccsb helper=$W/cmp/$nm/ccsb-exec
			fi
			REC_CCSB=$ccsb_bin REC_ENV="CCSB_EXEC_HELPER=$helper" record "$W/rec/cs-$nm" -- /bin/true
			# as_user's environment, with this build's helpers
			envf=$W/rec/cs-$nm/run.env
			printf '%s\n' "HOME=$W/home" "XDG_RUNTIME_DIR=$W/run-user" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
				"LD_LIBRARY_PATH=$W/lib" "CCSB_EXEC_HELPER=$helper" \
				"CCSB_ALLOWLIST=$W/data/default.txt" >"$envf"
			chmod a+r "$envf"
			# shellcheck disable=SC2046,SC2086
			cv+=( ::: "ccsb-none@$nm" "@env=$envf" "$ccsb_bin" -q --net=none -- /bin/true
				::: "bwrap-bare@$nm" @argv=$W/rec/cs-$nm/bare.argv @env=$W/rec/cs-$nm/env $(cat $W/rec/cs-$nm/fds.bare)
				::: "bwrap-argv@$nm" @argv=$W/rec/cs-$nm/replica.argv @env=$W/rec/cs-$nm/env $(cat $W/rec/cs-$nm/fds.replica) )
		done
		note "cold start: bwrap-floor, bwrap-min and 3 variants per build (this$CMP_NAMES) x $N runs, interleaved"
		H -n "$N" -w 5 -p 20 -m wall -r "$S/raw-coldstart.tsv" -- "${cv[@]}" >"$S/coldstart" 2>"$S/coldstart.err"
	fi

	if want release; then
		note "release time (probe): 8 variants x $N runs"
		H -n "$N" -w 5 -p 20 -m release -r "$S/raw-release.tsv" -- "${variants_probe[@]}" >"$S/release" 2>"$S/release.err"
	fi

	if want bounds; then
		# The resource bounds' start-up cost: ccsb and its bare-bwrap
		# replica with the default bounds (tmpfs sizes, /dev/shm, /dev
		# read-only, ccsb-exec's rlimit and oom_score_adj) and with
		# --memory=none --pids=none, interleaved.
		local RNB=$W/rec/nobounds
		record "$RNB" --memory=none --pids=none -- /bin/true
		note "resource bounds at startup: 4 variants x $N runs, interleaved"
		# shellcheck disable=SC2046,SC2086
		H -n "$N" -w 5 -p 20 -m wall -r "$S/raw-bounds.tsv" -- \
			bwrap-bare @argv=$RT/bare.argv @env=$RT/env $(cat $RT/fds.bare) ::: \
			bwrap-bare-nobounds @argv=$RNB/bare.argv @env=$RNB/env $(cat $RNB/fds.bare) ::: \
			ccsb-none "$C" -q --net=none -- /bin/true ::: \
			ccsb-none-nobounds "$C" -q --net=none --memory=none --pids=none -- /bin/true \
			>"$S/bounds" 2>"$S/bounds.err"
	fi

	if want rss; then
		note "peak RSS: $NRSS runs each"
		H -n "$NRSS" -w 1 -p 20 -m rss -- "${variants_true[@]}" >"$S/rss" 2>"$S/rss.err"
	fi

	if want routes; then
		note "route install scaling: $NR runs each (100,000: fewer, alone)"
		local routes=( ccsb-none "$C" -q --net=none "$PROBE_RO" -- "$PROBE_DEST" )
		for v in 1 10 1000 10000; do
			routes+=( ::: "allow-$v" "$C" -q --net=allowlist --no-default-allowlist
				--allow-file="$W/data/allow-$v.txt" "$PROBE_RO" -- "$PROBE_DEST" )
		done
		H -n "$NR" -w 2 -p 20 -m release -r "$S/raw-routes.tsv" -- "${routes[@]}" >"$S/routes" 2>"$S/routes.err"
		# 100,000 on its own: the kernel frees that many routes when the
		# sandbox's netns goes away, after ccsb has exited, and that work
		# slows whatever runs next; interleaved, it would land on the others.
		local NR100=$(( NR / 2 )); [ "$NR100" -lt 5 ] && NR100=5
		H -n "$NR100" -w 1 -p 200 -m release -r "$S/raw-routes.tsv" -- allow-100000 "$C" -q --net=allowlist \
			--no-default-allowlist --allow-file="$W/data/allow-100000.txt" "$PROBE_RO" -- "$PROBE_DEST" \
			>>"$S/routes" 2>>"$S/routes.err"
	fi

	if want nlroutes; then
		# Kernel side of the route install, without ccsb: the way ccsb sends
		# (one sendmsg per route, gateway in each) against batching and a
		# nexthop object. Each trial in a fresh network namespace of its own.
		note "route install methods (nlroutes, kernel only): $NK runs each"
		local k m
		: >"$S/nlroutes"
		for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			[ "$k" -le "$NK" ] || break
			for v in 10000 100000; do
				for m in "per-msg:" "batch64:-b 64" "nexthop:-n" "batch64+nexthop:-n -b 64"; do
					# shellcheck disable=SC2086
					unshare --net "$W/bin/nlroutes" -t ${m#*:} "$W/data/allow-$v.txt" 2>>"$S/nlroutes.err" |
						sed -n "s/.*install_ms=/${m%%:*} $v /p" >>"$S/nlroutes"
				done
			done
		done
	fi

	# --- throughput ---------------------------------------------------
	want iperf && note "throughput: iperf3, ${IPERF_T}s x 3 each direction"
	local up=() down=()
	if want iperf && command -v iperf3 >/dev/null 2>&1; then
		iperf3 -s -B 198.51.100.1 -p 5201 -D --pidfile "$W/log/iperf3.pid" >/dev/null 2>&1
		sleep 0.3
		local i dir
		for i in 1 2 3; do
			for dir in up down; do
				local flag=
				[ $dir = down ] && flag=-R
				as_user "$C" -q --net=allowlist --no-default-allowlist --allow=198.51.100.0/24 -- \
					iperf3 -c 198.51.100.1 -p 5201 -t "$IPERF_T" -J $flag >"$S/iperf-$dir-$i.json" 2>>"$S/iperf.err"
				local bps
				bps=$(jsonnum "$S/iperf-$dir-$i.json" end.sum_received.bits_per_second)
				[ -n "$bps" ] && eval "$dir+=(\"\$bps\")"
			done
		done
		kill "$(cat "$W/log/iperf3.pid" 2>/dev/null)" 2>/dev/null
	fi

	# --- DNS ----------------------------------------------------------
	if want dns; then
		note "DNS: $NDNS queries per path and round, $DNS_ROUNDS rounds"
		dns_setup
		local rnd=0
		while [ "$rnd" -lt "$DNS_ROUNDS" ]; do
			rnd=$((rnd + 1))
			dns_direct_host >>"$S/dns-host" 2>&1
			dns_direct_sandbox >>"$S/dns-sandbox" 2>&1
			dns_slirp_forwarder >>"$S/dns-slirp" 2>&1
			dns_resolver >>"$S/dns-resolver" 2>&1
		done
	fi

	# --- warm: commands into a running sandbox (issue 17) --------------
	if want warm; then
		note "warm: $N commands into a started sandbox vs $N cold runs, alternating"
		if [ -x "$W/bin/warm" ]; then
			as_user "$W/bin/warm" -n "$N" -w 5 >"$S/warm" 2>"$S/warm.err"
		fi
		# The same through the command line: `ccsb exec` (a process of
		# its own, connecting to the named session) against ccsb's own
		# cold start, interleaved.
		as_user "$C" -q --net=none --name=bench-warm -- sleep 1000000 </dev/null \
			>"$S/warm-session.log" 2>&1 &
		local wpid=$! i=0
		while [ $i -lt 200 ] && ! as_user "$C" exec bench-warm -- /bin/true 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
		H -n "$N" -w 5 -m wall -- ccsb-cold "$C" -q --net=none -- /bin/true \
			::: ccsb-exec "$C" exec bench-warm -- /bin/true >"$S/warm-cli" 2>"$S/warm-cli.err"
		kill -TERM "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
	fi

	# --- srt ----------------------------------------------------------
	want srt || SRT_WHY="not run (--only)"
	if want srt && [ -n "$SRT_BIN" ]; then
		note "srt: $NS runs, interleaved with bare bwrap and ccsb --net=none"
		printf '%s\n' '{"network":{"allowedDomains":[],"deniedDomains":[]},' \
			'"filesystem":{"denyRead":[],"allowWrite":["."],"denyWrite":[]}}' >"$W/data/srt.json"
		chmod 644 "$W/data/srt.json"
		if ! as_user "$SRT_BIN" --settings "$W/data/srt.json" /bin/true >"$S/srt-try" 2>&1; then
			SRT_WHY="srt fails here: $(tail -n 1 "$S/srt-try")"
		else
			# shellcheck disable=SC2046,SC2086
			H -n "$NS" -w 2 -p 20 -m wall -- srt "$SRT_BIN" --settings "$W/data/srt.json" /bin/true \
				::: bwrap-bare @argv=$RT/bare.argv @env=$RT/env $(cat $RT/fds.bare) \
				::: ccsb-none "$C" -q --net=none -- /bin/true \
				::: ccsb-allow "$C" -q --net=allowlist -- /bin/true >"$S/srt" 2>"$S/srt.err"
			H -n 5 -w 1 -m rss -- srt "$SRT_BIN" --settings "$W/data/srt.json" /bin/true \
				>"$S/srt-rss" 2>>"$S/srt.err"
			local pkg
			pkg=$(readlink -f "$SRT_BIN")
			while [ "$pkg" != / ] && [ ! -f "$pkg/package.json" ]; do pkg=$(dirname "$pkg"); done
			SRT_VERSION=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg/package.json" 2>/dev/null | head -n 1)
			SRT_VERSION="$SRT_VERSION, node $(node --version 2>/dev/null)"
		fi
	fi
	local load1
	load1=$(cut -d' ' -f1-3 /proc/loadavg)

	report "$load0" "$load1"
	print_failures
}

jsonnum() { # FILE a.b.c
	if command -v jq >/dev/null 2>&1; then
		jq -r ".$2 // empty" "$1" 2>/dev/null
	else
		python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$1" "$2" 2>/dev/null
	fi
}

# ====================================================================
# DNS. The test upstream: dnsmasq on 198.51.100.53, answering every name
# under bench.test with 198.51.100.1 from its configuration (no cache
# misses, no upstream of its own). /etc/resolv.conf in this mount
# namespace points at it.
# ====================================================================
NDNS=200
DNS_ROUNDS=5
DNS_OK=0
dns_setup() {
	if ! command -v dnsmasq >/dev/null 2>&1; then
		DNS_WHY="dnsmasq not found (apt-get install -y dnsmasq-base)"
		return
	fi
	dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--listen-address=198.51.100.53 --bind-interfaces --port=53 \
		--address=/bench.test/198.51.100.1 --pid-file= --log-facility=/dev/null \
		>/dev/null 2>"$W/log/dnsmasq.err" &
	# (it ends with the namespace's pid 1, this script)
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		as_user "$W/bin/dnsq" 198.51.100.53 1 bench.test >/dev/null 2>&1 && { DNS_OK=1; return; }
		sleep 0.1
	done
	DNS_WHY="dnsmasq did not answer: $(head -c 200 "$W/log/dnsmasq.err")"
}
DNSQ_RO() { echo "--ro=$W/bin/dnsq:/run/ccsb-bench/dnsq"; }
# The floor: the user in the test namespace straight to the server.
dns_direct_host() {
	[ "$DNS_OK" = 1 ] || return 1
	as_user "$W/bin/dnsq" 198.51.100.53 "$NDNS" bench.test
}
# From inside the sandbox, straight to the upstream through slirp4netns
# (allowlist mode, the upstream's address allowed).
dns_direct_sandbox() {
	[ "$DNS_OK" = 1 ] || return 1
	as_user "$W/bin/ccsb" -q --net=allowlist --no-default-allowlist --allow=198.51.100.0/24 \
		"$(DNSQ_RO)" -- /run/ccsb-bench/dnsq 198.51.100.53 "$NDNS" bench.test
}
# --net=full: slirp's own forwarder (10.0.2.3), which asks the host's
# resolver (here: the test upstream).
dns_slirp_forwarder() {
	[ "$DNS_OK" = 1 ] || return 1
	as_user "$W/bin/ccsb" -q --net=full "$(DNSQ_RO)" -- /run/ccsb-bench/dnsq 10.0.2.3 "$NDNS" bench.test
}
# ---------------------------------------------------------------------
# >>> ccsb's filtering resolver: READY TO MEASURE once it is merged. <<<
# Detection: `ccsb --help` mentions a resolver / DNS option, or the
# allowlist mode no longer points the sandbox at slirp's 10.0.2.3. The
# sandbox's /etc/resolv.conf then names ccsb's resolver, which forwards
# allowed names to the host's resolver (here the test upstream, through the
# bind-mounted /etc/resolv.conf). `*.bench.test` is allowed by pattern.
# If the resolver takes its upstream from an option instead, add it here.
# ---------------------------------------------------------------------
resolver_available() {
	local C="$W/bin/ccsb"
	as_user "$C" --help 2>&1 | grep -qiE 'resolver|--dns' && return 0
	as_user "$C" --print --net=allowlist --allow=198.51.100.0/24 -- true 2>/dev/null |
		head -n 1 | grep -q 'network: allowlist' || return 1
	! as_user "$C" --print --net=allowlist --allow=198.51.100.0/24 -- true 2>/dev/null |
		head -n 1 | grep -q 'DNS 10\.0\.2\.3'
}
dns_resolver() {
	[ "$DNS_OK" = 1 ] || return 1
	if ! resolver_available; then
		echo "n/a (resolver not available)"
		return 2
	fi
	as_user "$W/bin/ccsb" -q --net=allowlist --no-default-allowlist --allow=198.51.100.0/24 \
		'--allow=*.bench.test' "$(DNSQ_RO)" -- /run/ccsb-bench/dnsq resolv "$NDNS" bench.test
}

# ====================================================================
# The table.
# ====================================================================
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%.2f–%.2f", lo / 1e9, hi / 1e9 }'; }

cell() { # FILE NAME PREFIX: "med [p10–p90]"
	local m a b
	m=$(field "$2" "${3}_med" "$1")
	a=$(field "$2" "${3}_p10" "$1")
	b=$(field "$2" "${3}_p90" "$1")
	[ -n "$m" ] && [ "$m" != -1.000 ] || { echo "n/a"; return; }
	echo "$(fmt_ms "$m") [$(fmt_ms "$a")–$(fmt_ms "$b")]"
}
okn() { echo "$(field "$2" ok "$1")/$(field "$2" n "$1")"; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/) print "n/a"; else if (a + 0 <= b + 0) print "met"; else print "NOT met" }'; }
verdict_lt() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/) print "n/a"; else if (a + 0 < b + 0) print "met"; else print "NOT met" }'; }

report() {
	local S="$W/log" load0=$1 load1=$2 n
	local st=$S/startup rl=$S/release rs=$S/rss ro=$S/routes
	local base_w base_r
	base_w=$(field bwrap-bare wall_med "$st")
	base_r=$(field bwrap-bare rel_med "$rl")

	row "ccsb benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	row ""
	row "- machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), kernel $(uname -r)"
	row "- $(bwrap --version 2>&1 | head -n 1); $(slirp4netns --version 2>&1 | head -n 1); libslirp $(slirp4netns --version 2>&1 | sed -n 's/^libslirp: //p'); $(as_user "$W/bin/ccsb" --version 2>/dev/null | head -n 1)"
	row "- ccsb source: git $REV"
	row "- load average at start / end: $load0 / $load1 (other work on the machine shows up as spread)${BENCH_RT:+; timed runs under SCHED_FIFO $BENCH_RT (--rt)}"
	row "- default allowlist: ${DEFAULT_DESC:-?}; runs: startup $RUNS per variant, interleaved"
	row ""
	local sf=$S/self fl
	fl=$(field exec-floor wall_med "$sf")
	row "ccsb's own process, no sandbox started (exec to exit), wall ms: median [p10–p90]; Δ = median − exec-floor"
	row ""
	row "| what | wall ms | Δ ms |"
	row "|---|---|---|"
	for n in exec-floor true ccsb-help print-none-noseccomp print-none print-allow print-10k print-100k; do
		row "| $n | $(cell "$sf" $n wall) | $(awk -v a="$(field $n wall_med "$sf")" -v b="$fl" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%+.2f", a - b }') |"
	done
	row ""
	local floor_w
	floor_w=$(field bwrap-floor wall_med "$st")
	row "Startup of /bin/true, wall ms: median [p10–p90]; ratio = median / bwrap-bare median; paired = median [p25–p75] over rounds of wall / bwrap-bare's wall in the same round; vs floor: the same two against bwrap-floor (minimal hand-written sandbox)"
	row ""
	row "| variant | wall ms | ratio | paired | Δ ms | ratio vs floor | paired vs floor | ok/runs |"
	row "|---|---|---|---|---|---|---|---|"
	for n in bwrap-floor bwrap-min bwrap-bare bwrap-ccsb-argv ccsb-none ccsb-full ccsb-allow ccsb-allow-10k; do
		row "| $n | $(cell "$st" $n wall) | $(ratio "$(field $n wall_med "$st")" "$base_w") | $(paired "$S/raw-startup.tsv" $n) | $(diffms "$(field $n wall_med "$st")" "$base_w") | $(ratio "$(field $n wall_med "$st")" "$floor_w") | $(paired "$S/raw-startup.tsv" $n '' bwrap-floor) | $(okn "$st" $n) |"
	done
	row ""
	local cs=$S/coldstart
	if [ -s "$cs" ]; then
		local fw nm
		fw=$(field bwrap-floor wall_med "$cs")
		row "Cold start (issue 17), /bin/true, wall ms: median [p10–p90]; vs floor = against bwrap-floor (minimal hand-written sandbox: /usr and its symlinks, /proc, /dev, /tmp, the project, --unshare-all), paired = median [p25–p75] over rounds of the per-round ratio; vs same mounts = against bwrap-bare@ the same build (its own argv replayed without seccomp, info/block fds and ccsb-exec); bwrap-argv@ = ccsb's own bwrap command replayed whole (seccomp, ccsb-exec as pid 1, info/block fds), launched without ccsb: what ccsb's own process adds is ccsb-none over it"
		row ""
		row "| variant | wall ms | ratio vs floor | paired vs floor | paired vs same mounts | ok/runs |"
		row "|---|---|---|---|---|---|"
		for n in bwrap-floor bwrap-min; do
			row "| $n | $(cell "$cs" $n wall) | $(ratio "$(field $n wall_med "$cs")" "$fw") | $(paired "$S/raw-coldstart.tsv" $n '' bwrap-floor) | | $(okn "$cs" $n) |"
		done
		for nm in this $CMP_NAMES; do
			for n in "bwrap-bare@$nm" "bwrap-argv@$nm" "ccsb-none@$nm"; do
				row "| $n | $(cell "$cs" "$n" wall) | $(ratio "$(field "$n" wall_med "$cs")" "$fw") | $(paired "$S/raw-coldstart.tsv" "$n" '' bwrap-floor) | $(paired "$S/raw-coldstart.tsv" "$n" '' "bwrap-bare@$nm") | $(okn "$cs" "$n") |"
			done
		done
		row ""
	fi
	row "Command release (probe's first instruction) vs wall, ms: median [p10–p90]; after = wall − release (medians)"
	row ""
	row "| variant | release ms | Δ release vs bwrap-bare | wall ms | after | ok/runs |"
	row "|---|---|---|---|---|---|"
	for n in bwrap-floor bwrap-min bwrap-bare bwrap-ccsb-argv ccsb-none ccsb-full ccsb-allow ccsb-allow-10k; do
		local r w
		r=$(field $n rel_med "$rl")
		w=$(field $n wall_med "$rl")
		row "| $n | $(cell "$rl" $n rel) | $(awk -v a="$r" -v b="$base_r" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%+.2f", a - b }') | $(cell "$rl" $n wall) | $(awk -v a="$r" -v b="$w" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%.2f", b - a }') | $(okn "$rl" $n) |"
	done
	row ""
	local bo=$S/bounds
	row "Resource bounds at startup (/bin/true, --net=none), wall ms: median [p10–p90]; paired = median [p25–p75] over rounds of wall / the named variant's wall in the same round"
	row ""
	row "| variant | wall ms | paired vs bwrap-bare-nobounds | paired vs its no-bounds twin | Δ ms vs twin | ok/runs |"
	row "|---|---|---|---|---|---|"
	for n in bwrap-bare-nobounds:bwrap-bare-nobounds bwrap-bare:bwrap-bare-nobounds ccsb-none-nobounds:ccsb-none-nobounds ccsb-none:ccsb-none-nobounds; do
		local v=${n%%:*} t=${n#*:}
		row "| $v | $(cell "$bo" "$v" wall) | $(paired "$S/raw-bounds.tsv" "$v" '' bwrap-bare-nobounds) | $(paired "$S/raw-bounds.tsv" "$v" '' "$t") | $(diffms "$(field "$v" wall_med "$bo")" "$(field "$t" wall_med "$bo")") | $(okn "$bo" "$v") |"
	done
	row ""
	row "Peak RSS, KiB: own = VmHWM of the launched process itself at its exit (ccsb, or bwrap's first process); tree = wait4() ru_maxrss, the largest peak among it and the descendants it reaped"
	row ""
	row "| variant | own KiB median [p10–p90] | tree KiB | ok/runs |"
	row "|---|---|---|---|"
	for n in bwrap-bare ccsb-none ccsb-full ccsb-allow ccsb-allow-10k; do
		row "| $n | $(field $n hwm_med "$rs") [$(field $n hwm_p10 "$rs")–$(field $n hwm_p90 "$rs")] | $(field $n tree_med "$rs") | $(okn "$rs" $n) |"
	done
	if [ -s "$S/srt-rss" ]; then
		row "| srt (node) | $(field srt hwm_med "$S/srt-rss") [$(field srt hwm_p10 "$S/srt-rss")–$(field srt hwm_p90 "$S/srt-rss")] | $(field srt tree_med "$S/srt-rss") | $(okn "$S/srt-rss" srt) |"
	fi
	row ""
	row "Route install scaling: command release with N prefixes (allowlist mode, --no-default-allowlist), ms"
	row ""
	local none_r
	none_r=$(field ccsb-none rel_med "$ro")
	row "| prefixes | release ms | Δ vs --net=none | wall ms | ok/runs |"
	row "|---|---|---|---|---|"
	row "| --net=none | $(cell "$ro" ccsb-none rel) | 0 | $(cell "$ro" ccsb-none wall) | $(okn "$ro" ccsb-none) |"
	for n in 1 10 1000 10000 100000; do
		local r
		r=$(field allow-$n rel_med "$ro")
		row "| $n | $(cell "$ro" allow-$n rel) | $(awk -v a="$r" -v b="$none_r" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%+.1f", a - b }') | $(cell "$ro" allow-$n wall) | $(okn "$ro" allow-$n) |"
	done
	row ""
	row "Route install methods, kernel side only (bench/nlroutes in a fresh netns, tap0 with carrier, one ACKed barrier at the end), ms: median of $NK (min–max)"
	row ""
	row "| method | 10,000 routes | 100,000 routes |"
	row "|---|---|---|"
	for m in per-msg batch64 nexthop batch64+nexthop; do
		local c10 c100
		c10=$(awk -v m=$m '$1 == m && $2 == 10000 { print $3 }' "$S/nlroutes" 2>/dev/null)
		c100=$(awk -v m=$m '$1 == m && $2 == 100000 { print $3 }' "$S/nlroutes" 2>/dev/null)
		# shellcheck disable=SC2086
		row "| $m | $(stat3 $c10) | $(stat3 $c100) |"
	done
	row ""
	row "Throughput sandbox <-> test server through slirp4netns (iperf3, $IPERF_T_DESC), Gbit/s: median of 3 (min–max)"
	row ""
	if [ ${#up[@]} -gt 0 ]; then
		row "| direction | Gbit/s | min–max |"
		row "|---|---|---|"
		row "| sandbox → server (upload) | $(awk -v v="$(median "${up[@]}")" 'BEGIN { printf "%.2f", v / 1e9 }') | $(minmax "${up[@]}") |"
		[ ${#down[@]} -gt 0 ] &&
			row "| server → sandbox (download, -R) | $(awk -v v="$(median "${down[@]}")" 'BEGIN { printf "%.2f", v / 1e9 }') | $(minmax "${down[@]}") |"
	else
		row "n/a (iperf3 not found or failed: see $S/iperf.err)"
	fi
	row ""
	row "DNS lookup latency, µs per query ($DNS_ROUNDS rounds of $NDNS sequential A queries per path, paths interleaved; test upstream dnsmasq on 198.51.100.53): median of the round medians, and their range"
	row ""
	row "| path | median µs | rounds' range | answered |"
	row "|---|---|---|---|"
	local p f
	for p in "host → upstream (no sandbox):dns-host" "sandbox → upstream directly (allowlist, via slirp):dns-sandbox" \
		"sandbox → slirp forwarder 10.0.2.3 → upstream (--net=full):dns-slirp" \
		"sandbox → ccsb resolver → upstream:dns-resolver"; do
		f=$S/${p##*:}
		if [ "$DNS_OK" != 1 ]; then
			row "| ${p%:*} | n/a (${DNS_WHY:-no upstream}) | | |"
		elif grep -q '^ok=' "$f" 2>/dev/null; then
			local meds oks
			# shellcheck disable=SC2046
			meds=$(grep '^ok=' "$f" | while read -r l; do kv "$l" med_us; done)
			oks=$(grep '^ok=' "$f" | while read -r l; do kv "$l" ok; done | awk '{ s += $1 } END { print s }')
			# shellcheck disable=SC2086
			row "| ${p%:*} | $(awk -v v="$(median $meds)" 'BEGIN { printf "%.1f", v }') | $(printf '%s\n' $meds | sort -g | head -n 1)–$(printf '%s\n' $meds | sort -g | tail -n 1) | $oks/$(( NDNS * $(grep -c '^ok=' "$f") )) |"
		elif grep -q 'n/a' "$f" 2>/dev/null; then
			row "| ${p%:*} | $(grep 'n/a' "$f" | head -n 1) | | |"
		else
			row "| ${p%:*} | failed: $(tail -n 1 "$f" 2>/dev/null) | | |"
		fi
	done
	row ""
	row "Anthropic's sandbox runtime (srt ${SRT_VERSION:-}), startup of /bin/true (its own settings file: no network, write '.'), wall ms"
	row ""
	if [ -s "$S/srt" ]; then
		local sb
		sb=$(field bwrap-bare wall_med "$S/srt")
		row "| variant | wall ms | ratio to bwrap-bare | ok/runs |"
		row "|---|---|---|---|"
		for n in srt bwrap-bare ccsb-none ccsb-allow; do
			row "| $n | $(cell "$S/srt" $n wall) | $(ratio "$(field $n wall_med "$S/srt")" "$sb") | $(okn "$S/srt" $n) |"
		done
	else
		row "n/a (${SRT_WHY:-srt not run})"
	fi
	row ""
	row "Warm exec (issue 17): /bin/true run in a sandbox already running, against a sandbox started for it (--net=none), alternating in one run, wall ms"
	row ""
	if [ -s "$S/warm" ] || [ -s "$S/warm-cli" ]; then
		local wl cl we ce
		wl=$(field warm-exec wall_med "$S/warm") cl=$(field cold-run wall_med "$S/warm")
		we=$(field ccsb-exec wall_med "$S/warm-cli") ce=$(field ccsb-cold wall_med "$S/warm-cli")
		row "| variant | wall ms | ratio to its cold start | ok/runs |"
		row "|---|---|---|---|"
		row "| library: ccsb_sandbox_run() (cold) | $(cell "$S/warm" cold-run wall) | 1.00 | $(okn "$S/warm" cold-run) |"
		row "| library: ccsb_session_exec() (warm) | $(cell "$S/warm" warm-exec wall) | $(ratio "$wl" "$cl") | $(okn "$S/warm" warm-exec) |"
		row "| ccsb --net=none (cold) | $(cell "$S/warm-cli" ccsb-cold wall) | 1.00 | $(okn "$S/warm-cli" ccsb-cold) |"
		row "| ccsb exec NAME (warm, a process of its own) | $(cell "$S/warm-cli" ccsb-exec wall) | $(ratio "$we" "$ce") | $(okn "$S/warm-cli" ccsb-exec) |"
		if [ -s "$S/srt" ]; then
			row "| srt per command (section above) | $(cell "$S/srt" srt wall) | $(ratio "$(field srt wall_med "$S/srt")" "$wl") × the warm exec | $(okn "$S/srt" srt) |"
		else
			row "| srt per command | n/a (${SRT_WHY:-srt not run}) | | |"
		fi
	else
		row "n/a (warm section not run: $(tail -n 1 "$S/warm.err" 2>/dev/null))"
	fi
	row ""

	# --- targets ------------------------------------------------------
	local nw ar nr r10 r100 rssmax
	nw=$(field ccsb-none wall_med "$st")
	ar=$(field ccsb-allow rel_med "$rl")
	nr=$(field ccsb-none rel_med "$rl")
	r10=$(field allow-10000 rel_med "$ro")
	r100=$(field allow-100000 rel_med "$ro")
	rssmax=$(for n in ccsb-none ccsb-full ccsb-allow ccsb-allow-10k; do field $n hwm_med "$rs"; done | sort -g | tail -n 1)
	row "Targets (issues 7 and 3), on medians of this run:"
	row ""
	row "| target | measured | verdict |"
	row "|---|---|---|"
	local pr
	pr=$(paired "$S/raw-startup.tsv" ccsb-none med)
	row "| ccsb --net=none ≤ 1.10 × bwrap-bare (startup wall, paired per round) | $pr × paired; ratio of medians $(ratio "$nw" "$base_w") × ($(diffms "$nw" "$base_w") ms) | $(verdict "$pr" 1.10) |"
	pr=$(paired "$S/raw-startup.tsv" ccsb-none med bwrap-floor)
	row "| ccsb --net=none ≤ 1.5 × bwrap-floor, a minimal hand-written sandbox (issue 17; startup wall, paired per round) | $pr × paired; ratio of medians $(ratio "$nw" "$floor_w") × ($(diffms "$nw" "$floor_w") ms) | $(verdict "$pr" 1.5) |"
	pr=$(paired "$S/raw-bounds.tsv" ccsb-none med bwrap-bare-nobounds)
	row "| ccsb --net=none with its bounds ≤ 1.10 × bwrap-bare without them (bounds table, paired) | $pr × paired; ccsb-none − its no-bounds twin $(diffms "$(field ccsb-none wall_med "$S/bounds")" "$(field ccsb-none-nobounds wall_med "$S/bounds")") ms | $(verdict "$pr" 1.10) |"
	row "| allowlist (default list) release ≤ bwrap-bare release + 10 ms | $(fmt_ms "$ar") vs $(fmt_ms "$base_r") + 10 | $(verdict "$ar" "$(awk -v b="$base_r" 'BEGIN { print b + 10 }')") |"
	row "| allowlist (default list) release ≤ --net=none release + 10 ms | $(fmt_ms "$ar") vs $(fmt_ms "$nr") + 10 | $(verdict "$ar" "$(awk -v b="$nr" 'BEGIN { print b + 10 }')") |"
	row "| ccsb peak RSS ≤ 4 MiB (largest median over modes) | ${rssmax:-n/a} KiB | $(verdict "$rssmax" 4096) |"
	row "| 10,000 prefixes: release < 100 ms | $(fmt_ms "$r10") ms | $(verdict_lt "$r10" 100) |"
	row "| 100,000 prefixes: release < 1 s | $(fmt_ms "$r100") ms | $(verdict_lt "$r100" 1000) |"
	local wwl wcl
	wwl=$(field warm-exec wall_med "$S/warm") wcl=$(field cold-run wall_med "$S/warm")
	row "| warm exec ≤ 0.2 × cold start (issue 17; library, /bin/true, medians) | $(fmt_ms "$wwl") ms vs 0.2 × $(fmt_ms "$wcl") ms | $(verdict "$wwl" "$(awk -v b="$wcl" 'BEGIN { if (b == "") print ""; else print b * 0.2 }')") |"

	printf '%s' "$TABLE"
	if [ -n "$OUT" ]; then
		printf '%s' "$TABLE" >"$OUT" || note "cannot write $OUT"
	fi
}

# paired RAW NAME [MEMBER]: NAME's wall time divided by bwrap-bare's in the
# same round, over the rounds of RAW (harness -r): "median [p25–p75]", or
# one MEMBER (med) only. The two runs of a round are at most a few tens of
# ms apart, so this ratio does not see the machine's slow phases, which
# last seconds and shift whole rounds by ~4 ms (README, "Noise").
paired() { # RAW NAME [med] [BASE (default bwrap-bare)]
	[ -s "$1" ] || { echo "n/a"; return; }
	awk -F'\t' -v n="$2" -v base="${4:-bwrap-bare}" '{ w[$1 "\t" $2] = $3 } $1 == n { r[$2] = 1 }
		END { for (i in r) { b = w[base "\t" i]; v = w[n "\t" i]
			if (b > 0 && v > 0) printf "%.6f\n", v / b } }' "$1" | sort -g |
		awk -v only="${3-}" '{ v[NR] = $1 } END {
			if (NR == 0) { print "n/a"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			lo = v[int((NR - 1) * 0.25) + 1]; hi = v[int((NR - 1) * 0.75) + 1]
			if (only == "med") printf "%.2f", m; else printf "%.2f [%.2f–%.2f]", m, lo, hi }'
}

stat3() { # VALUES...: "median (min–max)"
	[ $# -gt 0 ] || { echo "n/a"; return; }
	local lo hi
	lo=$(printf '%s\n' "$@" | sort -g | head -n 1)
	hi=$(printf '%s\n' "$@" | sort -g | tail -n 1)
	echo "$(fmt_ms "$(median "$@")") ($(fmt_ms "$lo")–$(fmt_ms "$hi"))"
}

diffms() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%+.2f", a - b }'; }

kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

print_failures() {
	local f
	for f in "$W"/log/*.err; do
		[ -s "$f" ] || continue
		note "$(basename "$f"): $(sort "$f" | uniq -c | sort -rn | head -n 5 | tr '\n' ';')"
	done
}

if [ -z "${CCSB_BENCH_INSIDE-}" ]; then
	outer "$@"
else
	IPERF_T_DESC="$([ "$QUICK" = 1 ] && echo 2 || echo 5) s, MTU 65520"
	inner
fi
