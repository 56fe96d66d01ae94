#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ccsb doctor`: the healthy case, and each failure faked in a private mount
# namespace (a tun node of another mode, a bind-mounted sysctl file, a
# PATH or CCSB_BWRAP/CCSB_SLIRP4NETNS without the program, a fake bwrap
# that fails as AppArmor makes it fail). Doctor itself runs as the
# unprivileged test user, as users run it. Nothing touches the host's
# sysctls or /dev: every change is a mount in a namespace that dies with
# the check.
. "$top_srcdir/tests/lib/common.sh"
[ "$(id -u)" = 0 ] ||
	t_skip "needs root, to fake /dev/net/tun and sysctl files in private mount namespaces"
command -v unshare >/dev/null 2>&1 || t_skip "unshare not found (util-linux)"
command -v mknod >/dev/null 2>&1 || t_skip "mknod not found (coreutils)"
t_setup

# The mount namespace's setup, then `ccsb doctor` as the test user. D_TUN:
# mode of /dev/net/tun, or "none"; D_MAX: fake user.max_user_namespaces;
# D_APPARMOR: fake kernel.apparmor_restrict_unprivileged_userns; D_NOLIB:
# a library to hide (/dev/null bound over it); D_WRAP: a program that runs
# doctor (e.g. under a seccomp filter); D_CHROOT=1: doctor in a chroot that
# holds /usr, /etc, /proc, /dev and the test's and build's directories. The
# arguments are VAR=VALUE settings for doctor's environment.
cat >"$T/ns.sh" <<'EOF'
set -e
mount -t tmpfs -o mode=0755 tmpfs /dev/net
[ "$D_TUN" = none ] || mknod -m "$D_TUN" /dev/net/tun c 10 200
[ -z "$D_NOLIB" ] || mount --bind /dev/null "$D_NOLIB"
if [ -n "$D_MAX" ]; then
	echo "$D_MAX" >"$T/fake-max"
	mount --bind "$T/fake-max" /proc/sys/user/max_user_namespaces
fi
if [ -n "$D_APPARMOR" ]; then
	# A copy of /proc/sys/kernel with the AppArmor switch added.
	mkdir -p "$T/fake-kernel"
	for f in /proc/sys/kernel/*; do
		[ -f "$f" ] && cat "$f" >"$T/fake-kernel/${f##*/}" 2>/dev/null || :
	done
	echo "$D_APPARMOR" >"$T/fake-kernel/apparmor_restrict_unprivileged_userns"
	mount --bind "$T/fake-kernel" /proc/sys/kernel
fi
if [ -n "$D_CHROOT" ]; then
	r=$T/chroot
	mkdir -p "$r/usr" "$r/etc" "$r/proc" "$r/dev" "$r/tmp"
	mount --rbind /usr "$r/usr"
	mount --bind /etc "$r/etc"
	mount --rbind /proc "$r/proc"
	mount --rbind /dev "$r/dev"
	for d in bin sbin lib lib32 lib64 libx32; do
		if [ -L "/$d" ]; then
			ln -sfn "$(readlink "/$d")" "$r/$d"
		elif [ -d "/$d" ]; then
			mkdir -p "$r/$d" && mount --rbind "/$d" "$r/$d"
		fi
	done
	for d in "$T" "$top_builddir" "$top_srcdir"; do
		mkdir -p "$r$d" && mount --bind "$d" "$r$d"
	done
	exec chroot "$r" setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --clear-groups -- \
		sh -c 'cd "$1" && shift && exec "$@"' sh "${D_CWD:-$PROJ}" \
		env -i PATH="$D_PATH" HOME="$THOME" LANG=C.UTF-8 CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
		CCSB_ALLOWLIST="$CCSB_ALLOWLIST" "$@" "$CCSB" doctor
fi
set +e
cd "${D_CWD:-$PROJ}"
exec setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --clear-groups -- \
	env -i PATH="$D_PATH" HOME="$THOME" LANG=C.UTF-8 CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
	CCSB_ALLOWLIST="$CCSB_ALLOWLIST" "$@" $D_WRAP "$CCSB" doctor
EOF
chmod 644 "$T/ns.sh"

D_TUN=0666 D_MAX= D_APPARMOR= D_PATH=/usr/local/bin:/usr/bin:/bin
D_CWD= D_NOLIB= D_WRAP= D_CHROOT=
export T PROJ THOME CCSB CCSB_ALLOWLIST TEST_UID TEST_GID D_TUN D_MAX D_APPARMOR D_PATH D_CWD D_NOLIB \
	D_WRAP D_CHROOT top_builddir top_srcdir

# doctor [VAR=VALUE...]: output in $out, status in $st.
doctor() {
	out=$(unshare --mount --propagation private sh "$T/ns.sh" "$@" 2>&1)
	st=$?
	printf '%s\n' "$out" | sed -e 's/^/    | /'
}
has() { printf '%s\n' "$out" | grep -qF -- "$1"; }
has_line() { printf '%s\n' "$out" | grep -qE -- "$1"; }
nfail() { printf '%s\n' "$out" | grep -c '^failure '; }

# PATHs that lack one program each, since /usr/bin holds them all: bwrap,
# slirp4netns, true (run in bwrap's test sandbox) and ls (used by libtool's
# wrapper of an uninstalled ccsb), and a fake claude installation.
prog() {
	for d in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	echo "$1 not found" >&2
	exit 1
}
mkdir -p "$T/bin-all" "$T/bin-nobwrap" "$T/bin-noslirp" "$T/bin-claude" "$T/opt/claude/bin"
for p in bwrap slirp4netns true ls; do
	ln -s "$(prog $p)" "$T/bin-all/$p"
	ln -s "$(prog $p)" "$T/bin-claude/$p"
	[ $p = bwrap ] || ln -s "$(prog $p)" "$T/bin-nobwrap/$p"
	[ $p = slirp4netns ] || ln -s "$(prog $p)" "$T/bin-noslirp/$p"
done
printf '#!/bin/sh\necho fake claude\n' >"$T/opt/claude/bin/claude"
chmod 755 "$T/opt/claude/bin/claude"
ln -s "$T/opt/claude/bin/claude" "$T/bin-claude/claude"
chmod -R go+rX "$T/bin-all" "$T/bin-nobwrap" "$T/bin-noslirp" "$T/bin-claude" "$T/opt"

echo "# healthy: a 0666 tun node, everything installed"
D_PATH=$T/bin-claude doctor
check "healthy: exit 0" 'test $st = 0'
check "healthy: no failure line" 'test "$(nfail)" = 0'
check "healthy: says so" 'has "ccsb can run with full protection"'
check "healthy: every line is a check, a fix or the summary" \
	'! printf "%s\n" "$out" | grep -vE "^(ok|warning|failure) +[^ ]|^         (fix: |     )|^ccsb can run"'
check "healthy: bwrap and its version" 'has_line "^ok +bwrap: bubblewrap [0-9]+\.[0-9]+"'
check "healthy: slirp4netns and its version" 'has_line "^ok +slirp4netns: slirp4netns version [0-9]"'
check "healthy: the network helper starts" 'has_line "^ok +ccsb-net: .*ccsb-net \(starts\)"'
check "healthy: user namespaces" 'has_line "^ok +user namespaces: "'
check "healthy: name-bound connections (nf_tables NAT tried for real)" \
	'has_line "^ok +name-bound connections: nf_tables NAT works"'
check "healthy: max_user_namespaces" 'has_line "^ok +user.max_user_namespaces: not 0"'
check "healthy: AppArmor" 'has_line "^ok +AppArmor: "'
check "healthy: a real sandbox runs" 'has_line "^ok +sandbox: a command runs"'
check "healthy: seccomp" 'has_line "^ok +seccomp: a filter can be loaded"'
check "healthy: NS_GET_USERNS" 'has_line "^ok +NS_GET_USERNS: supported"'
check "healthy: /dev/net/tun" 'has_line "^ok +/dev/net/tun: can be opened read-write"'
check "healthy: Landlock is informational" 'has_line "^ok +Landlock: .*informational"'
check "healthy: the default allowlist loads" 'has_line "^ok +default allowlist: .*ip-ranges.txt, [0-9]+ prefixes"'
check "healthy: no configuration file" 'has_line "^ok +configuration: none"'
check "healthy: the policy lets ccsb claude reach api.anthropic.com (the default list)" \
	'has_line "^ok +policy: api\.anthropic\.com \(the API\) is allowed \(the default allowlist .*ip-ranges.txt"'
check "healthy: claude found, with where it really is" \
	'has_line "^ok +claude: " && has "claude: $T/bin-claude/claude -> $T/opt/claude/bin/claude"'

echo "# no claude on PATH: a warning with the install hint, still exit 0"
D_PATH=$T/bin-all doctor
check "no claude: exit 0" 'test $st = 0'
check "no claude: a warning" 'has_line "^warning +claude: not found on PATH"'
check "no claude: the install hint" 'has "fix: sudo npm install -g @anthropic-ai/claude-code"'

echo "# bwrap missing from PATH"
D_PATH=$T/bin-nobwrap doctor
check "no bwrap on PATH: exit 1" 'test $st = 1'
check "no bwrap on PATH: failure line" 'has_line "^failure +bwrap: bwrap not found on PATH"'
check "no bwrap on PATH: the fix" 'has "fix: sudo apt-get install bubblewrap"'
check "no bwrap on PATH: the summary" 'has_line "check(s)? failed: ccsb cannot run with full protection"'

echo "# CCSB_BWRAP names a missing program"
doctor CCSB_BWRAP=/nonexistent/bwrap
check "CCSB_BWRAP=/nonexistent: exit 1" 'test $st = 1'
check "CCSB_BWRAP=/nonexistent: named" \
	'has_line "^failure +bwrap: /nonexistent/bwrap not found \(CCSB_BWRAP\)"'
check "CCSB_BWRAP=/nonexistent: fix mentions the variable" 'has "point CCSB_BWRAP at bwrap"'

echo "# a bwrap older than 0.8.0 lacks --disable-userns, which every default run passes"
cat >"$T/fake-bwrap-old" <<'EOF'
#!/bin/sh
[ "$1" = --version ] && { echo "bubblewrap 0.6.1"; exit 0; }
exit 0
EOF
chmod 755 "$T/fake-bwrap-old"
doctor CCSB_BWRAP="$T/fake-bwrap-old"
check "bwrap 0.6.1: exit 1" 'test $st = 1'
check "bwrap 0.6.1: a failure naming --disable-userns" \
	'has_line "^failure +bwrap: bubblewrap 0.6.1 .* older than 0.8.0: it lacks --disable-userns"'

echo "# slirp4netns missing"
D_PATH=$T/bin-noslirp doctor
check "no slirp4netns: exit 1" 'test $st = 1'
check "no slirp4netns: failure line" 'has_line "^failure +slirp4netns: slirp4netns not found on PATH"'
check "no slirp4netns: the fix" 'has "fix: sudo apt-get install slirp4netns"'
doctor CCSB_SLIRP4NETNS=/nonexistent/slirp4netns
check "CCSB_SLIRP4NETNS=/nonexistent: exit 1 and named" \
	'test $st = 1 && has_line "^failure +slirp4netns: /nonexistent/slirp4netns not found \(CCSB_SLIRP4NETNS\)"'

echo "# ccsb-net missing, and one that does not start"
doctor CCSB_NET_HELPER=/nonexistent/ccsb-net
check "no ccsb-net: exit 1, exactly one failure" 'test $st = 1 && test "$(nfail)" = 1'
check "no ccsb-net: named, with the fix" \
	'has_line "^failure +ccsb-net: /nonexistent/ccsb-net: No such file" && has "fix: reinstall ccsb"'
doctor CCSB_NET_HELPER=/bin/false
check "ccsb-net that does not start: exit 1, exactly one failure" \
	'test $st = 1 && test "$(nfail)" = 1 && has_line "^failure +ccsb-net: /bin/false does not start"'

echo "# a kernel without nf_tables NAT (a ccsb-net whose probe fails as such a kernel makes it)"
cat >"$T/net-nonat" <<'EOF_SH'
#!/bin/sh
if [ "$1" = --probe-names ]; then
	echo "the nf_tables rule redirecting TCP to the synthetic addresses (the kernel needs nf_tables and NAT: CONFIG_NF_TABLES, CONFIG_NFT_REDIR): Operation not supported"
	exit 1
fi
echo "ccsb-net: an internal helper of libccsandbox, not for direct use" >&2
exit 2
EOF_SH
chmod 755 "$T/net-nonat"
doctor CCSB_NET_HELPER="$T/net-nonat"
check "no nf_tables NAT: exit 1, exactly one failure" 'test $st = 1 && test "$(nfail)" = 1'
check "no nf_tables NAT: named, with its reason and the fix" \
	'has_line "^failure +name-bound connections: the nf_tables rule .*Operation not supported; an allowlist with names" &&
	 has "fix: use a kernel with nf_tables and NAT"'

echo "# /dev/net/tun with mode 0600"
D_TUN=0600 doctor
check "tun 0600: exit 1" 'test $st = 1'
check "tun 0600: exactly one failure" 'test "$(nfail)" = 1'
check "tun 0600: the cause" \
	'has_line "^failure +/dev/net/tun: cannot open it read-write: Permission denied \(mode 0600, owner uid 0\)"'
check "tun 0600: the fix" 'has "fix: sudo chmod 0666 /dev/net/tun"'

echo "# /dev/net/tun missing"
D_TUN=none doctor
check "no tun: exit 1" 'test $st = 1'
check "no tun: the cause" 'has_line "^failure +/dev/net/tun: cannot open it read-write: No such file"'
check "no tun: the fix" 'has "fix: sudo modprobe tun"'

echo "# user.max_user_namespaces = 0 (a file bind-mounted over the sysctl)"
D_MAX=0 doctor
check "max_user_namespaces 0: exit 1" 'test $st = 1'
check "max_user_namespaces 0: the cause" 'has_line "^failure +user.max_user_namespaces is 0"'
check "max_user_namespaces 0: the fix" 'has "fix: sudo sysctl -w user.max_user_namespaces=15000"'

echo "# user namespaces denied by a seccomp filter, as in Docker's default profile"
if cc -O1 -o "$T/nouserns" "$top_srcdir/tests/integration/nouserns.c" 2>"$T/cc.err"; then
	chmod 755 "$T/nouserns"
	D_WRAP=$T/nouserns doctor
	check "seccomp-denied user namespaces: exit 1" 'test $st = 1'
	check "seccomp-denied user namespaces: the cause" \
		'has_line "^failure +user namespaces: unshare\(CLONE_NEWUSER\) fails: Operation not permitted"'
	check "seccomp-denied user namespaces: the seccomp fix first" \
		'printf "%s\n" "$out" | grep -A1 "^failure  *user namespaces" | grep -q "fix: a seccomp filter on this process denies them" &&
		 has "--security-opt seccomp=unconfined"'
	check "seccomp-denied user namespaces: no chroot named" '! has "in a chroot"'
else
	fail "cannot build the seccomp wrapper: $(head -n 3 "$T/cc.err")"
fi

echo "# user namespaces refused in a chroot"
if [ "$(id -u)" = 0 ]; then
	D_CHROOT=1 doctor
	check "chroot: exit 1" 'test $st = 1'
	check "chroot: the cause" \
		'has_line "^failure +user namespaces: unshare\(CLONE_NEWUSER\) fails: Operation not permitted"'
	check "chroot: the fix" \
		'printf "%s\n" "$out" | grep -A1 "^failure  *user namespaces" | grep -q "fix: this process is in a chroot"'
	check "chroot: no seccomp filter named" '! has "a seccomp filter on this process"'
	check "chroot: the other causes" 'has "kernel.unprivileged_userns_clone=0, user.max_user_namespaces=0"'
else
	echo "# not root: no chroot"
fi

echo "# Ubuntu's AppArmor restriction, with a bwrap that fails the way it makes it fail"
cat >"$T/fake-bwrap" <<'EOF'
#!/bin/sh
[ "$1" = --version ] && { echo "bubblewrap 0.9.0"; exit 0; }
echo "bwrap: setting up uid map: Permission denied" >&2
exit 1
EOF
chmod 755 "$T/fake-bwrap"
D_APPARMOR=1 doctor CCSB_BWRAP="$T/fake-bwrap"
check "AppArmor: exit 1" 'test $st = 1'
check "AppArmor: the cause" \
	'has_line "^failure +AppArmor: kernel.apparmor_restrict_unprivileged_userns is 1"'
check "AppArmor: the profile, for this bwrap only" \
	'has "profile bwrap $T/fake-bwrap flags=(unconfined) {"'
check "AppArmor: the profile's parts" \
	'has "abi <abi/4.0>," && has "include <tunables/global>" && has "  userns," && has "include if exists <local/bwrap>"'
check "AppArmor: the file and the reload" \
	'has "sudo tee /etc/apparmor.d/bwrap" && has "sudo apparmor_parser -r /etc/apparmor.d/bwrap"'
check "AppArmor: bwrap's own error is shown" 'has "setting up uid map: Permission denied"'

cat >"$T/fake-bwrap-ok" <<'EOF'
#!/bin/sh
[ "$1" = --version ] && { echo "bubblewrap 0.9.0"; exit 0; }
exit 0
EOF
chmod 755 "$T/fake-bwrap-ok"
D_APPARMOR=1 doctor CCSB_BWRAP="$T/fake-bwrap-ok"
check "AppArmor restricting, but bwrap allowed by a profile: ok" \
	'has_line "^ok +AppArmor: .*restricted, but a profile allows them to bwrap"'
D_APPARMOR=0 doctor
check "AppArmor switch at 0: ok" \
	'has_line "^ok +AppArmor: kernel.apparmor_restrict_unprivileged_userns is not 1"'

echo "# a broken configuration file"
mkdir -p "$THOME/.config/ccsb"
printf 'net = none\nfoo = bar\n' >"$THOME/.config/ccsb/config"
chmod -R go+rX "$THOME/.config"
doctor
check "bad configuration: exit 1" 'test $st = 1'
check "bad configuration: file:line" \
	'has_line "^failure +configuration: " && has "configuration: $THOME/.config/ccsb/config:2: unknown key '"'foo'"'"'
printf 'net = none\n' >"$THOME/.config/ccsb/config"
D_CWD=$THOME doctor
check "run from the home directory, a good configuration is ok" \
	'test $st = 0 && has_line "^ok +configuration: $THOME/.config/ccsb/config$"'
check "... net = none: a warning that ccsb claude cannot reach the API, with the fix" \
	'has_line "^warning +policy: .ccsb claude. cannot reach api\.anthropic\.com \(the API\): net = none in $THOME/.config/ccsb/config" &&
	 has "fix: ccsb --net=allowlist claude"'

echo "# the policy: the API host ccsb claude uses, against config + defaults"
rm -f "$THOME/.config/ccsb/config"
doctor ANTHROPIC_BASE_URL=https://gw.test.example:8443/v1
check "ANTHROPIC_BASE_URL's host not allowed: exit 1" 'test $st = 1 && test "$(nfail)" = 1'
check "... named, with the cause" \
	'has_line "^failure +policy: gw\.test\.example \(ANTHROPIC_BASE_URL.s host\) is not allowed: .ccsb claude. cannot reach it$"'
check "... and the fix: the config line, or --allow for one run" \
	'has "fix: add the line '"'allow = gw.test.example'"' to $THOME/.config/ccsb/config" &&
	 has "(or for one run: ccsb --allow=gw.test.example claude)"'
printf 'allow = gw.test.example\n' >"$THOME/.config/ccsb/config"
doctor ANTHROPIC_BASE_URL=https://gw.test.example:8443/v1
check "... with that line in the configuration: ok, exit 0" \
	'test $st = 0 && has_line "^ok +policy: gw\.test\.example \(ANTHROPIC_BASE_URL.s host\) is allowed"'
printf 'allow = *.test.example\n' >"$THOME/.config/ccsb/config"
doctor ANTHROPIC_BASE_URL=http://user:secret@API.Test.Example/
check "... a pattern covers it too (case, user information and scheme aside)" \
	'test $st = 0 && has_line "^ok +policy: api\.test\.example .* is allowed" && ! has secret'
printf 'allow = 203.0.113.0/24\n' >"$THOME/.config/ccsb/config"
doctor ANTHROPIC_BASE_URL=http://203.0.113.9:8080
check "... an address inside an allowed prefix: ok" \
	'test $st = 0 && has_line "^ok +policy: 203\.0\.113\.9 .* is allowed"'
printf 'no-default-allowlist = true\nallow = 198.51.100.0/24\n' >"$THOME/.config/ccsb/config"
doctor
check "no-default-allowlist in the configuration: api.anthropic.com is not allowed, exit 1" \
	'test $st = 1 && has_line "^failure +policy: api\.anthropic\.com \(the API\) is not allowed: .* \(no-default-allowlist in your configuration\)$" &&
	 has "fix: add the line '"'allow = api.anthropic.com'"'"'
printf 'net = full\n' >"$THOME/.config/ccsb/config"
doctor
check "net = full: reachable, ok" 'test $st = 0 && has_line "^ok +policy: api\.anthropic\.com .* is reachable: net = full"'
rm -f "$THOME/.config/ccsb/config"
doctor HTTPS_PROXY=http://proxy.test.example:3128
check "a proxy whose host is not allowed: a warning with the fix, exit 0" \
	'test $st = 0 && has_line "^warning +proxy: proxy\.test\.example \(HTTPS_PROXY\) is not allowed" &&
	 has "fix: add the line '"'allow = proxy.test.example'"' to $THOME/.config/ccsb/config"'
printf 'allow = proxy.test.example\n' >"$THOME/.config/ccsb/config"
doctor https_proxy=proxy.test.example:3128
check "... allowed by the configuration: ok (curl's host:port form)" \
	'test $st = 0 && has_line "^ok +proxy: proxy\.test\.example \(https_proxy\) is allowed"'
doctor
check "no proxy variable: no proxy line" '! has_line "^[a-z]+ +proxy:"'
rm -f "$THOME/.config/ccsb/config"
doctor ANTHROPIC_BASE_URL=not-a-url
check "ANTHROPIC_BASE_URL without a host: failure, with the fix" \
	'test $st = 1 && has_line "^failure +policy: ANTHROPIC_BASE_URL=not-a-url has no host" &&
	 has "fix: set ANTHROPIC_BASE_URL to an http(s) URL, or unset it"'
rm -rf "$THOME/.config"

echo "# doctor as root warns that its answers are root's"
out=$(cd "$PROJ" && env -i PATH=/usr/bin:/bin HOME="$THOME" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
	CCSB_ALLOWLIST="$CCSB_ALLOWLIST" "$CCSB" doctor 2>&1)
check "as root: a warning" 'has_line "^warning +running as root"'
rm -rf "$THOME/.claude" "$THOME/.npm" "$THOME/.claude.json"

echo "# the word doctor"
out=$(as_test_user "$CCSB" doctor extra 2>&1)
st=$?
check "doctor with arguments: exit 125" 'test $st = 125'
check "... says how to run a program named doctor" 'has "ccsb -- doctor"'
mkdir -p "$T/fakebin"
printf '#!/bin/sh\necho "a program named doctor: $*"\n' >"$T/fakebin/doctor"
chmod -R go+rX "$T/fakebin" && chmod 755 "$T/fakebin/doctor"
out=$(sb --ro="$T/fakebin:/usr/local/bin" -- doctor x 2>&1)
st=$?
check "ccsb -- doctor runs a program named doctor" \
	'test $st = 0 && test "$out" = "a program named doctor: x"'
out=$(sb -q --net=none -- doctor 2>&1)
st=$?
check "... and without one it is 127 (not found), not the checks" \
	'test $st = 127 && ! has "bwrap:"'
t_done
