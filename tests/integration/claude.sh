#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ccsb claude` runs Claude Code however it was installed.
. "$top_srcdir/tests/lib/common.sh"
t_setup

real=$(command -v claude)
if [ -z "$real" ]; then
	[ -n "${CI-}" ] && { fail "claude not installed in CI"; t_done; exit 1; }
	t_skip "claude not installed (npm install -g @anthropic-ai/claude-code)"
fi
want=$(claude --version 2>/dev/null)
SB_ENV="PATH=$(dirname "$real"):/usr/local/bin:/usr/bin:/bin TERM=dumb"
out=$(sb claude --version 2>&1)
st=$?
check "ccsb claude --version exits 0" 'test $st = 0'
check "ccsb claude --version prints the version ($want)" 'test "$out" = "$want"'
out=$(sb --print claude --version)
check "ccsb claude sets DISABLE_AUTOUPDATER=1" 'echo "$out" | grep -q DISABLE_AUTOUPDATER=1'

# Installations outside /usr: an npm prefix whose entry point is a script
# run by "#!/usr/bin/env" (interpreter found on PATH), and a native-style
# single binary under ~/.local/share. Both live in the test dir, which is
# hidden inside unless ccsb binds them.
npm=$T/npm-prefix
mkdir -p "$npm/bin" "$npm/lib/node_modules/fake-claude/bin" "$npm/lib/node_modules/dep"
echo "dep-ok" >"$npm/lib/node_modules/dep/data"
cat >"$npm/lib/node_modules/fake-claude/bin/cli.sh" <<'EOS'
#!/usr/bin/env sh
settings=none
if [ "$1" = --settings ]; then
	settings=$2
	shift 2
fi
if [ "$1" = --env ]; then
	echo "path=$(command -v claude) auto=$DISABLE_AUTOUPDATER url=$ANTHROPIC_BASE_URL cc=$CLAUDE_CODE_FOO other=${OTHER-unset}"
	exit 0
fi
if [ "$1" = --args ]; then
	echo "settings=$settings args=$*"
	exit 0
fi
echo "fake-claude 9.9.9 $(cat "$(dirname "$(readlink -f "$0")")/../../dep/data") $DISABLE_AUTOUPDATER"
EOS
chmod 755 "$npm/lib/node_modules/fake-claude/bin/cli.sh"
ln -s ../lib/node_modules/fake-claude/bin/cli.sh "$npm/bin/claude"
chmod -R a+rX "$T/npm-prefix"
out=$(SB_ENV="PATH=$npm/bin:/usr/bin:/bin TERM=dumb" sb claude --version 2>&1)
check "npm-prefix install (script + dependency) runs inside" 'test "$out" = "fake-claude 9.9.9 dep-ok 1"'
out=$(SB_ENV="PATH=$npm/bin:/usr/bin:/bin TERM=dumb" \
	SB_EXTRA_ENV="ANTHROPIC_BASE_URL=http://x CLAUDE_CODE_FOO=1 OTHER=1" sb claude --env 2>&1)
check "claude is on PATH inside, autoupdater off, ANTHROPIC_*/CLAUDE_CODE_* passed, others not" \
	'test "$out" = "path=/run/ccsb/bin/claude auto=1 url=http://x cc=1 other=unset"'

# Claude Code's own sandbox (sandbox.enabled) cannot work without nested
# user namespaces: ccsb claude turns it off with --settings, before the
# user's own arguments, and says so; with --nested-userns it leaves it be.
FAKE="PATH=$npm/bin:/usr/bin:/bin TERM=dumb"
out=$(SB_ENV=$FAKE sb claude --args -p "a b" 2>&1)
check "ccsb claude passes --settings '{\"sandbox\":{\"enabled\":false}}' first ($out)" \
	'test "$out" = "settings={\"sandbox\":{\"enabled\":false}} args=--args -p a b"'
out=$(SB_ENV=$FAKE sb --nested-userns claude --args x 2>&1)
check "with --nested-userns, no --settings ($out)" 'test "$out" = "settings=none args=--args x"'
out=$(cd "$PROJ" && as_test_user env -i $FAKE HOME="$THOME" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
	"$CCSB" --net=none claude --args 2>&1 >/dev/null)
check "the status line says Claude Code's sandbox is off ($out)" \
	'echo "$out" | grep -qx "ccsb: claude: its own sandbox off (ccsb is the sandbox; --nested-userns keeps it)"'
out=$(SB_ENV=$FAKE sb --print claude --args)
check "--print shows the setting" 'echo "$out" | grep -q "claude --settings .{\"sandbox\":{\"enabled\":false}}. --args"'

# The real Claude Code, with sandbox.enabled in the user's settings: the
# flag's setting must win. Claude Code says at start-up when its sandbox is
# enabled but cannot run ("Sandbox disabled: ... dependencies are missing",
# socat hidden so that this holds on any host); with no API key it then stops
# at "Not logged in", so no request is made (and --net=none anyway).
mkdir -p "$THOME/.claude"
echo '{"sandbox":{"enabled":true}}' >"$THOME/.claude/settings.json"
[ "$(id -u)" != 0 ] || chown -R "$TEST_UID:$TEST_GID" "$THOME/.claude"
hide=
[ -e /usr/bin/socat ] && hide=--ro=/dev/null:/usr/bin/socat
out=$(sb $hide -- sh -c 'exec claude -p hi' </dev/null 2>&1)
check "control: claude run by sh reads sandbox.enabled (it warns: $(echo "$out" | grep -m1 -i sandbox))" \
	'echo "$out" | grep -q "Sandbox disabled: sandbox is enabled"'
out=$(sb $hide claude -p hi </dev/null 2>&1)
check "ccsb claude: the user's sandbox.enabled is overridden (no sandbox warning: $(echo "$out" | tail -n 1))" \
	'! echo "$out" | grep -qi "sandbox is enabled" && echo "$out" | grep -q "Not logged in"'
out=$(sb $hide --nested-userns claude -p hi </dev/null 2>&1)
check "ccsb --nested-userns claude: the user's setting applies" \
	'echo "$out" | grep -q "Sandbox disabled: sandbox is enabled"'
rm -f "$THOME/.claude/settings.json"

native=$T/native/.local/share/claude/versions
mkdir -p "$native" "$T/native/.local/bin"
cp "$(readlink -f "$real")" "$native/9.9.9" 2>/dev/null || cp "$real" "$native/9.9.9"
ln -s "$native/9.9.9" "$T/native/.local/bin/claude"
chmod -R a+rX "$T/native"
out=$(SB_ENV="PATH=$T/native/.local/bin:/usr/bin:/bin TERM=dumb" sb claude --version 2>&1)
check "native-installer layout runs inside ($out)" 'test "$out" = "$want"'

out=$(SB_ENV="PATH=/usr/bin:/bin TERM=dumb" sb claude --version 2>&1)
st=$?
case $real in
/usr/bin/* | /bin/*) ;; # on PATH anyway
*)
	check "no claude on PATH gives 125" 'test $st = 125'
	check "... and says how to install it" 'echo "$out" | grep -q "npm install -g @anthropic-ai/claude-code"'
	;;
esac
out=$(SB_ENV="PATH=$T/empty TERM=dumb" sb claude --version 2>&1)
st=$?
check "no claude on PATH gives 125" 'test $st = 125'
check "... and says how to install it" 'echo "$out" | grep -q "npm install -g @anthropic-ai/claude-code"'
t_done
