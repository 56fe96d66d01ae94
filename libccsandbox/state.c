/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Claude Code's state inside the sandbox, and the run's ccsb-state helper.
 *
 * Anything the sandbox can write that the host's Claude Code later runs or
 * obeys is a way out (settings hooks, statusLine scripts, commands, agents,
 * plugins, the legacy launcher in ~/.claude/local, shell snapshots a host
 * session sources...). So ~/.claude is NOT shared read-write: inside, it is
 * a directory of the sandbox's tmpfs home in which
 *  - what Claude Code keeps as data is bound read-write, per project: the
 *    project's own transcripts and memory (~/.claude/projects/KEY, shared
 *    with the host's Claude Code so that a session can be resumed on
 *    either side), and todos, checkpoints, plans and prompt history from
 *    ccsb's store for that project ($XDG_DATA_HOME/ccsb/claude/KEY). The
 *    other projects' transcripts, memory and file backups are not even
 *    visible: they may hold secrets, and anything written there would be
 *    read back by a host session of another project as its own history;
 *  - the login (.credentials.json) is bound read-write (token refreshes);
 *  - the settings files and ~/.claude.json are private copies that
 *    ccsb-state merges back through a safe list of keys;
 *  - pid-keyed and session-local state (sessions/, ide/, shell-snapshots/,
 *    session-env/, backups/) is private to the sandbox: it starts empty and
 *    is lost at exit;
 *  - every other entry of the host's ~/.claude is bound read-only, and
 *    anything new is written to the tmpfs and lost. */
#include "internal.h"
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Data Claude Code writes and reads back, never runs: read-write. The
 * project's transcripts are ~/.claude/projects/KEY; the rest of that
 * directory is hidden. */
static const char *const rw_files[] = { ".credentials.json" };
/* Data of every project mixed in one place on the host (keyed by session,
 * not by project): each project gets its own from ccsb's store, bound once
 * at ~/.claude/.ccsb-project, the directories reached through symbolic
 * links (one mount instead of five: each costs bwrap ~0.3 ms), the prompt
 * history bound as a file of its own (a link would be lost if it were
 * ever replaced by rename). */
static const char *const project_dirs[] = { "todos", "file-history", "plans", "tasks" };
static const char *const project_file = "history.jsonl";
#define PROJECT_STORE ".ccsb-project"
/* Per session, keyed by pid, or sourced by a running session's shell, and
 * Claude Code's caches, logs and telemetry: each sandbox gets its own,
 * empty (they would be read-only binds otherwise, on which Claude Code's
 * writes fail). Nothing here is configuration the user wrote. */
static const char *const private_entries[] = {
	"sessions",
	"ide",
	"shell-snapshots",
	"session-env",
	"backups",
	"debug",
	"cache",
	"statsig",
	"telemetry",
	"startup-perf",
	"usage-data",
	"traces",
	"feedback-bundles",
	"dump-prompts",
	"uploads",
	"shares",
	"jobs",
	"teams",
	".last-cleanup",
	"gh-pr-status-cache.json",
	"mcp-needs-auth-cache.json",
	"daemon.json",
	"daemon.log",
	"daemon.status.json",
	"daemon.scheduled.status.json",
};

struct state_file {
	const char *kind; /* "claude-json" or "settings" */
	char *host, *priv;
	/* The private copy as made (ccsb__state_start()): a write by the
	 * sandbox changes its ctime or size, which the sandbox cannot set. */
	struct timespec made;
	ino_t ino;
	off_t size;
};

struct ccsb_state {
	char *dir; /* the private copies' directory (made at the start of a run) */
	struct state_file f[4];
	size_t nf;
	/* Host paths the defaults make writable (not the project: that is a
	 * read-write mount of the policy). */
	char **writable;
	size_t nwritable;
	/* The last run's ccsb-state once it had reported, still exiting; 0:
	 * none. Reaped by the next run or ccsb__state_free(). */
	pid_t exiting;
};

/* Collect a ccsb-state that has finished exiting; false while it has not. */
static bool reap_exiting(struct ccsb_state *st)
{
	if (st->exiting > 0 && waitpid(st->exiting, NULL, WNOHANG) == 0)
		return false;
	st->exiting = 0;
	return true;
}

void ccsb__state_free(struct ccsb_state *st)
{
	if (!st)
		return;
	reap_exiting(st);
	free(st->dir);
	for (size_t i = 0; i < st->nf; i++) {
		free(st->f[i].host);
		free(st->f[i].priv);
	}
	for (size_t i = 0; i < st->nwritable; i++)
		free(st->writable[i]);
	free(st->writable);
	free(st);
}

static bool in(const char *name, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, v[i]) == 0)
			return true;
	return false;
}

#define N(a) (sizeof(a) / sizeof(*(a)))

static int oom(ccsb_error **err)
{
	return ccsb__err(err, ENOMEM, "out of memory");
}

static int add_writable(struct ccsb_state *st, const char *path)
{
	char **v = reallocarray(st->writable, st->nwritable + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	st->writable = v;
	if (!(v[st->nwritable] = strdup(path)))
		return -ENOMEM;
	st->nwritable++;
	return 0;
}

/* mkdir -p with mode 0700 for what is created. */
static int mkdirs(const char *path, ccsb_error **err)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return ccsb__err(err, ENAMETOOLONG, "path too long: %s", path);
	/* Made by an earlier run, nearly always: one call, not one a
	 * component. */
	if (mkdir(p, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return ccsb__errno(err, errno, "cannot create %s", p);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return ccsb__errno(err, errno, "cannot create %s", p);
		*s = c;
		if (!c)
			break;
	}
	return 0;
}

/* $XDG_CACHE_HOME, or ~/.cache. */
static int cache_home(const char *home, char *out, size_t len)
{
	const char *x = getenv("XDG_CACHE_HOME");
	int n = x && x[0] == '/' ? snprintf(out, len, "%s", x)
				 : snprintf(out, len, "%s/.cache", home);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* $XDG_DATA_HOME, or ~/.local/share. */
static int data_home(const char *home, char *out, size_t len)
{
	const char *x = getenv("XDG_DATA_HOME");
	int n = x && x[0] == '/' ? snprintf(out, len, "%s", x)
				 : snprintf(out, len, "%s/.local/share", home);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Next code point of UTF-8 `s`, decoded as Node.js decodes a path (the
 * WHATWG decoder): each maximal invalid subpart becomes one U+FFFD. */
static uint32_t next_cp(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	int n;
	if (c < 0x80)
		n = 0;
	else if (c >= 0xc2 && c <= 0xdf)
		n = 1;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		n = -1;
	*s = p + 1;
	if (n < 0)
		return 0xfffd;
	c &= 0x7f >> n;
	for (int i = 1; i <= n; i++) {
		if (p[i] < lo || p[i] > hi)
			return 0xfffd; /* p[i] starts the next character */
		lo = 0x80, hi = 0xbf;
		c = c << 6 | (p[i] & 0x3f);
		*s = p + i + 1;
	}
	return c;
}

int ccsb__claude_project_key(const char *path, char *out, size_t len)
{
	/* Claude Code: path.replace(/[^a-zA-Z0-9]/g, "-"), and past 200
	 * UTF-16 code units, the first 200, "-" and the base-36 absolute value
	 * of a 32-bit Java-style string hash of the path. */
	enum {
		MAX = 200
	};
	char key[MAX + 1];
	size_t units = 0;
	int32_t h = 0;
	for (const unsigned char *s = (const unsigned char *)path; *s;) {
		unsigned char a = *s;
		uint32_t c = next_cp(&s);
		uint16_t u[2];
		int nu = 1;
		u[0] = (uint16_t)c;
		if (c >= 0x10000) {
			u[0] = (uint16_t)(0xd800 + ((c - 0x10000) >> 10));
			u[1] = (uint16_t)(0xdc00 + ((c - 0x10000) & 0x3ff));
			nu = 2;
		}
		for (int i = 0; i < nu; i++) {
			h = (int32_t)((uint32_t)h * 31u + u[i]);
			if (units < MAX)
				key[units] = c < 0x80 && (isdigit(a) ||
							  ((a | 0x20) >= 'a' && (a | 0x20) <= 'z'))
						     ? (char)a
						     : '-';
			units++;
		}
	}
	key[units < MAX ? units : MAX] = '\0';
	int n;
	if (units <= MAX) {
		n = snprintf(out, len, "%s", key);
	} else {
		char b36[16];
		int64_t v = h < 0 ? -(int64_t)h : h;
		size_t i = sizeof(b36) - 1;
		b36[i] = '\0';
		do {
			b36[--i] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
			v /= 36;
		} while (v);
		n = snprintf(out, len, "%s-%s", key, b36 + i);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Where the private copies live while a run lasts: the user's runtime
 * directory (a tmpfs only they can enter) when there is one. */
static int private_dir(const char *home, char *out, size_t len)
{
	static unsigned counter;
	const char *x = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	char base[PATH_MAX];
	if (x && x[0] == '/' && stat(x, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
	    !(st.st_mode & 077))
		snprintf(base, sizeof(base), "%s/ccsb", x);
	else if (cache_home(home, base, sizeof(base) - 8) == 0)
		strcat(base, "/ccsb");
	else
		return -ENAMETOOLONG;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int n = snprintf(out, len, "%s/state-%ld-%u-%lx", base, (long)getpid(), counter++,
			 (unsigned long)ts.tv_nsec);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int add_copy(ccsb_sandbox *sb, struct ccsb_state *st, const char *kind, const char *host,
		    const char *name, const char *inside, ccsb_error **err)
{
	char real[PATH_MAX], priv[PATH_MAX];
	/* A symlink the user made (dotfiles) is followed: the merge replaces
	 * its target, not the link. */
	const char *h = ccsb__realpath(host, real) ? real : host;
	snprintf(priv, sizeof(priv), "%s/%s", st->dir, name);
	struct state_file *f = &st->f[st->nf];
	f->kind = kind;
	f->host = strdup(h);
	f->priv = strdup(priv);
	st->nf++;
	if (!f->host || !f->priv)
		return oom(err);
	/* -try: a command printed by ccsb --print runs without ccsb-state,
	 * and then without the copies (a run checks that they exist). */
	return ccsb_sandbox_add_bind(sb, priv, inside, CCSB_BIND_RW | CCSB_BIND_TRY, err);
}

/* Create data file or directory `path` (mode 0600/0700) if missing. */
static int create_data(const char *path, bool dir, ccsb_error **err)
{
	if (dir) {
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return ccsb__errno(err, errno, "cannot create %s", path);
		return 0;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST)
		return ccsb__errno(err, errno, "cannot create %s", path);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Bind data entry `src` (created when missing) read-write at `dst`. It
 * must be what it should be, never a symbolic link: the host follows none
 * of them here. */
static int bind_data(ccsb_sandbox *sb, struct ccsb_state *st, const char *src, const char *dst,
		     bool dir, ccsb_error **err)
{
	struct stat s;
	int r = create_data(src, dir, err);
	if (r < 0)
		return r;
	if (lstat(src, &s) < 0)
		return ccsb__errno(err, errno, "cannot read %s", src);
	if (dir ? !S_ISDIR(s.st_mode) : !S_ISREG(s.st_mode))
		return ccsb__err(err, EEXIST, "%s is not a %s: move it away and run again", src,
				 dir ? "directory" : "regular file");
	if (add_writable(st, src) < 0)
		return oom(err);
	return ccsb_sandbox_add_bind(sb, src, dst, CCSB_BIND_RW, err);
}

/* The project's own data: its transcripts and memory in the host's
 * ~/.claude/projects/KEY, the rest from ccsb's store for the project. */
static int bind_project_data(ccsb_sandbox *sb, struct ccsb_state *st, const char *home,
			     const char *cdir, const char *dest, ccsb_error **err)
{
	char key[256], store[PATH_MAX], src[PATH_MAX + 512], dst[PATH_MAX + 512];
	if (ccsb__claude_project_key(sb->cwd ? sb->cwd : "/", key, sizeof(key)) < 0 ||
	    data_home(home, store, sizeof(store)) < 0 ||
	    strlen(store) + strlen(key) + 32 >= sizeof(store))
		return ccsb__err(err, ENAMETOOLONG, "path too long for the project's Claude data");
	strcat(strcat(store, "/ccsb/claude/"), key);
	snprintf(src, sizeof(src), "%s/projects", cdir);
	int r = create_data(src, true, err);
	snprintf(src, sizeof(src), "%s/projects/%s", cdir, key);
	snprintf(dst, sizeof(dst), "%s/projects/%s", dest, key);
	if (r == 0)
		r = bind_data(sb, st, src, dst, true, err);
	if (r == 0)
		r = mkdirs(store, err);
	/* Each entry is checked on the host (a directory or a file, never a
	 * link the sandbox planted), then reached inside through the store's
	 * one bind. */
	for (size_t i = 0; r == 0 && i < N(project_dirs); i++) {
		struct stat s;
		snprintf(src, sizeof(src), "%s/%s", store, project_dirs[i]);
		r = create_data(src, true, err);
		if (r == 0 && (lstat(src, &s) < 0 || !S_ISDIR(s.st_mode)))
			r = ccsb__err(err, EEXIST,
				      "%s is not a directory: move it away and run again", src);
		snprintf(dst, sizeof(dst), "%s/%s", dest, project_dirs[i]);
		snprintf(src, sizeof(src), PROJECT_STORE "/%s", project_dirs[i]);
		if (r == 0)
			r = ccsb_sandbox_add_symlink(sb, src, dst, err);
	}
	snprintf(dst, sizeof(dst), "%s/" PROJECT_STORE, dest);
	if (r == 0)
		r = bind_data(sb, st, store, dst, true, err);
	snprintf(src, sizeof(src), "%s/%s", store, project_file);
	snprintf(dst, sizeof(dst), "%s/%s", dest, project_file);
	if (r == 0)
		r = bind_data(sb, st, src, dst, false, err);
	return r;
}

static int bind_entry(ccsb_sandbox *sb, struct ccsb_state *st, const char *cdir, const char *dest,
		      const char *name, ccsb_error **err)
{
	char src[PATH_MAX], dst[PATH_MAX];
	snprintf(src, sizeof(src), "%s/%s", cdir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dest, name);
	struct stat s;
	bool rwf = in(name, rw_files, N(rw_files));
	if (rwf && lstat(src, &s) < 0 && errno == ENOENT) {
		/* Created now so that what is written inside persists. */
		int r = create_data(src, false, err);
		if (r < 0)
			return r;
	}
	if (lstat(src, &s) < 0)
		return 0;
	if (S_ISLNK(s.st_mode)) {
		/* Never followed on the host (it may have been planted to
		 * reach a secret); inside it points where it points. */
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		if (n <= 0)
			return 0;
		target[n] = '\0';
		return ccsb_sandbox_add_symlink(sb, target, dst, err);
	}
	if (!S_ISDIR(s.st_mode) && !S_ISREG(s.st_mode))
		return 0;
	bool rw = rwf && S_ISREG(s.st_mode);
	if (rw && add_writable(st, src) < 0)
		return oom(err);
	return ccsb_sandbox_add_bind(sb, src, dst, rw ? CCSB_BIND_RW : CCSB_BIND_RO, err);
}

static int only_entries(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* Claude Code's global configuration: ~/.claude.json, or beside its
 * settings with CLAUDE_CONFIG_DIR, or a legacy .config.json there (created
 * with {} when there is none). Its host path into gpath, its path inside
 * into ginside; *gname is its name in cdir, if it is there. */
static int global_config(const ccsb_sandbox *sb, const char *home, const char *cdir,
			 const char *dest, bool custom, char *gpath, char *ginside, size_t len,
			 const char **gname, ccsb_error **err)
{
	struct stat s;
	snprintf(gpath, len, "%s/.config.json", cdir);
	snprintf(ginside, len, "%s/.config.json", dest);
	*gname = ".config.json";
	if (lstat(gpath, &s) == 0)
		return 0;
	*gname = ".claude.json";
	snprintf(gpath, len, "%s/.claude.json", custom ? cdir : home);
	snprintf(ginside, len, "%s/.claude.json", custom ? dest : sb->home);
	int fd = open(gpath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST)
		return ccsb__errno(err, errno, "cannot create %s", gpath);
	if (fd >= 0) {
		ssize_t w = write(fd, "{}\n", 3);
		int e = errno;
		close(fd);
		if (w != 3)
			return ccsb__errno(err, w < 0 ? e : EIO, "cannot write %s", gpath);
	}
	return 0;
}

/* The private copies of ~/.claude.json and the settings files. */
static int add_copies(ccsb_sandbox *sb, struct ccsb_state *st, const char *cdir, const char *dest,
		      const char *gpath, const char *ginside, ccsb_error **err)
{
	char sp[PATH_MAX + 32], si[PATH_MAX + 32];
	struct stat s;
	int r = add_copy(sb, st, "claude-json", gpath, "claude.json", ginside, err);
	snprintf(sp, sizeof(sp), "%s/settings.json", cdir);
	snprintf(si, sizeof(si), "%s/settings.json", dest);
	if (r == 0)
		r = add_copy(sb, st, "settings", sp, "settings.json", si, err);
	snprintf(sp, sizeof(sp), "%s/settings.local.json", cdir);
	snprintf(si, sizeof(si), "%s/settings.local.json", dest);
	if (r == 0 && lstat(sp, &s) == 0)
		r = add_copy(sb, st, "settings", sp, "settings.local.json", si, err);
	return r;
}

/* Every other entry of ~/.claude: read-only, unless it is one of the
 * entries handled on their own. */
static int bind_others(ccsb_sandbox *sb, struct ccsb_state *st, const char *cdir, const char *dest,
		       const char *gname, ccsb_error **err)
{
	struct dirent **names = NULL;
	int r = 0, n = scandir(cdir, &names, only_entries, alphasort);
	if (n < 0)
		return ccsb__errno(err, errno, "cannot read %s", cdir);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		bool skip = strcmp(name, "settings.json") == 0 ||
			    strcmp(name, "settings.local.json") == 0 || strcmp(name, gname) == 0 ||
			    strcmp(name, "projects") == 0 ||
			    in(name, private_entries, N(private_entries)) ||
			    in(name, project_dirs, N(project_dirs)) ||
			    strcmp(name, project_file) == 0 || strcmp(name, PROJECT_STORE) == 0 ||
			    in(name, rw_files, N(rw_files));
		if (r == 0 && !skip)
			r = bind_entry(sb, st, cdir, dest, name, err);
		free(names[i]);
	}
	free(names);
	return r;
}

/* npm's cache, the sandbox's own: a host npx runs what it finds in
 * ~/.npm/_npx, so the host's cache is never shared. Persistent so that
 * installs inside stay fast. */
static int bind_npm_cache(ccsb_sandbox *sb, struct ccsb_state *st, const char *home,
			  ccsb_error **err)
{
	char cache[PATH_MAX], inside[PATH_MAX + 8];
	if (cache_home(home, cache, sizeof(cache) - 16) < 0)
		return ccsb__err(err, ENAMETOOLONG, "cache directory path too long");
	strcat(cache, "/ccsb/npm");
	snprintf(inside, sizeof(inside), "%s/.npm", sb->home);
	int r = mkdirs(cache, err);
	if (r == 0 && add_writable(st, cache) < 0)
		r = oom(err);
	if (r == 0)
		r = ccsb_sandbox_add_bind(sb, cache, inside, CCSB_BIND_RW, err);
	return r;
}

int ccsb__add_claude_state(ccsb_sandbox *sb, const char *home, ccsb_error **err)
{
	char cdir[PATH_MAX], p[PATH_MAX], dest[PATH_MAX], gpath[PATH_MAX + 32],
		ginside[PATH_MAX + 32];
	const char *cfg = getenv("CLAUDE_CONFIG_DIR"), *gname;
	bool custom = cfg && *cfg;
	if (custom && cfg[0] != '/')
		return ccsb__err(err, EINVAL, "CLAUDE_CONFIG_DIR=%s: must be an absolute path",
				 cfg);
	snprintf(p, sizeof(p), "%s/.claude", home);
	if (custom)
		snprintf(p, sizeof(p), "%s", cfg);
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return ccsb__errno(err, errno, "cannot create %s", p);
	if (!ccsb__realpath(p, cdir))
		return ccsb__errno(err, errno, "cannot resolve %s", p);
	struct stat s;
	if (stat(cdir, &s) < 0 || !S_ISDIR(s.st_mode))
		return ccsb__err(err, ENOTDIR, "%s is not a directory", p);
	snprintf(dest, sizeof(dest), "%s/.claude", sb->home);
	int r = global_config(sb, home, cdir, dest, custom, gpath, ginside, sizeof(gpath), &gname,
			      err);
	if (r < 0)
		return r;

	struct ccsb_state *st = calloc(1, sizeof(*st));
	if (!st)
		return oom(err);
	ccsb__state_free(sb->state);
	sb->state = st;
	char dir[PATH_MAX];
	if (private_dir(home, dir, sizeof(dir)) < 0 || !(st->dir = strdup(dir)))
		return oom(err);

	r = add_copies(sb, st, cdir, dest, gpath, ginside, err);
	if (r == 0)
		r = bind_others(sb, st, cdir, dest, gname, err);
	if (r == 0)
		r = bind_project_data(sb, st, home, cdir, dest, err);
	for (size_t i = 0; r == 0 && i < N(rw_files); i++)
		r = bind_entry(sb, st, cdir, dest, rw_files[i], err);
	if (r == 0 && custom)
		r = ccsb_sandbox_env_set(sb, "CLAUDE_CONFIG_DIR", dest, err);
	if (r == 0)
		r = bind_npm_cache(sb, st, home, err);
	return r;
}

size_t ccsb__state_writable(const ccsb_sandbox *sb, const char *const **v)
{
	*v = sb->state ? (const char *const *)sb->state->writable : NULL;
	return sb->state ? sb->state->nwritable : 0;
}

/* ---- the helper during a run ----------------------------------------- */

void ccsb__state_run_init(struct ccsb_state_run *run)
{
	run->pid = -1;
	run->ready_fd = -1;
	run->exit_fd = -1;
	run->report_fd = -1;
	run->made = false;
}

/* ccsb-state's own limit on Claude Code's files (MAX_BYTES there). */
#define MAX_COPY (64u << 20)

/* The private copy of `host` (or {} when it is missing): byte for byte what
 * ccsb-state's setup() writes, so the sandbox sees the same file. */
static int copy_one(const char *host, const char *priv, ccsb_error **err)
{
	static const char empty[] = "{}\n";
	int in = open(host, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (in < 0 && errno != ENOENT)
		return ccsb__err(err, EIO, "Claude Code's state: cannot read %s: %s", host,
				 strerror(errno));
	struct stat st;
	if (in >= 0 && (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_COPY)) {
		close(in);
		return ccsb__err(err, EIO, "Claude Code's state: cannot read %s: %s", host,
				 strerror(EFBIG));
	}
	int out = open(priv, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int e = out < 0 || fchmod(out, 0600) < 0 ? errno : 0;
	bool rd = false; /* the error is the host file's */
	if (!e && in < 0 && write(out, empty, 3) != 3)
		e = errno ? errno : EIO;
	char buf[65536];
	for (size_t total = 0; !e && in >= 0;) {
		ssize_t k = CCSB_RETRY(read(in, buf, sizeof(buf)));
		if (k == 0)
			break;
		if (k < 0 || (total += (size_t)k) > MAX_COPY) {
			e = k < 0 ? errno : EFBIG;
			rd = true;
			break;
		}
		for (ssize_t off = 0; off < k && !e;) {
			ssize_t w = CCSB_RETRY(write(out, buf + off, (size_t)(k - off)));
			if (w <= 0)
				e = w < 0 ? errno : EIO;
			else
				off += w;
		}
	}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && !e)
		e = errno;
	if (e)
		return ccsb__err(err, EIO, "Claude Code's state: cannot %s %s: %s",
				 rd ? "read" : "write", rd ? host : priv, strerror(e));
	return 0;
}

static void remove_copies(const struct ccsb_state *st)
{
	for (size_t i = 0; i < st->nf; i++)
		unlink(st->f[i].priv);
	rmdir(st->dir);
}

/* The private directory (0700, in a 0700 parent) and the copies, made here
 * rather than by ccsb-state: bwrap needs them as bind sources when it is
 * spawned, and the helper's exec need not be on that path. */
static int make_copies(struct ccsb_state *st, ccsb_error **err)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", st->dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0700) < 0 && errno != EEXIST)
			return ccsb__err(err, EIO, "Claude Code's state: cannot create %s: %s",
					 parent, strerror(errno));
	}
	if (mkdir(st->dir, 0700) < 0)
		return ccsb__err(err, EIO, "Claude Code's state: cannot create %s: %s", st->dir,
				 strerror(errno));
	for (size_t i = 0; i < st->nf; i++) {
		int r = copy_one(st->f[i].host, st->f[i].priv, err);
		if (r < 0) {
			remove_copies(st);
			return r;
		}
		struct stat s;
		struct state_file *f = &st->f[i];
		f->made = (struct timespec){ 0, 0 };
		if (stat(f->priv, &s) == 0) {
			f->made = s.st_ctim;
			f->ino = s.st_ino;
			f->size = s.st_size;
		}
	}
	return 0;
}

/* No private copy was written since it was made: the last merge has nothing
 * to do. */
static bool untouched(const struct ccsb_state *st)
{
	for (size_t i = 0; i < st->nf; i++) {
		const struct state_file *f = &st->f[i];
		struct stat s;
		if (f->made.tv_sec == 0 || stat(f->priv, &s) < 0 || s.st_ino != f->ino ||
		    s.st_size != f->size || s.st_ctim.tv_sec != f->made.tv_sec ||
		    s.st_ctim.tv_nsec != f->made.tv_nsec)
			return false;
	}
	return true;
}

/* ccsb-state's command line: --dir, the fds, --copied, a --project per
 * read-write bind at its own path, three words per file. Borrowed strings;
 * free() the array only. */
static char **helper_argv(const ccsb_sandbox *sb, const struct ccsb_state *st, char *helper)
{
	size_t cap = 13 + 2 * sb->nmounts + 3 * st->nf;
	char **argv = calloc(cap, sizeof(*argv));
	if (!argv)
		return NULL;
	size_t n = 0;
	argv[n++] = helper;
	argv[n++] = (char *)"--dir";
	argv[n++] = st->dir;
	argv[n++] = (char *)"--ready-fd=3";
	argv[n++] = (char *)"--exit-fd=4";
	argv[n++] = (char *)"--report-fd=5";
	argv[n++] = (char *)"--copied";
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (m->kind == CCSB_M_BIND && (m->flags & CCSB_BIND_RW) &&
		    strcmp(m->src, m->dest) == 0) {
			argv[n++] = (char *)"--project";
			argv[n++] = m->src;
		}
	}
	for (size_t i = 0; i < st->nf; i++) {
		argv[n++] = (char *)st->f[i].kind;
		argv[n++] = st->f[i].host;
		argv[n++] = st->f[i].priv;
	}
	argv[n] = NULL;
	return argv;
}

int ccsb__state_start(ccsb_sandbox *sb, struct ccsb_state_run *run, ccsb_error **err)
{
	struct ccsb_state *st = sb->state;
	ccsb__state_run_init(run);
	if (!st || st->nf == 0)
		return 0;
	/* Runs back to back: the last one's helper is collected, not lost. */
	if (!reap_exiting(st)) {
		CCSB_RETRY(waitpid(st->exiting, NULL, 0));
		st->exiting = 0;
	}
	int r = make_copies(st, err);
	if (r < 0)
		return r;
	run->made = true;
	return 0;
}

int ccsb__state_spawn(ccsb_sandbox *sb, struct ccsb_state_run *run, ccsb_error **err)
{
	struct ccsb_state *st = sb->state;
	if (!st || !run->made || run->pid > 0)
		return 0;
	char helper[PATH_MAX];
	(void)ccsb__helper_path(sb, CCSB_HELPER_STATE, helper, sizeof(helper));
	int r = 0;
	int ready[2] = { -1, -1 }, ex[2] = { -1, -1 }, rep[2] = { -1, -1 }, nul = -1;
	char **argv = helper_argv(sb, st, helper);
	if (!argv) {
		r = oom(err);
		goto out;
	}

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		r = ccsb__errno(err, errno, "cannot create pipes");
		goto out;
	}
	/* It speaks through 3-5 only, and may outlive the run by a few ms: it
	 * must not hold the caller's stdout or stderr, which a pipe reader (an
	 * agent harness, $(...)) waits to see closed. Its own process group: a
	 * ^C for the command must not cut the last merge short. */
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul < 0) {
		r = ccsb__errno(err, errno, "cannot open /dev/null");
		goto out;
	}
	const struct ccsb_fdmap map[] = { { nul, 0 },	   { nul, 1 },	 { nul, 2 },
					  { ready[1], 3 }, { ex[0], 4 }, { rep[1], 5 } };
	const struct ccsb_spawn sp = {
		.path = helper, .argv = argv, .fds = map, .nfds = N(map), .setpgrp = true
	};
	pid_t pid;
	int pidfd = -1;
	r = ccsb__spawn(&sp, &pid, &pidfd);
	ccsb__close_fd(&pidfd);
	if (r < 0) {
		r = ccsb__errno(err, -r, "Claude Code's state: cannot run %s", helper);
		goto out;
	}
	/* Not waited for here: ccsb__state_ready(), before the release. */
	run->pid = pid;
	run->ready_fd = ready[0];
	run->exit_fd = ex[1];
	run->report_fd = rep[0];
	ready[0] = ex[1] = rep[0] = -1;
out:
	free(argv);
	int all[] = { ready[0], ready[1], ex[0], ex[1], rep[0], rep[1], nul };
	for (size_t i = 0; i < N(all); i++)
		if (all[i] >= 0)
			close(all[i]);
	if (r < 0) {
		remove_copies(st);
		run->made = false;
	}
	return r;
}

int ccsb__state_ready(struct ccsb_state_run *run, ccsb_error **err)
{
	if (run->ready_fd < 0)
		return 0;
	char msg[512];
	size_t got = 0;
	for (;;) {
		ssize_t k = CCSB_RETRY(read(run->ready_fd, msg + got, sizeof(msg) - 1 - got));
		if (k <= 0)
			break;
		got += (size_t)k;
		if (msg[0] == 'R' || got == sizeof(msg) - 1)
			break;
	}
	msg[got] = '\0';
	close(run->ready_fd);
	run->ready_fd = -1;
	if (got && msg[0] == 'R')
		return 0;
	/* It exits (or has): ccsb__state_finish() collects it. */
	close(run->exit_fd);
	run->exit_fd = -1;
	msg[strcspn(msg, "\n")] = '\0';
	return ccsb__err(err, EIO, "Claude Code's state: %s", got ? msg : "ccsb-state failed");
}

void ccsb__state_finish(ccsb_sandbox *sb, struct ccsb_state_run *run)
{
	if (run->ready_fd >= 0)
		close(run->ready_fd);
	run->ready_fd = -1;
	if (run->pid > 0 && sb->state && run->report_fd >= 0 && untouched(sb->state)) {
		/* The sandbox wrote none of the copies: nothing to merge or
		 * report, so the run does not wait for the helper to see the
		 * EOF and exit. The copies are removed now, as they would be
		 * after a wait (the helper's own removal then finds none). */
		if (run->exit_fd >= 0)
			close(run->exit_fd);
		close(run->report_fd);
		run->exit_fd = run->report_fd = -1;
		if (waitpid(run->pid, NULL, WNOHANG) == 0)
			sb->state->exiting = run->pid;
		run->pid = -1;
		if (run->made)
			remove_copies(sb->state);
		run->made = false;
		return;
	}
	if (run->pid > 0) {
		/* EOF: the last merge, then the report, then it exits. */
		if (run->exit_fd >= 0)
			close(run->exit_fd);
		run->exit_fd = -1;
		FILE *f = fdopen(run->report_fd, "r");
		if (f) {
			char *line = NULL;
			size_t cap = 0;
			ssize_t k;
			while ((k = getline(&line, &cap, f)) > 0) {
				line[strcspn(line, "\n")] = '\0';
				ccsb__report(sb, "%s", line);
			}
			free(line);
			fclose(f);
		} else {
			close(run->report_fd);
		}
		run->report_fd = -1;
		/* The report's EOF comes after the last merge and the removal
		 * of the copies: all its work is done. Its exit is not waited
		 * for: a process with an inotify instance takes ~12 ms to exit
		 * (the kernel waits for an SRCU grace period), which would be
		 * a third of a cold start. */
		if (sb->state && waitpid(run->pid, NULL, WNOHANG) == 0)
			sb->state->exiting = run->pid;
		else if (!sb->state)
			CCSB_RETRY(waitpid(run->pid, NULL, 0));
		run->pid = -1;
	}
	/* ccsb-state removes them itself; not when it never came up. */
	if (run->made && sb->state)
		remove_copies(sb->state);
	run->made = false;
}
