# SPDX-License-Identifier: LGPL-2.1-or-later
# Evaluates flake.nix's outputs offline, against a stand-in for nixpkgs whose
# packages are plain attribute sets: checks the flake's shape (packages,
# apps, checks, devShells) and the derivation's attributes without a
# network or a Nix store. Used by tests/integration/flake.sh:
#
#   nix-instantiate --eval --strict --json tests/data/flake-eval.nix
let
  flake = import ../../flake.nix;
  systems = [ "x86_64-linux" "aarch64-linux" ];

  lib = {
    genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
    makeBinPath = ps: builtins.concatStringsSep ":" (map (p: "${p}/bin") ps);
    licenses.lgpl21Plus = "LGPL-2.1-or-later";
    platforms.linux = systems;
  };
  drv = name: { type = "derivation"; inherit name; outPath = "/nix/store/mock-${name}"; };
  pkgsFor = system: {
    inherit lib;
    stdenv = {
      hostPlatform = { inherit system; };
      mkDerivation = a: a // drv "${a.pname}-${a.version}";
    };
    mkShell = a: a // drv "shell";
    glibc = drv "glibc" // { static = drv "glibc-static"; };
  } // lib.genAttrs [
    "autoreconfHook" "pkg-config" "makeWrapper" "libcap" "libseccomp" "json_c" "python3"
    "bubblewrap" "slirp4netns" "iproute2" "util-linux" "strace" "curl"
  ] drv;
  nixpkgs = { inherit lib; legacyPackages = lib.genAttrs systems pkgsFor; };

  self = outputs // { outPath = "/nix/store/mock-source"; };
  outputs = flake.outputs { inherit self nixpkgs; };

  names = map (p: p.name);
  pkg = outputs.packages.x86_64-linux.ccsb;
in
{
  inherit (flake) description;
  nixpkgsUrl = flake.inputs.nixpkgs.url;
  packageSystems = builtins.attrNames outputs.packages;
  packages = builtins.attrNames outputs.packages.x86_64-linux;
  defaultIsCcsb = outputs.packages.x86_64-linux.default.name == pkg.name;
  inherit (pkg) pname version doCheck checkPhase postInstall;
  src = "${pkg.src}";
  nativeBuildInputs = names pkg.nativeBuildInputs;
  buildInputs = names pkg.buildInputs;
  apps = builtins.mapAttrs (n: a: { inherit (a) type program; }) outputs.apps.x86_64-linux;
  checks = builtins.mapAttrs (n: c: c.name) outputs.checks.x86_64-linux;
  devShellInputsFrom = names outputs.devShells.x86_64-linux.default.inputsFrom;
  devShellPackages = names outputs.devShells.x86_64-linux.default.packages;
  aarch64App = outputs.apps.aarch64-linux.default.program;
}
