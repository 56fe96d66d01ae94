#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The default as a user runs it: `ccsb claude -p hi` with NO ccsb option,
# only what a user's environment holds (ANTHROPIC_API_KEY, and
# NODE_EXTRA_CA_CERTS naming the CA of a TLS-inspecting network, here the
# test's), reaches https://api.anthropic.com and prints its answer. The
# "API" is a stand-in: a python3 HTTPS server on a documentation address
# with a certificate for api.anthropic.com from a test CA, answering
# POST /v1/messages with a streaming (SSE) Messages API response; the real
# name resolves to it through dnsmasq, the upstream resolver of this
# private network namespace (tests/lib/netns.sh): no packet leaves.
#
# The default allowlist (the shipped ip-ranges.txt) must be what lets it
# through: the same run with --no-default-allowlist fails, and a name that
# is not on the list (evil.example, same server) is refused. The user's
# ~/.npmrc registry (a made-up name) is allowed by default too.
. "$top_srcdir/tests/lib/netns.sh"
: "${CCSB:?}" "${CCSB_EXEC_HELPER:?}" "${CCSB_ALLOWLIST:?}"
command -v slirp4netns >/dev/null 2>&1 || netns_skip "slirp4netns not found (apt-get install slirp4netns)"
command -v dnsmasq >/dev/null 2>&1 || netns_skip "dnsmasq not found (apt-get install dnsmasq-base)"
command -v openssl >/dev/null 2>&1 || netns_skip "openssl not found (apt-get install openssl)"
netns_need_tun

. "$top_srcdir/tests/lib/check.sh"

CLAUDE=$(command -v claude)
if [ -z "$CLAUDE" ]; then
	# CI installs Claude Code (tests/run-all.sh): there this is a failure.
	[ -n "${CI-}" ] && { fail "claude not installed in CI"; t_done; exit 1; }
	netns_skip "claude not installed (npm install -g @anthropic-ai/claude-code)"
fi

netns_workdir api home/.claude

# The stand-in servers' address: outside every prefix of the default list,
# so that only a name can open a route to it.
API=203.0.113.7
ip addr replace "$API/32" dev lo
netns_dnsmasq "$D" \
	--address=/api.anthropic.com/$API --address=/evil.example/$API \
	--address=/registry.test.example/$API --address=/platform.claude.com/$API \
	--address=/raw.githubusercontent.com/$API || {
	fail "dnsmasq did not start"
	t_done
	exit 1
}

# A test CA, and a server certificate for the real API name (and for
# evil.example: its refusal must come from the allowlist, not from TLS).
(
	cd "$D" &&
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
			-subj "/CN=ccsb test CA" -addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" &&
		openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=api.anthropic.com" &&
		printf '%s\n' "subjectAltName=DNS:api.anthropic.com,DNS:evil.example,DNS:registry.test.example,DNS:platform.claude.com,DNS:raw.githubusercontent.com" \
			"basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth" >ext.cnf &&
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
			-days 2 -extfile ext.cnf
) >"$D/openssl.log" 2>&1 || {
	cat "$D/openssl.log"
	fail "cannot make the test certificates"
	t_done
	exit 1
}
chmod 644 "$D/ca.pem"

# The stand-in API: HTTPS on $API:443. POST /v1/messages gets a streamed
# answer; anything else (Claude Code's start-up requests) an empty JSON
# object. Every request is logged with its Host header.
cat >"$D/api.py" <<'EOF_PY'
import http.server, json, os, ssl, sys
addr, certdir, logpath = sys.argv[1], sys.argv[2], sys.argv[3]
log = open(logpath, "a")
TEXT = "pong from the stand-in API"
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def reply(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_HEAD(self):
        log.write("HEAD %s %s\n" % (self.headers.get("Host"), self.path)); log.flush()
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def do_GET(self):
        log.write("GET %s %s\n" % (self.headers.get("Host"), self.path)); log.flush()
        self.reply(200, "application/json", b"{}")
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0) or 0)
        raw = self.rfile.read(n)
        log.write("POST %s %s key=%s\n" % (self.headers.get("Host"), self.path,
                  "yes" if self.headers.get("x-api-key") == "sk-ant-test-dummy" else "no"))
        log.flush()
        if not self.path.startswith("/v1/messages"):
            return self.reply(200, "application/json", b"{}")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        model = body.get("model", "claude")
        usage = {"input_tokens": 5, "output_tokens": 1}
        if not body.get("stream"):
            msg = {"id": "msg_test", "type": "message", "role": "assistant", "model": model,
                   "content": [{"type": "text", "text": TEXT}], "stop_reason": "end_turn",
                   "stop_sequence": None, "usage": usage}
            return self.reply(200, "application/json", json.dumps(msg).encode())
        events = [
            ("message_start", {"type": "message_start", "message": {"id": "msg_test",
                "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": usage}}),
            ("content_block_start", {"type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""}}),
            ("ping", {"type": "ping"}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": TEXT}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn",
                "stop_sequence": None}, "usage": {"output_tokens": 7}}),
            ("message_stop", {"type": "message_stop"}),
        ]
        out = b"".join(b"event: %s\ndata: %s\n\n" % (e.encode(), json.dumps(d).encode())
                       for e, d in events)
        self.reply(200, "text/event-stream", out)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(certdir, "srv.pem"), os.path.join(certdir, "srv.key"))
srv = http.server.ThreadingHTTPServer((addr, 443), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
pid = os.fork()
if pid:
    print("ready", pid, flush=True)
    os._exit(0)
null = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)
srv.serve_forever()
EOF_PY
ready=$(python3 "$D/api.py" "$API" "$D" "$D/api.log" </dev/null 2>&1)
case $ready in
"ready "*) NETNS_PIDS="$NETNS_PIDS ${ready#ready }" ;;
*)
	echo "$ready"
	fail "the stand-in API did not start"
	t_done
	exit 1
	;;
esac
# The stand-in answers as api.anthropic.com, trusted through the test CA,
# from the test's own namespace (no sandbox yet).
check "the stand-in answers https://api.anthropic.com/ here (sanity)" \
	'curl -sS --max-time 10 --cacert "$D/ca.pem" -o /dev/null -w "%{http_code}" https://api.anthropic.com/v1/x | grep -qx 200'

# The user's ~/.npmrc names their registry (a made-up host, with a token).
printf '%s\n' "registry=https://registry.test.example/" \
	"//registry.test.example/:_authToken=npm-secret-token" >"$D/home/.npmrc"
chmod 644 "$D/home/.npmrc"

# A user's environment: HOME, PATH where claude is, TERM, and the two
# variables. No ccsb option at all. CCSB_ALLOWLIST points ccsb at the
# shipped ip-ranges.txt (make check sets it: the build is not installed).
user_env() {
	(cd "$D/proj" && as_user env -i PATH="$(dirname "$CLAUDE"):/usr/local/bin:/usr/bin:/bin" \
		HOME="$D/home" TERM=dumb LANG=C.UTF-8 CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
		CCSB_ALLOWLIST="$CCSB_ALLOWLIST" ANTHROPIC_API_KEY=sk-ant-test-dummy \
		NODE_EXTRA_CA_CERTS="$D/ca.pem" "$@")
}

echo "# ccsb claude -p hi, no options"
out=$(user_env timeout 120 "$CCSB" claude -p hi </dev/null 2>"$D/err")
st=$?
echo "    claude: $out"
sed 's/^/    stderr: /' "$D/err"
sort "$D/api.log" 2>/dev/null | uniq -c | sed 's/^/    api: /'
check "exit 0" 'test $st = 0'
check "it prints the stand-in's answer" 'test "$out" = "pong from the stand-in API"'
check "POST /v1/messages reached the stand-in as api.anthropic.com, with the key" \
	'grep -q "^POST api.anthropic.com /v1/messages.* key=yes$" "$D/api.log"'
check "the status line names the default list's names" \
	'grep -Eq "^ccsb: network: allowlist, [0-9]+ prefixes \([0-9]+ as given\), [0-9]+ names" "$D/err"'
check "api.anthropic.com was looked up through ccsb's filter" \
	'grep -q "query\[A\] api.anthropic.com" "$D/dnsmasq.log"'
# What else Claude Code asked for, and ccsb refused, is in the summary
# line; the run above succeeded with it refused (telemetry stays off).
refused=$(grep "^ccsb: dns: refused" "$D/err")
echo "# refused during the run: ${refused:-none}"
check "no telemetry or error-report host was let through" \
	'! grep -Eq "query\[[A-Z]+\] [^ ]*(statsig|sentry|datadog)" "$D/dnsmasq.log"'

echo "# the same with --no-default-allowlist"
: >"$D/api.log"
# Claude Code keeps retrying a refused name for minutes: 30 s are enough to
# see that nothing gets through.
out=$(user_env timeout 30 "$CCSB" --no-default-allowlist claude -p hi </dev/null 2>"$D/err")
st=$?
echo "    claude (exit $st): $(echo "$out" | head -3)"
sed 's/^/    stderr: /' "$D/err" | head -5
check "it fails" 'test $st != 0 && test "$out" != "pong from the stand-in API"'
check "... the API was never reached" '! grep -q "/v1/messages" "$D/api.log"'
check "... and api.anthropic.com is named as refused, with how to allow it" \
	'grep -q "^ccsb: dns: refused .*api.anthropic.com" "$D/err" &&
	 grep -q "to allow one: --allow=api.anthropic.com, or the config line .allow = api.anthropic.com." "$D/err"'

echo "# a name off the list, on the same server; the user's npm registry"
out=$(user_env timeout 60 "$CCSB" -- sh -c '
	for u in https://evil.example/ https://api.anthropic.com/v1/x https://registry.test.example/pkg; do
		printf "%s %s\n" "$u" "$(curl -sS --max-time 10 --cacert "$NODE_EXTRA_CA_CERTS" -o /dev/null \
			-w "%{http_code}" "$u" 2>&1 | tr "\n" " ")"
	done
	getent hosts evil.example || echo "getent evil.example: no"' </dev/null 2>"$D/err")
echo "$out" | sed 's/^/    /'
sed 's/^/    stderr: /' "$D/err"
check "evil.example is refused (curl cannot resolve it)" \
	'echo "$out" | grep -q "^https://evil.example/ .*Could not resolve host"'
check "... and getent too" 'echo "$out" | grep -qx "getent evil.example: no"'
check "... and the query never left the sandbox" '! grep -q "evil.example" "$D/dnsmasq.log"'
check "... and the summary line names it" 'grep -q "^ccsb: dns: refused 1 name: evil.example (" "$D/err"'
check "api.anthropic.com works from curl too (NODE_EXTRA_CA_CERTS's file is inside)" \
	'echo "$out" | grep -qx "https://api.anthropic.com/v1/x 200"'
check "the registry named in ~/.npmrc is allowed by name" \
	'echo "$out" | grep -qx "https://registry.test.example/pkg 200"'
check "... its token stayed out of the sandbox's allowlist (status line, print)" \
	'! grep -q "npm-secret-token" "$D/err"'

echo "# interactive: ccsb claude in a terminal (tmux), no option, not logged in"
# The first start asks api.anthropic.com, platform.claude.com (OAuth) and
# raw.githubusercontent.com (the changelog): all on the default list, so
# Claude Code gets to its first-run screen instead of "Unable to connect".
if command -v tmux >/dev/null 2>&1; then
	: >"$D/api.log"
	netns_user_dir "$D/tmux" "$D/home2" "$D/home2/.claude"
	tmx() {
		as_user env -i PATH=/usr/bin:/bin TMUX_TMPDIR="$D/tmux" SHELL=/bin/sh \
			tmux -L ccsb-api -f /dev/null "$@"
	}
	# (The pane's shell survives ^C: it must write inter.done after ccsb.)
	tmx new-session -d -x 120 -y 40 "trap : INT; cd '$D/proj' && env -i \
		PATH='$(dirname "$CLAUDE"):/usr/local/bin:/usr/bin:/bin' HOME='$D/home2' \
		TERM=xterm-256color LANG=C.UTF-8 CCSB_EXEC_HELPER='$CCSB_EXEC_HELPER' \
		CCSB_ALLOWLIST='$CCSB_ALLOWLIST' NODE_EXTRA_CA_CERTS='$D/ca.pem' \
		'$CCSB' claude 2>'$D/tmux/inter.err'; echo \"exit \$?\" >'$D/tmux/inter.done'; sleep 600"
	# wait_screen PATTERN...: until the screen shows one (up to ~90 s).
	wait_screen() {
		for _ in $(seq 1 450); do
			screen=$(tmx capture-pane -p -J 2>&1)
			for p in "$@"; do
				case $screen in *"$p"*) return 0 ;; esac
			done
			sleep 0.2
		done
		return 1
	}
	wait_screen "Dark mode" "Unable to connect" "Failed to connect" "Select login method"
	echo "$screen" | grep -v "^[[:space:]]*$" | tail -12 | sed 's/^/    screen: /'
	sed 's/^/    stderr: /' "$D/tmux/inter.err" 2>/dev/null
	sort "$D/api.log" | uniq -c | sed 's/^/    api: /'
	check "the first-run screen appears, no connection error" \
		'case $screen in *"Unable to connect"* | *"Failed to connect"*) false ;; *"Dark mode"* | *"Select login method"*) true ;; *) false ;; esac'
	check "platform.claude.com (OAuth) was reached by name through the filter" \
		'grep -q "^GET platform.claude.com /v1/oauth/hello" "$D/api.log"'
	check "raw.githubusercontent.com (the changelog) was reached by name" \
		'grep -q "^GET raw.githubusercontent.com /anthropics/claude-code/" "$D/api.log"'
	# Login: the theme, then the Console method, then a (fake) code; the
	# token exchange must reach platform.claude.com.
	tmx send-keys Enter
	wait_screen "Select login method" "login method"
	tmx send-keys 2
	tmx send-keys Enter
	wait_screen "Paste code here" "Paste code"
	echo "$screen" | grep -m1 -o "https://[a-z.]*/oauth/authorize" | sed 's/^/    sign-in URL: /'
	tmx send-keys -l "fakecode#fakestate"
	tmx send-keys Enter
	for _ in $(seq 1 300); do
		grep -q "^POST platform.claude.com /v1/oauth/token" "$D/api.log" && break
		sleep 0.2
	done
	wait_screen "OAuth error" "Login successful" "error"
	echo "$screen" | grep -v "^[[:space:]]*$" | tail -3 | sed 's/^/    screen: /'
	check "login: the token exchange reached platform.claude.com by name" \
		'grep -q "^POST platform.claude.com /v1/oauth/token" "$D/api.log"'
	# Leave Claude Code (^C twice); ccsb then writes its exit lines.
	for _ in $(seq 1 50); do
		[ -s "$D/tmux/inter.done" ] && break
		tmx send-keys C-c
		sleep 0.2
	done
	check "ccsb claude ends when Claude Code is left ($(cat "$D/tmux/inter.done" 2>/dev/null))" \
		'test -s "$D/tmux/inter.done"'
	check "... and no name was refused during the whole interactive session" \
		'test -s "$D/tmux/inter.done" && ! grep -q "^ccsb: dns: refused" "$D/tmux/inter.err"'
	tmx kill-server 2>/dev/null
	sed 's/^/    stderr: /' "$D/tmux/inter.err" 2>/dev/null | grep "dns:"
else
	[ -n "${CI-}" ] && fail "tmux not installed in CI"
	echo "# tmux not installed: interactive check skipped"
fi

echo "# NODE_EXTRA_CA_CERTS naming a missing file"
out=$(cd "$D/proj" && as_user env -i PATH=/usr/bin:/bin HOME="$D/home" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
	CCSB_ALLOWLIST="$CCSB_ALLOWLIST" NODE_EXTRA_CA_CERTS="$D/no-such-ca.pem" "$CCSB" -- true 2>&1)
st=$?
echo "    $out"
check "refused with 125 and a message naming the variable and the fix" \
	'test $st = 125 && echo "$out" | grep -q "^ccsb: NODE_EXTRA_CA_CERTS=$D/no-such-ca.pem: No such file or directory; point it at your CA file or unset it$"'

echo "# proxy variables reach the command"
# A CA file the test user owns: only the read-only bind can stop a write.
cp "$D/ca.pem" "$D/home/user-ca.pem"
[ -n "${NETNS_OUTER_UID-}" ] || chown "$NETNS_UID:$NETNS_GID" "$D/home/user-ca.pem"
ca_sum=$(cksum <"$D/home/user-ca.pem")
out=$(user_env env NODE_EXTRA_CA_CERTS="$D/home/user-ca.pem" HTTPS_PROXY=http://proxy.test.example:3128 no_proxy=localhost,.test.example \
	ALL_PROXY=socks5://proxy.test.example:1080 "$CCSB" -q -- sh -c \
	'echo "$HTTPS_PROXY|$no_proxy|$ALL_PROXY|$NODE_EXTRA_CA_CERTS"; head -c 27 "$NODE_EXTRA_CA_CERTS"; echo; echo x >>"$NODE_EXTRA_CA_CERTS" 2>/dev/null || echo ro' </dev/null 2>&1)
echo "$out" | sed 's/^/    /'
check "HTTPS_PROXY, no_proxy, ALL_PROXY and NODE_EXTRA_CA_CERTS inside" \
	'echo "$out" | sed -n 1p | grep -qx "http://proxy.test.example:3128|localhost,.test.example|socks5://proxy.test.example:1080|$D/home/user-ca.pem"'
check "the CA file is readable inside" 'echo "$out" | sed -n 2p | grep -qx -- "-----BEGIN CERTIFICATE-----"'
check "... and read-only (a file the user owns)" \
	'echo "$out" | grep -q "Read-only file system" && echo "$out" | tail -1 | grep -qx ro &&
	 test "$(cksum <"$D/home/user-ca.pem")" = "$ca_sum"'
t_done
