#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the fuzz targets (the allowlist parser, the DNS codec, the git
# configuration parser and writer, the ssh-agent protocol, the git credential
# protocol, the readers of the user's registry configuration, the D-Bus
# replies of the systemd scope, the terminal escape filter, the ccsb-net
# protocol and rtnetlink answers, the event stream's JSON encoder, the
# session channel's packets, the session event log's line reader) with
# libFuzzer, ASan and UBSan, and run each for a share of a bounded time. Exit
# status: 0 no finding, 77 clang or libFuzzer missing, anything else a crash
# (the reproducer is left in the output directory as crash-*, leak-* or
# timeout-*; every target still runs).
#
#     tests/fuzz/run.sh SRCDIR BUILDDIR [SECONDS]
#
# CLANG overrides the compiler; FUZZ_JOBS runs that many workers in parallel;
# FUZZ_TARGETS="dns" (or "allowlist", "sshagent", "gitcred", "state-merge",
# "registries", "events") runs only those.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 SRCDIR BUILDDIR [SECONDS]" >&2
	exit 2
fi
src=$(cd "$1" && pwd)
build=$2
seconds=${3:-60}
clang=${CLANG:-clang}
jobs=${FUZZ_JOBS:-1}
targets=${FUZZ_TARGETS:-allowlist dns gitconfig sshagent gitcred state-merge registries dbus escfilter netproto events sessproto sesslog}

case $seconds$jobs in
*[!0-9]*)
	echo "$0: SECONDS and FUZZ_JOBS must be numbers" >&2
	exit 2
	;;
esac

if ! command -v "$clang" >/dev/null 2>&1; then
	echo "$0: $clang not found; install clang (Debian: apt-get install clang)" >&2
	exit 77
fi

out=$build/tests/fuzz
mkdir -p "$out"
out=$(cd "$out" && pwd)

# build NAME SOURCES...: tests/fuzz/fuzz-NAME.c and library sources.
build() {
	name=$1
	shift
	for f in "$@"; do
		shift
		set -- "$@" "$src/libccsandbox/$f"
	done
	# error.c takes the version from config.h; a configured tree has one.
	if [ -f "$build/config.h" ]; then
		set -- -include "$build/config.h" "$@"
	else
		set -- -DPACKAGE_VERSION='"fuzz"' "$@"
	fi
	if ! "$clang" -std=gnu11 -g -O1 -D_GNU_SOURCE -I"$src/libccsandbox" \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer ${cflags-} \
		"$@" "$src/tests/fuzz/fuzz-$name.c" \
		-o "$out/fuzz-$name" ${libs-}; then
		if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
			"$clang" -x c -fsanitize=fuzzer - -o "$out/.probe" 2>/dev/null; then
			echo "$0: $clang cannot link libFuzzer (Debian: apt-get install libclang-rt-dev)" >&2
			rm -f "$out/.probe"
			exit 77
		fi
		rm -f "$out/.probe"
		exit 1
	fi
}

# Seeds and dictionaries: one of each shape the parsers distinguish.
seed_allowlist() {
	corpus=$1
	if [ -f "$src/ip-ranges.txt" ]; then
		cp "$src/ip-ranges.txt" "$corpus/seed-ip-ranges"
	fi
	printf '%s\n' '# comment' '10.0.0.0/8 # trailing' '' '192.0.2.1' '2001:db8::/32' \
		'::ffff:192.0.2.0/120' '::/0' '0.0.0.0/0' >"$corpus/seed-valid"
	printf '10.0.0.0/25\n10.0.0.128/25\n10.0.1.0/24\n10.0.2.0/23\n10.0.0.0/24\n' \
		>"$corpus/seed-merge"
	printf '10.0.0.1/8\n' >"$corpus/seed-hostbits"
	printf '*.example.com\n' >"$corpus/seed-domain"
	printf 'api.example.com\n*.Example.ORG.\n*.com\na..b\n' >"$corpus/seed-names"
	printf '2001:db8::g\n' >"$corpus/seed-v6typo"
	printf 'github.com:22,443\n*.example.com:8080\na.example:1,65535,1\nb.example:0\n' \
		>"$corpus/seed-name-ports"
	printf 'github.com:22,\nx.example:65536\nfd00::1\n' >"$corpus/seed-name-ports-bad"
	printf '1.2.3.4/24x\r\n' >"$corpus/seed-junk"
	cat >"$out/allowlist.dict" <<'DICT'
"/"
"."
":"
"::"
"#"
"\x0a"
"\x0d\x0a"
"\x00"
"*."
"/0"
"/32"
"/128"
"::ffff:"
"0.0.0.0"
"255.255.255.255"
"2001:db8::"
"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
".example.com"
"-"
"_"
DICT
}

# DNS seeds: a query with EDNS0 (padded to the answer's length), an answer
# with a CNAME chain through compression pointers and an OPT record, both as
# one input split in halves and as two TCP frames, a CNAME loop, an answer
# too long for 512 bytes, and records behind the fixed question.
seed_dns() {
	corpus=$1
	h='\112\057\201\200\000\001'
	q='\112\057\001\000\000\001\000\000\000\000\000\001\003www\007example\004test\000\000\001\000\001'
	opt='\000\000\051\004\320\000\000\200\000\000\000'
	pad='\000\000\051\004\320\000\000\200\000\000\040\000\014\000\034'
	pad=$pad'\000\000\000\000\000\000\000\000\000\000\000\000\000\000'
	pad=$pad'\000\000\000\000\000\000\000\000\000\000\000\000\000\000'
	quest='\003www\007example\004test\000\000\001\000\001'
	rrs='\300\014\000\005\000\001\000\000\000\074\000\004\001a\300\020'
	rrs=$rrs'\300\056\000\001\000\001\000\000\001\054\000\004\313\000\161\005'
	a=$h'\000\002\000\000\000\001'$quest$rrs$opt
	loop=$h'\000\002\000\000\000\000'$quest
	loop=$loop'\300\014\000\005\000\001\000\000\000\074\000\004\001a\300\020'
	loop=$loop'\300\056\000\005\000\001\000\000\000\074\000\002\300\014'
	big=$h'\000\050\000\000\000\000'$quest
	i=0
	while [ $i -lt 40 ]; do
		big=$big'\300\014\000\001\000\001\000\000\000\001\000\004\313\000\161\005'
		i=$((i + 1))
	done
	# shellcheck disable=SC2059 # the seeds are octal escapes for printf
	{
		printf "$q$opt" >"$corpus/seed-query"
		printf "$a" >"$corpus/seed-answer"
		printf "$q$pad$a" >"$corpus/seed-halves"
		printf "\000\055$q$opt\000\115$a" >"$corpus/seed-tcp"
		printf "$loop" >"$corpus/seed-loop"
		printf "$big" >"$corpus/seed-big"
	}
	cat >"$out/dns.dict" <<'DICT'
"\xc0\x0c"
"\xc0"
"\x00\x01\x00\x01"
"\x00\x1c\x00\x01"
"\x00\x05\x00\x01"
"\x00\x00\x29\x04\xd0"
"\x07example\x04test\x00"
"\x03api\x07example\x03org\x00"
"\x00\x04\x7f\x00\x00\x01"
"\x00\x10\xfe\x80"
DICT
}

# Baseline, the sandbox's copy and the host's file, NUL-separated, after a
# byte whose low bit picks settings.json (1) or ~/.claude.json (0).
seed_state_merge() {
	corpus=$1
	printf '\000{"numStartups":1,"projects":{"/p":{"allowedTools":[]}}}\000{"numStartups":2,"mcpServers":{"e":{"command":"sh"}},"projects":{"/p":{"hasTrustDialogAccepted":true,"allowedTools":["Bash"]},"/q":{"x":1}}}\000{"theme":"dark","projects":{"/p":{}}}' \
		>"$corpus/seed-claude-json"
	printf '\001{"model":"a","permissions":{"deny":["Bash"]}}\000{"model":"b","hooks":{"SessionStart":[]},"env":{"A":"1"}}\000{"model":"a","permissions":{"deny":["Bash"]},"verbose":true}' \
		>"$corpus/seed-settings"
	printf '\000{}\000{"a":NaN,"b":[1e999],"c":{"d":null}}\000[]' >"$corpus/seed-odd"
	cat >"$out/state-merge.dict" <<'DICT'
"\x00"
"{"
"}"
"["
"]"
"\"projects\""
"\"/p\""
"\"/p/sub\""
"\"hooks\""
"\"mcpServers\""
"\"permissions\""
"\"hasTrustDialogAccepted\""
"\"lastCost\""
"\"model\""
"\"cachedX\""
"null"
"true"
":"
","
DICT
}

seed_gitconfig() {
	corpus=$1
	printf '[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n[core]\n\tpager = less\n' \
		>"$corpus/seed-identity"
	printf '[color "diff"]\n\tmeta = "yellow bold" ; c\n[Color.Branch]\nCurrent = red\n' \
		>"$corpus/seed-subsections"
	printf '[s]\nk = "a \\\n b" # c\nl = a\\tb\\\\c\\"d\r\nbare\n[t "x\\"y"] k=v' >"$corpus/seed-escapes"
	printf '\357\273\277[user] name=x\n[include]\n\tpath = ~/.x\n' >"$corpus/seed-bom"
	cat >"$out/gitconfig.dict" <<'DICT'
"["
"]"
"\""
"\\"
"\\\x0a"
"\x0d\x0a"
"#"
";"
"="
" \""
"[user]"
"[color \"diff\"]"
"name"
"email"
"\\n"
"\\t"
"\\b"
DICT
}

# ssh-agent seeds: a framed stream of every request shape, an identity list
# of two keys, and a key filter.
# D-Bus seeds: a method return with a job path, an error, and JobRemoved,
# back to back as a bus sends them.
seed_dbus() {
	corpus=$1
	printf 'l\002\001\001\044\000\000\000\007\000\000\000\037\000\000\000\005\001u\000\003\000\000\000\010\001g\000\001o\000\000\007\001s\000\004\000\000\000:1.0\000\000\000\000\000\000\000\000\000\000\000\000\037\000\000\000/org/freedesktop/systemd1/job/1\000' >"$corpus/seed-return"
	printf 'l\004\001\001\050\000\000\000\011\000\000\000\036\000\000\000\003\001s\000\012\000\000\000JobRemoved\000\000\000\000\000\000\010\001g\000\004uoss\000\000\000\001\000\000\000\001\000\000\000/\000\000\000\001\000\000\000u\000\000\000\004\000\000\000done\000' >"$corpus/seed-signal"
	cat >"$out/dbus.dict" <<'DICT'
"l"
"B"
"\x01\x01o\x00"
"\x03\x01s\x00"
"\x04\x01s\x00"
"\x05\x01u\x00"
"\x08\x01g\x00"
"uoss"
"JobRemoved"
DICT
}

seed_sshagent() {
	corpus=$1
	key='\000\000\000\013ssh-ed25519\000\000\000\040XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX'
	# shellcheck disable=SC2059 # the seeds are octal escapes for printf
	{
		printf '\000\000\000\001\013' >"$corpus/seed-list"
		printf "\000\000\000\077\015\000\000\000\063$key\000\000\000\004data\000\000\000\002" \
			>"$corpus/seed-sign"
		printf '\000\000\000\001\023\000\000\000\001\026' >"$corpus/seed-refused"
		printf '\000\000\000\051\033\000\000\000\030session-bind@openssh.com\000\000\000\000\000\000\000\000\000\000\000\000\000' \
			>"$corpus/seed-bind"
		printf "\014\000\000\000\002\000\000\000\063$key\000\000\000\010work key\000\000\000\063$key\000\000\000\003abc" \
			>"$corpus/seed-answer"
		printf 'SSHSIG\000\000\000\003git' >"$corpus/seed-sshsig"
	}
	printf 'work*,SHA256:AJt1kmaagKEdzW+ImfneVc82zQuwvRUCAh6CXVfbU0A' >"$corpus/seed-filter"
	cat >"$out/sshagent.dict" <<'DICT'
"\x00\x00\x00\x01"
"\x0b"
"\x0c"
"\x0d"
"\x1b"
"session-bind@openssh.com"
"\x00\x00\x00\x0bssh-ed25519"
"SHA256:"
"SSHSIG"
"ssh-connection"
","
"*"
DICT
}

# Registry configuration: an npmrc, a pip.conf and a cargo config, all fed
# to every parser.
seed_registries() {
	corpus=$1
	printf '%s\n' 'registry=https://npm.test.example/' '@s:registry = "https://u:t@s.test.example:8/x"' \
		'//npm.test.example/:_authToken=x' 'registry=${R}' >"$corpus/seed-npmrc"
	printf '%s\n' '[global]' 'index-url = https://p.test.example/simple' 'extra-index-url =' \
		'    https://a.test.example/ https://[2001:db8::1]:9/' 'trusted-host: x' >"$corpus/seed-pip"
	printf '%s\n' '[registries."r"]' 'index = "sparse+https://c.test.example/"' '[source.m]' \
		"registry = 'registry+http://m.test.example'" '[registries]' 'x = { index = "https://i.test.example", t = 1 }' \
		'registries.d.index = "https://d.test.example"' >"$corpus/seed-cargo"
	cat >"$out/registries.dict" <<'DICT'
"registry"
":registry"
"index-url"
"extra-index-url"
"index"
"[registries."
"[source."
"https://"
"sparse+"
"@"
"["
"]"
"${"
"{"
"="
"\x0a    "
DICT
}

# git credential seeds: a request, a hostile one, an answer.
seed_gitcred() {
	corpus=$1
	printf 'protocol=https\nhost=git.example.test\npath=o/r.git\nusername=a\n\n' >"$corpus/seed-request"
	printf 'protocol=https\nhost=x.corp.example:8443\nhost=evil.test\n\n' >"$corpus/seed-dup"
	printf 'protocol=https\nhost=git.example.test\nusername=alice\npassword=s3cret\n' >"$corpus/seed-answer"
	cat >"$out/gitcred.dict" <<'DICT'
"protocol=https\x0a"
"host="
"path="
"username="
"password="
"git.example.test"
".corp.example"
":443"
"\x0a\x0a"
"\x0d"
"="
DICT
}

# Terminal output: what TUIs send, and what the filter drops, in every
# form (7-bit, 8-bit and UTF-8-encoded C1), after a flags byte and a split
# byte.
seed_escfilter() {
	corpus=$1
	printf '\000\000\033[0;1;38;2;1;2;3mhi\033[?1049h\033[6n\033[?u\033]0;\342\234\263 t\007\033]8;;u\033\\x\033]8;;\033\\' \
		>"$corpus/seed-tui"
	printf '\000\005\033]52;c;aGk=\007\033]52;c;?\033\\\302\23552;c;eA==\302\234\23552;;x\234' >"$corpus/seed-osc52"
	printf '\001\003\033]52;c;aGk=\007\033]11;?\007\033]4;1;?;2;#fff\007\033]9;4;1;5\007\033]9;6;m\007' \
		>"$corpus/seed-allowed"
	printf '\002\007\033[21t\033[8;1;1t\033P$qm\033\\\033Ptmux;\033\033]52;c;x\007\033\\\033_Gt=f;x\033\\\033P+q544e\033\\\033Pq#0~\033\\' \
		>"$corpus/seed-dropped"
	printf '\000\001\303\233\340\202\233\302\233\342\235\237\033[\033]\033P\030\032' >"$corpus/seed-edges"
	cat >"$out/escfilter.dict" <<'DICT'
"\x1b["
"\x1b]"
"\x1bP"
"\x1b\\"
"\x1b_"
"\x07"
"\xc2\x9b"
"\xc2\x9d"
"\xc2\x9c"
"\xc2\x90"
"\x9b"
"\x9d"
"\x9c"
"52;c;"
"?"
";"
"21t"
"4;1;?"
"10;?"
"9;4;"
"+q"
"$q"
"=1s"
DICT
}

# ccsb-net: a DONE, a PROGRESS, an ERROR with text and a DESCRIPTORS
# message (248 bytes after the descriptor-count byte), little-endian.
seed_netproto() {
	corpus=$1
	hdr='\143\163\142\156\002\000'
	z8='\000\000\000\000\000\000\000\000'
	z32=$z8$z8$z8$z8
	z200=$z32$z32$z32$z32$z32$z32$z8
	printf "\000$hdr\005\000\000\000\000\000\000\000\000\000$z32$z200" >"$corpus/seed-done"
	printf "\000$hdr\001\000\002\000\000\000\000\000\000\000$z32$z200" >"$corpus/seed-progress"
	printf "\000$hdr\003\000\001\000\000\000\000\000\000\000${z32}no\033]52\000$z200" |
		head -c 249 >"$corpus/seed-error"
	printf "\002$hdr\004\000\000\000\000\000\002\000\000\000\004\004\070\025\001\000\000\000$z8$z8${z8}$z200" \
		>"$corpus/seed-fds"
	# A netlink answer: an ACK (NLMSG_ERROR, error 0) for seq 6.
	printf '\044\000\000\000\002\000\000\000\006\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' \
		>"$corpus/seed-ack"
	cat >"$out/netproto.dict" <<'DICT'
"csbn"
"\x02\x00"
"\x04\x00"
"\x00\x00\x00\x00"
"\x02\x00\x00\x00"
"\xff\xff\xff\xff"
DICT
}

# Names and paths as the sandbox may choose them: escapes, quotes, a
# line separator, invalid UTF-8 (overlong, surrogate, truncated).
seed_events() {
	corpus=$1
	printf '\005a.example\tb"c\\d\n' >"$corpus/seed-escapes"
	printf '\003caf\303\251 \342\200\250 \360\237\230\200 \300\257 \355\240\200 \342\202' \
		>"$corpus/seed-utf8"
	printf '\000x","event":"exit","status":0}\n{"v":1' >"$corpus/seed-inject"
	cat >"$out/events.dict" <<'DICT'
"\\"
"\""
"\x0a"
"\x1b"
"\x7f"
"\xc0\xaf"
"\xed\xa0\x80"
"\xe2\x80\xa8"
"\xf4\x90\x80\x80"
"\xef\xbf\xbd"
DICT
}

# Session packets: an EXEC with a directory, arguments and settings, one
# with none, a SIGNAL, an EXIT, a CONN, and a wrong version.
seed_sessproto() {
	corpus=$1
	# hdr TYPE LEN ARG: the 16-byte header, little-endian (x86, arm64).
	oct() { printf '\\%03o' "$1"; }
	hdr() {
		# shellcheck disable=SC2059 # the format is built from octal escapes
		printf "ccsb\\001\\000$(oct "$1")\\000$(oct $(($2 % 256)))$(oct $(($2 / 256)))\\000\\000$(oct "$3")\\000\\000\\000"
	}
	{
		hdr 2 32 0
		printf '\000\000\000\000\002\000\000\000\001\000\000\000\000\000\000\000'
		printf '/proj\000sh\000-c\000A=1\000'
	} >"$corpus/seed-exec"
	{
		hdr 2 19 0
		printf '\001\000\000\000\001\000\000\000\000\000\000\000\000\000\000\000\000x\000'
	} >"$corpus/seed-exec-tty"
	hdr 4 0 15 >"$corpus/seed-signal"
	hdr 5 0 127 >"$corpus/seed-exit"
	hdr 1 0 0 >"$corpus/seed-conn"
	printf 'ccsb\002\000\003\000\000\000\000\000\000\000\000\000' >"$corpus/seed-version"
	cat >"$out/sessproto.dict" <<'DICT'
"ccsb"
"\x01\x00"
"\x00"
"="
"/"
"\x00\x01\x00\x00"
"\x00\x04\x00\x00"
"\xff\xff\xff\xff"
DICT
}

# Lines of a session's log: each event's shape, escapes, a rotation's
# counts, nesting.
seed_sesslog() {
	corpus=$1
	printf '{"v":1,"seq":2,"time":"2026-12-03T11:36:44.854Z","event":"dns_refused","name":"a\\u001b\\u009b\\ud83d\\ude00","qtype":1}' >"$corpus/seed-refused"
	printf '{"v":1,"seq":9,"time":"x","event":"log_rotated","lines":9,"counts":{"start":1,"dns_refused":8},"recent":{"dns_refused":[{"time":"2026-12-03T11:36:44.854Z","name":"a.example","qtype":1}],"report":[{"time":"t","source":"guard","text":"x"}]}}' >"$corpus/seed-rotated"
	printf '{"seq":3,"event":"report","source":"guard","text":"q\\"x","extra":[1,-2.5e3,{"a":null},true]}' >"$corpus/seed-report"
	printf '{"seq":4,"event":"exit","status":null,"duration_ms":5}' >"$corpus/seed-exit"
	cat >"$out/sesslog.dict" <<'DICT'
"{"
"}"
"["
"]"
"\"seq\":"
"\"event\":"
"\"counts\":{"
"\"recent\":{"
"\"log_rotated\""
"\\u"
"\\ud800"
"\\udc00"
"\xc2\x9b"
DICT
}

# run NAME SECONDS MAXLEN: returns the fuzzer's status.
run() {
	name=$1
	corpus=$out/corpus-$name
	mkdir -p "$corpus"
	case $name in
	allowlist) seed_allowlist "$corpus" ;;
	dns) seed_dns "$corpus" ;;
	gitconfig) seed_gitconfig "$corpus" ;;
	sshagent) seed_sshagent "$corpus" ;;
	gitcred) seed_gitcred "$corpus" ;;
	dbus) seed_dbus "$corpus" ;;
	state-merge) seed_state_merge "$corpus" ;;
	registries) seed_registries "$corpus" ;;
	escfilter) seed_escfilter "$corpus" ;;
	netproto) seed_netproto "$corpus" ;;
	events) seed_events "$corpus" ;;
	sessproto) seed_sessproto "$corpus" ;;
	sesslog) seed_sesslog "$corpus" ;;
	esac
	echo "fuzzing $name for ${2}s ($out/fuzz-$name)"
	# libFuzzer reports a crash with 77 by default, which reads as a skip.
	set -- -max_total_time="$2" -max_len="$3" -timeout=10 -rss_limit_mb=2048 \
		-error_exitcode=1 -timeout_exitcode=1 \
		-dict="$out/$name.dict" -artifact_prefix="$out/$name-" -print_final_stats=1
	if [ "$jobs" -gt 1 ]; then
		# Workers log to fuzz-N.log in the current directory.
		set -- "$@" -jobs="$jobs" -workers="$jobs"
	fi
	# The log is kept per target; only a failing target's is printed, so
	# that the end of CI's output names the finding.
	(cd "$out" && "$out/fuzz-$name" "$@" "$corpus") >"$out/$name.log" 2>&1
}

# report NAME: what a failed run found, and its reproducer.
report() {
	echo "---- $1: end of $out/$1.log"
	grep -n -m 5 -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|ALARM|out-of-memory|deadly signal' \
		"$out/$1.log" || true
	tail -n 30 "$out/$1.log"
	for f in "$out/$1"-*; do
		[ -f "$f" ] || continue
		echo "---- reproducer $f ($(wc -c <"$f") bytes), base64:"
		head -c 4096 "$f" | base64
	done
}

ntargets=0
for t in $targets; do
	case $t in
	allowlist) build allowlist allowlist.c error.c ;;
	dns) build dns dns.c allowlist.c error.c ;;
	gitconfig) build gitconfig gitconfig.c ;;
	sshagent) build sshagent sshagent.c ;;
	gitcred) build gitcred gitcred.c allowlist.c error.c ;;
	dbus) build dbus dbus.c ;;
	state-merge)
		# tools/state-merge.c, with json-c (ccsb-state's merge).
		# shellcheck disable=SC2086 # word splitting of the flags is intended
		libs=$(pkg-config --libs json-c) || exit 77
		cflags="-I$src/tools $(pkg-config --cflags json-c)"
		build state-merge ../tools/state-merge.c
		libs= cflags=
		;;
	registries) build registries ../tools/registries.c ;;
	escfilter) build escfilter escfilter.c ;;
	netproto) build netproto netproto.c rtnl.c ;;
	events) build events json.c ;;
	sessproto) build sessproto sessproto.c ;;
	sesslog) build sesslog sesslog.c ;;
	*)
		echo "$0: unknown fuzz target '$t'" >&2
		exit 2
		;;
	esac
	ntargets=$((ntargets + 1))
done
share=$((seconds / (ntargets > 0 ? ntargets : 1)))
[ "$share" -gt 0 ] || share=1

status=0
for t in $targets; do
	case $t in
	# past the 4096-byte line limit so that both sides of it are reached
	allowlist) maxlen=9000 ;;
	# a UDP-sized message or two; longer TCP messages add little
	dns) maxlen=4096 ;;
	# a hand-written global configuration
	gitconfig) maxlen=4096 ;;
	# a few messages; the 256 KiB limit is checked on the length field
	sshagent) maxlen=4096 ;;
	# past the 8 KiB request limit
	gitcred) maxlen=9000 ;;
	state-merge) maxlen=8192 ;;
	registries) maxlen=4096 ;;
	# a few replies and signals back to back
	dbus) maxlen=4096 ;;
	# past the filter's 512-byte hold, so that overflow is reached
	escfilter) maxlen=2048 ;;
	# a message, a request with a few prefixes, a netlink answer
	netproto) maxlen=1024 ;;
	# names and paths: a DNS name is 253 bytes, a path 4096
	events) maxlen=4200 ;;
	# many short strings; the 64 KiB payload limit is checked on the length
	sessproto) maxlen=4096 ;;
	# a start line with its writable paths; the line limit is the caller's
	sesslog) maxlen=4096 ;;
	esac
	set +e
	run "$t" "$share" "$maxlen"
	rc=$?
	set -e
	grep -h -E '^(Done|stat::(number_of_executed_units|peak_rss_mb))' "$out/$t.log" | tr '\n' ' '
	echo
	if [ "$rc" -ne 0 ]; then
		failed="${failed-} $t"
		status=$rc
	fi
done
# Findings last, so that the end of the output (all CI shows) names them.
for t in ${failed-}; do
	report "$t"
	echo "$0: the $t fuzzer found a problem; reproducers in $out/$t-*"
done
echo "fuzz: $ntargets targets, ${share}s each; failed:${failed- none}"
exit "$status"
