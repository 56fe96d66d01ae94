/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The non-blocking API: ccsb_sandbox_spawn() and ccsb_process_*(). Each
 * process has a supervising thread of its own, which starts the sandbox
 * (so that bwrap's --die-with-parent and slirp4netns's PR_SET_PDEATHSIG
 * follow the process object, not the caller's thread), serves its DNS
 * filter, collects bwrap through its pidfd and runs the end-of-run hooks.
 * Nothing process-wide changes: no signal mask, no SIGCHLD disposition, no
 * subreaper, and only our own children are ever waited for (P_PIDFD). */
#include "internal.h"
#include "run.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum phase {
	STARTING,
	RUNNING,
	FAILED,
	ENDED
};

struct ccsb_process {
	ccsb_sandbox *sb; /* borrowed; busy until ccsb_process_free() */
	char **cmd;
	sigset_t mask; /* the caller's: bwrap's */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum phase phase;
	int result;	 /* the command's status or -errno, once ENDED/FAILED */
	ccsb_error *err; /* the thread's error */
	int pidfd;	 /* bwrap's, ours: readable once it has exited */
	int child_pidfd; /* the sandbox's pid 1, for ccsb_process_kill() */
	bool joined;
};

static void set_phase(ccsb_process *p, enum phase ph, int result)
{
	pthread_mutex_lock(&p->lock);
	p->phase = ph;
	p->result = result;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void *supervisor(void *arg)
{
	ccsb_process *p = arg;
	struct ccsb_run run;
	ccsb__run_init(&run, p->sb, &p->err);
	int r = ccsb__run_plan(&run, p->cmd, false, &p->err);
	if (r == 0)
		r = ccsb__run_launch(&run, &p->mask, &p->err);
	if (r == 0 && run.l.bwrap_pidfd < 0)
		r = ccsb__super_fail(&run.s, ccsb__err(&p->err, ENOSYS,
						       "ccsb_sandbox_spawn() "
						       "needs pidfds (Linux 5.3 or later)"));
	if (r == 0) {
		p->pidfd = fcntl(run.l.bwrap_pidfd, F_DUPFD_CLOEXEC, 3);
		p->child_pidfd =
			run.s.child_pidfd < 0 ? -1 : fcntl(run.s.child_pidfd, F_DUPFD_CLOEXEC, 3);
		if (p->pidfd < 0)
			r = ccsb__super_fail(&run.s, ccsb__errno(&p->err, errno, "pidfd"));
	}
	if (r < 0) {
		r = ccsb__run_end(&run, r);
		set_phase(p, FAILED, r);
		return NULL;
	}
	set_phase(p, RUNNING, 0);
	r = ccsb__run_sources(&run);
	if (r == 0)
		r = ccsb__super_loop(&run.s);
	r = ccsb__run_end(&run, r);
	set_phase(p, ENDED, r);
	return NULL;
}

static void process_free(ccsb_process *p)
{
	if (p->sb)
		p->sb->busy = false;
	ccsb__strv_free(p->cmd);
	ccsb__close_fd(&p->pidfd);
	ccsb__close_fd(&p->child_pidfd);
	ccsb_error_free(p->err);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void move_error(ccsb_process *p, ccsb_error **err)
{
	if (err && !*err) {
		*err = p->err;
		p->err = NULL;
	}
}

CCSB_EXPORT int ccsb_sandbox_spawn(ccsb_sandbox *sb, char *const cmd[], unsigned flags,
				   ccsb_process **out, ccsb_error **err)
{
	if (out)
		*out = NULL;
	if (!sb)
		return CCSB_NULL_SB(err);
	if (!out)
		return ccsb__err(err, EINVAL, "ccsb_sandbox_spawn: no result pointer (NULL)");
	if (!cmd || !cmd[0] || !*cmd[0])
		return ccsb__err(err, EINVAL, "no command to run");
	if (flags)
		return ccsb__err(err, EINVAL, "unknown spawn flags 0x%x (none is defined yet)",
				 flags);
	if (sb->busy)
		return ccsb__err(err, EBUSY,
				 "this policy is running a sandbox already: one live "
				 "sandbox per policy object (make another one)");
	ccsb_process *p = calloc(1, sizeof(*p));
	if (!p)
		return ccsb__err(err, ENOMEM, "out of memory");
	p->pidfd = p->child_pidfd = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (!(p->cmd = ccsb__strv_dup(cmd))) {
		process_free(p);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	/* The supervisor takes no signal of the process's: it blocks them
	 * all, and bwrap gets the caller's mask back. */
	sigset_t all;
	sigfillset(&all);
	sb->busy = true;
	p->sb = sb;
	pthread_sigmask(SIG_SETMASK, &all, &p->mask);
	int e = pthread_create(&p->thread, NULL, supervisor, p);
	pthread_sigmask(SIG_SETMASK, &p->mask, NULL);
	if (e) {
		process_free(p);
		return ccsb__errno(err, e, "cannot start the supervising thread");
	}
	pthread_mutex_lock(&p->lock);
	while (p->phase == STARTING)
		pthread_cond_wait(&p->cond, &p->lock);
	enum phase ph = p->phase;
	int r = p->result;
	pthread_mutex_unlock(&p->lock);
	if (ph == FAILED) {
		pthread_join(p->thread, NULL);
		move_error(p, err);
		process_free(p);
		return r < 0 ? r : -EIO;
	}
	*out = p;
	return 0;
}

CCSB_EXPORT int ccsb_process_pidfd(const ccsb_process *p)
{
	return p ? p->pidfd : -EINVAL;
}

CCSB_EXPORT int ccsb_process_kill(ccsb_process *p, int sig)
{
	if (!p)
		return -EINVAL;
	if (p->child_pidfd < 0)
		return -ESRCH;
	return ccsb__proc_signal(p->child_pidfd, -1, sig);
}

CCSB_EXPORT int ccsb_process_wait(ccsb_process *p, ccsb_error **err)
{
	if (!p)
		return ccsb__err(err, EINVAL, "ccsb_process_wait: no process (NULL)");
	if (!p->joined) {
		pthread_join(p->thread, NULL);
		p->joined = true;
	}
	if (p->result < 0)
		move_error(p, err);
	return p->result;
}

CCSB_EXPORT void ccsb_process_free(ccsb_process *p)
{
	if (!p)
		return;
	if (!p->joined) {
		/* Still running: the sandbox goes now. */
		ccsb_process_kill(p, SIGKILL);
		pthread_join(p->thread, NULL);
	}
	process_free(p);
}
