#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Resource bounds (libccsandbox/bounds.c), attacked from inside real
# sandboxes: a fork loop stops at the task bound while the same uid outside
# still forks and a second ccsb still runs; writing past the tmpfs sizes
# fails with ENOSPC inside while a host process of the same user survives;
# /dev is read-only; the status line and `ccsb doctor` name each mechanism;
# the defaults as a user gets them (no flags); --memory/--pids, the config
# keys and "none"; a bwrap without --size is named, not silently ignored.
#
# Safe by construction: every fork loop is bounded in count (200) and runs
# under a small --pids with `timeout`, so a broken bound cannot take the
# machine down; the writes are bounded by dd's count.
. "$top_srcdir/tests/lib/common.sh"
command -v python3 >/dev/null 2>&1 || t_skip "python3 not found"
command -v mkfifo >/dev/null 2>&1 || t_skip "mkfifo not found (coreutils)"
t_setup

# Like sb, with the status lines: stderr to $T/err.
sbv() {
	(cd "$PROJ" && as_test_user env -i $SB_ENV HOME="$THOME" \
		CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" ${CCSB_ALLOWLIST:+CCSB_ALLOWLIST="$CCSB_ALLOWLIST"} \
		${SB_EXTRA_ENV-} "$CCSB" --net=none "$@") 2>"$T/err"
}
hostfile() { cp "$1" "$PROJ/$2" && chmod 644 "$PROJ/$2"; }

MEMTOTAL=$(awk '/^MemTotal:/ { printf "%.0f", $2 * 1024 }' /proc/meminfo)
NCPU=$(nproc)
DEF_PIDS=4096
[ "$NCPU" -gt 64 ] && DEF_PIDS=$((64 * NCPU))

# ---- the default, as a user runs it ----------------------------------
out=$(sbv sh -c 'grep "^Max processes" /proc/self/limits; stat -f -c "%b %S" /tmp /home/claude /dev/shm;
	cat /proc/self/oom_score_adj; (echo x >/dev/x) 2>&1; echo y >/dev/shm/y && echo shm-writable;
	echo z >/dev/null && echo null-writable')
lim=$(echo "$out" | sed -n 1p | awk '{ print $3, $4 }')
check "default: RLIMIT_NPROC $DEF_PIDS (soft and hard) inside" '[ "$lim" = "$DEF_PIDS $DEF_PIDS" ]'
# Sizes in bytes from statfs: /tmp a quarter of the RAM, home an eighth,
# /dev/shm a sixteenth (half the RAM is the memory bound).
size_of() { echo "$out" | sed -n "${1}p" | awk '{ printf "%.0f", $1 * $2 }'; }
near() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b + 1048576 && a >= b - 1048576) }'; }
check "default: /tmp is a quarter of the RAM ($(size_of 2) of $MEMTOTAL)" \
	'near "$(size_of 2)" "$((MEMTOTAL / 4))"'
check "default: /home/claude is an eighth of the RAM" 'near "$(size_of 3)" "$((MEMTOTAL / 8))"'
check "default: /dev/shm is a sixteenth of the RAM" 'near "$(size_of 4)" "$((MEMTOTAL / 16))"'
check "default: the sandbox's oom_score_adj is 500" '[ "$(echo "$out" | sed -n 5p)" = 500 ]'
check "default: /dev is read-only" 'echo "$out" | grep -q "Read-only file system"'
check "default: /dev/shm and /dev/null stay writable" \
	'echo "$out" | grep -q shm-writable && echo "$out" | grep -q null-writable'
check "default: the status line names every mechanism" \
	'grep -q "^ccsb: bounds: memory .* for tmpfs: .* /dev/shm, .* /tmp, .* /home/claude (bwrap --size); process memory not bounded (no systemd scope: no user session bus (DBUS_SESSION_BUS_ADDRESS, \$XDG_RUNTIME_DIR/bus)), OOM killer takes the sandbox first (oom_score_adj 500); tasks $DEF_PIDS (RLIMIT_NPROC, sandbox.s user namespace)$" "$T/err"'
check "the host shell keeps its own oom_score_adj" '[ "$(cat /proc/self/oom_score_adj)" = 0 ]'

# The bounds line is written while the sandbox is held: a reader that stops
# after the network line (grep -q) must not kill ccsb with SIGPIPE then and
# leave bwrap held.
marker=ccsb-bounds-sigpipe-$$
(cd "$PROJ" && as_test_user env -i $SB_ENV HOME="$THOME" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
	"$CCSB" --net=none -- true "$marker" 2>&1 | grep -q "network: none")
sleep 0.5
check "a reader gone after the network line: ccsb finishes, no bwrap left held" \
	'! pgrep -f "$marker" >/dev/null'
pkill -KILL -f "$marker" 2>/dev/null

# ---- a fork loop stops at the bound; the host is unaffected -----------
# The sandbox's pid 1 is ccsb-exec, then python3: 32 - 2 children at most.
cat >"$T/fork.py" <<'EOF'
import errno, os, sys, time
n, err = 0, "none"
for i in range(200):
    try:
        pid = os.fork()
    except OSError as e:
        err = errno.errorcode.get(e.errno, str(e.errno))
        break
    if pid == 0:
        time.sleep(120)  # killed with the sandbox's pid namespace
        os._exit(0)
    n += 1
print("forked", n, err, flush=True)
if len(sys.argv) > 1:
    # Tell the host we are at the bound, then wait for it to be done.
    with open(sys.argv[1], "w") as f:
        f.write("at-bound\n")
    with open(sys.argv[2]) as f:
        print("host says", f.read().strip(), flush=True)
EOF
hostfile "$T/fork.py" fork.py
# 40 tasks of the test user outside: more than the sandbox's bound, so that
# a bound counted over the whole uid would stop the sandbox at once.
cat >"$T/hold.py" <<'EOF'
import os, sys
r, w = os.pipe()
for i in range(int(sys.argv[1])):
    if os.fork() == 0:
        os.close(w)
        os.read(r, 1)  # EOF when the parent is gone
        os._exit(0)
print("held", sys.argv[1], flush=True)
sys.stdin.read()
EOF
mkfifo "$T/hold.in" "$PROJ/ready" "$PROJ/go"
chown "$TEST_UID:$TEST_GID" "$PROJ/ready" "$PROJ/go" 2>/dev/null
as_test_user env PATH=/usr/bin:/bin python3 "$T/hold.py" 40 <"$T/hold.in" >"$T/hold.out" &
hold_pid=$!
exec 8>"$T/hold.in"
timeout 30 sh -c 'until grep -q held "$1"; do sleep 0.05; done' sh "$T/hold.out"
outside_before=$(ps -u "$TEST_UID" -L --no-headers | wc -l)
( sbv --pids=32 -- python3 fork.py ready go >"$T/fork.out"; echo "rc=$?" >>"$T/fork.out" ) &
sb_pid=$!
at=$(timeout 60 cat "$PROJ/ready")
check "fork loop: the sandbox reached its bound and said so" '[ "$at" = at-bound ]'
# While the sandbox sits at its bound: the same uid outside forks freely,
# and the host's real ccsb starts another sandbox as that user.
outside=$(as_test_user env PATH=/usr/bin:/bin timeout 60 python3 -c '
import os
n = 0
for i in range(50):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    n += 1
print(n)')
check "fork loop: the same uid outside still forks 50 times ($outside)" '[ "$outside" = 50 ]'
check "fork loop: a second ccsb runs as that user meanwhile" 'sb sh -c "echo second" | grep -q second'
echo go | timeout 60 tee "$PROJ/go" >/dev/null
wait "$sb_pid"
exec 8>&-
wait "$hold_pid"
# "forked N ERRNO"
nforked=$(awk '/^forked/ { print $2 }' "$T/fork.out")
ferr=$(awk '/^forked/ { print $3 }' "$T/fork.out")
check "fork loop: fork() fails with EAGAIN at the bound ($ferr)" '[ "$ferr" = EAGAIN ]'
check "fork loop: at most 30 children under --pids=32 (got ${nforked:-none})" \
	'[ -n "$nforked" ] && [ "$nforked" -le 30 ]'
check "fork loop: counted per user namespace: $outside_before tasks of the uid outside did not count (got ${nforked:-none} >= 20)" \
	'[ "$outside_before" -gt 32 ] && [ -n "$nforked" ] && [ "$nforked" -ge 20 ]'
check "fork loop: the command went on after the failed fork, and exited 0" \
	'grep -q "host says go" "$T/fork.out" && grep -q "^rc=0$" "$T/fork.out"'
check "fork loop: the status line says tasks 32 (RLIMIT_NPROC ...)" \
	'grep -q "; tasks 32 (RLIMIT_NPROC, sandbox.s user namespace)$" "$T/err"'

# A nested user namespace (where allowed) counts in the same bound.
out=$(sbv --pids=32 --nested-userns -- sh -c 'unshare -Ur python3 fork.py 2>&1 || echo unshare-refused' 2>&1)
case $out in
*unshare-refused* | *"Operation not permitted"* | *"No space left"*)
	echo "# nested user namespaces refused in this configuration: nested fork loop not run" ;;
*)
	nforked=$(echo "$out" | awk '/^forked/ { print $2 }')
	ferr=$(echo "$out" | awk '/^forked/ { print $3 }')
	check "fork loop in a nested user namespace: bounded too (${nforked:-none}, $ferr)" \
		'[ "$ferr" = EAGAIN ] && [ "$nforked" -le 30 ]' ;;
esac

# ---- writing past the sizes fails inside, the host is untouched ---------
# The sentinel's own pid (as_test_user runs setpriv in a subshell).
as_test_user sh -c 'echo $$ >"$1"; exec sleep 300' sh "$THOME/sentinel.pid" &
timeout 30 sh -c 'until [ -s "$1" ]; do sleep 0.05; done' sh "$THOME/sentinel.pid"
sentinel=$(cat "$THOME/sentinel.pid")
out=$(sbv --memory=64M -- sh -c '
	for f in /tmp/f /home/claude/f /dev/shm/f; do
		dd if=/dev/zero of=$f bs=1M count=100 2>&1 | grep -o "No space left on device" | head -1
		echo "$f $(stat -c %s $f)"
	done
	(echo x > /dev/x) 2>&1')
check "memory 64M: writing 100M to /tmp fails with ENOSPC at 32M" \
	'[ "$(echo "$out" | grep -c "No space left on device")" = 3 ] && echo "$out" | grep -qx "/tmp/f 33554432"'
check "memory 64M: /home/claude stops at 16M" 'echo "$out" | grep -qx "/home/claude/f 16777216"'
check "memory 64M: /dev/shm stops at 8M" 'echo "$out" | grep -qx "/dev/shm/f 8388608"'
check "memory 64M: /dev itself takes nothing (read-only)" \
	'echo "$out" | grep -q "/dev/x: Read-only file system"'
check "memory 64M: the status line gives each size" \
	'grep -q "^ccsb: bounds: memory 64M for tmpfs: 8M /dev/shm, 32M /tmp, 16M /home/claude (bwrap --size); " "$T/err"'
check "memory 64M: a host process of the same user is still alive" 'kill -0 "$sentinel"'
kill "$sentinel" 2>/dev/null
wait 2>/dev/null

# ---- none, config keys, bad values, an old bwrap --------------------------
out=$(sbv --memory=none --pids=none -- sh -c 'grep "^Max processes" /proc/self/limits;
	stat -f -c "%b %S" /tmp; cat /proc/self/oom_score_adj; echo x > /dev/x && echo dev-writable')
check "none: the status line says nothing is bounded" \
	'grep -q "^ccsb: bounds: memory and tmpfs not bounded (--memory=none); tasks not bounded (--pids=none)$" "$T/err"'
check "none: no RLIMIT_NPROC of ccsb's" \
	'! echo "$out" | sed -n 1p | grep -qw "$DEF_PIDS"'
check "none: /tmp is the kernel's default size (half the RAM)" \
	'near "$(echo "$out" | sed -n 2p | awk "{ printf \"%.0f\", \$1 * \$2 }")" "$((MEMTOTAL / 2))"'
check "none: no oom_score_adj, /dev as before" \
	'[ "$(echo "$out" | sed -n 3p)" = 0 ] && echo "$out" | grep -q dev-writable'

mkdir -p "$THOME/.config/ccsb"
printf 'memory = 96M\npids = 50\n' >"$THOME/.config/ccsb/config"
chown -R "$TEST_UID:$TEST_GID" "$THOME/.config" 2>/dev/null
out=$(sbv -- sh -c 'grep "^Max processes" /proc/self/limits')
check "config keys memory and pids apply" \
	'grep -q "^ccsb: bounds: memory 96M for tmpfs: 12M /dev/shm, 48M /tmp, 24M /home/claude" "$T/err" && echo "$out" | grep -q " 50 *50 "'
sbv --pids=60 -- true
check "--pids on the command line wins over the file" 'grep -q "; tasks 60 (RLIMIT" "$T/err"'
printf 'memory = lots\n' >"$THOME/.config/ccsb/config"
sbv true
check "a bad config value stops ccsb naming file:line" \
	'grep -q "config:1: memory .lots.: not a size (use e.g. 512M, 8G, or none)" "$T/err"'
rm -r "$THOME/.config"

sbv --memory=1.5G true
st=$?
check "--memory=1.5G: exit 125 and a one-line reason" \
	'[ $st = 125 ] && grep -qx "ccsb: --memory=1.5G: not a size (use e.g. 512M, 8G, or none)" "$T/err"'
sbv --memory=1M true
st=$?
check "--memory=1M: refused as too small" \
	'[ $st = 125 ] && grep -q "memory bound 1048576 bytes is too small: the least is 16M" "$T/err"'
sbv --pids=3 true
st=$?
check "--pids=3: refused as too small" '[ $st = 125 ] && grep -q "task bound 3 is too small" "$T/err"'

# A bwrap before 0.7.0 has no --size: ccsb must not run without the sizes
# it announced, and doctor names the problem and the fix.
cat >"$T/oldbwrap" <<'EOF'
#!/bin/sh
for a; do
	case $a in
	--size) echo "bwrap: Unknown option --size" >&2; exit 1 ;;
	--help) bwrap --help | grep -v -- --size; exit 0 ;;
	esac
done
exec bwrap "$@"
EOF
chmod 755 "$T/oldbwrap"
SB_EXTRA_ENV="CCSB_BWRAP=$T/oldbwrap" sbv true
st=$?
check "bwrap without --size: the run fails (125) with bwrap's reason" \
	'[ $st = 125 ] && grep -q "Unknown option --size" "$T/err"'
out=$(SB_EXTRA_ENV="CCSB_BWRAP=$T/oldbwrap" sbv --memory=none sh -c 'echo ran')
check "bwrap without --size: --memory=none runs" '[ "$out" = ran ]'

out=$(cd "$PROJ" && as_test_user env -i $SB_ENV HOME="$THOME" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
	"$CCSB" doctor 2>&1)
check "doctor: reports the bounds and their mechanisms" \
	'echo "$out" | grep -q "^ok       bounds: memory .*(bwrap --size).*tasks $DEF_PIDS (RLIMIT_NPROC"'
check "doctor: says process memory is not bounded, with a fix" \
	'echo "$out" | grep -q "^warning  bounds: the memory of the sandbox.s processes is not bounded" && echo "$out" | grep -q "fix: .*MemoryMax"'
out=$(cd "$PROJ" && as_test_user env -i $SB_ENV HOME="$THOME" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
	CCSB_BWRAP="$T/oldbwrap" "$CCSB" doctor 2>&1)
check "doctor: a bwrap without --size is a failure with the fix" \
	'echo "$out" | grep -q "^failure  bounds: .*oldbwrap has no --size" && echo "$out" | grep -q "fix: upgrade bubblewrap to 0.7.0"'

# ---- a real systemd user manager: the scope -------------------------------
# A private user manager for the test user, on a session bus of its own, in
# a mount namespace where /sys/fs/cgroup is the cgroup2 hierarchy and the
# test owns a subtree of it (what systemd-logind gives a user). This
# machine's cgroup2 has no memory or pids controller (they are on cgroup
# v1), so the scope is made and holds the sandbox, and ccsb must then say
# that its bounds are not enforced; with the controllers (a cgroup v2
# machine) the same code reads memory.max and pids.max back.
if [ "$(id -u)" = 0 ] && [ -x /lib/systemd/systemd ] && command -v dbus-daemon >/dev/null 2>&1 &&
	grep -q ' - cgroup2 ' /proc/self/mountinfo; then
	SD=$T/sd
	mkdir -p "$SD/run"
	chown "$TEST_UID:$TEST_GID" "$SD/run"
	chmod 700 "$SD/run"
	CG=ccsb-bounds-test.$$
	cat >"$SD/ns.sh" <<'EOF'
set -u
# Every process this script starts lives in $CG; cgroup.kill ends them all.
cleanup() {
	[ -d "/sys/fs/cgroup/$CG" ] || return 0
	echo $$ >/sys/fs/cgroup/cgroup.procs # out of it first: the kill is for the rest
	echo 1 >"/sys/fs/cgroup/$CG/cgroup.kill" 2>/dev/null
	for i in $(seq 50); do
		[ -z "$(find "/sys/fs/cgroup/$CG" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] && break
		sleep 0.1
	done
	find "/sys/fs/cgroup/$CG" -depth -type d -exec rmdir {} + 2>/dev/null
}
mount -t cgroup2 none /sys/fs/cgroup || exit 1
# systemd runs as a user manager only where the system was booted with it.
mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system
mkdir "/sys/fs/cgroup/$CG"
chown -R "$TEST_UID:$TEST_GID" "/sys/fs/cgroup/$CG"
echo $$ >"/sys/fs/cgroup/$CG/cgroup.procs"
trap cleanup EXIT
U() { setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --clear-groups -- env -i \
	PATH=/usr/local/bin:/usr/bin:/bin HOME="$THOME" XDG_RUNTIME_DIR="$SD/run" \
	DBUS_SESSION_BUS_ADDRESS="unix:path=$SD/run/bus" LANG=C.UTF-8 "$@"; }
U dbus-daemon --session --address="unix:path=$SD/run/bus" --fork --nopidfile >/dev/null || exit 1
U /lib/systemd/systemd --user >"$SD/systemd.log" 2>&1 </dev/null &
for i in $(seq 100); do
	U busctl --user --timeout=1 get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 \
		org.freedesktop.systemd1.Manager Version >/dev/null 2>&1 && break
	sleep 0.1
done
cd "$PROJ" || exit 1
U env CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" "$CCSB" --net=none --memory=256M --pids=64 -- \
	sh -c 'cat /proc/self/cgroup; grep "^Max processes" /proc/self/limits' >"$SD/out" 2>"$SD/err"
echo "rc=$?" >>"$SD/out"
U env CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" "$CCSB" doctor >"$SD/doctor" 2>&1
# The scope is gone once the sandbox is (CollectMode=inactive-or-failed).
for i in $(seq 50); do
	[ -z "$(find "/sys/fs/cgroup/$CG" -name 'ccsb-*.scope' 2>/dev/null)" ] && break
	sleep 0.1
done
find "/sys/fs/cgroup/$CG" -name 'ccsb-*.scope' >"$SD/left"
EOF
	export SD CG T THOME PROJ CCSB CCSB_EXEC_HELPER TEST_UID TEST_GID
	timeout 120 unshare -m --propagation private sh "$SD/ns.sh"
	unit=$(sed -n 's/.*no systemd scope: \(ccsb-[0-9]*-[0-9]*\.scope\) has no.*/\1/p' "$SD/err")
	check "systemd: the sandbox ran in the transient scope ccsb asked for (${unit:-none})" \
		'[ -n "$unit" ] && grep -q "^0::/.*/$unit\$" "$SD/out" && grep -q "^rc=0$" "$SD/out"'
	check "systemd: the scope has no memory or pids controller here, and the status line says so" \
		'grep -q "^ccsb: bounds: memory 256M .* process memory not bounded (no systemd scope: $unit has no memory or pids controller (cgroup v1 or hybrid, or not delegated to the user.s manager)), OOM killer takes the sandbox first (oom_score_adj 500); tasks 64 (RLIMIT_NPROC, sandbox.s user namespace)$" "$SD/err"'
	check "systemd: the weaker bound still holds inside (RLIMIT_NPROC 64)" \
		'grep -q "^Max processes *64 *64 " "$SD/out"'
	check "systemd: doctor asks too, and names the scope and what it lacks" \
		'grep -q "^ok       bounds: .*no systemd scope: ccsb-[0-9]*-[0-9]*\.scope has no memory or pids controller" "$SD/doctor"'
	check "systemd: the scope is collected after the run" '[ ! -s "$SD/left" ]'
	check "systemd: nothing of the test's manager is left" \
		'[ ! -d "/sys/fs/cgroup/unified/$CG" ] && [ ! -d "/sys/fs/cgroup/$CG" ]'
	if [ -n "${CCSB_BOUNDS_VERBOSE-}" ]; then sed 's/^/# /' "$SD/err" "$SD/out" "$SD/systemd.log"; fi
else
	fail "systemd: needs root, systemd (/lib/systemd/systemd), dbus-daemon and a cgroup2 mount"
fi

t_done
