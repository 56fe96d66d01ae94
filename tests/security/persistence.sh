#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The persistence guard, writable-bind side: nothing the sandbox writes in
# the project makes the host's git or Claude Code run it afterwards.
#
# Each attack is planted from inside a real sandbox; then the HOST's real
# git (status, commit, log through a pager, an alias) and a JSON consumer
# standing in for Claude Code's settings loader run as the same user, and
# the payload would touch a marker in $MARK, a directory the sandbox cannot
# see. Each payload is first planted WITHOUT the sandbox in a scratch copy
# to show that it does fire there: a check that cannot fail proves nothing.
. "$top_srcdir/tests/lib/common.sh"
command -v git >/dev/null 2>&1 || t_skip "git not found (apt-get install git)"
command -v script >/dev/null 2>&1 || t_skip "script not found (util-linux)"
PY=/usr/bin/python3
[ -x "$PY" ] || t_skip "/usr/bin/python3 not found (apt-get install python3)"
t_setup

MARK=$T/mark
mkdir -p "$MARK"
[ "$(id -u)" = 0 ] && chown "$TEST_UID:$TEST_GID" "$MARK" "$T"
HOSTENV="PATH=/usr/local/bin:/usr/bin:/bin HOME=$THOME LANG=C.UTF-8 GIT_CONFIG_NOSYSTEM=1"
printf '[user]\n\tname = Host User\n\temail = host@example.org\n[init]\n\tdefaultBranch = main\n' \
	>"$THOME/.gitconfig"
[ "$(id -u)" = 0 ] && chown "$TEST_UID:$TEST_GID" "$THOME/.gitconfig"

# The host side, as the same user, in directory $1.
host() {
	h_dir=$1
	shift
	(cd "$h_dir" && as_test_user env -i $HOSTENV "$@")
}
# The host's git with a terminal on stdout (so that the pager runs) and
# PAGER=cat: a core.pager the repository sets would win over it.
host_tty() {
	h_dir=$1
	shift
	(cd "$h_dir" && as_test_user env -i $HOSTENV PAGER=cat script -qec "$*" /dev/null) \
		</dev/null >/dev/null 2>&1
}
# Claude Code's settings loader, as far as running things goes: the hooks
# of .claude/settings*.json and the MCP servers of .mcp.json in $1.
claude_loader() {
	host "$1" "$PY" -c '
import json, os, subprocess
def load(p):
    try:
        with open(p) as f:
            return json.load(f)
    except Exception:
        return {}
for p in (".claude/settings.json", ".claude/settings.local.json"):
    for event in load(p).get("hooks", {}).values():
        for group in event:
            for h in group.get("hooks", []):
                subprocess.run(h["command"], shell=True)
for s in load(".mcp.json").get("mcpServers", {}).values():
    subprocess.run([s["command"]] + s.get("args", []))
for d in ("commands", "agents"):
    for root, _, files in os.walk(os.path.join(".claude", d)):
        for f in files:
            for line in open(os.path.join(root, f)):
                if line.startswith("!"):
                    subprocess.run(line[1:].strip(), shell=True)
'
}

# A repository with one commit, owned by the test user; then one sandbox
# run, so that the attack's run starts well after the setup's writes.
new_repo() {
	rm -rf "$1"
	mkdir -p "$1"
	git -C "$1" init -q -b main
	echo base >"$1/file"
	git -C "$1" add file
	git -C "$1" -c user.name=Setup -c user.email=s@example.org commit -q -m base
	[ "$(id -u)" = 0 ] && chown -R "$TEST_UID:$TEST_GID" "$1"
	sb_in "$1" true
}

REPORT=$T/report
ID="export GIT_AUTHOR_NAME=Agent GIT_AUTHOR_EMAIL=a@example.org GIT_COMMITTER_NAME=Agent GIT_COMMITTER_EMAIL=a@example.org;"
# Plant $2 (a shell script) inside a sandbox in $1; its stderr is kept in
# $REPORT (the exit report is written there).
plant() {
	sb_in "$1" sh -c "$2" >"$T/plant.out" 2>"$REPORT"
	grep '^ccsb:' "$REPORT" | sed 's/^/# /'
}
reported() {
	grep -F -- "$1" "$REPORT" >/dev/null
}
marked() {
	test -e "$MARK/$1"
}
# The same plant without any sandbox, in a scratch copy ($1 -> $1.control),
# then $2 on the host there: the marker $3 must appear.
control() {
	c_dir=$1.control
	rm -rf "$c_dir"
	cp -a "$1" "$c_dir"
	(cd "$c_dir" && as_test_user env -i $HOSTENV MARK="$MARK" P="$c_dir" sh -c "$4") \
		>/dev/null 2>&1
	eval "$2" >/dev/null 2>&1
	if marked "$3"; then
		pass "control: without ccsb the $3 payload runs on the host"
	else
		fail "control: the $3 payload did not run even without ccsb (the test is broken)"
	fi
	rm -f "$MARK"/*
	rm -rf "$c_dir"
}

# ---- 1. an existing repository: config and hooks are read-only ---------
R=$PROJ
new_repo "$R"
printed=$(sb_in "$R" --print true)
check "--print shows the read-only binds of the git metadata" \
	'echo "$printed" | grep -qF -- "--ro-bind $R/.git/config $R/.git/config" &&
	 echo "$printed" | grep -qF -- "--ro-bind $R/.git/hooks $R/.git/hooks"'
ATTACK1='
git config core.fsmonitor "touch $MARK/fsmonitor"
git config core.pager "touch $MARK/pager; cat"
git config alias.lg "!touch $MARK/alias"
git config core.hooksPath "$P/myhooks"
mkdir -p "$P/myhooks"
printf "#!/bin/sh\ntouch $MARK/hooksPath\n" >"$P/myhooks/pre-commit"
printf "#!/bin/sh\ntouch $MARK/hook\n" >.git/hooks/pre-commit
chmod +x .git/hooks/pre-commit "$P/myhooks/pre-commit"
printf "[core]\n\tfsmonitor = touch $MARK/fsmonitor\n" >.git/config.worktree
'
control "$R" 'host "$R.control" git status; host "$R.control" git commit -q --allow-empty -m x' \
	fsmonitor "$ATTACK1"
plant "$R" "$ID MARK=$MARK P=$R; $ATTACK1"'
# What the user asked for keeps working.
echo inside >file2 && git add file2 && git commit -q -m inside &&
git branch feature && git checkout -q feature && echo f >>file2 && git commit -qam f &&
git checkout -q main && git rebase -q feature &&
echo wip >>file && git stash -q && git stash pop -q && git checkout -q -- file &&
echo legit-ok >&2'
check "inside: git add/commit/branch/checkout/rebase/stash work" 'grep -q legit-ok "$REPORT"'
check "inside: .git/config stayed read-only" '! grep -q fsmonitor "$R/.git/config"'
host "$R" git status >/dev/null 2>&1
check "host git status works" 'host "$R" git status >/dev/null 2>&1'
host "$R" git commit -q --allow-empty -m host >/dev/null 2>&1
host_tty "$R" git log
host "$R" git lg >/dev/null 2>&1
for m in fsmonitor pager alias hook hooksPath; do
	check "host git: the planted $m did not run" '! marked $m'
done
check "the commit made inside exists on the host" \
	'host "$R" git log --format=%s | grep -qx inside && host "$R" git log --format=%s | grep -qx f'
check "the host's own commit worked" 'host "$R" git log -1 --format=%s | grep -qx host'
check "config.worktree written inside is quarantined" \
	'reported "quarantined: $R/.git/config.worktree" && ! test -e "$R/.git/config.worktree"'

# ---- 2. the whole .git replaced: mv .git + git init ----------------------
new_repo "$R"
ATTACK2='mv .git .git.old && git init -q && git config core.fsmonitor "touch $MARK/reinit" &&
printf "#!/bin/sh\ntouch $MARK/reinit-hook\n" >.git/hooks/pre-commit && chmod +x .git/hooks/pre-commit'
control "$R" 'host "$R.control" git status' reinit "$ATTACK2"
plant "$R" "MARK=$MARK; $ATTACK2"
host "$R" git status >/dev/null 2>&1
host "$R" git commit -q --allow-empty -m host2 >/dev/null 2>&1
check "mv .git + git init: host git status did not run the new fsmonitor" '! marked reinit'
check "mv .git + git init: host git commit did not run the new hook" '! marked reinit-hook'
check "mv .git + git init: the new config is reported" 'reported "quarantined: $R/.git/config ->"'
check "mv .git + git init: the new hooks are reported" 'reported "quarantined: $R/.git/hooks"'
check "mv .git + git init: a sanitized config keeps the new repository usable" \
	'host "$R" git status >/dev/null 2>&1 && grep -q repositoryformatversion "$R/.git/config"'
check "mv .git + git init: the moved repository keeps its read-only config" \
	'! grep -q fsmonitor "$R/.git.old/config"'

# ---- 3. a new repository (git init) with a fsmonitor, and a nested one ---
new_repo "$R"
git -C "$R" init -q vendored
[ "$(id -u)" = 0 ] && chown -R "$TEST_UID:$TEST_GID" "$R/vendored"
sb_in "$R" true
ATTACK3='git init -q newrepo && git -C newrepo config user.name "Agent Smith" &&
git -C newrepo config core.fsmonitor "touch $MARK/newrepo" &&
git -C vendored config core.fsmonitor "touch $MARK/nested" &&
printf "#!/bin/sh\ntouch $MARK/nested-hook\n" >vendored/.git/hooks/pre-commit &&
chmod +x vendored/.git/hooks/pre-commit'
control "$R" 'host "$R.control/newrepo" git status; host "$R.control/vendored" git status' \
	newrepo "$ATTACK3"
plant "$R" "MARK=$MARK; $ATTACK3"
host "$R/newrepo" git status >/dev/null 2>&1
host "$R/vendored" git status >/dev/null 2>&1
host "$R/vendored" git commit -q --allow-empty -m v >/dev/null 2>&1
check "git init inside: host git status did not run its fsmonitor" '! marked newrepo'
check "nested repository: host git status did not run its fsmonitor" '! marked nested'
check "nested repository: host git commit did not run its new hook" '! marked nested-hook'
check "git init inside: reported" 'reported "quarantined: $R/newrepo/.git/config"'
check "nested repository: config reported" 'reported "quarantined: $R/vendored/.git/config"'
check "nested repository: hook reported" 'reported "quarantined: $R/vendored/.git/hooks"'
check "git init inside: the replacement config keeps user.name" \
	'test "$(host "$R/newrepo" git config user.name)" = "Agent Smith"'
check "git init inside: the original config is kept aside" \
	'grep -q fsmonitor "$R"/newrepo/.git/config.ccsb-quarantined-*'

# ---- 4. a bare repository found by discovery, a .git file pointing elsewhere
new_repo "$R"
ATTACK4='git init -q --bare bare && git -C bare config core.pager "touch $MARK/bare; cat" &&
git init -q --bare gd && git -C gd config core.bare false &&
git -C gd config core.fsmonitor "touch $MARK/gitfile" &&
mkdir -p w && echo "gitdir: ../gd" >w/.git'
control "$R" 'host_tty "$R.control/bare" git -p config --list' \
	bare "$ATTACK4"
control "$R" 'host "$R.control/w" git status' gitfile "$ATTACK4"
plant "$R" "MARK=$MARK; $ATTACK4"
host_tty "$R/bare" git -p config --list
host "$R/w" git status >/dev/null 2>&1
check "bare repository: host git's discovery did not run its pager" '! marked bare'
check ".git file to a planted git dir: host git status did not run its fsmonitor" '! marked gitfile'
check "bare repository: reported" 'reported "quarantined: $R/bare/config"'
check ".git file target: reported" 'reported "quarantined: $R/gd/config"'

# ---- 5. Claude Code's project files --------------------------------------
new_repo "$R"
mkdir -p "$R/.claude"
echo '{"permissions": {"allow": []}}' >"$R/.claude/settings.json"
[ "$(id -u)" = 0 ] && chown -R "$TEST_UID:$TEST_GID" "$R/.claude"
sb_in "$R" true
ATTACK5='
hook="{\"hooks\":{\"SessionStart\":[{\"hooks\":[{\"type\":\"command\",\"command\":\"touch $MARK/claude-hook\"}]}]}}"
echo "$hook" >.claude/settings.json
echo "$hook" | sed s/claude-hook/claude-local/ >.claude/settings.local.json
echo "{\"mcpServers\":{\"x\":{\"command\":\"touch\",\"args\":[\"$MARK/mcp\"]}}}" >.mcp.json
mkdir -p .claude/commands && echo "!touch $MARK/command" >.claude/commands/c.md
echo "echo hi" >.envrc
mkdir -p .vscode && echo "{}" >.vscode/tasks.json
'
control "$R" 'claude_loader "$R.control"' claude-hook "$ATTACK5"
control "$R" 'claude_loader "$R.control"' mcp "$ATTACK5"
plant "$R" "MARK=$MARK; $ATTACK5"
claude_loader "$R" >/dev/null 2>&1
for m in claude-hook claude-local mcp command; do
	check "Claude Code's loader on the host: the planted $m did not run" '! marked $m'
done
check "existing .claude/settings.json was read-only inside" \
	'grep -q permissions "$R/.claude/settings.json"'
check "new .claude/settings.local.json reported" \
	'reported "quarantined: $R/.claude/settings.local.json"'
check "new .mcp.json reported" 'reported "quarantined: $R/.mcp.json"'
check "new .claude/commands reported" 'reported "quarantined: $R/.claude/commands"'
check ".envrc change reported" 'reported "changed during the run: $R/.envrc"'
check ".vscode/tasks.json change reported" 'reported "changed during the run: $R/.vscode/tasks.json"'

# ---- 7. hidden from the scan: directories the sandbox made unlistable ---
# git needs only search (x) permission to read .git/config and run
# hooks/NAME; a scan that cannot list a directory must not skip it.
new_repo "$R"
ATTACK7='git init -q hid && git -C hid config core.fsmonitor "touch $MARK/hidden-gitdir" &&
chmod 311 hid/.git &&
git init -q hk && printf "#!/bin/sh\ntouch $MARK/hidden-hook\n" >hk/.git/hooks/pre-commit &&
chmod +x hk/.git/hooks/pre-commit && chmod 111 hk/.git/hooks &&
mkdir -p dd && git init -q dd/r && git -C dd/r config core.fsmonitor "touch $MARK/hidden-dir" &&
chmod 111 dd'
control "$R" 'host "$R.control/hid" git status' hidden-gitdir "$ATTACK7"
control "$R" 'host "$R.control/hk" git commit -q --allow-empty -m x' hidden-hook "$ATTACK7"
control "$R" 'host "$R.control/dd/r" git status' hidden-dir "$ATTACK7"
plant "$R" "MARK=$MARK; $ATTACK7"
host "$R/hid" git status >/dev/null 2>&1
host "$R/hk" git commit -q --allow-empty -m x >/dev/null 2>&1
host "$R/dd/r" git status >/dev/null 2>&1
check "unlistable .git: host git status did not run its fsmonitor" '! marked hidden-gitdir'
check "unlistable hooks/: host git commit did not run the hook" '! marked hidden-hook'
check "unlistable parent directory: host git status did not run the fsmonitor" '! marked hidden-dir'
check "unlistable directories: reported" 'reported "permissions restored: $R/hid/.git"'
chmod -R u+rwx "$R" 2>/dev/null

# ---- 8. a tree deeper than the scan goes stops only that tree -----------
new_repo "$R"
ATTACK8='p=deep; i=0; while [ $i -lt 300 ]; do p=$p/d; i=$((i+1)); done; mkdir -p $p &&
for n in 1 2 3 4 5 6 7 8; do
	git init -q r$n && git -C r$n config core.fsmonitor "touch $MARK/deep$n" || exit 1
done'
plant "$R" "MARK=$MARK; $ATTACK8"
for n in 1 2 3 4 5 6 7 8; do
	host "$R/r$n" git status >/dev/null 2>&1
done
check "a deep tree: every planted repository beside it is quarantined" \
	'(for n in 1 2 3 4 5 6 7 8; do reported "quarantined: $R/r$n/.git/config" || exit 1; done)'
check "a deep tree: no planted fsmonitor ran on the host" '! ls "$MARK" | grep -q deep'
check "a deep tree: what was not checked is reported" 'reported "NOT checked (too deep)"'

# ---- 9. core.worktree aims the user's own git reset at a host directory --
# The replacement config keeps core.worktree only inside the writable binds.
new_repo "$R"
ATTACK9='git init -q wt && cd wt && echo payload >worktree && git add worktree &&
git -c user.name=a -c user.email=a@example.org commit -qm x && git config core.worktree "$MARK"'
control "$R" 'host "$R.control/wt" git reset -q --hard' worktree "$ATTACK9"
plant "$R" "MARK=$MARK; $ATTACK9"
host "$R/wt" git reset -q --hard >/dev/null 2>&1
check "core.worktree outside the project: host git reset --hard wrote nothing there" \
	'! marked worktree'
check "core.worktree outside the project: dropped from the replacement config" \
	'! grep -q worktree "$R/wt/.git/config" && reported "replaced $R/wt/.git/config"'
new_repo "$R"
plant "$R" 'git init -q --bare wt2.git && mkdir wt2 && git --git-dir=wt2.git config core.worktree ../wt2'
check "core.worktree inside the project: kept" \
	'grep -q "worktree = \"../wt2\"" "$R/wt2.git/config"'

# ---- 10. a config planted in an earlier run, moved into place now -------
# A file keeps its ctime when its directory is renamed: run 1 writes a
# config in a directory that is not yet a git directory (nothing to
# quarantine), run 2 renames it to r/.git and gives it a HEAD.
new_repo "$R"
mkdir -p "$R/husky" && git -C "$R/husky" init -q && git -C "$R/husky" config user.name Nested
[ "$(id -u)" = 0 ] && chown -R "$TEST_UID:$TEST_GID" "$R/husky"
plant "$R" "mkdir -p tmpl/objects tmpl/refs/heads && printf '[core]\n\tbare = false\n\tfsmonitor = touch $MARK/oldcfg\n' >tmpl/config &&
mkdir -p tmpl2/objects tmpl2/refs/heads && printf '[core]\n\tpager = touch $MARK/oldcfg2; cat\n' >tmpl2/config"
check "run 1: a config outside any git directory is not reported" '! reported tmpl'
sleep 1
ATTACK10='mkdir r && mv tmpl r/.git && echo "ref: refs/heads/main" >r/.git/HEAD &&
mv .git .git.old && mv tmpl2 .git && echo "ref: refs/heads/main" >.git/HEAD'
control "$R" 'host "$R.control/r" git status' oldcfg "$ATTACK10"
control "$R" 'host_tty "$R.control" git -p config --list' oldcfg2 "$ATTACK10"
plant "$R" "$ATTACK10"' && git -C husky commit -q --allow-empty -m inside'
host "$R/r" git status >/dev/null 2>&1
host_tty "$R" git -p config --list
check "a config from an earlier run moved into place: host git status did not run it" '! marked oldcfg'
check "... nor over the project's own .git: host git did not run its pager" '! marked oldcfg2'
check "... reported" 'reported "quarantined: $R/r/.git/config" && reported "quarantined: $R/.git/config"'
check "the project's own moved repository keeps its config" \
	'! reported "quarantined: $R/.git.old/config"'
check "a nested repository the sandbox committed in keeps its harmless config" \
	'! reported "quarantined: $R/husky/.git/config" && test "$(host "$R/husky" git config user.name)" = Nested'

# ---- 11. the quarantine names taken in advance ---------------------------
# NAME.ccsb-quarantined-STAMP[-N] is predictable (STAMP: the run's start);
# the sandbox takes every one of them for the seconds around its start.
new_repo "$R"
ATTACK11='git init -q q && git -C q config core.fsmonitor "touch $MARK/qname" && now=$(date +%s) &&
for s in $((now-3)) $((now-2)) $((now-1)) $now; do st=$(date -u -d @$s +%Y%m%dT%H%M%SZ)
	touch q/.git/config.ccsb-quarantined-$st; i=2
	while [ $i -lt 100 ]; do touch q/.git/config.ccsb-quarantined-$st-$i; i=$((i+1)); done
done'
plant "$R" "MARK=$MARK; $ATTACK11"
host "$R/q" git status >/dev/null 2>&1
check "quarantine names taken: host git status did not run the fsmonitor" '! marked qname'
check "quarantine names taken: quarantined under another name" \
	'reported "quarantined: $R/q/.git/config" && ! reported "NOT quarantined"'

# ---- 12. a repository's own custom core.hooksPath -----------------------
new_repo "$R"
host "$R" git config core.hooksPath scripts/hooks
mkdir -p "$R/scripts/hooks" && [ "$(id -u)" = 0 ] && chown -R "$TEST_UID:$TEST_GID" "$R/scripts"
R2=$T/proj2
new_repo "$R2"
host "$R2" git config core.hooksPath tools/missing-hooks
sb_in "$R" true
ATTACK12='mkdir -p scripts/hooks tools/missing-hooks
printf "#!/bin/sh\ntouch $MARK/custom-hook\n" >scripts/hooks/pre-commit && chmod +x scripts/hooks/pre-commit
printf "#!/bin/sh\ntouch $MARK/missing-hook\n" >tools/missing-hooks/pre-commit && chmod +x tools/missing-hooks/pre-commit'
control "$R" 'host "$R.control" git commit -q --allow-empty -m x' custom-hook "$ATTACK12"
plant "$R" "MARK=$MARK; $ATTACK12"
plant "$R2" "MARK=$MARK; $ATTACK12"
host "$R" git commit -q --allow-empty -m x >/dev/null 2>&1
host "$R2" git commit -q --allow-empty -m x >/dev/null 2>&1
check "the repository's own core.hooksPath directory: read-only inside" \
	'! marked custom-hook && ! test -e "$R/scripts/hooks/pre-commit"'
check "a core.hooksPath directory missing at start: cannot be made inside" \
	'! marked missing-hook && ! test -e "$R2/tools/missing-hooks/pre-commit"'
check "host git commit still works there" 'host "$R" git log -1 --format=%s | grep -qx x'

# ---- 6. a clean session reports nothing ----------------------------------
new_repo "$R"
plant "$R" "$ID"'git status >/dev/null && echo more >>file && git commit -qam more && git log -1 >/dev/null'
check "a clean session: no exit report" '! grep -q "after the run" "$REPORT"'
check "a clean session: its commit is on the host" 'host "$R" git log -1 --format=%s | grep -qx more'
t_done
