#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 3: slirp4netns networking and the route allowlist, hermetic: this
# script re-runs itself in a private network namespace whose only hosts are
# documentation addresses on lo (see tests/lib/netns.sh).
. "$top_srcdir/tests/lib/netns.sh"
: "${CCSB:?}" "${CCSB_EXEC_HELPER:?}"
command -v slirp4netns >/dev/null 2>&1 || netns_skip "slirp4netns not found (apt-get install slirp4netns)"
netns_need_tun

. "$top_srcdir/tests/lib/check.sh"

netns_workdir net

netns_tcp_server 198.51.100.1 8080 || exit 1
netns_udp_server 198.51.100.1 5353 || exit 1
netns_tcp_server 203.0.113.1 8080 || exit 1
netns_udp_server 203.0.113.1 5353 || exit 1
# A service on the host's loopback: never reachable from the sandbox.
netns_tcp_server 127.0.0.1 8081 || exit 1

# The probe runs inside: one line per target, "PROTO ADDR PORT RESULT MS".
cat >"$D/proj/probe.py" <<'EOF_PY'
import errno, socket, sys, time
args = sys.argv[1:]
for i in range(0, len(args), 3):
    proto, addr, port = args[i], args[i + 1], int(args[i + 2])
    t0 = time.monotonic()
    try:
        if proto == "tcp":
            s = socket.create_connection((addr, port), timeout=3)
            s.sendall(b"ping\n")
            res = "ok" if s.recv(16) == b"ping\n" else "bad-echo"
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            s.connect((addr, port))
            s.send(b"ping")
            res = "ok" if s.recv(16) == b"ping" else "bad-echo"
        s.close()
    except socket.timeout:
        res = "timeout"
    except OSError as e:
        res = errno.errorcode.get(e.errno, str(e.errno))
    print(proto, addr, port, res, "%.2f" % ((time.monotonic() - t0) * 1000))
EOF_PY
chmod 644 "$D/proj/probe.py"
PY=/usr/bin/python3

# ccsb as the unprivileged test user, in the project dir.
run() {
	(cd "$D/proj" && as_user env -i PATH=/usr/bin:/bin HOME="$D/home" TERM=dumb \
		CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" ${CCSB_ALLOWLIST:+CCSB_ALLOWLIST="$CCSB_ALLOWLIST"} \
		${RUN_ENV-} "$CCSB" "$@")
}
result() { echo "$out" | awk -v p="$1" -v a="$2" '$1 == p && $2 == a { print $4 }'; }
ms() { echo "$out" | awk -v p="$1" -v a="$2" '$1 == p && $2 == a { print $5 }'; }

# ---- allowlist ---------------------------------------------------------
out=$(run --no-default-allowlist --allow=198.51.100.0/24 -- $PY probe.py \
	tcp 198.51.100.1 8080 udp 198.51.100.1 5353 tcp 203.0.113.1 8080 udp 203.0.113.1 5353 \
	tcp 10.0.2.2 8081 tcp 127.0.0.1 8081 2>"$D/err")
echo "$out" | sed 's/^/    /'
check "allowlist: TCP to 198.51.100.1 exchanges data" 'test "$(result tcp 198.51.100.1)" = ok'
check "allowlist: UDP to 198.51.100.1 exchanges data" 'test "$(result udp 198.51.100.1)" = ok'
check "allowlist: TCP to 203.0.113.1 fails with ENETUNREACH" 'test "$(result tcp 203.0.113.1)" = ENETUNREACH'
check "allowlist: UDP to 203.0.113.1 fails with ENETUNREACH" 'test "$(result udp 203.0.113.1)" = ENETUNREACH'
check "allowlist: ... at once ($(ms tcp 203.0.113.1) ms, $(ms udp 203.0.113.1) ms)" \
	'awk -v a="$(ms tcp 203.0.113.1)" -v b="$(ms udp 203.0.113.1)" "BEGIN { exit !(a < 100 && b < 100) }"'
check "allowlist: the host's loopback (10.0.2.2) is not reachable" \
	'case $(result tcp 10.0.2.2) in ENETUNREACH | ECONNREFUSED | EHOSTUNREACH) true ;; *) false ;; esac'
check "allowlist: 127.0.0.1 is the sandbox's own loopback" 'test "$(result tcp 127.0.0.1)" = ECONNREFUSED'
check "allowlist: the network status line on stderr, then the bounds' one" \
	'test "$(sed -n 1p "$D/err")" = "ccsb: network: allowlist, 1 prefix (1 as given), 0 names, DNS 127.0.0.1 (ccsb'"'"'s filter)" &&
	 sed -n 2p "$D/err" | grep -q "^ccsb: bounds: memory " && test "$(wc -l <"$D/err")" = 2'

out=$(run -q --no-default-allowlist --allow=198.51.100.0/24 -- sh -c '
	ip -4 route show; echo "--- v6"; ip -6 route show | grep -v "^fe80\|^multicast\|^ff00\|^::1\|^local"; echo "--- add"
	ip route add default via 10.0.2.2 2>&1 && echo added
	ip route add 203.0.113.0/24 via 10.0.2.2 2>&1 && echo added
	echo "--- nested"
	unshare -Ur sh -c "ip route add default via 10.0.2.2 && echo added; ip link set tap0 down && echo down" 2>&1
	ip -4 route show | grep -c default' 2>&1)
echo "$out" | sed 's/^/    /'
check "allowlist: routes are the connected net and the allowlist only" \
	'test "$(echo "$out" | sed -n "1,/^--- v6/p" | grep -v "^---" | sed "s/ proto.*//;s/ *$//" | sort)" = "$(printf "10.0.2.0/24 dev tap0\n198.51.100.0/24 via 10.0.2.2 dev tap0\n" | sort)"'
check "allowlist: no IPv6 route out (IPv6 off)" \
	'test -z "$(echo "$out" | sed -n "/^--- v6/,/^--- add/p" | grep -v "^---")"'
check "allowlist: 'ip route add default' inside fails" \
	'! echo "$out" | sed -n "/^--- add/,/^--- nested/p" | grep -q "^added"'
check "allowlist: ... and after unshare -Ur too" \
	'! echo "$out" | sed -n "/^--- nested/,\$p" | grep -q -e "^added" -e "^down"'
check "allowlist: still no default route at the end" 'test "$(echo "$out" | tail -n1)" = 0'

# ---- full --------------------------------------------------------------
out=$(run -q --net=full -- $PY probe.py tcp 198.51.100.1 8080 tcp 203.0.113.1 8080 \
	udp 203.0.113.1 5353 tcp 10.0.2.2 8081 2>&1)
echo "$out" | sed 's/^/    /'
check "full: reaches 198.51.100.1" 'test "$(result tcp 198.51.100.1)" = ok'
check "full: reaches 203.0.113.1 (TCP and UDP)" \
	'test "$(result tcp 203.0.113.1)" = ok && test "$(result udp 203.0.113.1)" = ok'
check "full: the host's loopback (10.0.2.2) is not reachable" \
	'test "$(result tcp 10.0.2.2)" != ok && test "$(result tcp 10.0.2.2)" != timeout'
check "full: status line" \
	'run --net=full -- true 2>&1 | grep -qx "ccsb: network: full (any destination except the host.s loopback), DNS 10.0.2.3"'
check "full: resolv.conf points at slirp's forwarder" \
	'test "$(run -q --net=full -- cat /etc/resolv.conf)" = "nameserver 10.0.2.3"'
check "none: no network but loopback" \
	'test "$(run -q --net=none -- $PY probe.py tcp 198.51.100.1 8080 | cut -d" " -f4)" = ENETUNREACH'
# Without a resolv.conf, resolvers ask 127.0.0.1:53 on the sandbox's own
# loopback and some (Claude Code's) retry the refused queries for half a
# minute: the resolver of --net=none is an address with no route instead.
ns=$(run -q --net=none -- sed -n 's/^nameserver //p' /etc/resolv.conf)
check "none: resolv.conf names one server, not on the loopback" \
	'test "$(echo "$ns" | wc -l)" = 1 && test -n "$ns" && case $ns in 127.*|::1) false ;; esac'
check "none: the resolver is unreachable at once (ENETUNREACH, not a wait)" \
	'test "$(run -q --net=none -- $PY probe.py udp "$ns" 53 | cut -d" " -f4)" = ENETUNREACH'
check "none: a lookup fails" \
	'! run -q --net=none -- getent hosts api.anthropic.com'

# ---- the default list and merging --------------------------------------
if [ -n "${CCSB_ALLOWLIST-}" ]; then
	# Entries without comments: prefixes (digits, ':', '.', '/') and names;
	# this machine's /etc/npmrc or /etc/pip.conf may name registries too.
	sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$CCSB_ALLOWLIST" >"$D/default-entries"
	given=$(grep -c '^[0-9a-fA-F:./]*$' "$D/default-entries")
	names=$(grep -vc '^[0-9a-fA-F:./]*$' "$D/default-entries")
	out=$(run -q --print -- true | head -n1)
	check "default list: --print shows the plan ($out)" \
		'echo "$out" | grep -q "^# network: allowlist, [0-9]* prefixes ($given as given), [0-9]* names, DNS 127.0.0.1" &&
		 test "$(echo "$out" | sed "s/.*given), \([0-9]*\) names.*/\1/")" -ge "$names"'
	check "default list: it holds names (Claude Code, GitHub)" 'test "$names" -ge 10'
	out=$(run -q -- ip -4 route show)
	check "default list: installs (includes 140.82.112.0/20)" 'echo "$out" | grep -q "^140.82.112.0/20 via 10.0.2.2"'
fi

# 10,000 entries from the benchmarking range 198.18.0.0/15 (no packet is
# sent to them): the route table must equal the merged set.
$PY - "$D/big.txt" "$D/merged.txt" <<'EOF_PY'
import ipaddress, random, sys
random.seed(7)
base = int(ipaddress.ip_address("198.18.0.0"))
nets = set()
while len(nets) < 10000:
    # Mostly hosts, so that the merged set stays large.
    plen = random.choice([32, 32, 32, 32, 31, 30])
    a = base + random.randrange(1 << 17)
    nets.add(ipaddress.ip_network((a >> (32 - plen) << (32 - plen), plen)))
with open(sys.argv[1], "w") as f:
    f.write("# generated\n" + "".join("%s\n" % n for n in nets))
with open(sys.argv[2], "w") as f:
    f.write("".join("%s\n" % n for n in sorted(ipaddress.collapse_addresses(nets))))
EOF_PY
chmod 644 "$D/big.txt"
out=$(run -q --no-default-allowlist --allow-file="$D/big.txt" -- ip -4 route show 2>&1)
# ip prints host routes without "/32".
echo "$out" | awk '/ via / { print ($1 ~ /\//) ? $1 : $1 "/32" }' | sort >"$D/got.txt"
sort "$D/merged.txt" >"$D/want.txt"
check "10,000 entries: $(wc -l <"$D/want.txt") merged routes installed, equal to the merged set" \
	'cmp -s "$D/got.txt" "$D/want.txt"'
out=$(run --print --no-default-allowlist --allow-file="$D/big.txt" -- true | head -n1)
check "--print: prefixes before and after merging" \
	'test "$out" = "# network: allowlist, $(wc -l <"$D/want.txt") prefixes (10000 as given), 0 names, DNS 127.0.0.1 (ccsb'"'"'s filter)"'

# ---- bad allowlist files -----------------------------------------------
bad() {
	printf '# comment\n198.51.100.0/24\n%s\n' "$2" >"$D/bad.txt"
	chmod 644 "$D/bad.txt"
	out=$(run --no-default-allowlist --allow-file="$D/bad.txt" -- sh -c 'echo RAN' 2>&1)
	st=$?
	check "bad file ($1): exit 125" 'test $st = 125'
	check "bad file ($1): '$3'" 'echo "$out" | grep -qF "$D/bad.txt:3: $3"'
	check "bad file ($1): nothing ran" '! echo "$out" | grep -q RAN'
}
bad "prefix length" "198.51.100.0/33" "bad prefix length"
bad "garbage" "hello world" "not an address"
bad "IPv6 typo" "2001:db8:::1" "not an IPv6 address"
bad "trailing junk" "198.51.100.7 x" "trailing junk"
bad "host bits" "10.0.0.1/8" "host bits set, did you mean 10.0.0.0/8"
out=$(run --allow=300.1.2.3 -- true 2>&1)
st=$?
check "bad --allow: exit 125 naming it" 'test $st = 125 && echo "$out" | grep -q "300.1.2.3"'
out=$(run --no-default-allowlist --allow=0.0.0.0/1 --allow=128.0.0.0/1 -- sh -c 'echo RAN' 2>&1)
st=$?
check "an allowlist covering everything: exit 125, pointing at --net=full, nothing ran" \
	'test $st = 125 && echo "$out" | grep -q -- "--net=full" && ! echo "$out" | grep -q RAN'
out=$(run --allow-file="$D/missing.txt" -- true 2>&1)
st=$?
check "missing --allow-file: exit 125 naming it" 'test $st = 125 && echo "$out" | grep -q "missing.txt"'

# ---- ccsb's own failures: 125, never a weaker network ------------------
out=$(RUN_ENV=CCSB_SLIRP4NETNS=/nonexistent/slirp4netns run --no-default-allowlist \
	--allow=198.51.100.0/24 -- sh -c 'echo RAN' 2>&1)
st=$?
check "missing slirp4netns: exit 125" 'test $st = 125'
check "missing slirp4netns: says how to fix it" 'echo "$out" | grep -q "slirp4netns"'
check "missing slirp4netns: the command never ran" '! echo "$out" | grep -q RAN'
out=$(RUN_ENV=CCSB_NET_HELPER=/nonexistent/ccsb-net run --no-default-allowlist \
	--allow=198.51.100.0/24 -- sh -c 'echo RAN' 2>&1)
st=$?
check "missing network helper: exit 125, named with the fix, nothing ran" \
	'test $st = 125 && echo "$out" | grep -q "/nonexistent/ccsb-net is missing: reinstall" && ! echo "$out" | grep -q RAN'
out=$(RUN_ENV=CCSB_NET_HELPER=/nonexistent/ccsb-net run --net=full -- sh -c 'echo RAN' 2>&1)
st=$?
check "missing network helper: --net=full refused too" 'test $st = 125 && ! echo "$out" | grep -q RAN'
# A private mount namespace where /dev/net/tun is mode 0600 again.
mkdir -p "$D/tun600"
out=$(unshare --mount sh -c "mount -t tmpfs -o mode=0755 none /dev/net && mknod -m 0600 /dev/net/tun c 10 200 &&
	cd '$D/proj' && setpriv --reuid=$NETNS_UID --regid=$NETNS_GID --clear-groups -- env -i PATH=/usr/bin:/bin \
	HOME='$D/home' CCSB_EXEC_HELPER='$CCSB_EXEC_HELPER' '$CCSB' --no-default-allowlist --allow=198.51.100.0/24 -- sh -c 'echo RAN'" 2>&1)
st=$?
if [ -n "${NETNS_OUTER_UID-}" ]; then
	echo "    (skipping the 0600 tun check: needs real root)"
else
	check "unusable /dev/net/tun: exit 125" 'test $st = 125'
	check "unusable /dev/net/tun: names it and the fix" 'echo "$out" | grep -q "/dev/net/tun" && echo "$out" | grep -q "0666"'
	check "unusable /dev/net/tun: the command never ran" '! echo "$out" | grep -q RAN'
fi

# The network helper ccsb-net: one of another build (a record of the wrong
# size), one that dies before answering: each refuses
# the network with a message naming the helper and the fix; the command
# never runs. --net=none does not need it.
cat >"$D/proj/old-helper" <<'EOF_SH'
#!/bin/sh
printf 'an older protocol' >&3
EOF_SH
printf '#!/bin/sh\nkill -KILL $$\n' >"$D/proj/dying-helper"
chmod 755 "$D/proj/old-helper" "$D/proj/dying-helper"
out=$(RUN_ENV="CCSB_NET_HELPER=$D/proj/old-helper" run --no-default-allowlist \
	--allow=198.51.100.0/24 -- sh -c 'echo RAN' 2>&1)
st=$?
check "helper of another build: exit 125" 'test $st = 125'
check "helper of another build: says reinstall" \
	'echo "$out" | grep -q "old-helper sent a message of the wrong size (protocol [0-9]* expected): reinstall ccsb"'
check "helper of another build: the command never ran" '! echo "$out" | grep -q RAN'
out=$(RUN_ENV="CCSB_NET_HELPER=$D/proj/dying-helper" run --net=full -- sh -c 'echo RAN' 2>&1)
st=$?
check "helper killed: exit 125, names the signal" \
	'test $st = 125 && echo "$out" | grep -q "dying-helper was killed by signal 9"'
check "helper killed: the command never ran" '! echo "$out" | grep -q RAN'
out=$(RUN_ENV="CCSB_NET_HELPER=$D/proj/no-such-helper" run -q --net=none -- sh -c 'echo RAN' 2>&1)
check "--net=none does not need the helper" 'test "$out" = RAN'
# Run by hand, it says what it is.
out=$("$(dirname "$CCSB_EXEC_HELPER")/ccsb-net" 2>&1)
st=$?
check "ccsb-net run by hand: exit 2 and its usage" \
	'test $st = 2 && echo "$out" | grep -q "internal helper of libccsandbox"'

# ---- nothing left behind -------------------------------------------------
settle() {
	# slirp4netns needs ~20 ms to tear down after its exit fd closes.
	i=0
	while pgrep -x slirp4netns >/dev/null && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
}
run -q --net=full -- true
settle
check "after a normal exit: no slirp4netns left" '! pgrep -x slirp4netns >/dev/null'
run -q --net=full -- sh -c 'kill -TERM $$'
st=$?
settle
check "after death by signal (status $st): no slirp4netns left" 'test $st = 143 && ! pgrep -x slirp4netns >/dev/null'
run -q --net=full -- sleep 30 &
i=0
while ! pgrep -x slirp4netns >/dev/null && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
sleep 0.2
pkill -KILL -f "$CCSB -q --net=full -- sleep 30" || pkill -KILL -x ccsb || pkill -KILL -f "lt-ccsb|/ccsb -q"
wait
settle
sleep 0.2
check "after SIGKILL of ccsb: no slirp4netns left" '! pgrep -x slirp4netns >/dev/null'
check "after SIGKILL of ccsb: no sandbox left" '! pgrep -f "sleep 30" >/dev/null && ! pgrep -x bwrap >/dev/null'

t_done
