/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes as a git credential request from the sandbox
 * and as the host's `git credential fill` answer. Beyond crashes, checks
 * what the broker relies on: an accepted request has printable fields, the
 * request rebuilt for the host parses back to the same fields and nothing
 * else, an accepted host is https and named by the allowlist, and the
 * answer kept holds only username and password lines. */
#include "gitcred.h"
#include "fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ccsb_allowlist al;
	static bool init;
	if (!init) {
		init = true;
		check(ccsb__allowlist_add_name(&al, "git.example.test") == 0 &&
			      ccsb__allowlist_add_name(&al, "*.corp.example") == 0,
		      "allowlist");
		ccsb__allowlist_merge(&al);
	}
	const char *buf = (const char *)data, *why = NULL;
	struct ccsb_gitcred_req q, again;
	if (ccsb__gitcred_parse(buf, size, &q, &why) == 0) {
		check(printable(q.protocol) && printable(q.host) && printable(q.path) &&
			      printable(q.username),
		      "fields printable");
		char req[CCSB_GITCRED_MAX + 64];
		int n = ccsb__gitcred_format(&q, req, sizeof(req));
		check(n > 0, "format fits");
		check(ccsb__gitcred_parse(req, (size_t)n, &again, &why) == 0, "rebuilt parses");
		check(strcmp(q.protocol, again.protocol) == 0 && strcmp(q.host, again.host) == 0 &&
			      q.has_path == again.has_path && strcmp(q.path, again.path) == 0 &&
			      q.has_username == again.has_username &&
			      strcmp(q.username, again.username) == 0,
		      "rebuilt request has the same fields");
		if (ccsb__gitcred_check(&q, &al, &why) == 0) {
			check(strcmp(q.protocol, "https") == 0, "https only");
			char name[sizeof(q.host)];
			snprintf(name, sizeof(name), "%s", q.host);
			name[strcspn(name, ":")] = '\0';
			check(ccsb__allowlist_name_allowed(&al, name), "host allowed");
		} else {
			check(why != NULL, "refusal says why");
		}
	} else {
		check(why != NULL, "parse error says why");
	}
	char out[CCSB_GITCRED_MAX + 32];
	int n = ccsb__gitcred_answer(buf, size, out, sizeof(out));
	if (n >= 0) {
		check((size_t)n == strlen(out), "answer length");
		for (char *l = out; *l;) {
			char *nl = strchr(l, '\n');
			check(nl != NULL, "answer lines end in newline");
			*nl = '\0';
			check((strncmp(l, "username=", 9) == 0 ||
			       strncmp(l, "password=", 9) == 0) &&
				      printable(l),
			      "only username and password");
			l = nl + 1;
		}
	} else {
		check(n == -EINVAL || n == -ENAMETOOLONG, "answer error");
	}
	return 0;
}
