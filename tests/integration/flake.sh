#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# flake.nix parses, and its outputs evaluate to the expected shape. There
# is no network here to fetch nixpkgs, so the outputs function is called
# with a stand-in for it (tests/data/flake-eval.nix); what needs the real
# nixpkgs (`nix build`, `nix flake check`) is not tested here.
. "$top_srcdir/tests/lib/common.sh"
command -v nix-instantiate >/dev/null 2>&1 ||
	t_skip "nix-instantiate not found (Debian: apt-get install nix-bin)"
command -v python3 >/dev/null 2>&1 || t_skip "python3 not found"
T=$(mktemp -d /tmp/ccsb-test.XXXXXX)
trap t_cleanup EXIT
# Nix may want a home for its caches (never the caller's), and a store:
# evaluating needs none, and the dummy store needs no daemon or root.
nix() { env -i PATH="$PATH" HOME="$T" nix-instantiate --store dummy:// --readonly-mode "$@"; }

nix --parse "$top_srcdir/flake.nix" >"$T/parsed" 2>"$T/err"
st=$?
check "flake.nix parses" 'test $st = 0'
sed -e 's/^/    | /' "$T/err"

nix --eval --strict --json "$top_srcdir/tests/data/flake-eval.nix" >"$T/eval.json" 2>"$T/err"
st=$?
check "its outputs evaluate against a stand-in nixpkgs" 'test $st = 0'
sed -e 's/^/    | /' "$T/err"

# q EXPR: a Python expression over the evaluated outputs `o` is true.
q() {
	python3 -c "import json, sys; o = json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" \
		"$T/eval.json"
}
version=$(sed -n 's/^AC_INIT(\[libccsandbox\], \[\([0-9.]*\)\].*/\1/p' "$top_srcdir/configure.ac")
check "packages ccsb and default, on x86_64 and aarch64 Linux" \
	'q "o[\"packageSystems\"] == [\"aarch64-linux\", \"x86_64-linux\"] and o[\"packages\"] == [\"ccsb\", \"default\"] and o[\"defaultIsCcsb\"]"'
check "the version is configure.ac's ($version)" 'q "o[\"version\"] == \"$version\""'
check "built with autoreconfHook, pkg-config and makeWrapper" \
	'q "{\"autoreconfHook\", \"pkg-config\", \"makeWrapper\"} <= set(o[\"nativeBuildInputs\"])"'
check "against libcap, libseccomp (and static glibc for ccsb-exec)" \
	'q "{\"libcap\", \"libseccomp\", \"glibc-static\"} <= set(o[\"buildInputs\"])"'
check "ccsb is wrapped with bwrap and slirp4netns on its PATH" \
	'q "\"wrapProgram \$out/bin/ccsb\" in o[\"postInstall\"] and \"--prefix PATH : /nix/store/mock-bubblewrap/bin:/nix/store/mock-slirp4netns/bin\" in o[\"postInstall\"]"'
check "nix run .#ccsb runs bin/ccsb (and it is the default app)" \
	'q "o[\"apps\"][\"ccsb\"] == {\"type\": \"app\", \"program\": \"/nix/store/mock-ccsb-$version/bin/ccsb\"} and o[\"apps\"][\"default\"] == o[\"apps\"][\"ccsb\"] and o[\"aarch64App\"].endswith(\"/bin/ccsb\")"'
check "the check runs the unit tests" \
	'q "o[\"doCheck\"] and \"make check TESTS='"'"'\$(unit_tests)'"'"'\" in o[\"checkPhase\"] and o[\"checks\"] == {\"unit-tests\": \"ccsb-$version\"}"'
check "... which Makefile.am names unit_tests" 'grep -q "^unit_tests = " "$top_srcdir/Makefile.am"'
check "a devShell with the package's inputs" 'q "o[\"devShellInputsFrom\"] == [\"ccsb-$version\"]"'
check "the source is the flake itself" 'q "o[\"src\"] == \"/nix/store/mock-source\""'
t_done
