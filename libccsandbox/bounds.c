/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resource bounds: how much memory the sandbox's tmpfs mounts may hold and
 * how many tasks it may have, and the one line that says which mechanism
 * enforces each.
 *
 * The mechanisms, all set up by bwrap or by ccsb-exec (pid 1 inside), so
 * that they cost nothing measurable at start-up:
 *  - tmpfs sizes: bwrap's --size (0.7.0 and later) on every tmpfs of the
 *    policy, a size-limited tmpfs on /dev/shm, and /dev itself read-only
 *    (bwrap's --dev tmpfs has no size). tmpfs pages are charged to no
 *    process, so without sizes the OOM killer picks host processes.
 *  - tasks: RLIMIT_NPROC, set by ccsb-exec after bwrap has made the
 *    sandbox's user namespaces. Since Linux 5.14 (ucounts) the limit is
 *    checked against the count of the uid's tasks in the caller's own user
 *    namespace and its descendants, so it bounds the sandbox alone: the same
 *    uid outside is not counted and not limited (tests/security/bounds.sh
 *    checks both). It is set inside, not before bwrap starts, because a
 *    user namespace records its creator's limit as the bound for the count
 *    in the parent namespace, which holds all the user's processes.
 *  - process memory (and tasks once more): a transient systemd scope with
 *    MemoryMax and TasksMax when the user's systemd manager gives one with
 *    the memory and pids controllers (scope.c). Without it, anonymous
 *    memory is not bounded; the sandbox's processes get oom_score_adj
 *    CCSB_OOM_SCORE_ADJ so that the OOM killer takes them before the
 *    user's other programs. The status line says which. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

/* The smallest bounds accepted: a shell and a few tools still run. */
#define MEMORY_MIN (16ull << 20)
#define PIDS_MIN 8ull

void ccsb__bounds_init(ccsb_sandbox *sb)
{
	/* Half the RAM: the sandbox's tmpfs mounts together stay well below
	 * it (see ccsb__bounds_tmpfs_size()), which leaves the host room even
	 * when they are full. sysinfo() fails only with EFAULT. */
	struct sysinfo si;
	uint64_t ram = 0;
	if (sysinfo(&si) == 0)
		ram = (uint64_t)si.totalram * (si.mem_unit ? si.mem_unit : 1);
	sb->memory_max = ram / 2 >= MEMORY_MIN ? ram / 2 : MEMORY_MIN;
	/* RLIMIT_NPROC counts threads. 4096 holds a parallel cargo or node
	 * build on a workstation (a rustc or a node process has one thread
	 * per core or so); machines with more than 64 cores get 64 per core. */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t pids = 4096;
	if (cpus > 64)
		pids = 64 * (uint64_t)cpus;
	sb->pids_max = pids;
}

CCSB_EXPORT int ccsb_sandbox_set_memory_max(ccsb_sandbox *sb, uint64_t bytes, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (bytes == CCSB_BOUND_DEFAULT) {
		uint64_t pids = sb->pids_max;
		ccsb__bounds_init(sb);
		sb->pids_max = pids;
		return 0;
	}
	if (bytes != CCSB_BOUND_NONE && bytes < MEMORY_MIN)
		return ccsb__err(err, EINVAL,
				 "memory bound %" PRIu64 " bytes is too small: "
				 "the least is 16M",
				 bytes);
	sb->memory_max = bytes;
	return 0;
}

CCSB_EXPORT int ccsb_sandbox_set_pids_max(ccsb_sandbox *sb, uint64_t n, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (n == CCSB_BOUND_DEFAULT) {
		uint64_t mem = sb->memory_max;
		ccsb__bounds_init(sb);
		sb->memory_max = mem;
		return 0;
	}
	if (n != CCSB_BOUND_NONE && n < PIDS_MIN)
		return ccsb__err(err, EINVAL,
				 "task bound %" PRIu64 " is too small: the least is %llu", n,
				 PIDS_MIN);
	/* rlim_t is 64 bits wide on every Linux ABI; RLIM_INFINITY is ~0. */
	sb->pids_max = n;
	return 0;
}

CCSB_EXPORT uint64_t ccsb_sandbox_get_memory_max(const ccsb_sandbox *sb)
{
	if (!sb)
		return 0;
	return sb->memory_max;
}

CCSB_EXPORT uint64_t ccsb_sandbox_get_pids_max(const ccsb_sandbox *sb)
{
	if (!sb)
		return 0;
	return sb->pids_max;
}

uint64_t ccsb__bounds_tmpfs_size(const ccsb_sandbox *sb, const char *dest)
{
	uint64_t m = sb->memory_max;
	if (m == CCSB_BOUND_NONE)
		return 0;
	/* Together 7/8 of the bound for the default policy: /tmp takes
	 * build scratch, the home the tools' caches; /dev/shm (CCSB_M_DEV) and
	 * each further tmpfs an eighth. */
	if (strcmp(dest, "/tmp") == 0)
		return m / 2;
	if (sb->home && strcmp(dest, sb->home) == 0)
		return m / 4;
	return m / 8;
}

uint64_t ccsb__bounds_shm_size(const ccsb_sandbox *sb)
{
	return sb->memory_max == CCSB_BOUND_NONE ? 0 : sb->memory_max / 8;
}

uint64_t ccsb__bounds_nproc(const ccsb_sandbox *sb)
{
	return sb->pids_max == CCSB_BOUND_NONE ? 0 : sb->pids_max;
}

bool ccsb__bounds_oom(const ccsb_sandbox *sb)
{
	if (sb->memory_max == CCSB_BOUND_NONE)
		return false;
	/* ccsb-exec writes /proc/self/oom_score_adj: only with a /proc. */
	for (size_t i = 0; i < sb->nmounts; i++)
		if (sb->mounts[i].kind == CCSB_M_PROC && strcmp(sb->mounts[i].dest, "/proc") == 0)
			return true;
	return false;
}

void ccsb__format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	if (v < 1024) {
		snprintf(buf, len, "%" PRIu64 "B", v);
		return;
	}
	int u = -1;
	uint64_t whole = v, rem = 0;
	while (whole >= 1024 && units[u + 1]) {
		rem = whole % 1024;
		whole /= 1024;
		u++;
	}
	/* One decimal, rounded as df -h does, and only when it is not zero:
	 * "1.5G", "6G". */
	unsigned tenth = (unsigned)((rem * 10 + 1023) / 1024);
	if (tenth == 10) {
		whole++;
		tenth = 0;
	}
	if (tenth && whole < 100)
		snprintf(buf, len, "%" PRIu64 ".%u%c", whole, tenth, units[u]);
	else
		snprintf(buf, len, "%" PRIu64 "%c", whole, units[u]);
}

static void put(char **p, size_t *n, bool *oom, const char *fmt, ...) CCSB_PRINTF(4, 5);
static void put(char **p, size_t *n, bool *oom, const char *fmt, ...)
{
	if (*oom)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int k = vasprintf(&s, fmt, ap);
	va_end(ap);
	char *np = k < 0 ? NULL : realloc(*p, *n + (size_t)k + 1);
	if (!np) {
		free(s);
		*oom = true;
		return;
	}
	memcpy(np + *n, s, (size_t)k + 1);
	free(s);
	*p = np;
	*n += (size_t)k;
}

/* The memory part of the line: the scope's bound, or why there is none. */
static void describe_memory(const ccsb_sandbox *sb, char **out, size_t *n, bool *oom)
{
	const struct ccsb_scope *sc = &sb->scope;
	if (!sc->applied)
		put(out, n, oom,
		    "; process memory: a systemd scope if the user's manager "
		    "gives one (decided at run time)");
	else if (sc->memory)
		put(out, n, oom, "; process memory bounded too (systemd scope %s: MemoryMax)",
		    sc->unit);
	else
		put(out, n, oom, "; process memory not bounded (no systemd scope: %s)", sc->why);
	if (ccsb__bounds_oom(sb) && !(sc->applied && sc->memory))
		put(out, n, oom, ", OOM killer takes the sandbox first (oom_score_adj %d)",
		    CCSB_OOM_SCORE_ADJ);
}

CCSB_EXPORT char *ccsb_sandbox_describe_bounds(const ccsb_sandbox *sb)
{
	if (!sb)
		return NULL;
	char *out = NULL, sz[32];
	size_t n = 0;
	bool oom = false;
	put(&out, &n, &oom, "bounds: ");
	if (sb->memory_max == CCSB_BOUND_NONE) {
		put(&out, &n, &oom, "memory and tmpfs not bounded (--memory=none)");
	} else {
		ccsb__format_size(sb->memory_max, sz, sizeof(sz));
		put(&out, &n, &oom, "memory %s", sz);
		bool first = true;
		for (size_t i = 0; i < sb->nmounts; i++) {
			const struct ccsb_mount *m = &sb->mounts[i];
			uint64_t v;
			const char *shm = "";
			if (m->kind == CCSB_M_TMPFS) {
				v = ccsb__bounds_tmpfs_size(sb, m->dest);
			} else if (m->kind == CCSB_M_DEV) {
				v = ccsb__bounds_shm_size(sb);
				shm = "/shm";
			} else {
				continue;
			}
			ccsb__format_size(v, sz, sizeof(sz));
			put(&out, &n, &oom, "%s%s %s%s", first ? " for tmpfs: " : ", ", sz,
			    strcmp(m->dest, "/") ? m->dest : "", shm);
			first = false;
		}
		if (!first)
			put(&out, &n, &oom, " (bwrap --size)");
		describe_memory(sb, &out, &n, &oom);
	}
	uint64_t nproc = ccsb__bounds_nproc(sb);
	if (nproc && sb->scope.applied && sb->scope.tasks)
		put(&out, &n, &oom,
		    "; tasks %" PRIu64 " (systemd scope: TasksMax; and RLIMIT_NPROC)", nproc);
	else if (nproc)
		put(&out, &n, &oom, "; tasks %" PRIu64 " (RLIMIT_NPROC, sandbox's user namespace)",
		    nproc);
	else
		put(&out, &n, &oom, "; tasks not bounded (--pids=none)");
	if (oom) {
		free(out);
		return NULL;
	}
	return out;
}

CCSB_EXPORT void ccsb_sandbox_set_bounds_fd(ccsb_sandbox *sb, int fd)
{
	if (!sb)
		return;
	sb->bounds_fd = fd;
}

/* The line is written while the sandbox is held: a reader that has gone
 * away (`ccsb ... 2>&1 | grep -q`) must not kill the caller with SIGPIPE
 * then, which would leave bwrap held. The signal is blocked for the write
 * and one it raised is taken back. */
static void write_line(int fd, const char *s)
{
	sigset_t pipe_set, old, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	bool was_pending = sigismember(&pending, SIGPIPE) == 1;
	size_t n = strlen(s), off = 0;
	while (off < n) {
		ssize_t w = CCSB_RETRY(write(fd, s + off, n - off));
		if (w <= 0) {
			if (w < 0 && errno == EPIPE && !was_pending) {
				struct timespec zero = { 0 };
				sigtimedwait(&pipe_set, NULL, &zero);
			}
			break;
		}
		off += (size_t)w;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void ccsb__bounds_apply(ccsb_sandbox *sb, pid_t bwrap, pid_t child)
{
	pid_t pids[2] = { bwrap, child };
	ccsb__scope_apply(sb, pids, 2, &sb->scope);
	sb->scope.applied = true;
	if (sb->bounds_fd < 0)
		return;
	char *line = ccsb_sandbox_describe_bounds(sb), *out = NULL;
	if (line && asprintf(&out, "ccsb: %s\n", line) >= 0)
		write_line(sb->bounds_fd, out);
	free(out);
	free(line);
}
