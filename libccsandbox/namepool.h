/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The synthetic addresses of name-bound connections (namebind.c), shared
 * by the library and ccsb-net, which makes them local to the sandbox's
 * network namespace and redirects TCP to them to the relay's listener.
 *
 * 198.18.0.0/15 is the benchmarking range (RFC 2544, RFC 6890: not
 * forwarded on the Internet), so no real destination is ever hidden behind
 * it; slirp4netns uses 10.0.2.0/24, which it does not touch. An upstream
 * answer pointing into it is refused as DNS rebinding would be. */
#ifndef CCSB_NAMEPOOL_H
#define CCSB_NAMEPOOL_H

#include <stdint.h>

#define CCSB_NAMEPOOL_NET 0xc6120000u /* 198.18.0.0, host byte order */
#define CCSB_NAMEPOOL_LEN 15
#define CCSB_NAMEPOOL_MASK 0xfffe0000u
#define CCSB_NAMEPOOL_SIZE (1u << (32 - CCSB_NAMEPOOL_LEN))

static inline int ccsb__namepool_has(uint32_t host_order_addr)
{
	return (host_order_addr & CCSB_NAMEPOOL_MASK) == CCSB_NAMEPOOL_NET;
}

#endif
