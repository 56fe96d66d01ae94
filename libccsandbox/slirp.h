/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* slirp4netns's network as ccsb runs it (its default --cidr 10.0.2.0/24 and
 * the IPv6 prefix fd00::/64 of --enable-ipv6), in one place for the library
 * (net.c, resolver.c, sandbox.c) and ccsb-net. Self-contained: ccsb-net
 * includes it without the library's internal header. The byte forms are
 * initialisers ({10, 0, 2, 2}) rather than objects, so that a file takes only
 * those it uses. */
#ifndef CCSB_SLIRP_H
#define CCSB_SLIRP_H

/* The sandbox's end of slirp4netns, and its MTU: 65520 carries ~4.5
 * Gbit/s through slirp against ~1-2 at 1500 (DESIGN.md). */
#define CCSB_SLIRP_TAP "tap0"
#define CCSB_SLIRP_MTU 65520
#define CCSB_SLIRP_MTU_TEXT "65520"

/* IPv4: the network, slirp's gateway (the way out), its DNS forwarder (only
 * --net=full uses it) and the sandbox's own address. */
#define CCSB_SLIRP_NET4     \
	{                   \
		10, 0, 2, 0 \
	}
#define CCSB_SLIRP_NET4_LEN 24
#define CCSB_SLIRP_GW4      \
	{                   \
		10, 0, 2, 2 \
	}
#define CCSB_SLIRP_GUEST4     \
	{                     \
		10, 0, 2, 100 \
	}
#define CCSB_SLIRP_NET4_TEXT "10.0.2.0/24"
#define CCSB_SLIRP_GW4_TEXT "10.0.2.2"
#define CCSB_SLIRP_DNS4_TEXT "10.0.2.3"
#define CCSB_SLIRP_GUEST4_TEXT "10.0.2.100"

/* IPv6 (with --ipv6 only). */
#define CCSB_SLIRP_NET6 \
	{               \
		0xfd    \
	}
#define CCSB_SLIRP_NET6_LEN 64
#define CCSB_SLIRP_GW6                                            \
	{                                                         \
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 \
	}
#define CCSB_SLIRP_GUEST6                                            \
	{                                                            \
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x64 \
	}
#define CCSB_SLIRP_GW6_TEXT "fd00::2"
#define CCSB_SLIRP_GUEST6_TEXT "fd00::64"

#endif
