/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The persistence guard (guard.c) on real directories: the start-up plan's
 * read-only binds, the scan's quarantine and replacement config, its bound,
 * and silence when nothing changed. The sandboxed end-to-end attacks are in
 * tests/security/persistence.sh. */
#include "internal.h"
#include "tap.h"
#include "sh.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char top[64];

static char *joined(char **argv)
{
	size_t n = 1;
	for (char **p = argv; *p; p++)
		n += strlen(*p) + 1;
	char *s = calloc(1, n);
	for (char **p = argv; *p; p++) {
		strcat(s, *p);
		strcat(s, "\n");
	}
	return s;
}

static bool has_item(const ccsb_sandbox *sb, const char *needle)
{
	for (size_t i = 0; i < ccsb_sandbox_report_count(sb); i++)
		if (strstr(ccsb_sandbox_report_item(sb, i), needle))
			return true;
	return false;
}

static void test_plan(void)
{
	char proj[PATH_MAX], want[3 * PATH_MAX];
	snprintf(proj, sizeof(proj), "%s/plan", top);
	sh("git init -q %s && rm -rf %s/.git/hooks && mkdir -p %s/.claude && echo {} >%s/.mcp.json",
	   proj, proj, proj, proj);
	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	ok(ccsb_sandbox_add_bind(sb, proj, NULL, CCSB_BIND_RW, &e) == 0, "rw bind");
	char *const cmd[] = { "true", NULL };
	char **argv = NULL;
	ok(ccsb__guard_build_argv(sb, cmd, false, false, &argv, &e) == 0, "plan built");
	char *s = argv ? joined(argv) : strdup("");
	snprintf(want, sizeof(want), "--ro-bind\n%s/.git/config\n%s/.git/config\n", proj, proj);
	ok(strstr(s, want) != NULL, "the repository's config is bound read-only");
	snprintf(want, sizeof(want), "--tmpfs\n%s/.git/hooks\n--remount-ro\n%s/.git/hooks\n", proj,
		 proj);
	ok(strstr(s, want) != NULL, "a missing hooks/ becomes an empty read-only directory");
	snprintf(want, sizeof(want), "--ro-bind\n%s/.mcp.json\n%s/.mcp.json\n", proj, proj);
	ok(strstr(s, want) != NULL, ".mcp.json is bound read-only");
	snprintf(want, sizeof(want), "--ro-bind\n%s/.git/objects\n", proj);
	ok(strstr(s, want) == NULL, "objects stay writable");
	/* The guard's binds come after the policy's own. */
	snprintf(want, sizeof(want), "--bind\n%s\n%s\n", proj, proj);
	char *rw = strstr(s, want), *ro = strstr(s, "--ro-bind\n");
	ok(rw && ro && rw < strstr(s, ".git/config"), "after the read-write bind");
	free(s);
	ccsb_argv_free(argv);

	/* The internal entry other parts use for a git directory they bind. */
	size_t before = sb->nmounts;
	char gd[PATH_MAX + 8];
	snprintf(gd, sizeof(gd), "%s/.git", proj);
	ok(ccsb__guard_protect_gitdir(sb, gd, &e) == 0, "protect_gitdir");
	ok(sb->nmounts >= before + 2, "protect_gitdir added %zu mounts", sb->nmounts - before);
	bool tmpfs_ro = false;
	for (size_t i = before; i < sb->nmounts; i++)
		tmpfs_ro |= sb->mounts[i].kind == CCSB_M_TMPFS &&
			    (sb->mounts[i].flags & CCSB_MOUNT_RDONLY);
	ok(tmpfs_ro, "... with the empty read-only hooks/");
	before = sb->nmounts;
	ok(ccsb__guard_protect_gitdir(sb, "/usr", &e) == 0 && sb->nmounts == before,
	   "a directory outside every writable bind adds nothing");
	ccsb_sandbox_free(sb);
}

static void test_scan(void)
{
	char proj[PATH_MAX], p[PATH_MAX + 64];
	snprintf(proj, sizeof(proj), "%s/scan", top);
	sh("mkdir -p %s && git init -q %s/new && git -C %s/new config user.name 'A B' && "
	   "git -C %s/new config core.fsmonitor 'touch /nonexistent/x' && "
	   "printf '#!/bin/sh\\n' >%s/new/.git/hooks/pre-commit && echo {} >%s/.mcp.json && "
	   "mkdir -p %s/odd/refs && ln -s ../new/.git/objects %s/odd/objects && "
	   "echo 'ref: refs/heads/main' >%s/odd/HEAD && printf '[core]\\n\\tbare = true\\n' >%s/odd/config",
	   proj, proj, proj, proj, proj, proj, proj, proj, proj, proj);
	ccsb_sandbox *sb = ccsb_sandbox_new();
	char *const roots[] = { proj };
	struct timespec future = { time(NULL) + 60, 0 }, past = { 1, 0 };

	is_int(ccsb__guard_scan(sb, roots, 1, &future, 0), 0, "nothing new: scan ok");
	is_int(ccsb_sandbox_report_count(sb), 0, "nothing new: nothing reported");

	is_int(ccsb__guard_scan(sb, roots, 1, &past, 0), 0, "everything new: scan ok");
	ok(has_item(sb, "quarantined: ") &&
		   has_item(sb, "/new/.git/config -> config.ccsb-quarantined-"),
	   "the new config is quarantined");
	ok(has_item(sb, "/new/.git/hooks -> hooks.ccsb-quarantined-"), "the new hooks/ too");
	ok(has_item(sb, "/.mcp.json -> .mcp.json.ccsb-quarantined-"), "and .mcp.json");
	ok(has_item(sb, "/odd/config -> config.ccsb-quarantined-"),
	   "a git directory whose objects/ is a symbolic link");
	snprintf(p, sizeof(p), "git -C %s/new config user.name | grep -qx 'A B'", proj);
	ok(system(p) == 0, "the replacement config keeps user.name");
	snprintf(p, sizeof(p), "! git -C %s/new config core.fsmonitor >/dev/null", proj);
	ok(system(p) == 0, "... and not core.fsmonitor");
	snprintf(p, sizeof(p), "git -C %s/new status >/dev/null 2>&1", proj);
	ok(system(p) == 0, "the repository works");
	ccsb__report_clear(sb);

	/* The bound: stops, says where and how to look. */
	sh("mkdir -p %s/deep && cd %s/deep && mkdir -p a1/b a2/b a3/b a4/b a5/b a6/b", proj, proj);
	is_int(ccsb__guard_scan(sb, roots, 1, &future, 3), -E2BIG, "over the bound: -E2BIG");
	ok(has_item(sb, "stopped") && has_item(sb, "NOT checked") && has_item(sb, "find "),
	   "over the bound: reported with a find command");
	ccsb_sandbox_free(sb);
}

int main(void)
{
	if (system("git --version >/dev/null 2>&1") != 0)
		skip_all("git not found (apt-get install git)");
	snprintf(top, sizeof(top), "/tmp/ccsb-test-guard.XXXXXX");
	if (!mkdtemp(top))
		bail_out("mkdtemp");
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", top, 1);
	test_plan();
	test_scan();
	sh("rm -rf %s", top);
	return done_testing();
}
