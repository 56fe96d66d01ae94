/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb's network defaults: the default allowlist (ip-ranges.txt,
 * registries.txt beside it, the user's registry files; one skipped when the
 * sandbox could write it), and the environment (proxy variables passed, a CA
 * file named by NODE_EXTRA_CA_CERTS or SSL_CERT_FILE bound read-only, a
 * missing one refused). Made-up names only. */
#include "../../tools/netdefaults.h"
#include "tap.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccsandbox.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		bail_out(path);
}

/* The shell form of a run of `true` under `sb`, newly allocated. */
static char *shell_of(ccsb_sandbox *sb)
{
	char *out = NULL;
	ccsb_error *e = NULL;
	if (ccsb_sandbox_format_shell(sb, (char *[]){ "true", NULL }, &out, &e) < 0)
		bail_out(ccsb_error_message(e));
	return out;
}

int main(void)
{
	plan(20);
	char dir[] = "/tmp/ccsb-netdef.XXXXXX";
	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	char p[512], home[256], share[256], proj[256];
	snprintf(home, sizeof(home), "%s/home", dir);
	snprintf(share, sizeof(share), "%s/share", dir);
	snprintf(proj, sizeof(proj), "%s/proj", dir);
	mkdir(home, 0755);
	mkdir(share, 0755);
	mkdir(proj, 0755);
	snprintf(p, sizeof(p), "%s/ip-ranges.txt", share);
	write_file(p, "198.51.100.0/24\napi.test.example  # the API\n");
	setenv("CCSB_ALLOWLIST", p, 1);
	snprintf(p, sizeof(p), "%s/.npmrc", home);
	write_file(
		p,
		"registry=https://tok:secret@npm.test.example/\n@c:registry=https://corp.test.example/\n"
		"//npm.test.example/:_authToken=secret\n");
	snprintf(p, sizeof(p), "%s/pip.conf", proj);
	write_file(p, "[global]\nindex-url = https://evil.test.example/\n");
	setenv("HOME", home, 1);
	setenv("XDG_CONFIG_DIRS", "/nonexistent", 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("CARGO_HOME");
	unsetenv("NPM_CONFIG_REGISTRY");
	unsetenv("npm_config_registry");
	unsetenv("PIP_INDEX_URL");
	unsetenv("PIP_EXTRA_INDEX_URL");
	unsetenv("NPM_CONFIG_USERCONFIG");
	snprintf(p, sizeof(p), "%s/pip.conf", proj);
	setenv("PIP_CONFIG_FILE", p, 1);
	if (chdir(proj) < 0)
		bail_out("chdir");

	struct cli c;
	memset(&c, 0, sizeof(c));
	cli_free(&c);
	ccsb_error *e = NULL;
	size_t nreg = 99, given, merged;
	char warn[4096] = "";

	/* ---- the default allowlist ----------------------------------------- */
	ccsb_sandbox *sb = ccsb_sandbox_new();
	FILE *w = fmemopen(warn, sizeof(warn) - 1, "w");
	is_int(netdefaults_apply(sb, &c, w, &nreg, &e), 0, "apply: ip-ranges.txt and the npmrc");
	fclose(w);
	ccsb_sandbox_allowlist_count(sb, &given, &merged);
	is_int((int)given, 1, "the prefix of ip-ranges.txt");
	/* /etc/npmrc and /etc/pip.conf are read too: this machine's may add. */
	ok(ccsb_sandbox_allowlist_match(sb, "api.test.example") == 1 &&
		   ccsb_sandbox_allowlist_match(sb, "npm.test.example") == 1 &&
		   ccsb_sandbox_allowlist_match(sb, "corp.test.example") == 1,
	   "its name and the two registries of ~/.npmrc");
	ok(ccsb_sandbox_allowlist_match(sb, "evil.test.example") == 0,
	   "not the project's pip.conf");
	ok(nreg >= 2 && nreg == ccsb_sandbox_allowlist_name_count(sb) - 1,
	   "registry names counted (%zu)", nreg);
	ok(strstr(warn, "registries: not reading ") &&
		   strstr(warn, "/proj/pip.conf: the sandbox can write it"),
	   "a pip.conf in the project is not read, and that is said: %s", warn);
	ccsb_sandbox_free(sb);

	/* registries.txt beside ip-ranges.txt, and a bad one. */
	snprintf(p, sizeof(p), "%s/registries.txt", share);
	write_file(p, "# from the tools\nmirror.test.example  # npm\n");
	sb = ccsb_sandbox_new();
	is_int(netdefaults_apply(sb, &c, NULL, NULL, &e), 0, "apply with registries.txt");
	is_int(ccsb_sandbox_allowlist_match(sb, "mirror.test.example"), 1,
	       "registries.txt adds its name");
	ccsb_sandbox_free(sb);
	write_file(p, "bad..name\n");
	sb = ccsb_sandbox_new();
	is_int(netdefaults_apply(sb, &c, NULL, NULL, &e), -EINVAL,
	       "a bad registries.txt stops the run");
	ok(e && strstr(ccsb_error_message(e), "registries.txt:1"), "... naming file:line (%s)",
	   ccsb_error_message(e));
	ccsb_error_free(e);
	e = NULL;
	ccsb_sandbox_free(sb);
	unlink(p);

	/* ---- the environment ------------------------------------------------ */
	char ca[512];
	snprintf(ca, sizeof(ca), "%s/ca.pem", home);
	write_file(ca, "-----BEGIN CERTIFICATE-----\n");
	snprintf(p, sizeof(p), "%s/ca-link.pem", proj);
	if (symlink(ca, p) < 0)
		bail_out("symlink");
	setenv("NODE_EXTRA_CA_CERTS", p, 1);
	unsetenv("SSL_CERT_FILE");
	setenv("HTTPS_PROXY", "http://proxy.test.example:3128", 1);
	setenv("no_proxy", "localhost", 1);
	sb = ccsb_sandbox_new();
	is_int(netdefaults_env(sb, &e), 0, "env: proxies and a CA file");
	char *sh = shell_of(sb);
	ok(strstr(sh, "${HTTPS_PROXY+\"HTTPS_PROXY=$HTTPS_PROXY\"}") &&
		   strstr(sh, "${no_proxy+\"no_proxy=$no_proxy\"}") &&
		   strstr(sh, "${HTTP_PROXY+") && strstr(sh, "${ALL_PROXY+") &&
		   strstr(sh, "${all_proxy+") && strstr(sh, "${NO_PROXY+") &&
		   strstr(sh, "${http_proxy+") && strstr(sh, "${https_proxy+"),
	   "the eight proxy variables are passed (read at run time)");
	char want[1100];
	snprintf(want, sizeof(want), "--ro-bind %s %s ", ca, ca);
	ok(strstr(sh, want) != NULL, "the CA file is bound read-only at its canonical path");
	snprintf(want, sizeof(want), "NODE_EXTRA_CA_CERTS=%s ", ca);
	ok(strstr(sh, want) != NULL, "NODE_EXTRA_CA_CERTS names that path inside");
	ok(!strstr(sh, "ca-link.pem"), "... not the symlink it was given as");
	free(sh);
	ccsb_sandbox_free(sb);

	setenv("SSL_CERT_FILE", ca, 1);
	sb = ccsb_sandbox_new();
	is_int(netdefaults_env(sb, &e), 0, "env: SSL_CERT_FILE too");
	sh = shell_of(sb);
	snprintf(want, sizeof(want), "SSL_CERT_FILE=%s ", ca);
	ok(strstr(sh, want) != NULL, "SSL_CERT_FILE names the bound file");
	free(sh);
	ccsb_sandbox_free(sb);

	snprintf(p, sizeof(p), "%s/missing.pem", home);
	setenv("NODE_EXTRA_CA_CERTS", p, 1);
	sb = ccsb_sandbox_new();
	is_int(netdefaults_env(sb, &e), -ENOENT, "a missing CA file is refused");
	ccsb_sandbox_free(sb);
	setenv("NODE_EXTRA_CA_CERTS", home, 1);
	sb = ccsb_sandbox_new();
	is_int(netdefaults_env(sb, &e), -EINVAL, "a directory as CA file is refused");
	ccsb_sandbox_free(sb);
	unsetenv("NODE_EXTRA_CA_CERTS");
	unsetenv("SSL_CERT_FILE");
	sb = ccsb_sandbox_new();
	is_int(netdefaults_env(sb, &e), 0, "no CA variable: nothing to bind");
	ccsb_sandbox_free(sb);
	ccsb_error_free(e);

	if (chdir("/") == 0) {
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return done_testing();
}
