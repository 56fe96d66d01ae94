# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the integration tests (not the network ones, see netns.sh).
#
#     . "$top_srcdir/tests/lib/common.sh"
#     t_setup                       # $T, $THOME (host HOME), $PROJ (project dir)
#     sb sh -c 'id -un'             # ccsb -q --net=none ... as the test user, in $PROJ
#     check "desc" 'test "$x" = y'  # one "ok"/"FAIL" line (tests/lib/check.sh)
#     t_done                        # exit status from the counts
#
# As root, sandboxes run as $CCSB_TEST_UID:$CCSB_TEST_GID (default
# 65534:65534): that is how users run ccsb, and root changes what bwrap does.

: "${CCSB:?CCSB must name the ccsb binary (make check sets it)}"
: "${CCSB_EXEC_HELPER:?CCSB_EXEC_HELPER must name ccsb-exec (make check sets it)}"
export CCSB_EXEC_HELPER
TEST_UID=${CCSB_TEST_UID:-65534}
TEST_GID=${CCSB_TEST_GID:-65534}
T=

. "$top_srcdir/tests/lib/check.sh"

t_skip() {
	echo "SKIP: $*"
	exit 77
}

# Run as the test user (root) or as ourselves.
as_test_user() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --clear-groups -- "$@"
	else
		"$@"
	fi
}

t_cleanup() {
	[ -n "$T" ] || return 0
	# Sandbox-made files may be read-only directories; make them removable.
	chmod -R u+rwX "$T" 2>/dev/null
	rm -rf "$T"
}

t_setup() {
	command -v bwrap >/dev/null 2>&1 || t_skip "bwrap not found (apt-get install bubblewrap)"
	command -v setpriv >/dev/null 2>&1 || t_skip "setpriv not found (util-linux)"
	T=$(mktemp -d /tmp/ccsb-test.XXXXXX)
	chmod 755 "$T"
	trap t_cleanup EXIT
	THOME=$T/home
	PROJ=$T/proj
	mkdir -p "$THOME" "$PROJ"
	if [ "$(id -u)" = 0 ]; then
		chown "$TEST_UID:$TEST_GID" "$THOME" "$PROJ"
		# One line instead of every check failing with "Permission denied".
		if ! as_test_user test -x "$CCSB" || ! as_test_user test -x "$CCSB_EXEC_HELPER"; then
			echo "FAIL: uid $TEST_UID, which runs the sandboxes, cannot reach $CCSB (a directory on" \
				"the way is not searchable, e.g. a 0700 home): run the suite with sudo as the" \
				"tree's owner (tests/run-all.sh), or set CCSB_TEST_UID and CCSB_TEST_GID to a user who can"
			exit 1
		fi
	fi
	# Probe once: a host whose user namespaces are unusable skips with the
	# reason instead of failing every check.
	if ! out=$(sb true 2>&1); then
		case $out in
		*"uid map"* | *"user namespace"* | *"AppArmor"* | *"No permissions to create"*)
			t_skip "unprivileged user namespaces unusable here: $out" ;;
		esac
	fi
}

# A clean environment: only what a login shell would have, so that the
# test's own variables cannot leak into assertions.
SB_ENV="PATH=/usr/local/bin:/usr/bin:/bin TERM=dumb LANG=C.UTF-8"

sb_in() {
	t_dir=$1
	shift
	(cd "$t_dir" && as_test_user env -i $SB_ENV HOME="$THOME" \
		CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" ${CCSB_ALLOWLIST:+CCSB_ALLOWLIST="$CCSB_ALLOWLIST"} \
		${SB_EXTRA_ENV-} "$CCSB" -q --net=none "$@")
}

sb() {
	sb_in "$PROJ" "$@"
}

# Claude Code's directory name for project path $1 under ~/.claude/projects
# (short ASCII paths; libccsandbox/state.c has the whole rule).
claude_key() {
	printf '%s' "$1" | sed 's/[^a-zA-Z0-9]/-/g'
}
