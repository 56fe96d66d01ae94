#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Escape test suite: every probe runs a real attack inside a real ccsb
# sandbox and checks, from inside and from the host, that it failed. One
# line per probe:
#
#     ok - <probe>: <how it failed>
#     FAIL - <probe>: <what got through>      (details follow as "#" lines)
#
# Exit status: 1 if any attack succeeded, 0 otherwise, 77 (with a reason)
# only when the suite cannot run at all; with CI set, that is 1 instead.
#
# Isolation of the test itself (tests/lib/netns.sh): the script runs in its
# own network, mount and pid namespaces, so nothing here can send a packet
# anywhere real, every process it starts dies with it, and /tmp, /run/user
# and the /usr sentinel are tmpfs mounts that exist only in its mount
# namespace. As root the sandboxes run as uid $CCSB_TEST_UID (65534) with
# setpriv, as users run ccsb; one extra pass runs ccsb as root itself.
#
# Probes that need raw system calls use tests/security/probe.c, compiled
# here with ${CC:-cc}; without a compiler, tests/security/probe.py does the
# same through ctypes (x86_64 and aarch64).
#
# CCSB_ESCAPE_VERBOSE=1 prints every line each probe produced;
# CCSB_ESCAPE_PROBE=python uses probe.py even when a compiler exists.

# Re-run under bash when started as `sh escape.sh` (the test harness does).
if [ -z "${BASH_VERSION-}" ]; then
	exec bash "$0" "$@"
fi

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
# shellcheck source=../lib/netns.sh
. "$top_srcdir/tests/lib/netns.sh"

set -u
SRCDIR=$top_srcdir/tests/security
FAILURES=0
VERBOSE=${CCSB_ESCAPE_VERBOSE-}
START=$(date +%s)

# ---- reporting ------------------------------------------------------------

cannot_run() {
	if [ -n "${CI-}" ]; then
		echo "FAIL - setup: $*"
		exit 1
	fi
	netns_skip "$*"
}

ok() { echo "ok - $1: $2"; }

fail() {
	echo "FAIL - $1: $2"
	FAILURES=$((FAILURES + 1))
}

# join LINES: one line, "; " between entries, long lists shortened.
join() {
	awk 'NF { a[n++] = $0 } END {
		if (n == 0) exit
		m = n > 12 ? 10 : n
		for (i = 0; i < m; i++) printf "%s%s", (i ? "; " : ""), a[i]
		if (m < n) printf "; ... (%d more)", n - m
	}' <<<"$1"
}

# judge NAME OUTPUT: ESCAPED lines make the probe fail; without any DENIED
# line it did not run, which is a failure too (a probe must attack).
# Returns 0 when the probe passed.
judge() {
	local name=$1 out=$2 esc den rc=1
	esc=$(sed -n 's/^ESCAPED //p' <<<"$out")
	den=$(sed -n 's/^DENIED //p' <<<"$out")
	if [ -n "$esc" ]; then
		fail "$name" "$(join "$esc")"
	elif [ -z "$den" ]; then
		fail "$name" "the probe did not run: $(join "$(tail -n 3 <<<"$out")")"
	else
		ok "$name" "$(join "$den")"
		rc=0
	fi
	if [ $rc != 0 ] || [ -n "$VERBOSE" ]; then
		sed 's/^/#   /' <<<"$out"
	fi
	return $rc
}

# ---- setup ----------------------------------------------------------------

[ -n "${CCSB-}" ] && [ -x "$CCSB" ] || cannot_run "CCSB is not set to the built ccsb (run through make check)"
[ -n "${CCSB_EXEC_HELPER-}" ] && [ -x "$CCSB_EXEC_HELPER" ] ||
	cannot_run "CCSB_EXEC_HELPER is not set to the built ccsb-exec"
command -v "${CCSB_BWRAP:-bwrap}" >/dev/null 2>&1 || cannot_run "bwrap not found"
for t in setpriv timeout awk; do
	command -v "$t" >/dev/null 2>&1 || cannot_run "$t not found"
done
# The sandbox sees /usr only: its python must live there.
PY=
for p in /usr/bin/python3 /usr/local/bin/python3; do
	[ -x "$p" ] && PY=$p && break
done
[ -n "$PY" ] || cannot_run "python3 not found in /usr (the sandbox sees only /usr)"

ROOT=
[ "$(id -u)" = 0 ] && [ -z "${NETNS_OUTER_UID-}" ] && ROOT=1
if [ -n "${NETNS_OUTER_UID-}" ]; then
	AS_USER=(unshare --user --map-user="$NETNS_OUTER_UID" --map-group="$NETNS_OUTER_GID" --)
	SB_UID=$NETNS_OUTER_UID
else
	AS_USER=(setpriv --reuid="$NETNS_UID" --regid="$NETNS_GID" --clear-groups --)
	SB_UID=$NETNS_UID
fi
R=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')

# Host-side pids well above anything the sandboxes reach, so that a pid
# seen inside never names a host process by accident.
echo 40000 >/proc/sys/kernel/ns_last_pid 2>/dev/null

HOST_PIDS=()
CREATED=()
cleanup() {
	local p
	for p in "${HOST_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	# Files an escaped probe could have left on the real system.
	for p in "${CREATED[@]}"; do
		rm -f "$p" 2>/dev/null
	done
	# The private mounts below hide directories that exist on the host.
	for p in "${PRIVATE_DIRS[@]}"; do
		umount "$p" 2>/dev/null && rmdir "$p" 2>/dev/null
	done
	netns_cleanup
}
PRIVATE_DIRS=()
trap cleanup EXIT

# A private directory: everything the suite creates (including a
# setuid-root binary) lives on a tmpfs no other process on the machine can
# see, and vanishes with this mount namespace. Not all of /tmp: the build
# under test (and CI's checkout) may live there.
T=/tmp/ccsb-escape.$R
mkdir -p "$T" && PRIVATE_DIRS+=("$T") && mount -t tmpfs -o mode=0755 ccsb-escape "$T" ||
	cannot_run "cannot mount a private tmpfs on $T"
UHOME=$T/home        # the caller's HOME
PROJ=$T/proj         # the project directory (cwd of ccsb)
OUT=$T/outside       # a sibling of the project dir, writable by the user
BIN=$T/bin           # probe programs, bound read-only into the sandbox
HOSTD=$T/host        # root-only: listener logs
mkdir -p "$T" "$BIN" "$HOSTD" && chmod 755 "$T" "$BIN" && chmod 700 "$HOSTD"
netns_user_dir "$UHOME" "$PROJ" "$OUT"
chmod 700 "$UHOME"

# The probe program.
[ -r "$SRCDIR/probe.c" ] && [ -r "$SRCDIR/probe.py" ] ||
	cannot_run "$SRCDIR/probe.c or probe.py is missing (EXTRA_DIST?)"
PROBE=$BIN/probe
if [ "${CCSB_ESCAPE_PROBE-}" != python ] && command -v "${CC:-cc}" >/dev/null 2>&1 &&
	"${CC:-cc}" -O1 -o "$PROBE" "$SRCDIR/probe.c" 2>"$HOSTD/cc.log"; then
	PROBE_KIND=C
else
	[ -s "$HOSTD/cc.log" ] && sed 's/^/# cc: /' "$HOSTD/cc.log" | head -n 5
	printf '#!%s\n' "$PY" >"$PROBE"
	cat "$SRCDIR/probe.py" >>"$PROBE"
	PROBE_KIND=python
fi
chmod 755 "$PROBE"
echo "# probe: $PROBE_KIND; sandbox uid $SB_UID; $(if [ -n "$ROOT" ]; then echo "root pass: yes"; else echo "root pass: no (not root)"; fi)"

# Shell helpers for the scripts run inside, with the probe's line format.
cat >"$BIN/lib.sh" <<'EOF'
# why OUTPUT: the first line of an error message, without the program name.
why() { printf '%s\n' "$1" | sed -n '/./{p;q;}' | sed 's/^.*: \([^:]*\)$/\1/'; }
# try WHAT CMD...: CMD must fail.
try() {
	local_what=$1
	shift
	if local_out=$("$@" 2>&1 </dev/null); then
		echo "ESCAPED $local_what: succeeded${local_out:+ ($(printf '%s\n' "$local_out" | sed -n 1p))}"
	else
		local_rc=$?
		local_msg=$(why "$local_out")
		echo "DENIED $local_what: ${local_msg:-exit $local_rc}"
	fi
}
# try_write WHAT PATH: appending to PATH; the result is only INFO because a
# path that does not exist on a bind lands in the sandbox's own tmpfs root.
try_write() {
	if local_out=$( { printf 'pwned\n' >>"$2"; } 2>&1); then
		echo "W $2 written (inside)"
	else
		echo "W $2 $(why "$local_out")"
	fi
}
EOF

# Sentinels and secrets on the host.
echo "homesecret-$R" >"$UHOME/secret.txt"
mkdir -p "$UHOME/keep" "$UHOME/.claude" "$UHOME/.npm" "$UHOME/.ssh"
echo keep >"$UHOME/keep/sentinel"
echo "sshkey-$R" >"$UHOME/.ssh/id_ed25519"
echo keep >"$OUT/sentinel"
echo keep >"$T/marker" # only the host can see this one
ln -s "$UHOME/secret.txt" "$UHOME/.claude/link-to-secret"
ln -s "$UHOME" "$PROJ/x"
ln -s / "$PROJ/root"
ln -s "$OUT" "$PROJ/out"
echo gone >"$PROJ/project-file"
mkdir -p "$PROJ/sub" && echo gone >"$PROJ/sub/deep"
[ -n "$ROOT" ] && chown -R "$SB_UID:$NETNS_GID" "$UHOME" "$PROJ" "$OUT"
[ -n "$ROOT" ] && chown -h "$SB_UID:$NETNS_GID" "$UHOME/.claude/link-to-secret" "$PROJ/x" "$PROJ/root" "$PROJ/out"
chmod 600 "$UHOME/secret.txt" "$UHOME/.ssh/id_ed25519"

# A sentinel in /usr that the sandbox user may write by its permissions:
# only the read-only bind stands between it and the sandbox.
USR_SENT=
for d in /usr/local/games /usr/local/src /usr/games /usr/src /usr/local/share; do
	if [ -d "$d" ] && mount -t tmpfs -o mode=0755,size=64k ccsb-escape "$d" 2>/dev/null; then
		USR_SENT=$d/ccsb-escape-sentinel
		echo keep >"$USR_SENT"
		chmod 666 "$USR_SENT"
		[ -n "$ROOT" ] && chown "$SB_UID:$NETNS_GID" "$USR_SENT"
		break
	fi
done
[ -n "$USR_SENT" ] || echo "# no directory in /usr to plant a sentinel in; /usr checked by listing only"
# shellcheck disable=SC2034 # used by the rm -rf probe's eval
usr_before=$(ls -la /usr /usr/bin | md5sum)
# shellcheck disable=SC2034
etc_before=$(ls -la /etc | md5sum; md5sum /etc/passwd)

# A root-only secret where a real host keeps TLS keys (/etc/ssl is bound
# read-only into every sandbox).
ROOT_KEY=
if [ -n "$ROOT" ] && [ -d /etc/ssl/private ] &&
	mount -t tmpfs -o mode=0700,size=64k ccsb-escape /etc/ssl/private 2>/dev/null; then
	ROOT_KEY=/etc/ssl/private/ccsb-escape.key
	echo "rootkey-$R" >"$ROOT_KEY"
	chmod 600 "$ROOT_KEY"
fi

# Desktop and agent sockets the caller has, with their variables.
if [ -d /run/user ]; then
	mount -t tmpfs -o mode=0755 ccsb-escape /run/user
else
	mount -t tmpfs -o mode=0755 ccsb-escape /run && mkdir /run/user
fi
XDG=/run/user/$SB_UID
# The fake X11 socket goes on a private tmpfs over /tmp/.X11-unix, so a real
# X server's directory is never touched.
[ -d /tmp/.X11-unix ] || { mkdir /tmp/.X11-unix && PRIVATE_DIRS+=(/tmp/.X11-unix); }
mount -t tmpfs -o mode=1777 ccsb-escape /tmp/.X11-unix || cannot_run "cannot mount a private /tmp/.X11-unix"
mkdir -p "$XDG" "$T/ssh-agent"
[ -n "$ROOT" ] && chown "$SB_UID:$NETNS_GID" "$XDG" "$T/ssh-agent"
chmod 700 "$XDG" "$T/ssh-agent"
BUS=$XDG/bus
X11=/tmp/.X11-unix/X0
WAYLAND=$XDG/wayland-0
AGENT=$T/ssh-agent/agent.4242
PORT=$((20000 + 0x${R:0:3}))
ABSTRACT=ccsb-escape-$R
DESKTOP_ENV=(DBUS_SESSION_BUS_ADDRESS="unix:path=$BUS" DISPLAY=:0 WAYLAND_DISPLAY=wayland-0
	XDG_RUNTIME_DIR="$XDG" SSH_AUTH_SOCK="$AGENT" XAUTHORITY="$UHOME/.Xauthority")

# One listener for all of them: it logs the first bytes of every connection.
cat >"$HOSTD/listen.py" <<'EOF'
import os, select, socket, sys
log = open(sys.argv[1], "a", buffering=1)
socks = []
def add(s, name):
    s.listen(16)
    socks.append((s, name))
for spec in sys.argv[2:]:
    kind, _, addr = spec.partition(":")
    if kind == "tcp":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(addr)))
    elif kind == "abstract":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("\0" + addr)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(addr)
        os.chmod(addr, 0o777)
    add(s, spec)
os.write(3, b"ready\n")
os.close(3)
while True:
    r, _, _ = select.select([s for s, _ in socks], [], [])
    for s in r:
        name = dict((id(a), n) for a, n in socks)[id(s)]
        c, _ = s.accept()
        c.settimeout(2)
        try:
            data = c.recv(200)
        except OSError:
            data = b""
        log.write("%s %s\n" % (name, data.decode(errors="replace").strip()))
        c.close()
EOF
LISTEN_LOG=$HOSTD/listen.log
: >"$LISTEN_LOG"
mkfifo "$HOSTD/ready"
"$PY" "$HOSTD/listen.py" "$LISTEN_LOG" "path:$BUS" "path:$X11" "path:$WAYLAND" "path:$AGENT" \
	"abstract:$ABSTRACT" "abstract:/tmp/.X11-unix/X0" "tcp:$PORT" 3>"$HOSTD/ready" \
	</dev/null >"$HOSTD/listen.err" 2>&1 &
HOST_PIDS+=($!)
read -r ready <"$HOSTD/ready" || ready=
[ "$ready" = ready ] || cannot_run "socket listener did not start: $(cat "$HOSTD/listen.err")"

# connect.py TAG TARGET...: connect to each and send TAG; print the verdict
# in the probe format (inside) or CONNECTED/REFUSED (host control).
cat >"$BIN/connect.py" <<'EOF'
import errno, socket, sys
tag = sys.argv[1]
for t in sys.argv[2:]:
    kind, _, addr = t.partition(":")
    try:
        if kind == "tcp":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            target = ("127.0.0.1", int(addr))
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target = ("\0" + addr) if kind == "abstract" else addr
        s.settimeout(3)
        s.connect(target)
        s.sendall(tag.encode() + b"\n")
        s.close()
        print("ESCAPED connect %s: connected" % t if tag == "escape" else "CONNECTED %s" % t)
    except OSError as e:
        name = errno.errorcode.get(e.errno, str(e))
        print("DENIED connect %s: %s" % (t, name) if tag == "escape" else "REFUSED %s: %s" % (t, name))
EOF
chmod 644 "$BIN/connect.py" "$BIN/lib.sh"

# Host processes to hide: one as the sandbox's uid (nothing but the
# sandbox stops it from signalling or tracing that one), one as root.
# Secrets in their argv and environment.
HOST_NEEDLE=ccsb-escape-host-$R
start_host_sleep() {
	"$@" "$PY" -c 'import os, sys
os.execve("/bin/sleep", [sys.argv[1], "300"], {"CCSB_HOST_SECRET": sys.argv[2]})' \
		"$HOST_NEEDLE argvsecret-$R" "envsecret-$R" </dev/null >/dev/null 2>&1 &
	HOST_PIDS+=($!)
}
start_host_sleep "${AS_USER[@]}"
HOSTPID_U=${HOST_PIDS[-1]}
start_host_sleep
HOSTPID_R=${HOST_PIDS[-1]}
sleep 0.2

# ---- running sandboxes ----------------------------------------------------

HOST_PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin
BASE_ENV=(PATH="$HOST_PATH" HOME="$UHOME" TERM=dumb CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER")
[ -n "${CCSB_BWRAP-}" ] && BASE_ENV+=(CCSB_BWRAP="$CCSB_BWRAP")
[ -n "${CCSB_SLIRP4NETNS-}" ] && BASE_ENV+=(CCSB_SLIRP4NETNS="$CCSB_SLIRP4NETNS")

# sb [ENV=VALUE...] -- [CCSB OPTION...] CMD...: ccsb as the unprivileged
# user, from the project dir, no network, the probes bound read-only.
sb() {
	local env=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		env+=("$1")
		shift
	done
	shift
	(cd "$PROJ" && exec timeout -k 5 40 "${AS_USER[@]}" env -i "${BASE_ENV[@]}" \
		"${env[@]}" "$CCSB" -q --net=none --ro="$BIN" "$@")
}

# inside NAME: the body comes on stdin, written to $BIN/NAME.sh (read-only
# inside) so that no needle appears on a command line inside.
inside() {
	{
		echo "set +e"
		echo ". $BIN/lib.sh"
		echo "PROBE=$PROBE"
		cat
	} >"$BIN/$1.sh"
	chmod 644 "$BIN/$1.sh"
}

# The sandbox must run at all before any probe means anything.
if ! first=$(sb -- sh -c 'id -un' 2>&1) || [ "$first" != claude ]; then
	cannot_run "ccsb cannot run a sandbox here: $first"
fi

# ---- 1. read a secret in the host HOME ----------------------------------

inside read-home <<EOF
for p in "$UHOME/secret.txt" "$UHOME/.ssh/id_ed25519" \
	"/proc/1/root$UHOME/secret.txt" "/proc/self/root$UHOME/secret.txt" \
	"/proc/1/cwd/../home/secret.txt" "$PROJ/../home/secret.txt" ../home/secret.txt \
	../../../..$UHOME/secret.txt /home/claude/.claude/link-to-secret; do
	try "read \$p" cat "\$p"
done
for d in /home /tmp /run /etc "\$HOME"; do
	# The needle is split so that this script does not contain it.
	if grep -rqsF "home""secret-$R" "\$d" 2>/dev/null; then
		echo "ESCAPED found the secret under \$d"
	fi
done
echo "DENIED secret not found under /home /tmp /run /etc \$HOME"
EOF
out=$(sb -- sh "$BIN/read-home.sh" 2>&1)
judge "read a secret in the host HOME (direct, /proc/*/root, ../.., symlink in ~/.claude)" "$out"
READ_OK=$?
grep -q '^ESCAPED' <<<"$out" && READ_OK=1

# ---- 2. write outside the writable binds ---------------------------------

WRITE_TARGETS=("/usr/ccsb-escape-$R" "/etc/ccsb-escape-$R" "/etc/ssl/ccsb-escape-$R" "/ccsb-escape-$R"
	"/tmp/ccsb-escape-$R" "$OUT/sentinel" "$OUT/new-$R" "$UHOME/keep/sentinel" "$UHOME/new-$R"
	"/proc/1/root/ccsb-escape-$R" "$T/marker")
[ -n "$USR_SENT" ] && WRITE_TARGETS+=("$USR_SENT")
CREATED+=("/usr/ccsb-escape-$R" "/etc/ccsb-escape-$R" "/etc/ssl/ccsb-escape-$R" "/ccsb-escape-$R")
{
	for p in "${WRITE_TARGETS[@]}"; do
		printf 'try_write x "%s"\n' "$p"
	done
	printf 'mkdir -p "%s" 2>/dev/null; try_write x "%s"\n' "$OUT" "$OUT/new-$R"
} | inside write-out
# snapshot FILE...: content of each (or "absent"), for before/after.
snapshot() {
	local p
	for p in "$@"; do
		if [ -e "$p" ]; then printf '%s %s\n' "$p" "$(md5sum <"$p" | cut -c1-12)"; else printf '%s absent\n' "$p"; fi
	done
}
before=$(snapshot "${WRITE_TARGETS[@]}")
out=$(sb -- sh "$BIN/write-out.sh" 2>&1)
after=$(snapshot "${WRITE_TARGETS[@]}")
res=$(while read -r p state; do
	b=$(grep -F "$p " <<<"$before" | sed -n 1p | cut -d' ' -f2)
	inside=$(grep -F "W $p " <<<"$out" | sed -n '$p' | sed "s|^W $p ||")
	if [ "$b" != "$state" ]; then
		echo "ESCAPED $p changed on the host (inside: $inside)"
	elif [ "$inside" = "written (inside)" ]; then
		echo "DENIED $p: reached only the sandbox's private tmpfs"
	else
		echo "DENIED $p: ${inside:-not attempted}"
	fi
done <<<"$after")
# Read-only binds must refuse the write inside as well.
for p in "/usr/ccsb-escape-$R" "/etc/ssl/ccsb-escape-$R" ${USR_SENT:+"$USR_SENT"}; do
	grep -qF "W $p written" <<<"$out" && res+=$'\n'"ESCAPED $p writable inside (a read-only bind is not)"
done
judge "write outside the writable binds (/usr, /etc, /, sibling dir, home)" "$res"$'\n'"$(grep -v '^W ' <<<"$out")"
WRITE_OK=$?

# ---- 3. host processes: invisible, cannot be signalled --------------------

inside procs <<EOF
n=0
for d in /proc/[0-9]*; do
	n=\$((n + 1))
	c=\$(tr '\0' ' ' <"\$d/cmdline" 2>/dev/null)
	case \$c in *"$HOST_NEEDLE"*) echo "ESCAPED host process visible as \$d: \$c" ;; esac
done
echo "INFO \$n processes visible"
ps -eo args 2>/dev/null | grep -c . | sed 's/^/INFO ps lines: /'
case \$(ps -eo args 2>/dev/null) in *"$HOST_NEEDLE"*) echo "ESCAPED host process in ps" ;; esac
for pid in $HOSTPID_U $HOSTPID_R; do
	try "kill -0 host pid \$pid" kill -0 \$pid
	try "kill -KILL host pid \$pid" kill -KILL \$pid
done
echo "DENIED host processes not visible (\$n pids inside)"
# Everything this uid may signal: outside a pid namespace, the host's too.
kill -KILL -1
EOF
out=$(sb -- sh "$BIN/procs.sh" 2>&1)
for p in $HOSTPID_U $HOSTPID_R; do
	kill -0 "$p" 2>/dev/null || out+=$'\n'"ESCAPED host process $p was killed"
done
judge "host processes invisible and cannot be signalled (kill, kill -1)" "$out"

# ---- 4. ptrace -----------------------------------------------------------

inside ptrace <<EOF
\$PROBE ptrace $HOSTPID_U
if command -v strace >/dev/null; then
	try "strace -p $HOSTPID_U" timeout 5 strace -p $HOSTPID_U -o /dev/null
	if strace -f -o /dev/null true; then
		echo "INFO strace -f true inside works"
	else
		echo "ESCAPED nothing, but strace inside does not work (documented debugging path)"
	fi
else
	echo "INFO strace not installed: positive check skipped"
fi
EOF
out=$(sb -- sh "$BIN/ptrace.sh" 2>&1)
kill -0 "$HOSTPID_U" 2>/dev/null || out+=$'\n'"ESCAPED host process died"
judge "ptrace of a host process (same uid); strace inside works" "$out"

# ---- 5. TIOCSTI into the outer terminal ----------------------------------

cat >"$HOSTD/tty-harness.py" <<'EOF'
import os, pty, select, signal, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
deadline = time.time() + 40
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        if not d:
            break
        out += d
else:
    os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
EOF
INJECT="echo ccsbinj$R"
# The outer "shell": after ccsb exits it reads one line from the terminal,
# where anything pushed with TIOCSTI would be waiting.
out=$(cd "$PROJ" && "$PY" "$HOSTD/tty-harness.py" bash -c '"$@"; IFS= read -r -t 1 line; printf "AFTER:[%s]\n" "$line"' \
	outer "${AS_USER[@]}" env -i "${BASE_ENV[@]}" "$CCSB" -q --net=none --ro="$BIN" \
	"$PROBE" tiocsti "$INJECT"$'\n' 2>&1)
if grep -q "ccsbinj$R" <<<"$out" || ! grep -q '^AFTER:\[\]$' <<<"$out"; then
	out+=$'\n'"ESCAPED injected into the outer terminal"
fi
if [ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null)" = 0 ]; then
	out+=$'\n'"INFO dev.tty.legacy_tiocsti=0: the kernel refuses TIOCSTI without CAP_SYS_ADMIN anyway"
fi
judge "TIOCSTI into the outer terminal (fds 0-2, /dev/tty, high-bit command)" "$out"

# ---- 6. routes and interfaces --------------------------------------------

inside routes <<'EOF'
try "ip route add 198.51.100.0/24 dev lo" ip route add 198.51.100.0/24 dev lo
try "ip route add default dev lo" ip route add default dev lo
try "ip link set lo down" ip link set lo down
try "ip link set lo mtu 1280" ip link set lo mtu 1280
try "ip addr add 203.0.113.9/32 dev lo" ip addr add 203.0.113.9/32 dev lo
try "ip link add dummy" ip link add ccsbx0 type dummy
try "write /proc/sys/net/ipv4/ip_forward" sh -c 'cat /proc/sys/net/ipv4/ip_forward > /proc/sys/net/ipv4/ip_forward'
for i in $(ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
	[ "$i" = lo ] && continue
	try "ip link set $i down" ip link set "$i" down
	try "ip route add default dev $i" ip route add default dev "$i"
	try "ip route del (all routes via $i)" ip route flush dev "$i"
done
ip -o link show | sed 's/^/INFO link: /'
ip route show | sed 's/^/INFO route: /'
EOF
if command -v ip >/dev/null 2>&1; then
	out=$(sb -- sh "$BIN/routes.sh" 2>&1)
	# The allowlist mode has a real interface (tap0) and routes to defend;
	# it reaches nothing but this test's own network namespace.
	if allow_out=$(cd "$PROJ" && timeout -k 5 40 "${AS_USER[@]}" env -i "${BASE_ENV[@]}" \
		"$CCSB" -q --net=allowlist --no-default-allowlist --allow=198.51.100.1/32 \
		--ro="$BIN" sh "$BIN/routes.sh" 2>&1) && grep -q 'link: .*tap0' <<<"$allow_out"; then
		out+=$'\n'"$(sed 's/^\(DENIED\|ESCAPED\|INFO\) /\1 [allowlist] /' <<<"$allow_out")"
	else
		out+=$'\n'"INFO allowlist mode not available here ($(tail -n 1 <<<"$allow_out")): --net=none only"
	fi
	judge "change routes or interfaces (ip route/link/addr, sysctl)" "$out"
else
	fail "change routes or interfaces" "ip (iproute2) not installed"
fi

# ---- 7. raw and packet sockets -------------------------------------------

out=$(sb -- "$PROBE" rawsock 2>&1)
judge "raw (AF_INET/AF_INET6 SOCK_RAW) and packet (AF_PACKET) sockets" "$out"

# ---- 8. kernel modules ---------------------------------------------------

out=$(sb -- "$PROBE" module 2>&1)
[ -e /proc/modules ] || out+=$'\n'"INFO this kernel has no module support (/proc/modules absent)"
judge "load a kernel module (init_module, finit_module, delete_module)" "$out"

# ---- 9. nested user namespace --------------------------------------------

inside userns <<EOF
rewrite() { sed "s/^\(DENIED\|ESCAPED\|INFO\) /\1 \$1: /"; }
if unshare -Ur true 2>/dev/null; then
	echo "INFO nested user namespaces are allowed"
	try "userns root: ip link set lo down (sandbox netns)" unshare -Ur ip link set lo down
	try "userns root: ip route add (sandbox netns)" unshare -Ur ip route add 198.51.100.0/24 dev lo
	try "userns root: hostname (sandbox uts ns)" unshare -Ur hostname evil
	try "userns root: mount over the project (sandbox mount ns)" unshare -Ur mount -t tmpfs evil "$PROJ"
	try "userns root: remount /usr read-write" unshare -Ur mount -o remount,rw /usr
	try "userns root: setns into the sandbox netns" unshare -Ur nsenter --net=/proc/1/ns/net true
	unshare -Ur \$PROBE rawsock | rewrite "userns root"
	unshare -Ur \$PROBE mount /tmp | rewrite "userns root"
	# New namespaces of its own: allowed, but they must affect nothing else.
	unshare -Urmu sh -c 'hostname evil && mount -t tmpfs evil "$PROJ" && touch "$PROJ/in-tmpfs"' 2>/dev/null &&
		echo "INFO own new mount/uts namespaces: hostname and mount worked there"
	if [ "\$(hostname)" != ccsb ]; then echo "ESCAPED sandbox hostname changed to \$(hostname)"; else echo "DENIED sandbox hostname unchanged"; fi
	if [ -e "$PROJ/in-tmpfs" ] || [ ! -e "$PROJ/project-file" ]; then
		echo "ESCAPED the project dir changed under the sandbox"
	else
		echo "DENIED project dir unchanged for the sandbox"
	fi
else
	echo "DENIED nested user namespace: \$(unshare -Ur true 2>&1 | sed -n '\$p')"
	echo "INFO nested user namespaces are blocked"
fi
EOF
if command -v unshare >/dev/null 2>&1; then
	out=$(sb -- sh "$BIN/userns.sh" 2>&1)
	[ -e "$PROJ/in-tmpfs" ] && out+=$'\n'"ESCAPED the nested mount reached the host"
	[ "$(cat "$PROJ/project-file" 2>/dev/null)" = gone ] || out+=$'\n'"ESCAPED project-file changed on the host"
	if grep -q '^INFO nested user namespaces are blocked' <<<"$out"; then
		name="regain capabilities through a nested user namespace [unshare -Ur blocked]"
	else
		name="regain capabilities through a nested user namespace [unshare -Ur allowed; its caps do not own the sandbox's namespaces]"
	fi
	judge "$name" "$out"
else
	fail "regain capabilities through a nested user namespace" "unshare (util-linux) not installed"
fi

# ---- 10. abstract unix sockets and host loopback -------------------------

ctl=$("${AS_USER[@]}" "$PY" "$BIN/connect.py" control "abstract:$ABSTRACT" "tcp:$PORT" 2>&1)
out=$(sb -- python3 "$BIN/connect.py" escape "abstract:$ABSTRACT" "abstract:/tmp/.X11-unix/X0" "tcp:$PORT" 2>&1)
grep -q REFUSED <<<"$ctl" && out+=$'\n'"INFO host control could not connect either: $(join "$ctl")"
sleep 0.2
grep -q ' escape$' "$LISTEN_LOG" && out+=$'\n'"ESCAPED the host listener got: $(join "$(grep ' escape$' "$LISTEN_LOG")")"
judge "reach the host's abstract unix sockets and loopback (TCP 127.0.0.1)" "$out"

# ---- 11. D-Bus, X11, Wayland, ssh-agent ----------------------------------

ctl=$("${AS_USER[@]}" "$PY" "$BIN/connect.py" control "path:$BUS" "path:$X11" "path:$WAYLAND" "path:$AGENT" 2>&1)
inside desktop <<EOF
for v in DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY SSH_AUTH_SOCK XDG_RUNTIME_DIR XAUTHORITY; do
	eval "val=\\\${\$v-}"
	if [ -n "\$val" ]; then echo "ESCAPED \$v is set inside: \$val"; else echo "DENIED \$v: not set"; fi
done
python3 "$BIN/connect.py" escape "path:$BUS" "path:$X11" "path:$WAYLAND" "path:$AGENT"
EOF
out=$(sb "${DESKTOP_ENV[@]}" -- sh "$BIN/desktop.sh" 2>&1)
grep -q REFUSED <<<"$ctl" && out+=$'\n'"INFO host control could not connect either: $(join "$ctl")"
sleep 0.2
grep -q ' escape$' "$LISTEN_LOG" && out+=$'\n'"ESCAPED the host listener got: $(join "$(grep ' escape$' "$LISTEN_LOG")")"
judge "reach D-Bus, X11, Wayland, ssh-agent (sockets exist on the host, variables set)" "$out"

# ---- 12. environment of the caller ---------------------------------------

inside env <<EOF
for f in /proc/[0-9]*/environ; do
	case \$(tr '\0' '\n' <"\$f" 2>/dev/null) in
	*envtok-$R*) echo "ESCAPED a caller's variable is in \$f" ;;
	esac
done
case \$(env) in *envtok-$R*) echo "ESCAPED env shows a caller's variable" ;; esac
echo "DENIED SECRET_TOKEN, AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, ANTHROPIC_API_KEY, OPENAI_API_KEY not in env or any /proc/*/environ"
EOF
out=$(sb SECRET_TOKEN="envtok-$R" AWS_SECRET_ACCESS_KEY="envtok-$R-aws" GITHUB_TOKEN="envtok-$R-gh" \
	ANTHROPIC_API_KEY="envtok-$R-ant" OPENAI_API_KEY="envtok-$R-oai" -- sh "$BIN/env.sh" 2>&1)
judge "read a variable of the caller that was not passed" "$out"

# ---- 13. other processes' secrets in /proc; values on bwrap's argv -------

inside procsecrets <<EOF
for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do
	case \$(tr '\0' ' ' <"\$f" 2>/dev/null) in
	*argvsecret-$R* | *envsecret-$R*) echo "ESCAPED host secret readable in \$f" ;;
	esac
done
echo "DENIED no host process's cmdline or environ readable"
[ "\${CCSB_PROBE_VAL-}" = "bwrapsecret-$R" ] && echo "INFO --env value arrived inside"
echo started >"$PROJ/started"
i=0
while [ ! -e "$PROJ/scanned" ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
EOF
rm -f "$PROJ/started" "$PROJ/scanned"
sb -- --env=CCSB_PROBE_VAL="bwrapsecret-$R" sh "$BIN/procsecrets.sh" >"$HOSTD/procsecrets.out" 2>&1 &
sbpid=$!
for _ in $(seq 200); do
	[ -e "$PROJ/started" ] && break
	sleep 0.05
done
# Every process on this side while the sandbox runs: only ccsb's own
# argument (the user typed it) may hold the value.
scan=$("$PY" - "bwrapsecret-$R" <<'EOF'
import os, sys
needle = sys.argv[1]
seen = 0
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == os.getpid():
        continue
    try:
        args = open("/proc/%s/cmdline" % pid, "rb").read().decode(errors="replace").split("\0")
    except OSError:
        continue
    seen += 1
    for a in args:
        if needle in a and a != "--env=CCSB_PROBE_VAL=" + needle:
            print("ESCAPED --env value on the command line of pid %s: %s" % (pid, " ".join(args)[:200]))
            break
print("DENIED --env value on no command line but ccsb's own (%d processes scanned)" % seen)
EOF
)
[ -e "$PROJ/started" ] || scan="ESCAPED nothing, but the sandbox did not start in time"
touch "$PROJ/scanned"
wait "$sbpid"
out=$(cat "$HOSTD/procsecrets.out")$'\n'"$scan"
judge "read other processes' secrets in /proc/*/cmdline, environ; --env values on bwrap's argv" "$out"

# ---- 14. symlinks in the project dir pointing outside --------------------

inside symlinks <<EOF
try "read x/secret.txt (x -> host HOME)" cat x/secret.txt
try "read root$UHOME/secret.txt (root -> /)" cat "root$UHOME/secret.txt"
try "list x/ (host HOME)" ls x/
try_write x "out/sentinel"
try_write x "root/usr/ccsb-escape-$R"
try_write x "root/ccsb-escape-$R"
mkdir -p "root$OUT" 2>/dev/null
try_write x "root$OUT/new-$R"
try_write x "x/new-$R"
EOF
CREATED+=("/ccsb-escape-$R")
before=$(snapshot "$OUT/sentinel" "$OUT/new-$R" "/usr/ccsb-escape-$R" "/ccsb-escape-$R" "$UHOME/new-$R" "$UHOME/secret.txt")
out=$(sb -- sh "$BIN/symlinks.sh" 2>&1)
after=$(snapshot "$OUT/sentinel" "$OUT/new-$R" "/usr/ccsb-escape-$R" "/ccsb-escape-$R" "$UHOME/new-$R" "$UHOME/secret.txt")
if [ "$before" != "$after" ]; then
	out+=$'\n'"ESCAPED host files changed through the links: $(join "$(diff <(echo "$before") <(echo "$after") | grep '^>')")"
else
	out+=$'\n'"DENIED writes through out/, root/, x/: host unchanged ($(join "$(sed -n 's/^W //p' <<<"$out")"))"
fi
judge "escape via symlinks in the project dir (x -> ~, root -> /, out -> sibling)" "$(grep -v '^W ' <<<"$out")"

# ---- 15. leaked file descriptors -----------------------------------------

# The caller holds a directory, a connected socket and a writable file open
# (shells, IDEs and terminals leak such descriptors); none may reach the
# command.
cat >"$BIN/fds.py" <<'EOF'
import os
me = os.getpid()
leaked = 0
for pid in sorted((p for p in os.listdir("/proc") if p.isdigit()), key=int):
    try:
        fds = os.listdir("/proc/%s/fd" % pid)
    except OSError:
        continue
    for fd in sorted(fds, key=int):
        try:
            target = os.readlink("/proc/%s/fd/%s" % (pid, fd))
        except OSError:
            continue
        if int(fd) <= 2 or (int(pid) == me and target.startswith("/proc/")):
            continue
        leaked += 1
        print("ESCAPED inherited descriptor %s in pid %s -> %s" % (fd, pid, target))
for p in ("/proc/self/fd/40/secret.txt", "/proc/1/fd/40/secret.txt"):
    try:
        open(p).read()
        print("ESCAPED read the host HOME through an inherited directory fd (%s)" % p)
    except OSError as e:
        print("DENIED read %s: %s" % (p, os.strerror(e.errno)))
if not leaked:
    print("DENIED no descriptor beyond 0-2 reached the sandbox")
EOF
chmod 644 "$BIN/fds.py"
out=$(cd "$PROJ" && timeout -k 5 40 "${AS_USER[@]}" env -i "${BASE_ENV[@]}" "$PY" -c '
import os, socket, sys
d = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
os.dup2(d, 40)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[2])
os.dup2(s.fileno(), 41)
f = os.open(sys.argv[3], os.O_WRONLY | os.O_APPEND)
os.dup2(f, 42)
os.execv(sys.argv[4], sys.argv[4:])' "$UHOME" "$BUS" "$OUT/sentinel" \
	"$CCSB" -q --net=none --ro="$BIN" python3 "$BIN/fds.py" 2>&1)
judge "inherited file descriptors (a directory, a socket, a file held by the caller)" "$out"

# ---- 16. the caller's session keyring ------------------------------------

if [ "$PROBE_KIND" = C ] || "$PROBE" ids >/dev/null 2>&1; then
	out=$(cd "$PROJ" && timeout -k 5 40 "${AS_USER[@]}" "$PROBE" keyexec "ccsb-escape-$R" "keysecret-$R" \
		env -i "${BASE_ENV[@]}" "$CCSB" -q --net=none --ro="$BIN" "$PROBE" keyread "ccsb-escape-$R" 2>&1)
	judge "read a key in the caller's session keyring (keyctl)" "$out"
fi

# ---- 17. kernel surface: /proc/sys, /sys, /dev, mount, setuid, keyctl, bpf

SUID=
if [ -n "$ROOT" ] && [ "$PROBE_KIND" = C ]; then
	SUID=$BIN/probe-suid
	cp "$PROBE" "$SUID" && chown 0:0 "$SUID" && chmod 4755 "$SUID"
	host_suid=$("${AS_USER[@]}" "$SUID" ids 2>&1)
fi
inside kernel <<EOF
for f in /proc/sys/kernel/hostname /proc/sys/vm/swappiness /proc/sys/kernel/core_pattern \
	/proc/sys/net/ipv4/ip_forward /proc/sys/kernel/ns_last_pid; do
	[ -e "\$f" ] || continue
	# Write back the current value: harmless even if it got through.
	try "write \$f" sh -c 'v=\$(cat "\$1") && printf "%s\n" "\$v" > "\$1"' sh "\$f"
done
[ -e /proc/sysrq-trigger ] && try "write /proc/sysrq-trigger" sh -c 'printf h > /proc/sysrq-trigger'
if [ -e /sys ] && [ -n "\$(ls -A /sys 2>/dev/null)" ]; then
	echo "ESCAPED /sys is visible: \$(ls /sys | tr '\n' ' ')"
else
	echo "DENIED /sys: not mounted"
fi
extra=
for d in \$(ls -A /dev); do
	case \$d in
	console | core | fd | full | null | ptmx | pts | random | shm | stderr | stdin | stdout | tty | urandom | zero | mqueue) ;;
	*) extra="\$extra \$d" ;;
	esac
done
if [ -n "\$extra" ]; then echo "ESCAPED unexpected /dev entries:\$extra"; else echo "DENIED /dev holds only the minimal set"; fi
for d in /dev/mem /dev/kmem /dev/port /dev/kmsg /dev/sda /dev/vda /dev/nvme0n1 /dev/kvm /dev/net/tun /dev/fuse /dev/dri/card0; do
	try "open \$d" sh -c ': < "\$1"' sh "\$d"
done
try "mknod /tmp/mem c 1 1" mknod /tmp/ccsb-mem c 1 1
try "dmesg" dmesg
try "mount -t tmpfs" mount -t tmpfs evil /tmp
try "mount --bind / /tmp" mount --bind / /tmp
\$PROBE mount /tmp
# setuid programs give nothing: no_new_privs and nosuid binds.
grep -q '^NoNewPrivs:[[:space:]]*1' /proc/self/status && echo "DENIED no_new_privs is set" ||
	echo "ESCAPED no_new_privs is not set"
try "su root" su root -c true
command -v sudo >/dev/null && try "sudo" sudo -n true
if [ -n "$SUID" ]; then
	ids=\$($SUID ids)
	case \$ids in
	*euid=0*) echo "ESCAPED a setuid-root program ran with euid 0: \$ids" ;;
	*) echo "DENIED setuid-root program: \$(echo "\$ids" | cut -d' ' -f1-2)" ;;
	esac
fi
\$PROBE kernel
\$PROBE families
EOF
out=$(sb -- sh "$BIN/kernel.sh" 2>&1)
if [ -n "$SUID" ]; then
	case $host_suid in
	*euid=0*) out+=$'\n'"INFO host control: the setuid probe runs as euid 0 outside" ;;
	*) out+=$'\n'"INFO host control: setuid does not work on this /tmp either ($host_suid)" ;;
	esac
fi
judge "kernel surface: /proc/sys, /sys, /dev, mknod, mount, setuid, keyctl, bpf, perf, userfaultfd, syslog, socket families" "$out"

# ---- 18. sharing the whole home or / by accident ---------------------------

rm -f "$UHOME/ran-$R"
refused=
for dir in "$UHOME" /; do
	o=$(cd "$dir" && timeout -k 5 40 "${AS_USER[@]}" env -i "${BASE_ENV[@]}" "$CCSB" -q --net=none \
		sh -c "touch '$UHOME/ran-$R'" 2>&1)
	rc=$?
	if [ $rc = 0 ] || [ -e "$UHOME/ran-$R" ]; then
		refused+=$'\n'"ESCAPED ccsb ran from $dir (exit $rc) with it writable"
	else
		refused+=$'\n'"DENIED ccsb from $dir: exit $rc, $(sed -n '$p' <<<"$o")"
	fi
done
judge "share the whole HOME or / read-write by starting ccsb there" "$refused"

# ---- 19. the root pass ---------------------------------------------------

if [ -n "$ROOT" ]; then
	RHOME=$T/roothome
	RPROJ=$T/rootproj
	mkdir -p "$RHOME" "$RPROJ"
	chmod 700 "$RHOME"
	echo "rootsecret-$R" >"$RHOME/secret.txt"
	chmod 600 "$RHOME/secret.txt"
	inside rootpass <<EOF
ids=\$(\$PROBE ids)
echo "INFO \$ids"
case \$ids in
*CapEff=0000000000000000*CapPrm=0000000000000000* | *CapPrm=0000000000000000*CapEff=0000000000000000*)
	echo "DENIED capabilities: none" ;;
*) echo "ESCAPED the command has capabilities: \$ids" ;;
esac
case \$ids in uid=0*) echo "ESCAPED the command runs as uid 0" ;; *) echo "DENIED uid 0 inside: \$(id -u)" ;; esac
grep -q '^CapBnd:[[:space:]]*0*\$' /proc/self/status && echo "DENIED bounding set: empty" ||
	echo "ESCAPED bounding set not empty: \$(grep CapBnd /proc/self/status)"
echo "INFO uid_map: \$(cat /proc/self/uid_map | tr -s ' ')"
try "read the root HOME's secret" cat "$RHOME/secret.txt"
[ -n "$ROOT_KEY" ] && try "read a root-only file in a read-only bind ($ROOT_KEY)" cat "$ROOT_KEY"
try "ip link set lo down" ip link set lo down
try "ip route add" ip route add 198.51.100.0/24 dev lo
try "hostname" hostname evil
try "mount tmpfs" mount -t tmpfs evil /tmp
try "chown to another uid" sh -c 'touch /tmp/f && chown 4242 /tmp/f'
try "mknod" mknod /tmp/ccsb-mem c 1 1
# Global sysctls, written back with their current value: kernel.core_pattern
# and kernel.modprobe name programs the host kernel runs as root.
for f in kernel/core_pattern kernel/modprobe vm/swappiness kernel/hostname; do
	[ -e /proc/sys/\$f ] && try "write /proc/sys/\$f" sh -c 'v=\$(cat "\$1") && printf "%s\n" "\$v" > "\$1"' sh /proc/sys/\$f
done
[ -e /proc/sysrq-trigger ] && try "write /proc/sysrq-trigger" sh -c 'printf h > /proc/sysrq-trigger'
try "write /usr" touch /usr/ccsb-escape-$R
try "kill host root process $HOSTPID_R" kill -KILL $HOSTPID_R
\$PROBE rawsock
\$PROBE module
\$PROBE kernel
\$PROBE ptrace $HOSTPID_R
if unshare -Ur true 2>/dev/null; then
	unshare -Ur sh -c 'ip link set lo down' 2>/dev/null && echo "ESCAPED userns root changed the sandbox netns" ||
		echo "DENIED userns root: ip link set lo down"
	unshare -Ur sh -c "mount -o remount,rw /usr" 2>/dev/null && echo "ESCAPED userns root remounted /usr" ||
		echo "DENIED userns root: remount /usr"
fi
EOF
	chmod 644 "$BIN/rootpass.sh"
	out=$(cd "$RPROJ" && timeout -k 5 40 env -i PATH="$HOST_PATH" HOME="$RHOME" TERM=dumb \
		CCSB_EXEC_HELPER="$CCSB_EXEC_HELPER" ${CCSB_BWRAP:+CCSB_BWRAP="$CCSB_BWRAP"} \
		"$CCSB" -q --net=none --ro="$BIN" sh "$BIN/rootpass.sh" 2>&1)
	kill -0 "$HOSTPID_R" 2>/dev/null || out+=$'\n'"ESCAPED the host root process was killed"
	[ -e "/usr/ccsb-escape-$R" ] && out+=$'\n'"ESCAPED /usr/ccsb-escape-$R exists on the host"
	judge "ccsb run by root: no capabilities, unprivileged uid, root-only files" "$out"
fi

# ---- 20. rm -rf --no-preserve-root / -------------------------------------

# Last, and only when the sandbox demonstrably holds: it must neither read
# the host home nor write outside its binds, and the script checks again
# from inside that it is in the sandbox before it deletes anything.
if [ "$READ_OK" = 0 ] && [ "$WRITE_OK" = 0 ] && [ -x "$CCSB" ] && [ "$(type -t inside)" = function ] &&
	[ "$(type -t sb)" = function ]; then
	KEY=$(printf '%s' "$PROJ" | sed 's/[^a-zA-Z0-9]/-/g')
	mkdir -p "$UHOME/.claude/projects/$KEY" "$UHOME/.cache/ccsb/npm"
	echo '{"model": "keep"}' >"$UHOME/.claude/settings.json"
	echo gone >"$UHOME/.claude/projects/$KEY/transcript.jsonl"
	echo gone >"$UHOME/.cache/ccsb/npm/cache-entry"
	echo keep >"$UHOME/.npm/cache-entry"
	[ -n "$ROOT" ] && chown -R "$SB_UID:$NETNS_GID" "$UHOME/.claude" "$UHOME/.cache" "$UHOME/.npm"
	inside rmrf <<EOF
if [ -e "$T/marker" ] || [ "\$(hostname)" != ccsb ] || [ "\$(id -un)" != claude ] ||
	[ "\$(tr '\0' ' ' </proc/1/cmdline | cut -d' ' -f1)" != /run/ccsb/exec ]; then
	echo "ESCAPED refusing to run rm -rf /: this does not look like the sandbox"
	exit 0
fi
rm -rf --no-preserve-root / >/dev/null 2>&1
echo "INFO rm -rf / exited with status \$?"
EOF
	out=$(sb -- sh "$BIN/rmrf.sh" 2>&1)
	# check WHAT CONDITION WHAT-IF-NOT: CONDITION is evaluated here.
	# shellcheck disable=SC2016
	check() {
		if eval "$2"; then out+=$'\n'"DENIED $1"; else out+=$'\n'"ESCAPED $3"; fi
	}
	check "host HOME secret survives" '[ "$(cat "$UHOME/secret.txt" 2>/dev/null)" = "homesecret-$R" ]' "host HOME secret gone"
	check "host HOME sentinel outside the binds survives" '[ "$(cat "$UHOME/keep/sentinel" 2>/dev/null)" = keep ]' "host HOME sentinel gone"
	check "sibling dir survives" '[ "$(cat "$OUT/sentinel" 2>/dev/null)" = keep ]' "sibling sentinel gone"
	[ -n "$USR_SENT" ] && check "user-writable /usr sentinel survives" '[ "$(cat "$USR_SENT" 2>/dev/null)" = keep ]' "/usr sentinel gone"
	check "/usr untouched" '[ "$(ls -la /usr /usr/bin | md5sum)" = "$usr_before" ]' "/usr changed"
	check "/etc untouched" '[ "$(ls -la /etc | md5sum; md5sum /etc/passwd)" = "$etc_before" ]' "/etc changed"
	check "probes and marker survive" '[ -x "$PROBE" ] && [ -e "$T/marker" ]' "files outside the binds gone"
	check "the host still works" '/bin/true && [ -x /usr/bin/env ]' "the host is broken"
	check "the next sandbox still works" '[ "$(sb -- id -un 2>/dev/null)" = claude ]' "ccsb no longer starts"
	# The experiment itself: the writable mounts were emptied.
	emptied=
	[ -z "$(ls -A "$PROJ")" ] || emptied+=" project dir ($(ls -A "$PROJ" | tr '\n' ' '))"
	[ -z "$(ls -A "$UHOME/.claude/projects/$KEY")" ] || emptied+=" ~/.claude/projects/$KEY"
	[ -z "$(ls -A "$UHOME/.cache/ccsb/npm")" ] || emptied+=" ~/.cache/ccsb/npm"
	if [ -n "$emptied" ]; then
		out+=$'\n'"ESCAPED nothing, but rm -rf / did not run as expected: not emptied:$emptied"
	else
		out+=$'\n'"INFO project dir, ~/.claude's data and the sandbox's npm cache emptied (the writable binds)"
	fi
	check "~/.claude/settings.json survives (a private copy inside)" \
		'grep -q keep "$UHOME/.claude/settings.json"' "~/.claude/settings.json changed"
	check "the host's ~/.npm survives (not shared)" \
		'[ "$(cat "$UHOME/.npm/cache-entry" 2>/dev/null)" = keep ]' "~/.npm changed"
	[ -e "$UHOME/.claude.json" ] && out+=$'\n'"INFO ~/.claude.json survives (a bind-mounted file cannot be unlinked)"
	judge "rm -rf --no-preserve-root / inside: only the writable binds are emptied" "$out"
else
	fail "rm -rf --no-preserve-root /" "not run: an earlier probe showed the sandbox does not hold"
fi

echo "# $FAILURES probe(s) failed; $(($(date +%s) - START)) s"
[ "$FAILURES" = 0 ]
