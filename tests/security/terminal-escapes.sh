#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Terminal escapes, through a real terminal emulator (tmux with
# set-clipboard on, so that an OSC 52 from a pane becomes a paste buffer):
# a clipboard write from inside the sandbox does not reach tmux unless
# --allow-clipboard; the same write from the host shell does (the control);
# titles pass; full-screen programs (vim, less, the real Claude Code TUI)
# produce output that passes the filter byte for byte, and vim and less
# render the same screen through ccsb as without it.
#
# Exit 0 pass, 1 fail, 77 skip. As root, ccsb runs as uid 65534.
set -u
. "$top_srcdir/tests/lib/common.sh"

command -v tmux >/dev/null 2>&1 || t_skip "tmux is not installed (apt-get install tmux)"
command -v script >/dev/null 2>&1 || t_skip "script (util-linux) is not installed"
ESCF_CAT=$top_builddir/tests/lib/escf-cat
[ -x "$ESCF_CAT" ] || t_skip "tests/lib/escf-cat is not built (make check builds it)"
t_setup
work=$T
home=$THOME
proj=$PROJ
sock="ccsb-esc-$$"
. "$top_srcdir/tests/lib/tmux.sh"

cat >"$work/outer.sh" <<EOF
cd '$proj' || exit 1
exec $RUNAS env -i HOME='$home' PATH='$PATH' TERM="\$TERM" LANG=C.UTF-8 \
	CCSB_EXEC_HELPER='$CCSB_EXEC_HELPER' PS1='outer\$ ' sh -i
EOF
tm new-session -d -s t -x 100 -y 30 "sh '$work/outer.sh'" || t_skip "tmux cannot start a session"
tm set -g set-clipboard on
C="'$CCSB' -q --net=none"
type_line() {
	tm send-keys -t t -l "$1"
	tm send-keys -t t Enter
}
type_line "echo ok >outer-ready"
wait_file "$proj/outer-ready" 300 || {
	tm capture-pane -p -t t
	echo "FAIL - the outer shell did not start"
	exit 1
}
buffers() { tm list-buffers -F '#{buffer_sample}' 2>/dev/null; }
# wait_pane TEXT N: until TEXT is on N lines of the pane (history included),
# ~10 s at most: under load the exit report may come a while after the
# command's last file.
wait_pane() {
	i=0
	while [ "$(tm capture-pane -p -t t -S -200 | grep -cF -- "$1")" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
	return 0
}

# Writes the clipboard in every form the filter knows: BEL and ST
# terminated, 8-bit and UTF-8 encoded C1 introducers.
cat >"$proj/clip.sh" <<'EOF'
b=$(printf '%s' "$1" | base64)
printf '\033]52;c;%s\007' "$b"
printf '\033]52;c;%s\033\\' "$b"
printf '\302\23552;c;%s\302\234' "$b"
printf '\033]52;;%s\007' "$b"
echo "$2" >"$3"
EOF
chmod 644 "$proj/clip.sh"

# 1. The control: tmux takes an OSC 52 from the host shell.
type_line "sh clip.sh control-clip-$$ x done.0"
wait_file "$proj/done.0" 300
sleep 0.3
if buffers | grep -q "control-clip-$$"; then
	pass "control: tmux makes a paste buffer of an OSC 52 from the host shell"
else
	fail "control: tmux did not take the OSC 52 (buffers: $(buffers | tr '\n' ' '))"
fi

# 2. From inside the sandbox: dropped, and the exit report says so.
type_line "$C -- sh clip.sh sandbox-clip-$$ x done.1"
wait_file "$proj/done.1" 300
sleep 0.5
if buffers | grep -q "sandbox-clip-$$"; then
	fail "an OSC 52 from inside the sandbox reached tmux's clipboard"
else
	pass "an OSC 52 from inside the sandbox does not reach tmux's clipboard (4 forms)"
fi
if wait_pane "terminal: 4 escape sequences dropped: 4 clipboard write" 1; then
	pass "the exit report counts the 4 dropped clipboard writes"
else
	fail "no exit report of the dropped clipboard writes: $(tm capture-pane -p -t t | grep terminal:)"
fi

# 2b. The same with standard input not a terminal (a pipe, as in
# `echo prompt | ccsb claude -p`) while the output goes to the terminal:
# the output is still relayed through the filter, and input passes as is.
type_line "echo piped-in | $C -- sh -c 'cat >piped.in; sh clip.sh piped-clip-$$ x done.1b; test -t 1 && echo tty >piped.tty'"
wait_file "$proj/done.1b" 300
sleep 0.5
if buffers | grep -q "piped-clip-$$"; then
	fail "stdin a pipe: an OSC 52 from inside the sandbox reached tmux's clipboard"
else
	pass "stdin a pipe, stdout the terminal: an OSC 52 from inside does not reach tmux's clipboard"
fi
check "stdin a pipe: the command reads it as it was, and its stdout is still a terminal" \
	'test "$(cat "$proj/piped.in")" = piped-in && test "$(cat "$proj/piped.tty" 2>/dev/null)" = tty'
check "stdin a pipe: the exit report counts the dropped writes" \
	'wait_pane "terminal: 4 escape sequences dropped: 4 clipboard write" 2'

# 3. With --allow-clipboard it goes through.
type_line "$C --allow-clipboard -- sh clip.sh allowed-clip-$$ x done.2"
wait_file "$proj/done.2" 300
sleep 0.5
if buffers | grep -q "allowed-clip-$$"; then
	pass "--allow-clipboard: the OSC 52 reaches tmux's clipboard"
else
	fail "--allow-clipboard: no buffer (buffers: $(buffers | tr '\n' ' '))"
fi

# 4. Titles pass (Claude Code sets one).
type_line "$C -- sh -c 'printf \"\\033]2;title-$$\\007\"; echo x >done.3'"
wait_file "$proj/done.3" 300
sleep 0.3
title=$(tm display -p -t t '#{pane_title}')
check "a title set inside reaches the terminal ($title)" 'test "$title" = "title-$$"'

# 5. Full-screen programs render the same through ccsb as without it.
seq 1 200 | sed 's/$/ line of text, with a tab	and UTF-8: é ✳/' >"$proj/file.txt"
chmod 644 "$proj/file.txt"
screen_of() { # NAME COMMAND: the pane's screen, attributes included, while COMMAND shows file.txt
	tm send-keys -t t C-l
	type_line "clear; $2"
	sleep 2
	tm capture-pane -p -e -t t >"$work/screen.$1"
}
if command -v vim >/dev/null 2>&1; then
	screen_of vim-direct "vim -u NONE -i NONE -N -c 'syntax on' file.txt"
	type_line ":qa!"
	sleep 0.5
	screen_of vim-ccsb "$C -- vim -u NONE -i NONE -N -c 'syntax on' file.txt"
	type_line ":qa!"
	sleep 0.5
	if cmp -s "$work/screen.vim-direct" "$work/screen.vim-ccsb" && grep -q "line of text" "$work/screen.vim-ccsb"; then
		pass "vim renders the same screen through ccsb"
	else
		fail "vim's screen differs through ccsb"
		diff "$work/screen.vim-direct" "$work/screen.vim-ccsb" | head -10 | sed 's/^/    | /'
	fi
fi
if command -v less >/dev/null 2>&1; then
	screen_of less-direct "LESSHISTFILE=- less file.txt"
	type_line "q"
	sleep 0.5
	screen_of less-ccsb "$C --env=LESSHISTFILE=- -- less file.txt"
	type_line "q"
	sleep 0.5
	if cmp -s "$work/screen.less-direct" "$work/screen.less-ccsb" && grep -q "line of text" "$work/screen.less-ccsb"; then
		pass "less renders the same screen through ccsb"
	else
		fail "less's screen differs through ccsb"
		diff "$work/screen.less-direct" "$work/screen.less-ccsb" | head -10 | sed 's/^/    | /'
	fi
fi

# 6. What the programs really write, recorded inside with script(1),
# passes the filter unchanged: so the screen is what it was without it.
raw_passes() { # NAME
	f=$proj/raw.$1
	if [ ! -s "$f" ]; then
		fail "$1: nothing recorded"
		return
	fi
	"$ESCF_CAT" <"$f" >"$work/filtered.$1" 2>"$work/dropped.$1"
	if cmp -s "$f" "$work/filtered.$1" && grep -qx "dropped 0" "$work/dropped.$1"; then
		pass "$1: its $(wc -c <"$f") bytes of output pass the filter byte for byte"
	else
		fail "$1: the filter changed its output ($(cat "$work/dropped.$1"))"
		cmp "$f" "$work/filtered.$1" | sed 's/^/    | /'
	fi
}
if command -v vim >/dev/null 2>&1; then
	type_line "$C -- script -q -f -e --log-out raw.vim -c \"vim -u NONE -i NONE -N -c 'syntax on' file.txt\""
	sleep 2
	type_line ":qa!"
	sleep 1
	raw_passes vim
fi
if command -v less >/dev/null 2>&1; then
	type_line "$C --env=LESSHISTFILE=- -- script -q -f -e --log-out raw.less -c 'less file.txt'"
	sleep 1.5
	tm send-keys -t t " "
	sleep 0.5
	type_line "q"
	sleep 1
	raw_passes less
fi
# The real Claude Code TUI (its first-run screens: no account is needed,
# and --net=none keeps it from the network), on the terminal for some
# seconds, then ^C twice.
if command -v claude >/dev/null 2>&1; then
	type_line "$C -- script -q -f -e --log-out raw.claude -c claude; echo x >done.claude"
	sleep 10
	tm send-keys -t t Down
	sleep 1
	tm send-keys -t t C-c
	sleep 1
	tm send-keys -t t C-c
	# The recording is flushed as it goes (-f); whether Claude Code leaves
	# its start-up screen on ^C is its own business.
	wait_file "$proj/done.claude" 300 || echo "note - claude still on its start-up screen after ^C ^C"
	tm capture-pane -p -t t | tail -n 5 | sed 's/^/    claude| /'
	raw_passes claude
elif [ -n "${CI-}" ]; then
	fail "claude not installed in CI"
fi
t_done
