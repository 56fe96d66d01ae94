/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library's inputs that ccsb takes from its own environment: the
 * library reads none of them itself (see libccsandbox(3), ENVIRONMENT). */
#ifndef CCSB_HOSTENV_H
#define CCSB_HOSTENV_H

#include "ccsandbox.h"

/* Set on `sb` where bwrap, slirp4netns and the helpers are (CCSB_BWRAP,
 * CCSB_SLIRP4NETNS, CCSB_EXEC_HELPER, CCSB_NET_HELPER, CCSB_STATE_HELPER;
 * unset or empty: the library's default) and the search path (PATH).
 * Returns 0, or -errno with *err naming the variable. */
int hostenv_apply(ccsb_sandbox *sb, ccsb_error **err);

#endif
