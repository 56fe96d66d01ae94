/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sandbox's /etc: the host files programs need, nothing private.
 *
 * Every bind costs bwrap a mount, a remount, a walk of /proc/self/mountinfo
 * and ~15 system calls, and the kernel its teardown at exit: with ~35 of
 * them /etc took more of a start than the rest of the sandbox. A regular
 * file is copied instead (bwrap --file, from a descriptor ccsb opens), a
 * symlink into /usr stays a symlink, a small directory is rebuilt from its
 * entries, and only big directories are bound. The
 * copies live in bwrap's root tmpfs, which ends read-only (--remount-ro /),
 * so the sandbox can no more write them than the binds; it sees the host's
 * files as they were when it started. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
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
static unsigned copy_perms_mode(mode_t mode)
{
	return (unsigned)mode & 0777;
}

/* Whether the caller can read a file of this mode: one that every class
 * of user may read (nearly all of /etc) without asking the kernel again. */
static bool readable(const char *path, mode_t mode)
{
	return (mode & 0444) == 0444 || access(path, R_OK) == 0;
}

static unsigned copy_perms(const struct stat *st)
{
	return copy_perms_mode(st->st_mode);
}

/* A small directory (ld.so.conf.d, profile.d, perl, vim...) is rebuilt
 * from its entries rather than bound: a directory, a copy or a symlink
 * (its text as on the host) each cost bwrap far less than a bind. Big ones
 * (ssl/certs, alternatives: hundreds of links) and any holding something
 * else are bound. */
#define SMALL_DIR_ENTRIES 32
#define SMALL_DIR_DEPTH 3

struct small_entry {
	char *path;
	mode_t mode;
	char *link; /* the symlink's text */
};

struct small_dir {
	struct small_entry v[SMALL_DIR_ENTRIES];
	size_t n;
};

static void small_free(struct small_dir *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].link);
	}
	d->n = 0;
}

/* Collect `dir`'s tree: its entries, then each subdirectory's in turn
 * (parents before children); false when it is not small or holds anything
 * but directories, files and symlinks. */
static bool small_walk(struct small_dir *d, const char *dir, int depth)
{
	DIR *dh = opendir(dir);
	if (!dh)
		return false;
	/* The names first: a big directory is given up after one
	 * getdents64(), before any entry is looked at. */
	size_t first = d->n;
	bool ok = true;
	struct dirent *e;
	while (ok && (e = readdir(dh))) {
		char p[PATH_MAX];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		ok = d->n < SMALL_DIR_ENTRIES &&
		     snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) < (int)sizeof(p) &&
		     (d->v[d->n].path = strdup(p)) != NULL;
		if (ok)
			d->v[d->n++].link = NULL;
	}
	size_t last = d->n; /* a subdirectory's entries go after these */
	for (size_t i = first; ok && i < last; i++) {
		struct small_entry *s = &d->v[i];
		const char *name = strrchr(s->path, '/') + 1;
		struct stat st;
		if (fstatat(dirfd(dh), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ok = false;
			break;
		}
		s->mode = st.st_mode;
		if (S_ISLNK(st.st_mode)) {
			char t[PATH_MAX];
			ssize_t k = readlinkat(dirfd(dh), name, t, sizeof(t) - 1);
			ok = k > 0 && (t[k] = '\0', (s->link = strdup(t)) != NULL);
		} else if (S_ISDIR(st.st_mode)) {
			/* Its entries after this level's: parents first. */
			ok = depth < SMALL_DIR_DEPTH && small_walk(d, s->path, depth + 1);
		} else {
			ok = S_ISREG(st.st_mode);
		}
	}
	closedir(dh);
	return ok;
}

static int add_dir(ccsb_sandbox *sb, const char *path, mode_t mode, ccsb_error **err)
{
	int r = ccsb_sandbox_add_dir(sb, path, err);
	if (r == 0)
		sb->mounts[sb->nmounts - 1].perms = (unsigned)mode & 0777;
	return r;
}

/* 1: rebuilt, 0: not small (bind it), negative errno. */
static int add_small_dir(ccsb_sandbox *sb, const char *path, mode_t mode, ccsb_error **err)
{
	struct small_dir *d = calloc(1, sizeof(*d));
	if (!d)
		return ccsb__err(err, ENOMEM, "out of memory");
	int r = 0;
	if (small_walk(d, path, 1)) {
		r = add_dir(sb, path, mode, err);
		for (size_t i = 0; r == 0 && i < d->n; i++) {
			const struct small_entry *s = &d->v[i];
			if (S_ISDIR(s->mode))
				r = add_dir(sb, s->path, s->mode, err);
			else if (S_ISLNK(s->mode))
				r = ccsb_sandbox_add_symlink(sb, s->link, s->path, err);
			/* One the caller cannot read is left out, as at the top. */
			else if (readable(s->path, s->mode))
				r = ccsb__add_file_copy(sb, s->path, s->path,
							copy_perms_mode(s->mode), err);
		}
		if (r == 0)
			r = 1;
	}
	small_free(d);
	free(d);
	return r;
}

static int add_entry(ccsb_sandbox *sb, const char *path, ccsb_error **err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	/* One the caller cannot read is left out: a copy would be empty. */
	if (S_ISREG(st.st_mode))
		return readable(path, st.st_mode)
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
			return readable(real, st.st_mode)
				       ? ccsb__add_file_copy(sb, path, path, copy_perms(&st), err)
				       : 0;
	}
	if (S_ISDIR(st.st_mode)) {
		int r = add_small_dir(sb, path, st.st_mode, err);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	/* Other directories (and anything else): bound, as the host has
	 * them. */
	int r = ccsb_sandbox_add_bind(sb, path, NULL, CCSB_BIND_RO | CCSB_BIND_TRY, err);
	/* For a run, copied into the prepared /etc (etccache.c). */
	if (r == 0)
		sb->mounts[sb->nmounts - 1].flags |= CCSB_MOUNT_ETC;
	return r;
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
