/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CCSB_SECCOMP_RULES_H
#define CCSB_SECCOMP_RULES_H

#include <seccomp.h>
#include <stdbool.h>

/* Add ccsb's rules to `ctx` (made with seccomp_init(SCMP_ACT_ALLOW)); with
 * nested_userns false, creating user namespaces is refused too. Returns 0,
 * or a negative errno with *what naming the rule that failed. */
int ccsb__seccomp_fill(scmp_filter_ctx ctx, bool nested_userns, const char **what);

#endif
