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

#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "dl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define TAP_NAME "tap0"
#define TAP_MTU 65520
#define START_TIMEOUT_MS 5000

/* slirp4netns's fixed addresses (default --cidr, IPv6 prefix fd00::/64). */
static const uint8_t GUEST4[4] = {10, 0, 2, 100};
static const uint8_t GW4[4] = {10, 0, 2, 2};
static const uint8_t NET4[4] = {10, 0, 2, 0};
static const uint8_t GUEST6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x64};
static const uint8_t GW6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t NET6[16] = {0xfd};

/* Sequence numbers the helper gives its netlink requests, so that an error
 * names the request that failed; route i (index into the plan) is
 * SEQ_ROUTE + i. */
enum { SEQ_TAP = 1, SEQ_ADDR4, SEQ_ADDR6, SEQ_DEFAULT4, SEQ_DEFAULT6,
       SEQ_BARRIER, SEQ_ROUTE = 16 };

struct report {
	int code; /* positive errno; 0: success */
	char msg[240];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

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

static int wait_child(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, 0);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static void kill_and_reap(pid_t pid)
{
	int status;

	if (pid > 0) {
		kill(pid, SIGKILL);
		wait_child(pid, &status);
	}
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

static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_INTR: return EINTR;
	case NLE_BAD_SOCK: return EBADF;
	case NLE_AGAIN: return EAGAIN;
	case NLE_NOMEM: return ENOMEM;
	case NLE_EXIST: return EEXIST;
	case NLE_INVAL: return EINVAL;
	case NLE_RANGE: return ERANGE;
	case NLE_MSGSIZE: return EMSGSIZE;
	case NLE_OPNOTSUPP: return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND: return ENOENT;
	case NLE_NOADDR: return EADDRNOTAVAIL;
	case NLE_BUSY: return EBUSY;
	case NLE_PROTO_MISMATCH: return EPROTONOSUPPORT;
	case NLE_NOACCESS: return EACCES;
	case NLE_PERM: return EPERM;
	case NLE_NODEV: return ENODEV;
	default: return EIO;
	}
}

/* ---- slirp4netns ----------------------------------------------------- */

/* Full path of `name` (a path, or looked up on PATH) into buf. */
static int find_program(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	struct stat st;

	if (strchr(name, '/')) {
		if (snprintf(buf, len, "%s", name) >= (int)len)
			return -ENAMETOOLONG;
		return access(buf, X_OK) == 0 ? 0 : -errno;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path, *end;; p = end + 1) {
		int dlen;

		end = strchrnul(p, ':');
		dlen = (int)(end - p);
		/* An empty entry means the current directory. */
		if (snprintf(buf, len, "%.*s/%s", dlen ? dlen : 1, dlen ? p : ".", name) <
			    (int)len &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return 0;
		if (!*end)
			break;
	}
	return -ENOENT;
}

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
	int log;       /* its stderr: a memfd, or -1 to keep ours */
	int errpipe_w; /* exec failure: the child writes its errno here */
};

static void __attribute__((noreturn))
slirp_child(const char *path, char *const argv[], const struct slirp_fds *f, pid_t parent)
{
	const int keep[] = {f->netns, f->userns, f->ready_w, f->exit_r};
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	int e;

	/* Own process group: a terminal Ctrl-C must not stop the network before
	 * the sandbox. Dies with ccsb even when ccsb is SIGKILLed (strictly:
	 * with the thread that forked it, so run from the supervising thread). */
	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	/* Ignored signals and the blocked mask survive exec: start clean. */
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (dup2(f->devnull, 0) < 0 || dup2(f->devnull, 1) < 0 ||
	    (f->log >= 0 && dup2(f->log, 2) < 0))
		goto fail;
#ifdef SYS_close_range
	/* Nothing of the caller's leaks into slirp4netns, whatever its flags. */
	syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
#endif
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (keep[i] >= 0 && fcntl(keep[i], F_SETFD, 0) < 0)
			goto fail;
	execv(path, argv);
fail:
	e = errno;
	if (write(f->errpipe_w, &e, sizeof(e)) < 0) {
		/* nothing left to report to */
	}
	_exit(127);
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
static int slirp_wait_ready(const char *prog, pid_t *pid, int ready_r, int errpipe_r,
			    int log, ccsb_error **err)
{
	int64_t deadline = now_ms() + START_TIMEOUT_MS;
	struct pollfd pfd[2] = {{.fd = ready_r, .events = POLLIN},
				{.fd = errpipe_r, .events = POLLIN}};
	char what[96], said[512];
	int status, r;

	for (;;) {
		int64_t left = deadline - now_ms();
		char c;
		ssize_t n;

		if (left <= 0) {
			read_log(log, said, sizeof(said));
			return ccsb__err(err, ETIMEDOUT, "%s did not become ready within %d ms%s%s",
					 prog, START_TIMEOUT_MS, *said ? ": " : "", said);
		}
		r = poll(pfd, 2, (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return ccsb__errno(err, errno, "poll on %s's ready fd", prog);
		}
		if (pfd[1].revents) {
			int e;

			n = read(errpipe_r, &e, sizeof(e));
			if (n == (ssize_t)sizeof(e))
				return ccsb__errno(err, e, "cannot execute %s", prog);
			if (n < 0 && errno == EINTR)
				continue;
			pfd[1].fd = -1; /* EOF: exec succeeded */
		}
		if (pfd[0].revents) {
			n = read(ready_r, &c, 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 1 && c == '1')
				return 0;
			break; /* EOF or garbage: slirp4netns is going away */
		}
	}
	/* It closed its ready fd without writing: it is exiting. */
	if ((r = wait_child(*pid, &status)) < 0)
		return ccsb__errno(err, -r, "waiting for %s", prog);
	*pid = -1;
	describe_status(status, what, sizeof(what));
	read_log(log, said, sizeof(said));
	if (*said)
		return ccsb__err(err, EIO, "%s %s: %s", prog, what, said);
	return ccsb__err(err, EIO, "%s %s (is /dev/net/tun usable?)", prog, what);
}

/* ---- the helper inside the sandbox's netns --------------------------- */

struct nlctx {
	struct nl_sock *sk;
	const struct ccsb_net_plan *plan;
	int tap;
	bool done;
	int error;     /* positive errno of the first failed request */
	uint32_t seq;  /* its sequence number */
};

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlctx *c = arg;

	if (!c->error) {
		c->error = e->error < 0 ? -e->error : EIO;
		c->seq = e->msg.nlmsg_seq;
	}
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct nlctx *c = arg;

	if (nlmsg_hdr(msg)->nlmsg_seq == SEQ_BARRIER) {
		c->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

static int send_msg(struct nlctx *c, struct nl_msg *msg, uint32_t seq)
{
	int r;

	nlmsg_hdr(msg)->nlmsg_seq = seq;
	r = nl_send_auto(c->sk, msg);
	nlmsg_free(msg);
	return r < 0 ? r : 0;
}

static void describe_seq(const struct nlctx *c, uint32_t seq, char *buf, size_t len)
{
	char pfx[64];
	size_t i = seq - SEQ_ROUTE;

	switch (seq) {
	case SEQ_TAP: snprintf(buf, len, "setting " TAP_NAME " MTU %d and up", TAP_MTU); return;
	case SEQ_ADDR4: snprintf(buf, len, "adding 10.0.2.100/24 to " TAP_NAME); return;
	case SEQ_ADDR6: snprintf(buf, len, "adding fd00::64/64 to " TAP_NAME); return;
	case SEQ_DEFAULT4: snprintf(buf, len, "adding the default route via 10.0.2.2"); return;
	case SEQ_DEFAULT6: snprintf(buf, len, "adding the default route via fd00::2"); return;
	case SEQ_BARRIER: snprintf(buf, len, "netlink barrier"); return;
	}
	if (seq >= SEQ_ROUTE && c->plan->prefixes && i < c->plan->prefixes->n) {
		ccsb__prefix_format(&c->plan->prefixes->v[i], pfx, sizeof(pfx));
		snprintf(buf, len, "adding the route to %s via %s", pfx,
			 c->plan->prefixes->v[i].family == AF_INET ? "10.0.2.2" : "fd00::2");
		return;
	}
	snprintf(buf, len, "netlink request %u", (unsigned)seq);
}

static int queue_link_up(struct nlctx *c, int ifindex, unsigned mtu, uint32_t seq)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *chg = rtnl_link_alloc();
	struct nl_msg *msg = NULL;
	int r = -NLE_NOMEM;

	if (orig && chg) {
		rtnl_link_set_ifindex(orig, ifindex);
		rtnl_link_set_flags(chg, IFF_UP);
		rtnl_link_set_mtu(chg, mtu);
		r = rtnl_link_build_change_request(orig, chg, 0, &msg);
	}
	rtnl_link_put(orig);
	rtnl_link_put(chg);
	return r < 0 ? r : send_msg(c, msg, seq);
}

static int queue_addr(struct nlctx *c, int family, const uint8_t *a, int plen, uint32_t seq)
{
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(family, a, family == AF_INET ? 4 : 16);
	struct nl_msg *msg = NULL;
	int r = -NLE_NOMEM;

	if (addr && local) {
		nl_addr_set_prefixlen(local, plen);
		rtnl_addr_set_ifindex(addr, c->tap);
		/* No duplicate address detection: the address is usable at once. */
		if (family == AF_INET6)
			rtnl_addr_set_flags(addr, IFA_F_NODAD);
		r = rtnl_addr_set_local(addr, local);
		if (r >= 0)
			r = rtnl_addr_build_add_request(addr, NLM_F_CREATE | NLM_F_EXCL, &msg);
	}
	nl_addr_put(local);
	rtnl_addr_put(addr);
	return r < 0 ? r : send_msg(c, msg, seq);
}

/* A route object for one family: via slirp's gateway, dev tap0; the
 * destination is set per prefix. */
static struct rtnl_route *route_template(int family, int tap)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *gw = family == AF_INET ? nl_addr_build(AF_INET, GW4, 4)
					       : nl_addr_build(AF_INET6, GW6, 16);

	if (!rt || !nh || !gw || rtnl_route_set_family(rt, (uint8_t)family) < 0) {
		rtnl_route_put(rt);
		if (nh)
			rtnl_route_nh_free(nh);
		nl_addr_put(gw);
		return NULL;
	}
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
	rtnl_route_nh_set_ifindex(nh, tap);
	rtnl_route_nh_set_gateway(nh, gw);
	nl_addr_put(gw);
	rtnl_route_add_nexthop(rt, nh); /* takes nh */
	return rt;
}

static int queue_route(struct nlctx *c, struct rtnl_route *rt, int family,
		       const uint8_t *a, int plen, uint32_t seq)
{
	struct nl_addr *dst = nl_addr_build(family, a, family == AF_INET ? 4 : 16);
	struct nl_msg *msg = NULL;
	int r;

	if (!dst)
		return -NLE_NOMEM;
	nl_addr_set_prefixlen(dst, plen);
	r = rtnl_route_set_dst(rt, dst);
	nl_addr_put(dst);
	if (r >= 0)
		r = rtnl_route_build_add_request(rt, NLM_F_CREATE | NLM_F_EXCL, &msg);
	return r < 0 ? r : send_msg(c, msg, seq);
}

/* Inside slirp's own network (10.0.2.0/24, fd00::/64): reachable on-link
 * already, and a route there would collide with the connected one. */
static bool inside_slirp_net(const struct ccsb_prefix *p)
{
	const uint8_t *net = p->family == AF_INET ? NET4 : NET6;
	unsigned nlen = p->family == AF_INET ? 24 : 64;

	if (p->len < nlen)
		return false;
	for (unsigned b = 0; b < nlen; b++)
		if (((p->addr[b / 8] ^ net[b / 8]) >> (7 - b % 8)) & 1)
			return false;
	return true;
}

static int write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Everything is sent without waiting for answers (auto-ack off), then one
 * ACKed barrier: the kernel handles a netlink socket's requests in order, so
 * when the barrier's ACK arrives every earlier request has succeeded or its
 * error has been queued before it. */
static int configure(const struct ccsb_net_plan *plan, struct report *rep)
{
	struct nlctx c = {.plan = plan};
	struct rtnl_route *rt4 = NULL, *rt6 = NULL;
	struct nl_cb *cb = NULL;
	const struct ccsb_allowlist *al = plan->prefixes;
	int one = 1, r;
	char what[128];

	/* lo is left alone: bwrap's child configures it concurrently (it may
	 * not have reached its --block-fd yet), and fails if lo is already up
	 * with 127.0.0.1. */
	c.tap = (int)if_nametoindex(TAP_NAME);
	if (!c.tap) {
		rep->code = ENODEV;
		snprintf(rep->msg, sizeof(rep->msg),
			 TAP_NAME " not found in the sandbox's network namespace");
		return -1;
	}
	if (plan->ipv6) {
		/* slirp4netns sends router advertisements: accepting them would
		 * install a default route around the allowlist. */
		r = write_sysctl("/proc/sys/net/ipv6/conf/" TAP_NAME "/accept_ra", "0");
		if (r < 0) {
			rep->code = -r;
			snprintf(rep->msg, sizeof(rep->msg),
				 "disabling router advertisements on " TAP_NAME ": %s",
				 strerror(-r));
			return -1;
		}
	}

	if (!(c.sk = nl_socket_alloc()) || !(cb = nl_cb_clone(nl_socket_get_cb(c.sk)))) {
		r = -NLE_NOMEM;
		snprintf(what, sizeof(what), "netlink socket");
		goto nlfail;
	}
	if ((r = nl_connect(c.sk, NETLINK_ROUTE)) < 0) {
		snprintf(what, sizeof(what), "netlink socket");
		goto nlfail;
	}
	nl_socket_disable_auto_ack(c.sk);
	nl_socket_disable_seq_check(c.sk);
	/* Errors carry only the failed request's header, not its body. */
	setsockopt(nl_socket_get_fd(c.sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &c);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &c);

	snprintf(what, sizeof(what), "building netlink requests");
	if ((r = queue_link_up(&c, c.tap, TAP_MTU, SEQ_TAP)) < 0 ||
	    (r = queue_addr(&c, AF_INET, GUEST4, 24, SEQ_ADDR4)) < 0 ||
	    (plan->ipv6 && (r = queue_addr(&c, AF_INET6, GUEST6, 64, SEQ_ADDR6)) < 0))
		goto nlfail;
	if (!(rt4 = route_template(AF_INET, c.tap)) ||
	    (plan->ipv6 && !(rt6 = route_template(AF_INET6, c.tap)))) {
		r = -NLE_NOMEM;
		goto nlfail;
	}
	if (plan->mode == CCSB_NET_FULL) {
		static const uint8_t any[16];

		if ((r = queue_route(&c, rt4, AF_INET, any, 0, SEQ_DEFAULT4)) < 0 ||
		    (plan->ipv6 && (r = queue_route(&c, rt6, AF_INET6, any, 0, SEQ_DEFAULT6)) < 0))
			goto nlfail;
	} else if (plan->mode == CCSB_NET_ALLOWLIST && al) {
		for (size_t i = 0; i < al->n; i++) {
			const struct ccsb_prefix *p = &al->v[i];

			if ((p->family == AF_INET6 && !plan->ipv6) || inside_slirp_net(p))
				continue;
			if ((r = queue_route(&c, p->family == AF_INET ? rt4 : rt6, p->family,
					     p->addr, p->len, SEQ_ROUTE + (uint32_t)i)) < 0) {
				describe_seq(&c, SEQ_ROUTE + (uint32_t)i, what, sizeof(what));
				goto nlfail;
			}
		}
	}
	{
		struct nl_msg *barrier = nlmsg_alloc_simple(NLMSG_NOOP, NLM_F_ACK);

		if (!barrier) {
			r = -NLE_NOMEM;
			goto nlfail;
		}
		if ((r = send_msg(&c, barrier, SEQ_BARRIER)) < 0)
			goto nlfail;
	}
	snprintf(what, sizeof(what), "reading netlink answers");
	while (!c.done && !c.error) {
		r = nl_recvmsgs(c.sk, cb);
		if (r < 0 && !c.error)
			goto nlfail;
	}
	if (c.error) {
		describe_seq(&c, c.seq, what, sizeof(what));
		rep->code = c.error;
		snprintf(rep->msg, sizeof(rep->msg), "%s: %s", what, strerror(c.error));
		r = -1;
		goto out;
	}
	r = 0;
	goto out;
nlfail:
	rep->code = nl_to_errno(r);
	snprintf(rep->msg, sizeof(rep->msg), "%s: %s", what, nl_geterror(r));
	r = -1;
out:
	rtnl_route_put(rt4);
	rtnl_route_put(rt6);
	nl_cb_put(cb);
	nl_socket_free(c.sk);
	return r;
}

/* The DNS listeners on 127.0.0.1:53 and the rtnetlink socket, opened in
 * the sandbox's network namespace (the helper's). IP_FREEBIND: bwrap's child
 * may not have given lo its address yet, and must be the one to do it (it
 * fails when 127.0.0.1 is already there); the sockets receive once it has. */
static int open_dns_sockets(int fds[3], struct report *rep)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(53),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1;
	const char *what = "DNS socket";

	fds[0] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	fds[2] = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0)
		goto fail;
	what = "binding the DNS listener to 127.0.0.1:53";
	for (int i = 0; i < 2; i++) {
		if (setsockopt(fds[i], IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
		    (i == 1 && setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
		    bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) < 0)
			goto fail;
	}
	what = "listen on 127.0.0.1:53";
	if (listen(fds[1], 16) < 0)
		goto fail;
	return 0;
fail:
	rep->code = errno;
	snprintf(rep->msg, sizeof(rep->msg), "%s: %s", what, strerror(errno));
	for (int i = 0; i < 3; i++)
		close_fd(&fds[i]);
	return -1;
}

static void __attribute__((noreturn))
helper_child(const struct ccsb_net_plan *plan, int netns, int userns, int out)
{
	struct report rep = {0};
	int fds[3] = {-1, -1, -1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(fds))];
	} cm;
	struct iovec iov = {.iov_base = &rep, .iov_len = sizeof(rep)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (userns >= 0 && setns(userns, CLONE_NEWUSER) < 0) {
		rep.code = errno;
		snprintf(rep.msg, sizeof(rep.msg),
			 "joining the sandbox's user namespace: %s", strerror(errno));
	} else if (setns(netns, CLONE_NEWNET) < 0) {
		rep.code = errno;
		snprintf(rep.msg, sizeof(rep.msg),
			 "joining the sandbox's network namespace: %s", strerror(errno));
	} else if (configure(plan, &rep) == 0 && plan->dns) {
		open_dns_sockets(fds, &rep);
	}
	if (!rep.code && fds[0] >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(&cm.h), fds, sizeof(fds));
	}
	if (sendmsg(out, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(rep))
		_exit(2);
	_exit(rep.code ? 1 : 0);
}

/* fds[3] receives the helper's sockets when plan->dns (else stays -1). */
static int run_helper(const struct ccsb_net_plan *plan, int netns, int userns,
		      int exit_fd, int fds[3], ccsb_error **err)
{
	struct report rep = {0};
	int p[2], status, r;
	int64_t deadline;
	pid_t pid;
	ssize_t n = 0;
	size_t got = 0;

	/* A datagram socket: the report and the descriptors arrive whole. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0)
		return ccsb__errno(err, errno, "socketpair");
	pid = fork();
	if (pid < 0) {
		r = ccsb__errno(err, errno, "fork");
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		/* slirp4netns exits when the last copy of the exit fd closes. */
		close(exit_fd);
		close(p[0]);
		helper_child(plan, netns, userns, p[1]);
	}
	close(p[1]);
	deadline = now_ms() + START_TIMEOUT_MS;
	for (;;) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		int64_t left = deadline - now_ms();
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(3 * sizeof(int))];
		} cm;
		struct iovec iov = {.iov_base = &rep, .iov_len = sizeof(rep)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf)};

		if (left <= 0 || (r = poll(&pfd, 1, (int)left)) == 0) {
			close(p[0]);
			kill_and_reap(pid);
			return ccsb__err(err, ETIMEDOUT,
					 "network setup helper did not finish within %d ms",
					 START_TIMEOUT_MS);
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = ccsb__errno(err, errno, "poll on the network setup helper");
			close(p[0]);
			kill_and_reap(pid);
			return r;
		}
		n = recvmsg(p[0], &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0)
			got = (size_t)n;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				int tmp[3];

				memcpy(tmp, CMSG_DATA(c), (k > 3 ? 3 : k) * sizeof(int));
				for (size_t i = 0; i < k && i < 3; i++)
					fds[i] = tmp[i];
			}
		}
		break;
	}
	close(p[0]);
	if ((r = wait_child(pid, &status)) < 0) {
		r = ccsb__errno(err, -r, "waiting for the network setup helper");
		goto fail;
	}
	if (got < sizeof(rep)) {
		char what[96];

		describe_status(status, what, sizeof(what));
		r = ccsb__err(err, EIO, "network setup helper %s", what);
		goto fail;
	}
	rep.msg[sizeof(rep.msg) - 1] = '\0';
	if (rep.code) {
		r = ccsb__err(err, rep.code, "network setup: %s", rep.msg);
		goto fail;
	}
	if (plan->dns && (fds[0] < 0 || fds[1] < 0 || fds[2] < 0)) {
		r = ccsb__err(err, EIO, "network setup helper did not pass the DNS sockets");
		goto fail;
	}
	return 0;
fail:
	for (int i = 0; i < 3; i++)
		close_fd(&fds[i]);
	return r;
}

/* ---- entry points ---------------------------------------------------- */

static bool same_ns(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int check_plan(const struct ccsb_net_plan *plan, ccsb_error **err)
{
	const struct ccsb_allowlist *al = plan->prefixes;
	char buf[64];

	if (plan->mode != CCSB_NET_FULL && plan->mode != CCSB_NET_ALLOWLIST)
		return ccsb__err(err, EINVAL, "unknown network mode %d", (int)plan->mode);
	if (plan->mode != CCSB_NET_ALLOWLIST || !al)
		return 0;
	for (size_t i = 0; i < al->n; i++) {
		const struct ccsb_prefix *p = &al->v[i];

		if (p->family != AF_INET && p->family != AF_INET6)
			return ccsb__err(err, EINVAL, "allowlist entry %zu: bad address family", i);
		if (p->len > (p->family == AF_INET ? 32 : 128))
			return ccsb__err(err, EINVAL, "allowlist entry %zu: bad prefix length", i);
		/* That would be a default route, which the allowlist mode never has. */
		if (p->len == 0 && (p->family == AF_INET || plan->ipv6)) {
			ccsb__prefix_format(p, buf, sizeof(buf));
			return ccsb__err(err, EINVAL,
					 "allowlist contains %s, which allows every address: "
					 "use the full network mode instead", buf);
		}
	}
	return 0;
}

int ccsb__net_start(const struct ccsb_net_plan *plan, pid_t child, struct ccsb_net *net,
		    ccsb_error **err)
{
	struct slirp_fds f = {-1, -1, -1, -1, -1, -1, -1};
	int ready_r = -1, exit_w = -1, errpipe_r = -1;
	int p[2], r;
	const char *name = plan->slirp && *plan->slirp ? plan->slirp : "slirp4netns";
	char prog[PATH_MAX], nspath[32], userns_opt[48], ready_opt[24], exit_opt[24];
	char *argv[16];
	int argc = 0;
	pid_t pid = -1, self = getpid();

	net->slirp_pid = -1;
	net->exit_fd = -1;
	net->dns_udp = net->dns_tcp = net->rtnl = -1;
	if (plan->mode == CCSB_NET_NONE)
		return 0;
	if ((r = check_plan(plan, err)) < 0)
		return r;

	r = find_program(name, prog, sizeof(prog));
	if (r < 0) {
		if (!strchr(name, '/'))
			return ccsb__err(err, ENOENT,
					 "%s not found: install it (apt-get install slirp4netns) "
					 "or use --net=none", name);
		return ccsb__errno(err, -r, "%s", name);
	}
	if ((r = check_tun(err)) < 0)
		return r;

	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)child);
	f.netns = fd_above_stdio(open(nspath, O_RDONLY | O_CLOEXEC));
	if (f.netns < 0) {
		r = ccsb__errno(err, errno, "%s", nspath);
		goto fail;
	}
	/* The owner of the netns, not /proc/PID/ns/user: bwrap may have moved
	 * its child into a nested user namespace that does not own it. */
	f.userns = fd_above_stdio(ioctl(f.netns, NS_GET_USERNS));
	if (f.userns < 0) {
		r = ccsb__errno(err, errno, "user namespace owning %s", nspath);
		goto fail;
	}
	if (same_ns(f.userns, "/proc/self/ns/user"))
		close_fd(&f.userns);

	if ((r = pipe_above_stdio(p)) < 0) {
		r = ccsb__errno(err, -r, "pipe");
		goto fail;
	}
	ready_r = p[0];
	f.ready_w = p[1];
	if ((r = pipe_above_stdio(p)) < 0) {
		r = ccsb__errno(err, -r, "pipe");
		goto fail;
	}
	f.exit_r = p[0];
	exit_w = p[1];
	if ((r = pipe_above_stdio(p)) < 0) {
		r = ccsb__errno(err, -r, "pipe");
		goto fail;
	}
	errpipe_r = p[0];
	f.errpipe_w = p[1];
	f.devnull = fd_above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC));
	if (f.devnull < 0) {
		r = ccsb__errno(err, errno, "/dev/null");
		goto fail;
	}
	/* slirp4netns's stderr is chatty ("sent tapfd=..."), and a line on the
	 * terminal would land in the middle of the command's output: keep it for
	 * error messages instead. Without memfd, it shares ours. */
	f.log = fd_above_stdio(
		memfd_create("slirp4netns-stderr", MFD_CLOEXEC | MFD_ALLOW_SEALING));

	snprintf(nspath, sizeof(nspath), "/proc/self/fd/%d", f.netns);
	snprintf(ready_opt, sizeof(ready_opt), "--ready-fd=%d", f.ready_w);
	snprintf(exit_opt, sizeof(exit_opt), "--exit-fd=%d", f.exit_r);
	argv[argc++] = (char *)name;
	argv[argc++] = (char *)"--netns-type=path";
	if (f.userns >= 0) {
		snprintf(userns_opt, sizeof(userns_opt), "--userns-path=/proc/self/fd/%d",
			 f.userns);
		argv[argc++] = userns_opt;
	}
	/* No --configure: tap0 gets no default route from slirp4netns, so a
	 * sandbox whose launcher died before setup has no way out. */
	argv[argc++] = (char *)"--disable-host-loopback";
	argv[argc++] = (char *)"--enable-seccomp";
	argv[argc++] = (char *)"--mtu=65520";
	if (plan->ipv6)
		argv[argc++] = (char *)"--enable-ipv6";
	/* Its forwarder at 10.0.2.3 resolves any name (pitfall 4). */
	if (plan->dns)
		argv[argc++] = (char *)"--disable-dns";
	argv[argc++] = ready_opt;
	argv[argc++] = exit_opt;
	argv[argc++] = nspath;
	argv[argc++] = (char *)TAP_NAME;
	argv[argc] = NULL;

	pid = fork();
	if (pid < 0) {
		r = ccsb__errno(err, errno, "fork");
		goto fail;
	}
	if (pid == 0)
		slirp_child(prog, argv, &f, self);
	setpgid(pid, pid); /* also here, so no signal lands before the child's own */
	close_fd(&f.ready_w);
	close_fd(&f.exit_r);
	close_fd(&f.errpipe_w);
	close_fd(&f.devnull);
	/* The helper needs libnl: loaded while slirp4netns starts. */
	if ((r = ccsb__nl_load(err)) < 0)
		goto fail;

	r = slirp_wait_ready(name, &pid, ready_r, errpipe_r, f.log, err);
	if (r < 0)
		goto fail;
	/* From now on its messages have no reader: writes past what it has
	 * written so far fail instead of piling up in memory. */
	if (f.log >= 0)
		fcntl(f.log, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SEAL);
	close_fd(&f.log);
	close_fd(&ready_r);
	close_fd(&errpipe_r);

	{
		int dfds[3] = {-1, -1, -1};

		r = run_helper(plan, f.netns, f.userns, exit_w, dfds, err);
		if (r < 0)
			goto fail;
		net->dns_udp = dfds[0];
		net->dns_tcp = dfds[1];
		net->rtnl = dfds[2];
	}
	close_fd(&f.netns);
	close_fd(&f.userns);
	net->slirp_pid = pid;
	net->exit_fd = exit_w;
	return 0;

fail:
	close_fd(&exit_w);
	kill_and_reap(pid);
	close_fd(&ready_r);
	close_fd(&errpipe_r);
	close_fd(&f.netns);
	close_fd(&f.userns);
	close_fd(&f.ready_w);
	close_fd(&f.exit_r);
	close_fd(&f.errpipe_w);
	close_fd(&f.devnull);
	close_fd(&f.log);
	return r;
}

void ccsb__net_stop(struct ccsb_net *net)
{
	if (!net)
		return;
	close_fd(&net->exit_fd);
	close_fd(&net->dns_udp);
	close_fd(&net->dns_tcp);
	close_fd(&net->rtnl);
}
