/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Claude Code's state per project (state.c): the directory name Claude Code
 * gives a project under ~/.claude/projects, checked against vectors made
 * with Claude Code 2.1.197's own function run by Node.js (long paths are
 * cut and hashed; invalid UTF-8 decodes as Node.js decodes it); and the
 * plan: only this project's transcripts and ccsb's store for it are bound,
 * never the data of other projects. */
#include "internal.h"
#include "tap.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *path, *key;
} vectors
	[] = {
		{ "/", "-" },
		{ "/home/u1/proj", "-home-u1-proj" },
		{ "/home/a.b/my_proj-2", "-home-a-b-my-proj-2" },
		{ "/home/u/\303\234n\303\257c\303\266d\303\251/\320\277\321\200\320\276\320\265\320\272\321\202",
		  "-home-u--n-c-d--------" },
		{ "/srv/\360\237\230\200emoji/x", "-srv---emoji-x" },
		{ "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
		{ "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-b6ymvl" },
		{ "/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/tail",
		  "-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-hgg4sw" },
		{ "/home/u/\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251/\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200",
		  "-home-u--------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------uop43w" },
		{ "/x/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
		  "-x-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-as8y1m" },
		{ "/long/p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0",
		  "-long-p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0p0" },
		{ "/long/p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1",
		  "-long-p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1p1" },
		{ "/long/p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2",
		  "-long-p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2p2" },
		{ "/long/p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3",
		  "-long-p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3p3" },
		{ "/long/p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4", "-long-p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4p4" },
		{ "/long/p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5",
		  "-long-p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5p5" },
		{ "/a\377\303(\342\202/", "-a-----" },
		{ "/qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\360\237\230/end",
		  "-qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq--xejr2y" },
	};

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

/* "--bind\nSRC\nDST\n" in the argv text. */
static bool has_bind(const char *argv, const char *how, const char *src, const char *dst)
{
	char *want = NULL;
	if (asprintf(&want, "\n%s\n%s\n%s\n", how, src, dst) < 0)
		bail_out("asprintf");
	bool found = strstr(argv, want) != NULL;
	free(want);
	return found;
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		bail_out(cmd);
}

int main(void)
{
	char key[256];
	for (size_t i = 0; i < sizeof(vectors) / sizeof(*vectors); i++) {
		int r = ccsb__claude_project_key(vectors[i].path, key, sizeof(key));
		ok(r == 0 && strcmp(key, vectors[i].key) == 0, "key %zu: %.40s%s", i,
		   vectors[i].key, strlen(vectors[i].key) > 40 ? "..." : "");
	}
	ok(ccsb__claude_project_key("/home/u1/proj", key, 8) == -ENAMETOOLONG,
	   "a key longer than the buffer is an error");

	char top[] = "/tmp/ccsb-test-state.XXXXXX";
	if (!mkdtemp(top))
		bail_out("mkdtemp");
	char home[128], proj[128], cmd[8 * PATH_MAX];
	snprintf(home, sizeof(home), "%s/home", top);
	snprintf(proj, sizeof(proj), "%s/work/my.proj", top);
	snprintf(
		cmd, sizeof(cmd),
		"mkdir -p %s/.claude/projects/-other-secret %s/.claude/todos %s/.claude/debug %s && "
		"echo other > %s/.claude/projects/-other-secret/t.jsonl",
		home, home, home, proj, home);
	sh(cmd);
	setenv("HOME", home, 1);
	unsetenv("XDG_DATA_HOME");
	unsetenv("CLAUDE_CONFIG_DIR");
	if (chdir(proj) < 0)
		bail_out("chdir");
	char rproj[PATH_MAX], rhome[PATH_MAX];
	_Static_assert(sizeof(cmd) > 4 * PATH_MAX + 512, "cmd holds the paths");
	if (!realpath(proj, rproj) || !realpath(home, rhome))
		bail_out("realpath");
	ccsb__claude_project_key(rproj, key, sizeof(key));

	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	int r = ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CWD | CCSB_DEFAULTS_CLAUDE_STATE, &e);
	ok(r == 0, "defaults with Claude state: %s", e ? ccsb_error_message(e) : "ok");
	char *cmdv[] = { "true", NULL }, **argv = NULL;
	if (r == 0)
		r = ccsb_sandbox_build_argv(sb, cmdv, &argv, &e);
	ok(r == 0, "argv built: %s", e ? ccsb_error_message(e) : "ok");
	char *a = argv ? joined(argv) : strdup("");
	char src[2 * PATH_MAX], dst[2 * PATH_MAX];
	snprintf(src, sizeof(src), "%s/.claude/projects/%s", rhome, key);
	snprintf(dst, sizeof(dst), "/home/claude/.claude/projects/%s", key);
	ok(has_bind(a, "--bind", src, dst), "the project's transcripts are bound read-write");
	struct stat st;
	ok(stat(src, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700,
	   "and created, mode 0700");
	snprintf(src, sizeof(src), "%s/.claude/projects", rhome);
	ok(!strstr(a, "-other-secret") &&
		   !has_bind(a, "--bind", src, "/home/claude/.claude/projects") &&
		   !has_bind(a, "--ro-bind", src, "/home/claude/.claude/projects"),
	   "neither the projects directory nor another project is bound");
	snprintf(src, sizeof(src), "%s/.local/share/ccsb/claude/%s", rhome, key);
	ok(has_bind(a, "--bind", src, "/home/claude/.claude/.ccsb-project"),
	   "ccsb's store for the project is bound once");
	static const char *const store[] = { "todos", "file-history", "plans", "tasks",
					     "history.jsonl" };
	for (size_t i = 0; i < sizeof(store) / sizeof(*store); i++) {
		snprintf(src, sizeof(src), "%s/.local/share/ccsb/claude/%s/%s", rhome, key,
			 store[i]);
		snprintf(dst, sizeof(dst), "/home/claude/.claude/%s", store[i]);
		bool file = strchr(store[i], '.') != NULL;
		char link[64];
		snprintf(link, sizeof(link), ".ccsb-project/%s", store[i]);
		ok(lstat(src, &st) == 0 && (file ? S_ISREG(st.st_mode) : S_ISDIR(st.st_mode)) &&
			   (file ? has_bind(a, "--bind", src, dst)
				 : has_bind(a, "--symlink", link, dst)),
		   "%s comes from ccsb's store for the project (%s)", store[i],
		   file ? "a bind of its own" : "a link into the store");
		snprintf(src, sizeof(src), "%s/.claude/%s", rhome, store[i]);
		ok(!strstr(a, src), "the host's shared %s is not bound", store[i]);
	}
	snprintf(src, sizeof(src), "%s/.claude/debug", rhome);
	ok(!strstr(a, src),
	   "Claude Code's logs and caches are the sandbox's own (debug not bound)");
	snprintf(src, sizeof(src), "%s/.claude/.credentials.json", rhome);
	ok(has_bind(a, "--bind", src, "/home/claude/.claude/.credentials.json"),
	   "the login is bound read-write");
	free(a);
	ccsb_argv_free(argv);
	ccsb_sandbox_free(sb);

	/* A symbolic link planted in the store is never followed. */
	snprintf(
		cmd, sizeof(cmd),
		"rm -rf %s/.local/share/ccsb/claude/%s/todos && ln -s /etc %s/.local/share/ccsb/claude/%s/todos",
		rhome, key, rhome, key);
	sh(cmd);
	sb = ccsb_sandbox_new();
	ccsb_error_free(e);
	e = NULL;
	r = ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CWD | CCSB_DEFAULTS_CLAUDE_STATE, &e);
	ok(r < 0 && e && strstr(ccsb_error_message(e), "todos is not a directory"),
	   "a symbolic link in the store is refused: %s", e ? ccsb_error_message(e) : "accepted");
	ccsb_sandbox_free(sb);
	ccsb_error_free(e);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	sh(cmd);
	return done_testing();
}
