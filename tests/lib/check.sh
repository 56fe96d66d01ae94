# SPDX-License-Identifier: LGPL-2.1-or-later
# One "ok"/"FAIL" line per check and a closing count; sourced by common.sh
# and by the tests that run in their own network namespace (netns.sh).
#
#     check "desc" 'test "$x" = y'  # evaluates the code here, so it can call
#                                   # the test's own functions
#     t_done                        # "N passed, N failed"; status 0 if none failed
t_passed=0
t_failed=0

pass() {
	t_passed=$((t_passed + 1))
	echo "ok - $*"
}

fail() {
	t_failed=$((t_failed + 1))
	echo "FAIL - $*"
}

check() {
	if eval "$2"; then pass "$1"; else fail "$1"; fi
}

t_done() {
	echo "$t_passed passed, $t_failed failed"
	[ "$t_failed" = 0 ]
}
