/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Supervising a running sandbox (supervise.c): the process-wide state a
 * blocking run takes over, and the poll loop with one handler per source.
 *
 * A source is a pair of callbacks: `fds` fills the pollfds it wants this
 * round, at most `max` (none: it sits the round out; -1 when `max` is too
 * few, which ends the run) and may shorten the timeout; `io`
 * gets them back with their revents. Register with ccsb__super_add(), or,
 * for a single descriptor, ccsb__super_add_fd(). The loop runs until bwrap
 * has exited and, with a pty, everything the command wrote was relayed. */
#ifndef CCSB_SUPERVISE_H
#define CCSB_SUPERVISE_H

#include "internal.h"

#include <poll.h>
#include <signal.h>

/* ---- process state (what a blocking run changes, and gives back) ------ */

struct ccsb_procstate {
	sigset_t set, orig; /* taken over; the caller's mask */
	int sfd;	    /* signalfd for `set`; -1 when not entered */
	struct sigaction chld_old;
	bool chld_restore; /* SIGCHLD was ignored: default during the run */
	bool subreaper, was_subreaper;
	bool entered;
};

/* Block the signals ccsb_sandbox_run() relays (and, with a pty, the job
 * control ones) into a signalfd; undo an ignored SIGCHLD (the kernel would
 * reap bwrap itself); become a subreaper when `subreaper`. */
int ccsb__procstate_enter(struct ccsb_procstate *ps, bool pty, bool subreaper, ccsb_error **err);
/* Give everything back. Idempotent. */
void ccsb__procstate_leave(struct ccsb_procstate *ps);
/* The signals a run takes over or needs delivered: the ones bwrap gets
 * back at their default even when the caller ignores them (ccsb_spawn's
 * `reset`); other ignored signals stay ignored for bwrap. */
void ccsb__procstate_signals(sigset_t *set);

/* ---- the loop --------------------------------------------------------- */

#define CCSB_SUPER_MAXSRC 16

struct ccsb_super;

struct ccsb_source {
	const char *name;
	int (*fds)(struct ccsb_super *s, void *data, struct pollfd *pfd, int max, int *timeout_ms);
	void (*io)(struct ccsb_super *s, void *data, const struct pollfd *pfd, int n);
	void *data;
	/* ccsb__super_add_fd() */
	int fd;
	short events;
	bool (*fd_io)(struct ccsb_super *s, void *data, short revents);
	void *fd_data;
};

struct ccsb_super {
	ccsb_sandbox *sb;
	pid_t bwrap, child;	      /* child: the sandbox's pid 1, host pid */
	int bwrap_pidfd, child_pidfd; /* -1 when none */
	int status_fd;		      /* bwrap's --json-status-fd */
	bool bwrap_done;	      /* bwrap has exited */
	bool bwrap_reaped;	      /* ... and bwrap_status is its wait status */
	int bwrap_status;
	long maxrss;	      /* KiB: the largest ru_maxrss of bwrap and pid 1 (events.c) */
	struct ccsb_pty *pty; /* never NULL; master -1: no pty */
	int result;	      /* first error (negative errno), 0 */
	ccsb_error **err;
	struct ccsb_source src[CCSB_SUPER_MAXSRC];
	size_t nsrc;
};

void ccsb__super_init(struct ccsb_super *s, ccsb_sandbox *sb, struct ccsb_pty *pty,
		      ccsb_error **err);
int ccsb__super_add(struct ccsb_super *s, const struct ccsb_source *src);
/* One descriptor polled while the command runs (until bwrap exits); `io`
 * returns false to be dropped. */
int ccsb__super_add_fd(struct ccsb_super *s, const char *name, int fd, short events,
		       bool (*io)(struct ccsb_super *s, void *data, short revents), void *data);
/* Lower *timeout_ms to `ms` (-1: none). */
void ccsb__timeout_min(int *timeout_ms, int ms);
/* A signal for the sandbox's pid 1, through its pidfd: never another
 * process, even once pid 1 is gone. */
void ccsb__super_signal(struct ccsb_super *s, int sig);
/* Stop the run with an error: SIGKILL the sandbox; returns r. */
int ccsb__super_fail(struct ccsb_super *s, int r);
/* Sources of every run: bwrap's exit (its pidfd), the signalfd. */
int ccsb__super_add_exit(struct ccsb_super *s);
int ccsb__super_add_signals(struct ccsb_super *s, struct ccsb_procstate *ps);
/* The built-in sources, each a no-op without its object: the pty relay,
 * ccsb-exec's job socket, the DNS filter. */
int ccsb__super_add_pty(struct ccsb_super *s);
int ccsb__super_add_job(struct ccsb_super *s, int *job_fd);
struct ccsb_resolver;
int ccsb__super_add_resolver(struct ccsb_super *s, struct ccsb_resolver *dns);
/* After a stop: the terminal back in raw mode, SIGCONT for pid 1. */
void ccsb__super_resume(struct ccsb_super *s);
/* Poll until bwrap is gone and the pty drained; 0 or s->result. */
int ccsb__super_loop(struct ccsb_super *s);
/* bwrap's exit: a wait if it is not collected yet, then the command's
 * status from bwrap's status report (which survives a foreign reaper), or
 * the reason bwrap failed. */
int ccsb__super_finish(struct ccsb_super *s);
/* Why bwrap failed before the command ran: the usual causes of unusable
 * user namespaces, each with its fix. */
int ccsb__explain_bwrap_failure(const struct ccsb_super *s, ccsb_error **err);
/* Read into buf (NUL-terminated) until EOF, a full buffer, or, when `stop`
 * is not NUL, until that character has arrived. */
size_t ccsb__read_upto(int fd, char *buf, size_t cap, char stop);

#endif
