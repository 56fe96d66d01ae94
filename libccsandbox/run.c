/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A run: the plan (plan.c), bwrap spawned and held until the sandbox's
 * network is complete, then supervised (supervise.c) and torn down.
 * ccsb_sandbox_run() is the composition of these steps. */
#include "events.h"
#include "internal.h"
#include "namebind.h"
#include "plan.h"
#include "resolver.h"
#include "run.h"
#include "supervise.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

/* ---- launching bwrap -------------------------------------------------- */

/* The descriptors bwrap gets: info, block, status, the data files, the
 * seccomp filter at CCSB_FD_INFO + index; with a pty the job socket, and
 * the pty's slave as stdin (and stdout/stderr where those are terminals).
 * Our ends go to `l`; `secc` is where the filter is to be written. */
static int launch_fds(const ccsb_sandbox *sb, const struct ccsb_plan *plan,
		      const struct ccsb_pty *pty, struct ccsb_launch *l, int *secc,
		      struct ccsb_fdmap *map, size_t *nmap, int *theirs, ccsb_error **err)
{
	int p[2];
	size_t n = 0;
	/* A socket for the block fd so that releasing a sandbox that already
	 * died gives EPIPE without SIGPIPE. */
	if (pipe2(p, O_CLOEXEC) < 0)
		return ccsb__errno(err, errno, "cannot create pipes");
	l->info_fd = p[0], theirs[n++] = p[1];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return ccsb__errno(err, errno, "cannot create pipes");
	l->block_fd = p[0], theirs[n++] = p[1];
	if (pipe2(p, O_CLOEXEC) < 0)
		return ccsb__errno(err, errno, "cannot create pipes");
	l->status_fd = p[0], theirs[n++] = p[1];
	for (size_t i = 0; i < plan->nfiles; i++) {
		int fd = ccsb__file_fd(plan->files[i], err);
		if (fd < 0)
			return fd;
		theirs[n++] = fd;
	}
	/* The filter goes through a socket and is compiled once bwrap is
	 * exec'd, while its dynamic loader runs: libseccomp's ~0.4 ms stays off
	 * the start-up path. bwrap reads the descriptor to EOF. */
	if (sb->seccomp) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
			return ccsb__errno(err, errno, "socketpair");
		*secc = p[0], theirs[n++] = p[1];
	}
	for (size_t i = 0; i < n; i++)
		map[i] = (struct ccsb_fdmap){ theirs[i], CCSB_FD_INFO + (int)i };
	*nmap = n;
	if (pty->master >= 0 && !pty->output_only) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, p) < 0)
			return ccsb__errno(err, errno, "socketpair");
		l->job_fd = p[0], theirs[n] = p[1];
		map[(*nmap)++] = (struct ccsb_fdmap){ theirs[n++], ccsb__job_fdnum(sb) };
		map[(*nmap)++] = (struct ccsb_fdmap){ pty->slave, STDIN_FILENO };
	}
	if (pty->master >= 0) {
		if (pty->slave_out)
			map[(*nmap)++] = (struct ccsb_fdmap){ pty->slave, STDOUT_FILENO };
		if (pty->slave_err)
			map[(*nmap)++] = (struct ccsb_fdmap){ pty->slave, STDERR_FILENO };
	}
	/* A named session's control socket (session.c). */
	if (ccsb__session_peer(sb) >= 0)
		map[(*nmap)++] =
			(struct ccsb_fdmap){ ccsb__session_peer(sb), ccsb__session_fdnum(sb) };
	return 0;
}

/* bwrap may die before reading its filter: the write must fail with EPIPE,
 * not kill the process with SIGPIPE (consumed here if it was ours). */
static int send_filter(const ccsb_sandbox *sb, int fd, ccsb_error **err)
{
	sigset_t pipe_set, before;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &before);
	int r = ccsb__seccomp_export(sb, fd, err);
	if (r == -EPIPE && !sigismember(&before, SIGPIPE)) {
		const struct timespec zero = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	return r;
}

/* bwrap missing (looked up, or gone before its exec) or not executable:
 * one message for both moments. r unchanged when not negative. */
static int bwrap_error(const ccsb_sandbox *sb, int r, ccsb_error **err)
{
	if (r == -ENOENT)
		return ccsb__err(err, ENOENT,
				 "%s not found: install bubblewrap (apt-get install "
				 "bubblewrap) or set its path",
				 sb->bwrap);
	if (r < 0)
		return ccsb__errno(err, -r, "cannot execute %s", sb->bwrap);
	return r;
}

int ccsb__launch(const ccsb_sandbox *sb, const struct ccsb_plan *plan, const sigset_t *mask,
		 const struct ccsb_pty *pty, struct ccsb_launch *l, ccsb_error **err)
{
	size_t nmax = 3 + plan->nfiles + 1 + 4 + 1, nmap = 0;
	struct ccsb_fdmap *map = calloc(nmax, sizeof(*map));
	int *theirs = calloc(nmax, sizeof(*theirs)), secc = -1;
	if (!map || !theirs) {
		free(map);
		free(theirs);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nmax; i++)
		theirs[i] = -1;
	/* bwrap by name: on the search path the caller set, not $PATH. */
	char bwrap[PATH_MAX];
	int r = bwrap_error(sb, ccsb__search_program(sb, sb->bwrap, bwrap, sizeof(bwrap)), err);
	if (r == 0)
		r = launch_fds(sb, plan, pty, l, &secc, map, &nmap, theirs, err);
	if (r == 0) {
		sigset_t reset;
		ccsb__procstate_signals(&reset);
		const struct ccsb_spawn sp = {
			.path = bwrap,
			.argv = plan->argv,
			.envp = plan->envp,
			.fds = map,
			.nfds = nmap,
			.mask = mask,
			.reset = &reset,
			/* Own process group: a ^C on the terminal reaches us, and
			 * we relay it, instead of killing bwrap's monitor (which
			 * would SIGKILL the command). */
			.setpgrp = true,
			/* Nothing that runs from here on may inherit a capability. */
			.drop_caps = true,
		};
		r = bwrap_error(sb, ccsb__spawn(&sp, &l->bwrap, &l->bwrap_pidfd), err);
	}
	for (size_t i = 0; i < nmax; i++)
		ccsb__close_fd(&theirs[i]);
	free(theirs);
	free(map);
	if (r == 0 && secc >= 0 && (r = send_filter(sb, secc, err)) < 0) {
		/* Never let bwrap go on with a partial filter. */
		ccsb__proc_signal(l->bwrap_pidfd, l->bwrap, SIGKILL);
		ccsb__proc_wait(l->bwrap_pidfd, l->bwrap, NULL, false);
		l->bwrap = -1;
		ccsb__close_fd(&l->bwrap_pidfd);
	}
	ccsb__close_fd(&secc);
	return r;
}

/* Read one JSON object from bwrap's info fd and pick "child-pid". EOF
 * before it means bwrap failed before creating the sandbox. bwrap writes
 * the object in several writes: read to its closing brace, never less (a
 * reader that closes early makes bwrap's monitor die of SIGPIPE). */
static pid_t read_child_pid(int fd)
{
	char buf[2048];
	ccsb__read_upto(fd, buf, sizeof(buf), '}');
	const char *p = strstr(buf, "\"child-pid\"");
	if (!p)
		return -1;
	p = strchr(p, ':');
	return p ? (pid_t)strtol(p + 1, NULL, 10) : -1;
}

/* ---- the steps of a run ----------------------------------------------- */

void ccsb__run_init(struct ccsb_run *run, ccsb_sandbox *sb, ccsb_error **err)
{
	*run = (struct ccsb_run){ .sb = sb,
				  .l = { .bwrap = -1,
					 .bwrap_pidfd = -1,
					 .info_fd = -1,
					 .status_fd = -1,
					 .block_fd = -1,
					 .job_fd = -1 },
				  .net = { .slirp_pid = -1,
					   .exit_fd = -1,
					   .dns_udp = -1,
					   .dns_tcp = -1,
					   .rtnl = -1,
					   .bind_listener = -1 } };
	ccsb__pty_init(&run->pty);
	ccsb__state_run_init(&run->state);
	ccsb__super_init(&run->s, sb, &run->pty, err);
}

/* Whether the run gets a pty relay: refused when asked for but impossible. */
static int resolve_tty(const ccsb_sandbox *sb, bool allow, bool *use_pty, ccsb_error **err)
{
	*use_pty = allow &&
		   (sb->tty == CCSB_TTY_ON || (sb->tty == CCSB_TTY_AUTO && isatty(STDIN_FILENO)));
	if (sb->tty == CCSB_TTY_ON && !allow)
		return ccsb__err(err, ENOTTY, "a terminal relay needs ccsb_sandbox_run()");
	if (*use_pty && !isatty(STDIN_FILENO))
		return ccsb__err(err, ENOTTY,
				 "a terminal was asked for, but standard input is not one");
	/* Not ours to take: a relay would stop on SIGTTOU before the command
	 * starts. Auto runs without it, like a pipe; on says why it cannot. */
	if (*use_pty && ccsb__pty_background()) {
		if (sb->tty == CCSB_TTY_ON)
			return ccsb__err(
				err, ENOTTY,
				"a terminal was asked for, but ccsb is not in "
				"the foreground of its terminal (started in the background, or "
				"by timeout without --foreground): use --tty=off, or timeout "
				"--foreground");
		*use_pty = false;
	}
	return 0;
}

int ccsb__run_plan(struct ccsb_run *run, char *const cmd[], bool allow_pty, ccsb_error **err)
{
	ccsb_sandbox *sb = run->sb;
	bool use_pty;
	ccsb__pty_set_filter(&run->pty, sb->allow_clipboard);
	ccsb__report_clear(sb);
	ccsb__guard_arm(sb);
	ccsb__events_run_begin(sb, cmd);
	int r = resolve_tty(sb, allow_pty, &use_pty, err);
	run->relay_output = allow_pty && !use_pty;
	/* Once per change of the allowlist: the plan, the broker and the
	 * event stream all read this one. */
	if (r == 0)
		r = ccsb__sandbox_merge(sb, err);
	if (r == 0)
		r = ccsb__broker_start(sb, err);
	if (r == 0)
		r = ccsb__relay_bind(sb, err);
	if (r == 0)
		r = ccsb__session_prepare(sb, cmd, err);
	const struct ccsb_plan_opts o = {
		.with_sync = true, .tty = use_pty, .guard = true, .host_env = environ
	};
	if (r == 0)
		r = ccsb__etc_cache_apply(sb, err);
	if (r == 0)
		r = ccsb__plan_make(sb, cmd, &o, &run->plan, err);
	if (r == 0)
		r = ccsb__state_start(sb, &run->state, err);
	if (r == 0)
		ccsb__reap_late();
	return r;
}

/* Network, DNS filter: started while the command is held. */
static int run_network(struct ccsb_run *run, ccsb_error **err)
{
	char helper[PATH_MAX];
	/* --net=none: the port relays only (loopback listeners, no slirp4netns). */
	if (run->plan.net.mode == CCSB_NET_NONE && !run->sb->nhost_ports && !run->sb->npublish)
		return 0;
	/* Missing: the start says so, naming it. */
	(void)ccsb__helper_path(run->sb, CCSB_HELPER_NET, helper, sizeof(helper));
	run->plan.net.helper = helper;
	int r = ccsb__net_start(&run->plan.net, run->l.child, &run->net, err);
	run->plan.net.helper = NULL;
	if (r == 0 && run->plan.net.dns)
		r = ccsb__resolver_new(&run->dns, run->plan.net.prefixes, run->plan.net.ipv6,
				       &run->net.dns_udp, &run->net.dns_tcp, &run->net.rtnl,
				       run->sb->dns_log_fd, err);
	ccsb__resolver_set_events(run->dns, run->sb->events);
	if (r == 0 && run->plan.net.dns)
		r = ccsb__namebind_run(run->dns, run->plan.net.prefixes, &run->net.bind_listener,
				       run->sb->name_ttl_floor, &run->names, err);
	if (r == 0)
		r = ccsb__relay_start(run->sb, &run->net, run->l.child, err);
	return r;
}

int ccsb__run_launch(struct ccsb_run *run, const sigset_t *mask, ccsb_error **err)
{
	struct ccsb_super *s = &run->s;
	int r;
	/* Without a pty but with a terminal on stdout or stderr, the output
	 * still reaches it through the escape filter only. */
	if (run->plan.tty)
		r = ccsb__pty_open(&run->pty, err);
	else
		r = run->relay_output ? ccsb__pty_open_output(&run->pty, err) : 0;
	if (r < 0)
		return r;
	if ((r = ccsb__launch(run->sb, &run->plan, mask, &run->pty, &run->l, err)) < 0)
		return r;
	s->bwrap = run->l.bwrap;
	s->bwrap_pidfd = run->l.bwrap_pidfd;
	s->status_fd = run->l.status_fd;
	/* bwrap holds the slave now; once it and the sandbox are gone, reads
	 * on the master end with EIO. */
	ccsb__close_fd(&run->pty.slave);
	run->l.child = read_child_pid(run->l.info_fd);
	ccsb__close_fd(&run->l.info_fd);
	if (run->l.child <= 0) {
		/* bwrap failed before the sandbox existed: why. */
		r = ccsb__super_finish(s);
		return r < 0 ? r : ccsb__err(err, EIO, "bwrap reported no sandbox");
	}
	/* Held by --block-fd, pid 1 cannot have exited: its pidfd is its own. */
	s->child = run->l.child;
	s->child_pidfd = ccsb__pidfd_open(run->l.child);
	run->started = true;
	ccsb__bounds_apply(run->sb, run->l.bwrap, run->l.child);
	if ((r = ccsb__state_spawn(run->sb, &run->state, err)) < 0 ||
	    (r = run_network(run, err)) < 0 || (r = ccsb__state_ready(&run->state, err)) < 0 ||
	    (run->plan.tty && (r = ccsb__pty_raw(&run->pty, err)) < 0))
		/* Never release a half-configured sandbox. */
		return ccsb__super_fail(s, r);
	ccsb__events_run_start(run->sb, run->l.child);
	if (send(run->l.block_fd, "1", 1, MSG_NOSIGNAL) < 0) {
		/* bwrap died while held: its own message is on stderr. */
	}
	ccsb__close_fd(&run->l.block_fd);
	ccsb__session_serve(run->sb);
	return 0;
}

int ccsb__run_sources(struct ccsb_run *run)
{
	int r = ccsb__super_add_exit(&run->s);
	if (r == 0)
		r = ccsb__super_add_resolver(&run->s, run->dns);
	if (r == 0)
		r = ccsb__super_add_pty(&run->s);
	if (r == 0)
		r = ccsb__super_add_job(&run->s, &run->l.job_fd);
	if (r == 0)
		r = ccsb__events_add_source(&run->s, run->sb->events);
	return r;
}

/* After the command: the hooks that look at what it left, the exit report,
 * then everything released. Returns the run's result. */
int ccsb__run_end(struct ccsb_run *run, int r)
{
	ccsb_sandbox *sb = run->sb;
	ccsb__pty_restore(&run->pty);
	if (run->started) {
		int fin = ccsb__super_finish(&run->s);
		if (r == 0)
			r = fin;
		ccsb__resolver_summary(run->dns, sb->dns_summary_fd);
		ccsb__namebind_summary(run->names, sb->dns_summary_fd);
		ccsb__resolver_free(run->dns);
		run->dns = NULL;
		ccsb__namebind_free(run->names);
		run->names = NULL;
		ccsb__guard_finish(sb);
		ccsb__broker_stop(sb);
		ccsb__relay_stop(sb);
		ccsb__state_finish(sb, &run->state);
		ccsb__pty_report(&run->pty, sb);
		ccsb__report_write(sb);
		ccsb__net_stop(&run->net);
		/* slirp4netns takes ~20 ms to tear down: not waited for, but
		 * collected later (proc.c) so that no zombie piles up. */
		if (run->net.slirp_pid > 0)
			ccsb__reap_later(run->net.slirp_pid, run->net.slirp_pidfd);
		run->net.slirp_pid = -1;
		run->net.slirp_pidfd = -1;
	} else if (run->l.bwrap > 0 && !run->s.bwrap_done) {
		ccsb__proc_wait(run->l.bwrap_pidfd, run->l.bwrap, NULL, false);
	}
	ccsb__state_finish(sb, &run->state);
	ccsb__pty_close(&run->pty);
	ccsb__close_fd(&run->l.info_fd);
	ccsb__close_fd(&run->l.status_fd);
	ccsb__close_fd(&run->l.block_fd);
	ccsb__close_fd(&run->l.job_fd);
	ccsb__close_fd(&run->l.bwrap_pidfd);
	ccsb__close_fd(&run->s.child_pidfd);
	ccsb__session_stop(sb);
	ccsb__broker_stop(sb);
	ccsb__relay_stop(sb);
	ccsb__plan_free(&run->plan);
	ccsb__guard_free(sb);
	ccsb__events_run_end(sb, r, run->s.err, run->s.maxrss);
	ccsb__etc_cache_release(sb);
	return r;
}

CCSB_EXPORT int ccsb_sandbox_run(ccsb_sandbox *sb, char *const cmd[], ccsb_error **err)
{
	struct ccsb_run run;
	struct ccsb_procstate ps = { .sfd = -1 };
	if (!sb)
		return CCSB_NULL_SB(err);
	if (sb->busy)
		return ccsb__err(err, EBUSY,
				 "this policy is running a sandbox already: one live "
				 "sandbox per policy object (make another one)");
	ccsb__run_init(&run, sb, err);
	int r = ccsb__run_plan(&run, cmd, true, err);
	/* No subreaper: bwrap's monitor reaps the sandbox's pid 1 itself
	 * (--as-pid-1; DESIGN pitfall 8 no longer holds, test-embed.c checks
	 * that nothing is left to a subreaper caller). */
	if (r == 0)
		r = ccsb__procstate_enter(&ps, run.plan.tty, false, err);
	if (r == 0)
		r = ccsb__run_launch(&run, &ps.orig, err);
	if (r == 0)
		r = ccsb__run_sources(&run);
	if (r == 0)
		r = ccsb__super_add_signals(&run.s, &ps);
	if (r == 0)
		r = ccsb__super_loop(&run.s);
	r = ccsb__run_end(&run, r);
	ccsb__procstate_leave(&ps);
	return r;
}
