/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rules of the seccomp filter handed to bwrap: a deny list on top of
 * what the user namespace already withholds. Compiled twice: into
 * gen-seccomp, which links libseccomp and turns the rules into BPF at build
 * time (seccomp-bpf.c), and into the library, where libseccomp is dlopen()ed
 * (dl.h) only when the BPF could not be generated at build time (cross
 * builds) and by the test that checks the generated BPF against it. */
#include "seccomp-rules.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#ifndef CCSB_SECCOMP_DIRECT
#include "dl.h"
#endif

/* TIOCLINUX is in <linux/tiocl.h> on some systems only. */
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

struct denied {
	const char *name;
	int err;
};

/* Names rather than SCMP_SYS() so that a syscall newer than the
 * installed libseccomp headers is skipped instead of breaking the build. */
static const struct denied denied[] = {
	/* The kernel keyring is not namespaced. */
	{ "keyctl", EPERM },
	{ "add_key", EPERM },
	{ "request_key", EPERM },
	/* Host-wide operations; mostly refused by the user namespace anyway. */
	{ "kexec_load", EPERM },
	{ "kexec_file_load", EPERM },
	{ "init_module", EPERM },
	{ "finit_module", EPERM },
	{ "delete_module", EPERM },
	{ "reboot", EPERM },
	{ "swapon", EPERM },
	{ "swapoff", EPERM },
	{ "syslog", EPERM },
	{ "acct", EPERM },
	{ "quotactl", EPERM },
	{ "quotactl_fd", EPERM },
	/* Large kernel attack surface, no use to a coding agent. */
	{ "bpf", EPERM },
	{ "perf_event_open", EPERM },
	{ "userfaultfd", EPERM },
	{ "open_by_handle_at", EPERM },
	/* Obsolete calls with a history of kernel bugs, refused by Docker's and
	 * Flatpak's profiles too; nothing current uses them. */
	{ "uselib", EPERM },
	{ "vm86", EPERM },
	{ "vm86old", EPERM },
	{ "lookup_dcookie", EPERM },
	{ "nfsservctl", EPERM },
	/* io_uring performs its operations from a ring in memory, out of
	 * seccomp's sight: IORING_OP_SOCKET makes an AF_VSOCK socket that
	 * socket(2) refuses. ENOSYS, as on a kernel without io_uring, so that
	 * programs (node's libuv among them) fall back to plain system calls. */
	{ "io_uring_setup", ENOSYS },
	{ "io_uring_enter", ENOSYS },
	{ "io_uring_register", ENOSYS },
	/* The new mount API: ENOSYS, so that programs fall back to mount(2). */
	{ "fsopen", ENOSYS },
	{ "fsconfig", ENOSYS },
	{ "fsmount", ENOSYS },
	{ "fspick", ENOSYS },
	{ "open_tree", ENOSYS },
	{ "move_mount", ENOSYS },
	{ "mount_setattr", ENOSYS },
	/* clone3 passes its flags in memory where BPF cannot see them; ENOSYS
	 * makes libc fall back to clone(2), whose flags can be filtered. */
	{ "clone3", ENOSYS },
};

/* Address families that stay usable; socket() with any other gets
 * EAFNOSUPPORT (no packet, raw-link, bluetooth, vsock, alg sockets...). */
static bool family_allowed(int af)
{
	return af == AF_UNIX || af == AF_INET || af == AF_INET6 || af == AF_NETLINK;
}

/* clone(2) takes its flags in the first argument except on s390. */
#if defined(__s390__) || defined(__s390x__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

static int add(scmp_filter_ctx ctx, int err, int nr, unsigned n, const struct scmp_arg_cmp *cmp)
{
	return seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO((uint32_t)err), nr, n, cmp);
}

int ccsb__seccomp_fill(scmp_filter_ctx ctx, bool nested_userns, const char **what)
{
	int r;
	/* Compat ABIs of the native architecture get the same rules, so that
	 * a 32-bit binary cannot step around them; any other architecture is
	 * killed (libseccomp's default bad-arch action). */
#if defined(__x86_64__) && !defined(__ILP32__)
	if ((r = seccomp_arch_add(ctx, SCMP_ARCH_X86)) < 0 && r != -EEXIST) {
		*what = "adding the x86 architecture";
		return r;
	}
	if ((r = seccomp_arch_add(ctx, SCMP_ARCH_X32)) < 0 && r != -EEXIST) {
		*what = "adding the x32 architecture";
		return r;
	}
#elif defined(__aarch64__)
	if ((r = seccomp_arch_add(ctx, SCMP_ARCH_ARM)) < 0 && r != -EEXIST) {
		*what = "adding the arm architecture";
		return r;
	}
#endif
	for (size_t i = 0; i < sizeof(denied) / sizeof(*denied); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i].name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		if ((r = add(ctx, denied[i].err, nr, 0, NULL)) < 0) {
			*what = denied[i].name;
			return r;
		}
	}

	/* ioctl's request is an unsigned int in the kernel: compare only the
	 * low 32 bits, or 0x100005412 would slip through as TIOCSTI. */
	static const unsigned long tty_ioctls[] = { TIOCSTI, TIOCLINUX };
	for (size_t i = 0; i < sizeof(tty_ioctls) / sizeof(*tty_ioctls); i++) {
		struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, tty_ioctls[i]);
		if ((r = add(ctx, EPERM, SCMP_SYS(ioctl), 1, &c)) < 0) {
			*what = "ioctl";
			return r;
		}
	}

	/* Deny every family but the allowed ones, comparing all 64 bits: a
	 * value is let through only when it is exactly an allowed family, and
	 * anything with high bits set is caught by the ">= 17" rule. (On
	 * 32-bit x86, libseccomp turns this into a denial of
	 * socketcall(SYS_SOCKET), whose arguments BPF cannot read.) */
	for (int af = 0; af <= AF_NETLINK; af++) {
		if (family_allowed(af))
			continue;
		struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)af);
		if ((r = add(ctx, EAFNOSUPPORT, SCMP_SYS(socket), 1, &c)) < 0) {
			*what = "socket";
			return r;
		}
	}
	struct scmp_arg_cmp ge = SCMP_A0(SCMP_CMP_GE, AF_NETLINK + 1);
	if ((r = add(ctx, EAFNOSUPPORT, SCMP_SYS(socket), 1, &ge)) < 0) {
		*what = "socket";
		return r;
	}

	if (!nested_userns) {
		struct scmp_arg_cmp u = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER);
		if ((r = add(ctx, EPERM, SCMP_SYS(unshare), 1, &u)) < 0) {
			*what = "unshare";
			return r;
		}
		struct scmp_arg_cmp c = { CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, CLONE_NEWUSER,
					  CLONE_NEWUSER };
		if ((r = add(ctx, EPERM, SCMP_SYS(clone), 1, &c)) < 0) {
			*what = "clone";
			return r;
		}
	}
	return 0;
}
