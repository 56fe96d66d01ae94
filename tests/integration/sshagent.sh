#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 15: the filtering ssh-agent broker, with real programs: a real
# ssh-agent holding two keys on the host side, ssh-add and ssh-keygen inside
# through the broker, and git push over SSH to a bare repository served by a
# real sshd on a documentation address, in this test's own network
# namespace (tests/lib/netns.sh).
. "$top_srcdir/tests/lib/netns.sh"
: "${CCSB:?}" "${CCSB_EXEC_HELPER:?}"
for p in slirp4netns ssh ssh-agent ssh-add ssh-keygen git; do
	command -v $p >/dev/null 2>&1 || netns_skip "$p not found (apt-get install slirp4netns openssh-client git)"
done
SSHD=/usr/sbin/sshd
[ -x $SSHD ] || netns_skip "sshd not found (apt-get install openssh-server)"
[ "$(id -u)" = 0 ] && [ -z "${NETNS_OUTER_UID-}" ] || netns_skip "sshd needs real root in the test's namespace"
netns_need_tun

. "$top_srcdir/tests/lib/check.sh"

D=$(mktemp -d /tmp/ccsb-ssh.XXXXXX)
chmod 755 "$D"
trap 'netns_cleanup; [ -n "${AGENT_PID-}" ] && kill "$AGENT_PID" 2>/dev/null; rm -rf "$D"' EXIT
netns_user_dir "$D/home" "$D/home/.ssh" "$D/proj" "$D/keys" "$D/git" "$D/u"
chmod 700 "$D/keys"

u() { as_user env HOME="$D/home" PATH=/usr/bin:/bin SSH_AUTH_SOCK="$D/u/agent.sock" "$@"; }

# ---- the user's agent: two keys ---------------------------------------
u ssh-keygen -q -t ed25519 -N '' -C 'work key' -f "$D/keys/work"
u ssh-keygen -q -t ed25519 -N '' -C 'personal' -f "$D/keys/personal"
u ssh-keygen -q -t ed25519 -N '' -C 'planted' -f "$D/proj/planted"
AGENT_PID=$(u ssh-agent -a "$D/u/agent.sock" -s | sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p')
u ssh-add -q "$D/keys/work" "$D/keys/personal"
host_keys=$(u ssh-add -l)
fp_work=$(u ssh-keygen -lf "$D/keys/work.pub" | awk '{ print $2 }')
fp_personal=$(u ssh-keygen -lf "$D/keys/personal.pub" | awk '{ print $2 }')
check "host agent holds the two keys" 'test "$(echo "$host_keys" | wc -l)" = 2'

# ---- sshd on 198.51.100.1:22, user git (uid of the test user) ----------
mkdir -p "$D/sshd"
ssh-keygen -q -t ed25519 -N '' -f "$D/sshd/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -f "$D/sshd/other_host_key"
cp "$D/keys/work.pub" "$D/sshd/authorized_keys"
chmod 644 "$D/sshd/authorized_keys"
# A passwd with a "git" account, in this test's mount namespace only.
{ cat /etc/passwd; echo "git:x:$NETNS_UID:$NETNS_GID::$D/git:/bin/sh"; } >"$D/passwd"
mount --bind "$D/passwd" /etc/passwd
# sshd's privilege separation directory, private to the namespace too.
[ -d /run/sshd ] || mount -t tmpfs -o mode=0755,size=64k ccsb-test-run /run
mkdir -p /run/sshd
cat >"$D/sshd/config" <<EOF
ListenAddress 198.51.100.1:22
HostKey $D/sshd/host_ed25519
PidFile $D/sshd/pid
AuthorizedKeysFile $D/sshd/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowUsers git
EOF
$SSHD -f "$D/sshd/config" -E "$D/sshd/log" || { cat "$D/sshd/log"; exit 1; }
# It writes its pid file once it listens.
i=0
while [ ! -s "$D/sshd/pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
NETNS_PIDS="$NETNS_PIDS $(cat "$D/sshd/pid")"
u git init -q --bare "$D/git/repo.git"
echo "198.51.100.1 $(cat "$D/sshd/host_ed25519.pub")" >"$D/home/.ssh/known_hosts"
chown "$NETNS_UID:$NETNS_GID" "$D/home/.ssh/known_hosts"
cp "$D/keys/work.pub" "$D/proj/work.pub"
cp "$D/keys/personal.pub" "$D/proj/personal.pub"
chown "$NETNS_UID:$NETNS_GID" "$D/proj/"*.pub

# ccsb as the unprivileged test user, in the project, with the host agent.
# Its broker directory goes in a runtime directory of this test's own, so
# that concurrent runs elsewhere on the machine cannot touch it.
RT=$D/u/run
netns_user_dir "$RT"
chmod 700 "$RT"
run() {
	(cd "$D/proj" && as_user env -i PATH=/usr/bin:/bin HOME="$D/home" TERM=dumb \
		SSH_AUTH_SOCK="$D/u/agent.sock" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" XDG_RUNTIME_DIR="$RT" \
		${CCSB_ALLOWLIST:+CCSB_ALLOWLIST="$CCSB_ALLOWLIST"} "$CCSB" "$@")
}

# ---- the default: no agent inside ---------------------------------------
out=$(run -q --net=none -- sh -c 'echo "sock=${SSH_AUTH_SOCK-unset}"; ls /run/ccsb; ssh-add -l; echo "rc=$?"' 2>&1)
check "default: SSH_AUTH_SOCK unset inside" 'echo "$out" | grep -qx "sock=unset"'
check "default: no agent socket inside" '! echo "$out" | grep -q ssh-agent.sock'
check "default: ssh-add -l finds no agent (rc 2)" 'echo "$out" | grep -qx "rc=2"'

# ---- listing, filtered or not -------------------------------------------
out=$(run -q --net=none --ssh-agent -- ssh-add -l 2>&1)
check "ssh-add -l inside lists both keys, as the host does" 'test "$out" = "$host_keys"'
out=$(run -q --net=none --ssh-agent='work*' -- ssh-add -l 2>&1)
check "--ssh-agent='work*' shows only the work key" \
	'test "$out" = "$(echo "$host_keys" | grep "work key")"'
out=$(run -q --net=none --ssh-agent="$fp_personal" -- ssh-add -l 2>&1)
check "--ssh-agent=FINGERPRINT shows only that key" 'test "$out" = "$(echo "$host_keys" | grep personal)"'
out=$(run -q --net=none --ssh-agent='nothing*' -- ssh-add -l 2>&1)
check "a filter matching no key: the agent has no identities" 'echo "$out" | grep -q "no identities"'
out=$(run -q --net=none --ssh-agent='SHA256:short' -- true 2>&1)
rc=$?
check "a bad fingerprint stops ccsb (125) with the reason" \
	'test $rc = 125 && echo "$out" | grep -q "43 base64 characters"'
out=$(cd "$D/proj" && as_user env -i PATH=/usr/bin:/bin HOME="$D/home" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
	"$CCSB" -q --net=none --ssh-agent -- true 2>&1)
rc=$?
check "no SSH_AUTH_SOCK: ccsb stops (125) and says so" \
	'test $rc = 125 && echo "$out" | grep -q "SSH_AUTH_SOCK is not set"'

# ---- what may not reach the agent ---------------------------------------
out=$(run --net=none --ssh-agent --log-net="$D/u/log" -- sh -c '
	ssh-add -D; echo "D=$?"
	ssh-add planted; echo "add=$?"
	echo pw | SSH_ASKPASS_REQUIRE=never ssh-add -x </dev/null; echo "x=$?"
	ssh-add -X </dev/null; echo "X=$?"
	ssh-add -d work.pub; echo "d=$?"
	ssh-add -l | wc -l' 2>&1)
echo "$out" | sed 's/^/    /'
check "ssh-add -D refused" 'echo "$out" | grep -qx "D=1"'
check "ssh-add of a new key refused" 'echo "$out" | grep -qx "add=1"'
check "ssh-add -x (lock) refused" 'echo "$out" | grep -qx "x=1"'
check "ssh-add -X (unlock) refused" 'echo "$out" | grep -qx "X=1"'
check "ssh-add -d (remove one) refused" 'echo "$out" | grep -qx "d=1"'
check "inside, both keys are still listed afterwards" 'echo "$out" | grep -qx 2'
check "the host agent still holds exactly its two keys (host ssh-add -l)" \
	'test "$(u ssh-add -l)" = "$host_keys" && test "$(echo "$host_keys" | wc -l)" = 2'
check "the planted key never reached the host agent, which is not locked" \
	'u ssh-add -l >"$D/list" && ! grep -q planted "$D/list" && test "$(wc -l <"$D/list")" = 2'
check "the exit report lists the refusals" \
	'echo "$out" | grep -q "ccsb:   ssh-agent: refused .*remove all identities (1).*add identity (1).*lock (1).*unlock (1).*remove identity (1)"'
check "the log has one line per refusal" 'test "$(grep -c "^ssh-agent: refused" "$D/u/log")" -ge 5'

# ---- signing: ssh-keygen -Y sign and git commit -S ----------------------
echo "git@example.test $(cat "$D/keys/work.pub")" >"$D/allowed_signers"
echo "hello" >"$D/proj/msg"
chown "$NETNS_UID:$NETNS_GID" "$D/proj/msg"
out=$(run -q --net=none --ssh-agent --log-net="$D/u/log2" -- \
	ssh-keygen -Y sign -n file -f work.pub msg 2>&1)
check "ssh-keygen -Y sign works through the broker" 'test -s "$D/proj/msg.sig"'
check "... and the host verifies the signature" \
	'u ssh-keygen -Y verify -f "$D/allowed_signers" -I git@example.test -n file -s "$D/proj/msg.sig" <"$D/proj/msg" >/dev/null 2>&1'
check "the signature is logged with its namespace and key" \
	'grep -q "^ssh-agent: signed ssh signature, namespace .file. with ssh-ed25519 $fp_work .work key.$" "$D/u/log2"'
rm -f "$D/proj/msg.sig"
# A named session keeps the signature in its log: `ccsb events --follow`,
# started as soon as the session is there, prints it and ends with it.
run -q --net=none --ssh-agent --name=sa -- sh -c \
	'until [ -e follow-started ]; do sleep 0.1; done; ssh-keygen -Y sign -n file -f work.pub msg' \
	>"$D/u/sa.out" 2>&1 &
sa=$!
i=0
until [ -e "$RT/ccsb/sa.events" ] || [ $i -gt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
run events --follow sa >"$D/u/sa.jsonl" 2>&1 &
fol=$!
# The follower has the log open once it printed the start line; only then
# may the session sign and end (its log is removed when it ends).
i=0
until grep -q '"event":"start"' "$D/u/sa.jsonl" 2>/dev/null || [ $i -gt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
: >"$D/proj/follow-started"
wait $sa
wait $fol
rm -f "$D/proj/msg.sig" "$D/proj/follow-started"
sed 's/^/    /' "$D/u/sa.out"
check "named session: its log has the signature (ccsb events --follow)" \
	'grep -q "\"event\":\"ssh_agent\",\"action\":\"signed\",\"what\":\"ssh signature, namespace .file.\"" "$D/u/sa.jsonl" && tail -n 1 "$D/u/sa.jsonl" | grep -q "\"event\":\"exit\""'
# ssh-keygen does not even ask for a key it is not shown; a raw client
# does: a sign request for the hidden key, and messages out of bounds.
cat >"$D/proj/raw.py" <<'EOF_PY'
import base64, os, socket, struct, sys
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.environ["SSH_AUTH_SOCK"])
    return s
def call(s, body):
    s.sendall(struct.pack(">I", len(body)) + body)
    hdr = s.recv(4)
    if len(hdr) < 4:
        return "closed"
    n = struct.unpack(">I", hdr)[0]
    data = b""
    while len(data) < n:
        data += s.recv(n - len(data))
    return data[0]
blob = base64.b64decode(open(sys.argv[1]).read().split()[1])
def string(b):
    return struct.pack(">I", len(b)) + b
s = conn()
print("sign", call(s, bytes([13]) + string(blob) + string(b"data") + struct.pack(">I", 0)))
print("list-after", call(s, bytes([11])))
s = conn()
s.sendall(struct.pack(">I", 256 * 1024 + 1) + b"\x0b")
print("oversized", "closed" if s.recv(4) == b"" else "answered")
s = conn()
print("max-size", call(s, bytes([11]) + b"\0" * (256 * 1024 - 1)))
EOF_PY
chmod 644 "$D/proj/raw.py"
out=$(run -q --net=none --ssh-agent='work*' -- python3 raw.py personal.pub 2>&1)
echo "$out" | sed 's/^/    /'
check "a sign request for a key the filter hides gets SSH_AGENT_FAILURE (5)" 'echo "$out" | grep -qx "sign 5"'
check "... the connection still serves the list afterwards (12)" 'echo "$out" | grep -qx "list-after 12"'
check "... and the refusal is reported with the key's fingerprint" \
	'echo "$out" | grep -q "refused .*signature with a key not exposed ($fp_personal)"'
check "a message above 256 KiB closes the connection unanswered" 'echo "$out" | grep -qx "oversized closed"'
check "a 256 KiB message of a relayed type with junk is answered failure" 'echo "$out" | grep -qx "max-size 5"'

# The repository is configured on the host (its config is read-only
# inside), as README's recipe says.
u git -C "$D/proj" init -q -b main
u git -C "$D/proj" config user.name Claude
u git -C "$D/proj" config user.email claude@example.test
u git -C "$D/proj" config gpg.format ssh
u git -C "$D/proj" config user.signingkey "key::$(cat "$D/keys/work.pub")"
out=$(run -q --net=none --ssh-agent -- sh -c 'git add msg && git commit -q -S -m "signed inside" && echo committed' 2>&1)
check "git commit -S with an SSH key (gpg.format=ssh) works inside" 'echo "$out" | grep -qx committed'
check "... the host's git verifies the commit's signature" \
	'u git -C "$D/proj" -c gpg.ssh.allowedSignersFile="$D/allowed_signers" verify-commit HEAD >/dev/null 2>&1'

# ---- git push over SSH, host key checked --------------------------------
push() {
	run -q --allow=198.51.100.1 --no-default-allowlist --ssh-agent "$@" \
		--env=GIT_SSH_COMMAND='ssh -o BatchMode=yes' -- \
		git push -q git@198.51.100.1:repo.git main 2>&1
}
out=$(push)
echo "$out" | sed 's/^/    /'
check "git push over SSH through the broker succeeds" \
	'test "$(u git -C "$D/git/repo.git" rev-parse main 2>/dev/null)" = "$(u git -C "$D/proj" rev-parse HEAD)"'
check "the exit report counts the login signature" \
	'echo "$out" | grep -q "ccsb:   ssh-agent: 1 signature with ssh-ed25519 $fp_work .work key. (last: ssh login as .git.)"'
out=$(run -q --allow=198.51.100.1 --no-default-allowlist --ssh-agent='personal' \
	--env=GIT_SSH_COMMAND='ssh -o BatchMode=yes' -- git push -q git@198.51.100.1:repo.git main:other 2>&1)
echo "$out" | sed 's/^/    /'
check "with only the unauthorized key exposed, the push is denied" \
	'echo "$out" | grep -q "Permission denied (publickey)" && ! u git -C "$D/git/repo.git" rev-parse -q --verify other >/dev/null'
# The host key changes: ssh must refuse, as it does outside.
cp "$D/home/.ssh/known_hosts" "$D/known_hosts.good"
echo "198.51.100.1 $(cat "$D/sshd/other_host_key.pub")" >"$D/home/.ssh/known_hosts"
u git -C "$D/proj" commit -q --allow-empty -m second
out=$(push)
echo "$out" | sed 's/^/    /'
check "a changed host key fails as usual (REMOTE HOST IDENTIFICATION HAS CHANGED)" \
	'echo "$out" | grep -q "HOST IDENTIFICATION HAS CHANGED" && test "$(u git -C "$D/git/repo.git" rev-parse main)" != "$(u git -C "$D/proj" rev-parse HEAD)"'
cp "$D/home/.ssh/known_hosts" "$D/known_hosts.changed"
out=$(run -q --net=none --ssh-agent -- sh -c 'echo x >>~/.ssh/known_hosts && echo appended' 2>&1)
check "known_hosts is read-only inside" \
	'! echo "$out" | grep -q appended && cmp -s "$D/home/.ssh/known_hosts" "$D/known_hosts.changed"'
cp "$D/known_hosts.good" "$D/home/.ssh/known_hosts"
out=$(run -q --net=none --ssh-agent -- sh -c 'ls -A ~/.ssh; cat ~/.ssh/id_ed25519 2>&1 | head -1' 2>&1)
check "only known_hosts is in ~/.ssh inside" 'test "$(echo "$out" | head -1)" = known_hosts'

# ---- the socket exposes nothing else, and nothing outlives ccsb ----------
out=$(run -q --net=none --ssh-agent -- sh -c 'ls -A /run/ccsb; stat -c %F /run/ccsb/ssh-agent.sock; ls /tmp' 2>&1)
check "inside: only the socket and ccsb-exec under /run/ccsb, no broker directory" \
	'test "$(echo "$out" | head -3 | tr "\n" " ")" = "exec ssh-agent.sock socket " && ! echo "$out" | grep -q ccsb-broker'
check "the broker's directory is gone after the run" '! ls -d $RT/ccsb-broker-* 2>/dev/null'
run -q --net=none --ssh-agent -- sleep 600 &
bg=$!
i=0
while ! pgrep -fx "sleep 600" >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ccsb_pid=$(pgrep -n -f "^$CCSB -q --net=none --ssh-agent -- sleep 600")
check "while running, the broker has its socket" 'ls -d $RT/ccsb-broker-"$ccsb_pid"-*/ssh-agent.sock >/dev/null 2>&1'
check "the broker is a thread of ccsb, not a process" \
	'test "$(ls /proc/$ccsb_pid/task | wc -l)" = 2 &&
	 test "$(ps -o comm= --ppid "$ccsb_pid" | grep -vx ccsb-state)" = bwrap'
run -q --net=none --ssh-agent -- true
check "another ccsb leaves a live broker's directory alone" \
	'ls -d $RT/ccsb-broker-"$ccsb_pid"-*/ssh-agent.sock >/dev/null 2>&1'
kill -KILL "$ccsb_pid"
wait $bg 2>/dev/null
i=0
while pgrep -f "sleep 600" >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "after SIGKILL of ccsb no process of the run is left" \
	'! pgrep -f "sleep 600" >/dev/null && ! kill -0 "$ccsb_pid" 2>/dev/null'
run -q --net=none --ssh-agent -- true
check "the next run removes the directory the killed one left" '! ls -d $RT/ccsb-broker-"$ccsb_pid"-* 2>/dev/null'
check "the host agent is intact at the end" \
	'test "$(u ssh-add -l)" = "$host_keys" && test "$(echo "$host_keys" | wc -l)" = 2'

t_done
