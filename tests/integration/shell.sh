#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Shell integration: --help fits 80 columns and lists every option,
# --version names the library and bwrap, and the bash completion
# (contrib/bash-completion/ccsb) completes options, their values, the
# commands, and hands over to the command's own completion.
. "$top_srcdir/tests/lib/common.sh"
command -v bash >/dev/null 2>&1 || t_skip "bash not found"
T=$(mktemp -d /tmp/ccsb-test.XXXXXX)
trap t_cleanup EXIT
has() { printf '%s\n' "$out" | grep -qxF -- "$1"; }

echo "# --help"
out=$("$CCSB" --help)
st=$?
check "--help exits 0" 'test $st = 0'
long=$(printf '%s\n' "$out" | awk 'length > 80')
check "every line fits 80 columns" 'test -z "$long"'
[ -z "$long" ] || printf '    too long: %s\n' "$long"
check "no tabs" '! printf "%s\n" "$out" | grep -q "$(printf "\t")"'
check "--help names ccsb doctor" 'printf "%s\n" "$out" | grep -q "ccsb doctor"'
check "--help names the configuration file" \
	'printf "%s\n" "$out" | grep -qF "~/.config/ccsb/config"'
# Every long option the parser knows (its longopts table) is in --help
# ("--opt[=VALUE]" for an optional value).
missing=
for o in $(sed -n 's/^[[:space:]]*{ "\([a-z][a-z-]*\)", [a-z_]*argument,.*/\1/p' "$top_srcdir/tools/cli.c"); do
	printf '%s\n' "$out" | grep -qE -- "--$o([, =[]|\$)" || missing="$missing --$o"
done
check "every long option is in --help${missing:+ (missing:$missing)}" 'test -z "$missing"'

echo "# --version"
out=$(env CCSB_BWRAP= "$CCSB" --version 2>&1)
st=$?
printf '%s\n' "$out" | sed -e 's/^/    | /'
check "--version exits 0" 'test $st = 0'
check "--version names ccsb and libccsandbox" \
	'printf "%s\n" "$out" | grep -qE "^ccsb [0-9]+\.[0-9]+\.[0-9]+ \(libccsandbox [0-9]+\.[0-9]+\.[0-9]+\)$"'
if command -v bwrap >/dev/null 2>&1; then
	check "--version names bwrap's version" 'printf "%s\n" "$out" | grep -qE "^bubblewrap [0-9]+\.[0-9]+"'
else
	fail "bwrap not found: cannot check that --version shows its version"
fi
out=$(env CCSB_BWRAP=/nonexistent/bwrap "$CCSB" --version 2>&1)
check "--version without bwrap says so" 'printf "%s\n" "$out" | grep -q "bwrap: not found"'

echo "# bash completion"
COMPLETION=$top_srcdir/contrib/bash-completion/ccsb
mkdir -p "$T/dir"
: >"$T/dir/file1"
# complete WORD...: COMPREPLY, one a line, for the words as bash splits them
# (COMP_WORDBREAKS makes "--net=f" three words: --net = f); the last word
# is the one being completed. STUB_OFFSET=1 defines _command_offset as
# bash-completion would, recording its argument.
complete() {
	bash --norc --noprofile -c '
		. "$1" || exit 1
		shift
		if [ -n "${STUB_OFFSET-}" ]; then
			_command_offset() { COMPREPLY=("offset:$1:${COMP_WORDS[$1]}"); }
		fi
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_ccsb
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$CCSB" "$@" 2>&1
}
out=$(bash --norc --noprofile -c '. "$1" && complete -p ccsb' _ "$COMPLETION" 2>&1)
check "the file registers a completion for ccsb" 'test "$out" = "complete -F _ccsb ccsb"'
out=$(complete --n)
check "--n: --net= and --no-default-allowlist" 'has --net= && has --no-default-allowlist'
opts=$("$CCSB" --help | grep -oE -- '(^|[ ,])--[a-z][a-z0-9-]*' | sed 's/^[ ,]*//' | sort -u)
out=$(complete --)
missing=
for o in $opts; do printf '%s\n' "$out" | grep -qE -- "^$o=?\$" || missing="$missing $o"; done
check "--: every option of --help${missing:+ (missing:$missing)}" 'test -z "$missing"'
# The completion's table comes from ccsb's option table: every fixed value
# of every option completes.
"$CCSB" --complete-options >"$T/table"
n=0
bad=
while read -r name kind rest; do
	[ "$kind" = words ] || continue
	n=$((n + 1))
	out=$(complete "${name%=}" = "")
	for w in $rest; do printf '%s\n' "$out" | grep -qxF -- "$w" || bad="$bad ${name%=}=$w"; done
done <"$T/table"
check "--complete-options: the values of $n options complete${bad:+ (missing:$bad)}" \
	'test "$n" -ge 4 && test -z "$bad"'
check "--complete-options is not in --help" '! "$CCSB" --help | grep -q complete-options'
out=$(complete --net = f)
check "--net=f (split at =): full" 'test "$out" = full'
out=$(complete --net = "")
check "--net= : the three modes" 'test "$out" = "allowlist
full
none"'
out=$(complete --net "")
check "--net VALUE: the three modes" 'has allowlist && has full && has none'
out=$(complete --allow-file = "$T/dir/fi")
check "--allow-file=: file names" 'test "$out" = "$T/dir/file1"'
out=$(complete --ro "$T/dir/fi")
check "--ro PATH: file names" 'test "$out" = "$T/dir/file1"'
out=$(complete --path = "$T/d")
check "--path=: directory names" 'test "$out" = "$T/dir"'
out=$(complete cla)
check "cla: claude" 'has claude'
out=$(complete doc)
check "doc: doctor" 'has doctor'
out=$(complete -q --net = none --ro = /tmp ba)
check "after options: bash" 'has bash'
out=$(complete doctor "")
check "doctor takes nothing" 'test -z "$out"'
out=$(complete -- doc)
check "after --, doctor is not offered (ccsb -- doctor runs a program)" '! has doctor'
out=$(complete bash "$T/dir/fi")
check "after the command, without bash-completion: file names" 'test "$out" = "$T/dir/file1"'
out=$(STUB_OFFSET=1 complete -q --net = none make cl)
check "after the command, with bash-completion: the command's own completion" \
	'test "$out" = "offset:5:make"'
out=$(STUB_OFFSET=1 complete --env X -- ls -l)
check "... also after --env VALUE and --" 'test "$out" = "offset:4:ls"'
out=$(complete ps "")
check "ps takes nothing" 'test -z "$out"'
out=$(complete ps --v)
check "ps --v: --verbose" 'test "$out" = "--verbose"'
out=$(complete ev)
check "ev: events" 'has events'
out=$(complete events --f)
check "events --f: --follow" 'test "$out" = "--follow"'
out=$(complete events --follow somename "")
check "events takes one name, then nothing" 'test -z "$out"'
out=$(complete ex)
check "ex: exec" 'has exec'
out=$(complete exec --t)
check "exec --t: --tty=" 'test "$out" = "--tty="'
out=$(STUB_OFFSET=1 complete exec --tty=off work -- ls -l)
check "exec NAME -- COMMAND: the command's own completion" 'test "$out" = "offset:5:ls"'
t_done
