#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The sandbox's /etc (libccsandbox/etc.c): exactly the curated host entries
# plus the synthesized files, the host's bytes, nothing writable, and the
# host's /etc untouched. Regular files are copies made at start (bwrap
# --file) rather than binds: these checks hold for either.
. "$top_srcdir/tests/lib/common.sh"
t_setup

# The curated list, as in libccsandbox/etc.c.
curated="ssl/certs ssl/openssl.cnf ca-certificates ca-certificates.conf pki crypto-policies
ld.so.cache ld.so.conf ld.so.conf.d nsswitch.conf localtime timezone alternatives host.conf
networks terminfo profile profile.d bash.bashrc bashrc inputrc shells mime.types mailcap
protocols services rpc gitconfig os-release lsb-release debian_version locale.alias locale.conf
default/locale perl python3 vim gai.conf magic manpath.config claude-code"
generated="passwd group hosts hostname resolv.conf"

# What may appear at the top of /etc: the first component of each curated
# entry the host has (a file the test user can read, or anything else),
# and the synthesized files.
allowed=$generated
files=
for e in $curated; do
	p=/etc/$e
	[ -e "$p" ] || continue
	if [ -f "$p" ]; then
		as_test_user test -r "$p" || continue
		files="$files $p"
	fi
	allowed="$allowed ${e%%/*}"
done
allowed=$(printf '%s\n' $allowed | sort -u)

inside=$(sb ls -A /etc | sort)
extra=$(printf '%s\n' "$inside" | grep -vxF "$allowed")
check "nothing in /etc beyond the curated entries and the synthesized files" \
	'test -z "$extra"' || echo "# unexpected: $extra"
missing=$(printf '%s\n' "$allowed" | grep -vxF "$inside")
check "every curated entry the host has is there" 'test -z "$missing"' || echo "# missing: $missing"
for s in shadow gshadow sudoers ssh machine-id ssl/private; do
	check "/etc/$s is absent" "! sb test -e /etc/$s"
done
if [ -d /etc/ssl ]; then
	check "/etc/ssl holds only certs and openssl.cnf" \
		'test -z "$(sb ls -A /etc/ssl | grep -vx -e certs -e openssl.cnf)"'
fi

# shellcheck disable=SC2086
host_sums=$(cd / && sha256sum $files 2>/dev/null)
# shellcheck disable=SC2086
inside_sums=$(sb sh -c 'cd / && sha256sum "$@"' sh $files 2>/dev/null)
check "each copied file has the host's bytes" \
	'test -n "$host_sums" && test "$host_sums" = "$inside_sums"'
# The curated directories (small ones are rebuilt from their entries,
# big ones bound): the same tree, types, link texts and bytes.
dirs=
for e in $curated; do
	[ -d "/etc/$e" ] && dirs="$dirs /etc/$e"
done
# shellcheck disable=SC2016
tree='for d; do find "$d" -printf "%p %y %m %l\n" | sort; find "$d" -type f -readable -exec sha256sum {} + | sort; done'
# shellcheck disable=SC2086
host_tree=$(as_test_user sh -c "$tree" sh $dirs 2>/dev/null)
# shellcheck disable=SC2086
inside_tree=$(sb sh -c "$tree" sh $dirs 2>/dev/null)
check "the curated directories: same entries, types, modes, links and bytes as the host's" \
	'test -n "$host_tree" && test "$host_tree" = "$inside_tree"' || {
	printf '%s\n' "$host_tree" >"$T/host-tree"
	printf '%s\n' "$inside_tree" | diff "$T/host-tree" - | head -5 | sed 's/^/# /'
}

for f in $files; do
	m=$(stat -c %a "$f")
	check "$f keeps its mode ($m)" 'test "$(sb stat -c %a "$f")" = "$m"'
	break
done
if [ -L /etc/localtime ]; then
	check "/etc/localtime resolves to the host's zone file" \
		'test "$(sb readlink -f /etc/localtime)" = "$(readlink -f /etc/localtime)"'
	check "... and the sandbox's clock shows the host's zone" \
		'test "$(sb env -u TZ date +%Z)" = "$(env -u TZ date +%Z)"'
fi

# Writing: every file of /etc, the directory itself, for real.
out=$(sb sh -c '
	for f in /etc/* /etc/ssl/*; do
		[ -f "$f" ] || continue
		( : >>"$f" ) 2>/dev/null && echo "appended $f"
		rm -f "$f" 2>/dev/null; [ -e "$f" ] || echo "removed $f"
		chmod 666 "$f" 2>/dev/null && echo "chmod $f"
	done
	( : >/etc/ccsb-new ) 2>/dev/null && echo "created /etc/ccsb-new"
	mkdir /etc/ccsb-dir 2>/dev/null && echo "mkdir /etc/ccsb-dir"
	ln -s /tmp /etc/ccsb-link 2>/dev/null && echo "symlink /etc/ccsb-link"
	mv /etc/passwd /etc/passwd.x 2>/dev/null && echo "renamed /etc/passwd"
	echo done' 2>&1)
check "nothing in /etc can be written, removed, made or renamed" 'test "$out" = done' ||
	echo "# $out"
# shellcheck disable=SC2086
check "the host's files are unchanged" 'test "$(cd / && sha256sum $files 2>/dev/null)" = "$host_sums"'
check "nothing was created in the host's /etc" \
	'! test -e /etc/ccsb-new && ! test -e /etc/ccsb-dir && ! test -e /etc/ccsb-link'

# The synthesized files are the run's, not the host's.
check "/etc/hostname is the sandbox's" 'test "$(sb cat /etc/hostname)" = ccsb'
check "/etc/resolv.conf is --net=none's" 'sb grep -q "^nameserver 192.0.2.1" /etc/resolv.conf'

# ccsb-exec already visible read-only at its own path (an installed one,
# under /usr): a symlink at /run/ccsb/exec instead of a bind of its own.
mkdir -p "$T/libexec"
for h in ccsb-exec ccsb-state ccsb-net; do
	cp "$(dirname "$CCSB_EXEC_HELPER")/$h" "$T/libexec/$h"
done
chmod -R a+rX "$T/libexec"
sum=$(sha256sum <"$T/libexec/ccsb-exec")
inplace() { SB_EXTRA_ENV="CCSB_EXEC_HELPER=$T/libexec/ccsb-exec" sb --ro="$T/libexec" "$@"; }
check "a helper in place is reached through a symlink" \
	'inplace --print true 2>/dev/null | grep -q -- "--symlink $T/libexec/ccsb-exec /run/ccsb/exec"'
check "... pid 1 is it" 'inplace cat /proc/1/cmdline | tr "\0" " " | grep -q "^/run/ccsb/exec "'
inplace sh -c 'exit 3'
st=$?
check "... and the command's status comes through" 'test $st = 3'
out=$(inplace sh -c 'for p in /run/ccsb/exec "$(readlink /run/ccsb/exec)"; do
	( : >>"$p" ) 2>/dev/null && echo "wrote $p"; rm -f "$p" 2>/dev/null; [ -e "$p" ] || echo "removed $p"; done
	ln -sf /bin/sh /run/ccsb/exec 2>/dev/null && echo relinked; echo done' 2>&1)
check "... which the sandbox can neither write, remove nor repoint" 'test "$out" = done' || echo "# $out"
check "... and the host's file is unchanged" 'test "$(sha256sum <"$T/libexec/ccsb-exec")" = "$sum"'

t_done
