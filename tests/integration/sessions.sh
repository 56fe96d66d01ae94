#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Named sessions (issue 17): `ccsb --name`, `ccsb ps`, `ccsb exec`. A command
# run with `ccsb exec` shares the session's files, network, uid, filter and
# bounds; it cannot reach what the session cannot; the sandbox cannot reach
# the session's channel; another uid cannot exec; ending the session ends
# every exec'd command.
. "$top_srcdir/tests/lib/common.sh"
t_setup

command -v python3 >/dev/null 2>&1 || t_skip "python3 not found (apt-get install python3)"
command -v script >/dev/null 2>&1 || t_skip "script not found (apt-get install bsdutils)"

RUN=$T/run
mkdir -p "$RUN"
chmod 700 "$RUN"
[ "$(id -u)" = 0 ] && chown "$TEST_UID:$TEST_GID" "$RUN"
SB_EXTRA_ENV="XDG_RUNTIME_DIR=$RUN"

# ccsb as the test user with the same clean environment as sb(), without
# sb()'s options: `cx ps`, `cx exec NAME ...`. cx_exec replaces the calling
# shell: `cx_exec ... &` leaves ccsb's own pid in $!.
cx_exec() {
	cd "$PROJ" || exit 1
	if [ "$(id -u)" = 0 ]; then
		exec setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --clear-groups -- env -i \
			$SB_ENV HOME="$THOME" ${RUN:+XDG_RUNTIME_DIR="$RUN"} \
			CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" "$CCSB" "$@"
	fi
	exec env -i $SB_ENV HOME="$THOME" ${RUN:+XDG_RUNTIME_DIR="$RUN"} \
		CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" "$CCSB" "$@"
}
cx() {
	(cx_exec "$@")
}

# Start `ccsb --name=NAME ARGS...` in the background (ccsb's pid in
# $started) and wait until `ccsb exec` reaches it: a poll on readiness, not
# a timing.
start_session() {
	name=$1
	shift
	cx_exec -q --net=none --name="$name" "$@" </dev/null >"$T/$name.out" 2>&1 &
	started=$!
	i=0
	while [ $i -lt 300 ]; do
		if cx exec "$name" true 2>/dev/null; then
			return 0
		fi
		kill -0 "$started" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "session $name did not come up:"
	cat "$T/$name.out"
	return 1
}

start_session s1 sh -c 'echo from-main >/tmp/main-made; readlink /proc/self/ns/net /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/user >/tmp/ns; grep "Max processes" /proc/self/limits >/tmp/nproc; exec sleep 987600' ||
	fail "the session starts"
S1=$started

check "ccsb ps lists the session with its project and command" \
	'cx ps | grep -E "^s1 .*$PROJ .*sh -c echo from-main" >/dev/null'
check "ccsb ps shows the policy summary" 'cx ps | grep -E "^s1 .*net=none seccomp" >/dev/null'
check "the registration is in XDG_RUNTIME_DIR/ccsb, mode 0700" \
	'test -S "$RUN/ccsb/s1.sock" && test "$(stat -c %a "$RUN/ccsb")" = 700'
check "the session keeps its events beside its socket (s1.events, mode 0600)" \
	'test "$(stat -c %a "$RUN/ccsb/s1.events")" = 600'
check "ccsb ps: an EVENTS column, '-' while nothing but the start happened" \
	'cx ps | head -n 1 | grep -q " EVENTS\$" && cx ps | grep -E "^s1 .* -\$" >/dev/null'
check "ccsb events NAME prints the start event, with the session's name" \
	'cx events s1 | head -n 1 | grep "\"event\":\"start\"" | grep -q "\"session\":\"s1\""'
check "ccsb events of a name that does not run: 125 and why" \
	'out=$(cx events nosuch 2>&1); test $? = 125 && echo "$out" | grep -q "no sandbox named .nosuch. is running"'

check "exec sees a file the main command made in the session's own /tmp" \
	'test "$(cx exec s1 cat /tmp/main-made)" = from-main'
check "exec is in the same network, mount, pid and user namespaces" \
	'test "$(cx exec s1 readlink /proc/self/ns/net /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/user)" = "$(cx exec s1 cat /tmp/ns)"'
check "exec sees the same network devices (--net=none: loopback only)" \
	'test "$(cx exec s1 sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d \" \"")" = lo'
check "exec runs as the session's uid" 'test "$(cx exec s1 id -u)" = "$(sb id -u)"'
check "exec runs under the seccomp filter" 'cx exec s1 grep -qx "Seccomp:	2" /proc/self/status'
check "exec has the session's task bound (RLIMIT_NPROC)" \
	'lim=$(cx exec s1 grep "Max processes" /proc/self/limits) && test -n "$lim" && test "$lim" = "$(cx exec s1 cat /tmp/nproc)"'
check "exec cannot make a user namespace (as the session cannot)" \
	'! cx exec s1 unshare -U true 2>/dev/null'
echo "host secret" >"$THOME/secret"
chmod 644 "$THOME/secret"
check "exec cannot read the host home" '! cx exec s1 cat "$THOME/secret" 2>/dev/null'
check "exec cannot write the read-only system" '! cx exec s1 sh -c "echo x >/usr/x" 2>/dev/null'
check "exec writes the project as the session does" \
	'cx exec s1 sh -c "echo e >exec-made" && test "$(cat "$PROJ/exec-made")" = e'
check "exec runs in the session's working directory" 'test "$(cx exec s1 pwd)" = "$PROJ"'
check "exec --cwd" 'test "$(cx exec --cwd=/tmp s1 pwd)" = /tmp'
check "exec --env sets a variable over the session's" \
	'test "$(cx exec --env=FOO=bar s1 sh -c "echo \$FOO:\$HOME")" = bar:/home/claude'
check "exec passes stdin and stdout" 'test "$(echo piped | cx exec s1 cat)" = piped'
check "exec passes stderr apart" 'test "$(cx exec s1 sh -c "echo err >&2" 2>&1 >/dev/null)" = err'
cx exec s1 sh -c 'exit 7'
check "exec returns the command's exit status" 'test $? = 7'
cx exec s1 sh -c 'kill -TERM $$'
check "exec returns 128+N after signal N" 'test $? = 143'
out=$(cx exec s1 no-such-command 2>&1)
check "exec of a missing command: 127 and the shell's message" \
	'cx exec s1 no-such-command 2>/dev/null; test $? = 127 && echo "$out" | grep -q "command not found in the sandbox"'
check "exec's command has no descriptor beyond 0-2" \
	'test "$(cx exec s1 sh -c "ls /proc/\$\$/fd" | tr "\n" " ")" = "0 1 2 "'
check "exec with a terminal: a pty of its own, as controlling terminal" \
	'script -qec "env -i $SB_ENV HOME=$THOME XDG_RUNTIME_DIR=$RUN CCSB_EXEC_HELPER=$CCSB_EXEC_HELPER setpriv --reuid=$TEST_UID --regid=$TEST_GID --clear-groups $CCSB exec s1 sh -c \"test -t 0 && test -t 1 && exec 3</dev/tty && echo CTTY-OK\"" /dev/null | grep -q CTTY-OK'
check "exec with stdin not a terminal: output to the terminal still drops an OSC 52 write" \
	'script -qec "env -i $SB_ENV HOME=$THOME XDG_RUNTIME_DIR=$RUN CCSB_EXEC_HELPER=$CCSB_EXEC_HELPER setpriv --reuid=$TEST_UID --regid=$TEST_GID --clear-groups $CCSB exec s1 printf \"A\\033]52;c;aGk=\\007B\\n\" </dev/null" /dev/null >"$T/osc.out" 2>&1; grep -q AB "$T/osc.out" && ! grep -q "52;c" "$T/osc.out"'

# A signal to `ccsb exec` reaches the command (it handles it itself).
cx_exec exec s1 sh -c 'trap "echo got-term; exit 3" TERM; touch /tmp/trap-set; while :; do sleep 1; done' \
	>"$T/trap.out" 2>&1 &
client=$!
i=0
while [ $i -lt 300 ] && ! cx exec s1 test -e /tmp/trap-set; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$client"
wait "$client"
rc=$?
check "SIGTERM to ccsb exec goes to the command, whose status comes back" \
	'test $rc = 3 && grep -q got-term "$T/trap.out"'

# ---- job control in an exec'd interactive shell ----------------------
# `ccsb exec NAME bash` on a terminal: bash leads a session of its own with
# the pty as its controlling terminal (its pid, process group, session and
# the terminal's foreground group are one), so `&`, jobs, ^Z, fg and ^C
# work, and the terminal's signals reach the foreground job, not bash, not
# the session's pid 1 and not its main command. Driven through a pty by
# $T/jobctl.py, which waits for bash's output (and the processes' states in
# /proc), never for a time.
cat >"$T/jobctl.py" <<'EOF_PY'
import os, pty, re, select, sys, time
# argv: the ccsb exec command line. Prints one "STEP ok" / "STEP FAIL ..." line each.
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
buf = b""
def expect(pat, t=30):
    """Wait until the output since the last match holds the pattern."""
    global buf
    end = time.time() + t
    while True:
        m = re.search(pat, buf)
        if m:
            buf = buf[m.end():]
            return m
        left = end - time.time()
        if left <= 0:
            return None
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                d = b""
            if not d:
                return None
            buf += d
def send(s):
    os.write(fd, s)
def find(words):
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if open("/proc/%s/cmdline" % d, "rb").read() == words:
                    return int(d)
            except OSError:
                pass
    return None
def state(p):
    try:
        return open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
def wait_for(f, t=30):
    end = time.time() + t
    while time.time() < end:
        v = f()
        if v:
            return v
        time.sleep(0.05)
    return None
def step(name, ok, detail=""):
    print(name, "ok" if ok else "FAIL " + detail, flush=True)
P = rb"jc\$ "
step("prompt", expect(P) is not None, repr(buf[-200:]))
send(b"read -r -a st </proc/$$/stat; echo \"ids $$ ${st[4]} ${st[5]} ${st[7]}\"\n")
m = expect(rb"ids (\d+) (\d+) (\d+) (\d+)\r?\n")
step("session", m is not None and m.group(1) == m.group(2) == m.group(3) == m.group(4),
     m and m.group(0).decode() or repr(buf[-200:]))
send(b"sleep 9911 &\n")
step("background", expect(rb"\[1\] \d+") is not None and expect(P) is not None, repr(buf[-200:]))
send(b"jobs\n")
step("jobs", expect(rb"\[1\]\+ +Running +sleep 9911") is not None, repr(buf[-200:]))
expect(P)
send(b"sleep 9922\n")
fg = wait_for(lambda: find(b"sleep\x009922\x00"))
step("foreground-started", fg is not None)
send(b"\x1a")
step("ctrl-z-stopped", expect(rb"\[2\]\+ +Stopped +sleep 9922") is not None and
     wait_for(lambda: state(fg) == "T") is not None, repr(buf[-200:]) + state(fg or 0))
expect(P)
send(b"jobs\n")
step("jobs-after-stop", expect(rb"Running +sleep 9911") is not None, repr(buf[-200:]))
expect(P)
send(b"fg %2\n")
step("fg-resumes", expect(rb"sleep 9922\r?\n") is not None and
     wait_for(lambda: state(fg) in ("S", "R")) is not None, state(fg or 0))
send(b"\x03")
step("ctrl-c-ends-job", expect(P) is not None and wait_for(lambda: state(fg) in ("gone", "Z") or find(b"sleep\x009922\x00") is None) is not None, repr(buf[-200:]))
send(b"echo rc=$?\n")
step("ctrl-c-status", expect(rb"rc=130") is not None, repr(buf[-200:]))
expect(P)
bg = find(b"sleep\x009911\x00")
step("background-survives", bg is not None and state(bg) in ("S", "R"), state(bg or 0))
send(b"kill %1; wait; exit 5\n")
_, st = os.waitpid(pid, 0)
step("exit-status", os.WIFEXITED(st) and os.WEXITSTATUS(st) == 5, str(st))
EOF_PY
if [ "$(id -u)" = 0 ]; then
	set -- setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --clear-groups --
else
	set --
fi
(cd "$PROJ" && timeout 300 python3 "$T/jobctl.py" "$@" env -i $SB_ENV HOME="$THOME" \
	XDG_RUNTIME_DIR="$RUN" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" "$CCSB" exec \
	--env='PS1=jc$ ' s1 bash --norc --noprofile -i) >"$T/jobctl.out" 2>&1
sed 's/^/    /' "$T/jobctl.out"
jc() { grep -qx "$1 ok" "$T/jobctl.out"; }
check "exec'd bash: session leader, the pty its controlling terminal, in the foreground" 'jc session'
check "exec'd bash: a job in the background (&) is listed by jobs" 'jc background && jc jobs'
check "exec'd bash: ^Z stops the foreground job, bash says Stopped" 'jc foreground-started && jc ctrl-z-stopped'
check "exec'd bash: the background job still runs meanwhile" 'jc jobs-after-stop'
check "exec'd bash: fg resumes the stopped job" 'jc fg-resumes'
check "exec'd bash: ^C ends the foreground job only (status 130), bash goes on" \
	'jc ctrl-c-ends-job && jc ctrl-c-status && jc background-survives'
check "exec'd bash: its exit status is ccsb exec's" 'jc exit-status'
check "the terminal's signals did not reach the session: its main command and pid 1 run on" \
	'kill -0 "$S1" && pgrep -fx "sleep 987600" >/dev/null && test "$(cx exec s1 cat /tmp/main-made)" = from-main'

check "a second session with the same name is refused" \
	'out=$(sb --name=s1 true 2>&1); test $? = 125 && echo "$out" | grep -q "already running"'
check "a bad name is refused with the rule" \
	'out=$(sb --name=../x true 2>&1); test $? = 125 && echo "$out" | grep -q "bad session name"'
check "exec into a name that does not run says so" \
	'out=$(cx exec nosuch true 2>&1); test $? = 125 && echo "$out" | grep -q "no sandbox named .nosuch. is running"'

# ---- attacks from inside the session ---------------------------------
# pid 1 (ccsb-exec) holds the control socket and the clients' connections.
check "inside: /proc/1/fd cannot be listed" '! cx exec s1 ls /proc/1/fd 2>/dev/null'
check "inside: no descriptor of pid 1 can be opened" \
	'! cx exec s1 sh -c "for n in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do exec 9<>/proc/1/fd/\$n && exit 0; done 2>/dev/null; exit 1"'
check "inside: pid 1 cannot be ptraced (attach, seize)" \
	'test "$(cx exec s1 python3 -c "
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print(libc.ptrace(16, 1, 0, 0), libc.ptrace(0x4206, 1, 0, 0))
")" = "-1 -1"'
check "inside: the session directory is not there" \
	'! cx exec s1 test -e "$RUN/ccsb/s1.sock" && ! sb test -e "$RUN"'
check "inside: the session's event log cannot be read or written" \
	'! cx exec s1 sh -c "cat \"$RUN/ccsb/s1.events\" || echo x >>\"$RUN/ccsb/s1.events\"" 2>/dev/null'
check "inside: connecting to the session socket path fails" \
	'! cx exec s1 python3 -c "
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(\"$RUN/ccsb/s1.sock\")
" 2>/dev/null'
check "inside: no unix socket of the host is listed" \
	'test -z "$(cx exec s1 sh -c "tail -n +2 /proc/net/unix | grep -v \" 00000000 .*$\" | grep -v \"^\$\"" 2>/dev/null | grep ccsb)"'
# After the attempts, the host's own client still works.
check "after the attempts: the host's ccsb exec still runs commands" \
	'test "$(cx exec s1 echo still-fine)" = still-fine && cx ps | grep -q "^s1 "'

# ---- another uid -----------------------------------------------------
OTHER=$((TEST_UID - 1))
if [ "$(id -u)" = 0 ]; then
	check "another uid: ccsb exec is refused (the directory is not theirs)" \
		'! (cd / && setpriv --reuid=$OTHER --regid=$OTHER --clear-groups env -i $SB_ENV XDG_RUNTIME_DIR="$RUN" "$CCSB" exec s1 touch /tmp/other-was-here) 2>/dev/null'
	check "another uid: connecting to the socket itself is denied" \
		'! setpriv --reuid=$OTHER --regid=$OTHER --clear-groups python3 -c "
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(\"$RUN/ccsb/s1.sock\")
" 2>/dev/null'
	# root passes directory modes: the uid check drops the connection.
	python3 - "$RUN/ccsb/s1.sock" <<'EOF' >"$T/root.out" 2>&1
import array, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
body = struct.pack("<IIII", 0, 2, 0, 0) + b"\0touch\0/tmp/root-was-here\0"
pkt = struct.pack("<IHHII", 0x62736363, 1, 2, len(body), 0) + body
fds = array.array("i", [0, 1, 2])
s.settimeout(10)
try:
    s.sendmsg([pkt], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
    print("reply", len(s.recv(64)))
except (BrokenPipeError, ConnectionResetError):
    print("reply 0")
EOF
	check "a connection from another uid (root) is closed unanswered" 'grep -qx "reply 0" "$T/root.out"'
	check "... and ran nothing" '! cx exec s1 test -e /tmp/root-was-here && ! cx exec s1 test -e /tmp/other-was-here'
fi

# ---- ending the session ends every exec'd command --------------------
cx_exec exec s1 sh -c 'sleep 987654 & sleep 987655' >/dev/null 2>&1 &
client=$!
i=0
while [ $i -lt 300 ] && ! pgrep -f "sleep 987655" >/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
check "the exec'd commands run" 'pgrep -f "sleep 987654" >/dev/null && pgrep -f "sleep 987655" >/dev/null'
kill -TERM "$S1"
wait "$S1"
wait "$client"
rc=$?
check "killing the session ends every exec'd process" \
	'! pgrep -f "sleep 98765[45]" >/dev/null'
check "their ccsb exec fails with 125" 'test $rc = 125'
check "the session's files are removed at its end" \
	'! test -e "$RUN/ccsb/s1.sock" && ! test -e "$RUN/ccsb/s1.info" && ! test -e "$RUN/ccsb/s1.events"'

# ---- a session killed outright leaves stale files: cleaned ------------
start_session s2 sleep 600 || fail "the second session starts"
# A follower of its events ends by itself when the session dies outright
# (no exit line, no removal: its ccsb no longer holds s2.info's lock).
cx events --follow s2 >"$T/s2.follow" 2>&1 &
fol=$!
i=0
until [ -s "$T/s2.follow" ] || [ $i -gt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -KILL "$started"
wait "$started" 2>/dev/null
(sleep 60 && kill "$fol" 2>/dev/null) &
watchdog=$!
wait "$fol"
frc=$?
kill "$watchdog" 2>/dev/null
check "ccsb events --follow of a session killed outright ends (0: $frc) after its start line" \
	'test "$frc" = 0 && grep -q "\"event\":\"start\"" "$T/s2.follow"'
check "ccsb events of a killed session, its files still there: not running, 125" \
	'out=$(cx events s2 2>&1); test $? = 125 && echo "$out" | grep -q "no sandbox named .s2. is running"'
check "a killed session's files stay behind" 'test -e "$RUN/ccsb/s2.info" && test -e "$RUN/ccsb/s2.events"'
check "ccsb ps does not list a dead session, and removes its files" \
	'! cx ps | grep -q "^s2 " && ! test -e "$RUN/ccsb/s2.info" && ! test -e "$RUN/ccsb/s2.sock" && ! test -e "$RUN/ccsb/s2.events"'
start_session s2 sleep 600 && S2=$started
check "the name of a dead session can be taken again" 'cx exec s2 true'
kill -TERM "$S2" 2>/dev/null
wait "$S2" 2>/dev/null

# ---- the default: no XDG_RUNTIME_DIR, as from a plain su or cron -------
if [ "$(id -u)" = 0 ]; then
	DEFDIR=/run/user/$TEST_UID
	[ -d "$DEFDIR" ] && [ "$(stat -c %u "$DEFDIR")" = "$TEST_UID" ] || DEFDIR=/tmp/ccsb-$TEST_UID
	[ "$DEFDIR" = "/run/user/$TEST_UID" ] && DEFDIR=$DEFDIR/ccsb
	SAVED_RUN=$RUN
	RUN=
	start_session def-$$ sleep 600
	D=$started
	check "without XDG_RUNTIME_DIR: $DEFDIR, mode 0700, and exec works" \
		'test "$(stat -c %a "$DEFDIR")" = 700 && test -S "$DEFDIR/def-$$.sock" && test "$(cx exec def-$$ id -un)" = claude'
	kill -TERM "$D"
	wait "$D"
	RUN=$SAVED_RUN
	# Someone else's directory at the fallback path is refused, not used.
	if [ "$DEFDIR" = "/tmp/ccsb-$TEST_UID" ]; then
		mv "$DEFDIR" "$DEFDIR.moved"
		mkdir -m 700 "$DEFDIR"
		check "a fallback directory owned by another uid is refused with the fix" \
			'out=$(cd "$PROJ" && as_test_user env -i $SB_ENV HOME="$THOME" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" "$CCSB" -q --net=none --name=x true 2>&1); test $? = 125 && echo "$out" | grep -q "belongs to uid 0"'
		rmdir "$DEFDIR"
		mv "$DEFDIR.moved" "$DEFDIR"
	fi
fi

# ---- the library: ccsb_sandbox_start(), ccsb_session_exec() -----------
out=$(cd "$PROJ" && as_test_user env -i $SB_ENV HOME="$THOME" XDG_RUNTIME_DIR="$RUN" \
	CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" "$top_builddir/tests/lib/session-start" \
	'echo one >/tmp/lib-made' 'cat /tmp/lib-made' 'exit 7' 'kill -TERM $$' \
	'readlink /proc/self/ns/net' 'readlink /proc/self/ns/net' 'sleep 987656 & echo bg' 2>&1)
check "library: every command runs in the one sandbox (its /tmp, its netns)" \
	'echo "$out" | grep -qx one && test "$(echo "$out" | grep -c "^net:")" = 2 && test "$(echo "$out" | grep "^net:" | sort -u | wc -l)" = 1'
check "library: each command's own status" \
	'test "$(echo "$out" | grep "^status" | tr "\n" " ")" = "status 0 status 0 status 7 status 143 status 0 status 0 status 0 "'
check "library: freeing the session ends what its commands left running" \
	'echo "$out" | grep -qx bg && ! pgrep -f "sleep 987656" >/dev/null'
check "library: the sandbox's own network is not the host's" \
	'test "$(echo "$out" | grep "^net:" | sort -u)" != "$(readlink /proc/self/ns/net)"'

check "a session directory inside the sandbox's binds is refused" \
	'mkdir -p "$PROJ/rt" && chmod 700 "$PROJ/rt" && { [ "$(id -u)" != 0 ] || chown "$TEST_UID:$TEST_GID" "$PROJ/rt"; } && out=$(SB_EXTRA_ENV="XDG_RUNTIME_DIR=$PROJ/rt" sb --name=vis true 2>&1); test $? = 125 && echo "$out" | grep -q "would be visible in the sandbox"'

t_done
