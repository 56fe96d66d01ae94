/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libccsandbox: run a command in an unprivileged bubblewrap sandbox, with
 * user-mode networking restricted to an allowlist.
 *
 * Life cycle
 *
 *     ccsb_sandbox *sb = ccsb_sandbox_new();          // empty policy
 *     ccsb_sandbox_apply_defaults(sb, 0, &err);        // optional: ccsb's default policy
 *     ccsb_sandbox_add_bind(sb, "/data", NULL, CCSB_BIND_RO, &err);
 *     ccsb_sandbox_set_net(sb, CCSB_NET_NONE, &err);
 *     int status = ccsb_sandbox_run(sb, argv, &err);  // spawn, wait, status
 *     ccsb_sandbox_free(sb);
 *
 * A policy object is configured, then run any number of times. It is not
 * thread-safe: use one object from one thread at a time. Distinct objects are
 * independent.
 *
 * Errors
 *
 * A function that can fail returns 0 (or a non-negative result) on success and
 * a negative errno value on failure. If its last argument `err` is not NULL,
 * *err is then set to a newly allocated ccsb_error that carries the code and a
 * message naming what failed ("allow.txt:12: bad prefix length '33'"); free it
 * with ccsb_error_free(). *err must be NULL on entry. The library never prints
 * and never exits.
 *
 * Ownership
 *
 * Strings and arrays passed in are copied unless a comment says "borrowed".
 * Objects returned by _new functions belong to the caller and are released by
 * the matching _free function; every _free accepts NULL.
 */
#ifndef CCSANDBOX_H
#define CCSANDBOX_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CCSB_VERSION_MAJOR 0
#define CCSB_VERSION_MINOR 1

/* Library version as "MAJOR.MINOR.PATCH"; a static string. */
const char *ccsb_version(void);

/* ---- errors ---------------------------------------------------------- */

typedef struct ccsb_error ccsb_error;

/* Positive errno value describing the failure (EINVAL for bad input,
 * ENOENT for a missing file or program, ...). */
int ccsb_error_code(const ccsb_error *e);
/* Human-readable one-line message, without a trailing newline. Borrowed:
 * valid until ccsb_error_free(). */
const char *ccsb_error_message(const ccsb_error *e);
void ccsb_error_free(ccsb_error *e);

/* ---- the policy object ---------------------------------------------- */

typedef struct ccsb_sandbox ccsb_sandbox;

/* A new, empty policy: no binds, empty environment, the caller's uid/gid,
 * network mode CCSB_NET_NONE, bwrap looked up on PATH. Returns NULL only when
 * out of memory. */
ccsb_sandbox *ccsb_sandbox_new(void);
void ccsb_sandbox_free(ccsb_sandbox *sb);

/* Flags for ccsb_sandbox_add_bind(). */
enum {
	CCSB_BIND_RO = 0,      /* read-only bind (default) */
	CCSB_BIND_RW = 1 << 0, /* read-write bind */
	CCSB_BIND_DEV = 1 << 1, /* allow device nodes (bwrap --dev-bind) */
	CCSB_BIND_TRY = 1 << 2, /* silently skip when the source is missing */
};

/* Make host path `src` visible at `dest` inside (dest NULL: same path).
 * Both must be absolute. Mounts are applied in the order they are added, so a
 * later mount can cover part of an earlier one. -EINVAL for a relative or
 * empty path. */
int ccsb_sandbox_add_bind(ccsb_sandbox *sb, const char *src, const char *dest,
			  unsigned flags, ccsb_error **err);
/* A fresh, empty, writable tmpfs at `dest`. */
int ccsb_sandbox_add_tmpfs(ccsb_sandbox *sb, const char *dest, ccsb_error **err);
/* An empty directory at `dest` (on the sandbox's own root), mode 0755. */
int ccsb_sandbox_add_dir(ccsb_sandbox *sb, const char *dest, ccsb_error **err);
/* A symlink at `dest` pointing to `target`. */
int ccsb_sandbox_add_symlink(ccsb_sandbox *sb, const char *target,
			     const char *dest, ccsb_error **err);
/* A read-only file at `dest` holding a copy of `len` bytes of `data`. The
 * content is passed to bwrap through a memfd, never on its command line. */
int ccsb_sandbox_add_file(ccsb_sandbox *sb, const char *dest, const void *data,
			  size_t len, ccsb_error **err);

/* Environment. The sandbox's environment starts empty. */
/* Remove every variable set or passed so far. */
void ccsb_sandbox_env_clear(ccsb_sandbox *sb);
/* Pass the host's value of `name` when it is set at run time. A trailing '*'
 * makes `name` a prefix pattern ("LC_*"). */
int ccsb_sandbox_env_pass(ccsb_sandbox *sb, const char *name, ccsb_error **err);
/* Set `name` to `value` (copied), replacing an earlier setting. Values are
 * handed to bwrap through its environment, never through its argv. */
int ccsb_sandbox_env_set(ccsb_sandbox *sb, const char *name, const char *value,
			 ccsb_error **err);

/* Identity inside: uid and gid (also used for the synthesized /etc/passwd
 * and /etc/group), user name and home directory. Passing (uid_t)-1 or
 * (gid_t)-1 keeps the current value (the caller's ids by default); NULL keeps
 * the current name/home. Defaults: the caller's ids, "claude",
 * "/home/claude". */
int ccsb_sandbox_set_identity(ccsb_sandbox *sb, uid_t uid, gid_t gid,
			      const char *user, const char *home, ccsb_error **err);
/* Host name inside the sandbox (default "ccsb"). */
int ccsb_sandbox_set_hostname(ccsb_sandbox *sb, const char *name, ccsb_error **err);
/* Working directory of the command inside (absolute). Default: "/". */
int ccsb_sandbox_set_cwd(ccsb_sandbox *sb, const char *path, ccsb_error **err);
/* The bwrap program: a path, or a name looked up on PATH. Default "bwrap". */
int ccsb_sandbox_set_bwrap(ccsb_sandbox *sb, const char *path, ccsb_error **err);
/* The in-sandbox init helper (ccsb-exec). Default: the installed one, or
 * $CCSB_EXEC_HELPER when set. */
int ccsb_sandbox_set_exec_helper(ccsb_sandbox *sb, const char *path, ccsb_error **err);

/* Network mode. */
typedef enum ccsb_net_mode {
	CCSB_NET_NONE = 0,      /* loopback only */
	CCSB_NET_FULL = 1,      /* slirp4netns, any destination, not the host's loopback */
	CCSB_NET_ALLOWLIST = 2, /* slirp4netns, routes only to allowlisted prefixes */
} ccsb_net_mode;

int ccsb_sandbox_set_net(ccsb_sandbox *sb, ccsb_net_mode mode, ccsb_error **err);
ccsb_net_mode ccsb_sandbox_get_net(const ccsb_sandbox *sb);

/* Add one allowlist entry: an IPv4 or IPv6 address or CIDR prefix
 * ("192.0.2.0/24", "2001:db8::/32"; a bare address is a /32 or /128).
 * -EINVAL with a message naming the problem for anything else. Selecting
 * CCSB_NET_ALLOWLIST is separate: adding entries does not change the mode. */
int ccsb_sandbox_allow(ccsb_sandbox *sb, const char *entry, ccsb_error **err);
/* Add every entry of an allowlist file: one entry a line, '#' starts a
 * comment, blank lines ignored. Nothing is added unless the whole file is
 * valid; the error names "FILE:LINE: problem 'text'". */
int ccsb_sandbox_allow_file(ccsb_sandbox *sb, const char *path, ccsb_error **err);
/* Number of allowlist prefixes as given, and after merging overlapping and
 * adjacent ones (what will be installed as routes). Either pointer may be
 * NULL. */
void ccsb_sandbox_allowlist_count(const ccsb_sandbox *sb, size_t *given,
				  size_t *merged);
/* slirp4netns program: a path or a name looked up on PATH. */
int ccsb_sandbox_set_slirp(ccsb_sandbox *sb, const char *path, ccsb_error **err);

/* ---- default policy -------------------------------------------------- */

enum {
	/* Also bind ~/.claude.json, ~/.claude/ and ~/.npm/ read-write at the
	 * sandbox home, creating the missing ones on the host first. */
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
 * COLORTERM, LANG, LANGUAGE, LC_*, TZ, NO_COLOR passed when set). Host paths
 * are inspected now; call after ccsb_sandbox_set_identity(). */
int ccsb_sandbox_apply_defaults(ccsb_sandbox *sb, unsigned flags, ccsb_error **err);

/* Find `name` (e.g. "claude") on the host's PATH, follow symlinks, and bind
 * its installation read-only so that it runs inside (the package directory,
 * and the interpreter of a script). `*inside_dir` (may be NULL) receives a
 * newly allocated directory to put on PATH inside; free() it. -ENOENT when
 * not found. */
int ccsb_sandbox_add_program(ccsb_sandbox *sb, const char *name, char **inside_dir,
			     ccsb_error **err);

/* ---- plan and run ---------------------------------------------------- */

/* Build the bwrap command line that ccsb_sandbox_run() would execute for
 * `cmd` (a NULL-terminated argv, borrowed). Pure: inspects no host state and
 * starts nothing. *argv_out receives a NULL-terminated array; free it with
 * ccsb_argv_free(). File descriptor numbers in it are the ones the run uses
 * (3 info, 4 block, 5 json status, 6.. data files). */
int ccsb_sandbox_build_argv(const ccsb_sandbox *sb, char *const cmd[],
			    char ***argv_out, ccsb_error **err);
void ccsb_argv_free(char **argv);

/* A shell command (POSIX sh) equivalent to the run: environment as `env -i
 * NAME=VALUE ...`, the bwrap argv shell-quoted, data files fed by here
 * documents. Newly allocated; free(). Pure like ccsb_sandbox_build_argv(). */
int ccsb_sandbox_format_shell(const ccsb_sandbox *sb, char *const cmd[],
			      char **out, ccsb_error **err);

/* Run `cmd` (borrowed) in the sandbox and wait for it. Returns the command's
 * status in shell convention: its exit code, 128+N if it died of signal N,
 * 127 if it was not found inside, 126 if it could not be executed; or a
 * negative errno if the sandbox could not be set up (nothing ran, or what ran
 * was killed before it was released). SIGINT, SIGTERM, SIGHUP and SIGQUIT
 * received by the process during the run are forwarded to the command. */
int ccsb_sandbox_run(ccsb_sandbox *sb, char *const cmd[], ccsb_error **err);

#ifdef __cplusplus
}
#endif
#endif
