/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* git's credential helper protocol as the broker serves it (broker.c):
 * the sandbox's request, checked against the allowlist's names, the request
 * given to the host's `git credential fill`, and the answer handed back
 * (username and password only). Pure; reads what the sandbox wrote, so
 * strict: see gitcredentials(7) and git-credential(1), "INPUT/OUTPUT
 * FORMAT". */
#ifndef CCSB_GITCRED_H
#define CCSB_GITCRED_H

#include "internal.h"

#include <stddef.h>

/* The largest request or answer accepted (git's are a few hundred bytes). */
#define CCSB_GITCRED_MAX 8192

struct ccsb_gitcred_req {
	char protocol[16];
	char host[CCSB_NAME_MAX + 7]; /* name[:port] */
	char path[1024];
	char username[256];
	bool has_path, has_username;
};

/* Parse `key=value` lines up to a blank line or the end. Keys other than
 * protocol, host, path and username are ignored (never passed on); each of
 * these at most once; values of printable characters only (no control
 * character, no NUL), within their field's size; every line ends in '\n'.
 * 0, or -EINVAL with a static reason in *why. */
int ccsb__gitcred_parse(const char *buf, size_t n, struct ccsb_gitcred_req *q, const char **why);
/* Whether the request may be served: protocol "https", a host that is a
 * domain name (an optional ":PORT", 1-65535) matched by one of the
 * allowlist's name patterns (`al` merged). 0 or -EPERM with *why. */
int ccsb__gitcred_check(const struct ccsb_gitcred_req *q, const struct ccsb_allowlist *al,
			const char **why);
/* The request for `git credential fill`, rebuilt from the checked fields
 * only. Returns its length, or -ENAMETOOLONG. */
int ccsb__gitcred_format(const struct ccsb_gitcred_req *q, char *out, size_t len);
/* From `git credential fill`'s output keep only "username=" and
 * "password=" (printable values; a password is required). Writes
 * "username=U\npassword=P\n" and returns its length; -EINVAL (no password,
 * malformed output), -ENAMETOOLONG. */
int ccsb__gitcred_answer(const char *buf, size_t n, char *out, size_t len);

#endif
