/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ccsb-net: configures a sandbox's network from inside it, for libccsandbox
 * (net.c); the protocol is in libccsandbox/nethelper.h. It joins the user
 * namespace that owns the sandbox's network namespace and that network
 * namespace, brings up tap0 (slirp4netns's end), adds its address and only
 * the routes the plan allows (libnl-route-3, batched, one ACKed barrier),
 * and in allowlist mode opens the DNS listeners and an rtnetlink socket for
 * ccsb's resolver, handing them back over the report socket.
 *
 * A program of its own rather than a forked child of the caller: libnl
 * stays out of libccsandbox and of ccsb (which starts faster without it),
 * and the code that enters the namespaces starts from a fresh process
 * image, whatever threads or state the embedding program has.
 */
#include "internal.h"
#include "nethelper.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

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

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void format_prefix(const struct ccsb_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, p->len);
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
		format_prefix(&c->plan->prefixes->v[i], pfx, sizeof(pfx));
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
static int configure(const struct ccsb_net_plan *plan, struct ccsb_net_report *rep)
{
	struct nlctx c = {.plan = plan};
	struct rtnl_route *rt4 = NULL, *rt6 = NULL;
	struct nl_cb *cb = NULL, *sk_cb = NULL;
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

	/* nl_socket_get_cb() takes a reference: put below. */
	if (!(c.sk = nl_socket_alloc()) || !(sk_cb = nl_socket_get_cb(c.sk)) ||
	    !(cb = nl_cb_clone(sk_cb))) {
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
	nl_cb_put(sk_cb);
	nl_socket_free(c.sk);
	return r;
}

/* The DNS listeners on 127.0.0.1:53 and the rtnetlink socket, opened in
 * the sandbox's network namespace (the helper's). IP_FREEBIND: bwrap's child
 * may not have given lo its address yet, and must be the one to do it (it
 * fails when 127.0.0.1 is already there); the sockets receive once it has. */
static int open_dns_sockets(int fds[3], struct ccsb_net_report *rep)
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

/* The prefixes, read to EOF from the descriptor (a memfd the library
 * wrote): whole struct ccsb_prefix records, nothing else. */
static int read_prefixes(int fd, struct ccsb_allowlist *al, struct ccsb_net_report *rep)
{
	struct stat st;
	size_t cap, n = 0;
	char *buf;

	if (fstat(fd, &st) < 0)
		goto fail;
	cap = st.st_size > 0 ? (size_t)st.st_size : 1;
	if (!(buf = malloc(cap))) {
		errno = ENOMEM;
		goto fail;
	}
	while (n < cap) {
		ssize_t r = pread(fd, buf + n, cap - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n % sizeof(struct ccsb_prefix)) {
		free(buf);
		rep->code = EPROTO;
		snprintf(rep->msg, sizeof(rep->msg), "ccsb-net: %zu bytes of prefixes is not a "
			 "whole number of records", n);
		return -1;
	}
	al->v = (struct ccsb_prefix *)(void *)buf;
	al->n = n / sizeof(struct ccsb_prefix);
	for (size_t i = 0; i < al->n; i++) {
		const struct ccsb_prefix *p = &al->v[i];
		if ((p->family != AF_INET || p->len > 32) && (p->family != AF_INET6 || p->len > 128)) {
			rep->code = EPROTO;
			snprintf(rep->msg, sizeof(rep->msg), "ccsb-net: prefix %zu is malformed", i);
			return -1;
		}
	}
	return 0;
fail:
	rep->code = errno;
	snprintf(rep->msg, sizeof(rep->msg), "ccsb-net: reading the prefixes: %s", strerror(errno));
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "ccsb-net: an internal helper of libccsandbox, not for direct use\n"
			"usage: ccsb-net --protocol=%d --mode=full|allowlist [--ipv6] [--dns] "
			"[--userns]\n", CCSB_NET_PROTOCOL);
}

int main(int argc, char **argv)
{
	struct ccsb_net_report rep = {0};
	struct ccsb_allowlist prefixes = {0};
	struct ccsb_net_plan plan = {.mode = CCSB_NET_NONE};
	int fds[3] = {-1, -1, -1};
	int out = CCSB_NET_FD_REPORT, userns = -1, proto = 0;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(fds))];
	} cm;
	struct iovec iov = {.iov_base = &rep, .iov_len = sizeof(rep)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--protocol=", 11) == 0)
			proto = atoi(argv[i] + 11);
		else if (strcmp(argv[i], "--mode=full") == 0)
			plan.mode = CCSB_NET_FULL;
		else if (strcmp(argv[i], "--mode=allowlist") == 0)
			plan.mode = CCSB_NET_ALLOWLIST;
		else if (strcmp(argv[i], "--ipv6") == 0)
			plan.ipv6 = true;
		else if (strcmp(argv[i], "--dns") == 0)
			plan.dns = true;
		else if (strcmp(argv[i], "--userns") == 0)
			userns = CCSB_NET_FD_USERNS;
		else {
			usage();
			return 2;
		}
	}
	/* Not started by the library (no report socket): say so and stop. */
	int type = 0;
	socklen_t tl = sizeof(type);
	if (getsockopt(out, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET ||
	    plan.mode == CCSB_NET_NONE) {
		usage();
		return 2;
	}
	/* Whatever else the caller left open stays out of the namespaces. */
	syscall(SYS_close_range, CCSB_NET_FD_PREFIXES + 1U, ~0U, 0U);
	if (proto != CCSB_NET_PROTOCOL) {
		rep.code = EPROTO;
		snprintf(rep.msg, sizeof(rep.msg), "ccsb-net speaks protocol %d, the library %d: "
			 "reinstall ccsb so that both come from the same build",
			 CCSB_NET_PROTOCOL, proto);
	} else if (plan.mode == CCSB_NET_ALLOWLIST &&
		   read_prefixes(CCSB_NET_FD_PREFIXES, &prefixes, &rep) < 0) {
		/* rep says why */
	} else if (userns >= 0 && setns(userns, CLONE_NEWUSER) < 0) {
		rep.code = errno;
		snprintf(rep.msg, sizeof(rep.msg),
			 "joining the sandbox's user namespace: %s", strerror(errno));
	} else if (setns(CCSB_NET_FD_NETNS, CLONE_NEWNET) < 0) {
		rep.code = errno;
		snprintf(rep.msg, sizeof(rep.msg),
			 "joining the sandbox's network namespace: %s", strerror(errno));
	} else {
		plan.prefixes = &prefixes;
		if (configure(&plan, &rep) == 0 && plan.dns)
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
	free(prefixes.v);
	if (sendmsg(out, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(rep))
		return 3;
	return rep.code ? 1 : 0;
}
