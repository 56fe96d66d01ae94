/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes through the ssh-agent module, as a framed
 * stream from the sandbox, as one request, as the user's agent's identity
 * list (filtered three ways), as data to describe, and as a key filter
 * specification. Beyond crashes, checks what the broker relies on: framing
 * never claims more than it has, a relayed request points inside the input,
 * a filtered list reads back well formed with exactly the keys kept, and a
 * key is exposed only if the filtered list holds it. */
#include "sshagent.h"
#include "fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void one_list(const uint8_t *d, size_t n, const struct ccsb_agent_filter *f)
{
	uint8_t *out = NULL;
	size_t on = 0;
	int kept = ccsb__agent_filter_identities(d, n, f, &out, &on);
	if (kept < 0) {
		check(kept == -EBADMSG || kept == -ENOMEM, "filter result");
		check(out == NULL, "nothing allocated on error");
		return;
	}
	check(on <= n && on >= 5, "filtered list size");
	struct ccsb_agent_iter it;
	const uint8_t *b, *c;
	size_t bn, cn;
	int r, count = 0;
	check(ccsb__agent_iter_init(&it, out, on) == 0, "filtered list parses");
	while ((r = ccsb__agent_iter_next(&it, &b, &bn, &c, &cn)) > 0) {
		check(ccsb__agent_filter_match(f, b, bn, c, cn), "only matching keys kept");
		check(ccsb__agent_exposed(d, n, f, b, bn, NULL, NULL) == 1, "kept key is exposed");
		check(ccsb__agent_exposed(out, on, f, b, bn, NULL, NULL) == 1,
		      "kept key is in the list");
		count++;
	}
	check(r == 0 && count == kept, "filtered list count");
	/* A key the filter hides in the original list (under every comment it
	 * is listed with) is not in the filtered one. */
	check(ccsb__agent_iter_init(&it, d, n) == 0, "original parses");
	while (ccsb__agent_iter_next(&it, &b, &bn, &c, &cn) > 0)
		if (ccsb__agent_exposed(d, n, f, b, bn, NULL, NULL) == 0)
			check(ccsb__agent_exposed(out, on, &(struct ccsb_agent_filter){ 0 }, b, bn,
						  NULL, NULL) == 0,
			      "a hidden key stays hidden");
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ccsb_agent_filter all, glob, fp;
	static bool init;
	const char *why;
	if (!init) {
		init = true;
		check(ccsb__agent_filter_parse("*work*,a?c,[x-z]*", &glob, &why) == 0,
		      "glob filter");
		check(ccsb__agent_filter_parse("SHA256:AJt1kmaagKEdzW+ImfneVc82zQuwvRUCAh6CXVfbU0A",
					       &fp, &why) == 0,
		      "fingerprint filter");
	}

	/* As a stream from a client. */
	size_t off = 0, body;
	int fr;
	while ((fr = ccsb__agent_frame(data + off, size - off, &body)) == 1) {
		check(body >= 1 && body <= CCSB_AGENT_MAX_MSG && 4 + body <= size - off,
		      "frame bounds");
		struct ccsb_agent_req q;
		const uint8_t *m = data + off + 4;
		check(ccsb__agent_parse_request(m, body, &q) == 0, "parse returns 0");
		check(q.what != NULL && printable(q.ext), "request described");
		if (q.kind == CCSB_AGENT_REQ_SIGN) {
			check(q.key >= m && q.key + q.keylen <= m + body && q.keylen > 0,
			      "key inside");
			check(q.data >= m && q.data + q.datalen <= m + body, "data inside");
			char s[96];
			ccsb__agent_describe_data(q.data, q.datalen, s, sizeof(s));
			check(printable(s), "description printable");
		}
		if (q.kind == CCSB_AGENT_REQ_SESSION_BIND)
			check(m[0] == CCSB_AGENTC_EXTENSION && q.key >= m &&
				      q.key + q.keylen <= m + body,
			      "session-bind");
		if (q.kind == CCSB_AGENT_REQ_LIST)
			check(body == 1 && m[0] == CCSB_AGENTC_REQUEST_IDENTITIES, "list");
		off += 4 + body;
	}
	check(fr == 0 || fr == -EMSGSIZE, "frame result");

	/* As one request, unframed. */
	struct ccsb_agent_req q;
	ccsb__agent_parse_request(data, size, &q);

	/* As an identity list. */
	one_list(data, size, &all);
	one_list(data, size, &glob);
	one_list(data, size, &fp);

	char s[96];
	ccsb__agent_describe_data(data, size, s, sizeof(s));
	check(printable(s), "description printable");
	ccsb__agent_key_type(data, size, s, sizeof(s));
	check(printable(s), "key type printable");

	/* As a filter specification. */
	char *spec = malloc(size + 1);
	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	struct ccsb_agent_filter f;
	int r = ccsb__agent_filter_parse(spec, &f, &why);
	check(r == 0 || r == -EINVAL || r == -ENOMEM, "filter parse result");
	if (r == 0) {
		for (size_t i = 0; i < f.n; i++)
			check(f.items[i][0] && printable(f.items[i]) && !strchr(f.items[i], ','),
			      "item");
		one_list(data, size, &f);
		ccsb__agent_filter_free(&f);
	}
	free(spec);
	return 0;
}
