/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Supervising a running sandbox: the process state a blocking run takes
 * over, and one poll loop over registered sources (supervise.h). */
#include "internal.h"
#include "proc.h"
#include "resolver.h"
#include "supervise.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* Signals relayed to the command; SIGCHLD, a fallback for bwrap's pidfd. */
static const int relayed[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
/* Taken over too: with a pty, SIGWINCH resizes it, SIGTSTP and SIGCONT
 * leave and re-enter raw mode; without one, only SIGWINCH, relayed. */
static const int pty_signals[] = { SIGWINCH, SIGTSTP, SIGCONT };

void ccsb__procstate_signals(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < N_ELEMENTS(relayed); i++)
		sigaddset(set, relayed[i]);
	for (size_t i = 0; i < N_ELEMENTS(pty_signals); i++)
		sigaddset(set, pty_signals[i]);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGPIPE);
}

int ccsb__procstate_enter(struct ccsb_procstate *ps, bool pty, bool subreaper, ccsb_error **err)
{
	*ps = (struct ccsb_procstate){ .sfd = -1 };
	if (subreaper) {
		int was = 0;
		prctl(PR_GET_CHILD_SUBREAPER, &was);
		ps->was_subreaper = was != 0;
		ps->subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
	}
	/* With SIGCHLD ignored the kernel reaps bwrap itself: its wait status,
	 * which explains a failure, would be lost. */
	sigaction(SIGCHLD, NULL, &ps->chld_old);
	if (ps->chld_old.sa_handler == SIG_IGN) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		sigaction(SIGCHLD, &dfl, NULL);
		ps->chld_restore = true;
	}
	sigemptyset(&ps->set);
	for (size_t i = 0; i < N_ELEMENTS(relayed); i++)
		sigaddset(&ps->set, relayed[i]);
	sigaddset(&ps->set, SIGCHLD);
	for (size_t i = 0; i < N_ELEMENTS(pty_signals); i++)
		if (pty || pty_signals[i] == SIGWINCH)
			sigaddset(&ps->set, pty_signals[i]);
	sigprocmask(SIG_BLOCK, &ps->set, &ps->orig);
	ps->entered = true;
	ps->sfd = signalfd(-1, &ps->set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (ps->sfd < 0) {
		int r = ccsb__errno(err, errno, "signalfd");
		ccsb__procstate_leave(ps);
		return r;
	}
	return 0;
}

void ccsb__procstate_leave(struct ccsb_procstate *ps)
{
	if (!ps->entered)
		return;
	ccsb__close_fd(&ps->sfd);
	sigprocmask(SIG_SETMASK, &ps->orig, NULL);
	if (ps->chld_restore)
		sigaction(SIGCHLD, &ps->chld_old, NULL);
	if (ps->subreaper && !ps->was_subreaper)
		prctl(PR_SET_CHILD_SUBREAPER, 0);
	ps->entered = false;
}

/* ---- the loop --------------------------------------------------------- */

#define SUPER_MAXFDS 512

void ccsb__super_init(struct ccsb_super *s, ccsb_sandbox *sb, struct ccsb_pty *pty,
		      ccsb_error **err)
{
	*s = (struct ccsb_super){ .sb = sb,
				  .bwrap = -1,
				  .child = -1,
				  .bwrap_pidfd = -1,
				  .child_pidfd = -1,
				  .status_fd = -1,
				  .pty = pty,
				  .err = err };
}

int ccsb__super_add(struct ccsb_super *s, const struct ccsb_source *src)
{
	if (s->nsrc == CCSB_SUPER_MAXSRC)
		return ccsb__err(s->err, ENOSPC, "too many event sources for one run");
	s->src[s->nsrc++] = *src;
	return 0;
}

static int fd_fds(struct ccsb_super *s, void *data, struct pollfd *pfd, int max, int *timeout_ms)
{
	(void)timeout_ms;
	const struct ccsb_source *src = data;
	if (src->fd < 0 || s->bwrap_done)
		return 0;
	if (max < 1)
		return -1;
	pfd[0] = (struct pollfd){ .fd = src->fd, .events = src->events };
	return 1;
}

static void fd_io(struct ccsb_super *s, void *data, const struct pollfd *pfd, int n)
{
	struct ccsb_source *src = data;
	if (n == 1 && pfd[0].revents && !src->fd_io(s, src->fd_data, pfd[0].revents))
		src->fd = -1;
}

int ccsb__super_add_fd(struct ccsb_super *s, const char *name, int fd, short events,
		       bool (*io)(struct ccsb_super *s, void *data, short revents), void *data)
{
	struct ccsb_source src = { .name = name,
				   .fds = fd_fds,
				   .io = fd_io,
				   .fd = fd,
				   .events = events,
				   .fd_io = io,
				   .fd_data = data };
	int r = ccsb__super_add(s, &src);
	/* The callbacks find the registration itself through `data`. */
	if (r == 0)
		s->src[s->nsrc - 1].data = &s->src[s->nsrc - 1];
	return r;
}

void ccsb__timeout_min(int *timeout_ms, int ms)
{
	if (ms >= 0 && (*timeout_ms < 0 || ms < *timeout_ms))
		*timeout_ms = ms;
}

void ccsb__super_signal(struct ccsb_super *s, int sig)
{
	ccsb__proc_signal(s->child_pidfd, s->child, sig);
}

int ccsb__super_fail(struct ccsb_super *s, int r)
{
	ccsb__super_signal(s, SIGKILL);
	if (s->result == 0)
		s->result = r;
	return r;
}

int ccsb__super_loop(struct ccsb_super *s)
{
	struct pollfd pfd[SUPER_MAXFDS];
	int first[CCSB_SUPER_MAXSRC], count[CCSB_SUPER_MAXSRC];
	while (s->result == 0 && (!s->bwrap_done || !ccsb__pty_drained(s->pty))) {
		/* With bwrap gone, no process holds the pty's slave and the
		 * master ends at once; the timeout only guards against a
		 * descriptor leaked to some unrelated child. */
		int timeout = s->bwrap_done ? 2000 : -1, n = 0;
		for (size_t i = 0; i < s->nsrc; i++) {
			first[i] = n;
			count[i] = s->src[i].fds(s, s->src[i].data, pfd + n, SUPER_MAXFDS - n,
						 &timeout);
			if (count[i] < 0)
				return ccsb__super_fail(s, ccsb__err(s->err, ENOSPC,
								     "too many descriptors to poll "
								     "(%s)",
								     s->src[i].name));
			n += count[i];
		}
		int pr = CCSB_RETRY(poll(pfd, (nfds_t)n, timeout));
		if (pr < 0)
			return ccsb__super_fail(s, ccsb__errno(s->err, errno, "poll"));
		if (pr == 0 && s->bwrap_done)
			break;
		for (size_t i = 0; i < s->nsrc; i++)
			s->src[i].io(s, s->src[i].data, pfd + first[i], count[i]);
	}
	return s->result;
}

/* ---- bwrap's exit ----------------------------------------------------- */

/* The largest resident set of one process of the sandbox, for the exit
 * event: bwrap's monitor reaps the sandbox's pid 1, which reaps the rest,
 * so bwrap's rusage holds the largest of them. */
static void note_rss(struct ccsb_super *s, const struct rusage *ru)
{
	if (ru->ru_maxrss > s->maxrss)
		s->maxrss = ru->ru_maxrss;
}

static void check_exit(struct ccsb_super *s)
{
	if (s->bwrap_done)
		return;
	struct rusage ru = { 0 };
	int st = 0;
	int r = ccsb__proc_wait_ru(s->bwrap_pidfd, s->bwrap, &st, true, &ru);
	if (r > 0) {
		note_rss(s, &ru);
		s->bwrap_done = s->bwrap_reaped = true;
		s->bwrap_status = st;
	} else if (r == -ECHILD) {
		/* Another waitpid() of this process (a reaper thread of glib,
		 * libuv) collected it: it is gone all the same, and its status
		 * report tells how the command ended. */
		s->bwrap_done = true;
	}
}

static int exit_fds(struct ccsb_super *s, void *data, struct pollfd *pfd, int max, int *timeout_ms)
{
	(void)data;
	(void)timeout_ms;
	if (s->bwrap_done || s->bwrap_pidfd < 0)
		return 0;
	if (max < 1)
		return -1;
	pfd[0] = (struct pollfd){ .fd = s->bwrap_pidfd, .events = POLLIN };
	return 1;
}

static void exit_io(struct ccsb_super *s, void *data, const struct pollfd *pfd, int n)
{
	(void)data;
	if (n == 1 && pfd[0].revents)
		check_exit(s);
}

int ccsb__super_add_exit(struct ccsb_super *s)
{
	const struct ccsb_source src = { .name = "bwrap", .fds = exit_fds, .io = exit_io };
	return ccsb__super_add(s, &src);
}

size_t ccsb__read_upto(int fd, char *buf, size_t cap, char stop)
{
	size_t n = 0;
	buf[0] = '\0';
	while (n < cap - 1) {
		ssize_t r = CCSB_RETRY(read(fd, buf + n, cap - 1 - n));
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (stop && strchr(buf, stop))
			break;
	}
	return n;
}

int ccsb__explain_bwrap_failure(const struct ccsb_super *s, ccsb_error **err)
{
	int status = s->bwrap_status;
	/* The usual causes of unusable user namespaces, each with its fix. */
	ccsb_error *u = NULL;
	if (ccsb_check_userns(NULL, &u) < 0) {
		int r = ccsb__err(err, EPERM, "bwrap failed: %s",
				  u ? ccsb_error_message(u) : "user namespaces are restricted");
		ccsb_error_free(u);
		return r;
	}
	if (!s->bwrap_reaped)
		return ccsb__err(err, ECHILD,
				 "bwrap ended, but another part of this process "
				 "collected its exit status (a waitpid(-1) elsewhere): cannot tell "
				 "how the sandbox ended");
	if (WIFSIGNALED(status))
		return ccsb__err(err, EIO, "bwrap was killed by signal %d", WTERMSIG(status));
	return ccsb__err(err, EIO,
			 "bwrap failed to set up the sandbox (exit status %d, see its "
			 "message above; 'ccsb doctor' names the likely causes and fixes)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* bwrap's --json-status-fd reports "exit-code" once the command has ended
 * (bwrap's own exit status is the same number); absent means bwrap itself
 * failed. -1 when absent. */
static int read_exit_code(int fd)
{
	char buf[4096];
	ccsb__read_upto(fd, buf, sizeof(buf), '\0');
	const char *p = strstr(buf, "\"exit-code\"");
	if (!p || !(p = strchr(p, ':')))
		return -1;
	return (int)strtol(p + 1, NULL, 10);
}

int ccsb__super_finish(struct ccsb_super *s)
{
	if (s->bwrap > 0 && !s->bwrap_done) {
		int st = 0;
		struct rusage ru = { 0 };
		int r = ccsb__proc_wait_ru(s->bwrap_pidfd, s->bwrap, &st, false, &ru);
		s->bwrap_done = true;
		s->bwrap_reaped = r > 0;
		s->bwrap_status = st;
		if (r > 0)
			note_rss(s, &ru);
	}
	if (s->result < 0)
		return s->result;
	int code = s->status_fd >= 0 ? read_exit_code(s->status_fd) : -1;
	if (code < 0)
		return ccsb__explain_bwrap_failure(s, s->err);
	return code;
}

/* ---- signals ---------------------------------------------------------- */

static int sig_fds(struct ccsb_super *s, void *data, struct pollfd *pfd, int max, int *timeout_ms)
{
	(void)s;
	(void)timeout_ms;
	const struct ccsb_procstate *ps = data;
	if (max < 1)
		return -1;
	pfd[0] = (struct pollfd){ .fd = ps->sfd, .events = POLLIN };
	return 1;
}

static void sig_io(struct ccsb_super *s, void *data, const struct pollfd *pfd, int n)
{
	const struct ccsb_procstate *ps = data;
	struct signalfd_siginfo si;
	if (n != 1 || !pfd[0].revents)
		return;
	while (read(ps->sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			check_exit(s);
			break;
		case SIGWINCH:
			if (s->pty->master >= 0)
				ccsb__pty_resize(s->pty);
			else
				ccsb__super_signal(s, SIGWINCH);
			break;
		case SIGTSTP:
			/* Only with a pty (^Z itself goes to the command):
			 * someone stopped ccsb; hand the terminal back first. */
			ccsb__job_suspend(s->pty);
			if (!s->bwrap_done)
				ccsb__super_resume(s);
			break;
		case SIGCONT:
			if (!s->bwrap_done)
				ccsb__super_resume(s);
			break;
		default:
			/* Through pid 1's pidfd: once it is gone, nobody. */
			ccsb__super_signal(s, (int)si.ssi_signo);
			break;
		}
	}
}

int ccsb__super_add_signals(struct ccsb_super *s, struct ccsb_procstate *ps)
{
	const struct ccsb_source src = {
		.name = "signals", .fds = sig_fds, .io = sig_io, .data = ps
	};
	return ccsb__super_add(s, &src);
}

void ccsb__super_resume(struct ccsb_super *s)
{
	ccsb__job_resume(s->pty);
	ccsb__super_signal(s, SIGCONT);
}

/* ---- the terminal relay, job control, the DNS filter ------------------- */

static int pty_fds(struct ccsb_super *s, void *data, struct pollfd *pfd, int max, int *timeout_ms)
{
	(void)data;
	(void)timeout_ms;
	if (max < 3)
		return -1;
	/* Keys typed after the command is gone are the caller's. */
	return ccsb__pty_pollfds(s->pty, pfd, !s->bwrap_done);
}

static void pty_io(struct ccsb_super *s, void *data, const struct pollfd *pfd, int n)
{
	(void)data;
	ccsb__pty_io(s->pty, pfd, n);
}

int ccsb__super_add_pty(struct ccsb_super *s)
{
	const struct ccsb_source src = { .name = "pty", .fds = pty_fds, .io = pty_io };
	return s->pty->master < 0 ? 0 : ccsb__super_add(s, &src);
}

/* ccsb-exec's word that the command stopped (job.c). */
static bool job_io(struct ccsb_super *s, void *data, short revents)
{
	(void)revents;
	int *fd = data;
	int stopped = ccsb__job_read(*fd);
	if (stopped > 0) {
		ccsb__job_suspend(s->pty);
		ccsb__super_resume(s);
	}
	return stopped >= 0;
}

int ccsb__super_add_job(struct ccsb_super *s, int *job_fd)
{
	return *job_fd < 0 ? 0 : ccsb__super_add_fd(s, "job", *job_fd, POLLIN, job_io, job_fd);
}

/* The DNS filter serves the sandbox while the command runs. */
static int dns_fds(struct ccsb_super *s, void *data, struct pollfd *pfd, int max, int *timeout_ms)
{
	if (s->bwrap_done)
		return 0;
	if (max < CCSB_RESOLVER_MAXFDS)
		return -1;
	int n = ccsb__resolver_pollfds(data, pfd);
	if (n)
		ccsb__timeout_min(timeout_ms, ccsb__resolver_timeout(data));
	return n;
}

static void dns_io(struct ccsb_super *s, void *data, const struct pollfd *pfd, int n)
{
	(void)s;
	if (n)
		ccsb__resolver_io(data, pfd, n);
}

int ccsb__super_add_resolver(struct ccsb_super *s, struct ccsb_resolver *dns)
{
	const struct ccsb_source src = { .name = "dns", .fds = dns_fds, .io = dns_io, .data = dns };
	return dns ? ccsb__super_add(s, &src) : 0;
}
