/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ccsb-net: configures a sandbox's network from inside it, for libccsandbox
 * (net.c); the protocol is libccsandbox/netproto.h. It joins the user
 * namespace that owns the sandbox's network namespace and that network
 * namespace, brings up tap0 (slirp4netns's end), adds its address and only
 * the routes the request allows (rtnetlink, batched, one ACKed barrier), and
 * opens the sockets the library serves from outside: in allowlist mode the
 * DNS listeners and an rtnetlink socket for ccsb's resolver, and a listener
 * on the sandbox's loopback for each --host-port.
 *
 * A program of its own rather than a forked child of the caller: the code
 * that enters the namespaces starts from a fresh process image, whatever
 * threads or state the embedding program has.
 */
#include "fdpass.h"
#include "netproto.h"
#include "rtnl.h"
#include "slirp.h"
#include "ccsb-net-nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static const uint8_t GUEST4[4] = CCSB_SLIRP_GUEST4;
static const uint8_t GW4[4] = CCSB_SLIRP_GW4;
static const uint8_t NET4[4] = CCSB_SLIRP_NET4;
static const uint8_t GUEST6[16] = CCSB_SLIRP_GUEST6;
static const uint8_t GW6[16] = CCSB_SLIRP_GW6;
static const uint8_t NET6[16] = CCSB_SLIRP_NET6;

/* Sequence numbers of the netlink requests, so that an error names the
 * request that failed; route i (index into the request) is SEQ_ROUTE + i. */
enum {
	SEQ_TAP = 1,
	SEQ_ADDR4,
	SEQ_ADDR6,
	SEQ_DEFAULT4,
	SEQ_DEFAULT6,
	SEQ_BARRIER,
	SEQ_ROUTE = 16
};

/* Requests go out in batches of this many bytes: far below the socket's
 * send buffer, one system call per ~400 routes. */
#define BATCH 32768

static int channel = CCSB_NETPROTO_FD_CHANNEL;

static int send_msg(const struct ccsb_netproto_msg *m, const int *fds, size_t nfds)
{
	return ccsb__send_fds(channel, m, sizeof(*m), fds, nfds) == (ssize_t)sizeof(*m) ? 0 : -1;
}

static void progress(int step)
{
	struct ccsb_netproto_msg m;

	ccsb__netproto_msg(&m, CCSB_NETPROTO_PROGRESS, step, NULL);
	send_msg(&m, NULL, 0);
}

/* The one ERROR the run ends with; returns 1, the helper's exit status. */
static int __attribute__((format(printf, 2, 3))) fail(int code, const char *fmt, ...)
{
	struct ccsb_netproto_msg m;
	va_list ap;

	ccsb__netproto_msg(&m, CCSB_NETPROTO_ERROR, code > 0 && code <= 4095 ? code : EIO, NULL);
	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	send_msg(&m, NULL, 0);
	return 1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* ---- tap0, addresses, routes ------------------------------------------ */

struct nlctx {
	int sk, tap;
	char *buf;
	size_t used;
	const struct ccsb_netproto_request *req;
	const struct ccsb_netproto_prefix *prefixes;
};

static void format_prefix(const struct ccsb_netproto_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, p->len);
}

static void describe_seq(const struct nlctx *c, uint32_t seq, char *buf, size_t len)
{
	char pfx[64];
	size_t i = seq - SEQ_ROUTE;

	switch (seq) {
	case SEQ_TAP:
		snprintf(buf, len, "setting " CCSB_SLIRP_TAP " MTU %d and up", CCSB_SLIRP_MTU);
		return;
	case SEQ_ADDR4:
		snprintf(buf, len, "adding " CCSB_SLIRP_GUEST4_TEXT "/%d to " CCSB_SLIRP_TAP,
			 CCSB_SLIRP_NET4_LEN);
		return;
	case SEQ_ADDR6:
		snprintf(buf, len, "adding " CCSB_SLIRP_GUEST6_TEXT "/%d to " CCSB_SLIRP_TAP,
			 CCSB_SLIRP_NET6_LEN);
		return;
	case SEQ_DEFAULT4:
		snprintf(buf, len, "adding the default route via " CCSB_SLIRP_GW4_TEXT);
		return;
	case SEQ_DEFAULT6:
		snprintf(buf, len, "adding the default route via " CCSB_SLIRP_GW6_TEXT);
		return;
	case SEQ_BARRIER:
		snprintf(buf, len, "netlink barrier");
		return;
	}
	if (seq >= SEQ_ROUTE && i < c->req->nprefixes) {
		format_prefix(&c->prefixes[i], pfx, sizeof(pfx));
		snprintf(buf, len, "adding the route to %s via %s", pfx,
			 c->prefixes[i].family == 4 ? CCSB_SLIRP_GW4_TEXT : CCSB_SLIRP_GW6_TEXT);
		return;
	}
	snprintf(buf, len, "netlink request %u", (unsigned)seq);
}

static int flush(struct nlctx *c)
{
	if (c->used && send(c->sk, c->buf, c->used, 0) < 0)
		return -errno;
	c->used = 0;
	return 0;
}

/* Queue a route (or the default route: len 0) via slirp's gateway. */
static int queue_route(struct nlctx *c, int family, const uint8_t *a, unsigned len, uint32_t seq)
{
	const uint8_t *gw = family == AF_INET ? GW4 : GW6;
	int r = ccsb__rtnl_route(c->buf, BATCH, &c->used, false, NLM_F_CREATE | NLM_F_EXCL, seq,
				 family, a, len, gw, c->tap);

	if (r == -ENOSPC && (r = flush(c)) == 0)
		r = ccsb__rtnl_route(c->buf, BATCH, &c->used, false, NLM_F_CREATE | NLM_F_EXCL, seq,
				     family, a, len, gw, c->tap);
	return r;
}

/* Inside slirp's own network (10.0.2.0/24, fd00::/64): reachable on-link
 * already, and a route there would collide with the connected one. */
static bool inside_slirp_net(const struct ccsb_netproto_prefix *p)
{
	const uint8_t *net = p->family == 4 ? NET4 : NET6;
	unsigned nlen = p->family == 4 ? CCSB_SLIRP_NET4_LEN : CCSB_SLIRP_NET6_LEN;

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

/* Read answers until the barrier's ACK: 0, or the first failed request's
 * positive errno with *seq set; a negative errno when reading failed. */
static int read_answers(struct nlctx *c, uint32_t *failed)
{
	union {
		struct nlmsghdr h;
		char b[16384];
	} ans;

	for (;;) {
		ssize_t n = recv(c->sk, &ans, sizeof(ans), 0);
		size_t off = 0;
		uint32_t seq;
		int e, r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		while ((r = ccsb__rtnl_next_ack(&ans, (size_t)n, &off, &seq, &e)) > 0) {
			if (e) {
				*failed = seq;
				return e;
			}
			if (seq == SEQ_BARRIER)
				return 0;
		}
		if (r < 0)
			return r;
	}
}

static int configure(const struct ccsb_netproto_request *req,
		     const struct ccsb_netproto_prefix *prefixes)
{
	static char buf[BATCH] __attribute__((aligned(8)));
	struct nlctx c = { .sk = -1, .buf = buf, .req = req, .prefixes = prefixes };
	bool ipv6 = req->flags & CCSB_NETPROTO_IPV6;
	int one = 1, r, ret;
	uint32_t failed = 0;
	char what[128];

	/* lo is left alone: bwrap's child configures it concurrently (it may
	 * not have reached its --block-fd yet), and fails if lo is already up
	 * with 127.0.0.1. */
	c.tap = (int)if_nametoindex(CCSB_SLIRP_TAP);
	if (!c.tap)
		return fail(ENODEV, CCSB_SLIRP_TAP " not found in the sandbox's network namespace");
	/* slirp4netns sends router advertisements: accepting them would install
	 * a default route around the allowlist. */
	if (ipv6 &&
	    (r = write_sysctl("/proc/sys/net/ipv6/conf/" CCSB_SLIRP_TAP "/accept_ra", "0")) < 0)
		return fail(-r, "disabling router advertisements on " CCSB_SLIRP_TAP ": %s",
			    strerror(-r));
	c.sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (c.sk < 0)
		return fail(errno, "netlink socket: %s", strerror(errno));
	/* Errors carry only the failed request's header, not its body. */
	setsockopt(c.sk, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

	/* Everything is sent without asking for ACKs (errors come anyway),
	 * then one ACKed barrier. */
	ccsb__rtnl_link_up(c.buf, BATCH, &c.used, 0, SEQ_TAP, c.tap, CCSB_SLIRP_MTU);
	ccsb__rtnl_addr(c.buf, BATCH, &c.used, 0, SEQ_ADDR4, c.tap, AF_INET, GUEST4,
			CCSB_SLIRP_NET4_LEN, 0);
	/* No duplicate address detection: the address is usable at once. */
	if (ipv6)
		ccsb__rtnl_addr(c.buf, BATCH, &c.used, 0, SEQ_ADDR6, c.tap, AF_INET6, GUEST6,
				CCSB_SLIRP_NET6_LEN, IFA_F_NODAD);
	snprintf(what, sizeof(what), "sending the netlink requests");
	if (req->mode == CCSB_NETPROTO_MODE_FULL) {
		static const uint8_t any[16];

		if ((r = queue_route(&c, AF_INET, any, 0, SEQ_DEFAULT4)) < 0 ||
		    (ipv6 && (r = queue_route(&c, AF_INET6, any, 0, SEQ_DEFAULT6)) < 0))
			goto sendfail;
	} else {
		for (uint32_t i = 0; i < req->nprefixes; i++) {
			const struct ccsb_netproto_prefix *p = &prefixes[i];

			if ((p->family == 6 && !ipv6) || inside_slirp_net(p))
				continue;
			if ((r = queue_route(&c, p->family == 4 ? AF_INET : AF_INET6, p->addr,
					     p->len, SEQ_ROUTE + i)) < 0)
				goto sendfail;
		}
	}
	if ((r = ccsb__rtnl_barrier(c.buf, BATCH, &c.used, SEQ_BARRIER)) == -ENOSPC &&
	    (r = flush(&c)) == 0)
		r = ccsb__rtnl_barrier(c.buf, BATCH, &c.used, SEQ_BARRIER);
	if (r < 0 || (r = flush(&c)) < 0)
		goto sendfail;
	r = read_answers(&c, &failed);
	if (r > 0) {
		describe_seq(&c, failed, what, sizeof(what));
		ret = fail(r, "%s: %s", what, strerror(r));
	} else if (r < 0) {
		ret = fail(-r, "reading the netlink answers: %s", strerror(-r));
	} else {
		ret = 0;
	}
	close(c.sk);
	return ret;
sendfail:
	close(c.sk);
	return fail(-r, "%s: %s", what, strerror(-r));
}

/* ---- the sockets handed back ------------------------------------------ */

/* The DNS listeners on 127.0.0.1:53 and the rtnetlink socket, opened in the
 * sandbox's network namespace. IP_FREEBIND: bwrap's child may not have given
 * lo its address yet, and must be the one to do it (it fails when 127.0.0.1
 * is already there); the sockets receive once it has. */
static int dns_sockets(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(53),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct ccsb_netproto_msg m;
	int fds[3], one = 1, r = 0;
	const char *what = "DNS socket";

	fds[0] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	fds[2] = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0)
		goto fail;
	what = "binding the DNS listener to 127.0.0.1:53";
	for (int i = 0; i < 2; i++) {
		if (setsockopt(fds[i], IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
		    (i == 1 &&
		     setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
		    bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) < 0)
			goto fail;
	}
	what = "listen on 127.0.0.1:53";
	if (listen(fds[1], 16) < 0)
		goto fail;
	ccsb__netproto_msg(&m, CCSB_NETPROTO_DESCRIPTORS, 0, NULL);
	m.nfds = 3;
	m.fds[0].role = CCSB_NETPROTO_DNS_UDP;
	m.fds[1].role = CCSB_NETPROTO_DNS_TCP;
	m.fds[2].role = CCSB_NETPROTO_RTNL;
	if (send_msg(&m, fds, 3) < 0)
		r = -1;
	goto out;
fail:
	r = fail(errno, "%s: %s", what, strerror(errno));
out:
	for (int i = 0; i < 3; i++)
		close_fd(&fds[i]);
	return r;
}

/* A TCP listener on the sandbox's loopback for a --host-port: the library
 * accepts from it and connects to the host's own loopback. Freebind, as the
 * DNS listeners; ::1 is left out (with a warning) where the namespace has no
 * IPv6. */
static int listener(int family, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(port),
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int one = 1, fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    (family == AF_INET ? bind(fd, (struct sockaddr *)&sin, sizeof(sin))
			       : bind(fd, (struct sockaddr *)&sin6, sizeof(sin6))) < 0 ||
	    listen(fd, 64) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Name-bound connections (ccsb-net-nft.c): the pool's local route, the
 * listener and the redirect, then the listener handed back. */
static int namebind_socket(void)
{
	struct ccsb_netproto_msg m;
	char why[CCSB_NETPROTO_TEXT];
	int fd, r = ccsb_net_bind_names(&fd, why, sizeof(why));

	if (r < 0)
		return fail(-r, "%s", why);
	ccsb__netproto_msg(&m, CCSB_NETPROTO_DESCRIPTORS, 0, NULL);
	m.nfds = 1;
	m.fds[0].role = CCSB_NETPROTO_NAMEBIND;
	r = send_msg(&m, &fd, 1);
	close(fd);
	return r < 0 ? -1 : 0;
}

static int port_sockets(const struct ccsb_netproto_request *req)
{
	struct ccsb_netproto_msg m;
	int fds[CCSB_NETPROTO_MAX_FDS];
	size_t n = 0;
	int r = 0;

	ccsb__netproto_msg(&m, CCSB_NETPROTO_DESCRIPTORS, 0, NULL);
	for (unsigned i = 0; i < req->nports && r == 0; i++) {
		for (int v6 = 0; v6 < 2 && r == 0; v6++) {
			int fd = listener(v6 ? AF_INET6 : AF_INET, req->ports[i]);

			if (fd < 0 && v6) {
				struct ccsb_netproto_msg w;

				ccsb__netproto_msg(&w, CCSB_NETPROTO_WARNING, -fd,
						   "host port %u: no listener on [::1] inside: %s",
						   req->ports[i], strerror(-fd));
				send_msg(&w, NULL, 0);
				continue;
			}
			if (fd < 0) {
				r = fail(-fd, "host port %u: listening on 127.0.0.1:%u inside: %s",
					 req->ports[i], req->ports[i], strerror(-fd));
				break;
			}
			m.fds[n].role = CCSB_NETPROTO_HOSTPORT;
			m.fds[n].family = v6 ? 6 : 4;
			m.fds[n].port = req->ports[i];
			fds[n++] = fd;
			if (n == CCSB_NETPROTO_MAX_FDS) {
				m.nfds = (uint32_t)n;
				r = send_msg(&m, fds, n);
				while (n)
					close(fds[--n]);
				ccsb__netproto_msg(&m, CCSB_NETPROTO_DESCRIPTORS, 0, NULL);
			}
		}
	}
	if (n && r == 0) {
		m.nfds = (uint32_t)n;
		r = send_msg(&m, fds, n);
	}
	while (n)
		close(fds[--n]);
	return r;
}

/* ---- main ------------------------------------------------------------- */

/* The request, read to EOF from its descriptor (a memfd the library wrote)
 * into a malloc'ed buffer. */
static int read_request(int fd, char **out, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	char *buf;

	if (fstat(fd, &st) < 0)
		return -errno;
	cap = st.st_size > 0 ? (size_t)st.st_size : 1;
	if (!(buf = malloc(cap)))
		return -ENOMEM;
	while (n < cap) {
		ssize_t r = pread(fd, buf + n, cap - n, (off_t)n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int run(void)
{
	const struct ccsb_netproto_request *req;
	const struct ccsb_netproto_prefix *prefixes;
	struct ccsb_netproto_msg m;
	const char *why;
	char *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = read_request(CCSB_NETPROTO_FD_REQUEST, &buf, &len)) < 0)
		return fail(-r, "ccsb-net: reading the request: %s", strerror(-r));
	if (ccsb__netproto_request_check(buf, len, &req, &prefixes, &why) < 0) {
		r = fail(EPROTO, "ccsb-net: %s", why);
		goto out;
	}
	progress(CCSB_NETPROTO_STEP_REQUEST);
	if ((req->flags & CCSB_NETPROTO_USERNS) &&
	    setns(CCSB_NETPROTO_FD_USERNS, CLONE_NEWUSER) < 0) {
		r = fail(errno, "joining the sandbox's user namespace: %s", strerror(errno));
		goto out;
	}
	if (setns(CCSB_NETPROTO_FD_NETNS, CLONE_NEWNET) < 0) {
		r = fail(errno, "joining the sandbox's network namespace: %s", strerror(errno));
		goto out;
	}
	progress(CCSB_NETPROTO_STEP_JOINED);
	/* Without a network (--net=none) there is no tap0: listeners only. */
	if (req->mode != CCSB_NETPROTO_MODE_LOOPBACK && (r = configure(req, prefixes)) != 0)
		goto out;
	progress(CCSB_NETPROTO_STEP_CONFIGURED);
	if (((req->flags & CCSB_NETPROTO_DNS) && (r = dns_sockets()) != 0) ||
	    ((req->flags & CCSB_NETPROTO_DNS) && (req->flags & CCSB_NETPROTO_BIND_NAMES) &&
	     (r = namebind_socket()) != 0) ||
	    (r = port_sockets(req)) != 0)
		goto out;
	progress(CCSB_NETPROTO_STEP_SOCKETS);
	ccsb__netproto_msg(&m, CCSB_NETPROTO_DONE, 0, NULL);
	r = send_msg(&m, NULL, 0) < 0 ? 3 : 0;
out:
	free(buf);
	return r;
}

static void usage(void)
{
	fprintf(stderr,
		"ccsb-net: an internal helper of libccsandbox, not for direct use\n"
		"usage: ccsb-net --protocol=%d (descriptors: see netproto.h)\n"
		"       ccsb-net --probe-names (ccsb doctor: can names be bound here?)\n",
		CCSB_NETPROTO_VERSION);
}

static int write_map(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = -1;
	if (fd >= 0) {
		r = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
		close(fd);
	}
	return r;
}

/* ccsb doctor's check of name-bound connections: the same set-up as a run
 * (local route, listener, nf_tables redirect), in a throwaway user and
 * network namespace of the caller's own, so that what the kernel lacks is
 * found before a run needs it. Prints "ok" or the reason; exit 0 or 1. */
static int probe_names(void)
{
	char map[64], why[512];
	unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, r;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
		printf("a user and network namespace: %s\n", strerror(errno));
		return 1;
	}
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (write_map("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		r = -errno;
	else if (write_map("/proc/self/uid_map", map) < 0)
		r = -errno;
	else if (snprintf(map, sizeof(map), "0 %u 1", gid),
		 write_map("/proc/self/gid_map", map) < 0)
		r = -errno;
	else
		r = 0;
	if (r < 0) {
		printf("the namespace's id maps: %s\n", strerror(-r));
		return 1;
	}
	/* bwrap brings lo up in a run; here nobody else does. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)) {
		printf("bringing lo up: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	if (ccsb_net_bind_names(&fd, why, sizeof(why)) < 0) {
		printf("%s\n", why);
		return 1;
	}
	close(fd);
	printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	int type = 0, proto = 0;
	socklen_t tl = sizeof(type);

	if (argc == 2 && strcmp(argv[1], "--probe-names") == 0)
		return probe_names();
	if (argc == 2 && strncmp(argv[1], "--protocol=", 11) == 0)
		proto = atoi(argv[1] + 11);
	/* Not started by the library (no channel): say so and stop. */
	if (!proto || getsockopt(channel, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
	    type != SOCK_SEQPACKET) {
		usage();
		return 2;
	}
	/* Whatever else the caller left open stays out of the namespaces. */
	syscall(SYS_close_range, CCSB_NETPROTO_FD_REQUEST + 1U, ~0U, 0U);
	if (proto != CCSB_NETPROTO_VERSION)
		return fail(EPROTO,
			    "ccsb-net speaks protocol %d, the library %d: reinstall ccsb so "
			    "that both come from the same build",
			    CCSB_NETPROTO_VERSION, proto);
	return run();
}
