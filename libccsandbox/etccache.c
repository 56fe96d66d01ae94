/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sandbox's /etc as one read-only bind of a directory prepared once.
 *
 * etc.c describes /etc as ~45 copies, directories, symlinks and two binds;
 * bwrap makes each of them at every start (~30 us a copy, ~0.2 ms a bind)
 * and ccsb opens every source. For a run (not for --print, which shows the
 * copies) the entries are instead written once into a directory of the
 * user's, named by a hash of what it holds: each source's identity (device,
 * inode, size, mtime, ctime, mode), each generated file's bytes, each
 * symlink's text, each directory's mode. A run stats the sources, finds
 * the directory and binds it read-only at /etc: a change on the host gives
 * another hash, hence a new directory at the next start.
 *
 * The cache root ($XDG_RUNTIME_DIR/ccsb/etc, else ~/.cache/ccsb/etc) is the
 * user's, 0700, and checked (owner, mode, not a symlink) before use. A tree
 * is built in a temporary directory and renamed into place, so a bound one
 * is always complete; concurrent builders race on the rename and the loser
 * uses the winner's. Beside each tree HASH is HASH.lock, held shared
 * (flock) by every ccsb whose sandbox binds HASH, for the sandbox's life:
 * the cleaner removes only trees whose lock it can take exclusively, so a
 * running sandbox keeps its /etc. A lock file the cleaner unlinked while we
 * waited for it is noticed (fstat and stat differ) and made again.
 *
 * Whenever anything does not fit (an embedder's mount inside /etc this
 * cannot reproduce, no usable cache directory, an unreadable source), the
 * run keeps etc.c's entries: the same sandbox, a slower start.
 * ccsb_sandbox_set_etc_cache() turns the cache off, or asks for the reason
 * in the exit report (the tool's CCSB_ETC_CACHE=0 and CCSB_DEBUG: the
 * library reads no CCSB_* variable itself). */
#include "internal.h"
#include "sshagent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A tree unused for this long may be removed (once no sandbox holds it):
 * two policies used in turn (--net=none, then the default) keep theirs. */
#define ETC_CACHE_GRACE_S 300
/* Directory depth copied from a bound directory (ssl/certs/java/...). */
#define COPY_DEPTH 8

struct ccsb_etc_cache {
	struct ccsb_mount *orig; /* the policy's mounts, given back at the end */
	size_t norig, caporig;
	size_t *from; /* for each mount of the run: its index in orig, or SIZE_MAX */
	int lock_fd;
};

/* Why the cache was not used: in the exit report when asked for. */
static void note(ccsb_sandbox *sb, const char *fmt, ...) CCSB_PRINTF(2, 3);
static void note(ccsb_sandbox *sb, const char *fmt, ...)
{
	if (!(sb->etc_cache_flags & CCSB_ETC_CACHE_EXPLAIN))
		return;
	char msg[PATH_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ccsb__report(sb, "etc cache: %s; /etc made entry by entry", msg);
}

static bool under_etc(const char *dest)
{
	return ccsb__path_under(dest, "/etc", 4) && strcmp(dest, "/etc") != 0;
}

/* Whether the entry is written into the prepared tree. */
static bool collapsible(const struct ccsb_mount *m)
{
	if (!under_etc(m->dest))
		return false;
	switch (m->kind) {
	case CCSB_M_FILE:
	case CCSB_M_DIR:
	case CCSB_M_SYMLINK:
		return true;
	case CCSB_M_BIND:
		return (m->flags & CCSB_MOUNT_ETC) && !(m->flags & (CCSB_BIND_RW | CCSB_BIND_DEV));
	default:
		return false;
	}
}

/* ---- the cache root --------------------------------------------------- */

/* `path`: a directory of ours, not a symlink, that others cannot write
 * (nor enter, with `private_`). */
static bool dir_ok(const char *path, bool private_, const char **why)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return *why = "cannot stat it", false;
	if (!S_ISDIR(st.st_mode))
		return *why = "not a directory (or a symlink)", false;
	if (st.st_uid != getuid())
		return *why = "not owned by you", false;
	if (st.st_mode & (private_ ? 077 : 022))
		return *why = private_ ? "others may enter it" : "others may write it", false;
	return true;
}

static bool make_dir(const char *path, const char **why)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return *why = "cannot create it", false;
	return dir_ok(path, true, why);
}

/* $XDG_RUNTIME_DIR/ccsb/etc when the runtime directory is ours (a tmpfs
 * only we can enter), else $XDG_CACHE_HOME or ~/.cache, /ccsb/etc. */
static bool cache_root(char *out, size_t len, char *bad, size_t badlen)
{
	const char *why = NULL;
	const char *x = getenv("XDG_RUNTIME_DIR");
	char base[PATH_MAX];
	if (x && x[0] == '/' && dir_ok(x, true, &why)) {
		snprintf(base, sizeof(base), "%s", x);
	} else {
		const char *c = getenv("XDG_CACHE_HOME");
		const char *home = ccsb__host_home();
		int n = c && c[0] == '/' ? snprintf(base, sizeof(base), "%s", c)
			: home		 ? snprintf(base, sizeof(base), "%s/.cache", home)
					 : -1;
		if (n < 0 || (size_t)n >= sizeof(base)) {
			snprintf(bad, badlen, "no runtime directory and no home");
			return false;
		}
		if (mkdir(base, 0700) < 0 && errno != EEXIST) {
			snprintf(bad, badlen, "%s: cannot create it", base);
			return false;
		}
		if (!dir_ok(base, false, &why)) {
			snprintf(bad, badlen, "%s: %s", base, why);
			return false;
		}
	}
	char ccsb[PATH_MAX];
	if (snprintf(ccsb, sizeof(ccsb), "%s/ccsb", base) >= (int)sizeof(ccsb) ||
	    snprintf(out, len, "%s/etc", ccsb) >= (int)len) {
		snprintf(bad, badlen, "%s: name too long", base);
		return false;
	}
	if (!make_dir(ccsb, &why)) {
		snprintf(bad, badlen, "%s: %s", ccsb, why);
		return false;
	}
	if (!make_dir(out, &why)) {
		snprintf(bad, badlen, "%s: %s", out, why);
		return false;
	}
	return true;
}

/* What a mount kept after the tree's bind (an embedder's bind inside
 * /etc, the ssh_config of --ssh-agent) needs in the tree as its mount
 * point: nothing (a -try bind of a missing source), a directory or a file.
 * bwrap cannot make it in the read-only tree: the tree has it, and the
 * answer is part of the hash. */
static int point_kind(const struct ccsb_mount *m)
{
	struct stat st;
	if (m->kind != CCSB_M_BIND)
		return 'd';
	if (!m->src || stat(m->src, &st) < 0)
		return 0;
	return S_ISDIR(st.st_mode) ? 'd' : 'f';
}

/* ---- the hash of what a tree holds ------------------------------------ */

struct hbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void hput(struct hbuf *h, const void *d, size_t len)
{
	if (h->oom)
		return;
	if (h->n + len > h->cap) {
		size_t cap = h->cap ? h->cap : 4096;
		while (cap < h->n + len)
			cap *= 2;
		char *p = realloc(h->p, cap);
		if (!p) {
			h->oom = true;
			return;
		}
		h->p = p;
		h->cap = cap;
	}
	memcpy(h->p + h->n, d, len);
	h->n += len;
}

static void hstr(struct hbuf *h, const char *s)
{
	hput(h, s, strlen(s) + 1);
}

static void hu64(struct hbuf *h, uint64_t v)
{
	hput(h, &v, sizeof(v));
}

/* What changes when the file does: a write changes size, mtime and ctime,
 * a chmod or chown the ctime, a replacement the inode. */
static void hstat(struct hbuf *h, const struct stat *st)
{
	hu64(h, st->st_dev);
	hu64(h, st->st_ino);
	hu64(h, st->st_mode);
	hu64(h, st->st_uid);
	hu64(h, st->st_gid);
	hu64(h, (uint64_t)st->st_size);
	hu64(h, (uint64_t)st->st_mtim.tv_sec);
	hu64(h, (uint64_t)st->st_mtim.tv_nsec);
	hu64(h, (uint64_t)st->st_ctim.tv_sec);
	hu64(h, (uint64_t)st->st_ctim.tv_nsec);
}

/* A bound directory: its own identity (its mtime and ctime change with any
 * entry added, removed or renamed, which covers every symlink: a link's
 * text cannot change in place), then each regular file and subdirectory by
 * name. false: something a copy cannot reproduce. What it looked at goes
 * to `man`, in order, for replay_tree(): "F REL" for a file, "D DEV INO
 * MTIME CTIME REL" for a directory. */
static bool hash_tree(struct hbuf *h, int dfd, const char *rel, struct hbuf *man, int depth)
{
	struct stat st;
	if (fstat(dfd, &st) < 0) {
		close(dfd);
		return false;
	}
	hstat(h, &st);
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return false;
	}
	bool ok = true;
	struct dirent *e;
	while (ok && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    e->d_type == DT_LNK)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ok = false;
			break;
		}
		if (S_ISLNK(st.st_mode))
			continue;
		char p[PATH_MAX], line[PATH_MAX + 128];
		if (snprintf(p, sizeof(p), "%s%s%s", rel, *rel ? "/" : "", e->d_name) >=
		    (int)sizeof(p)) {
			ok = false;
			break;
		}
		if (strchr(p, '\n'))
			man->oom = true; /* no manifest: walked at every start */
		/* A directory's identity is hashed by the call below, as
		 * replay_tree() hashes it: the same key either way. */
		hstr(h, e->d_name);
		if (S_ISREG(st.st_mode)) {
			hstat(h, &st);
			snprintf(line, sizeof(line), "F %s\n", p);
			hput(man, line, strlen(line));
		} else if (S_ISDIR(st.st_mode) && depth < COPY_DEPTH) {
			snprintf(line, sizeof(line), "D %llu %llu %lld.%ld %lld.%ld %s\n",
				 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
				 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
				 (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec, p);
			hput(man, line, strlen(line));
			int sub = openat(dirfd(d), e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			ok = sub >= 0 && hash_tree(h, sub, p, man, depth + 1);
		} else {
			ok = false;
		}
	}
	closedir(d);
	return ok;
}

/* hash_tree()'s input again from its manifest, without reading the
 * directories (ext4 makes a big one's readdir costly): each entry looked
 * up by name. false: the manifest no longer describes the directory (a
 * subdirectory's names changed, an entry is gone or of another type). */
static bool replay_tree(struct hbuf *h, int top, const struct stat *topst, char *man)
{
	hstat(h, topst);
	for (char *l = man, *nl; *l; l = nl + 1) {
		struct stat st;
		unsigned long long dev, ino;
		long long ms, cs;
		long mns, cns;
		int off = 0;
		if (!(nl = strchr(l, '\n')))
			return false;
		*nl = '\0';
		bool dir = l[0] == 'D';
		if (dir ? sscanf(l, "D %llu %llu %lld.%ld %lld.%ld %n", &dev, &ino, &ms, &mns, &cs,
				 &cns, &off) != 6 ||
				    off == 0
			: strncmp(l, "F ", 2) != 0)
			return false;
		const char *rel = dir ? l + off : l + 2;
		if (fstatat(top, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return false;
		if (dir ? !S_ISDIR(st.st_mode) || st.st_dev != dev || st.st_ino != ino ||
				    st.st_mtim.tv_sec != ms || st.st_mtim.tv_nsec != mns ||
				    st.st_ctim.tv_sec != cs || st.st_ctim.tv_nsec != cns
			: !S_ISREG(st.st_mode))
			return false;
		const char *name = strrchr(rel, '/');
		hstr(h, name ? name + 1 : rel);
		hstat(h, &st);
	}
	return true;
}

/* The manifest of directory `src` as it is now (its identity in the
 * name), NUL-terminated, or NULL. */
static char *manifest_read(int rootfd, const char *mname)
{
	int fd = openat(rootfd, mname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *p = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == getuid() &&
	    st.st_size < (1 << 20) && (p = malloc((size_t)st.st_size + 1))) {
		ssize_t n = read(fd, p, (size_t)st.st_size);
		if (n == st.st_size) {
			p[n] = '\0';
		} else {
			free(p);
			p = NULL;
		}
	}
	close(fd);
	return p;
}

static void manifest_write(int rootfd, const char *mname, const struct hbuf *man)
{
	static unsigned counter;
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".tmp-m%ld-%u", (long)getpid(), counter++);
	int fd = openat(rootfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	bool ok = ccsb__write_all(fd, man->p ? man->p : "", man->n) == 0;
	close(fd);
	if (!ok || renameat(rootfd, tmp, rootfd, mname) < 0)
		(void)unlinkat(rootfd, tmp, 0);
}

/* A bound directory's part of the key: from its manifest when the
 * directory is as it was, else walked (and the manifest written). */
static bool hash_bound(struct hbuf *h, int rootfd, const char *src, int fd)
{
	struct stat st;
	struct hbuf id = { 0 }, man = { 0 };
	uint8_t d[32];
	char mname[40];
	if (fstat(fd, &st) < 0) {
		close(fd);
		return false;
	}
	hstr(&id, src);
	hstat(&id, &st);
	if (id.oom) {
		close(fd);
		return false;
	}
	ccsb__sha256(id.p, id.n, d);
	free(id.p);
	memcpy(mname, "m-", 2);
	for (int i = 0; i < 15; i++)
		snprintf(mname + 2 + 2 * i, 3, "%02x", d[i]);
	char *text = manifest_read(rootfd, mname);
	size_t mark = h->n;
	if (text && replay_tree(h, fd, &st, text)) {
		free(text);
		close(fd);
		return true;
	}
	free(text);
	h->n = mark;
	bool ok = hash_tree(h, fd, "", &man, 1);
	if (ok && !man.oom)
		manifest_write(rootfd, mname, &man);
	free(man.p);
	return ok;
}

/* The key of the tree the collapsible mounts make, as 32 hex digits.
 * false: a source this cannot copy. */
static bool tree_key(const ccsb_sandbox *sb, int rootfd, char key[33], char *bad, size_t badlen)
{
	struct hbuf h = { 0 };
	bool ok = true;
	hstr(&h, "ccsb-etc-cache-1");
	hu64(&h, getuid());
	for (size_t i = 0; ok && i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		struct stat st;
		if (under_etc(m->dest) && !collapsible(m)) {
			hstr(&h, "point");
			hstr(&h, m->dest);
			hu64(&h, (uint64_t)point_kind(m));
			continue;
		}
		if (!collapsible(m))
			continue;
		hu64(&h, m->kind);
		hu64(&h, m->perms);
		hstr(&h, m->dest);
		switch (m->kind) {
		case CCSB_M_FILE:
			if (!m->src) {
				hu64(&h, m->len);
				hput(&h, m->data, m->len);
			} else if (stat(m->src, &st) == 0 && S_ISREG(st.st_mode)) {
				hstr(&h, m->src);
				hstat(&h, &st);
			} else {
				/* Absent or not a file: an empty copy, as
				 * ccsb__file_fd() gives. */
				hstr(&h, "");
			}
			break;
		case CCSB_M_SYMLINK:
			hstr(&h, m->src);
			break;
		case CCSB_M_BIND: {
			hstr(&h, m->src);
			int fd = open(m->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0 && errno == ENOENT && (m->flags & CCSB_BIND_TRY)) {
				hstr(&h, "absent");
			} else if (fd < 0 || !hash_bound(&h, rootfd, m->src, fd)) {
				snprintf(bad, badlen, "%s cannot be copied", m->src);
				ok = false;
			}
			break;
		}
		default:
			break;
		}
	}
	if (ok && h.oom)
		snprintf(bad, badlen, "out of memory");
	ok = ok && !h.oom;
	if (ok) {
		uint8_t d[32];
		ccsb__sha256(h.p, h.n, d);
		for (int i = 0; i < 16; i++)
			snprintf(key + 2 * i, 3, "%02x", d[i]);
	}
	free(h.p);
	return ok;
}

/* ---- building a tree --------------------------------------------------- */

/* Directories whose mode is set once the tree is filled (one without
 * write permission could not be filled). */
struct dmodes {
	char **path;
	mode_t *mode;
	size_t n, cap;
};

static bool dmode_add(struct dmodes *dm, const char *rel, mode_t mode)
{
	for (size_t i = 0; i < dm->n; i++)
		if (strcmp(dm->path[i], rel) == 0)
			return dm->mode[i] = mode, true;
	if (dm->n == dm->cap) {
		size_t cap = dm->cap ? 2 * dm->cap : 32;
		char **p = reallocarray(dm->path, cap, sizeof(*p));
		if (!p)
			return false;
		dm->path = p;
		mode_t *m = reallocarray(dm->mode, cap, sizeof(*m));
		if (!m)
			return false;
		dm->mode = m;
		dm->cap = cap;
	}
	if (!(dm->path[dm->n] = strdup(rel)))
		return false;
	dm->mode[dm->n++] = mode;
	return true;
}

static void dmodes_free(struct dmodes *dm)
{
	for (size_t i = 0; i < dm->n; i++)
		free(dm->path[i]);
	free(dm->path);
	free(dm->mode);
}

/* Make the directories leading to `rel` in the tree (0755, as bwrap makes
 * a mount point's parents); each must be a real directory: a symlink made
 * by an earlier entry must not lead a write out of the tree. */
static bool make_parents(int tfd, const char *rel)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", rel);
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		struct stat st;
		if (mkdirat(tfd, p, 0755) < 0 && errno != EEXIST)
			return false;
		if (fstatat(tfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			return false;
		*s = '/';
	}
	return true;
}

/* A later entry at the same path replaces an earlier file or link. */
static bool clear_path(int tfd, const char *rel)
{
	struct stat st;
	if (fstatat(tfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT;
	return !S_ISDIR(st.st_mode) && unlinkat(tfd, rel, 0) == 0;
}

/* A new file at `rel` with `mode`, holding `data` or what `src` reads. */
static bool put_file(int tfd, const char *rel, mode_t mode, const char *data, size_t len, int src)
{
	if (!make_parents(tfd, rel) || !clear_path(tfd, rel))
		return false;
	int fd = openat(tfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	bool ok = true;
	if (src < 0) {
		ok = ccsb__write_all(fd, data, len) == 0;
	} else {
		char buf[65536];
		for (;;) {
			ssize_t k = read(src, buf, sizeof(buf));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				ok = k == 0;
				break;
			}
			if (!(ok = ccsb__write_all(fd, buf, (size_t)k) == 0))
				break;
		}
	}
	ok = ok && fchmod(fd, mode & 0777) == 0;
	close(fd);
	return ok;
}

/* Copy host directory `sfd` (taken) to `rel`: directories, regular files
 * (their mode without set-id bits) and symlinks (their text). */
static bool copy_tree(int tfd, const char *rel, int sfd, struct dmodes *dm, int depth)
{
	struct stat st;
	if (fstat(sfd, &st) < 0) {
		close(sfd);
		return false;
	}
	if ((mkdirat(tfd, rel, 0700) < 0 && errno != EEXIST) ||
	    !dmode_add(dm, rel, st.st_mode & 0777)) {
		close(sfd);
		return false;
	}
	DIR *d = fdopendir(sfd);
	if (!d) {
		close(sfd);
		return false;
	}
	bool ok = true;
	struct dirent *e;
	while (ok && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char p[PATH_MAX];
		if (snprintf(p, sizeof(p), "%s/%s", rel, e->d_name) >= (int)sizeof(p) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ok = false;
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			char t[PATH_MAX];
			ssize_t k = readlinkat(dirfd(d), e->d_name, t, sizeof(t) - 1);
			ok = k > 0 && (t[k] = '\0', symlinkat(t, tfd, p) == 0);
		} else if (S_ISREG(st.st_mode)) {
			int fd = openat(dirfd(d), e->d_name,
					O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
			ok = fd >= 0 && put_file(tfd, p, st.st_mode, NULL, 0, fd);
			if (fd >= 0)
				close(fd);
		} else if (S_ISDIR(st.st_mode) && depth < COPY_DEPTH) {
			int sub = openat(dirfd(d), e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			ok = sub >= 0 && copy_tree(tfd, p, sub, dm, depth + 1);
		} else {
			ok = false;
		}
	}
	closedir(d);
	return ok;
}

static bool put_entry(int tfd, const struct ccsb_mount *m, struct dmodes *dm)
{
	const char *rel = m->dest + 5; /* below "/etc/" */
	switch (m->kind) {
	case CCSB_M_DIR:
		if (!make_parents(tfd, rel) || (mkdirat(tfd, rel, 0700) < 0 && errno != EEXIST))
			return false;
		return dmode_add(dm, rel, m->perms ? m->perms & 0777 : 0755);
	case CCSB_M_SYMLINK:
		return make_parents(tfd, rel) && clear_path(tfd, rel) &&
		       symlinkat(m->src, tfd, rel) == 0;
	case CCSB_M_FILE: {
		mode_t mode = m->perms ? m->perms : 0600;
		if (!m->src)
			return put_file(tfd, rel, mode, m->data, m->len, -1);
		int fd = ccsb__file_fd(m, NULL);
		bool ok = fd >= 0 && put_file(tfd, rel, mode, NULL, 0, fd);
		if (fd >= 0)
			close(fd);
		return ok;
	}
	case CCSB_M_BIND: {
		int fd = open(m->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT && (m->flags & CCSB_BIND_TRY);
		return make_parents(tfd, rel) && copy_tree(tfd, rel, fd, dm, 1);
	}
	default:
		return false;
	}
}

/* Remove `name` in `dfd` and all below it (directories made writable
 * first: a copied one may have no write permission). */
static void remove_tree(int dfd, const char *name)
{
	if (unlinkat(dfd, name, 0) == 0 || (errno != EISDIR && errno != EPERM))
		return;
	(void)fchmodat(dfd, name, 0700, AT_SYMLINK_NOFOLLOW);
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			remove_tree(dirfd(d), e->d_name);
	closedir(d);
	(void)unlinkat(dfd, name, AT_REMOVEDIR);
}

static bool make_point(int tfd, const struct ccsb_mount *m)
{
	const char *rel = m->dest + 5;
	int k = point_kind(m);
	struct stat st;
	if (k == 0)
		return true;
	if (!make_parents(tfd, rel))
		return false;
	if (fstatat(tfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return k == 'd' ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
	if (k == 'd')
		return mkdirat(tfd, rel, 0755) == 0;
	int fd = openat(tfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Build the tree in a temporary directory and rename it to `root`/`key`. */
static bool build_tree(const ccsb_sandbox *sb, int rootfd, const char *root, const char *key,
		       char *bad, size_t badlen)
{
	char tmp[PATH_MAX + 16];
	snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", root);
	if (!mkdtemp(tmp)) {
		snprintf(bad, badlen, "%s: cannot make a directory there", root);
		return false;
	}
	const char *tname = strrchr(tmp, '/') + 1;
	int tfd = openat(rootfd, tname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dmodes dm = { 0 };
	bool ok = tfd >= 0;
	for (size_t i = 0; ok && i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (collapsible(m) && !put_entry(tfd, m, &dm)) {
			snprintf(bad, badlen, "cannot copy %s", m->dest);
			ok = false;
		}
	}
	for (size_t i = 0; ok && i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (under_etc(m->dest) && !collapsible(m) && !make_point(tfd, m)) {
			snprintf(bad, badlen, "no mount point for %s in the copy", m->dest);
			ok = false;
		}
	}
	/* Deepest first would not matter: the names only, no lookup below. */
	for (size_t i = dm.n; ok && i-- > 0;)
		ok = fchmodat(tfd, dm.path[i], dm.mode[i], 0) == 0;
	/* The tree is /etc: as bwrap would make it. */
	ok = ok && fchmod(tfd, 0755) == 0;
	dmodes_free(&dm);
	if (!ok && !*bad)
		snprintf(bad, badlen, "cannot finish the copy");
	/* On a disk, the files' data before the name that makes them used. */
	if (ok && syncfs(tfd) < 0) {
		snprintf(bad, badlen, "syncfs: %s", strerror(errno));
		ok = false;
	}
	if (tfd >= 0)
		close(tfd);
	if (ok && renameat(rootfd, tname, rootfd, key) < 0) {
		/* Another run made the same tree first: use that one. */
		if (errno != EEXIST && errno != ENOTEMPTY) {
			snprintf(bad, badlen, "rename into %s: %s", root, strerror(errno));
			ok = false;
		}
		remove_tree(rootfd, tname);
	} else if (!ok) {
		remove_tree(rootfd, tname);
	}
	return ok;
}

/* ---- locks and cleaning ------------------------------------------------- */

/* Open `name` in `rootfd` and flock() it; 1: locked, and still the file
 * of that name (not one a cleaner unlinked meanwhile), 0: busy (with
 * LOCK_NB), -1: error. */
static int lock_at(int rootfd, const char *name, int op, bool create, int *out, struct stat *st)
{
	/* A run never waits for a lock without end: the cleaner holds one
	 * exclusively for a few milliseconds, and anything holding it longer
	 * (a process of the user's) only sends that run the slow way. */
	for (int tries = 0; tries < 100; tries++) {
		int fd = openat(rootfd, name,
				O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | (create ? O_CREAT : 0),
				0600);
		if (fd < 0)
			return -1;
		struct stat b;
		if (flock(fd, op | LOCK_NB) < 0) {
			int e = errno;
			close(fd);
			if (e != EWOULDBLOCK)
				return -1;
			if (!create)
				return 0;
			usleep(2000);
			continue;
		}
		if (fstat(fd, st) == 0 && fstatat(rootfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st->st_dev == b.st_dev && st->st_ino == b.st_ino) {
			if (!S_ISREG(st->st_mode) || st->st_uid != getuid()) {
				close(fd);
				return -1;
			}
			*out = fd;
			return 1;
		}
		/* Unlinked by a cleaner meanwhile: this one protects nothing. */
		close(fd);
		if (!create)
			return 0;
	}
	return -1;
}

/* Remove the trees no sandbox holds and none used for ETC_CACHE_GRACE_S,
 * and temporary directories left by a build that died. */
static void clean(int rootfd, const char *keep)
{
	int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	time_t now = time(NULL);
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		size_t n = strlen(e->d_name);
		if (fstatat(rootfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		bool old = st.st_mtime + ETC_CACHE_GRACE_S < now;
		if (strncmp(e->d_name, ".tmp-", 5) == 0 || strncmp(e->d_name, ".del-", 5) == 0 ||
		    strncmp(e->d_name, "m-", 2) == 0) {
			if (old)
				remove_tree(rootfd, e->d_name);
			continue;
		}
		if (n != 32 + 5 || strcmp(e->d_name + 32, ".lock") != 0 ||
		    strncmp(e->d_name, keep, 32) == 0 || !old)
			continue;
		int lk;
		struct stat lst;
		if (lock_at(rootfd, e->d_name, LOCK_EX, false, &lk, &lst) != 1)
			continue;
		char tree[33], del[64];
		snprintf(tree, sizeof(tree), "%.32s", e->d_name);
		snprintf(del, sizeof(del), ".del-%.32s-%ld", e->d_name, (long)getpid());
		/* Out of sight at once, then removed; the lock file last, so
		 * that a run waiting for it finds it gone and starts over. */
		if (renameat(rootfd, tree, rootfd, del) == 0 || errno == ENOENT) {
			remove_tree(rootfd, del);
			(void)unlinkat(rootfd, e->d_name, 0);
		}
		close(lk);
	}
	closedir(d);
}

/* ---- the run's mounts ------------------------------------------------- */

/* Whether `path` is `dir` or below it. */
static bool inside(const char *path, const char *dir)
{
	size_t l = strlen(dir);
	while (l > 1 && dir[l - 1] == '/')
		l--;
	return strncmp(path, dir, l) == 0 && (path[l] == '/' || path[l] == '\0' || l == 1);
}

/* A bind that shows the cache would let a sandbox change the /etc of
 * later ones (read-write) or hold their locks (read-only: flock needs no
 * write access): each gets an empty read-only directory over the cache's
 * place inside it. A bind of a directory inside the cache is refused.
 * Count of covers needed, or -1 with `bad` set. */
static int covers(const ccsb_sandbox *sb, const char *real, char (*cov)[PATH_MAX], int max,
		  char *bad, size_t badlen)
{
	int n = 0;
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (m->kind != CCSB_M_BIND || !m->src)
			continue;
		if (inside(m->src, real)) {
			snprintf(bad, badlen,
				 "%s is shared with the sandbox and lies in the cache %s", m->src,
				 real);
			return -1;
		}
		if (!inside(real, m->src))
			continue;
		size_t l = strlen(m->src);
		while (l > 1 && m->src[l - 1] == '/')
			l--;
		if (n == max ||
		    snprintf(cov[n], PATH_MAX, "%s%s", strcmp(m->dest, "/") ? m->dest : "",
			     real + (l == 1 ? 0 : l)) >= PATH_MAX) {
			snprintf(bad, badlen, "too many binds show the cache %s", real);
			return -1;
		}
		n++;
	}
	return n;
}

#define MAX_COVERS 8

/* Replace the collapsible mounts with one bind of `tree` at /etc (where
 * the first /etc entry was), then the covers. */
static int swap_mounts(ccsb_sandbox *sb, struct ccsb_etc_cache *c, const char *tree,
		       char (*cov)[PATH_MAX], int ncov)
{
	size_t cap = sb->nmounts + 1 + (size_t)ncov, n = 0;
	struct ccsb_mount *v = calloc(cap, sizeof(*v));
	size_t *from = calloc(cap, sizeof(*from));
	char *src = strdup(tree), *dest = strdup("/etc");
	bool placed = false;
	if (!v || !from || !src || !dest)
		goto oom;
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (!placed && under_etc(m->dest)) {
			v[n] = (struct ccsb_mount){ .kind = CCSB_M_BIND,
						    .flags = CCSB_BIND_RO | CCSB_MOUNT_ETCCACHE,
						    .src = src,
						    .dest = dest };
			from[n++] = SIZE_MAX;
			src = dest = NULL;
			placed = true;
		}
		if (collapsible(m))
			continue;
		v[n] = *m;
		from[n++] = i;
	}
	for (int i = 0; i < ncov; i++) {
		char *d = strdup(cov[i]);
		if (!d)
			goto oom;
		v[n] = (struct ccsb_mount){ .kind = CCSB_M_TMPFS,
					    .flags = CCSB_MOUNT_RDONLY | CCSB_MOUNT_ETCCACHE,
					    .dest = d };
		from[n++] = SIZE_MAX;
	}
	c->orig = sb->mounts;
	c->norig = sb->nmounts;
	c->caporig = sb->capmounts;
	c->from = from;
	sb->mounts = v;
	sb->nmounts = n;
	sb->capmounts = n; /* nothing is added during a run: grow() would copy */
	return 0;
oom:
	for (size_t i = 0; v && i < n; i++)
		if (from && from[i] == SIZE_MAX) {
			free(v[i].src);
			free(v[i].dest);
		}
	free(v);
	free(from);
	free(src);
	free(dest);
	return -ENOMEM;
}

int ccsb__etc_cache_apply(ccsb_sandbox *sb, ccsb_error **err)
{
	char bad[PATH_MAX + 128] = "", root[PATH_MAX], real[PATH_MAX], key[33];
	size_t nc = 0;
	if (sb->etc_cache)
		return 0;
	for (size_t i = 0; i < sb->nmounts; i++)
		nc += collapsible(&sb->mounts[i]);
	if (nc == 0)
		return 0;
	if (sb->etc_cache_flags & CCSB_ETC_CACHE_OFF) {
		note(sb, "turned off (CCSB_ETC_CACHE=0)");
		return 0;
	}
	/* A mount at /etc itself, or one inside it that a later entry
	 * would have to be written into: not reproducible. */
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *k = &sb->mounts[i];
		if (strcmp(k->dest, "/etc") == 0 && k->kind != CCSB_M_DIR) {
			note(sb, "a mount at /etc itself");
			return 0;
		}
		if (!under_etc(k->dest) || collapsible(k))
			continue;
		for (size_t j = i + 1; j < sb->nmounts; j++)
			if (collapsible(&sb->mounts[j]) &&
			    ccsb__path_under(sb->mounts[j].dest, k->dest, strlen(k->dest))) {
				note(sb, "%s is made inside the mount at %s", sb->mounts[j].dest,
				     k->dest);
				return 0;
			}
	}
	if (!cache_root(root, sizeof(root), bad, sizeof(bad)) || !realpath(root, real)) {
		note(sb, "no cache directory (%s)", *bad ? bad : root);
		return 0;
	}
	char cov[MAX_COVERS][PATH_MAX];
	int ncov = covers(sb, real, cov, MAX_COVERS, bad, sizeof(bad));
	if (ncov < 0)
		return ccsb__err(err, EPERM,
				 "%s: share another directory, or move the cache (XDG_RUNTIME_DIR, "
				 "XDG_CACHE_HOME)",
				 bad);
	int rootfd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0) {
		note(sb, "%s: %s", real, strerror(errno));
		return 0;
	}
	if (!tree_key(sb, rootfd, key, bad, sizeof(bad))) {
		note(sb, "%s", bad);
		close(rootfd);
		return 0;
	}
	char lname[40], tree[PATH_MAX + 40];
	snprintf(lname, sizeof(lname), "%s.lock", key);
	snprintf(tree, sizeof(tree), "%s/%s", real, key);
	int lk = -1;
	struct stat lst;
	if (lock_at(rootfd, lname, LOCK_SH, true, &lk, &lst) != 1) {
		note(sb, "cannot lock %s/%s", real, lname);
		close(rootfd);
		return 0;
	}
	/* Held shared: no cleaner removes the tree from now on. */
	struct stat st;
	bool built = false;
	if (fstatat(rootfd, key, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
		if (!build_tree(sb, rootfd, real, key, bad, sizeof(bad))) {
			note(sb, "%s", bad);
			goto fallback;
		}
		built = true;
		if (fstatat(rootfd, key, &st, AT_SYMLINK_NOFOLLOW) < 0)
			st.st_mode = 0;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 022)) {
		note(sb, "%s is not a directory of yours that only you can write", tree);
		goto fallback;
	}
	/* Its last use, which the cleaner reads. */
	/* Its last use, which the cleaner reads (to the minute: no write to
	 * the disk at every start). The first start after a pause also
	 * cleans, so that trees a host change left behind do not wait for
	 * the next change. */
	time_t now = time(NULL);
	if (lst.st_mtime + 60 < now)
		(void)futimens(lk, NULL);
	if (built || lst.st_mtime + ETC_CACHE_GRACE_S < now)
		clean(rootfd, key);
	close(rootfd);
	struct ccsb_etc_cache *c = calloc(1, sizeof(*c));
	if (!c || swap_mounts(sb, c, tree, cov, ncov) < 0) {
		free(c);
		close(lk);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	c->lock_fd = lk;
	sb->etc_cache = c;
	return 0;
fallback:
	close(lk);
	close(rootfd);
	return 0;
}

static void restore(ccsb_sandbox *sb)
{
	struct ccsb_etc_cache *c = sb->etc_cache;
	if (!c || !c->orig)
		return;
	/* The policy's own entries as the run left them (the broker
	 * rewrites its sources in place). */
	for (size_t i = 0; i < sb->nmounts; i++) {
		if (c->from[i] != SIZE_MAX) {
			c->orig[c->from[i]] = sb->mounts[i];
		} else {
			free(sb->mounts[i].src);
			free(sb->mounts[i].dest);
		}
	}
	free(sb->mounts);
	free(c->from);
	sb->mounts = c->orig;
	sb->nmounts = c->norig;
	sb->capmounts = c->caporig;
	c->orig = NULL;
	c->from = NULL;
}

void ccsb__etc_cache_release(ccsb_sandbox *sb)
{
	struct ccsb_etc_cache *c = sb->etc_cache;
	if (!c)
		return;
	restore(sb);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	free(c);
	sb->etc_cache = NULL;
}
