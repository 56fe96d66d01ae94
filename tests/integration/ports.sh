#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 14: --publish (a server inside reached from the host), --host-port
# (a host service on the host's loopback reached from inside, and nothing
# else of the host), the relay of a proxy on the host's loopback, and their
# errors. Hermetic: a private network namespace whose only hosts are
# documentation addresses and its own loopback (tests/lib/netns.sh).
. "$top_srcdir/tests/lib/netns.sh"
: "${CCSB:?}" "${CCSB_EXEC_HELPER:?}"
command -v slirp4netns >/dev/null 2>&1 || netns_skip "slirp4netns not found (apt-get install slirp4netns)"
netns_need_tun

. "$top_srcdir/tests/lib/check.sh"

netns_workdir ports
PY=/usr/bin/python3

# Host services on the namespace's loopback (the "host" of the sandbox):
# 8081 is relayed in, 8082 must stay unreachable; 3128 plays a proxy.
netns_tcp_server 127.0.0.1 8081 || exit 1
netns_tcp_server 127.0.0.1 8082 || exit 1
netns_tcp_server 127.0.0.1 3128 || exit 1
# A service on another address of the host, allowed by the allowlist.
netns_tcp_server 198.51.100.1 8080 || exit 1

cat >"$D/proj/probe.py" <<'EOF_PY'
import errno, socket, sys
args = sys.argv[1:]
for i in range(0, len(args), 2):
    addr, port = args[i], int(args[i + 1])
    try:
        s = socket.create_connection((addr, port), timeout=5)
        s.sendall(b"ping\n")
        res = "ok" if s.recv(16) == b"ping\n" else "bad-echo"
        s.close()
    except socket.timeout:
        res = "timeout"
    except OSError as e:
        res = errno.errorcode.get(e.errno, str(e.errno))
    print(addr, port, res)
EOF_PY
# A server inside: listens on ADDR:PORT, then creates READY; answers each
# connection with "inside:" + all it read (to EOF), until it reads "quit".
cat >"$D/proj/server.py" <<'EOF_PY'
import os, socket, sys
addr, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(16)
open(ready, "w").close()
while True:
    c, _ = s.accept()
    data = b""
    while True:
        b = c.recv(65536)
        if not b:
            break
        data += b
    c.sendall(b"inside:" + data)
    c.close()
    if data.strip() == b"quit":
        break
EOF_PY
chmod 644 "$D/proj/probe.py" "$D/proj/server.py"

run() {
	(cd "$D/proj" && as_user env -i PATH=/usr/bin:/bin HOME="$D/home" TERM=dumb \
		CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" ${CCSB_ALLOWLIST:+CCSB_ALLOWLIST="$CCSB_ALLOWLIST"} \
		${RUN_ENV-} "$CCSB" "$@")
}
result() { echo "$out" | awk -v a="$1" -v p="$2" '$1 == a && $2 == p { print $3 }'; }
# talk ADDR PORT TEXT: one exchange from the host side.
talk() {
	$PY -c '
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    s.sendall(sys.argv[3].encode())
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    print(out.decode())
except OSError as e:
    print("error", e.errno)
' "$@"
}
# wait_ready FILE: until the server inside has created it (or 10 s).
wait_ready() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	test -e "$1"
}

# ---- --host-port, the default network (no other flag) -------------------
out=$(run --host-port=8081 -- $PY probe.py 127.0.0.1 8081 localhost 8081 127.0.0.1 8082 \
	10.0.2.2 8082 10.0.2.2 8081 198.51.100.1 8080 2>"$D/err")
echo "$out" | sed 's/^/    /'
check "host port: the host's 127.0.0.1:8081 answers inside at 127.0.0.1:8081" \
	'test "$(result 127.0.0.1 8081)" = ok'
check "host port: ... and at localhost:8081" 'test "$(result localhost 8081)" = ok'
check "host port: the host's 127.0.0.1:8082 is not reachable (the sandbox's own loopback refuses)" \
	'test "$(result 127.0.0.1 8082)" = ECONNREFUSED'
check "host port: nor through slirp's host address 10.0.2.2 (8082, 8081)" \
	'case $(result 10.0.2.2 8082)$(result 10.0.2.2 8081) in *ok*) false ;; ?*) true ;; *) false ;; esac'
check "host port: the allowlist still applies (198.51.100.1 is not in the default one)" \
	'test "$(result 198.51.100.1 8080)" = ENETUNREACH'
check "host port: the status line says so" 'grep -q "^ccsb: ports: host ports 8081$" "$D/err"'

out=$(run --net=full --host-port=8081,8082 -- $PY probe.py 127.0.0.1 8081 127.0.0.1 8082 \
	127.0.0.1 3128 10.0.2.2 3128 10.0.2.2 8081 2>"$D/err")
check "host port, --net=full: two ports listed are both relayed" \
	'test "$(result 127.0.0.1 8081)" = ok && test "$(result 127.0.0.1 8082)" = ok'
check "host port, --net=full: a port not listed (3128) is not" \
	'test "$(result 127.0.0.1 3128)" = ECONNREFUSED'
check "host port, --net=full: the host's loopback stays closed at 10.0.2.2 ($(result 10.0.2.2 3128), $(result 10.0.2.2 8081))" \
	'case $(result 10.0.2.2 3128)$(result 10.0.2.2 8081) in *ok*) false ;; ?*) true ;; *) false ;; esac'

# ---- the host-loopback proxy -------------------------------------------
out=$(RUN_ENV="HTTPS_PROXY=http://127.0.0.1:3128 http_proxy=http://localhost:3128/" \
	run --no-default-allowlist --allow=203.0.113.0/24 -- \
	curl -s --max-time 5 http://198.51.100.9/ 2>"$D/err")
check "proxy on the host's loopback: a proxied request inside reaches it" \
	'test "$out" = "hello from 127.0.0.1:3128"'
check "proxy: the status line says it is relayed, and for which variable" \
	'grep -q "^ccsb: ports: host ports 3128 (proxy relayed: 3128 for HTTPS_PROXY)$" "$D/err"'
# A proxy listening on the host's ::1 only (the relay tries 127.0.0.1, is
# refused, then ::1), named as [::1] in the variable.
if netns_tcp_server ::1 3129 2>/dev/null; then
	out=$(RUN_ENV="http_proxy=http://[::1]:3129/" \
		run --no-default-allowlist --allow=203.0.113.0/24 -- \
		curl -s --max-time 5 http://198.51.100.9/ 2>"$D/err")
	check "proxy on the host's ::1 only, named [::1]: a proxied request inside reaches it" \
		'test "$out" = "hello from ::1:3129"'
	check "... the status line says it is relayed" \
		'grep -q "^ccsb: ports: host ports 3129 (proxy relayed: 3129 for http_proxy)$" "$D/err"'
else
	echo "# no IPv6 loopback in this kernel: the [::1] proxy is not tried"
fi
out=$(RUN_ENV="HTTPS_PROXY=http://127.0.0.1:3128" run --net=none -- \
	$PY probe.py 127.0.0.1 3128 2>"$D/err")
check "proxy: not relayed with --net=none" \
	'test "$(result 127.0.0.1 3128)" = ECONNREFUSED && ! grep -q "ports:" "$D/err"'

# ---- --publish -----------------------------------------------------------
run --publish=18080:8000 -- $PY server.py 127.0.0.1 8000 "$D/proj/ready1" 2>"$D/err1" &
pid=$!
wait_ready "$D/proj/ready1"
check "publish: the server inside started" 'test -e "$D/proj/ready1"'
check "publish: reached from the host at 127.0.0.1:18080" \
	'test "$(talk 127.0.0.1 18080 hello)" = "inside:hello"'
check "publish: not on the host's other addresses (198.51.100.1:18080)" \
	'test "$(talk 198.51.100.1 18080 x)" = "error 111"'
# (One argument may not exceed 128 KiB.)
big=$($PY -c 'print("x" * 120000, end="")')
check "publish: 120 kB each way through the relay (several relay buffers)" \
	'test "$(talk 127.0.0.1 18080 "$big")" = "inside:$big"'
talk 127.0.0.1 18080 quit >/dev/null
wait $pid
st=$?
check "publish: the run ends with the server (exit 0)" 'test $st = 0'
check "publish: the status line" \
	'grep -q "^ccsb: ports: published 127.0.0.1:18080 -> sandbox 8000$" "$D/err1"'

# A dev server on the sandbox's ::1 only (Node's "localhost"), published on
# an explicit address, same port both sides.
if $PY -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	run -q --publish=198.51.100.1:8001 -- $PY server.py ::1 8001 "$D/proj/ready2" &
	pid=$!
	wait_ready "$D/proj/ready2"
	check "publish: a server on the sandbox's ::1 is reached (127.0.0.1 refused, ::1 tried)" \
		'test "$(talk 198.51.100.1 8001 v6)" = "inside:v6"'
	check "publish: HOST_ADDR given: not on 127.0.0.1" 'test "$(talk 127.0.0.1 8001 x)" = "error 111"'
	talk 198.51.100.1 8001 quit >/dev/null
	wait $pid
else
	fail "IPv6 loopback missing in the test namespace"
fi

# Nothing listens inside: the connection is closed, the run goes on.
run -q --publish=18083:9 -- sh -c 'touch started4; while [ ! -e go4 ]; do sleep 0.05; done; echo DONE4' \
	>"$D/out4" 2>&1 &
pid=$!
wait_ready "$D/proj/started4"
reply=$(talk 127.0.0.1 18083 x)
check "publish: nothing listening inside: the host's connection is closed ($reply)" \
	'case $reply in "" | "error 104" | "error 107" | "error 32") true ;; *) false ;; esac'
touch "$D/proj/go4"
wait $pid
check "publish: ... and the run is unharmed" 'test $? = 0 && grep -q DONE4 "$D/out4"'

# The socket factory keeps nothing open that slirp4netns or bwrap wait on:
# once the runs above are over, neither is left, nor any ccsb.
i=0
while pgrep -x slirp4netns >/dev/null && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
check "publish: after the runs no slirp4netns, bwrap or ccsb is left" \
	'! pgrep -x slirp4netns >/dev/null && ! pgrep -x bwrap >/dev/null && ! pgrep -f "$CCSB" >/dev/null'

# ---- errors: before anything runs ---------------------------------------
out=$(run --publish=8082 -- sh -c 'echo RAN' 2>&1)
st=$?
check "publish: a taken host port: exit 125, one line naming it and the fix, nothing ran" \
	'test $st = 125 && echo "$out" | grep -q "127.0.0.1:8082 is already in use on the host" &&
	 ! echo "$out" | grep -q RAN'
for bad in 0 70000 8080:0 x:80 1:2:3:4 "[::1]8080" ""; do
	out=$(run --publish="$bad" -- sh -c 'echo RAN' 2>&1)
	st=$?
	check "publish '$bad': refused with the expected form" \
		'test $st != 0 && echo "$out" | grep -q "HOST_PORT\|not an IP address" && ! echo "$out" | grep -q RAN'
done
for bad in 0 65536 8080, ,8080 a 80x; do
	out=$(run --host-port="$bad" -- sh -c 'echo RAN' 2>&1)
	st=$?
	check "host-port '$bad': refused" \
		'test $st != 0 && echo "$out" | grep -q "PORT\[,PORT...\]" && ! echo "$out" | grep -q RAN'
done
# ---- --net=none: the listed ports and nothing else -------------------
out=$(run --net=none --host-port=8081 -- $PY probe.py 127.0.0.1 8081 127.0.0.1 8082 \
	198.51.100.1 8080 2>"$D/err")
check "--net=none --host-port=8081: the host's 8081 answers inside" \
	'test "$(result 127.0.0.1 8081)" = ok'
check "--net=none: 8082 is the sandbox's own loopback, 198.51.100.1 has no route" \
	'test "$(result 127.0.0.1 8082)" = ECONNREFUSED && test "$(result 198.51.100.1 8080)" = ENETUNREACH'
check "--net=none: both lines say so" \
	'grep -q "^ccsb: network: none (loopback only)$" "$D/err" && grep -q "^ccsb: ports: host ports 8081$" "$D/err"'
run -q --net=none --publish=18086:8000 -- $PY server.py 127.0.0.1 8000 "$D/proj/ready5" &
pid=$!
wait_ready "$D/proj/ready5"
check "--net=none --publish: reached from the host" \
	'test "$(talk 127.0.0.1 18086 none)" = "inside:none"'
talk 127.0.0.1 18086 quit >/dev/null
wait $pid

# ---- the configuration file ---------------------------------------------
mkdir -p "$D/home/.config/ccsb"
printf 'host-port = 8081\npublish = 18085:8000\n' >"$D/home/.config/ccsb/config"
[ -n "${NETNS_OUTER_UID-}" ] || chown -R "$NETNS_UID:$NETNS_GID" "$D/home/.config"
out=$(run -- $PY probe.py 127.0.0.1 8081 2>"$D/err")
check "config: host-port = 8081 relays it" 'test "$(result 127.0.0.1 8081)" = ok'
check "config: publish = 18085:8000 on the status line" \
	'grep -q "^ccsb: ports: published 127.0.0.1:18085 -> sandbox 8000; host ports 8081$" "$D/err"'
out=$(run doctor 2>&1)
check "doctor: shows the published and host ports" \
	'echo "$out" | grep -q "ports: published 127.0.0.1:18085 -> sandbox 8000; host ports 8081"'
rm -f "$D/home/.config/ccsb/config"

t_done
