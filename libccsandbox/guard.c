/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The persistence guard, writable-bind side: nothing the sandbox writes in
 * the project (or any read-write bind) may make a host program run code
 * later. Two halves:
 *  - at start, the metadata of the git repositories that exist, and Claude
 *    Code's and other tools' project files, are bound read-only over the
 *    writable bind (the plan, visible in --print);
 *  - at the end, a scan finds what was created or changed during the run
 *    (new repositories, nested ones, bare ones) by ctime, which the sandbox
 *    cannot set, and renames it aside ("quarantine"), reporting each item.
 * The home side (~/.claude, ~/.claude.json, caches) is handled elsewhere. */
#include "internal.h"
#include "gitconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The end-of-run scan's hard bound: entries read and wall time. Past it the
 * scan stops and says what was not checked (see report_stopped()). */
#define GUARD_MAX_ENTRIES 4000000u
#define GUARD_MAX_SECONDS 20
/* Pointer chains (.git file -> gitdir -> commondir) and modules/ nesting. */
#define GUARD_MAX_DEPTH 16
/* renameat2()'s flag (linux/fs.h) */
#define CCSB_RENAME_NOREPLACE 1

/* ---- paths ---------------------------------------------------------- */

bool ccsb__path_under(const char *path, const char *dir, size_t n)
{
	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static int join(char *out, size_t len, const char *a, const char *b)
{
	int n = snprintf(out, len, "%s%s%s", a, strcmp(a, "/") ? "/" : "", b);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* The writable binds: host directory (real path) -> path inside. */
struct root {
	char *src;
	const char *dest;
	size_t len;
	size_t rw; /* which of the policy's writable binds (0: the first) */
};

struct roots {
	struct root *v;
	size_t n;
};

static void roots_free(struct roots *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].src);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static int roots_get(const ccsb_sandbox *sb, struct roots *r)
{
	r->n = 0;
	r->v = calloc(sb->nmounts + 1, sizeof(*r->v));
	if (!r->v)
		return -ENOMEM;
	for (size_t i = 0, rw = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (m->kind != CCSB_M_BIND || !(m->flags & CCSB_BIND_RW))
			continue;
		char *real = ccsb__realpath_dup(m->src);
		if (real)
			r->v[r->n++] = (struct root){ real, m->dest, strlen(real), rw };
		rw++;
	}
	return 0;
}

/* The roots for the end-of-run scan: those of the start (`was`) as they
 * were resolved then, what was bound; the binds whose source did not exist
 * then (made since, as the private copies of ccsb__state_start()) now. */
static int roots_again(const ccsb_sandbox *sb, const struct roots *was, struct roots *r)
{
	r->n = 0;
	r->v = calloc(sb->nmounts + 1, sizeof(*r->v));
	if (!r->v)
		return -ENOMEM;
	/* By rank among the writable binds, not by index: the cache made
	 * them the same (its key), other mounts may have moved since (the
	 * prepared /etc replaces etc.c's). */
	for (size_t i = 0, k = 0, rw = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (m->kind != CCSB_M_BIND || !(m->flags & CCSB_BIND_RW))
			continue;
		while (k < was->n && was->v[k].rw < rw)
			k++;
		bool old = k < was->n && was->v[k].rw == rw;
		rw++;
		char *real = old ? strdup(was->v[k].src) : ccsb__realpath_dup(m->src);
		if (old && !real) {
			roots_free(r);
			return -ENOMEM;
		}
		if (real)
			r->v[r->n++] = (struct root){ real, m->dest, strlen(real), rw - 1 };
	}
	return 0;
}

/* The innermost writable bind holding host path `real`, or NULL. */
static const struct root *root_of(const struct roots *r, const char *real)
{
	const struct root *best = NULL;
	for (size_t i = 0; i < r->n; i++)
		if (ccsb__path_under(real, r->v[i].src, r->v[i].len) &&
		    (!best || r->v[i].len > best->len))
			best = &r->v[i];
	return best;
}

/* Where host path `real` (under root `rt`) is inside the sandbox. */
static int inside_path(const struct root *rt, const char *real, char *out, size_t len)
{
	const char *rest = real + (rt->len == 1 ? 0 : rt->len);
	int n = snprintf(out, len, "%s%s", strcmp(rt->dest, "/") || !*rest ? rt->dest : "", rest);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* First line of a small file ("gitdir: X" or a commondir), resolved
 * against `base` when relative. */
int ccsb__read_pointer(const char *file, const char *prefix, const char *base, char *out,
		       size_t len)
{
	char buf[PATH_MAX + 16];
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	ssize_t n =
		fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	const char *p = buf;
	if (prefix) {
		size_t k = strlen(prefix);
		if (strncmp(p, prefix, k) != 0)
			return -EINVAL;
		p += k;
		p += strspn(p, " \t");
	}
	if (!*p)
		return -EINVAL;
	int w = p[0] == '/' ? snprintf(out, len, "%s", p) : snprintf(out, len, "%s/%s", base, p);
	return w > 0 && (size_t)w < len ? 0 : -ENAMETOOLONG;
}

static bool exists_at(int dfd, const char *name, mode_t type)
{
	struct stat st;
	if (fstatat(dfd, name, &st, 0) < 0)
		return false;
	return type == 0 || (st.st_mode & S_IFMT) == type;
}

/* What git's discovery accepts as a git directory (setup.c,
 * is_git_directory()): HEAD, and objects/ + refs/ or a commondir file. */
bool ccsb__is_gitdir(const char *path)
{
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return false;
	bool r = exists_at(dfd, "HEAD", 0) &&
		 ((exists_at(dfd, "objects", S_IFDIR) && exists_at(dfd, "refs", S_IFDIR)) ||
		  exists_at(dfd, "commondir", S_IFREG));
	close(dfd);
	return r;
}

/* getdents64's record (the glibc wrapper is recent; the system call is
 * the same everywhere). */
struct dirent64_raw {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* ---- start: the read-only binds -------------------------------------- */

struct plan {
	const struct roots *roots;
	struct ccsb_mount *v;
	size_t n, cap;
	char **seen; /* git directories done (real paths) */
	size_t nseen, capseen;
	char **ups; /* directories above a root looked at for a .git */
	size_t nups, capups;
	bool oom;
};

static bool seen_add(char ***v, size_t *n, size_t *cap, const char *s, bool *oom)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return true;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **nv = reallocarray(*v, nc, sizeof(*nv));
		if (!nv) {
			*oom = true;
			return true;
		}
		*v = nv;
		*cap = nc;
	}
	if (!((*v)[*n] = strdup(s))) {
		*oom = true;
		return true;
	}
	(*n)++;
	return false;
}

static void plan_add(struct plan *pl, enum ccsb_mount_kind kind, unsigned flags, const char *src,
		     const char *dest)
{
	for (size_t i = 0; i < pl->n; i++)
		if (strcmp(pl->v[i].dest, dest) == 0)
			return;
	if (pl->n == pl->cap) {
		size_t nc = pl->cap ? pl->cap * 2 : 16;
		struct ccsb_mount *nv = reallocarray(pl->v, nc, sizeof(*nv));
		if (!nv) {
			pl->oom = true;
			return;
		}
		pl->v = nv;
		pl->cap = nc;
	}
	struct ccsb_mount m = { .kind = kind, .flags = flags };
	m.dest = strdup(dest);
	m.src = src ? strdup(src) : NULL;
	if (!m.dest || (src && !m.src)) {
		free(m.dest);
		free(m.src);
		pl->oom = true;
		return;
	}
	pl->v[pl->n++] = m;
}

static void plan_free(struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		free(pl->v[i].src);
		free(pl->v[i].dest);
	}
	free(pl->v);
	for (size_t i = 0; i < pl->nseen; i++)
		free(pl->seen[i]);
	free(pl->seen);
	for (size_t i = 0; i < pl->nups; i++)
		free(pl->ups[i]);
	free(pl->ups);
}

/* Bind `path` read-only over itself when it exists and the sandbox could
 * otherwise write it. Symlinks are followed: what they point to is
 * protected, and replacing the link itself is a new file for the scan. */
static void protect_path(struct plan *pl, const char *path)
{
	char real[PATH_MAX], dest[PATH_MAX];
	/* Most of the listed files do not exist: ccsb__realpath() fails for
	 * them in one call (realpath() read every component's link). */
	if (!ccsb__realpath(path, real))
		return;
	const struct root *rt = root_of(pl->roots, real);
	if (rt && inside_path(rt, real, dest, sizeof(dest)) == 0)
		plan_add(pl, CCSB_M_BIND, CCSB_BIND_RO, real, dest);
}

static void protect_gitdir(struct plan *pl, const char *gitdir, int depth);

/* modules/NAME/ are submodules' git directories; NAME may contain '/'. */
static void protect_modules(struct plan *pl, const char *dir, int depth)
{
	if (depth > GUARD_MAX_DEPTH)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char p[PATH_MAX];
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		if (join(p, sizeof(p), dir, e->d_name) < 0)
			continue;
		if (ccsb__is_gitdir(p))
			protect_gitdir(pl, p, depth + 1);
		else
			protect_modules(pl, p, depth + 1);
	}
	closedir(d);
}

static ssize_t read_small(const char *path, char **out);

static int hookspath_var(const char *section, const char *sub, const char *key, const char *value,
			 size_t line, void *data)
{
	(void)line;
	if (!sub && value && strcmp(section, "core") == 0 && strcmp(key, "hookspath") == 0)
		snprintf(data, PATH_MAX, "%s", value); /* the last one wins, as in git */
	return 0;
}

/* The directory a repository's own core.hooksPath names (a custom one,
 * say scripts/hooks: git runs what is in it) is read-only too; relative
 * paths are taken from the work tree, the parent of a .git directory. */
static void protect_hookspath(struct plan *pl, const char *gitdir, const struct root *rt)
{
	char cfg[PATH_MAX], val[PATH_MAX] = "", path[PATH_MAX], dest[PATH_MAX];
	char *text = NULL;
	size_t bad = 0;
	if (join(cfg, sizeof(cfg), gitdir, "config") < 0)
		return;
	ssize_t n = read_small(cfg, &text);
	if (n < 0)
		return;
	ccsb__gitconfig_parse(text, (size_t)n, hookspath_var, val, &bad);
	free(text);
	if (!val[0] || val[0] == '~')
		return;
	const char *slash = strrchr(gitdir, '/');
	int w = val[0] == '/' ? snprintf(path, sizeof(path), "%s", val)
			      : snprintf(path, sizeof(path), "%.*s/%s",
					 slash ? (int)(slash - gitdir) : 0, gitdir, val);
	if (w <= 0 || (size_t)w >= sizeof(path))
		return;
	struct stat st;
	if (lstat(path, &st) == 0) {
		protect_path(pl, path);
		return;
	}
	if (errno != ENOENT)
		return;
	/* Missing: an empty read-only one takes its place when its nearest
	 * existing ancestor is in the same bind (bwrap makes the mount point
	 * and the directories above it). */
	char anc[PATH_MAX], real[PATH_MAX];
	snprintf(anc, sizeof(anc), "%s", path);
	char *cut = NULL;
	for (;;) {
		char *q = strrchr(anc, '/');
		if (cut)
			*cut = '/';
		if (!q || q == anc)
			return;
		*q = '\0';
		cut = q;
		if (lstat(anc, &st) == 0)
			break;
	}
	const char *rest = cut + 1; /* what is missing, below anc */
	if (strstr(rest, "..") || !ccsb__realpath(anc, real) || root_of(pl->roots, real) != rt)
		return;
	char full[PATH_MAX];
	if (join(full, sizeof(full), real, rest) == 0 &&
	    inside_path(rt, full, dest, sizeof(dest)) == 0)
		plan_add(pl, CCSB_M_TMPFS, CCSB_MOUNT_RDONLY, NULL, dest);
}

static void protect_gitdir(struct plan *pl, const char *gitdir, int depth)
{
	char real[PATH_MAX], p[PATH_MAX], dest[PATH_MAX];
	if (depth > GUARD_MAX_DEPTH || !ccsb__realpath(gitdir, real))
		return;
	const struct root *rt = root_of(pl->roots, real);
	if (!rt || seen_add(&pl->seen, &pl->nseen, &pl->capseen, real, &pl->oom))
		return;
	static const char *const files[] = { "config", "config.worktree", "commondir", "gitdir",
					     "hooks" };
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++)
		if (join(p, sizeof(p), real, files[i]) == 0)
			protect_path(pl, p);
	/* Without hooks/ the sandbox could create one: an empty read-only
	 * directory takes its place (bwrap creates the mount point, an empty
	 * hooks/ on the host, which git ignores). */
	struct stat st;
	if (join(p, sizeof(p), real, "hooks") == 0 && lstat(p, &st) < 0 && errno == ENOENT &&
	    inside_path(rt, p, dest, sizeof(dest)) == 0)
		plan_add(pl, CCSB_M_TMPFS, CCSB_MOUNT_RDONLY, NULL, dest);
	char target[PATH_MAX];
	if (join(p, sizeof(p), real, "commondir") == 0 &&
	    ccsb__read_pointer(p, NULL, real, target, sizeof(target)) == 0)
		protect_gitdir(pl, target, depth + 1);
	if (join(p, sizeof(p), real, "worktrees") == 0) {
		DIR *d = opendir(p);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char w[PATH_MAX];
			if (e->d_name[0] != '.' && join(w, sizeof(w), p, e->d_name) == 0 &&
			    ccsb__is_gitdir(w))
				protect_gitdir(pl, w, depth + 1);
		}
		if (d)
			closedir(d);
	}
	if (join(p, sizeof(p), real, "modules") == 0)
		protect_modules(pl, p, depth);
	protect_hookspath(pl, real, rt);
}

/* `dir`/.git: a directory, or a file naming the git directory (a linked
 * worktree or a submodule), itself protected. True when there is one. */
static bool protect_dotgit(struct plan *pl, const char *dir)
{
	char p[PATH_MAX], target[PATH_MAX];
	struct stat st;
	if (join(p, sizeof(p), dir, ".git") < 0 || stat(p, &st) < 0)
		return false;
	if (S_ISDIR(st.st_mode)) {
		protect_gitdir(pl, p, 0);
	} else if (S_ISREG(st.st_mode)) {
		protect_path(pl, p);
		if (ccsb__read_pointer(p, "gitdir:", dir, target, sizeof(target)) == 0)
			protect_gitdir(pl, target, 0);
	}
	return true;
}

/* Project files that host programs act on without being asked: Claude
 * Code's project settings, MCP servers, commands, agents, skills and hooks
 * (claude), editor settings and tasks (VS Code, JetBrains), hook managers
 * (husky, pre-commit, a .githooks/ named by core.hooksPath). The list
 * follows Anthropic's sandbox-runtime's always-read-only paths, minus the
 * shell rc files (the sandbox's home is not the host's). */
static const char *const project_files[] = {
	".claude/settings.json",
	".claude/settings.local.json",
	".claude/commands",
	".claude/agents",
	".claude/skills",
	".claude/hooks",
	".mcp.json",
	".vscode",
	".idea",
	".husky",
	".githooks",
	".pre-commit-config.yaml",
};

#define NPROJECT (sizeof(project_files) / sizeof(*project_files))
/* project_present()'s bits past project_files[]'s: a .git, a HEAD, and a
 * directory it is. */
#define HAS_DOTGIT (1u << NPROJECT)
#define HAS_HEAD (1u << (NPROJECT + 1))
#define IS_DIR (1u << (NPROJECT + 2))
_Static_assert(NPROJECT + 3 < 32, "project_present()'s mask");

/* Whether `name` is `want` up to its first '/', in any case: a casefolded
 * directory (ext4, f2fs) finds .MCP.json for .mcp.json. */
static bool entry_is(const char *name, const char *want)
{
	size_t len = strcspn(want, "/");
	return strncasecmp(name, want, len) == 0 && name[len] == '\0';
}

/* Which of project_files[] may exist in `dir` (those whose first
 * component is one of its entries), and whether it has a .git and a HEAD:
 * one read of the directory instead of a lookup per name, most of which do
 * not exist (12 failed calls per writable directory a start). Every bit
 * when it cannot be read; 0 when it is not a directory. */
static unsigned project_present(const char *dir)
{
	const unsigned all = (1u << (NPROJECT + 3)) - 1;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : all;
	unsigned got = IS_DIR;
	char buf[8192] __attribute__((aligned(8)));
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (n <= 0) {
			got = n < 0 ? all : got;
			break;
		}
		for (long off = 0; off < n;) {
			const struct dirent64_raw *e = (const void *)(buf + off);
			off += e->d_reclen;
			if (entry_is(e->d_name, "HEAD"))
				got |= HAS_HEAD;
			if (e->d_name[0] != '.')
				continue; /* every other name starts with one */
			if (entry_is(e->d_name, ".git"))
				got |= HAS_DOTGIT;
			for (size_t k = 0; k < NPROJECT; k++)
				if (entry_is(e->d_name, project_files[k]))
					got |= 1u << k;
		}
	}
	close(fd);
	return got;
}

static int plan_build(const ccsb_sandbox *sb, struct plan *pl, struct roots *roots)
{
	int r = roots_get(sb, roots);
	if (r < 0)
		return r;
	pl->roots = roots;
	char p[PATH_MAX];
	for (size_t i = 0; i < roots->n && !pl->oom; i++) {
		const char *dir = roots->v[i].src;
		unsigned present = project_present(dir);
		if (!(present & IS_DIR))
			continue; /* a file's bind, or gone */
		if ((present & HAS_HEAD) && ccsb__is_gitdir(dir))
			protect_gitdir(pl, dir, 0);
		if (present & HAS_DOTGIT)
			protect_dotgit(pl, dir);
		/* The repository the bind lies in, when its git directory is
		 * writable too (another bind). */
		char up[PATH_MAX];
		snprintf(up, sizeof(up), "%s", dir);
		for (char *slash; strcmp(up, "/") != 0 && (slash = strrchr(up, '/'));) {
			if (slash == up)
				slash[1] = '\0';
			else
				*slash = '\0';
			/* Walked up from here for an earlier root: the
			 * rest of the walk is done (the roots of a run
			 * share most of their ancestors). */
			if (seen_add(&pl->ups, &pl->nups, &pl->capups, up, &pl->oom) ||
			    protect_dotgit(pl, up))
				break;
		}
		for (size_t k = 0; k < NPROJECT; k++)
			if ((present & (1u << k)) && join(p, sizeof(p), dir, project_files[k]) == 0)
				protect_path(pl, p);
	}
	return pl->oom ? -ENOMEM : 0;
}

/* ---- the plan of a run, made once ----------------------------------- */

/* What ccsb__guard_arm() found: the writable binds it was made for (`key`),
 * their real paths and the plan. The run's argv is built a moment later
 * from the same policy and the end-of-run scan walks the same roots: the
 * plan built again for each gave the same answer for ~300 lstat(), stat()
 * and readlink() calls a start. */
struct ccsb_guard_cache {
	char *key;
	size_t klen;
	struct roots roots;
	struct plan plan;
};

/* The writable binds, "src\0dest\0" each: all the plan depends on in the
 * policy. */
static char *rw_key(const ccsb_sandbox *sb, size_t *len)
{
	size_t n = 1;
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (m->kind == CCSB_M_BIND && (m->flags & CCSB_BIND_RW))
			n += strlen(m->src) + strlen(m->dest) + 2;
	}
	char *k = malloc(n), *p = k;
	if (!k)
		return NULL;
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (m->kind == CCSB_M_BIND && (m->flags & CCSB_BIND_RW)) {
			p = stpcpy(p, m->src) + 1;
			p = stpcpy(p, m->dest) + 1;
		}
	}
	*p = '\0';
	*len = n;
	return k;
}

/* The kept plan, when it was made for the policy's writable binds as they
 * are now; NULL otherwise (then the caller builds one). */
static struct ccsb_guard_cache *cache_for(const ccsb_sandbox *sb)
{
	struct ccsb_guard_cache *c = sb->guard_cache;
	size_t n = 0;
	char *k = c ? rw_key(sb, &n) : NULL;
	bool same = k && n == c->klen && memcmp(k, c->key, n) == 0;
	free(k);
	return same ? c : NULL;
}

void ccsb__guard_free(ccsb_sandbox *sb)
{
	struct ccsb_guard_cache *c = sb->guard_cache;
	if (!c)
		return;
	plan_free(&c->plan);
	roots_free(&c->roots);
	free(c->key);
	free(c);
	sb->guard_cache = NULL;
}

int ccsb__guard_build_argv(const ccsb_sandbox *sb, char *const cmd[], bool with_sync, bool tty,
			   char ***out, ccsb_error **err)
{
	const struct ccsb_guard_cache *c = cache_for(sb);
	if (c)
		return ccsb__build_argv_extra(sb, cmd, with_sync, tty, c->plan.v, c->plan.n, out,
					      err);
	struct plan pl = { 0 };
	struct roots roots = { 0 };
	int r = plan_build(sb, &pl, &roots);
	if (r < 0)
		r = ccsb__err(err, ENOMEM, "out of memory");
	else
		r = ccsb__build_argv_extra(sb, cmd, with_sync, tty, pl.v, pl.n, out, err);
	plan_free(&pl);
	roots_free(&roots);
	return r;
}

int ccsb__guard_protect_gitdir(ccsb_sandbox *sb, const char *gitdir, ccsb_error **err)
{
	struct plan pl = { 0 };
	struct roots roots = { 0 };
	int r = roots_get(sb, &roots);
	if (r == 0) {
		pl.roots = &roots;
		protect_gitdir(&pl, gitdir, 0);
		r = pl.oom ? -ENOMEM : 0;
	}
	if (r < 0)
		r = ccsb__err(err, ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < pl.n; i++) {
		const struct ccsb_mount *m = &pl.v[i];
		if (m->kind == CCSB_M_BIND)
			r = ccsb_sandbox_add_bind(sb, m->src, m->dest, CCSB_BIND_RO, err);
		else
			r = ccsb__add_ro_empty_dir(sb, m->dest, err);
	}
	plan_free(&pl);
	roots_free(&roots);
	return r;
}

/* ---- end: the scan --------------------------------------------------- */

struct scan {
	ccsb_sandbox *sb;
	struct roots roots;
	struct timespec t0;
	char stamp[32];
	size_t entries, max, next_clock;
	struct timespec deadline;
	bool stopped;
	char path[PATH_MAX]; /* the directory being read */
	size_t plen;
	const char *root;
	char *buf;
	char **seen;
	size_t nseen, capseen;
	bool oom;
};

/* Changed during the run. The kernel sets ctime from the coarse realtime
 * clock (or, with multigrain timestamps, a finer reading, never earlier),
 * which is also what t0 was read from, so nothing changed after t0 compares
 * earlier: `>=` misses nothing, and catches what the host itself changed in
 * the same clock tick (a few ms) before the run. A ctime of whole seconds
 * means a filesystem of 1 s granularity (or 1 in 10^9 chance): compare
 * seconds then. */
static bool is_new(const struct stat *st, const struct timespec *t0)
{
	if (st->st_ctim.tv_nsec == 0)
		return st->st_ctim.tv_sec >= t0->tv_sec;
	return st->st_ctim.tv_sec > t0->tv_sec ||
	       (st->st_ctim.tv_sec == t0->tv_sec && st->st_ctim.tv_nsec >= t0->tv_nsec);
}

/* Open directory `name` (relative to `dfd`; `path` for the report) for the
 * scan. The sandbox runs as the user and may chmod what it can write: git
 * needs only search permission to read .git/config and run hooks/NAME, so
 * a directory left unlistable (chmod 311 .git, chmod 111 hooks) would hide
 * what is in it. One of ours whose mode changed during the run gets u+rwx
 * back (reported); any other that the sandbox could have reached and this
 * scan cannot list is reported as not checked. -1 when it cannot be read. */
static int open_dir(struct scan *sc, int dfd, const char *name, const char *path)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES)
		return fd;
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return -1;
	bool fresh = is_new(&st, &sc->t0);
	if (fresh && st.st_uid == geteuid() &&
	    fchmodat(dfd, name, (st.st_mode & 07777) | S_IRWXU, 0) == 0) {
		ccsb__report(sc->sb,
			     "permissions restored: %s (mode %04o, set during the run, hid "
			     "it from the scan)",
			     path, (unsigned)(st.st_mode & 07777));
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	if (fresh || faccessat(dfd, name, X_OK, AT_EACCESS) == 0)
		ccsb__report(sc->sb,
			     "NOT checked (cannot list it): %s; do not run git or claude "
			     "under it before checking it",
			     path);
	return -1;
}

/* Rename `dir`/`name` to `name`.ccsb-quarantined-STAMP[-N]; the new name
 * (basename) in `out`. */
static int quarantine(struct scan *sc, const char *dir, const char *name, char *out, size_t len)
{
	char from[PATH_MAX], to[PATH_MAX];
	if (join(from, sizeof(from), dir, name) < 0)
		return -ENAMETOOLONG;
	for (int i = 1; i < 100; i++) {
		char base[NAME_MAX + 1];
		int n = i == 1 ? snprintf(base, sizeof(base), "%s.ccsb-quarantined-%s", name,
					  sc->stamp)
			       : snprintf(base, sizeof(base), "%s.ccsb-quarantined-%s-%d", name,
					  sc->stamp, i);
		if (n <= 0 || (size_t)n >= sizeof(base) || join(to, sizeof(to), dir, base) < 0)
			return -ENAMETOOLONG;
		struct stat st;
		if (lstat(to, &st) == 0)
			continue;
		if (rename(from, to) < 0)
			return -errno;
		snprintf(out, len, "%s", base);
		return 0;
	}
	/* The names above are predictable: the sandbox can take them all in
	 * advance to keep its file in place. Then an unpredictable one. */
	for (int i = 0; i < 8; i++) {
		uint64_t rnd;
		char base[NAME_MAX + 1];
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -EIO;
		int n = snprintf(base, sizeof(base), "%s.ccsb-quarantined-%s-%016llx", name,
				 sc->stamp, (unsigned long long)rnd);
		if (n <= 0 || (size_t)n >= sizeof(base) || join(to, sizeof(to), dir, base) < 0)
			return -ENAMETOOLONG;
		/* The system call: musl before 1.2.5 has no wrapper. */
		if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, CCSB_RENAME_NOREPLACE) ==
		    0) {
			snprintf(out, len, "%s", base);
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static void quarantine_report(struct scan *sc, const char *dir, const char *name, const char *why)
{
	char q[NAME_MAX + 1];
	char path[PATH_MAX];
	join(path, sizeof(path), dir, name);
	int r = quarantine(sc, dir, name, q, sizeof(q));
	if (r < 0)
		ccsb__report(sc->sb,
			     "NOT quarantined (rename failed: %s): %s (%s); do not run git or "
			     "claude there before removing it",
			     strerror(-r), path, why);
	else
		ccsb__report(sc->sb, "quarantined: %s -> %s (%s)", path, q, why);
}

/* The keys a replacement config keeps: none of them makes git run a
 * program or changes what it trusts. Unlike the synthesized ~/.gitconfig's
 * list (gitconfig.c), a repository's own layout keys and its remotes are
 * kept: the repository must go on working. */
static bool repo_safe_key(const char *section, const char *sub, const char *key)
{
	static const char *const plain[][2] = {
		{ "core", "repositoryformatversion" },
		{ "core", "filemode" },
		{ "core", "bare" },
		{ "core", "worktree" },
		{ "core", "logallrefupdates" },
		{ "core", "ignorecase" },
		{ "core", "precomposeunicode" },
		{ "core", "symlinks" },
		{ "core", "autocrlf" },
		{ "core", "eol" },
		{ "core", "safecrlf" },
		{ "core", "quotepath" },
		{ "core", "abbrev" },
		{ "extensions", "objectformat" },
		{ "extensions", "refstorage" },
		{ "extensions", "worktreeconfig" },
		{ "user", "name" },
		{ "user", "email" },
		{ "init", "defaultbranch" },
	};
	static const char *const with_sub[][2] = {
		{ "branch", "remote" }, { "branch", "merge" }, { "branch", "rebase" },
		{ "remote", "url" },	{ "remote", "fetch" }, { "remote", "pushurl" },
	};
	const char *const(*v)[2] = sub ? with_sub : plain;
	size_t n = sub ? sizeof(with_sub) / sizeof(*with_sub) : sizeof(plain) / sizeof(*plain);
	for (size_t i = 0; i < n; i++)
		if (strcmp(section, v[i][0]) == 0 && strcmp(key, v[i][1]) == 0)
			return true;
	return false;
}

struct sanitize {
	struct ccsb__gitconfig_out out;
	size_t kept, dropped;
	const struct roots *roots;
	const char *gitdir;
};

/* core.worktree names where checkout, reset and stash write: kept only when
 * it is a directory in the writable binds, so that a planted repository
 * cannot aim the user's own `git reset --hard` at ~/.bashrc. */
static bool worktree_ok(const struct sanitize *z, const char *value)
{
	char path[PATH_MAX], real[PATH_MAX];
	if (!value || !*value)
		return false;
	int n = value[0] == '/' ? snprintf(path, sizeof(path), "%s", value)
				: snprintf(path, sizeof(path), "%s/%s", z->gitdir, value);
	return n > 0 && (size_t)n < sizeof(path) && ccsb__realpath(path, real) &&
	       root_of(z->roots, real) != NULL;
}

static int sanitize_var(const char *section, const char *sub, const char *key, const char *value,
			size_t line, void *data)
{
	(void)line;
	struct sanitize *z = data;
	bool ok = repo_safe_key(section, sub, key) &&
		  (sub || strcmp(section, "core") || strcmp(key, "worktree") ||
		   worktree_ok(z, value));
	int r = ok ? ccsb__gitconfig_emit(&z->out, section, sub, key, value ? value : "true")
		   : -EINVAL;
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		z->dropped++;
	else
		z->kept++;
	return 0;
}

/* The first 1 MiB of a file (git configs are small), NUL-terminated. */
static ssize_t read_small(const char *path, char **out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char *buf = malloc((1u << 20) + 1);
	size_t n = 0;
	while (buf && n < (1u << 20)) {
		ssize_t r = CCSB_RETRY(read(fd, buf + n, (1u << 20) - n));
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	buf[n] = '\0';
	*out = buf;
	return (ssize_t)n;
}

/* A git directory's config was quarantined: put a config with only its
 * harmless keys in its place, so that the repository keeps working. It is
 * parsed by gitconfig.c (git's syntax; fuzzed), includes not followed. */
static void replace_config(struct scan *sc, const char *gitdir, const char *qname)
{
	char cfg[PATH_MAX], q[PATH_MAX];
	if (join(cfg, sizeof(cfg), gitdir, "config") < 0 || join(q, sizeof(q), gitdir, qname) < 0)
		return;
	struct sanitize z = { .roots = &sc->roots, .gitdir = gitdir };
	char *text = NULL;
	ssize_t n = read_small(q, &text);
	size_t bad = 0;
	int pr = n < 0 ? (int)n : ccsb__gitconfig_parse(text, (size_t)n, sanitize_var, &z, &bad);
	free(text);
	const char *base = strrchr(gitdir, '/');
	bool parsed = pr == 0;
	if (!parsed) {
		/* What git init writes: the repository stays usable. */
		ccsb__gitconfig_out_free(&z.out);
		z = (struct sanitize){ .roots = &sc->roots, .gitdir = gitdir };
		ccsb__gitconfig_emit(&z.out, "core", NULL, "repositoryformatversion", "0");
		ccsb__gitconfig_emit(&z.out, "core", NULL, "filemode", "true");
		ccsb__gitconfig_emit(&z.out, "core", NULL, "bare",
				     base && strcmp(base, "/.git") == 0 ? "false" : "true");
		ccsb__gitconfig_emit(&z.out, "core", NULL, "logallrefupdates", "true");
	}
	static const char head[] =
		"# Written by ccsb: the config the sandbox wrote is beside this\n"
		"# file, quarantined; only keys that run nothing were kept.\n";
	int fd = open(cfg, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	bool ok = fd >= 0 && write(fd, head, sizeof(head) - 1) == (ssize_t)(sizeof(head) - 1) &&
		  (z.out.len == 0 || write(fd, z.out.buf, z.out.len) == (ssize_t)z.out.len);
	int e = errno;
	if (fd >= 0 && close(fd) < 0)
		ok = false;
	ccsb__gitconfig_out_free(&z.out);
	if (!ok)
		ccsb__report(sc->sb, "could not write a replacement %s: %s", cfg, strerror(e));
	else if (parsed)
		ccsb__report(sc->sb, "replaced %s with its %zu harmless key%s (%zu dropped)", cfg,
			     z.kept, z.kept == 1 ? "" : "s", z.dropped);
	else
		ccsb__report(sc->sb,
			     "replaced %s with a minimal config (git would not read the "
			     "quarantined one either)",
			     cfg);
}

/* `gitdir` changed during the run (its entries or its name), is not one
 * that was read-only all along, and its config (`cfg`, older than the run)
 * sets a key that a replacement would not keep. A repository's own keys
 * beyond the safe list make this quarantine a repository the sandbox used
 * (reported, and undone by moving the file back); what it catches is a
 * config planted in an earlier run in a directory that becomes a git
 * directory only now. */
static bool old_config_planted(struct scan *sc, const char *gitdir, const char *cfg)
{
	struct stat st;
	if (lstat(gitdir, &st) < 0 || !is_new(&st, &sc->t0))
		return false;
	for (size_t i = 0; i < sc->sb->guard_nro; i++)
		if (sc->sb->guard_ro[i].dev == st.st_dev && sc->sb->guard_ro[i].ino == st.st_ino)
			return false;
	struct sanitize z = { .roots = &sc->roots, .gitdir = gitdir };
	char *text = NULL;
	ssize_t n = read_small(cfg, &text);
	size_t bad = 0;
	int r = n < 0 ? (int)n : ccsb__gitconfig_parse(text, (size_t)n, sanitize_var, &z, &bad);
	free(text);
	ccsb__gitconfig_out_free(&z.out);
	return r == 0 && z.dropped > 0;
}

static bool hook_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && !(n > 7 && strcmp(name + n - 7, ".sample") == 0) &&
	       !strstr(name, ".ccsb-quarantined-");
}

/* New entries in hooks/ that git would run (anything but *.sample). */
static void check_hooks(struct scan *sc, const char *gitdir)
{
	char hooks[PATH_MAX];
	struct stat st;
	if (join(hooks, sizeof(hooks), gitdir, "hooks") < 0 || lstat(hooks, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		if (is_new(&st, &sc->t0))
			quarantine_report(sc, gitdir, "hooks", "git hooks planted during the run");
		return;
	}
	int hfd = open_dir(sc, AT_FDCWD, hooks, hooks);
	DIR *d = hfd >= 0 ? fdopendir(hfd) : NULL;
	if (!d) {
		if (hfd >= 0)
			close(hfd);
		/* Unlistable: what git would run in it cannot be told apart. */
		if (is_new(&st, &sc->t0))
			quarantine_report(sc, gitdir, "hooks",
					  "git hooks directory changed during "
					  "the run and not listable");
		return;
	}
	struct dirent *e;
	char bad[8][NAME_MAX + 1];
	size_t nbad = 0, live = 0;
	bool all = false;
	while ((e = readdir(d))) {
		if (!hook_name(e->d_name))
			continue;
		live++;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    is_new(&st, &sc->t0)) {
			if (nbad < 8)
				snprintf(bad[nbad++], sizeof(bad[0]), "%s", e->d_name);
			else
				all = true;
		}
	}
	closedir(d);
	if (!nbad)
		return;
	/* A hooks/ made during the run goes aside whole. */
	if (all || (lstat(hooks, &st) == 0 && is_new(&st, &sc->t0) && live == nbad)) {
		quarantine_report(sc, gitdir, "hooks", "git hooks written during the run");
		return;
	}
	for (size_t i = 0; i < nbad; i++)
		quarantine_report(sc, hooks, bad[i], "git hook written during the run");
}

static void check_gitdir(struct scan *sc, const char *gitdir, int depth);

/* A pointer (.git file, commondir): what it names is checked wherever it is
 * in the writable binds; outside them the sandbox could not write it. */
static void follow(struct scan *sc, const char *file, const char *prefix, const char *base,
		   int depth, bool new_pointer)
{
	char target[PATH_MAX], real[PATH_MAX];
	if (ccsb__read_pointer(file, prefix, base, target, sizeof(target)) < 0)
		return;
	if (ccsb__realpath(target, real) && root_of(&sc->roots, real))
		check_gitdir(sc, real, depth + 1);
	else if (new_pointer)
		ccsb__report(sc->sb, "changed during the run: %s (points git at %s)", file, target);
}

static void check_gitdir(struct scan *sc, const char *gitdir, int depth)
{
	char real[PATH_MAX], p[PATH_MAX];
	if (depth > GUARD_MAX_DEPTH || !ccsb__realpath(gitdir, real) ||
	    !root_of(&sc->roots, real) ||
	    seen_add(&sc->seen, &sc->nseen, &sc->capseen, real, &sc->oom))
		return;
	struct stat st;
	if (join(p, sizeof(p), real, "config") != 0 || lstat(p, &st) < 0) {
		/* no config */
	} else if (is_new(&st, &sc->t0)) {
		char q[NAME_MAX + 1];
		int r = quarantine(sc, real, "config", q, sizeof(q));
		if (r < 0) {
			ccsb__report(sc->sb,
				     "NOT quarantined (rename failed: %s): %s (git config "
				     "written during the run); do not run git there before "
				     "removing it",
				     strerror(-r), p);
		} else {
			ccsb__report(sc->sb,
				     "quarantined: %s -> %s (git config written during the run)", p,
				     q);
			if (S_ISREG(st.st_mode))
				replace_config(sc, real, q);
		}
	} else if (S_ISREG(st.st_mode) && old_config_planted(sc, real, p)) {
		/* A config written in an earlier run, when its directory was
		 * not yet a git directory, keeps its old ctime when that
		 * directory is renamed into place or gets its HEAD now. */
		char q[NAME_MAX + 1];
		if (quarantine(sc, real, "config", q, sizeof(q)) < 0) {
			ccsb__report(sc->sb,
				     "NOT quarantined (rename failed): %s (sets keys that run "
				     "programs in a git directory that changed during the "
				     "run); do not run git there before removing it",
				     p);
		} else {
			ccsb__report(sc->sb,
				     "quarantined: %s -> %s (sets keys that run programs, in "
				     "a git directory that changed during the run)",
				     p, q);
			replace_config(sc, real, q);
		}
	}
	/* An empty one sets nothing: worktree.c makes one where a missing one
	 * could be created inside (extensions.worktreeConfig). */
	if (join(p, sizeof(p), real, "config.worktree") == 0 && lstat(p, &st) == 0 &&
	    !(S_ISREG(st.st_mode) && st.st_size == 0) && is_new(&st, &sc->t0))
		quarantine_report(sc, real, "config.worktree", "git config written during the run");
	check_hooks(sc, real);
	if (join(p, sizeof(p), real, "commondir") == 0 && lstat(p, &st) == 0)
		follow(sc, p, NULL, real, depth, is_new(&st, &sc->t0));
	if (join(p, sizeof(p), real, "info/attributes") == 0 && lstat(p, &st) == 0 &&
	    is_new(&st, &sc->t0))
		ccsb__report(sc->sb,
			     "changed during the run: %s (selects git's filter and diff "
			     "drivers)",
			     p);
	if (join(p, sizeof(p), real, "rebase-merge/git-rebase-todo") == 0 && lstat(p, &st) == 0 &&
	    is_new(&st, &sc->t0))
		ccsb__report(sc->sb,
			     "left during the run: %s ('git rebase --continue' runs its "
			     "exec lines)",
			     p);
}

/* Anything in the tree at `path` (itself included) changed during the run;
 * bounded: a tree too big to check counts as changed. */
static bool tree_new(struct scan *sc, const char *path, int depth, size_t *budget)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return false;
	if (is_new(&st, &sc->t0) || depth > GUARD_MAX_DEPTH || *budget == 0)
		return true;
	if (!S_ISDIR(st.st_mode))
		return false;
	DIR *d = opendir(path);
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	char p[PATH_MAX];
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		(*budget)--;
		found = join(p, sizeof(p), path, e->d_name) == 0 &&
			tree_new(sc, p, depth + 1, budget);
	}
	closedir(d);
	return found;
}

/* Files in `dir` that host tools act on. Claude Code's are quarantined;
 * the rest are versioned project files the user reviews: reported. */
static void check_names(struct scan *sc, const char *dir, const char *name, unsigned char type)
{
	char p[PATH_MAX], sub[PATH_MAX];
	struct stat st;
	if (join(p, sizeof(p), dir, name) < 0)
		return;
	if (strcmp(name, ".git") == 0 && type != DT_DIR) {
		if (lstat(p, &st) < 0)
			return;
		if (S_ISLNK(st.st_mode)) {
			char real[PATH_MAX];
			if (ccsb__realpath(p, real))
				check_gitdir(sc, real, 0);
			if (is_new(&st, &sc->t0))
				ccsb__report(sc->sb, "changed during the run: %s (a symbolic link)",
					     p);
		} else {
			follow(sc, p, "gitdir:", dir, 0, is_new(&st, &sc->t0));
		}
		return;
	}
	if (strcmp(name, ".mcp.json") == 0) {
		if (lstat(p, &st) == 0 && is_new(&st, &sc->t0))
			quarantine_report(sc, dir, name, "MCP servers Claude Code would start");
		return;
	}
	if (strcmp(name, ".claude") == 0 && type == DT_DIR) {
		static const char *const files[] = { "settings.json", "settings.local.json" };
		for (size_t i = 0; i < 2; i++)
			if (join(sub, sizeof(sub), p, files[i]) == 0 && lstat(sub, &st) == 0 &&
			    is_new(&st, &sc->t0))
				quarantine_report(sc, p, files[i],
						  "Claude Code settings written during the run");
		static const char *const dirs[] = { "commands", "agents", "skills", "hooks" };
		for (size_t i = 0; i < 4; i++) {
			size_t budget = 10000;
			if (join(sub, sizeof(sub), p, dirs[i]) < 0 || lstat(sub, &st) < 0)
				continue;
			if (tree_new(sc, sub, 0, &budget))
				quarantine_report(
					sc, p, dirs[i],
					"Claude Code configuration written during the run");
		}
		return;
	}
	static const struct {
		const char *name;
		const char *why;
	} implicit[] = {
		{ ".envrc", "direnv runs it on cd once allowed" },
		{ ".gitattributes", "selects git's filter and diff drivers" },
		{ ".gitmodules", "git submodule and clone --recurse-submodules follow it" },
		{ ".pre-commit-config.yaml", "pre-commit runs its hooks on git commit" },
	};
	for (size_t i = 0; i < sizeof(implicit) / sizeof(*implicit); i++)
		if (strcmp(name, implicit[i].name) == 0 && lstat(p, &st) == 0 &&
		    is_new(&st, &sc->t0))
			ccsb__report(sc->sb, "changed during the run: %s (%s)", p, implicit[i].why);
	if (type == DT_DIR && (strcmp(name, ".vscode") == 0 || strcmp(name, ".husky") == 0 ||
			       strcmp(name, ".githooks") == 0)) {
		DIR *d = opendir(p);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			bool vscode = name[1] == 'v';
			if (e->d_name[0] == '.' ||
			    (vscode && strcmp(e->d_name, "settings.json") &&
			     strcmp(e->d_name, "tasks.json") && strcmp(e->d_name, "launch.json")))
				continue;
			if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    is_new(&st, &sc->t0))
				ccsb__report(sc->sb, "changed during the run: %s/%s (%s)", p,
					     e->d_name,
					     vscode ? "VS Code acts on it when the folder is opened"
						    : "git hooks when core.hooksPath names it");
		}
		if (d)
			closedir(d);
	}
}

#define SCAN_BUF 65536
#define SCAN_MAX_DEPTH 256

static bool over_budget(struct scan *sc)
{
	if (sc->entries >= sc->max)
		return true;
	if (sc->entries >= sc->next_clock) {
		sc->next_clock = sc->entries + 4096;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > sc->deadline.tv_sec ||
		    (now.tv_sec == sc->deadline.tv_sec && now.tv_nsec >= sc->deadline.tv_nsec))
			return true;
	}
	return false;
}

static void report_stopped(struct scan *sc, const char *why)
{
	sc->stopped = true;
	ccsb__report(sc->sb,
		     "the scan for planted git and Claude Code files stopped (%s) after %zu "
		     "entries, at %s: what lies beyond was NOT checked. Before running git or "
		     "claude there, list what changed during the run: find %s -newerct @%lld",
		     why, sc->entries, sc->path, sc->root, (long long)sc->t0.tv_sec);
}

/* One directory (`fd`, path in sc->path): its entries read with
 * getdents64 (d_type, no stat per file), the names that matter checked,
 * then each subdirectory, depth first, opened relative to this one without
 * following symbolic links. */
static void scan_tree(struct scan *sc, int fd, int depth)
{
	char *subs = NULL;
	size_t nsubs = 0, cap = 0;
	bool head = false;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, sc->buf, SCAN_BUF);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			const struct dirent64_raw *e = (const void *)(sc->buf + off);
			off += e->d_reclen;
			const char *name = e->d_name;
			if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
				continue;
			sc->entries++;
			unsigned char type = e->d_type;
			if (type == DT_UNKNOWN) {
				struct stat st;
				if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
					continue;
				type = S_ISDIR(st.st_mode)   ? DT_DIR
				       : S_ISLNK(st.st_mode) ? DT_LNK
							     : DT_REG;
			}
			if (type == DT_DIR) {
				size_t k = strlen(name) + 1;
				if (nsubs + k > cap) {
					size_t nc = cap ? cap * 2 : 4096;
					while (nc < nsubs + k)
						nc *= 2;
					char *ns = realloc(subs, nc);
					if (!ns) {
						sc->oom = true;
						break;
					}
					subs = ns;
					cap = nc;
				}
				memcpy(subs + nsubs, name, k);
				nsubs += k;
			}
			head |= strcmp(name, "HEAD") == 0;
			if (name[0] == '.')
				check_names(sc, sc->path, name, type);
		}
	}
	/* Any directory with a HEAD: git's own test (HEAD, objects/ and refs/
	 * or a commondir, where symbolic links count) is a subset, and the
	 * check costs a few lstat()s (logs/ and refs/remotes/X/ pass too). */
	if (head)
		check_gitdir(sc, sc->path, 0);
	for (size_t off = 0; off < nsubs && !sc->stopped && !sc->oom;) {
		const char *name = subs + off;
		off += strlen(name) + 1;
		if (over_budget(sc)) {
			report_stopped(sc, "time or entry limit");
			break;
		}
		size_t old = sc->plen, k = strlen(name);
		/* Only this directory's subtree is given up: a deep tree made
		 * on purpose must not end the scan of its siblings. */
		if (depth >= SCAN_MAX_DEPTH || old + 1 + k >= sizeof(sc->path)) {
			ccsb__report(sc->sb,
				     "NOT checked (too deep): what lies under %s; list what "
				     "changed there during the run: find %s -newerct @%lld",
				     sc->path, sc->path, (long long)sc->t0.tv_sec);
			break;
		}
		if (old > 1)
			sc->path[sc->plen++] = '/';
		memcpy(sc->path + sc->plen, name, k + 1);
		sc->plen += k;
		int cfd = open_dir(sc, fd, name, sc->path);
		if (cfd >= 0) {
			scan_tree(sc, cfd, depth + 1);
			close(cfd);
		}
		sc->plen = old;
		sc->path[old] = '\0';
	}
	free(subs);
}

static int scan_run(struct scan *sc)
{
	struct tm tm;
	time_t t = sc->t0.tv_sec;
	gmtime_r(&t, &tm);
	strftime(sc->stamp, sizeof(sc->stamp), "%Y%m%dT%H%M%SZ", &tm);
	clock_gettime(CLOCK_MONOTONIC, &sc->deadline);
	sc->deadline.tv_sec += GUARD_MAX_SECONDS;
	sc->buf = malloc(SCAN_BUF);
	if (!sc->buf)
		sc->oom = true;
	for (size_t i = 0; i < sc->roots.n && !sc->oom && !sc->stopped; i++) {
		const struct root *rt = &sc->roots.v[i];
		/* A bind inside another is walked with its parent; the same
		 * directory bound twice, once. */
		bool nested = false;
		for (size_t k = 0; k < sc->roots.n; k++)
			nested |= (k != i && sc->roots.v[k].len < rt->len &&
				   ccsb__path_under(rt->src, sc->roots.v[k].src,
						    sc->roots.v[k].len)) ||
				  (k < i && strcmp(sc->roots.v[k].src, rt->src) == 0);
		if (nested || rt->len >= sizeof(sc->path))
			continue;
		memcpy(sc->path, rt->src, rt->len + 1);
		int fd = open_dir(sc, AT_FDCWD, rt->src, rt->src);
		if (fd < 0)
			continue;
		sc->plen = rt->len;
		sc->root = rt->src;
		scan_tree(sc, fd, 0);
		close(fd);
	}
	if (sc->oom)
		ccsb__report(sc->sb,
			     "the scan for planted git and Claude Code files ran out of memory: "
			     "list what changed during the run with: find %s -newerct @%lld",
			     sc->root ? sc->root : "DIR", (long long)sc->t0.tv_sec);
	free(sc->buf);
	for (size_t i = 0; i < sc->nseen; i++)
		free(sc->seen[i]);
	free(sc->seen);
	return sc->stopped ? -E2BIG : sc->oom ? -ENOMEM : 0;
}

int ccsb__guard_scan(ccsb_sandbox *sb, char *const roots[], size_t nroots,
		     const struct timespec *t0, size_t max_entries)
{
	struct scan sc = { .sb = sb,
			   .t0 = *t0,
			   .max = max_entries ? max_entries : GUARD_MAX_ENTRIES };
	sc.roots.v = calloc(nroots + 1, sizeof(*sc.roots.v));
	if (!sc.roots.v)
		return -ENOMEM;
	for (size_t i = 0; i < nroots; i++) {
		char *real = ccsb__realpath_dup(roots[i]);
		if (real)
			sc.roots.v[sc.roots.n++] = (struct root){ real, real, strlen(real), i };
	}
	int r = scan_run(&sc);
	roots_free(&sc.roots);
	return r;
}

void ccsb__guard_arm(ccsb_sandbox *sb)
{
	clock_gettime(CLOCK_REALTIME_COARSE, &sb->guard_t0);
	/* The git directories the plan binds read-only, by inode (a rename
	 * keeps it, a directory renamed into their place has another): their
	 * configs are the user's, whatever keys they set. The plan is kept
	 * for the argv and the scan (struct ccsb_guard_cache). */
	ccsb__guard_free(sb);
	sb->guard_nro = 0;
	struct ccsb_guard_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	sb->guard_cache = c;
	if (!(c->key = rw_key(sb, &c->klen)) || plan_build(sb, &c->plan, &c->roots) < 0) {
		ccsb__guard_free(sb);
		return;
	}
	for (size_t i = 0; i < c->plan.nseen && sb->guard_nro < 64; i++) {
		struct stat st;
		if (stat(c->plan.seen[i], &st) == 0) {
			sb->guard_ro[sb->guard_nro].dev = st.st_dev;
			sb->guard_ro[sb->guard_nro++].ino = st.st_ino;
		}
	}
}

void ccsb__guard_finish(ccsb_sandbox *sb)
{
	if (sb->guard_t0.tv_sec == 0)
		return;
	struct scan sc = { .sb = sb, .t0 = sb->guard_t0, .max = GUARD_MAX_ENTRIES };
	sb->guard_t0.tv_sec = 0;
	/* The roots as resolved at the start, what was bound: a symlink in a
	 * bind's host path that the sandbox could change during the run
	 * (through another writable bind) cannot send the scan elsewhere. */
	struct ccsb_guard_cache *c = cache_for(sb);
	int r = c ? roots_again(sb, &c->roots, &sc.roots) : roots_get(sb, &sc.roots);
	if (r < 0) {
		ccsb__report(sb,
			     "the scan for planted git and Claude Code files ran out of memory");
		return;
	}
	ccsb__guard_free(sb);
	scan_run(&sc);
	roots_free(&sc.roots);
}
