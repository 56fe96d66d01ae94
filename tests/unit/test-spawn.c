/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb_sandbox_spawn() and ccsb_process_*(): sandboxes that do not block,
 * many at once from one process and one poll loop, with a foreign
 * waitpid(-1) reaper running, and nothing process-wide taken. Real
 * sandboxes (as uid 65534 when started as root). */
#include "internal.h"
#include "tap.h"
#include "minpolicy.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 10

static volatile sig_atomic_t chld_seen;
static void on_chld(int sig)
{
	(void)sig;
	chld_seen = 1;
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1;
}

/* Until `path` exists (the command has started: ccsb-exec, pid 1, relays
 * signals from then on; like any pid 1 it drops those that come before
 * its handlers). */
static bool wait_file(const char *path)
{
	for (int i = 0; i < 2000; i++) {
		if (access(path, F_OK) == 0)
			return true;
		usleep(10000);
	}
	return false;
}

static void test_one(void)
{
	ccsb_sandbox *sb = min_policy();
	ccsb_process *p = NULL;
	ccsb_error *e = NULL;
	char dir[] = "/tmp/ccsb-spawn1.XXXXXX", up[64];
	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(up, sizeof(up), "%s/up", dir);
	if (ccsb_sandbox_add_bind(sb, dir, "/shared", CCSB_BIND_RW, &e) < 0)
		bail_out(ccsb_error_message(e));
	char *const sleeper[] = { "sh", "-c", "touch /shared/up; exec sleep 30", NULL };
	sigset_t before, during;
	sigprocmask(SIG_BLOCK, NULL, &before);
	int r = ccsb_sandbox_spawn(sb, sleeper, 0, &p, &e);
	is_int(r, 0, "spawn returns at once with the command running");
	if (r < 0) {
		diag("error: %s", ccsb_error_message(e));
		bail_out("spawn failed");
	}
	int pidfd = ccsb_process_pidfd(p);
	ok(pidfd >= 0 && !readable(pidfd, 0), "its pidfd is not readable while it runs");
	sigprocmask(SIG_BLOCK, NULL, &during);
	ok(!sigismember(&during, SIGCHLD) && !sigismember(&during, SIGINT) &&
		   sigismember(&during, SIGUSR2) == sigismember(&before, SIGUSR2),
	   "the caller's signal mask is untouched");
	int sub = -1;
	prctl(PR_GET_CHILD_SUBREAPER, &sub);
	is_int(sub, 0, "the process is not made a subreaper");
	struct sigaction sa;
	sigaction(SIGCHLD, NULL, &sa);
	ok(sa.sa_handler == on_chld, "the caller's SIGCHLD handler is untouched");

	ccsb_process *q = NULL;
	char *const t[] = { "true", NULL };
	{
		ccsb_error *e2 = NULL;
		is_int(ccsb_sandbox_spawn(sb, t, 0, &q, &e2), -EBUSY,
		       "a second spawn of a busy policy: -EBUSY");
		ok(q == NULL, "... and no handle");
		ccsb_error_free(e2);
		e2 = NULL;
		is_int(ccsb_sandbox_run(sb, t, &e2), -EBUSY, "... a blocking run of it too");
		ccsb_error_free(e2);
	}

	ok(wait_file(up), "the command started");
	is_int(ccsb_process_kill(p, SIGTERM), 0, "kill SIGTERM");
	ok(readable(pidfd, 20000), "the pidfd becomes readable once the sandbox is gone");
	is_int(ccsb_process_wait(p, &e), 128 + SIGTERM, "the command died of SIGTERM: 143");
	is_int(ccsb_process_wait(p, &e), 128 + SIGTERM, "waiting again: the same result");
	is_int(ccsb_process_kill(p, SIGTERM), -ESRCH, "kill once gone: -ESRCH, no one else");
	ccsb_process_free(p);

	/* Freed while running: killed and collected. */
	r = ccsb_sandbox_spawn(sb, sleeper, 0, &p, &e);
	is_int(r, 0, "spawn again once the first is freed");
	ccsb_process_free(p);
	ok(1, "free of a running sandbox returns (it was killed)");

	/* The caller's own child keeps its status. */
	pid_t mine = fork();
	if (mine == 0)
		_exit(7);
	char *const three[] = { "sh", "-c", "exit 3", NULL };
	r = ccsb_sandbox_spawn(sb, three, 0, &p, &e);
	is_int(ccsb_process_wait(p, &e), 3, "status of a command that exits 3");
	ccsb_process_free(p);
	int ws = 0;
	is_int(waitpid(mine, &ws, 0), mine, "the caller's own child was not reaped");
	ok(WIFEXITED(ws) && WEXITSTATUS(ws) == 7, "... and its status is intact");

	char *const none[] = { NULL };
	is_int(ccsb_sandbox_spawn(sb, none, 0, &p, &e), -EINVAL, "no command: -EINVAL");
	ok(p == NULL, "... no handle");
	if (e)
		diag("last error: %s", ccsb_error_message(e));
	ccsb_error_free(e);
	ccsb_sandbox_free(sb);
	unlink(up);
	rmdir(dir);
}

/* The case: ten at once from one poll loop, while another thread
 * reaps every child of the process with waitpid(-1). */
static void test_many_with_reaper(void)
{
	char dir[] = "/tmp/ccsb-spawn.XXXXXX", go[64];
	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(go, sizeof(go), "%s/go", dir);
	pthread_t t;
	pthread_create(&t, NULL, reaper, NULL);
	ccsb_sandbox *sb[N];
	ccsb_process *p[N];
	struct pollfd pfd[N];
	int started = 0;
	for (int i = 0; i < N; i++) {
		ccsb_error *e = NULL;
		char slot[8];
		snprintf(slot, sizeof(slot), "%d", i);
		sb[i] = min_policy();
		p[i] = NULL;
		ccsb_sandbox_env_set(sb[i], "SLOT", slot, &e);
		ccsb_sandbox_add_bind(sb[i], dir, "/shared", CCSB_BIND_RO, &e);
		/* Every sandbox is alive at once: each waits for a file that
		 * appears only once all ten have started. */
		char *const cmd[] = { "sh", "-c",
				      "while ! test -e /shared/go; do sleep 0.05; done; "
				      "exit $((SLOT + 10))",
				      NULL };
		int r = ccsb_sandbox_spawn(sb[i], cmd, 0, &p[i], &e);
		if (r < 0)
			diag("spawn %d: %s", i, ccsb_error_message(e));
		started += r == 0;
		pfd[i] = (struct pollfd){ .fd = r == 0 ? ccsb_process_pidfd(p[i]) : -1,
					  .events = POLLIN };
		ccsb_error_free(e);
	}
	is_int(started, N, "%d sandboxes started from one process, a foreign reaper running", N);
	int ended = 0, right = 0, early = 0;
	for (int i = 0; i < N; i++)
		early += readable(pfd[i].fd, 0);
	is_int(early, 0, "none has ended before being told to");
	int fd = open(go, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		bail_out("cannot create the go file");
	close(fd);
	while (ended < started) {
		int r = poll(pfd, N, 30000);
		if (r <= 0)
			break;
		for (int i = 0; i < N; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			ccsb_error *e = NULL;
			int st = ccsb_process_wait(p[i], &e);
			if (st == i + 10)
				right++;
			else
				diag("sandbox %d: %d %s", i, st, e ? ccsb_error_message(e) : "");
			ccsb_error_free(e);
			pfd[i].fd = -1;
			ended++;
		}
	}
	is_int(ended, N, "all %d ended, seen through their pidfds in one poll loop", N);
	is_int(right, N, "each with its own status, despite waitpid(-1) elsewhere");
	for (int i = 0; i < N; i++) {
		ccsb_process_free(p[i]);
		ccsb_sandbox_free(sb[i]);
	}
	unlink(go);
	rmdir(dir);
	reaping = 0;
	pid_t last = fork();
	if (last == 0)
		_exit(0);
	pthread_join(t, NULL);
	waitpid(last, NULL, 0);
}

int main(void)
{
	embed_test_start();
	signal(SIGCHLD, on_chld);
	alarm(120); /* a hang fails the test instead of blocking make check */
	test_one();
	test_many_with_reaper();
	return done_testing();
}
