/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ssh-agent broker: a socket bound into the sandbox, served by a
 * thread of the process that runs the sandbox, relaying to the user's own
 * agent only what lists keys and signs with them (sshagent.c decides).
 * A thread rather than a helper process: it cannot outlive the run (not
 * even a SIGKILL of ccsb), it needs no exit pipe, and a request that waits
 * for the user's agent (a confirmation dialog) never stalls ccsb's poll
 * loop. Its socket lives in a private 0700 directory on the host, and only
 * the socket file itself is bound inside. */
#include "internal.h"
#include "sshagent.h"

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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define AGENT_INSIDE "/run/ccsb/ssh-agent.sock"
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
	int listen_fd;
	int dir_fd; /* holds the directory's lock while the broker lives */
	char *placeholder; /* the policy's bind source, put back at the end */
	char dir[PATH_MAX];
	char agent_path[PATH_MAX];
	struct sockaddr_un upstream;
	const struct ccsb_agent_filter *filter; /* the policy's; unchanged during a run */
	int log_fd;
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

void ccsb__broker_free_policy(ccsb_sandbox *sb)
{
	if (sb->agent_filter) {
		ccsb__agent_filter_free(sb->agent_filter);
		free(sb->agent_filter);
		sb->agent_filter = NULL;
	}
}

/* The socket's bind names the placeholder in the policy (what --print
 * shows) and the real path during a run. */
static void set_bind_source(ccsb_sandbox *sb, char *src, char **old)
{
	for (size_t i = 0; i < sb->nmounts; i++) {
		struct ccsb_mount *m = &sb->mounts[i];
		if ((m->flags & CCSB_MOUNT_BROKER) && strcmp(m->dest, AGENT_INSIDE) == 0) {
			*old = m->src;
			m->src = src;
			return;
		}
	}
	free(src);
}

/* ---- I/O helpers (the thread) ---------------------------------------- */

/* Wait for `events` on fd, or for the stop pipe. 1 ready, 0 timeout or
 * stop, -1 error. */
static int wait_fd(const struct ccsb_broker *b, int fd, short events, int timeout)
{
	struct pollfd p[2] = { { .fd = fd, .events = events }, { .fd = b->stop[0], .events = POLLIN } };
	for (;;) {
		int r = poll(p, 2, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || p[1].revents)
			return r < 0 ? -1 : 0;
		return 1;
	}
}

static int send_all(const struct ccsb_broker *b, int fd, const uint8_t *p, size_t n, int timeout)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
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
		ssize_t r = recv(fd, p, n, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
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
		if (upstream_call(b, c, m, n, &resp, &rn) < 0 || resp[0] != CCSB_AGENT_SIGN_RESPONSE) {
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

/* Read what is there, then answer every whole message. */
static void serve(struct ccsb_broker *b, struct client *c)
{
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

static void *broker_main(void *arg)
{
	struct ccsb_broker *b = arg;
	struct pollfd p[2 + MAX_CLIENTS];
	for (;;) {
		p[0] = (struct pollfd){ .fd = b->stop[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = b->listen_fd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++)
			p[2 + i] = (struct pollfd){ .fd = b->cl[i].fd, .events = POLLIN };
		if (poll(p, 2 + MAX_CLIENTS, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN) {
			int fd = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd >= 0) {
				int i = 0;
				while (i < MAX_CLIENTS && b->cl[i].fd >= 0)
					i++;
				if (i == MAX_CLIENTS)
					close(fd);
				else
					b->cl[i].fd = fd;
			}
		}
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (b->cl[i].fd >= 0 && p[2 + i].fd == b->cl[i].fd && p[2 + i].revents)
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
		char p[PATH_MAX], sock[PATH_MAX + 32];
		struct stat st;
		if (strncmp(e->d_name, BROKER_PREFIX, strlen(BROKER_PREFIX)) != 0 ||
		    snprintf(p, sizeof(p), "%s/%s", base, e->d_name) >= (int)sizeof(p))
			continue;
		snprintf(sock, sizeof(sock), "%s/ssh-agent.sock", p);
		int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && st.st_uid == getuid() && lstat(sock, &st) == 0 &&
		    S_ISSOCK(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0)
			remove_dir(p);
		close(fd);
	}
	closedir(d);
}

static void broker_free(struct ccsb_broker *b)
{
	if (b->listen_fd >= 0)
		close(b->listen_fd);
	if (b->dir[0])
		remove_dir(b->dir);
	if (b->dir_fd >= 0)
		close(b->dir_fd);
	for (int i = 0; i < 2; i++)
		if (b->stop[i] >= 0)
			close(b->stop[i]);
	free(b);
}

int ccsb__broker_start(ccsb_sandbox *sb, ccsb_error **err)
{
	if (!sb->ssh_agent)
		return 0;
	ccsb__broker_stop(sb);
	const char *up = getenv("SSH_AUTH_SOCK");
	if (!up || !*up)
		return ccsb__err(err, ENOENT, "--ssh-agent: SSH_AUTH_SOCK is not set: start an agent "
				 "(eval \"$(ssh-agent)\") and add your key (ssh-add), or run without "
				 "--ssh-agent");
	struct ccsb_broker *b = calloc(1, sizeof(*b));
	if (!b)
		return ccsb__err(err, ENOMEM, "out of memory");
	b->listen_fd = b->dir_fd = b->stop[0] = b->stop[1] = -1;
	for (int i = 0; i < MAX_CLIENTS; i++)
		b->cl[i] = (struct client){ .fd = -1, .up = -1 };
	b->filter = sb->agent_filter;
	b->log_fd = sb->dns_log_fd;
	int r;
	b->upstream.sun_family = AF_UNIX;
	if (strlen(up) >= sizeof(b->upstream.sun_path)) {
		r = ccsb__err(err, ENAMETOOLONG, "--ssh-agent: SSH_AUTH_SOCK is too long: %s", up);
		goto fail;
	}
	memcpy(b->upstream.sun_path, up, strlen(up) + 1);
	int fd = connect_upstream(&b->upstream);
	if (fd < 0) {
		r = ccsb__errno(err, -fd, "--ssh-agent: cannot reach your ssh-agent at %s "
				"(SSH_AUTH_SOCK); is it running?", up);
		goto fail;
	}
	close(fd);

	const char *base = runtime_base();
	remove_stale(base);
	char tmpl[PATH_MAX];
	snprintf(tmpl, sizeof(tmpl), "%s/" BROKER_PREFIX "%ld-XXXXXX", base, (long)getpid());
	if (!mkdtemp(tmpl)) {
		r = ccsb__errno(err, errno, "--ssh-agent: cannot create a directory in %s", base);
		goto fail;
	}
	snprintf(b->dir, sizeof(b->dir), "%s", tmpl);
	b->dir_fd = open(b->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (b->dir_fd < 0 || flock(b->dir_fd, LOCK_EX) < 0) {
		r = ccsb__errno(err, errno, "--ssh-agent: cannot lock %s", b->dir);
		goto fail;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ssh-agent.sock", b->dir) >=
	    sizeof(sa.sun_path)) {
		r = ccsb__err(err, ENAMETOOLONG, "--ssh-agent: socket path under %s is too long", b->dir);
		goto fail;
	}
	snprintf(b->agent_path, sizeof(b->agent_path), "%s", sa.sun_path);
	b->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (b->listen_fd < 0 || bind(b->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(b->listen_fd, MAX_CLIENTS) < 0 || pipe2(b->stop, O_CLOEXEC) < 0) {
		r = ccsb__errno(err, errno, "--ssh-agent: cannot listen on %s", b->agent_path);
		goto fail;
	}
	/* The thread takes no signal: they are all for ccsb's poll loop. */
	sigset_t all, before;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &before);
	int e = pthread_create(&b->thread, NULL, broker_main, b);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	if (e) {
		r = ccsb__errno(err, e, "--ssh-agent: cannot start the broker thread");
		goto fail;
	}
	b->started = true;
	sb->broker = b;
	char *src = strdup(b->agent_path);
	if (!src) {
		ccsb__broker_stop(sb);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	set_bind_source(sb, src, &b->placeholder);
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
	if (b->placeholder) {
		char *run_path = NULL;
		set_bind_source(sb, b->placeholder, &run_path);
		free(run_path);
	}
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
		size_t k = (size_t)snprintf(line, sizeof(line), "ssh-agent: refused %u request%s:",
					     b->nrefusals, b->nrefusals == 1 ? "" : "s");
		for (size_t i = 0; i < b->nrefused && k < sizeof(line); i++)
			k += (size_t)snprintf(line + k, sizeof(line) - k, "%s %s (%u)", i ? "," : "",
					      b->refused[i].what, b->refused[i].count);
		if (b->other_refusals && k < sizeof(line))
			snprintf(line + k, sizeof(line) - k, ", others (%u)", b->other_refusals);
		ccsb__report(sb, "%s", line);
	}
	broker_free(b);
}
