/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal interfaces shared by the library's files and its unit tests.
 * Nothing here is exported (see libccsandbox.sym). */
#ifndef CCSB_INTERNAL_H
#define CCSB_INTERNAL_H

#include "ccsandbox.h"

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

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

/* ---- allowlist (allowlist.c, pure) ---------------------------------- */

struct ccsb_prefix {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t len;    /* prefix length */
	uint8_t addr[16]; /* network byte order; IPv4 uses the first 4 bytes;
			   * bits past `len` are zero */
};

struct ccsb_allowlist {
	struct ccsb_prefix *v;
	size_t n, cap;
};

/* Parse one entry (address or CIDR prefix). Host bits set below the
 * prefix length ("10.0.0.1/8") are an error: it is almost always a typo. On
 * error returns -EINVAL and writes a short reason ("bad prefix length",
 * "not an address", ...) to *why (static string). */
int ccsb__prefix_parse(const char *s, struct ccsb_prefix *out, const char **why);
/* Append; -ENOMEM. */
int ccsb__allowlist_add(struct ccsb_allowlist *al, const struct ccsb_prefix *p);
/* Parse a whole buffer; entries are added only if every line is valid. `name`
 * is used in messages ("name:LINE: why 'text'"). */
int ccsb__allowlist_parse_buf(struct ccsb_allowlist *al, const char *name,
			      const char *buf, size_t len, ccsb_error **err);
/* Sort, drop prefixes covered by others, merge adjacent siblings; in place. */
void ccsb__allowlist_merge(struct ccsb_allowlist *al);
/* Deep copy for planning (merge on the copy). */
int ccsb__allowlist_copy(struct ccsb_allowlist *dst, const struct ccsb_allowlist *src);
void ccsb__allowlist_free(struct ccsb_allowlist *al);
/* "192.0.2.0/24" / "2001:db8::/32"; buf of at least 64 bytes. */
void ccsb__prefix_format(const struct ccsb_prefix *p, char *buf, size_t len);

/* ---- network (net.c, effects) --------------------------------------- */

struct ccsb_net_plan {
	ccsb_net_mode mode;
	const char *slirp; /* slirp4netns program (name or path) */
	const struct ccsb_allowlist *prefixes; /* merged; allowlist mode only */
	bool ipv6;
};

struct ccsb_net {
	pid_t slirp_pid;  /* -1 when none */
	int exit_fd;      /* write end of slirp4netns --exit-fd; -1 when none */
};

/* Start networking for the sandbox whose pid 1 is `child` (host pid, held
 * by --block-fd): start slirp4netns on its netns, configure tap0 and routes
 * from a helper that joins the netns owner. On success the network is
 * complete and `net` must be released with ccsb__net_stop(). On failure
 * everything started is stopped again. */
int ccsb__net_start(const struct ccsb_net_plan *plan, pid_t child,
		    struct ccsb_net *net, ccsb_error **err);
/* Tell slirp4netns to exit (close exit-fd); does not wait for it. */
void ccsb__net_stop(struct ccsb_net *net);

/* ---- the policy ------------------------------------------------------ */

enum ccsb_mount_kind {
	CCSB_M_BIND,    /* src -> dest, flags CCSB_BIND_* */
	CCSB_M_TMPFS,   /* dest */
	CCSB_M_DIR,     /* dest */
	CCSB_M_SYMLINK, /* src = target, dest */
	CCSB_M_FILE,    /* data -> dest */
	CCSB_M_PROC,    /* dest */
	CCSB_M_DEV,     /* dest */
};

struct ccsb_mount {
	enum ccsb_mount_kind kind;
	unsigned flags;
	char *src, *dest;
	char *data;
	size_t len;
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
	ccsb_net_mode net;
	struct ccsb_allowlist allow;
};

/* Fixed descriptor numbers in the bwrap process (ccsb_sandbox_build_argv). */
enum { CCSB_FD_INFO = 3, CCSB_FD_BLOCK = 4, CCSB_FD_STATUS = 5, CCSB_FD_FIRST_DATA = 6 };

/* Where the init helper is mounted inside. */
#define CCSB_EXEC_INSIDE "/run/ccsb/exec"

int ccsb__add_special(ccsb_sandbox *sb, enum ccsb_mount_kind kind, const char *dest,
		      ccsb_error **err);

int ccsb__build_argv(const ccsb_sandbox *sb, char *const cmd[], bool with_sync, char ***out,
		     ccsb_error **err);

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
#endif
