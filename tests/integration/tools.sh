#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The agent's tools: EDITOR/VISUAL/PAGER (and git's) reach the command, and
# one naming a program the sandbox lacks gives a warning line, not a
# failure; --path binds a tool directory read-only and puts it on PATH,
# with the toolchain layouts (cargo + rustup, nvm, pyenv, asdf, mise,
# pipx's symlinks in ~/.local/bin) working inside and their credential
# files not visible; --path of the home, a parent of it or / is refused;
# the configuration key `path`.
. "$top_srcdir/tests/lib/common.sh"
command -v git >/dev/null 2>&1 || t_skip "git not found (apt-get install git)"
t_setup

# sbe VAR=VALUE... -- ccsb arguments: like sb, with extra variables that
# may contain blanks.
sbe() {
	set -- "$@"
	n=0
	for a; do
		[ "$a" = -- ] && break
		n=$((n + 1))
	done
	vars=
	i=0
	for a; do
		shift
		if [ "$i" -lt "$n" ]; then
			set -- "$@" "$a"
		elif [ "$i" -gt "$n" ]; then
			set -- "$@" "$a"
		else
			set -- "$@" "$CCSB" -q --net=none
		fi
		i=$((i + 1))
	done
	(cd "$PROJ" && as_test_user env -i $SB_ENV HOME="$THOME" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" "$@")
}
own() { [ "$(id -u)" = 0 ] && chown -R "$TEST_UID:$TEST_GID" "$@"; chmod -R a+rX "$@"; }
lines() { printf '%s\n' "$1" | grep -c "$2"; }

printf '[user]\n\tname = Test User\n\temail = test@example.org\n' >"$THOME/.gitconfig"
mkdir -p "$THOME/.local/bin"
cat >"$THOME/.local/bin/myedit" <<'EOS'
#!/bin/sh
echo "written by myedit" >"$1"
EOS
chmod 755 "$THOME/.local/bin/myedit"
own "$THOME"

echo "# EDITOR, VISUAL, PAGER, GIT_EDITOR, GIT_PAGER"
out=$(sbe EDITOR=vi VISUAL="vi -f" PAGER="cat -v" GIT_EDITOR=true GIT_PAGER=cat -- \
	sh -c 'printf "%s|" "$EDITOR" "$VISUAL" "$PAGER" "$GIT_EDITOR" "$GIT_PAGER"' 2>&1)
check "the five variables reach the command (got: $out)" 'test "$out" = "vi|vi -f|cat -v|true|cat|"'
out=$(sbe EDITOR="code --wait" PAGER=cat -- sh -c 'echo "ran $EDITOR"' 2>&1)
st=$?
printf '%s\n' "$out" | sed 's/^/    | /'
check "a missing editor does not stop the run" 'test $st = 0 && printf "%s\n" "$out" | grep -qx "ran code --wait"'
check "... one warning names the variable, the program and the fix" \
	'test "$(lines "$out" "^ccsb: warning: EDITOR=code --wait: .code. is not in the sandbox; add its directory with --path=DIR")" = 1'
check "... and only for it (cat exists inside)" 'test "$(lines "$out" warning)" = 1'
out=$(sbe EDITOR="code --wait" -- --env=EDITOR=vi sh -c 'echo "ran $EDITOR"' 2>&1)
check "--env=EDITOR=vi replaces it, and the warning goes" 'test "$out" = "ran vi"'
out=$(sbe EDITOR="$THOME/.local/bin/myedit" -- true 2>&1)
check "an editor in the hidden home is reported" \
	'printf "%s\n" "$out" | grep -qF "ccsb: warning: EDITOR=$THOME/.local/bin/myedit: '"'"'$THOME/.local/bin/myedit'"'"' is not in the sandbox"'
out=$(sbe EDITOR=myedit -- --path="$THOME/.local/bin" sh -c \
	'git init -q r && cd r && git commit -q --allow-empty && git log -1 --format=%s' 2>"$T/err")
printf '%s\n' "$out" | sed 's/^/    | /'
check "with --path, git commit runs the user's EDITOR" 'test "$out" = "written by myedit"'
check "... and there is no warning" '! grep -q warning "$T/err"'

echo "# --path: refusals"
for d in "$THOME" "$(dirname "$THOME")" / "$THOME/."; do
	out=$(sb --path="$d" true 2>&1)
	st=$?
	check "--path=$d is refused (exit $st)" \
		'test $st = 125 && printf "%s\n" "$out" | grep -q "^ccsb: refusing --path=.* name the tool directory itself"'
done
ln -s "$THOME" "$T/homelink"
out=$(sb --path="$T/homelink" true 2>&1)
check "--path through a symlink to the home is refused" 'printf "%s\n" "$out" | grep -q "^ccsb: refusing --path="'
out=$(sb --path="$T/nonexistent" true 2>&1)
st=$?
check "--path of a missing directory: exit 125, named" \
	'test $st = 125 && printf "%s\n" "$out" | grep -q "nonexistent.*No such file"'
out=$(sb --path="$THOME/.gitconfig" true 2>&1)
check "--path of a file: not a directory" 'printf "%s\n" "$out" | grep -q "not a directory"'

echo "# --path: cargo and rustup"
mkdir -p "$THOME/.cargo/bin" "$THOME/.cargo/registry/cache" "$THOME/.rustup/toolchains/stable/bin"
cat >"$THOME/.cargo/bin/cargo" <<'EOS'
#!/bin/sh
echo "cargo CARGO_HOME=$CARGO_HOME RUSTUP_HOME=$RUSTUP_HOME"
"$RUSTUP_HOME/toolchains/stable/bin/rustc"
mkdir -p "$CARGO_HOME/registry/cache" && echo crate >"$CARGO_HOME/registry/cache/c" && echo cached
EOS
printf '#!/bin/sh\necho rustc-stable\n' >"$THOME/.rustup/toolchains/stable/bin/rustc"
chmod 755 "$THOME/.cargo/bin/cargo" "$THOME/.rustup/toolchains/stable/bin/rustc"
echo 'token = "CARGO-SECRET"' >"$THOME/.cargo/credentials.toml"
printf '[registry]\ntoken = "CARGO-SECRET2"\n' >"$THOME/.cargo/config.toml"
echo "host crate" >"$THOME/.cargo/registry/cache/host"
own "$THOME"
out=$(sb cargo 2>&1)
st=$?
check "without --path, cargo is not found (127)" 'test $st = 127'
out=$(sb --path="$THOME/.cargo/bin" sh -c 'cargo; echo "PATH=$PATH"
	cat ~/.cargo/credentials.toml '"$THOME"'/.cargo/credentials.toml '"$THOME"'/.cargo/config.toml 2>/dev/null
	ls '"$THOME"'/.cargo; echo x >'"$THOME"'/.cargo/bin/cargo || echo ro' 2>&1)
st=$?
printf '%s\n' "$out" | sed 's/^/    | /'
check "cargo runs with --path=~/.cargo/bin" 'test $st = 0 && printf "%s\n" "$out" | grep -qx "cargo CARGO_HOME=/home/claude/.cargo RUSTUP_HOME=$THOME/.rustup"'
check "... its rustup toolchain runs" 'printf "%s\n" "$out" | grep -qx rustc-stable'
check "... it caches into a private CARGO_HOME" 'printf "%s\n" "$out" | grep -qx cached'
check "... PATH starts with the directory" 'printf "%s\n" "$out" | grep -q "^PATH=$THOME/.cargo/bin:/usr/local/bin:"'
check "... credentials.toml and config.toml are not visible" '! printf "%s\n" "$out" | grep -q SECRET'
check "... only bin/ of ~/.cargo is there" 'printf "%s\n" "$out" | grep -qx bin && ! printf "%s\n" "$out" | grep -qx registry'
check "... read-only" 'printf "%s\n" "$out" | grep -qx ro'
check "the host's cargo is intact" 'test "$(sed -n 2p "$THOME/.cargo/bin/cargo")" = "echo \"cargo CARGO_HOME=\$CARGO_HOME RUSTUP_HOME=\$RUSTUP_HOME\""'
check "the host's registry cache is untouched" 'test "$(ls "$THOME/.cargo/registry/cache")" = host'
out=$(sb --path="$THOME/.cargo/bin" bash -lc 'command -v cargo' 2>&1)
check "a login shell, whose /etc/profile resets PATH, still finds cargo (got: $out)" \
	'test "$out" = "$THOME/.cargo/bin/cargo"'
out=$(sb --path="$THOME/.cargo/bin" sh -lc 'command -v cargo' 2>&1)
check "... sh -l too" 'test "$out" = "$THOME/.cargo/bin/cargo"'
q="$T/it's \$(touch $T/pwned) bin"
mkdir -p "$q"
printf '#!/bin/sh\necho quoted-tool\n' >"$q/qtool"
chmod 755 "$q/qtool"
own "$q"
out=$(sb --path="$q" bash -lc 'qtool' 2>&1)
check "a directory name with a quote and \$(...) survives ~/.profile (got: $out)" \
	'test "$out" = quoted-tool && test ! -e "$T/pwned"'
out=$(sb sh -c 'test -e ~/.profile && echo present; echo done' 2>&1)
check "without --path there is no ~/.profile" 'test "$out" = done'
out=$(sb --path="$THOME/.cargo" sh -c 'cargo >/dev/null && echo ok; ls '"$THOME"'/.cargo' 2>&1)
check "--path=~/.cargo binds only its bin/" 'test "$out" = "$(printf "ok\nbin")"'

echo "# --path: nvm, pyenv, asdf, mise, ~/.local/bin with pipx links"
v=$THOME/.nvm/versions/node/v20.1.0
mkdir -p "$v/bin" "$v/lib/node_modules/pkg" "$v/etc"
printf '#!/bin/sh\ncat "%s/lib/node_modules/pkg/name"\n' "$v" >"$v/bin/node"
chmod 755 "$v/bin/node"
echo "pkg-from-lib" >"$v/lib/node_modules/pkg/name"
echo "//registry.example.org/:_authToken=NPM-SECRET" >"$v/etc/npmrc"
own "$THOME"
out=$(sb --path="$v/bin" sh -c 'node; cat '"$v"'/etc/npmrc; echo end' 2>&1)
check "nvm: node runs and its lib/ comes along" 'printf "%s\n" "$out" | grep -qx pkg-from-lib'
check "nvm: the version's etc/npmrc is empty inside" 'test "$(printf "%s\n" "$out" | sed -n 2p)" = end'
check "nvm: the host's npmrc is intact" 'grep -q NPM-SECRET "$v/etc/npmrc"'
out=$(sb --path="$THOME/.nvm" true 2>&1)
check "--path=~/.nvm is refused with the fix" \
	'printf "%s\n" "$out" | grep -q "name one node version.s bin directory, e.g. --path=$THOME/.nvm/versions/node/VERSION/bin"'

p=$THOME/.pyenv
mkdir -p "$p/shims" "$p/versions/3.12.0/bin" "$p/libexec"
printf '#!/bin/sh\nexec "$PYENV_ROOT/libexec/pyenv" exec python "$@"\n' >"$p/shims/python"
printf '#!/bin/sh\nshift; exec "$PYENV_ROOT/versions/$(cat "$PYENV_ROOT/version")/bin/$@"\n' >"$p/libexec/pyenv"
printf '#!/bin/sh\necho python-3.12.0\n' >"$p/versions/3.12.0/bin/python"
echo 3.12.0 >"$p/version"
chmod 755 "$p/shims/python" "$p/libexec/pyenv" "$p/versions/3.12.0/bin/python"
own "$THOME"
out=$(sb --path="$p/shims" python 2>&1)
check "pyenv: the shim runs the global version (got: $out)" 'test "$out" = python-3.12.0'

a=$THOME/.asdf
mkdir -p "$a/shims" "$a/installs/nodejs/20/bin"
printf '#!/bin/sh\nexec "$ASDF_DATA_DIR/installs/nodejs/$(cut -d" " -f2 "$HOME/.tool-versions")/bin/node"\n' >"$a/shims/node"
printf '#!/bin/sh\necho asdf-node-20\n' >"$a/installs/nodejs/20/bin/node"
echo "nodejs 20" >"$THOME/.tool-versions"
chmod 755 "$a/shims/node" "$a/installs/nodejs/20/bin/node"
own "$THOME"
out=$(sb --path="$a/shims" node 2>&1)
check "asdf: the shim finds its install and ~/.tool-versions (got: $out)" 'test "$out" = asdf-node-20'

m=$THOME/.local/share/mise
mkdir -p "$m/shims" "$m/installs/go/1.22/bin" "$THOME/.config/mise" "$T/opt/mise/bin"
printf '#!/bin/sh\nexec "$MISE_DATA_DIR/installs/go/$(cat "$HOME/.config/mise/version")/bin/$(basename "$0")" "$@"\n' \
	>"$T/opt/mise/bin/mise"
printf '#!/bin/sh\necho go-1.22\n' >"$m/installs/go/1.22/bin/go"
ln -s "$T/opt/mise/bin/mise" "$m/shims/go"
echo 1.22 >"$THOME/.config/mise/version"
chmod 755 "$T/opt/mise/bin/mise" "$m/installs/go/1.22/bin/go"
own "$THOME" "$T/opt"
out=$(sb --path="$m/shims" go 2>&1)
check "mise: the shim's mise binary, the install and the config are there (got: $out)" 'test "$out" = go-1.22'

x=$THOME/.local/share/pipx/venvs/tool
mkdir -p "$x/bin"
touch "$x/pyvenv.cfg"
printf '#!/bin/sh\necho pipx-tool\n' >"$x/bin/tool"
chmod 755 "$x/bin/tool"
ln -s "$x/bin/tool" "$THOME/.local/bin/tool"
echo "machine example.org password NETRC-SECRET" >"$THOME/.local/bin/.netrc"
own "$THOME"
out=$(sb --path="$THOME/.local/bin" sh -c 'tool; cat '"$THOME"'/.local/bin/.netrc; ls '"$THOME"'/.local/share' 2>&1)
check "~/.local/bin: a pipx link runs (its venv comes along)" 'printf "%s\n" "$out" | grep -qx pipx-tool'
check "... a .netrc in it is empty inside" '! printf "%s\n" "$out" | grep -q NETRC-SECRET'
check "... the rest of ~/.local/share is not there" '! printf "%s\n" "$out" | grep -qx mise'

echo "# --path: links to key directories bring nothing along"
mkdir -p "$THOME/.ssh/bin" "$T/linkbin"
echo "PRIVATE KEY" >"$THOME/.ssh/id_test"
chmod 600 "$THOME/.ssh/id_test"
printf '#!/bin/sh\necho from-ssh\n' >"$THOME/.ssh/bin/sshtool"
chmod 755 "$THOME/.ssh/bin/sshtool"
ln -s "$THOME/.ssh/id_test" "$T/linkbin/key"
ln -s "$THOME/.ssh/bin/sshtool" "$T/linkbin/sshtool"
own "$THOME" "$T/linkbin"
out=$(sb --path="$T/linkbin" sh -c 'cat '"$T"'/linkbin/key; sshtool; ls '"$THOME"'/.ssh; echo end' 2>&1)
printf '%s\n' "$out" | sed 's/^/    | /'
check "a link to a key file does not bind ~/.ssh" '! printf "%s\n" "$out" | grep -q "PRIVATE KEY"'
check "a link to a program in ~/.ssh does not bind it either" '! printf "%s\n" "$out" | grep -q from-ssh'
check "... and the run goes on" 'printf "%s\n" "$out" | grep -qx end'
out=$(sb --path="$THOME/.ssh/bin" true 2>&1)
st=$?
check "--path=~/.ssh/bin is refused: it holds keys" \
	'test $st = 125 && printf "%s\n" "$out" | grep -q "is in ~/.ssh, which holds keys or tokens"'

echo "# --path: a Nix profile"
# The store is where \$NIX_STORE_DIR says, as for Nix itself: a test store.
st=$T/nix/store
mkdir -p "$st/aaaa-hello/bin" "$st/bbbb-user-environment" "$st/cccc-lib/share"
printf '#!/bin/sh\ncat %s/cccc-lib/share/greeting\n' "$st" >"$st/aaaa-hello/bin/hello"
chmod 755 "$st/aaaa-hello/bin/hello"
echo "hello from the store" >"$st/cccc-lib/share/greeting"
ln -s "$st/aaaa-hello/bin" "$st/bbbb-user-environment/bin"
ln -s "$st/bbbb-user-environment" "$THOME/.nix-profile"
own "$T/nix" "$THOME"
out=$(SB_EXTRA_ENV="NIX_STORE_DIR=$st" sb --path="$THOME/.nix-profile/bin" sh -c 'hello; echo "PATH=$PATH"' 2>&1)
printf '%s\n' "$out" | sed 's/^/    | /'
check "nix: a profile's program runs, with the store paths it refers to" \
	'printf "%s\n" "$out" | grep -qx "hello from the store"'
check "nix: PATH holds the profile's resolved directory" \
	'printf "%s\n" "$out" | grep -q "^PATH=$st/aaaa-hello/bin:"'

echo "# the configuration key"
mkdir -p "$THOME/.config/ccsb"
printf 'path = ~/.cargo/bin\npath = ~/.local/bin\n' >"$THOME/.config/ccsb/config"
own "$THOME"
out=$(sb sh -c 'cargo | head -1; tool' 2>&1)
check "path = ... in the configuration works without flags" \
	'test "$out" = "$(printf "cargo CARGO_HOME=/home/claude/.cargo RUSTUP_HOME=$THOME/.rustup\npipx-tool")"'
rm -f "$THOME/.config/ccsb/config"
t_done
