/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccsandbox.h"

/* Far more than any hand-written configuration; a bigger file is a mistake. */
#define CONFIG_MAX_BYTES (1u << 20)
#define MAX_SYMLINKS 40

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* One line: `key` and `val` are trimmed and not empty. */
static int parse_line(struct cli *c, const char *key, const char *val, const char *home,
		      const char *where, char *errbuf, size_t len)
{
	const struct cli_option *o = cli_option_find(key);
	if (!o || (o->where & CLI_HIDDEN) || !(o->where & CLI_CONFIG)) {
		const char *near = cli_suggest(key, CLI_CONFIG);
		if (o && !(o->where & CLI_HIDDEN))
			return cli_fail(errbuf, len,
					"%s: '%s' is a command-line option only; remove the line",
					where, key);
		if (near)
			return cli_fail(
				errbuf, len,
				"%s: unknown key '%s'; did you mean '%s'? (the keys are the "
				"long options of ccsb --help)",
				where, key, near);
		return cli_fail(
			errbuf, len,
			"%s: unknown key '%s'; the keys are the long options of ccsb --help", where,
			key);
	}
	return cli_apply(c, o, val, CLI_SRC_CONFIG, home, where, errbuf, len);
}

int config_parse(const char *buf, size_t len, const char *name, const char *home, struct cli *out,
		 char *errbuf, size_t errlen)
{
	cli_init(out);
	errbuf[0] = '\0';
	const char *p = buf, *end = buf + len;
	for (size_t lineno = 1; p < end; lineno++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char where[PATH_MAX + 32];
		snprintf(where, sizeof(where), "%s:%zu", name, lineno);
		if (memchr(p, '\0', n)) {
			cli_fail(errbuf, errlen, "%s: NUL byte in line", where);
			goto fail;
		}
		char *line = strndup(p, n);
		if (!line) {
			cli_fail(errbuf, errlen, "out of memory");
			goto fail;
		}
		p = nl ? nl + 1 : end;

		char *s = line, *e = line + n;
		while (is_space(*s))
			s++;
		while (e > s && is_space(e[-1]))
			*--e = '\0';
		/* Only whole-line comments: a value (an env value) may hold '#'. */
		if (*s == '\0' || *s == '#') {
			free(line);
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			cli_fail(errbuf, errlen, "%s: expected 'key = value', got '%s'", where, s);
			free(line);
			goto fail;
		}
		char *k = eq;
		while (k > s && is_space(k[-1]))
			k--;
		*k = '\0';
		char *v = eq + 1;
		while (is_space(*v))
			v++;
		int r;
		if (*s == '\0')
			r = cli_fail(errbuf, errlen, "%s: missing key before '='", where);
		else if (*v == '\0')
			r = cli_fail(errbuf, errlen, "%s: missing value for '%s'", where, s);
		else
			r = parse_line(out, s, v, home, where, errbuf, errlen);
		free(line);
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	cli_free(out);
	return -1;
}

int config_merge(struct cli *c, struct cli *conf, char *errbuf, size_t errlen)
{
	/* The command line's options again, over the file's: lists get the
	 * file's entries first, a value given on both comes from the command
	 * line, as each handler applies it. */
	struct cli n = *conf;
	cli_init(conf);
	for (size_t i = 0; i < c->nitems; i++) {
		if (cli_apply(&n, c->items[i].opt, c->items[i].val, CLI_SRC_ARGV, NULL, NULL,
			      errbuf, errlen) < 0) {
			cli_free(&n);
			return -1;
		}
	}
	/* An --allow or --allow-file on the command line implies the allowlist,
	 * as it does without a configuration. */
	if (c->net < 0 && (c->nallow || c->nallow_files))
		n.net = CCSB_NET_ALLOWLIST;
	n.action = c->action;
	n.cmd = c->cmd;
	n.dashdash = c->dashdash;
	n.items = c->items;
	n.nitems = c->nitems;
	c->items = NULL;
	c->nitems = 0;
	cli_free(c);
	*c = n;
	return 0;
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && h[0] == '/')
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

int config_path(char *out, size_t len)
{
	const char *x = getenv("XDG_CONFIG_HOME");
	int n;
	if (x && x[0] == '/') {
		n = snprintf(out, len, "%s/ccsb/config", x);
	} else {
		const char *h = home_dir();
		if (!h)
			return -1;
		n = snprintf(out, len, "%s/.config/ccsb/config", h);
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* `path` is `root` or lies below it. */
static bool below(const char *path, const char *root)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/')
		return true;
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* config_check_path(), or with `hit`: instead of refusing, stop at the
 * first entry strictly below a root (its index in *hit_root) and return 2. */
static int walk_path(const char *path, const char *const *roots, size_t nroots, const char *what,
		     char *resolved, char *hit, size_t *hit_root, char *errbuf, size_t errlen)
{
	/* `todo` holds what remains to resolve; a symlink's target is put in
	 * front of it. `res` is the physical path resolved so far. */
	char todo[2 * PATH_MAX], res[PATH_MAX], entry[PATH_MAX], target[PATH_MAX];
	int links = 0;
	if (path[0] != '/')
		return cli_fail(errbuf, errlen, "%s: not an absolute path", what);
	if (strlen(path) >= sizeof(todo))
		return cli_fail(errbuf, errlen, "%s: path too long", what);
	strcpy(todo, path);
	res[0] = '\0';
	char *p = todo;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			if (n == 2) {
				char *last = strrchr(res, '/');
				if (last)
					*last = '\0';
			}
			p += n;
			continue;
		}
		int m = snprintf(entry, sizeof(entry), "%s/%.*s", res, (int)n, p);
		if (m < 0 || (size_t)m >= sizeof(entry))
			return cli_fail(errbuf, errlen, "%s: path too long", what);
		p += n;
		/* Walking from the top, the first entry found below a root is the
		 * root itself. */
		for (size_t i = 0; i < nroots; i++) {
			if (hit && below(entry, roots[i]) && strcmp(entry, roots[i]) != 0) {
				strcpy(hit, entry);
				*hit_root = i;
				return 2;
			}
			if (!hit && below(entry, roots[i]))
				return cli_fail(errbuf, errlen,
						"%s: refusing to read it: the sandbox can write %s "
						"(shared read-write), so a sandboxed agent could "
						"loosen its own next sandbox; keep it outside the "
						"project, ~/.claude, ~/.npm and ~/.claude.json",
						what, entry);
		}
		struct stat st;
		if (lstat(entry, &st) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				return 1;
			return cli_fail(errbuf, errlen, "%s: %s: %s", what, entry, strerror(errno));
		}
		if (!S_ISLNK(st.st_mode)) {
			strcpy(res, entry);
			continue;
		}
		if (++links > MAX_SYMLINKS)
			return cli_fail(errbuf, errlen, "%s: %s", what, strerror(ELOOP));
		ssize_t tl = readlink(entry, target, sizeof(target) - 1);
		if (tl < 0)
			return cli_fail(errbuf, errlen, "%s: %s: %s", what, entry, strerror(errno));
		target[tl] = '\0';
		/* The rest of the path goes after the target. */
		char rest[2 * PATH_MAX];
		size_t rl = strlen(p);
		if ((size_t)tl + rl + 2 > sizeof(todo))
			return cli_fail(errbuf, errlen, "%s: path too long", what);
		memcpy(rest, p, rl + 1);
		memcpy(todo, target, (size_t)tl);
		todo[tl] = '/';
		memcpy(todo + tl + 1, rest, rl + 1);
		p = todo;
		if (target[0] == '/')
			res[0] = '\0';
	}
	strcpy(resolved, res[0] ? res : "/");
	return 0;
}

int config_check_path(const char *path, const char *const *roots, size_t nroots, const char *what,
		      char *resolved, char *errbuf, size_t errlen)
{
	return walk_path(path, roots, nroots, what, resolved, NULL, NULL, errbuf, errlen);
}

/* Directories and files the sandbox can write, canonical. Grows as needed:
 * a fixed table that dropped entries past its end would accept a file the
 * sandbox can write (fail-open); out of memory refuses instead. */
struct roots {
	char **v;
	size_t n;
	bool oom;
};

static void roots_add(struct roots *r, const char *path)
{
	char buf[PATH_MAX];
	/* A path that does not exist yet is what a bind would create. */
	const char *p = realpath(path, buf) ? buf : path;
	if (p[0] != '/')
		return;
	char **v = reallocarray(r->v, r->n + 1, sizeof(*v));
	if (!v || !(v[r->n] = strdup(p))) {
		if (v)
			r->v = v;
		r->oom = true;
		return;
	}
	r->v = v;
	r->n++;
}

static void roots_free(struct roots *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

int config_check_owner(const char *real, char *errbuf, size_t errlen)
{
	/* Every directory from / down, then the file: another user who can
	 * write any of them can replace what ccsb reads. */
	char p[PATH_MAX];
	size_t n = strlen(real);
	if (real[0] != '/' || n >= sizeof(p))
		return cli_fail(errbuf, errlen, "%s: not an absolute path", real);
	for (size_t i = 1; i <= n; i++) {
		if (i < n && real[i] != '/')
			continue;
		memcpy(p, real, i);
		p[i] = '\0';
		struct stat st;
		if (lstat(i == 1 ? "/" : p, &st) < 0)
			return cli_fail(errbuf, errlen, "%s: %s: %s", real, p, strerror(errno));
		if (i == 1)
			strcpy(p, "/");
		if (st.st_uid != getuid() && st.st_uid != 0)
			return cli_fail(
				errbuf, errlen,
				"%s: refusing to read it: %s belongs to uid %u, not to you or "
				"root, so its owner could change the configuration",
				real, p, (unsigned)st.st_uid);
		/* A root-owned sticky directory (/tmp) lets nobody else
		 * replace our entries in it. */
		bool sticky_ok = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && st.st_uid == 0;
		if ((st.st_mode & 022) && !sticky_ok)
			return cli_fail(errbuf, errlen,
					"%s: refusing to read it: %s is writable by %s, who could "
					"change the configuration; run chmod go-w %s",
					real, p, (st.st_mode & 002) ? "others" : "its group", p);
	}
	return 0;
}

static int read_file(const char *path, char **out, size_t *outlen, char *errbuf, size_t errlen)
{
	/* O_NOFOLLOW: `path` is canonical; a symlink now would be a swap. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return cli_fail(errbuf, errlen, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_BYTES) {
		close(fd);
		return cli_fail(errbuf, errlen, "%s: not a regular file of at most %u bytes", path,
				CONFIG_MAX_BYTES);
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got <= (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return cli_fail(errbuf, errlen, "%s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!buf)
		return cli_fail(errbuf, errlen, "out of memory");
	*out = buf;
	*outlen = got;
	return 0;
}

/* What the sandbox can write for the run C describes: the current
 * directory (unless ccsb refuses to share it: it is / or holds the whole
 * home; an explicit --rw of it is among the binds), Claude Code's state,
 * ccsb's cache, CLAUDE_CONFIG_DIR and the rw binds. */
static void writable_roots(struct roots *roots, const struct cli *c, const char *home)
{
	char cwd[PATH_MAX], rhome[PATH_MAX];

	if (getcwd(cwd, sizeof(cwd)) && !(home && realpath(home, rhome) && below(rhome, cwd)))
		roots_add(roots, cwd);
	if (home) {
		/* Claude Code's state (only its data entries are writable inside,
		 * but nothing of ccsb's belongs there), the npm caches. */
		static const char *const state[] = { ".claude", ".npm", ".claude.json" };
		for (size_t i = 0; i < 3; i++) {
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "%s/%s", home, state[i]);
			roots_add(roots, p);
		}
		const char *x = getenv("XDG_CACHE_HOME");
		char p[PATH_MAX];
		if (x && x[0] == '/')
			snprintf(p, sizeof(p), "%s/ccsb", x);
		else
			snprintf(p, sizeof(p), "%s/.cache/ccsb", home);
		roots_add(roots, p);
	}
	const char *ccd = getenv("CLAUDE_CONFIG_DIR");
	if (ccd && ccd[0] == '/')
		roots_add(roots, ccd);
	for (size_t i = 0; i < c->nbinds; i++)
		if (c->binds[i].rw)
			roots_add(roots, c->binds[i].src);
}

/* The file PATH, parsed into CONF, once more with CONF's own rw binds
 * writable too ("rw = ~/.config" would let the sandbox rewrite it), and
 * the allowlist files it names, which the sandbox must not edit either
 * (they would widen the next run). REAL gets PATH resolved again. 0 or
 * -1. */
static int check_parsed(const char *path, char *real, const struct cli *conf, struct roots *roots,
			char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < conf->nbinds; i++)
		if (conf->binds[i].rw)
			roots_add(roots, conf->binds[i].src);
	if (roots->oom)
		return cli_fail(errbuf, errlen, "out of memory");
	if (config_check_path(path, (const char *const *)roots->v, roots->n, path, real, errbuf,
			      errlen) < 0)
		return -1;
	for (size_t i = 0; i < conf->nallow_files; i++) {
		char what[PATH_MAX + 32], ignored[PATH_MAX];
		snprintf(what, sizeof(what), "%s: allow-file %s", path, conf->allow_files[i]);
		if (config_check_path(conf->allow_files[i], (const char *const *)roots->v, roots->n,
				      what, ignored, errbuf, errlen) < 0 ||
		    config_check_owner(ignored, errbuf, errlen) < 0)
			return -1;
	}
	return 0;
}

int config_load(struct cli *c, char *used, size_t usedlen, char *errbuf, size_t errlen)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct roots roots = { .v = NULL, .n = 0, .oom = false };
	struct cli conf;
	char *buf = NULL;
	size_t len = 0;
	int r = -1;

	cli_init(&conf);
	if (used && usedlen)
		used[0] = '\0';
	if (config_path(path, sizeof(path)) < 0)
		return 0; /* no home: no configuration */
	struct stat st;
	if (stat(path, &st) < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;

	const char *home = home_dir();
	writable_roots(&roots, c, home);
	if (roots.oom) {
		cli_fail(errbuf, errlen, "out of memory");
		goto out;
	}
	int k = config_check_path(path, (const char *const *)roots.v, roots.n, path, real, errbuf,
				  errlen);
	if (k == 1) {
		r = 0;
		goto out;
	}
	if (k < 0 || config_check_owner(real, errbuf, errlen) < 0 ||
	    read_file(real, &buf, &len, errbuf, errlen) < 0)
		goto out;
	if (config_parse(buf, len, path, home, &conf, errbuf, errlen) < 0 ||
	    check_parsed(path, real, &conf, &roots, errbuf, errlen) < 0 ||
	    config_merge(c, &conf, errbuf, errlen) < 0)
		goto out;
	if (used && usedlen)
		snprintf(used, usedlen, "%s", real);
	r = 0;
out:
	free(buf);
	cli_free(&conf);
	roots_free(&roots);
	return r;
}

int config_protect(const struct cli *c, char *src, char *dest, size_t len, char *errbuf,
		   size_t errlen)
{
	char path[PATH_MAX], cwd[PATH_MAX], rhome[PATH_MAX], resolved[PATH_MAX], hit[PATH_MAX];
	struct roots roots = { .v = NULL, .n = 0, .oom = false };
	/* dests[i]: where roots.v[i] is inside (NULL: at its own path). */
	const char *dests[1 + 256];
	size_t k = 0;
	int r = 0;
	if (config_path(path, sizeof(path)) < 0)
		return 0;
	const char *home = home_dir();
	if (getcwd(cwd, sizeof(cwd)) && !(home && realpath(home, rhome) && below(rhome, cwd))) {
		roots_add(&roots, cwd);
		dests[k++] = NULL;
	}
	for (size_t i = 0; i < c->nbinds && k < sizeof(dests) / sizeof(*dests); i++) {
		if (!c->binds[i].rw)
			continue;
		size_t before = roots.n;
		roots_add(&roots, c->binds[i].src);
		if (roots.n > before)
			dests[k++] = c->binds[i].dest;
	}
	if (roots.oom || k != roots.n) {
		r = cli_fail(errbuf, errlen, "out of memory");
		goto out;
	}
	size_t which = 0;
	int w = walk_path(path, (const char *const *)roots.v, roots.n, path, resolved, hit, &which,
			  errbuf, errlen);
	if (w != 2) {
		r = w < 0 ? -1 : 0;
		goto out;
	}
	struct stat st;
	if (lstat(hit, &st) < 0) {
		/* Made now, empty, so that there is something to cover: the
		 * directory the configuration would be in, or the file. */
		bool last = strcmp(hit, resolved) == 0 || !strchr(path, '/') ||
			    strcmp(strrchr(hit, '/'), strrchr(path, '/')) == 0;
		int fd =
			last ? open(hit, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
			     : mkdir(hit, 0700);
		if (fd < 0) {
			r = cli_fail(errbuf, errlen, "%s: cannot create %s to protect it: %s", path,
				     hit, strerror(errno));
			goto out;
		}
		if (last)
			close(fd);
	} else if (S_ISLNK(st.st_mode)) {
		r = cli_fail(errbuf, errlen,
			     "%s: refusing to run: its path goes through %s, a symlink the sandbox "
			     "could change (it lies in %s, shared read-write); replace the symlink "
			     "by what it points to, or run ccsb elsewhere",
			     path, hit, roots.v[which]);
		goto out;
	}
	snprintf(src, len, "%s", hit);
	if (dests[which])
		snprintf(dest, len, "%s%s", dests[which], hit + strlen(roots.v[which]));
	else
		snprintf(dest, len, "%s", hit);
	r = 1;
out:
	roots_free(&roots);
	return r;
}
