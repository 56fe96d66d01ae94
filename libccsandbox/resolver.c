/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The filtering DNS resolver of the allowlist mode (see resolver.h and the
 * loop described at the top of dns.h). Single-threaded, non-blocking: the
 * caller's poll loop drives it. */
#include "resolver.h"
#include "proc.h"
#include "dns.h"
#include "rtnl.h"
#include "slirp.h"
#include "events.h"
#include "namebind.h"
#include "namepool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SERVERS 3
#define MAX_PENDING CCSB_RESOLVER_PENDING_MAX
#define RESEND_MS 2000	      /* ask the next server (or the same again) */
#define QUERY_TIMEOUT_MS 5000 /* then SERVFAIL */
#define TCP_IDLE_MS 10000
#define TCP_IN_MAX 4096 /* a framed query larger than this closes the stream */
#define TCP_OUT_MAX (256 * 1024)
#define TCP_PENDING_MAX 16
#define MAX_ROUTES 8192
#define MAX_REFUSED_NAMES 1024
#define UDP_BATCH 64 /* datagrams read per readiness, for fairness */

struct server {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct pending {
	bool used;
	uint16_t up_id;
	int server; /* index of the server last asked */
	/* Its own upstream socket, connected to that server: a fresh UDP
	 * socket (fresh random source port) per query sent, or the TCP stream
	 * that asks again when the UDP answer came back truncated. */
	int fd;
	bool tcp;
	size_t tsent; /* TCP: bytes of the framed query sent */
	uint8_t *tin; /* TCP: the framed answer so far */
	size_t tinlen;
	int conn; /* -1: a UDP client at `peer`; else the TCP client */
	int64_t resend_at, deadline;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct ccsb_dns_query q;  /* the client's */
	struct ccsb_dns_query up; /* what went upstream (its id) */
	uint8_t *cmsg;		  /* the client's message, for error replies */
	size_t clen;
	uint8_t upmsg[CCSB_DNS_ERROR_MAX + 11];
	size_t uplen;
};

struct conn {
	int fd; /* -1: free slot */
	uint8_t in[2 + TCP_IN_MAX];
	size_t inlen;
	uint8_t *out;
	size_t outlen, outoff, outcap;
	int npending;
	int64_t idle_at;
};

struct route {
	uint8_t family;
	uint8_t addr[16];
};

struct refused {
	char *name;
	unsigned long count;
};

struct ccsb_resolver {
	const struct ccsb_allowlist *al;
	struct ccsb_namebind *nb; /* borrowed; NULL: names' addresses get routes */
	bool ipv6;
	int udp, tcp, rtnl, log_fd;
	struct ccsb_events *ev; /* NULL: no event stream */
	struct server servers[MAX_SERVERS];
	int nservers;
	struct pending *pend; /* MAX_PENDING */
	struct conn conns[CCSB_RESOLVER_TCP_MAX];
	struct route *routes;
	size_t nroutes, caproutes;
	uint32_t nlseq;
	struct refused *refused;
	size_t nrefused, caprefused;
	unsigned long refused_other; /* queries for names past MAX_REFUSED_NAMES */
	struct ccsb_dns_addrs addrs;
	uint8_t buf[CCSB_DNS_MSG_MAX + 1];
};

/* ---- upstream servers from the host's resolv.conf -------------------- */

static void add_server(struct ccsb_resolver *r, const char *s)
{
	struct server *sv = &r->servers[r->nservers];
	struct sockaddr_in *a4 = (struct sockaddr_in *)&sv->sa;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&sv->sa;

	if (r->nservers >= MAX_SERVERS)
		return;
	memset(sv, 0, sizeof(*sv));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(53);
		sv->len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		/* Scoped addresses ("fe80::1%eth0") fail inet_pton: skipped. */
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(53);
		sv->len = sizeof(*a6);
	} else {
		return;
	}
	r->nservers++;
}

static void read_servers(struct ccsb_resolver *r, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512];

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *p = line, *v;

			p += strspn(p, " \t");
			if (strncmp(p, "nameserver", 10) != 0 || !strchr(" \t", p[10]) || !p[10])
				continue;
			p += 10;
			p += strspn(p, " \t");
			v = p;
			p += strcspn(p, " \t\r\n#;");
			*p = '\0';
			add_server(r, v);
		}
		fclose(f);
	}
	/* What the C library does without a nameserver line. */
	if (r->nservers == 0)
		add_server(r, "127.0.0.1");
}

/* ---- routes through the sandbox's rtnetlink socket ------------------ */

static bool route_known(const struct ccsb_resolver *r, int family, const uint8_t *a)
{
	size_t n = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < r->nroutes; i++)
		if (r->routes[i].family == family && memcmp(r->routes[i].addr, a, n) == 0)
			return true;
	return false;
}

/* A host route via slirp's gateway, added (or replaced) at once: the kernel
 * handles a netlink request inside sendmsg(), so its answer is already
 * queued when that returns. 1 when added, 0 when there already was one, or
 * -errno. */
static int add_route(struct ccsb_resolver *r, int family, const uint8_t *a)
{
	static const uint8_t gw4[4] = CCSB_SLIRP_GW4;
	static const uint8_t gw6[16] = CCSB_SLIRP_GW6;
	union {
		struct nlmsghdr n;
		char b[CCSB_RTNL_MSG_MAX];
	} req;
	union {
		struct nlmsghdr n;
		char b[1024];
	} ans;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	size_t alen = family == AF_INET ? 4 : 16, used = 0;
	uint32_t seq = ++r->nlseq;
	int64_t give_up = ccsb__now_ms() + 1000;

	if (route_known(r, family, a))
		return 0;
	if (r->nroutes >= MAX_ROUTES)
		return -ENOSPC;
	ccsb__rtnl_route(&req, sizeof(req), &used, false, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
			 seq, family, a, (unsigned)alen * 8, family == AF_INET ? gw4 : gw6, 0);
	if (sendto(r->rtnl, &req, used, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(r->rtnl, &ans, sizeof(ans), MSG_DONTWAIT);
		size_t off = 0;
		uint32_t aseq;
		int e;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = r->rtnl, .events = POLLIN };
			int64_t left = give_up - ccsb__now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			poll(&pfd, 1, (int)left);
			continue;
		}
		if (n < 0)
			return -errno;
		while (ccsb__rtnl_next_ack(&ans, (size_t)n, &off, &aseq, &e) > 0) {
			if (aseq != seq)
				continue;
			if (e && e != EEXIST)
				return -e;
			if (r->nroutes == r->caproutes) {
				size_t cap = r->caproutes ? 2 * r->caproutes : 64;
				struct route *v = realloc(r->routes, cap * sizeof(*v));

				if (!v)
					return 1; /* routed; only not remembered */
				r->routes = v;
				r->caproutes = cap;
			}
			r->routes[r->nroutes].family = (uint8_t)family;
			memcpy(r->routes[r->nroutes].addr, a, alen);
			r->nroutes++;
			return 1;
		}
	}
}

/* ---- refused names --------------------------------------------------- */

static void note_refused(struct ccsb_resolver *r, const struct ccsb_dns_query *q)
{
	ccsb__event_dns_refused(r->ev, q->qname, q->qtype);
	if (r->log_fd >= 0)
		dprintf(r->log_fd, "dns: refused %s (type %u)\n", q->qname[0] ? q->qname : ".",
			(unsigned)q->qtype);
	for (size_t i = 0; i < r->nrefused; i++) {
		if (strcmp(r->refused[i].name, q->qname) == 0) {
			r->refused[i].count++;
			return;
		}
	}
	if (r->nrefused >= MAX_REFUSED_NAMES) {
		r->refused_other++;
		return;
	}
	if (r->nrefused == r->caprefused) {
		size_t cap = r->caprefused ? 2 * r->caprefused : 16;
		struct refused *v = realloc(r->refused, cap * sizeof(*v));

		if (!v) {
			r->refused_other++;
			return;
		}
		r->refused = v;
		r->caprefused = cap;
	}
	if (!(r->refused[r->nrefused].name = strdup(q->qname))) {
		r->refused_other++;
		return;
	}
	r->refused[r->nrefused++].count = 1;
}

static int by_count(const void *a, const void *b)
{
	const struct refused *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

void ccsb__resolver_summary(const struct ccsb_resolver *r, int fd)
{
	enum {
		SHOWN = 10
	};
	char line[4096];
	size_t off = 0;

	if (!r || fd < 0 || (!r->nrefused && !r->refused_other))
		return;
	qsort(r->refused, r->nrefused, sizeof(*r->refused), by_count);
#define PUT(...)                                                                         \
	do {                                                                             \
		int k_ = snprintf(line + off, sizeof(line) - off, __VA_ARGS__);          \
		if (k_ > 0)                                                              \
			off += (size_t)k_ < sizeof(line) - off ? (size_t)k_              \
							       : sizeof(line) - off - 1; \
	} while (0)
	PUT("ccsb: dns: refused %zu name%s:", r->nrefused, r->nrefused == 1 ? "" : "s");
	for (size_t i = 0; i < r->nrefused && i < SHOWN; i++)
		PUT("%s %.*s (%lu)", i ? "," : "", 120,
		    r->refused[i].name[0] ? r->refused[i].name : ".", r->refused[i].count);
	if (r->nrefused > SHOWN)
		PUT(", and %zu more", r->nrefused - SHOWN);
	if (r->refused_other)
		PUT(" (+%lu queries not counted by name)", r->refused_other);
	/* How to allow one, with the most refused name as the example: the
	 * line is the user's first hint of what the allowlist lacks. */
	if (r->nrefused) {
		const char *top = r->refused[0].name[0] ? r->refused[0].name : ".";
		PUT("; to allow one: --allow=%.*s, or the config line 'allow = %.*s'", 120, top,
		    120, top);
	}
	PUT("\n");
#undef PUT
	(void)!write(fd, line, off);
}

/* ---- replies to the sandbox ------------------------------------------ */

static void conn_close(struct ccsb_resolver *r, int ci);

static void conn_queue(struct ccsb_resolver *r, int ci, const uint8_t *msg, size_t len)
{
	struct conn *c = &r->conns[ci];

	if (c->outlen - c->outoff + 2 + len > TCP_OUT_MAX) {
		conn_close(r, ci);
		return;
	}
	if (c->outoff && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + 2 + len > c->outcap) {
		size_t cap = c->outlen + 2 + len + 1024;
		uint8_t *b = realloc(c->out, cap);

		if (!b) {
			conn_close(r, ci);
			return;
		}
		c->out = b;
		c->outcap = cap;
	}
	ccsb__dns_tcp_prefix(c->out + c->outlen, len);
	memcpy(c->out + c->outlen + 2, msg, len);
	c->outlen += 2 + len;
	/* Try at once: most answers go out without another poll round. */
	ssize_t w =
		send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w > 0) {
		c->outoff += (size_t)w;
		c->idle_at = ccsb__now_ms() + TCP_IDLE_MS;
	} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
		conn_close(r, ci);
	}
}

/* conn < 0: UDP to peer. */
static void reply(struct ccsb_resolver *r, int conn, const struct sockaddr_storage *peer,
		  socklen_t peerlen, const uint8_t *msg, size_t len)
{
	if (!len)
		return;
	if (conn < 0)
		sendto(r->udp, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)peer,
		       peerlen);
	else if (r->conns[conn].fd >= 0)
		conn_queue(r, conn, msg, len);
}

static void reply_rcode(struct ccsb_resolver *r, int conn, const struct sockaddr_storage *peer,
			socklen_t peerlen, const uint8_t *query, size_t qlen, int rcode, bool tc)
{
	uint8_t out[CCSB_DNS_ERROR_MAX];
	size_t n = ccsb__dns_build_error(query, qlen, rcode, out, sizeof(out));

	if (n && tc)
		out[2] |= 0x02;
	reply(r, conn, peer, peerlen, out, n);
}

static void pending_free(struct ccsb_resolver *r, struct pending *p)
{
	if (p->conn >= 0 && r->conns[p->conn].npending > 0)
		r->conns[p->conn].npending--;
	free(p->cmsg);
	p->cmsg = NULL;
	free(p->tin);
	p->tin = NULL;
	ccsb__close_fd(&p->fd);
	p->used = false;
}

static void pending_fail(struct ccsb_resolver *r, struct pending *p, int rcode, bool tc)
{
	reply_rcode(r, p->conn, &p->peer, p->peerlen, p->cmsg, p->clen, rcode, tc);
	pending_free(r, p);
}

/* ---- queries from the sandbox ---------------------------------------- */

static uint16_t random_id(void)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)(ccsb__now_ms() * 2654435761u >> 7);
	return id;
}

/* Send the query to server p->server from a new socket: a new random id
 * and, from the kernel's random ephemeral port choice, a new source port
 * each time, so that a spoofed answer must guess 32 bits, not 16 (RFC
 * 5452). connect() makes the kernel drop datagrams from anyone else. */
static int send_upstream(struct ccsb_resolver *r, struct pending *p)
{
	const struct server *sv = &r->servers[p->server];

	ccsb__close_fd(&p->fd);
	p->up_id = p->up.id = random_id();
	p->uplen = ccsb__dns_build_query(&p->up, p->up_id, p->upmsg, sizeof(p->upmsg));
	if (!p->uplen)
		return -EINVAL;
	p->fd = socket(sv->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	if (connect(p->fd, (const struct sockaddr *)&sv->sa, sv->len) < 0 ||
	    send(p->fd, p->upmsg, p->uplen, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* Ask the same server again over TCP (RFC 7766), same id and question. */
static int start_tcp(struct pending *p, const struct server *sv)
{
	ccsb__close_fd(&p->fd);
	p->tcp = true;
	p->tsent = p->tinlen = 0;
	p->fd = socket(sv->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	if (connect(p->fd, (const struct sockaddr *)&sv->sa, sv->len) < 0 && errno != EINPROGRESS)
		return -errno;
	/* No resend over TCP: the deadline alone ends it. */
	p->resend_at = p->deadline;
	return 0;
}

static void handle_query(struct ccsb_resolver *r, int conn, const struct sockaddr_storage *peer,
			 socklen_t peerlen, const uint8_t *msg, size_t len)
{
	struct pending *p = NULL;
	struct ccsb_dns_query *q;
	int rc, v;

	for (int i = 0; i < MAX_PENDING; i++) {
		if (!r->pend[i].used) {
			p = &r->pend[i];
			break;
		}
	}
	if (!p) {
		reply_rcode(r, conn, peer, peerlen, msg, len, CCSB_DNS_SERVFAIL, false);
		return;
	}
	q = &p->q;
	rc = ccsb__dns_parse_query(msg, len, q);
	if (rc == CCSB_DNS_DROP)
		return;
	if (rc < 0) {
		reply_rcode(r, conn, peer, peerlen, msg, len, -rc, false);
		return;
	}
	v = ccsb__dns_query_verdict(q, r->al);
	if (v) {
		if (v == CCSB_DNS_REFUSED)
			note_refused(r, q);
		reply_rcode(r, conn, peer, peerlen, msg, len, v, false);
		return;
	}
	p->up = *q;
	/* Over TCP the client takes any size: ask for what UDP upstream can
	 * carry, so that fewer answers come back truncated. */
	if (conn >= 0 && !p->up.edns) {
		p->up.edns = true;
		p->up.edns_payload = CCSB_DNS_EDNS_PAYLOAD;
		p->up.edns_ttl = 0;
	}
	if (!(p->cmsg = malloc(len))) {
		reply_rcode(r, conn, peer, peerlen, msg, len, CCSB_DNS_SERVFAIL, false);
		return;
	}
	memcpy(p->cmsg, msg, len);
	p->clen = len;
	p->conn = conn;
	if (conn < 0) {
		memcpy(&p->peer, peer, peerlen);
		p->peerlen = peerlen;
	}
	p->server = 0;
	p->fd = -1;
	p->tcp = false;
	p->resend_at = ccsb__now_ms() + RESEND_MS;
	p->deadline = ccsb__now_ms() + QUERY_TIMEOUT_MS;
	p->used = true;
	if (conn >= 0)
		r->conns[conn].npending++;
	/* A send error (no route to that server...) is left to the resend. */
	send_upstream(r, p);
}

/* ---- answers from upstream ------------------------------------------- */

/* Whether the answer must go through name binding: some address of its
 * chain is not covered by a prefix of the allowlist (those are routed
 * already and need nothing), or points into the synthetic pool. */
static bool needs_binding(const struct ccsb_resolver *r, const struct ccsb_dns_addrs *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].chain &&
		    !ccsb__allowlist_addr_covered(r->al, a->v[i].family, a->v[i].addr))
			return true;
	return false;
}

static bool in_pool(const struct ccsb_dns_addrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		uint32_t v;

		memcpy(&v, a->v[i].addr, 4);
		if (a->v[i].family == AF_INET && ccsb__namepool_has(ntohl(v)))
			return true;
	}
	return false;
}

/* Answer an A query with the name's synthetic address, an AAAA query with
 * no address (the pool is IPv4: clients fall back to A), anything else
 * as received. Returns false when the answer goes out unchanged. */
static bool answer_bound(struct ccsb_resolver *r, struct pending *p, const struct ccsb_dns_addrs *a)
{
	uint8_t real[CCSB_NAMEBIND_ADDRS][4], fake[4], out[CCSB_DNS_ERROR_MAX + 16];
	uint32_t ttl = UINT32_MAX;
	size_t n = 0, len;

	if (p->q.qtype == CCSB_DNS_TYPE_AAAA) {
		pending_fail(r, p, CCSB_DNS_NOERROR, false);
		return true;
	}
	if (p->q.qtype != CCSB_DNS_TYPE_A)
		return false;
	for (size_t i = 0; i < a->n && n < CCSB_NAMEBIND_ADDRS; i++) {
		if (!a->v[i].chain || a->v[i].family != AF_INET)
			continue;
		memcpy(real[n++], a->v[i].addr, 4);
		ttl = a->v[i].ttl < ttl ? a->v[i].ttl : ttl;
	}
	int fresh = n ? ccsb__namebind_bind(r->nb, p->q.qname, real[0], n, ttl, fake) : -ENOENT;
	if (fresh < 0) {
		pending_fail(r, p, n ? CCSB_DNS_SERVFAIL : CCSB_DNS_NOERROR, false);
		return true;
	}
	if (fresh)
		ccsb__event_name_bound(r->ev, p->q.qname, fake, real[0], n);
	/* The client's header and question, then one A record. */
	len = ccsb__dns_build_error(p->cmsg, p->clen, CCSB_DNS_NOERROR, out, sizeof(out) - 16);
	if (len < CCSB_DNS_HEADER_LEN || out[5] != 1) {
		pending_fail(r, p, CCSB_DNS_SERVFAIL, false);
		return true;
	}
	out[7] = 1; /* ANCOUNT */
	static const uint8_t rr[] = { 0xc0, 0x0c, 0, CCSB_DNS_TYPE_A, 0, CCSB_DNS_CLASS_IN };
	memcpy(out + len, rr, sizeof(rr));
	len += sizeof(rr);
	out[len++] = (uint8_t)(ttl >> 24);
	out[len++] = (uint8_t)(ttl >> 16);
	out[len++] = (uint8_t)(ttl >> 8);
	out[len++] = (uint8_t)ttl;
	out[len++] = 0;
	out[len++] = 4;
	memcpy(out + len, fake, 4);
	len += 4;
	reply(r, p->conn, &p->peer, p->peerlen, out, len);
	pending_free(r, p);
	return true;
}

/* An answer that arrived on p's own socket (connected to the server asked:
 * the kernel has checked the source). */
static void handle_answer(struct ccsb_resolver *r, struct pending *p, uint8_t *msg, size_t len)
{
	struct ccsb_dns_addrs *a = &r->addrs;
	int rc;

	rc = ccsb__dns_parse_answer(msg, len, &p->up, a);
	if (rc == -ENOMSG && !p->tcp)
		return; /* not the answer to that question: keep waiting */
	if (rc < 0) {
		pending_fail(r, p, CCSB_DNS_SERVFAIL, false);
		return;
	}
	if (a->truncated) {
		/* UDP clients retry over TCP themselves and get the same from
		 * us; for a TCP client, ask upstream again over TCP. */
		if (p->conn < 0)
			pending_fail(r, p, CCSB_DNS_NOERROR, true);
		else if (p->tcp || start_tcp(p, &r->servers[p->server]) < 0)
			pending_fail(r, p, CCSB_DNS_SERVFAIL, false);
		return;
	}
	if (ccsb__dns_addrs_rejected(a, r->al) > 0 || (r->nb && in_pool(a))) {
		/* DNS rebinding: as if the name had no address. */
		pending_fail(r, p, CCSB_DNS_NOERROR, false);
		return;
	}
	if (r->nb && a->rcode == CCSB_DNS_NOERROR && needs_binding(r, a) && answer_bound(r, p, a))
		return;
	for (size_t i = 0; i < a->n && !r->nb; i++) {
		const struct ccsb_dns_addr *x = &a->v[i];

		if (!x->chain || (x->family == AF_INET6 && !r->ipv6))
			continue;
		int added = add_route(r, x->family, x->addr);
		if (added < 0) {
			pending_fail(r, p, CCSB_DNS_SERVFAIL, false);
			return;
		}
		if (added)
			ccsb__event_route_added(r->ev, p->q.qname, x->family, x->addr);
	}
	size_t n = ccsb__dns_finish_answer(
		msg, len, a, &p->q, p->conn < 0 ? ccsb__dns_udp_limit(&p->q) : CCSB_DNS_MSG_MAX);
	if (!n) {
		pending_fail(r, p, CCSB_DNS_SERVFAIL, false);
		return;
	}
	reply(r, p->conn, &p->peer, p->peerlen, msg, n);
	pending_free(r, p);
}

static void upstream_udp(struct ccsb_resolver *r, struct pending *p)
{
	/* A few, for the datagrams that are not the answer. */
	for (int k = 0; k < 8 && p->used && !p->tcp; k++) {
		ssize_t n = recv(p->fd, r->buf, sizeof(r->buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* ICMP unreachable and the like: try the next server
			 * at the resend time. */
			if (errno != EAGAIN)
				ccsb__close_fd(&p->fd);
			return;
		}
		handle_answer(r, p, r->buf, (size_t)n);
	}
}

static void upstream_tcp(struct ccsb_resolver *r, struct pending *p, short re)
{
	const uint8_t *msg;
	size_t mlen, used;
	ssize_t n;

	if (p->tsent < 2 + p->uplen) {
		uint8_t frame[2 + sizeof(p->upmsg)];

		if (!(re & (POLLOUT | POLLERR | POLLHUP)))
			return;
		ccsb__dns_tcp_prefix(frame, p->uplen);
		memcpy(frame + 2, p->upmsg, p->uplen);
		n = send(p->fd, frame + p->tsent, 2 + p->uplen - p->tsent,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			pending_fail(r, p, CCSB_DNS_SERVFAIL, false);
			return;
		}
		p->tsent += (size_t)n;
		return;
	}
	if (!(re & (POLLIN | POLLERR | POLLHUP)))
		return;
	if (!p->tin && !(p->tin = malloc(2 + CCSB_DNS_MSG_MAX))) {
		pending_fail(r, p, CCSB_DNS_SERVFAIL, false);
		return;
	}
	n = recv(p->fd, p->tin + p->tinlen, 2 + CCSB_DNS_MSG_MAX - p->tinlen, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		pending_fail(r, p, CCSB_DNS_SERVFAIL, false);
		return;
	}
	p->tinlen += (size_t)n;
	if (!(used = ccsb__dns_tcp_frame(p->tin, p->tinlen, &msg, &mlen)))
		return;
	/* Into the shared buffer: handle_answer() rewrites it in place. */
	memcpy(r->buf, msg, mlen);
	handle_answer(r, p, r->buf, mlen);
}

/* ---- TCP clients ----------------------------------------------------- */

static void conn_close(struct ccsb_resolver *r, int ci)
{
	struct conn *c = &r->conns[ci];

	for (int i = 0; i < MAX_PENDING; i++)
		if (r->pend[i].used && r->pend[i].conn == ci)
			pending_free(r, &r->pend[i]);
	ccsb__close_fd(&c->fd);
	free(c->out);
	c->out = NULL;
	c->inlen = c->outlen = c->outoff = c->outcap = 0;
	c->npending = 0;
}

static void tcp_accept(struct ccsb_resolver *r)
{
	for (int k = 0; k < CCSB_RESOLVER_TCP_MAX; k++) {
		int fd = accept4(r->tcp, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), ci = -1;

		if (fd < 0)
			return;
		for (int i = 0; i < CCSB_RESOLVER_TCP_MAX; i++) {
			if (r->conns[i].fd < 0) {
				ci = i;
				break;
			}
		}
		if (ci < 0) {
			close(fd); /* too many: the client retries or uses UDP */
			continue;
		}
		r->conns[ci].fd = fd;
		r->conns[ci].inlen = 0;
		r->conns[ci].idle_at = ccsb__now_ms() + TCP_IDLE_MS;
	}
}

/* Serve the complete frames buffered, as many as may be pending at once.
 * Called again whenever a pending query of this client ends, since frames
 * that arrived in one segment with the first ones bring no new POLLIN. */
static void conn_drain(struct ccsb_resolver *r, int ci)
{
	struct conn *c = &r->conns[ci];
	const uint8_t *msg;
	size_t mlen, used;

	while (c->fd >= 0 && c->npending < TCP_PENDING_MAX &&
	       (used = ccsb__dns_tcp_frame(c->in, c->inlen, &msg, &mlen)) > 0) {
		handle_query(r, ci, NULL, 0, msg, mlen);
		if (c->fd < 0)
			return;
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
	}
	/* A frame that cannot fit. */
	if (c->fd >= 0 && c->inlen >= 2 && (size_t)(c->in[0] << 8 | c->in[1]) > TCP_IN_MAX)
		conn_close(r, ci);
}

static void tcp_read(struct ccsb_resolver *r, int ci)
{
	struct conn *c = &r->conns[ci];
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(r, ci);
		return;
	}
	c->inlen += (size_t)n;
	c->idle_at = ccsb__now_ms() + TCP_IDLE_MS;
	conn_drain(r, ci);
}

static void tcp_write(struct ccsb_resolver *r, int ci)
{
	struct conn *c = &r->conns[ci];
	ssize_t w =
		send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w > 0) {
		c->outoff += (size_t)w;
		c->idle_at = ccsb__now_ms() + TCP_IDLE_MS;
	} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
		conn_close(r, ci);
	}
}

/* ---- the loop's interface -------------------------------------------- */

int ccsb__resolver_pollfds(struct ccsb_resolver *r, struct pollfd *pfd)
{
	int n = 0;

	pfd[n++] = (struct pollfd){ .fd = r->udp, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = r->tcp, .events = POLLIN };
	for (int i = 0; i < MAX_PENDING; i++) {
		const struct pending *p = &r->pend[i];

		if (p->used && p->fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = p->fd,
						    .events = p->tcp && p->tsent < 2 + p->uplen
								      ? POLLOUT
								      : POLLIN };
	}
	for (int i = 0; i < CCSB_RESOLVER_TCP_MAX; i++) {
		struct conn *c = &r->conns[i];
		short ev = 0;

		if (c->fd < 0)
			continue;
		if (c->npending < TCP_PENDING_MAX && c->inlen < sizeof(c->in))
			ev |= POLLIN;
		if (c->outoff < c->outlen)
			ev |= POLLOUT;
		pfd[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
	}
	return n;
}

int ccsb__resolver_timeout(const struct ccsb_resolver *r)
{
	int64_t next = INT64_MAX, now = ccsb__now_ms();

	for (int i = 0; i < MAX_PENDING; i++) {
		const struct pending *p = &r->pend[i];

		if (p->used)
			next = p->resend_at < next ? p->resend_at : next;
	}
	for (int i = 0; i < CCSB_RESOLVER_TCP_MAX; i++)
		if (r->conns[i].fd >= 0 && r->conns[i].idle_at < next)
			next = r->conns[i].idle_at;
	if (next == INT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

static void expire(struct ccsb_resolver *r)
{
	int64_t now = ccsb__now_ms();

	for (int i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &r->pend[i];

		if (!p->used || p->resend_at > now)
			continue;
		if (p->deadline <= now) {
			pending_fail(r, p, CCSB_DNS_SERVFAIL, false);
			continue;
		}
		if (p->server + 1 < r->nservers)
			p->server++;
		p->resend_at = now + RESEND_MS < p->deadline ? now + RESEND_MS : p->deadline;
		send_upstream(r, p);
	}
	for (int i = 0; i < CCSB_RESOLVER_TCP_MAX; i++)
		if (r->conns[i].fd >= 0 && r->conns[i].idle_at <= now)
			conn_close(r, i);
}

static void read_udp_clients(struct ccsb_resolver *r)
{
	for (int k = 0; k < UDP_BATCH; k++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(r->udp, r->buf, sizeof(r->buf), MSG_DONTWAIT,
				     (struct sockaddr *)&peer, &plen);

		if (n < 0)
			return;
		handle_query(r, -1, &peer, plen, r->buf, (size_t)n);
	}
}

void ccsb__resolver_io(struct ccsb_resolver *r, const struct pollfd *pfd, int n)
{
	for (int i = 0; i < n; i++) {
		int fd = pfd[i].fd;
		short re = pfd[i].revents;

		if (!re)
			continue;
		if (fd == r->udp) {
			read_udp_clients(r);
		} else if (fd == r->tcp) {
			tcp_accept(r);
		} else {
			for (int k = 0; k < MAX_PENDING; k++) {
				struct pending *p = &r->pend[k];

				if (!p->used || p->fd != fd)
					continue;
				if (p->tcp)
					upstream_tcp(r, p, re);
				else
					upstream_udp(r, p);
				fd = -1;
				break;
			}
			for (int ci = 0; fd >= 0 && ci < CCSB_RESOLVER_TCP_MAX; ci++) {
				if (r->conns[ci].fd != fd)
					continue;
				if (re & POLLOUT)
					tcp_write(r, ci);
				if (r->conns[ci].fd >= 0 && (re & (POLLIN | POLLHUP | POLLERR)))
					tcp_read(r, ci);
				break;
			}
		}
	}
	expire(r);
	for (int ci = 0; ci < CCSB_RESOLVER_TCP_MAX; ci++)
		if (r->conns[ci].fd >= 0 && r->conns[ci].inlen)
			conn_drain(r, ci);
}

/* ---- life cycle ------------------------------------------------------ */

int ccsb__resolver_new(struct ccsb_resolver **out, const struct ccsb_allowlist *al, bool ipv6,
		       int *udp, int *tcp, int *rtnl, int log_fd, ccsb_error **err)
{
	struct ccsb_resolver *r = calloc(1, sizeof(*r));
	const char *conf = "/etc/resolv.conf";

	*out = NULL;
	if (!r || !(r->pend = calloc(MAX_PENDING, sizeof(*r->pend)))) {
		free(r);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	r->al = al;
	r->ipv6 = ipv6;
	r->log_fd = log_fd;
	r->udp = *udp;
	r->tcp = *tcp;
	r->rtnl = *rtnl;
	*udp = *tcp = *rtnl = -1;
	for (int i = 0; i < CCSB_RESOLVER_TCP_MAX; i++)
		r->conns[i].fd = -1;
	for (int i = 0; i < MAX_PENDING; i++)
		r->pend[i].fd = -1;
	read_servers(r, conf);
	*out = r;
	return 0;
}

void ccsb__resolver_set_events(struct ccsb_resolver *r, struct ccsb_events *ev)
{
	if (r)
		r->ev = ev;
}

void ccsb__resolver_set_namebind(struct ccsb_resolver *r, struct ccsb_namebind *nb)
{
	r->nb = nb;
}

void ccsb__resolver_free(struct ccsb_resolver *r)
{
	if (!r)
		return;
	for (int i = 0; i < CCSB_RESOLVER_TCP_MAX; i++)
		if (r->conns[i].fd >= 0)
			conn_close(r, i);
	for (int i = 0; i < MAX_PENDING; i++)
		if (r->pend[i].used)
			pending_free(r, &r->pend[i]);
	for (size_t i = 0; i < r->nrefused; i++)
		free(r->refused[i].name);
	free(r->refused);
	free(r->routes);
	free(r->pend);
	ccsb__dns_addrs_free(&r->addrs);
	ccsb__close_fd(&r->udp);
	ccsb__close_fd(&r->tcp);
	ccsb__close_fd(&r->rtnl);
	free(r);
}
