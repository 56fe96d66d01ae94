/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtnetlink requests and answers (rtnl.h). Pure. */
#include "rtnl.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* Start a message of `hdrlen` family-header bytes at buf[*used]; NULL when
 * the largest message could not fit. */
static struct nlmsghdr *start(void *buf, size_t cap, size_t used, uint16_t type, uint16_t nlflags,
			      uint32_t seq, size_t hdrlen)
{
	struct nlmsghdr *n;

	if (used % NLMSG_ALIGNTO || used > cap || cap - used < CCSB_RTNL_MSG_MAX)
		return NULL;
	n = (struct nlmsghdr *)((char *)buf + used);
	memset(n, 0, CCSB_RTNL_MSG_MAX);
	n->nlmsg_len = (uint32_t)NLMSG_LENGTH(hdrlen);
	n->nlmsg_type = type;
	n->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | nlflags);
	n->nlmsg_seq = seq;
	return n;
}

static void attr(struct nlmsghdr *n, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = (uint32_t)(NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len));
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int ccsb__rtnl_route(void *buf, size_t cap, size_t *used, bool del, uint16_t nlflags, uint32_t seq,
		     int family, const uint8_t *dst, unsigned dst_len, const uint8_t *gw, int oif)
{
	size_t alen = addr_len(family);
	struct nlmsghdr *n;
	struct rtmsg *rt;

	if (!alen || dst_len > alen * 8)
		return -EINVAL;
	n = start(buf, cap, *used, del ? RTM_DELROUTE : RTM_NEWROUTE, nlflags, seq, sizeof(*rt));
	if (!n)
		return -ENOSPC;
	rt = NLMSG_DATA(n);
	rt->rtm_family = (unsigned char)family;
	rt->rtm_dst_len = (unsigned char)dst_len;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	/* A default route carries no destination attribute. */
	if (dst_len)
		attr(n, RTA_DST, dst, alen);
	if (gw)
		attr(n, RTA_GATEWAY, gw, alen);
	if (oif > 0)
		attr(n, RTA_OIF, &oif, sizeof(oif));
	*used += NLMSG_ALIGN(n->nlmsg_len);
	return 0;
}

int ccsb__rtnl_link_up(void *buf, size_t cap, size_t *used, uint16_t nlflags, uint32_t seq,
		       int ifindex, unsigned mtu)
{
	struct nlmsghdr *n =
		start(buf, cap, *used, RTM_NEWLINK, nlflags, seq, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi;
	uint32_t m = mtu;

	if (!n)
		return -ENOSPC;
	ifi = NLMSG_DATA(n);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	attr(n, IFLA_MTU, &m, sizeof(m));
	*used += NLMSG_ALIGN(n->nlmsg_len);
	return 0;
}

int ccsb__rtnl_addr(void *buf, size_t cap, size_t *used, uint16_t nlflags, uint32_t seq,
		    int ifindex, int family, const uint8_t *addr, unsigned plen, unsigned ifa_flags)
{
	size_t alen = addr_len(family);
	struct nlmsghdr *n;
	struct ifaddrmsg *ifa;
	uint32_t fl = ifa_flags;

	if (!alen || plen > alen * 8)
		return -EINVAL;
	n = start(buf, cap, *used, RTM_NEWADDR, nlflags | NLM_F_CREATE | NLM_F_EXCL, seq,
		  sizeof(*ifa));
	if (!n)
		return -ENOSPC;
	ifa = NLMSG_DATA(n);
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_flags = (unsigned char)ifa_flags;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	attr(n, IFA_LOCAL, addr, alen);
	attr(n, IFA_ADDRESS, addr, alen);
	if (ifa_flags > 0xff)
		attr(n, IFA_FLAGS, &fl, sizeof(fl));
	*used += NLMSG_ALIGN(n->nlmsg_len);
	return 0;
}

int ccsb__rtnl_barrier(void *buf, size_t cap, size_t *used, uint32_t seq)
{
	struct nlmsghdr *n = start(buf, cap, *used, NLMSG_NOOP, NLM_F_ACK, seq, 0);

	if (!n)
		return -ENOSPC;
	*used += NLMSG_ALIGN(n->nlmsg_len);
	return 0;
}

int ccsb__rtnl_next_ack(const void *buf, size_t n, size_t *off, uint32_t *seq, int *error)
{
	while (*off < n) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)buf + *off);
		size_t left = n - *off;
		const struct nlmsgerr *e;

		if (left < sizeof(*h) || h->nlmsg_len < sizeof(*h) || h->nlmsg_len > left ||
		    *off % NLMSG_ALIGNTO)
			return -EBADMSG;
		*off += NLMSG_ALIGN(h->nlmsg_len) < left ? NLMSG_ALIGN(h->nlmsg_len) : left;
		if (h->nlmsg_type != NLMSG_ERROR)
			continue;
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
			return -EBADMSG;
		e = NLMSG_DATA(h);
		*seq = h->nlmsg_seq;
		*error = e->error < 0 ? (e->error < -4095 ? EIO : -e->error) : (e->error ? EIO : 0);
		return 1;
	}
	return 0;
}
