/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The smallest policy an embedder would write, shared by the tests that
 * start real sandboxes through the public API (test-embed, test-spawn):
 * /usr read-only with the merged-/usr links (or directories) of the host,
 * a /proc, a PATH, and the build's ccsb-exec. Include after tap.h. */
#ifndef CCSB_MINPOLICY_H
#define CCSB_MINPOLICY_H

#include "ccsandbox.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static ccsb_sandbox *min_policy(void)
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
