/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb's default allowlist: the installed ip-ranges.txt (prefixes, and the
 * names Claude Code and GitHub need), registries.txt beside it (the
 * registries `make install` found in the tools' configuration), and the
 * registries the user's own npm, pip and cargo configuration names now
 * (registries.h). --no-default-allowlist drops all three. */
#ifndef CCSB_NETDEFAULTS_H
#define CCSB_NETDEFAULTS_H

#include <stdbool.h>
#include <stdio.h>

#include "ccsandbox.h"
#include "cli.h"

/* $CCSB_ALLOWLIST when set, else the installed ip-ranges.txt. */
const char *netdefaults_path(void);

/* Add the default allowlist to `sb`. The user's registry files that the
 * sandbox could write (the current directory, `c`'s --rw binds) are not
 * read; with `warn` (may be NULL) one line names each, and each registry
 * host that cannot be an allowlist entry. `registries` (may be NULL)
 * receives the number of registry names added. Returns 0, or a negative
 * errno with *err set (ip-ranges.txt or registries.txt unreadable or bad). */
int netdefaults_apply(ccsb_sandbox *sb, const struct cli *c, FILE *warn, size_t *registries,
		      ccsb_error **err);

/* The network environment a user's tools expect: HTTP_PROXY, HTTPS_PROXY,
 * NO_PROXY, ALL_PROXY (and lower case) passed when set; NODE_EXTRA_CA_CERTS
 * and SSL_CERT_FILE, when set, name a CA file that is bound read-only at
 * its canonical path, and the variable is set to that path. A named CA file
 * that is missing or not a regular file is refused (-ENOENT, -EINVAL): a
 * line on stderr names the variable and the fix, *err is left unset. A run
 * without the CA would fail later with a TLS error that does not say why.
 * Returns 0 or a negative errno (*err set by the library's calls). */
int netdefaults_env(ccsb_sandbox *sb, ccsb_error **err);

/* `ccsb doctor`'s policy check: whether the API host that `ccsb claude`
 * will reach (ANTHROPIC_BASE_URL's host when set, else api.anthropic.com) is
 * allowed by the effective policy: the configuration file (its net, allow,
 * allow-file, no-default-allowlist) over the defaults. Returns 0 (ok), 1
 * (a warning: net = none chosen in the configuration) or 2 (a failure: the
 * allowlist does not let it through, or ANTHROPIC_BASE_URL has no host),
 * with one line in `what` and, when not ok, the fix in `fix` ("" else). */
int netdefaults_check_api(char *what, size_t whatlen, char *fix, size_t fixlen);

/* The same for the proxy that HTTPS_PROXY (then https_proxy, HTTP_PROXY,
 * http_proxy, ALL_PROXY, all_proxy) names: -1 when none is set (nothing
 * to say), 0 when its host is reachable, 1 (a warning) when the allowlist
 * does not let the sandbox reach it. */
int netdefaults_check_proxy(char *what, size_t whatlen, char *fix, size_t fixlen);

#endif
