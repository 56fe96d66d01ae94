/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Named sessions and commands run in a running sandbox (sessproto.h has the
 * channel). Host side of a run: the runtime directory, the registration
 * (NAME.info, locked for the run's life; NAME.sock, listening), and the
 * acceptor that checks each connection's uid and passes it to the
 * sandbox's pid 1. Client side: ccsb_session_open()/ccsb_session_exec().
 *
 * The acceptor is a thread of its own so that the run's supervise loop
 * stays as it is: it only blocks in poll()/accept() and hands descriptors
 * on, with every signal blocked.
 */
#include "events.h"
#include "internal.h"
#include "fdpass.h"
#include "proc.h"
#include "sesslog.h"
#include "sessproto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ccsb_sess_srv {
	int ctl;		  /* ours: CONN messages to ccsb-exec */
	int peer;		  /* ccsb-exec's end, until bwrap has it */
	int listen_fd;		  /* NAME.sock; -1 when unnamed */
	int lock_fd;		  /* NAME.info, flock()ed for the run's life */
	int stop[2];		  /* wakes the acceptor */
	bool idle;		  /* ccsb_sandbox_start(): no command of its own */
	struct ccsb_sesslog *log; /* NAME.events until the run's events take it */
	bool thread;
	pthread_t thr;
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char info[PATH_MAX + 80]; /* the directory, a name of at most 64, ".info" */
};

struct ccsb_session {
	int ctl;	    /* a started sandbox's control socket; -1 for a named one */
	ccsb_process *proc; /* ccsb_sandbox_start()'s sandbox; NULL */
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool named; /* started with a name */
	ccsb_tty_mode tty;
	char *cwd;
	char **env; /* NAME=VALUE */
	size_t nenv;
};

/* ---- the runtime directory ----------------------------------------- */

/* `path` must be a directory (not a symlink) owned by us that nobody else
 * can enter or write: 0 or -errno with a message naming the fix. */
static int check_private(const char *path, bool exact, ccsb_error **err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return ccsb__errno(err, errno, "session directory %s", path);
	if (!S_ISDIR(st.st_mode))
		return ccsb__err(err, ENOTDIR, "session directory %s is not a directory: remove it",
				 path);
	if (st.st_uid != getuid())
		return ccsb__err(
			err, EPERM,
			"session directory %s belongs to uid %u, not to you "
			"(uid %u): remove it, or set XDG_RUNTIME_DIR to a directory of yours",
			path, (unsigned)st.st_uid, (unsigned)getuid());
	if (exact ? (st.st_mode & 07777) != 0700 : (st.st_mode & 077) != 0)
		return ccsb__err(err, EPERM,
				 "session directory %s has mode %04o: others could "
				 "reach its sandboxes; chmod 700 %s",
				 path, (unsigned)(st.st_mode & 07777), path);
	return 0;
}

static int make_private(const char *path, ccsb_error **err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return ccsb__errno(err, errno, "cannot create the session directory %s", path);
	return check_private(path, true, err);
}

/* $XDG_RUNTIME_DIR/ccsb; without it /run/user/UID/ccsb when that runtime
 * directory is ours, else /tmp/ccsb-UID. */
static int session_dir(char *buf, size_t len, bool create, ccsb_error **err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char base[PATH_MAX];
	int r;
	if (xdg && *xdg) {
		if (*xdg != '/')
			return ccsb__err(err, EINVAL, "XDG_RUNTIME_DIR=%s is not an absolute path",
					 xdg);
		if ((r = check_private(xdg, false, err)) < 0)
			return r;
		snprintf(base, sizeof(base), "%s", xdg);
	} else {
		snprintf(base, sizeof(base), "/run/user/%u", (unsigned)getuid());
		if (check_private(base, false, NULL) < 0) {
			if (snprintf(buf, len, "/tmp/ccsb-%u", (unsigned)getuid()) >= (int)len)
				return ccsb__err(err, ENAMETOOLONG,
						 "session directory name too long");
			return create ? make_private(buf, err) : check_private(buf, true, err);
		}
	}
	if (snprintf(buf, len, "%s/ccsb", base) >= (int)len)
		return ccsb__err(err, ENAMETOOLONG, "session directory name too long");
	return create ? make_private(buf, err) : check_private(buf, true, err);
}

CCSB_EXPORT int ccsb_session_dir(char **out, ccsb_error **err)
{
	char dir[PATH_MAX];
	int r = session_dir(dir, sizeof(dir), false, err);
	if (r < 0)
		return r;
	if (!(*out = strdup(dir)))
		return ccsb__err(err, ENOMEM, "out of memory");
	return 0;
}

bool ccsb__session_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       n;
}

static int name_error(const char *name, ccsb_error **err)
{
	return ccsb__err(err, EINVAL,
			 "bad session name '%s': use 1-64 letters, digits, '.', '_' "
			 "or '-', not starting with '.' or '-'",
			 name ? name : "");
}

CCSB_EXPORT int ccsb_sandbox_set_name(ccsb_sandbox *sb, const char *name, ccsb_error **err)
{
	if (name && !ccsb__session_name_ok(name))
		return name_error(name, err);
	char *copy = NULL;
	if (name && !(copy = strdup(name)))
		return ccsb__err(err, ENOMEM, "out of memory");
	free(sb->session_name);
	sb->session_name = copy;
	return 0;
}

static int sock_path(char *buf, size_t len, const char *dir, const char *name, ccsb_error **err)
{
	if ((size_t)snprintf(buf, len, "%s/%s.sock", dir, name) >= len)
		return ccsb__err(
			err, ENAMETOOLONG,
			"session socket path %s/%s.sock is longer than "
			"a socket address allows: set XDG_RUNTIME_DIR to a shorter directory",
			dir, name);
	return 0;
}

/* ---- registration (host side of a named run) ----------------------- */

/* A value for one line of NAME.info: control characters become '?'. */
static void put_value(FILE *f, const char *key, const char *v)
{
	fprintf(f, "%s=", key);
	for (; v && *v; v++)
		fputc((unsigned char)*v < 0x20 || *v == 0x7f ? '?' : *v, f);
	fputc('\n', f);
}

static void write_info(int fd, const ccsb_sandbox *sb, char *const cmd[])
{
	FILE *f = fdopen(dup(fd), "w");
	if (!f)
		return;
	fprintf(f, "version=1\npid=%ld\nstarted=%lld\n", (long)getpid(), (long long)time(NULL));
	fputs("command=", f);
	for (size_t i = 0; cmd && cmd[i]; i++) {
		for (const char *p = cmd[i]; *p; p++)
			fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, f);
		if (cmd[i + 1])
			fputc(' ', f);
	}
	fputc('\n', f);
	put_value(f, "project", sb->cwd);
	char pol[256], mem[32] = "none", tasks[32] = "none";
	if (sb->net == CCSB_NET_ALLOWLIST) {
		size_t given, merged;
		ccsb_sandbox_allowlist_count(sb, &given, &merged);
		snprintf(pol, sizeof(pol), "net=allowlist(%zu prefixes, %zu names)", merged,
			 ccsb_sandbox_allowlist_name_count(sb));
	} else {
		snprintf(pol, sizeof(pol), "net=%s", sb->net == CCSB_NET_FULL ? "full" : "none");
	}
	uint64_t m = ccsb_sandbox_get_memory_max(sb), t = ccsb_sandbox_get_pids_max(sb);
	if (m != CCSB_BOUND_NONE)
		snprintf(mem, sizeof(mem), "%.1fG", (double)m / (1024.0 * 1024 * 1024));
	if (t != CCSB_BOUND_NONE)
		snprintf(tasks, sizeof(tasks), "%llu", (unsigned long long)t);
	fprintf(f, "policy=%s %s memory=%s tasks=%s\n", pol, sb->seccomp ? "seccomp" : "no-seccomp",
		mem, tasks);
	fclose(f);
}

/* Take NAME.info's lock: -EBUSY when a live session holds it. */
static int lock_info(const char *path, int *out, ccsb_error **err)
{
	for (int tries = 0; tries < 5; tries++) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return ccsb__errno(err, errno, "cannot create %s", path);
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;
			close(fd);
			if (e == EWOULDBLOCK)
				return -EBUSY;
			return ccsb__errno(err, e, "cannot lock %s", path);
		}
		/* A stale file removed (by `ccsb ps`) between open and lock:
		 * take the one now at the path instead. */
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			*out = fd;
			return 0;
		}
		close(fd);
	}
	return ccsb__err(err, EAGAIN, "cannot lock %s: it keeps being replaced", path);
}

static void srv_free(struct ccsb_sess_srv *s)
{
	if (!s)
		return;
	if (s->thread) {
		if (write(s->stop[1], "x", 1) < 0) {
			/* The pipe cannot be full: one byte, once. */
		}
		pthread_join(s->thr, NULL);
	}
	if (s->listen_fd >= 0)
		unlink(s->sock);
	if (s->lock_fd >= 0)
		unlink(s->info);
	ccsb__close_fd(&s->listen_fd);
	ccsb__close_fd(&s->lock_fd);
	ccsb__close_fd(&s->ctl);
	ccsb__close_fd(&s->peer);
	ccsb__close_fd(&s->stop[0]);
	ccsb__close_fd(&s->stop[1]);
	ccsb__sesslog_close(s->log);
	free(s);
}

static struct ccsb_sess_srv *srv_new(void)
{
	struct ccsb_sess_srv *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ctl = s->peer = s->listen_fd = s->lock_fd = s->stop[0] = s->stop[1] = -1;
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		free(s);
		return NULL;
	}
	s->ctl = sp[0];
	s->peer = sp[1];
	return s;
}

/* The socket must not be reachable from inside: refuse a session
 * directory that a bind of the policy exposes (XDG_RUNTIME_DIR set below
 * the project, say). */
static int check_hidden(const ccsb_sandbox *sb, const char *dir, ccsb_error **err)
{
	char real[PATH_MAX];
	if (!ccsb__realpath(dir, real))
		return ccsb__errno(err, errno, "session directory %s", dir);
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (m->kind != CCSB_M_BIND || !m->src)
			continue;
		size_t l = strlen(m->src);
		while (l > 1 && m->src[l - 1] == '/')
			l--;
		if (strncmp(real, m->src, l) == 0 && (real[l] == '/' || real[l] == '\0' || l == 1))
			return ccsb__err(
				err, EPERM,
				"the session directory %s would be visible in "
				"the sandbox (through the bind of %s): set XDG_RUNTIME_DIR to a "
				"directory outside the sandbox's binds",
				real, m->src);
	}
	return 0;
}

static int srv_register(struct ccsb_sess_srv *s, const ccsb_sandbox *sb, char *const cmd[],
			ccsb_error **err)
{
	char dir[PATH_MAX];
	const char *name = sb->session_name;
	int r = session_dir(dir, sizeof(dir), true, err);
	if (r < 0 || (r = sock_path(s->sock, sizeof(s->sock), dir, name, err)) < 0)
		return r;
	if ((r = check_hidden(sb, dir, err)) < 0)
		return r;
	snprintf(s->info, sizeof(s->info), "%s/%s.info", dir, name);
	r = lock_info(s->info, &s->lock_fd, err);
	if (r == -EBUSY)
		return ccsb__err(err, EBUSY,
				 "a sandbox named '%s' is already running ('ccsb ps' "
				 "lists them): choose another --name, or end that one first",
				 name);
	if (r < 0)
		return r;
	/* The events `ccsb ps` reads: NAME.events, beside the socket. */
	if (!(s->log = ccsb__sesslog_open(dir, name)))
		return ccsb__errno(err, errno, "cannot create %s/%s.events", dir, name);
	/* We hold the name: a socket left at its path is a dead session's. */
	unlink(s->sock);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path, s->sock, strlen(s->sock) + 1);
	s->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		return ccsb__errno(err, errno, "socket");
	if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = ccsb__errno(err, errno, "cannot bind %s", s->sock);
		ccsb__close_fd(&s->listen_fd);
		return r;
	}
	if (listen(s->listen_fd, 16) < 0)
		return ccsb__errno(err, errno, "listen on %s", s->sock);
	if (ftruncate(s->lock_fd, 0) == 0)
		write_info(s->lock_fd, sb, cmd);
	if (pipe2(s->stop, O_CLOEXEC) < 0)
		return ccsb__errno(err, errno, "pipe");
	return 0;
}

int ccsb__session_prepare(ccsb_sandbox *sb, char *const cmd[], ccsb_error **err)
{
	if (!sb->session_name)
		return 0;
	if (!sb->sess) {
		struct ccsb_sess_srv *s = srv_new();
		if (!s)
			return ccsb__errno(err, errno ? errno : ENOMEM,
					   "cannot create the session socket");
		int r = srv_register(s, sb, cmd, err);
		if (r < 0) {
			srv_free(s);
			return r;
		}
		sb->sess = s;
	}
	/* The run's events now go to NAME.events as well (ccsb_sandbox_start()
	 * registered the session before its run began). */
	struct ccsb_sesslog *log = sb->sess->log;
	sb->sess->log = NULL;
	if (log && ccsb__events_set_log(sb, log, cmd) < 0)
		return ccsb__err(err, ENOMEM, "out of memory");
	return 0;
}

int ccsb__session_peer(const ccsb_sandbox *sb)
{
	return sb->sess ? sb->sess->peer : -1;
}

bool ccsb__session_idle(const ccsb_sandbox *sb)
{
	return sb->sess && sb->sess->idle;
}

int ccsb__session_fdnum(const ccsb_sandbox *sb)
{
	return ccsb__job_fdnum(sb) + 1;
}

static int send_conn(int ctl, int fd)
{
	char b[sizeof(struct ccsb_sess_hdr)];
	ccsb__sess_simple(b, CCSB_SESS_CONN, 0);
	ssize_t n = ccsb__send_fds(ctl, b, sizeof(b), &fd, 1);
	return n < 0 ? (int)n : 0;
}

/* Only the user who runs the sandbox may reach it: the directory is 0700,
 * and the peer's uid is checked as well (root passes directory modes). */
static void *acceptor(void *arg)
{
	struct ccsb_sess_srv *s = arg;
	for (;;) {
		struct pollfd p[2] = { { .fd = s->listen_fd, .events = POLLIN },
				       { .fd = s->stop[0], .events = POLLIN } };
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents)
			return NULL;
		int c = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		struct ucred cred;
		socklen_t l = sizeof(cred);
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &l) == 0 && cred.uid == getuid())
			send_conn(s->ctl, c);
		close(c);
	}
}

void ccsb__session_serve(ccsb_sandbox *sb)
{
	struct ccsb_sess_srv *s = sb->sess;
	if (!s)
		return;
	ccsb__close_fd(&s->peer);
	if (s->listen_fd < 0 || s->thread)
		return;
	sigset_t all, before;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &before);
	s->thread = pthread_create(&s->thr, NULL, acceptor, s) == 0;
	pthread_sigmask(SIG_SETMASK, &before, NULL);
}

void ccsb__session_stop(ccsb_sandbox *sb)
{
	srv_free(sb->sess);
	sb->sess = NULL;
}

/* ---- listing -------------------------------------------------------- */

static char *info_value(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);
		if (ll > kl && strncmp(p, key, kl) == 0 && p[kl] == '=')
			return strndup(p + kl + 1, ll - kl - 1);
		p = nl ? nl + 1 : NULL;
	}
	return strdup("");
}

/* NAME.info of a live session: fill `si`; 0, or 1 when the session is dead
 * (its files are removed), or -errno. */
static int read_info(const char *dir, const char *name, ccsb_session_info *si)
{
	char path[PATH_MAX + 80], sock[PATH_MAX + 80];
	snprintf(path, sizeof(path), "%s/%s.info", dir, name);
	snprintf(sock, sizeof(sock), "%s/%s.sock", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 1 : -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		/* Nobody holds it: its session is gone. Clean up while the
		 * lock keeps a new session of that name out. */
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			char ev[PATH_MAX + 90];
			unlink(sock);
			snprintf(ev, sizeof(ev), "%s/%s.events", dir, name);
			unlink(ev);
			snprintf(ev, sizeof(ev), "%s/%s.events.1", dir, name);
			unlink(ev);
			unlink(path);
		}
		close(fd);
		return 1;
	}
	char text[8192];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	if (n < 0)
		return -errno;
	text[n] = '\0';
	char *pid = info_value(text, "pid"), *started = info_value(text, "started");
	*si = (ccsb_session_info){ .name = strdup(name),
				   .command = info_value(text, "command"),
				   .project = info_value(text, "project"),
				   .policy = info_value(text, "policy"),
				   .pid = pid ? atoi(pid) : 0,
				   .started = started ? strtoll(started, NULL, 10) : 0 };
	free(pid);
	free(started);
	if (!si->name || !si->command || !si->project || !si->policy)
		return -ENOMEM;
	return 0;
}

CCSB_EXPORT void ccsb_session_list_free(ccsb_session_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].command);
		free(v[i].project);
		free(v[i].policy);
	}
	free(v);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const ccsb_session_info *)a)->name, ((const ccsb_session_info *)b)->name);
}

CCSB_EXPORT int ccsb_session_list(ccsb_session_info **out, size_t *count, ccsb_error **err)
{
	char dir[PATH_MAX];
	*out = NULL;
	*count = 0;
	/* No directory: no session has run yet. */
	int r = session_dir(dir, sizeof(dir), false, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0 && (r = session_dir(dir, sizeof(dir), false, err)) < 0)
		return r;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		r = ccsb__errno(err, errno, "cannot list %s", dir);
		if (dfd >= 0)
			close(dfd);
		return r;
	}
	ccsb_session_info *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l <= 5 || strcmp(e->d_name + l - 5, ".info") != 0)
			continue;
		char name[256];
		if (l - 5 > 64)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(l - 5), e->d_name);
		if (!ccsb__session_name_ok(name))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			ccsb_session_info *nv = realloc(v, nc * sizeof(*v));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		r = read_info(dir, name, &v[n]);
		if (r == 0)
			n++;
		else if (r < 0 && r != -ENOMEM)
			r = 0; /* gone meanwhile, or unreadable: not listed */
		if (r < 0) {
			n++;
			break;
		}
	}
	closedir(d);
	if (r < 0) {
		ccsb_session_list_free(v, n);
		return ccsb__err(err, -r, "out of memory");
	}
	if (n)
		qsort(v, n, sizeof(*v), by_name);
	*out = v;
	*count = n;
	return 0;
}

/* ---- client --------------------------------------------------------- */

static ccsb_session *session_alloc(void)
{
	ccsb_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ctl = -1;
	s->tty = CCSB_TTY_AUTO;
	return s;
}

CCSB_EXPORT int ccsb_session_open(const char *name, ccsb_session **out, ccsb_error **err)
{
	char dir[PATH_MAX];
	*out = NULL;
	if (!ccsb__session_name_ok(name))
		return name_error(name, err);
	int r = session_dir(dir, sizeof(dir), false, NULL);
	ccsb_session *s = session_alloc();
	if (!s)
		return ccsb__err(err, ENOMEM, "out of memory");
	if (r == -ENOENT) {
		free(s);
		return ccsb__err(err, ENOENT,
				 "no sandbox named '%s' is running ('ccsb ps' lists "
				 "them; start one with ccsb --name=%s ...)",
				 name, name);
	}
	if (r < 0 && (r = session_dir(dir, sizeof(dir), false, err)) < 0) {
		free(s);
		return r;
	}
	if ((r = sock_path(s->sock, sizeof(s->sock), dir, name, err)) < 0) {
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

CCSB_EXPORT void ccsb_session_free(ccsb_session *s)
{
	if (!s)
		return;
	/* A started sandbox's pid 1 ends when its control socket closes;
	 * ccsb_process_free() waits for that, or kills it when named (the
	 * acceptor holds the socket too). */
	ccsb__close_fd(&s->ctl);
	if (s->proc) {
		if (!s->named)
			ccsb_process_wait(s->proc, NULL);
		ccsb_process_free(s->proc);
	}
	for (size_t i = 0; i < s->nenv; i++)
		free(s->env[i]);
	free(s->env);
	free(s->cwd);
	free(s);
}

CCSB_EXPORT int ccsb_session_set_tty(ccsb_session *s, ccsb_tty_mode mode, ccsb_error **err)
{
	if (mode != CCSB_TTY_AUTO && mode != CCSB_TTY_ON && mode != CCSB_TTY_OFF)
		return ccsb__err(err, EINVAL, "bad tty mode %d", (int)mode);
	s->tty = mode;
	return 0;
}

CCSB_EXPORT int ccsb_session_set_cwd(ccsb_session *s, const char *dir, ccsb_error **err)
{
	if (dir && *dir != '/')
		return ccsb__err(err, EINVAL,
				 "working directory '%s' must be an absolute path "
				 "inside the sandbox",
				 dir);
	char *c = NULL;
	if (dir && !(c = strdup(dir)))
		return ccsb__err(err, ENOMEM, "out of memory");
	free(s->cwd);
	s->cwd = c;
	return 0;
}

CCSB_EXPORT int ccsb_session_env_set(ccsb_session *s, const char *name, const char *value,
				     ccsb_error **err)
{
	if (!name || !*name || strchr(name, '=') || !value)
		return ccsb__err(err, EINVAL, "bad environment variable name '%s'",
				 name ? name : "");
	if (s->nenv >= CCSB_SESS_MAX_ENV)
		return ccsb__err(err, E2BIG, "more than %u environment settings",
				 CCSB_SESS_MAX_ENV);
	char **v = realloc(s->env, (s->nenv + 2) * sizeof(*v));
	if (!v)
		return ccsb__err(err, ENOMEM, "out of memory");
	s->env = v;
	size_t l = strlen(name) + strlen(value) + 2;
	if (!(v[s->nenv] = malloc(l)))
		return ccsb__err(err, ENOMEM, "out of memory");
	snprintf(v[s->nenv], l, "%s=%s", name, value);
	v[++s->nenv] = NULL;
	return 0;
}

static int send_exec(int conn, const ccsb_session *s, char *const cmd[], bool tty, const int fds[3],
		     ccsb_error **err)
{
	void *pkt;
	size_t len;
	int r = ccsb__sess_encode_exec(tty ? CCSB_SESS_FLAG_TTY : 0, s->cwd,
				       (const char *const *)cmd, (const char *const *)s->env, &pkt,
				       &len);
	if (r == -E2BIG)
		return ccsb__err(err, E2BIG,
				 "the command is too long for a session (at most %u "
				 "arguments, %u bytes)",
				 CCSB_SESS_MAX_ARGS, CCSB_SESS_MAX_PAYLOAD);
	if (r < 0)
		return ccsb__err(err, -r, r == -EINVAL ? "no command to run" : "out of memory");
	ssize_t n = ccsb__send_fds(conn, pkt, len, fds, 3);
	free(pkt);
	if (n < 0)
		return ccsb__errno(err, (int)-n, "cannot send the command to the sandbox");
	return 0;
}

/* One message from ccsb-exec: 0 with *type and *arg, 1 at EOF, -errno. */
static int recv_reply(int conn, uint16_t *type, uint32_t *arg)
{
	char b[sizeof(struct ccsb_sess_hdr) + 1];
	ssize_t n;
	do
		n = recv(conn, b, sizeof(b), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : -errno;
	if (n == 0)
		return 1;
	int r = ccsb__sess_check(b, (size_t)n, type, arg);
	if (r < 0)
		return r;
	return *type == CCSB_SESS_STARTED || *type == CCSB_SESS_EXIT ? 0 : -EPROTO;
}

static const int exec_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH };

static void send_signal(int conn, int sig)
{
	char b[sizeof(struct ccsb_sess_hdr)];
	ccsb__sess_simple(b, CCSB_SESS_SIGNAL, (uint32_t)sig);
	send(conn, b, sizeof(b), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Relay until ccsb-exec reports the command's exit; its status. */
static int relay(int conn, struct ccsb_pty *pty, int sfd, ccsb_error **err)
{
	int status = -1;
	bool gone = false;
	long long drain_until = 0;
	while (status < 0 || !ccsb__pty_drained(pty)) {
		struct pollfd pfd[5];
		int np = 0;
		if (!gone)
			pfd[np++] = (struct pollfd){ .fd = conn, .events = POLLIN };
		pfd[np++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		int first = np;
		np += ccsb__pty_pollfds(pty, pfd + np, status < 0);
		int timeout = -1;
		if (status >= 0) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			long long now = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
			if (!drain_until)
				drain_until = now + 2000;
			if (now >= drain_until)
				break;
			timeout = (int)(drain_until - now);
		}
		int pr = poll(pfd, (nfds_t)np, timeout);
		if (pr < 0 && errno != EINTR)
			return ccsb__errno(err, errno, "poll");
		if (pr <= 0)
			continue;
		ccsb__pty_io(pty, pfd + first, np - first);
		if (!gone && pfd[0].revents) {
			uint16_t type;
			uint32_t arg;
			int r = recv_reply(conn, &type, &arg);
			if (r == -EAGAIN) {
				/* spurious */
			} else if (r == 1 || (r < 0 && status < 0)) {
				gone = true;
				if (status < 0)
					return ccsb__err(err, EPIPE,
							 "the sandbox ended before the "
							 "command did");
			} else if (r == 0 && type == CCSB_SESS_EXIT) {
				status = arg > 255 ? 255 : (int)arg;
				gone = true;
			}
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGWINCH && pty->master >= 0)
				ccsb__pty_resize(pty);
			else if (!gone)
				send_signal(conn, (int)si.ssi_signo);
		}
	}
	return status;
}

static int exec_on(int conn, ccsb_session *s, char *const cmd[], ccsb_error **err)
{
	struct ccsb_pty pty;
	ccsb__pty_init(&pty);
	ccsb__pty_set_filter(&pty, false);
	bool use_pty = s->tty == CCSB_TTY_ON || (s->tty == CCSB_TTY_AUTO && isatty(STDIN_FILENO));
	if (use_pty && !isatty(STDIN_FILENO))
		return ccsb__err(err, ENOTTY,
				 "a terminal was asked for, but standard input is not one");
	if (use_pty && ccsb__pty_background()) {
		if (s->tty == CCSB_TTY_ON)
			return ccsb__err(err, ENOTTY,
					 "a terminal was asked for, but this process is "
					 "not in the foreground of its terminal");
		use_pty = false;
	}
	/* Without a terminal on stdin, output to one still goes through the
	 * escape filter, on a pty for the output only (as in a run). */
	int r = use_pty ? ccsb__pty_open(&pty, err) : ccsb__pty_open_output(&pty, err);
	if (r < 0)
		return r;
	int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	if (pty.master >= 0) {
		if (use_pty)
			fds[0] = pty.slave;
		if (pty.slave_out)
			fds[1] = pty.slave;
		if (pty.slave_err)
			fds[2] = pty.slave;
	}
	sigset_t set, orig;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(exec_signals) / sizeof(*exec_signals); i++)
		sigaddset(&set, exec_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, &orig);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		r = ccsb__errno(err, errno, "signalfd");
	else
		r = send_exec(conn, s, cmd, use_pty, fds, err);
	ccsb__close_fd(&pty.slave);
	if (r == 0 && use_pty)
		r = ccsb__pty_raw(&pty, err);
	if (r == 0)
		r = relay(conn, &pty, sfd, err);
	ccsb__pty_close(&pty);
	if (sfd >= 0)
		close(sfd);
	pthread_sigmask(SIG_SETMASK, &orig, NULL);
	return r;
}

CCSB_EXPORT int ccsb_session_exec(ccsb_session *s, char *const cmd[], ccsb_error **err)
{
	if (!cmd || !cmd[0] || !*cmd[0])
		return ccsb__err(err, EINVAL, "no command to run");
	int conn = -1, r;
	if (s->ctl >= 0) {
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
			return ccsb__errno(err, errno, "socketpair");
		r = send_conn(s->ctl, sp[1]);
		close(sp[1]);
		if (r < 0) {
			close(sp[0]);
			return ccsb__errno(err, -r, "the sandbox is gone");
		}
		conn = sp[0];
	} else {
		conn = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (conn < 0)
			return ccsb__errno(err, errno, "socket");
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		memcpy(a.sun_path, s->sock, strlen(s->sock) + 1);
		if (connect(conn, (struct sockaddr *)&a, sizeof(a)) < 0) {
			int e = errno;
			close(conn);
			const char *slash = strrchr(s->sock, '/');
			int nl = (int)strlen(slash + 1) - 5;
			if (e == ENOENT || e == ECONNREFUSED)
				return ccsb__err(err, ENOENT,
						 "no sandbox named '%.*s' is running "
						 "('ccsb ps' lists them)",
						 nl, slash + 1);
			return ccsb__errno(err, e, "cannot connect to %s", s->sock);
		}
	}
	r = exec_on(conn, s, cmd, err);
	close(conn);
	return r;
}

/* ---- a sandbox of its own: ccsb_sandbox_start() ---------------------- */

CCSB_EXPORT int ccsb_sandbox_start(ccsb_sandbox *sb, ccsb_session **out, ccsb_error **err)
{
	/* Never run: ccsb-exec --idle takes no command (argv.c). */
	static char *const idle[] = { (char *)"(session)", NULL };
	if (!out)
		return ccsb__err(err, EINVAL, "no place for the session handle");
	*out = NULL;
	if (!sb)
		return ccsb__err(err, EINVAL, "no sandbox policy given");
	if (sb->sess)
		return ccsb__err(err, EBUSY, "the policy is already running a session");
	ccsb_session *s = session_alloc();
	struct ccsb_sess_srv *srv = s ? srv_new() : NULL;
	if (!srv) {
		free(s);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	srv->idle = true;
	int r = sb->session_name ? srv_register(srv, sb, idle, err) : 0;
	if (r < 0) {
		srv_free(srv);
		free(s);
		return r;
	}
	/* The handle holds the control socket; ccsb-exec ends when it closes.
	 * Unnamed, the run keeps no copy; named, the acceptor needs one. */
	if (sb->session_name) {
		s->ctl = fcntl(srv->ctl, F_DUPFD_CLOEXEC, 3);
		s->named = true;
	} else {
		s->ctl = srv->ctl;
		srv->ctl = -1;
	}
	sb->sess = srv;
	if (s->ctl < 0) {
		r = ccsb__errno(err, errno, "dup");
		ccsb__session_stop(sb);
		free(s);
		return r;
	}
	r = ccsb_sandbox_spawn(sb, idle, 0, &s->proc, err);
	if (r < 0) {
		/* The run has released the session state. */
		ccsb__session_stop(sb);
		ccsb_session_free(s);
		return r;
	}
	*out = s;
	return 0;
}
