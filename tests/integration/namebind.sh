#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 14: name-bound connections. Two names, a.test (allowed) and b.test
# (not), resolve to the SAME address, 198.51.100.1, where one HTTP server
# answers per Host header, as a CDN's front end does. Through ccsb, a.test
# gets a synthetic address bound to it; a connection made by name reaches
# a.test and only the ports allowed; the shared address itself stays
# unreachable whatever Host header is sent. Hermetic: the upstream resolver
# (tests/lib/dns-upstream.py) and the servers live on documentation
# addresses in the test's own network namespace (tests/lib/netns.sh).
. "$top_srcdir/tests/lib/netns.sh"
: "${CCSB:?}" "${CCSB_EXEC_HELPER:?}"
command -v slirp4netns >/dev/null 2>&1 || netns_skip "slirp4netns not found (apt-get install slirp4netns)"
command -v curl >/dev/null 2>&1 || netns_skip "curl not found (apt-get install curl)"
netns_need_tun

. "$top_srcdir/tests/lib/check.sh"

netns_workdir namebind

netns_dns_upstream "$D" || exit 1

# One server on two ports of the shared address: "site HOST PORT", from
# the Host header.
cat >"$D/vhost.py" <<'EOF_PY'
import http.server, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        b = ("site %s %d\n" % (self.headers.get("Host", "-").split(":")[0],
                               self.server.server_address[1])).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
for port in (8080, 8081):
    s = http.server.ThreadingHTTPServer(("198.51.100.1", port), H)
    threading.Thread(target=s.serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
EOF_PY
python3 -u "$D/vhost.py" >"$D/vhost.out" 2>&1 &
NETNS_PIDS="$NETNS_PIDS $!"
netns_ready "$D/vhost.out" || exit 1

# Inside: "getaddr NAME" prints "getaddr NAME ADDRS|ERROR"; "http HOST
# PORT [ADDR]" sends GET with Host: HOST to HOST (or ADDR) and prints "http
# HOST PORT BODY|ERRNO"; "udp NAME PORT" sends a datagram to NAME:PORT and
# prints "udp NAME PORT ERRNO|timeout"; "sleep S".
cat >"$D/proj/probe.py" <<'EOF_PY'
import errno, socket, sys, time
def err(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__
args = sys.argv[1:]
while args:
    op = args.pop(0)
    if op == "getaddr":
        name = args.pop(0)
        try:
            r = sorted({a[4][0] for a in socket.getaddrinfo(name, 80, socket.AF_INET)})
            print("getaddr", name, ",".join(r))
        except socket.gaierror:
            print("getaddr", name, "ERROR")
    elif op == "http":
        host, port = args.pop(0), int(args.pop(0))
        addr = args.pop(0) if args and args[0][0].isdigit() else host
        try:
            s = socket.create_connection((addr, port), timeout=5)
            s.sendall(("GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host).encode())
            data = b""
            while True:
                c = s.recv(4096)
                if not c:
                    break
                data += c
            s.close()  # an open connection keeps its binding alive
            body = data.split(b"\r\n\r\n", 1)[1].decode().strip() if b"\r\n\r\n" in data else "EMPTY"
            print("http", host, port, addr, body.replace(" ", "_"))
        except socket.gaierror:
            print("http", host, port, addr, "NONAME")
        except OSError as e:
            print("http", host, port, addr, err(e))
    elif op == "udp":
        name, port = args.pop(0), int(args.pop(0))
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            s.connect((name, port))
            s.send(b"hello")
            s.recv(100)
            print("udp", name, port, "answered")
        except socket.timeout:
            print("udp", name, port, "timeout")
        except OSError as e:
            print("udp", name, port, err(e))
    elif op == "sleep":
        time.sleep(float(args.pop(0)))
    sys.stdout.flush()
EOF_PY
chmod 644 "$D/proj/probe.py"

run() {
	(cd "$D/proj" && as_user env -i PATH=/usr/bin:/bin HOME="$D/home" TERM=dumb \
		CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" CCSB_ALLOWLIST="$CCSB_ALLOWLIST" ${RUN_ENV-} "$CCSB" "$@")
}
# field OP NAME N [NTH]: column N of the NTH (default first) line "OP NAME ...".
field() {
	echo "$out" | awk -v a="$1" -v b="$2" -v n="$3" -v k="${4:-1}" \
		'$1 == a && $2 == b && ++seen == k { print $n; exit }'
}
in_pool() { case $1 in 198.18.* | 198.19.*) true ;; *) false ;; esac; }

# ---- two names, one address ---------------------------------------------
out=$(run --no-default-allowlist --allow=a.test:8080 --allow=c.test -- python3 probe.py \
	getaddr a.test getaddr b.test getaddr c.test \
	http a.test 8080 http b.test 8080 http b.test 8080 198.51.100.1 \
	http a.test 8080 198.51.100.1 http a.test 8081 http c.test 8081 \
	udp a.test 443 2>"$D/err")
echo "$out" | sed 's/^/    /'
sed 's/^/    stderr: /' "$D/err"
fa=$(field getaddr a.test 3)
fc=$(field getaddr c.test 3)
check "a.test resolves to a synthetic address ($fa), not the shared 198.51.100.1" 'in_pool "$fa"'
check "c.test gets another one ($fc)" 'in_pool "$fc" && test "$fc" != "$fa"'
check "b.test does not resolve" 'test "$(field getaddr b.test 3)" = ERROR'
check "by name, a.test:8080 reaches a.test (the server saw Host: a.test)" \
	'test "$(field http a.test 5)" = site_a.test_8080'
check "by name, b.test cannot be reached" 'test "$(field http b.test 5)" = NONAME'
check "the shared address with Host: b.test is unreachable (ENETUNREACH)" \
	'test "$(field http b.test 5 2)" = ENETUNREACH'
check "... and with Host: a.test too: only the name opens it" \
	'test "$(field http a.test 5 2)" = ENETUNREACH'
check "a.test:8081, a port a.test:8080 does not allow, is reset" \
	'test "$(field http a.test 5 3)" = ECONNRESET'
check "c.test, allowed without ports, reaches any port (8081)" \
	'test "$(field http c.test 5)" = site_c.test_8081'
check "UDP to a name fails at once (ECONNREFUSED), so that QUIC falls back to TCP" \
	'test "$(field udp a.test 4)" = ECONNREFUSED'
check "the exit summary names the refused name and port" \
	'grep -q "^ccsb: name-bound connections: refused a.test:8081 (1); to allow a port: --allow=NAME:PORT" "$D/err"'
check "b.test never reached the upstream resolver" '! grep -q " b.test$" "$D/upstream.log"'

# ---- what must not open a way out --------------------------------------
# An upstream answer pointing into the synthetic pool; a connection made to
# the relay's own listener (found in /proc/net/tcp), which has no name.
out=$(run -q --no-default-allowlist --allow=addr-198-18-16-1.x.test --allow=a.test -- sh -c '
	python3 probe.py getaddr addr-198-18-16-1.x.test getaddr a.test
	port=$(awk "NR > 1 && \$4 == \"0A\" && \$2 ~ /^0100007F:/ { split(\$2, a, \":\"); print a[2] }" /proc/net/tcp |
		while read -r hex; do p=$(printf "%d" "0x$hex"); [ "$p" != 53 ] && echo "$p"; done | head -n 1)
	echo "listener $port"
	python3 probe.py http a.test "$port" 127.0.0.1' 2>"$D/err")
echo "$out" | sed 's/^/    /'
lport=$(echo "$out" | awk '$1 == "listener" { print $2 }')
check "an upstream answer pointing into the synthetic pool is dropped (no address)" \
	'test "$(field getaddr addr-198-18-16-1.x.test 3)" = ERROR'
check "the relay's listener is in the sandbox ($lport) ..." 'test -n "$lport"'
check "... and a connection made to it directly, not by name, is reset" \
	'test "$(field http a.test 5)" = ECONNRESET'

# ---- real programs, the default allowlist ------------------------------
out=$(run --allow=a.test -- sh -c 'curl -sS --max-time 5 http://a.test:8080/; curl -sS --max-time 5 http://a.test:8081/;
	curl -sS --max-time 5 -H "Host: b.test" http://198.51.100.1:8080/ || echo "curl: no"' 2>"$D/err")
echo "$out" | sed 's/^/    /'
check "curl by name through the default allowlist: a.test:8080" 'echo "$out" | grep -qx "site a.test 8080"'
check "... and 8081 (no ports given: any)" 'echo "$out" | grep -qx "site a.test 8081"'
check "curl to the shared address with Host: b.test fails" 'echo "$out" | grep -qx "curl: no"'

# ---- a binding ends with its TTL ---------------------------------------
# ttl1.x.test answers with TTL 1; CCSB_TEST_TTL_FLOOR=1 stands for the
# floor of 60 s so that the test does not wait a minute.
out=$(RUN_ENV=CCSB_TEST_TTL_FLOOR=1 run -q --no-default-allowlist --allow=ttl1.x.test -- \
	sh -c 'a=$(getent ahostsv4 ttl1.x.test | awk "NR == 1 { print \$1 }"); echo "addr $a";
	python3 probe.py http ttl1.x.test 8080 $a sleep 3 http ttl1.x.test 8080 $a \
		http ttl1.x.test 8080' 2>"$D/err")
echo "$out" | sed 's/^/    /'
sed 's/^/    stderr: /' "$D/err"
fa=$(echo "$out" | awk '$1 == "addr" { print $2 }')
check "ttl1.x.test is bound ($fa)" 'in_pool "$fa"'
check "within its TTL, its address reaches it" 'test "$(field http ttl1.x.test 5)" = site_ttl1.x.test_8080'
check "after its TTL, the binding is gone: the same address is reset" \
	'test "$(field http ttl1.x.test 5 2)" = ECONNRESET'
check "a new lookup binds it again" 'test "$(field http ttl1.x.test 5 3)" = site_ttl1.x.test_8080'

t_done
