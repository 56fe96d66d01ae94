#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The caller's git identity inside, without their git configuration: a
# commit made inside carries the host's user.name/user.email (also from an
# [include]d file and from the XDG file); keys that run programs, name
# paths or hold credentials are absent inside (git config --show-origin
# lists only the allowlisted keys); a crafted value cannot add a section;
# a configuration git refuses costs the identity with a warning, not the
# run; /etc/gitconfig is the host's, read-only.
. "$top_srcdir/tests/lib/common.sh"
command -v git >/dev/null 2>&1 || t_skip "git not found (apt-get install git)"
t_setup

hostgit() { HOME=$THOME XDG_CONFIG_HOME= GIT_CONFIG_NOSYSTEM=1 git "$@"; }
marker=$T/fsmonitor-ran
cat >"$T/fsmon" <<EOS
#!/bin/sh
touch "$marker"
EOS
chmod 755 "$T/fsmon"

echo "# identity and the allowlist"
cat >"$THOME/.gitconfig" <<EOS
[user]
	name = Ada Lovelace
	email = wrong@example.org
[init]
	defaultBranch = trunk
[core]
	pager = $T/fsmon
	editor = $T/fsmon
	fsmonitor = $T/fsmon
	hooksPath = $T/hooks
	sshCommand = $T/fsmon
	autocrlf = input
[alias]
	st = status
	boom = !$T/fsmon
[credential]
	helper = store --file $THOME/.git-credentials
[url "https://token:secret@example.org/"]
	insteadOf = https://example.org/
[commit]
	gpgSign = true
[gpg]
	program = $T/fsmon
[filter "lfs"]
	clean = $T/fsmon %f
[diff "x"]
	textconv = $T/fsmon
[color "diff"]
	meta = yellow bold
[pull]
	rebase = true
[include]
	path = identity.inc
[includeIf "gitdir:/"]
	path = $T/conditional.inc
EOS
printf '[user]\n\temail = ada@example.org\n[http]\n\textraHeader = Authorization: Bearer secret\n' \
	>"$THOME/identity.inc"
printf '[user]\n\tname = Conditional\n' >"$T/conditional.inc"
chmod 644 "$THOME/.gitconfig" "$THOME/identity.inc" "$T/conditional.inc"

out=$(sb sh -c 'git init -q repo && cd repo && git commit -q --allow-empty -m first &&
	git log -1 --format="%an <%ae>|%cn <%ce>" && git branch --show-current &&
	git status --short >/dev/null && git config --global --list --show-origin' 2>&1)
st=$?
printf '%s\n' "$out" | sed 's/^/    | /'
check "a commit inside succeeds (commit.gpgSign dropped)" 'test $st = 0'
check "the commit carries the host identity, email from the [include]d file" \
	'printf "%s\n" "$out" | grep -qxF "Ada Lovelace <ada@example.org>|Ada Lovelace <ada@example.org>"'
check "init.defaultBranch is passed" 'printf "%s\n" "$out" | grep -qx trunk'
check "core.fsmonitor did not run (git status inside)" 'test ! -e "$marker"'
keys=$(printf '%s\n' "$out" | sed -n 's|^file:/home/claude/.gitconfig[[:space:]]\([^=]*\)=.*|\1|p' | tr '\n' ' ')
check "the global configuration inside holds exactly the safe keys (got: $keys)" \
	'test "$keys" = "user.name user.email init.defaultbranch core.autocrlf color.diff.meta pull.rebase user.email "'
others=$(printf '%s\n' "$out" | grep '^file:' | grep -v '^file:/home/claude/.gitconfig' || true)
check "no other global file is read inside" 'test -z "$others"'
for k in core.pager core.editor core.fsmonitor core.hookspath core.sshcommand alias.st alias.boom \
	credential.helper url.https://token:secret@example.org/.insteadof commit.gpgsign gpg.program \
	filter.lfs.clean diff.x.textconv include.path http.extraheader includeif.gitdir:/.path; do
	check "$k is absent inside" '! printf "%s\n" "$out" | grep -qi "[[:space:]]$k="'
done
check "no secret value reaches the sandbox" '! printf "%s\n" "$out" | grep -q secret'
check "the conditional include is not followed" '! printf "%s\n" "$out" | grep -q Conditional'
out=$(sb sh -c 'test -w ~/.gitconfig && echo writable; echo x >>~/.gitconfig' 2>&1)
check "~/.gitconfig is read-only inside" '! printf "%s\n" "$out" | grep -q writable'
check "the host's ~/.gitconfig is unchanged (the host's git reads it)" \
	'test "$(hostgit config --global core.pager)" = "$T/fsmon"'

echo "# a crafted value cannot add a section"
rm -f "$THOME/.gitconfig" "$THOME/identity.inc"
evil=$(printf 'x\n[core]\n\tfsmonitor = %s\n[user]\n\temail = evil@example.org' "$T/fsmon")
hostgit config --global user.name "$evil"
hostgit config --global user.email "y\"]\n[core] pager = $T/fsmon ;#"
hostgit config --global --add color.ui "auto\\\\\"
[core]
	fsmonitor = $T/fsmon"
printf '[user]\n\tname = raw ] [core] pager = evil\n' >"$T/raw.inc"
chmod 644 "$T/raw.inc"
hostgit config --global include.path "$T/raw.inc"
chmod 644 "$THOME/.gitconfig"
want_name=$(hostgit config --global --includes --get-all user.name | tr '\n' '|')
want_email=$(hostgit config --global user.email)
want_color=$(hostgit config --global color.ui)
out=$(sb sh -c 'git config --global --get-all user.name | tr "\n" "|"; echo; git config --global user.email;
	git config --global color.ui; echo "pager=$(git config core.pager)";
	echo "fsmonitor=$(git config core.fsmonitor)"; git config --global --list' 2>&1)
printf '%s\n' "$out" | sed 's/^/    | /'
check "user.name reads back exactly, newlines and brackets included" \
	'test "$(printf "%s\n" "$out" | sed -n 1p)" = "$want_name"'
check "user.email with quote, bracket and comment characters reads back exactly" \
	'test "$(printf "%s\n" "$out" | sed -n 2p)" = "$want_email"'
check "color.ui with backslashes and a newline reads back exactly" \
	'test "$(printf "%s\n" "$out" | sed -n 3,5p)" = "$want_color"'
check "no core.pager inside" 'printf "%s\n" "$out" | grep -qx "pager="'
check "no core.fsmonitor inside" 'printf "%s\n" "$out" | grep -qx "fsmonitor="'
check "no injected user.email" '! printf "%s\n" "$out" | grep -q "^user.email=evil@"'
check "the host's core.fsmonitor never ran" 'test ! -e "$marker"'

echo "# the XDG file, GIT_CONFIG_GLOBAL, none, a broken one"
rm -f "$THOME/.gitconfig"
mkdir -p "$THOME/.config/git"
printf '[user]\n\tname = Xdg User\n\temail = xdg@example.org\n' >"$THOME/.config/git/config"
chmod -R a+rX "$THOME/.config"
out=$(sb sh -c 'git config --global user.name' 2>&1)
check "~/.config/git/config is read (got: $out)" 'test "$out" = "Xdg User"'
printf '[user]\n\tname = Home User\n' >"$THOME/.gitconfig"
chmod 644 "$THOME/.gitconfig"
out=$(sb sh -c 'git config --global user.name; git config --global user.email' 2>&1)
check "~/.gitconfig comes after the XDG file, as in git" \
	'test "$out" = "$(printf "Home User\nxdg@example.org")"'
printf '[user]\n\tname = Global Env\n' >"$T/global.cfg"
chmod 644 "$T/global.cfg"
out=$(SB_EXTRA_ENV="GIT_CONFIG_GLOBAL=$T/global.cfg" sb sh -c 'git config --global user.name' 2>&1)
check "\$GIT_CONFIG_GLOBAL replaces both, as in git (got: $out)" 'test "$out" = "Global Env"'
rm -rf "$THOME/.gitconfig" "$THOME/.config/git"
out=$(sb sh -c 'test -e ~/.gitconfig && echo present; echo done' 2>&1)
check "no global configuration: no ~/.gitconfig inside" 'test "$out" = done'
printf '[user]\n\tname = ok\n[core\n\tpager = x\n' >"$THOME/.gitconfig"
chmod 644 "$THOME/.gitconfig"
out=$(sb sh -c 'test -e ~/.gitconfig && echo present; echo ran' 2>&1)
st=$?
printf '%s\n' "$out" | sed 's/^/    | /'
check "a configuration git refuses does not stop the run" 'test $st = 0 && printf "%s\n" "$out" | grep -qx ran'
check "... one warning names the file and line" \
	'test "$(printf "%s\n" "$out" | grep -c "^ccsb: warning: $THOME/.gitconfig:3: bad git configuration line")" = 1'
check "... and nothing of it is passed" '! printf "%s\n" "$out" | grep -qx present'

echo "# [includeIf \"gitdir:...\"], decided for the current directory's repository"
rm -f "$THOME/.gitconfig"
mkdir -p "$PROJ/wrepo/sub"
[ "$(id -u)" = 0 ] && chown -R "$TEST_UID:$TEST_GID" "$PROJ/wrepo"
(cd "$PROJ/wrepo" && as_test_user env HOME="$THOME" git init -q)
printf '[user]\n\temail = work@example.org\n' >"$T/work.inc"
printf '[user]\n\tname = Case Insensitive\n' >"$T/icase.inc"
printf '[user]\n\tname = Elsewhere\n' >"$T/other.inc"
chmod 644 "$T/work.inc" "$T/icase.inc" "$T/other.inc"
WREPO_UPPER=$(printf '%s' "$PROJ/wrepo/.git" | tr '[:lower:]' '[:upper:]')
cat >"$THOME/.gitconfig" <<EOS
[user]
	name = Base
	email = base@example.org
[includeIf "gitdir:$PROJ/"]
	path = $T/work.inc
[includeIf "gitdir:/nonexistent/"]
	path = $T/other.inc
[includeIf "gitdir/i:$WREPO_UPPER"]
	path = $T/icase.inc
[includeIf "onbranch:main"]
	path = $T/other.inc
EOS
chmod 644 "$THOME/.gitconfig"
out=$(sb_in "$PROJ/wrepo/sub" sh -c 'git config --global user.name; git config --global user.email' 2>&1)
want=$(cd "$PROJ/wrepo/sub" && as_test_user env HOME="$THOME" git config user.name; \
	cd "$PROJ/wrepo/sub" && as_test_user env HOME="$THOME" git config user.email)
check "in a repository below DIR/, gitdir:DIR/ and gitdir/i: apply, as for the host's git (got: $(echo $out))" \
	'test "$out" = "$(printf "Case Insensitive\nwork@example.org")" && test "$out" = "$want"'
out=$(sb sh -c 'git config --global user.name; git config --global user.email' 2>&1)
check "outside any repository no condition applies (got: $(echo $out))" \
	'test "$out" = "$(printf "Base\nbase@example.org")"'
rm -rf "$PROJ/wrepo"

echo "# /etc/gitconfig"
rm -f "$THOME/.gitconfig"
if [ -f /etc/gitconfig ]; then
	out=$(sb sh -c 'cat /etc/gitconfig; test -w /etc/gitconfig && echo WRITABLE' 2>&1)
	check "/etc/gitconfig inside is the host's" 'test "$out" = "$(cat /etc/gitconfig)"'
else
	out=$(sb sh -c 'test -e /etc/gitconfig && echo present; echo done' 2>&1)
	check "no /etc/gitconfig on the host, none inside" 'test "$out" = done'
fi
t_done
