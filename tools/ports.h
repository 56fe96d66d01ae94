/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb's port options: --publish, --host-port, and the relay of a proxy on
 * the host's loopback that HTTP(S)_PROXY names. */
#ifndef CCSB_PORTS_H
#define CCSB_PORTS_H

#include <stddef.h>
#include <stdio.h>

#include "ccsandbox.h"

/* Parse a --host-port value "PORT[,PORT...]" into ports[] (at most max);
 * returns how many, or -1 with a one-line message in errbuf. */
int ports_parse_list(const char *arg, unsigned *ports, size_t max, char *errbuf, size_t len);

/* The proxy variables that name a proxy on the host's loopback
 * (127.0.0.0/8 or localhost, with a port; the first of HTTPS_PROXY,
 * https_proxy, HTTP_PROXY, http_proxy, ALL_PROXY, all_proxy per port):
 * their ports in ports[], the variable names in vars[]. Returns how many. */
size_t ports_loopback_proxies(unsigned *ports, const char **vars, size_t max);

/* Add the published ports (`publish`, specs as given) and host ports
 * (`host_ports`, lists as given) to `sb`, and, unless its network mode is
 * none, a host port for each loopback proxy (set the mode first). 0, or a
 * negative errno with *err set. */
int ports_apply(ccsb_sandbox *sb, const char *const *publish, size_t npublish,
		const char *const *host_ports, size_t nhost_ports, ccsb_error **err);

/* The status line "PREFIXports: published ...; host ports ... (proxy
 * relayed: 3128 for HTTPS_PROXY)"; nothing without ports. */
void ports_describe(const ccsb_sandbox *sb, FILE *f, const char *prefix);

#endif
