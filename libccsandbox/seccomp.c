/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp filter handed to bwrap (--seccomp FD), as BPF. Normally
 * generated at build time (gen-seccomp.c, from seccomp-rules.c): a run only
 * writes bytes, and libseccomp's ~0.5 ms of loading and compiling on every
 * start was on the start-up path. A cross build compiles at run time. */
#include "internal.h"
#ifndef CCSB_STATIC_TOOL
#include "seccomp-rules.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef CCSB_STATIC_TOOL
#include "dl.h"
#endif

#if CCSB_SECCOMP_PRECOMPILED
/* seccomp-bpf.c, made by gen-seccomp */
extern const unsigned char ccsb__bpf_nested[], ccsb__bpf_no_nested[];
extern const size_t ccsb__bpf_nested_len, ccsb__bpf_no_nested_len;
#endif

static int write_all(int fd, const unsigned char *p, size_t n, ccsb_error **err)
{
	int r = ccsb__write_all(fd, p, n);
	return r < 0 ? ccsb__errno(err, -r, "writing the seccomp filter") : 0;
}

/* ccsb linked statically (CCSB_STATIC_TOOL, with musl) has no libseccomp
 * at all: configure builds it that way only with the generated BPF. */
#ifndef CCSB_STATIC_TOOL
int ccsb__seccomp_compile(bool nested_userns, int fd, ccsb_error **err)
{
	int lr = ccsb__seccomp_load(err);
	if (lr < 0)
		return lr;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return ccsb__err(err, ENOMEM, "seccomp: cannot create a filter");
	const char *what = "";
	int r = ccsb__seccomp_fill(ctx, nested_userns, &what);
	if (r < 0) {
		seccomp_release(ctx);
		return ccsb__errno(err, -r, "seccomp: %s", what);
	}
	r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	/* libseccomp 2.5 may return -ECANCELED for a system error. */
	if (r < 0)
		return ccsb__errno(err, r == -ECANCELED ? EIO : -r,
				   "seccomp: exporting the filter");
	return 0;
}
#endif

int ccsb__seccomp_export(const ccsb_sandbox *sb, int fd, ccsb_error **err)
{
#if CCSB_SECCOMP_PRECOMPILED
	if (sb->nested_userns)
		return write_all(fd, ccsb__bpf_nested, ccsb__bpf_nested_len, err);
	return write_all(fd, ccsb__bpf_no_nested, ccsb__bpf_no_nested_len, err);
#else
	(void)write_all;
	return ccsb__seccomp_compile(sb->nested_userns, fd, err);
#endif
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
		ssize_t k = CCSB_RETRY(read(fd, buf + n, (size_t)size - n));
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
