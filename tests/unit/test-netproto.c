/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library <-> ccsb-net protocol (netproto.c) and the rtnetlink messages
 * (rtnl.c): records encode and decode, every malformed form is refused, and
 * the netlink requests carry exactly the fields the kernel reads; the last
 * part sends them to a real kernel in a private network namespace. */
#include "netproto.h"
#include "rtnl.h"
#include "slirp.h"
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* ---- the request ------------------------------------------------------ */

static struct ccsb_netproto_request *request(size_t nprefixes, size_t *len)
{
	struct ccsb_netproto_request *r;

	*len = ccsb__netproto_request_size(nprefixes);
	r = calloc(1, *len);
	r->magic = CCSB_NETPROTO_MAGIC;
	r->version = CCSB_NETPROTO_VERSION;
	r->mode = CCSB_NETPROTO_MODE_ALLOWLIST;
	r->flags = CCSB_NETPROTO_DNS;
	r->nprefixes = (uint32_t)nprefixes;
	return r;
}

static struct ccsb_netproto_prefix *prefixes_of(struct ccsb_netproto_request *r)
{
	return (struct ccsb_netproto_prefix *)(r + 1);
}

static void refused(const struct ccsb_netproto_request *r, size_t len, const char *reason,
		    const char *what)
{
	const struct ccsb_netproto_request *out = NULL;
	const struct ccsb_netproto_prefix *p = NULL;
	const char *why = NULL;
	int e = ccsb__netproto_request_check(r, len, &out, &p, &why);

	ok(e == -EPROTO && why && strstr(why, reason), "request refused: %s (%s)", what,
	   why ? why : "accepted");
}

static void test_request(void)
{
	const struct ccsb_netproto_request *out;
	const struct ccsb_netproto_prefix *p;
	struct ccsb_netproto_request *r;
	const char *why;
	size_t len;

	is_int((int)ccsb__netproto_request_size(0), 148, "request header: 148 bytes");
	is_int((int)ccsb__netproto_request_size(3), 148 + 60, "3 prefixes: 20 bytes each");
	ok(ccsb__netproto_request_size(SIZE_MAX / 2) == 0, "an overflowing count: size 0");

	r = request(2, &len);
	prefixes_of(r)[0] =
		(struct ccsb_netproto_prefix){ .family = 4, .len = 24, .addr = { 198, 51, 100 } };
	prefixes_of(r)[1] = (struct ccsb_netproto_prefix){ .family = 6,
							   .len = 32,
							   .addr = { 0x20, 0x01, 0x0d, 0xb8 } };
	r->nports = 2;
	r->ports[0] = 5432;
	r->ports[1] = 6379;
	ok(ccsb__netproto_request_check(r, len, &out, &p, &why) == 0, "a good request is accepted");
	ok(out == r && p == prefixes_of(r) && p[1].addr[1] == 0x01,
	   "the request and its prefixes point into the buffer");

	refused(r, len - 1, "size", "one byte short");
	refused(r, len + 20, "size", "one record too many");
	refused(r, 10, "shorter than its header", "truncated header");
	r->magic ^= 1;
	refused(r, len, "version", "bad magic");
	r->magic ^= 1;
	r->version++;
	refused(r, len, "version", "other version");
	r->version--;
	r->mode = 4;
	refused(r, len, "mode", "unknown mode");
	r->mode = CCSB_NETPROTO_MODE_FULL;
	refused(r, len, "prefixes in a request for the full", "prefixes with the full network");
	r->mode = CCSB_NETPROTO_MODE_ALLOWLIST;
	r->flags |= 1u << 9;
	refused(r, len, "flags", "unknown flag");
	r->flags = CCSB_NETPROTO_DNS | CCSB_NETPROTO_BIND_NAMES;
	ok(ccsb__netproto_request_check(r, len, &out, &p, &why) == 0, "BIND_NAMES is a known flag");
	r->flags = CCSB_NETPROTO_DNS;
	r->reserved = 1;
	refused(r, len, "flags", "reserved field set");
	r->reserved = 0;
	r->nports = CCSB_NETPROTO_MAX_PORTS + 1;
	refused(r, len, "too many", "65 ports");
	r->nports = 2;
	r->ports[1] = 5432;
	refused(r, len, "repeated", "a repeated port");
	r->ports[1] = 0;
	refused(r, len, "port 0", "port 0");
	r->ports[1] = 6379;
	r->ports[5] = 80;
	refused(r, len, "past the count", "a port past the count");
	r->ports[5] = 0;
	prefixes_of(r)[0].addr[3] = 1;
	refused(r, len, "malformed prefix", "host bits below a /24");
	prefixes_of(r)[0].addr[3] = 0;
	prefixes_of(r)[0].addr[15] = 1;
	refused(r, len, "malformed prefix", "bits past an IPv4 address");
	prefixes_of(r)[0].addr[15] = 0;
	prefixes_of(r)[0].len = 33;
	refused(r, len, "malformed prefix", "an IPv4 /33");
	prefixes_of(r)[0].len = 24;
	prefixes_of(r)[1].family = 10; /* AF_INET6, not the record's 6 */
	refused(r, len, "malformed prefix", "an AF_ family number");
	prefixes_of(r)[1].family = 6;
	prefixes_of(r)[1].reserved[1] = 1;
	refused(r, len, "malformed prefix", "a reserved byte set");
	prefixes_of(r)[1].reserved[1] = 0;
	ok(ccsb__netproto_request_check(r, len, &out, &p, &why) == 0, "repaired: accepted again");
	free(r);

	/* Without a network: listeners only, no prefixes, no IPv6 or DNS. */
	r = request(0, &len);
	r->mode = CCSB_NETPROTO_MODE_LOOPBACK;
	r->flags = CCSB_NETPROTO_USERNS;
	r->nports = 1;
	r->ports[0] = 5432;
	ok(ccsb__netproto_request_check(r, len, &out, &p, &why) == 0,
	   "a loopback-only request (--net=none) is accepted");
	r->flags |= CCSB_NETPROTO_DNS;
	refused(r, len, "without a network", "DNS without a network");
	free(r);
}

/* ---- messages --------------------------------------------------------- */

static int decode(const struct ccsb_netproto_msg *m, size_t n, size_t nfds,
		  struct ccsb_netproto_msg *out, const char **why)
{
	return ccsb__netproto_decode(m, n, nfds, out, why);
}

static void msg_refused(const struct ccsb_netproto_msg *m, size_t nfds, const char *reason,
			const char *what)
{
	struct ccsb_netproto_msg out;
	const char *why = NULL;
	int e = decode(m, sizeof(*m), nfds, &out, &why);

	ok(e == -EPROTO && why && strstr(why, reason), "message refused: %s (%s)", what,
	   why ? why : "accepted");
}

static void test_messages(void)
{
	struct ccsb_netproto_msg m, out;
	const char *why;

	ccsb__netproto_msg(&m, CCSB_NETPROTO_ERROR, EPERM, "adding %s: %s", "10.0.0.0/8",
			   "Operation not permitted");
	ok(decode(&m, sizeof(m), 0, &out, &why) == 0 && out.type == CCSB_NETPROTO_ERROR &&
		   out.code == EPERM,
	   "ERROR round-trips");
	is_str(out.text, "adding 10.0.0.0/8: Operation not permitted", "with its text");
	ccsb__netproto_msg(&m, CCSB_NETPROTO_PROGRESS, CCSB_NETPROTO_STEP_JOINED, NULL);
	ok(decode(&m, sizeof(m), 0, &out, &why) == 0 && out.code == CCSB_NETPROTO_STEP_JOINED,
	   "PROGRESS round-trips");
	is_str(ccsb__netproto_step_name(out.code), "configuring tap0 and the routes",
	       "and names what the helper does next");
	is_str(ccsb__netproto_step_name(0), "reading the request", "before any progress");
	ccsb__netproto_msg(&m, CCSB_NETPROTO_DONE, 0, NULL);
	ok(decode(&m, sizeof(m), 0, &out, &why) == 0, "DONE round-trips");

	ccsb__netproto_msg(&m, CCSB_NETPROTO_DESCRIPTORS, 0, NULL);
	m.nfds = 3;
	m.fds[0].role = CCSB_NETPROTO_DNS_UDP;
	m.fds[1].role = CCSB_NETPROTO_HOSTPORT;
	m.fds[1].family = 4;
	m.fds[1].port = 5432;
	m.fds[2].role = CCSB_NETPROTO_RTNL;
	ok(decode(&m, sizeof(m), 3, &out, &why) == 0 && out.nfds == 3 && out.fds[1].port == 5432,
	   "DESCRIPTORS round-trips with its roles");
	msg_refused(&m, 2, "do not match", "fewer descriptors than announced");
	msg_refused(&m, 4, "do not match", "more descriptors than announced");
	m.fds[1].port = 0;
	msg_refused(&m, 3, "without family or port", "a host port 0");
	m.fds[1].port = 5432;
	m.fds[0].port = 53;
	msg_refused(&m, 3, "a port on a DNS", "a port on the DNS socket");
	m.fds[0].port = 0;
	m.fds[2].role = 9;
	msg_refused(&m, 3, "unknown role", "an unknown role");
	m.fds[2].role = CCSB_NETPROTO_RTNL;
	m.fds[5].role = CCSB_NETPROTO_RTNL;
	msg_refused(&m, 3, "past the count", "a role past the count");
	m.fds[5].role = 0;
	m.fds[2].role = CCSB_NETPROTO_NAMEBIND;
	ok(decode(&m, sizeof(m), 3, &out, &why) == 0 && out.fds[2].role == CCSB_NETPROTO_NAMEBIND,
	   "the name-bound connections' listener is a known role");
	m.fds[2].port = 80;
	msg_refused(&m, 3, "a port on a DNS", "a port on the name-bound listener");
	m.fds[2].port = 0;
	m.fds[2].role = CCSB_NETPROTO_RTNL;
	m.nfds = 9;
	msg_refused(&m, 9, "out of range", "nine descriptors");
	m.nfds = 0;
	msg_refused(&m, 0, "out of range", "a DESCRIPTORS message without any");

	ccsb__netproto_msg(&m, CCSB_NETPROTO_DONE, 0, NULL);
	msg_refused(&m, 1, "carries none", "a descriptor with DONE");
	ok(decode(&m, sizeof(m) - 1, 0, &out, &why) == -EPROTO, "a short message is refused");
	ok(decode(&m, 244, 0, &out, &why) == -EPROTO && strstr(why, "wrong size"),
	   "the previous protocol's 244-byte report is refused: %s", why);
	m.type = 99;
	msg_refused(&m, 0, "unknown type", "type 99");
	m.type = CCSB_NETPROTO_DONE;
	m.code = 1;
	msg_refused(&m, 0, "a code where none", "DONE with a code");
	ccsb__netproto_msg(&m, CCSB_NETPROTO_ERROR, 0, "x");
	msg_refused(&m, 0, "out of range", "ERROR with code 0");
	m.code = -1;
	msg_refused(&m, 0, "out of range", "ERROR with a negative code");
	ccsb__netproto_msg(&m, CCSB_NETPROTO_PROGRESS, 77, NULL);
	msg_refused(&m, 0, "unknown step", "an unknown step");
	ccsb__netproto_msg(&m, CCSB_NETPROTO_WARNING, ENOENT, NULL);
	m.version = 1;
	msg_refused(&m, 0, "version", "version 1");

	/* Text: cut at its end, control characters replaced. */
	ccsb__netproto_msg(&m, CCSB_NETPROTO_WARNING, ENOENT, "a\033]52;c;eA==\007b\nc");
	ok(decode(&m, sizeof(m), 0, &out, &why) == 0, "WARNING with control characters decodes");
	is_str(out.text, "a?]52;c;eA==?b?c", "control characters replaced");
	memset(m.text, 'x', sizeof(m.text));
	ok(decode(&m, sizeof(m), 0, &out, &why) == 0 && strlen(out.text) == sizeof(out.text) - 1,
	   "an unterminated text is cut at its end");
	char long_text[400];
	memset(long_text, 'y', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	ccsb__netproto_msg(&m, CCSB_NETPROTO_ERROR, EIO, "%s", long_text);
	ok(strlen(m.text) == CCSB_NETPROTO_TEXT - 1, "a long text is cut when encoded");
}

/* ---- rtnetlink -------------------------------------------------------- */

static const struct rtattr *find_attr(const struct nlmsghdr *n, size_t hdr, int type)
{
	const struct rtattr *a =
		(const struct rtattr *)((const char *)NLMSG_DATA(n) + NLMSG_ALIGN(hdr));
	int left = (int)n->nlmsg_len - (int)NLMSG_LENGTH(NLMSG_ALIGN(hdr));

	for (; RTA_OK(a, left); a = RTA_NEXT(a, left))
		if (a->rta_type == type)
			return a;
	return NULL;
}

static void test_rtnl_build(void)
{
	static const uint8_t gw4[4] = CCSB_SLIRP_GW4;
	static const uint8_t dst[4] = { 198, 51, 100, 0 };
	union {
		struct nlmsghdr h;
		char b[1024];
	} buf;
	size_t used = 0;
	const struct nlmsghdr *n = &buf.h;
	const struct rtmsg *rt;
	const struct rtattr *a;

	ok(ccsb__rtnl_route(&buf, sizeof(buf), &used, false, NLM_F_CREATE | NLM_F_EXCL, 42, AF_INET,
			    dst, 24, gw4, 7) == 0,
	   "route: built");
	rt = NLMSG_DATA(n);
	ok(n->nlmsg_type == RTM_NEWROUTE && n->nlmsg_seq == 42 &&
		   n->nlmsg_flags == (NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL) &&
		   used == NLMSG_ALIGN(n->nlmsg_len),
	   "route: header (type, seq, flags, length)");
	ok(rt->rtm_family == AF_INET && rt->rtm_dst_len == 24 && rt->rtm_table == RT_TABLE_MAIN &&
		   rt->rtm_protocol == RTPROT_STATIC && rt->rtm_scope == RT_SCOPE_UNIVERSE &&
		   rt->rtm_type == RTN_UNICAST,
	   "route: main table, static, universe, unicast");
	a = find_attr(n, sizeof(*rt), RTA_DST);
	ok(a && RTA_PAYLOAD(a) == 4 && !memcmp(RTA_DATA(a), dst, 4), "route: RTA_DST");
	a = find_attr(n, sizeof(*rt), RTA_GATEWAY);
	ok(a && RTA_PAYLOAD(a) == 4 && !memcmp(RTA_DATA(a), gw4, 4),
	   "route: RTA_GATEWAY is slirp's " CCSB_SLIRP_GW4_TEXT);
	a = find_attr(n, sizeof(*rt), RTA_OIF);
	ok(a && *(const int *)RTA_DATA(a) == 7, "route: RTA_OIF");

	size_t second = used;
	ok(ccsb__rtnl_route(&buf, sizeof(buf), &used, true, 0, 43, AF_INET, dst, 0, NULL, 0) == 0,
	   "a default-route deletion appended to the same buffer");
	n = (const struct nlmsghdr *)(buf.b + second);
	rt = NLMSG_DATA(n);
	ok(n->nlmsg_type == RTM_DELROUTE && rt->rtm_dst_len == 0 &&
		   !find_attr(n, sizeof(*rt), RTA_DST) && !find_attr(n, sizeof(*rt), RTA_GATEWAY) &&
		   !find_attr(n, sizeof(*rt), RTA_OIF),
	   "default route: no destination, gateway or interface attribute");
	ok(ccsb__rtnl_route(&buf, sizeof(buf), &used, false, 0, 1, AF_INET, dst, 33, NULL, 0) ==
		   -EINVAL,
	   "route: /33 refused");
	ok(ccsb__rtnl_route(&buf, sizeof(buf), &used, false, 0, 1, AF_UNIX, dst, 8, NULL, 0) ==
		   -EINVAL,
	   "route: unknown family refused");

	size_t before = used;
	ok(ccsb__rtnl_route(&buf, used + CCSB_RTNL_MSG_MAX - 1, &used, false, 0, 1, AF_INET, dst,
			    24, NULL, 0) == -ENOSPC &&
		   used == before,
	   "route: -ENOSPC when it does not fit, nothing written");

	used = 0;
	ok(ccsb__rtnl_link_up(&buf, sizeof(buf), &used, 0, 1, 9, CCSB_SLIRP_MTU) == 0,
	   "link up: built");
	const struct ifinfomsg *ifi = NLMSG_DATA(&buf.h);
	a = find_attr(&buf.h, sizeof(*ifi), IFLA_MTU);
	ok(buf.h.nlmsg_type == RTM_NEWLINK && ifi->ifi_index == 9 && ifi->ifi_flags == IFF_UP &&
		   ifi->ifi_change == IFF_UP && a && *(const uint32_t *)RTA_DATA(a) == 65520,
	   "link up: index, IFF_UP and MTU 65520");

	used = 0;
	static const uint8_t guest6[16] = CCSB_SLIRP_GUEST6;
	ok(ccsb__rtnl_addr(&buf, sizeof(buf), &used, 0, 2, 9, AF_INET6, guest6, 64, IFA_F_NODAD) ==
		   0,
	   "address: built");
	const struct ifaddrmsg *ifa = NLMSG_DATA(&buf.h);
	a = find_attr(&buf.h, sizeof(*ifa), IFA_LOCAL);
	ok(buf.h.nlmsg_type == RTM_NEWADDR &&
		   (buf.h.nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) ==
			   (NLM_F_CREATE | NLM_F_EXCL) &&
		   ifa->ifa_family == AF_INET6 && ifa->ifa_prefixlen == 64 &&
		   ifa->ifa_flags == IFA_F_NODAD && ifa->ifa_index == 9 && a &&
		   !memcmp(RTA_DATA(a), guest6, 16),
	   "address: fd00::64/64, no DAD, on the interface");

	used = 0;
	ok(ccsb__rtnl_barrier(&buf, sizeof(buf), &used, 5) == 0 && buf.h.nlmsg_type == NLMSG_NOOP &&
		   (buf.h.nlmsg_flags & NLM_F_ACK) && buf.h.nlmsg_len == NLMSG_LENGTH(0),
	   "barrier: an ACKed NLMSG_NOOP");
}

/* Answers: an ACK, an error, another message type in between. */
static void put_err(char *b, size_t *off, uint32_t seq, int error, uint32_t len)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(b + *off);
	struct nlmsgerr *e = NLMSG_DATA(h);

	h->nlmsg_len = len ? len : NLMSG_LENGTH(sizeof(*e));
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_seq = seq;
	e->error = error;
	*off += NLMSG_ALIGN(h->nlmsg_len);
}

static void test_rtnl_answers(void)
{
	union {
		struct nlmsghdr h;
		char b[1024];
	} buf;
	size_t n = 0, off = 0;
	uint32_t seq = 0;
	int e = -1;

	memset(&buf, 0, sizeof(buf));
	put_err(buf.b, &n, 7, -EEXIST, 0);
	struct nlmsghdr *other = (struct nlmsghdr *)(buf.b + n);
	other->nlmsg_len = NLMSG_LENGTH(4);
	other->nlmsg_type = RTM_NEWROUTE;
	n += NLMSG_ALIGN(other->nlmsg_len);
	put_err(buf.b, &n, 8, 0, 0);
	ok(ccsb__rtnl_next_ack(&buf, n, &off, &seq, &e) == 1 && seq == 7 && e == EEXIST,
	   "answers: the error, as a positive errno");
	ok(ccsb__rtnl_next_ack(&buf, n, &off, &seq, &e) == 1 && seq == 8 && e == 0,
	   "answers: the other message skipped, then the ACK");
	ok(ccsb__rtnl_next_ack(&buf, n, &off, &seq, &e) == 0, "answers: then the end");

	off = 0;
	ok(ccsb__rtnl_next_ack(&buf, n - 1, &off, &seq, &e) == 1 &&
		   ccsb__rtnl_next_ack(&buf, n - 1, &off, &seq, &e) == -EBADMSG,
	   "answers: a truncated last message is -EBADMSG");
	n = 0;
	off = 0;
	put_err(buf.b, &n, 9, 0, NLMSG_LENGTH(2));
	ok(ccsb__rtnl_next_ack(&buf, n, &off, &seq, &e) == -EBADMSG,
	   "answers: an error message too short for its code is -EBADMSG");
	n = 0;
	off = 0;
	put_err(buf.b, &n, 9, 0, 0);
	buf.h.nlmsg_len = 3;
	ok(ccsb__rtnl_next_ack(&buf, n, &off, &seq, &e) == -EBADMSG,
	   "answers: a length below the header is -EBADMSG");
	n = 0;
	off = 0;
	put_err(buf.b, &n, 9, -100000, 0);
	ok(ccsb__rtnl_next_ack(&buf, n, &off, &seq, &e) == 1 && e == EIO,
	   "answers: an out-of-range code becomes EIO");
}

/* The builders against the real kernel, in a private network namespace
 * (root; the suite runs as root): a namespace without the dummy driver has
 * only lo, so the routes go out of lo. The gateway attribute is exercised by
 * every networked integration test (via slirp's gateway). */
static void test_rtnl_kernel(void)
{
	static char buf[8192] __attribute__((aligned(8)));
	union {
		struct nlmsghdr h;
		char b[8192];
	} ans;
	static const uint8_t a1[4] = { 198, 51, 100, 0 }, a2[4] = { 203, 0, 113, 0 };
	size_t used = 0, off;
	uint32_t seq;
	int s, lo, e, r, errs = 0, acked = 0, eexist = 0;
	ssize_t n;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0) {
		skip(4, "real kernel: needs root for a network namespace (the suite runs as root)");
		return;
	}
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	lo = (int)if_nametoindex("lo");
	ok(s >= 0 && lo > 0, "netlink socket and lo in a new network namespace");
	ccsb__rtnl_link_up(buf, sizeof(buf), &used, 0, 1, lo, 65536);
	ccsb__rtnl_route(buf, sizeof(buf), &used, false, NLM_F_CREATE | NLM_F_EXCL, 2, AF_INET, a1,
			 24, NULL, lo);
	ccsb__rtnl_route(buf, sizeof(buf), &used, false, NLM_F_CREATE | NLM_F_EXCL, 3, AF_INET, a2,
			 24, NULL, lo);
	/* The same again: EEXIST, reported although no ACK was asked for. */
	ccsb__rtnl_route(buf, sizeof(buf), &used, false, NLM_F_CREATE | NLM_F_EXCL, 4, AF_INET, a2,
			 24, NULL, lo);
	ccsb__rtnl_route(buf, sizeof(buf), &used, true, 0, 5, AF_INET, a1, 24, NULL, 0);
	ccsb__rtnl_barrier(buf, sizeof(buf), &used, 6);
	ok(send(s, buf, used, 0) == (ssize_t)used, "one send() carries six requests");
	do {
		n = recv(s, &ans, sizeof(ans), 0);
		off = 0;
		while (n > 0 && (r = ccsb__rtnl_next_ack(&ans, (size_t)n, &off, &seq, &e)) > 0) {
			if (e)
				errs++;
			if (e == EEXIST && seq == 4)
				eexist = 1;
			if (!e && seq == 6)
				acked = 1;
		}
	} while (n > 0 && !acked);
	ok(acked && errs == 1 && eexist,
	   "kernel: only the duplicate failed (EEXIST), then the barrier's ACK");

	/* What is left: 203.0.113.0/24 only (198.51.100.0/24 deleted). */
	struct {
		struct nlmsghdr h;
		struct rtmsg rt;
	} dump = { .h = { .nlmsg_len = sizeof(dump),
			  .nlmsg_type = RTM_GETROUTE,
			  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			  .nlmsg_seq = 7 },
		   .rt = { .rtm_family = AF_INET } };
	int found1 = 0, found2 = 0, done = 0;
	send(s, &dump, sizeof(dump), 0);
	while (!done && (n = recv(s, &ans, sizeof(ans), 0)) > 0) {
		int left = (int)n;
		for (struct nlmsghdr *h = &ans.h; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			const struct rtmsg *rt = NLMSG_DATA(h);
			const struct rtattr *d = find_attr(h, sizeof(*rt), RTA_DST);
			if (rt->rtm_table != RT_TABLE_MAIN || !d || rt->rtm_dst_len != 24)
				continue;
			found1 |= !memcmp(RTA_DATA(d), a1, 4);
			found2 |= !memcmp(RTA_DATA(d), a2, 4) && rt->rtm_protocol == RTPROT_STATIC;
		}
	}
	ok(found2 && !found1, "kernel: the table holds the added route and not the deleted one");
	close(s);
}

int main(void)
{
	test_request();
	test_messages();
	test_rtnl_build();
	test_rtnl_answers();
	test_rtnl_kernel();
	return done_testing();
}
