/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Name-bound connections: the bindings and the relay (see namebind.h).
 * The resolver binds names from ccsb's poll loop; the relay runs in its own
 * thread (as the broker does: it cannot outlive the run, and a slow
 * destination never stalls the poll loop), so the table has a mutex. The
 * relay is one poll loop over every connection, copying with splice()
 * through a pipe per direction: no byte is copied through user space. */
#include "namebind.h"
#include "proc.h"
#include "namepool.h"
#include "resolver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter_ipv4.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GENERATIONS (CCSB_NAMEPOOL_SIZE / CCSB_NAMEBIND_SLOTS) /* 32 */
/* Each connection holds six descriptors (two sockets, two pipes): at most
 * this many, and no more than leaves 128 of the process's descriptor
 * limit to the rest of ccsb, so that a sandbox opening connections in a
 * loop cannot starve the run of descriptors. */
#define MAX_CONNS 512
#define CONNECT_TIMEOUT_MS 10000
#define PIPE_SIZE (256 * 1024)
#define MAX_REFUSED 64

struct binding {
	char name[CCSB_NAME_MAX + 1];
	uint8_t real[CCSB_NAMEBIND_ADDRS][4];
	unsigned nreal;
	unsigned gen;	 /* 1..GENERATIONS-1 while bound; the address's high part */
	int64_t expires; /* ms, monotonic; 0: free */
	unsigned conns;	 /* open connections through it */
};

struct conn {
	int in, out;	      /* the sandbox's side, the destination's */
	int up[2], down[2];   /* pipes: in -> out, out -> in */
	size_t upn, downn;    /* bytes in each pipe */
	bool in_eof, out_eof; /* read ends reached EOF */
	bool connecting;
	unsigned slot;
	uint16_t port; /* network order */
	uint8_t real[CCSB_NAMEBIND_ADDRS][4];
	unsigned nreal, next;
	int64_t deadline;
};

struct refused {
	char what[CCSB_NAME_MAX + 8];
	unsigned long count;
};

struct ccsb_namebind {
	const struct ccsb_allowlist *al;
	int64_t floor_ms;
	pthread_mutex_t lock;
	struct binding *slots; /* CCSB_NAMEBIND_SLOTS */
	unsigned cursor;
	/* The relay's, touched by its thread only (until joined). */
	int listener, wake;
	pthread_t thread;
	bool started;
	struct conn *conns; /* MAX_CONNS */
	size_t nconns, maxconns;
	/* Under lock. */
	struct refused refused[MAX_REFUSED];
	size_t nrefused;
	unsigned long refused_other;
};

/* ---- bindings -------------------------------------------------------- */

static bool live(const struct binding *b, int64_t now)
{
	return b->expires && (b->expires > now || b->conns > 0);
}

static uint32_t address_of(unsigned slot, unsigned gen)
{
	return CCSB_NAMEPOOL_NET + gen * CCSB_NAMEBIND_SLOTS + slot;
}

int ccsb__namebind_bind(struct ccsb_namebind *nb, const char *name, const uint8_t *addrs, size_t n,
			uint32_t ttl, uint8_t fake[4])
{
	int64_t now = ccsb__now_ms(), until;
	struct binding *b = NULL;
	unsigned slot = 0;
	uint32_t a;

	/* A TTL past a day is as good as a day; the floor keeps short TTLs
	 * from cutting connections made between lookups. */
	until = now + (ttl > 86400 ? 86400 : (int64_t)ttl) * 1000;
	if (until < now + nb->floor_ms)
		until = now + nb->floor_ms;
	pthread_mutex_lock(&nb->lock);
	for (unsigned i = 0; i < CCSB_NAMEBIND_SLOTS; i++) {
		if (live(&nb->slots[i], now) && strcmp(nb->slots[i].name, name) == 0) {
			b = &nb->slots[i];
			slot = i;
			break;
		}
	}
	for (unsigned k = 0; !b && k < CCSB_NAMEBIND_SLOTS; k++) {
		unsigned i = (nb->cursor + k) % CCSB_NAMEBIND_SLOTS;

		if (!live(&nb->slots[i], now)) {
			b = &nb->slots[i];
			slot = i;
			nb->cursor = (i + 1) % CCSB_NAMEBIND_SLOTS;
			/* A new generation: the slot's last address is not
			 * handed out again before the pool goes round.
			 * Generation 0 of slot 0 would be 198.18.0.0. */
			b->gen = b->gen % (GENERATIONS - 1) + 1;
			snprintf(b->name, sizeof(b->name), "%s", name);
			b->conns = 0;
		}
	}
	if (!b) {
		pthread_mutex_unlock(&nb->lock);
		return -ENOSPC;
	}
	bool fresh = !b->expires || b->expires <= now;
	b->nreal = n > CCSB_NAMEBIND_ADDRS ? CCSB_NAMEBIND_ADDRS : (unsigned)n;
	memcpy(b->real, addrs, b->nreal * 4u);
	if (until > b->expires)
		b->expires = until;
	a = htonl(address_of(slot, b->gen));
	pthread_mutex_unlock(&nb->lock);
	memcpy(fake, &a, 4);
	return fresh;
}

static void note_refused(struct ccsb_namebind *nb, const char *name, unsigned port)
{
	char what[sizeof(nb->refused[0].what)];

	snprintf(what, sizeof(what), "%.*s:%u", CCSB_NAME_MAX, name, port);
	pthread_mutex_lock(&nb->lock);
	for (size_t i = 0; i < nb->nrefused; i++) {
		if (strcmp(nb->refused[i].what, what) == 0) {
			nb->refused[i].count++;
			goto out;
		}
	}
	if (nb->nrefused < MAX_REFUSED) {
		memcpy(nb->refused[nb->nrefused].what, what, sizeof(what));
		nb->refused[nb->nrefused++].count = 1;
	} else {
		nb->refused_other++;
	}
out:
	pthread_mutex_unlock(&nb->lock);
}

void ccsb__namebind_summary(struct ccsb_namebind *nb, int fd)
{
	char line[2048];
	size_t off = 0;

	if (!nb || fd < 0)
		return;
	pthread_mutex_lock(&nb->lock);
	if (nb->nrefused) {
		off += (size_t)snprintf(line, sizeof(line),
					"ccsb: name-bound connections: refused");
		for (size_t i = 0; i < nb->nrefused && i < 8 && off < sizeof(line); i++)
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s %s (%lu)",
						i ? "," : "", nb->refused[i].what,
						nb->refused[i].count);
		if (off < sizeof(line))
			off += (size_t)snprintf(line + off, sizeof(line) - off,
						"; to allow a port: --allow=NAME:PORT,...\n");
	}
	pthread_mutex_unlock(&nb->lock);
	if (off >= sizeof(line))
		off = sizeof(line) - 1;
	if (off)
		(void)!write(fd, line, off);
}

/* ---- the relay ------------------------------------------------------- */

/* Reset, not a FIN: the client sees the refusal at once. */
static void reset(int *fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (*fd >= 0)
		setsockopt(*fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	ccsb__close_fd(fd);
}

static void conn_end(struct ccsb_namebind *nb, size_t i, bool rst)
{
	struct conn *c = &nb->conns[i];

	if (rst)
		reset(&c->in);
	ccsb__close_fd(&c->in);
	ccsb__close_fd(&c->out);
	ccsb__close_fd(&c->up[0]);
	ccsb__close_fd(&c->up[1]);
	ccsb__close_fd(&c->down[0]);
	ccsb__close_fd(&c->down[1]);
	pthread_mutex_lock(&nb->lock);
	if (nb->slots[c->slot].conns)
		nb->slots[c->slot].conns--;
	pthread_mutex_unlock(&nb->lock);
	nb->conns[i] = nb->conns[--nb->nconns];
}

/* Start connecting to the next real address; false when none is left. */
static bool conn_dial(struct conn *c)
{
	while (c->next < c->nreal) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = c->port };

		memcpy(&sin.sin_addr, c->real[c->next++], 4);
		ccsb__close_fd(&c->out);
		c->out = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->out < 0)
			return false;
		if (connect(c->out, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
		    errno == EINPROGRESS) {
			c->connecting = true;
			c->deadline = ccsb__now_ms() + CONNECT_TIMEOUT_MS;
			return true;
		}
	}
	return false;
}

static void relay_accept(struct ccsb_namebind *nb)
{
	for (int k = 0; k < 64; k++) {
		int fd = accept4(nb->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct sockaddr_in dst;
		socklen_t dl = sizeof(dst);
		struct conn *c;
		uint32_t a;
		unsigned off, slot, gen;
		char name[CCSB_NAME_MAX + 1];
		bool ok;

		if (fd < 0)
			return;
		/* What the sandbox connected to, before the redirect. A
		 * connection made to the listener itself has no such entry,
		 * or its own address: neither is in the pool. */
		if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst, &dl) < 0 ||
		    dst.sin_family != AF_INET || !ccsb__namepool_has(ntohl(dst.sin_addr.s_addr)) ||
		    nb->nconns == nb->maxconns) {
			reset(&fd);
			continue;
		}
		a = ntohl(dst.sin_addr.s_addr);
		off = a - CCSB_NAMEPOOL_NET;
		slot = off % CCSB_NAMEBIND_SLOTS;
		gen = off / CCSB_NAMEBIND_SLOTS;
		c = &nb->conns[nb->nconns];
		memset(c, 0, sizeof(*c));
		c->in = fd;
		c->out = c->up[0] = c->up[1] = c->down[0] = c->down[1] = -1;
		c->slot = slot;
		c->port = dst.sin_port;
		pthread_mutex_lock(&nb->lock);
		struct binding *b = &nb->slots[slot];
		ok = b->gen == gen && live(b, ccsb__now_ms());
		if (ok) {
			memcpy(name, b->name, sizeof(name));
			memcpy(c->real, b->real, sizeof(c->real));
			c->nreal = b->nreal;
			b->conns++;
		}
		pthread_mutex_unlock(&nb->lock);
		if (!ok) {
			/* Expired or never bound: no name to go to. */
			reset(&fd);
			continue;
		}
		nb->nconns++;
		if (!ccsb__allowlist_port_allowed(nb->al, name, ntohs(c->port))) {
			note_refused(nb, name, ntohs(c->port));
			conn_end(nb, nb->nconns - 1, true);
			continue;
		}
		if (!conn_dial(c))
			conn_end(nb, nb->nconns - 1, true);
	}
}

static int make_pipe(int p[2])
{
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE); /* best effort */
	return 0;
}

/* Connected (or not): on to splicing, or the next address. */
static bool conn_connected(struct conn *c)
{
	int e = 0;
	socklen_t el = sizeof(e);

	if (getsockopt(c->out, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e)
		return conn_dial(c);
	c->connecting = false;
	return make_pipe(c->up) == 0 && make_pipe(c->down) == 0;
}

/* Move what is ready from src through the pipe to dst. false: the
 * connection is over (an error). */
static bool pump(int src, int p[2], size_t *n, int dst, bool *eof)
{
	for (;;) {
		bool moved = false;

		if (!*eof && *n < PIPE_SIZE) {
			ssize_t k = splice(src, NULL, p[1], NULL, PIPE_SIZE - *n,
					   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);

			if (k > 0) {
				*n += (size_t)k;
				moved = true;
			} else if (k == 0) {
				*eof = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				return false;
			}
		}
		if (*n) {
			ssize_t k = splice(p[0], NULL, dst, NULL, *n,
					   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);

			if (k > 0) {
				*n -= (size_t)k;
				moved = true;
			} else if (k < 0 && errno != EAGAIN && errno != EINTR) {
				return false;
			}
		}
		if (!moved)
			return true;
	}
}

static void *relay_main(void *arg)
{
	struct ccsb_namebind *nb = arg;
	struct pollfd *pfd = calloc(2 + 2 * MAX_CONNS, sizeof(*pfd));

	if (!pfd)
		return NULL;
	for (;;) {
		int64_t now = ccsb__now_ms(), next = -1;
		size_t np = 0;

		pfd[np++] = (struct pollfd){ .fd = nb->wake, .events = POLLIN };
		pfd[np++] = (struct pollfd){ .fd = nb->listener, .events = POLLIN };
		for (size_t i = 0; i < nb->nconns; i++) {
			struct conn *c = &nb->conns[i];
			short ein = 0, eout = 0;

			if (c->connecting) {
				eout = POLLOUT;
				if (next < 0 || c->deadline < next)
					next = c->deadline;
			} else {
				if (!c->in_eof && c->upn < PIPE_SIZE)
					ein |= POLLIN;
				if (c->upn)
					eout |= POLLOUT;
				if (!c->out_eof && c->downn < PIPE_SIZE)
					eout |= POLLIN;
				if (c->downn)
					ein |= POLLOUT;
			}
			pfd[np++] = (struct pollfd){ .fd = c->in, .events = ein };
			pfd[np++] = (struct pollfd){ .fd = c->out, .events = eout };
		}
		int wait = next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
		if (poll(pfd, (nfds_t)np, wait) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		/* Connections first, by their pollfd pair, from the end so that
		 * conn_end()'s swap with the last one does not skip any. */
		for (size_t i = nb->nconns; i-- > 0;) {
			struct conn *c = &nb->conns[i];
			short rin = pfd[2 + 2 * i].revents, rout = pfd[3 + 2 * i].revents;
			bool ok = true;

			if (c->connecting) {
				if (rout)
					ok = conn_connected(c);
				else if (ccsb__now_ms() >= c->deadline)
					ok = conn_dial(c);
				if (!ok)
					conn_end(nb, i, true);
				continue;
			}
			if (!rin && !rout)
				continue;
			ok = pump(c->in, c->up, &c->upn, c->out, &c->in_eof) &&
			     pump(c->out, c->down, &c->downn, c->in, &c->out_eof);
			/* Half-close passes through once a side's bytes are out. */
			if (ok && c->in_eof && !c->upn)
				shutdown(c->out, SHUT_WR);
			if (ok && c->out_eof && !c->downn)
				shutdown(c->in, SHUT_WR);
			if (!ok || (c->in_eof && c->out_eof && !c->upn && !c->downn))
				conn_end(nb, i, !ok);
		}
		if (pfd[1].revents)
			relay_accept(nb);
	}
	while (nb->nconns)
		conn_end(nb, nb->nconns - 1, false);
	free(pfd);
	return NULL;
}

/* ---- life cycle ------------------------------------------------------ */

int ccsb__namebind_start(struct ccsb_namebind **out, const struct ccsb_allowlist *al, int *listener,
			 unsigned ttl_floor, ccsb_error **err)
{
	struct ccsb_namebind *nb = calloc(1, sizeof(*nb));
	sigset_t all, old;
	int e;

	*out = NULL;
	if (!nb || !(nb->slots = calloc(CCSB_NAMEBIND_SLOTS, sizeof(*nb->slots))) ||
	    !(nb->conns = calloc(MAX_CONNS, sizeof(*nb->conns)))) {
		if (nb)
			free(nb->slots);
		free(nb);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	pthread_mutex_init(&nb->lock, NULL);
	nb->al = al;
	struct rlimit rl;
	nb->maxconns = MAX_CONNS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		nb->maxconns = rl.rlim_cur > 128 + 6 * 16 ? (rl.rlim_cur - 128) / 6 : 16;
	if (nb->maxconns > MAX_CONNS)
		nb->maxconns = MAX_CONNS;
	nb->floor_ms = (int64_t)(ttl_floor ? ttl_floor : CCSB_NAMEBIND_TTL_FLOOR) * 1000;
	nb->listener = *listener;
	*listener = -1;
	nb->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (nb->wake < 0) {
		e = errno;
		ccsb__namebind_free(nb);
		return ccsb__errno(err, e, "eventfd");
	}
	/* The run's signals are the supervising thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&nb->thread, NULL, relay_main, nb);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		ccsb__namebind_free(nb);
		return ccsb__errno(err, e, "starting the relay of name-bound connections");
	}
	nb->started = true;
	*out = nb;
	return 0;
}

int ccsb__namebind_run(struct ccsb_resolver *dns, const struct ccsb_allowlist *al, int *listener,
		       unsigned ttl_floor, struct ccsb_namebind **out, ccsb_error **err)
{
	int r;

	*out = NULL;
	if (!dns || *listener < 0)
		return 0;
	r = ccsb__namebind_start(out, al, listener, ttl_floor, err);
	if (r == 0)
		ccsb__resolver_set_namebind(dns, *out);
	return r;
}

void ccsb__namebind_free(struct ccsb_namebind *nb)
{
	if (!nb)
		return;
	if (nb->started) {
		uint64_t one = 1;

		(void)!write(nb->wake, &one, sizeof(one));
		pthread_join(nb->thread, NULL);
	}
	ccsb__close_fd(&nb->wake);
	ccsb__close_fd(&nb->listener);
	pthread_mutex_destroy(&nb->lock);
	free(nb->conns);
	free(nb->slots);
	free(nb);
}
