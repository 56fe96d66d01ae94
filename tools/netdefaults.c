/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "netdefaults.h"
#include "ports.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "registries.h"

extern char **environ;

const char *netdefaults_path(void)
{
	const char *p = getenv("CCSB_ALLOWLIST");
	return p && *p ? p : CCSB_PKGDATADIR "/ip-ranges.txt";
}

/* registries.txt in the directory of `allowlist`. */
static int registries_txt(const char *allowlist, char *out, size_t len)
{
	const char *slash = strrchr(allowlist, '/');
	int n = slash ? snprintf(out, len, "%.*s/registries.txt", (int)(slash - allowlist),
				 allowlist)
		      : snprintf(out, len, "registries.txt");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int netdefaults_apply(ccsb_sandbox *sb, const struct cli *c, FILE *warn, size_t *registries,
		      ccsb_error **err)
{
	const char *path = netdefaults_path();
	char regs[PATH_MAX];
	int r;
	if (registries)
		*registries = 0;
	if ((r = ccsb_sandbox_allow_file(sb, path, err)) < 0)
		return r;
	/* Written by `make install`; an uninstalled build has none. */
	if (registries_txt(path, regs, sizeof(regs)) == 0 && access(regs, F_OK) == 0 &&
	    (r = ccsb_sandbox_allow_file(sb, regs, err)) < 0)
		return r;

	/* Roots the sandbox can write: never read a registry file there. */
	char cwd[PATH_MAX], real[PATH_MAX];
	const char **roots = calloc(c->nbinds + 1, sizeof(*roots));
	char **owned = calloc(c->nbinds + 1, sizeof(*owned));
	size_t nroots = 0;
	if (!roots || !owned) {
		free(roots);
		free(owned);
		return ccsb_error_set(err, ENOMEM, "out of memory");
	}
	if (getcwd(cwd, sizeof(cwd)) && realpath(cwd, real) && (owned[nroots] = strdup(real)))
		roots[nroots] = owned[nroots], nroots++;
	for (size_t i = 0; i < c->nbinds; i++)
		if (c->binds[i].rw && realpath(c->binds[i].src, real) &&
		    (owned[nroots] = strdup(real)))
			roots[nroots] = owned[nroots], nroots++;

	const char *home = getenv("HOME");
	struct reg_list l = { 0 };
	char skipped[2048];
	r = reg_collect(home && home[0] == '/' ? home : NULL, environ, roots, nroots, &l, skipped,
			sizeof(skipped));
	for (size_t i = 0; i < nroots; i++)
		free(owned[i]);
	free(owned);
	free(roots);
	if (r < 0) {
		reg_list_free(&l);
		return ccsb_error_set(err, ENOMEM, "out of memory");
	}
	if (warn && skipped[0]) {
		for (char *s = skipped, *nl; s && *s; s = nl ? nl + 1 : NULL) {
			nl = strchr(s, '\n');
			fprintf(warn,
				"ccsb: registries: not reading %.*s: the sandbox can write it\n",
				(int)(nl ? nl - s : (long)strlen(s)), s);
		}
	}
	for (size_t i = 0; i < l.n; i++) {
		ccsb_error *e = NULL;
		r = ccsb_sandbox_allow(sb, l.v[i].host, &e);
		if (r == -ENOMEM) {
			ccsb_error_free(e);
			reg_list_free(&l);
			return ccsb_error_set(err, ENOMEM, "out of memory");
		}
		if (r < 0 && warn)
			fprintf(warn,
				"ccsb: registries: %s names '%s', which cannot be allowed by name (%s); "
				"add its address with --allow=ADDRESS\n",
				l.v[i].from, l.v[i].host, ccsb_error_message(e));
		else if (r == 0 && registries)
			(*registries)++;
		ccsb_error_free(e);
	}
	reg_list_free(&l);
	return 0;
}

int netdefaults_env(ccsb_sandbox *sb, ccsb_error **err)
{
	static const char *const pass[] = { "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
					    "http_proxy", "https_proxy", "no_proxy", "all_proxy" };
	static const char *const cas[] = { "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE" };
	int r;
	for (size_t i = 0; i < sizeof(pass) / sizeof(*pass); i++)
		if ((r = ccsb_sandbox_env_pass(sb, pass[i], err)) < 0)
			return r;
	for (size_t i = 0; i < sizeof(cas) / sizeof(*cas); i++) {
		const char *v = getenv(cas[i]);
		char real[PATH_MAX], msg[PATH_MAX + 256];
		struct stat st;
		if (!v || !*v)
			continue;
		if (!realpath(v, real) || stat(real, &st) < 0) {
			snprintf(msg, sizeof(msg),
				 "%s=%s: %s; point it at your CA file or unset it", cas[i], v,
				 strerror(errno));
			return ccsb_error_set(err, ENOENT, "%s", msg);
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(msg, sizeof(msg),
				 "%s=%s: not a regular file; point it at your CA file "
				 "or unset it",
				 cas[i], v);
			return ccsb_error_set(err, EINVAL, "%s", msg);
		}
		if ((r = ccsb_sandbox_add_bind(sb, real, real, CCSB_BIND_RO, err)) < 0 ||
		    (r = ccsb_sandbox_env_set(sb, cas[i], real, err)) < 0)
			return r;
	}
	return 0;
}

int netdefaults_check_api(char *what, size_t whatlen, char *fix, size_t fixlen)
{
	char host[256], used[PATH_MAX], msg[PATH_MAX + 512];
	const char *base = getenv("ANTHROPIC_BASE_URL");
	bool from_env = base && *base;
	fix[0] = '\0';
	if (from_env && reg_url_host(base, strlen(base), host, sizeof(host)) < 0) {
		snprintf(what, whatlen,
			 "policy: ANTHROPIC_BASE_URL=%.200s has no host that ccsb "
			 "can allow",
			 base);
		snprintf(fix, fixlen, "set ANTHROPIC_BASE_URL to an http(s) URL, or unset it");
		return 2;
	}
	if (!from_env)
		snprintf(host, sizeof(host), "api.anthropic.com");
	const char *who = from_env ? "ANTHROPIC_BASE_URL's host" : "the API";

	struct cli c;
	memset(&c, 0, sizeof(c));
	cli_free(&c);
	if (config_load(&c, used, sizeof(used), msg, sizeof(msg)) < 0) {
		snprintf(what, whatlen,
			 "policy: cannot tell whether %s (%s) is allowed: the "
			 "configuration does not load",
			 host, who);
		snprintf(fix, fixlen, "fix the configuration (see the line above)");
		cli_free(&c);
		return 2;
	}
	char where[PATH_MAX];
	const char *conf = used[0]				    ? used
			   : config_path(where, sizeof(where)) == 0 ? where
								    : "~/.config/ccsb/config";
	int level = 0;
	if (c.net == CCSB_NET_FULL) {
		snprintf(what, whatlen, "policy: %s (%s) is reachable: net = full in %s", host, who,
			 conf);
	} else if (c.net == CCSB_NET_NONE) {
		snprintf(what, whatlen,
			 "policy: `ccsb claude` cannot reach %s (%s): net = none in %s", host, who,
			 conf);
		snprintf(fix, fixlen,
			 "ccsb --net=allowlist claude   (for one run)\n"
			 "or remove the line 'net = none' from %s",
			 conf);
		level = 1;
	} else {
		ccsb_sandbox *sb = ccsb_sandbox_new();
		ccsb_error *e = NULL;
		size_t nreg = 0;
		int r = sb ? 0 : -ENOMEM;
		if (r == 0 && !c.no_default_allowlist)
			r = netdefaults_apply(sb, &c, NULL, &nreg, &e);
		for (size_t i = 0; r == 0 && i < c.nallow_files; i++)
			r = ccsb_sandbox_allow_file(sb, c.allow_files[i], &e);
		for (size_t i = 0; r == 0 && i < c.nallow; i++)
			r = ccsb_sandbox_allow(sb, c.allow[i], &e);
		int m = r == 0 ? ccsb_sandbox_allowlist_match(sb, host) : r;
		if (r < 0) {
			snprintf(what, whatlen, "policy: cannot build the allowlist: %s",
				 e ? ccsb_error_message(e) : strerror(-r));
			snprintf(fix, fixlen, "fix the file it names (see the lines above)");
			level = 2;
		} else if (m == 1) {
			snprintf(what, whatlen,
				 "policy: %s (%s) is allowed (%s%s; %zu registry name%s "
				 "from your tools' files)",
				 host, who,
				 c.no_default_allowlist
					 ? "by your configuration, without the defaults"
					 : "the default allowlist ",
				 c.no_default_allowlist ? "" : netdefaults_path(), nreg,
				 nreg == 1 ? "" : "s");
		} else {
			snprintf(what, whatlen,
				 "policy: %s (%s) is not allowed: `ccsb claude` cannot "
				 "reach it%s",
				 host, who,
				 c.no_default_allowlist
					 ? " (no-default-allowlist in your configuration)"
					 : "");
			snprintf(fix, fixlen,
				 "add the line 'allow = %s' to %s\n"
				 "(or for one run: ccsb --allow=%s claude)",
				 host, conf, host);
			level = 2;
		}
		ccsb_error_free(e);
		ccsb_sandbox_free(sb);
	}
	cli_free(&c);
	return level;
}

int netdefaults_check_proxy(char *what, size_t whatlen, char *fix, size_t fixlen)
{
	static const char *const vars[] = { "HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
					    "http_proxy",  "ALL_PROXY",	  "all_proxy" };
	const char *var = NULL, *val = NULL;
	for (size_t i = 0; !var && i < sizeof(vars) / sizeof(*vars); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			var = vars[i], val = v;
	}
	fix[0] = '\0';
	if (!var)
		return -1;
	/* curl's forms: "host:port", "http://...", "socks5h://...": any
	 * scheme, read as http for the host. */
	char url[1024], host[256];
	const char *sep = strstr(val, "://");
	snprintf(url, sizeof(url), "http://%s", sep ? sep + 3 : val);
	if (reg_url_host(url, strlen(url), host, sizeof(host)) < 0) {
		snprintf(what, whatlen, "proxy: %s=%.200s has no host", var, val);
		snprintf(fix, fixlen, "set %s to the proxy's URL (http://HOST:PORT), or unset it",
			 var);
		return 1;
	}
	struct cli c;
	char used[PATH_MAX], msg[PATH_MAX + 512], where[PATH_MAX];
	memset(&c, 0, sizeof(c));
	cli_free(&c);
	if (config_load(&c, used, sizeof(used), msg, sizeof(msg)) < 0) {
		cli_free(&c);
		snprintf(what, whatlen, "proxy: %s (%s): the configuration does not load", host,
			 var);
		return 1;
	}
	const char *conf = used[0]				    ? used
			   : config_path(where, sizeof(where)) == 0 ? where
								    : "~/.config/ccsb/config";
	int level = 0;
	unsigned lports[8];
	const char *lvars[8];
	size_t nl = ports_loopback_proxies(lports, lvars, 8);
	if (c.net == CCSB_NET_NONE) {
		snprintf(what, whatlen, "proxy: %s (%s) is not reachable: net = none", host, var);
		level = 1;
	} else if (nl && strcmp(lvars[0], var) == 0) {
		snprintf(what, whatlen,
			 "proxy: %s (%s) is on the host's loopback: relayed into the "
			 "sandbox (host port %u)",
			 host, var, lports[0]);
	} else if (c.net == CCSB_NET_FULL) {
		snprintf(what, whatlen, "proxy: %s (%s) is reachable: net = full", host, var);
	} else {
		ccsb_sandbox *sb = ccsb_sandbox_new();
		ccsb_error *e = NULL;
		int r = sb ? 0 : -ENOMEM;
		if (r == 0 && !c.no_default_allowlist)
			r = netdefaults_apply(sb, &c, NULL, NULL, &e);
		for (size_t i = 0; r == 0 && i < c.nallow_files; i++)
			r = ccsb_sandbox_allow_file(sb, c.allow_files[i], &e);
		for (size_t i = 0; r == 0 && i < c.nallow; i++)
			r = ccsb_sandbox_allow(sb, c.allow[i], &e);
		if (r == 0 && ccsb_sandbox_allowlist_match(sb, host) == 1) {
			snprintf(what, whatlen,
				 "proxy: %s (%s) is allowed; what it forwards is "
				 "reachable from the sandbox",
				 host, var);
		} else if (r == 0) {
			snprintf(what, whatlen,
				 "proxy: %s (%s) is not allowed: tools inside that use "
				 "the proxy cannot reach it",
				 host, var);
			snprintf(fix, fixlen,
				 "add the line 'allow = %s' to %s (then whatever the "
				 "proxy forwards is reachable)\nor unset %s for ccsb",
				 host, conf, var);
			level = 1;
		} else {
			snprintf(what, whatlen, "proxy: cannot build the allowlist: %s",
				 e ? ccsb_error_message(e) : strerror(-r));
			level = 1;
		}
		ccsb_error_free(e);
		ccsb_sandbox_free(sb);
	}
	cli_free(&c);
	return level;
}
