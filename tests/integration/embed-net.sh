#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A long-lived embedder running sandboxes with a network, one after the
# other: every slirp4netns (each still tearing down when its run returns)
# is collected, none left a zombie. Before: the second one overwrote the
# first in the policy, which nobody reaped. Private network namespace
# (tests/lib/netns.sh); the runs use --net=full there, which reaches
# nothing.
. "$top_srcdir/tests/lib/netns.sh"
: "${CCSB_EXEC_HELPER:?}"
command -v slirp4netns >/dev/null 2>&1 || netns_skip "slirp4netns not found (apt-get install slirp4netns)"
netns_need_tun

. "$top_srcdir/tests/lib/check.sh"

netns_workdir embed

out=$(cd "$D/proj" && as_user env HOME="$D/home" PATH="$PATH" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
	${CCSB_NET_HELPER:+CCSB_NET_HELPER="$CCSB_NET_HELPER"} "$top_builddir/tests/lib/embed-runs" 4 2>&1)
echo "$out" | sed 's/^/    /'
check "four runs with a network, one after the other, all exit 0" \
	'test "$(echo "$out" | grep -c "^status 0$")" = 4'
check "no slirp4netns of theirs is left a zombie once they have exited" \
	'echo "$out" | grep -qx "zombies 0"'
check "... nor left running" 'echo "$out" | grep -qx "children 0"'
t_done
