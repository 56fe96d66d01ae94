/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The steps of a run (run.c), for ccsb_sandbox_run() and the spawn API. */
#ifndef CCSB_RUN_H
#define CCSB_RUN_H

#include "internal.h"
#include "plan.h"
#include "supervise.h"

struct ccsb_resolver;

/* bwrap, started and held by its block fd. */
struct ccsb_launch {
	pid_t bwrap, child; /* child: the sandbox's pid 1, host pid; -1 until known */
	int bwrap_pidfd;
	int info_fd, status_fd, block_fd;
	int job_fd; /* with a pty: ccsb-exec says "z" when the command stops */
};

/* Spawn bwrap for `plan` with its descriptors in place; the child's signal
 * mask is `mask`. */
int ccsb__launch(const ccsb_sandbox *sb, const struct ccsb_plan *plan, const sigset_t *mask,
		 const struct ccsb_pty *pty, struct ccsb_launch *l, ccsb_error **err);

struct ccsb_namebind;

struct ccsb_run {
	ccsb_sandbox *sb;
	struct ccsb_plan plan;
	struct ccsb_pty pty;
	struct ccsb_launch l;
	struct ccsb_net net;
	struct ccsb_resolver *dns;
	struct ccsb_namebind *names; /* name-bound connections' relay, or NULL */
	struct ccsb_state_run state;
	struct ccsb_super s;
	bool started;	   /* the sandbox exists: the end-of-run hooks run */
	bool relay_output; /* no pty, but the loop may relay output to a terminal */
};

void ccsb__run_init(struct ccsb_run *run, ccsb_sandbox *sb, ccsb_error **err);
/* Tty choice, broker, plan, state helper; `allow_pty`: whether a relay may
 * be used (only a blocking run has one). */
int ccsb__run_plan(struct ccsb_run *run, char *const cmd[], bool allow_pty, ccsb_error **err);
/* Spawn bwrap, start the network while the command is held, release it. */
int ccsb__run_launch(struct ccsb_run *run, const sigset_t *mask, ccsb_error **err);
/* Register the run's own sources: bwrap's exit, DNS filter, pty, job. */
int ccsb__run_sources(struct ccsb_run *run);
/* Collect bwrap, run the end-of-run hooks, release everything; returns the
 * command's status or the first error (`r` when negative). */
int ccsb__run_end(struct ccsb_run *run, int r);

#endif
