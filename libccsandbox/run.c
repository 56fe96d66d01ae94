/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Spawning bwrap, holding the sandbox until its network is complete,
 * supervising it, and reaping everything. */
#include "internal.h"
#include "resolver.h"

#include <errno.h>
#include <linux/close_range.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

/* Signals relayed to the command; SIGCHLD drives the loop. */
static const int relayed[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
/* Taken over too: with a pty, SIGWINCH resizes it, SIGTSTP and SIGCONT
 * leave and re-enter raw mode; without one, only SIGWINCH, relayed. */
static const int pty_signals[] = { SIGWINCH, SIGTSTP, SIGCONT };

struct launch {
	pid_t bwrap;
	pid_t child; /* sandbox pid 1, host pid; -1 until known */
	int info_fd, status_fd, block_fd;
	int job_fd; /* with a pty: ccsb-exec says "z" when the command stops */
};

static int cloexec_pipe(int p[2])
{
	return pipe2(p, O_CLOEXEC);
}

/* A close-on-exec memfd holding `len` bytes of `data`, its offset at 0
 * (pwrite), for a helper to read from the start; `what` names it in errors. */
int ccsb__memfd_data(const char *name, const void *data, size_t len, const char *what,
		     ccsb_error **err)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return ccsb__errno(err, errno, "memfd_create");
	size_t off = 0;
	while (off < len) {
		ssize_t w = pwrite(fd, (const char *)data + off, len - off, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			return ccsb__errno(err, e, "writing %s", what);
		}
		off += (size_t)w;
	}
	return fd;
}

static void close_from_cloexec(int first)
{
	if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	/* Kernels before 5.11: walk the table. */
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 1 << 20)
		max = 1 << 20;
	for (int fd = first; fd < max; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

struct placement {
	int src, target;
};

/* In the child: move every source descriptor above the targets first, so
 * that dup2() onto fixed numbers cannot clobber a source not yet moved. */
static int place_fds(struct placement *pl, int n)
{
	for (int i = 0; i < n; i++)
		pl[i].src = fcntl(pl[i].src, F_DUPFD_CLOEXEC, 64);
	for (int i = 0; i < n; i++)
		if (pl[i].src < 0 || dup2(pl[i].src, pl[i].target) < 0)
			return -1;
	return 0;
}

/* What the vfork()ed child needs; it writes only exec_errno and its own
 * placement array. */
struct child_args {
	char **argv, **envp;
	const sigset_t *orig;
	struct placement *pl;
	int npl;
	int keep; /* descriptors below this stay open for bwrap */
	volatile int exec_errno;
};

/* In the child, which shares the caller's memory until it execs: nothing
 * but system calls (no malloc, no stdio), and no signal handler of the
 * caller's may run here, so every caught signal goes back to its default
 * before the caller's mask is restored. */
static __attribute__((noreturn)) void exec_bwrap(struct child_args *a)
{
	for (int sig = 1; sig < SIGRTMIN; sig++) {
		struct sigaction sa;
		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0)
			continue;
		bool ours = sig == SIGCHLD || sig == SIGPIPE;
		for (size_t i = 0; i < sizeof(relayed) / sizeof(*relayed); i++)
			ours |= sig == relayed[i];
		for (size_t i = 0; i < sizeof(pty_signals) / sizeof(*pty_signals); i++)
			ours |= sig == pty_signals[i];
		/* Ignored signals stay ignored for bwrap, except those ccsb
		 * relays or needs delivered. */
		if (sa.sa_handler == SIG_DFL || (sa.sa_handler == SIG_IGN && !ours))
			continue;
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		sigaction(sig, &dfl, NULL);
	}
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++) {
		struct sigaction sa;
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
		    sa.sa_handler != SIG_IGN) {
			struct sigaction dfl = { .sa_handler = SIG_DFL };
			sigaction(sig, &dfl, NULL);
		}
	}
	/* Own process group: a ^C on the terminal reaches ccsb, which relays
	 * it, instead of killing bwrap's monitor (which would SIGKILL the
	 * command). */
	setpgid(0, 0);
	/* Nothing that runs from here on may inherit a capability. */
	int r = ccsb__caps_drop_inheritable_raw();
	if (r < 0) {
		a->exec_errno = -r;
		_exit(127);
	}
	if (place_fds(a->pl, a->npl) < 0) {
		a->exec_errno = errno ? errno : EBADF;
		_exit(127);
	}
	/* Whatever the caller had open (a directory, a socket) must not reach
	 * the sandbox: bwrap passes every open descriptor on. */
	close_from_cloexec(a->keep);
	sigprocmask(SIG_SETMASK, a->orig, NULL);
	execvpe(a->argv[0], a->argv, a->envp);
	a->exec_errno = errno ? errno : ENOEXEC;
	_exit(127);
}

/* vfork(), not fork(): no page tables to copy and no copy-on-write faults
 * afterwards on either side (~10 us each on a virtual machine, 30-40 of
 * them for ccsb), and we resume only once bwrap is exec'd or has failed
 * to be. Every signal is blocked across it so that none of the caller's
 * handlers can run in the child. A function of its own so that no local
 * of the caller lives across the vfork(). */
static __attribute__((noinline)) pid_t vfork_bwrap(struct child_args *a)
{
	sigset_t all, before;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &before);
	pid_t pid = vfork();
	if (pid == 0)
		exec_bwrap(a);
	int e = errno;
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	errno = e;
	return pid;
}

/* fds[]: 0 info, 1 block, 2 status, 3.. data files, then the seccomp
 * filter; they land on CCSB_FD_INFO + index. With a pty its slave becomes
 * the command's stdin, and stdout/stderr where those are terminals. */
static int spawn(const ccsb_sandbox *sb, char **argv, char **envp, const sigset_t *orig,
		 const struct ccsb_pty *pty, struct launch *l, ccsb_error **err)
{
	int info[2] = { -1, -1 }, status[2] = { -1, -1 }, block[2] = { -1, -1 },
	    secc[2] = { -1, -1 }, job[2] = { -1, -1 };
	int nfiles = (int)ccsb__nfiles(sb);
	int nfds = nfiles + 3 + (sb->seccomp ? 1 : 0);
	int *fds = calloc((size_t)nfds, sizeof(int));
	struct placement *pl = calloc((size_t)nfds + 4, sizeof(*pl));
	int npl = 0;
	int r = 0;
	if (!fds || !pl) {
		free(fds);
		free(pl);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	for (int i = 0; i < nfds; i++)
		fds[i] = -1;
	/* A socket for the block fd so that releasing a sandbox that already
	 * died gives EPIPE without SIGPIPE. */
	if (cloexec_pipe(info) < 0 || cloexec_pipe(status) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, block) < 0) {
		r = ccsb__errno(err, errno, "cannot create pipes");
		goto out;
	}
	int k = 3;
	for (size_t i = 0; i < sb->nmounts; i++) {
		if (sb->mounts[i].kind != CCSB_M_FILE)
			continue;
		fds[k] = ccsb__file_fd(&sb->mounts[i], err);
		if (fds[k] < 0) {
			r = fds[k];
			goto out;
		}
		k++;
	}
	/* The filter goes through a socket and is compiled once bwrap is
	 * exec'd, while its dynamic loader runs: libseccomp's ~0.4 ms stays off
	 * the start-up path. bwrap reads the descriptor to EOF. */
	if (sb->seccomp) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, secc) < 0) {
			r = ccsb__errno(err, errno, "socketpair");
			goto out;
		}
		fds[k++] = secc[1];
		secc[1] = -1;
	}
	fds[0] = info[1];
	fds[1] = block[1];
	fds[2] = status[1];
	for (int i = 0; i < nfds; i++)
		pl[npl++] = (struct placement){ fds[i], CCSB_FD_INFO + i };
	if (pty->master >= 0) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, job) < 0) {
			r = ccsb__errno(err, errno, "socketpair");
			goto out;
		}
		pl[npl++] = (struct placement){ job[1], ccsb__job_fdnum(sb) };
		pl[npl++] = (struct placement){ pty->slave, STDIN_FILENO };
		if (pty->slave_out)
			pl[npl++] = (struct placement){ pty->slave, STDOUT_FILENO };
		if (pty->slave_err)
			pl[npl++] = (struct placement){ pty->slave, STDERR_FILENO };
	}

	struct child_args ca = { .argv = argv, .envp = envp, .orig = orig, .pl = pl,
				 .npl = npl,
				 .keep = CCSB_FD_INFO + nfds + (pty->master >= 0 ? 1 : 0) };
	pid_t pid = vfork_bwrap(&ca);
	if (pid < 0) {
		r = ccsb__errno(err, errno, "vfork");
		goto out;
	}
	if (ca.exec_errno) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (ca.exec_errno == ENOENT)
			r = ccsb__err(err, ENOENT, "%s not found: install bubblewrap "
					 "(apt-get install bubblewrap) or set its path", sb->bwrap);
		else
			r = ccsb__errno(err, ca.exec_errno, "cannot execute %s", sb->bwrap);
		goto out;
	}
	if (secc[0] >= 0) {
		/* bwrap may die before reading: the write must fail with EPIPE,
		 * not kill the process with SIGPIPE. */
		sigset_t pipe_set, before;
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		sigprocmask(SIG_BLOCK, &pipe_set, &before);
		r = ccsb__seccomp_export(sb, secc[0], err);
		if (r == -EPIPE && !sigismember(&before, SIGPIPE)) {
			const struct timespec zero = { 0, 0 };
			sigtimedwait(&pipe_set, NULL, &zero);
		}
		sigprocmask(SIG_SETMASK, &before, NULL);
		if (r < 0) {
			/* Never let bwrap go on with a partial filter. */
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			goto out;
		}
	}
	l->bwrap = pid;
	l->info_fd = info[0];
	l->status_fd = status[0];
	l->block_fd = block[0];
	l->job_fd = job[0];
	info[0] = status[0] = block[0] = job[0] = -1;
out:
	for (int i = 3; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(pl);
	int all[] = { info[0], info[1], status[0], status[1], block[0], block[1], secc[0],
		      job[0], job[1] };
	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++)
		if (all[i] >= 0)
			close(all[i]);
	return r;
}

/* Read into buf (NUL-terminated) until EOF, a full buffer, or, when `stop`
 * is not NUL, until that character has arrived. */
static size_t read_upto(int fd, char *buf, size_t cap, char stop)
{
	size_t n = 0;
	buf[0] = '\0';
	while (n < cap - 1) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (stop && strchr(buf, stop))
			break;
	}
	return n;
}

/* Read one JSON object from bwrap's info fd and pick "child-pid". EOF
 * before it means bwrap failed before creating the sandbox. bwrap writes
 * the object in several writes: read to its closing brace, never less (a
 * reader that closes early makes bwrap's monitor die of SIGPIPE). */
static pid_t read_child_pid(int fd)
{
	char buf[2048];
	read_upto(fd, buf, sizeof(buf), '}');
	const char *p = strstr(buf, "\"child-pid\"");
	if (!p)
		return -1;
	p = strchr(p, ':');
	return p ? (pid_t)strtol(p + 1, NULL, 10) : -1;
}

/* bwrap's --json-status-fd reports "exit-code" only once the sandbox was
 * set up and the command started: absent means bwrap itself failed. */
static bool read_exit_reported(int fd)
{
	char buf[4096];
	read_upto(fd, buf, sizeof(buf), '\0');
	return strstr(buf, "\"exit-code\"") != NULL;
}

static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Why bwrap may have failed before the sandbox existed: the usual causes
 * of unusable user namespaces, each with its fix. */
static int explain_bwrap_failure(int status, ccsb_error **err)
{
	if (read_int_file("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
		return ccsb__err(err, EPERM,
				 "bwrap failed: AppArmor restricts unprivileged user namespaces "
				 "(kernel.apparmor_restrict_unprivileged_userns=1); allow bwrap with an "
				 "AppArmor profile (see 'ccsb doctor' / README, Troubleshooting)");
	if (read_int_file("/proc/sys/user/max_user_namespaces") == 0)
		return ccsb__err(err, EPERM,
				 "bwrap failed: user namespaces are disabled "
				 "(user.max_user_namespaces=0); enable them with "
				 "'sysctl -w user.max_user_namespaces=15000'");
	if (read_int_file("/proc/sys/kernel/unprivileged_userns_clone") == 0)
		return ccsb__err(err, EPERM,
				 "bwrap failed: unprivileged user namespaces are disabled; enable them "
				 "with 'sysctl -w kernel.unprivileged_userns_clone=1'");
	if (WIFSIGNALED(status))
		return ccsb__err(err, EIO, "bwrap was killed by signal %d", WTERMSIG(status));
	return ccsb__err(err, EIO, "bwrap failed to set up the sandbox (exit status %d, see its "
			 "message above; 'ccsb doctor' names the likely causes and fixes)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* ccsb-net: $CCSB_NET_HELPER, else beside the exec helper (both are
 * installed in the same directory, and a build's tests point the exec
 * helper at the build tree). */
static void net_helper_path(const ccsb_sandbox *sb, char *buf, size_t len)
{
	const char *env = getenv("CCSB_NET_HELPER");
	const char *slash = strrchr(sb->exec_helper, '/');
	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (slash)
		snprintf(buf, len, "%.*s/ccsb-net", (int)(slash - sb->exec_helper), sb->exec_helper);
	else
		snprintf(buf, len, "%s", CCSB_LIBEXECDIR "/ccsb-net");
}

static int shell_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Reap our own processes only, never the embedding program's: bwrap, and
 * the sandbox's pid 1, which bwrap's monitor leaves to us as a subreaper
 * (pitfall 8). Nothing else can reach us: everything else in the sandbox
 * dies with its pid namespace. */
static void reap(struct launch *l, bool *bwrap_done, int *bwrap_status)
{
	int st;
	if (!*bwrap_done && waitpid(l->bwrap, &st, WNOHANG) == l->bwrap) {
		*bwrap_done = true;
		*bwrap_status = st;
	}
	if (l->child > 0 && waitpid(l->child, NULL, WNOHANG) == l->child)
		l->child = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

CCSB_EXPORT int ccsb_sandbox_run(ccsb_sandbox *sb, char *const cmd[], ccsb_error **err)
{
	char **argv = NULL, **envp = NULL;
	struct launch l = { .bwrap = -1, .child = -1, .info_fd = -1, .status_fd = -1,
			    .block_fd = -1, .job_fd = -1 };
	struct ccsb_net net = { .slirp_pid = -1, .exit_fd = -1, .dns_udp = -1, .dns_tcp = -1,
				.rtnl = -1 };
	/* Borrowed from the policy's cache; empty outside allowlist mode. */
	static const struct ccsb_allowlist no_prefixes;
	const struct ccsb_allowlist *merged = &no_prefixes;
	struct ccsb_pty pty;
	struct ccsb_resolver *dns = NULL;
	struct ccsb_state_run state;
	int sfd = -1, r;
	bool bwrap_done = false;
	int bwrap_status = 0;

	ccsb__pty_init(&pty);
	ccsb__state_run_init(&state);
	ccsb__pty_set_filter(&pty, sb->allow_clipboard);
	ccsb__report_clear(sb);
	ccsb__guard_arm(sb);
	bool use_pty = sb->tty == CCSB_TTY_ON || (sb->tty == CCSB_TTY_AUTO && isatty(STDIN_FILENO));
	if (use_pty && !isatty(STDIN_FILENO))
		return ccsb__err(err, ENOTTY, "a terminal was asked for, but standard input is not one");
	/* Not ours to take: a relay would stop on SIGTTOU before the command
	 * starts. Auto runs without it, like a pipe; on says why it cannot. */
	if (use_pty && ccsb__pty_background()) {
		if (sb->tty == CCSB_TTY_ON)
			return ccsb__err(err, ENOTTY, "a terminal was asked for, but ccsb is not in "
					 "the foreground of its terminal (started in the background, or "
					 "by timeout without --foreground): use --tty=off, or timeout "
					 "--foreground");
		use_pty = false;
	}
	r = ccsb__broker_start(sb, err);
	if (r == 0)
		r = ccsb__relay_bind(sb, err);
	if (r == 0)
		r = ccsb__guard_build_argv(sb, cmd, true, use_pty, &argv, err);
	if (r < 0)
		goto out_free;
	if (ccsb__env_build(sb, environ, &envp) < 0) {
		r = ccsb__err(err, ENOMEM, "out of memory");
		goto out_free;
	}
	if (sb->net == CCSB_NET_ALLOWLIST) {
		if (!(merged = ccsb__sandbox_merged(sb))) {
			r = ccsb__err(err, ENOMEM, "out of memory");
			goto out_free;
		}
		/* A /0 would be a default route: that is --net=full, said
		 * plainly, not an allowlist. Refused before anything starts. */
		for (size_t i = 0; i < merged->n; i++) {
			if (merged->v[i].len == 0) {
				r = ccsb__err(err, EINVAL, "the allowlist covers every %s address: use "
						 "--net=full (CCSB_NET_FULL) instead",
						 merged->v[i].family == AF_INET ? "IPv4" : "IPv6");
				goto out_free;
			}
		}
	}

	if ((r = ccsb__state_start(sb, &state, err)) < 0)
		goto out_free;

	/* The sandbox's pid 1 comes to us when bwrap's monitor exits, so that
	 * it is reaped; the caller's setting is restored afterwards. */
	int was_subreaper = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &was_subreaper);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* With SIGCHLD ignored the kernel reaps for us and waitpid() can never
	 * report bwrap's status: the run would hang. */
	struct sigaction chld_old;
	sigaction(SIGCHLD, NULL, &chld_old);
	bool chld_ignored = chld_old.sa_handler == SIG_IGN;
	if (chld_ignored) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		sigaction(SIGCHLD, &dfl, NULL);
	}
	/* A slirp4netns from an earlier run has had time to exit. */
	if (sb->stale_slirp > 0 && waitpid(sb->stale_slirp, NULL, WNOHANG) != 0)
		sb->stale_slirp = -1;

	sigset_t set, orig;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(relayed) / sizeof(*relayed); i++)
		sigaddset(&set, relayed[i]);
	sigaddset(&set, SIGCHLD);
	if (use_pty) {
		for (size_t i = 0; i < sizeof(pty_signals) / sizeof(*pty_signals); i++)
			sigaddset(&set, pty_signals[i]);
	} else {
		sigaddset(&set, SIGWINCH);
	}
	sigprocmask(SIG_BLOCK, &set, &orig);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		r = ccsb__errno(err, errno, "signalfd");
		goto out_mask;
	}

	if (use_pty && (r = ccsb__pty_open(&pty, err)) < 0)
		goto out_mask;
	r = spawn(sb, argv, envp, &orig, &pty, &l, err);
	if (r < 0)
		goto out_mask;
	/* bwrap holds the slave now; once it and the sandbox are gone, reads
	 * on the master end with EIO. */
	close_fd(&pty.slave);

	l.child = read_child_pid(l.info_fd);
	close_fd(&l.info_fd);
	if (l.child <= 0) {
		int st = 0;
		waitpid(l.bwrap, &st, 0);
		l.bwrap = -1;
		r = explain_bwrap_failure(st, err);
		goto out_mask;
	}
	ccsb__bounds_apply(sb, l.bwrap, l.child);

	if (sb->net != CCSB_NET_NONE) {
		char helper[PATH_MAX];
		net_helper_path(sb, helper, sizeof(helper));
		struct ccsb_net_plan plan = {
			.mode = sb->net,
			.slirp = sb->slirp,
			.helper = helper,
			.prefixes = merged,
			.ipv6 = false,
			.dns = sb->net == CCSB_NET_ALLOWLIST,
			.host_ports = sb->host_ports,
			.nhost_ports = sb->nhost_ports,
		};
		r = ccsb__net_start(&plan, l.child, &net, err);
		if (r < 0) {
			/* Never release a half-configured sandbox. */
			kill(l.child, SIGKILL);
			goto out_wait;
		}
		if (plan.dns && (r = ccsb__resolver_new(&dns, merged, plan.ipv6, &net.dns_udp,
						       &net.dns_tcp, &net.rtnl, sb->dns_log_fd,
						       err)) < 0) {
			kill(l.child, SIGKILL);
			goto out_wait;
		}
		if ((r = ccsb__relay_start(sb, &net, l.child, err)) < 0) {
			kill(l.child, SIGKILL);
			goto out_wait;
		}
	}

	if ((r = ccsb__state_ready(&state, err)) < 0) {
		kill(l.child, SIGKILL);
		goto out_wait;
	}
	if (use_pty && (r = ccsb__pty_raw(&pty, err)) < 0) {
		kill(l.child, SIGKILL);
		goto out_wait;
	}

	if (send(l.block_fd, "1", 1, MSG_NOSIGNAL) < 0) {
		/* bwrap died while held: its own message is on stderr. */
	}
	close_fd(&l.block_fd);

	/* Until bwrap has exited and, with a pty, everything the command
	 * wrote has been relayed. */
	struct pollfd pfd[5 + CCSB_RESOLVER_MAXFDS];
	while (!bwrap_done || !ccsb__pty_drained(&pty)) {
		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		/* Keys typed after the command is gone are the caller's. */
		int np = 1 + ccsb__pty_pollfds(&pty, pfd + 1, !bwrap_done);
		/* The DNS filter serves the sandbox while the command runs. */
		int ndns = dns && !bwrap_done ? ccsb__resolver_pollfds(dns, pfd + np) : 0;
		int dns_wait = ndns ? ccsb__resolver_timeout(dns) : -1;
		/* ccsb-exec's word that the command stopped (job.c). */
		int njob = l.job_fd >= 0 && !bwrap_done;
		if (njob)
			pfd[np + ndns] = (struct pollfd){ .fd = l.job_fd, .events = POLLIN };
		/* With bwrap gone, no process holds the pty's slave and the
		 * master ends at once; the timeout only guards against a
		 * descriptor leaked to some unrelated child. */
		int pr = poll(pfd, (nfds_t)(np + ndns + njob), bwrap_done ? 2000 : dns_wait);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			r = ccsb__errno(err, errno, "poll");
			if (l.child > 0)
				kill(l.child, SIGKILL);
			break;
		}
		if (ndns)
			ccsb__resolver_io(dns, pfd + np, ndns);
		if (pr == 0 && bwrap_done)
			break;
		ccsb__pty_io(&pty, pfd + 1, np - 1);
		if (njob && pfd[np + ndns].revents) {
			int stopped = ccsb__job_read(l.job_fd);
			if (stopped < 0)
				close_fd(&l.job_fd);
			else if (stopped) {
				ccsb__job_suspend(&pty);
				ccsb__job_resume(&pty, l.child);
			}
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGCHLD:
				reap(&l, &bwrap_done, &bwrap_status);
				break;
			case SIGWINCH:
				if (use_pty)
					ccsb__pty_resize(&pty);
				else if (l.child > 0)
					kill(l.child, SIGWINCH);
				break;
			case SIGTSTP:
				/* Only with a pty (^Z itself goes to the command):
				 * someone stopped ccsb; hand the terminal back
				 * first. */
				ccsb__job_suspend(&pty);
				if (!bwrap_done)
					ccsb__job_resume(&pty, l.child);
				break;
			case SIGCONT:
				if (!bwrap_done)
					ccsb__job_resume(&pty, l.child);
				break;
			default:
				/* Once pid 1 is reaped, l.child is -1: kill(-1)
				 * would signal every process of the user. */
				if (l.child > 0)
					kill(l.child, (int)si.ssi_signo);
				break;
			}
		}
		reap(&l, &bwrap_done, &bwrap_status);
	}
	ccsb__pty_restore(&pty);
	if (r == 0) {
		if (!read_exit_reported(l.status_fd))
			r = explain_bwrap_failure(bwrap_status, err);
		else
			r = shell_status(bwrap_status);
	}

out_wait:
	ccsb__resolver_summary(dns, sb->dns_summary_fd);
	ccsb__resolver_free(dns);
	ccsb__guard_finish(sb);
	ccsb__broker_stop(sb);
	ccsb__relay_stop(sb);
	ccsb__state_finish(sb, &state);
	ccsb__pty_report(&pty, sb);
	ccsb__report_write(sb);
	ccsb__net_stop(&net);
	close_fd(&l.block_fd);
	if (l.bwrap > 0 && !bwrap_done) {
		int st;
		while (waitpid(l.bwrap, &st, 0) < 0 && errno == EINTR)
			;
	}
	/* Collect the sandbox's pid 1 if it was reparented to us, without
	 * blocking on slirp4netns's teardown (~20 ms): it is reaped by the next
	 * run or by ccsb_sandbox_free() when it has exited by then. */
	if (l.child > 0)
		waitpid(l.child, NULL, WNOHANG);
	if (net.slirp_pid > 0 && waitpid(net.slirp_pid, NULL, WNOHANG) == 0)
		sb->stale_slirp = net.slirp_pid;
out_mask:
	ccsb__state_finish(sb, &state);
	ccsb__pty_close(&pty);
	close_fd(&l.info_fd);
	close_fd(&l.status_fd);
	close_fd(&l.block_fd);
	close_fd(&l.job_fd);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	if (chld_ignored)
		sigaction(SIGCHLD, &chld_old, NULL);
	if (!was_subreaper)
		prctl(PR_SET_CHILD_SUBREAPER, 0);
out_free:
	ccsb__broker_stop(sb);
	ccsb__relay_stop(sb);
	ccsb__strv_free(argv);
	ccsb__strv_free(envp);
	return r;
}
