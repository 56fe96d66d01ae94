#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 2's contract: identity, binds, environment, exit statuses, signals,
# nothing left behind.
. "$top_srcdir/tests/lib/common.sh"
t_setup

echo "host secret" >"$THOME/secret"
chmod 644 "$THOME/secret"

check "id -un is claude" 'test "$(sb id -un)" = claude'
check "HOME is /home/claude" 'test "$(sb sh -c "echo \$HOME")" = /home/claude'
check "uid is the caller's" 'test "$(sb id -u)" = "$(as_test_user id -u)"'
check "hostname is ccsb" 'test "$(sb cat /proc/sys/kernel/hostname)" = ccsb'
check "cwd is the project directory" 'test "$(sb pwd)" = "$PROJ"'

check "host HOME secret not readable" '! sb cat "$THOME/secret" 2>/dev/null'
check "host HOME not listed" '! sb ls "$THOME" 2>/dev/null | grep -q secret'
check "secret not found anywhere by content" \
	'test -z "$(sb grep -rl "host secret" /home /tmp 2>/dev/null)"'

mkdir -p "$THOME/.npm" && echo host >"$THOME/.npm/host-entry"
[ "$(id -u)" = 0 ] && chown -R "$TEST_UID:$TEST_GID" "$THOME/.npm"
KEY=$(claude_key "$PROJ")
mkdir -p "$THOME/.claude/projects/-other-project" "$THOME/.claude/todos"
echo other-secret >"$THOME/.claude/projects/-other-project/t.jsonl"
echo host-todo >"$THOME/.claude/todos/s.json"
[ "$(id -u)" = 0 ] && chown -R "$TEST_UID:$TEST_GID" "$THOME/.claude"
sb sh -c 'echo from-sandbox > made-inside; echo state > ~/.claude/projects/'"$KEY"'/t.jsonl;
	mkdir -p ~/.claude/projects/-other-project; echo planted > ~/.claude/projects/-other-project/t.jsonl;
	echo todo > ~/.claude/todos/s.json; echo top > ~/.claude/state-file; echo npm > ~/.npm/x' \
	|| fail "write in the writable binds"
check "file written in the project dir appears on the host" \
	'test "$(cat "$PROJ/made-inside" 2>/dev/null)" = from-sandbox'
check "a transcript written in ~/.claude/projects/<this project> appears on the host" \
	'test "$(cat "$THOME/.claude/projects/$KEY/t.jsonl" 2>/dev/null)" = state'
check "another project's transcripts are not visible inside" \
	'! sb cat "/home/claude/.claude/projects/-other-project/t.jsonl" 2>/dev/null | grep -q other-secret'
check "and what is written there stays inside" \
	'test "$(cat "$THOME/.claude/projects/-other-project/t.jsonl")" = other-secret'
check "todos come from ccsb's store for the project, not the host's shared ones" \
	'test "$(cat "$THOME/.local/share/ccsb/claude/$KEY/todos/s.json" 2>/dev/null)" = todo &&
	 test "$(cat "$THOME/.claude/todos/s.json")" = host-todo'
check "a new file at the top of ~/.claude stays inside" '! test -e "$THOME/.claude/state-file"'
check "~/.npm inside is the sandbox's own cache (~/.cache/ccsb/npm)" \
	'test "$(cat "$THOME/.cache/ccsb/npm/x" 2>/dev/null)" = npm && ! test -e "$THOME/.npm/x"'
check "the host's ~/.npm is not visible inside" '! sb test -e /home/claude/.npm/host-entry'
check "~/.claude.json was created with {}" 'grep -qx "{}" "$THOME/.claude.json"'
check "~/.claude.json is mode 0600" 'test "$(stat -c %a "$THOME/.claude.json")" = 600'
check "~/.claude is mode 0700" 'test "$(stat -c %a "$THOME/.claude")" = 700'
check "writes to ~/.claude.json persist (a safe key)" \
	'sb sh -c "echo \"{\\\"numStartups\\\":41}\" > ~/.claude.json" && grep -q 41 "$THOME/.claude.json"'
check "home is a tmpfs: other files there vanish" \
	'sb sh -c "echo x > ~/scratch" && ! sb test -e /home/claude/scratch && ! test -e "$THOME/scratch"'

check "writing to /usr fails" '! sb touch /usr/ccsb-test 2>/dev/null && ! test -e /usr/ccsb-test'
check "writing to /etc fails" '! sb sh -c "echo x > /etc/passwd" 2>/dev/null'
for d in /root /run/user /var /media /mnt /srv /sys /opt /boot; do
	check "$d is absent inside" "! sb test -e $d"
done
check "/etc/shadow is absent" '! sb test -e /etc/shadow'
check "/etc/passwd is synthesized" \
	'sb cat /etc/passwd | grep -q "^claude:x:[0-9]*:[0-9]*:claude:/home/claude:"'
check "/etc/passwd has no host users" \
	'! sb cat /etc/passwd | grep -v -e ^root: -e ^claude: -e ^nobody: | grep -q .'
check "the caller's group is claude" 'test "$(sb id -gn)" = claude'
check "TLS certificates are available" \
	'sb test -r /etc/ssl/certs/ca-certificates.crt || ! test -r /etc/ssl/certs/ca-certificates.crt'
check "pid 1 is ccsb-exec (own pid namespace)" \
	'sb cat /proc/1/cmdline | tr "\0" " " | grep -q "^/run/ccsb/exec "'

env_out=$(SB_EXTRA_ENV="SECRET_TOKEN=hunter2 LC_TIME=C NO_COLOR=1 FOO=host" sb --env=BAR=set --env=FOO env)
check "unrelated variables are not passed" '! echo "$env_out" | grep -q SECRET_TOKEN'
check "LC_* and NO_COLOR are passed" \
	'echo "$env_out" | grep -qx LC_TIME=C && echo "$env_out" | grep -qx NO_COLOR=1'
check "--env=NAME=VALUE sets" 'echo "$env_out" | grep -qx BAR=set'
check "--env=NAME passes" 'echo "$env_out" | grep -qx FOO=host'
check "SHELL, USER, LOGNAME and PATH are set" \
	'echo "$env_out" | grep -q ^SHELL=/bin/ && echo "$env_out" | grep -qx USER=claude &&
	 echo "$env_out" | grep -qx LOGNAME=claude && echo "$env_out" | grep -q ^PATH=/'

sb sh -c 'exit 42'
st=$?
check "exit 42 gives 42" 'test $st = 42'
sb sh -c 'kill -KILL $$'
st=$?
check "death by SIGKILL gives 137" 'test $st = 137'
out=$(sb no-such-command-xyz 2>&1)
st=$?
check "a missing command gives 127" 'test $st = 127'
check "... with a message naming it" 'echo "$out" | grep -q "no-such-command-xyz: command not found"'
printf 'not a program\n' >"$PROJ/notexec"
chmod 644 "$PROJ/notexec"
sb ./notexec 2>/dev/null
st=$?
check "a non-executable file gives 126" 'test $st = 126'

# SIGTERM to ccsb is relayed; the command's handler runs and its status is
# passed through.
rm -f "$PROJ/saw-term" "$PROJ/ready"
sb sh -c "trap 'echo term > saw-term; exit 143' TERM; echo ready > ready; while :; do sleep 0.05; done" &
pid=$!
i=0
while [ ! -e "$PROJ/ready" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
ccsb_pid=$(pgrep -f -n -- "-q --net=none sh -c trap")
kill -TERM "$ccsb_pid"
wait $pid
st=$?
check "SIGTERM to ccsb gives 143" 'test $st = 143'
check "the command saw SIGTERM" 'test "$(cat "$PROJ/saw-term" 2>/dev/null)" = term'

# A background process left running by the command dies with it.
marker=ccsbleftover$$
sb sh -c "sleep 300.$$ & exec sleep 0.1 # $marker"
sleep 0.3
check "no process left behind" '! pgrep -f "sleep 300.$$" >/dev/null && ! pgrep -f "$marker" >/dev/null'

# The refusals and their escape hatch.
out=$(sb_in / true 2>&1)
st=$?
check "cwd / is refused with 125" 'test $st = 125'
check "... saying why" 'echo "$out" | grep -q "refusing to share / read-write"'
out=$(sb_in "$THOME" true 2>&1)
st=$?
check "cwd = the whole home is refused with 125" 'test $st = 125'
check "... naming --rw" 'echo "$out" | grep -q -- "--rw="'
check "--rw=\$HOME given explicitly is allowed" 'sb_in "$THOME" --rw="$THOME" true'

# ccsb's own failures: 125 and a one-line message naming the fix.
out=$(SB_EXTRA_ENV=CCSB_BWRAP=/nonexistent/bwrap sb true 2>&1)
st=$?
check "missing bwrap gives 125" 'test $st = 125'
check "... with the fix" 'echo "$out" | grep -q "install bubblewrap"'
out=$(sb --bogus true 2>&1)
st=$?
check "an unknown option gives 125" 'test $st = 125'
check "... naming it" 'echo "$out" | grep -q -- "unknown option .--bogus."'
out=$(sb --ro=/nonexistent/path true 2>&1)
st=$?
check "a missing --ro path gives 125" 'test $st = 125'
check "... naming it" 'echo "$out" | grep -q /nonexistent/path'
mkdir -p "$T/ro" && echo r >"$T/ro/f" && chmod -R a+rX "$T/ro"
check "--ro binds read-only at DEST" \
	'test "$(sb --ro="$T/ro:/data" cat /data/f)" = r && ! sb --ro="$T/ro:/data" sh -c "echo x > /data/f" 2>/dev/null'
check "--tmpfs gives a writable empty dir" 'sb --tmpfs=/scratch sh -c "echo x > /scratch/f && test -s /scratch/f"'

t_done
