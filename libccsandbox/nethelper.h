/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The protocol between the library (net.c) and ccsb-net, the program that
 * configures a sandbox's network from inside its namespaces. Both come
 * from the same build; --protocol guards against a stray older helper.
 *
 *   ccsb-net --protocol=1 --mode=full|allowlist [--ipv6] [--dns] [--userns]
 *
 * Descriptors: 3 the report socket (SOCK_SEQPACKET), 4 the sandbox's network
 * namespace, 5 the user namespace that owns it (with --userns), 6 the
 * prefixes to route (allowlist mode: an array of struct ccsb_prefix, read to
 * EOF). The helper answers with one struct ccsb_net_report on 3; with --dns
 * and success, it carries three descriptors (SCM_RIGHTS): the DNS
 * listeners (UDP, TCP) on 127.0.0.1:53 and an rtnetlink socket, all in the
 * sandbox's network namespace. */
#ifndef CCSB_NETHELPER_H
#define CCSB_NETHELPER_H

#define CCSB_NET_PROTOCOL 1
#define CCSB_NET_FD_REPORT 3
#define CCSB_NET_FD_NETNS 4
#define CCSB_NET_FD_USERNS 5
#define CCSB_NET_FD_PREFIXES 6

#define TAP_NAME "tap0"
#define TAP_MTU 65520

struct ccsb_net_report {
	int code; /* positive errno; 0: success */
	char msg[240];
};

#endif
