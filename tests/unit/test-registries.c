/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The registries of the user's tools: URL host extraction, the npmrc,
 * pip.conf and cargo parsers, the environment, and reg_collect() over a
 * fake home (files the sandbox could write are skipped). Every host name
 * here is made up. */
#include "../../tools/registries.h"
#include "tap.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char hbuf[256];

static const char *host(const char *url)
{
	if (reg_url_host(url, strlen(url), hbuf, sizeof(hbuf)) < 0)
		return "(none)";
	return hbuf;
}

/* The hosts of `l`, space-separated, for comparison. */
static const char *hosts(const struct reg_list *l)
{
	static char out[1024];
	out[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		strcat(out, i ? " " : "");
		strcat(out, l->v[i].host);
	}
	return out;
}

typedef int (*parser)(const char *, size_t, const char *, struct reg_list *);

static const char *parse(parser fn, const char *text)
{
	struct reg_list l = { 0 };
	if (fn(text, strlen(text), "test", &l) < 0)
		bail_out("out of memory");
	const char *r = hosts(&l);
	reg_list_free(&l);
	return r;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		bail_out(path);
}

int main(void)
{
	plan(48);

	/* ---- URL host -------------------------------------------------------- */
	is_str(host("https://registry.test.example/"), "registry.test.example", "https URL");
	is_str(host("http://Mirror.Test.Example:8080/npm/"), "mirror.test.example",
	       "http, upper case, port and path");
	is_str(host("https://user:s3cret-token@reg.test.example/x"), "reg.test.example",
	       "user information (a token) is skipped");
	is_str(host("https://a@b@reg.test.example"), "reg.test.example", "the last '@' counts");
	is_str(host("\"https://quoted.test.example/\""), "quoted.test.example", "double quotes");
	is_str(host("'https://single.test.example/'"), "single.test.example", "single quotes");
	is_str(host("sparse+https://index.test.example/"), "index.test.example", "cargo sparse+");
	is_str(host("registry+https://index.test.example/"), "index.test.example", "registry+");
	is_str(host("https://[2001:db8::7]:8443/"), "2001:db8::7", "IPv6 literal");
	is_str(host("https://trailing.test.example./"), "trailing.test.example", "trailing dot");
	is_str(host("https://q.test.example?x=1"), "q.test.example", "query right after the host");
	is_str(host("ftp://ftp.test.example/"), "(none)", "other schemes are refused");
	is_str(host("file:///srv/registry"), "(none)", "file URLs have no host");
	is_str(host("https:///path"), "(none)", "empty host");
	is_str(host("https://bad host.test.example/"), "(none)", "a blank in the host");
	is_str(host("https://bad/host\\x.test/"), "bad", "the host ends at '/'");
	is_str(host("https://[2001:db8::7/"), "(none)", "unclosed bracket");
	is_str(host("registry.test.example"), "(none)", "no scheme");

	/* ---- npmrc ----------------------------------------------------------- */
	is_str(parse(reg_parse_npmrc, "registry=https://npm.test.example/\n"), "npm.test.example",
	       "npmrc: registry=");
	is_str(parse(reg_parse_npmrc, "  registry = \"https://npm.test.example/\"  \r\n"),
	       "npm.test.example", "npmrc: blanks, quotes, CRLF");
	is_str(parse(reg_parse_npmrc, "@corp:registry=https://corp.test.example/npm/\n"
				      "@other:registry = https://other.test.example\n"),
	       "corp.test.example other.test.example", "npmrc: scoped registries");
	is_str(parse(reg_parse_npmrc, "//npm.test.example/:_authToken=npm_SECRET\n"
				      "//npm.test.example/:_auth=c2VjcmV0\n"
				      "email=me@test.example\n"
				      "cafile=/etc/ssl/certs/ca.pem\n"
				      "; registry=https://commented.test.example/\n"
				      "# registry=https://commented2.test.example/\n"
				      "noregistry=https://wrongkey.test.example/\n"
				      "@:registry=https://emptyscope.test.example/\n"),
	       "", "npmrc: auth lines, other keys, comments are ignored");
	is_str(parse(reg_parse_npmrc, "registry=${MY_REGISTRY}\n"), "",
	       "npmrc: ${VAR} values are skipped");
	is_str(parse(reg_parse_npmrc,
		     "registry=https://a.test.example/\nregistry=https://A.test.example/"),
	       "a.test.example", "npmrc: duplicates once, last line without newline");

	/* ---- pip.conf -------------------------------------------------------- */
	is_str(parse(reg_parse_pipconf, "[global]\nindex-url = https://pypi.test.example/simple\n"),
	       "pypi.test.example", "pip: index-url");
	is_str(parse(reg_parse_pipconf,
		     "[install]\nextra-index-url =\n"
		     "    https://x1.test.example/simple\n"
		     "    https://tok@x2.test.example/simple https://x3.test.example/\n"
		     "trusted-host = notme.test.example\n"
		     "    https://notme2.test.example/\n"),
	       "x1.test.example x2.test.example x3.test.example",
	       "pip: multi-line extra-index-url; continuation ends at the next key");
	is_str(parse(reg_parse_pipconf, "[global]\nINDEX_URL: https://colon.test.example/\n"),
	       "colon.test.example", "pip: ':' separator, underscores, upper case");
	is_str(parse(reg_parse_pipconf, "[global]\n# index-url = https://c.test.example/\n"
					"cert = /etc/ssl/certs/ca.pem\nfind-links = /opt/wheels\n"),
	       "", "pip: comments and other keys are ignored");
	is_str(parse(reg_parse_pipconf, "[global]\nindex-url = ${PIP_MIRROR}/simple\n"), "",
	       "pip: ${VAR} values are skipped");

	/* ---- cargo ----------------------------------------------------------- */
	is_str(parse(reg_parse_cargo,
		     "[registries.corp]\nindex = \"sparse+https://crates.test.example/index/\"\n"
		     "token = \"cargo-SECRET\"\n"),
	       "crates.test.example", "cargo: [registries.NAME] index");
	is_str(parse(reg_parse_cargo,
		     "[source.crates-io]\nreplace-with = \"mirror\"\n\n"
		     "[source.mirror]\nregistry = \"https://mirror.test.example/index\"\n"),
	       "mirror.test.example", "cargo: source replacement");
	is_str(parse(reg_parse_cargo,
		     "[registries]\ncorp = { index = \"https://inline.test.example/\", "
		     "token = \"x\" }\n"),
	       "inline.test.example", "cargo: inline table");
	is_str(parse(reg_parse_cargo,
		     "registries.dotted.index = 'https://dotted.test.example/'\n"
		     "[registries . \"quoted\"]\nindex = \"https://quoted.test.example/\"\n"),
	       "dotted.test.example quoted.test.example", "cargo: dotted keys, quoted table names");
	is_str(parse(reg_parse_cargo, "[registry]\nindex = \"https://old.test.example/\"\n"),
	       "old.test.example", "cargo: the old [registry] index");
	is_str(parse(reg_parse_cargo,
		     "[http]\nproxy = \"http://proxy.test.example:3128\"\n"
		     "[net]\ngit-fetch-with-cli = true\n"
		     "[registries.a.b]\nindex = \"https://deep.test.example/\"\n"
		     "# [registries.c]\nindex = \"https://comment.test.example/\"\n"),
	       "", "cargo: other tables and keys are ignored");

	/* ---- environment ------------------------------------------------------ */
	{
		char *env[] = {
			"HOME=/nowhere",
			"NPM_CONFIG_REGISTRY=https://envnpm.test.example/",
			"PIP_INDEX_URL=https://envpip.test.example/simple",
			"PIP_EXTRA_INDEX_URL=https://e1.test.example/ https://e2.test.example/",
			"CARGO_REGISTRIES_CORP_INDEX=sparse+https://envcargo.test.example/",
			"CARGO_REGISTRIES_CORP_TOKEN=https://token.test.example/",
			"NPM_CONFIG_REGISTRYX=https://wrong.test.example/",
			NULL
		};
		struct reg_list l = { 0 };
		is_int(reg_parse_env(env, &l), 0, "environment parsed");
		is_str(hosts(&l),
		       "envnpm.test.example envpip.test.example e1.test.example e2.test.example "
		       "envcargo.test.example",
		       "NPM_CONFIG_REGISTRY, PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, CARGO_REGISTRIES_*_INDEX");
		ok(l.n == 5 && strcmp(l.v[0].from, "NPM_CONFIG_REGISTRY") == 0 &&
			   strcmp(l.v[4].from, "CARGO_REGISTRIES_CORP_INDEX") == 0,
		   "each host says where it came from");
		reg_list_free(&l);
	}

	/* ---- reg_collect over a fake home -------------------------------------- */
	char dir[] = "/tmp/ccsb-reg.XXXXXX";
	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	char home[256], proj[256], p[512];
	snprintf(home, sizeof(home), "%s/home", dir);
	snprintf(proj, sizeof(proj), "%s/proj", dir);
	mkdir(home, 0755);
	mkdir(proj, 0755);
	snprintf(p, sizeof(p), "%s/.npmrc", home);
	write_file(
		p,
		"registry=https://home-npm.test.example/\n//home-npm.test.example/:_authToken=T\n");
	snprintf(p, sizeof(p), "%s/.config", home);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/.config/pip", home);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/.config/pip/pip.conf", home);
	write_file(p, "[global]\nindex-url = https://home-pip.test.example/simple\n");
	snprintf(p, sizeof(p), "%s/.cargo", home);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/.cargo/config.toml", home);
	write_file(p, "[source.m]\nregistry = \"sparse+https://home-cargo.test.example/\"\n");
	/* In the project (the sandbox writes there): never read. */
	snprintf(p, sizeof(p), "%s/pip.conf", proj);
	write_file(p, "[global]\nindex-url = https://evil.test.example/\n");
	char pipcfg[600], userconf[600];
	snprintf(pipcfg, sizeof(pipcfg), "PIP_CONFIG_FILE=%s/pip.conf", proj);
	/* A symlink from the home into the project is resolved first. */
	snprintf(p, sizeof(p), "%s/npmrc-link", home);
	char target[600];
	snprintf(target, sizeof(target), "%s/npmrc", proj);
	write_file(target, "registry=https://evil2.test.example/\n");
	if (symlink(target, p) < 0)
		bail_out("symlink");
	snprintf(userconf, sizeof(userconf), "NPM_CONFIG_USERCONFIG=%s", p);
	char realproj[PATH_MAX];
	if (!realpath(proj, realproj))
		bail_out("realpath");
	const char *roots[] = { realproj };
	char skipped[1024];

	{
		char *env[] = { "PATH=/usr/bin", "XDG_CONFIG_DIRS=/nonexistent", NULL };
		struct reg_list l = { 0 };
		is_int(reg_collect(home, env, roots, 1, &l, skipped, sizeof(skipped)), 0,
		       "collect");
		const char *h = hosts(&l);
		ok(strstr(h, "home-npm.test.example") && strstr(h, "home-pip.test.example") &&
			   strstr(h, "home-cargo.test.example"),
		   "collect: ~/.npmrc, ~/.config/pip/pip.conf, ~/.cargo/config.toml (%s)", h);
		ok(!strstr(h, "evil"), "collect: nothing from the project");
		is_str(skipped, "", "collect: nothing skipped");
		reg_list_free(&l);
	}
	{
		char *env[] = { pipcfg, userconf, "XDG_CONFIG_DIRS=/nonexistent", NULL };
		struct reg_list l = { 0 };
		is_int(reg_collect(home, env, roots, 1, &l, skipped, sizeof(skipped)), 0,
		       "collect with PIP_CONFIG_FILE and NPM_CONFIG_USERCONFIG in the project");
		const char *h = hosts(&l);
		ok(!strstr(h, "evil"),
		   "collect: a config file the sandbox could write is not read (%s)", h);
		ok(!strstr(h, "home-npm"), "collect: NPM_CONFIG_USERCONFIG replaces ~/.npmrc");
		ok(strstr(skipped, "pip.conf") && strstr(skipped, "npmrc-link"),
		   "collect: both are named as skipped (%s)", skipped);
		reg_list_free(&l);
	}
	{
		struct reg_list l = { 0 };
		char *env[] = { "XDG_CONFIG_DIRS=/nonexistent", NULL };
		is_int(reg_collect(NULL, env, NULL, 0, &l, NULL, 0), 0, "collect without a home");
		ok(!strstr(hosts(&l), "home-"), "... reads no home file");
		reg_list_free(&l);
	}
	reg_list_free(NULL);

	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
