#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 15: --git-credentials. git inside asks ccsb, which answers from the
# host's own `git credential fill` (here: the "store" helper and a
# ~/.git-credentials holding two tokens) only for https and hosts the
# allowlist names. Run in the test's own network namespace (the allowlist
# mode starts slirp4netns), though no packet is sent.
. "$top_srcdir/tests/lib/netns.sh"
: "${CCSB:?}" "${CCSB_EXEC_HELPER:?}"
for p in slirp4netns git python3; do
	command -v $p >/dev/null 2>&1 || netns_skip "$p not found"
done
netns_need_tun

. "$top_srcdir/tests/lib/check.sh"

netns_workdir cred u u/run
chmod 700 "$D/u/run"
printf '[credential]\n\thelper = store\n' >"$D/home/.gitconfig"
printf 'https://alice:tok-allowed@git.example.test\nhttps://bob:tok-other@other.example.test\n' \
	>"$D/home/.git-credentials"
chmod 600 "$D/home/.git-credentials"
[ -z "${NETNS_OUTER_UID-}" ] && chown "$NETNS_UID:$NETNS_GID" "$D/home/.gitconfig" "$D/home/.git-credentials"

run() {
	(cd "$D/proj" && as_user env -i PATH=/usr/bin:/bin HOME="$D/home" TERM=dumb \
		CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" XDG_RUNTIME_DIR="$D/u/run" "$CCSB" -q \
		--no-default-allowlist --allow=git.example.test --allow=198.51.100.1 \
		--env=GIT_TERMINAL_PROMPT=0 "$@")
}
fill() { printf 'protocol=%s\nhost=%s\n\n' "$1" "$2"; }

# ---- the default: nothing ------------------------------------------------
out=$(run -- sh -c 'echo "count=${GIT_CONFIG_COUNT-unset}"; ls /run/ccsb' 2>&1)
check "default: no credential helper configured" 'echo "$out" | grep -qx "count=unset"'
check "default: no credential socket" '! echo "$out" | grep -q git-credential.sock'
out=$(run -- sh -c 'printf "protocol=https\nhost=git.example.test\n\n" | git credential fill' 2>&1)
check "default: git inside gets no token" '! echo "$out" | grep -q tok-'

# ---- served and refused ---------------------------------------------------
out=$(run --git-credentials --log-net="$D/u/log" -- sh -c '
	git config --get-all credential.helper | sed "s/^/helper: /"
	printf "protocol=https\nhost=git.example.test\n\n" | git credential fill; echo "rc=$?"
	printf "protocol=https\nhost=other.example.test\n\n" | git credential fill; echo "rc=$?"
	printf "protocol=http\nhost=git.example.test\n\n" | git credential fill; echo "rc=$?"' 2>&1)
echo "$out" | sed 's/^/    /'
check "the helper inside is ccsb's, after a reset" \
	'test "$(echo "$out" | grep "^helper: " | tr "\n" "|")" = "helper: |helper: /run/ccsb/exec --git-credential|"'
check "an allowlisted https host gets its username and password" \
	'echo "$out" | grep -qx "username=alice" && echo "$out" | grep -qx "password=tok-allowed"'
check "a host the allowlist does not name gets nothing" '! echo "$out" | grep -q "tok-other\|bob"'
check "... and says why" 'echo "$out" | grep -q "refused: other.example.test: host not named by the allowlist"'
check "plain http is refused" 'echo "$out" | grep -q "refused: git.example.test: only https is served"'
check "the log names what was served and refused" \
	'grep -qx "git-credential: served git.example.test" "$D/u/log" &&
	 grep -q "^git-credential: refused other.example.test (host not named by the allowlist)" "$D/u/log"'
check "the exit report counts them" \
	'echo "$out" | grep -q "ccsb:   git-credential: served git.example.test (1)" &&
	 echo "$out" | grep -q "ccsb:   git-credential: refused other.example.test (host not named by the allowlist) (1)"'

# ---- hostile requests straight to the socket ------------------------------
cat >"$D/proj/raw.py" <<'EOF_PY'
import socket, sys
def ask(req):
    s = socket.socket(socket.AF_UNIX)
    s.connect("/run/ccsb/git-credential.sock")
    out = b""
    try:
        s.sendall(req)
        s.shutdown(socket.SHUT_WR)
        while True:
            d = s.recv(4096)
            if not d:
                break
            out += d
    except ConnectionError as e:
        # The broker answers and closes once its buffer is full.
        return "closed " + out.decode(errors="replace").replace("\n", "|")
    return out.decode(errors="replace").replace("\n", "|")
cases = [
    ("dup-host", b"protocol=https\nhost=git.example.test\nhost=other.example.test\n\n"),
    ("after-blank", b"protocol=https\nhost=git.example.test\n\nhost=other.example.test\n"),
    ("crlf", b"protocol=https\r\nhost=other.example.test\r\n\r\n"),
    ("cr-in-host", b"protocol=https\nhost=git.example.test\rother.example.test\n\n"),
    ("nul", b"protocol=https\nhost=git.example.test\0other.example.test\n\n"),
    ("path-in-host", b"protocol=https\nhost=git.example.test/x\n\n"),
    ("userinfo", b"protocol=https\nhost=other.example.test@git.example.test\n\n"),
    ("pattern", b"protocol=https\nhost=*.example.test\n\n"),
    ("address", b"protocol=https\nhost=198.51.100.1\n\n"),
    ("port-bad", b"protocol=https\nhost=git.example.test:99999\n\n"),
    ("port-ok", b"protocol=https\nhost=git.example.test:443\n\n"),
    ("no-host", b"protocol=https\n\n"),
    ("no-newline", b"protocol=https\nhost=git.example.test"),
    ("huge", b"protocol=https\nhost=git.example.test\npath=" + b"a" * 20000 + b"\n\n"),
    ("url", b"url=https://other.example.test/\nprotocol=https\nhost=git.example.test\n\n"),
]
for name, req in cases:
    print(name, ask(req))
EOF_PY
chmod 644 "$D/proj/raw.py"
out=$(run --git-credentials -- python3 raw.py 2>&1)
echo "$out" | sed 's/^/    /'
res() { echo "$out" | sed -n "s/^$1 //p"; }
check "a host given twice is refused, the first one named" \
	'test "$(res dup-host)" = "refused: git.example.test: a key given twice|"'
check "what follows the blank line is ignored: only the first host is served" \
	'test "$(res after-blank)" = "ok|username=alice|password=tok-allowed|"'
check "CR LF lines are refused" 'res crlf | grep -q "^refused:" && ! res crlf | grep -q tok'
check "a CR inside a host is refused" 'res cr-in-host | grep -q "^refused:.*control character"'
check "a NUL byte is refused" 'res nul | grep -q "^refused:.*NUL"'
check "a host with a path is refused" 'res path-in-host | grep -q "^refused:.*not a domain name"'
check "a host with user info is refused" 'res userinfo | grep -q "^refused:" && ! res userinfo | grep -q tok'
check "a pattern is not a host" 'res pattern | grep -q "^refused:.*not a domain name"'
check "an address is not a name the allowlist names" 'res address | grep -q "^refused:.*not a domain name"'
check "a bad port is refused" 'res port-bad | grep -q "^refused:.*bad port"'
check "a valid port is fine (the host's helper decides; store knows no :443 entry)" \
	'res port-ok | grep -q "^refused: git.example.test:443: no credential\|^ok|"'
check "a request without host is refused" 'res no-host | grep -q "^refused:.*missing"'
check "a request without a final newline is refused" 'res no-newline | grep -q "^refused:.*newline"'
check "an oversized request is refused (or the connection closed on it)" \
	'res huge | grep -q "^refused:.*too long\|^closed" && ! res huge | grep -q tok'
check "a url= key is not followed" 'test "$(res url)" = "ok|username=alice|password=tok-allowed|"'
check "no refused request ever returned the other token" '! echo "$out" | grep -q tok-other'

# ---- git clone over https would use it: the helper answers store/erase ----
out=$(run --git-credentials -- sh -c '
	printf "protocol=https\nhost=git.example.test\nusername=alice\npassword=x\n\n" | git credential approve; echo "approve=$?"
	printf "protocol=https\nhost=git.example.test\n\n" | git credential reject; echo "reject=$?"' 2>&1)
check "git credential approve/reject inside do not touch the host's store" \
	'echo "$out" | grep -qx "approve=0" && echo "$out" | grep -qx "reject=0" &&
	 grep -q "alice:tok-allowed@git.example.test" "$D/home/.git-credentials"'
# ---- a slow helper on the host dies with ccsb ------------------------------
cat >>"$D/home/.gitconfig" <<'EOF_CFG'
[credential "https://slow.example.test"]
	helper = "!sleep 607; :"
EOF_CFG
run --git-credentials --allow=slow.example.test -- sh -c \
	'printf "protocol=https\nhost=slow.example.test\n\n" | git credential fill' >/dev/null 2>&1 &
bg=$!
i=0
while ! pgrep -fx "sleep 607" >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the host's helper is running for the sandbox's request" 'pgrep -fx "sleep 607" >/dev/null'
ccsb_pid=$(pgrep -n -f "^$CCSB -q .*--git-credentials")
kill -KILL "$ccsb_pid"
wait $bg 2>/dev/null
i=0
while pgrep -fx "sleep 607" >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "after SIGKILL of ccsb, the host's git credential fill and its helper are gone" \
	'! pgrep -fx "sleep 607" >/dev/null && ! pgrep -f "git credential fill" >/dev/null'
t_done
