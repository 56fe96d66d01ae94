/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ccsb-exec: pid 1 of every sandbox.
 *
 * bwrap's own pid 1 neither forwards signals nor tells "command not found"
 * apart from the command exiting 1. This one runs the command as its only
 * child, forwards the signals ccsb relays, reaps every orphan, reports exec
 * failures the way shells do (127 not found, 126 not executable) and exits
 * with the command's status (128+N for death by signal N, since pid 1 cannot
 * die of its own signals). When it exits the kernel kills whatever is left
 * in the sandbox's pid namespace, so nothing outlives the command.
 *
 * Usage: ccsb-exec [--tty [--job-fd N]] [--nproc N] [--oom-score-adj N] -- COMMAND [ARG...]
 *   --tty              stdin is the pty of ccsb's relay: ccsb-exec leads the
 *                      session that has it as controlling terminal and runs
 *                      the command in a process group of its own in the
 *                      foreground of it, like a shell runs a job. Because
 *                      ccsb-exec is its parent in the same session, that
 *                      group is not orphaned, so the kernel lets ^Z
 *                      (SIGTSTP, and SIGTTIN/SIGTTOU) stop it.
 *   --job-fd N         when the command stops, write "z" to descriptor N
 *                      (ccsb then hands the user's terminal back and stops
 *                      itself); ccsb's SIGCONT continues the command's group.
 *                      Without it a stopped command is continued at once,
 *                      since nobody could resume it.
 *   --nproc N          RLIMIT_NPROC (soft and hard) for everything inside:
 *                      set here, after bwrap has made the user namespaces,
 *                      so that the kernel counts the sandbox's tasks only
 *                      (libccsandbox/bounds.c says why).
 *   --oom-score-adj N  written to /proc/self/oom_score_adj, inherited by
 *                      the command.
 *   --session-fd N     a named session's control socket (ccsb-exec-session.c):
 *                      ccsb passes on it the connections of `ccsb exec`, whose
 *                      commands run here as further children, in the
 *                      sandbox's namespaces, under its filter and bounds.
 *   --idle             no command of its own (ccsb_sandbox_start()): serve
 *                      the session until its control socket closes.
 * A bound that cannot be set stops the sandbox (exit 125): never a run
 * without the bounds the status line announced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static const int forwarded[] = { SIGINT,  SIGTERM,  SIGHUP,  SIGQUIT, SIGUSR1,
				 SIGUSR2, SIGWINCH, SIGCONT, SIGPIPE, SIGALRM };

static void nop(int sig)
{
	(void)sig;
}

/* Set by the vfork()ed child when its exec fails: it shares our memory
 * until then, and we stay suspended until it has exec'd or exited. */
static volatile int exec_errno;

static __attribute__((noreturn)) void child(char **cmd, bool tty, const sigset_t *orig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(*forwarded); i++)
		sigaction(forwarded[i], &dfl, NULL);
	sigaction(SIGCHLD, &dfl, NULL);
	sigprocmask(SIG_SETMASK, orig, NULL);
	if (tty) {
		/* Its own process group, in the terminal's foreground (^C, ^Z
		 * and the window size reach it); taking the foreground from a
		 * background group would raise SIGTTOU. */
		struct sigaction ign = { .sa_handler = SIG_IGN };
		setpgid(0, 0);
		sigaction(SIGTTOU, &ign, NULL);
		tcsetpgrp(STDIN_FILENO, getpid());
		sigaction(SIGTTOU, &dfl, NULL);
	}
	execvp(cmd[0], cmd);
	exec_errno = errno;
	_exit(127);
}

/* vfork: no page tables to copy and no copy-on-write faults on either
 * side, which cost ~10 us each on virtual machines. The child only makes
 * system calls and writes exec_errno before exec/_exit; sigaction() in it
 * does not touch our handlers (no CLONE_SIGHAND). A function of its own so
 * that no local of main() lives across the vfork(). */
static __attribute__((noinline)) pid_t spawn(char **cmd, bool tty, const sigset_t *orig)
{
	pid_t pid = vfork();
	if (pid == 0)
		child(cmd, tty, orig);
	return pid;
}

static bool number(const char *s, unsigned long long *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end;
}

static int set_nproc(const char *arg)
{
	unsigned long long n;
	if (!number(arg, &n)) {
		fprintf(stderr, "ccsb-exec: bad --nproc '%s'\n", arg ? arg : "");
		return -1;
	}
	struct rlimit rl = { .rlim_cur = (rlim_t)n, .rlim_max = (rlim_t)n };
	if (setrlimit(RLIMIT_NPROC, &rl) < 0) {
		fprintf(stderr,
			"ccsb: cannot bound the sandbox's tasks to %llu (RLIMIT_NPROC): %s\n", n,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int set_oom(const char *arg)
{
	unsigned long long n;
	if (!number(arg, &n) || n > 1000) {
		fprintf(stderr, "ccsb-exec: bad --oom-score-adj '%s'\n", arg ? arg : "");
		return -1;
	}
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || dprintf(fd, "%llu\n", n) < 0) {
		fprintf(stderr, "ccsb: cannot set the sandbox's oom_score_adj: %s\n",
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int ccsb_exec_git_credential(int argc, char **argv);
int ccsb_exec_session(int ctl, pid_t main_pid, bool tty, int job_fd, const sigset_t *set,
		      const sigset_t *orig);

struct opts {
	bool tty, idle;
	int job_fd, session_fd;
};

/* The options into O; the index of "--", or -1 (message printed). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--tty") == 0) {
			o->tty = true;
		} else if (strcmp(argv[i], "--nproc") == 0) {
			if (set_nproc(argv[++i]) < 0)
				return -1;
		} else if (strcmp(argv[i], "--oom-score-adj") == 0) {
			if (set_oom(argv[++i]) < 0)
				return -1;
		} else if ((strcmp(argv[i], "--job-fd") == 0 ||
			    strcmp(argv[i], "--session-fd") == 0) &&
			   i + 1 < argc) {
			char *end;
			bool job = strcmp(argv[i], "--job-fd") == 0;
			long n = strtol(argv[++i], &end, 10);
			if (*end || n < 3 || n > 1024 || fcntl((int)n, F_SETFD, FD_CLOEXEC) < 0) {
				fprintf(stderr, "ccsb-exec: bad %s %s\n", argv[i - 1], argv[i]);
				return -1;
			}
			*(job ? &o->job_fd : &o->session_fd) = (int)n;
		} else if (strcmp(argv[i], "--idle") == 0) {
			o->idle = true;
		} else {
			fprintf(stderr, "ccsb-exec: unknown option %s\n", argv[i]);
			return -1;
		}
	}
	if (o->idle ? o->session_fd < 0 || i + 1 < argc : i + 1 >= argc) {
		fprintf(stderr,
			"usage: ccsb-exec [--tty] [--nproc N] [--oom-score-adj N] "
			"[--session-fd N] -- COMMAND [ARG...]\n"
			"       ccsb-exec [--nproc N] [--oom-score-adj N] --session-fd N --idle\n");
		return -1;
	}
	return i;
}

/* pid 1 only receives signals it has a handler for, even from the parent
 * namespace; the handler is never run because the signals stay blocked
 * and are collected with sigwaitinfo(). */
static void block_signals(sigset_t *set, sigset_t *orig)
{
	sigemptyset(set);
	struct sigaction sa = { .sa_handler = nop };
	sigemptyset(&sa.sa_mask);
	for (size_t k = 0; k < sizeof(forwarded) / sizeof(*forwarded); k++) {
		sigaddset(set, forwarded[k]);
		sigaction(forwarded[k], &sa, NULL);
	}
	sigaddset(set, SIGCHLD);
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_BLOCK, set, orig);
}

/* Forward the signals to the command, reap every process, and return the
 * command's status once it is gone. */
static int supervise(pid_t pid, bool tty, int job_fd, const sigset_t *set)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* SIGCONT resumes the whole job, as a shell's fg does. */
			kill(tty && sig == SIGCONT ? -pid : pid, sig);
			continue;
		}
		int status;
		pid_t w;
		while ((w = waitpid(-1, &status, WNOHANG | (tty ? WUNTRACED : 0))) > 0) {
			if (w != pid || WIFSTOPPED(status)) {
				if (w == pid && (job_fd < 0 || write(job_fd, "z", 1) != 1))
					kill(-pid, SIGCONT);
				continue;
			}
			if (WIFSIGNALED(status))
				return 128 + WTERMSIG(status);
			return WEXITSTATUS(status);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--git-credential") == 0)
		return ccsb_exec_git_credential(argc - 2, argv + 2);
	struct opts o = { .job_fd = -1, .session_fd = -1 };
	int i = parse_opts(argc, argv, &o);
	if (i < 0)
		return 125;
	char **cmd = &argv[i + 1];
	/* Nothing in the sandbox may reach the session's sockets through
	 * /proc/1/fd or ptrace: both need a dumpable pid 1 (or a capability
	 * the sandbox does not have). Before any other process exists. */
	if (o.session_fd >= 0 && prctl(PR_SET_DUMPABLE, 0) < 0) {
		perror("ccsb-exec: PR_SET_DUMPABLE");
		return 125;
	}

	sigset_t set, orig;
	block_signals(&set, &orig);
	if (o.tty) {
		/* bwrap's --new-session made us a session leader; the pty
		 * becomes our controlling terminal. */
		setsid();
		ioctl(STDIN_FILENO, TIOCSCTTY, 0);
	}

	if (o.idle)
		return ccsb_exec_session(o.session_fd, -1, false, -1, &set, &orig);
	pid_t pid = spawn(cmd, o.tty, &orig);
	if (pid < 0) {
		perror("ccsb: vfork");
		return 125;
	}
	int e = exec_errno;
	if (e) {
		int code = (e == ENOENT || e == ENOTDIR) ? 127 : 126;
		if (e == ENOENT)
			fprintf(stderr, "ccsb: %s: command not found in the sandbox\n", cmd[0]);
		else
			fprintf(stderr, "ccsb: %s: cannot execute: %s\n", cmd[0], strerror(e));
		waitpid(pid, NULL, 0);
		return code;
	}
	if (o.session_fd >= 0)
		return ccsb_exec_session(o.session_fd, pid, o.tty, o.job_fd, &set, &orig);
	return supervise(pid, o.tty, o.job_fd, &set);
}
