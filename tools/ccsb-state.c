/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb-state: keeps the private copies of Claude Code's state files that a
 * sandbox works on, and merges the safe part of what the sandbox changes
 * into the host's files as it happens (state-merge.c decides what). Started
 * by the library (libccsandbox/state.c) before the sandbox, one per run;
 * a program of its own because ccsb may be a static musl binary and the
 * merge needs json-c.
 *
 *   ccsb-state --dir DIR --ready-fd N --exit-fd N --report-fd N [--copied]
 *              [--project DIR]... {claude-json|settings} HOST PRIVATE ...
 *
 * It creates DIR (0700), copies each HOST file (or {} when missing) to its
 * PRIVATE path in DIR (0600), writes one byte to the ready fd and closes it.
 * With --copied the caller has made DIR and the copies already (the library
 * does, so that this program's start is off the sandbox's critical path):
 * the baseline of each file is then its private copy, which nothing can
 * have written yet (the sandbox waits for our ready byte).
 * Then it merges each time a private copy was written (inotify, debounced),
 * and a last time when the exit fd reaches EOF (the library closes it after
 * the run; it is closed too when ccsb dies, even by SIGKILL) or on SIGTERM
 * (PR_SET_PDEATHSIG); then it removes DIR, writes what it dropped to the
 * report fd (one line each) and exits. Setup errors go to the ready fd as
 * one line of text, exit status 1. */
#include "state-merge.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Claude Code's ~/.claude.json is ~10 KiB-10 MiB (old versions kept each
 * project's prompt history in it); far more is not its state. */
#define MAX_BYTES (64u << 20)
#define MAX_FILES 8
#define DEBOUNCE_MS 150
/* ... but never later than this after the first write: a sandbox writing
 * all the time must not hold the host's copy back. */
#define MAX_DELAY_MS 1000

struct file {
	enum state_kind kind;
	const char *host, *priv;
	struct json_object *base; /* NULL: the host file was not JSON */
	int wd;
	bool dirty;
	struct state_report rep; /* what was dropped */
};

static struct file files[MAX_FILES];
static size_t nfiles;
static const char *projects[64];
static size_t nprojects;
/* Problems with the files themselves (each file's dropped keys are in
 * its own report). */
static struct state_report notes;

static char *read_all(const char *path, size_t *len, int *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_BYTES) {
		*err = EFBIG;
		close(fd);
		return NULL;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		if (n == cap) {
			/* Grew while we read. */
			if (cap > MAX_BYTES) {
				free(buf);
				buf = NULL;
				*err = EFBIG;
				break;
			}
			char *nb = realloc(buf, 2 * cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = errno;
			free(buf);
			buf = NULL;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!buf && *err == 0)
		*err = ENOMEM;
	close(fd);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* An object, or NULL when `s` is not one JSON object. */
static struct json_object *parse(const char *s, size_t len)
{
	struct json_tokener *t = json_tokener_new_ex(64);
	if (!t)
		return NULL;
	struct json_object *o = json_tokener_parse_ex(t, s, (int)len);
	if (o && (json_tokener_get_error(t) != json_tokener_success ||
		  (size_t)json_tokener_get_parse_end(t) +
				  strspn(s + json_tokener_get_parse_end(t), " \t\r\n") !=
			  len ||
		  !json_object_is_type(o, json_type_object) || !state_json_ok(o))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(t);
	return o;
}

static bool write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Claude Code's own lock beside the file (a directory, proper-lockfile
 * style): taken so that its read-modify-write and ours do not lose each
 * other's changes. A lock older than 10 s is stale (proper-lockfile's
 * rule); after 2 s we go on without it rather than lose the sandbox's
 * change. */
static bool lock(const char *host, char *lockp, size_t len)
{
	snprintf(lockp, len, "%s.lock", host);
	for (int i = 0; i < 100; i++) {
		if (mkdir(lockp, 0700) == 0)
			return true;
		if (errno != EEXIST)
			return false;
		struct stat st;
		if (lstat(lockp, &st) == 0 && time(NULL) - st.st_mtime > 10)
			return false;
		sleep_ms(20);
	}
	return false;
}

static int write_host(const char *host, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -ENOMEM;
	struct stat st;
	bool exists = lstat(host, &st) == 0;
	if (exists && !S_ISREG(st.st_mode))
		return -EINVAL;
	char tmp[PATH_MAX + 64];
	snprintf(tmp, sizeof(tmp), "%s.ccsb-%ld.tmp", host, (long)getpid());
	unlink(tmp);
	mode_t mode = exists ? st.st_mode & 07777 : 0600;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int e = 0;
	if (fchmod(fd, mode) < 0)
		e = errno;
	/* Only root can give a file away; as the owner this is a no-op. */
	if (exists && (st.st_uid != geteuid() || st.st_gid != getegid()))
		(void)!fchown(fd, st.st_uid, st.st_gid);
	if (!e && (!write_all(fd, s, strlen(s)) || !write_all(fd, "\n", 1)))
		e = errno ? errno : EIO;
	if (!e && fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, host) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return -e;
	}
	/* The rename itself durable. */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", host);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return 0;
}

static __attribute__((format(printf, 1, 2))) void note(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	for (size_t i = 0; i < notes.n; i++)
		if (strcmp(notes.v[i], s) == 0) {
			free(s);
			return;
		}
	if (notes.n == notes.cap) {
		size_t cap = notes.cap ? 2 * notes.cap : 8;
		char **v = realloc(notes.v, cap * sizeof(*v));
		if (!v) {
			free(s);
			return;
		}
		notes.v = v;
		notes.cap = cap;
	}
	notes.v[notes.n++] = s;
}

/* One merge of file f: the changes between its baseline and the private
 * copy now, onto the host file now. `final`: the last one, so a private
 * copy that does not parse is reported instead of waited for. */
static void merge(struct file *f, bool final)
{
	f->dirty = false;
	if (!f->base)
		return;
	size_t len;
	int err = 0;
	char *s = read_all(f->priv, &len, &err);
	struct json_object *priv = s ? parse(s, len) : NULL;
	free(s);
	if (!priv) {
		/* Claude Code truncates and rewrites in place: a read in the
		 * middle sees a partial file; the next write event retries. */
		if (final)
			note("%s: the sandbox's last version was not a JSON object; its changes since the "
			     "previous merge were not kept",
			     f->host);
		return;
	}
	char lockp[PATH_MAX + 8];
	bool locked = lock(f->host, lockp, sizeof(lockp));
	struct json_object *host;
	err = 0;
	s = read_all(f->host, &len, &err);
	if (s) {
		host = parse(s, len);
		free(s);
		if (!host) {
			note("%s: not merged: the host's file is not a JSON object", f->host);
			goto out;
		}
	} else if (err == ENOENT) {
		host = json_object_new_object();
	} else {
		note("%s: not merged: %s", f->host, strerror(err));
		goto out;
	}
	bool changed = false;
	if (host &&
	    state_merge(f->kind, projects, nprojects, f->base, priv, host, &changed, &f->rep) ==
		    0 &&
	    changed) {
		int r = write_host(f->host, host);
		if (r < 0)
			note("%s: not merged: cannot write it: %s", f->host, strerror(-r));
	}
	json_object_put(host);
	json_object_put(f->base);
	f->base = priv;
	priv = NULL;
out:
	json_object_put(priv);
	if (locked)
		rmdir(lockp);
}

/* --copied: DIR and the copies exist; each baseline is read from its copy,
 * byte for byte what the host file was when it was copied. */
static int setup_copied(int ready_fd)
{
	for (size_t i = 0; i < nfiles; i++) {
		struct file *f = &files[i];
		size_t len = 0;
		int err = 0;
		char *s = read_all(f->priv, &len, &err);
		if (!s) {
			dprintf(ready_fd, "cannot read %s: %s\n", f->priv, strerror(err));
			return -1;
		}
		if (!(f->base = parse(s, len)))
			note("%s: not merged: the host's file is not a JSON object", f->host);
		free(s);
	}
	return 0;
}

static int setup(const char *dir, int ready_fd)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0700) < 0 && errno != EEXIST) {
			dprintf(ready_fd, "cannot create %s: %s\n", parent, strerror(errno));
			return -1;
		}
	}
	if (mkdir(dir, 0700) < 0) {
		dprintf(ready_fd, "cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < nfiles; i++) {
		struct file *f = &files[i];
		size_t len = 3;
		int err = 0;
		char *s = read_all(f->host, &len, &err);
		if (!s && err != ENOENT) {
			dprintf(ready_fd, "cannot read %s: %s\n", f->host, strerror(err));
			return -1;
		}
		if (!s && !(s = strdup("{}\n"))) {
			dprintf(ready_fd, "out of memory\n");
			return -1;
		}
		if (!(f->base = parse(s, len)))
			note("%s: not merged: the host's file is not a JSON object", f->host);
		int fd = open(f->priv, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		bool ok = fd >= 0 && write_all(fd, s, len);
		int e = errno;
		free(s);
		if (fd >= 0)
			close(fd);
		if (!ok) {
			dprintf(ready_fd, "cannot write %s: %s\n", f->priv, strerror(e));
			return -1;
		}
	}
	return 0;
}

static void cleanup(const char *dir)
{
	for (size_t i = 0; i < nfiles; i++)
		unlink(files[i].priv);
	rmdir(dir);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Mark the files with pending write events dirty; an overflowed queue
 * (wd -1) marks them all. */
static void drain(int in)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t r;
	while ((r = read(in, buf, sizeof(buf))) > 0) {
		for (char *q = buf; q < buf + r;) {
			struct inotify_event *ev = (struct inotify_event *)q;
			for (size_t i = 0; i < nfiles; i++)
				if (files[i].wd == ev->wd || ev->wd < 0)
					files[i].dirty = true;
			q += sizeof(*ev) + ev->len;
		}
	}
}

struct args {
	int ready_fd, exit_fd, report_fd;
	const char *dir;
	bool copied;
};

/* The options into A, the projects and the file triples into the globals;
 * returns 0, or the exit status. */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "exit-fd", required_argument, NULL, 'e' },
		{ "report-fd", required_argument, NULL, 'o' },
		{ "project", required_argument, NULL, 'p' },
		{ "copied", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			a->dir = optarg;
			break;
		case 'r':
			a->ready_fd = atoi(optarg);
			break;
		case 'e':
			a->exit_fd = atoi(optarg);
			break;
		case 'o':
			a->report_fd = atoi(optarg);
			break;
		case 'c':
			a->copied = true;
			break;
		case 'p':
			if (nprojects < sizeof(projects) / sizeof(*projects))
				projects[nprojects++] = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!a->dir || a->ready_fd < 0 || a->exit_fd < 0 || a->report_fd < 0 ||
	    (argc - optind) % 3 || (size_t)(argc - optind) / 3 > MAX_FILES) {
		fprintf(stderr,
			"usage: ccsb-state --dir DIR --ready-fd N --exit-fd N --report-fd N "
			"[--copied] [--project DIR]... {claude-json|settings} HOST PRIVATE ...\n");
		return 2;
	}
	for (int i = optind; i < argc; i += 3) {
		struct file *f = &files[nfiles++];
		if (strcmp(argv[i], "claude-json") == 0)
			f->kind = STATE_CLAUDE_JSON;
		else if (strcmp(argv[i], "settings") == 0)
			f->kind = STATE_SETTINGS;
		else {
			dprintf(a->ready_fd, "unknown kind '%s'\n", argv[i]);
			return 2;
		}
		f->host = argv[i + 1];
		f->priv = argv[i + 2];
		f->wd = -1;
	}
	return 0;
}

/* Merge the dirty files as they settle until the exit fd's EOF or a
 * signal on SFD. */
static void watch(int exit_fd, int sfd, int in)
{
	long deadline = -1, first = -1;
	bool done = false;
	while (!done) {
		struct pollfd p[3] = { { .fd = exit_fd, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN },
				       { .fd = in, .events = POLLIN } };
		long wait = deadline < 0 ? -1 : deadline - now_ms();
		int n = poll(p, 3, deadline < 0 ? -1 : (int)(wait < 0 ? 0 : wait));
		if (n < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			char c;
			if (read(exit_fd, &c, 1) <= 0)
				done = true;
		}
		if (p[1].revents)
			done = true;
		if (p[2].revents & POLLIN) {
			drain(in);
			/* Claude Code writes in several calls: merge once it
			 * has been quiet for a moment. */
			long now = now_ms();
			if (first < 0)
				first = now;
			deadline = now + DEBOUNCE_MS < first + MAX_DELAY_MS ? now + DEBOUNCE_MS
									    : first + MAX_DELAY_MS;
		}
		if (deadline >= 0 && now_ms() >= deadline) {
			deadline = first = -1;
			for (size_t i = 0; i < nfiles; i++)
				if (files[i].dirty)
					merge(&files[i], false);
		}
	}
}

/* The last merge, the cleanup and the report. */
static void finish(const char *dir, int in, int report_fd)
{
	/* Every write the sandbox made has queued its event by now (it is
	 * gone): a file with none since the last merge holds nothing new, and
	 * skipping it keeps the last merge off the exit path of most runs. */
	drain(in);
	for (size_t i = 0; i < nfiles; i++)
		if (files[i].dirty || files[i].wd < 0)
			merge(&files[i], true);
	cleanup(dir);
	for (size_t i = 0; i < notes.n; i++)
		dprintf(report_fd, "%s\n", notes.v[i]);
	state_report_free(&notes);
	for (size_t i = 0; i < nfiles; i++) {
		for (size_t k = 0; k < files[i].rep.n; k++)
			dprintf(report_fd, "dropped from %s: %s\n", files[i].host,
				files[i].rep.v[k]);
		state_report_free(&files[i].rep);
		json_object_put(files[i].base);
	}
	/* The library waits for this EOF, not for the exit, which is slow
	 * with an inotify instance to tear down. */
	close(report_fd);
}

int main(int argc, char **argv)
{
	struct args a = { .ready_fd = -1, .exit_fd = -1, .report_fd = -1 };
	int r = parse_args(argc, argv, &a);
	if (r)
		return r;

	/* Killed with ccsb: SIGTERM, handled below like the exit fd's EOF. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (sfd < 0 || in < 0) {
		dprintf(a.ready_fd, "signalfd/inotify: %s\n", strerror(errno));
		return 1;
	}
	umask(077);
	if ((a.copied ? setup_copied(a.ready_fd) : setup(a.dir, a.ready_fd)) < 0) {
		cleanup(a.dir);
		return 1;
	}
	for (size_t i = 0; i < nfiles; i++)
		files[i].wd = inotify_add_watch(in, files[i].priv, IN_CLOSE_WRITE | IN_MODIFY);
	if (!write_all(a.ready_fd, "R", 1)) {
		cleanup(a.dir);
		return 1;
	}
	close(a.ready_fd);

	watch(a.exit_fd, sfd, in);
	finish(a.dir, in, a.report_fd);
	return 0;
}
