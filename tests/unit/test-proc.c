/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proc.c and the supervisor's signal path: the spawn primitive (fd map,
 * signals, exec errors, pidfd), pidfd waits that report a foreign reaper,
 * SCM_RIGHTS, the PATH lookup, late reaping, and that a signal relayed to
 * the sandbox can never reach a process that reused its pid. */
#include "internal.h"
#include "supervise.h"
#include "tap.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_spawn_fds(void)
{
	int p[2], keep[2];
	if (pipe2(p, O_CLOEXEC) < 0 || pipe(keep) < 0)
		bail_out("pipe");
	/* Written on descriptor 7 by the child: whether 7 is open (the map)
	 * and whether keep[0], open without O_CLOEXEC here, leaked. */
	char script[256];
	snprintf(script, sizeof(script),
		 "{ test -e /proc/self/fd/%d && echo leak || echo noleak; "
		 "grep SigIgn /proc/$$/status; echo mapped; } >&7",
		 keep[0]);
	char *const argv[] = { "sh", "-c", script, NULL };
	const struct ccsb_fdmap map[] = { { p[1], 7 } };
	const struct ccsb_spawn sp = {
		.path = "sh", .search = true, .argv = argv, .fds = map, .nfds = 1
	};
	/* An ignored SIGINT is reset for the child (no `reset` set). */
	signal(SIGINT, SIG_IGN);
	pid_t pid;
	int pidfd;
	int r = ccsb__spawn(&sp, &pid, &pidfd);
	signal(SIGINT, SIG_DFL);
	is_int(r, 0, "spawn sh");
	ok(pidfd >= 0, "a pidfd comes back");
	ok(fcntl(pidfd, F_GETFD) & FD_CLOEXEC, "... close-on-exec");
	close(p[1]);
	char buf[256] = "";
	size_t n = ccsb__read_upto(p[0], buf, sizeof(buf), '\0');
	ok(n > 0 && strstr(buf, "mapped"), "the mapped descriptor is at 7 in the child");
	ok(strstr(buf, "noleak") != NULL, "a descriptor without O_CLOEXEC does not leak (%s)", buf);
	const char *ign = strstr(buf, "SigIgn:");
	unsigned long long mask = ign ? strtoull(ign + 7, NULL, 16) : ~0ULL;
	ok(!(mask & (1ULL << (SIGINT - 1))), "an ignored signal is back at its default (%s)",
	   ign ? "SigIgn read" : "no SigIgn");
	int st = -1;
	is_int(ccsb__proc_wait(pidfd, pid, &st, false), 1, "waited through the pidfd");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "... with its wait status");
	is_int(ccsb__proc_wait(pidfd, pid, &st, true), -ECHILD, "a second wait: -ECHILD");
	close(pidfd);
	close(p[0]);
	close(keep[0]);
	close(keep[1]);

	char *const missing[] = { "/nonexistent/prog", NULL };
	const struct ccsb_spawn sp2 = { .path = missing[0], .argv = missing };
	is_int(ccsb__spawn(&sp2, &pid, &pidfd), -ENOENT, "a missing program: -ENOENT");
	is_int(pid, -1, "... no pid");
	errno = 0;
	ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "... and nothing left to reap");
}

/* A child collected by someone else: the wait says so instead of hanging,
 * and its pidfd still says it is gone. */
static void test_foreign_reaper(void)
{
	char *const argv[] = { "true", NULL };
	const struct ccsb_spawn sp = { .path = "true", .search = true, .argv = argv };
	pid_t pid;
	int pidfd;
	if (ccsb__spawn(&sp, &pid, &pidfd) < 0)
		bail_out("spawn true");
	waitpid(-1, NULL, 0); /* the "foreign" reaper */
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	is_int(poll(&pfd, 1, 0), 1, "the pidfd of a reaped child is readable");
	is_int(ccsb__proc_wait(pidfd, pid, NULL, false), -ECHILD, "waiting: -ECHILD, not a hang");
	close(pidfd);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

/* The sandbox's pid 1 is gone and its pid reused by an unrelated process:
 * a relayed signal goes through the pidfd, to nobody. */
static void test_signal_stale_pid(void)
{
	pid_t gone = fork();
	if (gone == 0)
		_exit(0);
	int pidfd = ccsb__pidfd_open(gone);
	ok(pidfd >= 0, "pidfd of a child");
	waitpid(gone, NULL, 0);

	/* The "process that reused the pid": our own sibling, counting SIGUSR1. */
	int p[2], done[2];
	if (pipe(p) < 0 || pipe(done) < 0)
		bail_out("pipe");
	signal(SIGUSR1, on_usr1);
	pid_t other = fork();
	if (other == 0) {
		char c;
		close(p[0]);
		close(done[1]);
		if (write(p[1], "r", 1) < 0)
			_exit(2);
		/* A signal sent before the byte is handled before read()
		 * returns it. */
		while (read(done[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(got_usr1 ? 1 : 0);
	}
	close(p[1]);
	close(done[0]);
	char c;
	if (read(p[0], &c, 1) != 1)
		bail_out("sibling");
	close(p[0]);

	struct ccsb_pty pty;
	ccsb__pty_init(&pty);
	struct ccsb_super s;
	ccsb__super_init(&s, NULL, &pty, NULL);
	s.child = other; /* the stale pid, now someone else's */
	s.child_pidfd = pidfd;
	ccsb__super_signal(&s, SIGUSR1);
	/* No pid known, no pidfd: never kill(-1, ...) or kill(0, ...). */
	s.child = -1;
	s.child_pidfd = -1;
	ccsb__super_signal(&s, SIGUSR1);
	s.child = 0;
	ccsb__super_signal(&s, SIGUSR1);
	if (write(done[1], "d", 1) < 0)
		bail_out("write");
	close(done[1]);
	int st = -1;
	waitpid(other, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the process with the reused pid got no signal");
	is_int((int)got_usr1, 0, "... nor did the caller's own process group");
	signal(SIGUSR1, SIG_DFL);
	close(pidfd);
}

static void test_fds_and_path(void)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		bail_out("socketpair");
	int a = open("/dev/null", O_RDONLY | O_CLOEXEC), b = dup(a);
	int send[] = { a, b };
	is_int((int)ccsb__send_fds(sp[0], "hi", 2, send, 2), 2, "sent 2 bytes and 2 descriptors");
	int got[1], flags = -1;
	size_t ngot = 9;
	char buf[8] = "";
	is_int((int)ccsb__recv_fds(sp[1], buf, sizeof(buf), got, 1, &ngot, &flags), 2,
	       "received 2 bytes");
	ok(ngot == 1 && !(flags & (MSG_TRUNC | MSG_CTRUNC)), "one descriptor kept, no truncation");
	ok(got[0] >= 0 && fcntl(got[0], F_GETFD) & FD_CLOEXEC, "a descriptor, close-on-exec");
	struct stat x, y;
	ok(fstat(got[0], &x) == 0 && fstat(a, &y) == 0 && x.st_ino == y.st_ino,
	   "... the one sent (the extra one closed)");
	close(got[0]);
	close(a);
	close(b);
	close(sp[0]);
	close(sp[1]);

	char out[4096];
	is_int(ccsb__find_program("sh", "/nonexistent::/bin:/usr/bin", out, sizeof(out)), 0,
	       "sh found on a PATH with an empty entry");
	ok(!strcmp(out, "/bin/sh") || !strcmp(out, "/usr/bin/sh"), "... as %s", out);
	is_int(ccsb__find_program("no-such-program-ccsb", "/bin", out, sizeof(out)), -ENOENT,
	       "a missing program: -ENOENT");
	is_int(ccsb__find_program("/bin/sh", NULL, out, sizeof(out)), 0, "a path is taken as is");
	/* An empty entry is not the current directory. */
	char dir[] = "/tmp/ccsb-proc.XXXXXX";
	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	char prog[64];
	snprintf(prog, sizeof(prog), "%s/ccsb-here", dir);
	int fd = open(prog, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	close(fd);
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)) || chdir(dir) < 0)
		bail_out("chdir");
	is_int(ccsb__find_program("ccsb-here", ":/bin", out, sizeof(out)), -ENOENT,
	       "an empty PATH entry does not find programs in the current directory");
	if (chdir(cwd) < 0)
		bail_out("chdir back");
	unlink(prog);
	rmdir(dir);
}

/* Children handed over to exit in their own time are collected later, all
 * of them, not just the last one. */
static void test_reap_later(void)
{
	pid_t pids[3];
	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(0);
		ccsb__reap_later(pids[i], ccsb__pidfd_open(pids[i]));
	}
	/* Until each has exited (waitid WNOWAIT leaves them for us). */
	for (int i = 0; i < 3; i++) {
		siginfo_t si;
		waitid(P_PID, (id_t)pids[i], &si, WEXITED | WNOWAIT);
	}
	ccsb__reap_late();
	is_int((int)ccsb__late_count(), 0, "every child handed over was collected");
	errno = 0;
	ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "... no zombie left");
}

/* More descriptors than any fixed table: the map is the caller's size
 * (a run passes one data file per curated /etc file). */
static void test_spawn_many_fds(void)
{
	enum {
		N = 60
	};
	struct ccsb_fdmap map[N];
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		bail_out("pipe");
	/* The write end last in the map, at 9 (a shell redirects 0-9 only). */
	for (int i = 0; i < N; i++)
		map[i] = (struct ccsb_fdmap){ i == N - 1 ? p[1] : p[0], i == N - 1 ? 9 : 10 + i };
	char script[64];
	snprintf(script, sizeof(script), "echo ok >&9");
	char *const argv[] = { "sh", "-c", script, NULL };
	const struct ccsb_spawn sp = {
		.path = "sh", .search = true, .argv = argv, .fds = map, .nfds = N
	};
	pid_t pid;
	int pidfd;
	is_int(ccsb__spawn(&sp, &pid, &pidfd), 0, "spawn with %d mapped descriptors", N);
	close(p[1]);
	char buf[8] = "";
	ccsb__read_upto(p[0], buf, sizeof(buf), '\n');
	is_str(buf, "ok\n", "... the last one is in place");
	ccsb__proc_wait(pidfd, pid, NULL, false);
	close(pidfd);
	close(p[0]);
}

int main(void)
{
	test_spawn_fds();
	test_spawn_many_fds();
	test_foreign_reaper();
	test_signal_stale_pid();
	test_fds_and_path();
	test_reap_later();
	return done_testing();
}
