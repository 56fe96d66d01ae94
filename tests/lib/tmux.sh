# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced after t_setup by the tests that drive ccsb in a real terminal
# (tmux): tm runs tmux on the test's own server (socket $sock, which the
# test names first), killed at exit with t_cleanup; $RUNAS runs a command
# as the test user when the suite runs as root.
# SHELL: tmux runs pane commands with it, and a system user's login shell
# may be nologin.
tm() { SHELL=/bin/sh tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; t_cleanup' EXIT
trap 'exit 1' INT TERM HUP
if [ "$(id -u)" = 0 ]; then
	RUNAS="setpriv --reuid=$TEST_UID --regid=$TEST_GID --clear-groups --"
else
	RUNAS=""
fi

# wait_file FILE [TRIES]: wait until FILE exists and is not empty, TRIES
# times 0.05 s at most (200: ~10 s).
wait_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ $i -gt "${2:-200}" ] && return 1
		sleep 0.05
	done
	return 0
}
