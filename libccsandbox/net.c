/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Network for a sandbox: slirp4netns on the sandbox's netns, tap0 and the
 * routes configured by a helper that joins the netns's owner. */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netproto.h"
#include "slirp.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define START_TIMEOUT_MS 5000

_Static_assert(CCSB_HOST_PORTS_MAX == CCSB_NETPROTO_MAX_PORTS, "host ports in the request");
_Static_assert(CCSB_NETPROTO_MAX_FDS <= CCSB_FDPASS_MAX, "a message's descriptors pass");

/* The inherited descriptors must not be 0-2: the child puts /dev/null there. */
static int fd_above_stdio(int fd)
{
	int nfd, e;

	if (fd < 0 || fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	e = errno;
	close(fd);
	errno = e;
	return nfd;
}

/* A close-on-exec pipe whose ends are not 0-2. */
static int pipe_above_stdio(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	p[0] = fd_above_stdio(p[0]);
	p[1] = fd_above_stdio(p[1]);
	if (p[0] >= 0 && p[1] >= 0)
		return 0;
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
	return -EMFILE;
}

static void kill_and_reap(pid_t pid, int *pidfd)
{
	if (pid > 0) {
		ccsb__proc_signal(*pidfd, pid, SIGKILL);
		ccsb__proc_wait(*pidfd, pid, NULL, false);
	}
	ccsb__close_fd(pidfd);
}

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status 0x%x", (unsigned)status);
}

/* ---- slirp4netns ----------------------------------------------------- */

static int check_tun(ccsb_error **err)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	int e = errno;

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return ccsb__err(err, ENODEV,
			 "/dev/net/tun: %s: slirp4netns needs a usable /dev/net/tun "
			 "(mode 0666, e.g. 'sudo chmod 0666 /dev/net/tun' or load the tun module)",
			 strerror(e));
}

struct slirp_fds {
	int netns, userns; /* userns -1: already in the netns's owner */
	int ready_w, exit_r;
	int devnull;
	int log; /* its stderr: a memfd, or -1 to keep ours */
};

/* Own process group: a terminal Ctrl-C must not stop the network before
 * the sandbox. Dies with ccsb even when ccsb is SIGKILLed (strictly: with
 * the thread that started it, so run from the supervising thread). Its
 * descriptors keep their numbers: the argv names them. */
static int slirp_spawn(const char *path, char *const argv[], const struct slirp_fds *f, pid_t *pid,
		       int *pidfd)
{
	const struct ccsb_fdmap map[] = {
		{ f->devnull, 0 },	  { f->devnull, 1 },	    { f->log, 2 },
		{ f->netns, f->netns },	  { f->userns, f->userns }, { f->ready_w, f->ready_w },
		{ f->exit_r, f->exit_r },
	};
	const struct ccsb_spawn sp = { .path = path,
				       .argv = argv,
				       .fds = map,
				       .nfds = N_ELEMENTS(map),
				       .setpgrp = true,
				       .pdeathsig = true };
	return ccsb__spawn(&sp, pid, pidfd);
}

/* What slirp4netns said on stderr, minus its routine chatter, as one line. */
static void read_log(int log, char *out, size_t len)
{
	char buf[4096], *line, *save = NULL;
	ssize_t n = log >= 0 ? pread(log, buf, sizeof(buf) - 1, 0) : -1;
	size_t used = 0;

	out[0] = '\0';
	buf[n > 0 ? n : 0] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "sent tapfd", 10) || !strncmp(line, "received tapfd", 14) ||
		    !strncmp(line, "WARNING", 7) || !*line)
			continue;
		n = snprintf(out + used, len - used, "%s%s", used ? "; " : "", line);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

/* Wait until slirp4netns writes "1" to its ready fd. When it exited instead,
 * *pid is reaped and set to -1. */
static int slirp_wait_ready(const char *prog, pid_t *pid, int *pidfd, int ready_r, int log,
			    ccsb_error **err)
{
	int64_t deadline = ccsb__now_ms() + START_TIMEOUT_MS;
	struct pollfd pfd[1] = { { .fd = ready_r, .events = POLLIN } };
	char what[96], said[512];
	int status, r;

	for (;;) {
		int64_t left = deadline - ccsb__now_ms();
		char c;
		ssize_t n;

		if (left <= 0) {
			read_log(log, said, sizeof(said));
			return ccsb__err(err, ETIMEDOUT, "%s did not become ready within %d ms%s%s",
					 prog, START_TIMEOUT_MS, *said ? ": " : "", said);
		}
		r = poll(pfd, 1, (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return ccsb__errno(err, errno, "poll on %s's ready fd", prog);
		}
		if (pfd[0].revents) {
			n = CCSB_RETRY(read(ready_r, &c, 1));
			if (n == 1 && c == '1')
				return 0;
			break; /* EOF or garbage: slirp4netns is going away */
		}
	}
	/* It closed its ready fd without writing: it is exiting. */
	if ((r = ccsb__proc_wait(*pidfd, *pid, &status, false)) < 0)
		return ccsb__errno(err, -r, "waiting for %s", prog);
	*pid = -1;
	ccsb__close_fd(pidfd);
	describe_status(status, what, sizeof(what));
	read_log(log, said, sizeof(said));
	if (*said)
		return ccsb__err(err, EIO, "%s %s: %s", prog, what, said);
	return ccsb__err(err, EIO, "%s %s (is /dev/net/tun usable?)", prog, what);
}

/* Start ccsb-net (netproto.h) with its descriptors in place; the caller's
 * blocked signals and handlers are not the helper's. */
static int spawn_helper(const struct ccsb_net_plan *plan, int channel, int netns, int userns,
			int request, pid_t *pid, int *pidfd, ccsb_error **err)
{
	const struct ccsb_fdmap map[] = {
		{ channel, CCSB_NETPROTO_FD_CHANNEL },
		{ netns, CCSB_NETPROTO_FD_NETNS },
		{ userns, CCSB_NETPROTO_FD_USERNS },
		{ request, CCSB_NETPROTO_FD_REQUEST },
	};
	char proto[24], *argv[3];
	int r;

	snprintf(proto, sizeof(proto), "--protocol=%d", CCSB_NETPROTO_VERSION);
	argv[0] = (char *)plan->helper;
	argv[1] = proto;
	argv[2] = NULL;
	const struct ccsb_spawn sp = {
		.path = plan->helper, .argv = argv, .fds = map, .nfds = N_ELEMENTS(map)
	};
	r = ccsb__spawn(&sp, pid, pidfd);
	if (r == -ENOENT)
		return ccsb__err(err, ENOENT,
				 "the network helper %s is missing: reinstall ccsb (make "
				 "install), or set CCSB_NET_HELPER to ccsb-net",
				 plan->helper);
	if (r < 0)
		return ccsb__errno(err, -r, "cannot start the network helper %s", plan->helper);
	return 0;
}

/* The request (netproto.h) for the plan, in a memfd. */
static int request_memfd(const struct ccsb_net_plan *plan, bool userns, ccsb_error **err)
{
	const struct ccsb_allowlist *al = plan->mode == CCSB_NET_ALLOWLIST ? plan->prefixes : NULL;
	size_t n = al ? al->n : 0, len = ccsb__netproto_request_size(n);
	struct ccsb_netproto_request *req;
	struct ccsb_netproto_prefix *p;
	int fd;

	if (!len)
		return ccsb__err(err, E2BIG, "too many prefixes for the network helper");
	if (plan->nhost_ports > CCSB_NETPROTO_MAX_PORTS)
		return ccsb__err(err, E2BIG, "more than %d host ports", CCSB_NETPROTO_MAX_PORTS);
	if (!(req = calloc(1, len)))
		return ccsb__err(err, ENOMEM, "out of memory");
	req->magic = CCSB_NETPROTO_MAGIC;
	req->version = CCSB_NETPROTO_VERSION;
	req->mode = plan->mode == CCSB_NET_FULL	       ? CCSB_NETPROTO_MODE_FULL
		    : plan->mode == CCSB_NET_ALLOWLIST ? CCSB_NETPROTO_MODE_ALLOWLIST
						       : CCSB_NETPROTO_MODE_LOOPBACK;
	req->flags = (plan->ipv6 ? CCSB_NETPROTO_IPV6 : 0) | (plan->dns ? CCSB_NETPROTO_DNS : 0) |
		     (plan->dns && plan->bind_names ? CCSB_NETPROTO_BIND_NAMES : 0) |
		     (userns ? CCSB_NETPROTO_USERNS : 0);
	req->nprefixes = (uint32_t)n;
	req->nports = (uint16_t)plan->nhost_ports;
	for (size_t i = 0; i < plan->nhost_ports; i++)
		req->ports[i] = plan->host_ports[i];
	p = (struct ccsb_netproto_prefix *)(req + 1);
	for (size_t i = 0; i < n; i++) {
		p[i].family = al->v[i].family == AF_INET ? 4 : 6;
		p[i].len = al->v[i].len;
		memcpy(p[i].addr, al->v[i].addr, sizeof(p[i].addr));
	}
	fd = ccsb__memfd_data("ccsb-net-request", req, len, "the network request", err);
	free(req);
	return fd;
}

/* The descriptors of one DESCRIPTORS message, placed in `net` by role;
 * ownership moves there (or they are closed). */
static int take_fds(const struct ccsb_netproto_msg *m, int *fds, struct ccsb_net *net)
{
	int r = 0;

	for (uint32_t i = 0; i < m->nfds; i++) {
		int *slot = NULL;

		switch (m->fds[i].role) {
		case CCSB_NETPROTO_DNS_UDP:
			slot = &net->dns_udp;
			break;
		case CCSB_NETPROTO_DNS_TCP:
			slot = &net->dns_tcp;
			break;
		case CCSB_NETPROTO_RTNL:
			slot = &net->rtnl;
			break;
		case CCSB_NETPROTO_NAMEBIND:
			slot = &net->bind_listener;
			break;
		case CCSB_NETPROTO_HOSTPORT:
			if (net->nlisteners < CCSB_NET_MAX_LISTENERS) {
				struct ccsb_net_listener *l = &net->listeners[net->nlisteners++];

				l->fd = fds[i];
				l->family = m->fds[i].family == 4 ? AF_INET : AF_INET6;
				l->port = m->fds[i].port;
				fds[i] = -1;
				continue;
			}
			break;
		}
		if (slot && *slot < 0) {
			*slot = fds[i];
			fds[i] = -1;
		} else {
			ccsb__close_fd(&fds[i]);
			r = -EPROTO;
		}
	}
	return r;
}

/* Read the helper's messages until its last: 0 after DONE, 1 at EOF
 * before it, or -errno (*said: the helper sent an ERROR and exits). */
static int read_helper(const struct ccsb_net_plan *plan, int ch, struct ccsb_net *net, bool *said,
		       ccsb_error **err)
{
	int64_t deadline = ccsb__now_ms() + START_TIMEOUT_MS;
	int step = 0;

	for (;;) {
		struct pollfd pfd = { .fd = ch, .events = POLLIN };
		int64_t left = deadline - ccsb__now_ms();
		struct ccsb_netproto_msg raw, m;
		int fds[CCSB_NETPROTO_MAX_FDS], flags = 0;
		size_t nfds = 0;
		const char *why;
		ssize_t n;
		int r;

		if (left <= 0 || (r = poll(&pfd, 1, (int)left)) == 0)
			return ccsb__err(
				err, ETIMEDOUT,
				"the network helper did not finish within %d ms (it was %s)",
				START_TIMEOUT_MS, ccsb__netproto_step_name(step));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ccsb__errno(err, errno, "poll on the network helper");
		n = ccsb__recv_fds(ch, &raw, sizeof(raw), fds, CCSB_NETPROTO_MAX_FDS, &nfds,
				   &flags);
		if (n < 0)
			return ccsb__errno(err, (int)-n, "reading from the network helper");
		if (n == 0)
			return 1; /* EOF before the last message: the caller says why */
		if (ccsb__netproto_decode(&raw, (size_t)n, nfds, &m, &why) < 0 ||
		    (flags & (MSG_TRUNC | MSG_CTRUNC))) {
			while (nfds)
				close(fds[--nfds]);
			return ccsb__err(err, EPROTO,
					 "the network helper %s sent %s (protocol %d expected): "
					 "reinstall ccsb so that it and the library come from the "
					 "same build",
					 plan->helper, why ? why : "a truncated message",
					 CCSB_NETPROTO_VERSION);
		}
		switch (m.type) {
		case CCSB_NETPROTO_PROGRESS:
			step = m.code;
			break;
		case CCSB_NETPROTO_WARNING:
			if (!net->warning[0])
				snprintf(net->warning, sizeof(net->warning), "%s", m.text);
			break;
		case CCSB_NETPROTO_DESCRIPTORS:
			if (take_fds(&m, fds, net) < 0)
				return ccsb__err(err, EPROTO,
						 "the network helper sent a descriptor twice");
			break;
		case CCSB_NETPROTO_ERROR:
			*said = true;
			return ccsb__err(err, m.code, "network setup: %s", m.text);
		case CCSB_NETPROTO_DONE:
			return 0;
		}
	}
}

/* Run the helper to its end; on success `net` holds the sockets it opened. */
static int run_helper(const struct ccsb_net_plan *plan, int netns, int userns, struct ccsb_net *net,
		      ccsb_error **err)
{
	int p[2], status = 0, r, w, request, pidfd = -1;
	bool said = false;
	pid_t pid = -1;

	if ((request = request_memfd(plan, userns >= 0, err)) < 0)
		return request;
	/* A datagram socket: messages and their descriptors arrive whole. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0) {
		r = ccsb__errno(err, errno, "socketpair");
		ccsb__close_fd(&request);
		return r;
	}
	r = spawn_helper(plan, p[1], netns, userns, request, &pid, &pidfd, err);
	ccsb__close_fd(&request);
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		return r;
	}
	r = read_helper(plan, p[0], net, &said, err);
	close(p[0]);
	if (r < 0) {
		/* After an ERROR it exits by itself. */
		if (said) {
			ccsb__proc_wait(pidfd, pid, NULL, false);
			ccsb__close_fd(&pidfd);
		} else {
			kill_and_reap(pid, &pidfd);
		}
		goto fail;
	}
	w = ccsb__proc_wait(pidfd, pid, &status, false);
	ccsb__close_fd(&pidfd);
	/* Collected by a waitpid(-1) elsewhere in the process: after its DONE
	 * message, nothing of its status matters. */
	if (w == -ECHILD && r == 0)
		w = 0;
	if (w < 0) {
		r = ccsb__errno(err, -w, "waiting for the network helper");
		goto fail;
	}
	if (r > 0) {
		char what[96];

		describe_status(status, what, sizeof(what));
		/* 127 before any message: the dynamic loader could not start
		 * it, and has said why on stderr. */
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			r = ccsb__err(err, ELIBACC,
				      "the network helper %s could not start (see "
				      "the message above): reinstall ccsb",
				      plan->helper);
		else
			r = ccsb__err(err, EIO, "the network helper %s %s", plan->helper, what);
		goto fail;
	}
	if (plan->dns && (net->dns_udp < 0 || net->dns_tcp < 0 || net->rtnl < 0 ||
			  (plan->bind_names && net->bind_listener < 0))) {
		r = ccsb__err(err, EIO, "the network helper did not pass the DNS sockets");
		goto fail;
	}
	return 0;
fail:
	ccsb__net_stop(net);
	return r;
}

/* ---- entry points ---------------------------------------------------- */

static bool same_ns(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* The sandbox's netns and the user namespace that owns it (-1 when that
 * is ours already), above the standard descriptors. */
static int open_namespaces(pid_t child, int *netns, int *userns, ccsb_error **err)
{
	char nspath[32];

	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)child);
	*netns = fd_above_stdio(open(nspath, O_RDONLY | O_CLOEXEC));
	if (*netns < 0)
		return ccsb__errno(err, errno, "%s", nspath);
	/* The owner of the netns, not /proc/PID/ns/user: bwrap may have moved
	 * its child into a nested user namespace that does not own it. */
	*userns = fd_above_stdio(ioctl(*netns, NS_GET_USERNS));
	if (*userns < 0)
		return ccsb__errno(err, errno, "user namespace owning %s", nspath);
	if (same_ns(*userns, "/proc/self/ns/user"))
		ccsb__close_fd(userns);
	return 0;
}

/* --net=none with host ports: no slirp4netns, only the helper's listeners
 * on the sandbox's loopback. */
static int start_loopback_only(const struct ccsb_net_plan *plan, pid_t child, struct ccsb_net *net,
			       ccsb_error **err)
{
	int netns = -1, userns = -1;
	int r = open_namespaces(child, &netns, &userns, err);

	if (r == 0)
		r = run_helper(plan, netns, userns, net, err);
	ccsb__close_fd(&netns);
	ccsb__close_fd(&userns);
	return r;
}

/* Its ready and exit pipes (our ends in *ready_r, *exit_w), /dev/null and
 * the log. */
static int slirp_pipes(struct slirp_fds *f, int *ready_r, int *exit_w, ccsb_error **err)
{
	int p[2], r;

	if ((r = pipe_above_stdio(p)) < 0)
		return ccsb__errno(err, -r, "pipe");
	*ready_r = p[0];
	f->ready_w = p[1];
	if ((r = pipe_above_stdio(p)) < 0)
		return ccsb__errno(err, -r, "pipe");
	f->exit_r = p[0];
	*exit_w = p[1];
	f->devnull = fd_above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC));
	if (f->devnull < 0)
		return ccsb__errno(err, errno, "/dev/null");
	/* slirp4netns's stderr is chatty ("sent tapfd=..."), and a line on the
	 * terminal would land in the middle of the command's output: keep it for
	 * error messages instead. Without memfd, it shares ours. */
	f->log =
		fd_above_stdio(memfd_create("slirp4netns-stderr", MFD_CLOEXEC | MFD_ALLOW_SEALING));
	return 0;
}

struct slirp_argv {
	char *v[16];
	char nspath[32], userns[48], ready[24], exit[24];
};

static void slirp_argv(const struct ccsb_net_plan *plan, const char *name,
		       const struct slirp_fds *f, struct slirp_argv *a)
{
	int argc = 0;

	snprintf(a->nspath, sizeof(a->nspath), "/proc/self/fd/%d", f->netns);
	snprintf(a->ready, sizeof(a->ready), "--ready-fd=%d", f->ready_w);
	snprintf(a->exit, sizeof(a->exit), "--exit-fd=%d", f->exit_r);
	a->v[argc++] = (char *)name;
	a->v[argc++] = (char *)"--netns-type=path";
	if (f->userns >= 0) {
		snprintf(a->userns, sizeof(a->userns), "--userns-path=/proc/self/fd/%d", f->userns);
		a->v[argc++] = a->userns;
	}
	/* No --configure: tap0 gets no default route from slirp4netns, so a
	 * sandbox whose launcher died before setup has no way out. */
	a->v[argc++] = (char *)"--disable-host-loopback";
	a->v[argc++] = (char *)"--enable-seccomp";
	a->v[argc++] = (char *)"--mtu=" CCSB_SLIRP_MTU_TEXT;
	if (plan->ipv6)
		a->v[argc++] = (char *)"--enable-ipv6";
	/* Its forwarder at 10.0.2.3 (CCSB_SLIRP_DNS4_TEXT) resolves any name (pitfall 4). */
	if (plan->dns)
		a->v[argc++] = (char *)"--disable-dns";
	a->v[argc++] = a->ready;
	a->v[argc++] = a->exit;
	a->v[argc++] = a->nspath;
	a->v[argc++] = (char *)CCSB_SLIRP_TAP;
	a->v[argc] = NULL;
}

static void net_reset(struct ccsb_net *net)
{
	net->slirp_pid = net->slirp_pidfd = -1;
	net->exit_fd = -1;
	net->dns_udp = net->dns_tcp = net->rtnl = net->bind_listener = -1;
	net->nlisteners = 0;
	net->warning[0] = '\0';
}

int ccsb__net_start(const struct ccsb_net_plan *plan, pid_t child, struct ccsb_net *net,
		    ccsb_error **err)
{
	struct slirp_fds f = { -1, -1, -1, -1, -1, -1 };
	int ready_r = -1, exit_w = -1, pidfd = -1, r;
	const char *name = plan->slirp && *plan->slirp ? plan->slirp : "slirp4netns";
	char prog[PATH_MAX];
	struct slirp_argv a;
	pid_t pid = -1;

	net_reset(net);
	/* The plan was validated when it was made (plan.c). */
	if (plan->mode == CCSB_NET_NONE)
		return plan->nhost_ports ? start_loopback_only(plan, child, net, err) : 0;
	r = ccsb__find_program(name, plan->search_path, prog, sizeof(prog));
	if (r < 0) {
		if (!strchr(name, '/'))
			return ccsb__err(err, ENOENT,
					 "%s not found: install it (apt-get install slirp4netns) "
					 "or use --net=none",
					 name);
		return ccsb__errno(err, -r, "%s", name);
	}
	if ((r = check_tun(err)) < 0)
		return r;
	if ((r = open_namespaces(child, &f.netns, &f.userns, err)) < 0 ||
	    (r = slirp_pipes(&f, &ready_r, &exit_w, err)) < 0)
		goto fail;
	slirp_argv(plan, name, &f, &a);
	r = slirp_spawn(prog, a.v, &f, &pid, &pidfd);
	if (r < 0) {
		r = ccsb__errno(err, -r, "cannot execute %s", name);
		goto fail;
	}
	ccsb__close_fd(&f.ready_w);
	ccsb__close_fd(&f.exit_r);
	ccsb__close_fd(&f.devnull);
	if ((r = slirp_wait_ready(name, &pid, &pidfd, ready_r, f.log, err)) < 0)
		goto fail;
	/* From now on its messages have no reader: writes past what it has
	 * written so far fail instead of piling up in memory. */
	if (f.log >= 0)
		fcntl(f.log, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SEAL);
	ccsb__close_fd(&f.log);
	ccsb__close_fd(&ready_r);
	if ((r = run_helper(plan, f.netns, f.userns, net, err)) < 0)
		goto fail;
	ccsb__close_fd(&f.netns);
	ccsb__close_fd(&f.userns);
	net->slirp_pid = pid;
	net->slirp_pidfd = pidfd;
	net->exit_fd = exit_w;
	return 0;

fail:
	ccsb__close_fd(&exit_w);
	kill_and_reap(pid, &pidfd);
	ccsb__close_fd(&ready_r);
	ccsb__close_fd(&f.netns);
	ccsb__close_fd(&f.userns);
	ccsb__close_fd(&f.ready_w);
	ccsb__close_fd(&f.exit_r);
	ccsb__close_fd(&f.devnull);
	ccsb__close_fd(&f.log);
	return r;
}

void ccsb__net_stop(struct ccsb_net *net)
{
	if (!net)
		return;
	ccsb__close_fd(&net->exit_fd);
	ccsb__close_fd(&net->dns_udp);
	ccsb__close_fd(&net->dns_tcp);
	ccsb__close_fd(&net->rtnl);
	ccsb__close_fd(&net->bind_listener);
	for (size_t i = 0; i < net->nlisteners; i++)
		ccsb__close_fd(&net->listeners[i].fd);
	net->nlisteners = 0;
}
