/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Show the plan without running it: the bwrap command line that
 * ccsb_sandbox_run() would execute for the default policy and the given
 * command, one argument a line, then the environment the command would get,
 * as a shell command (ccsb_sandbox_format_shell()). Both are pure: nothing is
 * started, and bwrap need not be installed.
 *
 *     cc print.c $(pkg-config --cflags --libs libccsandbox) -o print
 *     ./print sh -c 'echo hello'
 */
#include <ccsandbox.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char *argv[])
{
	static char *const default_cmd[] = { "sh", NULL };
	char *const *cmd = argc > 1 ? argv + 1 : default_cmd;

	ccsb_error *err = NULL;
	char **bwrap_argv = NULL;
	char *shell = NULL;
	ccsb_sandbox *sb = ccsb_sandbox_new();
	if (!sb) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return 1;
	}
	/* The library reads no environment variable: the embedder says where
	 * its helper is (here from CCSB_EXEC_HELPER, as ccsb does; unset: the
	 * installed one). */
	const char *helper = getenv("CCSB_EXEC_HELPER");
	int r = ccsb_sandbox_set_helper(sb, CCSB_HELPER_EXEC, helper && *helper ? helper : NULL,
					&err);
	if (r == 0)
		r = ccsb_sandbox_apply_defaults(sb, 0, &err);
	if (r == 0)
		r = ccsb_sandbox_build_argv(sb, cmd, &bwrap_argv, &err);
	if (r == 0)
		r = ccsb_sandbox_format_shell(sb, cmd, &shell, &err);
	if (r == 0) {
		for (char **a = bwrap_argv; *a; a++)
			printf("%s\n", *a);
		printf("\n%s", shell);
	} else {
		fprintf(stderr, "%s: %s\n", argv[0], ccsb_error_message(err));
	}
	free(shell);
	ccsb_argv_free(bwrap_argv);
	ccsb_error_free(err);
	ccsb_sandbox_free(sb);
	return r < 0;
}
