# SPDX-License-Identifier: LGPL-2.1-or-later
# Private network for an integration test. Source it before anything else:
#
#     . "$top_srcdir/tests/lib/netns.sh"
#
# The test script is then re-executed inside new network, mount and pid
# namespaces (as root directly; otherwise in a user namespace mapped to root,
# or the test is skipped with exit 77). Inside, `lo` is up with the
# documentation addresses 198.51.100.1/24, 198.51.100.2, 203.0.113.1/24,
# 203.0.113.2 (and 2001:db8::1, 2001:db8::2 when IPv6 works), and no other
# interface exists: nothing a test does can reach a real network. As root,
# /dev/net/tun is replaced by a mode 0666 node in the private mount namespace.
# Every process started here dies with the test (the script is the pid
# namespace's init).
#
#   netns_tcp_server ADDR PORT  TCP server: echoes what it reads; a request
#                               starting with "GET " gets an HTTP/1.0 200
#                               answer whose body is "hello from ADDR:PORT".
#   netns_udp_server ADDR PORT  UDP server: echoes each datagram.
#   as_user CMD...              run CMD as the unprivileged test user
#                               ($NETNS_UID:$NETNS_GID), as users run ccsb.
#   netns_user_dir DIR...       create directories owned by the test user.
#   netns_workdir NAME [DIR...] D=/tmp/ccsb-NAME.XXXXXX (mode 0755, removed at
#                               exit), with $D/home, $D/proj and $D/DIR...
#                               owned by the test user.
#   netns_ready FILE...         wait (5 s at most) until every FILE has a line
#                               "ready"; 1, with the files shown, if not.
#   netns_dns_upstream DIR      tests/lib/dns-upstream.py on 198.51.100.54,
#                               answering 198.51.100.1, made the resolver
#                               (bind over /etc/resolv.conf); logs queries to
#                               DIR/upstream.log; returns once it serves.
#   netns_need_tun              skip unless the test user can open /dev/net/tun.
#   netns_skip REASON           exit 77 with REASON.
#   netns_cleanup               stop the servers now. Installed as the EXIT
#                               trap; a test may replace that trap (common.sh
#                               does): the servers still end with the test.
#
# Root runs the sandbox as $CCSB_TEST_UID:$CCSB_TEST_GID (default
# 65534:65534, nobody); the test's files must be reachable by that user.

netns_skip() {
	echo "SKIP: $*"
	exit 77
}

if [ -z "${CCSB_NETNS_INSIDE-}" ]; then
	command -v unshare >/dev/null 2>&1 || netns_skip "unshare (util-linux) not found"
	# Re-run the script with the interpreter named on its #! line.
	netns_interp=/bin/sh
	IFS= read -r netns_line <"$0" || true
	case $netns_line in '#!'*) netns_interp=${netns_line#??} ;; esac
	CCSB_NETNS_INSIDE=1
	export CCSB_NETNS_INSIDE
	netns_unshare="unshare --net --mount --pid --fork --kill-child --mount-proc"
	if [ "$(id -u)" = 0 ]; then
		# shellcheck disable=SC2086 # word splitting of the command is intended
		exec $netns_unshare -- $netns_interp "$0" "$@"
	fi
	if unshare --user --map-root-user --net --mount true 2>/dev/null; then
		NETNS_OUTER_UID=$(id -u)
		NETNS_OUTER_GID=$(id -g)
		export NETNS_OUTER_UID NETNS_OUTER_GID
		# shellcheck disable=SC2086
		exec $netns_unshare --user --map-root-user -- $netns_interp "$0" "$@"
	fi
	netns_skip "needs root or unprivileged user namespaces to create a network namespace"
fi

PATH=$PATH:/usr/sbin:/sbin
NETNS_UID=${CCSB_TEST_UID:-65534}
NETNS_GID=${CCSB_TEST_GID:-65534}
NETNS_PIDS=

netns_cleanup() {
	for netns_pid in $NETNS_PIDS; do
		kill "$netns_pid" 2>/dev/null
	done
	NETNS_PIDS=
}
trap netns_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_user() {
	if [ -n "${NETNS_OUTER_UID-}" ]; then
		# Back to the invoking user's own uid, without capabilities.
		unshare --user --map-user="$NETNS_OUTER_UID" --map-group="$NETNS_OUTER_GID" -- "$@"
	else
		setpriv --reuid="$NETNS_UID" --regid="$NETNS_GID" --clear-groups -- "$@"
	fi
}

netns_user_dir() {
	mkdir -p "$@" || return
	[ -n "${NETNS_OUTER_UID-}" ] || chown "$NETNS_UID:$NETNS_GID" "$@"
}

netns_workdir() {
	D=$(mktemp -d "/tmp/ccsb-$1.XXXXXX") || exit 1
	shift
	chmod 755 "$D"
	trap 'netns_cleanup; rm -rf "$D"' EXIT
	netns_wd_dirs="$D/home $D/proj"
	for netns_wd in "$@"; do netns_wd_dirs="$netns_wd_dirs $D/$netns_wd"; done
	# shellcheck disable=SC2086
	netns_user_dir $netns_wd_dirs
}

netns_ready() {
	for _ in $(seq 50); do
		netns_all=1
		for netns_f in "$@"; do
			grep -q ready "$netns_f" 2>/dev/null || netns_all=0
		done
		[ "$netns_all" = 1 ] && return 0
		sleep 0.1
	done
	echo "FAIL - a test server did not start:"
	cat "$@"
	return 1
}

netns_dns_upstream() {
	ip addr replace 198.51.100.54/32 dev lo
	echo "nameserver 198.51.100.54" >"$1/resolv.conf"
	mount --bind "$1/resolv.conf" /etc/resolv.conf || netns_skip "cannot bind a test resolv.conf"
	python3 -u "$top_srcdir/tests/lib/dns-upstream.py" 198.51.100.54 198.51.100.1 "$1/upstream.log" \
		>"$1/upstream.out" 2>&1 &
	NETNS_PIDS="$NETNS_PIDS $!"
	netns_ready "$1/upstream.out"
}

netns_need_tun() {
	as_user sh -c ': <>/dev/net/tun' 2>/dev/null ||
		netns_skip "/dev/net/tun is not usable by the test user (needs mode 0666, or run as root)"
}

netns__setup() {
	# "replace" rather than "add": a script sourcing this from inside
	# another test's namespace finds it already set up.
	if ! { ip link set lo up &&
		ip addr replace 198.51.100.1/24 dev lo &&
		ip addr replace 198.51.100.2/32 dev lo &&
		ip addr replace 203.0.113.1/24 dev lo &&
		ip addr replace 203.0.113.2/32 dev lo; }; then
		netns_skip "cannot configure lo in the test's network namespace"
	fi
	ip -6 addr replace 2001:db8::1/64 dev lo nodad 2>/dev/null &&
		ip -6 addr replace 2001:db8::2/128 dev lo nodad 2>/dev/null
	# A tmpfs over /dev/net, in this mount namespace only, with a 0666 tun
	# node: slirp4netns opens it as the unprivileged user.
	if [ -z "${NETNS_OUTER_UID-}" ] && [ -c /dev/net/tun ] &&
		[ "$(stat -c %a /dev/net/tun)" != 666 ]; then
		mount -t tmpfs -o mode=0755,size=4k ccsb-netns /dev/net &&
			mknod -m 0666 /dev/net/tun c 10 200
	fi
}

# The server forks once it listens: the parent prints "ready PID" and exits,
# so the caller waits on a pipe, not a sleep, and needs no temporary files.
NETNS_PY='
import os, signal, socket, sys, threading
kind, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
if kind == "tcp":
    s.listen(64)
pid = os.fork()
if pid:
    print("ready", pid, flush=True)
    os._exit(0)
null = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)
signal.alarm(int(os.environ.get("NETNS_SERVER_TIMEOUT", "600")))
def serve(c):
    with c:
        c.settimeout(30)
        data = c.recv(65536)
        if data.startswith(b"GET "):
            body = ("hello from %s:%d\n" % (addr, port)).encode()
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
            return
        while data:
            c.sendall(data)
            data = c.recv(65536)
while True:
    if kind == "udp":
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)
    else:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
'

# netns__serve KIND ADDR PORT: start a server and return once it listens.
netns__serve() {
	command -v "${PYTHON:-python3}" >/dev/null 2>&1 || netns_skip "python3 not found"
	netns_out=$("${PYTHON:-python3}" -c "$NETNS_PY" "$1" "$2" "$3" </dev/null 2>&1)
	case $netns_out in
	"ready "*) NETNS_PIDS="$NETNS_PIDS ${netns_out#ready }" ;;
	*)
		echo "netns: $1 server on $2 port $3 did not start: $netns_out" >&2
		return 1
		;;
	esac
}

netns_tcp_server() { netns__serve tcp "$1" "$2"; }
netns_udp_server() { netns__serve udp "$1" "$2"; }

# netns_dnsmasq DIR [DNSMASQ-OPTION...]: make a dnsmasq on 198.51.100.53
# this namespace's resolver (through a bind over /etc/resolv.conf; skips
# when that cannot be done) and return once it serves. The options say what
# it answers; it logs queries to DIR/dnsmasq.log and is stopped by
# netns_cleanup. Returns 1, with its output shown, when it does not start.
netns_dnsmasq() {
	netns_dir=$1
	shift
	ip addr replace 198.51.100.53/32 dev lo
	echo "nameserver 198.51.100.53" >"$netns_dir/resolv.conf"
	mount --bind "$netns_dir/resolv.conf" /etc/resolv.conf ||
		netns_skip "cannot bind a test resolv.conf"
	dnsmasq --no-daemon --no-resolv --no-hosts --listen-address=198.51.100.53 \
		--bind-interfaces --port=53 --user=root --group=root --pid-file= "$@" \
		--log-queries --log-facility="$netns_dir/dnsmasq.log" >"$netns_dir/dnsmasq.out" 2>&1 &
	NETNS_PIDS="$NETNS_PIDS $!"
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		grep -q "started" "$netns_dir/dnsmasq.log" 2>/dev/null && return 0
		sleep 0.1
	done
	grep -q "started" "$netns_dir/dnsmasq.log" 2>/dev/null && return 0
	cat "$netns_dir/dnsmasq.out" "$netns_dir/dnsmasq.log" 2>/dev/null
	return 1
}

netns__setup
# One line instead of every check failing with "Permission denied".
if [ -z "${NETNS_OUTER_UID-}" ] && [ -n "${CCSB-}" ] && ! as_user test -x "$CCSB"; then
	echo "FAIL: uid $NETNS_UID, which runs the sandboxes, cannot reach $CCSB (a directory on the" \
		"way is not searchable, e.g. a 0700 home): run the suite with sudo as the tree's owner" \
		"(tests/run-all.sh), or set CCSB_TEST_UID and CCSB_TEST_GID to a user who can"
	exit 1
fi
