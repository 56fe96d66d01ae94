/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What ccsb_sandbox_run() does to the embedding process: it must leave the
 * caller's own children alone, cope with SIGCHLD ignored, and restore the
 * subreaper setting. Runs real sandboxes (as uid 65534 when started as
 * root). */
#include "internal.h"
#include "tap.h"
#include "minpolicy.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Whether any child, alive or a zombie, is left to the caller. */
static bool has_children(void)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	errno = 0;
	int r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
	return !(r < 0 && errno == ECHILD);
}

int main(void)
{
	embed_test_start();
	ccsb_sandbox *sb = min_policy();
	ccsb_error *e = NULL;

	/* A child of the caller that exits during the run keeps its status. */
	pid_t mine = fork();
	if (mine == 0) {
		usleep(50000);
		_exit(7);
	}
	char *const cmd[] = { "sh", "-c", "sleep 0.2; exit 3", NULL };
	int st = ccsb_sandbox_run(sb, cmd, &e);
	is_int(st, 3, "the command's status comes back");
	int ws = 0;
	is_int(waitpid(mine, &ws, 0), mine, "the caller's own child was not reaped by the run");
	ok(WIFEXITED(ws) && WEXITSTATUS(ws) == 7, "... and its status is intact");

	int sub = -1;
	prctl(PR_GET_CHILD_SUBREAPER, &sub);
	is_int(sub, 0, "the subreaper setting is restored");

	/* SIGCHLD ignored: the run must still see bwrap exit. */
	signal(SIGCHLD, SIG_IGN);
	char *const cmd2[] = { "sh", "-c", "exit 5", NULL };
	alarm(20); /* a hang fails the test instead of blocking make check */
	st = ccsb_sandbox_run(sb, cmd2, &e);
	alarm(0);
	is_int(st, 5, "SIGCHLD ignored: the status still comes back");
	struct sigaction now;
	sigaction(SIGCHLD, NULL, &now);
	ok(now.sa_handler == SIG_IGN, "... and SIGCHLD is ignored again afterwards");
	signal(SIGCHLD, SIG_DFL);

	/* The signal mask is the caller's again. */
	sigset_t mask;
	sigprocmask(SIG_BLOCK, NULL, &mask);
	ok(!sigismember(&mask, SIGCHLD) && !sigismember(&mask, SIGTERM),
	   "the signal mask is restored");

	/* DESIGN pitfall 8: bwrap's monitor (with --as-pid-1) reaps the
	 * sandbox's pid 1 itself, so a run needs no process-wide subreaper.
	 * The caller is one here: whatever bwrap left would come to it. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	char *const bg[] = { "sh", "-c", "sleep 30 & exit 4", NULL };
	st = ccsb_sandbox_run(sb, bg, &e);
	is_int(st, 4, "as a subreaper's child: status");
	ok(!has_children(), "nothing of the sandbox is left to the caller to reap (pid 1 was "
			    "reaped by bwrap, the rest died with its pid namespace)");
	prctl(PR_GET_CHILD_SUBREAPER, &sub);
	is_int(sub, 1, "the caller's own subreaper setting is left alone");
	prctl(PR_SET_CHILD_SUBREAPER, 0);

	/* Another thread reaps every child with waitpid(-1): the run must
	 * still end, with the command's status from bwrap's report. */
	pthread_t t;
	pthread_create(&t, NULL, reaper, NULL);
	alarm(30); /* before the fix: a hang, which fails the test here */
	for (int i = 0; i < 3; i++) {
		char *const c6[] = { "sh", "-c", "exit 6", NULL };
		st = ccsb_sandbox_run(sb, c6, &e);
		is_int(st, 6,
		       "with a foreign waitpid(-1) reaper: the run ends with the status (%d)", i);
	}
	alarm(0);
	reaping = 0;
	/* Wake it up if it waits for a child. */
	pid_t last = fork();
	if (last == 0)
		_exit(0);
	pthread_join(t, NULL);
	waitpid(last, NULL, 0);

	if (e)
		diag("error: %s", ccsb_error_message(e));
	ccsb_error_free(e);
	ccsb_sandbox_free(sb);
	return done_testing();
}
