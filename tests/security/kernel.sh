#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Kernel surface, attacked from inside real sandboxes: io_uring as a way
# around the socket-family filter, nested user namespaces (off by default,
# on with --nested-userns or the config key), a nested bwrap with its own
# /proc for tools that sandbox themselves. Each attack is also run where it
# must work (on the host, or with the option), so that a probe that cannot
# succeed cannot pass for a defence, and the host is checked afterwards.
set -u
. "$top_srcdir/tests/lib/common.sh"

t_setup
command -v "${CC:-cc}" >/dev/null 2>&1 || t_skip "no C compiler (${CC:-cc}) to build the probe"
command -v unshare >/dev/null 2>&1 || t_skip "unshare (util-linux) not installed"

"${CC:-cc}" -O1 -o "$PROJ/uring" "$top_srcdir/tests/security/uring.c" || {
	fail "the io_uring probe does not build"
	t_done
	exit 1
}
[ "$(id -u)" != 0 ] || chown "$TEST_UID:$TEST_GID" "$PROJ/uring"

# ---- io_uring: IORING_OP_SOCKET of a family socket() refuses -------------
host=$(cd "$PROJ" && as_test_user ./uring 2>&1)
echo "# host: $(echo "$host" | tr '\n' ' ')"
out=$(sb ./uring 2>&1)
check "io_uring_setup is ENOSYS inside ($out)" \
	'test "$(echo "$out" | head -n 1)" = "setup: Function not implemented"'
check "no AF_VSOCK socket through io_uring inside" '! echo "$out" | grep -q "^socket 40: OK"'
check "socket(AF_VSOCK) itself is refused inside too" \
	'sb python3 -c "import socket; socket.socket(40, socket.SOCK_STREAM)" 2>&1 | grep -q "Address family not supported"'
case $host in
"setup: OK"*)
	# The probe works: without the filter the same ring opens inside,
	# so the ENOSYS above is the filter's doing.
	off=$(sb --no-seccomp ./uring 2>&1)
	check "control: with --no-seccomp the ring opens inside ($off)" \
		'test "$(echo "$off" | head -n 1)" = "setup: OK"'
	case $host in
	*"socket 40: OK"*)
		check "control: ... and makes the AF_VSOCK socket socket() refuses" \
			'echo "$off" | grep -q "^socket 40: OK"' ;;
	*) echo "# this host has no vsock transport: the socket step is not shown" ;;
	esac
	;;
*) echo "# io_uring unavailable on this host ($host): the control is not possible" ;;
esac
# A program that uses io_uring when it can falls back to plain calls.
if command -v node >/dev/null 2>&1; then
	check "node reads and writes files inside (libuv falls back from io_uring)" \
		'test "$(sb node -e "require(\"fs\").writeFileSync(\"n.txt\",\"ok\");process.stdout.write(require(\"fs\").readFileSync(\"n.txt\",\"utf8\"))")" = ok'
fi

# ---- nested user namespaces ----------------------------------------------
check "default: unshare -Urn fails" '! sb unshare -Urn true 2>/dev/null'
check "default: unshare -U fails (no user namespace at all)" '! sb unshare -U true 2>/dev/null'
check "default, no seccomp: still refused (bwrap --disable-userns)" \
	'! sb --no-seccomp unshare -Urn true 2>/dev/null'
check "--nested-userns: unshare -Urn works" 'sb --nested-userns unshare -Urn true'
check "--no-nested-userns after --nested-userns: refused" \
	'! sb --nested-userns --no-nested-userns unshare -Urn true 2>/dev/null'
mkdir -p "$THOME/.config/ccsb"
echo "nested-userns = true" >"$THOME/.config/ccsb/config"
[ "$(id -u)" != 0 ] || chown -R "$TEST_UID:$TEST_GID" "$THOME/.config"
check "config nested-userns = true: unshare -Urn works" 'sb unshare -Urn true'
check "config nested-userns = true, --no-nested-userns: refused" \
	'! sb --no-nested-userns unshare -Urn true 2>/dev/null'
rm -f "$THOME/.config/ccsb/config"

# What a nested user namespace is for: root of its own namespaces. By
# default none; with the option, capabilities there but nothing outside.
out=$(sb sh -c 'unshare -Urn sh -c "ip link add ccsbv0 type veth peer name ccsbv1 && echo made-veth" 2>&1' 2>&1)
check "default: no veth in a nested namespace ($out)" '! echo "$out" | grep -q made-veth'
out=$(sb --nested-userns sh -c 'unshare -Urn sh -c "ip link add ccsbv0 type veth peer name ccsbv1 && echo made-veth"; ip -o link' 2>&1)
echo "# --nested-userns: $(echo "$out" | tr '\n' ' ' | cut -c1-200)"
check "--nested-userns: the veth is not in the sandbox's own netns" '! echo "$out" | grep -q "ccsbv0@"'
check "host: no ccsbv0 link appeared" '! ip -o link 2>/dev/null | grep -q ccsbv0'
check "--nested-userns: nested root cannot touch the sandbox's netns" \
	'! sb --nested-userns unshare -Ur ip link set lo down 2>/dev/null'

# Tools that sandbox themselves (Claude Code's own sandbox): a nested bwrap
# with its own /proc and /dev.
NEST="bwrap --unshare-all --proc /proc --dev /dev --ro-bind /usr /usr --symlink usr/bin /bin
	--symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/sbin /sbin"
if out=$(sb --nested-userns $NEST cat /proc/self/status 2>&1) && echo "$out" | grep -q '^Pid:'; then
	pass "--nested-userns: nested bwrap --unshare-all --proc /proc --dev /dev works"
else
	fail "--nested-userns: nested bwrap --proc fails: $(echo "$out" | tail -n 1)"
fi
out=$(sb $NEST true 2>&1)
check "default: nested bwrap refused ($(echo "$out" | tail -n 1))" '! sb $NEST true 2>/dev/null'
# The /proc covers (read-only /proc/sys...) are for a root caller only;
# as a user the kernel refuses the writes anyway.
check "as a user, no cover is mounted over /proc/sys" \
	'! sb cat /proc/self/mountinfo | grep -q " /proc/sys "'
WRITE='v=$(cat /proc/sys/kernel/core_pattern) && printf "%s\n" "$v" >/proc/sys/kernel/core_pattern && echo WROTE'
out=$(sb sh -c "$WRITE" 2>&1)
check "... and kernel.core_pattern is still not writable ($(echo "$out" | tail -n 1))" \
	'! echo "$out" | grep -q WROTE'
out=$(sb --nested-userns unshare -Ur sh -c "$WRITE" 2>&1)
check "... not even by a nested namespace's root ($(echo "$out" | tail -n 1))" \
	'! echo "$out" | grep -q WROTE'

# The host afterwards: a second sandbox starts and works as usual.
check "host: a second ccsb runs" 'test "$(sb echo fine)" = fine'
t_done
