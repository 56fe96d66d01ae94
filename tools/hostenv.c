/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hostenv.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *var;
	ccsb_helper which;
} helpers[] = {
	{ "CCSB_BWRAP", CCSB_HELPER_BWRAP },	    { "CCSB_SLIRP4NETNS", CCSB_HELPER_SLIRP4NETNS },
	{ "CCSB_EXEC_HELPER", CCSB_HELPER_EXEC },   { "CCSB_NET_HELPER", CCSB_HELPER_NET },
	{ "CCSB_STATE_HELPER", CCSB_HELPER_STATE },
};

int hostenv_apply(ccsb_sandbox *sb, ccsb_error **err)
{
	int r;
	for (size_t i = 0; i < sizeof(helpers) / sizeof(*helpers); i++) {
		const char *v = getenv(helpers[i].var);
		ccsb_error *e = NULL;
		if (!v || !*v)
			continue;
		if ((r = ccsb_sandbox_set_helper(sb, helpers[i].which, v, &e)) < 0) {
			ccsb_error_set(err, -r, "%s: %s", helpers[i].var,
				       e ? ccsb_error_message(e) : "out of memory");
			ccsb_error_free(e);
			return r;
		}
	}
	/* Tests only: a binding's least lifetime, so that a test need not
	 * wait a minute for one to expire. */
	const char *floor = getenv("CCSB_TEST_TTL_FLOOR");
	if (floor && *floor &&
	    (r = ccsb_sandbox_set_name_ttl_floor(sb, (unsigned)strtoul(floor, NULL, 10), err)) < 0)
		return r;
	/* CCSB_ETC_CACHE=0: /etc entry by entry at every start (the prepared
	 * /etc off); CCSB_DEBUG: why the prepared /etc was not used, in the
	 * exit report. */
	const char *off = getenv("CCSB_ETC_CACHE"), *dbg = getenv("CCSB_DEBUG");
	unsigned ec = (off && strcmp(off, "0") == 0 ? CCSB_ETC_CACHE_OFF : 0) |
		      (dbg && *dbg && strcmp(dbg, "0") != 0 ? CCSB_ETC_CACHE_EXPLAIN : 0);
	if (ec && (r = ccsb_sandbox_set_etc_cache(sb, ec, err)) < 0)
		return r;
	/* The user's PATH finds claude, git and the tools of --path, as it
	 * does outside. */
	const char *path = getenv("PATH");
	if (path && *path && (r = ccsb_sandbox_set_search_path(sb, path, err)) < 0)
		return r;
	return 0;
}
