/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event stream: JSON lines to a descriptor and a callback.
 *
 * Emitting never waits for the reader: a line goes into a bounded queue
 * under a mutex (the resolver runs in the supervising thread, the broker in
 * its own), and the queue is written as far as the descriptor takes it
 * without blocking, at each emission and at the end of the run. A line that
 * does not fit in the queue is dropped and counted; the next line queued
 * says how many were lost ("dropped"), and the exit event says how many in
 * all. */
#include "events.h"
#include "sesslog.h"
#include "supervise.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the stream --------------------------------------------------------- */

struct ccsb_events {
	pthread_mutex_t mu;
	/* Configuration (the caller's). */
	int fd; /* borrowed; -1: none */
	ccsb_event_fn cb;
	void *cb_data;
	/* During a run. */
	bool active;
	int wfd;	/* ours: a non-blocking descriptor of the same file; -1 */
	bool sock;	/* write with send(MSG_DONTWAIT | MSG_NOSIGNAL) */
	int restore_fl; /* -1, or the flags to put back on `fd` (O_NONBLOCK was set) */
	bool failed;	/* the reader is gone: nothing more is written */
	char *q;	/* lines not yet written: q[qoff..qoff+qlen) */
	size_t qoff, qlen, qcap;
	uint64_t seq, lost_pending, lost_total;
	struct timespec t0;	  /* CLOCK_MONOTONIC at the start of the run */
	uint64_t oom_kills0;	  /* /proc/vmstat oom_kill at the start; UINT64_MAX: unknown */
	char cgroup[256];	  /* the sandbox's cgroup v2 path when in a systemd scope */
	char **cmd;		  /* the run's command, for the start event */
	struct ccsb_sesslog *log; /* a named session's NAME.events (sesslog.c); NULL */
};

static struct ccsb_events *events_get(ccsb_sandbox *sb)
{
	if (sb->events)
		return sb->events;
	struct ccsb_events *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	pthread_mutex_init(&ev->mu, NULL);
	ev->fd = ev->wfd = ev->restore_fl = -1;
	sb->events = ev;
	return ev;
}

struct ccsb_events *ccsb__events_of(const ccsb_sandbox *sb)
{
	return sb ? sb->events : NULL;
}

void ccsb__events_free(struct ccsb_events *ev)
{
	if (!ev)
		return;
	if (ev->wfd >= 0)
		close(ev->wfd);
	pthread_mutex_destroy(&ev->mu);
	ccsb__strv_free(ev->cmd);
	ccsb__sesslog_close(ev->log);
	free(ev->q);
	free(ev);
}

CCSB_EXPORT int ccsb_sandbox_set_events_fd(ccsb_sandbox *sb, int fd)
{
	if (!sb)
		return -EINVAL;
	if (fd < -1)
		return -EBADF;
	if (fd >= 0 && fcntl(fd, F_GETFL) < 0)
		return -EBADF;
	struct ccsb_events *ev = fd < 0 && !sb->events ? NULL : events_get(sb);
	if (fd >= 0 && !ev)
		return -ENOMEM;
	if (ev)
		ev->fd = fd;
	return 0;
}

CCSB_EXPORT int ccsb_sandbox_set_event_callback(ccsb_sandbox *sb, ccsb_event_fn fn, void *data)
{
	if (!sb)
		return -EINVAL;
	struct ccsb_events *ev = !fn && !sb->events ? NULL : events_get(sb);
	if (fn && !ev)
		return -ENOMEM;
	if (ev) {
		ev->cb = fn;
		ev->cb_data = data;
	}
	return 0;
}

CCSB_EXPORT uint64_t ccsb_sandbox_events_dropped(const ccsb_sandbox *sb)
{
	return sb && sb->events ? sb->events->lost_total : 0;
}

bool ccsb__events_on(const struct ccsb_events *ev)
{
	/* Read without the lock: `active` changes only in the run's own
	 * thread, before the emitting threads start and after they stop. */
	return ev && ev->active && (ev->wfd >= 0 || ev->cb || ev->log);
}

/* A pending SIGPIPE is consumed only if it came from our write: the
 * caller's own stays pending. Called with SIGPIPE blocked. */
static ssize_t write_nosig(int fd, const char *p, size_t n)
{
	sigset_t pipe_set, before;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &before);
	sigset_t pending;
	sigpending(&pending);
	bool had = sigismember(&pending, SIGPIPE);
	ssize_t w = write(fd, p, n);
	int e = errno;
	if (w < 0 && e == EPIPE && !had) {
		const struct timespec zero = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	errno = e;
	return w;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

/* Write what the descriptor takes now. With the lock held. */
static void flush_locked(struct ccsb_events *ev)
{
	while (ev->qlen && ev->wfd >= 0 && !ev->failed) {
		const char *p = ev->q + ev->qoff;
		ssize_t w = ev->sock ? send(ev->wfd, p, ev->qlen, MSG_DONTWAIT | MSG_NOSIGNAL)
				     : write_nosig(ev->wfd, p, ev->qlen);
		if (w > 0) {
			ev->qoff += (size_t)w;
			ev->qlen -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		/* EPIPE (the reader is gone), ENOSPC, EIO: what is queued
		 * is lost, and so is every later line. A partly written
		 * line counts as lost. */
		ev->failed = true;
		ev->lost_total += count_lines(p, ev->qlen);
		ev->qlen = 0;
	}
	if (!ev->qlen)
		ev->qoff = 0;
}

/* Queue one line (newline included); `force` for the exit line, which may
 * go past the bound. With the lock held. false: dropped. */
static bool enqueue_locked(struct ccsb_events *ev, const char *line, size_t n, bool force)
{
	if (ev->failed || (!force && ev->qlen + n > CCSB_EVENTS_QUEUE_MAX))
		return false;
	if (ev->qoff + ev->qlen + n > ev->qcap) {
		if (ev->qoff) {
			memmove(ev->q, ev->q + ev->qoff, ev->qlen);
			ev->qoff = 0;
		}
		if (ev->qlen + n > ev->qcap) {
			size_t cap = ev->qcap ? ev->qcap : 4096;
			while (cap < ev->qlen + n)
				cap *= 2;
			char *q = realloc(ev->q, cap);
			if (!q)
				return false;
			ev->q = q;
			ev->qcap = cap;
		}
	}
	memcpy(ev->q + ev->qoff + ev->qlen, line, n);
	ev->qlen += n;
	return true;
}

static void format_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + k, len - k, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
}

static void emit(struct ccsb_events *ev, const char *type, struct ccsb_jbuf *b, bool force)
{
	if (!ccsb__events_on(ev)) {
		ccsb__jb_free(b);
		return;
	}
	char head[160], tail[48], when[40];
	pthread_mutex_lock(&ev->mu);
	/* Every event takes a number, lost or not: a gap is a loss. */
	uint64_t seq = ++ev->seq;
	if (b->oom) {
		/* Too big to build: lost like a line the reader had no room for. */
		ev->lost_pending++;
		ev->lost_total++;
		goto out;
	}
	format_time(when, sizeof(when));
	int hn = snprintf(head, sizeof(head),
			  "{\"v\":%d,\"seq\":%" PRIu64 ",\"time\":\"%s\",\"event\":\"%s\"",
			  CCSB_EVENTS_VERSION, seq, when, type);
	/* The exit line carries the run's total instead. */
	int tn = ev->lost_pending && ev->wfd >= 0 && !force
			 ? snprintf(tail, sizeof(tail), ",\"dropped\":%" PRIu64 "}\n",
				    ev->lost_pending)
			 : snprintf(tail, sizeof(tail), "}\n");
	size_t n = (size_t)hn + b->len + (size_t)tn;
	char *line = malloc(n + 1);
	if (!line) {
		ev->lost_pending++;
		ev->lost_total++;
		goto out;
	}
	memcpy(line, head, (size_t)hn);
	if (b->len)
		memcpy(line + hn, b->p, b->len);
	memcpy(line + (size_t)hn + b->len, tail, (size_t)tn + 1);
	if (ev->cb) {
		/* The callback gets the object without its newline. */
		line[n - 1] = '\0';
		ev->cb(line, n - 1, ev->cb_data);
		line[n - 1] = '\n';
	}
	/* The session's log has every line; "dropped" is the descriptor's. */
	if (ev->log)
		ccsb__sesslog_write(ev->log, type, seq, when, head, (size_t)hn, b->p, b->len);
	if (ev->wfd >= 0) {
		flush_locked(ev);
		if (enqueue_locked(ev, line, n, force)) {
			ev->lost_pending = 0;
			flush_locked(ev);
		} else {
			ev->lost_pending++;
			ev->lost_total++;
		}
	}
	free(line);
out:
	pthread_mutex_unlock(&ev->mu);
	ccsb__jb_free(b);
}

void ccsb__event_emit(struct ccsb_events *ev, const char *type, struct ccsb_jbuf *b)
{
	emit(ev, type, b, false);
}

/* While lines wait for a slow reader: the descriptor to poll for POLLOUT,
 * so that they go out as soon as it has room, not only with the next
 * event; -1 when nothing waits. */
int ccsb__events_pollfd(struct ccsb_events *ev)
{
	if (!ccsb__events_on(ev))
		return -1;
	pthread_mutex_lock(&ev->mu);
	int fd = ev->qlen && !ev->failed ? ev->wfd : -1;
	pthread_mutex_unlock(&ev->mu);
	return fd;
}

void ccsb__events_flush(struct ccsb_events *ev)
{
	if (!ccsb__events_on(ev))
		return;
	pthread_mutex_lock(&ev->mu);
	flush_locked(ev);
	pthread_mutex_unlock(&ev->mu);
}

/* The supervising loop's source: POLLOUT on the descriptor while lines
 * wait, so that they go out as soon as the reader makes room. */
static int source_fds(struct ccsb_super *s, void *data, struct pollfd *pfd, int max,
		      int *timeout_ms)
{
	(void)timeout_ms;
	/* After the command, the end of the run takes the rest. */
	int fd = s->bwrap_done ? -1 : ccsb__events_pollfd(data);
	if (fd < 0)
		return 0;
	if (max < 1)
		return -1;
	pfd[0] = (struct pollfd){ .fd = fd, .events = POLLOUT };
	return 1;
}

static void source_io(struct ccsb_super *s, void *data, const struct pollfd *pfd, int n)
{
	(void)s;
	if (n > 0 && pfd[0].revents)
		ccsb__events_flush(data);
}

int ccsb__events_add_source(struct ccsb_super *s, struct ccsb_events *ev)
{
	if (!ccsb__events_on(ev))
		return 0;
	const struct ccsb_source src = {
		.name = "events", .fds = source_fds, .io = source_io, .data = ev, .fd = -1
	};
	return ccsb__super_add(s, &src);
}

/* ---- the run ------------------------------------------------------------- */

/* A descriptor of the caller's file on which writes do not block, without
 * changing the caller's own: pipes, FIFOs and terminals are opened again
 * through /proc (a new open file description); sockets are written with
 * MSG_DONTWAIT; regular files never block for a reader. */
static void open_writer(struct ccsb_events *ev)
{
	struct stat st;
	ev->wfd = -1;
	ev->sock = false;
	ev->restore_fl = -1;
	if (fstat(ev->fd, &st) < 0)
		return;
	if (S_ISSOCK(st.st_mode) || S_ISREG(st.st_mode)) {
		ev->sock = S_ISSOCK(st.st_mode);
		ev->wfd = fcntl(ev->fd, F_DUPFD_CLOEXEC, 3);
		return;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ev->fd);
	ev->wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (ev->wfd >= 0)
		return;
	/* No /proc, or a FIFO whose reader is gone (ENXIO): the caller's
	 * description itself, non-blocking until the end of the run. */
	int fl = fcntl(ev->fd, F_GETFL);
	ev->wfd = fcntl(ev->fd, F_DUPFD_CLOEXEC, 3);
	if (ev->wfd >= 0 && fl >= 0 && !(fl & O_NONBLOCK) &&
	    fcntl(ev->fd, F_SETFL, fl | O_NONBLOCK) == 0)
		ev->restore_fl = fl;
}

static uint64_t read_counter(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return UINT64_MAX;
	char line[256];
	uint64_t v = UINT64_MAX;
	size_t k = strlen(key);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, k) == 0 && line[k] == ' ') {
			v = strtoull(line + k + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

void ccsb__events_run_begin(ccsb_sandbox *sb, char *const cmd[])
{
	/* A named session's log is attached later (ccsb__events_set_log()),
	 * but the parts started before that (the broker) keep this object:
	 * it must exist now. */
	struct ccsb_events *ev = sb->session_name ? events_get(sb) : sb->events;
	if (!ev)
		return;
	pthread_mutex_lock(&ev->mu);
	ccsb__strv_free(ev->cmd);
	/* NULL when out of memory: the start event then has an empty command. */
	ev->cmd = ccsb__strv_dup(cmd);
	ev->seq = ev->lost_pending = ev->lost_total = 0;
	ev->qoff = ev->qlen = 0;
	ev->failed = false;
	ev->cgroup[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &ev->t0);
	if (ev->fd >= 0)
		open_writer(ev);
	ev->active = ev->wfd >= 0 || ev->cb || ev->log;
	ev->oom_kills0 = ev->active ? read_counter("/proc/vmstat", "oom_kill") : UINT64_MAX;
	pthread_mutex_unlock(&ev->mu);
}

static const char *net_name(ccsb_net_mode m)
{
	switch (m) {
	case CCSB_NET_NONE:
		return "none";
	case CCSB_NET_FULL:
		return "full";
	case CCSB_NET_ALLOWLIST:
		return "allowlist";
	}
	return "unknown";
}

/* The cgroup v2 path of `pid` ("/user.slice/..."), for the bounds' counters. */
static void cgroup_of(pid_t pid, char *out, size_t len)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	FILE *f = fopen(path, "re");
	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			if (strlen(line + 3) < len)
				snprintf(out, len, "%s", line + 3);
			break;
		}
	}
	fclose(f);
}

void ccsb__events_run_start(ccsb_sandbox *sb, pid_t child)
{
	struct ccsb_events *ev = sb->events;
	if (!ccsb__events_on(ev))
		return;
	if (sb->scope.ok)
		cgroup_of(child, ev->cgroup, sizeof(ev->cgroup));
	struct ccsb_jbuf b = { 0 };
	ccsb__jb_str(&b, "version", ccsb_version());
	ccsb__jb_int(&b, "pid", getpid());
	ccsb__jb_int(&b, "sandbox_pid", child);
	/* A named session's name: what `ccsb ps` and `ccsb exec` know it by. */
	if (sb->session_name)
		ccsb__jb_str(&b, "session", sb->session_name);
	ccsb__jb_strv(&b, "command", ev->cmd);
	ccsb__jb_str(&b, "cwd", sb->cwd);
	ccsb__jb_str(&b, "net", net_name(sb->net));
	if (sb->net == CCSB_NET_ALLOWLIST) {
		const struct ccsb_allowlist *m = ccsb__sandbox_merged(sb);
		char allow[96];
		snprintf(allow, sizeof(allow), "{\"prefixes\":%zu,\"names\":%zu}", m ? m->n : 0,
			 m ? m->nnames : 0);
		ccsb__jb_raw(&b, "allow", allow);
	}
	/* The host paths the sandbox may write. */
	struct ccsb_jbuf w = { 0 };
	size_t nw = 0;
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (m->kind != CCSB_M_BIND || !(m->flags & CCSB_BIND_RW) || !m->src)
			continue;
		ccsb__jb_put(&w, nw++ ? "," : "[", 1);
		ccsb__jb_string(&w, m->src, strlen(m->src));
	}
	ccsb__jb_put(&w, nw ? "]" : "[]", nw ? 1 : 2);
	if (w.oom)
		b.oom = true;
	else
		ccsb__jb_raw(&b, "writable", w.p);
	ccsb__jb_free(&w);
	ccsb__jb_bool(&b, "seccomp", sb->seccomp);
	if (sb->memory_max == CCSB_BOUND_NONE)
		ccsb__jb_null(&b, "memory_max");
	else
		ccsb__jb_uint(&b, "memory_max", sb->memory_max);
	if (sb->pids_max == CCSB_BOUND_NONE)
		ccsb__jb_null(&b, "pids_max");
	else
		ccsb__jb_uint(&b, "pids_max", sb->pids_max);
	ccsb__jb_bool(&b, "memory_scope", sb->scope.ok && sb->scope.memory);
	ccsb__jb_bool(&b, "ssh_agent", sb->ssh_agent);
	ccsb__jb_bool(&b, "git_credentials", sb->git_credentials);
	ccsb__event_emit(ev, "start", &b);
}

/* The resource bounds the run ran into, as far as they can be seen from
 * outside: the scope's cgroup counters (memory.events oom_kill, pids.events
 * max) while the cgroup is still there, else the host's OOM kill count
 * (/proc/vmstat), which counts every process the kernel killed. */
static void bounds_hit(ccsb_sandbox *sb, struct ccsb_events *ev)
{
	bool from_cgroup = false;
	if (ev->cgroup[0]) {
		const char *root = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
					   ? "/sys/fs/cgroup"
					   : "/sys/fs/cgroup/unified";
		char path[512];
		snprintf(path, sizeof(path), "%s%s/memory.events", root, ev->cgroup);
		uint64_t oom = read_counter(path, "oom_kill");
		snprintf(path, sizeof(path), "%s%s/pids.events", root, ev->cgroup);
		uint64_t pids = read_counter(path, "max");
		from_cgroup = oom != UINT64_MAX;
		if (oom != UINT64_MAX && oom > 0) {
			struct ccsb_jbuf b = { 0 };
			ccsb__jb_str(&b, "resource", "memory");
			ccsb__jb_str(&b, "seen_by", "cgroup");
			ccsb__jb_uint(&b, "count", oom);
			ccsb__jb_uint(&b, "limit", sb->memory_max);
			ccsb__event_emit(ev, "bound", &b);
		}
		if (pids != UINT64_MAX && pids > 0) {
			struct ccsb_jbuf b = { 0 };
			ccsb__jb_str(&b, "resource", "tasks");
			ccsb__jb_str(&b, "seen_by", "cgroup");
			ccsb__jb_uint(&b, "count", pids);
			ccsb__jb_uint(&b, "limit", sb->pids_max);
			ccsb__event_emit(ev, "bound", &b);
		}
	}
	if (!from_cgroup && ev->oom_kills0 != UINT64_MAX) {
		uint64_t now = read_counter("/proc/vmstat", "oom_kill");
		if (now != UINT64_MAX && now > ev->oom_kills0) {
			struct ccsb_jbuf b = { 0 };
			ccsb__jb_str(&b, "resource", "memory");
			ccsb__jb_str(&b, "seen_by", "host");
			ccsb__jb_uint(&b, "count", now - ev->oom_kills0);
			ccsb__event_emit(ev, "bound", &b);
		}
	}
}

static int64_t ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

void ccsb__events_run_end(ccsb_sandbox *sb, int r, ccsb_error *const *err, long maxrss_kib)
{
	struct ccsb_events *ev = sb->events;
	if (!ev || !ev->active)
		return;
	bounds_hit(sb, ev);
	struct ccsb_jbuf b = { 0 };
	if (r >= 0) {
		ccsb__jb_int(&b, "status", r);
	} else {
		ccsb__jb_null(&b, "status");
		ccsb__jb_str(&b, "error", err && *err ? ccsb_error_message(*err) : strerror(-r));
	}
	ccsb__jb_int(&b, "duration_ms", ms_since(&ev->t0));
	if (maxrss_kib > 0) {
		ccsb__jb_uint(&b, "peak_rss", (uint64_t)maxrss_kib * 1024);
		ccsb__jb_str(&b, "peak_rss_source", "rusage");
	} else {
		ccsb__jb_null(&b, "peak_rss");
		ccsb__jb_null(&b, "peak_rss_source");
	}
	ccsb__jb_uint(&b, "reported", sb->nreport);
	pthread_mutex_lock(&ev->mu);
	uint64_t lost = ev->lost_total;
	pthread_mutex_unlock(&ev->mu);
	ccsb__jb_uint(&b, "dropped", lost);
	emit(ev, "exit", &b, true);

	/* The reader's last chance, bounded: the sandbox is gone, only the
	 * caller waits. */
	pthread_mutex_lock(&ev->mu);
	struct timespec t_end;
	clock_gettime(CLOCK_MONOTONIC, &t_end);
	while (ev->qlen && !ev->failed && ev->wfd >= 0) {
		int64_t left = CCSB_EVENTS_LINGER_MS - ms_since(&t_end);
		if (left <= 0)
			break;
		struct pollfd p = { .fd = ev->wfd, .events = POLLOUT };
		pthread_mutex_unlock(&ev->mu);
		int pr = poll(&p, 1, (int)left);
		pthread_mutex_lock(&ev->mu);
		if (pr < 0 && errno != EINTR)
			break;
		flush_locked(ev);
	}
	if (ev->qlen) {
		ev->lost_total += count_lines(ev->q + ev->qoff, ev->qlen);
		ev->qlen = ev->qoff = 0;
	}
	ev->active = false;
	if (ev->restore_fl >= 0)
		fcntl(ev->fd, F_SETFL, ev->restore_fl);
	ev->restore_fl = -1;
	if (ev->wfd >= 0)
		close(ev->wfd);
	ev->wfd = -1;
	/* The session is over: its log goes with its socket. */
	ccsb__sesslog_close(ev->log);
	ev->log = NULL;
	pthread_mutex_unlock(&ev->mu);
}

int ccsb__events_set_log(ccsb_sandbox *sb, struct ccsb_sesslog *log, char *const cmd[])
{
	bool idle = !sb->events || !sb->events->active;
	struct ccsb_events *ev = events_get(sb);
	if (!ev) {
		ccsb__sesslog_close(log);
		return -ENOMEM;
	}
	/* Nothing else listens: the run's clock and numbers start now. */
	if (idle)
		ccsb__events_run_begin(sb, cmd);
	pthread_mutex_lock(&ev->mu);
	ccsb__sesslog_close(ev->log);
	ev->log = log;
	ev->active = true;
	pthread_mutex_unlock(&ev->mu);
	return 0;
}

/* ---- events of the library's parts --------------------------------------- */

void ccsb__event_dns_refused(struct ccsb_events *ev, const char *name, unsigned qtype)
{
	if (!ccsb__events_on(ev))
		return;
	struct ccsb_jbuf b = { 0 };
	ccsb__jb_str(&b, "name", name[0] ? name : ".");
	ccsb__jb_uint(&b, "qtype", qtype);
	ccsb__event_emit(ev, "dns_refused", &b);
}

void ccsb__event_route_added(struct ccsb_events *ev, const char *name, int family,
			     const uint8_t *addr)
{
	if (!ccsb__events_on(ev))
		return;
	char a[INET6_ADDRSTRLEN];
	if (!inet_ntop(family, addr, a, sizeof(a)))
		return;
	struct ccsb_jbuf b = { 0 };
	ccsb__jb_str(&b, "name", name);
	ccsb__jb_str(&b, "address", a);
	ccsb__event_emit(ev, "route_added", &b);
}

void ccsb__event_name_bound(struct ccsb_events *ev, const char *name, const uint8_t *fake,
			    const uint8_t *real, size_t n)
{
	if (!ccsb__events_on(ev))
		return;
	char a[INET_ADDRSTRLEN], list[16 * INET_ADDRSTRLEN + 16] = "[";
	size_t off = 1;
	for (size_t i = 0; i < n && i < 16; i++) {
		if (!inet_ntop(AF_INET, real + 4 * i, a, sizeof(a)))
			return;
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s\"%s\"", i ? "," : "",
					a);
	}
	snprintf(list + off, sizeof(list) - off, "]");
	if (!inet_ntop(AF_INET, fake, a, sizeof(a)))
		return;
	struct ccsb_jbuf b = { 0 };
	ccsb__jb_str(&b, "name", name);
	ccsb__jb_str(&b, "address", a);
	ccsb__jb_raw(&b, "addresses", list);
	ccsb__event_emit(ev, "name_bound", &b);
}

void ccsb__event_report(struct ccsb_events *ev, const char *file, const char *text)
{
	if (!ccsb__events_on(ev))
		return;
	/* "../libccsandbox/guard.c" -> "guard"; the terminal relay is pty.c. */
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t n = strcspn(base, ".");
	struct ccsb_jbuf b = { 0 };
	if (n == 3 && strncmp(base, "pty", 3) == 0)
		ccsb__jb_str(&b, "source", "terminal");
	else
		ccsb__jb_strn(&b, "source", base, n);
	ccsb__jb_str(&b, "text", text);
	ccsb__event_emit(ev, "report", &b);
}
