/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ccsb-exec's session loop: pid 1 of a named (or library-started) sandbox
 * runs the commands of `ccsb exec` / ccsb_session_exec() as children of
 * its own, so that they share every property of the sandbox by
 * construction: namespaces, mounts, network, seccomp filter (bwrap loaded
 * it before exec'ing us; children inherit it), bounds (RLIMIT_NPROC set
 * here, cgroup scope), uid. Each command gets a session of its own (setsid),
 * with its terminal as the controlling one when it has a pty.
 *
 * The control socket comes from ccsb (host side) and only carries CONN
 * messages: connections ccsb accepted and checked (same uid). Nothing in the
 * sandbox can reach it: it is close-on-exec, and pid 1 is not dumpable, so
 * /proc/1/fd and ptrace are closed to the sandbox's processes.
 *
 * Requests come from the host user's own client over those connections;
 * they are still parsed strictly (sessproto.c, fuzzed).
 */
#include "sessproto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_CONNS 64

struct conn {
	int fd;	   /* -1: the client is gone */
	pid_t pid; /* 0: waiting for EXEC; -1: free slot */
};

static struct conn conns[MAX_CONNS];
static char packet[CCSB_SESS_MAX_PACKET];

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* One packet and up to `max` descriptors (close-on-exec). Returns its
 * length, 0 at EOF, -1 on an error (errno EAGAIN: nothing yet) or when it
 * came with more descriptors than `max` (all closed). */
static ssize_t recv_packet(int fd, int *fds, int max, int *nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 8)];
	} cbuf;
	struct iovec iov = { packet, sizeof(packet) };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf.b,
			    .msg_controllen = sizeof(cbuf.b) };
	int got[8], ngot = 0;
	ssize_t n;
	*nfds = 0;
	do
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && ngot < 8; i++)
			memcpy(&got[ngot++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	/* Beyond our buffer the kernel closed them (MSG_CTRUNC). */
	if (ngot > max || (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC))) {
		close_fds(got, ngot);
		errno = EPROTO;
		return -1;
	}
	memcpy(fds, got, sizeof(int) * (size_t)ngot);
	*nfds = ngot;
	return n;
}

static void send_simple(int fd, uint16_t type, uint32_t arg)
{
	char b[sizeof(struct ccsb_sess_hdr)];
	ccsb__sess_simple(b, type, arg);
	send(fd, b, sizeof(b), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void drop(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->pid = -1;
}

/* Set by the vfork()ed child when it cannot exec; it shares our memory
 * until then. `stage` says which step failed. */
static volatile int child_errno, child_stage;

struct spawn_args {
	const struct ccsb_sess_exec *req;
	char **envp;
	const int *fds;
	const sigset_t *orig;
};

static __attribute__((noreturn)) void exec_child(const struct spawn_args *a)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	for (int sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigprocmask(SIG_SETMASK, a->orig, NULL);
	/* A session of its own: the sandbox's main command's terminal and
	 * signals are not this command's. */
	setsid();
	int tmp[3];
	for (int i = 0; i < 3; i++)
		tmp[i] = fcntl(a->fds[i], F_DUPFD_CLOEXEC, 10);
	for (int i = 0; i < 3; i++) {
		if (tmp[i] < 0 || dup2(tmp[i], i) < 0) {
			child_errno = errno;
			child_stage = 1;
			_exit(126);
		}
	}
	if ((a->req->flags & CCSB_SESS_FLAG_TTY) && ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0) {
		child_errno = errno;
		child_stage = 1;
		_exit(126);
	}
	if (*a->req->cwd && chdir(a->req->cwd) < 0) {
		child_errno = errno;
		child_stage = 2;
		_exit(126);
	}
	execvpe(a->req->argv[0], (char *const *)a->req->argv, a->envp);
	child_errno = errno;
	child_stage = 3;
	_exit(127);
}

static __attribute__((noinline)) pid_t spawn_child(const struct spawn_args *a)
{
	pid_t pid = vfork();
	if (pid == 0)
		exec_child(a);
	return pid;
}

/* Our environment (the sandbox's policy) with the request's settings over
 * it; the strings stay borrowed. NULL when out of memory. */
static char **merge_env(const struct ccsb_sess_exec *req)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **v = calloc(n + req->envc + 1, sizeof(*v));
	if (!v)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strcspn(environ[i], "=");
		bool over = false;
		for (uint32_t j = 0; j < req->envc && !over; j++)
			over = strncmp(req->envp[j], environ[i], l + 1) == 0;
		if (!over)
			v[k++] = environ[i];
	}
	for (uint32_t j = 0; j < req->envc; j++)
		v[k++] = (char *)req->envp[j];
	return v;
}

/* The EXEC packet of a new connection: start its command, or drop it. */
static void start(struct conn *c, const sigset_t *orig)
{
	int fds[4];
	int nfds;
	ssize_t n = recv_packet(c->fd, fds, 4, &nfds);
	if (n < 0 && errno == EAGAIN)
		return;
	static struct ccsb_sess_exec req;
	if (n <= 0 || nfds != 3 || ccsb__sess_parse_exec(packet, (size_t)n, &req) < 0) {
		close_fds(fds, nfds);
		drop(c);
		return;
	}
	char **envp = merge_env(&req);
	if (!envp) {
		dprintf(fds[2], "ccsb-exec: out of memory\n");
		send_simple(c->fd, CCSB_SESS_EXIT, 125);
		close_fds(fds, nfds);
		drop(c);
		return;
	}
	struct spawn_args a = { &req, envp, fds, orig };
	child_errno = child_stage = 0;
	pid_t pid = spawn_child(&a);
	free(envp);
	int code = 0;
	if (pid < 0) {
		dprintf(fds[2], "ccsb-exec: cannot start a process: %s\n", strerror(errno));
		code = 125;
	} else if (child_stage) {
		int e = child_errno;
		if (child_stage == 3 && e == ENOENT)
			dprintf(fds[2], "ccsb: %s: command not found in the sandbox\n",
				req.argv[0]);
		else if (child_stage == 3)
			dprintf(fds[2], "ccsb: %s: cannot execute: %s\n", req.argv[0], strerror(e));
		else if (child_stage == 2)
			dprintf(fds[2], "ccsb: cannot change to %s in the sandbox: %s\n", req.cwd,
				strerror(e));
		else
			dprintf(fds[2], "ccsb: cannot set up the command's terminal: %s\n",
				strerror(e));
		code = child_stage == 3 && (e == ENOENT || e == ENOTDIR) ? 127 : 126;
		waitpid(pid, NULL, 0);
	}
	close_fds(fds, nfds);
	if (pid < 0 || child_stage) {
		send_simple(c->fd, CCSB_SESS_EXIT, (uint32_t)code);
		drop(c);
		return;
	}
	c->pid = pid;
	send_simple(c->fd, CCSB_SESS_STARTED, (uint32_t)pid);
}

/* A packet from a client whose command runs: a signal for it, or the
 * client is gone (the command gets SIGHUP, as from a closed terminal). */
static void client_io(struct conn *c)
{
	int fds[1], nfds;
	ssize_t n = recv_packet(c->fd, fds, 1, &nfds);
	if (n < 0 && errno == EAGAIN)
		return;
	close_fds(fds, nfds);
	uint16_t type;
	uint32_t arg;
	if (n > 0 && ccsb__sess_check(packet, (size_t)n, &type, &arg) == 0 &&
	    type == CCSB_SESS_SIGNAL && arg >= 1 && arg < 65) {
		kill(-c->pid, (int)arg);
		return;
	}
	kill(-c->pid, SIGHUP);
	kill(-c->pid, SIGCONT);
	close(c->fd);
	c->fd = -1;
}

static void accept_conn(int ctl, bool *ctl_open)
{
	int fds[2], nfds;
	ssize_t n = recv_packet(ctl, fds, 2, &nfds);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n == 0) {
		*ctl_open = false;
		return;
	}
	uint16_t type;
	uint32_t arg;
	if (n < 0 || nfds != 1 || ccsb__sess_check(packet, (size_t)n, &type, &arg) < 0 ||
	    type != CCSB_SESS_CONN) {
		close_fds(fds, nfds);
		return;
	}
	for (int i = 0; i < MAX_CONNS; i++) {
		if (conns[i].pid == -1 && conns[i].fd < 0) {
			conns[i] = (struct conn){ .fd = fds[0], .pid = 0 };
			return;
		}
	}
	/* Too many at once: the client sees the connection close. */
	close(fds[0]);
}

/* SIGCHLD: reap everything; returns true with *status when the main
 * command is done. */
static bool reap(pid_t main_pid, bool tty, int job_fd, int *status)
{
	int st;
	pid_t w;
	bool done = false;
	while ((w = waitpid(-1, &st, WNOHANG | WUNTRACED)) > 0) {
		if (w == main_pid) {
			/* As without a session: only a job with a terminal
			 * is reported stopped (to ccsb, or continued). */
			if (WIFSTOPPED(st)) {
				if (tty && (job_fd < 0 || write(job_fd, "z", 1) != 1))
					kill(-main_pid, SIGCONT);
				continue;
			}
			*status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
			done = true;
			continue;
		}
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];
			if (c->pid != w)
				continue;
			/* Nobody could resume it. */
			if (WIFSTOPPED(st)) {
				kill(-w, SIGCONT);
				break;
			}
			if (c->fd >= 0)
				send_simple(c->fd, CCSB_SESS_EXIT,
					    (uint32_t)(WIFSIGNALED(st) ? 128 + WTERMSIG(st)
								       : WEXITSTATUS(st)));
			drop(c);
			break;
		}
	}
	return done;
}

int ccsb_exec_session(int ctl, pid_t main_pid, bool tty, int job_fd, const sigset_t *set,
		      const sigset_t *orig);

int ccsb_exec_session(int ctl, pid_t main_pid, bool tty, int job_fd, const sigset_t *set,
		      const sigset_t *orig)
{
	for (int i = 0; i < MAX_CONNS; i++)
		conns[i] = (struct conn){ .fd = -1, .pid = -1 };
	int sfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("ccsb-exec: signalfd");
		return 125;
	}
	bool ctl_open = true;
	for (;;) {
		struct pollfd pfd[2 + MAX_CONNS];
		int idx[MAX_CONNS];
		int np = 0;
		pfd[np++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if (ctl_open)
			pfd[np++] = (struct pollfd){ .fd = ctl, .events = POLLIN };
		int first = np;
		for (int i = 0; i < MAX_CONNS; i++) {
			if (conns[i].fd < 0)
				continue;
			idx[np - first] = i;
			pfd[np++] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)np, -1) < 0)
			continue;
		if (ctl_open && pfd[1].revents) {
			accept_conn(ctl, &ctl_open);
			/* The owner of an idle sandbox is gone, or let go of it. */
			if (!ctl_open && main_pid < 0)
				return 0;
		}
		for (int k = first; k < np; k++) {
			struct conn *c = &conns[idx[k - first]];
			if (!pfd[k].revents || c->fd < 0)
				continue;
			if (c->pid == 0)
				start(c, orig);
			else
				client_io(c);
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			int sig = (int)si.ssi_signo;
			if (sig == SIGCHLD) {
				int status;
				if (reap(main_pid, tty, job_fd, &status))
					return status;
			} else if (main_pid > 0) {
				/* SIGCONT resumes the whole job, as a shell's fg does. */
				kill(tty && sig == SIGCONT ? -main_pid : main_pid, sig);
			} else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
				return 128 + sig;
			}
		}
	}
}
