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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The end-of-run scan's hard bound: entries read and wall time. Past it the
 * scan stops and says what was not checked (see report_stopped()). */
#define GUARD_MAX_ENTRIES 4000000u
#define GUARD_MAX_SECONDS 20
/* Pointer chains (.git file -> gitdir -> commondir) and modules/ nesting. */
#define GUARD_MAX_DEPTH 16

/* ---- paths ---------------------------------------------------------- */

static bool under(const char *path, const char *dir, size_t n)
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
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (m->kind != CCSB_M_BIND || !(m->flags & CCSB_BIND_RW))
			continue;
		char *real = realpath(m->src, NULL);
		if (!real)
			continue;
		r->v[r->n++] = (struct root){ real, m->dest, strlen(real) };
	}
	return 0;
}

/* The innermost writable bind holding host path `real`, or NULL. */
static const struct root *root_of(const struct roots *r, const char *real)
{
	const struct root *best = NULL;
	for (size_t i = 0; i < r->n; i++)
		if (under(real, r->v[i].src, r->v[i].len) && (!best || r->v[i].len > best->len))
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
static int read_pointer(const char *file, const char *prefix, const char *base, char *out,
			size_t len)
{
	char buf[PATH_MAX + 16];
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, buf, sizeof(buf) - 1) : -1;
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
static bool is_gitdir(const char *path)
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

/* ---- start: the read-only binds -------------------------------------- */

struct plan {
	const struct roots *roots;
	struct ccsb_mount *v;
	size_t n, cap;
	char **seen; /* git directories done (real paths) */
	size_t nseen, capseen;
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
}

/* Bind `path` read-only over itself when it exists and the sandbox could
 * otherwise write it. Symlinks are followed: what they point to is
 * protected, and replacing the link itself is a new file for the scan. */
static void protect_path(struct plan *pl, const char *path)
{
	char real[PATH_MAX], dest[PATH_MAX];
	if (!realpath(path, real))
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
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		if (join(p, sizeof(p), dir, e->d_name) < 0)
			continue;
		if (is_gitdir(p))
			protect_gitdir(pl, p, depth + 1);
		else
			protect_modules(pl, p, depth + 1);
	}
	closedir(d);
}

static void protect_gitdir(struct plan *pl, const char *gitdir, int depth)
{
	char real[PATH_MAX], p[PATH_MAX], dest[PATH_MAX];
	if (depth > GUARD_MAX_DEPTH || !realpath(gitdir, real))
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
	    read_pointer(p, NULL, real, target, sizeof(target)) == 0)
		protect_gitdir(pl, target, depth + 1);
	if (join(p, sizeof(p), real, "worktrees") == 0) {
		DIR *d = opendir(p);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char w[PATH_MAX];
			if (e->d_name[0] != '.' && join(w, sizeof(w), p, e->d_name) == 0 && is_gitdir(w))
				protect_gitdir(pl, w, depth + 1);
		}
		if (d)
			closedir(d);
	}
	if (join(p, sizeof(p), real, "modules") == 0)
		protect_modules(pl, p, depth);
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
		if (read_pointer(p, "gitdir:", dir, target, sizeof(target)) == 0)
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
	".claude/settings.json", ".claude/settings.local.json", ".claude/commands",
	".claude/agents", ".claude/skills", ".claude/hooks", ".mcp.json",
	".vscode", ".idea", ".husky", ".githooks", ".pre-commit-config.yaml",
};

static int plan_build(const ccsb_sandbox *sb, struct plan *pl, struct roots *roots)
{
	int r = roots_get(sb, roots);
	if (r < 0)
		return r;
	pl->roots = roots;
	char p[PATH_MAX];
	for (size_t i = 0; i < roots->n && !pl->oom; i++) {
		const char *dir = roots->v[i].src;
		struct stat st;
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (is_gitdir(dir))
			protect_gitdir(pl, dir, 0);
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
			if (protect_dotgit(pl, up))
				break;
		}
		for (size_t k = 0; k < sizeof(project_files) / sizeof(*project_files); k++)
			if (join(p, sizeof(p), dir, project_files[k]) == 0)
				protect_path(pl, p);
	}
	return pl->oom ? -ENOMEM : 0;
}

int ccsb__guard_build_argv(const ccsb_sandbox *sb, char *const cmd[], bool with_sync, bool tty,
			   char ***out, ccsb_error **err)
{
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
	size_t entries, max;
	struct timespec deadline;
	bool stopped;
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

/* Rename `dir`/`name` to `name`.ccsb-quarantined-STAMP[-N]; the new name
 * (basename) in `out`. */
static int quarantine(struct scan *sc, const char *dir, const char *name, char *out, size_t len)
{
	char from[PATH_MAX], to[PATH_MAX];
	if (join(from, sizeof(from), dir, name) < 0)
		return -ENAMETOOLONG;
	for (int i = 1; i < 100; i++) {
		char base[NAME_MAX + 1];
		int n = i == 1 ? snprintf(base, sizeof(base), "%s.ccsb-quarantined-%s", name, sc->stamp)
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
	return -EEXIST;
}

static void quarantine_report(struct scan *sc, const char *dir, const char *name, const char *why)
{
	char q[NAME_MAX + 1];
	char path[PATH_MAX];
	join(path, sizeof(path), dir, name);
	int r = quarantine(sc, dir, name, q, sizeof(q));
	if (r < 0)
		ccsb__report(sc->sb, "NOT quarantined (rename failed: %s): %s (%s); do not run git or "
				     "claude there before removing it",
			     strerror(-r), path, why);
	else
		ccsb__report(sc->sb, "quarantined: %s -> %s (%s)", path, q, why);
}

/* The keys a replacement config keeps: none of them makes git run a
 * program or changes what it trusts. */
static bool safe_key(const char *key)
{
	static const char *const plain[] = {
		"core.repositoryformatversion", "core.filemode", "core.bare", "core.worktree",
		"core.logallrefupdates", "core.ignorecase", "core.precomposeunicode",
		"core.symlinks", "core.autocrlf", "core.eol", "core.safecrlf", "core.quotepath",
		"core.abbrev", "extensions.objectformat", "extensions.refstorage",
		"extensions.worktreeconfig", "user.name", "user.email", "init.defaultbranch",
	};
	static const char *const sub[][2] = {
		{ "branch", "remote" }, { "branch", "merge" }, { "branch", "rebase" },
		{ "remote", "url" },    { "remote", "fetch" }, { "remote", "pushurl" },
	};
	for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++)
		if (strcmp(key, plain[i]) == 0)
			return true;
	const char *dot = strchr(key, '.'), *last = strrchr(key, '.');
	if (!dot || dot == last)
		return false;
	for (size_t i = 0; i < sizeof(sub) / sizeof(*sub); i++)
		if ((size_t)(dot - key) == strlen(sub[i][0]) && strncmp(key, sub[i][0], dot - key) == 0 &&
		    strcmp(last + 1, sub[i][1]) == 0)
			return true;
	return false;
}

static void put_quoted(FILE *f, const char *s, bool value)
{
	if (value && *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789._/:@+-=,~") == strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (value && *s == '\n')
			fputs("\\n", f);
		else if (value && *s == '\t')
			fputs("\\t", f);
		else if (*s != '\n')
			fputc(*s, f);
	}
	fputc('"', f);
}

/* Write the safe keys of "key\nvalue\0" records (git config --list -z). */
static void write_safe(FILE *f, char *list, size_t len, size_t *kept, size_t *dropped)
{
	char last_sec[256] = "", last_sub[256] = "";
	bool first = true;
	for (char *rec = list, *next; rec < list + len; rec = next) {
		next = rec + strlen(rec) + 1;
		char *nl = strchr(rec, '\n');
		const char *value = nl ? nl + 1 : "true";
		if (nl)
			*nl = '\0';
		const char *dot = strchr(rec, '.'), *last = strrchr(rec, '.');
		bool ok = dot && safe_key(rec) && (size_t)(dot - rec) < sizeof(last_sec) &&
			  strspn(last + 1, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(last + 1);
		if (!ok) {
			(*dropped)++;
			continue;
		}
		char sec[256], sb[256] = "";
		snprintf(sec, sizeof(sec), "%.*s", (int)(dot - rec), rec);
		if (last > dot)
			snprintf(sb, sizeof(sb), "%.*s", (int)(last - dot - 1), dot + 1);
		if (first || strcmp(sec, last_sec) || strcmp(sb, last_sub)) {
			fprintf(f, "[%s", sec);
			if (*sb) {
				fputc(' ', f);
				put_quoted(f, sb, false);
			}
			fputs("]\n", f);
			snprintf(last_sec, sizeof(last_sec), "%s", sec);
			snprintf(last_sub, sizeof(last_sub), "%s", sb);
			first = false;
		}
		fprintf(f, "\t%s = ", last + 1);
		put_quoted(f, value, true);
		fputc('\n', f);
		(*kept)++;
	}
}

/* The host's git reads the quarantined file (--file, no includes, outside
 * any repository): no hand-written parser of the config syntax here. */
static ssize_t git_config_list(const char *file, char **out)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	const char *path = getenv("PATH");
	char envpath[PATH_MAX + 8];
	snprintf(envpath, sizeof(envpath), "PATH=%s",
		 path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	char *const envp[] = { envpath, "LC_ALL=C", "GIT_CONFIG_NOSYSTEM=1",
			       "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CEILING_DIRECTORIES=/",
			       "HOME=/nonexistent", NULL };
	char *const argv[] = { "git", "--no-pager", "config", "--file", (char *)file,
			       "--no-includes", "--list", "-z", NULL };
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int null = open("/dev/null", O_RDWR);
		if (dup2(p[1], 1) < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 2) < 0 ||
		    chdir("/") < 0)
			_exit(127);
		execvpe("git", argv, envp);
		_exit(127);
	}
	close(p[1]);
	size_t n = 0, cap = 0;
	char *buf = NULL;
	for (;;) {
		if (n + 4096 > cap) {
			if (cap >= (1u << 24))
				break;
			char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);
			if (!nb)
				break;
			buf = nb;
		}
		ssize_t r = read(p[0], buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!buf || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		free(buf);
		return -EIO;
	}
	buf[n] = '\0';
	*out = buf;
	return (ssize_t)n;
}

/* A new git directory's config was quarantined: put a config with only its
 * harmless keys in its place, so that the repository keeps working. */
static void replace_config(struct scan *sc, const char *gitdir, const char *qname)
{
	char cfg[PATH_MAX], q[PATH_MAX];
	if (join(cfg, sizeof(cfg), gitdir, "config") < 0 || join(q, sizeof(q), gitdir, qname) < 0)
		return;
	char *list = NULL;
	ssize_t n = git_config_list(q, &list);
	int fd = open(cfg, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		free(list);
		ccsb__report(sc->sb, "could not write a replacement %s: %s", cfg, strerror(errno));
		return;
	}
	size_t kept = 0, dropped = 0;
	fputs("# Written by ccsb: the config the sandbox wrote is beside this file,\n"
	      "# quarantined; only keys that run nothing were kept.\n", f);
	if (n >= 0) {
		write_safe(f, list, (size_t)n, &kept, &dropped);
	} else {
		const char *base = strrchr(gitdir, '/');
		fprintf(f, "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n"
			   "\tbare = %s\n\tlogallrefupdates = true\n",
			base && strcmp(base, "/.git") == 0 ? "false" : "true");
	}
	free(list);
	if (fclose(f) != 0)
		ccsb__report(sc->sb, "could not write a replacement %s", cfg);
	else if (n >= 0)
		ccsb__report(sc->sb, "replaced %s with its %zu harmless key%s (%zu dropped)", cfg, kept,
			     kept == 1 ? "" : "s", dropped);
	else
		ccsb__report(sc->sb, "replaced %s with a minimal config (git could not read the "
				     "quarantined one)", cfg);
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
	DIR *d = opendir(hooks);
	if (!d)
		return;
	struct dirent *e;
	char bad[8][NAME_MAX + 1];
	size_t nbad = 0, live = 0;
	bool all = false;
	while ((e = readdir(d))) {
		if (!hook_name(e->d_name))
			continue;
		live++;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && is_new(&st, &sc->t0)) {
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
	if (read_pointer(file, prefix, base, target, sizeof(target)) < 0)
		return;
	if (realpath(target, real) && root_of(&sc->roots, real))
		check_gitdir(sc, real, depth + 1);
	else if (new_pointer)
		ccsb__report(sc->sb, "changed during the run: %s (points git at %s)", file, target);
}

static void check_gitdir(struct scan *sc, const char *gitdir, int depth)
{
	char real[PATH_MAX], p[PATH_MAX];
	if (depth > GUARD_MAX_DEPTH || !realpath(gitdir, real) || !root_of(&sc->roots, real) ||
	    seen_add(&sc->seen, &sc->nseen, &sc->capseen, real, &sc->oom))
		return;
	struct stat st;
	if (join(p, sizeof(p), real, "config") == 0 && lstat(p, &st) == 0 && is_new(&st, &sc->t0)) {
		char q[NAME_MAX + 1];
		int r = quarantine(sc, real, "config", q, sizeof(q));
		if (r < 0) {
			ccsb__report(sc->sb, "NOT quarantined (rename failed: %s): %s (git config "
					     "written during the run); do not run git there before "
					     "removing it",
				     strerror(-r), p);
		} else {
			ccsb__report(sc->sb, "quarantined: %s -> %s (git config written during the run)",
				     p, q);
			if (S_ISREG(st.st_mode))
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
		ccsb__report(sc->sb, "changed during the run: %s (selects git's filter and diff "
				     "drivers)", p);
	if (join(p, sizeof(p), real, "rebase-merge/git-rebase-todo") == 0 && lstat(p, &st) == 0 &&
	    is_new(&st, &sc->t0))
		ccsb__report(sc->sb, "left during the run: %s ('git rebase --continue' runs its "
				     "exec lines)", p);
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
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		(*budget)--;
		found = join(p, sizeof(p), path, e->d_name) == 0 && tree_new(sc, p, depth + 1, budget);
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
			if (realpath(p, real))
				check_gitdir(sc, real, 0);
			if (is_new(&st, &sc->t0))
				ccsb__report(sc->sb, "changed during the run: %s (a symbolic link)", p);
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
				quarantine_report(sc, p, dirs[i],
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
		if (strcmp(name, implicit[i].name) == 0 && lstat(p, &st) == 0 && is_new(&st, &sc->t0))
			ccsb__report(sc->sb, "changed during the run: %s (%s)", p, implicit[i].why);
	if (type == DT_DIR && (strcmp(name, ".vscode") == 0 || strcmp(name, ".husky") == 0 ||
			       strcmp(name, ".githooks") == 0)) {
		DIR *d = opendir(p);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			bool vscode = name[1] == 'v';
			if (e->d_name[0] == '.' || (vscode && strcmp(e->d_name, "settings.json") &&
						    strcmp(e->d_name, "tasks.json") &&
						    strcmp(e->d_name, "launch.json")))
				continue;
			if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    is_new(&st, &sc->t0))
				ccsb__report(sc->sb, "changed during the run: %s/%s (%s)", p, e->d_name,
					     vscode ? "VS Code acts on it when the folder is opened"
						    : "git hooks when core.hooksPath names it");
		}
		if (d)
			closedir(d);
	}
}

struct queue {
	char **v;
	size_t head, n, cap;
};

/* `dir`/`name`, or `dir` itself when `name` is NULL. */
static bool enqueue(struct queue *q, const char *dir, const char *name)
{
	if (q->n == q->cap) {
		size_t nc = q->cap ? q->cap * 2 : 1024;
		char **nv = reallocarray(q->v, nc, sizeof(*nv));
		if (!nv)
			return false;
		q->v = nv;
		q->cap = nc;
	}
	char *s = NULL;
	if (!name)
		s = strdup(dir);
	else if (asprintf(&s, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name) < 0)
		s = NULL;
	if (!s)
		return false;
	q->v[q->n++] = s;
	return true;
}

static bool over_budget(struct scan *sc)
{
	if (sc->entries >= sc->max)
		return true;
	if (sc->entries % 4096 == 0) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > sc->deadline.tv_sec)
			return true;
	}
	return false;
}

/* One directory: its entries (getdents via readdir, d_type, no stat per
 * file), the names that matter, its subdirectories queued. */
static void scan_dir(struct scan *sc, struct queue *q, const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	bool head = false, objects = false, refs = false, commondir = false;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2])))
			continue;
		sc->entries++;
		unsigned char type = e->d_type;
		if (type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(fd, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
		}
		if (type == DT_DIR && !enqueue(q, path, n))
			sc->oom = true;
		head |= strcmp(n, "HEAD") == 0;
		objects |= type == DT_DIR && strcmp(n, "objects") == 0;
		refs |= type == DT_DIR && strcmp(n, "refs") == 0;
		commondir |= type != DT_DIR && strcmp(n, "commondir") == 0;
		if (n[0] == '.')
			check_names(sc, path, n, type);
	}
	closedir(d);
	if (head && ((objects && refs) || commondir))
		check_gitdir(sc, path, 0);
}

static void report_stopped(struct scan *sc, const struct queue *q)
{
	const char *next = q->head < q->n ? q->v[q->head] : "?";
	ccsb__report(sc->sb, "the scan for planted git and Claude Code files stopped after %zu "
			     "entries (limit %zu entries, %d s): %zu directories were not checked, "
			     "from %s on. Before running git or claude there, list what changed "
			     "during the run: find %s -newerct @%lld",
		     sc->entries, sc->max, GUARD_MAX_SECONDS, q->n - q->head, next,
		     sc->roots.n ? sc->roots.v[0].src : "DIR", (long long)sc->t0.tv_sec);
}

static int scan_run(struct scan *sc)
{
	struct tm tm;
	time_t t = sc->t0.tv_sec;
	gmtime_r(&t, &tm);
	strftime(sc->stamp, sizeof(sc->stamp), "%Y%m%dT%H%M%SZ", &tm);
	clock_gettime(CLOCK_MONOTONIC, &sc->deadline);
	sc->deadline.tv_sec += GUARD_MAX_SECONDS;
	struct queue q = { 0 };
	/* Breadth first: the directories people cd into come before the depths
	 * of node_modules, should the bound be reached. Nested binds are
	 * reached through their parent's walk or on their own, once each. */
	for (size_t i = 0; i < sc->roots.n; i++) {
		struct stat st;
		bool nested = false;
		for (size_t k = 0; k < sc->roots.n; k++)
			nested |= k != i && sc->roots.v[k].len < sc->roots.v[i].len &&
				  under(sc->roots.v[i].src, sc->roots.v[k].src, sc->roots.v[k].len);
		for (size_t k = 0; k < i; k++)
			nested |= strcmp(sc->roots.v[k].src, sc->roots.v[i].src) == 0;
		if (nested || stat(sc->roots.v[i].src, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (!enqueue(&q, sc->roots.v[i].src, NULL)) {
			sc->oom = true;
			break;
		}
	}
	while (q.head < q.n && !sc->oom) {
		if (over_budget(sc)) {
			sc->stopped = true;
			report_stopped(sc, &q);
			break;
		}
		scan_dir(sc, &q, q.v[q.head]);
		free(q.v[q.head]);
		q.v[q.head++] = NULL;
	}
	if (sc->oom)
		ccsb__report(sc->sb, "the scan for planted git and Claude Code files ran out of memory: "
				     "find what changed during the run with: find %s -newerct @%lld",
			     sc->roots.n ? sc->roots.v[0].src : "DIR", (long long)sc->t0.tv_sec);
	for (size_t i = q.head; i < q.n; i++)
		free(q.v[i]);
	free(q.v);
	for (size_t i = 0; i < sc->nseen; i++)
		free(sc->seen[i]);
	free(sc->seen);
	return sc->stopped ? -E2BIG : sc->oom ? -ENOMEM : 0;
}

int ccsb__guard_scan(ccsb_sandbox *sb, char *const roots[], size_t nroots,
		     const struct timespec *t0, size_t max_entries)
{
	struct scan sc = { .sb = sb, .t0 = *t0, .max = max_entries ? max_entries : GUARD_MAX_ENTRIES };
	sc.roots.v = calloc(nroots + 1, sizeof(*sc.roots.v));
	if (!sc.roots.v)
		return -ENOMEM;
	for (size_t i = 0; i < nroots; i++) {
		char *real = realpath(roots[i], NULL);
		if (real)
			sc.roots.v[sc.roots.n++] = (struct root){ real, real, strlen(real) };
	}
	int r = scan_run(&sc);
	roots_free(&sc.roots);
	return r;
}

void ccsb__guard_arm(ccsb_sandbox *sb)
{
	clock_gettime(CLOCK_REALTIME_COARSE, &sb->guard_t0);
}

void ccsb__guard_finish(ccsb_sandbox *sb)
{
	if (sb->guard_t0.tv_sec == 0)
		return;
	struct scan sc = { .sb = sb, .t0 = sb->guard_t0, .max = GUARD_MAX_ENTRIES };
	sb->guard_t0.tv_sec = 0;
	if (roots_get(sb, &sc.roots) < 0) {
		ccsb__report(sb, "the scan for planted git and Claude Code files ran out of memory");
		return;
	}
	scan_run(&sc);
	roots_free(&sc.roots);
}
