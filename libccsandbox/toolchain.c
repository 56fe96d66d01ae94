/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tool directories installed in the home (--path): which directories a
 * toolchain layout needs, read-only, without its credentials; and whether a
 * program is reachable inside a policy (for the editor and pager check).
 * Inspects the host. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- where a path inside comes from ------------------------------------ */

enum src {
	S_NONE,
	S_HOST,
	S_LINK,
	S_DIR,
	S_FILE
};

static bool below_or_at(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* What the sandbox shows at `p` (absolute, normalised, no symlink resolved
 * below it): a host path (bind), a symlink target, a directory made by a
 * tmpfs or for a mount point, a data file, or nothing. */
static enum src map_inside(const ccsb_sandbox *sb, const char *p, char *out, size_t len)
{
	size_t i = sb->nmounts;
	while (i-- > 0) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (!below_or_at(p, m->dest))
			continue;
		bool exact = strcmp(p, m->dest) == 0;
		size_t n = strcmp(m->dest, "/") == 0 ? 0 : strlen(m->dest);
		enum src k = S_NONE;
		switch (m->kind) {
		case CCSB_M_BIND:
			snprintf(out, len, "%s%s", m->src, p + n);
			return S_HOST;
		case CCSB_M_SYMLINK:
			if (exact) {
				snprintf(out, len, "%s", m->src);
				return S_LINK;
			}
			return S_NONE;
		case CCSB_M_FILE:
			return exact ? S_FILE : S_NONE;
		default:
			k = exact ? S_DIR : S_NONE;
		}
		if (k == S_NONE) {
			/* Inside a tmpfs: only what later mounts made. */
			for (size_t j = i + 1; j < sb->nmounts; j++)
				if (below_or_at(sb->mounts[j].dest, p))
					return S_DIR;
		}
		return k;
	}
	/* The sandbox's root: directories made for mount points. */
	for (size_t j = 0; j < sb->nmounts; j++)
		if (below_or_at(sb->mounts[j].dest, p))
			return S_DIR;
	return S_NONE;
}

/* Resolve `path` as the sandbox would, symlinks included; on success
 * `host` is the host file behind it. -ENOENT when it is not there. */
static int resolve_inside(const ccsb_sandbox *sb, const char *path, char *host, size_t len)
{
	char todo[2 * PATH_MAX], res[PATH_MAX] = "", cand[PATH_MAX], out[PATH_MAX];
	enum src last = S_DIR;
	int links = 0;
	if (path[0] != '/' || strlen(path) >= sizeof(todo))
		return -EINVAL;
	strcpy(todo, path);
	char *p = todo;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, "/");
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *s = strrchr(res, '/');
			if (s)
				*s = '\0';
			p += n;
			continue;
		}
		if (snprintf(cand, sizeof(cand), "%s/%.*s", res, (int)n, p) >= (int)sizeof(cand))
			return -ENAMETOOLONG;
		p += n;
		enum src k = map_inside(sb, cand, out, sizeof(out));
		char target[PATH_MAX];
		ssize_t tl = -1;
		if (k == S_NONE)
			return -ENOENT;
		if (k == S_HOST) {
			struct stat st;
			if (lstat(out, &st) < 0)
				return -ENOENT;
			if (S_ISLNK(st.st_mode)) {
				tl = readlink(out, target, sizeof(target) - 1);
				if (tl <= 0)
					return -ENOENT;
				target[tl] = '\0';
			}
		} else if (k == S_LINK) {
			snprintf(target, sizeof(target), "%s", out);
			tl = (ssize_t)strlen(target);
		}
		if (tl < 0) {
			strcpy(res, cand);
			last = k;
			if (k == S_HOST)
				snprintf(host, len, "%s", out);
			continue;
		}
		if (++links > 40)
			return -ELOOP;
		char rest[2 * PATH_MAX];
		snprintf(rest, sizeof(rest), "%s", p);
		if ((size_t)tl + strlen(rest) + 2 > sizeof(todo))
			return -ENAMETOOLONG;
		snprintf(todo, sizeof(todo), "%s/%s", target, rest);
		p = todo;
		if (target[0] == '/')
			res[0] = '\0';
	}
	return last == S_HOST ? 0 : -ENOENT;
}

static const char default_path[] = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

static const char *policy_path(const ccsb_sandbox *sb)
{
	for (size_t i = 0; i < sb->nenv; i++)
		if (strcmp(sb->env[i].name, "PATH") == 0 && sb->env[i].value)
			return sb->env[i].value;
	return default_path;
}

static bool executable_inside(const ccsb_sandbox *sb, const char *path)
{
	char host[PATH_MAX];
	struct stat st;
	return resolve_inside(sb, path, host, sizeof(host)) == 0 && stat(host, &st) == 0 &&
	       S_ISREG(st.st_mode) && access(host, X_OK) == 0;
}

CCSB_EXPORT bool ccsb_sandbox_has_program(const ccsb_sandbox *sb, const char *program)
{
	if (!sb)
		return false;
	char p[PATH_MAX];
	if (!sb || !program || !*program)
		return false;
	if (program[0] == '/')
		return executable_inside(sb, program);
	if (strchr(program, '/')) {
		snprintf(p, sizeof(p), "%s/%s", sb->cwd, program);
		return executable_inside(sb, p);
	}
	const char *path = policy_path(sb);
	for (const char *d = path; *d;) {
		size_t n = strcspn(d, ":");
		if (n && d[0] == '/' &&
		    snprintf(p, sizeof(p), "%.*s/%s", (int)n, d, program) < (int)sizeof(p) &&
		    executable_inside(sb, p))
			return true;
		d += n + (d[n] == ':');
	}
	return false;
}

/* ---- tool directories ------------------------------------------------- */

/* Files that hold credentials in the places a toolchain directory could
 * bring along; covered by an empty file wherever they exist in a bound
 * directory. */
static const char *const secret_names[] = {
	".npmrc",	    "etc/npmrc", "credentials", "credentials.toml", ".netrc", ".pypirc",
	".git-credentials", ".pgpass",	 ".env",
};

struct roots {
	char v[16][PATH_MAX];
	size_t n;
};

/* out (PATH_MAX bytes) = a + "/" + b. A path too long is cut, and then
 * fails the stat() or ccsb__realpath() that every caller does next. Not inlined:
 * gcc would otherwise see the sizes and warn about the cut. */
__attribute__((noinline)) static void pjoin(char *out, const char *a, const char *b)
{
	if (snprintf(out, PATH_MAX, "%s/%s", a, b) >= PATH_MAX)
		out[0] = '\0';
}

static const char *host_home_real(char *buf)
{
	const char *h = getenv("HOME");
	if (!h || h[0] != '/') {
		struct passwd *pw = getpwuid(getuid());
		h = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
	}
	return h && ccsb__realpath(h, buf) ? buf : NULL;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* `out` = the directory part of `p`. */
static void parent(const char *p, char *out, size_t len)
{
	const char *s = strrchr(p, '/');
	snprintf(out, len, "%.*s", s && s != p ? (int)(s - p) : 1, s && s != p ? p : "/");
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The real path of the environment variable `var`, else `home` + `def`. */
static bool tool_root(const char *var, const char *home, const char *def, char *out)
{
	const char *v = getenv(var);
	char buf[PATH_MAX];
	if (v && v[0] == '/')
		return ccsb__realpath(v, out) != NULL;
	if (!home)
		return false;
	pjoin(buf, home, def);
	return ccsb__realpath(buf, out) != NULL;
}

/* Directories of the home that hold keys and tokens: never bound, whatever
 * names or links to them. */
static const char *const secret_dirs[] = {
	".ssh",
	".gnupg",
	".aws",
	".azure",
	".kube",
	".docker",
	".password-store",
	".config/gcloud",
	".config/gh",
	".local/share/keyrings",
	".pki",
	".mozilla",
	".config/google-chrome",
	".config/chromium",
};

/* The entry of secret_dirs that `dir` is or lies in, or NULL. */
static const char *secret_dir(const char *dir, const char *home)
{
	char p[PATH_MAX];
	for (size_t i = 0; home && i < sizeof(secret_dirs) / sizeof(*secret_dirs); i++) {
		if (snprintf(p, sizeof(p), "%s/%s", home, secret_dirs[i]) < (int)sizeof(p) &&
		    below_or_at(dir, p))
			return secret_dirs[i];
	}
	return NULL;
}

static int refuse_home(const char *dir, const char *home, const char *asked, ccsb_error **err)
{
	if (strcmp(dir, "/") == 0 || (home && below_or_at(home, dir)))
		return ccsb__err(err, EPERM,
				 "refusing --path=%s: %s is %s; name the tool directory itself "
				 "(e.g. ~/.cargo/bin or ~/.local/bin)",
				 asked, dir,
				 strcmp(dir, "/") == 0 ? "the whole file system"
						       : "your home directory or holds it");
	const char *s = secret_dir(dir, home);
	if (s)
		return ccsb__err(err, EPERM,
				 "refusing --path=%s: %s is in ~/%s, which holds keys or tokens; "
				 "put the tool somewhere else",
				 asked, dir, s);
	return 0;
}

/* The Nix store: $NIX_STORE_DIR as Nix itself reads it, else /nix/store. */
static bool nix_store(char *out)
{
	const char *v = getenv("NIX_STORE_DIR");
	return ccsb__realpath(v && v[0] == '/' ? v : "/nix/store", out) != NULL;
}

static int bind_root(ccsb_sandbox *sb, struct roots *b, const char *dir, ccsb_error **err)
{
	for (size_t i = 0; i < b->n; i++)
		if (below_or_at(dir, b->v[i]))
			return 0;
	if (b->n == sizeof(b->v) / sizeof(*b->v))
		return ccsb__err(err, E2BIG, "--path: too many directories to bind");
	int r = ccsb_sandbox_add_bind(sb, dir, NULL, CCSB_BIND_RO, err);
	if (r < 0)
		return r;
	snprintf(b->v[b->n++], PATH_MAX, "%s", dir);
	char store[PATH_MAX];
	if (nix_store(store) && strcmp(dir, store) == 0)
		return 0; /* read-only for everyone, and too big to scan */
	for (size_t i = 0; r == 0 && i < sizeof(secret_names) / sizeof(*secret_names); i++) {
		char p[PATH_MAX];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", dir, secret_names[i]);
		if (lstat(p, &st) == 0 && !S_ISDIR(st.st_mode))
			r = ccsb_sandbox_add_file(sb, p, "", 0, err);
	}
	return r;
}

/* Programs in `dir` that are symlinks to elsewhere (pipx's venvs, mise's
 * shims pointing at mise, a venv's python): make their targets reachable,
 * a venv as a whole, two levels deep. Targets in the home's own top level
 * or above it are left out (they would dangle: pass their directory). */
static int bind_link_targets(ccsb_sandbox *sb, struct roots *b, const char *dir, const char *home,
			     int depth, ccsb_error **err)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int r = 0, seen = 0;
	struct dirent *e;
	while (r == 0 && (e = readdir(d)) && seen++ < 1024) {
		if (e->d_type != DT_LNK && e->d_type != DT_UNKNOWN)
			continue;
		char p[PATH_MAX], t[PATH_MAX], root[PATH_MAX], host[PATH_MAX], cfg[PATH_MAX + 16];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) < 0 || !S_ISLNK(st.st_mode) || !ccsb__realpath(p, t))
			continue;
		if (resolve_inside(sb, t, host, sizeof(host)) == 0 && strcmp(host, t) == 0)
			continue; /* already there */
		/* Programs only: a link to a key file must not bring its
		 * directory along. */
		if (stat(t, &st) < 0 || !S_ISREG(st.st_mode) || access(t, X_OK) < 0)
			continue;
		parent(t, root, sizeof(root));
		char up[PATH_MAX];
		parent(root, up, sizeof(up));
		pjoin(cfg, up, "pyvenv.cfg");
		bool venv = strcmp(base(root), "bin") == 0 && access(cfg, F_OK) == 0;
		if (venv)
			snprintf(root, sizeof(root), "%s", up);
		if (strcmp(root, "/") == 0 || (home && below_or_at(home, root)) ||
		    secret_dir(root, home))
			continue;
		if ((r = bind_root(sb, b, root, err)) < 0)
			break;
		if (venv && depth < 2) {
			pjoin(p, root, "bin");
			r = bind_link_targets(sb, b, p, home, depth + 1, err);
		}
	}
	closedir(d);
	return r;
}

static int add_dir_list(char *list, size_t len, const char *dir)
{
	size_t n = strlen(list);
	int w = snprintf(list + n, len - n, "%s%s", n ? ":" : "", dir);
	return w < 0 || (size_t)w >= len - n ? -ENAMETOOLONG : 0;
}

/* One ccsb_sandbox_add_path() call: what it was given and what it built. */
struct pathreq {
	ccsb_sandbox *sb;
	struct roots b;
	const char *dir;	 /* as given, for the messages */
	const char *real;	 /* dir resolved */
	const char *home;	 /* the host home, resolved, or NULL */
	char path[4 * PATH_MAX]; /* the directories for PATH inside */
};

/* cargo: only bin/, never the root with credentials.toml and config.toml;
 * the registry cache goes to a private CARGO_HOME in the sandbox's home
 * (discarded). */
static int path_cargo(struct pathreq *q, const char *root, ccsb_error **err)
{
	char p[PATH_MAX], up[PATH_MAX], rup[PATH_MAX];
	int r;

	pjoin(p, root, "bin");
	if ((r = bind_root(q->sb, &q->b, p, err)) < 0 ||
	    (r = add_dir_list(q->path, sizeof(q->path), p)) < 0)
		return r;
	pjoin(p, q->sb->home, ".cargo");
	if ((r = ccsb_sandbox_env_set(q->sb, "CARGO_HOME", p, err)) < 0)
		return r;
	parent(root, up, sizeof(up));
	pjoin(p, up, ".rustup");
	if (tool_root("RUSTUP_HOME", q->home, ".rustup", rup) ||
	    (ccsb__realpath(p, rup) && is_dir(rup))) {
		if ((r = refuse_home(rup, q->home, q->dir, err)) < 0 ||
		    (r = bind_root(q->sb, &q->b, rup, err)) < 0 ||
		    (r = ccsb_sandbox_env_set(q->sb, "RUSTUP_HOME", rup, err)) < 0)
			return r;
	}
	return 0;
}

/* A version manager's ROOT, bound whole with its variable ENV set. */
static int path_manager_root(struct pathreq *q, const char *root, const char *env, ccsb_error **err)
{
	int r;

	if ((r = refuse_home(root, q->home, q->dir, err)) < 0 ||
	    (r = bind_root(q->sb, &q->b, root, err)) < 0)
		return r;
	return ccsb_sandbox_env_set(q->sb, env, root, err);
}

/* PATH for a manager given as its root: shims/ then bin/ (when BIN_IF_DIR,
 * only if there is one); given as one of its directories: that one. */
static int path_manager_dirs(struct pathreq *q, const char *root, bool bin_if_dir)
{
	char p[PATH_MAX];
	int r;

	if (strcmp(q->real, root) != 0)
		return add_dir_list(q->path, sizeof(q->path), q->real);
	pjoin(p, root, "shims");
	r = add_dir_list(q->path, sizeof(q->path), p);
	pjoin(p, root, "bin");
	if (r == 0 && (!bin_if_dir || is_dir(p)))
		r = add_dir_list(q->path, sizeof(q->path), p);
	return r;
}

/* pyenv: its shims run $PYENV_ROOT/libexec/pyenv, which reads versions/
 * and the global version file: the whole root. */
static int path_pyenv(struct pathreq *q, const char *root, ccsb_error **err)
{
	int r = path_manager_root(q, root, "PYENV_ROOT", err);
	return r < 0 ? r : path_manager_dirs(q, root, false);
}

/* asdf: shims, installs and plugins under one root; the global versions in
 * ~/.tool-versions. */
static int path_asdf(struct pathreq *q, const char *root, ccsb_error **err)
{
	char p[PATH_MAX], up[PATH_MAX];
	int r;

	if ((r = path_manager_root(q, root, "ASDF_DATA_DIR", err)) < 0)
		return r;
	pjoin(p, q->home ? q->home : "/nonexistent", ".tool-versions");
	pjoin(up, q->sb->home, ".tool-versions");
	if (q->home && access(p, R_OK) == 0 &&
	    (r = ccsb_sandbox_add_bind(q->sb, p, up, CCSB_BIND_RO, err)) < 0)
		return r;
	return path_manager_dirs(q, root, true);
}

/* mise: shims are symlinks to mise itself (made reachable here); installs
 * under the data directory; the global tool versions in ~/.config/mise. */
static int path_mise(struct pathreq *q, const char *root, ccsb_error **err)
{
	char p[PATH_MAX], up[PATH_MAX], cfg[PATH_MAX];
	int r;

	if ((r = path_manager_root(q, root, "MISE_DATA_DIR", err)) < 0)
		return r;
	if (tool_root("MISE_CONFIG_DIR", q->home, ".config/mise", cfg) && is_dir(cfg) &&
	    (!q->home || !below_or_at(q->home, cfg))) {
		pjoin(up, q->sb->home, ".config/mise");
		if ((r = ccsb_sandbox_add_bind(q->sb, cfg, up, CCSB_BIND_RO, err)) < 0)
			return r;
	}
	pjoin(p, root, "shims");
	r = add_dir_list(q->path, sizeof(q->path), p);
	if (r == 0)
		r = bind_link_targets(q->sb, &q->b, p, q->home, 0, err);
	return r;
}

/* Bind BIND (the directory, or the prefix or store it lives in) and put
 * the directory itself on PATH; LINKS: make its symlinks' targets
 * reachable too. */
static int path_plain(struct pathreq *q, const char *bind, bool links, ccsb_error **err)
{
	int r;

	if ((r = bind_root(q->sb, &q->b, bind, err)) < 0)
		return r;
	r = add_dir_list(q->path, sizeof(q->path), q->real);
	if (r == 0 && links)
		r = bind_link_targets(q->sb, &q->b, q->real, q->home, 0, err);
	return r;
}

/* Which tool the directory belongs to decides what is bound with it: each
 * branch names the layout it recognises; the helpers above do the work. */
static int add_path(struct pathreq *q, ccsb_error **err)
{
	const char *real = q->real, *home = q->home;
	char root[PATH_MAX], store[PATH_MAX];
	int r;

	const char *bn = base(real);
	char par[PATH_MAX], gp[PATH_MAX], ggp[PATH_MAX];
	parent(real, par, sizeof(par));
	parent(par, gp, sizeof(gp));
	parent(gp, ggp, sizeof(ggp));
	const char *pb = base(par), *gpb = base(gp), *ggpb = base(ggp);
	bool bin = strcmp(bn, "bin") == 0, shims = strcmp(bn, "shims") == 0;

	if (tool_root("CARGO_HOME", home, ".cargo", root) &&
	    (strcmp(real, root) == 0 || ((bin) && strcmp(par, root) == 0)))
		return path_cargo(q, root, err);
	if (strcmp(bn, ".nvm") == 0 ||
	    (tool_root("NVM_DIR", home, ".nvm", root) && strcmp(real, root) == 0))
		return ccsb__err(err, EINVAL,
				 "--path=%s: name one node version's bin directory, e.g. "
				 "--path=%s/versions/node/VERSION/bin",
				 q->dir, real);
	if ((tool_root("PYENV_ROOT", home, ".pyenv", root) &&
	     (strcmp(real, root) == 0 || ((bin || shims) && strcmp(par, root) == 0))) ||
	    (strcmp(bn, ".pyenv") == 0 && snprintf(root, sizeof(root), "%s", real) > 0) ||
	    ((bin || shims) && strcmp(pb, ".pyenv") == 0 &&
	     snprintf(root, sizeof(root), "%s", par) > 0))
		return path_pyenv(q, root, err);
	if ((tool_root("ASDF_DATA_DIR", home, ".asdf", root) &&
	     (strcmp(real, root) == 0 || ((bin || shims) && strcmp(par, root) == 0))) ||
	    (strcmp(bn, ".asdf") == 0 && snprintf(root, sizeof(root), "%s", real) > 0) ||
	    ((bin || shims) && strcmp(pb, ".asdf") == 0 &&
	     snprintf(root, sizeof(root), "%s", par) > 0))
		return path_asdf(q, root, err);
	if ((tool_root("MISE_DATA_DIR", home, ".local/share/mise", root) &&
	     (strcmp(real, root) == 0 || (shims && strcmp(par, root) == 0))) ||
	    (shims && strcmp(pb, "mise") == 0 && snprintf(root, sizeof(root), "%s", par) > 0))
		return path_mise(q, root, err);
	if (bin && (strcmp(gpb, "versions") == 0 || strcmp(gpb, "toolchains") == 0 ||
		    strcmp(ggpb, "installs") == 0 ||
		    (strcmp(gpb, "node") == 0 && strcmp(ggpb, "versions") == 0))) {
		/* One version of a version manager (nvm, pyenv, rustup, mise,
		 * asdf): the prefix above bin/, for its lib/ and share/. */
		if ((r = refuse_home(par, home, q->dir, err)) < 0)
			return r;
		return path_plain(q, par, false, err);
	}
	/* ~/.nix-profile/bin and the like resolve into the store, whose paths
	 * refer to each other: the whole store, read-only. */
	if (nix_store(store) && below_or_at(real, store))
		return path_plain(q, store, false, err);
	return path_plain(q, real, true, err);
}

CCSB_EXPORT int ccsb_sandbox_add_path(ccsb_sandbox *sb, const char *dir, char **inside_path,
				      ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	char real[PATH_MAX], homebuf[PATH_MAX];
	int r;

	if (inside_path)
		*inside_path = NULL;
	if (!dir || dir[0] != '/')
		return ccsb__err(err, EINVAL, "--path=%s: must be an absolute path",
				 dir ? dir : "");
	if (!ccsb__realpath(dir, real))
		return ccsb__errno(err, errno, "--path=%s", dir);
	if (!is_dir(real))
		return ccsb__err(err, ENOTDIR, "--path=%s: not a directory", dir);
	const char *home = host_home_real(homebuf);
	if ((r = refuse_home(real, home, dir, err)) < 0)
		return r;

	struct pathreq *q = calloc(1, sizeof(*q));
	if (!q)
		return ccsb__err(err, ENOMEM, "out of memory");
	*q = (struct pathreq){ .sb = sb, .dir = dir, .real = real, .home = home };
	r = add_path(q, err);
	if (r == -ENAMETOOLONG)
		r = ccsb__err(err, ENAMETOOLONG, "--path=%s: path too long", dir);
	if (r == 0 && inside_path && !(*inside_path = strdup(q->path)))
		r = ccsb__err(err, ENOMEM, "out of memory");
	free(q);
	return r;
}
