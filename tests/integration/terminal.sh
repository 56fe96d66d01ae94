#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The terminal, driven through a real terminal emulator (tmux): ccsb runs the
# command on a pty of its own, so resizing, ^C, ^\ and job control work
# inside; TIOCSTI cannot reach the outer terminal; the outer terminal's mode
# is restored however the command ends. Without a terminal, standard input
# and output pass through byte for byte.
#
# Exit 0 pass, 1 fail, 77 skip. As root, ccsb runs as uid 65534, since that
# is how users run it.
set -u
. "$top_srcdir/tests/lib/common.sh"

command -v tmux >/dev/null 2>&1 || t_skip "tmux is not installed (apt-get install tmux)"
t_setup
work=$T
home=$THOME
proj=$PROJ
sock="ccsb-test-$$"
. "$top_srcdir/tests/lib/tmux.sh"

# Wait until FILE has at least N lines.
wait_lines() {
	i=0
	while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
	return 0
}

# Host pid of a process whose command line is exactly WORDS (space-joined).
find_proc() {
	for d in /proc/[0-9]*; do
		c=$(tr '\0' ' ' 2>/dev/null <"$d/cmdline") || continue
		if [ "$c" = "$1 " ]; then
			echo "${d#/proc/}"
			return 0
		fi
	done
	return 1
}

wait_proc() {
	i=0
	while ! find_proc "$1" >/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
	return 0
}

wait_no_proc() {
	i=0
	while find_proc "$1" >/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
	return 0
}

# ---- pipes: no terminal, byte-exact, EOF propagates ---------------------
printf 'a\0b\r\n\377' >"$work/small"
printf 'a\0b\r\n\377' | sb -- cat >"$work/small.out"
check "pipe: NUL, CR and 0xff bytes pass through unchanged" 'cmp -s "$work/small" "$work/small.out"'

head -c 10485760 /dev/urandom >"$work/big"
chmod 644 "$work/big"
sb -- cat <"$work/big" >"$work/big.out"
check "pipe: 10 MB of random bytes round-trip exactly" 'cmp -s "$work/big" "$work/big.out"'

out=$(printf 'x\n' | sb -- sh -c 'cat; echo end')
check "pipe: EOF on stdin reaches the command" 'test "$out" = "$(printf "x\nend")"'

out=$(sb -- sh -c '[ -t 0 ] && echo tty || echo notty' </dev/null)
check "pipe: no terminal inside when stdin is not one ($out)" 'test "$out" = notty'

sb --tty=on -- true </dev/null 2>"$work/err"
rc=$?
check "pipe: --tty=on without a terminal is refused ($rc: $(cat "$work/err"))" \
	'test $rc = 125 && grep -q "not one" "$work/err"'

# ---- the terminal ---------------------------------------------------------
# A probe that tries TIOCSTI on stdin, with and without high bits in the
# request, and writes the outcome; a compiled one when a compiler is there,
# else Python.
cat >"$work/tiocsti.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	const char *s = "echo ccsb_inj""ected >injected.txt\n";
	FILE *f = fopen(argv[1], "w");
	int e1 = 0, e2 = 0;
	for (const char *c = s; *c; c++)
		if (ioctl(0, TIOCSTI, c) < 0)
			e1 = errno;
	if (syscall(SYS_ioctl, 0, 0x100000000UL | TIOCSTI, s) < 0)
		e2 = errno;
	fprintf(f, "%s %s\n", e1 ? strerror(e1) : "OK", e2 ? strerror(e2) : "OK");
	fclose(f);
	(void)argc;
	return 0;
}
EOF
if ${CC:-cc} -O1 -o "$proj/tiocsti" "$work/tiocsti.c" 2>/dev/null; then
	tiocsti="./tiocsti"
elif [ -x /usr/bin/python3 ]; then
	cat >"$proj/tiocsti.py" <<'EOF'
import fcntl, os, sys, termios
s = b"echo ccsb_inj" b"ected >injected.txt\n"
res = []
for req in (termios.TIOCSTI, termios.TIOCSTI | (1 << 32)):
    try:
        for i in range(len(s)):
            fcntl.ioctl(0, req, s[i:i + 1])
        res.append("OK")
    except OSError as e:
        res.append(os.strerror(e.errno))
open(sys.argv[1], "w").write(" ".join(res) + "\n")
EOF
	tiocsti="/usr/bin/python3 ./tiocsti.py"
else
	fail "TIOCSTI: no C compiler and no /usr/bin/python3 to build the probe"
	tiocsti=""
fi

cat >"$proj/winch.sh" <<'EOF'
trap 'stty size >>winch.out' WINCH
stty size >size0.out
while [ ! -e stop-winch ]; do sleep 0.05; done
EOF
cat >"$proj/sigs.sh" <<'EOF'
trap 'echo INT >>int.out' INT
trap 'echo QUIT >>quit.out' QUIT
echo ready >ready-sigs
while [ ! -e stop-sigs ]; do sleep 0.05; done
echo done >sigs-done.out
EOF
cat >"$proj/drain.sh" <<'EOF'
echo ready >drain-ready
while [ ! -e drain-go ]; do sleep 0.05; done
head -c 8000 /dev/zero | tr '\0' x
printf '\ndrained-%s\n' $((6 * 7))
EOF
chmod 644 "$proj"/*.sh
[ -z "$RUNAS" ] || chown -R "$TEST_UID:$TEST_GID" "$proj"

# Sleeps with durations unique to this run, to be found in /proc.
s1=$((1000000 + $$)) s2=$((2000000 + $$)) s3=$((3000000 + $$))

# The outer shell: a plain sh in a 100x30 tmux window, as the test user.
cat >"$work/outer.sh" <<EOF
cd '$proj' || exit 1
exec $RUNAS env -i HOME='$home' PATH='$PATH' TERM="\$TERM" \
	CCSB_EXEC_HELPER='$CCSB_EXEC_HELPER' PS1='outer\$ ' sh -i
EOF
tm new-session -d -s t -x 100 -y 30 "sh '$work/outer.sh'" || t_skip "tmux cannot start a session"
tty=$(tm display-message -p -t t '#{pane_tty}')
C="'$CCSB' -q --net=none"
# Type one command line into the outer shell.
type_line() {
	tm send-keys -t t -l "$1"
	tm send-keys -t t Enter
}
# The outer terminal's settings as seen from outside.
outer_mode() { stty -F "$tty" -g 2>/dev/null; }
type_line "echo ok >outer-ready"
wait_file "$proj/outer-ready" || {
	tm capture-pane -p -t t
	echo "FAIL - the outer shell did not start"
	exit 1
}

# Compare the outer terminal's mode before and after one ccsb run, given
# as the rest of the command line; the exit status lands in rc.N.
n=0
start_run() {
	n=$((n + 1))
	type_line "stty -g >before.$n; $C $*; echo \$? >rc.$n; stty -g >after.$n"
}
finish_run() { # EXPECTED_RC WHAT
	if ! wait_file "$proj/after.$n"; then
		# Nothing after this can be trusted: stop here.
		fail "$2: ccsb did not finish"
		tm capture-pane -p -t t | sed 's/^/    | /'
		t_done
		exit 1
	fi
	rc=$(cat "$proj/rc.$n")
	if [ "$rc" != "$1" ]; then
		fail "$2: exit status $rc, expected $1"
	elif ! cmp -s "$proj/before.$n" "$proj/after.$n"; then
		fail "$2: the outer terminal's mode was not restored"
		# Put it back so that the next checks can type commands.
		stty -F "$tty" "$(cat "$proj/before.$n")" 2>/dev/null
	else
		pass "$2: exit status $rc, terminal mode restored"
	fi
}

# 1. Window size at start and on resize (SIGWINCH inside).
start_run "-- sh winch.sh"
if wait_file "$proj/size0.out" && [ "$(cat "$proj/size0.out")" = "30 100" ]; then
	pass "resize: the command starts with the window's size (30 100)"
else
	fail "resize: start size '$(cat "$proj/size0.out" 2>/dev/null)', expected '30 100'"
fi
mode=$(outer_mode)
if [ -n "$mode" ] && [ "$mode" != "$(cat "$proj/before.$n")" ]; then
	pass "raw: the outer terminal is in another mode while the command runs"
elif [ -z "$mode" ]; then
	echo "note - cannot read the pane's terminal from here; raw mode not checked"
else
	fail "raw: the outer terminal's mode did not change while the command ran"
fi
tm resize-window -t t -x 120 -y 40
if wait_file "$proj/winch.out" && wait_lines "$proj/winch.out" 1 &&
	grep -qx "40 120" "$proj/winch.out"; then
	pass "resize: SIGWINCH delivered, stty size reports 40 120"
else
	fail "resize: after resizing to 120x40 the command saw '$(cat "$proj/winch.out" 2>/dev/null)'"
fi
: >"$proj/stop-winch"
finish_run 0 "resize"

# 2. Everything the command wrote is on the screen before ccsb returns.
start_run "-- sh -c 'seq 20000; printf \"%s\" last-words-\$((6 * 7))'"
finish_run 0 "output"
if tm capture-pane -p -t t | grep -q "^last-words-42"; then
	pass "output: the command's last bytes were relayed before it ended"
else
	fail "output: the last bytes are missing from the screen"
	tm capture-pane -p -t t | tail -n 5 | sed 's/^/    | /'
fi

# The same, deterministically: ccsb is stopped while the command writes more
# than one read's worth (but less than the pty holds, 12 KiB or more) and
# exits, so that when ccsb goes on, bwrap is gone and most of the output
# still waits in the pty. (A wrapper shell waits for
# ccsb, so that the outer shell does not see it stop.)
n=$((n + 1))
type_line "stty -g >before.$n; sh -c \"$C -- sh drain.sh; exit \\\$?\"; echo \$? >rc.$n; stty -g >after.$n"
if wait_file "$proj/drain-ready"; then
	pid=$(find_proc "$CCSB -q --net=none -- sh drain.sh" ||
		find_proc "$(dirname "$CCSB")/.libs/ccsb -q --net=none -- sh drain.sh" ||
		find_proc "$(dirname "$CCSB")/.libs/lt-ccsb -q --net=none -- sh drain.sh")
	kill -STOP "$pid"
	echo go >"$proj/drain-go"
	wait_no_proc "sh drain.sh" || fail "output: the command did not end while ccsb was stopped"
	sleep 0.2
	kill -CONT "$pid"
	finish_run 0 "output after a stop"
	if tm capture-pane -p -t t | grep -q "^drained-42"; then
		pass "output: pending output relayed in full after bwrap was gone"
	else
		fail "output: output pending when bwrap ended was lost"
		tm capture-pane -p -t t | tail -n 5 | sed 's/^/    | /'
	fi
else
	fail "output: drain.sh did not start"
fi

# 3. ^C and ^\ reach a handler inside; the command keeps running.
start_run "-- sh sigs.sh"
wait_file "$proj/ready-sigs"
tm send-keys -t t C-c
wait_lines "$proj/int.out" 1
tm send-keys -t t C-c
wait_lines "$proj/int.out" 2
tm send-keys -t t 'C-\'
wait_lines "$proj/quit.out" 1
if [ "$(grep -c INT "$proj/int.out" 2>/dev/null)" = 2 ]; then
	pass "^C: SIGINT seen twice by the command's handler"
else
	fail "^C: the handler saw '$(cat "$proj/int.out" 2>/dev/null)'"
fi
if grep -q QUIT "$proj/quit.out" 2>/dev/null; then
	pass "^\\: SIGQUIT seen by the command's handler"
else
	fail "^\\: no SIGQUIT inside"
fi
: >"$proj/stop-sigs"
finish_run 0 "^C"
if [ -s "$proj/sigs-done.out" ]; then
	pass "^C: the command went on after the signals and ended normally"
else
	fail "^C: the command did not go on after the signals"
fi

# 4. Job control in ccsb bash.
start_run "-- bash --norc --noprofile -i"
type_line "sleep $s1"
if wait_proc "sleep $s1"; then
	tm send-keys -t t C-z
	sleep 0.2
	type_line "jobs >jobs.out"
	wait_file "$proj/jobs.out"
	if grep -q Stopped "$proj/jobs.out" 2>/dev/null; then
		pass "job control: ^Z stops a job in ccsb bash, jobs shows it Stopped"
	else
		fail "job control: jobs printed '$(cat "$proj/jobs.out" 2>/dev/null)'"
	fi
	type_line "kill -9 %1"
	wait_no_proc "sleep $s1" || fail "job control: kill %1 did not end the stopped job"
	# bash updates its job table when it next reports on jobs; until then
	# exit refuses ("There are stopped jobs").
	type_line "jobs >/dev/null; jobs >/dev/null"
	sleep 0.2
else
	fail "job control: sleep did not start inside bash"
fi
type_line "exit 0"
# bash still saw a stopped job: a second exit is the documented way out.
sleep 0.5
if tm capture-pane -p -t t | tail -n 3 | grep -q "There are stopped jobs"; then
	type_line "exit 0"
fi
finish_run 0 "job control"

# 5. TIOCSTI: refused inside, and nothing reaches the outer shell, with the
# pty and with the outer terminal handed over directly (--tty=off).
if [ -n "$tiocsti" ]; then
	for variant in "" "--tty=off"; do
		label="TIOCSTI${variant:+ ($variant)}"
		out="tiocsti$n.out"
		start_run "$variant -- $tiocsti $out"
		finish_run 0 "$label"
		res=$(cat "$proj/$out" 2>/dev/null)
		if [ "$res" = "Operation not permitted Operation not permitted" ]; then
			pass "$label: refused with EPERM (plain and with high bits set)"
		else
			fail "$label: ioctl results '$res', expected EPERM twice"
		fi
	done
	# Without the filter, the pty alone must keep injected bytes inside.
	out="tiocsti$n.out"
	start_run "--no-seccomp -- $tiocsti $out"
	finish_run 0 "TIOCSTI (--no-seccomp)"
	echo "note - TIOCSTI without seccomp: $(cat "$proj/$out" 2>/dev/null) (legacy_tiocsti=$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo '?'))"
	# The inner pty may echo what was pushed into it (that is output,
	# shown on the screen); what matters is that the outer shell's input
	# stays untouched: its next line must run verbatim, and the pushed
	# line must never run.
	type_line "echo x >after-inject"
	if ! wait_file "$proj/after-inject"; then
		fail "TIOCSTI: the outer shell's next command line did not run as typed"
		tm capture-pane -p -t t | sed 's/^/    | /'
	elif sleep 0.3 && [ -e "$proj/injected.txt" ]; then
		fail "TIOCSTI: a line pushed inside ran in the outer shell"
	else
		pass "TIOCSTI: nothing pushed inside reached the outer shell's input"
	fi
fi

# 6. The command killed with SIGKILL: by itself, and from outside.
start_run "-- sh -c 'kill -9 \$\$'"
finish_run 137 "SIGKILL (the command kills itself)"
start_run "-- sleep $s2"
if wait_proc "sleep $s2"; then
	kill -9 "$(find_proc "sleep $s2")"
	finish_run 137 "SIGKILL (the command killed from outside)"
else
	fail "SIGKILL: the command did not start"
fi

# 7. SIGTERM and SIGHUP to ccsb itself: relayed, then the terminal restored.
for sig in TERM HUP; do
	start_run "-- sleep $s3"
	if wait_proc "sleep $s3"; then
		pid=$(find_proc "$CCSB -q --net=none -- sleep $s3" ||
			find_proc "$(dirname "$CCSB")/.libs/ccsb -q --net=none -- sleep $s3" ||
			find_proc "$(dirname "$CCSB")/.libs/lt-ccsb -q --net=none -- sleep $s3")
		if [ -n "$pid" ]; then
			kill -s $sig "$pid"
			[ $sig = TERM ] && want=143 || want=129
			finish_run $want "SIG$sig to ccsb"
		else
			fail "SIG$sig: cannot find ccsb's process"
			kill -9 "$(find_proc "sleep $s3")"
			wait_file "$proj/after.$n"
		fi
	else
		fail "SIG$sig: the command did not start"
	fi
done

# 8. In the background of its terminal: timeout(1) without --foreground in a
# shell without job control puts ccsb in a process group of its own, which
# must not take the terminal (it would stop on SIGTTOU before starting).
cat >"$work/bg.sh" <<EOF
timeout 60 '$CCSB' -q --net=none "\$@"
EOF
n=$((n + 1))
type_line "stty -g >before.$n; sh '$work/bg.sh' -- sh -c 'echo ran-in-bg' >bg.$n; echo \$? >rc.$n; stty -g >after.$n"
finish_run 0 "timeout without --foreground"
check "timeout without --foreground: the command ran" 'grep -qx ran-in-bg "$proj/bg.$n"'
n=$((n + 1))
type_line "stty -g >before.$n; sh '$work/bg.sh' --tty=on -- true 2>bg.$n; echo \$? >rc.$n; stty -g >after.$n"
finish_run 125 "timeout without --foreground, --tty=on"
check "timeout without --foreground, --tty=on: says why ($(cat "$proj/bg.$n"))" \
	'grep -q "not in the foreground of its terminal" "$proj/bg.$n"'

# 9. Job control with a real outer shell (bash): ^Z stops the command, ccsb
# hands the terminal back and stops itself (bash prints "Stopped"); fg
# resumes both, raw again, with the window size the terminal has by then.
cat >"$work/outer-bash.sh" <<EOF
cd '$proj' || exit 1
exec $RUNAS env -i HOME='$home' PATH='$PATH' TERM="\$TERM" \
	CCSB_EXEC_HELPER='$CCSB_EXEC_HELPER' PS1='bash\$ ' bash --norc --noprofile -i
EOF
# A full-screen program's way, as Claude Code's: raw mode of its own, ^Z
# read as a byte, then the terminal put back and SIGTSTP sent to itself.
cat >"$proj/tui.py" <<'EOF'
import os, signal, termios, tty
old = termios.tcgetattr(0)
tty.setraw(0)
open("tui-ready", "w").write("ready\n")
while True:
    b = os.read(0, 1)
    if b == b"\x1a":
        termios.tcsetattr(0, termios.TCSADRAIN, old)
        os.write(1, b"suspended, run fg\r\n")
        os.kill(os.getpid(), signal.SIGTSTP)
        tty.setraw(0)
        open("tui-resumed", "a").write("resumed\n")
    elif b in (b"q", b""):
        break
termios.tcsetattr(0, termios.TCSADRAIN, old)
EOF
cat >"$proj/loop.sh" <<'EOF'
trap 'stty size >loop-size' CONT WINCH
echo started >loop-started
while [ ! -e loop-stop ]; do sleep 0.1; done
exit 0
EOF
chmod 644 "$proj/tui.py" "$proj/loop.sh"
[ -z "$RUNAS" ] || chown "$TEST_UID:$TEST_GID" "$proj/tui.py" "$proj/loop.sh"
tm new-session -d -s b -x 100 -y 30 "sh '$work/outer-bash.sh'" || fail "tmux cannot start bash"
btty=$(tm display-message -p -t b '#{pane_tty}')
btype() {
	tm send-keys -t b -l "$1"
	tm send-keys -t b Enter
}
# ccsb's raw mode, told apart from readline's at bash's prompt (which keeps
# ISIG): wait until the pane's terminal is, or is not, in it.
israw() { stty -F "$btty" -a 2>/dev/null | grep -qw -- -isig; }
wait_raw() {
	i=0
	while ! israw; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
}
# The mode the shell runs commands with, as a command typed now sees it.
typed_mode_is() { # FILE-WITH-EXPECTED-MODE TAG
	rm -f "$proj/mode.$2"
	btype "stty -g >mode.$2"
	wait_file "$proj/mode.$2" && cmp -s "$1" "$proj/mode.$2"
}
# The state letter of the process whose command line is WORDS.
pstate() {
	p=$(find_proc "$1") || return 1
	sed 's/.*) //' "/proc/$p/stat" | cut -c1
}
wait_state() { # WORDS LETTERS
	i=0
	while ! pstate "$1" | grep -q "[$2]"; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}
nstopped() { tm capture-pane -p -t b -S -500 | grep -c 'Stopped'; }
wait_stopped() { # COUNT: until bash has printed Stopped COUNT times
	i=0
	while [ "$(nstopped)" -lt "$1" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
}
btype "echo ok >outer-bash-ready"
if ! wait_file "$proj/outer-bash-ready"; then
	fail "job control: the outer bash did not start"
else
	# After ^Z bash goes on with the rest of a command line: the status and
	# the mode at the end are taken after fg.
	btype "stty -g >jc-before; $C -- sh loop.sh"
	wait_file "$proj/loop-started"
	check "^Z: the outer terminal is raw while the command runs" 'wait_raw'
	n0=$(nstopped)
	tm send-keys -t b C-z
	check "^Z: bash shows ccsb's job Stopped" 'wait_stopped $((n0 + 1))'
	check "^Z: the command is stopped" 'wait_state "sh loop.sh" T'
	check "^Z: the outer terminal is back in its own mode" 'typed_mode_is "$proj/jc-before" jc'
	tm resize-window -t b -x 110 -y 35
	btype "fg; echo \$? >jc-rc; stty -g >jc-after"
	check "fg: the command runs again" 'wait_state "sh loop.sh" RS'
	check "fg: the outer terminal is raw again" 'wait_raw'
	check "fg: the command sees the window size set while it was stopped ($(cat "$proj/loop-size" 2>/dev/null))" \
		'i=0; until grep -qx "35 110" "$proj/loop-size" 2>/dev/null || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done; grep -qx "35 110" "$proj/loop-size"'
	: >"$proj/loop-stop"
	check "after fg the command ends normally (0) and the terminal is restored" \
		'wait_file "$proj/jc-after" && test "$(cat "$proj/jc-rc")" = 0 && cmp -s "$proj/jc-before" "$proj/jc-after"'

	btype "stty -g >tui-before; $C -- /usr/bin/python3 tui.py"
	wait_file "$proj/tui-ready" && wait_raw
	n0=$(nstopped)
	tm send-keys -t b C-z
	check "^Z in a program that handles it (raw mode, SIGTSTP to itself): bash shows Stopped" \
		'wait_stopped $((n0 + 1))'
	check "... the program is stopped" 'wait_state "/usr/bin/python3 tui.py" T'
	check "... the outer terminal is back in its own mode" 'typed_mode_is "$proj/tui-before" tui'
	btype "fg; echo \$? >tui-rc; stty -g >tui-after"
	check "fg: the program resumes where it stopped" 'wait_file "$proj/tui-resumed"'
	check "fg: the outer terminal is raw again" 'wait_raw'
	tm send-keys -t b q
	check "the program then ends normally (0), the terminal restored" \
		'wait_file "$proj/tui-after" && test "$(cat "$proj/tui-rc")" = 0 && cmp -s "$proj/tui-before" "$proj/tui-after"'
fi
[ -n "${CCSB_TEST_KEEP_PANE-}" ] && tm capture-pane -p -t b -S -50

t_done
