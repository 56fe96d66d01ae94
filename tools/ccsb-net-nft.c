/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Name-bound connections, the sandbox's side (ccsb-net, inside the
 * sandbox's network namespace with its owner's capabilities): the
 * synthetic address pool becomes local (a "local" route on lo, so that a
 * UDP datagram to it fails at once with ECONNREFUSED and QUIC falls back
 * to TCP), a listener on 127.0.0.1 takes the relay's connections, and one
 * nf_tables rule redirects every TCP connection to the pool to that
 * listener, keeping the address and port asked for in conntrack, where
 * the relay reads them back (SO_ORIGINAL_DST). Raw netlink: the rule is
 * three messages, not worth a libnftnl dependency. */
#include "ccsb-net-nft.h"
#include "namepool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TABLE "ccsb"
#define CHAIN "namebind"

struct buf {
	char b[2048];
	size_t len;
};

static void *put(struct buf *m, size_t n)
{
	void *p = m->b + m->len;

	m->len += NLMSG_ALIGN(n);
	memset(p, 0, NLMSG_ALIGN(n));
	return p;
}

static struct nlmsghdr *msg_start(struct buf *m, uint16_t type, uint16_t flags, uint8_t family,
				  uint16_t res_id, uint32_t seq)
{
	struct nlmsghdr *h = put(m, sizeof(*h));
	struct nfgenmsg *g = put(m, sizeof(*g));

	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = seq;
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return h;
}

static void msg_end(struct buf *m, struct nlmsghdr *h)
{
	h->nlmsg_len = (uint32_t)(m->b + m->len - (char *)h);
}

static struct nlattr *attr(struct buf *m, uint16_t type, const void *data, size_t n)
{
	struct nlattr *a = put(m, NLA_HDRLEN + n);

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + n);
	if (n)
		memcpy((char *)a + NLA_HDRLEN, data, n);
	return a;
}

static void attr_u32(struct buf *m, uint16_t type, uint32_t v)
{
	v = htonl(v);
	attr(m, type, &v, sizeof(v));
}

static void attr_str(struct buf *m, uint16_t type, const char *s)
{
	attr(m, type, s, strlen(s) + 1);
}

static struct nlattr *nest(struct buf *m, uint16_t type)
{
	return attr(m, type | NLA_F_NESTED, NULL, 0);
}

static void nest_end(struct buf *m, struct nlattr *a)
{
	a->nla_len = (uint16_t)(m->b + m->len - (char *)a);
}

/* One expression of a rule: its name, then its attributes inside. */
static struct nlattr *expr(struct buf *m, const char *name, struct nlattr **data)
{
	struct nlattr *e = nest(m, NFTA_LIST_ELEM);

	attr_str(m, NFTA_EXPR_NAME, name);
	*data = nest(m, NFTA_EXPR_DATA);
	return e;
}

static void data_value(struct buf *m, uint16_t type, const void *v, size_t n)
{
	struct nlattr *d = nest(m, type);

	attr(m, NFTA_DATA_VALUE, v, n);
	nest_end(m, d);
}

static void expr_end(struct buf *m, struct nlattr *e, struct nlattr *data)
{
	nest_end(m, data);
	nest_end(m, e);
}

/* Send a request and wait for the ACK (or error) of each of its messages
 * that asked for one. 0 or -errno. */
static int transact(int proto, struct buf *m, int acks)
{
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto), r = 0;
	union {
		struct nlmsghdr h;
		char b[8192];
	} ans;

	if (fd < 0)
		return -errno;
	if (sendto(fd, m->b, m->len, 0, (struct sockaddr *)&k, sizeof(k)) < 0) {
		r = -errno;
		goto out;
	}
	while (acks > 0 && !r) {
		ssize_t n = recv(fd, &ans, sizeof(ans), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		for (struct nlmsghdr *h = &ans.h; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = NLMSG_DATA(h);

			acks--;
			if (e->error) {
				r = e->error;
				break;
			}
		}
	}
out:
	close(fd);
	return r;
}

static int local_route(void)
{
	struct buf m = { .len = 0 };
	struct nlmsghdr *h = put(&m, sizeof(*h));
	struct rtmsg *rt = put(&m, sizeof(*rt));
	uint32_t dst = htonl(CCSB_NAMEPOOL_NET), oif = if_nametoindex("lo");

	if (!oif)
		return -errno;
	h->nlmsg_type = RTM_NEWROUTE;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	h->nlmsg_seq = 1;
	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = CCSB_NAMEPOOL_LEN;
	rt->rtm_table = RT_TABLE_LOCAL;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_HOST;
	rt->rtm_type = RTN_LOCAL;
	attr(&m, RTA_DST, &dst, 4);
	attr(&m, RTA_OIF, &oif, 4);
	msg_end(&m, h);
	return transact(NETLINK_ROUTE, &m, 1);
}

/* table ip ccsb { chain namebind { type nat hook output priority -100;
 *   meta l4proto tcp ip daddr 198.18.0.0/15 redirect to :PORT } } */
static int redirect_rule(uint16_t port)
{
	const uint32_t net = htonl(CCSB_NAMEPOOL_NET), mask = htonl(CCSB_NAMEPOOL_MASK), zero = 0;
	const uint8_t tcp = IPPROTO_TCP;
	const uint16_t nport = htons(port);
	uint16_t sub = NFNL_SUBSYS_NFTABLES << 8;
	struct buf m = { .len = 0 };
	struct nlmsghdr *h;
	struct nlattr *a, *list, *e, *d;

	h = msg_start(&m, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, 1);
	msg_end(&m, h);

	h = msg_start(&m, sub | NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK, NFPROTO_IPV4, 0, 2);
	attr_str(&m, NFTA_TABLE_NAME, TABLE);
	msg_end(&m, h);

	h = msg_start(&m, sub | NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK, NFPROTO_IPV4, 0, 3);
	attr_str(&m, NFTA_CHAIN_TABLE, TABLE);
	attr_str(&m, NFTA_CHAIN_NAME, CHAIN);
	a = nest(&m, NFTA_CHAIN_HOOK);
	attr_u32(&m, NFTA_HOOK_HOOKNUM, NF_INET_LOCAL_OUT);
	attr_u32(&m, NFTA_HOOK_PRIORITY, (uint32_t)-100); /* NF_IP_PRI_NAT_DST */
	nest_end(&m, a);
	attr_u32(&m, NFTA_CHAIN_POLICY, NF_ACCEPT);
	attr_str(&m, NFTA_CHAIN_TYPE, "nat");
	msg_end(&m, h);

	h = msg_start(&m, sub | NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK,
		      NFPROTO_IPV4, 0, 4);
	attr_str(&m, NFTA_RULE_TABLE, TABLE);
	attr_str(&m, NFTA_RULE_CHAIN, CHAIN);
	list = nest(&m, NFTA_RULE_EXPRESSIONS);

	e = expr(&m, "meta", &d);
	attr_u32(&m, NFTA_META_KEY, NFT_META_L4PROTO);
	attr_u32(&m, NFTA_META_DREG, NFT_REG_1);
	expr_end(&m, e, d);
	e = expr(&m, "cmp", &d);
	attr_u32(&m, NFTA_CMP_SREG, NFT_REG_1);
	attr_u32(&m, NFTA_CMP_OP, NFT_CMP_EQ);
	data_value(&m, NFTA_CMP_DATA, &tcp, 1);
	expr_end(&m, e, d);

	e = expr(&m, "payload", &d);
	attr_u32(&m, NFTA_PAYLOAD_DREG, NFT_REG_1);
	attr_u32(&m, NFTA_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	attr_u32(&m, NFTA_PAYLOAD_OFFSET, 16); /* the IPv4 destination */
	attr_u32(&m, NFTA_PAYLOAD_LEN, 4);
	expr_end(&m, e, d);
	e = expr(&m, "bitwise", &d);
	attr_u32(&m, NFTA_BITWISE_SREG, NFT_REG_1);
	attr_u32(&m, NFTA_BITWISE_DREG, NFT_REG_1);
	attr_u32(&m, NFTA_BITWISE_LEN, 4);
	data_value(&m, NFTA_BITWISE_MASK, &mask, 4);
	data_value(&m, NFTA_BITWISE_XOR, &zero, 4);
	expr_end(&m, e, d);
	e = expr(&m, "cmp", &d);
	attr_u32(&m, NFTA_CMP_SREG, NFT_REG_1);
	attr_u32(&m, NFTA_CMP_OP, NFT_CMP_EQ);
	data_value(&m, NFTA_CMP_DATA, &net, 4);
	expr_end(&m, e, d);

	e = expr(&m, "immediate", &d);
	attr_u32(&m, NFTA_IMMEDIATE_DREG, NFT_REG_1);
	data_value(&m, NFTA_IMMEDIATE_DATA, &nport, 2);
	expr_end(&m, e, d);
	e = expr(&m, "redir", &d);
	attr_u32(&m, NFTA_REDIR_REG_PROTO_MIN, NFT_REG_1);
	expr_end(&m, e, d);

	nest_end(&m, list);
	msg_end(&m, h);

	h = msg_start(&m, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, 5);
	msg_end(&m, h);
	return transact(NETLINK_NETFILTER, &m, 3);
}

int ccsb_net_bind_names(int *listener, char *msg, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int one = 1, r;
	const char *what = "the synthetic addresses' local route";

	*listener = -1;
	if ((r = local_route()) < 0)
		goto fail;
	what = "the name-bound connections' listener";
	*listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* IP_FREEBIND: lo may not have its address yet (see the DNS
	 * listeners). Port 0: any free port, the rule names it. */
	if (*listener < 0 ||
	    setsockopt(*listener, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    bind(*listener, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(*listener, (struct sockaddr *)&sin, &sl) < 0 ||
	    listen(*listener, 128) < 0) {
		r = -errno;
		goto fail;
	}
	what = "the nf_tables rule redirecting TCP to the synthetic addresses (the kernel needs "
	       "nf_tables and NAT: CONFIG_NF_TABLES, CONFIG_NFT_REDIR)";
	if ((r = redirect_rule(ntohs(sin.sin_port))) < 0)
		goto fail;
	return 0;
fail:
	snprintf(msg, len, "%s: %s", what, strerror(-r));
	if (*listener >= 0)
		close(*listener);
	*listener = -1;
	return r;
}
