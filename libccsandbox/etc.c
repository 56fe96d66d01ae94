/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sandbox's /etc: the host files programs need, nothing private.
 *
 * Every bind costs bwrap a mount, a remount, a walk of /proc/self/mountinfo
 * and ~15 system calls, and the kernel its teardown at exit: with ~35 of
 * them /etc took more of a start than the rest of the sandbox. A regular
 * file is copied instead (bwrap --file, from a descriptor ccsb opens), a
 * symlink into /usr stays a symlink, and only directories are bound. The
 * copies live in bwrap's root tmpfs, which ends read-only (--remount-ro /),
 * so the sandbox can no more write them than the binds; it sees the host's
 * files as they were when it started. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Anything not listed (shadow, ssh keys, sudoers, machine-id,
 * NetworkManager, ...) is simply absent. */
static const char *const etc_files[] = {
	/* Not all of /etc/ssl: its private/ holds keys. */
	"/etc/ssl/certs",
	"/etc/ssl/openssl.cnf",
	"/etc/ca-certificates",
	"/etc/ca-certificates.conf",
	"/etc/pki",
	"/etc/crypto-policies",
	"/etc/ld.so.cache",
	"/etc/ld.so.conf",
	"/etc/ld.so.conf.d",
	"/etc/nsswitch.conf",
	"/etc/localtime",
	"/etc/timezone",
	"/etc/alternatives",
	"/etc/host.conf",
	"/etc/networks",
	"/etc/terminfo",
	"/etc/profile",
	"/etc/profile.d",
	"/etc/bash.bashrc",
	"/etc/bashrc",
	"/etc/inputrc",
	"/etc/shells",
	"/etc/mime.types",
	"/etc/mailcap",
	"/etc/protocols",
	"/etc/services",
	"/etc/rpc",
	"/etc/gitconfig",
	"/etc/os-release",
	"/etc/lsb-release",
	"/etc/debian_version",
	"/etc/locale.alias",
	"/etc/locale.conf",
	"/etc/default/locale",
	"/etc/perl",
	"/etc/python3",
	"/etc/vim",
	"/etc/gai.conf",
	"/etc/magic",
	"/etc/manpath.config",
	/* Claude Code's managed (enterprise) settings: the organisation's policy
	 * applies inside too, and the sandbox cannot change it. */
	"/etc/claude-code",
};

/* The mode a copy gets: the host's, without set-id or sticky bits. */
static unsigned copy_perms(const struct stat *st)
{
	return (unsigned)st->st_mode & 0777;
}

static int add_entry(ccsb_sandbox *sb, const char *path, ccsb_error **err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	/* One the caller cannot read is left out: a copy would be empty. */
	if (S_ISREG(st.st_mode))
		return access(path, R_OK) == 0
			       ? ccsb__add_file_copy(sb, path, path, copy_perms(&st), err)
			       : 0;
	if (S_ISLNK(st.st_mode)) {
		/* /etc/localtime, /etc/os-release: /usr is there at the same
		 * path, so the link resolves inside as it does here (and tools
		 * that read the zone's name from the link still can). */
		char real[PATH_MAX];
		if (!realpath(path, real) || stat(real, &st) < 0)
			return 0;
		if (ccsb__path_under(real, "/usr", 4) &&
		    (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			return ccsb_sandbox_add_symlink(sb, real, path, err);
		if (S_ISREG(st.st_mode))
			return access(real, R_OK) == 0
				       ? ccsb__add_file_copy(sb, path, path, copy_perms(&st), err)
				       : 0;
	}
	/* Directories (and anything else): bound, as the host has them. */
	return ccsb_sandbox_add_bind(sb, path, NULL, CCSB_BIND_RO | CCSB_BIND_TRY, err);
}

int ccsb__add_etc(ccsb_sandbox *sb, ccsb_error **err)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < sizeof(etc_files) / sizeof(*etc_files); i++)
		r = add_entry(sb, etc_files[i], err);
	return r;
}

int ccsb__file_fd(const struct ccsb_mount *m, ccsb_error **err)
{
	if (!m->src)
		return ccsb__memfd_data("ccsb-data", m->data, m->len, m->dest, err);
	/* Non-blocking: a FIFO put there since would hold the start. */
	int fd = open(m->src, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return fd;
	if (fd >= 0)
		close(fd);
	return ccsb__memfd_data("ccsb-data", "", 0, m->dest, err);
}
