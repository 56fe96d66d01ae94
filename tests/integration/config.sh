#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The configuration file ~/.config/ccsb/config: applied before the command
# line; errors name file:line and exit 125; a file the sandbox could write
# (in the project, reached through a symlink into it, in ~/.claude, or made
# writable by a --rw) is refused before anything runs.
. "$top_srcdir/tests/lib/common.sh"
t_setup

CONF=$THOME/.config/ccsb/config
mkdir -p "$THOME/.config/ccsb" "$T/data"
echo "host data" >"$T/data/file"
chmod -R go+rX "$T/data"
if [ "$(id -u)" = 0 ]; then
	chown -R "$TEST_UID:$TEST_GID" "$THOME/.config"
fi

# conf FILE LINE...: write a configuration readable by the test user.
conf() {
	f=$1
	shift
	mkdir -p "$(dirname "$f")"
	printf '%s\n' "$@" >"$f"
	chmod 644 "$f"
}
# print ARGS...: the plan's network line, as the test user, with no --net
# unless ARGS gives one.
print_net() {
	(cd "$PROJ" && as_test_user env -i $SB_ENV HOME="$THOME" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
		CCSB_ALLOWLIST="$CCSB_ALLOWLIST" ${SB_EXTRA_ENV-} "$CCSB" --print "$@" -- true) |
		sed -n 's/^# network: //p'
}
has() { printf '%s\n' "$out" | grep -qF -- "$1"; }

echo "# applied"
conf "$CONF" "# a comment" "" \
	"env = CCSB_CONF_TEST=from the config # not a comment" \
	"ro = $T/data:/data" \
	"tmpfs = /scratch"
out=$(sb sh -c 'echo "$CCSB_CONF_TEST"; cat /data/file; touch /scratch/x && echo tmpfs' 2>&1)
st=$?
check "the configuration's env, ro and tmpfs apply" \
	'test $st = 0 && test "$out" = "from the config # not a comment
host data
tmpfs"'
out=$(sb --env=CCSB_CONF_TEST=cli sh -c 'echo "$CCSB_CONF_TEST"' 2>&1)
check "the command line's --env comes after, and wins" 'test "$out" = cli'

conf "$CONF" "ro = ~/data:/homedata"
mkdir -p "$THOME/data" && echo "in home" >"$THOME/data/f" && chmod -R go+rX "$THOME/data"
out=$(sb cat /homedata/f 2>&1)
check "~/ in a path is the caller's home" 'test "$out" = "in home"'

echo "# network settings"
conf "$CONF" "net = full"
out=$(print_net)
check "net = full applies without --net" 'case $out in full*) true ;; *) false ;; esac'
out=$(print_net --net=none)
check "--net on the command line wins" 'case $out in none*) true ;; *) false ;; esac'
conf "$CONF" "net = allowlist" "no-default-allowlist = true" "allow = 198.51.100.0/24"
out=$(print_net)
check "allow and no-default-allowlist apply" 'case $out in "allowlist, 1 prefix"*"(1 as given)"*) true ;; *) false ;; esac'
out=$(print_net --allow=203.0.113.0/24)
check "--allow adds to the file's entries" 'case $out in "allowlist, 2 prefixes (2 as given)"*) true ;; *) false ;; esac'
conf "$CONF" "net = none" "no-default-allowlist = true" "allow = 198.51.100.0/24"
out=$(print_net --allow=203.0.113.0/24)
check "--allow on the command line selects the allowlist over net = none" \
	'case $out in "allowlist, 2 prefixes"*) true ;; *) false ;; esac'
printf '198.51.100.7\n203.0.113.0/25\n' >"$THOME/ranges.txt"
chmod 644 "$THOME/ranges.txt"
conf "$CONF" "no-default-allowlist = true" "allow-file = ~/ranges.txt"
out=$(print_net)
check "allow-file = ~/FILE applies" 'case $out in "allowlist, 2 prefixes (2 as given)"*) true ;; *) false ;; esac'

echo "# errors: file:line, exit 125, nothing runs"
conf "$CONF" "# fine" "net = none" "foo = bar"
out=$(sb sh -c 'touch ran' 2>&1)
st=$?
check "unknown key: exit 125" 'test $st = 125'
check "unknown key: file:line, and where the keys are" \
	'test "$out" = "ccsb: $CONF:3: unknown key '"'foo'"'; the keys are the long options of ccsb --help"'
check "unknown key: nothing ran" 'test ! -e "$PROJ/ran"'
conf "$CONF" "net = sometimes"
out=$(sb true 2>&1)
st=$?
check "bad value: exit 125 and file:line" \
	'test $st = 125 && has "$CONF:1: net '"'sometimes'"': unknown mode"'
conf "$CONF" "allow = 198.51.100.0/33"
out=$(sb true 2>&1)
st=$?
check "bad allow entry: exit 125 and file:line" 'test $st = 125 && has "$CONF:1: allow: "'
conf "$CONF" "ro = relative/path"
out=$(sb true 2>&1)
st=$?
check "relative path: exit 125 and file:line" \
	'test $st = 125 && has "$CONF:1: ro '"'relative/path'"': must be an absolute path or start with ~/"'
out=$(as_test_user "$CCSB" --version 2>&1)
st=$?
check "--version does not read the configuration" 'test $st = 0'
rm -f "$CONF"

echo "# refused: a configuration the sandbox could write"
# refused DESC: the last run failed with 125, explained why, and ran nothing.
refused() {
	check "$1: exit 125" 'test $st = 125'
	check "$1: says why" 'has "refusing to read it: the sandbox can write" && has "could loosen its own next sandbox"'
	check "$1: nothing ran" 'test ! -e "$PROJ/ran"'
	echo "    $out"
}
conf "$PROJ/.config/ccsb/config" "net = full"
out=$(SB_EXTRA_ENV="XDG_CONFIG_HOME=$PROJ/.config" sb sh -c 'touch ran' 2>&1)
st=$?
refused "XDG_CONFIG_HOME inside the project"
check "... naming the project" 'has "the sandbox can write $PROJ (shared read-write)"'

conf "$PROJ/ccsb-conf/config" "net = full"
rm -rf "$THOME/.config/ccsb"
ln -s "$PROJ/ccsb-conf" "$THOME/.config/ccsb"
out=$(sb sh -c 'touch ran' 2>&1)
st=$?
refused "~/.config/ccsb a symlink into the project"
rm -f "$THOME/.config/ccsb"

conf "$T/outside/config" "net = full"
ln -s "$T/outside" "$PROJ/link"
mkdir -p "$T/xdg"
ln -s "$PROJ/link" "$T/xdg/ccsb"
out=$(SB_EXTRA_ENV="XDG_CONFIG_HOME=$T/xdg" sb sh -c 'touch ran' 2>&1)
st=$?
refused "a path through a symlink that lies in the project (the agent could re-point it)"
rm -f "$T/xdg/ccsb" "$PROJ/link"

conf "$THOME/.claude/ccsb/config" "net = full"
out=$(SB_EXTRA_ENV="XDG_CONFIG_HOME=$THOME/.claude" sb sh -c 'touch ran' 2>&1)
st=$?
refused "a configuration in ~/.claude"
rm -rf "$THOME/.claude/ccsb"

conf "$CONF" "rw = ~/.config"
out=$(sb sh -c 'touch ran' 2>&1)
st=$?
refused "a configuration that shares its own directory read-write"

conf "$CONF" "net = none"
out=$(sb --rw="$THOME/.config" sh -c 'touch ran' 2>&1)
st=$?
refused "--rw of the configuration's directory"

mkdir -p "$PROJ/lists"
printf '198.51.100.0/24\n' >"$PROJ/lists/ranges.txt"
chmod -R go+rX "$PROJ/lists"
conf "$CONF" "allow-file = $PROJ/lists/ranges.txt"
out=$(sb sh -c 'touch ran' 2>&1)
st=$?
refused "an allow-file the sandbox could edit"
check "... naming it" 'has "allow-file $PROJ/lists/ranges.txt"'

echo "# run from the home directory"
conf "$CONF" "net = none"
out=$(sb_in "$THOME" sh -c 'touch ran' 2>&1)
st=$?
check "from ~, ccsb refuses to share the home (not the configuration)" \
	'test $st = 125 && has "whole home directory" && ! has "refusing to read it"'
out=$(sb_in "$THOME" --rw="$THOME" sh -c 'touch ran' 2>&1)
st=$?
check "... and with --rw of the home, the configuration in it is refused" \
	'test $st = 125 && has "refusing to read it: the sandbox can write $THOME (shared read-write)"'
check "... and nothing ran" 'test ! -e "$THOME/ran"'

echo "# refused: a configuration someone else could change"
conf "$CONF" "net = none"
chmod g+w "$CONF"
out=$(sb sh -c 'touch ran' 2>&1)
st=$?
check "a group-writable file: exit 125, says why and how to fix it" \
	'test $st = 125 && has "$CONF is writable by its group" && has "chmod go-w $CONF" && test ! -e "$PROJ/ran"'
chmod g-w "$CONF"
chmod o+w "$THOME/.config/ccsb"
out=$(sb sh -c 'touch ran' 2>&1)
st=$?
check "a directory on its path writable by others: refused" \
	'test $st = 125 && has "$THOME/.config/ccsb is writable by others" && test ! -e "$PROJ/ran"'
chmod o-w "$THOME/.config/ccsb"
if [ "$(id -u)" = 0 ]; then
	chown 12345 "$CONF"
	out=$(sb sh -c 'touch ran' 2>&1)
	st=$?
	check "a file of another user: refused" 'test $st = 125 && has "belongs to uid 12345"'
	chown "$TEST_UID" "$CONF"
fi
out=$(sb sh -c 'echo ran' 2>&1)
check "... and accepted again once fixed" 'test "$out" = ran'

# More read-write roots than the old fixed table held (64): the last one,
# the configuration's own directory, must still be checked.
i=0
set --
while [ $i -lt 70 ]; do
	set -- "$@" "rw = $T/many/$i"
	i=$((i + 1))
done
conf "$CONF" "$@" "rw = ~/.config"
out=$(sb sh -c 'touch ran' 2>&1)
st=$?
refused "70 rw entries, the last sharing the configuration's directory"

echo "# where it is looked for"
rm -f "$CONF"
conf "$T/xdg/ccsb/config" "env = WHERE=xdg"
conf "$CONF" "env = WHERE=home"
out=$(SB_EXTRA_ENV="XDG_CONFIG_HOME=$T/xdg" sb sh -c 'echo $WHERE' 2>&1)
check "XDG_CONFIG_HOME is honoured" 'test "$out" = xdg'
out=$(SB_EXTRA_ENV="XDG_CONFIG_HOME=relative" sb sh -c 'echo $WHERE' 2>&1)
check "a relative XDG_CONFIG_HOME is ignored (XDG rule)" 'test "$out" = home'
rm -f "$CONF"
out=$(sb sh -c 'echo ${WHERE:-unset}' 2>&1)
check "no file: no configuration, no error" 'test "$out" = unset'
t_done
