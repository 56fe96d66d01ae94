/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal interfaces shared by the library's files and its unit tests.
 * Nothing here is exported (see libccsandbox.sym). */
#ifndef CCSB_INTERNAL_H
#define CCSB_INTERNAL_H

#include "ccsandbox.h"
#include "escfilter.h"
#include "proc.h"
#include "slirp.h"

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>

#define CCSB_EXPORT __attribute__((visibility("default")))
#define CCSB_PRINTF(a, b) __attribute__((format(printf, a, b)))

struct ccsb_error {
	int code;
	char *msg;
};

/* Set *err (when err is not NULL and *err is NULL) and return -code. */
int ccsb__err(ccsb_error **err, int code, const char *fmt, ...) CCSB_PRINTF(3, 4);
/* Same, appending ": strerror(code)". */
int ccsb__errno(ccsb_error **err, int code, const char *fmt, ...) CCSB_PRINTF(3, 4);
/* The public API's one rule for a NULL policy object (ccsandbox.h, "NULL"):
 * -EINVAL naming the function. */
#define CCSB_NULL_SB(err) ccsb__err((err), EINVAL, "%s: no sandbox policy (NULL)", __func__)

/* ---- allowlist (allowlist.c, pure) ---------------------------------- */

struct ccsb_prefix {
	uint8_t family;	  /* AF_INET or AF_INET6 */
	uint8_t len;	  /* prefix length */
	uint8_t addr[16]; /* network byte order; IPv4 uses the first 4 bytes;
			   * bits past `len` are zero */
};

/* Longest domain name as text, without the trailing dot (RFC 1035: 255
 * bytes on the wire). */
#define CCSB_NAME_MAX 253

struct ccsb_allowlist {
	struct ccsb_prefix *v;
	size_t n, cap;
	/* Domain patterns, normalised (lowercase, no trailing dot):
	 * "example.com" matches that name only, "*.example.com" any name
	 * strictly below it. Owned strings. */
	char **names;
	size_t nnames, capnames;
	bool names_sorted; /* strcmp order without duplicates: lookups bisect */
	/* The ports each pattern allows, as "PATTERN:PORT" (":0": any port),
	 * sorted like names. A pattern given without ports (the default)
	 * allows any; "github.com:22,443" allows those two. Checked by the
	 * relay of name-bound connections (namebind.c). */
	char **ports;
	size_t nports, capports;
	bool ports_sorted;
};

/* Parse one address or CIDR prefix. Host bits set below the prefix length
 * ("10.0.0.1/8") are an error: it is almost always a typo. On error returns
 * -EINVAL and writes a short reason ("bad prefix length", "not an address",
 * ...) to *why (static string). Domain names are not prefixes: see
 * ccsb__entry_parse(). */
int ccsb__prefix_parse(const char *s, struct ccsb_prefix *out, const char **why);
/* Validate and normalise the domain pattern s[0..n): labels of 1-63 letters,
 * digits, '-' (not first or last) and '_'; at least two labels, the last one
 * starting with a letter; at most CCSB_NAME_MAX characters; one trailing dot
 * dropped; '*' only as a whole first label followed by at least two labels
 * ("*.com" is refused). Writes the lowercase pattern to `out`; 0 or -EINVAL
 * with *why (static string). */
int ccsb__name_parse(const char *s, size_t n, char out[CCSB_NAME_MAX + 1], const char **why);
enum {
	CCSB_ENTRY_PREFIX = 1,
	CCSB_ENTRY_NAME = 2
};
/* Ports one name entry may list ("github.com:22,443"). */
#define CCSB_NAME_PORTS_MAX 16
/* A name entry as text: pattern, ':' and its ports. */
#define CCSB_ENTRY_TEXT_MAX (CCSB_NAME_MAX + 1 + 6 * CCSB_NAME_PORTS_MAX + 1)
/* Parse one allowlist entry, surrounding whitespace allowed: an address or
 * prefix (returns CCSB_ENTRY_PREFIX, *p set) or a domain pattern (returns
 * CCSB_ENTRY_NAME, `name` set as by ccsb__name_parse(), followed by ":PORT,..."
 * when the entry lists ports: sorted, without duplicates); -EINVAL with *why. */
int ccsb__entry_parse(const char *s, struct ccsb_prefix *p, char name[CCSB_ENTRY_TEXT_MAX],
		      const char **why);
/* Append; -ENOMEM. */
int ccsb__allowlist_add(struct ccsb_allowlist *al, const struct ccsb_prefix *p);
/* Append a domain pattern (validated and normalised again, copied); -EINVAL,
 * -ENOMEM. Leaves the names unsorted when out of order: the parsers and
 * ccsb__allowlist_merge() sort them. */
int ccsb__allowlist_add_name(struct ccsb_allowlist *al, const char *pattern);
/* Whether a connection to `port` of the name `qname` is allowed: some
 * pattern matching the name (as ccsb__allowlist_name_allowed()) allows
 * any port or that one. */
bool ccsb__allowlist_port_allowed(const struct ccsb_allowlist *al, const char *qname,
				  unsigned port);
/* Parse a whole buffer; entries are added only if every line is valid. `name`
 * is used in messages ("name:LINE: why 'text'"). */
int ccsb__allowlist_parse_buf(struct ccsb_allowlist *al, const char *name, const char *buf,
			      size_t len, ccsb_error **err);
/* Sort, drop prefixes covered by others, merge adjacent siblings; sort the
 * domain patterns and drop duplicates. In place. */
void ccsb__allowlist_merge(struct ccsb_allowlist *al);
/* Whether a query name (text, any case, one trailing dot allowed) matches a
 * domain pattern. Names with any character outside letters, digits, '-',
 * '_' and '.' (such as ccsb__dns_parse_query()'s "\DDD" escapes) or with
 * empty labels never match. O(labels * log patterns) once sorted. */
bool ccsb__allowlist_name_allowed(const struct ccsb_allowlist *al, const char *qname);
/* Whether an address (AF_INET: 4 bytes, AF_INET6: 16) lies in one of the
 * prefixes. Linear. */
bool ccsb__allowlist_addr_covered(const struct ccsb_allowlist *al, int family, const uint8_t *addr);
/* Parse one entry (as ccsb_sandbox_allow() takes it) and add it; names
 * stay sorted. -EINVAL naming the entry, -ENOMEM. */
int ccsb__allowlist_add_entry(struct ccsb_allowlist *al, const char *entry, ccsb_error **err);
/* Deep copy, names included, for planning (merge on the copy). */
int ccsb__allowlist_copy(struct ccsb_allowlist *dst, const struct ccsb_allowlist *src);
void ccsb__allowlist_free(struct ccsb_allowlist *al);
/* "192.0.2.0/24" / "2001:db8::/32"; buf of at least 64 bytes. */
void ccsb__prefix_format(const struct ccsb_prefix *p, char *buf, size_t len);

/* ---- network (net.c, effects) --------------------------------------- */

struct ccsb_net_plan {
	ccsb_net_mode mode;
	const char *slirp;		       /* slirp4netns program (name or path) */
	const char *search_path;	       /* where a slirp given by name is looked up */
	const char *helper;		       /* ccsb-net, path */
	const struct ccsb_allowlist *prefixes; /* merged; allowlist mode only */
	bool ipv6;
	/* Allowlist mode: slirp4netns gets --disable-dns, and the helper hands
	 * back the DNS listeners and an rtnetlink socket (below). */
	bool dns;
	/* --host-port: the helper opens a listener on the sandbox's loopback
	 * for each (borrowed; at most CCSB_HOST_PORTS_MAX). */
	const uint16_t *host_ports;
	size_t nhost_ports;
	/* With dns: name-bound connections (namebind.h); the helper hands back
	 * their listener too. */
	bool bind_names;
};

#define CCSB_HOST_PORTS_MAX 64
/* 127.0.0.1 and ::1 for each host port. */
#define CCSB_NET_MAX_LISTENERS (2 * CCSB_HOST_PORTS_MAX)

struct ccsb_net_listener {
	int fd; /* listening, in the sandbox's network namespace */
	int family;
	uint16_t port;
};

struct ccsb_net {
	pid_t slirp_pid; /* -1 when none */
	int slirp_pidfd; /* -1 when none (or no pidfds) */
	int exit_fd;	 /* write end of slirp4netns --exit-fd; -1 when none */
	/* With plan->dns, opened inside the sandbox's network namespace by the
	 * helper: UDP and listening TCP sockets on 127.0.0.1:53 (bound with
	 * IP_FREEBIND: bwrap may not have configured lo yet), and a
	 * NETLINK_ROUTE socket whose requests act on that namespace with the
	 * helper's capabilities there. -1 when none; ccsb__net_stop() closes
	 * those still here. */
	int dns_udp, dns_tcp, rtnl;
	/* The host-port listeners (plan->host_ports), taken over by the relay
	 * (relay.c) or closed by ccsb__net_stop(). */
	struct ccsb_net_listener listeners[CCSB_NET_MAX_LISTENERS];
	size_t nlisteners;
	/* The helper's first warning (something it could not do without failing
	 * the setup); "" when none. */
	char warning[200];
	/* With plan->bind_names: the listener of name-bound connections. */
	int bind_listener;
};

/* Start networking for the sandbox whose pid 1 is `child` (host pid, held
 * by --block-fd): start slirp4netns on its netns, configure tap0 and routes
 * from a helper that joins the netns owner. On success the network is
 * complete and `net` must be released with ccsb__net_stop(). On failure
 * everything started is stopped again. */
int ccsb__net_start(const struct ccsb_net_plan *plan, pid_t child, struct ccsb_net *net,
		    ccsb_error **err);
/* Tell slirp4netns to exit (close exit-fd); does not wait for it. */
void ccsb__net_stop(struct ccsb_net *net);

/* ---- the policy ------------------------------------------------------ */

enum ccsb_mount_kind {
	CCSB_M_BIND,	/* src -> dest, flags CCSB_BIND_* */
	CCSB_M_TMPFS,	/* dest */
	CCSB_M_DIR,	/* dest */
	CCSB_M_SYMLINK, /* src = target, dest */
	CCSB_M_FILE,	/* data -> dest */
	CCSB_M_PROC,	/* dest */
	CCSB_M_DEV,	/* dest */
};

/* A mount the library made itself (the network mode's resolv.conf). */
#define CCSB_MOUNT_AUTO 0x100u
/* CCSB_M_TMPFS only: remounted read-only, an empty directory nothing can
 * be created in (guard.c: a missing .git/hooks). */
#define CCSB_MOUNT_RDONLY 0x200u
/* A socket of the broker (broker.c): its source is made at run time. */
#define CCSB_MOUNT_BROKER 0x400u
/* A read-only bind of ccsb_sandbox_add_program(). */
#define CCSB_MOUNT_PROGRAM 0x800u
/* A directory bind of etc.c's: copied into the prepared /etc (etccache.c). */
#define CCSB_MOUNT_ETC 0x1000u
/* A mount etccache.c made for one run (the prepared /etc, its covers). */
#define CCSB_MOUNT_ETCCACHE 0x2000u
/* slirp4netns's built-in DNS forwarder. */
#define CCSB_SLIRP_DNS CCSB_SLIRP_DNS4_TEXT
/* The allowlist mode's filtering resolver (resolver.c), on the sandbox's
 * own loopback. */
#define CCSB_FILTER_DNS "127.0.0.1"
/* --net=none's resolver: an address with no route in the sandbox's empty
 * network namespace (TEST-NET-1, RFC 5737), so that a lookup fails at once
 * with ENETUNREACH. Without a resolv.conf, resolvers ask 127.0.0.1:53 on
 * the sandbox's loopback, which is up: the queries are refused, but
 * resolvers such as Claude Code's retry them for half a minute. */
#define CCSB_NONE_DNS "192.0.2.1"

struct ccsb_mount {
	enum ccsb_mount_kind kind;
	unsigned flags;
	/* CCSB_M_FILE: with src, a copy of that host file made at run time
	 * (data is NULL); else data. */
	char *src, *dest;
	char *data;
	size_t len;
	unsigned perms; /* CCSB_M_FILE: its mode inside, 0: 0600; CCSB_M_DIR: 0: 0755 */
};

struct ccsb_envent {
	char *name;  /* for passes, may end in '*' */
	char *value; /* NULL: pass from host */
};

struct ccsb_sandbox {
	struct ccsb_mount *mounts;
	size_t nmounts, capmounts;
	struct ccsb_envent *env;
	size_t nenv, capenv;
	uid_t uid;
	gid_t gid;
	char *user, *home, *hostname, *cwd;
	char *bwrap, *slirp, *exec_helper;
	/* NULL: the defaults (host.c). */
	char *net_helper, *state_helper, *search_path;
	ccsb_net_mode net;
	unsigned name_ttl_floor;  /* seconds; 0: CCSB_NAMEBIND_TTL_FLOOR */
	unsigned etc_cache_flags; /* CCSB_ETC_CACHE_* */
	struct ccsb_allowlist allow;
	/* `allow` merged, valid while merged_ok (ccsb__sandbox_merge()). */
	struct ccsb_allowlist merged;
	bool merged_ok;
	ccsb_tty_mode tty;
	bool busy;	      /* a run or a spawned process uses the run-time state below */
	bool seccomp;	      /* default true */
	bool nested_userns;   /* default false */
	bool proc_covers;     /* read-only covers over /proc/sys etc.; default: caller is uid 0 */
	bool allow_clipboard; /* the pty relay passes OSC 52 writes; default false */
	int dns_log_fd;	      /* -1: none; one line per refused query */
	int dns_summary_fd;   /* -1: none; refused names at the end of a run */
	/* The event stream (events.c); NULL until one is configured. */
	struct ccsb_events *events;
	/* The exit report of the last run (report.c). */
	char **report;
	size_t nreport, capreport;
	int report_fd; /* -1: none */
	/* A run's prepared /etc (etccache.c); NULL outside a run. */
	struct ccsb_etc_cache *etc_cache;
	/* guard.c: when the run's command was released (CLOCK_REALTIME_COARSE,
	 * the clock file timestamps come from); tv_sec 0 when not armed. */
	struct timespec guard_t0;
	/* The git directories guard.c binds read-only, as they were at start
	 * (the first 64; more only cost false alarms). */
	struct {
		dev_t dev;
		ino_t ino;
	} guard_ro[64];
	size_t guard_nro;
	/* The plan ccsb__guard_arm() made, reused by the run's argv and its
	 * end-of-run scan while the writable binds are the same (guard.c). */
	struct ccsb_guard_cache *guard_cache;
	/* ssh-agent broker (broker.c): the key filter (owned) and, during a
	 * run, the broker serving the sandbox. */
	bool ssh_agent, git_credentials;
	struct ccsb_agent_filter *agent_filter;
	struct ccsb_broker *broker;
	/* Port relays (relay.c): the policy, and during a run the relay. */
	struct ccsb_publish *publish;
	size_t npublish;
	uint16_t host_ports[CCSB_HOST_PORTS_MAX];
	size_t nhost_ports;
	struct ccsb_relay *relay;
	/* Claude Code's state (state.c); NULL without CCSB_DEFAULTS_CLAUDE_STATE. */
	struct ccsb_state *state;
	/* Resource bounds (bounds.c): bytes and tasks, CCSB_BOUND_NONE for
	 * none; ccsb_sandbox_new() sets the defaults. */
	uint64_t memory_max, pids_max;
	/* Named sessions (session.c): the name given, and during a run the
	 * host side of its channel. */
	char *session_name;
	struct ccsb_sess_srv *sess;
	/* Where a run writes its bounds line; -1: nowhere. */
	int bounds_fd;
	/* The last run's systemd scope (scope.c). */
	struct ccsb_scope {
		bool applied;	    /* a run has been through ccsb__bounds_apply() */
		bool tried;	    /* a session bus was found and asked */
		bool ok;	    /* the sandbox is in the scope's cgroup */
		bool memory, tasks; /* ... whose memory.max / pids.max are ours */
		char unit[64];
		char why[256]; /* what is missing, when not all of it */
	} scope;
};

/* ---- port relays (relay.c) ----------------------------------------- */

#define CCSB_PUBLISH_MAX 64

/* A --publish: a host listener relayed to the sandbox's loopback. */
struct ccsb_publish {
	struct sockaddr_storage addr; /* host address and port to listen on */
	socklen_t alen;
	uint16_t host_port, sandbox_port;
	char text[64]; /* "127.0.0.1:8080", "[::1]:8080" */
};

/* Before the sandbox is started: bind the published ports on the host (a
 * taken port is an error here, before anything runs). Nothing to do (0)
 * without published or host ports. */
int ccsb__relay_bind(ccsb_sandbox *sb, ccsb_error **err);
/* Once the network is up and before the command is released: take the
 * host-port listeners from `net`, start the socket factory for the
 * published ports and the relay thread. Adds the network helper's warning
 * to the exit report. */
int ccsb__relay_start(ccsb_sandbox *sb, struct ccsb_net *net, pid_t child, ccsb_error **err);
/* Stop the thread, close every relayed connection. Idempotent. */
void ccsb__relay_stop(ccsb_sandbox *sb);
void ccsb__relay_free_policy(ccsb_sandbox *sb);

/* ---- resource bounds (bounds.c) -------------------------------------- */

/* What ccsb-exec writes to /proc/self/oom_score_adj when memory is bounded. */
#define CCSB_OOM_SCORE_ADJ 500
/* The default bounds from the host's RAM and CPU count. */
void ccsb__bounds_init(ccsb_sandbox *sb);
/* bwrap --size for the tmpfs at `dest`, for the tmpfs on /dev/shm; 0: none. */
uint64_t ccsb__bounds_tmpfs_size(const ccsb_sandbox *sb, const char *dest);
uint64_t ccsb__bounds_shm_size(const ccsb_sandbox *sb);
/* ccsb-exec's --nproc; 0: none. */
uint64_t ccsb__bounds_nproc(const ccsb_sandbox *sb);
/* Whether ccsb-exec gets --oom-score-adj. */
bool ccsb__bounds_oom(const ccsb_sandbox *sb);
/* During a run, with bwrap (`bwrap`) and the sandbox's pid 1 (`child`)
 * held: ask for the systemd scope, then write the bounds line to
 * bounds_fd. Never fails: what could not be had is said on the line. */
void ccsb__bounds_apply(ccsb_sandbox *sb, pid_t bwrap, pid_t child);
/* scope.c: a transient scope with the policy's bounds holding `pids` (the
 * last is the sandbox's pid 1, checked to be in it afterwards). */
void ccsb__scope_apply(const ccsb_sandbox *sb, const pid_t *pids, size_t npids,
		       struct ccsb_scope *s);
/* "1.5G", "6G", "512M", "100B" (powers of 1024, one decimal, rounded up). */
void ccsb__format_size(uint64_t v, char *buf, size_t len);

/* ---- exit report (report.c) ------------------------------------------ */

/* Add one item to the exit report ("what: path (why)"); control characters
 * are replaced. The same item goes to the event stream as a "report" event
 * whose source is the calling file's name. -ENOMEM. */
int ccsb__report_at(ccsb_sandbox *sb, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define ccsb__report(sb, ...) ccsb__report_at(sb, __FILE__, __VA_ARGS__)
void ccsb__report_clear(ccsb_sandbox *sb);
/* The block on report_fd; nothing when there is no item. */
void ccsb__report_write(const ccsb_sandbox *sb);

/* ---- canonical paths (paths.c) ----------------------------------------- */

/* realpath(path, out) (out of PATH_MAX bytes), in one lookup instead of a
 * readlink() per component; realpath() itself when /proc cannot say. */
char *ccsb__realpath(const char *path, char *out);
/* The same, allocated (realpath(path, NULL)). */
char *ccsb__realpath_dup(const char *path);
/* Whether a bind of `src` at `dest` with `flags` would show nothing new:
 * the same host file is visible there already, through the last mount
 * covering `dest`, a bind of one of its directories at the same path with
 * the same flags. */
bool ccsb__bind_redundant(const ccsb_sandbox *sb, const char *src, const char *dest,
			  unsigned flags);

/* ---- persistence guard, writable-bind side (guard.c) ----------------- */

/* Make the metadata of the git directory `gitdir` (host path) that makes
 * git run programs read-only inside: config, config.worktree, hooks/ (an
 * empty read-only one when missing), commondir and gitdir pointer files,
 * followed through commondir, and the same for each git directory under
 * worktrees/ and modules/. Only paths that lie inside a writable bind added
 * BEFORE this call are bound (elsewhere the sandbox cannot write them);
 * objects, refs, index, logs and HEAD stay writable. Adds read-only binds to
 * the policy; call it after the read-write binds it must cover. */
int ccsb__guard_protect_gitdir(ccsb_sandbox *sb, const char *gitdir, ccsb_error **err);
/* Whether `path` is `dir` (of length n) or below it; "/" holds everything. */
bool ccsb__path_under(const char *path, const char *dir, size_t n);
/* The first line of a small regular file (a .git file's "gitdir: X", a
 * commondir), after `prefix` when given, resolved against `base` when
 * relative; not canonicalised. */
int ccsb__read_pointer(const char *file, const char *prefix, const char *base, char *out,
		       size_t len);
/* What git's discovery accepts as a git directory (setup.c,
 * is_git_directory()): HEAD, and objects/ + refs/ or a commondir file. */
bool ccsb__is_gitdir(const char *path);
/* The argv of a run (or of --print, without the sync descriptors): the
 * policy's mounts followed by the guard's read-only binds, computed now from
 * what exists on the host in the writable binds (git repositories, Claude
 * Code's project files, files host tools run implicitly). */
int ccsb__guard_build_argv(const ccsb_sandbox *sb, char *const cmd[], bool with_sync, bool tty,
			   char ***out, ccsb_error **err);
/* Record the start of the run: what changes after this is the sandbox's. */
void ccsb__guard_arm(ccsb_sandbox *sb);
/* After the run, once every sandbox process is gone: find the git metadata
 * and Claude Code project files in the writable binds created or changed
 * during the run, quarantine them and add each to the exit report; report
 * changed files that host tools run implicitly. No-op when not armed. */
void ccsb__guard_finish(ccsb_sandbox *sb);
/* Drop the plan kept by ccsb__guard_arm() (ccsb_sandbox_free()). */
void ccsb__guard_free(ccsb_sandbox *sb);
/* The end-of-run scan on its own (unit tests, bench): `roots` are host
 * directories, `t0` the start, `max_entries` the bound (0: the default). */
int ccsb__guard_scan(ccsb_sandbox *sb, char *const roots[], size_t nroots,
		     const struct timespec *t0, size_t max_entries);
/* The builder with extra mounts appended after the policy's. */
int ccsb__build_argv_extra(const ccsb_sandbox *sb, char *const cmd[], bool with_sync, bool tty,
			   const struct ccsb_mount *extra, size_t nextra, char ***out,
			   ccsb_error **err);
/* ---- Claude Code's state (state.c) ---------------------------------- */

/* The mounts for Claude Code's state under the sandbox home (see state.c):
 * ~/.claude (or $CLAUDE_CONFIG_DIR) read-only but for its data entries,
 * private copies of the settings and ~/.claude.json, the sandbox's own npm
 * cache. `home` is the caller's real home. */
int ccsb__add_claude_state(ccsb_sandbox *sb, const char *home, ccsb_error **err);
/* Claude Code's directory name for project `path` under ~/.claude/projects
 * (its own transformation, long paths included). */
int ccsb__claude_project_key(const char *path, char *out, size_t len);
void ccsb__state_free(struct ccsb_state *st);
/* The host paths the state mounts make writable (borrowed). */
size_t ccsb__state_writable(const ccsb_sandbox *sb, const char *const **v);

/* A run's ccsb-state helper. */
struct ccsb_state_run {
	pid_t pid; /* -1: none */
	int ready_fd, exit_fd, report_fd;
	bool made; /* the private copies were made: removed at the end */
};
void ccsb__state_run_init(struct ccsb_state_run *run);
/* Make the private copies (bwrap's bind sources). Nothing to do (0)
 * without Claude state. */
int ccsb__state_start(ccsb_sandbox *sb, struct ccsb_state_run *run, ccsb_error **err);
/* Start ccsb-state on the copies, without waiting for it: once bwrap is
 * spawned, so that its fork and exec overlap bwrap's set-up instead of
 * preceding it. */
int ccsb__state_spawn(ccsb_sandbox *sb, struct ccsb_state_run *run, ccsb_error **err);
/* Wait for ccsb-state to watch the copies: before the sandbox is released. */
int ccsb__state_ready(struct ccsb_state_run *run, ccsb_error **err);
/* The last merge: adds what was dropped to the exit report. Idempotent. */
void ccsb__state_finish(ccsb_sandbox *sb, struct ccsb_state_run *run);

/* ---- git worktrees and submodules (worktree.c) ----------------------- */

/* When `project`/.git is a file naming a git directory outside the project
 * (a linked worktree, a submodule), bind that directory and the common one
 * it names read-write, then let the guard cover what git runs. Adds to the
 * policy; call it after the project's own read-write bind. */
int ccsb__worktree_binds(ccsb_sandbox *sb, const char *project, ccsb_error **err);

/* ---- ssh-agent broker (broker.c) ------------------------------------- */

/* Start serving the policy's broker sockets (nothing without one): must
 * come before the argv is built, which names the socket. */
int ccsb__broker_start(ccsb_sandbox *sb, ccsb_error **err);
/* Stop it, add its summary to the exit report, remove its directory.
 * Idempotent. */
void ccsb__broker_stop(ccsb_sandbox *sb);
void ccsb__broker_free_policy(ccsb_sandbox *sb);

/* Fixed descriptor numbers in the bwrap process (ccsb_sandbox_build_argv).
 * The seccomp filter comes after the data files: ccsb__seccomp_fdnum(). */
enum {
	CCSB_FD_INFO = 3,
	CCSB_FD_BLOCK = 4,
	CCSB_FD_STATUS = 5,
	CCSB_FD_FIRST_DATA = 6
};
/* In ccsb_sandbox_format_shell(), which has no sync descriptors, the filter
 * takes the free descriptor 5 instead: POSIX sh (dash) only redirects
 * descriptors 0-9, and the default policy's four data files already use
 * 6-9. Descriptor 3 holds the real stdin meanwhile. */
enum {
	CCSB_FD_PRINT_SECCOMP = 5
};

/* Number of data files (CCSB_M_FILE mounts). */
size_t ccsb__nfiles(const ccsb_sandbox *sb);
int ccsb__seccomp_fdnum(const ccsb_sandbox *sb);
/* With a pty: the socket ccsb-exec reports the command's stops on, after
 * the filter's descriptor (or where it would be). */
int ccsb__job_fdnum(const ccsb_sandbox *sb);

/* ---- named sessions (session.c) ------------------------------------- */

/* Letters, digits, '.', '_', '-'; 1-64; not starting with '.' or '-'. */
bool ccsb__session_name_ok(const char *name);
/* With a name: register it (NAME.info locked, NAME.sock listening) and make
 * the control socket; before the argv is built, which passes ccsb-exec
 * --session-fd. Nothing without a name. */
int ccsb__session_prepare(ccsb_sandbox *sb, char *const cmd[], ccsb_error **err);
/* ccsb-exec's end of the control socket, to place at ccsb__session_fdnum()
 * in bwrap; -1 without a session. */
int ccsb__session_peer(const ccsb_sandbox *sb);
int ccsb__session_fdnum(const ccsb_sandbox *sb);
/* A session of ccsb_sandbox_start(): ccsb-exec --idle, no command. */
bool ccsb__session_idle(const ccsb_sandbox *sb);
/* Once the command is released: close ccsb-exec's end here, start
 * accepting connections. */
void ccsb__session_serve(ccsb_sandbox *sb);
/* Stop accepting, remove the name's files. Idempotent. */
void ccsb__session_stop(ccsb_sandbox *sb);

/* Where the init helper is mounted inside. */
#define CCSB_EXEC_INSIDE "/run/ccsb/exec"

/* The policy's allowlist (allow.c). The merge is an explicit step, taken by
 * a run (ccsb__sandbox_merge()); what it made stays valid until the
 * allowlist next changes. */
int ccsb__sandbox_merge(ccsb_sandbox *sb, ccsb_error **err);
/* The merged list of the last merge; NULL when the allowlist changed since
 * (or was never merged). Borrowed. */
const struct ccsb_allowlist *ccsb__sandbox_merged(const ccsb_sandbox *sb);
/* That list, or else the allowlist merged into *tmp (the caller frees it
 * with ccsb__allowlist_free(), also after NULL: out of memory). */
const struct ccsb_allowlist *ccsb__sandbox_merged_view(const ccsb_sandbox *sb,
						       struct ccsb_allowlist *tmp);

int ccsb__add_special(ccsb_sandbox *sb, enum ccsb_mount_kind kind, const char *dest,
		      ccsb_error **err);
/* A copy of host file `src` at `dest` (CCSB_M_FILE with src), read when the
 * sandbox starts, mode `perms` inside. */
int ccsb__add_file_copy(ccsb_sandbox *sb, const char *src, const char *dest, unsigned perms,
			ccsb_error **err);

/* ---- the curated /etc (etc.c) ---------------------------------------- */

/* What programs need from the host's /etc and holds no secrets: regular
 * files as copies, symlinks into /usr as symlinks, directories as binds. */
int ccsb__add_etc(ccsb_sandbox *sb, ccsb_error **err);
/* The descriptor bwrap reads a CCSB_M_FILE from: the host file opened, or
 * a memfd of the data. A host file gone since the policy was made gives an
 * empty file. Close-on-exec; negative errno on failure. */
int ccsb__file_fd(const struct ccsb_mount *m, ccsb_error **err);
/* For a run: the /etc entries replaced by one read-only bind of a prepared
 * directory (etccache.c), or left as they are when that cannot be done as
 * safely; negative errno only for a policy that would expose the cache. */
int ccsb__etc_cache_apply(ccsb_sandbox *sb, ccsb_error **err);
/* The policy's mounts back and the tree's lock dropped: the run's end. */
void ccsb__etc_cache_release(ccsb_sandbox *sb);
/* An empty directory at `dest`, read-only (CCSB_M_TMPFS, CCSB_MOUNT_RDONLY). */
int ccsb__add_ro_empty_dir(ccsb_sandbox *sb, const char *dest, ccsb_error **err);

/* The pure builder. `tty` decides ccsb-exec's --tty; ccsb__build_argv()
 * takes it from the policy (CCSB_TTY_ON only), ccsb_sandbox_run() passes the
 * resolved choice. */
int ccsb__build_argv(const ccsb_sandbox *sb, char *const cmd[], bool with_sync, char ***out,
		     ccsb_error **err);
int ccsb__build_argv_tty(const ccsb_sandbox *sb, char *const cmd[], bool with_sync, bool tty,
			 char ***out, ccsb_error **err);

/* ---- seccomp (seccomp.c) --------------------------------------------- */

/* Write the filter's BPF to `fd` (a memfd, a pipe or a socket): the one
 * generated at build time, or compiled now in a cross build. */
int ccsb__seccomp_export(const ccsb_sandbox *sb, int fd, ccsb_error **err);
/* Compile it now with libseccomp (dlopen()ed): the cross-build path, and
 * the reference the generated BPF is tested against. */
int ccsb__seccomp_compile(bool nested_userns, int fd, ccsb_error **err);
/* The policy's filter as BPF in a new memfd (O_CLOEXEC, offset 0). */
int ccsb__seccomp_memfd(const ccsb_sandbox *sb, ccsb_error **err);
/* The same bytes in a malloc'ed buffer (for --print). */
int ccsb__seccomp_bpf(const ccsb_sandbox *sb, unsigned char **out, size_t *len, ccsb_error **err);

/* ---- capabilities (caps.c) ------------------------------------------- */

/* Async-signal-safe variant of ccsb_caps_drop_inheritable() for a forked
 * child; returns 0 or -errno. */
int ccsb__caps_drop_inheritable_raw(void);

/* ---- terminal relay (pty.c) ------------------------------------------ */

struct ccsb_ring {
	char b[16384]; /* room for a pty read (4 KiB) and what the escape filter adds */
	size_t off, len;
};

struct ccsb_pty {
	int master;		   /* -1: no pty */
	int slave;		   /* ours until bwrap is spawned; then closed */
	int in, out;		   /* the caller's terminal: read keys from `in`, write
			* output to `out` (reopened non-blocking when possible) */
	bool own_in, own_out;	   /* whether in/out are ours to close */
	bool slave_out, slave_err; /* the command's stdout/stderr is the pty */
	bool output_only;	   /* stdin is not a terminal: only output is relayed */
	bool raw;		   /* `saved` is to be restored */
	struct termios saved;
	struct ccsb_ring to_master, to_user;
	bool in_done, master_done, out_dead;
	struct ccsb_escfilter escf; /* on what goes to_user */
};

/* Filter the command's output for the user's terminal (escfilter.c), with
 * OSC 52 writes passed when `allow_clipboard`; the locale of ccsb's own
 * environment says whether the terminal is UTF-8. */
void ccsb__pty_set_filter(struct ccsb_pty *p, bool allow_clipboard);
/* Add what the filter dropped to the exit report. */
void ccsb__pty_report(const struct ccsb_pty *p, ccsb_sandbox *sb);
/* Everything -1/false: no pty. */
void ccsb__pty_init(struct ccsb_pty *p);
/* Open a pty pair whose slave starts with the settings and window size of
 * the caller's terminal (fd 0). */
int ccsb__pty_open(struct ccsb_pty *p, ccsb_error **err);
/* Without a terminal on stdin but with one on stdout or stderr: a pty for
 * the command's output only, so that it still reaches the terminal through
 * the escape filter. 0 without opening anything when neither is a
 * terminal. */
int ccsb__pty_open_output(struct ccsb_pty *p, ccsb_error **err);
/* Raw mode on the caller's terminal; the settings before are kept. */
int ccsb__pty_raw(struct ccsb_pty *p, ccsb_error **err);
/* Put back the caller's settings if they were changed. Idempotent. */
void ccsb__pty_restore(struct ccsb_pty *p);
/* Copy the caller's window size to the pty. */
void ccsb__pty_resize(struct ccsb_pty *p);
/* Fill up to 3 pollfds for the relay; `read_user` false stops reading the
 * caller's keys (after the command is gone). Returns the count. */
int ccsb__pty_pollfds(struct ccsb_pty *p, struct pollfd *pfd, bool read_user);
/* Do the I/O that the poll result allows. */
void ccsb__pty_io(struct ccsb_pty *p, const struct pollfd *pfd, int n);
/* True once the pty's slave side is closed everywhere and its output has
 * been written out (or cannot be). */
bool ccsb__pty_drained(const struct ccsb_pty *p);
/* Restore and close everything. */
void ccsb__pty_close(struct ccsb_pty *p);
/* True when standard input is our controlling terminal and another process
 * group is in its foreground (started in the background, or by timeout(1)
 * without --foreground): changing its mode would stop us with SIGTTOU. */
bool ccsb__pty_background(void);

/* ---- job control through the relay (job.c) ---------------------------- */

/* The command stopped (^Z inside) or ccsb was told to: give the caller's
 * terminal back and stop our process group with SIGTSTP, as a shell's job
 * stops. Returns once continued, or at once when the stop was discarded
 * (an orphaned process group, SIGTSTP ignored). */
void ccsb__job_suspend(struct ccsb_pty *p);
/* After a stop: raw mode and the window size again when the terminal is
 * ours (fg; not after bg). The caller then sends SIGCONT to the sandbox's
 * pid 1, which continues the command's process group. */
void ccsb__job_resume(struct ccsb_pty *p);
/* Read the job socket: 1 when the command stopped, 0 for nothing, -1 at
 * EOF or on an error (ccsb-exec is gone). */
int ccsb__job_read(int fd);
/* Relay what the command wrote before it stopped. */
void ccsb__job_flush(struct ccsb_pty *p);

/* The caller's real home ($HOME, else the password database); NULL when
 * there is none. */
const char *ccsb__host_home(void);

/* -EPERM when a read-write bind covers a program bind (checked when the
 * plan is built, so the order of the calls does not matter). */
int ccsb__check_programs(const ccsb_sandbox *sb, ccsb_error **err);

/* -EPERM when sharing `dir` read-write would expose / or the whole home. */
int ccsb__check_shared_dir(const char *dir, ccsb_error **err);

/* Resolve the environment for a run: `host` is the host's environ (borrowed).
 * Returns a NULL-terminated, newly allocated "NAME=VALUE" array. */
int ccsb__env_build(const ccsb_sandbox *sb, char *const host[], char ***out);

/* passwd/group/hosts synthesis (pure). Newly allocated strings. */
char *ccsb__passwd_line(const char *user, uid_t uid, gid_t gid, const char *home,
			const char *shell);
char *ccsb__group_line(const char *user, gid_t gid);

/* Path checks (pure): absolute, no "..", no empty component issues. */
bool ccsb__path_ok(const char *p);

void ccsb__strv_free(char **v);
/* A copy of NULL-terminated `v` (NULL: an empty one); NULL when out of
 * memory. */
char **ccsb__strv_dup(char *const v[]);

/* host.c: the search path set, or the default one; the path of helper
 * `which` into `buf` (a name looked up on the search path for bwrap and
 * slirp4netns), 0 when it is an executable file, else -errno with the
 * path tried in `buf`. */
const char *ccsb__search_path(const ccsb_sandbox *sb);
/* `name` (a path, or looked up on the search path) into `out`: 0, -ENOENT,
 * -EACCES, -ENAMETOOLONG. */
int ccsb__search_program(const ccsb_sandbox *sb, const char *name, char *out, size_t len);
int ccsb__helper_path(const ccsb_sandbox *sb, ccsb_helper which, char *buf, size_t len);
#endif
