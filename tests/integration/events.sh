#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The event stream (--events=FILE|fd:N), with real sandboxes in the test's
# own network namespace (tests/lib/netns.sh): dnsmasq on 198.51.100.53 is
# the upstream resolver. Every line written is validated against
# docs/events.schema.json with python3-jsonschema, and its seq numbers and
# "dropped" counts are checked to add up.
. "$top_srcdir/tests/lib/netns.sh"
: "${CCSB:?}" "${CCSB_EXEC_HELPER:?}"
command -v slirp4netns >/dev/null 2>&1 || netns_skip "slirp4netns not found (apt-get install slirp4netns)"
command -v dnsmasq >/dev/null 2>&1 || netns_skip "dnsmasq not found (apt-get install dnsmasq-base)"
command -v git >/dev/null 2>&1 || netns_skip "git not found (apt-get install git)"
PY=/usr/bin/python3
"$PY" -c 'import jsonschema' 2>/dev/null ||
	netns_skip "python3-jsonschema not found (apt-get install python3-jsonschema)"
netns_need_tun

. "$top_srcdir/tests/lib/check.sh"

D=$(mktemp -d /tmp/ccsb-events.XXXXXX)
chmod 755 "$D"
trap 'netns_cleanup; rm -rf "$D"' EXIT
netns_user_dir "$D/home" "$D/proj" "$D/out"
SCHEMA=$top_srcdir/docs/events.schema.json

netns_dnsmasq "$D" --address=/allowed.example.test/198.51.100.1 || {
	echo "FAIL - dnsmasq did not start"
	exit 1
}

# validate FILE [nostart]: every line valid against the schema, one object
# a line, seq from 1 with every gap accounted for by the "dropped" field of
# the line after it and by the exit line's total, the first line the start
# event (unless nostart) and the last the exit event.
# Prints "valid N" or the problems.
cat >"$D/validate.py" <<'EOF_PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
data = open(sys.argv[2], "rb").read()
problems = []
if not data.endswith(b"\n"):
    problems.append("does not end with a newline")
lines = data.split(b"\n")[:-1]
objs = []
for i, raw in enumerate(lines):
    try:
        o = json.loads(raw.decode("utf-8"))
    except Exception as e:
        problems.append("line %d: not one JSON object: %r (%s)" % (i + 1, raw[:80], e))
        continue
    for e in v.iter_errors(o):
        problems.append("line %d: %s" % (i + 1, e.message))
    objs.append(o)
if "log" in sys.argv[3:]:
    # A session's log (ccsb events): schema only; seq may restart at a
    # log_rotated line, and the run may not be over.
    for p in problems[:10]:
        print(p)
    if not problems:
        print("valid", len(objs))
    sys.exit(0)
# A gap before a line is what its "dropped" says; the exit line's
# "dropped" is the run's total.
expect, gaps = 1, 0
for o in objs:
    seq = o.get("seq", 0)
    gap = seq - expect if seq > expect else 0
    if seq < expect:
        problems.append("seq %d after %d" % (seq, expect - 1))
    gaps += gap
    expect = seq + 1
    if o.get("event") != "exit" and o.get("dropped", 0) != gap:
        problems.append("seq %d: a gap of %d, dropped %s" % (seq, gap, o.get("dropped")))
if objs:
    if "nostart" not in sys.argv[3:] and objs[0].get("event") != "start":
        problems.append("the first line is not the start event")
    last = objs[-1]
    if last.get("event") != "exit":
        problems.append("the last line is not the exit event")
    elif gaps != last.get("dropped"):
        problems.append("gaps %d, exit dropped %s" % (gaps, last.get("dropped")))
else:
    problems.append("no line")
for p in problems[:10]:
    print(p)
if not problems:
    print("valid", len(objs))
EOF_PY
valid() { "$PY" "$D/validate.py" "$SCHEMA" "$@"; }
# ev FILE EXPR [ARG...]: print the Python expression EXPR over `e`, the
# file's events in order, and `a`, the ARGs.
ev() {
	"$PY" -c 'import json, sys
e = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
a = sys.argv[3:]
print(eval("(" + sys.argv[2] + ")"))' "$@"
}

# Inside: "dns NAME" (UDP query, prints the rcode), "getaddr NAME",
# "flood N" (N refused queries for long names, one after the other),
# "write FD" (whether FD can be written), "say WORD", "touch FILE",
# "waitfile FILE" (until it exists), "open PATH" (ok or the errno).
cat >"$D/proj/probe.py" <<'EOF_PY'
import os, random, socket, struct, sys, time
ns = [l.split()[1] for l in open("/etc/resolv.conf") if l.startswith("nameserver")][0]
def ask(name):
    q = struct.pack(">HHHHHH", random.getrandbits(16), 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode("latin-1")
    q += b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(q, (ns, 53))
    a = s.recv(4096)
    s.close()
    return a[3] & 15
args = sys.argv[1:]
while args:
    op = args.pop(0)
    if op == "dns":
        name = args.pop(0)
        print("dns", ask(name), flush=True)
    elif op == "getaddr":
        name = args.pop(0)
        try:
            print("getaddr", socket.gethostbyname(name), flush=True)
        except OSError:
            print("getaddr ERROR", flush=True)
    elif op == "flood":
        n, ok = int(args.pop(0)), 0
        for i in range(n):
            ok += ask("%05d%s.%s.%s.flood.test" % (i, "f" * 55, "g" * 60, "h" * 60)) == 5
        print("flood", ok, flush=True)
    elif op == "write":
        fd = int(args.pop(0))
        try:
            os.write(fd, b'{"v":1,"seq":99,"event":"exit","status":0}\n')
            print("write ok", flush=True)
        except OSError as e:
            print("write", e.errno, flush=True)
    elif op == "say":
        print(args.pop(0), flush=True)
    elif op == "touch":
        open(args.pop(0), "w").close()
    elif op == "waitfile":
        name = args.pop(0)
        while not os.path.exists(name):
            time.sleep(0.1)
    elif op == "open":
        try:
            os.close(os.open(args.pop(0), os.O_RDONLY))
            print("open ok", flush=True)
        except OSError as e:
            print("open", e.errno, flush=True)
EOF_PY
chmod 644 "$D/proj/probe.py"

run() {
	(cd "$D/proj" && as_user env -i PATH=/usr/bin:/bin HOME="$D/home" TERM=dumb LANG=C.UTF-8 \
		XDG_RUNTIME_DIR="$D/run" CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
		CCSB_ALLOWLIST="$CCSB_ALLOWLIST" "$CCSB" "$@")
}
# The named sessions' directory (XDG_RUNTIME_DIR/ccsb), the user's own.
netns_user_dir "$D/run"
chmod 700 "$D/run"

# ---- start and exit, the default policy (allowlist mode) -------------
run --events="$D/out/a.jsonl" -- sh -c 'exit 7' </dev/null 2>"$D/err"
st=$?
check "--events=FILE: the run's status is the command's (7: $st)" 'test "$st" = 7'
echo "    $(valid "$D/out/a.jsonl")"
check "the stream validates: start first, exit last, nothing lost" \
	'test "$(valid "$D/out/a.jsonl")" = "valid 2"'
a_start() {
	ev "$D/out/a.jsonl" 'e[0]["command"] == ["sh", "-c", "exit 7"] and e[0]["net"] == "allowlist"
and e[0]["allow"]["prefixes"] > 0 and a[0] + "/proj" in e[0]["writable"]
and e[0]["pid"] > 1 and e[0]["sandbox_pid"] > 1 and e[0]["seccomp"] is True' "$D"
}
check "start: the command, the default network mode and allowlist, the project writable, the pids" \
	'test "$(a_start)" = True'
a_exit() {
	ev "$D/out/a.jsonl" 'e[1]["status"] == 7 and e[1]["duration_ms"] >= 0 and e[1]["peak_rss"] > 0
and e[1]["peak_rss_source"] == "rusage" and e[1]["dropped"] == 0 and "error" not in e[1]'
}
check "exit: status 7, a duration, a peak RSS from rusage, nothing dropped" 'test "$(a_exit)" = True'
check "the file is the user's only (0600)" 'test "$(stat -c %a "$D/out/a.jsonl")" = 600'
run -q --net=none --events="$D/out/a.jsonl" -- true </dev/null
a_again() {
	ev "$D/out/a.jsonl" '[x["event"] for x in e] == ["start", "exit", "start", "exit"]
and e[2]["net"] == "none" and e[2]["seq"] == 1'
}
check "FILE is appended to: a second run adds its own start and exit, seq from 1, --net=none" \
	'test "$(a_again)" = True'
check "start: no session field without --name" \
	'test "$(ev "$D/out/a.jsonl" "\"session\" not in e[0] and \"session\" not in e[2]")" = True'
run -q --net=none --name=ev-named.1 --events="$D/out/named.jsonl" -- true </dev/null
check "start: a named session's name (--name=ev-named.1), and the line validates" \
	'test "$(valid "$D/out/named.jsonl")" = "valid 2" && test "$(ev "$D/out/named.jsonl" "e[0][\"session\"]")" = ev-named.1'

# ---- DNS refused, route added ----------------------------------------
run -q --no-default-allowlist --allow=allowed.example.test --events="$D/out/dns.jsonl" -- \
	$PY probe.py dns refused.example.test getaddr allowed.example.test \
	dns 'q"uote\back.example.test' </dev/null >"$D/out/dns.out" 2>"$D/err"
sed 's/^/    /' "$D/out/dns.out"
echo "    $(valid "$D/out/dns.jsonl")"
check "DNS: the stream validates" 'valid "$D/out/dns.jsonl" | grep -q "^valid "'
check "DNS: events in the order things happened: start, refusal, name bound, refusal, exit" \
	'test "$(ev "$D/out/dns.jsonl" "\" \".join(x[\"event\"] for x in e)")" = "start dns_refused name_bound dns_refused exit"'
dns_refused() {
	ev "$D/out/dns.jsonl" '[(x["name"], x["qtype"]) for x in e if x["event"] == "dns_refused"] ==
[("refused.example.test", 1), ("q\\034uote\\092back.example.test", 1)]'
}
check "dns_refused: each refused name and its type; a quote and a backslash stay inside the string" \
	'test "$(dns_refused)" = True'
dns_route() {
	ev "$D/out/dns.jsonl" '[(x["name"], x["address"][:7], x["addresses"]) for x in e if x["event"] == "name_bound"] ==
[("allowed.example.test", "198.18.", ["198.51.100.1"])]'
}
check "name_bound: the allowed name, its synthetic address and the address it opens" 'test "$(dns_route)" = True'

# ---- the persistence guard's actions ----------------------------------
rm -rf "$D/proj/repo"
git init -q "$D/proj/repo"
[ -n "${NETNS_OUTER_UID-}" ] || chown -R "$NETNS_UID:$NETNS_GID" "$D/proj/repo"
run -q --net=none -- true </dev/null
# A repository planted inside, in a directory whose name holds a newline,
# a quote and invalid UTF-8: the guard quarantines its config at the end.
run -q --net=none --events="$D/out/guard.jsonl" -- sh -c '
d=$(printf "ev\"il\nna\377me")
mkdir -p "repo/$d" && git init -q "repo/$d" && git -C "repo/$d" config core.fsmonitor "touch /tmp/x"' \
	</dev/null 2>"$D/err"
sed 's/^/    stderr: /' "$D/err"
echo "    $(valid "$D/out/guard.jsonl")"
check "guard: the stream validates" 'valid "$D/out/guard.jsonl" | grep -q "^valid "'
guard_ev() {
	ev "$D/out/guard.jsonl" '[x["text"].split(" -> ")[0] for x in e if x["event"] == "report"
and x["source"] == "guard"]' "$D"
}
printf "    guard reports: %s\n" "$(guard_ev)"
guard_quarantine() {
	ev "$D/out/guard.jsonl" 'any(x["event"] == "report" and x["source"] == "guard" and
x["text"].startswith("quarantined: " + a[0] + "/proj/repo/ev\"il\nna\ufffdme/.git/config -> ")
for x in e)' "$D"
}
check "guard: the quarantine is a report event from the guard, its path whole and escaped" \
	'test "$(guard_quarantine)" = True'
check "guard: the exit report on stderr says the same (control characters replaced)" \
	'LC_ALL=C grep -aq "quarantined: $D/proj/repo/ev\"il?na.me/.git/config -> " "$D/err"'
check "guard: every item of the exit report is an event, and exit counts them" \
	'test "$(ev "$D/out/guard.jsonl" "len([x for x in e if x[\"event\"] == \"report\"]) == e[-1][\"reported\"] > 0")" = True &&
	 test "$(grep -c "^ccsb:   " "$D/err")" = "$(ev "$D/out/guard.jsonl" "e[-1][\"reported\"]")"'

# ---- fd:N --------------------------------------------------------------
run -q --net=none --events=fd:3 -- $PY probe.py write 3 3>"$D/out/fd.jsonl" >"$D/out/fd.out" </dev/null
echo "    $(cat "$D/out/fd.out")"
check "fd:3: start and exit reach the descriptor" 'test "$(valid "$D/out/fd.jsonl")" = "valid 2"'
check "the sandbox cannot write to the events descriptor: no forged line" \
	'! grep -q "\"seq\":99" "$D/out/fd.jsonl"'
run -q --net=none --events=fd:7 -- true </dev/null 2>"$D/err"
st=$?
check "fd:7 not open: status 125 and a message naming the fix ($(cat "$D/err"))" \
	'test "$st" = 125 && grep -q "descriptor 7 is not open for writing; open it in the shell" "$D/err"'
run -q --net=none --events=fd:x -- true </dev/null 2>"$D/err"
st=$?
check "fd:x: refused ($(cat "$D/err"))" 'test "$st" = 125 && grep -q "fd:x: not a descriptor number" "$D/err"'

# ---- a named session's own log: ccsb ps, ccsb events ---------------------
# A named session keeps its events beside its socket for `ccsb ps` and
# `ccsb events`, also when --events is given (both get every line). The
# sandbox floods the resolver with 2500 refused names (~750 KB of lines:
# past the bound of the two files, 512 KiB), binds an allowed one, then waits while the
# host reads.
cx() { run "$@"; }
run -q --no-default-allowlist --allow=allowed.example.test --name=evs \
	--events="$D/out/evs.jsonl" -- $PY probe.py dns refused.example.test \
	getaddr allowed.example.test flood 2500 open "$D/run/ccsb/evs.events" touch flooded \
	waitfile go-on </dev/null >"$D/out/evs.out" 2>"$D/out/evs.err" &
evs_pid=$!
i=0
while [ $i -lt 1200 ] && [ ! -e "$D/proj/flooded" ] && kill -0 $evs_pid 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
sed 's/^/    /' "$D/out/evs.out" "$D/out/evs.err"
check "named session: the flood ran (2500 refused) and the session waits" \
	'grep -qx "flood 2500" "$D/out/evs.out" && kill -0 $evs_pid'
check "inside: the session's log cannot be opened (the session directory is not mounted)" \
	'grep -qx "open 2" "$D/out/evs.out"'
cx ps >"$D/out/ps.out" 2>&1
cx ps -v >"$D/out/psv.out" 2>&1
sed 's/^/    /' "$D/out/psv.out"
check "ccsb ps: the session's events: 2501 names refused, 1 bound" \
	'grep -E "^evs .* refused=2501 bound=1( |\$)" "$D/out/ps.out"'
check "ccsb ps -v: the last refused names, the bound name" \
	'grep -q "names refused: 2501, the last:" "$D/out/psv.out" && grep -qE "^      [0-9:]{8} 02499f+\.g+\.h+\.flood\.test\$" "$D/out/psv.out" && grep -qE "^      [0-9:]{8} allowed\.example\.test\$" "$D/out/psv.out"'
check "ccsb ps -v: says older lines were dropped and the counts are whole" \
	'grep -q "dropped to keep the log small; counts are whole" "$D/out/psv.out"'
ls -l "$D/run/ccsb" | sed 's/^/    /'
check "the log is bounded: NAME.events and NAME.events.1, each at most 256 KiB, mode 0600" \
	'test "$(stat -c %a "$D/run/ccsb/evs.events")" = 600 && test "$(stat -c %a "$D/run/ccsb/evs.events.1")" = 600 &&
	 test "$(stat -c %s "$D/run/ccsb/evs.events")" -le 262144 && test "$(stat -c %s "$D/run/ccsb/evs.events.1")" -le 262144'
cx events evs >"$D/out/evs-events.jsonl" 2>"$D/err"
echo "    ccsb events: $(valid "$D/out/evs-events.jsonl" log) ($(cat "$D/err"))"
check "ccsb events NAME: every line valid against the schema" \
	'valid "$D/out/evs-events.jsonl" log | grep -q "^valid "'
evs_rotated() {
	ev "$D/out/evs-events.jsonl" '[x for x in e if x["event"] == "log_rotated"] and (lambda r, i:
r["lines"] + len(e) - i - 1 == e[-1]["seq"] and r["counts"]["dns_refused"] + len([x for x in e[i+1:] if x["event"] == "dns_refused"]) == 2501
)([x for x in e if x["event"] == "log_rotated"][-1], [k for k, x in enumerate(e) if x["event"] == "log_rotated"][-1])'
}
check "ccsb events: a log_rotated line whose counts and the lines after it add up to the whole" \
	'test "$(evs_rotated)" = True'
check "ccsb events: the lines are those of --events=FILE, byte for byte (both got them)" \
	'grep -v "\"event\":\"log_rotated\"" "$D/out/evs-events.jsonl" >"$D/out/evs-events.norot" && test -s "$D/out/evs-events.norot" &&
	 test "$(grep -cvxFf "$D/out/evs.jsonl" "$D/out/evs-events.norot")" = 0'
check "ccsb events: the last line kept is the last refused name" \
	'tail -n 1 "$D/out/evs-events.jsonl" | grep -q "\"event\":\"dns_refused\",\"name\":\"02499f"'
# Follow: started now, it prints what is there and then the rest, and ends
# with the session.
cx events --follow evs >"$D/out/evs-follow.jsonl" 2>"$D/out/evs-follow.err" &
follow_pid=$!
i=0
while [ $i -lt 300 ] && ! grep -q '"name":"02499f' "$D/out/evs-follow.jsonl" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
: >"$D/proj/go-on"
wait $evs_pid
st=$?
wait $follow_pid
fst=$?
echo "    follow: $(valid "$D/out/evs-follow.jsonl" log), last: $(tail -n 1 "$D/out/evs-follow.jsonl" | cut -c1-100)"
check "named session with --events: ccsb's status is the command's (0: $st)" 'test "$st" = 0'
check "ccsb events --follow ends by itself with the session (0: $fst), its last line the exit" \
	'test "$fst" = 0 && test "$(ev "$D/out/evs-follow.jsonl" "e[-1][\"event\"] == \"exit\" and e[-1][\"status\"] == 0")" = True'
check "--events=FILE of the named session: complete and valid (start, 2502 more, exit)" \
	'test "$(valid "$D/out/evs.jsonl")" = "valid 2504" && test "$(ev "$D/out/evs.jsonl" "e[0][\"session\"]")" = evs'
check "the session's end removes its log" \
	'! ls "$D/run/ccsb" | grep -q "^evs\."'
cx events evs >/dev/null 2>"$D/err"
st=$?
check "ccsb events of a session that ended: 125 and why ($(cat "$D/err"))" \
	'test "$st" = 125 && grep -q "no sandbox named .evs. is running" "$D/err"'

# ---- a reader that never reads -----------------------------------------
# The events go to a pipe of 4 KiB nobody reads while the sandbox floods
# the resolver with refused names (~300 bytes a line, 1500 lines: past the
# pipe and the 256 KiB queue). The sandbox must finish anyway; the reader
# starts reading once the command has said "done", and must then find the
# exit event with dropped > 0, every gap accounted for.
cat >"$D/slow.py" <<'EOF_PY'
import fcntl, os, subprocess, sys
r, w = os.pipe()
fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ
os.dup2(w, 5)
os.close(w)
p = subprocess.Popen(sys.argv[2:], pass_fds=(5,), stdout=subprocess.PIPE)
os.close(5)
out = b""
while b"done\n" not in out:
    chunk = p.stdout.readline()
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode())
with open(sys.argv[1], "wb") as f:
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        f.write(b)
p.stdout.read()
print("status", p.wait())
EOF_PY
if [ -n "${NETNS_OUTER_UID-}" ]; then
	set -- unshare --user --map-user="$NETNS_OUTER_UID" --map-group="$NETNS_OUTER_GID" --
else
	set -- setpriv --reuid="$NETNS_UID" --regid="$NETNS_GID" --clear-groups --
fi
out=$(cd "$D/proj" && timeout 300 "$PY" "$D/slow.py" "$D/out/slow.jsonl" "$@" \
	env -i PATH=/usr/bin:/bin HOME="$D/home" TERM=dumb CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" \
	"$CCSB" -q --no-default-allowlist --allow=allowed.example.test --events=fd:5 -- \
	$PY probe.py flood 1500 say done </dev/null 2>"$D/err")
echo "$out" | sed 's/^/    /'
echo "    $(valid "$D/out/slow.jsonl")"
check "a reader that never reads: the sandbox still finished its 1500 queries" \
	'echo "$out" | grep -qx "flood 1500" && echo "$out" | grep -qx done'
check "... and ccsb exited with the command's status" 'echo "$out" | grep -qx "status 0"'
check "... the stream validates and every lost line is counted (gaps = dropped fields = exit's)" \
	'valid "$D/out/slow.jsonl" | grep -q "^valid "'
check "... the exit event says lines were dropped ($(ev "$D/out/slow.jsonl" "e[-1][\"dropped\"]"))" \
	'test "$(ev "$D/out/slow.jsonl" "e[-1][\"event\"] == \"exit\" and e[-1][\"dropped\"] > 0")" = True'

t_done
