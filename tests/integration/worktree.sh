#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 15: a project that is a linked git worktree (git worktree add) or a
# submodule, whose git directory lives outside the project. git must work
# inside (status, add, commit, log, branch) with nothing but the default
# policy; the main repository's config and hooks must come out unchanged
# after attempts to change them, and its working tree must stay invisible.
. "$top_srcdir/tests/lib/common.sh"
command -v git >/dev/null 2>&1 || t_skip "git not found (apt-get install git)"
t_setup

g() { as_test_user env HOME="$THOME" PATH=/usr/bin:/bin GIT_CONFIG_NOSYSTEM=1 \
	GIT_AUTHOR_NAME=Host GIT_AUTHOR_EMAIL=host@example.test GIT_COMMITTER_NAME=Host \
	GIT_COMMITTER_EMAIL=host@example.test git "$@"; }
# The host's view of a git directory's executable metadata.
fingerprint() { (cd "$1" && find config hooks -type f -exec sha256sum {} + 2>/dev/null | sort; ls -l hooks) ; }

MAIN=$T/main
WT=$T/wt
mkdir -p "$MAIN"
[ "$(id -u)" = 0 ] && chown "$TEST_UID:$TEST_GID" "$MAIN" "$T"
g -C "$MAIN" init -q -b main
echo "main's own file" >"$MAIN/secret.txt"
chown "$TEST_UID:$TEST_GID" "$MAIN/secret.txt" 2>/dev/null
g -C "$MAIN" add secret.txt
g -C "$MAIN" commit -q -m init
g -C "$MAIN" worktree add -q "$WT" -b feature
before=$(fingerprint "$MAIN/.git")

out=$(sb_in "$WT" sh -c '
	git status --short --branch; echo "status=$?"
	echo new >new.txt && git add new.txt && echo "add=$?"
	git -c user.name=Claude -c user.email=claude@example.test commit -q -m "made inside"; echo "commit=$?"
	git log --format=%s -1; git branch --list feature main
	git branch topic && echo "branch=$?"' 2>&1)
echo "$out" | sed 's/^/    /'
check "worktree: git status works inside" 'echo "$out" | grep -qx "## feature" && echo "$out" | grep -qx "status=0"'
check "worktree: git add works" 'echo "$out" | grep -qx "add=0"'
check "worktree: git commit works" 'echo "$out" | grep -qx "commit=0"'
check "worktree: git log shows the commit" 'echo "$out" | grep -qx "made inside"'
check "worktree: git branch lists and creates branches" \
	'echo "$out" | grep -qx "\* feature" && echo "$out" | grep -qx "+ main" && echo "$out" | grep -qx "branch=0"'
check "worktree: the host's git sees the commit on feature" \
	'test "$(g -C "$MAIN" log --format=%s -1 feature)" = "made inside"'
check "worktree: ... and the branch made inside" 'g -C "$MAIN" rev-parse -q --verify topic >/dev/null'

# Attacks on what git runs, from inside.
attack='
	M=$(git rev-parse --git-common-dir)
	echo "[core]" >>"$M/config" && echo "WROTE main-config"
	printf "[core]\n\tfsmonitor = touch /tmp/pwned\n" >"$M/config.worktree" && echo "WROTE main-config.worktree"
	echo "#!/bin/sh" >"$M/hooks/post-checkout" && echo "WROTE hook"
	chmod +x "$M/hooks/pre-commit.sample" && echo "WROTE hook-mode"
	mv "$M/hooks" "$M/hooks.old" && echo "WROTE hooks-moved"
	G=$(git rev-parse --git-dir)
	echo "gitdir: /tmp" >"$G/commondir" && echo "WROTE commondir"
	echo "/tmp/x/.git" >"$G/gitdir" && echo "WROTE gitdir"
	printf "[core]\n\tfsmonitor = touch /tmp/pwned\n" >>"$G/config.worktree" && echo "WROTE own-config.worktree"
	echo "gitdir: /tmp" >.git && echo "WROTE dotgit"
	git config core.hooksPath /tmp && echo "WROTE git-config"
	ls -A "$(dirname "$M")"; cat "$(dirname "$M")/secret.txt"'
out=$(sb_in "$WT" sh -c "$attack" 2>&1)
echo "$out" | sed 's/^/    /'
check "worktree: the main repository's config is read-only inside" \
	'! echo "$out" | grep -q "WROTE main-config$\|WROTE git-config"'
check "worktree: hooks/ cannot be written, chmod-ed or moved" '! echo "$out" | grep -q "WROTE hook"'
check "worktree: the pointer files (commondir, gitdir, .git) cannot be rewritten" \
	'! echo "$out" | grep -q "WROTE commondir\|WROTE gitdir\|WROTE dotgit"'
check "worktree: the main working tree is invisible (only .git in its directory)" \
	'echo "$out" | grep -qx ".git" && ! echo "$out" | grep -q "main.s own file"'
check "worktree: the host's config and hooks are unchanged" 'test "$(fingerprint "$MAIN/.git")" = "$before"'
check "worktree: the host's git status in the main repository is clean" \
	'test -z "$(g -C "$MAIN" status --porcelain)"'
check "worktree: the host's worktree still points where it did" \
	'test "$(g -C "$WT" rev-parse --show-toplevel)" = "$WT" && test "$(g -C "$WT" rev-parse --abbrev-ref HEAD)" = feature'
# Without extensions.worktreeConfig (set in the read-only common config)
# git ignores config.worktree; one created anyway is quarantined at exit.
check "worktree: a config.worktree created inside is quarantined at exit and reported" \
	'! test -e "$MAIN/.git/worktrees/wt/config.worktree" && ! test -e "$MAIN/.git/config.worktree" &&
	 echo "$out" | grep -q "quarantined: $MAIN/.git/worktrees/wt/config.worktree"'
# With it, a missing config.worktree cannot be created at all.
g -C "$MAIN" config extensions.worktreeConfig true
before=$(fingerprint "$MAIN/.git")
out=$(sb_in "$WT" sh -c "$attack; git status --short --branch | head -1" 2>&1)
echo "$out" | sed 's/^/    /'
check "worktree: with extensions.worktreeConfig, no config.worktree can be written" \
	'! echo "$out" | grep -q "WROTE"'
check "worktree: ... git still works inside" 'echo "$out" | grep -qx "## feature"'
check "worktree: ... and the host reads no setting from them" \
	'test -z "$(g -C "$WT" config --worktree --list 2>/dev/null)" && test -z "$(g -C "$MAIN" config --worktree --list 2>/dev/null)"'
check "worktree: ... the host's config and hooks are unchanged" 'test "$(fingerprint "$MAIN/.git")" = "$before"'
check "worktree: ... and nothing needed quarantining" '! echo "$out" | grep -q quarantined'
g -C "$MAIN" config --unset extensions.worktreeConfig

# ---- a submodule whose git directory is the superproject's -------------
SUPER=$T/super
mkdir -p "$SUPER"
[ "$(id -u)" = 0 ] && chown "$TEST_UID:$TEST_GID" "$SUPER"
g -C "$SUPER" init -q -b main
echo "super's own file" >"$SUPER/top.txt"
chown "$TEST_UID:$TEST_GID" "$SUPER/top.txt" 2>/dev/null
g -C "$SUPER" add top.txt
g -C "$SUPER" commit -q -m super
g -C "$SUPER" -c protocol.file.allow=always submodule add -q "$MAIN" sub 2>&1 | sed 's/^/    /'
g -C "$SUPER" commit -q -m "add sub"
sub_before=$(fingerprint "$SUPER/.git/modules/sub")
check "submodule: its .git is a file into the superproject's modules/" \
	'test -f "$SUPER/sub/.git" && test -d "$SUPER/.git/modules/sub"'
out=$(sb_in "$SUPER/sub" sh -c '
	git status --short --branch | head -1; echo "status=$?"
	echo x >sub-new.txt && git add sub-new.txt &&
	git -c user.name=Claude -c user.email=claude@example.test commit -q -m "sub inside" && echo committed
	M=$(git rev-parse --git-dir)
	echo "[core]" >>"$M/config" && echo "WROTE config"
	echo "#!/bin/sh" >"$M/hooks/post-commit" && echo "WROTE hook"
	ls -A ..; cat ../top.txt' 2>&1)
echo "$out" | sed 's/^/    /'
check "submodule: git commit works inside" 'echo "$out" | grep -qx committed'
check "submodule: the host sees the commit" 'test "$(g -C "$SUPER/sub" log --format=%s -1)" = "sub inside"'
check "submodule: its config and hooks are read-only inside" \
	'! echo "$out" | grep -q "WROTE"'
check "submodule: the host's config and hooks are unchanged" \
	'test "$(fingerprint "$SUPER/.git/modules/sub")" = "$sub_before"'
check "submodule: the superproject's files are invisible" \
	'! echo "$out" | grep -q "super.s own file" && echo "$out" | grep -qx ".git"'

# ---- --print shows the binds --------------------------------------------
out=$(cd "$WT" && as_test_user env -i $SB_ENV HOME="$THOME" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
	"$CCSB" -q --net=none --print -- true 2>&1)
check "--print: the common git directory is bound read-write" \
	'echo "$out" | grep -qF -- "--bind $MAIN/.git $MAIN/.git"'
check "--print: ... and its config read-only over it" \
	'echo "$out" | grep -qF -- "--ro-bind $MAIN/.git/config $MAIN/.git/config"'
t_done
