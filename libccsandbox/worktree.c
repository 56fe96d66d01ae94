/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A project whose .git is a file pointing outside it: a linked worktree
 * (git worktree add) or a submodule whose git directory lives in the
 * superproject's .git/modules/. git needs that directory, and the shared
 * ("common") one it names, to work: objects, refs, logs, index, HEAD. They
 * are bound read-write at the same path, and nothing else of the main
 * repository: its working tree stays invisible. What git executes or obeys
 * there (config, config.worktree, hooks/, the commondir and gitdir
 * pointers, other worktrees' and submodules' metadata) is then bound
 * read-only over them by the persistence guard (guard.c). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool under(const char *path, const char *dir)
{
	return ccsb__path_under(path, dir, strlen(dir));
}

/* The guard's pointer reader, then canonicalised (realpath). */
static int read_pointer(const char *file, const char *prefix, const char *base, char out[PATH_MAX])
{
	char joined[2 * PATH_MAX + 2];
	int r = ccsb__read_pointer(file, prefix, base, joined, sizeof(joined));
	if (r < 0)
		return r;
	return ccsb__realpath(joined, out) ? 0 : -errno;
}

/* Whether the common config may enable extensions.worktreeConfig: any
 * mention of it counts (case-insensitive, as git's keys are). */
static bool worktree_config(const char *common)
{
	char p[PATH_MAX + 16], buf[65536];
	snprintf(p, sizeof(p), "%s/config", common);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] >= 'A' && buf[i] <= 'Z')
			buf[i] = (char)(buf[i] - 'A' + 'a');
	/* A config larger than the buffer: assume it may. */
	return strstr(buf, "worktreeconfig") != NULL || n == (ssize_t)sizeof(buf) - 1;
}

/* git reads config.worktree only with extensions.worktreeConfig, set in
 * the common config (read-only inside). When it may be set, a missing one
 * must not be creatable inside: it is created empty now, before the run
 * starts (git reads no setting from it, and the end-of-run scan does not
 * take it for the sandbox's), and the guard binds it read-only like any
 * existing one. Failing that, an empty read-only file is bound there. */
static int plug_worktree_config(ccsb_sandbox *sb, const char *dir, ccsb_error **err)
{
	char p[PATH_MAX + 24];
	struct stat st;
	snprintf(p, sizeof(p), "%s/config.worktree", dir);
	if (lstat(p, &st) == 0 || errno != ENOENT)
		return 0;
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return ccsb_sandbox_add_file(sb, p, "", 0, err);
}

static int bind_gitdir(ccsb_sandbox *sb, const char *dir, bool wtconfig, ccsb_error **err)
{
	int r = wtconfig ? plug_worktree_config(sb, dir, err) : 0;
	if (r == 0)
		r = ccsb_sandbox_add_bind(sb, dir, NULL, CCSB_BIND_RW, err);
	/* Also at policy time, so that --print shows it; the run's plan adds
	 * the same binds again for whatever exists then. */
	if (r == 0)
		r = ccsb__guard_protect_gitdir(sb, dir, err);
	return r;
}

int ccsb__worktree_binds(ccsb_sandbox *sb, const char *project, ccsb_error **err)
{
	char dotgit[PATH_MAX + 8], gitdir[PATH_MAX], common[PATH_MAX], p[PATH_MAX + 16];
	struct stat st;
	snprintf(dotgit, sizeof(dotgit), "%s/.git", project);
	if (lstat(dotgit, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	/* Not a pointer git would follow, or one into the project itself:
	 * nothing to add (git fails inside as it would outside). */
	if (read_pointer(dotgit, "gitdir:", project, gitdir) < 0 || under(gitdir, project) ||
	    under(project, gitdir) || !ccsb__is_gitdir(gitdir))
		return 0;
	snprintf(p, sizeof(p), "%s/commondir", gitdir);
	if (read_pointer(p, NULL, gitdir, common) < 0)
		snprintf(common, sizeof(common), "%s", gitdir);
	if (strcmp(common, "/") == 0 || under(project, common) || !ccsb__is_gitdir(common))
		return 0;
	bool wtconfig = worktree_config(common);
	int r = 0;
	/* The worktree's own directory first: the guard follows it from the
	 * common one. */
	if (wtconfig && strcmp(gitdir, common) != 0)
		r = plug_worktree_config(sb, gitdir, err);
	if (r == 0 && !under(common, project))
		r = bind_gitdir(sb, common, wtconfig, err);
	if (r == 0 && strcmp(gitdir, common) != 0 && !under(gitdir, common))
		r = bind_gitdir(sb, gitdir, wtconfig, err);
	return r;
}
