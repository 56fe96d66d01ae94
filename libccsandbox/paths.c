/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Canonical host paths, cheaply: musl's realpath() (and glibc's) resolves
 * a path one component at a time, a readlink() each (~160 a start of
 * ccsb). The kernel resolves it in one open(O_PATH) and says where it
 * arrived through /proc/self/fd: the path of the object actually reached,
 * in one lookup (no window between components). realpath() remains the
 * fallback whenever that answer is not a plain absolute path. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

char *ccsb__realpath(const char *path, char *out)
{
	/* The system call itself: musl's open() follows O_CLOEXEC with an
	 * fcntl() for kernels older than 2.6.23. */
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return NULL; /* realpath() fails the same way (ENOENT, ELOOP, ...) */
	char link[32];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, out, PATH_MAX);
	int e = errno;
	close(fd);
	/* Not a plain path: no /proc (n < 0), too long, an object without a
	 * name ("pipe:[N]", "anon_inode:..."), one outside this process's
	 * root ("(unreachable)/..."), or removed meanwhile (" (deleted)"). */
	static const char deleted[] = " (deleted)";
	const size_t nd = sizeof(deleted) - 1;
	if (n > 0 && n < PATH_MAX && out[0] == '/') {
		out[n] = '\0';
		if ((size_t)n < nd || memcmp(out + n - nd, deleted, nd) != 0)
			return out;
	}
	errno = e;
	return realpath(path, out);
}

char *ccsb__realpath_dup(const char *path)
{
	char buf[PATH_MAX];
	char *p = ccsb__realpath(path, buf);
	return p ? strdup(p) : NULL;
}

bool ccsb__bind_redundant(const ccsb_sandbox *sb, const char *src, const char *dest, unsigned flags)
{
	if (strcmp(src, dest) != 0)
		return false;
	/* What the sandbox sees at dest: the last mount there or above, with
	 * nothing mounted below dest since (a bind of a directory would cover
	 * it again). */
	const struct ccsb_mount *last = NULL;
	size_t n = strlen(dest);
	for (size_t i = sb->nmounts; i-- > 0 && !last;) {
		const char *d = sb->mounts[i].dest;
		if (ccsb__path_under(dest, d, strlen(d)))
			last = &sb->mounts[i];
		else if (ccsb__path_under(d, dest, n))
			return false;
	}
	const unsigned kept = CCSB_BIND_RW | CCSB_BIND_DEV;
	if (!last || last->kind != CCSB_M_BIND || strcmp(last->src, last->dest) != 0 ||
	    (last->flags & kept) != (flags & kept))
		return false;
	/* The path below that bind is the host's same path only when no
	 * component of it is a symlink (inside, an absolute link would
	 * resolve against the sandbox's tree): src must be canonical. That
	 * also says that it exists, and so does the directory bound (a
	 * missing one keeps its bind, and its error; a --ro-bind-try of the
	 * directory binds it). */
	char real[PATH_MAX];
	return ccsb__realpath(src, real) && strcmp(real, src) == 0;
}
