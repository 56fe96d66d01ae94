/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The smallest embedder: run the command given on the command line under
 * ccsb's default policy, with the current directory shared read-write and no
 * network, and exit with its status (125 when the sandbox could not be set
 * up, as ccsb does).
 *
 *     cc minimal.c $(pkg-config --cflags --libs libccsandbox) -o minimal
 *     ./minimal sh -c 'id; pwd; ls'
 */
#include <ccsandbox.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
		return 125;
	}

	ccsb_error *err = NULL;
	ccsb_sandbox *sb = ccsb_sandbox_new();
	if (!sb) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return 125;
	}
	/* The library reads no environment variable: the embedder says where
	 * its helper is (here from CCSB_EXEC_HELPER, as ccsb does; unset: the
	 * installed one). */
	const char *helper = getenv("CCSB_EXEC_HELPER");
	int r = ccsb_sandbox_set_helper(sb, CCSB_HELPER_EXEC, helper && *helper ? helper : NULL,
					&err);
	if (r == 0)
		r = ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CWD, &err);
	if (r == 0)
		r = ccsb_sandbox_set_net(sb, CCSB_NET_NONE, &err);
	if (r == 0)
		r = ccsb_sandbox_run(sb, argv + 1, &err);
	if (r < 0) {
		/* err may be NULL when even the error could not be allocated;
		 * ccsb_error_message() then gives "". */
		fprintf(stderr, "%s: %s\n", argv[0], ccsb_error_message(err));
		r = 125;
	}
	ccsb_error_free(err);
	ccsb_sandbox_free(sb);
	return r;
}
