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
if [ "$1" = --env ]; then
	echo "path=$(command -v claude) auto=$DISABLE_AUTOUPDATER url=$ANTHROPIC_BASE_URL cc=$CLAUDE_CODE_FOO other=${OTHER-unset}"
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
