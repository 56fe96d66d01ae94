/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb's default policy. Unlike argv.c this inspects the host (which system
 * directories are symlinks, where a program is installed) and may create the
 * Claude state files in the caller's home. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const usr_merged[] = { "/bin", "/sbin", "/lib", "/lib64", "/lib32" };

static const char *const env_passed[] = { "TERM", "COLORTERM", "LANG",	  "LANGUAGE",
					  "LC_*", "TZ",	       "NO_COLOR" };

static const char default_path[] = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

/* The caller's real home, for the Claude state files and the "whole home"
 * check. $HOME first, as shells do; the password database otherwise. */
const char *ccsb__host_home(void)
{
	const char *h = getenv("HOME");
	if (h && h[0] == '/')
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

static int add_system(ccsb_sandbox *sb, ccsb_error **err)
{
	int r = ccsb_sandbox_add_bind(sb, "/usr", NULL, CCSB_BIND_RO, err);
	for (size_t i = 0; r == 0 && i < sizeof(usr_merged) / sizeof(*usr_merged); i++) {
		const char *d = usr_merged[i];
		struct stat st;
		if (lstat(d, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(d, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			r = ccsb_sandbox_add_symlink(sb, target, d, err);
		} else if (S_ISDIR(st.st_mode)) {
			r = ccsb_sandbox_add_bind(sb, d, NULL, CCSB_BIND_RO, err);
		}
	}
	if (r == 0)
		r = ccsb__add_etc(sb, err);
	return r;
}

static const char *login_shell(void)
{
	return access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";
}

static int add_identity_files(ccsb_sandbox *sb, ccsb_error **err)
{
	const char *shell = login_shell();
	char *me = ccsb__passwd_line(sb->user, sb->uid, sb->gid, sb->home, shell);
	char *grp = ccsb__group_line(sb->user, sb->gid);
	char *passwd = NULL, *group = NULL, *hosts = NULL, *hostname = NULL;
	int r = -ENOMEM;
	if (!me || !grp)
		goto out;
	/* root and nobody exist on every system; tools that map ids to names
	 * (ls, ps) expect them. */
	if (asprintf(&passwd, "%s%s%s", sb->uid ? "root:x:0:0:root:/root:/usr/sbin/nologin\n" : "",
		     me,
		     sb->uid != 65534
			     ? "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
			     : "") < 0)
		passwd = NULL;
	if (asprintf(&group, "%s%s%s", sb->gid ? "root:x:0:\n" : "", grp,
		     sb->gid != 65534 ? "nogroup:x:65534:\n" : "") < 0)
		group = NULL;
	if (asprintf(
		    &hosts,
		    "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		    sb->hostname) < 0)
		hosts = NULL;
	if (asprintf(&hostname, "%s\n", sb->hostname) < 0)
		hostname = NULL;
	if (!passwd || !group || !hosts || !hostname)
		goto out;
	r = ccsb_sandbox_add_file(sb, "/etc/passwd", passwd, strlen(passwd), err);
	if (r == 0)
		r = ccsb_sandbox_add_file(sb, "/etc/group", group, strlen(group), err);
	if (r == 0)
		r = ccsb_sandbox_add_file(sb, "/etc/hosts", hosts, strlen(hosts), err);
	if (r == 0)
		r = ccsb_sandbox_add_file(sb, "/etc/hostname", hostname, strlen(hostname), err);
	if (r == 0)
		r = ccsb_sandbox_env_set(sb, "SHELL", shell, err);
out:
	if (r == -ENOMEM)
		ccsb__err(err, ENOMEM, "out of memory");
	free(me);
	free(grp);
	free(passwd);
	free(group);
	free(hosts);
	free(hostname);
	return r;
}

static int add_claude_state(ccsb_sandbox *sb, ccsb_error **err)
{
	const char *home = ccsb__host_home();
	if (!home)
		return ccsb__err(err, ENOENT, "cannot find your home directory: set HOME");
	return ccsb__add_claude_state(sb, home, err);
}

/* True when `dir` is `home` or contains it. */
static bool contains(const char *dir, const char *home)
{
	size_t n = strlen(dir);
	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(dir, home, n) == 0 && (home[n] == '\0' || home[n] == '/');
}

int ccsb__check_shared_dir(const char *dir, ccsb_error **err)
{
	const char *h = ccsb__host_home();
	char home[PATH_MAX];
	if (strcmp(dir, "/") == 0)
		return ccsb__err(
			err, EPERM,
			"refusing to share / read-write: run ccsb from a project directory");
	if (h && ccsb__realpath(h, home) && contains(dir, home))
		return ccsb__err(
			err, EPERM,
			"refusing to share %s read-write: it holds your whole home directory; "
			"run ccsb from a project directory, or pass --rw=%s if you really mean it",
			dir, dir);
	return 0;
}

static int add_cwd(ccsb_sandbox *sb, ccsb_error **err)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return ccsb__errno(err, errno, "cannot get the current directory");
	int r = ccsb__check_shared_dir(cwd, err);
	if (r == 0)
		r = ccsb_sandbox_add_bind(sb, cwd, NULL, CCSB_BIND_RW, err);
	if (r == 0)
		r = ccsb_sandbox_set_cwd(sb, cwd, err);
	if (r == 0)
		r = ccsb__worktree_binds(sb, cwd, err);
	return r;
}

CCSB_EXPORT int ccsb_sandbox_apply_defaults(ccsb_sandbox *sb, unsigned flags, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (flags & ~(unsigned)(CCSB_DEFAULTS_CLAUDE_STATE | CCSB_DEFAULTS_CWD))
		return ccsb__err(err, EINVAL, "unknown defaults flags 0x%x", flags);
	int r = add_system(sb, err);
	if (r == 0)
		r = add_identity_files(sb, err);
	if (r == 0)
		r = ccsb__add_special(sb, CCSB_M_PROC, "/proc", err);
	if (r == 0)
		r = ccsb__add_special(sb, CCSB_M_DEV, "/dev", err);
	if (r == 0)
		r = ccsb_sandbox_add_tmpfs(sb, "/tmp", err);
	if (r == 0)
		r = ccsb_sandbox_add_tmpfs(sb, sb->home, err);
	if (r == 0 && (flags & CCSB_DEFAULTS_CWD))
		r = add_cwd(sb, err);
	if (r == 0 && (flags & CCSB_DEFAULTS_CLAUDE_STATE))
		r = add_claude_state(sb, err);
	if (r == 0)
		r = ccsb_sandbox_env_set(sb, "HOME", sb->home, err);
	if (r == 0)
		r = ccsb_sandbox_env_set(sb, "USER", sb->user, err);
	if (r == 0)
		r = ccsb_sandbox_env_set(sb, "LOGNAME", sb->user, err);
	if (r == 0)
		r = ccsb_sandbox_env_set(sb, "PATH", default_path, err);
	for (size_t i = 0; r == 0 && i < sizeof(env_passed) / sizeof(*env_passed); i++)
		r = ccsb_sandbox_env_pass(sb, env_passed[i], err);
	return r;
}

/* ---- programs installed outside the system directories --------------- */

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Already visible: the system, or a read-only bind at its own path (an
 * explicit --ro=DIR is how a user shows ccsb an unusual layout). */
static bool visible(const ccsb_sandbox *sb, const char *path)
{
	if (under(path, "/usr"))
		return true;
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (m->kind == CCSB_M_BIND && !(m->flags & CCSB_BIND_RW) &&
		    strcmp(m->src, m->dest) == 0 && under(path, m->src))
			return true;
	}
	return false;
}

/* The area the sandbox can write that holds `path`, copied to `area`; false
 * when none. Both the policy's read-write binds and those the defaults add
 * (the current directory, Claude Code's data, the npm cache) count, whether
 * or not they were applied yet: a program the sandbox could rewrite would
 * decide what the next sandbox binds, and run on the host. */
static bool in_writable(const ccsb_sandbox *sb, const char *path, char *area, size_t len)
{
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (m->kind == CCSB_M_BIND && (m->flags & CCSB_BIND_RW) && under(path, m->src)) {
			snprintf(area, len, "%s", m->src);
			return true;
		}
	}
	const char *const *w;
	size_t n = ccsb__state_writable(sb, &w);
	for (size_t i = 0; i < n; i++) {
		if (under(path, w[i])) {
			snprintf(area, len, "%s", w[i]);
			return true;
		}
	}
	char cwd[PATH_MAX];
	if (getcwd(cwd, sizeof(cwd)) && ccsb__check_shared_dir(cwd, NULL) == 0 &&
	    under(path, cwd)) {
		snprintf(area, len, "%s (the current directory)", cwd);
		return true;
	}
	const char *home = ccsb__host_home();
	char rhome[PATH_MAX];
	if (!sb->state && home && ccsb__realpath(home, rhome)) {
		static const char *const data[] = { ".claude/projects", ".claude/.credentials.json",
						    ".local/share/ccsb", ".cache/ccsb" };
		for (size_t i = 0; i < sizeof(data) / sizeof(*data); i++) {
			char p[PATH_MAX + 32];
			snprintf(p, sizeof(p), "%s/%s", rhome, data[i]);
			if (under(path, p)) {
				snprintf(area, len, "%s", p);
				return true;
			}
		}
	}
	return false;
}

static int which(const ccsb_sandbox *sb, const char *name, char *out, size_t len)
{
	return ccsb__search_program(sb, name, out, len);
}

/* The directory to bind for an executable at `real`: the top-most
 * node_modules for an npm package (so its dependencies come along), the
 * prefix above bin/ for a toolchain (nvm's node), else its own directory.
 * *prefix tells whether it is a prefix above bin/. */
static void install_root(const char *real, char *root, size_t len, bool *prefix)
{
	*prefix = false;
	snprintf(root, len, "%s", real);
	char *nm = strstr(root, "/node_modules/");
	if (nm) {
		nm[strlen("/node_modules")] = '\0';
		return;
	}
	char *slash = strrchr(root, '/');
	*slash = '\0';
	slash = strrchr(root, '/');
	if (slash && strcmp(slash, "/bin") == 0 && slash != root) {
		*slash = '\0';
		*prefix = true;
	}
}

/* Refuse a bind that would show too much, or a program the sandbox could
 * rewrite: with the fix in the message, never a wider bind. */
static int check_root(const ccsb_sandbox *sb, const char *real, const char *root, bool prefix,
		      ccsb_error **err)
{
	char area[PATH_MAX + 32], rhome[PATH_MAX];
	const char *home = ccsb__host_home();
	const char *dir = strrchr(real, '/');
	int dlen = dir ? (int)(dir - real) : 0;
	if (in_writable(sb, real, area, sizeof(area)) || in_writable(sb, root, area, sizeof(area)))
		return ccsb__err(
			err, EPERM,
			"%s lies in %s, which the sandbox can write: an agent could rewrite it "
			"and run code on the host or widen the next sandbox; install it "
			"outside (e.g. npm install -g) and try again",
			real, area);
	if (home && ccsb__realpath(home, rhome)) {
		/* $HOME, a parent of it, or (for a prefix above bin/) a
		 * directory directly in it such as ~/.local or ~/.cargo. */
		bool wide = contains(root, rhome);
		if (!wide && prefix && under(root, rhome)) {
			const char *rest = root + strlen(rhome);
			wide = rest[0] == '/' && !strchr(rest + 1, '/');
		}
		if (wide)
			return ccsb__err(
				err, EPERM,
				"%s: ccsb would have to bind %s (%s), which holds much more "
				"than the program; show it only its directory with "
				"--ro=%.*s (plus what it needs), or install it elsewhere",
				real, root,
				contains(root, rhome) ? "your home or above"
						      : "a whole "
							"directory of your home",
				dlen, real);
	} else if (strcmp(root, "/") == 0) {
		return ccsb__err(err, EPERM, "%s: ccsb would have to bind /; pass --ro=%.*s", real,
				 dlen, real);
	}
	return 0;
}

static int bind_program(ccsb_sandbox *sb, const char *real, int depth, ccsb_error **err);

/* For "#!/usr/bin/env node" or "#!/path/interp", make the interpreter
 * reachable too. */
static int bind_interpreter(ccsb_sandbox *sb, const char *real, int depth, ccsb_error **err)
{
	char line[256] = "";
	FILE *f = fopen(real, "re");
	if (!f)
		return 0;
	bool shebang = fgets(line, sizeof(line), f) && line[0] == '#' && line[1] == '!';
	fclose(f);
	if (!shebang)
		return 0;
	char *s = line + 2;
	s += strspn(s, " \t");
	s[strcspn(s, " \t\r\n")] = '\0';
	char *arg = s + strlen(s) + 1;
	const char *interp = s;
	if (strcmp(s, "/usr/bin/env") == 0 || strcmp(s, "/bin/env") == 0) {
		arg += strspn(arg, " \t");
		if (strncmp(arg, "-S", 2) == 0)
			arg += 2 + strspn(arg + 2, " \t");
		arg[strcspn(arg, " \t\r\n")] = '\0';
		interp = arg;
	}
	if (!*interp)
		return 0;
	char found[PATH_MAX], rp[PATH_MAX];
	if (which(sb, interp, found, sizeof(found)) < 0 || !ccsb__realpath(found, rp))
		return ccsb__err(err, ENOENT,
				 "%s needs the interpreter '%s', which is not on the search "
				 "path (%s)",
				 real, interp, ccsb__search_path(sb));
	/* "#!/home/u" would otherwise bind a directory (and its parent). */
	struct stat st;
	if (stat(rp, &st) < 0 || !S_ISREG(st.st_mode))
		return ccsb__err(err, EPERM,
				 "%s names the interpreter '%s', which is not a regular "
				 "file",
				 real, interp);
	int r = bind_program(sb, rp, depth + 1, err);
	/* env finds it on PATH inside: make it visible under its name. */
	if (r == 0 && !strchr(interp, '/') && !visible(sb, rp)) {
		char dest[PATH_MAX];
		snprintf(dest, sizeof(dest), "/run/ccsb/bin/%s", interp);
		r = ccsb_sandbox_add_symlink(sb, rp, dest, err);
	}
	return r;
}

static int bind_program(ccsb_sandbox *sb, const char *real, int depth, ccsb_error **err)
{
	if (depth > 4)
		return ccsb__err(err, ELOOP, "%s: too many interpreters", real);
	struct stat st;
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode))
		return ccsb__err(err, EPERM, "%s is not a regular file", real);
	char root[PATH_MAX], area[PATH_MAX + 32];
	bool prefix;
	install_root(real, root, sizeof(root), &prefix);
	if (!visible(sb, real)) {
		int r = check_root(sb, real, root, prefix, err);
		if (r == 0)
			r = ccsb_sandbox_add_bind(sb, root, NULL, CCSB_BIND_RO, err);
		if (r < 0)
			return r;
		sb->mounts[sb->nmounts - 1].flags |= CCSB_MOUNT_PROGRAM;
	} else if (in_writable(sb, real, area, sizeof(area))) {
		return check_root(sb, real, root, prefix, err);
	}
	return bind_interpreter(sb, real, depth, err);
}

CCSB_EXPORT int ccsb_sandbox_add_program(ccsb_sandbox *sb, const char *name, char **inside_dir,
					 ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	char found[PATH_MAX], real[PATH_MAX];
	if (!name || !*name || strchr(name, '/'))
		return ccsb__err(err, EINVAL, "bad program name '%s'", name ? name : "");
	if (which(sb, name, found, sizeof(found)) < 0)
		return ccsb__err(err, ENOENT, "%s not found on the search path (%s)", name,
				 ccsb__search_path(sb));
	if (!ccsb__realpath(found, real))
		return ccsb__errno(err, errno, "cannot resolve %s", found);
	int r = bind_program(sb, real, 0, err);
	if (r < 0)
		return r;
	char dest[PATH_MAX];
	snprintf(dest, sizeof(dest), "/run/ccsb/bin/%s", name);
	r = ccsb_sandbox_add_symlink(sb, real, dest, err);
	if (r == 0 && inside_dir && !(*inside_dir = strdup("/run/ccsb/bin")))
		return ccsb__err(err, ENOMEM, "out of memory");
	return r;
}

int ccsb__check_programs(const ccsb_sandbox *sb, ccsb_error **err)
{
	/* A read-write bind added after ccsb_sandbox_add_program() must not
	 * cover what it bound. */
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *p = &sb->mounts[i];
		if (p->kind != CCSB_M_BIND || !(p->flags & CCSB_MOUNT_PROGRAM))
			continue;
		for (size_t k = 0; k < sb->nmounts; k++) {
			const struct ccsb_mount *m = &sb->mounts[k];
			if (m->kind == CCSB_M_BIND && (m->flags & CCSB_BIND_RW) &&
			    (under(p->src, m->src) || under(m->src, p->src)))
				return ccsb__err(
					err, EPERM,
					"%s holds a program ccsb binds read-only, but %s is shared "
					"read-write: the sandbox could rewrite the program",
					p->src, m->src);
		}
	}
	return 0;
}
