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


static void cli_init(struct cli *c)
{
	memset(c, 0, sizeof(*c));
	cli_free(c); /* sets the "not given" values of every field */
}

/* Record `s` as owned by `c`; on failure `s` is freed. */
static char *own(struct cli *c, char *s)
{
	if (!s)
		return NULL;
	char **v = reallocarray(c->owned, c->nowned + 1, sizeof(*v));
	if (!v) {
		free(s);
		return NULL;
	}
	c->owned = v;
	c->owned[c->nowned++] = s;
	return s;
}

/* A path of the file: absolute, or "~/..." below `home`. Relative paths
 * would depend on where ccsb happens to be started. */
static char *path_value(const char *v, const char *home, const char **why)
{
	char *out = NULL;
	if (v[0] == '/')
		return strdup(v);
	if (v[0] == '~' && (v[1] == '/' || v[1] == '\0')) {
		if (!home) {
			*why = "'~' used but there is no home directory";
			return NULL;
		}
		if (asprintf(&out, "%s%s", home, v + 1) < 0)
			return NULL;
		return out;
	}
	*why = "must be an absolute path or start with ~/";
	return NULL;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* One line: `key` and `val` are trimmed and not empty. */
static int parse_line(struct cli *c, const char *key, const char *val, const char *home,
		      const char *where, char *errbuf, size_t len)
{
	const char *why = NULL;
	if (strcmp(key, "ro") == 0 || strcmp(key, "rw") == 0) {
		bool rw = key[1] == 'w';
		/* PATH[:DEST], as --ro/--rw; only PATH may start with "~/". */
		const char *colon = strchr(val, ':');
		char *src0 = strndup(val, colon ? (size_t)(colon - val) : strlen(val));
		if (!src0)
			return cli_fail(errbuf, len, "out of memory");
		char *src = src0[0] ? path_value(src0, home, &why) : NULL;
		free(src0);
		if (!src)
			return cli_fail(errbuf, len, "%s: %s '%s': %s", where, key, val,
				    why ? why : "empty path");
		char *dest = NULL;
		if (colon) {
			if (colon[1] != '/') {
				free(src);
				return cli_fail(errbuf, len,
					    "%s: %s '%s': destination must be an absolute path",
					    where, key, val);
			}
			if (!(dest = strdup(colon + 1))) {
				free(src);
				return cli_fail(errbuf, len, "out of memory");
			}
		}
		struct cli_bind *nb = reallocarray(c->binds, c->nbinds + 1, sizeof(*nb));
		if (!nb) {
			free(src);
			free(dest);
			return cli_fail(errbuf, len, "out of memory");
		}
		c->binds = nb;
		c->binds[c->nbinds++] = (struct cli_bind){ .src = src, .dest = dest, .rw = rw };
		return 0;
	}
	if (strcmp(key, "tmpfs") == 0) {
		if (val[0] != '/')
			return cli_fail(errbuf, len, "%s: tmpfs '%s': must be an absolute path", where,
				    val);
		const char *s = own(c, strdup(val));
		if (!s || cli_push(&c->tmpfs, &c->ntmpfs, s) < 0)
			return cli_fail(errbuf, len, "out of memory");
		return 0;
	}
	if (strcmp(key, "env") == 0) {
		if (val[0] == '=')
			return cli_fail(errbuf, len, "%s: env '%s': missing variable name", where, val);
		const char *s = own(c, strdup(val));
		if (!s || cli_push(&c->env, &c->nenv, s) < 0)
			return cli_fail(errbuf, len, "out of memory");
		return 0;
	}
	if (strcmp(key, "allow") == 0) {
		/* Checked now, so that a bad entry is reported with its line. */
		ccsb_sandbox *sb = ccsb_sandbox_new();
		ccsb_error *e = NULL;
		if (!sb)
			return cli_fail(errbuf, len, "out of memory");
		int r = ccsb_sandbox_allow(sb, val, &e);
		ccsb_sandbox_free(sb);
		if (r < 0) {
			cli_fail(errbuf, len, "%s: allow: %s", where,
			     e ? ccsb_error_message(e) : "bad entry");
			ccsb_error_free(e);
			return -1;
		}
		const char *s = own(c, strdup(val));
		if (!s || cli_push(&c->allow, &c->nallow, s) < 0)
			return cli_fail(errbuf, len, "out of memory");
		return 0;
	}
	if (strcmp(key, "allow-file") == 0) {
		char *p = path_value(val, home, &why);
		if (!p)
			return cli_fail(errbuf, len, "%s: allow-file '%s': %s", where, val,
				    why ? why : "out of memory");
		const char *s = own(c, p);
		if (!s || cli_push(&c->allow_files, &c->nallow_files, s) < 0)
			return cli_fail(errbuf, len, "out of memory");
		return 0;
	}
	if (strcmp(key, "path") == 0) {
		char *p = path_value(val, home, &why);
		if (!p)
			return cli_fail(errbuf, len, "%s: path '%s': %s", where, val,
				    why ? why : "out of memory");
		const char *s = own(c, p);
		if (!s || cli_push(&c->paths, &c->npaths, s) < 0)
			return cli_fail(errbuf, len, "out of memory");
		return 0;
	}
	if (strcmp(key, "net") == 0) {
		if (strcmp(val, "none") == 0)
			c->net = CCSB_NET_NONE;
		else if (strcmp(val, "full") == 0)
			c->net = CCSB_NET_FULL;
		else if (strcmp(val, "allowlist") == 0)
			c->net = CCSB_NET_ALLOWLIST;
		else
			return cli_fail(errbuf, len,
				    "%s: net '%s': unknown mode (use none, full or allowlist)",
				    where, val);
		return 0;
	}
	if (strcmp(key, "memory") == 0 || strcmp(key, "pids") == 0) {
		char opt[PATH_MAX + 64];
		snprintf(opt, sizeof(opt), "%s: %s", where, key);
		if (key[0] == 'm')
			return cli_parse_memory(opt, val, &c->memory, errbuf, len);
		return cli_parse_pids(opt, val, &c->pids, errbuf, len);
	}
	if (strcmp(key, "no-default-allowlist") == 0) {
		if (strcmp(val, "true") == 0)
			c->no_default_allowlist = true;
		else if (strcmp(val, "false") == 0)
			c->no_default_allowlist = false;
		else
			return cli_fail(errbuf, len, "%s: no-default-allowlist '%s': use true or false",
				    where, val);
		return 0;
	}
	if (strcmp(key, "git-credentials") == 0) {
		if (strcmp(val, "true") == 0)
			c->git_credentials = true;
		else if (strcmp(val, "false") == 0)
			c->git_credentials = false;
		else
			return cli_fail(errbuf, len, "%s: git-credentials '%s': use true or false", where,
				    val);
		return 0;
	}
	if (strcmp(key, "ssh-agent") == 0) {
		/* true: every key; false: off; anything else: a key filter,
		 * checked now so that a bad one is reported with its line. */
		if (strcmp(val, "false") == 0) {
			c->ssh_agent = NULL;
			return 0;
		}
		if (strcmp(val, "true") != 0) {
			ccsb_sandbox *sb = ccsb_sandbox_new();
			ccsb_error *e = NULL;
			if (!sb)
				return cli_fail(errbuf, len, "out of memory");
			int r = ccsb_sandbox_set_ssh_agent(sb, val, 0, &e);
			ccsb_sandbox_free(sb);
			if (r < 0) {
				cli_fail(errbuf, len, "%s: ssh-agent: %s", where,
					 e ? ccsb_error_message(e) : "bad key filter");
				ccsb_error_free(e);
				return -1;
			}
		}
		const char *s = own(c, strdup(strcmp(val, "true") == 0 ? "" : val));
		if (!s)
			return cli_fail(errbuf, len, "out of memory");
		c->ssh_agent = s;
		return 0;
	}
	if (strcmp(key, "nested-userns") == 0 || strcmp(key, "allow-clipboard") == 0) {
		int *f = key[0] == 'n' ? &c->nested_userns : &c->allow_clipboard;
		if (strcmp(val, "true") == 0)
			*f = 1;
		else if (strcmp(val, "false") == 0)
			*f = 0;
		else
			return cli_fail(errbuf, len, "%s: %s '%s': use true or false", where, key,
				    val);
		return 0;
	}
	return cli_fail(errbuf, len, "%s: unknown key '%s'", where, key);
}

int config_parse(const char *buf, size_t len, const char *name, const char *home,
		 struct cli *out, char *errbuf, size_t errlen)
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

/* *out = a new array holding `a` then `b`; NULL when both are empty. */
static bool cat(const char ***out, const char **a, size_t na, const char **b, size_t nb)
{
	*out = NULL;
	if (na + nb == 0)
		return true;
	if (!(*out = reallocarray(NULL, na + nb, sizeof(**out))))
		return false;
	if (na)
		memcpy(*out, a, na * sizeof(**out));
	if (nb)
		memcpy(*out + na, b, nb * sizeof(**out));
	return true;
}

int config_merge(struct cli *c, struct cli *conf, char *errbuf, size_t errlen)
{
	/* Allocate everything first, so that a failure changes nothing. */
	size_t nb = conf->nbinds + c->nbinds, no = c->nowned + conf->nowned;
	struct cli_bind *binds = nb ? reallocarray(NULL, nb, sizeof(*binds)) : NULL;
	char **owned = no ? reallocarray(NULL, no, sizeof(*owned)) : NULL;
	const char **tmpfs, **env, **allow, **files, **paths;
	bool ok = (!nb || binds) && (!no || owned);
	ok = cat(&paths, conf->paths, conf->npaths, c->paths, c->npaths) && ok;
	ok = cat(&tmpfs, conf->tmpfs, conf->ntmpfs, c->tmpfs, c->ntmpfs) && ok;
	ok = cat(&env, conf->env, conf->nenv, c->env, c->nenv) && ok;
	ok = cat(&allow, conf->allow, conf->nallow, c->allow, c->nallow) && ok;
	ok = cat(&files, conf->allow_files, conf->nallow_files, c->allow_files, c->nallow_files) &&
	     ok;
	if (!ok) {
		free(binds);
		free(owned);
		free(tmpfs);
		free(env);
		free(allow);
		free(files);
		free(paths);
		return cli_fail(errbuf, errlen, "out of memory");
	}

	/* An --allow or --allow-file on the command line implies the allowlist,
	 * as it does without a configuration. */
	if (c->net < 0)
		c->net = c->nallow || c->nallow_files ? CCSB_NET_ALLOWLIST : conf->net;
	c->no_default_allowlist = c->no_default_allowlist || conf->no_default_allowlist;
	if (!c->ssh_agent)
		c->ssh_agent = conf->ssh_agent;
	c->git_credentials = c->git_credentials || conf->git_credentials;
	if (c->nested_userns < 0)
		c->nested_userns = conf->nested_userns;
	if (!c->memory)
		c->memory = conf->memory;
	if (!c->pids)
		c->pids = conf->pids;
	if (c->allow_clipboard < 0)
		c->allow_clipboard = conf->allow_clipboard;

	if (conf->nbinds)
		memcpy(binds, conf->binds, conf->nbinds * sizeof(*binds));
	if (c->nbinds)
		memcpy(binds + conf->nbinds, c->binds, c->nbinds * sizeof(*binds));
	free(c->binds);
	c->binds = binds;
	c->nbinds = nb;
	if (c->nowned)
		memcpy(owned, c->owned, c->nowned * sizeof(*owned));
	if (conf->nowned)
		memcpy(owned + c->nowned, conf->owned, conf->nowned * sizeof(*owned));
	free(c->owned);
	c->owned = owned;
	c->nowned = no;
	free(c->tmpfs);
	c->tmpfs = tmpfs;
	c->ntmpfs += conf->ntmpfs;
	free(c->env);
	c->env = env;
	c->nenv += conf->nenv;
	free(c->allow);
	c->allow = allow;
	c->nallow += conf->nallow;
	free(c->allow_files);
	c->allow_files = files;
	c->nallow_files += conf->nallow_files;
	free(c->paths);
	c->paths = paths;
	c->npaths += conf->npaths;

	/* conf's strings moved to c: release only its arrays. */
	free(conf->binds);
	free(conf->owned);
	conf->binds = NULL;
	conf->nbinds = 0;
	conf->owned = NULL;
	conf->nowned = 0;
	cli_free(conf);
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

int config_check_path(const char *path, const char *const *roots, size_t nroots,
		      const char *what, char *resolved, char *errbuf, size_t errlen)
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
			return cli_fail(errbuf, errlen,
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

int config_load(struct cli *c, char *used, size_t usedlen, char *errbuf, size_t errlen)
{
	char path[PATH_MAX], real[PATH_MAX], cwd[PATH_MAX];
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
	char rhome[PATH_MAX];
	/* The current directory is shared, unless ccsb refuses to share it
	 * (it is / or holds the whole home); an explicit --rw of it is among
	 * the binds below. */
	if (getcwd(cwd, sizeof(cwd)) &&
	    !(home && realpath(home, rhome) && below(rhome, cwd)))
		roots_add(&roots, cwd);
	if (home) {
		/* Claude Code's state (only its data entries are writable inside,
		 * but nothing of ccsb's belongs there), the npm caches. */
		static const char *const state[] = { ".claude", ".npm", ".claude.json" };
		for (size_t i = 0; i < 3; i++) {
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "%s/%s", home, state[i]);
			roots_add(&roots, p);
		}
		const char *x = getenv("XDG_CACHE_HOME");
		char p[PATH_MAX];
		if (x && x[0] == '/')
			snprintf(p, sizeof(p), "%s/ccsb", x);
		else
			snprintf(p, sizeof(p), "%s/.cache/ccsb", home);
		roots_add(&roots, p);
	}
	const char *ccd = getenv("CLAUDE_CONFIG_DIR");
	if (ccd && ccd[0] == '/')
		roots_add(&roots, ccd);
	for (size_t i = 0; i < c->nbinds; i++)
		if (c->binds[i].rw)
			roots_add(&roots, c->binds[i].src);

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
	if (config_parse(buf, len, path, home, &conf, errbuf, errlen) < 0)
		goto out;

	/* The file's own rw binds are writable too: "rw = ~/.config" would let
	 * the sandbox rewrite the file. */
	for (size_t i = 0; i < conf.nbinds; i++)
		if (conf.binds[i].rw)
			roots_add(&roots, conf.binds[i].src);
	if (roots.oom) {
		cli_fail(errbuf, errlen, "out of memory");
		goto out;
	}
	if (config_check_path(path, (const char *const *)roots.v, roots.n, path, real, errbuf,
			      errlen) < 0)
		goto out;
	/* An allowlist file the sandbox could edit would widen the next run. */
	for (size_t i = 0; i < conf.nallow_files; i++) {
		char what[PATH_MAX + 32], ignored[PATH_MAX];
		snprintf(what, sizeof(what), "%s: allow-file %s", path, conf.allow_files[i]);
		if (config_check_path(conf.allow_files[i], (const char *const *)roots.v, roots.n,
				      what, ignored, errbuf, errlen) < 0 ||
		    config_check_owner(ignored, errbuf, errlen) < 0)
			goto out;
	}
	if (config_merge(c, &conf, errbuf, errlen) < 0)
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
		int fd = last ? open(hit, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
			      : mkdir(hit, 0700);
		if (fd < 0) {
			r = cli_fail(errbuf, errlen, "%s: cannot create %s to protect it: %s", path, hit,
				     strerror(errno));
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
