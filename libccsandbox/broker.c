/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The broker: sockets bound into the sandbox, served by a thread of the
 * process that runs the sandbox. The ssh-agent socket relays to the user's
 * own agent only what lists keys and signs with them (sshagent.c decides);
 * the git credential socket answers `git credential fill` requests for the
 * hosts the allowlist names, from the host's own git (gitcred.c).
 * A thread rather than a helper process: it cannot outlive the run (not
 * even a SIGKILL of ccsb), it needs no exit pipe, and a request that waits
 * for the user's agent (a confirmation dialog) never stalls ccsb's poll
 * loop. Its socket lives in a private 0700 directory on the host, and only
 * the socket file itself is bound inside. */
#include "internal.h"
#include "events.h"
#include "gitcred.h"
#include "sshagent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define AGENT_INSIDE "/run/ccsb/ssh-agent.sock"
#define CRED_INSIDE "/run/ccsb/git-credential.sock"
/* git runs it with the action appended ("get", "store", "erase"). */
#define CRED_HELPER CCSB_EXEC_INSIDE " --git-credential"
/* The host's git credential fill may run a helper that asks (a keyring
 * unlock dialog). */
#define FILL_TIMEOUT_MS 60000
/* Shown by --print in place of the directory made at run time. */
#define BROKER_PLACEHOLDER "/ccsb-broker-dir-made-at-run-time"
#define BROKER_PREFIX "ccsb-broker-"
#define MAX_CLIENTS 16
/* The user's agent may ask for confirmation (ssh-add -c): give them time. */
#define UPSTREAM_TIMEOUT_MS 120000
/* A client that does not read its answer is dropped. */
#define CLIENT_TIMEOUT_MS 10000
#define MAX_KEYSTATS 16
#define MAX_REFSTATS 16

struct client {
	int fd, up; /* up: our connection to the user's agent, -1 until used */
	bool cred;  /* a git credential client, not an agent one */
	uint8_t *buf;
	size_t n, cap;
};

struct keystat {
	char fp[CCSB_AGENT_FP_LEN + 1], type[32], comment[64], last[96];
	unsigned count;
};

struct refstat {
	char what[96];
	unsigned count;
};

struct ccsb_broker {
	pthread_t thread;
	bool started;
	int stop[2];
	int agent_fd, cred_fd; /* listening sockets, -1 when not served */
	int dir_fd;	       /* holds the directory's lock while the broker lives */
	char dir[PATH_MAX];
	struct sockaddr_un upstream;
	/* git credentials: the allowlist (the policy's merged one, borrowed),
	 * the host's git and the environment it runs with. */
	const struct ccsb_allowlist *allow;
	char git[PATH_MAX];
	char **fill_env;
	struct refstat served[MAX_REFSTATS], denied[MAX_REFSTATS];
	size_t nserved, ndenied;
	const struct ccsb_agent_filter *filter; /* the policy's; unchanged during a run */
	int log_fd;
	struct ccsb_events *ev; /* the policy's stream; emitting is thread-safe */
	struct client cl[MAX_CLIENTS];
	/* Written by the thread, read once it has been joined. */
	struct keystat keys[MAX_KEYSTATS];
	size_t nkeys;
	unsigned nsigs, other_sigs;
	struct refstat refused[MAX_REFSTATS];
	size_t nrefused;
	unsigned nrefusals, other_refusals;
};

/* ---- the policy ------------------------------------------------------ */

static const char *host_home(void)
{
	const char *h = getenv("HOME");
	return h && h[0] == '/' ? h : NULL;
}

CCSB_EXPORT int ccsb_sandbox_set_ssh_agent(ccsb_sandbox *sb, const char *keyfilter, unsigned flags,
					   ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (flags & ~(unsigned)CCSB_SSH_KNOWN_HOSTS)
		return ccsb__err(err, EINVAL, "unknown ssh-agent flags 0x%x", flags);
	struct ccsb_agent_filter *f = calloc(1, sizeof(*f));
	if (!f)
		return ccsb__err(err, ENOMEM, "out of memory");
	const char *why = NULL;
	int r = ccsb__agent_filter_parse(keyfilter, f, &why);
	if (r < 0) {
		free(f);
		if (r == -ENOMEM)
			return ccsb__err(err, ENOMEM, "out of memory");
		return ccsb__err(err, EINVAL, "bad ssh-agent key filter '%s': %s", keyfilter, why);
	}
	if (!sb->ssh_agent) {
		r = ccsb_sandbox_add_bind(sb, BROKER_PLACEHOLDER "/ssh-agent.sock", AGENT_INSIDE,
					  CCSB_BIND_RO, err);
		if (r == 0) {
			sb->mounts[sb->nmounts - 1].flags |= CCSB_MOUNT_BROKER;
			r = ccsb_sandbox_env_set(sb, "SSH_AUTH_SOCK", AGENT_INSIDE, err);
		}
		if (r < 0) {
			ccsb__agent_filter_free(f);
			free(f);
			return r;
		}
		sb->ssh_agent = true;
	}
	ccsb__broker_free_policy(sb);
	sb->agent_filter = f;
	sb->ssh_agent = true;
	if (!(flags & CCSB_SSH_KNOWN_HOSTS))
		return 0;
	/* Host keys only: never the keys, never ~/.ssh/config (README says
	 * why). Missing files are skipped. */
	const char *home = host_home();
	static const char *const mine[] = { "known_hosts", "known_hosts2" };
	static const char *const sys[] = { "/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2",
					   "/etc/ssh/ssh_config", "/etc/ssh/ssh_config.d" };
	for (size_t i = 0; r == 0 && home && i < sizeof(mine) / sizeof(*mine); i++) {
		char src[PATH_MAX], dst[PATH_MAX];
		if (snprintf(src, sizeof(src), "%s/.ssh/%s", home, mine[i]) >= (int)sizeof(src) ||
		    snprintf(dst, sizeof(dst), "%s/.ssh/%s", sb->home, mine[i]) >= (int)sizeof(dst))
			return ccsb__err(err, ENAMETOOLONG, "home directory path too long");
		r = ccsb_sandbox_add_bind(sb, src, dst, CCSB_BIND_RO | CCSB_BIND_TRY, err);
	}
	for (size_t i = 0; r == 0 && i < sizeof(sys) / sizeof(*sys); i++)
		r = ccsb_sandbox_add_bind(sb, sys[i], NULL, CCSB_BIND_RO | CCSB_BIND_TRY, err);
	return r;
}

CCSB_EXPORT int ccsb_sandbox_set_git_credentials(ccsb_sandbox *sb, bool enable, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (!enable || sb->git_credentials) {
		/* Off after on is not supported: the policy keeps the bind. */
		if (!enable && sb->git_credentials)
			return ccsb__err(err, EINVAL,
					 "git credentials cannot be turned off once on");
		return 0;
	}
	int r = ccsb_sandbox_add_bind(sb, BROKER_PLACEHOLDER "/git-credential.sock", CRED_INSIDE,
				      CCSB_BIND_RO, err);
	if (r < 0)
		return r;
	sb->mounts[sb->nmounts - 1].flags |= CCSB_MOUNT_BROKER;
	/* An empty value first resets the helpers configured elsewhere: only
	 * ccsb's answers. Command-line scope, after every file. */
	if ((r = ccsb_sandbox_env_set(sb, "GIT_CONFIG_COUNT", "2", err)) < 0 ||
	    (r = ccsb_sandbox_env_set(sb, "GIT_CONFIG_KEY_0", "credential.helper", err)) < 0 ||
	    (r = ccsb_sandbox_env_set(sb, "GIT_CONFIG_VALUE_0", "", err)) < 0 ||
	    (r = ccsb_sandbox_env_set(sb, "GIT_CONFIG_KEY_1", "credential.helper", err)) < 0 ||
	    (r = ccsb_sandbox_env_set(sb, "GIT_CONFIG_VALUE_1", CRED_HELPER, err)) < 0)
		return r;
	sb->git_credentials = true;
	return 0;
}

void ccsb__broker_free_policy(ccsb_sandbox *sb)
{
	if (sb->agent_filter) {
		ccsb__agent_filter_free(sb->agent_filter);
		free(sb->agent_filter);
		sb->agent_filter = NULL;
	}
}

/* A socket's bind names the placeholder in the policy (what --print shows)
 * and, during a run, `dir` (NULL: back to the placeholder). */
static int set_bind_sources(ccsb_sandbox *sb, const char *dir)
{
	for (size_t i = 0; i < sb->nmounts; i++) {
		struct ccsb_mount *m = &sb->mounts[i];
		if (!(m->flags & CCSB_MOUNT_BROKER))
			continue;
		const char *name = strrchr(m->dest, '/') + 1;
		char *src = NULL;
		if (asprintf(&src, "%s/%s", dir ? dir : BROKER_PLACEHOLDER, name) < 0)
			return -ENOMEM;
		free(m->src);
		m->src = src;
	}
	return 0;
}

/* ---- I/O helpers (the thread) ---------------------------------------- */

/* Wait for `events` on fd, or for the stop pipe. 1 ready, 0 timeout or
 * stop, -1 error. */
static int wait_fd(const struct ccsb_broker *b, int fd, short events, int timeout)
{
	struct pollfd p[2] = { { .fd = fd, .events = events },
			       { .fd = b->stop[0], .events = POLLIN } };
	for (;;) {
		int r = CCSB_RETRY(poll(p, 2, timeout));
		if (r <= 0 || p[1].revents)
			return r < 0 ? -1 : 0;
		return 1;
	}
}

static int send_all(const struct ccsb_broker *b, int fd, const uint8_t *p, size_t n, int timeout)
{
	while (n) {
		ssize_t w = CCSB_RETRY(send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT));
		if (w < 0 && errno == EAGAIN) {
			if (wait_fd(b, fd, POLLOUT, timeout) != 1)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_all(const struct ccsb_broker *b, int fd, uint8_t *p, size_t n, int timeout)
{
	while (n) {
		ssize_t r = CCSB_RETRY(recv(fd, p, n, MSG_DONTWAIT));
		if (r < 0 && errno == EAGAIN) {
			if (wait_fd(b, fd, POLLIN, timeout) != 1)
				return -1;
			continue;
		}
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int send_msg(const struct ccsb_broker *b, int fd, const uint8_t *body, size_t n, int timeout)
{
	uint8_t len[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
	return send_all(b, fd, len, 4, timeout) == 0 ? send_all(b, fd, body, n, timeout) : -1;
}

static int connect_upstream(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A Unix stream connect() completes at once or fails (EAGAIN: the
	 * agent's backlog is full). */
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* One request to the user's agent on this client's own connection (its
 * session-bind state is per connection). The answer is malloc'ed. */
static int upstream_call(struct ccsb_broker *b, struct client *c, const uint8_t *req, size_t n,
			 uint8_t **resp, size_t *rn)
{
	if (c->up < 0 && (c->up = connect_upstream(&b->upstream)) < 0) {
		c->up = -1;
		return -1;
	}
	uint8_t hdr[4];
	size_t len;
	if (send_msg(b, c->up, req, n, UPSTREAM_TIMEOUT_MS) < 0 ||
	    recv_all(b, c->up, hdr, 4, UPSTREAM_TIMEOUT_MS) < 0)
		goto fail;
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (len == 0 || len > CCSB_AGENT_MAX_MSG)
		goto fail;
	*resp = malloc(len);
	if (!*resp)
		goto fail;
	if (recv_all(b, c->up, *resp, len, UPSTREAM_TIMEOUT_MS) < 0) {
		free(*resp);
		*resp = NULL;
		goto fail;
	}
	*rn = len;
	return 0;
fail:
	close(c->up);
	c->up = -1;
	return -1;
}

/* ---- bookkeeping ------------------------------------------------------ */

static void note_refused(struct ccsb_broker *b, const char *what)
{
	b->nrefusals++;
	if (b->log_fd >= 0)
		dprintf(b->log_fd, "ssh-agent: refused %s\n", what);
	if (ccsb__events_on(b->ev)) {
		struct ccsb_jbuf e = { 0 };
		ccsb__jb_str(&e, "action", "refused");
		ccsb__jb_str(&e, "what", what);
		ccsb__event_emit(b->ev, "ssh_agent", &e);
	}
	for (size_t i = 0; i < b->nrefused; i++) {
		if (strcmp(b->refused[i].what, what) == 0) {
			b->refused[i].count++;
			return;
		}
	}
	if (b->nrefused == MAX_REFSTATS) {
		b->other_refusals++;
		return;
	}
	struct refstat *s = &b->refused[b->nrefused++];
	snprintf(s->what, sizeof(s->what), "%s", what);
	s->count = 1;
}

static void note_signed(struct ccsb_broker *b, const struct ccsb_agent_req *q,
			const uint8_t *comment, size_t clen)
{
	char fp[CCSB_AGENT_FP_LEN + 1], type[32], cm[64], what[96];
	ccsb__agent_fingerprint(q->key, q->keylen, fp);
	ccsb__agent_key_type(q->key, q->keylen, type, sizeof(type));
	ccsb__agent_printable(comment, clen, cm, sizeof(cm));
	ccsb__agent_describe_data(q->data, q->datalen, what, sizeof(what));
	b->nsigs++;
	if (b->log_fd >= 0)
		dprintf(b->log_fd, "ssh-agent: signed %s with %s %s '%s'\n", what, type, fp, cm);
	if (ccsb__events_on(b->ev)) {
		struct ccsb_jbuf e = { 0 };
		ccsb__jb_str(&e, "action", "signed");
		ccsb__jb_str(&e, "what", what);
		ccsb__jb_str(&e, "key_type", type);
		ccsb__jb_str(&e, "fingerprint", fp);
		ccsb__jb_str(&e, "comment", cm);
		ccsb__event_emit(b->ev, "ssh_agent", &e);
	}
	for (size_t i = 0; i < b->nkeys; i++) {
		if (strcmp(b->keys[i].fp, fp) == 0) {
			b->keys[i].count++;
			snprintf(b->keys[i].last, sizeof(b->keys[i].last), "%s", what);
			return;
		}
	}
	if (b->nkeys == MAX_KEYSTATS) {
		b->other_sigs++;
		return;
	}
	struct keystat *k = &b->keys[b->nkeys++];
	memcpy(k->fp, fp, sizeof(fp));
	memcpy(k->type, type, sizeof(type));
	memcpy(k->comment, cm, sizeof(cm));
	memcpy(k->last, what, sizeof(what));
	k->count = 1;
}

/* ---- serving one request ---------------------------------------------- */

static const uint8_t failure[] = { CCSB_AGENT_FAILURE };

/* The answer to send back (malloc'ed, or `failure`). */
static const uint8_t *handle(struct ccsb_broker *b, struct client *c, const uint8_t *m, size_t n,
			     uint8_t **owned, size_t *an)
{
	struct ccsb_agent_req q;
	uint8_t *resp = NULL, *list = NULL;
	size_t rn = 0, ln = 0;
	static const uint8_t list_req[] = { CCSB_AGENTC_REQUEST_IDENTITIES };
	*owned = NULL;
	*an = 1;
	ccsb__agent_parse_request(m, n, &q);
	switch (q.kind) {
	case CCSB_AGENT_REQ_LIST:
		if (upstream_call(b, c, list_req, 1, &list, &ln) < 0)
			return failure;
		if (ccsb__agent_filter_identities(list, ln, b->filter, &resp, &rn) < 0) {
			free(list);
			return failure;
		}
		free(list);
		*owned = resp;
		*an = rn;
		return resp;
	case CCSB_AGENT_REQ_SIGN: {
		/* Asked afresh each time: a request for a key this sandbox was
		 * never shown, or one added to the agent since, is refused
		 * unless the filter exposes it now. */
		const uint8_t *cm = (const uint8_t *)"";
		size_t cn = 0;
		if (upstream_call(b, c, list_req, 1, &list, &ln) < 0)
			return failure;
		int ex = ccsb__agent_exposed(list, ln, b->filter, q.key, q.keylen, &cm, &cn);
		if (ex != 1) {
			char fp[CCSB_AGENT_FP_LEN + 1], what[96];
			ccsb__agent_fingerprint(q.key, q.keylen, fp);
			snprintf(what, sizeof(what), "signature with a key not exposed (%s)", fp);
			note_refused(b, what);
			free(list);
			return failure;
		}
		if (upstream_call(b, c, m, n, &resp, &rn) < 0 ||
		    resp[0] != CCSB_AGENT_SIGN_RESPONSE) {
			free(resp);
			free(list);
			return failure;
		}
		note_signed(b, &q, cm, cn);
		free(list);
		*owned = resp;
		*an = rn;
		return resp;
	}
	case CCSB_AGENT_REQ_SESSION_BIND:
		if (upstream_call(b, c, m, n, &resp, &rn) < 0 || rn != 1 ||
		    (resp[0] != CCSB_AGENT_SUCCESS && resp[0] != CCSB_AGENT_FAILURE)) {
			free(resp);
			return failure;
		}
		*owned = resp;
		return resp;
	case CCSB_AGENT_REQ_REFUSED:
	default:
		if (q.type == CCSB_AGENTC_EXTENSION && strcmp(q.what, "extension") == 0) {
			char what[96];
			snprintf(what, sizeof(what), "extension '%s'", q.ext);
			note_refused(b, what);
		} else {
			note_refused(b, q.what);
		}
		return failure;
	}
}

static void drop_client(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->up >= 0)
		close(c->up);
	free(c->buf);
	*c = (struct client){ .fd = -1, .up = -1 };
}

static void serve_cred(struct ccsb_broker *b, struct client *c);

/* Read what is there, then answer every whole message. */
static void serve(struct ccsb_broker *b, struct client *c)
{
	if (c->cred) {
		serve_cred(b, c);
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4096;
		if (cap > 4 + CCSB_AGENT_MAX_MSG)
			cap = 4 + CCSB_AGENT_MAX_MSG;
		uint8_t *nb = cap > c->cap ? realloc(c->buf, cap) : NULL;
		if (!nb) {
			drop_client(c);
			return;
		}
		c->buf = nb;
		c->cap = cap;
	}
	ssize_t r = recv(c->fd, c->buf + c->n, c->cap - c->n, MSG_DONTWAIT);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		drop_client(c);
		return;
	}
	c->n += (size_t)r;
	size_t body;
	int f;
	while ((f = ccsb__agent_frame(c->buf, c->n, &body)) == 1) {
		uint8_t *owned;
		size_t an;
		const uint8_t *ans = handle(b, c, c->buf + 4, body, &owned, &an);
		int w = send_msg(b, c->fd, ans, an, CLIENT_TIMEOUT_MS);
		free(owned);
		if (w < 0) {
			drop_client(c);
			return;
		}
		memmove(c->buf, c->buf + 4 + body, c->n - 4 - body);
		c->n -= 4 + body;
	}
	if (f < 0) {
		note_refused(b, "oversized or empty message (connection closed)");
		drop_client(c);
	}
}

/* ---- git credentials -------------------------------------------------- */

static void note(struct refstat *v, size_t *n, const char *what)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(v[i].what, what) == 0) {
			v[i].count++;
			return;
		}
	}
	if (*n < MAX_REFSTATS) {
		snprintf(v[*n].what, sizeof(v[*n].what), "%s", what);
		v[(*n)++].count = 1;
	}
}

/* Async-signal-safe: for a forked child. */
static int write_file(const char *path, const char *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, data, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

/* The child of run_fill(): IN on stdin, RES on stdout, then git. Only
 * system calls here: this process has other threads. No terminal (it may
 * not prompt on the user's), no signal of ours blocked, and it dies with
 * this thread. */
static _Noreturn void fill_child(const struct ccsb_broker *b, int in, int res, const char *uid_map,
				 size_t nu, const char *gid_map, size_t ng)
{
	char *const argv[] = { "git", "credential", "fill", NULL };
	sigset_t none;
	sigemptyset(&none);
	setsid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (dup2(in, 0) < 0 || dup2(res, 1) < 0 || null < 0 || dup2(null, 2) < 0)
		_exit(127);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* git and the helpers it runs in a pid namespace of their own, git
	 * its pid 1: whatever they start dies with it, and git dies with us,
	 * even when ccsb is killed. The user namespace that allows it maps
	 * our own ids only. Where unprivileged namespaces are refused, git
	 * runs as it is. */
	if (unshare(CLONE_NEWUSER | CLONE_NEWPID) == 0) {
		if (write_file("/proc/self/setgroups", "deny\n", 5) < 0 ||
		    write_file("/proc/self/uid_map", uid_map, nu) < 0 ||
		    write_file("/proc/self/gid_map", gid_map, ng) < 0)
			_exit(127);
		pid_t g = fork();
		if (g == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			execve(b->git, argv, b->fill_env);
			_exit(127);
		}
		int st = 0;
		while (g > 0 && waitpid(g, &st, 0) < 0 && errno == EINTR)
			;
		_exit(g > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : 127);
	}
	execve(b->git, argv, b->fill_env);
	_exit(127);
}

/* FD to its end, within the time and at most CAP - 1 bytes, into OUT:
 * its length, or -1 if it did not end. */
static ssize_t read_fill(struct ccsb_broker *b, int fd, char *out, size_t cap)
{
	size_t k = 0;
	for (;;) {
		if (k + 1 >= cap || wait_fd(b, fd, POLLIN, FILL_TIMEOUT_MS) != 1)
			return -1;
		ssize_t r = CCSB_RETRY(read(fd, out + k, cap - 1 - k));
		if (r <= 0)
			return (ssize_t)k;
		k += (size_t)r;
	}
}

/* Run the host's `git credential fill` with `req` on its stdin; its stdout
 * (at most `cap` - 1 bytes) in out. Its length, or -1. */
static ssize_t run_fill(struct ccsb_broker *b, const char *req, size_t n, char *out, size_t cap)
{
	int in[2], res[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(res, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	/* Prepared before fork(): the child may only make system calls. */
	char uid_map[48], gid_map[48];
	int nu = snprintf(uid_map, sizeof(uid_map), "%u %u 1\n", (unsigned)getuid(),
			  (unsigned)getuid());
	int ng = snprintf(gid_map, sizeof(gid_map), "%u %u 1\n", (unsigned)getgid(),
			  (unsigned)getgid());
	pid_t pid = fork();
	if (pid == 0)
		fill_child(b, in[0], res[1], uid_map, (size_t)nu, gid_map, (size_t)ng);
	close(in[0]);
	close(res[1]);
	ssize_t got = -1;
	if (pid > 0 && write(in[1], req, n) == (ssize_t)n) {
		close(in[1]);
		in[1] = -1;
		got = read_fill(b, res[0], out, cap);
	}
	if (in[1] >= 0)
		close(in[1]);
	close(res[0]);
	if (pid > 0) {
		int st = 0;
		if (got < 0)
			kill(pid, SIGKILL);
		CCSB_RETRY(waitpid(pid, &st, 0));
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			got = -1;
	}
	return got;
}

static void cred_event(struct ccsb_broker *b, const char *action, const char *host, const char *why)
{
	if (!ccsb__events_on(b->ev))
		return;
	struct ccsb_jbuf e = { 0 };
	ccsb__jb_str(&e, "action", action);
	ccsb__jb_str(&e, "host", host);
	if (why)
		ccsb__jb_str(&e, "why", why);
	ccsb__event_emit(b->ev, "git_credential", &e);
}

/* One request a connection: read it to its end, answer, close. */
static void serve_cred(struct ccsb_broker *b, struct client *c)
{
	if (!c->buf && !(c->buf = malloc(c->cap = CCSB_GITCRED_MAX + 1))) {
		drop_client(c);
		return;
	}
	ssize_t r = recv(c->fd, c->buf + c->n, c->cap - c->n, MSG_DONTWAIT);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r > 0)
		c->n += (size_t)r;
	bool end = r == 0 || (c->n >= 2 && memcmp(c->buf + c->n - 2, "\n\n", 2) == 0);
	if (!end && c->n < c->cap)
		return;
	struct ccsb_gitcred_req q = { .host = "" };
	const char *why = NULL;
	char req[CCSB_GITCRED_MAX + 64], out[CCSB_GITCRED_MAX + 1], ans[CCSB_GITCRED_MAX + 8];
	char what[96];
	int n = -1;
	if (c->n == c->cap)
		why = "request too long";
	else if (r < 0)
		why = "read error";
	else if (ccsb__gitcred_parse((char *)c->buf, c->n, &q, &why) == 0 &&
		 ccsb__gitcred_check(&q, b->allow, &why) == 0) {
		int rn = ccsb__gitcred_format(&q, req, sizeof(req));
		ssize_t got = rn > 0 ? run_fill(b, req, (size_t)rn, out, sizeof(out)) : -1;
		if (got < 0)
			why = "no credential from the host's git credential fill";
		else if ((n = ccsb__gitcred_answer(out, (size_t)got, ans + 3, sizeof(ans) - 3)) < 0)
			why = "no password in the host's answer";
	}
	char host[64] = "?";
	if (q.host[0])
		ccsb__agent_printable((const uint8_t *)q.host, strlen(q.host), host, sizeof(host));
	if (n >= 0 && !why) {
		memcpy(ans, "ok\n", 3);
		send_all(b, c->fd, (uint8_t *)ans, (size_t)n + 3, CLIENT_TIMEOUT_MS);
		note(b->served, &b->nserved, host);
		if (b->log_fd >= 0)
			dprintf(b->log_fd, "git-credential: served %s\n", host);
		cred_event(b, "served", host, NULL);
	} else {
		int k = snprintf(ans, sizeof(ans), "refused: %s: %s\n", host, why);
		send_all(b, c->fd, (uint8_t *)ans, (size_t)k, CLIENT_TIMEOUT_MS);
		snprintf(what, sizeof(what), "%s (%s)", host, why);
		note(b->denied, &b->ndenied, what);
		if (b->log_fd >= 0)
			dprintf(b->log_fd, "git-credential: refused %s\n", what);
		cred_event(b, "refused", host, why);
	}
	explicit_bzero(out, sizeof(out));
	explicit_bzero(ans, sizeof(ans));
	drop_client(c);
}

static void *broker_main(void *arg)
{
	struct ccsb_broker *b = arg;
	struct pollfd p[3 + MAX_CLIENTS];
	for (;;) {
		p[0] = (struct pollfd){ .fd = b->stop[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = b->agent_fd, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = b->cred_fd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++)
			p[3 + i] = (struct pollfd){ .fd = b->cl[i].fd, .events = POLLIN };
		if (poll(p, 3 + MAX_CLIENTS, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		for (int k = 1; k <= 2; k++) {
			if (!(p[k].revents & POLLIN))
				continue;
			int fd = accept4(p[k].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0)
				continue;
			int i = 0;
			while (i < MAX_CLIENTS && b->cl[i].fd >= 0)
				i++;
			if (i == MAX_CLIENTS) {
				close(fd);
				continue;
			}
			b->cl[i].fd = fd;
			b->cl[i].cred = k == 2;
		}
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (b->cl[i].fd >= 0 && p[3 + i].fd == b->cl[i].fd && p[3 + i].revents)
				serve(b, &b->cl[i]);
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		drop_client(&b->cl[i]);
	return NULL;
}

/* ---- start and stop --------------------------------------------------- */

/* Where the private directory goes: $XDG_RUNTIME_DIR when it is ours and
 * private, else /tmp. */
static const char *runtime_base(void)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if (x && x[0] == '/' && stat(x, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
	    !(st.st_mode & 077))
		return x;
	return "/tmp";
}

static void remove_dir(const char *dir)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/ssh-agent.sock", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/git-credential.sock", dir);
	unlink(p);
	rmdir(dir);
}

/* Directories left by a ccsb that was killed (SIGKILL gives no chance to
 * clean up): a live broker holds a lock on its directory (flock(), released
 * by the kernel when the process dies, whatever pid namespace it is in), so
 * an unlocked one of ours holding a socket is stale. One without a socket
 * yet may be a broker starting: it locks before it binds. */
static void remove_stale(const char *base)
{
	DIR *d = opendir(base);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[PATH_MAX], sock[PATH_MAX + 32], sock2[PATH_MAX + 32];
		struct stat st, st2;
		if (strncmp(e->d_name, BROKER_PREFIX, strlen(BROKER_PREFIX)) != 0 ||
		    snprintf(p, sizeof(p), "%s/%s", base, e->d_name) >= (int)sizeof(p))
			continue;
		snprintf(sock, sizeof(sock), "%s/ssh-agent.sock", p);
		snprintf(sock2, sizeof(sock2), "%s/git-credential.sock", p);
		int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && st.st_uid == getuid() &&
		    ((lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode)) ||
		     (lstat(sock2, &st2) == 0 && S_ISSOCK(st2.st_mode))) &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0)
			remove_dir(p);
		close(fd);
	}
	closedir(d);
}

static void broker_free(struct ccsb_broker *b)
{
	if (b->agent_fd >= 0)
		close(b->agent_fd);
	if (b->cred_fd >= 0)
		close(b->cred_fd);
	free(b->fill_env);
	if (b->dir[0])
		remove_dir(b->dir);
	if (b->dir_fd >= 0)
		close(b->dir_fd);
	for (int i = 0; i < 2; i++)
		if (b->stop[i] >= 0)
			close(b->stop[i]);
	free(b);
}

static int listen_on(struct ccsb_broker *b, const char *name, int *fd, ccsb_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", b->dir, name) >=
	    sizeof(sa.sun_path))
		return ccsb__err(err, ENAMETOOLONG, "broker socket path under %s is too long",
				 b->dir);
	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(*fd, MAX_CLIENTS) < 0)
		return ccsb__errno(err, errno, "cannot listen on %s", sa.sun_path);
	return 0;
}

extern char **environ;

/* The host's git on the search path, and its environment: ccsb's own,
 * which is the user's, with terminal prompts off. */
static int fill_setup(struct ccsb_broker *b, const ccsb_sandbox *sb, ccsb_error **err)
{
	if (ccsb__search_program(sb, "git", b->git, sizeof(b->git)) < 0)
		b->git[0] = '\0';
	if (!b->git[0])
		return ccsb__err(err, ENOENT,
				 "--git-credentials: git is not on the search path (%s)",
				 ccsb__search_path(sb));
	size_t n = 0;
	while (environ[n])
		n++;
	if (!(b->fill_env = calloc(n + 2, sizeof(char *))))
		return ccsb__err(err, ENOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "GIT_TERMINAL_PROMPT=", 20) != 0)
			b->fill_env[k++] = environ[i];
	b->fill_env[k++] = "GIT_TERMINAL_PROMPT=0";
	b->fill_env[k] = NULL;
	return 0;
}

/* The user's agent at UP is the upstream; it must answer now. */
static int agent_setup(struct ccsb_broker *b, const char *up, ccsb_error **err)
{
	b->upstream.sun_family = AF_UNIX;
	if (strlen(up) >= sizeof(b->upstream.sun_path))
		return ccsb__err(err, ENAMETOOLONG, "--ssh-agent: SSH_AUTH_SOCK is too long: %s",
				 up);
	memcpy(b->upstream.sun_path, up, strlen(up) + 1);
	int fd = connect_upstream(&b->upstream);
	if (fd < 0)
		return ccsb__errno(err, -fd,
				   "--ssh-agent: cannot reach your ssh-agent at %s "
				   "(SSH_AUTH_SOCK); is it running?",
				   up);
	close(fd);
	return 0;
}

/* The broker's own directory under the runtime base, locked while it
 * lives (remove_stale() skips locked ones), and its sockets in it. */
static int sockets_setup(struct ccsb_broker *b, const ccsb_sandbox *sb, ccsb_error **err)
{
	const char *base = runtime_base();
	remove_stale(base);
	char tmpl[PATH_MAX];
	snprintf(tmpl, sizeof(tmpl), "%s/" BROKER_PREFIX "%ld-XXXXXX", base, (long)getpid());
	if (!mkdtemp(tmpl))
		return ccsb__errno(err, errno, "broker: cannot create a directory in %s", base);
	snprintf(b->dir, sizeof(b->dir), "%s", tmpl);
	b->dir_fd = open(b->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (b->dir_fd < 0 || flock(b->dir_fd, LOCK_EX) < 0)
		return ccsb__errno(err, errno, "broker: cannot lock %s", b->dir);
	int r;
	if ((sb->ssh_agent && (r = listen_on(b, "ssh-agent.sock", &b->agent_fd, err)) < 0) ||
	    (sb->git_credentials &&
	     (r = listen_on(b, "git-credential.sock", &b->cred_fd, err)) < 0))
		return r;
	return 0;
}

/* The broker thread, with its stop pipe. */
static int thread_start(struct ccsb_broker *b, ccsb_error **err)
{
	if (pipe2(b->stop, O_CLOEXEC) < 0)
		return ccsb__errno(err, errno, "pipe");
	/* The thread takes no signal: they are all for ccsb's poll loop. */
	sigset_t all, before;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &before);
	int e = pthread_create(&b->thread, NULL, broker_main, b);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	if (e)
		return ccsb__errno(err, e, "cannot start the broker thread");
	b->started = true;
	return 0;
}

int ccsb__broker_start(ccsb_sandbox *sb, ccsb_error **err)
{
	if (!sb->ssh_agent && !sb->git_credentials)
		return 0;
	ccsb__broker_stop(sb);
	const char *up = getenv("SSH_AUTH_SOCK");
	if (sb->ssh_agent && (!up || !*up))
		return ccsb__err(
			err, ENOENT,
			"--ssh-agent: SSH_AUTH_SOCK is not set: start an agent "
			"(eval \"$(ssh-agent)\") and add your key (ssh-add), or run without "
			"--ssh-agent");
	struct ccsb_broker *b = calloc(1, sizeof(*b));
	if (!b)
		return ccsb__err(err, ENOMEM, "out of memory");
	b->agent_fd = b->cred_fd = b->dir_fd = b->stop[0] = b->stop[1] = -1;
	for (int i = 0; i < MAX_CLIENTS; i++)
		b->cl[i] = (struct client){ .fd = -1, .up = -1 };
	b->filter = sb->agent_filter;
	b->log_fd = sb->dns_log_fd;
	b->ev = sb->events;
	int r;
	if (sb->ssh_agent && (r = agent_setup(b, up, err)) < 0)
		goto fail;
	if (sb->git_credentials) {
		/* Names are matched in any network mode, but only the
		 * allowlist's: with none, every request is refused. */
		if ((r = ccsb__sandbox_merge(sb, err)) < 0)
			goto fail;
		b->allow = ccsb__sandbox_merged(sb);
		if ((r = fill_setup(b, sb, err)) < 0)
			goto fail;
	}
	if ((r = sockets_setup(b, sb, err)) < 0 || (r = thread_start(b, err)) < 0)
		goto fail;
	sb->broker = b;
	if (set_bind_sources(sb, b->dir) < 0) {
		ccsb__broker_stop(sb);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	return 0;
fail:
	broker_free(b);
	return r;
}

void ccsb__broker_stop(ccsb_sandbox *sb)
{
	struct ccsb_broker *b = sb->broker;
	if (!b)
		return;
	sb->broker = NULL;
	set_bind_sources(sb, NULL);
	if (b->started) {
		close(b->stop[1]);
		b->stop[1] = -1;
		pthread_join(b->thread, NULL);
	}
	for (size_t i = 0; i < b->nkeys; i++) {
		const struct keystat *k = &b->keys[i];
		ccsb__report(sb, "ssh-agent: %u signature%s with %s %s '%s' (last: %s)", k->count,
			     k->count == 1 ? "" : "s", k->type, k->fp, k->comment, k->last);
	}
	if (b->other_sigs)
		ccsb__report(sb, "ssh-agent: %u signature%s with other keys", b->other_sigs,
			     b->other_sigs == 1 ? "" : "s");
	if (b->nrefusals) {
		char line[1024];
		size_t k = (size_t)snprintf(line, sizeof(line),
					    "ssh-agent: refused %u request%s:", b->nrefusals,
					    b->nrefusals == 1 ? "" : "s");
		for (size_t i = 0; i < b->nrefused && k < sizeof(line); i++)
			k += (size_t)snprintf(line + k, sizeof(line) - k, "%s %s (%u)",
					      i ? "," : "", b->refused[i].what,
					      b->refused[i].count);
		if (b->other_refusals && k < sizeof(line))
			snprintf(line + k, sizeof(line) - k, ", others (%u)", b->other_refusals);
		ccsb__report(sb, "%s", line);
	}
	for (size_t i = 0; i < b->nserved; i++)
		ccsb__report(sb, "git-credential: served %s (%u)", b->served[i].what,
			     b->served[i].count);
	for (size_t i = 0; i < b->ndenied; i++)
		ccsb__report(sb, "git-credential: refused %s (%u)", b->denied[i].what,
			     b->denied[i].count);
	broker_free(b);
}
