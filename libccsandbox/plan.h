/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plan of a run (plan.c): what ccsb_sandbox_build_argv(), --print and
 * ccsb_sandbox_run() all start from. */
#ifndef CCSB_PLAN_H
#define CCSB_PLAN_H

#include "internal.h"

struct ccsb_plan_opts {
	bool with_sync;	       /* bwrap gets the info/block/status descriptors */
	bool tty;	       /* ccsb-exec gets --tty (the pty relay is used) */
	bool guard;	       /* the persistence guard's read-only binds are added */
	char *const *host_env; /* the host's environ for envp; NULL: no envp */
};

struct ccsb_plan {
	char **argv; /* bwrap's */
	char **envp; /* bwrap's environment; NULL without opts.host_env */
	bool tty;
	/* The data files, in descriptor order from CCSB_FD_FIRST_DATA
	 * (borrowed from the policy). */
	const struct ccsb_mount **files;
	size_t nfiles;
	/* Validated: mode FULL or ALLOWLIST with merged prefixes (borrowed
	 * from the policy) none of which is a /0; helper not set. */
	struct ccsb_net_plan net;
	struct ccsb_allowlist merged; /* net.prefixes when the policy had none merged */
};

/* Refuse what the allowlist mode must never install: a /0 (that is the
 * full network), a bad family or length. The one check, for every path. */
int ccsb__plan_check_prefixes(const struct ccsb_allowlist *al, ccsb_error **err);
/* The network part alone. */
/* The network part alone; when the policy's allowlist is not merged (see
 * ccsb__sandbox_merge()), it is merged into *merged, which the caller frees
 * (ccsb__allowlist_free()) after the plan. */
int ccsb__plan_network(const ccsb_sandbox *sb, struct ccsb_net_plan *np,
		       struct ccsb_allowlist *merged, ccsb_error **err);
/* The whole plan; free it with ccsb__plan_free() (also after a failure). */
int ccsb__plan_make(const ccsb_sandbox *sb, char *const cmd[], const struct ccsb_plan_opts *o,
		    struct ccsb_plan *p, ccsb_error **err);
void ccsb__plan_free(struct ccsb_plan *p);

#endif
