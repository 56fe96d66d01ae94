#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 14, the resolver's limits: upstream over TCP when an answer is
# truncated, a random id AND source port per upstream query, and TCP
# clients pipelining more queries than may be pending at once. Hermetic:
# the upstream is tests/lib/dns-upstream.py on 198.51.100.54 inside the
# test's own network namespace, named by a resolv.conf bound over
# /etc/resolv.conf in the test's mount namespace (see tests/lib/netns.sh).
. "$top_srcdir/tests/lib/netns.sh"
: "${CCSB:?}" "${CCSB_EXEC_HELPER:?}"
command -v slirp4netns >/dev/null 2>&1 || netns_skip "slirp4netns not found (apt-get install slirp4netns)"
netns_need_tun

. "$top_srcdir/tests/lib/check.sh"

netns_workdir resolver

netns_dns_upstream "$D" || exit 1

# Inside: "dnstcp NAME" -> "dnstcp NAME RCODE ANSWERS"; "pipe N NAME" sends
# N framed queries in one write and prints "pipe N ANSWERED"; "udp N NAME"
# asks N times over UDP and prints "udp N ANSWERED".
cat >"$D/proj/probe.py" <<'EOF_PY'
import socket, struct, sys
def query(name, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)
def recv_frame(s):
    h = b""
    while len(h) < 2:
        c = s.recv(2 - len(h))
        if not c:
            raise EOFError
        h += c
    n, a = struct.unpack(">H", h)[0], b""
    while len(a) < n:
        a += s.recv(n - len(a))
    return a
args = sys.argv[1:]
while args:
    op = args.pop(0)
    try:
        if op == "dnstcp":
            name = args.pop(0)
            s = socket.create_connection(("127.0.0.1", 53), timeout=8)
            q = query(name, 4242)
            s.sendall(struct.pack(">H", len(q)) + q)
            a = recv_frame(s)
            print("dnstcp", name, a[3] & 15, struct.unpack(">H", a[6:8])[0])
        elif op == "pipe":
            n, name = int(args.pop(0)), args.pop(0)
            s = socket.create_connection(("127.0.0.1", 53), timeout=8)
            s.sendall(b"".join(struct.pack(">H", len(q)) + q
                               for q in (query("q%d.%s" % (i, name), i) for i in range(n))))
            got = set()
            try:
                while len(got) < n:
                    a = recv_frame(s)
                    if a[3] & 15 == 0:
                        got.add(struct.unpack(">H", a[:2])[0])
            except (socket.timeout, EOFError):
                pass
            print("pipe", n, len(got))
        elif op == "udp":
            n, name = int(args.pop(0)), args.pop(0)
            ok = 0
            for i in range(n):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(5)
                s.sendto(query("u%d.%s" % (i, name), i), ("127.0.0.1", 53))
                ok += s.recv(4096)[3] & 15 == 0
            print("udp", n, ok)
    except Exception as e:
        print(op, "EXC", repr(e))
    sys.stdout.flush()
EOF_PY
chmod 644 "$D/proj/probe.py"

run() {
	(cd "$D/proj" && as_user env -i PATH=/usr/bin:/bin HOME="$D/home" TERM=dumb \
		CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" "$CCSB" -q --no-default-allowlist "$@")
}
field() { echo "$out" | awk -v a="$1" -v b="$2" -v n="$3" '$1 == a && $2 == b { print $n; exit }'; }

out=$(run --allow='*.example.test' -- python3 probe.py \
	dnstcp tc.example.test pipe 20 example.test udp 12 example.test 2>"$D/err")
echo "$out" | sed 's/^/    /'
sed 's/^/    stderr: /' "$D/err"

check "a truncated upstream answer is asked again over TCP: NOERROR, 1 answer" \
	'test "$(field dnstcp tc.example.test 3) $(field dnstcp tc.example.test 4)" = "0 1"'
check "... the upstream saw the name over UDP, then over TCP" \
	'grep -q "^udp .* tc.example.test$" "$D/upstream.log" && grep -q "^tcp .* tc.example.test$" "$D/upstream.log"'
check "20 queries pipelined in one TCP write are all answered" \
	'test "$(field pipe 20 3)" = 20'
ports=$(awk '$1 == "udp" && $4 ~ /^u[0-9]+\.example\.test$/ { print $2 }' "$D/upstream.log" | sort -u | wc -l)
ids=$(awk '$1 == "udp" && $4 ~ /^u[0-9]+\.example\.test$/ { print $3 }' "$D/upstream.log" | sort -u | wc -l)
check "12 UDP lookups answered" 'test "$(field udp 12 3)" = 12'
check "... each sent upstream from its own source port ($ports distinct of 12)" 'test "$ports" -ge 11'
check "... with its own id ($ids distinct of 12)" 'test "$ids" -ge 11'

t_done
