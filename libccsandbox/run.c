/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Spawning bwrap, holding the sandbox until its network is complete,
 * supervising it, and reaping everything. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Signals relayed to the command; SIGCHLD drives the loop. */
static const int relayed[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

struct launch {
	pid_t bwrap;
	pid_t child; /* sandbox pid 1, host pid; -1 until known */
	int info_fd, status_fd, block_fd;
	int errpipe; /* read end: errno of a failed execvp of bwrap */
};

static int cloexec_pipe(int p[2])
{
	return pipe2(p, O_CLOEXEC);
}

static int make_memfd(const struct ccsb_mount *m, ccsb_error **err)
{
	int fd = memfd_create("ccsb-data", MFD_CLOEXEC);
	if (fd < 0)
		return ccsb__errno(err, errno, "memfd_create");
	size_t off = 0;
	while (off < m->len) {
		ssize_t w = write(fd, m->data + off, m->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			return ccsb__errno(err, e, "writing %s", m->dest);
		}
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		int e = errno;
		close(fd);
		return ccsb__errno(err, e, "lseek");
	}
	return fd;
}

/* In the child: move every source descriptor above the targets first, so
 * that dup2() onto fixed numbers cannot clobber a source not yet moved. */
static void place_fds(int *src, int n)
{
	for (int i = 0; i < n; i++)
		src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 64);
	for (int i = 0; i < n; i++)
		if (src[i] < 0 || dup2(src[i], CCSB_FD_INFO + i) < 0)
			_exit(127);
}

static int spawn(const ccsb_sandbox *sb, char **argv, char **envp, const sigset_t *orig,
		 struct launch *l, ccsb_error **err)
{
	int info[2] = { -1, -1 }, status[2] = { -1, -1 }, block[2] = { -1, -1 },
	    errp[2] = { -1, -1 };
	int nfiles = 0;
	for (size_t i = 0; i < sb->nmounts; i++)
		nfiles += sb->mounts[i].kind == CCSB_M_FILE;
	int *fds = calloc((size_t)nfiles + 3, sizeof(int));
	int r = 0;
	if (!fds)
		return ccsb__err(err, ENOMEM, "out of memory");
	for (int i = 0; i < nfiles + 3; i++)
		fds[i] = -1;
	/* A socket for the block fd so that releasing a sandbox that already
	 * died gives EPIPE without SIGPIPE. */
	if (cloexec_pipe(info) < 0 || cloexec_pipe(status) < 0 || cloexec_pipe(errp) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, block) < 0) {
		r = ccsb__errno(err, errno, "cannot create pipes");
		goto out;
	}
	int k = 3;
	for (size_t i = 0; i < sb->nmounts; i++) {
		if (sb->mounts[i].kind != CCSB_M_FILE)
			continue;
		fds[k] = make_memfd(&sb->mounts[i], err);
		if (fds[k] < 0) {
			r = fds[k];
			goto out;
		}
		k++;
	}
	fds[0] = info[1];
	fds[1] = block[1];
	fds[2] = status[1];

	pid_t pid = fork();
	if (pid < 0) {
		r = ccsb__errno(err, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		/* Own process group: a ^C on the terminal reaches ccsb, which
		 * relays it, instead of killing bwrap's monitor (which would
		 * SIGKILL the command). */
		setpgid(0, 0);
		for (size_t i = 0; i < sizeof(relayed) / sizeof(*relayed); i++)
			signal(relayed[i], SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, orig, NULL);
		/* Out of the way of the fixed numbers place_fds() fills. */
		int ew = fcntl(errp[1], F_DUPFD_CLOEXEC, 64);
		place_fds(fds, nfiles + 3);
		execvpe(argv[0], argv, envp);
		int e = errno;
		(void)!write(ew, &e, sizeof(e));
		_exit(127);
	}
	l->bwrap = pid;
	l->info_fd = info[0];
	l->status_fd = status[0];
	l->block_fd = block[0];
	l->errpipe = errp[0];
	info[0] = status[0] = block[0] = errp[0] = -1;
out:
	for (int i = 3; i < nfiles + 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	int all[] = { info[0], info[1], status[0], status[1], block[0], block[1], errp[0], errp[1] };
	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++)
		if (all[i] >= 0)
			close(all[i]);
	return r;
}

/* Read one JSON object from bwrap's info fd and pick "child-pid". EOF
 * before it means bwrap failed before creating the sandbox. */
static pid_t read_child_pid(int fd)
{
	char buf[2048];
	size_t n = 0;
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (strchr(buf, '}'))
			break;
	}
	buf[n] = '\0';
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
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == sizeof(buf) - 1)
			break;
	}
	buf[n] = '\0';
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
			 "message above)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int shell_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Reap whatever has exited; remember bwrap's status. The sandbox's pid 1
 * lands here too once bwrap's monitor is gone (pitfall 8). */
static void reap(struct launch *l, bool *bwrap_done, int *bwrap_status)
{
	int st;
	pid_t w;
	while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
		if (w == l->bwrap) {
			*bwrap_done = true;
			*bwrap_status = st;
		}
	}
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
			    .block_fd = -1, .errpipe = -1 };
	struct ccsb_net net = { .slirp_pid = -1, .exit_fd = -1 };
	struct ccsb_allowlist merged = { 0 };
	int sfd = -1, r;
	bool bwrap_done = false;
	int bwrap_status = 0;

	r = ccsb__build_argv(sb, cmd, true, &argv, err);
	if (r < 0)
		return r;
	if (ccsb__env_build(sb, environ, &envp) < 0) {
		ccsb__strv_free(argv);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	if (sb->net == CCSB_NET_ALLOWLIST) {
		if (ccsb__allowlist_copy(&merged, &sb->allow) < 0) {
			r = ccsb__err(err, ENOMEM, "out of memory");
			goto out_free;
		}
		ccsb__allowlist_merge(&merged);
	}

	/* Orphans of the sandbox (bwrap's pid 1 among them) come to us, so
	 * that nothing is left unreaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	sigset_t set, orig;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(relayed) / sizeof(*relayed); i++)
		sigaddset(&set, relayed[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &orig);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		r = ccsb__errno(err, errno, "signalfd");
		goto out_mask;
	}

	r = spawn(sb, argv, envp, &orig, &l, err);
	if (r < 0)
		goto out_mask;

	int e = 0;
	ssize_t n;
	do
		n = read(l.errpipe, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close_fd(&l.errpipe);
	if (n == sizeof(e)) {
		waitpid(l.bwrap, NULL, 0);
		l.bwrap = -1;
		if (e == ENOENT)
			r = ccsb__err(err, ENOENT, "%s not found: install bubblewrap "
					 "(apt-get install bubblewrap) or set its path", sb->bwrap);
		else
			r = ccsb__errno(err, e, "cannot execute %s", sb->bwrap);
		goto out_mask;
	}

	l.child = read_child_pid(l.info_fd);
	close_fd(&l.info_fd);
	if (l.child <= 0) {
		int st = 0;
		waitpid(l.bwrap, &st, 0);
		l.bwrap = -1;
		r = explain_bwrap_failure(st, err);
		goto out_mask;
	}

	if (sb->net != CCSB_NET_NONE) {
		struct ccsb_net_plan plan = {
			.mode = sb->net,
			.slirp = sb->slirp,
			.prefixes = &merged,
			.ipv6 = false,
		};
		r = ccsb__net_start(&plan, l.child, &net, err);
		if (r < 0) {
			/* Never release a half-configured sandbox. */
			kill(l.child, SIGKILL);
			goto out_wait;
		}
	}

	if (send(l.block_fd, "1", 1, MSG_NOSIGNAL) < 0) {
		/* bwrap died while held: its own message is on stderr. */
	}
	close_fd(&l.block_fd);

	struct pollfd pfd = { .fd = sfd, .events = POLLIN };
	while (!bwrap_done) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = ccsb__errno(err, errno, "poll");
			kill(l.child, SIGKILL);
			break;
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD)
				reap(&l, &bwrap_done, &bwrap_status);
			else
				kill(l.child, (int)si.ssi_signo);
		}
		reap(&l, &bwrap_done, &bwrap_status);
	}
	if (r == 0) {
		if (!read_exit_reported(l.status_fd))
			r = explain_bwrap_failure(bwrap_status, err);
		else
			r = shell_status(bwrap_status);
	}

out_wait:
	ccsb__net_stop(&net);
	close_fd(&l.block_fd);
	if (l.bwrap > 0 && !bwrap_done) {
		int st;
		while (waitpid(l.bwrap, &st, 0) < 0 && errno == EINTR)
			;
	}
	/* Collect the sandbox's pid 1 if it was reparented to us, and any
	 * helper, without blocking on slirp4netns's teardown. */
	if (l.child > 0)
		waitpid(l.child, NULL, WNOHANG);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
out_mask:
	close_fd(&l.info_fd);
	close_fd(&l.status_fd);
	close_fd(&l.block_fd);
	close_fd(&l.errpipe);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &orig, NULL);
out_free:
	ccsb__allowlist_free(&merged);
	ccsb__strv_free(argv);
	ccsb__strv_free(envp);
	return r;
}
