/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The caller's git identity inside: read the host's global git
 * configuration, keep the keys that are pure data (gitconfig.c) and write
 * them as the sandbox's ~/.gitconfig. Parsed here rather than by running
 * `git config --global --get-regexp .`: on the development machine that
 * process cost 3.4 ms per start (posix_spawn + wait, loaded), this whole
 * function ~30 us with a typical 20-line file (~12 us of which is
 * allocating the policy object in the measurement). ccsb's own process is
 * ~0.5 ms in all (bench/README.md). */
#include "internal.h"
#include "gitconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* git's own limits: MAX_INCLUDE_DEPTH in config.c; a global configuration
 * past a megabyte is a mistake. */
#define INCLUDE_DEPTH 10
#define GITCONFIG_MAX (1u << 20)

struct walk {
	struct ccsb__gitconfig_out out;
	const char *home;
	const char *file; /* the file being parsed */
	int depth;
	ccsb_error **err;
	char gitdir[PATH_MAX + 1];
	bool gitdir_done;
};

static int read_all(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > GITCONFIG_MAX) {
		close(fd);
		return -EFBIG;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got <= (size_t)st.st_size) {
		ssize_t r = CCSB_RETRY(read(fd, buf + got, (size_t)st.st_size + 1 - got));
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	*out = buf;
	*len = got > (size_t)st.st_size ? (size_t)st.st_size : got;
	return 0;
}

static int walk_file(struct walk *w, const char *path, bool required);

/* The git directory of the current directory's repository, as git's
 * "gitdir:" condition sees it (the real path, with a trailing slash), or
 * "" when there is none. Looked up once. */
static const char *cwd_gitdir(struct walk *w)
{
	if (w->gitdir_done)
		return w->gitdir;
	w->gitdir_done = true;
	char dir[PATH_MAX], p[PATH_MAX + 8], real[PATH_MAX];
	if (!getcwd(dir, sizeof(dir)))
		return w->gitdir;
	for (;;) {
		struct stat st;
		snprintf(p, sizeof(p), "%s/.git", strcmp(dir, "/") == 0 ? "" : dir);
		if (stat(p, &st) == 0) {
			char link[3 * PATH_MAX] = "";
			if (S_ISREG(st.st_mode)) {
				/* A worktree or submodule: "gitdir: PATH". */
				FILE *f = fopen(p, "re");
				char line[PATH_MAX + 16] = "";
				if (f && fgets(line, sizeof(line), f) &&
				    strncmp(line, "gitdir: ", 8) == 0) {
					line[strcspn(line, "\r\n")] = '\0';
					if (line[8] == '/')
						snprintf(link, sizeof(link), "%s", line + 8);
					else
						snprintf(link, sizeof(link), "%s/%s", dir,
							 line + 8);
				}
				if (f)
					fclose(f);
			} else {
				snprintf(link, sizeof(link), "%s", p);
			}
			if (*link && ccsb__realpath(link, real))
				snprintf(w->gitdir, sizeof(w->gitdir), "%s/", real);
			return w->gitdir;
		}
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return w->gitdir;
		*slash = '\0';
	}
}

/* git's "gitdir:" and "gitdir/i:" conditions for the common patterns:
 * "~/" expanded, "./" relative to the including file, a trailing "/"
 * matching everything below (git appends two stars), other patterns through
 * fnmatch(FNM_PATHNAME). Relative patterns and two stars in a row (any
 * depth) are not supported: no match, so a conditional identity is left
 * out rather than misapplied. */
static bool gitdir_matches(const char *cond, struct walk *w)
{
	bool icase = strncmp(cond, "gitdir/i:", 9) == 0;
	if (!icase && strncmp(cond, "gitdir:", 7) != 0)
		return false;
	const char *pat = cond + (icase ? 9 : 7);
	const char *gd = cwd_gitdir(w);
	if (!*gd || !*pat)
		return false;
	char full[PATH_MAX];
	if (pat[0] == '~' && pat[1] == '/')
		snprintf(full, sizeof(full), "%s%s", w->home, pat + 1);
	else if (pat[0] == '.' && pat[1] == '/') {
		const char *slash = strrchr(w->file, '/');
		snprintf(full, sizeof(full), "%.*s%s", slash ? (int)(slash - w->file) : 0, w->file,
			 pat + 1);
	} else if (pat[0] == '/')
		snprintf(full, sizeof(full), "%s", pat);
	else
		return false; /* git prefixes any-depth stars: not supported */
	if (strstr(full, "**"))
		return false; /* any-depth stars: not supported */
	size_t n = strlen(full);
	int flags = FNM_PATHNAME | (icase ? FNM_CASEFOLD : 0);
	if (n && full[n - 1] == '/') {
		/* "DIR/" matches DIR's git directory and everything below. */
		size_t k = 0;
		int depth = 0;
		for (const char *c = full; *c; c++)
			depth += *c == '/';
		const char *g = gd;
		for (; *g && depth; g++)
			if (*g == '/' && --depth == 0)
				break;
		k = (size_t)(g - gd) + (*g == '/');
		char head[PATH_MAX + 2];
		snprintf(head, sizeof(head), "%.*s", (int)k, gd);
		return fnmatch(full, head, flags) == 0;
	}
	/* git matches the git directory without its trailing slash. */
	char g2[PATH_MAX + 2];
	snprintf(g2, sizeof(g2), "%s", gd);
	g2[strlen(g2) - 1] = '\0';
	return fnmatch(full, g2, flags) == 0;
}

static int on_var(const char *section, const char *subsection, const char *key, const char *value,
		  size_t line, void *data)
{
	struct walk *w = data;
	(void)line;
	/* [include] path: read on the host, for the safe keys it holds (a
	 * common home for user.email). [includeIf "gitdir:..."] is decided
	 * for the repository of the current directory, which the sandbox
	 * sees at the same path; other conditions are not followed. */
	bool cond = strcmp(section, "includeif") == 0 && subsection && strcmp(key, "path") == 0;
	if (cond && !gitdir_matches(subsection, w))
		return 0;
	if (cond || (strcmp(section, "include") == 0 && !subsection && strcmp(key, "path") == 0)) {
		if (!value || !*value)
			return 0;
		char p[PATH_MAX];
		int n;
		if (value[0] == '~' && value[1] == '/')
			n = snprintf(p, sizeof(p), "%s%s", w->home, value + 1);
		else if (value[0] == '/')
			n = snprintf(p, sizeof(p), "%s", value);
		else if (value[0] == '~')
			return 0; /* ~user/: someone else's home */
		else {
			const char *slash = strrchr(w->file, '/');
			n = snprintf(p, sizeof(p), "%.*s/%s", slash ? (int)(slash - w->file) : 1,
				     slash ? w->file : ".", value);
		}
		if (n < 0 || (size_t)n >= sizeof(p))
			return 0;
		if (w->depth >= INCLUDE_DEPTH)
			return ccsb__err(w->err, ELOOP, "%s: includes nested deeper than %d",
					 w->file, INCLUDE_DEPTH);
		return walk_file(w, p, false);
	}
	if (!ccsb__gitconfig_safe(section, subsection, key))
		return 0;
	int r = ccsb__gitconfig_emit(&w->out, section, subsection, key, value);
	/* A value with control characters is dropped, not an error: git reads
	 * it, but it has no business in a name or a colour. */
	return r == -EINVAL ? 0 : r;
}

static int walk_file(struct walk *w, const char *path, bool required)
{
	char *buf = NULL;
	size_t len = 0;
	int r = read_all(path, &buf, &len);
	/* git skips a missing global file and a missing include alike. */
	if (r == -ENOENT || r == -ENOTDIR || (r == -EACCES && !required))
		return 0;
	if (r == -EFBIG)
		return ccsb__err(w->err, EFBIG, "%s: not a regular file of at most %u bytes", path,
				 GITCONFIG_MAX);
	if (r < 0)
		return ccsb__errno(w->err, -r, "cannot read %s", path);
	const char *saved = w->file;
	w->file = path;
	w->depth++;
	size_t bad = 0;
	r = ccsb__gitconfig_parse(buf, len, on_var, w, &bad);
	w->depth--;
	w->file = saved;
	free(buf);
	if (r == -EINVAL)
		return ccsb__err(w->err, EINVAL,
				 "%s:%zu: bad git configuration line (git refuses it too: "
				 "see 'git config --global --list')",
				 path, bad);
	if (r == -ENOMEM)
		return ccsb__err(w->err, ENOMEM, "out of memory");
	return r;
}

CCSB_EXPORT int ccsb_sandbox_add_git_config(ccsb_sandbox *sb, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	const char *home = getenv("HOME");
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(getuid());
		home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
	}
	struct walk w = { .home = home ? home : "/nonexistent", .err = err };
	char p[PATH_MAX];
	int r = 0;

	/* git's order: $GIT_CONFIG_GLOBAL alone when set; else the XDG file,
	 * then ~/.gitconfig (a later value wins). */
	const char *global = getenv("GIT_CONFIG_GLOBAL");
	if (global && *global) {
		r = walk_file(&w, global, true);
	} else {
		const char *xdg = getenv("XDG_CONFIG_HOME");
		if (xdg && *xdg)
			snprintf(p, sizeof(p), "%s/git/config", xdg);
		else
			snprintf(p, sizeof(p), "%s/.config/git/config", w.home);
		r = walk_file(&w, p, true);
		if (r == 0) {
			snprintf(p, sizeof(p), "%s/.gitconfig", w.home);
			r = walk_file(&w, p, true);
		}
	}
	if (r == 0 && w.out.len) {
		static const char head[] = "# Written by ccsb: the keys of your global git "
					   "configuration that hold only data (ccsb(1), GIT).\n";
		char *text = NULL;
		if (asprintf(&text, "%s%s", head, w.out.buf) < 0) {
			r = ccsb__err(err, ENOMEM, "out of memory");
		} else {
			snprintf(p, sizeof(p), "%s/.gitconfig", sb->home);
			r = ccsb_sandbox_add_file(sb, p, text, strlen(text), err);
			free(text);
		}
	}
	ccsb__gitconfig_out_free(&w.out);
	return r;
}
