/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --publish and --host-port: the library's spec parser and description
 * (relay.c), the tool's port lists and loopback proxy detection (ports.c).
 * The relays themselves run in tests/integration/ports.sh. */
#include "ccsandbox.h"
#include "ports.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void publish_ok(const char *spec, const char *want)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	char line[256];
	int r = ccsb_sandbox_add_publish(sb, spec, &e);

	ccsb_sandbox_describe_ports(sb, line, sizeof(line));
	ok(r == 0 && strcmp(line, want) == 0, "publish '%s': %s (%s)", spec, line,
	   e ? ccsb_error_message(e) : "ok");
	ccsb_error_free(e);
	ccsb_sandbox_free(sb);
}

static void publish_bad(const char *spec, const char *why)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	int r = ccsb_sandbox_add_publish(sb, spec, &e);
	const char *m = e ? ccsb_error_message(e) : "";

	ok(r == -EINVAL && strstr(m, why) && strstr(m, spec), "publish '%s' refused: %s", spec, m);
	ccsb_error_free(e);
	ccsb_sandbox_free(sb);
}

static void test_publish(void)
{
	publish_ok("5173", "published 127.0.0.1:5173 -> sandbox 5173");
	publish_ok("8080:80", "published 127.0.0.1:8080 -> sandbox 80");
	publish_ok("0.0.0.0:8080:80", "published 0.0.0.0:8080 -> sandbox 80");
	publish_ok("198.51.100.1:8080", "published 198.51.100.1:8080 -> sandbox 8080");
	publish_ok("localhost:8080:3000", "published 127.0.0.1:8080 -> sandbox 3000");
	publish_ok("[::1]:8080", "published [::1]:8080 -> sandbox 8080");
	publish_ok("[2001:db8::1]:8080:80", "published [2001:db8::1]:8080 -> sandbox 80");
	publish_ok("65535:1", "published 127.0.0.1:65535 -> sandbox 1");
	const char *form = "HOST_PORT[:SANDBOX_PORT]";
	publish_bad("", form);
	publish_bad("0", form);
	publish_bad("65536", form);
	publish_bad("8080:0", form);
	publish_bad("8080:", form);
	publish_bad(":8080", form);
	publish_bad("+80", form);
	publish_bad("80 ", form);
	publish_bad("1:2:3:4", form);
	publish_bad("[::1]8080", form);
	publish_bad("[::1:8080", form);
	publish_bad("example.com:8080:80", "not an IP address");
	publish_bad("10.0.0.300:80:80", "not an IP address");

	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	char line[256];
	ok(ccsb_sandbox_add_publish(sb, "8080:80", NULL) == 0 &&
		   ccsb_sandbox_add_publish(sb, "8080:80", NULL) == 0,
	   "the same spec twice (file and command line) counts once");
	ok(ccsb_sandbox_add_publish(sb, "8080:81", &e) == -EINVAL &&
		   strstr(ccsb_error_message(e), "published twice"),
	   "one host port to two sandbox ports: refused");
	ccsb_error_free(e);
	e = NULL;
	ok(ccsb_sandbox_add_host_port(sb, 5432, NULL) == 0 &&
		   ccsb_sandbox_add_host_port(sb, 5432, NULL) == 0 &&
		   ccsb_sandbox_add_host_port(sb, 6379, NULL) == 0,
	   "host ports added, a repeat counts once");
	is_int((int)ccsb_sandbox_describe_ports(sb, line, sizeof(line)), 3, "three ports");
	is_str(line, "published 127.0.0.1:8080 -> sandbox 80; host ports 5432, 6379",
	       "described on one line");
	is_int((int)ccsb_sandbox_describe_ports(sb, line, 12), 3, "a short buffer: still counted");
	is_str(line, "published 1", "... and the line cut");
	ok(ccsb_sandbox_add_host_port(sb, 0, NULL) == -EINVAL &&
		   ccsb_sandbox_add_host_port(sb, 65536, NULL) == -EINVAL,
	   "host port 0 and 65536 refused");
	for (unsigned p = 1; p <= 62; p++)
		ccsb_sandbox_add_host_port(sb, 10000 + p, NULL);
	ok(ccsb_sandbox_add_host_port(sb, 20000, &e) == -E2BIG, "the 65th host port: -E2BIG");
	ccsb_error_free(e);
	ccsb_sandbox_free(sb);
	ok(ccsb_sandbox_describe_ports(NULL, NULL, 0) == 0, "NULL sandbox: no ports");
}

static void test_list(void)
{
	unsigned v[4];
	char msg[128];

	ok(ports_parse_list("5432", v, 4, msg, sizeof(msg)) == 1 && v[0] == 5432, "one port");
	ok(ports_parse_list("5432,6379,1", v, 4, msg, sizeof(msg)) == 3 && v[1] == 6379 &&
		   v[2] == 1,
	   "three ports");
	static const char *const bad[] = { "",	    "0",  "65536", "5432,",
					   ",5432", "a",  "80x",   "1,,2",
					   " 80",   "-1", "+80",   "99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(ports_parse_list(bad[i], v, 4, msg, sizeof(msg)) == -1 && strstr(msg, "PORT"),
		   "'%s' refused: %s", bad[i], msg);
	ok(ports_parse_list("1,2,3,4,5", v, 4, msg, sizeof(msg)) == -1 && strstr(msg, "more than"),
	   "more than the room: refused");
}

static const char *const proxy_vars[] = { "HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
					  "http_proxy",	 "ALL_PROXY",	"all_proxy" };

static size_t proxies(const char *var, const char *val, unsigned *ports, const char **vars)
{
	for (size_t i = 0; i < sizeof(proxy_vars) / sizeof(*proxy_vars); i++)
		unsetenv(proxy_vars[i]);
	if (var)
		setenv(var, val, 1);
	return ports_loopback_proxies(ports, vars, 8);
}

static void test_proxies(void)
{
	unsigned p[8];
	const char *v[8];
	static const struct {
		const char *val;
		unsigned port;
	} cases[] = {
		{ "http://127.0.0.1:3128", 3128 },
		{ "http://127.0.0.1:3128/", 3128 },
		{ "127.0.0.1:3128", 3128 },
		{ "localhost:8888", 8888 },
		{ "http://LocalHost:8888", 8888 },
		{ "http://user:secret@127.0.0.1:3128/", 3128 },
		{ "socks5h://127.0.0.2:1080", 1080 },
		{ "http://proxy.example.com:3128", 0 },
		{ "http://198.51.100.1:3128", 0 },
		{ "http://127.0.0.1", 0 },
		{ "http://127.0.0.1:", 0 },
		{ "http://127.0.0.1:0", 0 },
		{ "http://127.0.0.1:99999", 0 },
		{ "http://127.0.0.1:3128x", 0 },
		{ "http://[::1]:3128", 3128 },
		{ "http://user:pw@[::1]:3128/", 3128 },
		{ "[0:0:0:0:0:0:0:1]:8080", 8080 },
		{ "http://[::1]", 0 },
		{ "http://[::1]3128", 0 },
		{ "http://[::1:3128", 0 },
		{ "http://[2001:db8::1]:3128", 0 },
		{ "http://[::ffff:127.0.0.1]:3128", 0 },
		{ "http://[localhost]:3128", 0 },
		{ "http://localhost.example.com:3128", 0 },
		{ "http://127.0.0.1.example.com:3128", 0 },
		{ "", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_t n = proxies("HTTPS_PROXY", cases[i].val, p, v);
		ok(cases[i].port ? n == 1 && p[0] == cases[i].port && !strcmp(v[0], "HTTPS_PROXY")
				 : n == 0,
		   "HTTPS_PROXY=%s: %s", cases[i].val, cases[i].port ? "relayed" : "not relayed");
	}
	proxies("http_proxy", "http://127.0.0.1:3128", p, v);
	setenv("HTTPS_PROXY", "http://localhost:3128", 1);
	setenv("all_proxy", "socks5://127.0.0.1:1080", 1);
	size_t n = ports_loopback_proxies(p, v, 8);
	ok(n == 2 && p[0] == 3128 && !strcmp(v[0], "HTTPS_PROXY") && p[1] == 1080 &&
		   !strcmp(v[1], "all_proxy"),
	   "one port per proxy, named by the first variable that gives it");

	/* Applied: a host port for the proxy, unless --net=none. */
	ccsb_sandbox *sb = ccsb_sandbox_new();
	char line[256];
	ccsb_sandbox_set_net(sb, CCSB_NET_ALLOWLIST, NULL);
	ok(ports_apply(sb, NULL, 0, NULL, 0, NULL) == 0 &&
		   ccsb_sandbox_describe_ports(sb, line, sizeof(line)) == 2,
	   "allowlist: the loopback proxies become host ports");
	is_str(line, "host ports 3128, 1080", "... 3128 and 1080");
	ccsb_sandbox_free(sb);
	sb = ccsb_sandbox_new();
	ccsb_sandbox_set_net(sb, CCSB_NET_NONE, NULL);
	ok(ports_apply(sb, NULL, 0, NULL, 0, NULL) == 0 &&
		   ccsb_sandbox_describe_ports(sb, line, sizeof(line)) == 0,
	   "--net=none: no relay for the proxy");
	ccsb_sandbox_free(sb);
	proxies(NULL, NULL, p, v);
}

int main(void)
{
	test_publish();
	test_list();
	test_proxies();
	return done_testing();
}
