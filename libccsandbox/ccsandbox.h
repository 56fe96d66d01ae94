/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libccsandbox: run a command in an unprivileged bubblewrap sandbox, with
 * user-mode networking restricted to an allowlist.
 *
 * Life cycle: new -> configure -> run -> free
 *
 *     ccsb_error *err = NULL;
 *     ccsb_sandbox *sb = ccsb_sandbox_new();           // 1. an empty policy
 *     if (!sb)
 *             return -ENOMEM;
 *     int r = ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CWD, &err); // 2.
 *     if (r == 0)
 *             r = ccsb_sandbox_add_bind(sb, "/data", NULL, CCSB_BIND_RO, &err);
 *     if (r == 0)
 *             r = ccsb_sandbox_set_net(sb, CCSB_NET_NONE, &err);
 *     if (r == 0)
 *             r = ccsb_sandbox_run(sb, argv, &err);    // 3. spawn, wait
 *     if (r < 0)
 *             fprintf(stderr, "%s\n", ccsb_error_message(err));
 *     ccsb_error_free(err);
 *     ccsb_sandbox_free(sb);                           // 4.
 *
 * 1. ccsb_sandbox_new() gives an empty policy: nothing of the host is visible
 *    inside until it is added.
 * 2. Configure it, either from scratch with the add_, env_, set_ and allow
 *    functions, or starting from ccsb's own policy with
 *    ccsb_sandbox_apply_defaults() and adding to it. Mounts are applied in
 *    the order they were added; for everything else the last setting wins.
 *    Configuring only records the policy: it starts nothing.
 * 3. ccsb_sandbox_run() runs a command under the policy and waits for it.
 *    ccsb_sandbox_build_argv() and ccsb_sandbox_format_shell() show the same
 *    plan without running anything. A policy can be run any number of times.
 * 4. ccsb_sandbox_free() releases it.
 *
 * Threads and process state
 *
 * A policy object is not thread-safe: use one object from one thread at a
 * time. Distinct objects are independent, and configuring them from distinct
 * threads is fine, except ccsb_sandbox_apply_defaults(),
 * ccsb_sandbox_add_program(), ccsb_sandbox_add_path() and
 * ccsb_sandbox_add_git_config(), which read process-wide state (the current
 * directory, getpwuid(), $HOME, the toolchains' and git's variables). ccsb_caps_drop_inheritable() changes
 * the process's capability sets.
 *
 * ccsb_sandbox_run() acts on the whole process while it runs, so run at most
 * one sandbox at a time per process with it (ccsb_sandbox_spawn() takes none
 * of this and runs any number):
 *  - it blocks SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH and SIGCHLD (with a
 *    pty also SIGTSTP and SIGCONT) in the calling thread (sigprocmask()) and
 *    takes them from a signalfd; the original mask is restored before it
 *    returns. Other threads should block them too, or a
 *    signal may go to them instead of being forwarded to the command. A
 *    SIGCHLD disposition of SIG_IGN is set to SIG_DFL during the run and
 *    restored (SA_NOCLDWAIT set by other means is not supported);
 *  - it waits only for its own processes (bwrap, slirp4netns, helpers),
 *    through pidfds: the caller's other children are left alone, and a
 *    waitpid(-1) elsewhere in the process does no harm (the command's status
 *    comes from bwrap's own report). bwrap's monitor reaps the sandbox's
 *    pid 1, so the process is not made a subreaper. slirp4netns takes ~20 ms
 *    to exit after the command; it is collected by a later run or
 *    ccsb_sandbox_free() of any policy object once it has exited.
 * The command's standard input, output and error are the caller's (relayed
 * through a pty when one is used, see ccsb_sandbox_set_tty()), and bwrap
 * writes its own error messages to the caller's standard error.
 *
 * NULL
 *
 * Every function accepts NULL for its policy object (and ccsb_process_*()
 * for their handle): one that returns int fails with -EINVAL (and *err
 * saying so), a setter returning void does nothing, a getter returns its
 * default (0, false, NULL, CCSB_NET_NONE), and the _free functions are
 * no-ops. Other pointer parameters may be NULL only where their comment
 * says so; a NULL string where one is required is -EINVAL.
 *
 * Errors
 *
 * A function that can fail returns 0 (or a non-negative result) on success and
 * a negative errno value on failure. If its last argument `err` is not NULL,
 * *err is then set to a newly allocated ccsb_error that carries the code and a
 * message naming what failed ("allow.txt:12: bad prefix length '33'"); free it
 * with ccsb_error_free(). *err must be NULL on entry: when it is not, the
 * function still fails with the same code but leaves *err (the first error)
 * alone. Out of memory is -ENOMEM, and the error object itself may then be
 * missing. The library never prints and never exits.
 *
 * Ownership
 *
 * Strings and buffers passed in are copied before the function returns unless
 * a comment says "borrowed" (used only during the call, never kept). Objects
 * returned by _new functions belong to the caller and are released by the
 * matching _free function; every _free accepts NULL. Returned strings are
 * borrowed from their object unless a comment says "newly allocated".
 *
 * Linking: pkg-config --cflags --libs libccsandbox. See libccsandbox(3).
 */
#ifndef CCSANDBOX_H
#define CCSANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CCSB_VERSION_MAJOR 0
#define CCSB_VERSION_MINOR 1

/* Version of the library actually loaded, as "MAJOR.MINOR.PATCH" (compare
 * with CCSB_VERSION_MAJOR/MINOR, the version compiled against). A static
 * string; never fails. */
const char *ccsb_version(void);

/* ---- errors ---------------------------------------------------------- */

/* An error: a code and a message, filled in by a failing function (see
 * "Errors" above). Opaque; owned by the caller once returned. */
typedef struct ccsb_error ccsb_error;

/* Positive errno value describing the failure (EINVAL for bad input,
 * ENOENT for a missing file or program, EPERM for a refused policy, ...);
 * the function that failed returned its negation. 0 for e == NULL. */
int ccsb_error_code(const ccsb_error *e);
/* Human-readable one-line message, without a trailing newline, naming what
 * failed. Borrowed from `e`: valid until ccsb_error_free(e). "" for
 * e == NULL, so it can be printed unconditionally. */
const char *ccsb_error_message(const ccsb_error *e);
/* Release `e`. NULL is a no-op. */
void ccsb_error_free(ccsb_error *e);
/* Fail in the library's convention, for an embedder's own steps (a tool's
 * option, a callback): when `err` is not NULL and *err is NULL, set *err to
 * a new error with `code` (a positive errno value; 0 means EIO) and the
 * printf-style message. Returns -code, for `return ccsb_error_set(...)`.
 * Out of memory leaves *err NULL. */
int ccsb_error_set(ccsb_error **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- the policy object ---------------------------------------------- */

/* A sandbox policy: what is visible inside, the environment, the identity,
 * the network, and the programs used to run it. Opaque. */
typedef struct ccsb_sandbox ccsb_sandbox;

/* A new, empty policy: no mounts (not even /usr, /proc or /dev), empty
 * environment, the caller's uid/gid, user "claude" with home "/home/claude",
 * host name "ccsb", working directory "/", network mode CCSB_NET_NONE and an
 * empty allowlist, "bwrap" and "slirp4netns" looked up on the search path
 * (ccsb_sandbox_set_search_path()), and the installed helpers.
 * Returns NULL only when out of memory. */
ccsb_sandbox *ccsb_sandbox_new(void);
/* Release `sb` and everything it copied. NULL is a no-op. */
void ccsb_sandbox_free(ccsb_sandbox *sb);

/* Flags for ccsb_sandbox_add_bind(). */
enum {
	CCSB_BIND_RO = 0,	/* read-only bind (default) */
	CCSB_BIND_RW = 1 << 0,	/* read-write bind */
	CCSB_BIND_DEV = 1 << 1, /* allow device nodes (bwrap --dev-bind); always
				 * read-write: bwrap has no read-only form */
	CCSB_BIND_TRY = 1 << 2, /* silently skip when the source is missing */
};

/* Make host path `src` (a file or directory) visible at `dest` inside; dest
 * NULL means the same path. `flags` is CCSB_BIND_RO or an OR of the other
 * CCSB_BIND_* flags. Both paths are copied and must be absolute, without "."
 * or ".." components; symlinks in `src` are followed by bwrap at run time.
 * Mounts are applied in the order they are added, so a later mount can cover
 * part of an earlier one, and a mount point inside the sandbox is created as
 * needed. Nothing is checked on the host now: a missing `src` makes the run
 * fail unless CCSB_BIND_TRY is given. -EINVAL for a relative, empty or
 * dotted path or unknown flags; -ENOMEM. */
int ccsb_sandbox_add_bind(ccsb_sandbox *sb, const char *src, const char *dest, unsigned flags,
			  ccsb_error **err);
/* A fresh, empty, writable tmpfs at `dest` (copied; absolute, as for
 * ccsb_sandbox_add_bind()), discarded when the sandbox ends. -EINVAL for a bad
 * path; -ENOMEM. */
int ccsb_sandbox_add_tmpfs(ccsb_sandbox *sb, const char *dest, ccsb_error **err);
/* An empty directory at `dest` (copied; absolute), mode 0755, created in
 * whatever is mounted there at run time (the sandbox's own root, or a
 * tmpfs). -EINVAL for a bad path; -ENOMEM. */
int ccsb_sandbox_add_dir(ccsb_sandbox *sb, const char *dest, ccsb_error **err);
/* A fresh procfs for the sandbox's own pid namespace at `dest` (copied;
 * absolute, normally "/proc"). When the policy was made by a process whose
 * real uid is 0, the parts of it that write kernel-wide state (sys,
 * sysrq-trigger, acpi, scsi, fs, driver, irq, bus) are also covered
 * read-only: the sandbox's uid then maps to host root, which these files
 * obey without any capability. For any other caller they are left alone,
 * because such covers make a nested procfs mount (bwrap inside) fail.
 * -EINVAL for a bad path; -ENOMEM. */
int ccsb_sandbox_add_proc(ccsb_sandbox *sb, const char *dest, ccsb_error **err);
/* A minimal /dev at `dest` (copied; absolute, normally "/dev"): a tmpfs with
 * null, zero, full, random, urandom, tty, a private devpts and /dev/shm, as
 * bwrap's --dev makes it; no host device. -EINVAL for a bad path; -ENOMEM. */
int ccsb_sandbox_add_dev(ccsb_sandbox *sb, const char *dest, ccsb_error **err);
/* A symlink at `dest` (absolute) pointing to `target` (any non-empty string,
 * relative targets allowed; not resolved now). Both copied. -EINVAL for a bad
 * `dest` or an empty `target`; -ENOMEM. */
int ccsb_sandbox_add_symlink(ccsb_sandbox *sb, const char *target, const char *dest,
			     ccsb_error **err);
/* A read-only file at `dest` (absolute) holding a copy of `len` bytes of
 * `data`; `data` may be NULL only when `len` is 0 (an empty file). The
 * content is passed to bwrap through a memfd, never on its command line, so
 * it may hold secrets or any bytes. -EINVAL for a bad path or missing data;
 * -ENOMEM. */
int ccsb_sandbox_add_file(ccsb_sandbox *sb, const char *dest, const void *data, size_t len,
			  ccsb_error **err);

/* Environment. The sandbox's environment starts empty: the command sees only
 * what is set or passed here (ccsb_sandbox_apply_defaults() adds a base
 * set). A name is [A-Za-z_][A-Za-z0-9_]*; setting or passing a name again
 * replaces the earlier setting or pass of that name. */
/* Remove every variable set or passed so far. Never fails. */
void ccsb_sandbox_env_clear(ccsb_sandbox *sb);
/* Pass the host's value of `name` (copied), read from the process's
 * environment when ccsb_sandbox_run() starts; nothing is passed when it is
 * unset then. A trailing '*' makes `name` a prefix pattern ("LC_*"), which
 * never overrides a variable set with ccsb_sandbox_env_set().
 * ccsb_sandbox_format_shell() refers to passed variables as "$NAME" instead
 * of copying their values. -EINVAL for a bad name; -ENOMEM. */
int ccsb_sandbox_env_pass(ccsb_sandbox *sb, const char *name, ccsb_error **err);
/* Set `name` to `value` (both copied; value may be empty, not NULL),
 * replacing an earlier setting. Values are handed to bwrap through its
 * environment, never through its argv, so they do not show in ps(1).
 * -EINVAL for a bad name or a NULL value; -ENOMEM. */
int ccsb_sandbox_env_set(ccsb_sandbox *sb, const char *name, const char *value, ccsb_error **err);

/* Identity inside: uid and gid (also used for the synthesized /etc/passwd
 * and /etc/group), user name and home directory. Passing (uid_t)-1 or
 * (gid_t)-1 keeps the current value (the caller's ids by default); NULL keeps
 * the current name/home. Defaults: the caller's ids, "claude",
 * "/home/claude". `user` (copied) is made of [A-Za-z0-9_.-]; `home` (copied)
 * is absolute without ':'. Only the policy changes: the identity takes effect
 * through ccsb_sandbox_apply_defaults(), which must come after, and through
 * the run's uid/gid. -EINVAL for a bad name or home; settings given before
 * the bad one may already have been applied. -ENOMEM. */
int ccsb_sandbox_set_identity(ccsb_sandbox *sb, uid_t uid, gid_t gid, const char *user,
			      const char *home, ccsb_error **err);
/* Host name inside the sandbox (default "ccsb"; copied; non-empty, no
 * newline). ccsb_sandbox_apply_defaults() writes it into /etc/hosts and
 * /etc/hostname, so set it first. -EINVAL; -ENOMEM. */
int ccsb_sandbox_set_hostname(ccsb_sandbox *sb, const char *name, ccsb_error **err);
/* Working directory of the command inside (copied; absolute, without "." or
 * ".."). Default: "/". It must exist inside the sandbox at run time, or the
 * run fails. -EINVAL; -ENOMEM. */
int ccsb_sandbox_set_cwd(ccsb_sandbox *sb, const char *path, ccsb_error **err);
/* The bwrap program (copied): a path, or a name looked up on the search
 * path (ccsb_sandbox_set_search_path()) when the run starts. Default
 * "bwrap". -EINVAL when empty; -ENOMEM. */
int ccsb_sandbox_set_bwrap(ccsb_sandbox *sb, const char *path, ccsb_error **err);
/* The in-sandbox init helper (ccsb-exec, copied; an absolute host path). It
 * is bound read-only into the sandbox and runs there as pid 1, so it must be
 * statically linked. Default: the installed one. A run with a network also
 * starts ccsb-net, the helper that configures it, and one with Claude
 * Code's state ccsb-state: by default both in this helper's directory (see
 * ccsb_sandbox_set_helper()). -EINVAL; -ENOMEM. */
int ccsb_sandbox_set_exec_helper(ccsb_sandbox *sb, const char *path, ccsb_error **err);

/* Network mode. Every mode gives the sandbox its own network namespace; the
 * two slirp4netns modes give it a tap interface with user-mode NAT and DNS,
 * never access to the host's own loopback services. */
typedef enum ccsb_net_mode {
	CCSB_NET_NONE = 0,	/* loopback only */
	CCSB_NET_FULL = 1,	/* slirp4netns, any destination, not the host's loopback */
	CCSB_NET_ALLOWLIST = 2, /* slirp4netns, routes only to allowlisted prefixes */
} ccsb_net_mode;

/* Select the network mode (default CCSB_NET_NONE). Allowlist entries are kept
 * whatever the mode and used only in CCSB_NET_ALLOWLIST. -EINVAL for an
 * unknown mode. */
int ccsb_sandbox_set_net(ccsb_sandbox *sb, ccsb_net_mode mode, ccsb_error **err);
/* The mode last set. Never fails. */
ccsb_net_mode ccsb_sandbox_get_net(const ccsb_sandbox *sb);

/* Add one allowlist entry (copied), surrounding whitespace ignored:
 *  - an IPv4 or IPv6 address or CIDR prefix ("192.0.2.0/24", "2001:db8::/32";
 *    a bare address is a /32 or /128). Host bits set below the prefix length
 *    ("10.0.0.1/8") are an error.
 *  - a domain pattern: "example.com" allows that name only, "*.example.com"
 *    any name strictly below it (not example.com itself). Matching is
 *    case-insensitive, on whole labels ("badexample.com" does not match
 *    "*.example.com" nor "example.com"); one trailing dot is ignored. Labels
 *    are 1-63 letters, digits, '-' (not first or last) and '_'; a pattern
 *    has at least two labels besides "*", the last starting with a letter,
 *    and at most 253 characters; "*" only as the whole first label
 *    ("*.com", "a.*.example.com", "*foo.example.com" are refused). In
 *    CCSB_NET_ALLOWLIST mode the sandbox's DNS queries are answered by the
 *    library's filtering resolver: a matching name is resolved upstream and
 *    answered with a synthetic address bound to it, through which TCP
 *    connections reach that name's addresses only (its real addresses stay
 *    unreachable, unless a prefix entry covers them); a name or pattern may
 *    end in ":PORT[,PORT...]" (at most 16) to allow only those ports to it,
 *    "github.com:22,443"; any other name is refused without
 *    leaving the machine, and answers pointing at loopback, link-local, the
 *    slirp network, cloud metadata or private addresses are withheld (a
 *    private address is let through when an address entry covers it).
 * -EINVAL with a message naming the problem for anything else; -ENOMEM.
 * Selecting CCSB_NET_ALLOWLIST is separate: adding entries does not change
 * the mode. */
int ccsb_sandbox_allow(ccsb_sandbox *sb, const char *entry, ccsb_error **err);
/* Add every entry of an allowlist file, read now (`path` borrowed; a pipe or
 * process substitution works): one entry a line, '#' starts a comment, blank
 * lines ignored. Nothing is added unless the whole file is valid: -EINVAL
 * naming "FILE:LINE: problem 'text'"; the open(2)/read(2) errno naming the
 * file; -EFBIG beyond 64 MiB; -ENOMEM. */
int ccsb_sandbox_allow_file(ccsb_sandbox *sb, const char *path, ccsb_error **err);
/* Number of allowlist prefixes as given, and after merging overlapping and
 * adjacent ones (what will be installed as routes). Domain patterns are not
 * counted here. Either pointer may be NULL. Never fails (out of memory,
 * *merged is the given count). A run merges the list once and keeps it
 * until the allowlist next changes; counting before any run merges a copy
 * of its own (~20 ms for 100,000 entries). */
void ccsb_sandbox_allowlist_count(const ccsb_sandbox *sb, size_t *given, size_t *merged);
/* Number of distinct domain patterns in the allowlist ("Example.com." and
 * "example.com" count once). 0 for a NULL sandbox. */
size_t ccsb_sandbox_allowlist_name_count(const ccsb_sandbox *sb);
/* Whether the allowlist lets the sandbox reach `host` (borrowed): an
 * address ("192.0.2.7", "2001:db8::7") inside one of its prefixes, or a
 * name ("api.example.com", any case, one trailing dot allowed) matched by
 * one of its names or patterns, as the filtering resolver would match a
 * query. Only the allowlist is consulted, whatever the network mode. 1
 * allowed, 0 not; -EINVAL for a NULL sandbox or a `host` that is neither an
 * address nor a valid name (a pattern or a prefix included). */
int ccsb_sandbox_allowlist_match(const ccsb_sandbox *sb, const char *host);
/* Publish a TCP port of the sandbox on the host, as podman's -p: `spec`
 * (borrowed) is "[HOST_ADDR:]HOST_PORT[:SANDBOX_PORT]" (an IPv6 HOST_ADDR in
 * brackets; default 127.0.0.1; SANDBOX_PORT defaults to HOST_PORT). During
 * ccsb_sandbox_run() the library listens on HOST_ADDR:HOST_PORT (bound
 * before the sandbox starts: a port already taken fails the run with
 * -EADDRINUSE before anything runs) and relays each connection to the
 * sandbox's own 127.0.0.1:SANDBOX_PORT, or [::1]:SANDBOX_PORT when that is
 * refused, so a server inside that listens on its loopback is reached. The
 * connections inside are made by the library, in the sandbox's network
 * namespace, from a thread of its own; the allowlist is not involved, and
 * it works in every network mode (CCSB_NET_NONE included). UDP is not
 * relayed. -EINVAL naming the problem for
 * a bad spec or a host port published twice; -E2BIG beyond 64. */
int ccsb_sandbox_add_publish(ccsb_sandbox *sb, const char *spec, ccsb_error **err);
/* Let the sandbox reach the host's 127.0.0.1:`port` (1-65535) as its own
 * 127.0.0.1:`port` and [::1]:`port` (so "localhost:PORT" works), and nothing
 * else of the host: listeners on the sandbox's loopback, whose connections
 * the library relays to the host's loopback from its own thread. The
 * network's host-loopback block stays. A port added twice counts once.
 * Every network mode: under CCSB_NET_NONE the listed ports are all the
 * sandbox reaches.
 * -EINVAL for port 0 or above 65535; -E2BIG beyond 64 ports. */
int ccsb_sandbox_add_host_port(ccsb_sandbox *sb, unsigned port, ccsb_error **err);
/* One line describing the published and host ports ("published
 * 127.0.0.1:5173 -> sandbox 5173; host ports 5432, 3128"), cut to `len`
 * (buf may be NULL with len 0); returns how many there are (0: the line is
 * empty). */
size_t ccsb_sandbox_describe_ports(const ccsb_sandbox *sb, char *buf, size_t len);
/* Reports of the CCSB_NET_ALLOWLIST mode's filtering resolver, written by
 * ccsb_sandbox_run() to descriptors the caller keeps open (borrowed; -1:
 * none, the default): `log_fd` gets one line per refused query
 * ("dns: refused NAME (type N)"), `summary_fd` one line when the run ends
 * if any name was refused ("ccsb: dns: refused 2 names: a.example (3),
 * b.example (1); to allow one: --allow=a.example, or the config line
 * 'allow = a.example'", the most refused name as the example). Names are
 * printable: other bytes are written "\DDD". */
void ccsb_sandbox_set_dns_log(ccsb_sandbox *sb, int log_fd, int summary_fd);
/* The exit report: what ccsb_sandbox_run()'s guards did about what the
 * sandbox wrote (blocked, quarantined, dropped, changed files that host tools
 * run). When a run ends with any item, it writes one block to `fd`
 * (borrowed; -1: none, the default): "ccsb: after the run, N items:" and a
 * line "ccsb:   ITEM" for each. Silent when there is no item. */
void ccsb_sandbox_set_report_fd(ccsb_sandbox *sb, int fd);
/* Number of items in the last run's exit report; they stay readable until
 * the next run or ccsb_sandbox_free(). 0 for NULL. */
size_t ccsb_sandbox_report_count(const ccsb_sandbox *sb);
/* Item `i` of the last run's exit report (borrowed, valid until the next run
 * or ccsb_sandbox_free()); NULL past the end or for NULL. */
const char *ccsb_sandbox_report_item(const ccsb_sandbox *sb, size_t i);

/* ---- event stream ----------------------------------------------------- */

/* The value of "v" in every event line; raised when a field changes meaning
 * or goes away (new events and fields keep it). */
#define CCSB_EVENTS_VERSION 1
/* Write the event stream of each run to `fd` (borrowed, not closed; -1:
 * none, the default): one JSON object a line, written as things happen,
 * described by docs/events.schema.json. Every line has "v"
 * (CCSB_EVENTS_VERSION), "seq" (1, 2, ... within the run), "time" (UTC,
 * RFC 3339 with milliseconds) and "event":
 *  - "start": the sandbox is complete and its command is released: the
 *    policy's summary (command, cwd, network mode and allowlist size, the
 *    host paths it may write, seccomp, bounds, ssh-agent and git
 *    credentials), the pids of the supervisor and of the sandbox's pid 1,
 *    and "session", its name (ccsb_sandbox_set_name()) when it has one;
 *  - "dns_refused": the allowlist's resolver refused a name;
 *  - "route_added": an allowed name's answer opened a host route;
 *  - "ssh_agent" / "git_credential": the broker signed, served or refused a
 *    request;
 *  - "report": an item of the exit report (ccsb_sandbox_report_item()), with
 *    the part that reported it ("guard", "state", "broker", "terminal"): the
 *    persistence guard's quarantines, replacements and warnings come as
 *    these, as they happen at the end of the run;
 *  - "bound": a resource bound was hit, as far as it can be seen from
 *    outside the sandbox: OOM kills and refused forks counted by the systemd
 *    scope's cgroup (memory.events, pids.events), else OOM kills counted
 *    by the host (/proc/vmstat: any process's, during the run). A fork
 *    refused by RLIMIT_NPROC and a full tmpfs are seen only inside (EAGAIN,
 *    ENOSPC) and are not reported;
 *  - "exit": the run's end: "status" (what ccsb_sandbox_run() returns, or
 *    null with "error"), "duration_ms", "peak_rss" (bytes: the largest
 *    resident set of one process of the sandbox, from wait4()'s ru_maxrss;
 *    null when unknown), "reported" (exit report items) and "dropped".
 * Strings from inside the sandbox (names, paths, commands) are escaped: a
 * line holds one object, in valid UTF-8 (bytes that are not become U+FFFD).
 * Writing never blocks the sandbox or the thread that emits: pipes, FIFOs
 * and terminals are reopened non-blocking through /proc (the caller's own
 * descriptor keeps its flags; without /proc, O_NONBLOCK is set on it for the
 * run), sockets are written with MSG_DONTWAIT, and up to 256 KiB of lines
 * wait in memory for a slow reader. A line that does not fit is dropped;
 * the next line written has "dropped": how many were lost just before it,
 * and the exit event the run's total. The end of the run waits up to 2 s for
 * the reader to take the last lines (ccsb_process_wait() returns after
 * that). A reader that is gone (EPIPE) loses
 * the rest; SIGPIPE is not raised. -EBADF for a descriptor that is not open,
 * -ENOMEM. */
int ccsb_sandbox_set_events_fd(ccsb_sandbox *sb, int fd);
/* An event line (NUL-terminated, without the newline; borrowed for the
 * call), its length, and the data given with the callback. */
typedef void (*ccsb_event_fn)(const char *line, size_t len, void *data);
/* Call `fn` with each event line, in the order of "seq", one call at a
 * time, from the thread that emits it: the one that supervises the run
 * (the caller's in ccsb_sandbox_run(), the process's own thread after
 * ccsb_sandbox_spawn()), or the broker's thread for "ssh_agent" and
 * "git_credential". It must return
 * quickly and must not call the library on this policy. Every line reaches
 * it, whether or not a descriptor's reader keeps up. NULL: none (the
 * default). -EINVAL for a NULL policy, -ENOMEM. */
int ccsb_sandbox_set_event_callback(ccsb_sandbox *sb, ccsb_event_fn fn, void *data);
/* Lines of the last run's stream lost by the descriptor (a slow or missing
 * reader), the exit line included when it could not be written. */
uint64_t ccsb_sandbox_events_dropped(const ccsb_sandbox *sb);
/* Flags for ccsb_sandbox_set_ssh_agent(). */
enum {
	/* Also bind read-only, when they exist: the caller's ~/.ssh/known_hosts
	 * and known_hosts2 (at the sandbox home's .ssh/), /etc/ssh/ssh_known_hosts,
	 * ssh_known_hosts2, ssh_config and ssh_config.d. Never a key, never
	 * ~/.ssh/config. Read from $HOME now: call after
	 * ccsb_sandbox_apply_defaults() (whose home tmpfs would cover them). */
	CCSB_SSH_KNOWN_HOSTS = 1 << 0,
};

/* Serve an ssh-agent inside the sandbox: ccsb_sandbox_run() listens on a
 * socket bound read-only at /run/ccsb/ssh-agent.sock (SSH_AUTH_SOCK is set
 * to it) and relays to the agent named by the caller's $SSH_AUTH_SOCK only
 * the requests to list identities and to sign, and OpenSSH's
 * session-bind@openssh.com extension; every other request (adding or
 * removing keys, lock, unlock, smartcards, other extensions) is answered
 * SSH_AGENT_FAILURE without reaching the agent. Messages above 256 KiB
 * close the connection. `keyfilter` (copied; NULL or "" for every key)
 * limits the keys the sandbox sees and may use: comma-separated items, each
 * either a fingerprint as ssh-add -l prints it ("SHA256:" and 43 base64
 * characters, compared exactly) or a glob (fnmatch(3)) matched against the
 * key's whole comment. A signature is relayed only for a key the filter
 * exposes in the agent's list at that moment. The broker is a thread of the
 * calling process, for the duration of the run: nothing of it outlives
 * ccsb_sandbox_run(). Its socket lives in a private 0700 directory
 * ($XDG_RUNTIME_DIR, else /tmp), removed at the end of the run. Each
 * signature and refusal gets a line on the DNS log descriptor
 * (ccsb_sandbox_set_dns_log(); "ssh-agent: signed ssh login as 'git' with
 * ssh-ed25519 SHA256:... 'comment'"), and the exit report one item per key
 * used and one for the refusals. Calling it again replaces the filter.
 * At run time, an unset $SSH_AUTH_SOCK or an agent that cannot be reached
 * fails the run (-ENOENT, or connect(2)'s errno) before anything starts.
 * -EINVAL for a bad filter or flags; -ENOMEM. */
int ccsb_sandbox_set_ssh_agent(ccsb_sandbox *sb, const char *keyfilter, unsigned flags,
			       ccsb_error **err);
/* Serve git's HTTPS credentials inside, for the hosts the allowlist names
 * and no other: ccsb_sandbox_run() listens on a socket bound read-only at
 * /run/ccsb/git-credential.sock, and the sandbox's git is configured (through
 * GIT_CONFIG_COUNT/KEY_n/VALUE_n, after resetting credential.helper) to ask
 * it through the exec helper ("/run/ccsb/exec --git-credential"). A request
 * is answered only for protocol https and a host (an optional :PORT) that one
 * of the allowlist's domain patterns matches (addresses never: a name only);
 * the library then runs the caller's own `git credential fill` (git found on
 * the search path, the caller's environment, GIT_TERMINAL_PROMPT=0, no controlling
 * terminal, 60 s at most; in a pid namespace of its own where unprivileged
 * user namespaces are allowed, so that the helpers it starts die with it and
 * it dies with the caller) with only protocol, host, path and username, and
 * hands back only the username and password it answers. Everything else
 * gets "refused" (git inside then goes on without a credential). Requests
 * go to the DNS log descriptor and the exit report ("git-credential: served
 * HOST (N)", "refused HOST (why) (N)"). Served from the same thread as
 * ccsb_sandbox_set_ssh_agent(). Turning it off again is -EINVAL; -ENOMEM.
 * At run time, -ENOENT when git is not on the search path. */
int ccsb_sandbox_set_git_credentials(ccsb_sandbox *sb, bool enable, ccsb_error **err);
/* The slirp4netns program (copied): a path, or a name looked up on the
 * search path when a run needs it. Default "slirp4netns". -EINVAL when
 * empty; -ENOMEM. */
int ccsb_sandbox_set_slirp(ccsb_sandbox *sb, const char *path, ccsb_error **err);
/* Name-bound connections (CCSB_NET_ALLOWLIST): the least time, in seconds,
 * a name stays bound to its synthetic address after a lookup, whatever the
 * answer's TTL (a binding also lasts while a connection through it is
 * open). 0 restores the default, 60. Meant for tests, which cannot wait a
 * minute; -EINVAL above 86400. */
int ccsb_sandbox_set_name_ttl_floor(ccsb_sandbox *sb, unsigned seconds, ccsb_error **err);
#define CCSB_ETC_CACHE_OFF 1u
#define CCSB_ETC_CACHE_EXPLAIN 2u
/* The prepared /etc of a run (one read-only bind of a directory written
 * once under $XDG_RUNTIME_DIR/ccsb/etc or ~/.cache/ccsb/etc; see ccsb(1),
 * FILES) is used by default. CCSB_ETC_CACHE_OFF: /etc is made entry by
 * entry at every start instead (the same files, a slower start).
 * CCSB_ETC_CACHE_EXPLAIN: when the prepared /etc is not used, the reason
 * goes into the exit report. 0 restores the default; -EINVAL for other
 * bits. */
int ccsb_sandbox_set_etc_cache(ccsb_sandbox *sb, unsigned flags, ccsb_error **err);

/* ---- host programs and host checks --------------------------------- */

/* The programs the library runs on the host. It reads no environment
 * variable to find them, nor $PATH: the caller says where they are (ccsb
 * takes CCSB_BWRAP, CCSB_SLIRP4NETNS, CCSB_EXEC_HELPER, CCSB_NET_HELPER,
 * CCSB_STATE_HELPER and PATH from its environment and sets them here). */
typedef enum ccsb_helper {
	CCSB_HELPER_BWRAP = 0,	     /* default "bwrap", on the search path */
	CCSB_HELPER_SLIRP4NETNS = 1, /* default "slirp4netns", on the search path */
	CCSB_HELPER_EXEC = 2,	     /* ccsb-exec, the sandbox's pid 1; default: installed */
	CCSB_HELPER_NET = 3,	     /* ccsb-net, sets up a network; default: beside ccsb-exec */
	CCSB_HELPER_STATE = 4, /* ccsb-state, Claude Code's state; default: beside ccsb-exec */
} ccsb_helper;

/* Where helper `which` is (copied): for bwrap and slirp4netns a path, or a
 * name looked up on the search path when a run needs it; for the ccsb
 * helpers an absolute path. NULL restores the default. For the first three
 * the same as ccsb_sandbox_set_bwrap(), _set_slirp() and
 * _set_exec_helper(). -EINVAL (an unknown `which`, an empty or, for a ccsb
 * helper, relative path); -ENOMEM. */
int ccsb_sandbox_set_helper(ccsb_sandbox *sb, ccsb_helper which, const char *path,
			    ccsb_error **err);
/* The absolute path a run would start helper `which` from, looked up as
 * the run does; *path is newly allocated (free()), NULL on failure.
 * -ENOENT (not on the search path, or no such file), -EACCES (not
 * executable), with a message naming where it looked; -EINVAL; -ENOMEM.
 * Reads the file system only. */
int ccsb_sandbox_find_helper(const ccsb_sandbox *sb, ccsb_helper which, char **path,
			     ccsb_error **err);
/* `name` as a run would find it: itself when it holds a '/', else the
 * first executable regular file of that name on the search path. *path is
 * newly allocated (free()), NULL on failure. -ENOENT with a message naming
 * the search path, -EACCES; -EINVAL for an empty name; -ENOMEM. */
int ccsb_sandbox_find_program(const ccsb_sandbox *sb, const char *name, char **path,
			      ccsb_error **err);
/* The search path (a PATH value, copied) for host programs given by name:
 * bwrap and slirp4netns, git for ccsb_sandbox_set_git_credentials(), and
 * the programs of ccsb_sandbox_add_program(). Default
 * "/usr/local/bin:/usr/bin:/bin"; NULL restores it. The caller's $PATH is
 * not read: pass getenv("PATH") to use it, as ccsb does. Empty entries (the
 * current directory) are skipped. -ENOMEM. */
int ccsb_sandbox_set_search_path(ccsb_sandbox *sb, const char *path, ccsb_error **err);

/* The ids ccsb gives a sandbox when none are asked for: the caller's, with
 * 0 (root) replaced by 1000, since Claude Code refuses to run as root. For
 * ccsb_sandbox_set_identity(). Never fails. */
void ccsb_default_ids(uid_t *uid, gid_t *gid);

/* A host setting that keeps unprivileged user namespaces, which bwrap
 * needs, from working. */
typedef enum ccsb_userns_block {
	CCSB_USERNS_OK = 0,
	CCSB_USERNS_APPARMOR = 1,  /* kernel.apparmor_restrict_unprivileged_userns = 1 */
	CCSB_USERNS_MAX_ZERO = 2,  /* user.max_user_namespaces = 0 */
	CCSB_USERNS_CLONE_OFF = 3, /* kernel.unprivileged_userns_clone = 0 (Debian's switch) */
} ccsb_userns_block;
/* Read those settings from /proc/sys, in the order above: 0 with *which
 * CCSB_USERNS_OK (which may be NULL) when none blocks; else -EPERM with
 * *which naming the first that does and a message with its fix, the one a
 * run gives when bwrap fails for it. With AppArmor, a profile may still
 * allow bwrap itself: this says the restriction is on, not that bwrap
 * fails. */
int ccsb_check_userns(ccsb_userns_block *which, ccsb_error **err);

/* ---- terminal and kernel hardening ---------------------------------- */

/* Terminal handling. With a pty, ccsb_sandbox_run() opens a new pseudo
 * terminal, gives its slave side to the command as standard input (and as
 * standard output and error where those are terminals; a redirected stdout or
 * stderr is passed through as it is), makes it the command's controlling
 * terminal in a session of its own, puts the caller's terminal in raw mode
 * and relays bytes both ways. The window size is copied at start and on
 * every SIGWINCH; ^C, ^Z and ^\ reach the command through its own pty, so
 * it can handle them and job control works inside. The caller's terminal
 * settings are restored before ccsb_sandbox_run() returns, whatever the
 * outcome. The sandbox holds no descriptor of the caller's terminal, so it
 * cannot push input into it.
 * Without a pty, standard input, output and error are handed to the command
 * unchanged (byte-exact, EOF propagates); the command runs in a new session
 * with no controlling terminal. */
typedef enum ccsb_tty_mode {
	CCSB_TTY_AUTO = 0, /* a pty when standard input is a terminal and the
			    * caller is in its foreground process group
			    * (default); in its background, none */
	CCSB_TTY_ON = 1,   /* always a pty; the run fails with -ENOTTY when
			    * standard input is not a terminal, or when the
			    * caller is in the background of it */
	CCSB_TTY_OFF = 2,  /* never a pty */
} ccsb_tty_mode;

/* -EINVAL for an unknown mode. CCSB_TTY_AUTO is resolved by
 * ccsb_sandbox_run() (isatty(0)); the pure functions ccsb_sandbox_build_argv()
 * and ccsb_sandbox_format_shell() treat it as "no pty" and add ccsb-exec's
 * --tty only for CCSB_TTY_ON. */
int ccsb_sandbox_set_tty(ccsb_sandbox *sb, ccsb_tty_mode mode, ccsb_error **err);

/* The seccomp filter (default: on). It makes these system calls fail, for
 * the native architecture and its compat ABIs (on x86-64: i386 and x32,
 * with the same rules; a system call through any other ABI kills the
 * process):
 *   EPERM: ioctl TIOCSTI and TIOCLINUX (low 32 bits of the request
 *     compared), keyctl, add_key, request_key, kexec_load, kexec_file_load,
 *     init_module, finit_module, delete_module, reboot, swapon, swapoff,
 *     syslog, acct, quotactl, quotactl_fd, bpf, perf_event_open,
 *     userfaultfd, open_by_handle_at;
 *   ENOSYS: the new mount API (fsopen, fsconfig, fsmount, fspick,
 *     open_tree, move_mount, mount_setattr) and clone3 (libc then falls
 *     back to clone, whose flags the filter can see);
 *   EAFNOSUPPORT: socket() with a family other than AF_UNIX, AF_INET,
 *     AF_INET6 and AF_NETLINK. On i386, socketcall(SYS_SOCKET) is refused
 *     whatever the family, since BPF cannot read its arguments.
 * ptrace stays allowed (strace works inside, on the sandbox's own
 * processes). The filter is built by libseccomp, exported as BPF into a
 * memfd and passed to bwrap as `--seccomp N`, where N is the descriptor
 * after the data files (see ccsb_sandbox_build_argv(); 5 in
 * ccsb_sandbox_format_shell()). It applies to everything in the sandbox,
 * ccsb-exec (pid 1) included. */
void ccsb_sandbox_set_seccomp(ccsb_sandbox *sb, bool enable);

/* Whether the command may create user namespaces of its own (default:
 * refused). Refused, bwrap gets --disable-userns (the kernel's limit:
 * creating one fails with ENOSPC), and with the seccomp filter on, unshare()
 * and clone() with CLONE_NEWUSER fail earlier with EPERM (clone3 is ENOSYS
 * anyway). A nested user namespace gives its creator every capability over
 * the namespaces it makes next (new network devices, nf_tables, xfrm...),
 * the usual path of published local root exploits. Allowed, tools that
 * sandbox themselves with bwrap or unshare (Claude Code's own sandbox) work
 * inside; the capabilities they get apply only to namespaces they create,
 * never to the sandbox's network or mounts. */
void ccsb_sandbox_set_nested_userns(ccsb_sandbox *sb, bool allow);

/* ---- resource bounds ------------------------------------------------ */

/* For ccsb_sandbox_set_memory_max() and ccsb_sandbox_set_pids_max(). */
#define CCSB_BOUND_DEFAULT ((uint64_t)0)
#define CCSB_BOUND_NONE UINT64_MAX

/* Bound the memory the sandbox can take from the host, in bytes.
 * CCSB_BOUND_DEFAULT (what ccsb_sandbox_new() sets) is half the host's RAM;
 * CCSB_BOUND_NONE lifts the bound. With a bound:
 *  - every tmpfs gets a size (bwrap's --size, which needs bwrap 0.7.0 or
 *    later): one at /tmp half the bound, one at the home (see
 *    ccsb_sandbox_set_identity()) a quarter, every other one an eighth;
 *    each CCSB_M_DEV mount (ccsb_sandbox_add_dev()) gets a tmpfs of an
 *    eighth at DEST/shm, and the rest of that /dev is made read-only.
 *    Writing past a size fails with ENOSPC inside. The default policy's
 *    tmpfs mounts add up to 7/8 of the bound.
 *  - the sandbox's processes get oom_score_adj 500 (from ccsb-exec, when
 *    the policy mounts /proc at /proc), so the kernel's OOM killer takes
 *    them before the caller's other programs.
 *  - ccsb_sandbox_run() asks the caller's systemd user manager, on the
 *    session bus ($DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus),
 *    for a transient scope "ccsb-PID-PID.scope" with MemoryMax (and
 *    TasksMax, see ccsb_sandbox_set_pids_max()) holding bwrap and the
 *    sandbox before the command starts, then checks that the sandbox is in
 *    its cgroup and that the cgroup has memory.max and pids.max (a manager
 *    on a cgroup v1 or hybrid machine has no such controllers). Then the
 *    kernel bounds the sandbox's whole memory, tmpfs pages included;
 *    without, the memory of its processes is not bounded.
 * The bounds line (ccsb_sandbox_describe_bounds(),
 * ccsb_sandbox_set_bounds_fd()) says which of these hold. -EINVAL below
 * 16 MiB. */
int ccsb_sandbox_set_memory_max(ccsb_sandbox *sb, uint64_t bytes, ccsb_error **err);
/* Bound the number of tasks (processes and threads) in the sandbox.
 * CCSB_BOUND_DEFAULT (what ccsb_sandbox_new() sets) is 4096, or 64 per
 * online CPU with more than 64; CCSB_BOUND_NONE lifts it. ccsb-exec sets
 * RLIMIT_NPROC (soft and hard) to it before it starts the command; since
 * Linux 5.14 the kernel checks it against the tasks of the sandbox's user
 * namespaces only, so the caller's processes outside neither count nor are
 * limited. A fork() or clone() past the bound fails with EAGAIN. The
 * systemd scope (ccsb_sandbox_set_memory_max()) gets it as TasksMax too.
 * -EINVAL below 8. */
int ccsb_sandbox_set_pids_max(ccsb_sandbox *sb, uint64_t n, ccsb_error **err);
/* The memory bound as resolved: bytes, or CCSB_BOUND_NONE. */
uint64_t ccsb_sandbox_get_memory_max(const ccsb_sandbox *sb);
/* The task bound as resolved: a number of tasks, or CCSB_BOUND_NONE. */
uint64_t ccsb_sandbox_get_pids_max(const ccsb_sandbox *sb);
/* One line (newly allocated, no newline; NULL when out of memory) naming
 * each bound in force and the mechanism that enforces it, and what is not
 * bounded: "bounds: memory 12G for tmpfs: 1.5G /dev/shm, 6G /tmp, 3G
 * /home/claude (bwrap --size); process memory not bounded (no systemd
 * scope: WHY), ...; tasks 4096 (RLIMIT_NPROC, sandbox's user namespace)".
 * Before any run it describes the plan (the scope is "decided at run
 * time"); after one, what that run had. */
char *ccsb_sandbox_describe_bounds(const ccsb_sandbox *sb);
/* Where ccsb_sandbox_run() writes "ccsb: " and the bounds line, once the
 * bounds are in place and before the command starts (borrowed; -1: none,
 * the default). */
void ccsb_sandbox_set_bounds_fd(ccsb_sandbox *sb, int fd);

/* Whether the command may write the user's clipboard through its terminal
 * (OSC 52; default: no). With a pty (ccsb_sandbox_set_tty()), everything the
 * command writes reaches the user's terminal through a filter that drops
 * OSC 52 clipboard writes unless this is allowed, and always drops clipboard
 * reads, the sequences that make the terminal answer with text the command
 * chose or with the screen's contents (title reports, DECRQSS, DECRQCRA, font
 * queries), and those that change the terminal beyond the screen (window
 * moves and resizes, colors other than queries, function keys, log files,
 * printing, strings for tmux, iTerm2 or kitty extensions). Text, cursor and
 * screen control, modes, titles, hyperlinks, notifications and the queries
 * full-screen programs send pass byte for byte. What was dropped is counted
 * in the exit report. */
void ccsb_sandbox_set_allow_clipboard(ccsb_sandbox *sb, bool allow);

/* Clear the calling process's inheritable and ambient capability sets, so
 * that nothing it runs from now on can inherit a capability. ccsb calls it
 * first thing; ccsb_sandbox_run() also clears them in the process that
 * becomes bwrap, so an embedder need not. Changes process-wide state: call
 * it early, before threads exist. */
int ccsb_caps_drop_inheritable(ccsb_error **err);

/* ---- default policy -------------------------------------------------- */

/* Flags for ccsb_sandbox_apply_defaults(). */
enum {
	/* Also give the sandbox home Claude Code's state, the way ccsb claude
	 * needs it and the host stays safe: ~/.claude.json and
	 * ~/.claude/settings.json (settings.local.json) as private copies whose
	 * safe keys a helper (ccsb-state) merges back during the run; the data
	 * entries of ~/.claude (projects, todos, file-history, plans,
	 * history.jsonl, .credentials.json) read-write, the rest of it
	 * read-only, its pid-keyed entries private; $CLAUDE_CONFIG_DIR instead
	 * of ~/.claude when set; and an npm cache of the sandbox's own
	 * ($XDG_CACHE_HOME/ccsb/npm) at ~/.npm. Missing data entries and
	 * ~/.claude.json are created on the host first. What the merge dropped
	 * is in the exit report (ccsb_sandbox_report_item()). */
	CCSB_DEFAULTS_CLAUDE_STATE = 1 << 0,
	/* Also bind the current directory read-write at the same path and make
	 * it the working directory. Refused (-EPERM) when it is "/" or the
	 * caller's whole home directory. */
	CCSB_DEFAULTS_CWD = 1 << 1,
};

/* Apply ccsb's default policy: read-only system directories (/usr, and /bin,
 * /sbin, /lib, /lib64, /lib32 as the host has them, symlinks kept), a
 * curated read-only subset of /etc, synthesized /etc/passwd, /etc/group and
 * /etc/hosts, tmpfs /tmp and home, fresh /proc and minimal /dev, hostname
 * "ccsb", the base environment (HOME, USER, LOGNAME, SHELL, PATH, and TERM,
 * COLORTERM, LANG, LANGUAGE, LC_*, TZ, NO_COLOR passed when set). `flags` is 0
 * or an OR of CCSB_DEFAULTS_*.
 * It appends to the policy as it stands, so mounts added afterwards can cover
 * parts of it; applying it twice adds everything twice. Host paths are
 * inspected now, and the identity and host name are written into the
 * synthesized files now: call it after ccsb_sandbox_set_identity() and
 * ccsb_sandbox_set_hostname(). It reads the current directory and the
 * caller's home ($HOME, else the password database) and, with
 * CCSB_DEFAULTS_CLAUDE_STATE, creates the missing state files there.
 * -EINVAL for unknown flags; -EPERM for a refused current directory; -ENOENT
 * when no home directory is known; the errno of creating a state file;
 * -ENOMEM. On failure part of the policy may have been added: free it. */
int ccsb_sandbox_apply_defaults(ccsb_sandbox *sb, unsigned flags, ccsb_error **err);

/* Find `name` (e.g. "claude"; a bare name, borrowed) on the search path,
 * follow symlinks, and bind its installation read-only so that it runs
 * inside (the package directory, and the interpreter of a script, found on
 * the search path too), unless it lives under /usr, which the default policy already
 * shows. A symlink named `name` is added in a directory of its own inside.
 * `*inside_dir` (inside_dir may be NULL) receives that directory, newly
 * allocated; put it on the sandbox's PATH (ccsb_sandbox_env_set()) and
 * free() it. A program inside a read-only bind at its own path is already
 * visible. Refused with -EPERM (and a message naming the fix, --ro=DIR in
 * ccsb) when the program or an interpreter is not a regular file, lies in
 * an area the sandbox can write (a read-write bind of the policy, or one
 * CCSB_DEFAULTS_CWD / CCSB_DEFAULTS_CLAUDE_STATE add, before or after this
 * call: ccsb_sandbox_build_argv() checks again), or when the directory to
 * bind would be the home directory, a parent of it, or for a prefix above
 * bin/ a whole directory of it (~/.local, ~/.cargo): never a wider bind.
 * -EINVAL for an empty name or one containing '/'; -ENOENT when the program
 * or its interpreter is not found; -ELOOP for interpreters nested too deep;
 * -ENOMEM. */
int ccsb_sandbox_add_program(ccsb_sandbox *sb, const char *name, char **inside_dir,
			     ccsb_error **err);

/* Give the sandbox the caller's git identity and style without their git
 * configuration: read the host's global configuration ($GIT_CONFIG_GLOBAL
 * when set, else $XDG_CONFIG_HOME/git/config (~/.config/git/config) and
 * ~/.gitconfig, in git's order, following [include] path, and
 * [includeIf "gitdir:..."] / "gitdir/i:" as decided for the repository of
 * the current directory; not patterns with "**" nor other conditions) and add a read-only ~/.gitconfig at the sandbox home that
 * holds only the keys on an allowlist of pure data: user.name/email,
 * author.* and committer.* names and emails, init.defaultBranch,
 * core.autocrlf/eol/safecrlf/whitespace/quotePath, pull/merge/rebase/push/
 * fetch style, diff/log/status display settings, color.*, advice.* (the
 * full list is in gitconfig.c and ccsb(1)). Never a key that runs a program,
 * names a path or URL, or holds a credential (core.pager, core.editor,
 * core.sshCommand, core.fsmonitor, core.hooksPath, alias.*, credential.*,
 * gpg.*, diff/merge/filter drivers, include*, url.*, http.*), nor
 * commit.gpgSign (there is no signing key inside). Values are re-quoted, so
 * no value can start a section of its own. Nothing is added when no safe key
 * is found. Call it after ccsb_sandbox_apply_defaults() (the home tmpfs
 * must exist first). Reads process-wide state ($HOME, $XDG_CONFIG_HOME,
 * $GIT_CONFIG_GLOBAL). -EINVAL naming "FILE:LINE" for a file git itself
 * refuses; -ELOOP for includes nested deeper than git allows (10); -EFBIG
 * for a file over 1 MiB; the errno of reading a file that exists; -ENOMEM.
 * Nothing is added on failure. */
int ccsb_sandbox_add_git_config(ccsb_sandbox *sb, ccsb_error **err);

/* Make the tool directory `dir` (an absolute host path, borrowed; symlinks
 * followed) usable inside: bind it read-only at the same path and give its
 * PATH entries in `*inside_path` (inside_path may be NULL; newly allocated,
 * colon-separated; put them on the sandbox's PATH and free() it).
 * Toolchain layouts are recognised so that what they need comes along and
 * their credentials do not:
 *  - cargo (~/.cargo or ~/.cargo/bin, or $CARGO_HOME): only bin/ is bound,
 *    never the root with credentials.toml and config.toml; CARGO_HOME is
 *    set to ~/.cargo in the sandbox home (a private, discarded registry
 *    cache), and ~/.rustup ($RUSTUP_HOME) is bound with RUSTUP_HOME set;
 *  - pyenv (~/.pyenv, its shims/ or bin/; $PYENV_ROOT): the root, with
 *    PYENV_ROOT; asdf (~/.asdf, $ASDF_DATA_DIR): the root, with
 *    ASDF_DATA_DIR and ~/.tool-versions; mise (~/.local/share/mise or its
 *    shims/, $MISE_DATA_DIR): the data directory, with MISE_DATA_DIR and
 *    ~/.config/mise at the sandbox home, plus the mise binary its shims
 *    point to;
 *  - one version's bin/ of a version manager (nvm's
 *    versions/node/VERSION/bin, pyenv's versions/V/bin, rustup's
 *    toolchains/T/bin, mise's and asdf's installs/TOOL/V/bin): the prefix
 *    above bin/; ~/.nvm itself is refused with the fix;
 *  - a directory in the Nix store (~/.nix-profile/bin): the store
 *    ($NIX_STORE_DIR, else /nix/store);
 *  - any other directory (~/.local/bin, ~/bin): itself, and the targets of
 *    the symlinks in it that are executable files (a whole Python venv for
 *    pipx's), two levels deep.
 * In every bound directory, the files that hold credentials (.npmrc,
 * etc/npmrc, credentials, credentials.toml, .netrc, .pypirc,
 * .git-credentials, .pgpass, .env) are covered by empty files.
 * Never bound, whatever names or links to them: "/", the caller's home
 * ($HOME, else the password database), any directory holding it, and the
 * home's directories of keys and tokens (~/.ssh, ~/.gnupg, ~/.aws, ~/.azure,
 * ~/.kube, ~/.docker, ~/.password-store, ~/.config/gcloud, ~/.config/gh,
 * ~/.local/share/keyrings, ~/.pki, browser profiles).
 * -EINVAL for a relative path or ~/.nvm; the errno of resolving it;
 * -ENOTDIR; -EPERM for a directory never bound; -ENOMEM. */
int ccsb_sandbox_add_path(ccsb_sandbox *sb, const char *dir, char **inside_path, ccsb_error **err);
/* Whether `program` would be found and executable inside, as the policy
 * stands: an absolute path, a path relative to the working directory, or a
 * name looked up on the PATH set with ccsb_sandbox_env_set() (the default
 * policy's PATH when none is set). Mounts are followed back to host files,
 * symlinks resolved as the sandbox would; passed variables are not. False
 * for NULL or "". */
bool ccsb_sandbox_has_program(const ccsb_sandbox *sb, const char *program);

/* ---- plan and run ---------------------------------------------------- */

/* Build the bwrap command line that ccsb_sandbox_run() would execute for
 * `cmd` (a NULL-terminated argv, borrowed). Pure: inspects no host state and
 * starts nothing. *argv_out receives a NULL-terminated array; free it with
 * ccsb_argv_free(). File descriptor numbers in it are the ones the run uses
 * (3 info, 4 block, 5 json status, 6.. data files in the order they were
 * added, then the seccomp filter). With CCSB_TTY_AUTO the argv is the one for
 * a run without a pty (no --tty for ccsb-exec). argv[0] is the bwrap program
 * as set; the environment is not part of it (see
 * ccsb_sandbox_format_shell()). -EINVAL when `cmd` is NULL or cmd[0] is
 * empty; -ENOMEM. */
int ccsb_sandbox_build_argv(const ccsb_sandbox *sb, char *const cmd[], char ***argv_out,
			    ccsb_error **err);
/* Free an array from ccsb_sandbox_build_argv() and its strings. NULL is a
 * no-op. */
void ccsb_argv_free(char **argv);

/* A shell command (POSIX sh) equivalent to the run: environment as `env -i
 * NAME=VALUE ...`, the bwrap argv shell-quoted, data files fed by here
 * documents on descriptors 6, 7, ..., and the seccomp filter (binary)
 * written by printf(1) into a pipe on descriptor 5, the original standard
 * input being kept on descriptor 3 meanwhile (the printed command has no
 * sync descriptors, and POSIX sh only redirects descriptors 0 to 9: with more
 * than four data files it needs a shell that does more, such as bash). It runs without a pty relay and without waiting
 * for a network: a plan to read and to replay, not a replacement for
 * ccsb_sandbox_run(). `cmd` is borrowed; *out receives a newly allocated
 * string; free() it. Pure like ccsb_sandbox_build_argv(). -EINVAL for no
 * command, or a data file that cannot be a here-document (it contains a NUL
 * byte); -ENOMEM. */
int ccsb_sandbox_format_shell(const ccsb_sandbox *sb, char *const cmd[], char **out,
			      ccsb_error **err);

/* Run `cmd` (borrowed) in the sandbox and wait for it. Returns the command's
 * status in shell convention: its exit code, 128+N if it died of signal N,
 * 127 if it was not found inside, 126 if it could not be executed; or a
 * negative errno if the sandbox could not be set up (nothing ran, or what ran
 * was killed before it was released). SIGINT, SIGTERM, SIGHUP and SIGQUIT
 * received by the process during the run are forwarded to the command (and
 * SIGWINCH when there is no pty). With a pty (ccsb_sandbox_set_tty()), the
 * run also handles SIGWINCH (resizes the pty), SIGTSTP (restores the
 * terminal, then stops) and SIGCONT (raw mode again); these signals are
 * blocked in the calling thread during the run, so call it from the main
 * thread of a process whose other threads block them too.
 * It blocks until the command and everything it left in the sandbox are
 * gone. It changes process-wide state while it runs (see "Threads and process
 * state" at the top): signal mask, SIGCHLD taken from a signalfd. Errors: -EINVAL for no command; -ENOENT when
 * bwrap (or slirp4netns) is not found; -EPERM when user namespaces are
 * unusable, the message naming the sysctl or AppArmor fix; -EIO when bwrap
 * failed otherwise (its own message is on standard error); the errno of a
 * failed network setup (-ENODEV without a usable /dev/net/tun, ...). */
int ccsb_sandbox_run(ccsb_sandbox *sb, char *const cmd[], ccsb_error **err);

/* ---- named sessions and commands in a running sandbox ---------------
 *
 * A sandbox with a name is reachable while it runs: other commands of the
 * same user can be run inside it with ccsb_session_exec(), with exactly its
 * policy (they are started by its pid 1: same namespaces, mounts, network,
 * seccomp filter, bounds and uid), each with its own terminal or pipes and
 * its own exit status. The name is registered under the user's session
 * directory: $XDG_RUNTIME_DIR/ccsb; without XDG_RUNTIME_DIR,
 * /run/user/UID/ccsb when that directory is the user's, else /tmp/ccsb-UID.
 * The directory must be the user's and mode 0700 (created so); each sandbox
 * has NAME.sock (the socket), NAME.info (what ccsb_session_list() shows,
 * locked while the sandbox runs) and NAME.events (its event stream, as
 * ccsb_sandbox_set_events_fd() describes it, kept whether or not a
 * descriptor is set, for `ccsb ps` and `ccsb events`; bounded: at 256 KiB
 * it becomes NAME.events.1 and the new file starts with a "log_rotated"
 * line carrying the totals; removed at the end). Connections are also checked to come from
 * the same uid. The sandbox's own processes cannot reach the socket (it is
 * not mounted inside) nor the channel to pid 1 (pid 1 is not dumpable). */

typedef struct ccsb_session ccsb_session;

/* Register the sandbox as `name` (copied; NULL: no name) during
 * ccsb_sandbox_run(), which then fails with -EBUSY when a running sandbox of
 * the user already has that name (a dead one's files are reused). Names are
 * 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-';
 * -EINVAL otherwise. */
int ccsb_sandbox_set_name(ccsb_sandbox *sb, const char *name, ccsb_error **err);

/* A handle on the running sandbox named `name` of the calling user, for
 * ccsb_session_exec(); free it with ccsb_session_free(). Does not connect:
 * -EINVAL for a bad name, or an error about the session directory. */
int ccsb_session_open(const char *name, ccsb_session **out, ccsb_error **err);

/* How ccsb_session_exec() gives the command a terminal: CCSB_TTY_AUTO (the
 * default) makes it a pty of its own when standard input is a terminal,
 * relayed through the same escape filter as ccsb_sandbox_run(), and as its
 * controlling terminal; otherwise the command gets the caller's standard
 * input, output and error descriptors themselves. */
int ccsb_session_set_tty(ccsb_session *s, ccsb_tty_mode mode, ccsb_error **err);
/* The working directory of later commands, a path inside the sandbox
 * (copied; NULL: the sandbox's own). -EINVAL when not absolute. */
int ccsb_session_set_cwd(ccsb_session *s, const char *dir, ccsb_error **err);
/* An environment variable for later commands, over the sandbox's own
 * environment (both copied). At most 256. */
int ccsb_session_env_set(ccsb_session *s, const char *name, const char *value, ccsb_error **err);

/* Run `cmd` (borrowed) in the session's sandbox and wait for it; the status
 * in ccsb_sandbox_run()'s convention (127 not found inside, ...), or a
 * negative errno: -ENOENT when no sandbox of that name runs, -EPIPE when the
 * sandbox ended before the command did (everything in it ends with it),
 * -E2BIG for a command over 1024 arguments or 64 KiB. SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT (and SIGWINCH without a pty) received meanwhile are sent
 * to the command's process group; they are blocked in the calling thread
 * while it runs, as in ccsb_sandbox_run(). Any number of calls may run at
 * once from different threads or processes. */
int ccsb_session_exec(ccsb_session *s, char *const cmd[], ccsb_error **err);

/* Start a sandbox of `sb` with no command of its own, for running commands
 * in with ccsb_session_exec() (~1 ms each instead of a sandbox's start-up):
 * a harness that sandboxes every tool call keeps one. Returns once the
 * sandbox is ready (its network complete); *out receives the handle. Built
 * on ccsb_sandbox_spawn(), so it takes nothing process-wide and `sb` is
 * borrowed and busy until ccsb_session_free(). With a name
 * (ccsb_sandbox_set_name()) it is also registered for `ccsb exec` and
 * `ccsb ps`. Errors as ccsb_sandbox_spawn(); -EBUSY when `sb` runs one. */
int ccsb_sandbox_start(ccsb_sandbox *sb, ccsb_session **out, ccsb_error **err);

/* Free the handle; NULL is a no-op. For a sandbox from ccsb_sandbox_start()
 * this ends it (and everything running in it) and waits for it. */
void ccsb_session_free(ccsb_session *s);

/* One running named sandbox, as ccsb_session_list() returns it. */
typedef struct ccsb_session_info {
	char *name;
	char *command;	   /* its command line, space-separated */
	char *project;	   /* the working directory inside */
	char *policy;	   /* a one-line summary: network, seccomp, bounds */
	long long started; /* Unix time */
	int pid;	   /* the ccsb (or embedding) process serving it */
} ccsb_session_info;

/* The user's running named sandboxes, by name; files of dead ones are
 * removed on the way. *out is an array of *n entries (NULL when none); free
 * it with ccsb_session_list_free(). */
int ccsb_session_list(ccsb_session_info **out, size_t *n, ccsb_error **err);
/* Free what ccsb_session_list() returned; NULL is a no-op. */
void ccsb_session_list_free(ccsb_session_info *v, size_t n);
/* The session directory (newly allocated; free() it), checked as above;
 * -ENOENT when it does not exist yet. */
int ccsb_session_dir(char **out, ccsb_error **err);

/* ---- live sandboxes (non-blocking) ------------------------------------ */

/* A sandbox started by ccsb_sandbox_spawn(): an opaque handle. */
typedef struct ccsb_process ccsb_process;

/* Start `cmd` (copied) in a sandbox of `sb` and return once the command is
 * released (the network, when there is one, complete), without waiting for
 * it. *proc receives the handle; NULL on failure. `flags` must be 0.
 *
 * Unlike ccsb_sandbox_run() it takes nothing process-wide: no signal is
 * blocked or taken over (forward them with ccsb_process_kill()), the
 * SIGCHLD disposition stays the caller's, the process does not become a
 * subreaper, and it only ever waits for processes it started, through
 * pidfds, so a waitpid(-1) elsewhere in the process (glib, libuv) does no
 * harm: the command's status comes from bwrap's own report. Any number of
 * sandboxes may run at once, from any threads, each from a policy object of
 * its own: `sb` is borrowed and busy until ccsb_process_free() (another run
 * or spawn of it fails with -EBUSY; do not change or free it meanwhile).
 *
 * The command has no pty relay (CCSB_TTY_ON is refused with -ENOTTY; AUTO
 * means none) and inherits the caller's standard input, output and error.
 * Each process has a supervising thread (created with every signal
 * blocked) that serves the sandbox's DNS filter and, once the command has
 * ended, runs the end-of-run steps (persistence guard, exit report).
 * Errors as ccsb_sandbox_run(); -ENOSYS without pidfds (Linux < 5.3). */
int ccsb_sandbox_spawn(ccsb_sandbox *sb, char *const cmd[], unsigned flags, ccsb_process **proc,
		       ccsb_error **err);
/* A descriptor that becomes readable (POLLIN) when the sandbox is gone
 * (bwrap has exited); borrowed, valid until ccsb_process_free(). Poll it in
 * an event loop, then call ccsb_process_wait(), which then returns at
 * once or after the end-of-run steps. */
int ccsb_process_pidfd(const ccsb_process *proc);
/* Send `sig` to the sandbox's pid 1 (ccsb-exec, which relays it to the
 * command); through a pidfd, so never to another process. Like any pid 1,
 * ccsb-exec drops a signal that arrives in the first moments, before its
 * handlers are in place (SIGKILL always works). 0, -ESRCH once the sandbox
 * is gone, -EINVAL. */
int ccsb_process_kill(ccsb_process *proc, int sig);
/* Wait for the command and the end-of-run steps; returns the status as
 * ccsb_sandbox_run() does (the command's, in shell convention, or a
 * negative errno with *err set). May be called again: the same result. */
int ccsb_process_wait(ccsb_process *proc, ccsb_error **err);
/* Release the handle; a sandbox still running is killed (SIGKILL) and
 * waited for first. NULL is a no-op. */
void ccsb_process_free(ccsb_process *proc);

#ifdef __cplusplus
}
#endif
#endif
