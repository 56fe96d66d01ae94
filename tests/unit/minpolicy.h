/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the tests that start real sandboxes through the public API
 * (test-embed, test-spawn) share: the start (skip without bwrap or the
 * build's ccsb-exec; as root, drop to uid 65534, as users run sandboxes),
 * a foreign waitpid(-1) reaper, and the smallest policy an embedder would
 * write: /usr read-only with the merged-/usr links (or directories) of the
 * host, a /proc, a PATH, and the build's ccsb-exec. Include after tap.h. */
#ifndef CCSB_MINPOLICY_H
#define CCSB_MINPOLICY_H

#include "ccsandbox.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void embed_test_start(void)
{
	if (access("/usr/bin/bwrap", X_OK) < 0 && access("/bin/bwrap", X_OK) < 0)
		skip_all("bwrap not installed");
	if (!getenv("CCSB_EXEC_HELPER"))
		skip_all("CCSB_EXEC_HELPER not set (run through make check)");
	if (getuid() == 0) {
		/* Sandboxes run as users run them. */
		if (chdir("/") < 0 || setgroups(0, NULL) < 0 ||
		    setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			bail_out("cannot drop to uid 65534");
	}
}

/* A foreign reaper, as glib's or libuv's child watchers are: it collects
 * every child of the process, ours included, until `reaping` is cleared. */
static volatile int reaping = 1;
static inline void *reaper(void *arg)
{
	(void)arg;
	while (reaping)
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			usleep(1000);
	return NULL;
}

static inline ccsb_sandbox *min_policy(void)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	static const char *const merged[] = { "/bin", "/sbin", "/lib", "/lib64" };
	int r = sb ? ccsb_sandbox_add_bind(sb, "/usr", NULL, CCSB_BIND_RO, &e) : -1;
	for (size_t i = 0; r == 0 && i < sizeof(merged) / sizeof(*merged); i++) {
		struct stat st;
		char target[256];
		ssize_t n;
		if (lstat(merged[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode) &&
		    (n = readlink(merged[i], target, sizeof(target) - 1)) > 0) {
			target[n] = '\0';
			r = ccsb_sandbox_add_symlink(sb, target, merged[i], &e);
		} else if (S_ISDIR(st.st_mode)) {
			r = ccsb_sandbox_add_bind(sb, merged[i], NULL, CCSB_BIND_RO, &e);
		}
	}
	if (r == 0)
		r = ccsb_sandbox_add_proc(sb, "/proc", &e);
	if (r == 0)
		r = ccsb_sandbox_env_set(sb, "PATH", "/usr/bin:/bin", &e);
	/* An embedder says where the helper is (the library reads no
	 * environment for it); make check builds it and names it here. */
	if (r == 0)
		r = ccsb_sandbox_set_helper(sb, CCSB_HELPER_EXEC, getenv("CCSB_EXEC_HELPER"), &e);
	if (r < 0)
		bail_out(sb ? ccsb_error_message(e) : "out of memory");
	return sb;
}

#endif
