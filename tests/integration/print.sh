#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# --print shows a command that, pasted into a shell, runs the same sandbox.
. "$top_srcdir/tests/lib/common.sh"
t_setup

out=$(sb --print -- true)
st=$?
check "--print exits 0" 'test $st = 0'
check "--print names bwrap and the safety options" \
	'echo "$out" | grep -q "bwrap --unshare-all --unshare-user --disable-userns --die-with-parent --new-session --cap-drop ALL"'
check "--print states the network plan" 'echo "$out" | grep -q "^# network: none"'
check "--print starts nothing (works without a bwrap to run)" \
	'SB_EXTRA_ENV=CCSB_BWRAP=/nonexistent/bwrap sb --print -- true >/dev/null'
# Five data files or more (here-documents on descriptors 6-10...): a shell
# other than dash must run it, and the output says so.
check "--print names the shells that run it (descriptors above 9)" \
	'echo "$out" | grep -qx "# run it with bash, zsh or ksh: it uses descriptors above 9, which dash cannot"'
# What a run refuses, --print refuses: no printed command for a sandbox
# that would never start.
msg=$(sb --print --net=allowlist --allow=0.0.0.0/0 -- true 2>&1)
st=$?
check "--print refuses an allowlist of every address (status $st)" 'test $st != 0'
check "... saying what to use instead" \
	'echo "$msg" | grep -qx "ccsb: the allowlist covers every IPv4 address: use --net=full (CCSB_NET_FULL) instead"'
printf '%s\n' "$out" >"$T/cmd.sh"
chmod 644 "$T/cmd.sh"
(cd "$PROJ" && as_test_user bash "$T/cmd.sh")
st=$?
check "the printed 'true' command runs and exits 0" 'test $st = 0'

out=$(sb --print -- sh -c 'id -un; echo "$HOME"; exit 7')
printf '%s\n' "$out" >"$T/cmd2.sh"
res=$(cd "$PROJ" && as_test_user bash "$T/cmd2.sh")
st=$?
check "the printed command runs the same policy" 'test "$res" = "claude
/home/claude"'
check "... and passes the status through" 'test $st = 7'

out=$(SB_EXTRA_ENV="ANTHROPIC_API_KEY=sk-secret-value" sb --print --env=ANTHROPIC_API_KEY -- true)
check "--print never shows a passed secret" '! echo "$out" | grep -q sk-secret-value'
check "... but refers to it" 'echo "$out" | grep -q "ANTHROPIC_API_KEY=\$ANTHROPIC_API_KEY"'
t_done
