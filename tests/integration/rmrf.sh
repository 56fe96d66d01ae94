#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The safebox experiment: `rm -rf --no-preserve-root /` inside the sandbox
# empties the writable mounts and nothing else.
. "$top_srcdir/tests/lib/common.sh"
t_setup

# Sentinels: inside the writable mounts (must go) and outside them, in
# places a careless sandbox would expose (must stay).
echo keep >"$THOME/outside-sentinel"
mkdir -p "$T/sibling"
echo keep >"$T/sibling/sentinel"
echo gone >"$PROJ/project-file"
mkdir -p "$PROJ/sub" && echo gone >"$PROJ/sub/deep"
as_test_user true
if [ "$(id -u)" = 0 ]; then
	chown -R "$TEST_UID:$TEST_GID" "$THOME" "$T/sibling" "$PROJ"
fi
sb true # creates the Claude state
KEY=$(claude_key "$PROJ")
mkdir -p "$THOME/.claude/projects/$KEY" "$THOME/.claude/projects/-other" "$THOME/.npm"
echo gone >"$THOME/.claude/projects/$KEY/transcript.jsonl"
echo keep >"$THOME/.claude/projects/-other/transcript.jsonl"
echo '{"model": "keep"}' >"$THOME/.claude/settings.json"
echo keep >"$THOME/.claude/CLAUDE.md"
echo gone >"$THOME/.cache/ccsb/npm/cache-entry"
echo keep >"$THOME/.npm/host-cache-entry"
[ "$(id -u)" = 0 ] && chown -R "$TEST_UID:$TEST_GID" "$THOME"
usr_before=$(ls /usr | md5sum)
etc_before=$(ls -la /etc | md5sum)

# The sandbox must be in force before anything destructive runs.
if ! sb sh -c 'test "$(id -un)" = claude && test ! -e "$0"' "$THOME/outside-sentinel"; then
	fail "the sandbox is not in force: refusing to run rm -rf /"
	t_done
	exit 1
fi
sb rm -rf --no-preserve-root / >/dev/null 2>&1
echo "rm -rf / inside exited with status $?"

check "project dir emptied" 'test -d "$PROJ" && test -z "$(ls -A "$PROJ")"'
check "the project's Claude data emptied" 'test -z "$(ls -A "$THOME/.claude/projects/$KEY" 2>/dev/null)"'
check "another project's transcripts survive (not even visible)" \
	'test "$(cat "$THOME/.claude/projects/-other/transcript.jsonl")" = keep'
check "~/.claude/settings.json survives (a private copy inside)" \
	'grep -q keep "$THOME/.claude/settings.json"'
check "~/.claude/CLAUDE.md survives (read-only inside)" 'test "$(cat "$THOME/.claude/CLAUDE.md")" = keep'
check "the sandbox's npm cache emptied" 'test -z "$(ls -A "$THOME/.cache/ccsb/npm" 2>/dev/null)"'
check "the host's ~/.npm is not even visible" 'test "$(cat "$THOME/.npm/host-cache-entry")" = keep'
check "sentinel in the host home outside the binds survives" \
	'test "$(cat "$THOME/outside-sentinel")" = keep'
check "sibling of the project dir survives" 'test "$(cat "$T/sibling/sentinel")" = keep'
check "/usr untouched" 'test "$(ls /usr | md5sum)" = "$usr_before"'
check "/etc untouched" 'test "$(ls -la /etc | md5sum)" = "$etc_before"'
check "the host still works" '/bin/true && test -x /usr/bin/env'
check "the next sandbox still works" 'test "$(sb id -un)" = claude'
t_done
