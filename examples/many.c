/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An event loop running several sandboxes at once (the shape of an agent
 * harness): N sandboxes of ccsb's default policy (the current directory
 * shared, no network) each run the command given, with $CCSB_SLOT set to
 * its number; one poll() over their pidfds collects them as they end. No
 * signal handling or child reaping is taken from the program.
 *
 *     cc many.c $(pkg-config --cflags --libs libccsandbox) -o many
 *     ./many 10 sh -c 'echo "slot $CCSB_SLOT"; exit $CCSB_SLOT'
 *
 * Prints "slot N: status S" per sandbox as it ends; exits 0 when every
 * sandbox ran (whatever the statuses), 125 otherwise.
 */
#include <ccsandbox.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX 64

int main(int argc, char *argv[])
{
	int n = argc > 2 ? atoi(argv[1]) : 0;
	if (n < 1 || n > MAX) {
		fprintf(stderr, "usage: %s N(1-%d) COMMAND [ARG...]\n", argv[0], MAX);
		return 125;
	}
	ccsb_sandbox *sb[MAX] = { 0 };
	ccsb_process *proc[MAX] = { 0 };
	struct pollfd pfd[MAX];
	ccsb_error *err = NULL;
	int left = 0, failed = 0;

	for (int i = 0; i < n; i++) {
		char slot[16];
		snprintf(slot, sizeof(slot), "%d", i);
		/* One policy object per live sandbox. */
		sb[i] = ccsb_sandbox_new();
		int r = sb[i] ? 0 : -1;
		/* The library reads no environment variable: the embedder says
		 * where its helper is (here from CCSB_EXEC_HELPER, as ccsb does;
		 * unset: the installed one). */
		const char *helper = getenv("CCSB_EXEC_HELPER");
		if (r == 0)
			r = ccsb_sandbox_set_helper(sb[i], CCSB_HELPER_EXEC,
						    helper && *helper ? helper : NULL, &err);
		if (r == 0)
			r = ccsb_sandbox_apply_defaults(sb[i], CCSB_DEFAULTS_CWD, &err);
		if (r == 0)
			r = ccsb_sandbox_set_net(sb[i], CCSB_NET_NONE, &err);
		if (r == 0)
			r = ccsb_sandbox_env_set(sb[i], "CCSB_SLOT", slot, &err);
		if (r == 0)
			r = ccsb_sandbox_spawn(sb[i], argv + 2, 0, &proc[i], &err);
		if (r < 0) {
			fprintf(stderr, "%s: slot %d: %s\n", argv[0], i,
				sb[i] ? ccsb_error_message(err) : "out of memory");
			ccsb_error_free(err);
			err = NULL;
			failed++;
			pfd[i] = (struct pollfd){ .fd = -1 };
			continue;
		}
		pfd[i] = (struct pollfd){ .fd = ccsb_process_pidfd(proc[i]), .events = POLLIN };
		left++;
	}
	while (left > 0) {
		if (poll(pfd, (nfds_t)n, -1) < 0)
			continue; /* EINTR */
		for (int i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			int st = ccsb_process_wait(proc[i], &err);
			if (st < 0) {
				fprintf(stderr, "%s: slot %d: %s\n", argv[0], i,
					ccsb_error_message(err));
				ccsb_error_free(err);
				err = NULL;
				failed++;
			} else {
				printf("slot %d: status %d\n", i, st);
				fflush(stdout);
			}
			pfd[i].fd = -1;
			left--;
		}
	}
	for (int i = 0; i < n; i++) {
		ccsb_process_free(proc[i]);
		ccsb_sandbox_free(sb[i]);
	}
	return failed ? 125 : 0;
}
