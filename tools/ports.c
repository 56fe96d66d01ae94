/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb's port options (ports.h); the relays themselves are the library's
 * (libccsandbox/relay.c). */
#include "ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int ports_parse_list(const char *arg, unsigned *ports, size_t max, char *errbuf, size_t len)
{
	size_t n = 0;
	const char *p = arg;

	if (!*arg) {
		snprintf(errbuf, len, "empty; expected PORT[,PORT...] (e.g. 5432,6379)");
		return -1;
	}
	for (;;) {
		char *end;
		unsigned long v;

		errno = 0;
		v = (*p >= '0' && *p <= '9') ? strtoul(p, &end, 10) : 0;
		if (!v || v > 65535 || errno || (*end && *end != ',')) {
			snprintf(errbuf, len,
				 "expected PORT[,PORT...] with ports 1-65535 (e.g. 5432,6379)");
			return -1;
		}
		if (n == max) {
			snprintf(errbuf, len, "more than %zu ports", max);
			return -1;
		}
		ports[n++] = (unsigned)v;
		if (!*end)
			return (int)n;
		p = end + 1;
	}
}

/* The port of a proxy URL whose host is the host's loopback; 0 otherwise.
 * curl's forms: "host:port", "http://user:pw@host:port/", any scheme. */
static unsigned loopback_port(const char *val)
{
	const char *sep = strstr(val, "://"), *h = sep ? sep + 3 : val, *at, *end, *colon;
	char host[256];
	struct in_addr a;
	struct in6_addr a6;

	end = h + strcspn(h, "/?#");
	if ((at = memchr(h, '@', (size_t)(end - h))))
		h = at + 1;
	if (*h == '[') {
		/* [::1]:PORT: the relay tries the host's 127.0.0.1, then ::1. */
		const char *close = memchr(h, ']', (size_t)(end - h));
		if (!close || close[1] != ':' || (size_t)(close - h - 1) >= sizeof(host))
			return 0;
		snprintf(host, sizeof(host), "%.*s", (int)(close - h - 1), h + 1);
		if (inet_pton(AF_INET6, host, &a6) != 1 || !IN6_IS_ADDR_LOOPBACK(&a6))
			return 0;
		colon = close + 1;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		if (!colon || (size_t)(colon - h) >= sizeof(host))
			return 0;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - h), h);
		if (strcasecmp(host, "localhost") != 0 &&
		    !(inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127))
			return 0;
	}
	char *pend;
	unsigned long port = strtoul(colon + 1, &pend, 10);
	return pend != colon + 1 && pend == end && port >= 1 && port <= 65535 ? (unsigned)port : 0;
}

size_t ports_loopback_proxies(unsigned *ports, const char **vars, size_t max)
{
	static const char *const names[] = { "HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
					     "http_proxy",  "ALL_PROXY",   "all_proxy" };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(*names) && n < max; i++) {
		const char *v = getenv(names[i]);
		unsigned port = v ? loopback_port(v) : 0;
		bool seen = false;

		for (size_t k = 0; k < n; k++)
			seen |= ports[k] == port;
		if (port && !seen) {
			ports[n] = port;
			vars[n++] = names[i];
		}
	}
	return n;
}

int ports_apply(ccsb_sandbox *sb, const char *const *publish, size_t npublish,
		const char *const *host_ports, size_t nhost_ports, ccsb_error **err)
{
	unsigned list[64], proxies[8];
	const char *vars[8];
	char msg[256];
	int r, n;

	for (size_t i = 0; i < npublish; i++)
		if ((r = ccsb_sandbox_add_publish(sb, publish[i], err)) < 0)
			return r;
	for (size_t i = 0; i < nhost_ports; i++) {
		/* Checked by the option parser already. */
		if ((n = ports_parse_list(host_ports[i], list, 64, msg, sizeof(msg))) < 0) {
			fprintf(stderr, "ccsb: --host-port=%s: %s\n", host_ports[i], msg);
			return -EINVAL;
		}
		for (int k = 0; k < n; k++)
			if ((r = ccsb_sandbox_add_host_port(sb, list[k], err)) < 0)
				return r;
	}
	/* A proxy on the host's loopback is unreachable inside (the host's
	 * loopback is blocked): relay its port, so that proxied tools work.
	 * Never under --net=none, which stays without a network. */
	if (ccsb_sandbox_get_net(sb) == CCSB_NET_NONE)
		return 0;
	size_t np = ports_loopback_proxies(proxies, vars, 8);
	for (size_t i = 0; i < np; i++)
		if ((r = ccsb_sandbox_add_host_port(sb, proxies[i], err)) < 0)
			return r;
	return 0;
}

void ports_describe(const ccsb_sandbox *sb, FILE *f, const char *prefix)
{
	unsigned proxies[8];
	const char *vars[8];
	char line[1024];
	size_t np = 0;

	if (!ccsb_sandbox_describe_ports(sb, line, sizeof(line)))
		return;
	if (ccsb_sandbox_get_net(sb) != CCSB_NET_NONE)
		np = ports_loopback_proxies(proxies, vars, 8);
	fprintf(f, "%sports: %s", prefix, line);
	for (size_t i = 0; i < np; i++)
		fprintf(f, "%s%u for %s", i ? ", " : " (proxy relayed: ", proxies[i], vars[i]);
	fprintf(f, "%s\n", np ? ")" : "");
}
