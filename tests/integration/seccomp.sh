#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The seccomp filter, syscall by syscall, from inside real sandboxes: what it
# refuses and with which errno, what it must leave alone (the socket families
# a coding agent needs, ptrace for strace, nested user namespaces with
# --nested-userns), and that --no-seccomp really removes it.
set -u
. "$top_srcdir/tests/lib/common.sh"

t_setup
command -v "${CC:-cc}" >/dev/null 2>&1 || t_skip "no C compiler (${CC:-cc}) to build the probe"

cat >"$T/probe.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void rep(const char *what, long r)
{
	printf("%s: %s\n", what, r < 0 ? strerror(errno) : "OK");
}

/* Run fn in a child so that a success changes nothing here. */
static void in_child(const char *what, int (*fn)(void))
{
	pid_t p = fork();
	if (p == 0)
		_exit(fn() < 0 ? errno : 0);
	int st = 0;
	waitpid(p, &st, 0);
	int e = WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
	printf("%s: %s\n", what, e ? strerror(e) : "OK");
}

static int do_unshare_user(void) { return unshare(CLONE_NEWUSER); }
static int do_clone_user(void)
{
	long p = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid((pid_t)p, NULL, 0);
	return p < 0 ? -1 : 0;
}
static int do_clone3(void)
{
	unsigned long long args[11] = { 0 };
	args[4] = SIGCHLD; /* exit_signal */
	long p = syscall(435, args, sizeof(args));
	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid((pid_t)p, NULL, 0);
	return p < 0 ? -1 : 0;
}
static int do_ptrace(void)
{
	pid_t p = fork();
	if (p == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	long r = WIFSTOPPED(st) ? ptrace(PTRACE_CONT, p, 0, 0) : -1;
	waitpid(p, &st, 0);
	return r < 0 ? -1 : 0;
}

#if defined(__x86_64__)
static long i386_syscall(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}
#endif

int main(void)
{
	char c = 'x';
	/* Line by line, so that a probe killed half-way still says how far
	 * it came. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	rep("ioctl TIOCSTI", ioctl(0, TIOCSTI, &c));
	rep("ioctl TIOCSTI high bits", syscall(SYS_ioctl, 0, 0x100000000UL | TIOCSTI, &c));
	rep("ioctl TIOCLINUX", ioctl(0, 0x541C, &c));
	rep("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
	rep("add_key", syscall(SYS_add_key, "user", "ccsb", "x", 1, -2));
	rep("request_key", syscall(SYS_request_key, "user", "ccsb", NULL, 0));
	rep("bpf", syscall(SYS_bpf, 0, NULL, 0));
	rep("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
	rep("userfaultfd", syscall(SYS_userfaultfd, 0));
	rep("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, NULL, 0));
	rep("syslog", syscall(SYS_syslog, 3, NULL, 0));
	rep("acct", syscall(SYS_acct, NULL));
	rep("swapoff", syscall(SYS_swapoff, "/nonexistent"));
	rep("init_module", syscall(SYS_init_module, NULL, 0, ""));
	rep("delete_module", syscall(SYS_delete_module, "ccsb_none", 0));
	rep("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
	rep("quotactl", syscall(SYS_quotactl, 0, NULL, 0, NULL));
	rep("fsopen", syscall(430, "tmpfs", 0));
	rep("fspick", syscall(433, -100, "/", 0));
	rep("open_tree", syscall(428, -100, "/", 0));
	rep("move_mount", syscall(429, -1, "", -1, "", 0));
	rep("mount_setattr", syscall(442, -100, "/", 0, NULL, 0));
	/* Without the filter: EFAULT, EBADF, EBADF. */
	rep("io_uring_setup", syscall(425, 1, NULL));
	rep("io_uring_enter", syscall(426, -1, 0, 0, 0, NULL, 0));
	rep("io_uring_register", syscall(427, -1, 0, NULL, 0));
#ifdef SYS_uselib
	rep("uselib", syscall(SYS_uselib, "/nonexistent"));
#endif
#ifdef SYS_lookup_dcookie
	rep("lookup_dcookie", syscall(SYS_lookup_dcookie, 0, NULL, 0));
#endif
	in_child("clone3", do_clone3);
	rep("socket AF_UNIX", socket(AF_UNIX, SOCK_STREAM, 0));
	rep("socket AF_INET", socket(AF_INET, SOCK_DGRAM, 0));
	rep("socket AF_INET6", socket(AF_INET6, SOCK_DGRAM, 0));
	rep("socket AF_NETLINK", socket(AF_NETLINK, SOCK_RAW, 0));
	rep("socket AF_UNSPEC", socket(AF_UNSPEC, SOCK_DGRAM, 0));
	rep("socket AF_PACKET", socket(AF_PACKET, SOCK_RAW, 0));
	rep("socket AF_VSOCK", socket(40, SOCK_STREAM, 0));
	rep("socket AF_BLUETOOTH", socket(31, SOCK_RAW, 0));
	rep("socket AF_PACKET high bits", syscall(SYS_socket, 0x100000000UL | AF_PACKET, SOCK_RAW, 0));
	rep("socket AF_INET high bits", syscall(SYS_socket, 0x100000000UL | AF_INET, SOCK_DGRAM, 0));
#if defined(__x86_64__)
	rep("i386 keyctl", i386_syscall(288, 0, 0, 0));
	rep("i386 getpid", i386_syscall(20, 0, 0, 0));
#endif
	in_child("unshare user", do_unshare_user);
	in_child("clone user", do_clone_user);
	in_child("ptrace", do_ptrace);
	return 0;
}
EOF
"${CC:-cc}" -O1 -o "$PROJ/probe" "$T/probe.c" || {
	fail "the probe does not build"
	t_done
	exit 1
}
[ "$(id -u)" != 0 ] || chown "$TEST_UID:$TEST_GID" "$PROJ/probe"

sb --nested-userns -- ./probe </dev/null >"$T/on" 2>&1
sb --nested-userns --no-seccomp -- ./probe </dev/null >"$T/off" 2>&1
sb -- ./probe </dev/null >"$T/nouserns" 2>&1
sb --no-seccomp -- ./probe </dev/null >"$T/nouserns-off" 2>&1
sb --no-nested-userns -- ./probe </dev/null >"$T/nouserns-explicit" 2>&1

# expect FILE "NAME: RESULT" ...
expect() {
	f=$1
	shift
	for line; do
		got=$(grep -F "${line%%: *}: " "$T/$f" | head -n 1)
		if [ "$got" = "$line" ]; then
			pass "$f: $line"
		else
			fail "$f: $line (got '$got')"
		fi
	done
}

EPERM="Operation not permitted"
ENOSYS="Function not implemented"
EAFNO="Address family not supported by protocol"

for name in "ioctl TIOCSTI" "ioctl TIOCSTI high bits" "ioctl TIOCLINUX" keyctl add_key \
	request_key bpf perf_event_open userfaultfd open_by_handle_at syslog acct swapoff \
	init_module delete_module kexec_load quotactl; do
	expect on "$name: $EPERM"
done
for name in fsopen fspick open_tree move_mount mount_setattr clone3 io_uring_setup \
	io_uring_enter io_uring_register; do
	expect on "$name: $ENOSYS"
done
case $(uname -m) in
x86_64) expect on "uselib: $EPERM" "lookup_dcookie: $EPERM" ;;
esac
for af in AF_UNSPEC AF_PACKET AF_VSOCK AF_BLUETOOTH "AF_PACKET high bits" "AF_INET high bits"; do
	expect on "socket $af: $EAFNO"
done
for af in AF_UNIX AF_INET AF_INET6 AF_NETLINK; do
	expect on "socket $af: OK"
done
case $(uname -m) in
x86_64) expect on "i386 keyctl: $EPERM" "i386 getpid: OK" ;;
esac
expect on "unshare user: OK" "clone user: OK" "ptrace: OK"

# Without the filter the same calls reach the kernel (5.3 or later), which
# allows these two.
expect off "open_tree: OK" "clone3: OK" "ptrace: OK" "io_uring_setup: Bad address" \
	"io_uring_enter: Bad file descriptor"

# The default (and --no-nested-userns): no user namespace inside.
expect nouserns "unshare user: $EPERM" "clone user: $EPERM" "ptrace: OK" "keyctl: $EPERM" \
	"clone3: $ENOSYS" "io_uring_setup: $ENOSYS"
expect nouserns-explicit "unshare user: $EPERM" "clone user: $EPERM"
# bwrap's --disable-userns: the kernel's limit, without the filter.
check "nouserns-off: unshare of a user namespace still fails" \
	'! grep -qx "unshare user: OK" "$T/nouserns-off"'
check "nouserns-off: clone into a user namespace still fails" \
	'! grep -qx "clone user: OK" "$T/nouserns-off"'

# Tools that sandbox themselves: bwrap inside (Claude Code's own sandbox).
if out=$(sb --nested-userns -- bwrap --ro-bind / / --unshare-all -- true 2>&1); then
	pass "bwrap runs inside the sandbox with --nested-userns"
else
	fail "bwrap does not run inside the sandbox with --nested-userns: $out"
fi
if sb -- bwrap --ro-bind / / --unshare-all -- true >/dev/null 2>&1; then
	fail "bwrap runs inside by default"
else
	pass "bwrap refused inside by default"
fi

# strace inside is the documented debugging path.
if command -v strace >/dev/null 2>&1; then
	check "strace works inside" 'sb -- strace -f -o /dev/null true'
else
	echo "# strace not installed: not checked"
fi

# The filter is there for the whole run, pid 1 included.
check "Seccomp mode 2 for the command" 'sb -- grep -qx "Seccomp:	2" /proc/self/status'
check "no filter with --no-seccomp" 'sb --no-seccomp -- grep -qx "Seccomp:	0" /proc/self/status'
t_done
