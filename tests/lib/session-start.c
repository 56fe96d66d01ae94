/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb_sandbox_start() and ccsb_session_exec() as an embedder uses them
 * (tests/integration/sessions.sh): one sandbox of ccsb's defaults for the
 * current directory, --net=none, then each argument run in it as
 * `sh -c ARG`, printing "status S" per command; the sandbox is freed at
 * the end. With NAME in $SESSION_NAME it is also registered. */
#include "ccsandbox.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	ccsb_error *err = NULL;
	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_session *s = NULL;
	const char *name = getenv("SESSION_NAME");
	/* The library reads no environment: the helper is the caller's to say. */
	const char *helper = getenv("CCSB_EXEC_HELPER");
	if (!sb || (helper && *helper && ccsb_sandbox_set_exec_helper(sb, helper, &err) < 0) ||
	    ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CWD, &err) < 0 ||
	    ccsb_sandbox_set_net(sb, CCSB_NET_NONE, &err) < 0 ||
	    (name && ccsb_sandbox_set_name(sb, name, &err) < 0) ||
	    ccsb_sandbox_start(sb, &s, &err) < 0) {
		fprintf(stderr, "session-start: %s\n", err ? ccsb_error_message(err) : "no memory");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		char *const cmd[] = { (char *)"sh", (char *)"-c", argv[i], NULL };
		int st = ccsb_session_exec(s, cmd, &err);
		printf("status %d\n", st);
		fflush(stdout);
		if (st < 0) {
			fprintf(stderr, "session-start: %s\n", ccsb_error_message(err));
			ccsb_error_free(err);
			err = NULL;
		}
	}
	ccsb_session_free(s);
	ccsb_sandbox_free(sb);
	return 0;
}
