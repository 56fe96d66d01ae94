# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   nix run .#ccsb -- claude     run Claude Code in the sandbox
#   nix build                     ccsb, libccsandbox, gen-ip-ranges
#   nix flake check               build and run the unit tests
#   nix develop                   a shell with everything needed to hack
{
  description = "ccsb: run Claude Code or any command in an unprivileged bubblewrap sandbox";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      # User namespaces, seccomp and slirp4netns: Linux only.
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      # One source of truth for the version: configure.ac's AC_INIT.
      version = builtins.head (builtins.match
        ".*AC_INIT[(][[]libccsandbox[]], [[]([0-9.]+)[]].*"
        (builtins.readFile ./configure.ac));

      ccsbFor = pkgs: pkgs.stdenv.mkDerivation {
        pname = "ccsb";
        inherit version;
        src = self;

        nativeBuildInputs = with pkgs; [ autoreconfHook pkg-config makeWrapper ];
        # glibc.static: ccsb-exec, the sandbox's pid 1, is linked statically.
        # python3: the interpreter of gen-ip-ranges (its #! is patched).
        buildInputs = with pkgs; [ libcap libseccomp json_c glibc.static python3 ];

        enableParallelBuilding = true;

        # The unit tests only: the integration tests need user namespaces,
        # which the Nix build sandbox does not give. TESTS is expanded by
        # make, so the list stays the one in Makefile.am.
        doCheck = true;
        checkPhase = ''
          runHook preCheck
          make check TESTS='$(unit_tests)'
          runHook postCheck
        '';

        # ccsb runs bwrap and slirp4netns from PATH: put ours first.
        postInstall = ''
          wrapProgram $out/bin/ccsb \
            --prefix PATH : ${pkgs.lib.makeBinPath [ pkgs.bubblewrap pkgs.slirp4netns ]}
        '';

        meta = with pkgs.lib; {
          description = "Run Claude Code or any command in an unprivileged bubblewrap sandbox with an IP allowlist";
          license = licenses.lgpl21Plus;
          platforms = platforms.linux;
          mainProgram = "ccsb";
        };
      };
    in
    {
      packages = forAllSystems (pkgs: rec {
        ccsb = ccsbFor pkgs;
        default = ccsb;
      });

      apps = forAllSystems (pkgs:
        let pkg = self.packages.${pkgs.stdenv.hostPlatform.system}.ccsb; in
        rec {
          ccsb = { type = "app"; program = "${pkg}/bin/ccsb"; };
          gen-ip-ranges = { type = "app"; program = "${pkg}/bin/gen-ip-ranges"; };
          default = ccsb;
        });

      # `nix flake check`: the package builds and its unit tests pass.
      checks = forAllSystems (pkgs: {
        unit-tests = self.packages.${pkgs.stdenv.hostPlatform.system}.ccsb;
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.stdenv.hostPlatform.system}.ccsb ];
          # What the integration tests and tools/ use at run time.
          packages = with pkgs; [ bubblewrap slirp4netns iproute2 util-linux strace curl ];
        };
      });
    };
}
