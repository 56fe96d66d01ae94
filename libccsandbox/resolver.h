/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The allowlist mode's filtering DNS resolver (resolver.c): serves the
 * listeners the network helper opened on the sandbox's 127.0.0.1:53 from
 * ccsb's poll loop, forwards allowlisted names to the host's resolvers
 * through sockets in the host's namespace, refuses every other name
 * locally, and answers an allowed name with a synthetic address bound to it
 * (namebind.h) when the allowlist's prefixes do not cover its addresses;
 * without name binding, it adds a host route through the sandbox's
 * rtnetlink socket for each address of an accepted answer before the
 * answer is released. */
#ifndef CCSB_RESOLVER_H
#define CCSB_RESOLVER_H

#include "internal.h"

#include <poll.h>
#include <stdbool.h>

/* TCP clients served at once; more are accepted and closed. */
#define CCSB_RESOLVER_TCP_MAX 16
/* Queries upstream at once, each from its own socket; more are answered
 * SERVFAIL. */
#define CCSB_RESOLVER_PENDING_MAX 128
/* The most pollfds ccsb__resolver_pollfds() fills. */
#define CCSB_RESOLVER_MAXFDS (2 + CCSB_RESOLVER_PENDING_MAX + CCSB_RESOLVER_TCP_MAX)

struct ccsb_resolver;

/* Take over *udp, *tcp and *rtnl (set to -1), read the upstream servers from
 * the host's /etc/resolv.conf. Upstream sockets are opened here (the host's
 * namespace), one per query sent, so that each has a random source port
 * besides its random id; an answer truncated for a TCP client is asked
 * again over TCP. `al` is borrowed (the merged allowlist) and must outlive the
 * resolver. log_fd (-1: none) gets one line per refused query. */
int ccsb__resolver_new(struct ccsb_resolver **out, const struct ccsb_allowlist *al, bool ipv6,
		       int *udp, int *tcp, int *rtnl, int log_fd, ccsb_error **err);
struct ccsb_namebind;
/* Answer allowed names whose addresses no prefix covers with synthetic
 * addresses bound to them (namebind.h), instead of routing the addresses.
 * `nb` is borrowed and must outlive the resolver. */
void ccsb__resolver_set_namebind(struct ccsb_resolver *r, struct ccsb_namebind *nb);
/* Fill up to CCSB_RESOLVER_MAXFDS entries; returns the count. */
int ccsb__resolver_pollfds(struct ccsb_resolver *r, struct pollfd *pfd);
/* Milliseconds until the next deadline (a query timing out, a TCP client
 * idling), or -1 for none. */
int ccsb__resolver_timeout(const struct ccsb_resolver *r);
/* Serve what the poll result allows (pfd/n as filled by
 * ccsb__resolver_pollfds()), then expire what is due. Never blocks. */
void ccsb__resolver_io(struct ccsb_resolver *r, const struct pollfd *pfd, int n);
/* "ccsb: dns: refused N names: a.example (3), b.example (1); to allow one:
 * --allow=a.example, or the config line 'allow = a.example'\n" to fd, when
 * any name was refused. */
void ccsb__resolver_summary(const struct ccsb_resolver *r, int fd);
/* Send "dns_refused" and "route_added" events to `ev` (borrowed; NULL:
 * none). */
struct ccsb_events;
void ccsb__resolver_set_events(struct ccsb_resolver *r, struct ccsb_events *ev);
void ccsb__resolver_free(struct ccsb_resolver *r);

#endif
