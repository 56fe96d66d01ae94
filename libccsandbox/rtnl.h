/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtnetlink requests, built into caller-supplied buffers, and their answers
 * read back: the one netlink stack of ccsb-net (tap0, its addresses, the
 * plan's routes) and of the resolver (a route per allowed answer). Pure and
 * self-contained (libc and kernel headers only: ccsb-net uses it too).
 *
 * Each builder appends one message at buf[*used] and advances *used, so
 * that many requests go out in one send(); it returns 0, or -ENOSPC when the
 * message does not fit (nothing written). */
#ifndef CCSB_RTNL_H
#define CCSB_RTNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for any one message built here. */
#define CCSB_RTNL_MSG_MAX 128

/* RTM_NEWROUTE (or RTM_DELROUTE with del) in the main table, unicast, scope
 * universe, protocol static: dst/dst_len (family AF_INET: 4 bytes, AF_INET6:
 * 16) via `gw` (same family, NULL: none) out of interface `oif` (0: any).
 * nlflags: NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_ACK as wanted
 * (NLM_F_REQUEST is always set). */
int ccsb__rtnl_route(void *buf, size_t cap, size_t *used, bool del, uint16_t nlflags, uint32_t seq,
		     int family, const uint8_t *dst, unsigned dst_len, const uint8_t *gw, int oif);
/* RTM_NEWLINK: interface `ifindex` up with MTU `mtu`. */
int ccsb__rtnl_link_up(void *buf, size_t cap, size_t *used, uint16_t nlflags, uint32_t seq,
		       int ifindex, unsigned mtu);
/* RTM_NEWADDR (create, exclusive): addr/plen on `ifindex`; `ifa_flags` such
 * as IFA_F_NODAD. */
int ccsb__rtnl_addr(void *buf, size_t cap, size_t *used, uint16_t nlflags, uint32_t seq,
		    int ifindex, int family, const uint8_t *addr, unsigned plen,
		    unsigned ifa_flags);
/* NLMSG_NOOP with NLM_F_ACK: a barrier. The kernel handles one socket's
 * requests in order, so when its ACK arrives every earlier request has
 * succeeded or its error is queued before it. */
int ccsb__rtnl_barrier(void *buf, size_t cap, size_t *used, uint32_t seq);

/* Walk the answers in buf[0..n) (one recv()): returns 1 with *seq and
 * *error (0 for an ACK, else a positive errno) for the next NLMSG_ERROR
 * message, 0 at the end, -EBADMSG on a truncated or malformed message.
 * *off starts at 0; other message types are skipped. */
int ccsb__rtnl_next_ack(const void *buf, size_t n, size_t *off, uint32_t *seq, int *error);

#endif
