/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What ccsb_sandbox_run() does to the embedding process: it must leave the
 * caller's own children alone, cope with SIGCHLD ignored, and restore the
 * subreaper setting. Runs real sandboxes (as uid 65534 when started as
 * root). */
#include "internal.h"
#include "tap.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static ccsb_sandbox *policy(void)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	static const char *const merged[] = { "/bin", "/sbin", "/lib", "/lib64" };
	int r = ccsb_sandbox_add_bind(sb, "/usr", NULL, CCSB_BIND_RO, &e);
	for (size_t i = 0; r == 0 && i < sizeof(merged) / sizeof(*merged); i++) {
		struct stat st;
		char target[256];
		ssize_t n;
		if (lstat(merged[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode) && (n = readlink(merged[i], target, sizeof(target) - 1)) > 0) {
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
	if (r < 0)
		bail_out(ccsb_error_message(e));
	return sb;
}

int main(void)
{
	if (access("/usr/bin/bwrap", X_OK) < 0 && access("/bin/bwrap", X_OK) < 0)
		skip_all("bwrap not installed");
	if (!getenv("CCSB_EXEC_HELPER"))
		skip_all("CCSB_EXEC_HELPER not set (run through make check)");
	if (getuid() == 0) {
		/* Sandboxes run as users run them. */
		if (chdir("/") < 0 || setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			bail_out("cannot drop to uid 65534");
	}
	ccsb_sandbox *sb = policy();
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
	ok(!sigismember(&mask, SIGCHLD) && !sigismember(&mask, SIGTERM), "the signal mask is restored");

	if (e)
		diag("error: %s", ccsb_error_message(e));
	ccsb_error_free(e);
	ccsb_sandbox_free(sb);
	return done_testing();
}
