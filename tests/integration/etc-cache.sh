#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The prepared /etc (libccsandbox/etccache.c): one read-only bind of a
# directory of the user's, the same content as the entry-by-entry /etc,
# host changes seen at the next start, concurrent first runs, old trees
# removed but never one a running sandbox uses, a cache nobody else can
# write and no sandbox can change.
#
# The host's /etc is changed in a mount namespace of the test's own (binds
# of copies over a few curated entries): the real one is never touched.
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (a private mount namespace over /etc)"
	exit 77
fi
if [ -z "${ETC_CACHE_NS-}" ]; then
	command -v unshare >/dev/null 2>&1 || {
		echo "SKIP: unshare not found (util-linux)"
		exit 77
	}
	ETC_CACHE_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi
. "$top_srcdir/tests/lib/common.sh"
t_setup

# Copies the test can change, bound over the host's entries (this
# namespace only; nothing is ever written to the host's /etc).
mkdir -p "$T/host"
cp -a /etc/ld.so.conf.d "$T/host/ld.so.conf.d"
mount --bind "$T/host/ld.so.conf.d" /etc/ld.so.conf.d
have_gai=
if [ -f /etc/gai.conf ]; then
	cp -a /etc/gai.conf "$T/host/gai.conf"
	mount --bind "$T/host/gai.conf" /etc/gai.conf && have_gai=1
fi
have_certs=
if [ -d /etc/ssl/certs ] && [ ! -L /etc/ssl/certs ]; then
	cp -a /etc/ssl/certs "$T/host/certs"
	mount --bind "$T/host/certs" /etc/ssl/certs && have_certs=1
fi
chmod 755 "$T/host"

CACHE=$THOME/.cache/ccsb/etc
# The tree this run's /etc is bound from ("" when it is not a bind of one).
tree_of() {
	sb "$@" sh -c 'while read -r _ _ _ root mnt _; do [ "$mnt" = /etc ] && echo "$root"; done </proc/self/mountinfo'
}
trees() { find "$CACHE" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n' 2>/dev/null | sort; }
# Every entry of /etc: path, type, mode, link text, size, and the bytes.
# shellcheck disable=SC2016
# Directories' sizes are the file system's; /etc and /etc/ssl, which bwrap
# made 0700 as mount points, are the host's 0755 in a prepared tree.
listing='cd /etc && find . -mindepth 1 ! -path ./ssl -printf "%p %y %m %l \n" -type f -printf "%p %s\n" | sort && find . -type f -readable -exec sha256sum {} + | sort'

# ---- the default, as a user runs it ------------------------------------
t1=$(tree_of)
check "/etc is one bind of a tree in ~/.cache/ccsb/etc" \
	'case $t1 in "$CACHE"/????????????????????????????????) true ;; *) false ;; esac' ||
	echo "# /etc from: $t1"
check "... read-only" 'sb sh -c "grep \" /etc ro,\" /proc/self/mountinfo" >/dev/null'
check "... the cache is the user's, 0700" \
	'test "$(stat -c "%u %a" "$CACHE")" = "$TEST_UID 700" && test "$(stat -c "%u %a" "$(dirname "$CACHE")")" = "$TEST_UID 700"'
check "... the tree is the user's and only they can write it" \
	'test "$(stat -c "%u %a" "$t1")" = "$TEST_UID 755"'
check "... and it has a lock file beside it" 'test -f "$t1.lock"'
with=$(sb sh -c "$listing" 2>&1)
without=$(SB_EXTRA_ENV=CCSB_ETC_CACHE=0 sb sh -c "$listing" 2>&1)
check "CCSB_ETC_CACHE=0: entry by entry, no bind of a tree" \
	'test -z "$(SB_EXTRA_ENV=CCSB_ETC_CACHE=0 tree_of)"'
check "the same entries, types, modes, link texts, sizes and bytes either way" \
	'test -n "$with" && test "$with" = "$without"'
[ "$with" = "$without" ] || {
	printf '%s\n' "$with" >"$T/with"
	printf '%s\n' "$without" | diff "$T/with" - | head -5 | sed 's/^/# /'
}
ntrees=$(trees | wc -l)
check "a second run reuses the tree" 'test "$(tree_of)" = "$t1" && test "$(trees | wc -l)" = "$ntrees"'
check "--print shows the entries, not the cache" \
	'out=$(sb --print true 2>/dev/null) && printf "%s" "$out" | grep -q -- "--file [0-9]* /etc/ld.so.conf" &&
	! printf "%s" "$out" | grep -q "$CACHE"'

# A bind of the user's inside /etc (or --ssh-agent's ssh_config): its
# mount point is in that policy's tree, and the bind shows the host's file.
if [ -f /etc/issue ] && as_test_user test -r /etc/issue; then
	t_ro=$(tree_of --ro=/etc/issue)
	check "--ro=/etc/issue: /etc is still one tree, another one" 'test -n "$t_ro" && test "$t_ro" != "$t1"'
	check "... and /etc/issue inside is the host's" \
		'test "$(sb --ro=/etc/issue cat /etc/issue)" = "$(cat /etc/issue)"'
	check "... which the default's tree does not have" '! sb test -e /etc/issue'
fi

# Per policy: the generated files differ, so does the tree.
t_uid=$(tree_of --uid=4242)
check "another uid inside: another tree" 'test -n "$t_uid" && test "$t_uid" != "$t1"'
check "... whose /etc/passwd names that uid" 'sb --uid=4242 grep -q "^[^:]*:x:4242:" /etc/passwd'
check "... and the default's does not" '! sb grep -q "^[^:]*:x:4242:" /etc/passwd'

# ---- host changes show at the next start --------------------------------
echo "# ccsb etc-cache test" >"$T/host/ld.so.conf.d/zz-ccsb-etc-cache.conf"
check "a file added to /etc/ld.so.conf.d is there at the next start" \
	'test "$(sb cat /etc/ld.so.conf.d/zz-ccsb-etc-cache.conf)" = "# ccsb etc-cache test"'
t2=$(tree_of)
check "... from a new tree" 'test -n "$t2" && test "$t2" != "$t1"'
echo "# edited in place" >>"$T/host/ld.so.conf.d/zz-ccsb-etc-cache.conf"
check "an edit in place is there at the next start" \
	'sb grep -q "edited in place" /etc/ld.so.conf.d/zz-ccsb-etc-cache.conf'
if [ -n "$have_gai" ]; then
	printf '# ccsb etc-cache gai\n' >>"$T/host/gai.conf"
	check "an edit of a copied file (/etc/gai.conf)" 'sb grep -q "ccsb etc-cache gai" /etc/gai.conf'
fi
[ -n "$have_certs" ] || mkdir -p "$T/host/certs" # only a test user's view below
echo "ccsb-etc-cache-bundle" >"$T/host/certs/ccsb-etc-cache.txt"
chmod 644 "$T/host/certs/ccsb-etc-cache.txt"
check "a file added to a copied directory (/etc/ssl/certs)" \
	'test "$(sb cat /etc/ssl/certs/ccsb-etc-cache.txt)" = ccsb-etc-cache-bundle'
echo "edited" >>"$T/host/certs/ccsb-etc-cache.txt"
check "... and edited in place" 'sb grep -q "^edited" /etc/ssl/certs/ccsb-etc-cache.txt'
chmod 600 "$T/host/certs/ccsb-etc-cache.txt"
check "... a file the user cannot read leaves /etc entry by entry, as before" \
	'test -z "$(tree_of)" && sb test -e /etc/ssl/certs/ccsb-etc-cache.txt &&
	! sb cat /etc/ssl/certs/ccsb-etc-cache.txt 2>/dev/null'
rm -f "$T/host/certs/ccsb-etc-cache.txt"
check "a file removed is gone at the next start" '! sb test -e /etc/ssl/certs/ccsb-etc-cache.txt'
# A start does not read a big copied directory again (a manifest of its
# files, named by the directory's identity): a change one level down,
# which leaves the top directory as it was, must still be seen.
mkdir -m 755 "$T/host/certs/ccsb-sub"
check "a subdirectory added to /etc/ssl/certs" 'sb test -d /etc/ssl/certs/ccsb-sub'
echo sub >"$T/host/certs/ccsb-sub/added.txt"
chmod 644 "$T/host/certs/ccsb-sub/added.txt"
check "... a file added inside it (its parent unchanged) is there at the next start" \
	'test "$(sb cat /etc/ssl/certs/ccsb-sub/added.txt)" = sub'
echo more >>"$T/host/certs/ccsb-sub/added.txt"
check "... and its edit in place" 'test "$(sb cat /etc/ssl/certs/ccsb-sub/added.txt)" = "sub
more"'
rm -r "$T/host/certs/ccsb-sub"
check "... and its removal" '! sb test -e /etc/ssl/certs/ccsb-sub'

# ---- nothing a sandbox does reaches the cache ----------------------------
# A project that holds the cache (~/.cache): the sandbox sees an empty,
# read-only directory where the cache is.
t_now=$(tree_of)
out=$(sb_in "$THOME/.cache" sh -c '
	ls -A "$1" 2>&1 | head -3
	( echo evil >"$1/x" ) 2>/dev/null && echo wrote
	mkdir "$1/y" 2>/dev/null && echo made
	echo done' sh "$CACHE" 2>&1)
check "a sandbox sharing ~/.cache read-write sees nothing of the cache, and cannot write there" \
	'test "$out" = done' || echo "# $out"
check "... the tree is intact: a new sandbox's /etc/passwd is the generated one" \
	'test "$(tree_of)" = "$t_now" && sb grep -q "^root:x:0:0:" /etc/passwd &&
	test -z "$(find "$CACHE" -name x -o -name y)"'
out=$(sb --ro="$THOME/.cache" sh -c 'ls -A "$1" | head -3; for l in "$1"/*.lock; do [ -e "$l" ] && echo "sees $l"; done; echo done' sh "$CACHE" 2>&1)
check "... nor one sharing it read-only (no lock it could hold)" 'test "$out" = done' || echo "# $out"
# A lock held by someone else (here a process of the user's) does not
# hold a start: it makes /etc entry by entry.
# shellcheck disable=SC2016
as_test_user flock -o -x "$t_now.lock" sh -c 'while [ ! -e "$1" ]; do sleep 0.1; done' sh "$THOME/release" \
	</dev/null >/dev/null 2>&1 &
n=0
while as_test_user flock -n -s "$t_now.lock" true 2>/dev/null && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
out=$(SB_EXTRA_ENV=CCSB_DEBUG=1 sb sh -c 'cat /etc/hostname; grep -c " /etc ro," /proc/self/mountinfo' 2>&1)
check "a tree whose lock another process holds: the start goes on, entry by entry" \
	'printf "%s" "$out" | grep -q "^ccsb$" && printf "%s" "$out" | grep -q "etc cache: cannot lock"' ||
	echo "# $out"
: >"$THOME/release"
wait
out=$(sb_in "$CACHE" true 2>&1)
st=$?
check "sharing a directory inside the cache fails with one line naming it" \
	'test $st != 0 && test "$(printf "%s\n" "$out" | wc -l)" = 1 && printf "%s" "$out" | grep -q "lies in the cache"' ||
	echo "# $st: $out"

# A tree others could write is not bound: /etc is made entry by entry.
chmod 777 "$t_now"
out=$(SB_EXTRA_ENV=CCSB_DEBUG=1 sb cat /etc/hostname 2>&1)
check "a tree others can write is not used, and CCSB_DEBUG says why" \
	'test -z "$(tree_of)" && printf "%s" "$out" | grep -q "^ccsb$" &&
	printf "%s" "$out" | grep -q "etc cache: .*only you can write"'
check "... without CCSB_DEBUG, not a word" 'test "$(sb cat /etc/hostname 2>&1)" = ccsb'
chmod 755 "$t_now"
mv "$CACHE" "$CACHE.moved"
ln -s "$CACHE.moved" "$CACHE"
check "a cache that is a symlink is not used" \
	'test -z "$(tree_of)" && test "$(sb cat /etc/hostname)" = ccsb'
rm "$CACHE"
mv "$CACHE.moved" "$CACHE"

# ---- concurrent first runs -----------------------------------------------
rm -rf "$THOME/.cache/ccsb/etc"
for i in 1 2 3 4 5 6; do
	sb sh -c 'while read -r _ _ _ root mnt _; do [ "$mnt" = /etc ] && echo "$root"; done </proc/self/mountinfo;
		sha256sum /etc/ld.so.conf.d/* /etc/passwd' >"$T/con.$i" 2>&1 &
done
wait
first=$(cat "$T/con.1")
same=yes
for i in 2 3 4 5 6; do
	[ "$(cat "$T/con.$i")" = "$first" ] || same=no
done
check "six first runs at once on an empty cache: one tree, the same /etc in each" \
	'test "$same" = yes && test "$(trees | wc -l)" = 1 && head -1 "$T/con.1" | grep -q "^$CACHE/"' ||
	head -3 "$T/con."* | sed 's/^/# /'
check "... and no temporary directory left" \
	'test -z "$(find "$CACHE" -mindepth 1 -maxdepth 1 -name ".*")"'

# ---- a running sandbox keeps its tree -------------------------------------
echo "# version 1" >"$T/host/ld.so.conf.d/zz-ccsb-etc-cache.conf"
chmod 644 "$T/host/ld.so.conf.d/zz-ccsb-etc-cache.conf"
rm -f "$PROJ/go" "$PROJ/out"
sb sh -c 'cat /etc/ld.so.conf.d/zz-ccsb-etc-cache.conf >out;
	: >ready; while [ ! -e go ]; do sleep 0.1; done
	cat /etc/ld.so.conf.d/zz-ccsb-etc-cache.conf >>out; ls /etc/ssl/certs | wc -l >>out' &
long=$!
n=0
while [ ! -e "$PROJ/ready" ] && [ $n -lt 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
t_long=$(for d in $(trees); do [ -e "$CACHE/$d/ld.so.conf.d/zz-ccsb-etc-cache.conf" ] &&
	grep -q "version 1" "$CACHE/$d/ld.so.conf.d/zz-ccsb-etc-cache.conf" && echo "$CACHE/$d"; done)
# Make every tree old enough to be removed, as a day later.
age() { touch -d '2 hours ago' "$CACHE"/*.lock; }
echo "# version 2" >"$T/host/ld.so.conf.d/zz-ccsb-etc-cache.conf"
age
t_v2=$(tree_of)
check "a host change while a sandbox runs: new runs build a new tree" \
	'test -n "$t_v2" && test "$t_v2" != "$t_long" && test "$(sb cat /etc/ld.so.conf.d/zz-ccsb-etc-cache.conf)" = "# version 2"'
check "... the running sandbox's tree is kept" 'test -n "$t_long" && test -d "$t_long"'
check "... the unused old trees are removed" 'test "$(trees | wc -l)" = 2' || trees | sed 's/^/# /'
echo "# version 3" >"$T/host/ld.so.conf.d/zz-ccsb-etc-cache.conf"
age
t_v3=$(tree_of)
check "another change: the running sandbox's tree is still kept, the unused v2 is gone" \
	'test -d "$t_long" && ! test -e "$t_v2" && test -d "$t_v3"'
: >"$PROJ/go"
wait $long
check "... and the running sandbox read its own /etc to the end" \
	'test "$(sed -n 1p "$PROJ/out")" = "# version 1" && test "$(sed -n 2p "$PROJ/out")" = "# version 1" &&
	test "$(sed -n 3p "$PROJ/out")" -gt 0'
echo "# version 4" >"$T/host/ld.so.conf.d/zz-ccsb-etc-cache.conf"
age
t_v4=$(tree_of)
check "once it has ended, its tree is removed at the next build" \
	'! test -e "$t_long" && ! test -e "$t_long.lock" && test "$(trees)" = "$(basename "$t_v4")"'
echo "# version 5" >"$T/host/ld.so.conf.d/zz-ccsb-etc-cache.conf"
t_v5=$(tree_of)
check "a tree used recently is not removed by the next build" \
	'test -d "$t_v4" && test -d "$t_v5" && test "$t_v4" != "$t_v5"'
age
t_again=$(tree_of)
check "after a pause, the first start removes the trees left unused (no build needed)" \
	'test "$t_again" = "$t_v5" && test "$(trees)" = "$(basename "$t_v5")"'

t_done
