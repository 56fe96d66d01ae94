/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Name-bound connections (namebind.c): in the allowlist mode, an allowed
 * name whose addresses no prefix of the allowlist covers is answered with a
 * synthetic address of the pool in namepool.h, bound to that name. ccsb-net
 * makes the pool local to the sandbox's network namespace and redirects
 * every TCP connection to it to a listener there; the relay, a thread of
 * ccsb, accepts it, reads the address and port asked for (SO_ORIGINAL_DST),
 * looks the name up by that address, checks the port against the
 * allowlist ("github.com:22,443") and connects to the name's real
 * addresses from the host's side, then copies bytes both ways (splice).
 * The real addresses get no route: a connection made to them directly, with
 * any Host header or SNI, fails with ENETUNREACH; TLS is never looked at.
 *
 * A binding lives for the answer's TTL, at least CCSB_NAMEBIND_TTL_FLOOR
 * seconds, from the last lookup of the name, and while a connection made
 * through it is open; after that, a connection to its address is reset.
 * An address is not given to another name before the pool has gone round
 * (CCSB_NAMEBIND_SLOTS bindings, 32 generations each). */
#ifndef CCSB_NAMEBIND_H
#define CCSB_NAMEBIND_H

#include "internal.h"

#include <stdint.h>

#define CCSB_NAMEBIND_TTL_FLOOR 60
#define CCSB_NAMEBIND_SLOTS 4096
/* Real addresses kept per name (the first ones of the answer). */
#define CCSB_NAMEBIND_ADDRS 8

struct ccsb_namebind;

/* Take over *listener (set to -1): the relay's listening socket in the
 * sandbox's network namespace, from ccsb-net. `al` is borrowed (the merged
 * allowlist) and must outlive the relay. Starts the relay's thread.
 * ttl_floor: seconds; 0 for CCSB_NAMEBIND_TTL_FLOOR. */
int ccsb__namebind_start(struct ccsb_namebind **out, const struct ccsb_allowlist *al, int *listener,
			 unsigned ttl_floor, ccsb_error **err);
struct ccsb_resolver;
/* run.c's hook: when *listener is open, start the relay and hand it to the
 * resolver; else nothing (*out NULL). 0 or -errno. */
int ccsb__namebind_run(struct ccsb_resolver *dns, const struct ccsb_allowlist *al, int *listener,
		       unsigned ttl_floor, struct ccsb_namebind **out, ccsb_error **err);
/* Bind `name` (as ccsb__dns_parse_query() wrote it) to its real IPv4
 * addresses `addrs` (n of them, 4 bytes each in network order) for `ttl`
 * seconds (with the floor): the name keeps its synthetic address while it
 * is bound. Writes that address to fake (network order). 1 for a new
 * binding, 0 when the name was bound already (its lifetime and addresses
 * renewed), or -ENOSPC when every slot is in use. Thread-safe. */
int ccsb__namebind_bind(struct ccsb_namebind *nb, const char *name, const uint8_t *addrs, size_t n,
			uint32_t ttl, uint8_t fake[4]);
/* "ccsb: name-bound connections: refused N: github.com:80 (2), ..." to fd
 * when any connection was refused. */
void ccsb__namebind_summary(struct ccsb_namebind *nb, int fd);
/* Stop the relay (open connections are cut) and free. NULL: no-op. */
void ccsb__namebind_free(struct ccsb_namebind *nb);

#endif
