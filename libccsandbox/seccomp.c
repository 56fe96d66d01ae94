/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp filter handed to bwrap (--seccomp FD): a deny list on top of
 * what the user namespace already withholds. Building it touches no host
 * state; the BPF depends only on the policy and the libseccomp version. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

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

static int fill(scmp_filter_ctx ctx, bool nested_userns, const char **what)
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

int ccsb__seccomp_export(const ccsb_sandbox *sb, int fd, ccsb_error **err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return ccsb__err(err, ENOMEM, "seccomp: cannot create a filter");
	const char *what = "";
	int r = fill(ctx, sb->nested_userns, &what);
	if (r < 0) {
		seccomp_release(ctx);
		return ccsb__errno(err, -r, "seccomp: %s", what);
	}
	r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	/* libseccomp 2.5 may return -ECANCELED for a system error. */
	if (r < 0)
		return ccsb__errno(err, r == -ECANCELED ? EIO : -r, "seccomp: exporting the filter");
	return 0;
}

int ccsb__seccomp_memfd(const ccsb_sandbox *sb, ccsb_error **err)
{
	int fd = memfd_create("ccsb-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return ccsb__errno(err, errno, "memfd_create");
	int r = ccsb__seccomp_export(sb, fd, err);
	if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
		r = ccsb__errno(err, errno, "lseek");
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int ccsb__seccomp_bpf(const ccsb_sandbox *sb, unsigned char **out, size_t *len, ccsb_error **err)
{
	int fd = ccsb__seccomp_memfd(sb, err);
	if (fd < 0)
		return fd;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		int r = ccsb__errno(err, errno, "lseek");
		close(fd);
		return r;
	}
	unsigned char *buf = malloc(size ? (size_t)size : 1);
	if (!buf) {
		close(fd);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	size_t n = 0;
	while (n < (size_t)size) {
		ssize_t k = read(fd, buf + n, (size_t)size - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int r = ccsb__errno(err, k < 0 ? errno : EIO, "reading the seccomp filter");
			free(buf);
			close(fd);
			return r;
		}
		n += (size_t)k;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
}
