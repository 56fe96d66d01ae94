/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The strongest memory and task bound: a transient systemd scope with
 * MemoryMax and TasksMax, asked of the user's systemd manager on the
 * session bus (as Flatpak does for its apps), holding bwrap and the
 * sandbox while they are held by --block-fd, so that everything the
 * command starts is in it. The cgroup then charges the sandbox's memory,
 * tmpfs pages included, and the kernel enforces both bounds.
 *
 * Whether it worked is checked, not assumed: the sandbox's pid 1 must be
 * in the scope's cgroup, and that cgroup must have memory.max and
 * pids.max (a user manager on a cgroup v1 or hybrid machine gets no
 * controllers). Any failure leaves the weaker bounds of bounds.c, and the
 * status line says why the scope is not in force. */
#include "internal.h"

#include "dbus.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* How long systemd may take; past it the scope is given up. */
#define SCOPE_TIMEOUT_MS 2000

static void why(struct ccsb_scope *s, const char *fmt, ...) CCSB_PRINTF(2, 3);
static void why(struct ccsb_scope *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

/* The session bus's socket: the first unix: entry of
 * $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus. 0 or -ENOENT. */
int ccsb__session_bus_addr(const char *env, const char *runtime_dir, struct sockaddr_un *sa,
			   socklen_t *len)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	for (const char *e = env; e && *e;) {
		size_t n = strcspn(e, ";");
		if (strncmp(e, "unix:", 5) == 0) {
			/* key=value pairs separated by ',', values %-escaped. */
			for (const char *k = e + 5; k < e + n;) {
				size_t kn = strcspn(k, ",;");
				bool path = strncmp(k, "path=", 5) == 0;
				bool abstract = strncmp(k, "abstract=", 9) == 0;
				if (path || abstract) {
					const char *v = k + (path ? 5 : 9);
					size_t o = abstract ? 1 : 0; /* leading NUL */
					for (; v < k + kn && o < sizeof(sa->sun_path) - 1; v++) {
						if (*v == '%' && v + 2 < k + kn) {
							char hex[3] = { v[1], v[2], 0 };
							sa->sun_path[o++] =
								(char)strtol(hex, NULL, 16);
							v += 2;
						} else {
							sa->sun_path[o++] = *v;
						}
					}
					if (o <= (abstract ? 1u : 0u))
						break;
					*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
							   o + (abstract ? 0 : 1));
					return 0;
				}
				k += kn + (k[kn] == ',');
			}
		}
		e += n + (e[n] == ';');
	}
	if (runtime_dir && runtime_dir[0] == '/' &&
	    strlen(runtime_dir) + 5 < sizeof(sa->sun_path)) {
		snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/bus", runtime_dir);
		if (access(sa->sun_path, F_OK) == 0) {
			*len = (socklen_t)sizeof(*sa);
			return 0;
		}
	}
	return -ENOENT;
}

/* The single value of a cgroup file: bytes or tasks, UINT64_MAX for "max",
 * 0 when missing. */
static uint64_t cg_value(const char *dir, const char *file)
{
	char path[PATH_MAX], buf[64];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (strncmp(buf, "max", 3) == 0)
		return UINT64_MAX;
	return strtoull(buf, NULL, 10);
}

/* Where `pid` is in the cgroup v2 hierarchy, and whether the scope's
 * bounds are in force there. */
static void verify(struct ccsb_scope *s, pid_t pid, uint64_t mem, uint64_t tasks)
{
	char path[64], line[PATH_MAX], dir[PATH_MAX + 64];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	FILE *f = fopen(path, "re");
	const char *cg = NULL;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			cg = line + 3;
			break;
		}
	}
	if (f)
		fclose(f);
	size_t ul = strlen(s->unit), cl = cg ? strlen(cg) : 0;
	if (!cg || cl < ul + 1 || strcmp(cg + cl - ul, s->unit) != 0 || cg[cl - ul - 1] != '/') {
		why(s, "systemd reported %s started, but the sandbox is not in its cgroup",
		    s->unit);
		return;
	}
	s->ok = true;
	/* The unified hierarchy: /sys/fs/cgroup (v2 only), or
	 * /sys/fs/cgroup/unified (hybrid). */
	const char *root = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
				   ? "/sys/fs/cgroup"
				   : "/sys/fs/cgroup/unified";
	snprintf(dir, sizeof(dir), "%s%s", root, cg);
	uint64_t m = mem ? cg_value(dir, "memory.max") : 0;
	uint64_t t = tasks ? cg_value(dir, "pids.max") : 0;
	/* memory.max reads back rounded down to a page. */
	s->memory = mem && m && m != UINT64_MAX && m <= mem && mem - m < 65536;
	s->tasks = tasks && t == tasks;
	if ((mem && !s->memory) || (tasks && !s->tasks))
		why(s,
		    "%s has no %s%s%s controller (cgroup v1 or hybrid, or not delegated to "
		    "the user's manager)",
		    s->unit, mem && !s->memory ? "memory" : "",
		    mem && !s->memory && tasks && !s->tasks ? " or " : "",
		    tasks && !s->tasks ? "pids" : "");
}

/* The SASL EXTERNAL exchange for our uid into AUTH; its length. */
static int auth_external(char *auth, size_t size)
{
	char uid[32];
	snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
	int k = snprintf(auth, size, "%cAUTH EXTERNAL ", 0);
	for (const char *c = uid; *c; c++)
		k += snprintf(auth + k, size - (size_t)k, "%02x", (unsigned char)*c);
	k += snprintf(auth + k, size - (size_t)k, "\r\nBEGIN\r\n");
	return k;
}

/* Connect FD to the bus and write the authentication and the messages in
 * one go. */
static bool scope_send(struct ccsb_scope *s, int fd, const struct sockaddr_un *sa, socklen_t salen,
		       char *auth, size_t k, const struct ccsb_dbuf *b)
{
	if (connect(fd, (const struct sockaddr *)sa, salen) < 0) {
		why(s, "cannot connect to the session bus: %s", strerror(errno));
		return false;
	}
	struct iovec iov[2] = { { auth, k }, { b->p, b->n } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
	if (w != (ssize_t)(k + b->n)) {
		why(s, "cannot write to the session bus: %s",
		    w < 0 ? strerror(errno) : "short write");
		return false;
	}
	return true;
}

/* The complete messages in IN[*OFF..HAVE): true once the answer is known
 * (an error, or JobRemoved for our unit, then verified for PID). */
static bool scope_messages(struct ccsb_scope *s, const unsigned char *in, size_t have, size_t *off,
			   pid_t pid, uint64_t mem, uint64_t tasks)
{
	for (;;) {
		struct ccsb_dbus_msg m;
		ssize_t len = ccsb__dbus_parse(in + *off, have - *off, &m);
		if (len < 0) {
			why(s, "malformed message from the session bus");
			return true;
		}
		if (len == 0)
			return false;
		*off += (size_t)len;
		if (m.type == CCSB_DBUS_ERROR && m.reply_serial >= 1 && m.reply_serial <= 3) {
			why(s, "systemd: %s%s%s", m.error, m.nstr ? ": " : "",
			    m.nstr ? m.str[0] : "");
			return true;
		}
		if (m.type == CCSB_DBUS_SIGNAL && strcmp(m.member, "JobRemoved") == 0 &&
		    m.nstr >= 3 && strcmp(m.str[1], s->unit) == 0) {
			if (strcmp(m.str[2], "done") != 0)
				why(s, "systemd could not start %s (job %s)", s->unit, m.str[2]);
			else
				verify(s, pid, mem, tasks);
			return true;
		}
	}
}

/* Read the auth answer, then messages, until JobRemoved for our unit (or
 * an error, or the timeout). */
static void scope_wait(struct ccsb_scope *s, int fd, pid_t pid, uint64_t mem, uint64_t tasks)
{
	enum {
		INLEN = 65536
	};
	size_t have = 0;
	unsigned char *in = malloc(INLEN);
	if (!in) {
		why(s, "out of memory");
		return;
	}
	bool authed = false;
	int64_t deadline = ccsb__now_ms() + SCOPE_TIMEOUT_MS;
	for (;;) {
		int64_t left = deadline - ccsb__now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			why(s, "no answer from the session bus within %d ms", SCOPE_TIMEOUT_MS);
			break;
		}
		ssize_t n = read(fd, in + have, INLEN - have);
		if (n <= 0) {
			why(s, "the session bus closed the connection%s",
			    authed ? "" : " (authentication refused)");
			break;
		}
		have += (size_t)n;
		size_t off = 0;
		if (!authed) {
			unsigned char *nl = memchr(in, '\n', have);
			if (!nl)
				continue;
			if (have < 3 || memcmp(in, "OK ", 3) != 0) {
				why(s, "the session bus refused the credentials");
				break;
			}
			authed = true;
			off = (size_t)(nl - in) + 1;
		}
		if (scope_messages(s, in, have, &off, pid, mem, tasks))
			break;
		memmove(in, in + off, have - off);
		have -= off;
		if (have == INLEN) {
			why(s, "oversized message from the session bus");
			break;
		}
	}
	free(in);
}

void ccsb__scope_apply(const ccsb_sandbox *sb, const pid_t *pids, size_t npids,
		       struct ccsb_scope *s)
{
	memset(s, 0, sizeof(*s));
	uint64_t mem = sb->memory_max == CCSB_BOUND_NONE ? 0 : sb->memory_max;
	uint64_t tasks = sb->pids_max == CCSB_BOUND_NONE ? 0 : sb->pids_max;
	if (!mem && !tasks)
		return;
	struct sockaddr_un sa;
	socklen_t salen;
	if (ccsb__session_bus_addr(getenv("DBUS_SESSION_BUS_ADDRESS"), getenv("XDG_RUNTIME_DIR"),
				   &sa, &salen) < 0) {
		why(s, "no user session bus (DBUS_SESSION_BUS_ADDRESS, $XDG_RUNTIME_DIR/bus)");
		return;
	}
	s->tried = true;
	snprintf(s->unit, sizeof(s->unit), "ccsb-%d-%d.scope", (int)getpid(), (int)pids[npids - 1]);

	struct ccsb_dbuf b = { 0 };
	uint32_t p32[4];
	for (size_t i = 0; i < npids && i < 4; i++)
		p32[i] = (uint32_t)pids[i];
	char auth[96];
	int k = auth_external(auth, sizeof(auth));
	/* Pipelined: the bus reads the messages after BEGIN once it has
	 * accepted the credentials. */
	const char rule[] = "type='signal',sender='org.freedesktop.systemd1',"
			    "path='/org/freedesktop/systemd1',"
			    "interface='org.freedesktop.systemd1.Manager',member='JobRemoved'";
	int r = 0;
	if (ccsb__dbus_hello(&b, 1) < 0 || ccsb__dbus_add_match(&b, 2, rule) < 0 ||
	    ccsb__dbus_start_scope(&b, 3, s->unit, "ccsb sandbox", p32, npids < 4 ? npids : 4, mem,
				   tasks) < 0)
		r = -ENOMEM;
	int fd = r < 0 ? -1 : socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r < 0 || fd < 0) {
		why(s, "cannot ask systemd: %s", strerror(r < 0 ? -r : errno));
		free(b.p);
		return;
	}
	if (scope_send(s, fd, &sa, salen, auth, (size_t)k, &b))
		scope_wait(s, fd, pids[npids - 1], mem, tasks);
	close(fd);
	free(b.p);
}
