/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nlroutes: how fast can the kernel take N routes over rtnetlink, and which
 * way of sending them is cheapest? A microbenchmark for the route install
 * of ccsb's network helper, without libnl, slirp4netns or bwrap.
 *
 *   nlroutes [-t] [-b BATCH] [-n] [-s] [-d DEV] FILE
 *
 * Must run where DEV (default tap0) exists, is up, carries 10.0.2.100/24 and
 * has carrier, as in a sandbox once slirp4netns holds its tap; -t makes such
 * a device itself (needs CAP_NET_ADMIN: run it as root in a fresh network
 * namespace, `unshare --net nlroutes -t ...`). Reads IPv4 prefixes
 * (a.b.c.d/len, one a line) from FILE, then times:
 *   install   RTM_NEWROUTE for every prefix, via 10.0.2.2 dev DEV, no ACK
 *             per message, one ACKed NLMSG_NOOP barrier at the end (what
 *             ccsb does), BATCH messages per sendmsg() (default 1, like
 *             libnl's nl_send_auto: one system call per route);
 *   -n        routes reference one nexthop object (RTA_NH_ID) instead of
 *             carrying the gateway each;
 *   -s        prefixes in a shuffled order instead of the file's.
 * Prints: "routes=N batch=B nhid=0|1 shuffled=0|1 install_ms=X".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NH_ID 4242

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

struct req {
	struct nlmsghdr nh;
	struct rtmsg rt;
	char attrs[64];
};

static void addattr(struct nlmsghdr *n, int type, const void *data, int len)
{
	struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, (size_t)len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Read answers until the barrier's ACK; returns the first error (positive
 * errno) or 0. */
static int drain(int s, unsigned barrier)
{
	char buf[65536];
	int first = 0;
	for (;;) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				if (h->nlmsg_seq == barrier)
					return first;
				if (e->error && !first)
					first = -e->error;
			}
		}
	}
}

/* A tap device with carrier: kept open (the descriptor is never closed),
 * up, MTU 65520, 10.0.2.100/24. */
static int make_tap(const char *dev)
{
	struct ifreq ifr = { 0 };
	int t = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (t < 0 || ioctl(t, TUNSETIFF, &ifr) < 0)
		return -1;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	memset(&ifr.ifr_ifru, 0, sizeof(ifr.ifr_ifru));
	ifr.ifr_mtu = 65520;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
		return -1;
	memset(&ifr.ifr_ifru, 0, sizeof(ifr.ifr_ifru));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "10.0.2.100", &sin->sin_addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		return -1;
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		return -1;
	memset(&ifr.ifr_ifru, 0, sizeof(ifr.ifr_ifru));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return -1;
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	int batch = 1, use_nh = 0, shuffle = 0, tap = 0, opt;
	const char *dev = "tap0";
	while ((opt = getopt(argc, argv, "tb:nsd:")) != -1) {
		switch (opt) {
		case 't':
			tap = 1;
			break;
		case 'b':
			batch = atoi(optarg);
			break;
		case 'n':
			use_nh = 1;
			break;
		case 's':
			shuffle = 1;
			break;
		case 'd':
			dev = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc || batch < 1) {
		fprintf(stderr, "usage: nlroutes [-t] [-b BATCH] [-n] [-s] [-d DEV] FILE\n");
		return 2;
	}
	FILE *f = fopen(argv[optind], "re");
	if (!f) {
		perror(argv[optind]);
		return 2;
	}
	size_t cap = 1024, n = 0;
	struct {
		struct in_addr a;
		int len;
	} *p = malloc(cap * sizeof(*p));
	char line[128];
	while (fgets(line, sizeof(line), f)) {
		char *slash = strchr(line, '/');
		if (!slash)
			continue;
		*slash = '\0';
		if (n == cap) {
			__typeof__(p) np = realloc(p, (cap *= 2) * sizeof(*p));
			if (!np) {
				fprintf(stderr, "nlroutes: out of memory\n");
				free(p);
				fclose(f);
				return 2;
			}
			p = np;
		}
		if (inet_pton(AF_INET, line, &p[n].a) == 1)
			p[n++].len = atoi(slash + 1);
	}
	fclose(f);
	if (shuffle) {
		srand(42);
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = (size_t)rand() % (i + 1);
			__typeof__(*p) t = p[i];
			p[i] = p[j];
			p[j] = t;
		}
	}
	if (tap && make_tap(dev) < 0) {
		fprintf(stderr, "nlroutes: cannot make tap device %s: %s\n", dev, strerror(errno));
		return 2;
	}
	int ifindex = (int)if_nametoindex(dev);
	if (!ifindex) {
		fprintf(stderr, "nlroutes: no device %s\n", dev);
		return 2;
	}
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int one = 1, big = 8 << 20;
	setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("nlroutes: netlink");
		return 2;
	}
	unsigned seq = 1;
	struct in_addr gw;
	inet_pton(AF_INET, "10.0.2.2", &gw);

	if (use_nh) {
		struct {
			struct nlmsghdr nh;
			struct nhmsg m;
			char attrs[64];
		} r = { 0 };
		r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct nhmsg));
		r.nh.nlmsg_type = RTM_NEWNEXTHOP;
		r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK;
		r.nh.nlmsg_seq = seq;
		r.m.nh_family = AF_INET;
		unsigned id = NH_ID;
		addattr(&r.nh, NHA_ID, &id, 4);
		addattr(&r.nh, NHA_OIF, &ifindex, 4);
		addattr(&r.nh, NHA_GATEWAY, &gw, 4);
		if (send(s, &r, r.nh.nlmsg_len, 0) < 0 || drain(s, seq++) != 0) {
			fprintf(stderr, "nlroutes: cannot create the nexthop object\n");
			return 1;
		}
	}

	size_t bufsz = (size_t)batch * sizeof(struct req);
	char *buf = malloc(bufsz);
	double t0 = now_ms();
	size_t used = 0;
	int err = 0;
	for (size_t i = 0; i < n; i++) {
		struct req *r = (struct req *)(buf + used);
		memset(r, 0, sizeof(*r));
		r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
		r->nh.nlmsg_type = RTM_NEWROUTE;
		r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
		r->nh.nlmsg_seq = seq++;
		r->rt.rtm_family = AF_INET;
		r->rt.rtm_dst_len = (unsigned char)p[i].len;
		r->rt.rtm_table = RT_TABLE_MAIN;
		r->rt.rtm_protocol = RTPROT_BOOT;
		r->rt.rtm_scope = RT_SCOPE_UNIVERSE;
		r->rt.rtm_type = RTN_UNICAST;
		addattr(&r->nh, RTA_DST, &p[i].a, 4);
		if (use_nh) {
			unsigned id = NH_ID;
			addattr(&r->nh, RTA_NH_ID, &id, 4);
		} else {
			addattr(&r->nh, RTA_GATEWAY, &gw, 4);
			addattr(&r->nh, RTA_OIF, &ifindex, 4);
		}
		used += NLMSG_ALIGN(r->nh.nlmsg_len);
		if (i + 1 == n || used + sizeof(struct req) > bufsz) {
			if (send(s, buf, used, 0) < 0) {
				err = errno;
				break;
			}
			used = 0;
		}
	}
	struct nlmsghdr barrier = { .nlmsg_len = NLMSG_LENGTH(0),
				    .nlmsg_type = NLMSG_NOOP,
				    .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
				    .nlmsg_seq = seq };
	if (!err && send(s, &barrier, barrier.nlmsg_len, 0) < 0)
		err = errno;
	if (!err)
		err = drain(s, seq);
	double t1 = now_ms();
	if (err) {
		fprintf(stderr, "nlroutes: %s\n", strerror(err));
		return 1;
	}
	printf("routes=%zu batch=%d nhid=%d shuffled=%d install_ms=%.2f\n", n, batch, use_nh,
	       shuffle, t1 - t0);
	return 0;
}
